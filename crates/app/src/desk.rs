//! The desk: a façade over its services, wired once here. Each service owns its state and
//! its locks; a service is handed the services it calls when it is made, and none holds the
//! desk. What a UI command does is one call of one service (or, for the commands that answer
//! with the status bar, one call and then [`Desk::status`]).
//!
//! | service | owns | calls |
//! |---|---|---|
//! | [`Cache`](crate::cache) | `cache.db`, its key and problem, the status's cache reads | — |
//! | [`Catalog`](crate::catalog) | the search snapshot, the catalog stream's state | cache |
//! | [`Session`](crate::session) | hub client, enrolment, token, signed-in user, screen lock, audit | cache |
//! | [`Intake`](crate::intake) | hot folder and its thread, the open case, sealed files, the revision | cache |
//! | [`Queue`](crate::queue) | the window's queue, the announcer | cache, session |
//! | [`Cases`](crate::cases) | the font, e-licence lookup failures | cache, session, intake, queue |
//! | [`SyncLoops`](crate::sync_loops) | connectivity, pulls, push outcome, the status bar | cache, catalog, session, intake |
//! | [`Screens`](crate::screens) | applicant screen, hall board, readiness | cache, session, intake, queue, cases |
//!
//! The lock order and the poisoned-lock policy are in `locks.rs`.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use onewindow_sync::SyncError;

use crate::cache::Cache;
use crate::cases::Cases;
use crate::catalog::Catalog;
use crate::dto::*;
use crate::intake::Intake;
use crate::queue::Queue;
use crate::screens::{Screens, follow};
use crate::session::Session;
use crate::sync_loops::SyncLoops;

/// How the desk is set up; everything from outside comes in here.
#[derive(Debug, Clone)]
pub struct DeskConfig {
    /// Holds `cache.db`.
    pub data_dir: PathBuf,
    pub hub_url: String,
    /// The fingerprint of an `https://` hub's certificate (settings), until enrolment pins one.
    pub hub_pin: Option<String>,
    /// Time between background pulls while all is well.
    pub sync_interval: Duration,
    /// Written once when the UI reports it is usable (start-up measurement).
    pub ready_file: Option<PathBuf>,
    /// The attachment lane's limit in bytes per second (`None`: as fast as the link goes).
    pub upload_throttle: Option<u64>,
    /// The window's code in case numbers (until enrolment assigns one).
    pub desk_code: String,
    /// Who works at the window (until login arrives with enrolment).
    pub clerk: String,
    /// Printed at the top of every document.
    pub office_name: String,
    /// Where the scanner saves pages.
    pub hot_folder: PathBuf,
    /// Poll the hot folder at this interval instead of OS events (network drives).
    pub hot_folder_poll: Option<Duration>,
    /// A scan is taken once its size and time have not changed for this long (a slow
    /// scanner writing over a network share may need more than the default 800 ms).
    pub scan_stability: Duration,
    pub printer: crate::print::PrintTarget,
    /// Where the ID card reader's software drops `wz.txt` and the photo.
    pub card_reader_dir: Option<PathBuf>,
    /// The desk's one clock: every service reads the time here (`--now`, `--today`).
    pub clock: onewindow_domain::clock::Clock,
    /// How often each call is announced (at least once).
    pub announce_repeat: u32,
    /// Render announcements to WAV files in this folder instead of the sound card (tests,
    /// machines without one).
    pub announce_to_wav: Option<PathBuf>,
    /// The monitor (1 = the first) the hall display window opens on, fullscreen; `None`: this
    /// desk drives no hall screen.
    pub hall_display: Option<u32>,
    /// How long after the hub last checked a clerk's password the desk signs them in offline.
    pub offline_login_days: u32,
    /// The screen locks after this many minutes without a key or a click (0: never).
    pub idle_lock_minutes: u32,
    /// The cache's encryption key: the OS keyring, or given (tests).
    pub cache_key: crate::cache_key::CacheKey,
    /// The status bar warns when the data folder's disk has less than this many MB free.
    pub low_disk_mb: u64,
}

