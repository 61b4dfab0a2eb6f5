import math

import numpy as np
import pytest
import torch

from mpcnet.data import TransitionData
from mpcnet.errors import ConfigError
from training.augment import rotate_windows, rotated_copy, rotation_matrices
from training.collect import collect
from training.config import CollectConfig, TrainConfig
from training.train import train, window_tensors


@pytest.fixture(scope="module")
def push_data() -> TransitionData:
    return collect(CollectConfig(episodes=8, steps=12, seed=2)).data


def test_a_quarter_turn_takes_x_to_y():
    rot = rotation_matrices(torch.tensor([math.pi / 2]))
    turned = torch.tensor([[1.0, 0.0]]) @ rot[0]
    torch.testing.assert_close(turned, torch.tensor([[0.0, 1.0]]), atol=1e-7, rtol=0)


def test_turned_windows_are_still_push_transitions(push_data):
    windows = window_tensors(push_data, 4, "cpu")
    gen = torch.Generator().manual_seed(0)
    x0, acts, targ = rotate_windows(windows["x0"], windows["actions"], windows["targets"], gen)
    assert not torch.allclose(x0, windows["x0"])
    before = torch.cat([windows["x0"][:, None], windows["targets"]], 1)
    after = torch.cat([x0[:, None], targ], 1)
    # Every distance between points (the box stays rigid, the pusher keeps its gap) is kept.
    pts_b, pts_a = before.reshape(*before.shape[:2], -1, 2), after.reshape(*after.shape[:2], -1, 2)
    torch.testing.assert_close(torch.cdist(pts_a, pts_a), torch.cdist(pts_b, pts_b),
                               atol=1e-5, rtol=0)
    # The pusher follows its action in the turned frame as before (within the same lag of about
    # a millimetre, turned with it): actions turn with the points.
    lag_before = before[:, 1:, -2:] - before[:, :-1, -2:] - windows["actions"]
    lag_after = after[:, 1:, -2:] - after[:, :-1, -2:] - acts
    assert lag_before.norm(dim=-1).median() < 2e-3
    torch.testing.assert_close(lag_after.norm(dim=-1), lag_before.norm(dim=-1), atol=1e-6, rtol=0)


def test_rotated_copy_turns_each_transition_by_its_own_angle(push_data):
    x, u, y = rotated_copy(push_data.states, push_data.actions, push_data.next_states, seed=1)
    norms = lambda a: np.linalg.norm(a.reshape(len(a), -1, 2), axis=-1)  # noqa: E731
    np.testing.assert_allclose(norms(u), norms(push_data.actions), atol=1e-9)
    np.testing.assert_allclose(norms(y - x), norms(push_data.next_states - push_data.states),
                               atol=1e-9)
    first = np.arctan2(x[:, 9], x[:, 8]) - np.arctan2(push_data.states[:, 9],
                                                      push_data.states[:, 8])
    assert np.unique(np.round(np.mod(first, 2 * np.pi), 3)).size > len(x) // 2


def test_training_with_rotations_is_seeded_and_recorded(push_data):
    config = TrainConfig(hidden=(16,), epochs=2, rollout_horizon=3, val_fraction=0.25,
                         frame="pusher", augment="rotate")
    a, b = train(push_data, config), train(push_data, config)
    plain = train(push_data, TrainConfig(**{**config.to_dict(), "augment": "none"}))
    state = lambda r: torch.cat([p.flatten() for p in r.model.state_dict().values()])  # noqa
    torch.testing.assert_close(state(a), state(b))
    assert not torch.allclose(state(a), state(plain))
    assert a.config.augment == "rotate"


def test_rotations_are_refused_where_they_do_not_hold(push_data):
    with pytest.raises(ConfigError, match="expected 'auto', 'none' or 'rotate', got 'mirror'"):
        TrainConfig(augment="mirror")
    other = TransitionData(push_data.states[:, :4], push_data.actions, push_data.next_states[:, :4],
                           push_data.episode_ids, None, env_id="Pendulum-v1")
    with pytest.raises(ConfigError, match="augment 'rotate': expected planar pushing data"):
        train(other, TrainConfig(hidden=(4,), epochs=1, rollout_horizon=2, augment="rotate"))


def test_auto_means_the_pusher_frame_and_rotations_on_push_data_only(push_data, tmp_path):
    import json

    from training.cli.inputs import train_config_of
    from training.train import resolve_config

    auto = TrainConfig()
    assert (auto.frame, auto.augment) == ("auto", "auto")
    push = resolve_config(push_data, auto)
    assert (push.frame, push.augment) == ("pusher", "rotate")
    other = TransitionData(push_data.states[:, :4], push_data.actions, push_data.next_states[:, :4],
                           push_data.episode_ids, None, env_id="Pendulum-v1")
    plain = resolve_config(other, auto)
    assert (plain.frame, plain.augment) == ("world", "none")
    chosen = TrainConfig(frame="world", augment="none", hidden=(128, 128), epochs=150)
    assert resolve_config(push_data, chosen) == chosen
    # a model trained before "auto" existed keeps what it was trained with
    (tmp_path / "config.json").write_text(json.dumps({"seed": 3, "val_fraction": 0.2}))
    old = train_config_of(tmp_path)
    assert (old.frame, old.augment, old.seed) == ("world", "none", 3)
