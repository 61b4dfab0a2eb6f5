"""Where a learned model fails its planner: errors on the states the planner visits, planned
against realised cost, and why each failed episode failed.

A model's held-out error is measured on the explorer's data; the planner needs it right where
it takes the object (near the goal, in small corrective pushes). :func:`diagnose` runs
closed-loop episodes, records every step (:func:`training.evaluate.run_episode`'s trace) and
measures there:

- **one-step error**: mean squared error of ``net.step(x_t, u_t)`` against ``x_{t+1}`` over
  the visited transitions, beside "no change" (``x_t`` itself);
- **H-step error**: the model rolled out over the *executed* actions for H steps from every
  visited state, against the state the env reached;
- **planned against realised cost**: each plan's model-predicted cost against the cost of
  what happened over the next H steps (the realised states and the actions actually
  executed); a ratio under 1 means the model promised more than the env delivered;
- **failed episodes, classified** (pushing tasks; thresholds in :data:`THRESHOLDS`):
  ``pushes that miss`` (the pusher touched the object in under 15% of the steps), ``wrong
  rotation`` (the object's centre within 2 cm of the goal's, its yaw off by over 10 degrees),
  ``contact lost`` (contact in the episode, none in its last 10 steps), else ``stalls short
  of the goal``. Other tasks: ``stalls short of the goal`` or ``other``;
- **where the pusher ended** (pushing tasks): its distance from the object's keypoint mean
  after the last step, per episode, and over the failed ones the median and how many ended
  more than :data:`WALKED_AWAY_M` away. A GD plan that walks the pusher off at full speed,
  after the object came within centimetres of its goal, is a model that predicts the object
  follows a pusher far from it: exploited where the explorer never went. So the visited
  transitions that start with the pusher that far get the object motion the model predicts
  beside what happened.
"""

from __future__ import annotations

import math

import numpy as np

import envs
from controllers import PlannerConfig
from training.evaluate import controller_for, episode_seeds, run_episode, summarize
from training.progress import Progress
from training.results import DiagnosisResult

THRESHOLDS = {"miss_contact_fraction": 0.15, "near_goal_m": 0.02, "wrong_yaw_deg": 10.0,
              "last_steps": 10, "stall_improvement": 0.05}
WALKED_AWAY_M = 0.2  # the object's half-size plus a whole plan's reach (6 steps x 3 cm) and more
CLASSES = ("pushes that miss", "wrong rotation", "contact lost", "stalls short of the goal",
           "other")


def one_step_errors(net, traces: list[list[dict]]) -> dict:
    """Mean squared one-step error on the visited transitions, and "no change"'s."""
    steps = [s for trace in traces for s in trace]
    x = np.array([s["state"] for s in steps])
    u = np.array([s["action"] for s in steps])
    nxt = np.array([s["next_state"] for s in steps])
    return {"visited_transitions": len(steps),
            "visited_mse_1step": float(((net.step(x, u) - nxt) ** 2).mean()),
            "visited_mse_1step_zero": float(((x - nxt) ** 2).mean())}


def rollout_errors(net, traces: list[list[dict]], horizon: int) -> dict:
    """Mean squared error after ``horizon`` steps of the model over the executed actions, from
    every visited state with ``horizon`` steps after it, and "no change"'s."""
    model, zero = [], []
    for trace in traces:
        starts = len(trace) - horizon + 1
        if starts < 1:
            continue
        x = np.array([trace[t]["state"] for t in range(starts)])
        x0 = x.copy()
        for k in range(horizon):
            x = net.step(x, np.array([trace[t + k]["action"] for t in range(starts)]))
        reached = np.array([trace[t + horizon - 1]["next_state"] for t in range(starts)])
        model.append(((x - reached) ** 2).mean(axis=1))
        zero.append(((x0 - reached) ** 2).mean(axis=1))
    if not model:
        return {"visited_windows": 0, "visited_mse_rollout": None,
                "visited_mse_rollout_zero": None}
    return {"visited_windows": int(sum(len(m) for m in model)),
            "visited_mse_rollout": float(np.concatenate(model).mean()),
            "visited_mse_rollout_zero": float(np.concatenate(zero).mean())}


def planned_against_realised(traces: list[list[dict]], cost, goals, horizon: int) -> dict:
    """Each plan's predicted cost over the realised cost of the next ``horizon`` steps."""
    ratios = []
    for trace, goal in zip(traces, goals, strict=True):
        for t, step in enumerate(trace):
            if step["predicted_cost"] is None or t + horizon > len(trace):
                continue
            window = trace[t:t + horizon]
            realised = cost.plan_cost(np.array([s["next_state"] for s in window]),
                                      np.array([s["action"] for s in window]), goal)
            if realised > 0:
                ratios.append(step["predicted_cost"] / realised)
    if not ratios:
        return {"plans_compared": 0, "planned_over_realised_median": None,
                "plans_optimistic_fraction": None}
    ratios = np.array(ratios)
    return {"plans_compared": len(ratios),
            "planned_over_realised_median": float(np.median(ratios)),
            "plans_optimistic_fraction": float((ratios < 1.0).mean())}


def _pose_error(state: np.ndarray, goal: np.ndarray) -> tuple[float, float]:
    """``(centre distance in m, |yaw error| in degrees)`` of the object keypoints in a push
    state against the goal's (the rotation that best maps one centred set on the other)."""
    points, target = state[:-2].reshape(-1, 2), goal[:-2].reshape(-1, 2)
    a, b = points - points.mean(0), target - target.mean(0)
    cross = float((a[:, 0] * b[:, 1] - a[:, 1] * b[:, 0]).sum())
    dot = float((a * b).sum())
    distance = float(np.linalg.norm(points.mean(0) - target.mean(0)))
    return distance, abs(math.degrees(math.atan2(cross, dot)))


