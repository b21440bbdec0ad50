//! Desk side of sync. The desk never needs the hub to work: these functions bring the desk's
//! cache up to date when the hub answers and report, in Chinese and in English, when it does not.

use std::sync::{Arc, Mutex};
use std::time::Duration;

mod pull;
mod push;
mod release;
pub use release::{HubRelease, release, set_release};
pub mod tls;

pub use pull::{
    CATALOG_BUFFER, PullReport, fetch_result_files, pull_calendar, pull_catalog,
    pull_catalog_buffered, pull_centre_scope, pull_queue_config, pull_results,
    pull_results_waiting,
};
pub use push::{
    BATCH_BLOB_BYTES, PushReport, follow_epoch, push_audit, push_outbox, rejoin, upload_blob,
};

use onewindow_intake::IntakeConfig;
use onewindow_proto::{
    ApiError, ApiErrorCode, BlobState, CalendarChanges, CatalogChanges, ELicences, EnrolRequest,
    Enrolment, Health, MAX_CHUNK, Op, OpStatus, PushRequest, PushResponse, paths,
};
use onewindow_store::catalog::{CALENDAR, CATALOG};
use onewindow_store::{Store, StoreCode, StoreError, StreamState};

/// How many catalog changes the desk asks for at once.
pub const CATALOG_PAGE: u32 = 2000;

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("hub {url} unreachable: {source}")]
    Unreachable { url: String, source: reqwest::Error },
    #[error("hub answered {status} {code}: {message}")]
    Hub {
        status: u16,
        code: ApiErrorCode,
        message: String,
    },
    #[error("hub sent a response that cannot be read: {0}")]
    BadResponse(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("store task failed: {0}")]
    Task(String),
}

/// What went wrong talking to the hub, as a stable code: the app turns it into the code the
/// UI switches on; the log carries `as_str`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SyncCode {
    HubCertMismatch,
    HubCertUnpinned,
    HubUnreachable,
    HubCursorAhead,
    BadEnrolCode,
    BadLogin,
    LoginLocked,
    DeviceRevoked,
    BadToken,
    /// The hub serves no desk this old: it must be updated (its outbox waits).
    DeskTooOld,
    HubError,
    HubBadResponse,
    Store(StoreCode),
    Internal,
}

impl SyncCode {
    pub fn as_str(self) -> &'static str {
        match self {
            SyncCode::HubCertMismatch => "hub_cert_mismatch",
            SyncCode::HubCertUnpinned => "hub_cert_unpinned",
            SyncCode::HubUnreachable => "hub_unreachable",
            SyncCode::HubCursorAhead => "hub_cursor_ahead",
            SyncCode::BadEnrolCode => "bad_enrol_code",
            SyncCode::BadLogin => "bad_login",
            SyncCode::LoginLocked => "login_locked",
            SyncCode::DeviceRevoked => "device_revoked",
            SyncCode::BadToken => "bad_token",
            SyncCode::DeskTooOld => "desk_too_old",
            SyncCode::HubError => "hub_error",
            SyncCode::HubBadResponse => "hub_bad_response",
            SyncCode::Store(c) => c.as_str(),
            SyncCode::Internal => "internal",
        }
    }
}

impl std::fmt::Display for SyncCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl SyncError {
    /// What went wrong, as a stable code.
    pub fn code(&self) -> SyncCode {
        match self {
            SyncError::Unreachable { source, .. } => match tls::pin_problem(source) {
                Some(tls::PIN_MISMATCH) => SyncCode::HubCertMismatch,
                Some(_) => SyncCode::HubCertUnpinned,
                None => SyncCode::HubUnreachable,
            },
            SyncError::Hub { code, .. } => match code {
                ApiErrorCode::CursorAhead => SyncCode::HubCursorAhead,
                ApiErrorCode::BadEnrolCode => SyncCode::BadEnrolCode,
                ApiErrorCode::BadLogin => SyncCode::BadLogin,
                ApiErrorCode::LoginLocked => SyncCode::LoginLocked,
                ApiErrorCode::DeviceRevoked => SyncCode::DeviceRevoked,
                ApiErrorCode::BadToken | ApiErrorCode::NoToken => SyncCode::BadToken,
                ApiErrorCode::DeskTooOld => SyncCode::DeskTooOld,
                _ => SyncCode::HubError,
            },
            SyncError::BadResponse(_) => SyncCode::HubBadResponse,
            SyncError::Store(e) => SyncCode::Store(e.code()),
            SyncError::Task(_) => SyncCode::Internal,
        }
    }

