//! What crosses IPC. TypeScript bindings are generated from these into `ui/src/ipc/bindings/`
//! (`make bindings`); a test fails when the committed bindings are stale.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

pub use onewindow_domain::applicant::ApplicantKind;
pub use onewindow_domain::case::CaseState;
pub use onewindow_domain::catalog::FieldType;
pub use onewindow_domain::prereview::{MaterialStatus, Severity};
pub use onewindow_domain::ticket::TicketState;
pub use onewindow_store::acceptance::FollowUpKind;

pub use crate::dto_status::{CacheProblem, LowDisk};
pub use crate::dto_supervisor::{DueCaseView, DueView, RefusalRequestView};
pub use crate::error::{AppError, ErrorCode};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Connectivity {
    /// Not yet tried since start.
    Unknown,
    Online,
    Offline,
}

/// The status bar.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct DeskStatus {
    pub connectivity: Connectivity,
    /// The centre this desk belongs to (its name), once the hub has said.
    pub centre_name: Option<String>,
    /// For a supervisor signed in here: the centre's cases overdue or due within two working
    /// days, as the hub last said.
    pub due: Option<DueView>,
    /// For a supervisor signed in here: the centre's refusal requests waiting for an answer.
    pub refusals: Option<Vec<RefusalRequestView>>,
    pub hub_url: String,
    /// The hub's last failure, in Chinese, when offline.
    pub last_error: Option<String>,
    /// RFC 3339 time of the last successful pull of the catalog.
    pub last_pull_at: Option<String>,
    pub catalog_version_id: Option<i64>,
    pub catalog_version_label: Option<String>,
    pub item_count: i64,
    /// Whether a pull is running now.
    pub syncing: bool,
    pub cache_problem: Option<CacheProblem>,
    /// Enrolment and the outbox on its way to the hub.
    pub push: PushStatus,
    /// Who is signed in at this desk (`None`: the clerk named in settings works unsigned).
    pub user: Option<UserView>,
    /// The screen is locked (idle, or the clerk locked it): sign in to go on.
    pub locked: bool,
    /// The desk is enrolled and nobody is signed in: the window waits for a sign-in.
    pub sign_in_required: bool,
    /// Lock after this many idle minutes (0: never).
    pub idle_lock_minutes: u32,
    /// The hall window this desk sits at, from the pulled queue configuration.
    pub queue_window: Option<QueueWindowView>,
    /// The data folder's disk is nearly full (below the warning threshold).
    pub low_disk: Option<LowDisk>,
    /// Scans that belong to no case yet, waiting for the clerk (待分配扫描件).
    pub waiting_scans: u32,
    /// The release this desk runs (its package version).
    pub release: String,
    /// A newer release published on the hub (the machine's automatic updates install it, or
    /// `sudo apt upgrade`), when there is one.
    pub update_published: Option<String>,
    /// The hub refuses this desk as too old: what it said (update the desk; the outbox waits).
    pub update_required: Option<String>,
}

/// A hall window as the queue configuration names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct QueueWindowView {
    pub number: u32,
    pub name: String,
    /// `综合受理（A）、公安户政（E）`
    pub domains_label: String,
    pub tidal: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct UserView {
    pub name: String,
    /// clerk | supervisor | approver | admin
    pub role: String,
    /// 窗口人员 / 主管 / 审批人员 / 管理员
    pub role_label: String,
    /// Signed in with the desk's cached verifier, the hub not reachable.
    pub offline: bool,
}

/// A clerk whose offline sign-in on this desk ends soon (named from a week before).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct OfflineSignInEnding {
    pub name: String,
    /// The last day it signs in offline, whole (`2026-12-31`, China time).
    pub last_day: String,
    /// `12月31日`.
    pub last_day_label: String,
    /// Days from today to that day (0: today is the last).
    pub days_left: u32,
}

