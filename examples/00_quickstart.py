"""Collect pushing data, train a ReLU dynamics model, sparsify it to 16 ReLUs, plan with the MIP."""
from training.collect import collect
from training.config import CollectConfig, SparsifyConfig, TrainConfig
from training.evaluate import evaluate
from training.sparsify import sparsify
from training.train import train

data = collect(CollectConfig(env_id="mpcnet/Push-v2", episodes=200, steps=30)).data
dense = train(data, TrainConfig(hidden=(128, 128), epochs=100))  # a 2x128 ReLU MLP
sparse = sparsify(dense.model, dense.train_data, dense.val_data, SparsifyConfig(relus=16),
                  dense.config).model
net = sparse.export()  # the ReluNet that the MILP and every planner read
run = evaluate("mpcnet/Push-v2", net, "mip", episodes=1, seed=0)  # MIP-MPC, 200 ms, H = 12
print(f"{net.relu_count} ReLUs: success {run.summary['success_rate']:.0%}, "
      f"final cost {run.summary['final_cost_mean']:.3f} m")
