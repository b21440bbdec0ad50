#!/usr/bin/env bash
# Runs a command with a throwaway PostgreSQL cluster (scripts/pg-cluster.sh) whose admin URL is
# in ONEWINDOW_TEST_PG; the cluster is stopped and removed afterwards, whatever the outcome.
#   scripts/with-postgres.sh cargo test -p onewindow-tests --test integration
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
dir="$(mktemp -d -t onewindow-with-pg.XXXXXX)"
trap '"$here/pg-cluster.sh" stop "$dir"' EXIT
ONEWINDOW_TEST_PG="$("$here/pg-cluster.sh" start "$dir")"
export ONEWINDOW_TEST_PG
echo "==> PostgreSQL for this run: $ONEWINDOW_TEST_PG"
"$@"
