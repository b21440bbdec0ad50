//! The service catalog (政务服务事项目录): items, scenarios, materials, fields and bundles.
//!
//! The serde shape is the one of `demo/catalog-sample.json`, so a catalog file deserialises
//! straight into [`Catalog`]. [`Catalog::validate`] checks what serde cannot (references,
//! unique codes, leaves with scenarios) and reports every problem at once.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};

/// 业务领域: what a window serves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Domain {
    pub code: String,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Region {
    pub code: String,
    pub name: String,
}

/// 主项 / 子项 / 办理项.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ItemLevel {
    Main,
    Sub,
    Handling,
}

impl ItemLevel {
    pub fn label(self) -> &'static str {
        match self {
            ItemLevel::Main => "主项",
            ItemLevel::Sub => "子项",
            ItemLevel::Handling => "办理项",
        }
    }

    pub fn from_label(s: &str) -> Option<Self> {
        match s {
            "主项" => Some(ItemLevel::Main),
            "子项" => Some(ItemLevel::Sub),
            "办理项" => Some(ItemLevel::Handling),
            _ => None,
        }
    }
}

/// How the window takes a paper material.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum MaterialForm {
    #[serde(rename = "收原件")]
    Original,
    #[serde(rename = "验原件收复印件")]
    CopyCheckedAgainstOriginal,
    #[serde(rename = "收原件及复印件")]
    OriginalAndCopy,
}

impl MaterialForm {
    pub fn label(self) -> &'static str {
        match self {
            MaterialForm::Original => "收原件",
            MaterialForm::CopyCheckedAgainstOriginal => "验原件收复印件",
            MaterialForm::OriginalAndCopy => "收原件及复印件",
        }
    }

    pub fn from_label(s: &str) -> Option<Self> {
        [
            MaterialForm::Original,
            MaterialForm::CopyCheckedAgainstOriginal,
            MaterialForm::OriginalAndCopy,
        ]
        .into_iter()
        .find(|f| f.label() == s)
    }
}

/// 必要 / 非必要 / 容缺.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Necessity {
    #[serde(rename = "必要")]
    Required,
    #[serde(rename = "非必要")]
    Optional,
    /// May be missing at acceptance (容缺受理) and brought later.
    #[serde(rename = "容缺")]
    Deferrable,
}

impl Necessity {
    pub fn label(self) -> &'static str {
        match self {
            Necessity::Required => "必要",
            Necessity::Optional => "非必要",
            Necessity::Deferrable => "容缺",
        }
    }

    pub fn from_label(s: &str) -> Option<Self> {
        [
            Necessity::Required,
            Necessity::Optional,
            Necessity::Deferrable,
        ]
        .into_iter()
        .find(|n| n.label() == s)
    }
}

/// 申请材料.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MaterialRequirement {
    pub name: String,
    pub form: MaterialForm,
    pub copies: u32,
    pub necessity: Necessity,
    /// The e-licence type that replaces this paper (免提交), if any.
    pub e_licence: Option<String>,
    pub pledge_allowed: bool,
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum FieldType {
    IdNumber,
    CreditCode,
    Phone,
    Text,
    Date,
    Number,
    Choice,
}

impl FieldType {
    pub fn as_str(self) -> &'static str {
        match self {
            FieldType::IdNumber => "id_number",
            FieldType::CreditCode => "credit_code",
            FieldType::Phone => "phone",
            FieldType::Text => "text",
            FieldType::Date => "date",
            FieldType::Number => "number",
            FieldType::Choice => "choice",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            FieldType::IdNumber,
            FieldType::CreditCode,
            FieldType::Phone,
            FieldType::Text,
            FieldType::Date,
            FieldType::Number,
            FieldType::Choice,
        ]
        .into_iter()
        .find(|t| t.as_str() == s)
    }

    pub fn label(self) -> &'static str {
        match self {
            FieldType::IdNumber => "身份证号码",
            FieldType::CreditCode => "统一社会信用代码",
            FieldType::Phone => "电话",
            FieldType::Text => "文本",
            FieldType::Date => "日期",
            FieldType::Number => "数字",
            FieldType::Choice => "选项",
        }
    }
}

/// A form field a scenario asks for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldDef {
    pub key: String,
    pub label: String,
    #[serde(rename = "type")]
    pub field_type: FieldType,
    pub required: bool,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub choices: Vec<String>,
}

/// 情形: a variant of an item with its own materials and fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Scenario {
    pub code: String,
    pub name: String,
    pub materials: Vec<MaterialRequirement>,
    pub fields: Vec<FieldDef>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fee {
    pub charged: bool,
    pub standard: String,
    pub basis: Option<String>,
}

