//! What every response and every browser form of the hub gets: security headers on each answer,
//! a CSRF token on each state-changing POST, and refusal of a request whose `Origin` is not the
//! hub's own. Also who the caller is: the peer's address, or the `X-Forwarded-For` of a proxy
//! the configuration trusts.
//!
//! The CSRF token is a random value in a cookie (`SameSite=Strict`, `HttpOnly`) that every form
//! repeats in a hidden field (`pages::csrf_field`); a POST whose field does not match its cookie
//! is refused before its handler runs. Pages read the request's token from a task-local set
//! here, so no handler passes it around.

use std::net::{IpAddr, SocketAddr};

use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use futures_util::StreamExt;

use crate::secret::{is_token, random_token};
use crate::server::HubState;

/// The cookie holding the CSRF token.
pub const CSRF_COOKIE: &str = "onewindow_csrf";
/// The form field that repeats it.
pub const CSRF_FIELD: &str = "csrf";
/// The largest browser form (a decision with its result file).
const MAX_FORM: usize = onewindow_proto::MAX_RESULT_FILE + 64 * 1024;

/// Images from the hub itself and QR codes drawn inline; styles are the pages' own constants;
/// scripts only from the hub's own files; nothing may frame a page.
const CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; \
form-action 'self'; frame-ancestors 'none'";

tokio::task_local! {
    static CSRF: String;
}

/// The CSRF token of the request being answered (empty outside a request).
pub fn csrf_token() -> String {
    CSRF.try_with(Clone::clone).unwrap_or_default()
}

/// How the hub is reached, for the checks here and the cookies it sets.
#[derive(Debug, Clone, Default)]
pub struct WebSettings {
    /// The hub serves HTTPS: cookies are `Secure` and HSTS is sent.
    pub tls: bool,
    /// The address applicants' phones and browsers use (`serve --public-url`).
    pub public_url: Option<url::Url>,
    /// Proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<IpAddr>,
}

impl WebSettings {
    /// `; Secure` under TLS.
    pub fn cookie_flags(&self) -> &'static str {
        if self.tls { "; Secure" } else { "" }
    }
}

/// The caller's address: the peer's, or for a trusted proxy the last address its
/// `X-Forwarded-For` names that is not itself a trusted proxy.
pub fn client_ip(settings: &WebSettings, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
    if !settings.trusted_proxies.contains(&peer) {
        return peer;
    }
    let forwarded: Vec<IpAddr> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|a| a.trim().parse().ok())
        .collect();
    forwarded
        .into_iter()
        .rev()
        .find(|a| !settings.trusted_proxies.contains(a))
        .unwrap_or(peer)
}

/// The peer of a connection, plain or TLS (what `ConnectInfo` carries).
#[derive(Debug, Clone, Copy)]
pub struct Peer(pub SocketAddr);

impl
    axum::extract::connect_info::Connected<axum::serve::IncomingStream<'_, tokio::net::TcpListener>>
    for Peer
{
    fn connect_info(s: axum::serve::IncomingStream<'_, tokio::net::TcpListener>) -> Peer {
        Peer(*s.remote_addr())
    }
}

impl
    axum::extract::connect_info::Connected<axum::serve::IncomingStream<'_, crate::tls::TlsListener>>
    for Peer
{
    fn connect_info(s: axum::serve::IncomingStream<'_, crate::tls::TlsListener>) -> Peer {
        Peer(*s.remote_addr())
    }
}

/// The caller's address, as an extractor.
pub struct ClientIp(pub IpAddr);

impl axum::extract::FromRequestParts<HubState> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &HubState,
    ) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<Peer>>()
            .map_or(IpAddr::from([127, 0, 0, 1]), |c| c.0.0.ip());
        Ok(ClientIp(client_ip(state.web(), peer, &parts.headers)))
    }
}

/// A cookie's value from the request.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

/// Whether `origin` (an `Origin` header) is this hub: the host the request was sent to, or
/// the configured public address.
fn own_origin(settings: &WebSettings, headers: &HeaderMap, origin: &str) -> bool {
    let Ok(o) = url::Url::parse(origin) else {
        return false;
    };
    let Some(host) = o.host_str() else {
        return false;
    };
    let authority = match o.port() {
        Some(p) => format!("{host}:{p}"),
        None => host.to_string(),
    };
    let scheme_ok = o.scheme() == if settings.tls { "https" } else { "http" };
    let to_host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .is_some_and(|h| h.eq_ignore_ascii_case(&authority));
    let public = settings
        .public_url
        .as_ref()
        .is_some_and(|p| p.origin() == o.origin());
    (scheme_ok && to_host) || public
}

