"""``sturgeon dashboard``: a live web view of a storage's studies (needs the ``dashboard`` extra).

    from sturgeon.dashboard import create_app, serve
    serve("sqlite:///studies.db")                       # http://127.0.0.1:8080/?token=...

The app is a Starlette application (``create_app``) served by uvicorn (``serve``). Pages are
static shells; every value comes from the JSON API and is put into the page as text, never as
markup. The study API is incremental: a client sends the cursor of the last event it saw and
gets only the trials changed since (``StudyView.changed_since``). Writes (enqueue, notes, live
controls, exclude) need the token printed at start, and are refused when read-only.
"""

from __future__ import annotations

from sturgeon.dashboard._app import create_app, serve

__all__ = ["create_app", "serve"]
