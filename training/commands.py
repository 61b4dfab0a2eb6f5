"""The work behind each ``mpcnet`` subcommand: configs in, artefacts out, location printed."""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import time
from pathlib import Path

import numpy as np

import envs
from mpcnet.artifacts import (
    create_run_dir,
    read_json,
    run_directory,
    write_json,
    write_stage,
    write_text,
)
from mpcnet.data import TransitionData
from mpcnet.errors import unknown_name
from mpcnet.torch_models import load_model, save_model
from training.cli import _config_from_args
from training.collect import collect
from training.config import CollectConfig, SparsifyConfig, TrainConfig, parse_int_list
from training.sparsify_tables import sweep_plot, sweep_table


def collect_to(config: CollectConfig, out: Path | None, overwrite: bool = False,
               progress: bool = True) -> tuple[Path, dict]:
    """Collect data and write ``data.npz``, ``config.json``, ``meta.json``, ``metrics.json``."""
    if config.env_id not in envs.ENV_IDS:
        raise unknown_name("environment id", config.env_id, envs.ENV_IDS)
    with run_directory(out, config.env_id, "collect", config.seed, overwrite) as out:
        data, metrics = collect(config, progress=progress)
        data.save(out)
        write_stage(out, config.to_dict(), metrics)
    return out, metrics


def train_to(data_dir: Path, config: TrainConfig, out: Path | None, overwrite: bool = False,
             progress: bool = True) -> tuple[Path, dict]:
    """Train on ``data_dir``; write the model, ``config.json``, ``meta.json``, ``metrics.json``."""
    from training.train import check_trainable, train  # torch-heavy

    data = TransitionData.load(data_dir)
    check_known_env(data.env_id, f"data {data_dir}")
    check_trainable(data, config)
    with run_directory(out, data.env_id, "train", config.seed, overwrite) as out:
        model, metrics, history = train(data, config, progress=progress)
        save_model(model, out)
        write_stage(out, {**config.to_dict(), "data": str(data_dir), "env_id": data.env_id,
                          "env_kwargs": data.env_kwargs},
                    {**metrics, "history": history})
    return out, metrics


def check_known_env(env_id: str, what: str) -> None:
    """Refuse data or a model whose env id is not registered with gymnasium (a typo in a
    hand-made ``data.json``, or a task from a package that is not installed)."""
    import gymnasium as gym

    if env_id not in gym.registry:
        raise unknown_name(f"environment id (named by {what})", env_id, envs.ENV_IDS)


def check_model_fits(model, data: TransitionData, model_dir: Path, data_dir: Path) -> None:
    """Refuse a model whose state and action sizes are not the data's."""
    from mpcnet.errors import ShapeError

    cfg = model.config()
    if cfg["type"] == "ReluGNN":
        n, m = data.state_dim, data.action_dim
        if m != 4 or n < 6 or n % 2:
            raise ShapeError(f"--model {model_dir} is a graph model (object-centric states, "
                             f"push primitives of 4 numbers); --data {data_dir} has states of "
                             f"{n} and actions of {m} ({data.env_id}).")
        return
    sizes = (cfg.get("state_dim"), cfg.get("action_dim"))
    if sizes != (data.state_dim, data.action_dim):
        raise ShapeError(f"--model {model_dir} predicts states of {sizes[0]} from actions of "
                         f"{sizes[1]}; --data {data_dir} has states of {data.state_dim} and "
                         f"actions of {data.action_dim} ({data.env_id}); use data of the "
                         "model's env.")


def run_validate(args: argparse.Namespace) -> None:
    """Open-loop prediction errors of a model on every episode of a dataset."""
    import torch

    from mpcnet.errors import ConfigError
    from training.train import ValidationSet

    model = load_model(args.model)
    data = TransitionData.load(args.data)
    check_model_fits(model, data, args.model, args.data)
    horizon = args.rollout_horizon or _train_config_of(args.model).rollout_horizon
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
    print(f"{m['episodes']} episodes of {data.env_id} (state size {data.state_dim}): 1-step MSE "
          f"{m['val_mse_1step']:.3g} (no change {m['val_mse_1step_zero']:.3g}), {horizon}-step "
          f"rollout MSE {m['val_mse_rollout']:.3g} (no change {m['val_mse_rollout_zero']:.3g}; "
          f"objects alone {m['val_mse_rollout_objects']:.3g}, no change "
          f"{m['val_mse_rollout_objects_zero']:.3g}) m^2")
    if args.json:
        print(f"metrics -> {args.json}")


def run_collect(args: argparse.Namespace) -> None:
    config = _config_from_args(CollectConfig, args)
    out, metrics = collect_to(config, args.out, args.overwrite)
    print(f"collected {metrics['transitions']} transitions "
          f"(contact fraction {metrics['contact_fraction']:.2f}) -> {out}")


def run_train(args: argparse.Namespace) -> None:
    config = _config_from_args(TrainConfig, args)
    out, m = train_to(args.data, config, args.out, args.overwrite)
    print(_train_summary(m))
    print(f"model -> {out}")


