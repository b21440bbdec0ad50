//! The hub's shared state, handed to every handler: the store behind its lock, the blob
//! folder, the blobs being written, the hall board's change feed and the clock.

use std::sync::{Arc, Mutex};

use crate::clock::Clock;
use crate::error::HttpError;
use crate::store::{HubStore, HubStoreError};
use crate::store_blob::BlobDir;

#[derive(Clone)]
pub struct HubState {
    pub(crate) store: Arc<Mutex<HubStore>>,
    pub(crate) blobs: BlobDir,
    /// Blobs a request is writing right now.
    pub(crate) uploading: Arc<Mutex<std::collections::HashSet<String>>>,
    /// Ticks when the hall board changed (a call, a recall, a window state): the display pages
    /// listen.
    pub(crate) board: tokio::sync::broadcast::Sender<()>,
    /// The hub's time (`serve --now` starts it at a chosen instant).
    clock: Clock,
}

impl HubState {
    pub fn new(store: HubStore, blobs: BlobDir, clock: Clock) -> Self {
        HubState {
            store: Arc::new(Mutex::new(store)),
            blobs,
            uploading: Arc::default(),
            board: tokio::sync::broadcast::channel(64).0,
            clock,
        }
    }

    /// The hub's clock, to read the time inside a store call.
    pub(crate) fn clock(&self) -> Clock {
        self.clock
    }

    pub(crate) fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.now()
    }

    pub(crate) fn blob_dir(&self) -> &BlobDir {
        &self.blobs
    }

    /// Where a complete blob's bytes are.
    pub(crate) fn blob_path(&self, sha: &str) -> std::path::PathBuf {
        self.blobs.path(sha)
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
            let mut guard = store.lock().unwrap_or_else(|p| p.into_inner());
            f(&mut guard)
        })
        .await
        .map_err(|e| HttpError::internal(format!("store task failed: {e}")))?
        .map_err(HttpError::from)
    }
}
