//! End-to-end: the real desk window under Xvfb, driven over WebDriver (tauri-driver +
//! WebKitWebDriver), against a real hub process. Screenshots go to target/e2e/.
//!
//! Needs the built app (`target/debug/onewindow-desk`, UI embedded), `Xvfb`, `tauri-driver`
//! and `WebKitWebDriver`; `make e2e` provides them all.

mod webdriver;

use std::net::TcpListener;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use onewindow_proto::OpKind;
use onewindow_tests::{
    HubProcess, demo_hub_data, demo_hub_data_with_elicences, pdf_text, profile_dir, root,
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

fn scenario(s: &Session, hub: HubProcess) {
    let shots = shots_dir();

    // Online, with the catalog pulled from the hub.
    wait_until(
        "在线 and the catalog version",
        Duration::from_secs(30),
        || {
            text_of(s, "#connectivity") == "在线"
                && text_of(s, "#catalog-version").contains("2026.04-fixture.1")
        },
    );
    assert_eq!(text_of(s, "#item-count"), "事项 40 项");
    s.screenshot(&shots.join("01-online.png"));

    // Pinyin initials: leaves first, the container last.
    search(s, "gtgsh");
    wait_for_hits(s, "gtgsh hits", |h| {
        h == [
            "个体工商户设立登记",
            "个体工商户变更登记",
            "个体工商户注销登记",
            "个体工商户登记",
        ]
    });
    s.screenshot(&shots.join("02-search-gtgsh.png"));

    // A Chinese substring: leaves first, then shorter names, the container last.
    search(s, "身份证");
    wait_for_hits(s, "身份证 hits", |h| {
        h == [
            "居民身份证换领",
            "居民身份证补领",
            "居民身份证首次申领",
            "居民身份证核发",
        ]
    });
    assert_eq!(text_of(s, "#result-total"), "共 4 项");
    s.screenshot(&shots.join("03-search-chinese.png"));

    // Open a guide from the keyboard: search, Enter on the first hit.
    search(s, "gtgsh");
    wait_for_hits(s, "gtgsh again", |h| {
        h.first().map(String::as_str) == Some("个体工商户设立登记")
    });
    s.send_keys(&s.find("#search-input"), Key::ENTER);
    wait_until(
        "the guide of 个体工商户设立登记",
        Duration::from_secs(10),
        || text_of(s, "#guide-title") == "个体工商户设立登记",
    );
    let materials: Vec<String> = s
        .execute("return [...document.querySelectorAll('#guide .material-row .material-name')].map(e => e.textContent.trim())")
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        materials.first().map(String::as_str),
        Some("个体工商户登记（备案）申请书")
    );
    assert!(
        materials.contains(&"经营者居民身份证".to_string()),
        "{materials:?}"
    );
    let guide_text = text_of(s, "#guide");
    for expected in [
        "荣成市行政审批服务局",
        "验原件收复印件",
        "居民身份证",
        "个体工商户登记",
        "即办",
    ] {
        assert!(guide_text.contains(expected), "guide lacks {expected}");
    }
    s.screenshot(&shots.join("04-guide.png"));

    // The hub goes away: the desk says 离线 and keeps searching its cache.
    hub.kill();
    wait_until("离线", Duration::from_secs(20), || {
        text_of(s, "#connectivity") == "离线"
    });
    s.send_keys(&s.find("body"), Key::ESCAPE);
    search(s, "sldj");
    wait_for_hits(s, "sldj offline", |h| {
        h == ["个体工商户设立登记", "有限责任公司设立登记"]
    });
    assert!(text_of(s, "#catalog-version").contains("2026.04-fixture.1"));
    s.screenshot(&shots.join("05-offline-search.png"));
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

#[test]
fn desk_window_searches_opens_guides_and_works_offline() {
    let app = desk_app();
    let tmp = tempfile::tempdir().unwrap();
    let hub = HubProcess::start(&demo_hub_data(tmp.path()));
    let (_xvfb, display) = start_xvfb();
    let (_driver, base) = start_driver(&display);

    let desk_data = tmp.path().join("desk");
    let session = Session::new(
        &base,
        &app,
        &[
            "--hub-url",
            &hub.url(),
            "--data-dir",
            desk_data.to_str().unwrap(),
            "--sync-interval-ms",
            "500",
        ],
    );
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        scenario(&session, hub);
        // Logs go through tracing to a rolling file in the desk's log folder.
        let log = desk_log(&desk_data);
        assert!(log.contains("desk starting"), "{log}");
        assert!(log.contains("catalog index rebuilt"), "{log}");
    }));
    if let Err(panic) = outcome {
        session.screenshot(&shots_dir().join("failure-search.png"));
        let log = desk_log(&desk_data);
        eprintln!("desk log:\n{log}");
        session.close();
        std::panic::resume_unwind(panic);
    }
    session.close();
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

