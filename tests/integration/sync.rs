//! Push with real processes: a hub on 127.0.0.1, desks enrolled with one-time codes, the
//! outbox and the attachment lane drained exactly once, rejects kept for the clerk, golden
//! payloads, the hub's own clock and its full disk.

use onewindow_app::dto::ErrorCode;
use std::time::Duration;

use onewindow_tests::{HubProcess, TestHub, demo_hub_data, enrol_code, hub_cli};

use crate::support::{accepted_case, desk, mock_keyring, sha256_hex};

#[tokio::test(flavor = "multi_thread")]
async fn an_enrolled_desk_pushes_cases_and_scans_exactly_once() {
    mock_keyring();
    let h = TestHub::new().desk("综合受理 1 号窗口").start();
    let code = h.code("综合受理 1 号窗口");
    let TestHub { tmp, data, hub, .. } = h;
    let d = desk(tmp.path(), hub.url());
    assert!(d.sync_once().await.unwrap());
    assert!(!d.status().push.enrolled);

    // A wrong code is refused in Chinese; the right one enrols once.
    let err = d.enrol(&hub.url(), "AAAA-BBBB-CCCC", "").await.unwrap_err();
    assert_eq!(err.code, ErrorCode::BadEnrolCode);
    assert!(err.message.contains("注册码无效"));
    let st = d.enrol(&hub.url(), &code, "").await.unwrap();
    assert!(st.push.enrolled);
    assert_eq!(st.push.desk_code, "W01");
    assert!(d.enrol(&hub.url(), &code, "").await.is_err(), "one-time");

    let mut numbers = Vec::new();
    for n in 1..=3 {
        numbers.push(accepted_case(&d, n).await);
    }
    assert!(
        numbers.iter().all(|n| n.starts_with("W01-20261127-")),
        "{numbers:?}"
    );
    let before = d.status().push;
    assert_eq!(before.pending_ops, 3);
    assert!(before.pending_bytes > 6 * 1000, "ops plus six scans");

    d.sync_once().await.unwrap();
    let after = d.status().push;
    assert_eq!((after.pending_ops, after.rejected), (0, 0), "{after:?}");
    assert!(after.last_push_at.is_some());
    assert!(
        after.streams.iter().all(|s| s.last_pull_at.is_some()),
        "every stream was pulled: {:?}",
        after.streams
    );

    let hub_store = onewindow_tests::hub_store(&data);
    assert_eq!(hub_store.case_count().unwrap(), 3);
    for n in &numbers {
        let (_, state, item, files) = hub_store.hub_case(n).unwrap().unwrap();
        assert_eq!(
            (state.as_str(), item.as_str(), files),
            ("handed_off", "00017200100002", 2)
        );
    }
    // Every blob on the hub is whole and hashes to its name.
    let blobs = hub_store.complete_blobs().unwrap();
    assert_eq!(blobs.len(), 6);
    for (sha, size) in &blobs {
        let bytes = onewindow_hub::store_blob::blob_dir(&data)
            .read(sha)
            .unwrap();
        assert_eq!(bytes.len() as u64, *size);
        assert_eq!(&sha256_hex(&bytes), sha);
    }

    // The hub committed but the desk lost the answers (killed before recording them): the
    // replay is answered "duplicate" and nothing is applied twice.
    let conn = onewindow_tests::desk_db(&tmp.path().join("desk/cache.db"));
    conn.execute("DELETE FROM op_result", []).unwrap();
    drop(conn);
    // The three cases and the desk's report of its release.
    assert_eq!(d.status().push.pending_ops, 4);
    d.sync_once().await.unwrap();
    assert_eq!(d.status().push.pending_ops, 0);
    assert_eq!(hub_store.case_count().unwrap(), 3);

    // A revoked desk is refused and told so; its work stays queued.
    hub_cli(&[
        "revoke-device",
        "--data",
        data.to_str().unwrap(),
        "--desk-code",
        "W01",
    ]);
    accepted_case(&d, 4).await;
    d.sync_once().await.unwrap();
    let st = d.status().push;
    assert_eq!(st.pending_ops, 1);
    assert!(
        st.problem.as_deref().unwrap_or_default().contains("吊销"),
        "{st:?}"
    );
    hub.kill();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rejected_op_is_kept_with_its_reason_and_blocks_nothing() {
    mock_keyring();
    let h = TestHub::new().desk("1 号窗口").start();
    let code_a = h.code("1 号窗口");
    let TestHub { tmp, data, hub, .. } = h;

    // Desk A (enrolled as W01) hands off W01-20261127-0001.
    let a = desk(&tmp.path().join("a"), hub.url());
    a.sync_once().await.unwrap();
    a.enrol(&hub.url(), &code_a, "").await.unwrap();
    let n = accepted_case(&a, 1).await;
    assert_eq!(n, "W01-20261127-0001");
    a.sync_once().await.unwrap();

    // Desk B worked offline before enrolment with the default desk code W01: its number
    // collides. Enrolled as W02 it pushes; the hub rejects that op and applies the next.
    let b = desk(&tmp.path().join("b"), hub.url());
    b.sync_once().await.unwrap();
    assert_eq!(accepted_case(&b, 2).await, "W01-20261127-0001");
    let code_b = enrol_code(&data, "2 号窗口");
    b.enrol(&hub.url(), &code_b, "").await.unwrap();
    let later = accepted_case(&b, 3).await;
    assert!(later.starts_with("W02-"), "{later}");
    b.sync_once().await.unwrap();
    let st = b.status().push;
    assert_eq!((st.pending_ops, st.rejected), (0, 1), "{st:?}");
    let rejected = b.rejected_ops().unwrap();
    assert_eq!(
        rejected[0].case_number.as_deref(),
        Some("W01-20261127-0001")
    );
    assert!(
        rejected[0].reason.contains("不是本窗口（W02）的编号"),
        "{:?}",
        rejected[0]
    );
    let hub_store = onewindow_tests::hub_store(&data);
    assert_eq!(
        hub_store.case_count().unwrap(),
        2,
        "A's case and B's later one"
    );
    assert!(hub_store.hub_case(&later).unwrap().is_some());

    // A resend is a new op the hub judges afresh: the conflict still stands, so it is rejected
    // again, as itself. Discarding needs a reason and is recorded.
    let listed = b.resend_op(&rejected[0].op_id).unwrap();
    assert!(listed.is_empty(), "the resent op is pending, not rejected");
    b.sync_once().await.unwrap();
    assert_eq!(b.status().push.rejected, 1);
    let again = b.rejected_ops().unwrap();
    assert_ne!(again[0].op_id, rejected[0].op_id);
    assert!(again[0].reason.contains("不是本窗口（W02）的编号"));
    assert!(b.discard_op(&again[0].op_id, "重").is_err());
    let left = b
        .discard_op(&again[0].op_id, "编号冲突，已改由 2 号窗口重新受理")
        .unwrap();
    assert!(left.is_empty());
    assert_eq!(b.status().push.rejected, 0);
    hub.kill();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_large_scan_resumes_from_the_offset_the_hub_reports() {
    mock_keyring();
    let h = TestHub::new().desk("1 号窗口").start();
    let code = h.code("1 号窗口");
    let TestHub { tmp, data, hub, .. } = h;
    let client = onewindow_sync::HubClient::new(&hub.url());
    let enrolment = client.enrol(&code).await.unwrap();
    let client = client.with_token(&enrolment.token);

    // 9 MiB: two chunks. The first arrives, then the link drops.
    let bytes: Vec<u8> = (0..9 * 1024 * 1024u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 24) as u8)
        .collect();
    let sha = sha256_hex(&bytes);
    let blobs = onewindow_tests::sealed_blobs(&tmp.path().join("blobs"));
    assert_eq!(onewindow_tests::put_blob(&blobs, &bytes), sha);
    let chunk = onewindow_proto::MAX_CHUNK;
    let st = client
        .put_chunk(&sha, 0, bytes.len() as u64, bytes[..chunk].to_vec())
        .await
        .unwrap();
    assert_eq!((st.offset, st.complete), (chunk as u64, false));
    // The hub restarts in between; the offset survives.
    let port = hub.url().rsplit(':').next().unwrap().to_string();
    hub.kill();
    let hub = HubProcess::start_at(&data, &format!("127.0.0.1:{port}"));
    // A wrong offset is refused with a precise code, nothing written.
    let err = client
        .put_chunk(&sha, 0, bytes.len() as u64, bytes[..1024].to_vec())
        .await
        .unwrap_err();
    assert!(matches!(
        err,
        onewindow_sync::SyncError::Hub {
            status: 409,
            code: onewindow_proto::ApiErrorCode::BlobOffset,
            ..
        }
    ));
    let sent = onewindow_sync::upload_blob(&client, &sha, &blobs, None)
        .await
        .unwrap();
    assert_eq!(
        sent,
        (bytes.len() - chunk) as u64,
        "only the missing chunk is sent"
    );
    assert!(client.blob_state(&sha).await.unwrap().complete);

    // Abuse: no token, a bad token, path-like ids, a wrong hash, malformed JSON.
    let http = reqwest::Client::new();
    let r = http
        .get(format!("{}/v1/blobs/{sha}", hub.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    let r = http
        .post(format!("{}/v1/ops", hub.url()))
        .bearer_auth("not-a-token")
        .json(&serde_json::json!({"ops": []}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(
        r.json::<serde_json::Value>().await.unwrap()["code"],
        "bad_token"
    );
    let r = http
        .put(format!(
            "{}/v1/blobs/..%2F..%2Fhub.db?offset=0&size=3",
            hub.url()
        ))
        .bearer_auth(&enrolment.token)
        .body("abc")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(
        r.json::<serde_json::Value>().await.unwrap()["code"],
        "bad_blob_id"
    );
    let wrong = sha256_hex(b"something else");
    let err = client
        .put_chunk(&wrong, 0, 3, b"abc".to_vec())
        .await
        .unwrap_err();
    assert!(matches!(
        err,
        onewindow_sync::SyncError::Hub {
            status: 422,
            code: onewindow_proto::ApiErrorCode::BlobHashMismatch,
            ..
        }
    ));
    assert!(!client.blob_state(&wrong).await.unwrap().complete);
    let r = http
        .post(format!("{}/v1/ops", hub.url()))
        .bearer_auth(&enrolment.token)
        .header("content-type", "application/json")
        .body("{\"ops\": [")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    assert_eq!(
        r.json::<serde_json::Value>().await.unwrap()["code"],
        "bad_json"
    );
    let r = http
        .post(format!("{}/v1/ops", hub.url()))
        .bearer_auth(&enrolment.token)
        .header("content-type", "application/json")
        .body(vec![b' '; 5 * 1024 * 1024])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 413);
    hub.kill();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_hub_killed_while_writing_a_chunk_resumes_from_the_recorded_offset() {
    let tmp = tempfile::tempdir().unwrap();
    let data = demo_hub_data(tmp.path());
    let code = enrol_code(&data, "1 号窗口");
    // The hub dies halfway through writing the second chunk to disk.
    let hub = HubProcess::start_with(&data, "127.0.0.1:0", Some("blob.mid_write"));
    let client = onewindow_sync::HubClient::new(&hub.url());
    let enrolment = client.enrol(&code).await.unwrap();
    let client = client.with_token(&enrolment.token);
    // 20 MiB: three chunks.
    let bytes: Vec<u8> = (0..20 * 1024 * 1024u32)
        .map(|i| (i.wrapping_mul(2246822519) >> 23) as u8)
        .collect();
    let sha = sha256_hex(&bytes);
    let blobs = onewindow_tests::sealed_blobs(&tmp.path().join("blobs"));
    assert_eq!(onewindow_tests::put_blob(&blobs, &bytes), sha);
    let chunk = onewindow_proto::MAX_CHUNK as u64;
    let err = onewindow_sync::upload_blob(&client, &sha, &blobs, None)
        .await
        .unwrap_err();
    assert!(
        matches!(err, onewindow_sync::SyncError::Unreachable { .. }),
        "{err:?}"
    );
    let port = hub.url().rsplit(':').next().unwrap().to_string();
    let status = hub.wait_exit(Duration::from_secs(10));
    assert!(!status.success(), "the failpoint aborted the hub");
    // Half a chunk past the recorded offset is on disk.
    let device = onewindow_tests::hub_store(&data).audit_heads().unwrap()[0]
        .device_id
        .clone();
    let partial = data
        .join("blobs/partial")
        .join(device)
        .join(format!("{sha}.part"));
    let on_disk = std::fs::metadata(&partial).unwrap().len();
    assert!(on_disk > chunk && on_disk < 2 * chunk, "{on_disk}");

    let hub = HubProcess::start_at(&data, &format!("127.0.0.1:{port}"));
    let st = client.blob_state(&sha).await.unwrap();
    assert_eq!(
        (st.offset, st.complete),
        (chunk, false),
        "the hub reports what it recorded, not what half-reached the disk"
    );
    let sent = onewindow_sync::upload_blob(&client, &sha, &blobs, None)
        .await
        .unwrap();
    assert_eq!(
        sent,
        bytes.len() as u64 - chunk,
        "the interrupted chunk and the last one; nothing before"
    );
    assert!(client.blob_state(&sha).await.unwrap().complete);
    let hub_store = onewindow_tests::hub_store(&data);
    let (_, size) = hub_store
        .complete_blobs()
        .unwrap()
        .into_iter()
        .find(|(s, _)| s == &sha)
        .expect("the blob is complete");
    assert_eq!(size, bytes.len() as u64);
    let blobs = onewindow_hub::store_blob::blob_dir(&data);
    let stored = blobs.read(&sha).unwrap();
    assert_eq!(sha256_hex(&stored), sha, "hash-verified whole");
    // Sealed at rest: the file on disk is not the scan.
    let on_disk = std::fs::read(blobs.path(&sha)).unwrap();
    assert!(onewindow_intake::seal::is_sealed(&on_disk));
    assert_ne!(sha256_hex(&on_disk), sha);
    assert!(!partial.exists());
    hub.kill();
}

#[tokio::test(flavor = "multi_thread")]
async fn golden_payloads_of_every_protocol_version_are_still_applied() {
    // Each file's case numbers begin with its desk's code: each is pushed by that desk (a
    // desk may name only its own cases).
    let h = TestHub::new()
        .desk_coded("金样窗口", "GOLD")
        .desk_coded("金样队列窗口", "W01")
        .start();
    let codes = [
        ("GOLD", h.code("金样窗口")),
        ("W01", h.code("金样队列窗口")),
    ];
    let TestHub {
        tmp: _tmp,
        data: _data,
        hub,
        ..
    } = h;
    let mut clients = std::collections::BTreeMap::new();
    for (desk, code) in codes {
        let client = onewindow_sync::HubClient::new(&hub.url());
        let token = client.enrol(&code).await.unwrap().token;
        clients.insert(desk, (client.with_token(&token), token));
    }
    // A desk of protocol 1 named neither its protocol nor its release: its files go as it sent
    // them, with its token alone.
    let as_release_one = |token: &str, ops: &[onewindow_proto::Op]| {
        reqwest::Client::new()
            .post(format!("{}{}", hub.url(), onewindow_proto::paths::OPS))
            .bearer_auth(token)
            .header("content-type", "application/json")
            .body(serde_json::to_vec(&onewindow_proto::PushRequest { ops: ops.to_vec() }).unwrap())
            .send()
    };
    let dir = onewindow_tests::root().join("tests/golden");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    assert!(!files.is_empty());
    for f in files {
        let golden: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&f).unwrap()).unwrap();
        let ops: Vec<onewindow_proto::Op> = serde_json::from_value(golden["ops"].clone()).unwrap();
        let text = golden["ops"].to_string();
        let (client, token) = clients
            .iter()
            .find(|(desk, _)| {
                golden["desk"].as_str() == Some(**desk) || text.contains(&format!("\"{desk}-"))
            })
            .map(|(_, c)| c)
            .unwrap_or_else(|| panic!("{}: no desk of ours numbers its cases", f.display()));
        let protocol = golden["protocol"].as_u64().unwrap();
        let answer = if protocol == 1 {
            let r = as_release_one(token, &ops).await.unwrap();
            assert_eq!(r.status(), 200, "{}", f.display());
            serde_json::from_slice::<onewindow_proto::PushResponse>(&r.bytes().await.unwrap())
                .unwrap()
        } else {
            client.push_ops(&ops).await.unwrap()
        };
        for r in &answer.results {
            assert_eq!(
                r.status,
                onewindow_proto::OpStatus::Applied,
                "{}: {r:?}",
                f.display()
            );
        }
        // And a replay of the same file is only duplicates.
        let again = client.push_ops(&ops).await.unwrap();
        assert!(
            again
                .results
                .iter()
                .all(|r| r.status == onewindow_proto::OpStatus::Duplicate)
        );
    }
    hub.kill();
}

/// `serve --now` starts the hub's clock at the instant given and it runs on from there:
/// what the hub records is stamped with its time, not the machine's.
#[tokio::test(flavor = "multi_thread")]
async fn a_hub_started_with_now_keeps_its_own_time() {
    let h = TestHub::new()
        .desk_coded("时钟窗口", "GOLD")
        .now("2026-11-27T09:30:00+08:00")
        .start();
    let code = h.code("时钟窗口");
    let TestHub { data, hub, .. } = h;
    let client = onewindow_sync::HubClient::new(&hub.url());
    let token = client.enrol(&code).await.unwrap().token;
    let client = client.with_token(&token);
    let golden: serde_json::Value = serde_json::from_slice(
        &std::fs::read(onewindow_tests::root().join("tests/golden/ops-v1.json")).unwrap(),
    )
    .unwrap();
    let ops: Vec<onewindow_proto::Op> = serde_json::from_value(golden["ops"].clone()).unwrap();
    let answer = client.push_ops(&ops).await.unwrap();
    assert!(
        answer
            .results
            .iter()
            .all(|r| r.status == onewindow_proto::OpStatus::Applied)
    );
    hub.kill();
    let db = onewindow_tests::hub_db(&data);
    let stamps: Vec<String> = db
        .prepare("SELECT at FROM applied_op UNION ALL SELECT enrolled_at FROM device")
        .unwrap()
        .query_map((), |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert!(stamps.len() >= 4, "{stamps:?}");
    for s in &stamps {
        let at: chrono::DateTime<chrono::Utc> = s.parse().unwrap();
        let since = at
            - "2026-11-27T01:30:00Z"
                .parse::<chrono::DateTime<chrono::Utc>>()
                .unwrap();
        assert!(
            since >= chrono::Duration::zero() && since < chrono::Duration::minutes(5),
            "{s} is not the hub's time"
        );
    }
}

/// The hub's disk fills: a push is refused with 507 `storage_full` and nothing of it is
/// recorded there, the desk keeps its case and says 中心存储已满, `/readyz` answers 503 while
/// `/healthz` stays up; once space returns the same push lands, exactly once.
#[tokio::test(flavor = "multi_thread")]
async fn a_full_hub_disk_answers_507_and_the_push_lands_once_space_returns() {
    if onewindow_tests::test_pg().is_some() {
        // The disk filled here holds hub.db; a PostgreSQL hub's database is elsewhere and its
        // own full disk (SQLSTATE 53100) is what DbError::is_disk_full maps to 507.
        eprintln!("a full hub.db disk: a SQLite hub's test");
        return;
    }
    let Some(disk) = onewindow_tests::SmallDisk::mount(96) else {
        return;
    };
    mock_keyring();
    let tmp = tempfile::tempdir().unwrap();
    let data = demo_hub_data(&disk.path);
    let code = enrol_code(&data, "综合受理 1 号窗口");
    let hub = HubProcess::start(&data);
    let d = desk(tmp.path(), hub.url());
    assert!(d.sync_once().await.unwrap());
    d.enrol(&hub.url(), &code, "").await.unwrap();
    let ready = |url: String| {
        tokio::task::spawn_blocking(move || {
            let r = reqwest::blocking::get(format!("{url}/readyz")).unwrap();
            (r.status().as_u16(), r.text().unwrap())
        })
    };
    assert_eq!(ready(hub.url()).await.unwrap().0, 200);

    let number = accepted_case(&d, 1).await;
    disk.fill("filler", 0);
    let _ = d.sync_once().await;
    let push = d.status().push;
    assert_eq!(push.pending_ops, 1, "{push:?}");
    let problem = push.problem.expect("the push failed and says why");
    assert!(problem.contains("中心存储已满"), "{problem}");
    let (status, body) = ready(hub.url()).await.unwrap();
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("storage_full"), "{body}");
    // The operator's view: free space is a metric.
    let metrics = tokio::task::spawn_blocking({
        let url = hub.url();
        move || {
            reqwest::blocking::get(format!("{url}/metrics"))
                .unwrap()
                .text()
                .unwrap()
        }
    })
    .await
    .unwrap();
    let free: u64 = metrics
        .lines()
        .find_map(|l| l.strip_prefix("onewindow_hub_storage_free_bytes "))
        .expect(&metrics)
        .parse()
        .unwrap();
    assert!(free < 1024 * 1024, "{free}");
    assert!(metrics.contains("# TYPE onewindow_hub_storage_free_bytes gauge"));
    let health = tokio::task::spawn_blocking({
        let url = hub.url();
        move || {
            reqwest::blocking::get(format!("{url}/healthz"))
                .unwrap()
                .status()
        }
    })
    .await
    .unwrap();
    assert_eq!(health.as_u16(), 200, "the process itself is alive");

    std::fs::remove_file(disk.path.join("filler")).unwrap();
    assert_eq!(ready(hub.url()).await.unwrap().0, 200);
    d.sync_once().await.unwrap();
    assert_eq!(d.status().push.pending_ops, 0);
    drop(hub);
    let hub_store = onewindow_tests::hub_store(&data);
    assert_eq!(hub_store.case_count().unwrap(), 1);
    assert!(hub_store.hub_case(&number).unwrap().is_some());
}
