#!/usr/bin/env bash
# `make run`: a local hub with the demo catalog, and the desk app connected to it.
# Data lives in .onewindow/ and is reused by the next run. Closing the app stops the hub.
set -euo pipefail
cd "$(dirname "$0")/.."
profile_dir="target/debug"
hub="$profile_dir/onewindow-hub"
desk="$profile_dir/onewindow-desk"
data="$PWD/.onewindow"
mkdir -p "$data"

if [ ! -f "$data/hub/hub.db" ]; then
  echo "==> first run: loading the demo catalog and holiday calendar into $data/hub"
  "$hub" import-catalog --data "$data/hub" demo/catalog-sample.json
  "$hub" import-calendar --data "$data/hub" demo/holidays.json
fi
if [ ! -f "$data/hub/.queue-loaded" ]; then
  echo "==> loading the demo queue configuration (domains, windows, tidal rules) into $data/hub"
  "$hub" import-queue --data "$data/hub" demo/queue.json
  touch "$data/hub/.queue-loaded"
fi
# Demo users (an enrolled desk opens on its sign-in screen): a clerk, a hall supervisor and an
# approver for 公安户政 and 市场监管, all with the password onewindow-demo.
if [ ! -f "$data/hub/.users-loaded" ]; then
  echo "==> adding demo users 李窗口 (clerk), 周主管 (supervisor), 王审批 (approver); password onewindow-demo"
  echo onewindow-demo | "$hub" user add --data "$data/hub" --name 李窗口 --role clerk --password-stdin
  echo onewindow-demo | "$hub" user add --data "$data/hub" --name 周主管 --role supervisor --password-stdin
  echo onewindow-demo | "$hub" user add --data "$data/hub" --name 王审批 --role approver \
    --domain GAHZ --domain SCJG --password-stdin
  touch "$data/hub/.users-loaded"
fi
# Demo appointments for today (check in at /kiosk with a code such as K7Q2MX); loaded each
# start, so they are always for the day the demo runs.
"$hub" import-appointments --data "$data/hub" demo/appointments.json || true
if [ ! -f "$data/hub/.elicences-loaded" ]; then
  echo "==> loading the demo e-licence registry into $data/hub"
  "$hub" import-elicences --data "$data/hub" demo/elicences-sample.json
  touch "$data/hub/.elicences-loaded"
fi

# The window's scanner folder, ID-card reader folder and printer. Without CUPS, documents
# "print" into a folder so the demo works on any machine; settings.json in the desk's data
# folder can name a real queue (cups:QUEUE).
mkdir -p "$data/scans" "$data/card-reader"
printer="${ONEWINDOW_PRINTER:-}"
if [ -z "$printer" ]; then
  if command -v lp >/dev/null 2>&1; then printer="cups"; else printer="folder:$data/printed"; fi
fi
echo "==> scanner folder $data/scans, card reader folder $data/card-reader, printer $printer"

if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
  echo "error: no graphical display (DISPLAY/WAYLAND_DISPLAY unset). Run make run from a desktop session," >&2
  echo "       or on a headless machine: xvfb-run -a make run" >&2
  exit 1
fi

port="${ONEWINDOW_HUB_PORT:-8470}"
if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
  echo "==> port $port is taken; letting the hub pick a free one"
  port=0
fi
hub_out="$data/hub.stdout"
"$hub" serve --data "$data/hub" --bind "127.0.0.1:$port" >"$hub_out" &
hub_pid=$!
trap 'kill "$hub_pid" 2>/dev/null; wait "$hub_pid" 2>/dev/null || true' EXIT INT TERM
for _ in $(seq 1 100); do
  grep -q '^listening on ' "$hub_out" 2>/dev/null && break
  kill -0 "$hub_pid" 2>/dev/null || { echo "error: the hub did not start; see $data/hub/logs" >&2; exit 1; }
  sleep 0.1
done
addr=$(sed -n 's/^listening on //p' "$hub_out" | head -n1)
[ -n "$addr" ] || { echo "error: the hub did not report its address" >&2; exit 1; }
echo "==> hub on http://$addr (data $data/hub); starting the desk (data $data/desk)"
echo "==> to enrol the desk (F10; it is 1 号窗口's desk W01 in the demo queue), get a one-time code with"
echo "    $hub enrol --data $data/hub --desk 演示窗口 --desk-code W01"
echo "    then sign in as 李窗口 / onewindow-demo"
"$desk" --hub-url "http://$addr" --data-dir "$data/desk" \
  --hot-folder "$data/scans" --card-reader-dir "$data/card-reader" --printer "$printer"
