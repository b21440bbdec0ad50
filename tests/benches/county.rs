//! A county under load: one async process drives one hub process whose store is on
//! PostgreSQL (`scripts/with-postgres.sh`) as 50 centres of 40 windows, 2,000 desks, at real
//! pace for 2 minutes. Each desk keeps a request for decisions waiting at the hub (long poll),
//! pulls its streams (catalog, calendar, queue configuration) every 30 s, calls a ticket every
//! 60 s, and hands off a case with two 200 KB scans every 10 minutes; an approver decides each
//! handed-off case a second later through the back office (HTTP, as the browser does).
//!
//! Rows: `county_desks`, `county_call_p99_ms`, `county_push_p99_ms` (one op batch),
//! `county_decision_to_desk_p95_ms` (the approver's POST answered → the desk's waiting request
//! answered with it), `county_hub_rss_mb` (the hub's resident memory at the end of the real-pace
//! run), `county_cpu_ms_per_request` (hub and PostgreSQL processes together, CPU time over
//! requests served), and `county_max_speedup`: the largest factor (of 1.5, 2, 3, 4, 6, 8, 12, 16, 24)
//! by which the same load, run 30 s faster, keeps `county_call_p99_ms` ≤ 50.
//!
//! The generator, the hub and PostgreSQL share this machine's cores: the figures are what one
//! box does with all three on it. Plain HTTP on loopback (a county's TLS is the load balancer's
//! or the hub's; its handshakes are not in these figures).

use std::collections::HashMap;
use std::io::Write;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::Utc;
use onewindow_domain::queue::{QueueConfig, QueueDomain, QueueWindow};
use onewindow_store::Store;
use onewindow_store::cases::{Actor, Attachment, NewCase};
use onewindow_tests::{HubProcess, demo_hub_data};

const CENTRES: usize = 50;
const WINDOWS: usize = 40;
const DESKS: usize = CENTRES * WINDOWS;
const REAL_PACE: Duration = Duration::from_secs(120);
const FAST_RUN: Duration = Duration::from_secs(30);
const SPEEDUPS: [f64; 9] = [1.5, 2.0, 3.0, 4.0, 6.0, 8.0, 12.0, 16.0, 24.0];
const PULL_EVERY: f64 = 30.0;
const CALL_EVERY: f64 = 60.0;
const HANDOFF_EVERY: f64 = 600.0;
const SCAN_BYTES: usize = 200 * 1024;
const TEMPLATE_DESK: &str = "ZZTPL";

/// A desk of the county as the load generator plays it.
struct SimDesk {
    client: onewindow_sync::HubClient,
    code: String,
    cases: AtomicU64,
    seq: AtomicU64,
}

/// The ops of one hand-off, as a desk's outbox holds them, with the template's case id,
/// number and scan ids to be replaced.
struct Template {
    case_id: String,
    number: String,
    shas: Vec<String>,
    ops: Vec<(String, i64, String)>,
}

/// What one run measured.
#[derive(Default)]
struct Figures {
    calls: Vec<f64>,
    pushes: Vec<f64>,
    decisions: Vec<f64>,
    requests: u64,
    errors: u64,
    first_error: Option<String>,
}

