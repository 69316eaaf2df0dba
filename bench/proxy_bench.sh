#!/usr/bin/env bash
# What signet-agent's credential-injecting proxy adds to a request, beside a direct
# connection to the same upstream and beside nginx. See docs/benchmarks.md.
set -euo pipefail

usage() {
  cat <<'EOF'
Usage: bench/proxy_bench.sh [options] BUILD_DIR

Starts BUILD_DIR/bench/proxy_upstream (an HTTPS server answering a small fixed JSON
body, with a certificate from a CA made for the run) pinned to the load CPU, and each
proxy pinned to the proxy CPU. wrk, pinned to the load CPU beside the upstream, then
drives every mode at each concurrency and the script prints one markdown table:
requests per second, p50/p99 latency, the latency each mode adds to a direct
connection, the proxy's CPU time per request (utime+stime from /proc/PID/stat, before
and after, over the requests served), how busy the proxy core and the load core were,
and requests per second against direct and against nginx.

Modes (wrk speaks HTTPS to the upstream directly, plain HTTP to the local proxies,
which speak HTTPS upstream with the certificate verified):
  direct        wrk -> upstream; the client sends the credential itself
  nginx         wrk -> nginx -> upstream: Debian's nginx as a keep-alive reverse proxy
                (upstream keepalive 64, HTTP/1.1, TLS verified with session reuse,
                one worker, no access log); the client's credential passes through
  nginx-inject  the same nginx doing the agent's job: it replaces the client's (dummy)
                Authorization with the credential, drops x-api-key, streams answers
                unbuffered and logs each request's usage record to a file
  agent         wrk -> signet-agent -> upstream; the client sends a dummy credential
                and the agent injects the real one (needs signetd and signet-agent)
The upstream answers 401 unless Authorization carries the real credential, so a mode
whose proxy did not inject it fails.

Options:
  --modes LIST        comma-separated modes (default direct,nginx,nginx-inject,agent;
                      agent is skipped with a message while signet-agent is not built)
  --concurrency LIST  comma-separated connection counts (default 1,64)
  --duration S        seconds per measured run (default 10)
  --rounds N          measure every (mode, concurrency) N times, interleaved; the
                      table shows medians (default 3)
  --proxy-cpu N       CPU for the proxies (default 0)
  --load-cpu N        CPU for wrk, the upstream and signetd (default 1)
  --agent PATH        the signet-agent binary (default BUILD_DIR/src/signet-agent)
  --max-others PCT    leave out of the medians the runs during which other processes
                      (or the hypervisor) took more than PCT % of the proxy's or the
                      load's core (default 10); a row with no run left is marked
  --raw FILE          also write every run's figures to FILE (tab-separated)
  --quick             a smoke run: --duration 1 --rounds 1
  -h, --help          this text

Build first: cmake -S . -B build/bench -G Ninja -DCMAKE_BUILD_TYPE=Release &&
  ninja -C build/bench proxy_upstream signetd signet signet-agent
Needs wrk, nginx (for the nginx modes), openssl, curl, taskset, python3
(scripts/deps.sh installs them).
Under the table: whether the agent met its targets (p50 added under 100 µs at 1
connection; at 64, at least nginx's requests per second), judged only from runs other
jobs left alone. Exit status: 1 if a request failed (non-2xx, socket error) or a
program did not start, 2 on usage or a missing program; never because of a figure.
EOF
}

modes="direct,nginx,nginx-inject,agent"
concurrency="1,64"
duration=10
rounds=3
proxy_cpu=0
load_cpu=1
agent_bin=""
raw_out=""
max_others=10
build=""
while [ $# -gt 0 ]; do
  case "$1" in
    --modes) modes="${2:?--modes needs a list}"; shift 2 ;;
    --concurrency) concurrency="${2:?--concurrency needs a list}"; shift 2 ;;
    --duration) duration="${2:?--duration needs seconds}"; shift 2 ;;
    --rounds) rounds="${2:?--rounds needs a count}"; shift 2 ;;
    --proxy-cpu) proxy_cpu="${2:?--proxy-cpu needs a CPU}"; shift 2 ;;
    --load-cpu) load_cpu="${2:?--load-cpu needs a CPU}"; shift 2 ;;
    --agent) agent_bin="${2:?--agent needs a path}"; shift 2 ;;
    --raw) raw_out="${2:?--raw needs a file}"; shift 2 ;;
    --max-others) max_others="${2:?--max-others needs a percentage}"; shift 2 ;;
    --quick) duration=1; rounds=1; shift ;;
    -h|--help) usage; exit 0 ;;
    -*) echo "unknown option $1" >&2; usage >&2; exit 2 ;;
    *)
      [ -z "$build" ] || { echo "only one BUILD_DIR, got $build and $1" >&2; exit 2; }
      build="$1"; shift ;;
  esac