impl DeskConfig {
    /// A desk with the defaults: desk code `W01`, hot folder `scans` in the data folder, the
    /// system printer.
    pub fn new(data_dir: PathBuf, hub_url: String) -> DeskConfig {
        DeskConfig {
            hot_folder: data_dir.join("scans"),
            data_dir,
            hub_url,
            hub_pin: None,
            sync_interval: Duration::from_secs(30),
            ready_file: None,
            upload_throttle: None,
            desk_code: "W01".into(),
            clerk: "窗口人员".into(),
            office_name: "荣成市政务服务中心".into(),
            hot_folder_poll: None,
            scan_stability: Duration::from_millis(800),
            printer: crate::print::PrintTarget::Cups { destination: None },
            card_reader_dir: None,
            clock: onewindow_domain::clock::Clock::system(),
            announce_repeat: 1,
            announce_to_wav: None,
            hall_display: None,
            offline_login_days: onewindow_domain::login::OFFLINE_LOGIN_DAYS,
            idle_lock_minutes: onewindow_domain::login::IDLE_LOCK_MINUTES,
            cache_key: crate::cache_key::CacheKey::Keyring,
            low_disk_mb: crate::cache::LOW_DISK_MB,
        }
    }

    /// The calendar day at the window (China time) by the desk's clock.
    pub fn today(&self) -> NaiveDate {
        self.clock.today()
    }

    /// Now, by the desk's clock.
    pub fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }
}

pub struct Desk {
    cache: Arc<Cache>,
    catalog: Arc<Catalog>,
    session: Arc<Session>,
    intake: Arc<Intake>,
    queue: Arc<Queue>,
    cases: Arc<Cases>,
    sync: Arc<SyncLoops>,
    screens: Arc<Screens>,
}

impl Desk {
    /// Opens the cache and wires the services; a cache that cannot be opened is reported,
    /// never deleted.
    pub fn open(config: DeskConfig) -> Arc<Desk> {
        let config = Arc::new(config);
        // The key comes first: the cache and every file intake keeps are sealed with it.
        let (cache, key) = Cache::open(&config);
        let cache = Arc::new(cache);
        let seal = key.as_ref().map(onewindow_intake::Seal::from_cache_key);
        let intake = Arc::new(Intake::new(config.clone(), cache.clone(), seal));
        let catalog = Arc::new(Catalog::load(cache.clone()));
        let session = Arc::new(Session::new(config.clone(), cache.clone()));
        let push_problem = session.load_identity();
        let queue = Arc::new(Queue::new(&config, cache.clone(), session.clone()));
        let cases = Arc::new(Cases::new(
            config.clone(),
            cache.clone(),
            session.clone(),
            intake.clone(),
            queue.clone(),
        ));
        let sync = Arc::new(SyncLoops::new(
            config.clone(),
            cache.clone(),
            catalog.clone(),
            session.clone(),
            intake.clone(),
        ));
        sync.set_push_problem(push_problem);
        {
            let cases = cases.clone();
            sync.on_results(Box::new(move || cases.print_confirmed_refusals()));
        }
        let screens = Arc::new(Screens::new(
            config,
            cache.clone(),
            session.clone(),
            intake.clone(),
            queue.clone(),
            cases.clone(),
        ));
        Arc::new(Desk {
            cache,
            catalog,
            session,
            intake,
            queue,
            cases,
            sync,
            screens,
        })
    }

    pub fn cache_path(&self) -> PathBuf {
        self.cache.path().to_path_buf()
    }

    /// Ends the desk in order before the process exits: the hot-folder thread is stopped and
    /// joined (a file being taken is finished), then the cache is closed here, while the
    /// process's crypto library is still whole. After this the desk has no cache; it is for
    /// the last moment of the process.
    pub fn shutdown(&self) {
        self.intake.stop_and_join();
        self.cache.close();
    }

    // The status bar, the link to the hub and the loops that keep it.

    pub fn status(&self) -> DeskStatus {
        self.sync.status()
    }

    /// Follows the status bar's status for the main window, for as long as the desk runs:
    /// `show` gets it at start and then only when it changed. It is looked at here every
    /// [`crate::screens::STATUS_LOOK`] (memory, and cache reads only when the cache changed),
    /// so the window does not ask across IPC every second and an idle desk wakes its WebKit
    /// processes for nothing.
    pub async fn run_status_feed(self: Arc<Self>, show: impl Fn(DeskStatus) + Send + Sync) {
        follow(self.sync.clone(), SyncLoops::status, show).await
    }

