"""The work behind the closed-loop commands: ``evaluate``, ``compare``, ``sweep`` and
``improve``."""

from __future__ import annotations

import argparse
import contextlib
from pathlib import Path

from mpcnet.artifacts import read_json, write_json, write_text
from mpcnet.data import TransitionData
from mpcnet.errors import unknown_name
from training.cli.inputs import (
    check_known_env,
    check_model_fits,
    control_env_kwargs,
    load_control_net,
    train_config_of,
)
from training.cli.options import (
    EPISODES,
    SEED,
    add_control_args,
    add_env_args,
    add_output_args,
    int_in,
)
from training.config import SparsifyConfig
from training.rundirs import run_directory


def add_parsers(sub) -> None:
    """`mpcnet evaluate | compare | diagnose | improve | sweep`."""
    p = sub.add_parser("evaluate", help="closed-loop episodes with one controller")
    p.set_defaults(run=f"{__name__}:run_evaluate")
    add_env_args(p)
    p.add_argument("--model", type=Path, required=True, help="model directory")
    p.add_argument("--controller", default="mip",
                   help="mip, mip-mppi (MPPI for 40%% of the budget, then the MIP from its "
                        "plan), mip-gd (the same with gradient descent), mppi, cem, gd, random, "
                        "bab or hold (do nothing)")
    p.add_argument("--episodes", type=EPISODES, default=10,
                   help="episodes (default 10; at most 100,000)")
    p.add_argument("--seed", type=SEED, default=0, help="seed of the episodes (default 0)")
    add_control_args(p)
    add_output_args(p, resumable=True)

    p = sub.add_parser("compare", help="every (model, controller) pair on the same episodes")
    p.set_defaults(run=f"{__name__}:run_compare")
    add_env_args(p)
    p.add_argument("--models", type=Path, nargs="+", required=True,
                   help="model directories, e.g. DENSE_DIR SPARSE_DIR")
    p.add_argument("--controllers", default="mip,mppi,cem,gd,random,hold",
                   help="comma-separated controllers (default mip,mppi,cem,gd,random,hold; "
                        "also mip-mppi, mip-gd and bab; hold does nothing, the baseline to beat)")
    p.add_argument("--episodes", type=EPISODES, default=10,
                   help="episodes per pair (default 10; at most 100,000)")
    p.add_argument("--seed", type=SEED, default=0, help="seed of the episodes (default 0)")
    p.add_argument("--max-mip-relus", type=int_in(0, 1_000_000), default=32,
                   help="run mip, mip-mppi and mip-gd only on models with at most this many ReLUs "
                        "per step (default 32)")
    p.add_argument("--render", action="store_true",
                   help="also save an animated GIF of the first episode of every pair")
    add_control_args(p)
    add_output_args(p, resumable=True)

    p = sub.add_parser("diagnose", help="where a model fails its planner: errors on the states "
                       "the planner visits, planned against realised cost, failed episodes "
                       "classified")
    p.set_defaults(run=f"{__name__}:run_diagnose")
    add_env_args(p)
    p.add_argument("--model", type=Path, required=True, help="model directory")
    p.add_argument("--controller", default="gd", help="the planner (default gd)")
    p.add_argument("--episodes", type=EPISODES, default=20,
                   help="episodes (default 20; at most 100,000)")
    p.add_argument("--seed", type=SEED, default=0, help="seed of the episodes (default 0)")
    add_control_args(p)
    add_output_args(p)

    p = sub.add_parser("improve", help="rounds of: run the controller with the sparse model, "
                       "add its transitions, fine-tune the dense model, sparsify again")
    p.set_defaults(run=f"{__name__}:run_improve")
    p.add_argument("--model", type=Path, required=True, help="dense model directory")
    p.add_argument("--data", type=Path, required=True, help="its data (from `collect`)")
    p.add_argument("--controller", default="mip", help="controller that gathers data (mip)")
    p.add_argument("--relus", type=int_in(0, 100_000), default=16,
                   help="ReLU budget K of the sparse model (default 16)")
    p.add_argument("--rounds", type=int_in(0, 100), default=3,
                   help="rounds after round 0 (default 3)")
    p.add_argument("--episodes", type=EPISODES, default=20,
                   help="controller episodes per round (default 20)")
    p.add_argument("--seed", type=SEED, default=0, help="seed of the episodes (default 0)")
    p.add_argument("--train-epochs", type=int_in(1, 100_000), default=30,
                   help="fine-tuning epochs of the dense model per round (default 30)")
    p.add_argument("--relaxed-epochs", type=int_in(1, 100_000), default=40,
                   help="sparsification: relaxed epochs per round (default 40)")
    p.add_argument("--finetune-epochs", type=int_in(0, 100_000), default=20,
                   help="sparsification: fine-tuning epochs per round (default 20)")
    p.add_argument("--teacher-episodes", type=int_in(0, 100_000), default=0,
                   help="also, per round, episodes of the reference planner (CEM on the "
                        "simulator itself), whose transitions join the data (default 0)")
    p.add_argument("--teacher-samples", type=int_in(1, 1_000_000), default=128,
                   help="the reference planner's CEM samples per iteration (default 128)")
    p.add_argument("--teacher-iterations", type=int_in(1, 1_000), default=4,
                   help="the reference planner's CEM iterations per step (default 4)")
    p.add_argument("--distill", action=argparse.BooleanOptionalAction, default=None,
                   help="sparsify each round by distillation from the round's dense model "
                        "(see `sparsify --distill`; default: on for Push data)")
    add_control_args(p)
    add_output_args(p, resumable=True)

    p = sub.add_parser("sweep", help="closed-loop sweep of a TOML spec (models x controllers "
                       "x budgets x horizons x execute x seeded episodes), resumable")
    p.set_defaults(run=f"{__name__}:run_sweep")
    p.add_argument("spec", type=Path, help="the sweep spec (TOML; see docs/sweeps-and-report.md)")
    p.add_argument("--out", type=Path, required=True,
                   help="sweep directory; run the same spec into it again to continue")
    p.add_argument("--workers", type=int_in(1, 1_024), default=None,
                   help="local worker processes, one torch thread each (default: the number "
                        "of cores)")
    p.add_argument("--ray", default=None, metavar="ADDRESS",
                   help="run on Ray instead: 'local' (start a local instance), 'auto' (the "
                        "running cluster) or a cluster address; needs pip install 'mpcnet[ray]'")


