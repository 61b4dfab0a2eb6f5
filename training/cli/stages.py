"""The pipeline's commands, ``collect``, ``train``, ``sparsify``, ``validate``, ``report`` and
``demo``: their parsers, and the work behind each (configs in, artefacts out, location
printed). The ``*_to`` functions are the same stages with their run directories, for Python."""

from __future__ import annotations

import argparse
import dataclasses
import time
from pathlib import Path

from mpcnet.artifacts import write_json, write_text
from training.cli.options import (
    EPISODES,
    HORIZON,
    SEED,
    add_config_args,
    add_output_args,
    config_from_args,
    int_in,
)
from training.config import (
    CollectConfig,
    SparsifyConfig,
    TrainConfig,
    parse_int_list,
)
from training.results import SparsifyRun, StageRun
from training.rundirs import create_run_dir, run_directory, write_stage


def add_parsers(sub) -> None:
    """`mpcnet collect | train | sparsify | validate | report | demo`."""
    p = sub.add_parser("collect", help="collect transitions from an environment")
    p.set_defaults(run=f"{__name__}:run_collect")
    p.add_argument("--env", dest="env_id", default=CollectConfig.env_id,
                   help=f"environment id (default: {CollectConfig.env_id})")
    add_config_args(p, CollectConfig, skip=("env_id",))
    p.add_argument("--workers", type=int_in(1, 1_024), default=1,
                   help="processes, each with its own simulator; any number gives the same "
                        "data, byte for byte (default 1)")
    add_output_args(p)

    p = sub.add_parser("train", help="train a ReLU dynamics model on collected data")
    p.set_defaults(run=f"{__name__}:run_train")
    p.add_argument("--data", type=Path, required=True, help="directory written by `collect`")
    add_config_args(p, TrainConfig)
    add_output_args(p)

    p = sub.add_parser("sparsify", help="sparsify a trained model to a ReLU budget (or a sweep)")
    p.set_defaults(run=f"{__name__}:run_sparsify")
    p.add_argument("--model", type=Path, required=True, help="directory written by `train`")
    p.add_argument("--data", type=Path, required=True, help="directory written by `collect`")
    p.add_argument("--relus", required=True, metavar="K[,K,...]",
                   help="ReLU budget, or a comma-separated list for a sweep (e.g. 64,32,16,8)")
    add_config_args(p, SparsifyConfig, skip=("relus",))
    add_output_args(p)


    p = sub.add_parser("validate", help="prediction error of a model on a dataset "
                       "(e.g. held-out episodes, or more objects than in training)")
    p.set_defaults(run=f"{__name__}:run_validate")
    p.add_argument("--model", type=Path, required=True, help="model directory")
    p.add_argument("--data", type=Path, required=True, help="directory written by `collect`")
    p.add_argument("--rollout-horizon", type=HORIZON, default=None,
                   help="open-loop rollout length (default: the model's training horizon)")
    p.add_argument("--json", type=Path, default=None, help="also write the metrics as JSON")


    p = sub.add_parser("report", help="the paper's figures from runs: one self-contained HTML "
                       "page and a markdown twin")
    p.set_defaults(run=f"{__name__}:run_report")
    p.add_argument("runs", type=Path, nargs="+", metavar="RUN",
                   help="sparsify sweeps, sweep or compare runs, bench mip-grid JSON files")
    add_output_args(p)


    p = sub.add_parser("demo", help="the main job on built-in defaults (what `make demo` runs)")
    p.set_defaults(run=f"{__name__}:run_demo")
    p.add_argument("--episodes", type=int_in(2, 1_000_000), default=200,
                   help="episodes to collect (default 200)")
    p.add_argument("--epochs", type=int_in(1, 100_000), default=100,
                   help="training epochs (default 100)")
    p.add_argument("--relus", type=int_in(0, 1_000_000), default=16,
                   help="ReLU budget of the sparse model (default 16)")
    p.add_argument("--compare-episodes", type=EPISODES, default=3,
                   help="closed-loop episodes per controller (default 3)")
    p.add_argument("--seed", type=SEED, default=0, help="random seed (default 0)")
    p.add_argument("--out", type=Path, default=None,
                   help="parent directory of the demo's runs (default: runs/demo__{time})")


