//! Shared harness: temp folders, a real `onewindow-hub` process on 127.0.0.1, demo files.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::time::Duration;

/// The repository root.
mod deb;
mod pg;
pub use deb::desk_deb;
pub use pg::{
    hub_command, hub_command_for, hub_database, hub_db, hub_store, keep_on_sqlite, test_pg,
};
mod bench;
pub use bench::bench_summary;
pub mod replica;
mod web;
pub use web::{
    browser, csrf, csrf_blocking, csrf_of, get_page, kiosk_browser, kiosk_browser_at, kiosk_link,
    kiosk_link_at, kiosk_post_blocking, kiosk_post_blocking_at, office_browser, office_return,
};

pub fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

pub fn demo(name: &str) -> PathBuf {
    root().join("demo").join(name)
}

/// The profile folder the running test or bench was built into (target/debug, target/release).
pub fn profile_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("current exe");
    // target/<profile>/deps/<test binary>
    exe.parent()
        .and_then(Path::parent)
        .expect("test binary under target/<profile>/deps")
        .to_path_buf()
}

/// `onewindow-hub`, built by `cargo test --workspace` (the hub has tests of its own binary) or
/// `cargo build -p onewindow-hub`; `ONEWINDOW_HUB_BIN` overrides.
pub fn hub_binary() -> PathBuf {
    if let Some(p) = std::env::var_os("ONEWINDOW_HUB_BIN") {
        return PathBuf::from(p);
    }
    let p = profile_dir().join("onewindow-hub");
    assert!(
        p.exists(),
        "{} is missing: build it first (cargo build -p onewindow-hub, or run the whole workspace's tests)",
        p.display()
    );
    p
}

