//! What the window knows of one case at a time (`CaseCtx`): the case, its item and scenario,
//! the applicant, materials, files, decisions and the pre-review, read in one go.

use super::*;
use crate::error::ErrorCode;

/// A case with everything pre-review and the screen need.
pub(super) struct CaseCtx {
    pub(super) case: CaseRow,
    pub(super) title: String,
    pub(super) agency: String,
    pub(super) phone: String,
    pub(super) promised_days: u32,
    /// 容缺 materials are due this many working days after acceptance (the item's, else the
    /// default; for a 一件事 the shortest of its members').
    pub(super) deferred_days: u32,
    /// 告知承诺 checks are due this many working days after acceptance (likewise).
    pub(super) pledge_days: u32,
    /// Single case: the item's scenarios.
    pub(super) scenarios: Vec<dto::ScenarioChoice>,
    pub(super) scenario: Option<Scenario>,
    /// 一件事: members with their items and chosen scenarios.
    pub(super) members: Vec<(CaseRow, ServiceItem, Scenario)>,
    pub(super) plan: Option<BundlePlan>,
    pub(super) materials: Vec<MaterialRequirement>,
    pub(super) material_producer: Vec<Option<String>>,
    pub(super) fields: Vec<FieldDef>,
    pub(super) field_producer: Vec<Option<String>>,
    pub(super) applicant: Option<Applicant>,
    pub(super) form: BTreeMap<String, String>,
    pub(super) attachments: Vec<Attachment>,
    pub(super) pledges: Vec<(usize, String)>,
    pub(super) overrides: BTreeMap<String, String>,
    pub(super) elicences: Option<(String, Vec<LicenceRecord>, String)>,
    pub(super) review: PreReview,
}

impl CaseCtx {
    /// Where material `i` stands after pre-review (`NotNeeded` past the review's list).
    pub(super) fn material_status(&self, i: usize) -> MaterialStatus {
        self.review
            .materials
            .get(i)
            .copied()
            .unwrap_or(MaterialStatus::NotNeeded)
    }

    pub(super) fn applicant_line(&self) -> String {
        match &self.applicant {
            Some(a) => {
                let number = match a.kind {
                    ApplicantKind::Person => mask::number(&a.number),
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
pub(super) fn holder_of(a: &Applicant, today: NaiveDate) -> Option<String> {
    match a.kind {
        ApplicantKind::Person => IdNumber::parse(&a.number, today)
            .ok()
            .map(|n| n.as_str().to_string()),
        ApplicantKind::Organisation => CreditCode::parse(&a.number)
            .ok()
            .map(|c| c.as_str().to_string()),
    }
}

pub(super) fn pick_scenario<'a>(item: &'a ServiceItem, code: Option<&str>) -> Option<&'a Scenario> {
    code.and_then(|c| item.scenarios.iter().find(|s| s.code == c))
}

/// For a bundle member without a chosen scenario: the one whose name shares the most with the
/// bundle's name (新生儿出生一件事 → 新生儿首次申领), else the first.
pub(super) fn default_member_scenario(item: &ServiceItem, bundle_name: &str) -> Option<String> {
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

pub(super) fn load_ctx(
    store: &Store,
    case_id: &str,
    today: NaiveDate,
) -> Result<CaseCtx, StoreError> {
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
        deferred_days: DEFERRED_DUE_WORKING_DAYS,
        pledge_days: PLEDGE_CHECK_WORKING_DAYS,
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
        ctx.deferred_days = item
            .deferred_due_working_days
            .unwrap_or(DEFERRED_DUE_WORKING_DAYS);
        ctx.pledge_days = item
            .pledge_check_working_days
            .unwrap_or(PLEDGE_CHECK_WORKING_DAYS);
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
        ctx.deferred_days = members
            .iter()
            .map(|m| {
                m.1.deferred_due_working_days
                    .unwrap_or(DEFERRED_DUE_WORKING_DAYS)
            })
            .min()
            .unwrap_or(DEFERRED_DUE_WORKING_DAYS);
        ctx.pledge_days = members
            .iter()
            .map(|m| {
                m.1.pledge_check_working_days
                    .unwrap_or(PLEDGE_CHECK_WORKING_DAYS)
            })
            .min()
            .unwrap_or(PLEDGE_CHECK_WORKING_DAYS);
        ctx.plan = Some(plan);
        ctx.members = members;
    }
    Ok(ctx)
}

/// Fails unless the case is still exactly what the clerk reviewed (no scan, edit or second
/// window changed it in between); called under the store lock right before a decision.
pub(super) fn unchanged(s: &Store, ctx: &CaseCtx, today: NaiveDate) -> Result<(), StoreError> {
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

impl Cases {
    pub(super) fn ctx(&self, case_id: &str) -> Result<CaseCtx, AppError> {
        let today = self.today();
        self.cache.with_store(|s| load_ctx(s, case_id, today))
    }

    pub(super) fn editable_ctx(&self, case_id: &str, what: &str) -> Result<CaseCtx, AppError> {
        let ctx = self.ctx(case_id)?;
        if ctx.case.state != CaseState::Draft {
            return Err(bad(
                ErrorCode::CaseTransition,
                format!("办件当前为“{}”，不能再{what}", ctx.case.state.label()),
            ));
        }
        Ok(ctx)
    }

    /// Promised completion: `days` working days after `from` by the pulled holiday calendar.
    pub(super) fn promised(
        &self,
        from: NaiveDate,
        days: u32,
    ) -> Result<(NaiveDate, Option<String>), AppError> {
        let calendar = self.cache.with_store(|s| s.calendar())?;
        let (date, basis) = calendar.add_working_days(from, days);
        let note = (basis == CalendarBasis::WeekdaysOnly).then(|| {
            "中心尚未发布所涉年度的节假日安排，工作日按周一至周五计算，如遇法定节假日顺延"
                .to_string()
        });
        Ok((date, note))
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
}
