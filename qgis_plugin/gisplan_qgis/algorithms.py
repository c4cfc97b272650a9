"""gisplan's Processing algorithms: ``screen``, ``check``, ``diff``, ``import``.

Each runs what the command line runs (``gisplan batch``, ``gisplan layers check``,
``gisplan layers diff``, ``gisplan layers import``) and gives its results as
Processing outputs: layers (sinks the user saves where they like, or temporary
layers) and optional files. Progress and cancel follow Processing's feedback; a
cancelled run writes no result. gisplan's one-line errors become Processing errors.
"""

import os
import tempfile

from qgis.core import (
    QgsProcessing,
    QgsProcessingAlgorithm,
    QgsProcessingException,
    QgsProcessingOutputFile,
    QgsProcessingOutputString,
    QgsProcessingParameterBoolean,
    QgsProcessingParameterEnum,
    QgsProcessingParameterFeatureSink,
    QgsProcessingParameterFeatureSource,
    QgsProcessingParameterField,
    QgsProcessingParameterFile,
    QgsProcessingParameterFileDestination,
    QgsProcessingParameterFolderDestination,
    QgsProcessingParameterNumber,
    QgsProcessingParameterString,
    QgsProcessingParameterVectorLayer,
    QgsWkbTypes,
)

from .bridge import (
    Progress,
    features_frame,
    gisplan_source,
    load_layers_on_completion,
    one_line,
    require_gisplan,
    write_frame,
)

#: Layer kinds of a store and their names in the Processing dialogs (the order of the enum).
KINDS = (("control_units", "环境管控单元"), ("eco_redline", "生态保护红线"), ("protected_areas", "自然保护地"),
         ("water_sources", "饮用水水源保护区"), ("air_zones", "大气环境管控分区"), ("water_zones", "水环境管控分区"),
         ("soil_zones", "土壤环境管控分区"), ("resource_zones", "资源利用管控分区"),
         ("basic_farmland", "永久基本农田"), ("urban_boundary", "城镇开发边界"))
#: The schema field the "category / zone / level" picker maps, per kind.
CLASS_FIELD = {"control_units": "category", "protected_areas": "zone", "water_sources": "level",
               "air_zones": "zone", "water_zones": "zone", "soil_zones": "zone", "resource_zones": "zone",
               "basic_farmland": "land_class", "urban_boundary": "zone"}
CHECK_LABELS = {"invalid_geometry": "几何图形无效", "overlap": "单元相互重叠", "gap": "单元覆盖缺口", "sliver": "细碎图斑",
                "duplicate_code": "单元编码重复", "code_format": "单元编码格式不符", "code_category": "编码类别位与单元类别不符",
                "code_division": "编码行政区划代码与所在区县不符", "redline_outside_priority": "生态保护红线位于优先保护单元之外",
                "zone_nesting": "分区嵌套不符", "redline_farmland_overlap": "生态保护红线与永久基本农田重叠",
                "redline_urban_overlap": "生态保护红线与城镇开发边界重叠",
                "farmland_urban_overlap": "永久基本农田与城镇开发边界重叠"}
CHANGE_LABELS = {"gained_priority": "新增优先保护", "lost_priority": "减少优先保护", "recategorised": "类别调整",
                 "uncovered": "不再覆盖", "newly_covered": "新增覆盖", "redline_gained": "生态保护红线新增",
                 "redline_lost": "生态保护红线减少", "protected_gained": "自然保护地新增", "protected_lost": "自然保护地减少"}
NATIONAL_MAJOR = (None, True, False)


def _run(call, *args, **kwargs):
    """Call gisplan; its errors (bad input, a refused output) become one-line Processing errors."""
    from gisplan.errors import GisplanError

    try:
        return call(*args, **kwargs)
    except QgsProcessingException:
        raise
    except GisplanError as exc:
        raise QgsProcessingException(one_line(exc)) from exc


