#!/usr/bin/env bash
# Installs the Debian 12 packages Signet builds and tests with, when any is missing.
# Usage: scripts/deps.sh            (quiet when everything is present)
set -euo pipefail

# wrk and nginx: the load generator and the reverse proxy bench/ compares against.
packages=(
  build-essential cmake ninja-build pkg-config git curl python3 nodejs wrk nginx prometheus
  clang clang-format lld libclang-rt-14-dev
  libssl-dev libsqlite3-dev libyaml-cpp-dev libcli11-dev libspdlog-dev libfmt-dev
  libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev
  libgtest-dev libgmock-dev libbenchmark-dev
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "deps: installing ${missing[*]}" >&2
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "deps: run as root or install sudo" >&2; exit 1; }
  sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
