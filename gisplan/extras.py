"""The optional parts of gisplan and the extra that installs each.

``pip install gisplan`` installs the screening, the command line, the renderers
and the GeoPackage store. The rest comes with an extra:

==========  ====================================================  ===================================
extra       what it enables                                       modules
==========  ====================================================  ===================================
serve       ``gisplan serve``, ``gisplan users`` (web page, API)   fastapi, uvicorn, multipart, argon2
postgis     ``postgresql://`` stores, ``PG:`` source tables        psycopg
dask        ``gisplan batch --engine dask``                        dask, distributed
parquet     batch tables written as GeoParquet (``.parquet``)      pyarrow
==========  ====================================================  ===================================

``pip install 'gisplan[all]'`` installs every extra. Code that needs one calls
:func:`require_extra` first: without it the user gets one line naming the extra
(the CLI prints it and exits with code 2), never a traceback.
"""

from __future__ import annotations

from importlib import import_module

from .errors import MissingExtraError

__all__ = ["EXTRAS", "require_extra", "install_hint"]

#: Extra -> the top-level modules it provides (import names).
EXTRAS: dict[str, tuple[str, ...]] = {
    "serve": ("fastapi", "starlette", "pydantic", "uvicorn", "multipart", "argon2"),
    "postgis": ("psycopg",),
    "dask": ("dask", "distributed"),
    "parquet": ("pyarrow",),
}


def install_hint(extra: str) -> str:
    """The command that installs ``extra``.

    Examples
    --------
    >>> install_hint("serve")
    "pip install 'gisplan[serve]'"
    """
    return f"pip install 'gisplan[{extra}]'"


def require_extra(extra: str, what: str) -> None:
    """Import the modules of ``extra``; raise :class:`~gisplan.errors.MissingExtraError` when one cannot be.

    Parameters
    ----------
    extra : {"serve", "postgis", "dask", "parquet"}
        The extra :data:`EXTRAS` names.
    what : str
        What needs it, as the message starts (e.g. ``"gisplan serve"``).

    Raises
    ------
    MissingExtraError
        One line: what needs which extra, the missing module and the command that installs it.
    """
    for module in EXTRAS[extra]:
        try:
            import_module(module)
        except ImportError as exc:
            missing = getattr(exc, "name", None) or module
            raise MissingExtraError(f"{what} needs the extra gisplan[{extra}] "
                                    f"(module {missing!r} is not installed): {install_hint(extra)}",
                                    name=missing) from None
