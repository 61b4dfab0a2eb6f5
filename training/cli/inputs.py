"""Checks and loaders shared by the commands: an env id that exists, a model that fits its
data or env, the env settings of a control run, a model's training config."""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

from mpcnet.artifacts import read_json
from mpcnet.data import TransitionData
from mpcnet.errors import unknown_name
from training.config import CollectConfig, TrainConfig


def check_known_env(env_id: str, what: str, task: dict | None = None) -> None:
    """Refuse data or a model whose env id is not registered with gymnasium (a typo in a
    hand-made ``data.json``, or a task from a package that is not installed), after importing
    what registers it (``module:EnvId``, the ``task``'s ``import`` list)."""
    import gymnasium as gym

    import envs

    if envs.registered_id(env_id, task) not in gym.registry:
        raise unknown_name(f"environment id (named by {what})", env_id, envs.ENV_IDS)


def check_model_fits(model, data: TransitionData, model_dir: Path, data_dir: Path) -> None:
    """Refuse a model whose state and action sizes are not the data's."""
    from mpcnet.errors import ShapeError

    cfg = model.config()
    if cfg["type"] == "ReluGNN":
        n, m, wanted = data.state_dim, data.action_dim, model.action_dim
        if m != wanted or n < 6 or n % 2:
            what = "push primitives" if wanted == 4 else "pusher displacements"
            raise ShapeError(f"--model {model_dir} is a graph model (object-centric states, "
                             f"{what} of {wanted} numbers); --data {data_dir} has states of "
                             f"{n} and actions of {m} ({data.env_id}).")
        return
    sizes = (cfg.get("state_dim"), cfg.get("action_dim"))
    if sizes != (data.state_dim, data.action_dim):
        raise ShapeError(f"--model {model_dir} predicts states of {sizes[0]} from actions of "
                         f"{sizes[1]}; --data {data_dir} has states of {data.state_dim} and "
                         f"actions of {data.action_dim} ({data.env_id}); use data of the "
                         "model's env.")


def train_config_of(model_dir: Path, required: bool = False, _depth: int = 0) -> TrainConfig:
    """The training config of a model run, so sparsification holds out the same episodes.

    A sparsified model's config.json is its sparsify config, whose ``model`` names the dense
    run it came from: follow that link (a few levels, for sparse copies of sparse models).
    Where no training config is found, ``required`` raises an error that says what to do
    (sparsify and improve would otherwise validate on other episodes with other settings);
    else the defaults are returned (validate only needs a rollout horizon).
    """
    from mpcnet.errors import ArtifactError

    path = Path(model_dir) / "config.json"
    saved = read_json(path, what="training config") if path.is_file() else None
    parent = (saved or {}).get("model")
    if saved is not None and "relus" in saved and parent not in ("mlp", "gnn"):
        if parent and _depth < 8:
            return train_config_of(Path(parent), required, _depth + 1)
        saved = None
    if saved is None:
        if required:
            raise ArtifactError(
                f"{model_dir}: no training config.json (nor a link to the dense run it came "
                "from), so its held-out episodes and training settings are unknown; train it "
                "with `mpcnet train`, or write config.json with the TrainConfig fields it was "
                "trained with (at least seed and val_fraction).")
        return TrainConfig()
    names = {f.name for f in dataclasses.fields(TrainConfig)}
    # a run from before these settings had "auto" did what "world" and "none" do now
    saved = {"frame": "world", "augment": "none", **saved}
    return TrainConfig(**{k: v for k, v in saved.items() if k in names})


def is_imported(model_dir: Path) -> bool:
    """Whether ``model_dir`` holds a network imported by ``mpcnet import`` (no torch model)."""
    config = Path(model_dir) / "config.json"
    return config.is_file() and "imported_from" in read_json(config, "model config")


def load_net(model_dir: Path, num_objects: int | None = None):
    """The exported network of a model directory; a graph model is instantiated for
    ``num_objects`` objects (required for one)."""
    from mpcnet.errors import ConfigError
    from mpcnet.nn.graphnet import GraphNet
    from mpcnet.nn.model_io import load_model
    from mpcnet.nn.relunet import ReluNet

    if is_imported(model_dir):
        return ReluNet.load(Path(model_dir) / "relunet")
    model = load_model(model_dir)  # a clear error for a directory that is not a model
    if model.config()["type"] != "ReluGNN":
        return ReluNet.load(Path(model_dir) / "relunet")
    if not num_objects:
        raise ConfigError(f"{model_dir} holds a graph model; it needs an object-centric env "
                          "such as --env mpcnet/Sort-v0 or mpcnet/Rope-v0.")
    return GraphNet.load(Path(model_dir) / "graphnet").instantiate(num_objects)


