"""Reset hooks of the shipped task files: random initial states for data collection.

A hook takes the unwrapped env and a ``numpy.random.Generator``, puts the env in a random state
and returns the observation of that state. The envs' own resets start in a narrow region
(MountainCar: at rest in the valley); a model trained only on what random actions reach from
there knows nothing of the states a good controller visits.
"""

from __future__ import annotations

import numpy as np


def pendulum_state(env, rng: np.random.Generator) -> np.ndarray:
    """Pendulum-v1: any angle, and any angular velocity the env allows (|w| <= 8 rad/s)."""
    env.state = np.array([rng.uniform(-np.pi, np.pi), rng.uniform(-env.max_speed, env.max_speed)])
    return env._get_obs()


def mountain_car_state(env, rng: np.random.Generator) -> np.ndarray:
    """MountainCarContinuous-v0: any position left of the goal, any velocity."""
    env.state = np.array([rng.uniform(env.min_position, env.goal_position),
                          rng.uniform(-env.max_speed, env.max_speed)])
    return np.array(env.state, dtype=np.float32)
