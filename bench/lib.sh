# shellcheck shell=bash
# Shared by the bench/ scripts; sourced, not run.

# Makes the run's temporary directory $work, removed on exit after every process that
# start() started is stopped.
bench_setup() {
  work=$(mktemp -d)
  pids=()
  trap bench_cleanup EXIT
}

bench_cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}

# start NAME COMMAND...: runs COMMAND --ready-file FIFO, its output in $work/NAME.log;
# sets `port` to the port it reported and `pid` to its pid; exits if the program ends
# first or has said nothing within 30 s. (Not in a command substitution: the pid must
# reach `pids` in the calling shell for the cleanup.)
# shellcheck disable=SC2034  # port and pid are what it gives its caller
start() {
  local name="$1" fd deadline=$((SECONDS + 30))
  shift
  mkfifo "$work/$name.ready"
  "$@" --ready-file "$work/$name.ready" >"$work/$name.log" 2>&1 &
  pid=$!
  pids+=("$pid")
  # Read-write, so that opening it does not wait for a writer that may never come.
  exec {fd}<>"$work/$name.ready"
  until read -r -t 1 -u "$fd" port; do
    if ! kill -0 "$pid" 2>/dev/null || ((SECONDS >= deadline)); then
      echo "$name did not start; log:" >&2
      cat "$work/$name.log" >&2
      exit 1
    fi
  done
  exec {fd}<&-
}

# wrk_latency TIME [us|ms]: a latency as wrk prints it ("812.00us", "1.20ms", "1.01s") in
# microseconds (the default) or milliseconds.
wrk_latency() {
  awk -v t="$1" -v unit="${2:-us}" 'BEGIN {
    if (t ~ /us$/) { sub(/us$/, "", t); us = t }
    else if (t ~ /ms$/) { sub(/ms$/, "", t); us = t * 1000 }
    else if (t ~ /s$/) { sub(/s$/, "", t); us = t * 1000000 }
    else { print "?"; exit }
    if (unit == "ms") { printf "%.3f", us / 1000 } else { printf "%.1f", us } }'
}
