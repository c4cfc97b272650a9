"""The core install (``pip install gisplan``, no extra) for real, and what needs an extra.

A wheel is built from this working tree (``pip wheel``, the build backend from
pyproject.toml) and installed with its core dependencies only into a fresh
virtual environment (pip's cache makes it quick; nothing is faked: the real core
set is resolved and installed). In it:

- none of the extras' modules can be imported, and every module of gisplan can,
  except those that import an extra's module at module level;
- every command that needs an extra ends with one line naming it and exit 2;
- ``gisplan demo`` runs in an empty folder from the installed wheel (its inputs
  are package data) and writes the maps and reports there.

The venv is built once per test run (shared by xdist workers under a file lock);
``-m "not install"`` leaves these tests out of a quick local run, CI runs them.
The fast checks at the top hide an extra's module in this process instead.
"""

from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

REPO = Path(__file__).resolve().parents[1]
SITE = REPO / "data" / "sites" / "industrial_park_yanji.geojson"
PG_STORE = "postgresql://nobody@127.0.0.1:9/none?schema=gisplan"  # never reached: the extra is missing first


def _extra_modules() -> dict[str, tuple[str, ...]]:
    from gisplan.extras import EXTRAS

    return EXTRAS


#: (command line, the extra it needs); {site} and {store} are filled in.
COMMANDS = [
    (["serve", "--store", "{store}"], "serve"),
    (["users", "add", "users.json", "wang", "--password-stdin"], "serve"),
    (["screen", "{site}", "--store", PG_STORE], "postgis"),
    (["layers", "list", PG_STORE], "postgis"),
    (["layers", "import", "new.gpkg", "control_units", "PG:host=127.0.0.1 port=9 dbname=none", "--layer", "public.t"],
     "postgis"),
    (["batch", "{site}", "--store", "{store}", "--id-field", "name", "--out", "out.parquet"], "parquet"),
    (["batch", "{site}", "--store", "{store}", "--id-field", "name", "--out", "out.csv", "--engine", "dask"], "dask"),
]


def _assert_names_the_extra(code: int, stderr: str, extra: str) -> None:
    lines = [ln for ln in stderr.splitlines() if ln.strip()]
    assert code == 2, stderr
    assert len(lines) == 1, stderr
    assert lines[0].startswith("gisplan: error: ") and f"gisplan[{extra}]" in lines[0], lines[0]
    assert lines[0].endswith(f"pip install 'gisplan[{extra}]'"), lines[0]
    assert "Traceback" not in stderr


# --------------------------------------------------------------------------- fast: an extra hidden in this process


@pytest.mark.parametrize("args, extra", COMMANDS, ids=[" ".join(a[:2]) + f" [{e}]" for a, e in COMMANDS])
def test_command_without_its_extra_says_which(args, extra, monkeypatch, tmp_path):
    from gisplan.cli import main

    for module in _extra_modules()[extra]:
        monkeypatch.setitem(sys.modules, module, None)  # `import module` now fails as if it were not installed
    monkeypatch.chdir(tmp_path)
    filled = [a.format(site=SITE, store=tmp_path / "no-store.gpkg") for a in args]
    result = CliRunner().invoke(main, filled, input="secret\n")
    _assert_names_the_extra(result.exit_code, result.stderr, extra)
    assert not any(tmp_path.iterdir())  # nothing written


def test_api_raises_a_typed_error_naming_the_extra(monkeypatch):
    import gisplan
    from gisplan.errors import GisplanError, MissingExtraError

    monkeypatch.setitem(sys.modules, "psycopg", None)
    with pytest.raises(MissingExtraError, match=r"gisplan\[postgis\]") as info:
        gisplan.screen(SITE, PG_STORE)
    assert isinstance(info.value, ImportError) and isinstance(info.value, GisplanError)
    assert info.value.name == "psycopg"


# --------------------------------------------------------------------------- the real core install


def _copy_tree(dst: Path) -> Path:
    """This working tree (uncommitted changes included) without environments, outputs and caches."""
    top = {".git", ".venv", "build", "dist", "layers", "maps", ".pytest_cache"}  # at the top only (gisplan/layers!)
    anywhere = shutil.ignore_patterns("*.egg-info", "__pycache__")

    def ignore(folder: str, names: list[str]) -> set[str]:
        return set(anywhere(folder, names)) | (top & set(names) if Path(folder) == REPO else set())

    shutil.copytree(REPO, dst, ignore=ignore)
    return dst


def _build(root: Path) -> Path:
    """Build the wheel and install it with the core dependencies into ``root/venv``; its Python."""
    src = _copy_tree(root / "src")
    pip = [sys.executable, "-m", "pip", "--disable-pip-version-check"]
    r = subprocess.run(pip + ["wheel", "--no-deps", "-q", "-w", str(root / "wheel"), str(src)],
                       capture_output=True, text=True, timeout=900)
    assert r.returncode == 0, r.stderr[-3000:]
    wheel = next((root / "wheel").glob("gisplan-*.whl"))
    venv = root / "venv"
    r = subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    python = venv / "bin" / "python"
    # pip of this environment installs into the new one; --no-compile: no .pyc written ahead (the same files)
    r = subprocess.run(pip + ["--python", str(python), "install", "-q", "--no-compile", str(wheel)],
                       capture_output=True, text=True, timeout=1800)
    assert r.returncode == 0, r.stderr[-3000:]
    return python


