//! 一件事: one form and one material set over several items. Fields with the same key are asked
//! once; materials with the same name are collected once; and what an earlier member issues
//! (the newborn's 出生医学证明, the ID number given at 出生登记) is never asked of the applicant.

use std::collections::{BTreeMap, BTreeSet};

use crate::catalog::{
    FieldDef, MaterialForm, MaterialRequirement, Necessity, Scenario, ServiceItem,
};
use crate::prereview::{Finding, MaterialStatus, PreReview, PreReviewInput, prereview};

/// What an item issues (办理结果) that later members of a 一件事 would otherwise ask for.
/// The catalog has no column for results yet; these are keyed by the national basic codes.
const ISSUED_BY_ITEM: &[(&str, &[&str], &[&str])] = &[
    // 出生医学证明首次签发 → the certificate itself.
    ("000117001000", &["出生医学证明"], &[]),
    // 出生登记 → the household register page and the newborn's 公民身份号码.
    ("000172002000", &["新生儿居民户口簿"], &["baby_id"]),
];

/// One member of the bundle with the scenario the clerk chose for it.
#[derive(Debug, Clone, Copy)]
pub struct Member<'a> {
    pub item: &'a ServiceItem,
    pub scenario: &'a Scenario,
}

/// A material of the bundle's one material set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BundleMaterial {
    pub requirement: MaterialRequirement,
    /// `(member, slot in that member's scenario)` for every member that asks for it.
    pub used_by: Vec<(usize, usize)>,
    /// The member that issues it, when an earlier member does.
    pub produced_by: Option<usize>,
}

/// A field of the bundle's one form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BundleField {
    pub def: FieldDef,
    pub used_by: Vec<usize>,
    pub produced_by: Option<usize>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BundlePlan {
    pub materials: Vec<BundleMaterial>,
    pub fields: Vec<BundleField>,
}

fn stronger(a: Necessity, b: Necessity) -> Necessity {
    let rank = |n| match n {
        Necessity::Required => 2,
        Necessity::Deferrable => 1,
        Necessity::Optional => 0,
    };
    if rank(b) > rank(a) { b } else { a }
}

fn form_rank(f: MaterialForm) -> u8 {
    match f {
        MaterialForm::Original => 1,
        MaterialForm::CopyCheckedAgainstOriginal => 0,
        MaterialForm::OriginalAndCopy => 2,
    }
}