fn template(dir: &Path) -> Template {
    std::fs::create_dir_all(dir).unwrap();
    let mut s = Store::open(&dir.join("template.db")).unwrap();
    let who = Actor {
        user: "bench".into(),
        desk: TEMPLATE_DESK.into(),
    };
    let c = s
        .create_case(
            &NewCase {
                item_code: "00017200100002".into(),
                scenario_code: Some("00017200100002-01".into()),
                local_date: "2026-11-27".parse().unwrap(),
            },
            &who,
            Utc::now(),
        )
        .unwrap();
    let mut shas = Vec::new();
    let mut attachments = Vec::new();
    for p in 0..2u32 {
        let bytes = scan(u64::from(p) + 1);
        let sha = sha256(&bytes);
        let a = Attachment {
            sha256: sha.clone(),
            slot: Some(p as usize),
            original_name: format!("page-{p}.jpg"),
            size: bytes.len() as u64,
            kind: "jpeg".into(),
            pages: None,
        };
        s.attach(&c.id, &a, Utc::now()).unwrap();
        attachments.push(onewindow_proto::ops::Attachment {
            file: a.to_ref(),
            material: None,
        });
        shas.push(sha);
    }
    s.accept(
        &c.id,
        &who,
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
    let ops = s
        .outbox()
        .unwrap()
        .into_iter()
        .map(|o| (o.kind, o.schema_version, o.payload.to_string()))
        .collect();
    Template {
        case_id: c.id,
        number: c.number,
        shas,
        ops,
    }
}

/// 200 KB that differ for every `n` (scans are never the same twice).
fn scan(n: u64) -> Vec<u8> {
    let mut x = n.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..SCAN_BYTES)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

fn sha256(bytes: &[u8]) -> String {
    use sha2::Digest;
    format!("{:x}", sha2::Sha256::digest(bytes))
}

/// A number that changes on every call (the waits' spread).
fn uuid_counter() -> u64 {
    static N: AtomicU64 = AtomicU64::new(0);
    N.fetch_add(0x9E37_79B9, Ordering::Relaxed)
}

/// A fresh id in UUID form, unique in this run (a counter over the start's nanoseconds).
fn uuid() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    static SEED: std::sync::OnceLock<u64> = std::sync::OnceLock::new();
    let seed = *SEED.get_or_init(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_nanos() as u64
    });
    let n = NEXT.fetch_add(1, Ordering::Relaxed);
    format!(
        "{:08x}-{:04x}-4{:03x}-8{:03x}-{:012x}",
        (seed >> 32) as u32,
        (seed >> 16) as u16,
        (seed & 0xfff) as u16,
        (n >> 48) as u16 & 0xfff,
        n & 0xffff_ffff_ffff
    )
}

/// CPU time (ms) the hub and every PostgreSQL process have used so far.
fn cpu_ms(hub_pid: u32) -> f64 {
    let ticks = |pid: &str| -> Option<u64> {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        let rest = &stat[stat.rfind(')')? + 2..];
        let f: Vec<&str> = rest.split_whitespace().collect();
        Some(f[11].parse::<u64>().ok()? + f[12].parse::<u64>().ok()?)
    };
    let mut total = ticks(&hub_pid.to_string()).unwrap_or(0);
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let pid = e.file_name().to_string_lossy().into_owned();
        if pid.bytes().all(|b| b.is_ascii_digit())
            && std::fs::read_to_string(format!("/proc/{pid}/comm"))
                .is_ok_and(|c| c.trim() == "postgres")
        {
            total += ticks(&pid).unwrap_or(0);
        }
    }
    // USER_HZ is 100 on Linux.
    total as f64 * 10.0
}

fn rss_mb(pid: u32) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse::<f64>().ok())
        .unwrap_or(0.0)
        / 1024.0
}

fn pct(v: &[f64], p: usize) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    let mut v = v.to_vec();
    v.sort_by(f64::total_cmp);
    v[(v.len() * p).div_ceil(100) - 1]
}

