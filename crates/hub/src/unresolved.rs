//! 办不成事 pages: the centre supervisor's register (首席事务代表: take a matter on, record
//! each action, close it with the outcome; matters open longer than the centre's days are
//! marked), and the kiosk's 办不成事 form for the applicant.

use axum::extract::{Form, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::html;
use serde::Deserialize;

use crate::auth::Supervisor;
use crate::hall::KioskCredential;
use crate::pages;
use crate::server::HubState;
use crate::store_office::User;

pub async fn list(State(state): State<HubState>, Supervisor(user): Supervisor) -> Response {
    render(&state, &user, None).await
}

async fn render(state: &HubState, user: &User, error: Option<&str>) -> Response {
    let scope = user.centre_scope().map(String::from);
    let now = state.now();
    let data = state
        .store_call(move |s| {
            let matters = s.unresolved(scope.as_deref())?;
            let days: Vec<u32> = matters
                .iter()
                .map(|m| s.unresolved_days(&m.centre))
                .collect::<Result<_, _>>()?;
            Ok((matters, days))
        })
        .await;
    let (matters, days) = match data {
        Ok(d) => d,
        Err(e) => return e.into_response(),
    };
    let overdue = |recorded: &str, days: u32| {
        recorded
            .parse::<chrono::DateTime<chrono::Utc>>()
            .is_ok_and(|t| now - t > chrono::Duration::days(days as i64))
    };
    let body = html! {
        h2 { "办不成事" }
        p { "办事人在窗口或取号机反映的办不成的事，由本中心主管（首席事务代表）负责跟进，逐次记录办理情况，办结时写明结果；红色为超过本中心规定天数仍未办结。" }
        (pages::error("unresolved-error", error))
        @if matters.is_empty() { p #no-unresolved { "暂无办不成事记录。" } }
        @for (m, d) in matters.iter().zip(&days) {
            @let late = m.closed_at.is_none() && overdue(&m.recorded_at, *d);
            section class={ "matter" @if late { " overdue" } } data-id=(m.id) {
                h3 {
                    (m.item) " · " (onewindow_domain::mask::name(&m.who))
                    @if late { " " span.tag style="background:#c62828;color:#fff" { "超过 " (d) " 天未办结" } }
                    @if m.closed_at.is_some() { " " span.tag { "已办结" } }
                }
                p { "联系方式：" (m.contact) " · 来源：" (m.source) " · 登记：" (m.recorded_by) " " (m.recorded_at) }
                p { b { "诉求及已尝试：" } (m.tried) }
                @if let Some(o) = &m.owner { p { "负责人：" (o) } }
                ul.actions {
                    @for (by, at, note) in &m.actions { li { (at) " " (by) "：" (note) } }
                }
                @if let Some(outcome) = &m.outcome { p.outcome { b { "办结结果：" } (outcome) } }
                @if m.closed_at.is_none() {
                    form method="post" action={ "/office/unresolved/" (m.id) } class="decide" {
                        (crate::pages::csrf_field())
                        textarea name="note" placeholder="办理情况或办结结果" {}
                        button type="submit" name="close" value="0" id={ "act-" (m.id) } { "记录办理情况" }
                        button type="submit" name="close" value="1" id={ "close-" (m.id) } { "办结" }
                    }
                }
            }
        }
    };
    pages::office("办不成事", Some(user), body).into_response()
}

#[derive(Deserialize)]
pub struct ActForm {
    #[serde(default)]
    note: String,
    #[serde(default)]
    close: String,
}

pub async fn act(
    State(state): State<HubState>,
    Supervisor(user): Supervisor,
    Path(id): Path<String>,
    Form(f): Form<ActForm>,
) -> Response {
    let clock = state.clock();
    let (scope, by) = (user.centre_scope().map(String::from), user.name.clone());
    let close = f.close == "1";
    match state
        .store_call(move |s| {
            s.act_on_unresolved(scope.as_deref(), &id, &by, &f.note, close, clock.now())
        })
        .await
    {
        Ok(()) => Redirect::to("/office/unresolved").into_response(),
        Err(_) => (
            StatusCode::BAD_REQUEST,
            render(
                &state,
                &user,
                Some("请写明办理情况（2–500 字）；已办结的事项不能再记录。"),
            )
            .await,
        )
            .into_response(),
    }
}

const KIOSK_FORM_STYLE: &str = r#"body{background:#f4f1ea;color:#222}
header{background:#a01c25;color:#fff;padding:18px 28px;font-size:30px;font-weight:700}
main{padding:24px 28px;max-width:900px;font-size:22px}
label{display:block;margin:14px 0 4px} input,textarea{font-size:22px;width:100%;padding:6px 10px}
button{font-size:24px;padding:10px 28px;margin-top:18px} .note{color:#555;font-size:16px}"#;

/// The kiosk's 办不成事 form.
pub async fn kiosk_form(KioskCredential(_, _): KioskCredential) -> Response {
    kiosk_page(None, false).into_response()
}

fn kiosk_page(error: Option<&str>, done: bool) -> axum::response::Html<String> {
    pages::hall(
        "办不成事反映",
        KIOSK_FORM_STYLE,
        html! {
            header { "一窗 · 办不成事反映" }
            main {
                @if done {
                    p #unresolved-done role="status" { "已登记，本中心主管将尽快与您联系。" }
                    a href="/kiosk" { "返回取号" }
                } @else {
                    @if let Some(e) = error { p.err #unresolved-error role="alert" { (e) } }
                    p.note { "在窗口办不成的事，请留下联系方式，本中心首席事务代表会跟进并回复您。" }
                    form method="post" action="/kiosk/unresolved" #unresolved-form {
                        (crate::pages::csrf_field())
                        label { "您的姓名" input name="who" #unresolved-who maxlength="30" required; }
                        label { "联系电话" input name="contact" #unresolved-contact maxlength="40" required; }
                        label { "想办的事项（不清楚可不填）" input name="item" #unresolved-item maxlength="100"; }
                        label { "遇到的问题、已尝试过什么" textarea name="tried" #unresolved-tried rows="4" maxlength="500" required {} }
                        button type="submit" #unresolved-submit { "提交" }
                        " " a href="/kiosk" { "返回取号" }
                    }
                }
            }
        },
    )
}

#[derive(Deserialize)]
pub struct KioskForm {
    #[serde(default)]
    who: String,
    #[serde(default)]
    contact: String,
    #[serde(default)]
    item: String,
    #[serde(default)]
    tried: String,
}

pub async fn kiosk_submit(
    State(state): State<HubState>,
    KioskCredential(kiosk, centre): KioskCredential,
    Form(f): Form<KioskForm>,
) -> Response {
    let clock = state.clock();
    let id = crate::secret::random_token();
    match state
        .store_call(move |s| {
            let source = format!("kiosk:{kiosk}");
            s.record_unresolved(&crate::store_unresolved::NewMatter {
                id: &id,
                centre: &centre,
                source: &source,
                who: &f.who,
                contact: &f.contact,
                item_code: None,
                item_text: &f.item,
                tried: &f.tried,
                recorded_by: "取号机",
                at: clock.now(),
            })
        })
        .await
    {
        Ok(Ok(())) => {
            tracing::info!("unresolved matter recorded at the kiosk");
            kiosk_page(None, true).into_response()
        }
        Ok(Err(why)) => (StatusCode::BAD_REQUEST, kiosk_page(Some(&why), false)).into_response(),
        Err(e) => e.into_response(),
    }
}