def _control_setup(args: argparse.Namespace, controllers: list[str]):
    from controllers import CONTROLLER_NAMES
    from mpcnet.errors import ConfigError
    from training.cli.options import planner_config_from_args

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


_NOT_RUN_SETTINGS = ("out", "overwrite", "resume", "threads", "verbose")


def _run_settings(args: argparse.Namespace) -> dict:
    """The settings of a control run as saved in ``config.json`` (JSON types)."""
    import json

    settings = {k: v for k, v in vars(args).items() if k not in _NOT_RUN_SETTINGS}
    return json.loads(json.dumps(settings, default=str))


def _extends(episodes, saved_episodes) -> bool:
    """Whether ``--episodes`` extends a run of ``saved_episodes`` (both integers, more now)."""
    return (isinstance(episodes, int) and isinstance(saved_episodes, int)
            and episodes > saved_episodes)


@contextlib.contextmanager
def _control_run(args: argparse.Namespace, stage: str):
    """The run directory of ``evaluate``/``compare``: fresh, or with ``--resume`` the existing
    one of an interrupted run with the same settings, or of a finished one that ``--episodes``
    extends (episode ``i`` has the same seed for any count). ``meta.json`` says
    ``"complete": false`` until the body finishes."""
    from mpcnet.errors import ArtifactError, ConfigError
    from training.rundirs import provenance

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
        if changed == ["episodes"] and _extends(settings["episodes"], saved["episodes"]):
            changed = []  # more episodes extend the run: the first ones keep their seeds
        if changed:
            raise ArtifactError(f"--resume {args.out}: the run was started with other settings "
                                f"({', '.join(changed)}); repeat its command with --resume "
                                "(--episodes may only grow).")
        out = Path(args.out)
        write_json(out / "config.json", settings)
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
    env_kw = control_env_kwargs(args, [args.model])
    net = load_control_net(args.model, args.env_id, env_kw)
    kwargs = {"bounds": args.bounds} if args.controller in MIP_CONTROLLERS else {}
    ctrl = build_controller(args.env_id, net, args.controller, config, env_kw, **kwargs)
    with _control_run(args, f"evaluate-{args.controller}") as out:
        evaluated = evaluate(args.env_id, net, args.controller, args.episodes,
                             args.seed, config, args.steps, progress=True,
                             env_kwargs=env_kw, controller=ctrl,
                             store=EpisodeStore(out / "episodes"))
        results, summary = evaluated.episodes, evaluated.summary
        write_json(out / "metrics.json", {**summary, "relus": net.relu_count,
                                          "episodes_detail": [r.to_dict() for r in results]})
    size = "the simulator" if net.relu_count is None else f"{net.relu_count} ReLUs"
    print(f"{args.controller} on {args.model} ({size}): success rate "
          f"{summary['success_rate']:.2f}, final cost {summary['final_cost_mean']:.3f} +- "
          f"{summary['final_cost_std']:.3f}, "
          + ("" if summary["reward_mean"] is None else
             f"env return {summary['reward_mean']:.1f} +- {summary['reward_std']:.1f}, ")
          + ("" if summary["improved_rate"] is None else
             f"the MILP beat its warm start on {summary['improved_rate']:.0%} of steps, ")
          + f"median plan time {summary['plan_time_median_s']:.3f} s")
    print(f"metrics -> {out / 'metrics.json'}")