def collect_to(config: CollectConfig, out: Path | None, overwrite: bool = False,
               progress: bool = True, workers: int = 1) -> StageRun:
    """Collect data and write ``data.npz``, ``config.json``, ``meta.json``, ``metrics.json``."""
    import envs
    from training.collect import collect, env_kwargs, resolve_collect_config

    envs.make(config.env_id, **env_kwargs(config)).close()  # a bad id or task: one line, now
    config = resolve_collect_config(config)  # the run records what it did, not "auto"
    with run_directory(out, config.env_id, "collect", config.seed, overwrite) as out:
        collected = collect(config, progress=progress, workers=workers)
        data, metrics = collected.data, collected.metrics
        data.save(out)
        write_stage(out, config.to_dict(), metrics)
    return StageRun(out, metrics)


def train_to(data_dir: Path, config: TrainConfig, out: Path | None, overwrite: bool = False,
             progress: bool = True) -> StageRun:
    """Train on ``data_dir``; write the model, ``config.json``, ``meta.json``, ``metrics.json``."""
    from mpcnet.data import TransitionData
    from mpcnet.nn.model_io import save_model
    from training.cli.inputs import check_known_env
    from training.train import check_trainable, error_units, resolve_config, train  # torch-heavy

    data = TransitionData.load(data_dir)
    check_known_env(data.env_id, f"data {data_dir}", data.env_kwargs.get("task"))
    config = resolve_config(data, config)  # the run records what it did, not "auto"
    check_trainable(data, config)
    with run_directory(out, data.env_id, "train", config.seed, overwrite) as out:
        trained = train(data, config, progress=progress)
        model, metrics, history = trained.model, trained.metrics, trained.history
        metrics = {**metrics, "error_units": error_units(data)}
        save_model(model, out)
        write_stage(out, {**config.to_dict(), "data": str(data_dir), "env_id": data.env_id,
                          "env_kwargs": data.env_kwargs},
                    {**metrics, "history": history})
    return StageRun(out, metrics)


def run_validate(args: argparse.Namespace) -> None:
    """Open-loop prediction errors of a model on every episode of a dataset."""
    import torch

    from mpcnet.data import TransitionData
    from mpcnet.errors import ConfigError
    from mpcnet.nn.model_io import load_model
    from training.cli.inputs import check_model_fits, train_config_of
    from training.train import ValidationSet, error_units

    model = load_model(args.model)
    data = TransitionData.load(args.data)
    check_model_fits(model, data, args.model, args.data)
    horizon = args.rollout_horizon or train_config_of(args.model).rollout_horizon
    if len(data.windows(horizon)) == 0:
        raise ConfigError(f"rollout horizon {horizon}: no episode of {args.data} has {horizon} "
                          "consecutive transitions; pass a smaller --rollout-horizon.")
    with torch.no_grad():
        metrics = ValidationSet(data, horizon, torch.device("cpu")).metrics(model)
    metrics.update({"model": str(args.model), "data": str(args.data), "env_id": data.env_id,
                    "state_dim": data.state_dim, "rollout_horizon": horizon,
                    "episodes": len(data.episodes())})
    if args.json:
        write_json(args.json, metrics)
    m = metrics
    units = error_units(data)
    print(f"{m['episodes']} episodes of {data.env_id} (state size {data.state_dim}): 1-step MSE "
          f"{m['val_mse_1step']:.3g} (no change {m['val_mse_1step_zero']:.3g}), {horizon}-step "
          f"rollout MSE {m['val_mse_rollout']:.3g} (no change {m['val_mse_rollout_zero']:.3g}"
          f"{group_errors(m)}) {units}".rstrip())
    if args.json:
        print(f"metrics -> {args.json}")


def run_collect(args: argparse.Namespace) -> None:
    config = config_from_args(CollectConfig, args)
    run = collect_to(config, args.out, args.overwrite, workers=args.workers)
    out, metrics = run.path, run.metrics
    contact = metrics["contact_fraction"]
    print(f"collected {metrics['transitions']} transitions"
          + ("" if contact is None else f" (contact fraction {contact:.2f})") + f" -> {out}")


