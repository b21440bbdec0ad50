//! The desk's services: everything a UI command does, without knowing the UI toolkit.

use crate::error::ErrorCode;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, SecondsFormat, Utc};
use onewindow_domain::{CatalogIndex, SearchDoc};
use onewindow_store::catalog::CATALOG;
use onewindow_store::{Store, StoreError, StreamState};
use onewindow_sync::{HubClient, SyncError};

use crate::dto::{self, AppError, CacheProblem, Connectivity, DeskStatus};
use crate::locks::{DeskMutex, DeskRwLock, Rank, Relock};

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
    /// A fixed calendar day for training and tests; `None`: today in China.
    pub today: Option<chrono::NaiveDate>,
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
            today: None,
            announce_repeat: 1,
            announce_to_wav: None,
            hall_display: None,
            offline_login_days: onewindow_domain::login::OFFLINE_LOGIN_DAYS,
            idle_lock_minutes: onewindow_domain::login::IDLE_LOCK_MINUTES,
            cache_key: crate::cache_key::CacheKey::Keyring,
            low_disk_mb: LOW_DISK_MB,
        }
    }
}

/// The status bar's default warning threshold for free space under the data folder.
pub const LOW_DISK_MB: u64 = 500;

const CACHE_FILE: &str = "cache.db";

/// The search index and what hits need to be shown, rebuilt after each catalog change.
#[derive(Default)]
pub(crate) struct Snapshot {
    pub(crate) version_id: Option<i64>,
    pub(crate) index: CatalogIndex,
    pub(crate) docs: Vec<SearchDoc>,
    pub(crate) by_code: HashMap<String, usize>,
    pub(crate) domain_names: HashMap<String, String>,
}

impl Snapshot {
    fn load(store: &Store) -> Result<Snapshot, StoreError> {
        let docs = store.search_docs()?;
        let index = CatalogIndex::build(docs.iter().cloned());
        let by_code = docs
            .iter()
            .enumerate()
            .map(|(i, d)| (d.code.clone(), i))
            .collect();
        let domain_names = store
            .domains()?
            .into_iter()
            .map(|d| (d.code, d.name))
            .collect();
        Ok(Snapshot {
            version_id: store.stream_state(CATALOG)?.version_id,
            index,
            docs,
            by_code,
            domain_names,
        })
    }
}

#[derive(Debug, Default)]
struct SyncStatus {
    connectivity: Option<bool>,
    last_error: Option<String>,
    last_success: Option<DateTime<Utc>>,
}

pub struct Desk {
    pub(crate) config: DeskConfig,
    /// The hub: from settings, or the one the desk enrolled with.
    pub(crate) client: DeskRwLock<HubClient>,
    /// The enrolment, once made.
    pub(crate) identity: DeskRwLock<Option<onewindow_store::push::Identity>>,
    /// The device token, read from the OS keyring at start or received at enrolment.
    pub(crate) token: DeskMutex<Option<String>>,
    /// Why pushing cannot happen now (no keyring, revoked device), for the sync panel.
    pub(crate) push_problem: DeskMutex<Option<String>>,
    pub(crate) last_push: DeskMutex<Option<DateTime<Utc>>>,
    /// Who signed in (checked by the hub).
    pub(crate) user: DeskRwLock<Option<dto::UserView>>,
    /// The screen is locked: only signing in (the same clerk or another) opens it.
    pub(crate) locked: AtomicBool,
    /// The cache's key, once fetched from the keyring.
    cache_key: DeskMutex<Option<[u8; 32]>>,
    /// The hot folder, the open case and where its scans land.
    pub(crate) intake: crate::window::Intake,
    /// Bumped whenever a case on screen may have changed; [`Desk::run_revision_feed`] follows
    /// it and `poll_case` compares against it.
    pub(crate) revision: tokio::sync::watch::Sender<u64>,
    pub(crate) intake_stop: AtomicBool,
    /// The hot-folder thread and what wakes it, for [`Desk::shutdown`].
    pub(crate) intake_thread: DeskMutex<
        Option<(
            std::thread::JoinHandle<()>,
            Option<onewindow_intake::watch::Nudger>,
        )>,
    >,
    /// The status's cache reads, with the store and change stamp they were read at.
    status_reads: DeskMutex<Option<(StoreStamp, Arc<StatusReads>)>>,
    /// Why the last e-licence lookup of a case failed (offline), by case id.
    pub(crate) elicence_errors: DeskMutex<HashMap<String, String>>,
    /// `None` while the cache cannot be opened (see `cache_problem`).
    store: DeskRwLock<Option<Arc<Mutex<Store>>>>,
    cache_problem: DeskMutex<Option<CacheProblem>>,
    snapshot: DeskRwLock<Arc<Snapshot>>,
    sync: DeskMutex<SyncStatus>,
    syncing: AtomicBool,
    /// Serialises pulls (background loop, sync now, rebuild).
    pull_lock: tokio::sync::Mutex<()>,
    /// The catalog stream as last stored, so the status bar never waits on the store.
    catalog_state: DeskMutex<StreamState>,
    ready_written: AtomicBool,
    /// Call announcements, one at a time.
    pub(crate) announcer: onewindow_announce::Announcer,
    /// The window's queue as the hub last answered.
    pub(crate) queue: DeskMutex<crate::queue::QueueLocal>,
    /// What the applicant's screen is doing (their case, the rating, thanks).
    pub(crate) screen: DeskMutex<crate::applicant_screen::ScreenMode>,
    /// The hall board the display window shows.
    pub(crate) hall: DeskMutex<crate::hall::HallFeed>,
}

