//! 电子证照: the demo registry's shape, read and checked. The hub holds the registry; desks look
//! up one holder at a time while online (DESIGN.md: no desk holds the whole registry).

use chrono::NaiveDate;
use serde::{Deserialize, Deserializer, Serialize};

use crate::catalog::ImportIssue;
use crate::validate::{CreditCode, IdNumber};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HolderKind {
    Person,
    Organisation,
}

/// One licence of a holder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LicenceRecord {
    #[serde(rename = "type")]
    pub licence_type: String,
    pub number: String,
    pub issuer: String,
    pub issued: NaiveDate,
    /// `None`: valid without end (the registry writes 长期 or null).
    #[serde(deserialize_with = "until")]
    pub valid_until: Option<NaiveDate>,
    /// 可信等级 A–D (国办函〔2016〕108号).
    pub trust: String,
}

fn until<'de, D: Deserializer<'de>>(d: D) -> Result<Option<NaiveDate>, D::Error> {
    match Option::<String>::deserialize(d)? {
        None => Ok(None),
        Some(s) if s == "长期" => Ok(None),
        Some(s) => s
            .parse()
            .map(Some)
            .map_err(|_| serde::de::Error::custom(format!("有效期 {s:?} 应为日期或“长期”"))),
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RegistryHolder {
    pub holder: String,
    pub holder_kind: HolderKind,
    pub name: String,
    pub licences: Vec<LicenceRecord>,
}

impl LicenceRecord {
    pub fn is_valid_on(&self, day: NaiveDate) -> bool {
        self.valid_until.is_none_or(|d| d >= day)
    }
}

/// Reads `{version, source_note, holders:[…]}`; every holder number must pass its check
/// (ID number or credit code by kind) and be unique. Reports every bad holder at once.
pub fn parse_registry(
    text: &str,
    today: NaiveDate,
) -> Result<Vec<RegistryHolder>, Vec<ImportIssue>> {
    #[derive(Deserialize)]
    struct Raw<'a> {
        #[serde(borrow)]
        holders: Vec<&'a serde_json::value::RawValue>,
    }
    let raw: Raw<'_> = serde_json::from_str(text).map_err(|e| {
        vec![ImportIssue {
            sheet: "json".into(),
            row: Some(e.line() as u32),
            column: Some(format!("第{}列", e.column())),
            reason: format!("电子证照库文件应为 {{holders: [...]}}: {e}"),
        }]
    })?;
    let mut issues = Vec::new();
    let mut out = Vec::with_capacity(raw.holders.len());
    let mut seen = std::collections::HashSet::new();
    for (i, v) in raw.holders.iter().enumerate() {
        let at = |column: String, reason: String| ImportIssue {
            sheet: "holders".into(),
            row: Some(i as u32 + 1),
            column: Some(column),
            reason,
        };
        let mut de = serde_json::Deserializer::from_str(v.get());
        let h: RegistryHolder = match serde_path_to_error::deserialize(&mut de) {
            Ok(h) => h,
            Err(e) => {
                issues.push(at(e.path().to_string(), e.inner().to_string()));
                continue;
            }
        };
        let checked = match h.holder_kind {
            HolderKind::Person => {
                IdNumber::parse(&h.holder, today).map(|id| id.as_str().to_string())
            }
            HolderKind::Organisation => {
                CreditCode::parse(&h.holder).map(|c| c.as_str().to_string())
            }
        };
        match checked {
            Err(e) => issues.push(at("holder".into(), e.message_zh)),
            Ok(number) if !seen.insert(number.clone()) => {
                issues.push(at("holder".into(), format!("持证主体 {number} 重复")))
            }
            Ok(number) => out.push(RegistryHolder {
                holder: number,
                ..h
            }),
        }
    }
    if issues.is_empty() {
        Ok(out)
    } else {
        Err(issues)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 27).unwrap()
    }

    #[test]
    fn demo_registry_reads_whole() {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../demo/elicences-sample.json"
        ))
        .unwrap();
        let holders = parse_registry(&text, today()).unwrap();
        assert_eq!(holders.len(), 40);
        let zhou = &holders[0];
        assert_eq!(zhou.holder, "371082198410031615");
        let id_card = &zhou.licences[0];
        assert_eq!(id_card.valid_until, NaiveDate::from_ymd_opt(2020, 6, 30));
        assert!(!id_card.is_valid_on(today()), "expired in 2020");
        let company = holders
            .iter()
            .find(|h| h.holder == "91371082MAQAN80L2A")
            .unwrap();
        assert_eq!(company.licences[0].valid_until, None, "长期");
        assert!(company.licences[0].is_valid_on(today()));
    }

    #[test]
    fn bad_holders_are_all_reported() {
        let text = r#"{"holders": [
            {"holder": "371082198410031616", "holder_kind": "person", "name": "甲", "licences": []},
            {"holder": "91371082MAQAN80L2A", "holder_kind": "robot", "name": "乙", "licences": []},
            {"holder": "91371082MAQAN80L2A", "holder_kind": "organisation", "name": "丙",
             "licences": [{"type": "营业执照", "number": "1", "issuer": "x", "issued": "2017-08-04", "valid_until": "永久", "trust": "A"}]}
        ]}"#;
        let issues = parse_registry(text, today()).unwrap_err();
        let lines: Vec<String> = issues.iter().map(|i| i.to_string()).collect();
        assert_eq!(lines.len(), 3, "{lines:?}");
        assert!(
            lines[0].starts_with("holders 第1行 [holder]: 身份证号码校验位不符"),
            "{lines:?}"
        );
        assert!(
            lines[1].starts_with("holders 第2行 [holder_kind]"),
            "{lines:?}"
        );
        assert!(
            lines[2].contains("有效期 \"永久\" 应为日期或“长期”"),
            "{lines:?}"
        );
    }
}
