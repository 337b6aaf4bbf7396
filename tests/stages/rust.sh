#!/usr/bin/env bash
# Unit, contract and end-to-end tests of every crate (the e2e tests spawn `stratus serve`).
set -euo pipefail
cd "${STRATUS_ROOT:?}"
cargo build --quiet --bin stratus
cargo test --workspace --quiet