    pub async fn sync_once(&self) -> Result<bool, AppError> {
        self.sync.sync_once().await
    }

    pub async fn sync_now(&self) -> DeskStatus {
        self.sync.sync_now().await
    }

    pub async fn rebuild_cache(&self) -> Result<DeskStatus, AppError> {
        self.sync.rebuild_cache().await
    }

    pub async fn check_hub(&self) {
        self.sync.check_hub().await
    }

    pub async fn run_sync_loop(self: Arc<Self>) {
        self.sync.clone().run_sync_loop().await
    }

    pub async fn run_results_loop(self: Arc<Self>) {
        self.sync.clone().run_results_loop().await
    }

    pub async fn pull_results_once(&self) -> Result<usize, SyncError> {
        self.sync.pull_results_once().await
    }

    pub async fn enrol(
        &self,
        hub_url: &str,
        code: &str,
        pin: &str,
    ) -> Result<DeskStatus, AppError> {
        self.sync.enrol(hub_url, code, pin).await
    }

    /// F10 with a scanned provisioning QR code (or its file's text).
    pub async fn enrol_with_provision(&self, text: &str) -> Result<DeskStatus, AppError> {
        self.sync.enrol_with_provision(text).await
    }

    /// `--provision FILE`: enrols from the file in the background (see
    /// `SyncLoops::provision_from_file`).
    pub async fn provision_from_file(self: Arc<Self>, path: std::path::PathBuf) {
        self.sync.clone().provision_from_file(path).await
    }

    pub async fn reset_stream(&self, stream: &str) -> Result<DeskStatus, AppError> {
        self.sync.reset_stream(stream).await
    }

    pub fn rejected_ops(&self) -> Result<Vec<RejectedOpView>, AppError> {
        self.sync.rejected_ops()
    }

    pub fn resend_op(&self, op_id: &str) -> Result<Vec<RejectedOpView>, AppError> {
        self.sync.resend_op(op_id)
    }

    pub fn discard_op(&self, op_id: &str, reason: &str) -> Result<Vec<RejectedOpView>, AppError> {
        self.sync.discard_op(op_id, reason)
    }

    // Who works at the desk.

    pub fn guard(&self, command: &str) -> Result<(), AppError> {
        self.session.guard(command)
    }

    pub fn desk_code(&self) -> String {
        self.session.desk_code()
    }

    pub async fn login(&self, name: &str, password: &str) -> Result<DeskStatus, AppError> {
        self.session.login(name, password).await?;
        Ok(self.status())
    }

    /// The clerks whose offline sign-in ends within a week.
    pub fn offline_sign_ins_ending(&self) -> Result<Vec<OfflineSignInEnding>, AppError> {
        self.session.offline_sign_ins_ending()
    }

    pub fn logout(&self) -> DeskStatus {
        self.session.logout();
        self.status()
    }

    pub fn lock_screen(&self) -> DeskStatus {
        self.session.lock_screen();
        self.status()
    }

    // The catalog.

    pub fn search(&self, request: &SearchRequest) -> Result<SearchResponse, AppError> {
        self.catalog.search(request)
    }

    pub fn list_domains(&self) -> Result<Vec<DomainView>, AppError> {
        self.catalog.list_domains()
    }

    pub fn list_bundles(&self) -> Result<Vec<BundleRef>, AppError> {
        self.catalog.list_bundles()
    }

    pub fn item_guide(&self, code: &str) -> Result<ItemGuide, AppError> {
        self.catalog.item_guide(code)
    }

    pub fn bundle_view(&self, code: &str) -> Result<BundleView, AppError> {
        self.catalog.bundle_view(code)
    }

    // The hot folder.

    /// Starts watching the hot folder on its own thread.
    pub fn start_intake(&self) {
        self.intake.start()
    }

    /// Stops the hot folder thread (tests; the app stops with the process).
    pub fn stop_intake(&self) {
        self.intake.stop()
    }

    /// Follows the window's revision for as long as the desk runs: `show` gets each new one
    /// (bursts coalesce), so the case screen refetches when something changed instead of
    /// asking across IPC four times a second.
    pub async fn run_revision_feed(self: Arc<Self>, show: impl Fn(u64) + Send + Sync) {
        self.intake.run_revision_feed(show).await
    }

