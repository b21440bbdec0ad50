//! The hub's shared state, handed to every handler: the store behind its lock, the blob
//! folder, the desks waiting for results, the hall board's change feed and the clock.

use std::sync::{Arc, Mutex};

use crate::clock::Clock;
use crate::error::HttpError;
use crate::notices::Notices;
use crate::pool::StorePool;
use crate::store::{HubStore, HubStoreError};
use crate::store_blob::BlobDir;

type BoardFeed = tokio::sync::watch::Sender<Option<Arc<str>>>;

/// How often a watched board is rebuilt without news when other hub processes may make it
/// (PostgreSQL): the safety net under NOTIFY.
const BOARD_REBUILD: std::time::Duration = std::time::Duration::from_secs(30);

#[derive(Clone)]
pub struct HubState {
    /// SQLite's one connection behind its lock, or PostgreSQL's pool.
    pub(crate) store: Arc<StorePool>,
    pub(crate) blobs: BlobDir,
    /// Desks waiting for results, and this process's name among the county's hub processes.
    pub(crate) notices: Arc<Notices>,
    /// This process's counters (`/metrics`).
    pub(crate) metrics: Arc<crate::metrics::Metrics>,
    /// Set once the process is shutting down: waiting requests answer now.
    stopping: tokio::sync::watch::Receiver<bool>,
    /// Ticks with a centre's code when its hall board changed (a call, a recall, a window
    /// state): that centre's display pages listen.
    board: tokio::sync::broadcast::Sender<Arc<str>>,
    /// Each centre's hall board as its display streams send it, built once per change for all
    /// of them (`None` until first built); an entry exists once a display of it connected.
    boards: Arc<Mutex<std::collections::HashMap<String, BoardFeed>>>,
    /// The hub's time (`serve --now` starts it at a chosen instant).
    clock: Clock,
    /// How browsers reach the hub: TLS, the public address, trusted proxies.
    web: Arc<crate::web::WebSettings>,
    /// Password checks (Argon2) running at once: at most half the cores, so a storm of wrong
    /// passwords leaves the others to everyone else.
    pub(crate) password_checks: Arc<tokio::sync::Semaphore>,
    /// The database's epoch (`onewindow_proto::EPOCH_HEADER`), read when the process starts: a
    /// restore from backup, which replaces it, is done with every hub process stopped.
    pub(crate) epoch: Arc<str>,
    /// This process's data folder, for what it serves from files (the desks' APT repository).
    pub(crate) data_dir: Option<Arc<std::path::Path>>,
    /// The protocol this hub serves and the desks it refuses ([`crate::compat`]).
    pub(crate) compat: Arc<crate::compat::Compat>,
}

impl HubState {
    /// The state of a process serving `store`. On PostgreSQL it listens to the database for
    /// the other hub processes' news (hall boards, results; see [`crate::notices`]).
    pub fn new(store: StorePool, blobs: BlobDir, clock: Clock) -> Self {
        let board = tokio::sync::broadcast::channel(64).0;
        let boards: Arc<Mutex<std::collections::HashMap<String, BoardFeed>>> = Arc::default();
        let notices = Notices::new();
        let (heard_notices, heard_board, heard_boards) =
            (notices.clone(), board.clone(), boards.clone());
        store.listen(
            &[
                crate::notices::BOARD_CHANNEL,
                crate::notices::RESULTS_CHANNEL,
            ],
            move |heard| {
                heard_notices.heard(heard, |centre| match centre {
                    Some(c) => {
                        let _ = heard_board.send(c.into());
                    }
                    None => {
                        let centres: Vec<String> = heard_boards
                            .lock()
                            .unwrap_or_else(|p| p.into_inner())
                            .keys()
                            .cloned()
                            .collect();
                        for c in centres {
                            let _ = heard_board.send(c.into());
                        }
                    }
                })
            },
        );
        let epoch: Arc<str> = match store.get().and_then(|mut s| s.epoch(clock.now())) {
            Ok(e) => e.into(),
            Err(e) => {
                // Served without one, pushes are not checked against it; said once, here.
                tracing::error!(error = %e, "the hub's epoch cannot be read");
                "".into()
            }
        };
        HubState {
            epoch,
            data_dir: None,
            compat: Arc::default(),
            store: Arc::new(store),
            blobs,
            notices,
            metrics: Arc::default(),
            stopping: tokio::sync::watch::channel(false).1,
            board,
            boards,
            clock,
            web: Arc::default(),
            password_checks: Arc::new(tokio::sync::Semaphore::new(
                std::thread::available_parallelism().map_or(1, |n| (n.get() / 2).max(1)),
            )),
        }
    }

    /// The same state, reached by browsers as `web` says.
    pub fn with_web(mut self, web: crate::web::WebSettings) -> Self {
        self.web = Arc::new(web);
        self
    }

    /// The same state, serving files from the data folder `data` (the APT repository).
    pub fn with_data_dir(mut self, data: std::path::PathBuf) -> Self {
        self.data_dir = Some(data.into());
        self
    }

    /// The same state, serving desks as `compat` says (hub.toml's `protocol`,
    /// `min_desk_release`).
    pub fn with_compat(mut self, compat: crate::compat::Compat) -> Self {
        self.compat = Arc::new(compat);
        self
    }

    /// The same state, whose waiting requests answer once `stopping` turns true.
    pub fn stopping_on(mut self, stopping: tokio::sync::watch::Receiver<bool>) -> Self {
        self.stopping = stopping;
        self
    }

    /// Resolves once the process is shutting down (never, when nobody said how to tell).
    pub(crate) async fn stopping(&self) {
        let mut rx = self.stopping.clone();
        if rx.wait_for(|s| *s).await.is_err() {
            std::future::pending::<()>().await;
        }
    }

