//! Desk side of sync. The desk never needs the hub to work: these functions bring the desk's
//! cache up to date when the hub answers and report, in Chinese and in English, when it does not.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use onewindow_proto::{ApiError, CalendarChanges, CatalogChanges, ELicences, Health, paths};
use onewindow_store::catalog::{CALENDAR, CATALOG};
use onewindow_store::{Store, StoreError, StreamState};

/// How many catalog changes the desk asks for at once.
pub const CATALOG_PAGE: u32 = 2000;

#[derive(Debug, thiserror::Error)]
pub enum SyncError {
    #[error("hub {url} unreachable: {source}")]
    Unreachable { url: String, source: reqwest::Error },
    #[error("hub answered {status} {code}: {message}")]
    Hub {
        status: u16,
        code: String,
        message: String,
    },
    #[error("hub sent a response that cannot be read: {0}")]
    BadResponse(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("store task failed: {0}")]
    Task(String),
}

impl SyncError {
    /// A stable code for the UI.
    pub fn code(&self) -> &'static str {
        match self {
            SyncError::Unreachable { .. } => "hub_unreachable",
            SyncError::Hub { code, .. } if code == "cursor_ahead" => "hub_cursor_ahead",
            SyncError::Hub { .. } => "hub_error",
            SyncError::BadResponse(_) => "hub_bad_response",
            SyncError::Store(e) => e.code(),
            SyncError::Task(_) => "internal",
        }
    }

    /// The sentence the clerk sees.
    pub fn message_zh(&self) -> String {
        match self {
            SyncError::Unreachable { url, .. } => {
                format!("无法连接中心服务（{url}），正在使用本地缓存继续办理")
            }
            SyncError::Hub { code, .. } if code == "cursor_ahead" => {
                "本地缓存记录的目录进度超过了中心服务（中心数据可能已重置），请重建缓存".into()
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
            SyncError::Store(_) => "本地缓存写入失败，请查看日志或重建缓存".into(),
            SyncError::Task(_) => "同步任务异常中止，请重试".into(),
        }
    }
}

/// The hub's HTTP API as the desk uses it. The only desk code that speaks HTTP.
#[derive(Debug, Clone)]
pub struct HubClient {
    base: String,
    http: reqwest::Client,
}

impl HubClient {
    pub fn new(base_url: &str) -> Self {
        let http = reqwest::Client::builder()
            .connect_timeout(Duration::from_secs(3))
            .timeout(Duration::from_secs(60))
            .build()
            .expect("reqwest client with default TLS-less config");
        HubClient {
            base: base_url.trim_end_matches('/').to_string(),
            http,
        }
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
        if let Some(t) = timeout {
            req = req.timeout(t);
        }
        // The path can carry personal data (an applicant's number in /v1/elicences/{holder}):
        // errors keep the hub's base URL only.
        let unreachable = |source: reqwest::Error| SyncError::Unreachable {
            url: self.base.clone(),
            source: source.without_url(),
        };
        let resp = req.send().await.map_err(unreachable)?;
        let status = resp.status();
        let bytes = resp.bytes().await.map_err(unreachable)?;
        if !status.is_success() {
            let err: ApiError = serde_json::from_slice(&bytes).unwrap_or(ApiError {
                code: "http_error".into(),
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

    /// The applicant's e-licences (`holder`: an ID number or credit code), looked up live.
    pub async fn elicences(&self, holder: &str) -> Result<ELicences, SyncError> {
        self.get(
            &format!("{}/{holder}", paths::ELICENCES),
            &[],
            Some(Duration::from_secs(10)),
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
}

/// What one pull did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PullReport {
    pub pages: u32,
    pub rows: u64,
    pub state: StreamState,
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

/// Pulls catalog changes until the hub has no more, storing each page with its cursor in one
/// transaction. Interrupted anywhere, it resumes from the last stored page.
// No `err` here: offline for days must not log an error per attempt; the app logs changes.
#[tracing::instrument(skip_all, fields(hub = client.base_url()))]
pub async fn pull_catalog(
    client: &HubClient,
    store: &Arc<Mutex<Store>>,
) -> Result<PullReport, SyncError> {
    let mut report = PullReport {
        pages: 0,
        rows: 0,
        state: blocking(store, |s| s.stream_state(CATALOG)).await?,
    };
    loop {
        let cursor = report.state.staged_cursor;
        let page = client.catalog_changes(cursor, CATALOG_PAGE).await?;
        if page.has_more && page.next_cursor <= cursor {
            return Err(SyncError::BadResponse(format!(
                "catalog page after {cursor} made no progress"
            )));
        }
        let has_more = page.has_more;
        let unchanged = page.changes.is_empty()
            && page.checkpoint.as_ref().map(|v| v.id) == report.state.version_id;
        report.pages += 1;
        report.rows += page.changes.len() as u64;
        if !unchanged {
            report.state = blocking(store, move |s| s.apply_catalog_page(&page)).await?;
        }
        if !has_more {
            return Ok(report);
        }
    }
}

/// Pulls calendar changes (each a whole year) until the hub has no more.
// No `err` here: offline for days must not log an error per attempt; the app logs changes.
#[tracing::instrument(skip_all, fields(hub = client.base_url()))]
pub async fn pull_calendar(
    client: &HubClient,
    store: &Arc<Mutex<Store>>,
) -> Result<PullReport, SyncError> {
    let mut report = PullReport {
        pages: 0,
        rows: 0,
        state: blocking(store, |s| s.stream_state(CALENDAR)).await?,
    };
    loop {
        let cursor = report.state.cursor;
        let page = client.calendar_changes(cursor).await?;
        if page.has_more && page.next_cursor <= cursor {
            return Err(SyncError::BadResponse(format!(
                "calendar page after {cursor} made no progress"
            )));
        }
        let has_more = page.has_more;
        report.pages += 1;
        report.rows += page.changes.len() as u64;
        if !page.changes.is_empty() {
            report.state = blocking(store, move |s| s.apply_calendar_page(&page)).await?;
        }
        if !has_more {
            return Ok(report);
        }
    }
}
