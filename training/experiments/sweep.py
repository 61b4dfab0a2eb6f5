"""Closed-loop sweeps: every (cell, episode) of a :class:`SweepSpec` is a task, run on local
worker processes or on a Ray cluster, each finished episode written at once to its own file.

* **Workers** are separate processes with one torch thread and single-threaded HiGHS each, so
  they do not fight over cores. ``workers=1`` runs in this process.
* **Reproducible**: every task builds a fresh controller and env, so an episode depends only on
  its cell and seed, never on which episodes a worker ran before; with ``iterations`` in the
  spec the results are the same bit for bit on any number of workers and on Ray.
* **Resumable**: running the same spec into the same directory again runs only the episodes
  that have no file yet; another spec there is refused.
"""

from __future__ import annotations

import contextlib
import os
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from multiprocessing import get_context
from pathlib import Path

from mpcnet.artifacts import read_json, write_json
from mpcnet.errors import ArtifactError, ConfigError
from training.evaluate import EpisodeResult, EpisodeStore
from training.experiments.sweep_spec import SweepSpec
from training.progress import Progress
from training.rundirs import provenance, run_directory

_NETS: dict = {}  # model path -> network, in each worker process


def _init_worker(nets: dict) -> None:
    from mpcnet.threads import configure_threads, pin_heap_thresholds

    configure_threads(1)
    pin_heap_thresholds()
    _NETS.clear()
    _NETS.update(nets)


def run_task(task: dict, nets: dict | None = None) -> dict:
    """Run one episode of one cell; returns the :class:`EpisodeResult` as a dict."""
    import envs
    from controllers import MIP_CONTROLLERS, PlannerConfig
    from training.evaluate import controller_for, run_episode

    net = (nets or _NETS)[task["model"]]
    config = PlannerConfig(**task["config"])
    # the MIP controllers already run HiGHS on one thread
    kwargs = {"bounds": task["bounds"]} if task["controller"] in MIP_CONTROLLERS else {}
    env = envs.make(task["env"], max_episode_steps=task["steps"], **task["env_kwargs"])
    try:
        ctrl = controller_for(env, net, task["controller"], config, **kwargs)
        result, _ = run_episode(env, ctrl, task["seed"], task["steps"], execute=config.execute)
    finally:
        env.close()
    return result.to_dict()


def _ray_task(task: dict, nets) -> dict:
    _init_worker(nets)
    return run_task(task)


def _local(tasks: list[dict], nets: dict, workers: int):
    """``(task, result)`` as each finishes, on ``workers`` processes (1: this process)."""
    if workers == 1:
        _init_worker(nets)
        for task in tasks:
            yield task, run_task(task)
        return
    pool = ProcessPoolExecutor(workers, mp_context=get_context("spawn"),
                               initializer=_init_worker, initargs=(nets,))
    try:
        pending = {pool.submit(run_task, t): t for t in tasks}
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                yield pending.pop(future), future.result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _ray(tasks: list[dict], nets: dict, address: str):
    """``(task, result)`` as each finishes, on Ray (``local``: start a local instance)."""
    try:
        import ray
    except ImportError:
        raise ConfigError("--ray needs the ray package: pip install 'mpcnet[ray]'.") from None
    started = not ray.is_initialized()
    if started:
        ray.init(address=None if address == "local" else address, include_dashboard=False,
                 log_to_driver=False, configure_logging=False)
    try:
        remote = ray.remote(num_cpus=1)(_ray_task)
        nets_ref = ray.put(nets)
        pending = {remote.remote(t, nets_ref): t for t in tasks}
        while pending:
            done, _ = ray.wait(list(pending), num_returns=1)
            for ref in done:
                yield pending.pop(ref), ray.get(ref)
    finally:
        if started:
            ray.shutdown()


