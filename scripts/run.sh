#!/usr/bin/env bash
# Builds signetd and runs it on examples/quickstart.yaml (or the config given).
# Usage: scripts/run.sh [CONFIG] [signetd flags...]
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = "-h" ] || [ "${1:-}" = "--help" ]; then
  sed -n '2,3p' "$0" | sed 's/^# //'
  exit 0
fi
scripts/deps.sh
config="${1:-examples/quickstart.yaml}"
shift || true
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
ninja -C build/release signetd
exec build/release/src/signetd --config "$config" "$@"
