"""Saving and loading the torch dynamics models (MLP and graph model) of a model directory."""

from __future__ import annotations

from pathlib import Path

import torch

from mpcnet.artifacts import FORMAT_VERSION, read_json, write_json
from mpcnet.errors import ArtifactError, ConfigError
from mpcnet.nn.gated import GatedReluModel
from mpcnet.nn.torch_gnn import ReluGNN
from mpcnet.nn.torch_models import ReluMLP

MODEL_TYPES = ("ReluMLP", "ReluGNN")


def export_stem(model_or_config) -> str:
    """File stem of a model's exported network: ``relunet`` (MLP) or ``graphnet`` (GNN)."""
    cfg = model_or_config if isinstance(model_or_config, dict) else model_or_config.config()
    return "graphnet" if cfg.get("type") == "ReluGNN" else "relunet"


def model_from_config(cfg: dict) -> GatedReluModel:
    """A fresh model of the structure ``cfg`` describes (``model.json``).

    Raises:
        KeyError, TypeError, ValueError, ConfigError: for an invalid description.
    """
    return (ReluGNN if cfg.get("type") == "ReluGNN" else ReluMLP).from_config(cfg)


def save_model(model: GatedReluModel, directory: Path) -> None:
    """Write ``model.pt`` (torch state), ``model.json`` (structure) and the exported network
    (``relunet.{npz,json}`` for an MLP, ``graphnet.{npz,json}`` for a GNN)."""
    directory = Path(directory)
    write_json(directory / "model.json", model.config())
    tmp = directory / ".model.pt.tmp"
    torch.save(model.state_dict(), tmp)
    tmp.replace(directory / "model.pt")
    model.export().save(directory / export_stem(model))


def load_model(directory: Path) -> GatedReluModel:
    """Load a model written by :func:`save_model` (by ``mpcnet train`` or ``sparsify``).

    Raises:
        ArtifactError: naming the file, if it is missing, corrupted or does not match.
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise ArtifactError(f"model directory {directory} does not exist; check the path.")
    if not (directory / "model.json").is_file():
        raise ArtifactError(
            f"{directory} holds no model.json; expected a model directory written by "
            "`mpcnet train` or `mpcnet sparsify`."
        )
    cfg = read_json(directory / "model.json", what="model description")
    if cfg.get("type") not in MODEL_TYPES or cfg.get("format_version") != FORMAT_VERSION:
        raise ArtifactError(
            f"model description {directory / 'model.json'}: expected a ReluMLP or ReluGNN of "
            f"format {FORMAT_VERSION}, got {cfg.get('type')!r} format "
            f"{cfg.get('format_version')!r}."
        )
    try:
        model = model_from_config(cfg)
    except (KeyError, TypeError, ValueError, ConfigError) as exc:
        raise ArtifactError(
            f"model description {directory / 'model.json'} is invalid: {exc}"
        ) from exc
    path = directory / "model.pt"
    if not path.is_file():
        raise ArtifactError(f"model weights {path} do not exist; re-run `mpcnet train`.")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
        for name, default in model.state_dict().items():  # maps added after a model was saved
            if name in ("output_map", "action_map"):
                state.setdefault(name, default)
        model.load_state_dict(state)
    except Exception as exc:  # unpickling and size mismatches both mean a bad file
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ArtifactError(
            f"model weights {path} are corrupted or do not match model.json ({first})."
        ) from exc
    return model.eval()
