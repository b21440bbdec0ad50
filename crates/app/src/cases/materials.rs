//! The case's materials: the scenario, the slot scans land in, waiting and held scans the
//! clerk decides on, files moved or imported, pledges and overrides.

use super::*;
use crate::error::ErrorCode;

impl Cases {
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
                        ErrorCode::BadScenario,
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
                    .ok_or_else(|| bad(ErrorCode::BadMember, "该事项不属于本件事"))?;
                if !item.scenarios.iter().any(|s| s.code == scenario_code) {
                    return Err(bad(
                        ErrorCode::BadScenario,
                        format!("「{}」没有情形 {scenario_code}", item.name),
                    ));
                }
                row.id.clone()
            }
        };
        self.cache
            .with_store_mut(|s| s.set_scenario(&target, scenario_code, self.config.now()))?;
        self.intake.bump();
        self.case_view(&ctx.case.id, None)
    }

    /// Where the next scans land: a material slot, or `None` for the tray.
    pub fn select_slot(&self, case_id: &str, slot: Option<u32>) -> Result<CaseView, AppError> {
        let ctx = self.ctx(case_id)?;
        if let Some(s) = slot
            && s as usize >= ctx.materials.len()
        {
            return Err(bad(ErrorCode::BadSlot, "没有这项材料"));
        }
        if !matches!(ctx.case.state, CaseState::Draft | CaseState::Accepted) {
            return Err(bad(
                ErrorCode::CaseTransition,
                format!("办件当前为“{}”，不能再添加材料", ctx.case.state.label()),
            ));
        }
        self.intake.select(&ctx.case.id, slot.map(|s| s as usize));
        self.intake.bump();
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
            return Err(bad(ErrorCode::BadSlot, "没有这项材料"));
        }
        let name = self.waiting_scan_name(scan_id)?;
        let user = self.session.user_name();
        self.cache.with_store_mut(|s| {
            s.attach_waiting_scan(
                scan_id,
                &ctx.case.id,
                slot.map(|s| s as usize),
                &user,
                self.config.now(),
            )
        })?;
        self.session.audit(
            "scan_attach",
            &ctx.case.number,
            "ok",
            Some(&format!("waiting scan {scan_id}")),
        );
        self.intake.bump();
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
        let user = self.session.user_name();
        self.cache
            .with_store_mut(|s| s.dismiss_waiting_scan(scan_id, &user, self.config.now()))?;
        self.session.audit(
            "scan_dismiss",
            &format!("waiting scan {scan_id}"),
            "ok",
            None,
        );
        self.intake.bump();
        self.case_view(
            case_id,
            Some(Flash {
                ok: true,
                text: format!("已从待分配列表移除：{name}（文件仍加密保存在本机）"),
            }),
        )
    }

    pub(super) fn waiting_scan_name(&self, scan_id: i64) -> Result<String, AppError> {
        self.cache
            .with_store(|s| s.waiting_scans())?
            .into_iter()
            .find(|w| w.id == scan_id)
            .map(|w| w.original_name)
            .ok_or_else(|| {
                bad(
                    ErrorCode::ScanNotWaiting,
                    "该扫描件已不在待分配列表中（可能已放入办件或已移除），请刷新",
                )
            })
    }

    /// The clerk will not take a held scan: it is moved into the hot folder's 未接收 folder
    /// (not deleted) and leaves the list.
    pub fn set_aside_held_scan(&self, case_id: &str, name: &str) -> Result<CaseView, AppError> {
        let moved = self.intake.with_hot("扫描存储不可用，请检查磁盘", |h| {
            h.set_aside(name)
        })?;
        match moved {
            Ok(_) => {
                self.intake.forget_held(name);
                self.intake.bump();
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
                    ErrorCode::HeldScanNotMoved,
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
                ErrorCode::CaseTransition,
                format!("办件当前为“{}”，材料不能再调整", ctx.case.state.label()),
            ));
        }
        if let Some(s) = slot
            && s as usize >= ctx.materials.len()
        {
            return Err(bad(ErrorCode::BadSlot, "没有这项材料"));
        }
        self.cache.with_store_mut(|s| {
            s.move_attachment(&ctx.case.id, sha256, slot.map(|s| s as usize))
        })?;
        self.intake.bump();
        self.case_view(&ctx.case.id, None)
    }

    /// "Import from file": the same pipeline as the hot folder; the originals stay in place.
    pub fn import_files(&self, case_id: &str, paths: &[PathBuf]) -> Result<CaseView, AppError> {
        let ctx = self.ctx(case_id)?;
        if !matches!(ctx.case.state, CaseState::Draft | CaseState::Accepted) {
            return Err(bad(
                ErrorCode::CaseTransition,
                format!("办件当前为“{}”，不能再添加材料", ctx.case.state.label()),
            ));
        }
        let slot = self.intake.slot_for(&ctx.case.id);
        let mut taken = 0;
        let mut problems = Vec::new();
        for p in paths {
            let outcome = self
                .intake
                .with_hot("扫描存储不可用，请检查磁盘", |h| h.import(p))?;
            let name = p
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            match outcome {
                Ok(Outcome::Taken(t)) => {
                    self.intake.attach_taken(&ctx.case.id, &t, slot)?;
                    taken += 1;
                }
                Ok(Outcome::Quarantined(q)) => {
                    problems.push(format!("{name}：{}", q.reason_zh));
                    self.intake.take_in(Outcome::Quarantined(q));
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
        self.intake.bump();
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
            .ok_or_else(|| bad(ErrorCode::BadSlot, "没有这项材料"))?
            .clone();
        if pledged && !m.pledge_allowed {
            return Err(bad(
                ErrorCode::PledgeNotAllowed,
                format!("「{}」不适用告知承诺，请收取纸质材料", m.name),
            ));
        }
        let who = self.actor();
        if !pledged {
            self.cache.with_store_mut(|s| {
                s.set_pledge(
                    &ctx.case.id,
                    slot as usize,
                    &m.name,
                    false,
                    &who,
                    self.config.now(),
                )
            })?;
            self.intake.bump();
            return self.case_view(&ctx.case.id, None);
        }
        // The applicant signs the pledge now, before acceptance: it is printed on marking.
        let today = self.today();
        let (check_by, _) = self.promised(today, ctx.pledge_days)?;
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
        let (rel, sha) = self.intake.write_archive(&ctx.case.number, kind, &pdf)?;
        self.cache.with_store_mut(|s| {
            s.set_pledge(
                &ctx.case.id,
                slot as usize,
                &m.name,
                true,
                &who,
                self.config.now(),
            )?;
            s.record_document(&ctx.case.id, kind, &rel, &sha, &who, self.config.now())
        })?;
        self.intake.bump();
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
                .ok_or_else(|| bad(ErrorCode::BadFinding, "该预审意见已不存在，请刷新"))?;
            if f.severity != Severity::Blocking {
                return Err(bad(ErrorCode::BadFinding, "只有阻止受理的意见需要说明理由"));
            }
            if r.trim().chars().count() < 4 {
                return Err(bad(
                    ErrorCode::ReasonRequired,
                    "请写明理由（至少 4 个字），理由将记录在办件中",
                ));
            }
        }
        let who = self.actor();
        self.cache.with_store_mut(|s| {
            s.set_override(&ctx.case.id, finding_key, reason, &who, self.config.now())
        })?;
        self.intake.bump();
        self.case_view(&ctx.case.id, None)
    }
}
