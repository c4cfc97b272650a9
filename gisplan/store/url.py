"""Whether a store is named by a database URL (a leaf module: no imports, so any path can ask cheaply)."""

from __future__ import annotations

__all__ = ["is_pg_store_url"]

_URL_PREFIXES = ("postgresql://", "postgres://")


def is_pg_store_url(spec: object) -> bool:
    """Whether ``spec`` is a ``postgresql://`` (or ``postgres://``) URL rather than a file path.

    Parameters
    ----------
    spec : object
        A store as given on the command line or to the API.

    Returns
    -------
    bool
    """
    return isinstance(spec, str) and spec.strip().lower().startswith(_URL_PREFIXES)