/// Runs a hub subcommand to completion; panics with its output if it fails.
pub fn hub_cli(args: &[&str]) -> String {
    let out = hub_command_for(args)
        .args(args)
        .output()
        .expect("run onewindow-hub");
    assert!(
        out.status.success(),
        "onewindow-hub {args:?} failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// `onewindow-hub enrol --data DATA --desk DESK` → the one-time code it printed.
pub fn enrol_code(data: &Path, desk: &str) -> String {
    code_in(&hub_cli(&[
        "enrol",
        "--data",
        data.to_str().unwrap(),
        "--desk",
        desk,
    ]))
}

/// A code that re-enrols the desk with `desk_code` (`enrol --replace`): same device, new token.
pub fn re_enrol_code(data: &Path, desk: &str, desk_code: &str) -> String {
    code_in(&hub_cli(&[
        "enrol",
        "--data",
        data.to_str().unwrap(),
        "--desk",
        desk,
        "--desk-code",
        desk_code,
        "--replace",
    ]))
}

/// The enrolment code in `onewindow-hub enrol`'s output.
pub fn code_in(out: &str) -> String {
    out.lines()
        .find_map(|l| {
            l.split_once("（一次有效）：")
                .map(|(_, c)| c.trim().to_string())
        })
        .unwrap_or_else(|| panic!("no enrolment code in {out}"))
}

/// The business domain of a demo catalog item (what an approver must be given to see it).
pub fn item_domain(code: &str) -> String {
    let cat: serde_json::Value =
        serde_json::from_slice(&std::fs::read(demo("catalog-sample.json")).unwrap()).unwrap();
    cat["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["code"] == code)
        .and_then(|i| i["domain"].as_str())
        .unwrap_or_else(|| panic!("no item {code} in the demo catalog"))
        .to_string()
}

/// The name of a domain of the demo catalog.
pub fn domain_name(code: &str) -> String {
    let cat: serde_json::Value =
        serde_json::from_slice(&std::fs::read(demo("catalog-sample.json")).unwrap()).unwrap();
    cat["domains"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["code"] == code)
        .and_then(|d| d["name"].as_str())
        .unwrap_or_else(|| panic!("no domain {code} in the demo catalog"))
        .to_string()
}

/// Runs a hub subcommand with `stdin` as its standard input (passwords).
pub fn hub_cli_with_stdin(args: &[&str], stdin: &str) -> String {
    use std::io::Write;
    let mut child = hub_command_for(args)
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run onewindow-hub");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "onewindow-hub {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Runs a hub subcommand that must refuse its input (exit 2); returns what it said on stderr.
pub fn hub_cli_refused(args: &[&str]) -> String {
    let out = hub_command_for(args)
        .args(args)
        .output()
        .expect("run onewindow-hub");
    assert_eq!(
        out.status.code(),
        Some(2),
        "onewindow-hub {args:?} should refuse its input: {}",
        String::from_utf8_lossy(&out.stdout)
    );
    String::from_utf8_lossy(&out.stderr).into_owned()
}

pub fn import_catalog(data: &Path, file: &Path) -> String {
    hub_cli(&[
        "import-catalog",
        "--data",
        data.to_str().unwrap(),
        file.to_str().unwrap(),
    ])
}

pub fn import_calendar(data: &Path, file: &Path) -> String {
    hub_cli(&[
        "import-calendar",
        "--data",
        data.to_str().unwrap(),
        file.to_str().unwrap(),
    ])
}

/// A running `onewindow-hub serve`, killed on drop.
pub struct HubProcess {
    child: Child,
    pub addr: String,
    pub data: PathBuf,
    /// The certificate's SHA-256 fingerprint (lowercase hex) of a hub serving HTTPS.
    pub fingerprint: Option<String>,
}

impl HubProcess {
    /// Starts on a free port chosen by the hub itself.
    pub fn start(data: &Path) -> HubProcess {
        Self::start_at(data, "127.0.0.1:0")
    }

    pub fn start_at(data: &Path, bind: &str) -> HubProcess {
        Self::start_with(data, bind, None)
    }

    /// Starts on a free loopback port serving HTTPS (a self-signed certificate made in `data`).
    pub fn start_tls(data: &Path) -> HubProcess {
        Self::start_tls_at(data, "127.0.0.1:0")
    }

    /// Serving HTTPS at `bind` (anything but loopback always is).
    pub fn start_tls_at(data: &Path, bind: &str) -> HubProcess {
        Self::start_args(data, bind, None, &["--tls"])
    }

    /// Starts with a crash-test failpoint (`ONEWINDOW_FAILPOINT`) set, or none.
    pub fn start_with(data: &Path, bind: &str, failpoint: Option<&str>) -> HubProcess {
        Self::start_args(data, bind, failpoint, &[])
    }

    /// Starts with extra `serve` arguments (`--tls`, `--trusted-proxy IP`, …).
    pub fn start_args(
        data: &Path,
        bind: &str,
        failpoint: Option<&str>,
        extra: &[&str],
    ) -> HubProcess {
        let mut cmd = hub_command(Some(data));
        cmd.env_remove("ONEWINDOW_FAILPOINT");
        if let Some(f) = failpoint {
            cmd.env("ONEWINDOW_FAILPOINT", f);
        }
        let tls = extra.contains(&"--tls");
        let mut child = cmd
            .args(["serve", "--data", data.to_str().unwrap(), "--bind", bind])
            .args(extra)
            .env("ONEWINDOW_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start onewindow-hub");
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            // The address, then (with TLS) the fingerprint.
            for _ in 0..if tls { 2 } else { 1 } {
                if let Some(Ok(line)) = lines.next() {
                    let _ = tx.send(line);
                }
            }
            // Keep draining so the hub never blocks on a full pipe.
            for _ in lines {}
        });
        let line = match rx.recv_timeout(Duration::from_secs(20)) {
            Ok(l) => l,
            Err(_) => {
                let _ = child.kill();
                panic!("hub did not report its address within 20 s");
            }
        };
        let addr = line
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line from hub: {line}"))
            .to_string();
        let fingerprint = tls.then(|| {
            let line = rx
                .recv_timeout(Duration::from_secs(5))
                .expect("the hub prints its certificate's fingerprint");
            let grouped = line
                .split_once("：")
                .unwrap_or_else(|| panic!("unexpected fingerprint line: {line}"))
                .1;
            grouped.replace(' ', "").to_ascii_lowercase()
        });
        HubProcess {
            child,
            addr,
            data: data.to_path_buf(),
            fingerprint,
        }
    }

    pub fn url(&self) -> String {
        let scheme = if self.fingerprint.is_some() {
            "https"
        } else {
            "http"
        };
        format!("{scheme}://{}", self.addr)
    }

    /// Kills the process (SIGKILL: no graceful shutdown) and waits for it.
    pub fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits for the process to end by itself (a failpoint); its exit status.
    pub fn wait_exit(mut self, timeout: Duration) -> std::process::ExitStatus {
        let deadline = std::time::Instant::now() + timeout;
        loop {
            if let Some(st) = self.child.try_wait().expect("hub status") {
                return st;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "the hub did not stop within {timeout:?}"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for HubProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A hub data folder with the demo catalog and calendar imported.
pub fn demo_hub_data(dir: &Path) -> PathBuf {
    let data = dir.join("hub");
    import_catalog(&data, &demo("catalog-sample.json"));
    import_calendar(&data, &demo("holidays.json"));
    data
}

/// The same, with the demo e-licence registry too.
pub fn demo_hub_data_with_elicences(dir: &Path) -> PathBuf {
    let data = demo_hub_data(dir);
    hub_cli(&[
        "import-elicences",
        "--data",
        data.to_str().unwrap(),
        demo("elicences-sample.json").to_str().unwrap(),
    ]);
    data
}

/// Text of a PDF as poppler's `pdftotext -layout` reads it.
pub fn pdf_text(path: &Path) -> String {
    let out = std::process::Command::new("pdftotext")
        .args(["-layout", "-enc", "UTF-8"])
        .arg(path)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils) is installed by make test");
    assert!(
        out.status.success(),
        "pdftotext failed on {}",
        path.display()
    );
    String::from_utf8(out.stdout).unwrap()
}

/// A scanned page from the intake fixtures (`page.jpg`, `page.png`, `two-pages.pdf`).
pub fn scan_fixture(name: &str) -> PathBuf {
    root().join("crates/intake/tests/fixtures").join(name)
}

/// The fixture JPEG with `n` appended after its end marker: still a valid JPEG that shows the
/// same page, with different bytes (so a different file to the de-duplication).
pub fn jpeg_variant(n: u32) -> Vec<u8> {
    let mut bytes = std::fs::read(scan_fixture("page.jpg")).unwrap();
    bytes.extend_from_slice(format!("variant {n}").as_bytes());
    bytes
}

/// Writes `bytes` to `path` the way a slow scanner does: 64 KiB at a time, reopening the file
/// between chunks, then renames nothing — the file simply stops growing.
pub fn write_slowly(path: &Path, bytes: &[u8], pause: std::time::Duration) {
    use std::io::Write;
    for (i, chunk) in bytes.chunks(64 * 1024).enumerate() {
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(i > 0)
            .write(true)
            .truncate(i == 0)
            .open(path)
            .unwrap();
        f.write_all(chunk).unwrap();
        drop(f);
        std::thread::sleep(pause);
    }
}

/// A port nobody listens on (bound, then released).
pub fn dead_port_url() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    drop(l);
    format!("http://{addr}")
}

/// A TCP proxy for fault tests: each connection to it is forwarded to `target`, and at random
/// (from `seed`) cut after some bytes, stalled, or slowed down chunk by chunk.
pub struct ChaosProxy {
    addr: std::net::SocketAddr,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
    cuts: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    stalls: std::sync::Arc<std::sync::atomic::AtomicUsize>,
}

impl ChaosProxy {
    pub fn start(target: std::net::SocketAddr, seed: u64) -> ChaosProxy {
        use std::sync::Arc;
        use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        listener.set_nonblocking(true).unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let stop2 = stop.clone();
        let cuts = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let stalls = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        let (cuts2, stalls2) = (cuts.clone(), stalls.clone());
        let state = Arc::new(AtomicU64::new(seed | 1));
        let rand = move |st: &AtomicU64| {
            let mut x = st.load(Ordering::SeqCst);
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            st.store(x, Ordering::SeqCst);
            x
        };
        std::thread::spawn(move || {
            while !stop2.load(Ordering::SeqCst) {
                let Ok((client, _)) = listener.accept() else {
                    std::thread::sleep(std::time::Duration::from_millis(5));
                    continue;
                };
                let _ = client.set_nonblocking(false);
                let Ok(upstream) = std::net::TcpStream::connect(target) else {
                    continue;
                };
                // What this connection suffers: a cut after some bytes, a stall, or latency.
                // Keep-alive makes few connections, so every one gets a byte budget (1–20 MB) after
                // which it is cut; some start with a stall; all get a little latency.
                let cut_after = Some(1_000_000 + (rand(&state) % 19_000_000) as usize);
                let stall = (rand(&state) % 10 < 2).then(|| 100 + rand(&state) % 400);
                let latency = rand(&state) % 4;
                if stall.is_some() {
                    stalls2.fetch_add(1, Ordering::SeqCst);
                }
                for (from, to, limit) in [
                    (
                        client.try_clone().unwrap(),
                        upstream.try_clone().unwrap(),
                        cut_after,
                    ),
                    (upstream, client, cut_after),
                ] {
                    let cuts = cuts2.clone();
                    std::thread::spawn(move || {
                        if pump(from, to, limit, stall, latency) {
                            cuts.fetch_add(1, Ordering::SeqCst);
                        }
                    });
                }
            }
        });
        ChaosProxy {
            addr,
            stop,
            cuts,
            stalls,
        }
    }

    /// Connections cut mid-stream so far.
    pub fn cuts(&self) -> usize {
        self.cuts.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Connections stalled so far.
    pub fn stalls(&self) -> usize {
        self.stalls.load(std::sync::atomic::Ordering::SeqCst)
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for ChaosProxy {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::SeqCst);
    }
}

pub(crate) fn pump(
    mut from: std::net::TcpStream,
    mut to: std::net::TcpStream,
    cut_after: Option<usize>,
    stall_ms: Option<u64>,
    latency_ms: u64,
) -> bool {
    use std::io::{Read, Write};
    if let Some(ms) = stall_ms {
        std::thread::sleep(std::time::Duration::from_millis(ms));
    }
    let mut buf = vec![0u8; 64 * 1024];
    let mut passed = 0usize;
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => n,
        };
        if let Some(limit) = cut_after
            && passed + n > limit
        {
            let _ = to.write_all(&buf[..limit.saturating_sub(passed)]);
            let _ = from.shutdown(std::net::Shutdown::Both);
            let _ = to.shutdown(std::net::Shutdown::Both);
            return true;
        }
        if latency_ms > 0 {
            std::thread::sleep(std::time::Duration::from_millis(latency_ms));
        }
        if to.write_all(&buf[..n]).is_err() {
            break;
        }
        passed += n;
    }
    let _ = from.shutdown(std::net::Shutdown::Both);
    let _ = to.shutdown(std::net::Shutdown::Both);
    false
}

/// A small valid one-page PDF showing `text` (ASCII) in Helvetica: what an approver's result
/// file looks like to the desk (poppler reads it back).
pub fn tiny_pdf(text: &str) -> Vec<u8> {
    let stream = format!("BT /F1 24 Tf 72 720 Td ({text}) Tj ET");
    let objects = [
        "<< /Type /Catalog /Pages 2 0 R >>".to_string(),
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>".to_string(),
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R \
         /Resources << /Font << /F1 5 0 R >> >> >>"
            .to_string(),
        format!(
            "<< /Length {} >>\nstream\n{stream}\nendstream",
            stream.len()
        ),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>".to_string(),
    ];
    let mut out = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (i, o) in objects.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n{o}\nendobj\n", i + 1).as_bytes());
    }
    let xref = out.len();
    out.extend_from_slice(
        format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes(),
    );
    for o in offsets {
        out.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objects.len() + 1
        )
        .as_bytes(),
    );
    out
}

/// The cache key of the desks the tests make (the app's own desks keep theirs in the OS
/// keyring); tests open those caches with it to look inside.
pub const TEST_CACHE_KEY: [u8; 32] = [0x42; 32];

/// A desk's cache (made by a test desk), opened with [`TEST_CACHE_KEY`].
pub fn desk_store(path: &Path) -> onewindow_store::Store {
    onewindow_store::Store::open_encrypted(path, &TEST_CACHE_KEY).expect("the test desk's cache")
}

/// A blob folder sealed as a test desk seals its own (with [`TEST_CACHE_KEY`]).
pub fn sealed_blobs(dir: &Path) -> onewindow_intake::IntakeConfig {
    let mut c = onewindow_intake::IntakeConfig::under(dir, dir);
    c.blobs = dir.to_path_buf();
    c.sealed(onewindow_intake::Seal::from_cache_key(&TEST_CACHE_KEY))
}

/// Stores `bytes` in a sealed blob folder as intake would; their SHA-256.
pub fn put_blob(blobs: &onewindow_intake::IntakeConfig, bytes: &[u8]) -> String {
    use sha2::Digest;
    let sha = format!("{:x}", sha2::Sha256::digest(bytes));
    let path = blobs.blob_path(&sha).expect("a SHA-256");
    std::fs::create_dir_all(path.parent().expect("a folder")).expect("blob folder");
    blobs.write_file(&path, bytes).expect("blob written");
    sha
}

/// A raw SQLite connection to a test desk's cache (for tests that tamper with it).
pub fn desk_db(path: &Path) -> rusqlite::Connection {
    onewindow_store::keyed_connection(path, &TEST_CACHE_KEY).expect("the test desk's cache")
}

/// Adds a hub user (`onewindow-hub user add`) with its password on stdin.
pub fn add_user(data: &Path, name: &str, role: &str, password: &str) {
    add_user_at(data, name, role, password, &[]);
}

/// [`add_user`] with more of `user add`'s flags (`--centre CODE`, `--domain CODE`).
pub fn add_user_at(data: &Path, name: &str, role: &str, password: &str, more: &[&str]) {
    let mut args = vec![
        "user",
        "add",
        "--data",
        data.to_str().unwrap(),
        "--name",
        name,
        "--role",
        role,
        "--password-stdin",
    ];
    args.extend_from_slice(more);
    hub_cli_with_stdin(&args, &format!("{password}\n"));
}

/// A small file system of its own (tmpfs) for tests of a full disk, unmounted on drop. `None`
/// where mounting is not allowed (not root): such a test says so and does nothing. CI runs as
/// root, so there it always runs.
pub struct SmallDisk {
    pub path: PathBuf,
    _dir: tempfile::TempDir,
}

impl SmallDisk {
    pub fn mount(megabytes: u32) -> Option<SmallDisk> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("disk");
        std::fs::create_dir(&path).unwrap();
        let ok = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={megabytes}m"), "tmpfs"])
            .arg(&path)
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            eprintln!(
                "skipped: cannot mount a {megabytes} MB tmpfs here (run as root, as CI does)"
            );
            return None;
        }
        Some(SmallDisk { path, _dir: dir })
    }

    /// Writes a filler file until the disk has at most `leave` bytes free (0: full).
    pub fn fill(&self, name: &str, leave: u64) {
        use std::io::Write;
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.path.join(name))
            .unwrap();
        let chunk = vec![0x5a_u8; 64 * 1024];
        loop {
            let free = fs4::available_space(&self.path).unwrap();
            if free <= leave {
                return;
            }
            let n = (free - leave).min(chunk.len() as u64) as usize;
            if f.write_all(&chunk[..n]).is_err() {
                return; // full
            }
        }
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg("-l")
            .arg(&self.path)
            .status();
    }
}

