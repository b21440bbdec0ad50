#!/usr/bin/env bash
# desk_cold_start_ms: process start → search box usable (the UI calls ui_ready once the search
# box is mounted and focused; the desk writes the time to --ready-file). Median of 5 starts of
# the release build against a release hub with the demo catalog.
# desk_idle_rss_mb / desk_idle_pss_mb: the desk process plus its WebKit processes, 8 s after
# start. RSS counts shared libraries once per process; PSS splits them (closer to real use).
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

starts=()
for run in 1 2 3 4 5; do
  ready="$tmp/ready-$run"
  t0=$(date +%s%6N)
  "$desk" --hub-url "$url" --data-dir "$tmp/desk" --ready-file "$ready" >/dev/null 2>&1 &
  dpid=$!
  for _ in $(seq 1 300); do [ -s "$ready" ] && break; sleep 0.02; done
  [ -s "$ready" ] || { echo "desk did not become ready" >&2; kill "$dpid"; exit 1; }
  starts+=($(( ($(cat "$ready") - t0) / 1000 )))
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
kill "$dpid"; wait "$dpid" 2>/dev/null || true

median=$(printf '%s\n' "${starts[@]}" | sort -n | sed -n 3p)
echo "desk start to usable search box (ms): ${starts[*]} → median $median"
echo "desk idle memory: RSS $((rss / 1024)) MB, PSS $((pss / 1024)) MB (app + WebKit processes)"
printf 'desk_cold_start_ms\t%s\tms\n' "$median" >>"$out"
printf 'desk_idle_rss_mb\t%s\tMB\n' "$((rss / 1024))" >>"$out"
printf 'desk_idle_pss_mb\t%s\tMB\n' "$((pss / 1024))" >>"$out"
