"""The dashboard in a real headless Chromium (Debian's chromium and chromium-driver), served by
uvicorn from a real SQLite file: pages list and draw, another process's trial shows without a
reload, writes need the token, user text stays text, the server binds 127.0.0.1. Plus the
incremental API itself (``StudyView.changed_since``) and the write API through Starlette's client.

Without Chromium set STURGEON_SKIP_BROWSER=1 to skip the browser tests (CI installs it)."""

from __future__ import annotations

import json
import math
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("starlette")
import sturgeon as sg
from sturgeon import TrialState

CHROMIUM, DRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
EVIL = "<script>alert(1)</script>"
TOKEN = "test-token-123"


def _objective(trial: sg.Trial) -> float:
    lr = trial.suggest_float("lr", 1e-4, 1.0, log=True)
    k = trial.suggest_int(EVIL, 1, 5)
    opt = trial.suggest_categorical("opt", ["sgd", "adam"])
    for step in range(4):
        trial.report((math.log10(lr) + 2) ** 2 + 0.1 * k + 1.0 / (step + 1), step)
        if trial.should_prune():
            raise sg.TrialPruned()
    return (math.log10(lr) + 2) ** 2 + 0.1 * k + (0.05 if opt == "adam" else 0.0)


@pytest.fixture()
def study_url(tmp_path: Path) -> tuple[str, sg.Study]:
    url = f"sqlite:///{tmp_path / 'dash.db'}"
    study = sg.create_study(storage=url, name=f"study {EVIL}", sampler="random", seed=0)
    study.optimize(_objective, n_trials=12)
    return url, study


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _Server:
    def __init__(self, url: str, **kw) -> None:
        import uvicorn

        from sturgeon.dashboard import create_app

        self.port = _free_port()
        self.app = create_app(url, token=TOKEN, **kw)
        self.server = uvicorn.Server(uvicorn.Config(self.app, host="127.0.0.1", port=self.port, log_level="warning"))
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            assert time.monotonic() < deadline, "the dashboard server did not start"
            time.sleep(0.05)
        self.base = f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(10)


@pytest.fixture()
def server(study_url) -> Iterator[_Server]:
    s = _Server(study_url[0])
    yield s
    s.stop()


@pytest.fixture(scope="module")
def browser():
    if not (os.path.exists(CHROMIUM) and os.path.exists(DRIVER)):
        if os.environ.get("STURGEON_SKIP_BROWSER"):
            pytest.skip("STURGEON_SKIP_BROWSER is set and Chromium is not installed")
        pytest.fail(
            f"the browser tests need Debian's chromium and chromium-driver ({CHROMIUM}, {DRIVER}): "
            "apt-get install chromium chromium-driver, or set STURGEON_SKIP_BROWSER=1"
        )
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
    driver.set_script_timeout(60)
    yield driver
    driver.quit()


def _quoted(name: str) -> str:
    return urllib.parse.quote(name, safe="")


def _wait(driver, script: str, timeout: float = 60.0):
    """Poll a JavaScript expression until it is truthy (generous: the machine may be loaded)."""
    deadline = time.monotonic() + timeout
    while True:
        value = driver.execute_script(f"return {script};")
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out waiting for: {script}"
        time.sleep(0.2)


def _open(driver, url: str, renders: int = 1) -> None:
    driver.get(url)
    _wait(driver, f"document.body.dataset.ready === '1' && Number(document.body.dataset.renders) >= {renders}")


# -- the browser -----------------------------------------------------------------------------------
def test_the_studies_page_lists_the_study_as_text(browser, server, study_url):
    _open(browser, server.base + "/")
    rows = browser.execute_script(
        "return [...document.querySelectorAll('#studies tbody tr')].map(r => r.dataset.study)"
    )
    assert rows == [f"study {EVIL}"]
    first = browser.execute_script("return document.querySelector('#studies tbody td').textContent")
    assert first == f"study {EVIL}"
    assert browser.execute_script("return document.querySelectorAll('script:not([src])').length") == 0
    n = browser.execute_script("return document.querySelector('#studies tbody td.num').textContent")
    assert n == "12"