pub(crate) fn store_error(e: StoreError) -> AppError {
    tracing::error!(error = %e, "store error");
    let message = match &e {
        StoreError::Corrupt { .. } | StoreError::BadStoredJson { .. } => {
            "本地缓存已损坏，请从中心重建缓存".to_string()
        }
        StoreError::Migrate(onewindow_store::migrate::MigrateError::Newer { .. }) => {
            "本地缓存由更新版本的程序创建，请升级本程序".to_string()
        }
        StoreError::Transition { reason_zh, .. } => reason_zh.clone(),
        StoreError::CaseNotFound(_) => "找不到该办件，可能已被删除或尚未同步，请刷新".to_string(),
        StoreError::BadInput(_) => "操作无法完成：输入与办件当前内容不符，请刷新后重试".to_string(),
        e if e.is_disk_full() => {
            "本机磁盘已满，本次操作没有保存（已保存的内容不受影响）。请删除不需要的文件或请管理员清理磁盘后重试。".to_string()
        }
        _ => "读取本地缓存失败，请重试；如仍失败请查看日志".to_string(),
    };
    AppError {
        code: e.code().into(),
        message,
    }
}

fn problem_for(e: &StoreError, path: &Path) -> CacheProblem {
    // A full disk is not a damaged cache: rebuilding would not help, and the clerk must not be
    // sent to do it.
    let free_mb = path
        .parent()
        .and_then(|dir| fs4::available_space(dir).ok())
        .map(|b| b / (1024 * 1024));
    if e.is_disk_full() || free_mb.is_some_and(|mb| mb < 1) {
        return CacheProblem {
            code: ErrorCode::DiskFull,
            message: format!(
                "本机磁盘已满（剩余 {} MB），本地缓存无法打开。已保存的内容都在，不要重建缓存：请删除不需要的文件或请管理员清理磁盘，然后重新启动本程序。",
                free_mb.unwrap_or(0)
            ),
            path: path.display().to_string(),
        };
    }
    let message = match e {
        StoreError::Corrupt { .. } => {
            "本地缓存文件已损坏或无法解密，无法打开。可以从中心服务重建缓存（目录和日历会重新下载）。"
        }
        StoreError::Migrate(onewindow_store::migrate::MigrateError::Newer { .. }) => {
            "本地缓存由更新版本的程序创建，本程序无法使用。请升级程序，或从中心服务重建缓存。"
        }
        _ => "本地缓存无法打开（文件不可读或磁盘有误）。可以从中心服务重建缓存。",
    };
    CacheProblem {
        code: e.code().into(),
        message: message.to_string(),
        path: path.display().to_string(),
    }
}