    /// The sentence the clerk sees.
    pub fn message_zh(&self) -> String {
        match self {
            SyncError::Unreachable { url, source } => match tls::pin_problem(source) {
                Some(tls::PIN_MISMATCH) => format!(
                    "中心服务（{url}）出示的证书与本窗口核对过的指纹不符，可能有人冒充中心；已停止连接，请联系管理员"
                ),
                Some(_) => format!(
                    "中心服务（{url}）使用加密连接，本窗口还没有核对过它的证书指纹；请在注册时填写管理员提供的指纹"
                ),
                None => format!("无法连接中心服务（{url}），正在使用本地缓存继续办理"),
            },
            SyncError::Hub { code: ApiErrorCode::CursorAhead, .. } => {
                "本地缓存记录的目录进度超过了中心服务（中心数据可能已重置），请重建缓存".into()
            }
            // The hub says how many tries are left, or until when the name is locked.
            SyncError::Hub {
                code: ApiErrorCode::BadLogin | ApiErrorCode::LoginLocked,
                message,
                ..
            } if !message.is_ascii() =>
            {
                message.clone()
            }
            SyncError::Hub { code: ApiErrorCode::BadLogin, .. } => "用户名或密码不正确".into(),
            // The hub says which release it requires and how to update.
            SyncError::Hub {
                code: ApiErrorCode::DeskTooOld,
                message,
                ..
            } if !message.is_ascii() => message.clone(),
            SyncError::Hub { code: ApiErrorCode::DeskTooOld, .. } => {
                "本窗口程序版本过旧，中心不再接收它的数据；请更新窗口程序。未上传的业务都保留在本机，更新后自动上传".into()
            }
            SyncError::Hub { code: ApiErrorCode::AuditChainBroken, .. } => {
                "本窗口的审计日志链不完整（记录被改动或删除），已报告中心；请联系管理员".into()
            }
            SyncError::Hub { code: ApiErrorCode::NoClerkSession, .. } => {
                "电子证照须由通过中心核验登录的工作人员查询；本次为离线登录或登录已过期，请锁屏后重新登录再查询".into()
            }
            SyncError::Hub { code: ApiErrorCode::TooManyRequests, .. } => {
                format!(
                    "本窗口查询过于频繁（电子证照每小时最多 {} 次），请稍后再试",
                    onewindow_proto::MAX_ELICENCE_LOOKUPS_PER_HOUR
                )
            }
            SyncError::Hub { code: ApiErrorCode::NotYourCase, .. } => {
                "中心拒绝：该办件编号不属于本窗口".into()
            }
            SyncError::Hub { code: ApiErrorCode::BadAuditKey, .. } => {
                "中心已登记本窗口的另一把审计签名密钥（本机密钥可能被清除）；请联系管理员重新注册本窗口".into()
            }
            SyncError::Hub { code: ApiErrorCode::StorageFull, .. } => {
                "中心存储已满，本窗口的办件暂存本地、稍后自动重发；请联系中心管理员清理中心服务器的磁盘".into()
            }
            SyncError::Hub { code: ApiErrorCode::BadEnrolCode, .. } => {
                "注册码无效或已被使用，请向管理员重新获取".into()
            }
            SyncError::Hub { code: ApiErrorCode::DeviceRevoked, .. } => {
                "本窗口的设备授权已被管理员吊销，办件暂存本地；请联系管理员重新注册".into()
            }
            SyncError::Hub { code: ApiErrorCode::BadToken | ApiErrorCode::NoToken, .. } => {
                "中心不认识本窗口的设备令牌，办件暂存本地；请重新注册本窗口".into()
            }
            SyncError::Hub { status, code, .. } => {
                format!("中心服务返回错误（{status} {code}），请稍后重试或联系管理员")
            }
            SyncError::BadResponse(_) => {
                "中心服务返回的数据无法识别，本地缓存未做更改；请联系管理员".into()
            }
            SyncError::Store(StoreError::BadChange { .. }) => {
                "中心服务下发的目录数据有误，本地缓存未做更改；请联系管理员".into()
            }
            SyncError::Store(e) if e.is_disk_full() => {
                "本机磁盘已满，同步下来的内容没有保存（已保存的内容不受影响）；请删除不需要的文件或请管理员清理磁盘，之后会自动继续".into()
            }
            SyncError::Store(_) => "本地缓存写入失败，请查看日志或重建缓存".into(),
            SyncError::Task(_) => "同步任务异常中止，请重试".into(),
        }
    }
}

