//! The cache service: the encrypted `cache.db` and its key, why it cannot be opened, the
//! status's reads from it, and the disk it lives on. Every other service reaches the store
//! only through [`Cache::with_store`] and [`Cache::with_store_mut`] (or, for the sync crate,
//! the shared handle of [`Cache::store`]).

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use onewindow_store::{Store, StoreError};

use crate::cache_key::CacheKey;
use crate::desk::DeskConfig;
use crate::dto::{self, AppError, CacheProblem};
use crate::error::ErrorCode;
use crate::locks::{DeskMutex, DeskRwLock, Rank, Relock};

const CACHE_FILE: &str = "cache.db";

/// The status bar's default warning threshold for free space under the data folder.
pub const LOW_DISK_MB: u64 = 500;

pub(crate) struct Cache {
    path: PathBuf,
    data_dir: PathBuf,
    low_disk_mb: u64,
    /// Where the key comes from (the OS keyring, or given by tests).
    key_source: CacheKey,
    /// The key, once fetched.
    key: DeskMutex<Option<[u8; 32]>>,
    /// `None` while the cache cannot be opened (see `problem`).
    slot: DeskRwLock<Option<Arc<Mutex<Store>>>>,
    problem: DeskMutex<Option<CacheProblem>>,
    /// The status's cache reads, with the store and change stamp they were read at.
    status_reads: DeskMutex<Option<(StoreStamp, Arc<StatusReads>)>>,
    /// The desk's clock (names a damaged cache moved aside).
    clock: onewindow_domain::clock::Clock,
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

impl Cache {
    /// Fetches the key and opens the cache; a cache that cannot be opened is reported, never
    /// deleted. Also returns the key (the files intake keeps are sealed with it), or `None`
    /// without a keystore.
    pub(crate) fn open(config: &DeskConfig) -> (Cache, Option<[u8; 32]>) {
        let path = config.data_dir.join(CACHE_FILE);
        let cache = Cache {
            data_dir: config.data_dir.clone(),
            low_disk_mb: config.low_disk_mb,
            key_source: config.cache_key.clone(),
            key: DeskMutex::new(Rank::CacheKey, None),
            slot: DeskRwLock::new(Rank::StoreSlot, None),
            problem: DeskMutex::new(Rank::CacheProblem, None),
            status_reads: DeskMutex::new(Rank::StatusReads, None),
            clock: config.clock.clone(),
            path,
        };
        let key = match cache.key_source.get(&cache.path) {
            Ok(k) => k,
            Err(problem) => {
                // No keystore, no cache: never a plaintext key file, never an open cache.
                *cache.problem.relock() = Some(problem);
                return (cache, None);
            }
        };
        *cache.key.relock() = Some(key);
        match Store::open_encrypted(&cache.path, &key) {
            Ok(store) => {
                let store = store.with_clock(cache.clock.clone());
                *cache.slot.write_now() = Some(Arc::new(Mutex::new(store)))
            }
            Err(e) => cache.refuse(&e),
        }
        (cache, Some(key))
    }

    /// The cache cannot be used after all (`e` when it was opened or first read): it is
    /// closed and the problem reported.
    pub(crate) fn refuse(&self, e: &StoreError) {
        tracing::error!(path = %self.path.display(), error = %e, "cache cannot be opened");
        *self.slot.write_now() = None;
        *self.problem.relock() = Some(problem_for(e, &self.path));
    }

    pub(crate) fn path(&self) -> &Path {
        &self.path
    }

    pub(crate) fn is_open(&self) -> bool {
        self.slot.read_now().is_some()
    }

    /// Why the cache cannot be used, if it cannot.
    pub(crate) fn problem(&self) -> Option<CacheProblem> {
        self.problem.relock().clone()
    }

    /// The shared handle (the sync crate locks it on its blocking pool).
    pub(crate) fn store(&self) -> Result<Arc<Mutex<Store>>, AppError> {
        self.slot.read_now().clone().ok_or_else(|| AppError {
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

    pub(crate) fn with_store_mut<T>(
        &self,
        f: impl FnOnce(&mut Store) -> Result<T, StoreError>,
    ) -> Result<T, AppError> {
        let store = self.store()?;
        let mut guard = store.relock();
        f(&mut guard).map_err(store_error)
    }

    /// Which cache is open and its change stamp: equal values mean nothing in the cache changed
    /// in between. `None` without a cache or when the stamp cannot be read.
    pub(crate) fn stamp(&self) -> Option<StoreStamp> {
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

    /// A warning while the data folder's disk has less than `low_disk_mb` free, before it
    /// fills: a full disk stops saving cases and taking scans.
    pub(crate) fn low_disk(&self) -> Option<dto::LowDisk> {
        let free = fs4::available_space(&self.data_dir).ok()?;
        let free_mb = free / (1024 * 1024);
        (free_mb < self.low_disk_mb).then(|| dto::LowDisk {
            free_mb,
            advice: format!(
                "本机存放数据的磁盘只剩 {free_mb} MB（低于 {} MB）。磁盘写满后将无法保存办件和接收扫描件，请尽快删除不需要的文件或请管理员清理磁盘。",
                self.low_disk_mb
            ),
        })
    }

    /// Moves the damaged cache aside (never deletes it) and opens an empty one in its place.
    /// The caller keeps pulls out meanwhile.
    pub(crate) fn rebuild(&self) -> Result<(), AppError> {
        if self
            .problem
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
        let path = &self.path;
        let mut slot = self.slot.write_now();
        *slot = None;
        let stamp = self.clock.now().format("%Y%m%d%H%M%S");
        for suffix in ["", "-wal", "-shm"] {
            let from = PathBuf::from(format!("{}{suffix}", path.display()));
            if from.exists() {
                let to = PathBuf::from(format!("{}.damaged-{stamp}{suffix}", path.display()));
                std::fs::rename(&from, &to).map_err(|e| {
                    tracing::error!(from = %from.display(), error = %e, "cannot move cache aside");
                    AppError {
                        code: ErrorCode::CacheMoveFailed,
                        message: format!(
                            "无法将损坏的缓存改名保留（{}），请检查文件权限",
                            from.display()
                        ),
                    }
                })?;
                tracing::warn!(from = %from.display(), to = %to.display(), "damaged cache kept aside");
            }
        }
        let key = match *self.key.relock() {
            Some(k) => k,
            None => self.key_source.get(path).map_err(|p| AppError {
                code: p.code,
                message: p.message.clone(),
            })?,
        };
        let store = Store::open_encrypted(path, &key)
            .map_err(store_error)?
            .with_clock(self.clock.clone());
        *slot = Some(Arc::new(Mutex::new(store)));
        // The problem ranks before the slot: cleared once the slot is let go.
        drop(slot);
        *self.problem.relock() = None;
        Ok(())
    }

    /// Closes the cache, here, for the last moment of the process: dropping the last handle of
    /// an SQLCipher connection on another thread while `main` returns crashed in its codec
    /// clean-up. After this there is no cache.
    pub(crate) fn close(&self) {
        let store = self.slot.write_now().take();
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
}

/// Which cache is open (its address) and its change stamp; see [`Cache::stamp`].
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

/// What the status reads from the cache (see [`Cache::status_reads`]).
#[derive(Debug, Default)]
pub(crate) struct StatusReads {
    pub push: onewindow_store::push::PushHealth,
    /// The last pull of each of [`PULL_STREAMS`], in that order.
    pub stream_pulls: Vec<Option<String>>,
    pub queue_config: Option<onewindow_domain::queue::QueueConfig>,
    /// Scans waiting for the clerk's choice.
    pub waiting_scans: u32,
}
