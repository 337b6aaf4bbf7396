#!/usr/bin/env bash
# Installs what the test stages need on a fresh machine: Debian packages, the project venv
# (.venv, from tests/requirements.txt) and the Rust components. Re-running is cheap.
set -euo pipefail
cd "${STRATUS_ROOT:?}"
source tests/lib.sh

apt_install gdal-bin python3-gdal curl

rustup component add rustfmt clippy >/dev/null 2>&1 || true

if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
want=$(sha256sum tests/requirements.txt | cut -d' ' -f1)
have=$(cat .venv/.requirements.sha256 2>/dev/null || true)
if [ "$want" != "$have" ]; then
  .venv/bin/pip install --quiet --upgrade pip
  .venv/bin/pip install --quiet -r tests/requirements.txt
  echo "$want" > .venv/.requirements.sha256
fi
echo "tools ready: $(.venv/bin/python --version), schemathesis $(.venv/bin/schemathesis --version | awk '{print $NF}')"