/// The hub's HTTP API as the desk uses it. The only desk code that speaks HTTP.
/// Server-sent events, read as bytes arrive: the `data` of each complete event.
#[derive(Debug, Default)]
pub struct SseLines {
    buf: Vec<u8>,
    data: String,
}

impl SseLines {
    /// Takes the next bytes; returns the data of the events they complete.
    pub fn push(&mut self, bytes: &[u8]) -> Vec<String> {
        self.buf.extend_from_slice(bytes);
        let mut done = Vec::new();
        while let Some(end) = self.buf.iter().position(|&b| b == b'\n') {
            let line: Vec<u8> = self.buf.drain(..=end).collect();
            let line = String::from_utf8_lossy(&line);
            let line = line.trim_end_matches(['\r', '\n']);
            if line.is_empty() {
                if !self.data.is_empty() {
                    done.push(std::mem::take(&mut self.data));
                }
            } else if let Some(d) = line.strip_prefix("data:") {
                if !self.data.is_empty() {
                    self.data.push('\n');
                }
                self.data.push_str(d.strip_prefix(' ').unwrap_or(d));
            }
            // Comments (`: keep-alive`), `event:`, `id:` and `retry:` carry nothing for us.
        }
        done
    }
}

#[derive(Debug, Clone)]
pub struct HubClient {
    base: String,
    http: reqwest::Client,
    /// The device token, once enrolled.
    token: Option<String>,
    /// The hub's certificate fingerprint (lowercase hex, or the start of it) for `https://`.
    pin: Option<String>,
    /// The certificate the hub last presented.
    seen: Arc<Mutex<Option<tls::SeenCert>>>,
    /// The hub's epoch as its last answer said ([`onewindow_proto::EPOCH_HEADER`]).
    epoch_seen: Arc<Mutex<Option<String>>>,
    /// The epoch this desk knows, sent with each push.
    epoch_known: Option<String>,
    /// What the hub's last answer said of its release ([`HubRelease`]).
    hub_release: Arc<Mutex<HubRelease>>,
}

/// A client that accepts only the hub certificate `pin` names (no CA is trusted).
fn http_client(
    pin: Option<String>,
    seen: Arc<Mutex<Option<tls::SeenCert>>>,
    timeout: Option<Duration>,
    read_timeout: Option<Duration>,
) -> reqwest::Client {
    let mut b = reqwest::Client::builder()
        .default_headers(release::desk_headers())
        .connect_timeout(Duration::from_secs(3))
        .tls_backend_preconfigured(tls::client_config(pin, seen));
    if let Some(t) = timeout {
        b = b.timeout(t);
    }
    if let Some(t) = read_timeout {
        b = b.read_timeout(t);
    }
    b.build()
        .expect("reqwest client with a pinned rustls config")
}

impl HubClient {
    /// A client of a hub on plain HTTP (loopback), or on `https://` with no certificate pinned
    /// yet (every connection is then refused and says so).
    pub fn new(base_url: &str) -> Self {
        Self::pinned(base_url, None)
    }

    /// A client of the hub at `base_url` whose certificate fingerprint starts with `pin`.
    pub fn pinned(base_url: &str, pin: Option<&str>) -> Self {
        let pin = pin.map(str::to_string);
        let seen = Arc::new(Mutex::new(None));
        HubClient {
            base: base_url.trim_end_matches('/').to_string(),
            http: http_client(
                pin.clone(),
                seen.clone(),
                Some(Duration::from_secs(60)),
                None,
            ),
            token: None,
            pin,
            seen,
            epoch_seen: Arc::default(),
            epoch_known: None,
            hub_release: Arc::default(),
        }
    }

    /// The same hub, with pushes naming `epoch` (the hub's epoch this desk knows).
    pub fn with_epoch(&self, epoch: Option<String>) -> HubClient {
        HubClient {
            epoch_known: epoch,
            ..self.clone()
        }
    }

