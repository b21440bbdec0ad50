//! Opening hours (issue 18, 错时延时、周末不打烊): the kiosk takes tickets only while the centre
//! does and says when it opens next; tickets outside the regular schedule are extended-hours
//! service in the figures; appointments are imported only into open hours; the hall display
//! shows today's hours. The hub's clock is set with `serve --now`.

use onewindow_tests::{HubProcess, demo_hub_data, hub_cli, kiosk_browser};

/// The demo queue with a week: 09:00–12:00 and 13:30–17:00 on working days, 错时 over lunch on
/// Tuesdays and Thursdays, 延时 to 19:00 on Wednesdays, Saturday mornings, tickets stop 30
/// minutes before each closing.
fn queue_with_hours(dir: &std::path::Path) -> std::path::PathBuf {
    let mut q: serde_json::Value =
        serde_json::from_slice(&std::fs::read(onewindow_tests::demo("queue.json")).unwrap())
            .unwrap();
    let day = serde_json::json!([["09:00", "12:00"], ["13:30", "17:00"]]);
    q["hours"] = serde_json::json!({
        "weekly": {"mon": day, "tue": day, "wed": day, "thu": day, "fri": day},
        "lunch": {"days": ["tue", "thu"], "interval": ["12:00", "13:30"]},
        "late": {"days": ["wed"], "until": "19:00"},
        "weekend": {"sat": [["09:00", "12:00"]]},
        "last_ticket_minutes": 30
    });
    let path = dir.join("queue-hours.json");
    std::fs::write(&path, serde_json::to_vec_pretty(&q).unwrap()).unwrap();
    path
}

/// A ticket from the kiosk at `now` (hall time): `Ok(())` when issued, else the kiosk's page.
async fn ticket_at(data: &std::path::Path, now: &str) -> Result<(), String> {
    let hub = HubProcess::start_args(data, "127.0.0.1:0", None, &["--now", now]);
    let base = hub.url();
    let (web, t) = kiosk_browser(data, &base).await;
    let r = web
        .post(format!("{base}/kiosk/tickets"))
        .form(&[("domain", "ZHSL"), ("csrf", t.as_str())])
        .send()
        .await
        .unwrap();
    let issued = r.status() == 303;
    let page = if issued {
        String::new()
    } else {
        r.text().await.unwrap()
    };
    hub.kill();
    if issued { Ok(()) } else { Err(page) }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_kiosk_keeps_the_centres_hours_and_extended_service_is_counted() {
    let tmp = tempfile::tempdir().unwrap();
    let data = demo_hub_data(tmp.path());
    let d = data.to_str().unwrap();
    // A schedule with overlapping times is refused whole.
    let bad = tmp.path().join("bad.json");
    let mut q: serde_json::Value =
        serde_json::from_slice(&std::fs::read(queue_with_hours(tmp.path())).unwrap()).unwrap();
    q["hours"]["weekly"]["mon"] = serde_json::json!([["09:00", "12:00"], ["11:00", "17:00"]]);
    std::fs::write(&bad, serde_json::to_vec(&q).unwrap()).unwrap();
    let err =
        onewindow_tests::hub_cli_refused(&["import-queue", "--data", d, bad.to_str().unwrap()]);
    assert!(err.contains("hours.weekly.mon"), "{err}");
    hub_cli(&[
        "import-queue",
        "--data",
        d,
        queue_with_hours(tmp.path()).to_str().unwrap(),
    ]);

    // Monday at lunch: closed until 13:30; after hours: closed until Tuesday morning.
    let page = ticket_at(&data, "2026-11-02T12:30:00+08:00")
        .await
        .unwrap_err();
    assert!(page.contains("下次开放：11月2日（周一）13:30"), "{page}");
    assert!(
        page.contains("今日开放时间：09:00–12:00、13:30–17:00"),
        "{page}"
    );
    let page = ticket_at(&data, "2026-11-02T16:45:00+08:00")
        .await
        .unwrap_err();
    assert!(
        page.contains("下次开放：11月3日（周二）09:00"),
        "the last half hour: {page}"
    );
    let page = ticket_at(&data, "2026-11-02T19:30:00+08:00")
        .await
        .unwrap_err();
    assert!(page.contains("下次开放：11月3日（周二）09:00"), "{page}");
    // Tuesday's 错时 lunch, a regular Wednesday morning, Wednesday's 延时 evening, Saturday.
    for now in [
        "2026-11-03T12:30:00+08:00",
        "2026-11-04T10:00:00+08:00",
        "2026-11-04T18:00:00+08:00",
        "2026-11-07T10:00:00+08:00",
    ] {
        ticket_at(&data, now)
            .await
            .unwrap_or_else(|p| panic!("{now}: {p}"));
    }
    // Sunday: closed until Monday.
    let page = ticket_at(&data, "2026-11-08T10:00:00+08:00")
        .await
        .unwrap_err();
    assert!(page.contains("下次开放：11月9日（周一）09:00"), "{page}");

    // The hall display shows today's hours.
    let hub = HubProcess::start_args(
        &data,
        "127.0.0.1:0",
        None,
        &["--now", "2026-11-04T09:30:00+08:00"],
    );
    let tv = reqwest::get(format!("{}/display", hub.url()))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        tv.contains("今日开放 09:00–12:00、13:30–17:00、17:00–19:00（延时错时）"),
        "{tv}"
    );
    hub.kill();

    // Appointments only into open hours.
    let file = tmp.path().join("appointments.json");
    std::fs::write(
        &file,
        r#"{"day": "2026-11-02", "appointments": [
            {"code": "K7Q2MX", "domain": "ZHSL", "time": "10:00", "name": "张*"},
            {"code": "LUNCH1", "domain": "ZHSL", "time": "12:30", "name": "李*"}]}"#,
    )
    .unwrap();
    let err = onewindow_tests::hub_cli_refused(&[
        "import-appointments",
        "--data",
        d,
        file.to_str().unwrap(),
    ]);
    assert!(
        err.contains("LUNCH1") && err.contains("不在本中心开放时间内") && !err.contains("K7Q2MX"),
        "{err}"
    );

    // The month's figures: four tickets, three of them extended-hours service.
    let s = onewindow_tests::hub_store(&data);
    let f = s.figures(Some("MAIN"), "2026-11").unwrap();
    assert_eq!((f.total.tickets, f.total.extended), (4, 3));
    let wed = s.figures(Some("MAIN"), "2026-11-04").unwrap();
    assert_eq!((wed.total.tickets, wed.total.extended), (2, 1));
}
