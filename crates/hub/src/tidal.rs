//! 大厅管理 (tidal windows) for the hall supervisor: each domain's queue now (waiting, longest
//! wait, the last hour's mean wait, open windows), the tidal rules that fire with a one-click
//! reassignment, a manual reassignment of any tidal window, and the record of every change with
//! who and why. Server-rendered; the figures refresh by themselves.

use axum::extract::{Form, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use crate::auth::Supervisor;
use crate::office::{esc, page};
use crate::server::HubState;

pub async fn hall(State(state): State<HubState>, Supervisor(user): Supervisor) -> Response {
    render(&state, &user, None).await
}

async fn render(
    state: &HubState,
    user: &crate::store_office::User,
    error: Option<&str>,
) -> Response {
    let clock = state.clock();
    let now = clock.now();
    let data = state
        .store_call(move |s| {
            Ok((
                s.domain_loads(now)?,
                s.tidal_suggestions(now)?,
                s.windows_live()?,
                s.reassignments(20)?,
                s.queue_config()?.expect("loads need it"),
            ))
        })
        .await;
    let (loads, suggestions, windows, log, cfg) = match data {
        Ok(d) => d,
        Err(_) => {
            return (
                StatusCode::SERVICE_UNAVAILABLE,
                page(
                    "大厅管理",
                    Some(user),
                    "<p class=\"err\">大厅尚未发布叫号配置（onewindow-hub import-queue）。</p>",
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
    let load_rows: String = loads
        .iter()
        .map(|l| {
            let hot = suggestions.iter().any(|s| s.domain == l.code);
            format!(
                r#"<tr class="{cls}" data-domain="{code}"><td>{name}（{prefix}）</td><td class="waiting">{w}</td><td>{lw} 分钟</td><td>{avg}</td><td>{open}</td></tr>"#,
                cls = if hot { "overdue" } else { "" },
                code = esc(&l.code),
                name = esc(&l.name),
                prefix = esc(&l.prefix),
                w = l.waiting,
                lw = l.longest_wait_min,
                avg = l
                    .avg_wait_last_hour_min
                    .map_or("—".to_string(), |m| format!("{m:.0} 分钟")),
                open = l.windows_open,
            )
        })
        .collect();
    let sugg: String = if suggestions.is_empty() {
        "<p id=\"no-suggestions\">各业务排队均在阈值内，暂无调配建议。</p>".into()
    } else {
        suggestions
            .iter()
            .map(|s| {
                format!(
                    r#"<form method="post" action="/office/hall/reassign" class="suggestion"><input type="hidden" name="window" value="{w}"><input type="hidden" name="domain" value="{d}"><input type="hidden" name="why" value="{why}">
<p><b>建议将 {wname} 调配办理 {dname}</b>：{why}　<button type="submit" id="apply-{w}-{d}">一键调配</button></p></form>"#,
                    w = s.window,
                    d = esc(&s.domain),
                    wname = esc(&s.window_name),
                    dname = esc(&s.domain_name),
                    why = esc(&s.why),
                )
            })
            .collect()
    };
    let options: String = cfg
        .domains
        .iter()
        .map(|d| {
            format!(
                r#"<option value="{}">{}（{}）</option>"#,
                esc(&d.code),
                esc(&d.name),
                esc(&d.prefix)
            )
        })
        .collect();
    let window_rows: String = windows
        .iter()
        .map(|w| {
            let tidal = cfg
                .windows
                .iter()
                .any(|c| c.number == w.number && c.tidal);
            let manual = if tidal {
                format!(
                    r#"<form method="post" action="/office/hall/reassign" class="manual"><input type="hidden" name="window" value="{n}"><select name="domain" id="domain-{n}">{options}</select> <input name="why" id="why-{n}" placeholder="调配原因（必填）"> <button type="submit" id="reassign-{n}">调配</button></form>"#,
                    n = w.number
                )
            } else {
                String::new()
            };
            format!(
                r#"<tr data-window="{n}"><td>{name}{tag}</td><td>{state}</td><td class="domains">{domains}</td><td>{cur}</td><td>{manual}</td></tr>"#,
                n = w.number,
                name = esc(&w.name),
                tag = if tidal { " <span class=\"tag\" style=\"background:#2d6a4f;color:#fff\">潮汐</span>" } else { "" },
                state = match w.state.as_str() {
                    "paused" => "暂停",
                    "closed" => "关闭",
                    _ => "开放",
                },
                domains = esc(&w.domains.iter().map(|d| name_of(d)).collect::<Vec<_>>().join("、")),
                cur = w.current.as_ref().map(|t| esc(&t.number)).unwrap_or_else(|| "—".into()),
            )
        })
        .collect();
    let history: String = log
        .iter()
        .map(|r| {
            format!(
                "<li>{} {} 将 {} 号窗口由 {} 调为 {}：{}</li>",
                esc(&r.at),
                esc(&r.by),
                r.window,
                esc(&r
                    .from
                    .iter()
                    .map(|d| name_of(d))
                    .collect::<Vec<_>>()
                    .join("、")),
                esc(&r
                    .to
                    .iter()
                    .map(|d| name_of(d))
                    .collect::<Vec<_>>()
                    .join("、")),
                esc(&r.why)
            )
        })
        .collect();
    let error = error
        .map(|e| format!(r#"<p class="err" id="hall-error">{}</p>"#, esc(e)))
        .unwrap_or_default();
    let body = format!(
        r#"<h2>大厅管理 · 潮汐窗口</h2><p><a href="/office/figures" id="to-figures">数据统计（日报、月通报、导出 Excel）</a> · <a href="/office/ratings" id="to-ratings">差评整改</a> · <a href="/office/audit" id="to-audit">审计日志</a></p>{error}
<section><h3>各业务排队（每 15 秒刷新）</h3><table id="loads"><thead><tr><th>业务</th><th>等候人数</th><th>最长等候</th><th>近一小时平均等候</th><th>开放窗口</th></tr></thead><tbody>{load_rows}</tbody></table></section>
<section id="suggestions"><h3>调配建议</h3>{sugg}</section>
<section><h3>窗口</h3><table id="windows"><thead><tr><th>窗口</th><th>状态</th><th>办理业务</th><th>当前号</th><th>调配</th></tr></thead><tbody>{window_rows}</tbody></table></section>
<section><h3>调配记录</h3><ul id="reassignments">{history}</ul></section>
<script>
// Refresh the figures unless the supervisor is typing a reason.
setInterval(() => {{
  const a = document.activeElement;
  const typing = [...document.querySelectorAll('input[name=why]')].some(i => i.value !== '') || (a && a.tagName === 'SELECT');
  if (!typing) location.reload();
}}, 15000);
</script>"#
    );
    page("大厅管理", Some(user), &body).into_response()
}

#[derive(Deserialize)]
pub struct ReassignForm {
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
    if f.why.trim().chars().count() < 2 || f.why.chars().count() > 200 {
        return (
            StatusCode::BAD_REQUEST,
            render(&state, &user, Some("请写明调配原因（2–200 字）。")).await,
        )
            .into_response();
    }
    let by = user.name.clone();
    let (window, domain) = (f.window, f.domain.clone());
    match state
        .store_call(move |s| s.reassign_window(window, &[domain], &by, &f.why, clock.now()))
        .await
    {
        Ok(_) => {
            tracing::info!(window, user = %user.name, "window reassigned");
            let _ = state.board.send(());
            Redirect::to("/office/hall").into_response()
        }
        Err(_) => (
            StatusCode::BAD_REQUEST,
            render(
                &state,
                &user,
                Some("无法调配：只有潮汐窗口可以调配，且业务须在叫号配置中。"),
            )
            .await,
        )
            .into_response(),
    }
}
