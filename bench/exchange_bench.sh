#!/usr/bin/env bash
# Token exchanges per second and latency of signetd over loopback, beside what one core's
# crypto allows. See docs/benchmarks.md.
set -euo pipefail

usage() {
  cat <<'EOF'
Usage: bench/exchange_bench.sh [options] BUILD_DIR

Starts `signet dev idp` and `signetd` (its SQLite store in a temporary directory),
pins signetd to one CPU and wrk (the load generator, Debian package wrk) to the other,
and for each concurrency drives POST /oauth2/token exchanges of one Kubernetes-shaped
RS256 subject token for an ES256-signed signet-jwt credential. Each exchange verifies
one RS256 signature, signs one ES256 token and commits one audit record.

Then measures, on the same server CPU and with the same OpenSSL, how many
(one RS256 verify + one ES256 sign) pairs per second that core can do
(`openssl speed rsa2048 ecdsap256`), and prints
  exchanges/s, p50, p99, and ratio = exchanges/s / crypto pairs/s
per concurrency as a markdown table.

Options:
  --duration S        seconds per concurrency (default 10)
  --concurrency LIST  comma-separated connection counts (default 1,16,64)
  --fsync on|off      audit.fsync in the server's config (default on)
  --server-cpu N      CPU for signetd (default 0); wrk gets the next one
  -h, --help          this text

Build first: cmake -S . -B build/release -G Ninja && ninja -C build/release signetd signet
Exit status: 1 if any exchange failed (non-2xx) or a program did not start, 2 on usage.
EOF
}

duration=10
concurrency="1,16,64"
fsync=on
server_cpu=0
build=""
while [ $# -gt 0 ]; do
  case "$1" in
    --duration) duration="$2"; shift 2 ;;
    --concurrency) concurrency="$2"; shift 2 ;;
    --fsync) fsync="$2"; shift 2 ;;
    --server-cpu) server_cpu="$2"; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    -*) echo "unknown option $1" >&2; usage >&2; exit 2 ;;
    *) build="$1"; shift ;;
  esac
done
[ -n "$build" ] || { usage >&2; exit 2; }
case "$fsync" in on) fsync_yaml=true ;; off) fsync_yaml=false ;; *) usage >&2; exit 2 ;; esac
signetd="$build/src/signetd"
signet="$build/src/signet"
for b in "$signetd" "$signet"; do
  [ -x "$b" ] || { echo "missing $b: build it first" >&2; exit 2; }
done
command -v wrk >/dev/null || { echo "wrk not found: apt-get install wrk" >&2; exit 2; }
cpus=$(nproc)
load_cpu=$(( (server_cpu + 1) % cpus ))

# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"
bench_setup

start idp taskset -c "$load_cpu" "$signet" dev idp --listen 127.0.0.1:0
idp_port=$port
cat >"$work/signetd.yaml" <<EOF
server:
  issuer: http://127.0.0.1:8080
  data_dir: $work/data
audit:
  fsync: $fsync_yaml
issuers:
  - name: dev
    issuer: http://127.0.0.1:$idp_port
    audiences: [signet]
    algorithms: [RS256]
workloads:
  - name: billing-api
    identities:
      - issuer: dev
        claims: {sub: "system:serviceaccount:billing:api"}
destinations:
  - {name: orders-api, kind: signet-jwt, audience: "https://orders.example"}
policies:
  - {name: billing-orders, workloads: [billing-api], destinations: [orders-api], max_ttl: 10m}
EOF
start signetd taskset -c "$server_cpu" "$signetd" --config "$work/signetd.yaml" --listen 127.0.0.1:0

token=$(curl -sS -d namespace=billing -d serviceaccount=api -d ttl=3600 \
  "http://127.0.0.1:$idp_port/mint" | sed -E 's/.*"token":"([^"]+)".*/\1/')
body="grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Atoken-exchange&subject_token_type=urn%3Aietf%3Aparams%3Aoauth%3Atoken-type%3Ajwt&audience=orders-api&subject_token=$token"
check=$(curl -sS -o /dev/null -w '%{http_code}' -d "$body" "http://127.0.0.1:$port/oauth2/token")
[ "$check" = 200 ] || { echo "a single exchange failed with HTTP $check" >&2; exit 1; }
cat >"$work/exchange.lua" <<EOF
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
wrk.body = "$body"
EOF

# One core's crypto capacity, on the server's core.
speed=$(taskset -c "$server_cpu" openssl speed -seconds 3 rsa2048 ecdsap256 2>/dev/null)
rsa_verify=$(echo "$speed" | awk '/^rsa 2048 bits/ {print $NF}')
ec_sign=$(echo "$speed" | awk '/ecdsa \(nistp256\)/ {print $(NF-1)}')
pairs=$(awk -v v="$rsa_verify" -v s="$ec_sign" 'BEGIN {printf "%.0f", 1 / (1 / v + 1 / s)}')

echo "signetd on CPU $server_cpu, wrk on CPU $load_cpu, audit.fsync $fsync, ${duration}s per row"
echo "one core's crypto: RS256 verify ${rsa_verify}/s, ES256 sign ${ec_sign}/s -> ${pairs} pairs/s"
echo
echo "| concurrency | exchanges/s | p50 ms | p99 ms | exchanges/s ÷ crypto pairs/s |"
echo "|---:|---:|---:|---:|---:|"
failed=0
IFS=',' read -ra levels <<<"$concurrency"
for c in "${levels[@]}"; do
  out=$(taskset -c "$load_cpu" wrk -t 1 -c "$c" -d "${duration}s" --latency \
    -s "$work/exchange.lua" "http://127.0.0.1:$port/oauth2/token")
  if echo "$out" | grep -q "Non-2xx"; then
    echo "concurrency $c: some exchanges failed:" >&2
    echo "$out" >&2
    failed=1
  fi
  rps=$(echo "$out" | awk '/^Requests\/sec/ {printf "%.0f", $2}')
  p50=$(wrk_latency "$(echo "$out" | awk '$1 == "50%" {print $2}')" ms)
  p99=$(wrk_latency "$(echo "$out" | awk '$1 == "99%" {print $2}')" ms)
  ratio=$(awk -v r="$rps" -v p="$pairs" 'BEGIN {printf "%.2f", r / p}')
  echo "| $c | $rps | $p50 | $p99 | $ratio |"
done
exit $failed
