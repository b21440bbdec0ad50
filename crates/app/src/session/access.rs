//! Who may call what on the desk, decided in the backend for every command the windows can
//! call (the Tauri shell asks [`Desk::guard`] first): the role of the signed-in user, and
//! whether the screen is locked. The table is [`rule`]; a test calls it for every registered
//! command with every role.
//!
//! - The window's work (search, cases, documents, the queue) is for 窗口人员, 主管 and 管理员 —
//!   not for 审批人员, who decide in the hub's back office.
//! - Re-downloading a stream or rebuilding the cache is for 主管 and 管理员.
//! - While the screen is locked only signing in (to unlock, or as another user), the status
//!   and the other windows' own commands work; the open case waits untouched.
//! - An enrolled desk does nothing but sign in until someone signs in with the hub (or
//!   offline, with the verifier of their last sign-in). Before enrolment — the first run,
//!   a training PC — it works as its configured clerk: there is no hub to check a password.

use crate::error::ErrorCode;

use super::Session;
use crate::dto::AppError;

/// What a command needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// Anyone, locked or not: the status, signing in and out, the applicant's screen and the
    /// hall display (their windows can call nothing else).
    Always,
    /// The window's work: not an approver, not while locked.
    Window,
    /// Supervisors and administrators (or the desk before anyone signed in), not while locked.
    Manage,
}

/// The rule of each command (from the command table); `None` for a command the table does not
/// know (refused).
pub fn rule(command: &str) -> Option<Rule> {
    crate::commands::command(command).map(|c| c.rule)
}

/// Whether `role` (`None`: nobody signed in) may call `command`, the screen locked or not.
pub fn check(
    command: &str,
    role: Option<&str>,
    locked: bool,
    sign_in_required: bool,
) -> Result<(), AppError> {
    let refuse = |code: ErrorCode, message: &str| Err(AppError::new(code, message));
    let Some(rule) = rule(command) else {
        return refuse(ErrorCode::Forbidden, "未知的操作");
    };
    if rule == Rule::Always {
        return Ok(());
    }
    if locked {
        return refuse(
            ErrorCode::ScreenLocked,
            "屏幕已锁定，请输入密码解锁（或切换用户）",
        );
    }
    if sign_in_required && role.is_none() {
        return refuse(
            ErrorCode::SignInRequired,
            "本窗口已注册到中心，请先用本人用户名和密码登录再办理",
        );
    }
    match (rule, role) {
        (_, Some("approver")) => refuse(
            ErrorCode::Forbidden,
            "审批人员请在中心后台办理，窗口工作台的受理和叫号只对窗口人员开放",
        ),
        (Rule::Manage, Some("clerk")) => refuse(
            ErrorCode::Forbidden,
            "重新下载数据、重建缓存和注册窗口只能由主管或管理员操作",
        ),
        (_, None | Some("clerk" | "supervisor" | "admin")) => Ok(()),
        (_, Some(_)) => refuse(ErrorCode::Forbidden, "该用户的角色不能在窗口工作台操作"),
    }
}

impl Session {
    /// The backend's check before every command a window calls.
    pub fn guard(&self, command: &str) -> Result<(), AppError> {
        let role = self.user().map(|u| u.role);
        let locked = self.is_locked();
        let checked = check(command, role.as_deref(), locked, self.sign_in_required());
        if let Err(e) = &checked {
            tracing::warn!(command, code = %e.code, "command refused");
        }
        checked
    }

    /// Whether the desk waits for someone to sign in: it is enrolled and nobody is signed in.
    pub fn sign_in_required(&self) -> bool {
        self.user().is_none() && self.identity().is_some()
    }

    /// 锁屏 (the clerk left, or nothing was touched for `idle_lock_minutes`): only signing in
    /// unlocks; the open case stays as it was.
    pub(crate) fn lock_screen(&self) {
        if self.user().is_none() {
            // Nobody to unlock it: either the desk waits for a sign-in already, or (not
            // enrolled) it works as its configured clerk.
            return;
        }
        if self.lock() {
            self.audit("lock", &self.user_name(), "ok", None);
            tracing::info!(at = %self.config.now(), "screen locked");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_decides_by_role_and_lock() {
        assert!(check("accept_case", Some("clerk"), false, false).is_ok());
        assert!(check("accept_case", None, false, false).is_ok());
        assert_eq!(
            check("accept_case", Some("approver"), false, false)
                .unwrap_err()
                .code,
            ErrorCode::Forbidden
        );
        assert_eq!(
            check("accept_case", Some("clerk"), true, false)
                .unwrap_err()
                .code,
            ErrorCode::ScreenLocked
        );
        assert!(check("login_user", Some("clerk"), true, false).is_ok());
        assert!(check("reset_stream", Some("supervisor"), false, false).is_ok());
        assert!(check("reset_stream", Some("clerk"), false, false).is_err());
        assert!(check("no_such_command", Some("admin"), false, false).is_err());
        // Enrolled, nobody signed in: only signing in (and the other windows) works.
        assert_eq!(
            check("accept_case", None, false, true).unwrap_err().code,
            ErrorCode::SignInRequired
        );
        assert_eq!(
            check("enrol_desk", None, false, true).unwrap_err().code,
            ErrorCode::SignInRequired
        );
        assert!(check("login_user", None, false, true).is_ok());
        assert!(check("hall_board", None, false, true).is_ok());
    }
}
