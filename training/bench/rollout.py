"""Benchmarks: ``mpcnet bench rollout`` (batched rollout kernel against a per-sample loop)."""

from __future__ import annotations

import platform
import re
import time
from pathlib import Path

import numpy as np
import torch

from mpcnet.artifacts import write_text
from mpcnet.errors import ConfigError
from mpcnet.nn.relunet import ReluNet
from mpcnet.nn.torch_models import ReluMLP, relative_points_map
from mpcnet.rollout import TorchReluNet, rollout


def random_push_net(hidden=(128, 128), seed: int = 0) -> ReluNet:
    """A dense network of the push model's shape (10 states, 2 actions) with random weights."""
    torch.manual_seed(seed)
    return ReluMLP(10, 2, list(hidden), relative_points_map(10, 2)).export()


def _timeit(fn, min_time: float = 0.5, max_repeats: int = 50) -> float:
    """Median seconds per call over repeats lasting at least ``min_time`` in total."""
    fn()  # warm-up (allocations, compilation)
    times, start = [], time.perf_counter()
    while len(times) < 3 or (time.perf_counter() - start < min_time and len(times) < max_repeats):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return float(np.median(times))


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def bench_rollout(net: ReluNet, samples: list[int], horizons: list[int],
                  device: torch.device, compile_kernel: bool = False,
                  loop: bool = True) -> list[dict]:
    """Rollouts per second of the batched kernel and of a per-sample, per-step loop."""
    model = TorchReluNet(net, device=device)
    step = torch.compile(model) if compile_kernel else model
    gen = torch.Generator().manual_seed(0)
    rows = []
    for h in horizons:
        for k in samples:
            x0 = torch.zeros(net.state_dim, device=device)
            actions = (torch.rand(k, h, net.action_dim, generator=gen) * 0.06 - 0.03).to(device)

            @torch.no_grad()
            def batched(actions=actions, x0=x0):
                rollout(step, x0, actions)
                _sync(device)

            @torch.no_grad()
            def per_sample(actions=actions, x0=x0):
                for i in range(actions.shape[0]):  # the plain loop: one sample, one step at a time
                    x = x0[None]
                    for t in range(actions.shape[1]):
                        x = model(x, actions[i:i + 1, t])
                _sync(device)

            t_batched = _timeit(batched)
            row = {"K": k, "H": h, "batched_rollouts_per_s": k / t_batched,
                   "batched_ms": 1e3 * t_batched}
            if loop:
                t_loop = _timeit(per_sample, min_time=0.0, max_repeats=1)
                row.update({"loop_rollouts_per_s": k / t_loop, "loop_ms": 1e3 * t_loop,
                            "speedup": t_loop / t_batched})
            rows.append(row)
    return rows


def device_name(device: torch.device) -> str:
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    return f"CPU {platform.processor() or platform.machine()}, {torch.get_num_threads()} threads"


def rollout_table(rows: list[dict], header: str) -> str:
    lines = [header, "",
             "| K | H | batched rollouts/s | batched ms | per-sample loop rollouts/s | speed-up |",
             "|---|---|---|---|---|---|"]
    for r in rows:
        loop = (f"{r['loop_rollouts_per_s']:,.0f} | {r['speedup']:,.0f}x"
                if "loop_rollouts_per_s" in r else "- | -")
        lines.append(f"| {r['K']} | {r['H']} | {r['batched_rollouts_per_s']:,.0f} "
                     f"| {r['batched_ms']:.2f} | {loop} |")
    return "\n".join(lines) + "\n"


def replace_section(path: Path, key: str, text: str) -> None:
    """Put ``text`` between ``<!-- key -->`` markers in ``path`` (appending if absent)."""
    path = Path(path)
    if path.exists() and not path.is_file():
        raise ConfigError(f"--write {path}: expected a markdown file, got a directory.")
    content = path.read_text() if path.exists() else "# Benchmarks\n"
    begin, end = f"<!-- {key} -->", f"<!-- /{key} -->"
    block = f"{begin}\n{text}{end}"
    pattern = re.compile(re.escape(begin) + r".*?" + re.escape(end), re.S)
    content = pattern.sub(lambda _: block, content) if pattern.search(content) \
        else content.rstrip("\n") + "\n\n" + block + "\n"
    write_text(path, content)
