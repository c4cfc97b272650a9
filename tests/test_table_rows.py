"""One safe row reader for corner-point tables and access lists: the same refusals for both."""

from __future__ import annotations

import pytest

import _site_fixtures as bad

from gisplan.errors import InputError
from gisplan.io import rows as rows_mod
from gisplan.io.table import read_table
from gisplan.rules.access_list import read_clause_table


def _both(path):
    """Errors of the corner-table reader and the access-list reader for one file."""
    out = []
    for reader in (read_table, read_clause_table):
        with pytest.raises(InputError) as exc:
            reader(path)
        out.append(str(exc.value))
    return out


def test_zip_bomb_workbook_refused_by_both(tmp_path):
    bomb = bad.make_zip_bomb(tmp_path)
    path = bomb.with_suffix(".xlsx")
    bomb.rename(path)
    errors = _both(path)
    assert all("\n" not in e for e in errors)


def test_row_limit_applies_to_both(tmp_path, monkeypatch):
    monkeypatch.setattr(rows_mod, "MAX_TABLE_ROWS", 50)
    path = tmp_path / "many.csv"
    path.write_text("点号,X,Y\n" + "".join(f"{i},4700000.{i},42500000.{i}\n" for i in range(60)), encoding="utf-8")
    errors = _both(path)
    assert all("more than 50 rows" in e for e in errors)


def test_merged_cells_expanded_for_access_lists(tmp_path):
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["环境管控单元编码", "管控维度", "管控要求"])
    ws.append(["ZH22240110001", "空间布局约束", "禁止新建化工项目。"])
    ws.append([None, "污染物排放管控", "污水达标排放。"])
    ws.merge_cells("A2:A3")
    path = tmp_path / "list.xlsx"
    wb.save(path)
    clauses, _, _ = read_clause_table(path)
    assert list(clauses["scope"]) == ["ZH22240110001", "ZH22240110001"]


def test_access_list_vocabularies_read_traditional_characters(tmp_path):
    path = tmp_path / "trad.csv"
    path.write_text("環境管控單元編碼,管控維度,管控要求\nZH22240110001,空間佈局約束,禁止新建化工項目。\n"
                    "ZH22240110001,污染物排放管控,污水達標排放。\n", encoding="utf-8")
    clauses, used, _ = read_clause_table(path)
    assert list(clauses["dimension"]) == ["spatial_layout", "pollutant_emission"]
    assert list(clauses["scope"]) == ["ZH22240110001"] * 2
