//! Who may call a page: axum extractors for the back office's roles. A handler names the role
//! it needs in its signature (`Approver(user): Approver`); one without it never sees a user.
//! The device token of the desk API is checked by `server::device`.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};

use crate::office::cookie_token;
use crate::pages;
use crate::server::HubState;
use crate::store_office::User;

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
