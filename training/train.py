"""Training of ReLU dynamics models with one-step and multi-step rollout losses."""

from __future__ import annotations

import copy
import dataclasses
import logging
import time

import numpy as np
import torch

from mpcnet.data import TransitionData
from mpcnet.errors import ConfigError
from mpcnet.nn.graphnet import (
    DISPLACEMENT_ACTION_DIM,
    PUSH_ACTION_DIM,
    action_kind,
    num_objects_of,
)
from mpcnet.nn.torch_gnn import ReluGNN
from mpcnet.nn.torch_models import ReluMLP, pusher_frame_maps, relative_points_map
from mpcnet.rollout import resolve_device, rollout
from training.augment import check_rotatable, is_planar_push, rotate_windows, rotated_copy
from training.config import TrainConfig
from training.progress import Progress
from training.recipes import epochs_for_steps, recipe_for
from training.results import TrainResult

log = logging.getLogger(__name__)


def split_episodes(data: TransitionData, val_fraction: float, seed: int):
    """Split by whole episodes, so validation measures generalisation to new episodes."""
    ids = data.episodes()
    if len(ids) < 2:
        raise ConfigError(
            f"training data: expected at least 2 episodes to hold one out, got {len(ids)}; "
            "collect more episodes."
        )
    rng = np.random.default_rng(seed)
    n_val = min(len(ids) - 1, max(1, round(val_fraction * len(ids))))
    val = rng.choice(ids, size=n_val, replace=False)
    return data.select_episodes(np.setdiff1d(ids, val)), data.select_episodes(val)


def window_tensors(data: TransitionData, horizon: int, device) -> dict[str, torch.Tensor]:
    """Start states, action sequences and true states of every in-episode window."""
    starts = data.windows(horizon)
    if len(starts) == 0:
        raise ConfigError(
            f"rollout horizon {horizon}: no episode has {horizon} consecutive transitions; "
            "lower --rollout-horizon or collect longer episodes."
        )
    idx = starts[:, None] + np.arange(horizon)
    as_t = lambda a: torch.as_tensor(a, dtype=torch.float32, device=device)  # noqa: E731
    windows = {"x0": as_t(data.states[starts]), "actions": as_t(data.actions[idx]),
               "targets": as_t(data.next_states[idx])}
    weights = loss_weights(data)
    if weights is not None:  # the loss weighs each state entry by its group's weight
        windows["entry_weights"] = as_t(weights * len(weights) / weights.sum())
    return windows


def loss_weights(data: TransitionData) -> np.ndarray | None:
    """Per state entry, the task file's ``[loss_weights]`` weight of its ``[groups]`` group
    (1 for entries in no weighted group); ``None`` without weights."""
    task = data.env_kwargs.get("task", {})
    weighted = dict(task.get("loss_weights", {}))
    if not weighted:
        return None
    weights = np.ones(data.state_dim)
    for name, weight in weighted.items():
        weights[list(task["groups"][name])] = float(weight)  # checked with the task file
    return weights


def resolve_config(data: TransitionData, config: TrainConfig) -> TrainConfig:
    """``config`` with its ``"auto"`` choices made for ``data`` (all of it, before the split):
    on planar pushing data (pusher displacements), turned copies for any model and the pusher
    frame for an MLP; the world frame and the data as collected elsewhere (the graph model of
    sorting included). On Push-v1 the turned copies halved the model's error on the states GD
    visits, at the same success (benchmarks/push_recipe). The hidden sizes and the epochs come
    from the recipe of the data's env (:mod:`training.recipes`)."""
    pushing = is_planar_push(data.state_dim, data.action_dim, data.env_id)
    recipe = recipe_for(data.env_id)
    changes = {}
    if config.frame == "auto":
        changes["frame"] = "pusher" if pushing and config.model == "mlp" else "world"
    if config.augment == "auto":
        changes["augment"] = "rotate" if pushing else "none"
    if config.hidden is None:
        changes["hidden"] = recipe.hidden
    if config.epochs is None:
        changes["epochs"] = recipe.epochs
        if recipe.train_steps:  # the windows of the training split fix the steps per epoch
            train_part, _ = split_episodes(data, config.val_fraction, config.seed)
            windows = len(train_part.windows(config.rollout_horizon))
            changes["epochs"] = epochs_for_steps(recipe.train_steps, windows, config.batch_size)
    return dataclasses.replace(config, **changes) if changes else config


