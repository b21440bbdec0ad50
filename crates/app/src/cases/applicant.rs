//! The applicant: typed at the keyboard, read from the ID card or a 居民码/企业码, checked,
//! stored, and looked up in the e-licence registry.

use super::*;
use crate::error::ErrorCode;
use crate::session::audit::REVEAL_REASON_MIN_CHARS;

pub(super) fn applicant_input(a: Option<&Applicant>) -> ApplicantInput {
    let Some(a) = a else {
        return ApplicantInput::default();
    };
    let o = |s: &Option<String>| s.clone().unwrap_or_default();
    ApplicantInput {
        kind: a.kind,
        name: a.name.clone(),
        number: a.number.clone(),
        phone: o(&a.phone),
        address: o(&a.address),
        legal_rep: o(&a.legal_rep),
        agent_name: a.agent.as_ref().map(|g| g.name.clone()).unwrap_or_default(),
        agent_id_number: a
            .agent
            .as_ref()
            .map(|g| g.id_number.clone())
            .unwrap_or_default(),
        agent_phone: a
            .agent
            .as_ref()
            .and_then(|g| g.phone.clone())
            .unwrap_or_default(),
        assist_helper: a
            .assist
            .as_ref()
            .map(|s| s.helper.clone())
            .unwrap_or_default(),
        assist_note: a
            .assist
            .as_ref()
            .map(|s| s.note.clone())
            .unwrap_or_default(),
    }
}

/// Every way in (keyboard, card, 居民码) is held to the same lengths.
pub(super) fn check_lengths(a: &Applicant) -> Result<(), AppError> {
    let o = |s: &Option<String>| s.clone().unwrap_or_default();
    let agent = a.agent.clone();
    let assist = a.assist.clone();
    for (label, v, max) in [
        ("姓名（名称）", a.name.clone(), 100),
        ("证件号码", a.number.clone(), 40),
        ("联系电话", o(&a.phone), 40),
        ("地址", o(&a.address), 200),
        ("法定代表人", o(&a.legal_rep), 50),
        (
            "代办人姓名",
            agent.as_ref().map(|g| g.name.clone()).unwrap_or_default(),
            50,
        ),
        (
            "代办人证件号码",
            agent
                .as_ref()
                .map(|g| g.id_number.clone())
                .unwrap_or_default(),
            40,
        ),
        (
            "代办人电话",
            agent
                .as_ref()
                .and_then(|g| g.phone.clone())
                .unwrap_or_default(),
            40,
        ),
        (
            "帮办人员",
            assist
                .as_ref()
                .map(|x| x.helper.clone())
                .unwrap_or_default(),
            50,
        ),
        (
            "帮办说明",
            assist.as_ref().map(|x| x.note.clone()).unwrap_or_default(),
            500,
        ),
    ] {
        if v.chars().count() > max {
            return Err(bad(
                ErrorCode::BadApplicant,
                format!("「{label}」太长（最多 {max} 个字），请核对"),
            ));
        }
    }
    Ok(())
}

/// The typed applicant as stored; the card info survives edits of the other fields.
pub(super) fn applicant_from(
    input: &ApplicantInput,
    card: Option<CardInfo>,
) -> Result<Applicant, AppError> {
    let kind = input.kind;
    let t = |s: &str| -> Option<String> {
        let s = s.trim();
        (!s.is_empty()).then(|| s.to_string())
    };
    let number = input.number.trim().to_uppercase();
    let agent =
        (t(&input.agent_name).is_some() || t(&input.agent_id_number).is_some()).then(|| Agent {
            name: input.agent_name.trim().to_string(),
            id_number: input.agent_id_number.trim().to_uppercase(),
            phone: t(&input.agent_phone),
        });
    let assist = t(&input.assist_helper).map(|helper| Assist {
        helper,
        note: input.assist_note.trim().to_string(),
    });
    let a = Applicant {
        kind,
        name: input.name.trim().to_string(),
        number,
        phone: t(&input.phone),
        address: t(&input.address),
        legal_rep: t(&input.legal_rep),
        agent,
        assist,
        card,
    };
    check_lengths(&a)?;
    Ok(a)
}

