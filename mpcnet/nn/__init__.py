"""Networks: the exported ``ReluNet`` and ``GraphNet`` (numpy, what the MILP and every planner
read), their folded and torch forms, the gated torch models, sparsity gates, saving and
loading, ONNX in and out.

    from mpcnet.nn import load_model
    net = load_model("runs/.../train").export()   # a ReluNet

Rule: imports ``mpcnet``'s own modules only; the names load on first use (torch, onnx).
"""

from mpcnet._exports import lazy_exports

_NAMES = {
    "Layer": "mpcnet.nn.relunet", "ReluNet": "mpcnet.nn.relunet",
    "FoldedNet": "mpcnet.nn.folded",
    "GraphNet": "mpcnet.nn.graphnet", "GraphReluNet": "mpcnet.nn.graphnet",
    "ReluMLP": "mpcnet.nn.torch_models", "ReluGNN": "mpcnet.nn.torch_gnn",
    "GatedReluModel": "mpcnet.nn.gated",
    "RelaxedGates": "mpcnet.nn.sparsity", "Sparsifiable": "mpcnet.nn.sparsity",
    "load_model": "mpcnet.nn.model_io", "save_model": "mpcnet.nn.model_io",
    "from_onnx": "mpcnet.nn.onnx_io", "to_onnx": "mpcnet.nn.onnx_io",
}
__getattr__, __dir__ = lazy_exports(__name__, _NAMES)
__all__ = sorted(_NAMES)
