//! The hub's shared state, handed to every handler: the store behind its lock, the blob
//! folder, the blobs being written, the hall board's change feed and the clock.

use std::sync::{Arc, Mutex};

use crate::clock::Clock;
use crate::error::HttpError;
use crate::pool::StorePool;
use crate::store::{HubStore, HubStoreError};
use crate::store_blob::BlobDir;

type BoardFeed = tokio::sync::watch::Sender<Option<Arc<str>>>;

#[derive(Clone)]
pub struct HubState {
    /// SQLite's one connection behind its lock, or PostgreSQL's pool.
    pub(crate) store: Arc<StorePool>,
    pub(crate) blobs: BlobDir,
    /// Blobs a request is writing right now.
    pub(crate) uploading: Arc<Mutex<std::collections::HashSet<String>>>,
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
}

impl HubState {
    pub fn new(store: StorePool, blobs: BlobDir, clock: Clock) -> Self {
        HubState {
            store: Arc::new(store),
            blobs,
            uploading: Arc::default(),
            board: tokio::sync::broadcast::channel(64).0,
            boards: Arc::default(),
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

    /// Tells `centre`'s displays its board changed.
    pub(crate) fn board_changed(&self, centre: &str) {
        let _ = self.board.send(centre.into());
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
                // next board is whole anyway.
                loop {
                    match ticks.recv().await {
                        Ok(c) if c == centre => break,
                        Ok(_) => {}
                        Err(RecvError::Lagged(_)) => break,
                        Err(RecvError::Closed) => return,
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
        let store = self.store.clone();
        tokio::task::spawn_blocking(move || {
            let mut guard = store.get()?;
            f(&mut guard)
        })
        .await
        .map_err(|e| HttpError::internal(format!("store task failed: {e}")))?
        .map_err(HttpError::from)
    }
}
