//! `onewindow-hub backup` while a desk pushes, `restore` into a new folder, and the desk
//! sending again, exactly once, what the restored hub lost (a new epoch), with no rebuild.

use onewindow_tests::{
    HubProcess, TEST_NOW, TestHub, desk_deb, hub_cli, hub_cli_refused, hub_command_for,
    hub_database, hub_sqlite,
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

/// The desks' APT repository is in the backup and its signing key goes with the other keys:
/// a restored hub serves the same signed index, and publishes under the same key. A hub
/// restored without that key refuses to sign with a new one, since every desk trusts only the
/// old one.
#[tokio::test(flavor = "multi_thread")]
async fn a_restored_hub_serves_its_desk_updates_and_signs_them_with_the_same_key() {
    let h = TestHub::new().now(TEST_NOW).start();
    let TestHub { tmp, data, hub, .. } = h;
    let data_s = data.to_str().unwrap().to_string();
    let out = tmp.path().join("hub.backup");
    let out_s = out.to_str().unwrap().to_string();
    if hub_database(&data).is_some() {
        eprintln!(
            "the repository's restore is tested on SQLite, where restore takes the database too"
        );
        return;
    }
    let first = desk_deb(tmp.path(), "0.1.0+b1");
    hub_cli(&["publish-desk", "--data", &data_s, first.to_str().unwrap()]);
    let said = hub_cli(&["backup", "--data", &data_s, "--out", &out_s]);
    assert!(said.contains("窗口程序软件源"), "{said}");
    assert!(said.contains("apt-gpg/"), "{said}");
    let listed = std::process::Command::new("tar")
        .arg("-tf")
        .arg(&out)
        .output()
        .unwrap();
    let names = String::from_utf8(listed.stdout).unwrap();
    for name in [
        "apt/dists/onewindow/InRelease",
        "apt/dists/onewindow/Release.gpg",
        "apt/dists/onewindow/main/binary-amd64/Packages",
        "apt/onewindow-archive-keyring.gpg",
        "apt/pool/main/onewindow-desk_0.1.0+b1_amd64.deb",
    ] {
        assert!(names.lines().any(|n| n == name), "{name} not in {names}");
    }
    assert!(
        !names.contains("apt-gpg"),
        "the signing key stays out: {names}"
    );
    let addr = hub.addr.clone();
    drop(hub);

    // Restored with every key: the same files, served as before.
    let new = tmp.path().join("restored");
    let new_s = new.to_str().unwrap().to_string();
    let said = hub_cli(&[
        "restore", "--from", &out_s, "--data", &new_s, "--keys", &data_s,
    ]);
    assert!(said.contains("新纪元"), "{said}");
    let read = |dir: &std::path::Path, rel: &str| std::fs::read(dir.join("apt").join(rel)).unwrap();
    for rel in [
        "dists/onewindow/InRelease",
        "onewindow-archive-keyring.gpg",
        "pool/main/onewindow-desk_0.1.0+b1_amd64.deb",
    ] {
        assert_eq!(read(&new, rel), read(&data, rel), "{rel}");
    }
    let hub = HubProcess::start_args(&new, &addr, None, &["--now", TEST_NOW]);
    let served = reqwest::get(format!("{}/apt/dists/onewindow/InRelease", hub.url()))
        .await
        .unwrap();
    assert_eq!(served.status(), 200);
    assert_eq!(
        served.bytes().await.unwrap().as_ref(),
        read(&data, "dists/onewindow/InRelease")
    );
    drop(hub);
    // The next release goes out under the same key: desks' Signed-By still holds.
    let second = desk_deb(tmp.path(), "0.1.0+b2");
    hub_cli(&["publish-desk", "--data", &new_s, second.to_str().unwrap()]);
    assert_eq!(
        read(&new, "onewindow-archive-keyring.gpg"),
        read(&data, "onewindow-archive-keyring.gpg")
    );
    let keyring = new.join("apt/onewindow-archive-keyring.gpg");
    let verified = std::process::Command::new("gpgv")
        .arg("--keyring")
        .arg(&keyring)
        .arg(new.join("apt/dists/onewindow/InRelease"))
        .output()
        .unwrap();
    assert!(
        verified.status.success(),
        "{}",
        String::from_utf8_lossy(&verified.stderr)
    );
    let packages =
        String::from_utf8(read(&new, "dists/onewindow/main/binary-amd64/Packages")).unwrap();
    assert!(packages.contains("Version: 0.1.0+b2"), "{packages}");

    // Restored with the database's keys only: the repository is served, but no new key is
    // made behind the operator's back.
    let keys_only = tmp.path().join("keys-only");
    for rel in ["keys/hub.key", "audit-key", "tls/key.pem", "tls/cert.pem"] {
        if data.join(rel).exists() {
            std::fs::create_dir_all(keys_only.join(rel).parent().unwrap()).unwrap();
            std::fs::copy(data.join(rel), keys_only.join(rel)).unwrap();
        }
    }
    let other = tmp.path().join("restored-without-the-apt-key");
    let other_s = other.to_str().unwrap().to_string();
    hub_cli(&[
        "restore",
        "--from",
        &out_s,
        "--data",
        &other_s,
        "--keys",
        keys_only.to_str().unwrap(),
    ]);
    assert!(other.join("apt/dists/onewindow/InRelease").exists());
    let refused = hub_cli_refused(&["publish-desk", "--data", &other_s, second.to_str().unwrap()]);
    assert!(refused.contains("apt-gpg/"), "{refused}");
    assert!(refused.contains("--system"), "{refused}");
    assert_eq!(
        read(&other, "onewindow-archive-keyring.gpg"),
        read(&data, "onewindow-archive-keyring.gpg"),
        "the key desks trust is still the one served"
    );
    let packages =
        String::from_utf8(read(&other, "dists/onewindow/main/binary-amd64/Packages")).unwrap();
    assert!(packages.contains("Version: 0.1.0+b1"), "{packages}");
    assert!(!packages.contains("0.1.0+b2"), "{packages}");
}
