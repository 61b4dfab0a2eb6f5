"""Distillation: a sparse student trained on the dense model's rollouts (``sparsify --distill``).

The explorer's data show the model one action per state, but a planner asks the model about
every action in the box. The dense model answers those questions well enough for GD to plan
with (benchmarks/push_recipe); a sparse model trained on the data alone has only seen the
explorer's choices. With a teacher, each training window keeps its start state, a fraction of
the windows get actions drawn uniformly in the data's action range, and the targets are the
dense model's open-loop rollout of those actions. Validation stays on the data, so a student
that copies a wrong teacher is not flattered.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from mpcnet.rollout import rollout


@dataclass
class Teacher:
    """A frozen copy of the dense model, the action range to draw from, and the fraction of
    windows whose actions are drawn (the others keep the data's)."""

    model: torch.nn.Module
    low: torch.Tensor
    high: torch.Tensor
    random_fraction: float

    @classmethod
    def of(cls, dense: torch.nn.Module, windows: dict[str, torch.Tensor],
           random_fraction: float) -> Teacher:
        """The teacher for ``windows`` (see :func:`training.train.window_tensors`); the action
        range is the data's, per action entry."""
        model = dense.clone().to(windows["x0"].device).eval()
        model.requires_grad_(False)
        actions = windows["actions"].reshape(-1, windows["actions"].shape[-1])
        return cls(model, actions.min(0).values, actions.max(0).values, float(random_fraction))

    @torch.no_grad()
    def relabel(self, x0: torch.Tensor, actions: torch.Tensor,
                gen: torch.Generator) -> tuple[torch.Tensor, torch.Tensor]:
        """``(actions, targets)`` of a batch: drawn actions in a ``random_fraction`` of its
        windows, and the teacher's rollout of all of them from ``x0`` as targets."""
        k = actions.shape[0]
        drawn = (torch.rand(k, generator=gen) < self.random_fraction).to(actions.device)
        if bool(drawn.any()):
            u = torch.rand(actions.shape, generator=gen).to(actions)
            actions = torch.where(drawn[:, None, None], self.low + u * (self.high - self.low),
                                  actions)
        return actions, rollout(self.model, x0, actions)
