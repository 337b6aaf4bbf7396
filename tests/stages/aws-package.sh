#!/usr/bin/env bash
# Lambda packaging for AWS: every function built with `cargo lambda build --release --arm64`
# (cargo-lambda and zig from PyPI), each bootstrap checked to be an aarch64 executable under
# 15 MB, then `sam build` of infra/template.yaml on top of those builds. Not in the default
# stage list: a cold arm64 release build takes ~20 min on 2 cores (README, "Deploy to AWS").
set -euo pipefail
cd "${STRATUS_ROOT:?}"
source tests/lib.sh
source tests/aws/lib.sh
aws_tools
rustup target add aarch64-unknown-linux-gnu >/dev/null

start=$SECONDS
cargo lambda build --release --arm64 --package stratus-aws
echo "cargo lambda build --release --arm64: $((SECONDS - start)) s"

LIMIT=$((15 * 1000 * 1000))
fail=0
for dir in "${CARGO_TARGET_DIR:-target}"/lambda/*/; do
  name=$(basename "$dir")
  bin="$dir/bootstrap"
  size=$(stat -c %s "$bin")
  arch=$(od -An -t x1 -j 18 -N 2 "$bin" | tr -d ' ')
  printf '%-18s %6s MB  %s\n' "$name" "$(awk "BEGIN {printf \"%.1f\", $size / 1e6}")" \
    "$([ "$arch" = b700 ] && echo aarch64 || echo "NOT aarch64 ($arch)")"
  [ "$arch" = b700 ] && [ "$size" -lt $LIMIT ] || fail=1
done
[ $fail -eq 0 ] || { echo "a bootstrap is not an aarch64 executable under 15 MB" >&2; exit 1; }

start=$SECONDS
sam build --config-env default >"target/sam-build.log" 2>&1 || { tail -30 target/sam-build.log >&2; exit 1; }
echo "sam build (arm64, on the cargo-lambda builds): $((SECONDS - start)) s"