def _train_summary(m: dict) -> str:
    return (f"validation ({m['val_episodes']} held-out episodes): "
            f"1-step MSE {m['val_mse_1step']:.3g} m^2 (no change {m['val_mse_1step_zero']:.3g}), "
            f"{m['rollout_horizon']}-step rollout MSE {m['val_mse_rollout']:.3g} m^2 "
            f"(no change {m['val_mse_rollout_zero']:.3g}; objects alone "
            f"{m['val_mse_rollout_objects']:.3g}, no change "
            f"{m['val_mse_rollout_objects_zero']:.3g}), {m['relus']} ReLUs")


def _train_config_of(model_dir: Path, _depth: int = 0) -> TrainConfig:
    """The training config of a model run, so sparsification holds out the same episodes.

    A sparsified model's config.json is its sparsify config, whose ``model`` names the dense
    run it came from: follow that link (a few levels, for sparse copies of sparse models).
    """
    path = Path(model_dir) / "config.json"
    if not path.is_file():
        return TrainConfig()
    saved = read_json(path, what="training config")
    parent = saved.get("model")
    if "relus" in saved and parent not in ("mlp", "gnn"):
        if not parent or _depth >= 8:
            return TrainConfig()
        return _train_config_of(Path(parent), _depth + 1)
    names = {f.name for f in dataclasses.fields(TrainConfig)}
    return TrainConfig(**{k: v for k, v in saved.items() if k in names})


def sparsify_to(model_dir: Path, data_dir: Path, budgets: list[int], config: SparsifyConfig,
                out: Path | None, overwrite: bool = False, progress: bool = True):
    """Sparsify to each budget; write models, metrics and (for several budgets) a sweep.

    One budget writes the sparse model into ``out`` itself; several write ``out/relus_{K}/``
    each and ``out/sweep.{md,json,png}``. The magnitude baseline goes to ``magnitude/`` beside
    each sparse model.
    """
    from training.sparsify import check_budget, sparsify
    from training.train import check_trainable, split_episodes

    base = load_model(model_dir)
    configs = [dataclasses.replace(config, relus=k) for k in budgets]
    for c in configs:  # validate every budget before any work
        check_budget(base, c)
    data = TransitionData.load(data_dir)
    check_known_env(data.env_id, f"data {data_dir}")
    check_model_fits(base, data, model_dir, data_dir)
    tcfg = _train_config_of(model_dir)
    train_data, val_data = split_episodes(data, tcfg.val_fraction, tcfg.seed)
    check_trainable(data, dataclasses.replace(tcfg, device=config.device))
    with run_directory(out, data.env_id, "sparsify", config.seed, overwrite) as out:
        rows = []
        for c in configs:
            run = out if len(configs) == 1 else out / f"relus_{c.relus}"
            sparse, magnitude, metrics, history = sparsify(base, train_data, val_data, c, tcfg,
                                                           progress=progress)
            save_model(sparse, run)
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
    return out, rows


def _sparsify_summary(m: dict) -> str:
    return (f"{m['relus_after']} ReLUs, {m['identity_neurons']} identity, "
            f"{m['removed_neurons']} removed; rollout MSE {m['val_mse_rollout']:.3g} "
            f"(dense {m['dense_val_mse_rollout']:.3g}, magnitude pruning "
            f"{m['magnitude_val_mse_rollout']:.3g})")


def run_sparsify(args: argparse.Namespace) -> None:
    budgets = sorted(set(parse_int_list(args.relus, "relus", allow_zero=True)), reverse=True)
    config = _config_from_args(SparsifyConfig, args, relus=budgets[0])
    out, rows = sparsify_to(args.model, args.data, budgets, config, args.out, args.overwrite)
    if len(rows) > 1:
        print(sweep_table(rows), end="")
        print(f"sweep -> {out} (sweep.md, sweep.json, sweep.png; models in relus_*/)")
    else:
        print(_sparsify_summary(rows[0]))
        print(f"sparse model -> {out}")


def run_bench(args: argparse.Namespace) -> None:
    if args.bench == "mip":
        return _run_bench_mip(args)
    if args.bench == "mip-grid":
        return _run_bench_grid(args)
    if args.bench == "planners":
        return _run_bench_planners(args)
    if args.bench == "mip-objects":
        return _run_bench_objects(args)
    import torch

    from mpcnet.artifacts import safe_name
    from mpcnet.relunet import ReluNet
    from training import bench
    from training.train import resolve_device

    device = resolve_device(args.device)
    samples = list(parse_int_list(args.samples, "samples"))
    horizons = list(parse_int_list(args.horizons, "horizons"))
    if args.model is None:
        net, what = bench.random_push_net(), "random dense 2x128 push-shaped network"
    else:
        load_model(args.model)  # validates the directory with a clear error
        net, what = ReluNet.load(Path(args.model) / "relunet"), f"model {args.model}"
    rows = bench.bench_rollout(net, samples, horizons, device, args.compile, not args.no_loop)
    name = bench.device_name(device)
    flags = (f" --model {args.model}" if args.model else "") + (" --compile" if args.compile
                                                                   else "")
    header = (f"### Rollout kernel on {name}\n\n`mpcnet bench rollout{flags}` on the {what} "
              f"({net.relu_count} ReLUs, hidden {net.hidden_sizes}); torch {torch.__version__}"
              f"{', compiled' if args.compile else ''}, float32, {time.strftime('%Y-%m-%d')}.")
    table = bench.rollout_table(rows, header)
    print(table, end="")
    if args.json:
        write_json(args.json, {"device": name, "model": what, "rows": rows})
    if args.write:
        which = "random-dense" if args.model is None else safe_name(str(args.model))
        key = f"bench-rollout-{safe_name(name)}-{which}{'-compiled' if args.compile else ''}"
        bench.replace_section(args.write, key, table)
        print(f"table -> {args.write}")


