#!/usr/bin/env bash
# The AWS engine end to end: builds the Lambda bootstraps (x86_64, the host's), deploys
# infra/template.yaml with `sam deploy` into MiniStack, and runs the engine-neutral OGC API
# suites (tests/ogc_api.rs; Part 2 deploy/replace/undeploy/package, tests/deploy.rs) through an
# API Gateway stand-in (tests/aws/apigw_shim.py) that
# invokes the deployed functions with API Gateway v2 events. The real state machine runs the
# real Rust task functions; job records live in DynamoDB, outputs in S3. Then the AWS-only
# scenarios (tests/aws_engine.rs), a deployed CWL package through the state machine's CWL path
# (tests/aws/cwl_path.py), water-bodies on the offline sample scenes uploaded to the results
# bucket (tests/water_bodies.rs, s3:// item URLs), and the measured cold-start init time of
# one function.
set -euo pipefail
cd "${STRATUS_ROOT:?}"
source tests/lib.sh
source tests/aws/lib.sh
aws_tools

ITEM_TIMEOUT=8
STACK=stratus-e2e
OUT=target/aws-test
mkdir -p "$OUT"

cargo build --quiet -p stratus-aws --bins
cargo build --quiet -p stratus-local --bin stratus
cargo build --quiet -p stratus-tests --tests
.venv-aws/bin/python tests/aws/build_template.py infra/template.yaml "$OUT/lambda" "${CARGO_TARGET_DIR:-target}/debug"
echo "bootstraps (debug, stripped): $(du -sh "$OUT/lambda" | cut -f1) for $(ls -d "$OUT"/lambda/*/ | wc -l) functions"

start_ministack "$OUT/ministack-e2e.log"
SHIM_PID=
trap 'kill $MINISTACK_PID ${SHIM_PID:-} 2>/dev/null || true' EXIT
.venv-aws/bin/python -c 'import boto3; boto3.client("s3").create_bucket(Bucket="sam-artifacts")'
start=$SECONDS
sam deploy --template-file "$OUT/lambda/template.yaml" --stack-name "$STACK" \
  --s3-bucket sam-artifacts --capabilities CAPABILITY_IAM --no-confirm-changeset \
  --no-fail-on-empty-changeset --config-env none \
  --parameter-overrides Architecture=x86_64 AllowLoopback=true ItemTimeout=$ITEM_TIMEOUT \
  >"$OUT/sam-deploy.log" 2>&1 || { tail -40 "$OUT/sam-deploy.log" >&2; exit 1; }
echo "sam deploy: stack $STACK in $((SECONDS - start)) s"

start_shim "$STACK" "$OUT/shim.log"
export STRATUS_E2E_URL=$SHIM_URL STRATUS_E2E_RESET_URL=$SHIM_URL/_shim/reset
export STRATUS_E2E_ITEM_TIMEOUT=$ITEM_TIMEOUT
cargo test --quiet -p stratus-tests --test ogc_api -- --test-threads=1
cargo test --quiet -p stratus-tests --test deploy -- --test-threads=1
cargo test --quiet -p stratus-tests --test aws_engine -- --ignored --test-threads=1
rm -rf "$OUT/samples"
"${CARGO_TARGET_DIR:-target}/debug/stratus" samples --size 1024 --data-dir "$OUT/samples" >"$OUT/samples.tsv"
eval "$(.venv-aws/bin/python tests/aws/upload_samples.py "$STACK" "$OUT/samples" "$OUT/samples.tsv")"
# No reset between these tests: it would empty the bucket of the samples.
env -u STRATUS_E2E_RESET_URL cargo test --quiet -p stratus-tests --test water_bodies -- --test-threads=1
# The CWL path of the state machine, with the ECS task's container played by a local process
# of the same cwl-task binary (MiniStack has no container runtime).
.venv-aws/bin/python tests/aws/cwl_path.py "$SHIM_URL" "$STACK" target/debug/cwl-task "$PWD/.venv/bin/cwltool"
echo "functions invoked through the shim: $(grep -c ' -> ' "$OUT/shim.log")"

.venv-aws/bin/python tests/aws/init_time.py "$OUT/lambda/landing-page/bootstrap" events/landing-page.json
