"""The ``gisplan`` command line: thin, every command calls the Python API.

One module per command group (``layers``, ``screen`` with ``read``, ``batch``,
``rules``, ``demo``), the shared options in :mod:`~gisplan.cli.options` and
the group with its error contract in :mod:`~gisplan.cli.app`.
"""

from __future__ import annotations

import os

# No command does matrix algebra: OpenBLAS's thread pool (one thread per core, started when numpy loads) costs
# 50-70 ms of every command's start-up and nothing after. A value the user set is kept; the serve and Dask
# worker processes inherit it. (Set here, before any command module loads numpy; not in the library, whose
# importers choose for themselves.)
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from . import batch, demo, layers, rules, screen, serve  # noqa: F401  (they register their commands)
from . import guide  # noqa: F401,E402  (gisplan guide)
from .app import EXIT_BAD_INPUT, main

__all__ = ["main", "EXIT_BAD_INPUT"]
