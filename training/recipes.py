"""What the training stages choose for a setting left at auto (``None``): the push recipe on
the current push envs, the former defaults elsewhere.

The push recipe is what ``benchmarks/push_defaults`` measured on mpcnet/Push-v2: data whose
explorer sometimes walks the pusher away from the object (so the model learns that an
untouched object stays put), a 3 x 256 MLP trained for about 6,800 gradient steps, and a
short sparsification (30 + 20 epochs). It holds for the current push env ids
(``envs.PUSH_RECIPE_ENVS``: Push(T)-v2 and the hard v1 variants). On Push-v0 and v1, and on
every other env, the former defaults stay, so results measured there rerun as they were.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import envs


@dataclass(frozen=True)
class Recipe:
    retreat_prob: float  # collect: how often the explorer walks off after a push
    hidden: tuple[int, ...]  # train: MLP hidden layer sizes
    epochs: int  # train: passes over the data, unless train_steps says otherwise
    train_steps: int  # train: epochs for about this many gradient steps (0: use epochs)
    relaxed_epochs: int  # sparsify: while the budget falls
    finetune_epochs: int  # sparsify: once the choice is hard


FORMER = Recipe(retreat_prob=0.0, hidden=(128, 128), epochs=150, train_steps=0,
                relaxed_epochs=80, finetune_epochs=40)
# measured as one recipe (push_defaults): 47 epochs of 2,000 episodes are 6,862 steps
PUSH = Recipe(retreat_prob=0.25, hidden=(256, 256, 256), epochs=150, train_steps=6_800,
              relaxed_epochs=30, finetune_epochs=20)


def recipe_for(env_id: str) -> Recipe:
    """The recipe of data collected on ``env_id``."""
    return PUSH if env_id in envs.PUSH_RECIPE_ENVS else FORMER


def epochs_for_steps(steps: int, windows: int, batch_size: int) -> int:
    """Epochs of ``windows`` training windows in batches of ``batch_size`` that take about
    ``steps`` gradient steps (at least one epoch)."""
    steps_per_epoch = max(1, -(-windows // batch_size))
    return max(1, math.ceil(steps / steps_per_epoch))
