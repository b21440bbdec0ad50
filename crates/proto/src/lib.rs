//! Wire types of the desk ↔ hub protocol. Both sides use these and nothing else on the wire.
//!
//! Pull streams (catalog, calendar) are change logs read with a cursor: the desk asks for
//! changes after the cursor it has, stores them with the new cursor in one transaction, and
//! asks again while `has_more`. A page may end inside a published version; `checkpoint` says
//! whether it ends on a version boundary, so the desk applies whole versions only.

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

pub mod ops;
pub use ops::{OpBody, OpKind};

/// Bumped when a wire type or an op kind is added or changes; the hub keeps accepting
/// desks down to [`MIN_DESK_PROTOCOL`], and a desk sends a hub only the op kinds of the
/// protocol the hub names ([`OpKind::since`]).
///
/// - 1: the first release (its desks send no [`PROTOCOL_HEADER`]; its hubs name none).
/// - 2: `device.release_reported`; the protocol, release and published-release headers.
pub const PROTOCOL_VERSION: u32 = 2;

/// The oldest desk protocol a hub of this release serves (one release back). An older desk is
/// refused with [`ApiErrorCode::DeskTooOld`] and keeps its outbox until it is updated.
pub const MIN_DESK_PROTOCOL: u32 = 1;

/// The protocol a desk speaks, on each of its requests, and the protocol a hub serves, on each
/// of its answers. Absent: protocol 1 (the release before the header).
pub const PROTOCOL_HEADER: &str = "x-onewindow-protocol";

/// The desk's release (its package version, as dpkg orders versions), on each of its
/// requests: a hub whose operator requires a newer one (`min_desk_release`) refuses it.
pub const DESK_RELEASE_HEADER: &str = "x-onewindow-desk-release";

/// The newest desk release published on the hub's APT repository, on each answer to a desk
/// (absent when none is published): the desk's status bar says an update is coming.
pub const DESK_PUBLISHED_HEADER: &str = "x-onewindow-desk-published";

/// The protocol an answer or a request names in [`PROTOCOL_HEADER`]: 1 when it names none
/// (the first release), `None` when it names something that is no protocol number.
pub fn protocol_of(header: Option<&str>) -> Option<u32> {
    match header {
        None => Some(1),
        Some(v) => v.trim().parse().ok(),
    }
}

/// The desks' APT repository a hub serves (`onewindow-hub publish-desk`), as both sides name
/// it: the hub writes it, `onewindow-desk --provision FILE --system` points apt at it.
pub mod apt {
    /// Under the hub's address and under its data folder.
    pub const PATH: &str = "/apt";
    /// The suite (and codename) the sources name, and the one component.
    pub const SUITE: &str = "onewindow";
    pub const COMPONENT: &str = "main";
    /// The repository's public key, at its top.
    pub const KEYRING: &str = "onewindow-archive-keyring.gpg";
    /// The origin and label of its Release, which unattended-upgrades matches.
    pub const ORIGIN: &str = "OneWindow";
    pub const LABEL: &str = "OneWindow desk";
    /// The one package it carries.
    pub const PACKAGE: &str = "onewindow-desk";
}

