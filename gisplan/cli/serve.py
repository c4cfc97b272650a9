"""``gisplan serve`` and ``gisplan users ...`` (defined in :mod:`gisplan.serve.cli`), added to the main group."""

from __future__ import annotations

from ..serve.cli import serve, users
from .app import main

__all__ = ["serve", "users"]

main.add_command(serve)
main.add_command(users)