    /// Tells `centre`'s displays its board changed: this process's at once, the other hub
    /// processes' through the database.
    pub(crate) fn board_changed(&self, centre: &str) {
        let _ = self.board.send(centre.into());
        self.tell_others(crate::notices::BOARD_CHANNEL, centre);
    }

    /// Sends news to the other hub processes on the database (PostgreSQL), in the background:
    /// the request that made it does not wait. Nothing to do on SQLite.
    fn tell_others(&self, channel: &'static str, value: &str) {
        if self.store.engine() != onewindow_hub_store::db::Engine::Postgres {
            return;
        }
        let (store, payload) = (self.store.clone(), self.notices.payload(value));
        tokio::task::spawn_blocking(move || {
            if let Err(e) = store.get().and_then(|s| s.notify(channel, &payload)) {
                tracing::warn!(error = %e, channel, "the other hub processes were not told");
            }
        });
    }

    /// `centre`'s board as JSON, rebuilt once per change however many displays watch: the
    /// first caller starts the centre's builder, which waits on the change ticks (nothing runs
    /// while the hall is quiet) and folds a burst of calls into one board.
    pub(crate) fn board_feed(
        &self,
        centre: &str,
    ) -> tokio::sync::watch::Receiver<Option<Arc<str>>> {
        let mut boards = self.boards.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(feed) = boards.get(centre) {
            return feed.subscribe();
        }
        let feed = tokio::sync::watch::channel(None).0;
        let rx = feed.subscribe();
        boards.insert(centre.to_string(), feed.clone());
        drop(boards);
        let (state, mut ticks) = (self.clone(), self.board.subscribe());
        let centre: Arc<str> = centre.into();
        let shared = self.store.engine() == onewindow_hub_store::db::Engine::Postgres;
        tokio::spawn(async move {
            use tokio::sync::broadcast::error::{RecvError, TryRecvError};
            loop {
                let c = centre.clone();
                let clock = state.clock();
                match state
                    .store_call(move |s| s.hall_board(&c, clock.now()))
                    .await
                {
                    Ok(b) => {
                        let json = serde_json::to_string(&b).expect("a board serialises");
                        feed.send_replace(Some(json.into()));
                    }
                    Err(_) => tracing::warn!(%centre, "the hall board cannot be built now"),
                }
                // Wait for a tick of this centre. A lagging receiver only missed ticks: the
                // next board is whole anyway. With other hub processes on the database, the
                // board is also rebuilt every BOARD_REBUILD while its displays watch, in case
                // their news was lost on a link not yet known to be dead.
                let wait = async {
                    loop {
                        match ticks.recv().await {
                            Ok(c) if c == centre => return true,
                            Ok(_) => {}
                            Err(RecvError::Lagged(_)) => return true,
                            Err(RecvError::Closed) => return false,
                        }
                    }
                };
                let go_on = if shared {
                    tokio::time::timeout(BOARD_REBUILD, wait)
                        .await
                        .unwrap_or(true)
                } else {
                    wait.await
                };
                if !go_on {
                    return;
                }
                if feed.receiver_count() == 0 {
                    // Nobody watches any more: the next display starts a builder again.
                    let mut boards = state.boards.lock().unwrap_or_else(|p| p.into_inner());
                    if feed.receiver_count() == 0 {
                        boards.remove(&*centre);
                        return;
                    }
                }
                tokio::time::sleep(std::time::Duration::from_millis(40)).await;
                while !matches!(
                    ticks.try_recv(),
                    Err(TryRecvError::Empty | TryRecvError::Closed)
                ) {}
            }
        });
        rx
    }

    pub(crate) fn web(&self) -> &crate::web::WebSettings {
        &self.web
    }

    /// The hub's clock, to read the time inside a store call.
    pub(crate) fn clock(&self) -> Clock {
        self.clock.clone()
    }

    pub(crate) fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.now()
    }

    pub(crate) fn blob_dir(&self) -> &BlobDir {
        &self.blobs
    }

    pub(crate) async fn store_call<T, F>(&self, f: F) -> Result<T, HttpError>
    where
        T: Send + 'static,
        F: FnOnce(&mut HubStore) -> Result<T, HubStoreError> + Send + 'static,
    {
        self.with_store(f).await
    }

    /// Runs `f` on the store off the async workers.
    pub(crate) async fn with_store<T, F>(&self, f: F) -> Result<T, HttpError>
    where
        T: Send + 'static,
        F: FnOnce(&mut HubStore) -> Result<T, HubStoreError> + Send + 'static,
    {
        let (store, notices) = (self.store.clone(), self.notices.clone());
        // The store's lines belong to the request too (its id).
        let span = tracing::Span::current();
        let (answer, grew) = tokio::task::spawn_blocking(move || {
            let _request = span.enter();
            let mut guard = store.get()?;
            let answer = f(&mut guard);
            // Results it recorded (committed) wake their desks' waiting requests: here below,
            // in the other hub processes through the database, on this same connection.
            let grew = guard.take_new_results();
            for device in &grew {
                if let Err(e) =
                    guard.notify(crate::notices::RESULTS_CHANNEL, &notices.payload(device))
                {
                    tracing::warn!(error = %e, "the other hub processes were not told of new results");
                }
            }
            Ok::<_, HubStoreError>((answer, grew))
        })
        .await
        .map_err(|e| HttpError::internal(format!("store task failed: {e}")))?
        .map_err(HttpError::from)?;
        for device in &grew {
            self.notices.results_grew(device);
        }
        answer.map_err(HttpError::from)
    }
}