def _run_bench_mip(args: argparse.Namespace) -> None:
    from mpcnet.errors import ConfigError
    from training.bench_mip import bench_mip, shuffled_like

    if args.env_id not in envs.ENV_IDS:
        raise unknown_name("environment id", args.env_id, envs.ENV_IDS)
    for name in ("horizon", "starts"):
        if getattr(args, name) < 1:
            raise ConfigError(f"--{name}: expected >= 1, got {getattr(args, name)}.")
    if not args.time_limit > 0:
        raise ConfigError(f"--time-limit: expected > 0 seconds, got {args.time_limit}.")
    env_kw = _env_kwargs(args)
    net = _load_net(args.model, _num_objects(args.env_id, env_kw))
    if args.random_like is not None:
        net = shuffled_like(net, args.random_like)
    bounds = "lp" if args.bounds == "tight" else args.bounds
    record = bench_mip(net, args.env_id, args.horizon, args.starts, args.seed, bounds,
                       not args.no_warm_start, args.time_limit, args.highs_threads, progress=True,
                       tighten_budget=args.tighten_budget, cuts=args.cuts, env_kwargs=env_kw)
    record.update({"model": str(args.model), "env_id": args.env_id,
                   "random_like": args.random_like})
    write_json(args.json, record)
    med = record["median_time_to_1pct_gap_s"]
    print(f"{record['relus']} ReLUs, H={args.horizon}, bounds={bounds}, "
          f"warm start {'off' if args.no_warm_start else 'on'}: median binaries "
          f"{int(np.median(record['binaries']))}, proven optimal {record['proven_optimal']}/"
          f"{args.starts}, median time to 1% gap "
          f"{'not reached' if med is None else f'{med:.2f} s'}, worst solve "
          f"{record['worst_solve_time_s']:.2f} s")
    print(f"results -> {args.json}")


def _run_bench_objects(args: argparse.Namespace) -> None:
    from mpcnet.errors import ConfigError
    from mpcnet.graphnet import GraphNet
    from training import bench
    from training.bench_mip import bench_mip, objects_table

    if args.env_id == "mpcnet/Push-v0":  # the shared default of the MIP bench options
        args.env_id = "mpcnet/Sort-v0"
    counts = list(parse_int_list(args.object_counts, "objects"))
    if load_model(args.model).config()["type"] != "ReluGNN":
        raise ConfigError(f"--model: expected a graph model (trained with --model gnn), got "
                          f"the MLP in {args.model}.")
    graph = GraphNet.load(Path(args.model) / "graphnet")
    bounds = "lp" if args.bounds == "tight" else args.bounds
    records = []
    for n in counts:
        kwargs = _env_kwargs(argparse.Namespace(env_id=args.env_id, num_objects=n))
        rec = bench_mip(graph.instantiate(n), args.env_id, args.horizon, args.starts, args.seed,
                        bounds, not args.no_warm_start, args.time_limit, progress=True,
                        tighten_budget=args.tighten_budget, cuts=args.cuts, env_kwargs=kwargs)
        rec["model"] = str(args.model)
        records.append(rec)
        write_json(args.json, records)  # finished rows stay readable if interrupted
        print(f"  N={n}: {rec['relus']} ReLUs per step, {rec['proven_optimal']}/{args.starts} "
              f"proven, median {rec['median_solve_time_s']:.2f} s")
    header = (f"### MIP size and solve time against the number of objects ({args.model}: "
              f"{graph.relation_relus} relation + {graph.object_relus} object ReLUs; H="
              f"{args.horizon}, bounds {bounds}, {args.time_limit:g} s per solve, {args.starts} "
              f"starts per N, {time.strftime('%Y-%m-%d')})\n\n")
    table = header + objects_table(records)
    print(table, end="")
    if args.write:
        bench.replace_section(args.write, "bench-mip-objects", table)
    print(f"results -> {args.json}")


def _run_bench_planners(args: argparse.Namespace) -> None:
    from mpcnet.errors import ConfigError
    from training.bench_planners import bench_planners

    if args.peer:
        return _run_bench_peer(args)
    if args.model is None:
        raise ConfigError("--model: expected a model directory (only --peer trains its own).")
    if args.env_id not in envs.ENV_IDS:
        raise unknown_name("environment id", args.env_id, envs.ENV_IDS)
    if args.quality:
        return _run_plan_quality(args)
    net = _load_net(args.model, _num_objects(args.env_id, {}))
    rows = bench_planners(net, args.env_id, args.starts, args.seed, args.horizon or 6,
                          args.budget_ms)
    write_json(args.json, rows)
    for r in rows:
        mark = "  (default)" if r["default"] else ""
        print(f"{r['planner']:7s} {r['settings']}: {r['mean_predicted_cost']:.4f}{mark}")
    print(f"results -> {args.json}")


