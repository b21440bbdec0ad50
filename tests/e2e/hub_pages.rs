//! The hub's pages in headless Chromium: the back office, the kiosk and the live hall display, the tidal windows.

use super::*;

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

    let (driver, s) = chromium();
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
        // The session and CSRF cookies are HttpOnly: the page's own scripts see neither.
        assert_eq!(s.execute("return document.cookie"), serde_json::json!(""));
        // Another site's page posting a form to the hub: Chromium sends that page's Origin and
        // the hub refuses before anything happens; the approver stays signed in.
        s.goto(&format!(
            "data:text/html;charset=utf-8,<form id=f method=post action='{url}/office/logout'>\
             <input name=csrf value=x></form><script>document.getElementById('f').submit()</script>"
        ));
        wait_until(
            "the cross-site form refused",
            Duration::from_secs(10),
            || s.execute("return !!document.querySelector('#refused')") == serde_json::json!(true),
        );
        assert!(text_of(&s, "#refused").contains("其他网站"));
        s.screenshot(&shots.join("20b-cross-site-refused.png"));
        s.goto(&format!("{url}/office"));
        wait_until("still signed in", Duration::from_secs(10), || {
            s.execute("return document.querySelectorAll('#cases .case-row').length")
                == serde_json::json!(1)
        });

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
    let r = onewindow_tests::kiosk_post_blocking(
        &data,
        &hub.url(),
        "/kiosk/tickets",
        &[("domain", "ZHSL"), ("id_number", ""), ("lane", "")],
    );
    assert_eq!(r.status(), 303);

    let (driver, s) = chromium();
    let shots = shots_dir();
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let url = hub.url();
        // A browser that is not a registered kiosk issues nothing; the one-time link from
        // `kiosk add` makes this one a kiosk.
        s.goto(&format!("{url}/kiosk"));
        wait_until("not a kiosk yet", Duration::from_secs(10), || {
            count(&s, "#not-a-kiosk") == 1
        });
        s.goto(&onewindow_tests::kiosk_link(&data, &url));
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
    // 社保医保: more than 12 waiting → the rule gives it window 6.
    for _ in 0..13 {
        let r = onewindow_tests::kiosk_post_blocking(
            &data,
            &hub.url(),
            "/kiosk/tickets",
            &[("domain", "SBYB")],
        );
        assert_eq!(r.status(), 303);
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
