"""Runs the QGIS plugin headless in Debian's QGIS Python (``/usr/bin/python3``), for tests/test_qgis_plugin.py.

Not a test module: the test starts ``/usr/bin/python3 tests/qgis_driver.py SPEC.json`` with
``PYTHONPATH`` = the worktree and the virtualenv's site-packages (gisplan as a user would
``pip install`` it into QGIS's Python) and ``QT_QPA_PLATFORM=offscreen``. It installs the
plugin from its zip as QGIS does, runs each algorithm with ``processing.run`` and prints a
JSON summary of what it saw. Everything QGIS is imported inside :func:`main`, so that
pytest can import this file (doctest collection) without QGIS.
"""

from __future__ import annotations

import json
import sys
import zipfile
from pathlib import Path


def main(spec_path: str) -> None:
    spec = json.loads(Path(spec_path).read_text(encoding="utf-8"))
    out = Path(spec["out"])
    from qgis.core import QgsApplication, QgsProcessingFeedback

    QgsApplication.setPrefixPath("/usr", True)
    app = QgsApplication([], False)
    app.initQgis()
    sys.path.append("/usr/share/qgis/python/plugins")
    from processing.core.Processing import Processing

    Processing.initialize()
    import processing
    from qgis.core import (
        QgsCoordinateReferenceSystem,
        QgsCoordinateTransform,
        QgsMapRendererParallelJob,
        QgsMapSettings,
        QgsProcessingException,
        QgsProcessingFeatureSourceDefinition,
        QgsProject,
        QgsVectorLayer,
    )
    from qgis.PyQt.QtCore import QSize
    from qgis.PyQt.QtGui import QColor

    # install the plugin from its zip, as "Install from ZIP" does: unpacked into the plugins folder
    plugins = out / "plugins"
    with zipfile.ZipFile(spec["plugin_zip"]) as zf:
        zf.extractall(plugins)
    sys.path.insert(0, str(plugins))
    import gisplan_qgis

    plugin = gisplan_qgis.classFactory(None)
    plugin.initProcessing()
    registry = QgsApplication.processingRegistry()
    summary: dict = {"algorithms": sorted(a.id() for a in registry.providerById("gisplan").algorithms())}
    import gisplan

    summary["gisplan_file"] = gisplan.__file__
    # the store's rasters: read through rasterio when Debian's osgeo.gdal_array cannot load beside numpy 2
    summary["rasters"] = gisplan.screen(spec["park"], spec["store"]).rasters

    class Feedback(QgsProcessingFeedback):
        def __init__(self, cancel_at: float | None = None):
            super().__init__()
            self.seen: list[float] = []
            self.cancel_at = cancel_at
            self.progressChanged.connect(self._progress)

        def _progress(self, value):
            self.seen.append(float(value))
            if self.cancel_at is not None and value >= self.cancel_at:
                self.cancel()

    sites = QgsVectorLayer(spec["sites"], "项目选址", "ogr")
    QgsProject.instance().addMapLayer(sites)
    wanted = set(spec["selected_ids"])
    sites.selectByIds([f.id() for f in sites.getFeatures() if f["site_id"] in wanted])
    selected = QgsProcessingFeatureSourceDefinition(sites.id(), selectedFeaturesOnly=True)
    screen = {"INPUT": selected, "STORE": spec["store"], "ID_FIELD": "site_id", "INDUSTRY": "公路", "WIDTH": 60.0,
              "BUFFER": 5000.0, "NATIONAL_MAJOR": 0, "OUTPUT": str(out / "screen.gpkg"),
              "LAYERS": str(out / "layers.gpkg"), "LOAD_LAYERS": True, "DOCX_FOLDER": str(out / "docx")}
    fb = Feedback()
    result = processing.runAndLoadResults("gisplan:screen", screen, feedback=fb)
    summary["screen"] = {k: str(v) for k, v in result.items()}
    summary["screen_progress"] = fb.seen
    loaded = {}
    for layer in QgsProject.instance().mapLayers().values():
        if layer.name() != "项目选址":
            loaded[layer.name()] = [layer.featureCount(), layer.renderer().type() if layer.renderer() else None,
                                    layer.labelsEnabled()]
    summary["loaded"] = loaded
    # a run cancelled midway writes no result
    cancel = dict(screen, LAYERS=str(out / "cancelled.gpkg"), OUTPUT=str(out / "cancelled_table.gpkg"),
                  DOCX_FOLDER=None, LOAD_LAYERS=False)
    try:
        processing.run("gisplan:screen", cancel, feedback=Feedback(cancel_at=10.0))
        summary["cancel"] = "not cancelled"
    except QgsProcessingException as exc:
        summary["cancel"] = str(exc)
    summary["cancel_wrote"] = sorted(p.name for p in out.iterdir() if p.name.startswith("cancelled"))
    # a bad store: one line, as the command line says it
    try:
        processing.run("gisplan:screen", dict(cancel, STORE=str(out / "missing.gpkg")), feedback=Feedback())
        summary["bad_store"] = "ran"
    except QgsProcessingException as exc:
        summary["bad_store"] = str(exc)
    check = {"INPUT": spec["check_src"], "KIND": 0, "REDLINE": spec["redline_src"], "SLIVER": 100.0,
             "OUTPUT": str(out / "check.gpkg"), "JSON": str(out / "check.json")}
    summary["check"] = {k: str(v) for k, v in processing.run("gisplan:check", check, feedback=Feedback()).items()}
    diff = {"OLD": spec["old"], "NEW": spec["new"], "SLIVER": 100.0, "OUTPUT": str(out / "diff.gpkg"),
            "JSON": str(out / "diff.json")}
    summary["diff"] = {k: str(v) for k, v in processing.run("gisplan:diff", diff, feedback=Feedback()).items()}
    imp = {"INPUT": spec["import_src"], "STORE": str(out / "store.gpkg"), "KIND": 0}
    summary["import"] = {k: str(v) for k, v in processing.run("gisplan:import", imp, feedback=Feedback()).items()}
    # a memory layer (not a file): written out for gisplan, then imported the same way
    memory = QgsVectorLayer(spec["import_src"], "units", "ogr").materialize(QgsFeatureRequestAll())
    QgsProject.instance().addMapLayer(memory)
    imp2 = {"INPUT": memory, "STORE": str(out / "store_memory.gpkg"), "KIND": 0}
    summary["import_memory"] = {k: str(v) for k, v in processing.run("gisplan:import", imp2, feedback=Feedback()).items()}
    # the overlay layers as QGIS draws them, for a person to look at
    layers = [QgsVectorLayer(f"{out / 'layers.gpkg'}|layername={n}", n, "ogr")
              for n in ("crossing_points", "crossings", "nearby", "site", "pieces", "store_context")]
    settings = QgsMapSettings()
    settings.setLayers(layers)
    settings.setDestinationCrs(QgsCoordinateReferenceSystem("EPSG:4552"))
    site = layers[3]
    box = QgsCoordinateTransform(site.crs(), settings.destinationCrs(), QgsProject.instance()).transformBoundingBox(
        site.extent())
    box.scale(1.3)
    settings.setExtent(box)
    settings.setOutputSize(QSize(1200, 900))
    settings.setBackgroundColor(QColor(255, 255, 255))
    job = QgsMapRendererParallelJob(settings)
    job.start()
    job.waitForFinished()
    job.renderedImage().save(str(out / "qgis_render.png"), "png")
    print("GISPLAN-SUMMARY " + json.dumps(summary, ensure_ascii=False), flush=True)
    # every layer gone before QGIS closes its providers (a layer freed after exitQgis() crashes the interpreter)
    del job, settings, layers, site, sites, memory
    QgsProject.instance().removeAllMapLayers()
    plugin.unload()
    app.exitQgis()


def QgsFeatureRequestAll():  # noqa: N802 - reads like the QGIS class it builds
    from qgis.core import QgsFeatureRequest

    return QgsFeatureRequest()


if __name__ == "__main__":
    main(sys.argv[1])