def _run_plan_quality(args: argparse.Namespace) -> None:
    from controllers import CONTROLLER_NAMES
    from training.bench_planners import plan_quality, plan_quality_table

    names = [p.strip() for p in (args.planners or "mip,mip-mppi,mppi,cem,gd,random").split(",")
             if p.strip()]
    for name in names or [""]:
        if name not in CONTROLLER_NAMES:
            raise unknown_name("controller", name, CONTROLLER_NAMES)
    env_kw = _control_env_kwargs(argparse.Namespace(env_id=args.env_id, num_objects=0),
                                 [args.model])
    net = _load_control_net(args.model, args.env_id, env_kw)
    rows = plan_quality(net, args.env_id, names, args.starts, args.seed, args.horizon or 6,
                        args.budget_ms, env_kw)
    write_json(args.json, rows)
    print(plan_quality_table(rows), end="")
    print(f"results -> {args.json}")


def _parse_sizes(text: str) -> list[tuple[int, int]]:
    from mpcnet.errors import ConfigError

    try:
        sizes = [tuple(int(v) for v in part.lower().split("x")) for part in text.split(",")]
    except ValueError:
        sizes = []
    if not sizes or any(len(s) != 2 or min(s) < 1 for s in sizes):
        raise ConfigError(f"--sizes: expected K x H pairs such as '1024x20,256x10', got {text!r}.")
    return sizes


def _run_bench_peer(args: argparse.Namespace) -> None:
    from mpcnet.errors import ConfigError
    from mpcnet.relunet import ReluNet
    from training import bench_peer

    bench_peer.load_peer()  # a clear message before any work when it is not installed
    sizes = _parse_sizes(args.sizes)
    try:
        budgets = [float(b) for b in args.budgets_ms.split(",")]
    except ValueError:
        budgets = []
    if not budgets or not all(0 <= b < float("inf") for b in budgets):
        raise ConfigError(f"--budgets-ms: expected comma-separated numbers >= 0 such as '0,50', "
                          f"got {args.budgets_ms!r}.")
    planners = [p.strip() for p in (args.planners or "mppi,mppi-best,cem,gd,pytorch_mppi"
                                     ).split(",") if p.strip()]
    known = ("mppi", "mppi-best", "cem", "gd", "random", "pytorch_mppi")
    for name in planners or [""]:
        if name not in known:
            raise unknown_name("planner", name, known)
    if args.samples < 1:
        raise ConfigError(f"--samples: expected >= 1, got {args.samples}.")
    if args.episodes < 0:
        raise ConfigError(f"--episodes: expected >= 0 (0 = throughput only), got "
                          f"{args.episodes}.")
    horizon = args.horizon or 10
    model_dir = args.model or bench_peer.train_pendulum_model(
        args.json.with_name(args.json.stem + "_model"), args.seed)
    load_model(model_dir)
    net = ReluNet.load(Path(model_dir) / "relunet")
    if (net.state_dim, net.action_dim) != (3, 1):
        raise ConfigError(f"--model: expected a Pendulum-v1 model (3 states, 1 action), got "
                          f"{net.state_dim} states and {net.action_dim} actions in {model_dir}.")
    print(f"throughput ({', '.join(f'{k}x{h}' for k, h in sizes)}), model {model_dir}")
    rows = bench_peer.throughput(net, sizes)
    print(bench_peer.throughput_table(rows), end="")
    loop = []
    if args.episodes:
        print(f"closed loop on Pendulum-v1: {args.episodes} episodes, K={args.samples}, "
              f"H={horizon}")
        loop = bench_peer.closed_loop(net, planners, budgets, args.samples, horizon,
                                      args.episodes, args.seed)
        print(bench_peer.closed_loop_table(loop), end="")
    write_json(args.json, {"model": str(model_dir), "throughput": rows, "closed_loop": loop})
    print(f"results -> {args.json}")