def pusher_distance(states):
    """Metres from the pusher (the last two entries of a push state) to the object's keypoint
    mean: a float for one state, an array for states stacked along the leading axes."""
    states = np.asarray(states, dtype=np.float64)
    points = states[..., :-2].reshape(*states.shape[:-1], -1, 2)
    distance = np.linalg.norm(states[..., -2:] - points.mean(-2), axis=-1)
    return float(distance) if distance.ndim == 0 else distance


def far_pusher_motion(net, traces: list[list[dict]]) -> dict:
    """Over the visited transitions that start with the pusher over :data:`WALKED_AWAY_M` from
    the object: the mean absolute object motion per keypoint coordinate the model predicts
    and what happened (quasi-static pushing: zero). A planner with nothing to gain nearby
    follows any such motion that points at the goal."""
    steps = [s for trace in traces for s in trace]
    x = np.array([s["state"] for s in steps]).reshape(len(steps), -1)
    far = pusher_distance(x) > WALKED_AWAY_M if steps else np.zeros(0, bool)
    if not far.any():
        return {"far_transitions": 0, "far_object_motion_model_m": None,
                "far_object_motion_real_m": None}
    x = x[far]
    u = np.array([s["action"] for s in steps])[far]
    real = np.array([s["next_state"] for s in steps])[far]
    return {"far_transitions": int(far.sum()),
            "far_object_motion_model_m": float(np.abs(net.step(x, u) - x)[:, :-2].mean()),
            "far_object_motion_real_m": float(np.abs(real - x)[:, :-2].mean())}


def pusher_ends(per_episode: list[dict]) -> dict:
    """Median final pusher distance over the failed episodes, and how many walked away."""
    ends = [e["pusher_distance_m"] for e in per_episode
            if e["class"] != "success" and e.get("pusher_distance_m") is not None]
    return {"failed_pusher_distance_median_m": float(np.median(ends)) if ends else None,
            "failed_pusher_walked_away": int(sum(d > WALKED_AWAY_M for d in ends))}


def classify(trace: list[dict], costs: list[float], goal: np.ndarray, pushing: bool) -> str:
    """Why a failed episode failed (see the module docstring)."""
    t = THRESHOLDS
    last = t["last_steps"]
    recent = costs[-last - 1:]
    stalled = len(recent) > 1 and recent[-1] > (1 - t["stall_improvement"]) * recent[0]
    if not pushing:
        return "stalls short of the goal" if stalled else "other"
    contacts = [bool(s["contact"]) for s in trace]
    if not contacts or np.mean(contacts) < t["miss_contact_fraction"]:
        return "pushes that miss"
    distance, yaw = _pose_error(trace[-1]["next_state"], goal)
    if distance < t["near_goal_m"] and yaw > t["wrong_yaw_deg"]:
        return "wrong rotation"
    if any(contacts) and not any(contacts[-last:]):
        return "contact lost"
    return "stalls short of the goal"


def diagnose(env_id: str, net, controller_name: str, episodes: int, seed: int,
             config: PlannerConfig | None = None, max_steps: int = 40,
             env_kwargs: dict | None = None, progress: bool = False) -> DiagnosisResult:
    """Run ``episodes`` seeded closed-loop episodes of ``controller_name`` on ``net`` and
    measure where the model fails (see the module docstring); errors over H = the plan's
    horizon (default: the env's, :func:`envs.default_horizon`)."""
    config = config or PlannerConfig(horizon=envs.default_horizon(env_id))
    env = envs.make(env_id, max_episode_steps=max_steps, **(env_kwargs or {}))
    results, traces, goals, per_episode = [], [], [], []
    pushing = env_id.startswith("mpcnet/Push")
    cost = envs.task_of(env).cost_spec
    try:
        ctrl = controller_for(env, net, controller_name, config)
        bar = Progress(episode_seeds(seed, episodes), desc=f"diagnose {controller_name}",
                       unit="ep", disable=not progress)
        for ep_seed in bar:
            trace: list[dict] = []
            result, _ = run_episode(env, ctrl, ep_seed, max_steps, execute=config.execute,
                                    trace=trace)
            if not trace:  # a success at the start: nothing visited
                label = "success"
            else:
                goal = trace[0]["goal"]
                label = "success" if result.success else classify(trace, result.costs, goal,
                                                                  pushing)
                traces.append(trace)
                goals.append(goal)
            results.append(result)
            per_episode.append({"seed": ep_seed, "class": label, "steps": result.steps,
                                "final_cost": result.final_cost, "costs": result.costs,
                                "pusher_distance_m": (pusher_distance(trace[-1]["next_state"])
                                                      if pushing and trace else None)})
    finally:
        env.close()
    measures = {**one_step_errors(net, traces),
                **rollout_errors(net, traces, config.horizon),
                **planned_against_realised(traces, cost, goals, config.horizon),
                **({**pusher_ends(per_episode), **far_pusher_motion(net, traces)}
                   if pushing else {}),
                "horizon": config.horizon}
    failures = {c: sum(e["class"] == c for e in per_episode) for c in CLASSES}
    return DiagnosisResult(results, summarize(results), measures, failures, per_episode)