/// A hub for one test, set up the way most tests need it: the demo catalog and calendar,
/// optionally the e-licence registry and the demo queue configuration, users and one-time
/// enrolment codes for named desks, then the real `onewindow-hub` process on a free port.
///
/// ```ignore
/// let h = TestHub::new().queue().user("liu", "clerk", "window clerk pass").desk("1 号窗口").start();
/// let d = h.desk_app("desk");
/// d.enrol(&h.url(), &h.code("1 号窗口"), "").await.unwrap();
/// ```
pub struct TestHub {
    /// The test's own folder (the hub's data is `data` inside it; desks go beside it).
    pub tmp: tempfile::TempDir,
    pub data: PathBuf,
    pub hub: HubProcess,
    codes: Vec<(String, String)>,
}

/// What [`TestHub::new`] will set up before the hub starts.
pub struct TestHubSetup {
    tmp: tempfile::TempDir,
    elicences: bool,
    queue: bool,
    users: Vec<(String, String, String)>,
    desks: Vec<(String, Option<String>)>,
    now: Option<String>,
    tls: bool,
}

impl TestHub {
    #[allow(clippy::new_ret_no_self)]
    pub fn new() -> TestHubSetup {
        TestHubSetup {
            tmp: tempfile::tempdir().unwrap(),
            elicences: false,
            queue: false,
            users: Vec::new(),
            desks: Vec::new(),
            now: None,
            tls: false,
        }
    }