    /// The hub's epoch as its last answer said, if it said one.
    pub fn seen_epoch(&self) -> Option<String> {
        self.epoch_seen
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// What the hub's last answer said of its release.
    pub fn hub_release(&self) -> HubRelease {
        self.hub_release
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Keeps what an answer of the hub says of it: its epoch, protocol and published release.
    fn note_answer(&self, resp: &reqwest::Response) {
        if let Some(seen) = release::hub_release_of(resp) {
            *self.hub_release.lock().unwrap_or_else(|p| p.into_inner()) = seen;
        }
        if let Some(epoch) = resp
            .headers()
            .get(onewindow_proto::EPOCH_HEADER)
            .and_then(|v| v.to_str().ok())
            .filter(|e| !e.is_empty() && e.len() <= 64)
        {
            *self.epoch_seen.lock().unwrap_or_else(|p| p.into_inner()) = Some(epoch.to_string());
        }
    }

    /// `GET /v1/heads`: the hub's epoch and what it holds of this device's history.
    pub async fn heads(&self) -> Result<onewindow_proto::DeviceHeads, SyncError> {
        let url = format!("{}{}", self.base, paths::HEADS);
        self.send(self.http.get(url), paths::HEADS).await
    }

    /// The fingerprint pinned for this hub, if any.
    pub fn pin(&self) -> Option<&str> {
        self.pin.as_deref()
    }

    /// The whole fingerprint of the certificate the hub last presented (after a request over
    /// `https://`): what the desk keeps once a typed prefix matched it.
    pub fn seen_fingerprint(&self) -> Option<String> {
        self.seen_certificate().map(|c| c.fingerprint)
    }

    /// The certificate the hub last presented (after a request over `https://`).
    pub fn seen_certificate(&self) -> Option<tls::SeenCert> {
        self.seen.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// The same hub, speaking as an enrolled device.
    pub fn with_token(&self, token: &str) -> HubClient {
        HubClient {
            token: Some(token.to_string()),
            ..self.clone()
        }
    }

    pub fn has_token(&self) -> bool {
        self.token.is_some()
    }

    /// Sends a request and reads a JSON answer; errors as for `get`.
    async fn send<T: serde::de::DeserializeOwned>(
        &self,
        req: reqwest::RequestBuilder,
        route: &str,
    ) -> Result<T, SyncError> {
        let bytes = self.send_raw(req).await?;
        serde_json::from_slice(&bytes).map_err(|e| SyncError::BadResponse(format!("{route}: {e}")))
    }

    /// Sends a request (with the token) and returns the answer's bytes; a non-2xx answer is a
    /// [`SyncError::Hub`] with the hub's error code.
    async fn send_raw(&self, req: reqwest::RequestBuilder) -> Result<Vec<u8>, SyncError> {
        let req = match &self.token {
            Some(t) => req.bearer_auth(t),
            None => req,
        };
        let unreachable = |source: reqwest::Error| SyncError::Unreachable {
            url: self.base.clone(),
            source: source.without_url(),
        };
        let resp = req.send().await.map_err(unreachable)?;
        self.note_answer(&resp);
        let status = resp.status();
        let bytes = resp.bytes().await.map_err(unreachable)?;
        if !status.is_success() {
            let err: ApiError = serde_json::from_slice(&bytes).unwrap_or(ApiError {
                code: ApiErrorCode::Unknown,
                message: String::from_utf8_lossy(&bytes).chars().take(200).collect(),
            });
            return Err(SyncError::Hub {
                status: status.as_u16(),
                code: err.code,
                message: err.message,
            });
        }
        Ok(bytes.to_vec())
    }

    /// A file of the hub's APT repository (`/apt/NAME`): its signing key, for `--system`.
    pub async fn apt_file(&self, name: &str) -> Result<Vec<u8>, SyncError> {
        let url = format!("{}{}/{name}", self.base, onewindow_proto::apt::PATH);
        self.send_raw(self.http.get(url)).await
    }

    /// A result file of one of this desk's cases, checked against its SHA-256.
    pub async fn result_file(&self, sha: &str) -> Result<Vec<u8>, SyncError> {
        let url = format!("{}{}/{sha}", self.base, paths::RESULT_FILES);
        let bytes = self.send_raw(self.http.get(url)).await?;
        use sha2::Digest;
        let got = format!("{:x}", sha2::Sha256::digest(&bytes));
        if got != sha {
            return Err(SyncError::BadResponse(format!(
                "result file {sha} arrived with SHA-256 {got}"
            )));
        }
        Ok(bytes)
    }

    /// Trades a one-time enrolment code for this device's identity and token.
    /// Trades a one-time enrolment code for this device's identity, registering no audit key
    /// (a desk of an earlier release, or a test client).
    pub async fn enrol(&self, code: &str) -> Result<Enrolment, SyncError> {
        self.enrol_with_key(code, None).await
    }

    /// Like [`HubClient::enrol`]; `audit_key` registers the key the desk will sign its audit
    /// records with.
    pub async fn enrol_with_key(
        &self,
        code: &str,
        audit_key: Option<onewindow_proto::AuditKeyRegistration>,
    ) -> Result<Enrolment, SyncError> {
        let url = format!("{}{}", self.base, paths::ENROL);
        self.send(
            self.http.post(url).json(&EnrolRequest {
                code: code.into(),
                audit_key,
            }),
            paths::ENROL,
        )
        .await
    }

    /// Registers the audit signing key of a desk enrolled before audit signing (device token
    /// required). The same key again is fine; another one is refused.
    pub async fn register_audit_key(
        &self,
        key: &onewindow_proto::AuditKeyRegistration,
    ) -> Result<(), SyncError> {
        let url = format!("{}{}", self.base, paths::AUDIT_KEY);
        self.send_raw(self.http.post(url).json(key)).await.map(drop)
    }

    /// Ends a clerk's session at this desk on the hub (best effort: it also ends by itself).
    pub async fn logout(&self, session: &str) -> Result<(), SyncError> {
        let url = format!("{}{}", self.base, paths::LOGOUT);
        self.send_raw(
            self.http
                .post(url)
                .header(onewindow_proto::CLERK_SESSION_HEADER, session),
        )
        .await
        .map(drop)
    }

    pub async fn results(&self, cursor: i64) -> Result<onewindow_proto::ResultChanges, SyncError> {
        self.results_waiting(cursor, 0).await
    }

    /// The results after `cursor`; with `wait` > 0 seconds and none yet, the hub holds the
    /// request until one is recorded or the time is up (a hub from before answers at once).
    pub async fn results_waiting(
        &self,
        cursor: i64,
        wait: u32,
    ) -> Result<onewindow_proto::ResultChanges, SyncError> {
        let url = format!("{}{}", self.base, paths::RESULTS);
        let mut query = vec![("cursor", cursor.to_string()), ("limit", "500".to_string())];
        let mut req = self.http.get(url);
        if wait > 0 {
            query.push(("wait", wait.to_string()));
            // The hub's wait and a margin for the answer (the client's own limit is 60 s).
            req = req.timeout(Duration::from_secs(u64::from(wait) + 15));
        }
        self.send(req.query(&query), paths::RESULTS).await
    }

    /// Checks a user's name and password with the hub (the desk must be enrolled).
    pub async fn login(
        &self,
        name: &str,
        password: &str,
    ) -> Result<onewindow_proto::LoginAnswer, SyncError> {
        let url = format!("{}{}", self.base, paths::LOGIN);
        self.send(
            self.http.post(url).json(&onewindow_proto::LoginRequest {
                name: name.into(),
                password: password.into(),
            }),
            paths::LOGIN,
        )
        .await
    }

    pub async fn push_ops(&self, ops: &[Op]) -> Result<PushResponse, SyncError> {
        let url = format!("{}{}", self.base, paths::OPS);
        let mut req = self.http.post(url).json(&PushRequest { ops: ops.to_vec() });
        if let Some(epoch) = &self.epoch_known {
            req = req.header(onewindow_proto::EPOCH_HEADER, epoch);
        }
        self.send(req, paths::OPS).await
    }

    pub async fn blob_state(&self, sha: &str) -> Result<BlobState, SyncError> {
        let url = format!("{}{}/{sha}", self.base, paths::BLOBS);
        self.send(self.http.get(url), paths::BLOBS).await
    }

    pub async fn put_chunk(
        &self,
        sha: &str,
        offset: u64,
        size: u64,
        bytes: Vec<u8>,
    ) -> Result<BlobState, SyncError> {
        let url = format!("{}{}/{sha}", self.base, paths::BLOBS);
        self.send(
            self.http
                .put(url)
                .query(&[("offset", offset), ("size", size)])
                .body(bytes),
            paths::BLOBS,
        )
        .await
    }

    pub fn base_url(&self) -> &str {
        &self.base
    }

    async fn get<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        query: &[(&str, String)],
        timeout: Option<Duration>,
    ) -> Result<T, SyncError> {
        let url = format!("{}{path}", self.base);
        let mut req = self.http.get(&url).query(query);
        // An enrolled desk says who it is: its centre's queue configuration and scope.
        if let Some(t) = &self.token {
            req = req.bearer_auth(t);
        }
        if let Some(t) = timeout {
            req = req.timeout(t);
        }
        // Errors keep the hub's base URL only, never a path or query.
        let unreachable = |source: reqwest::Error| SyncError::Unreachable {
            url: self.base.clone(),
            source: source.without_url(),
        };
        let resp = req.send().await.map_err(unreachable)?;
        self.note_answer(&resp);
        let status = resp.status();
        let bytes = resp.bytes().await.map_err(unreachable)?;
        if !status.is_success() {
            let err: ApiError = serde_json::from_slice(&bytes).unwrap_or(ApiError {
                code: ApiErrorCode::Unknown,
                message: String::from_utf8_lossy(&bytes).chars().take(200).collect(),
            });
            return Err(SyncError::Hub {
                status: status.as_u16(),
                code: err.code,
                message: err.message,
            });
        }
        let route = path.split('/').take(3).collect::<Vec<_>>().join("/");
        serde_json::from_slice(&bytes).map_err(|e| SyncError::BadResponse(format!("{route}: {e}")))
    }

    pub async fn health(&self) -> Result<Health, SyncError> {
        self.get(paths::HEALTHZ, &[], Some(Duration::from_secs(3)))
            .await
    }

    pub async fn catalog_changes(
        &self,
        cursor: i64,
        limit: u32,
    ) -> Result<CatalogChanges, SyncError> {
        self.get(
            paths::CATALOG_CHANGES,
            &[("cursor", cursor.to_string()), ("limit", limit.to_string())],
            None,
        )
        .await
    }

    /// The applicant's e-licences (`holder`: an ID number or credit code), looked up live for
    /// one of this desk's cases by the clerk whose hub session is `session` (device token
    /// required). The holder travels in the body, never in a URL or a log line.
    pub async fn elicences(
        &self,
        holder: &str,
        case_number: &str,
        session: &str,
    ) -> Result<ELicences, SyncError> {
        let url = format!("{}{}", self.base, paths::ELICENCES_LOOKUP);
        self.send(
            self.http
                .post(url)
                .timeout(Duration::from_secs(10))
                .header(onewindow_proto::CLERK_SESSION_HEADER, session)
                .json(&onewindow_proto::ELicenceLookup {
                    holder: holder.into(),
                    case_number: case_number.into(),
                }),
            paths::ELICENCES_LOOKUP,
        )
        .await
    }

    pub async fn calendar_changes(&self, cursor: i64) -> Result<CalendarChanges, SyncError> {
        self.get(
            paths::CALENDAR_CHANGES,
            &[("cursor", cursor.to_string())],
            None,
        )
        .await
    }

    /// A queue action of the desk's window (`POST`, JSON body).
    async fn queue_post<T: serde::de::DeserializeOwned>(
        &self,
        path: &str,
        req: &impl serde::Serialize,
    ) -> Result<T, SyncError> {
        let url = format!("{}{path}", self.base);
        self.send(self.http.post(url).json(req), path).await
    }

    /// The desk's window calls its next ticket.
    pub async fn queue_call_next(
        &self,
        clerk: &str,
    ) -> Result<onewindow_proto::QueueAnswer, SyncError> {
        let req = onewindow_proto::QueueRequest {
            clerk: clerk.into(),
            action: None,
            transfer_to: None,
        };
        self.queue_post(paths::QUEUE_CALL_NEXT, &req).await
    }

    /// Recall, serve, no-show or transfer the window's current ticket.
    pub async fn queue_step(
        &self,
        clerk: &str,
        action: &str,
        transfer_to: Option<onewindow_domain::ticket::TransferTo>,
    ) -> Result<onewindow_proto::QueueAnswer, SyncError> {
        let req = onewindow_proto::QueueRequest {
            clerk: clerk.into(),
            action: Some(action.into()),
            transfer_to,
        };
        self.queue_post(paths::QUEUE_STEP, &req).await
    }

    /// 现场取号: a ticket of `domain` for someone at the window, served at once.
    pub async fn queue_walk_in(
        &self,
        clerk: &str,
        domain: &str,
    ) -> Result<onewindow_proto::QueueAnswer, SyncError> {
        let req = onewindow_proto::QueueRequest {
            clerk: clerk.into(),
            action: Some(domain.into()),
            transfer_to: None,
        };
        self.queue_post(paths::QUEUE_WALK_IN, &req).await
    }

    /// Links the window's current ticket to the case it became.
    pub async fn queue_link(&self, clerk: &str, case_number: &str) -> Result<bool, SyncError> {
        let req = onewindow_proto::QueueRequest {
            clerk: clerk.into(),
            action: Some(case_number.into()),
            transfer_to: None,
        };
        self.queue_post(paths::QUEUE_LINK, &req).await
    }

    /// The applicant's rating of the service just given at this desk's window.
    pub async fn queue_rating(
        &self,
        level: u8,
        reasons: &[String],
        comment: &str,
    ) -> Result<i64, SyncError> {
        let req = onewindow_proto::RatingRequest {
            level,
            reasons: reasons.to_vec(),
            comment: comment.into(),
        };
        self.queue_post(paths::QUEUE_RATING, &req).await
    }

    /// Sends a batch of audit records; the chain's head as the hub now has it.
    pub async fn push_audit_batch(
        &self,
        records: &[onewindow_domain::audit::AuditRecord],
    ) -> Result<onewindow_proto::AuditHead, SyncError> {
        let req = onewindow_proto::AuditPush {
            records: records.to_vec(),
        };
        self.queue_post(paths::AUDIT, &req).await
    }

    /// The desk's window now: its current ticket and how many wait for it.
    pub async fn queue_mine(&self) -> Result<onewindow_proto::QueueAnswer, SyncError> {
        let url = format!("{}{}", self.base, paths::QUEUE_MINE);
        self.send(self.http.get(url), paths::QUEUE_MINE).await
    }

    /// Follows the hall board of the desk's centre (`GET /display/events`, server-sent events;
    /// the hub's only centre for a desk not enrolled): `on_board` gets
    /// the whole board now and again at each change, until the stream ends (`Ok`) or fails.
    /// A hub silent for 40 s (it sends a keep-alive every 15) counts as gone.
    pub async fn follow_hall_board(
        &self,
        mut on_board: impl FnMut(onewindow_proto::HallBoard),
    ) -> Result<(), SyncError> {
        let url = format!("{}{}", self.base, paths::DISPLAY_EVENTS);
        let http = http_client(
            self.pin.clone(),
            self.seen.clone(),
            None,
            Some(Duration::from_secs(40)),
        );
        let unreachable = |source| SyncError::Unreachable {
            url: url.clone(),
            source,
        };
        let mut req = http
            .get(&url)
            .header(reqwest::header::ACCEPT, "text/event-stream");
        // An enrolled desk follows its own centre's board.
        if let Some(t) = &self.token {
            req = req.bearer_auth(t);
        }
        let mut resp = req.send().await.map_err(unreachable)?;
        if !resp.status().is_success() {
            return Err(SyncError::Hub {
                status: resp.status().as_u16(),
                code: ApiErrorCode::Unknown,
                message: "the hall board is not available".into(),
            });
        }
        let mut sse = SseLines::default();
        while let Some(chunk) = resp.chunk().await.map_err(unreachable)? {
            for data in sse.push(&chunk) {
                match serde_json::from_str(&data) {
                    Ok(board) => on_board(board),
                    Err(e) => tracing::warn!(error = %e, "hall board event not understood"),
                }
            }
        }
        Ok(())
    }

    /// Opens, pauses or closes the desk's window.
    pub async fn queue_window(
        &self,
        clerk: &str,
        state: &str,
    ) -> Result<onewindow_proto::WindowLive, SyncError> {
        let req = onewindow_proto::QueueRequest {
            clerk: clerk.into(),
            action: Some(state.into()),
            transfer_to: None,
        };
        self.queue_post(paths::QUEUE_WINDOW, &req).await
    }

    /// The desk's centre's refusal requests waiting for a supervisor.
    pub async fn pending_refusals(
        &self,
        session: &str,
    ) -> Result<onewindow_proto::PendingRefusals, SyncError> {
        let url = format!("{}{}", self.base, paths::REFUSALS);
        self.send(
            self.http
                .get(url)
                .header(onewindow_proto::CLERK_SESSION_HEADER, session),
            paths::REFUSALS,
        )
        .await
    }

    /// A supervisor signed in here (`session`) answers a refusal request of the centre.
    pub async fn answer_refusal(
        &self,
        session: &str,
        answer: &onewindow_proto::RefusalAnswer,
    ) -> Result<(), SyncError> {
        let url = format!("{}{}", self.base, paths::REFUSAL_ANSWER);
        self.send_raw(
            self.http
                .post(url)
                .header(onewindow_proto::CLERK_SESSION_HEADER, session)
                .json(answer),
        )
        .await
        .map(drop)
    }

    /// The desk's centre's cases overdue or due within two working days.
    pub async fn due_cases(&self, session: &str) -> Result<onewindow_proto::DueCases, SyncError> {
        let url = format!("{}{}", self.base, paths::DUE_CASES);
        self.send(
            self.http
                .get(url)
                .header(onewindow_proto::CLERK_SESSION_HEADER, session),
            paths::DUE_CASES,
        )
        .await
    }

    /// The desk's centre and the items it accepts (`GET /v1/centre-scope`).
    pub async fn centre_scope(&self) -> Result<onewindow_domain::centre::CentreScope, SyncError> {
        self.get(paths::CENTRE_SCOPE, &[], None).await
    }

    pub async fn queue_config_changes(
        &self,
        cursor: i64,
    ) -> Result<onewindow_proto::QueueConfigChanges, SyncError> {
        self.get(
            paths::QUEUE_CONFIG_CHANGES,
            &[("cursor", cursor.to_string())],
            None,
        )
        .await
    }
}

async fn blocking<T: Send + 'static>(
    store: &Arc<Mutex<Store>>,
    f: impl FnOnce(&mut Store) -> Result<T, StoreError> + Send + 'static,
) -> Result<T, SyncError> {
    let store = store.clone();
    tokio::task::spawn_blocking(move || {
        let mut guard = store.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut guard)
    })
    .await
    .map_err(|e| SyncError::Task(e.to_string()))?
    .map_err(SyncError::from)
}

