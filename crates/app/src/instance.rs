//! One desk process per data folder, and the window's place between runs.
//!
//! **One process per cache.** The first desk to start on a data folder holds an exclusive lock
//! on `desk.lock` in it for as long as it runs (the OS drops it when the process ends, however
//! it ends), and listens on `desk.sock` beside it. A second launch on the same folder (a clerk
//! double-clicking the icon again) finds the lock taken, asks the first through the socket to
//! raise its window, and exits without touching the cache. Desks on different folders (tests,
//! a training desk beside the real one) do not see each other.
//!
//! **The window's place.** The main window's size, position and maximised state are kept in
//! `window.json` in the data folder and put back at the next start, unless no monitor shows
//! the saved place any more (a projector unplugged), when the window opens at its default.

use std::fs::{File, OpenOptions, TryLockError};
use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

const LOCK_FILE: &str = "desk.lock";
#[cfg(unix)]
const SOCKET_FILE: &str = "desk.sock";
const PLACE_FILE: &str = "window.json";
/// What a second launch writes on the socket.
#[cfg(unix)]
const RAISE: &[u8] = b"raise\n";

/// The outcome of [`claim`].
pub enum Claim {
    /// This process is the desk on the folder; keep the value alive for the process's life.
    First(Instance),
    /// Another process has the folder; it was asked to raise its window (`raised` says
    /// whether it answered).
    Running { raised: bool },
}

/// The lock on a data folder, held while the value lives.
pub struct Instance {
    _lock: File,
    dir: PathBuf,
}

/// Takes the data folder for this process, or asks the process that has it to raise its
/// window. Creates the folder when missing.
pub fn claim(data_dir: &Path) -> io::Result<Claim> {
    std::fs::create_dir_all(data_dir)?;
    let lock = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(data_dir.join(LOCK_FILE))?;
    match lock.try_lock() {
        Ok(()) => Ok(Claim::First(Instance {
            _lock: lock,
            dir: data_dir.to_path_buf(),
        })),
        Err(TryLockError::WouldBlock) => Ok(Claim::Running {
            raised: raise_running(data_dir),
        }),
        Err(TryLockError::Error(e)) => Err(e),
    }
}

