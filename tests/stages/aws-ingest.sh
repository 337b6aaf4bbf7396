#!/usr/bin/env bash
# Ingestion on the AWS engine end to end: the stack deployed into MiniStack with bearer tokens
# (the HTTP API's Lambda authorizer) and the fixture catalogue, the API Gateway shim in front,
# the same suite as the local engine (tests/ingestion.rs) through the deployed functions: the
# ingestion state machine (Distributed Map over the manifest, chains in order), DynamoDB state,
# S3 outputs; then the upload and schedule triggers invoked with their events.
set -euo pipefail
cd "${STRATUS_ROOT:?}"
source tests/lib.sh
source tests/aws/lib.sh
source tests/ingest/lib.sh
aws_tools
stac_tools

TARGET=${CARGO_TARGET_DIR:-target}
STACK=stratus-ingest
OUT=target/aws-ingest
TOKEN="e2e-$(python3 -c 'import secrets; print(secrets.token_hex(8))')"
mkdir -p "$OUT"

cargo build --quiet --bin stratus -p stratus-local
mkdir -p "$OUT/bin" && cp "$TARGET/debug/stratus" "$OUT/bin/stratus"
export STRATUS_BIN=$PWD/$OUT/bin/stratus
cargo build --quiet -p stratus-aws --bins
cargo build --quiet -p stratus-tests --tests
.venv-aws/bin/python tests/aws/build_template.py infra/template.yaml "$OUT/lambda" "$TARGET/debug"

SHIM_PID=
trap 'kill ${MINISTACK_PID:-} ${SHIM_PID:-} 2>/dev/null || true; stop_stac_fixtures' EXIT
start_stac_fixtures "$OUT/stac"
start_ministack "$OUT/ministack.log"
.venv-aws/bin/python -c 'import boto3; boto3.client("s3").create_bucket(Bucket="sam-artifacts")'
# Base64: `sam deploy --parameter-overrides` mangles the quotes of JSON values.
CATALOGUES=$(python3 -c 'import base64, json, os; stac = os.environ["STRATUS_TEST_STAC_URL"]; print(base64.b64encode(json.dumps({"providers": [
  {"name": "fixtures-s2", "url": stac, "collections": {"sentinel2": ["sentinel-2-l2a"]}, "page_size": 2},
  {"name": "fixtures-s1", "url": stac, "collections": {"sentinel1": ["sentinel-1-slc"]}, "filter": "query"}]}).encode()).decode())')
start=$SECONDS
sam deploy --template-file "$OUT/lambda/template.yaml" --stack-name "$STACK" \
  --s3-bucket sam-artifacts --capabilities CAPABILITY_IAM --no-confirm-changeset \
  --no-fail-on-empty-changeset --config-env none \
  --parameter-overrides Architecture=x86_64 AllowLoopback=true IngestTaskTimeout=120 \
    "ApiTokens=$TOKEN" "CatalogueConfig=$CATALOGUES" \
  >"$OUT/sam-deploy.log" 2>&1 || { tail -40 "$OUT/sam-deploy.log" >&2; exit 1; }
echo "sam deploy: stack $STACK in $((SECONDS - start)) s"

start_shim "$STACK" "$OUT/shim.log"
# Unique AOI and variable names: the tests share the deployment (no reset), two at a time.
export STRATUS_E2E_URL=$SHIM_URL STRATUS_E2E_TOKEN=$TOKEN
cargo test --quiet -p stratus-tests --test ingestion -- --ignored --test-threads=2
echo "functions invoked through the shim: $(grep -c ' -> ' "$OUT/shim.log")"
.venv-aws/bin/python tests/aws/ingest_triggers.py "$STACK" "$SHIM_URL" "$TOKEN" tests/ingest "$STRATUS_TEST_FIXTURES"
