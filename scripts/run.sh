#!/usr/bin/env bash
# Builds signetd and runs it on examples/quickstart.yaml (or the config given). With the
# quickstart config it also runs the development issuer `signet dev idp` on
# 127.0.0.1:9000, which that config trusts, and stops it when signetd stops.
# Usage: scripts/run.sh [CONFIG] [signetd flags...]
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" = "-h" ] || [ "${1:-}" = "--help" ]; then
  sed -n '2,5p' "$0" | sed 's/^# //'
  exit 0
fi
scripts/deps.sh
config="${1:-examples/quickstart.yaml}"
shift || true
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
ninja -C build/release signetd signet
if [ "$config" = "examples/quickstart.yaml" ]; then
  ready=$(mktemp -u)
  mkfifo "$ready"
  build/release/src/signet dev idp --listen 127.0.0.1:9000 --ready-file "$ready" &
  idp=$!
  trap 'kill $idp 2>/dev/null || true; rm -f "$ready"' EXIT
  # signetd fetches the issuer's keys at start: let the issuer listen first.
  read -r -t 30 _ <"$ready" || { echo "signet dev idp did not start" >&2; exit 1; }
  build/release/src/signetd --config "$config" "$@"
else
  exec build/release/src/signetd --config "$config" "$@"
fi
