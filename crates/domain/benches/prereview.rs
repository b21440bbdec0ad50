//! `prereview_case_us`: one pre-review of a case whose scenario has 30 materials and 40 fields
//! (ID numbers, credit codes, phones, dates, choices among them), half the materials attached,
//! some covered by e-licences, the applicant and an agent checked. Median and p99 over 20,000 runs.

use std::collections::BTreeMap;
use std::io::Write;
use std::time::Instant;

use chrono::NaiveDate;
use onewindow_domain::applicant::{Agent, Applicant, ApplicantKind};
use onewindow_domain::elicence::LicenceRecord;
use onewindow_domain::prereview::{PreReviewInput, prereview};
use onewindow_domain::{Catalog, FieldDef, FieldType, Scenario};

fn main() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
    let text = std::fs::read_to_string(format!("{root}/demo/catalog-sample.json")).unwrap();
    let sample = Catalog::from_json_str(&text).unwrap();
    let pool: Vec<_> = sample
        .items
        .iter()
        .flat_map(|i| &i.scenarios)
        .flat_map(|s| &s.materials)
        .cloned()
        .collect();
    let materials: Vec<_> = pool.iter().cycle().take(30).cloned().collect();
    let types = [
        FieldType::IdNumber,
        FieldType::CreditCode,
        FieldType::Phone,
        FieldType::Date,
        FieldType::Number,
        FieldType::Choice,
        FieldType::Text,
        FieldType::Text,
    ];
    let fields: Vec<FieldDef> = (0..40)
        .map(|i| FieldDef {
            key: format!("f{i}"),
            label: format!("字段{i}"),
            field_type: types[i % types.len()],
            required: i % 3 != 0,
            choices: if types[i % types.len()] == FieldType::Choice {
                vec!["是".into(), "否".into(), "不适用".into()]
            } else {
                vec![]
            },
        })
        .collect();
    let form: BTreeMap<String, String> = fields
        .iter()
        .map(|f| {
            let v = match f.field_type {
                FieldType::IdNumber => "371082198410031615",
                FieldType::CreditCode => "91350100M000100Y43",
                FieldType::Phone => "0631-7561001",
                FieldType::Date => "2026-11-27",
                FieldType::Number => "12.5",
                FieldType::Choice => "不适用",
                FieldType::Text => "荣成市成山大道 1 号",
            };
            (f.key.clone(), v.to_string())
        })
        .collect();
    let scenario = Scenario {
        code: "000000000000-01".into(),
        name: "基准情形".into(),
        materials,
        fields,
    };
    let applicant = Applicant {
        kind: ApplicantKind::Person,
        name: "周建国".into(),
        number: "371082198410031615".into(),
        phone: Some("13906310001".into()),
        address: Some("山东省荣成市成山大道1号".into()),
        legal_rep: None,
        agent: Some(Agent {
            name: "王五".into(),
            id_number: "371082199906080810".into(),
            phone: Some("0631-7561001".into()),
        }),
        assist: None,
        card: None,
    };
    let input = PreReviewInput {
        scenario: Some(&scenario),
        applicant: Some(&applicant),
        produced_fields: Default::default(),
        produced_materials: Default::default(),
        form,
        attached: (0..30).step_by(2).map(|i| (i, 1)).collect(),
        elicences: vec![
            LicenceRecord {
                licence_type: "居民身份证".into(),
                number: "371082198410031615".into(),
                issuer: "荣成市公安局".into(),
                issued: NaiveDate::from_ymd_opt(2016, 1, 1).unwrap(),
                valid_until: NaiveDate::from_ymd_opt(2036, 1, 1),
                trust: "A".into(),
            },
            LicenceRecord {
                licence_type: "营业执照".into(),
                number: "91350100M000100Y43".into(),
                issuer: "荣成市行政审批服务局".into(),
                issued: NaiveDate::from_ymd_opt(2017, 8, 4).unwrap(),
                valid_until: None,
                trust: "A".into(),
            },
        ],
        pledged: Default::default(),
        overrides: Default::default(),
        today: NaiveDate::from_ymd_opt(2026, 11, 27),
    };
    let mut times = Vec::with_capacity(20_000);
    let mut findings = 0;
    for _ in 0..20_000 {
        let t = Instant::now();
        let r = std::hint::black_box(prereview(std::hint::black_box(&input)));
        times.push(t.elapsed().as_secs_f64() * 1e6);
        findings = r.findings.len();
    }
    times.sort_by(f64::total_cmp);
    let (p50, p99) = (times[times.len() / 2], times[times.len() * 99 / 100]);
    println!(
        "pre-review of 30 materials and 40 fields ({findings} findings): p50 {p50:.1} µs, p99 {p99:.1} µs"
    );
    std::fs::create_dir_all(format!("{root}/target/bench")).unwrap();
    let mut tsv = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(format!("{root}/target/bench/summary.tsv"))
        .unwrap();
    writeln!(tsv, "prereview_case_us\t{p50:.1}\tus").unwrap();
    writeln!(tsv, "prereview_case_p99_us\t{p99:.1}\tus").unwrap();
}