/// Sets the county up in the hub's database before the hub starts: centres, their queues and
/// tickets, the desks enrolled, an approver. Returns the desks' (token, desk code).
fn set_up(data: &Path, tickets_per_window: usize) -> Vec<(String, String)> {
    let now = Utc::now();
    let mut hub = onewindow_tests::hub_store(data);
    let root_centre = hub.resolve_centre(None).unwrap();
    let domains: Vec<QueueDomain> = (0..4)
        .map(|i| QueueDomain {
            code: format!("D{i}"),
            name: format!("业务{i}"),
            prefix: ((b'A' + i as u8) as char).to_string(),
        })
        .collect();
    let mut desks = Vec::with_capacity(DESKS);
    let t = Instant::now();
    for c in 1..=CENTRES {
        let centre = format!("C{c:02}");
        hub.add_centre(
            &centre,
            &format!("第{c}便民服务中心"),
            onewindow_domain::centre::CentreLevel::Town,
            Some(&root_centre),
            now,
        )
        .unwrap();
        let cfg = QueueConfig {
            windows: (1..=WINDOWS)
                .map(|n| QueueWindow {
                    number: n as u32,
                    name: format!("{n} 号窗口"),
                    desk_code: Some(format!("{centre}W{n:02}")),
                    domains: domains.iter().map(|d| d.code.clone()).collect(),
                    tidal: false,
                })
                .collect(),
            domains: domains.clone(),
            rules: vec![],
            hours: None,
            unresolved_days: None,
        };
        hub.import_queue(&centre, &cfg, now).unwrap();
        for n in 1..=WINDOWS {
            let code = format!("{centre}W{n:02}");
            let (enrol, _) = hub
                .create_enrol_code_at(&centre, &format!("{n} 号窗口"), Some(&code), now)
                .unwrap();
            desks.push((hub.enrol(&enrol, now).unwrap().token, code));
        }
    }
    drop(hub);
    top_up(data, tickets_per_window);
    let mut hub = onewindow_tests::hub_store(data);
    let domain = onewindow_tests::item_domain("00017200100002");
    hub.add_user(
        "approver",
        "approver",
        &[domain],
        &root_centre,
        "county approver password",
        now,
    )
    .unwrap();
    println!(
        "county set up: {CENTRES} centres, {DESKS} desks, {} tickets in {:.0} s",
        CENTRES * WINDOWS * tickets_per_window,
        t.elapsed().as_secs_f64()
    );
    desks
}

/// Issues `per_window` more tickets for each window of every centre (through the store, before
/// a run), so that no call of the run finds its queue empty.
fn top_up(data: &Path, per_window: usize) {
    let now = Utc::now();
    let mut hub = onewindow_tests::hub_store(data);
    for c in 1..=CENTRES {
        let centre = format!("C{c:02}");
        for i in 0..WINDOWS * per_window {
            hub.issue_ticket(&centre, &format!("D{}", i % 4), None, None, "bench", now)
                .unwrap();
        }
    }
}

/// Calls a window makes in a run of `length` at `speed`, and one to spare.
fn calls_per_window(speed: f64, length: Duration) -> usize {
    (length.as_secs_f64() * speed / CALL_EVERY).ceil() as usize + 1
}

/// What the run being measured collects; the desks' waiting requests and the approver outlive
/// runs and report into the current one.
#[derive(Default)]
struct Run {
    figures: Mutex<Figures>,
    /// Cases the approver is deciding now: when its POST was sent.
    decided: Mutex<HashMap<String, Instant>>,
}

type Current = Arc<Mutex<Arc<Run>>>;

fn note(current: &Current, what: &str, r: Result<(), onewindow_sync::SyncError>) {
    let run = current.lock().unwrap().clone();
    let mut f = run.figures.lock().unwrap();
    f.requests += 1;
    if let Err(e) = r {
        f.errors += 1;
        f.first_error.get_or_insert(format!("{what}: {e}"));
    }
}

