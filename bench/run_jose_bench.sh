#!/usr/bin/env bash
# Runs jose_bench and prints, per algorithm, throughput(Signet) / throughput(raw EVP)
# as markdown tables. See docs/benchmarks.md.
set -euo pipefail

usage() {
  cat <<'EOF'
Usage: bench/run_jose_bench.sh [options] BUILD_DIR [-- extra jose_bench flags]

Runs BUILD_DIR/bench/jose_bench with many short repetitions in random interleaved
order and JSON output, pinned with taskset to one core when possible, and prints per
algorithm the ratio
  throughput(Signet) / throughput(raw OpenSSL EVP) = time(raw) / time(Signet)
for signature verify, full JWT verify, sign and full JWT sign, from the minimum and
from the median CPU time over the repetitions. Both sides are measured in the same
process run, so the ratio is what to compare across machines; absolute times are
context only.

Options:
  --repetitions N   repetitions per benchmark (default 15, at least 3)
  --min-time S      seconds per repetition (default 0.1)
  --json FILE       keep the raw benchmark JSON in FILE (default: a temporary file)
  --cpu N           pin to CPU N (default: the last CPU); --cpu none disables pinning
  --check           exit 3 if a signature verify or sign ratio (min) is below 0.9
  -h, --help        this text

Build first (Release):
  cmake -S . -B build-bench -G Ninja -DCMAKE_BUILD_TYPE=Release
  ninja -C build-bench jose_bench

Exit status: the benchmark binary's status if it fails, 2 on usage errors, 3 when
--check finds a ratio below the goal, 0 otherwise.
EOF
}

repetitions=15
min_time=0.1
json_out=""
cpu=""
check=0
build_dir=""
extra=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    -h | --help) usage; exit 0 ;;
    --repetitions) repetitions="${2:?--repetitions needs a value}"; shift 2 ;;
    --min-time) min_time="${2:?--min-time needs a value}"; shift 2 ;;
    --json) json_out="${2:?--json needs a file}"; shift 2 ;;
    --cpu) cpu="${2:?--cpu needs a value}"; shift 2 ;;
    --check) check=1; shift ;;
    --) shift; extra=("$@"); break ;;
    -*) echo "unknown option: $1" >&2; usage >&2; exit 2 ;;
    *)
      if [[ -n "$build_dir" ]]; then
        echo "only one BUILD_DIR, got '$build_dir' and '$1'" >&2
        exit 2
      fi
      build_dir="$1"
      shift
      ;;
  esac
done
if [[ -z "$build_dir" ]]; then
  usage >&2
  exit 2
fi
if ! [[ "$repetitions" =~ ^[0-9]+$ ]] || ((repetitions < 3)); then
  echo "--repetitions must be an integer >= 3" >&2
  exit 2
fi
bin="$build_dir/bench/jose_bench"
if [[ ! -x "$bin" ]]; then
  echo "$bin not found; build it with: ninja -C $build_dir jose_bench" >&2
  exit 2
fi

# One core, so raw and Signet run with the same caches; work from elsewhere that lands
# on that core slows both, and the interleaving below spreads it over both.
pin=()
if [[ "$cpu" != "none" ]] && command -v taskset >/dev/null 2>&1; then
  if [[ -z "$cpu" ]]; then
    cpu=$(($(nproc) - 1))
  fi
  if taskset -c "$cpu" true 2>/dev/null; then
    pin=(taskset -c "$cpu")
  else
    echo "note: cannot pin to CPU $cpu; running unpinned" >&2
  fi
fi

tmp_json=""
if [[ -z "$json_out" ]]; then
  tmp_json=$(mktemp)
  json_out="$tmp_json"
  trap 'rm -f "$tmp_json"' EXIT
fi

# Many short repetitions in random order: on a shared machine the speed of a core
# changes for seconds at a time (measured: +-30% on the 2-core dev VM), so long,
# back-to-back runs can put a whole benchmark in a slow phase and its partner in a
# fast one. Interleaved short runs give every benchmark samples from every phase.
status=0
"${pin[@]}" "$bin" \
  --benchmark_repetitions="$repetitions" \
  --benchmark_min_time="$min_time" \
  --benchmark_enable_random_interleaving=true \
  --benchmark_format=json \
  "${extra[@]}" >"$json_out" || status=$?
