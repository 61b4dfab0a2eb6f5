"""``mpcnet improve``: data from the controller's own episodes.

The MIP finds the plans where the sparse model is most wrong in its favour, and random
exploration rarely goes there. Each round:

1. runs the controller with the current sparse model in the env (``episodes`` seeded episodes,
   seeds new for every round) and keeps the transitions;
2. adds them to the data set under new episode ids (``round_R/new_data`` holds them alone),
   with, if asked (``teacher_episodes``), episodes of the reference planner (CEM on the
   simulator itself), which show the model the states that succeed (not in the last round,
   whose data nothing is trained on: its controller episodes measure the final models);
3. fine-tunes the dense model from its weights on the grown training set;
4. sparsifies it again to ``K`` ReLUs (progressive method, no magnitude baseline).

Validation always uses the held-out episodes of the *original* data, so rounds compare.
Round 0 is the starting point: the given dense model sparsified, and its episodes.
Each finished round is a directory ``round_R/`` (data, dense and sparse models) and a row of
``metrics.json``; a killed run continues after its last finished round with ``--resume``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

import envs
from controllers import PlannerConfig
from mpcnet.artifacts import read_json, write_json
from mpcnet.data import TransitionData
from mpcnet.errors import ArtifactError
from mpcnet.nn.model_io import load_model, save_model
from training.config import SparsifyConfig, TrainConfig
from training.evaluate import controller_for, run_episode
from training.progress import Progress
from training.rundirs import provenance


@dataclass(frozen=True)
class ImproveConfig:
    controller: str = "mip"
    relus: int = 16
    rounds: int = 3
    episodes: int = 20
    steps: int = 40
    seed: int = 0
    train_epochs: int = 30
    relaxed_epochs: int = 40
    finetune_epochs: int = 20
    teacher_episodes: int = 0  # per round: CEM on the simulator itself, the reference planner
    distill: bool | None = None  # sparsify by distillation from the round's dense model; None:
    # on for Push data (training.sparsify.distills_by_default)
    # The teacher plans with its own settings, not the controller's: a GD or MIP controller's
    # budget or iteration count would starve CEM on the simulator (about 10 ms a rollout).
    teacher_samples: int = 128
    teacher_iterations: int = 4


def controller_transitions(env_id: str, net, controller: str, config: ImproveConfig,
                           planner: PlannerConfig, seeds: list[int], first_id: int,
                           progress: bool = False, env_kwargs: dict | None = None):
    """Run ``controller`` on ``net`` (a network, or the simulator itself) for one seeded
    episode per seed; returns ``(TransitionData, success_rate)``."""
    env = envs.make(env_id, max_episode_steps=config.steps, **(env_kwargs or {}))
    rows: dict[str, list] = {k: [] for k in ("states", "actions", "next", "ids", "contacts")}
    successes = 0
    try:
        ctrl = controller_for(env, net, controller, planner)
        for i, seed in enumerate(Progress(seeds, desc=controller, unit="ep", leave=False,
                                      disable=not progress)):
            trace: list[dict] = []
            result, _ = run_episode(env, ctrl, seed, config.steps, execute=planner.execute,
                                    trace=trace)
            for step in trace:
                for key, name in (("states", "state"), ("actions", "action"),
                                  ("next", "next_state"), ("contacts", "contact")):
                    rows[key].append(step[name])
                rows["ids"].append(first_id + i)
            successes += result.success
    finally:
        env.close()
    data = TransitionData(np.asarray(rows["states"], np.float64).reshape(-1, net.state_dim),
                          np.asarray(rows["actions"], np.float64).reshape(-1, net.action_dim),
                          np.asarray(rows["next"], np.float64).reshape(-1, net.state_dim),
                          np.asarray(rows["ids"], np.int64),
                          (None if None in rows["contacts"]  # a task env reports no contact
                           else np.asarray(rows["contacts"], bool)), env_id, env_kwargs or {})
    return data, successes / len(seeds)


def teacher_transitions(r: int, env_id: str, config: ImproveConfig, planner: PlannerConfig,
                        first_id: int, progress: bool, env_kwargs: dict):
    """Round ``r``'s episodes of the reference planner (CEM on the simulator itself), which
    show the model the states that succeed; ``(None, None)`` without teacher episodes."""
    if not config.teacher_episodes:
        return None, None
    from envs.simulator import SimModel

    seeds = [int(s) for s in np.random.SeedSequence([config.seed, r, 1]).generate_state(
        config.teacher_episodes)]
    return controller_transitions(env_id, SimModel(env_id, env_kwargs), "cem", config,
                                  teacher_planner(config, planner), seeds, first_id, progress,
                                  env_kwargs)


def teacher_planner(config: ImproveConfig, planner: PlannerConfig) -> PlannerConfig:
    """The reference planner's settings: CEM's defaults at ``teacher_samples`` x
    ``teacher_iterations``, on the controller's horizon and execution."""
    return PlannerConfig(horizon=planner.horizon, execute=planner.execute,
                         budget_ms=planner.budget_ms, iterations=config.teacher_iterations,
                         samples=config.teacher_samples, dtype=planner.dtype)


def concat(a: TransitionData, b: TransitionData) -> TransitionData:
    return TransitionData(np.concatenate([a.states, b.states]),
                          np.concatenate([a.actions, b.actions]),
                          np.concatenate([a.next_states, b.next_states]),
                          np.concatenate([a.episode_ids, b.episode_ids]),
                          (None if a.contacts is None or b.contacts is None
                           else np.concatenate([a.contacts, b.contacts])), a.env_id, a.env_kwargs)


