//! Sync figures against real hub processes on loopback:
//! - `sync_ops_per_s`: 5,000 small ops (cases without files) drained in batches;
//! - `sync_backlog_mb_per_s`: 200 cases with 2,000 generated pages (about 300 MB) drained with
//!   the attachment lane's throttle off; `sync_vs_curl_ratio`: that throughput over
//!   `curl --data-binary` sending the same files to a fresh hub in the same run (one curl
//!   process, one connection, config file with one PUT per file);
//! - `decision_to_desk_ms`: an approver's 批准 (HTTP POST, as the browser sends it) → the desk's
//!   case shows 待出件, p95 over 20 decisions, with the desk's results poll running;
//! - `pg_sync_ops_per_s`: the small ops again, to a hub whose store is on PostgreSQL (the
//!   throwaway cluster `scripts/with-postgres.sh` starts for `make bench`), and
//!   `pg_vs_sqlite_sync_ratio`: that over `sync_ops_per_s` of the same run.

use std::io::Write;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::Utc;
use onewindow_app::dto::{ApplicantInput, NewCaseRequest, SaveIntakeRequest};
use onewindow_app::{Desk, DeskConfig};
use onewindow_store::Store;
use onewindow_store::cases::{Actor, Attachment, NewCase};
use onewindow_tests::{HubProcess, demo_hub_data, hub_cli_with_stdin, jpeg_variant};

/// Enrols a desk: its token and its desk code (the hub takes only case numbers that begin with
/// it).
fn enrol(
    data: &Path,
    desk: &str,
    hub: &HubProcess,
    rt: &tokio::runtime::Runtime,
) -> (String, String) {
    let code = onewindow_tests::enrol_code(data, desk);
    let e = rt
        .block_on(onewindow_sync::HubClient::new(&hub.url()).enrol(&code))
        .unwrap();
    (e.token, e.desk_code)
}

fn who(desk: &str) -> Actor {
    Actor {
        user: "bench".into(),
        desk: desk.into(),
    }
}

fn new_case(s: &mut Store, desk: &str) -> onewindow_store::cases::CaseRow {
    s.create_case(
        &NewCase {
            item_code: "00017200100002".into(),
            scenario_code: Some("00017200100002-01".into()),
            local_date: "2026-11-27".parse().unwrap(),
        },
        &who(desk),
        Utc::now(),
    )
    .unwrap()
}

fn drain(rt: &tokio::runtime::Runtime, cache: &Path, blobs: &Path, url: &str, token: &str) -> f64 {
    let store = Arc::new(Mutex::new(Store::open(cache).unwrap()));
    let client = onewindow_sync::HubClient::new(url).with_token(token);
    let blobs = onewindow_tests::sealed_blobs(blobs);
    let t = Instant::now();
    let report = rt
        .block_on(onewindow_sync::push_outbox(&client, &store, &blobs, None))
        .unwrap();
    let secs = t.elapsed().as_secs_f64();
    assert_eq!(report.rejected + report.waiting, 0, "{report:?}");
    assert_eq!(store.lock().unwrap().push_health().unwrap().pending_ops, 0);
    secs
}

/// 5,000 small ops (cases accepted without files) from one desk, drained in batches to `hub`;
/// ops per second.
fn small_ops_per_s(rt: &tokio::runtime::Runtime, dir: &Path, data: &Path, hub: &HubProcess) -> f64 {
    let (token, ops_desk) = enrol(data, "ops", hub, rt);
    let cache = dir.join("ops/cache.db");
    std::fs::create_dir_all(cache.parent().unwrap()).unwrap();
    {
        let mut s = Store::open(&cache).unwrap();
        for _ in 0..5000 {
            let c = new_case(&mut s, &ops_desk);
            s.transition(
                &c.id,
                onewindow_domain::case::CaseAction::Accept,
                &who(&ops_desk),
                Utc::now(),
                None,
            )
            .unwrap();
        }
    }
    let secs = drain(rt, &cache, &dir.join("ops/blobs"), &hub.url(), &token);
    5000.0 / secs
}