    pub fn url(&self) -> String {
        self.hub.url()
    }

    /// The one-time enrolment code made for the desk named `desk` (see [`TestHubSetup::desk`]).
    pub fn code(&self, desk: &str) -> String {
        self.codes
            .iter()
            .find(|(d, _)| d == desk)
            .unwrap_or_else(|| panic!("no enrolment code was made for {desk}"))
            .1
            .clone()
    }

    /// `dir` inside the test's folder.
    pub fn path(&self, dir: &str) -> PathBuf {
        self.tmp.path().join(dir)
    }

    /// A desk app under `dir` (cache, scans and printed files inside it) that syncs with this
    /// hub by hand (`sync_once`), on 2026-11-27, with the test cache key.
    pub fn desk_app(&self, dir: &str) -> std::sync::Arc<onewindow_app::Desk> {
        onewindow_app::Desk::open(test_desk_config(&self.path(dir), self.url()))
    }
}

/// The instant a test desk's clock starts at (`test_desk_config`); a hub whose records are
/// compared with the desk's times (audit dates, sign-in horizons) starts there too
/// (`TestHub::now(TEST_NOW)`, `serve --now`).
pub const TEST_NOW: &str = "2026-11-27T09:00:00+08:00";

/// The configuration of a desk for the tests: under `dir` (cache in `desk/`, hot folder
/// `scans/`, printer folder `printed/`), syncing by hand, its clock starting at [`TEST_NOW`],
/// the test cache key.
pub fn test_desk_config(dir: &Path, hub_url: String) -> onewindow_app::DeskConfig {
    onewindow_app::DeskConfig {
        sync_interval: std::time::Duration::from_secs(3600),
        printer: onewindow_app::print::PrintTarget::Folder(dir.join("printed")),
        clock: onewindow_domain::clock::Clock::starting_at(
            chrono::DateTime::parse_from_rfc3339(TEST_NOW)
                .unwrap()
                .to_utc(),
        ),
        hot_folder: dir.join("scans"),
        cache_key: onewindow_app::cache_key::CacheKey::Fixed(TEST_CACHE_KEY),
        ..onewindow_app::DeskConfig::new(dir.join("desk"), hub_url)
    }
}

