"""Between QGIS and gisplan: layers to files and frames, frames to Processing sinks, progress and cancel.

gisplan reads files; a layer that is a plain file on disk (a shapefile, a GeoPackage
layer, a FileGDB) is given to gisplan as that file, so it is read exactly as
``gisplan`` on the command line reads it (encoding, mapping, invalid geometries).
Any other layer (a memory or database layer, a filtered one) is written to a
temporary GeoPackage first, from what QGIS shows of it.
"""

import math
import os

from qgis.core import (
    NULL,
    QgsCoordinateReferenceSystem,
    QgsFeature,
    QgsFeatureSink,
    QgsField,
    QgsFields,
    QgsGeometry,
    QgsProcessingContext,
    QgsProcessingException,
    QgsProviderRegistry,
    QgsVectorLayer,
    QgsWkbTypes,
)
from qgis.PyQt.QtCore import QDate, QDateTime, QTime, QVariant

INSTALL_HINT = ("未找到 gisplan 程序包：请在 QGIS 使用的 Python 中安装 gisplan"
                "（Windows 在 OSGeo4W Shell 中运行 python -m pip install gisplan，详见 gisplan 说明文档“QGIS 插件”一节）")


def require_gisplan():
    """The gisplan package, or a Processing error that says how to install it."""
    try:
        import gisplan
    except ImportError as exc:
        raise QgsProcessingException(f"{INSTALL_HINT}（{exc}）") from exc
    return gisplan


def one_line(exc) -> str:
    """A gisplan error as the command line prints it (one line)."""
    return " ".join(str(exc).split()) or type(exc).__name__


class Progress:
    """Processing feedback for gisplan's ``on_site(done, total)`` callbacks, between two percentages."""

    def __init__(self, feedback, start: float, end: float):
        self.feedback, self.start, self.end = feedback, start, end

    def check(self) -> None:
        if self.feedback is not None and self.feedback.isCanceled():
            raise QgsProcessingException("已取消：未写出任何结果")

    def __call__(self, done: int, total: int) -> None:
        if self.feedback is not None:
            self.feedback.setProgress(self.start + (self.end - self.start) * done / max(total, 1))
        self.check()


def _py(value):
    """A QGIS attribute value as plain Python (NULL -> None, dates -> ISO text)."""
    if value is None or value == NULL:
        return None
    if isinstance(value, QVariant):
        return None if value.isNull() else value.value()
    if isinstance(value, (QDate, QDateTime, QTime)):
        return value.toString("yyyy-MM-dd" if isinstance(value, QDate) else "yyyy-MM-ddTHH:mm:ss")
    return value


def crs_text(crs) -> str:
    """A CRS as gisplan takes it: ``EPSG:nnnn`` when QGIS knows the code, else its WKT."""
    auth = crs.authid()
    return auth if auth and auth.upper().startswith("EPSG:") else crs.toWkt()


def features_frame(source, crs, feedback=None, progress: Progress | None = None):
    """The features of a Processing source or a layer as a GeoDataFrame (2D geometries, attributes as Python values)."""
    import geopandas as gpd
    import shapely

    names = [f.name() for f in source.fields()]
    rows, geoms = [], []
    total = source.featureCount() if source.featureCount() >= 0 else 0
    for i, feat in enumerate(source.getFeatures()):
        if progress is not None and i % 200 == 0:
            progress(i, total or i + 1)
        rows.append({n: _py(v) for n, v in zip(names, feat.attributes())})
        geom = feat.geometry()
        geoms.append(None if geom is None or geom.isNull() else shapely.force_2d(shapely.from_wkb(bytes(geom.asWkb()))))
    frame = gpd.GeoDataFrame(rows, columns=names, geometry=gpd.GeoSeries(geoms), crs=None)
    return frame.set_crs(crs_text(crs), allow_override=True) if crs is not None and crs.isValid() else frame


def layer_file(layer):
    """``(path, layer name or None)`` of a layer that is a plain OGR file on disk, else None."""
    if layer is None or layer.providerType() != "ogr":
        return None
    parts = QgsProviderRegistry.instance().decodeUri("ogr", layer.source())
    path = parts.get("path") or ""
    if not path or parts.get("subset") or not os.path.exists(path) or path.startswith("/vsi"):
        return None
    return path, parts.get("layerName") or None


def gisplan_source(layer, folder: str, name: str):
    """``(path, layer name)`` gisplan reads for ``layer``: its own file, or a GeoPackage written to ``folder``."""
    own = layer_file(layer)
    if own is not None:
        return own
    frame = features_frame(layer, layer.crs())
    path = os.path.join(folder, f"{name}.gpkg")
    frame.to_file(path, layer=name, driver="GPKG", engine="pyogrio")
    return path, name


def _qvariant_type(values):
    import numpy as np

    kind = np.asarray(values).dtype.kind if len(values) else "O"
    if kind == "f":
        return QVariant.Double
    if kind in "iu":
        return QVariant.LongLong
    if kind == "b":
        return QVariant.Bool
    return QVariant.String


def _cell(value):
    if value is None:
        return None
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, (list, tuple)):
        return "、".join(str(v) for v in value)
    return value


def frame_fields(frame, types: dict | None = None) -> QgsFields:
    """QGIS fields for a frame's columns (geometry apart)."""
    fields = QgsFields()
    for col in frame.columns:
        if col == frame.geometry.name:
            continue
        fields.append(QgsField(str(col), (types or {}).get(col) or _qvariant_type(frame[col].values)))
    return fields


def write_frame(alg, parameters, name: str, context, frame, wkb_type, feedback=None):
    """Write a GeoDataFrame (CGCS2000) into the Processing sink ``name``; returns its destination id."""
    import shapely

    fields = frame_fields(frame)
    sink, dest = alg.parameterAsSink(parameters, name, context, fields, wkb_type,
                                     QgsCoordinateReferenceSystem("EPSG:4490"))
    if sink is None:
        raise QgsProcessingException(f"cannot create the output {name}")
    columns = [c for c in frame.columns if c != frame.geometry.name]
    for values, geom in zip(frame[columns].itertuples(index=False, name=None), frame.geometry.values):
        feat = QgsFeature(fields)
        feat.setAttributes([_cell(v) for v in values])
        if geom is not None and not geom.is_empty:
            g = QgsGeometry()
            g.fromWkb(shapely.to_wkb(geom))
            if QgsWkbTypes.isMultiType(wkb_type) and not g.isMultipart():
                g.convertToMultiType()
            feat.setGeometry(g)
        sink.addFeature(feat, QgsFeatureSink.FastInsert)
    return dest


#: Titles of the overlay layers as they appear in the project's layer list (bottom to top).
LAYER_TITLES = (("store_context", "周边管控单元及分区"), ("pieces", "占用情况"), ("site", "项目用地范围"),
                ("nearby", "周边敏感区距离"), ("crossings", "线路穿越"), ("crossing_points", "线路穿越出入点"))


def load_layers_on_completion(path: str, context, output_name: str) -> list:
    """Load the overlay layers of a GeoPackage into the project after the algorithm (styled by its layer_styles)."""
    loaded = []
    for i, (name, title) in enumerate(LAYER_TITLES):
        layer = QgsVectorLayer(f"{path}|layername={name}", title, "ogr")
        if not layer.isValid() or layer.featureCount() == 0:
            continue
        context.temporaryLayerStore().addMapLayer(layer)
        details = QgsProcessingContext.LayerDetails(title, context.project(), output_name)
        if hasattr(details, "layerSortKey"):
            details.layerSortKey = i
        context.addLayerToLoadOnCompletion(layer.id(), details)
        loaded.append(name)
    return loaded
