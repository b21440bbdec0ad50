//! The hall's own pages on the hub (server-rendered, Simplified Chinese): the kiosk where an
//! applicant takes a ticket (取号) and its slip, and the hall display (叫号屏) for the TV, kept
//! live over server-sent events.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::{Form, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{Html, IntoResponse, Redirect, Response};
use chrono::{FixedOffset, Utc};
use onewindow_domain::ticket::{Priority, priority_from_id};
use onewindow_proto::HallBoard;
use serde::Deserialize;

use crate::server::HubState;
use crate::store_queue::hall_day;

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

const BASE_STYLE: &str = r#"body{font-family:"Noto Sans CJK SC","Microsoft YaHei",sans-serif;margin:0}
.err{color:#b00020;font-size:22px}"#;

fn page(title: &str, style: &str, body: &str) -> Html<String> {
    Html(format!(
        r#"<!doctype html>
<html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>{title}</title><style>{BASE_STYLE}
{style}</style></head><body>{body}</body></html>"#,
        title = esc(title)
    ))
}

fn local_time(rfc3339: &str) -> String {
    rfc3339
        .parse::<chrono::DateTime<Utc>>()
        .map(|t| {
            t.with_timezone(&FixedOffset::east_opt(8 * 3600).expect("UTC+8"))
                .format("%H:%M")
                .to_string()
        })
        .unwrap_or_default()
}

const KIOSK_STYLE: &str = r#"body{background:#f4f1ea;color:#222}
header{background:#a01c25;color:#fff;padding:18px 28px;font-size:30px;font-weight:700}
main{padding:24px 28px;max-width:1100px}
.domains{display:grid;grid-template-columns:repeat(3,1fr);gap:18px;margin:18px 0}
.domains button{font-size:30px;padding:28px 10px;border:0;border-radius:10px;background:#fff;
 box-shadow:0 2px 6px rgba(0,0,0,.15);cursor:pointer;font-family:inherit}
.domains button:focus,.domains button:hover{outline:4px solid #a01c25}
.domains .prefix{display:block;font-size:20px;color:#a01c25;margin-top:6px}
fieldset{border:1px solid #ccc;background:#fff;font-size:20px;padding:12px 18px;border-radius:8px}
label{margin-right:24px} input[type=text]{font-size:22px;padding:6px 10px;width:22ch}
.note{color:#555;font-size:16px}
.appointment{margin-top:22px} .appointment button{font-size:22px;padding:6px 18px}"#;

/// 取号: pick a domain; the priority lane opens by the ID number's age, or by choosing
/// 残疾人 / 军人 (checked at the window).
pub async fn kiosk(State(state): State<HubState>) -> Response {
    kiosk_page(&state, None).await
}

async fn kiosk_page(state: &HubState, error: Option<&str>) -> Response {
    let cfg = match state.store_call(|s| s.queue_config()).await {
        Ok(Some(c)) => c,
        Ok(None) => {
            return (
                StatusCode::SERVICE_UNAVAILABLE,
                page(
                    "取号",
                    KIOSK_STYLE,
                    "<header>一窗 · 取号</header><main><p class=\"err\">大厅尚未配置业务领域，暂不能取号，请到咨询台。</p></main>",
                ),
            )
                .into_response();
        }
        Err(e) => return e.into_response(),
    };
    let buttons: String = cfg
        .domains
        .iter()
        .map(|d| {
            format!(
                r#"<button type="submit" name="domain" value="{code}" id="domain-{code}">{name}<span class="prefix">{prefix} 字头</span></button>"#,
                code = esc(&d.code),
                name = esc(&d.name),
                prefix = esc(&d.prefix)
            )
        })
        .collect();
    let error = error
        .map(|e| {
            format!(
                r#"<p class="err" id="kiosk-error" role="alert">{}</p>"#,
                esc(e)
            )
        })
        .unwrap_or_default();
    let body = format!(
        r#"<header>一窗 · 取号</header><main>{error}
<form method="post" action="/kiosk/tickets" id="kiosk-form">
<fieldset><legend>绿色通道（可选）</legend>
<label>身份证号码 <input type="text" name="id_number" id="id-number" autocomplete="off" inputmode="text" maxlength="18"></label>
<span class="note">60 周岁及以上按身份证自动进入绿色通道，号码不保存</span><br>
<label><input type="radio" name="lane" value="" checked> 无</label>
<label><input type="radio" name="lane" value="disabled" id="lane-disabled"> 残疾人</label>
<label><input type="radio" name="lane" value="military" id="lane-military"> 军人</label>
<span class="note">（到窗口时请出示证件）</span></fieldset>
<p style="font-size:24px">请选择要办理的业务：</p>
<div class="domains">{buttons}</div></form>
<form method="post" action="/kiosk/appointments" id="appointment-form" class="appointment">
<fieldset><legend>预约签到</legend>
<label>预约码 <input type="text" name="code" id="appointment-code" autocomplete="off" maxlength="16" required></label>
<button type="submit" id="appointment-submit">签到取号</button>
<span class="note">网上预约的办事人输入预约码取号；预约时段前 10 分钟起优先叫号，超过时段 30 分钟预约失效</span>
</fieldset></form></main>"#
    );
    page("取号", KIOSK_STYLE, &body).into_response()
}

#[derive(Deserialize)]
pub struct TakeForm {
    domain: String,
    #[serde(default)]
    id_number: String,
    #[serde(default)]
    lane: String,
}

pub async fn take_ticket(State(state): State<HubState>, Form(f): Form<TakeForm>) -> Response {
    let clock = state.clock();
    let now = clock.now();
    let id = f.id_number.trim();
    let mut priority = match f.lane.as_str() {
        "disabled" => Some(Priority::Disabled),
        "military" => Some(Priority::Military),
        "" => None,
        _ => return kiosk_page(&state, Some("绿色通道选项无效，请重新选择。")).await,
    };
    if !id.is_empty() {
        let today = hall_day(now);
        if onewindow_domain::validate::IdNumber::parse(id, today).is_err() {
            return kiosk_page(
                &state,
                Some("身份证号码不正确，请核对后重输；不需要绿色通道可以留空。"),
            )
            .await;
        }
        // The age opens the lane; the number itself is neither stored nor logged.
        if priority.is_none() {
            priority = priority_from_id(id, today);
        }
    }
    let domain = f.domain.clone();
    match state
        .store_call(move |s| s.issue_ticket(&domain, priority, None, "kiosk", now))
        .await
    {
        Ok(slip) => {
            tracing::info!(ticket = %slip.ticket.number, domain = %slip.ticket.domain, "ticket issued");
            let _ = state.board.send(());
            Redirect::to(&format!("/kiosk/tickets/{}", slip.ticket.id)).into_response()
        }
        Err(_) => kiosk_page(&state, Some("该业务暂不能取号，请重新选择或到咨询台。")).await,
    }
}

#[derive(Deserialize)]
pub struct CheckInForm {
    #[serde(default)]
    code: String,
}

/// 预约签到: the code gives the appointment's ticket (the same one on a second try).
pub async fn check_in(State(state): State<HubState>, Form(f): Form<CheckInForm>) -> Response {
    let clock = state.clock();
    let now = clock.now();
    let code = f.code;
    match state.store_call(move |s| s.check_in(&code, now)).await {
        Ok(crate::store_appointment::CheckIn::Issued(slip)) => {
            tracing::info!(ticket = %slip.ticket.number, domain = %slip.ticket.domain, "appointment checked in");
            let _ = state.board.send(());
            Redirect::to(&format!("/kiosk/tickets/{}", slip.ticket.id)).into_response()
        }
        Ok(crate::store_appointment::CheckIn::Already(id)) => {
            Redirect::to(&format!("/kiosk/tickets/{id}")).into_response()
        }
        Ok(crate::store_appointment::CheckIn::Refused(why)) => kiosk_page(&state, Some(&why)).await,
        Err(_) => kiosk_page(&state, Some("暂时无法签到，请取普通号或到咨询台。")).await,
    }
}

/// The QR code as inline SVG.
fn qr_svg(payload: &str) -> String {
    let Ok(code) =
        qrcode::QrCode::with_error_correction_level(payload.as_bytes(), qrcode::EcLevel::M)
    else {
        return String::new();
    };
    let n = code.width();
    let mut rects = String::new();
    for (i, c) in code.to_colors().iter().enumerate() {
        if *c == qrcode::Color::Dark {
            rects.push_str(&format!(
                r#"<rect x="{}" y="{}" width="1" height="1"/>"#,
                i % n + 2,
                i / n + 2
            ));
        }
    }
    format!(
        r##"<svg id="ticket-qr" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {w}" width="180" height="180" shape-rendering="crispEdges"><rect width="{w}" height="{w}" fill="#fff"/><g fill="#000">{rects}</g></svg>"##,
        w = n + 4
    )
}

const SLIP_STYLE: &str = r#"body{background:#f4f1ea}
.slip{background:#fff;width:380px;margin:30px auto;padding:24px;text-align:center;border:1px dashed #999}
.slip h1{font-size:22px;margin:0 0 8px} #ticket-number{font-size:84px;font-weight:800;color:#a01c25;letter-spacing:4px}
.slip p{font-size:20px;margin:8px 0} .lane{color:#17733f;font-weight:700}
.actions{text-align:center} .actions a,.actions button{font-size:22px;margin:0 10px}
@media print{.actions{display:none} body{background:#fff} .slip{border:0;margin:0}}"#;

/// The ticket slip: number, domain, people ahead, time and a QR to follow it on a phone.
pub async fn slip(
    State(state): State<HubState>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Response {
    let clock = state.clock();
    if id.len() != 32 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
        return StatusCode::NOT_FOUND.into_response();
    }
    let found = match state
        .store_call(move |s| s.ticket_slip(&id, clock.now()))
        .await
    {
        Ok(f) => f,
        Err(e) => return e.into_response(),
    };
    let Some(s) = found else {
        return (
            StatusCode::NOT_FOUND,
            page("号票", SLIP_STYLE, "<p class=\"err\">没有这张号票。</p>"),
        )
            .into_response();
    };
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("localhost");
    let url = format!("http://{host}/kiosk/tickets/{}", s.ticket.id);
    let status = match s.ticket.state {
        onewindow_domain::ticket::TicketState::Waiting => {
            format!(r#"前面还有 <b id="people-ahead">{}</b> 人"#, s.people_ahead)
        }
        other => format!(
            r#"<b id="ticket-state">{}</b>{}"#,
            other.label(),
            s.ticket
                .window
                .map(|w| format!("：请到 {w} 号窗口"))
                .unwrap_or_default()
        ),
    };
    let lane = s
        .ticket
        .priority
        .map(|p| {
            format!(
                r#"<p class="lane" id="ticket-lane">绿色通道（{}）</p>"#,
                p.label()
            )
        })
        .unwrap_or_default();
    let lane = match s.ticket.appointment_at {
        Some(slot) => format!(
            r#"{lane}<p class="lane" id="ticket-appointment">预约 {} · 时段前 10 分钟起优先叫号</p>"#,
            onewindow_domain::appointment::local_hm(slot)
        ),
        None => lane,
    };
    let body = format!(
        r#"<div class="slip" id="slip"><h1>一窗 · 政务服务中心</h1>
<div id="ticket-number">{number}</div><p id="ticket-domain">{domain}</p>{lane}
<p>{status}</p><p>取号时间 {time}</p>{qr}<p style="font-size:14px">扫码查看叫号进度；过号请重新取号</p></div>
<div class="actions"><button type="button" onclick="window.print()" id="print-slip">打印</button><a href="/kiosk" id="back-to-kiosk">返回取号</a></div>"#,
        number = esc(&s.ticket.number),
        domain = esc(&s.domain_name),
        time = local_time(&s.ticket.issued_at.to_rfc3339()),
        qr = qr_svg(&url),
    );
    page(&format!("号票 {}", s.ticket.number), SLIP_STYLE, &body).into_response()
}

const DISPLAY_STYLE: &str = r#"body{background:#0d1b2a;color:#fff;overflow:hidden}
header{display:flex;justify-content:space-between;padding:14px 28px;font-size:34px;background:#a01c25}
main{display:flex;gap:24px;padding:24px}
#calls{flex:0 0 44%} #calls h2,#windows h2{font-size:30px;color:#ffd166;margin:0 0 12px}
.call{display:flex;justify-content:space-between;align-items:baseline;border-bottom:1px solid #33506e;padding:10px 4px}
.call .num{font-size:64px;font-weight:800;color:#ffd166} .call .win{font-size:42px}
.call:first-child{flex-direction:column;align-items:flex-start}
.call:first-child .num{font-size:110px} .call:first-child .win{font-size:64px}
.call.recall .num::after{content:"（重呼）";font-size:26px;color:#ff9f1c}
#windows{flex:1} #window-grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(220px,1fr));gap:14px}
.window{background:#1b3148;border-radius:8px;padding:12px;text-align:center}
.window .name{font-size:24px} .window .cur{font-size:56px;font-weight:800;color:#7bdff2;min-height:66px}
.window.paused .cur,.window.closed .cur{color:#888;font-size:32px}"#;

fn render_calls(b: &HallBoard) -> String {
    if b.calls.is_empty() {
        return r#"<p style="font-size:32px">请留意叫号</p>"#.into();
    }
    b.calls
        .iter()
        .map(|c| {
            format!(
                r#"<div class="call {kind}" data-event="{id}"><span class="num">{num}</span><span class="win">请到 {win} 号窗口</span></div>"#,
                kind = esc(&c.kind),
                id = c.event_id,
                num = esc(&c.number),
                win = c.window,
            )
        })
        .collect()
}

fn render_windows(b: &HallBoard) -> String {
    b.windows
        .iter()
        .map(|w| {
            let cur = match w.state.as_str() {
                "paused" => "暂停服务".to_string(),
                "closed" => "未开放".to_string(),
                _ => w
                    .current
                    .as_ref()
                    .map(|t| esc(&t.number))
                    .unwrap_or_else(|| "—".into()),
            };
            format!(
                r#"<div class="window {state}" data-window="{n}"><div class="name">{name}</div><div class="cur">{cur}</div></div>"#,
                state = esc(&w.state),
                n = w.number,
                name = esc(&w.name),
            )
        })
        .collect()
}

/// The hall TV: the last five calls large, a tile per window; live over `/display/events`.
pub async fn display(State(state): State<HubState>) -> Response {
    let board = match state.store_call(|s| s.hall_board()).await {
        Ok(b) => b,
        Err(_) => {
            return (
                StatusCode::SERVICE_UNAVAILABLE,
                page(
                    "叫号屏",
                    DISPLAY_STYLE,
                    "<header>叫号屏</header><main><p style=\"font-size:40px\">大厅尚未配置叫号，请联系管理员。</p></main>",
                ),
            )
                .into_response();
        }
    };
    let body = format!(
        r#"<header><span>一窗 · 政务服务中心</span><span id="clock"></span></header>
<main><section id="calls"><h2>最近叫号</h2><div id="call-list">{calls}</div></section>
<section id="windows"><h2>各窗口</h2><div id="window-grid">{windows}</div></section></main>
<script>
const esc = s => String(s).replace(/[&<>"']/g, c => ({{'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;',"'":'&#39;'}})[c]);
function render(b) {{
  document.getElementById('call-list').innerHTML = b.calls.length === 0
    ? '<p style="font-size:32px">请留意叫号</p>'
    : b.calls.map(c => `<div class="call ${{esc(c.kind)}}" data-event="${{c.event_id}}"><span class="num">${{esc(c.number)}}</span><span class="win">请到 ${{c.window}} 号窗口</span></div>`).join('');
  document.getElementById('window-grid').innerHTML = b.windows.map(w => {{
    const cur = w.state === 'paused' ? '暂停服务' : w.state === 'closed' ? '未开放' : (w.current ? esc(w.current.number) : '—');
    return `<div class="window ${{esc(w.state)}}" data-window="${{w.number}}"><div class="name">${{esc(w.name)}}</div><div class="cur">${{cur}}</div></div>`;
  }}).join('');
}}
const es = new EventSource('/display/events');
es.onmessage = e => render(JSON.parse(e.data));
setInterval(() => {{ document.getElementById('clock').textContent = new Date().toLocaleTimeString('zh-CN', {{hour12: false}}); }}, 1000);
</script>"#,
        calls = render_calls(&board),
        windows = render_windows(&board),
    );
    page("叫号屏", DISPLAY_STYLE, &body).into_response()
}

/// Server-sent events: the whole board now, then again each time it changes.
pub async fn display_events(
    State(state): State<HubState>,
) -> Sse<impl futures_util::Stream<Item = Result<Event, Infallible>>> {
    let rx = state.board.subscribe();
    let stream =
        futures_util::stream::unfold((state, rx, true), |(state, mut rx, first)| async move {
            if !first {
                // A lagging receiver only missed ticks: the board it sends next is whole anyway.
                if let Err(tokio::sync::broadcast::error::RecvError::Closed) = rx.recv().await {
                    return None;
                }
                // Calls come in bursts in a busy hall: one board for all the ticks of the next
                // few tens of milliseconds.
                tokio::time::sleep(Duration::from_millis(40)).await;
                while !matches!(
                    rx.try_recv(),
                    Err(tokio::sync::broadcast::error::TryRecvError::Empty
                        | tokio::sync::broadcast::error::TryRecvError::Closed)
                ) {}
            }
            let board = state.store_call(|s| s.hall_board()).await.ok();
            let event = match board {
                Some(b) => Event::default().data(serde_json::to_string(&b).expect("serialises")),
                None => Event::default().comment("board unavailable"),
            };
            Some((Ok(event), (state, rx, false)))
        });
    Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}