fn main() {
    keyring::set_default_credential_builder(keyring::mock::default_credential_builder());
    let rt = tokio::runtime::Runtime::new().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    // These hubs are SQLite's (hub.db) even when the run has a PostgreSQL cluster.
    onewindow_tests::keep_on_sqlite(&tmp.path().join("hub"));
    onewindow_tests::keep_on_sqlite(&tmp.path().join("hub2"));
    let data = demo_hub_data(tmp.path());
    let hub = HubProcess::start(&data);

    // Small ops.
    let ops_per_s = small_ops_per_s(&rt, tmp.path(), &data, &hub);
    println!(
        "5,000 small ops in {:.2} s: {ops_per_s:.0} ops/s",
        5000.0 / ops_per_s
    );
    // The same to a hub on PostgreSQL.
    let pg_ops_per_s = onewindow_tests::test_pg().map(|_| {
        let dir = tmp.path().join("pg");
        let data = demo_hub_data(&dir);
        let hub = HubProcess::start(&data);
        let n = small_ops_per_s(&rt, &dir, &data, &hub);
        hub.kill();
        println!(
            "on PostgreSQL: {n:.0} ops/s ({:.2} × SQLite's)",
            n / ops_per_s
        );
        n
    });
    if pg_ops_per_s.is_none() {
        eprintln!(
            "no ONEWINDOW_TEST_PG: pg_sync_ops_per_s not measured (make bench starts a cluster)"
        );
    }

    // The backlog: 200 cases, 2,000 pages of 150 KB.
    let (token, bulk_desk) = enrol(&data, "backlog", &hub, &rt);
    let cache = tmp.path().join("backlog/cache.db");
    let blobs = tmp.path().join("backlog/blobs");
    let sealed = onewindow_tests::sealed_blobs(&blobs);
    let plain = tmp.path().join("backlog/plain");
    std::fs::create_dir_all(&plain).unwrap();
    let mut files = Vec::new();
    let mut total = 0u64;
    {
        let mut s = Store::open(&cache).unwrap();
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        for i in 0..200 {
            let c = new_case(&mut s, &bulk_desk);
            let mut attachments = Vec::new();
            for p in 0..10 {
                let bytes: Vec<u8> = (0..150_000)
                    .map(|_| {
                        x ^= x << 13;
                        x ^= x >> 7;
                        x ^= x << 17;
                        (x >> 32) as u8
                    })
                    .collect();
                // Sealed in the desk's blob folder as the desk keeps it; curl gets plain
                // copies of the same bytes.
                let sha = onewindow_tests::put_blob(&sealed, &bytes);
                let path = plain.join(&sha);
                std::fs::write(&path, &bytes).unwrap();
                total += bytes.len() as u64;
                let a = Attachment {
                    sha256: sha.clone(),
                    slot: Some(p % 2),
                    original_name: format!("page-{i}-{p}.jpg"),
                    size: bytes.len() as u64,
                    kind: "jpeg".into(),
                    pages: None,
                };
                s.attach(&c.id, &a, Utc::now()).unwrap();
                attachments.push(onewindow_proto::ops::Attachment {
                    file: a.to_ref(),
                    material: None,
                });
                files.push((sha, path));
            }
            s.accept(
                &c.id,
                &who(&bulk_desk),
                Utc::now(),
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
    }
    let secs = drain(&rt, &cache, &blobs, &hub.url(), &token);
    let ours = total as f64 / 1e6 / secs;
    println!(
        "backlog of {:.0} MB in {secs:.2} s: {ours:.1} MB/s",
        total as f64 / 1e6
    );

    // curl sending the same files to a fresh hub, one PUT per file over one connection.
    let data2 = tmp.path().join("hub2");
    onewindow_tests::import_catalog(&data2, &onewindow_tests::demo("catalog-sample.json"));
    let hub2 = HubProcess::start(&data2);
    let (token2, _) = enrol(&data2, "curl", &hub2, &rt);
    let config = tmp.path().join("curl.conf");
    let mut cfg = std::fs::File::create(&config).unwrap();
    for (i, (sha, path)) in files.iter().enumerate() {
        if i > 0 {
            writeln!(cfg, "next").unwrap();
        }
        writeln!(
            cfg,
            "url = \"{}/v1/blobs/{sha}?offset=0&size=150000\"\nrequest = \"PUT\"\nheader = \"Authorization: Bearer {token2}\"\ndata-binary = \"@{}\"\noutput = \"/dev/null\"",
            hub2.url(),
            path.display()
        )
        .unwrap();
    }
    drop(cfg);
    let t = Instant::now();
    let status = std::process::Command::new("curl")
        .args(["-s", "-f", "-K"])
        .arg(&config)
        .status()
        .expect("curl");
    let curl_secs = t.elapsed().as_secs_f64();
    assert!(status.success());
    let theirs = total as f64 / 1e6 / curl_secs;
    let ratio = ours / theirs;
    println!("curl: {curl_secs:.2} s, {theirs:.1} MB/s; ratio {ratio:.2}");
    hub2.kill();

    // decision → 待出件 at the window.
    let d_arg = data.to_str().unwrap();
    let domain = onewindow_tests::item_domain("00017200100002");
    hub_cli_with_stdin(
        &[
            "user",
            "add",
            "--data",
            d_arg,
            "--name",
            "bench",
            "--role",
            "approver",
            "--domain",
            &domain,
            "--password-stdin",
        ],
        "bench password 1\n",
    );
    let code = onewindow_tests::enrol_code(&data, "window");
    let desk = Desk::open(DeskConfig {
        sync_interval: Duration::from_secs(3600),
        clock: onewindow_domain::clock::Clock::starting_on("2026-11-27".parse().unwrap()),
        hot_folder: tmp.path().join("window/scans"),
        printer: onewindow_app::print::PrintTarget::Folder(tmp.path().join("window/printed")),
        cache_key: onewindow_app::cache_key::CacheKey::Fixed(onewindow_tests::TEST_CACHE_KEY),
        ..DeskConfig::new(tmp.path().join("window/desk"), hub.url())
    });
    rt.block_on(desk.sync_once()).unwrap();
    rt.block_on(desk.enrol(&hub.url(), &code, "")).unwrap();
    let mut numbers = Vec::new();
    for n in 0..20u32 {
        let v = desk
            .new_case(&NewCaseRequest {
                item_code: Some("00017200100002".into()),
                scenario_code: Some("00017200100002-01".into()),
                bundle_code: None,
            })
            .unwrap();
        let dir = tmp.path().join(format!("window/in-{n}"));
        std::fs::create_dir_all(&dir).unwrap();
        for slot in 0..2u32 {
            let p = dir.join(format!("{slot}.jpg"));
            std::fs::write(&p, jpeg_variant(5000 + n * 2 + slot)).unwrap();
            desk.select_slot(&v.id, Some(slot)).unwrap();
            desk.import_files(&v.id, &[p]).unwrap();
        }
        rt.block_on(
            desk.save_intake(&SaveIntakeRequest {
                case_id: v.id.clone(),
                applicant: ApplicantInput {
                    kind: onewindow_domain::applicant::ApplicantKind::Person,
                    name: "徐志强".into(),
                    number: "371082199906080810".into(),
                    phone: "13906310001".into(),
                    ..Default::default()
                },
                form: [
                    ("name", "徐志强"),
                    ("id_number", "371082199906080810"),
                    ("mobile", "13906310001"),
                    ("delivery", "窗口领取"),
                ]
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            }),
        )
        .unwrap();
        numbers.push((desk.accept_case(&v.id).unwrap().number, v.id));
    }
    rt.block_on(desk.sync_once()).unwrap();
    rt.spawn(desk.clone().run_results_loop());
    let web = reqwest::blocking::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let t = onewindow_tests::csrf_blocking(&web, &hub.url());
    web.post(format!("{}/office/login", hub.url()))
        .form(&[
            ("name", "bench"),
            ("password", "bench password 1"),
            ("csrf", &t),
        ])
        .send()
        .unwrap();
    let mut lat = Vec::new();
    for (number, id) in &numbers {
        let r = web
            .post(format!("{}/office/cases/{number}/decide", hub.url()))
            .form(&[("action", "approve"), ("note", "同意"), ("csrf", &t)])
            .send()
            .unwrap();
        assert_eq!(r.status(), 303);
        let t = Instant::now();
        loop {
            let v = desk.poll_case(id, 0).unwrap().unwrap();
            if v.state == onewindow_app::dto::CaseState::Ready {
                break;
            }
            assert!(
                t.elapsed() < Duration::from_secs(10),
                "decision never reached the desk"
            );
            std::thread::sleep(Duration::from_millis(10));
        }
        lat.push(t.elapsed().as_secs_f64() * 1e3);
    }
    lat.sort_by(f64::total_cmp);
    let p95 = lat[(lat.len() * 95).div_ceil(100) - 1];
    println!(
        "decision → 待出件: p50 {:.0} ms, p95 {p95:.0} ms",
        lat[lat.len() / 2]
    );

    let mut tsv = onewindow_tests::bench_summary();
    writeln!(tsv, "sync_ops_per_s\t{ops_per_s:.0}\tops/s").unwrap();
    writeln!(tsv, "sync_backlog_mb_per_s\t{ours:.1}\tMB/s").unwrap();
    writeln!(tsv, "sync_vs_curl_ratio\t{ratio:.2}\tratio").unwrap();
    writeln!(tsv, "decision_to_desk_ms\t{p95:.0}\tms").unwrap();
    if let Some(pg) = pg_ops_per_s {
        writeln!(tsv, "pg_sync_ops_per_s\t{pg:.0}\tops/s").unwrap();
        writeln!(tsv, "pg_vs_sqlite_sync_ratio\t{:.2}\tratio", pg / ops_per_s).unwrap();
    }
    hub.kill();
}
