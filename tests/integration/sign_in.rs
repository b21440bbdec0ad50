//! Signing in at the desk: with the hub, offline with the cached verifier, the locked screen,
//! and on a full disk.

use onewindow_app::dto::ErrorCode;
use onewindow_app::dto::NewCaseRequest;
use onewindow_tests::{HubProcess, TEST_NOW, TestHub, demo_hub_data, enrol_code};

use crate::support::{accepted_case, desk, mock_keyring};

#[tokio::test(flavor = "multi_thread")]
async fn clerks_sign_in_with_the_hub_and_a_stream_resets_alone() {
    mock_keyring();
    let h = TestHub::new()
        .desk("1 号窗口")
        .user("liu", "clerk", "window clerk pass")
        .start();
    let code = h.code("1 号窗口");
    let TestHub { tmp, data, hub, .. } = h;
    let d = desk(tmp.path(), hub.url());
    d.sync_once().await.unwrap();
    let err = d.login("liu", "window clerk pass").await.unwrap_err();
    assert_eq!(err.code, ErrorCode::NotEnrolled);
    d.enrol(&hub.url(), &code, "").await.unwrap();
    let err = d.login("liu", "wrong").await.unwrap_err();
    assert_eq!(err.message, "用户名或密码不正确（再错 4 次将锁定 15 分钟）");
    let st = d.login("liu", "window clerk pass").await.unwrap();
    assert_eq!(st.user.as_ref().unwrap().role_label, "窗口人员");
    assert!(!st.user.as_ref().unwrap().offline);
    // Events are recorded under the signed-in clerk.
    let n = accepted_case(&d, 1).await;
    let case = d
        .recent_cases()
        .unwrap()
        .into_iter()
        .find(|c| c.number == n)
        .unwrap();
    let v = d.open_case(&case.id).unwrap();
    assert!(v.events.iter().all(|e| e.actor == "liu"), "{:?}", v.events);
    assert!(d.logout().user.is_none());

    // Resetting the catalog downloads it again and leaves the queued op alone.
    let pending = d.status().push.pending_ops;
    let st = d.reset_stream("catalog").await.unwrap();
    assert_eq!(st.item_count, 40);
    assert_eq!(
        d.status().push.pending_ops,
        0,
        "the sync after the reset also pushed"
    );
    assert!(pending >= 1);
    assert!(d.reset_stream("outbox").await.is_err());

    // The queue-configuration stream: published on the hub, pulled with the others, the
    // desk finds its window by its desk code; a new version replaces it; a reset fetches it
    // again and touches nothing else.
    assert!(d.status().queue_window.is_none());
    let queue = onewindow_tests::demo("queue.json");
    let out = onewindow_tests::hub_cli(&[
        "import-queue",
        "--data",
        data.to_str().unwrap(),
        queue.to_str().unwrap(),
    ]);
    assert!(out.contains("叫号配置已发布"), "{out}");
    d.sync_once().await.unwrap();
    let w = d.status().queue_window.expect("W01 sits at window 1");
    assert_eq!(w.number, 1);
    assert_eq!(w.domains_label, "综合受理（A）、公安户政（E）");
    let mut cfg: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&queue).unwrap()).unwrap();
    cfg["windows"][0]["domains"] = serde_json::json!(["SW"]);
    let changed = tmp.path().join("queue-v2.json");
    std::fs::write(&changed, cfg.to_string()).unwrap();
    onewindow_tests::hub_cli(&[
        "import-queue",
        "--data",
        data.to_str().unwrap(),
        changed.to_str().unwrap(),
    ]);
    let out = onewindow_tests::hub_cli(&[
        "import-queue",
        "--data",
        data.to_str().unwrap(),
        changed.to_str().unwrap(),
    ]);
    assert!(out.contains("未发布新版本"), "{out}");
    // A bad file is refused whole with where the problem is.
    cfg["windows"][1]["domains"] = serde_json::json!(["NOPE"]);
    let bad = tmp.path().join("queue-bad.json");
    std::fs::write(&bad, cfg.to_string()).unwrap();
    let err = onewindow_tests::hub_cli_refused(&[
        "import-queue",
        "--data",
        data.to_str().unwrap(),
        bad.to_str().unwrap(),
    ]);
    assert!(err.contains("windows[1].domains"), "{err}");
    d.sync_once().await.unwrap();
    assert_eq!(d.status().queue_window.unwrap().domains_label, "税务（F）");
    let streams = d.status().push.streams;
    assert!(
        streams.iter().any(|s| s.stream == "queue_config"
            && s.label == "叫号配置"
            && s.last_pull_at.is_some())
    );
    let st = d.reset_stream("queue_config").await.unwrap();
    assert_eq!(st.queue_window.unwrap().domains_label, "税务（F）");
    assert_eq!(st.item_count, 40, "the catalog stays");
    hub.kill();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_clerk_signs_in_offline_with_the_cached_verifier_and_five_wrong_passwords_lock() {
    mock_keyring();
    let tmp = tempfile::tempdir().unwrap();
    let data = demo_hub_data(tmp.path());
    let code = enrol_code(&data, "1 号窗口");
    for (name, pass) in [("liu", "window clerk pass"), ("zhao", "another clerk pass")] {
        onewindow_tests::add_user(&data, name, "clerk", pass);
    }
    // The hub's clock and the desk's start at one instant: the sign-in horizon and the audit
    // dates are compared across them.
    let hub = HubProcess::start_args(&data, "127.0.0.1:0", None, &["--now", TEST_NOW]);
    let addr = hub.addr.clone();
    let d = desk(tmp.path(), hub.url());
    d.enrol(&hub.url(), &code, "").await.unwrap();
    d.login("liu", "window clerk pass").await.unwrap();
    d.logout();
    // The desk keeps a verifier, never the password (and the cache itself is encrypted).
    let local = onewindow_tests::desk_store(&tmp.path().join("desk/cache.db"));
    let v = local.sign_in_verifier("liu").unwrap().unwrap();
    assert!(v.verifier.starts_with("$argon2id$"));
    drop(local);
    let mut cache = std::fs::read(tmp.path().join("desk/cache.db")).unwrap();
    cache.extend(std::fs::read(tmp.path().join("desk/cache.db-wal")).unwrap_or_default());
    let text = String::from_utf8_lossy(&cache);
    assert!(!text.contains("$argon2id$") && !text.contains("window clerk pass"));

    // The hub is gone: liu signs in with the verifier; zhao never signed in here.
    hub.kill();
    let st = d.login("liu", "window clerk pass").await.unwrap();
    let user = st.user.unwrap();
    assert_eq!(
        (user.name.as_str(), user.role.as_str(), user.offline),
        ("liu", "clerk", true)
    );
    let err = d.login("zhao", "another clerk pass").await.unwrap_err();
    assert_eq!(err.code, ErrorCode::NoOfflineLogin);
    assert!(err.message.contains("30 天内"), "{}", err.message);
    // Five wrong passwords lock liu, offline too; the right one is then refused unchecked.
    for left in (1..=4).rev() {
        let err = d.login("liu", "wrong").await.unwrap_err();
        assert!(
            err.message.contains(&format!("再错 {left} 次")),
            "{}",
            err.message
        );
    }
    let err = d.login("liu", "wrong").await.unwrap_err();
    assert_eq!(err.code, ErrorCode::LoginLocked);
    assert!(err.message.contains("已锁定"));
    let err = d.login("liu", "window clerk pass").await.unwrap_err();
    assert_eq!(err.code, ErrorCode::LoginLocked);

    // The hub locks too: five wrong passwords for zhao through the hub; then the right one
    // is refused by the hub as well, from another desk state.
    let hub = HubProcess::start_args(&data, &addr, None, &["--now", TEST_NOW]);
    // Every sign-in attempt is audited, a refused offline one too, and reaches the hub.
    d.sync_once().await.unwrap();
    let refused: i64 = onewindow_tests::hub_db(&data)
        .query_row(
            "SELECT count(*) FROM audit_record
             WHERE action = 'login' AND object = 'zhao' AND result = 'refused: no offline sign-in'",
            (),
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(
        refused, 1,
        "the refused offline sign-in is in the hub's copy of the log"
    );
    for _ in 0..4 {
        d.login("zhao", "nope").await.unwrap_err();
    }
    let err = d.login("zhao", "nope").await.unwrap_err();
    assert_eq!(err.code, ErrorCode::LoginLocked);
    // The hub refuses zhao's right password now as well from this desk (its limits are the
    // desk's own, not its address's: a town centre's desks may share one), without checking
    // it; from elsewhere the name's failures here do not lock zhao out.
    let from_desk: String = onewindow_tests::hub_db(&data)
        .query_row(
            "SELECT address FROM login_failure WHERE name = 'zhao'",
            (),
            |r| r.get(0),
        )
        .unwrap();
    assert!(from_desk.starts_with("desk:"), "{from_desk}");
    let mut store = onewindow_tests::hub_store(&data);
    let hub_now = chrono::DateTime::parse_from_rfc3339(TEST_NOW)
        .unwrap()
        .to_utc()
        + chrono::Duration::minutes(1);
    assert!(matches!(
        store
            .verify_user("zhao", "another clerk pass", &from_desk, hub_now)
            .unwrap(),
        onewindow_hub::store_office::SignIn::Locked(_)
    ));
    assert!(matches!(
        store
            .verify_user("zhao", "another clerk pass", "192.0.2.7", hub_now)
            .unwrap(),
        onewindow_hub::store_office::SignIn::Ok(_)
    ));
    hub.kill();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_locked_screen_refuses_the_window_work_until_a_clerk_signs_in_and_approvers_never_do_it()
{
    mock_keyring();
    let tmp = tempfile::tempdir().unwrap();
    let data = demo_hub_data(tmp.path());
    let code = enrol_code(&data, "1 号窗口");
    for (name, role, pass) in [
        ("liu", "clerk", "window clerk pass"),
        ("zhao", "clerk", "another clerk pass"),
        ("wang", "approver", "back office pass"),
    ] {
        onewindow_tests::add_user(&data, name, role, pass);
    }
    let hub = HubProcess::start(&data);
    let d = desk(tmp.path(), hub.url());
    d.enrol(&hub.url(), &code, "").await.unwrap();
    // Nobody signed in: locking does nothing (nobody could unlock it).
    assert!(!d.lock_screen().locked);
    d.login("liu", "window clerk pass").await.unwrap();
    assert!(d.guard("new_case").is_ok());
    let draft = d
        .new_case(&NewCaseRequest {
            item_code: Some("00017200100002".into()),
            scenario_code: None,
            bundle_code: None,
        })
        .unwrap();
    let st = d.lock_screen();
    assert!(st.locked);
    assert_eq!(st.idle_lock_minutes, 10);
    let err = d.guard("open_case").unwrap_err();
    assert_eq!(err.code, ErrorCode::ScreenLocked);
    assert!(d.guard("desk_status").is_ok() && d.guard("login_user").is_ok());
    // A wrong password keeps it locked; zhao takes over the window, and liu's draft is
    // still there for whoever goes on with it.
    d.login("liu", "wrong").await.unwrap_err();
    assert!(d.status().locked);
    let st = d.login("zhao", "another clerk pass").await.unwrap();
    assert!(!st.locked);
    assert_eq!(st.user.unwrap().name, "zhao");
    assert_eq!(d.open_case(&draft.id).unwrap().id, draft.id);
    // An approver signed in at a desk cannot do the window's work.
    d.login("wang", "back office pass").await.unwrap();
    let err = d.guard("accept_case").unwrap_err();
    assert_eq!(err.code, ErrorCode::Forbidden);
    assert!(err.message.contains("审批人员"));
    // The lock is audited.
    let local = onewindow_tests::desk_store(&tmp.path().join("desk/cache.db"));
    assert!(
        local
            .audit_recent(50)
            .unwrap()
            .iter()
            .any(|r| r.action == "lock")
    );
    hub.kill();
}

/// An enrolled desk restarted on a full disk: the clerk signs in (with the hub, and offline
/// with the verifier), sees the disk warning, and reads what is stored; a wrong password is
/// still refused. Only what needs new space says the disk is full.
#[tokio::test(flavor = "multi_thread")]
async fn an_enrolled_desk_on_a_full_disk_still_signs_in() {
    mock_keyring();
    let Some(disk) = onewindow_tests::SmallDisk::mount(48) else {
        return;
    };
    let h = TestHub::new()
        .desk("1 号窗口")
        .user("liu", "clerk", "window clerk pass")
        .start();
    let code = h.code("1 号窗口");
    let TestHub {
        tmp: _tmp,
        data: _data,
        hub,
        ..
    } = h;
    let d = desk(&disk.path, hub.url());
    d.sync_once().await.unwrap();
    d.enrol(&hub.url(), &code, "").await.unwrap();
    d.login("liu", "window clerk pass").await.unwrap();
    let number = accepted_case(&d, 1).await;
    d.logout();
    d.shutdown();
    drop(d);

    disk.fill("filler", 0);
    let d = desk(&disk.path, hub.url());
    assert!(
        d.status().cache_problem.is_none(),
        "{:?}",
        d.status().cache_problem
    );
    let err = d.login("liu", "wrong").await.unwrap_err();
    assert_eq!(err.code, ErrorCode::BadLogin);
    // (The test keyring keeps nothing across desks, so the restarted desk signs in with its
    // verifier; with the hub's token it asks the hub first, as the earlier sign-in did.)
    let st = d.login("liu", "window clerk pass").await.unwrap();
    assert_eq!(st.user.as_ref().unwrap().name, "liu");
    assert!(st.low_disk.is_some(), "the status bar says why");
    assert!(
        d.recent_cases().unwrap().iter().any(|c| c.number == number),
        "what is stored can be read"
    );
    let err = d
        .new_case(&NewCaseRequest {
            item_code: Some("00017200100002".into()),
            scenario_code: None,
            bundle_code: None,
        })
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::DiskFull, "{err:?}");
    d.logout();
    // Space again: the same desk writes as before, no restart needed.
    std::fs::remove_file(disk.path.join("filler")).unwrap();
    d.login("liu", "window clerk pass").await.unwrap();
    assert!(
        d.new_case(&NewCaseRequest {
            item_code: Some("00017200100002".into()),
            scenario_code: None,
            bundle_code: None,
        })
        .is_ok()
    );
    d.shutdown();
    drop(d);

    // A cache an earlier version closed (its WAL removed) on a full disk: the desk says the disk
    // is full, not that the cache is damaged, and offers no rebuild; with space it opens.
    let cache = disk.path.join("desk/cache.db");
    for aux in ["cache.db-wal", "cache.db-shm"] {
        let _ = std::fs::remove_file(disk.path.join("desk").join(aux));
    }
    disk.fill("filler", 0);
    let d = desk(&disk.path, hub.url());
    let problem = d
        .status()
        .cache_problem
        .expect("cannot open on a full disk");
    assert_eq!(problem.code, ErrorCode::DiskFull);
    assert!(problem.message.contains("磁盘已满") && problem.message.contains("不要重建缓存"));
    assert_eq!(
        d.rebuild_cache().await.unwrap_err().code,
        ErrorCode::DiskFull
    );
    d.shutdown();
    drop(d);
    std::fs::remove_file(disk.path.join("filler")).unwrap();
    let d = desk(&disk.path, hub.url());
    assert!(d.status().cache_problem.is_none());
    assert!(cache.exists());
    hub.kill();
    d.shutdown();
}
