"""``mpcnet export`` and ``mpcnet import``: dynamics networks in and out as ONNX."""

from __future__ import annotations

import argparse
from pathlib import Path

from mpcnet.errors import ArtifactError, ShapeError
from training.cli.run_inputs import _env_kwargs, _env_sizes, _load_net
from training.rundirs import run_directory, write_stage


def run_export(args: argparse.Namespace) -> None:
    """The model's network (a graph model instantiated for ``--num-objects``) as ONNX."""
    from mpcnet.nn.onnx_io import to_onnx
    from training.rundirs import check_out_file

    check_out_file(args.onnx, "--onnx")
    if args.onnx.exists() and not args.overwrite:
        raise ArtifactError(f"--onnx {args.onnx} exists; pass --overwrite to replace it or "
                            "choose another file.")
    if not args.num_objects and (Path(args.model) / "graphnet.json").is_file():
        raise ArtifactError(f"--model {args.model} is a graph model: pass --num-objects N (2 to "
                            "6) for the object count to instantiate it for.")
    net = _load_net(args.model, args.num_objects)
    to_onnx(net, args.onnx, args.dtype)
    print(f"{net.relu_count} ReLUs, {net.identity_count} identity neurons; input state_action "
          f"(batch, {net.state_dim} + {net.action_dim}), output next_state (batch, "
          f"{net.state_dim}){', residual included' if net.residual else ''}, {args.dtype}")
    print(f"ONNX -> {args.onnx}")


def run_import(args: argparse.Namespace) -> None:
    """A ReLU MLP from ONNX as a model directory the control commands accept."""
    from mpcnet.nn.onnx_io import from_onnx

    if not Path(args.onnx).is_file():
        raise ArtifactError(f"--onnx {args.onnx} does not exist; pass an ONNX file.")
    net = from_onnx(args.onnx, residual=args.residual or None)
    env_kw = _env_kwargs(args)
    _, n, m = _env_sizes(args.env_id, env_kw)
    if (n, m) != (net.state_dim, net.action_dim):
        raise ShapeError(f"--onnx {args.onnx} maps states of {net.state_dim} and actions of "
                         f"{net.action_dim}; {args.env_id} has states of {n} and actions of "
                         f"{m}; pass the --env (and --task) the network was trained for.")
    with run_directory(args.out, args.env_id, "import", 0, args.overwrite) as out:
        net.save(out / "relunet")
        write_stage(out, {"imported_from": str(args.onnx), "residual": net.residual,
                          "env_id": args.env_id, "env_kwargs": env_kw},
                    {"relus": net.relu_count, "identity_neurons": net.identity_count,
                     "hidden_sizes": net.hidden_sizes})
    print(f"{net.relu_count} ReLUs in {len(net.hidden_layers)} hidden layers, states of "
          f"{net.state_dim}, actions of {net.action_dim}, "
          f"{'residual' if net.residual else 'absolute'} next state")
    print(f"model -> {out} (use it with evaluate, compare, bench; it has no torch weights, so "
          "it cannot be sparsified or fine-tuned here)")
