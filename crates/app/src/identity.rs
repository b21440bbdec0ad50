//! Who this desk is to the hub: enrolment (a one-time code for a device token and a desk code),
//! the token kept in the OS keyring (Secret Service, Keychain, Windows Credential Manager) and
//! never in a file, and the push of the outbox that enrolment makes possible.

use crate::error::ErrorCode;
use chrono::{SecondsFormat, Utc};
use onewindow_store::push::Identity;
use onewindow_sync::{HubClient, SyncError};

use crate::desk::Desk;
use crate::dto::{self, AppError};

/// How often the window asks for decisions on its cases.
pub const RESULTS_POLL: std::time::Duration = std::time::Duration::from_millis(1000);

/// The keyring service the device token is filed under (one entry per device id).
pub const KEYRING_SERVICE: &str = "cn.onewindow.desk";

fn keyring_error(e: keyring::Error) -> AppError {
    tracing::error!(error = %e, "keyring unavailable");
    AppError {
        code: ErrorCode::KeyringUnavailable,
        message:
            "本机的系统密钥环不可用，无法保存设备令牌；请确认已登录桌面会话（密钥环已解锁）后重试"
                .into(),
    }
}

/// Reads the device token from the OS keyring.
pub fn load_token(device_id: &str) -> Result<Option<String>, AppError> {
    let entry = keyring::Entry::new(KEYRING_SERVICE, device_id).map_err(keyring_error)?;
    match entry.get_password() {
        Ok(t) => Ok(Some(t)),
        Err(keyring::Error::NoEntry) => Ok(None),
        Err(e) => Err(keyring_error(e)),
    }
}

fn save_token(device_id: &str, token: &str) -> Result<(), AppError> {
    keyring::Entry::new(KEYRING_SERVICE, device_id)
        .and_then(|e| e.set_password(token))
        .map_err(keyring_error)
}

