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
            assert!(
                families
                    .insert(name.to_string(), kind.to_string())
                    .is_none(),
                "a family declared twice: {line}"
            );
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

    // A method HTTP does not define gets no series of its own.
    let r = reqwest::Client::new()
        .request(
            reqwest::Method::from_bytes(b"FOO").unwrap(),
            format!("{}/v1/ops", h.url()),
        )
        .send()
        .await
        .unwrap();
    assert!(r.status().is_client_error());
    let odd = scrape(&h.url()).await;
    assert!(odd.keys().all(|k| !k.contains("FOO")), "{odd:?}");
    assert!(
        odd.keys()
            .any(|k| k.contains("route=\"/v1/ops\",method=\"other\""))
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
        "# TYPE onewindow_x gauge\n# TYPE onewindow_x counter\n",   // declared twice
    ] {
        assert!(
            std::panic::catch_unwind(|| scrape_text(bad)).is_err(),
            "{bad}"
        );
    }
}

/// `serve --log-format json`: every line is a JSON object; each request has an id (its
/// answer's `x-request-id`), one access line, and every line logged for it carries the id;
/// `--log-days` keeps that many daily files.
#[tokio::test(flavor = "multi_thread")]
async fn json_logs_carry_each_requests_id_and_old_files_go() {
    use std::io::BufRead;
    let tmp = tempfile::tempdir().unwrap();
    let data = onewindow_tests::demo_hub_data(tmp.path());
    let code = onewindow_tests::enrol_code(&data, "1 号窗口");
    onewindow_tests::add_user(&data, "liu", "clerk", "window clerk pass");
    // Five days of old logs before today's, the oldest made first (the imports' own log goes).
    let logs = data.join("logs");
    std::fs::remove_dir_all(&logs).unwrap();
    std::fs::create_dir_all(&logs).unwrap();
    let today = chrono::Utc::now().date_naive();
    let old: Vec<String> = (1..=5)
        .rev()
        .map(|d| format!("hub.log.{}", today - chrono::Days::new(d)))
        .collect();
    for name in &old {
        std::fs::write(logs.join(name), "old\n").unwrap();
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let mut child = onewindow_tests::hub_command(Some(&data))
        .args([
            "serve",
            "--data",
            data.to_str().unwrap(),
            "--bind",
            "127.0.0.1:0",
        ])
        .args(["--log-format", "json", "--log-days", "3"])
        .env("ONEWINDOW_LOG", "info")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = format!(
        "http://{}",
        line.trim()
            .strip_prefix("listening on ")
            .expect("the address")
    );
    let client = onewindow_sync::HubClient::new(&url);
    let token = client.enrol(&code).await.unwrap().token;
    let err = client
        .with_token(&token)
        .login("liu", "wrong")
        .await
        .unwrap_err();
    assert!(matches!(
        err,
        onewindow_sync::SyncError::Hub { status: 401, .. }
    ));
    // An op the hub refuses: its warning is logged on a store thread.
    let refused_op = client
        .with_token(&token)
        .push_ops(&[onewindow_proto::Op {
            op_id: "op-no-such-kind".into(),
            device_seq: 1,
            schema_version: 1,
            kind: "no_such_kind".into(),
            payload: serde_json::json!({}),
        }])
        .await
        .unwrap();
    assert_eq!(
        refused_op.results[0].status,
        onewindow_proto::OpStatus::Rejected
    );
    let r = reqwest::get(format!("{url}/healthz")).await.unwrap();
    let health_id = r.headers()["x-request-id"].to_str().unwrap().to_string();
    assert_eq!(health_id.len(), 16);
    // A graceful stop flushes the log.
    std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(child.wait().unwrap().success());

    let mut names: Vec<String> = std::fs::read_dir(&logs)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let today = names
        .iter()
        .find(|n| !old.contains(n))
        .expect("today's file")
        .clone();
    assert_eq!(
        names,
        [old[3].clone(), old[4].clone(), today.clone()],
        "three days kept, the oldest gone"
    );
    let text = std::fs::read_to_string(logs.join(&today)).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    let access = |route: &str| {
        lines
            .iter()
            .find(|l| l["target"] == "onewindow_hub::access" && l["fields"]["route"] == route)
            .unwrap_or_else(|| panic!("no access line for {route}:\n{text}"))
    };
    assert_eq!(access("/healthz")["span"]["request_id"], health_id.as_str());
    let login = access("/v1/login");
    assert_eq!(login["fields"]["status"], 401);
    assert_eq!(login["fields"]["method"], "POST");
    let refused = lines
        .iter()
        .find(|l| l["fields"]["message"] == "desk login refused")
        .expect("the refusal's warning");
    assert_eq!(
        refused["span"]["request_id"], login["span"]["request_id"],
        "a line logged while answering a request carries its id"
    );
    let ops = access("/v1/ops");
    let store_line = lines
        .iter()
        .find(|l| {
            l["target"]
                .as_str()
                .is_some_and(|t| t.starts_with("onewindow_hub_store"))
                && l["fields"]["op"] == "op-no-such-kind"
        })
        .unwrap_or_else(|| panic!("the store's warning about the op:\n{text}"));
    assert_eq!(
        store_line["span"]["request_id"], ops["span"]["request_id"],
        "a line logged on the store's thread carries its request's id"
    );
    assert!(
        lines
            .iter()
            .filter(|l| l["target"] == "onewindow_hub::access")
            .all(|l| l["span"]["request_id"]
                .as_str()
                .is_some_and(|id| id.len() == 16)),
        "every request has its id"
    );
    assert!(!text.contains("window clerk pass") && !text.contains("\"wrong\""));
}

/// `serve --config FILE` serves from what the file says (data, address, blob folder, log
/// format); a file with a key the hub does not know is refused with exit 2, naming the key.
#[test]
fn serve_takes_its_settings_from_a_config_file_and_refuses_a_bad_one() {
    use std::io::BufRead;
    let tmp = tempfile::tempdir().unwrap();
    let data = onewindow_tests::demo_hub_data(tmp.path());
    let blobs = tmp.path().join("blobs-elsewhere");
    let config = tmp.path().join("hub.toml");
    std::fs::write(
        &config,
        format!(
            "# the hub's settings\ndata = {:?}\nbind = \"127.0.0.1:0\"\nblobs = {:?}\n\
             log_format = \"json\"\nlog_days = 5\n",
            data.to_str().unwrap(),
            blobs.to_str().unwrap()
        ),
    )
    .unwrap();
    // The imports logged as text; this run's log starts afresh.
    std::fs::remove_dir_all(data.join("logs")).unwrap();
    let mut child = onewindow_tests::hub_command(Some(&data))
        .args(["serve", "--config", config.to_str().unwrap()])
        .env("ONEWINDOW_LOG", "info")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let addr = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("{line}"))
        .to_string();
    let r = reqwest::blocking::get(format!("http://{addr}/healthz")).unwrap();
    assert_eq!(r.status(), 200);
    assert!(blobs.is_dir(), "the blob folder the file names");
    std::process::Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(child.wait().unwrap().success());
    let log = std::fs::read_dir(data.join("logs"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .next()
        .expect("a log file");
    let text = std::fs::read_to_string(log).unwrap();
    assert!(
        text.lines().any(|l| l.contains("\"route\":\"/healthz\"")),
        "{text}"
    );
    assert!(
        text.lines()
            .all(|l| serde_json::from_str::<serde_json::Value>(l).is_ok()),
        "JSON lines, as the file says"
    );

    std::fs::write(&config, "data = \"/tmp/x\"\nbnd = \"0.0.0.0:8470\"\n").unwrap();
    let out = onewindow_tests::hub_command(None)
        .args(["serve", "--config", config.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let said = String::from_utf8_lossy(&out.stderr);
    assert!(said.contains("配置文件") && said.contains("bnd"), "{said}");
}
