"""The plugin object: registers the Processing provider (also without a GUI, e.g. ``qgis_process``)."""

from qgis.core import QgsApplication

from .provider import GisplanProvider


class GisplanPlugin:
    """Adds the ``gisplan`` provider to the Processing toolbox."""

    def __init__(self, iface):
        self.iface = iface
        self.provider = None

    def initProcessing(self):  # noqa: N802 - QGIS's name
        self.provider = GisplanProvider()
        QgsApplication.processingRegistry().addProvider(self.provider)

    def initGui(self):  # noqa: N802 - QGIS's name
        self.initProcessing()

    def unload(self):
        if self.provider is not None:
            QgsApplication.processingRegistry().removeProvider(self.provider)
            self.provider = None
