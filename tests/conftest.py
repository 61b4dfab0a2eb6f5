import os

import pytest
import torch

# the project's default (mpcnet.threads), also for the examples and CLI runs in subprocesses
os.environ.setdefault("MPCNET_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")



@pytest.fixture(autouse=True)
def _few_threads():
    torch.set_num_threads(1)
