//! The few W3C WebDriver calls the e2e test needs, over blocking HTTP.

use std::path::Path;
use std::time::Duration;

use serde_json::{Value, json};

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

/// WebDriver key codes (W3C "keys" table).
pub struct Key;

impl Key {
    pub const ENTER: &'static str = "\u{E007}";
    pub const ESCAPE: &'static str = "\u{E00C}";
}

pub struct Session {
    http: reqwest::blocking::Client,
    base: String,
}

pub struct Element(String);

impl Session {
    /// Starts the app under test through tauri-driver.
    pub fn new(driver: &str, app: &Path, args: &[&str]) -> Session {
        Self::start(
            driver,
            json!({
                "capabilities": {
                    "alwaysMatch": {
                        "tauri:options": { "application": app, "args": args }
                    }
                }
            }),
        )
    }

    /// Headless Chromium through chromedriver (the hub's web pages).
    pub fn chromium(driver: &str, binary: &Path) -> Session {
        Self::start(
            driver,
            json!({
                "capabilities": {
                    "alwaysMatch": {
                        "browserName": "chrome",
                        "goog:chromeOptions": {
                            "binary": binary,
                            "args": ["--headless=new", "--no-sandbox", "--disable-gpu",
                                     "--disable-dev-shm-usage", "--window-size=1280,900",
                                     "--lang=zh-CN"]
                        }
                    }
                }
            }),
        )
    }

    fn start(driver: &str, caps: Value) -> Session {
        let http = reqwest::blocking::Client::builder()
            .timeout(Duration::from_secs(60))
            .build()
            .unwrap();
        // The native driver behind tauri-driver can drop the very first connection while it
        // starts; a refused or cut request is retried, an error answer is not.
        let mut attempt = 0;
        let resp: Value = loop {
            attempt += 1;
            match http.post(format!("{driver}/session")).json(&caps).send() {
                Ok(r) => break r.json().expect("session JSON"),
                Err(e) if attempt < 5 => {
                    eprintln!("new session attempt {attempt} failed: {e}; retrying");
                    std::thread::sleep(Duration::from_millis(500));
                }
                Err(e) => panic!("tauri-driver does not answer: {e}"),
            }
        };
        let id = resp["value"]["sessionId"]
            .as_str()
            .unwrap_or_else(|| panic!("no session: {resp}"))
            .to_string();
        Session {
            http,
            base: format!("{driver}/session/{id}"),
        }
    }

    fn call(&self, method: reqwest::Method, path: &str, body: Option<Value>) -> Value {
        let mut req = self.http.request(method, format!("{}{path}", self.base));
        if let Some(b) = body {
            req = req.json(&b);
        }
        let resp: Value = req
            .send()
            .expect("webdriver call")
            .json()
            .expect("webdriver JSON");
        if let Some(err) = resp["value"]["error"].as_str() {
            panic!("webdriver {path}: {err}: {}", resp["value"]["message"]);
        }
        resp["value"].clone()
    }

    pub fn goto(&self, url: &str) {
        self.call(reqwest::Method::POST, "/url", Some(json!({ "url": url })));
    }

    pub fn find(&self, css: &str) -> Element {
        let v = self.call(
            reqwest::Method::POST,
            "/element",
            Some(json!({"using": "css selector", "value": css})),
        );
        Element(
            v[ELEMENT]
                .as_str()
                .unwrap_or_else(|| panic!("no element for {css}: {v}"))
                .to_string(),
        )
    }

    pub fn send_keys(&self, el: &Element, text: &str) {
        self.call(
            reqwest::Method::POST,
            &format!("/element/{}/value", el.0),
            Some(json!({ "text": text })),
        );
    }

    pub fn click(&self, el: &Element) {
        self.call(
            reqwest::Method::POST,
            &format!("/element/{}/click", el.0),
            Some(json!({})),
        );
    }

    pub fn clear(&self, el: &Element) {
        self.call(
            reqwest::Method::POST,
            &format!("/element/{}/clear", el.0),
            Some(json!({})),
        );
    }

    /// Runs a script in the page and returns its result.
    pub fn execute(&self, script: &str) -> Value {
        self.call(
            reqwest::Method::POST,
            "/execute/sync",
            Some(json!({ "script": script, "args": [] })),
        )
    }

    /// The handles of the session's windows.
    pub fn window_handles(&self) -> Vec<String> {
        self.call(reqwest::Method::GET, "/window/handles", None)
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|h| h.as_str().map(String::from))
                    .collect()
            })
            .unwrap_or_default()
    }

    pub fn window_handle(&self) -> String {
        self.call(reqwest::Method::GET, "/window", None)
            .as_str()
            .unwrap_or_default()
            .to_string()
    }

    pub fn switch_to_window(&self, handle: &str) {
        self.call(
            reqwest::Method::POST,
            "/window",
            Some(json!({ "handle": handle })),
        );
    }

    /// Runs a script that calls its last argument (the callback) with the result.
    pub fn execute_async(&self, script: &str) -> Value {
        self.call(
            reqwest::Method::POST,
            "/execute/async",
            Some(json!({ "script": script, "args": [] })),
        )
    }

    /// The window's place: (x, y, width, height).
    pub fn window_rect(&self) -> (i64, i64, i64, i64) {
        let v = self.call(reqwest::Method::GET, "/window/rect", None);
        let n = |k: &str| v[k].as_f64().unwrap_or_else(|| panic!("no {k} in {v}")) as i64;
        (n("x"), n("y"), n("width"), n("height"))
    }

    pub fn set_window_rect(&self, x: i64, y: i64, width: i64, height: i64) {
        self.call(
            reqwest::Method::POST,
            "/window/rect",
            Some(json!({ "x": x, "y": y, "width": width, "height": height })),
        );
    }

    pub fn screenshot(&self, path: &Path) {
        let v = self.call(reqwest::Method::GET, "/screenshot", None);
        let png = decode_base64(v.as_str().expect("base64 screenshot"));
        std::fs::write(path, png).unwrap();
    }

    pub fn close(&self) {
        let _ = self.http.delete(&self.base).send();
    }
}

fn decode_base64(s: &str) -> Vec<u8> {
    fn val(c: u8) -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32)
    }
    let mut out = Vec::with_capacity(s.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0);
    for v in s.bytes().filter_map(val) {
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    out
}

#[test]
fn base64_decodes() {
    assert_eq!(decode_base64("aGVsbG8="), b"hello");
    assert_eq!(decode_base64("aGk="), b"hi");
}