/// 政务服务事项.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceItem {
    pub code: String,
    pub name: String,
    pub level: ItemLevel,
    pub parent: Option<String>,
    pub domain: String,
    pub item_type: String,
    pub agency: String,
    pub legal_basis: String,
    /// Working days; 0 means done on the spot (即办).
    pub promised_days: u32,
    /// `None`: no statutory limit.
    pub statutory_days: Option<u32>,
    pub time_note: Option<String>,
    pub fee: Fee,
    pub place: String,
    pub phone: String,
    pub guide_plain: String,
    #[serde(default)]
    pub provenance: String,
    /// The levels whose centres may accept the item (市、镇、村; `None`: the county hall only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub levels: Option<Vec<crate::centre::CentreLevel>>,
    /// 容缺: working days the applicant has to bring a deferred material (`None`: the default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deferred_due_working_days: Option<u32>,
    /// 告知承诺: working days within which a pledged material is checked (`None`: the default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pledge_check_working_days: Option<u32>,
    /// Empty for a container (an item with children); applications are made at leaves.
    pub scenarios: Vec<Scenario>,
}

/// 一件事: one form and one material set spanning several items.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bundle {
    pub code: String,
    pub name: String,
    pub lead_agency: String,
    pub items: Vec<String>,
    pub promised_days: u32,
    #[serde(default)]
    pub note: String,
}

/// A whole catalog as an office publishes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Catalog {
    pub version: String,
    pub region: Region,
    #[serde(default)]
    pub source_note: String,
    pub domains: Vec<Domain>,
    pub items: Vec<ServiceItem>,
    pub bundles: Vec<Bundle>,
}

/// Where in a catalog file a problem is: a sheet (or JSON array), a 1-based row and a column.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImportIssue {
    pub sheet: String,
    pub row: Option<u32>,
    pub column: Option<String>,
    pub reason: String,
}

impl std::fmt::Display for ImportIssue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.sheet)?;
        if let Some(row) = self.row {
            write!(f, " 第{row}行")?;
        }
        if let Some(col) = &self.column {
            write!(f, " [{col}]")?;
        }
        write!(f, ": {}", self.reason)
    }
}

/// Where each catalog entity came from, so semantic problems point at the file's rows.
/// JSON imports use the array name and index; XLSX imports use the sheet and row.
pub trait IssueLocator {
    fn item(&self, index: usize) -> (String, Option<u32>);
    fn bundle(&self, index: usize) -> (String, Option<u32>);
    fn domain(&self, index: usize) -> (String, Option<u32>);
}

/// Locates entities by their position in the JSON arrays (1-based rows).
pub struct JsonLocator;

impl IssueLocator for JsonLocator {
    fn item(&self, index: usize) -> (String, Option<u32>) {
        ("items".into(), Some(index as u32 + 1))
    }
    fn bundle(&self, index: usize) -> (String, Option<u32>) {
        ("bundles".into(), Some(index as u32 + 1))
    }
    fn domain(&self, index: usize) -> (String, Option<u32>) {
        ("domains".into(), Some(index as u32 + 1))
    }
}

fn is_item_code(code: &str) -> bool {
    (code.len() == 12 || code.len() == 14) && code.bytes().all(|b| b.is_ascii_digit())
}

