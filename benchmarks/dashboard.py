"""Dashboard benchmark: how long until a study page has drawn its plots, and how long its API
answers take, for studies of 1,000 / 10,000 / 100,000 trials; sturgeon's dashboard against
optuna-dashboard (1,000 and 10,000 trials: building 100,000 there takes too long) on an Optuna
study holding the same values.

    pip install -e ".[bench,dashboard]" optuna-dashboard selenium
    python benchmarks/dashboard.py                        # ~10 min on 2 cores
    python benchmarks/dashboard.py --sizes 1000 --repeats 2

Both servers run on this machine (uvicorn for sturgeon, optuna-dashboard's own server), the
pages are loaded in Debian's headless Chromium (/usr/bin/chromium, /usr/bin/chromedriver).
Page time: from navigation start until the page says its plots are drawn (sturgeon sets
``document.body.dataset.ready``; for optuna-dashboard, until its optimization-history plot
holds a point per completed trial), median of ``--repeats`` fresh loads. API time: one
request for the whole study (sturgeon ``/api/studies/NAME/trials``, optuna-dashboard
``/api/studies/ID``), median over repeats. Every study: 4 parameters (2 floats, one log-scaled,
an int, a categorical), 10 % pruned trials with 5 reports, values from a fixed seed.
"""

from __future__ import annotations

import argparse
import math
import socket
import statistics
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import numpy as np

CHROMIUM, DRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"


def _values(n: int, seed: int = 0) -> list[dict[str, Any]]:
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        x, lr = float(rng.uniform(-5, 5)), float(10 ** rng.uniform(-4, 0))
        k, opt = int(rng.integers(1, 9)), str(rng.choice(["sgd", "adam", "rmsprop"]))
        value = (x - 1.0) ** 2 + (math.log10(lr) + 2) ** 2 + 0.1 * k + (0.2 if opt == "sgd" else 0.0)
        pruned = i % 10 == 9
        out.append({"x": x, "lr": lr, "k": k, "opt": opt, "value": value, "pruned": pruned})
    return out


def build_sturgeon(path: Path, rows: list[dict[str, Any]]) -> str:
    import sturgeon as sg
    from sturgeon.storage import Event, EventKind

    url = f"sqlite:///{path}"
    study = sg.create_study(storage=url, name="bench", sampler="random", seed=0)
    storage, sid = study.storage, study._study_id
    space = {
        "x": sg.Float(-5, 5),
        "lr": sg.Float(1e-4, 1.0, log=True),
        "k": sg.Int(1, 8),
        "opt": sg.Categorical(["sgd", "adam", "rmsprop"]),
    }
    for r in rows:  # one transaction per trial, as a worker writes it
        events = [Event(EventKind.TRIAL_CREATED, value={"state": "RUNNING"})]
        events += [Event(EventKind.PARAM, None, k, [r[k], d.to_json()]) for k, d in space.items()]
        if r["pruned"]:
            events += [Event(EventKind.INTERMEDIATE, None, str(s), r["value"] + 1.0 / (s + 1)) for s in range(5)]
            events.append(Event(EventKind.TRIAL_FINISHED, None, None, {"state": "PRUNED", "value": None}))
        else:
            events.append(Event(EventKind.TRIAL_FINISHED, None, None, {"state": "COMPLETE", "value": r["value"]}))
        number = storage.create_trial(sid, events[:1])
        storage.append(sid, [e._replace(trial=number) for e in events[1:]])
    return url


def build_optuna(path: Path, rows: list[dict[str, Any]]) -> str:
    import optuna
    from optuna.distributions import CategoricalDistribution, FloatDistribution, IntDistribution

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    url = f"sqlite:///{path}"
    study = optuna.create_study(storage=url, study_name="bench")
    dists = {
        "x": FloatDistribution(-5, 5),
        "lr": FloatDistribution(1e-4, 1.0, log=True),
        "k": IntDistribution(1, 8),
        "opt": CategoricalDistribution(["sgd", "adam", "rmsprop"]),
    }
    trials = []
    for r in rows:
        params = {k: r[k] for k in dists}
        if r["pruned"]:
            iv = {s: r["value"] + 1.0 / (s + 1) for s in range(5)}
            trials.append(
                optuna.trial.create_trial(
                    params=params, distributions=dists, intermediate_values=iv, state=optuna.trial.TrialState.PRUNED
                )
            )
        else:
            trials.append(optuna.trial.create_trial(params=params, distributions=dists, value=r["value"]))
    study.add_trials(trials)
    return url


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_up(url: str, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            urllib.request.urlopen(url, timeout=5).read()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def serve_sturgeon(url: str) -> tuple[str, Any]:
    import uvicorn

    from sturgeon.dashboard import create_app

    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(create_app(url, read_only=True), host="127.0.0.1", port=port, log_level="error")
    )
    threading.Thread(target=server.run, daemon=True).start()
    base = f"http://127.0.0.1:{port}"
    _wait_up(base + "/api/studies")
    return base, server


