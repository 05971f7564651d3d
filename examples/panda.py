"""Panda: babysit one long training run and change it while it learns.

A PyTorch network on scikit-learn's digits, trained for many epochs. It reads its learning
rate and momentum from ``trial.live_params`` at every epoch and saves a checkpoint each epoch,
so from another terminal you can:

    sturgeon watch panda 0 --storage sqlite:///panda.db                 # live curve
    sturgeon set panda 0 lr=0.02 --reason plateau --storage sqlite:///panda.db
    sturgeon rewind panda 0 --to-step 30 lr=0.05 --storage sqlite:///panda.db
    sturgeon show panda 0 --storage sqlite:///panda.db                  # the whole history

    python examples/panda.py [--epochs 200] [--storage sqlite:///panda.db]
"""

from __future__ import annotations

import argparse
import time

import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

import sturgeon as sg
from sturgeon.integrations.torch import TrialLoop


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--epochs", type=int, default=200)
    p.add_argument("--storage", default="sqlite:///panda.db")
    p.add_argument("--pause", type=float, default=0.5, help="seconds per epoch, to leave time to act")
    args = p.parse_args()
    x, y = load_digits(return_X_y=True)
    x_tr, x_va, y_tr, y_va = train_test_split(x / 16.0, y, test_size=0.25, random_state=0)
    x_tr, x_va = torch.tensor(x_tr, dtype=torch.float32), torch.tensor(x_va, dtype=torch.float32)
    y_tr, y_va = torch.tensor(y_tr), torch.tensor(y_va)

    def objective(trial: sg.Trial) -> float:
        trial.suggest_float("lr", 1e-3, 1.0, log=True)
        trial.suggest_float("momentum", 0.0, 0.99)
        trial.set_checkpoint_keep(args.epochs)  # keep every epoch, to rewind anywhere
        torch.manual_seed(0)
        model = torch.nn.Sequential(torch.nn.Linear(64, 64), torch.nn.ReLU(), torch.nn.Linear(64, 10))
        opt = torch.optim.SGD(model.parameters(), lr=trial.live_params["lr"])
        # checkpoints every epoch, resumes after a pause or a rewind, follows live lr / momentum
        loop = TrialLoop(trial, model, opt)
        loss = float("nan")
        for epoch in loop.epochs(args.epochs):
            model.train()
            for idx in torch.randperm(len(x_tr)).split(64):
                opt.zero_grad()
                torch.nn.functional.cross_entropy(model(x_tr[idx]), y_tr[idx]).backward()
                opt.step()
            model.eval()
            with torch.no_grad():
                loss = float(torch.nn.functional.cross_entropy(model(x_va), y_va))
            print(f"epoch {epoch}: validation loss {loss:.4f}, lr {opt.param_groups[0]['lr']:.3g}", flush=True)
            loop.report(loss)  # raises TrialPruned for a stop, pause or rewind asked from outside
            time.sleep(args.pause)
        return loss

    study = sg.create_study(name="panda", storage=args.storage, pruner=None, load_if_exists=True)
    if not study.trials:
        study.enqueue({"lr": 0.01, "momentum": 0.9})
    study.optimize(objective, n_trials=1)
    print(f"done: {study.trials[0].state.value}, {len(study.trials[0].live_changes)} live change(s)")


if __name__ == "__main__":
    main()
