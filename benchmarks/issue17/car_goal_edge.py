"""Where MPPI parks the car on the 16-ReLU model: what the model predicts of its plan there,
and what the env does with the same plan."""
import glob
import json

import numpy as np

import envs
from controllers import PlannerConfig
from envs.task import read_task_file
from mpcnet.nn.relunet import ReluNet
from training.evaluate import build_controller

kw = {"task": read_task_file("mountain_car")}
net = ReluNet.load("car/relus16/relunet")
ctrl = build_controller("MountainCarContinuous-v0", net, "mppi",
                        PlannerConfig(horizon=20, budget_ms=100), kw)
env = envs.make("MountainCarContinuous-v0", **kw)
rows = []
for f in sorted(glob.glob("car/cmp/episodes/mppi__relus16/*.json"))[:10]:
    ep = json.load(open(f))
    path = np.array(ep["object_path"])[:, 0, :]  # (steps+1, 2): position, velocity
    k = int(np.argmax(path[:, 0]))  # the highest point the car reached
    x0 = path[k]
    ctrl.reset(0, np.array(ep["goal_centres"][0]))
    plan = ctrl.act(x0).plan
    predicted = net.rollout(x0, plan)[:, 0]
    env.reset(seed=0)
    env.unwrapped.state = x0.copy()
    real = []
    for u in plan:
        obs, *_ = env.step(u.astype(np.float32))
        real.append(obs[0])
    rows.append((x0[0], x0[1], predicted.max(), max(real)))
    print(f"from ({x0[0]:+.3f}, {x0[1]:+.4f}): model predicts max position {predicted.max():.3f},"
          f" the env reaches {max(real):.3f}")
r = np.array(rows)
print(f"median: start {np.median(r[:, 0]):.3f}, predicted {np.median(r[:, 2]):.3f}, "
      f"real {np.median(r[:, 3]):.3f} (flag 0.45)")

# The first actions: does the plan climb now, or swing back first?
print("first actions of MPPI's plan at those states, and of the MIP's:")
mip = build_controller("MountainCarContinuous-v0", net, "mip", PlannerConfig(horizon=20,
                                                                              budget_ms=100), kw)
for x0 in r[:5, :2]:
    for name, c in (("mppi", ctrl), ("mip", mip)):
        c.reset(0, np.array([0.5, 0.0]))
        step = c.act(x0)
        pred = net.rollout(x0, step.plan)[:, 0]
        first_in = int(np.argmax(pred >= 0.45)) if (pred >= 0.45).any() else -1
        print(f"  {name} from {x0[0]:+.3f}: first actions {np.round(step.plan[:4, 0], 2)}, "
              f"predicted in the goal zone from step {first_in}, predicted cost "
              f"{step.predicted_cost:.3f}")
