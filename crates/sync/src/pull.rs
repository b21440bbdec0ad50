//! Pulls: the catalog, the calendar, the queue configuration and the decisions' results from
//! the hub into the cache, each resuming from its stored cursor.

use super::*;

/// What one pull did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PullReport {
    pub pages: u32,
    pub rows: u64,
    pub state: StreamState,
}

/// Pulls catalog changes until the hub has no more. A version that fits in
/// [`CATALOG_BUFFER`] is applied in one transaction once its last page is in; a larger one is
/// stored page by page with its cursor (staged) and applied at its checkpoint. Interrupted
/// anywhere, it resumes from the last stored page (or the last whole version).
// No `err` here: offline for days must not log an error per attempt; the app logs changes.
#[tracing::instrument(skip_all, fields(hub = client.base_url()))]
pub async fn pull_catalog(
    client: &HubClient,
    store: &Arc<Mutex<Store>>,
) -> Result<PullReport, SyncError> {
    pull_catalog_buffered(client, store, CATALOG_BUFFER).await
}

/// [`pull_catalog`], holding at most `buffer` bytes of an incomplete version in memory.
pub async fn pull_catalog_buffered(
    client: &HubClient,
    store: &Arc<Mutex<Store>>,
    buffer: usize,
) -> Result<PullReport, SyncError> {
    let mut report = PullReport {
        pages: 0,
        rows: 0,
        state: blocking(store, |s| s.stream_state(CATALOG)).await?,
    };
    // Pages of a version not yet complete wait here, in memory, up to CATALOG_BUFFER bytes:
    // the whole version is then applied in one transaction, written once. A version larger
    // than that goes through the store's staging table a page at a time (written there first,
    // applied at its checkpoint). Either way the live catalog changes only at a checkpoint.
    let mut held: Option<onewindow_proto::CatalogChanges> = None;
    let mut held_bytes = 0usize;
    loop {
        let cursor = held
            .as_ref()
            .map_or(report.state.staged_cursor, |h| h.next_cursor);
        let page = client.catalog_changes(cursor, CATALOG_PAGE).await?;
        if page.has_more && page.next_cursor <= cursor {
            return Err(SyncError::BadResponse(format!(
                "catalog page after {cursor} made no progress"
            )));
        }
        let has_more = page.has_more;
        report.pages += 1;
        report.rows += page.changes.len() as u64;
        held_bytes += page_bytes(&page);
        let page = match held.take() {
            Some(mut h) => {
                h.changes.extend(page.changes);
                h.next_cursor = page.next_cursor;
                h.has_more = page.has_more;
                h.checkpoint = page.checkpoint;
                h
            }
            None => page,
        };
        let staged = report.state.staged_cursor > report.state.cursor;
        if page.checkpoint.is_none() && has_more && !staged && held_bytes <= buffer {
            held = Some(page);
            continue;
        }
        held_bytes = 0;
        let unchanged = page.changes.is_empty()
            && page.checkpoint.as_ref().map(|v| v.id) == report.state.version_id;
        if !unchanged {
            report.state = blocking(store, move |s| s.apply_catalog_page(&page)).await?;
        }
        if !has_more {
            return Ok(report);
        }
    }
}

/// How many pulled catalog bytes the desk holds in memory to apply a version at once.
pub const CATALOG_BUFFER: usize = 64 * 1024 * 1024;

fn page_bytes(page: &onewindow_proto::CatalogChanges) -> usize {
    page.changes
        .iter()
        .map(|c| c.key.len() + c.body.as_ref().map_or(0, |b| b.get().len()) + 64)
        .sum()
}

/// Pulls calendar changes (each a whole year) until the hub has no more.
// No `err` here: offline for days must not log an error per attempt; the app logs changes.
#[tracing::instrument(skip_all, fields(hub = client.base_url()))]
pub async fn pull_calendar(
    client: &HubClient,
    store: &Arc<Mutex<Store>>,
) -> Result<PullReport, SyncError> {
    let mut report = PullReport {
        pages: 0,
        rows: 0,
        state: blocking(store, |s| s.stream_state(CALENDAR)).await?,
    };
    loop {
        let cursor = report.state.cursor;
        let page = client.calendar_changes(cursor).await?;
        if page.has_more && page.next_cursor <= cursor {
            return Err(SyncError::BadResponse(format!(
                "calendar page after {cursor} made no progress"
            )));
        }
        let has_more = page.has_more;
        report.pages += 1;
        report.rows += page.changes.len() as u64;
        if !page.changes.is_empty() {
            report.state = blocking(store, move |s| s.apply_calendar_page(&page)).await?;
        }
        if !has_more {
            return Ok(report);
        }
    }
}

