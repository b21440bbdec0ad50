//! 前台综合受理: the case screen's services. A case is made from an item and scenario (or a
//! 一件事 bundle), filled from the keyboard, the ID card reader or a 居民码/企业码, gets its scanned
//! materials from the hot folder (or "import from file"), is pre-reviewed, and ends at the
//! window with a one-time notice, an acceptance receipt or a refusal notice — each rendered to
//! PDF, archived with the case and printed.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use base64::Engine;
use chrono::{DateTime, FixedOffset, NaiveDate, Utc};
use onewindow_documents::{AcceptanceReceipt, CjkFont, OneTimeNotice, PledgeLetter, RefusalNotice};
use onewindow_domain::applicant::{Agent, Applicant, ApplicantKind, Assist, CardInfo};
use onewindow_domain::bundle::{self, BundlePlan, Member};
use onewindow_domain::case::{CaseAction, CaseState};
use onewindow_domain::elicence::LicenceRecord;
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

use crate::desk::{Desk, store_error};
use crate::dto::{
    self, AppError, ApplicantInput, CaseSummary, CaseView, DocumentPreview, Flash, WindowInfo,
};

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
    pub(crate) hot: Mutex<Option<HotFolder>>,
    pub(crate) config: IntakeConfig,
    pub(crate) state: Mutex<WindowState>,
    font: Mutex<Option<Arc<CjkFont>>>,
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
                hot: Mutex::new(None),
                config,
                state: Mutex::new(state),
                font: Mutex::new(None),
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
            hot: Mutex::new(folder),
            config,
            state: Mutex::new(state),
            font: Mutex::new(None),
        }
    }
}

/// Locks a mutex of the window's state; a panic elsewhere (a decoder on a hostile file) must not
/// leave the window unusable, and the state it guards is valid between statements.
fn relock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// A stored RFC 3339 time as the window reads it: China time, to the minute.
fn china_time(at: &str) -> String {
    DateTime::parse_from_rfc3339(at)
        .map(|t| {
            t.with_timezone(&FixedOffset::east_opt(CHINA).expect("valid offset"))
                .format("%Y-%m-%d %H:%M")
                .to_string()
        })
        .unwrap_or_else(|_| at.to_string())
}

/// Where the desk archives the documents it printed, by case.
fn documents_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("documents")
}

fn bad(code: &str, message: impl Into<String>) -> AppError {
    AppError {
        code: code.into(),
        message: message.into(),
    }
}

fn data_url(png: &[u8]) -> String {
    format!(
        "data:image/png;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(png)
    )
}

fn size_label(bytes: u64) -> String {
    if bytes >= 1_000_000 {
        format!("{:.1} MB", bytes as f64 / 1e6)
    } else {
        format!("{} KB", bytes.div_ceil(1000))
    }
}

/// A phone number shown outside the draft: `139****0001`, `0631-****001`.
pub fn mask_phone(p: &str) -> String {
    let p = p.trim();
    if p.is_empty() {
        return String::new();
    }
    match p.split_once('-') {
        Some((area, local)) if local.chars().count() > 3 => {
            let tail: String = local.chars().skip(local.chars().count() - 3).collect();
            format!("{area}-****{tail}")
        }
        _ if p.chars().count() == 11 => {
            let c: Vec<char> = p.chars().collect();
            format!(
                "{}****{}",
                c[..3].iter().collect::<String>(),
                c[7..].iter().collect::<String>()
            )
        }
        _ => mask_number(p),
    }
}

/// An address shown outside the draft: its first six characters (the province and city,
/// usually), the rest hidden — `山东省威海市****`.
pub fn mask_address(a: &str) -> String {
    let a = a.trim();
    if a.is_empty() {
        return String::new();
    }
    let head: String = a.chars().take(6).collect();
    format!("{head}****")
}

/// Whether a form field holds an address (by its label).
fn is_address_field(label: &str) -> bool {
    label.contains("地址") || label.contains("住址") || label.contains("住所")
}

/// A number as printed on documents and shown outside the draft: never whole.
pub fn mask_number(n: &str) -> String {
    let chars: Vec<char> = n.chars().collect();
    match chars.len() {
        18 => format!(
            "{}********{}",
            chars[..6].iter().collect::<String>(),
            chars[14..].iter().collect::<String>()
        ),
        l if l > 8 => format!(
            "{}{}{}",
            chars[..4].iter().collect::<String>(),
            "*".repeat(l - 8),
            chars[l - 4..].iter().collect::<String>()
        ),
        _ => "*".repeat(chars.len()),
    }
}

fn status_label(s: MaterialStatus) -> (&'static str, &'static str) {
    match s {
        MaterialStatus::Provided => ("provided", "已收"),
        MaterialStatus::ELicence => ("e_licence", "免提交（电子证照）"),
        MaterialStatus::Produced => ("produced", "由本件事产生"),
        MaterialStatus::Pledged => ("pledged", "告知承诺"),
        MaterialStatus::Deferred => ("deferred", "容缺"),
        MaterialStatus::Missing => ("missing", "缺"),
        MaterialStatus::NotNeeded => ("not_needed", "无需提交"),
    }
}

fn severity_str(s: Severity) -> &'static str {
    match s {
        Severity::Blocking => "blocking",
        Severity::Deferrable => "deferrable",
        Severity::Info => "info",
    }
}

fn state_str(s: CaseState) -> String {
    serde_json::to_value(s)
        .ok()
        .and_then(|v| v.as_str().map(str::to_string))
        .unwrap_or_default()
}

fn applicant_input(a: Option<&Applicant>) -> ApplicantInput {
    let Some(a) = a else {
        return ApplicantInput {
            kind: "person".into(),
            ..Default::default()
        };
    };
    let o = |s: &Option<String>| s.clone().unwrap_or_default();
    ApplicantInput {
        kind: match a.kind {
            ApplicantKind::Person => "person".into(),
            ApplicantKind::Organisation => "organisation".into(),
        },
        name: a.name.clone(),
        number: a.number.clone(),
        phone: o(&a.phone),
        address: o(&a.address),
        legal_rep: o(&a.legal_rep),
        agent_name: a.agent.as_ref().map(|g| g.name.clone()).unwrap_or_default(),
        agent_id_number: a
            .agent
            .as_ref()
            .map(|g| g.id_number.clone())
            .unwrap_or_default(),
        agent_phone: a
            .agent
            .as_ref()
            .and_then(|g| g.phone.clone())
            .unwrap_or_default(),
        assist_helper: a
            .assist
            .as_ref()
            .map(|s| s.helper.clone())
            .unwrap_or_default(),
        assist_note: a
            .assist
            .as_ref()
            .map(|s| s.note.clone())
            .unwrap_or_default(),
    }
}

/// Every way in (keyboard, card, 居民码) is held to the same lengths.
fn check_lengths(a: &Applicant) -> Result<(), AppError> {
    let o = |s: &Option<String>| s.clone().unwrap_or_default();
    let agent = a.agent.clone();
    let assist = a.assist.clone();
    for (label, v, max) in [
        ("姓名（名称）", a.name.clone(), 100),
        ("证件号码", a.number.clone(), 40),
        ("联系电话", o(&a.phone), 40),
        ("地址", o(&a.address), 200),
        ("法定代表人", o(&a.legal_rep), 50),
        (
            "代办人姓名",
            agent.as_ref().map(|g| g.name.clone()).unwrap_or_default(),
            50,
        ),
        (
            "代办人证件号码",
            agent
                .as_ref()
                .map(|g| g.id_number.clone())
                .unwrap_or_default(),
            40,
        ),
        (
            "代办人电话",
            agent
                .as_ref()
                .and_then(|g| g.phone.clone())
                .unwrap_or_default(),
            40,
        ),
        (
            "帮办人员",
            assist
                .as_ref()
                .map(|x| x.helper.clone())
                .unwrap_or_default(),
            50,
        ),
        (
            "帮办说明",
            assist.as_ref().map(|x| x.note.clone()).unwrap_or_default(),
            500,
        ),
    ] {
        if v.chars().count() > max {
            return Err(bad(
                "bad_applicant",
                format!("「{label}」太长（最多 {max} 个字），请核对"),
            ));
        }
    }
    Ok(())
}

/// The typed applicant as stored; the card info survives edits of the other fields.
fn applicant_from(input: &ApplicantInput, card: Option<CardInfo>) -> Result<Applicant, AppError> {
    let kind = match input.kind.as_str() {
        "person" | "" => ApplicantKind::Person,
        "organisation" => ApplicantKind::Organisation,
        other => {
            tracing::warn!(kind = other, "unknown applicant kind");
            return Err(bad("bad_applicant", "申请人类型只能是个人或单位"));
        }
    };
    let t = |s: &str| -> Option<String> {
        let s = s.trim();
        (!s.is_empty()).then(|| s.to_string())
    };
    let number = input.number.trim().to_uppercase();
    let agent =
        (t(&input.agent_name).is_some() || t(&input.agent_id_number).is_some()).then(|| Agent {
            name: input.agent_name.trim().to_string(),
            id_number: input.agent_id_number.trim().to_uppercase(),
            phone: t(&input.agent_phone),
        });
    let assist = t(&input.assist_helper).map(|helper| Assist {
        helper,
        note: input.assist_note.trim().to_string(),
    });
    let a = Applicant {
        kind,
        name: input.name.trim().to_string(),
        number,
        phone: t(&input.phone),
        address: t(&input.address),
        legal_rep: t(&input.legal_rep),
        agent,
        assist,
        card,
    };
    check_lengths(&a)?;
    Ok(a)
}

/// A case with everything pre-review and the screen need.
struct CaseCtx {
    case: CaseRow,
    title: String,
    agency: String,
    phone: String,
    promised_days: u32,
    /// Single case: the item's scenarios.
    scenarios: Vec<dto::ScenarioChoice>,
    scenario: Option<Scenario>,
    /// 一件事: members with their items and chosen scenarios.
    members: Vec<(CaseRow, ServiceItem, Scenario)>,
    plan: Option<BundlePlan>,
    materials: Vec<MaterialRequirement>,
    material_producer: Vec<Option<String>>,
    fields: Vec<FieldDef>,
    field_producer: Vec<Option<String>>,
    applicant: Option<Applicant>,
    form: BTreeMap<String, String>,
    attachments: Vec<Attachment>,
    pledges: Vec<(usize, String)>,
    overrides: BTreeMap<String, String>,
    elicences: Option<(String, Vec<LicenceRecord>, String)>,
    review: PreReview,
}

