//! Who may call a page: axum extractors for the back office's roles. A handler names the role
//! it needs in its signature (`Approver(user): Approver`); one without it never sees a user.
//! The device token of the desk API is checked by `server::device`.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};

use std::net::IpAddr;

use chrono::{DateTime, Utc};
use onewindow_domain::login::Attempts;

use crate::error::HttpError;
use crate::office::cookie_token;
use crate::pages;
use crate::server::HubState;
use crate::store_guard::{PasswordGate, PasswordOutcome};
use crate::store_office::User;

/// How much longer an answer for a name that failed often lately takes.
const SLOW_ANSWER: std::time::Duration = std::time::Duration::from_secs(1);

/// What a sign-in found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignInCheck {
    Good(User),
    /// A wrong name or password; the name's failures from this address after it.
    Wrong(Attempts),
    /// The name is locked for this address until then.
    Locked(DateTime<Utc>),
    /// The address tried too often: it waits until then (answered 429 with `Retry-After`).
    Throttled(DateTime<Utc>),
}

/// Where a sign-in comes from, for its limits: a browser's address, or an enrolled desk (the
/// desks of a town centre may share one address behind its router; each desk has its own
/// limits).
pub enum SignInFrom {
    Address(IpAddr),
    Desk(String),
}

/// Checks a password for a sign-in, Argon2 outside the store's lock (and at most as many at
/// once as `HubState` allows, so sign-in storms leave cores for the rest).
pub async fn check_password(
    state: &HubState,
    name: &str,
    password: String,
    from: SignInFrom,
) -> Result<SignInCheck, HttpError> {
    let clock = state.clock();
    let address = match from {
        SignInFrom::Address(ip) => ip.to_string(),
        SignInFrom::Desk(device) => format!("desk:{device}"),
    };
    let name = name.trim().to_string();
    let (n, a, c) = (name.clone(), address.clone(), clock.clone());
    let hash = match state
        .store_call(move |s| s.password_gate(&n, &a, c.now()))
        .await?
    {
        PasswordGate::Throttled(until) => return Ok(SignInCheck::Throttled(until)),
        PasswordGate::Locked(until) => return Ok(SignInCheck::Locked(until)),
        PasswordGate::Check { hash, slow } => {
            if slow {
                tokio::time::sleep(SLOW_ANSWER).await;
            }
            hash
        }
    };
    let permit = state
        .password_checks
        .clone()
        .acquire_owned()
        .await
        .map_err(|e| HttpError::internal(format!("password checks closed: {e}")))?;
    let good = tokio::task::spawn_blocking(move || {
        let _permit = permit;
        crate::store_office::verify_password(hash.as_deref(), &password)
    })
    .await
    .map_err(|e| HttpError::internal(format!("password check failed: {e}")))?;
    state
        .store_call(move |s| {
            Ok(
                match s.password_outcome(&name, &address, good, clock.now())? {
                    PasswordOutcome::Good => match s.user(&name)? {
                        Some(u) => SignInCheck::Good(u),
                        None => SignInCheck::Wrong(Attempts::default()),
                    },
                    PasswordOutcome::Wrong { attempts, .. } => match attempts.locked(clock.now()) {
                        Some(until) => SignInCheck::Locked(until),
                        None => SignInCheck::Wrong(attempts),
                    },
                },
            )
        })
        .await
}

/// `Retry-After` for a wait until `until`, in whole seconds (at least one).
pub fn retry_after(until: DateTime<Utc>, now: DateTime<Utc>) -> u64 {
    (until - now).num_seconds().max(1) as u64
}

/// The signed-in hall supervisor (or admin). Anyone else is sent to the login page, or told
/// the page is not theirs.
pub struct Supervisor(pub User);

/// The signed-in approver (or admin); a supervisor is sent to the hall page.
pub struct Approver(pub User);

impl FromRequestParts<HubState> for Supervisor {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &HubState) -> Result<Self, Response> {
        supervisor(state, &parts.headers).await.map(Supervisor)
    }
}

impl FromRequestParts<HubState> for Approver {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &HubState) -> Result<Self, Response> {
        approver(state, &parts.headers).await.map(Approver)
    }
}

/// The user signed in with this request's session cookie; anyone else goes to the login page.
async fn signed_in(state: &HubState, headers: &HeaderMap) -> Result<User, Response> {
    let clock = state.clock();
    let to_login = || Redirect::to("/office/login").into_response();
    let Some(token) = cookie_token(headers) else {
        return Err(to_login());
    };
    state
        .store_call(move |s| s.session_user(&token, clock.now()))
        .await
        .map_err(IntoResponse::into_response)?
        .ok_or_else(to_login)
}

/// 无权访问, with what the page is for.
fn forbidden(u: &User, why: &str) -> Response {
    (
        StatusCode::FORBIDDEN,
        pages::office("无权访问", Some(u), maud::html! { p.err { (why) } }),
    )
        .into_response()
}

/// The signed-in hall supervisor (or admin), or the response that sends them elsewhere.
async fn supervisor(state: &HubState, headers: &HeaderMap) -> Result<User, Response> {
    let u = signed_in(state, headers).await?;
    match u.role.as_str() {
        "supervisor" | "admin" => Ok(u),
        _ => Err(forbidden(&u, "大厅管理（潮汐窗口）只对大厅主管开放。")),
    }
}

/// The signed-in approver (or admin), or the way to the login page.
async fn approver(state: &HubState, headers: &HeaderMap) -> Result<User, Response> {
    let u = signed_in(state, headers).await?;
    match u.role.as_str() {
        "approver" | "admin" => Ok(u),
        // The hall supervisor's page is the tidal one.
        "supervisor" => Err(Redirect::to("/office/hall").into_response()),
        _ => Err(forbidden(&u, "后台审批只对审批人员开放。")),
    }
}