def test_the_study_page_draws_every_plot_with_the_right_points(browser, server, study_url):
    _, study = study_url
    _open(browser, f"{server.base}/study/{_quoted(study.name)}")
    trials = study.trials
    done = [t for t in trials if t.state is TrialState.COMPLETE]
    with_reports = [t for t in trials if t.intermediate_values]
    js = "const d = document.getElementById(arguments[0]).data; return d.map(t => (t.x || t.dimensions || []).length);"
    history = browser.execute_script(js, "plot-history")
    assert history == [len(done), len(done)]  # values and the best-so-far line
    curves = browser.execute_script(
        "return document.getElementById('plot-curves').data"
        ".reduce((n, t) => n + ((t.meta || {}).trials || []).length, 0)"
    )
    assert curves == len(with_reports)
    parallel = browser.execute_script("return document.getElementById('plot-parallel').dataset")
    assert parallel["axes"] == "4" and parallel["lines"] == str(len(done))  # three parameters and the value
    segments = browser.execute_script(
        "return document.getElementById('plot-parallel').data"
        ".reduce((n, t) => n + t.x.filter(v => v === null).length, 0)"
    )
    assert segments == len(done)  # one polyline per completed trial
    slices = browser.execute_script(
        "return document.getElementById('plot-slices').data.map(t => [t.meta.param, t.x.length])"
    )
    assert slices == [[name, len(done)] for name in ("lr", EVIL, "opt")]
    lr_axis = browser.execute_script("return document.getElementById('plot-slices').layout.xaxis.type")
    assert lr_axis == "log"
    assert browser.execute_script("return document.getElementById('plot-contour').data.length") == 2
    importance = browser.execute_script("return document.getElementById('plot-importance').data[0].y")
    assert sorted(importance) == sorted(["lr", EVIL.replace("<", "&lt;").replace(">", "&gt;"), "opt"])
    title = browser.execute_script("return document.getElementById('plot-importance').layout.title.text")
    assert title in ("Parameter importance (fANOVA)", "Parameter importance (PED-ANOVA)")
    bars = browser.execute_script(
        "return document.getElementById('plot-timeline').data.reduce((n, t) => n + t.meta.bars, 0)"
    )
    assert bars == len(trials)
    rows = browser.execute_script("return document.querySelectorAll('#trials tbody tr').length")
    assert rows == len(trials)
    # the parameter named like a script is a column header, as text
    headers = browser.execute_script("return [...document.querySelectorAll('#trials th')].map(h => h.textContent)")
    assert EVIL in headers
    assert browser.execute_script(
        "return window.alerted === undefined && document.querySelectorAll('script:not([src])').length === 0"
    )


def test_a_two_objective_study_shows_its_pareto_front_and_values(browser, tmp_path):
    url = f"sqlite:///{tmp_path / 'mo.db'}"
    study = sg.create_study(
        storage=url,
        name=f"mo {EVIL}",
        directions=["minimize", "maximize"],
        sampler="random",
        seed=0,
        constraints_func=lambda t: [t.params["x"] - 0.8],
    )
    study.optimize(lambda t: (t.suggest_float("x", 0, 1), t.suggest_float("y", 0, 1) * t.params["x"]), n_trials=30)
    front = {t.number for t in study.best_trials}
    infeasible = {t.number for t in study.trials if not t.feasible}
    assert front and infeasible
    s = _Server(url)
    try:
        _open(browser, f"{s.base}/study/{_quoted(study.name)}")
        traces = browser.execute_script(
            "return document.getElementById('plot-history').data"
            ".map(t => [t.name, t.text.map(x => Number(x.slice(1)))])"
        )
        got = dict(traces)
        assert set(got["Pareto front"]) == front and set(got["infeasible"]) == infeasible
        assert set(got["dominated"]) == set(range(30)) - front - infeasible
        assert browser.execute_script("return document.getElementById('best-value').textContent") == str(len(front))
        headers = browser.execute_script("return [...document.querySelectorAll('#trials th')].map(h => h.textContent)")
        assert "values" in headers
        first = browser.execute_script("return document.querySelector('#trials tbody tr td:nth-child(3)').textContent")
        assert first.count(",") == 1
        _open(browser, f"{s.base}/study/{_quoted(study.name)}/trial/0")
        shown = browser.execute_script("return document.getElementById('trial-value').textContent")
        assert shown.count(",") == 1
    finally:
        s.stop()


