"""Live changes: requests from outside a running trial, and how they are checked.

One mechanism (docs/architecture.md, "Live changes") serves a person at a terminal
(``sturgeon set / pause / resume / stop / rewind``), the Python API (``Study.set_live_params``
and friends) and rules such as population-based training: a ``LIVE_REQUEST`` event asks, the
trial acts on it at its next report (or the worker that resumes it, when it is paused) and
records what it did: a ``LIVE_APPLIED`` event "from step s on, these values", a pause, a finish.
"""

from __future__ import annotations

import json
import math
import os
import socket
import threading
from collections.abc import Mapping, Sequence
from typing import Any

from sturgeon._checks import check_json, short_repr
from sturgeon._exceptions import InvalidValueError, TrialStateError
from sturgeon._frozen import FrozenTrial, TrialState
from sturgeon.space import Categorical, Distribution, Float, Int
from sturgeon.storage import Event, EventKind

__all__ = [
    "ACTIONS",
    "GO_ON",
    "applied_event",
    "check_live_values",
    "check_request",
    "parse_assignments",
    "requester",
    "resume_events",
    "values_at",
    "wants_resume",
]

ACTIONS = ("set", "pause", "resume", "stop", "rewind")
# where a request may be made: a running trial acts at its next report, a paused one when resumed
_WHERE = {
    "set": (TrialState.RUNNING, TrialState.PAUSED),
    "pause": (TrialState.RUNNING,),
    "resume": (TrialState.PAUSED,),
    "stop": (TrialState.RUNNING, TrialState.PAUSED),
    "rewind": (TrialState.RUNNING, TrialState.PAUSED),
}


STOP_ATTR = "stop_requested"  # study attribute: {"id", "by", "reason", "time"} of the last stop asked


def worker_name(executor: str) -> str:
    """This worker's name on a trial's record: host, process, executor and thread."""
    return f"{socket.gethostname()}:{os.getpid()}/{executor}:{threading.current_thread().name}"


def requester() -> str:
    """Who asked: host and process, recorded with every request."""
    return f"{socket.gethostname()}:{os.getpid()}"


def check_request(trial: FrozenTrial, action: str) -> None:
    """Raise unless ``action`` can be asked of ``trial`` in its present state."""
    if action not in ACTIONS:
        raise InvalidValueError(f"live request: action must be one of {list(ACTIONS)}, got {short_repr(action)}")
    allowed = _WHERE[action]
    if trial.state not in allowed:
        names = " or ".join(s.value for s in allowed)
        hint = ""
        if trial.state is TrialState.WAITING:
            hint = "; it has not started: enqueue it with the values you want instead"
        elif trial.state.is_finished:
            hint = "; finished trials do not change"
        raise TrialStateError(
            f"{action}: trial {trial.number} is {trial.state.value}; {short_repr(action)} needs a {names} trial{hint}"
        )


def _check_value(name: str, value: Any, dist: Distribution | None, allow_outside: bool) -> Any:
    check_json(f"parameter {short_repr(name)}", value)
    if dist is None:
        return value
    if dist.contains(value):
        return dist.normalize(value)
    if not allow_outside:
        raise InvalidValueError(
            f"parameter {short_repr(name)}: value {short_repr(value)} is outside its distribution "
            f"{short_repr(dist)}; pass a value inside it, or allow_outside=True (--allow-outside) to widen it "
            "for this trial"
        )
    if isinstance(dist, Float):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(float(value)):
            raise InvalidValueError(
                f"parameter {short_repr(name)} is a Float: value must be a finite number, got {short_repr(value)}"
            )
        if dist.log and float(value) <= 0:
            raise InvalidValueError(
                f"parameter {short_repr(name)} is log-scaled: value must be > 0, got {short_repr(value)}"
            )
        return float(value)
    if isinstance(dist, Int):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise InvalidValueError(
                f"parameter {short_repr(name)} is an Int: value must be an integer, got {short_repr(value)}"
            )
        return value
    return value  # a categorical widened with a new choice


def check_live_values(
    trial: FrozenTrial, params: Mapping[str, Any], *, allow_outside: bool = False, allow_new: bool = False
) -> dict[str, Any]:
    """The values of a live change, checked against the trial's distributions."""
    if not isinstance(params, Mapping) or not params:
        raise InvalidValueError(
            f"live change: params must be a non-empty dict of name -> value, got {short_repr(params)}"
        )
    out: dict[str, Any] = {}
    for name, value in params.items():
        if not isinstance(name, str) or not name:
            raise InvalidValueError(f"live change: parameter names must be non-empty strings, got {short_repr(name)}")
        dist = trial.distributions.get(name)
        if dist is None and name not in trial.params and not allow_new:
            known = sorted(trial.params) or "none yet"
            raise InvalidValueError(
                f"live change: trial {trial.number} has no parameter {short_repr(name)} (it has: {known}); pass "
                "allow_new=True (--new) to add a live value it did not suggest"
            )
        out[name] = _check_value(name, value, dist, allow_outside)
    return out


