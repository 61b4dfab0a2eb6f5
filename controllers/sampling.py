"""Sampling and gradient planners on the batched rollout kernel: random shooting, MPPI, CEM, GD.

Hyperparameters (defaults tuned on mpcnet/Push-v0 with a 0.2 s budget; noise scales are
fractions of the action range):

| planner | samples per iteration | other |
|---|---|---|
| random | 512 | uniform in the box, the shifted previous plan always included |
| mppi | 256 | noise std 0.3, temperature 0.05 x cost spread |
| cem | 256 | 10 % elites, initial std 0.5, smoothing 0.2 |
| gd | 16 restarts | Adam, lr 0.1 of the range, projected onto the box |
"""

from __future__ import annotations

import numpy as np
import torch

from controllers.base import PlanningController


class RandomShooting(PlanningController):
    """Best of uniform random sequences (and the shifted previous plan)."""

    name = "random"
    samples = 512

    def plan(self, x0, warm, deadline):
        best, best_cost, it = warm, float("inf"), 0
        while self.keep_going(it, deadline):
            plans = self.rng.uniform(self.low, self.high,
                                     (self.samples, self.horizon, len(self.low)))
            plans[0] = best
            with torch.no_grad():
                costs = self.costs(x0, torch.as_tensor(plans)).numpy()
            i = int(np.argmin(costs))
            if costs[i] < best_cost:
                best, best_cost = plans[i], float(costs[i])
            it += 1
        return best, best_cost, "ok", {"iterations": it}


class MPPI(PlanningController):
    """Model-predictive path integral control (information-theoretic MPC)."""

    name = "mppi"
    samples, noise, temperature = 256, 0.3, 0.05

    def plan(self, x0, warm, deadline):
        mean, span, it = warm.copy(), self.high - self.low, 0
        best, best_cost = warm, float("inf")
        while self.keep_going(it, deadline):
            eps = self.rng.normal(0.0, self.noise, (self.samples, self.horizon, len(span))) * span
            eps[0] = 0.0  # the current mean is always evaluated
            plans = np.clip(mean + eps, self.low, self.high)
            with torch.no_grad():
                costs = self.costs(x0, torch.as_tensor(plans)).numpy()
            i = int(np.argmin(costs))
            if costs[i] < best_cost:
                best, best_cost = plans[i], float(costs[i])
            spread = max(float(costs.max() - costs.min()), 1e-12)
            weights = np.exp(-(costs - costs.min()) / (self.temperature * spread))
            weights /= weights.sum()
            mean = np.einsum("k,khm->hm", weights, plans)
            it += 1
        return best, best_cost, "ok", {"iterations": it}


class CEM(PlanningController):
    """Cross-entropy method with a diagonal Gaussian over the sequence."""

    name = "cem"
    samples, elite_fraction, init_std, smoothing = 256, 0.1, 0.5, 0.2

    def plan(self, x0, warm, deadline):
        span = self.high - self.low
        mean, std = warm.copy(), np.broadcast_to(self.init_std * span, warm.shape).copy()
        n_elite = max(2, int(self.elite_fraction * self.samples))
        best, best_cost, it = warm, float("inf"), 0
        while self.keep_going(it, deadline):
            plans = np.clip(mean + std * self.rng.standard_normal(
                (self.samples, *mean.shape)), self.low, self.high)
            plans[0] = mean
            with torch.no_grad():
                costs = self.costs(x0, torch.as_tensor(plans)).numpy()
            elite = plans[np.argsort(costs)[:n_elite]]
            if costs.min() < best_cost:
                best, best_cost = plans[int(np.argmin(costs))], float(costs.min())
            mean = self.smoothing * mean + (1 - self.smoothing) * elite.mean(0)
            std = self.smoothing * std + (1 - self.smoothing) * elite.std(0)
            it += 1
        return best, best_cost, "ok", {"iterations": it}


class GradientDescent(PlanningController):
    """Projected gradient descent on the sequence through the torch model, with restarts.

    Restarts are a batch dimension: restart 0 starts from the shifted previous plan, the
    others uniformly at random.
    """

    name = "gd"
    restarts, lr = 16, 0.1

    def plan(self, x0, warm, deadline):
        span = torch.as_tensor(self.high - self.low)
        low, high = torch.as_tensor(self.low), torch.as_tensor(self.high)
        init = self.rng.uniform(self.low, self.high, (self.restarts, *warm.shape))
        init[0] = warm
        u = torch.tensor(init, requires_grad=True)
        opt = torch.optim.Adam([u], lr=self.lr * float(span.mean()))
        best, best_cost, it = warm, float("inf"), 0
        while self.keep_going(it, deadline):
            costs = self.costs(x0, u)
            i = int(torch.argmin(costs))
            if float(costs[i].detach()) < best_cost:
                best, best_cost = u[i].detach().numpy().copy(), float(costs[i].detach())
            opt.zero_grad()
            costs.sum().backward()
            opt.step()
            with torch.no_grad():
                u.copy_(torch.maximum(torch.minimum(u, high), low))
            it += 1
        return best, best_cost, "ok", {"iterations": it}
