"""Population-based training of a small PyTorch network on scikit-learn's digits.

Eight members train at once (threads); every 4 epochs the bottom quarter continues from a top
member's checkpoint with perturbed learning rate and momentum. At the end the winner's schedule
(its values by epoch, along its lineage) is printed and replayed from scratch.

    python examples/pbt.py [--population 8] [--epochs 24] [--storage sqlite:///pbt.db]
"""

from __future__ import annotations

import argparse

import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

import sturgeon as sg
from sturgeon.integrations.torch import TrialLoop


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--population", type=int, default=8)
    p.add_argument("--epochs", type=int, default=24)
    p.add_argument("--storage", default=None, help="database URL (default: in memory)")
    args = p.parse_args()
    torch.set_num_threads(1)
    x, y = load_digits(return_X_y=True)
    x_tr, x_va, y_tr, y_va = train_test_split(x / 16.0, y, test_size=0.25, random_state=0)
    x_tr, x_va = torch.tensor(x_tr, dtype=torch.float32), torch.tensor(x_va, dtype=torch.float32)
    y_tr, y_va = torch.tensor(y_tr), torch.tensor(y_va)

    def objective(trial: sg.Trial) -> float:
        trial.suggest_float("lr", 1e-4, 0.5, log=True)
        trial.suggest_float("momentum", 0.0, 0.99)
        torch.manual_seed(trial.number)
        model = torch.nn.Sequential(torch.nn.Linear(64, 32), torch.nn.ReLU(), torch.nn.Linear(32, 10))
        opt = torch.optim.SGD(model.parameters(), lr=trial.live_params["lr"])
        loop = TrialLoop(trial, model, opt)  # a turn or an exploit resumes from the (copied) checkpoint
        loss = float("nan")
        gen = torch.Generator().manual_seed(trial.number)
        for _ in loop.epochs(args.epochs):
            model.train()
            for idx in torch.randperm(len(x_tr), generator=gen).split(64):
                opt.zero_grad()
                torch.nn.functional.cross_entropy(model(x_tr[idx]), y_tr[idx]).backward()
                opt.step()
            model.eval()
            with torch.no_grad():
                loss = float(torch.nn.functional.cross_entropy(model(x_va), y_va))
            loop.report(loss)
        return loss

    pbt = sg.pruners.PBT(population_size=args.population, perturbation_interval=4, hyperparams=["lr", "momentum"])
    study = sg.create_study(storage=args.storage, sampler="qmc", pruner=pbt, seed=0)
    study.optimize(objective, n_trials=args.population, n_jobs=args.population)
    best = study.best_trial
    exploits = sum(c.action == "exploit" for t in study.trials for c in t.live_changes)
    print(f"best trial #{best.number}: validation loss {best.value:.4f}; {exploits} exploits in the population")
    for step, values in study.schedule(best.number):
        print(f"  from epoch {step}: lr={values['lr']:.3g}, momentum={values['momentum']:.3f}")
    number = study.replay(best.number)
    study.optimize(objective, n_trials=1)
    print(f"replayed from scratch as #{number}: validation loss {study.trials[number].value:.4f}")


if __name__ == "__main__":
    main()