/// Paths of the hub's HTTP API.
pub mod paths {
    pub const HEALTHZ: &str = "/healthz";
    /// `GET`: 200 while the hub can take work, 503 while its data folder's disk is (nearly) full
    /// or its store does not answer.
    pub const READYZ: &str = "/readyz";
    /// `GET`: Prometheus text format (`onewindow_hub_storage_free_bytes`, …).
    pub const METRICS: &str = "/metrics";
    pub const CATALOG_CHANGES: &str = "/v1/catalog/changes";
    pub const CALENDAR_CHANGES: &str = "/v1/calendar/changes";
    /// `POST` (JSON `holder`, `case_number`): one holder's e-licences, for a case of this desk;
    /// device token and a signed-in clerk's session ([`super::CLERK_SESSION_HEADER`]) required,
    /// at most 60 lookups per device per hour.
    pub const ELICENCES_LOOKUP: &str = "/v1/elicences/lookup";
    /// `POST`: the clerk signed in at this desk signs out (the session header names whom).
    pub const LOGOUT: &str = "/v1/logout";
    /// `POST`: a desk enrolled before audit signing registers its signing key (once).
    pub const AUDIT_KEY: &str = "/v1/audit/key";
    /// `POST`: a one-time enrolment code for a device token.
    pub const ENROL: &str = "/v1/enrol";
    /// `POST`: a batch of outbox ops (device token required; [`super::EPOCH_HEADER`] with the
    /// hub's epoch the desk knows, when it knows one).
    pub const OPS: &str = "/v1/ops";
    /// `GET` ([`super::DeviceHeads`]): the hub's epoch and what it holds of this device's ops
    /// and audit records (device token required).
    pub const HEADS: &str = "/v1/heads";
    /// `/v1/blobs/{sha256}`: `GET` the received offset, `PUT ?offset=N&size=S` a chunk.
    pub const BLOBS: &str = "/v1/blobs";
    /// `GET ?cursor=N`: decisions on this device's cases (device token required).
    pub const RESULTS: &str = "/v1/results";
    /// `GET ?cursor=N`: the hall's queue configuration (domains, windows, tidal rules).
    pub const QUEUE_CONFIG_CHANGES: &str = "/v1/queue-config/changes";
    /// `GET`: the desk's centre, the items it accepts and where the others are accepted.
    pub const CENTRE_SCOPE: &str = "/v1/centre-scope";
    /// `GET`: the desk's centre's cases overdue or due within two working days.
    pub const DUE_CASES: &str = "/v1/due-cases";
    /// `GET`: the refusal requests of the desk's centre waiting for a supervisor.
    pub const REFUSALS: &str = "/v1/refusals";
    /// `POST` ([`super::RefusalAnswer`]): a supervisor signed in at the desk answers one
    /// (device token and the supervisor's session required).
    pub const REFUSAL_ANSWER: &str = "/v1/refusals/answer";
    /// `POST`: the desk's window calls its next ticket (device token required).
    pub const QUEUE_CALL_NEXT: &str = "/v1/queue/call-next";
    /// `POST`: recall, serve, no-show or transfer the window's current ticket.
    pub const QUEUE_STEP: &str = "/v1/queue/step";
    /// `POST`: open, pause or close the desk's window.
    pub const QUEUE_WINDOW: &str = "/v1/queue/window";
    /// `POST`: 现场取号 at the desk, served at once (`action`: the domain).
    pub const QUEUE_WALK_IN: &str = "/v1/queue/walk-in";
    /// `POST`: link the window's current ticket to the case it became (`action`: the number).
    pub const QUEUE_LINK: &str = "/v1/queue/link";
    /// `GET`: the desk's window now (its current ticket, how many wait for it).
    pub const QUEUE_MINE: &str = "/v1/queue/mine";
    /// `POST`: the applicant's rating of the service just given at the desk's window.
    pub const QUEUE_RATING: &str = "/v1/queue/rating";
    /// `GET`: the hall board (last calls, windows).
    pub const QUEUE_BOARD: &str = "/v1/queue/board";
    /// `/v1/result-files/{sha256}`: `GET` a result file of one of this device's cases.
    pub const RESULT_FILES: &str = "/v1/result-files";
    /// `POST`: a batch of the desk's audit records, continuing its chain.
    pub const AUDIT: &str = "/v1/audit";
    /// The hall board as server-sent events: whole now, then again at each change.
    pub const DISPLAY_EVENTS: &str = "/display/events";
    /// `POST`: a user signs in at an enrolled desk (device token required).
    pub const LOGIN: &str = "/v1/login";
    /// The applicant's progress page (the receipt's QR): `?case=NUMBER&code=QUERY`.
    pub const PROGRESS: &str = "/progress";
}

