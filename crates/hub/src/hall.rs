//! The hall's own pages on the hub (server-rendered, Simplified Chinese): the kiosk where an
//! applicant takes a ticket (取号) and its slip, and the hall display (叫号屏) for the TV, kept
//! live over server-sent events.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::{Form, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{FixedOffset, Utc};
use maud::{Markup, html};
use onewindow_domain::ticket::{Priority, priority_from_id};
use onewindow_proto::HallBoard;
use serde::Deserialize;

use crate::pages;
use crate::server::HubState;
use crate::store_queue::hall_day;

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

/// The cookie holding a kiosk's credential.
const KIOSK_COOKIE: &str = "onewindow_kiosk";

/// A kiosk whose browser holds a credential (`kiosk add` gave it a one-time link): its name
/// and its centre. Anyone else is told this browser is not a kiosk.
pub struct KioskCredential(pub String, pub String);

impl axum::extract::FromRequestParts<HubState> for KioskCredential {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &HubState,
    ) -> Result<Self, Response> {
        let not_a_kiosk = || {
            (
                StatusCode::FORBIDDEN,
                pages::hall(
                    "取号",
                    KIOSK_STYLE,
                    html! {
                        header { "一窗 · 取号" }
                        main { p.err #not-a-kiosk { "本机尚未登记为取号机，请联系管理员（onewindow-hub kiosk add）。" } }
                    },
                ),
            )
                .into_response()
        };
        let Some(token) =
            crate::web::cookie(&parts.headers, KIOSK_COOKIE).filter(|t| crate::secret::is_token(t))
        else {
            return Err(not_a_kiosk());
        };
        match state.store_call(move |s| s.kiosk_for_token(&token)).await {
            Ok(Some((name, centre))) => Ok(KioskCredential(name, centre)),
            Ok(None) => Err(not_a_kiosk()),
            Err(e) => Err(e.into_response()),
        }
    }
}

