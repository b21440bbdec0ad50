#!/usr/bin/env bash
# Builds onewindow-desk_<version>_amd64.deb and onewindow-hub_<version>_amd64.deb from binaries
# cargo has built: scripts/package-deb.sh [release|debug] [OUT_DIR]. `make package` builds
# release; `make test` packages its debug build (debug info stripped, fast compression).
# The package files are in installer/debian/.
set -euo pipefail
profile="${1:-release}"
root="$(cd "$(dirname "$0")/.." && pwd)"
out="${2:-$root/target/package}"
bin="$root/target/$profile"
src="$root/installer/debian"
version="${ONEWINDOW_DEB_VERSION:-$(sed -n 's/^version = "\(.*\)"/\1/p' "$root/Cargo.toml" | head -1)}"
for b in onewindow-hub onewindow-desk; do
  [ -x "$bin/$b" ] || { echo "error: $bin/$b is not built (cargo build --$profile -p $b)" >&2; exit 1; }
done
if [ "$profile" = release ]; then compress=(-Zxz); else compress=(-Zgzip -z1); fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
mkdir -p "$out"

# The changelog's newest entry must name the package's version: a build with another version
# (ONEWINDOW_DEB_VERSION, an update's test) gets an entry of its own on top.
changelog() {
  if ! head -1 "$src/changelog" | grep -q "($version)"; then
    printf 'onewindow (%s) unstable; urgency=medium\n\n  * Built from the same source with version %s.\n\n -- OneWindow developers <onewindow@users.noreply.github.com>  %s\n\n' \
      "$version" "$version" "$(date -R)"
  fi
  cat "$src/changelog"
}

# stage PACKAGE: the common parts (binary stripped, docs, man page) under $work/PACKAGE.
stage() {
  local pkg="$1" dir="$work/$1"
  install -d -m 0755 "$dir/DEBIAN" "$dir/usr/bin" "$dir/usr/share/doc/$pkg" "$dir/usr/share/man/man1"
  strip --strip-unneeded --remove-section=.comment --remove-section=.note \
    -o "$dir/usr/bin/$pkg" "$bin/$pkg"
  chmod 0755 "$dir/usr/bin/$pkg"
  install -m 0644 "$src/copyright" "$dir/usr/share/doc/$pkg/copyright"
  changelog | gzip -9n > "$dir/usr/share/doc/$pkg/changelog.gz"
  chmod 0644 "$dir/usr/share/doc/$pkg/changelog.gz"
  gzip -9n < "$src/${pkg#onewindow-}/$pkg.1" > "$dir/usr/share/man/man1/$pkg.1.gz"
  chmod 0644 "$dir/usr/share/man/man1/$pkg.1.gz"
}

# finish PACKAGE: control (shared-library dependencies from dpkg-shlibdeps), md5sums, .deb.
finish() {
  local pkg="$1" dir="$work/$1"
  local shlibs
  mkdir -p "$work/shlibs/debian"
  printf 'Source: onewindow\n\nPackage: %s\nArchitecture: amd64\n' "$pkg" > "$work/shlibs/debian/control"
  shlibs="$(cd "$work/shlibs" && dpkg-shlibdeps -O "$dir/usr/bin/$pkg" | sed -n 's/^shlibs:Depends=//p')"
  [ -n "$shlibs" ] || { echo "error: dpkg-shlibdeps found no dependencies for $pkg" >&2; exit 1; }
  local size
  size="$(du -sk --exclude=DEBIAN "$dir" | cut -f1)"
  sed -e "s/@VERSION@/$version/" -e "s/@SIZE@/$size/" -e "s/@SHLIBS@/$shlibs/" \
    "$src/${pkg#onewindow-}/control.in" > "$dir/DEBIAN/control"
  (cd "$dir" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | sort -z | xargs -0 md5sum) \
    > "$dir/DEBIAN/md5sums"
  chmod 0644 "$dir/DEBIAN/control" "$dir/DEBIAN/md5sums"
  local deb="$out/${pkg}_${version}_amd64.deb"
  dpkg-deb --root-owner-group "${compress[@]}" --build "$dir" "$deb" >/dev/null
  echo "$deb"
}

# The hub: binary, service, settings (a conffile), the system user made by postinst.
stage onewindow-hub
hub="$work/onewindow-hub"
install -D -m 0644 "$src/hub/onewindow-hub.service" "$hub/lib/systemd/system/onewindow-hub.service"
install -D -m 0644 "$src/hub/hub.toml" "$hub/etc/onewindow/hub.toml"
install -m 0644 "$src/hub/README.Debian" "$hub/usr/share/doc/onewindow-hub/README.Debian"
for s in postinst prerm postrm; do install -m 0755 "$src/hub/$s" "$hub/DEBIAN/$s"; done
echo /etc/onewindow/hub.toml > "$hub/DEBIAN/conffiles"
chmod 0644 "$hub/DEBIAN/conffiles"
finish onewindow-hub

# The desk: binary, desktop entry, icons.
stage onewindow-desk
desk="$work/onewindow-desk"
install -D -m 0644 "$src/desk/onewindow-desk.desktop" "$desk/usr/share/applications/onewindow-desk.desktop"
for icon in 32x32:32x32.png 128x128:128x128.png 256x256:128x128@2x.png 512x512:icon.png; do
  install -D -m 0644 "$root/icons/${icon#*:}" "$desk/usr/share/icons/hicolor/${icon%%:*}/apps/onewindow-desk.png"
done
install -D -m 0644 "$src/desk/desk.toml" "$desk/etc/onewindow/desk.toml"
# The package's own version, which the desk names to its hub (crates/app/src/release.rs).
install -d -m 0755 "$desk/usr/share/onewindow-desk"
echo "$version" > "$desk/usr/share/onewindow-desk/release"
chmod 0644 "$desk/usr/share/onewindow-desk/release"
echo /etc/onewindow/desk.toml > "$desk/DEBIAN/conffiles"
chmod 0644 "$desk/DEBIAN/conffiles"
finish onewindow-desk
