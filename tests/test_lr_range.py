"""The learning-rate range test: sweep, divergence stop, the suggestion rule on curves of known
shape, its stability under noise, and the PyTorch helper restoring the model and optimizer
exactly."""

from __future__ import annotations

import math

import numpy as np
import pytest

import sturgeon as sg
from sturgeon._lr_range import fit_curve


def _noisy_bowl(seed: int, noise: float = 0.05):
    """Loss of a model as a function of the rate: flat, then falling, a valley near 1e-1,
    then divergence; with multiplicative mini-batch noise."""
    rng = np.random.default_rng(seed)

    def step(lr: float) -> float:
        x = math.log10(lr)
        base = 2.3 - 2.0 / (1 + math.exp(-3 * (x + 2.5)))  # falls around 3e-3
        base += 0.0 if x < -1 else 4.0 * (x + 1) ** 2  # diverges beyond 1e-1
        return base * (1 + noise * rng.standard_normal())

    return step


def test_the_sweep_stops_at_divergence_and_suggests_inside_the_falling_part():
    res = sg.lr_range_test(_noisy_bowl(0), min_lr=1e-6, max_lr=10.0, num_steps=120)
    assert res.diverged and res.lrs[-1] < 10.0 and len(res.lrs) == len(res.losses) == len(res.smoothed)
    assert 1e-3 < res.suggestion < 1e-1 and res.lr_min <= 0.2
    assert res.search_range.log and res.search_range.low < res.suggestion < res.search_range.high
    assert res.search_range.contains(res.suggestion)


def _plateau(lr: float) -> float:
    """Noise-free: 2.0, a fall of 1.5 per decade to a flat bottom of 0.5 from 1e-3 to 1e-1, then
    a rise of 1.5 per decade (symmetric about 1e-2)."""
    x = math.log10(lr)
    if x < -4:
        return 2.0
    if x < -3:
        return 2.0 - 1.5 * (x + 4)
    return 0.5 if x < -1 else 0.5 + 1.5 * (x + 1)


def test_the_bottom_is_the_centre_of_the_valley_and_the_suggestion_sits_below_it():
    res = sg.lr_range_test(_plateau, min_lr=1e-6, max_lr=10.0)
    assert res.diverged
    assert abs(math.log10(res.lr_min) + 2.0) < 0.02  # the centre of the flat bottom, not an edge
    assert math.log10(res.suggestion) == pytest.approx(math.log10(res.lr_min) - 0.35)
    assert res.search_range.low == pytest.approx(res.suggestion / 10) and res.search_range.high == res.lr_min


def test_the_fit_has_no_lag():
    """A moving average moves the curve's features to higher rates; the kernel fit does not."""
    lrs = np.geomspace(1e-6, 10.0, 300)
    losses = np.array([_plateau(v) for v in lrs])
    fit = fit_curve(lrs, losses)
    x = np.log10(lrs)
    half = 1.25  # halfway down the fall, at 10**-3.5
    assert abs(x[int(np.argmax(fit <= half))] + 3.5) < 0.03
    assert np.all(np.abs(fit[x < -5] - 2.0) < 1e-3) and np.all(np.abs(fit[(x > -2.5) & (x < -1.5)] - 0.5) < 0.01)


def test_a_curve_that_never_falls_suggests_the_smallest_rate():
    res = sg.lr_range_test(lambda lr: 1.0 + lr, min_lr=1e-5, max_lr=1.0, num_steps=50)
    assert res.suggestion == pytest.approx(1e-5) and not res.diverged


def _ema_min_over_10(losses: list[float]) -> float:
    avg, best, i_best = 0.0, math.inf, 0
    for i, v in enumerate(losses):
        avg = 0.9 * avg + 0.1 * v
        if avg / (1 - 0.9 ** (i + 1)) < best:
            best, i_best = avg / (1 - 0.9 ** (i + 1)), i
    return i_best


def test_the_suggestion_is_stable_under_noise():
    runs = [sg.lr_range_test(_noisy_bowl(s, noise=0.1), min_lr=1e-6, max_lr=10.0) for s in range(10)]
    ours = np.log10([r.suggestion for r in runs])
    classic = np.log10([r.lrs[_ema_min_over_10(r.losses)] / 10 for r in runs])  # min/10 of a moving average
    assert ours.std() < 0.03, ours  # a factor of about 1.07 over 10 seeds
    assert ours.std() < classic.std() / 2, (ours, classic)


def test_bad_arguments_are_named():
    with pytest.raises(sg.InvalidValueError, match="min_lr must be < max_lr"):
        sg.lr_range_test(lambda lr: 1.0, min_lr=1.0, max_lr=0.1)
    with pytest.raises(sg.InvalidValueError, match="num_steps must be an int >= 10"):
        sg.lr_range_test(lambda lr: 1.0, num_steps=3)
    with pytest.raises(sg.InvalidValueError, match="diverged within"):
        sg.lr_range_test(lambda lr: float("nan"))


def test_the_torch_helper_restores_weights_and_optimizer_state(tmp_path):
    torch = pytest.importorskip("torch")
    from sklearn.datasets import load_digits

    from sturgeon.integrations.torch import lr_range_test

    torch.manual_seed(0)
    x, y = load_digits(return_X_y=True)
    x, y = torch.tensor(x / 16.0, dtype=torch.float32), torch.tensor(y)
    data = [(x[i : i + 64], y[i : i + 64]) for i in range(0, 640, 64)]
    model = torch.nn.Sequential(torch.nn.Linear(64, 32), torch.nn.ReLU(), torch.nn.Linear(32, 10))
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    loss_fn = torch.nn.functional.cross_entropy
    for xb, yb in data[:3]:  # some training first, so that the optimizer has momentum buffers
        opt.zero_grad()
        loss_fn(model(xb), yb).backward()
        opt.step()
    model.eval()
    weights = {k: v.clone() for k, v in model.state_dict().items()}
    buffers = {k: v["momentum_buffer"].clone() for k, v in opt.state_dict()["state"].items()}
    res = lr_range_test(model, opt, loss_fn, data, min_lr=1e-5, max_lr=10.0, num_steps=60)
    assert 1e-5 < res.suggestion < 10.0 and res.search_range.contains(res.suggestion)
    after = model.state_dict()
    assert all(torch.equal(weights[k], after[k]) for k in weights)
    state = opt.state_dict()
    assert all(torch.equal(buffers[k], state["state"][k]["momentum_buffer"]) for k in buffers)
    assert [g["lr"] for g in opt.param_groups] == [0.05] and not model.training
    pytest.importorskip("matplotlib")
    png = res.plot(tmp_path / "lr.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
