"""Sampling and gradient planners on the batched plan-cost kernel: random shooting, MPPI, CEM,
GD. Every setting is a :class:`~controllers.base.PlannerConfig` field (``None``: the default
below); noise scales are fractions of the action range.

| planner | samples per iteration | other defaults |
|---|---|---|
| random | 512 | uniform in the box; the best plan so far is always re-evaluated |
| mppi | 256 | noise std 0.3, temperature 0.05 x the iteration's cost spread, smoothing 0 |
| cem | 256 | 10 % elites, initial std 0.5, smoothing 0.2 |
| gd | 16 restarts | Adam, lr 0.1 of the range, projected onto the box |

MPPI follows Williams et al. (2017, "Information theoretic MPC for model-based reinforcement
learning"): sample ``eps ~ N(0, sigma^2)`` around the mean plan ``U``, weight each sample by
``exp(-(J_k - min J) / lambda)`` and set ``U <- sum_k w_k (U + eps_k)``; the returned plan is
that weighted mean. ``lambda`` is ``temperature x (max J - min J)`` of the iteration, so one
setting works whatever the scale of the task's cost. ``smoothing`` keeps that fraction of the
old mean in each update. ``return_best`` returns the best single sample seen instead (an
option, not the default: more iterations let the best sample exploit the model's errors).

CEM (Rubinstein; as in PETS, Chua et al. 2018): sample around a diagonal Gaussian, refit it
to the elites with smoothing, return its mean (or, with ``return_best``, the best sample).
"""

from __future__ import annotations

import time

import numpy as np
import torch

from controllers.base import PlanningController


def _numpy(plan: torch.Tensor) -> np.ndarray:
    return plan.detach().to("cpu", torch.float64).numpy()


class RandomShooting(PlanningController):
    """Best of uniform random sequences (and the best plan so far, from the shifted plan)."""

    name = "random"
    defaults = {"samples": 512}

    def plan(self, x0, warm, deadline):
        x = self.kernel.tensor(x0)
        best = self.kernel.tensor(warm)
        best_cost, it = float("inf"), 0
        size = self.setting("samples")
        while self.keep_going(it, deadline, size):
            plans = self.sample_uniform(size)
            plans[0] = best
            costs = self.evaluate(x, plans, deadline)
            i = int(torch.argmin(costs))
            if float(costs[i]) < best_cost:
                best, best_cost = plans[i].clone(), float(costs[i])
            it += 1
        return _numpy(best), best_cost, "ok", {"iterations": it}


class _MeanPlanner(PlanningController):
    """Shared by MPPI and CEM: the final mean is evaluated once more (its cost is returned),
    and that evaluation is reserved out of the budget."""

    def final(self, x, mean, best, best_cost, it):
        if self.setting("return_best") and best is not None:
            return _numpy(best), best_cost, "ok", {"iterations": it}
        with torch.no_grad():
            cost = float(self.timed_costs(x, mean[None])[0])
        return _numpy(mean), cost, "ok", {"iterations": it}

    def stop_time(self, deadline: float) -> float:
        return deadline - 1.1 * self.timer.estimate(1)


class MPPI(_MeanPlanner):
    """Model-predictive path integral control (see the module docstring)."""

    name = "mppi"
    defaults = {"samples": 256, "noise": 0.3, "temperature": 0.05, "smoothing": 0.0,
                "return_best": False}

    def plan(self, x0, warm, deadline):
        x, mean = self.kernel.tensor(x0), self.kernel.tensor(warm)
        size, std = self.setting("samples"), self.setting("noise") * self.span_t
        temperature, keep = self.setting("temperature"), self.setting("smoothing")
        best, best_cost, it = None, float("inf"), 0
        stop = self.stop_time(deadline)
        while self.keep_going(it, stop, size):
            eps = torch.randn((size, *mean.shape), generator=self.gen, dtype=mean.dtype,
                              device=mean.device) * std
            eps[0] = 0.0  # the current mean is always evaluated
            plans = self.clamp(mean + eps)
            costs = self.evaluate(x, plans, stop)
            plans = plans[:costs.shape[0]]
            low = costs.min()
            if float(low) < best_cost:
                best, best_cost = plans[int(torch.argmin(costs))].clone(), float(low)
            spread = torch.clamp(costs.max() - low, min=1e-12)
            weights = torch.softmax(-(costs - low) / (temperature * spread), 0)
            update = torch.einsum("k,khm->hm", weights, plans)
            mean = keep * mean + (1.0 - keep) * update
            it += 1
        return self.final(x, mean, best, best_cost, it)


