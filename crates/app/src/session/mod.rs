//! The session service: who this desk is to the hub and who works at it. Enrolment (a
//! one-time code for a device token and a desk code), the token kept in the OS keyring (Secret
//! Service, Keychain, Windows Credential Manager) and never in a file, the hub client, the
//! signed-in user and the screen lock; the access check (`access.rs`) and the audit trail
//! (`audit.rs`) are this service's too, as they record and decide by who is signed in.

use crate::error::ErrorCode;
use chrono::{SecondsFormat, Utc};
use onewindow_domain::audit::{AuditSigner, NOBODY};
use onewindow_proto::AuditKeyRegistration;
use onewindow_store::push::Identity;
use onewindow_sync::{HubClient, SyncError};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::cache::Cache;
use crate::desk::DeskConfig;
use crate::dto::{self, AppError};
use crate::locks::{DeskMutex, DeskRwLock, Rank};

pub mod access;
pub mod audit;

pub(crate) struct Session {
    config: Arc<DeskConfig>,
    cache: Arc<Cache>,
    /// The hub: from settings, or the one the desk enrolled with.
    client: DeskRwLock<HubClient>,
    /// The enrolment, once made.
    identity: DeskRwLock<Option<Identity>>,
    /// The device token, read from the OS keyring at start or received at enrolment.
    token: DeskMutex<Option<String>>,
    /// Who signed in (checked by the hub).
    user: DeskRwLock<Option<dto::UserView>>,
    /// The screen is locked: only signing in (the same clerk or another) opens it.
    locked: AtomicBool,
    /// The signed-in clerk's session on the hub (an online sign-in's); none after an offline
    /// one. Only a clerk with one may look up e-licences.
    hub_session: DeskMutex<Option<String>>,
    /// The key this desk signs its audit records with (Ed25519, kept in the OS keyring), once
    /// it has one: made at enrolment, or at the first online sign-in of a desk enrolled before.
    audit_key: DeskRwLock<Option<AuditSigner>>,
}

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

/// The keyring account of a device's audit signing key.
fn audit_key_account(device_id: &str) -> String {
    format!("{device_id}:audit-key")
}

/// Reads the device's audit signing key from the OS keyring.
pub fn load_audit_key(device_id: &str) -> Result<Option<AuditSigner>, AppError> {
    let entry = keyring::Entry::new(KEYRING_SERVICE, &audit_key_account(device_id))
        .map_err(keyring_error)?;
    match entry.get_password() {
        Ok(t) => Ok(AuditSigner::from_seed_hex(&t)),
        Err(keyring::Error::NoEntry) => Ok(None),
        Err(e) => Err(keyring_error(e)),
    }
}

fn save_audit_key(device_id: &str, key: &AuditSigner) -> Result<(), AppError> {
    keyring::Entry::new(KEYRING_SERVICE, &audit_key_account(device_id))
        .and_then(|e| e.set_password(&key.seed_hex()))
        .map_err(keyring_error)
}

/// A new audit signing key from the OS's random source.
fn new_audit_key() -> AuditSigner {
    let mut seed = [0u8; 32];
    getrandom::fill(&mut seed).expect("the OS random source works");
    AuditSigner::from_seed(&seed)
}

/// A hub address as typed at enrolment: `http(s)://host[:port]`, nothing before the host (no
/// user info: `http://[::1]@10.0.0.5` is not this PC), no query or fragment, plain HTTP only to
/// this PC. The address normalised, and whether it is HTTPS; or what is wrong, in Chinese.
pub(crate) fn check_hub_url(typed: &str) -> Result<(String, bool), &'static str> {
    let url = url::Url::parse(typed.trim())
        .map_err(|_| "中心地址无法识别，例如 https://10.0.0.5:8470")?;
    let https = match url.scheme() {
        "https" => true,
        "http" => false,
        _ => return Err("中心地址应以 https:// 开头，例如 https://10.0.0.5:8470"),
    };
    if !url.username().is_empty() || url.password().is_some() {
        return Err("中心地址不得包含用户名或密码（“@”之前的部分），请只填写主机和端口");
    }
    if url.query().is_some() || url.fragment().is_some() || url.path() != "/" {
        return Err("中心地址只需主机和端口，例如 https://10.0.0.5:8470");
    }
    let loopback = match url.host() {
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => return Err("中心地址不完整，例如 https://10.0.0.5:8470"),
    };
    // Plain HTTP only to a hub on this very PC: anywhere else the link is encrypted.
    if !https && !loopback {
        return Err("连接其他电脑上的中心须使用 https://（仅本机中心可用 http://）");
    }
    Ok((url.as_str().trim_end_matches('/').to_string(), https))
}

