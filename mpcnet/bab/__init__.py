"""Action-space branch and bound: sound lower bounds of the plan cost over boxes of actions
(the search itself is ``controllers.bab``).

Rule: imports ``mpcnet``'s own modules only; the names load on first use (torch).
"""

from mpcnet._exports import lazy_exports

_NAMES = {"BoxBounds": "mpcnet.bab.plan_bounds", "PlanBounds": "mpcnet.bab.plan_bounds",
          "SPLIT_RULES": "mpcnet.bab.plan_bounds"}
__getattr__, __dir__ = lazy_exports(__name__, _NAMES)
__all__ = sorted(_NAMES)