/// Asks the desk holding `data_dir` to raise its window; it may still be starting, so this
/// tries for two seconds. Whether it was reached.
#[cfg(unix)]
fn raise_running(data_dir: &Path) -> bool {
    use std::io::Write;
    use std::os::unix::net::UnixStream;
    let socket = data_dir.join(SOCKET_FILE);
    for _ in 0..20 {
        if let Ok(mut s) = UnixStream::connect(&socket)
            && s.write_all(RAISE).is_ok()
        {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    false
}

#[cfg(not(unix))]
fn raise_running(_data_dir: &Path) -> bool {
    false
}

impl Instance {
    /// Calls `raise` each time a second launch on this folder asks, from a thread of its own
    /// that sleeps in `accept` (no cost while nobody knocks). Without a socket (a path too
    /// long for one, an odd file system) second launches still exit; they just cannot raise
    /// this window, which is logged.
    #[cfg(unix)]
    pub fn listen(&self, raise: impl Fn() + Send + 'static) {
        use std::io::Read;
        use std::os::unix::net::UnixListener;
        let socket = self.dir.join(SOCKET_FILE);
        // Left by a process that died: this one holds the lock, so nobody else listens there.
        let _ = std::fs::remove_file(&socket);
        let listener = match UnixListener::bind(&socket) {
            Ok(l) => l,
            Err(e) => {
                tracing::warn!(error = %e, socket = %socket.display(), "second launches cannot raise this window");
                return;
            }
        };
        let spawned = std::thread::Builder::new()
            .name("desk-instance".into())
            .spawn(move || {
                for stream in listener.incoming() {
                    let Ok(mut stream) = stream else { continue };
                    let _ = stream.set_read_timeout(Some(Duration::from_secs(1)));
                    let mut asked = [0u8; 16];
                    let n = stream.read(&mut asked).unwrap_or(0);
                    if asked[..n] == *RAISE {
                        tracing::info!("a second launch raised the window");
                        raise();
                    }
                }
            });
        if let Err(e) = spawned {
            tracing::warn!(error = %e, "second launches cannot raise this window");
        }
    }

    #[cfg(not(unix))]
    pub fn listen(&self, _raise: impl Fn() + Send + 'static) {}
}

/// The main window's place on the screen, in physical pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct WindowPlace {
    pub x: i32,
    pub y: i32,
    pub width: u32,
    pub height: u32,
    pub maximized: bool,
}

/// A monitor's area, in physical pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Screen {
    pub x: i32,
    pub y: i32,
    pub width: u32,
    pub height: u32,
}

/// How much of the window's top edge must be on some monitor for the saved place to be used:
/// enough of the title bar to grab it.
const VISIBLE_W: i64 = 120;
const VISIBLE_H: i64 = 40;

impl WindowPlace {
    /// The saved place, if there is a readable one.
    pub fn load(data_dir: &Path) -> Option<WindowPlace> {
        let path = data_dir.join(PLACE_FILE);
        let text = std::fs::read(&path).ok()?;
        match serde_json::from_slice(&text) {
            Ok(place) => Some(place),
            Err(e) => {
                tracing::warn!(error = %e, file = %path.display(), "saved window place unreadable; default place used");
                None
            }
        }
    }

    /// Saves the place (whole or not at all: written aside, then renamed over the old one).
    pub fn save(&self, data_dir: &Path) -> io::Result<()> {
        let path = data_dir.join(PLACE_FILE);
        let tmp = data_dir.join(format!("{PLACE_FILE}.tmp"));
        std::fs::write(&tmp, serde_json::to_vec(self).map_err(io::Error::other)?)?;
        std::fs::rename(&tmp, &path)
    }

    /// Whether the place can be used on these monitors: at least `min` in size, and enough of
    /// its top edge on one of them to grab it.
    pub fn fits(&self, screens: &[Screen], min: (u32, u32)) -> bool {
        if self.width < min.0 || self.height < min.1 {
            return false;
        }
        screens.iter().any(|s| {
            let left = i64::from(self.x).max(i64::from(s.x));
            let right = (i64::from(self.x) + i64::from(self.width))
                .min(i64::from(s.x) + i64::from(s.width));
            let top = i64::from(self.y).max(i64::from(s.y));
            let bottom = (i64::from(self.y) + VISIBLE_H).min(i64::from(s.y) + i64::from(s.height));
            right - left >= VISIBLE_W && bottom - top >= VISIBLE_H
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_claim_on_a_folder_is_refused_and_raises_the_first() {
        let dir = tempfile::tempdir().unwrap();
        let Claim::First(first) = claim(dir.path()).unwrap() else {
            panic!("the first claim is refused");
        };
        let (tx, rx) = std::sync::mpsc::channel();
        first.listen(move || tx.send(()).unwrap());
        match claim(dir.path()).unwrap() {
            Claim::Running { raised } => assert!(raised, "the first desk was not reached"),
            Claim::First(_) => panic!("two desks hold one folder"),
        }
        rx.recv_timeout(Duration::from_secs(5))
            .expect("the first desk was asked to raise its window");
        // Another folder is another desk.
        let other = tempfile::tempdir().unwrap();
        assert!(matches!(claim(other.path()).unwrap(), Claim::First(_)));
        // Once the first is gone, the folder is free again (its socket left behind is no
        // obstacle).
        drop(first);
        let Claim::First(again) = claim(dir.path()).unwrap() else {
            panic!("the folder stays taken after its desk ended");
        };
        again.listen(|| {});
    }

    #[test]
    fn a_window_place_survives_a_restart_and_is_dropped_when_no_monitor_shows_it() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(WindowPlace::load(dir.path()), None);
        let place = WindowPlace {
            x: 1400,
            y: 100,
            width: 1100,
            height: 700,
            maximized: false,
        };
        place.save(dir.path()).unwrap();
        assert_eq!(WindowPlace::load(dir.path()), Some(place));

        let one = Screen {
            x: 0,
            y: 0,
            width: 1280,
            height: 800,
        };
        let two = Screen {
            x: 1280,
            y: 0,
            width: 1920,
            height: 1080,
        };
        assert!(place.fits(&[one, two], (1024, 640)));
        // The second monitor unplugged: only 0 px of the window's top on the first.
        assert!(!place.fits(&[one], (1024, 640)));
        // Below the window's minimum size.
        let small = WindowPlace {
            width: 800,
            ..place
        };
        assert!(!small.fits(&[one, two], (1024, 640)));
        // Title bar above the top of every screen.
        let above = WindowPlace {
            x: 0,
            y: -60,
            ..place
        };
        assert!(!above.fits(&[one, two], (1024, 640)));

        // A damaged file is ignored, not fatal.
        std::fs::write(dir.path().join(PLACE_FILE), b"{not json").unwrap();
        assert_eq!(WindowPlace::load(dir.path()), None);
    }
}