/// Whether the host of `host_port_path` (what follows `http://`) is this PC.
fn is_loopback_host(host_port_path: &str) -> bool {
    let authority = host_port_path.split(['/', '?', '#']).next().unwrap_or("");
    let host = match authority.strip_prefix('[') {
        Some(v6) => v6.split(']').next().unwrap_or(""),
        None => authority.rsplit_once(':').map_or(authority, |(h, _)| h),
    };
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

impl Desk {
    /// The hub this desk talks to now.
    pub(crate) fn client(&self) -> HubClient {
        self.client.read_now().clone()
    }

    /// The desk code in case numbers: the enrolled one, else the one from settings.
    pub fn desk_code(&self) -> String {
        self.identity
            .read_now()
            .as_ref()
            .map(|i| i.desk_code.clone())
            .unwrap_or_else(|| self.config.desk_code.clone())
    }

    /// Loads the enrolment and its token at start.
    pub(crate) fn load_identity(&self) {
        let Ok(Some(id)) = self.with_store(|s| s.identity()) else {
            return;
        };
        match load_token(&id.device_id) {
            Ok(Some(token)) => *self.token.relock() = Some(token),
            Ok(None) => {
                *self.push_problem.relock() =
                    Some("系统密钥环中没有本窗口的设备令牌（可能被清除），请重新注册本窗口".into())
            }
            Err(e) => *self.push_problem.relock() = Some(e.message),
        }
        let current = self.client();
        if id.hub_url != current.base_url() || id.hub_pin.as_deref() != current.pin() {
            tracing::info!(hub = %id.hub_url, pinned = id.hub_pin.is_some(), "using the enrolled hub");
            *self.client.write_now() = HubClient::pinned(&id.hub_url, id.hub_pin.as_deref());
        }
        *self.identity.write_now() = Some(id);
    }

    /// The first-run screen: the hub URL, the administrator's one-time code and, for an
    /// `https://` hub, its certificate's fingerprint (at least its first 16 hex digits) as
    /// `onewindow-hub enrol` printed it. The whole fingerprint of the certificate that matched
    /// is pinned from then on. The token goes to the OS keyring; no keyring, no enrolment
    /// (never a plaintext token file).
    pub async fn enrol(
        &self,
        hub_url: &str,
        code: &str,
        pin: &str,
    ) -> Result<dto::DeskStatus, AppError> {
        let url = hub_url.trim().trim_end_matches('/').to_string();
        let bad_url = |message: &str| AppError {
            code: ErrorCode::BadUrl,
            message: message.into(),
        };
        let (https, rest) = match (url.strip_prefix("https://"), url.strip_prefix("http://")) {
            (Some(rest), _) => (true, rest),
            (None, Some(rest)) => (false, rest),
            _ => {
                return Err(bad_url(
                    "中心地址应以 https:// 开头，例如 https://10.0.0.5:8470",
                ));
            }
        };
        if rest.len() < 3 {
            return Err(bad_url("中心地址不完整，例如 https://10.0.0.5:8470"));
        }
        // Plain HTTP only to a hub on this very PC: anywhere else the link is encrypted.
        if !https && !is_loopback_host(rest) {
            return Err(bad_url(
                "连接其他电脑上的中心须使用 https://（仅本机中心可用 http://）",
            ));
        }
        let pin = if https {
            Some(
                onewindow_sync::tls::normalise_pin(pin).map_err(|message| AppError {
                    code: ErrorCode::BadPin,
                    message,
                })?,
            )
        } else {
            None
        };
        let code = code.trim();
        if code.is_empty() || code.len() > 64 {
            return Err(AppError {
                code: ErrorCode::BadEnrolCode,
                message: "请输入管理员提供的注册码（形如 ABCD-EFGH-JKLM）".into(),
            });
        }
        let client = HubClient::pinned(&url, pin.as_deref());
        let enrolment = client.enrol(code).await.map_err(|e| {
            tracing::warn!(code = %e.code(), "enrolment failed");
            AppError {
                code: e.code().into(),
                message: e.message_zh(),
            }
        })?;
        // The typed start matched: from now on the whole fingerprint it matched.
        let hub_pin = if https {
            client.seen_fingerprint()
        } else {
            None
        };
        let client = HubClient::pinned(&url, hub_pin.as_deref());
        save_token(&enrolment.device_id, &enrolment.token)?;
        let id = Identity {
            device_id: enrolment.device_id.clone(),
            desk_code: enrolment.desk_code.clone(),
            desk_name: enrolment.desk_name.clone(),
            hub_url: url.clone(),
            enrolled_at: Utc::now().to_rfc3339_opts(SecondsFormat::Secs, true),
            hub_pin,
        };
        self.with_store_mut(|s| s.set_identity(&id))?;
        tracing::info!(desk_code = %id.desk_code, "desk enrolled");
        *self.client.write_now() = client;
        *self.token.relock() = Some(enrolment.token);
        *self.push_problem.relock() = None;
        *self.identity.write_now() = Some(id);
        let _ = self.sync_once().await;
        Ok(self.status())
    }

    /// Sends the outbox (blobs first) when enrolled; the result goes to the sync health.
    pub(crate) async fn push(&self) -> Result<(), SyncError> {
        let Some(token) = self.token.relock().clone() else {
            return Ok(());
        };
        let store = match self.store() {
            Ok(s) => s,
            Err(_) => return Ok(()),
        };
        let client = self.client().with_token(&token);
        let pushed = onewindow_sync::push_outbox(
            &client,
            &store,
            &self.intake.config,
            self.config.upload_throttle,
        )
        .await;
        // Then what the back office decided on this desk's cases, then the audit log.
        let result = match pushed {
            Ok(r) => match self.pull_results_with(&client, &store).await {
                Ok(_) => match onewindow_sync::push_audit(&client, &store).await {
                    Ok(n) => {
                        if n > 0 {
                            tracing::debug!(records = n, "audit records sent");
                        }
                        Ok(r)
                    }
                    Err(e) => {
                        tracing::warn!(code = %e.code(), error = %e, "audit records not sent");
                        Err(e)
                    }
                },
                Err(e) => Err(e),
            },
            Err(e) => Err(e),
        };
        let mut problem = self.push_problem.relock();
        match &result {
            Ok(r) => {
                *problem = None;
                *self.last_push.relock() = Some(Utc::now());
                if r.applied + r.rejected + r.duplicate > 0 {
                    // Hand-offs acknowledged: the case on screen moved on.
                    self.bump();
                    tracing::info!(
                        applied = r.applied,
                        duplicate = r.duplicate,
                        rejected = r.rejected,
                        waiting = r.waiting,
                        blobs = r.blobs_uploaded,
                        "outbox pushed"
                    );
                }
            }
            Err(e @ SyncError::Hub { .. }) => *problem = Some(e.message_zh()),
            Err(_) => {}
        }
        result.map(|_| ())
    }

    /// Asks for back-office results once: a cheap request, so the window shows 待出件 within
    /// about a second of the approver's click while online.
    pub async fn pull_results_once(&self) -> Result<usize, SyncError> {
        let Some(token) = self.token.relock().clone() else {
            return Ok(0);
        };
        let Ok(store) = self.store() else {
            return Ok(0);
        };
        let client = self.client().with_token(&token);
        self.pull_results_with(&client, &store).await
    }

    /// The results stream, then the result files it named (archived with the case's
    /// documents for printing at 出件).
    async fn pull_results_with(
        &self,
        client: &HubClient,
        store: &std::sync::Arc<std::sync::Mutex<onewindow_store::Store>>,
    ) -> Result<usize, SyncError> {
        let moved = onewindow_sync::pull_results(client, store).await?;
        if moved > 0 {
            tracing::info!(steps = moved, "back-office results applied");
            self.bump();
        }
        let files = onewindow_sync::fetch_result_files(client, store, |f, bytes| {
            self.write_archive(&f.case_number, "result_file", bytes)
                .map(|(rel, _)| rel)
                .map_err(|e| e.message)
        })
        .await?;
        if files > 0 {
            tracing::info!(files, "result files fetched");
            self.bump();
        }
        Ok(moved)
    }

    /// Polls the results stream every `RESULTS_POLL` while enrolled. Runs until the process ends.
    pub async fn run_results_loop(self: std::sync::Arc<Self>) {
        loop {
            if let Err(e) = self.pull_results_once().await
                && !matches!(e, SyncError::Unreachable { .. })
            {
                tracing::warn!(code = %e.code(), "results poll failed");
            }
            tokio::time::sleep(RESULTS_POLL).await;
        }
    }

    /// A clerk signs in. The hub checks the password when it can be reached, and the desk
    /// keeps an Argon2id verifier of it; without the hub, that verifier signs the clerk in for
    /// `offline_login_days` after. Five wrong passwords in a row lock the name for 15 minutes
    /// (here and on the hub); the password is asked every time.
    pub async fn login(&self, name: &str, password: &str) -> Result<dto::DeskStatus, AppError> {
        let (name, password) = (name.trim(), password);
        if name.is_empty() || password.is_empty() {
            return Err(AppError {
                code: ErrorCode::BadLogin,
                message: "请输入用户名和密码".into(),
            });
        }
        let now = Utc::now();
        let attempts = self.with_store(|s| s.sign_in_attempts(name))?;
        if let Some(until) = attempts.locked(now) {
            tracing::warn!("sign-in refused: name locked on this desk");
            self.audit_as(
                name,
                &self.desk_code(),
                "login",
                name,
                "refused: locked",
                None,
            );
            return Err(AppError {
                code: ErrorCode::LoginLocked,
                message: onewindow_domain::login::locked_message(until),
            });
        }
        let token = self.token.relock().clone();
        let checked = match &token {
            Some(t) => Some(self.client().with_token(t).login(name, password).await),
            None => None,
        };
        match checked {
            Some(Ok(answer)) => {
                let verifier = argon2_hash(password).await?;
                let v = onewindow_store::sign_in::Verifier {
                    name: answer.name.clone(),
                    role: answer.role.clone(),
                    domains: answer.domains.clone(),
                    verifier,
                    verified_at: now,
                };
                self.note_sign_in(|s| s.sign_in_succeeded(&v.name, Some(&v)))?;
                self.signed_in(&answer.name, &answer.role, false);
                Ok(self.status())
            }
            Some(Err(e)) if e.code() == onewindow_sync::SyncCode::BadLogin => {
                Err(self.wrong_password(name, now)?)
            }
            Some(Err(e)) if !matches!(e, SyncError::Unreachable { .. }) => Err(AppError {
                code: e.code().into(),
                message: e.message_zh(),
            }),
            // The hub cannot be reached (or the desk is not enrolled): the verifier decides.
            _ => {
                self.login_offline(name, password, token.is_some(), now)
                    .await
            }
        }
    }

    async fn login_offline(
        &self,
        name: &str,
        password: &str,
        enrolled: bool,
        now: chrono::DateTime<Utc>,
    ) -> Result<dto::DeskStatus, AppError> {
        let days = self.config.offline_login_days;
        let Some(v) = self.with_store(|s| s.sign_in_verifier(name))? else {
            return Err(AppError {
                code: if enrolled {
                    ErrorCode::NoOfflineLogin
                } else {
                    ErrorCode::NotEnrolled
                },
                message: if enrolled {
                    format!(
                        "无法连接中心，且本机没有该用户 {days} 天内在中心核验过的登录，不能离线登录"
                    )
                } else {
                    "本窗口尚未注册到中心，无法登录；请先注册本窗口（F10）".into()
                },
            });
        };
        if !onewindow_domain::login::offline_login_valid(v.verified_at, days, now) {
            return Err(AppError {
                code: ErrorCode::OfflineLoginExpired,
                message: format!("离线登录有效期（{days} 天）已过，请在能连接中心时登录"),
            });
        }
        let (verifier, typed) = (v.verifier.clone(), password.to_string());
        let good = tokio::task::spawn_blocking(move || {
            use argon2::password_hash::{PasswordHash, PasswordVerifier};
            PasswordHash::new(&verifier).is_ok_and(|h| {
                argon2::Argon2::default()
                    .verify_password(typed.as_bytes(), &h)
                    .is_ok()
            })
        })
        .await
        .unwrap_or(false);
        if !good {
            return Err(self.wrong_password(name, now)?);
        }
        self.note_sign_in(|s| s.sign_in_succeeded(name, None))?;
        tracing::info!(role = %v.role, "signed in offline with the cached verifier");
        self.signed_in(&v.name, &v.role, true);
        Ok(self.status())
    }

    /// Writes what a sign-in leaves behind (the attempt count, the verifier). The password has
    /// been checked by then: on a full disk the clerk still signs in (and can work on what
    /// needs no new space); the verifier or the count is written at a later sign-in.
    fn note_sign_in(
        &self,
        write: impl FnOnce(&mut onewindow_store::Store) -> Result<(), onewindow_store::StoreError>,
    ) -> Result<(), AppError> {
        match self.with_store_mut(write) {
            Err(e) if e.code == ErrorCode::DiskFull => {
                tracing::warn!("sign-in not noted in the cache: the disk is full");
                Ok(())
            }
            other => other,
        }
    }

    fn wrong_password(&self, name: &str, now: chrono::DateTime<Utc>) -> Result<AppError, AppError> {
        let after = match self.with_store_mut(|s| s.sign_in_failed(name, now)) {
            Ok(after) => after,
            // Refused all the same; the count waits for space.
            Err(e) if e.code == ErrorCode::DiskFull => {
                tracing::warn!("wrong password not counted: the disk is full");
                self.audit_as(
                    name,
                    &self.desk_code(),
                    "login",
                    name,
                    "refused: wrong password",
                    None,
                );
                return Ok(AppError {
                    code: ErrorCode::BadLogin,
                    message: "用户名或密码不正确".into(),
                });
            }
            Err(e) => return Err(e),
        };
        tracing::warn!(failures = after.failures, "sign-in refused: wrong password");
        self.audit_as(
            name,
            &self.desk_code(),
            "login",
            name,
            if after.locked_until.is_some() {
                "refused: wrong password, now locked"
            } else {
                "refused: wrong password"
            },
            None,
        );
        Ok(AppError {
            code: if after.locked_until.is_some() {
                ErrorCode::LoginLocked
            } else {
                ErrorCode::BadLogin
            },
            message: onewindow_domain::login::wrong_password_message(&after),
        })
    }

    fn signed_in(&self, name: &str, role: &str, offline: bool) {
        let role_label = match role {
            "clerk" => "窗口人员",
            "supervisor" => "主管",
            "approver" => "审批人员",
            "admin" => "管理员",
            _ => "用户",
        };
        // Signing in opens a locked screen; another clerk signing in keeps the open case.
        self.locked
            .store(false, std::sync::atomic::Ordering::SeqCst);
        tracing::info!(user = %name, role = %role, offline, "signed in");
        self.audit_as(
            name,
            &self.desk_code(),
            "login",
            name,
            "ok",
            Some(if offline { "offline" } else { "hub" }),
        );
        *self.user.write_now() = Some(dto::UserView {
            name: name.to_string(),
            role: role.to_string(),
            role_label: role_label.into(),
            offline,
        });
    }

    pub fn logout(&self) -> dto::DeskStatus {
        let gone = self.user.write_now().take();
        if let Some(u) = gone {
            tracing::info!(user = %u.name, "signed out");
            self.audit_as(&u.name, &self.desk_code(), "logout", &u.name, "ok", None);
        }
        self.status()
    }

    /// The name events are recorded under.
    pub(crate) fn user_name(&self) -> String {
        self.user
            .read_now()
            .as_ref()
            .map(|u| u.name.clone())
            .unwrap_or_else(|| self.config.clerk.clone())
    }

    /// Downloads one stream again (catalog, calendar, queue configuration or results) without
    /// touching cases or the outbox.
    pub async fn reset_stream(&self, stream: &str) -> Result<dto::DeskStatus, AppError> {
        if !matches!(stream, "catalog" | "calendar" | "queue_config" | "results") {
            return Err(AppError {
                code: ErrorCode::BadStream,
                message: "只能重新下载事项目录、节假日日历、叫号配置或办理结果".into(),
            });
        }
        self.with_store_mut(|s| s.reset_stream(stream))?;
        tracing::warn!(stream, "stream reset by the clerk");
        if stream == "catalog" {
            self.reload_catalog_after_reset()?;
        }
        let _ = self.sync_once().await;
        Ok(self.status())
    }

    pub fn rejected_ops(&self) -> Result<Vec<dto::RejectedOpView>, AppError> {
        Ok(self
            .with_store(|s| s.rejected_ops())?
            .into_iter()
            .map(|r| dto::RejectedOpView {
                kind_label: onewindow_proto::OpKind::parse(&r.kind)
                    .map_or_else(|| r.kind.clone(), |k| k.label_zh().to_string()),
                op_id: r.op_id,
                case_number: r.case_number,
                reason: r.reason,
                at: r.at,
            })
            .collect())
    }

    /// Sends a rejected op again at the next push.
    pub fn resend_op(&self, op_id: &str) -> Result<Vec<dto::RejectedOpView>, AppError> {
        let who = self.user_name();
        self.with_store_mut(|s| s.resend_op(op_id, &who, Utc::now()))?;
        self.rejected_ops()
    }

    /// Gives up a rejected op, with the clerk's recorded reason.
    pub fn discard_op(
        &self,
        op_id: &str,
        reason: &str,
    ) -> Result<Vec<dto::RejectedOpView>, AppError> {
        if reason.trim().chars().count() < 4 {
            return Err(AppError {
                code: ErrorCode::ReasonRequired,
                message: "请写明放弃该操作的原因（至少 4 个字），原因会被记录".into(),
            });
        }
        let who = self.user_name();
        self.with_store_mut(|s| s.discard_op(op_id, reason, &who, Utc::now()))?;
        self.rejected_ops()
    }

    /// Pending ops and bytes (ops plus files not yet on the hub), oldest pending, rejects.
    pub(crate) fn push_health(&self) -> dto::PushStatus {
        let identity = self.identity.read_now().clone();
        let reads = self.status_reads();
        let health = &reads.push;
        // One lock at a time: a struct literal would hold both guards to its end, the other
        // way round from `push_now` (which sets the time under the problem's lock).
        let problem = self.push_problem.relock().clone();
        let last_push_at = self
            .last_push
            .relock()
            .map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, true));
        dto::PushStatus {
            enrolled: identity.is_some(),
            desk_code: self.desk_code(),
            desk_name: identity.map(|i| i.desk_name),
            pending_ops: health.pending_ops as u32,
            pending_bytes: (health.pending_op_bytes + health.pending_blob_bytes) as u64,
            oldest_pending_at: health.oldest_pending_at.clone(),
            rejected: health.rejected as u32,
            last_push_at,
            problem,
            streams: crate::desk::PULL_STREAMS
                .iter()
                .zip(&reads.stream_pulls)
                .map(|((stream, label), at)| dto::StreamPull {
                    stream: stream.to_string(),
                    label: label.to_string(),
                    last_pull_at: at.clone(),
                })
                .collect(),
        }
    }
}

/// An Argon2id verifier of `password` with a fresh salt (off the async workers: it takes tens
/// of milliseconds by design).
async fn argon2_hash(password: &str) -> Result<String, AppError> {
    let password = password.to_string();
    tokio::task::spawn_blocking(move || {
        use argon2::password_hash::{PasswordHasher, SaltString};
        let mut salt = [0u8; 16];
        getrandom::fill(&mut salt).expect("the OS random source works");
        let salt = SaltString::encode_b64(&salt).expect("16 bytes make a salt");
        argon2::Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
    })
    .await
    .ok()
    .and_then(Result::ok)
    .ok_or_else(|| AppError {
        code: ErrorCode::Internal,
        message: "登录记录无法保存，请重试".into(),
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn plain_http_is_for_this_pc_only() {
        for yes in [
            "127.0.0.1:8470",
            "localhost:8470/",
            "[::1]:8470",
            "127.0.0.2",
        ] {
            assert!(super::is_loopback_host(yes), "{yes}");
        }
        for no in ["10.0.0.5:8470", "hub.example:80", "127.0.0.1.example:1", ""] {
            assert!(!super::is_loopback_host(no), "{no}");
        }
    }
}