    // Cases at the window.

    pub fn today(&self) -> NaiveDate {
        self.cases.today()
    }

    pub fn window_info(&self) -> WindowInfo {
        self.cases.window_info()
    }

    pub fn new_case(&self, request: &NewCaseRequest) -> Result<CaseView, AppError> {
        self.cases.new_case(request)
    }

    pub fn open_case(&self, case_id: &str) -> Result<CaseView, AppError> {
        self.cases.open_case(case_id)
    }

    pub fn poll_case(&self, case_id: &str, revision: u64) -> Result<Option<CaseView>, AppError> {
        self.cases.poll_case(case_id, revision)
    }

    pub fn recent_cases(&self) -> Result<Vec<CaseSummary>, AppError> {
        self.cases.recent_cases()
    }

    pub async fn save_intake(&self, request: &SaveIntakeRequest) -> Result<CaseView, AppError> {
        self.cases.save_intake(request).await
    }

    pub async fn apply_applicant_code(
        &self,
        case_id: &str,
        text: &str,
    ) -> Result<CaseView, AppError> {
        self.cases.apply_applicant_code(case_id, text).await
    }

    pub async fn read_id_card(&self, case_id: &str) -> Result<CaseView, AppError> {
        self.cases.read_id_card(case_id).await
    }

    pub async fn lookup_elicences(&self, case_id: &str) -> Result<CaseView, AppError> {
        self.cases.lookup_elicences(case_id).await
    }

    pub fn reveal_applicant(&self, case_id: &str, reason: &str) -> Result<RevealView, AppError> {
        self.cases.reveal_applicant(case_id, reason)
    }

    pub fn set_scenario(
        &self,
        case_id: &str,
        member_case_id: Option<&str>,
        scenario_code: &str,
    ) -> Result<CaseView, AppError> {
        self.cases
            .set_scenario(case_id, member_case_id, scenario_code)
    }

    pub fn select_slot(&self, case_id: &str, slot: Option<u32>) -> Result<CaseView, AppError> {
        self.cases.select_slot(case_id, slot)
    }

    pub fn attach_waiting_scan(
        &self,
        case_id: &str,
        scan_id: i64,
        slot: Option<u32>,
    ) -> Result<CaseView, AppError> {
        self.cases.attach_waiting_scan(case_id, scan_id, slot)
    }

    pub fn dismiss_waiting_scan(&self, case_id: &str, scan_id: i64) -> Result<CaseView, AppError> {
        self.cases.dismiss_waiting_scan(case_id, scan_id)
    }

    pub fn set_aside_held_scan(&self, case_id: &str, name: &str) -> Result<CaseView, AppError> {
        self.cases.set_aside_held_scan(case_id, name)
    }

    pub fn move_file(
        &self,
        case_id: &str,
        sha256: &str,
        slot: Option<u32>,
    ) -> Result<CaseView, AppError> {
        self.cases.move_file(case_id, sha256, slot)
    }

    pub fn import_files(&self, case_id: &str, paths: &[PathBuf]) -> Result<CaseView, AppError> {
        self.cases.import_files(case_id, paths)
    }

    pub fn set_pledge(
        &self,
        case_id: &str,
        slot: u32,
        pledged: bool,
    ) -> Result<CaseView, AppError> {
        self.cases.set_pledge(case_id, slot, pledged)
    }

    pub fn set_override(
        &self,
        case_id: &str,
        finding_key: &str,
        reason: Option<&str>,
    ) -> Result<CaseView, AppError> {
        self.cases.set_override(case_id, finding_key, reason)
    }

    pub fn issue_notice(&self, case_id: &str) -> Result<CaseView, AppError> {
        self.cases.issue_notice(case_id)
    }

    pub fn reopen_case(&self, case_id: &str) -> Result<CaseView, AppError> {
        self.cases.reopen_case(case_id)
    }

    pub fn accept_case(&self, case_id: &str) -> Result<CaseView, AppError> {
        self.cases.accept_case(case_id)
    }

    pub fn refuse_case(
        &self,
        case_id: &str,
        reason: &str,
        basis: &str,
    ) -> Result<CaseView, AppError> {
        self.cases.refuse_case(case_id, reason, basis)
    }

