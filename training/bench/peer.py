"""``mpcnet bench planners --peer pytorch_mppi``: our MPPI against pytorch_mppi, same model
and cost, on gymnasium's Pendulum-v1 (a task no one here wrote).

Two measurements, side by side in one process (one torch thread unless ``--threads``):

* **Throughput** at several ``K x H``: our rollout + cost kernel (:class:`PlanCost`), our
  whole MPPI iteration (``act`` with one iteration), and ``pytorch_mppi.MPPI.command()`` with
  the same network as its ``dynamics`` (the exported model as a torch module) and the same L1
  cost as its ``running_cost``; float32 and float64.
* **Closed loop**: seeded Pendulum-v1 episodes (200 steps, the env's reward summed) for each
  planner at each per-step budget: ``0`` means one iteration per step, otherwise iterations
  run while the next one fits in the budget (pytorch_mppi: repeated ``command()`` without
  shifting, the library's way to refine a plan).

The Pendulum model (when ``--model`` is not given) is a 2 x 64 ReLU MLP trained by the library
on transitions from uniformly random states and actions.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import torch

from controllers import PlannerConfig, make_controller
from mpcnet.costs import CostSpec
from mpcnet.data import TransitionData
from mpcnet.errors import ConfigError
from mpcnet.nn.relunet import ReluNet
from mpcnet.plan_cost import PlanCost
from mpcnet.rollout import TorchReluNet
from training.progress import Progress

PENDULUM = "Pendulum-v1"
GOAL = np.array([1.0, 0.0, 0.0])  # upright, at rest: (cos theta, sin theta, theta dot)
# |1 - cos| is zero only upright; an |sin| term would add a false minimum hanging down
PENDULUM_COST = CostSpec(state_weight=np.array([1.0, 0.0, 0.1]), action_weight=np.array([0.01]))


def load_peer():
    """The pytorch_mppi ``MPPI`` class, or a ConfigError naming the install command."""
    try:
        from pytorch_mppi import MPPI
    except ImportError:
        raise ConfigError("--peer pytorch_mppi needs the pytorch-mppi package: "
                          "pip install 'mpcnet[peer]' (or pytorch-mppi==0.9.1).") from None
    return MPPI


def pendulum_data(episodes: int, steps: int, seed: int) -> TransitionData:
    """Transitions of Pendulum-v1 from uniformly random states (any angle, |speed| <= 8) and
    uniformly random torques."""
    import gymnasium as gym

    env = gym.make(PENDULUM)
    rng = np.random.default_rng(seed)
    rows = {"states": [], "actions": [], "next_states": [], "episode_ids": []}
    for ep in range(episodes):
        obs, _ = env.reset(seed=int(rng.integers(2**31)),
                           options={"x_init": np.pi, "y_init": 8.0})
        for _ in range(steps):
            action = rng.uniform(-2.0, 2.0, 1).astype(np.float32)
            nxt, _, _, _, _ = env.step(action)
            for key, value in zip(rows, (obs, action, nxt, ep), strict=True):
                rows[key].append(value)
            obs = nxt
    env.close()
    arrays = {k: np.asarray(v, dtype=np.int64 if k == "episode_ids" else np.float64)
              for k, v in rows.items()}
    return TransitionData(**arrays, contacts=np.zeros(len(arrays["states"]), bool),
                          env_id=PENDULUM)


def train_pendulum_model(out: Path, seed: int, epochs: int = 60) -> Path:
    """Collect Pendulum data and train the 2 x 64 model into ``out``; returns ``out``."""
    from mpcnet.nn.model_io import save_model
    from training.config import TrainConfig
    from training.rundirs import create_run_dir, write_stage
    from training.train import train

    config = TrainConfig(hidden=(64, 64), relative=False, epochs=epochs, seed=seed,
                         device="cpu")
    data = pendulum_data(episodes=400, steps=25, seed=seed)
    out = create_run_dir(out, PENDULUM, "train", seed)
    trained = train(data, config, progress=True)
    model, metrics, history = trained.model, trained.metrics, trained.history
    save_model(model, out)
    write_stage(out, {**config.to_dict(), "data": "pendulum_data(400, 25)", "env_id": PENDULUM},
                {**metrics, "history": history})
    return out


def _peer_cost(dtype: torch.dtype):
    sw = torch.tensor(PENDULUM_COST.state_weight, dtype=dtype)
    aw = torch.tensor(PENDULUM_COST.action_weight, dtype=dtype)
    goal = torch.tensor(GOAL, dtype=dtype)

    def running_cost(state, action):
        return ((state - goal).abs() * sw).sum(-1) + (action.abs() * aw).sum(-1)

    return running_cost


def make_peer(net: ReluNet, samples: int, horizon: int, noise_std: float, lambda_: float,
              dtype: torch.dtype):
    """pytorch_mppi's MPPI on ``net`` (as a torch module) and the Pendulum cost."""
    peer_cls = load_peer()
    dynamics = TorchReluNet(net, dtype=dtype)
    return peer_cls(dynamics, _peer_cost(dtype), net.state_dim,
                    noise_sigma=torch.eye(net.action_dim, dtype=dtype) * noise_std ** 2,
                    num_samples=samples, horizon=horizon, lambda_=lambda_,
                    u_min=torch.tensor([-2.0], dtype=dtype),
                    u_max=torch.tensor([2.0], dtype=dtype))


