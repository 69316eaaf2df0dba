#!/usr/bin/env bash
# Runs each libFuzzer target of a SIGNET_FUZZ build for SECONDS_PER_TARGET seconds, one
# after the other, each over a copy of its seed corpus (tests/fuzz/corpus/<name>) in a
# temporary directory, so the checked-in corpus is never written to. Uses the dictionary
# tests/fuzz/jose.dict.
#
# Usage: scripts/fuzz.sh BUILD_DIR SECONDS_PER_TARGET
#   BUILD_DIR  a build configured with -DSIGNET_FUZZ=ON (clang), e.g. build-fuzz
#
# Prints one line per target. Exits 1 if any target crashed, hit a sanitizer report, a
# leak, a timeout or the memory limit; the reproducer and the log are kept and their
# paths printed. Reproduce with: BUILD_DIR/tests/fuzz/<name>_fuzz <reproducer>.
# Exits 2 on a usage error.
set -euo pipefail

usage() { sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; }

case "${1:-}" in
  -h | --help)
    usage
    exit 0
    ;;
esac
if [ $# -ne 2 ]; then
  usage >&2
  exit 2
fi
build_dir=$1
seconds=$2
if ! [[ "$seconds" =~ ^[1-9][0-9]*$ ]]; then
  echo "fuzz.sh: SECONDS_PER_TARGET must be a positive integer, got '$seconds'" >&2
  exit 2
fi
repo=$(cd "$(dirname "$0")/.." && pwd)
fuzz_dir="$build_dir/tests/fuzz"
dict="$repo/tests/fuzz/jose.dict"
targets=(json jwk jws)

for name in "${targets[@]}"; do
  if [ ! -x "$fuzz_dir/${name}_fuzz" ]; then
    echo "fuzz.sh: $fuzz_dir/${name}_fuzz not found; configure $build_dir with" \
      "-DSIGNET_FUZZ=ON (CC=clang CXX=clang++) and build it first" >&2
    exit 2
  fi
done

work=$(mktemp -d "${TMPDIR:-/tmp}/signet-fuzz.XXXXXX")
failed=0

# final_stat NAME LOG: the value of libFuzzer's final statistic NAME, or "?".
final_stat() { sed -n "s/^stat::$1: *//p" "$2" | tail -1 | grep . || echo "?"; }

for name in "${targets[@]}"; do
  dir="$work/$name"
  mkdir -p "$dir/corpus" "$dir/artifacts"
  # A copy: libFuzzer adds every new interesting input to its first corpus directory.
  cp -R "$repo/tests/fuzz/corpus/$name/." "$dir/corpus/"
  seeds=$(find "$dir/corpus" -type f | wc -l)
  log="$dir/fuzz.log"
  rc=0
  "$fuzz_dir/${name}_fuzz" -max_total_time="$seconds" -dict="$dict" -max_len=20000 \
    -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$dir/artifacts/" \
    "$dir/corpus" >"$log" 2>&1 || rc=$?
  execs=$(final_stat number_of_executed_units "$log")
  rate=$(final_stat average_exec_per_sec "$log")
  cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -1 | grep -oE '[0-9]+' || echo "?")
  units=$(find "$dir/corpus" -type f | wc -l)
  artifacts=$(find "$dir/artifacts" -type f | sort)
  if [ $rc -eq 0 ] && [ -z "$artifacts" ]; then
    printf '%-10s OK     %ss  %s execs (%s/s)  cov %s  corpus %s -> %s\n' "${name}_fuzz" \
      "$seconds" "$execs" "$rate" "$cov" "$seeds" "$units"
  else
    failed=1
    printf '%-10s FAILED exit %s after %s execs; log: %s\n' "${name}_fuzz" "$rc" "$execs" "$log"
    grep -m1 -E '^(==[0-9]+==ERROR|SUMMARY|.*runtime error|.*property violated)' "$log" |
      sed 's/^/           /' || true
    for artifact in $artifacts; do
      echo "           reproducer: $artifact"
    done
  fi
done

if [ $failed -eq 0 ]; then
  rm -rf "$work"
else
  echo "fuzz.sh: failures above; inputs and logs kept in $work" >&2
fi
exit $failed