def round_seeds(seed: int, round_index: int, episodes: int) -> list[int]:
    """Episode seeds of one round: new starts every round, the same on every run."""
    return [int(s) for s in np.random.SeedSequence([seed, round_index]).generate_state(episodes)]


def run_round(r: int, dense, data: TransitionData, val: TransitionData, env_id: str,
              config: ImproveConfig, planner: PlannerConfig, tcfg: TrainConfig, out: Path,
              progress: bool) -> tuple[dict, object, TransitionData]:
    """One round into ``out/round_r``; returns ``(row, dense model, data with its episodes)``."""
    from training.sparsify import sparsify_progressive
    from training.train import ValidationSet, fit, resolve_device

    directory = out / f"round_{r}"
    if r > 0:  # fine-tune the dense model on everything gathered so far
        dense = dense.clone()
        fit(dense, data, val, tcfg, progress=progress, epochs=config.train_epochs,
            desc=f"round {r}: fine-tune")
        dense.cpu().eval()
    scfg = SparsifyConfig(relus=config.relus, relaxed_epochs=config.relaxed_epochs,
                          finetune_epochs=config.finetune_epochs, seed=config.seed,
                          device=tcfg.device, distill=config.distill)
    sparse = sparsify_progressive(dense, data, val, scfg, tcfg, progress).model
    sparse = sparse.cpu().eval()
    device = resolve_device(tcfg.device)
    with torch.no_grad():
        metrics = ValidationSet(val, tcfg.rollout_horizon, device).metrics(sparse.to(device))
    sparse.cpu()
    first_id = int(data.episode_ids.max()) + 1
    new, success = controller_transitions(env_id, sparse.export(), config.controller, config,
                                          planner, round_seeds(config.seed, r, config.episodes),
                                          first_id, progress, data.env_kwargs)
    taught, teacher_success = None, None
    if r < config.rounds:  # the last round's data train nothing: its teacher would cost in vain
        taught, teacher_success = teacher_transitions(
            r, env_id, config, planner, int(new.episode_ids.max(initial=first_id - 1)) + 1,
            progress, data.env_kwargs)
    if taught is not None:
        new = concat(new, taught)
    save_model(dense, directory / "dense")
    save_model(sparse, directory / "sparse")
    new.save(directory / "new_data")
    grown = concat(data, new)
    grown.save(directory / "data")
    row = {"round": r, "transitions": len(data), "val_mse_rollout": metrics["val_mse_rollout"],
           "val_mse_rollout_objects": metrics.get("val_mse_rollout_objects"),
           "relus": sparse.relu_count, "success_rate": success,
           "new_transitions": len(new), "new_episode_ids": [first_id, int(new.episode_ids.max())],
           "teacher_transitions": 0 if taught is None else len(taught),
           "teacher_success_rate": teacher_success}
    write_json(directory / "round.json", row)  # written last: the round is finished
    return row, dense, grown


def improve(model_dir: Path, data_dir: Path, config: ImproveConfig, planner: PlannerConfig,
            tcfg: TrainConfig, out: Path, resume: bool = False, progress: bool = True) -> list:
    """Run rounds ``0..config.rounds`` into ``out`` (see the module docstring)."""
    from training.train import split_episodes

    data0 = TransitionData.load(data_dir)
    train0, val = split_episodes(data0, tcfg.val_fraction, tcfg.seed)
    rows, dense, data = [], load_model(model_dir), train0
    if resume:
        saved = read_json(out / "metrics.json", what="improve metrics").get("rounds", [])
        for row in saved:
            directory = out / f"round_{row['round']}"
            if not (directory / "round.json").is_file():
                break
            rows.append(row)
        if rows:
            last = out / f"round_{rows[-1]['round']}"
            dense, data = load_model(last / "dense"), TransitionData.load(last / "data")
    for r in range(len(rows), config.rounds + 1):
        row, dense, data = run_round(r, dense, data, val, data0.env_id, config, planner, tcfg,
                                     out, progress)
        rows.append(row)
        write_json(out / "metrics.json", {"rounds": rows, "complete": r == config.rounds})
        write_json(out / "meta.json", {**provenance(), "complete": r == config.rounds})
        if progress:
            print(f"  round {r}: {row['transitions']} transitions, rollout MSE "
                  f"{row['val_mse_rollout']:.3g}, success {row['success_rate']:.2f}")
    return rows


def check_resumable(out: Path, settings: dict) -> None:
    """Refuse ``--resume`` of a directory that is not an improve run of these settings."""
    path = Path(out) / "config.json"
    if not path.is_file():
        raise ArtifactError(f"--resume {out}: no config.json there, so it is not an improve "
                            "run; check --out.")
    saved = read_json(path, what="improve settings")
    saved.setdefault("teacher_episodes", 0)  # runs started before teachers existed
    saved.setdefault("distill", False)  # ... and before distillation
    if not saved["teacher_episodes"]:  # teacher settings matter only with a teacher
        for key in ("teacher_samples", "teacher_iterations"):
            saved.setdefault(key, settings.get(key))
    changed = sorted(k for k in settings.keys() | saved.keys() if settings.get(k) != saved.get(k))
    if changed:
        hint = (" (--no-distill for a run started before distillation became the default on "
                "Push data)" if "distill" in changed and saved["distill"] is False else "")
        raise ArtifactError(f"--resume {out}: the run was started with other settings "
                            f"({', '.join(changed)}); repeat its command with --resume{hint}.")


def settings_of(config: ImproveConfig, planner: PlannerConfig, model: Path, data: Path) -> dict:
    return {**dataclasses.asdict(config), "planner": planner.to_dict(), "model": str(model),
            "data": str(data)}