class CEM(_MeanPlanner):
    """Cross-entropy method with a diagonal Gaussian over the sequence."""

    name = "cem"
    defaults = {"samples": 256, "noise": 0.5, "elite_fraction": 0.1, "smoothing": 0.2,
                "return_best": False}

    def plan(self, x0, warm, deadline):
        x, mean = self.kernel.tensor(x0), self.kernel.tensor(warm)
        size, keep = self.setting("samples"), self.setting("smoothing")
        std = (self.setting("noise") * self.span_t).expand_as(mean).clone()
        n_elite = max(2, int(self.setting("elite_fraction") * size))
        best, best_cost, it = None, float("inf"), 0
        stop = self.stop_time(deadline)
        while self.keep_going(it, stop, size):
            noise = torch.randn((size, *mean.shape), generator=self.gen, dtype=mean.dtype,
                                device=mean.device)
            plans = self.clamp(mean + std * noise)
            plans[0] = mean
            costs = self.evaluate(x, plans, stop)
            order = torch.argsort(costs)[:min(n_elite, costs.shape[0])]
            elite = plans[order]
            if float(costs[order[0]]) < best_cost:
                best, best_cost = elite[0].clone(), float(costs[order[0]])
            mean = keep * mean + (1 - keep) * elite.mean(0)
            std = keep * std + (1 - keep) * elite.std(0, correction=0)
            it += 1
        return self.final(x, mean, best, best_cost, it)


class GradientDescent(PlanningController):
    """Projected gradient descent on the sequence through the torch model, with restarts.

    Restarts are a batch dimension: restart 0 starts from the shifted previous plan, the
    others uniformly at random. An iteration (forward and backward pass) starts only if its
    measured duration fits before the deadline.
    """

    name = "gd"
    defaults = {"restarts": 16, "lr": 0.1}
    iteration_s = 0.0  # measured seconds of one forward and backward pass

    def plan(self, x0, warm, deadline):
        x = self.kernel.tensor(x0)
        init = self.sample_uniform(self.setting("restarts"))
        init[0] = self.kernel.tensor(warm)
        u = init.requires_grad_(True)
        opt = torch.optim.Adam([u], lr=self.setting("lr") * float(self.span_t.mean()))
        best, best_cost, it = init[0].detach().clone(), float("inf"), 0
        while self._another(it, deadline):
            start = time.perf_counter()
            costs = self.kernel(x, u)
            values = costs.detach()
            i = int(torch.argmin(values))
            if float(values[i]) < best_cost:
                best, best_cost = u[i].detach().clone(), float(values[i])
            opt.zero_grad()
            costs.sum().backward()
            opt.step()
            with torch.no_grad():
                u.copy_(self.clamp(u))
            elapsed = time.perf_counter() - start
            self.iteration_s = (0.7 * self.iteration_s + 0.3 * elapsed if self.iteration_s
                                else elapsed)
            it += 1
        return _numpy(best), best_cost, "ok", {"iterations": it}

    def warm_up(self) -> None:
        """One full-width gradient iteration (its first run pays torch's one-off costs)."""
        x0 = self.kernel.tensor(np.zeros(self.net.state_dim))
        for _ in range(2):  # the optimiser's first step also loads code lazily
            start = time.perf_counter()
            u = self.sample_uniform(self.setting("restarts")).requires_grad_(True)
            opt = torch.optim.Adam([u], lr=1e-3)
            self.kernel(x0, u).sum().backward()
            opt.step()
            self.iteration_s = time.perf_counter() - start

    def _another(self, it: int, deadline: float) -> bool:
        if self.fixed_iterations():
            return it < self.config.iterations
        return it == 0 or self.fits(self.iteration_s, deadline)
