"""Typed errors of gisplan.

Every error a user can cause is one of these. The CLI turns each into a single
line on stderr and exit code 2; nothing else in the package prints.
Like rasterio's, they also subclass built-ins so ``except ValueError`` works.
"""

from __future__ import annotations

__all__ = ["GisplanError", "InputError", "SiteError", "StoreError", "MappingError", "CRSInputError", "OutputError"]


class GisplanError(Exception):
    """Root of all gisplan errors."""


class InputError(GisplanError, ValueError):
    """A file or value given by the user cannot be used as it is."""


class SiteError(InputError):
    """A project site cannot be read or makes no geometric sense."""


class CRSInputError(InputError):
    """A coordinate reference system is missing, unknown or contradicts the data."""


class MappingError(InputError):
    """A source field or value cannot be mapped onto the store's schema."""


class StoreError(GisplanError, OSError):
    """A layer store is missing, unreadable or lacks what a query needs."""


class OutputError(InputError):
    """An output file cannot be written where asked (refused target, permission, no space)."""
