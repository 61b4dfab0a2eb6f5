"""Networks: the exported ``ReluNet`` and ``GraphNet``, their folded and torch forms, the gated
torch models, sparsity gates, saving and loading, ONNX in and out."""
