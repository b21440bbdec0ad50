//! The desk window: search, guides and offline, and a case from scan to receipt.

use super::*;

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
    // Accepted at the window; the enrolled desk may have handed it off already (its push runs
    // at once), which shows as 已流转.
    wait_until("accepted", Duration::from_secs(15), || {
        matches!(
            attr(s, "#case-state", "data-state").as_str(),
            "accepted" | "handed_off"
        )
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
    let data = demo_hub_data_with_elicences(tmp.path());
    // The e-licence registry answers only a clerk signed in through the hub at an enrolled
    // desk: the desk enrols as RC01 and 李窗口 signs in before the applicant comes.
    onewindow_tests::add_user(&data, "李窗口", "clerk", "window clerk pass");
    let code = onewindow_tests::code_in(&onewindow_tests::hub_cli(&[
        "enrol",
        "--data",
        data.to_str().unwrap(),
        "--desk",
        "综合受理 1 号窗口",
        "--desk-code",
        "RC01",
    ]));
    let hub = HubProcess::start_args(&data, "127.0.0.1:0", None, &["--now", TEST_NOW]);
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
            "--now",
            TEST_NOW,
            "--hot-folder",
            hot.to_str().unwrap(),
            "--printer",
            &printer,
        ],
    );
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        enrol_and_sign_in(&session, &code, "李窗口", "window clerk pass");
        acceptance(&session, &hot, &printed_dir);
        // The desk's audit records reach the hub signed with the key the enrolment made (kept
        // in the real Secret Service), and the hub's check of the stored chain passes.
        wait_until(
            "the signed audit chain on the hub",
            Duration::from_secs(20),
            || {
                onewindow_hub::store::HubStore::open_dir(&data)
                    .unwrap()
                    .verify_audit_chains()
                    .unwrap()
                    .iter()
                    .any(|c| {
                        c.desk_code == "RC01"
                            && c.broken.is_none()
                            && c.signed >= 5
                            && c.signed == c.records
                    })
            },
        );
        // A newer release published on the hub: the status bar says so.
        let newer = format!("{}+next9", env!("CARGO_PKG_VERSION"));
        let debs = tempfile::tempdir().unwrap();
        let deb = onewindow_tests::desk_deb(debs.path(), &newer);
        onewindow_tests::hub_cli(&[
            "publish-desk",
            "--data",
            data.to_str().unwrap(),
            deb.to_str().unwrap(),
        ]);
        wait_until("新版本 … 已发布", Duration::from_secs(40), || {
            text_of(&session, "#update-published") == format!("新版本 {newer} 已发布")
        });
        session.screenshot(&shots_dir().join("14-update-published.png"));
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
