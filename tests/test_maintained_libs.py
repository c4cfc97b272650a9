"""Maintained libraries where gisplan had its own code: platformdirs (the user cache folder), tqdm's disabled bar
(no hand-made null bar), one Hilbert curve (not two), the official OpenCC wheels for Traditional -> Simplified."""

from __future__ import annotations

import ast
import io
from pathlib import Path

import numpy as np
import pytest
import shapely

REPO = Path(__file__).resolve().parents[1]


# --------------------------------------------------------------------------- the user cache folder


def test_cache_dir_follows_the_platform_convention(monkeypatch, tmp_path):
    from gisplan.user_cache import cache_dir

    monkeypatch.delenv("GISPLAN_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert cache_dir() == tmp_path / "xdg" / "gisplan"  # the XDG base directory spec (Linux)
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert cache_dir() == tmp_path / "home" / ".cache" / "gisplan"
    monkeypatch.setenv("GISPLAN_CACHE_DIR", str(tmp_path / "mine"))  # the user's choice wins
    assert cache_dir() == tmp_path / "mine"


# --------------------------------------------------------------------------- the progress bar


def test_progress_bar_is_tqdm_drawn_only_when_asked():
    from tqdm import tqdm

    from gisplan.batch import progress_bar

    quiet, shown = io.StringIO(), io.StringIO()
    with progress_bar(4, False, file=quiet) as bar:
        assert isinstance(bar, tqdm) and bar.disable
        bar.update(4)
    with progress_bar(4, True, file=shown, mininterval=0) as bar:
        bar.update(4)
    assert quiet.getvalue() == ""
    assert "screening" in shown.getvalue() and "4/4" in shown.getvalue()
    assert "_NoBar" not in (REPO / "gisplan" / "batch.py").read_text(encoding="utf-8")


# --------------------------------------------------------------------------- one Hilbert curve


def test_dask_partitions_follow_the_local_engines_curve():
    """The Dask engine's partitions are runs of the local engine's Hilbert order (one curve, not two)."""
    import geopandas as gpd

    from gisplan.engine.dask_batch import spatial_partitions
    from gisplan.engine.stream import hilbert_order

    rng = np.random.default_rng(7)
    geoms = list(shapely.points(rng.uniform(126, 131, 500), rng.uniform(41, 44, 500)))
    geoms[3], geoms[50] = None, shapely.Point()  # no location: first, in input order
    frame = gpd.GeoDataFrame(geometry=geoms, crs="EPSG:4490")
    parts = spatial_partitions(frame, 7)
    assert len(parts) == 7 and sorted(np.concatenate(parts).tolist()) == list(range(500))
    assert np.concatenate(parts).tolist() == hilbert_order(frame.geometry.values).tolist()
    assert np.concatenate(parts)[:2].tolist() == [3, 50]


def test_one_hilbert_function_in_the_package():
    """Only gisplan.engine.spill.hilbert_distance walks the curve; nothing calls GeoSeries.hilbert_distance."""
    defined, method_calls = [], []
    for path in (REPO / "gisplan").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef) and "hilbert" in node.name and "order" not in node.name:
                defined.append(f"{path.relative_to(REPO).as_posix()}:{node.name}")
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "hilbert_distance":
                method_calls.append(path.relative_to(REPO).as_posix())
    assert defined == ["gisplan/engine/spill.py:hilbert_distance"]
    assert method_calls == []


def test_hilbert_distance_is_the_curve_on_a_4x4_grid():
    """Independent check: the classic level-2 Hilbert curve visits the 16 cells each one step from the last."""
    from gisplan.engine.spill import hilbert_distance

    x, y = np.meshgrid(np.arange(4), np.arange(4))
    d = hilbert_distance(x.ravel(), y.ravel(), level=2)
    assert sorted(d.tolist()) == list(range(16))
    cells = np.stack([x.ravel(), y.ravel()], axis=1)[np.argsort(d)]
    assert (np.abs(np.diff(cells, axis=0)).sum(axis=1) == 1).all()
    assert cells[0].tolist() == [0, 0] and cells[-1].tolist() == [3, 0]


# --------------------------------------------------------------------------- Traditional -> Simplified


def _vocabulary() -> list[tuple[str, str, str]]:
    from gisplan.vocab import _VALUES

    return [(field, label, code) for field, table in _VALUES.items() for label, code in table.items()
            if not label.isascii()]


def test_traditional_labels_of_every_vocabulary_map_like_the_simplified_ones():
    """Each Chinese label of every vocabulary, written in Traditional characters (OpenCC s2t), maps to its code."""
    from opencc import OpenCC

    from gisplan.vocab import normalise_value, to_simplified

    s2t = OpenCC("s2t")
    rows = _vocabulary()
    assert len(rows) > 100
    changed = 0
    for field, label, code in rows:
        traditional = s2t.convert(label)
        changed += traditional != label
        assert to_simplified(traditional) == label, (traditional, label)
        assert normalise_value(field, traditional) == code, (field, traditional)
    assert changed > 50  # the check above converted something


@pytest.mark.parametrize("traditional, simplified", [
    ("一級保護區", "一级保护区"), ("緩衝區", "缓冲区"), ("實驗區", "实验区"), ("準保護區", "准保护区"),
    ("生態保護紅線", "生态保护红线"), ("國家級自然保護區", "国家级自然保护区"), ("徑流", "径流"),
])
def test_known_traditional_spellings(traditional, simplified):
    from gisplan.vocab import to_simplified

    assert to_simplified(traditional) == simplified
    assert to_simplified(simplified) == simplified  # Simplified text is left as it is