/// Sync health of the push side.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct PushStatus {
    /// The desk has a device token (else the first-run enrolment screen shows).
    pub enrolled: bool,
    pub desk_code: String,
    pub desk_name: Option<String>,
    pub pending_ops: u32,
    /// Ops and the files they carry, not yet on the hub.
    pub pending_bytes: u64,
    /// RFC 3339 time the oldest pending op was written.
    pub oldest_pending_at: Option<String>,
    pub rejected: u32,
    pub last_push_at: Option<String>,
    /// Why nothing can be sent now (no keyring, revoked device), in Chinese.
    pub problem: Option<String>,
    /// Pending ops of kinds an older hub does not serve yet: sent after its upgrade.
    pub held_for_hub: u32,
    /// The last successful pull of each stream.
    pub streams: Vec<StreamPull>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct StreamPull {
    /// catalog | calendar | results
    pub stream: String,
    /// 事项目录 / 节假日日历 / 办理结果
    pub label: String,
    pub last_pull_at: Option<String>,
}

/// An op the hub rejected: shown until resent or discarded with a reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct RejectedOpView {
    pub op_id: String,
    pub kind_label: String,
    pub case_number: Option<String>,
    pub reason: String,
    pub at: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ItemLevel {
    Main,
    Sub,
    Handling,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum MatchKind {
    Exact,
    Prefix,
    Initials,
    Substring,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct SearchRequest {
    pub text: String,
    /// A domain code, or none for all domains.
    pub domain: Option<String>,
    pub limit: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct SearchHit {
    pub code: String,
    pub name: String,
    pub level: ItemLevel,
    /// 主项 / 子项 / 办理项.
    pub level_label: String,
    pub domain_code: String,
    pub domain_name: String,
    /// Whether a clerk can apply for it (it has no children).
    pub is_leaf: bool,
    pub match_kind: MatchKind,
    /// The parent item's name, to tell apart items with the same name.
    pub parent_name: Option<String>,
    /// Whether this desk's centre accepts it (the search shows every item, for guidance).
    pub accepted_here: bool,
    /// Where it is accepted instead, nearest first (centre names), when not here.
    pub accepted_at: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct SearchResponse {
    pub hits: Vec<SearchHit>,
    /// All matches, of which `hits` are the best ones.
    pub total: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct DomainView {
    pub code: String,
    pub name: String,
    pub item_count: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ItemRef {
    pub code: String,
    pub name: String,
    pub level: ItemLevel,
    pub level_label: String,
    pub is_leaf: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct BundleRef {
    pub code: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct MaterialView {
    pub name: String,
    /// 收原件 / 验原件收复印件 / 收原件及复印件.
    pub form: String,
    pub copies: u32,
    /// 必要 / 非必要 / 容缺.
    pub necessity: String,
    /// The e-licence type that replaces the paper (免提交), if any.
    pub e_licence: Option<String>,
    pub pledge_allowed: bool,
    pub note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct FieldView {
    pub key: String,
    pub label: String,
    pub field_type: FieldType,
    /// Chinese name of the type.
    pub type_label: String,
    pub required: bool,
    pub choices: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ScenarioView {
    pub code: String,
    pub name: String,
    pub materials: Vec<MaterialView>,
    pub fields: Vec<FieldView>,
}

/// 办事指南: everything the clerk tells an applicant about an item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ItemGuide {
    /// Whether this desk's centre accepts it; if not, where it is accepted, nearest first.
    pub accepted_here: bool,
    pub accepted_at: Vec<String>,
    pub code: String,
    pub name: String,
    pub level: ItemLevel,
    pub level_label: String,
    pub is_leaf: bool,
    pub domain_code: String,
    pub domain_name: String,
    pub item_type: String,
    pub agency: String,
    pub legal_basis: String,
    /// Working days; 0 = 即办.
    pub promised_days: u32,
    /// "即办" or "5 个工作日".
    pub promised_label: String,
    pub statutory_days: Option<u32>,
    /// "3 个工作日" or "无法定时限".
    pub statutory_label: String,
    pub time_note: Option<String>,
    pub fee_charged: bool,
    pub fee_standard: String,
    pub fee_basis: Option<String>,
    pub place: String,
    pub phone: String,
    /// 白话版指南.
    pub guide_plain: String,
    pub provenance: String,
    /// From the main item down to the direct parent.
    pub ancestors: Vec<ItemRef>,
    pub children: Vec<ItemRef>,
    pub scenarios: Vec<ScenarioView>,
    /// 一件事 bundles this item belongs to.
    pub bundles: Vec<BundleRef>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct BundleMember {
    pub code: String,
    /// The member's name, or a note when the catalog lacks it.
    pub name: String,
    /// Whether the member item is in the local catalog.
    pub present: bool,
    pub domain_name: Option<String>,
    pub agency: Option<String>,
    pub promised_days: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct BundleView {
    pub code: String,
    pub name: String,
    pub lead_agency: String,
    pub promised_days: u32,
    pub promised_label: String,
    pub note: String,
    pub members: Vec<BundleMember>,
}

// ---- Cases (办件) at the window ----

/// Start a case: from an item (with its scenario) or from a 一件事 bundle.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct NewCaseRequest {
    pub item_code: Option<String>,
    pub scenario_code: Option<String>,
    pub bundle_code: Option<String>,
}

/// The applicant as the clerk types it (and as the draft shows it back).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, TS)]
pub struct ApplicantInput {
    pub kind: ApplicantKind,
    pub name: String,
    /// ID number or unified social credit code.
    pub number: String,
    pub phone: String,
    pub address: String,
    pub legal_rep: String,
    pub agent_name: String,
    pub agent_id_number: String,
    pub agent_phone: String,
    pub assist_helper: String,
    pub assist_note: String,
}

/// The applicant's numbers whole, shown after the clerk gives a reason (audited).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct RevealView {
    pub number: String,
    pub phone: String,
    pub address: String,
    pub agent_id_number: String,
    pub agent_phone: String,
}

/// What the ID card reader read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct CardView {
    pub sex: String,
    pub ethnicity: String,
    pub birth_date: String,
    pub authority: String,
    /// e.g. `2020.07.01-2040.07.01` or `2020.07.01-长期`.
    pub validity: String,
    /// PNG data URL of the card photo.
    pub photo: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct SaveIntakeRequest {
    pub case_id: String,
    pub applicant: ApplicantInput,
    pub form: std::collections::BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ScenarioChoice {
    pub code: String,
    pub name: String,
}

/// A member item of a 一件事 case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct MemberView {
    pub case_id: String,
    pub number: String,
    pub item_code: String,
    pub item_name: String,
    pub agency: String,
    pub scenario_code: Option<String>,
    pub scenarios: Vec<ScenarioChoice>,
    pub state_label: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct FormFieldView {
    pub key: String,
    pub label: String,
    pub field_type: FieldType,
    pub required: bool,
    pub choices: Vec<String>,
    pub value: String,
    /// Not asked: the named earlier member of the 一件事 issues it.
    pub produced_by: Option<String>,
}

/// What kind of file a scan or an imported file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum FileKind {
    Jpeg,
    Png,
    Pdf,
}

impl FileKind {
    /// The kind as the cache stores it (`jpeg`, `png`, `pdf`); anything else is a PDF's
    /// neighbour no version wrote, shown as a PDF.
    pub fn from_stored(kind: &str) -> FileKind {
        match kind {
            "jpeg" => FileKind::Jpeg,
            "png" => FileKind::Png,
            _ => FileKind::Pdf,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct FileView {
    pub sha256: String,
    pub name: String,
    pub kind: FileKind,
    pub size_label: String,
    pub pages: Option<u32>,
    /// PNG data URL of the 256-px thumbnail.
    pub thumbnail: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct MaterialSlotView {
    pub slot: u32,
    pub name: String,
    /// 收原件 / 验原件收复印件 / 收原件及复印件
    pub form_label: String,
    pub copies: u32,
    /// 必要 / 非必要 / 容缺
    pub necessity_label: String,
    pub e_licence: Option<String>,
    pub pledge_allowed: bool,
    pub pledged: bool,
    pub status: MaterialStatus,
    /// 已收 / 免提交 / 由本件事产生 / 告知承诺 / 容缺 / 缺 / 无需提交
    pub status_label: String,
    pub produced_by: Option<String>,
    pub files: Vec<FileView>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct FindingView {
    /// Identifies the finding for an override.
    pub key: String,
    pub code: String,
    pub severity: Severity,
    pub target: String,
    pub message: String,
    pub overridden: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ReviewView {
    pub findings: Vec<FindingView>,
    pub can_accept: bool,
    pub blocking: u32,
    pub deferred: u32,
}

/// Where the e-licence lookup for a case stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ELicenceState {
    NotLookedUp,
    Found,
    None,
    Offline,
    /// The case has left the window: the lookup is no longer kept.
    NotKept,
}

/// The e-licence lookup for this applicant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ELicenceView {
    pub state: ELicenceState,
    pub message: String,
    /// e.g. `居民身份证（有效期至 2036-01-01）`.
    pub licences: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct FollowUpView {
    pub id: i64,
    pub case_id: String,
    pub case_number: String,
    pub item_name: String,
    pub kind: FollowUpKind,
    /// 承诺核查 / 容缺补交
    pub kind_label: String,
    pub material: String,
    pub due: String,
    pub overdue: bool,
    pub done_at: Option<String>,
    pub done_by: Option<String>,
    pub done_note: Option<String>,
}

/// The documents the window prints and archives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum DocumentKind {
    OneTimeNotice,
    AcceptanceReceipt,
    RefusalNotice,
    Pledge,
    /// The back office's result, fetched from the hub.
    ResultFile,
}

impl DocumentKind {
    pub const ALL: [DocumentKind; 5] = [
        DocumentKind::OneTimeNotice,
        DocumentKind::AcceptanceReceipt,
        DocumentKind::RefusalNotice,
        DocumentKind::Pledge,
        DocumentKind::ResultFile,
    ];

    /// The name the cache and the archive's file names use.
    pub fn as_str(self) -> &'static str {
        match self {
            DocumentKind::OneTimeNotice => "one_time_notice",
            DocumentKind::AcceptanceReceipt => "acceptance_receipt",
            DocumentKind::RefusalNotice => "refusal_notice",
            DocumentKind::Pledge => "pledge",
            DocumentKind::ResultFile => "result_file",
        }
    }

    pub fn parse(kind: &str) -> Option<DocumentKind> {
        DocumentKind::ALL.into_iter().find(|k| k.as_str() == kind)
    }

    /// The document's title, for the clerk.
    pub fn title(self) -> &'static str {
        match self {
            DocumentKind::OneTimeNotice => "一次性告知书",
            DocumentKind::AcceptanceReceipt => "受理回执",
            DocumentKind::RefusalNotice => "不予受理通知书",
            DocumentKind::Pledge => "告知承诺书",
            DocumentKind::ResultFile => "审批结果文件",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct DocumentView {
    pub id: i64,
    pub kind: DocumentKind,
    pub title: String,
    pub created_at: String,
    pub path: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct EventView {
    pub at: String,
    pub action_label: String,
    pub state_label: String,
    pub actor: String,
    pub desk: String,
    pub reason: Option<String>,
}

/// A scanned file that could not be taken in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct QuarantineView {
    pub name: String,
    pub reason: String,
    pub path: String,
}

/// A scan ready in the hot folder that could not be taken (the disk is full, it cannot be
/// read): it stays there, is tried again every few seconds, and is listed until taken.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct HeldScanView {
    pub name: String,
    /// `disk_full`, `unreadable` or `take_failed`.
    pub code: String,
    /// What is wrong and what to do, for the clerk.
    pub reason: String,
}

/// A scan that belongs to no case yet (待分配扫描件): it arrived while no case was open, could
/// not be taken at first, or was recovered after a crash. Only the clerk puts it into a case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct WaitingScanView {
    pub id: i64,
    pub name: String,
    /// When it was taken, China time (`YYYY-MM-DD HH:MM`).
    pub arrived: String,
    /// `no_case`, `earlier`, `at_start`, `was_held`, `not_attached` or `recovered`.
    pub why: String,
    /// Why it waits, for the clerk.
    pub why_label: String,
    pub size_label: String,
    pub pages: Option<u32>,
    /// A `data:image/png` thumbnail, if one was made.
    pub thumbnail: Option<String>,
}

/// The outcome of the last action, for the clerk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct Flash {
    pub ok: bool,
    pub text: String,
}

/// Everything the case screen shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct CaseView {
    /// 帮办代办: the centre's staff a helper is picked from (empty before the hub sent them:
    /// the helper is then typed).
    pub helper_choices: Vec<String>,
    pub id: String,
    pub number: String,
    pub state: CaseState,
    pub state_label: String,
    /// Applicant, form, materials and pre-review can still change.
    pub editable: bool,
    pub is_bundle: bool,
    /// Item or bundle code and name.
    pub code: String,
    pub title: String,
    pub agency: String,
    pub promised_label: String,
    pub scenario_code: Option<String>,
    pub scenarios: Vec<ScenarioChoice>,
    pub members: Vec<MemberView>,
    pub applicant: ApplicantInput,
    /// The applicant as printed: name and masked number.
    pub applicant_masked: String,
    pub card: Option<CardView>,
    pub fields: Vec<FormFieldView>,
    pub materials: Vec<MaterialSlotView>,
    /// Files not yet sorted into a material.
    pub tray: Vec<FileView>,
    /// New scans land in this case (it is the window's open case and can take files).
    pub scan_target: bool,
    /// Where newly scanned files land (`None`: the tray).
    pub selected_slot: Option<u32>,
    pub review: ReviewView,
    pub elicence: ELicenceView,
    pub follow_ups: Vec<FollowUpView>,
    pub documents: Vec<DocumentView>,
    pub events: Vec<EventView>,
    pub quarantined: Vec<QuarantineView>,
    /// Scans waiting in the hot folder because they could not be taken, with the reason.
    pub held_scans: Vec<HeldScanView>,
    /// Scans waiting for the clerk to put them into a case (this one or another) or dismiss.
    pub waiting_scans: Vec<WaitingScanView>,
    /// The promised completion date if accepted today, and the calendar's caveat.
    pub promised_date: Option<String>,
    pub calendar_note: Option<String>,
    /// Changes whenever anything shown here may have changed (scans arriving).
    pub revision: u64,
    pub flash: Option<Flash>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct CaseSummary {
    pub id: String,
    pub number: String,
    pub title: String,
    pub state_label: String,
    pub applicant_name: String,
    pub created_at: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct DocumentPreview {
    pub id: i64,
    pub title: String,
    /// Page images as PNG data URLs (at most the first 6 pages).
    pub pages: Vec<String>,
    pub page_count: u32,
}

/// Window settings the case screen shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct WindowInfo {
    pub desk_code: String,
    pub clerk: String,
    pub hot_folder: String,
    pub printer: String,
    pub card_reader: Option<String>,
    pub today: String,
    /// Scans that belong to no case yet, waiting for the clerk's choice.
    pub waiting_scans: u32,
}

/// Everything the UI imports, for the bindings export.
pub fn export_all(cfg: &ts_rs::Config) -> Result<(), ts_rs::ExportError> {
    AppError::export_all(cfg)?;
    DeskStatus::export_all(cfg)?;
    SearchRequest::export_all(cfg)?;
    SearchResponse::export_all(cfg)?;
    DomainView::export_all(cfg)?;
    ItemGuide::export_all(cfg)?;
    BundleView::export_all(cfg)?;
    NewCaseRequest::export_all(cfg)?;
    SaveIntakeRequest::export_all(cfg)?;
    CaseView::export_all(cfg)?;
    CaseSummary::export_all(cfg)?;
    DocumentPreview::export_all(cfg)?;
    WindowInfo::export_all(cfg)?;
    RejectedOpView::export_all(cfg)?;
    QueueView::export_all(cfg)?;
    ApplicantScreenView::export_all(cfg)?;
    HallBoardView::export_all(cfg)?;
    RevealView::export_all(cfg)?;
    OfflineSignInEnding::export_all(cfg)?;
    Ok(())
}

/// The window's queue, for the calling bar.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct QueueView {
    /// The hall window this desk sits at (from the queue configuration); `None`: calling is
    /// not possible here, `reason` says why.
    pub window: Option<u32>,
    pub window_name: Option<String>,
    /// open | paused | closed, as the hub last answered (`None` before the first answer).
    pub window_state: Option<WindowState>,
    /// The ticket called or being served at this window.
    pub current: Option<TicketView>,
    /// Tickets this window could call next (the offline queue's, while it runs).
    pub waiting: u32,
    /// The window works from its own offline queue (离线取号): the hub could not be reached,
    /// or offline tickets still wait or are at the window.
    pub offline: bool,
    /// Why calling is not possible now, in Chinese.
    pub reason: Option<String>,
    /// The voice's last failure, until it speaks again.
    pub announce_error: Option<String>,
    /// The domains this window serves (a walk-in ticket is made for one of them).
    pub window_domains: Vec<QueueTarget>,
    /// Where a ticket can be transferred.
    pub transfer_windows: Vec<QueueTarget>,
    pub transfer_domains: Vec<QueueTarget>,
    pub flash: Option<Flash>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct TicketView {
    pub number: String,
    pub domain: String,
    pub domain_name: String,
    pub state: TicketState,
    pub state_label: String,
    pub recalls: u32,
    /// 绿色通道（老年人） etc.
    pub priority_label: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct QueueTarget {
    /// A window number or a domain code.
    pub code: String,
    pub label: String,
}

/// What the desk's hall display window (叫号屏, fullscreen on a chosen monitor) shows: the
/// hub's board, live; while the hub cannot be reached, the last one known and this window's
/// offline calls.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct HallBoardView {
    /// The latest calls, newest first (at most 5).
    pub calls: Vec<HallCallView>,
    /// A tile per window.
    pub windows: Vec<HallWindowView>,
    /// The board comes live from the hub.
    pub online: bool,
    /// The service centre's name, for the heading.
    pub office: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct HallCallView {
    /// Changes with every call and recall (the screen highlights a new one).
    pub key: String,
    pub number: String,
    pub window: u32,
    pub window_name: String,
    pub recall: bool,
}

/// A hall window's state, as the hub's queue has it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum WindowState {
    Open,
    Paused,
    Closed,
}

impl WindowState {
    /// The hub's word for the state (`open`, `paused`, `closed`).
    pub fn parse(state: &str) -> Option<WindowState> {
        match state {
            "open" => Some(WindowState::Open),
            "paused" => Some(WindowState::Paused),
            "closed" => Some(WindowState::Closed),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct HallWindowView {
    pub number: u32,
    pub name: String,
    pub state: WindowState,
    /// The ticket called or served there.
    pub current: Option<String>,
}

/// What the applicant's screen is showing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ScreenMode {
    /// The window's name and the ticket, nothing else.
    Idle,
    /// The case on the clerk's screen, for the applicant to check.
    Case,
    /// The clerk invited a rating.
    Rate,
    /// A rating was given.
    Thanks,
}

/// What the applicant-facing screen (the second monitor) shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ApplicantScreenView {
    pub mode: ScreenMode,
    pub window_name: Option<String>,
    /// The ticket being served here.
    pub ticket: Option<String>,
    /// The case on the clerk's screen, for the applicant to check (ID numbers masked).
    pub case: Option<ApplicantCaseView>,
    /// The five levels, best first: (level, label).
    pub levels: Vec<RatingLevel>,
    /// Reasons to choose from for the two lowest levels.
    pub bad_reasons: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ApplicantCaseView {
    pub number: String,
    pub title: String,
    /// Name and masked ID number.
    pub applicant: String,
    pub promised_label: String,
    /// Each material and where it stands (已收, 缺, 容缺 …).
    pub materials: Vec<ApplicantMaterial>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct ApplicantMaterial {
    pub name: String,
    pub status: MaterialStatus,
    pub status_label: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct RatingLevel {
    pub level: u8,
    pub label: String,
    /// The two lowest: reasons are required.
    pub needs_reason: bool,
}
