#!/usr/bin/env bash
# Runs a command inside a headless Secret Service: its own D-Bus session with gnome-keyring
# unlocked and a throwaway keyring folder. The desk keeps its cache key in the OS keyring, so
# anything that starts a desk (benches) runs under this.
set -euo pipefail
exec dbus-run-session -- bash -c 'export XDG_DATA_HOME="$(mktemp -d)"; echo -n onewindow | gnome-keyring-daemon --unlock --components=secrets >/dev/null 2>&1; exec "$@"' bash "$@"
