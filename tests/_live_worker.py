"""A real training process for the live-change tests: a small PyTorch MLP on scikit-learn's
digits, trained epoch by epoch inside ``study.optimize``. It takes its learning rate from
``trial.live_params`` at every epoch, saves a checkpoint (model + optimizer state) every epoch,
and writes what it did to a JSON-lines log: the rate the optimizer really used per epoch, and
a digest of the weights at every save and load. At the epochs named by --wait-at it waits for
a flag file, so the test can act in between, deterministically.

    python tests/_live_worker.py URL STUDY LOG --epochs 10 --wait-at 2:flag-a --wait-at 6:flag-b
"""

from __future__ import annotations

import argparse
import hashlib
import json
import time
from pathlib import Path

import numpy as np
import torch
from sklearn.datasets import load_digits

import sturgeon as sg


def digest(model: torch.nn.Module) -> str:
    h = hashlib.sha256()
    for name, tensor in sorted(model.state_dict().items()):
        h.update(name.encode())
        h.update(tensor.detach().cpu().numpy().tobytes())
    return h.hexdigest()[:16]


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("url")
    p.add_argument("study")
    p.add_argument("log")
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--wait-at", action="append", default=[], help="EPOCH:FLAG_FILE (first run only)")
    args = p.parse_args()
    waits = {int(e): Path(f) for e, f in (w.split(":", 1) for w in args.wait_at)}
    torch.manual_seed(0)
    torch.set_num_threads(1)
    x, y = load_digits(return_X_y=True)
    x = torch.tensor(x[:600] / 16.0, dtype=torch.float32)
    y = torch.tensor(y[:600])
    xv, yv = x[500:], y[500:]
    x, y = x[:500], y[:500]
    log = open(args.log, "a", encoding="utf-8")  # noqa: SIM115

    def write(**record: object) -> None:
        log.write(json.dumps(record) + "\n")
        log.flush()

    def objective(trial: sg.Trial) -> float:
        trial.suggest_float("lr", 1e-3, 1.0, log=True)
        trial.suggest_float("momentum", 0.0, 0.99)
        trial.set_checkpoint_keep(args.epochs)
        torch.manual_seed(trial.number)
        model = torch.nn.Sequential(torch.nn.Linear(64, 32), torch.nn.ReLU(), torch.nn.Linear(32, 10))
        opt = torch.optim.SGD(model.parameters(), lr=trial.live_params["lr"], momentum=trial.live_params["momentum"])
        start = 0
        if trial.resumed_step is not None:
            folder = trial.latest_checkpoint()
            model.load_state_dict(torch.load(folder / "model.pt", weights_only=True))
            opt.load_state_dict(torch.load(folder / "opt.pt", weights_only=True))
            start = trial.resumed_step + 1
            write(event="load", step=trial.resumed_step, digest=digest(model))
        rng = np.random.default_rng(trial.number)
        loss = float("nan")
        for epoch in range(start, args.epochs):
            for group in opt.param_groups:  # the values in force now
                group["lr"] = trial.live_params["lr"]
                group["momentum"] = trial.live_params["momentum"]
            model.train()
            for idx in np.array_split(rng.permutation(len(x)), 10):
                opt.zero_grad()
                torch.nn.functional.cross_entropy(model(x[idx]), y[idx]).backward()
                opt.step()
            write(event="epoch", step=epoch, lr=opt.param_groups[0]["lr"], resumed=trial.resumed_step)
            model.eval()
            with torch.no_grad():
                loss = float(torch.nn.functional.cross_entropy(model(xv), yv))
            with trial.checkpoint(epoch) as folder:
                torch.save(model.state_dict(), folder / "model.pt")
                torch.save(opt.state_dict(), folder / "opt.pt")
            write(event="save", step=epoch, digest=digest(model))
            trial.report(loss, epoch)
            if trial.resumed_step is None and epoch in waits:
                write(event="waiting", step=epoch)
                deadline = time.monotonic() + 120
                while not waits[epoch].exists() and time.monotonic() < deadline:
                    time.sleep(0.02)
            if trial.should_prune():
                raise sg.TrialPruned()
        return loss

    study = sg.load_study(name=args.study, storage=args.url, pruner=None)
    study.optimize(objective, n_trials=1)
    write(event="done")


if __name__ == "__main__":
    main()
