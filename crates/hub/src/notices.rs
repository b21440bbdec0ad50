//! News between requests and between hub processes: a hall board that changed (its displays
//! rebuild it) and a device whose results stream grew (its desk's waiting request answers).
//!
//! Inside one process the news goes straight to the listeners. On PostgreSQL every hub process
//! of the county also hears it through the database (`NOTIFY`/`LISTEN`, see
//! [`crate::pool::StorePool::listen`]): a call made through one replica reaches the displays
//! connected to another, and a decision made through one wakes a desk waiting on another.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};

use tokio::sync::Notify;

use crate::pool::Heard;

/// The database channel of hall boards that changed; payload `REPLICA CENTRE`.
pub const BOARD_CHANNEL: &str = "onewindow_board";
/// The database channel of devices with new results; payload `REPLICA DEVICE`.
pub const RESULTS_CHANNEL: &str = "onewindow_results";

/// Who waits for what in this process.
pub(crate) struct Notices {
    /// This process among the county's hub processes (random per start): its own notices come
    /// back from the database and are skipped, it told its listeners already.
    replica: String,
    /// The desks waiting for results, by device: one [`Notify`] per device however many
    /// requests of it wait, gone with the last of them.
    waiting: Mutex<HashMap<String, Weak<Notify>>>,
}

/// One request's wait for results of a device; the device's entry goes with its last waiter.
pub(crate) struct ResultsWaiter {
    notices: Arc<Notices>,
    device: String,
    /// `None` only while dropping.
    notify: Option<Arc<Notify>>,
}

impl ResultsWaiter {
    /// What is woken when the device's results stream grows.
    pub(crate) fn notify(&self) -> &Notify {
        self.notify.as_ref().expect("set until dropped")
    }
}

impl Drop for ResultsWaiter {
    fn drop(&mut self) {
        let mut waiting = self.notices.lock();
        // Clones are made and dropped only under this lock: 1 means no other request waits.
        if let Some(n) = self.notify.take()
            && Arc::strong_count(&n) == 1
        {
            waiting.remove(&self.device);
        }
    }
}

impl Notices {
    pub(crate) fn new() -> Arc<Notices> {
        let mut id = [0u8; 8];
        getrandom::fill(&mut id).expect("the OS random source works");
        Arc::new(Notices {
            replica: id.iter().map(|b| format!("{b:02x}")).collect(),
            waiting: Mutex::default(),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Weak<Notify>>> {
        self.waiting.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A wait for `device`'s results. Register it (`notify().notified()`, enabled) before
    /// reading the stream, so news between the read and the wait is not missed.
    pub(crate) fn wait_for_results(self: &Arc<Self>, device: &str) -> ResultsWaiter {
        let mut waiting = self.lock();
        let notify = match waiting.get(device).and_then(Weak::upgrade) {
            Some(n) => n,
            None => {
                let n = Arc::new(Notify::new());
                waiting.insert(device.to_string(), Arc::downgrade(&n));
                n
            }
        };
        ResultsWaiter {
            notices: self.clone(),
            device: device.to_string(),
            notify: Some(notify),
        }
    }

    /// Wakes the requests of this process waiting for `device`'s results.
    pub(crate) fn results_grew(&self, device: &str) {
        if let Some(n) = self.lock().get(device).and_then(Weak::upgrade) {
            n.notify_waiters();
        }
    }

    /// Wakes every waiting request (the link to the database came back: news may be lost).
    fn wake_all(&self) {
        for n in self.lock().values().filter_map(Weak::upgrade) {
            n.notify_waiters();
        }
    }

    /// `value` as this process sends it through the database.
    pub(crate) fn payload(&self, value: &str) -> String {
        format!("{} {value}", self.replica)
    }

    /// Devices waiting in this process now (`/metrics`).
    pub(crate) fn waiting_devices(&self) -> usize {
        self.lock()
            .values()
            .filter(|w| w.strong_count() > 0)
            .count()
    }

    /// What the database listener heard: another process's news reaches this one's
    /// listeners; `board` is told of a centre whose board changed (`None`: every board may
    /// have, after a reconnection).
    pub(crate) fn heard(&self, heard: Heard<'_>, board: impl Fn(Option<&str>)) {
        match heard {
            Heard::Resync => {
                self.wake_all();
                board(None);
            }
            Heard::Notice { channel, payload } => {
                let Some((from, value)) = payload.split_once(' ') else {
                    return;
                };
                if from == self.replica {
                    return;
                }
                match channel {
                    RESULTS_CHANNEL => self.results_grew(value),
                    BOARD_CHANNEL => board(Some(value)),
                    _ => {}
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_waiter_registered_before_the_news_is_woken_and_its_entry_goes_with_it() {
        let n = Notices::new();
        let w = n.wait_for_results("dev-1");
        {
            let notified = w.notify().notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            n.results_grew("dev-2");
            n.results_grew("dev-1");
            tokio::time::timeout(std::time::Duration::from_secs(1), notified)
                .await
                .expect("woken");
        }
        let w2 = n.wait_for_results("dev-1");
        assert_eq!(n.waiting_devices(), 1);
        drop(w);
        assert_eq!(n.waiting_devices(), 1, "the second waiter still waits");
        drop(w2);
        assert!(
            n.lock().is_empty(),
            "the device's entry went with its last waiter"
        );
    }

    #[test]
    fn its_own_news_from_the_database_is_skipped_and_others_reach_the_board() {
        let n = Notices::new();
        let seen = std::cell::RefCell::new(Vec::new());
        let board = |c: Option<&str>| seen.borrow_mut().push(c.map(str::to_string));
        let own = n.payload("C1");
        n.heard(
            Heard::Notice {
                channel: BOARD_CHANNEL,
                payload: &own,
            },
            board,
        );
        n.heard(
            Heard::Notice {
                channel: BOARD_CHANNEL,
                payload: "0123456789abcdef C2",
            },
            board,
        );
        n.heard(Heard::Resync, board);
        assert_eq!(*seen.borrow(), vec![Some("C2".to_string()), None]);
    }
}