fn acceptance(s: &Session, hot: &Path, printed_dir: &Path) {
    let shots = shots_dir();
    wait_until("在线", Duration::from_secs(30), || {
        text_of(s, "#connectivity") == "在线" && text_of(s, "#item-count") == "事项 40 项"
    });

    // Find the item and start a case from its guide, all from the keyboard.
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
        text_of(s, "#case-number") == "RC01-20261127-0001"
    });
    assert_eq!(attr(s, "#case-state", "data-state"), "draft");

    // Scenario, applicant and the fields the clerk knows now.
    choose(s, "#scenario-select", "00017200100002-01");
    wait_until("the scenario's materials", Duration::from_secs(10), || {
        count(s, ".material-slot") == 2
    });
    type_into(s, "#applicant-name", "徐志强");
    type_into(s, "#applicant-number", "371082199906080810");
    type_into(s, "#field-name", "徐志强");
    type_into(s, "#field-id_number", "371082199906080810");
    click(s, "#save-intake");
    wait_until("the e-licence lookup", Duration::from_secs(10), || {
        attr(s, "#elicence", "data-state") == "found"
    });

    // Scans dropped into the hot folder appear as thumbnails in the selected slot.
    click(s, ".material-slot[data-slot='0']");
    wait_until("slot 0 selected", Duration::from_secs(5), || {
        attr(s, ".material-slot[data-slot='0']", "class").contains("selected")
    });
    write_slowly(
        &hot.join("原身份证.jpg"),
        &std::fs::read(scan_fixture("page.jpg")).unwrap(),
        Duration::from_millis(20),
    );
    wait_until("the thumbnail in slot 0", Duration::from_secs(10), || {
        count(s, ".material-slot[data-slot='0'] .file-thumb img") == 1
    });
    assert_eq!(
        attr(s, ".material-slot[data-slot='0']", "data-status"),
        "provided"
    );
    s.screenshot(&shots.join("10-case-scan-in-slot.png"));

    // Pre-review lists what is missing, all at once.
    let review = text_of(s, "#review");
    for want in ["居民身份证申领登记表", "联系电话", "领证方式"] {
        assert!(review.contains(want), "review lacks {want}: {review}");
    }
    assert_eq!(attr(s, "#review", "data-can-accept"), "false");
    assert_eq!(
        attr(s, ".material-slot[data-slot='1']", "data-status"),
        "missing"
    );

    // The one-time notice goes to the printer (a folder here) and says everything.
    click(s, "#issue-notice");
    wait_until("needs_correction", Duration::from_secs(15), || {
        attr(s, "#case-state", "data-state") == "needs_correction"
    });
    let notice = printed(printed_dir, "one_time_notice").expect("the notice was printed");
    let text = pdf_text(&notice);
    for want in [
        "一次性告知书",
        "RC01-20261127-0001",
        "居民身份证申领登记表",
        "领证方式",
        "第三十二条",
    ] {
        assert!(text.contains(want), "notice lacks {want}:\n{text}");
    }
    s.screenshot(&shots.join("11-notice-issued.png"));

    // The applicant returns with the rest.
    click(s, "#reopen-case");
    wait_until("draft again", Duration::from_secs(10), || {
        attr(s, "#case-state", "data-state") == "draft"
    });
    assert_eq!(text_of(s, "#case-number"), "RC01-20261127-0001");
    click(s, ".material-slot[data-slot='1']");
    wait_until("slot 1 selected", Duration::from_secs(5), || {
        attr(s, ".material-slot[data-slot='1']", "class").contains("selected")
    });
    write_slowly(
        &hot.join("申领登记表.png"),
        &std::fs::read(scan_fixture("page.png")).unwrap(),
        Duration::from_millis(20),
    );
    wait_until("the thumbnail in slot 1", Duration::from_secs(10), || {
        count(s, ".material-slot[data-slot='1'] .file-thumb img") == 1
    });
    type_into(s, "#applicant-phone", "13906310001");
    type_into(s, "#field-mobile", "13906310001");
    choose(s, "#field-delivery", "窗口领取");
    click(s, "#save-intake");
    wait_until("nothing blocks", Duration::from_secs(10), || {
        attr(s, "#review", "data-can-accept") == "true"
    });
    assert!(text_of(s, "#promised-date").contains("2026-12-25"));

    click(s, "#accept-case");
    wait_until("accepted", Duration::from_secs(15), || {
        attr(s, "#case-state", "data-state") == "accepted"
    });
    let receipt = printed(printed_dir, "acceptance_receipt").expect("the receipt was printed");
    let text = pdf_text(&receipt);
    for want in [
        "受理回执",
        "RC01-20261127-0001",
        "2026年12月25日",
        "371082********0810",
    ] {
        assert!(text.contains(want), "receipt lacks {want}:\n{text}");
    }
    assert!(text_of(s, "#documents").contains("受理回执"));
    s.screenshot(&shots.join("12-accepted.png"));

    // A page arriving after the case left the window goes into no case by itself: it waits
    // for the clerk, counted in the status bar and listed on the case screen.
    let mut page = std::fs::read(scan_fixture("page.jpg")).unwrap();
    page.extend_from_slice(b"next applicant");
    std::fs::write(hot.join("下一位申请人.jpg"), page).unwrap();
    wait_until("the waiting scan", Duration::from_secs(15), || {
        count(s, "#waiting-list .waiting-scan") == 1
            && text_of(s, "#waiting-scans").contains("待分配扫描件 1 份")
    });
    assert!(text_of(s, "#waiting-list").contains("下一位申请人.jpg"));
    assert!(text_of(s, "#waiting-list").contains("到达时没有打开的办件"));
    s.screenshot(&shots.join("12b-waiting-scan.png"));

    // The receipt previews in the app.
    let previews = count(s, "#documents .preview-btn");
    assert!(previews >= 2, "notice and receipt are archived");
    s.execute("const b = document.querySelectorAll('#documents .preview-btn'); b[b.length - 1].click(); return true");
    wait_until("the receipt preview", Duration::from_secs(15), || {
        count(s, "#document-preview img") >= 1
    });
    s.screenshot(&shots.join("13-receipt-preview.png"));
}

