//! Queue figures against a real hub process on loopback:
//! - `queue_call_p99_ms`: 200 windows (each its own enrolled desk) each calling its next ticket
//!   once a second for 20 s, p99 of the request's round trip;
//! - `display_update_p95_ms`: during that load, window 1's call → the hall display's event
//!   stream (`/display/events`, as the TV page receives it) carrying that call, p95.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::Utc;
use onewindow_domain::queue::{QueueConfig, QueueDomain, QueueWindow};
use onewindow_tests::HubProcess;

const WINDOWS: u32 = 200;
const SECONDS: u64 = 20;

fn main() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("hub");
    let domains: Vec<QueueDomain> = (0..10)
        .map(|i| QueueDomain {
            code: format!("D{i}"),
            name: format!("业务{i}"),
            prefix: ((b'A' + i as u8) as char).to_string(),
        })
        .collect();
    let cfg = QueueConfig {
        windows: (1..=WINDOWS)
            .map(|n| QueueWindow {
                number: n,
                name: format!("{n} 号窗口"),
                desk_code: Some(format!("Q{n:03}")),
                domains: vec![format!("D{}", n % 10)],
                tidal: false,
            })
            .collect(),
        domains,
        rules: vec![],
        hours: None,
        unresolved_days: None,
    };
    let now = Utc::now();
    let tokens: Vec<String> = {
        let mut hub = onewindow_tests::hub_store(&data);
        hub.import_queue("MAIN", &cfg, now).unwrap();
        // Enough tickets that no window runs dry: each calls about SECONDS times.
        for i in 0..(WINDOWS as u64 * (SECONDS + 5)) {
            hub.issue_ticket("MAIN", &format!("D{}", i % 10), None, None, "bench", now)
                .unwrap();
        }
        (1..=WINDOWS)
            .map(|n| {
                let (code, _) = hub
                    .create_enrol_code(&format!("{n} 号窗口"), Some(&format!("Q{n:03}")), now)
                    .unwrap();
                hub.enrol(&code, now).unwrap().token
            })
            .collect()
    };
    let hub = HubProcess::start(&data);
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let url = hub.url();
    let (calls, display) = rt.block_on(async move {
        let lat = Arc::new(Mutex::new(Vec::<f64>::new()));
        let shown = Arc::new(Mutex::new(Vec::<f64>::new()));
        // The display: one event-stream client; each event is the whole board.
        let sent: Arc<Mutex<std::collections::HashMap<String, Instant>>> = Arc::default();
        let watcher = {
            let (url, sent, shown) = (url.clone(), sent.clone(), shown.clone());
            tokio::spawn(async move {
                let mut resp = reqwest::get(format!("{url}/display/events")).await.unwrap();
                let mut buf = String::new();
                while let Ok(Some(chunk)) = resp.chunk().await {
                    buf.push_str(&String::from_utf8_lossy(&chunk));
                    while let Some(end) = buf.find("\n\n") {
                        let event: String = buf.drain(..end + 2).collect();
                        let Some(data) = event.lines().find_map(|l| l.strip_prefix("data: "))
                        else {
                            continue;
                        };
                        let board: onewindow_proto::HallBoard = serde_json::from_str(data).unwrap();
                        // Window 1's tile shows its current ticket (the last-calls list moves
                        // too fast under this load to be the measure).
                        let mut sent = sent.lock().unwrap();
                        if let Some(t) = board.windows[0]
                            .current
                            .as_ref()
                            .and_then(|t| sent.remove(t.number.as_str()))
                        {
                            shown
                                .lock()
                                .unwrap()
                                .push(t.elapsed().as_secs_f64() * 1000.0);
                        }
                    }
                }
            })
        };
        tokio::time::sleep(Duration::from_millis(300)).await;
        let start = Instant::now();
        let mut tasks = Vec::new();
        for (i, token) in tokens.into_iter().enumerate() {
            let (url, lat, sent) = (url.clone(), lat.clone(), sent.clone());
            tasks.push(tokio::spawn(async move {
                let client = onewindow_sync::HubClient::new(&url).with_token(&token);
                // Spread the windows over the second.
                tokio::time::sleep(Duration::from_millis((i as u64 * 1000) / WINDOWS as u64)).await;
                let mut tick = tokio::time::interval(Duration::from_secs(1));
                while start.elapsed() < Duration::from_secs(SECONDS) {
                    tick.tick().await;
                    let t = Instant::now();
                    let answer = client.queue_call_next("bench").await.unwrap();
                    lat.lock().unwrap().push(t.elapsed().as_secs_f64() * 1000.0);
                    if i == 0
                        && let Some(call) = answer.call
                    {
                        sent.lock().unwrap().insert(call.number, t);
                    }
                }
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
        watcher.abort();
        let lat = lat.lock().unwrap().clone();
        let shown = shown.lock().unwrap().clone();
        (lat, shown)
    });
    let pct = |v: &[f64], p: usize| {
        let mut v = v.to_vec();
        v.sort_by(f64::total_cmp);
        v[(v.len() * p).div_ceil(100) - 1]
    };
    assert!(
        calls.len() as u64 >= WINDOWS as u64 * (SECONDS - 2),
        "{}",
        calls.len()
    );
    assert!(
        display.len() >= (SECONDS - 2) as usize,
        "display saw {} calls",
        display.len()
    );
    let call_p99 = pct(&calls, 99);
    let display_p95 = pct(&display, 95);
    println!(
        "{} calls from {WINDOWS} windows: p50 {:.1} ms, p99 {call_p99:.1} ms; display: {} calls seen, p50 {:.0} ms, p95 {display_p95:.0} ms",
        calls.len(),
        pct(&calls, 50),
        display.len(),
        pct(&display, 50)
    );
    let mut tsv = onewindow_tests::bench_summary();
    writeln!(tsv, "queue_call_p99_ms\t{call_p99:.1}\tms").unwrap();
    writeln!(tsv, "display_update_p95_ms\t{display_p95:.0}\tms").unwrap();
    hub.kill();
}
