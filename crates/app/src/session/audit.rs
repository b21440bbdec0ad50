//! The desk's audit trail: what the clerk views, prints and does, and every sign-in, appended
//! to the hash-chained log (state changes are appended by the store with the change itself),
//! then sent to the hub, which checks the chain.

use crate::error::ErrorCode;
use onewindow_store::audit::Audit;

use super::Session;
use crate::dto::AppError;

/// The shortest reason accepted for showing a masked number whole.
pub const REVEAL_REASON_MIN_CHARS: usize = 4;

impl Session {
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
        self.cache.with_store_mut(|s| s.audit(&a, self.config.now()))
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
        if self
            .cache
            .with_store_mut(|s| s.audit(&a, self.config.now()))
            .is_err()
        {
            tracing::error!(action, "audit record not written");
        }
    }
}