impl Cases {
    pub async fn save_intake(&self, req: &dto::SaveIntakeRequest) -> Result<CaseView, AppError> {
        let ctx = self.editable_ctx(&req.case_id, "修改申请信息")?;
        let card = ctx.applicant.as_ref().and_then(|a| a.card.clone());
        let applicant = applicant_from(&req.applicant, card)?;
        // 帮办代办: the helper is one of the centre's staff (a helper recorded before keeps
        // its text).
        if let Some(helper) = applicant.assist.as_ref().map(|a| a.helper.as_str()) {
            let before = ctx
                .applicant
                .as_ref()
                .and_then(|a| a.assist.as_ref())
                .map(|a| a.helper.as_str());
            let staff = self
                .cache
                .with_store(|s| s.centre_scope())?
                .map(|s| s.helpers)
                .unwrap_or_default();
            if !staff.is_empty() && before != Some(helper) && !staff.iter().any(|s| s == helper) {
                return Err(bad(
                    ErrorCode::BadField,
                    format!("帮办人员「{helper}」不是本中心的工作人员，请从列表中选择"),
                ));
            }
        }
        let keys: BTreeSet<&str> = ctx.fields.iter().map(|f| f.key.as_str()).collect();
        let mut form = BTreeMap::new();
        for (k, v) in &req.form {
            if !keys.contains(k.as_str()) {
                tracing::warn!(key = %k, "form value for a field the case does not have");
                return Err(bad(
                    ErrorCode::BadField,
                    format!("本事项没有字段「{k}」，请刷新后重试"),
                ));
            }
            if v.chars().count() > 500 {
                return Err(bad(
                    ErrorCode::BadField,
                    "填写内容太长（最多 500 个字），请核对",
                ));
            }
            if !v.trim().is_empty() {
                form.insert(k.clone(), v.trim().to_string());
            }
        }
        self.store_applicant(&ctx, &applicant, &form).await?;
        self.case_view(&ctx.case.id, None)
    }

    /// Saves the applicant and form of a draft. What changed loses what was said about its old
    /// value: the e-licence lookup (another number), overrides of findings on changed values,
    /// a replaced card photo. Then the registry is asked when the number is new to it.
    pub(super) async fn store_applicant(
        &self,
        ctx: &CaseCtx,
        applicant: &Applicant,
        form: &BTreeMap<String, String>,
    ) -> Result<(), AppError> {
        check_lengths(applicant)?;
        let old = ctx.applicant.as_ref();
        let old_text = |f: &dyn Fn(&Applicant) -> Option<String>| old.and_then(f);
        let mut changed_targets = Vec::new();
        let number_changed =
            old_text(&|a| Some(a.number.clone())) != Some(applicant.number.clone());
        if number_changed {
            changed_targets.push("applicant:number".to_string());
        }
        if old_text(&|a| Some(a.name.clone())) != Some(applicant.name.clone()) {
            changed_targets.push("applicant:name".into());
        }
        if old_text(&|a| a.phone.clone()) != applicant.phone {
            changed_targets.push("applicant:phone".into());
        }
        if old_text(&|a| a.legal_rep.clone()) != applicant.legal_rep {
            changed_targets.push("applicant:legal_rep".into());
        }
        let agent = |a: &Applicant| {
            a.agent
                .as_ref()
                .map(|g| (g.name.clone(), g.id_number.clone(), g.phone.clone()))
        };
        if old.and_then(agent) != agent(applicant) {
            changed_targets.extend([
                "agent:name".into(),
                "agent:number".into(),
                "agent:phone".into(),
            ]);
        }
        let keys: BTreeSet<&String> = ctx.form.keys().chain(form.keys()).collect();
        for k in keys {
            if ctx.form.get(k) != form.get(k) {
                changed_targets.push(format!("field:{k}"));
            }
        }
        let old_photo = old
            .and_then(|a| a.card.as_ref())
            .and_then(|c| c.photo_sha256.clone());
        let new_photo = applicant.card.as_ref().and_then(|c| c.photo_sha256.clone());
        let case_id = ctx.case.id.clone();
        self.cache.with_store_mut(|s| {
            s.save_intake(&case_id, applicant, form, self.config.now())?;
            for t in &changed_targets {
                s.drop_overrides_for(&case_id, t)?;
            }
            if number_changed {
                s.clear_elicences(&case_id)?;
            }
            if let Some(sha) = old_photo
                .as_deref()
                .filter(|o| Some(*o) != new_photo.as_deref())
            {
                s.detach(&case_id, sha)?;
            }
            Ok(())
        })?;
        if number_changed {
            self.elicence_errors.relock().remove(&ctx.case.id);
        }
        self.intake.bump();
        if number_changed || ctx.elicences.is_none() {
            self.lookup_elicences_for(&ctx.case.id, &ctx.case.number, applicant)
                .await;
        }
        Ok(())
    }