def env_kwargs_of(args: argparse.Namespace, recorded: dict | None = None) -> dict:
    """``envs.make`` keyword arguments: the ``recorded`` ones (the models' data was collected
    with), then ``--num-objects`` (0: the env's default), ``--task`` and ``--approach-weight``
    (omitted: the env's own); checked against ``--env``."""
    import envs
    from training.collect import env_kwargs

    kwargs = dict(recorded or {})
    kwargs.update(env_kwargs(CollectConfig(env_id=args.env_id,
                                           task=getattr(args, "task", "") or "",
                                           num_objects=getattr(args, "num_objects", 0) or 0)))
    envs.check_env_id(args.env_id, kwargs.get("task"))
    weight = getattr(args, "approach_weight", None)  # None: the env's own (0.05 on v2)
    if weight is not None:
        if not args.env_id.startswith("mpcnet/Push"):
            from mpcnet.errors import ConfigError

            raise ConfigError(f"--approach-weight: only the Push envs have a pusher to keep by "
                              f"the object, got --env {args.env_id}; drop the flag.")
        kwargs["approach_weight"] = weight
    return kwargs


def control_env_kwargs(args: argparse.Namespace, model_dirs) -> dict:
    """``envs.make`` keyword arguments of a control run: the ones the models' data was
    collected with (``max_step``, ``task``), then ``--num-objects`` and ``--task``. Models
    that disagree are refused."""
    from mpcnet.errors import ConfigError

    recorded = []
    for d in model_dirs:
        if is_sim(d):  # the simulator is made like the models' env
            continue
        path = Path(d) / "config.json"
        saved = read_json(path, "model config").get("env_kwargs", {}) if path.is_file() else {}
        recorded.append({k: v for k, v in saved.items() if k != "num_objects"})
    recorded = recorded or [{}]
    if any(r != recorded[0] for r in recorded):
        raise ConfigError(f"--models: their data came from differently made envs "
                          f"({recorded}); compare models of the same env settings.")
    return env_kwargs_of(args, recorded[0])


def env_sizes(env_id: str, kwargs: dict) -> tuple[int | None, int, int]:
    """``(objects, state size, action size)`` of an env (objects ``None`` for one object)."""
    import envs
    env = envs.make(env_id, **kwargs)
    try:
        return (getattr(env.unwrapped, "num_objects", None), env.observation_space.shape[0],
                env.action_space.shape[0])
    finally:
        env.close()


def num_objects_of(env_id: str, kwargs: dict) -> int | None:
    """Objects in the env's state (``None`` for a single-object env)."""
    return env_sizes(env_id, kwargs)[0]


def trained_env_id(model_dir) -> str | None:
    """The env a model directory's data came from (its ``config.json``), if it says."""
    config = Path(model_dir) / "config.json"
    return read_json(config, "model config").get("env_id") if config.is_file() else None


def resolve_env_id(args: argparse.Namespace) -> None:
    """Fill an omitted ``--env``: the env the first model's data came from (``--model`` or
    ``--models``; the simulator has none), else the env ``--task`` names, else
    ``envs.DEFAULT_ENV_ID``."""
    if not hasattr(args, "env_id") or args.env_id is not None:
        return
    from envs import DEFAULT_ENV_ID

    models = getattr(args, "models", None) or [getattr(args, "model", None)]
    for model_dir in models:
        if model_dir is None or is_sim(model_dir):
            continue
        env_id = trained_env_id(model_dir)
        if env_id:
            args.env_id = env_id
            return
    task = getattr(args, "task", None)
    if task:  # e.g. `--models sim --task pusht.toml`: the env the task is for
        from envs.task import read_task_file

        named = read_task_file(task).get("env")
        args.env_id = named if isinstance(named, str) and named else DEFAULT_ENV_ID
        return
    args.env_id = DEFAULT_ENV_ID


def is_sim(model_dir) -> bool:
    """Whether a ``--model``/``--models`` entry names the simulator (``sim``), not a directory
    (a model directory called ``sim`` is named with its parent, e.g. ``runs/sim``)."""
    from envs.simulator import SIM_NAME

    return str(model_dir) == SIM_NAME


def load_control_net(model_dir: Path, env_id: str, env_kw: dict):
    """The network of ``model_dir`` for ``env_id`` (or the simulator itself for ``sim``):
    refused if its sizes are not the env's; a warning on stderr if it was trained on another
    env of the same sizes and other dynamics (a Push-v1 model on PushObstacle-v0 is at home)."""
    import sys

    import envs
    from mpcnet.errors import ShapeError

    if is_sim(model_dir):
        from envs.simulator import SimModel

        return SimModel(env_id, env_kw)
    objects, n, m = env_sizes(env_id, env_kw)
    net = load_net(model_dir, objects)
    if (net.state_dim, net.action_dim) != (n, m):
        raise ShapeError(f"--model {model_dir} predicts states of {net.state_dim} from actions "
                         f"of {net.action_dim}; {env_id} has states of {n} and actions of {m}; "
                         "pass the --env the model was trained on.")
    trained_on = trained_env_id(model_dir)
    if trained_on and envs.dynamics_of(trained_on) != envs.dynamics_of(env_id):
        print(f"warning: {model_dir} was trained on {trained_on}, evaluated here on {env_id}",
              file=sys.stderr)
    return net