/// The largest blob chunk the hub takes in one request.
pub const MAX_CHUNK: usize = 8 * 1024 * 1024;
/// The largest op batch the hub takes in one request.
pub const MAX_OPS_PER_BATCH: usize = 500;

/// The header that carries a signed-in clerk's session (from [`LoginAnswer::session`]) on the
/// requests only a clerk may make (an e-licence lookup).
pub const CLERK_SESSION_HEADER: &str = "x-onewindow-session";

/// The hub's epoch (the name of its database's history, replaced by a restore from backup):
/// on every answer of the hub, and on a desk's push with the epoch the desk last knew. A push
/// naming another epoch is refused with [`ApiErrorCode::EpochChanged`].
pub const EPOCH_HEADER: &str = "x-onewindow-epoch";

/// `GET /v1/heads`: after a restore, what the hub holds of this device's history; the desk
/// sends again what it acknowledged after these and pulls its streams from the start.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceHeads {
    pub epoch: String,
    /// The last op of this device the hub recorded (by the desk's sequence; 0 for none).
    pub last_device_seq: i64,
    /// The head of this device's audit chain on the hub (0 for none).
    pub audit_seq: i64,
    /// The last change of each pull stream the hub has (`catalog`, `calendar`,
    /// `queue_config`, `results`): a desk past one saw changes the hub lost, and goes back to
    /// it, so the hub's new changes, numbered from there, all reach it.
    #[serde(default)]
    pub streams: std::collections::BTreeMap<String, i64>,
    /// When the backup the hub was restored from was made (RFC 3339): ops acknowledged since
    /// (and a day before, for clocks that differ) go again even when their sequence is below
    /// `last_device_seq` (an op that waited for its scan is applied after later ones).
    #[serde(default)]
    pub restored_from: Option<String>,
}

/// `POST /v1/enrol`: the one-time code an administrator made with `onewindow-hub enrol`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrolRequest {
    pub code: String,
    /// The key the desk signs its audit records with, made for this enrolment (absent from
    /// desks of earlier releases).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audit_key: Option<AuditKeyRegistration>,
}

/// A desk's audit signing key (Ed25519, made on the desk, its private half in the OS keyring)
/// and the head of the desk's audit chain when it was made: every record after `head_seq` is
/// signed. At enrolment the hub's copy of the chain starts at that head too (what the desk
/// recorded before it was enrolled stays on the desk).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditKeyRegistration {
    /// The 32-byte public key, lowercase hex.
    pub public_key: String,
    pub head_seq: i64,
    pub head_hash: String,
}

/// The device's identity: its token goes into the OS keyring, the desk code into case numbers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Enrolment {
    pub device_id: String,
    pub desk_code: String,
    pub desk_name: String,
    pub token: String,
    /// The newest record of the desk's audit chain the hub holds after this enrolment: the
    /// desk sends what follows (absent from hubs of earlier releases).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audit_seq: Option<i64>,
}

/// `POST /v1/login`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginRequest {
    pub name: String,
    pub password: String,
}

/// Who signed in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginAnswer {
    pub name: String,
    pub role: String,
    pub domains: Vec<String>,
    /// The clerk's session at this desk, sent back in [`CLERK_SESSION_HEADER`] (absent from
    /// hubs of earlier releases).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session: Option<String>,
}

/// `POST /v1/elicences/lookup`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ELicenceLookup {
    /// An ID number or unified social credit code.
    pub holder: String,
    /// The case the lookup is for: a number of the asking desk.
    pub case_number: String,
}

/// The most e-licence lookups one device may make in an hour.
pub const MAX_ELICENCE_LOOKUPS_PER_HOUR: u32 = 60;

/// One outbox op as the desk wrote it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Op {
    pub op_id: String,
    pub device_seq: i64,
    pub schema_version: i64,
    pub kind: String,
    pub payload: serde_json::Value,
}