impl Desk {
    /// Opens the cache; a cache that cannot be opened is reported, never deleted.
    pub fn open(config: DeskConfig) -> Arc<Desk> {
        let client = HubClient::pinned(&config.hub_url, config.hub_pin.as_deref());
        // The key comes first: the cache and every file intake keeps are sealed with it.
        let key = config.cache_key.get(&config.data_dir.join(CACHE_FILE));
        let seal = key
            .as_ref()
            .ok()
            .map(onewindow_intake::Seal::from_cache_key);
        let desk = Arc::new(Desk {
            client: DeskRwLock::new(Rank::Client, client),
            identity: DeskRwLock::new(Rank::Identity, None),
            token: DeskMutex::new(Rank::Token, None),
            push_problem: DeskMutex::new(Rank::PushProblem, None),
            last_push: DeskMutex::new(Rank::LastPush, None),
            user: DeskRwLock::new(Rank::User, None),
            intake: crate::window::Intake::new(
                &config.data_dir,
                &config.hot_folder,
                config.scan_stability,
                seal,
            ),
            revision: tokio::sync::watch::Sender::new(1),
            intake_stop: AtomicBool::new(false),
            intake_thread: DeskMutex::new(Rank::IntakeThread, None),
            status_reads: DeskMutex::new(Rank::StatusReads, None),
            elicence_errors: DeskMutex::new(Rank::ElicenceErrors, HashMap::new()),
            store: DeskRwLock::new(Rank::StoreSlot, None),
            cache_problem: DeskMutex::new(Rank::CacheProblem, None),
            snapshot: DeskRwLock::new(Rank::Snapshot, Arc::new(Snapshot::default())),
            sync: DeskMutex::new(Rank::Sync, SyncStatus::default()),
            syncing: AtomicBool::new(false),
            pull_lock: tokio::sync::Mutex::new(()),
            catalog_state: DeskMutex::new(Rank::CatalogState, StreamState::default()),
            ready_written: AtomicBool::new(false),
            announcer: crate::queue::announcer(&config),
            queue: DeskMutex::new(Rank::Queue, Default::default()),
            screen: DeskMutex::new(Rank::Screen, Default::default()),
            hall: DeskMutex::new(Rank::Hall, Default::default()),
            locked: AtomicBool::new(false),
            cache_key: DeskMutex::new(Rank::CacheKey, None),
            config,
        });
        let path = desk.cache_path();
        let key = match key {
            Ok(k) => k,
            Err(problem) => {
                // No keystore, no cache: never a plaintext key file, never an open cache.
                *desk.cache_problem.relock() = Some(problem);
                return desk;
            }
        };
        *desk.cache_key.relock() = Some(key);
        let opened = Store::open_encrypted(&path, &key).and_then(|s| {
            let snap = Snapshot::load(&s)?;
            let state = s.stream_state(CATALOG)?;
            Ok((s, snap, state))
        });
        match opened {
            Ok((store, snap, state)) => {
                tracing::info!(path = %path.display(), items = snap.docs.len(), "cache opened");
                *desk.catalog_state.relock() = state;
                *desk.store.write_now() = Some(Arc::new(Mutex::new(store)));
                *desk.snapshot.write_now() = Arc::new(snap);
                desk.load_identity();
            }
            Err(e) => {
                tracing::error!(path = %path.display(), error = %e, "cache cannot be opened");
                *desk.cache_problem.relock() = Some(problem_for(&e, &path));
            }
        }
        desk
    }

    pub fn cache_path(&self) -> PathBuf {
        self.config.data_dir.join(CACHE_FILE)
    }

    pub(crate) fn store(&self) -> Result<Arc<Mutex<Store>>, AppError> {
        self.store.read_now().clone().ok_or_else(|| AppError {
            code: ErrorCode::CacheUnavailable,
            message: "本地缓存不可用，请先从中心重建缓存".into(),
        })
    }

    pub(crate) fn with_store<T>(
        &self,
        f: impl FnOnce(&Store) -> Result<T, StoreError>,
    ) -> Result<T, AppError> {
        let store = self.store()?;
        let guard = store.relock();
        f(&guard).map_err(store_error)
    }

    pub(crate) fn snapshot(&self) -> Arc<Snapshot> {
        self.snapshot.read_now().clone()
    }

