#!/usr/bin/env bash
# Lambda packaging for AWS: every function built with `cargo lambda build --release --arm64`
# (cargo-lambda and zig from PyPI; it adds thin LTO and panic=abort), without the workspace's
# release line tables and stripped, each bootstrap checked to be an aarch64 executable within
# Lambda's limits (sizes above the 15 MB goal are reported), then `sam build` of
# infra/template.yaml on top of those builds. Not in the default stage list: one thin-LTO link
# per function makes it the most expensive build of the project (README, "Deploy to AWS").
set -euo pipefail
cd "${STRATUS_ROOT:?}"
source tests/lib.sh
source tests/aws/lib.sh
aws_tools
rustup target add aarch64-unknown-linux-gnu >/dev/null

# Lambda bootstraps carry no debug info (the workspace's release profile keeps line tables for
# the local binary); the same variables apply to `sam build` below.
export CARGO_PROFILE_RELEASE_DEBUG=false CARGO_PROFILE_RELEASE_STRIP=symbols

start=$SECONDS
cargo lambda build --release --arm64 --package stratus-aws
echo "cargo lambda build --release --arm64: $((SECONDS - start)) s"

GOAL=$((15 * 1000 * 1000))
LIMIT=$((50 * 1000 * 1000))
fail=0
for dir in "${CARGO_TARGET_DIR:-target}"/lambda/*/; do
  name=$(basename "$dir")
  bin="$dir/bootstrap"
  size=$(stat -c %s "$bin")
  arch=$(od -An -t x1 -j 18 -N 2 "$bin" | tr -d ' ')
  printf '%-18s %6s MB  %s%s\n' "$name" "$(awk "BEGIN {printf \"%.1f\", $size / 1e6}")" \
    "$([ "$arch" = b700 ] && echo aarch64 || echo "NOT aarch64 ($arch)")" \
    "$([ "$size" -lt $GOAL ] || echo ", above the 15 MB goal")"
  [ "$arch" = b700 ] && [ "$size" -lt $LIMIT ] || fail=1
done
[ $fail -eq 0 ] || { echo "a bootstrap is not an aarch64 executable under 50 MB" >&2; exit 1; }

start=$SECONDS
sam build --config-env default >"target/sam-build.log" 2>&1 || { tail -30 target/sam-build.log >&2; exit 1; }
echo "sam build (arm64, on the cargo-lambda builds): $((SECONDS - start)) s"