def uses_relative(data: TransitionData, config: TrainConfig) -> bool:
    """Whether the model sees object points relative to the pusher: ``config.relative``, or
    by default where the task has a pusher (the ``mpcnet/`` envs; not, e.g., Pendulum-v1)."""
    if config.relative is not None:
        if config.relative and not data.env_id.startswith("mpcnet/"):
            try:
                relative_points_map(data.state_dim, data.action_dim)
            except ConfigError:
                raise ConfigError(
                    f"relative: {data.env_id} has no pusher to express points relative to; "
                    "use TrainConfig(relative=False) or leave it None (--no-relative on the "
                    "command line).") from None
        return bool(config.relative)
    return data.env_id.startswith("mpcnet/")


def build_model(data: TransitionData, config: TrainConfig):
    """A fresh model (``config.model``) with normalisation statistics from ``data``."""
    config = resolve_config(data, config)
    if config.augment == "rotate":
        check_rotatable(data.state_dim, data.action_dim, data.env_id)
    if config.model == "gnn":
        return build_gnn(data, config)
    n, m = data.state_dim, data.action_dim
    maps = {}
    if config.frame == "pusher":  # objects relative to the pusher in, their motion out
        output_map, action_map = pusher_frame_maps(n, m)
        maps = {"output_map": output_map, "action_map": action_map}
    relative = uses_relative(data, config) or config.frame == "pusher"
    input_map = relative_points_map(n, m) if relative else np.eye(n + m)
    model = ReluMLP(n, m, list(config.hidden), input_map, **maps)
    states, actions, next_states = data.states, data.actions, data.next_states
    if config.augment == "rotate":  # statistics of the data the model will be trained on
        states, actions, next_states = rotated_copy(states, actions, next_states, config.seed)
    feats = np.concatenate([states, actions], axis=1) @ input_map.T
    delta = next_states - states
    if maps:  # the network's targets: the part of the change the action does not explain
        delta = (delta - actions @ maps["action_map"].T) @ maps["output_map"]
    model.set_normalization(feats.mean(0), feats.std(0), delta.mean(0), delta.std(0))
    return model


def _check_gnn_data(data: TransitionData) -> None:
    n, m = data.state_dim, data.action_dim
    # displacements where the state is a chain of points the env calls its objects (the
    # rope's keypoints); a Push env's box corners are one rigid body, not objects
    chain = m == DISPLACEMENT_ACTION_DIM and data.env_id.startswith("mpcnet/Rope")
    if not (m == PUSH_ACTION_DIM or chain) or n < 4 or n % 2:
        raise ConfigError(
            f"--model gnn: expected object-centric data (states of 2N+2 positions, then push "
            f"primitives of {PUSH_ACTION_DIM} numbers as from mpcnet/Sort-v0 or pusher "
            f"displacements of 2 as from mpcnet/Rope-v0), got states of {n} and actions of {m} "
            f"from {data.env_id}; use --model mlp for this data.")


def check_trainable(data: TransitionData, config: TrainConfig) -> None:
    """Everything :func:`train` would refuse about ``data`` and ``config``, checked without
    training (so a command can refuse before it creates its run directory)."""
    config = resolve_config(data, config)
    train_data, val_data = split_episodes(data, config.val_fraction, config.seed)
    resolve_device(config.device)
    if config.augment == "rotate":
        check_rotatable(data.state_dim, data.action_dim, data.env_id)
    if config.model == "gnn":
        _check_gnn_data(data)
    elif config.frame == "pusher":
        pusher_frame_maps(data.state_dim, data.action_dim)
    elif uses_relative(data, config):
        relative_points_map(data.state_dim, data.action_dim)
    for part, name in ((train_data, "training"), (val_data, "validation")):
        if len(part.windows(config.rollout_horizon)) == 0:
            raise ConfigError(
                f"rollout horizon {config.rollout_horizon}: no {name} episode has "
                f"{config.rollout_horizon} consecutive transitions; lower --rollout-horizon "
                "or collect longer episodes.")


def build_gnn(data: TransitionData, config: TrainConfig) -> ReluGNN:
    """A fresh graph model; its length scale is the spread of push starts around objects."""
    _check_gnn_data(data)
    objects = num_objects_of(data.state_dim)
    p = data.states[:, :2 * objects].reshape(-1, objects, 2)
    action = action_kind(data.action_dim)
    starts = data.states[:, -2:] if action == "displacement" else data.actions[:, :2]
    start_offsets = starts[:, None, :] - p
    moves = (data.next_states - data.states)[:, :2 * objects].reshape(-1, 2)
    model = ReluGNN(list(config.relation_hidden), list(config.object_hidden), config.effect_dim,
                    action, config.edges)
    model.set_normalization(float(start_offsets.std()), moves.mean(0), moves.std(0))
    return model