def serve_optuna(url: str) -> tuple[str, Any]:
    from wsgiref.simple_server import WSGIRequestHandler, make_server

    import optuna
    from optuna_dashboard import wsgi

    class Quiet(WSGIRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

    port = _free_port()
    httpd = make_server("127.0.0.1", port, wsgi(optuna.storages.RDBStorage(url)), handler_class=Quiet)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{port}"
    _wait_up(base + "/api/studies")
    return base, httpd


def _browser() -> Any:
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--window-size=1400,1000",
    ):
        opts.add_argument(arg)
    driver = webdriver.Chrome(service=Service(DRIVER), options=opts)
    driver.set_page_load_timeout(600)
    return driver


def page_seconds(driver: Any, url: str, done_js: str, timeout: float = 600.0) -> float:
    """Seconds from navigation start until ``done_js`` is true (read from the page's clock)."""
    driver.get("about:blank")
    driver.get(url)
    deadline = time.monotonic() + timeout
    while not driver.execute_script(f"return Boolean({done_js})"):
        if time.monotonic() > deadline:
            raise TimeoutError(f"{url}: the page did not finish drawing in {timeout:.0f} s")
        time.sleep(0.02)
    return float(driver.execute_script("return performance.now()")) / 1000.0


def api_seconds(url: str) -> float:
    t0 = time.perf_counter()
    urllib.request.urlopen(url, timeout=600).read()
    return time.perf_counter() - t0


def _say(name: str, n: int, page: list[float], api: list[float]) -> None:
    print(f"{name} {n}: page {statistics.median(page):.2f} s, api {statistics.median(api):.3f} s", flush=True)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sizes", default="1000,10000,100000")
    p.add_argument("--optuna-max", type=int, default=10000, help="largest study to build for optuna-dashboard")
    p.add_argument("--repeats", type=int, default=3)
    args = p.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    driver = _browser()
    rows_out = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            for n in sizes:
                rows = _values(n)
                n_complete = sum(not r["pruned"] for r in rows)
                t0 = time.perf_counter()
                surl = build_sturgeon(Path(tmp) / f"s{n}.db", rows)
                print(f"built sturgeon study of {n} trials in {time.perf_counter() - t0:.1f} s", flush=True)
                base, server = serve_sturgeon(surl)
                page = [page_seconds(driver, f"{base}/study/bench", "document.body.dataset.ready === '1'")]
                page += [
                    page_seconds(driver, f"{base}/study/bench", "document.body.dataset.ready === '1'")
                    for _ in range(args.repeats - 1)
                ]
                api = [api_seconds(f"{base}/api/studies/bench/trials?since=0") for _ in range(args.repeats)]
                server.should_exit = True
                rows_out.append(("sturgeon", n, statistics.median(page), statistics.median(api)))
                print(
                    f"sturgeon {n}: page {statistics.median(page):.2f} s, api {statistics.median(api):.3f} s",
                    flush=True,
                )
                if n > args.optuna_max:
                    continue
                t0 = time.perf_counter()
                ourl = build_optuna(Path(tmp) / f"o{n}.db", rows)
                print(f"built optuna study of {n} trials in {time.perf_counter() - t0:.1f} s", flush=True)
                base, httpd = serve_optuna(ourl)
                sid = 1
                done = (
                    "(() => { const g = [...document.querySelectorAll('.js-plotly-plot')]"
                    f".filter(d => d.data && d.data.some(t => t.x && t.x.length >= {n_complete}));"
                    " return g.length > 0; })()"
                )
                page = [page_seconds(driver, f"{base}/dashboard/studies/{sid}", done) for _ in range(args.repeats)]
                api = [api_seconds(f"{base}/api/studies/{sid}?after=0") for _ in range(args.repeats)]
                httpd.shutdown()
                rows_out.append(("optuna-dashboard", n, statistics.median(page), statistics.median(api)))
                print(
                    f"optuna-dashboard {n}: page {statistics.median(page):.2f} s, api {statistics.median(api):.3f} s",
                    flush=True,
                )
    finally:
        driver.quit()
    print()
    print("| dashboard | trials | study page drawn (s) | API, whole study (s) |")
    print("|---|---:|---:|---:|")
    for name, n, page_s, api_s in rows_out:
        print(f"| {name} | {n:,} | {page_s:.2f} | {api_s:.3f} |")
    by = {(name, n): page_s for name, n, page_s, _ in rows_out}
    for n in sizes:
        if ("sturgeon", n) in by and ("optuna-dashboard", n) in by:
            print(f"speed-up at {n:,} trials (page): {by[('optuna-dashboard', n)] / by[('sturgeon', n)]:.1f}x")


if __name__ == "__main__":
    sys.exit(main())
