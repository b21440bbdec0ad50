//! 前台综合受理: the case screen's services. A case is made from an item and scenario (or a
//! 一件事 bundle), filled from the keyboard, the ID card reader or a 居民码/企业码, gets its scanned
//! materials from the hot folder (or "import from file"), is pre-reviewed, and ends at the
//! window with a one-time notice, an acceptance receipt or a refusal notice — each rendered to
//! PDF, archived with the case and printed.

use crate::cache::Cache;
use crate::desk::DeskConfig;
use crate::dto::{
    self, AppError, ApplicantInput, CaseSummary, CaseView, DocumentPreview, Flash, WindowInfo,
};
use crate::error::ErrorCode;
use crate::intake::{Intake, doc_title, intake_disk_full};
use crate::locks::{DeskMutex, Rank};
use crate::queue::Queue;
use crate::session::Session;
use base64::Engine;
use chrono::{DateTime, FixedOffset, NaiveDate};
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
use onewindow_intake::{IntakeConfig, Outcome};
use onewindow_proto::ops;
use onewindow_store::acceptance::{FollowUp, FollowUpKind, NewFollowUp};
use onewindow_store::cases::{Actor, Attachment, CaseRow, NewCase};
use onewindow_store::{Store, StoreError};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::PathBuf;
use std::sync::Arc;

mod applicant;
mod context;
mod decisions;
mod documents;
mod materials;
mod view;

use applicant::*;
use context::*;
use view::*;

/// 容缺 materials are due this many working days after acceptance.
pub const DEFERRED_DUE_WORKING_DAYS: u32 = 5;

/// Pledges are verified within this many working days.
pub const PLEDGE_CHECK_WORKING_DAYS: u32 = 20;

const CHINA: i32 = 8 * 3600;

/// The preview shows a document's first pages.
const PREVIEW_PAGES: u32 = 6;

/// The cases service (前台综合受理). It asks the session who works (the actor of every step,
/// the audit trail), intake for the open case and its scans, the queue for the ticket served,
/// and keeps only what is its own: the CJK font once loaded, and why a case's last e-licence
/// lookup failed.
pub(crate) struct Cases {
    config: Arc<DeskConfig>,
    cache: Arc<Cache>,
    session: Arc<Session>,
    intake: Arc<Intake>,
    queue: Arc<Queue>,
    font: DeskMutex<Option<Arc<CjkFont>>>,
    /// Why the last e-licence lookup of a case failed (offline), by case id.
    elicence_errors: DeskMutex<HashMap<String, String>>,
}

fn bad(code: ErrorCode, message: impl Into<String>) -> AppError {
    AppError::new(code, message)
}

impl Cases {
    pub(crate) fn new(
        config: Arc<DeskConfig>,
        cache: Arc<Cache>,
        session: Arc<Session>,
        intake: Arc<Intake>,
        queue: Arc<Queue>,
    ) -> Cases {
        Cases {
            config,
            cache,
            session,
            intake,
            queue,
            font: DeskMutex::new(Rank::Font, None),
            elicence_errors: DeskMutex::new(Rank::ElicenceErrors, HashMap::new()),
        }
    }

    pub(crate) fn today(&self) -> NaiveDate {
        self.config.today()
    }

    fn actor(&self) -> Actor {
        Actor {
            user: self.session.user_name(),
            desk: self.session.desk_code(),
        }
    }

    pub fn window_info(&self) -> WindowInfo {
        WindowInfo {
            desk_code: self.session.desk_code(),
            clerk: self.session.user_name(),
            hot_folder: self.config.hot_folder.display().to_string(),
            printer: self.config.printer.describe(),
            card_reader: self
                .config
                .card_reader_dir
                .as_ref()
                .map(|d| d.display().to_string()),
            today: self.today().to_string(),
            waiting_scans: self
                .cache
                .with_store(|s| s.waiting_scan_count())
                .unwrap_or_default(),
        }
    }
}

/// A short code printed on the receipt; with the case number it opens the progress page.
pub use onewindow_proto::query_code;

/// A new receipt's query code from the OS's random source (65 bits).
pub fn new_query_code() -> String {
    let mut raw = [0u8; onewindow_proto::QUERY_CODE_LEN];
    getrandom::fill(&mut raw).expect("the OS random source works");
    onewindow_proto::query_code_from_random(&raw)
}