class _Algorithm(QgsProcessingAlgorithm):
    def group(self):
        return "三线一单"

    def groupId(self):  # noqa: N802 - QGIS's name
        return "sanxian_yidan"

    def createInstance(self):  # noqa: N802 - QGIS's name
        return type(self)()

    def _kind(self, parameters, context, name="KIND") -> str:
        return KINDS[self.parameterAsEnum(parameters, name, context)][0]

    def _mapping(self, parameters, context, kind: str, feedback) -> dict:
        """``{schema field: source field}`` from the field pickers that apply to ``kind``."""
        picked = {"code": self.parameterAsString(parameters, "CODE_FIELD", context),
                  "name": self.parameterAsString(parameters, "NAME_FIELD", context),
                  CLASS_FIELD.get(kind, ""): self.parameterAsString(parameters, "CLASS_FIELD", context),
                  "county": self.parameterAsString(parameters, "COUNTY_FIELD", context)}
        from gisplan.vocab import SCHEMA

        out = {}
        for schema, source in picked.items():
            if not source:
                continue
            if schema in SCHEMA[kind]:
                out[schema] = source
            else:
                feedback.pushWarning(f"字段“{source}”不适用于{dict(KINDS)[kind]}，未使用")
        return out

    def _field_pickers(self, parent: str) -> None:
        for name, label in (("CODE_FIELD", "编码字段（默认自动识别）"), ("NAME_FIELD", "名称字段（默认自动识别）"),
                            ("CLASS_FIELD", "类别、分区或级别字段（默认自动识别）"),
                            ("COUNTY_FIELD", "所在区县字段（默认自动识别）")):
            self.addParameter(QgsProcessingParameterField(name, label, parentLayerParameterName=parent, optional=True))


class ScreenAlgorithm(_Algorithm):
    """``gisplan:screen``: every feature of a layer (or the selected ones) screened as its own site."""

    def name(self):
        return "screen"

    def displayName(self):  # noqa: N802 - QGIS's name
        return "三线一单筛查（逐个要素）"

    def shortHelpString(self):  # noqa: N802 - QGIS's name
        return ("将图层中的每个要素（或仅选中的要素）作为一个项目选址，对照 gisplan 图层库进行三线一单筛查，"
                "与命令行 gisplan batch 结果一致：输出逐项目的筛查结果表（各类单元占用面积、结论），"
                "并可将叠加图层（项目用地范围、占用情况、线路穿越、周边敏感区距离、周边管控单元及分区）"
                "按静态图配色载入当前项目，还可为每个项目生成一份报告（DOCX）。面积为 CGCS2000 椭球面面积。")

    def initAlgorithm(self, config=None):  # noqa: N802 - QGIS's name
        self.addParameter(QgsProcessingParameterFeatureSource("INPUT", "项目选址图层（面、线或点）",
                                                              [QgsProcessing.TypeVectorAnyGeometry]))
        self.addParameter(QgsProcessingParameterFile("STORE", "gisplan 图层库（GeoPackage）",
                                                     behavior=QgsProcessingParameterFile.File, extension="gpkg"))
        self.addParameter(QgsProcessingParameterField("ID_FIELD", "项目编号字段", parentLayerParameterName="INPUT"))
        self.addParameter(QgsProcessingParameterField("INDUSTRY_FIELD", "项目类型字段（可选）",
                                                      parentLayerParameterName="INPUT", optional=True))
        self.addParameter(QgsProcessingParameterString("INDUSTRY", "项目类型（国民经济行业代码或名录类别，可选）",
                                                       optional=True))
        for name, label in (("RADIUS", "点位半径（米，点要素）"), ("WIDTH", "线路宽度（米，线要素）")):
            self.addParameter(QgsProcessingParameterNumber(name, label, QgsProcessingParameterNumber.Double,
                                                           optional=True, minValue=0.0))
        self.addParameter(QgsProcessingParameterNumber("BUFFER", "周边检索距离（米）",
                                                       QgsProcessingParameterNumber.Double, defaultValue=5000.0,
                                                       minValue=0.0))
        self.addParameter(QgsProcessingParameterEnum("NATIONAL_MAJOR", "是否国家重大项目",
                                                     options=["不确定", "是", "否"], defaultValue=0))
        self.addParameter(QgsProcessingParameterFeatureSink("OUTPUT", "筛查结果表", QgsProcessing.TypeVectorPolygon))
        self.addParameter(QgsProcessingParameterFileDestination("LAYERS", "叠加图层（GeoPackage，载入项目）",
                                                                "GeoPackage (*.gpkg)", optional=True,
                                                                createByDefault=True))
        self.addParameter(QgsProcessingParameterBoolean("LOAD_LAYERS", "将叠加图层载入当前项目", defaultValue=True))
        self.addParameter(QgsProcessingParameterFolderDestination("DOCX_FOLDER", "每个项目一份报告（DOCX）的文件夹（可选）",
                                                                  optional=True, createByDefault=False))

    def processAlgorithm(self, parameters, context, feedback):  # noqa: N802 - QGIS's name
        require_gisplan()
        import pandas as pd

        from gisplan.batch import screen_batch
        from gisplan.batch_layers import write_batch_layers
        from gisplan.store import as_store

        source = self.parameterAsSource(parameters, "INPUT", context)
        if source is None:
            raise QgsProcessingException("未能读取项目选址图层")
        id_field = self.parameterAsString(parameters, "ID_FIELD", context)
        industry_field = self.parameterAsString(parameters, "INDUSTRY_FIELD", context) or None
        industry = self.parameterAsString(parameters, "INDUSTRY", context).strip() or None
        radius = self.parameterAsDouble(parameters, "RADIUS", context) if parameters.get("RADIUS") not in (None, "") else None
        width = self.parameterAsDouble(parameters, "WIDTH", context) if parameters.get("WIDTH") not in (None, "") else None
        buffer = self.parameterAsDouble(parameters, "BUFFER", context)
        national_major = NATIONAL_MAJOR[self.parameterAsEnum(parameters, "NATIONAL_MAJOR", context)]
        layers_path = self.parameterAsFileOutput(parameters, "LAYERS", context)
        docx_folder = self.parameterAsString(parameters, "DOCX_FOLDER", context)
        store = _run(as_store, self.parameterAsFile(parameters, "STORE", context))
        sites = features_frame(source, source.sourceCrs(), progress=Progress(feedback, 0, 5))
        if len(sites) == 0:
            raise QgsProcessingException("项目选址图层没有要素")
        options = dict(id_field=id_field, radius=radius, width=width, industry=industry,
                       industry_field=industry_field, national_major=national_major)
        feedback.pushInfo(f"筛查 {len(sites)} 个项目选址……")
        parts, step = [], 100
        to_screen = Progress(feedback, 5, 40 if layers_path else 90)
        for start in range(0, len(sites), step):  # in blocks: progress and cancel between them
            parts.append(_run(screen_batch, sites.iloc[start:start + step].reset_index(drop=True), store,
                              progress=False, **options))
            to_screen(min(start + step, len(sites)), len(sites))
        table = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
        results = {}
        if layers_path:
            feedback.pushInfo("生成叠加图层……")
            _run(write_batch_layers, sites, store, layers_path, table=table, buffer=buffer, progress=False,
                 on_site=Progress(feedback, 40, 90 if docx_folder else 99), **options)
            results["LAYERS"] = layers_path
            if self.parameterAsBool(parameters, "LOAD_LAYERS", context):
                load_layers_on_completion(layers_path, context, "LAYERS")
        if docx_folder:
            from gisplan.batch_reports import write_site_reports

            feedback.pushInfo("生成各项目报告……")
            written = _run(write_site_reports, table, store, docx_folder, id_field=id_field, buffer=buffer,
                           progress=False, national_major=national_major, on_site=Progress(feedback, 90, 99))
            results["DOCX_FOLDER"] = docx_folder
            feedback.pushInfo(f"已生成 {(written['docx'] != '').sum()} 份报告：{docx_folder}")
        results["OUTPUT"] = write_frame(self, parameters, "OUTPUT", context, table, QgsWkbTypes.MultiPolygon)
        counts = table["verdict"].value_counts().to_dict()
        feedback.pushInfo(f"已筛查 {len(table)} 个项目：" + "，".join(f"{k} {v}" for k, v in sorted(counts.items())))
        feedback.setProgress(100)
        return results


