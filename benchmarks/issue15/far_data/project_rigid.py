"""Project a Push-v0 model's keypoint outputs onto the changes a rigid square can make.

The four keypoints of the Push-v0 box are ``k_i = c + R^i v`` (``R`` a quarter turn, ``c`` the
centre, ``v`` the first corner's offset), so every rigid motion changes them by
``dk_i = dc + R^i dv``: a 4-dimensional subspace of the 8 keypoint coordinates. A model whose
output leaves that subspace predicts shears and stretches no real step makes, and the MILP's
relaxation can use them. This folds the orthogonal projector onto the subspace into the last
layer (residual models only), which cannot increase the prediction error of any real step.

    python project_rigid.py push16 push16_rigid
"""

import shutil
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np

from mpcnet.nn.relunet import ReluNet

QUARTER_TURN = np.array([[0.0, -1.0], [1.0, 0.0]])


def rigid_basis() -> np.ndarray:
    """``(8, 4)``: columns dc_x, dc_y, dv_x, dv_y mapped to the 8 keypoint coordinates."""
    turns = [np.linalg.matrix_power(QUARTER_TURN, i) for i in range(4)]
    return np.vstack([np.hstack([np.eye(2), r]) for r in turns])


def project(net: ReluNet) -> ReluNet:
    if not net.residual or net.state_dim != 10:
        raise SystemExit("expected a residual Push-v0 model (state size 10)")
    basis = rigid_basis()
    projector = np.eye(net.state_dim)
    projector[:8, :8] = basis @ np.linalg.solve(basis.T @ basis, basis.T)
    last = net.layers[-1]
    layer = replace(last, weight=projector @ last.weight, bias=projector @ last.bias)
    return replace(net, layers=(*net.layers[:-1], layer))


def main(source: str, target: str) -> None:
    shutil.copytree(source, target)  # refuses an existing target
    net = ReluNet.load(Path(source) / "relunet")
    project(net).save(Path(target) / "relunet")


if __name__ == "__main__":
    main(*sys.argv[1:3])