ROUNDS = 5


def _median_ms(fn, repeats: int) -> float:
    for _ in range(3):  # warm-up: lazy initialisation and the allocator's first growth
        fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return 1e3 * float(np.median(times))


def throughput(net: ReluNet, sizes: list[tuple[int, int]], repeats: int = 30) -> list[dict]:
    """Milliseconds per call, ours and the peer's, at each ``(K, H)`` in float32 and float64."""
    rows = []
    x0 = np.array([-0.9, 0.3, 0.5])
    for dtype_name in ("float32", "float64"):
        dtype = getattr(torch, dtype_name)
        for k, h in sizes:
            kernel = PlanCost(net, PENDULUM_COST, dtype_name)
            kernel.set_goal(GOAL)
            x = kernel.tensor(x0)
            gen = torch.Generator().manual_seed(0)
            plans = torch.rand((k, h, 1), generator=gen, dtype=dtype) * 4 - 2

            @torch.no_grad()
            def ours(x=x, plans=plans, kernel=kernel):
                kernel(x, plans)

            ctrl = make_controller("mppi", net, PENDULUM_COST, [-2.0], [2.0], PlannerConfig(
                horizon=h, samples=k, iterations=1, dtype=dtype_name))
            ctrl.reset(0, GOAL)
            peer = make_peer(net, k, h, 1.2, 0.1, dtype)
            state = torch.tensor(x0, dtype=dtype)
            calls = {"ours_kernel_ms": ours,
                     "ours_mppi_iteration_ms": lambda c=ctrl: c.act(x0),
                     "peer_command_ms": lambda p=peer, s=state: p.command(s)}
            # rounds interleaved, so every contender sees the same machine state; the median
            # over rounds discards a round that a page-fault storm or another process hit
            rounds = {name: [] for name in calls}
            for _ in range(ROUNDS):
                for name, fn in calls.items():
                    rounds[name].append(_median_ms(fn, repeats))
            row = {"K": k, "H": h, "dtype": dtype_name,
                   **{name: float(np.median(ms)) for name, ms in rounds.items()}}
            row["speedup_kernel"] = row["peer_command_ms"] / row["ours_kernel_ms"]
            row["speedup_iteration"] = row["peer_command_ms"] / row["ours_mppi_iteration_ms"]
            rows.append(row)
    return rows


class PeerController:
    """pytorch_mppi behind our controller protocol: one ``command()`` per step, then more
    (without shifting) while the next one fits in the budget."""

    name = "pytorch_mppi"

    def __init__(self, net: ReluNet, samples: int, horizon: int, budget_ms: float,
                 noise_std: float, lambda_: float) -> None:
        self.args = (net, samples, horizon, noise_std, lambda_, torch.float32)
        self.budget_s = budget_ms / 1000.0
        self.peer = None

    def reset(self, seed: int, goal) -> None:
        torch.manual_seed(seed)
        self.peer = make_peer(*self.args)

    def act(self, state) -> np.ndarray:
        start = time.perf_counter()
        x = torch.tensor(np.asarray(state), dtype=torch.float32)
        action = self.peer.command(x)
        iteration = time.perf_counter() - start
        while self.budget_s and time.perf_counter() + 1.1 * iteration <= start + self.budget_s:
            action = self.peer.command(x, shift_nominal_trajectory=False)
        return action.numpy().astype(np.float64), time.perf_counter() - start