#[test]
fn acceptance_at_the_window_from_scan_to_receipt() {
    let app = desk_app();
    let tmp = tempfile::tempdir().unwrap();
    let hub = HubProcess::start(&demo_hub_data_with_elicences(tmp.path()));
    let (_xvfb, display) = start_xvfb();
    let (_driver, base) = start_driver(&display);
    let desk_data = tmp.path().join("desk");
    let hot = tmp.path().join("scans");
    let printed_dir = tmp.path().join("printed");
    let printer = format!("folder:{}", printed_dir.display());
    let session = Session::new(
        &base,
        &app,
        &[
            "--hub-url",
            &hub.url(),
            "--data-dir",
            desk_data.to_str().unwrap(),
            "--sync-interval-ms",
            "500",
            "--desk-code",
            "RC01",
            "--today",
            "2026-11-27",
            "--hot-folder",
            hot.to_str().unwrap(),
            "--printer",
            &printer,
        ],
    );
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        acceptance(&session, &hot, &printed_dir);
    }));
    if let Err(panic) = outcome {
        session.screenshot(&shots_dir().join("failure-acceptance.png"));
        eprintln!("desk log:\n{}", desk_log(&desk_data));
        session.close();
        std::panic::resume_unwind(panic);
    }
    session.close();
    hub.kill();
    // The app's cache is SQLCipher under a key in the real Secret Service: the applicant's
    // ID number, name and phone are nowhere in the database file, its WAL or the logs.
    for file in ["cache.db", "cache.db-wal"] {
        let bytes = std::fs::read(desk_data.join(file)).unwrap_or_default();
        assert!(
            !bytes.starts_with(b"SQLite format 3"),
            "{file} is not plaintext SQLite"
        );
        for secret in ["371082199906080810", "徐志强", "13906310001"] {
            assert!(
                !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
                "{secret} readable in {file}"
            );
        }
    }
    let log = desk_log(&desk_data);
    assert!(!log.is_empty(), "the desk logged");
    for secret in ["371082199906080810", "13906310001"] {
        assert!(!log.contains(secret), "{secret} in the desk log");
    }
    // Every file intake and the documents archive keep (the two scans, their thumbnails,
    // staging, the notice and receipt PDFs) is sealed: none holds the scans' bytes, a PDF or
    // PNG in the clear, or the applicant; and the scanner's hot folder is empty.
    let page = std::fs::read(scan_fixture("page.jpg")).unwrap();
    let png = std::fs::read(scan_fixture("page.png")).unwrap();
    let mut needles: Vec<&[u8]> = vec![
        &page[page.len() / 2..page.len() / 2 + 64],
        &png[png.len() / 2..png.len() / 2 + 64],
        b"%PDF",
        b"\x89PNG",
    ];
    needles.extend(["371082199906080810", "徐志强", "13906310001"].map(str::as_bytes));
    let mut sealed = 0;
    let mut stack = vec![desk_data.join("intake"), desk_data.join("documents")];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap() {
            let path = e.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let bytes = std::fs::read(&path).unwrap();
            assert!(
                onewindow_intake::seal::is_sealed(&bytes),
                "{} is not sealed",
                path.display()
            );
            for n in &needles {
                assert!(
                    !bytes.windows(n.len()).any(|w| w == *n),
                    "{} holds {:?} in the clear",
                    path.display(),
                    String::from_utf8_lossy(n)
                );
            }
            sealed += 1;
        }
    }
    assert!(
        sealed >= 6,
        "two scans, two thumbnails, two documents: {sealed}"
    );
    assert_eq!(
        std::fs::read_dir(&hot).unwrap().count(),
        0,
        "hot folder emptied"
    );
}