/// The one-time link `kiosk add` printed: the kiosk's browser keeps the credential.
pub async fn pair(State(state): State<HubState>, Path(code): Path<String>) -> Response {
    let clock = state.clock();
    let paired = if crate::secret::is_token(&code) {
        state
            .store_call(move |s| s.pair_kiosk(&code, clock.now()))
            .await
    } else {
        Ok(None)
    };
    match paired {
        Ok(Some((name, token))) => {
            tracing::info!(kiosk = %name, "kiosk paired");
            (
                [(
                    header::SET_COOKIE,
                    format!(
                        "{KIOSK_COOKIE}={token}; Path=/kiosk; HttpOnly; SameSite=Strict; Max-Age=315360000{}",
                        state.web().cookie_flags()
                    ),
                )],
                Redirect::to("/kiosk"),
            )
                .into_response()
        }
        Ok(None) => (
            StatusCode::NOT_FOUND,
            pages::hall(
                "取号机登记",
                KIOSK_STYLE,
                html! { main { p.err #pair-refused { "登记链接无效或已使用过，请管理员重新生成（onewindow-hub kiosk add）。" } } },
            ),
        )
            .into_response(),
        Err(e) => e.into_response(),
    }
}

/// 取号: pick a domain; the priority lane opens by the ID number's age, or by choosing
/// 残疾人 / 军人 (checked at the window).
pub async fn kiosk(
    State(state): State<HubState>,
    KioskCredential(_, centre): KioskCredential,
) -> Response {
    kiosk_page(&state, &centre, None).await
}

async fn kiosk_page(state: &HubState, centre: &str, error: Option<&str>) -> Response {
    let c = centre.to_string();
    let clock = state.clock();
    let cfg = match state
        .store_call(move |s| {
            // The configuration is read once; the hours only when there is one.
            let cfg = s.queue_config(&c)?;
            let hours = match cfg {
                Some(_) => Some(s.kiosk_hours(&c, clock.now())?),
                None => None,
            };
            Ok((cfg, s.centre(&c)?, hours))
        })
        .await
    {
        Ok((Some(c), Some(at), Some(hours))) => (c, at, hours),
        Ok(_) => {
            return (
                StatusCode::SERVICE_UNAVAILABLE,
                pages::hall(
                    "取号",
                    KIOSK_STYLE,
                    html! {
                        header { "一窗 · 取号" }
                        main { p.err { "大厅尚未配置业务领域，暂不能取号，请到咨询台。" } }
                    },
                ),
            )
                .into_response();
        }
        Err(e) => return e.into_response(),
    };
    let (cfg, at, (hours_today, window)) = cfg;
    let body = html! {
        header { "一窗 · 取号 · " span #kiosk-centre { (at.name) } }
        main {
            @if let Some(e) = error { p.err #kiosk-error role="alert" { (e) } }
            @if let Some(h) = &hours_today { p.note #kiosk-hours { "今日开放时间：" (h) } }
            @if let onewindow_domain::hours::TicketWindow::Closed { next } = &window {
                p.err #kiosk-closed role="status" {
                    "现在不是取号时间"
                    @if let Some(t) = next { "，下次开放：" (onewindow_domain::hours::when_zh(*t)) }
                    "。预约办事人可在开放时间签到。"
                }
            }
            form method="post" action="/kiosk/tickets" #kiosk-form {
                (crate::pages::csrf_field())
                fieldset {
                    legend { "绿色通道（可选）" }
                    label {
                        "身份证号码 "
                        input type="text" name="id_number" #id-number autocomplete="off" inputmode="text" maxlength="18";
                    }
                    " " span.note { "60 周岁及以上按身份证自动进入绿色通道，号码不保存" } br;
                    " " label { input type="radio" name="lane" value="" checked; " 无" }
                    " " label { input type="radio" name="lane" value="disabled" #lane-disabled; " 残疾人" }
                    " " label { input type="radio" name="lane" value="military" #lane-military; " 军人" }
                    " " span.note { "（到窗口时请出示证件）" }
                }
                p style="font-size:24px" { "请选择要办理的业务：" }
                div.domains {
                    @for d in &cfg.domains {
                        button type="submit" name="domain" value=(d.code) id={ "domain-" (d.code) } {
                            (d.name) span.prefix { (d.prefix) " 字头" }
                        }
                    }
                }
            }
            p.appointment { a #kiosk-unresolved href="/kiosk/unresolved" { "办不成事反映" } }
            form method="post" action="/kiosk/appointments" #appointment-form class="appointment" {
                (crate::pages::csrf_field())
                fieldset {
                    legend { "预约签到" }
                    label {
                        "预约码 "
                        input type="text" name="code" #appointment-code autocomplete="off" maxlength="16" required;
                    }
                    " " button type="submit" #appointment-submit { "签到取号" }
                    " " span.note { "网上预约的办事人输入预约码取号；预约时段前 10 分钟起优先叫号，超过时段 30 分钟预约失效" }
                }
            }
        }
    };
    pages::hall("取号", KIOSK_STYLE, body).into_response()
}

#[derive(Deserialize)]
pub struct TakeForm {
    domain: String,
    #[serde(default)]
    id_number: String,
    #[serde(default)]
    lane: String,
}

pub async fn take_ticket(
    State(state): State<HubState>,
    KioskCredential(kiosk, centre): KioskCredential,
    Form(f): Form<TakeForm>,
) -> Response {
    let clock = state.clock();
    let now = clock.now();
    let k = kiosk.clone();
    match state
        .store_call(move |s| s.throttle_count(&crate::store_kiosk::KIOSK_TICKETS, &k, now))
        .await
    {
        Ok(None) => {}
        Ok(Some(until)) => return kiosk_busy(&state, &centre, &kiosk, until).await,
        Err(e) => return e.into_response(),
    }
    let id = f.id_number.trim();
    let mut priority = match f.lane.as_str() {
        "disabled" => Some(Priority::Disabled),
        "military" => Some(Priority::Military),
        "" => None,
        _ => return kiosk_page(&state, &centre, Some("绿色通道选项无效，请重新选择。")).await,
    };
    if !id.is_empty() {
        let today = hall_day(now);
        if onewindow_domain::validate::IdNumber::parse(id, today).is_err() {
            return kiosk_page(
                &state,
                &centre,
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
    let c = centre.clone();
    match state
        .store_call(move |s| s.issue_ticket(&c, &domain, priority, None, "kiosk", now))
        .await
    {
        Ok(slip) => {
            tracing::info!(ticket = %slip.ticket.number, domain = %slip.ticket.domain, %centre, "ticket issued");
            state.board_changed(&centre);
            Redirect::to(&format!("/kiosk/tickets/{}", slip.ticket.id)).into_response()
        }
        Err(_) => {
            kiosk_page(
                &state,
                &centre,
                Some("该业务暂不能取号，请重新选择或到咨询台。"),
            )
            .await
        }
    }
}

#[derive(Deserialize)]
pub struct CheckInForm {
    #[serde(default)]
    code: String,
}

/// Too many tickets, or wrong appointment codes, from one kiosk: 429 with `Retry-After`.
async fn kiosk_busy(
    state: &HubState,
    centre: &str,
    kiosk: &str,
    until: chrono::DateTime<chrono::Utc>,
) -> Response {
    tracing::warn!(%kiosk, "kiosk throttled");
    let mut r = kiosk_page(state, centre, Some("取号过于频繁，请稍候再试。")).await;
    *r.status_mut() = StatusCode::TOO_MANY_REQUESTS;
    let wait = crate::auth::retry_after(until, state.now());
    if let Ok(v) = header::HeaderValue::from_str(&wait.to_string()) {
        r.headers_mut().insert(header::RETRY_AFTER, v);
    }
    r
}

/// 预约签到: the code gives the appointment's ticket (the same one on a second try). Codes
/// that match nothing count against the kiosk, so nobody learns which codes exist by trying.
pub async fn check_in(
    State(state): State<HubState>,
    KioskCredential(kiosk, centre): KioskCredential,
    Form(f): Form<CheckInForm>,
) -> Response {
    use crate::store_kiosk::KIOSK_CHECK_INS;
    let clock = state.clock();
    let now = clock.now();
    let code = f.code;
    let k = kiosk.clone();
    let c = centre.clone();
    match state
        .store_call(move |s| {
            if let Some(until) = s.throttled(&KIOSK_CHECK_INS, &k, now)? {
                return Ok(Err(until));
            }
            let r = s.check_in(&c, &code, now)?;
            if matches!(r, crate::store_appointment::CheckIn::Refused(_)) {
                s.throttle_count(&KIOSK_CHECK_INS, &k, now)?;
            }
            Ok(Ok(r))
        })
        .await
    {
        Ok(Err(until)) => kiosk_busy(&state, &centre, &kiosk, until).await,
        Ok(Ok(crate::store_appointment::CheckIn::Issued(slip))) => {
            tracing::info!(ticket = %slip.ticket.number, domain = %slip.ticket.domain, "appointment checked in");
            state.board_changed(&centre);
            Redirect::to(&format!("/kiosk/tickets/{}", slip.ticket.id)).into_response()
        }
        Ok(Ok(crate::store_appointment::CheckIn::Already(id))) => {
            Redirect::to(&format!("/kiosk/tickets/{id}")).into_response()
        }
        Ok(Ok(crate::store_appointment::CheckIn::Refused(why))) => {
            kiosk_page(&state, &centre, Some(&why)).await
        }
        Err(_) => {
            kiosk_page(
                &state,
                &centre,
                Some("暂时无法签到，请取普通号或到咨询台。"),
            )
            .await
        }
    }
}

/// The QR code as inline SVG (each module a closed `<rect>`: inline SVG has no void elements).
fn qr_svg(payload: &str) -> Markup {
    let Ok(code) =
        qrcode::QrCode::with_error_correction_level(payload.as_bytes(), qrcode::EcLevel::M)
    else {
        return Markup::default();
    };
    let n = code.width();
    let colors = code.to_colors();
    let dark = colors
        .iter()
        .enumerate()
        .filter(|(_, c)| **c == qrcode::Color::Dark)
        .map(|(i, _)| (i % n + 2, i / n + 2));
    let box_ = format!("0 0 {w} {w}", w = n + 4);
    html! {
        svg #ticket-qr xmlns="http://www.w3.org/2000/svg" viewBox=(box_) width="180" height="180" shape-rendering="crispEdges" {
            rect width=(n + 4) height=(n + 4) fill="#fff" {}
            g fill="#000" {
                @for (x, y) in dark { rect x=(x) y=(y) width="1" height="1" {} }
            }
        }
    }
}

const SLIP_STYLE: &str = r#"body{background:#f4f1ea}
.slip{background:#fff;width:380px;margin:30px auto;padding:24px;text-align:center;border:1px dashed #999}
.slip h1{font-size:22px;margin:0 0 8px} #ticket-number{font-size:84px;font-weight:800;color:#a01c25;letter-spacing:4px}
.slip p{font-size:20px;margin:8px 0} .lane{color:#17733f;font-weight:700}
.actions{text-align:center} .actions a,.actions button{font-size:22px;margin:0 10px}
@media print{.actions{display:none} body{background:#fff} .slip{border:0;margin:0}}"#;

/// A link to `path` on this hub for an applicant's phone: under the configured public address
/// (`serve --public-url`), else the address this request came to, with the hub's own scheme.
pub(crate) fn public_link(state: &HubState, headers: &HeaderMap, path: &str) -> String {
    let web = state.web();
    if let Some(base) = &web.public_url {
        return format!("{}{path}", base.as_str().trim_end_matches('/'));
    }
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .filter(|h| {
            h.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b".-:[]".contains(&b))
        })
        .unwrap_or("localhost");
    let scheme = if web.tls { "https" } else { "http" };
    format!("{scheme}://{host}{path}")
}

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
            pages::hall("号票", SLIP_STYLE, html! { p.err { "没有这张号票。" } }),
        )
            .into_response();
    };
    let url = public_link(&state, &headers, &format!("/kiosk/tickets/{}", s.ticket.id));
    let body = html! {
        div.slip #slip {
            h1 { "一窗 · 政务服务中心" }
            div #ticket-number { (s.ticket.number) }
            p #ticket-domain { (s.domain_name) }
            @if let Some(p) = s.ticket.priority {
                p.lane #ticket-lane { "绿色通道（" (p.label()) "）" }
            }
            @if let Some(slot) = s.ticket.appointment_at {
                p.lane #ticket-appointment {
                    "预约 " (onewindow_domain::appointment::local_hm(slot)) " · 时段前 10 分钟起优先叫号"
                }
            }
            p {
                @match s.ticket.state {
                    onewindow_domain::ticket::TicketState::Waiting => {
                        "前面还有 " b #people-ahead { (s.people_ahead) } " 人"
                    }
                    other => {
                        b #ticket-state { (other.label()) }
                        @if let Some(w) = s.ticket.window { "：请到 " (w) " 号窗口" }
                    }
                }
            }
            p { "取号时间 " (local_time(&s.ticket.issued_at.to_rfc3339())) }
            (qr_svg(&url))
            p style="font-size:14px" { "扫码查看叫号进度；过号请重新取号" }
        }
        div.actions {
            button type="button" #print-slip { "打印" }
            a href="/kiosk" #back-to-kiosk { "返回取号" }
        }
        script src="/assets/slip.js" {}
    };
    pages::hall(&format!("号票 {}", s.ticket.number), SLIP_STYLE, body).into_response()
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

fn render_calls(b: &HallBoard) -> Markup {
    html! {
        @if b.calls.is_empty() {
            p style="font-size:32px" { "请留意叫号" }
        }
        @for c in &b.calls {
            div class={ "call " (c.kind) } data-event=(c.event_id) {
                span.num { (c.number) }
                span.win { "请到 " (c.window) " 号窗口" }
            }
        }
    }
}

fn render_windows(b: &HallBoard) -> Markup {
    html! {
        @for w in &b.windows {
            div class={ "window " (w.state) } data-window=(w.number) {
                div.name { (w.name) }
                div.cur {
                    @match w.state.as_str() {
                        "paused" => "暂停服务",
                        "closed" => "未开放",
                        _ => (w.current.as_ref().map_or("—", |t| t.number.as_str())),
                    }
                }
            }
        }
    }
}

/// The slip's print button (no inline handlers: the Content-Security-Policy forbids them).
pub(crate) const SLIP_SCRIPT: &str =
    "document.getElementById('print-slip').addEventListener('click', () => window.print());\n";

/// Keeps the board live: each server-sent event carries the whole board. The tiles it draws
/// are the same as `render_calls` and `render_windows` draw, escaped the same way.
pub(crate) const DISPLAY_SCRIPT: &str = r#"
const esc = s => String(s).replace(/[&<>"']/g, c => ({'&':'&amp;','<':'&lt;','>':'&gt;','"':'&quot;',"'":'&#39;'})[c]);
function render(b) {
  const hours = document.getElementById('display-hours');
  if (hours) hours.textContent = b.hours_today ? '今日开放 ' + b.hours_today : '';
  document.getElementById('call-list').innerHTML = b.calls.length === 0
    ? '<p style="font-size:32px">请留意叫号</p>'
    : b.calls.map(c => `<div class="call ${esc(c.kind)}" data-event="${c.event_id}"><span class="num">${esc(c.number)}</span><span class="win">请到 ${c.window} 号窗口</span></div>`).join('');
  document.getElementById('window-grid').innerHTML = b.windows.map(w => {
    const cur = w.state === 'paused' ? '暂停服务' : w.state === 'closed' ? '未开放' : (w.current ? esc(w.current.number) : '—');
    return `<div class="window ${esc(w.state)}" data-window="${w.number}"><div class="name">${esc(w.name)}</div><div class="cur">${cur}</div></div>`;
  }).join('');
}
const es = new EventSource(document.querySelector('[data-events]').dataset.events);
es.onmessage = e => render(JSON.parse(e.data));
setInterval(() => { document.getElementById('clock').textContent = new Date().toLocaleTimeString('zh-CN', {hour12: false}); }, 1000);
"#;

/// The hall TV of the hub's only centre; with several, a list of their displays.
pub async fn display(State(state): State<HubState>) -> Response {
    let centres = match state.store_call(|s| s.centres()).await {
        Ok(c) => c,
        Err(e) => return e.into_response(),
    };
    match centres.as_slice() {
        [one] => centre_board_page(&state, one.clone()).await,
        many => {
            let body = html! {
                header { span { "叫号屏" } }
                main {
                    ul #display-centres style="font-size:34px" {
                        @for c in many {
                            li { a style="color:#ffd166" href={ "/display/" (c.code) } { (c.name) } }
                        }
                    }
                }
            };
            pages::hall("叫号屏", DISPLAY_STYLE, body).into_response()
        }
    }
}

/// One centre's hall TV: `/display/CODE`.
pub async fn centre_display(State(state): State<HubState>, Path(code): Path<String>) -> Response {
    let c = code.clone();
    match state.store_call(move |s| s.centre(&c)).await {
        Ok(Some(centre)) => centre_board_page(&state, centre).await,
        Ok(None) => (
            StatusCode::NOT_FOUND,
            pages::hall(
                "叫号屏",
                DISPLAY_STYLE,
                html! { main { p style="font-size:40px" { "没有这个中心。" } } },
            ),
        )
            .into_response(),
        Err(e) => e.into_response(),
    }
}

/// The hall TV: the last five calls large, a tile per window; live over server-sent events.
async fn centre_board_page(state: &HubState, centre: onewindow_domain::centre::Centre) -> Response {
    let code = centre.code.clone();
    let clock = state.clock();
    let board = match state
        .store_call(move |s| s.hall_board(&code, clock.now()))
        .await
    {
        Ok(b) => b,
        Err(_) => {
            return (
                StatusCode::SERVICE_UNAVAILABLE,
                pages::hall(
                    "叫号屏",
                    DISPLAY_STYLE,
                    html! {
                        header { "叫号屏" }
                        main { p style="font-size:40px" { "大厅尚未配置叫号，请联系管理员。" } }
                    },
                ),
            )
                .into_response();
        }
    };
    let events = format!("/display/{}/events", centre.code);
    let body = html! {
        header {
            span #display-centre { "一窗 · " (centre.name) }
            span #display-hours style="font-size:24px" {
                @if let Some(h) = &board.hours_today { "今日开放 " (h) }
            }
            span #clock {}
        }
        main data-events=(events) {
            section #calls { h2 { "最近叫号" } div #call-list { (render_calls(&board)) } }
            section #windows { h2 { "各窗口" } div #window-grid { (render_windows(&board)) } }
        }
        script src="/assets/display.js" {}
    };
    pages::hall("叫号屏", DISPLAY_STYLE, body).into_response()
}

/// Server-sent events of an enrolled desk's centre, else of the hub's only centre (with
/// several, each display has its own URL).
pub async fn display_events(State(state): State<HubState>, headers: HeaderMap) -> Response {
    match crate::server_queue::request_centre(&state, &headers).await {
        Ok(centre) => board_events(&state, &centre).into_response(),
        Err(e) => e.into_response(),
    }
}

/// Server-sent events of one centre's board: `/display/CODE/events`.
pub async fn centre_display_events(
    State(state): State<HubState>,
    Path(code): Path<String>,
) -> Response {
    let c = code.clone();
    match state.store_call(move |s| s.centre(&c)).await {
        Ok(Some(_)) => board_events(&state, &code).into_response(),
        Ok(None) => StatusCode::NOT_FOUND.into_response(),
        Err(e) => e.into_response(),
    }
}

/// The whole board now, then again each time it changes.
fn board_events(
    state: &HubState,
    centre: &str,
) -> Sse<impl futures_util::Stream<Item = Result<Event, Infallible>> + use<>> {
    // Every stream of a centre sends the same board, built once per change
    // (`HubState::board_feed`).
    let rx = state.board_feed(centre);
    // Counted open while the stream lives (`/metrics`).
    let open = state.metrics.display_stream();
    let stream =
        futures_util::stream::unfold((rx, true, open), |(mut rx, first, open)| async move {
            loop {
                if !first || rx.borrow().is_none() {
                    rx.changed().await.ok()?;
                }
                let board = rx.borrow_and_update().clone();
                if let Some(json) = board {
                    return Some((Ok(Event::default().data(&*json)), (rx, false, open)));
                }
            }
        });
    // Ends when the process shuts down, so the shutdown does not wait for the display.
    let state = state.clone();
    let stream = futures_util::StreamExt::take_until(stream, async move { state.stopping().await });
    Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}
