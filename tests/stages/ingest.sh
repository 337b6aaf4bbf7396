#!/usr/bin/env bash
# The ingestion workflow on the local engine over real HTTP (tests/ingestion.rs): a real STAC
# API (stac-fastapi-pgstac) with offline Sentinel-1 and Sentinel-2 fixtures, Sentinel-1
# annotation files, the asset server; scenes -> tiles -> aoi -> DONE for both, retries, chain
# re-linking, idempotent re-posts, layer validation, bearer auth; then `stratus ingest`.
set -euo pipefail
cd "${STRATUS_ROOT:?}"
source tests/lib.sh
source tests/ingest/lib.sh
stac_tools

cargo build --quiet --bin stratus
# A private copy: the shared target/ may be rebuilt by other builds while the tests run.
mkdir -p target/ingest-test/bin
cp target/debug/stratus target/ingest-test/bin/stratus
export STRATUS_BIN=$PWD/target/ingest-test/bin/stratus
cargo build --quiet -p stratus-tests --tests
trap 'stop_stac_fixtures' EXIT
start_stac_fixtures target/ingest-test/stac
cargo test --quiet -p stratus-tests --test ingestion -- --ignored --test-threads=2
