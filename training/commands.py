"""The work behind each ``mpcnet`` subcommand: configs in, artefacts out, location printed."""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import envs
from mpcnet.artifacts import create_run_dir, write_stage
from mpcnet.data import TransitionData
from mpcnet.errors import unknown_name
from mpcnet.torch_models import save_model
from training.cli import _config_from_args
from training.collect import collect
from training.config import CollectConfig, TrainConfig


def collect_to(config: CollectConfig, out: Path | None, overwrite: bool = False,
               progress: bool = True) -> tuple[Path, dict]:
    """Collect data and write ``data.npz``, ``config.json``, ``meta.json``, ``metrics.json``."""
    if config.env_id not in envs.ENV_IDS:
        raise unknown_name("environment id", config.env_id, envs.ENV_IDS)
    out = create_run_dir(out, config.env_id, "collect", config.seed, overwrite)
    data, metrics = collect(config, progress=progress)
    data.save(out)
    write_stage(out, config.to_dict(), metrics)
    return out, metrics


def train_to(data_dir: Path, config: TrainConfig, out: Path | None, overwrite: bool = False,
             progress: bool = True) -> tuple[Path, dict]:
    """Train on ``data_dir``; write the model, ``config.json``, ``meta.json``, ``metrics.json``."""
    from training.train import train  # torch-heavy

    data = TransitionData.load(data_dir)
    out = create_run_dir(out, data.env_id, "train", config.seed, overwrite)
    model, metrics, history = train(data, config, progress=progress)
    save_model(model, out)
    write_stage(out, {**config.to_dict(), "data": str(data_dir), "env_id": data.env_id},
                {**metrics, "history": history})
    return out, metrics


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
            f"(no change {m['val_mse_rollout_zero']:.3g}), {m['relus']} ReLUs")


def run_demo(args: argparse.Namespace) -> None:
    """Collect push data, train a dense model, report validation errors."""
    root = args.out or Path("runs") / f"demo__{time.strftime('%Y%m%d-%H%M%S')}"
    root = create_run_dir(root, "demo", "demo", args.seed)
    print(f"[1/2] collecting {args.episodes} episodes of mpcnet/Push-v0")
    data_dir, cm = collect_to(CollectConfig(episodes=args.episodes, seed=args.seed),
                              root / "collect")
    print(f"      {cm['transitions']} transitions, contact fraction {cm['contact_fraction']:.2f}")
    print(f"[2/2] training a 2x128 ReLU dynamics model for {args.epochs} epochs")
    model_dir, tm = train_to(data_dir, TrainConfig(epochs=args.epochs, seed=args.seed),
                             root / "train")
    print("      " + _train_summary(tm))
    print(f"artefacts: data -> {data_dir}, model -> {model_dir}")
