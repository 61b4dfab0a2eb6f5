import numpy as np
import pytest
import torch

from mpcnet.errors import ConfigError
from mpcnet.rollout import rollout
from tests.fixtures import random_mlp
from training.collect import collect
from training.config import CollectConfig, SparsifyConfig, TrainConfig
from training.distill import Teacher
from training.sparsify import sparsify_progressive
from training.train import split_episodes, window_tensors


@pytest.fixture(scope="module")
def tiny_data():
    data = collect(CollectConfig(episodes=8, steps=12, seed=2)).data
    return split_episodes(data, 0.25, 0)


def test_teacher_targets_are_its_rollouts_of_data_or_drawn_actions(tiny_data):
    train, _ = tiny_data
    windows = window_tensors(train, 4, "cpu")
    base = random_mlp(hidden=(12, 10))
    x0, acts = windows["x0"], windows["actions"]
    keep = Teacher.of(base, windows, 0.0)
    same, targets = keep.relabel(x0, acts, torch.Generator().manual_seed(0))
    assert torch.equal(same, acts)
    with torch.no_grad():
        torch.testing.assert_close(targets, rollout(base, x0, acts))
    flat = acts.reshape(-1, acts.shape[-1])
    draw = Teacher.of(base, windows, 1.0)
    torch.testing.assert_close(draw.low, flat.min(0).values)
    torch.testing.assert_close(draw.high, flat.max(0).values)
    drawn, _ = draw.relabel(x0, acts, torch.Generator().manual_seed(0))
    assert bool(((drawn != acts).all(-1)).all())  # every window's actions were drawn
    assert bool((drawn >= draw.low).all() and (drawn <= draw.high).all())
    # the teacher is a frozen copy: training the student (here: wrecking the base) leaves it
    with torch.no_grad():
        for p in base.parameters():
            p.zero_()
    torch.testing.assert_close(keep.relabel(x0, acts, torch.Generator())[1], targets)
    assert not any(p.requires_grad for p in keep.model.parameters())


def test_a_distilled_student_learns_the_teacher_not_the_data(tiny_data):
    # a teacher with random weights disagrees with the data everywhere, so the student's
    # distance to it says which targets it learned
    train, val = tiny_data
    teacher = random_mlp(hidden=(12, 10))
    tcfg = TrainConfig(hidden=(12, 10), rollout_horizon=4, batch_size=32)
    config = dict(relus=22, relaxed_epochs=20, finetune_epochs=10, seed=0)
    plain = sparsify_progressive(teacher, train, val, SparsifyConfig(**config, distill=False),
                                 tcfg).model
    taught = sparsify_progressive(teacher, train, val,
                                  SparsifyConfig(**config, distill=True,
                                                 distill_random_actions=1.0), tcfg).model
    windows = window_tensors(val, 4, "cpu")
    probe = Teacher.of(teacher, windows, 1.0)
    x0, acts = windows["x0"], probe.relabel(windows["x0"], windows["actions"],
                                            torch.Generator().manual_seed(1))[0]
    with torch.no_grad():
        want = rollout(teacher, x0, acts)
        errors = [((rollout(m, x0, acts) - want) ** 2).mean().item() for m in (plain, taught)]
    assert errors[1] < 0.25 * errors[0], errors


@pytest.mark.parametrize("fraction", [-0.1, 1.5, float("nan")])
def test_a_fraction_outside_zero_to_one_is_refused(fraction):
    with pytest.raises(ConfigError, match="distill_random_actions"):
        SparsifyConfig(distill=True, distill_random_actions=fraction)


def test_distillation_is_seeded(tiny_data):
    train, val = tiny_data
    tcfg = TrainConfig(hidden=(12, 10), rollout_horizon=4, batch_size=64)
    config = SparsifyConfig(relus=5, relaxed_epochs=2, finetune_epochs=1, seed=0, distill=True)
    a, b = (sparsify_progressive(random_mlp(hidden=(12, 10)), train, val, config, tcfg).model
            for _ in range(2))
    for pa, pb in zip(a.parameters(), b.parameters(), strict=True):
        np.testing.assert_array_equal(pa.detach().numpy(), pb.detach().numpy())
