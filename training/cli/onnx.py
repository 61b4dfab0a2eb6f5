"""``mpcnet export`` and ``mpcnet import``: dynamics networks in and out as ONNX."""

from __future__ import annotations

import argparse
from pathlib import Path

from mpcnet.errors import ArtifactError, ShapeError
from training.cli.inputs import env_kwargs_of, env_sizes, load_net
from training.cli.options import add_env_args, add_output_args, int_in
from training.rundirs import run_directory, write_stage


def add_parsers(sub) -> None:
    """`mpcnet export | import`."""
    p = sub.add_parser("export", help="write a model's network as ONNX ([state; action] rows "
                       "to the next state, residual included)")
    p.set_defaults(run=f"{__name__}:run_export")
    p.add_argument("--model", type=Path, required=True, help="model directory")
    p.add_argument("--onnx", type=Path, required=True, help="ONNX file to write")
    p.add_argument("--num-objects", type=int_in(2, 6), default=None,
                   help="graph models: the number of objects to instantiate it for")
    p.add_argument("--dtype", choices=["float32", "float64"], default="float32",
                   help="float32 (default, what runtimes expect) or float64 (exact weights)")
    p.add_argument("--overwrite", action="store_true", help="replace --onnx if it exists")

    p = sub.add_parser("import", help="a ReLU MLP trained elsewhere (ONNX: Gemm/MatMul, Add, "
                       "Relu) as a model directory for evaluate, compare and bench")
    p.set_defaults(run=f"{__name__}:run_import")
    p.add_argument("--onnx", type=Path, required=True, help="ONNX file: one input [state; "
                   "action] of shape (batch, n + m), one output: the next state (batch, n)")
    p.add_argument("--residual", action="store_true",
                   help="the network predicts the state change (x' = x + net); default: as "
                        "the graph says")
    add_env_args(p)
    add_output_args(p)


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
    net = load_net(args.model, args.num_objects)
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
    env_kw = env_kwargs_of(args)
    _, n, m = env_sizes(args.env_id, env_kw)
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
