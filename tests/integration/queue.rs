//! The queue across desk and hub: the window a desk drives, calls and their announcements,
//! the offline walk-in queue, appointments at the kiosk and the hall display.

use onewindow_app::dto::ErrorCode;
use std::time::Duration;

use onewindow_app::dto::{NewCaseRequest, SaveIntakeRequest, ScreenMode, WindowState};
use onewindow_app::print::PrintTarget;
use onewindow_app::{Desk, DeskConfig};
use onewindow_tests::{HubProcess, TestHub, demo_hub_data, enrol_code, hub_cli};

use crate::support::mock_keyring;

#[tokio::test(flavor = "multi_thread")]
async fn a_desk_drives_only_the_window_it_sits_at() {
    let tmp = tempfile::tempdir().unwrap();
    let data = demo_hub_data(tmp.path());
    let queue = onewindow_tests::demo("queue.json");
    // W01 sits at window 1 (综合受理, 公安户政); a desk with a code the configuration does not
    // name sits nowhere.
    let w01 = enrol_code(&data, "1 号窗口");
    let nowhere = onewindow_tests::code_in(&hub_cli(&[
        "enrol",
        "--data",
        data.to_str().unwrap(),
        "--desk",
        "咨询台",
        "--desk-code",
        "ZX1",
    ]));
    let hub = HubProcess::start(&data);
    let enrol = |code: String| {
        let url = hub.url();
        async move {
            let c = onewindow_sync::HubClient::new(&url);
            let t = c.enrol(&code).await.unwrap().token;
            c.with_token(&t)
        }
    };
    let desk = enrol(w01).await;
    let other = enrol(nowhere).await;
    // Before a configuration is published nothing can be called.
    let err = desk.queue_call_next("li").await.unwrap_err();
    assert!(
        matches!(err, onewindow_sync::SyncError::Hub { status: 400, .. }),
        "{err:?}"
    );
    hub_cli(&[
        "import-queue",
        "--data",
        data.to_str().unwrap(),
        queue.to_str().unwrap(),
    ]);
    let (web, t) = onewindow_tests::kiosk_browser(&data, &hub.url()).await;
    for domain in ["SCJG", "GAHZ", "ZHSL"] {
        let r = web
            .post(format!("{}/kiosk/tickets", hub.url()))
            .form(&[("domain", domain), ("csrf", &t)])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303, "{domain}");
    }
    // An unknown domain is refused on the kiosk page, and nothing is issued.
    let r = web
        .post(format!("{}/kiosk/tickets", hub.url()))
        .form(&[("domain", "NOPE"), ("csrf", &t)])
        .send()
        .await
        .unwrap();
    assert!(r.text().await.unwrap().contains("该业务暂不能取号"));
    // Window 1 calls its own domains only: E001 (issued before A001), then A001; never B001.
    let first = desk.queue_call_next("li").await.unwrap();
    assert_eq!(first.ticket.unwrap().number, "E001");
    assert_eq!(first.waiting_for_window, 1);
    let second = desk.queue_call_next("li").await.unwrap();
    assert_eq!(second.ticket.unwrap().number, "A001");
    assert!(desk.queue_call_next("li").await.unwrap().ticket.is_none());
    let err = other.queue_call_next("zhang").await.unwrap_err();
    assert!(
        matches!(err, onewindow_sync::SyncError::Hub { status: 400, code: onewindow_proto::ApiErrorCode::QueueNoWindow, ref message, .. } if message.contains("sits at no window")),
        "{err:?}"
    );
    // No token, no calling; a blank clerk is refused.
    let r = web
        .post(format!(
            "{}{}",
            hub.url(),
            onewindow_proto::paths::QUEUE_CALL_NEXT
        ))
        .json(&serde_json::json!({"clerk": "li"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert!(desk.queue_call_next(" ").await.is_err());
    let board: onewindow_proto::HallBoard = web
        .get(format!(
            "{}{}",
            hub.url(),
            onewindow_proto::paths::QUEUE_BOARD
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(board.calls[0].number, "A001");
    assert_eq!(
        board.windows[0].current, None,
        "calling next with nobody waiting finished A001"
    );

    // The applicant rates the service (the last one this window finished: A001); a bad
    // rating needs a reason and reaches the supervisor's rectification list.
    let err = desk.queue_rating(2, &[], "").await.unwrap_err();
    assert!(
        matches!(err, onewindow_sync::SyncError::Hub { status: 400, .. }),
        "{err:?}"
    );
    desk.queue_rating(1, &["办事效率低、等候时间长".into()], "等了很久")
        .await
        .unwrap();
    assert!(desk.queue_rating(5, &[], "").await.is_err(), "rated once");
    onewindow_tests::add_user(&data, "zhou", "supervisor", "hall supervisor pass");
    let office = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let t = onewindow_tests::csrf(&office, &hub.url()).await;
    office
        .post(format!("{}/office/login", hub.url()))
        .form(&[
            ("name", "zhou"),
            ("password", "hall supervisor pass"),
            ("csrf", &t),
        ])
        .send()
        .await
        .unwrap();
    let page = office
        .get(format!("{}/office/ratings", hub.url()))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("非常不满意") && page.contains("A001") && page.contains("待整改"),
        "{page}"
    );
    let id = page
        .split("data-id=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap()
        .to_string();
    let r = office
        .post(format!("{}/office/ratings/{id}/advance", hub.url()))
        .form(&[("note", ""), ("csrf", &t)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let r = office
        .post(format!("{}/office/ratings/{id}/advance", hub.url()))
        .form(&[("note", "增开潮汐窗口，高峰期加派人手"), ("csrf", &t)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let page = office
        .get(format!("{}/office/ratings", hub.url()))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("已整改") && page.contains("标记已回访"),
        "{page}"
    );
    hub.kill();
    // The rectification is in the hub's audit chain, with who and what.
    let log = onewindow_tests::hub_store(&data).hub_audit(5).unwrap();
    assert!(
        log.recent
            .iter()
            .any(|r| r.action == "rating_rectify" && r.actor == "zhou"),
        "{:?}",
        log.recent
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_clerk_calls_recalls_serves_and_transfers_from_the_desk_and_each_call_is_announced() {
    mock_keyring();
    let h = TestHub::new().queue().desk("1 号窗口").start();
    let code = h.code("1 号窗口");
    let TestHub { tmp, data, hub, .. } = h;
    let wavs = tmp.path().join("announced");
    std::fs::create_dir_all(&wavs).unwrap();
    let d = Desk::open(DeskConfig {
        sync_interval: Duration::from_secs(3600),
        printer: PrintTarget::Folder(tmp.path().join("printed")),
        announce_to_wav: Some(wavs.clone()),
        cache_key: onewindow_app::cache_key::CacheKey::Fixed(onewindow_tests::TEST_CACHE_KEY),
        ..DeskConfig::new(tmp.path().join("desk"), hub.url())
    });
    d.sync_once().await.unwrap();
    let v = d.queue_status();
    assert!(v.reason.unwrap().contains("尚未在中心注册"));
    assert!(d.queue_call_next().await.is_err());
    d.enrol(&hub.url(), &code, "").await.unwrap();
    let v = d.queue_status();
    assert_eq!((v.window, v.reason.as_deref()), (Some(1), None));
    assert!(v.transfer_domains.iter().any(|t| t.code == "SBYB"));

    let (web, t) = onewindow_tests::kiosk_browser(&data, &hub.url()).await;
    for (domain, id) in [("ZHSL", ""), ("ZHSL", "371082196611270015")] {
        web.post(format!("{}/kiosk/tickets", hub.url()))
            .form(&[
                ("domain", domain),
                ("id_number", id),
                ("lane", ""),
                ("csrf", &t),
            ])
            .send()
            .await
            .unwrap();
    }
    // The calling bar's poll asks the hub: two wait for window 1.
    let v = d.queue_refresh().await;
    assert_eq!((v.waiting, v.current.is_none()), (2, true));
    let v = d.queue_call_next().await.unwrap();
    let cur = v.current.unwrap();
    assert_eq!(cur.number, "A002", "the lane first");
    assert_eq!(cur.priority_label.as_deref(), Some("绿色通道（老年人）"));
    assert_eq!(
        (v.waiting, v.flash.unwrap().text.as_str()),
        (1, "已叫 A002 号")
    );
    let v = d.queue_step("recall").await.unwrap();
    assert_eq!(v.current.unwrap().recalls, 1);
    let v = d.queue_step("serve").await.unwrap();
    assert_eq!(v.current.unwrap().state_label, "办理中");
    let err = d.queue_step("no_show").await.unwrap_err();
    assert_eq!(err.message, "该号已在办理，不能再按过号处理");
    // Sent to 社保医保 with its original time; window 1 no longer has it.
    let v = d.queue_transfer(None, Some("SBYB".into())).await.unwrap();
    assert!(v.current.is_none());
    assert!(v.flash.unwrap().text.contains("按原取号时间"));
    assert!(d.queue_transfer(None, None).await.is_err());
    // Paused: calling says so; resumed, A001 is called.
    let v = d.queue_set_window("paused").await.unwrap();
    assert_eq!(v.window_state, Some(WindowState::Paused));
    assert_eq!(
        d.queue_call_next().await.unwrap_err().message,
        "本窗口已暂停，请先恢复服务再叫号"
    );
    d.queue_set_window("open").await.unwrap();
    assert_eq!(
        d.queue_call_next().await.unwrap().current.unwrap().number,
        "A001"
    );
    let v = d.queue_call_next().await.unwrap();
    assert!(v.current.is_none());
    assert_eq!(v.flash.unwrap().text, "当前没有等候的号");
    // 现场取号 for one of this window's domains: served at once, not announced.
    assert_eq!(
        v.window_domains
            .iter()
            .map(|t| t.code.as_str())
            .collect::<Vec<_>>(),
        ["ZHSL", "GAHZ"]
    );
    assert!(d.queue_walk_in("SCJG").await.is_err());
    let v = d.queue_walk_in("GAHZ").await.unwrap();
    let cur = v.current.unwrap();
    assert_eq!(
        (cur.number.as_str(), cur.state),
        ("E001", onewindow_app::dto::TicketState::Serving)
    );

    // The applicant's screen: their ticket, then the case on the clerk's screen (masked), then
    // the rating when the clerk invites it.
    let screen = d.applicant_screen();
    assert_eq!(
        (screen.mode, screen.ticket.as_deref()),
        (ScreenMode::Idle, Some("E001"))
    );
    assert_eq!(screen.levels.len(), 5);
    let case = d
        .new_case(&NewCaseRequest {
            item_code: Some("00017200100002".into()),
            scenario_code: Some("00017200100002-01".into()),
            bundle_code: None,
        })
        .unwrap();
    d.save_intake(&SaveIntakeRequest {
        case_id: case.id.clone(),
        applicant: onewindow_app::dto::ApplicantInput {
            kind: onewindow_domain::applicant::ApplicantKind::Person,
            name: "徐志强".into(),
            number: "371082199906080810".into(),
            phone: "13906310001".into(),
            ..Default::default()
        },
        form: Default::default(),
    })
    .await
    .unwrap();
    let screen = d.applicant_screen();
    assert_eq!(screen.mode, ScreenMode::Case);
    let shown = serde_json::to_string(&screen).unwrap();
    assert!(shown.contains("371082********0810") && !shown.contains("371082199906080810"));
    assert!(screen.case.unwrap().materials.len() >= 2);
    let err = d.applicant_rate(5, &[], "").await.unwrap_err();
    assert_eq!(err.code, ErrorCode::NotAsked, "only when the clerk invites");
    d.invite_rating().unwrap();
    assert_eq!(d.applicant_screen().mode, ScreenMode::Rate);
    let err = d.applicant_rate(2, &[], "").await.unwrap_err();
    assert!(err.message.contains("至少选择一项原因"));
    let v = d
        .applicant_rate(2, &["窗口人员业务不熟练".into()], "")
        .await
        .unwrap();
    assert_eq!(v.mode, ScreenMode::Thanks);
    let bad = onewindow_tests::hub_store(&data).bad_ratings(None).unwrap();
    assert_eq!(bad.len(), 1);
    assert_eq!(bad[0].ticket.as_deref(), Some("E001"));

    // Three announcements (call, recall, call), rendered one after the other.
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while std::fs::read_dir(&wavs).unwrap().count() < 3 && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(std::fs::read_dir(&wavs).unwrap().count(), 3);
    assert!(d.queue_status().announce_error.is_none());
    hub.kill();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offline_walk_ins_are_served_at_the_desk_and_reach_the_hub_when_it_is_back() {
    mock_keyring();
    let h = TestHub::new().queue().desk("1 号窗口").start();
    let code = h.code("1 号窗口");
    let TestHub { tmp, data, hub, .. } = h;
    let addr = hub.addr.clone();
    let wavs = tmp.path().join("announced");
    std::fs::create_dir_all(&wavs).unwrap();
    let d = Desk::open(DeskConfig {
        sync_interval: Duration::from_secs(3600),
        printer: PrintTarget::Folder(tmp.path().join("printed")),
        announce_to_wav: Some(wavs.clone()),
        cache_key: onewindow_app::cache_key::CacheKey::Fixed(onewindow_tests::TEST_CACHE_KEY),
        ..DeskConfig::new(tmp.path().join("desk"), hub.url())
    });
    d.enrol(&hub.url(), &code, "").await.unwrap();
    d.sync_once().await.unwrap();
    let (web, t) = onewindow_tests::kiosk_browser(&data, &hub.url()).await;
    let hub_url = hub.url();
    let kiosk = |domain: &'static str| {
        let (web, url, t) = (web.clone(), hub_url.clone(), t.clone());
        async move {
            let r = web
                .post(format!("{url}/kiosk/tickets"))
                .form(&[("domain", domain), ("csrf", &t)])
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 303);
        }
    };
    kiosk("ZHSL").await;
    assert_eq!(
        d.queue_call_next().await.unwrap().current.unwrap().number,
        "A001"
    );
    d.queue_step("serve").await.unwrap();

    // The hub goes away while A001 is at the window.
    hub.kill();
    let v = d.queue_walk_in("ZHSL").await.unwrap();
    assert!(v.offline);
    assert!(
        v.flash
            .unwrap()
            .text
            .contains("离线取号 W01-001，在本窗口排队"),
        "A001 is still at the window, so W01-001 waits"
    );
    assert_eq!(v.waiting, 1);
    let v = d.queue_call_next().await.unwrap();
    let cur = v.current.unwrap();
    assert_eq!(
        (cur.number.as_str(), cur.state),
        ("W01-001", onewindow_app::dto::TicketState::Called)
    );
    assert_eq!(v.flash.unwrap().text, "已叫 W01-001 号（离线）");
    assert_eq!(
        d.queue_step("recall")
            .await
            .unwrap()
            .current
            .unwrap()
            .recalls,
        1
    );
    assert!(
        d.queue_transfer(Some(2), None)
            .await
            .unwrap_err()
            .message
            .contains("不能转移")
    );
    d.queue_step("serve").await.unwrap();
    // A one-time notice while W01-001 is served counts against it.
    let case = d
        .new_case(&NewCaseRequest {
            item_code: Some("00017200100002".into()),
            scenario_code: Some("00017200100002-01".into()),
            bundle_code: None,
        })
        .unwrap();
    let notice = d.issue_notice(&case.id).unwrap();
    assert_eq!(notice.state, onewindow_app::dto::CaseState::NeedsCorrection);
    // The applicant rates the service on their screen; it stays on the desk for now.
    d.invite_rating().unwrap();
    assert_eq!(
        d.applicant_rate(4, &[], "").await.unwrap().mode,
        ScreenMode::Thanks
    );
    // Someone else walks in; W01-001 ends with the next call, W01-002 does not come.
    let v = d.queue_walk_in("GAHZ").await.unwrap();
    assert!(v.flash.unwrap().text.contains("W01-002"));
    assert_eq!(
        d.queue_call_next().await.unwrap().current.unwrap().number,
        "W01-002"
    );
    assert_eq!(d.queue_step("no_show").await.unwrap().current, None);
    let v = d.queue_call_next().await.unwrap();
    assert!(v.offline && v.current.is_none());
    let flash = v.flash.unwrap();
    assert!(!flash.ok && flash.text.contains("离线取号"), "{flash:?}");

    // The hub is back: the desk's outbox brings the two tickets, the notice and the rating.
    let hub = HubProcess::start_at(&data, &addr);
    d.sync_once().await.unwrap();
    let health = d.status().push;
    assert_eq!((health.pending_ops, health.rejected), (0, 0), "{health:?}");
    let store = onewindow_tests::hub_store(&data);
    let today = onewindow_domain::ticket::hall_day(chrono::Utc::now()).to_string();
    let f = store.figures(Some("MAIN"), &today).unwrap();
    assert_eq!(f.total.tickets, 3, "A001 and the two offline tickets");
    assert_eq!(f.total.no_shows, 1);
    assert_eq!(
        (f.total.notices, f.total.ratings, f.total.satisfied),
        (1, 1, 1)
    );
    let w1 = f.by_window.iter().find(|r| r.key == "1").unwrap();
    assert_eq!((w1.tickets, w1.notices), (3, 1));
    // The hall display shows live calls only, never the offline ones told afterwards.
    let board = store.hall_board("MAIN", chrono::Utc::now()).unwrap();
    assert!(board.calls.iter().all(|c| !c.number.starts_with("W01-")));
    // The kiosk's numbering goes on, and calling is the hub's again.
    kiosk("ZHSL").await;
    let v = d.queue_call_next().await.unwrap();
    assert_eq!(v.current.unwrap().number, "A002");
    assert!(!v.offline);
    hub.kill();
}

#[tokio::test(flavor = "multi_thread")]
async fn appointments_are_imported_and_checked_in_at_the_kiosk_by_code() {
    let tmp = tempfile::tempdir().unwrap();
    let data = demo_hub_data(tmp.path());
    let dir = data.to_str().unwrap();
    let file = tmp.path().join("appointments.json");
    // Before a queue configuration there are no domains to book.
    std::fs::write(&file, r#"{"appointments": []}"#).unwrap();
    let out = onewindow_tests::hub_command(Some(std::path::Path::new(dir)))
        .args(["import-appointments", "--data", dir, file.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("请先运行 import-queue"));
    let queue = onewindow_tests::demo("queue.json");
    hub_cli(&["import-queue", "--data", dir, queue.to_str().unwrap()]);
    // A file with problems is refused whole, each problem named.
    std::fs::write(
        &file,
        r#"{"appointments": [{"code": "GOOD01", "domain": "ZHSL", "time": "10:00"},
            {"code": "BAD!", "domain": "ZHSL", "time": "10:00"},
            {"code": "BAD02", "domain": "XX", "time": "10:00"}]}"#,
    )
    .unwrap();
    let said = onewindow_tests::hub_cli_refused(&[
        "import-appointments",
        "--data",
        dir,
        file.to_str().unwrap(),
    ]);
    assert!(said.contains("共有 2 处问题"), "{said}");
    assert!(
        said.contains("第 3 条预约（BAD02）：叫号配置中没有业务领域 XX"),
        "{said}"
    );
    // The slot: this very minute in the hall (so the test never straddles midnight).
    let now = chrono::Utc::now().with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).unwrap());
    let slot = now.format("%Y-%m-%d %H:%M").to_string();
    std::fs::write(
        &file,
        format!(
            r#"{{"appointments": [{{"code": "K7Q2MX", "domain": "GAHZ", "time": "{slot}", "name": "王小明"}},
                {{"code": "TMRW01", "domain": "GAHZ", "time": "2099-01-01 09:00", "name": "李红"}}]}}"#
        ),
    )
    .unwrap();
    let said = hub_cli(&["import-appointments", "--data", dir, file.to_str().unwrap()]);
    assert!(said.contains("新增 2 条"), "{said}");

    let hub = HubProcess::start(&data);
    let (web, t) = onewindow_tests::kiosk_browser(&data, &hub.url()).await;
    let check_in = |code: &'static str| {
        let (web, url, t) = (web.clone(), hub.url(), t.clone());
        async move {
            web.post(format!("{url}/kiosk/appointments"))
                .form(&[("code", code), ("csrf", &t)])
                .send()
                .await
                .unwrap()
        }
    };
    let r = check_in("k7q2mx").await;
    assert_eq!(r.status(), 303);
    let slip_at = r.headers()["location"].to_str().unwrap().to_string();
    let slip = web
        .get(format!("{}{slip_at}", hub.url()))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        slip.contains(r#"<div id="ticket-number">E001</div>"#),
        "{slip}"
    );
    assert!(slip.contains(&format!("预约 {}", now.format("%H:%M"))));
    // A second check-in finds the same ticket; nothing new is issued.
    let again = check_in("K7Q2MX").await;
    assert_eq!(again.headers()["location"].to_str().unwrap(), slip_at);
    for (code, why) in [
        ("NOPE99", "没有预约码 NOPE99"),
        ("TMRW01", "不是今天"),
        ("x", "4–12 位"),
    ] {
        let page = check_in(code).await.text().await.unwrap();
        assert!(page.contains(why), "{code}: {page}");
        assert!(page.contains(r#"<meta charset="utf-8">"#));
    }
    let board: onewindow_proto::HallBoard = web
        .get(format!(
            "{}{}",
            hub.url(),
            onewindow_proto::paths::QUEUE_BOARD
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(board.calls.is_empty());
    let store = onewindow_tests::hub_store(&data);
    let today = onewindow_domain::ticket::hall_day(chrono::Utc::now()).to_string();
    assert_eq!(
        store.figures(Some("MAIN"), &today).unwrap().total.tickets,
        1
    );
    hub.kill();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_desk_hall_display_follows_the_hub_live_and_the_offline_calls_without_it() {
    mock_keyring();
    let h = TestHub::new().queue().desk("1 号窗口").start();
    let code = h.code("1 号窗口");
    let TestHub { tmp, data, hub, .. } = h;
    let wavs = tmp.path().join("announced");
    std::fs::create_dir_all(&wavs).unwrap();
    let d = Desk::open(DeskConfig {
        sync_interval: Duration::from_secs(3600),
        announce_to_wav: Some(wavs),
        cache_key: onewindow_app::cache_key::CacheKey::Fixed(onewindow_tests::TEST_CACHE_KEY),
        ..DeskConfig::new(tmp.path().join("desk"), hub.url())
    });
    d.enrol(&hub.url(), &code, "").await.unwrap();
    d.sync_once().await.unwrap();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(d.clone().run_hall_feed(move |view| {
        let _ = tx.send(view);
    }));
    let mut next_matching =
        async |what: &str, f: &dyn Fn(&onewindow_app::dto::HallBoardView) -> bool| {
            let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
            loop {
                let view = tokio::time::timeout_at(deadline, rx.recv())
                    .await
                    .unwrap_or_else(|_| panic!("the hall display never showed {what}"))
                    .unwrap();
                if f(&view) {
                    return view;
                }
            }
        };
    let first = next_matching("the board", &|v| v.online).await;
    assert!(first.calls.is_empty());
    assert_eq!(first.windows.len(), 7);
    assert_eq!(first.office, "荣成市政务服务中心");
    let (web, t) = onewindow_tests::kiosk_browser(&data, &hub.url()).await;
    web.post(format!("{}/kiosk/tickets", hub.url()))
        .form(&[("domain", "ZHSL"), ("csrf", &t)])
        .send()
        .await
        .unwrap();
    d.queue_call_next().await.unwrap();
    let v = next_matching("A001 called", &|v| {
        v.calls.first().is_some_and(|c| c.number == "A001")
    })
    .await;
    assert_eq!(v.calls[0].window, 1);
    let tile = v.windows.iter().find(|w| w.number == 1).unwrap();
    assert_eq!(tile.current.as_deref(), Some("A001"));
    d.queue_step("recall").await.unwrap();
    next_matching("the recall", &|v| v.calls.first().is_some_and(|c| c.recall)).await;

    // The hub goes: the last board stays, marked offline, and the offline call shows on it.
    hub.kill();
    next_matching("offline", &|v| !v.online).await;
    d.queue_walk_in("ZHSL").await.unwrap();
    d.queue_call_next().await.unwrap();
    let v = next_matching("W01-001 called", &|v| {
        v.calls.first().is_some_and(|c| c.number == "W01-001")
    })
    .await;
    assert!(!v.online);
    assert_eq!(v.calls[1].number, "A001", "the last known calls stay");
    assert_eq!(
        v.windows
            .iter()
            .find(|w| w.number == 1)
            .unwrap()
            .current
            .as_deref(),
        Some("W01-001")
    );
}
