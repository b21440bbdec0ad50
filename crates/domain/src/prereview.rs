//! 预审: a pure function from what the window has (item scenario, applicant numbers, form values,
//! attached materials, the applicant's e-licences, pledges and the clerk's overrides) to
//! findings, each with a code and a Chinese sentence saying what is wrong and how to fix it.

use std::collections::{BTreeMap, BTreeSet};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::applicant::{Applicant, ApplicantKind};
use crate::catalog::{FieldType, Necessity, Scenario};
use crate::elicence::LicenceRecord;
use crate::validate::{CreditCode, IdNumber, Phone};

/// Everything pre-review looks at. Materials are referred to by their position in the scenario.
#[derive(Debug, Clone, Default)]
pub struct PreReviewInput<'a> {
    pub scenario: Option<&'a Scenario>,
    /// Who applies; `None` until the clerk has entered someone.
    pub applicant: Option<&'a Applicant>,
    /// Field keys an earlier member of the 一件事 produces: never asked, never missing.
    pub produced_fields: BTreeSet<String>,
    /// Materials an earlier member of the 一件事 produces (by position).
    pub produced_materials: BTreeSet<usize>,
    /// Form values by field key, as typed.
    pub form: BTreeMap<String, String>,
    /// How many files are attached to each material slot.
    pub attached: BTreeMap<usize, usize>,
    /// The applicant's e-licences, as the hub's registry returned them.
    pub elicences: Vec<LicenceRecord>,
    /// Materials the applicant replaces with a signed pledge (告知承诺).
    pub pledged: BTreeSet<usize>,
    /// Findings the clerk overrides with a written reason, by [`Finding::key`].
    pub overrides: BTreeMap<String, String>,
    pub today: Option<NaiveDate>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Severity {
    /// Stops acceptance unless overridden with a reason.
    Blocking,
    /// Acceptance may go ahead (容缺受理); the item stays open until it arrives.
    Deferrable,
    Info,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub code: &'static str,
    pub severity: Severity,
    /// `material:N` or `field:KEY`: what the finding is about.
    pub target: String,
    pub message_zh: String,
    /// The clerk's written reason, when overridden.
    pub overridden: Option<String>,
}

impl Finding {
    /// Identifies the finding for overrides: the same problem on the same target.
    pub fn key(&self) -> String {
        format!("{}@{}", self.code, self.target)
    }

    pub fn blocks(&self) -> bool {
        self.severity == Severity::Blocking && self.overridden.is_none()
    }
}

/// How each required material is covered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum MaterialStatus {
    Provided,
    /// 免提交: a valid e-licence of the applicant replaces it.
    ELicence,
    /// An earlier member of the 一件事 issues it; nobody brings it.
    Produced,
    Pledged,
    /// Missing but 容缺: may be brought later.
    Deferred,
    Missing,
    /// Not required and not given.
    NotNeeded,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PreReview {
    pub materials: Vec<MaterialStatus>,
    pub findings: Vec<Finding>,
}

impl PreReview {
    pub fn can_accept(&self) -> bool {
        !self.findings.iter().any(Finding::blocks)
    }

    /// Open items of a 容缺 acceptance.
    pub fn deferred(&self) -> impl Iterator<Item = &Finding> {
        self.findings
            .iter()
            .filter(|f| f.severity == Severity::Deferrable)
    }
}

fn finding(code: &'static str, severity: Severity, target: String, message_zh: String) -> Finding {
    Finding {
        code,
        severity,
        target,
        message_zh,
        overridden: None,
    }
}

