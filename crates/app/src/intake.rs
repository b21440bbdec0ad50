//! The intake service: the hot folder and the thread that watches it, the open case its scans
//! land in (and which scans came before it), recovering what a crash left, the sealed files
//! intake keeps (scans, thumbnails and the archive of printed documents), and the revision of
//! what the window shows, which every service bumps when the case on screen may have changed.
//!
//! A scan belongs to the case open when it arrived; anything else waits for the clerk's
//! choice (待分配扫描件), never going into another applicant's case by itself.

use std::collections::HashSet;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use onewindow_intake::watch::{self, Pace, Watch, WatchMode};
use onewindow_intake::{Arrival, Held, HotFolder, IntakeConfig, Outcome, Seal, Taken};
use onewindow_store::cases::Attachment;
use onewindow_store::scans::WaitReason;
use sha2::{Digest, Sha256};

use crate::cache::Cache;
use crate::desk::DeskConfig;
use crate::dto::{self, AppError};
use crate::error::ErrorCode;
use crate::locks::{DeskMutex, Rank};

/// The title of a document of the stored `kind`, for the clerk ("文书" for a kind this version
/// does not know).
pub(crate) fn doc_title(kind: &str) -> &'static str {
    dto::DocumentKind::parse(kind).map_or("文书", dto::DocumentKind::title)
}

/// In the data folder once every file an earlier version left in plaintext is sealed.
/// Written once every file is sealed under its own key (the first format's marker was
/// `files-sealed`; a desk that has only that one walks its files once more to reseal them).
const FILES_SEALED_MARKER: &str = "files-sealed-v2";

/// What the window is doing now: the open case and where new scans land.
#[derive(Debug, Default)]
struct WindowState {
    case_id: Option<String>,
    /// When `case_id` became the open case: scans that arrived earlier are not its own.
    focused_at: Option<Instant>,
    /// Names in the hot folder when `case_id` became the open case: pages written before it
    /// (however late the watch sees them) are not its own. A name leaves the set when a file
    /// of that name is taken, so a scanner that always writes `scan.pdf` is not held up.
    present_at_focus: HashSet<String>,
    slot: Option<usize>,
    quarantined: Vec<dto::QuarantineView>,
    /// Ready scans the hot folder could not be taken from, as its last scan left them.
    held: Vec<dto::HeldScanView>,
    intake_error: Option<String>,
}

pub(crate) struct Intake {
    desk: Arc<DeskConfig>,
    cache: Arc<Cache>,
    hot: DeskMutex<Option<HotFolder>>,
    config: IntakeConfig,
    state: DeskMutex<WindowState>,
    /// Bumped whenever a case on screen may have changed; [`Intake::run_revision_feed`]
    /// follows it and `poll_case` compares against it.
    revision: tokio::sync::watch::Sender<u64>,
    stopping: AtomicBool,
    /// The hot-folder thread and what wakes it, for [`Intake::stop_and_join`].
    thread: DeskMutex<Option<(std::thread::JoinHandle<()>, Option<watch::Nudger>)>>,
}

/// What the case screen shows of intake for one case.
pub(crate) struct OnScreen {
    /// New scans land in this case.
    pub(crate) target: bool,
    /// The material slot they land in (`None`: the tray).
    pub(crate) slot: Option<u32>,
    pub(crate) quarantined: Vec<dto::QuarantineView>,
    pub(crate) held: Vec<dto::HeldScanView>,
}

/// Where the desk archives the documents it printed, by case.
pub(crate) fn documents_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("documents")
}

/// Whether intake failed because the desk's disk is full.
pub(crate) fn intake_disk_full(e: &onewindow_intake::IntakeError) -> bool {
    let onewindow_intake::IntakeError::Io { source, .. } = e;
    source.kind() == std::io::ErrorKind::StorageFull
}

/// A taken file as a case's (or the waiting list's) attachment.
pub(crate) fn attachment_of(t: &Taken, slot: Option<usize>) -> Attachment {
    let kind = match t.kind {
        onewindow_intake::FileKind::Jpeg => "jpeg",
        onewindow_intake::FileKind::Png => "png",
        onewindow_intake::FileKind::Pdf => "pdf",
    };
    Attachment {
        sha256: t.sha256.clone(),
        slot,
        original_name: t.original_name.clone(),
        size: t.size,
        kind: kind.into(),
        pages: t.pages,
    }
}

