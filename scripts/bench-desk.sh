#!/usr/bin/env bash
# desk_cold_start_ms: process start → search box usable (the UI calls ui_ready once the search
# box is mounted and focused; the desk writes the time to --ready-file). Median of 5 starts of
# the release build against a release hub with the demo catalog.
# desk_idle_rss_mb / desk_idle_pss_mb: the desk process plus its WebKit processes, 8 s after
# start. RSS counts shared libraries once per process; PSS splits them (closer to real use).
# desk_idle_cpu_pct: CPU time (user + system) of the desk and its WebKit processes over the
# minute after the desk reports ready, hot folder empty, as a percentage of one core.
# desk_idle_cpu_ignored_files_pct: the next minute, with files the scan ignores left in the hot
# folder (~$x.docx, x.tmp, x.part, Thumbs.db).
set -euo pipefail
cd "$(dirname "$0")/.."
hub=target/release/onewindow-hub
desk=target/release/onewindow-desk
out=target/bench/summary.tsv
mkdir -p target/bench
tmp=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$tmp"; }
trap cleanup EXIT

if [ -z "${DISPLAY:-}" ]; then
  for n in $(seq 90 139); do [ -e "/tmp/.X11-unix/X$n" ] || break; done
  Xvfb ":$n" -screen 0 1280x800x24 -nolisten tcp >/dev/null 2>&1 &
  pids+=($!)
  export DISPLAY=":$n"
  for _ in $(seq 1 50); do [ -e "/tmp/.X11-unix/X$n" ] && break; sleep 0.1; done
fi
export WEBKIT_DISABLE_COMPOSITING_MODE=1

"$hub" import-catalog --data "$tmp/hub" demo/catalog-sample.json >/dev/null
"$hub" import-calendar --data "$tmp/hub" demo/holidays.json >/dev/null
"$hub" serve --data "$tmp/hub" --bind 127.0.0.1:0 >"$tmp/hub.out" 2>/dev/null &
pids+=($!)
for _ in $(seq 1 100); do grep -q '^listening on ' "$tmp/hub.out" && break; sleep 0.1; done
url="http://$(sed -n 's/^listening on //p' "$tmp/hub.out")"

descendants() { local p=$1; echo "$p"; for c in $(pgrep -P "$p"); do descendants "$c"; done; }
# Clock ticks of CPU (user + system) used so far by a process and everything under it.
cpu_ticks() {
  local t=0
  for p in $(descendants "$1"); do
    [ -r "/proc/$p/stat" ] || continue
    # Fields after the command name, which may hold spaces: utime and stime are 14 and 15.
    t=$(( t + $(sed 's/^.*) //' "/proc/$p/stat" | awk '{print $12 + $13}') ))
  done
  echo "$t"
}
hz=$(getconf CLK_TCK)
mkdir -p "$tmp/hot"

starts=()
for run in 1 2 3 4 5; do
  ready="$tmp/ready-$run"
  t0=$(date +%s%6N)
  "$desk" --hub-url "$url" --data-dir "$tmp/desk" --hot-folder "$tmp/hot" --ready-file "$ready" \
    >/dev/null 2>&1 &
  dpid=$!
  for _ in $(seq 1 300); do [ -s "$ready" ] && break; sleep 0.02; done
  [ -s "$ready" ] || { echo "desk did not become ready" >&2; kill "$dpid"; exit 1; }
  starts+=($(( ($(cat "$ready") - t0) / 1000 )))
  [ "$run" -lt 5 ] || { idle0=$(cpu_ticks "$dpid"); at0=$(date +%s%N); }
  if [ "$run" -lt 5 ]; then
    kill "$dpid"; wait "$dpid" 2>/dev/null || true
  fi
done
sleep 8
rss=0; pss=0
for p in $(descendants "$dpid"); do
  [ -r "/proc/$p/smaps_rollup" ] || continue
  rss=$(( rss + $(awk '/^Rss:/ {print $2}' "/proc/$p/smaps_rollup") ))
  pss=$(( pss + $(awk '/^Pss:/ {print $2}' "/proc/$p/smaps_rollup") ))
done
# The rest of the minute after ready, left alone.
sleep $(( 60 - ($(date +%s%N) - at0) / 1000000000 ))
idle1=$(cpu_ticks "$dpid"); at1=$(date +%s%N)
for f in '~$x.docx' x.tmp x.part Thumbs.db; do echo "left behind" >"$tmp/hot/$f"; done
sleep 60
idle2=$(cpu_ticks "$dpid"); at2=$(date +%s%N)
kill "$dpid"; wait "$dpid" 2>/dev/null || true
# Ticks over nanoseconds of wall time, as a percentage of one core.
pct() { awk -v t="$1" -v ns="$2" -v hz="$hz" 'BEGIN { printf "%.2f", t * 100 / hz / (ns / 1e9) }'; }
cpu_empty=$(pct $(( idle1 - idle0 )) $(( at1 - at0 )))
cpu_ignored=$(pct $(( idle2 - idle1 )) $(( at2 - at1 )))

median=$(printf '%s\n' "${starts[@]}" | sort -n | sed -n 3p)
echo "desk start to usable search box (ms): ${starts[*]} → median $median"
echo "desk idle memory: RSS $((rss / 1024)) MB, PSS $((pss / 1024)) MB (app + WebKit processes)"
printf 'desk_cold_start_ms\t%s\tms\n' "$median" >>"$out"
printf 'desk_idle_rss_mb\t%s\tMB\n' "$((rss / 1024))" >>"$out"
printf 'desk_idle_pss_mb\t%s\tMB\n' "$((pss / 1024))" >>"$out"
echo "desk idle CPU (app + WebKit, % of one core over 60 s): empty hot folder $cpu_empty, ignored files left in it $cpu_ignored"
printf 'desk_idle_cpu_pct\t%s\t%%\n' "$cpu_empty" >>"$out"
printf 'desk_idle_cpu_ignored_files_pct\t%s\t%%\n' "$cpu_ignored" >>"$out"
