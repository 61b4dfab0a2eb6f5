"""Closed-loop evaluation of controllers on an environment."""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

import envs
from controllers import PlannerConfig, make_controller
from mpcnet.artifacts import read_json, write_json
from mpcnet.errors import ArtifactError, ConfigError
from mpcnet.nn.relunet import ReluNet
from training.progress import Progress
from training.results import EvaluationResult

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
        statuses: How often each controller status occurred (MIP: optimal, time_limit, ...,
            ``fallback_warm_infeasible`` when the state box refused the warm start).
        reward: The env's own return (sum of its rewards), beside the task cost.
        violations: Point-in-obstacle overlaps summed over the steps (envs with obstacles,
            ``info["violations"]``; zero elsewhere).
        violated: Whether the episode ended on an obstacle violation.
        obstacles: The episode's obstacle boxes ``(k, 4)`` (empty without obstacles).
        actions: The action applied at every env step ``(steps, m)`` (empty in files written
            before it was recorded).
        recorded: The env's ``info`` values a task file's ``[record] info`` names, one list
            per key with a value per env step (``None`` where the step's info lacked it).
        improved_steps: Control steps whose plan the MILP made better than its warm start
            under the model (``None`` for planners that do not report it): where it stays at
            zero, the MIP ran as its warm start.
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
    reward: float | None = None
    violations: int = 0
    violated: bool = False
    obstacles: list = dataclasses.field(default_factory=list)
    actions: list = dataclasses.field(default_factory=list)
    recorded: dict = dataclasses.field(default_factory=dict)
    improved_steps: int | None = None

    def to_dict(self) -> dict:
        return asdict(self)


def episode_seeds(seed: int, episodes: int) -> list[int]:
    return [int(s) for s in np.random.SeedSequence(seed).generate_state(episodes)]


def _mean_of_positions(state) -> np.ndarray:
    """``(1, 2)``: mean of the (x, y) pairs before the pusher's, for envs that do not say
    where their objects are (``object_centres``) or what their goal regions are."""
    return np.asarray(state, dtype=np.float64)[:-2].reshape(-1, 2).mean(0, keepdims=True)


def _traced(state, action, next_state, info: dict, goal: np.ndarray, step) -> dict:
    """One env step of a trace; ``step`` is the controller's plan when this step planned."""
    return {"state": np.asarray(state, np.float64), "action": np.asarray(action, np.float64),
            "next_state": np.asarray(next_state, np.float64), "contact": info.get("contact"),
            "goal": goal, "plan": None if step is None else np.asarray(step.plan),
            "predicted_cost": None if step is None else step.predicted_cost}


def run_episode(env, controller, seed: int, max_steps: int, render: bool = False,
                execute: int = 1, trace: list | None = None):
    """Run one episode; returns ``(EpisodeResult, frames)`` (frames empty unless render).

    Each plan's first ``execute`` actions are applied before the controller plans again
    (fewer if the episode ends); ``steps`` counts env steps, ``plan_times_s`` plans. With a
    ``trace`` list, every env step appends ``{state, action, next_state, contact, goal, plan,
    predicted_cost}`` to it (``plan`` and its model-predicted cost: the plan the action came
    from, on the step that planned it, else ``None``).
    """
    obs, info = env.reset(seed=seed)
    goal = np.asarray(info["goal"], dtype=np.float64)
    task = envs.task_of(env)
    spec = task.cost_spec
    if spec.has_obstacles:  # this episode's boxes: every planner scores plans by them
        if not hasattr(controller, "set_obstacles"):
            raise ConfigError(f"{type(controller).__name__} does not plan around obstacles; "
                              "use one of mpcnet's planners.")
        controller.set_obstacles(spec.obstacles)
    controller.reset(seed, goal)
    simulator = _simulator_of(controller)
    if simulator is not None:  # the reference model follows the real episode step by step
        simulator.start(seed)
    object_centres = getattr(task, "object_centres", _mean_of_positions)
    centres = lambda o: object_centres(o).tolist()  # noqa: E731
    costs, path, times, statuses = [float(spec.state_cost(obs, goal))], [centres(obs)], [], {}
    actions = []
    recorded = {key: [] for key in getattr(getattr(task, "task", None), "record_info", ())}
    frames = [env.render()] if render else []
    steps, success, done, reward = 0, bool(info["is_success"]), False, 0.0
    violations, violated, improved = 0, False, None
    try:
        while steps < max_steps and not done:
            step = controller.act(obs)
            times.append(step.plan_time_s)
            statuses[step.status] = statuses.get(step.status, 0) + 1
            if "improved" in (step.info or {}):
                improved = (improved or 0) + bool(step.info["improved"])
            applied = 0
            for action in np.asarray(step.plan)[:execute]:
                before = obs
                obs, r, terminated, truncated, info = env.step(action.astype(np.float32))
                actions.append(action.astype(np.float32).tolist())
                for key, values in recorded.items():
                    values.append(_json_value(info.get(key)))
                if trace is not None:
                    trace.append(_traced(before, action, obs, info, goal,
                                         step if applied == 0 else None))
                if simulator is not None:
                    simulator.applied(action, obs)
                steps, applied, reward = steps + 1, applied + 1, reward + float(r)
                costs.append(float(spec.state_cost(obs, goal)))
                path.append(centres(obs))
                if render:
                    frames.append(env.render())
                success = bool(info["is_success"])
                violations += int(info.get("violations", 0))
                violated = violated or bool(info.get("violated", False))
                done = terminated or truncated
                if done or steps >= max_steps:
                    break
            if hasattr(controller, "executed"):
                controller.executed(applied)
    finally:
        if simulator is not None:
            simulator.finish()
    goal_regions = getattr(task, "goal_regions", lambda g: (_mean_of_positions(g),
                                                             np.zeros((1, 2))))
    goal_centres, goal_half_sizes = goal_regions(goal)
    return EpisodeResult(seed, success, costs[-1], steps, times, costs, path,
                         goal_centres.tolist(), goal_half_sizes.tolist(), statuses,
                         reward, violations, violated,
                         np.asarray(info.get("obstacles", np.zeros((0, 4)))).tolist(),
                         actions, recorded, improved), frames


def _json_value(value):
    """An info value as JSON: numbers and arrays as lists, anything else as its text."""
    if value is None:
        return None
    try:
        return np.asarray(value, dtype=np.float64).tolist()
    except (TypeError, ValueError):
        return str(value)


def _steps_to_success(results: list[EpisodeResult]) -> float | None:
    """Median env steps of the successful episodes (they end on success), ``None`` if none."""
    steps = [r.steps for r in results if r.success]
    return float(np.median(steps)) if steps else None


def summarize(results: list[EpisodeResult]) -> dict:
    final = np.array([r.final_cost for r in results])
    times = np.concatenate([r.plan_times_s for r in results]) if results else np.zeros(1)
    statuses: dict = {}
    for r in results:
        for k, v in r.statuses.items():
            statuses[k] = statuses.get(k, 0) + v
    rewards = [r.reward for r in results]
    known = bool(results) and None not in rewards
    reported = [r for r in results if r.improved_steps is not None]
    decisions = sum(len(r.plan_times_s) for r in reported)
    return {"improved_rate": (sum(r.improved_steps for r in reported) / decisions
                              if decisions else None),
            "episodes": len(results), "success_rate": float(np.mean([r.success for r in results])),
            "reward_mean": float(np.mean(rewards)) if known else None,
            "reward_std": float(np.std(rewards)) if known else None,
            "final_cost_mean": float(final.mean()), "final_cost_std": float(final.std()),
            "plan_time_median_s": float(np.median(times)),
            "plan_time_p95_s": float(np.percentile(times, 95)),
            "plan_time_max_s": float(np.max(times)), "statuses": statuses,
            "steps_to_success_median": _steps_to_success(results),
            "violations_mean": float(np.mean([r.violations for r in results])) if results else 0.0,
            "violated_rate": float(np.mean([r.violated for r in results])) if results else 0.0}


class EpisodeStore:
    """Finished episodes of one controller on one model, one JSON file each, written
    atomically as each episode ends, so an interrupted run keeps them and can continue."""

    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)

    def _path(self, index: int) -> Path:
        return self.directory / f"episode_{index:05d}.json"

    def load(self, index: int, seed: int) -> EpisodeResult | None:
        """Episode ``index`` if it was finished with this ``seed``, else ``None``."""
        path = self._path(index)
        if not path.is_file():
            return None
        saved = read_json(path, what="finished episode")
        if saved.get("seed") != seed:
            raise ArtifactError(f"{path}: episode {index} was run with seed {saved.get('seed')}, "
                                f"this run needs {seed}; resume with the original --seed.")
        try:
            return EpisodeResult(**saved)
        except TypeError as exc:
            raise ArtifactError(f"{path}: not an episode written by this version of mpcnet "
                                f"({exc}); remove it to run that episode again.") from None

    def save(self, index: int, result: EpisodeResult) -> None:
        write_json(self._path(index), result.to_dict())