def _compare_pairs(args, names, nets, config, env_kw):
    """``(model_dir, net, name, controller)`` of every pair to run, each controller built
    (and its budget checked) before anything is written; and the pairs skipped, with why."""
    from controllers import MIP_CONTROLLERS
    from training.evaluate import build_controller, unsupported

    pairs, skipped = [], []
    for model_dir, net in nets:
        for name in names:
            reason = unsupported(net, name)
            if reason:
                skipped.append(f"{name} on {model_dir} ({reason})")
                continue
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
    from training.experiments.stats import episode_intervals

    success, cost = episode_intervals(results, seed)
    return {"success_ci95": list(success), "final_cost_ci95": list(cost)}


def add_paired_with_best(rows: list[dict], runs: dict, seed: int) -> None:
    """Give every row ``vs_best`` (:func:`training.experiments.stats.add_vs_best`): it minus
    the best row on the episode seeds both ran; and, where a ``hold`` row ran, ``vs_hold``
    (:func:`training.experiments.stats.add_vs_hold`): it minus doing nothing."""
    from training.experiments.stats import add_vs_best, add_vs_hold

    labels = [f"{r['controller']}/{Path(r['model']).name}" for r in rows]
    episodes = [runs[label] for label in labels]
    add_vs_best(rows, episodes, labels, seed)
    add_vs_hold(rows, episodes, labels, seed)


