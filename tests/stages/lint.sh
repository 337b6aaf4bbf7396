#!/usr/bin/env bash
# Formatting and lints, warnings as errors.
set -euo pipefail
cd "${STRATUS_ROOT:?}"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets --quiet -- -D warnings
