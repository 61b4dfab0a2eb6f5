"""Collect push data, train a ReLU dynamics model and sparsify it to a few ReLUs.

Run: python examples/02_train_and_sparsify.py
"""

import argparse

from training.collect import collect
from training.config import CollectConfig, SparsifyConfig, TrainConfig
from training.sparsify import sparsify
from training.train import split_episodes, train


def main(episodes: int, epochs: int, relus: int) -> None:
    collected = collect(CollectConfig(env_id="mpcnet/Push-v1", episodes=episodes, steps=30))
    data, info = collected.data, collected.metrics
    print(f"{info['transitions']} transitions, contact fraction {info['contact_fraction']:.2f}")
    train_config = TrainConfig(hidden=(64, 64), epochs=epochs)
    trained = train(data, train_config)
    dense, metrics = trained.model, trained.metrics
    print(f"dense: {dense.relu_count} ReLUs, 10-step rollout MSE {metrics['val_mse_rollout']:.2e}"
          f" (no change: {metrics['val_mse_rollout_zero']:.2e})")
    train_data, val_data = split_episodes(data, train_config.val_fraction, train_config.seed)
    config = SparsifyConfig(relus=relus, relaxed_epochs=epochs, finetune_epochs=epochs // 2)
    sparsified = sparsify(dense, train_data, val_data, config, train_config)
    sparse, m = sparsified.model, sparsified.metrics
    print(f"sparse: {m['relus_after']} ReLUs, {m['identity_neurons']} identity, "
          f"{m['removed_neurons']} removed; rollout MSE {m['val_mse_rollout']:.2e} "
          f"(magnitude pruning: {m['magnitude_val_mse_rollout']:.2e})")
    net = sparse.export()  # the ReluNet every planner and the MILP use
    print("exported hidden sizes:", net.hidden_sizes)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tiny", action="store_true", help="a quick run (for the tests)")
    args = parser.parse_args()
    main(episodes=8, epochs=2, relus=4) if args.tiny else main(80, 40, 16)
