//! Desks and hubs of different releases. A county upgrades its hub and 200 desks over days,
//! not in one minute, so on every request from a desk (`/v1/`, with a device token, and
//! enrolment):
//!
//! - the hub refuses a desk older than it serves ([`onewindow_proto::MIN_DESK_PROTOCOL`], or
//!   the operator's `min_desk_release`) with 426 `desk_too_old`, in Chinese; the desk keeps
//!   its outbox and says it must be updated;
//! - every answer names the protocol the hub serves ([`onewindow_proto::PROTOCOL_HEADER`]), so
//!   a newer desk holds back the op kinds the hub does not know and sends them once it is
//!   upgraded, and the newest desk release published on the hub's APT repository
//!   ([`onewindow_proto::DESK_PUBLISHED_HEADER`]), which the desk's status bar shows.
//!
//! `protocol` in hub.toml pins the protocol the hub names to an older one: while several hub
//! processes share one database and are upgraded one by one, the upgraded ones keep naming
//! the old protocol, so no desk sends an op an old process would refuse. Remove it once every
//! process runs the new release. The first upgraded process migrates the database: the old
//! processes keep serving (the migrations only add), but one restarted on the old release
//! refuses the newer database, so upgrade each rather than restart it.

use std::path::Path;
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime};

use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use onewindow_proto::{
    ApiErrorCode, DESK_PUBLISHED_HEADER, DESK_RELEASE_HEADER, MIN_DESK_PROTOCOL, PROTOCOL_HEADER,
    PROTOCOL_VERSION, paths,
};

use crate::error::HttpError;
use crate::server::HubState;

/// How often the published version is looked for again (a `stat` of the index).
const PUBLISHED_RECHECK: Duration = Duration::from_secs(10);

/// What this hub serves of the desks' protocol.
#[derive(Debug)]
pub struct Compat {
    /// The protocol the hub names: [`PROTOCOL_VERSION`], or an older one hub.toml pins.
    pub protocol: u32,
    /// The oldest desk release the operator lets sync (dpkg's order), if any.
    pub min_desk_release: Option<String>,
    /// The newest published desk version, with the index's mtime it was read at and when.
    published: Mutex<Option<Published>>,
    /// How often the index is looked at again ([`PUBLISHED_RECHECK`]).
    recheck: Duration,
}

#[derive(Debug)]
struct Published {
    checked: Instant,
    mtime: Option<SystemTime>,
    version: Option<HeaderValue>,
}

impl Default for Compat {
    fn default() -> Self {
        Compat::new(None, None).expect("the defaults are valid")
    }
}

impl Compat {
    /// Checks hub.toml's `protocol` and `min_desk_release` (or their flags).
    pub fn new(protocol: Option<u32>, min_desk_release: Option<String>) -> Result<Self, String> {
        let protocol = protocol.unwrap_or(PROTOCOL_VERSION);
        if !(MIN_DESK_PROTOCOL..=PROTOCOL_VERSION).contains(&protocol) {
            return Err(format!(
                "protocol 须为 {MIN_DESK_PROTOCOL}–{PROTOCOL_VERSION}（本版本中心能提供的协议），现为 {protocol}"
            ));
        }
        if let Some(v) = &min_desk_release
            && !onewindow_domain::release::is_version(v)
        {
            return Err(format!(
                "min_desk_release 须为窗口程序的版本号（如 0.2.0），现为 {v:?}"
            ));
        }
        Ok(Compat {
            protocol,
            min_desk_release,
            published: Mutex::new(None),
            recheck: PUBLISHED_RECHECK,
        })
    }

    /// Why a desk naming `protocol` and `release` may not sync here, if it may not.
    pub fn refuses(&self, protocol: Option<&str>, release: Option<&str>) -> Option<HttpError> {
        let too_old = |what: String, log: String| {
            tracing::warn!(reason = %log, "a desk too old for this hub refused");
            Some(HttpError::new(
                StatusCode::UPGRADE_REQUIRED,
                ApiErrorCode::DeskTooOld,
                format!(
                    "{what}，中心不再接收它的数据。请更新窗口程序（sudo apt-get update && sudo apt-get install onewindow-desk；已开启自动更新的电脑会自行更新）。未上传的业务都保留在本机，更新后自动上传。"
                ),
            ))
        };
        let Some(protocol) = onewindow_proto::protocol_of(protocol) else {
            return Some(HttpError::new(
                StatusCode::BAD_REQUEST,
                ApiErrorCode::BadRequest,
                format!("{PROTOCOL_HEADER} must be a protocol number"),
            ));
        };
        if protocol < MIN_DESK_PROTOCOL {
            return too_old(
                format!(
                    "本窗口程序使用的同步协议 {protocol} 已过旧（中心要求 {MIN_DESK_PROTOCOL} 以上）"
                ),
                format!("protocol {protocol} < {MIN_DESK_PROTOCOL}"),
            );
        }
        if let Some(min) = &self.min_desk_release {
            let older = release.is_none_or(|r| {
                onewindow_domain::release::compare(r, min) == std::cmp::Ordering::Less
            });
            if older {
                let shown = release
                    .unwrap_or("未知")
                    .chars()
                    .take(64)
                    .collect::<String>();
                return too_old(
                    format!("本窗口程序版本 {shown} 低于中心要求的 {min}"),
                    format!("release {shown} < {min}"),
                );
            }
        }
        None
    }

