"""The mixed-integer program: state and neuron bounds, the MPC encoding, ideal ReLU cuts, the
solver backends and the build-once MPC solver (``mip_mpc``)."""
