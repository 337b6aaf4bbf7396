#!/usr/bin/env bash
# The test command: installs every tool the tests need (project venv, npm packages, Debian
# packages), then runs each suite. `tests/run.sh` runs all; `tests/run.sh STAGE...` runs some.
set -euo pipefail
cd "$(dirname "$0")/.."
export STRATUS_ROOT=$PWD
export CARGO_TERM_COLOR=${CARGO_TERM_COLOR:-never}

stages=("$@")
[ ${#stages[@]} -gt 0 ] || stages=(tools lint rust cwl water-bodies ogc seed ingest html browser aws-static aws-emulator aws-e2e aws-ingest)

for stage in "${stages[@]}"; do
  script="tests/stages/$stage.sh"
  [ -f "$script" ] || { echo "unknown stage: $stage (see tests/stages/)" >&2; exit 2; }
  echo "==> stage $stage"
  start=$SECONDS
  bash "$script"
  echo "==> stage $stage passed in $((SECONDS - start)) s"
done
