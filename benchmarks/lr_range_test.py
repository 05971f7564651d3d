"""Learning-rate range test benchmark: how stable is each rule's suggestion, and how well does
training with it go?

    pip install -e ".[bench]"
    python benchmarks/lr_range_test.py                       # 3 models x 10 seeds, ~2-3 min on 2 cores
    python benchmarks/lr_range_test.py --seeds 3 --epochs 3  # smoke run

For each model and seed, two sweeps (``sturgeon.integrations.torch.lr_range_test`` from 1e-6
to 10, one mini-batch a step, the model restored afterwards): 300 steps (sturgeon's default)
and 100 steps (the default of fastai, Lightning and torch-lr-finder). Every peer rule reads
both, so it is shown on its usual sweep and on sturgeon's; sturgeon reads the 300-step one.
The rules differ only in how they read a sweep's losses:

* sturgeon: the rule of ``sg.lr_range_test`` (a zero-lag kernel fit of the losses against
  log rate, the loss-weighted centre of its bottom, / 10**0.35; see
  ``src/sturgeon/_lr_range.py``);
* valley: the longest run of decreasing smoothed loss, and the rate about halfway into its
  middle third (the "valley" rule as fastai describes it, written from that description);
* steepest: where the smoothed loss falls fastest against log(rate), skipping the first 10
  and last 5 points (the torch-lr-finder / Lightning rule, from their descriptions);
* min/10: a tenth of the rate of the lowest smoothed loss.

The peers' smoothed loss is their published kind, a bias-corrected exponential moving average
(factor 0.9).

Metrics per model: the spread of the suggestion over seeds (standard deviation of log10 of
the rate: 0.3 is a factor of 2), the median suggestion, and the validation loss after
``--epochs`` epochs of training from the same initial weights at the suggested rate (mean +-
s.e. over seeds). Data sets ship with scikit-learn.
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import samplers as _sb

PEERS = ("valley", "steepest", "min/10")
RULES = ("sturgeon", *(f"{p} ({n})" for p in PEERS for n in (100, 300)))


def _data(name: str) -> tuple[Any, Any, Any, Any]:
    import torch
    from sklearn.datasets import load_breast_cancer, load_digits
    from sklearn.model_selection import train_test_split
    from sklearn.preprocessing import StandardScaler

    if name == "logreg_cancer":
        x, y = load_breast_cancer(return_X_y=True)
        x = StandardScaler().fit_transform(x)
    else:
        x, y = load_digits(return_X_y=True)
        x = x / 16.0
    xt, xv, yt, yv = train_test_split(x, y, test_size=0.3, random_state=0, stratify=y)
    if name == "cnn_digits":
        xt, xv = xt.reshape(-1, 1, 8, 8), xv.reshape(-1, 1, 8, 8)
    f = torch.float32
    return torch.tensor(xt, dtype=f), torch.tensor(yt), torch.tensor(xv, dtype=f), torch.tensor(yv)


def _model(name: str) -> tuple[Any, Callable[[Any, float], Any], int]:
    """(model, optimizer factory, batch size)."""
    import torch

    nn = torch.nn
    if name == "mlp_digits":
        model = nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10))
        return model, lambda p, lr: torch.optim.SGD(p, lr=lr, momentum=0.9), 32
    if name == "cnn_digits":
        model = nn.Sequential(
            nn.Conv2d(1, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(8 * 4 * 4, 10)
        )
        return model, lambda p, lr: torch.optim.AdamW(p, lr=lr), 32
    model = nn.Sequential(nn.Linear(30, 2))
    return model, lambda p, lr: torch.optim.SGD(p, lr=lr), 16


MODELS = ("mlp_digits", "cnn_digits", "logreg_cancer")


def ema(losses: np.ndarray, beta: float = 0.9) -> np.ndarray:
    """Bias-corrected exponential moving average: the peers' smoothing."""
    out = np.empty_like(losses)
    avg = 0.0
    for i, v in enumerate(losses):
        avg = beta * avg + (1 - beta) * v
        out[i] = avg / (1 - beta ** (i + 1))
    return out


def valley(lrs: np.ndarray, smoothed: np.ndarray) -> float:
    n = len(smoothed)
    run = [1] * n
    best_end = 0
    for i in range(1, n):
        for j in range(i):
            if smoothed[i] < smoothed[j] and run[i] < run[j] + 1:
                run[i] = run[j] + 1
        if run[i] > run[best_end]:
            best_end = i
    start = best_end - run[best_end] + 1
    third = (best_end - start) / 3
    return float(lrs[min(n - 1, start + int(third) + int(third / 2))])


