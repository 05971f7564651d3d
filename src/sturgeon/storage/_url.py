"""Which database URLs a study can live in, checked before any database library is loaded.

Accepted: ``sqlite:///relative/path.db``, ``sqlite:////absolute/path.db`` (``sqlite://`` alone:
in memory), and PostgreSQL as ``postgresql+psycopg://user:password@host:port/dbname``.
``postgresql://`` and the common alias ``postgres://`` mean the same (psycopg 3, the driver of
the ``sturgeon[postgres]`` extra; psycopg2 when only that one is installed);
``postgresql+psycopg2://`` names psycopg2 explicitly. Anything else is refused with one line
that names the URL and these forms.
"""

from __future__ import annotations

import importlib.util
import re

from sturgeon._exceptions import InvalidValueError

__all__ = ["ACCEPTED_URLS", "check_url", "shown_url"]

ACCEPTED_URLS = (
    "sqlite:///path/to/file.db (a file; sqlite:////abs/path.db for an absolute path) or "
    "postgresql+psycopg://user:password@host:port/dbname (postgres:// and postgresql:// mean the same; "
    "needs sturgeon[postgres])"
)
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9.+-]*)://")
_DRIVERS = {"sqlite": {None, "pysqlite"}, "postgresql": {None, "psycopg", "psycopg2"}}
_ALIASES = {"postgres": "postgresql"}
_PASSWORD = re.compile(r"^([^:/]+://[^:/@]*:)[^@]*@")


def shown_url(url: str) -> str:
    """The URL with its password, if any, masked: fit for an error message."""
    return _PASSWORD.sub(r"\1***@", url)


def _refuse(url: str, why: str) -> InvalidValueError:
    return InvalidValueError(f"storage {shown_url(url)!r} {why}; use {ACCEPTED_URLS}")


def check_url(url: str) -> str:
    """The URL to give SQLAlchemy for ``url``, or ``InvalidValueError`` naming the URL and the
    accepted forms. Only the scheme is looked at here; SQLAlchemy parses the rest."""
    match = _SCHEME.match(url)
    if match is None:
        raise _refuse(url, "is not a database URL (it has no 'kind://' prefix)")
    scheme = match.group(1)
    backend, _, driver = scheme.lower().partition("+")
    backend = _ALIASES.get(backend, backend)
    if backend not in _DRIVERS:
        import difflib

        close = difflib.get_close_matches(backend, [*_DRIVERS, *_ALIASES], n=1, cutoff=0.6)
        hint = f", did you mean {close[0]!r}?" if close else ""
        raise _refuse(url, f"is not a kind of database sturgeon can use ({scheme!r}{hint})")
    if (driver or None) not in _DRIVERS[backend]:
        known = ", ".join(sorted(f"{backend}+{d}" for d in _DRIVERS[backend] if d))
        raise _refuse(url, f"names the driver {driver!r}, which sturgeon does not use (it uses {known})")
    if backend == "postgresql" and not driver:
        have_psycopg = importlib.util.find_spec("psycopg") is not None
        driver = "psycopg" if have_psycopg or importlib.util.find_spec("psycopg2") is None else "psycopg2"
    return f"{backend}{'+' + driver if driver else ''}{url[len(scheme) :]}"