def _run_bench_grid(args: argparse.Namespace) -> None:
    from mpcnet.relunet import ReluNet
    from training import bench
    from training.bench_mip import bench_mip, grid_table

    if args.env_id not in envs.ENV_IDS:
        raise unknown_name("environment id", args.env_id, envs.ENV_IDS)
    horizons = list(parse_int_list(args.horizons, "horizons"))
    nets = []
    for model_dir in args.models:
        load_model(model_dir)
        nets.append((model_dir, ReluNet.load(Path(model_dir) / "relunet")))
    bounds = "lp" if args.bounds == "tight" else args.bounds
    records = []
    for model_dir, net in sorted(nets, key=lambda p: p[1].relu_count):
        for h in horizons:
            rec = bench_mip(net, args.env_id, h, args.starts, args.seed, bounds,
                            not args.no_warm_start, args.time_limit, progress=True,
                            tighten_budget=args.tighten_budget, cuts=args.cuts)
            rec["model"] = str(model_dir)
            records.append(rec)
            write_json(args.json, records)  # finished cells stay readable if interrupted
            print(f"  {net.relu_count} ReLUs, H={h}: {rec['proven_optimal']}/{args.starts} "
                  f"proven, median {rec['median_solve_time_s']:.2f} s")
    header = (f"### MIP scalability grid ({args.env_id}, bounds {bounds}, warm start "
              f"{'off' if args.no_warm_start else 'on'}, {args.time_limit:g} s per solve, "
              f"{args.starts} starts per cell, {time.strftime('%Y-%m-%d')})\n\n")
    table = header + grid_table(records)
    print(table, end="")
    if args.write:
        bench.replace_section(args.write, f"bench-mip-grid-{bounds}", table)
    print(f"results -> {args.json}")


def _control_setup(args: argparse.Namespace, controllers: list[str]):
    from controllers import CONTROLLER_NAMES
    from mpcnet.errors import ConfigError
    from training.cli import planner_config_from_args

    if args.env_id not in envs.ENV_IDS:
        raise unknown_name("environment id", args.env_id, envs.ENV_IDS)
    if not controllers or len(set(controllers)) < len(controllers):
        raise ConfigError(f"--controllers: expected distinct names from "
                          f"{', '.join(CONTROLLER_NAMES)}, comma-separated, got "
                          f"{getattr(args, 'controllers', controllers)!r}.")
    for name in controllers:
        if name not in CONTROLLER_NAMES:
            raise unknown_name("controller", name, CONTROLLER_NAMES)
    if args.episodes < 1 or args.steps < 1:
        raise ConfigError(f"--episodes and --steps: expected >= 1, got {args.episodes} and "
                          f"{args.steps}.")
    return planner_config_from_args(args)


def _load_net(model_dir: Path, num_objects: int | None = None):
    """The exported network of a model directory; a graph model is instantiated for
    ``num_objects`` objects (required for one)."""
    from mpcnet.errors import ConfigError
    from mpcnet.graphnet import GraphNet
    from mpcnet.relunet import ReluNet

    model = load_model(model_dir)  # a clear error for a directory that is not a model
    if model.config()["type"] != "ReluGNN":
        return ReluNet.load(Path(model_dir) / "relunet")
    if not num_objects:
        raise ConfigError(f"{model_dir} holds a graph model; it needs an object-centric env "
                          "such as --env mpcnet/Sort-v0.")
    return GraphNet.load(Path(model_dir) / "graphnet").instantiate(num_objects)


def _env_kwargs(args: argparse.Namespace) -> dict:
    """``envs.make`` keyword arguments from ``--num-objects`` (0: the env's default)."""
    from training.collect import env_kwargs

    return env_kwargs(CollectConfig(env_id=args.env_id,
                                    num_objects=getattr(args, "num_objects", 0) or 0))


def _control_env_kwargs(args: argparse.Namespace, model_dirs) -> dict:
    """``envs.make`` keyword arguments of a control run: the ones the models' data was
    collected with (``max_step``), then ``--num-objects``. Models that disagree are refused."""
    from mpcnet.errors import ConfigError

    recorded = []
    for d in model_dirs:
        path = Path(d) / "config.json"
        saved = read_json(path, "model config").get("env_kwargs", {}) if path.is_file() else {}
        recorded.append({k: v for k, v in saved.items() if k != "num_objects"})
    if any(r != recorded[0] for r in recorded):
        raise ConfigError(f"--models: their data came from differently made envs "
                          f"({recorded}); compare models of the same env settings.")
    return {**recorded[0], **_env_kwargs(args)}


def _env_sizes(env_id: str, kwargs: dict) -> tuple[int | None, int, int]:
    """``(objects, state size, action size)`` of an env (objects ``None`` for one object)."""
    env = envs.make(env_id, **kwargs)
    try:
        return (getattr(env.unwrapped, "num_objects", None), env.observation_space.shape[0],
                env.action_space.shape[0])
    finally:
        env.close()


def _num_objects(env_id: str, kwargs: dict) -> int | None:
    """Objects in the env's state (``None`` for a single-object env)."""
    return _env_sizes(env_id, kwargs)[0]


def _load_control_net(model_dir: Path, env_id: str, env_kw: dict):
    """The network of ``model_dir`` for ``env_id``: refused if its sizes are not the env's;
    a warning on stderr if it was trained on another env of the same sizes."""
    import sys

    from mpcnet.errors import ShapeError

    objects, n, m = _env_sizes(env_id, env_kw)
    net = _load_net(model_dir, objects)
    if (net.state_dim, net.action_dim) != (n, m):
        raise ShapeError(f"--model {model_dir} predicts states of {net.state_dim} from actions "
                         f"of {net.action_dim}; {env_id} has states of {n} and actions of {m}; "
                         "pass the --env the model was trained on.")
    config = Path(model_dir) / "config.json"
    trained_on = read_json(config, "model config").get("env_id") if config.is_file() else None
    if trained_on and trained_on != env_id:
        print(f"warning: {model_dir} was trained on {trained_on}, evaluated here on {env_id}",
              file=sys.stderr)
    return net