def _simulator_of(controller):
    """The simulator model a controller plans with, or ``None`` for a network."""
    net = getattr(controller, "net", None)
    return net if getattr(net, "mirrors_env", False) else None


# the planners that need only predictions: the simulator reference runs these
SAMPLING_ONLY = ("mppi", "cem", "random", "hold")


def unsupported(net, controller_name: str) -> str | None:
    """Why ``controller_name`` cannot plan with ``net``, or ``None`` if it can."""
    if getattr(net, "mirrors_env", False) and controller_name not in SAMPLING_ONLY:
        return (f"{controller_name} needs a ReLU network (gradients or a MILP); the simulator "
                f"'sim' runs {', '.join(SAMPLING_ONLY)}")
    return None


def sim_planner_config(config: PlannerConfig) -> PlannerConfig:
    """The simulator's planner settings: a fixed number of iterations (its rollouts are slow,
    so a time budget would cut them short; its plan times are reported, not capped) and
    fewer samples where the config leaves them to the planner; MPPI and CEM return the best
    sample seen, which on the simulator is exact (CEM on Push-v0, 10 episodes: 0.90 success
    with it, 0.50 with the elite mean)."""
    from envs.simulator import SIM_ITERATIONS, SIM_SAMPLES

    return dataclasses.replace(
        config, iterations=config.iterations or SIM_ITERATIONS,
        samples=config.samples or SIM_SAMPLES, return_best=True)


