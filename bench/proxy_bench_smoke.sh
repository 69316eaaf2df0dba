#!/usr/bin/env bash
# ctest proxy_bench_smoke: a short proxy_bench.sh run of every mode (direct, both nginx
# set-ups, signet-agent with its signetd), passing when its table has figures for every
# mode and concurrency. The figures
# themselves are not judged: on a shared machine they say nothing (docs/benchmarks.md).
# Usage: bench/proxy_bench_smoke.sh BUILD_DIR. Exit 77 (skipped) without wrk or nginx.
set -euo pipefail
build="${1:?usage: proxy_bench_smoke.sh BUILD_DIR}"
for tool in wrk nginx; do
  command -v "$tool" >/dev/null || { echo "$tool not installed (scripts/deps.sh): skipped"; exit 77; }
done
table=$("$(dirname "$0")/proxy_bench.sh" --quick "$build")
echo "$table"
# Columns: mode, conns, req/s, p50, p99, p50 added, p99 added, proxy CPU µs/req, ...
echo "$table" | awk -F' *[|] *' '
  function number(x) { return x ~ /^-?[0-9][0-9,]*(\.[0-9]+)?$/ }
  { sub(/ †$/, "", $2) }  # a row from noisy runs only: its figures still have to be there
  $2 ~ /^(direct|nginx|nginx-inject|agent)$/ && number($4) && number($5) && number($6) &&
    ($2 == "direct" || (number($7) && number($8) && number($9))) { seen[$2 " " $3] = 1 }
  END {
    split("direct nginx nginx-inject agent", modes, " ")
    for (m in modes) for (c = 1; c <= 64; c += 63) if (!((modes[m] " " c) in seen)) {
      print "no figures for " modes[m] " at " c " connections" > "/dev/stderr"
      missing = 1
    }
    exit missing
  }'
