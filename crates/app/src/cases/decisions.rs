//! The case's decisions at the window: a new case, the one-time notice, acceptance with its
//! hand-off, refusal, withdrawal, delivery and the follow-ups.

use super::*;
use crate::error::ErrorCode;

impl Cases {
    pub fn new_case(&self, req: &dto::NewCaseRequest) -> Result<CaseView, AppError> {
        let today = self.today();
        let who = self.actor();
        let id =
            match (&req.item_code, &req.bundle_code) {
                (Some(code), None) => {
                    let item = self.cache.with_store(|s| s.item(code))?.ok_or_else(|| {
                        bad(ErrorCode::NotFound, format!("目录中没有事项 {code}"))
                    })?;
                    if item.scenarios.is_empty() {
                        return Err(bad(
                            ErrorCode::NotALeaf,
                            format!("「{}」下还有子项，请选择具体的办理项再受理", item.name),
                        ));
                    }
                    let scenario = match &req.scenario_code {
                        Some(c) if item.scenarios.iter().any(|s| &s.code == c) => Some(c.clone()),
                        Some(c) => {
                            return Err(bad(
                                ErrorCode::BadScenario,
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
                    self.cache
                        .with_store_mut(|s| s.create_case(&new, &who, self.config.now()))?
                        .id
                }
                (None, Some(code)) => {
                    let b = self.cache.with_store(|s| s.bundle(code))?.ok_or_else(|| {
                        bad(ErrorCode::NotFound, format!("目录中没有一件事 {code}"))
                    })?;
                    let mut members = Vec::new();
                    for ic in &b.items {
                        let item = self.cache.with_store(|s| s.item(ic))?.ok_or_else(|| {
                            bad(
                                ErrorCode::NotFound,
                                format!("一件事「{}」的事项 {ic} 不在目录中", b.name),
                            )
                        })?;
                        members.push(NewCase {
                            item_code: ic.clone(),
                            scenario_code: default_member_scenario(&item, &b.name),
                            local_date: today,
                        });
                    }
                    self.cache
                        .with_store_mut(|s| {
                            s.create_bundle_case(&b.code, &members, &who, self.config.now())
                        })?
                        .0
                        .id
                }
                _ => return Err(bad(ErrorCode::BadRequest, "请选择一个事项或一件事")),
            };
        tracing::info!(case = %id, "case created");
        self.intake.focus(&id);
        self.intake.bump();
        self.case_view(&id, None)
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
                ErrorCode::NothingToCorrect,
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
            window: format!("{} 号综合受理窗口", self.session.desk_code()),
            phone: ctx.phone.clone(),
        };
        let kind = "one_time_notice";
        let pdf = self.render(kind, |f| notice.render(f))?;
        let (rel, sha) = self.intake.write_archive(&ctx.case.number, kind, &pdf)?;
        let who = self.actor();
        let today = self.today();
        let ticket = self.queue.serving_ticket_id();
        self.cache.with_store_mut(|s| {
            unchanged(s, &ctx, today)?;
            s.notify_correction(
                &ctx.case.id,
                &who,
                self.config.now(),
                &items.join("；"),
                ticket.as_deref(),
            )?;
            s.record_document(&ctx.case.id, kind, &rel, &sha, &who, self.config.now())
        })?;
        self.intake.unfocus(&ctx.case.id);
        self.intake.bump();
        let flash = self.print(&pdf, &rel, kind);
        self.case_view(&ctx.case.id, Some(flash))
    }

    /// An item this desk's centre does not accept (a town's, a village's list) is refused
    /// with the centres that accept it, nearest first; the clerk may still read its guide and
    /// give a one-time notice.
    fn refuse_outside_centre(&self, ctx: &super::context::CaseCtx) -> Result<(), AppError> {
        let Some(scope) = self.cache.with_store(|s| s.centre_scope())? else {
            return Ok(());
        };
        let items: Vec<(&str, &str)> = if ctx.members.is_empty() {
            vec![(ctx.case.item_code.as_str(), ctx.title.as_str())]
        } else {
            ctx.members
                .iter()
                .map(|(_, item, _)| (item.code.as_str(), item.name.as_str()))
                .collect()
        };
        match items.iter().find(|(code, _)| !scope.accepts(code)) {
            Some((code, name)) => {
                tracing::info!(item = %code, "acceptance refused: not accepted at this centre");
                Err(bad(ErrorCode::NotAcceptedHere, scope.refusal(name, code)))
            }
            None => Ok(()),
        }
    }

    /// Back to work at the window after a notice or a return: same number, same materials.
    pub fn reopen_case(&self, case_id: &str) -> Result<CaseView, AppError> {
        let who = self.actor();
        let ctx = self.ctx(case_id)?;
        self.cache.with_store_mut(|s| {
            s.transition(
                &ctx.case.id,
                CaseAction::Reopen,
                &who,
                self.config.now(),
                None,
            )
        })?;
        self.intake.focus(&ctx.case.id);
        self.intake.bump();
        self.case_view(&ctx.case.id, None)
    }

    pub fn accept_case(&self, case_id: &str) -> Result<CaseView, AppError> {
        let ctx = self.editable_ctx(case_id, "受理")?;
        self.refuse_outside_centre(&ctx)?;
        if !ctx.review.can_accept() {
            let what: Vec<String> = ctx
                .review
                .findings
                .iter()
                .filter(|f| f.blocks())
                .map(|f| f.message_zh.clone())
                .collect();
            return Err(bad(
                ErrorCode::CannotAccept,
                format!("还不能受理：{}", what.join("；")),
            ));
        }
        let today = self.today();
        let (deferred_due, _) = self.promised(today, ctx.deferred_days)?;
        let (check_by, _) = self.promised(today, ctx.pledge_days)?;
        // 暂停计时: accepted again after a return, the days already used are not given again.
        let used = self.cache.with_store(|s| s.clock_used(&ctx.case.id))?;
        let (promised_date, calendar_note) =
            self.promised(today, ctx.promised_days.saturating_sub(used))?;
        let mut follow_ups = Vec::new();
        let mut received = Vec::new();
        let mut deferred = Vec::new();
        for (i, m) in ctx.materials.iter().enumerate() {
            let status = ctx.material_status(i);
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
        // The receipt's query code: random, 65 bits, sent with the hand-off for the hub to keep.
        // Phones reach the hub at its public address when it announces one.
        let public_url = self
            .cache
            .with_store(|s| s.hub_public_url())
            .ok()
            .flatten()
            .unwrap_or_else(|| self.config.hub_url.clone());
        let query_code = new_query_code();
        let common = ops::HandOffDetail {
            applicant: ctx.applicant.clone(),
            form: ctx.form.clone(),
            findings,
            pledges: ctx.pledges.iter().map(|p| p.1.clone()).collect(),
            open_items: deferred.clone(),
            promised_date: Some(promised_date),
            attachments: vec![],
            query_code: Some(query_code.clone()),
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
            qr_payload: format!("{}/progress?case={}", public_url, ctx.case.number),
            query_code,
            window: format!("{} 号综合受理窗口", self.session.desk_code()),
            phone: ctx.phone.clone(),
        };
        // The receipt exists before the case is accepted: a render failure changes nothing.
        let kind = "acceptance_receipt";
        let pdf = self.render(kind, |f| receipt.render(f))?;
        let (rel, sha) = self.intake.write_archive(&ctx.case.number, kind, &pdf)?;
        let who = self.actor();
        let row = self.cache.with_store_mut(|s| {
            // What was reviewed is what is accepted: nothing changed since it was read.
            unchanged(s, &ctx, today)?;
            let row = s.accept(
                &ctx.case.id,
                &who,
                self.config.now(),
                &follow_ups,
                &hand_offs,
            )?;
            s.start_clock(&ctx.case.id, today)?;
            s.record_document(&ctx.case.id, kind, &rel, &sha, &who, self.config.now())?;
            Ok(row)
        })?;
        tracing::info!(case = %row.number, "case accepted");
        self.queue.link_ticket_to_case(&row.number);
        self.intake.unfocus(&ctx.case.id);
        self.intake.bump();
        let flash = self.print(&pdf, &rel, kind);
        self.case_view(&ctx.case.id, Some(flash))
    }

    /// 不予受理: the reason and its legal basis are both required.
    /// 不予受理 at the window is a request (窗口无否决权): the case waits for the centre's
    /// supervisor with the reason and the legal basis, and the hub is told; nothing is printed
    /// until the refusal is confirmed.
    pub fn refuse_case(
        &self,
        case_id: &str,
        reason: &str,
        basis: &str,
    ) -> Result<CaseView, AppError> {
        let ctx = self.editable_ctx(case_id, "申请不予受理")?;
        let (reason, basis) = (reason.trim(), basis.trim());
        if reason.chars().count() < 4 {
            return Err(bad(
                ErrorCode::ReasonRequired,
                "请写明不予受理的理由（至少 4 个字）",
            ));
        }
        if basis.chars().count() < 4 {
            return Err(bad(ErrorCode::BasisRequired, "请写明不予受理的法律依据"));
        }
        let who = self.actor();
        let now = self.config.now();
        let applicant_masked = ctx.applicant.as_ref().map_or_else(String::new, |a| {
            format!(
                "{} {}",
                onewindow_domain::mask::name(&a.name),
                onewindow_domain::mask::number(&a.number)
            )
        });
        let report = onewindow_proto::ops::OpBody::RefusalRequested(
            onewindow_proto::ops::RefusalRequested {
                case_id: ctx.case.id.clone(),
                number: ctx.case.number.clone(),
                item_code: ctx.case.item_code.clone(),
                reason: reason.into(),
                basis: basis.into(),
                applicant_masked,
                by: who.user.clone(),
                desk: who.desk.clone(),
                at: now,
            },
        );
        self.cache.with_store_mut(|s| {
            s.transition_reported(
                &ctx.case.id,
                CaseAction::RequestRefusal,
                &who,
                now,
                Some(&refusal_reason(reason, basis)),
                std::slice::from_ref(&report),
            )
        })?;
        tracing::info!(case = %ctx.case.number, "refusal requested");
        self.intake.unfocus(&ctx.case.id);
        self.intake.bump();
        self.case_view(
            &ctx.case.id,
            Some(Flash {
                ok: true,
                text: "已提交不予受理申请，待本中心主管确认；确认后打印不予受理通知书".into(),
            }),
        )
    }

    /// A supervisor signed in at this desk (online, or offline by taking over the clerk's
    /// session) answers a refusal request of this desk: confirmed, the notice is printed as
    /// before; sent back, the case is the clerk's again (草稿) with the note. The hub is told.
    pub fn answer_refusal(
        &self,
        case_id: &str,
        confirm: bool,
        note: &str,
    ) -> Result<CaseView, AppError> {
        if self.session.user().is_none_or(|u| u.role != "supervisor") {
            return Err(bad(
                ErrorCode::SupervisorRequired,
                "只有本中心主管可以确认或退回不予受理申请；请主管在锁屏界面接管登录后操作",
            ));
        }
        let ctx = self.ctx(case_id)?;
        if ctx.case.state != CaseState::RefusalRequested {
            return Err(bad(
                ErrorCode::CaseTransition,
                format!(
                    "办件当前为“{}”，没有待确认的不予受理申请",
                    ctx.case.state.label()
                ),
            ));
        }
        let note = note.trim();
        if !confirm && note.chars().count() < 2 {
            return Err(bad(ErrorCode::ReasonRequired, "退回时请写明意见"));
        }
        let who = self.actor();
        // Never the one who asked; and, once the hub has named them, one of this centre's staff.
        let asked_by = self
            .cache
            .with_store(|s| s.case_events(case_id))?
            .into_iter()
            .rev()
            .find(|e| e.action == Some(CaseAction::RequestRefusal))
            .map(|e| e.actor);
        let staff = self
            .cache
            .with_store(|s| s.centre_scope())?
            .map(|s| s.helpers)
            .unwrap_or_default();
        if asked_by.as_deref() == Some(who.user.as_str())
            || (!staff.is_empty() && !staff.contains(&who.user))
        {
            return Err(bad(
                ErrorCode::SupervisorRequired,
                "须由本中心另一位主管答复，申请人本人不能答复自己的不予受理申请",
            ));
        }
        let now = self.config.now();
        let report =
            onewindow_proto::ops::OpBody::RefusalAnswered(onewindow_proto::ops::RefusalAnswered {
                case_id: ctx.case.id.clone(),
                number: ctx.case.number.clone(),
                confirmed: confirm,
                note: note.into(),
                by: who.user.clone(),
                at: now,
            });
        let (action, reason) = if confirm {
            (CaseAction::ConfirmRefusal, None)
        } else {
            (CaseAction::SendBackRefusal, Some(note))
        };
        self.cache.with_store_mut(|s| {
            s.transition_reported(
                &ctx.case.id,
                action,
                &who,
                now,
                reason,
                std::slice::from_ref(&report),
            )
        })?;
        tracing::info!(case = %ctx.case.number, confirm, "refusal request answered at the desk");
        self.intake.bump();
        let flash = if confirm {
            self.print_refusal_notice(&ctx.case.id)?
        } else {
            Flash {
                ok: true,
                text: "已退回窗口继续办理".into(),
            }
        };
        self.case_view(&ctx.case.id, Some(flash))
    }

    /// 办不成事: the applicant's unresolved matter on this case (its item), with a contact and
    /// what was tried, for the centre's supervisor to own; it reaches the hub through the
    /// outbox (offline too).
    pub fn record_unresolved(
        &self,
        case_id: &str,
        who: &str,
        contact: &str,
        tried: &str,
    ) -> Result<CaseView, AppError> {
        let ctx = self.ctx(case_id)?;
        let len = |s: &str| s.trim().chars().count();
        if !(1..=30).contains(&len(who)) {
            return Err(bad(ErrorCode::ReasonRequired, "请填写办事人姓名"));
        }
        if !(5..=40).contains(&len(contact)) {
            return Err(bad(
                ErrorCode::ReasonRequired,
                "请填写办事人的联系电话或其他联系方式",
            ));
        }
        if !(4..=500).contains(&len(tried)) {
            return Err(bad(
                ErrorCode::ReasonRequired,
                "请写明办事人的诉求和已尝试过什么（至少 4 个字）",
            ));
        }
        let actor = self.actor();
        let now = self.config.now();
        let report = onewindow_proto::ops::OpBody::UnresolvedRecorded(
            onewindow_proto::ops::UnresolvedRecorded {
                id: onewindow_store::cases::uuid_v7(now),
                who: who.trim().into(),
                contact: contact.trim().into(),
                item_code: (ctx.members.is_empty()).then(|| ctx.case.item_code.clone()),
                item_text: ctx.title.clone(),
                tried: tried.trim().into(),
                by: actor.user.clone(),
                desk: actor.desk.clone(),
                at: now,
            },
        );
        self.cache
            .with_store_mut(|s| s.queue_report(&report, now))?;
        tracing::info!(case = %ctx.case.number, "unresolved matter recorded");
        self.case_view(
            case_id,
            Some(Flash {
                ok: true,
                text: "已登记办不成事，本中心主管将跟进并回复办事人".into(),
            }),
        )
    }

    /// Prints the notice of every refusal the centre's supervisor confirmed that has none yet
    /// (an answer from the hub arrives on the results stream). Returns how many.
    pub fn print_confirmed_refusals(&self) -> usize {
        let Ok(ids) = self.cache.with_store(|s| s.refused_without_notice()) else {
            return 0;
        };
        ids.iter()
            .filter(|id| match self.print_refusal_notice(id) {
                Ok(flash) => {
                    tracing::info!(ok = flash.ok, "confirmed refusal printed");
                    true
                }
                Err(e) => {
                    tracing::warn!(code = %e.code.as_str(), "confirmed refusal not printed");
                    false
                }
            })
            .count()
    }

    /// 不予受理通知书 of a confirmed refusal, with the reason and basis of its request.
    fn print_refusal_notice(&self, case_id: &str) -> Result<Flash, AppError> {
        let ctx = self.ctx(case_id)?;
        let asked = self
            .cache
            .with_store(|s| s.case_events(case_id))?
            .into_iter()
            .rev()
            .find(|e| e.action == Some(CaseAction::RequestRefusal))
            .and_then(|e| e.reason)
            .unwrap_or_default();
        let (reason, basis) = split_refusal_reason(&asked);
        let notice = RefusalNotice {
            office: self.config.office_name.clone(),
            case_number: ctx.case.number.clone(),
            item_name: ctx.title.clone(),
            applicant: ctx.applicant_line(),
            date: self.today(),
            reason,
            basis,
        };
        let kind = "refusal_notice";
        let pdf = self.render(kind, |f| notice.render(f))?;
        let (rel, sha) = self.intake.write_archive(&ctx.case.number, kind, &pdf)?;
        let who = self.actor();
        self.cache.with_store_mut(|s| {
            s.record_document(&ctx.case.id, kind, &rel, &sha, &who, self.config.now())
        })?;
        Ok(self.print(&pdf, &rel, kind))
    }

    pub fn withdraw_case(&self, case_id: &str, reason: &str) -> Result<CaseView, AppError> {
        let ctx = self.ctx(case_id)?;
        if reason.trim().chars().count() < 2 {
            return Err(bad(ErrorCode::ReasonRequired, "请写明撤回原因"));
        }
        let who = self.actor();
        let now = self.config.now();
        // The hub learns of withdrawals too.
        let report = onewindow_proto::ops::OpBody::Withdrawn(onewindow_proto::ops::Withdrawn {
            case_id: ctx.case.id.clone(),
            number: ctx.case.number.clone(),
            item_code: ctx.case.item_code.clone(),
            reason: reason.trim().into(),
            by: who.user.clone(),
            at: now,
        });
        // A 一件事's members are the hub's cases: each is reported withdrawn too.
        let members: Vec<onewindow_proto::ops::OpBody> = ctx
            .members
            .iter()
            .map(|(m, _, _)| {
                onewindow_proto::ops::OpBody::Withdrawn(onewindow_proto::ops::Withdrawn {
                    case_id: m.id.clone(),
                    number: m.number.clone(),
                    item_code: m.item_code.clone(),
                    reason: reason.trim().into(),
                    by: who.user.clone(),
                    at: now,
                })
            })
            .collect();
        let mut reports = vec![report];
        reports.extend(members);
        self.cache.with_store_mut(|s| {
            s.transition_reported(
                &ctx.case.id,
                CaseAction::Withdraw,
                &who,
                now,
                Some(reason.trim()),
                &reports,
            )
        })?;
        self.intake.unfocus(&ctx.case.id);
        self.intake.bump();
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
                ErrorCode::TrackingRequired,
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
                    ErrorCode::BundleNotReady,
                    format!(
                        "一件事要等所有事项办结后一次出件，尚未办结：{}",
                        waiting.join("、")
                    ),
                ));
            }
            ctx.members.iter().map(|(row, ..)| row.id.clone()).collect()
        };
        self.cache.with_store_mut(|s| {
            s.deliver(
                &targets,
                &who,
                self.config.now(),
                method,
                by_post.then_some(tracking),
            )
        })?;
        self.intake.bump();
        self.case_view(
            &ctx.case.id,
            Some(Flash {
                ok: true,
                text: format!("已登记出件：{method}"),
            }),
        )
    }

    pub fn close_follow_up(&self, id: i64, note: &str) -> Result<Vec<dto::FollowUpView>, AppError> {
        if note.trim().chars().count() < 2 {
            return Err(bad(ErrorCode::NoteRequired, "请写明核查或补交情况"));
        }
        let who = self.actor();
        self.cache
            .with_store_mut(|s| s.close_follow_up(id, note, &who, self.config.now()))?;
        self.intake.bump();
        self.follow_ups(true)
    }
}

/// How a refusal request's reason and basis are kept on its event.
fn refusal_reason(reason: &str, basis: &str) -> String {
    format!("{reason}（依据：{basis}）")
}

/// The reason and basis back from [`refusal_reason`].
fn split_refusal_reason(text: &str) -> (String, String) {
    match text.rsplit_once("（依据：") {
        Some((reason, basis)) => (reason.to_string(), basis.trim_end_matches('）').to_string()),
        None => (text.to_string(), String::new()),
    }
}
