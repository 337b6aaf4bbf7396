#!/usr/bin/env bash
# The AWS adapters against a real AWS emulator (MiniStack): the job store, object store and
# ingestion store contract suites (a job list over 3000 jobs), conditional-write races, S3
# presigned URLs, Step Functions start/stop, the task handlers, and every events/*.json
# through its function.
set -euo pipefail
cd "${STRATUS_ROOT:?}"
source tests/lib.sh
source tests/aws/lib.sh
aws_tools

cargo build --quiet -p stratus-aws --tests
start_ministack target/aws-test/ministack-adapters.log
trap 'kill $MINISTACK_PID 2>/dev/null || true' EXIT
STRATUS_LISTING_JOBS=${STRATUS_LISTING_JOBS:-3000} \
  cargo test --quiet -p stratus-aws --test emulator -- --ignored
cargo test --quiet -p stratus-aws --test ingest_emulator -- --ignored