def state_groups(data: TransitionData) -> dict[str, list[int]]:
    """State entries reported apart in the metrics, by name: ``objects`` (every entry but
    the pusher's, the last two) on the mpcnet envs, the task file's ``[groups]`` on others."""
    if data.env_id.startswith("mpcnet/"):
        return {"objects": list(range(data.state_dim - 2))}
    return {str(k): list(v) for k, v in data.env_kwargs.get("task", {}).get("groups", {}).items()}


def error_units(data_or_env_id) -> str:
    """The unit of a squared state error in summaries: m^2 on the mpcnet envs, the task
    file's ``units`` (none by default) elsewhere."""
    if isinstance(data_or_env_id, TransitionData):
        if data_or_env_id.env_id.startswith("mpcnet/"):
            return "m^2"
        return str(data_or_env_id.env_kwargs.get("task", {}).get("units", ""))
    return "m^2" if str(data_or_env_id).startswith("mpcnet/") else ""


class ValidationSet:
    """Held-out tensors, built once and reused every epoch.

    ``rollout_mse`` is what training watches each epoch; ``metrics`` adds the 1-step error
    and the "no change" baselines (squared state units, averaged over state dimensions).
    """

    def __init__(self, data: TransitionData, horizon: int, device) -> None:
        as_t = lambda a: torch.as_tensor(a, dtype=torch.float32, device=device)  # noqa: E731
        self.x, self.u, self.y = as_t(data.states), as_t(data.actions), as_t(data.next_states)
        self.windows = window_tensors(data, horizon, device)
        self.groups = state_groups(data)

    @torch.no_grad()
    def rollout_mse(self, model) -> float:
        """Error of ``horizon``-step open-loop rollouts over all steps of every window."""
        model.eval()
        w = self.windows
        return ((rollout(model, w["x0"], w["actions"]) - w["targets"]) ** 2).mean().item()

    @torch.no_grad()
    def metrics(self, model) -> dict[str, float]:
        """Errors over the whole state, and over each state group ``g`` alone
        (``val_mse_*_{g}``, see :func:`state_groups`), each with its "no change" baseline."""
        model.eval()
        w = self.windows
        pred = rollout(model, w["x0"], w["actions"])
        zero = w["x0"][:, None, :].expand_as(w["targets"])
        mse = lambda a, b: ((a - b) ** 2).mean().item()  # noqa: E731
        one_step = model(self.x, self.u)
        out = {"val_mse_1step": mse(one_step, self.y),
               "val_mse_rollout": mse(pred, w["targets"]),
               "val_mse_1step_zero": mse(self.x, self.y),
               "val_mse_rollout_zero": mse(zero, w["targets"]),
               "val_windows": int(w["x0"].shape[0])}
        for name, idx in self.groups.items():
            g = lambda a, idx=idx: a[..., idx]  # noqa: E731
            out.update({f"val_mse_1step_{name}": mse(g(one_step), g(self.y)),
                        f"val_mse_1step_{name}_zero": mse(g(self.x), g(self.y)),
                        f"val_mse_rollout_{name}": mse(g(pred), g(w["targets"])),
                        f"val_mse_rollout_{name}_zero": mse(g(zero), g(w["targets"]))})
        return out


def evaluate(model, data: TransitionData, horizon: int, device) -> dict[str, float]:
    """Mean squared errors on ``data`` (see :class:`ValidationSet`)."""
    return ValidationSet(data, horizon, device).metrics(model)


def train_epoch(model, windows: dict[str, torch.Tensor], opt, config: TrainConfig,
                gen: torch.Generator, before_batch=None, teacher=None) -> float:
    """One pass over the windows in random order; returns the mean batch loss.

    The loss is the one-step error plus ``rollout_weight`` times the error of the open-loop
    rollout over the whole window, both divided by the mean squared output scale so they are
    dimensionless. ``before_batch(model)`` may return an extra loss term (or ``None``).
    With a ``teacher`` (:class:`training.distill.Teacher`), its rollouts are the targets.
    """
    model.train()
    n_windows = windows["x0"].shape[0]
    scale = model.out_std.pow(2).mean()
    order = torch.randperm(n_windows, generator=gen).to(windows["x0"].device)
    total = 0.0
    for batch in order.split(config.batch_size):
        extra = before_batch(model) if before_batch is not None else None
        x0, acts, targ = (windows[k][batch] for k in ("x0", "actions", "targets"))
        if config.augment == "rotate":
            x0, acts, targ = rotate_windows(x0, acts, targ, gen)
        if teacher is not None:
            acts, targ = teacher.relabel(x0, acts, gen)
        pred = rollout(model, x0, acts)
        squared = (pred - targ) ** 2
        if "entry_weights" in windows:  # a task's [loss_weights] (mean weight 1)
            squared = squared * windows["entry_weights"]
        loss = squared[:, 0].mean() / scale
        loss = loss + config.rollout_weight * squared.mean() / scale
        if extra is not None:
            loss = loss + extra
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        total += loss.item() * len(batch)
    return total / n_windows


