//! The hub's store on PostgreSQL (`scripts/with-postgres.sh` sets `ONEWINDOW_TEST_PG`; make test
//! runs the whole suite a second time that way): the two schemas agree, requests run at once
//! on pooled connections, two windows never take one ticket, a change-log cursor never passes a
//! change that commits late, and `migrate-to` moves a SQLite hub whole.

use std::sync::{Arc, Barrier};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use onewindow_domain::queue::{QueueConfig, QueueDomain, QueueWindow};
use onewindow_tests::{TEST_NOW, demo_hub_data, hub_db, hub_store, root, test_pg};

/// `None` (and the test passes doing nothing) on a SQLite run.
fn on_postgres(test: &str) -> Option<String> {
    let url = test_pg();
    if url.is_none() {
        eprintln!("{test}: a PostgreSQL test; run it with scripts/with-postgres.sh");
    }
    url
}

fn test_now() -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(TEST_NOW).unwrap().to_utc()
}

#[test]
fn the_two_schemas_agree_table_by_table_and_column_by_column() {
    let Some(admin) = on_postgres("schemas") else {
        return;
    };
    let out = std::process::Command::new("python3")
        .arg(root().join("scripts/compare-hub-schemas.py"))
        .arg(&admin)
        .output()
        .expect("run scripts/compare-hub-schemas.py");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{text}");
    assert!(text.contains("no differences"), "{text}");
}

/// One domain served by every window, no opening hours (always open).
fn one_domain_queue(windows: u32) -> QueueConfig {
    QueueConfig {
        windows: (1..=windows)
            .map(|n| QueueWindow {
                number: n,
                name: format!("{n} 号窗口"),
                desk_code: None,
                domains: vec!["D1".into()],
                tidal: false,
            })
            .collect(),
        domains: vec![QueueDomain {
            code: "D1".into(),
            name: "综合业务".into(),
            prefix: "A".into(),
        }],
        rules: vec![],
        hours: None,
        unresolved_days: None,
    }
}

/// Two windows call the next ticket at the same moment, each through its own pooled connection,
/// over and over: every ticket is called exactly once.
#[test]
fn two_windows_calling_at_once_never_get_the_same_ticket() {
    if on_postgres("tickets").is_none() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let data = demo_hub_data(tmp.path());
    const TICKETS: usize = 60;
    {
        let mut hub = hub_store(&data);
        hub.import_queue("MAIN", &one_domain_queue(2), test_now())
            .unwrap();
        for _ in 0..TICKETS {
            hub.issue_ticket("MAIN", "D1", None, None, "test", test_now())
                .unwrap();
        }
    }
    let start = Arc::new(Barrier::new(2));
    let windows: Vec<_> = (1..=2u32)
        .map(|window| {
            let (data, start) = (data.clone(), start.clone());
            std::thread::spawn(move || {
                let mut hub = hub_store(&data);
                start.wait();
                let mut called = Vec::new();
                loop {
                    let answer = hub
                        .call_next("MAIN", window, &format!("clerk{window}"), test_now())
                        .unwrap();
                    match answer.ticket {
                        Some(t) => called.push(t.number),
                        None => return called,
                    }
                }
            })
        })
        .collect();
    let called: Vec<Vec<String>> = windows.into_iter().map(|w| w.join().unwrap()).collect();
    assert!(
        called.iter().all(|c| !c.is_empty()),
        "both windows called: {called:?}"
    );
    let mut all: Vec<&String> = called.iter().flatten().collect();
    all.sort();
    let total = all.len();
    all.dedup();
    assert_eq!(all.len(), total, "a ticket was called twice: {called:?}");
    assert_eq!(total, TICKETS);
}

/// A transaction held open in the database (as a slow writer would) does not stop the hub:
/// a desk's pull, the kiosk's slip and the hall board answer meanwhile.
#[tokio::test(flavor = "multi_thread")]
async fn a_request_completes_while_another_transaction_is_held_open() {
    if on_postgres("held transaction").is_none() {
        return;
    }
    let hub = onewindow_tests::TestHub::new()
        .queue()
        .desk("综合受理 1 号窗口")
        .now(TEST_NOW)
        .start();
    crate::support::mock_keyring();
    let d = hub.desk_app("desk");
    d.enrol(&hub.url(), &hub.code("综合受理 1 号窗口"), "")
        .await
        .unwrap();
    // The writers' lock and a row lock, taken and kept by a connection of the test's own.
    let held = hub_db(&hub.data);
    let tx = held.transaction().unwrap();
    tx.execute(
        "UPDATE catalog_version SET source = source WHERE id = 1",
        (),
    )
    .unwrap();
    let begun = Instant::now();
    let pulled = tokio::time::timeout(Duration::from_secs(10), d.sync_once()).await;
    assert!(
        matches!(pulled, Ok(Ok(_))),
        "the pull finished while the transaction was open: {pulled:?}"
    );
    let url = hub.url();
    let board = tokio::task::spawn_blocking(move || {
        reqwest::blocking::Client::new()
            .get(format!("{url}/display/MAIN"))
            .timeout(Duration::from_secs(10))
            .send()
            .map(|r| r.status().as_u16())
    })
    .await
    .unwrap();
    assert!(
        board.is_ok(),
        "the hall board answered while the transaction was open: {board:?}"
    );
    assert!(begun.elapsed() < Duration::from_secs(10));
    tx.commit().unwrap();
}

