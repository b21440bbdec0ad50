//! 窗口无否决权 in the back office: the refusal requests of the supervisor's centre (every
//! centre's at the county level), each confirmed or sent back to the clerk with a note. The
//! answer reaches the requesting desk on its results stream; the desk prints the notice once
//! the refusal is confirmed.

use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Form, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use maud::html;
use serde::Deserialize;

use crate::auth::Supervisor;
use crate::pages;
use crate::server::{HttpError, HubState};
use crate::store_office::User;

pub async fn list(State(state): State<HubState>, Supervisor(user): Supervisor) -> Response {
    render(&state, &user, None).await
}

async fn render(state: &HubState, user: &User, error: Option<&str>) -> Response {
    let scope = user.centre_scope().map(String::from);
    let pending = match state
        .store_call(move |s| s.pending_refusals(scope.as_deref()))
        .await
    {
        Ok(p) => p,
        Err(e) => return e.into_response(),
    };
    let body = html! {
        h2 { "不予受理待确认" }
        p { "窗口无否决权：窗口提出的不予受理须经本中心主管确认；退回的申请回到窗口继续办理。" }
        (pages::error("refusals-error", error))
        @if pending.is_empty() { p #no-refusals { "暂无待确认的不予受理申请。" } }
        @for r in &pending {
            section.refusal data-number=(r.number) {
                h3 { (r.number) " · " (r.item_name) }
                p { "申请人：" (r.applicant_masked) " · 窗口：" (r.desk_name) "（" (r.centre_name) "）· "
                    (r.by) " " (r.at) }
                p { b { "理由：" } (r.reason) }
                p { b { "法律依据：" } (r.basis) }
                form method="post" action={ "/office/refusals/" (r.number) } class="decide" {
                    (crate::pages::csrf_field())
                    textarea name="note" placeholder="退回时写明意见（确认时可不填）" {}
                    button type="submit" name="answer" value="confirm" id={ "confirm-" (r.number) } { "确认不予受理" }
                    button type="submit" name="answer" value="send_back" id={ "send-back-" (r.number) } { "退回窗口" }
                }
            }
        }
    };
    pages::office("不予受理待确认", Some(user), body).into_response()
}

#[derive(Deserialize)]
pub struct AnswerForm {
    answer: String,
    #[serde(default)]
    note: String,
}

pub async fn answer(
    State(state): State<HubState>,
    Supervisor(user): Supervisor,
    Path(number): Path<String>,
    Form(f): Form<AnswerForm>,
) -> Response {
    let confirm = match f.answer.as_str() {
        "confirm" => true,
        "send_back" => false,
        _ => return StatusCode::BAD_REQUEST.into_response(),
    };
    let clock = state.clock();
    let (scope, by, n) = (
        user.centre_scope().map(String::from),
        user.name.clone(),
        number.clone(),
    );
    match state
        .store_call(move |s| {
            s.answer_refusal(scope.as_deref(), &n, confirm, &f.note, &by, clock.now())
        })
        .await
    {
        Ok(()) => {
            tracing::info!(case = %number, confirm, user = %user.name, "refusal request answered");
            Redirect::to("/office/refusals").into_response()
        }
        Err(_) => (
            StatusCode::BAD_REQUEST,
            render(
                &state,
                &user,
                Some("无法答复：该申请已答复或不属本中心；退回时须写明意见。"),
            )
            .await,
        )
            .into_response(),
    }
}

/// The desk's centre and the supervisor's name, when a supervisor of that centre is signed in
/// at the desk (else 401/403).
pub(crate) async fn supervisor_at_desk(
    state: &HubState,
    headers: &HeaderMap,
) -> Result<(String, String), HttpError> {
    let device = crate::server::device(state, headers).await?;
    let clerk = crate::server::desk_clerk(state, &device, headers).await?;
    state
        .store_call(move |s| {
            let centre = s.centre_of_device(&device)?;
            let supervisor = s
                .user(&clerk.user)?
                .is_some_and(|u| u.role == "supervisor" && u.sees(&centre));
            if !supervisor {
                return Err(crate::store::HubStoreError::Refused(
                    onewindow_proto::ApiErrorCode::NoClerkSession,
                    "only a supervisor of this centre signed in at the desk".into(),
                ));
            }
            Ok((centre, clerk.user))
        })
        .await
}

/// `GET /v1/refusals`: the desk's centre's requests waiting for a supervisor, for a supervisor
/// signed in there.
pub async fn for_desk(
    State(state): State<HubState>,
    headers: HeaderMap,
) -> Result<Json<onewindow_proto::PendingRefusals>, HttpError> {
    let (centre, _) = supervisor_at_desk(&state, &headers).await?;
    let requests = state
        .store_call(move |s| s.pending_refusals(Some(&centre)))
        .await?
        .into_iter()
        .map(|r| onewindow_proto::PendingRefusal {
            number: r.number,
            item_name: r.item_name,
            applicant_masked: r.applicant_masked,
            reason: r.reason,
            basis: r.basis,
            by: r.by,
            desk_name: r.desk_name,
        })
        .collect();
    Ok(Json(onewindow_proto::PendingRefusals { requests }))
}

/// `POST /v1/refusals/answer`: a supervisor of the desk's centre, signed in at the desk,
/// answers a request of any desk of the centre.
pub async fn answer_from_desk(
    State(state): State<HubState>,
    headers: HeaderMap,
    body: Result<Json<onewindow_proto::RefusalAnswer>, JsonRejection>,
) -> Result<StatusCode, HttpError> {
    let (centre, by) = supervisor_at_desk(&state, &headers).await?;
    let Json(a) = body?;
    let clock = state.clock();
    state
        .store_call(move |s| {
            s.answer_refusal(
                Some(&centre),
                &a.number,
                a.confirm,
                &a.note,
                &by,
                clock.now(),
            )
        })
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