/// The approver (signs in once, decides each handed-off case a second after it landed) and
/// each desk's request for decisions, always waiting at the hub, started over the first 25 s
/// as a county's desks connect through the morning. They run until the process ends.
fn start_waiting(
    url: &str,
    desks: &[Arc<SimDesk>],
    current: &Current,
) -> tokio::sync::mpsc::UnboundedSender<String> {
    let (decide_tx, mut decide_rx) = tokio::sync::mpsc::unbounded_channel::<String>();
    let (url, approver_current) = (url.to_string(), current.clone());
    tokio::spawn(async move {
        let (web, t) =
            onewindow_tests::office_browser(&url, "approver", "county approver password").await;
        while let Some(number) = decide_rx.recv().await {
            let (web, url, t, current) = (
                web.clone(),
                url.clone(),
                t.clone(),
                approver_current.clone(),
            );
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_secs(1)).await;
                // The clock starts as the decision leaves: the hub may tell the desk before
                // the approver's page has its answer.
                let run = current.lock().unwrap().clone();
                run.decided
                    .lock()
                    .unwrap()
                    .insert(number.clone(), Instant::now());
                let r = web
                    .post(format!("{url}/office/cases/{number}/decide"))
                    .form(&[
                        ("action", "return_for_correction"),
                        ("note", "材料照片不清晰，请重新扫描"),
                        ("csrf", &t),
                    ])
                    .send()
                    .await;
                let r = match r {
                    Ok(r) if r.status() == 303 => Ok(()),
                    Ok(r) => Err(format!("{number}: {}", r.status())),
                    Err(e) => Err(e.to_string()),
                };
                if let Err(e) = r {
                    run.decided.lock().unwrap().remove(&number);
                    note(
                        &current,
                        "decide",
                        Err(onewindow_sync::SyncError::BadResponse(e)),
                    );
                } else {
                    note(&current, "decide", Ok(()));
                }
            });
        }
    });
    for (i, desk) in desks.iter().enumerate() {
        let (desk, current) = (desk.clone(), current.clone());
        let first = Duration::from_secs_f64(25.0 * i as f64 / DESKS as f64);
        tokio::spawn(async move {
            tokio::time::sleep(first).await;
            let mut cursor = 0i64;
            loop {
                // As the desk does: 20–25 s, so reconnected desks fall out of step.
                let wait =
                    25 - (hash(&format!("{}{cursor}", desk.code)) ^ uuid_counter()) as u32 % 6;
                let r = tokio::time::timeout(
                    Duration::from_secs(u64::from(wait) + 5),
                    desk.client.results_waiting(cursor, wait),
                )
                .await;
                match r {
                    Ok(Ok(page)) => {
                        let now = Instant::now();
                        let run = current.lock().unwrap().clone();
                        for r in &page.results {
                            let at = run.decided.lock().unwrap().remove(&r.number);
                            if let Some(at) = at {
                                let ms = (now - at).as_secs_f64() * 1000.0;
                                run.figures.lock().unwrap().decisions.push(ms);
                            }
                        }
                        cursor = page.next_cursor;
                        note(&current, "results", Ok(()));
                    }
                    Ok(Err(e)) => {
                        note(&current, "results", Err(e));
                        tokio::time::sleep(Duration::from_secs(1)).await;
                    }
                    Err(_) => note(
                        &current,
                        "results",
                        Err(onewindow_sync::SyncError::BadResponse("timed out".into())),
                    ),
                }
            }
        });
    }
    decide_tx
}

