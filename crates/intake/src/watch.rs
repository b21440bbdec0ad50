//! Waking the scan: file-system events where the OS gives them (inotify, ReadDirectoryChangesW),
//! polling for network drives that do not, and a periodic rescan in both cases so that a missed
//! event never leaves a file behind.
//!
//! Only events that can mean a new or changed file wake the scan ([`wakes_scan`]). Reading the
//! folder opens and closes it, and taking a file opens and reads it: on Linux those are access
//! and attribute events on the watched folder, so a watcher that woke on every event would have
//! each scan start the next one, thousands of times a second, on a desk where nothing happens.

use std::ops::ControlFlow;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, RecvTimeoutError, Sender, channel};
use std::time::{Duration, Instant};

use notify::event::{AccessKind, AccessMode, EventKind, ModifyKind};
use notify::{RecursiveMode, Watcher};

use crate::{HotFolder, IntakeError, Outcome};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WatchMode {
    /// OS file events.
    Events,
    /// Poll the folder at this interval (network drives).
    Poll(Duration),
}

/// Whether a file-system event in a watched folder can mean a file to take: a file created,
/// written, closed after writing or renamed in, or a sign from the OS that events were lost
/// (queue overflow) or of a kind it cannot name. Opening, reading and closing without writing
/// (what a scan itself does), attribute and access-time changes, and removals never wake it;
/// the periodic rescan covers anything this leaves out.
pub fn wakes_scan(event: &notify::Event) -> bool {
    if event.need_rescan() {
        return true;
    }
    match event.kind {
        EventKind::Create(_) => true,
        EventKind::Modify(ModifyKind::Metadata(_)) => false,
        // Data, names (a rename in or out), and the platforms' unnamed "modified".
        EventKind::Modify(_) => true,
        EventKind::Access(AccessKind::Close(AccessMode::Write)) => true,
        EventKind::Access(_) => false,
        EventKind::Remove(_) => false,
        EventKind::Any | EventKind::Other => true,
    }
}

/// Wakes the scan loop when something in the folder may have arrived.
pub struct Watch {
    _watcher: Box<dyn Watcher + Send>,
    wake: Receiver<()>,
    nudge: Sender<()>,
}

