#!/usr/bin/env bash
# Builds and runs every test:
#   1. formatting of all C++ files (clang-format 14, .clang-format);
#   2. a gcc build with -Werror and all tests (unit, conformance, integration);
#   3. a clang build with AddressSanitizer + UndefinedBehaviorSanitizer and all tests
#      again, including the fuzz targets replaying their seed corpus;
#   4. each libFuzzer target for SIGNET_FUZZ_SECONDS (default 60) seconds.
# Usage: scripts/test.sh [--quick]   (--quick: step 2 only)
set -euo pipefail
cd "$(dirname "$0")/.."
quick=0
case "${1:-}" in
  -h|--help) sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
  --quick) quick=1 ;;
esac
scripts/deps.sh
# Third-party clients for tests/interop, pinned by its package-lock.json.
npm ci --prefix tests/interop --no-audit --no-fund --silent
jobs=$(nproc)
passed=0
failed=0

run_ctest() {  # run_ctest BUILD_DIR: runs its tests and adds to the totals
  local log rc=0
  log=$(mktemp)
  ctest --test-dir "$1" --output-on-failure -j "$jobs" 2>&1 | tee "$log" || rc=$?
  local line
  line=$(grep -E 'tests passed, [0-9]+ tests failed out of [0-9]+' "$log" | tail -1 || true)
  if [ -n "$line" ]; then
    local total fails
    total=$(echo "$line" | sed -E 's/.* out of ([0-9]+).*/\1/')
    fails=$(echo "$line" | sed -E 's/.* ([0-9]+) tests failed.*/\1/')
    passed=$((passed + total - fails))
    failed=$((failed + fails))
  else
    failed=$((failed + 1))
  fi
  rm -f "$log"
  return $rc
}

echo "== format"
files=$(git ls-files '*.cc' '*.h')
if ! clang-format --dry-run -Werror $files; then
  echo "clang-format: the files above need formatting (clang-format -i FILE)" >&2
  exit 1
fi

echo "== gcc build and tests"
cmake -S . -B build/release -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
ninja -C build/release
status=0
run_ctest build/release || status=1

if [ $quick -eq 0 ]; then
  echo "== clang ASan+UBSan build and tests (with fuzz corpus replay)"
  CC=clang CXX=clang++ cmake -S . -B build/sanitize -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DSIGNET_SANITIZE=ON -DSIGNET_FUZZ=ON -DSIGNET_BENCH=OFF >/dev/null
  ninja -C build/sanitize
  run_ctest build/sanitize || status=1

  echo "== fuzzing"
  if scripts/fuzz.sh build/sanitize "${SIGNET_FUZZ_SECONDS:-60}"; then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    status=1
  fi
fi

echo
echo "signet: ${passed} passed, ${failed} failed"
exit $status
