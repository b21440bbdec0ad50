//! Waking the scan: file-system events where the OS gives them (inotify, ReadDirectoryChangesW),
//! polling for network drives that do not, and a periodic rescan in both cases so that a missed
//! event never leaves a file behind.

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::time::{Duration, Instant};

use notify::{RecursiveMode, Watcher};

use crate::{HotFolder, IntakeError, Outcome};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WatchMode {
    /// OS file events.
    Events,
    /// Poll the folder at this interval (network drives).
    Poll(Duration),
}

/// Wakes the scan loop when something in the hot folder changes.
pub struct Watch {
    _watcher: Box<dyn Watcher + Send>,
    wake: Receiver<()>,
}

impl Watch {
    pub fn start(hot: &Path, mode: WatchMode) -> Result<Watch, IntakeError> {
        let (tx, wake) = channel();
        let handler = move |res: notify::Result<notify::Event>| {
            if res.is_ok() {
                let _ = tx.send(());
            }
        };
        let err = |e: notify::Error| IntakeError::Io {
            path: hot.to_path_buf(),
            source: std::io::Error::other(e.to_string()),
        };
        let mut watcher: Box<dyn Watcher + Send> = match mode {
            WatchMode::Events => Box::new(notify::recommended_watcher(handler).map_err(err)?),
            WatchMode::Poll(every) => Box::new(
                notify::PollWatcher::new(
                    handler,
                    notify::Config::default().with_poll_interval(every),
                )
                .map_err(err)?,
            ),
        };
        watcher
            .watch(hot, RecursiveMode::NonRecursive)
            .map_err(err)?;
        Ok(Watch {
            _watcher: watcher,
            wake,
        })
    }
}

impl Watch {
    /// Waits until something changes in the folder or `timeout` passes; a burst of events is
    /// one wake-up.
    pub fn wait(&self, timeout: Duration) {
        match self.wake.recv_timeout(timeout) {
            Ok(()) | Err(RecvTimeoutError::Timeout) => while self.wake.try_recv().is_ok() {},
            Err(RecvTimeoutError::Disconnected) => std::thread::sleep(timeout),
        }
    }
}

/// Scans on every wake-up, every `rescan`, and — while a file is waiting to become stable —
/// often enough to take it soon after the stability delay. Returns when `stop` is set.
pub fn run(
    folder: &mut HotFolder,
    watch: &Watch,
    rescan: Duration,
    stop: &AtomicBool,
    mut on_outcome: impl FnMut(Outcome),
) -> Result<(), IntakeError> {
    let tick = (folder.config().stability / 4).max(Duration::from_millis(20));
    while !stop.load(Ordering::SeqCst) {
        for o in folder.scan(Instant::now())? {
            on_outcome(o);
        }
        watch.wait(if folder.has_pending() { tick } else { rescan });
    }
    Ok(())
}
