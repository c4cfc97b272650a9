"""The ``gisplan`` command line: thin, every command calls the Python API.

One module per command group (``layers``, ``screen`` with ``read``, ``batch``,
``rules``, ``demo``), the shared options in :mod:`~gisplan.cli.options` and
the group with its error contract in :mod:`~gisplan.cli.app`.
"""

from __future__ import annotations

from . import batch, demo, layers, rules, screen, serve  # noqa: F401  (they register their commands)
from .app import EXIT_BAD_INPUT, main

__all__ = ["main", "EXIT_BAD_INPUT"]
