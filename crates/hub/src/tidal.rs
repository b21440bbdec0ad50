//! 大厅管理 (tidal windows) for the hall supervisor: each domain's queue now (waiting, longest
//! wait, the last hour's mean wait, open windows), the tidal rules that fire with a one-click
//! reassignment, a manual reassignment of any tidal window, and the record of every change with
//! who and why. Server-rendered; the figures refresh by themselves.

use axum::extract::{Form, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::html;
use serde::Deserialize;

use crate::auth::Supervisor;
use crate::pages;
use crate::server::HubState;

pub async fn hall(
    State(state): State<HubState>,
    Supervisor(user): Supervisor,
    Query(q): Query<crate::office_centre::CentreQuery>,
) -> Response {
    render(&state, &user, q.centre.as_deref(), None).await
}

async fn render(
    state: &HubState,
    user: &crate::store_office::User,
    asked: Option<&str>,
    error: Option<&str>,
) -> Response {
    let (centre, visible) = match crate::office_centre::pick(state, user, asked).await {
        Ok(p) => p,
        Err(refused) => return refused,
    };
    let clock = state.clock();
    let now = clock.now();
    let code = centre.code.clone();
    let data = state
        .store_call(move |s| {
            Ok((
                s.domain_loads(&code, now)?,
                s.tidal_suggestions(&code, now)?,
                s.windows_live(&code)?,
                s.reassignments(&code, 20)?,
                s.queue_config(&code)?.expect("loads need it"),
            ))
        })
        .await;
    let (loads, suggestions, windows, log, cfg) = match data {
        Ok(d) => d,
        Err(_) => {
            return (
                StatusCode::SERVICE_UNAVAILABLE,
                pages::office(
                    "大厅管理",
                    Some(user),
                    html! {
                        (crate::office_centre::nav("/office/hall", &visible, &centre.code, ""))
                        p.err { (centre.name) "尚未发布叫号配置（onewindow-hub import-queue --centre " (centre.code) "）。" }
                    },
                ),
            )
                .into_response();
        }
    };
    let name_of = |code: &str| {
        cfg.domains.iter().find(|d| d.code == code).map_or_else(
            || code.to_string(),
            |d| format!("{}（{}）", d.name, d.prefix),
        )
    };
    let names = |codes: &[String]| {
        codes
            .iter()
            .map(|d| name_of(d))
            .collect::<Vec<_>>()
            .join("、")
    };
    let body = html! {
        h2 { "大厅管理 · 潮汐窗口 · " span #hall-centre { (centre.name) } }
        (crate::office_centre::nav("/office/hall", &visible, &centre.code, ""))
        p {
            a href={ "/office/figures?centre=" (centre.code) } id="to-figures" { "数据统计（日报、月通报、导出 Excel）" }
            " · " a href="/office/ratings" id="to-ratings" { "差评整改" }
            " · " a href="/office/due" id="to-due" { "到期预警" }
            " · " a href="/office/refusals" id="to-refusals" { "不予受理待确认" }
            " · " a href="/office/unresolved" id="to-unresolved" { "办不成事" }
            " · " a href="/office/audit" id="to-audit" { "审计日志" }
        }
        (pages::error("hall-error", error))
        section {
            h3 { "各业务排队（每 15 秒刷新）" }
            table #loads {
                thead { tr {
                    th { "业务" } th { "等候人数" } th { "最长等候" } th { "近一小时平均等候" } th { "开放窗口" }
                } }
                tbody {
                    @for l in &loads {
                        tr class=(if suggestions.iter().any(|s| s.domain == l.code) { "overdue" } else { "" })
                            data-domain=(l.code) {
                            td { (l.name) "（" (l.prefix) "）" }
                            td.waiting { (l.waiting) }
                            td { (l.longest_wait_min) " 分钟" }
                            td {
                                @match l.avg_wait_last_hour_min {
                                    Some(m) => { (format!("{m:.0}")) " 分钟" }
                                    None => "—",
                                }
                            }
                            td { (l.windows_open) }
                        }
                    }
                }
            }
        }
        section #suggestions {
            h3 { "调配建议" }
            @if suggestions.is_empty() {
                p #no-suggestions { "各业务排队均在阈值内，暂无调配建议。" }
            }
            @for s in &suggestions {
                form method="post" action="/office/hall/reassign" class="suggestion" {
                    (crate::pages::csrf_field())
                    input type="hidden" name="centre" value=(centre.code);
                    input type="hidden" name="window" value=(s.window);
                    input type="hidden" name="domain" value=(s.domain);
                    input type="hidden" name="why" value=(s.why);
                    p {
                        b { "建议将 " (s.window_name) " 调配办理 " (s.domain_name) }
                        "：" (s.why) "　"
                        button type="submit" id={ "apply-" (s.window) "-" (s.domain) } { "一键调配" }
                    }
                }
            }
        }
        section {
            h3 { "窗口" }
            table #windows {
                thead { tr {
                    th { "窗口" } th { "状态" } th { "办理业务" } th { "当前号" } th { "调配" }
                } }
                tbody {
                    @for w in &windows {
                        @let tidal = cfg.windows.iter().any(|c| c.number == w.number && c.tidal);
                        tr data-window=(w.number) {
                            td {
                                (w.name)
                                @if tidal { " " span.tag style="background:#2d6a4f;color:#fff" { "潮汐" } }
                            }
                            td {
                                (match w.state.as_str() { "paused" => "暂停", "closed" => "关闭", _ => "开放" })
                            }
                            td.domains { (names(&w.domains)) }
                            td { (w.current.as_ref().map_or("—", |t| t.number.as_str())) }
                            td {
                                @if tidal {
                                    form method="post" action="/office/hall/reassign" class="manual" {
                                        (crate::pages::csrf_field())
                                        input type="hidden" name="centre" value=(centre.code);
                                        input type="hidden" name="window" value=(w.number);
                                        select name="domain" id={ "domain-" (w.number) } {
                                            @for d in &cfg.domains {
                                                option value=(d.code) { (d.name) "（" (d.prefix) "）" }
                                            }
                                        }
                                        " "
                                        input name="why" id={ "why-" (w.number) } placeholder="调配原因（必填）";
                                        " "
                                        button type="submit" id={ "reassign-" (w.number) } { "调配" }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        section {
            h3 { "调配记录" }
            ul #reassignments {
                @for r in &log {
                    li {
                        (r.at) " " (r.by) " 将 " (r.window) " 号窗口由 " (names(&r.from))
                        " 调为 " (names(&r.to)) "：" (r.why)
                    }
                }
            }
        }
        script src="/assets/hall-refresh.js" {}
    };
    pages::office("大厅管理", Some(user), body).into_response()
}

/// Refresh the figures unless the supervisor is typing a reason.
pub(crate) const REFRESH_SCRIPT: &str = r#"
setInterval(() => {
  const a = document.activeElement;
  const typing = [...document.querySelectorAll('input[name=why]')].some(i => i.value !== '') || (a && a.tagName === 'SELECT');
  if (!typing) location.reload();
}, 15000);
"#;

#[derive(Deserialize)]
pub struct ReassignForm {
    #[serde(default)]
    centre: Option<String>,
    window: u32,
    domain: String,
    #[serde(default)]
    why: String,
}

pub async fn reassign(
    State(state): State<HubState>,
    Supervisor(user): Supervisor,
    Form(f): Form<ReassignForm>,
) -> Response {
    let clock = state.clock();
    let asked = f.centre.clone();
    let centre = match crate::office_centre::pick(&state, &user, asked.as_deref()).await {
        Ok((c, _)) => c.code,
        Err(refused) => return refused,
    };
    if f.why.trim().chars().count() < 2 || f.why.chars().count() > 200 {
        return (
            StatusCode::BAD_REQUEST,
            render(
                &state,
                &user,
                Some(&centre),
                Some("请写明调配原因（2–200 字）。"),
            )
            .await,
        )
            .into_response();
    }
    let by = user.name.clone();
    let (window, domain) = (f.window, f.domain.clone());
    let c = centre.clone();
    match state
        .store_call(move |s| {
            let live = s.reassign_window(
                &c,
                window,
                std::slice::from_ref(&domain),
                &by,
                &f.why,
                clock.now(),
            )?;
            s.audit_hub(
                &by,
                "tidal_reassign",
                &format!("{c} window {window}"),
                "ok",
                Some(&format!("to {domain}: {}", f.why.trim())),
                clock.now(),
            )?;
            Ok(live)
        })
        .await
    {
        Ok(_) => {
            tracing::info!(window, %centre, user = %user.name, "window reassigned");
            state.board_changed(&centre);
            Redirect::to(&format!("/office/hall?centre={centre}")).into_response()
        }
        Err(_) => (
            StatusCode::BAD_REQUEST,
            render(
                &state,
                &user,
                Some(&centre),
                Some("无法调配：只有潮汐窗口可以调配，且业务须在叫号配置中。"),
            )
            .await,
        )
            .into_response(),
    }
}
