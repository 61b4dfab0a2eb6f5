"""Closed-loop evaluation of controllers on an environment."""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass

import numpy as np
from tqdm import tqdm

import envs
from controllers import PlannerConfig, make_controller
from mpcnet.relunet import ReluNet

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class EpisodeResult:
    """One closed-loop episode.

    Attributes:
        seed: Reset seed (the same for every controller, so episodes are paired).
        success: Whether the env reported success.
        final_cost: Task cost (the env's CostSpec at the last state: L1 distance to the goal, m).
        steps: Control steps taken.
        plan_times_s: Planning time of every step.
        costs: Task cost after every step, starting with the initial state.
        object_path: ``(steps+1, M, 2)`` position of each of the M objects (push: the centre
            of the object keypoints, M = 1; sort: every object).
        goal_centres: ``(M, 2)`` centre of each object's goal region.
        goal_half_sizes: ``(M, 2)`` half-size of each goal region (zero for a goal point).
        statuses: How often each controller status occurred (MIP: optimal, time_limit, ...).
    """

    seed: int
    success: bool
    final_cost: float
    steps: int
    plan_times_s: list
    costs: list
    object_path: list
    goal_centres: list
    goal_half_sizes: list
    statuses: dict

    def to_dict(self) -> dict:
        return asdict(self)


def episode_seeds(seed: int, episodes: int) -> list[int]:
    return [int(s) for s in np.random.SeedSequence(seed).generate_state(episodes)]


def _mean_of_positions(state) -> np.ndarray:
    """``(1, 2)``: mean of the (x, y) pairs before the pusher's, for envs that do not say
    where their objects are (``object_centres``) or what their goal regions are."""
    return np.asarray(state, dtype=np.float64)[:-2].reshape(-1, 2).mean(0, keepdims=True)


def run_episode(env, controller, seed: int, max_steps: int, render: bool = False):
    """Run one episode; returns ``(EpisodeResult, frames)`` (frames empty unless render)."""
    obs, info = env.reset(seed=seed)
    goal = np.asarray(info["goal"], dtype=np.float64)
    spec = env.unwrapped.cost_spec
    controller.reset(seed, goal)
    task = env.unwrapped
    object_centres = getattr(task, "object_centres", _mean_of_positions)
    centres = lambda o: object_centres(o).tolist()  # noqa: E731
    costs, path, times, statuses = [float(spec.state_cost(obs, goal))], [centres(obs)], [], {}
    frames = [env.render()] if render else []
    steps, success = 0, bool(info["is_success"])
    for steps in range(1, max_steps + 1):  # noqa: B007 - steps is read after the loop
        step = controller.act(obs)
        times.append(step.plan_time_s)
        statuses[step.status] = statuses.get(step.status, 0) + 1
        obs, _, terminated, truncated, info = env.step(step.action.astype(np.float32))
        costs.append(float(spec.state_cost(obs, goal)))
        path.append(centres(obs))
        if render:
            frames.append(env.render())
        success = bool(info["is_success"])
        if terminated or truncated:
            break
    goal_regions = getattr(task, "goal_regions", lambda g: (_mean_of_positions(g),
                                                             np.zeros((1, 2))))
    goal_centres, goal_half_sizes = goal_regions(goal)
    return EpisodeResult(seed, success, costs[-1], steps, times, costs, path,
                         goal_centres.tolist(), goal_half_sizes.tolist(), statuses), frames


def summarize(results: list[EpisodeResult]) -> dict:
    final = np.array([r.final_cost for r in results])
    times = np.concatenate([r.plan_times_s for r in results]) if results else np.zeros(1)
    statuses: dict = {}
    for r in results:
        for k, v in r.statuses.items():
            statuses[k] = statuses.get(k, 0) + v
    return {"episodes": len(results), "success_rate": float(np.mean([r.success for r in results])),
            "final_cost_mean": float(final.mean()), "final_cost_std": float(final.std()),
            "plan_time_median_s": float(np.median(times)),
            "plan_time_p95_s": float(np.percentile(times, 95)),
            "plan_time_max_s": float(np.max(times)), "statuses": statuses}


def evaluate(env_id: str, net: ReluNet, controller_name: str, episodes: int, seed: int,
             config: PlannerConfig, max_steps: int, progress: bool = False,
             render_episodes: int = 0, env_kwargs: dict | None = None, **controller_kwargs):
    """Run ``episodes`` seeded episodes with one controller on one model.

    Returns:
        ``(results, summary, frames)`` where ``frames[i]`` holds the RGB frames of episode
        ``i`` for the first ``render_episodes`` episodes. ``env_kwargs`` go to
        ``envs.make`` (e.g. ``num_objects`` for sorting).
    """
    env = envs.make(env_id, render_mode="rgb_array" if render_episodes else None,
                    max_episode_steps=max_steps, **(env_kwargs or {}))
    base = env.unwrapped
    ctrl = make_controller(controller_name, net, base.cost_spec, base.action_space.low,
                           base.action_space.high, config, base.state_low, base.state_high,
                           **controller_kwargs)
    results, frames = [], []
    try:
        bar = tqdm(episode_seeds(seed, episodes), desc=f"{controller_name}", unit="ep",
                   disable=not progress, leave=False)
        for i, ep_seed in enumerate(bar):
            result, ep_frames = run_episode(env, ctrl, ep_seed, max_steps,
                                            render=i < render_episodes)
            results.append(result)
            if ep_frames:
                frames.append(ep_frames)
            bar.set_postfix(success=f"{np.mean([r.success for r in results]):.2f}")
    finally:
        env.close()
    return results, summarize(results), frames
