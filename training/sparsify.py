"""Progressive sparsification of a trained ReLU dynamics model, and a magnitude baseline.

The progressive method trains the weights and the relaxed ReLU / identity / removed choice of
every neuron together (:mod:`mpcnet.nn.sparsity`) while a schedule lowers the ReLU budget
geometrically from the dense count to ``K`` and anneals the temperature; then the choice is
made hard and the weights are fine-tuned with the structure fixed. With ``distill`` both
phases learn the dense model's rollouts (:mod:`training.distill`) instead of the data's.

The baseline prunes in one shot: the ``K`` neurons with the largest ``|w_in| * |w_out|`` stay
ReLU, all others are removed, and the weights are fine-tuned for as many epochs as the
progressive method trains in total.
"""

from __future__ import annotations

import dataclasses
import logging
import math

import torch

from mpcnet.data import TransitionData
from mpcnet.errors import ConfigError
from mpcnet.nn.gated import GatedReluModel
from mpcnet.nn.sparsity import RELU, REMOVED, Sparsifiable, neuron_magnitudes
from training.config import SparsifyConfig, TrainConfig
from training.distill import Teacher
from training.progress import Progress
from training.recipes import recipe_for
from training.results import ProgressiveResult, SparsifyResult
from training.train import (
    ValidationSet,
    fit,
    resolve_config,
    resolve_device,
    train_epoch,
    window_tensors,
)

log = logging.getLogger(__name__)


def distills_by_default(data: TransitionData) -> bool:
    """What ``distill=None`` (auto) means for ``data``: on for the Push envs, where it was
    measured to help the planners (benchmarks/push_recipe); off elsewhere, unmeasured."""
    return data.env_id.startswith("mpcnet/Push")


def resolve_sparsify_config(data: TransitionData, config: SparsifyConfig) -> SparsifyConfig:
    """``config`` with its automatic choices made for ``data``: ``distill``, and the epochs
    from the recipe of the data's env (:mod:`training.recipes`)."""
    recipe = recipe_for(data.env_id)
    auto = {"distill": distills_by_default(data), "relaxed_epochs": recipe.relaxed_epochs,
            "finetune_epochs": recipe.finetune_epochs}
    changes = {name: value for name, value in auto.items() if getattr(config, name) is None}
    return dataclasses.replace(config, **changes) if changes else config


def check_budget(model: GatedReluModel, config: SparsifyConfig) -> None:
    """Refuse budgets the model cannot meet, with a message that says what to do."""
    dense = model.relu_count
    if config.relus > dense:
        raise ConfigError(
            f"relus: the budget K={config.relus} exceeds the model's {dense} ReLUs; "
            f"choose K <= {dense}."
        )
    neurons = sum(model.hidden_sizes)
    if config.keep > neurons:
        raise ConfigError(f"keep: the budget N={config.keep} exceeds the model's {neurons} "
                          f"hidden neurons; choose N <= {neurons} or -1.")


def budget_schedule(start: float, end: float, fraction: float) -> float:
    """Geometric interpolation from ``start`` to ``end`` (``fraction`` in [0, 1]).

    Geometric, because removing the first half of the ReLUs is much easier than the last
    few: the budget falls fast while it is large and slowly near ``K``. ``+1`` keeps a zero
    budget well defined.
    """
    fraction = min(max(fraction, 0.0), 1.0)
    return (start + 1.0) * ((end + 1.0) / (start + 1.0)) ** fraction - 1.0


@dataclasses.dataclass(frozen=True)
class EpochSetting:
    """What one relaxed epoch trains under, and how many ReLU candidates survive it."""

    relu_budget: float
    keep_budget: float | None
    temperature: float
    withdraw: int | None  # staged: after this epoch only this many neurons may stay ReLUs


