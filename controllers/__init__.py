"""MPC controllers implementing one protocol: ``reset(seed)`` and ``act(state)``.

Depends on ``mpcnet`` only (the dependency rule: training -> controllers -> mpcnet <- envs).
"""
