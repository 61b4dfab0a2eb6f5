"""``hold``: the do-nothing baseline, so every comparison answers "did any planner beat
standing still?"."""

from __future__ import annotations

import numpy as np
import torch

from controllers.base import PlanningController


class Hold(PlanningController):
    """Applies the action nearest zero in the action box at every step (the pusher stays, no
    torque, no force) and reports that plan's predicted cost."""

    name = "hold"

    def warm_up(self) -> None:
        pass  # nothing to time: the plan is fixed

    def plan(self, x0, warm, deadline):
        still = np.clip(np.zeros((self.horizon, self.net.action_dim)), self.low, self.high)
        with torch.no_grad():
            cost = float(self.kernel(self.kernel.tensor(x0), self.kernel.tensor(still)[None])[0])
        return still, cost, "ok", {}