    pub fn status(&self) -> DeskStatus {
        let sync = self.sync.relock();
        let stream = self.catalog_state.relock().clone();
        let snap = self.snapshot();
        // Each read in its own statement: a guard made inside the literal below would be held
        // to its end, under the next reads (and `user` taken twice on one thread).
        let hub_url = self.client().base_url().to_string();
        let cache_problem = self.cache_problem.relock().clone();
        let push = self.push_health();
        let user = self.user.read_now().clone();
        let sign_in_required = self.sign_in_required();
        let queue_window = self.queue_window();
        let low_disk = self.low_disk();
        let waiting_scans = self.status_reads().waiting_scans;
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
            syncing: self.syncing.load(Ordering::SeqCst),
            cache_problem,
            push,
            user,
            locked: self.locked.load(Ordering::SeqCst),
            sign_in_required,
            idle_lock_minutes: self.config.idle_lock_minutes,
            queue_window,
            low_disk,
            waiting_scans,
        }
    }

    /// A warning while the data folder's disk has less than `low_disk_mb` free, before it
    /// fills: a full disk stops saving cases and taking scans.
    fn low_disk(&self) -> Option<dto::LowDisk> {
        let free = fs4::available_space(&self.config.data_dir).ok()?;
        let free_mb = free / (1024 * 1024);
        (free_mb < self.config.low_disk_mb).then(|| dto::LowDisk {
            free_mb,
            advice: format!(
                "本机存放数据的磁盘只剩 {free_mb} MB（低于 {} MB）。磁盘写满后将无法保存办件和接收扫描件，请尽快删除不需要的文件或请管理员清理磁盘。",
                self.config.low_disk_mb
            ),
        })
    }

    /// Follows the status bar's status for the main window, for as long as the desk runs:
    /// `show` gets it at start and then only when it changed. It is looked at here every
    /// [`STATUS_LOOK`] (memory, and cache reads only when the cache changed), so the window
    /// does not ask across IPC every second and an idle desk wakes its WebKit processes for
    /// nothing.
    pub async fn run_status_feed(self: Arc<Self>, show: impl Fn(DeskStatus) + Send + Sync) {
        self.follow(Desk::status, show).await
    }

    /// Looks at `look` every [`STATUS_LOOK`], off the async workers (it may wait for the
    /// cache's lock while a long pull holds it), and passes each value that differs from the
    /// last one passed on to `show`, the first one included. Runs until the process ends.
    pub(crate) async fn follow<T: PartialEq + Clone + Send + 'static>(
        self: Arc<Self>,
        look: fn(&Desk) -> T,
        show: impl Fn(T) + Send + Sync,
    ) {
        let mut last: Option<T> = None;
        let mut tick = tokio::time::interval(STATUS_LOOK);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            let desk = self.clone();
            let Ok(now) = tokio::task::spawn_blocking(move || look(&desk)).await else {
                continue;
            };
            if last.as_ref() != Some(&now) {
                last = Some(now.clone());
                show(now);
            }
        }
    }

    /// Ends the desk in order before the process exits: the hot-folder thread is stopped and
    /// joined (a file being taken is finished), then the cache is closed here, while the
    /// process's crypto library is still whole. Dropping the last handle of an SQLCipher
    /// connection on another thread while `main` returns crashed in its codec clean-up. After
    /// this the desk has no cache; it is for the last moment of the process.
    pub fn shutdown(&self) {
        self.intake_stop.store(true, Ordering::SeqCst);
        let thread = self.intake_thread.relock().take();
        if let Some((handle, nudger)) = thread {
            if let Some(n) = nudger {
                n.nudge();
            }
            if handle.join().is_err() {
                tracing::error!("hot folder thread ended in a panic");
            }
        }
        let store = self.store.write_now().take();
        let Some(mut store) = store else {
            return;
        };
        // A command or a loop may still hold the cache for a moment: wait up to a second.
        for _ in 0..100 {
            match Arc::try_unwrap(store) {
                Ok(only) => {
                    drop(only.into_inner().unwrap_or_else(|p| p.into_inner()));
                    tracing::info!("cache closed");
                    return;
                }
                Err(shared) => {
                    store = shared;
                    std::thread::sleep(Duration::from_millis(10));
                }
            }
        }
        // Still in use: never closed from another thread during exit; the OS releases it,
        // and every commit is already in the file.
        tracing::warn!("cache still in use at exit; left open");
        std::mem::forget(store);
    }

    /// Which cache is open and its change stamp: equal values mean nothing in the cache changed
    /// in between. `None` without a cache or when the stamp cannot be read.
    pub(crate) fn store_stamp(&self) -> Option<StoreStamp> {
        let store = self.store().ok()?;
        let guard = store.relock();
        stamp_of(&store, &guard)
    }

    /// What the status shows from the cache, read again only when the cache changed since the
    /// last look (the status feed looks every second; an idle desk reads nothing).
    pub(crate) fn status_reads(&self) -> Arc<StatusReads> {
        let Ok(store) = self.store() else {
            return Arc::new(StatusReads {
                stream_pulls: vec![None; PULL_STREAMS.len()],
                ..StatusReads::default()
            });
        };
        let guard = store.relock();
        let key = stamp_of(&store, &guard);
        let mut kept = self.status_reads.relock();
        if let (Some(key), Some((kept_key, reads))) = (key, kept.as_ref())
            && key == *kept_key
        {
            return reads.clone();
        }
        let reads = Arc::new(StatusReads {
            push: guard.push_health().unwrap_or_default(),
            stream_pulls: PULL_STREAMS
                .iter()
                .map(|(stream, _)| {
                    guard
                        .stream_state(stream)
                        .ok()
                        .and_then(|st| st.last_pull_at)
                })
                .collect(),
            queue_config: guard.queue_config().ok().flatten(),
            waiting_scans: guard.waiting_scan_count().unwrap_or_default(),
        });
        *kept = key.map(|k| (k, reads.clone()));
        reads
    }

    /// The hall window this desk sits at, by its desk code in the pulled queue configuration.
    fn queue_window(&self) -> Option<dto::QueueWindowView> {
        let reads = self.status_reads();
        let cfg = reads.queue_config.as_ref()?;
        let w = cfg.window_of_desk(&self.desk_code())?;
        Some(dto::QueueWindowView {
            number: w.number,
            name: w.name.clone(),
            domains_label: cfg.domains_label(w),
            tidal: w.tidal,
        })
    }

    /// Marks the UI usable; writes the ready file once (for start-up measurements).
    pub fn ui_ready(&self) {
        if self.ready_written.swap(true, Ordering::SeqCst) {
            return;
        }
        tracing::info!("ui ready");
        if let Some(path) = &self.config.ready_file {
            let now = Utc::now().timestamp_micros();
            if let Err(e) = std::fs::write(path, now.to_string()) {
                tracing::warn!(path = %path.display(), error = %e, "cannot write ready file");
            }
        }
    }

    /// One round of sync: calendar, queue configuration, then catalog. Returns whether the catalog changed.
    pub async fn sync_once(&self) -> Result<bool, AppError> {
        let _one_at_a_time = self.pull_lock.lock().await;
        let store = self.store()?;
        self.syncing.store(true, Ordering::SeqCst);
        let client = self.client();
        let result = async {
            onewindow_sync::pull_calendar(&client, &store).await?;
            onewindow_sync::pull_queue_config(&client, &store).await?;
            onewindow_sync::pull_catalog(&client, &store).await
        }
        .await;
        self.syncing.store(false, Ordering::SeqCst);
        match result {
            Ok(report) => {
                {
                    let mut sync = self.sync.relock();
                    sync.connectivity = Some(true);
                    sync.last_error = None;
                    sync.last_success = Some(Utc::now());
                }
                *self.catalog_state.relock() = report.state.clone();
                let changed = report.state.version_id != self.snapshot().version_id;
                if changed {
                    self.reload_snapshot()?;
                }
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
                Err(AppError {
                    code: e.code().into(),
                    message: e.message_zh(),
                })
            }
        }
    }

    /// After a catalog reset: the empty catalog is what the window searches until it comes back.
    pub(crate) fn reload_catalog_after_reset(&self) -> Result<(), AppError> {
        *self.catalog_state.relock() = self.with_store(|s| s.stream_state(CATALOG))?;
        self.reload_snapshot()
    }

    fn reload_snapshot(&self) -> Result<(), AppError> {
        let snap = self.with_store(Snapshot::load)?;
        tracing::info!(items = snap.docs.len(), version = ?snap.version_id, "catalog index rebuilt");
        *self.snapshot.write_now() = Arc::new(snap);
        Ok(())
    }

    /// Pulls now (the clerk pressed F5) and returns the new status.
    pub async fn sync_now(&self) -> DeskStatus {
        let _ = self.sync_once().await;
        self.status()
    }

    /// Moves the damaged cache aside (never deletes it), starts an empty one and pulls.
    pub async fn rebuild_cache(&self) -> Result<DeskStatus, AppError> {
        let path = self.cache_path();
        if self
            .cache_problem
            .relock()
            .as_ref()
            .is_some_and(|p| p.code == ErrorCode::DiskFull)
        {
            // The cache is whole; a new one would not fit either.
            return Err(AppError {
                code: ErrorCode::DiskFull,
                message: "本机磁盘已满，本地缓存完好，无需重建：请清理磁盘后重新启动本程序。"
                    .into(),
            });
        }
        {
            let _no_pull = self.pull_lock.lock().await;
            let mut slot = self.store.write_now();
            *slot = None;
            let stamp = Utc::now().format("%Y%m%d%H%M%S");
            for suffix in ["", "-wal", "-shm"] {
                let from = PathBuf::from(format!("{}{suffix}", path.display()));
                if from.exists() {
                    let to = PathBuf::from(format!("{}.damaged-{stamp}{suffix}", path.display()));
                    std::fs::rename(&from, &to).map_err(|e| {
                        tracing::error!(from = %from.display(), error = %e, "cannot move cache aside");
                        AppError {
                            code: ErrorCode::CacheMoveFailed,
                            message: format!("无法将损坏的缓存改名保留（{}），请检查文件权限", from.display()),
                        }
                    })?;
                    tracing::warn!(from = %from.display(), to = %to.display(), "damaged cache kept aside");
                }
            }
            let key = match *self.cache_key.relock() {
                Some(k) => k,
                None => self.config.cache_key.get(&path).map_err(|p| AppError {
                    code: p.code,
                    message: p.message.clone(),
                })?,
            };
            let store = Store::open_encrypted(&path, &key).map_err(store_error)?;
            let snap = Snapshot::load(&store).map_err(store_error)?;
            let catalog = store.stream_state(CATALOG).map_err(store_error)?;
            *slot = Some(Arc::new(Mutex::new(store)));
            // The status reads these before the slot: set them once the slot is let go.
            drop(slot);
            *self.catalog_state.relock() = catalog;
            *self.snapshot.write_now() = Arc::new(snap);
            *self.cache_problem.relock() = None;
        }
        // Offline the cache stays empty until the hub answers; the status bar says so.
        let _ = self.sync_once().await;
        Ok(self.status())
    }

    /// Asks the hub for its health and records the connectivity.
    pub async fn check_hub(&self) {
        let result = self.client().health().await;
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
            if self.store.read_now().is_some() {
                let _ = self.sync_once().await;
            } else {
                // No cache to pull into: still tell the clerk whether the hub (needed for the
                // rebuild) answers, instead of 连接中… forever.
                self.check_hub().await;
            }
            tokio::time::sleep(self.config.sync_interval).await;
        }
    }
}