    /// Asks the hub's e-licence registry for this applicant (online only, by a clerk signed in
    /// through the hub, for this desk's case `number`); the result is kept with the open case.
    /// Otherwise the clerk is told why, and to collect paper or a pledge.
    pub(super) async fn lookup_elicences_for(&self, case_id: &str, number: &str, a: &Applicant) {
        let today = self.today();
        let Some(holder) = holder_of(a, today) else {
            return;
        };
        const PAPER: &str = "可由电子证照替代的材料请收取纸质件或办理告知承诺";
        let (client, session) = match (self.session.device_client(), self.session.hub_session()) {
            (Some(c), Some(s)) => (c, s),
            (None, _) => {
                self.elicence_errors.relock().insert(
                    case_id.to_string(),
                    format!("本窗口尚未注册到中心，无法查询电子证照：{PAPER}"),
                );
                self.intake.bump();
                return;
            }
            (Some(_), None) => {
                self.elicence_errors.relock().insert(
                    case_id.to_string(),
                    format!(
                        "电子证照须由通过中心核验登录的工作人员查询（当前为离线登录或未登录）；能连接中心时请锁屏后重新登录，或{PAPER}"
                    ),
                );
                self.intake.bump();
                return;
            }
        };
        match client.elicences(&holder, number, &session).await {
            Ok(found) => {
                let saved = self.cache.with_store_mut(|s| {
                    s.save_elicences(case_id, &holder, &found.licences, self.config.now())
                });
                if saved.is_ok() {
                    self.elicence_errors.relock().remove(case_id);
                }
                tracing::info!(licences = found.licences.len(), "e-licences looked up");
            }
            Err(e) => {
                // The error's text can name the request; the code is enough for the log.
                tracing::warn!(code = %e.code(), "e-licence lookup failed");
                self.elicence_errors.relock().insert(
                    case_id.to_string(),
                    format!("暂时无法查询电子证照（{}）：{PAPER}", e.message_zh()),
                );
            }
        }
        self.intake.bump();
    }

    pub async fn lookup_elicences(&self, case_id: &str) -> Result<CaseView, AppError> {
        let ctx = self.editable_ctx(case_id, "查询电子证照")?;
        let a = ctx
            .applicant
            .ok_or_else(|| bad(ErrorCode::NoApplicant, "请先登记申请人证件号码"))?;
        self.lookup_elicences_for(&ctx.case.id, &ctx.case.number, &a)
            .await;
        self.case_view(&ctx.case.id, None)
    }

    /// A 居民码/企业码 scanned with the keyboard-wedge scanner fills the applicant.
    pub async fn apply_applicant_code(
        &self,
        case_id: &str,
        text: &str,
    ) -> Result<CaseView, AppError> {
        let ctx = self.editable_ctx(case_id, "修改申请人")?;
        let parsed =
            onewindow_domain::qrcode::parse_applicant_code(text, self.today()).map_err(|e| {
                tracing::warn!(code = e.code.as_str(), "applicant code refused");
                bad(e.code.into(), e.message_zh)
            })?;
        let mut a = parsed;
        if let Some(old) = &ctx.applicant {
            a.agent = old.agent.clone();
            a.assist = old.assist.clone();
            if a.phone.is_none() {
                a.phone = old.phone.clone();
            }
        }
        self.store_applicant(&ctx, &a, &ctx.form).await?;
        self.case_view(
            &ctx.case.id,
            Some(Flash {
                ok: true,
                text: format!(
                    "已读取{}：{}",
                    if a.kind == ApplicantKind::Person {
                        "居民码"
                    } else {
                        "企业码"
                    },
                    a.name
                ),
            }),
        )
    }