done
[ -n "$build" ] || { usage >&2; exit 2; }
for n in "$duration" "$rounds" "$proxy_cpu" "$load_cpu" "$max_others"; do
  [[ "$n" =~ ^[0-9]+$ ]] || { echo "not a number: $n" >&2; exit 2; }
done
((duration >= 1 && rounds >= 1)) || { echo "--duration and --rounds must be >= 1" >&2; exit 2; }
IFS=',' read -ra mode_list <<<"$modes"
IFS=',' read -ra levels <<<"$concurrency"
for m in "${mode_list[@]}"; do
  case "$m" in direct|nginx|nginx-inject|agent) ;; *) echo "unknown mode $m" >&2; exit 2 ;; esac
done

upstream_bin="$build/bench/proxy_upstream"
[ -x "$upstream_bin" ] || { echo "missing $upstream_bin: ninja -C $build proxy_upstream" >&2; exit 2; }
needed=(wrk openssl curl taskset python3 pgrep)
[[ ",$modes," == *,nginx* ]] && needed+=(nginx)
for tool in "${needed[@]}"; do
  command -v "$tool" >/dev/null || { echo "$tool not found: run scripts/deps.sh" >&2; exit 2; }
done
for cpu in "$proxy_cpu" "$load_cpu"; do
  taskset -c "$cpu" true 2>/dev/null || { echo "cannot pin to CPU $cpu" >&2; exit 2; }
done

# shellcheck source=bench/lib.sh
source "$(dirname "$0")/lib.sh"
bench_setup

# The credential the upstream accepts, and the dummy a client of an injecting proxy holds.
credential="sk-bench-$(openssl rand -hex 16)"
dummy="sk-dummy-not-a-credential"
destination=bench            # the proxies serve it under /bench/
path=/v1/messages            # what the upstream sees

# A CA for the run and the upstream's certificate from it, for 127.0.0.1 and localhost
# (nginx checks a name, not an IP address: it is given localhost).
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
  -subj /CN=proxy-bench-ca -addext basicConstraints=critical,CA:TRUE \
  -addext keyUsage=critical,keyCertSign -keyout "$work/ca.key" -out "$work/ca.pem" 2>/dev/null
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=localhost \
  -keyout "$work/upstream.key" -out "$work/upstream.csr" 2>/dev/null
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' >"$work/san.ext"
openssl x509 -req -in "$work/upstream.csr" -CA "$work/ca.pem" -CAkey "$work/ca.key" \
  -CAcreateserial -days 1 -extfile "$work/san.ext" -out "$work/upstream.pem" 2>/dev/null

# Waits until `url` answers 200 when asked with `header` (the process `pid` must stay
# up meanwhile); returns 1 if it died or 10 s passed.
wait_until_serving() {
  local url="$1" header="$2" pid="$3" deadline=$((SECONDS + 10))
  while ((SECONDS < deadline)); do
    kill -0 "$pid" 2>/dev/null || return 1
    [ "$(curl -s -o /dev/null -w '%{http_code}' -H "$header" "$url")" = 200 ] && return 0
    sleep 0.05
  done
  return 1
}

start upstream taskset -c "$load_cpu" "$upstream_bin" --cert "$work/upstream.pem" \
  --key "$work/upstream.key" --expect-authorization "Bearer $credential"
upstream_pid=$pid
upstream_url="https://127.0.0.1:$port"
check=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$work/ca.pem" \
  -H "Authorization: Bearer $dummy" "$upstream_url$path")
[ "$check" = 401 ] || { echo "the upstream accepted a dummy credential ($check)" >&2; exit 1; }

# Per mode: the URL wrk asks, the Authorization it sends, the processes whose CPU time
# is the proxy's and those that share the load CPU with wrk.
declare -A url header proxy_pids load_pids

