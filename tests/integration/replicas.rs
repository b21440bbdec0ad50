//! A county of several hub processes on one PostgreSQL database, one blob folder and one key
//! file, behind a load balancer: a desk finishes its sync on the other process when one dies,
//! exactly once; a blob upload resumes there and is never written by two at once; a call
//! through one reaches the displays of the other; a decision made through one reaches a desk
//! waiting on the other, pushed; sign-in throttles count across them; the audit chain stays one.
//!
//! On a SQLite run the tests that need two processes say so and return; the push of results
//! is tested there with one process.

use std::time::{Duration, Instant};

use onewindow_tests::replica::{Balancer, start_first, start_replica};
use onewindow_tests::{demo_hub_data, enrol_code, hub_cli, hub_db, test_pg};

use crate::support::{accepted_case, desk, mock_keyring, sha256_hex};

/// `true` on a PostgreSQL run; on SQLite the test says why it does nothing.
fn two_processes(test: &str) -> bool {
    let pg = test_pg().is_some();
    if !pg {
        eprintln!(
            "{test}: several hub processes share a PostgreSQL database; run it with scripts/with-postgres.sh"
        );
    }
    pg
}

/// A data folder's folder of shared blobs.
fn shared_blobs(tmp: &std::path::Path) -> std::path::PathBuf {
    let dir = tmp.join("shared-blobs");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[tokio::test(flavor = "multi_thread")]
async fn a_desk_finishes_its_sync_on_the_other_hub_process_when_one_dies() {
    if !two_processes("replica failover") {
        return;
    }
    mock_keyring();
    let tmp = tempfile::tempdir().unwrap();
    let data = demo_hub_data(tmp.path());
    let blobs = shared_blobs(tmp.path());
    let code = enrol_code(&data, "综合受理 1 号窗口");
    let raw_code = enrol_code(&data, "综合受理 2 号窗口");

    // 1. A blob upload resumes on the other process. The first dies halfway through writing
    // the second chunk; the balancer then sends the desk to the second, which goes on from the
    // offset the database recorded, in the shared folder.
    let a = start_first(&data, &blobs, Some("blob.mid_write"));
    let b = start_replica(&data, &tmp.path().join("hub-b"), &blobs);
    let lb = Balancer::start(&[&a.addr, &b.addr]);
    let client = onewindow_sync::HubClient::new(&lb.url());
    let enrolment = client.enrol(&raw_code).await.unwrap();
    let client = client.with_token(&enrolment.token);
    // Two chunks; the first process takes the first and dies writing the second.
    let chunk = onewindow_proto::MAX_CHUNK;
    let bytes: Vec<u8> = (0..(chunk + 1024 * 1024) as u32)
        .map(|i| (i.wrapping_mul(2246822519) >> 23) as u8)
        .collect();
    let (sha, size) = (sha256_hex(&bytes), bytes.len() as u64);
    let st = client
        .put_chunk(&sha, 0, size, bytes[..chunk].to_vec())
        .await
        .unwrap();
    assert_eq!((st.offset, st.complete), (chunk as u64, false));
    let err = client
        .put_chunk(&sha, chunk as u64, size, bytes[chunk..].to_vec())
        .await
        .unwrap_err();
    assert!(
        matches!(err, onewindow_sync::SyncError::Unreachable { .. }),
        "{err:?}"
    );
    let a_port = a.addr.rsplit(':').next().unwrap().to_string();
    assert!(!a.wait_exit(Duration::from_secs(10)).success());
    let hub_blobs = onewindow_hub_store::store_blob::BlobDir::open_in(
        &data,
        Some(&onewindow_tests::replica::county_key_file(&data)),
        Some(&blobs),
    )
    .unwrap();
    // While a request of another process holds the upload, nobody else writes it: 409.
    let held = hub_blobs
        .take_upload(&enrolment.device_id, &sha)
        .unwrap()
        .expect("nobody holds it now");
    let err = client
        .put_chunk(&sha, chunk as u64, size, bytes[chunk..].to_vec())
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            onewindow_sync::SyncError::Hub {
                status: 409,
                code: onewindow_proto::ApiErrorCode::BlobBusy,
                ..
            }
        ),
        "{err:?}"
    );
    drop(held);
    // The second process reports what the database recorded, not what half-reached the disk,
    // and takes the rest.
    let st = client.blob_state(&sha).await.unwrap();
    assert_eq!((st.offset, st.complete), (chunk as u64, false));
    let st = client
        .put_chunk(&sha, chunk as u64, size, bytes[chunk..].to_vec())
        .await
        .unwrap();
    assert!(st.complete);
    assert!(lb.served(1) > 0, "the second process served");
    let hub_blobs = onewindow_hub_store::store_blob::BlobDir::open_in(
        &data,
        Some(&onewindow_tests::replica::county_key_file(&data)),
        Some(&blobs),
    )
    .unwrap();
    assert_eq!(sha256_hex(&hub_blobs.read(&sha).unwrap()), sha);

    // 2. Ops committed by a process that dies before answering arrive once. The first
    // process comes back (same address) and dies right after committing a desk's first ops.
    let a = onewindow_tests::HubProcess::start_args(
        &data,
        &format!("127.0.0.1:{a_port}"),
        Some("ops.after_commit"),
        &[
            "--blobs",
            blobs.to_str().unwrap(),
            "--key-file",
            onewindow_tests::replica::county_key_file(&data)
                .to_str()
                .unwrap(),
        ],
    );
    lb.prefer(0);
    let d = desk(&tmp.path().join("desk"), lb.url());
    d.enrol(&lb.url(), &code, "").await.unwrap();
    let mut numbers = Vec::new();
    for n in 1..=4 {
        numbers.push(accepted_case(&d, n).await);
    }
    let served_b = lb.served(1);
    let first = d.sync_once().await;
    assert!(!a.wait_exit(Duration::from_secs(10)).success(), "{first:?}");
    let db = hub_db(&data);
    let committed: i64 = db
        .query_row("SELECT count(*) FROM hub_case", (), |r| r.get(0))
        .unwrap();
    assert!(committed >= 1, "the first process committed before dying");
    for _ in 0..10 {
        if d.status().push.pending_ops == 0 {
            break;
        }
        let _ = d.sync_once().await;
    }
    assert_eq!(d.status().push.pending_ops, 0, "{:?}", d.status().push);
    assert!(
        lb.served(1) > served_b,
        "the desk went on through the second"
    );
    // Each case once, with its two scanned pages once.
    for number in &numbers {
        let (n, pages): (i64, i64) = db
            .query_row(
                "SELECT count(DISTINCT c.id), count(m.case_id) FROM hub_case c
                 LEFT JOIN hub_case_material m ON m.case_id = c.id WHERE c.number = ?1",
                [number.as_str()],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert_eq!((n, pages), (1, 2), "case {number} once, its pages once");
    }
    let rejected: i64 = db
        .query_row(
            "SELECT count(*) FROM applied_op WHERE status <> 'applied'",
            (),
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(rejected, 0, "the ops sent again were known, not refused");
    let cases = d.recent_cases().unwrap();
    assert!(cases.iter().all(|c| c.state_label == "已流转"), "{cases:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_call_through_one_hub_process_shows_on_the_displays_of_the_other() {
    if !two_processes("replica displays") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let data = demo_hub_data(tmp.path());
    let blobs = shared_blobs(tmp.path());
    hub_cli(&[
        "import-queue",
        "--data",
        data.to_str().unwrap(),
        onewindow_tests::demo("queue.json").to_str().unwrap(),
    ]);
    let w01 = enrol_code(&data, "1 号窗口");
    let a = start_first(&data, &blobs, None);
    let b = start_replica(&data, &tmp.path().join("hub-b"), &blobs);
    let window = onewindow_sync::HubClient::new(&a.url());
    let token = window.enrol(&w01).await.unwrap().token;
    let window = window.with_token(&token);
    // A hall display on the second process.
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let display = onewindow_sync::HubClient::new(&b.url()).with_token(&token);
    tokio::spawn(async move {
        let _ = display
            .follow_hall_board(move |board| {
                let _ = tx.send(board);
            })
            .await;
    });
    let first = tokio::time::timeout(Duration::from_secs(10), rx.recv())
        .await
        .expect("the display's first board")
        .unwrap();
    assert!(first.calls.is_empty());
    // A ticket taken at the kiosk of the first, called by the window through the first.
    let (web, t) = onewindow_tests::kiosk_browser(&data, &a.url()).await;
    let r = web
        .post(format!("{}/kiosk/tickets", a.url()))
        .form(&[("domain", "ZHSL"), ("csrf", &t)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let called = window.queue_call_next("li").await.unwrap();
    let number = called.ticket.unwrap().number;
    let at = Instant::now();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        let board = tokio::time::timeout_at(deadline, rx.recv())
            .await
            .unwrap_or_else(|_| panic!("{number} never reached the other process's display"))
            .unwrap();
        if board.calls.first().is_some_and(|c| c.number == number) {
            break;
        }
    }
    eprintln!(
        "a call through one process reached the other's display in {} ms",
        at.elapsed().as_millis()
    );
}

/// The push of results works with one process too (SQLite and PostgreSQL). With two, behind
/// a load balancer: the desk waits on the second, a decision made through the first reaches it
/// at once; the second dies, the desk asks again through the first and catches up from its
/// cursor with the decision made meanwhile.
#[tokio::test(flavor = "multi_thread")]
async fn a_decision_made_through_one_hub_process_reaches_a_desk_waiting_on_the_other() {
    mock_keyring();
    let tmp = tempfile::tempdir().unwrap();
    let data = demo_hub_data(tmp.path());
    let blobs = shared_blobs(tmp.path());
    let code = enrol_code(&data, "综合受理 1 号窗口");
    let item_domain = onewindow_tests::item_domain("00017200100002");
    onewindow_tests::add_user_at(
        &data,
        "wang",
        "approver",
        "correct horse battery",
        &["--domain", &item_domain],
    );
    let a = start_first(&data, &blobs, None);
    let b = test_pg()
        .is_some()
        .then(|| start_replica(&data, &tmp.path().join("hub-b"), &blobs));
    let lb = Balancer::start(&[&a.addr, &b.as_ref().unwrap_or(&a).addr]);
    lb.prefer(1);
    let d = desk(&tmp.path().join("desk"), lb.url());
    d.enrol(&lb.url(), &code, "").await.unwrap();
    let first = accepted_case(&d, 1).await;
    let second = accepted_case(&d, 2).await;
    d.sync_once().await.unwrap();
    assert_eq!(d.status().push.pending_ops, 0);
    tokio::spawn(d.clone().run_results_loop());
    // The desk's request waits at the second process (its metrics say so).
    let waiting_at = |url: String| async move {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let m = reqwest::get(format!("{url}/metrics"))
                .await
                .unwrap()
                .text()
                .await
                .unwrap();
            if m.contains("onewindow_hub_results_waiting 1") {
                return;
            }
            assert!(Instant::now() < deadline, "no desk waits at {url}: {m}");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };
    waiting_at(b.as_ref().unwrap_or(&a).url()).await;

    // The approver works through the first process.
    let base = a.url();
    let (web, t) = onewindow_tests::office_browser(&base, "wang", "correct horse battery").await;
    let decide = |number: String| {
        let (web, base, t) = (web.clone(), base.clone(), t.clone());
        async move {
            assert_eq!(
                onewindow_tests::office_return(&web, &base, &number, &t).await,
                303
            );
            Instant::now()
        }
    };
    let reaches = |number: String, within: Duration| {
        let d = d.clone();
        async move {
            let deadline = Instant::now() + within;
            loop {
                let case = d
                    .recent_cases()
                    .unwrap()
                    .into_iter()
                    .find(|c| c.number == number)
                    .unwrap();
                if case.state_label != "已流转" {
                    return;
                }
                assert!(
                    Instant::now() < deadline,
                    "the decision on {number} never reached the desk"
                );
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    };
    let decided = decide(first.clone()).await;
    // Pushed: well before the desk's 25 s wait would have ended by itself.
    reaches(first, Duration::from_secs(10)).await;
    eprintln!("decision to desk: {} ms", decided.elapsed().as_millis());

    let Some(b) = b else {
        return;
    };
    // The approver also signs in through the second: both processes write the hub's audit
    // chain (sign-ins, views, decisions), one chain under one key.
    onewindow_tests::office_browser(&b.url(), "wang", "correct horse battery").await;
    // The second process dies with the desk's request on it; the next goes to the first, and
    // the decision made meanwhile arrives from the desk's cursor.
    waiting_at(b.url()).await;
    b.kill();
    decide(second.clone()).await;
    reaches(second, Duration::from_secs(20)).await;
    waiting_at(a.url()).await;
    let verify = hub_cli(&["audit-verify", "--data", data.to_str().unwrap()]);
    assert!(!verify.is_empty());
}

/// Wrong passwords through either process count toward one lock.
#[tokio::test(flavor = "multi_thread")]
async fn sign_in_failures_count_across_the_hub_processes() {
    if !two_processes("replica throttles") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let data = demo_hub_data(tmp.path());
    let blobs = shared_blobs(tmp.path());
    onewindow_tests::add_user(&data, "liu", "clerk", "window clerk pass");
    let code = enrol_code(&data, "1 号窗口");
    let a = start_first(&data, &blobs, None);
    let b = start_replica(&data, &tmp.path().join("hub-b"), &blobs);
    let token = onewindow_sync::HubClient::new(&a.url())
        .enrol(&code)
        .await
        .unwrap()
        .token;
    let via = [
        onewindow_sync::HubClient::new(&a.url()).with_token(&token),
        onewindow_sync::HubClient::new(&b.url()).with_token(&token),
    ];
    // A wait longer than the hub allows is refused plainly.
    let err = via[1].results_waiting(0, 31).await.unwrap_err();
    assert!(
        matches!(err, onewindow_sync::SyncError::Hub { status: 400, code: onewindow_proto::ApiErrorCode::BadQuery, ref message, .. } if message.contains("wait must be")),
        "{err:?}"
    );
    let max = onewindow_domain::login::MAX_FAILURES as usize;
    for i in 0..max {
        let err = via[i % 2].login("liu", "wrong").await.unwrap_err();
        // The last failure locks the name at once.
        let status = if i + 1 < max { 401 } else { 429 };
        assert!(
            matches!(err, onewindow_sync::SyncError::Hub { status: s, .. } if s == status),
            "attempt {i} through process {}: {err:?}",
            i % 2
        );
    }
    // Locked on both, the right password too.
    for c in &via {
        let err = c.login("liu", "window clerk pass").await.unwrap_err();
        assert!(
            matches!(err, onewindow_sync::SyncError::Hub { status: 429, .. }),
            "{err:?}"
        );
    }
}

/// `/readyz` answers 503 while the process cannot reach its database (a load balancer then
/// sends desks to the others) and 200 again once it can; `/healthz` answers throughout.
#[tokio::test(flavor = "multi_thread")]
async fn readyz_follows_the_database_and_healthz_the_process() {
    let Some(admin) = test_pg() else {
        eprintln!("readyz and the database: a PostgreSQL test");
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let data = demo_hub_data(tmp.path());
    let blobs = shared_blobs(tmp.path());
    let hub = start_first(&data, &blobs, None);
    let database = onewindow_tests::hub_database(&data).unwrap();
    let name = database.rsplit('/').next().unwrap().to_string();
    let psql = |sql: &str| {
        let out = std::process::Command::new("psql")
            .args([admin.as_str(), "-v", "ON_ERROR_STOP=1", "-qAt", "-c", sql])
            .output()
            .expect("psql runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    let status = |path: &'static str| {
        let url = format!("{}{path}", hub.url());
        async move {
            reqwest::Client::new()
                .get(url)
                .timeout(Duration::from_secs(10))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    let until = |path: &'static str, want: u16| async move {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let got = status(path).await;
            if got == want {
                return;
            }
            assert!(
                Instant::now() < deadline,
                "{path} stayed {got}, wanted {want}"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    };
    until("/readyz", 200).await;
    // The database refuses the hub: its sessions are ended and no new one is let in.
    psql(&format!(
        "ALTER DATABASE \"{name}\" ALLOW_CONNECTIONS false; \
         SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = '{name}'"
    ));
    until("/readyz", 503).await;
    assert_eq!(status("/healthz").await, 200, "the process itself answers");
    psql(&format!("ALTER DATABASE \"{name}\" ALLOW_CONNECTIONS true"));
    until("/readyz", 200).await;
}
