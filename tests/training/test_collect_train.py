import json

import numpy as np
import pytest

from mpcnet.data import TransitionData
from mpcnet.errors import ArtifactError, ConfigError
from mpcnet.nn.model_io import load_model
from mpcnet.nn.relunet import ReluNet
from training.cli.stages import collect_to, train_to
from training.collect import collect
from training.config import CollectConfig, TrainConfig
from training.diagnose import pusher_distance
from training.train import train


def test_collection_is_seeded_and_touches_the_object():
    collected = collect(CollectConfig(episodes=6, steps=20, seed=3))
    a, metrics = collected.data, collected.metrics
    b = collect(CollectConfig(episodes=6, steps=20, seed=3)).data
    c = collect(CollectConfig(episodes=6, steps=20, seed=4)).data
    np.testing.assert_array_equal(a.states, b.states)
    assert not np.array_equal(a.states[:20], c.states[:20])
    assert metrics["transitions"] == len(a)
    assert metrics["contact_fraction"] > 0.2  # random motion alone rarely touches the box
    # transitions chain within episodes
    same = a.episode_ids[1:] == a.episode_ids[:-1]
    np.testing.assert_array_equal(a.next_states[:-1][same], a.states[1:][same])


def test_the_explorer_retreats_only_when_asked_and_the_object_stays_put():
    near = collect(CollectConfig(episodes=4, steps=40, seed=5, retreat_prob=0.0)).data
    far = collect(CollectConfig(episodes=4, steps=40, seed=5, retreat_prob=1.0)).data
    # without retreats the explorer stays by the object (60k transitions: at most 18 cm)
    assert pusher_distance(near.states).max() < 0.2 < pusher_distance(far.states).max()
    # quasi-static: with the pusher that far, the object does not move at all
    gone = pusher_distance(far.states) > 0.2
    object_motion = np.abs(far.next_states[gone, :-2] - far.states[gone, :-2]).max()
    assert gone.sum() >= 5 and object_motion < 1e-6
    with pytest.raises(ConfigError, match="only the Push envs"):
        CollectConfig(env_id="mpcnet/Sort-v0", retreat_prob=0.5)


def test_collect_then_train_writes_loadable_artefacts(tmp_path):
    run = collect_to(CollectConfig(episodes=8, steps=15), tmp_path / "data",
                     progress=False)
    data_dir, cm = run.path, run.metrics
    assert cm["transitions"] == len(TransitionData.load(data_dir))
    config = TrainConfig(hidden=(16, 16), epochs=3, rollout_horizon=5, val_fraction=0.25)
    run = train_to(data_dir, config, tmp_path / "model", progress=False)
    model_dir, m = run.path, run.metrics
    for key in ("val_mse_1step", "val_mse_rollout", "val_mse_rollout_zero", "rollout_horizon",
                "relus"):
        assert key in m
    assert m["relus"] == 32 and m["rollout_horizon"] == 5
    model = load_model(model_dir)
    net = ReluNet.load(model_dir / "relunet")
    assert net.relu_count == model.relu_count == 32
    for name in ("config.json", "meta.json", "metrics.json"):
        assert (model_dir / name).is_file()
    saved = json.loads((model_dir / "config.json").read_text())  # what it did, not "auto"
    assert (saved["frame"], saved["augment"]) == ("pusher", "rotate")
    with pytest.raises(ArtifactError, match="already exists"):
        train_to(data_dir, config, model_dir, progress=False)


def test_training_reduces_rollout_error_below_no_change(tmp_path):
    data = collect(CollectConfig(episodes=30, steps=20, seed=1)).data
    trained = train(data, TrainConfig(hidden=(32, 32), epochs=25, rollout_horizon=5,
                                      val_fraction=0.2))
    m, history = trained.metrics, trained.history
    assert m["val_mse_rollout"] < 0.7 * m["val_mse_rollout_zero"]
    assert history["val_mse_rollout"][-1] < history["val_mse_rollout"][0]


def test_corrupted_data_is_refused(tmp_path):
    data_dir = collect_to(CollectConfig(episodes=2, steps=5), tmp_path / "d", progress=False).path
    (data_dir / "data.npz").write_bytes(b"\x00" * 10)
    with pytest.raises(ArtifactError, match="data.npz"):
        TransitionData.load(data_dir)


