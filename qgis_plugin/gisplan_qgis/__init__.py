"""QGIS plugin: gisplan's Processing provider (id ``gisplan``).

QGIS imports this package and calls :func:`classFactory`; the algorithms need the
``gisplan`` package installed in QGIS's own Python (see the README, "QGIS plugin").
"""


def classFactory(iface):  # noqa: N802 - the name QGIS calls
    """The plugin object QGIS loads."""
    from .plugin import GisplanPlugin

    return GisplanPlugin(iface)