def run_train(args: argparse.Namespace) -> None:
    config = config_from_args(TrainConfig, args)
    run = train_to(args.data, config, args.out, args.overwrite)
    out, m = run.path, run.metrics
    print(_train_summary(m))
    print(f"model -> {out}")


def group_errors(m: dict, prefix: str = "val_mse_rollout_") -> str:
    """``"; objects alone 1e-4, no change 3e-4"`` for every state group in the metrics."""
    names = [k[len(prefix):] for k in m if k.startswith(prefix) and not k.endswith("_zero")
             and m.get(k) is not None and m.get(f"{k}_zero") is not None]
    return "".join(f"; {g} alone {m[prefix + g]:.3g}, no change {m[prefix + g + '_zero']:.3g}"
                   for g in names)


def _train_summary(m: dict) -> str:
    units = f" {m['error_units']}" if m.get("error_units", "m^2") else ""
    return (f"validation ({m['val_episodes']} held-out episodes): "
            f"1-step MSE {m['val_mse_1step']:.3g}{units} (no change "
            f"{m['val_mse_1step_zero']:.3g}), {m['rollout_horizon']}-step rollout MSE "
            f"{m['val_mse_rollout']:.3g}{units} (no change {m['val_mse_rollout_zero']:.3g}"
            f"{group_errors(m)}), {m['relus']} ReLUs"
            + ("" if "transitions_per_second" not in m else
               f"; {m['epochs_run']} epochs ({m['stopped']}), "
               f"{m['transitions_per_second']:,.0f} transitions/s"))


def sparsify_to(model_dir: Path, data_dir: Path, budgets: list[int], config: SparsifyConfig,
                out: Path | None, overwrite: bool = False,
                progress: bool = True) -> SparsifyRun:
    """Sparsify to each budget; write models, metrics and (for several budgets) a sweep.

    One budget writes the sparse model into ``out`` itself; several write ``out/relus_{K}/``
    each and ``out/sweep.{md,json,png}``. The magnitude baseline (unless
    ``config.baseline`` is off) goes to ``magnitude/`` beside each sparse model.
    """
    from mpcnet.data import TransitionData
    from mpcnet.nn.model_io import load_model, save_model
    from training.cli.inputs import check_known_env, check_model_fits, train_config_of
    from training.experiments.sparsify_tables import sweep_plot, sweep_table
    from training.sparsify import check_budget, resolve_sparsify_config, sparsify
    from training.train import check_trainable, error_units, split_episodes

    base = load_model(model_dir)
    configs = [dataclasses.replace(config, relus=k) for k in budgets]
    for c in configs:  # validate every budget before any work
        check_budget(base, c)
    data = TransitionData.load(data_dir)
    check_known_env(data.env_id, f"data {data_dir}", data.env_kwargs.get("task"))
    check_model_fits(base, data, model_dir, data_dir)
    tcfg = train_config_of(model_dir, required=True)
    # the automatic choices made for these data, so each run records what it did
    config = resolve_sparsify_config(data, config)
    configs = [resolve_sparsify_config(data, c) for c in configs]
    train_data, val_data = split_episodes(data, tcfg.val_fraction, tcfg.seed)
    check_trainable(data, dataclasses.replace(tcfg, device=config.device))
    with run_directory(out, data.env_id, "sparsify", config.seed, overwrite) as out:
        rows = []
        for c in configs:
            run = out if len(configs) == 1 else out / f"relus_{c.relus}"
            result = sparsify(base, train_data, val_data, c, tcfg, progress=progress)
            sparse, magnitude, metrics = result.model, result.baseline, result.metrics
            history = result.history
            metrics["error_units"] = error_units(data)
            save_model(sparse, run)
            if magnitude is not None:
                save_model(magnitude, run / "magnitude")
            write_stage(run, {**c.to_dict(), "model": str(model_dir), "data": str(data_dir),
                              "env_id": data.env_id, "env_kwargs": data.env_kwargs},
                        {**metrics, "history": history})
            rows.append(metrics)
            if progress and len(configs) > 1:
                print(f"  K={c.relus}: {_sparsify_summary(metrics)}")
        if len(configs) > 1:
            write_json(out / "sweep.json", rows)
            table = sweep_table(rows)
            write_text(out / "sweep.md", table)
            sweep_plot(rows, out / "sweep.png")
            write_stage(out, {**config.to_dict(), "relus": budgets, "model": str(model_dir),
                              "data": str(data_dir), "env_id": data.env_id})
    return SparsifyRun(out, rows)


