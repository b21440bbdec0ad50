//! Browsers for the hub's pages in tests: cookies kept, the CSRF token each form repeats, and
//! kiosks registered through `kiosk add` and its one-time link.

use std::path::Path;

use crate::hub_cli;

/// The CSRF token a browser repeats in the hub's forms: a client with a cookie store gets the
/// cookie from the login page (the first time) and the same token from its hidden field.
pub async fn csrf(client: &reqwest::Client, base: &str) -> String {
    let page = client
        .get(format!("{base}/office/login"))
        .send()
        .await
        .expect("the hub answers")
        .text()
        .await
        .expect("a page");
    csrf_of(&page)
}

/// [`csrf`] for a blocking client.
pub fn csrf_blocking(client: &reqwest::blocking::Client, base: &str) -> String {
    let page = client
        .get(format!("{base}/office/login"))
        .send()
        .and_then(|r| r.text())
        .expect("the hub answers with a page");
    csrf_of(&page)
}

/// The CSRF field's value in a page.
pub fn csrf_of(page: &str) -> String {
    page.split("name=\"csrf\" value=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap_or_else(|| panic!("no CSRF field in the page: {page}"))
        .to_string()
}

/// A browser for the hub's pages (cookies kept, redirects not followed) and its CSRF token.
pub async fn browser(base: &str) -> (reqwest::Client, String) {
    let web = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("a client");
    let t = csrf(&web, base).await;
    (web, t)
}

/// The one-time link `kiosk add` prints for a new kiosk of the hub at `data` reached at `base`.
pub fn kiosk_link(data: &Path, base: &str) -> String {
    kiosk_link_at(data, base, None)
}

/// [`kiosk_link`] for a kiosk of `centre` (`kiosk add --centre`).
pub fn kiosk_link_at(data: &Path, base: &str, centre: Option<&str>) -> String {
    static N: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let name = format!(
        "取号机 {}-{}",
        std::process::id(),
        N.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    );
    let mut args = vec![
        "kiosk",
        "add",
        "--data",
        data.to_str().unwrap(),
        "--name",
        &name,
        "--hub-url",
        base,
    ];
    if let Some(c) = centre {
        args.extend(["--centre", c]);
    }
    let out = hub_cli(&args);
    out.lines()
        .find(|l| l.contains("/kiosk/pair/"))
        .unwrap_or_else(|| panic!("no pairing link in: {out}"))
        .trim()
        .to_string()
}

/// A kiosk's browser: registered with `kiosk add`, its one-time link opened (the credential
/// cookie kept), and its CSRF token.
pub async fn kiosk_browser(data: &Path, base: &str) -> (reqwest::Client, String) {
    kiosk_browser_at(data, base, None).await
}

/// [`kiosk_browser`] for a kiosk of `centre`.
pub async fn kiosk_browser_at(
    data: &Path,
    base: &str,
    centre: Option<&str>,
) -> (reqwest::Client, String) {
    let (web, t) = browser(base).await;
    let r = web
        .get(kiosk_link_at(data, base, centre))
        .send()
        .await
        .expect("the hub answers");
    assert_eq!(r.status(), 303, "the kiosk's link pairs it");
    (web, t)
}

/// POSTs a hub form as a kiosk's browser would (blocking): a kiosk registered for the
/// occasion, its CSRF cookie and token, then `fields` with the token to `path`.
pub fn kiosk_post_blocking(
    data: &Path,
    base: &str,
    path: &str,
    fields: &[(&str, &str)],
) -> reqwest::blocking::Response {
    kiosk_post_blocking_at(data, base, None, path, fields)
}

/// [`kiosk_post_blocking`] from a kiosk of `centre`.
pub fn kiosk_post_blocking_at(
    data: &Path,
    base: &str,
    centre: Option<&str>,
    path: &str,
    fields: &[(&str, &str)],
) -> reqwest::blocking::Response {
    let web = reqwest::blocking::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("a client");
    let t = csrf_blocking(&web, base);
    let r = web
        .get(kiosk_link_at(data, base, centre))
        .send()
        .expect("the hub answers");
    assert_eq!(r.status(), 303, "the kiosk's link pairs it");
    let mut form: Vec<(&str, &str)> = fields.to_vec();
    form.push(("csrf", &t));
    web.post(format!("{base}{path}"))
        .form(&form)
        .send()
        .expect("the hub answers")
}

/// A back-office browser signed in as `name`, and its CSRF token.
pub async fn office_browser(base: &str, name: &str, password: &str) -> (reqwest::Client, String) {
    let (web, t) = browser(base).await;
    let r = web
        .post(format!("{base}/office/login"))
        .form(&[("name", name), ("password", password), ("csrf", &t)])
        .send()
        .await
        .expect("the hub answers");
    assert_eq!(r.status(), 303, "{name} signs in");
    (web, t)
}

/// The signed-in approver returns case `number` for correction (the usual reason); the
/// hub's status (303 once recorded).
pub async fn office_return(web: &reqwest::Client, base: &str, number: &str, csrf: &str) -> u16 {
    web.post(format!("{base}/office/cases/{number}/decide"))
        .form(&[
            ("action", "return_for_correction"),
            ("note", "申领登记表照片不清晰，请重新扫描"),
            ("csrf", csrf),
        ])
        .send()
        .await
        .expect("the hub answers")
        .status()
        .as_u16()
}

/// A page as a browser gets it: its status and its text.
pub async fn get_page(web: &reqwest::Client, url: String) -> (u16, String) {
    let r = web.get(url).send().await.expect("the hub answers");
    (r.status().as_u16(), r.text().await.expect("a page"))
}
