"""The auto settings: the push recipe on the current push envs, the former defaults elsewhere."""

import json

import pytest

from training.cli.stages import collect_to
from training.collect import collect, resolve_collect_config
from training.config import CollectConfig, SparsifyConfig, TrainConfig
from training.recipes import epochs_for_steps
from training.sparsify import resolve_sparsify_config
from training.train import resolve_config, split_episodes


@pytest.fixture(scope="module")
def push_data():
    """Tiny data of the default env (Push-v2) and of Push-v1, the same physics."""
    return {env_id: collect(CollectConfig(env_id=env_id, episodes=6, steps=12,
                                          retreat_prob=0.0)).data
            for env_id in ("mpcnet/Push-v2", "mpcnet/Push-v1")}


@pytest.mark.parametrize("env_id, retreat", [
    ("mpcnet/Push-v2", 0.25), ("mpcnet/PushT-v2", 0.25), ("mpcnet/PushTurn-v1", 0.25),
    ("mpcnet/Push-v1", 0.0), ("mpcnet/Push-v0", 0.0), ("mpcnet/Sort-v0", 0.0)])
def test_the_explorer_retreats_by_default_only_on_the_current_push_envs(env_id, retreat):
    assert resolve_collect_config(CollectConfig(env_id=env_id)).retreat_prob == retreat
    given = CollectConfig(env_id=env_id, retreat_prob=0.0)  # a given value, 0 included, stays
    assert resolve_collect_config(given).retreat_prob == 0.0


def test_a_collect_run_records_the_retreat_it_used(tmp_path):
    run = collect_to(CollectConfig(episodes=2, steps=6), tmp_path / "data", progress=False)
    assert json.loads((run.path / "config.json").read_text())["retreat_prob"] == 0.25


def test_epochs_for_steps_rounds_up_to_whole_epochs():
    # 2,000 episodes of 30 steps: 146 batches of 256 windows an epoch, 47 epochs for 6,800
    assert epochs_for_steps(6_800, 37_376, 256) == 47
    assert epochs_for_steps(6_800, 256, 256) == 6_800
    assert epochs_for_steps(10, 100_000, 256) == 1  # at least one epoch
    assert epochs_for_steps(10, 0, 256) == 10  # no window: one step an epoch (refused later)


def test_training_defaults_follow_the_data_env(push_data):
    v2, v1 = push_data["mpcnet/Push-v2"], push_data["mpcnet/Push-v1"]
    config = resolve_config(v2, TrainConfig())
    train_part, _ = split_episodes(v2, config.val_fraction, config.seed)
    windows = len(train_part.windows(config.rollout_horizon))
    assert config.hidden == (256, 256, 256)
    assert config.epochs == epochs_for_steps(6_800, windows, 256) > 150
    assert resolve_config(v1, TrainConfig()).hidden == (128, 128)
    assert resolve_config(v1, TrainConfig()).epochs == 150
    given = resolve_config(v2, TrainConfig(hidden=(8,), epochs=2))
    assert (given.hidden, given.epochs) == ((8,), 2)


def test_sparsify_defaults_follow_the_data_env(push_data):
    v2 = resolve_sparsify_config(push_data["mpcnet/Push-v2"], SparsifyConfig())
    v1 = resolve_sparsify_config(push_data["mpcnet/Push-v1"], SparsifyConfig())
    assert (v2.relaxed_epochs, v2.finetune_epochs, v2.distill) == (30, 20, True)
    assert (v1.relaxed_epochs, v1.finetune_epochs, v1.distill) == (80, 40, True)
    given = resolve_sparsify_config(push_data["mpcnet/Push-v2"],
                                    SparsifyConfig(relaxed_epochs=3, finetune_epochs=0))
    assert (given.relaxed_epochs, given.finetune_epochs) == (3, 0)
