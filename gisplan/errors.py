"""Typed errors of gisplan.

Every error a user can cause is one of these. The CLI turns each into a single
line on stderr and exit code 2; nothing else in the package prints.
Like rasterio's, they also subclass built-ins so ``except ValueError`` works.
"""

from __future__ import annotations

__all__ = ["GisplanError", "InputError", "SiteError", "StoreError", "MappingError", "CRSInputError", "OutputError",
           "CJKFontError", "ClusterError", "MissingExtraError", "GisplanWarning", "OPTION_NAMES", "option", "cli_message"]


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


class CJKFontError(GisplanError, RuntimeError):
    """No font able to draw Chinese text is installed (maps need one: fonts-noto-cjk)."""


class ClusterError(GisplanError, RuntimeError):
    """The Dask cluster failed under a batch (a worker died, the scheduler went away)."""


class MissingExtraError(GisplanError, ImportError):
    """A feature needs an optional extra that is not installed (``pip install 'gisplan[serve]'`` ...).

    An ``ImportError`` too, so ``except ImportError`` works; see :mod:`gisplan.extras`.
    """


class GisplanWarning(UserWarning):
    """A warning of gisplan (a ``UserWarning``, so the usual filters apply).

    What a screening warns of is collected, as one-line text, into the
    result's ``warnings`` (and its JSON report); where the library issues a
    Python warning with :func:`warnings.warn`, it is of this category, so a
    notebook can filter gisplan's own warnings apart from those of GDAL,
    shapely or pandas::

        warnings.simplefilter("error", gisplan.GisplanWarning)
    """


class StoreError(GisplanError, OSError):
    """A layer store is missing, unreadable or lacks what a query needs."""


class OutputError(InputError):
    """An output file cannot be written where asked (refused target, permission, no space)."""


#: Options a message may name, as the API spells them (``source_crs``); the
#: command line shows them as its flags (``--source-crs``): :func:`cli_message`.
OPTION_NAMES = frozenset({
    "source_crs", "radius", "width", "buffer", "layer", "encoding", "cm", "towgs84", "dxf_layer", "id_field",
    "industry", "industry_field", "national_major", "map", "map_value", "mapping", "mapping_from", "sheet", "out",
    "json", "xlsx", "png", "pdf", "docx", "html_map", "report_dir", "lock_timeout", "tiles", "basemap", "tiles_crs",
    "tiles_attr", "kind", "redline", "sites", "sliver_m2", "clear", "lang", "data_dir", "resume", "chunk_size",
    "scheduler", "partitions", "layers_out", "project_name", "builder", "project_code", "construction_nature",
    "engine", "workers", "map_raster", "project_name_field", "builder_field", "project_code_field",
    "construction_nature_field",
})


def option(name: str) -> str:
    """How a library message names an option: ```source_crs``` (the CLI turns it into ``--source-crs``).

    Examples
    --------
    >>> option("source_crs")
    '`source_crs`'
    """
    return f"`{name}`"


def cli_message(text: str) -> str:
    """A library message as the command line shows it: option names become flags.

    Examples
    --------
    >>> cli_message("a point site needs `radius` (metres); see `source_crs`")
    'a point site needs --radius (metres); see --source-crs'
    """
    import re

    def flag(m: re.Match) -> str:
        name = m.group(1)
        return "--" + name.replace("_", "-") if name in OPTION_NAMES else m.group(0)

    return re.sub(r"`([a-z][a-z0-9_]*)`", flag, str(text))
