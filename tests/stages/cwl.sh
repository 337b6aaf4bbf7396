#!/usr/bin/env bash
# OGC API - Processes Part 2 on the local engine with a real CWL engine: every CWL fixture
# (tests/cwl/*.cwl, among them the water-bodies EO Application Package) passes the reference
# runner's validation (cwltool --validate, from the project venv); then, over real HTTP
# against `stratus serve`, packages are deployed, described, fetched back, replaced and
# undeployed (tests/deploy.rs) and run on cwltool without containers: tools, a scattered
# workflow with a STAC catalog output, staged File/Directory inputs, a failing tool, and a
# dismissed run whose processes must be gone (tests/cwl_local.rs).
set -euo pipefail
cd "${STRATUS_ROOT:?}"
CWLTOOL=.venv/bin/cwltool
[ -x "$CWLTOOL" ] || { echo "no $CWLTOOL: run the tools stage" >&2; exit 1; }
echo "cwltool $("$CWLTOOL" --version | awk '{print $NF}')"
for f in tests/cwl/*.cwl; do
  "$CWLTOOL" --validate "$f" >/dev/null 2>&1 || { "$CWLTOOL" --validate "$f"; exit 1; }
done
echo "$(ls tests/cwl/*.cwl | wc -l) CWL fixtures valid"
cargo build --quiet --bin stratus
start=$SECONDS
STRATUS_CWLTOOL=$PWD/$CWLTOOL cargo test --quiet -p stratus-tests --test deploy --test cwl_local -- --nocapture
echo "Part 2 and CWL runs: $((SECONDS - start)) s"
