//! The case screen's view of a case (`CaseView`) and the lists around it, masked outside the
//! draft.

use super::*;

pub(super) fn status_label(s: MaterialStatus) -> &'static str {
    match s {
        MaterialStatus::Provided => "已收",
        MaterialStatus::ELicence => "免提交（电子证照）",
        MaterialStatus::Produced => "由本件事产生",
        MaterialStatus::Pledged => "告知承诺",
        MaterialStatus::Deferred => "容缺",
        MaterialStatus::Missing => "缺",
        MaterialStatus::NotNeeded => "无需提交",
    }
}

pub(super) fn file_view(intake: &IntakeConfig, a: &Attachment) -> dto::FileView {
    let thumbnail = intake.read_thumbnail(&a.sha256).map(|b| data_url(&b));
    dto::FileView {
        sha256: a.sha256.clone(),
        name: a.original_name.clone(),
        kind: dto::FileKind::from_stored(&a.kind),
        size_label: size_label(a.size),
        pages: a.pages,
        thumbnail,
    }
}

pub(super) fn follow_up_view(
    f: &FollowUp,
    item_name: String,
    today: NaiveDate,
) -> dto::FollowUpView {
    dto::FollowUpView {
        id: f.id,
        case_id: f.case_id.clone(),
        case_number: f.case_number.clone(),
        item_name,
        kind: f.kind,
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

pub(super) fn data_url(png: &[u8]) -> String {
    format!(
        "data:image/png;base64,{}",
        base64::engine::general_purpose::STANDARD.encode(png)
    )
}

pub(super) fn size_label(bytes: u64) -> String {
    if bytes >= 1_000_000 {
        format!("{:.1} MB", bytes as f64 / 1e6)
    } else {
        format!("{} KB", bytes.div_ceil(1000))
    }
}

/// A stored RFC 3339 time as the window reads it: China time, to the minute.
pub(super) fn china_time(at: &str) -> String {
    DateTime::parse_from_rfc3339(at)
        .map(|t| {
            t.with_timezone(&FixedOffset::east_opt(CHINA).expect("valid offset"))
                .format("%Y-%m-%d %H:%M")
                .to_string()
        })
        .unwrap_or_else(|_| at.to_string())
}

impl Cases {
    pub(super) fn case_view(
        &self,
        case_id: &str,
        flash: Option<Flash>,
    ) -> Result<CaseView, AppError> {
        let revision = self.intake.revision();
        let ctx = self.ctx(case_id)?;
        let today = self.today();
        let intake = &self.intake.config();
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
                let status = ctx.material_status(i);
                let label = status_label(status);
                dto::MaterialSlotView {
                    slot: i as u32,
                    name: m.name.clone(),
                    form_label: m.form.label().into(),
                    copies: m.copies,
                    necessity_label: m.necessity.label().into(),
                    e_licence: m.e_licence.clone(),
                    pledge_allowed: m.pledge_allowed,
                    pledged: pledged.contains(&i),
                    status,
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
                field_type: f.field_type,
                required: f.required,
                choices: f.choices.clone(),
                value: {
                    let v = ctx.form.get(&f.key).cloned().unwrap_or_default();
                    // Outside the draft nobody is typing: ID numbers, phones and addresses
                    // in the form are masked too.
                    match f.field_type {
                        _ if editable || v.is_empty() => v,
                        onewindow_domain::FieldType::IdNumber => mask::number(&v),
                        onewindow_domain::FieldType::Phone => mask::phone(&v),
                        onewindow_domain::FieldType::Text if mask::is_address_field(&f.label) => {
                            mask::address(&v)
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
                severity: f.severity,
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
                state: dto::ELicenceState::Found,
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
                state: dto::ELicenceState::None,
                message: "电子证照库中没有该申请人的证照，请收取纸质材料".into(),
                licences: vec![],
            },
            None if !editable => dto::ELicenceView {
                state: dto::ELicenceState::NotKept,
                message: "办件已离开受理环节，电子证照查询结果不再保留".into(),
                licences: vec![],
            },
            None => {
                let st = self.elicence_errors.relock().get(&ctx.case.id).cloned();
                match st {
                    Some(msg) => dto::ELicenceView {
                        state: dto::ELicenceState::Offline,
                        message: msg,
                        licences: vec![],
                    },
                    None => dto::ELicenceView {
                        state: dto::ELicenceState::NotLookedUp,
                        message: "登记申请人证件号码后自动查询电子证照".into(),
                        licences: vec![],
                    },
                }
            }
        };
        let item_names: BTreeMap<String, String> = self.cache.with_store(|s| {
            let mut m = BTreeMap::new();
            m.insert(ctx.case.item_code.clone(), ctx.title.clone());
            for f in s.case_follow_ups(&ctx.case.id)? {
                m.entry(f.item_code.clone()).or_insert_with(String::new);
            }
            Ok(m)
        })?;
        let follow_ups = self
            .cache
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
        let docs_dir = self.intake.documents_dir();
        let documents = self
            .cache
            .with_store(|s| s.documents(&ctx.case.id))?
            .into_iter()
            .filter_map(|d| {
                let Some(kind) = dto::DocumentKind::parse(&d.kind) else {
                    tracing::warn!(kind = %d.kind, "archived document of an unknown kind not listed");
                    return None;
                };
                Some(dto::DocumentView {
                    id: d.id,
                    title: kind.title().into(),
                    path: docs_dir.join(&d.file).display().to_string(),
                    kind,
                    created_at: d.created_at,
                })
            })
            .collect();
        let events = self
            .cache
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
            .cache
            .with_store(|s| s.waiting_scans())?
            .into_iter()
            .map(|w| dto::WaitingScanView {
                id: w.id,
                thumbnail: self
                    .intake
                    .config()
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
        let on_screen = self.intake.on_screen(&ctx.case.id);
        let (scan_target, selected_slot, quarantined, held_scans) = (
            on_screen.target,
            on_screen.slot,
            on_screen.quarantined,
            on_screen.held,
        );
        let helper_choices = if editable {
            self.cache
                .with_store(|s| s.centre_scope())?
                .map(|s| s.helpers)
                .unwrap_or_default()
        } else {
            vec![]
        };
        let (promised_date, calendar_note) = if editable {
            // 暂停计时: reopened after a return, only the days left are counted.
            let used = self.cache.with_store(|s| s.clock_used(&ctx.case.id))?;
            let (d, note) = self.promised(today, ctx.promised_days.saturating_sub(used))?;
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
            if applicant.kind == ApplicantKind::Person {
                applicant.number = mask::number(&applicant.number);
            }
            if !applicant.agent_id_number.is_empty() {
                applicant.agent_id_number = mask::number(&applicant.agent_id_number);
            }
            applicant.phone = mask::phone(&applicant.phone);
            applicant.agent_phone = mask::phone(&applicant.agent_phone);
            applicant.address = mask::address(&applicant.address);
        }
        Ok(CaseView {
            helper_choices,
            id: ctx.case.id.clone(),
            number: ctx.case.number.clone(),
            state: ctx.case.state,
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
                    let status = ctx.material_status(i);
                    let label = status_label(status);
                    dto::ApplicantMaterial {
                        name: m.name.clone(),
                        status,
                        status_label: label.into(),
                    }
                })
                .collect(),
        })
    }

    pub fn open_case(&self, case_id: &str) -> Result<CaseView, AppError> {
        let view = self.case_view(case_id, None)?;
        self.session
            .audit_required("view", &view.number, "ok", None)?;
        // Scans go to a case on screen only while it can take them: a draft, or an accepted
        // case whose 容缺 materials are still owed.
        if view.editable
            || (view.state == CaseState::Accepted
                && view
                    .follow_ups
                    .iter()
                    .any(|f| f.done_at.is_none() && f.kind == FollowUpKind::DeferredMaterial))
        {
            self.intake.focus(&view.id);
        } else {
            self.intake.unfocus_all();
        }
        self.case_view(&view.id, None)
    }

    /// The case again if anything changed since `revision` (scans arriving), else `None`.
    pub fn poll_case(&self, case_id: &str, revision: u64) -> Result<Option<CaseView>, AppError> {
        if self.intake.revision() == revision {
            return Ok(None);
        }
        self.case_view(case_id, None).map(Some)
    }

    pub fn recent_cases(&self) -> Result<Vec<CaseSummary>, AppError> {
        let rows = self.cache.with_store(|s| s.recent_cases(50))?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let (applicant, _) = self.cache.with_store(|s| s.intake(&r.id))?;
            let title = self.cache.with_store(|s| {
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

    /// The follow-up work list supervisors see: pledges to verify, 容缺 materials owed.
    pub fn follow_ups(&self, open_only: bool) -> Result<Vec<dto::FollowUpView>, AppError> {
        let today = self.today();
        let list = self.cache.with_store(|s| s.follow_ups(open_only))?;
        let mut names: BTreeMap<String, String> = BTreeMap::new();
        for f in &list {
            if !names.contains_key(&f.item_code) {
                let n = self.cache.with_store(|s| {
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
}
