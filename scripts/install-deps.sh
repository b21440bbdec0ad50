#!/usr/bin/env bash
# Installs what building, running or testing OneWindow needs and is missing. Idempotent and
# quick when everything is there. Usage: scripts/install-deps.sh run|test|bench
set -euo pipefail
mode="${1:-run}"

# Debian/Ubuntu packages: Tauri's build packages (WebKitGTK 4.1), CJK fonts so Chinese renders.
# poppler-utils: PDF page counts and first-page thumbnails of scanned materials.
# libdbus-1-dev: the keyring crate's Secret Service client (the device token's home on Linux).
# espeak-ng (its Mandarin voice) and alsa-utils (aplay): the call announcements.
pkgs=(pkg-config build-essential curl file libwebkit2gtk-4.1-dev libxdo-dev libssl-dev
      libayatana-appindicator3-dev librsvg2-dev fonts-noto-cjk poppler-utils libdbus-1-dev
      espeak-ng alsa-utils)
if [ "$mode" = test ] || [ "$mode" = bench ]; then
  # e2e: a virtual display and WebKit's WebDriver; headless Chromium for the hub's pages; a
  # headless Secret Service (gnome-keyring in its own D-Bus session) for the device token.
  pkgs+=(xvfb webkit2gtk-driver chromium chromium-driver gnome-keyring dbus-x11 libsecret-tools)
fi
if [ "$mode" = test ] || [ "$mode" = bench ]; then
  # The hub's store on PostgreSQL: a throwaway cluster per run (scripts/pg-cluster.sh).
  pkgs+=(postgresql)
  # The packages' checks (scripts/test-packages.sh): lintian, systemd-analyze.
  pkgs+=(lintian systemd unattended-upgrades)
  # publish-desk signs the desks' APT repository with gpg.
  pkgs+=(gnupg)
  # provision's sheet: its QR codes read back as a scanner would (zbarimg).
  pkgs+=(zbar-tools)
fi
if [ "$mode" = bench ]; then
  # The intake bench compares against vipsthumbnail.
  pkgs+=(libvips-tools)
fi

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  missing+=(nodejs npm)
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "==> installing packages: ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if ! command -v cargo >/dev/null; then
  echo "error: Rust (cargo) is not installed. Install it with rustup (https://rustup.rs), then run make again." >&2
  exit 1
fi
node_major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$node_major" -lt 20 ]; then
  echo "error: Node.js $node_major is too old for the UI build (Vite 8 needs Node 20.19 or newer)." >&2
  echo "       Install Node.js 20 or newer (e.g. from NodeSource), then run make again." >&2
  exit 1
fi

if [ "$mode" != run ] && ! command -v tauri-driver >/dev/null && [ ! -x "$HOME/.cargo/bin/tauri-driver" ]; then
  echo "==> installing tauri-driver"
  cargo install tauri-driver --locked --version '^2'
fi

# make test checks the dependencies' licences, bans and sources (deny.toml).
if [ "$mode" = test ] && ! command -v cargo-deny >/dev/null && [ ! -x "$HOME/.cargo/bin/cargo-deny" ]; then
  echo "==> installing cargo-deny"
  cargo install cargo-deny --locked --version '^0.20'
fi