def test_a_trial_finished_by_another_process_appears_without_a_reload(browser, server, study_url):
    url, study = study_url
    _open(browser, f"{server.base}/study/{_quoted(study.name)}")
    browser.execute_script("window.keep = 'same page'")
    before = int(browser.execute_script("return document.getElementById('n-trials').textContent"))
    code = (
        "import sturgeon as sg\n"
        f"s = sg.load_study({study.name!r}, storage={url!r}, sampler='random')\n"
        "t = s.ask()\n"
        "t.suggest_float('lr', 1e-4, 1.0, log=True)\n"
        "s.tell(t, 0.001)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=120)
    _wait(browser, f"Number(document.getElementById('n-trials').textContent) === {before + 1}")
    assert browser.execute_script("return window.keep") == "same page"  # no reload
    _wait(browser, "document.getElementById('best-value').textContent === '0.001'")


def test_a_write_from_the_page_needs_the_token(browser, server, study_url):
    _, study = study_url
    n = len(study.trials)
    page = f"{server.base}/study/{_quoted(study.name)}"
    _open(browser, page)  # no token in the address: the write is refused
    browser.execute_script("sessionStorage.removeItem('sturgeon-token'); document.getElementById('token').value = ''")
    browser.find_element("id", "enqueue-params").send_keys('{"lr": 0.01}')
    browser.find_element("id", "enqueue").click()
    _wait(browser, "document.getElementById('toast').textContent.startsWith('refused')")
    assert len(study.trials) == n
    _open(browser, page + f"?token={TOKEN}")  # with it (kept for the session, removed from the address)
    assert "token" not in browser.current_url
    browser.find_element("id", "enqueue-params").send_keys('{"lr": 0.01}')
    browser.find_element("id", "enqueue").click()
    _wait(browser, "document.getElementById('toast').textContent === 'enqueue: done'")
    trials = study.trials
    assert len(trials) == n + 1 and trials[-1].state is TrialState.WAITING and trials[-1].fixed_params == {"lr": 0.01}


def test_the_trial_page_shows_changes_and_excludes(browser, server, study_url):
    _, study = study_url
    best = study.best_trial.number
    _open(browser, f"{server.base}/study/{_quoted(study.name)}/trial/{best}?token={TOKEN}")
    assert browser.execute_script("return document.getElementById('trial-state').textContent") == "complete"
    params = browser.execute_script("return [...document.querySelectorAll('#params th')].map(h => h.textContent)")
    assert EVIL in params
    browser.find_element("id", "reason").send_keys(f"bad data {EVIL}")
    browser.find_element("id", "do-exclude").click()
    _wait(browser, "document.getElementById('excluded') !== null")
    assert EVIL in browser.execute_script("return document.getElementById('excluded').textContent")
    assert study.trials[best].excluded and study.best_trial.number != best


# -- the API and the server without a browser --------------------------------------------------------
def test_the_trials_api_is_incremental(study_url):
    from starlette.testclient import TestClient

    from sturgeon.dashboard import create_app

    url, study = study_url
    client = TestClient(create_app(url, token=TOKEN))
    base = f"/api/studies/{_quoted(study.name)}"
    first = client.get(f"{base}/trials?since=0").json()
    assert len(first["rows"]) == 12 and first["columns"] == ["lr", EVIL, "opt"]
    again = client.get(f"{base}/trials?since={first['cursor']}").json()
    assert again["rows"] == [] and again["cursor"] == first["cursor"]
    study.set_trial_user_attr(3, "note", "x")  # one trial changes
    t = study.ask()
    t.suggest_float("lr", 1e-4, 1.0, log=True)  # one is created
    later = client.get(f"{base}/trials?since={first['cursor']}").json()
    assert [r[0] for r in later["rows"]] == [3, 12] and later["cursor"] > first["cursor"]
    curves = client.get(f"{base}/curves?trials=0,1").json()["curves"]
    assert [p[0] for p in curves["0"]["iv"]] == sorted(study.trials[0].intermediate_values)


def test_writes_need_the_token_and_change_nothing_without_it(study_url):
    from starlette.testclient import TestClient

    from sturgeon.dashboard import create_app

    url, study = study_url
    base = f"/api/studies/{_quoted(study.name)}"
    client = TestClient(create_app(url, token=TOKEN))
    before = len(study.trials)
    for headers in ({}, {"X-Sturgeon-Token": "wrong"}):
        r = client.post(f"{base}/enqueue", json={"params": {"lr": 0.1}}, headers=headers)
        assert r.status_code == 401 and "token" in r.json()["error"]
    assert len(study.trials) == before
    r = client.post(f"{base}/enqueue", json={"params": {"lr": 0.1}}, headers={"X-Sturgeon-Token": TOKEN})
    assert r.status_code == 200 and len(study.trials) == before + 1
    r = client.post(f"{base}/bogus", json={}, headers={"X-Sturgeon-Token": TOKEN})
    assert r.status_code == 400 and "enqueue" in r.json()["error"]
    r = client.post(f"{base}/set", json={"trial": 0, "params": {"lr": "0.1"}}, headers={"X-Sturgeon-Token": TOKEN})
    assert r.status_code == 400 and "trial 0" in r.json()["error"]  # finished: no live change
    r = client.post(f"{base}/stop_study", json={"reason": "enough"}, headers={"X-Sturgeon-Token": TOKEN})
    study._view.sync()
    assert r.status_code == 200 and study._view.system_attrs["stop_requested"]["reason"] == "enough"
    ro = TestClient(create_app(url, token=TOKEN, read_only=True))
    r = ro.post(f"{base}/enqueue", json={"params": {"lr": 0.1}}, headers={"X-Sturgeon-Token": TOKEN})
    assert r.status_code == 403 and len(study.trials) == before + 1


def test_excluded_trials_leave_best_and_the_samplers(study_url):
    _, study = study_url
    best = study.best_trial
    study.exclude_trial(best.number, reason="bad data")
    assert study.best_trial.number != best.number
    assert study._view.rule_trials()[best.number].state is TrialState.FAIL
    assert study.trials[best.number].state is TrialState.COMPLETE  # still shown as it was
    study.include_trial(best.number, reason="fine after all")
    assert study.best_trial.number == best.number
    log = study.trials[best.number].system_attrs["exclusion_log"]
    assert [e["excluded"] for e in log] == [True, False] and log[0]["reason"] == "bad data"


def test_the_command_binds_127_0_0_1_and_prints_the_token(study_url):
    url, _ = study_url
    port = _free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "sturgeon", "dashboard", "--storage", url, "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        line = proc.stdout.readline()
        assert line.startswith(f"sturgeon dashboard: http://127.0.0.1:{port}/?token=")
        deadline = time.monotonic() + 30
        while True:
            out = subprocess.run(["ss", "-ltnH", f"sport = :{port}"], capture_output=True, text=True).stdout
            if out.strip() or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        local = [line.split()[3] for line in out.splitlines()]  # State Recv-Q Send-Q Local Peer
        assert local == [f"127.0.0.1:{port}"]
    finally:
        proc.terminate()
        proc.wait(10)


# -- the report --------------------------------------------------------------------------------------
def test_the_report_opens_offline_and_shows_every_section(browser, study_url, tmp_path):
    from sturgeon.visualization._report import SECTIONS

    url, study = study_url
    out = tmp_path / "report.html"
    res = subprocess.run(
        [sys.executable, "-m", "sturgeon", "report", study.name, "--storage", url, "-o", str(out)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert res.returncode == 0, res.stderr
    text = out.read_text()
    assert 'src="http' not in text and "<link" not in text  # nothing to fetch: it opens offline
    assert EVIL not in text.replace(json.dumps(EVIL), "")  # escaped everywhere
    browser.get(out.as_uri())
    _wait(browser, "document.querySelectorAll('.plotly-graph-div').length > 0 && window.Plotly !== undefined")
    ids = browser.execute_script("return [...document.querySelectorAll('section')].map(s => s.id)")
    assert ids == list(SECTIONS)
    drawn = browser.execute_script(
        "return [...document.querySelectorAll('.plotly-graph-div')].map(d => [d.id, (d.data || []).length])"
    )
    assert {d for d, n in drawn if n > 0} >= {"plot-history", "plot-curves", "plot-importance", "plot-parallel"}
    rows = browser.execute_script("return document.querySelectorAll('#trials-table tbody tr').length")
    assert rows == sum(t.state is TrialState.COMPLETE for t in study.trials)
    headers = browser.execute_script(
        "return [...document.querySelectorAll('#trials-table th')].map(h => h.textContent)"
    )
    assert EVIL in headers
    assert browser.execute_script("return window.alerted") is None