def run_pendulum_episodes(make, episodes: int, seed: int, steps: int = 200) -> dict:
    """Seeded Pendulum-v1 episodes; ``make()`` gives a controller whose ``act`` returns
    ``(action, seconds)``. Returns the rewards and the plan times."""
    import gymnasium as gym

    env = gym.make(PENDULUM, max_episode_steps=steps)
    ctrl, rewards, times = make(), [], []
    seeds = [int(s) for s in np.random.SeedSequence(seed).generate_state(episodes)]
    for ep_seed in Progress(seeds, desc=getattr(ctrl, "label", ctrl.name), unit="ep", leave=False):
        obs, _ = env.reset(seed=ep_seed)
        ctrl.reset(ep_seed, GOAL)
        total = 0.0
        for _ in range(steps):
            action, seconds = ctrl.act(obs.astype(np.float64))
            times.append(seconds)
            obs, reward, terminated, truncated, _ = env.step(action.astype(np.float32))
            total += float(reward)
            if terminated or truncated:
                break
        rewards.append(total)
    env.close()
    return {"rewards": rewards, "reward_mean": float(np.mean(rewards)),
            "reward_std": float(np.std(rewards)),
            "plan_time_median_s": float(np.median(times)),
            "plan_time_p95_s": float(np.percentile(times, 95))}


class _Ours:
    """One of our planners with ``act`` returning ``(action, seconds)``."""

    def __init__(self, name: str, net: ReluNet, config: PlannerConfig) -> None:
        self.ctrl = make_controller(name, net, PENDULUM_COST, [-2.0], [2.0], config)
        self.name = name
        self.label = f"{name}{' (best sample)' if config.return_best else ''}"

    def reset(self, seed: int, goal) -> None:
        self.ctrl.reset(seed, goal)

    def act(self, state):
        step = self.ctrl.act(state)
        return step.action, step.plan_time_s


def closed_loop(net: ReluNet, planners: list[str], budgets_ms: list[float], samples: int,
                horizon: int, episodes: int, seed: int, noise: float = 0.3,
                peer_lambda: float = 0.1, steps: int = 200) -> list[dict]:
    """Pendulum rewards of each planner (ours by name, ``pytorch_mppi``, and ``mppi-best``:
    our MPPI returning its best sample) at each budget (0: one iteration per step)."""
    rows = []
    for budget in budgets_ms:
        for name in planners:
            config = PlannerConfig(horizon=horizon, samples=samples, noise=noise,
                                   budget_ms=budget or 1000.0,
                                   iterations=1 if budget == 0 else None,
                                   return_best=name == "mppi-best")
            if name == "pytorch_mppi":
                def make(b=budget):
                    return PeerController(net, samples, horizon, b, noise * 4.0, peer_lambda)
            else:
                def make(n=name, c=config):
                    return _Ours("mppi" if n == "mppi-best" else n, net, c)
            result = run_pendulum_episodes(make, episodes, seed, steps)
            rows.append({"planner": name, "budget_ms": budget, "samples": samples,
                         "horizon": horizon, "episodes": episodes, **result})
            print(f"  {name:13s} budget {budget:g} ms: reward {result['reward_mean']:.0f} +- "
                  f"{result['reward_std']:.0f}, plan time p95 "
                  f"{1e3 * result['plan_time_p95_s']:.1f} ms")
    return rows


def throughput_table(rows: list[dict]) -> str:
    lines = ["| K | H | dtype | ours: rollout + cost (ms) | ours: MPPI iteration (ms) | "
             "pytorch_mppi command() (ms) | speed-up, kernel | speed-up, iteration |",
             "|---|---|---|---|---|---|---|---|"]
    for r in rows:
        lines.append(f"| {r['K']} | {r['H']} | {r['dtype']} | {r['ours_kernel_ms']:.2f} | "
                     f"{r['ours_mppi_iteration_ms']:.2f} | {r['peer_command_ms']:.2f} | "
                     f"{r['speedup_kernel']:.2f}x | {r['speedup_iteration']:.2f}x |")
    return "\n".join(lines) + "\n"


def closed_loop_table(rows: list[dict]) -> str:
    lines = ["| planner | budget per step | episodes | reward mean | reward std | "
             "plan time median (ms) | plan time p95 (ms) |", "|---|---|---|---|---|---|---|"]
    for r in rows:
        budget = "1 iteration" if r["budget_ms"] == 0 else f"{r['budget_ms']:g} ms"
        lines.append(f"| {r['planner']} | {budget} | {r['episodes']} | {r['reward_mean']:.0f} "
                     f"| {r['reward_std']:.0f} | {1e3 * r['plan_time_median_s']:.1f} | "
                     f"{1e3 * r['plan_time_p95_s']:.1f} |")
    return "\n".join(lines) + "\n"
