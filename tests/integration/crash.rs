//! Crash tests with real processes: the desk's push loop runs as its own process and is
//! SIGKILLed at random moments and at named points (after a chunk, after the hub committed a
//! batch but before the desk recorded the answers), 30 times, while 50 cases with their scans
//! drain to a real hub. The hub must end with exactly 50 cases, every blob whole and
//! hash-checked, and no op applied twice.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use chrono::Utc;
use onewindow_store::Store;
use onewindow_store::cases::{Actor, Attachment, NewCase};
use onewindow_tests::{HubProcess, demo_hub_data};
use sha2::Digest;

/// A small deterministic generator, so a failing run can be repeated.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn bytes(&mut self, n: usize) -> Vec<u8> {
        (0..n).map(|_| (self.next() >> 24) as u8).collect()
    }
}

/// A scan in the desk's blob folder, sealed as the desk keeps it.
fn store_blob(blobs: &Path, bytes: &[u8]) -> String {
    onewindow_tests::put_blob(&onewindow_tests::sealed_blobs(blobs), bytes)
}

/// 50 accepted cases, two scans each (every tenth case has a 10 MB scan: two chunks).
fn fifty_cases(cache: &Path, blobs: &Path, rng: &mut Rng) -> usize {
    fifty_cases_as(cache, blobs, rng, "W01")
}

fn fifty_cases_as(cache: &Path, blobs: &Path, rng: &mut Rng, desk: &str) -> usize {
    let mut s = Store::open(cache).unwrap();
    let who = Actor {
        user: "李窗口".into(),
        desk: desk.into(),
    };
    let now = Utc::now();
    let mut files = 0;
    for i in 0..50 {
        let c = s
            .create_case(
                &NewCase {
                    item_code: "00017200100002".into(),
                    scenario_code: Some("00017200100002-01".into()),
                    local_date: "2026-11-27".parse().unwrap(),
                },
                &who,
                now,
            )
            .unwrap();
        let mut attachments = Vec::new();
        for slot in 0..2 {
            let size = if i % 10 == 0 && slot == 0 {
                10 * 1024 * 1024
            } else {
                100_000 + (rng.next() % 200_000) as usize
            };
            let bytes = rng.bytes(size);
            let sha = store_blob(blobs, &bytes);
            let a = Attachment {
                sha256: sha.clone(),
                slot: Some(slot),
                original_name: format!("scan-{i}-{slot}.jpg"),
                size: size as u64,
                kind: "jpeg".into(),
                pages: None,
            };
            s.attach(&c.id, &a, now).unwrap();
            attachments.push(onewindow_proto::ops::Attachment {
                file: a.to_ref(),
                material: None,
            });
            files += 1;
        }
        s.accept(
            &c.id,
            &who,
            now,
            &[],
            &[(
                c.id.clone(),
                onewindow_proto::ops::HandOffDetail {
                    attachments,
                    ..Default::default()
                },
            )],
        )
        .unwrap();
    }
    files
}

fn pusher(cache: &Path, blobs: &Path, hub: &str, token: &str, failpoint: Option<&str>) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_onewindow-desk-push"));
    // Throttled so that the whole drain spans the thirty rounds and every kill lands mid-sync.
    cmd.args([
        "--cache",
        cache.to_str().unwrap(),
        "--blobs",
        blobs.to_str().unwrap(),
        "--hub",
        hub,
    ])
    .args(["--throttle", "8000000"])
    .env("ONEWINDOW_TOKEN", token)
    .env_remove("ONEWINDOW_FAILPOINT")
    .stdout(Stdio::null())
    .stderr(Stdio::null());
    if let Some(f) = failpoint {
        cmd.env("ONEWINDOW_FAILPOINT", f);
    }
    cmd
}

