#!/usr/bin/env bash
# Set up gisplan on a fresh Debian machine with Python 3.11:
#   - Debian packages the outputs need: a CJK font for Chinese map labels
#     (fonts-noto-cjk) and, for the test run, headless Chromium (HTML map tests)
#     and a PostgreSQL 15 + PostGIS 3 server (PostGIS import tests start their own);
#   - a virtual environment in .venv with gisplan installed (editable).
# Usage: bash tools/bootstrap.sh          # run the tool
#        bash tools/bootstrap.sh --test   # also what the tests need
set -euo pipefail
cd "$(dirname "$0")/.."
want=(fonts-noto-cjk)
extras=""
if [ "${1:-}" = "--test" ]; then
  # python3-qgis + qgis-providers: QGIS Processing headless for the plugin tests (tests/test_qgis_plugin.py)
  want+=(chromium postgresql-15-postgis-3 python3-qgis qgis-providers)
  extras="[test,dask,bench]"  # the Dask engine and the national bench builder are tested too
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
.venv/bin/python -m pip install -q --disable-pip-version-check -e ".${extras}"