/// The hub's pages in headless Chromium: an approver signs in, sees the handed-off case with
/// its scan inline, approves it; the applicant's progress page shows the new state.
#[test]
fn back_office_pages_in_headless_chromium() {
    let tmp = tempfile::tempdir().unwrap();
    let data = demo_hub_data(tmp.path());
    let domain = onewindow_tests::item_domain("00017200100002");
    let d = data.to_str().unwrap();
    onewindow_tests::hub_cli_with_stdin(
        &[
            "user",
            "add",
            "--data",
            d,
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
    let code = onewindow_tests::enrol_code(&data, "1 号窗口");
    let hub = HubProcess::start(&data);

    // A window hands off one case with a scanned page, as a desk would.
    let page = std::fs::read(onewindow_tests::scan_fixture("page.jpg")).unwrap();
    let sha = {
        use sha2::Digest;
        format!("{:x}", sha2::Sha256::digest(&page))
    };
    let case_id = "0192f0a0-0000-7000-8000-00000000e2e1";
    let number = "W01-20261127-0001";
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let client = onewindow_sync::HubClient::new(&hub.url());
        let token = client.enrol(&code).await.unwrap().token;
        let client = client.with_token(&token);
        client
            .put_chunk(&sha, 0, page.len() as u64, page.clone())
            .await
            .unwrap();
        let op = onewindow_proto::Op {
            op_id: "0192f0a0-0000-7000-8000-0000000e2e01".into(),
            device_seq: 1,
            schema_version: 1,
            kind: OpKind::HandOff.as_str().into(),
            payload: serde_json::json!({
                "case_id": case_id, "number": number, "item_code": "00017200100002",
                "scenario_code": "00017200100002-01", "accepted_at": "2026-11-27T02:00:00.000Z",
                "applicant": {"kind": "person", "name": "徐志强", "number": "371082199906080810",
                              "phone": "13906310001"},
                "form": {"name": "徐志强", "id_number": "371082199906080810", "delivery": "窗口领取"},
                "findings": [], "promised_date": "2026-12-25",
                "attachments": [{"sha256": sha, "slot": 0, "name": "原身份证.jpg", "kind": "jpeg",
                                 "size": page.len(), "material": "原居民身份证"}]
            }),
        };
        let r = client.push_ops(&[op]).await.unwrap();
        assert_eq!(r.results[0].status, onewindow_proto::OpStatus::Applied);
    });

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
    let s = Session::chromium(&base, Path::new("/usr/bin/chromium"));
    let shots = shots_dir();
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let url = hub.url();
        s.goto(&format!("{url}/office"));
        wait_until("the login form", Duration::from_secs(10), || {
            s.execute("return !!document.querySelector('#password')") == serde_json::json!(true)
        });
        s.send_keys(&s.find("#name"), "wang");
        s.send_keys(&s.find("#password"), "correct horse battery");
        s.click(&s.find("#login"));
        wait_until("the case list", Duration::from_secs(10), || {
            s.execute("return document.querySelectorAll('#cases .case-row').length")
                == serde_json::json!(1)
        });
        assert!(text_of(&s, "#cases").contains("居民身份证换领"));
        assert!(text_of(&s, "#cases").contains("待审批"));
        // Domains by name, in the row and in the heading.
        let domain_name = onewindow_tests::domain_name(&domain);
        assert!(text_of(&s, "#cases").contains(&domain_name));
        assert!(text_of(&s, "h2").contains(&format!("{domain_name}（{domain}）")));
        s.screenshot(&shots.join("20-office-list.png"));

        s.click(&s.find(&format!("a[href='/office/cases/{number}']")));
        wait_until(
            "the case page with its scan",
            Duration::from_secs(10),
            || {
                s.execute("const i = document.querySelector('.files img'); return !!i && i.complete && i.naturalWidth > 0")
                == serde_json::json!(true)
            },
        );
        let applicant = text_of(&s, "#applicant");
        assert!(
            applicant.contains("371082********0810") && !applicant.contains("371082199906080810")
        );
        s.screenshot(&shots.join("21-office-case.png"));
        s.send_keys(&s.find("#note"), "符合换领条件");
        // The approval carries its result file, chosen in the file input.
        let licence = tmp.path().join("准予换领决定书.pdf");
        std::fs::write(&licence, onewindow_tests::tiny_pdf("APPROVED")).unwrap();
        s.send_keys(&s.find("#result-file"), licence.to_str().unwrap());
        s.click(&s.find("#approve"));
        wait_until("approved", Duration::from_secs(10), || {
            text_of(&s, "#case-state") == "已批准"
        });
        assert_eq!(count(&s, "a.result-file"), 1);
        assert!(text_of(&s, "a.result-file").contains("准予换领决定书.pdf"));
        s.screenshot(&shots.join("22-office-approved.png"));

        let code = onewindow_proto::query_code(case_id);
        s.goto(&format!("{url}/progress?case={number}&code={code}"));
        wait_until("the progress page", Duration::from_secs(10), || {
            text_of(&s, "#progress-state") == "已批准"
        });
        assert!(!text_of(&s, "#progress").contains("徐志强"));
        s.screenshot(&shots.join("23-progress.png"));
    }));
    s.close();
    drop(driver);
    hub.kill();
    if let Err(p) = outcome {
        std::panic::resume_unwind(p);
    }
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

