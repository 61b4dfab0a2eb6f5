"""Encode a tiny ReLU network as a MILP and check it against the forward pass.

Run: python examples/01_encode_tiny_network.py
"""

import argparse

import numpy as np

from mpcnet import CostSpec, Layer, MipMpc, ReluNet, SolveOptions


def main(samples: int) -> None:
    rng = np.random.default_rng(0)
    # x' = x + W2 relu/identity(W1 [x; u] + b1) + b2 with 2 states, 1 action, 6 hidden neurons
    hidden = Layer(rng.normal(0, 0.8, (6, 3)), rng.normal(0, 0.2, 6),
                   ("relu", "relu", "relu", "relu", "identity", "identity"))
    out = Layer(rng.normal(0, 0.3, (2, 6)), np.zeros(2), ("linear", "linear"))
    net = ReluNet((hidden, out), state_dim=2, action_dim=1, residual=True)
    cost = CostSpec(state_weight=np.ones(2), action_weight=np.full(1, 0.05))
    x0, goal, horizon = np.array([0.5, -0.3]), np.array([-0.2, 0.4]), 4

    mpc = MipMpc(net, cost, horizon, action_low=[-1.0], action_high=[1.0],
                 x0_low=x0, x0_high=x0)
    print("program size:", mpc.build_stats)
    plan = mpc.solve(x0, goal, options=SolveOptions(mip_gap=1e-9))
    print(f"status {plan.status}, optimal cost {plan.objective:.6f}, "
          f"{plan.binaries} binaries, solved in {plan.solve_time_s * 1e3:.1f} ms")

    # 1. The program's predicted states are the network's forward pass of the plan.
    simulated = net.rollout(x0, plan.actions)
    print("max |MILP state - forward pass|:", np.abs(plan.states - simulated).max())
    # 2. No random plan beats the proven optimum.
    plans = rng.uniform(-1, 1, (samples, horizon, 1))
    best = min(cost.plan_cost(net.rollout(x0, p), p, goal) for p in plans)
    print(f"best of {samples} random plans: {best:.6f} (MILP optimum {plan.objective:.6f})")
    assert plan.objective <= best + 1e-7


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--samples", type=int, default=20000)
    parser.add_argument("--tiny", action="store_true", help="a quick run (for the tests)")
    args = parser.parse_args()
    main(200 if args.tiny else args.samples)