/// `POST /v1/ops`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PushRequest {
    pub ops: Vec<Op>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OpStatus {
    Applied,
    /// Applied before (a replay): the first result stands.
    Duplicate,
    /// Never applied; `reason` says why. Kept on the desk, never blocks later ops.
    Rejected,
    /// References a blob the hub does not have whole yet; send again after uploading it.
    WaitingForBlob,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpResult {
    pub op_id: String,
    pub status: OpStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Blobs still missing, for `waiting_for_blob`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub missing_blobs: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PushResponse {
    pub results: Vec<OpResult>,
}

/// `GET /v1/blobs/{sha256}` and the answer to each `PUT`: how many bytes the hub holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlobState {
    pub offset: u64,
    /// The whole blob is there and its SHA-256 checked.
    pub complete: bool,
}

/// `PUT /v1/blobs/{sha256}?offset=N&size=S`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlobChunkQuery {
    pub offset: u64,
    /// The blob's whole size.
    pub size: u64,
}

/// A back-office step on a case, pulled by the desk that took it in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseResult {
    pub seq: i64,
    pub case_id: String,
    pub number: String,
    /// open_for_review | approve | refuse_by_office | return_for_correction
    pub action: String,
    pub note: Option<String>,
    pub by: String,
    pub at: String,
    /// A result file the approver attached to an approval (a PDF: the licence, the decision
    /// letter); the desk fetches it from [`paths::RESULT_FILES`] to print at 出件.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub file: Option<ResultFile>,
}

/// A result file of a decision, content-addressed like the scans.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResultFile {
    pub sha256: String,
    pub name: String,
    pub size: u64,
}

/// The largest result file an approver can attach.
pub const MAX_RESULT_FILE: usize = 20 * 1024 * 1024;

/// `GET /v1/results?cursor=N`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResultChanges {
    pub results: Vec<CaseResult>,
    pub next_cursor: i64,
    pub has_more: bool,
}

/// The letters of query codes: no look-alikes (0/O, 1/I).
pub const QUERY_CODE_ALPHABET: &[u8; 32] = b"23456789ABCDEFGHJKLMNPQRSTUVWXYZ";

/// Characters of a receipt's query code (5 bits each: 65 bits).
pub const QUERY_CODE_LEN: usize = 13;

/// The query code of receipts printed before codes were random (6 characters, derived from
/// the case id): still accepted by the progress page, under its throttle, for cases that have
/// no stored code. New receipts carry a random code (`HandOffDetail::query_code`).
pub fn query_code(case_id: &str) -> String {
    use sha2::Digest;
    let digest = sha2::Sha256::digest(case_id.as_bytes());
    digest[..6]
        .iter()
        .map(|b| QUERY_CODE_ALPHABET[(*b as usize) % QUERY_CODE_ALPHABET.len()] as char)
        .collect()
}

/// A query code from `QUERY_CODE_LEN` random bytes (each gives one letter of 32: uniform).
pub fn query_code_from_random(bytes: &[u8; QUERY_CODE_LEN]) -> String {
    bytes
        .iter()
        .map(|b| QUERY_CODE_ALPHABET[(*b & 31) as usize] as char)
        .collect()
}

/// Whether `s` is a lowercase hex SHA-256: the only blob ids the hub accepts (no paths).
pub fn is_sha256(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// `GET /v1/elicences/{holder}`: the holder's licences from the hub's registry; empty when the
/// registry has none. Looked up per applicant while online; never the whole registry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ELicences {
    pub holder: String,
    pub licences: Vec<onewindow_domain::elicence::LicenceRecord>,
}

/// `GET /healthz`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Health {
    pub status: String,
    pub protocol: u32,
    /// The address applicants' phones use for the hub (`serve --public-url`): receipts' QR
    /// codes point there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub public_url: Option<String>,
}

/// `/readyz`: `status` is `ok`, or `storage_full` while the data folder's disk has less than
/// the hub needs to take work; `free_mb` is what it has (absent when it cannot be read).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ready {
    pub status: String,
    pub free_mb: Option<u64>,
}

/// Query of a change stream: `?cursor=N&limit=M`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangesQuery {
    #[serde(default)]
    pub cursor: i64,
    #[serde(default)]
    pub limit: Option<u32>,
}