def _sparsify_summary(m: dict) -> str:
    baseline = m["magnitude_val_mse_rollout"]
    return (f"{m['relus_after']} ReLUs, {m['identity_neurons']} identity, "
            f"{m['removed_neurons']} removed; rollout MSE {m['val_mse_rollout']:.3g} "
            f"(dense {m['dense_val_mse_rollout']:.3g}"
            + ("" if baseline is None else f", magnitude pruning {baseline:.3g}") + ")")


def run_sparsify(args: argparse.Namespace) -> None:
    from training.experiments.sparsify_tables import sweep_table

    budgets = sorted(set(parse_int_list(args.relus, "relus", allow_zero=True)), reverse=True)
    config = config_from_args(SparsifyConfig, args, relus=budgets[0])
    run = sparsify_to(args.model, args.data, budgets, config, args.out, args.overwrite)
    out, rows = run.path, run.rows
    if len(rows) > 1:
        print(sweep_table(rows), end="")
        print(f"sweep -> {out} (sweep.md, sweep.json, sweep.png; models in relus_*/)")
    else:
        print(_sparsify_summary(rows[0]))
        print(f"sparse model -> {out}")


def run_report(args: argparse.Namespace) -> None:
    from training.experiments.report import write_report

    out = write_report(args.runs, args.out, args.overwrite)
    print(f"report -> {out / 'report.html'} (self-contained) and {out / 'report.md'}")


def run_demo(args: argparse.Namespace) -> None:
    """The main job: collect, train (pusher frame), sparsify, then MIP-MPC on the sparse
    model against gradient descent, the best sampling-type planner measured on pushing
    (BENCHMARKS.md), on the dense and the sparse model, in closed loop."""
    import envs
    from training.cli.control import run_compare

    root = args.out or Path("runs") / f"demo__{time.strftime('%Y%m%d-%H%M%S')}"
    root = create_run_dir(root, "demo", "demo", args.seed)
    print(f"[1/4] collecting {args.episodes} episodes of {CollectConfig.env_id}")
    run = collect_to(CollectConfig(episodes=args.episodes, seed=args.seed),
                     root / "collect")
    data_dir, cm = run.path, run.metrics
    print(f"      {cm['transitions']} transitions, contact fraction {cm['contact_fraction']:.2f}")
    print(f"[2/4] training a 2x128 ReLU dynamics model (pusher frame) for {args.epochs} epochs")
    run = train_to(data_dir, TrainConfig(epochs=args.epochs, seed=args.seed,
                                         hidden=(128, 128), frame="pusher"),
                   root / "train")
    model_dir, tm = run.path, run.metrics
    print("      " + _train_summary(tm))
    print(f"[3/4] sparsifying to {args.relus} ReLUs (and the magnitude-pruning baseline)")
    run = sparsify_to(model_dir, data_dir, [args.relus],
                      SparsifyConfig(relus=args.relus, seed=args.seed),
                      root / "sparsify")
    sparse_dir, rows = run.path, run.rows
    print("      " + _sparsify_summary(rows[0]))
    env_id = CollectConfig.env_id
    print(f"[4/4] closed loop, {args.compare_episodes} episodes: MIP-MPC on the sparse model, "
          "gradient descent on the dense and the sparse model, 200 ms per step, horizon "
          f"{envs.default_horizon(env_id)}")
    compare = argparse.Namespace(
        env_id=env_id, models=[model_dir, sparse_dir], controllers="mip,gd",
        episodes=args.compare_episodes, seed=args.seed, max_mip_relus=args.relus,
        render=False, horizon=None, budget_ms=200.0, steps=30, bounds="symbolic",
        out=root / "compare", overwrite=False, resume=False, threads=None)
    run_compare(compare)
    print(f"artefacts: data -> {data_dir}, model -> {model_dir}, sparse model -> {sparse_dir},"
          f" comparison and plots -> {root / 'compare'}")