url[direct]="$upstream_url$path"
header[direct]="Authorization: Bearer $credential"
proxy_pids[direct]=""
load_pids[direct]="$upstream_pid"

# start_nginx NAME LOCATION_DIRECTIVES HTTP_DIRECTIVES: nginx on a free port (nginx cannot
# report the port it bound, so one is picked and tried again if it was taken meanwhile).
start_nginx() {
  local name="$1" location="$2" http_extra="$3" prefix="$work/$1" nginx_port
  mkdir -p "$prefix"
  local user_line=""
  # As root, nginx's workers would run as nobody, who cannot enter the run's directory.
  [ "$(id -u)" -eq 0 ] && user_line="user root root;"
  for _ in 1 2 3; do
    nginx_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    cat >"$prefix/nginx.conf" <<EOF
$user_line
worker_processes 1;
daemon off;
pid $prefix/nginx.pid;
error_log $prefix/error.log warn;
events { worker_connections 1024; }
http {
  client_body_temp_path $prefix/body;
  proxy_temp_path $prefix/proxy;
  fastcgi_temp_path $prefix/fastcgi;
  uwsgi_temp_path $prefix/uwsgi;
  scgi_temp_path $prefix/scgi;
  # Neither side closes a kept-alive connection during a run (the defaults close it
  # after 1000 requests): the agent keeps its connections as long as they serve.
  keepalive_requests 1000000;
  $http_extra
  upstream bench_upstream {
    server 127.0.0.1:${upstream_url##*:};
    keepalive 64;
    keepalive_requests 1000000;
  }
  server {
    listen 127.0.0.1:$nginx_port;
    location /$destination/ {
      proxy_pass https://bench_upstream/;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_ssl_verify on;
      proxy_ssl_trusted_certificate $work/ca.pem;
      proxy_ssl_name localhost;
      proxy_ssl_session_reuse on;
      $location
    }
  }
}
EOF
    taskset -c "$proxy_cpu" nginx -p "$prefix" -c "$prefix/nginx.conf" >"$prefix/stdout.log" 2>&1 &
    pid=$!
    pids+=("$pid")
    url[$name]="http://127.0.0.1:$nginx_port/$destination$path"
    if wait_until_serving "${url[$name]}" "${header[$name]}" "$pid"; then
      proxy_pids[$name]="$pid $(pgrep -P "$pid" | tr '\n' ' ')"
      load_pids[$name]="$upstream_pid"
      return 0
    fi
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  echo "nginx ($name) did not start; its error log:" >&2
  cat "$prefix/error.log" "$prefix/stdout.log" >&2
  exit 1
}

# The agent's whole set-up: signetd (pinned beside the upstream: the broker is not on
# the proxy's node) with an agent issuer trusting this run's agent, a workload for
# whoever runs wrk or curl here (uid, executable and its hash, as attested), a
# static-secret destination whose url is the upstream, a join token, then signet-agent
# pinned to the proxy CPU. Returns 1, having said why, when signet-agent is not built.
start_agent() {
  local agent="${agent_bin:-$build/src/signet-agent}"
  if [ ! -x "$agent" ]; then
    echo "signet-agent not built (no $agent): the agent mode is skipped" >&2
    return 1
  fi
  local signetd="$build/src/signetd" signet="$build/src/signet" b
  for b in "$signetd" "$signet"; do
    [ -x "$b" ] || { echo "missing $b: ninja -C $build signetd signet" >&2; exit 2; }
  done
  local identities="" program exe
  for program in wrk curl; do
    exe=$(readlink -f "$(command -v "$program")")
    identities+="
      - issuer: bench-agents
        claims: {uid: \"$(id -u)\", exe: \"$exe\", sha256: \"$(sha256sum "$exe" | cut -d' ' -f1)\"}"
  done
  cat >"$work/signetd.yaml" <<EOF
server:
  issuer: http://127.0.0.1:8080
  data_dir: $work/signetd-data
audit:
  fsync: false
issuers:
  - name: bench-agents
    kind: agent
    agents: [bench-node]
workloads:
  - name: bench-client
    identities:$identities
destinations:
  - {name: $destination, kind: static-secret, secret: bench-credential, url: "$upstream_url"}
policies:
  - {name: bench, workloads: [bench-client], destinations: [$destination], max_ttl: 1h}
EOF
  start signetd taskset -c "$load_cpu" "$signetd" --config "$work/signetd.yaml" \
    --listen 127.0.0.1:0
  load_pids[agent]="$upstream_pid $pid"
  local admin=(--server "http://127.0.0.1:$port" --token-file "$work/signetd-data/admin.token")
  printf %s "$credential" | "$signet" secret put bench-credential "${admin[@]}" \
    >"$work/signet.log" 2>&1 || { cat "$work/signet.log" >&2; exit 1; }
  "$signet" agent join-token create --agent bench-node "${admin[@]}" >"$work/join-token" \
    2>"$work/signet.log" || { cat "$work/signet.log" >&2; exit 1; }
  cat >"$work/agent.yaml" <<EOF
signetd: http://127.0.0.1:$port
join_token_file: $work/join-token
listen:
  tcp: 127.0.0.1:0
upstream_ca_file: $work/ca.pem
aws_token_file: $work/aws-token
threads: 1
EOF
  start agent taskset -c "$proxy_cpu" "$agent" --config "$work/agent.yaml"
  proxy_pids[agent]="$pid"
  url[agent]="http://127.0.0.1:$port/$destination$path"
  wait_until_serving "${url[agent]}" "${header[agent]}" "$pid" ||
    { echo "signet-agent does not serve ${url[agent]}; log:" >&2; cat "$work/agent.log" >&2; exit 1; }
}

header[nginx]="Authorization: Bearer $credential"
header[nginx-inject]="Authorization: Bearer $dummy"
header[agent]="Authorization: Bearer $dummy"
measured=()
for m in "${mode_list[@]}"; do
  case "$m" in
    direct) measured+=(direct) ;;
    nginx) start_nginx nginx "" "access_log off;" && measured+=(nginx) ;;
    nginx-inject)
      start_nginx nginx-inject "
      proxy_set_header Authorization \"Bearer $credential\";
      proxy_set_header X-Api-Key \"\";
      proxy_set_header Proxy-Authorization \"\";
      proxy_buffering off;
      proxy_request_buffering off;" \
        "log_format usage '\$time_iso8601 $destination \$request_method \$proxy_host \$uri \$upstream_status \$request_length \$upstream_response_length \$request_time';
  access_log $work/nginx-inject/usage.log usage buffer=64k flush=1s;"
      measured+=(nginx-inject) ;;
    agent) start_agent && measured+=(agent) ;;
  esac