    /// Reads the card on the reader: fills the applicant and attaches the card photo.
    pub async fn read_id_card(&self, case_id: &str) -> Result<CaseView, AppError> {
        let ctx = self.editable_ctx(case_id, "读取身份证")?;
        let dir = self.config.card_reader_dir.clone().ok_or_else(|| {
            bad(
                ErrorCode::NoCardReader,
                "本窗口未设置身份证读卡器（settings.json 的 card_reader_dir）",
            )
        })?;
        let card = FolderDropReader::new(&dir)
            .read(self.today())
            .map_err(|e| {
                tracing::warn!(code = e.code.as_str(), "card refused");
                bad(e.code.into(), e.message_zh)
            })?
            .ok_or_else(|| {
                bad(
                    ErrorCode::NoCard,
                    "读卡器上没有读到身份证，请把证件放在读卡器上后重试",
                )
            })?;
        let mut photo_sha = None;
        if let Some(bytes) = &card.photo {
            let png = if bytes.starts_with(b"BM") {
                onewindow_intake::thumbnail::bmp_to_png(bytes).map_err(|e| {
                    tracing::warn!(error = %e, "card photo unreadable");
                    bad(ErrorCode::CardPhoto, "身份证照片无法读取，请重新读卡")
                })?
            } else {
                bytes.clone()
            };
            let name = if bytes.starts_with(b"BM") {
                "身份证照片.png"
            } else {
                "身份证照片.jpg"
            };
            let outcome = self
                .intake
                .with_hot("扫描存储不可用，无法保存证件照片", |h| {
                    h.import_bytes(name, &png)
                })?
                .map_err(|e| {
                    tracing::error!(error = %e, "card photo cannot be stored");
                    if intake_disk_full(&e) {
                        bad(
                            ErrorCode::DiskFull,
                            "本机磁盘已满，证件照片无法保存；请删除不需要的文件或请管理员清理磁盘后重新读卡",
                        )
                    } else {
                        bad(ErrorCode::IntakeIo, "证件照片无法保存，请检查磁盘")
                    }
                })?;
            match outcome {
                Outcome::Taken(t) => {
                    self.intake.attach_taken(&ctx.case.id, &t, None)?;
                    photo_sha = Some(t.sha256);
                }
                Outcome::Quarantined(q) => {
                    return Err(bad(
                        ErrorCode::CardPhoto,
                        format!("身份证照片无法使用：{}", q.reason_zh),
                    ));
                }
            }
        }
        let old = ctx.applicant.clone();
        let a = Applicant {
            kind: ApplicantKind::Person,
            name: card.name.clone(),
            number: card.id_number.as_str().to_string(),
            phone: old.as_ref().and_then(|o| o.phone.clone()),
            address: Some(card.address.clone()),
            legal_rep: None,
            agent: old.as_ref().and_then(|o| o.agent.clone()),
            assist: old.as_ref().and_then(|o| o.assist.clone()),
            card: Some(CardInfo {
                sex: card.sex.clone(),
                ethnicity: card.ethnicity.clone(),
                birth_date: card.birth_date.to_string(),
                authority: card.authority.clone(),
                valid_from: card.valid_from.format("%Y.%m.%d").to_string(),
                valid_until: card.valid_until.map(|d| d.format("%Y.%m.%d").to_string()),
                photo_sha256: photo_sha,
            }),
        };
        self.store_applicant(&ctx, &a, &ctx.form).await?;
        self.case_view(
            &ctx.case.id,
            Some(Flash {
                ok: true,
                text: format!("已读取身份证：{}", card.name),
            }),
        )
    }
}

impl Cases {
    /// 查看完整信息: the applicant's ID number, phones and address whole, for a clerk who
    /// is signed in and says why; the view is audited with the reason.
    pub fn reveal_applicant(
        &self,
        case_id: &str,
        reason: &str,
    ) -> Result<dto::RevealView, AppError> {
        let reason = reason.trim();
        if self.session.user().is_none() {
            return Err(AppError {
                code: ErrorCode::NotSignedIn,
                message: "请先登录（F11）再查看完整信息".into(),
            });
        }
        if reason.chars().count() < REVEAL_REASON_MIN_CHARS {
            return Err(AppError {
                code: ErrorCode::ReasonRequired,
                message: format!(
                    "请写明查看完整信息的原因（至少 {REVEAL_REASON_MIN_CHARS} 个字），该操作将记入审计日志"
                ),
            });
        }
        let (number, applicant) = self.applicant_of(case_id)?;
        self.session
            .audit_required("reveal", &number, "ok", Some(reason))?;
        tracing::info!(case = %number, "applicant data revealed");
        Ok(match applicant {
            Some(a) => dto::RevealView {
                number: a.number,
                phone: a.phone,
                address: a.address,
                agent_id_number: a.agent_id_number,
                agent_phone: a.agent_phone,
            },
            None => dto::RevealView {
                number: String::new(),
                phone: String::new(),
                address: String::new(),
                agent_id_number: String::new(),
                agent_phone: String::new(),
            },
        })
    }
}