impl Session {
    pub(crate) fn new(config: Arc<DeskConfig>, cache: Arc<Cache>) -> Session {
        Session {
            client: DeskRwLock::new(
                Rank::Client,
                HubClient::pinned(&config.hub_url, config.hub_pin.as_deref()),
            ),
            identity: DeskRwLock::new(Rank::Identity, None),
            token: DeskMutex::new(Rank::Token, None),
            user: DeskRwLock::new(Rank::User, None),
            locked: AtomicBool::new(false),
            hub_session: DeskMutex::new(Rank::HubSession, None),
            audit_key: DeskRwLock::new(Rank::AuditKey, None),
            config,
            cache,
        }
    }

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

    /// Loads the enrolment and its token at start; returns why the desk cannot push (its
    /// token is gone), if it cannot.
    pub(crate) fn load_identity(&self) -> Option<String> {
        let Ok(Some(id)) = self.cache.with_store(|s| s.identity()) else {
            return None;
        };
        match load_audit_key(&id.device_id) {
            Ok(key) => *self.audit_key.write_now() = key,
            Err(e) => tracing::warn!(code = %e.code, "audit key not read from the keyring"),
        }
        let problem = match load_token(&id.device_id) {
            Ok(Some(token)) => {
                *self.token.relock() = Some(token);
                None
            }
            Ok(None) => {
                Some("系统密钥环中没有本窗口的设备令牌（可能被清除），请重新注册本窗口".to_string())
            }
            Err(e) => Some(e.message),
        };
        let current = self.client();
        if id.hub_url != current.base_url() || id.hub_pin.as_deref() != current.pin() {
            tracing::info!(hub = %id.hub_url, pinned = id.hub_pin.is_some(), "using the enrolled hub");
            *self.client.write_now() = HubClient::pinned(&id.hub_url, id.hub_pin.as_deref());
        }
        *self.identity.write_now() = Some(id);
        problem
    }

    /// The device token, once enrolled.
    pub(crate) fn token(&self) -> Option<String> {
        self.token.relock().clone()
    }

    /// The hub client with the device token, once enrolled.
    pub(crate) fn device_client(&self) -> Option<HubClient> {
        let token = self.token()?;
        Some(self.client().with_token(&token))
    }

    /// The signed-in clerk's session on the hub, after an online sign-in.
    pub(crate) fn hub_session(&self) -> Option<String> {
        self.hub_session.relock().clone()
    }

    /// The key audit records are signed with as they leave for the hub, once there is one.
    pub(crate) fn audit_key(&self) -> Option<AuditSigner> {
        self.audit_key.read_now().clone()
    }

    /// The enrolment, once made.
    pub(crate) fn identity(&self) -> Option<Identity> {
        self.identity.read_now().clone()
    }

    /// Who is signed in.
    pub(crate) fn user(&self) -> Option<dto::UserView> {
        self.user.read_now().clone()
    }

    pub(crate) fn is_locked(&self) -> bool {
        self.locked.load(Ordering::SeqCst)
    }

    /// Locks the screen; whether it was unlocked until now.
    fn lock(&self) -> bool {
        !self.locked.swap(true, Ordering::SeqCst)
    }