/// Change-log sequence numbers are taken in commit order: while one writer holds the change it
/// logged (seq N) uncommitted, the next writer waits before it takes N+1, and a desk reading
/// the log meanwhile stops before N; once both commit it reads N, then N+1 — nothing skipped.
#[test]
fn a_change_log_cursor_never_passes_a_change_that_commits_late() {
    if on_postgres("cursor").is_none() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let data = demo_hub_data(tmp.path());
    let before = hub_store(&data).catalog_changes(0, 10_000).unwrap();
    let last = before.next_cursor;
    assert!(last > 0);

    // Writer A: logs a change the way the store does (the writers' lock first) and holds it.
    let a = hub_db(&data);
    let tx = a.transaction().unwrap();
    let a_seq: i64 = tx
        .query_row(
            "INSERT INTO catalog_change (version_id, entity, op, key, body)
             SELECT version_id, entity, op, key, body FROM catalog_change WHERE seq = ?1
             RETURNING seq",
            [last],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(a_seq, last + 1);

    // Writer B: the hub publishing a changed catalog, through the store.
    let b = std::thread::spawn({
        let data = data.clone();
        move || {
            let mut cat = onewindow_domain::Catalog::from_json_str(
                &std::fs::read_to_string(onewindow_tests::demo("catalog-sample.json")).unwrap(),
            )
            .unwrap();
            cat.version = "late".into();
            cat.items[0].name.push_str("（新）");
            hub_store(&data)
                .import_catalog(&cat, "late.json", test_now())
                .unwrap()
        }
    });
    std::thread::sleep(Duration::from_millis(800));
    assert!(!b.is_finished(), "writer B waits for writer A");
    // A desk reading now stops where the committed log ends.
    let mid = hub_store(&data).catalog_changes(last, 10_000).unwrap();
    assert_eq!(mid.next_cursor, last, "{:?}", mid.changes.len());
    assert!(mid.changes.is_empty());

    tx.commit().unwrap();
    let report = b.join().unwrap();
    assert!(report.upserts >= 1);
    let after = hub_store(&data).catalog_changes(last, 10_000).unwrap();
    let seqs: Vec<i64> = after.changes.iter().map(|c| c.seq).collect();
    assert_eq!(
        seqs.first(),
        Some(&a_seq),
        "A's change comes first: {seqs:?}"
    );
    assert!(
        seqs.windows(2).all(|w| w[1] == w[0] + 1),
        "no gaps: {seqs:?}"
    );
}

/// A SQLite hub a desk has pushed cases, scans and audit records to is copied into an empty
/// PostgreSQL database; the copy verifies record by record, keeps change-log sequence numbers
/// and audit hashes (`audit-verify` passes on it), a second copy into it is refused, and the
/// desk carries on against the hub serving from PostgreSQL at the same address.
#[tokio::test(flavor = "multi_thread")]
async fn migrate_to_copies_a_sqlite_hub_and_its_desks_carry_on() {
    if on_postgres("migrate-to").is_none() {
        return;
    }
    crate::support::mock_keyring();
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("hub");
    onewindow_tests::keep_on_sqlite(&data);
    let data = demo_hub_data(tmp.path());
    let code = onewindow_tests::enrol_code(&data, "综合受理 1 号窗口");
    let hub = onewindow_tests::HubProcess::start(&data);
    let d = crate::support::desk(&tmp.path().join("desk"), hub.url());
    d.enrol(&hub.url(), &code, "").await.unwrap();
    crate::support::accepted_case(&d, 1).await;
    crate::support::accepted_case(&d, 2).await;
    while d.sync_once().await.unwrap() {}
    assert_eq!(d.status().push.pending_ops, 0);
    let port = hub.url().rsplit(':').next().unwrap().to_string();
    hub.kill();
    let (sqlite_changes, sqlite_cases, sqlite_blobs, sqlite_heads) = {
        let s = hub_store(&data);
        (
            s.catalog_changes(0, 10_000).unwrap(),
            s.case_count().unwrap(),
            s.complete_blobs().unwrap(),
            s.audit_heads().unwrap(),
        )
    };
    assert_eq!(sqlite_cases, 2);

    // An empty database of its own (the folder name only names it).
    let url = onewindow_tests::hub_database(&tmp.path().join("pg-target")).unwrap();
    let migrate = |url: &str| {
        std::process::Command::new(onewindow_tests::hub_binary())
            .args([
                "migrate-to",
                "--data",
                data.to_str().unwrap(),
                "--database",
                url,
            ])
            .env_remove("ONEWINDOW_HUB_DATABASE")
            .output()
            .unwrap()
    };
    let out = migrate(&url);
    let said = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{said}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(said.contains("逐条核对一致"), "{said}");
    assert!(said.contains("audit_record: "), "{said}");
    // Not into a database that holds anything.
    let again = migrate(&url);
    assert_eq!(again.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("not empty"),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );

    let pg = onewindow_hub_store::store::HubStore::connect(&data, None, Some(&url)).unwrap();
    let pg_changes = pg.catalog_changes(0, 10_000).unwrap();
    assert_eq!(pg_changes.next_cursor, sqlite_changes.next_cursor);
    assert_eq!(
        pg_changes.changes.iter().map(|c| c.seq).collect::<Vec<_>>(),
        sqlite_changes
            .changes
            .iter()
            .map(|c| c.seq)
            .collect::<Vec<_>>()
    );
    assert_eq!(pg.case_count().unwrap(), 2);
    assert_eq!(pg.complete_blobs().unwrap(), sqlite_blobs);
    let pg_heads = pg.audit_heads().unwrap();
    assert_eq!(
        format!("{pg_heads:?}"),
        format!("{sqlite_heads:?}"),
        "the audit chains' heads, hashes included"
    );
    drop(pg);
    let verify = std::process::Command::new(onewindow_tests::hub_binary())
        .args([
            "audit-verify",
            "--data",
            data.to_str().unwrap(),
            "--database",
            &url,
        ])
        .env_remove("ONEWINDOW_HUB_DATABASE")
        .output()
        .unwrap();
    assert!(
        verify.status.success(),
        "{}{}",
        String::from_utf8_lossy(&verify.stdout),
        String::from_utf8_lossy(&verify.stderr)
    );

    // The hub serves from PostgreSQL at the same address; the desk goes on, no rebuild.
    let hub = onewindow_tests::HubProcess::start_args(
        &data,
        &format!("127.0.0.1:{port}"),
        None,
        &["--database", &url],
    );
    crate::support::accepted_case(&d, 3).await;
    while d.sync_once().await.unwrap() {}
    assert_eq!(d.status().push.pending_ops, 0);
    hub.kill();
    let pg = onewindow_hub_store::store::HubStore::connect(&data, None, Some(&url)).unwrap();
    assert_eq!(pg.case_count().unwrap(), 3, "the third case landed once");
    assert_eq!(pg.complete_blobs().unwrap().len(), sqlite_blobs.len() + 2);
}

/// Attempts counted at once on many pooled connections all count: a throttle (here the
/// sign-in one per address) is never undercounted by two requests reading the same count.
#[test]
fn attempts_counted_at_once_all_count() {
    if on_postgres("throttle").is_none() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let data = demo_hub_data(tmp.path());
    const AT_ONCE: usize = 12;
    let start = Arc::new(Barrier::new(AT_ONCE));
    let counters: Vec<_> = (0..AT_ONCE)
        .map(|_| {
            let (data, start) = (data.clone(), start.clone());
            std::thread::spawn(move || {
                let mut hub = hub_store(&data);
                start.wait();
                hub.throttle_count(
                    &onewindow_hub_store::store_guard::LOGIN_ADDRESS,
                    "192.0.2.7",
                    test_now(),
                )
                .unwrap();
            })
        })
        .collect();
    for c in counters {
        c.join().unwrap();
    }
    let count: i64 = hub_db(&data)
        .query_row(
            "SELECT count FROM throttle WHERE scope = ?1 AND key = ?2",
            onewindow_hub_store::params![
                onewindow_hub_store::store_guard::LOGIN_ADDRESS.scope,
                "192.0.2.7"
            ],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(count, AT_ONCE as i64);
}

/// A `--database` that is no PostgreSQL URL, or a server that does not answer: a clear refusal
/// (the password masked), and nothing made in the data folder.
#[test]
fn a_bad_or_unreachable_database_is_refused_and_the_data_folder_left_alone() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("hub");
    let run = |url: &str| {
        std::process::Command::new(onewindow_tests::hub_binary())
            .args([
                "enrol",
                "--data",
                data.to_str().unwrap(),
                "--desk",
                "1 号窗口",
            ])
            .args(["--database", url])
            .env_remove("ONEWINDOW_HUB_DATABASE")
            .output()
            .unwrap()
    };
    let bad = run("mysql://hub:secret@db/onewindow");
    let said = String::from_utf8_lossy(&bad.stderr);
    assert_eq!(bad.status.code(), Some(2), "{said}");
    assert!(
        said.contains("无法打开中心数据库") && said.contains("not a PostgreSQL URL"),
        "{said}"
    );
    let gone = run(&onewindow_tests::dead_port_url().replace("http://", "postgres://hub:secret@"));
    let said = String::from_utf8_lossy(&gone.stderr);
    assert_eq!(gone.status.code(), Some(1), "{said}");
    assert!(said.contains("cannot reach PostgreSQL"), "{said}");
    assert!(!said.contains("secret"), "the password is masked: {said}");
    assert!(
        !data.join("audit-key").exists(),
        "no key made for a database never reached"
    );
}
