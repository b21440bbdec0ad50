//! The sync service: the desk's link to the hub and the status bar that shows it. Pulls
//! (calendar, queue configuration, catalog) on a timer and on F5, the push of the outbox and
//! the audit log, the results stream pushed by the hub (a waiting request), enrolment's first sync, re-downloading a
//! stream, rebuilding the cache, and the rejected ops the clerk decides on.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use chrono::{DateTime, SecondsFormat, Utc};
use onewindow_domain::provision::Provision;
use onewindow_sync::{HubClient, SyncError};

use crate::cache::{Cache, PULL_STREAMS, StatusReads};
use crate::catalog::Catalog;
use crate::desk::DeskConfig;
use crate::dto::{self, AppError, Connectivity, DeskStatus};
use crate::error::ErrorCode;
use crate::intake::Intake;
use crate::locks::{DeskMutex, Rank};
use crate::session::Session;

/// How long one request for decisions waits at the hub for news (long poll): the hub answers
/// the moment a decision on one of this desk's cases is recorded, through whichever of the
/// county's hub processes.
pub const RESULTS_WAIT_S: u32 = 25;

/// One wait, a little shorter now and then ([`RESULTS_WAIT_S`] − 0…5 s): the desks of a county
/// that all reconnected at once (a hub restarted) do not keep asking again in step.
fn results_wait() -> u32 {
    use std::hash::BuildHasher;
    // Each RandomState is seeded afresh: a random number without a crate for it.
    let r = std::collections::hash_map::RandomState::new().hash_one(0u8);
    RESULTS_WAIT_S - (r % 6) as u32
}

/// How often the window asks for decisions when the hub cannot wait: after a failed request
/// (the connection lost; the next request catches up from the stored cursor), or with a hub
/// from before long polls, which answers at once.
pub const RESULTS_POLL: std::time::Duration = std::time::Duration::from_millis(1000);

#[derive(Debug, Default)]
struct SyncStatus {
    connectivity: Option<bool>,
    last_error: Option<String>,
    last_success: Option<DateTime<Utc>>,
    /// The centre's cases overdue or due soon, as the hub last said, for a supervisor.
    due: Option<onewindow_proto::DueCases>,
    /// The centre's refusal requests waiting for a supervisor, as the hub last said.
    refusals: Option<onewindow_proto::PendingRefusals>,
    /// The hub refuses this desk as too old (its words), until a sync goes through.
    update_required: Option<String>,
}

/// How often `--provision FILE` tries again while the hub cannot be reached.
const PROVISION_RETRY: std::time::Duration = std::time::Duration::from_secs(10);

pub(crate) struct SyncLoops {
    config: Arc<DeskConfig>,
    cache: Arc<Cache>,
    catalog: Arc<Catalog>,
    session: Arc<Session>,
    intake: Arc<Intake>,
    sync: DeskMutex<SyncStatus>,
    syncing: AtomicBool,
    /// Serialises pulls (background loop, sync now, rebuild).
    pull_lock: tokio::sync::Mutex<()>,
    /// What follows results that moved cases on (the desk prints confirmed refusals).
    after_results: std::sync::OnceLock<Box<dyn Fn() -> usize + Send + Sync>>,
    /// Why pushing cannot happen now (no keyring, revoked device), for the sync panel.
    push_problem: DeskMutex<Option<String>>,
    last_push: DeskMutex<Option<DateTime<Utc>>>,
    /// Ops the last push kept back for the hub's upgrade (kinds it does not serve yet).
    held_for_hub: std::sync::atomic::AtomicU32,
}

impl SyncLoops {
    pub(crate) fn new(
        config: Arc<DeskConfig>,
        cache: Arc<Cache>,
        catalog: Arc<Catalog>,
        session: Arc<Session>,
        intake: Arc<Intake>,
    ) -> SyncLoops {
        SyncLoops {
            config,
            cache,
            catalog,
            session,
            intake,
            sync: DeskMutex::new(Rank::Sync, SyncStatus::default()),
            syncing: AtomicBool::new(false),
            pull_lock: tokio::sync::Mutex::new(()),
            after_results: std::sync::OnceLock::new(),
            push_problem: DeskMutex::new(Rank::PushProblem, None),
            last_push: DeskMutex::new(Rank::LastPush, None),
            held_for_hub: Default::default(),
        }
    }

