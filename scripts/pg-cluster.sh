#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the hub's tests and benches: a temp folder, a free port,
# trust authentication on 127.0.0.1 only, gone when stopped.
#
#   scripts/pg-cluster.sh start DIR   prints the cluster's admin URL (postgres://postgres@127.0.0.1:PORT/postgres)
#   scripts/pg-cluster.sh stop DIR
#
# Debian does not put initdb on the PATH, and initdb and postgres refuse to run as root: when
# run as root, the cluster runs as the `postgres` user the package creates, on a folder it owns.
set -euo pipefail
cmd="${1:?usage: pg-cluster.sh start|stop DIR}"
dir="${2:?usage: pg-cluster.sh start|stop DIR}"

bin=""
for d in /usr/lib/postgresql/*/bin; do
  [ -x "$d/initdb" ] && bin="$d"
done
if [ -z "$bin" ]; then
  echo "error: PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb); run scripts/install-deps.sh test" >&2
  exit 1
fi

as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    # runuser keeps no root privileges and needs no password (su would ask under some PAM setups).
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

case "$cmd" in
  start)
    mkdir -p "$dir"
    # The cluster's own folder belongs to its owner and sits in the temp folder, where that user
    # can reach it even when DIR's parents are private to root; DIR records where it is.
    cluster=$(as_owner mktemp -d -t onewindow-pg.XXXXXX)
    echo "$cluster" >"$dir/cluster"
    # C collation: text orders by code point, as on SQLite.
    as_owner "$bin/initdb" -D "$cluster/data" -U postgres --auth=trust --locale=C.UTF-8 --encoding=UTF8 >"$dir/initdb.log" 2>&1 \
      || { cat "$dir/initdb.log" >&2; exit 1; }
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    # Sockets in the cluster's own folder, not /var/run/postgresql (which may not exist).
    as_owner "$bin/pg_ctl" -D "$cluster/data" -l "$cluster/server.log" -w -t 60 start \
      -o "-p $port -k $cluster -c listen_addresses=127.0.0.1 -c max_connections=300" >/dev/null \
      || { cat "$cluster/server.log" >&2; exit 1; }
    echo "$port" >"$dir/port"
    echo "postgres://postgres@127.0.0.1:$port/postgres" | tee "$dir/url"
    ;;
  stop)
    if [ -f "$dir/cluster" ]; then
      cluster=$(cat "$dir/cluster")
      as_owner "$bin/pg_ctl" -D "$cluster/data" -m immediate -w stop >/dev/null 2>&1 || true
      case "$cluster" in /tmp/onewindow-pg.*) rm -rf "$cluster" ;; esac
    fi
    rm -rf "$dir"
    ;;
  *)
    echo "usage: pg-cluster.sh start|stop DIR" >&2
    exit 2
    ;;
esac