/// `?wait=S` on the results stream ([`paths::RESULTS`]): when nothing is past the cursor, the
/// hub holds the request up to `S` seconds (at most [`MAX_RESULTS_WAIT_S`]) and answers as soon
/// as a result for the device is recorded — through any hub process on the county's database.
/// A hub from before this answers at once, as without it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct WaitQuery {
    #[serde(default)]
    pub wait: Option<u32>,
}

/// The longest a results request waits for news (`?wait=`), well inside the desk's request
/// timeout and a load balancer's idle timeout.
pub const MAX_RESULTS_WAIT_S: u32 = 30;

/// What a catalog change is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CatalogEntity {
    Domain,
    Item,
    Bundle,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeOp {
    Upsert,
    Remove,
}

/// A published catalog version, as the status bar shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatalogVersion {
    /// Increases by one with each import on the hub.
    pub id: i64,
    /// The `version` field of the imported file.
    pub label: String,
    /// RFC 3339.
    pub published_at: String,
}

/// One row of the catalog change log. `body` is the entity's JSON (a `Domain`, `ServiceItem`
/// or `Bundle` of onewindow-domain) for an upsert, absent for a removal.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CatalogChange {
    pub seq: i64,
    pub version_id: i64,
    pub entity: CatalogEntity,
    pub op: ChangeOp,
    pub key: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<Box<RawValue>>,
}

/// `GET /v1/catalog/changes?cursor=N`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CatalogChanges {
    pub changes: Vec<CatalogChange>,
    /// The cursor to store with these rows and send next time.
    pub next_cursor: i64,
    pub has_more: bool,
    /// The version complete at `next_cursor`, if the page ends on a version boundary.
    pub checkpoint: Option<CatalogVersion>,
}

/// One row of the calendar change log: a year's arrangement (`YearCalendar` JSON) or its removal.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CalendarChange {
    pub seq: i64,
    pub year: i32,
    pub op: ChangeOp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<Box<RawValue>>,
}

/// `GET /v1/calendar/changes?cursor=N`. Every calendar change is its own checkpoint.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CalendarChanges {
    pub changes: Vec<CalendarChange>,
    pub next_cursor: i64,
    pub has_more: bool,
}

/// One published queue configuration: the whole of it (a hall has tens of windows), so every
/// change is its own checkpoint and a desk keeps only the latest.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct QueueConfigChange {
    pub seq: i64,
    pub body: Box<RawValue>,
}

/// `GET /v1/queue-config/changes?cursor=N`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct QueueConfigChanges {
    pub changes: Vec<QueueConfigChange>,
    pub next_cursor: i64,
    pub has_more: bool,
}

/// One call (or recall) as the hall display and the desk show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CallShown {
    pub event_id: i64,
    pub number: String,
    pub window: u32,
    pub window_name: String,
    /// call | recall
    pub kind: String,
    pub at: String,
}

/// A window's live state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WindowLive {
    pub number: u32,
    pub name: String,
    /// open | paused | closed
    pub state: String,
    pub domains: Vec<String>,
    /// The ticket called or being served there.
    pub current: Option<onewindow_domain::ticket::Ticket>,
}

/// What a queue action did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueAnswer {
    pub ticket: Option<onewindow_domain::ticket::Ticket>,
    pub call: Option<CallShown>,
    /// Waiting tickets the window could call, after the action.
    pub waiting_for_window: usize,
}

/// `POST /v1/queue/call-next`, `/v1/queue/step`, `/v1/queue/window`: a desk drives the window
/// it sits at (by its desk code in the queue configuration).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueRequest {
    /// Who is at the window.
    pub clerk: String,
    /// For `/step`: recall | serve | no_show | transfer. For `/window`: open | paused | closed.
    /// For `/walk-in`: the domain. For `/link`: the case number.
    #[serde(default)]
    pub action: Option<String>,
    #[serde(default)]
    pub transfer_to: Option<onewindow_domain::ticket::TransferTo>,
}

