//! Releases on both sides: the one this desk runs, named on every request, and what the
//! hub's answers say of its own (the protocol it serves, the desk release it publishes).

/// What a hub's answers say of its release.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HubRelease {
    /// The protocol it serves ([`onewindow_proto::PROTOCOL_HEADER`]; 1 when an answer names
    /// none); `None` before its first answer.
    pub protocol: Option<u32>,
    /// The newest desk release published on it
    /// ([`onewindow_proto::DESK_PUBLISHED_HEADER`]).
    pub published: Option<String>,
}

static RELEASE: std::sync::OnceLock<String> = std::sync::OnceLock::new();

/// Sets the release this desk runs (its package version), named on every request
/// ([`onewindow_proto::DESK_RELEASE_HEADER`]); once, at start, before the first request.
pub fn set_release(release: String) {
    let _ = RELEASE.set(release);
}

/// The release this desk runs: as [`set_release`] said, else the crate's version.
pub fn release() -> &'static str {
    RELEASE
        .get()
        .map_or(env!("CARGO_PKG_VERSION"), String::as_str)
}

/// The headers of every request: the protocol and the release this desk speaks (a hub
/// refuses one too old for it in Chinese, `desk_too_old`).
pub(crate) fn desk_headers() -> reqwest::header::HeaderMap {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        onewindow_proto::PROTOCOL_HEADER,
        reqwest::header::HeaderValue::from(onewindow_proto::PROTOCOL_VERSION),
    );
    if let Ok(v) = reqwest::header::HeaderValue::from_str(release()) {
        headers.insert(onewindow_proto::DESK_RELEASE_HEADER, v);
    }
    headers
}

/// What an answer of the hub says of its release (nothing when its protocol header is no
/// number).
pub(crate) fn hub_release_of(resp: &reqwest::Response) -> Option<HubRelease> {
    let header = |name| resp.headers().get(name).and_then(|v| v.to_str().ok());
    let protocol = onewindow_proto::protocol_of(header(onewindow_proto::PROTOCOL_HEADER))?;
    let published = header(onewindow_proto::DESK_PUBLISHED_HEADER)
        .filter(|v| onewindow_domain::release::is_version(v))
        .map(str::to_string);
    Some(HubRelease {
        protocol: Some(protocol),
        published,
    })
}
