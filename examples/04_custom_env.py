"""Plug in your own gymnasium environment and cost: a point mass pushed towards a goal.

Any env whose observation is the MPC state works: collect transitions, train a ReLU model,
describe the cost as a CostSpec, and hand both to any controller. For an env registered with
gymnasium, a task file does all of this from the command line with no Python (README, "Your
own task"; envs/tasks/pendulum.toml).

Run: python examples/04_custom_env.py
"""

import argparse

import gymnasium as gym
import numpy as np

from controllers import PlannerConfig, make_controller
from mpcnet import CostSpec, TransitionData
from training.config import TrainConfig
from training.train import train


class PointMass(gym.Env):
    """State (x, y, vx, vy); action: force (fx, fy) in [-1, 1]^2; friction makes it nonlinear."""

    observation_space = gym.spaces.Box(-5, 5, (4,), np.float64)
    action_space = gym.spaces.Box(-1, 1, (2,), np.float64)

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        self.s = np.r_[self.np_random.uniform(-1, 1, 2), 0.0, 0.0]
        return self.s.copy(), {}

    def step(self, action):
        x, v = self.s[:2], self.s[2:]
        v = 0.9 * v + 0.1 * np.clip(action, -1, 1)
        v = np.sign(v) * np.maximum(np.abs(v) - 0.01, 0.0)  # Coulomb friction: a dead zone
        self.s = np.r_[x + 0.1 * v, v]
        return self.s.copy(), 0.0, False, False, {}


def collect_random(env, episodes: int, steps: int, seed: int) -> TransitionData:
    rows = []
    for ep in range(episodes):
        obs, _ = env.reset(seed=seed + ep)
        for _ in range(steps):
            u = env.action_space.sample()
            nxt, *_ = env.step(u)
            rows.append((obs, u, nxt, ep))
            obs = nxt
    s, a, n, e = (np.array(c) for c in zip(*rows, strict=True))
    return TransitionData(s, a, n, e, np.zeros(len(e), bool), env_id="PointMass")


def main(episodes: int, epochs: int, steps: int) -> None:
    env = PointMass()
    env.action_space.seed(0)
    data = collect_random(env, episodes, 40, seed=0)
    trained = train(data, TrainConfig(hidden=(16, 16), epochs=epochs,
                                      relative=False, rollout_horizon=5))
    model, metrics = trained.model, trained.metrics
    print(f"model: {model.relu_count} ReLUs, 5-step rollout MSE {metrics['val_mse_rollout']:.2e}"
          f" (no change {metrics['val_mse_rollout_zero']:.2e})")
    cost = CostSpec(state_weight=np.array([1.0, 1.0, 0.0, 0.0]), action_weight=np.full(2, 0.01))
    goal = np.array([0.8, -0.5, 0.0, 0.0])
    ctrl = make_controller("mip", model.export(), cost, env.action_space.low,
                           env.action_space.high, PlannerConfig(horizon=4, budget_ms=300),
                           state_low=np.full(4, -5.0), state_high=np.full(4, 5.0))
    obs, _ = env.reset(seed=123)
    ctrl.reset(0, goal)
    print(f"start distance {cost.state_cost(obs, goal):.3f}")
    for _ in range(steps):
        obs, *_ = env.step(ctrl.act(obs).action)
    print(f"distance after {steps} MIP-MPC steps: {cost.state_cost(obs, goal):.3f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tiny", action="store_true", help="a quick run (for the tests)")
    args = parser.parse_args()
    main(6, 2, 3) if args.tiny else main(100, 60, 40)
