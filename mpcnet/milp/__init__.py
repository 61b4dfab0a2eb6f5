"""The mixed-integer program: state and neuron bounds, the MPC encoding, ideal ReLU cuts, LP
bound tightening, the solver backends and the build-once MPC solver.

    from mpcnet.milp import MipMpc, SolveOptions
    mpc = MipMpc(net, cost, horizon, action_low, action_high, state_low, state_high)
    solution = mpc.solve(x0, goal, options=SolveOptions(time_limit=1.0))

Rule: imports ``mpcnet``'s own modules only; the names load on first use (highspy, scipy).
"""

from mpcnet._exports import lazy_exports

_NAMES = {
    "MipMpc": "mpcnet.milp.mip_mpc",
    "MpcEncoding": "mpcnet.milp.encoding", "MpcSolution": "mpcnet.milp.encoding",
    "METHODS": "mpcnet.milp.bounds", "NetBounds": "mpcnet.milp.bounds",
    "compute_bounds": "mpcnet.milp.bounds",
    "ReluCut": "mpcnet.milp.cuts", "separate": "mpcnet.milp.cuts",
    "MilpModel": "mpcnet.milp.model", "MilpStats": "mpcnet.milp.model",
    "lp_tighten": "mpcnet.milp.tightening", "root_cuts": "mpcnet.milp.tightening",
    "root_lp_bound": "mpcnet.milp.tightening",
    "BACKENDS": "mpcnet.milp.solvers", "SolveOptions": "mpcnet.milp.solvers",
    "parse_param": "mpcnet.milp.solvers",
}
__getattr__, __dir__ = lazy_exports(__name__, _NAMES)
__all__ = sorted(_NAMES)
