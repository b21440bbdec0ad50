//! Desks and hubs of different releases, against real hub processes: a newer desk keeps the
//! op kinds its hub does not serve yet and sends them once the hub is upgraded; a desk older
//! than the hub requires is told so in Chinese and keeps its outbox; a desk sees a newer
//! release published on its hub. (Older desks' payloads: `golden_payloads_…` in sync.rs.)

use onewindow_tests::{HubProcess, TEST_NOW, TestHub, desk_deb, hub_cli, hub_db};

use crate::support::{accepted_case, desk, mock_keyring};

/// The release the hub recorded for its one desk, and the cases it has.
fn hub_sees(data: &std::path::Path) -> (Option<String>, i64) {
    let db = hub_db(data);
    let release: Option<String> = db
        .query_row("SELECT release FROM device", (), |r| r.get(0))
        .unwrap();
    let cases = db
        .query_row("SELECT count(*) FROM hub_case", (), |r| r.get::<_, i64>(0))
        .unwrap();
    (release, cases)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_newer_desk_keeps_what_an_older_hub_does_not_serve_and_sends_it_after_the_upgrade() {
    mock_keyring();
    let h = TestHub::new()
        .desk("1 号窗口")
        .user("liu", "clerk", "window clerk pass")
        .user("zhang", "supervisor", "supervisor pass")
        .now(TEST_NOW)
        .start();
    let code = h.code("1 号窗口");
    let TestHub { tmp, data, hub, .. } = h;
    let addr = hub.addr.clone();
    drop(hub);
    // The hub names protocol 1, as the release before this one did.
    let hub = HubProcess::start_args(&data, &addr, None, &["--now", TEST_NOW, "--protocol", "1"]);
    let d = desk(tmp.path(), hub.url());
    d.enrol(&hub.url(), &code, "").await.unwrap();
    d.login("liu", "window clerk pass").await.unwrap();
    accepted_case(&d, 1).await;
    d.sync_once().await.unwrap();
    let push = d.status().push;
    // The hand-off went; the release report (protocol 2) waits, neither sent nor refused.
    assert_eq!((push.pending_ops, push.held_for_hub), (1, 1), "{push:?}");
    assert!(d.rejected_ops().unwrap().is_empty());
    assert_eq!(hub_sees(&data), (None, 1));
    let applied: i64 = hub_db(&data)
        .query_row(
            "SELECT count(*) FROM applied_op WHERE kind = 'device.release_reported'",
            (),
            |r| r.get::<_, i64>(0),
        )
        .unwrap();
    assert_eq!(applied, 0);

    // Upgraded (the pin removed): the held op goes.
    drop(hub);
    let hub = HubProcess::start_args(&data, &addr, None, &["--now", TEST_NOW]);
    d.sync_once().await.unwrap();
    let push = d.status().push;
    assert_eq!((push.pending_ops, push.held_for_hub), (0, 0), "{push:?}");
    assert_eq!(
        hub_sees(&data),
        (Some(onewindow_sync::release().to_string()), 1)
    );
    // Told once: the next syncs send nothing more.
    accepted_case(&d, 2).await;
    d.sync_once().await.unwrap();
    let reports: i64 = hub_db(&data)
        .query_row(
            "SELECT count(*) FROM applied_op WHERE kind = 'device.release_reported'",
            (),
            |r| r.get::<_, i64>(0),
        )
        .unwrap();
    assert_eq!(reports, 1);

    // The supervisor's audit page shows the release each desk runs.
    let (web, _) = onewindow_tests::office_browser(&hub.url(), "zhang", "supervisor pass").await;
    let page = web
        .get(format!("{}/office/audit", hub.url()))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains(&format!(
            "<td class=\"desk-release\">{}</td>",
            onewindow_sync::release()
        )),
        "{page}"
    );
    drop(hub);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_desk_older_than_the_hub_requires_is_told_to_update_and_keeps_its_outbox() {
    mock_keyring();
    let h = TestHub::new()
        .desk("1 号窗口")
        .user("liu", "clerk", "window clerk pass")
        .now(TEST_NOW)
        .start();
    let code = h.code("1 号窗口");
    let TestHub { tmp, data, hub, .. } = h;
    let addr = hub.addr.clone();
    let d = desk(tmp.path(), hub.url());
    d.enrol(&hub.url(), &code, "").await.unwrap();
    d.login("liu", "window clerk pass").await.unwrap();
    drop(hub);
    accepted_case(&d, 1).await;
    accepted_case(&d, 2).await;
    let pending = d.status().push.pending_ops;
    assert!(pending >= 2);

    // The operator requires a release this desk is not.
    let hub = HubProcess::start_args(
        &data,
        &addr,
        None,
        &["--now", TEST_NOW, "--min-desk-release", "99.0"],
    );
    let e = d.sync_once().await.unwrap_err();
    assert_eq!(e.code.to_string(), "desk_too_old", "{e:?}");
    let status = d.status();
    let said = status.update_required.clone().unwrap();
    assert!(
        said.contains(&format!(
            "本窗口程序版本 {} 低于中心要求的 99.0",
            onewindow_sync::release()
        )),
        "{said}"
    );
    assert!(said.contains("保留在本机"), "{said}");
    assert_eq!(
        status.push.pending_ops, pending,
        "nothing sent, nothing lost"
    );
    assert_eq!(hub_sees(&data).1, 0);

    // A desk of a protocol the hub no longer serves, at the wire: 426 and the code.
    let token_free = reqwest::Client::new()
        .get(format!("{}{}", hub.url(), onewindow_proto::paths::HEADS))
        .bearer_auth("whatever")
        .header(onewindow_proto::PROTOCOL_HEADER, "0")
        .send()
        .await
        .unwrap();
    assert_eq!(token_free.status(), 426);
    let body: onewindow_proto::ApiError =
        serde_json::from_slice(&token_free.bytes().await.unwrap()).unwrap();
    assert_eq!(body.code, onewindow_proto::ApiErrorCode::DeskTooOld);
    assert!(
        body.message.contains("同步协议 0 已过旧"),
        "{}",
        body.message
    );

    // The requirement lifted (the desk updated, here: the hub's setting): everything goes.
    drop(hub);
    let hub = HubProcess::start_args(&data, &addr, None, &["--now", TEST_NOW]);
    d.sync_once().await.unwrap();
    let status = d.status();
    assert_eq!(status.update_required, None);
    assert_eq!(status.push.pending_ops, 0, "{:?}", status.push);
    assert_eq!(hub_sees(&data).1, 2);
    drop(hub);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_desk_sees_a_newer_release_published_on_its_hub() {
    mock_keyring();
    let h = TestHub::new()
        .desk("1 号窗口")
        .user("liu", "clerk", "window clerk pass")
        .now(TEST_NOW)
        .start();
    let code = h.code("1 号窗口");
    let TestHub { tmp, data, hub, .. } = h;
    let d = desk(tmp.path(), hub.url());
    d.enrol(&hub.url(), &code, "").await.unwrap();
    d.sync_once().await.unwrap();
    assert_eq!(d.status().update_published, None);
    let data_s = data.to_str().unwrap();
    let running = onewindow_sync::release();
    // This release and a newer one published: the newer is shown.
    let same = desk_deb(tmp.path(), running);
    hub_cli(&["publish-desk", "--data", data_s, same.to_str().unwrap()]);
    let newer = format!("{running}+next1");
    let deb = desk_deb(tmp.path(), &newer);
    // Published before the hub's next look at its index (at most 10 s later).
    hub_cli(&["publish-desk", "--data", data_s, deb.to_str().unwrap()]);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        d.sync_once().await.unwrap();
        let status = d.status();
        if status.update_published.as_deref() == Some(newer.as_str()) {
            assert_eq!(status.release, running);
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the status bar never said {newer}: {:?}",
            status.update_published
        );
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
    drop(hub);
}