/// Merges the members' scenarios into one form and one material set.
pub fn plan(members: &[Member<'_>]) -> BundlePlan {
    let mut issued_materials: BTreeMap<&str, usize> = BTreeMap::new();
    let mut issued_fields: BTreeMap<&str, usize> = BTreeMap::new();
    let mut out = BundlePlan::default();
    let mut material_at: BTreeMap<String, usize> = BTreeMap::new();
    let mut field_at: BTreeMap<String, usize> = BTreeMap::new();
    for (m, member) in members.iter().enumerate() {
        for (slot, req) in member.scenario.materials.iter().enumerate() {
            let produced_by = issued_materials.get(req.name.as_str()).copied();
            match material_at.get(&req.name) {
                Some(&i) => {
                    let bm = &mut out.materials[i];
                    bm.used_by.push((m, slot));
                    let r = &mut bm.requirement;
                    r.necessity = stronger(r.necessity, req.necessity);
                    r.copies = r.copies.max(req.copies);
                    if form_rank(req.form) > form_rank(r.form) {
                        r.form = req.form;
                    }
                    // A licence or a pledge stands in only where every member accepts it.
                    if r.e_licence != req.e_licence {
                        r.e_licence = None;
                    }
                    r.pledge_allowed &= req.pledge_allowed;
                    if bm.produced_by.is_none() {
                        bm.produced_by = produced_by;
                    }
                }
                None => {
                    material_at.insert(req.name.clone(), out.materials.len());
                    out.materials.push(BundleMaterial {
                        requirement: req.clone(),
                        used_by: vec![(m, slot)],
                        produced_by,
                    });
                }
            }
        }
        for f in &member.scenario.fields {
            let produced_by = issued_fields.get(f.key.as_str()).copied();
            match field_at.get(&f.key) {
                Some(&i) => {
                    let bf = &mut out.fields[i];
                    bf.used_by.push(m);
                    bf.def.required |= f.required;
                    if bf.produced_by.is_none() {
                        bf.produced_by = produced_by;
                    }
                }
                None => {
                    field_at.insert(f.key.clone(), out.fields.len());
                    out.fields.push(BundleField {
                        def: f.clone(),
                        used_by: vec![m],
                        produced_by,
                    });
                }
            }
        }
        if let Some((_, materials, fields)) = ISSUED_BY_ITEM
            .iter()
            .find(|(code, ..)| *code == member.item.code)
        {
            for name in *materials {
                issued_materials.entry(name).or_insert(m);
            }
            for key in *fields {
                issued_fields.entry(key).or_insert(m);
            }
        }
    }
    // A material or field issued by an earlier member stays produced even if the issuing
    // member also listed it first (it cannot ask for its own result).
    for bm in &mut out.materials {
        if bm.produced_by.is_none()
            && let Some(&p) = issued_materials.get(bm.requirement.name.as_str())
            && bm.used_by.iter().all(|&(m, _)| m > p)
        {
            bm.produced_by = Some(p);
        }
    }
    for bf in &mut out.fields {
        if bf.produced_by.is_none()
            && let Some(&p) = issued_fields.get(bf.def.key.as_str())
            && bf.used_by.iter().all(|&m| m > p)
        {
            bf.produced_by = Some(p);
        }
    }
    out
}

fn status_rank(s: MaterialStatus) -> u8 {
    match s {
        MaterialStatus::Missing => 6,
        MaterialStatus::Deferred => 5,
        MaterialStatus::Provided => 4,
        MaterialStatus::Pledged => 3,
        MaterialStatus::ELicence => 2,
        MaterialStatus::Produced => 1,
        MaterialStatus::NotNeeded => 0,
    }
}

/// Pre-review of the whole bundle: each member reviewed on its own scenario, findings mapped to
/// the bundle's material positions and said once.
/// `common` carries the form, applicant, e-licences, today and overrides; its `attached` and
/// `pledged` are by bundle material position.
pub fn prereview_bundle(
    plan: &BundlePlan,
    members: &[Member<'_>],
    common: &PreReviewInput<'_>,
) -> PreReview {
    let mut statuses = vec![MaterialStatus::NotNeeded; plan.materials.len()];
    let mut findings: Vec<Finding> = Vec::new();
    let mut seen = BTreeSet::new();
    for (m, member) in members.iter().enumerate() {
        let mut to_bundle = BTreeMap::new();
        let mut input = PreReviewInput {
            scenario: Some(member.scenario),
            applicant: common.applicant,
            form: common.form.clone(),
            elicences: common.elicences.clone(),
            today: common.today,
            ..Default::default()
        };
        for (b, bm) in plan.materials.iter().enumerate() {
            for &(_, slot) in bm.used_by.iter().filter(|(mm, _)| *mm == m) {
                to_bundle.insert(slot, b);
                if let Some(&n) = common.attached.get(&b) {
                    input.attached.insert(slot, n);
                }
                if common.pledged.contains(&b) {
                    input.pledged.insert(slot);
                }
                if bm.produced_by.is_some_and(|p| p < m) {
                    input.produced_materials.insert(slot);
                }
            }
        }
        input.produced_fields = plan
            .fields
            .iter()
            .filter(|f| f.produced_by.is_some_and(|p| p < m))
            .map(|f| f.def.key.clone())
            .collect();
        let review = prereview(&input);
        for (slot, status) in review.materials.iter().enumerate() {
            let b = to_bundle[&slot];
            if status_rank(*status) > status_rank(statuses[b]) {
                statuses[b] = *status;
            }
        }
        for mut f in review.findings {
            if let Some(slot) = f.target.strip_prefix("material:") {
                let b = slot.parse::<usize>().ok().and_then(|s| to_bundle.get(&s));
                if let Some(b) = b {
                    f.target = format!("material:{b}");
                }
            }
            if seen.insert(f.key()) {
                f.overridden = None;
                if let Some(reason) = common.overrides.get(&f.key())
                    && f.severity == crate::prereview::Severity::Blocking
                    && !reason.trim().is_empty()
                {
                    f.overridden = Some(reason.trim().to_string());
                }
                findings.push(f);
            }
        }
    }
    findings.sort_by_key(|f| f.severity);
    PreReview {
        materials: statuses,
        findings,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Catalog;
    use crate::catalog::Bundle;

    fn catalog() -> Catalog {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../demo/catalog-sample.json"
        ))
        .unwrap();
        Catalog::from_json_str(&text).unwrap()
    }

    fn members<'a>(cat: &'a Catalog, bundle: &Bundle) -> Vec<Member<'a>> {
        bundle
            .items
            .iter()
            .map(|code| {
                let item = cat.items.iter().find(|i| &i.code == code).unwrap();
                // The newborn's own scenario where an item has several.
                let scenario = item
                    .scenarios
                    .iter()
                    .find(|s| s.name.contains("新生儿"))
                    .unwrap_or(&item.scenarios[0]);
                Member { item, scenario }
            })
            .collect()
    }

    #[test]
    fn newborn_bundle_asks_once_and_not_for_what_it_issues() {
        let cat = catalog();
        let bundle = cat
            .bundles
            .iter()
            .find(|b| b.name == "新生儿出生一件事")
            .unwrap();
        let ms = members(&cat, bundle);
        let p = plan(&ms);

        // One form: each key once.
        let keys: Vec<&str> = p.fields.iter().map(|f| f.def.key.as_str()).collect();
        let unique: BTreeSet<&str> = keys.iter().copied().collect();
        assert_eq!(keys.len(), unique.len());
        let field = |k: &str| p.fields.iter().find(|f| f.def.key == k).unwrap();
        assert_eq!(field("baby_name").used_by.len(), 5);
        // The newborn's ID number comes from 出生登记 (member 2), so later members do not ask it.
        assert_eq!(field("baby_id").produced_by, Some(2));
        assert_eq!(field("mother_id").produced_by, None);

        // One material set: 出生医学证明 once, issued by member 0.
        let cert: Vec<_> = p
            .materials
            .iter()
            .filter(|m| m.requirement.name == "出生医学证明")
            .collect();
        assert_eq!(cert.len(), 1);
        assert_eq!(cert[0].produced_by, Some(0));
        assert!(cert[0].used_by.len() >= 3);

        let today = "2026-11-27".parse().unwrap();
        let review = prereview_bundle(
            &p,
            &ms,
            &PreReviewInput {
                today: Some(today),
                ..Default::default()
            },
        );
        assert!(!review.findings.iter().any(|f| f.target == "field:baby_id"));
        let cert_at = p
            .materials
            .iter()
            .position(|m| m.requirement.name == "出生医学证明")
            .unwrap();
        assert_eq!(review.materials[cert_at], MaterialStatus::Produced);
        // Each problem is said once, not once per member.
        let keys: Vec<String> = review.findings.iter().map(Finding::key).collect();
        let unique: BTreeSet<&String> = keys.iter().collect();
        assert_eq!(keys.len(), unique.len());
        assert!(
            review
                .findings
                .iter()
                .any(|f| f.target == "field:mother_id")
        );
    }

    #[test]
    fn attaching_once_satisfies_every_member() {
        let cat = catalog();
        let bundle = cat
            .bundles
            .iter()
            .find(|b| b.name == "新生儿出生一件事")
            .unwrap();
        let ms = members(&cat, bundle);
        let p = plan(&ms);
        let parents_id = p
            .materials
            .iter()
            .position(|m| m.requirement.name == "新生儿父母居民身份证")
            .unwrap();
        let review = prereview_bundle(
            &p,
            &ms,
            &PreReviewInput {
                attached: [(parents_id, 1)].into(),
                today: Some("2026-11-27".parse().unwrap()),
                ..Default::default()
            },
        );
        assert_eq!(review.materials[parents_id], MaterialStatus::Provided);
        assert!(
            !review
                .findings
                .iter()
                .any(|f| f.target == format!("material:{parents_id}"))
        );
    }
}