def epoch_setting(config: SparsifyConfig, epoch: int, dense_relus: int,
                  neurons: int) -> EpochSetting:
    """The budget and temperature of relaxed epoch ``epoch`` under ``config.schedule``.

    ``geometric``: the budget falls every epoch over the first ``schedule_fraction`` of the
    epochs and the temperature anneals once over all of them. ``staged``: the epochs are cut
    into ``stages`` stages; each holds one budget of the same geometric sequence, anneals the
    temperature anew, and ends with a hard choice among the ReLUs (the neurons outside the
    stage's budget lose the ReLU option for good), so each stage chooses among the survivors
    of the one before; the last stage's budget is ``K``.
    """
    keep = None if config.keep < 0 else config.keep
    epochs, t0, t1 = config.relaxed_epochs, config.temperature_start, config.temperature_end
    if config.schedule == "geometric":
        fraction = (epoch + 1) / max(1.0, config.schedule_fraction * epochs)
        position, length, ends_a_stage = epoch, epochs, False
    else:
        stages = min(config.stages, epochs)
        stage = epoch * stages // epochs
        start, end = (-(-s * epochs // stages) for s in (stage, stage + 1))
        fraction, position, length = (stage + 1) / stages, epoch - start, end - start
        ends_a_stage = epoch == end - 1 and stage < stages - 1  # the last stage ends by harden
    relu_budget = budget_schedule(dense_relus, config.relus, fraction)
    return EpochSetting(
        relu_budget=relu_budget,
        keep_budget=None if keep is None else budget_schedule(neurons, keep, fraction),
        temperature=t0 * (t1 / t0) ** (position / max(1, length - 1)),
        withdraw=math.ceil(relu_budget - 1e-9) if ends_a_stage else None)


def _structure_metrics(model: GatedReluModel) -> dict:
    net = model.export()
    neurons = sum(model.hidden_sizes)
    return {"relus_after": net.relu_count, "identity_neurons": net.identity_count,
            "removed_neurons": neurons - net.relu_count - net.identity_count,
            "hidden_after": net.hidden_sizes}


def sparsify_progressive(base: GatedReluModel, train: TransitionData, val: TransitionData,
                         config: SparsifyConfig, train_config: TrainConfig,
                         progress: bool = False) -> ProgressiveResult:
    """The progressive three-way sparsification: the plain sparse model and its history."""
    check_budget(base, config)
    config = resolve_sparsify_config(train, config)
    device = resolve_device(config.device)
    torch.manual_seed(config.seed)
    model = Sparsifiable(base).to(device)
    gates = model.relaxed
    dense_relus, neurons = base.relu_count, sum(base.hidden_sizes)
    keep = None if config.keep < 0 else config.keep
    weights = [p for name, p in model.named_parameters() if not name.startswith("relaxed.")]
    opt = torch.optim.Adam([{"params": weights, "lr": config.lr},
                            {"params": [gates.logits], "lr": config.gate_lr}])
    tcfg = resolve_config(train, dataclasses.replace(train_config, seed=config.seed,
                                                     device=config.device))
    windows = window_tensors(train, tcfg.rollout_horizon, device)
    teacher = (Teacher.of(base, windows, config.distill_random_actions) if config.distill
               else None)
    validation = ValidationSet(val, tcfg.rollout_horizon, device)
    gen = torch.Generator(device="cpu").manual_seed(config.seed)
    history = {"relu_budget": [], "expected_relus": [], "relu_candidates": [],
               "val_mse_rollout": []}
    epochs = config.relaxed_epochs
    bar = Progress(range(epochs), desc=f"sparsify K={config.relus}", unit="epoch",
                   disable=not progress, leave=False)
    for epoch in bar:
        step = epoch_setting(config, epoch, dense_relus, neurons)
        gates.relu_budget, gates.temperature = step.relu_budget, step.temperature
        if step.keep_budget is not None:
            gates.keep_budget = step.keep_budget
        train_epoch(model, windows, opt, tcfg, gen, before_batch=_refresh, teacher=teacher)
        _refresh(model)
        if step.withdraw is not None:
            gates.withdraw_relus(step.withdraw)
            _refresh(model)
        val_mse = validation.rollout_mse(model)
        expected = gates.expected_counts()[0]
        history["relu_budget"].append(gates.relu_budget)
        history["expected_relus"].append(expected)
        history["relu_candidates"].append(int(gates.relu_allowed.sum()))
        history["val_mse_rollout"].append(val_mse)
        bar.set_postfix(budget=f"{gates.relu_budget:.1f}", val_rollout=f"{val_mse:.2e}")
    choice = gates.harden(config.relus, keep)
    model.fix_structure(choice)
    sparse = model.to_plain()
    tune = dataclasses.replace(tcfg, lr=config.lr)
    if config.finetune_epochs:
        history["finetune"] = fit(sparse, train, val, tune, progress=progress,
                                  epochs=config.finetune_epochs, desc="fine-tune",
                                  teacher=teacher)
    return ProgressiveResult(sparse.cpu().eval(), history)


def _refresh(model: Sparsifiable) -> None:
    """Recompute the projected choice probabilities from the current logits."""
    model.relaxed.probabilities()


def magnitude_prune(base: GatedReluModel, train: TransitionData, val: TransitionData,
                    config: SparsifyConfig, train_config: TrainConfig,
                    progress: bool = False) -> GatedReluModel:
    """One-shot magnitude pruning to ``K`` ReLUs (others removed), then fine-tuning."""
    check_budget(base, config)
    config = resolve_sparsify_config(train, config)
    scores = neuron_magnitudes(base)
    choice = torch.full_like(scores, REMOVED, dtype=torch.long)
    choice[torch.argsort(scores, descending=True)[:config.relus]] = RELU
    model = Sparsifiable(base)
    model.fix_structure(choice)
    pruned = model.to_plain()
    tcfg = dataclasses.replace(train_config, seed=config.seed, device=config.device,
                               lr=config.lr)
    fit(pruned, train, val, tcfg, progress=progress,
        epochs=config.relaxed_epochs + config.finetune_epochs, desc="magnitude fine-tune")
    return pruned.cpu().eval()


def sparsify(base: GatedReluModel, train: TransitionData, val: TransitionData,
             config: SparsifyConfig, train_config: TrainConfig,
             progress: bool = False) -> SparsifyResult:
    """Run the progressive method and (``config.baseline``) the baseline at one budget and
    measure both.

    Returns:
        The sparse model, the baseline's (``None`` without it, and its ``magnitude_*``
        metrics ``None``), the metrics of both and the dense model, and the history.
    """
    device = resolve_device(config.device)
    horizon = train_config.rollout_horizon
    validation = ValidationSet(val, horizon, device)
    dense = validation.metrics(base.to(device))
    progressive = sparsify_progressive(base, train, val, config, train_config, progress)
    sparse, history = progressive.model, progressive.history
    ours = validation.metrics(sparse.to(device))
    magnitude, theirs = None, dict.fromkeys(ours)  # without the baseline its figures are None
    if config.baseline:
        magnitude = magnitude_prune(base, train, val, config, train_config, progress)
        theirs = validation.metrics(magnitude.to(device))
    metrics = {
        "relus_before": base.relu_count, "relus_budget": config.relus,
        **_structure_metrics(sparse.cpu()),
        "val_mse_1step": ours["val_mse_1step"], "val_mse_rollout": ours["val_mse_rollout"],
        "dense_val_mse_1step": dense["val_mse_1step"],
        "dense_val_mse_rollout": dense["val_mse_rollout"],
        "magnitude_val_mse_1step": theirs["val_mse_1step"],
        "magnitude_val_mse_rollout": theirs["val_mse_rollout"],
        "val_mse_rollout_zero": ours["val_mse_rollout_zero"], "rollout_horizon": horizon,
    }
    for name in validation.groups:  # the state groups of the task, each on its own
        key = f"val_mse_rollout_{name}"
        metrics.update({key: ours[key], f"dense_{key}": dense[key],
                        f"magnitude_{key}": theirs.get(key), f"{key}_zero": ours[f"{key}_zero"]})
    if metrics["relus_after"] > config.relus:  # harden() guarantees this; never ship otherwise
        raise RuntimeError(f"sparsify produced {metrics['relus_after']} > {config.relus} ReLUs")
    base.cpu()
    return SparsifyResult(sparse.cpu(), None if magnitude is None else magnitude.cpu(), metrics,
                          history)
