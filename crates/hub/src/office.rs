//! The back office's web pages (后台分类审批), server-rendered in Simplified Chinese: approver
//! login, the list of handed-off cases of the approver's domains with waiting time and due
//! date (overdue and nearly due stand out), the case page with every material, decisions; and
//! the applicant's progress page that the receipt's QR opens. The audit page is
//! `office_audit`.

use axum::extract::{Form, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use chrono::{DateTime, NaiveDate, Utc};
use maud::{Markup, html};
use serde::Deserialize;

use crate::auth::Approver;
use crate::pages;
use crate::server::HubState;
use crate::store_office::{OfficeCase, User};
use crate::web::ClientIp;

const COOKIE: &str = "onewindow_office";

use onewindow_domain::mask::number as mask_id;

pub(crate) fn cookie_token(headers: &HeaderMap) -> Option<String> {
    crate::web::cookie(headers, COOKIE).filter(|v| crate::secret::is_token(v))
}

pub async fn login_page() -> Html<String> {
    login_form(None)
}

fn login_form(error: Option<&str>) -> Html<String> {
    pages::office(
        "登录",
        None,
        html! {
            section {
                h2 { "审批人员登录" }
                (pages::error("login-error", error))
                form method="post" action="/office/login" {
                    (crate::pages::csrf_field())
                    p { label { "用户名 " input #name name="name" autocomplete="username" autofocus required; } }
                    p { label { "密码 " input #password name="password" type="password" autocomplete="current-password" required; } }
                    p { button type="submit" #login { "登录" } }
                }
            }
        },
    )
}

#[derive(Deserialize)]
pub struct LoginForm {
    name: String,
    password: String,
}

pub async fn login(
    State(state): State<HubState>,
    ClientIp(address): ClientIp,
    Form(f): Form<LoginForm>,
) -> Response {
    use crate::auth::SignInCheck;
    let clock = state.clock();
    if f.name.len() > 100 || f.password.len() > 200 {
        return (
            StatusCode::BAD_REQUEST,
            login_form(Some("用户名或密码过长")),
        )
            .into_response();
    }
    let name = f.name.trim().to_string();
    let from = crate::auth::SignInFrom::Address(address);
    let checked = match crate::auth::check_password(&state, &name, f.password, from).await {
        Ok(c) => c,
        Err(e) => return e.into_response(),
    };
    let (action, result) = match &checked {
        SignInCheck::Good(_) => ("login", "ok"),
        SignInCheck::Wrong(_) => ("login_failed", "wrong_password"),
        SignInCheck::Locked(_) => ("login_failed", "locked"),
        SignInCheck::Throttled(_) => ("login_failed", "throttled"),
    };
    let good = matches!(checked, SignInCheck::Good(_));
    let (n, detail, c) = (name.clone(), format!("来自 {address}"), clock.clone());
    let session = state
        .store_call(move |s| {
            let now = c.now();
            s.audit_hub(&n, action, &n, result, Some(&detail), now)?;
            if good {
                s.open_office_session(&n, now).map(Some)
            } else {
                Ok(None)
            }
        })
        .await;
    let now = clock.now();
    match (checked, session) {
        (_, Err(e)) => e.into_response(),
        (SignInCheck::Good(_), Ok(Some(token))) => {
            tracing::info!(user = %name, "office login");
            (
                [(
                    header::SET_COOKIE,
                    format!(
                        "{COOKIE}={token}; Path=/office; HttpOnly; SameSite=Strict; Max-Age={}{}",
                        crate::store_office::SESSION_HOURS * 3600,
                        state.web().cookie_flags()
                    ),
                )],
                Redirect::to("/office"),
            )
                .into_response()
        }
        (SignInCheck::Good(_), Ok(None)) => {
            crate::error::HttpError::internal("a good sign-in opened no session".into())
                .into_response()
        }
        (SignInCheck::Wrong(after), _) => {
            tracing::warn!(user = %name, failures = after.failures, "office login refused");
            (
                StatusCode::UNAUTHORIZED,
                login_form(Some(&onewindow_domain::login::wrong_password_message(
                    &after,
                ))),
            )
                .into_response()
        }
        (SignInCheck::Locked(until), _) => {
            tracing::warn!(user = %name, "office login refused: name locked for this address");
            (
                StatusCode::TOO_MANY_REQUESTS,
                [(
                    header::RETRY_AFTER,
                    crate::auth::retry_after(until, now).to_string(),
                )],
                login_form(Some(&onewindow_domain::login::locked_message(until))),
            )
                .into_response()
        }
        (SignInCheck::Throttled(until), _) => {
            tracing::warn!(%address, "office login refused: address throttled");
            (
                StatusCode::TOO_MANY_REQUESTS,
                [(
                    header::RETRY_AFTER,
                    crate::auth::retry_after(until, now).to_string(),
                )],
                login_form(Some(&onewindow_domain::login::throttled_message(until))),
            )
                .into_response()
        }
    }
}

pub async fn logout(State(state): State<HubState>, headers: HeaderMap) -> Response {
    let clock = state.clock();
    if let Some(token) = cookie_token(&headers) {
        let _ = state
            .store_call(move |s| {
                let now = clock.now();
                if let Some(u) = s.session_user(&token, now)? {
                    s.audit_hub(&u.name, "logout", &u.name, "ok", None, now)?;
                }
                s.logout(&token)
            })
            .await;
    }
    (
        [(
            header::SET_COOKIE,
            format!(
                "{COOKIE}=; Path=/office; HttpOnly; SameSite=Strict; Max-Age=0{}",
                state.web().cookie_flags()
            ),
        )],
        Redirect::to("/office/login"),
    )
        .into_response()
}

fn state_label(s: &str) -> &str {
    match s {
        "handed_off" => "待审批",
        "in_review" => "审批中",
        "approved" => "已批准",
        "refused_by_office" => "不予许可",
        "returned" => "已退回补正",
        "delivered" => "已出件",
        "refusal_requested" => "不予受理待确认",
        "refusal_sent_back" => "受理中",
        "refused" => "不予受理",
        "withdrawn" => "已撤回",
        _ => s,
    }
}

fn action_label(a: &str) -> &str {
    match a {
        "open_for_review" => "开始审查",
        "approve" => "批准",
        "refuse_by_office" => "不予许可",
        "return_for_correction" => "退回补正",
        _ => a,
    }
}

/// Overdue / due within two working days (by `soon`), for an open case.
fn urgency(c: &OfficeCase, today: NaiveDate, soon: NaiveDate) -> (&'static str, &'static str) {
    match crate::due::due(c, today, soon) {
        Some(crate::due::Due::Overdue) => ("overdue", "已超期"),
        Some(crate::due::Due::Soon) => ("due-soon", "临近到期"),
        None => ("", ""),
    }
}

fn waiting(accepted_at: &str, now: DateTime<Utc>) -> String {
    chrono::DateTime::parse_from_rfc3339(accepted_at)
        .map(|t| {
            let m = (now - t.with_timezone(&Utc)).num_minutes().max(0);
            if m < 60 {
                format!("{m} 分钟")
            } else if m < 48 * 60 {
                format!("{} 小时", m / 60)
            } else {
                format!("{} 天", m / 1440)
            }
        })
        .unwrap_or_default()
}

/// The hall's date (China time) at `now`.
fn today(now: DateTime<Utc>) -> NaiveDate {
    (now + chrono::Duration::hours(8)).date_naive()
}

pub async fn list(
    State(state): State<HubState>,
    Approver(user): Approver,
    axum::extract::Query(q): axum::extract::Query<crate::office_centre::CentreQuery>,
) -> Response {
    let u = user.clone();
    // Approvers work county-wide by domain: every centre's cases, filtered on request.
    let (mut cases, centres, labels, calendar) = match state
        .store_call(move |s| {
            let cases = s.office_cases(&u)?;
            Ok((
                cases,
                s.centres()?,
                s.domain_labels(&u.domains)?,
                s.holiday_calendar()?,
            ))
        })
        .await
    {
        Ok(c) => c,
        Err(e) => return e.into_response(),
    };
    let only = q.centre.as_deref().map(str::trim).filter(|c| !c.is_empty());
    if let Some(only) = only {
        cases.retain(|c| c.centre == only);
    }
    let now = state.now();
    let today = today(now);
    let soon = crate::due::soon(today, &calendar);
    let scope = match user.role.as_str() {
        "admin" => "全部领域".to_string(),
        _ => labels.join("、"),
    };
    let body = html! {
        h2 { "待办件（" (scope) "）" }
        (crate::office_centre::filter("/office", &centres, only))
        p { "共 " (cases.len()) " 件；红色为已超期，黄色为两个工作日内到期。" }
        table #cases {
            thead { tr {
                th { "办件编号" } th { "事项" } th { "状态" } th { "受理中心" } th { "受理窗口" } th { "已等待" } th { "承诺办结日期" }
            } }
            tbody {
                @for c in &cases {
                    @let (class, tag) = urgency(c, today, soon);
                    tr class={ "case-row " (class) } data-number=(c.number) {
                        td {
                            a href={ "/office/cases/" (c.number) } { (c.number) }
                            @if let Some(b) = &c.bundle_number { br; small { "一件事 " (b) } }
                        }
                        td { (c.item_name) br; small { (c.domain_name) } }
                        td { (state_label(&c.state)) }
                        td.centre data-centre=(c.centre) { (c.centre_name) }
                        td { (c.desk_name) }
                        td { (waiting(&c.accepted_at, now)) }
                        td { (c.promised_date.as_deref().unwrap_or("—")) " " span.tag { (tag) } }
                    }
                }
            }
        }
    };
    pages::office("待办件", Some(&user), body).into_response()
}

pub async fn detail(
    State(state): State<HubState>,
    Approver(user): Approver,
    Path(number): Path<String>,
) -> Response {
    let clock = state.clock();
    let (u, n) = (user.clone(), number.clone());
    let found = match state
        .store_call(move |s| {
            let found = s.office_case(&u, &n)?;
            if found.is_some() {
                // The case is shown only once its view is in the audit log.
                s.audit_hub(&u.name, "view", &n, "ok", None, clock.now())?;
            }
            Ok(found)
        })
        .await
    {
        Ok(f) => f,
        Err(e) => return e.into_response(),
    };
    let Some(d) = found else {
        return (
            StatusCode::NOT_FOUND,
            pages::office(
                "未找到",
                Some(&user),
                html! { p.err { "没有这个办件，或不在您负责的领域。" } },
            ),
        )
            .into_response();
    };
    let p = &d.payload;
    let a = &p["applicant"];
    let text = |v: &serde_json::Value| v.as_str().unwrap_or("").to_string();
    let form: Vec<(&str, String)> = p["form"]
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| {
                    let v = v.as_str().unwrap_or("");
                    let shown = if v.len() == 18 && v.chars().take(17).all(|c| c.is_ascii_digit()) {
                        mask_id(v)
                    } else {
                        v.to_string()
                    };
                    let label = d.field_labels.get(k).map_or(k.as_str(), String::as_str);
                    (label, shown)
                })
                .collect()
        })
        .unwrap_or_default();
    let findings = p["findings"].as_array().cloned().unwrap_or_default();
    let open = d.case.state == "handed_off" || d.case.state == "in_review";
    let body = html! {
        h2 #case-number { (d.case.number) " · " (d.case.item_name) }
        p {
            "状态：" b #case-state { (state_label(&d.case.state)) }
            "　受理窗口：" (d.case.desk_name)
            "　承诺办结：" (d.case.promised_date.as_deref().unwrap_or("—"))
        }
        section {
            h3 { "申请人" }
            p #applicant {
                (text(&a["name"])) " " (mask_id(&text(&a["number"])))
                "（" (if a["kind"] == "organisation" { "单位" } else { "个人" }) "）"
            }
        }
        section {
            h3 { "申请表" }
            table { @for (label, shown) in &form { tr { th { (label) } td { (shown) } } } }
        }
        section {
            h3 { "窗口预审意见" }
            @if findings.is_empty() {
                p { "窗口预审未发现问题。" }
            } @else {
                ul {
                    @for f in &findings {
                        li {
                            (text(&f["message"]))
                            @if let Some(r) = f["overridden"].as_str() { "（窗口说明：" (r) "）" }
                        }
                    }
                }
            }
        }
        section {
            h3 { "申请材料" }
            ul.files {
                @for (sha, name, kind, size, pages, material) in &d.files {
                    @let label = html! {
                        (material.as_deref().unwrap_or("未分类")) "：" (name)
                        "（" (size / 1000) " KB"
                        @if let Some(p) = pages { "，" (p) " 页" }
                        "）"
                    };
                    li {
                        @if kind == "pdf" {
                            a href={ "/office/blobs/" (sha) } target="_blank" { (label) }
                        } @else {
                            (label) br; img src={ "/office/blobs/" (sha) } alt=(name);
                        }
                    }
                }
            }
        }
        @if open { (decide_form(&d.case.number)) }
        section {
            h3 { "办理记录" }
            ul {
                @for r in &d.results {
                    li {
                        (r.at) " " (r.by) " " (action_label(&r.action))
                        @if let Some(n) = &r.note { "：" (n) }
                        @if let Some(f) = &r.file {
                            "　结果文件："
                            a.result-file href={ "/office/blobs/" (f.sha256) } target="_blank" { (f.name) }
                            "（" (f.size.div_ceil(1000)) " KB）"
                        }
                    }
                }
            }
        }
    };
    pages::office(&d.case.number, Some(&user), body).into_response()
}

/// The approver's decision: a note, an optional result file, and the three decisions.
fn decide_form(number: &str) -> Markup {
    html! {
        section.decide {
            h3 { "审批决定" }
            form method="post" action={ "/office/cases/" (number) "/decide" } enctype="multipart/form-data" {
                (crate::pages::csrf_field())
                p { label { "意见（不予许可、退回补正时必填，申请人可见）" textarea name="note" #note {} } }
                p {
                    label {
                        "结果文件（可选，仅批准时附带；PDF，最大 20 MB，窗口出件时打印）"
                        input type="file" name="result_file" #result-file accept="application/pdf,.pdf";
                    }
                }
                p {
                    button name="action" value="approve" #approve { "批准" } " "
                    button name="action" value="return_for_correction" #return { "退回补正" } " "
                    button name="action" value="refuse_by_office" #refuse { "不予许可" }
                }
            }
        }
    }
}

#[derive(Deserialize)]
pub struct DecideForm {
    action: String,
    #[serde(default)]
    note: String,
}

/// A decision as the approver's form sent it: multipart (with an optional result file) from
/// the case page, or urlencoded without a file.
struct Decision {
    action: String,
    note: String,
    /// The file's name and bytes; an empty file input sends neither.
    file: Option<(String, Vec<u8>)>,
}

async fn read_decision(req: axum::extract::Request) -> Result<Decision, &'static str> {
    use axum::extract::FromRequest;
    let multipart = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"));
    if !multipart {
        let Form(f) = Form::<DecideForm>::from_request(req, &())
            .await
            .map_err(|_| "表单无法读取，请刷新页面后重试。")?;
        return Ok(Decision {
            action: f.action,
            note: f.note,
            file: None,
        });
    }
    let mut m = axum::extract::Multipart::from_request(req, &())
        .await
        .map_err(|_| "表单无法读取，请刷新页面后重试。")?;
    let mut d = Decision {
        action: String::new(),
        note: String::new(),
        file: None,
    };
    let too_big = "结果文件过大：最大 20 MB。";
    while let Some(field) = m.next_field().await.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            too_big
        } else {
            "上传中断，请重试。"
        }
    })? {
        match field.name() {
            Some("action") => d.action = field.text().await.map_err(|_| "表单无法读取。")?,
            Some("note") => d.note = field.text().await.map_err(|_| "表单无法读取。")?,
            Some("result_file") => {
                let name = field.file_name().unwrap_or("").to_string();
                let bytes = field.bytes().await.map_err(|e| {
                    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                        too_big
                    } else {
                        "上传中断，请重试。"
                    }
                })?;
                if !bytes.is_empty() || !name.is_empty() {
                    d.file = Some((name, bytes.to_vec()));
                }
            }
            _ => {}
        }
    }
    Ok(d)
}