impl Catalog {
    /// Checks what the types cannot: unique codes, existing parents, domains and bundle members,
    /// scenarios only on leaves, and scenario codes derived from their item. Returns every issue.
    pub fn validate(&self, at: &dyn IssueLocator) -> Vec<ImportIssue> {
        let mut issues = Vec::new();
        let mut push = |(sheet, row): (String, Option<u32>), column: &str, reason: String| {
            issues.push(ImportIssue {
                sheet,
                row,
                column: Some(column.to_string()),
                reason,
            })
        };

        let mut domain_codes = HashSet::new();
        for (i, d) in self.domains.iter().enumerate() {
            if d.code.trim().is_empty() {
                push(at.domain(i), "code", "业务领域编码为空".into());
            } else if !domain_codes.insert(d.code.as_str()) {
                push(
                    at.domain(i),
                    "code",
                    format!("业务领域编码 {} 重复", d.code),
                );
            }
            if d.name.trim().is_empty() {
                push(at.domain(i), "name", "业务领域名称为空".into());
            }
        }

        let mut item_index: HashMap<&str, usize> = HashMap::new();
        for (i, item) in self.items.iter().enumerate() {
            if !is_item_code(&item.code) {
                push(
                    at.item(i),
                    "code",
                    format!("事项编码 {:?} 应为 12 位或 14 位数字", item.code),
                );
            }
            if item_index.insert(item.code.as_str(), i).is_some() {
                push(at.item(i), "code", format!("事项编码 {} 重复", item.code));
            }
        }
        let has_children: HashSet<&str> = self
            .items
            .iter()
            .filter_map(|it| it.parent.as_deref())
            .collect();

        for (i, item) in self.items.iter().enumerate() {
            if item.name.trim().is_empty() {
                push(at.item(i), "name", "事项名称为空".into());
            }
            for (field, days) in [
                ("deferred_due_working_days", item.deferred_due_working_days),
                ("pledge_check_working_days", item.pledge_check_working_days),
            ] {
                if days.is_some_and(|d| !(1..=120).contains(&d)) {
                    push(
                        at.item(i),
                        field,
                        format!("{field} 应为 1–120 个工作日，实为 {}", days.unwrap_or(0)),
                    );
                }
            }
            if item.levels.as_ref().is_some_and(|l| l.is_empty()) {
                push(
                    at.item(i),
                    "levels",
                    "可受理层级为空：不填表示仅县级受理，或填 county、town、village 中的一个或几个"
                        .into(),
                );
            }
            if !domain_codes.contains(item.domain.as_str()) {
                push(
                    at.item(i),
                    "domain",
                    format!("业务领域 {} 不在业务领域表中", item.domain),
                );
            }
            match (&item.parent, item.level) {
                (None, ItemLevel::Main) => {}
                (None, level) => push(
                    at.item(i),
                    "parent",
                    format!("{}必须有上级事项", level.label()),
                ),
                (Some(_), ItemLevel::Main) => {
                    push(at.item(i), "parent", "主项不能有上级事项".into())
                }
                (Some(p), _) => match item_index.get(p.as_str()) {
                    None => push(at.item(i), "parent", format!("上级事项 {p} 不存在")),
                    Some(&pi) if self.items[pi].level == ItemLevel::Handling => push(
                        at.item(i),
                        "parent",
                        format!("上级事项 {p} 是办理项，办理项下不能再有事项"),
                    ),
                    Some(_) => {}
                },
            }
            let is_container = has_children.contains(item.code.as_str());
            if is_container && !item.scenarios.is_empty() {
                push(
                    at.item(i),
                    "scenarios",
                    "有下级事项的事项不能直接办理，情形应为空".into(),
                );
            }
            if !is_container && item.scenarios.is_empty() {
                push(
                    at.item(i),
                    "scenarios",
                    "可办理的事项至少需要一个情形".into(),
                );
            }
            let mut scenario_codes = HashSet::new();
            for (si, sc) in item.scenarios.iter().enumerate() {
                let col = format!("scenarios[{si}]");
                if !sc.code.starts_with(&format!("{}-", item.code)) {
                    push(
                        at.item(i),
                        &col,
                        format!("情形编码 {} 应以事项编码 {}- 开头", sc.code, item.code),
                    );
                }
                if !scenario_codes.insert(sc.code.as_str()) {
                    push(at.item(i), &col, format!("情形编码 {} 重复", sc.code));
                }
                if sc.name.trim().is_empty() {
                    push(at.item(i), &col, "情形名称为空".into());
                }
                for (mi, m) in sc.materials.iter().enumerate() {
                    if m.name.trim().is_empty() {
                        push(
                            at.item(i),
                            &format!("{col}.materials[{mi}]"),
                            "材料名称为空".into(),
                        );
                    }
                }
                let mut keys = HashSet::new();
                for (fi, f) in sc.fields.iter().enumerate() {
                    let fcol = format!("{col}.fields[{fi}]");
                    if !keys.insert(f.key.as_str()) {
                        push(at.item(i), &fcol, format!("字段键 {} 重复", f.key));
                    }
                    if f.field_type == FieldType::Choice && f.choices.is_empty() {
                        push(at.item(i), &fcol, format!("选项字段 {} 没有可选值", f.key));
                    }
                }
            }
        }

        let mut bundle_codes = HashSet::new();
        for (i, b) in self.bundles.iter().enumerate() {
            if !bundle_codes.insert(b.code.as_str()) {
                push(at.bundle(i), "code", format!("一件事编码 {} 重复", b.code));
            }
            if b.items.is_empty() {
                push(at.bundle(i), "items", "一件事至少包含一个事项".into());
            }
            for code in &b.items {
                match item_index.get(code.as_str()) {
                    None => push(at.bundle(i), "items", format!("包含的事项 {code} 不存在")),
                    Some(_) if has_children.contains(code.as_str()) => push(
                        at.bundle(i),
                        "items",
                        format!("包含的事项 {code} 有下级事项，不能直接办理"),
                    ),
                    Some(_) => {}
                }
            }
        }
        issues
    }