@pytest.fixture(scope="session")
def core_python(tmp_path_factory, worker_id) -> Path:
    from filelock import FileLock

    base = tmp_path_factory.getbasetemp()
    root = (base.parent if worker_id != "master" else base) / "core-install"
    with FileLock(str(root) + ".lock"):
        done = root / "python.txt"
        if not done.exists():
            shutil.rmtree(root, ignore_errors=True)
            root.mkdir()
            done.write_text(str(_build(root)))
    return Path(done.read_text())


def _env() -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "GISPLAN_DEBUG", "VIRTUAL_ENV")}
    return {**env, "MPLBACKEND": "Agg"}


def _run(python: Path, args: list[str], cwd: Path, stdin: str = "", timeout: float = 600):
    return subprocess.run([str(python.parent / "gisplan"), *args], capture_output=True, text=True, cwd=cwd,
                          env=_env(), input=stdin, timeout=timeout)


def _module_level_extra_imports() -> set[str]:
    """Modules of gisplan that import an extra's module at module level (not inside a function)."""
    extra_modules = {m for mods in _extra_modules().values() for m in mods}
    out = set()
    for path in (REPO / "gisplan").rglob("*.py"):
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module] if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module else []
            if any(n.split(".")[0] in extra_modules for n in names):
                rel = path.relative_to(REPO).with_suffix("")
                out.add(".".join(rel.parts[:-1] if rel.name == "__init__" else rel.parts))
    return out


@pytest.mark.install
def test_core_install_has_no_extra_and_imports_all_else(core_python, tmp_path):
    code = r"""
import importlib, importlib.util, json, pkgutil, sys
import gisplan
extras = json.loads(sys.argv[1])
found = {m: importlib.util.find_spec(m) is not None for ms in extras.values() for m in ms}
failed = {}
for info in pkgutil.walk_packages(gisplan.__path__, "gisplan."):
    if info.name.endswith("__main__"):  # runs the command line
        continue
    try:
        importlib.import_module(info.name)
    except ImportError as exc:
        failed[info.name] = getattr(exc, "name", None) or str(exc)
print(json.dumps({"file": gisplan.__file__, "found": found, "failed": failed}))
"""
    r = subprocess.run([str(core_python), "-c", code, json.dumps(_extra_modules())], capture_output=True, text=True,
                       cwd=tmp_path, env=_env(), timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    out = json.loads(r.stdout)
    assert Path(out["file"]).is_relative_to(core_python.parent.parent)  # the installed wheel, not this tree
    assert (Path(out["file"]).parent / "py.typed").is_file()  # PEP 561: type checkers read the installed hints
    assert not any(out["found"].values()), out["found"]  # no extra came with the core
    expected = _module_level_extra_imports()
    # the walk above found the web modules: the app, its users, its shared HTTP pieces and its routers
    assert {"gisplan.serve.app", "gisplan.serve.auth", "gisplan.serve.http", "gisplan.serve.context",
            "gisplan.serve.routes.record"} <= expected
    assert all(m.startswith("gisplan.serve.") for m in expected), expected
    assert set(out["failed"]) == expected, out["failed"]
    assert set(out["failed"].values()) <= {m for ms in _extra_modules().values() for m in ms}


@pytest.mark.install
@pytest.mark.parametrize("args, extra", COMMANDS, ids=[" ".join(a[:2]) + f" [{e}]" for a, e in COMMANDS])
def test_core_install_command_needing_an_extra_says_which(core_python, tmp_path, args, extra):
    site = next(core_python.parent.parent.glob("lib/python*/site-packages/gisplan/_demo_inputs/sites/*.geojson"))
    filled = [a.format(site=site, store=tmp_path / "no-store.gpkg") for a in args]
    r = _run(core_python, filled, tmp_path, stdin="secret\n", timeout=300)
    _assert_names_the_extra(r.returncode, r.stderr, extra)
    assert r.stdout == "" and not any(tmp_path.iterdir())


@pytest.mark.install
def test_demo_runs_from_the_installed_wheel_in_an_empty_folder(core_python, tmp_path):
    work = tmp_path / "empty"
    work.mkdir()
    r = _run(core_python, ["demo"], work, timeout=1200)
    assert r.returncode == 0, r.stderr[-3000:]
    assert (work / "layers" / "demo_yanbian.gpkg").is_file()
    index = json.loads((work / "maps" / "index.json").read_text(encoding="utf-8"))
    bundled = [p for p in (Path(__file__).parent.parent / "data" / "sites").glob("*.geojson") if p.stem != "batch_sites"]
    assert len(bundled) >= 6 and len(index) == len(bundled)  # every bundled sample site was found in the package data
    for stem, entry in index.items():
        for key in ("report", "map", "docx", "png"):
            assert (work / "maps" / entry[key]).stat().st_size > 0, (stem, key)
        assert zipfile.is_zipfile(work / "maps" / entry["docx"])
        assert (work / "maps" / entry["png"]).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert "示例" in (work / "maps" / entry["map"]).read_text(encoding="utf-8")
    assert (work / "maps" / "batch_sites.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    assert "batch: 25 sites" in r.stdout
