"""The bundled demo: a synthetic Yanbian store built from real boundaries, and its sample sites.

``run`` (:func:`build_demo_store`, :func:`run_demo`: what ``gisplan demo`` does),
``zoning`` (the synthetic control units, redline, reserves, water-source and
element zones), ``lines`` (basic farmland and the urban development boundary),
``access_list`` (the demo access list, 示例, not official) and ``inputs`` (where
the real boundaries and the sample sites are). The names below are imported on
first use.
"""

from __future__ import annotations

from .._lazy import lazy_names

_LAZY = {
    "build_demo_store": "run", "run_demo": "run", "SAMPLE_SITE_PARAMS": "run", "DEFAULT_DATA_DIR": "run",
    "demo_access_list": "access_list", "demo_inputs_dir": "inputs",
}
__all__ = sorted(_LAZY)

__getattr__, __dir__ = lazy_names(__name__, _LAZY)