def run_compare(args: argparse.Namespace) -> None:
    from training.evaluate import EpisodeStore, evaluate
    from training.experiments import compare_plots as plots

    names = [c.strip() for c in args.controllers.split(",") if c.strip()]
    config = _control_setup(args, names)
    env_kw = control_env_kwargs(args, args.models)
    nets = [(Path(d), load_control_net(d, args.env_id, env_kw)) for d in args.models]
    labels = [f"{name}__{Path(d).name}" for d in args.models for name in names]
    if len(set(labels)) < len(labels):
        from mpcnet.errors import ConfigError

        raise ConfigError("--models: expected directories with distinct names (results are "
                          "filed by directory name), got " + " ".join(map(str, args.models)))
    pairs, skipped = _compare_pairs(args, names, nets, config, env_kw)
    with _control_run(args, "compare") as out:
        rows, runs = [], {}
        for model_dir, net, name, ctrl in pairs:
            evaluated = evaluate(
                args.env_id, net, name, args.episodes, args.seed, config, args.steps,
                progress=True, render_episodes=1 if args.render else 0, env_kwargs=env_kw,
                controller=ctrl, store=EpisodeStore(out / "episodes" / f"{name}__{model_dir.name}"))
            results, frames = evaluated.episodes, evaluated.frames
            summary = evaluated.summary
            label = f"{name}/{model_dir.name}"
            runs[label] = results
            row = {"model": str(model_dir), "relus": net.relu_count, "controller": name,
                   **{k: summary[k] for k in ("episodes", "success_rate", "final_cost_mean",
                                              "final_cost_std", "reward_mean", "reward_std",
                                              "plan_time_median_s", "plan_time_p95_s",
                                              "plan_time_max_s", "steps_to_success_median",
                                              "improved_rate",
                                              "violations_mean", "violated_rate")},
                   **intervals(results, args.seed), "statuses": summary["statuses"]}
            rows.append(row)
            add_paired_with_best(rows, runs, args.seed)
            write_json(out / "results.json", rows)  # finished pairs stay readable
            if frames:
                plots.save_animation(frames[0], out / f"episode0__{name}__{model_dir.name}.gif")
            improved = summary["improved_rate"]
            print(f"  {label}: success {summary['success_rate']:.2f}, final cost "
                  f"{summary['final_cost_mean']:.3f}" + ("" if improved is None else
                  f", the MILP beat its warm start on {improved:.0%} of steps"))
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
        spec: A :class:`~training.experiments.sweep_spec.SweepSpec` or the path of its TOML file.

    Returns:
        ``(rows, paired)``.
    """
    from controllers import MIP_CONTROLLERS
    from training.evaluate import build_controller, unsupported
    from training.experiments import sweep_results
    from training.experiments.compare_plots import plot_success_vs_budget
    from training.experiments.stats import add_vs_best
    from training.experiments.sweep import run_sweep
    from training.experiments.sweep_spec import SweepSpec

    spec = spec if isinstance(spec, SweepSpec) else SweepSpec.load(spec)
    env_kw = control_env_kwargs(argparse.Namespace(env_id=spec.env,
                                                    num_objects=spec.num_objects), spec.models)
    nets = {m: load_control_net(Path(m), spec.env, env_kw) for m in spec.models}
    skip, relus = set(), {m: net.relu_count for m, net in nets.items()}
    for cell in spec.cells():  # every controller is built once, so a bad budget stops us here
        if unsupported(nets[cell.model], cell.controller) or (
                cell.controller in MIP_CONTROLLERS and relus[cell.model] > spec.max_mip_relus):
            skip.add(cell.key)
            continue
        kwargs = {"bounds": spec.bounds} if cell.controller in MIP_CONTROLLERS else {}
        build_controller(spec.env, nets[cell.model], cell.controller, spec.planner_config(cell),
                         env_kw, **kwargs)
    results = run_sweep(spec, out, nets, env_kw, workers, ray, progress, skip)
    rows = sweep_results.cell_rows(spec, results, relus)
    add_vs_best(rows, [results[r["cell"]] for r in rows], [r["cell"] for r in rows], spec.seed)
    paired = sweep_results.paired_rows(spec, results)
    write_json(Path(out) / "results.json", rows)
    write_json(Path(out) / "paired.json", paired)
    table = sweep_results.results_markdown(rows, paired)
    if skip:
        table += ("\nSkipped (more ReLUs than max_mip_relus, or a planner that needs a "
                  "network on the simulator): " + ", ".join(sorted(skip)) + "\n")
    write_text(Path(out) / "results.md", table)
    plot_success_vs_budget(rows, Path(out) / "success_vs_budget.png")
    return rows, paired


def run_sweep(args: argparse.Namespace) -> None:
    rows, _ = sweep_to(args.spec, args.out, args.workers, args.ray)
    print((Path(args.out) / "results.md").read_text(), end="")
    print(f"results -> {args.out} (results.md, results.json, paired.json, "
          "success_vs_budget.png; episodes/ holds one file per finished episode)")


def run_improve(args: argparse.Namespace) -> None:
    from mpcnet.nn.model_io import load_model
    from training.improve import ImproveConfig, check_resumable, improve, settings_of
    from training.sparsify import check_budget, distills_by_default
    from training.train import check_trainable

    model, data = load_model(args.model), TransitionData.load(args.data)
    check_known_env(data.env_id, f"data {args.data}", data.env_kwargs.get("task"))
    planner = _control_setup(argparse.Namespace(**{**vars(args), "env_id": data.env_id}),
                             [args.controller])
    config = ImproveConfig(args.controller, args.relus, args.rounds, args.episodes, args.steps,
                           args.seed, args.train_epochs, args.relaxed_epochs,
                           args.finetune_epochs, args.teacher_episodes,
                           distills_by_default(data) if args.distill is None else args.distill,
                           args.teacher_samples, args.teacher_iterations)
    check_model_fits(model, data, args.model, args.data)
    check_budget(model, SparsifyConfig(relus=args.relus))
    tcfg = train_config_of(args.model, required=True)
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


def run_diagnose(args: argparse.Namespace) -> None:
    """Closed-loop episodes with one planner, and where the model fails it
    (:mod:`training.diagnose`): ``diagnosis.json``, ``diagnosis.md``, ``diagnosis.png``."""
    from mpcnet.errors import ConfigError
    from training.diagnose import diagnose
    from training.experiments.compare_plots import diagnosis_markdown, plot_diagnosis

    config = _control_setup(args, [args.controller])
    env_kw = control_env_kwargs(args, [args.model])
    net = load_control_net(args.model, args.env_id, env_kw)
    if not hasattr(net, "step"):
        raise ConfigError(f"--model {args.model}: diagnose measures a learned model's errors; "
                          "the simulator has none. Pass a model directory.")
    with run_directory(args.out, args.env_id, f"diagnose-{args.controller}", args.seed,
                       args.overwrite) as out:
        result = diagnose(args.env_id, net, args.controller, args.episodes, args.seed, config,
                          args.steps, env_kw, progress=True)
        record = {"model": str(args.model), "controller": args.controller,
                  "summary": result.summary, "measures": result.measures,
                  "failures": result.failures, "episodes": result.per_episode}
        write_json(out / "diagnosis.json", record)
        write_text(out / "diagnosis.md", diagnosis_markdown(record))
        plot_diagnosis(result.per_episode, out / "diagnosis.png")
    print(diagnosis_markdown(record), end="")
    print(f"diagnosis -> {out} (diagnosis.md, diagnosis.json, diagnosis.png)")