    /// 窗口无否决权: a supervisor signed in here answers a refusal request of any desk of the
    /// centre, through the hub; the list is read again.
    pub async fn answer_centre_refusal(
        &self,
        number: &str,
        confirm: bool,
        note: &str,
    ) -> Result<DeskStatus, AppError> {
        let (Some(client), Some(session)) =
            (self.session.device_client(), self.session.hub_session())
        else {
            return Err(AppError::new(
                crate::error::ErrorCode::SupervisorRequired,
                "须由本中心主管在中心可连接时登录后答复（离线时请在申请的窗口接管登录后答复）",
            ));
        };
        let answer = onewindow_proto::RefusalAnswer {
            number: number.into(),
            confirm,
            note: note.trim().into(),
        };
        client
            .answer_refusal(&session, &answer)
            .await
            .map_err(|e| AppError {
                code: e.code().into(),
                message: e.message_zh(),
            })?;
        tracing::info!(case = %number, confirm, "refusal request answered for the centre");
        let refusals = client.pending_refusals(&session).await.ok();
        self.sync.relock().refusals = refusals;
        Ok(self.status())
    }

    /// Runs `f` after each pull of results that moved a case on (set once, at start).
    pub(crate) fn on_results(&self, f: Box<dyn Fn() -> usize + Send + Sync>) {
        let _ = self.after_results.set(f);
    }

    /// Why the desk cannot push, found at start (its token is gone).
    pub(crate) fn set_push_problem(&self, problem: Option<String>) {
        *self.push_problem.relock() = problem;
    }