/// Runs the county's pulls, calls and hand-offs `speed` times faster than real for `length`.
async fn run(
    desks: &[Arc<SimDesk>],
    template: &Arc<Template>,
    heads: (i64, i64, i64),
    current: &Current,
    decide_tx: &tokio::sync::mpsc::UnboundedSender<String>,
    speed: f64,
    length: Duration,
) -> Figures {
    let this = Arc::new(Run::default());
    *current.lock().unwrap() = this.clone();
    let end = Instant::now() + length;
    let mut tasks = Vec::new();
    let every = |s: f64| Duration::from_secs_f64(s / speed);
    for (i, desk) in desks.iter().enumerate() {
        // Each desk's rhythm starts at its own offset in each period.
        let offset = |period: f64| every(period * (i as f64 / DESKS as f64));
        // Pulls of its streams, from their heads.
        {
            let (desk, current) = (desk.clone(), current.clone());
            let (period, first) = (every(PULL_EVERY), offset(PULL_EVERY));
            tasks.push(tokio::spawn(async move {
                let mut tick =
                    tokio::time::interval_at(tokio::time::Instant::now() + first, period);
                while tokio::time::timeout_at(end.into(), tick.tick())
                    .await
                    .is_ok()
                {
                    let r = desk.client.catalog_changes(heads.0, 1000).await;
                    note(&current, "catalog", r.map(drop));
                    let r = desk.client.calendar_changes(heads.1).await;
                    note(&current, "calendar", r.map(drop));
                    let r = desk.client.queue_config_changes(heads.2).await;
                    note(&current, "queue configuration", r.map(drop));
                }
            }));
        }
        // Calls, timed from when they were due (a generator that fell behind counts against
        // the figure, never for it).
        {
            let (desk, current, this) = (desk.clone(), current.clone(), this.clone());
            let (period, first) = (every(CALL_EVERY), offset(CALL_EVERY));
            tasks.push(tokio::spawn(async move {
                let mut tick =
                    tokio::time::interval_at(tokio::time::Instant::now() + first, period);
                while let Ok(due) = tokio::time::timeout_at(end.into(), tick.tick()).await {
                    let r = desk.client.queue_call_next("bench").await;
                    let ms = due.elapsed().as_secs_f64() * 1000.0;
                    if r.is_ok() {
                        this.figures.lock().unwrap().calls.push(ms);
                    }
                    note(&current, "call", r.map(drop));
                }
            }));
        }
        // Hand-offs with two scans.
        {
            let (desk, current, this, template, decide_tx) = (
                desk.clone(),
                current.clone(),
                this.clone(),
                template.clone(),
                decide_tx.clone(),
            );
            let (period, first) = (every(HANDOFF_EVERY), offset(HANDOFF_EVERY));
            tasks.push(tokio::spawn(async move {
                let mut tick =
                    tokio::time::interval_at(tokio::time::Instant::now() + first, period);
                while tokio::time::timeout_at(end.into(), tick.tick())
                    .await
                    .is_ok()
                {
                    let n = desk.cases.fetch_add(1, Ordering::SeqCst) + 1;
                    let number = format!("{}-20261127-{n:04}", desk.code);
                    let mut payloads: Vec<String> = template
                        .ops
                        .iter()
                        .map(|(_, _, p)| {
                            p.replace(&template.case_id, &uuid())
                                .replace(&template.number, &number)
                        })
                        .collect();
                    // Each scan is new: uploaded whole (one chunk), then named by the ops.
                    let mut ok = true;
                    for (k, old) in template.shas.iter().enumerate() {
                        let bytes = scan(hash(&desk.code) ^ (n << 2) ^ k as u64);
                        let sha = sha256(&bytes);
                        for p in &mut payloads {
                            *p = p.replace(old.as_str(), &sha);
                        }
                        let r = desk
                            .client
                            .put_chunk(&sha, 0, bytes.len() as u64, bytes)
                            .await;
                        ok &= r.is_ok();
                        note(&current, "scan", r.map(drop));
                    }
                    if !ok {
                        continue;
                    }
                    let ops: Vec<onewindow_proto::Op> = template
                        .ops
                        .iter()
                        .zip(payloads)
                        .map(|((kind, schema, _), payload)| onewindow_proto::Op {
                            op_id: uuid(),
                            device_seq: desk.seq.fetch_add(1, Ordering::SeqCst) as i64 + 1,
                            schema_version: *schema,
                            kind: kind.clone(),
                            payload: serde_json::from_str(&payload).unwrap(),
                        })
                        .collect();
                    let t = Instant::now();
                    let r = desk.client.push_ops(&ops).await;
                    let ms = t.elapsed().as_secs_f64() * 1000.0;
                    let r = r.and_then(|answer| {
                        this.figures.lock().unwrap().pushes.push(ms);
                        match answer
                            .results
                            .iter()
                            .find(|r| r.status != onewindow_proto::OpStatus::Applied)
                        {
                            None => Ok(()),
                            Some(r) => Err(onewindow_sync::SyncError::BadResponse(format!(
                                "op not applied: {r:?}"
                            ))),
                        }
                    });
                    if r.is_ok() {
                        let _ = decide_tx.send(number);
                    }
                    note(&current, "push", r);
                }
            }));
        }
    }
    for t in tasks {
        t.await.unwrap();
    }
    // What arrives from here on (decisions still on their way) belongs to no run.
    *current.lock().unwrap() = Arc::new(Run::default());
    std::mem::take(&mut *this.figures.lock().unwrap())
}

fn hash(s: &str) -> u64 {
    s.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3)
    })
}

