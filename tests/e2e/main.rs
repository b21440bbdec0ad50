//! End-to-end: the real desk window under Xvfb, driven over WebDriver (tauri-driver +
//! WebKitWebDriver), against a real hub process. Screenshots go to target/e2e/.
//!
//! Needs the built app (`target/debug/onewindow-desk`, UI embedded), `Xvfb`, `tauri-driver`
//! and `WebKitWebDriver`; `make e2e` provides them all.

mod centres;
mod delivery;
mod desk;
mod hub_pages;
mod instance;
mod packages;
mod provision;
mod refusal;
mod webdriver;

use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use onewindow_proto::OpKind;
use onewindow_tests::{
    HubProcess, TEST_NOW, demo_hub_data, demo_hub_data_with_elicences, pdf_text, profile_dir, root,
    scan_fixture, write_slowly,
};
use webdriver::{Key, Session};

/// Kills a helper process and its children (tauri-driver's WebKitWebDriver) when the test
/// ends, however it ends. Each helper runs in its own process group.
struct Guard(Child);

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-s", "KILL", "--", &format!("-{}", self.0.id())])
            .status();
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn wait_until(what: &str, timeout: Duration, mut f: impl FnMut() -> bool) {
    let start = Instant::now();
    while start.elapsed() < timeout {
        if f() {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("timed out after {timeout:?} waiting for {what}");
}

/// Xvfb, stopped with SIGTERM so it removes its lock and socket (SIGKILL as a last resort).
struct Xvfb(Child);

impl Drop for Xvfb {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-s", "TERM", &self.0.id().to_string()])
            .status();
        for _ in 0..40 {
            if matches!(self.0.try_wait(), Ok(Some(_))) {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn start_xvfb() -> (Xvfb, String) {
    for n in 90..140 {
        let (lock, socket) = (format!("/tmp/.X{n}-lock"), format!("/tmp/.X11-unix/X{n}"));
        // A server killed without its shutdown leaves its lock and socket behind: a lock whose
        // process is gone is stale and the display free again.
        let holder = std::fs::read_to_string(&lock)
            .ok()
            .and_then(|p| p.trim().parse::<u32>().ok());
        if let Some(pid) = holder
            && !Path::new(&format!("/proc/{pid}")).exists()
        {
            let _ = std::fs::remove_file(&lock);
            let _ = std::fs::remove_file(&socket);
        }
        if Path::new(&socket).exists() || Path::new(&lock).exists() {
            continue;
        }
        let display = format!(":{n}");
        let child = Command::new("Xvfb")
            .args([&display, "-screen", "0", "1280x800x24", "-nolisten", "tcp"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .expect("Xvfb is installed (make e2e installs it)");
        let guard = Xvfb(child);
        wait_until("Xvfb socket", Duration::from_secs(10), || {
            Path::new(&socket).exists()
        });
        return (guard, display);
    }
    panic!("no free X display between :90 and :139");
}

fn start_driver(display: &str) -> (Guard, String) {
    // The desk keeps its cache key in the OS keyring: every app runs with a real Secret
    // Service (gnome-keyring in its own D-Bus session).
    start_driver_in(display, true)
}

fn start_driver_in(display: &str, keyring: bool) -> (Guard, String) {
    start_driver_env(display, keyring, &[])
}

/// tauri-driver with extra environment for the app it starts.
fn start_driver_env(display: &str, keyring: bool, env: &[(&str, &str)]) -> (Guard, String) {
    let port = free_port();
    let native = free_port();
    let driver = std::env::var_os("TAURI_DRIVER")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            let cargo_bin = Path::new(&std::env::var("HOME").unwrap_or_default())
                .join(".cargo/bin/tauri-driver");
            if cargo_bin.exists() {
                cargo_bin
            } else {
                PathBuf::from("tauri-driver")
            }
        });
    let mut cmd = if keyring {
        let mut c = Command::new("dbus-run-session");
        c.args([
            "--",
            "sh",
            "-c",
            &format!(
                "export XDG_DATA_HOME=\"$(mktemp -d)\"; \
                 echo -n e2e-keyring | gnome-keyring-daemon --unlock --components=secrets >/dev/null 2>&1; \
                 exec '{}' --port {port} --native-port {native}",
                driver.display()
            ),
        ]);
        c
    } else {
        let mut c = Command::new(&driver);
        c.args([
            "--port",
            &port.to_string(),
            "--native-port",
            &native.to_string(),
        ]);
        c
    };
    // No sound card under Xvfb: the desk announces calls into WAV files instead.
    let announced = shots_dir().join("announced");
    let _ = std::fs::remove_dir_all(&announced);
    std::fs::create_dir_all(&announced).unwrap();
    let child = cmd
        .env("DISPLAY", display)
        .env("WEBKIT_DISABLE_COMPOSITING_MODE", "1")
        .env("ONEWINDOW_ANNOUNCE_WAV", &announced)
        .envs(env.iter().copied())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .process_group(0)
        .spawn()
        .expect("tauri-driver is installed (make e2e installs it)");
    let guard = Guard(child);
    let base = format!("http://127.0.0.1:{port}");
    // tauri-driver listens before WebKitWebDriver behind it does: wait for a ready /status.
    let http = reqwest::blocking::Client::new();
    wait_until(
        "tauri-driver and WebKitWebDriver to be ready",
        Duration::from_secs(30),
        || {
            http.get(format!("{base}/status"))
                .send()
                .ok()
                .and_then(|r| r.json::<serde_json::Value>().ok())
                .is_some_and(|v| v["value"]["ready"] == serde_json::Value::Bool(true))
        },
    );
    (guard, base)
}

/// F10 in the real window: enrols the desk with the administrator's `code` (the device token and
/// the audit signing key go to the real Secret Service), then signs `name` in through the hub.
fn enrol_and_sign_in(s: &Session, code: &str, name: &str, password: &str) {
    wait_until("online and unenrolled", Duration::from_secs(30), || {
        text_of(s, "#connectivity") == "在线"
            && attr(s, "#push-status", "data-state") == "unenrolled"
    });
    s.send_keys(&s.find("body"), "\u{E03A}");
    wait_until("the enrolment panel", Duration::from_secs(5), || {
        count(s, "#enrol-panel") == 1
    });
    type_into(s, "#enrol-code", code);
    click(s, "#enrol-submit");
    wait_until("enrolled", Duration::from_secs(15), || {
        attr(s, "#push-status", "data-state") != "unenrolled"
    });
    let _ = s
        .execute("const b = document.getElementById('enrol-close'); if (b) b.click(); return true");
    wait_until("the sign-in screen", Duration::from_secs(10), || {
        count(s, "#enrol-panel") == 0
            && count(s, "#lock-screen") == 1
            && text_of(s, "#lock-title") == "请登录"
    });
    type_into(s, "#lock-name", name);
    type_into(s, "#lock-password", password);
    s.send_keys(&s.find("#lock-password"), "\u{E007}");
    wait_until("signed in", Duration::from_secs(15), || {
        count(s, "#lock-screen") == 0
    });
}

fn shots_dir() -> PathBuf {
    let d = root().join("target/e2e");
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// The hit names in the results list, top to bottom.
fn hit_names(s: &Session) -> Vec<String> {
    s.execute(
        "return [...document.querySelectorAll('.result-item .name')].map(e => e.textContent.trim())",
    )
    .as_array()
    .map(|a| {
        a.iter()
            .map(|v| v.as_str().unwrap_or_default().to_string())
            .collect()
    })
    .unwrap_or_default()
}

fn text_of(s: &Session, css: &str) -> String {
    s.execute(&format!(
        "const e = document.querySelector({css:?}); return e ? e.textContent.trim() : ''"
    ))
    .as_str()
    .unwrap_or_default()
    .to_string()
}

fn search(s: &Session, text: &str) {
    let input = s.find("#search-input");
    s.clear(&input);
    s.send_keys(&input, text);
}

fn wait_for_hits(s: &Session, what: &str, pred: impl Fn(&[String]) -> bool) -> Vec<String> {
    let mut last = Vec::new();
    let start = Instant::now();
    while start.elapsed() < Duration::from_secs(10) {
        last = hit_names(s);
        if pred(&last) {
            return last;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("timed out waiting for {what}; results were {last:?}");
}

/// The desk's log files, concatenated.
fn desk_log(data: &Path) -> String {
    let mut files: Vec<PathBuf> = std::fs::read_dir(data.join("logs"))
        .map(|d| d.filter_map(|e| e.ok()).map(|e| e.path()).collect())
        .unwrap_or_default();
    files.sort();
    files
        .iter()
        .filter_map(|p| std::fs::read_to_string(p).ok())
        .collect()
}

fn desk_app() -> PathBuf {
    let app = std::env::var_os("ONEWINDOW_DESK_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| profile_dir().join("onewindow-desk"));
    assert!(
        app.exists(),
        "{} is missing: `make e2e` builds it (UI embedded)",
        app.display()
    );
    app
}

fn attr(s: &Session, css: &str, name: &str) -> String {
    s.execute(&format!(
        "const e = document.querySelector({css:?}); return e ? (e.getAttribute({name:?}) || '') : ''"
    ))
    .as_str()
    .unwrap_or_default()
    .to_string()
}

fn count(s: &Session, css: &str) -> u64 {
    s.execute(&format!("return document.querySelectorAll({css:?}).length"))
        .as_u64()
        .unwrap_or(0)
}

fn click(s: &Session, css: &str) {
    let el = s.find(css);
    s.click(&el);
}

fn type_into(s: &Session, css: &str, text: &str) {
    let el = s.find(css);
    s.clear(&el);
    s.send_keys(&el, text);
}

/// Chooses an option of a `<select>` as the keyboard would, firing its change event.
fn choose(s: &Session, css: &str, value: &str) {
    let done = s.execute(&format!(
        "const e = document.querySelector({css:?}); if (!e) return false; e.focus(); e.value = {value:?}; \
         e.dispatchEvent(new Event('input', {{bubbles: true}})); \
         e.dispatchEvent(new Event('change', {{bubbles: true}})); return e.value === {value:?}"
    ));
    assert_eq!(
        done,
        serde_json::Value::Bool(true),
        "cannot choose {value} in {css}"
    );
}

fn printed(dir: &Path, kind: &str) -> Option<PathBuf> {
    std::fs::read_dir(dir).ok()?.find_map(|e| {
        let p = e.ok()?.path();
        p.file_name()?
            .to_string_lossy()
            .starts_with(kind)
            .then_some(p)
    })
}

/// Starts chromedriver and a headless Chromium session on it.
fn chromium() -> (Guard, Session) {
    let port = free_port();
    let driver = Guard(
        Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .expect("chromedriver (Debian chromium-driver; make e2e installs it)"),
    );
    let base = format!("http://127.0.0.1:{port}");
    let http = reqwest::blocking::Client::new();
    wait_until("chromedriver", Duration::from_secs(20), || {
        http.get(format!("{base}/status"))
            .send()
            .ok()
            .and_then(|r| r.json::<serde_json::Value>().ok())
            .is_some_and(|v| v["value"]["ready"] == serde_json::Value::Bool(true))
    });
    (
        driver,
        Session::chromium(&base, Path::new("/usr/bin/chromium")),
    )
}

/// Whether the window's webview is refused `command` by its capability (it reaches the IPC
/// layer directly, as a compromised page could; `withGlobalTauri` is off).
fn ipc_refused(s: &Session, command: &str) -> bool {
    s.execute(&format!(
        "window.__probe = null; window.__TAURI_INTERNALS__.invoke('{command}', {{}}).then(
           () => {{ window.__probe = 'allowed'; }}, e => {{ window.__probe = 'refused: ' + String(e); }});
         return true"
    ));
    let mut answer = String::new();
    wait_until("the IPC answer", Duration::from_secs(10), || {
        answer = s
            .execute("return window.__probe")
            .as_str()
            .unwrap_or_default()
            .to_string();
        !answer.is_empty()
    });
    eprintln!("{command}: {answer}");
    answer.starts_with("refused") && answer.contains("not allowed")
}

/// Demo hub data with an approver for the 居民身份证换领 domain.
fn demo_hub_with_approver(dir: &Path) -> PathBuf {
    let data = demo_hub_data(dir);
    let domain = onewindow_tests::item_domain("00017200100002");
    onewindow_tests::hub_cli_with_stdin(
        &[
            "user",
            "add",
            "--data",
            data.to_str().unwrap(),
            "--name",
            "wang",
            "--role",
            "approver",
            "--domain",
            &domain,
            "--password-stdin",
        ],
        "correct horse battery\n",
    );
    onewindow_tests::add_user(&data, "李窗口", "clerk", "window clerk pass");
    let queue = onewindow_tests::demo("queue.json");
    onewindow_tests::hub_cli(&[
        "import-queue",
        "--data",
        data.to_str().unwrap(),
        queue.to_str().unwrap(),
    ]);
    data
}

/// From the search box to an accepted 居民身份证换领 with two scanned pages; returns its number.
fn accept_one_case(s: &Session, hot: &Path) -> String {
    search(s, "身份证换领");
    wait_for_hits(s, "身份证换领", |h| {
        h.first().is_some_and(|n| n == "居民身份证换领")
    });
    s.send_keys(&s.find("#search-input"), Key::ENTER);
    wait_until("the guide", Duration::from_secs(10), || {
        text_of(s, "#guide-title").contains("居民身份证换领")
    });
    click(s, "#start-case");
    wait_until("the new case", Duration::from_secs(10), || {
        count(s, "#case-screen") == 1
    });
    choose(s, "#scenario-select", "00017200100002-01");
    wait_until("materials", Duration::from_secs(10), || {
        count(s, ".material-slot") == 2
    });
    type_into(s, "#applicant-name", "徐志强");
    type_into(s, "#applicant-number", "371082199906080810");
    type_into(s, "#applicant-phone", "13906310001");
    type_into(s, "#field-name", "徐志强");
    type_into(s, "#field-id_number", "371082199906080810");
    type_into(s, "#field-mobile", "13906310001");
    choose(s, "#field-delivery", "窗口领取");
    click(s, "#save-intake");
    for (slot, name, fixture) in [(0, "a.jpg", "page.jpg"), (1, "b.png", "page.png")] {
        // On a loaded machine (three windows under Xvfb) the first click can land while the
        // case screen is still re-rendering after the save: click again until it takes.
        let css = format!(".material-slot[data-slot='{slot}']");
        let mut clicks = 0;
        wait_until("slot selected", Duration::from_secs(12), || {
            let selected = attr(s, &css, "class").contains("selected");
            if !selected && clicks < 4 {
                clicks += 1;
                click(s, &css);
                std::thread::sleep(Duration::from_millis(600 * clicks));
            }
            selected
        });
        write_slowly(
            &hot.join(name),
            &std::fs::read(scan_fixture(fixture)).unwrap(),
            Duration::from_millis(10),
        );
        wait_until("the thumbnail", Duration::from_secs(10), || {
            count(
                s,
                &format!(".material-slot[data-slot='{slot}'] .file-thumb img"),
            ) == 1
        });
    }
    wait_until("nothing blocks", Duration::from_secs(10), || {
        attr(s, "#review", "data-can-accept") == "true"
    });
    click(s, "#accept-case");
    wait_until("accepted", Duration::from_secs(15), || {
        matches!(
            attr(s, "#case-state", "data-state").as_str(),
            "accepted" | "handed_off"
        )
    });
    text_of(s, "#case-number")
}
