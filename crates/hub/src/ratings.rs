//! 差评整改: the supervisor's list of bad ratings with their rectification (待整改 → 已整改 →
//! 已回访) and due date (15 working days; overdue in red, due within two days in amber).

use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use onewindow_domain::rating::{RectifyState, level_label};
use serde::Deserialize;

use crate::auth::Supervisor;
use crate::office::{esc, page};
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
    let list = match state.store_call(|s| s.bad_ratings()).await {
        Ok(l) => l,
        Err(e) => return e.into_response(),
    };
    let today = hall_day(clock.now());
    let rows: String = list
        .iter()
        .map(|r| {
            let open = r.state != RectifyState::Revisited;
            let left = (r.due - today).num_days();
            let cls = if r.state == RectifyState::Pending && left < 0 {
                "overdue"
            } else if r.state == RectifyState::Pending && left <= 2 {
                "due-soon"
            } else {
                ""
            };
            let action = match r.state.next() {
                Some(next) if open => format!(
                    r#"<form method="post" action="/office/ratings/{id}/advance"><input name="note" id="note-{id}" placeholder="{what}（必填）"> <button id="advance-{id}">标记{label}</button></form>"#,
                    id = r.id,
                    what = if next == RectifyState::Rectified { "整改措施" } else { "回访情况" },
                    label = next.label()
                ),
                _ => String::new(),
            };
            let notes = [r.rectified_note.as_deref(), r.revisited_note.as_deref()]
                .iter()
                .flatten()
                .map(|n| format!("<br><small>{}</small>", esc(n)))
                .collect::<String>();
            format!(
                r#"<tr class="{cls}" data-id="{id}"><td>{at}</td><td>{level}</td><td>{reasons}{comment}</td><td>{ticket}</td><td>{case}</td><td>{window}</td><td>{clerk}</td><td class="state">{state}{notes}</td><td>{due}</td><td>{action}</td></tr>"#,
                id = r.id,
                at = esc(&r.at),
                level = level_label(r.level).unwrap_or(""),
                reasons = esc(&r.reasons.join("、")),
                comment = if r.comment.is_empty() { String::new() } else { format!("<br><small>{}</small>", esc(&r.comment)) },
                ticket = esc(r.ticket.as_deref().unwrap_or("—")),
                case = esc(r.case_number.as_deref().unwrap_or("—")),
                window = r.window.map_or("—".into(), |w| format!("{w} 号")),
                clerk = esc(r.clerk.as_deref().unwrap_or("—")),
                state = r.state.label(),
                due = r.due,
            )
        })
        .collect();
    let error = error
        .map(|e| format!(r#"<p class="err" id="ratings-error">{}</p>"#, esc(e)))
        .unwrap_or_default();
    let body = format!(
        r#"<h2>差评整改</h2><p>差评须在 15 个工作日内整改并回访；红色为已超期，黄色为两日内到期。<a href="/office/hall">大厅管理</a> · <a href="/office/figures">数据统计</a></p>{error}
<table id="bad-ratings"><thead><tr><th>时间</th><th>评价</th><th>原因</th><th>号票</th><th>办件</th><th>窗口</th><th>经办人</th><th>状态</th><th>整改期限</th><th>处理</th></tr></thead><tbody>{rows}</tbody></table>"#
    );
    page("差评整改", Some(user), &body).into_response()
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
    match state
        .store_call(move |s| s.advance_rectification(id, &by, &f.note, clock.now()))
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