    /// A supervisor at this desk answers one of its refusal requests: confirmed (the notice
    /// prints) or sent back to the clerk with a note.
    pub fn answer_refusal(
        &self,
        case_id: &str,
        confirm: bool,
        note: &str,
    ) -> Result<CaseView, AppError> {
        self.cases.answer_refusal(case_id, confirm, note)
    }

    /// A supervisor signed in here answers a refusal request of any desk of the centre.
    pub async fn answer_centre_refusal(
        &self,
        number: &str,
        confirm: bool,
        note: &str,
    ) -> Result<DeskStatus, AppError> {
        self.sync.answer_centre_refusal(number, confirm, note).await
    }

    /// 办不成事: record the applicant's unresolved matter for the centre's supervisor.
    pub fn record_unresolved(
        &self,
        case_id: &str,
        who: &str,
        contact: &str,
        tried: &str,
    ) -> Result<CaseView, AppError> {
        self.cases.record_unresolved(case_id, who, contact, tried)
    }

    pub fn withdraw_case(&self, case_id: &str, reason: &str) -> Result<CaseView, AppError> {
        self.cases.withdraw_case(case_id, reason)
    }

    pub fn deliver_case(
        &self,
        case_id: &str,
        by_post: bool,
        tracking: &str,
    ) -> Result<CaseView, AppError> {
        self.cases.deliver_case(case_id, by_post, tracking)
    }

    pub fn follow_ups(&self, open_only: bool) -> Result<Vec<FollowUpView>, AppError> {
        self.cases.follow_ups(open_only)
    }

    pub fn close_follow_up(&self, id: i64, note: &str) -> Result<Vec<FollowUpView>, AppError> {
        self.cases.close_follow_up(id, note)
    }

    pub fn reprint(&self, document_id: i64) -> Result<Flash, AppError> {
        self.cases.reprint(document_id)
    }

    pub fn preview_document(&self, document_id: i64) -> Result<DocumentPreview, AppError> {
        self.cases.preview_document(document_id)
    }

    // Calling at the window.

    pub fn queue_status(&self) -> QueueView {
        self.queue.queue_status()
    }

    pub async fn queue_refresh(&self) -> QueueView {
        self.queue.queue_refresh().await
    }

    pub async fn queue_call_next(&self) -> Result<QueueView, AppError> {
        self.queue.queue_call_next().await
    }

    pub async fn queue_step(&self, action: &str) -> Result<QueueView, AppError> {
        self.queue.queue_step(action).await
    }

    pub async fn queue_transfer(
        &self,
        to_window: Option<u32>,
        to_domain: Option<String>,
    ) -> Result<QueueView, AppError> {
        self.queue.queue_transfer(to_window, to_domain).await
    }

    pub async fn queue_walk_in(&self, domain: &str) -> Result<QueueView, AppError> {
        self.queue.queue_walk_in(domain).await
    }

    pub async fn queue_set_window(&self, state: &str) -> Result<QueueView, AppError> {
        self.queue.queue_set_window(state).await
    }

    // The other screens.

    /// Marks the UI usable; writes the ready file once (for start-up measurements).
    pub fn ui_ready(&self) {
        self.screens.ui_ready()
    }

    pub fn applicant_screen(&self) -> ApplicantScreenView {
        self.screens.applicant_screen()
    }

    pub async fn run_applicant_screen_feed(
        self: Arc<Self>,
        show: impl Fn(ApplicantScreenView) + Send + Sync,
    ) {
        self.screens.clone().run_applicant_screen_feed(show).await
    }

    pub fn invite_rating(&self) -> Result<Flash, AppError> {
        self.screens.invite_rating()
    }

    pub async fn applicant_rate(
        &self,
        level: u8,
        reasons: &[String],
        comment: &str,
    ) -> Result<ApplicantScreenView, AppError> {
        self.screens.applicant_rate(level, reasons, comment).await
    }

    pub fn hall_board(&self) -> HallBoardView {
        self.screens.hall_board()
    }

    pub async fn run_hall_feed(self: Arc<Self>, show: impl Fn(HallBoardView) + Send + Sync) {
        self.screens.clone().run_hall_feed(show).await
    }
}
