#!/usr/bin/env bash
# make test's package checks: packages the debug build (debug info stripped), lintian finds no
# error, the hub's unit verifies without a warning and scores below 3.0 in systemd's security
# analysis, both packages install with dpkg -i and apt-get -f install, and the installed hub and
# desk work (tests/e2e/packages.rs). Needs root (it installs the packages on this machine).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
out="$root/target/package-test"
rm -rf "$out"
scripts/package-deb.sh debug "$out" >/dev/null
debs=("$out"/onewindow-hub_*_amd64.deb "$out"/onewindow-desk_*_amd64.deb)

echo "==> lintian"
lintian --fail-on error,warning --tag-display-limit 0 "${debs[@]}" 2> >(grep -v 'running with root privileges' >&2)

sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "==> dpkg -i, apt-get -f install"
if ! $sudo dpkg -i "${debs[@]}"; then
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get -f install -y -qq --no-install-recommends
fi
for p in onewindow-hub onewindow-desk; do
  dpkg-query -W -f='${Status}' "$p" | grep -q "install ok installed" || { echo "error: $p is not installed" >&2; exit 1; }
done

unit=/lib/systemd/system/onewindow-hub.service
echo "==> systemd-analyze verify $unit"
said="$(systemd-analyze verify "$unit" 2>&1 || true)"
if [ -n "$said" ]; then
  echo "error: systemd-analyze verify warned about $unit:" >&2
  echo "$said" >&2
  exit 1
fi
score="$(systemd-analyze security --offline=yes "$unit" 2>&1 | sed -n 's/.*Overall exposure level for [^:]*: \([0-9.]*\).*/\1/p')"
echo "==> systemd-analyze security --offline=yes: $score"
awk -v s="$score" 'BEGIN { exit !(s != "" && s < 3.0) }' || { echo "error: exposure $score is not below 3.0" >&2; exit 1; }

echo "==> the installed hub and desk"
ONEWINDOW_INSTALLED_PACKAGES=1 cargo test -p onewindow-tests --features e2e --test e2e \
  the_installed_hub_serves -- --test-threads=1

echo "==> the installed desk upgrades from its hub (--system, publish-desk, apt, unattended-upgrade)"
installed="$(dpkg-query -W -f='${Version}' onewindow-desk)"
rm -rf "$out/next" "$out/next2"
ONEWINDOW_DEB_VERSION="$installed+next1" scripts/package-deb.sh debug "$out/next" >/dev/null
ONEWINDOW_DEB_VERSION="$installed+next2" scripts/package-deb.sh debug "$out/next2" >/dev/null
ONEWINDOW_NEXT_DESK_DEB="$out/next/onewindow-desk_${installed}+next1_amd64.deb" \
ONEWINDOW_NEXT2_DESK_DEB="$out/next2/onewindow-desk_${installed}+next2_amd64.deb" \
  cargo test -p onewindow-tests --features e2e --test e2e \
  the_installed_desk_upgrades -- --test-threads=1

echo "==> removing keeps the hub's data; purging says where it is"
$sudo dpkg -r onewindow-hub >/dev/null
[ -f /var/lib/onewindow-hub/hub.db ] || { echo "error: dpkg -r onewindow-hub lost /var/lib/onewindow-hub/hub.db" >&2; exit 1; }
said="$($sudo dpkg -P onewindow-hub 2>&1)"
echo "$said" | grep -q "/var/lib/onewindow-hub" || { echo "error: purging did not say where the data is: $said" >&2; exit 1; }
[ -f /var/lib/onewindow-hub/hub.db ] || { echo "error: purging deleted the hub's data" >&2; exit 1; }
[ ! -e /etc/onewindow/hub.toml ] || { echo "error: purging left /etc/onewindow/hub.toml" >&2; exit 1; }
