//! The frames every server-rendered page sits in. Pages are `maud` templates: every value
//! spliced into one is escaped by the compiler-generated code, so no handler escapes by hand
//! and none builds HTML with `format!` (tidy checks both).

use axum::response::Html;
use maud::{DOCTYPE, Markup, PreEscaped, html};

use crate::store_office::User;

const OFFICE_STYLE: &str = r#"
body{font-family:"Noto Sans CJK SC","Microsoft YaHei",sans-serif;margin:0;color:#222;background:#f6f6f4}
header{background:#a01c25;color:#fff;padding:10px 18px;display:flex;justify-content:space-between;align-items:center}
header a{color:#fff;text-decoration:none;font-weight:600} main{padding:16px 18px;max-width:1200px}
table{border-collapse:collapse;width:100%;background:#fff} th,td{border:1px solid #ddd;padding:6px 8px;text-align:left}
th{background:#f0eeea} tr.overdue td{background:#fde2e2} tr.due-soon td{background:#fff4d6}
.tag{display:inline-block;padding:1px 6px;border-radius:3px;font-size:12px} .overdue .tag{background:#c62828;color:#fff}
.due-soon .tag{background:#f0a500;color:#fff} .files img{max-width:240px;border:1px solid #ccc;margin:4px}
section{background:#fff;border:1px solid #ddd;padding:10px 14px;margin-bottom:12px} .err{color:#b00020}
textarea{width:100%;min-height:60px} .who button{margin-left:8px} .decide button{margin-right:8px;padding:6px 14px}
"#;

/// A back-office page (后台): the red bar with the signed-in user and 退出, then `body`.
pub fn office(title: &str, user: Option<&User>, body: Markup) -> Html<String> {
    document(
        &format!("{title} · 一窗后台"),
        &[OFFICE_STYLE],
        html! {
            header {
                a href="/office" { "一窗 · 中心后台" }
                @if let Some(u) = user {
                    form method="post" action="/office/logout" class="who" {
                        (csrf_field())
                        (u.name) " " button type="submit" { "退出" }
                    }
                }
            }
            main { (body) }
        },
    )
}

/// Every page: UTF-8, the title, constant styles, then `body`.
fn document(title: &str, styles: &[&str], body: Markup) -> Html<String> {
    let page = html! {
        (DOCTYPE)
        html lang="zh-CN" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width";
                title { (title) }
                style { @for s in styles { (PreEscaped(*s)) } }
            }
            body { (body) }
        }
    };
    Html(page.into_string())
}

const HALL_STYLE: &str = r#"body{font-family:"Noto Sans CJK SC","Microsoft YaHei",sans-serif;margin:0}
.err{color:#b00020;font-size:22px}
"#;

/// A page of the hall itself (取号机, 号票, 叫号屏): no back-office frame, the page's own style.
pub fn hall(title: &str, style: &'static str, body: Markup) -> Html<String> {
    document(title, &[HALL_STYLE, style], body)
}

/// The pages' scripts, served as files: the Content-Security-Policy allows no inline script.
pub async fn asset(
    axum::extract::Path(name): axum::extract::Path<String>,
) -> axum::response::Response {
    use axum::http::{StatusCode, header};
    use axum::response::IntoResponse;
    let body = match name.as_str() {
        "display.js" => crate::hall::DISPLAY_SCRIPT,
        "hall-refresh.js" => crate::tidal::REFRESH_SCRIPT,
        "slip.js" => crate::hall::SLIP_SCRIPT,
        _ => return StatusCode::NOT_FOUND.into_response(),
    };
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
        .into_response()
}

/// The hidden CSRF field every POST form carries (checked by `web::guard`).
pub fn csrf_field() -> Markup {
    html! { input type="hidden" name=(crate::web::CSRF_FIELD) value=(crate::web::csrf_token()); }
}

/// An error paragraph with its id, for pages that show what went wrong above the form.
pub fn error(id: &str, message: Option<&str>) -> Markup {
    html! {
        @if let Some(m) = message {
            p.err id=(id) { (m) }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spliced_text_is_escaped_and_the_page_declares_utf8() {
        let user = User {
            name: "<script>alert(1)</script>".into(),
            role: "approver".into(),
            domains: vec![],
            centre: "MAIN".into(),
            county_wide: true,
        };
        let Html(page) = office("a & b", Some(&user), html! { p { ("\"x\" <y>") } });
        assert!(page.starts_with("<!DOCTYPE html>"), "{page}");
        assert!(page.contains(r#"<meta charset="utf-8">"#));
        assert!(
            page.contains("<title>a &amp; b · 一窗后台</title>"),
            "{page}"
        );
        assert!(
            page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
            "{page}"
        );
        assert!(!page.contains("<script>"), "{page}");
        assert!(page.contains("<p>&quot;x&quot; &lt;y&gt;</p>"), "{page}");
    }
}