/// The kiosk and the hall display in headless Chromium against a real hub: an applicant of 60
/// takes a ticket in the priority lane, the desk's window calls it, and the display shows the
/// call live (no reload), then the recall.
#[test]
fn kiosk_ticket_and_live_hall_display_in_headless_chromium() {
    let tmp = tempfile::tempdir().unwrap();
    let data = demo_hub_data(tmp.path());
    let queue = onewindow_tests::demo("queue.json");
    onewindow_tests::hub_cli(&[
        "import-queue",
        "--data",
        data.to_str().unwrap(),
        queue.to_str().unwrap(),
    ]);
    let code = onewindow_tests::enrol_code(&data, "1 号窗口");
    // An appointment booked online for this very minute (never across midnight).
    let slot = chrono::Utc::now()
        .with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).unwrap())
        .format("%Y-%m-%d %H:%M")
        .to_string();
    let booked = tmp.path().join("appointments.json");
    std::fs::write(
        &booked,
        format!(
            r#"{{"appointments": [{{"code": "P3T9AA", "domain": "SCJG", "time": "{slot}", "name": "李红"}}]}}"#
        ),
    )
    .unwrap();
    onewindow_tests::hub_cli(&[
        "import-appointments",
        "--data",
        data.to_str().unwrap(),
        booked.to_str().unwrap(),
    ]);
    let hub = HubProcess::start(&data);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let desk = rt.block_on(async {
        let client = onewindow_sync::HubClient::new(&hub.url());
        let token = client.enrol(&code).await.unwrap().token;
        client.with_token(&token)
    });
    // Someone took a ticket before: the lane still goes first.
    let http = reqwest::blocking::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let r = http
        .post(format!("{}/kiosk/tickets", hub.url()))
        .form(&[("domain", "ZHSL"), ("id_number", ""), ("lane", "")])
        .send()
        .unwrap();
    assert_eq!(r.status(), 303);

    let (driver, s) = chromium();
    let shots = shots_dir();
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let url = hub.url();
        s.goto(&format!("{url}/kiosk"));
        wait_until("the kiosk", Duration::from_secs(10), || {
            count(&s, "#domain-ZHSL") == 1
        });
        // A wrong ID number is refused with a clear message, and nothing is issued.
        s.send_keys(&s.find("#id-number"), "371082196611270016");
        s.click(&s.find("#domain-ZHSL"));
        wait_until("the error", Duration::from_secs(10), || {
            count(&s, "#kiosk-error") == 1
        });
        assert!(text_of(&s, "#kiosk-error").contains("身份证号码不正确"));
        s.screenshot(&shots.join("40-kiosk.png"));
        s.send_keys(&s.find("#id-number"), "371082196611270015");
        s.click(&s.find("#domain-ZHSL"));
        wait_until("the slip", Duration::from_secs(10), || {
            count(&s, "#ticket-number") == 1
        });
        assert_eq!(text_of(&s, "#ticket-number"), "A002");
        assert!(text_of(&s, "#ticket-lane").contains("老年人"));
        assert_eq!(text_of(&s, "#people-ahead"), "0", "the lane goes first");
        assert!(count(&s, "#ticket-qr rect") > 100, "a QR code");
        assert!(
            !s.execute("return document.body.innerHTML")
                .as_str()
                .unwrap()
                .contains("371082196611270015"),
            "the ID number is not shown back"
        );
        s.screenshot(&shots.join("41-ticket-slip.png"));

        // 预约签到: a wrong code is named; the booked one gets its ticket with the slot.
        s.goto(&format!("{url}/kiosk"));
        wait_until("the kiosk again", Duration::from_secs(10), || {
            count(&s, "#appointment-code") == 1
        });
        s.send_keys(&s.find("#appointment-code"), "NOPE99");
        s.click(&s.find("#appointment-submit"));
        wait_until("the check-in error", Duration::from_secs(10), || {
            count(&s, "#kiosk-error") == 1
        });
        assert!(text_of(&s, "#kiosk-error").contains("没有预约码 NOPE99"));
        s.send_keys(&s.find("#appointment-code"), "p3t9aa");
        s.click(&s.find("#appointment-submit"));
        wait_until("the appointment's slip", Duration::from_secs(10), || {
            count(&s, "#ticket-appointment") == 1
        });
        assert_eq!(text_of(&s, "#ticket-number"), "B001");
        assert!(text_of(&s, "#ticket-appointment").contains(&slot[11..]));
        s.screenshot(&shots.join("43-appointment-slip.png"));

        s.goto(&format!("{url}/display"));
        wait_until("the display", Duration::from_secs(10), || {
            count(&s, "#window-grid .window") == 7
        });
        // Wait for the event stream to be open before calling.
        wait_until("the event stream", Duration::from_secs(10), || {
            s.execute("return es.readyState") == serde_json::json!(1)
        });
        let answer = rt.block_on(desk.queue_call_next("li")).unwrap();
        assert_eq!(answer.ticket.unwrap().number, "A002");
        wait_until(
            "the call on the display, live",
            Duration::from_secs(10),
            || text_of(&s, "#call-list .call .num") == "A002",
        );
        assert_eq!(
            text_of(&s, "#window-grid .window[data-window='1'] .cur"),
            "A002"
        );
        rt.block_on(desk.queue_step("li", "recall", None)).unwrap();
        wait_until("the recall on the display", Duration::from_secs(10), || {
            count(&s, "#call-list .call.recall") == 1
        });
        rt.block_on(desk.queue_window("li", "paused")).unwrap();
        wait_until("the pause on the display", Duration::from_secs(10), || {
            text_of(&s, "#window-grid .window[data-window='1'] .cur") == "暂停服务"
        });
        s.screenshot(&shots.join("42-hall-display.png"));
    }));
    s.close();
    drop(driver);
    hub.kill();
    if let Err(p) = outcome {
        std::panic::resume_unwind(p);
    }
}