impl CaseCtx {
    fn applicant_line(&self) -> String {
        match &self.applicant {
            Some(a) => {
                let number = match a.kind {
                    ApplicantKind::Person => mask_number(&a.number),
                    // A credit code is public; only a person's number is masked.
                    ApplicantKind::Organisation => a.number.clone(),
                };
                let mut line = format!("{} {number}", a.name);
                if let Some(agent) = &a.agent {
                    line.push_str(&format!("（代办人：{}）", agent.name));
                }
                line
            }
            None => "（未登记）".into(),
        }
    }
}

/// The registry key of an applicant: the checked ID number or credit code.
fn holder_of(a: &Applicant, today: NaiveDate) -> Option<String> {
    match a.kind {
        ApplicantKind::Person => IdNumber::parse(&a.number, today)
            .ok()
            .map(|n| n.as_str().to_string()),
        ApplicantKind::Organisation => CreditCode::parse(&a.number)
            .ok()
            .map(|c| c.as_str().to_string()),
    }
}

fn pick_scenario<'a>(item: &'a ServiceItem, code: Option<&str>) -> Option<&'a Scenario> {
    code.and_then(|c| item.scenarios.iter().find(|s| s.code == c))
}

/// For a bundle member without a chosen scenario: the one whose name shares the most with the
/// bundle's name (新生儿出生一件事 → 新生儿首次申领), else the first.
fn default_member_scenario(item: &ServiceItem, bundle_name: &str) -> Option<String> {
    let pairs = |s: &str| -> BTreeSet<(char, char)> {
        let c: Vec<char> = s.chars().collect();
        c.windows(2).map(|w| (w[0], w[1])).collect()
    };
    let b = pairs(bundle_name);
    item.scenarios
        .iter()
        .enumerate()
        .max_by_key(|(i, s)| (pairs(&s.name).intersection(&b).count(), usize::MAX - i))
        .map(|(_, s)| s.code.clone())
}

fn load_ctx(store: &Store, case_id: &str, today: NaiveDate) -> Result<CaseCtx, StoreError> {
    let mut case = store
        .case(case_id)?
        .ok_or_else(|| StoreError::CaseNotFound(case_id.into()))?;
    if let Some(head) = &case.bundle_case {
        case = store
            .case(head)?
            .ok_or_else(|| StoreError::CaseNotFound(head.clone()))?;
    }
    let (applicant, form) = store.intake(&case.id)?;
    let attachments = store.attachments(&case.id)?;
    let pledges = store.pledges(&case.id)?;
    let overrides: BTreeMap<String, String> = store.overrides(&case.id)?.into_iter().collect();
    // A lookup speaks only for the number it was made for.
    let elicences = store.elicences(&case.id)?.filter(|(holder, ..)| {
        applicant
            .as_ref()
            .and_then(|a| holder_of(a, today))
            .is_some_and(|h| &h == holder)
    });
    let members_rows = store.bundle_members(&case.id)?;

    let mut ctx = CaseCtx {
        title: String::new(),
        agency: String::new(),
        phone: String::new(),
        promised_days: 0,
        scenarios: vec![],
        scenario: None,
        members: vec![],
        plan: None,
        materials: vec![],
        material_producer: vec![],
        fields: vec![],
        field_producer: vec![],
        applicant,
        form,
        attachments,
        pledges,
        overrides,
        elicences,
        review: PreReview {
            materials: vec![],
            findings: vec![],
        },
        case,
    };
    let mut attached: BTreeMap<usize, usize> = BTreeMap::new();
    for a in &ctx.attachments {
        if let Some(s) = a.slot {
            *attached.entry(s).or_default() += 1;
        }
    }
    let input = |scenario| PreReviewInput {
        scenario,
        applicant: ctx.applicant.as_ref(),
        form: ctx.form.clone(),
        attached: attached.clone(),
        elicences: ctx
            .elicences
            .as_ref()
            .map(|e| e.1.clone())
            .unwrap_or_default(),
        pledged: ctx.pledges.iter().map(|p| p.0).collect(),
        overrides: ctx.overrides.clone(),
        today: Some(today),
        ..Default::default()
    };

    if members_rows.is_empty() {
        let item = store.item(&ctx.case.item_code)?.ok_or_else(|| {
            StoreError::BadInput(format!(
                "item {} is no longer in the catalog",
                ctx.case.item_code
            ))
        })?;
        let scenario = pick_scenario(&item, ctx.case.scenario_code.as_deref()).cloned();
        let review = prereview(&input(scenario.as_ref()));
        ctx.title = item.name.clone();
        ctx.agency = item.agency.clone();
        ctx.phone = item.phone.clone();
        ctx.promised_days = item.promised_days;
        ctx.scenarios = item
            .scenarios
            .iter()
            .map(|s| dto::ScenarioChoice {
                code: s.code.clone(),
                name: s.name.clone(),
            })
            .collect();
        if let Some(s) = &scenario {
            ctx.materials = s.materials.clone();
            ctx.material_producer = vec![None; s.materials.len()];
            ctx.fields = s.fields.clone();
            ctx.field_producer = vec![None; s.fields.len()];
        }
        ctx.scenario = scenario;
        ctx.review = review;
    } else {
        let b = store.bundle(&ctx.case.item_code)?.ok_or_else(|| {
            StoreError::BadInput(format!(
                "bundle {} is no longer in the catalog",
                ctx.case.item_code
            ))
        })?;
        let mut members = Vec::new();
        for row in members_rows {
            let item = store.item(&row.item_code)?.ok_or_else(|| {
                StoreError::BadInput(format!(
                    "item {} is no longer in the catalog",
                    row.item_code
                ))
            })?;
            let Some(scenario) = pick_scenario(&item, row.scenario_code.as_deref())
                .or_else(|| item.scenarios.first())
                .cloned()
            else {
                return Err(StoreError::BadInput(format!(
                    "item {} has no scenario",
                    item.code
                )));
            };
            members.push((row, item, scenario));
        }
        let ms: Vec<Member<'_>> = members
            .iter()
            .map(|(_, item, scenario)| Member { item, scenario })
            .collect();
        let plan = bundle::plan(&ms);
        ctx.review = bundle::prereview_bundle(&plan, &ms, &input(None));
        let name_of = |m: Option<usize>| m.map(|m| members[m].1.name.clone());
        ctx.materials = plan
            .materials
            .iter()
            .map(|m| m.requirement.clone())
            .collect();
        ctx.material_producer = plan
            .materials
            .iter()
            .map(|m| name_of(m.produced_by))
            .collect();
        ctx.fields = plan.fields.iter().map(|f| f.def.clone()).collect();
        ctx.field_producer = plan.fields.iter().map(|f| name_of(f.produced_by)).collect();
        ctx.title = b.name.clone();
        ctx.agency = b.lead_agency.clone();
        ctx.phone = members
            .first()
            .map(|m| m.1.phone.clone())
            .unwrap_or_default();
        ctx.promised_days = b.promised_days;
        ctx.plan = Some(plan);
        ctx.members = members;
    }
    Ok(ctx)
}

/// Whether intake failed because the desk's disk is full.
fn intake_disk_full(e: &onewindow_intake::IntakeError) -> bool {
    let onewindow_intake::IntakeError::Io { source, .. } = e;
    source.kind() == std::io::ErrorKind::StorageFull
}

