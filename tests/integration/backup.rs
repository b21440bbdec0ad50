//! `onewindow-hub backup` while a desk pushes, `restore` into a new folder, and the desk
//! sending again, exactly once, what the restored hub lost (a new epoch), with no rebuild.

use onewindow_tests::{
    HubProcess, TEST_NOW, TestHub, hub_cli, hub_command_for, hub_database, hub_sqlite,
};

use crate::support::{accepted_case, desk, mock_keyring};

/// The case numbers the hub has, and how many ops of its devices it recorded.
fn hub_has(data: &std::path::Path) -> (Vec<String>, i64) {
    let db = hub_sqlite(data);
    let mut q = db
        .prepare("SELECT number FROM hub_case ORDER BY number")
        .unwrap();
    let numbers = q
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<Vec<String>, _>>()
        .unwrap();
    let ops = db
        .query_row("SELECT count(*) FROM applied_op", [], |r| r.get(0))
        .unwrap();
    (numbers, ops)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_backup_under_load_restores_into_a_new_epoch_and_the_desk_resends_what_the_hub_lost() {
    mock_keyring();
    let h = TestHub::new()
        .desk("1 号窗口")
        .user("liu", "clerk", "window clerk pass")
        .now(TEST_NOW)
        .start();
    let code = h.code("1 号窗口");
    let TestHub { tmp, data, hub, .. } = h;
    let out = tmp.path().join("hub.backup");
    let out_s = out.to_str().unwrap().to_string();
    let data_s = data.to_str().unwrap().to_string();

    if hub_database(&data).is_some() {
        // On PostgreSQL the database is pg_dump's: the command backs up the blobs and says so.
        let said = hub_cli(&["backup", "--data", &data_s, "--out", &out_s]);
        assert!(said.contains("pg_dump"), "{said}");
        assert!(out.exists());
        eprintln!(
            "the desk's side of a restore is tested on SQLite, where the command backs up the database too"
        );
        return;
    }

    let d = desk(tmp.path(), hub.url());
    d.enrol(&hub.url(), &code, "").await.unwrap();
    d.login("liu", "window clerk pass").await.unwrap();
    let mut numbers = Vec::new();
    for n in 1..=2 {
        numbers.push(accepted_case(&d, n).await);
    }
    d.sync_once().await.unwrap();

    // The backup runs while the desk accepts and pushes three more cases.
    let (bd, bo) = (data_s.clone(), out_s.clone());
    let backup = std::thread::spawn(move || hub_cli(&["backup", "--data", &bd, "--out", &bo]));
    for n in 3..=5 {
        numbers.push(accepted_case(&d, n).await);
        d.sync_once().await.unwrap();
    }
    let said = backup.join().unwrap();
    assert!(said.contains("备份内不含密钥"), "{said}");
    // And two after it.
    for n in 6..=7 {
        numbers.push(accepted_case(&d, n).await);
    }
    d.sync_once().await.unwrap();
    assert_eq!(d.status().push.pending_ops, 0);
    let (had, had_ops) = hub_has(&data);
    numbers.sort();
    assert_eq!(had, numbers);

    // The backup holds no key: the database and the blobs inside are sealed.
    let bytes = std::fs::read(&out).unwrap();
    let key = std::fs::read_to_string(data.join("keys/hub.key")).unwrap();
    assert!(
        !bytes
            .windows(key.trim().len())
            .any(|w| w == key.trim().as_bytes())
    );
    assert!(
        !bytes.windows(15).any(|w| w == b"SQLite format 3"),
        "hub.db is encrypted"
    );

    // A new folder: refused without the keys, restored with them.
    let addr = hub.addr.clone();
    drop(hub);
    let new = tmp.path().join("restored");
    let new_s = new.to_str().unwrap().to_string();
    let no_keys = hub_command_for(&["restore", "--from", &out_s, "--data", &new_s])
        .args(["restore", "--from", &out_s, "--data", &new_s])
        .output()
        .unwrap();
    assert_eq!(no_keys.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&no_keys.stderr).contains("--keys"),
        "{}",
        String::from_utf8_lossy(&no_keys.stderr)
    );
    assert!(!new.join("hub.db").exists(), "nothing left behind");
    let said = hub_cli(&[
        "restore", "--from", &out_s, "--data", &new_s, "--keys", &data_s,
    ]);
    assert!(said.contains("新纪元"), "{said}");
    // Restoring over it again is refused.
    let again = hub_command_for(&["restore", "--data", &new_s])
        .args([
            "restore", "--from", &out_s, "--data", &new_s, "--keys", &data_s,
        ])
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(2));
    let (restored, restored_ops) = hub_has(&new);
    assert!(
        restored.len() >= 2 && restored.len() < numbers.len(),
        "{restored:?}"
    );
    assert!(restored_ops < had_ops);
    // The audit chains restored verify.
    hub_cli(&["audit-verify", "--data", &new_s]);

    // The restored hub at the same address: the desk notices the new epoch, sends again what
    // the hub lacks, and goes on.
    let hub = HubProcess::start_args(&new, &addr, None, &["--now", TEST_NOW]);
    d.sync_once().await.unwrap();
    d.sync_once().await.unwrap();
    assert_eq!(d.status().push.pending_ops, 0, "{:?}", d.status().push);
    assert!(
        d.rejected_ops().unwrap().is_empty(),
        "{:?}",
        d.rejected_ops()
    );
    let (now_has, now_ops) = hub_has(&new);
    assert_eq!(now_has, numbers, "every case once");
    assert_eq!(now_ops, had_ops, "every op once: none lost, none twice");
    // Work goes on without a rebuild.
    numbers.push(accepted_case(&d, 8).await);
    d.sync_once().await.unwrap();
    numbers.sort();
    assert_eq!(hub_has(&new).0, numbers);
    assert_eq!(d.status().push.pending_ops, 0);
    // The desk's audit records the hub lost went again: its chain is whole there.
    hub_cli(&["audit-verify", "--data", &new_s]);
    drop(hub);
}
