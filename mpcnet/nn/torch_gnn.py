"""``ReluGNN``: the trainable, sparsifiable object-centric graph dynamics model.

The architecture is described in :mod:`mpcnet.nn.graphnet`. Here the relation and object
networks are ``nn.Linear`` chains whose hidden neurons are gated (ReLU / identity / removed)
like :class:`~mpcnet.nn.torch_models.ReluMLP`'s; the gate order is the relation network's hidden
layers, then the object network's. Geometric features are divided by one length scale (a
scalar, so the model stays equivariant to object order and translation) and displacements
are predicted in units of their standard deviation; :meth:`ReluGNN.export` folds both into
the weights of the :class:`~mpcnet.nn.graphnet.GraphNet`.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from mpcnet.artifacts import FORMAT_VERSION
from mpcnet.errors import ConfigError
from mpcnet.nn.gated import GatedReluModel, export_chain, hard_gates
from mpcnet.nn.graphnet import (
    ACTIONS,
    EDGE_FEATURES,
    GEOMETRIC,
    GraphNet,
    check_variant,
    graph_step,
)


def _chain(sizes: list[int]) -> nn.ModuleList:
    return nn.ModuleList(nn.Linear(a, b) for a, b in zip(sizes, sizes[1:], strict=False))


class ReluGNN(GatedReluModel):
    """Interaction-network dynamics for states ``[p_1..p_N, q]`` and push primitives (or
    pusher displacements).

    Args:
        relation_hidden: Hidden sizes of the relation network, e.g. ``[64, 64]``.
        object_hidden: Hidden sizes of the object network, e.g. ``[64]``.
        effect_dim: Size ``E`` of the summed effect vector.
        action: ``'primitive'`` or ``'displacement'`` (:mod:`mpcnet.nn.graphnet`).
        edges: ``'all'`` or ``'chain'`` (:mod:`mpcnet.nn.graphnet`).
    """

    def __init__(self, relation_hidden: list[int], object_hidden: list[int],
                 effect_dim: int, action: str = "primitive", edges: str = "all") -> None:
        super().__init__()
        check_variant(action, edges)
        self.action, self.edges, self.action_dim = action, edges, ACTIONS[action]
        sizes = [*relation_hidden, *object_hidden]
        if not relation_hidden or not object_hidden or min(sizes) < 1 or effect_dim < 1:
            raise ConfigError(
                "graph model sizes: expected at least one positive hidden size for the relation "
                f"and the object network and a positive effect size, got {relation_hidden}, "
                f"{object_hidden} and {effect_dim}.")
        self.relation_hidden, self.object_hidden = list(relation_hidden), list(object_hidden)
        self.effect_dim = int(effect_dim)
        self.rel_layers = _chain([EDGE_FEATURES, *relation_hidden])
        self.rel_out = nn.Linear(relation_hidden[-1], effect_dim)
        self.obj_layers = _chain([effect_dim + GEOMETRIC, *object_hidden])
        self.obj_out = nn.Linear(object_hidden[-1], 2)
        self.register_buffer("length_scale", torch.ones(()))
        self.register_buffer("out_mean", torch.zeros(2))
        self.register_buffer("out_std", torch.ones(2))
        self._register_gates(sizes)

    def set_normalization(self, length_scale: float, out_mean, out_std) -> None:
        """Store the feature length scale and the displacement statistics (floored)."""
        self.length_scale.fill_(max(float(length_scale), 1e-6))
        self.out_mean.copy_(torch.as_tensor(np.asarray(out_mean), dtype=torch.float32))
        self.out_std.copy_(torch.as_tensor(np.asarray(out_std), dtype=torch.float32)
                           .clamp_min(1e-6))

    def _scales(self) -> tuple[torch.Tensor, torch.Tensor]:
        """Per-feature input scales of the relation and the object network."""
        inv = 1.0 / self.length_scale
        one = torch.ones((), device=inv.device)
        rel = torch.stack([inv] * (EDGE_FEATURES - 1) + [one])
        obj = torch.cat([one.expand(self.effect_dim), inv.expand(GEOMETRIC)])
        return rel, obj

    def _relation(self, feats: torch.Tensor) -> torch.Tensor:
        h = feats * self._scales()[0]
        for k, layer in enumerate(self.rel_layers):
            h = self.gated(k, layer(h))
        return self.rel_out(h)

    def _objects(self, feats: torch.Tensor) -> torch.Tensor:
        h = feats * self._scales()[1]
        offset = len(self.relation_hidden)
        for k, layer in enumerate(self.obj_layers):
            h = self.gated(offset + k, layer(h))
        return self.obj_out(h) * self.out_std + self.out_mean

    def forward(self, x: torch.Tensor, u: torch.Tensor) -> torch.Tensor:
        """Next state for states ``(..., 2N+2)`` and actions ``(..., 4)`` (or ``(..., 2)``),
        any ``N``."""
        return graph_step(x, u, self._relation, self._objects, self.edges, self.action)

    def hidden_linears(self) -> list[tuple[nn.Linear, nn.Linear]]:
        rel = [*self.rel_layers, self.rel_out]
        obj = [*self.obj_layers, self.obj_out]
        return [*zip(rel[:-1], rel[1:], strict=True), *zip(obj[:-1], obj[1:], strict=True)]

    @classmethod
    def from_config(cls, cfg: dict) -> ReluGNN:
        # models saved before the variants existed are primitive, all edges
        return cls(list(cfg["relation_hidden"]), list(cfg["object_hidden"]),
                   int(cfg["effect_dim"]), cfg.get("action", "primitive"),
                   cfg.get("edges", "all"))

    def config(self) -> dict:
        return {"type": "ReluGNN", "format_version": FORMAT_VERSION,
                "relation_hidden": self.relation_hidden, "object_hidden": self.object_hidden,
                "effect_dim": self.effect_dim, "action": self.action, "edges": self.edges}

    @torch.no_grad()
    def export(self) -> GraphNet:
        """The compact :class:`GraphNet`: scales folded in, removed neurons dropped.

        Raises:
            ConfigError: if a gate is not hard (0/1) or a neuron is both ReLU and identity.
        """
        dtype = torch.float64
        rel_scale, obj_scale = (s.cpu().to(dtype) for s in self._scales())
        gates = [hard_gates(self, k) for k in range(len(self.hidden_sizes))]
        r = len(self.relation_hidden)
        relation = export_chain(list(self.rel_layers), self.rel_out, gates[:r],
                                torch.diag(rel_scale), torch.zeros(EDGE_FEATURES, dtype=dtype),
                                torch.ones(self.effect_dim), torch.zeros(self.effect_dim))
        objects = export_chain(list(self.obj_layers), self.obj_out, gates[r:],
                               torch.diag(obj_scale), torch.zeros(len(obj_scale), dtype=dtype),
                               self.out_std, self.out_mean)
        return GraphNet(tuple(relation), tuple(objects), self.action, self.edges)