def _parse_one(name: str, text: str, dist: Distribution | None) -> Any:
    if isinstance(dist, Categorical):
        for choice in dist.choices:
            if str(choice) == text or (choice is None and text in ("None", "null")):
                return choice
        try:
            return json.loads(text)
        except ValueError:
            return text
    if isinstance(dist, Float):
        try:
            return float(text)
        except ValueError:
            raise InvalidValueError(
                f"parameter {short_repr(name)} is a Float: {short_repr(text)} is not a number"
            ) from None
    if isinstance(dist, Int):
        try:
            v = float(text)
        except ValueError:
            raise InvalidValueError(
                f"parameter {short_repr(name)} is an Int: {short_repr(text)} is not an integer"
            ) from None
        if not v.is_integer():
            raise InvalidValueError(f"parameter {short_repr(name)} is an Int: {short_repr(text)} is not an integer")
        return int(v)
    try:
        return json.loads(text)
    except ValueError:
        return text


def parse_assignments(trial: FrozenTrial, assignments: Sequence[str]) -> dict[str, Any]:
    """``["lr=3e-4", "optimizer=sgd"]`` as typed values, read by each parameter's distribution."""
    out: dict[str, Any] = {}
    for item in assignments:
        name, sep, text = item.partition("=")
        name = name.strip()
        if not sep or not name:
            raise InvalidValueError(f"expected NAME=VALUE, got {short_repr(item)}")
        out[name] = _parse_one(name, text.strip(), trial.distributions.get(name))
    return out


# pause reasons after which a trial goes on at once: its worker died, it was rewound, it
# continues from another trial's checkpoint, the last optimize's resource budget ran out, or
# Ctrl-C / SIGTERM stopped it;
# "rule" waits for its scheduler, "user" for a resume
GO_ON = ("recovered", "rewind", "exploit", "budget", "interrupted")


def wants_resume(trial: FrozenTrial) -> bool:
    """Whether a paused trial was asked from outside to go on (resume or rewind)."""
    return any(r.get("action") in ("resume", "rewind") for r in trial.pending_requests)


def values_at(trial: FrozenTrial, from_step: int) -> dict[str, Any]:
    """The values in force for the steps after ``from_step``, the later branch left out."""
    values = dict(trial.params)
    for change in trial.live_changes:
        if not change.superseded and change.step <= from_step + 1:
            values.update(change.params)
    return values


def applied_event(number: int, step: int, params: Mapping[str, Any], before: Mapping[str, Any], **info: Any) -> Event:
    """The LIVE_APPLIED event of a change in force from ``step`` on."""
    value = {
        "params": dict(params),
        "old": {k: before.get(k) for k in params},
        **{k: v for k, v in info.items() if v is not None},
    }
    rid = info.get("request")
    return Event(EventKind.LIVE_APPLIED, number, str(step), value, unique_key=None if rid is None else f"applied:{rid}")


def resume_events(trial: FrozenTrial) -> list[Event]:
    """The append that resumes a paused trial: TRIAL_RESUMED (unique ``resume:N:k``) from the
    checkpoint it goes on from, then every change waiting for it, in force from the next step.
    Empty when the checkpoint asked for no longer exists."""
    n, pause = trial.number, dict(trial.pause_info)
    rewind = next((r for r in reversed(trial.pending_requests) if r.get("action") == "rewind"), None)
    from_step = int(rewind["to_step"]) if rewind is not None else trial.latest_checkpoint_step
    if from_step is None or from_step not in trial.checkpoints:
        return []
    key = f"resume:{n}:{trial.n_pauses}"
    events = [Event(EventKind.TRIAL_RESUMED, n, value={"from_step": from_step}, unique_key=key)]
    values = values_at(trial, from_step)
    nxt = from_step + 1

    def apply(params: Mapping[str, Any], **info: Any) -> None:
        events.append(applied_event(n, nxt, params, values, **info))
        values.update(params)

    if pause.get("reason") in ("rewind", "exploit"):
        src = pause.get("source")
        apply(
            pause.get("params") or {},
            request=pause.get("request"),
            action=pause["reason"],
            reason=pause.get("note"),
            source=src if src is not None else {"trial": n, "step": from_step},
        )
    for r in trial.pending_requests:
        if r.get("action") == "set":
            apply(r["params"], request=r["id"], action="set", reason=r.get("reason"))
        elif r is rewind:
            apply(
                r.get("params") or {},
                request=r["id"],
                action="rewind",
                reason=r.get("reason"),
                source={"trial": n, "step": from_step},
            )
    return events
