"""The ``gisplan`` logger: what the library says about its work (INFO) and its internals (DEBUG).

Nothing is printed unless an application configures it: the command line does
with ``-v`` (INFO), ``-vv`` (DEBUG) and ``-q`` (errors only); a notebook can
call :func:`configure` or use :mod:`logging` as usual.
"""

from __future__ import annotations

import logging
import sys

__all__ = ["logger", "configure", "notice"]

logger = logging.getLogger("gisplan")
logger.addHandler(logging.NullHandler())
_HANDLER_NAME = "gisplan-cli"


def configure(verbosity: int = 0, *, quiet: bool = False, stream=None) -> logging.Handler:
    """Print gisplan's log records as one line each on stderr.

    Parameters
    ----------
    verbosity : int
        0: warnings, 1: also INFO, 2 or more: also DEBUG.
    quiet : bool
        Errors only (wins over ``verbosity``).
    stream : file, optional
        Where to write (default: ``sys.stderr``).

    Returns
    -------
    logging.Handler
        The handler installed (replacing an earlier one from this function).
    """
    level = logging.ERROR if quiet else (logging.WARNING, logging.INFO, logging.DEBUG)[min(max(verbosity, 0), 2)]
    for h in list(logger.handlers):
        if h.get_name() == _HANDLER_NAME:
            logger.removeHandler(h)
    handler = logging.StreamHandler(stream) if stream is not None else _StderrHandler()
    handler.set_name(_HANDLER_NAME)
    handler.setFormatter(logging.Formatter("gisplan: %(message)s"))
    logger.addHandler(handler)
    logger.setLevel(level)
    return handler


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is when a record is emitted (a test runner may swap it)."""

    def __init__(self):
        super().__init__(sys.stderr)

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, value):  # logging.StreamHandler sets it in __init__: always sys.stderr instead
        pass


def notice(message: str) -> None:
    """Something the user should know about what gisplan did on its own (a folder it created).

    A WARNING record of the ``gisplan`` logger: the command line prints it
    (``gisplan: ...``) unless ``-q``; in a notebook, configure logging to see it.
    """
    logger.warning(message)