class CheckAlgorithm(_Algorithm):
    """``gisplan:check``: a delivered zoning layer checked as ``gisplan layers check`` does."""

    def name(self):
        return "check"

    def displayName(self):  # noqa: N802 - QGIS's name
        return "检查交付图层（重叠、缺口、编码）"

    def shortHelpString(self):  # noqa: N802 - QGIS's name
        return ("按 gisplan layers check 的规则检查交付的管控单元等图层：几何无效、单元重叠、覆盖缺口、细碎图斑、"
                "编码重复或格式不符、生态保护红线位于优先保护单元之外等，问题以点图层输出（位于问题区域内），"
                "可另存 JSON、XLSX。")

    def initAlgorithm(self, config=None):  # noqa: N802 - QGIS's name
        self.addParameter(QgsProcessingParameterVectorLayer("INPUT", "交付图层", [QgsProcessing.TypeVectorPolygon]))
        self.addParameter(QgsProcessingParameterEnum("KIND", "图层类型", options=[k[1] for k in KINDS], defaultValue=0))
        self._field_pickers("INPUT")
        self.addParameter(QgsProcessingParameterVectorLayer("REDLINE", "生态保护红线图层（可选，用于红线检查）",
                                                            [QgsProcessing.TypeVectorPolygon], optional=True))
        self.addParameter(QgsProcessingParameterNumber("SLIVER", "细碎图斑面积阈值（平方米）",
                                                       QgsProcessingParameterNumber.Double, defaultValue=100.0,
                                                       minValue=0.0))
        self.addParameter(QgsProcessingParameterFeatureSink("OUTPUT", "检查发现的问题", QgsProcessing.TypeVectorPoint))
        self.addParameter(QgsProcessingParameterFileDestination("JSON", "问题与统计（JSON，可选）", "JSON (*.json)",
                                                                optional=True, createByDefault=False))
        self.addParameter(QgsProcessingParameterFileDestination("XLSX", "问题与统计（XLSX，可选）", "Excel (*.xlsx)",
                                                                optional=True, createByDefault=False))

    def processAlgorithm(self, parameters, context, feedback):  # noqa: N802 - QGIS's name
        require_gisplan()
        import geopandas as gpd
        import shapely

        from gisplan.layers.check import check_layers, check_summary_lines, write_check_xlsx
        from gisplan.layers.source import load_layers

        kind = self._kind(parameters, context)
        mapping = self._mapping(parameters, context, kind, feedback)
        progress = Progress(feedback, 0, 100)
        with tempfile.TemporaryDirectory(prefix="gisplan-qgis-") as folder:
            path, layer = gisplan_source(self.parameterAsVectorLayer(parameters, "INPUT", context), folder, "input")
            red_layer = self.parameterAsVectorLayer(parameters, "REDLINE", context)
            redline = gisplan_source(red_layer, folder, "redline")[0] if red_layer is not None else None
            progress(1, 10)
            layers = _run(load_layers, path, kind=kind, redline=redline, layer=layer, mapping=mapping)
            progress(4, 10)
            result = _run(check_layers, layers, sliver_m2=self.parameterAsDouble(parameters, "SLIVER", context))
        progress(9, 10)
        problems = result.problems
        frame = gpd.GeoDataFrame(
            {"check": [p["check"] for p in problems], "check_zh": [CHECK_LABELS.get(p["check"], p["check"]) for p in problems],
             "codes": ["、".join(p["codes"]) for p in problems], "kind": [p["kind"] for p in problems],
             "area_m2": [float(p["area_m2"]) for p in problems], "detail": [p["detail"] for p in problems]},
            geometry=[shapely.Point(*p["location"]) for p in problems], crs="EPSG:4490")
        results = {"OUTPUT": write_frame(self, parameters, "OUTPUT", context, frame, QgsWkbTypes.Point)}
        for name, write in (("JSON", lambda p: result.to_json(p)), ("XLSX", lambda p: write_check_xlsx(result, p))):
            target = self.parameterAsFileOutput(parameters, name, context)
            if target:
                _run(write, target)
                results[name] = target
        for line in check_summary_lines(result)[:60]:
            feedback.pushInfo(line)
        feedback.setProgress(100)
        return results