def controller_for(env, net: ReluNet, controller_name: str, config: PlannerConfig,
                   **controller_kwargs):
    """A controller for ``env``'s cost, action box and state box."""
    reason = unsupported(net, controller_name)
    if reason:
        raise ConfigError(f"{reason}; choose one of those for it.")
    if getattr(net, "mirrors_env", False):
        config = sim_planner_config(config)
    base = envs.task_of(env)
    return make_controller(controller_name, net, base.cost_spec, base.action_space.low,
                           base.action_space.high, config, base.state_low, base.state_high,
                           **controller_kwargs)


def build_controller(env_id: str, net: ReluNet, controller_name: str, config: PlannerConfig,
                     env_kwargs: dict | None = None, **controller_kwargs):
    """The controller :func:`evaluate` would build, from an env made only for it (so a command
    can build it, and see it refuse a budget, before it writes anything)."""
    env = envs.make(env_id, **(env_kwargs or {}))
    try:
        return controller_for(env, net, controller_name, config, **controller_kwargs)
    finally:
        env.close()


def evaluate(env_id: str, net: ReluNet, controller_name: str, episodes: int, seed: int,
             config: PlannerConfig | None = None, max_steps: int = 40, progress: bool = False,
             render_episodes: int = 0, env_kwargs: dict | None = None, controller=None,
             store: EpisodeStore | None = None, **controller_kwargs):
    """Run ``episodes`` seeded episodes with one controller on one model.

    Args:
        controller: A controller made by :func:`build_controller` (default: build one).
        store: Where each finished episode is written; episodes already there (from an
            interrupted run with the same seeds) are read instead of run again.

        config: The planner's settings (default: ``PlannerConfig`` at 200 ms with the env's
            horizon, :func:`envs.default_horizon`).
        env_kwargs: Go to ``envs.make`` (e.g. ``num_objects`` for sorting).

    Returns:
        The episodes, their summary, and ``frames[i]``: the RGB frames of episode ``i`` for
        the first ``render_episodes`` episodes.
    """
    config = config or PlannerConfig(horizon=envs.default_horizon(env_id))
    env = envs.make(env_id, render_mode="rgb_array" if render_episodes else None,
                    max_episode_steps=max_steps, **(env_kwargs or {}))
    results, frames = [], []
    try:
        ctrl = controller or controller_for(env, net, controller_name, config,
                                            **controller_kwargs)
        bar = Progress(episode_seeds(seed, episodes), desc=f"{controller_name}", unit="ep",
                   disable=not progress, leave=False)
        for i, ep_seed in enumerate(bar):
            result = store.load(i, ep_seed) if store is not None else None
            if result is None:
                result, ep_frames = run_episode(env, ctrl, ep_seed, max_steps,
                                                render=i < render_episodes,
                                                execute=config.execute)
                if store is not None:
                    store.save(i, result)
                if ep_frames:
                    frames.append(ep_frames)
            results.append(result)
            bar.set_postfix(success=f"{np.mean([r.success for r in results]):.2f}")
    finally:
        env.close()
    return EvaluationResult(results, summarize(results), frames)
