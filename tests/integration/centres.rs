//! Centres (issue 17): one hub for the county hall, a town's centre and a village's station.
//! Each centre calls its own queue; a village desk is pointed to its town for an item it does
//! not accept; supervisors see their own centre; approvers see every centre's cases; a hub
//! from before centres becomes `MAIN` with nothing lost.

use onewindow_app::dto::{ErrorCode, NewCaseRequest};
use onewindow_tests::{
    HubProcess, add_user_at, code_in, demo_hub_data, get_page, hub_cli, hub_cli_refused,
    kiosk_browser_at, office_browser,
};

use crate::support::{accepted_case, desk, mock_keyring};

/// 居民身份证换领: the county hall's by the catalog; the town takes it on with `centre items`.
const ID_CARD: &str = "00017200100002";

fn enrol_at(data: &std::path::Path, desk: &str, code: &str, centre: &str) -> String {
    code_in(&hub_cli(&[
        "enrol",
        "--data",
        data.to_str().unwrap(),
        "--desk",
        desk,
        "--desk-code",
        code,
        "--centre",
        centre,
    ]))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_town_and_the_county_hall_each_run_their_own_queue_figures_and_supervisors() {
    mock_keyring();
    let tmp = tempfile::tempdir().unwrap();
    let data = demo_hub_data(tmp.path());
    let d = data.to_str().unwrap();
    let demo = |f: &str| onewindow_tests::demo(f).to_str().unwrap().to_string();

    // One centre: `--centre` may be left out.
    hub_cli(&["import-queue", "--data", d, &demo("queue.json")]);
    hub_cli(&[
        "centre",
        "add",
        "--data",
        d,
        "--code",
        "QX",
        "--name",
        "青溪镇便民服务中心",
        "--level",
        "town",
        "--parent",
        "MAIN",
    ]);
    hub_cli(&[
        "centre",
        "add",
        "--data",
        d,
        "--code",
        "SQ",
        "--name",
        "石桥村便民服务站",
        "--level",
        "village",
        "--parent",
        "QX",
    ]);
    // A parent must exist and be of a higher level.
    let err = hub_cli_refused(&[
        "centre",
        "add",
        "--data",
        d,
        "--code",
        "X1",
        "--name",
        "某中心",
        "--level",
        "town",
        "--parent",
        "SQ",
    ]);
    assert!(err.contains("higher level"), "{err}");
    // Two centres now: leaving `--centre` out is an error that says so.
    let err = hub_cli_refused(&["enrol", "--data", d, "--desk", "某窗口"]);
    assert!(err.contains("--centre"), "{err}");
    let err = hub_cli_refused(&["import-queue", "--data", d, &demo("queue-qingxi.json")]);
    assert!(err.contains("--centre"), "{err}");
    hub_cli(&[
        "import-queue",
        "--data",
        d,
        "--centre",
        "QX",
        &demo("queue-qingxi.json"),
    ]);
    let w01 = enrol_at(&data, "县 1 号窗口", "W01", "MAIN");
    let qx01 = enrol_at(&data, "青溪 1 号窗口", "QX01", "QX");
    let sq01 = enrol_at(&data, "石桥 1 号窗口", "SQ01", "SQ");
    // Desk codes are the county's: another centre's is refused, naming it.
    let err = hub_cli_refused(&[
        "enrol",
        "--data",
        d,
        "--desk",
        "重复",
        "--desk-code",
        "W01",
        "--centre",
        "QX",
    ]);
    assert!(err.contains("centre MAIN"), "{err}");
    hub_cli(&[
        "centre", "items", "--data", d, "--centre", "QX", "--add", ID_CARD,
    ]);
    let list = hub_cli(&["centre", "list", "--data", d]);
    assert!(
        list.contains("QX\t青溪镇便民服务中心\ttown\tMAIN")
            && list.contains("SQ\t石桥村便民服务站\tvillage\tQX"),
        "{list}"
    );
    add_user_at(
        &data,
        "zhou",
        "supervisor",
        "county supervisor pass",
        &["--centre", "MAIN"],
    );
    let err = hub_cli_refused(&[
        "kiosk", "add", "--data", d, "--name", "x", "--centre", "NOPE",
    ]);
    assert!(err.contains("NOPE"), "{err}");
    add_user_at(
        &data,
        "qian",
        "supervisor",
        "town supervisor pass",
        &["--centre", "QX"],
    );
    add_user_at(
        &data,
        "wang",
        "approver",
        "approver pass 123",
        &[
            "--domain",
            &onewindow_tests::item_domain(ID_CARD),
            "--centre",
            "MAIN",
        ],
    );
    let hub = HubProcess::start(&data);
    let base = hub.url();

    // A kiosk per centre: both hand out A001 today, each in its own queue.
    let (county_kiosk, t1) = kiosk_browser_at(&data, &base, Some("MAIN")).await;
    let (town_kiosk, t2) = kiosk_browser_at(&data, &base, Some("QX")).await;
    for (web, t) in [
        (&county_kiosk, &t1),
        (&county_kiosk, &t1),
        (&town_kiosk, &t2),
    ] {
        let r = web
            .post(format!("{base}/kiosk/tickets"))
            .form(&[("domain", "ZHSL"), ("csrf", t.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303);
    }
    let (_, kiosk_page) = get_page(&town_kiosk, format!("{base}/kiosk")).await;
    assert!(kiosk_page.contains("青溪镇便民服务中心"), "{kiosk_page}");
    assert!(
        !kiosk_page.contains("domain-SCJG"),
        "the town's kiosk offers the town's domains"
    );

    // The county desk (a sync client) and the town desk (the app) call their own queues.
    let county = {
        let c = onewindow_sync::HubClient::new(&base);
        let t = c.enrol(&w01).await.unwrap().token;
        c.with_token(&t)
    };
    let town_dir = tmp.path().join("town");
    let town = desk(&town_dir, base.clone());
    town.sync_once().await.unwrap();
    town.enrol(&base, &qx01, "").await.unwrap();
    town.sync_once().await.unwrap();
    assert_eq!(
        town.status().centre_name.as_deref(),
        Some("青溪镇便民服务中心")
    );
    let v = town.queue_status();
    assert_eq!((v.window, v.reason.as_deref()), (Some(1), None), "{v:?}");
    let v = town.queue_call_next().await.unwrap();
    assert_eq!(v.current.unwrap().number, "A001");
    assert!(
        town.queue_call_next().await.unwrap().current.is_none(),
        "the county's tickets are not the town's"
    );
    let called = county.queue_call_next("li").await.unwrap();
    assert_eq!(called.ticket.unwrap().number, "A001");
    assert_eq!(called.call.unwrap().window_name, "1 号窗口（综合受理）");
    let called = county.queue_call_next("li").await.unwrap();
    assert_eq!(called.ticket.unwrap().number, "A002");

    // Each centre's display: its own calls only; /display lists the centres.
    let anon = reqwest::Client::new();
    let (_, town_tv) = get_page(&anon, format!("{base}/display/QX")).await;
    assert!(
        town_tv.contains("青溪镇便民服务中心") && town_tv.contains("A001"),
        "{town_tv}"
    );
    assert!(!town_tv.contains("A002"), "{town_tv}");
    assert!(town_tv.contains("data-events=\"/display/QX/events\""));
    let (_, county_tv) = get_page(&anon, format!("{base}/display/MAIN")).await;
    assert!(county_tv.contains("A002"), "{county_tv}");
    let (_, all) = get_page(&anon, format!("{base}/display")).await;
    assert!(all.contains("/display/QX") && all.contains("/display/MAIN"));
    assert_eq!(get_page(&anon, format!("{base}/display/NOPE")).await.0, 404);

    // Cases from both centres reach the one back office.
    let town_case = accepted_case(&town, 1).await;
    town.sync_once().await.unwrap();
    let county_dir = tmp.path().join("county");
    let county_desk = desk(&county_dir, base.clone());
    county_desk.sync_once().await.unwrap();
    let w02 = enrol_at(&data, "县 2 号窗口", "W02", "MAIN");
    county_desk.enrol(&base, &w02, "").await.unwrap();
    county_desk.sync_once().await.unwrap();
    let county_case = accepted_case(&county_desk, 2).await;
    county_desk.sync_once().await.unwrap();

    // A village desk: the item is refused with its town named first, then the county hall.
    let village = desk(&tmp.path().join("village"), base.clone());
    village.sync_once().await.unwrap();
    village.enrol(&base, &sq01, "").await.unwrap();
    village.sync_once().await.unwrap();
    let hits = village
        .search(&onewindow_app::dto::SearchRequest {
            text: "居民身份证换领".into(),
            domain: None,
            limit: None,
        })
        .unwrap();
    let hit = hits.hits.iter().find(|h| h.code == ID_CARD).unwrap();
    assert!(!hit.accepted_here);
    assert_eq!(hit.accepted_at, ["青溪镇便民服务中心", "政务服务中心"]);
    let v = village
        .new_case(&NewCaseRequest {
            item_code: Some(ID_CARD.into()),
            scenario_code: Some(format!("{ID_CARD}-01")),
            bundle_code: None,
        })
        .unwrap();
    let err = village.accept_case(&v.id).unwrap_err();
    assert_eq!(err.code, ErrorCode::NotAcceptedHere);
    assert!(
        err.message
            .contains("请引导办事人到青溪镇便民服务中心、政务服务中心办理"),
        "{}",
        err.message
    );

    // The town's supervisor sees the town only.
    let (web, _) = office_browser(&base, "qian", "town supervisor pass").await;
    let (status, hall) = get_page(&web, format!("{base}/office/hall")).await;
    assert_eq!(status, 200);
    assert!(hall.contains("青溪镇便民服务中心"), "{hall}");
    for refused in [
        "/office/hall?centre=MAIN",
        "/office/figures?centre=MAIN",
        "/office/figures?rollup=1",
        "/office/figures.xlsx?centre=MAIN",
    ] {
        let (status, body) = get_page(&web, format!("{base}{refused}")).await;
        assert_eq!(status, 403, "{refused}: {body}");
    }
    let (_, figures) = get_page(&web, format!("{base}/office/figures")).await;
    assert!(figures.contains("青溪镇便民服务中心"), "{figures}");
    let tickets = |page: &str, key: &str| -> String {
        page.split(&format!("data-key=\"{key}\""))
            .nth(1)
            .and_then(|s| s.split("class=\"tickets\">").nth(1))
            .and_then(|s| s.split('<').next())
            .unwrap_or_default()
            .to_string()
    };
    assert_eq!(tickets(&figures, "all"), "1", "the town's one ticket");
    let (_, audit) = get_page(&web, format!("{base}/office/audit")).await;
    assert!(audit.contains("data-desk=\"QX01\""), "{audit}");
    assert!(
        !audit.contains("data-desk=\"W01\"") && !audit.contains("id=\"hub-audit\""),
        "the county's desks and back office are not the town's: {audit}"
    );

    // The county's supervisor sees every centre and the county roll-up.
    let (web, _) = office_browser(&base, "zhou", "county supervisor pass").await;
    let (status, town_hall) = get_page(&web, format!("{base}/office/hall?centre=QX")).await;
    assert_eq!(status, 200);
    assert!(town_hall.contains("青溪镇便民服务中心"));
    let (_, rollup) = get_page(&web, format!("{base}/office/figures?rollup=1")).await;
    assert!(rollup.contains("id=\"by-centre\""), "{rollup}");
    assert_eq!(tickets(&rollup, "all"), "3");
    assert_eq!(tickets(&rollup, "MAIN"), "2");
    assert_eq!(tickets(&rollup, "QX"), "1");
    let r = web
        .get(format!("{base}/office/figures.xlsx?rollup=1"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("figures-county-"),
    );

    // The approver works county-wide: both centres' cases, each with its centre, filterable.
    let (web, _) = office_browser(&base, "wang", "approver pass 123").await;
    let (_, list) = get_page(&web, format!("{base}/office")).await;
    assert!(
        list.contains(&town_case) && list.contains(&county_case),
        "{list}"
    );
    assert!(
        list.contains("data-centre=\"QX\">青溪镇便民服务中心"),
        "{list}"
    );
    let (_, only_town) = get_page(&web, format!("{base}/office?centre=QX")).await;
    assert!(only_town.contains(&town_case) && !only_town.contains(&county_case));
    hub.kill();
}

/// A hub folder made by the previous release (migrations up to 0014, with a desk, tickets, a
/// rating, a paused window, a user and a kiosk) opens as the one county-level centre MAIN.
#[tokio::test(flavor = "multi_thread")]
async fn a_hub_from_before_centres_becomes_main_with_nothing_lost() {
    use onewindow_hub::secret::{random_token, token_hash};
    if onewindow_tests::test_pg().is_some() {
        // A hub from before centres is a SQLite hub (PostgreSQL hubs begin at this schema, or
        // come from migrate-to, which first brings hub.db up to date: tests/integration/postgres.rs).
        eprintln!("a hub.db from before centres: a SQLite hub's test");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("hub");
    onewindow_hub::store_keys::private_dir(&data).unwrap();
    let key = onewindow_hub::store_keys::load_or_make_db_key(
        &data,
        &onewindow_hub::store_keys::default_key_file(&data),
    )
    .unwrap();
    let (device_token, kiosk_token) = (random_token(), random_token());
    let today = onewindow_hub::store_queue::hall_day(chrono::Utc::now()).to_string();
    let now = onewindow_domain::time::stamp(chrono::Utc::now());
    {
        let mut conn = onewindow_store::keyed_connection(&data.join("hub.db"), &key).unwrap();
        conn.execute_batch("PRAGMA foreign_keys = ON;").unwrap();
        let previous = &onewindow_hub::store::HUB_MIGRATIONS[..14];
        assert_eq!(previous.last().unwrap().name, "0014_web_face");
        onewindow_store::migrate::run(&mut conn, previous).unwrap();
        let cfg = std::fs::read_to_string(onewindow_tests::demo("queue.json")).unwrap();
        let cfg: serde_json::Value = serde_json::from_str(&cfg).unwrap();
        conn.execute(
            "INSERT INTO queue_config_change (body, imported_at) VALUES (?1, ?2)",
            rusqlite::params![cfg.to_string(), now],
        )
        .unwrap();
        conn.execute(
            "INSERT INTO device (id, desk_name, desk_code, token_hash, enrolled_at)
             VALUES ('dev-1', '1 号窗口', 'W01', ?1, ?2)",
            rusqlite::params![token_hash(&device_token), now],
        )
        .unwrap();
        conn.execute_batch(&format!(
            "INSERT INTO queue_ticket (id, day, seq, number, domain, issued_at, state, window_no,
               called_at, served_at, done_at, clerk, case_number, source)
             VALUES ('t-done', '{today}', 1, 'A001', 'ZHSL', '{now}', 'done', 1, '{now}', '{now}',
               '{now}', '李', 'W01-20261127-0001', 'kiosk');
             INSERT INTO queue_ticket (id, day, seq, number, domain, issued_at, state, source)
             VALUES ('t-wait', '{today}', 2, 'A002', 'ZHSL', '{now}', 'waiting', 'kiosk');
             INSERT INTO queue_event (ticket_id, window_no, kind, by_user, at)
             VALUES ('t-done', 1, 'call', '李', '{now}'), ('t-wait', NULL, 'issue', NULL, '{now}');
             INSERT INTO rating (ticket_id, case_number, window_no, clerk, level, reasons, at, day)
             VALUES ('t-done', 'W01-20261127-0001', 1, '李', 5, '[]', '{now}', '{today}');
             INSERT INTO appointment (code, domain, slot_at, day, imported_at)
             VALUES ('K7Q2MX', 'ZHSL', '{now}', '{today}', '{now}');
             INSERT INTO queue_window_state (number, state, domains, clerk, updated_at)
             VALUES (2, 'paused', '[\"ZHSL\"]', '赵', '{now}');
             INSERT INTO hub_user (name, role, password_hash, created_at)
             VALUES ('wang', 'approver', 'x', '{now}');
             INSERT INTO kiosk (name, token_hash, created_at)
             VALUES ('大厅取号机', '{}', '{now}');",
            token_hash(&kiosk_token)
        ))
        .unwrap();
    }
    onewindow_tests::import_catalog(&data, &onewindow_tests::demo("catalog-sample.json"));

    let hub = HubProcess::start(&data);
    let base = hub.url();
    let list = hub_cli(&["centre", "list", "--data", data.to_str().unwrap()]);
    assert!(
        list.contains("MAIN\t政务服务中心\tcounty\t-\t1\t"),
        "{list}"
    );
    // The desk still sits at window 1 and calls the ticket issued before the upgrade.
    let c = onewindow_sync::HubClient::new(&base).with_token(&device_token);
    let called = c.queue_call_next("李").await.unwrap();
    assert_eq!(called.ticket.unwrap().number, "A002");
    // Window 2 is still paused; the kiosk still issues tickets, numbered on from A002.
    let board: onewindow_proto::HallBoard = reqwest::Client::new()
        .get(format!("{base}{}", onewindow_proto::paths::QUEUE_BOARD))
        .bearer_auth(&device_token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        board.windows.iter().find(|w| w.number == 2).unwrap().state,
        "paused"
    );
    let kiosk = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let r = kiosk
        .get(format!("{base}/kiosk"))
        .header("cookie", format!("onewindow_kiosk={kiosk_token}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    hub.kill();

    let s = onewindow_tests::hub_store(&data);
    let f = s.figures(Some("MAIN"), &today).unwrap();
    assert_eq!((f.total.tickets, f.total.ratings), (2, 1));
    assert_eq!(f.by_centre.len(), 1);
    drop(s);
    let db = onewindow_tests::hub_db(&data);
    // PostgreSQL checks every reference as it is written; SQLite's rebuilt tables are checked
    // here.
    if db.engine() == onewindow_hub_store::db::Engine::Sqlite {
        let orphans: i64 = db
            .query_row("SELECT count(*) FROM pragma_foreign_key_check", (), |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(orphans, 0, "every reference still holds");
    }
    for table in [
        "device",
        "hub_user",
        "kiosk",
        "queue_ticket",
        "queue_event",
        "rating",
        "appointment",
        "queue_window_state",
        "queue_config_change",
    ] {
        let elsewhere: i64 = db
            .query_row(
                &format!("SELECT count(*) FROM {table} WHERE centre <> 'MAIN'"),
                (),
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(elsewhere, 0, "{table}");
    }
}
