#!/usr/bin/env bash
# Set up gisplan on a fresh Debian machine with Python 3.11:
#   - Debian packages the outputs need: a CJK font for Chinese map labels
#     (fonts-noto-cjk) and, for the test run, headless Chromium (HTML map tests),
#     a PostgreSQL 15 + PostGIS 3 server (PostGIS tests start their own) and QGIS;
#   - a virtual environment in .venv with gisplan installed (editable).
# Usage: bash tools/bootstrap.sh          # the core install: screening, CLI, maps and reports, the demo
#        bash tools/bootstrap.sh --test   # also every extra (serve, postgis, dask, parquet) and the test tools
set -euo pipefail
cd "$(dirname "$0")/.."
want=(fonts-noto-cjk)
extras=""
if [ "${1:-}" = "--test" ]; then
  # python3-qgis + qgis-providers: QGIS Processing headless for the plugin tests (tests/test_qgis_plugin.py)
  want+=(chromium postgresql-15-postgis-3 python3-qgis qgis-providers)
  extras="[test,bench]"  # test: every extra and the test tools; bench: the national bench builder's input
fi
missing=()
for pkg in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  echo "installing Debian packages: ${missing[*]}" >&2
  $sudo apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi
[ -x .venv/bin/python ] || python3 -m venv .venv
# The official OpenCC wheels replaced opencc-python-reimplemented, which installs a module of the same name:
# remove the old one first, or uninstalling it later would delete the new one's files.
if .venv/bin/python -m pip show -q opencc-python-reimplemented >/dev/null 2>&1; then
  .venv/bin/python -m pip uninstall -y -q opencc-python-reimplemented
  .venv/bin/python -m pip uninstall -y -q opencc >/dev/null 2>&1 || true  # reinstalled whole below
fi
.venv/bin/python -m pip install -q --disable-pip-version-check -e ".${extras}"