    pub fn status(&self) -> DeskStatus {
        let sync = self.sync.relock();
        let stream = self.catalog.state();
        let snap = self.catalog.snapshot();
        // Each read in its own statement: a guard made inside the literal below would be held
        // to its end, under the next reads (and `user` taken twice on one thread).
        let hub_url = self.session.client().base_url().to_string();
        let cache_problem = self.cache.problem();
        // Read once per look (the feed looks every second): the store's lock and change stamp.
        let reads = self.cache.status_reads();
        let push = self.push_health(&reads);
        let user = self.session.user();
        let supervisor = user.as_ref().is_some_and(|u| u.role == "supervisor");
        let sign_in_required = self.session.sign_in_required();
        let queue_window = self.queue_window(&reads);
        let low_disk = self.cache.low_disk();
        let waiting_scans = reads.waiting_scans;
        DeskStatus {
            connectivity: match sync.connectivity {
                None => Connectivity::Unknown,
                Some(true) => Connectivity::Online,
                Some(false) => Connectivity::Offline,
            },
            hub_url,
            last_error: sync.last_error.clone(),
            last_pull_at: sync
                .last_success
                .map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true))
                .or(stream.last_pull_at),
            catalog_version_id: stream.version_id,
            catalog_version_label: stream.version_label,
            item_count: snap.docs.len() as i64,
            centre_name: snap.scope.centre.as_ref().map(|c| c.name.clone()),
            refusals: sync.refusals.as_ref().filter(|_| supervisor).map(|r| {
                r.requests
                    .iter()
                    .map(|p| dto::RefusalRequestView {
                        number: p.number.clone(),
                        item_name: p.item_name.clone(),
                        applicant_masked: p.applicant_masked.clone(),
                        reason: p.reason.clone(),
                        basis: p.basis.clone(),
                        by: p.by.clone(),
                        desk_name: p.desk_name.clone(),
                    })
                    .collect()
            }),
            // Only while a supervisor is signed in (the list is the centre's, not the clerk's).
            due: sync
                .due
                .as_ref()
                .filter(|_| supervisor)
                .map(|d| dto::DueView {
                    overdue: d.cases.iter().filter(|c| c.overdue).count() as u32,
                    soon: d.cases.iter().filter(|c| !c.overdue).count() as u32,
                    cases: d
                        .cases
                        .iter()
                        .map(|c| dto::DueCaseView {
                            number: c.number.clone(),
                            item_name: c.item_name.clone(),
                            desk_name: c.desk_name.clone(),
                            promised_date: c.promised_date.clone(),
                            overdue: c.overdue,
                        })
                        .collect(),
                }),
            syncing: self.syncing.load(Ordering::SeqCst),
            cache_problem,
            push,
            user,
            locked: self.session.is_locked(),
            sign_in_required,
            idle_lock_minutes: self.config.idle_lock_minutes,
            queue_window,
            low_disk,
            waiting_scans,
            release: onewindow_sync::release().to_string(),
            update_required: sync.update_required.clone(),
            update_published: self
                .session
                .client()
                .hub_release()
                .published
                .filter(|p| onewindow_domain::release::is_newer(p, onewindow_sync::release())),
        }
    }

    /// The hall window this desk sits at, by its desk code in the pulled queue configuration.
    fn queue_window(&self, reads: &StatusReads) -> Option<dto::QueueWindowView> {
        let cfg = reads.queue_config.as_ref()?;
        let w = cfg.window_of_desk(&self.session.desk_code())?;
        Some(dto::QueueWindowView {
            number: w.number,
            name: w.name.clone(),
            domains_label: cfg.domains_label(w),
            tidal: w.tidal,
        })
    }

    /// One round of sync: calendar, queue configuration, then catalog. Returns whether the catalog changed.
    pub async fn sync_once(&self) -> Result<bool, AppError> {
        let _one_at_a_time = self.pull_lock.lock().await;
        let store = self.cache.store()?;
        self.syncing.store(true, Ordering::SeqCst);
        // Enrolled, the desk pulls as itself: its centre's queue configuration and scope.
        let client = self
            .session
            .device_client()
            .unwrap_or_else(|| self.session.client());
        let pulls = || async {
            // A hub restored from a backup gives back first what it lost, so no cursor is
            // recorded past what the restored hub numbers anew.
            if client.has_token() {
                onewindow_sync::follow_epoch(&client, &store).await?;
            }
            onewindow_sync::pull_calendar(&client, &store).await?;
            onewindow_sync::pull_queue_config(&client, &store).await?;
            let report = onewindow_sync::pull_catalog(&client, &store).await?;
            // The centre's list comes with the catalog.
            let scope_changed = onewindow_sync::pull_centre_scope(&client, &store).await?;
            Ok::<_, SyncError>((report, scope_changed))
        };
        let result = match pulls().await {
            // A cursor past the hub's log: the first answer of a restored hub, whose epoch it
            // named; the retry follows it.
            Err(e)
                if e.code() == onewindow_sync::SyncCode::HubCursorAhead && client.has_token() =>
            {
                pulls().await
            }
            result => result,
        };
        self.syncing.store(false, Ordering::SeqCst);
        match result {
            Ok((report, scope_changed)) => {
                {
                    let mut sync = self.sync.relock();
                    sync.connectivity = Some(true);
                    sync.last_error = None;
                    sync.update_required = None;
                    sync.last_success = Some(self.config.now());
                }
                let changed = self.catalog.pulled(report.state.clone(), scope_changed)?;
                // A supervisor signed in here watches the centre's deadlines.
                let supervisor = self.session.user().is_some_and(|u| u.role == "supervisor");
                let (due, refusals) = match (supervisor, self.session.hub_session()) {
                    (true, Some(session)) => (
                        client.due_cases(&session).await.ok(),
                        client.pending_refusals(&session).await.ok(),
                    ),
                    _ => (None, None),
                };
                {
                    let mut sync = self.sync.relock();
                    sync.due = due;
                    sync.refusals = refusals;
                }
                self.learn_public_url(&client).await;
                // The hub answers: send what the window did (its own errors go to the panel).
                if let Err(e) = self.push().await {
                    tracing::warn!(code = %e.code(), "push failed");
                }
                Ok(changed)
            }
            Err(e) => {
                let mut sync = self.sync.relock();
                let online = !matches!(e, SyncError::Unreachable { .. });
                if sync.connectivity != Some(online) || sync.last_error.is_none() {
                    tracing::warn!(error = %e, "sync failed");
                }
                sync.connectivity = Some(online);
                sync.last_error = Some(e.message_zh());
                if e.code() == onewindow_sync::SyncCode::DeskTooOld {
                    sync.update_required = Some(e.message_zh());
                }
                Err(AppError {
                    code: e.code().into(),
                    message: e.message_zh(),
                })
            }
        }
    }

    /// Pulls now (the clerk pressed F5) and returns the new status.
    pub async fn sync_now(&self) -> DeskStatus {
        let _ = self.sync_once().await;
        self.status()
    }

    /// Moves the damaged cache aside (never deletes it), starts an empty one and pulls.
    pub async fn rebuild_cache(&self) -> Result<DeskStatus, AppError> {
        {
            let _no_pull = self.pull_lock.lock().await;
            self.cache.rebuild()?;
            self.catalog.reload()?;
        }
        // Offline the cache stays empty until the hub answers; the status bar says so.
        let _ = self.sync_once().await;
        Ok(self.status())
    }

    /// Keeps the hub's public address (what receipts' QR codes point to) as the hub announces
    /// it; written only when it changed.
    async fn learn_public_url(&self, client: &onewindow_sync::HubClient) {
        let Ok(health) = client.health().await else {
            return;
        };
        let known = self.cache.with_store(|s| s.hub_public_url()).ok().flatten();
        if known != health.public_url {
            let url = health.public_url.clone();
            match self
                .cache
                .with_store_mut(|s| s.set_hub_public_url(url.as_deref()))
            {
                Ok(()) => tracing::info!(public_url = ?health.public_url, "hub's public address"),
                Err(e) => tracing::warn!(code = ?e.code, "public address not recorded"),
            }
        }
    }

    /// Asks the hub for its health and records the connectivity.
    pub async fn check_hub(&self) {
        let result = self.session.client().health().await;
        let mut sync = self.sync.relock();
        match result {
            Ok(_) => {
                sync.connectivity = Some(true);
                sync.last_error = None;
            }
            Err(e) => {
                sync.connectivity = Some(!matches!(e, SyncError::Unreachable { .. }));
                sync.last_error = Some(e.message_zh());
            }
        }
    }

    /// Pulls every `sync_interval`. Runs until the process ends.
    pub async fn run_sync_loop(self: Arc<Self>) {
        loop {
            if self.cache.is_open() {
                let _ = self.sync_once().await;
            } else {
                // No cache to pull into: still tell the clerk whether the hub (needed for the
                // rebuild) answers, instead of 连接中… forever.
                self.check_hub().await;
            }
            tokio::time::sleep(self.config.sync_interval).await;
        }
    }

    /// Enrols the desk (see [`Session::enrol`]) and pulls at once.
    pub async fn enrol(
        &self,
        hub_url: &str,
        code: &str,
        pin: &str,
    ) -> Result<DeskStatus, AppError> {
        self.session.enrol(hub_url, code, pin).await?;
        self.set_push_problem(None);
        let _ = self.sync_once().await;
        Ok(self.status())
    }

    /// Enrols the desk from a provisioning line (`onewindow-hub provision`'s file or QR code,
    /// scanned at F10): the hub, its certificate's fingerprint and the one-time code, with no
    /// typing.
    pub async fn enrol_with_provision(&self, text: &str) -> Result<DeskStatus, AppError> {
        let p = Provision::parse(text).map_err(|message| AppError {
            code: ErrorCode::BadEnrolCode,
            message,
        })?;
        let status = self
            .enrol(
                &p.hub_url,
                &p.enrol_code,
                p.hub_pin.as_deref().unwrap_or_default(),
            )
            .await?;
        if status.push.desk_code != p.desk_code {
            tracing::warn!(
                provisioned = %p.desk_code,
                assigned = %status.push.desk_code,
                "the hub assigned another desk code than the provisioning file names"
            );
        }
        Ok(status)
    }

    /// `--provision FILE` at start: enrols from the file unless the desk already is enrolled
    /// as the file's desk; while the hub cannot be reached, tries again every
    /// [`PROVISION_RETRY`]. A bad file or a refused code ends it, logged.
    pub async fn provision_from_file(self: Arc<Self>, path: std::path::PathBuf) {
        let text = match std::fs::read_to_string(&path) {
            Ok(t) => t,
            Err(e) => {
                tracing::error!(error = %e, file = %path.display(), "provisioning file unreadable");
                return;
            }
        };
        let wanted = match Provision::parse(&text) {
            Ok(p) => p,
            Err(message) => {
                tracing::error!(file = %path.display(), problem = %message, "provisioning file refused");
                return;
            }
        };
        if let Some(id) = self.session.identity() {
            if id.desk_code == wanted.desk_code {
                tracing::info!(desk_code = %id.desk_code, "already enrolled as the provisioning file's desk");
            } else {
                tracing::warn!(
                    enrolled = %id.desk_code,
                    provisioned = %wanted.desk_code,
                    "already enrolled as another desk; the provisioning file is not used (F10 re-enrols)"
                );
            }
            return;
        }
        loop {
            match self.enrol_with_provision(&text).await {
                Ok(status) => {
                    tracing::info!(desk_code = %status.push.desk_code, file = %path.display(), "enrolled from the provisioning file");
                    return;
                }
                Err(e) if e.code == ErrorCode::HubUnreachable => {
                    tracing::info!("hub unreachable; provisioning tried again shortly");
                    tokio::time::sleep(PROVISION_RETRY).await;
                }
                Err(e) => {
                    tracing::error!(code = ?e.code, problem = %e.message, "enrolment from the provisioning file refused");
                    return;
                }
            }
        }
    }

    /// Sends the outbox (blobs first) when enrolled; the result goes to the sync health.
    pub(crate) async fn push(&self) -> Result<(), SyncError> {
        let Some(token) = self.session.token() else {
            return Ok(());
        };
        let store = match self.cache.store() {
            Ok(s) => s,
            Err(_) => return Ok(()),
        };
        // The hub learns once per release (and enrolment) which release this desk runs.
        let now = self.config.now();
        if let Err(e) = self.cache.with_store_mut(|s| {
            s.report_release(
                onewindow_sync::release(),
                onewindow_proto::PROTOCOL_VERSION,
                now,
            )
        }) {
            tracing::warn!(code = ?e.code, "release not put in the outbox");
        }
        let client = self.session.client().with_token(&token);
        let pushed = onewindow_sync::push_outbox(
            &client,
            &store,
            self.intake.config(),
            self.config.upload_throttle,
        )
        .await;
        // Then what the back office decided on this desk's cases, then the audit log.
        let result = match pushed {
            Ok(r) => match self.pull_results_with(&client, &store).await {
                Ok(_) => match onewindow_sync::push_audit(
                    &client,
                    &store,
                    self.session.audit_key().as_ref(),
                )
                .await
                {
                    Ok(n) => {
                        if n > 0 {
                            tracing::debug!(records = n, "audit records sent");
                        }
                        Ok(r)
                    }
                    Err(e) => {
                        tracing::warn!(code = %e.code(), error = %e, "audit records not sent");
                        Err(e)
                    }
                },
                Err(e) => Err(e),
            },
            Err(e) => Err(e),
        };
        let mut problem = self.push_problem.relock();
        match &result {
            Ok(r) => {
                *problem = None;
                *self.last_push.relock() = Some(self.config.now());
                self.held_for_hub.store(r.held_for_hub, Ordering::Relaxed);
                if r.applied + r.rejected + r.duplicate > 0 {
                    // Hand-offs acknowledged: the case on screen moved on.
                    self.intake.bump();
                    tracing::info!(
                        applied = r.applied,
                        duplicate = r.duplicate,
                        rejected = r.rejected,
                        waiting = r.waiting,
                        blobs = r.blobs_uploaded,
                        "outbox pushed"
                    );
                }
            }
            Err(e @ SyncError::Hub { .. }) => *problem = Some(e.message_zh()),
            Err(_) => {}
        }
        result.map(|_| ())
    }

    /// Asks for back-office results once: a cheap request, so the window shows 待出件 within
    /// about a second of the approver's click while online.
    pub async fn pull_results_once(&self) -> Result<usize, SyncError> {
        self.pull_results_waiting(0).await
    }

    /// [`Self::pull_results_once`], waiting up to `wait` seconds at the hub for news.
    async fn pull_results_waiting(&self, wait: u32) -> Result<usize, SyncError> {
        let Some(token) = self.session.token() else {
            return Ok(0);
        };
        let Ok(store) = self.cache.store() else {
            return Ok(0);
        };
        let client = self.session.client().with_token(&token);
        self.pull_results_for(&client, &store, wait).await
    }

    /// The results stream, then the result files it named (archived with the case's
    /// documents for printing at 出件).
    async fn pull_results_with(
        &self,
        client: &HubClient,
        store: &std::sync::Arc<std::sync::Mutex<onewindow_store::Store>>,
    ) -> Result<usize, SyncError> {
        self.pull_results_for(client, store, 0).await
    }

    async fn pull_results_for(
        &self,
        client: &HubClient,
        store: &std::sync::Arc<std::sync::Mutex<onewindow_store::Store>>,
        wait: u32,
    ) -> Result<usize, SyncError> {
        onewindow_sync::follow_epoch(client, store).await?;
        let moved = onewindow_sync::pull_results_waiting(client, store, wait).await?;
        if moved > 0 {
            tracing::info!(steps = moved, "back-office results applied");
            self.intake.bump();
            // A refusal the centre's supervisor confirmed prints at the window now.
            if let Some(print) = self.after_results.get() {
                print();
            }
        }
        let files = onewindow_sync::fetch_result_files(client, store, |f, bytes| {
            self.intake
                .write_archive(&f.case_number, "result_file", bytes)
                .map(|(rel, _)| rel)
                .map_err(|e| e.message)
        })
        .await?;
        if files > 0 {
            tracing::info!(files, "result files fetched");
            self.intake.bump();
        }
        Ok(moved)
    }

    /// Keeps a request for decisions waiting at the hub while enrolled ([`RESULTS_WAIT_S`]),
    /// asking again as soon as one answers; polls every [`RESULTS_POLL`] while that fails or
    /// the hub answers at once. Runs until the process ends.
    pub async fn run_results_loop(self: std::sync::Arc<Self>) {
        loop {
            let asked = std::time::Instant::now();
            match self.pull_results_waiting(results_wait()).await {
                // News, or the hub held the request: ask again at once.
                Ok(moved) if moved > 0 || asked.elapsed() >= 2 * RESULTS_POLL => continue,
                // Nothing at once: not enrolled, no cache, or a hub that does not wait.
                Ok(_) => {}
                Err(e) => {
                    if !matches!(e, SyncError::Unreachable { .. }) {
                        tracing::warn!(code = %e.code(), "results poll failed");
                    }
                }
            }
            tokio::time::sleep(RESULTS_POLL).await;
        }
    }

    /// Downloads one stream again (catalog, calendar, queue configuration or results) without
    /// touching cases or the outbox.
    pub async fn reset_stream(&self, stream: &str) -> Result<dto::DeskStatus, AppError> {
        if !matches!(stream, "catalog" | "calendar" | "queue_config" | "results") {
            return Err(AppError {
                code: ErrorCode::BadStream,
                message: "只能重新下载事项目录、节假日日历、叫号配置或办理结果".into(),
            });
        }
        self.cache.with_store_mut(|s| s.reset_stream(stream))?;
        tracing::warn!(stream, "stream reset by the clerk");
        if stream == "catalog" {
            self.catalog.reload()?;
        }
        let _ = self.sync_once().await;
        Ok(self.status())
    }

    pub fn rejected_ops(&self) -> Result<Vec<dto::RejectedOpView>, AppError> {
        Ok(self
            .cache
            .with_store(|s| s.rejected_ops())?
            .into_iter()
            .map(|r| dto::RejectedOpView {
                kind_label: onewindow_proto::OpKind::parse(&r.kind)
                    .map_or_else(|| r.kind.clone(), |k| k.label_zh().to_string()),
                op_id: r.op_id,
                case_number: r.case_number,
                reason: r.reason,
                at: r.at,
            })
            .collect())
    }

    /// Sends a rejected op again at the next push.
    pub fn resend_op(&self, op_id: &str) -> Result<Vec<dto::RejectedOpView>, AppError> {
        let who = self.session.user_name();
        self.cache
            .with_store_mut(|s| s.resend_op(op_id, &who, self.config.now()))?;
        self.rejected_ops()
    }

    /// Gives up a rejected op, with the clerk's recorded reason.
    pub fn discard_op(
        &self,
        op_id: &str,
        reason: &str,
    ) -> Result<Vec<dto::RejectedOpView>, AppError> {
        if reason.trim().chars().count() < 4 {
            return Err(AppError {
                code: ErrorCode::ReasonRequired,
                message: "请写明放弃该操作的原因（至少 4 个字），原因会被记录".into(),
            });
        }
        let who = self.session.user_name();
        self.cache
            .with_store_mut(|s| s.discard_op(op_id, reason, &who, self.config.now()))?;
        self.rejected_ops()
    }

    /// Pending ops and bytes (ops plus files not yet on the hub), oldest pending, rejects.
    fn push_health(&self, reads: &StatusReads) -> dto::PushStatus {
        let identity = self.session.identity();
        let health = &reads.push;
        // One lock at a time: a struct literal would hold both guards to its end, the other
        // way round from `push_now` (which sets the time under the problem's lock).
        let problem = self.push_problem.relock().clone();
        let last_push_at = self
            .last_push
            .relock()
            .map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true));
        dto::PushStatus {
            enrolled: identity.is_some(),
            desk_code: self.session.desk_code(),
            desk_name: identity.map(|i| i.desk_name),
            pending_ops: health.pending_ops as u32,
            pending_bytes: (health.pending_op_bytes + health.pending_blob_bytes) as u64,
            oldest_pending_at: health.oldest_pending_at.clone(),
            rejected: health.rejected as u32,
            last_push_at,
            problem,
            held_for_hub: self.held_for_hub.load(Ordering::Relaxed),
            streams: PULL_STREAMS
                .iter()
                .zip(&reads.stream_pulls)
                .map(|((stream, label), at)| dto::StreamPull {
                    stream: stream.to_string(),
                    label: label.to_string(),
                    last_pull_at: at.clone(),
                })
                .collect(),
        }
    }
}