/// `POST /v1/queue/rating`: the applicant's rating of the service at the desk's window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RatingRequest {
    /// 5 非常满意 … 1 非常不满意.
    pub level: u8,
    /// Required for 1 and 2: from `onewindow_domain::rating::BAD_REASONS`.
    #[serde(default)]
    pub reasons: Vec<String>,
    #[serde(default)]
    pub comment: String,
}

/// The hall board: the last calls (newest first) and every window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HallBoard {
    pub calls: Vec<CallShown>,
    pub windows: Vec<WindowLive>,
    /// Today's opening hours of the centre, when it publishes them (`09:00–12:00、…`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hours_today: Option<String>,
}

/// A refusal request waiting for the centre's supervisor (窗口无否决权).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingRefusal {
    pub number: String,
    pub item_name: String,
    pub applicant_masked: String,
    pub reason: String,
    pub basis: String,
    pub by: String,
    pub desk_name: String,
}

/// `GET /v1/refusals`: oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct PendingRefusals {
    pub requests: Vec<PendingRefusal>,
}

/// `POST /v1/refusals/answer`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RefusalAnswer {
    pub number: String,
    pub confirm: bool,
    #[serde(default)]
    pub note: String,
}

/// A case the back office has not decided that is overdue or due within two working days.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DueCase {
    pub number: String,
    pub item_name: String,
    pub desk_name: String,
    pub promised_date: String,
    pub overdue: bool,
}

/// `GET /v1/due-cases`: overdue first.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct DueCases {
    pub cases: Vec<DueCase>,
}

/// `POST /v1/audit`: the desk's audit records the hub does not have yet, oldest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditPush {
    pub records: Vec<onewindow_domain::audit::AuditRecord>,
}

/// The head of the desk's audit chain as the hub now has it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditHead {
    pub seq: i64,
    pub hash: String,
}

/// The most audit records in one push.
pub const MAX_AUDIT_BATCH: usize = 1000;

/// Every 4xx/5xx body of the hub: a stable code for programs and a sentence for people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiError {
    pub code: ApiErrorCode,
    pub message: String,
}

/// The stable code of an [`ApiError`]: what a program branches on (never the message, which
/// is for people and may change).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ApiErrorCode {
    BadRequest,
    BadQuery,
    BadJson,
    BadBody,
    TooLarge,
    TooManyOps,
    TooManyRecords,
    BadOp,
    BadBlobId,
    BadHolder,
    NotFound,
    NoToken,
    BadToken,
    DeviceRevoked,
    BadEnrolCode,
    BadLogin,
    LoginLocked,
    CursorAhead,
    BlobOffset,
    BlobBusy,
    BlobHashMismatch,
    AuditChainBroken,
    /// The hub's disk is full: nothing of the request was recorded.
    StorageFull,
    Internal,
    /// The request needs a clerk signed in at the desk through the hub (an e-licence lookup).
    NoClerkSession,
    /// Too many requests of this kind from this device; `Retry-After` says when to ask again.
    TooManyRequests,
    /// The op or request names a case of another desk.
    NotYourCase,
    /// The push names an epoch the hub no longer has: it was restored from a backup. Ask
    /// `GET /v1/heads` and send again what the hub lacks.
    EpochChanged,
    /// The desk's release or protocol is older than the hub serves: it must be updated (its
    /// outbox waits). The message says so in Chinese.
    DeskTooOld,
    /// The audit key cannot be registered (malformed, or another key is registered).
    BadAuditKey,
    /// The desk sits at no window of the queue configuration.
    QueueNoWindow,
    /// The window is paused or closed: resume it before calling.
    QueueWindowNotOpen,
    /// The centre takes no tickets now (outside its opening hours); the message says when.
    QueueClosed,
    /// The window has no called ticket to act on.
    QueueNoCalledTicket,
    /// A recall was refused (not called, or recalled three times); the message says which.
    QueueRecallRefused,
    /// The ticket is already being served.
    QueueAlreadyServed,
    /// A no-show for a ticket being served.
    QueueNoShowWhileServing,
    /// The window (the transfer's target, or the desk's for a walk-in) does not serve the
    /// ticket's domain.
    QueueNotServed,
    /// This service was rated already.
    RatingAlreadyGiven,
    /// The window served nobody today to rate.
    RatingNothingServed,
    /// A code this version does not know (a newer hub), or a body that was no `ApiError`.
    #[serde(other)]
    Unknown,
}

