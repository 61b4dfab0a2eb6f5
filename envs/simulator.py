"""The simulator itself as a dynamics model: the reference planner's model (``sim``).

:class:`SimModel` predicts by stepping a private copy of the env. At the start of an episode it
resets its copy with the episode's seed; after each real step it applies the same action to
the copy, which must then show the same observation (the simulations are deterministic); at
the end of the episode it lets go (:meth:`SimModel.finish`).

To predict a batch of plans from the current state it saves the copy's state, plays each plan
from it and restores it: PyBullet tasks save and restore the simulation in memory
(``saveState``); other gymnasium envs are copied with ``copy.deepcopy``, and an env that cannot
be copied is refused with one line. A restored PyBullet snapshot does not keep the warm start
of the contact solver, so the plans after the first agree with a real step within a fraction
of a millimetre (0.16 mm at worst over 20 plans of 6 pushes), not to the bit; the copy itself
is replayed from the seed after planning, so it follows the real episode exactly.

It has the shape of a model (``state_dim``, ``action_dim``) and the one method
:class:`mpcnet.plan_cost.PlanCost` looks for in a model that is not a network:
``simulate(x0, plans) -> states``. It is not differentiable and has no ReLUs, so the sampling
planners (mppi, cem, random) run on it; gradient descent, the MIP and bab need a network.
"""

from __future__ import annotations

import copy

import numpy as np

from mpcnet.errors import ConfigError

SIM_NAME = "sim"  # what the command line and sweep specs call it, in place of a model directory
# CEM with 128 samples x 4 iterations plans Push-v0 to success on the simulator; the sim row
# runs a fixed number of iterations because a time budget would cut its slow rollouts short
SIM_SAMPLES, SIM_ITERATIONS = 128, 4


class SimModel:
    """The env ``env_id`` (made with ``env_kwargs``) as a model of itself.

    Args:
        env_id: An mpcnet env or a gymnasium env id.
        env_kwargs: The keyword arguments of :func:`envs.make` (a task file's ``task``, ...).
    """

    name = SIM_NAME
    relu_count = None  # not a network
    mirrors_env = True  # the closed loop calls start() and applied() (training.evaluate)

    def __init__(self, env_id: str, env_kwargs: dict | None = None) -> None:
        import envs

        self.env_id, self.env_kwargs = env_id, dict(env_kwargs or {})
        self._env = envs.make(env_id, **self.env_kwargs)
        self.state_dim = int(self._env.observation_space.shape[0])
        self.action_dim = int(self._env.action_space.shape[0])
        # PyBullet tasks snapshot their simulation in memory; other envs are deep-copied
        self._in_memory = hasattr(self._env.unwrapped, "save_state")
        self._obs, self._started, self._dirty = None, False, False
        self._seed, self._options, self._actions = 0, None, []

    # ---------------------------------------------------------------- the private copy
    def _stepper(self):
        """What a step is applied to: the PyBullet env itself (no wrappers counting steps),
        or the whole wrapped env for a gymnasium task."""
        return self._env.unwrapped if self._in_memory else self._env

    def _save(self):
        if self._in_memory:
            return self._env.unwrapped.save_state()
        try:
            return copy.deepcopy(self._env)
        except Exception as exc:  # noqa: BLE001 - any failure to copy means the same thing
            raise ConfigError(f"sim: {self.env_id} cannot be copied with copy.deepcopy "
                              f"({type(exc).__name__}: {exc}); the simulator reference needs an "
                              "mpcnet env or a gymnasium env that can be deep-copied.") from None

    def _restore(self, snapshot) -> None:
        if self._in_memory:
            self._env.unwrapped.restore_state(snapshot)
        else:
            self._env = copy.deepcopy(snapshot)

    def _drop(self, snapshot) -> None:
        if self._in_memory:
            self._env.unwrapped.drop_state(snapshot)

    # ---------------------------------------------------------------- following the episode
    def start(self, seed: int, options: dict | None = None) -> np.ndarray:
        """Reset the copy as the real env was reset; its first observation."""
        self._seed, self._options, self._actions = seed, options, []
        self._replay()
        self._started = True
        return self._obs

    def _replay(self) -> None:
        """Bring the copy to the real env's state by resetting it with the episode's seed and
        replaying the actions so far: exact, where restoring a PyBullet snapshot after
        candidate rollouts is only close (contact caches are not all restored)."""
        self._obs, _ = self._env.reset(seed=self._seed, options=self._options)
        stepper = self._stepper()
        for action in self._actions:
            self._obs = stepper.step(action)[0]
        self._dirty = False

    def finish(self) -> None:
        """The episode ended: until the next :meth:`start`, predictions (a planner's warm-up)
        come from a fresh reset of the copy."""
        self._started = False

    def applied(self, action, real_obs) -> None:
        """Apply the action the real env just took; refuse a copy that no longer agrees."""
        action = np.asarray(action, dtype=np.float32)
        self._actions.append(action)
        if self._dirty:
            self._replay()
        else:
            self._obs = self._stepper().step(action)[0]
        if not np.allclose(self._obs, real_obs, atol=1e-6):
            raise ConfigError(f"sim: the copy of {self.env_id} diverged from the real env "
                              f"(max difference {np.abs(self._obs - real_obs).max():.3g}); the "
                              "env is not deterministic under a seed, so it cannot be its own "
                              "reference model.")

    # ---------------------------------------------------------------- the model
    def simulate(self, x0, plans) -> np.ndarray:
        """States ``(H, K, n)`` (time-major, the state after each action) of plans
        ``(K, H, m)`` played from the copy's current state, which must be ``x0``."""
        plans = np.asarray(plans, dtype=np.float32)
        if not self._started:  # a planner's warm-up between episodes: any state does
            self._obs, _ = self._env.reset(seed=0)
        elif not np.allclose(np.asarray(x0, dtype=np.float64), self._obs, atol=1e-5):
            raise ConfigError("sim: asked to predict from a state that is not the simulator "
                              "copy's; it follows one episode (start(seed), then applied(action, "
                              "obs) after every real step).")
        k, h, _ = plans.shape
        states = np.empty((h, k, self.state_dim))
        snapshot = self._save()
        try:
            for i in range(k):
                self._restore(snapshot)
                stepper = self._stepper()
                for t in range(h):
                    states[t, i] = stepper.step(plans[i, t])[0]
        finally:
            self._restore(snapshot)
            self._drop(snapshot)
            self._dirty = self._in_memory  # a deep copy restores exactly; a snapshot nearly
        return states

    def __getstate__(self) -> dict:
        # a sweep sends models to worker processes: each makes its own copy of the env
        return {"env_id": self.env_id, "env_kwargs": self.env_kwargs}

    def __setstate__(self, state: dict) -> None:
        self.__init__(state["env_id"], state["env_kwargs"])

    def close(self) -> None:
        if self._env is not None:
            self._env.close()
            self._env = None