if ((status != 0)); then
  echo "jose_bench failed with status $status" >&2
  exit "$status"
fi

python3 - "$json_out" "$check" "${pin[*]:-unpinned}" <<'PY'
import json
import statistics
import sys

path, check, pinning = sys.argv[1], sys.argv[2] == "1", sys.argv[3]
GOAL = 0.9
# jose::kAllAlgorithms order; random interleaving shuffles the JSON.
ORDER = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512",
         "EdDSA"]

with open(path) as f:
    report = json.load(f)

# CPU time of each repetition: the benchmarks are single-threaded, and CPU time leaves
# out the time the process spends descheduled by other work on a shared machine.
samples = {}
for b in report["benchmarks"]:
    if b.get("run_type") == "iteration" and not b.get("error_occurred"):
        samples.setdefault(b["run_name"], []).append(b["cpu_time"])  # microseconds


def stat(family, alg, fn):
    s = samples.get(f"{family}/{alg}")
    return fn(s) if s else None


def ratio(raw, signet):
    return None if raw is None or signet is None else raw / signet


def fmt(x, digits=2):
    return "-" if x is None else f"{x:.{digits}f}"


seen = {name.split("/", 1)[1] for name in samples}
algs = [a for a in ORDER if a in seen] + sorted(seen - set(ORDER))
reps = max((len(s) for s in samples.values()), default=0)
ctx = report.get("context", {})
print(f"jose_bench run {ctx.get('date', '?')}: {ctx.get('num_cpus', '?')} CPUs @ "
      f"{ctx.get('mhz_per_cpu', '?')} MHz, {pinning}, {reps} repetitions per benchmark "
      f"(random interleaving), CPU time.")
print("ratio = throughput(Signet) / throughput(raw EVP) = time(raw) / time(Signet), "
      "from the minimum (min) and the median (med) over the repetitions; goal: min >= 0.9.")

below = []


def table(title, raw_family, signet_family, full_family, headers):
    rows = [a for a in algs if f"{raw_family}/{a}" in samples]
    if not rows:
        return
    print(f"\n{title}\n")
    print(f"| alg | {headers[0]} min (us) | {headers[1]} min (us) | ratio min | ratio med "
          f"| goal | {headers[2]} min (us) | ratio min | ratio med |")
    print("|---|---:|---:|---:|---:|:-:|---:|---:|---:|")
    for alg in rows:
        raw_min, raw_med = stat(raw_family, alg, min), stat(raw_family, alg, statistics.median)
        sig_min, sig_med = (stat(signet_family, alg, min),
                            stat(signet_family, alg, statistics.median))
        full_min, full_med = (stat(full_family, alg, min),
                              stat(full_family, alg, statistics.median))
        r = ratio(raw_min, sig_min)
        ok = r is not None and r >= GOAL
        if not ok:
            below.append(f"{signet_family}/{alg}")
        print(f"| {alg} | {fmt(raw_min, 1)} | {fmt(sig_min, 1)} | {fmt(r)} | "
              f"{fmt(ratio(raw_med, sig_med))} | {'met' if ok else 'NOT met'} | "
              f"{fmt(full_min, 1)} | {fmt(ratio(raw_min, full_min))} | "
              f"{fmt(ratio(raw_med, full_med))} |")


table("Verify (full JWT = JwtVerifier::Verify of the whole token, against raw verify "
      "of its signature):", "BM_RawEvpVerify", "BM_SignetVerifySignature",
      "BM_SignetVerifyJwt", ["raw EVP verify", "VerifySignature", "full JWT verify"])
table("Sign (full JWT = SignJwt: serialize, base64url, sign, against raw sign):",
      "BM_RawEvpSign", "BM_SignetSign", "BM_SignetSignJwt",
      ["raw EVP sign", "SigningKey::Sign", "full SignJwt"])

if below:
    print(f"\nBelow the {GOAL} goal: {', '.join(below)}", file=sys.stderr)
    if check:
        sys.exit(3)
PY
