"""Sorting with a graph neural dynamics model: one model, any number of objects.

Trains an object-centric GNN on mpcnet/Sort-v0 with 4 objects, checks its predictions on
episodes with 6 objects, writes the fixed-N block network whose MILP has
N^2 x (relation ReLUs) + N x (object ReLUs) ReLUs per step, and runs MIP-MPC warm-started by
MPPI (``mip-mppi``) on a sparsified copy for one episode. BENCHMARKS.md has the measured
trade-off: below 16 ReLUs the sparse model is too coarse for any planner to sort reliably.

Run: python examples/05_sort_with_gnn.py [--tiny]
"""

import argparse

from controllers import PlannerConfig
from training.collect import collect
from training.config import CollectConfig, SparsifyConfig, TrainConfig
from training.evaluate import evaluate
from training.sparsify import sparsify_progressive
from training.train import ValidationSet, split_episodes, train

SORT = "mpcnet/Sort-v0"


def main(tiny: bool) -> None:
    episodes, epochs = (10, 2) if tiny else (300, 60)
    data = collect(CollectConfig(env_id=SORT, episodes=episodes, steps=8, num_objects=4)).data
    config = TrainConfig(model="gnn", relation_hidden=(32, 32), object_hidden=(32,),
                         effect_dim=16, epochs=epochs, rollout_horizon=4)
    trained = train(data, config)
    model, metrics = trained.model, trained.metrics
    print(f"4 objects, held out: {config.rollout_horizon}-step object MSE "
          f"{metrics['val_mse_rollout_objects']:.2e} (no change "
          f"{metrics['val_mse_rollout_objects_zero']:.2e})")
    six = collect(CollectConfig(env_id=SORT, episodes=max(2, episodes // 5), steps=8,
                                   num_objects=6, seed=1)).data
    m6 = ValidationSet(six, config.rollout_horizon, "cpu").metrics(model)
    print(f"6 objects, same model: object MSE {m6['val_mse_rollout_objects']:.2e} "
          f"(no change {m6['val_mse_rollout_objects_zero']:.2e})")
    train_part, val_part = split_episodes(data, config.val_fraction, config.seed)
    sparse = sparsify_progressive(model, train_part, val_part, SparsifyConfig(
        relus=4 if tiny else 16, relaxed_epochs=max(2, epochs // 2),
        finetune_epochs=max(1, epochs // 4)), config).model
    graph = sparse.export()
    for n in (2, 4, 6):
        print(f"N={n}: {graph.relus_per_step(n)} ReLUs per MPC step in the MILP")
    summary = evaluate(SORT, graph.instantiate(4), "mip-mppi", 1, seed=0,
                       config=PlannerConfig(horizon=1 if tiny else 2,
                                            budget_ms=100 if tiny else 1000),
                       max_steps=2 if tiny else 12).summary
    print(f"MIP-MPC (mip-mppi), one episode: final cost {summary['final_cost_mean']:.3f} m, "
          f"solver statuses {summary['statuses']}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tiny", action="store_true", help="a quick run (for the tests)")
    main(parser.parse_args().tiny)