/// The hall supervisor's tidal page in headless Chromium: the queue of each domain, a rule
/// that fires, the one-click reassignment, and its record with who and why.
#[test]
fn tidal_windows_page_in_headless_chromium() {
    let tmp = tempfile::tempdir().unwrap();
    let data = demo_hub_data(tmp.path());
    let d = data.to_str().unwrap();
    let queue = onewindow_tests::demo("queue.json");
    onewindow_tests::hub_cli(&["import-queue", "--data", d, queue.to_str().unwrap()]);
    onewindow_tests::hub_cli_with_stdin(
        &[
            "user",
            "add",
            "--data",
            d,
            "--name",
            "zhou",
            "--role",
            "supervisor",
            "--password-stdin",
        ],
        "hall supervisor pass\n",
    );
    let hub = HubProcess::start(&data);
    let http = reqwest::blocking::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    // 社保医保: more than 12 waiting → the rule gives it window 6.
    for _ in 0..13 {
        http.post(format!("{}/kiosk/tickets", hub.url()))
            .form(&[("domain", "SBYB")])
            .send()
            .unwrap();
    }
    let (driver, s) = chromium();
    let shots = shots_dir();
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let url = hub.url();
        s.goto(&format!("{url}/office"));
        wait_until("the login form", Duration::from_secs(10), || {
            count(&s, "#password") == 1
        });
        s.send_keys(&s.find("#name"), "zhou");
        s.send_keys(&s.find("#password"), "hall supervisor pass");
        s.click(&s.find("#login"));
        wait_until("the hall page", Duration::from_secs(10), || {
            count(&s, "#loads tr[data-domain='SBYB']") == 1
        });
        assert_eq!(text_of(&s, "#loads tr[data-domain='SBYB'] .waiting"), "13");
        assert!(text_of(&s, "#suggestions").contains("建议将 6 号窗口（潮汐） 调配办理 社保医保"));
        assert!(text_of(&s, "#suggestions").contains("等候 13 人，超过 12 人"));
        s.screenshot(&shots.join("43-tidal.png"));
        s.click(&s.find("#apply-6-SBYB"));
        wait_until("reassigned", Duration::from_secs(10), || {
            text_of(&s, "#windows tr[data-window='6'] .domains") == "社保医保（C）"
        });
        assert_eq!(count(&s, "#no-suggestions"), 1);
        let log = text_of(&s, "#reassignments");
        assert!(
            log.contains("zhou") && log.contains("6 号窗口") && log.contains("等候 13 人"),
            "{log}"
        );
        // A manual reassignment without a reason is refused.
        s.click(&s.find("#reassign-7"));
        wait_until("the refusal", Duration::from_secs(10), || {
            count(&s, "#hall-error") == 1
        });
        assert!(text_of(&s, "#hall-error").contains("调配原因"));
        s.screenshot(&shots.join("44-tidal-reassigned.png"));

        // Today's figures, and the same as a workbook.
        s.goto(&format!("{url}/office/figures"));
        wait_until("the figures", Duration::from_secs(10), || {
            count(&s, "#by-domain tr[data-key='SBYB']") == 1
        });
        assert_eq!(text_of(&s, "#by-domain tr[data-key='SBYB'] .tickets"), "13");
        assert_eq!(text_of(&s, "#by-domain tr[data-key='all'] .tickets"), "13");
        let got = s.execute_async(
            "const done = arguments[arguments.length - 1];
             fetch(document.getElementById('figures-xlsx').href).then(async r => {
               const b = new Uint8Array(await r.arrayBuffer());
               done([r.status, r.headers.get('content-type'), b[0], b[1]]);
             });",
        );
        assert_eq!(
            got,
            serde_json::json!([
                200,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                80,
                75
            ])
        );
        s.goto(&format!("{url}/office/figures?month=2026-13"));
        wait_until("the bad month refused", Duration::from_secs(10), || {
            count(&s, "#figures-error") == 1
        });
        s.goto(&format!("{url}/office/figures"));
        s.screenshot(&shots.join("45-figures.png"));
    }));
    s.close();
    drop(driver);
    hub.kill();
    if let Err(p) = outcome {
        std::panic::resume_unwind(p);
    }
}

