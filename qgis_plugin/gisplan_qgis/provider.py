"""The Processing provider ``gisplan``: screen, check, diff, import."""

from qgis.core import QgsProcessingProvider

from .algorithms import CheckAlgorithm, DiffAlgorithm, ImportAlgorithm, ScreenAlgorithm


class GisplanProvider(QgsProcessingProvider):
    """gisplan's algorithms (``gisplan:screen``, ``gisplan:check``, ``gisplan:diff``, ``gisplan:import``)."""

    def id(self):
        return "gisplan"

    def name(self):
        return "gisplan 三线一单"

    def longName(self):  # noqa: N802 - QGIS's name
        return "gisplan 三线一单筛查"

    def loadAlgorithms(self):  # noqa: N802 - QGIS's name
        for alg in (ScreenAlgorithm(), CheckAlgorithm(), DiffAlgorithm(), ImportAlgorithm()):
            self.addAlgorithm(alg)
