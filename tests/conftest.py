import os

import numpy as np
import pytest
import torch

# the project's default (mpcnet.threads), also for the examples and CLI runs in subprocesses
os.environ.setdefault("MPCNET_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

from mpcnet.nn.torch_models import ReluMLP, relative_points_map


@pytest.fixture(autouse=True)
def _few_threads():
    torch.set_num_threads(1)


def random_mlp(seed: int = 0, hidden=(16, 12), n: int = 10, m: int = 2) -> ReluMLP:
    """A small model with random weights and non-trivial normalisation."""
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    model = ReluMLP(n, m, list(hidden), relative_points_map(n, m))
    features = n - 2 + m
    model.set_normalization(rng.normal(size=features), rng.uniform(0.5, 2, features),
                            rng.normal(size=n) * 0.01, rng.uniform(0.01, 0.1, n))
    return model.eval()
