"""``GET /api/guide`` (issue 22): the siting guidance of the page, on a real server (loopback, one local user)."""

from __future__ import annotations

import pytest
from _serve_helpers import Server, local_client
from conftest import UNITS, geod_area

from gisplan.engine.guide import VERDICT_ORDER


@pytest.fixture(scope="module")
def server(store_path, tmp_path_factory):
    srv = Server(store_path, tmp_path_factory.mktemp("serve_guide") / "data")
    srv.start()
    yield srv
    srv.stop()


def test_guide_is_geojson_with_verdicts_legend_and_totals(server):
    with local_client(server) as c:
        r = c.get("/api/guide", params={"industry": "化工"})
        assert r.status_code == 200, r.text
        doc = r.json()
        again = c.get("/api/guide", params={"industry": "化工"})
    assert again.content == r.content  # the same answer from the worker's cache
    assert doc["type"] == "FeatureCollection" and doc["features"]
    verdicts = {f["properties"]["verdict"] for f in doc["features"]}
    assert verdicts <= set(VERDICT_ORDER) and "prohibited" in verdicts  # the redline
    assert [x["label"] for x in doc["legend"]][0] == "禁止准入（不相符）"
    units_geod = sum(geod_area(v[2]) for v in UNITS.values())
    total = doc["totals"]["total"]
    assert abs(total["area_km2"] * 1e6 - units_geod) <= 1e-5 * units_geod
    # every face of the redline says why: the unit and the zone
    red = [f for f in doc["features"] if "生态保护红线" in f["properties"]["zones"]]
    assert red and all(f["properties"]["verdict"] == "prohibited" and f["properties"]["unit_code"] for f in red)


def test_guide_bad_input_is_one_line_400(server):
    with local_client(server) as c:
        bad = c.get("/api/guide", params={"industry": "不存在的行业类型xyz"})
        county = c.get("/api/guide", params={"industry": "公路", "county": "999999"})
        missing = c.get("/api/guide")
    assert bad.status_code == 400 and "industry" in bad.json()["error"]
    assert county.status_code == 400 and "not in the store" in county.json()["error"]
    assert missing.status_code == 422
    for r in (bad, county):
        assert "\n" not in r.json()["error"] and "/" not in r.json()["error"].split("(")[0]


def test_the_page_loads_the_guide_script_and_offers_the_choice(server):
    with local_client(server) as c:
        page = c.get("/")
        script = c.get("/static/guide.js")
    assert page.status_code == 200 and 'id="guide"' in page.text and "/static/guide.js" in page.text
    assert script.status_code == 200 and "/api/guide?" in script.text and "选址引导" in script.text