/// Enrolment in the real window (the token goes to a real Secret Service), a case accepted and
/// synced, the approver's decision reaching the window as 待出件, and 出件 flowing back up.
#[test]
fn enrolment_decision_and_delivery_at_the_window() {
    let app = desk_app();
    let tmp = tempfile::tempdir().unwrap();
    let data = demo_hub_with_approver(tmp.path());
    let code = onewindow_tests::enrol_code(&data, "综合受理 1 号窗口");
    let hub = HubProcess::start(&data);
    let hub_addr = hub.addr.clone();
    let hub_url = hub.url();
    let (_xvfb, display) = start_xvfb();
    let (_driver, base) = start_driver_env(&display, true, &[("ONEWINDOW_APPLICANT_SCREEN", "1")]);
    let desk_data = tmp.path().join("desk");
    let hot = tmp.path().join("scans");
    let printer = format!("folder:{}", tmp.path().join("printed").display());
    let s = Session::new(
        &base,
        &app,
        &[
            "--hub-url",
            &hub_url,
            "--data-dir",
            desk_data.to_str().unwrap(),
            "--sync-interval-ms",
            "500",
            "--today",
            "2026-11-27",
            "--hot-folder",
            hot.to_str().unwrap(),
            "--printer",
            &printer,
            "--hall-display",
            "1",
        ],
    );
    let mut hub = Some(hub);
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let shots = shots_dir();
        wait_until("online and unenrolled", Duration::from_secs(30), || {
            text_of(&s, "#connectivity") == "在线"
                && attr(&s, "#push-status", "data-state") == "unenrolled"
        });
        // F10: enrol with the administrator's code.
        s.send_keys(&s.find("body"), "\u{E03A}");
        wait_until("the enrolment panel", Duration::from_secs(5), || {
            count(&s, "#enrol-panel") == 1
        });
        type_into(&s, "#enrol-code", &code);
        click(&s, "#enrol-submit");
        wait_until("enrolled", Duration::from_secs(15), || {
            attr(&s, "#push-status", "data-state") != "unenrolled"
        });
        s.screenshot(&shots.join("30-enrolled.png"));
        let _ = s.execute(
            "const b = document.getElementById('enrol-close'); if (b) b.click(); return true",
        );
        wait_until("the panel closed", Duration::from_secs(5), || {
            count(&s, "#enrol-panel") == 0
        });
        // Enrolled, the desk works only for someone signed in: its sign-in screen is up.
        wait_until("the sign-in screen", Duration::from_secs(10), || {
            count(&s, "#lock-screen") == 1 && text_of(&s, "#lock-title") == "请登录"
        });
        s.screenshot(&shots.join("30b-sign-in.png"));
        type_into(&s, "#lock-name", "李窗口");
        type_into(&s, "#lock-password", "window clerk pass");
        s.send_keys(&s.find("#lock-password"), "\u{E007}");
        wait_until("signed in", Duration::from_secs(15), || {
            count(&s, "#lock-screen") == 0
        });

        // An applicant took a ticket at the kiosk; F8 calls it, F3 marks them at the window.
        let r = reqwest::blocking::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap()
            .post(format!("{}/kiosk/tickets", hub_url))
            .form(&[("domain", "ZHSL")])
            .send()
            .unwrap();
        assert_eq!(r.status(), 303);
        wait_until("the calling bar ready", Duration::from_secs(15), || {
            count(&s, "#queue-bar") == 1 && count(&s, "#queue-reason") == 0
        });
        s.send_keys(&s.find("body"), "\u{E038}");
        wait_until("A001 called", Duration::from_secs(10), || {
            text_of(&s, "#queue-number") == "A001"
        });
        s.send_keys(&s.find("body"), "\u{E033}");
        wait_until("A001 at the window", Duration::from_secs(10), || {
            text_of(&s, "#queue-current").contains("办理中")
        });
        let board: onewindow_proto::HallBoard = reqwest::blocking::get(format!(
            "{}{}",
            hub_url,
            onewindow_proto::paths::QUEUE_BOARD
        ))
        .unwrap()
        .json()
        .unwrap();
        assert_eq!(board.calls[0].number, "A001");
        assert_eq!(board.calls[0].window, 1);
        wait_until("the call announced", Duration::from_secs(20), || {
            std::fs::read_dir(shots_dir().join("announced"))
                .map(|d| d.count())
                .unwrap_or(0)
                >= 1
        });
        s.screenshot(&shots.join("33-called.png"));

        // The desk's hall display (a third window) shows the call, live from the hub.
        let main = s.window_handle();
        wait_until(
            "the applicant's and the hall's windows",
            Duration::from_secs(15),
            || s.window_handles().len() == 3,
        );
        let (mut applicant, mut hall) = (String::new(), String::new());
        for h in s.window_handles().into_iter().filter(|h| h != &main) {
            s.switch_to_window(&h);
            match s.execute("return location.hash").as_str() {
                Some("#applicant") => applicant = h,
                Some("#hall") => hall = h,
                other => panic!("an unexpected window {other:?}"),
            }
        }
        s.switch_to_window(&hall);
        wait_until("A001 on the hall display", Duration::from_secs(15), || {
            count(&s, ".hall-call.latest") == 1
                && text_of(&s, ".hall-call.latest .hall-call-number") == "A001"
        });
        assert_eq!(
            text_of(&s, ".hall-window[data-window='1'] .hall-window-current"),
            "A001"
        );
        assert_eq!(attr(&s, "#hall-display", "data-online"), "true");
        s.screenshot(&shots.join("35-hall-display.png"));
        // Its capability lets it call the board only: a case command is refused by Tauri.
        assert!(
            ipc_refused(&s, "recent_cases"),
            "the hall display read the cases"
        );
        s.switch_to_window(&applicant);
        assert!(
            ipc_refused(&s, "new_case"),
            "the applicant's screen made a case"
        );
        s.switch_to_window(&main);

        // The applicant's screen (the second window) shows their ticket; F12 invites the
        // rating; they rate on their screen; the hub counts it.
        s.send_keys(&s.find("body"), "\u{E03C}");
        wait_until("invited", Duration::from_secs(10), || {
            text_of(&s, "#queue-flash").contains("评价")
        });
        s.switch_to_window(&applicant);
        wait_until(
            "the rating on the applicant's screen",
            Duration::from_secs(10),
            || attr(&s, "#applicant-screen", "data-mode") == "rate",
        );
        click(&s, "#rate-4");
        click(&s, "#rate-submit");
        wait_until("thanks", Duration::from_secs(10), || {
            count(&s, "#rate-thanks") == 1
        });
        s.screenshot(&shots.join("34-applicant-rated.png"));
        s.switch_to_window(&main);
        let today = onewindow_hub::store_queue::hall_day(chrono::Utc::now()).to_string();
        let figures = onewindow_hub::store::HubStore::open_dir(&data)
            .unwrap()
            .figures(&today)
            .unwrap();
        assert_eq!((figures.total.ratings, figures.total.satisfied), (1, 1));

        let number = accept_one_case(&s, &hot);
        assert!(
            number.starts_with("W01-20261127-"),
            "the hub's desk code: {number}"
        );
        wait_until("everything uploaded", Duration::from_secs(30), || {
            attr(&s, "#push-status", "data-state") == "sent"
        });
        wait_until("handed off", Duration::from_secs(10), || {
            attr(&s, "#case-state", "data-state") == "handed_off"
        });

        // The approver approves in the back office.
        let web = reqwest::blocking::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        web.post(format!("{}/office/login", hub_url))
            .form(&[("name", "wang"), ("password", "correct horse battery")])
            .send()
            .unwrap();
        let licence = onewindow_tests::tiny_pdf("RESIDENT ID CARD RENEWAL APPROVED");
        let form = reqwest::blocking::multipart::Form::new()
            .text("action", "approve")
            .text("note", "符合换领条件")
            .part(
                "result_file",
                reqwest::blocking::multipart::Part::bytes(licence.clone())
                    .file_name("准予换领决定书.pdf"),
            );
        let r = web
            .post(format!("{}/office/cases/{number}/decide", hub_url))
            .multipart(form)
            .send()
            .unwrap();
        assert_eq!(r.status(), 303);
        wait_until("待出件 at the window", Duration::from_secs(15), || {
            attr(&s, "#case-state", "data-state") == "ready"
        });
        wait_until(
            "the result file among the documents",
            Duration::from_secs(15),
            || count(&s, ".document-row[data-kind='result_file']") == 1,
        );
        s.screenshot(&shots.join("31-ready.png"));

        click(&s, "#deliver-case");
        wait_until("the delivery dialog", Duration::from_secs(5), || {
            count(&s, "#deliver-confirm") == 1
        });
        assert_eq!(
            s.execute("return document.getElementById('deliver-print-result').checked"),
            serde_json::json!(true),
            "the result file is printed with the delivery unless the clerk says not"
        );
        s.screenshot(&shots.join("31b-deliver-dialog.png"));
        click(&s, "#deliver-confirm");
        let printed_dir = tmp.path().join("printed");
        wait_until("the result file printed", Duration::from_secs(10), || {
            printed(&printed_dir, "result_file").is_some()
        });
        assert_eq!(
            std::fs::read(printed(&printed_dir, "result_file").unwrap()).unwrap(),
            licence
        );
        wait_until("delivered", Duration::from_secs(10), || {
            attr(&s, "#case-state", "data-state") == "delivered"
        });
        wait_until("the hub knows", Duration::from_secs(15), || {
            onewindow_hub::store::HubStore::open_dir(&data)
                .ok()
                .and_then(|h| h.hub_case(&number).ok().flatten())
                .is_some_and(|c| c.1 == "delivered")
        });
        s.screenshot(&shots.join("32-delivered.png"));

        // The hub goes away: the window takes a walk-in on its own offline queue, calls and
        // serves it; the hall display shows the offline call.
        hub.take().unwrap().kill();
        click(&s, "#queue-walk-in");
        wait_until("the walk-in dialog", Duration::from_secs(5), || {
            count(&s, "#queue-walk-in-domain") == 1
        });
        choose(&s, "#queue-walk-in-domain", "ZHSL");
        click(&s, "#queue-walk-in-confirm");
        wait_until("an offline ticket", Duration::from_secs(15), || {
            text_of(&s, "#queue-flash").contains("离线取号 W01-001")
        });
        assert_eq!(text_of(&s, "#queue-offline"), "离线叫号");
        s.send_keys(&s.find("body"), "\u{E038}");
        wait_until("W01-001 called", Duration::from_secs(10), || {
            text_of(&s, "#queue-number") == "W01-001"
        });
        s.send_keys(&s.find("body"), "\u{E033}");
        wait_until("W01-001 at the window", Duration::from_secs(10), || {
            text_of(&s, "#queue-current").contains("办理中")
        });
        s.screenshot(&shots.join("36-offline-walk-in.png"));
        s.switch_to_window(&hall);
        wait_until(
            "the offline call on the hall display",
            Duration::from_secs(15),
            || {
                count(&s, "#hall-offline") == 1
                    && text_of(&s, ".hall-call.latest .hall-call-number") == "W01-001"
            },
        );
        s.screenshot(&shots.join("37-hall-display-offline.png"));
        s.switch_to_window(&main);
        // F8 ends it (nobody else waits); the hub is back and gets the record.
        s.send_keys(&s.find("body"), "\u{E038}");
        wait_until("W01-001 done", Duration::from_secs(10), || {
            count(&s, "#queue-number") == 0
        });
        hub = Some(HubProcess::start_at(&data, &hub_addr));
        let today = onewindow_hub::store_queue::hall_day(chrono::Utc::now()).to_string();
        wait_until(
            "the offline ticket on the hub",
            Duration::from_secs(30),
            || {
                onewindow_hub::store::HubStore::open_dir(&data)
                    .ok()
                    .and_then(|h| h.figures(&today).ok())
                    .is_some_and(|f| f.total.tickets == 2)
            },
        );
        wait_until("the bar online again", Duration::from_secs(20), || {
            count(&s, "#queue-offline") == 0
        });
    }));
    if let Err(panic) = outcome {
        s.screenshot(&shots_dir().join("failure-sync.png"));
        eprintln!("desk log:\n{}", desk_log(&desk_data));
        s.close();
        std::panic::resume_unwind(panic);
    }
    s.close();
    if let Some(hub) = hub {
        hub.kill();
    }
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