/// Pulls the queue-configuration stream. Each change is a whole configuration and its own
/// checkpoint; a pull with nothing new records the time of the pull.
pub async fn pull_queue_config(
    client: &HubClient,
    store: &Arc<Mutex<Store>>,
) -> Result<PullReport, SyncError> {
    use onewindow_store::catalog::QUEUE_CONFIG;
    let mut report = PullReport {
        pages: 0,
        rows: 0,
        state: blocking(store, |s| s.stream_state(QUEUE_CONFIG)).await?,
    };
    loop {
        let cursor = report.state.cursor;
        let page = match client.queue_config_changes(cursor).await {
            Ok(p) => p,
            // A revoked (or forgotten) desk keeps what it has; its push says why.
            Err(SyncError::Hub {
                status: 401 | 403, ..
            }) => return Ok(report),
            Err(e) => return Err(e),
        };
        if page.has_more && page.next_cursor <= cursor {
            return Err(SyncError::BadResponse(format!(
                "queue configuration page after {cursor} made no progress"
            )));
        }
        let has_more = page.has_more;
        report.pages += 1;
        report.rows += page.changes.len() as u64;
        report.state = blocking(store, move |s| s.apply_queue_config_page(&page)).await?;
        if !has_more {
            return Ok(report);
        }
    }
}

/// Fetches the desk's centre scope (its centre, the items it accepts, where the others are
/// accepted) and keeps it when it changed. A hub from before centres (404) or a desk not yet
/// enrolled (401) has none: the desk then accepts every item, as before; a revoked desk (403)
/// keeps the one it has. Returns whether the stored scope changed.
pub async fn pull_centre_scope(
    client: &HubClient,
    store: &Arc<Mutex<Store>>,
) -> Result<bool, SyncError> {
    let scope = match client.centre_scope().await {
        Ok(s) => s,
        Err(SyncError::Hub {
            status: 401 | 403 | 404,
            ..
        }) => return Ok(false),
        Err(e) => return Err(e),
    };
    blocking(store, move |s| s.save_centre_scope(&scope, s.now())).await
}

/// Pulls the back office's results for this desk's cases; each page and its cursor commit
/// together. Returns how many case steps were applied.
pub async fn pull_results(
    client: &HubClient,
    store: &Arc<Mutex<Store>>,
) -> Result<usize, SyncError> {
    pull_results_waiting(client, store, 0).await
}

/// [`pull_results`], the first request waiting up to `wait` seconds for news when the hub has
/// none yet (push by long poll: the desk learns of a decision the moment it is recorded). The
/// cursor is the stored one, so a desk coming back after a lost connection catches up first.
pub async fn pull_results_waiting(
    client: &HubClient,
    store: &Arc<Mutex<Store>>,
    wait: u32,
) -> Result<usize, SyncError> {
    let mut moved = 0;
    let mut wait = wait;
    loop {
        let cursor = blocking(store, |s| s.stream_state(onewindow_store::push::RESULTS))
            .await?
            .cursor;
        let page = client
            .results_waiting(cursor, std::mem::take(&mut wait))
            .await?;
        if page.has_more && page.next_cursor <= cursor {
            return Err(SyncError::BadResponse(format!(
                "results page after {cursor} made no progress"
            )));
        }
        let has_more = page.has_more;
        if page.results.is_empty() {
            blocking(store, move |s| {
                s.touch_stream(onewindow_store::push::RESULTS, s.now())
            })
            .await?;
        } else {
            moved += blocking(store, move |s| s.apply_results_page(&page, s.now())).await?;
        }
        if !has_more {
            return Ok(moved);
        }
    }
}

/// Fetches the result files the results stream named and the desk does not have yet: each is
/// checked against its SHA-256, handed to `archive` (which writes it with the case's documents
/// and returns its path there), then recorded with its case. Stops at the first failure; the
/// rest wait for the next poll. Returns how many arrived.
pub async fn fetch_result_files(
    client: &HubClient,
    store: &Arc<Mutex<Store>>,
    archive: impl Fn(&onewindow_store::push::PendingResultFile, &[u8]) -> Result<String, String>,
) -> Result<usize, SyncError> {
    let pending = blocking(store, |s| s.pending_result_files()).await?;
    let mut fetched = 0;
    for f in pending {
        let bytes = client.result_file(&f.sha256).await?;
        let rel = archive(&f, &bytes).map_err(|e| {
            SyncError::Store(StoreError::BadInput(format!(
                "result file of case {} cannot be archived: {e}",
                f.case_id
            )))
        })?;
        blocking(store, move |s| {
            s.record_result_file(&f.case_id, &f.sha256, &rel, s.now())
        })
        .await?;
        fetched += 1;
    }
    Ok(fetched)
}