def steepest(lrs: np.ndarray, smoothed: np.ndarray) -> float:
    lo, hi = 10, max(11, len(smoothed) - 5)
    grad = np.gradient(smoothed, np.log10(lrs))
    return float(lrs[lo + int(np.argmin(grad[lo:hi]))])


def min_over_10(lrs: np.ndarray, smoothed: np.ndarray) -> float:
    return float(lrs[int(np.argmin(smoothed))] / 10)


def run_one(name: str, seed: int, epochs: int) -> dict[str, Any]:
    import torch

    from sturgeon.integrations.torch import lr_range_test

    torch.set_num_threads(1)
    xt, yt, xv, yv = _data(name)
    torch.manual_seed(seed)
    model, make_opt, bs = _model(name)
    init = {k: v.clone() for k, v in model.state_dict().items()}
    gen = torch.Generator().manual_seed(seed)
    loader = [(xt[i], yt[i]) for i in torch.randperm(len(xt), generator=gen).split(bs)]
    loss_fn = torch.nn.functional.cross_entropy
    picks: dict[str, float] = {}
    for steps in (300, 100):
        res = lr_range_test(
            model, make_opt(model.parameters(), 1e-3), loss_fn, loader, min_lr=1e-6, max_lr=10.0, num_steps=steps
        )
        raw = np.asarray(res.losses)
        finite = np.isfinite(raw)
        n = len(raw) if finite.all() else int(np.argmin(finite))
        lrs, sm = np.asarray(res.lrs)[:n], ema(raw[:n])
        if steps == 300:
            picks["sturgeon"] = res.suggestion
        for peer, rule in (("valley", valley), ("steepest", steepest), ("min/10", min_over_10)):
            picks[f"{peer} ({steps})"] = rule(lrs, sm)
    out: dict[str, Any] = {"model": name, "seed": seed, "suggestions": picks, "val_loss": {}}
    for rule, lr in picks.items():
        model.load_state_dict(init)
        opt = make_opt(model.parameters(), lr)
        g = torch.Generator().manual_seed(seed + 1)
        for _ in range(epochs):
            for idx in torch.randperm(len(xt), generator=g).split(bs):
                opt.zero_grad()
                loss_fn(model(xt[idx]), yt[idx]).backward()
                opt.step()
        with torch.no_grad():
            v = float(loss_fn(model(xv), yv))
        out["val_loss"][rule] = v if math.isfinite(v) else float("inf")
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seeds", type=int, default=10)
    p.add_argument("--epochs", type=int, default=8)
    p.add_argument("--first-seed", type=int, default=0, help="seeds FIRST..FIRST+N-1 (default 0)")
    p.add_argument("--rules", default=",".join(RULES), help="comma list, e.g. 'sturgeon,valley (100)' (default: all)")
    args = p.parse_args(argv)
    t0 = time.time()
    seeds = range(args.first_seed, args.first_seed + args.seeds)
    runs = [run_one(m, s, args.epochs) for m in MODELS for s in seeds]
    rules = [r.strip() for r in args.rules.split(",") if r.strip()]
    facts = _sb.machine_facts()
    print(f"command: python benchmarks/lr_range_test.py {' '.join(sys.argv[1:] if argv is None else argv)}")
    print(f"machine: {facts.get('cpu')}, {facts.get('logical_cpus')} logical CPUs, Python {facts.get('python')}")
    print(f"seeds: {seeds.start}..{seeds.stop - 1}; elapsed {time.time() - t0:.0f} s\n")
    rows = []
    for m in MODELS:
        mine = [r for r in runs if r["model"] == m]
        for rule in rules:
            logs = [math.log10(r["suggestions"][rule]) for r in mine]
            losses = [r["val_loss"][rule] for r in mine]
            se = statistics.stdev(losses) / math.sqrt(len(losses)) if len(losses) > 1 else 0.0
            rows.append([
                m, rule, f"{statistics.pstdev(logs):.3f}", f"{10 ** statistics.median(logs):.2e}",
                f"{statistics.mean(losses):.4f} ± {se:.4f}",
            ])  # fmt: skip
    print(
        _sb._table(
            ["model", "rule (sweep steps)", "spread (sd of log10 lr)", "median lr", "val loss after training"], rows
        )
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
