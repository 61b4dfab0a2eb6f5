"""Closed loop on mpcnet/Push-v1: MIP-MPC on a sparse model against MPPI on the dense one.

Run: python examples/03_mip_vs_mppi.py [--model DENSE_DIR --sparse SPARSE_DIR]
Without model directories it trains a small dense model and sparsifies it first.
"""

import argparse
from pathlib import Path

from controllers import PlannerConfig
from mpcnet import ReluNet
from training.collect import collect
from training.config import CollectConfig, SparsifyConfig, TrainConfig
from training.evaluate import evaluate
from training.sparsify import sparsify_progressive
from training.train import split_episodes, train


def quick_models(episodes: int, epochs: int, relus: int) -> tuple[ReluNet, ReluNet]:
    data = collect(CollectConfig(episodes=episodes, steps=30)).data
    config = TrainConfig(hidden=(64, 64), epochs=epochs)
    dense = train(data, config).model
    tr, va = split_episodes(data, config.val_fraction, config.seed)
    sparse = sparsify_progressive(dense, tr, va, SparsifyConfig(
        relus=relus, relaxed_epochs=epochs, finetune_epochs=epochs // 2), config).model
    return dense.export(), sparse.export()


def main(args) -> None:
    if args.model and args.sparse:
        dense = ReluNet.load(Path(args.model) / "relunet")
        sparse = ReluNet.load(Path(args.sparse) / "relunet")
    else:
        dense, sparse = quick_models(*((8, 2, 4) if args.tiny else (100, 40, 16)))
    control = PlannerConfig(horizon=args.horizon, budget_ms=args.budget_ms)
    for name, net in (("mip", sparse), ("mppi", dense)):
        summary = evaluate("mpcnet/Push-v1", net, name, args.episodes, seed=0,
                           config=control, max_steps=args.steps).summary
        print(f"{name:4s} ({net.relu_count:3d} ReLUs): success {summary['success_rate']:.2f}, "
              f"final cost {summary['final_cost_mean']:.3f} +- {summary['final_cost_std']:.3f},"
              f" median plan time {summary['plan_time_median_s'] * 1e3:.0f} ms")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--model", help="dense model directory (from mpcnet train)")
    parser.add_argument("--sparse", help="sparse model directory (from mpcnet sparsify)")
    parser.add_argument("--episodes", type=int, default=3)
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--horizon", type=int, default=6)
    parser.add_argument("--budget-ms", type=float, default=200)
    parser.add_argument("--tiny", action="store_true", help="a quick run (for the tests)")
    args = parser.parse_args()
    if args.tiny:
        args.episodes, args.steps, args.budget_ms = 1, 3, 30
    main(args)
