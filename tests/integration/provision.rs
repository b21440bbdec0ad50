//! `onewindow-hub provision`: a centre's windows enrolled at once, a file per desk and a sheet
//! of QR codes, and desks enrolling from either with no typing.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use onewindow_app::dto::ErrorCode;
use onewindow_domain::provision::Provision;
use onewindow_tests::{TEST_NOW, TestHub, hub_command_for, pdf_text};

use crate::support::{accepted_case, desk, mock_keyring};

fn provision(args: &[&str]) -> std::process::Output {
    let mut all = vec!["provision"];
    all.extend_from_slice(args);
    hub_command_for(&all).args(&all).output().unwrap()
}

fn said(out: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// The QR codes on the sheet as a scanner reads them (zbarimg over the rendered pages).
fn scanned_codes(pdf: &Path) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let pages = dir.path().join("page");
    let rendered = std::process::Command::new("pdftoppm")
        .args(["-r", "150", "-png"])
        .arg(pdf)
        .arg(&pages)
        .status()
        .unwrap();
    assert!(rendered.success());
    let mut codes = Vec::new();
    let mut files: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    for page in files {
        let out = std::process::Command::new("zbarimg")
            .args(["--quiet", "--raw", "-Sdisable", "-Sqrcode.enable"])
            .arg(&page)
            .output()
            .expect("zbarimg (zbar-tools) is installed by make test");
        codes.extend(
            String::from_utf8_lossy(&out.stdout)
                .lines()
                .filter(|l| !l.is_empty())
                .map(String::from),
        );
    }
    codes.sort();
    codes
}

#[tokio::test(flavor = "multi_thread")]
async fn a_centres_windows_are_provisioned_at_once_and_desks_enrol_with_no_typing() {
    mock_keyring();
    let h = TestHub::new()
        .user("liu", "clerk", "window clerk pass")
        .now(TEST_NOW)
        .tls()
        .start();
    let TestHub { tmp, data, hub, .. } = h;
    let fp = hub.fingerprint.clone().unwrap();
    let out = tmp.path().join("provision");
    let data_s = data.to_str().unwrap();
    let out_s = out.to_str().unwrap();
    let hub_url = hub.url();
    let prov = |centre: &str, windows: &str, out: &str, hub_url: &str| {
        provision(&[
            "--data",
            data_s,
            "--centre",
            centre,
            "--windows",
            windows,
            "--out",
            out,
            "--hub-url",
            hub_url,
        ])
    };

    // Bad requests change nothing.
    let bad = prov("MAIN", "5-2", out_s, &hub_url);
    assert_eq!(bad.status.code(), Some(2));
    assert!(said(&bad).contains("窗口范围"), "{}", said(&bad));
    let bad = prov("MAIN", "1-3", out_s, "http://10.0.0.5:8470");
    assert_eq!(bad.status.code(), Some(2));
    assert!(said(&bad).contains("https://"), "{}", said(&bad));
    let bad = prov("NOPE", "1-3", out_s, &hub_url);
    assert_eq!(bad.status.code(), Some(2), "{}", said(&bad));

    let done = prov("MAIN", "1-3", out_s, &hub_url);
    assert!(done.status.success(), "{}", said(&done));
    assert!(
        said(&done).contains("MAIN-01、MAIN-02、MAIN-03"),
        "{}",
        said(&done)
    );
    let mut lines = Vec::new();
    for (n, code) in ["MAIN-01", "MAIN-02", "MAIN-03"].iter().enumerate() {
        let file = out.join(format!("{code}.onewindow-provision.json"));
        let meta = std::fs::metadata(&file).unwrap();
        assert_eq!(
            meta.permissions().mode() & 0o777,
            0o600,
            "{code}: one-time codes inside"
        );
        let text = std::fs::read_to_string(&file).unwrap();
        let p = Provision::parse(&text).unwrap();
        assert_eq!(p.desk_code, *code);
        assert_eq!(p.window, n as u32 + 1);
        assert_eq!(p.centre, "MAIN");
        assert_eq!(p.hub_url, hub_url);
        assert_eq!(
            p.hub_pin.as_deref(),
            Some(fp.as_str()),
            "the full fingerprint"
        );
        assert!(text.trim().is_ascii(), "a scanner types ASCII only: {text}");
        lines.push(text.trim().to_string());
    }
    // The sheet: A4, every window's code in text and its line in a QR code a scanner reads.
    let sheet = out.join("provision.pdf");
    assert_eq!(
        std::fs::metadata(&sheet).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let text = pdf_text(&sheet);
    for code in ["MAIN-01", "MAIN-02", "MAIN-03", "注册码", "窗口终端配置单"] {
        assert!(
            text.contains(code),
            "{code} missing from the sheet:\n{text}"
        );
    }
    let info = std::process::Command::new("pdfinfo")
        .arg(&sheet)
        .output()
        .unwrap();
    assert!(
        String::from_utf8_lossy(&info.stdout).contains("595 x 842 pts (A4)"),
        "{}",
        String::from_utf8_lossy(&info.stdout)
    );
    let mut expected = lines.clone();
    expected.sort();
    assert_eq!(scanned_codes(&sheet), expected);

    // Files already in the folder are never overwritten (the run stops before any code).
    let over = prov("MAIN", "4", out_s, &hub_url);
    assert_eq!(over.status.code(), Some(2));
    assert!(said(&over).contains("已存在"), "{}", said(&over));
    // The same windows again: refused as a whole, and nothing of the run is kept (window 4,
    // new in it, is still free afterwards).
    let out2 = tmp.path().join("provision-2");
    let out2_s = out2.to_str().unwrap();
    let again = prov("MAIN", "3-4", out2_s, &hub_url);
    assert_eq!(again.status.code(), Some(2));
    assert!(said(&again).contains("MAIN-03"), "{}", said(&again));
    assert!(!out2.join("MAIN-04.onewindow-provision.json").exists());
    let four = prov("MAIN", "4", out2_s, &hub_url);
    assert!(four.status.success(), "{}", said(&four));

    // A desk enrols from its line (the file's text, or the QR code scanned at F10), pinned to
    // the whole fingerprint, and works as MAIN-01: its case numbers begin with the code.
    let one = tmp.path().join("one");
    std::fs::create_dir_all(&one).unwrap();
    let d = desk(&one, "http://127.0.0.1:9".into());
    let status = d.enrol_with_provision(&lines[0]).await.unwrap();
    assert_eq!(status.push.desk_code, "MAIN-01");
    d.login("liu", "window clerk pass").await.unwrap();
    let number = accepted_case(&d, 1).await;
    assert!(number.starts_with("MAIN-01-"), "{number}");
    d.sync_once().await.unwrap();
    assert!(d.rejected_ops().unwrap().is_empty());
    assert_eq!(d.status().push.pending_ops, 0, "the case reached the hub");

    // A code works once: a second PC with the same line is refused.
    let two = tmp.path().join("two");
    std::fs::create_dir_all(&two).unwrap();
    let other = desk(&two, "http://127.0.0.1:9".into());
    let err = other.enrol_with_provision(&lines[0]).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::BadEnrolCode, "{err:?}");
    // What is not a provisioning line says so, in Chinese.
    let err = other
        .enrol_with_provision("ABCD-EFGH-JKLM")
        .await
        .unwrap_err();
    assert!(err.message.contains("终端配置"), "{err:?}");
    // Its own line enrols it.
    let status = other.enrol_with_provision(&lines[1]).await.unwrap();
    assert_eq!(status.push.desk_code, "MAIN-02");
}