def _tasks(spec: SweepSpec, out: Path, env_kwargs: dict,
           skip: set[str]) -> tuple[list[dict], int]:
    """The tasks whose episode has no file yet, and the number of all tasks."""
    from training.evaluate import episode_seeds

    seeds = episode_seeds(spec.seed, spec.episodes)
    tasks, total = [], 0
    for cell in spec.cells():
        if cell.key in skip:
            continue
        store = EpisodeStore(out / "episodes" / cell.key)
        config = spec.planner_config(cell).to_dict()
        for i, seed in enumerate(seeds):
            total += 1
            if store.load(i, seed) is None:
                tasks.append({"cell": cell.key, "index": i, "seed": seed, "model": cell.model,
                              "controller": cell.controller, "config": config,
                              "env": spec.env, "env_kwargs": env_kwargs, "steps": spec.steps,
                              "bounds": spec.bounds})
    return tasks, total


def run_sweep(spec: SweepSpec, out: Path, nets: dict, env_kwargs: dict | None = None,
              workers: int | None = None, ray: str | None = None, progress: bool = True,
              skip: set[str] = frozenset()) -> dict[str, list[EpisodeResult]]:
    """Run every missing episode of ``spec`` into ``out``; returns each cell's episodes.

    Args:
        nets: Model path -> network (``ReluNet``, or a graph network instantiated for the
            env's objects), one for every model of the spec.
        workers: Local worker processes (default: the number of cores); ignored with ``ray``.
        ray: ``"local"`` (start a local Ray instance), ``"auto"`` or a cluster address.
        skip: Keys of cells not to run (e.g. a MIP on a model with too many ReLUs).
    """
    workers = workers or os.cpu_count() or 1
    if workers < 1:
        raise ConfigError(f"--workers: expected >= 1, got {workers}.")
    env_kwargs = env_kwargs or {}
    with _sweep_directory(spec, out) as out:
        tasks, total = _tasks(spec, out, env_kwargs, skip)
        runner = _ray(tasks, nets, ray) if ray else _local(tasks, nets, workers)
        bar = Progress(total=total, initial=total - len(tasks), desc="sweep", unit="ep",
                   disable=not progress)
        with bar:
            for task, result in runner:
                EpisodeStore(out / "episodes" / task["cell"]).save(task["index"],
                                                                   EpisodeResult(**result))
                bar.update(1)
    return load_results(spec, out)


def load_results(spec: SweepSpec, out: Path) -> dict[str, list[EpisodeResult]]:
    """Every finished episode of every cell, in episode order."""
    from training.evaluate import episode_seeds

    seeds = episode_seeds(spec.seed, spec.episodes)
    results = {}
    for cell in spec.cells():
        store = EpisodeStore(Path(out) / "episodes" / cell.key)
        found = [store.load(i, s) for i, s in enumerate(seeds)]
        results[cell.key] = [r for r in found if r is not None]
    return results


@contextlib.contextmanager
def _sweep_directory(spec: SweepSpec, out: Path):
    """A fresh sweep directory, or the existing one of the same spec (resume); ``meta.json``
    says ``"complete": false`` until the body finishes."""
    out = Path(out)
    if (out / "spec.json").is_file():
        saved, current = read_json(out / "spec.json", what="sweep spec"), spec.to_dict()
        changed = sorted(k for k in current.keys() | saved.keys()
                         if current.get(k) != saved.get(k))
        if changed:
            raise ArtifactError(f"--out {out} holds a sweep of another spec ({', '.join(changed)}"
                                " differ); use another --out, or the original spec to continue.")
        with _until_complete(out):
            yield out
    else:
        with run_directory(out, spec.env, "sweep", spec.seed, can_overwrite=False) as out:
            write_json(out / "spec.json", spec.to_dict())
            with _until_complete(out):
                yield out


@contextlib.contextmanager
def _until_complete(out: Path):
    write_json(out / "meta.json", {**provenance(), "complete": False})
    yield
    write_json(out / "meta.json", {**provenance(), "complete": True})