/// Why a taken scan could not be recorded: it stays in the hot folder with this reason.
pub(crate) fn not_recorded(t: &Taken, e: &AppError) -> Held {
    tracing::warn!(code = %e.code, "taken scan not recorded; it stays in the hot folder");
    let (code, reason_zh) = if e.code == ErrorCode::DiskFull {
        (
            "disk_full",
            "本机磁盘已满，扫描件无法登记；文件仍在扫描文件夹中，清理磁盘后将自动接收".to_string(),
        )
    } else {
        (
            "not_recorded",
            "扫描件无法登记到本机缓存；文件仍在扫描文件夹中，稍后自动重试，如一直不能接收请查看日志"
                .to_string(),
        )
    };
    Held {
        name: t.original_name.clone(),
        code,
        reason_zh,
    }
}

impl Intake {
    /// Intake under the data folder, every file it keeps sealed with `seal`. Without one (no
    /// keystore) nothing is taken in: the hot folder is left alone and the window says why.
    pub(crate) fn new(desk: Arc<DeskConfig>, cache: Arc<Cache>, seal: Option<Seal>) -> Intake {
        let (folder, config, state) = open_folder(&desk, seal);
        Intake {
            desk,
            cache,
            hot: DeskMutex::new(Rank::HotFolder, folder),
            config,
            state: DeskMutex::new(Rank::OpenCase, state),
            revision: tokio::sync::watch::Sender::new(1),
            stopping: AtomicBool::new(false),
            thread: DeskMutex::new(Rank::IntakeThread, None),
        }
    }
}

/// The hot folder (`None` when it cannot be used, with why in the state), after sealing what
/// an earlier version left in plaintext.
fn open_folder(
    desk: &DeskConfig,
    seal: Option<Seal>,
) -> (Option<HotFolder>, IntakeConfig, WindowState) {
    let (data_dir, hot) = (&desk.data_dir, &desk.hot_folder);
    let config = IntakeConfig {
        stability: desk.scan_stability,
        ..IntakeConfig::under(&data_dir.join("intake"), hot)
    };
    let mut state = WindowState::default();
    let Some(seal) = seal else {
        state.intake_error = Some("本机密钥库不可用，扫描件无法加密保存，暂不接收扫描".into());
        return (None, config, state);
    };
    // Files an earlier version kept in plaintext are sealed before anything reads them, and
    // files of the first sealed format (one key for all) are sealed again under their own:
    // scans, thumbnails, staging, quarantine and the documents archive. Once all are, a
    // marker spares later starts the walk.
    let marker = data_dir.join(FILES_SEALED_MARKER);
    if !marker.exists() {
        let mut whole = true;
        for dir in [data_dir.join("intake"), documents_dir(data_dir)] {
            match onewindow_intake::seal::seal_legacy_files(&seal, &dir) {
                Ok(done) if done == Default::default() => {}
                Ok(done) => tracing::info!(
                    plaintext = done.sealed,
                    first_format = done.resealed,
                    dir = %dir.display(),
                    "files sealed under their own keys"
                ),
                Err(e) => {
                    whole = false;
                    tracing::error!(error = %e, dir = %dir.display(), "plaintext files cannot be sealed");
                }
            }
        }
        if whole
            && let Err(e) = std::fs::create_dir_all(data_dir)
                .and_then(|()| std::fs::write(&marker, b"files sealed\n"))
        {
            tracing::warn!(error = %e, "sealing marker cannot be written");
        }
    }
    let config = config.sealed(seal);
    let folder = match HotFolder::new(config.clone()) {
        Ok(f) => Some(f),
        Err(e) => {
            tracing::error!(error = %e, "hot folder cannot be used");
            state.intake_error = Some(format!(
                "扫描文件夹 {} 无法使用，请检查设置和磁盘",
                hot.display()
            ));
            None
        }
    };
    (folder, config, state)
}

