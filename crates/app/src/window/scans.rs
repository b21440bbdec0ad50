//! The hot-folder thread: watching the folder, taking each ready scan into the case that was
//! open when it arrived or into the waiting list, recovering what a crash left, and which
//! case is on screen.

use super::*;
use crate::error::ErrorCode;

/// Whether intake failed because the desk's disk is full.
pub(super) fn intake_disk_full(e: &onewindow_intake::IntakeError) -> bool {
    let onewindow_intake::IntakeError::Io { source, .. } = e;
    source.kind() == std::io::ErrorKind::StorageFull
}

/// A taken file as a case's (or the waiting list's) attachment.
pub(super) fn attachment_of(t: &Taken, slot: Option<usize>) -> Attachment {
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
pub(super) fn not_recorded(t: &Taken, e: &AppError) -> Held {
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

impl Desk {
    /// Starts watching the hot folder on its own thread (events or polling, plus a periodic
    /// rescan). Taken files land in the open case's selected slot, or its tray.
    pub fn start_intake(self: &Arc<Self>) {
        let mode = match self.config.hot_folder_poll {
            Some(every) => WatchMode::Poll(every),
            None => WatchMode::Events,
        };
        let watch = match Watch::start(&self.config.hot_folder, mode) {
            Ok(w) => Some(w),
            Err(e) => {
                // Without OS events the periodic rescan still takes every file.
                tracing::warn!(error = %e, "hot folder events unavailable; rescanning only");
                None
            }
        };
        let nudger = watch.as_ref().map(Watch::nudger);
        let desk = Arc::clone(self);
        let (first_look, looked) = std::sync::mpsc::channel();
        let spawned = std::thread::Builder::new()
            .name("hot-folder".into())
            .spawn(move || desk.intake_loop(watch, first_look));
        match spawned {
            Ok(handle) => {
                *self.intake_thread.relock() = Some((handle, nudger));
                // What is in the folder before any case opens must be known as such (it goes
                // to no case by itself); a folder on a dead network drive does not hold up
                // the start for long.
                let _ = looked.recv_timeout(std::time::Duration::from_millis(500));
            }
            Err(e) => tracing::error!(error = %e, "cannot start the hot folder thread"),
        }
    }

    pub(super) fn intake_loop(
        &self,
        watch: Option<Watch>,
        first_look: std::sync::mpsc::Sender<()>,
    ) {
        // The first look only notes what is there (nothing is stable at first sight).
        self.scan_hot_folder();
        let _ = first_look.send(());
        self.recover_scans();
        let pace = Pace::for_stability(self.intake().config.stability);
        watch::drive(watch.as_ref(), pace, &self.intake_stop, || {
            ControlFlow::Continue(self.scan_hot_folder())
        });
    }

    /// One look at the hot folder: takes what is ready into the open case and returns whether a
    /// file is still waiting to become stable.
    pub(super) fn scan_hot_folder(&self) -> bool {
        // A panic while decoding one hostile file must not end scanning for the day.
        let scanned = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let mut hot = self.intake().hot.relock();
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
                let mut st = self.intake().state.relock();
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
                    self.config.hot_folder.display()
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

    pub(super) fn intake_problem(&self, message: String) {
        let mut st = self.intake().state.relock();
        if st.intake_error.as_deref() != Some(message.as_str()) {
            st.intake_error = Some(message);
            drop(st);
            self.bump();
        }
    }

    /// Stops the hot folder thread (tests; the app stops with the process).
    pub fn stop_intake(&self) {
        self.intake_stop.store(true, Ordering::SeqCst);
    }

    /// One file out of the pipeline, already recorded (see [`Desk::keep_scan`]): the window
    /// shows it; a quarantined one is listed with its reason.
    pub(super) fn take_in(&self, outcome: Outcome) {
        match outcome {
            Outcome::Taken(t) => {
                tracing::info!(kind = ?t.kind, size = t.size, duplicate = t.duplicate, "scan taken");
            }
            Outcome::Quarantined(q) => self.list_quarantined(q),
        }
        self.bump();
    }

    pub(super) fn list_quarantined(&self, q: onewindow_intake::Quarantined) {
        let mut st = self.intake().state.relock();
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
    pub(super) fn keep_scan(&self, t: &Taken, arrival: &Arrival) -> Result<(), Held> {
        let (open, slot, there_before) = {
            let mut st = self.intake().state.relock();
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
        self.with_store_mut(|s| s.add_waiting_scan(&file, why, Utc::now()))
            .map(|_| tracing::info!(why = why.as_str(), "scan waits for the clerk"))
            .map_err(|e| not_recorded(t, &e))
    }

    /// At start, before the first scan: what a crash left in intake's folders is made whole,
    /// and every stored scan no record holds joins the waiting list (程序异常退出后恢复).
    pub(super) fn recover_scans(&self) {
        let kept = match self.with_store(|s| s.kept_blobs()) {
            Ok(k) => k,
            Err(e) => {
                tracing::error!(code = %e.code, "scan recovery skipped: the cache cannot be read");
                return;
            }
        };
        let found = {
            let mut hot = self.intake().hot.relock();
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
            match self
                .with_store_mut(|s| s.add_waiting_scan(&file, WaitReason::Recovered, Utc::now()))
            {
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

    pub(super) fn attach_taken(
        &self,
        case_id: &str,
        t: &Taken,
        slot: Option<usize>,
    ) -> Result<bool, AppError> {
        let file = attachment_of(t, slot);
        self.with_store_mut(|s| s.attach(case_id, &file, Utc::now()))
    }

    /// The case on the clerk's screen (taking scans), if any.
    pub(crate) fn open_case_id(&self) -> Option<String> {
        self.intake().state.relock().case_id.clone()
    }

    /// Makes the case the one on screen: new scans land in it. Scans waiting from before are
    /// not put into it: only the clerk does that.
    pub(super) fn focus(&self, case_id: &str) {
        if self.intake().state.relock().case_id.as_deref() == Some(case_id) {
            return;
        }
        // The time first, then the names: a file the watch saw before this instant, or that
        // was in the folder by the time it was listed, came before the case. The folder is
        // listed outside the lock (a network folder may be slow).
        let at = Instant::now();
        let present = self.hot_folder_names();
        let mut st = self.intake().state.relock();
        st.case_id = Some(case_id.to_string());
        st.focused_at = Some(at);
        st.present_at_focus = present;
        st.slot = None;
    }

    /// The names of the files in the hot folder now (not its folders or temp files).
    pub(super) fn hot_folder_names(&self) -> HashSet<String> {
        let Ok(entries) = std::fs::read_dir(&self.config.hot_folder) else {
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
    pub(super) fn unfocus(&self, case_id: &str) {
        let mut st = self.intake().state.relock();
        if st.case_id.as_deref() == Some(case_id) {
            st.case_id = None;
            st.slot = None;
            st.present_at_focus.clear();
        }
    }

    pub(super) fn unfocus_all(&self) {
        let mut st = self.intake().state.relock();
        st.case_id = None;
        st.slot = None;
    }
}