/// Test hook for crash tests: when `ONEWINDOW_FAILPOINT` names this point, the process dies
/// here as if the power went. Never set in production.
fn failpoint(name: &str) {
    if std::env::var("ONEWINDOW_FAILPOINT").is_ok_and(|v| v == name) {
        eprintln!("failpoint {name}: aborting");
        std::process::abort();
    }
}

#[cfg(test)]
mod message_tests {
    use super::SyncError;

    /// A full disk says so and what to do, never "rebuild the cache".
    #[test]
    fn a_full_disk_is_not_a_reason_to_rebuild() {
        let full = rusqlite::Error::SqliteFailure(
            rusqlite::ffi::Error::new(rusqlite::ffi::SQLITE_FULL),
            None,
        );
        let e = SyncError::Store(onewindow_store::StoreError::Sqlite(full));
        assert_eq!(
            e.code(),
            crate::SyncCode::Store(onewindow_store::StoreCode::DiskFull)
        );
        let m = e.message_zh();
        assert!(m.contains("磁盘已满") && !m.contains("重建"), "{m}");
    }
}

#[cfg(test)]
mod sse_tests {
    use super::SseLines;

    #[test]
    fn events_are_whole_however_the_bytes_arrive() {
        let stream =
            b": keep-alive\n\ndata: {\"a\":1}\n\nevent: x\r\ndata: line one\r\ndata: two\r\n\r\n";
        for split in [1usize, 2, 5, 7, stream.len()] {
            let mut sse = SseLines::default();
            let mut got = Vec::new();
            for part in stream.chunks(split) {
                got.extend(sse.push(part));
            }
            assert_eq!(got, ["{\"a\":1}", "line one\ntwo"], "split {split}");
        }
    }
}
