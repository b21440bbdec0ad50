//! What crosses IPC. TypeScript bindings are generated from these into `ui/src/ipc/bindings/`
//! (`make bindings`); a test fails when the committed bindings are stale.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// Every command's error: a stable code for programs and a Chinese sentence for the clerk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct AppError {
    pub code: String,
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum Connectivity {
    /// Not yet tried since start.
    Unknown,
    Online,
    Offline,
}

/// The cache could not be opened; the clerk can rebuild it from the hub.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct CacheProblem {
    pub code: String,
    /// Chinese, for the clerk.
    pub message: String,
    /// The damaged file, kept where it is until a rebuild moves it aside.
    pub path: String,
}

/// The status bar.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct DeskStatus {
    pub connectivity: Connectivity,
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
    /// id_number, credit_code, phone, text, date, number, choice.
    pub field_type: String,
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

/// Everything the UI imports, for the bindings export.
pub fn export_all(cfg: &ts_rs::Config) -> Result<(), ts_rs::ExportError> {
    AppError::export_all(cfg)?;
    DeskStatus::export_all(cfg)?;
    SearchRequest::export_all(cfg)?;
    SearchResponse::export_all(cfg)?;
    DomainView::export_all(cfg)?;
    ItemGuide::export_all(cfg)?;
    BundleView::export_all(cfg)?;
    Ok(())
}