_NOT_RUN_SETTINGS = ("out", "overwrite", "resume", "threads", "verbose")


def _run_settings(args: argparse.Namespace) -> dict:
    """The settings of a control run as saved in ``config.json`` (JSON types)."""
    import json

    settings = {k: v for k, v in vars(args).items() if k not in _NOT_RUN_SETTINGS}
    return json.loads(json.dumps(settings, default=str))


@contextlib.contextmanager
def _control_run(args: argparse.Namespace, stage: str):
    """The run directory of ``evaluate``/``compare``: fresh, or with ``--resume`` the existing
    one of an interrupted run with the same settings. ``meta.json`` says ``"complete": false``
    until the body finishes."""
    from mpcnet.artifacts import provenance
    from mpcnet.errors import ArtifactError, ConfigError

    settings = _run_settings(args)
    if args.resume:
        if args.out is None or args.overwrite:
            raise ConfigError("--resume: expected --out DIR naming the interrupted run (and no "
                              "--overwrite).")
        if not (Path(args.out) / "config.json").is_file():
            raise ArtifactError(f"--resume {args.out}: no config.json there, so it is not a run "
                                "of evaluate or compare; check --out.")
        saved = read_json(Path(args.out) / "config.json", what="run settings")
        changed = sorted(k for k in settings.keys() | saved.keys()
                         if settings.get(k) != saved.get(k))
        if changed:
            raise ArtifactError(f"--resume {args.out}: the run was started with other settings "
                                f"({', '.join(changed)}); repeat its command with --resume.")
        out = Path(args.out)
        write_json(out / "meta.json", {**provenance(), "complete": False})
        yield out
    else:
        with run_directory(args.out, args.env_id, stage, args.seed, args.overwrite) as out:
            write_json(out / "config.json", settings)
            write_json(out / "meta.json", {**provenance(), "complete": False})
            yield out
    write_json(out / "meta.json", {**provenance(), "complete": True})


def run_evaluate(args: argparse.Namespace) -> None:
    from controllers import MIP_CONTROLLERS
    from training.evaluate import EpisodeStore, build_controller, evaluate

    config = _control_setup(args, [args.controller])
    env_kw = _control_env_kwargs(args, [args.model])
    net = _load_control_net(args.model, args.env_id, env_kw)
    kwargs = {"bounds": args.bounds} if args.controller in MIP_CONTROLLERS else {}
    ctrl = build_controller(args.env_id, net, args.controller, config, env_kw, **kwargs)
    with _control_run(args, f"evaluate-{args.controller}") as out:
        results, summary, _ = evaluate(args.env_id, net, args.controller, args.episodes,
                                       args.seed, config, args.steps, progress=True,
                                       env_kwargs=env_kw, controller=ctrl,
                                       store=EpisodeStore(out / "episodes"))
        write_json(out / "metrics.json", {**summary, "relus": net.relu_count,
                                          "episodes_detail": [r.to_dict() for r in results]})
    print(f"{args.controller} on {args.model} ({net.relu_count} ReLUs): success rate "
          f"{summary['success_rate']:.2f}, final cost {summary['final_cost_mean']:.3f} +- "
          f"{summary['final_cost_std']:.3f}, median plan time "
          f"{summary['plan_time_median_s']:.3f} s")
    print(f"metrics -> {out / 'metrics.json'}")


def _compare_pairs(args, names, nets, config, env_kw):
    """``(model_dir, net, name, controller)`` of every pair to run, each controller built
    (and its budget checked) before anything is written; and the pairs skipped, with why."""
    from controllers import MIP_CONTROLLERS
    from training.evaluate import build_controller

    pairs, skipped = [], []
    for model_dir, net in nets:
        for name in names:
            if name in MIP_CONTROLLERS and net.relu_count > args.max_mip_relus:
                skipped.append(f"{name} on {model_dir} ({net.relu_count} ReLUs > "
                               f"--max-mip-relus {args.max_mip_relus}: too many binaries to "
                               "solve within the step budget)")
                continue
            kwargs = {"bounds": args.bounds} if name in MIP_CONTROLLERS else {}
            ctrl = build_controller(args.env_id, net, name, config, env_kw, **kwargs)
            pairs.append((model_dir, net, name, ctrl))
    return pairs, skipped


def intervals(results, seed: int) -> dict:
    """95% intervals of a row: success (Wilson) and mean final cost (bootstrap)."""
    from training.stats import bootstrap_interval, wilson_interval

    successes = sum(r.success for r in results)
    return {"success_ci95": list(wilson_interval(successes, len(results))),
            "final_cost_ci95": list(bootstrap_interval([r.final_cost for r in results], seed))}