fn refuse(why_zh: &str, why_en: &str) -> Response {
    tracing::warn!(reason = why_en, "browser request refused");
    (
        StatusCode::FORBIDDEN,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        crate::pages::office(
            "请求被拒绝",
            None,
            maud::html! { section { h2 { "请求被拒绝" } p.err #refused { (why_zh) } p { a href="/office" { "返回后台" } } } },
        ),
    )
        .into_response()
}

/// The CSRF field of a form body, urlencoded or multipart.
async fn form_field(content_type: &str, body: &axum::body::Bytes) -> Option<String> {
    if content_type.starts_with("application/x-www-form-urlencoded") {
        return form_urlencoded::parse(body)
            .find(|(k, _)| k == CSRF_FIELD)
            .map(|(_, v)| v.into_owned());
    }
    let boundary = multer::parse_boundary(content_type).ok()?;
    let bytes = body.clone();
    let stream = futures_util::stream::once(async move { Ok::<_, std::io::Error>(bytes) });
    let mut parts = multer::Multipart::new(stream.boxed(), boundary);
    while let Ok(Some(field)) = parts.next_field().await {
        if field.name() == Some(CSRF_FIELD) {
            return field.text().await.ok();
        }
    }
    None
}

/// The middleware: Origin check on every state-changing request, CSRF check on the browser's
/// ones (everything outside the desks' `/v1/` API, which carries a device token, not a
/// cookie), the token for the pages, and the security headers on every response.
pub async fn guard(State(state): State<HubState>, req: Request, next: Next) -> Response {
    let settings = state.web().clone();
    let changes = !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    let cookie_token = cookie(req.headers(), CSRF_COOKIE).filter(|v| is_token(v));
    let token = cookie_token.clone().unwrap_or_else(random_token);
    let mut req = req;
    if changes {
        let headers = req.headers();
        if let Some(origin) = headers.get(header::ORIGIN) {
            let origin = origin.to_str().unwrap_or("");
            if !own_origin(&settings, headers, origin) {
                return refuse(
                    "请求来自其他网站，已拒绝。请在本中心的页面上操作。",
                    "Origin is not the hub's own",
                );
            }
        } else if headers
            .get("sec-fetch-site")
            .is_some_and(|v| v.as_bytes() == b"cross-site")
        {
            return refuse(
                "请求来自其他网站，已拒绝。请在本中心的页面上操作。",
                "a cross-site request without Origin",
            );
        }
        if !req.uri().path().starts_with("/v1/") {
            let content_type = req
                .headers()
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_string();
            let (parts, body) = req.into_parts();
            let Ok(bytes) = axum::body::to_bytes(body, MAX_FORM).await else {
                return (StatusCode::PAYLOAD_TOO_LARGE, "表单过大").into_response();
            };
            let field = form_field(&content_type, &bytes).await;
            let good = matches!((&cookie_token, &field), (Some(c), Some(f)) if c == f);
            if !good {
                return refuse(
                    "页面已过期或不是从本中心打开的（缺少表单校验码），请刷新页面后重试。",
                    "CSRF token missing or wrong",
                );
            }
            req = Request::from_parts(parts, Body::from(bytes));
        }
    }
    let api = req.uri().path().starts_with("/v1/");
    let mut resp = CSRF.scope(token.clone(), next.run(req)).await;
    let h = resp.headers_mut();
    // Desks speak the /v1/ API with a device token: no form, no cookie for them.
    if cookie_token.is_none() && !api {
        let c = format!(
            "{CSRF_COOKIE}={token}; Path=/; HttpOnly; SameSite=Strict{}",
            settings.cookie_flags()
        );
        if let Ok(v) = HeaderValue::from_str(&c) {
            h.append(header::SET_COOKIE, v);
        }
    }
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    if settings.tls {
        h.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        );
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_trusted_proxy_is_believed_and_anyone_else_is_not() {
        let proxy: IpAddr = "10.0.0.2".parse().unwrap();
        let s = WebSettings {
            trusted_proxies: vec![proxy],
            ..Default::default()
        };
        let mut h = HeaderMap::new();
        h.insert("x-forwarded-for", "1.2.3.4, 10.0.0.9".parse().unwrap());
        let other: IpAddr = "10.0.0.7".parse().unwrap();
        assert_eq!(client_ip(&s, other, &h), other);
        assert_eq!(
            client_ip(&s, proxy, &h),
            "10.0.0.9".parse::<IpAddr>().unwrap()
        );
        assert_eq!(client_ip(&s, proxy, &HeaderMap::new()), proxy);
    }

    #[test]
    fn only_the_hubs_own_origin_is_its_own() {
        let s = WebSettings::default();
        let mut h = HeaderMap::new();
        h.insert(header::HOST, "127.0.0.1:8470".parse().unwrap());
        assert!(own_origin(&s, &h, "http://127.0.0.1:8470"));
        assert!(!own_origin(&s, &h, "http://evil.example"));
        assert!(!own_origin(&s, &h, "https://127.0.0.1:8470"));
        assert!(!own_origin(&s, &h, "null"));
        let s = WebSettings {
            public_url: Some(url::Url::parse("https://hall.example.gov.cn/").unwrap()),
            ..Default::default()
        };
        assert!(own_origin(&s, &h, "https://hall.example.gov.cn"));
    }
}
