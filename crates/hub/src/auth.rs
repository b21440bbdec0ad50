//! Who may call a page: axum extractors for the back office's roles. A handler names the role
//! it needs in its signature (`Approver(user): Approver`); one without it never sees a user.
//! The device token of the desk API is checked by `server::device`.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};

use crate::office::{cookie_token, page};
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

/// The signed-in hall supervisor (or admin), or the response that sends them elsewhere.
async fn supervisor(state: &HubState, headers: &HeaderMap) -> Result<User, Response> {
    let clock = state.clock();
    let Some(token) = cookie_token(headers) else {
        return Err(Redirect::to("/office/login").into_response());
    };
    let user = state
        .store_call(move |s| s.session_user(&token, clock.now()))
        .await
        .map_err(IntoResponse::into_response)?;
    match user {
        Some(u) if u.role == "supervisor" || u.role == "admin" => Ok(u),
        Some(u) => Err((
            StatusCode::FORBIDDEN,
            page(
                "无权访问",
                Some(&u),
                "<p class=\"err\">大厅管理（潮汐窗口）只对大厅主管开放。</p>",
            ),
        )
            .into_response()),
        None => Err(Redirect::to("/office/login").into_response()),
    }
}

/// The signed-in approver (or admin), or the way to the login page.
async fn approver(state: &HubState, headers: &HeaderMap) -> Result<User, Response> {
    let clock = state.clock();
    let Some(token) = cookie_token(headers) else {
        return Err(Redirect::to("/office/login").into_response());
    };
    let user = state
        .store_call(move |s| s.session_user(&token, clock.now()))
        .await
        .map_err(IntoResponse::into_response)?;
    match user {
        Some(u) if u.role == "approver" || u.role == "admin" => Ok(u),
        // The hall supervisor's page is the tidal one.
        Some(u) if u.role == "supervisor" => Err(Redirect::to("/office/hall").into_response()),
        Some(u) => Err((
            StatusCode::FORBIDDEN,
            page(
                "无权访问",
                Some(&u),
                "<p class=\"err\">后台审批只对审批人员开放。</p>",
            ),
        )
            .into_response()),
        None => Err(Redirect::to("/office/login").into_response()),
    }
}
