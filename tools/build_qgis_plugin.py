"""Zip the QGIS plugin (qgis_plugin/gisplan_qgis) into an archive QGIS installs ("Install from ZIP").

Usage: python tools/build_qgis_plugin.py [OUT.zip]     (default: dist/gisplan_qgis-<version>.zip)

The archive holds the folder gisplan_qgis/ (metadata.txt, classFactory, the Processing
provider), its metadata version set to gisplan's. The plugin runs the gisplan package
installed in QGIS's Python (see README, "QGIS plugin").
"""

from __future__ import annotations

import re
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PLUGIN = ROOT / "qgis_plugin" / "gisplan_qgis"


def gisplan_version() -> str:
    text = (ROOT / "gisplan" / "_version.py").read_text(encoding="utf-8")
    return re.search(r"""__version__\s*=\s*["']([^"']+)["']""", text).group(1)


def build(out: Path | None = None) -> Path:
    """Write the plugin archive; return its path."""
    version = gisplan_version()
    out = out or ROOT / "dist" / f"gisplan_qgis-{version}.zip"
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for path in sorted(PLUGIN.rglob("*")):
            if path.is_dir() or "__pycache__" in path.parts or path.suffix == ".pyc":
                continue
            name = f"gisplan_qgis/{path.relative_to(PLUGIN).as_posix()}"
            data = path.read_bytes()
            if path.name == "metadata.txt":
                data = re.sub(rb"(?m)^version=.*$", f"version={version}".encode(), data)
            zf.writestr(name, data)
    tmp.replace(out)
    return out


if __name__ == "__main__":
    print(build(Path(sys.argv[1]) if len(sys.argv) > 1 else None))
