"""Push-v0 transitions with the pusher started away from the object (issue 15, tried).

``mpcnet collect`` starts the pusher next to the object, so the model never sees a pusher
more than about 0.15 m from the object's centre, and extrapolates there (``far_motion.py``:
up to 0.16 m of keypoint motion in one step, pusher 0.3 m away). These episodes place the
object anywhere in |x|, |y| <= 0.3 at any yaw and the pusher uniformly in its box at least
``--gap`` (L-infinity) from the object's centre, then take uniformly random actions.

    python collect_far.py --episodes 150 --steps 30 --seed 0 --out far
    python collect_far.py --merge data far --out data_far   # one dataset of both
"""

import argparse
from pathlib import Path

import numpy as np

import envs
from mpcnet.data import TransitionData


def far_episode(env, rng, steps: int, gap: float, episode: int):
    obj = np.r_[rng.uniform(-0.3, 0.3, 2), rng.uniform(-np.pi, np.pi)]
    while True:
        pusher = rng.uniform(-0.35, 0.35, 2)
        if np.abs(pusher - obj[:2]).max() >= gap:
            break
    obs, _ = env.reset(seed=int(rng.integers(2**31)),
                       options={"object_pose": obj, "goal_pose": np.zeros(3), "pusher": pusher})
    rows = []
    for _ in range(steps):
        action = rng.uniform(env.action_space.low, env.action_space.high)
        nxt, _, terminated, truncated, info = env.step(action)
        rows.append((obs, action, nxt, episode, info["contact"]))
        obs = nxt
        if terminated or truncated:
            break
    return rows


def collect(episodes: int, steps: int, gap: float, seed: int) -> TransitionData:
    env = envs.make("mpcnet/Push-v0")
    rng = np.random.default_rng(seed)
    rows = [row for e in range(episodes) for row in far_episode(env, rng, steps, gap, e)]
    s, a, n, ids, contacts = (np.array(col) for col in zip(*rows, strict=True))
    return TransitionData(s.astype(np.float32), a.astype(np.float32), n.astype(np.float32),
                          ids.astype(np.int64), contacts.astype(bool), "mpcnet/Push-v0", {})


def merge(first: TransitionData, second: TransitionData) -> TransitionData:
    ids = np.r_[first.episode_ids, second.episode_ids + first.episode_ids.max() + 1]
    contacts = np.r_[first.contacts, second.contacts]
    return TransitionData(np.r_[first.states, second.states], np.r_[first.actions, second.actions],
                          np.r_[first.next_states, second.next_states], ids, contacts,
                          first.env_id, dict(first.env_kwargs))


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--episodes", type=int, default=150)
    p.add_argument("--steps", type=int, default=30)
    p.add_argument("--gap", type=float, default=0.15)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--merge", nargs=2, type=Path)
    p.add_argument("--out", type=Path, required=True)
    args = p.parse_args()
    args.out.mkdir(parents=True, exist_ok=False)
    if args.merge:
        data = merge(TransitionData.load(args.merge[0]), TransitionData.load(args.merge[1]))
    else:
        data = collect(args.episodes, args.steps, args.gap, args.seed)
    data.save(args.out)
    moved = np.abs(data.next_states[:, :8] - data.states[:, :8]).max(1)
    print(f"{len(data)} transitions, {int(data.contacts.sum())} with contact; keypoint motion "
          f"without contact: max {moved[~data.contacts].max():.4f} m")


if __name__ == "__main__":
    main()