impl ApiErrorCode {
    /// Every code, [`ApiErrorCode::Unknown`] last.
    pub const ALL: [ApiErrorCode; 41] = [
        ApiErrorCode::BadRequest,
        ApiErrorCode::BadQuery,
        ApiErrorCode::BadJson,
        ApiErrorCode::BadBody,
        ApiErrorCode::TooLarge,
        ApiErrorCode::TooManyOps,
        ApiErrorCode::TooManyRecords,
        ApiErrorCode::BadOp,
        ApiErrorCode::BadBlobId,
        ApiErrorCode::BadHolder,
        ApiErrorCode::NotFound,
        ApiErrorCode::NoToken,
        ApiErrorCode::BadToken,
        ApiErrorCode::DeviceRevoked,
        ApiErrorCode::BadEnrolCode,
        ApiErrorCode::BadLogin,
        ApiErrorCode::LoginLocked,
        ApiErrorCode::CursorAhead,
        ApiErrorCode::BlobOffset,
        ApiErrorCode::BlobBusy,
        ApiErrorCode::BlobHashMismatch,
        ApiErrorCode::AuditChainBroken,
        ApiErrorCode::StorageFull,
        ApiErrorCode::Internal,
        ApiErrorCode::QueueNoWindow,
        ApiErrorCode::QueueWindowNotOpen,
        ApiErrorCode::QueueClosed,
        ApiErrorCode::QueueNoCalledTicket,
        ApiErrorCode::QueueRecallRefused,
        ApiErrorCode::QueueAlreadyServed,
        ApiErrorCode::QueueNoShowWhileServing,
        ApiErrorCode::QueueNotServed,
        ApiErrorCode::RatingAlreadyGiven,
        ApiErrorCode::RatingNothingServed,
        ApiErrorCode::NoClerkSession,
        ApiErrorCode::TooManyRequests,
        ApiErrorCode::NotYourCase,
        ApiErrorCode::EpochChanged,
        ApiErrorCode::DeskTooOld,
        ApiErrorCode::BadAuditKey,
        ApiErrorCode::Unknown,
    ];

