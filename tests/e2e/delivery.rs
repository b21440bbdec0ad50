//! Enrolment, sign-in, a decision flowing back and delivery, at the real window.

use super::*;

/// Enrolment in the real window (the token goes to a real Secret Service), a case accepted and
/// synced, the approver's decision reaching the window as 待出件, and 出件 flowing back up.
#[test]
fn enrolment_decision_and_delivery_at_the_window() {
    let app = desk_app();
    let tmp = tempfile::tempdir().unwrap();
    let data = demo_hub_with_approver(tmp.path());
    let code = onewindow_tests::enrol_code(&data, "综合受理 1 号窗口");
    let hub = HubProcess::start_args(&data, "127.0.0.1:0", None, &["--now", TEST_NOW]);
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
            "--now",
            TEST_NOW,
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
        let r = onewindow_tests::kiosk_post_blocking(
            &data,
            &hub_url,
            "/kiosk/tickets",
            &[("domain", "ZHSL")],
        );
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
        let today = test_day();
        let figures = onewindow_hub::store::HubStore::open_dir(&data)
            .unwrap()
            .figures(Some("MAIN"), &today)
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
        let t = onewindow_tests::csrf_blocking(&web, &hub_url);
        web.post(format!("{}/office/login", hub_url))
            .form(&[
                ("name", "wang"),
                ("password", "correct horse battery"),
                ("csrf", &t),
            ])
            .send()
            .unwrap();
        let licence = onewindow_tests::tiny_pdf("RESIDENT ID CARD RENEWAL APPROVED");
        let form = reqwest::blocking::multipart::Form::new()
            .text("csrf", t.clone())
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
        hub = Some(HubProcess::start_args(
            &data,
            &hub_addr,
            None,
            &["--now", TEST_NOW],
        ));
        let today = test_day();
        wait_until(
            "the offline ticket on the hub",
            Duration::from_secs(30),
            || {
                onewindow_hub::store::HubStore::open_dir(&data)
                    .ok()
                    .and_then(|h| h.figures(Some("MAIN"), &today).ok())
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

/// The hall day of the test clocks (the hub and the desk both start at [`TEST_NOW`]).
fn test_day() -> String {
    let now = chrono::DateTime::parse_from_rfc3339(TEST_NOW)
        .unwrap()
        .to_utc();
    onewindow_hub::store_queue::hall_day(now).to_string()
}