/// Which cache is open (its address) and its change stamp; see [`Desk::store_stamp`].
pub(crate) type StoreStamp = (usize, onewindow_store::ChangeStamp);

/// `store`'s [`StoreStamp`], read through its lock `guard`.
fn stamp_of(store: &Arc<Mutex<Store>>, guard: &Store) -> Option<StoreStamp> {
    let stamp = guard.change_stamp().ok()?;
    Some((Arc::as_ptr(store) as usize, stamp))
}

/// The pull streams the status lists, with their labels for the clerk.
pub(crate) const PULL_STREAMS: [(&str, &str); 4] = [
    ("catalog", "事项目录"),
    ("calendar", "节假日日历"),
    ("queue_config", "叫号配置"),
    ("results", "办理结果"),
];

/// What the status reads from the cache (see [`Desk::status_reads`]).
#[derive(Debug, Default)]
pub(crate) struct StatusReads {
    pub push: onewindow_store::push::PushHealth,
    /// The last pull of each of [`PULL_STREAMS`], in that order.
    pub stream_pulls: Vec<Option<String>>,
    pub queue_config: Option<onewindow_domain::queue::QueueConfig>,
    /// Scans waiting for the clerk's choice.
    pub waiting_scans: u32,
}

/// How often [`Desk::run_status_feed`] and the other feeds look at what they follow.
pub const STATUS_LOOK: Duration = Duration::from_secs(1);