/// A result file's name as shown and printed: its last path part, without control
/// characters, at most 100 characters; `结果文件.pdf` when nothing is left.
fn clean_file_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or("");
    let clean: String = base.chars().filter(|c| !c.is_control()).take(100).collect();
    let clean = clean.trim().to_string();
    if clean.is_empty() || clean == "." || clean == ".." {
        "结果文件.pdf".into()
    } else {
        clean
    }
}

pub async fn decide(
    State(state): State<HubState>,
    Approver(user): Approver,
    Path(number): Path<String>,
    req: axum::extract::Request,
) -> Response {
    let clock = state.clock();
    let refuse = |user: &User, title: &str, msg: &str| {
        (
            StatusCode::BAD_REQUEST,
            pages::office(
                title,
                Some(user),
                html! {
                    p.err #decide-error { (msg) }
                    p { a href={ "/office/cases/" (number) } { "返回办件" } }
                },
            ),
        )
            .into_response()
    };
    // Whose case it is comes first: nothing of a refused decision, its file least of all,
    // reaches the disk.
    let (u, n) = (user.clone(), number.clone());
    match state
        .store_call(move |s| Ok(s.office_case(&u, &n)?.is_some()))
        .await
    {
        Ok(true) => {}
        Ok(false) => {
            tracing::warn!(case = %number, user = %user.name, "decision refused: not in the approver's domains");
            return (
                StatusCode::NOT_FOUND,
                pages::office(
                    "无法决定",
                    Some(&user),
                    html! { p.err #decide-error { "没有这个办件，或它不属于您负责的业务领域。" } },
                ),
            )
                .into_response();
        }
        Err(e) => return e.into_response(),
    }
    let f = match read_decision(req).await {
        Ok(f) => f,
        Err(msg) => return refuse(&user, "无法决定", msg),
    };
    if f.note.chars().count() > 1000 {
        return refuse(&user, "意见过长", "意见最多 1000 字。");
    }
    // A result file: a PDF, kept like the scans (content-addressed, hash-checked).
    let file = match f.file {
        None => None,
        Some((name, bytes)) => {
            if f.action != "approve" {
                return refuse(
                    &user,
                    "无法决定",
                    "只有批准可以附结果文件；退回或不予许可请只写意见。",
                );
            }
            if bytes.is_empty() {
                return refuse(&user, "无法决定", "结果文件是空的，请重新选择。");
            }
            if bytes.len() > onewindow_proto::MAX_RESULT_FILE {
                return refuse(&user, "无法决定", "结果文件过大：最大 20 MB。");
            }
            if !bytes.starts_with(b"%PDF-") {
                return refuse(
                    &user,
                    "无法决定",
                    "结果文件须为 PDF（证照或决定书的电子版）。",
                );
            }
            use sha2::Digest;
            let sha = format!("{:x}", sha2::Sha256::digest(&bytes));
            let size = bytes.len() as u64;
            let (dir, s2) = (state.blob_dir().clone(), sha.clone());
            let written = tokio::task::spawn_blocking(move || {
                crate::store_blob::write_blob_chunk(&dir, "hub", &s2, 0, size, &bytes)
            })
            .await;
            if !matches!(written, Ok(Ok(_))) {
                tracing::error!(case = %number, "result file cannot be stored");
                return refuse(
                    &user,
                    "无法决定",
                    "结果文件保存失败（中心磁盘），决定未作出，请重试。",
                );
            }
            Some(onewindow_proto::ResultFile {
                sha256: sha,
                name: clean_file_name(&name),
                size,
            })
        }
    };
    let (u, n) = (user.clone(), number.clone());
    let action = f.action.clone();
    let result = state
        .store_call(move |s| {
            let note = Some(f.note.as_str()).filter(|n| !n.trim().is_empty());
            // Opening a case for review first is implied by deciding it.
            let _ = s.decide(&u, &n, "open_for_review", None, None, clock.now());
            let next = s.decide(&u, &n, &action, note, file.as_ref(), clock.now())?;
            s.audit_hub(
                &u.name,
                "decide",
                &n,
                "ok",
                Some(&format!("{action} → {next}")),
                clock.now(),
            )?;
            Ok(next)
        })
        .await;
    match result {
        Ok(next) => {
            tracing::info!(case = %number, user = %user.name, state = %next, "office decision");
            Redirect::to(&format!("/office/cases/{number}")).into_response()
        }
        Err(e) => {
            let msg = match e.body.code {
                onewindow_proto::ApiErrorCode::BadRequest => {
                    "无法作出该决定：不予许可和退回补正须写明意见，已决定的办件不能再次决定。"
                }
                _ => "保存决定失败，请重试。",
            };
            refuse(&user, "无法决定", msg)
        }
    }
}

pub async fn blob(
    State(state): State<HubState>,
    Approver(user): Approver,
    Path(sha): Path<String>,
) -> Response {
    let clock = state.clock();
    if !onewindow_proto::is_sha256(&sha) {
        return StatusCode::BAD_REQUEST.into_response();
    }
    let s2 = sha.clone();
    match state
        .store_call(move |s| {
            let may = s.office_may_see_blob(&user, &s2)?;
            if may {
                s.audit_hub(
                    &user.name,
                    "view",
                    &format!("blob:{}", &s2[..16]),
                    "ok",
                    None,
                    clock.now(),
                )?;
            }
            Ok(may)
        })
        .await
    {
        Ok(true) => {}
        Ok(false) => return StatusCode::NOT_FOUND.into_response(),
        Err(e) => return e.into_response(),
    }
    let blobs = state.blob_dir().clone();
    match tokio::task::spawn_blocking(move || blobs.read(&sha)).await {
        Ok(Ok(bytes)) => {
            let kind = if bytes.starts_with(b"%PDF") {
                "application/pdf"
            } else if bytes.starts_with(b"\x89PNG") {
                "image/png"
            } else {
                "image/jpeg"
            };
            ([(header::CONTENT_TYPE, kind)], bytes).into_response()
        }
        _ => StatusCode::NOT_FOUND.into_response(),
    }
}

#[derive(Deserialize)]
pub struct ProgressQuery {
    #[serde(default)]
    case: String,
    #[serde(default)]
    code: String,
}

/// The applicant's progress page: the case number and the receipt's query code.
pub async fn progress(
    State(state): State<HubState>,
    ClientIp(address): ClientIp,
    Query(q): Query<ProgressQuery>,
) -> Response {
    let form = |error: Option<&str>| {
        html! {
            section {
                h2 { "办件进度查询" }
                (pages::error("progress-error", error))
                form method="get" action="/progress" {
                    p { label { "办件编号 " input name="case" #case value=(q.case); } }
                    p { label { "查询码（受理回执上）" input name="code" #code value=""; } }
                    p { button type="submit" { "查询" } }
                }
            }
        }
    };
    if q.case.is_empty() || q.code.is_empty() || q.case.len() > 40 || q.code.len() > 20 {
        return pages::office("办件进度", None, form(None)).into_response();
    }
    // Every lookup counts for the address, and a wrong code for the case: guessing a code
    // meets a wait that doubles, whoever guesses.
    use crate::store_guard::{PROGRESS_ADDRESS, PROGRESS_CASE};
    let (n, c, a, clock) = (
        q.case.clone(),
        q.code.clone(),
        address.to_string(),
        state.clock(),
    );
    let looked = state
        .store_call(move |s| {
            let now = clock.now();
            let blocked = match s.throttled(&PROGRESS_ADDRESS, &a, now)? {
                Some(u) => Some(u),
                None => s.throttled(&PROGRESS_CASE, &n, now)?,
            };
            if let Some(until) = blocked {
                return Ok(Err(until));
            }
            s.throttle_count(&PROGRESS_ADDRESS, &a, now)?;
            let found = s.progress(&n, &c)?;
            if found.is_none() {
                s.throttle_count(&PROGRESS_CASE, &n, now)?;
            }
            Ok(Ok(found))
        })
        .await;
    let looked = match looked {
        Ok(Err(until)) => {
            tracing::warn!(%address, "progress lookups throttled");
            let wait = crate::auth::retry_after(until, state.now());
            return (
                StatusCode::TOO_MANY_REQUESTS,
                [(header::RETRY_AFTER, wait.to_string())],
                pages::office(
                    "办件进度",
                    None,
                    form(Some(&onewindow_domain::login::throttled_message(until))),
                ),
            )
                .into_response();
        }
        Ok(Ok(found)) => Ok(found),
        Err(e) => Err(e),
    };
    match looked {
        Ok(Some((st, item, due, who))) => pages::office(
            "办件进度",
            None,
            html! {
                section #progress {
                    h2 { (q.case) }
                    p { "事项：" (item) }
                    p { "申请人：" (who) }
                    p { "当前状态：" b #progress-state { (state_label(&st)) } }
                    p { "承诺办结日期：" (due.as_deref().unwrap_or("—")) }
                }
            },
        )
        .into_response(),
        Ok(None) => (
            StatusCode::NOT_FOUND,
            pages::office(
                "办件进度",
                None,
                form(Some("办件编号或查询码不正确，或办件尚未流转到中心。")),
            ),
        )
            .into_response(),
        Err(e) => e.into_response(),
    }
}
