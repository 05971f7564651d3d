"""The dashboard's Starlette app: pages (static shells), static files, the JSON API."""

from __future__ import annotations

import datetime as _dt
import hmac
import json
import math
import secrets
import threading
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

from sturgeon._exceptions import SturgeonError
from sturgeon._frozen import FrozenTrial, TrialState
from sturgeon.storage import BaseStorage, get_storage
from sturgeon.storage._view import StudyView

try:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import FileResponse, JSONResponse, Response
    from starlette.routing import Route
except ImportError as e:  # pragma: no cover - exercised only without the extra
    raise ImportError(
        "the dashboard needs the 'dashboard' extra: pip install 'sturgeon[dashboard]' (starlette, uvicorn)"
    ) from e

__all__ = ["create_app", "serve"]

_STATIC = Path(str(resources.files("sturgeon.dashboard") / "static"))
_STATES = [s.value for s in TrialState]
TOKEN_HEADER = "X-Sturgeon-Token"


def _safe(v: Any) -> Any:
    """A JSON-safe copy: non-finite floats become None, other odd objects their text."""
    if isinstance(v, float):
        return v if math.isfinite(v) else None
    if v is None or isinstance(v, (bool, int, str)):
        return v
    if isinstance(v, Mapping):
        return {str(k): _safe(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_safe(x) for x in v]
    if isinstance(v, _dt.datetime):
        return v.timestamp()
    return str(v)


def _ts(d: _dt.datetime | None) -> float | None:
    return None if d is None else d.timestamp()


def _excluded(t: FrozenTrial) -> Any:
    return t.system_attrs.get("excluded")


def _row(t: FrozenTrial, columns: list[str]) -> list[Any]:
    """One trial in the compact list form (see ``ROW_FIELDS``)."""
    iv = t.intermediate_values
    return [
        t.number,
        t.state.value,
        _safe(t.value),
        _ts(t.datetime_start),
        _ts(t.datetime_complete),
        [_safe(t.params.get(c)) if c in t.params else "\x00missing" for c in columns],
        len(iv),
        max(iv) if iv else None,
        t.pause_reason,
        _safe(_excluded(t)),
        len(t.live_changes),
        _safe(t.system_attrs.get("worker")),
        None if t.objective_values is None else _safe(list(t.objective_values)),
        t.feasible,
    ]


ROW_FIELDS = [
    "number",
    "state",
    "value",
    "start",
    "end",
    "params",
    "n_reports",
    "last_step",
    "pause_reason",
    "excluded",
    "n_changes",
    "worker",
    "values",
    "feasible",
]


def _change(c: Any) -> dict[str, Any]:
    return {
        "step": c.step,
        "action": c.action,
        "params": _safe(dict(c.params)),
        "old": _safe(dict(c.old)),
        "reason": c.reason,
        "time": _ts(c.time),
        "source": list(c.source) if c.source else None,
        "superseded": c.superseded,
    }


def _curve(t: FrozenTrial) -> dict[str, Any]:
    return {
        "state": t.state.value,
        "iv": [[s, _safe(v)] for s, v in sorted(t.intermediate_values.items())],
        "superseded": [[s, _safe(v)] for s, v in t.superseded_values],
        "changes": [_change(c) for c in t.live_changes],
        "pause": _safe(dict(t.pause_info)) if t.state is TrialState.PAUSED else None,
    }


class _Studies:
    """One incrementally synced view per study, shared by every request."""

    def __init__(self, storage: BaseStorage) -> None:
        self.storage = storage
        self._lock = threading.Lock()
        self._views: dict[str, tuple[int, str, StudyView, threading.Lock]] = {}
        self._studies: dict[str, Any] = {}

    def view(self, name: str) -> tuple[str, StudyView]:
        with self._lock:
            if name not in self._views:
                rec = self.storage.get_study(name)  # KeyError-like errors are mapped by the caller
                self._views[name] = (
                    rec.study_id,
                    rec.direction,
                    StudyView(self.storage, rec.study_id),
                    threading.Lock(),
                )
            _, direction, view, lock = self._views[name]
        with lock:
            view.sync()
        return direction, view

    def study(self, name: str) -> Any:
        """A ``Study`` handle for writes (no model-based sampler is loaded)."""
        import sturgeon as sg

        with self._lock:
            if name not in self._studies:
                self._studies[name] = sg.load_study(name, storage=self.storage, sampler="random", pruner="none")
            return self._studies[name]

    def forget(self, name: str) -> None:
        with self._lock:
            self._views.pop(name, None)
            self._studies.pop(name, None)


def _columns(trials: list[FrozenTrial]) -> list[str]:
    seen: dict[str, None] = {}
    for t in trials:
        for k in t.params:
            seen.setdefault(k, None)
    return list(seen)


def _summary(name: str, direction: str, view: StudyView) -> dict[str, Any]:
    trials = view.trials()
    states = dict.fromkeys(_STATES, 0)
    best = None
    last = None
    sign = 1.0 if direction == "minimize" else -1.0
    for t in trials:
        states[t.state.value] += 1
        v = t.value
        done = t.state is TrialState.COMPLETE and v is not None and not math.isnan(v) and _excluded(t) is None
        if done and (best is None or sign * v < sign * best):  # type: ignore[operator]
            best = v
        for d in (t.datetime_complete, t.datetime_start):
            if d is not None and (last is None or d.timestamp() > last):
                last = d.timestamp()
    workers = {t.system_attrs.get("worker") for t in trials if t.state is TrialState.RUNNING}
    return {
        "name": name,
        "direction": direction,
        "n_trials": len(trials),
        "states": states,
        "best_value": _safe(best),
        "running": states["RUNNING"],
        "workers": len(workers - {None}) or (1 if states["RUNNING"] else 0),
        "last_activity": last,
        "stop_requested": _safe(view.system_attrs.get("stop_requested")),
    }


def create_app(
    storage: str | BaseStorage,
    *,
    token: str | None = None,
    read_only: bool = False,
) -> Starlette:
    """The dashboard app over ``storage``. ``token``: what writes must send in the
    ``X-Sturgeon-Token`` header (default: a new random one, ``app.state.token``);
    ``read_only``: refuse every write (the storage is then opened read-only too)."""
    backend = get_storage(storage, create=False, read_only=read_only) if isinstance(storage, str) else storage
    studies = _Studies(backend)
    secret = token if token is not None else secrets.token_urlsafe(24)

    def page(name: str) -> Any:
        async def handler(request: Request) -> Response:
            return FileResponse(_STATIC / name, media_type="text/html", headers={"Cache-Control": "no-store"})

        return handler

    async def static(request: Request) -> Response:
        name = request.path_params["name"]
        if name == "plotly.min.js":
            import plotly

            path = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
        else:
            path = _STATIC / name
            if path.parent != _STATIC or not path.is_file():
                return JSONResponse({"error": f"no static file {name!r}"}, status_code=404)
        media = "text/javascript" if name.endswith(".js") else "text/css" if name.endswith(".css") else None
        return FileResponse(path, media_type=media, headers={"Cache-Control": "max-age=3600"})

    def _view_or_404(name: str) -> tuple[str, StudyView] | JSONResponse:
        try:
            return studies.view(name)
        except (KeyError, SturgeonError):
            return JSONResponse({"error": f"no study named {name!r}"}, status_code=404)

    async def api_studies(request: Request) -> Response:
        out = []
        for rec in backend.list_studies():
            got = _view_or_404(rec.name)
            if isinstance(got, tuple):
                out.append(_summary(rec.name, *got))
        return JSONResponse({"studies": out, "read_only": read_only})

    async def api_trials(request: Request) -> Response:
        name = request.path_params["name"]
        got = _view_or_404(name)
        if not isinstance(got, tuple):
            return got
        direction, view = got
        try:
            since = int(request.query_params.get("since", "0"))
        except ValueError:
            return JSONResponse({"error": "since must be an integer cursor"}, status_code=400)
        trials = view.trials()
        columns = _columns(trials)
        changed = trials if since <= 0 else view.changed_since(since)
        body = {
            "name": name,
            "direction": direction,
            "cursor": view.cursor,
            "n_trials": len(trials),
            "columns": columns,
            "fields": ROW_FIELDS,
            "rows": [_row(t, columns) for t in changed],
            "summary": _summary(name, direction, view),
            "user_attrs": _safe(view.user_attrs),
            "read_only": read_only,
        }
        return Response(json.dumps(body, allow_nan=False), media_type="application/json")

    async def api_curves(request: Request) -> Response:
        name = request.path_params["name"]
        got = _view_or_404(name)
        if not isinstance(got, tuple):
            return got
        _, view = got
        raw = request.query_params.get("trials", "")
        try:
            numbers = [int(x) for x in raw.split(",") if x.strip()][:2000]
        except ValueError:
            return JSONResponse({"error": "trials must be comma-separated trial numbers"}, status_code=400)
        out = {}
        for n in numbers:
            if 0 <= n < len(view):
                out[str(n)] = _curve(view.trial(n))
        return Response(
            json.dumps({"cursor": view.cursor, "curves": out}, allow_nan=False), media_type="application/json"
        )

    async def api_trial(request: Request) -> Response:
        name = request.path_params["name"]
        got = _view_or_404(name)
        if not isinstance(got, tuple):
            return got
        direction, view = got
        n = request.path_params["number"]
        if not 0 <= n < len(view):
            return JSONResponse({"error": f"study {name!r} has no trial {n}"}, status_code=404)
        t = view.trial(n)
        try:
            schedule = studies.study(name).schedule(n)
        except SturgeonError:
            schedule = []
        body = {
            "name": name,
            "direction": direction,
            "cursor": view.cursor,
            "number": n,
            "state": t.state.value,
            "value": _safe(t.value),
            "values": None if t.objective_values is None else _safe(list(t.objective_values)),
            "constraints": None if t.constraints is None else _safe(list(t.constraints)),
            "params": _safe(dict(t.params)),
            "distributions": {k: repr(d) for k, d in t.distributions.items()},
            "user_attrs": _safe(dict(t.user_attrs)),
            "system_attrs": _safe(dict(t.system_attrs)),
            "start": _ts(t.datetime_start),
            "end": _ts(t.datetime_complete),
            "checkpoints": sorted(t.checkpoints),
            "resource": t.resource,
            "schedule": [[s, _safe(v)] for s, v in schedule],
            "pending": _safe([dict(r) for r in t.pending_requests]),
            "excluded": _safe(_excluded(t)),
            "read_only": read_only,
            **_curve(t),
        }
        return Response(json.dumps(body, allow_nan=False), media_type="application/json")

    analysis_cache: dict[str, tuple[int, dict[str, Any]]] = {}

    async def api_analysis(request: Request) -> Response:
        """Range-edge warnings and the coarse-to-fine narrowed ranges (recomputed when the log moved)."""
        from sturgeon.analysis import edge_warnings, narrowed_space

        name = request.path_params["name"]
        got = _view_or_404(name)
        if not isinstance(got, tuple):
            return got
        direction, view = got
        cached = analysis_cache.get(name)
        if cached is None or cached[0] != view.cursor:
            trials = [t for t in view.rule_trials() if t.state is not TrialState.WAITING]
            done = [t for t in trials if t.state is TrialState.COMPLETE]
            body: dict[str, Any] = {"warnings": [], "ranges": {}}
            if "," in direction:  # several objectives: the ranges rank trials by one value
                body["warnings"] = ["range analysis ranks trials by one value; this study has several objectives"]
            elif len(done) >= 3:
                try:
                    body["warnings"] = edge_warnings(trials, direction)
                    body["ranges"] = {k: repr(d) for k, d in narrowed_space(trials, direction).items()}
                except SturgeonError as e:  # e.g. no common space yet
                    body["warnings"] = [str(e)]
            cached = (view.cursor, body)
            analysis_cache[name] = cached
        return JSONResponse(cached[1])

    importance_cache: dict[tuple[str, str], tuple[int, dict[str, Any]]] = {}
    importance_running: set[str] = set()

    def _importance(name: str, method: str, cursor: int) -> dict[str, Any]:
        from sturgeon.importance import FanovaImportanceEvaluator, PedAnovaImportanceEvaluator, get_param_importances

        evaluator = FanovaImportanceEvaluator(seed=0) if method == "fANOVA" else PedAnovaImportanceEvaluator()
        body: dict[str, Any] = {"method": method, "importances": {}, "error": None}
        try:
            body["importances"] = get_param_importances(studies.study(name), evaluator=evaluator)
        except (SturgeonError, ValueError) as e:
            body["error"] = str(e)
        importance_cache[(name, method)] = (cursor, body)
        return body

    async def api_importance(request: Request) -> Response:
        """Parameter importance of the completed trials. fANOVA (with scikit-learn, up to 5,000
        completed trials) runs on a thread; until it has a result for the study as it is now,
        the answer is PED-ANOVA's, which takes milliseconds."""
        import importlib.util

        name = request.path_params["name"]
        got = _view_or_404(name)
        if not isinstance(got, tuple):
            return got
        _, view = got
        cursor = view.cursor
        n_done = sum(t.state is TrialState.COMPLETE for t in view.trials())
        if importlib.util.find_spec("sklearn") is not None and n_done <= 5000:
            cached = importance_cache.get((name, "fANOVA"))
            if cached is not None and cached[0] == cursor:
                return JSONResponse(_safe(cached[1]))
            if name not in importance_running:
                importance_running.add(name)

                def work() -> None:
                    try:
                        _importance(name, "fANOVA", cursor)
                    finally:
                        importance_running.discard(name)

                threading.Thread(target=work, daemon=True, name=f"importance-{name}").start()
            if cached is not None and cached[0] != cursor and name in importance_running:
                pass  # the last fANOVA result is older than the log: PED-ANOVA of the study as it is now
        cached = importance_cache.get((name, "PED-ANOVA"))
        body = cached[1] if cached is not None and cached[0] == cursor else _importance(name, "PED-ANOVA", cursor)
        return JSONResponse(_safe(body))

    async def api_write(request: Request) -> Response:
        if read_only:
            return JSONResponse({"error": "the dashboard is read-only"}, status_code=403)
        sent = request.headers.get(TOKEN_HEADER, "")
        if not sent or not hmac.compare_digest(sent.encode(), secret.encode()):
            return JSONResponse(
                {"error": f"writes need the token the dashboard printed at start ({TOKEN_HEADER})"}, status_code=401
            )
        name, action = request.path_params["name"], request.path_params["action"]
        try:
            body = await request.json()
        except ValueError:
            return JSONResponse({"error": "the request body must be a JSON object"}, status_code=400)
        if not isinstance(body, dict):
            return JSONResponse({"error": "the request body must be a JSON object"}, status_code=400)
        try:
            study = studies.study(name)
        except (KeyError, SturgeonError):
            return JSONResponse({"error": f"no study named {name!r}"}, status_code=404)
        try:
            result = _act(study, action, body)
        except (SturgeonError, ValueError, TypeError) as e:
            return JSONResponse({"error": str(e)}, status_code=400)
        return JSONResponse({"ok": True, **result})

    routes = [
        Route("/", page("studies.html")),
        Route("/study/{name:path}/trial/{number:int}", page("trial.html")),  # before the study page's pattern
        Route("/study/{name:path}", page("study.html")),
        Route("/static/{name:path}", static),
        Route("/api/studies", api_studies),
        Route("/api/studies/{name:path}/trials", api_trials),
        Route("/api/studies/{name:path}/curves", api_curves),
        Route("/api/studies/{name:path}/trials/{number:int}", api_trial),
        Route("/api/studies/{name:path}/analysis", api_analysis),
        Route("/api/studies/{name:path}/importance", api_importance),
        Route("/api/studies/{name:path}/{action:str}", api_write, methods=["POST"]),
    ]
    app = Starlette(routes=routes)
    app.state.token = secret
    app.state.read_only = read_only
    return app


def _number(body: Mapping[str, Any]) -> int:
    n = body.get("trial")
    if isinstance(n, bool) or not isinstance(n, int):
        raise ValueError(f"'trial' must be a trial number, got {n!r}")
    return n


def _text(body: Mapping[str, Any], key: str) -> str | None:
    v = body.get(key)
    if v is not None and not isinstance(v, str):
        raise ValueError(f"{key!r} must be text, got {v!r}")
    return v or None


def _act(study: Any, action: str, body: Mapping[str, Any]) -> dict[str, Any]:
    """One write from the page, through the study's own API (the same checks as the CLI)."""
    from sturgeon._live import parse_assignments

    reason = _text(body, "reason")
    if action == "enqueue":
        params = body.get("params")
        if not isinstance(params, dict) or not params:
            raise ValueError("'params' must be an object of parameter values")
        return {"trial": study.enqueue(params)}
    if action == "note":
        n, text = _number(body), _text(body, "text")
        if not text:
            raise ValueError("'text' must be a non-empty note")
        notes = list(study.trials[n].user_attrs.get("notes") or []) if n < len(study.trials) else None
        if notes is None:
            raise ValueError(f"study {study.name!r} has no trial {n}")
        study.set_trial_user_attr(n, "notes", [*notes, text])
        return {}
    if action in ("set", "rewind"):
        n = _number(body)
        raw = body.get("params") or {}
        if not isinstance(raw, dict):
            raise ValueError("'params' must be an object of name -> value")
        target = study.trials[n] if 0 <= n < len(study.trials) else None
        if target is None:
            raise ValueError(f"study {study.name!r} has no trial {n}")
        texts = [f"{k}={v}" for k, v in raw.items()]
        values = parse_assignments(target, texts) if texts else {}
        if action == "set":
            if not values:
                raise ValueError("'params' must name at least one value to set")
            study.set_live_params(n, values, reason=reason, allow_outside=bool(body.get("allow_outside")))
        else:
            to_step = body.get("to_step")
            study.rewind_trial(n, to_step, values or None, reason=reason, allow_outside=bool(body.get("allow_outside")))
        return {}
    if action == "pause":
        study.pause_trial(_number(body), reason=reason)
        return {}
    if action == "resume":
        study.resume_trial(_number(body), reason=reason)
        return {}
    if action == "stop":
        study.stop_trial(_number(body), prune=bool(body.get("prune")), reason=reason)
        return {}
    if action == "stop_study":
        study.stop(reason=reason)
        return {}
    if action in ("exclude", "include"):
        n = _number(body)
        if action == "exclude":
            study.exclude_trial(n, reason=reason)
        else:
            study.include_trial(n, reason=reason)
        return {}
    raise ValueError(
        f"unknown action {action!r}; one of: enqueue, note, set, pause, resume, stop, rewind, exclude, include, "
        "stop_study"
    )


def serve(
    storage: str | BaseStorage,
    *,
    host: str = "127.0.0.1",
    port: int = 8080,
    token: str | None = None,
    read_only: bool = False,
    log_level: str = "warning",
) -> None:
    """Run the dashboard until interrupted; prints its address (with the write token)."""
    try:
        import uvicorn
    except ImportError as e:  # pragma: no cover - exercised only without the extra
        raise ImportError("the dashboard needs the 'dashboard' extra: pip install 'sturgeon[dashboard]'") from e
    app = create_app(storage, token=token, read_only=read_only)
    shown = "[::1]" if host == "::1" else host
    if read_only:
        print(f"sturgeon dashboard (read-only): http://{shown}:{port}/", flush=True)
    else:
        print(f"sturgeon dashboard: http://{shown}:{port}/?token={app.state.token}", flush=True)
        print("  (writes from the page need that token; --read-only to refuse every write)", flush=True)
    uvicorn.run(app, host=host, port=port, log_level=log_level)
