//! `/metrics` in Prometheus's text format: every line parses, every sample belongs to a family
//! its `# TYPE` declares, and a call, a push and a scan move the right figures.

use std::collections::HashMap;

use onewindow_tests::TestHub;

use crate::support::{accepted_case, mock_keyring};

/// The samples of an exposition, by `name{labels}` as written; panics on a line that does not
/// parse or a sample of an undeclared family.
fn scrape_text(text: &str) -> HashMap<String, f64> {
    let mut families = HashMap::new();
    let mut samples = HashMap::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').expect("# TYPE name kind");
            assert!(["counter", "gauge", "histogram"].contains(&kind), "{line}");
            families.insert(name.to_string(), kind.to_string());
            continue;
        }
        if line.starts_with("# HELP ") || line.is_empty() {
            continue;
        }
        let (key, value) = line.rsplit_once(' ').unwrap_or_else(|| panic!("{line}"));
        let value: f64 = value.parse().unwrap_or_else(|_| panic!("value of {line}"));
        let name = key.split('{').next().unwrap();
        assert!(
            name.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
            "{line}"
        );
        if key.contains('{') {
            assert!(key.ends_with('}'), "{line}");
            let labels = &key[name.len() + 1..key.len() - 1];
            for pair in labels.split("\",") {
                let (k, v) = pair.split_once("=\"").unwrap_or_else(|| panic!("{line}"));
                assert!(!k.is_empty() && !v.contains('\n'), "{line}");
            }
        }
        let family = ["_bucket", "_sum", "_count"]
            .iter()
            .find_map(|s| {
                name.strip_suffix(s)
                    .filter(|f| families.get(*f).is_some_and(|k| k == "histogram"))
            })
            .unwrap_or(name);
        assert!(families.contains_key(family), "no # TYPE for {line}");
        assert!(
            samples.insert(key.to_string(), value).is_none(),
            "twice: {line}"
        );
    }
    samples
}

async fn scrape(url: &str) -> HashMap<String, f64> {
    let r = reqwest::get(format!("{url}/metrics")).await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain; version=0.0.4"),
    );
    scrape_text(&r.text().await.unwrap())
}

fn get(m: &HashMap<String, f64>, key: &str) -> f64 {
    m.get(key).copied().unwrap_or(0.0)
}

#[tokio::test(flavor = "multi_thread")]
async fn metrics_parse_and_a_call_a_push_and_a_scan_move_the_right_figures() {
    mock_keyring();
    let h = TestHub::new().queue().desk("1 号窗口").start();
    let d = h.desk_app("desk");
    d.enrol(&h.url(), &h.code("1 号窗口"), "").await.unwrap();
    let (web, t) = onewindow_tests::kiosk_browser(&h.data, &h.url()).await;
    for _ in 0..2 {
        let r = web
            .post(format!("{}/kiosk/tickets", h.url()))
            .form(&[("domain", "ZHSL"), ("csrf", &t)])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303);
    }
    let before = scrape(&h.url()).await;
    let waiting: Vec<(&String, &f64)> = before
        .iter()
        .filter(|(k, _)| k.starts_with("onewindow_hub_tickets_waiting{"))
        .collect();
    assert_eq!(
        waiting.len(),
        1,
        "one centre has tickets waiting: {waiting:?}"
    );
    let (waiting_key, waiting_before) = (waiting[0].0.clone(), *waiting[0].1);
    assert_eq!(waiting_before, 2.0);
    let open = get(&before, "onewindow_hub_store_connections{state=\"open\"}");
    if onewindow_tests::test_pg().is_some() {
        assert!(
            (1.0..=16.0).contains(&open),
            "the pool's connections: {open}"
        );
    } else {
        assert_eq!(open, 1.0, "SQLite's one connection");
    }

    d.queue_call_next().await.unwrap();
    let after = scrape(&h.url()).await;
    let calls = "onewindow_hub_http_requests_total{route=\"/v1/queue/call-next\",method=\"POST\",status=\"200\"}";
    assert_eq!(
        get(&after, calls) - get(&before, calls),
        1.0,
        "one call counted"
    );
    let count = "onewindow_hub_http_request_duration_seconds_count{route=\"/v1/queue/call-next\",method=\"POST\",status=\"200\"}";
    assert_eq!(get(&after, count), get(&after, calls));
    let inf = "onewindow_hub_http_request_duration_seconds_bucket{route=\"/v1/queue/call-next\",method=\"POST\",status=\"200\",le=\"+Inf\"}";
    assert_eq!(get(&after, inf), get(&after, count));
    // Buckets only grow with their bound.
    let mut last = 0.0;
    for le in [
        "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5", "10", "30",
    ] {
        let b = get(
            &after,
            &format!(
                "onewindow_hub_http_request_duration_seconds_bucket{{route=\"/v1/queue/call-next\",method=\"POST\",status=\"200\",le=\"{le}\"}}"
            ),
        );
        assert!(b >= last, "bucket {le}");
        last = b;
    }
    assert_eq!(get(&after, &waiting_key), 1.0, "one ticket left waiting");
    // Routes are counted by pattern, never by path: no ticket id reaches a label.
    assert!(
        after
            .keys()
            .all(|k| !k.contains("/kiosk/tickets/") || k.contains("{id}")),
        "{:?}",
        after
            .keys()
            .filter(|k| k.contains("/kiosk/tickets/"))
            .collect::<Vec<_>>()
    );

    // A case with two scans: its bytes, then its ops.
    accepted_case(&d, 1).await;
    d.sync_once().await.unwrap();
    assert_eq!(d.status().push.pending_ops, 0);
    let pushed = scrape(&h.url()).await;
    let applied = "onewindow_hub_ops_total{outcome=\"applied\"}";
    assert!(get(&pushed, applied) - get(&after, applied) >= 1.0);
    assert_eq!(
        get(&pushed, "onewindow_hub_ops_total{outcome=\"rejected\"}"),
        0.0
    );
    assert!(
        get(&pushed, "onewindow_hub_blob_bytes_received_total")
            - get(&after, "onewindow_hub_blob_bytes_received_total")
            > 1000.0
    );

    // A hall display open on the process is counted while it is.
    let mut stream = reqwest::get(format!("{}/display/events", h.url()))
        .await
        .unwrap();
    let _ = stream.chunk().await.unwrap();
    assert_eq!(
        get(&scrape(&h.url()).await, "onewindow_hub_display_streams"),
        1.0
    );
    drop(stream);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while get(&scrape(&h.url()).await, "onewindow_hub_display_streams") != 0.0 {
        assert!(
            std::time::Instant::now() < deadline,
            "the closed stream stays counted"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

#[test]
fn a_malformed_exposition_is_refused() {
    for bad in [
        "onewindow_x 1\n",                                          // no # TYPE
        "# TYPE onewindow_x gauge\nonewindow_x one\n",              // no number
        "# TYPE onewindow_x gauge\nonewindow_x{a=\"1\" 1\n",        // unclosed labels
        "# TYPE onewindow_x gauge\nonewindow_x 1\nonewindow_x 2\n", // twice
    ] {
        assert!(
            std::panic::catch_unwind(|| scrape_text(bad)).is_err(),
            "{bad}"
        );
    }
}