/// The applicant's own numbers: ID number or credit code, phone, and the agent's ID number.
fn applicant_findings(applicant: Option<&Applicant>, today: NaiveDate, out: &mut Vec<Finding>) {
    let Some(a) = applicant else {
        out.push(finding(
            "applicant_missing",
            Severity::Blocking,
            "applicant".into(),
            "尚未登记申请人：请读取身份证、扫描居民码/企业码或手工填写申请人信息".into(),
        ));
        return;
    };
    if a.name.trim().is_empty() {
        out.push(finding(
            "applicant_name_missing",
            Severity::Blocking,
            "applicant:name".into(),
            "请填写申请人姓名（单位名称）".into(),
        ));
    }
    let number = match a.kind {
        ApplicantKind::Person => IdNumber::parse(&a.number, today)
            .err()
            .map(|e| format!("申请人公民身份号码有误：{}", e.message_zh)),
        ApplicantKind::Organisation => CreditCode::parse(&a.number)
            .err()
            .map(|e| format!("统一社会信用代码有误：{}", e.message_zh)),
    };
    if let Some(why) = number {
        out.push(finding(
            "applicant_number_invalid",
            Severity::Blocking,
            "applicant:number".into(),
            format!("{why}；请核对证件后改正，确属特殊情况须写明理由方可继续"),
        ));
    }
    if a.kind == ApplicantKind::Organisation
        && a.legal_rep.as_deref().is_none_or(|r| r.trim().is_empty())
    {
        out.push(finding(
            "legal_rep_missing",
            Severity::Blocking,
            "applicant:legal_rep".into(),
            "请填写法定代表人（负责人）姓名".into(),
        ));
    }
    match a.phone.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
        None => out.push(finding(
            "applicant_phone_missing",
            Severity::Blocking,
            "applicant:phone".into(),
            "请填写申请人联系电话，用于通知办理结果".into(),
        )),
        Some(p) => {
            if let Err(e) = Phone::parse(p) {
                out.push(finding(
                    "applicant_phone_invalid",
                    Severity::Blocking,
                    "applicant:phone".into(),
                    format!("申请人联系电话有误：{}", e.message_zh),
                ));
            }
        }
    }
    if let Some(agent) = &a.agent {
        if agent.name.trim().is_empty() {
            out.push(finding(
                "agent_name_missing",
                Severity::Blocking,
                "agent:name".into(),
                "已选择代办，请填写代办人姓名".into(),
            ));
        }
        if let Err(e) = IdNumber::parse(&agent.id_number, today) {
            out.push(finding(
                "agent_number_invalid",
                Severity::Blocking,
                "agent:number".into(),
                format!("代办人公民身份号码有误：{}", e.message_zh),
            ));
        }
        if let Some(p) = agent
            .phone
            .as_deref()
            .map(str::trim)
            .filter(|p| !p.is_empty())
            && let Err(e) = Phone::parse(p)
        {
            out.push(finding(
                "agent_phone_invalid",
                Severity::Blocking,
                "agent:phone".into(),
                format!("代办人联系电话有误：{}", e.message_zh),
            ));
        }
    }
}

