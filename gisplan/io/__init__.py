"""Reading user-given files safely (vector layers, zip archives, KML)."""

from __future__ import annotations

from .vector import SUPPORTED_SUFFIXES, VectorData, read_vector

__all__ = ["VectorData", "read_vector", "SUPPORTED_SUFFIXES"]
