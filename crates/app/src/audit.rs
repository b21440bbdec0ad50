//! The desk's audit trail: what the clerk views, prints and does, and every sign-in, appended
//! to the hash-chained log (state changes are appended by the store with the change itself),
//! then sent to the hub, which checks the chain.

use crate::error::ErrorCode;
use chrono::Utc;
use onewindow_store::audit::Audit;

use crate::desk::Desk;
use crate::dto::{self, AppError};

/// The shortest reason accepted for showing a masked number whole.
pub const REVEAL_REASON_MIN_CHARS: usize = 4;

impl Desk {
    /// Appends one record under the signed-in clerk; a failure is logged, never shown.
    pub(crate) fn audit(&self, action: &str, object: &str, result: &str, detail: Option<&str>) {
        let (actor, desk) = (self.user_name(), self.desk_code());
        self.audit_as(&actor, &desk, action, object, result, detail);
    }

    /// Appends the record of an action that must not happen unrecorded (a view of a case or a
    /// document, a print, a reveal of the applicant's numbers): the caller acts only after it
    /// succeeds, so record and action stand or fall together.
    pub(crate) fn audit_required(
        &self,
        action: &str,
        object: &str,
        result: &str,
        detail: Option<&str>,
    ) -> Result<(), AppError> {
        let (actor, desk) = (self.user_name(), self.desk_code());
        let a = Audit {
            actor: &actor,
            desk: &desk,
            action,
            object,
            result,
            detail,
        };
        self.with_store_mut(|s| s.audit(&a, Utc::now()))
            .map_err(|e| {
                tracing::error!(action, code = %e.code, "audit record not written; action refused");
                AppError {
                    code: ErrorCode::AuditNotWritten,
                    message: if e.code == ErrorCode::DiskFull {
                        "本机磁盘已满，无法写入审计记录，本次操作没有进行（每次查看和打印都须留有记录）。请删除不需要的文件或请管理员清理磁盘后重试。".into()
                    } else {
                        "无法写入审计记录，本次操作没有进行（每次查看和打印都须留有记录）。请重试，如仍失败请查看日志".into()
                    },
                }
            })?;
        Ok(())
    }

    pub(crate) fn audit_as(
        &self,
        actor: &str,
        desk: &str,
        action: &str,
        object: &str,
        result: &str,
        detail: Option<&str>,
    ) {
        let a = Audit {
            actor,
            desk,
            action,
            object,
            result,
            detail,
        };
        if self.with_store_mut(|s| s.audit(&a, Utc::now())).is_err() {
            tracing::error!(action, "audit record not written");
        }
    }

    /// 查看完整信息: the applicant's ID number, phones and address whole, for a clerk who
    /// is signed in and says why; the view is audited with the reason.
    pub fn reveal_applicant(
        &self,
        case_id: &str,
        reason: &str,
    ) -> Result<dto::RevealView, AppError> {
        let reason = reason.trim();
        if self.user.read_now().is_none() {
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
        self.audit_required("reveal", &number, "ok", Some(reason))?;
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