    /// The newest desk version published in `data`'s APT repository, read again when the
    /// index changed (looked at every [`PUBLISHED_RECHECK`] at most).
    fn published(&self, data: &Path) -> Option<HeaderValue> {
        let mut kept = self.published.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(p) = kept.as_ref()
            && p.checked.elapsed() < self.recheck
        {
            return p.version.clone();
        }
        let index = data
            .join(crate::apt::APT_DIR)
            .join(crate::apt::PACKAGES_INDEX);
        let mtime = std::fs::metadata(&index).and_then(|m| m.modified()).ok();
        let version = match kept.as_ref() {
            Some(p) if p.mtime == mtime => p.version.clone(),
            _ => std::fs::read_to_string(&index)
                .ok()
                .and_then(|text| crate::apt::newest_version(&text))
                .and_then(|v| HeaderValue::from_str(&v).ok()),
        };
        *kept = Some(Published {
            checked: Instant::now(),
            mtime,
            version: version.clone(),
        });
        version
    }
}

/// Whether a request is a desk's: the desks' API with a device token, or enrolment.
fn from_a_desk(req: &Request) -> bool {
    let path = req.uri().path();
    path == paths::ENROL
        || (path.starts_with("/v1/") && req.headers().contains_key(header::AUTHORIZATION))
}

/// The middleware: refuses desks too old, and names the protocol (and, to desks, enrolled or
/// not, the newest published desk release) on every answer.
pub async fn desk_gate(State(state): State<HubState>, req: Request, next: Next) -> Response {
    let compat = state.compat.clone();
    let desk = from_a_desk(&req);
    // Desks of protocol 2 and later name it on every request, enrolled or not.
    let speaks_protocol = req.headers().contains_key(PROTOCOL_HEADER);
    let mut response = if desk
        && let Some(refused) = compat.refuses(
            req.headers()
                .get(PROTOCOL_HEADER)
                .map(|v| v.to_str().unwrap_or("?")),
            req.headers()
                .get(DESK_RELEASE_HEADER)
                .and_then(|v| v.to_str().ok()),
        ) {
        refused.into_response()
    } else {
        next.run(req).await
    };
    let headers = response.headers_mut();
    headers.insert(PROTOCOL_HEADER, HeaderValue::from(compat.protocol));
    if (desk || speaks_protocol)
        && let Some(data) = &state.data_dir
        && let Some(v) = compat.published(data)
    {
        headers.insert(DESK_PUBLISHED_HEADER, v);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_out_of_range_are_refused() {
        assert!(Compat::new(Some(0), None).unwrap_err().contains("protocol"));
        assert!(
            Compat::new(Some(PROTOCOL_VERSION + 1), None)
                .unwrap_err()
                .contains("protocol")
        );
        assert!(
            Compat::new(None, Some("v2".into()))
                .unwrap_err()
                .contains("min_desk_release")
        );
        assert_eq!(Compat::new(Some(1), None).unwrap().protocol, 1);
    }

    #[test]
    fn desks_older_than_the_hub_serves_are_refused_in_chinese() {
        let open = Compat::default();
        // The first release names no protocol and no release: served.
        assert!(open.refuses(None, None).is_none());
        assert!(open.refuses(Some("2"), Some("0.1.0")).is_none());
        assert!(open.refuses(Some("0"), None).is_some());
        let e = open.refuses(Some("x"), None).unwrap();
        assert_eq!(e.body.code, ApiErrorCode::BadRequest);
        let strict = Compat::new(None, Some("0.2.0".into())).unwrap();
        assert!(strict.refuses(Some("2"), Some("0.2.0")).is_none());
        assert!(strict.refuses(Some("2"), Some("0.2.0+next1")).is_none());
        for old in [Some("0.1.9"), Some("0.2.0~rc1"), None] {
            let e = strict.refuses(Some("2"), old).unwrap();
            assert_eq!(e.body.code, ApiErrorCode::DeskTooOld);
            assert!(
                e.body.message.contains("低于中心要求的 0.2.0"),
                "{}",
                e.body.message
            );
            assert!(e.body.message.contains("保留在本机"), "{}", e.body.message);
        }
    }

    #[test]
    fn the_newest_published_version_is_read_from_the_index() {
        let tmp = tempfile::tempdir().unwrap();
        let compat = Compat::default();
        assert!(compat.published(tmp.path()).is_none());
        let index = tmp
            .path()
            .join(crate::apt::APT_DIR)
            .join(crate::apt::PACKAGES_INDEX);
        std::fs::create_dir_all(index.parent().unwrap()).unwrap();
        std::fs::write(
            &index,
            "Package: onewindow-desk\nVersion: 0.1.0+next1\n\nPackage: onewindow-desk\nVersion: 0.1.0+next10\n\nPackage: onewindow-desk\nVersion: 0.1.0+next2\n\n",
        )
        .unwrap();
        let compat = Compat::default();
        assert_eq!(compat.published(tmp.path()).unwrap(), "0.1.0+next10");
        // Published again while serving: seen at the next look, the index having changed.
        std::fs::write(&index, "Package: onewindow-desk\nVersion: 0.1.0+next11\n\n").unwrap();
        assert_eq!(
            compat.published(tmp.path()).unwrap(),
            "0.1.0+next10",
            "looked at again only after a while"
        );
        let compat = Compat {
            recheck: Duration::ZERO,
            ..compat
        };
        let later = SystemTime::now() + Duration::from_secs(5);
        std::fs::File::options()
            .write(true)
            .open(&index)
            .unwrap()
            .set_modified(later)
            .unwrap();
        assert_eq!(compat.published(tmp.path()).unwrap(), "0.1.0+next11");
    }
}