class DiffAlgorithm(_Algorithm):
    """``gisplan:diff``: two versions of the zoning compared as ``gisplan layers diff`` does."""

    def name(self):
        return "diff"

    def displayName(self):  # noqa: N802 - QGIS's name
        return "比较两版管控单元（变化区域）"

    def shortHelpString(self):  # noqa: N802 - QGIS's name
        return ("按 gisplan layers diff 的规则比较新旧两版环境管控单元：新增、撤销、调整类别、调整边界的单元，"
                "以及类别转移面积；变化区域以面图层输出，可另存 JSON、XLSX。")

    def initAlgorithm(self, config=None):  # noqa: N802 - QGIS's name
        self.addParameter(QgsProcessingParameterVectorLayer("OLD", "旧版管控单元图层", [QgsProcessing.TypeVectorPolygon]))
        self.addParameter(QgsProcessingParameterVectorLayer("NEW", "新版管控单元图层", [QgsProcessing.TypeVectorPolygon]))
        self.addParameter(QgsProcessingParameterNumber("SLIVER", "边界调整面积阈值（平方米）",
                                                       QgsProcessingParameterNumber.Double, defaultValue=100.0,
                                                       minValue=0.0))
        self.addParameter(QgsProcessingParameterFeatureSink("OUTPUT", "变化区域", QgsProcessing.TypeVectorPolygon))
        self.addParameter(QgsProcessingParameterFileDestination("JSON", "变化明细（JSON，可选）", "JSON (*.json)",
                                                                optional=True, createByDefault=False))
        self.addParameter(QgsProcessingParameterFileDestination("XLSX", "变化明细（XLSX，可选）", "Excel (*.xlsx)",
                                                                optional=True, createByDefault=False))

    def processAlgorithm(self, parameters, context, feedback):  # noqa: N802 - QGIS's name
        require_gisplan()
        from gisplan.layers.diff import diff_layers, diff_summary_lines, write_diff_xlsx
        from gisplan.layers.source import load_layers

        progress = Progress(feedback, 0, 100)
        with tempfile.TemporaryDirectory(prefix="gisplan-qgis-") as folder:
            sides = []
            for i, name in enumerate(("OLD", "NEW")):
                path, layer = gisplan_source(self.parameterAsVectorLayer(parameters, name, context), folder, name.lower())
                sides.append(_run(load_layers, path, kind="control_units", layer=layer))
                progress(i + 1, 5)
            diff = _run(diff_layers, *sides, sliver_m2=self.parameterAsDouble(parameters, "SLIVER", context))
        progress(4, 5)
        changes = diff.changes.copy()
        changes.insert(1, "change_zh", [CHANGE_LABELS.get(c, c) for c in changes["change"]])
        results = {"OUTPUT": write_frame(self, parameters, "OUTPUT", context, changes, QgsWkbTypes.MultiPolygon)}
        for name, write in (("JSON", lambda p: diff.to_json(p)), ("XLSX", lambda p: write_diff_xlsx(diff, p))):
            target = self.parameterAsFileOutput(parameters, name, context)
            if target:
                _run(write, target)
                results[name] = target
        for line in diff_summary_lines(diff):
            feedback.pushInfo(line)
        feedback.setProgress(100)
        return results


