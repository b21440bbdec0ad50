//! Provisioned desks in the real window: one started with `--provision FILE`, one enrolled by
//! the sheet's QR code as a keyboard-wedge scanner types it into the enrolment panel (F10).

use super::*;

fn provisioned(tmp: &Path, data: &Path, hub_url: &str) -> PathBuf {
    let out = tmp.join("provision");
    onewindow_tests::hub_cli(&[
        "provision",
        "--data",
        data.to_str().unwrap(),
        "--centre",
        "MAIN",
        "--windows",
        "1-2",
        "--out",
        out.to_str().unwrap(),
        "--hub-url",
        hub_url,
    ]);
    out
}

#[test]
fn a_desk_enrols_from_its_provisioning_file_and_another_from_the_scanned_qr_code() {
    let app = desk_app();
    let tmp = tempfile::tempdir().unwrap();
    let data = demo_hub_data(tmp.path());
    let hub = HubProcess::start(&data);
    let out = provisioned(tmp.path(), &data, &hub.url());
    let (_xvfb, display) = start_xvfb();
    let (_driver, base) = start_driver(&display);

    // `--provision FILE`, nothing else: the hub comes from the file, the enrolment by itself.
    let first = tmp.path().join("desk-1");
    let file = out.join("MAIN-01.onewindow-provision.json");
    let session = Session::new(
        &base,
        &app,
        &[
            "--provision",
            file.to_str().unwrap(),
            "--data-dir",
            first.to_str().unwrap(),
            "--sync-interval-ms",
            "500",
        ],
    );
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        wait_until("enrolled from the file", Duration::from_secs(30), || {
            attr(&session, "#push-status", "data-state") != "unenrolled"
                && attr(&session, "#push-status", "title").contains("MAIN-01")
        });
        assert_eq!(text_of(&session, "#item-count"), "事项 40 项");
        assert!(desk_log(&first).contains("enrolled from the provisioning file"));
        session.screenshot(&shots_dir().join("71-provisioned-by-file.png"));
    }));
    session.close();
    if let Err(panic) = outcome {
        eprintln!("desk log:\n{}", desk_log(&first));
        std::panic::resume_unwind(panic);
    }

    // A fresh PC knowing only the hub: F10, and the scanner types the QR code's line + Enter.
    let second = tmp.path().join("desk-2");
    let session = Session::new(
        &base,
        &app,
        &[
            "--hub-url",
            &hub.url(),
            "--data-dir",
            second.to_str().unwrap(),
            "--sync-interval-ms",
            "500",
        ],
    );
    let line = std::fs::read_to_string(out.join("MAIN-02.onewindow-provision.json")).unwrap();
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        wait_until("online and unenrolled", Duration::from_secs(30), || {
            text_of(&session, "#connectivity") == "在线"
                && attr(&session, "#push-status", "data-state") == "unenrolled"
        });
        session.send_keys(&session.find("body"), "\u{E03A}");
        wait_until("the enrolment panel", Duration::from_secs(5), || {
            count(&session, "#enrol-panel") == 1
        });
        // Into the field that has the focus, as a scanner does.
        let focused = session.execute("return document.activeElement && document.activeElement.id");
        assert_eq!(focused.as_str(), Some("enrol-code"), "{focused}");
        session.send_keys(
            &session.find("#enrol-code"),
            &format!("{}{}", line.trim(), Key::ENTER),
        );
        wait_until("enrolled from the QR code", Duration::from_secs(15), || {
            attr(&session, "#push-status", "data-state") != "unenrolled"
        });
        assert!(
            attr(&session, "#push-status", "title").contains("MAIN-02"),
            "{}",
            attr(&session, "#push-status", "title")
        );
        session.screenshot(&shots_dir().join("72-provisioned-by-qr.png"));
    }));
    session.close();
    if let Err(panic) = outcome {
        session.screenshot(&shots_dir().join("failure-provision-qr.png"));
        eprintln!("desk log:\n{}", desk_log(&second));
        std::panic::resume_unwind(panic);
    }
}