done
[ ${#measured[@]} -gt 0 ] || { echo "no mode to measure" >&2; exit 2; }

cpu_ticks() {  # the summed utime+stime, in clock ticks, of the processes given
  local total=0 pid stat fields
  for pid in "$@"; do
    stat=$(<"/proc/$pid/stat") || { echo "process $pid is gone" >&2; exit 1; }
    read -ra fields <<<"${stat##*) }"  # after the command name, which may hold spaces
    total=$((total + fields[11] + fields[12]))  # fields 14 and 15 of proc(5)
  done
  echo "$total"
}

cpu_busy() {  # the ticks CPU $1 spent on anything but idling, whoever ran there
  awk -v cpu="cpu$1" '$1 == cpu {print $2 + $3 + $4 + $7 + $8 + $9}' /proc/stat
}

# One wrk run of `mode` at `c` connections; appends its figures to $work/runs.tsv.
# shellcheck disable=SC2086  # the pid lists are split on purpose: one word per pid
measure() {
  local mode="$1" c="$2" round="$3" out="$work/wrk.out"
  local proxy_before load_before proxy_core_before load_core_before start_time
  proxy_before=$(cpu_ticks ${proxy_pids[$mode]})
  load_before=$(cpu_ticks ${load_pids[$mode]})
  proxy_core_before=$(cpu_busy "$proxy_cpu")
  load_core_before=$(cpu_busy "$load_cpu")
  start_time=$EPOCHREALTIME
  local TIMEFORMAT='%U %S'
  { time taskset -c "$load_cpu" wrk -t 1 -c "$c" -d "${duration}s" --timeout 10s --latency \
      -H "${header[$mode]}" "${url[$mode]}" >"$out"; } 2>"$work/wrk.time"
  local proxy_after load_after proxy_core_after load_core_after wall
  wall=$(awk -v a="$start_time" -v b="$EPOCHREALTIME" 'BEGIN {print b - a}')
  proxy_after=$(cpu_ticks ${proxy_pids[$mode]})
  load_after=$(cpu_ticks ${load_pids[$mode]})
  proxy_core_after=$(cpu_busy "$proxy_cpu")
  load_core_after=$(cpu_busy "$load_cpu")
  if grep -qE "Non-2xx|Socket errors" "$out"; then
    echo "$mode at $c connections: some requests failed:" >&2
    cat "$out" >&2
    exit 1
  fi
  local requests seconds wrk_cpu
  requests=$(awk '/ requests in / {print $1}' "$out")
  seconds=$(awk '/ requests in / {sub(/s,$/, "", $4); print $4}' "$out")
  wrk_cpu=$(awk 'END {print $1 + $2}' "$work/wrk.time")
  printf '%s\t' "$mode" "$c" "$round" "$requests" "$seconds" \
    "$(wrk_latency "$(awk '$1 == "50%" {print $2}' "$out")")" \
    "$(wrk_latency "$(awk '$1 == "99%" {print $2}' "$out")")" \
    "$((proxy_after - proxy_before))" "$((load_after - load_before))" "$wrk_cpu" "$wall" \
    "$((proxy_core_after - proxy_core_before))" >>"$work/runs.tsv"
  echo "$((load_core_after - load_core_before))" >>"$work/runs.tsv"
}

# A short unmeasured run per mode first: connections, TLS sessions, caches and (for the
# agent) the credential are warm before anything is measured.
for mode in "${measured[@]}"; do
  taskset -c "$load_cpu" wrk -t 1 -c 8 -d 1s -H "${header[$mode]}" "${url[$mode]}" >/dev/null
done

# Per run: wrk's count, duration and latencies; the CPU ticks of the proxy and of the
# processes beside wrk, and wrk's CPU seconds; the wall time around all that; and the
# ticks each core was busy for anyone at all, which shows what other jobs took.
printf '%s\t' mode conns round requests seconds p50_us p99_us proxy_ticks load_ticks \
  wrk_cpu_s wall_s proxy_core_ticks >"$work/runs.tsv"
echo load_core_ticks >>"$work/runs.tsv"
# Rounds interleave the modes, each starting one mode further on, so that a slow phase of
# a shared machine does not land on one mode only.
for ((round = 1; round <= rounds; round++)); do
  for c in "${levels[@]}"; do
    for ((i = 0; i < ${#measured[@]}; i++)); do
      measure "${measured[$(((i + round - 1) % ${#measured[@]}))]}" "$c" "$round"
    done
  done
done
[ -z "$raw_out" ] || cp "$work/runs.tsv" "$raw_out"

echo "proxies on CPU $proxy_cpu; wrk, the upstream and signetd on CPU $load_cpu (of $(nproc));" \
  "${duration}s per run, median of $rounds round(s); $(nginx -v 2>&1 | sed 's/.*: //'), $(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2), $(openssl version | cut -d' ' -f1-2)"
echo
python3 - "$work/runs.tsv" "$(getconf CLK_TCK)" "$([ "$proxy_cpu" = "$load_cpu" ] && echo 1 || echo 0)" \
  "$max_others" <<'PY'
import csv
import statistics
import sys

path, hz, one_core = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "1"
max_others = float(sys.argv[4]) / 100
runs = {}
with open(path) as f:
    for row in csv.DictReader(f, delimiter="\t"):
        runs.setdefault((row["mode"], int(row["conns"])), []).append(row)


def median(rows, fn):
    return statistics.median(fn(r) for r in rows)


def ours_on_load_core(r):
    return int(r["load_ticks"]) / hz + float(r["wrk_cpu_s"])


def others(r, core):
    """The share of a core that went to other processes (or the hypervisor) during a run."""
    ours = int(r["proxy_ticks"]) / hz if one_core or core == "proxy_core_ticks" else 0
    if one_core or core == "load_core_ticks":
        ours += ours_on_load_core(r)
    return max(0, int(r[core]) / hz - ours) / float(r["wall_s"])


def quiet(r, mode):
    """Whether other jobs left the cores this run used alone enough to count."""
    busiest = others(r, "load_core_ticks")
    if mode != "direct":
        busiest = max(busiest, others(r, "proxy_core_ticks"))
    return busiest <= max_others


figures = {}  # (mode, conns) -> medians over the quiet rounds (over all when none was)
kept = total = 0
for key, all_rows in runs.items():
    rows = [r for r in all_rows if quiet(r, key[0])]
    total += len(all_rows)
    kept += len(rows)
    figures[key] = {"noisy": not rows}
    rows = rows or all_rows
    figures[key] |= {
        "rps": median(rows, lambda r: int(r["requests"]) / float(r["seconds"])),
        "p50": median(rows, lambda r: float(r["p50_us"])),
        "p99": median(rows, lambda r: float(r["p99_us"])),
        "cpu": median(rows, lambda r: int(r["proxy_ticks"]) * 1e6 / hz / int(r["requests"])),
        "proxy_busy": median(rows, lambda r: int(r["proxy_ticks"]) / hz / float(r["wall_s"])),
        "load_busy": median(rows, lambda r: ours_on_load_core(r) / float(r["wall_s"])),
        "proxy_others": median(rows, lambda r: others(r, "proxy_core_ticks")),
        "load_others": median(rows, lambda r: others(r, "load_core_ticks")),
    }

order = ["direct", "nginx", "nginx-inject", "agent"]
keys = sorted(figures, key=lambda k: (k[1], order.index(k[0])))


def fmt(x, digits=0):
    return "-" if x is None else f"{x:,.{digits}f}"


def percent(x):
    return f"{x * 100:.0f} %"


def of(mode, conns, field):
    f = figures.get((mode, conns))
    return None if f is None else f[field]


print(f"{kept} of {total} runs kept: those during which other processes took more than "
      f"{max_others * 100:.0f} % of a core they used are left out; † marks a row with no run "
      f"left, whose figures are from all its runs and say little.\n")
print("| mode | conns | req/s | p50 µs | p99 µs | p50 added µs | p99 added µs "
      "| proxy CPU µs/req | proxy core busy | load core busy | others on proxy / load core "
      "| req/s ÷ direct | req/s ÷ nginx |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
for mode, conns in keys:
    f = figures[(mode, conns)]
    proxied = mode != "direct"
    direct_p50, direct_p99 = of("direct", conns, "p50"), of("direct", conns, "p99")
    direct_rps, nginx_rps = of("direct", conns, "rps"), of("nginx", conns, "rps")
    added50 = f["p50"] - direct_p50 if proxied and direct_p50 is not None else None
    added99 = f["p99"] - direct_p99 if proxied and direct_p99 is not None else None
    print(f"| {mode}{' †' if f['noisy'] else ''} | {conns} | {fmt(f['rps'])} | {fmt(f['p50'])} | {fmt(f['p99'])} "
          f"| {fmt(added50)} | {fmt(added99)} | {fmt(f['cpu'], 1) if proxied else '-'} "
          f"| {percent(f['proxy_busy']) if proxied else '-'} | {percent(f['load_busy'])} "
          f"| {percent(f['proxy_others']) if proxied else '-'} / {percent(f['load_others'])} "
          f"| {fmt(f['rps'] / direct_rps if direct_rps else None, 2)} "
          f"| {fmt(f['rps'] / nginx_rps if nginx_rps else None, 2)} |")

def verdict(met, *rows):
    if any(r["noisy"] for r in rows):
        return "not judged: from runs other jobs disturbed"
    return "met" if met else "not met"


agent_1, direct_1 = figures.get(("agent", 1)), figures.get(("direct", 1))
agent_64, nginx_64 = figures.get(("agent", 64)), figures.get(("nginx", 64))
if agent_1 and direct_1:
    added = agent_1["p50"] - direct_1["p50"]
    print(f"\nagent p50 added at 1 connection: {added:.0f} µs (target under 100: "
          f"{verdict(added < 100, agent_1, direct_1)})")
if agent_64 and nginx_64:
    ratio = agent_64["rps"] / nginx_64["rps"]
    print(f"agent req/s at 64 connections: {ratio:.2f} of nginx's (target at least 1: "
          f"{verdict(ratio >= 1, agent_64, nginx_64)}); its CPU time per request "
          f"{agent_64['cpu'] / nginx_64['cpu']:.2f} of nginx's")
PY
