//! The release this desk runs: the package's version when it is the packaged desk
//! (`scripts/package-deb.sh` writes it into [`RELEASE_FILE`]), else the crate's version. The
//! hub sees it on every request (and refuses a desk older than its `min_desk_release`); the
//! status bar compares it with what the hub publishes.

use std::path::Path;

/// Where the desk package keeps its own version.
pub const RELEASE_FILE: &str = "/usr/share/onewindow-desk/release";
/// Where the desk package puts the program.
pub const PACKAGED_PROGRAM: &str = "/usr/bin/onewindow-desk";

/// The release of this process, read once at start.
pub fn of_this_program() -> String {
    let packaged = std::env::current_exe().is_ok_and(|p| p == Path::new(PACKAGED_PROGRAM));
    packaged
        .then(|| std::fs::read_to_string(RELEASE_FILE).ok())
        .flatten()
        .map(|v| v.trim().to_string())
        .filter(|v| onewindow_domain::release::is_version(v))
        .unwrap_or_else(|| env!("CARGO_PKG_VERSION").to_string())
}

/// Names this process's release on every request to the hub; once, at start.
pub fn init() -> String {
    let release = of_this_program();
    onewindow_sync::set_release(release.clone());
    release
}
