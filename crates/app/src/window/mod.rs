//! 前台综合受理: the case screen's services. A case is made from an item and scenario (or a
//! 一件事 bundle), filled from the keyboard, the ID card reader or a 居民码/企业码, gets its scanned
//! materials from the hot folder (or "import from file"), is pre-reviewed, and ends at the
//! window with a one-time notice, an acceptance receipt or a refusal notice — each rendered to
//! PDF, archived with the case and printed.

use crate::desk::{Desk, store_error};
use crate::dto::{
    self, AppError, ApplicantInput, CaseSummary, CaseView, DocumentPreview, Flash, WindowInfo,
};
use crate::error::ErrorCode;
use crate::locks::{DeskMutex, Rank, Relock};
use base64::Engine;
use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use onewindow_documents::{AcceptanceReceipt, CjkFont, OneTimeNotice, PledgeLetter, RefusalNotice};
use onewindow_domain::applicant::{Agent, Applicant, ApplicantKind, Assist, CardInfo};
use onewindow_domain::bundle::{self, BundlePlan, Member};
use onewindow_domain::case::{CaseAction, CaseState};
use onewindow_domain::elicence::LicenceRecord;
use onewindow_domain::mask;
use onewindow_domain::prereview::{MaterialStatus, PreReview, PreReviewInput, Severity, prereview};
use onewindow_domain::validate::{CreditCode, IdNumber};
use onewindow_domain::{CalendarBasis, FieldDef, MaterialRequirement, Scenario, ServiceItem};
use onewindow_intake::idcard::{CardReader, FolderDropReader};
use onewindow_intake::watch::{self, Pace, Watch, WatchMode};
use onewindow_intake::{Arrival, Held, HotFolder, IntakeConfig, Outcome, Seal, Taken};
use onewindow_proto::ops;
use onewindow_store::acceptance::{FollowUp, FollowUpKind, NewFollowUp};
use onewindow_store::cases::{Actor, Attachment, CaseRow, NewCase};
use onewindow_store::scans::WaitReason;
use onewindow_store::{Store, StoreError};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

mod applicant;
mod context;
mod decisions;
mod documents;
mod materials;
mod scans;
mod view;

use applicant::*;
use context::*;
use documents::*;
use scans::*;
use view::*;

/// 容缺 materials are due this many working days after acceptance.
pub const DEFERRED_DUE_WORKING_DAYS: u32 = 5;

/// Pledges are verified within this many working days.
pub const PLEDGE_CHECK_WORKING_DAYS: u32 = 20;

const CHINA: i32 = 8 * 3600;

/// In the data folder once every file an earlier version left in plaintext is sealed.
const FILES_SEALED_MARKER: &str = "files-sealed";

/// The preview shows a document's first pages.
const PREVIEW_PAGES: u32 = 6;

/// What the window is doing now: the open case and where new scans land.
#[derive(Debug, Default)]
pub(crate) struct WindowState {
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
    pub(crate) hot: DeskMutex<Option<HotFolder>>,
    pub(crate) config: IntakeConfig,
    pub(crate) state: DeskMutex<WindowState>,
    font: DeskMutex<Option<Arc<CjkFont>>>,
}

impl Intake {
    /// Intake under `data_dir`, every file it keeps sealed with `seal`. Without one (no
    /// keystore) nothing is taken in: the hot folder is left alone and the window says why.
    pub(crate) fn new(
        data_dir: &Path,
        hot: &Path,
        stability: std::time::Duration,
        seal: Option<Seal>,
    ) -> Intake {
        let mut config = IntakeConfig {
            stability,
            ..IntakeConfig::under(&data_dir.join("intake"), hot)
        };
        let mut state = WindowState::default();
        let Some(seal) = seal else {
            state.intake_error = Some("本机密钥库不可用，扫描件无法加密保存，暂不接收扫描".into());
            return Intake {
                hot: DeskMutex::new(Rank::HotFolder, None),
                config,
                state: DeskMutex::new(Rank::OpenCase, state),
                font: DeskMutex::new(Rank::Font, None),
            };
        };
        // Files an earlier version kept in plaintext are sealed before anything reads them:
        // scans, thumbnails, staging, quarantine and the documents archive. Once all are, a
        // marker spares later starts the walk.
        let marker = data_dir.join(FILES_SEALED_MARKER);
        if !marker.exists() {
            let mut whole = true;
            for dir in [data_dir.join("intake"), documents_dir(data_dir)] {
                match onewindow_intake::seal::seal_legacy_files(&seal, &dir) {
                    Ok(0) => {}
                    Ok(n) => {
                        tracing::info!(files = n, dir = %dir.display(), "plaintext files sealed")
                    }
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
        config = config.sealed(seal);
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
        Intake {
            hot: DeskMutex::new(Rank::HotFolder, folder),
            config,
            state: DeskMutex::new(Rank::OpenCase, state),
            font: DeskMutex::new(Rank::Font, None),
        }
    }
}

fn bad(code: ErrorCode, message: impl Into<String>) -> AppError {
    AppError::new(code, message)
}

impl Desk {
    fn intake(&self) -> &Intake {
        &self.intake
    }

    /// The calendar day at the window (China time), or the configured training day.
    pub fn today(&self) -> NaiveDate {
        self.config.today.unwrap_or_else(|| {
            Utc::now()
                .with_timezone(&FixedOffset::east_opt(CHINA).expect("valid offset"))
                .date_naive()
        })
    }

    fn actor(&self) -> Actor {
        Actor {
            user: self.user_name(),
            desk: self.desk_code(),
        }
    }

    /// Something the window shows changed: the polling case screen refetches, and the
    /// revision feed tells it at once.
    pub(crate) fn bump(&self) {
        self.revision.send_modify(|r| *r += 1);
    }

    /// Follows the window's revision for as long as the desk runs: `show` gets each new one
    /// (bursts coalesce), so the case screen refetches when something changed instead of
    /// asking across IPC four times a second.
    pub async fn run_revision_feed(self: Arc<Self>, show: impl Fn(u64) + Send + Sync) {
        let mut rx = self.revision.subscribe();
        while rx.changed().await.is_ok() {
            let revision = *rx.borrow_and_update();
            show(revision);
        }
    }

    pub fn window_info(&self) -> WindowInfo {
        WindowInfo {
            desk_code: self.desk_code().clone(),
            clerk: self.user_name(),
            hot_folder: self.config.hot_folder.display().to_string(),
            printer: self.config.printer.describe(),
            card_reader: self
                .config
                .card_reader_dir
                .as_ref()
                .map(|d| d.display().to_string()),
            today: self.today().to_string(),
            waiting_scans: self
                .with_store(|s| s.waiting_scan_count())
                .unwrap_or_default(),
        }
    }

    pub(crate) fn with_store_mut<T>(
        &self,
        f: impl FnOnce(&mut Store) -> Result<T, StoreError>,
    ) -> Result<T, AppError> {
        let store = self.store()?;
        let mut guard = store.relock();
        f(&mut guard).map_err(store_error)
    }
}

/// A short code printed on the receipt; with the case number it opens the progress page.
pub use onewindow_proto::query_code;