/// A taken file as a case's (or the waiting list's) attachment.
fn attachment_of(t: &Taken, slot: Option<usize>) -> Attachment {
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
fn not_recorded(t: &Taken, e: &AppError) -> Held {
    tracing::warn!(code = %e.code, "taken scan not recorded; it stays in the hot folder");
    let (code, reason_zh) = if e.code == "disk_full" {
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

fn file_view(intake: &IntakeConfig, a: &Attachment) -> dto::FileView {
    let thumbnail = intake.read_thumbnail(&a.sha256).map(|b| data_url(&b));
    dto::FileView {
        sha256: a.sha256.clone(),
        name: a.original_name.clone(),
        kind: a.kind.clone(),
        size_label: size_label(a.size),
        pages: a.pages,
        thumbnail,
    }
}

fn doc_title(kind: &str) -> &'static str {
    match kind {
        "one_time_notice" => "一次性告知书",
        "acceptance_receipt" => "受理回执",
        "refusal_notice" => "不予受理通知书",
        "pledge" => "告知承诺书",
        "result_file" => "审批结果文件",
        _ => "文书",
    }
}

fn follow_up_view(f: &FollowUp, item_name: String, today: NaiveDate) -> dto::FollowUpView {
    dto::FollowUpView {
        id: f.id,
        case_id: f.case_id.clone(),
        case_number: f.case_number.clone(),
        item_name,
        kind: match f.kind {
            FollowUpKind::PledgeCheck => "pledge_check".into(),
            FollowUpKind::DeferredMaterial => "deferred_material".into(),
        },
        kind_label: match f.kind {
            FollowUpKind::PledgeCheck => "承诺核查".into(),
            FollowUpKind::DeferredMaterial => "容缺补交".into(),
        },
        material: f.material.clone(),
        due: f.due.to_string(),
        overdue: f.done_at.is_none() && f.due < today,
        done_at: f.done_at.clone(),
        done_by: f.done_by.clone(),
        done_note: f.done_note.clone(),
    }
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
                *relock(&self.intake_thread) = Some((handle, nudger));
                // What is in the folder before any case opens must be known as such (it goes
                // to no case by itself); a folder on a dead network drive does not hold up
                // the start for long.
                let _ = looked.recv_timeout(std::time::Duration::from_millis(500));
            }
            Err(e) => tracing::error!(error = %e, "cannot start the hot folder thread"),
        }
    }

    fn intake_loop(&self, watch: Option<Watch>, first_look: std::sync::mpsc::Sender<()>) {
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
    fn scan_hot_folder(&self) -> bool {
        // A panic while decoding one hostile file must not end scanning for the day.
        let scanned = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let mut hot = relock(&self.intake().hot);
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
                let mut st = relock(&self.intake().state);
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

    fn intake_problem(&self, message: String) {
        let mut st = relock(&self.intake().state);
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
    fn take_in(&self, outcome: Outcome) {
        match outcome {
            Outcome::Taken(t) => {
                tracing::info!(kind = ?t.kind, size = t.size, duplicate = t.duplicate, "scan taken");
            }
            Outcome::Quarantined(q) => self.list_quarantined(q),
        }
        self.bump();
    }

    fn list_quarantined(&self, q: onewindow_intake::Quarantined) {
        let mut st = relock(&self.intake().state);
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
    fn keep_scan(&self, t: &Taken, arrival: &Arrival) -> Result<(), Held> {
        let (open, slot, there_before) = {
            let mut st = relock(&self.intake().state);
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
                Err(e) if e.code == "case_transition" || e.code == "case_not_found" => {
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
    fn recover_scans(&self) {
        let kept = match self.with_store(|s| s.kept_blobs()) {
            Ok(k) => k,
            Err(e) => {
                tracing::error!(code = %e.code, "scan recovery skipped: the cache cannot be read");
                return;
            }
        };
        let found = {
            let mut hot = relock(&self.intake().hot);
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

    fn attach_taken(
        &self,
        case_id: &str,
        t: &Taken,
        slot: Option<usize>,
    ) -> Result<bool, AppError> {
        let file = attachment_of(t, slot);
        self.with_store_mut(|s| s.attach(case_id, &file, Utc::now()))
    }

    pub(crate) fn with_store_mut<T>(
        &self,
        f: impl FnOnce(&mut Store) -> Result<T, StoreError>,
    ) -> Result<T, AppError> {
        let store = self.store()?;
        let mut guard = store.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut guard).map_err(store_error)
    }

    /// What the applicant's screen shows of a case: no thumbnails or form, the ID masked.
    pub(crate) fn applicant_case(&self, case_id: &str) -> Result<dto::ApplicantCaseView, AppError> {
        let ctx = self.ctx(case_id)?;
        Ok(dto::ApplicantCaseView {
            number: ctx.case.number.clone(),
            title: ctx.title.clone(),
            applicant: ctx.applicant_line(),
            promised_label: if ctx.promised_days == 0 {
                "即办".into()
            } else {
                format!("{} 个工作日", ctx.promised_days)
            },
            materials: ctx
                .materials
                .iter()
                .enumerate()
                .map(|(i, m)| {
                    let (status, label) = status_label(
                        ctx.review
                            .materials
                            .get(i)
                            .copied()
                            .unwrap_or(MaterialStatus::NotNeeded),
                    );
                    dto::ApplicantMaterial {
                        name: m.name.clone(),
                        status: status.into(),
                        status_label: label.into(),
                    }
                })
                .collect(),
        })
    }

    /// The case on the clerk's screen (taking scans), if any.
    pub(crate) fn open_case_id(&self) -> Option<String> {
        relock(&self.intake().state).case_id.clone()
    }

    /// Makes the case the one on screen: new scans land in it. Scans waiting from before are
    /// not put into it: only the clerk does that.
    fn focus(&self, case_id: &str) {
        if relock(&self.intake().state).case_id.as_deref() == Some(case_id) {
            return;
        }
        // The time first, then the names: a file the watch saw before this instant, or that
        // was in the folder by the time it was listed, came before the case. The folder is
        // listed outside the lock (a network folder may be slow).
        let at = Instant::now();
        let present = self.hot_folder_names();
        let mut st = relock(&self.intake().state);
        st.case_id = Some(case_id.to_string());
        st.focused_at = Some(at);
        st.present_at_focus = present;
        st.slot = None;
    }

    /// The names of the files in the hot folder now (not its folders or temp files).
    fn hot_folder_names(&self) -> HashSet<String> {
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
    fn unfocus(&self, case_id: &str) {
        let mut st = relock(&self.intake().state);
        if st.case_id.as_deref() == Some(case_id) {
            st.case_id = None;
            st.slot = None;
            st.present_at_focus.clear();
        }
    }

    pub fn new_case(&self, req: &dto::NewCaseRequest) -> Result<CaseView, AppError> {
        let today = self.today();
        let who = self.actor();
        let id = match (&req.item_code, &req.bundle_code) {
            (Some(code), None) => {
                let item = self
                    .with_store(|s| s.item(code))?
                    .ok_or_else(|| bad("not_found", format!("目录中没有事项 {code}")))?;
                if item.scenarios.is_empty() {
                    return Err(bad(
                        "not_a_leaf",
                        format!("「{}」下还有子项，请选择具体的办理项再受理", item.name),
                    ));
                }
                let scenario = match &req.scenario_code {
                    Some(c) if item.scenarios.iter().any(|s| &s.code == c) => Some(c.clone()),
                    Some(c) => {
                        return Err(bad(
                            "bad_scenario",
                            format!("事项「{}」没有情形 {c}", item.name),
                        ));
                    }
                    None if item.scenarios.len() == 1 => Some(item.scenarios[0].code.clone()),
                    None => None,
                };
                let new = NewCase {
                    item_code: item.code.clone(),
                    scenario_code: scenario,
                    local_date: today,
                };
                self.with_store_mut(|s| s.create_case(&new, &who, Utc::now()))?
                    .id
            }
            (None, Some(code)) => {
                let b = self
                    .with_store(|s| s.bundle(code))?
                    .ok_or_else(|| bad("not_found", format!("目录中没有一件事 {code}")))?;
                let mut members = Vec::new();
                for ic in &b.items {
                    let item = self.with_store(|s| s.item(ic))?.ok_or_else(|| {
                        bad(
                            "not_found",
                            format!("一件事「{}」的事项 {ic} 不在目录中", b.name),
                        )
                    })?;
                    members.push(NewCase {
                        item_code: ic.clone(),
                        scenario_code: default_member_scenario(&item, &b.name),
                        local_date: today,
                    });
                }
                self.with_store_mut(|s| s.create_bundle_case(&b.code, &members, &who, Utc::now()))?
                    .0
                    .id
            }
            _ => return Err(bad("bad_request", "请选择一个事项或一件事")),
        };
        tracing::info!(case = %id, "case created");
        self.focus(&id);
        self.bump();
        self.case_view(&id, None)
    }

    pub fn open_case(&self, case_id: &str) -> Result<CaseView, AppError> {
        let view = self.case_view(case_id, None)?;
        self.audit_required("view", &view.number, "ok", None)?;
        // Scans go to a case on screen only while it can take them: a draft, or an accepted
        // case whose 容缺 materials are still owed.
        if view.editable
            || (view.state == "accepted"
                && view
                    .follow_ups
                    .iter()
                    .any(|f| f.done_at.is_none() && f.kind == "deferred_material"))
        {
            self.focus(&view.id);
        } else {
            self.unfocus_all();
        }
        self.case_view(&view.id, None)
    }

    fn unfocus_all(&self) {
        let mut st = relock(&self.intake().state);
        st.case_id = None;
        st.slot = None;
    }

    /// The case again if anything changed since `revision` (scans arriving), else `None`.
    pub fn poll_case(&self, case_id: &str, revision: u64) -> Result<Option<CaseView>, AppError> {
        if *self.revision.borrow() == revision {
            return Ok(None);
        }
        self.case_view(case_id, None).map(Some)
    }

    pub fn recent_cases(&self) -> Result<Vec<CaseSummary>, AppError> {
        let rows = self.with_store(|s| s.recent_cases(50))?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let (applicant, _) = self.with_store(|s| s.intake(&r.id))?;
            let title = self.with_store(|s| {
                Ok(match s.item(&r.item_code)? {
                    Some(i) => i.name,
                    None => s.bundle(&r.item_code)?.map(|b| b.name).unwrap_or_default(),
                })
            })?;
            out.push(CaseSummary {
                id: r.id,
                number: r.number,
                title,
                state_label: r.state.label().into(),
                applicant_name: applicant.map(|a| a.name).unwrap_or_default(),
                created_at: r.created_at,
            });
        }
        Ok(out)
    }

    /// A case's number and its applicant as stored (whole), for the audited reveal.
    pub(crate) fn applicant_of(
        &self,
        case_id: &str,
    ) -> Result<(String, Option<ApplicantInput>), AppError> {
        let ctx = self.ctx(case_id)?;
        Ok((
            ctx.case.number.clone(),
            ctx.applicant.as_ref().map(|a| applicant_input(Some(a))),
        ))
    }

    fn ctx(&self, case_id: &str) -> Result<CaseCtx, AppError> {
        let today = self.today();
        self.with_store(|s| load_ctx(s, case_id, today))
    }

    fn case_view(&self, case_id: &str, flash: Option<Flash>) -> Result<CaseView, AppError> {
        let revision = *self.revision.borrow();
        let ctx = self.ctx(case_id)?;
        let today = self.today();
        let intake = &self.intake().config;
        let editable = ctx.case.state == CaseState::Draft;
        let photo_sha = ctx
            .applicant
            .as_ref()
            .and_then(|a| a.card.as_ref())
            .and_then(|c| c.photo_sha256.clone());
        let pledged: BTreeSet<usize> = ctx.pledges.iter().map(|p| p.0).collect();
        let materials = ctx
            .materials
            .iter()
            .enumerate()
            .map(|(i, m)| {
                let status = ctx
                    .review
                    .materials
                    .get(i)
                    .copied()
                    .unwrap_or(MaterialStatus::NotNeeded);
                let (status, label) = status_label(status);
                dto::MaterialSlotView {
                    slot: i as u32,
                    name: m.name.clone(),
                    form_label: m.form.label().into(),
                    copies: m.copies,
                    necessity_label: m.necessity.label().into(),
                    e_licence: m.e_licence.clone(),
                    pledge_allowed: m.pledge_allowed,
                    pledged: pledged.contains(&i),
                    status: status.into(),
                    status_label: label.into(),
                    produced_by: ctx.material_producer.get(i).cloned().flatten(),
                    files: ctx
                        .attachments
                        .iter()
                        .filter(|a| a.slot == Some(i))
                        .map(|a| file_view(intake, a))
                        .collect(),
                }
            })
            .collect();
        let tray = ctx
            .attachments
            .iter()
            .filter(|a| {
                a.slot.is_none_or(|s| s >= ctx.materials.len())
                    && Some(&a.sha256) != photo_sha.as_ref()
            })
            .map(|a| file_view(intake, a))
            .collect();
        let fields = ctx
            .fields
            .iter()
            .enumerate()
            .map(|(i, f)| dto::FormFieldView {
                key: f.key.clone(),
                label: f.label.clone(),
                field_type: f.field_type.as_str().into(),
                required: f.required,
                choices: f.choices.clone(),
                value: {
                    let v = ctx.form.get(&f.key).cloned().unwrap_or_default();
                    // Outside the draft nobody is typing: ID numbers, phones and addresses
                    // in the form are masked too.
                    match f.field_type {
                        _ if editable || v.is_empty() => v,
                        onewindow_domain::FieldType::IdNumber => mask_number(&v),
                        onewindow_domain::FieldType::Phone => mask_phone(&v),
                        onewindow_domain::FieldType::Text if is_address_field(&f.label) => {
                            mask_address(&v)
                        }
                        _ => v,
                    }
                },
                produced_by: ctx.field_producer.get(i).cloned().flatten(),
            })
            .collect();
        let findings: Vec<dto::FindingView> = ctx
            .review
            .findings
            .iter()
            .map(|f| dto::FindingView {
                key: f.key(),
                code: f.code.into(),
                severity: severity_str(f.severity).into(),
                target: f.target.clone(),
                message: f.message_zh.clone(),
                overridden: f.overridden.clone(),
            })
            .collect();
        let review = dto::ReviewView {
            can_accept: ctx.review.can_accept(),
            blocking: ctx.review.findings.iter().filter(|f| f.blocks()).count() as u32,
            deferred: ctx.review.deferred().count() as u32,
            findings,
        };
        let elicence = match &ctx.elicences {
            Some((_, l, at)) if !l.is_empty() => dto::ELicenceView {
                state: "found".into(),
                message: format!("已查询电子证照库（{}）", china_time(at)),
                licences: l
                    .iter()
                    .map(|r| match r.valid_until {
                        Some(d) if d < today => format!("{}（已于 {d} 过期）", r.licence_type),
                        Some(d) => format!("{}（有效期至 {d}）", r.licence_type),
                        None => format!("{}（长期有效）", r.licence_type),
                    })
                    .collect(),
            },
            Some(_) => dto::ELicenceView {
                state: "none".into(),
                message: "电子证照库中没有该申请人的证照，请收取纸质材料".into(),
                licences: vec![],
            },
            None if !editable => dto::ELicenceView {
                state: "not_kept".into(),
                message: "办件已离开受理环节，电子证照查询结果不再保留".into(),
                licences: vec![],
            },
            None => {
                let st = relock(&self.elicence_errors).get(&ctx.case.id).cloned();
                match st {
                    Some(msg) => dto::ELicenceView {
                        state: "offline".into(),
                        message: msg,
                        licences: vec![],
                    },
                    None => dto::ELicenceView {
                        state: "not_looked_up".into(),
                        message: "登记申请人证件号码后自动查询电子证照".into(),
                        licences: vec![],
                    },
                }
            }
        };
        let item_names: BTreeMap<String, String> = self.with_store(|s| {
            let mut m = BTreeMap::new();
            m.insert(ctx.case.item_code.clone(), ctx.title.clone());
            for f in s.case_follow_ups(&ctx.case.id)? {
                m.entry(f.item_code.clone()).or_insert_with(String::new);
            }
            Ok(m)
        })?;
        let follow_ups = self
            .with_store(|s| s.case_follow_ups(&ctx.case.id))?
            .iter()
            .map(|f| {
                follow_up_view(
                    f,
                    item_names.get(&f.item_code).cloned().unwrap_or_default(),
                    today,
                )
            })
            .collect();
        let docs_dir = self.documents_dir();
        let documents = self
            .with_store(|s| s.documents(&ctx.case.id))?
            .into_iter()
            .map(|d| dto::DocumentView {
                id: d.id,
                title: doc_title(&d.kind).into(),
                path: docs_dir.join(&d.file).display().to_string(),
                kind: d.kind,
                created_at: d.created_at,
            })
            .collect();
        let events = self
            .with_store(|s| s.case_events(&ctx.case.id))?
            .into_iter()
            .map(|e| dto::EventView {
                at: e.at,
                action_label: e.action.map_or("创建办件", |a| a.label()).into(),
                state_label: e.to_state.label().into(),
                actor: e.actor,
                desk: e.desk,
                reason: e.reason,
            })
            .collect();
        let waiting_scans = self
            .with_store(|s| s.waiting_scans())?
            .into_iter()
            .map(|w| dto::WaitingScanView {
                id: w.id,
                thumbnail: self
                    .intake()
                    .config
                    .read_thumbnail(&w.sha256)
                    .map(|b| data_url(&b)),
                name: w.original_name,
                arrived: china_time(&w.arrived_at),
                why: w.why.as_str().into(),
                why_label: w.why.label_zh().into(),
                size_label: size_label(w.size),
                pages: w.pages,
            })
            .collect();
        let (scan_target, selected_slot, quarantined, held_scans) = {
            let st = relock(&self.intake().state);
            let target = st.case_id.as_deref() == Some(ctx.case.id.as_str());
            let slot = if target {
                st.slot.map(|s| s as u32)
            } else {
                None
            };
            let mut q = st.quarantined.clone();
            if let Some(e) = &st.intake_error {
                q.push(dto::QuarantineView {
                    name: String::new(),
                    reason: e.clone(),
                    path: String::new(),
                });
            }
            (target, slot, q, st.held.clone())
        };
        let (promised_date, calendar_note) = if editable {
            let (d, note) = self.promised(today, ctx.promised_days)?;
            (Some(d.to_string()), note)
        } else {
            (None, None)
        };
        let card = ctx
            .applicant
            .as_ref()
            .and_then(|a| a.card.as_ref())
            .map(|c| dto::CardView {
                sex: c.sex.clone(),
                ethnicity: c.ethnicity.clone(),
                // The birth date is the masked middle of the ID number.
                birth_date: if editable {
                    c.birth_date.clone()
                } else {
                    "****年**月**日".into()
                },
                authority: c.authority.clone(),
                validity: format!(
                    "{}-{}",
                    c.valid_from,
                    c.valid_until.clone().unwrap_or_else(|| "长期".into())
                ),
                photo: c
                    .photo_sha256
                    .as_deref()
                    .and_then(|sha| intake.read_thumbnail(sha))
                    .map(|b| data_url(&b)),
            });
        let mut applicant = applicant_input(ctx.applicant.as_ref());
        if !editable {
            // Outside the draft nobody is typing: numbers are shown masked.
            if applicant.kind == "person" {
                applicant.number = mask_number(&applicant.number);
            }
            if !applicant.agent_id_number.is_empty() {
                applicant.agent_id_number = mask_number(&applicant.agent_id_number);
            }
            applicant.phone = mask_phone(&applicant.phone);
            applicant.agent_phone = mask_phone(&applicant.agent_phone);
            applicant.address = mask_address(&applicant.address);
        }
        Ok(CaseView {
            id: ctx.case.id.clone(),
            number: ctx.case.number.clone(),
            state: state_str(ctx.case.state),
            state_label: ctx.case.state.label().into(),
            editable,
            is_bundle: ctx.plan.is_some(),
            code: ctx.case.item_code.clone(),
            title: ctx.title.clone(),
            agency: ctx.agency.clone(),
            promised_label: if ctx.promised_days == 0 {
                "即办".into()
            } else {
                format!("{} 个工作日", ctx.promised_days)
            },
            scenario_code: ctx.case.scenario_code.clone(),
            scenarios: ctx.scenarios.clone(),
            members: ctx
                .members
                .iter()
                .map(|(row, item, sc)| dto::MemberView {
                    case_id: row.id.clone(),
                    number: row.number.clone(),
                    item_code: item.code.clone(),
                    item_name: item.name.clone(),
                    agency: item.agency.clone(),
                    scenario_code: Some(sc.code.clone()),
                    scenarios: item
                        .scenarios
                        .iter()
                        .map(|s| dto::ScenarioChoice {
                            code: s.code.clone(),
                            name: s.name.clone(),
                        })
                        .collect(),
                    state_label: row.state.label().into(),
                })
                .collect(),
            applicant_masked: ctx.applicant_line(),
            applicant,
            card,
            fields,
            materials,
            tray,
            scan_target,
            selected_slot,
            review,
            elicence,
            follow_ups,
            documents,
            events,
            quarantined,
            held_scans,
            waiting_scans,
            promised_date,
            calendar_note,
            revision,
            flash,
        })
    }

    /// Promised completion: `days` working days after `from` by the pulled holiday calendar.
    fn promised(
        &self,
        from: NaiveDate,
        days: u32,
    ) -> Result<(NaiveDate, Option<String>), AppError> {
        let calendar = self.with_store(|s| s.calendar())?;
        let (date, basis) = calendar.add_working_days(from, days);
        let note = (basis == CalendarBasis::WeekdaysOnly).then(|| {
            "中心尚未发布所涉年度的节假日安排，工作日按周一至周五计算，如遇法定节假日顺延"
                .to_string()
        });
        Ok((date, note))
    }

    fn editable_ctx(&self, case_id: &str, what: &str) -> Result<CaseCtx, AppError> {
        let ctx = self.ctx(case_id)?;
        if ctx.case.state != CaseState::Draft {
            return Err(bad(
                "case_transition",
                format!("办件当前为“{}”，不能再{what}", ctx.case.state.label()),
            ));
        }
        Ok(ctx)
    }

    pub async fn save_intake(&self, req: &dto::SaveIntakeRequest) -> Result<CaseView, AppError> {
        let ctx = self.editable_ctx(&req.case_id, "修改申请信息")?;
        let card = ctx.applicant.as_ref().and_then(|a| a.card.clone());
        let applicant = applicant_from(&req.applicant, card)?;
        let keys: BTreeSet<&str> = ctx.fields.iter().map(|f| f.key.as_str()).collect();
        let mut form = BTreeMap::new();
        for (k, v) in &req.form {
            if !keys.contains(k.as_str()) {
                tracing::warn!(key = %k, "form value for a field the case does not have");
                return Err(bad(
                    "bad_field",
                    format!("本事项没有字段「{k}」，请刷新后重试"),
                ));
            }
            if v.chars().count() > 500 {
                return Err(bad("bad_field", "填写内容太长（最多 500 个字），请核对"));
            }
            if !v.trim().is_empty() {
                form.insert(k.clone(), v.trim().to_string());
            }
        }
        self.store_applicant(&ctx, &applicant, &form).await?;
        self.case_view(&ctx.case.id, None)
    }

    /// Saves the applicant and form of a draft. What changed loses what was said about its old
    /// value: the e-licence lookup (another number), overrides of findings on changed values,
    /// a replaced card photo. Then the registry is asked when the number is new to it.
    async fn store_applicant(
        &self,
        ctx: &CaseCtx,
        applicant: &Applicant,
        form: &BTreeMap<String, String>,
    ) -> Result<(), AppError> {
        check_lengths(applicant)?;
        let old = ctx.applicant.as_ref();
        let old_text = |f: &dyn Fn(&Applicant) -> Option<String>| old.and_then(f);
        let mut changed_targets = Vec::new();
        let number_changed =
            old_text(&|a| Some(a.number.clone())) != Some(applicant.number.clone());
        if number_changed {
            changed_targets.push("applicant:number".to_string());
        }
        if old_text(&|a| Some(a.name.clone())) != Some(applicant.name.clone()) {
            changed_targets.push("applicant:name".into());
        }
        if old_text(&|a| a.phone.clone()) != applicant.phone {
            changed_targets.push("applicant:phone".into());
        }
        if old_text(&|a| a.legal_rep.clone()) != applicant.legal_rep {
            changed_targets.push("applicant:legal_rep".into());
        }
        let agent = |a: &Applicant| {
            a.agent
                .as_ref()
                .map(|g| (g.name.clone(), g.id_number.clone(), g.phone.clone()))
        };
        if old.and_then(agent) != agent(applicant) {
            changed_targets.extend([
                "agent:name".into(),
                "agent:number".into(),
                "agent:phone".into(),
            ]);
        }
        let keys: BTreeSet<&String> = ctx.form.keys().chain(form.keys()).collect();
        for k in keys {
            if ctx.form.get(k) != form.get(k) {
                changed_targets.push(format!("field:{k}"));
            }
        }
        let old_photo = old
            .and_then(|a| a.card.as_ref())
            .and_then(|c| c.photo_sha256.clone());
        let new_photo = applicant.card.as_ref().and_then(|c| c.photo_sha256.clone());
        let case_id = ctx.case.id.clone();
        self.with_store_mut(|s| {
            s.save_intake(&case_id, applicant, form, Utc::now())?;
            for t in &changed_targets {
                s.drop_overrides_for(&case_id, t)?;
            }
            if number_changed {
                s.clear_elicences(&case_id)?;
            }
            if let Some(sha) = old_photo
                .as_deref()
                .filter(|o| Some(*o) != new_photo.as_deref())
            {
                s.detach(&case_id, sha)?;
            }
            Ok(())
        })?;
        if number_changed {
            relock(&self.elicence_errors).remove(&ctx.case.id);
        }
        self.bump();
        if number_changed || ctx.elicences.is_none() {
            self.lookup_elicences_for(&ctx.case.id, applicant).await;
        }
        Ok(())
    }

    /// Asks the hub's e-licence registry for this applicant (online only); the result is kept
    /// with the open case. Offline, the clerk is told to collect paper or a pledge.
    async fn lookup_elicences_for(&self, case_id: &str, a: &Applicant) {
        let today = self.today();
        let Some(holder) = holder_of(a, today) else {
            return;
        };
        match self.client().elicences(&holder).await {
            Ok(found) => {
                let saved = self.with_store_mut(|s| {
                    s.save_elicences(case_id, &holder, &found.licences, Utc::now())
                });
                if saved.is_ok() {
                    relock(&self.elicence_errors).remove(case_id);
                }
                tracing::info!(licences = found.licences.len(), "e-licences looked up");
            }
            Err(e) => {
                // The error's text can name the request; the code is enough for the log.
                tracing::warn!(code = e.code(), "e-licence lookup failed");
                relock(&self.elicence_errors).insert(
                    case_id.to_string(),
                    format!(
                        "暂时无法查询电子证照（{}）：可由电子证照替代的材料请收取纸质件或办理告知承诺",
                        e.message_zh()
                    ),
                );
            }
        }
        self.bump();
    }

    pub async fn lookup_elicences(&self, case_id: &str) -> Result<CaseView, AppError> {
        let ctx = self.editable_ctx(case_id, "查询电子证照")?;
        let a = ctx
            .applicant
            .ok_or_else(|| bad("no_applicant", "请先登记申请人证件号码"))?;
        self.lookup_elicences_for(&ctx.case.id, &a).await;
        self.case_view(&ctx.case.id, None)
    }

    /// A 居民码/企业码 scanned with the keyboard-wedge scanner fills the applicant.
    pub async fn apply_applicant_code(
        &self,
        case_id: &str,
        text: &str,
    ) -> Result<CaseView, AppError> {
        let ctx = self.editable_ctx(case_id, "修改申请人")?;
        let parsed =
            onewindow_domain::qrcode::parse_applicant_code(text, self.today()).map_err(|e| {
                tracing::warn!(code = e.code, "applicant code refused");
                bad(e.code, e.message_zh)
            })?;
        let mut a = parsed;
        if let Some(old) = &ctx.applicant {
            a.agent = old.agent.clone();
            a.assist = old.assist.clone();
            if a.phone.is_none() {
                a.phone = old.phone.clone();
            }
        }
        self.store_applicant(&ctx, &a, &ctx.form).await?;
        self.case_view(
            &ctx.case.id,
            Some(Flash {
                ok: true,
                text: format!(
                    "已读取{}：{}",
                    if a.kind == ApplicantKind::Person {
                        "居民码"
                    } else {
                        "企业码"
                    },
                    a.name
                ),
            }),
        )
    }

    /// Reads the card on the reader: fills the applicant and attaches the card photo.
    pub async fn read_id_card(&self, case_id: &str) -> Result<CaseView, AppError> {
        let ctx = self.editable_ctx(case_id, "读取身份证")?;
        let dir = self.config.card_reader_dir.clone().ok_or_else(|| {
            bad(
                "no_card_reader",
                "本窗口未设置身份证读卡器（settings.json 的 card_reader_dir）",
            )
        })?;
        let card = FolderDropReader::new(&dir)
            .read(self.today())
            .map_err(|e| {
                tracing::warn!(code = e.code, "card refused");
                bad(e.code, e.message_zh)
            })?
            .ok_or_else(|| {
                bad(
                    "no_card",
                    "读卡器上没有读到身份证，请把证件放在读卡器上后重试",
                )
            })?;
        let mut photo_sha = None;
        if let Some(bytes) = &card.photo {
            let png = if bytes.starts_with(b"BM") {
                onewindow_intake::thumbnail::bmp_to_png(bytes).map_err(|e| {
                    tracing::warn!(error = %e, "card photo unreadable");
                    bad("card_photo", "身份证照片无法读取，请重新读卡")
                })?
            } else {
                bytes.clone()
            };
            let name = if bytes.starts_with(b"BM") {
                "身份证照片.png"
            } else {
                "身份证照片.jpg"
            };
            let outcome = {
                let mut hot = relock(&self.intake().hot);
                let h = hot
                    .as_mut()
                    .ok_or_else(|| bad("intake_unavailable", "扫描存储不可用，无法保存证件照片"))?;
                h.import_bytes(name, &png).map_err(|e| {
                    tracing::error!(error = %e, "card photo cannot be stored");
                    if intake_disk_full(&e) {
                        bad(
                            "disk_full",
                            "本机磁盘已满，证件照片无法保存；请删除不需要的文件或请管理员清理磁盘后重新读卡",
                        )
                    } else {
                        bad("intake_io", "证件照片无法保存，请检查磁盘")
                    }
                })?
            };
            match outcome {
                Outcome::Taken(t) => {
                    self.attach_taken(&ctx.case.id, &t, None)?;
                    photo_sha = Some(t.sha256);
                }
                Outcome::Quarantined(q) => {
                    return Err(bad(
                        "card_photo",
                        format!("身份证照片无法使用：{}", q.reason_zh),
                    ));
                }
            }
        }
        let old = ctx.applicant.clone();
        let a = Applicant {
            kind: ApplicantKind::Person,
            name: card.name.clone(),
            number: card.id_number.as_str().to_string(),
            phone: old.as_ref().and_then(|o| o.phone.clone()),
            address: Some(card.address.clone()),
            legal_rep: None,
            agent: old.as_ref().and_then(|o| o.agent.clone()),
            assist: old.as_ref().and_then(|o| o.assist.clone()),
            card: Some(CardInfo {
                sex: card.sex.clone(),
                ethnicity: card.ethnicity.clone(),
                birth_date: card.birth_date.to_string(),
                authority: card.authority.clone(),
                valid_from: card.valid_from.format("%Y.%m.%d").to_string(),
                valid_until: card.valid_until.map(|d| d.format("%Y.%m.%d").to_string()),
                photo_sha256: photo_sha,
            }),
        };
        self.store_applicant(&ctx, &a, &ctx.form).await?;
        self.case_view(
            &ctx.case.id,
            Some(Flash {
                ok: true,
                text: format!("已读取身份证：{}", card.name),
            }),
        )
    }

    pub fn set_scenario(
        &self,
        case_id: &str,
        member_case_id: Option<&str>,
        scenario_code: &str,
    ) -> Result<CaseView, AppError> {
        let ctx = self.editable_ctx(case_id, "更改办理情形")?;
        let target = match member_case_id {
            None => {
                if !ctx.scenarios.iter().any(|s| s.code == scenario_code) {
                    return Err(bad(
                        "bad_scenario",
                        format!("本事项没有情形 {scenario_code}"),
                    ));
                }
                ctx.case.id.clone()
            }
            Some(m) => {
                let (row, item, _) = ctx
                    .members
                    .iter()
                    .find(|(r, ..)| r.id == m)
                    .ok_or_else(|| bad("bad_member", "该事项不属于本件事"))?;
                if !item.scenarios.iter().any(|s| s.code == scenario_code) {
                    return Err(bad(
                        "bad_scenario",
                        format!("「{}」没有情形 {scenario_code}", item.name),
                    ));
                }
                row.id.clone()
            }
        };
        self.with_store_mut(|s| s.set_scenario(&target, scenario_code, Utc::now()))?;
        self.bump();
        self.case_view(&ctx.case.id, None)
    }

    /// Where the next scans land: a material slot, or `None` for the tray.
    pub fn select_slot(&self, case_id: &str, slot: Option<u32>) -> Result<CaseView, AppError> {
        let ctx = self.ctx(case_id)?;
        if let Some(s) = slot
            && s as usize >= ctx.materials.len()
        {
            return Err(bad("bad_slot", "没有这项材料"));
        }
        if !matches!(ctx.case.state, CaseState::Draft | CaseState::Accepted) {
            return Err(bad(
                "case_transition",
                format!("办件当前为“{}”，不能再添加材料", ctx.case.state.label()),
            ));
        }
        {
            let mut st = relock(&self.intake().state);
            st.case_id = Some(ctx.case.id.clone());
            st.slot = slot.map(|s| s as usize);
        }
        self.bump();
        self.case_view(&ctx.case.id, None)
    }

    /// The clerk puts a waiting scan into this case (the selected material or the tray).
    pub fn attach_waiting_scan(
        &self,
        case_id: &str,
        scan_id: i64,
        slot: Option<u32>,
    ) -> Result<CaseView, AppError> {
        let ctx = self.ctx(case_id)?;
        if let Some(s) = slot
            && s as usize >= ctx.materials.len()
        {
            return Err(bad("bad_slot", "没有这项材料"));
        }
        let name = self.waiting_scan_name(scan_id)?;
        let user = self.user_name();
        self.with_store_mut(|s| {
            s.attach_waiting_scan(
                scan_id,
                &ctx.case.id,
                slot.map(|s| s as usize),
                &user,
                Utc::now(),
            )
        })?;
        self.audit(
            "scan_attach",
            &ctx.case.number,
            "ok",
            Some(&format!("waiting scan {scan_id}")),
        );
        self.bump();
        self.case_view(
            &ctx.case.id,
            Some(Flash {
                ok: true,
                text: format!("已放入本件：{name}"),
            }),
        )
    }

    /// The clerk decides a waiting scan belongs to no case: it leaves the list; its sealed copy
    /// stays on this desk.
    pub fn dismiss_waiting_scan(&self, case_id: &str, scan_id: i64) -> Result<CaseView, AppError> {
        let name = self.waiting_scan_name(scan_id)?;
        let user = self.user_name();
        self.with_store_mut(|s| s.dismiss_waiting_scan(scan_id, &user, Utc::now()))?;
        self.audit(
            "scan_dismiss",
            &format!("waiting scan {scan_id}"),
            "ok",
            None,
        );
        self.bump();
        self.case_view(
            case_id,
            Some(Flash {
                ok: true,
                text: format!("已从待分配列表移除：{name}（文件仍加密保存在本机）"),
            }),
        )
    }

    fn waiting_scan_name(&self, scan_id: i64) -> Result<String, AppError> {
        self.with_store(|s| s.waiting_scans())?
            .into_iter()
            .find(|w| w.id == scan_id)
            .map(|w| w.original_name)
            .ok_or_else(|| {
                bad(
                    "scan_not_waiting",
                    "该扫描件已不在待分配列表中（可能已放入办件或已移除），请刷新",
                )
            })
    }

    /// The clerk will not take a held scan: it is moved into the hot folder's 未接收 folder
    /// (not deleted) and leaves the list.
    pub fn set_aside_held_scan(&self, case_id: &str, name: &str) -> Result<CaseView, AppError> {
        let moved = {
            let mut hot = relock(&self.intake().hot);
            let h = hot
                .as_mut()
                .ok_or_else(|| bad("intake_unavailable", "扫描存储不可用，请检查磁盘"))?;
            h.set_aside(name)
        };
        match moved {
            Ok(_) => {
                relock(&self.intake().state).held.retain(|h| h.name != name);
                self.bump();
                self.case_view(
                    case_id,
                    Some(Flash {
                        ok: true,
                        text: format!(
                            "已将 {name} 移到扫描文件夹中的“{}”文件夹，不再接收",
                            onewindow_intake::SET_ASIDE_DIR
                        ),
                    }),
                )
            }
            Err(e) => {
                tracing::warn!(error = %e, "held scan cannot be set aside");
                Err(bad(
                    "held_scan_not_moved",
                    format!("无法移开该文件（可能已被取走，或扫描文件夹不可写）：{name}"),
                ))
            }
        }
    }

    pub fn move_file(
        &self,
        case_id: &str,
        sha256: &str,
        slot: Option<u32>,
    ) -> Result<CaseView, AppError> {
        let ctx = self.ctx(case_id)?;
        let open_item = ctx.case.state == CaseState::Accepted;
        if ctx.case.state != CaseState::Draft && !open_item {
            return Err(bad(
                "case_transition",
                format!("办件当前为“{}”，材料不能再调整", ctx.case.state.label()),
            ));
        }
        if let Some(s) = slot
            && s as usize >= ctx.materials.len()
        {
            return Err(bad("bad_slot", "没有这项材料"));
        }
        self.with_store_mut(|s| s.move_attachment(&ctx.case.id, sha256, slot.map(|s| s as usize)))?;
        self.bump();
        self.case_view(&ctx.case.id, None)
    }

    /// "Import from file": the same pipeline as the hot folder; the originals stay in place.
    pub fn import_files(&self, case_id: &str, paths: &[PathBuf]) -> Result<CaseView, AppError> {
        let ctx = self.ctx(case_id)?;
        if !matches!(ctx.case.state, CaseState::Draft | CaseState::Accepted) {
            return Err(bad(
                "case_transition",
                format!("办件当前为“{}”，不能再添加材料", ctx.case.state.label()),
            ));
        }
        let slot = {
            let st = relock(&self.intake().state);
            (st.case_id.as_deref() == Some(ctx.case.id.as_str()))
                .then_some(st.slot)
                .flatten()
        };
        let mut taken = 0;
        let mut problems = Vec::new();
        for p in paths {
            let outcome = {
                let mut hot = relock(&self.intake().hot);
                let h = hot
                    .as_mut()
                    .ok_or_else(|| bad("intake_unavailable", "扫描存储不可用，请检查磁盘"))?;
                h.import(p)
            };
            let name = p
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            match outcome {
                Ok(Outcome::Taken(t)) => {
                    self.attach_taken(&ctx.case.id, &t, slot)?;
                    taken += 1;
                }
                Ok(Outcome::Quarantined(q)) => {
                    problems.push(format!("{name}：{}", q.reason_zh));
                    self.take_in(Outcome::Quarantined(q));
                }
                Err(e) => {
                    tracing::warn!(error = %e, "import failed");
                    problems.push(if intake_disk_full(&e) {
                        format!("{name}：本机磁盘已满，无法保存，请清理磁盘后重试")
                    } else {
                        format!("{name}：无法读取该文件")
                    });
                }
            }
        }
        self.bump();
        let flash = if problems.is_empty() {
            Flash {
                ok: true,
                text: format!("已导入 {taken} 个文件"),
            }
        } else {
            Flash {
                ok: false,
                text: format!("已导入 {taken} 个文件；未导入：{}", problems.join("；")),
            }
        };
        self.case_view(&ctx.case.id, Some(flash))
    }

    pub fn set_pledge(
        &self,
        case_id: &str,
        slot: u32,
        pledged: bool,
    ) -> Result<CaseView, AppError> {
        let ctx = self.editable_ctx(case_id, "修改告知承诺")?;
        let m = ctx
            .materials
            .get(slot as usize)
            .ok_or_else(|| bad("bad_slot", "没有这项材料"))?
            .clone();
        if pledged && !m.pledge_allowed {
            return Err(bad(
                "pledge_not_allowed",
                format!("「{}」不适用告知承诺，请收取纸质材料", m.name),
            ));
        }
        let who = self.actor();
        if !pledged {
            self.with_store_mut(|s| {
                s.set_pledge(
                    &ctx.case.id,
                    slot as usize,
                    &m.name,
                    false,
                    &who,
                    Utc::now(),
                )
            })?;
            self.bump();
            return self.case_view(&ctx.case.id, None);
        }
        // The applicant signs the pledge now, before acceptance: it is printed on marking.
        let today = self.today();
        let (check_by, _) = self.promised(today, PLEDGE_CHECK_WORKING_DAYS)?;
        let letter = PledgeLetter {
            office: self.config.office_name.clone(),
            case_number: ctx.case.number.clone(),
            item_name: ctx.title.clone(),
            applicant: ctx.applicant_line(),
            date: today,
            materials: vec![m.name.clone()],
            check_by,
        };
        let kind = "pledge";
        let pdf = self.render(kind, |f| letter.render(f))?;
        let (rel, sha) = self.write_archive(&ctx.case.number, kind, &pdf)?;
        self.with_store_mut(|s| {
            s.set_pledge(&ctx.case.id, slot as usize, &m.name, true, &who, Utc::now())?;
            s.record_document(&ctx.case.id, kind, &rel, &sha, &who, Utc::now())
        })?;
        self.bump();
        let flash = self.print(&pdf, &rel, kind);
        self.case_view(&ctx.case.id, Some(flash))
    }

    pub fn set_override(
        &self,
        case_id: &str,
        finding_key: &str,
        reason: Option<&str>,
    ) -> Result<CaseView, AppError> {
        let ctx = self.editable_ctx(case_id, "修改预审意见")?;
        if let Some(r) = reason {
            let f = ctx
                .review
                .findings
                .iter()
                .find(|f| f.key() == finding_key)
                .ok_or_else(|| bad("bad_finding", "该预审意见已不存在，请刷新"))?;
            if f.severity != Severity::Blocking {
                return Err(bad("bad_finding", "只有阻止受理的意见需要说明理由"));
            }
            if r.trim().chars().count() < 4 {
                return Err(bad(
                    "reason_required",
                    "请写明理由（至少 4 个字），理由将记录在办件中",
                ));
            }
        }
        let who = self.actor();
        self.with_store_mut(|s| {
            s.set_override(&ctx.case.id, finding_key, reason, &who, Utc::now())
        })?;
        self.bump();
        self.case_view(&ctx.case.id, None)
    }

    fn font(&self) -> Result<Arc<CjkFont>, String> {
        let mut f = relock(&self.intake().font);
        if let Some(font) = f.as_ref() {
            return Ok(font.clone());
        }
        let font = Arc::new(CjkFont::find().map_err(|e| {
            tracing::error!(error = %e, "no CJK font");
            e.message_zh()
        })?);
        *f = Some(font.clone());
        Ok(font)
    }

    pub(crate) fn documents_dir(&self) -> PathBuf {
        documents_dir(&self.config.data_dir)
    }

    /// Renders a document to PDF bytes (nothing is stored yet).
    fn render(
        &self,
        kind: &str,
        render: impl FnOnce(&CjkFont) -> Result<Vec<u8>, onewindow_documents::DocumentError>,
    ) -> Result<Vec<u8>, AppError> {
        let title = doc_title(kind);
        let font = self
            .font()
            .map_err(|e| bad("document", format!("{title}无法生成：{e}")))?;
        render(&font).map_err(|e| {
            tracing::error!(error = %e, kind, "document render failed");
            bad("document", format!("{title}无法生成：{}", e.message_zh()))
        })
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
                    bad(
                        "disk_full",
                        format!(
                            "本机磁盘已满，{}无法存档，办件未作变更。请删除不需要的文件或请管理员清理磁盘后重试。",
                            doc_title(kind)
                        ),
                    )
                } else {
                    bad(
                        "archive",
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
    fn seal(&self) -> Result<&Seal, AppError> {
        self.intake.config.seal.as_ref().ok_or_else(|| {
            bad(
                "keystore_unavailable",
                "本机密钥库不可用，文书无法加密存档或读取，请联系管理员",
            )
        })
    }

    /// The PDF of an archived document, opened.
    fn read_archive(&self, rel: &str) -> Result<Vec<u8>, AppError> {
        let path = self.documents_dir().join(rel);
        self.seal()?.read_file(&path).map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                tracing::error!(file = rel, "archived document file is missing");
                bad(
                    "document_missing",
                    "存档的文书文件不见了（可能被移走或删除），无法打开",
                )
            } else {
                tracing::error!(file = rel, error = %e, "archived document cannot be opened");
                bad(
                    "document_damaged",
                    "存档的文书文件已损坏或无法解密，无法打开；办件记录不受影响",
                )
            }
        })
    }

    /// Prints a document archived as `rel`; the flash says where it went or why it did not.
    fn print(&self, pdf: &[u8], rel: &str, kind: &str) -> Flash {
        let title = doc_title(kind);
        // Recorded first: a print that cannot be recorded is not made.
        if let Err(e) = self.audit_required("print", rel, "ok", None) {
            return Flash {
                ok: false,
                text: format!("{title}已存档，但没有打印：{}", e.message),
            };
        }
        match self.config.printer.print(pdf, rel, title) {
            Ok(msg) => Flash {
                ok: true,
                text: format!("{title}已打印（{msg}）"),
            },
            Err(e) => {
                // The record says it was sent; this one says the printer refused it.
                self.audit("print", rel, "failed", Some(&e.to_string()));
                Flash {
                    ok: false,
                    text: format!("{title}已存档，但{e}"),
                }
            }
        }
    }

    /// 一次性告知书: every missing or invalid item at once; the case waits as needs_correction.
    /// The notice is rendered and archived first; the state change and the document's record
    /// then commit together.
    pub fn issue_notice(&self, case_id: &str) -> Result<CaseView, AppError> {
        let ctx = self.editable_ctx(case_id, "出具一次性告知书")?;
        let items: Vec<String> = ctx
            .review
            .findings
            .iter()
            .filter(|f| f.blocks() || f.severity == Severity::Deferrable)
            .map(|f| f.message_zh.clone())
            .collect();
        if items.is_empty() {
            return Err(bad(
                "nothing_to_correct",
                "预审没有发现需要补正的内容，可以直接受理",
            ));
        }
        let notice = OneTimeNotice {
            office: self.config.office_name.clone(),
            case_number: ctx.case.number.clone(),
            item_name: ctx.title.clone(),
            applicant: ctx.applicant_line(),
            date: self.today(),
            items: items.clone(),
            window: format!("{} 号综合受理窗口", self.desk_code()),
            phone: ctx.phone.clone(),
        };
        let kind = "one_time_notice";
        let pdf = self.render(kind, |f| notice.render(f))?;
        let (rel, sha) = self.write_archive(&ctx.case.number, kind, &pdf)?;
        let who = self.actor();
        let today = self.today();
        let ticket = self.serving_ticket_id();
        self.with_store_mut(|s| {
            unchanged(s, &ctx, today)?;
            s.notify_correction(
                &ctx.case.id,
                &who,
                Utc::now(),
                &items.join("；"),
                ticket.as_deref(),
            )?;
            s.record_document(&ctx.case.id, kind, &rel, &sha, &who, Utc::now())
        })?;
        self.unfocus(&ctx.case.id);
        self.bump();
        let flash = self.print(&pdf, &rel, kind);
        self.case_view(&ctx.case.id, Some(flash))
    }

    /// Back to work at the window after a notice or a return: same number, same materials.
    pub fn reopen_case(&self, case_id: &str) -> Result<CaseView, AppError> {
        let who = self.actor();
        let ctx = self.ctx(case_id)?;
        self.with_store_mut(|s| {
            s.transition(&ctx.case.id, CaseAction::Reopen, &who, Utc::now(), None)
        })?;
        self.focus(&ctx.case.id);
        self.bump();
        self.case_view(&ctx.case.id, None)
    }

    pub fn accept_case(&self, case_id: &str) -> Result<CaseView, AppError> {
        let ctx = self.editable_ctx(case_id, "受理")?;
        if !ctx.review.can_accept() {
            let what: Vec<String> = ctx
                .review
                .findings
                .iter()
                .filter(|f| f.blocks())
                .map(|f| f.message_zh.clone())
                .collect();
            return Err(bad(
                "cannot_accept",
                format!("还不能受理：{}", what.join("；")),
            ));
        }
        let today = self.today();
        let (deferred_due, _) = self.promised(today, DEFERRED_DUE_WORKING_DAYS)?;
        let (check_by, _) = self.promised(today, PLEDGE_CHECK_WORKING_DAYS)?;
        let (promised_date, calendar_note) = self.promised(today, ctx.promised_days)?;
        let mut follow_ups = Vec::new();
        let mut received = Vec::new();
        let mut deferred = Vec::new();
        for (i, m) in ctx.materials.iter().enumerate() {
            let status = ctx
                .review
                .materials
                .get(i)
                .copied()
                .unwrap_or(MaterialStatus::NotNeeded);
            let n = ctx.attachments.iter().filter(|a| a.slot == Some(i)).count();
            match status {
                MaterialStatus::Provided => received.push(format!(
                    "{}（{}，{} 份，扫描 {n} 个文件）",
                    m.name,
                    m.form.label(),
                    m.copies
                )),
                MaterialStatus::ELicence => {
                    received.push(format!("{}（电子证照，免提交）", m.name))
                }
                MaterialStatus::Produced => {
                    received.push(format!("{}（由本件事产生，无需提交）", m.name))
                }
                MaterialStatus::Pledged => {
                    received.push(format!("{}（告知承诺）", m.name));
                    follow_ups.push(NewFollowUp {
                        kind: FollowUpKind::PledgeCheck,
                        slot: i,
                        material: m.name.clone(),
                        due: check_by,
                    });
                }
                MaterialStatus::Deferred => {
                    deferred.push(format!("{}（请于 {deferred_due} 前补交）", m.name));
                    follow_ups.push(NewFollowUp {
                        kind: FollowUpKind::DeferredMaterial,
                        slot: i,
                        material: m.name.clone(),
                        due: deferred_due,
                    });
                }
                MaterialStatus::Missing | MaterialStatus::NotNeeded => {}
            }
        }
        let findings: Vec<ops::Finding> = ctx
            .review
            .findings
            .iter()
            .map(|f| ops::Finding {
                key: f.key(),
                code: f.code.to_string(),
                severity: f.severity,
                message: f.message_zh.clone(),
                overridden: f.overridden.clone(),
            })
            .collect();
        let files = |member: Option<usize>| -> Vec<ops::Attachment> {
            ctx.attachments
                .iter()
                .filter(|a| a.slot.is_some() || member.is_none())
                .filter(|a| match (member, &ctx.plan, a.slot) {
                    (Some(m), Some(plan), Some(s)) => plan
                        .materials
                        .get(s)
                        .is_some_and(|bm| bm.used_by.iter().any(|u| u.0 == m)),
                    _ => true,
                })
                .map(|a| ops::Attachment {
                    file: a.to_ref(),
                    material: a
                        .slot
                        .and_then(|s| ctx.materials.get(s))
                        .map(|m| m.name.clone()),
                })
                .collect()
        };
        let common = ops::HandOffDetail {
            applicant: ctx.applicant.clone(),
            form: ctx.form.clone(),
            findings,
            pledges: ctx.pledges.iter().map(|p| p.1.clone()).collect(),
            open_items: deferred.clone(),
            promised_date: Some(promised_date),
            attachments: vec![],
        };
        let with = |v: ops::HandOffDetail, attachments: Vec<ops::Attachment>| ops::HandOffDetail {
            attachments,
            ..v
        };
        let hand_offs: Vec<(String, ops::HandOffDetail)> = if ctx.members.is_empty() {
            vec![(ctx.case.id.clone(), with(common.clone(), files(None)))]
        } else {
            // After a return only the members back at the window are handed off again.
            ctx.members
                .iter()
                .enumerate()
                .filter(|(_, (row, ..))| row.state == CaseState::Draft)
                .map(|(m, (row, ..))| (row.id.clone(), with(common.clone(), files(Some(m)))))
                .collect()
        };
        let receipt = AcceptanceReceipt {
            office: self.config.office_name.clone(),
            case_number: ctx.case.number.clone(),
            item_name: ctx.title.clone(),
            applicant: ctx.applicant_line(),
            accepted_on: today,
            materials: received,
            deferred,
            promised_days: ctx.promised_days,
            promised_date,
            calendar_note,
            qr_payload: format!("{}/progress?case={}", self.config.hub_url, ctx.case.number),
            query_code: query_code(&ctx.case.id),
            window: format!("{} 号综合受理窗口", self.desk_code()),
            phone: ctx.phone.clone(),
        };
        // The receipt exists before the case is accepted: a render failure changes nothing.
        let kind = "acceptance_receipt";
        let pdf = self.render(kind, |f| receipt.render(f))?;
        let (rel, sha) = self.write_archive(&ctx.case.number, kind, &pdf)?;
        let who = self.actor();
        let row = self.with_store_mut(|s| {
            // What was reviewed is what is accepted: nothing changed since it was read.
            unchanged(s, &ctx, today)?;
            let row = s.accept(&ctx.case.id, &who, Utc::now(), &follow_ups, &hand_offs)?;
            s.record_document(&ctx.case.id, kind, &rel, &sha, &who, Utc::now())?;
            Ok(row)
        })?;
        tracing::info!(case = %row.number, "case accepted");
        self.link_ticket_to_case(&row.number);
        self.unfocus(&ctx.case.id);
        self.bump();
        let flash = self.print(&pdf, &rel, kind);
        self.case_view(&ctx.case.id, Some(flash))
    }

    /// 不予受理: the reason and its legal basis are both required.
    pub fn refuse_case(
        &self,
        case_id: &str,
        reason: &str,
        basis: &str,
    ) -> Result<CaseView, AppError> {
        let ctx = self.editable_ctx(case_id, "作出不予受理")?;
        let (reason, basis) = (reason.trim(), basis.trim());
        if reason.chars().count() < 4 {
            return Err(bad(
                "reason_required",
                "请写明不予受理的理由（至少 4 个字）",
            ));
        }
        if basis.chars().count() < 4 {
            return Err(bad("basis_required", "请写明不予受理的法律依据"));
        }
        let notice = RefusalNotice {
            office: self.config.office_name.clone(),
            case_number: ctx.case.number.clone(),
            item_name: ctx.title.clone(),
            applicant: ctx.applicant_line(),
            date: self.today(),
            reason: reason.into(),
            basis: basis.into(),
        };
        let kind = "refusal_notice";
        let pdf = self.render(kind, |f| notice.render(f))?;
        let (rel, sha) = self.write_archive(&ctx.case.number, kind, &pdf)?;
        let who = self.actor();
        self.with_store_mut(|s| {
            s.transition(
                &ctx.case.id,
                CaseAction::Refuse,
                &who,
                Utc::now(),
                Some(&format!("{reason}（依据：{basis}）")),
            )?;
            s.record_document(&ctx.case.id, kind, &rel, &sha, &who, Utc::now())
        })?;
        self.unfocus(&ctx.case.id);
        self.bump();
        let flash = self.print(&pdf, &rel, kind);
        self.case_view(&ctx.case.id, Some(flash))
    }

    pub fn withdraw_case(&self, case_id: &str, reason: &str) -> Result<CaseView, AppError> {
        let ctx = self.ctx(case_id)?;
        if reason.trim().chars().count() < 2 {
            return Err(bad("reason_required", "请写明撤回原因"));
        }
        let who = self.actor();
        self.with_store_mut(|s| {
            s.transition(
                &ctx.case.id,
                CaseAction::Withdraw,
                &who,
                Utc::now(),
                Some(reason.trim()),
            )
        })?;
        self.unfocus(&ctx.case.id);
        self.bump();
        self.case_view(&ctx.case.id, None)
    }

    /// 出件: at the window, or by post with the tracking number.
    pub fn deliver_case(
        &self,
        case_id: &str,
        by_post: bool,
        tracking: &str,
    ) -> Result<CaseView, AppError> {
        let ctx = self.ctx(case_id)?;
        let tracking = tracking.trim();
        if by_post
            && (tracking.len() < 6
                || tracking.len() > 40
                || !tracking.chars().all(|c| c.is_ascii_alphanumeric()))
        {
            return Err(bad(
                "tracking_required",
                "邮寄出件请填写运单号（6–40 位字母或数字）",
            ));
        }
        let method = if by_post {
            "邮寄送达"
        } else {
            "窗口领取"
        };
        let who = self.actor();
        // A 一件事 is delivered once, when every member has its decision.
        let targets: Vec<String> = if ctx.members.is_empty() {
            vec![ctx.case.id.clone()]
        } else {
            let waiting: Vec<String> = ctx
                .members
                .iter()
                .filter(|(row, ..)| row.state != CaseState::Ready)
                .map(|(row, item, _)| format!("{}（{}）", item.name, row.state.label()))
                .collect();
            if !waiting.is_empty() {
                return Err(bad(
                    "bundle_not_ready",
                    format!(
                        "一件事要等所有事项办结后一次出件，尚未办结：{}",
                        waiting.join("、")
                    ),
                ));
            }
            ctx.members.iter().map(|(row, ..)| row.id.clone()).collect()
        };
        self.with_store_mut(|s| {
            s.deliver(
                &targets,
                &who,
                Utc::now(),
                method,
                by_post.then_some(tracking),
            )
        })?;
        self.bump();
        self.case_view(
            &ctx.case.id,
            Some(Flash {
                ok: true,
                text: format!("已登记出件：{method}"),
            }),
        )
    }

    /// Prints an archived document again.
    pub fn reprint(&self, document_id: i64) -> Result<Flash, AppError> {
        let d = self
            .with_store(|s| s.document(document_id))?
            .ok_or_else(|| bad("not_found", "找不到该文书"))?;
        self.audit_required("view", &d.file, "ok", None)?;
        // A missing or damaged file is refused with the reason before any print is tried.
        let pdf = self.read_archive(&d.file)?;
        Ok(self.print(&pdf, &d.file, &d.kind))
    }

    /// The pages of an archived document as images (poppler's `pdftoppm`).
    pub fn preview_document(&self, document_id: i64) -> Result<DocumentPreview, AppError> {
        let d = self
            .with_store(|s| s.document(document_id))?
            .ok_or_else(|| bad("not_found", "找不到该文书"))?;
        let pdf = self.read_archive(&d.file)?;
        // Through poppler's standard input and output: the pages never touch the disk in
        // plaintext.
        let unreadable = |e: String| {
            tracing::error!(error = %e, "document preview failed");
            bad(
                "preview",
                "无法预览该文书：文件已损坏，或本机缺少 poppler-utils（pdftoppm）",
            )
        };
        let count = onewindow_intake::thumbnail::pdf_pages(&pdf).map_err(unreadable)?;
        let mut pages = Vec::new();
        for page in 1..=count.min(PREVIEW_PAGES) {
            let n = page.to_string();
            let png = onewindow_intake::thumbnail::poppler(
                "pdftoppm",
                &["-png", "-r", "72", "-f", &n, "-l", &n, "-singlefile", "-"],
                &pdf,
            )
            .map_err(unreadable)?;
            pages.push(data_url(&png));
        }
        Ok(DocumentPreview {
            id: d.id,
            title: doc_title(&d.kind).into(),
            page_count: pages.len() as u32,
            pages,
        })
    }

    /// The follow-up work list supervisors see: pledges to verify, 容缺 materials owed.
    pub fn follow_ups(&self, open_only: bool) -> Result<Vec<dto::FollowUpView>, AppError> {
        let today = self.today();
        let list = self.with_store(|s| s.follow_ups(open_only))?;
        let mut names: BTreeMap<String, String> = BTreeMap::new();
        for f in &list {
            if !names.contains_key(&f.item_code) {
                let n = self.with_store(|s| {
                    Ok(match s.item(&f.item_code)? {
                        Some(i) => i.name,
                        None => s.bundle(&f.item_code)?.map(|b| b.name).unwrap_or_default(),
                    })
                })?;
                names.insert(f.item_code.clone(), n);
            }
        }
        Ok(list
            .iter()
            .map(|f| follow_up_view(f, names[&f.item_code].clone(), today))
            .collect())
    }

    pub fn close_follow_up(&self, id: i64, note: &str) -> Result<Vec<dto::FollowUpView>, AppError> {
        if note.trim().chars().count() < 2 {
            return Err(bad("note_required", "请写明核查或补交情况"));
        }
        let who = self.actor();
        self.with_store_mut(|s| s.close_follow_up(id, note, &who, Utc::now()))?;
        self.bump();
        self.follow_ups(true)
    }
}

/// Fails unless the case is still exactly what the clerk reviewed (no scan, edit or second
/// window changed it in between); called under the store lock right before a decision.
fn unchanged(s: &Store, ctx: &CaseCtx, today: NaiveDate) -> Result<(), StoreError> {
    let now = load_ctx(s, &ctx.case.id, today)?;
    if now.case.state != ctx.case.state
        || now.review != ctx.review
        || now.attachments != ctx.attachments
        || now.applicant != ctx.applicant
        || now.form != ctx.form
        || now.pledges != ctx.pledges
    {
        return Err(StoreError::Transition {
            number: ctx.case.number.clone(),
            reason_zh: "办件内容刚刚有变化（新的扫描件或修改），请核对预审意见后再操作".into(),
        });
    }
    Ok(())
}

/// A short code printed on the receipt; with the case number it opens the progress page.
pub use onewindow_proto::query_code;
