"""Relaxed three-way neuron choices (ReLU / identity / removed) with budget projection.

Every hidden neuron ``j`` carries logits ``theta_j = (theta_relu, theta_id, theta_rm)``. The
relaxed choice is ``p_j = softmax(theta_j / tau)``; the neuron computes
``p_relu * relu(a) + p_id * a`` (removed mass contributes nothing). As the temperature ``tau``
is annealed the choice becomes hard.

Budgets are held by projection, not only by penalty: given a ReLU budget ``R``, one scalar
shift ``b >= 0`` is subtracted from every ``theta_relu`` so that ``sum_j p_relu = min(R, .)``,
and given a keep budget ``N`` a shift ``c >= 0`` is added to every ``theta_rm`` so that
``sum_j (p_relu + p_id) <= N``. Both shifts are found by bisection (the sums are monotone in
them) and treated as constants for the gradient, so the logits still learn *which* neurons
matter while the totals follow the schedule exactly.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from mpcnet.errors import ConfigError
from mpcnet.nn.gated import GatedReluModel

RELU, IDENTITY, REMOVED = 0, 1, 2


def _shift_for_budget(score: torch.Tensor, budget: float, mass) -> float:
    """Smallest ``s >= 0`` with ``mass(score, s) <= budget`` (``mass`` decreasing in ``s``)."""
    if mass(score, 0.0) <= budget:
        return 0.0
    lo, hi = 0.0, 1.0
    while mass(score, hi) > budget and hi < 1e6:
        lo, hi = hi, hi * 2.0
    for _ in range(50):
        mid = 0.5 * (lo + hi)
        if mass(score, mid) > budget:
            lo = mid
        else:
            hi = mid
    return hi


class RelaxedGates(nn.Module):
    """Logits of the three-way choice for every hidden neuron, and the budget projection.

    Args:
        sizes: Hidden layer sizes.
        init: Initial logits ``(relu, identity, removed)``; the default starts near "all ReLU"
            so the dense model's function is barely changed at the start.
    """

    def __init__(self, sizes: list[int], init=(3.0, 0.0, 0.0)) -> None:
        super().__init__()
        self.sizes = list(sizes)
        total = sum(self.sizes)
        self.logits = nn.Parameter(torch.tensor(init, dtype=torch.float32).repeat(total, 1))
        self.temperature = 1.0
        self.relu_budget = math.inf
        self.keep_budget = math.inf
        # neurons that may still become ReLUs; a staged schedule withdraws the rest for good
        self.register_buffer("relu_allowed", torch.ones(total, dtype=torch.bool))
        self._probs: torch.Tensor | None = None

    def probabilities(self) -> torch.Tensor:
        """Projected choice probabilities, shape ``(neurons, 3)``; also cached for gates()."""
        tau = self.temperature
        # a large finite logit, not -inf, so the gradient of a withdrawn ReLU stays zero, not NaN
        z = (self.logits / tau).masked_fill(
            ~self.relu_allowed[:, None] & (torch.arange(3, device=self.logits.device) == RELU),
            -1e4)
        with torch.no_grad():
            def relu_mass(zz, s):
                return torch.softmax(zz - zz.new_tensor([s, 0.0, 0.0]), -1)[:, RELU].sum().item()

            b = _shift_for_budget(z, self.relu_budget, relu_mass)
            shifted = z - z.new_tensor([b, 0.0, 0.0])

            def kept_mass(zz, s):
                p = torch.softmax(zz + zz.new_tensor([0.0, 0.0, s]), -1)
                return (p[:, RELU] + p[:, IDENTITY]).sum().item()

            c = _shift_for_budget(shifted, self.keep_budget, kept_mass)
        offset = z.new_tensor([-b, 0.0, c])
        self._probs = torch.softmax(z + offset, dim=-1)
        return self._probs

    def layer_gates(self, k: int) -> tuple[torch.Tensor, torch.Tensor]:
        """``(relu_weight, identity_weight)`` of layer ``k`` from the last probabilities()."""
        if self._probs is None:
            self.probabilities()
        start = sum(self.sizes[:k])
        p = self._probs[start:start + self.sizes[k]]
        return p[:, RELU], p[:, IDENTITY]

    def expected_counts(self) -> tuple[float, float]:
        """Expected ``(relus, kept neurons)`` under the current probabilities."""
        p = self.probabilities().detach()
        return float(p[:, RELU].sum()), float((p[:, RELU] + p[:, IDENTITY]).sum())

    @torch.no_grad()
    def withdraw_relus(self, keep: int) -> None:
        """Withdraw the ReLU option from all but the ``keep`` neurons likeliest to be ReLUs.

        One stage of a staged schedule: the budget is met by a hard choice among the ReLUs
        (the neurons left keep identity and removed as options), and later stages choose
        among the survivors only.
        """
        p = self.probabilities()[:, RELU]
        order = torch.argsort(p, descending=True, stable=True)
        allowed = torch.zeros_like(self.relu_allowed)
        allowed[order[:keep]] = True
        self.relu_allowed &= allowed
        self._probs = None

    @torch.no_grad()
    def harden(self, relu_budget: int, keep_budget: int | None) -> torch.Tensor:
        """The discrete choice, one of RELU/IDENTITY/REMOVED per neuron, within both budgets.

        ReLUs go to the ``relu_budget`` neurons with the highest projected ReLU probability
        (the projection holds the expected count at the budget, so these are the neurons the
        relaxation kept closest to a ReLU); every other neuron takes the likelier of identity
        and removed; if more than ``keep_budget`` neurons are kept, the least likely identity
        neurons are removed.
        """
        p = self.probabilities()
        choice = torch.where(p[:, IDENTITY] >= p[:, REMOVED], IDENTITY, REMOVED)
        order = torch.argsort(p[:, RELU], descending=True, stable=True)
        choice[order[:relu_budget]] = RELU
        if keep_budget is not None:
            spare = max(0, keep_budget - int((choice == RELU).sum()))
            id_idx = torch.nonzero(choice == IDENTITY).flatten()
            order = id_idx[torch.argsort(p[id_idx, IDENTITY], descending=True)]
            choice[order[spare:]] = REMOVED
        return choice


class Sparsifiable(nn.Module):
    """A copy of a gated model (:class:`ReluMLP` or :class:`ReluGNN`) whose gates come from
    :class:`RelaxedGates` until :meth:`fix_structure` makes the choice hard."""

    def __init__(self, base: GatedReluModel) -> None:
        super().__init__()
        self.model = base.clone()
        self.relaxed = RelaxedGates(self.model.hidden_sizes)
        self.relaxed_active = True
        self.model.gate_source = self._relaxed_gates

    def _relaxed_gates(self, k: int) -> tuple[torch.Tensor, torch.Tensor]:
        return self.relaxed.layer_gates(k)

    @property
    def out_std(self) -> torch.Tensor:
        return self.model.out_std

    @property
    def hidden_sizes(self) -> list[int]:
        return self.model.hidden_sizes

    def forward(self, x: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
        return self.model(x, u)

    @torch.no_grad()
    def fix_structure(self, choice: torch.Tensor) -> None:
        """Write a hard choice into the gate buffers and stop using the relaxation."""
        start = 0
        for k, h in enumerate(self.hidden_sizes):
            c = choice[start:start + h].to(self.out_std.device)
            getattr(self.model, f"relu_gate{k}").copy_((c == RELU).float())
            getattr(self.model, f"id_gate{k}").copy_((c == IDENTITY).float())
            start += h
        self.relaxed_active = False
        self.model.gate_source = None
        self.relaxed.requires_grad_(False)

    def to_plain(self) -> GatedReluModel:
        """A plain model with the fixed structure (saved like a trained model)."""
        if self.relaxed_active:
            raise ConfigError("to_plain: fix the structure (fix_structure) first.")
        return self.model.clone().eval()


def neuron_magnitudes(model: GatedReluModel) -> torch.Tensor:
    """Per-neuron importance ``|w_in|_2 * |w_out|_2`` (for one-shot magnitude pruning)."""
    scores = [into.weight.detach().norm(dim=1) * out_of.weight.detach().norm(dim=0)
              for into, out_of in model.hidden_linears()]
    return torch.cat(scores)