impl TestHubSetup {
    /// The demo e-licence registry too.
    pub fn elicences(mut self) -> Self {
        self.elicences = true;
        self
    }

    /// The demo queue configuration (`demo/queue.json`), imported before the hub starts.
    pub fn queue(mut self) -> Self {
        self.queue = true;
        self
    }

    /// A user with a role (`clerk`, `supervisor`, `approver`, `admin`) and no domains.
    pub fn user(mut self, name: &str, role: &str, password: &str) -> Self {
        self.users.push((name.into(), role.into(), password.into()));
        self
    }

    /// A one-time enrolment code for a desk of this name (`TestHub::code`).
    pub fn desk(mut self, name: &str) -> Self {
        self.desks.push((name.into(), None));
        self
    }

    /// A desk with the desk code `code` (its case numbers begin with it).
    pub fn desk_coded(mut self, name: &str, code: &str) -> Self {
        self.desks.push((name.into(), Some(code.into())));
        self
    }

    /// The hub's clock starts at this instant (`serve --now`).
    pub fn now(mut self, at: &str) -> Self {
        self.now = Some(at.into());
        self
    }

    /// Serve HTTPS (a self-signed certificate made in the data folder).
    pub fn tls(mut self) -> Self {
        self.tls = true;
        self
    }

    pub fn start(self) -> TestHub {
        let data = if self.elicences {
            demo_hub_data_with_elicences(self.tmp.path())
        } else {
            demo_hub_data(self.tmp.path())
        };
        if self.queue {
            let queue = demo("queue.json");
            hub_cli(&[
                "import-queue",
                "--data",
                data.to_str().unwrap(),
                queue.to_str().unwrap(),
            ]);
        }
        for (name, role, password) in &self.users {
            add_user(&data, name, role, password);
        }
        let codes = self
            .desks
            .iter()
            .map(|(d, code)| match code {
                None => (d.clone(), enrol_code(&data, d)),
                Some(c) => (
                    d.clone(),
                    code_in(&hub_cli(&[
                        "enrol",
                        "--data",
                        data.to_str().unwrap(),
                        "--desk",
                        d,
                        "--desk-code",
                        c,
                    ])),
                ),
            })
            .collect();
        let mut extra: Vec<&str> = Vec::new();
        if self.tls {
            extra.push("--tls");
        }
        if let Some(now) = &self.now {
            extra.extend(["--now", now.as_str()]);
        }
        let hub = HubProcess::start_args(&data, "127.0.0.1:0", None, &extra);
        TestHub {
            tmp: self.tmp,
            data,
            hub,
            codes,
        }
    }
}

/// The key hub.db is encrypted with (`DATA/keys/hub.key`).
pub fn hub_db_key(data: &Path) -> [u8; 32] {
    let hex = std::fs::read_to_string(data.join("keys/hub.key")).expect("the hub's database key");
    let hex = hex.trim();
    let mut key = [0u8; 32];
    for (i, k) in key.iter_mut().enumerate() {
        *k = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).expect("hex");
    }
    key
}

/// A raw connection to the hub's encrypted hub.db (SQLite runs only), for tests of the file itself.
pub fn hub_sqlite(data: &Path) -> rusqlite::Connection {
    onewindow_store::keyed_connection(&data.join("hub.db"), &hub_db_key(data))
        .expect("hub.db opens with its key")
}
