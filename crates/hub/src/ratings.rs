//! 差评整改: the supervisor's list of bad ratings with their rectification (待整改 → 已整改 →
//! 已回访) and due date (15 working days; overdue in red, due within two days in amber).

use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};
use onewindow_domain::rating::{RectifyState, level_label};
use serde::Deserialize;

use crate::auth::Supervisor;
use crate::pages;
use crate::server::HubState;
use crate::store_queue::hall_day;

pub async fn list(State(state): State<HubState>, Supervisor(user): Supervisor) -> Response {
    render(&state, &user, None).await
}

async fn render(
    state: &HubState,
    user: &crate::store_office::User,
    error: Option<&str>,
) -> Response {
    let clock = state.clock();
    let scope = user.centre_scope().map(String::from);
    let list = match state
        .store_call(move |s| s.bad_ratings(scope.as_deref()))
        .await
    {
        Ok(l) => l,
        Err(e) => return e.into_response(),
    };
    let today = hall_day(clock.now());
    let body = html! {
        h2 { "差评整改" }
        p {
            "差评须在 15 个工作日内整改并回访；红色为已超期，黄色为两日内到期。"
            a href="/office/hall" { "大厅管理" } " · " a href="/office/figures" { "数据统计" }
        }
        (pages::error("ratings-error", error))
        table #bad-ratings {
            thead { tr {
                th { "时间" } th { "评价" } th { "原因" } th { "号票" } th { "办件" }
                th { "窗口" } th { "经办人" } th { "状态" } th { "整改期限" } th { "处理" }
            } }
            tbody { @for r in &list { (row(r, today)) } }
        }
    };
    pages::office("差评整改", Some(user), body).into_response()
}

fn row(r: &crate::store_rating::BadRating, today: chrono::NaiveDate) -> Markup {
    let left = (r.due - today).num_days();
    let cls = if r.state == RectifyState::Pending && left < 0 {
        "overdue"
    } else if r.state == RectifyState::Pending && left <= 2 {
        "due-soon"
    } else {
        ""
    };
    let next = r
        .state
        .next()
        .filter(|_| r.state != RectifyState::Revisited);
    html! {
        tr class=(cls) data-id=(r.id) {
            td { (r.at) }
            td { (level_label(r.level).unwrap_or("")) }
            td {
                (r.reasons.join("、"))
                @if !r.comment.is_empty() { br; small { (r.comment) } }
            }
            td { (r.ticket.as_deref().unwrap_or("—")) }
            td { (r.case_number.as_deref().unwrap_or("—")) }
            td {
                @match r.window { Some(w) => { (w) " 号" } None => "—" }
            }
            td { (r.clerk.as_deref().unwrap_or("—")) }
            td.state {
                (r.state.label())
                @for n in [r.rectified_note.as_deref(), r.revisited_note.as_deref()].iter().flatten() {
                    br; small { (n) }
                }
            }
            td { (r.due) }
            td {
                @if let Some(next) = next {
                    form method="post" action={ "/office/ratings/" (r.id) "/advance" } {
                        (crate::pages::csrf_field())
                        input name="note" id={ "note-" (r.id) }
                            placeholder={ (if next == RectifyState::Rectified { "整改措施" } else { "回访情况" }) "（必填）" };
                        " "
                        button id={ "advance-" (r.id) } { "标记" (next.label()) }
                    }
                }
            }
        }
    }
}

#[derive(Deserialize)]
pub struct AdvanceForm {
    #[serde(default)]
    note: String,
}

pub async fn advance(
    State(state): State<HubState>,
    Supervisor(user): Supervisor,
    Path(id): Path<i64>,
    Form(f): Form<AdvanceForm>,
) -> Response {
    let clock = state.clock();
    let by = user.name.clone();
    let scope = user.centre_scope().map(String::from);
    match state
        .store_call(move |s| {
            let next = s.advance_rectification(scope.as_deref(), id, &by, &f.note, clock.now())?;
            s.audit_hub(
                &by,
                "rating_rectify",
                &format!("rating {id}"),
                "ok",
                Some(&format!("{}: {}", next.label(), f.note.trim())),
                clock.now(),
            )?;
            Ok(next)
        })
        .await
    {
        Ok(next) => {
            tracing::info!(rating = id, user = %user.name, state = next.label(), "rectification advanced");
            Redirect::to("/office/ratings").into_response()
        }
        Err(_) => (
            StatusCode::BAD_REQUEST,
            render(
                &state,
                &user,
                Some("请写明整改措施或回访情况（至少 4 个字）。"),
            )
            .await,
        )
            .into_response(),
    }
}
