"""Do the planners' first plans on the 16-ReLU MountainCar model leave the task's state box?"""
import numpy as np

import envs
from controllers import PlannerConfig
from envs.task import read_task_file
from mpcnet.nn.relunet import ReluNet
from training.bench.mip import start_states
from training.evaluate import build_controller

kw = {"task": read_task_file("mountain_car")}
env = envs.task_of(envs.make("MountainCarContinuous-v0", **kw))
for model in ("car/relus16", "car/dense"):
    net = ReluNet.load(f"{model}/relunet")
    for name in (["mip", "mppi", "cem", "gd"] if "16" in model else ["mppi", "cem", "gd"]):
        ctrl = build_controller("MountainCarContinuous-v0", net, name,
                                PlannerConfig(horizon=20, budget_ms=100), kw)
        out, lows = 0, []
        for i, (x0, goal) in enumerate(start_states("MountainCarContinuous-v0", 10, 1, kw)):
            ctrl.reset(i, goal)
            plan = ctrl.act(x0).plan
            states = net.rollout(x0, plan)
            lows.append(states[:, 0].min())
            out += bool(((states < env.state_low) | (states > env.state_high)).any())
        print(f"{model} {name}: plans leaving the state box {out}/10, lowest predicted "
              f"position median {np.median(lows):.2f} (box {env.state_low[0]:.2f}, env wall -1.20)")