pub fn prereview(input: &PreReviewInput<'_>) -> PreReview {
    let mut findings = Vec::new();
    let Some(scenario) = input.scenario else {
        return PreReview {
            materials: vec![],
            findings: vec![finding(
                "no_scenario",
                Severity::Blocking,
                "case".into(),
                "尚未选择办理情形：请先选择申请人符合的情形，再核对材料".into(),
            )],
        };
    };
    let today = input.today.unwrap_or(NaiveDate::MIN);

    let mut materials = Vec::with_capacity(scenario.materials.len());
    for (i, m) in scenario.materials.iter().enumerate() {
        let target = format!("material:{i}");
        let attached = input.attached.get(&i).copied().unwrap_or(0) > 0;
        let licence = m.e_licence.as_deref().and_then(|t| {
            input
                .elicences
                .iter()
                .filter(|l| l.licence_type == t)
                .max_by_key(|l| l.valid_until.unwrap_or(NaiveDate::MAX))
        });
        let licence_valid = licence.is_some_and(|l| l.is_valid_on(today));
        let pledged = input.pledged.contains(&i);
        if pledged && !m.pledge_allowed {
            findings.push(finding(
                "pledge_not_allowed",
                Severity::Blocking,
                target.clone(),
                format!("「{}」不适用告知承诺，请收取纸质材料", m.name),
            ));
        }
        // An expired licence is worth a word only while the paper is still missing.
        if let (Some(l), false, false) = (licence, licence_valid, attached) {
            findings.push(finding(
                "elicence_expired",
                Severity::Info,
                target.clone(),
                format!(
                    "申请人的电子证照「{}」已于 {} 过期，不能免提交，请收取纸质材料",
                    l.licence_type,
                    l.valid_until.map(|d| d.to_string()).unwrap_or_default()
                ),
            ));
        }
        let status = if attached {
            MaterialStatus::Provided
        } else if input.produced_materials.contains(&i) {
            MaterialStatus::Produced
        } else if licence_valid {
            MaterialStatus::ELicence
        } else if pledged && m.pledge_allowed {
            MaterialStatus::Pledged
        } else {
            match m.necessity {
                Necessity::Optional => MaterialStatus::NotNeeded,
                Necessity::Deferrable => {
                    findings.push(finding(
                        "material_deferred",
                        Severity::Deferrable,
                        target,
                        format!("「{}」暂缺，可容缺受理，申请人须在承诺期限内补交", m.name),
                    ));
                    MaterialStatus::Deferred
                }
                Necessity::Required => {
                    let pledge_hint = if m.pledge_allowed {
                        "，或由申请人签署告知承诺书"
                    } else {
                        ""
                    };
                    findings.push(finding(
                        "material_missing",
                        Severity::Blocking,
                        target,
                        format!(
                            "缺少「{}」（{}，{} 份）：请补齐{pledge_hint}",
                            m.name,
                            m.form.label(),
                            m.copies
                        ),
                    ));
                    MaterialStatus::Missing
                }
            }
        };
        materials.push(status);
    }

    applicant_findings(input.applicant, today, &mut findings);

    for f in &scenario.fields {
        if input.produced_fields.contains(&f.key) {
            continue;
        }
        let target = format!("field:{}", f.key);
        let value = input.form.get(&f.key).map(|v| v.trim()).unwrap_or("");
        if value.is_empty() {
            if f.required {
                findings.push(finding(
                    "field_required",
                    Severity::Blocking,
                    target,
                    format!("请填写「{}」", f.label),
                ));
            }
            continue;
        }
        let problem = match f.field_type {
            FieldType::IdNumber => IdNumber::parse(value, today).err().map(|e| e.message_zh),
            FieldType::CreditCode => CreditCode::parse(value).err().map(|e| e.message_zh),
            FieldType::Phone => Phone::parse(value).err().map(|e| e.message_zh),
            FieldType::Date => NaiveDate::parse_from_str(value, "%Y-%m-%d")
                .err()
                .map(|_| format!("日期应写成 2026-01-31 这样的格式，现为“{value}”")),
            FieldType::Number => value
                .parse::<f64>()
                .err()
                .map(|_| format!("应填写数字，现为“{value}”")),
            FieldType::Choice => (!f.choices.iter().any(|c| c == value))
                .then(|| format!("应从 {} 中选择", f.choices.join("、"))),
            FieldType::Text => None,
        };
        if let Some(why) = problem {
            findings.push(finding(
                "field_invalid",
                Severity::Blocking,
                target,
                format!("「{}」有误：{why}", f.label),
            ));
        }
    }

    for f in &mut findings {
        if let Some(reason) = input.overrides.get(&f.key())
            && f.severity == Severity::Blocking
            && !reason.trim().is_empty()
        {
            f.overridden = Some(reason.trim().to_string());
        }
    }
    findings.sort_by_key(|f| f.severity);
    PreReview {
        materials,
        findings,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Catalog;

    fn catalog() -> Catalog {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../demo/catalog-sample.json"
        ))
        .unwrap();
        Catalog::from_json_str(&text).unwrap()
    }

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn person(number: &str, phone: &str) -> Applicant {
        Applicant {
            kind: ApplicantKind::Person,
            name: "张三".into(),
            number: number.into(),
            phone: Some(phone.into()),
            address: None,
            legal_rep: None,
            agent: None,
            assist: None,
            card: None,
        }
    }

    #[test]
    fn applicant_numbers_and_phones_are_checked() {
        let cat = catalog();
        let sc = &cat
            .items
            .iter()
            .find(|i| i.code == "000105001001")
            .unwrap()
            .scenarios[0];
        let codes = |a: &Applicant| -> Vec<&'static str> {
            prereview(&PreReviewInput {
                scenario: Some(sc),
                applicant: Some(a),
                today: Some(day("2026-11-27")),
                ..Default::default()
            })
            .findings
            .into_iter()
            .filter(|f| f.target.starts_with("applicant") || f.target.starts_with("agent"))
            .map(|f| f.code)
            .collect()
        };
        assert!(codes(&person("371082198410031615", "13906310001")).is_empty());
        assert!(codes(&person("371082198410031615", "0631-7561001")).is_empty());
        assert_eq!(
            codes(&person("371082198410031616", "13906310001")),
            ["applicant_number_invalid"]
        );
        assert_eq!(
            codes(&person("371082198410031615", "1390631000")),
            ["applicant_phone_invalid"]
        );
        let mut org = person("91350100M000100Y43", "0631-7561001");
        org.kind = ApplicantKind::Organisation;
        assert_eq!(codes(&org), ["legal_rep_missing"]);
        org.legal_rep = Some("李四".into());
        assert!(codes(&org).is_empty());
        org.number = "91350100M000100Y44".into();
        assert_eq!(codes(&org), ["applicant_number_invalid"]);
        let mut with_agent = person("371082198410031615", "13906310001");
        with_agent.agent = Some(crate::applicant::Agent {
            name: "王五".into(),
            id_number: "37108219841003161X".into(),
            phone: None,
        });
        assert_eq!(codes(&with_agent), ["agent_number_invalid"]);
        with_agent.agent = Some(crate::applicant::Agent {
            name: "王五".into(),
            id_number: "371082199906080810".into(),
            phone: Some("12345".into()),
        });
        assert_eq!(codes(&with_agent), ["agent_phone_invalid"]);
    }

    #[test]
    fn fields_and_materials_an_earlier_member_produces_are_not_asked() {
        let cat = catalog();
        let item = cat.items.iter().find(|i| i.code == "000124001000").unwrap();
        let sc = &item.scenarios[0];
        let baby_id = "baby_id".to_string();
        let cert = sc
            .materials
            .iter()
            .position(|m| m.name == "出生医学证明")
            .unwrap();
        let r = prereview(&PreReviewInput {
            scenario: Some(sc),
            produced_fields: [baby_id.clone()].into(),
            produced_materials: [cert].into(),
            today: Some(day("2026-11-27")),
            ..Default::default()
        });
        assert_eq!(r.materials[cert], MaterialStatus::Produced);
        assert!(
            !r.findings
                .iter()
                .any(|f| f.target == "field:baby_id" || f.target == format!("material:{cert}"))
        );
    }

    #[test]
    fn individual_business_setup() {
        let cat = catalog();
        let item = cat.items.iter().find(|i| i.code == "000105001001").unwrap();
        let sc = &item.scenarios[0];
        let names: Vec<&str> = sc.materials.iter().map(|m| m.name.as_str()).collect();
        let id_slot = names.iter().position(|n| *n == "经营者居民身份证").unwrap();

        // Nothing yet: every required material and field is listed at once.
        let empty = prereview(&PreReviewInput {
            scenario: Some(sc),
            today: Some(day("2026-11-27")),
            ..Default::default()
        });
        assert!(!empty.can_accept());
        let required = sc
            .materials
            .iter()
            .filter(|m| m.necessity == Necessity::Required)
            .count()
            + sc.fields.iter().filter(|f| f.required).count()
            + 1; // no applicant yet
        assert_eq!(
            empty.findings.iter().filter(|f| f.blocks()).count(),
            required
        );
        assert!(empty.findings.iter().any(|f| f.message_zh
            == "缺少「经营者居民身份证」（验原件收复印件，1 份）：请补齐"));

        // A valid ID-card e-licence replaces the paper; an expired one does not.
        let licence = |until: &str| LicenceRecord {
            licence_type: "居民身份证".into(),
            number: "x".into(),
            issuer: "荣成市公安局".into(),
            issued: day("2016-01-01"),
            valid_until: Some(day(until)),
            trust: "A".into(),
        };
        let with = |l: LicenceRecord| {
            prereview(&PreReviewInput {
                scenario: Some(sc),
                elicences: vec![l],
                today: Some(day("2026-11-27")),
                ..Default::default()
            })
        };
        assert_eq!(
            with(licence("2036-01-01")).materials[id_slot],
            MaterialStatus::ELicence
        );
        let expired = with(licence("2020-06-30"));
        assert_eq!(expired.materials[id_slot], MaterialStatus::Missing);
        assert!(
            expired
                .findings
                .iter()
                .any(|f| f.code == "elicence_expired"
                    && f.message_zh.contains("已于 2020-06-30 过期"))
        );
    }

    #[test]
    fn fields_are_checked_and_overrides_need_a_reason() {
        let cat = catalog();
        let item = cat.items.iter().find(|i| i.code == "000105001001").unwrap();
        let sc = &item.scenarios[0];
        let id_field = sc
            .fields
            .iter()
            .find(|f| f.field_type == FieldType::IdNumber)
            .unwrap();
        let mut form: BTreeMap<String, String> = sc
            .fields
            .iter()
            .map(|f| {
                let v = match f.field_type {
                    FieldType::IdNumber => "371082198410031615".to_string(),
                    FieldType::Phone => "13812345678".to_string(),
                    FieldType::Date => "2026-11-27".to_string(),
                    FieldType::Number => "3".to_string(),
                    FieldType::Choice => f.choices[0].clone(),
                    FieldType::CreditCode => "91350100M000100Y43".to_string(),
                    FieldType::Text => "荣成市某某小店".to_string(),
                };
                (f.key.clone(), v)
            })
            .collect();
        let attached = (0..sc.materials.len()).map(|i| (i, 1)).collect();
        let applicant = person("371082198410031615", "13906310001");
        let mut input = PreReviewInput {
            scenario: Some(sc),
            applicant: Some(&applicant),
            form: form.clone(),
            attached,
            today: Some(day("2026-11-27")),
            ..Default::default()
        };
        let ok = prereview(&input);
        assert!(ok.can_accept(), "{:?}", ok.findings);
        assert!(ok.findings.is_empty());

        form.insert(id_field.key.clone(), "371082198410031616".into());
        input.form = form;
        let bad = prereview(&input);
        assert!(!bad.can_accept());
        assert_eq!(bad.findings.len(), 1);
        assert_eq!(
            bad.findings[0].key(),
            format!("field_invalid@field:{}", id_field.key)
        );
        assert!(bad.findings[0].message_zh.contains("校验位不符"));

        input.overrides.insert(bad.findings[0].key(), "  ".into());
        assert!(
            !prereview(&input).can_accept(),
            "a blank reason overrides nothing"
        );
        input
            .overrides
            .insert(bad.findings[0].key(), "旧证号码，已与公安核实".into());
        let overridden = prereview(&input);
        assert!(overridden.can_accept());
        assert_eq!(
            overridden.findings[0].overridden.as_deref(),
            Some("旧证号码，已与公安核实")
        );
    }

    #[test]
    fn pledges_and_deferrable_materials() {
        let cat = catalog();
        let (sc, pledge_slot) = cat
            .items
            .iter()
            .flat_map(|i| &i.scenarios)
            .find_map(|sc| {
                sc.materials
                    .iter()
                    .position(|m| m.pledge_allowed && m.necessity == Necessity::Required)
                    .map(|p| (sc, p))
            })
            .expect("the sample has a pledgeable material");
        let r = prereview(&PreReviewInput {
            scenario: Some(sc),
            pledged: [pledge_slot].into(),
            today: Some(day("2026-11-27")),
            ..Default::default()
        });
        assert_eq!(r.materials[pledge_slot], MaterialStatus::Pledged);
        assert!(
            !r.findings
                .iter()
                .any(|f| f.target == format!("material:{pledge_slot}"))
        );

        let not_pledgeable = sc.materials.iter().position(|m| !m.pledge_allowed).unwrap();
        let r = prereview(&PreReviewInput {
            scenario: Some(sc),
            pledged: [not_pledgeable].into(),
            today: Some(day("2026-11-27")),
            ..Default::default()
        });
        assert!(r.findings.iter().any(|f| f.code == "pledge_not_allowed"));

        let (sc, deferrable) = cat
            .items
            .iter()
            .flat_map(|i| &i.scenarios)
            .find_map(|sc| {
                sc.materials
                    .iter()
                    .position(|m| m.necessity == Necessity::Deferrable)
                    .map(|p| (sc, p))
            })
            .expect("the sample has a 容缺 material");
        let mut attached: BTreeMap<usize, usize> =
            (0..sc.materials.len()).map(|i| (i, 1)).collect();
        attached.remove(&deferrable);
        let form = sc
            .fields
            .iter()
            .map(|f| (f.key.clone(), String::new()))
            .collect();
        let applicant = person("371082198410031615", "0631-7561001");
        let r = prereview(&PreReviewInput {
            scenario: Some(sc),
            applicant: Some(&applicant),
            attached,
            form,
            today: Some(day("2026-11-27")),
            ..Default::default()
        });
        assert_eq!(r.materials[deferrable], MaterialStatus::Deferred);
        assert_eq!(r.deferred().count(), 1);
    }
}