def add_paired_with_best(rows: list[dict], runs: dict, seed: int) -> None:
    """Give every row ``vs_best``: it minus the best row (highest success, then lowest mean
    final cost) on the episode seeds both ran, final cost and success, with intervals."""
    from training.stats import paired_difference

    labels = [f"{r['controller']}/{Path(r['model']).name}" for r in rows]
    best = min(range(len(rows)), key=lambda i: (-rows[i]["success_rate"],
                                                rows[i]["final_cost_mean"]))
    ref = {e.seed: e for e in runs[labels[best]]}
    for row, label in zip(rows, labels, strict=True):
        mine = {e.seed: e for e in runs[label]}
        cost = paired_difference({s: e.final_cost for s, e in mine.items()},
                                 {s: e.final_cost for s, e in ref.items()}, seed)
        success = paired_difference({s: float(e.success) for s, e in mine.items()},
                                    {s: float(e.success) for s, e in ref.items()}, seed)
        row["vs_best"] = {"best": labels[best], "pairs": cost["pairs"],
                          "final_cost_diff": cost["mean"],
                          "final_cost_diff_ci95": [cost["low"], cost["high"]],
                          "success_diff": success["mean"],
                          "success_diff_ci95": [success["low"], success["high"]]}


def run_compare(args: argparse.Namespace) -> None:
    from training import compare_plots as plots
    from training.evaluate import EpisodeStore, evaluate

    names = [c.strip() for c in args.controllers.split(",") if c.strip()]
    config = _control_setup(args, names)
    env_kw = _control_env_kwargs(args, args.models)
    nets = [(Path(d), _load_control_net(d, args.env_id, env_kw)) for d in args.models]
    labels = [f"{name}__{Path(d).name}" for d in args.models for name in names]
    if len(set(labels)) < len(labels):
        from mpcnet.errors import ConfigError

        raise ConfigError("--models: expected directories with distinct names (results are "
                          "filed by directory name), got " + " ".join(map(str, args.models)))
    pairs, skipped = _compare_pairs(args, names, nets, config, env_kw)
    with _control_run(args, "compare") as out:
        rows, runs = [], {}
        for model_dir, net, name, ctrl in pairs:
            results, summary, frames = evaluate(
                args.env_id, net, name, args.episodes, args.seed, config, args.steps,
                progress=True, render_episodes=1 if args.render else 0, env_kwargs=env_kw,
                controller=ctrl, store=EpisodeStore(out / "episodes" / f"{name}__{model_dir.name}"))
            label = f"{name}/{model_dir.name}"
            runs[label] = results
            row = {"model": str(model_dir), "relus": net.relu_count, "controller": name,
                   **{k: summary[k] for k in ("episodes", "success_rate", "final_cost_mean",
                                              "final_cost_std", "plan_time_median_s",
                                              "plan_time_p95_s", "plan_time_max_s")},
                   **intervals(results, args.seed), "statuses": summary["statuses"]}
            rows.append(row)
            add_paired_with_best(rows, runs, args.seed)
            write_json(out / "results.json", rows)  # finished pairs stay readable
            if frames:
                plots.save_animation(frames[0], out / f"episode0__{name}__{model_dir.name}.gif")
            print(f"  {label}: success {summary['success_rate']:.2f}, final cost "
                  f"{summary['final_cost_mean']:.3f}")
        table = plots.results_table(rows, skipped)
        write_text(out / "results.md", table)
        if runs:
            plots.plot_final_costs(runs, out / "final_cost.png")
            plots.plot_cost_over_time(runs, out / "cost_over_time.png")
            plots.plot_trajectories(runs, out / "trajectories.png")
    print(table, end="")
    print(f"results -> {out} (results.md, results.json, final_cost.png, cost_over_time.png, "
          "trajectories.png)")


def sweep_to(spec, out: Path, workers: int | None = None, ray: str | None = None,
             progress: bool = True) -> tuple[list[dict], list[dict]]:
    """Run (or continue) a sweep and write ``results.json`` (one row per cell),
    ``paired.json``, ``results.md`` and ``success_vs_budget.png`` into ``out``.

    Args:
        spec: A :class:`~training.sweep_spec.SweepSpec` or the path of its TOML file.

    Returns:
        ``(rows, paired)``.
    """
    from controllers import MIP_CONTROLLERS
    from training import sweep_results
    from training.compare_plots import plot_success_vs_budget
    from training.evaluate import build_controller
    from training.sweep import run_sweep
    from training.sweep_spec import SweepSpec

    spec = spec if isinstance(spec, SweepSpec) else SweepSpec.load(spec)
    if spec.env not in envs.ENV_IDS:
        raise unknown_name("environment id", spec.env, envs.ENV_IDS)
    env_kw = _control_env_kwargs(argparse.Namespace(env_id=spec.env,
                                                    num_objects=spec.num_objects), spec.models)
    nets = {m: _load_control_net(Path(m), spec.env, env_kw) for m in spec.models}
    skip, relus = set(), {m: net.relu_count for m, net in nets.items()}
    for cell in spec.cells():  # every controller is built once, so a bad budget stops us here
        if cell.controller in MIP_CONTROLLERS and relus[cell.model] > spec.max_mip_relus:
            skip.add(cell.key)
            continue
        kwargs = {"bounds": spec.bounds} if cell.controller in MIP_CONTROLLERS else {}
        build_controller(spec.env, nets[cell.model], cell.controller, spec.planner_config(cell),
                         env_kw, **kwargs)
    results = run_sweep(spec, out, nets, env_kw, workers, ray, progress, skip)
    rows = sweep_results.cell_rows(spec, results, relus)
    paired = sweep_results.paired_rows(spec, results)
    write_json(Path(out) / "results.json", rows)
    write_json(Path(out) / "paired.json", paired)
    table = sweep_results.results_markdown(rows, paired)
    if skip:
        table += "\nSkipped (more ReLUs than max_mip_relus): " + ", ".join(sorted(skip)) + "\n"
    write_text(Path(out) / "results.md", table)
    plot_success_vs_budget(rows, Path(out) / "success_vs_budget.png")
    return rows, paired