impl Intake {
    /// Where intake keeps its files and how it takes them.
    pub(crate) fn config(&self) -> &IntakeConfig {
        &self.config
    }

    /// The revision of what the window shows.
    pub(crate) fn revision(&self) -> u64 {
        *self.revision.borrow()
    }

    /// The case on screen may have changed: the window looks again.
    pub(crate) fn bump(&self) {
        self.revision.send_modify(|r| *r += 1);
    }

    /// Passes each new revision to `show`, for as long as the desk runs.
    pub(crate) async fn run_revision_feed(&self, show: impl Fn(u64) + Send + Sync) {
        let mut rx = self.revision.subscribe();
        while rx.changed().await.is_ok() {
            let revision = *rx.borrow_and_update();
            show(revision);
        }
    }

    /// Runs `f` on the hot folder's pipeline (imports, setting aside); `unavailable` is the
    /// clerk's message when intake cannot be used.
    pub(crate) fn with_hot<T>(
        &self,
        unavailable: &str,
        f: impl FnOnce(&mut HotFolder) -> T,
    ) -> Result<T, AppError> {
        let mut hot = self.hot.relock();
        let h = hot
            .as_mut()
            .ok_or_else(|| AppError::new(ErrorCode::IntakeUnavailable, unavailable))?;
        Ok(f(h))
    }

    /// New scans land in `case_id`, in `slot` (`None`: the tray).
    pub(crate) fn select(&self, case_id: &str, slot: Option<usize>) {
        let mut st = self.state.relock();
        st.case_id = Some(case_id.to_string());
        st.slot = slot;
    }

    /// Where new scans land in `case_id`, while it is the open case.
    pub(crate) fn slot_for(&self, case_id: &str) -> Option<usize> {
        let st = self.state.relock();
        (st.case_id.as_deref() == Some(case_id))
            .then_some(st.slot)
            .flatten()
    }

    /// A held scan the clerk set aside leaves the list.
    pub(crate) fn forget_held(&self, name: &str) {
        self.state.relock().held.retain(|h| h.name != name);
    }

    /// What the case screen shows of intake for `case_id`.
    pub(crate) fn on_screen(&self, case_id: &str) -> OnScreen {
        let st = self.state.relock();
        let target = st.case_id.as_deref() == Some(case_id);
        let mut quarantined = st.quarantined.clone();
        if let Some(e) = &st.intake_error {
            quarantined.push(dto::QuarantineView {
                name: String::new(),
                reason: e.clone(),
                path: String::new(),
            });
        }
        OnScreen {
            target,
            slot: if target {
                st.slot.map(|s| s as u32)
            } else {
                None
            },
            quarantined,
            held: st.held.clone(),
        }
    }

    pub(crate) fn documents_dir(&self) -> PathBuf {
        documents_dir(&self.desk.data_dir)
    }

    /// Writes the PDF into the archive (content-addressed, so writing it twice is harmless)
    /// before anything refers to it. Returns the path relative to the archive and the SHA-256.
    pub(crate) fn write_archive(
        &self,
        case_number: &str,
        kind: &str,
        pdf: &[u8],
    ) -> Result<(String, String), AppError> {
        let sha = format!("{:x}", Sha256::digest(pdf));
        let rel = format!("{case_number}/{kind}-{}.pdf", &sha[..12]);
        let path = self.documents_dir().join(&rel);
        let seal = self.seal()?;
        path.parent()
            .map_or(Ok(()), std::fs::create_dir_all)
            .and_then(|()| seal.write_file(&path, pdf))
            .map_err(|e| {
                tracing::error!(error = %e, kind, "document cannot be archived");
                if e.kind() == std::io::ErrorKind::StorageFull {
                    AppError::new(
                        ErrorCode::DiskFull,
                        format!(
                            "本机磁盘已满，{}无法存档，办件未作变更。请删除不需要的文件或请管理员清理磁盘后重试。",
                            doc_title(kind)
                        ),
                    )
                } else {
                    AppError::new(
                        ErrorCode::Archive,
                        format!(
                            "{}无法存档（没有写入权限或磁盘有误），办件未作变更，请检查后重试",
                            doc_title(kind)
                        ),
                    )
                }
            })?;
        Ok((rel, sha))
    }

