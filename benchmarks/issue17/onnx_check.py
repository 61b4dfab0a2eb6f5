"""ONNX round trip on trained models: onnxruntime against ReluNet, and export -> import."""
import sys
import tempfile
from pathlib import Path

import numpy as np
import onnxruntime as ort

from mpcnet.nn.graphnet import GraphNet
from mpcnet.nn.onnx_io import from_onnx, to_onnx
from mpcnet.nn.relunet import ReluNet

nets = {"pendulum 16 ReLUs": ReluNet.load(Path(sys.argv[1]) / "relunet"),
        "mountain car 16 ReLUs": ReluNet.load(Path(sys.argv[2]) / "relunet"),
        "sort GNN 32 ReLUs, 4 objects":
            GraphNet.load(Path(sys.argv[3]) / "graphnet").instantiate(4)}
rng = np.random.default_rng(0)
print("| network | dtype | max abs(onnxruntime - ReluNet) | max abs(imported - ReluNet) |")
print("|---|---|---|---|")
with tempfile.TemporaryDirectory() as tmp:
    for name, net in nets.items():
        z = rng.uniform(-1, 1, (1000, net.state_dim + net.action_dim))
        ref = net.step(z[:, :net.state_dim], z[:, net.state_dim:])
        for dtype in ("float32", "float64"):
            path = Path(tmp) / f"net_{dtype}.onnx"
            to_onnx(net, path, dtype)
            y = ort.InferenceSession(str(path)).run(None, {"state_action": z.astype(dtype)})[0]
            back = from_onnx(path)
            imported = back.step(z[:, :net.state_dim], z[:, net.state_dim:])
            print(f"| {name} | {dtype} | {np.abs(y - ref).max():.1e} | "
                  f"{np.abs(imported - ref).max():.1e} |")