fn main() {
    if onewindow_tests::test_pg().is_none() {
        eprintln!(
            "the county bench runs on PostgreSQL: scripts/with-postgres.sh cargo bench -p onewindow-tests --bench county"
        );
        std::process::exit(2);
    }
    let tmp = tempfile::tempdir().unwrap();
    let data = demo_hub_data(tmp.path());
    let template = Arc::new(template(&tmp.path().join("template")));
    let desks = set_up(&data, calls_per_window(1.0, REAL_PACE));
    let heads = {
        let s = onewindow_tests::hub_store(&data);
        let (mut catalog, mut calendar) = (0, 0);
        loop {
            let page = s.catalog_changes(catalog, 5000).unwrap();
            catalog = page.next_cursor;
            if !page.has_more {
                break;
            }
        }
        loop {
            let page = s.calendar_changes(calendar, 5000).unwrap();
            calendar = page.next_cursor;
            if !page.has_more {
                break;
            }
        }
        (catalog, calendar, 0)
    };
    let hub = HubProcess::start(&data);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let base = onewindow_sync::HubClient::new(&hub.url());
    let sims: Vec<Arc<SimDesk>> = desks
        .into_iter()
        .map(|(token, code)| {
            Arc::new(SimDesk {
                client: base.with_token(&token),
                code,
                cases: AtomicU64::new(0),
                seq: AtomicU64::new(0),
            })
        })
        .collect();
    let heads = (
        heads.0,
        heads.1,
        rt.block_on(sims[0].client.queue_config_changes(0))
            .unwrap()
            .next_cursor,
    );
    let pid = hub.pid();
    let current: Current = Arc::default();
    let decide_tx = rt.block_on(async {
        let tx = start_waiting(&hub.url(), &sims, &current);
        // Every desk connects for decisions before the first measure.
        tokio::time::sleep(Duration::from_secs(30)).await;
        tx
    });

    let cpu0 = cpu_ms(pid);
    let real = rt.block_on(run(
        &sims, &template, heads, &current, &decide_tx, 1.0, REAL_PACE,
    ));
    let cpu = cpu_ms(pid) - cpu0;
    let rss = rss_mb(pid);
    let report = |speed: f64, f: &Figures| {
        println!(
            "×{speed}: {} requests ({} failed{}), calls p50 {:.1} p99 {:.1} ms, pushes {} p99 {:.0} ms, decisions {} p95 {:.0} ms",
            f.requests,
            f.errors,
            f.first_error
                .as_ref()
                .map(|e| format!(", first: {e}"))
                .unwrap_or_default(),
            pct(&f.calls, 50),
            pct(&f.calls, 99),
            f.pushes.len(),
            pct(&f.pushes, 99),
            f.decisions.len(),
            pct(&f.decisions, 95)
        );
    };
    report(1.0, &real);
    assert_eq!(real.errors, 0, "{:?}", real.first_error);
    assert!(real.calls.len() >= DESKS, "{} calls", real.calls.len());
    assert!(!real.decisions.is_empty(), "no decision reached a desk");

    let mut max_speedup = 1.0;
    for speed in SPEEDUPS {
        top_up(&data, calls_per_window(speed, FAST_RUN));
        let f = rt.block_on(run(
            &sims, &template, heads, &current, &decide_tx, speed, FAST_RUN,
        ));
        report(speed, &f);
        if f.errors > 0 || pct(&f.calls, 99) > 50.0 {
            break;
        }
        max_speedup = speed;
    }

    let call_p99 = pct(&real.calls, 99);
    let push_p99 = pct(&real.pushes, 99);
    let decision_p95 = pct(&real.decisions, 95);
    let cpu_per_request = cpu / real.requests as f64;
    println!(
        "county of {DESKS} desks at real pace: calls p99 {call_p99:.1} ms, pushes p99 {push_p99:.0} ms, decision to desk p95 {decision_p95:.0} ms, hub RSS {rss:.0} MB, {cpu_per_request:.2} ms CPU per request (hub and PostgreSQL); max speed-up ×{max_speedup}"
    );
    let mut tsv = onewindow_tests::bench_summary();
    writeln!(tsv, "county_desks\t{DESKS}\tdesks").unwrap();
    writeln!(tsv, "county_call_p99_ms\t{call_p99:.1}\tms").unwrap();
    writeln!(tsv, "county_push_p99_ms\t{push_p99:.0}\tms").unwrap();
    writeln!(tsv, "county_decision_to_desk_p95_ms\t{decision_p95:.0}\tms").unwrap();
    writeln!(tsv, "county_hub_rss_mb\t{rss:.0}\tMB").unwrap();
    writeln!(tsv, "county_cpu_ms_per_request\t{cpu_per_request:.2}\tms").unwrap();
    writeln!(tsv, "county_max_speedup\t{max_speedup}\tx").unwrap();
    hub.kill();
}