impl Watch {
    pub fn start(folder: &Path, mode: WatchMode) -> Result<Watch, IntakeError> {
        let (tx, wake) = channel();
        let nudge = tx.clone();
        let handler = move |res: notify::Result<notify::Event>| match res {
            Ok(event) if wakes_scan(&event) => {
                let _ = tx.send(());
            }
            Ok(_) => {}
            // An error from the OS watch may mean lost events: look again.
            Err(_) => {
                let _ = tx.send(());
            }
        };
        let err = |e: notify::Error| IntakeError::Io {
            path: folder.to_path_buf(),
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
            .watch(folder, RecursiveMode::NonRecursive)
            .map_err(err)?;
        Ok(Watch {
            _watcher: watcher,
            wake,
            nudge,
        })
    }

    /// Waits until something arrives in the folder or `timeout` passes; a burst of events is
    /// one wake-up.
    pub fn wait(&self, timeout: Duration) {
        match self.wake.recv_timeout(timeout) {
            Ok(()) | Err(RecvTimeoutError::Timeout) => while self.wake.try_recv().is_ok() {},
            Err(RecvTimeoutError::Disconnected) => std::thread::sleep(timeout),
        }
    }

    /// A handle that wakes [`Watch::wait`] from another thread (to stop the loop at once).
    pub fn nudger(&self) -> Nudger {
        Nudger(self.nudge.clone())
    }
}

/// Wakes a waiting [`Watch`] (see [`Watch::nudger`]).
#[derive(Clone)]
pub struct Nudger(Sender<()>);

impl Nudger {
    pub fn nudge(&self) {
        let _ = self.0.send(());
    }
}

/// How often the scan loop looks at the folder.
#[derive(Debug, Clone, Copy)]
pub struct Pace {
    /// While a file waits to become stable: often enough to take it soon after the delay.
    pub pending: Duration,
    /// With OS events (or polling by the watcher): the safety-net rescan.
    pub rescan: Duration,
    /// Without any watcher (events unavailable): how often to list the folder.
    pub unwatched: Duration,
}

impl Pace {
    /// The desk's pace for a folder with this stability delay.
    pub fn for_stability(stability: Duration) -> Pace {
        Pace {
            pending: (stability / 4).max(Duration::from_millis(20)),
            rescan: Duration::from_secs(5),
            unwatched: Duration::from_millis(500),
        }
    }
}

/// The scan loop every watched folder runs: `scan` once, then sleep until an event that can
/// mean a new file ([`wakes_scan`]), the rescan, or — while `scan` says a file is waiting to
/// become stable — the short pending tick; until `stop` is set or `scan` breaks. `scan`
/// continues with whether a file is pending. Without a `watch`, the folder is listed every
/// `pace.unwatched`.
pub fn drive(
    watch: Option<&Watch>,
    pace: Pace,
    stop: &AtomicBool,
    mut scan: impl FnMut() -> ControlFlow<(), bool>,
) {
    while !stop.load(Ordering::SeqCst) {
        let ControlFlow::Continue(pending) = scan() else {
            return;
        };
        if stop.load(Ordering::SeqCst) {
            return;
        }
        match watch {
            Some(w) => w.wait(if pending { pace.pending } else { pace.rescan }),
            None => std::thread::sleep(if pending {
                pace.pending
            } else {
                pace.unwatched
            }),
        }
    }
}

/// [`drive`] for a bare [`HotFolder`]: scans on every wake-up and hands each outcome to
/// `on_outcome`; the first scan error ends the loop. Returns when `stop` is set.
pub fn run(
    folder: &mut HotFolder,
    watch: &Watch,
    rescan: Duration,
    stop: &AtomicBool,
    mut on_outcome: impl FnMut(Outcome),
) -> Result<(), IntakeError> {
    let pace = Pace {
        rescan,
        ..Pace::for_stability(folder.config().stability)
    };
    let mut failed = None;
    drive(Some(watch), pace, stop, || {
        match folder.scan(Instant::now()) {
            Ok(outcomes) => {
                outcomes.into_iter().for_each(&mut on_outcome);
                ControlFlow::Continue(folder.has_pending())
            }
            Err(e) => {
                failed = Some(e);
                ControlFlow::Break(())
            }
        }
    });
    failed.map_or(Ok(()), Err)
}

#[cfg(test)]
mod tests {
    use super::*;
    use notify::event::{CreateKind, DataChange, MetadataKind, RemoveKind, RenameMode};

    fn wakes(kind: EventKind) -> bool {
        wakes_scan(&notify::Event::new(kind))
    }

    #[test]
    fn only_what_can_bring_a_file_wakes_the_scan() {
        for kind in [
            EventKind::Create(CreateKind::File),
            EventKind::Modify(ModifyKind::Data(DataChange::Any)),
            EventKind::Modify(ModifyKind::Name(RenameMode::To)),
            EventKind::Modify(ModifyKind::Name(RenameMode::Both)),
            EventKind::Modify(ModifyKind::Any),
            EventKind::Access(AccessKind::Close(AccessMode::Write)),
            EventKind::Any,
            EventKind::Other,
        ] {
            assert!(wakes(kind), "{kind:?} should wake the scan");
        }
        for kind in [
            EventKind::Access(AccessKind::Open(AccessMode::Any)),
            EventKind::Access(AccessKind::Close(AccessMode::Read)),
            EventKind::Access(AccessKind::Read),
            EventKind::Access(AccessKind::Any),
            EventKind::Modify(ModifyKind::Metadata(MetadataKind::Any)),
            EventKind::Modify(ModifyKind::Metadata(MetadataKind::AccessTime)),
            EventKind::Remove(RemoveKind::File),
        ] {
            assert!(!wakes(kind), "{kind:?} should not wake the scan");
        }
        let lost = notify::Event::new(EventKind::Other).set_flag(notify::event::Flag::Rescan);
        assert!(wakes_scan(&lost), "lost events wake it");
    }
}