    /// The code as it travels (`bad_query`, …).
    pub const fn as_str(self) -> &'static str {
        match self {
            ApiErrorCode::BadRequest => "bad_request",
            ApiErrorCode::BadQuery => "bad_query",
            ApiErrorCode::BadJson => "bad_json",
            ApiErrorCode::BadBody => "bad_body",
            ApiErrorCode::TooLarge => "too_large",
            ApiErrorCode::TooManyOps => "too_many_ops",
            ApiErrorCode::TooManyRecords => "too_many_records",
            ApiErrorCode::BadOp => "bad_op",
            ApiErrorCode::BadBlobId => "bad_blob_id",
            ApiErrorCode::BadHolder => "bad_holder",
            ApiErrorCode::NotFound => "not_found",
            ApiErrorCode::NoToken => "no_token",
            ApiErrorCode::BadToken => "bad_token",
            ApiErrorCode::DeviceRevoked => "device_revoked",
            ApiErrorCode::BadEnrolCode => "bad_enrol_code",
            ApiErrorCode::BadLogin => "bad_login",
            ApiErrorCode::LoginLocked => "login_locked",
            ApiErrorCode::CursorAhead => "cursor_ahead",
            ApiErrorCode::BlobOffset => "blob_offset",
            ApiErrorCode::BlobBusy => "blob_busy",
            ApiErrorCode::BlobHashMismatch => "blob_hash_mismatch",
            ApiErrorCode::AuditChainBroken => "audit_chain_broken",
            ApiErrorCode::StorageFull => "storage_full",
            ApiErrorCode::Internal => "internal",
            ApiErrorCode::NoClerkSession => "no_clerk_session",
            ApiErrorCode::TooManyRequests => "too_many_requests",
            ApiErrorCode::EpochChanged => "epoch_changed",
            ApiErrorCode::DeskTooOld => "desk_too_old",
            ApiErrorCode::NotYourCase => "not_your_case",
            ApiErrorCode::BadAuditKey => "bad_audit_key",
            ApiErrorCode::QueueNoWindow => "queue_no_window",
            ApiErrorCode::QueueWindowNotOpen => "queue_window_not_open",
            ApiErrorCode::QueueClosed => "queue_closed",
            ApiErrorCode::QueueNoCalledTicket => "queue_no_called_ticket",
            ApiErrorCode::QueueRecallRefused => "queue_recall_refused",
            ApiErrorCode::QueueAlreadyServed => "queue_already_served",
            ApiErrorCode::QueueNoShowWhileServing => "queue_no_show_while_serving",
            ApiErrorCode::QueueNotServed => "queue_not_served",
            ApiErrorCode::RatingAlreadyGiven => "rating_already_given",
            ApiErrorCode::RatingNothingServed => "rating_nothing_served",
            ApiErrorCode::Unknown => "unknown",
        }
    }
}

impl std::fmt::Display for ApiErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_error_code_travels_by_its_name_and_an_unknown_one_is_read() {
        for c in ApiErrorCode::ALL {
            assert_eq!(serde_json::to_value(c).unwrap(), c.as_str(), "{c:?}");
            let back: ApiErrorCode = serde_json::from_value(c.as_str().into()).unwrap();
            assert_eq!(back, c);
        }
        let e: ApiError =
            serde_json::from_str(r#"{"code":"from_a_newer_hub","message":"m"}"#).unwrap();
        assert_eq!(e.code, ApiErrorCode::Unknown);
    }

    #[test]
    fn change_page_round_trips_with_raw_bodies() {
        let json = r#"{"changes":[{"seq":3,"version_id":1,"entity":"item","op":"upsert","key":"000105001001","body":{"code":"000105001001"}},{"seq":4,"version_id":1,"entity":"bundle","op":"remove","key":"YJS371082001"}],"next_cursor":4,"has_more":false,"checkpoint":{"id":1,"label":"v1","published_at":"2026-11-27T00:00:00Z"}}"#;
        let page: CatalogChanges = serde_json::from_str(json).unwrap();
        assert_eq!(page.changes[0].entity, CatalogEntity::Item);
        assert_eq!(
            page.changes[0].body.as_ref().unwrap().get(),
            r#"{"code":"000105001001"}"#
        );
        assert_eq!(page.changes[1].op, ChangeOp::Remove);
        assert!(page.changes[1].body.is_none());
        assert_eq!(serde_json::to_string(&page).unwrap(), json);
    }
}

/// The hub's TLS certificate as desks pin it: the SHA-256 of its DER, lowercase hex, shown to
/// people in groups of four (`3F2A 9C01 …`).
pub mod cert {
    use sha2::{Digest, Sha256};

    /// The SHA-256 of a certificate (DER), lowercase hex.
    pub fn fingerprint(der: &[u8]) -> String {
        format!("{:x}", Sha256::digest(der))
    }

    /// A fingerprint as people read it aloud and type it: `3F2A 9C01 …`.
    pub fn grouped(hex: &str) -> String {
        hex.to_ascii_uppercase()
            .as_bytes()
            .chunks(4)
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[cfg(test)]
    mod tests {
        #[test]
        fn fingerprints_are_grouped_by_four() {
            assert_eq!(super::grouped("3f2a9c01de"), "3F2A 9C01 DE");
            assert_eq!(super::fingerprint(b"").len(), 64);
        }
    }
}