@pytest.mark.parametrize("kwargs", [{"hidden": "12,x"}, {"hidden": ""}, {"epochs": 0},
                                    {"val_fraction": 1.5}, {"device": "tpu"}])
def test_bad_train_config_is_rejected(kwargs):
    with pytest.raises(ConfigError):
        TrainConfig(**kwargs)


def test_data_without_contacts_round_trips_and_trains(tmp_path):
    """Data from a task without a pusher has no contact flags."""
    full = collect(CollectConfig(episodes=8, steps=10, seed=2)).data
    data = TransitionData(full.states, full.actions, full.next_states, full.episode_ids, None,
                          full.env_id)
    data.save(tmp_path / "d")
    loaded = TransitionData.load(tmp_path / "d")
    assert loaded.contacts is None
    np.testing.assert_array_equal(loaded.states, data.states)
    subset = loaded.select_episodes(loaded.episodes()[:3])
    assert subset.contacts is None and len(subset) < len(loaded)
    m = train(loaded, TrainConfig(hidden=(8, 8), epochs=1, rollout_horizon=3,
                                  val_fraction=0.25)).metrics
    assert np.isfinite(m["val_mse_rollout"])
    with pytest.raises(Exception, match="contacts"):  # a wrong shape is still refused
        TransitionData(full.states, full.actions, full.next_states, full.episode_ids,
                       full.contacts[:-1], full.env_id)


def test_relative_features_only_where_the_task_has_a_pusher():
    """TrainConfig()'s default works on a task without a pusher."""
    from training.train import build_model, uses_relative

    rng = np.random.default_rng(0)
    states = rng.normal(size=(40, 3))
    pendulum = TransitionData(states, rng.normal(size=(40, 1)), states + 0.01,
                              np.repeat(np.arange(4), 10), None, "Pendulum-v1")
    assert not uses_relative(pendulum, TrainConfig())
    model = build_model(pendulum, TrainConfig(hidden=(8, 8)))
    np.testing.assert_array_equal(model.input_map.cpu().numpy(), np.eye(4))
    with pytest.raises(ConfigError, match=r"TrainConfig\(relative=False\)"):
        uses_relative(pendulum, TrainConfig(relative=True))
    push = collect(CollectConfig(episodes=2, steps=5)).data
    assert uses_relative(push, TrainConfig()) and not uses_relative(push, TrainConfig(
        relative=False))


def test_any_number_of_workers_gives_the_same_data_byte_for_byte(tmp_path):
    config = CollectConfig(episodes=5, steps=6, seed=11)
    one = collect(config).data
    two = collect(config, workers=2).data
    for key in ("states", "actions", "next_states", "episode_ids", "contacts"):
        assert np.array_equal(getattr(one, key), getattr(two, key)), key
    one.save(tmp_path / "one")
    two.save(tmp_path / "two")
    saved = [(tmp_path / name / "data.npz").read_bytes() for name in ("one", "two")]
    assert saved[0] == saved[1]
    with pytest.raises(ConfigError, match="workers: expected an integer from 1"):
        collect(config, workers=0)


def test_training_stops_by_steps_seconds_or_patience_and_reports_its_speed():
    from training.train import _stop_reason

    data = collect(CollectConfig(episodes=6, steps=8, seed=5)).data
    trained = train(data, TrainConfig(hidden=(8, 8), epochs=50, rollout_horizon=3,
                                      max_steps=1, val_fraction=0.2))
    m = trained.metrics
    assert (m["epochs_run"], m["stopped"], m["gradient_steps"]) == (1, "max_steps", 1)
    assert m["transitions_per_second"] > 0 and len(trained.history["loss"]) == 1
    config = TrainConfig(max_steps=0, max_seconds=2.0, patience=3)
    assert _stop_reason(config, steps=10**6, seconds=1.0, since_best=2) == ""
    assert _stop_reason(config, steps=0, seconds=2.5, since_best=0) == "max_seconds"
    assert _stop_reason(config, steps=0, seconds=0.0, since_best=3) == "patience"
    with pytest.raises(ConfigError, match="patience: expected a value >= 0"):
        TrainConfig(patience=-1)