class ImportAlgorithm(_Algorithm):
    """``gisplan:import``: a layer imported into a store as ``gisplan layers import`` does."""

    def name(self):
        return "import"

    def displayName(self):  # noqa: N802 - QGIS's name
        return "导入图层到图层库"

    def shortHelpString(self):  # noqa: N802 - QGIS's name
        return ("按 gisplan layers import 的规则把交付图层导入 gisplan 图层库（GeoPackage，不存在时新建）："
                "字段按常见拼音缩写自动识别，也可指定；类别、分区或级别的取值可用“字段:原值=库中值”对照"
                "（多个用分号分隔，如 zone:一区=core）。导入在图层库的写锁下一次完成。")

    def initAlgorithm(self, config=None):  # noqa: N802 - QGIS's name
        self.addParameter(QgsProcessingParameterVectorLayer("INPUT", "交付图层", [QgsProcessing.TypeVectorPolygon]))
        self.addParameter(QgsProcessingParameterFile("STORE", "gisplan 图层库（GeoPackage，不存在时新建）",
                                                     behavior=QgsProcessingParameterFile.File, extension="gpkg"))
        self.addParameter(QgsProcessingParameterEnum("KIND", "图层类型", options=[k[1] for k in KINDS], defaultValue=0))
        self._field_pickers("INPUT")
        self.addParameter(QgsProcessingParameterString("VALUE_MAP", "取值对照（可选，如 zone:一区=core;zone:二区=buffer）",
                                                       optional=True))
        self.addOutput(QgsProcessingOutputFile("STORE_OUT", "图层库"))
        self.addOutput(QgsProcessingOutputString("REPORT", "导入说明"))

    def flags(self):
        # the store is written under its own lock; one import at a time from this dialog
        return super().flags() | QgsProcessingAlgorithm.FlagNoThreading

    def processAlgorithm(self, parameters, context, feedback):  # noqa: N802 - QGIS's name
        require_gisplan()
        from gisplan.importer import import_layer
        from gisplan.mapping import parse_value_map_options

        kind = self._kind(parameters, context)
        mapping = self._mapping(parameters, context, kind, feedback)
        values = [v.strip() for v in self.parameterAsString(parameters, "VALUE_MAP", context).split(";") if v.strip()]
        value_maps = _run(parse_value_map_options, values)
        store = self.parameterAsFile(parameters, "STORE", context)
        if not store:
            raise QgsProcessingException("请指定图层库文件（.gpkg）")
        progress = Progress(feedback, 0, 100)
        with tempfile.TemporaryDirectory(prefix="gisplan-qgis-") as folder:
            path, layer = gisplan_source(self.parameterAsVectorLayer(parameters, "INPUT", context), folder, "input")
            progress(1, 4)
            report = _run(import_layer, store, kind, path, layer=layer, mapping=mapping, value_maps=value_maps)
        lines = report.lines()
        for line in lines:
            feedback.pushInfo(line)
        feedback.setProgress(100)
        return {"STORE_OUT": os.path.abspath(store), "REPORT": "\n".join(lines)}


__all__ = ["ScreenAlgorithm", "CheckAlgorithm", "DiffAlgorithm", "ImportAlgorithm", "KINDS"]