def _stop_reason(config: TrainConfig, steps: int, seconds: float, since_best: int) -> str:
    """Why training stops after this epoch (``""``: it goes on)."""
    if config.max_steps and steps >= config.max_steps:
        return "max_steps"
    if config.max_seconds and seconds >= config.max_seconds:
        return "max_seconds"
    if config.patience and since_best >= config.patience:
        return "patience"
    return ""


def fit(model: ReluMLP, train: TransitionData, val: TransitionData, config: TrainConfig,
        progress: bool = False, epochs: int | None = None, desc: str = "train",
        teacher=None) -> dict:
    """Train ``model`` in place; keep the weights with the best validation rollout error
    (on ``val``'s data, also when a ``teacher`` gives the training targets).

    Training runs ``epochs`` passes, or stops earlier at the end of the epoch that reaches
    ``config.max_steps`` gradient steps, ``config.max_seconds`` of training, or
    ``config.patience`` epochs without a better validation rollout error.

    Returns:
        A history dict with per-epoch training loss and validation rollout MSE, and
        ``epochs_run``, ``stopped`` (``"epochs"``, ``"max_steps"``, ``"max_seconds"`` or
        ``"patience"``), ``gradient_steps``, ``train_seconds`` and
        ``transitions_per_second`` (training transitions seen per second of training).
    """
    config = resolve_config(train, config)
    device = resolve_device(config.device)
    model.to(device)
    torch.manual_seed(config.seed)
    windows = window_tensors(train, config.rollout_horizon, device)
    opt = torch.optim.Adam(model.parameters(), lr=config.lr)
    epochs = epochs or config.epochs
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs)
    gen = torch.Generator(device="cpu").manual_seed(config.seed)
    validation = ValidationSet(val, config.rollout_horizon, device)
    best, best_state, history = float("inf"), None, {"loss": [], "val_mse_rollout": []}
    steps_per_epoch = -(-windows["x0"].shape[0] // config.batch_size)
    steps, since_best, seconds, stopped = 0, 0, 0.0, "epochs"
    bar = Progress(range(epochs), desc=desc, unit="epoch", disable=not progress, leave=False)
    for _ in bar:
        start = time.perf_counter()
        loss = train_epoch(model, windows, opt, config, gen, teacher=teacher)
        sched.step()
        seconds += time.perf_counter() - start
        steps += steps_per_epoch
        val_mse = validation.rollout_mse(model)
        history["loss"].append(loss)
        history["val_mse_rollout"].append(val_mse)
        since_best += 1
        if val_mse < best:
            best, best_state, since_best = val_mse, copy.deepcopy(model.state_dict()), 0
        bar.set_postfix(loss=f"{loss:.4f}", val_rollout=f"{val_mse:.2e}")
        reason = _stop_reason(config, steps, seconds, since_best)
        if reason:
            stopped = reason
            break
    if best_state is not None:
        model.load_state_dict(best_state)
    epochs_run = len(history["loss"])
    history.update(epochs_run=epochs_run, stopped=stopped, gradient_steps=steps,
                   train_seconds=seconds,
                   transitions_per_second=len(train) * epochs_run / max(seconds, 1e-9))
    return history


def train(data: TransitionData, config: TrainConfig | None = None,
          progress: bool = False) -> TrainResult:
    """Split, build, fit and evaluate a dynamics model.

    Returns:
        The model (on the CPU, in eval mode), its figures and history, and the config and
        episode split it was trained with. ``config`` defaults to ``TrainConfig()``.
    """
    config = resolve_config(data, config or TrainConfig())
    torch.manual_seed(config.seed)
    train_data, val_data = split_episodes(data, config.val_fraction, config.seed)
    model = build_model(train_data, config)
    history = fit(model, train_data, val_data, config, progress=progress)
    device = resolve_device(config.device)
    metrics = evaluate(model, val_data, config.rollout_horizon, device)
    model.cpu().eval()
    metrics.update({key: history[key] for key in ("epochs_run", "stopped", "gradient_steps",
                                                  "train_seconds", "transitions_per_second")})
    metrics.update({"rollout_horizon": config.rollout_horizon, "relus": model.relu_count,
                    "train_transitions": len(train_data), "val_transitions": len(val_data),
                    "val_episodes": len(val_data.episodes()), "device": str(device)})
    log.info("validation: 1-step MSE %.3g, %d-step rollout MSE %.3g (no change: %.3g)",
             metrics["val_mse_1step"], config.rollout_horizon, metrics["val_mse_rollout"],
             metrics["val_mse_rollout_zero"])
    return TrainResult(model, metrics, history, config, train_data, val_data)