#[tokio::test(flavor = "multi_thread")]
async fn killed_thirty_times_the_desk_still_delivers_everything_exactly_once() {
    let tmp = tempfile::tempdir().unwrap();
    let data = demo_hub_data(tmp.path());
    let code = onewindow_tests::enrol_code(&data, "1 号窗口");
    let hub = HubProcess::start(&data);
    let token = onewindow_sync::HubClient::new(&hub.url())
        .enrol(&code)
        .await
        .unwrap()
        .token;
    let cache: PathBuf = tmp.path().join("desk/cache.db");
    let blobs = tmp.path().join("desk/blobs");
    std::fs::create_dir_all(cache.parent().unwrap()).unwrap();
    let mut rng = Rng(0x5eed_0f0e_1234_5678);
    let files = fifty_cases(&cache, &blobs, &mut rng);

    let started = Instant::now();
    let mut killed_by_us = 0;
    let mut died_at_points = 0;
    for round in 0..30 {
        let failpoint = match round % 6 {
            4 => Some("upload.after_chunk"),
            5 => Some("push.after_hub_commit"),
            _ => None,
        };
        let mut child = pusher(&cache, &blobs, &hub.url(), &token, failpoint)
            .spawn()
            .unwrap();
        // A named point kills the process by itself; otherwise (and if the point is not reached
        // in time) SIGKILL at a random moment.
        let wait = if failpoint.is_some() {
            1500
        } else {
            20 + rng.next() % 250
        };
        let until = Instant::now() + Duration::from_millis(wait);
        while Instant::now() < until && child.try_wait().unwrap().is_none() {
            std::thread::sleep(Duration::from_millis(5));
        }
        if child.try_wait().unwrap().is_none() {
            child.kill().unwrap(); // SIGKILL
            killed_by_us += 1;
        } else if failpoint.is_some() {
            died_at_points += 1;
        }
        let _ = child.wait();
    }
    // One last run, left to finish.
    let mut last = pusher(&cache, &blobs, &hub.url(), &token, None)
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    while last.try_wait().unwrap().is_none() {
        assert!(Instant::now() < deadline, "the final push did not finish");
        std::thread::sleep(Duration::from_millis(50));
    }
    assert!(last.wait().unwrap().success());
    eprintln!(
        "30 rounds ({killed_by_us} SIGKILLs, {died_at_points} deaths at named points) in {:?}",
        started.elapsed()
    );
    assert!(
        killed_by_us + died_at_points >= 20,
        "most rounds must be cut mid-sync"
    );
    assert!(died_at_points >= 5, "the named points must be reached");

    let hub_store = onewindow_tests::hub_store(&data);
    assert_eq!(hub_store.case_count().unwrap(), 50);
    let complete = hub_store.complete_blobs().unwrap();
    assert_eq!(complete.len(), files);
    for (sha, size) in &complete {
        let bytes = onewindow_hub::store_blob::blob_dir(&data)
            .read(sha)
            .unwrap();
        assert_eq!(bytes.len() as u64, *size);
        assert_eq!(&format!("{:x}", sha2::Sha256::digest(&bytes)), sha);
    }
    let db = onewindow_tests::hub_db(&data);
    let (ops, applied, materials): (i64, i64, i64) = db
        .query_row(
            "SELECT (SELECT count(*) FROM applied_op), (SELECT count(*) FROM applied_op WHERE status = 'applied'),
                    (SELECT count(*) FROM hub_case_material)",
            (),
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .unwrap();
    assert_eq!(
        (ops, applied, materials),
        (50, 50, 100),
        "no duplicates, nothing half"
    );
    let desk = Store::open(&cache).unwrap();
    assert_eq!(desk.push_health().unwrap().pending_ops, 0);
    hub.kill();
}

/// Drains `cache` to `hub_url` in-process until nothing is pending (bounded).
async fn drain(cache: &Path, blobs: &Path, hub_url: &str, token: &str) -> u32 {
    let store = std::sync::Arc::new(std::sync::Mutex::new(Store::open(cache).unwrap()));
    let client = onewindow_sync::HubClient::new(hub_url).with_token(token);
    let blobs = onewindow_tests::sealed_blobs(blobs);
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut failures = 0;
    loop {
        match onewindow_sync::push_outbox(&client, &store, &blobs, None).await {
            Ok(_) if store.lock().unwrap().push_health().unwrap().pending_ops == 0 => {
                return failures;
            }
            Ok(_) => {}
            Err(_) => failures += 1,
        }
        assert!(Instant::now() < deadline, "drain did not finish");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn enrol_token(data: &Path, desk: &str, hub: &HubProcess) -> String {
    enrol_token_coded(data, desk, None, hub)
}

/// Like [`enrol_token`], for a desk whose cases were numbered with `desk_code` before.
fn enrol_token_coded(data: &Path, desk: &str, desk_code: Option<&str>, hub: &HubProcess) -> String {
    let code = match desk_code {
        None => onewindow_tests::enrol_code(data, desk),
        Some(c) => onewindow_tests::code_in(&onewindow_tests::hub_cli(&[
            "enrol",
            "--data",
            data.to_str().unwrap(),
            "--desk",
            desk,
            "--desk-code",
            c,
        ])),
    };
    let url = hub.url();
    std::thread::spawn(move || {
        tokio::runtime::Runtime::new()
            .unwrap()
            .block_on(onewindow_sync::HubClient::new(&url).enrol(&code))
            .unwrap()
            .token
    })
    .join()
    .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn through_a_link_that_cuts_stalls_and_lags_sync_completes_exactly_once() {
    let tmp = tempfile::tempdir().unwrap();
    let data = demo_hub_data(tmp.path());
    let hub = HubProcess::start(&data);
    let token = enrol_token(&data, "1 号窗口", &hub);
    let proxy = onewindow_tests::ChaosProxy::start(hub.addr.parse().unwrap(), 0xC0FFEE);
    let cache = tmp.path().join("desk/cache.db");
    let blobs = tmp.path().join("desk/blobs");
    std::fs::create_dir_all(cache.parent().unwrap()).unwrap();
    let files = fifty_cases(&cache, &blobs, &mut Rng(0xBADC0DE));
    let failures = drain(&cache, &blobs, &proxy.url(), &token).await;
    eprintln!(
        "drained through the chaos proxy: {} cuts, {} stalls, {failures} failed attempts",
        proxy.cuts(),
        proxy.stalls()
    );
    assert!(
        proxy.cuts() >= 5,
        "the proxy must actually have cut connections"
    );

    let hub_store = onewindow_tests::hub_store(&data);
    assert_eq!(hub_store.case_count().unwrap(), 50);
    assert_eq!(hub_store.complete_blobs().unwrap().len(), files);
    let db = onewindow_tests::hub_db(&data);
    let ops: i64 = db
        .query_row("SELECT count(*) FROM applied_op", (), |r| r.get(0))
        .unwrap();
    assert_eq!(ops, 50);
    hub.kill();
}

#[tokio::test(flavor = "multi_thread")]
async fn two_desks_syncing_at_once_each_deliver_their_own_exactly_once() {
    let tmp = tempfile::tempdir().unwrap();
    let data = demo_hub_data(tmp.path());
    let hub = HubProcess::start(&data);
    let token_a = enrol_token(&data, "1 号窗口", &hub);
    let token_b = enrol_token(&data, "2 号窗口", &hub);
    let mk = |name: &str, seed: u64, desk: &str| {
        let cache = tmp.path().join(name).join("cache.db");
        let blobs = tmp.path().join(name).join("blobs");
        std::fs::create_dir_all(cache.parent().unwrap()).unwrap();
        // Each desk numbers its cases with its own enrolled code.
        let files = fifty_cases_as(&cache, &blobs, &mut Rng(seed), desk);
        (cache, blobs, files)
    };
    let (ca, ba, fa) = mk("a", 1, "W01");
    let (cb, bb, fb) = mk("b", 2, "W02");
    let url = hub.url();
    let (ra, rb) = tokio::join!(
        drain(&ca, &ba, &url, &token_a),
        drain(&cb, &bb, &url, &token_b)
    );
    assert_eq!((ra, rb), (0, 0));
    let hub_store = onewindow_tests::hub_store(&data);
    assert_eq!(hub_store.case_count().unwrap(), 100);
    assert_eq!(hub_store.complete_blobs().unwrap().len(), fa + fb);
    hub.kill();
}

/// The desk ends in order: twenty desks each take the scans in their hot folder and exit while
/// the hot-folder thread is at work (stop and join it, close the cache on the main thread);
/// every one exits with status 0, never a crash in SQLCipher's clean-up, and the cache opens
/// afterwards with every scan the desk took.
#[test]
fn twenty_desks_exit_cleanly_while_taking_scans() {
    let tmp = tempfile::tempdir().unwrap();
    for run in 0..20u32 {
        let data = tmp.path().join(format!("desk-{run}"));
        let hot = data.join("scans");
        std::fs::create_dir_all(&hot).unwrap();
        for page in 0..3u32 {
            std::fs::write(
                hot.join(format!("page-{page}.jpg")),
                onewindow_tests::jpeg_variant(run * 10 + page),
            )
            .unwrap();
        }
        let out = Command::new(env!("CARGO_BIN_EXE_onewindow-desk-exit"))
            .arg(&data)
            .env("ONEWINDOW_LOG", "warn")
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "run {run}: {:?}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        let store = onewindow_tests::desk_store(&data.join("cache.db"));
        assert!(
            store.audit_verify().unwrap().is_none(),
            "run {run}: the cache is whole"
        );
    }
}

/// What a working desk's data folder holds, read after a kill.
struct AtWork {
    /// (case number, state, material name, slot) of every file in a case.
    in_cases: Vec<(String, String, String, Option<i64>)>,
    /// (name, SHA-256) of the scans waiting for the clerk, and every SHA-256 a case or the
    /// list holds.
    waiting: Vec<(String, String)>,
    recorded: std::collections::HashSet<String>,
}

fn at_work(cache: &Path) -> AtWork {
    let store = onewindow_tests::desk_store(cache);
    assert!(
        store.audit_verify().unwrap().is_none(),
        "the audit chain is whole"
    );
    drop(store);
    let db = onewindow_tests::desk_db(cache);
    let in_cases = db
        .prepare(
            "SELECT c.number, c.state, m.original_name, m.slot, m.sha256
             FROM case_material m JOIN case_record c ON c.id = m.case_id",
        )
        .unwrap()
        .query_map((), |r| {
            Ok((
                (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?),
                r.get::<_, String>(4)?,
            ))
        })
        .unwrap()
        .collect::<Result<Vec<_>, _>>()
        .unwrap();
    let waiting = db
        .prepare("SELECT original_name, sha256 FROM waiting_scan WHERE state = 'waiting'")
        .unwrap()
        .query_map((), |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
        .unwrap()
        .collect::<Result<Vec<_>, _>>()
        .unwrap();
    let recorded = in_cases
        .iter()
        .map(|(_, sha)| sha.clone())
        .chain(waiting.iter().map(|(_, sha)| sha.clone()))
        .collect();
    AtWork {
        in_cases: in_cases.into_iter().map(|(row, _)| row).collect(),
        waiting,
        recorded,
    }
}

/// A desk at work (cases taken in with a scan per material, accepted with a receipt printed,
/// stray pages arriving between applicants) SIGKILLed at random moments, 25 times. After every
/// kill the cache opens with its audit chain whole, and every file in a case is one scanned for
/// that case (named after its number, in its material). At the end every scan that arrived is
/// in its own case or waiting for the clerk (none lost, none in another applicant's case),
/// every printed page has its audit record, nothing is left half-written, and every accepted
/// case with its scans reaches the hub exactly once.
#[tokio::test(flavor = "multi_thread")]
async fn killed_at_work_no_scan_is_lost_or_put_in_another_case() {
    let tmp = tempfile::tempdir().unwrap();
    let data = onewindow_tests::demo_hub_data_with_elicences(tmp.path());
    let hub = HubProcess::start(&data);
    let work = tmp.path().join("work");
    let log = tmp.path().join("arrived.log");
    let cache = work.join("desk/cache.db");
    let run = |settle: bool| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_onewindow-desk-work"));
        cmd.arg(&work)
            .arg(hub.url())
            .arg(&log)
            .env("ONEWINDOW_LOG", "error")
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        if settle {
            cmd.arg("--settle");
        }
        cmd.spawn().unwrap()
    };
    let mut rng = Rng(0x0b5e_55ed_2026_1204);
    let started = Instant::now();
    for round in 0..25u32 {
        let mut child = run(false);
        // Each round gets some work done however loaded the machine is: the kill comes at a
        // random moment after the next scan arrived (during intake), or, every other round,
        // after the next receipt was printed (acceptance done, the next case beginning).
        let progress = |round: u32| {
            if round.is_multiple_of(2) {
                std::fs::read_to_string(&log)
                    .map(|t| t.lines().count())
                    .unwrap_or(0)
            } else {
                walk(&work.join("printed")).len()
            }
        };
        let before = progress(round);
        let until = Instant::now() + Duration::from_secs(30);
        while progress(round) == before
            && Instant::now() < until
            && child.try_wait().unwrap().is_none()
        {
            std::thread::sleep(Duration::from_millis(10));
        }
        std::thread::sleep(Duration::from_millis(rng.next() % 1500));
        if let Some(status) = child.try_wait().unwrap() {
            let out = child.wait_with_output().unwrap();
            panic!(
                "round {round}: the desk stopped by itself ({status}):\n{}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        child.kill().unwrap(); // SIGKILL
        let _ = child.wait();
        for (number, _, name, slot) in at_work(&cache).in_cases {
            assert_eq!(
                name,
                format!("{number}-{}.jpg", slot.unwrap()),
                "round {round}: a scan in a case or material it was not taken for"
            );
        }
    }
    let settle = run(true).wait_with_output().unwrap();
    assert!(
        settle.status.success(),
        "{}",
        String::from_utf8_lossy(&settle.stderr)
    );
    let after = at_work(&cache);
    let arrived: Vec<(String, String)> = std::fs::read_to_string(&log)
        .unwrap()
        .lines()
        .map(|l| {
            let (name, sha) = l.split_once(' ').unwrap();
            (name.to_string(), sha.to_string())
        })
        .collect();
    let accepted: std::collections::BTreeSet<&str> = after
        .in_cases
        .iter()
        .filter(|(_, state, _, _)| state == "accepted")
        .map(|(n, _, _, _)| n.as_str())
        .collect();
    eprintln!(
        "25 kills in {:?}: {} scans arrived, {} in cases ({} accepted cases), {} waiting",
        started.elapsed(),
        arrived.len(),
        after.in_cases.len(),
        accepted.len(),
        after.waiting.len()
    );
    assert!(accepted.len() >= 5, "the desk got work done between kills");
    for (name, sha) in &arrived {
        assert!(after.recorded.contains(sha), "{name} was lost");
    }
    for (number, _, name, slot) in &after.in_cases {
        assert_eq!(*name, format!("{number}-{}.jpg", slot.unwrap()));
    }
    let mut shas: Vec<&String> = after.waiting.iter().map(|(_, sha)| sha).collect();
    shas.sort();
    shas.dedup();
    assert_eq!(
        shas.len(),
        after.waiting.len(),
        "each scan waits once: {:?}",
        after.waiting
    );
    assert!(
        after.waiting.len() + after.in_cases.len() >= arrived.len(),
        "every scan is somewhere"
    );
    let leftovers: Vec<String> = walk(&work)
        .into_iter()
        .map(|p| p.to_string_lossy().into_owned())
        .filter(|p| p.ends_with(".sealing") || p.contains("/intake/staging/"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
    let hot_left: Vec<PathBuf> = std::fs::read_dir(work.join("scans"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file() && !p.to_string_lossy().ends_with(".part"))
        .collect();
    assert!(hot_left.is_empty(), "{hot_left:?}");

    // Every page on paper has its record (a record without its page is a kill between the two).
    let db = onewindow_tests::desk_db(&cache);
    let prints: usize = db
        .query_row(
            "SELECT count(*) FROM audit_log WHERE action = 'print' AND result = 'ok'",
            (),
            |r| r.get::<_, i64>(0),
        )
        .unwrap() as usize;
    let printed = walk(&work.join("printed")).len();
    assert!(
        printed >= 10 && printed <= prints,
        "{printed} printed, {prints} records"
    );

    // Everything accepted reaches the hub exactly once.
    let desk_cases: i64 = db
        .query_row(
            "SELECT count(*) FROM case_record WHERE state = 'accepted'",
            (),
            |r| r.get(0),
        )
        .unwrap();
    let desk_blobs: i64 = db
        .query_row(
            "SELECT count(DISTINCT m.sha256) FROM case_material m
             JOIN case_record c ON c.id = m.case_id WHERE c.state = 'accepted'",
            (),
            |r| r.get(0),
        )
        .unwrap();
    drop(db);
    // The desk worked as RC01 (its case numbers begin with it): it enrols with that code.
    let token = enrol_token_coded(&data, "崩溃测试窗口", Some("RC01"), &hub);
    drain_sealed(&cache, &work.join("desk/intake/blobs"), &hub.url(), &token).await;
    let hub_store = onewindow_tests::hub_store(&data);
    assert_eq!(hub_store.case_count().unwrap() as i64, desk_cases);
    assert_eq!(hub_store.complete_blobs().unwrap().len() as i64, desk_blobs);
    hub.kill();
}

/// Every file below `dir`, recursively.
fn walk(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out
}

/// [`drain`] for a desk whose cache and blobs are sealed with the test key.
async fn drain_sealed(cache: &Path, blobs: &Path, hub_url: &str, token: &str) {
    let store = std::sync::Arc::new(std::sync::Mutex::new(onewindow_tests::desk_store(cache)));
    let client = onewindow_sync::HubClient::new(hub_url).with_token(token);
    let blobs = onewindow_tests::sealed_blobs(blobs);
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let pushed = onewindow_sync::push_outbox(&client, &store, &blobs, None).await;
        if pushed.is_ok() && store.lock().unwrap().push_health().unwrap().pending_ops == 0 {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "drain did not finish: {pushed:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