    /// The first-run screen: the hub URL, the administrator's one-time code and, for an
    /// `https://` hub, its certificate's fingerprint (at least its first 32 hex digits) as
    /// `onewindow-hub enrol` printed it. The whole fingerprint of the certificate that matched
    /// is pinned from then on. The token goes to the OS keyring; no keyring, no enrolment
    /// (never a plaintext token file).
    pub(crate) async fn enrol(&self, hub_url: &str, code: &str, pin: &str) -> Result<(), AppError> {
        let (url, https) = check_hub_url(hub_url).map_err(|message| AppError {
            code: ErrorCode::BadUrl,
            message: message.into(),
        })?;
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
        // The key this desk will sign its audit records with, registered with the enrolment:
        // the hub's copy of the chain starts at today's head (what was recorded before the desk
        // was enrolled stays here).
        let key = new_audit_key();
        let (head_seq, head_hash) = self.cache.with_store(|s| s.audit_head())?;
        let registration = AuditKeyRegistration {
            public_key: key.public_hex(),
            head_seq,
            head_hash,
        };
        let enrolment = client
            .enrol_with_key(code, Some(registration))
            .await
            .map_err(|e| {
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
        save_audit_key(&enrolment.device_id, &key)?;
        // The hub holds the chain up to here; what follows is sent.
        let hub_has = enrolment.audit_seq.unwrap_or(0);
        self.cache.with_store_mut(|s| s.audit_sent(hub_has))?;
        *self.audit_key.write_now() = Some(key);
        let id = Identity {
            device_id: enrolment.device_id.clone(),
            desk_code: enrolment.desk_code.clone(),
            desk_name: enrolment.desk_name.clone(),
            hub_url: url.clone(),
            enrolled_at: self.config.now().to_rfc3339_opts(SecondsFormat::Secs, true),
            hub_pin,
        };
        self.cache.with_store_mut(|s| s.set_identity(&id))?;
        tracing::info!(desk_code = %id.desk_code, "desk enrolled");
        *self.client.write_now() = client;
        *self.token.relock() = Some(enrolment.token);
        *self.identity.write_now() = Some(id);
        Ok(())
    }

    /// A clerk signs in. The hub checks the password when it can be reached, and the desk
    /// keeps an Argon2id verifier of it; without the hub, that verifier signs the clerk in for
    /// `offline_login_days` after. Five wrong passwords in a row lock the name for 15 minutes
    /// (here and on the hub); the password is asked every time.
    pub(crate) async fn login(&self, name: &str, password: &str) -> Result<(), AppError> {
        let (name, password) = (name.trim(), password);
        if name.is_empty() || password.is_empty() {
            return Err(AppError {
                code: ErrorCode::BadLogin,
                message: "请输入用户名和密码".into(),
            });
        }
        let now = self.config.now();
        let attempts = self.cache.with_store(|s| s.sign_in_attempts(name))?;
        if let Some(until) = attempts.locked(now) {
            tracing::warn!("sign-in refused: name locked on this desk");
            self.audit_as(
                NOBODY,
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
        let token = self.token();
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
                self.end_hub_session();
                *self.hub_session.relock() = answer.session.clone();
                self.signed_in(&answer.name, &answer.role, false);
                if let Some(t) = &token {
                    self.register_audit_key(t).await;
                }
                Ok(())
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
    ) -> Result<(), AppError> {
        let days = self.config.offline_login_days;
        // Every sign-in attempt is one audit record with its result, refused ones too.
        let refused = |result: &str| {
            self.audit_as(NOBODY, &self.desk_code(), "login", name, result, None);
        };
        let Some(v) = self.cache.with_store(|s| s.sign_in_verifier(name))? else {
            refused(if enrolled {
                "refused: no offline sign-in"
            } else {
                "refused: desk not enrolled"
            });
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
            refused("refused: offline sign-in expired");
            let ended = onewindow_domain::login::offline_login_last_day(v.verified_at, days)
                .map_or_else(
                    || "本窗口不允许离线登录".to_string(),
                    |last| {
                        format!(
                            "离线登录有效期（在中心核验后 {days} 天）已于 {} 结束",
                            onewindow_domain::login::day_label(last)
                        )
                    },
                );
            return Err(AppError {
                code: ErrorCode::OfflineLoginExpired,
                message: format!("{ended}，请在能连接中心时登录"),
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
        self.end_hub_session();
        tracing::info!(role = %v.role, "signed in offline with the cached verifier");
        self.signed_in(&v.name, &v.role, true);
        Ok(())
    }

    /// The clerks whose offline sign-in on this desk ends within a week (the sign-in and lock
    /// screens name the day), soonest first.
    pub(crate) fn offline_sign_ins_ending(
        &self,
    ) -> Result<Vec<dto::OfflineSignInEnding>, AppError> {
        use onewindow_domain::login;
        let days = self.config.offline_login_days;
        let now = self.config.now();
        let mut ending: Vec<dto::OfflineSignInEnding> = self
            .cache
            .with_store(|s| s.sign_in_verified_at())?
            .into_iter()
            .filter_map(|(name, at)| {
                let last = login::offline_login_last_day(at, days)?;
                let days_left = login::offline_login_ending(last, now)?;
                Some(dto::OfflineSignInEnding {
                    name,
                    last_day: last.to_string(),
                    last_day_label: login::day_label(last),
                    days_left,
                })
            })
            .collect();
        ending.sort_by(|a, b| (&a.last_day, &a.name).cmp(&(&b.last_day, &b.name)));
        Ok(ending)
    }

    /// Writes what a sign-in leaves behind (the attempt count, the verifier). The password has
    /// been checked by then: on a full disk the clerk still signs in (and can work on what
    /// needs no new space); the verifier or the count is written at a later sign-in.
    fn note_sign_in(
        &self,
        write: impl FnOnce(&mut onewindow_store::Store) -> Result<(), onewindow_store::StoreError>,
    ) -> Result<(), AppError> {
        match self.cache.with_store_mut(write) {
            Err(e) if e.code == ErrorCode::DiskFull => {
                tracing::warn!("sign-in not noted in the cache: the disk is full");
                Ok(())
            }
            other => other,
        }
    }

    fn wrong_password(&self, name: &str, now: chrono::DateTime<Utc>) -> Result<AppError, AppError> {
        let after = match self.cache.with_store_mut(|s| s.sign_in_failed(name, now)) {
            Ok(after) => after,
            // Refused all the same; the count waits for space.
            Err(e) if e.code == ErrorCode::DiskFull => {
                tracing::warn!("wrong password not counted: the disk is full");
                self.audit_as(
                    NOBODY,
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
            NOBODY,
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
        self.locked.store(false, Ordering::SeqCst);
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

    /// Ends the hub session of the clerk signed in until now, if there was one (best effort:
    /// it also ends by itself).
    fn end_hub_session(&self) {
        let Some(session) = self.hub_session.relock().take() else {
            return;
        };
        let (Some(client), Ok(rt)) = (self.device_client(), tokio::runtime::Handle::try_current())
        else {
            return;
        };
        rt.spawn(async move {
            if let Err(e) = client.logout(&session).await {
                tracing::debug!(code = %e.code(), "hub session not ended at sign-out");
            }
        });
    }

    /// Registers this desk's audit key with the hub, making one first if the desk was enrolled
    /// before audit signing; the same key again is a no-op on the hub, so a registration that
    /// failed is made at a later sign-in. From then on the desk's records leave signed.
    async fn register_audit_key(&self, token: &str) {
        let Some(id) = self.identity() else {
            return;
        };
        let key = match self.audit_key() {
            Some(k) => k,
            None => {
                let k = new_audit_key();
                if let Err(e) = save_audit_key(&id.device_id, &k) {
                    tracing::warn!(code = %e.code, "audit key not kept: the keyring refused it");
                    return;
                }
                *self.audit_key.write_now() = Some(k.clone());
                tracing::info!("audit signing key made");
                k
            }
        };
        // Read after the key is in place: every record after this head leaves signed.
        let Ok((head_seq, head_hash)) = self.cache.with_store(|s| s.audit_head()) else {
            return;
        };
        let reg = AuditKeyRegistration {
            public_key: key.public_hex(),
            head_seq,
            head_hash,
        };
        if let Err(e) = self
            .client()
            .with_token(token)
            .register_audit_key(&reg)
            .await
        {
            tracing::warn!(code = %e.code(), error = %e, "audit key not registered with the hub");
        }
    }

    pub(crate) fn logout(&self) {
        self.end_hub_session();
        let gone = self.user.write_now().take();
        if let Some(u) = gone {
            tracing::info!(user = %u.name, "signed out");
            self.audit_as(&u.name, &self.desk_code(), "logout", &u.name, "ok", None);
        }
    }

    /// The name events are recorded under.
    pub(crate) fn user_name(&self) -> String {
        self.user
            .read_now()
            .as_ref()
            .map(|u| u.name.clone())
            .unwrap_or_else(|| self.config.clerk.clone())
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
            "http://127.0.0.1:8470",
            "http://localhost:8470/",
            "http://[::1]:8470",
            "http://127.0.0.2",
            "https://10.0.0.5:8470",
        ] {
            assert!(super::check_hub_url(yes).is_ok(), "{yes}");
        }
        for no in [
            "http://10.0.0.5:8470",
            "http://hub.example:80",
            "http://127.0.0.1.example:1",
            "http://[::1]@10.0.0.5:8470",
            "https://user:pw@10.0.0.5:8470",
            "http://",
            "ftp://127.0.0.1",
            "https://10.0.0.5:8470/x?y",
        ] {
            assert!(super::check_hub_url(no).is_err(), "{no}");
        }
        assert_eq!(
            super::check_hub_url(" https://10.0.0.5:8470/ ").unwrap(),
            ("https://10.0.0.5:8470".to_string(), true)
        );
    }
}