    /// What the desk's files are sealed with; none without a keystore, and then no document
    /// is written or read.
    pub(crate) fn seal(&self) -> Result<&Seal, AppError> {
        self.config.seal.as_ref().ok_or_else(|| {
            AppError::new(
                ErrorCode::KeystoreUnavailable,
                "本机密钥库不可用，文书无法加密存档或读取，请联系管理员",
            )
        })
    }

    /// The PDF of an archived document, opened.
    pub(crate) fn read_archive(&self, rel: &str) -> Result<Vec<u8>, AppError> {
        let path = self.documents_dir().join(rel);
        self.seal()?.read_file(&path).map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                tracing::error!(file = rel, "archived document file is missing");
                AppError::new(
                    ErrorCode::DocumentMissing,
                    "存档的文书文件不见了（可能被移走或删除），无法打开",
                )
            } else {
                tracing::error!(file = rel, error = %e, "archived document cannot be opened");
                AppError::new(
                    ErrorCode::DocumentDamaged,
                    "存档的文书文件已损坏或无法解密，无法打开；办件记录不受影响",
                )
            }
        })
    }

    /// Starts watching the hot folder on its own thread (events or polling, plus a periodic
    /// rescan). Taken files land in the open case's selected slot, or its tray.
    pub(crate) fn start(self: &Arc<Self>) {
        let mode = match self.desk.hot_folder_poll {
            Some(every) => WatchMode::Poll(every),
            None => WatchMode::Events,
        };
        let watch = match Watch::start(&self.desk.hot_folder, mode) {
            Ok(w) => Some(w),
            Err(e) => {
                // Without OS events the periodic rescan still takes every file.
                tracing::warn!(error = %e, "hot folder events unavailable; rescanning only");
                None
            }
        };
        let nudger = watch.as_ref().map(Watch::nudger);
        let intake = Arc::clone(self);
        let (first_look, looked) = std::sync::mpsc::channel();
        let spawned = std::thread::Builder::new()
            .name("hot-folder".into())
            .spawn(move || intake.intake_loop(watch, first_look));
        match spawned {
            Ok(handle) => {
                *self.thread.relock() = Some((handle, nudger));
                // What is in the folder before any case opens must be known as such (it goes
                // to no case by itself); a folder on a dead network drive does not hold up
                // the start for long.
                let _ = looked.recv_timeout(std::time::Duration::from_millis(500));
            }
            Err(e) => tracing::error!(error = %e, "cannot start the hot folder thread"),
        }
    }

    pub(crate) fn intake_loop(
        &self,
        watch: Option<Watch>,
        first_look: std::sync::mpsc::Sender<()>,
    ) {
        // The first look only notes what is there (nothing is stable at first sight).
        self.scan_hot_folder();
        let _ = first_look.send(());
        self.recover_scans();
        let pace = Pace::for_stability(self.config.stability);
        watch::drive(watch.as_ref(), pace, &self.stopping, || {
            ControlFlow::Continue(self.scan_hot_folder())
        });
    }

    /// One look at the hot folder: takes what is ready into the open case and returns whether a
    /// file is still waiting to become stable.
    pub(crate) fn scan_hot_folder(&self) -> bool {
        // A panic while decoding one hostile file must not end scanning for the day.
        let scanned = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let mut hot = self.hot.relock();
            hot.as_mut().map(|h| {
                h.scan_keeping(Instant::now(), &mut |t, arrival| self.keep_scan(t, arrival))
                    .map(|o| (o, h.has_pending(), h.held()))
            })
        }));
        let (outcomes, pending) = match scanned {
            Ok(Some(Ok((outcomes, pending, held)))) => {
                let held: Vec<dto::HeldScanView> = held
                    .into_iter()
                    .map(|h| dto::HeldScanView {
                        name: h.name,
                        code: h.code.into(),
                        reason: h.reason_zh,
                    })
                    .collect();
                let mut st = self.state.relock();
                if st.intake_error.take().is_some() {
                    tracing::info!("hot folder scanning again");
                }
                if st.held != held {
                    st.held = held;
                    drop(st);
                    self.bump();
                }
                (outcomes, pending)
            }
            Ok(Some(Err(e))) => {
                tracing::error!(error = %e, "hot folder scan failed");
                self.intake_problem(format!(
                    "扫描文件夹 {} 暂时无法读取（网络盘断开或权限不足），恢复后将自动继续",
                    self.desk.hot_folder.display()
                ));
                (vec![], false)
            }
            Ok(None) => (vec![], false),
            Err(_) => {
                tracing::error!("hot folder scan panicked; continuing with the next scan");
                self.intake_problem(
                    "处理一个扫描文件时出错，已跳过；如文件仍在扫描文件夹中请重新扫描".into(),
                );
                (vec![], false)
            }
        };
        for o in outcomes {
            self.take_in(o);
        }
        pending
    }

    pub(crate) fn intake_problem(&self, message: String) {
        let mut st = self.state.relock();
        if st.intake_error.as_deref() != Some(message.as_str()) {
            st.intake_error = Some(message);
            drop(st);
            self.bump();
        }
    }

    /// Stops the hot folder thread (tests; the app stops with the process).
    pub(crate) fn stop(&self) {
        self.stopping.store(true, Ordering::SeqCst);
    }

    /// Stops the hot-folder thread and waits for it (a file being taken is finished).
    pub(crate) fn stop_and_join(&self) {
        self.stop();
        let thread = self.thread.relock().take();
        if let Some((handle, nudger)) = thread {
            if let Some(n) = nudger {
                n.nudge();
            }
            if handle.join().is_err() {
                tracing::error!("hot folder thread ended in a panic");
            }
        }
    }

    /// One file out of the pipeline, already recorded (see [`Intake::keep_scan`]): the window
    /// shows it; a quarantined one is listed with its reason.
    pub(crate) fn take_in(&self, outcome: Outcome) {
        match outcome {
            Outcome::Taken(t) => {
                tracing::info!(kind = ?t.kind, size = t.size, duplicate = t.duplicate, "scan taken");
            }
            Outcome::Quarantined(q) => self.list_quarantined(q),
        }
        self.bump();
    }

    pub(crate) fn list_quarantined(&self, q: onewindow_intake::Quarantined) {
        let mut st = self.state.relock();
        st.quarantined.push(dto::QuarantineView {
            name: q.original_name,
            reason: q.reason_zh,
            path: q.path.display().to_string(),
        });
        let n = st.quarantined.len();
        if n > 20 {
            st.quarantined.drain(..n - 20);
        }
    }

    /// Records a scan taken from the hot folder before the file leaves it. A scan belongs to the
    /// case open when it arrived: taken on its first try, first seen after that case was opened.
    /// Anything else (no case open, there before the case or the desk, held before, a case that
    /// no longer takes files) waits for the clerk's choice, never going into another
    /// applicant's case by itself. When nothing can be recorded the file stays, held with why.
    pub(crate) fn keep_scan(&self, t: &Taken, arrival: &Arrival) -> Result<(), Held> {
        let (open, slot, there_before) = {
            let mut st = self.state.relock();
            let there_before = st.present_at_focus.remove(&t.original_name);
            (st.case_id.clone().zip(st.focused_at), st.slot, there_before)
        };
        let why = match open {
            _ if !arrival.first_try => WaitReason::WasHeld,
            _ if arrival.found_at_start => WaitReason::AtStart,
            None => WaitReason::NoCase,
            Some((_, since)) if there_before || arrival.first_seen < since => WaitReason::Earlier,
            Some((id, _)) => match self.attach_taken(&id, t, slot) {
                Ok(_) => return Ok(()),
                Err(e)
                    if e.code == ErrorCode::CaseTransition || e.code == ErrorCode::CaseNotFound =>
                {
                    WaitReason::NotAttached
                }
                Err(e) => return Err(not_recorded(t, &e)),
            },
        };
        let file = attachment_of(t, None);
        self.cache
            .with_store_mut(|s| s.add_waiting_scan(&file, why, self.desk.now()))
            .map(|_| tracing::info!(why = why.as_str(), "scan waits for the clerk"))
            .map_err(|e| not_recorded(t, &e))
    }

    /// At start, before the first scan: what a crash left in intake's folders is made whole,
    /// and every stored scan no record holds joins the waiting list (程序异常退出后恢复).
    pub(crate) fn recover_scans(&self) {
        let kept = match self.cache.with_store(|s| s.kept_blobs()) {
            Ok(k) => k,
            Err(e) => {
                tracing::error!(code = %e.code, "scan recovery skipped: the cache cannot be read");
                return;
            }
        };
        let found = {
            let mut hot = self.hot.relock();
            let Some(h) = hot.as_mut() else { return };
            h.recover(&kept)
        };
        let found = match found {
            Ok(f) => f,
            Err(e) => {
                tracing::error!(error = %e, "scan recovery failed; tried again at the next start");
                return;
            }
        };
        let docs = self.documents_dir();
        let temp = found.temp_removed
            + onewindow_intake::seal::remove_unfinished(&docs).unwrap_or_else(|e| {
                tracing::warn!(error = %e, "unfinished document writes cannot be removed");
                0
            });
        let mut listed = 0;
        for t in &found.scans {
            let file = attachment_of(t, None);
            match self.cache.with_store_mut(|s| {
                s.add_waiting_scan(&file, WaitReason::Recovered, self.desk.now())
            }) {
                Ok(_) => listed += 1,
                // The blob stays; the next start finds it again.
                Err(e) => tracing::error!(code = %e.code, "recovered scan cannot be listed"),
            }
        }
        let quarantined = found.quarantined.len();
        for q in found.quarantined {
            self.list_quarantined(q);
        }
        if listed + quarantined + temp > 0 {
            tracing::warn!(
                recovered = listed,
                quarantined,
                temp_removed = temp,
                "intake recovered what an earlier run left unfinished"
            );
            self.bump();
        }
    }

    pub(crate) fn attach_taken(
        &self,
        case_id: &str,
        t: &Taken,
        slot: Option<usize>,
    ) -> Result<bool, AppError> {
        let file = attachment_of(t, slot);
        self.cache
            .with_store_mut(|s| s.attach(case_id, &file, self.desk.now()))
    }

    /// The case on the clerk's screen (taking scans), if any.
    pub(crate) fn open_case_id(&self) -> Option<String> {
        self.state.relock().case_id.clone()
    }

    /// Makes the case the one on screen: new scans land in it. Scans waiting from before are
    /// not put into it: only the clerk does that.
    pub(crate) fn focus(&self, case_id: &str) {
        if self.state.relock().case_id.as_deref() == Some(case_id) {
            return;
        }
        // The time first, then the names: a file the watch saw before this instant, or that
        // was in the folder by the time it was listed, came before the case. The folder is
        // listed outside the lock (a network folder may be slow).
        let at = Instant::now();
        let present = self.hot_folder_names();
        let mut st = self.state.relock();
        st.case_id = Some(case_id.to_string());
        st.focused_at = Some(at);
        st.present_at_focus = present;
        st.slot = None;
    }

    /// The names of the files in the hot folder now (not its folders or temp files).
    pub(crate) fn hot_folder_names(&self) -> HashSet<String> {
        let Ok(entries) = std::fs::read_dir(&self.desk.hot_folder) else {
            return HashSet::new();
        };
        entries
            .filter_map(Result::ok)
            .filter(|e| e.file_type().is_ok_and(|t| !t.is_dir()))
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| !onewindow_intake::is_temp_name(n))
            .collect()
    }

    /// The case left the window (notice, acceptance, refusal, withdrawal): scans no longer go
    /// to it but wait for the next case.
    pub(crate) fn unfocus(&self, case_id: &str) {
        let mut st = self.state.relock();
        if st.case_id.as_deref() == Some(case_id) {
            st.case_id = None;
            st.slot = None;
            st.present_at_focus.clear();
        }
    }

    pub(crate) fn unfocus_all(&self) {
        let mut st = self.state.relock();
        st.case_id = None;
        st.slot = None;
    }
}