    /// Parses a catalog JSON text, reporting every item that does not fit the shape, then
    /// every semantic problem. A syntax error is reported alone (nothing else can be read).
    pub fn from_json_str(text: &str) -> Result<Catalog, Vec<ImportIssue>> {
        // Entities stay raw slices of the text until each is read on its own, so one bad
        // item is reported with its row and the rest are still checked.
        #[derive(serde::Deserialize)]
        struct Raw<'a> {
            #[serde(borrow)]
            version: Option<&'a serde_json::value::RawValue>,
            #[serde(borrow)]
            region: Option<&'a serde_json::value::RawValue>,
            #[serde(borrow)]
            source_note: Option<&'a serde_json::value::RawValue>,
            #[serde(borrow)]
            domains: Option<Vec<&'a serde_json::value::RawValue>>,
            #[serde(borrow)]
            items: Option<Vec<&'a serde_json::value::RawValue>>,
            #[serde(borrow)]
            bundles: Option<Vec<&'a serde_json::value::RawValue>>,
        }
        let raw: Raw<'_> = serde_json::from_str(text).map_err(|e| {
            vec![ImportIssue {
                sheet: "json".into(),
                row: Some(e.line() as u32),
                column: Some(format!("第{}列", e.column())),
                reason: if e.is_syntax() || e.is_eof() {
                    format!("JSON 语法错误: {e}")
                } else {
                    format!("顶层应为对象 {{version, region, domains, items, bundles}}，且三者为数组: {e}")
                },
            }]
        })?;
        let mut issues = Vec::new();
        fn array<'a>(
            name: &str,
            v: Option<Vec<&'a serde_json::value::RawValue>>,
            issues: &mut Vec<ImportIssue>,
        ) -> Vec<&'a serde_json::value::RawValue> {
            v.unwrap_or_else(|| {
                issues.push(ImportIssue {
                    sheet: name.into(),
                    row: None,
                    column: None,
                    reason: format!("缺少 {name}"),
                });
                Vec::new()
            })
        }
        let raw_domains = array("domains", raw.domains, &mut issues);
        let raw_items = array("items", raw.items, &mut issues);
        let raw_bundles = array("bundles", raw.bundles, &mut issues);

        fn each<T: serde::de::DeserializeOwned>(
            sheet: &str,
            raw: Vec<&serde_json::value::RawValue>,
            issues: &mut Vec<ImportIssue>,
        ) -> Vec<T> {
            let mut out = Vec::with_capacity(raw.len());
            for (i, v) in raw.into_iter().enumerate() {
                let mut de = serde_json::Deserializer::from_str(v.get());
                match serde_path_to_error::deserialize::<_, T>(&mut de) {
                    Ok(t) => out.push(t),
                    Err(e) => issues.push(ImportIssue {
                        sheet: sheet.into(),
                        row: Some(i as u32 + 1),
                        column: Some(e.path().to_string()),
                        reason: e.inner().to_string(),
                    }),
                }
            }
            out
        }
        let domains: Vec<Domain> = each("domains", raw_domains, &mut issues);
        let items: Vec<ServiceItem> = each("items", raw_items, &mut issues);
        let bundles: Vec<Bundle> = each("bundles", raw_bundles, &mut issues);

        let text_field = |v: Option<&serde_json::value::RawValue>| {
            v.and_then(|v| serde_json::from_str::<String>(v.get()).ok())
        };
        let version = text_field(raw.version);
        if version.as_deref().is_none_or(|v| v.trim().is_empty()) {
            issues.push(ImportIssue {
                sheet: "json".into(),
                row: None,
                column: Some("version".into()),
                reason: "缺少目录版本号 version（应为非空文本）".into(),
            });
        }
        let region = match raw.region {
            Some(v) => match serde_json::from_str::<Region>(v.get()) {
                Ok(r) => Some(r),
                Err(e) => {
                    issues.push(ImportIssue {
                        sheet: "json".into(),
                        row: None,
                        column: Some("region".into()),
                        reason: e.to_string(),
                    });
                    None
                }
            },
            None => {
                issues.push(ImportIssue {
                    sheet: "json".into(),
                    row: None,
                    column: Some("region".into()),
                    reason: "缺少 region".into(),
                });
                None
            }
        };
        if !issues.is_empty() {
            // Semantic checks on a partly read file would report follow-on noise.
            return Err(issues);
        }
        let mut catalog = Catalog {
            version: version.unwrap_or_default(),
            region: region.expect("checked above"),
            source_note: text_field(raw.source_note).unwrap_or_default(),
            domains,
            items,
            bundles,
        };
        catalog.normalize();
        let issues = catalog.validate(&JsonLocator);
        if issues.is_empty() {
            Ok(catalog)
        } else {
            Err(issues)
        }
    }

    /// Empty optional texts become `None`, so a JSON `""` and an empty XLSX cell are equal.
    pub fn normalize(&mut self) {
        fn none_if_empty(v: &mut Option<String>) {
            if v.as_deref().is_some_and(|s| s.trim().is_empty()) {
                *v = None;
            }
        }
        for it in &mut self.items {
            none_if_empty(&mut it.time_note);
            none_if_empty(&mut it.fee.basis);
            none_if_empty(&mut it.parent);
            for sc in &mut it.scenarios {
                for m in &mut sc.materials {
                    none_if_empty(&mut m.note);
                    none_if_empty(&mut m.e_licence);
                }
            }
        }
    }

    /// Items that have children: containers, not applied for directly.
    pub fn container_codes(&self) -> HashSet<&str> {
        self.items
            .iter()
            .filter_map(|it| it.parent.as_deref())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample_text() -> String {
        std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../demo/catalog-sample.json"
        ))
        .unwrap()
    }

    #[test]
    fn sample_catalog_parses_and_validates() {
        let cat = Catalog::from_json_str(&sample_text()).unwrap();
        assert_eq!(cat.items.len(), 40);
        assert_eq!(cat.domains.len(), 14);
        assert_eq!(cat.bundles.len(), 3);
        let setup = cat
            .items
            .iter()
            .find(|i| i.name == "个体工商户设立登记")
            .unwrap();
        assert_eq!(setup.level, ItemLevel::Sub);
        assert_eq!(setup.parent.as_deref(), Some("000105001000"));
        assert_eq!(
            setup.scenarios[0].materials[1].form,
            MaterialForm::CopyCheckedAgainstOriginal
        );
    }

    #[test]
    fn every_bad_row_is_reported_at_once() {
        let mut v: serde_json::Value = serde_json::from_str(&sample_text()).unwrap();
        v["items"][3]["level"] = "top".into();
        v["items"][7]["promised_days"] = (-1).into();
        v["bundles"][0]["items"][0] = "999999999999".into();
        let issues = Catalog::from_json_str(&v.to_string()).unwrap_err();
        assert_eq!(issues.len(), 2, "{issues:?}");
        assert_eq!(issues[0].sheet, "items");
        assert_eq!(issues[0].row, Some(4));
        assert_eq!(issues[0].column.as_deref(), Some("level"));
        assert_eq!(issues[1].row, Some(8));
        assert_eq!(issues[1].column.as_deref(), Some("promised_days"));

        // Shape is fine, references are not: the semantic pass reports them all.
        let mut v: serde_json::Value = serde_json::from_str(&sample_text()).unwrap();
        v["bundles"][0]["items"][0] = "999999999999".into();
        v["items"][1]["domain"] = "NOPE".into();
        v["items"][2]["code"] = v["items"][1]["code"].clone();
        let issues = Catalog::from_json_str(&v.to_string()).unwrap_err();
        let reasons: Vec<String> = issues.iter().map(|i| i.to_string()).collect();
        assert!(
            reasons.contains(&"items 第2行 [domain]: 业务领域 NOPE 不在业务领域表中".to_string()),
            "{reasons:?}"
        );
        assert!(
            reasons
                .iter()
                .any(|r| r.starts_with("items 第3行 [code]: 事项编码") && r.ends_with("重复")),
            "{reasons:?}"
        );
        assert!(
            reasons.contains(&"bundles 第1行 [items]: 包含的事项 999999999999 不存在".to_string()),
            "{reasons:?}"
        );
    }

    #[test]
    fn syntax_error_names_line_and_column() {
        let issues = Catalog::from_json_str("{\n  \"version\": ,\n}").unwrap_err();
        assert_eq!(issues.len(), 1);
        assert_eq!(issues[0].row, Some(2));
        assert!(issues[0].reason.starts_with("JSON 语法错误"));
    }
}