def run_sweep(args: argparse.Namespace) -> None:
    rows, _ = sweep_to(args.spec, args.out, args.workers, args.ray)
    print((Path(args.out) / "results.md").read_text(), end="")
    print(f"results -> {args.out} (results.md, results.json, paired.json, "
          "success_vs_budget.png; episodes/ holds one file per finished episode)")


def run_improve(args: argparse.Namespace) -> None:
    from training.improve import ImproveConfig, check_resumable, improve, settings_of
    from training.sparsify import check_budget
    from training.train import check_trainable

    model, data = load_model(args.model), TransitionData.load(args.data)
    check_known_env(data.env_id, f"data {args.data}")
    planner = _control_setup(argparse.Namespace(**{**vars(args), "env_id": data.env_id}),
                             [args.controller])
    config = ImproveConfig(args.controller, args.relus, args.rounds, args.episodes, args.steps,
                           args.seed, args.train_epochs, args.relaxed_epochs,
                           args.finetune_epochs)
    check_model_fits(model, data, args.model, args.data)
    check_budget(model, SparsifyConfig(relus=args.relus))
    tcfg = _train_config_of(args.model)
    check_trainable(data, tcfg)
    settings = settings_of(config, planner, args.model, args.data)
    if args.resume:
        if args.out is None or args.overwrite:
            from mpcnet.errors import ConfigError

            raise ConfigError("--resume: expected --out DIR naming the interrupted run (and no "
                              "--overwrite).")
        check_resumable(args.out, settings)
        rows = improve(args.model, args.data, config, planner, tcfg, Path(args.out), True)
        out = Path(args.out)
    else:
        with run_directory(args.out, data.env_id, "improve", args.seed, args.overwrite) as out:
            write_json(out / "config.json", settings)
            rows = improve(args.model, args.data, config, planner, tcfg, out)
    print(f"{len(rows)} rounds -> {out / 'metrics.json'} (models and data in round_*/)")


def run_report(args: argparse.Namespace) -> None:
    from training.report import write_report

    out = write_report(args.runs, args.out, args.overwrite)
    print(f"report -> {out / 'report.html'} (self-contained) and {out / 'report.md'}")


def run_demo(args: argparse.Namespace) -> None:
    """The main job: collect, train (pusher frame), sparsify, then MIP-MPC on the sparse
    model against gradient descent, the best sampling-type planner measured on pushing
    (BENCHMARKS.md, issue 14), on the dense and the sparse model, in closed loop."""
    root = args.out or Path("runs") / f"demo__{time.strftime('%Y%m%d-%H%M%S')}"
    root = create_run_dir(root, "demo", "demo", args.seed)
    print(f"[1/4] collecting {args.episodes} episodes of mpcnet/Push-v0")
    data_dir, cm = collect_to(CollectConfig(episodes=args.episodes, seed=args.seed),
                              root / "collect")
    print(f"      {cm['transitions']} transitions, contact fraction {cm['contact_fraction']:.2f}")
    print(f"[2/4] training a 2x128 ReLU dynamics model (pusher frame) for {args.epochs} epochs")
    model_dir, tm = train_to(data_dir, TrainConfig(epochs=args.epochs, seed=args.seed,
                                                   frame="pusher"),
                             root / "train")
    print("      " + _train_summary(tm))
    print(f"[3/4] sparsifying to {args.relus} ReLUs (and the magnitude-pruning baseline)")
    sparse_dir, rows = sparsify_to(model_dir, data_dir, [args.relus],
                                   SparsifyConfig(relus=args.relus, seed=args.seed),
                                   root / "sparsify")
    print("      " + _sparsify_summary(rows[0]))
    print(f"[4/4] closed loop, {args.compare_episodes} episodes: MIP-MPC on the sparse model, "
          "gradient descent on the dense and the sparse model, 200 ms per step")
    compare = argparse.Namespace(
        env_id="mpcnet/Push-v0", models=[model_dir, sparse_dir], controllers="mip,gd",
        episodes=args.compare_episodes, seed=args.seed, max_mip_relus=args.relus,
        render=False, horizon=6, budget_ms=200.0, steps=30, bounds="symbolic",
        out=root / "compare", overwrite=False, resume=False, threads=None)
    run_compare(compare)
    print(f"artefacts: data -> {data_dir}, model -> {model_dir}, sparse model -> {sparse_dir},"
          f" comparison and plots -> {root / 'compare'}")
