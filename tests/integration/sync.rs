//! Push with real processes: a hub on 127.0.0.1, desks enrolled with one-time codes, the
//! outbox and the attachment lane drained exactly once, rejects kept for the clerk.

use std::path::Path;
use std::time::Duration;

use onewindow_app::dto::{NewCaseRequest, SaveIntakeRequest};
use onewindow_app::print::PrintTarget;
use onewindow_app::{Desk, DeskConfig};
use onewindow_hub::store::HubStore;
use onewindow_tests::{HubProcess, demo_hub_data, hub_cli, jpeg_variant};

fn mock_keyring() {
    keyring::set_default_credential_builder(keyring::mock::default_credential_builder());
}

use onewindow_tests::enrol_code;

fn desk(dir: &Path, hub_url: String) -> std::sync::Arc<Desk> {
    Desk::open(DeskConfig {
        sync_interval: Duration::from_secs(3600),
        printer: PrintTarget::Folder(dir.join("printed")),
        today: Some("2026-11-27".parse().unwrap()),
        hot_folder: dir.join("scans"),
        cache_key: onewindow_app::cache_key::CacheKey::Fixed(onewindow_tests::TEST_CACHE_KEY),
        ..DeskConfig::new(dir.join("desk"), hub_url)
    })
}

/// An accepted 居民身份证换领 with two scanned pages; returns its number.
async fn accepted_case(d: &Desk, n: u32) -> String {
    let v = d
        .new_case(&NewCaseRequest {
            item_code: Some("00017200100002".into()),
            scenario_code: Some("00017200100002-01".into()),
            bundle_code: None,
        })
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    for slot in 0..2u32 {
        let p = dir.path().join(format!("page-{n}-{slot}.jpg"));
        std::fs::write(&p, jpeg_variant(n * 10 + slot)).unwrap();
        d.select_slot(&v.id, Some(slot)).unwrap();
        d.import_files(&v.id, &[p]).unwrap();
    }
    let applicant = onewindow_app::dto::ApplicantInput {
        kind: "person".into(),
        name: "徐志强".into(),
        number: "371082199906080810".into(),
        phone: "13906310001".into(),
        ..Default::default()
    };
    let form = [
        ("name", "徐志强"),
        ("id_number", "371082199906080810"),
        ("mobile", "13906310001"),
        ("delivery", "窗口领取"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    d.save_intake(&SaveIntakeRequest {
        case_id: v.id.clone(),
        applicant,
        form,
    })
    .await
    .unwrap();
    let v = d.accept_case(&v.id).unwrap();
    assert_eq!(v.state, "accepted", "{:?}", v.review.findings);
    v.number
}

#[tokio::test(flavor = "multi_thread")]
async fn an_enrolled_desk_pushes_cases_and_scans_exactly_once() {
    mock_keyring();
    let tmp = tempfile::tempdir().unwrap();
    let data = demo_hub_data(tmp.path());
    let code = enrol_code(&data, "综合受理 1 号窗口");
    let hub = HubProcess::start(&data);
    let d = desk(tmp.path(), hub.url());
    assert!(d.sync_once().await.unwrap());
    assert!(!d.status().push.enrolled);

    // A wrong code is refused in Chinese; the right one enrols once.
    let err = d.enrol(&hub.url(), "AAAA-BBBB-CCCC", "").await.unwrap_err();
    assert_eq!(err.code, "bad_enrol_code");
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

    let hub_store = HubStore::open_dir(&data).unwrap();
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
        let bytes = std::fs::read(data.join("blobs").join(&sha[..2]).join(&sha[2..])).unwrap();
        assert_eq!(bytes.len() as u64, *size);
        assert_eq!(&sha256_hex(&bytes), sha);
    }

    // The hub committed but the desk lost the answers (killed before recording them): the
    // replay is answered "duplicate" and nothing is applied twice.
    let conn = onewindow_tests::desk_db(&tmp.path().join("desk/cache.db"));
    conn.execute("DELETE FROM op_result", []).unwrap();
    drop(conn);
    assert_eq!(d.status().push.pending_ops, 3);
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

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    format!("{:x}", sha2::Sha256::digest(bytes))
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rejected_op_is_kept_with_its_reason_and_blocks_nothing() {
    mock_keyring();
    let tmp = tempfile::tempdir().unwrap();
    let data = demo_hub_data(tmp.path());
    let code_a = enrol_code(&data, "1 号窗口");
    let hub = HubProcess::start(&data);

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
        rejected[0].reason.contains("已被另一办件使用"),
        "{:?}",
        rejected[0]
    );
    let hub_store = HubStore::open_dir(&data).unwrap();
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
    assert!(again[0].reason.contains("已被另一办件使用"));
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
    let tmp = tempfile::tempdir().unwrap();
    let data = demo_hub_data(tmp.path());
    let code = enrol_code(&data, "1 号窗口");
    let hub = HubProcess::start(&data);
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
    assert!(
        matches!(err, onewindow_sync::SyncError::Hub { status: 409, ref code, .. } if code == "blob_offset")
    );
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
    assert!(
        matches!(err, onewindow_sync::SyncError::Hub { status: 422, ref code, .. } if code == "blob_hash_mismatch")
    );
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
    let partial = data.join("blobs/partial").join(format!("{sha}.part"));
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
    let hub_store = HubStore::open_dir(&data).unwrap();
    let (_, size) = hub_store
        .complete_blobs()
        .unwrap()
        .into_iter()
        .find(|(s, _)| s == &sha)
        .expect("the blob is complete");
    assert_eq!(size, bytes.len() as u64);
    let stored = std::fs::read(onewindow_hub::store_sync::blob_dir(&data).path(&sha)).unwrap();
    assert_eq!(sha256_hex(&stored), sha, "hash-verified whole");
    assert!(!partial.exists());
    hub.kill();
}

/// An approver's browser session: a cookie jar, no redirects followed.
fn office_client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn decisions_flow_back_to_the_window_and_delivery_flows_up() {
    mock_keyring();
    let tmp = tempfile::tempdir().unwrap();
    let data = demo_hub_data(tmp.path());
    let code = enrol_code(&data, "综合受理 1 号窗口");
    let d_arg = data.to_str().unwrap();
    // 居民身份证换领 is in the public-security domain (GA in the sample).
    let item_domain = onewindow_tests::item_domain("00017200100002");
    onewindow_tests::hub_cli_with_stdin(
        &[
            "user",
            "add",
            "--data",
            d_arg,
            "--name",
            "wang",
            "--role",
            "approver",
            "--domain",
            &item_domain,
            "--password-stdin",
        ],
        "correct horse battery\n",
    );
    onewindow_tests::hub_cli_with_stdin(
        &[
            "user",
            "add",
            "--data",
            d_arg,
            "--name",
            "zhao",
            "--role",
            "approver",
            "--domain",
            "XX",
            "--password-stdin",
        ],
        "another long secret\n",
    );
    let hub = HubProcess::start(&data);
    let d = desk(tmp.path(), hub.url());
    d.sync_once().await.unwrap();
    d.enrol(&hub.url(), &code, "").await.unwrap();
    let approve_me = accepted_case(&d, 1).await;
    let return_me = accepted_case(&d, 2).await;
    d.sync_once().await.unwrap();
    let cases = d.recent_cases().unwrap();
    assert!(cases.iter().all(|c| c.state_label == "已流转"), "{cases:?}");
    // The desk is re-enrolled (say its PC was replaced): it keeps its device on the hub, so
    // the decisions on the cases it already handed off still reach it.
    let before = d.status();
    let again = onewindow_tests::re_enrol_code(&data, "综合受理 1 号窗口", &before.push.desk_code);
    d.enrol(&hub.url(), &again, "").await.unwrap();
    assert_eq!(d.status().push.desk_code, before.push.desk_code);

    // The approver signs in; a wrong password is refused.
    let web = office_client();
    let base = hub.url();
    let r = web.get(format!("{base}/office")).send().await.unwrap();
    assert_eq!(r.status(), 303, "to the login page");
    let r = web
        .post(format!("{base}/office/login"))
        .form(&[("name", "wang"), ("password", "wrong password")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert!(r.text().await.unwrap().contains("用户名或密码不正确"));
    let r = web
        .post(format!("{base}/office/login"))
        .form(&[("name", "wang"), ("password", "correct horse battery")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let list = web
        .get(format!("{base}/office"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(list.contains("<meta charset=\"utf-8\">"));
    assert!(
        list.contains(&approve_me) && list.contains(&return_me),
        "{list}"
    );
    assert!(list.contains("居民身份证换领"));
    let page = web
        .get(format!("{base}/office/cases/{approve_me}"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("371082********0810"), "masked applicant");
    assert!(
        !page.contains("371082199906080810"),
        "never the whole number"
    );
    let img = page
        .split("src=\"/office/blobs/")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("materials shown inline");
    let r = web
        .get(format!("{base}/office/blobs/{img}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "image/jpeg");

    // Another domain's approver sees none of it.
    let other = office_client();
    other
        .post(format!("{base}/office/login"))
        .form(&[("name", "zhao"), ("password", "another long secret")])
        .send()
        .await
        .unwrap();
    let list = other
        .get(format!("{base}/office"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!list.contains(&approve_me));
    assert_eq!(
        other
            .get(format!("{base}/office/cases/{approve_me}"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    assert_eq!(
        other
            .get(format!("{base}/office/blobs/{img}"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );

    // Decisions: a return needs its reason; approve and return go back to the window.
    let r = web
        .post(format!("{base}/office/cases/{return_me}/decide"))
        .form(&[("action", "return_for_correction"), ("note", "")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    // A result file goes with an approval only, and only as a PDF.
    let licence = onewindow_tests::tiny_pdf("LICENCE 371082-2026-0001");
    let multipart = |action: &str, note: &str, file: Option<(&str, Vec<u8>)>| {
        let mut form = reqwest::multipart::Form::new()
            .text("action", action.to_string())
            .text("note", note.to_string());
        if let Some((name, bytes)) = file {
            form = form.part(
                "result_file",
                reqwest::multipart::Part::bytes(bytes).file_name(name.to_string()),
            );
        }
        form
    };
    for (action, file, says) in [
        (
            "return_for_correction",
            Some(("决定书.pdf", licence.clone())),
            "只有批准可以附结果文件",
        ),
        (
            "approve",
            Some(("照片.jpg", b"\xff\xd8\xff".to_vec())),
            "须为 PDF",
        ),
        ("approve", Some(("空.pdf", Vec::new())), "是空的"),
    ] {
        let r = web
            .post(format!("{base}/office/cases/{approve_me}/decide"))
            .multipart(multipart(action, "附件", file))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400, "{action} {says}");
        assert!(r.text().await.unwrap().contains(says), "{says}");
    }
    let r = web
        .post(format!("{base}/office/cases/{approve_me}/decide"))
        .multipart(multipart(
            "approve",
            "符合换领条件",
            Some(("../准予换领决定书.pdf", licence.clone())),
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303, "approve with its result file");
    let r = web
        .post(format!("{base}/office/cases/{return_me}/decide"))
        .form(&[
            ("action", "return_for_correction"),
            ("note", "申领登记表照片不清晰，请重新扫描"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303, "return");
    let page = web
        .get(format!("{base}/office/cases/{approve_me}"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("准予换领决定书.pdf") && !page.contains("../"),
        "{page}"
    );
    let licence_sha = sha256_hex(&licence);
    let r = web
        .get(format!("{base}/office/blobs/{licence_sha}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["content-type"], "application/pdf");
    // Only the desk that took the case in may fetch it.
    let r = reqwest::Client::new()
        .get(format!("{base}/v1/result-files/{licence_sha}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    d.sync_once().await.unwrap();
    let by_number = |n: &str| {
        d.recent_cases()
            .unwrap()
            .into_iter()
            .find(|c| c.number == n)
            .unwrap()
    };
    assert_eq!(by_number(&approve_me).state_label, "待出件");
    // The result file arrived with the decision: archived with the case's documents, whole.
    let approved = d.open_case(&by_number(&approve_me).id).unwrap();
    let doc = approved
        .documents
        .iter()
        .find(|doc| doc.title == "审批结果文件")
        .unwrap_or_else(|| panic!("{:?}", approved.documents));
    let archived = std::fs::read_dir(tmp.path().join("desk/documents").join(&approve_me))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            p.file_name()
                .unwrap()
                .to_str()
                .unwrap()
                .starts_with("result_file-")
        })
        .expect("archived");
    // Sealed at rest like every document the desk archives.
    let on_disk = std::fs::read(&archived).unwrap();
    assert!(onewindow_intake::seal::is_sealed(&on_disk));
    let opened = onewindow_intake::Seal::from_cache_key(&onewindow_tests::TEST_CACHE_KEY)
        .open(&on_disk)
        .unwrap();
    assert_eq!(opened, licence);
    let plain = tmp.path().join("licence.pdf");
    std::fs::write(&plain, &opened).unwrap();
    assert!(onewindow_tests::pdf_text(&plain).contains("LICENCE 371082-2026-0001"));
    // Printed at 出件 like any document.
    let printed = d.reprint(doc.id).unwrap();
    assert!(printed.ok, "{printed:?}");
    let returned = by_number(&return_me);
    assert_eq!(returned.state_label, "退回补正");
    // The returned case reopens at the window with its number and materials.
    let v = d.reopen_case(&returned.id).unwrap();
    assert_eq!(
        (v.state.as_str(), v.number.as_str()),
        ("draft", return_me.as_str())
    );
    assert_eq!(v.materials.iter().map(|m| m.files.len()).sum::<usize>(), 2);
    assert!(
        v.events
            .iter()
            .any(|e| e.reason.as_deref() == Some("申领登记表照片不清晰，请重新扫描"))
    );

    // Downloading the results stream again moves nothing back.
    d.reset_stream("results").await.unwrap();
    assert_eq!(d.open_case(&returned.id).unwrap().state, "draft");
    assert_eq!(by_number(&approve_me).state_label, "待出件");

    // Delivery by post needs a tracking number; then the hub learns of it.
    let ready = by_number(&approve_me);
    assert!(d.deliver_case(&ready.id, true, "").is_err());
    let v = d.deliver_case(&ready.id, true, "SF1234567890").unwrap();
    assert_eq!(v.state, "delivered");
    d.sync_once().await.unwrap();
    let hub_store = HubStore::open_dir(&data).unwrap();
    assert_eq!(
        hub_store.hub_case(&approve_me).unwrap().unwrap().1,
        "delivered"
    );

    // The applicant's progress page: the number and the receipt's query code.
    let id = ready.id.clone();
    let code = onewindow_proto::query_code(&id);
    let r = reqwest::get(format!("{base}/progress?case={approve_me}&code={code}"))
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let text = r.text().await.unwrap();
    assert!(text.contains("徐**") && !text.contains("徐志强"), "{text}");
    let r = reqwest::get(format!("{base}/progress?case={approve_me}&code=WRONG1"))
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    hub.kill();
}

#[tokio::test(flavor = "multi_thread")]
async fn golden_payloads_of_every_protocol_version_are_still_applied() {
    let tmp = tempfile::tempdir().unwrap();
    let data = demo_hub_data(tmp.path());
    let code = enrol_code(&data, "金样窗口");
    let hub = HubProcess::start(&data);
    let client = onewindow_sync::HubClient::new(&hub.url());
    let token = client.enrol(&code).await.unwrap().token;
    let client = client.with_token(&token);
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
        let answer = client.push_ops(&ops).await.unwrap();
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
    let tmp = tempfile::tempdir().unwrap();
    let data = demo_hub_data(tmp.path());
    let code = enrol_code(&data, "时钟窗口");
    let hub = HubProcess::start_now(&data, "2026-11-27T09:30:00+08:00");
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
    let db = rusqlite::Connection::open(data.join("hub.db")).unwrap();
    let stamps: Vec<String> = db
        .prepare("SELECT at FROM applied_op UNION ALL SELECT enrolled_at FROM device")
        .unwrap()
        .query_map([], |r| r.get(0))
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

#[tokio::test(flavor = "multi_thread")]
async fn clerks_sign_in_with_the_hub_and_a_stream_resets_alone() {
    mock_keyring();
    let tmp = tempfile::tempdir().unwrap();
    let data = demo_hub_data(tmp.path());
    let code = enrol_code(&data, "1 号窗口");
    onewindow_tests::add_user(&data, "liu", "clerk", "window clerk pass");
    let hub = HubProcess::start(&data);
    let d = desk(tmp.path(), hub.url());
    d.sync_once().await.unwrap();
    let err = d.login("liu", "window clerk pass").await.unwrap_err();
    assert_eq!(err.code, "not_enrolled");
    d.enrol(&hub.url(), &code, "").await.unwrap();
    let err = d.login("liu", "wrong").await.unwrap_err();
    assert_eq!(err.message, "用户名或密码不正确（再错 4 次将锁定 15 分钟）");
    let st = d.login("liu", "window clerk pass").await.unwrap();
    assert_eq!(st.user.as_ref().unwrap().role_label, "窗口人员");
    assert!(!st.user.as_ref().unwrap().offline);
    // Events are recorded under the signed-in clerk.
    let n = accepted_case(&d, 1).await;
    let case = d
        .recent_cases()
        .unwrap()
        .into_iter()
        .find(|c| c.number == n)
        .unwrap();
    let v = d.open_case(&case.id).unwrap();
    assert!(v.events.iter().all(|e| e.actor == "liu"), "{:?}", v.events);
    assert!(d.logout().user.is_none());

    // Resetting the catalog downloads it again and leaves the queued op alone.
    let pending = d.status().push.pending_ops;
    let st = d.reset_stream("catalog").await.unwrap();
    assert_eq!(st.item_count, 40);
    assert_eq!(
        d.status().push.pending_ops,
        0,
        "the sync after the reset also pushed"
    );
    assert!(pending >= 1);
    assert!(d.reset_stream("outbox").await.is_err());

    // The queue-configuration stream: published on the hub, pulled with the others, the
    // desk finds its window by its desk code; a new version replaces it; a reset fetches it
    // again and touches nothing else.
    assert!(d.status().queue_window.is_none());
    let queue = onewindow_tests::demo("queue.json");
    let out = onewindow_tests::hub_cli(&[
        "import-queue",
        "--data",
        data.to_str().unwrap(),
        queue.to_str().unwrap(),
    ]);
    assert!(out.contains("叫号配置已发布"), "{out}");
    d.sync_once().await.unwrap();
    let w = d.status().queue_window.expect("W01 sits at window 1");
    assert_eq!(w.number, 1);
    assert_eq!(w.domains_label, "综合受理（A）、公安户政（E）");
    let mut cfg: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&queue).unwrap()).unwrap();
    cfg["windows"][0]["domains"] = serde_json::json!(["SW"]);
    let changed = tmp.path().join("queue-v2.json");
    std::fs::write(&changed, cfg.to_string()).unwrap();
    onewindow_tests::hub_cli(&[
        "import-queue",
        "--data",
        data.to_str().unwrap(),
        changed.to_str().unwrap(),
    ]);
    let out = onewindow_tests::hub_cli(&[
        "import-queue",
        "--data",
        data.to_str().unwrap(),
        changed.to_str().unwrap(),
    ]);
    assert!(out.contains("未发布新版本"), "{out}");
    // A bad file is refused whole with where the problem is.
    cfg["windows"][1]["domains"] = serde_json::json!(["NOPE"]);
    let bad = tmp.path().join("queue-bad.json");
    std::fs::write(&bad, cfg.to_string()).unwrap();
    let err = onewindow_tests::hub_cli_refused(&[
        "import-queue",
        "--data",
        data.to_str().unwrap(),
        bad.to_str().unwrap(),
    ]);
    assert!(err.contains("windows[1].domains"), "{err}");
    d.sync_once().await.unwrap();
    assert_eq!(d.status().queue_window.unwrap().domains_label, "税务（F）");
    let streams = d.status().push.streams;
    assert!(
        streams.iter().any(|s| s.stream == "queue_config"
            && s.label == "叫号配置"
            && s.last_pull_at.is_some())
    );
    let st = d.reset_stream("queue_config").await.unwrap();
    assert_eq!(st.queue_window.unwrap().domains_label, "税务（F）");
    assert_eq!(st.item_count, 40, "the catalog stays");
    hub.kill();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_desk_drives_only_the_window_it_sits_at() {
    let tmp = tempfile::tempdir().unwrap();
    let data = demo_hub_data(tmp.path());
    let queue = onewindow_tests::demo("queue.json");
    // W01 sits at window 1 (综合受理, 公安户政); a desk with a code the configuration does not
    // name sits nowhere.
    let w01 = enrol_code(&data, "1 号窗口");
    let nowhere = onewindow_tests::code_in(&hub_cli(&[
        "enrol",
        "--data",
        data.to_str().unwrap(),
        "--desk",
        "咨询台",
        "--desk-code",
        "ZX1",
    ]));
    let hub = HubProcess::start(&data);
    let enrol = |code: String| {
        let url = hub.url();
        async move {
            let c = onewindow_sync::HubClient::new(&url);
            let t = c.enrol(&code).await.unwrap().token;
            c.with_token(&t)
        }
    };
    let desk = enrol(w01).await;
    let other = enrol(nowhere).await;
    // Before a configuration is published nothing can be called.
    let err = desk.queue_call_next("li").await.unwrap_err();
    assert!(
        matches!(err, onewindow_sync::SyncError::Hub { status: 400, .. }),
        "{err:?}"
    );
    hub_cli(&[
        "import-queue",
        "--data",
        data.to_str().unwrap(),
        queue.to_str().unwrap(),
    ]);
    let web = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    for domain in ["SCJG", "GAHZ", "ZHSL"] {
        let r = web
            .post(format!("{}/kiosk/tickets", hub.url()))
            .form(&[("domain", domain)])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 303, "{domain}");
    }
    // An unknown domain is refused on the kiosk page, and nothing is issued.
    let r = web
        .post(format!("{}/kiosk/tickets", hub.url()))
        .form(&[("domain", "NOPE")])
        .send()
        .await
        .unwrap();
    assert!(r.text().await.unwrap().contains("该业务暂不能取号"));
    // Window 1 calls its own domains only: E001 (issued before A001), then A001; never B001.
    let first = desk.queue_call_next("li").await.unwrap();
    assert_eq!(first.ticket.unwrap().number, "E001");
    assert_eq!(first.waiting_for_window, 1);
    let second = desk.queue_call_next("li").await.unwrap();
    assert_eq!(second.ticket.unwrap().number, "A001");
    assert!(desk.queue_call_next("li").await.unwrap().ticket.is_none());
    let err = other.queue_call_next("zhang").await.unwrap_err();
    assert!(
        matches!(err, onewindow_sync::SyncError::Hub { status: 400, ref message, .. } if message.contains("sits at no window")),
        "{err:?}"
    );
    // No token, no calling; a blank clerk is refused.
    let r = web
        .post(format!(
            "{}{}",
            hub.url(),
            onewindow_proto::paths::QUEUE_CALL_NEXT
        ))
        .json(&serde_json::json!({"clerk": "li"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert!(desk.queue_call_next(" ").await.is_err());
    let board: onewindow_proto::HallBoard = web
        .get(format!(
            "{}{}",
            hub.url(),
            onewindow_proto::paths::QUEUE_BOARD
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(board.calls[0].number, "A001");
    assert_eq!(
        board.windows[0].current, None,
        "calling next with nobody waiting finished A001"
    );

    // The applicant rates the service (the last one this window finished: A001); a bad
    // rating needs a reason and reaches the supervisor's rectification list.
    let err = desk.queue_rating(2, &[], "").await.unwrap_err();
    assert!(
        matches!(err, onewindow_sync::SyncError::Hub { status: 400, .. }),
        "{err:?}"
    );
    desk.queue_rating(1, &["办事效率低、等候时间长".into()], "等了很久")
        .await
        .unwrap();
    assert!(desk.queue_rating(5, &[], "").await.is_err(), "rated once");
    onewindow_tests::add_user(&data, "zhou", "supervisor", "hall supervisor pass");
    let office = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    office
        .post(format!("{}/office/login", hub.url()))
        .form(&[("name", "zhou"), ("password", "hall supervisor pass")])
        .send()
        .await
        .unwrap();
    let page = office
        .get(format!("{}/office/ratings", hub.url()))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("非常不满意") && page.contains("A001") && page.contains("待整改"),
        "{page}"
    );
    let id = page
        .split("data-id=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap()
        .to_string();
    let r = office
        .post(format!("{}/office/ratings/{id}/advance", hub.url()))
        .form(&[("note", "")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let r = office
        .post(format!("{}/office/ratings/{id}/advance", hub.url()))
        .form(&[("note", "增开潮汐窗口，高峰期加派人手")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let page = office
        .get(format!("{}/office/ratings", hub.url()))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("已整改") && page.contains("标记已回访"),
        "{page}"
    );
    hub.kill();
}

#[tokio::test(flavor = "multi_thread")]
async fn the_clerk_calls_recalls_serves_and_transfers_from_the_desk_and_each_call_is_announced() {
    mock_keyring();
    let tmp = tempfile::tempdir().unwrap();
    let data = demo_hub_data(tmp.path());
    let queue = onewindow_tests::demo("queue.json");
    hub_cli(&[
        "import-queue",
        "--data",
        data.to_str().unwrap(),
        queue.to_str().unwrap(),
    ]);
    let code = enrol_code(&data, "1 号窗口");
    let hub = HubProcess::start(&data);
    let wavs = tmp.path().join("announced");
    std::fs::create_dir_all(&wavs).unwrap();
    let d = Desk::open(DeskConfig {
        sync_interval: Duration::from_secs(3600),
        printer: PrintTarget::Folder(tmp.path().join("printed")),
        announce_to_wav: Some(wavs.clone()),
        cache_key: onewindow_app::cache_key::CacheKey::Fixed(onewindow_tests::TEST_CACHE_KEY),
        ..DeskConfig::new(tmp.path().join("desk"), hub.url())
    });
    d.sync_once().await.unwrap();
    let v = d.queue_status();
    assert!(v.reason.unwrap().contains("尚未在中心注册"));
    assert!(d.queue_call_next().await.is_err());
    d.enrol(&hub.url(), &code, "").await.unwrap();
    let v = d.queue_status();
    assert_eq!((v.window, v.reason.as_deref()), (Some(1), None));
    assert!(v.transfer_domains.iter().any(|t| t.code == "SBYB"));

    let web = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    for (domain, id) in [("ZHSL", ""), ("ZHSL", "371082196611270015")] {
        web.post(format!("{}/kiosk/tickets", hub.url()))
            .form(&[("domain", domain), ("id_number", id), ("lane", "")])
            .send()
            .await
            .unwrap();
    }
    // The calling bar's poll asks the hub: two wait for window 1.
    let v = d.queue_refresh().await;
    assert_eq!((v.waiting, v.current.is_none()), (2, true));
    let v = d.queue_call_next().await.unwrap();
    let cur = v.current.unwrap();
    assert_eq!(cur.number, "A002", "the lane first");
    assert_eq!(cur.priority_label.as_deref(), Some("绿色通道（老年人）"));
    assert_eq!(
        (v.waiting, v.flash.unwrap().text.as_str()),
        (1, "已叫 A002 号")
    );
    let v = d.queue_step("recall").await.unwrap();
    assert_eq!(v.current.unwrap().recalls, 1);
    let v = d.queue_step("serve").await.unwrap();
    assert_eq!(v.current.unwrap().state_label, "办理中");
    let err = d.queue_step("no_show").await.unwrap_err();
    assert_eq!(err.message, "该号已在办理，不能再按过号处理");
    // Sent to 社保医保 with its original time; window 1 no longer has it.
    let v = d.queue_transfer(None, Some("SBYB".into())).await.unwrap();
    assert!(v.current.is_none());
    assert!(v.flash.unwrap().text.contains("按原取号时间"));
    assert!(d.queue_transfer(None, None).await.is_err());
    // Paused: calling says so; resumed, A001 is called.
    let v = d.queue_set_window("paused").await.unwrap();
    assert_eq!(v.window_state.as_deref(), Some("paused"));
    assert_eq!(
        d.queue_call_next().await.unwrap_err().message,
        "本窗口已暂停，请先恢复服务再叫号"
    );
    d.queue_set_window("open").await.unwrap();
    assert_eq!(
        d.queue_call_next().await.unwrap().current.unwrap().number,
        "A001"
    );
    let v = d.queue_call_next().await.unwrap();
    assert!(v.current.is_none());
    assert_eq!(v.flash.unwrap().text, "当前没有等候的号");
    // 现场取号 for one of this window's domains: served at once, not announced.
    assert_eq!(
        v.window_domains
            .iter()
            .map(|t| t.code.as_str())
            .collect::<Vec<_>>(),
        ["ZHSL", "GAHZ"]
    );
    assert!(d.queue_walk_in("SCJG").await.is_err());
    let v = d.queue_walk_in("GAHZ").await.unwrap();
    let cur = v.current.unwrap();
    assert_eq!(
        (cur.number.as_str(), cur.state.as_str()),
        ("E001", "serving")
    );

    // The applicant's screen: their ticket, then the case on the clerk's screen (masked), then
    // the rating when the clerk invites it.
    let screen = d.applicant_screen();
    assert_eq!(
        (screen.mode.as_str(), screen.ticket.as_deref()),
        ("idle", Some("E001"))
    );
    assert_eq!(screen.levels.len(), 5);
    let case = d
        .new_case(&NewCaseRequest {
            item_code: Some("00017200100002".into()),
            scenario_code: Some("00017200100002-01".into()),
            bundle_code: None,
        })
        .unwrap();
    d.save_intake(&SaveIntakeRequest {
        case_id: case.id.clone(),
        applicant: onewindow_app::dto::ApplicantInput {
            kind: "person".into(),
            name: "徐志强".into(),
            number: "371082199906080810".into(),
            phone: "13906310001".into(),
            ..Default::default()
        },
        form: Default::default(),
    })
    .await
    .unwrap();
    let screen = d.applicant_screen();
    assert_eq!(screen.mode, "case");
    let shown = serde_json::to_string(&screen).unwrap();
    assert!(shown.contains("371082********0810") && !shown.contains("371082199906080810"));
    assert!(screen.case.unwrap().materials.len() >= 2);
    let err = d.applicant_rate(5, &[], "").await.unwrap_err();
    assert_eq!(err.code, "not_asked", "only when the clerk invites");
    d.invite_rating().unwrap();
    assert_eq!(d.applicant_screen().mode, "rate");
    let err = d.applicant_rate(2, &[], "").await.unwrap_err();
    assert!(err.message.contains("至少选择一项原因"));
    let v = d
        .applicant_rate(2, &["窗口人员业务不熟练".into()], "")
        .await
        .unwrap();
    assert_eq!(v.mode, "thanks");
    let bad = HubStore::open_dir(&data).unwrap().bad_ratings().unwrap();
    assert_eq!(bad.len(), 1);
    assert_eq!(bad[0].ticket.as_deref(), Some("E001"));

    // Three announcements (call, recall, call), rendered one after the other.
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    while std::fs::read_dir(&wavs).unwrap().count() < 3 && std::time::Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(std::fs::read_dir(&wavs).unwrap().count(), 3);
    assert!(d.queue_status().announce_error.is_none());
    hub.kill();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offline_walk_ins_are_served_at_the_desk_and_reach_the_hub_when_it_is_back() {
    mock_keyring();
    let tmp = tempfile::tempdir().unwrap();
    let data = demo_hub_data(tmp.path());
    let queue = onewindow_tests::demo("queue.json");
    hub_cli(&[
        "import-queue",
        "--data",
        data.to_str().unwrap(),
        queue.to_str().unwrap(),
    ]);
    let code = enrol_code(&data, "1 号窗口");
    let hub = HubProcess::start(&data);
    let addr = hub.addr.clone();
    let wavs = tmp.path().join("announced");
    std::fs::create_dir_all(&wavs).unwrap();
    let d = Desk::open(DeskConfig {
        sync_interval: Duration::from_secs(3600),
        printer: PrintTarget::Folder(tmp.path().join("printed")),
        announce_to_wav: Some(wavs.clone()),
        cache_key: onewindow_app::cache_key::CacheKey::Fixed(onewindow_tests::TEST_CACHE_KEY),
        ..DeskConfig::new(tmp.path().join("desk"), hub.url())
    });
    d.enrol(&hub.url(), &code, "").await.unwrap();
    d.sync_once().await.unwrap();
    let web = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let hub_url = hub.url();
    let kiosk = |domain: &'static str| {
        let (web, url) = (web.clone(), hub_url.clone());
        async move {
            let r = web
                .post(format!("{url}/kiosk/tickets"))
                .form(&[("domain", domain)])
                .send()
                .await
                .unwrap();
            assert_eq!(r.status(), 303);
        }
    };
    kiosk("ZHSL").await;
    assert_eq!(
        d.queue_call_next().await.unwrap().current.unwrap().number,
        "A001"
    );
    d.queue_step("serve").await.unwrap();

    // The hub goes away while A001 is at the window.
    hub.kill();
    let v = d.queue_walk_in("ZHSL").await.unwrap();
    assert!(v.offline);
    assert!(
        v.flash
            .unwrap()
            .text
            .contains("离线取号 W01-001，在本窗口排队"),
        "A001 is still at the window, so W01-001 waits"
    );
    assert_eq!(v.waiting, 1);
    let v = d.queue_call_next().await.unwrap();
    let cur = v.current.unwrap();
    assert_eq!(
        (cur.number.as_str(), cur.state.as_str()),
        ("W01-001", "called")
    );
    assert_eq!(v.flash.unwrap().text, "已叫 W01-001 号（离线）");
    assert_eq!(
        d.queue_step("recall")
            .await
            .unwrap()
            .current
            .unwrap()
            .recalls,
        1
    );
    assert!(
        d.queue_transfer(Some(2), None)
            .await
            .unwrap_err()
            .message
            .contains("不能转移")
    );
    d.queue_step("serve").await.unwrap();
    // A one-time notice while W01-001 is served counts against it.
    let case = d
        .new_case(&NewCaseRequest {
            item_code: Some("00017200100002".into()),
            scenario_code: Some("00017200100002-01".into()),
            bundle_code: None,
        })
        .unwrap();
    let notice = d.issue_notice(&case.id).unwrap();
    assert_eq!(notice.state, "needs_correction");
    // The applicant rates the service on their screen; it stays on the desk for now.
    d.invite_rating().unwrap();
    assert_eq!(d.applicant_rate(4, &[], "").await.unwrap().mode, "thanks");
    // Someone else walks in; W01-001 ends with the next call, W01-002 does not come.
    let v = d.queue_walk_in("GAHZ").await.unwrap();
    assert!(v.flash.unwrap().text.contains("W01-002"));
    assert_eq!(
        d.queue_call_next().await.unwrap().current.unwrap().number,
        "W01-002"
    );
    assert_eq!(d.queue_step("no_show").await.unwrap().current, None);
    let v = d.queue_call_next().await.unwrap();
    assert!(v.offline && v.current.is_none());
    let flash = v.flash.unwrap();
    assert!(!flash.ok && flash.text.contains("离线取号"), "{flash:?}");

    // The hub is back: the desk's outbox brings the two tickets, the notice and the rating.
    let hub = HubProcess::start_at(&data, &addr);
    d.sync_once().await.unwrap();
    let health = d.status().push;
    assert_eq!((health.pending_ops, health.rejected), (0, 0), "{health:?}");
    let store = HubStore::open_dir(&data).unwrap();
    let today = onewindow_domain::ticket::hall_day(chrono::Utc::now()).to_string();
    let f = store.figures(&today).unwrap();
    assert_eq!(f.total.tickets, 3, "A001 and the two offline tickets");
    assert_eq!(f.total.no_shows, 1);
    assert_eq!(
        (f.total.notices, f.total.ratings, f.total.satisfied),
        (1, 1, 1)
    );
    let w1 = f.by_window.iter().find(|r| r.key == "1").unwrap();
    assert_eq!((w1.tickets, w1.notices), (3, 1));
    // The hall display shows live calls only, never the offline ones told afterwards.
    let board = store.hall_board().unwrap();
    assert!(board.calls.iter().all(|c| !c.number.starts_with("W01-")));
    // The kiosk's numbering goes on, and calling is the hub's again.
    kiosk("ZHSL").await;
    let v = d.queue_call_next().await.unwrap();
    assert_eq!(v.current.unwrap().number, "A002");
    assert!(!v.offline);
    hub.kill();
}

#[tokio::test(flavor = "multi_thread")]
async fn appointments_are_imported_and_checked_in_at_the_kiosk_by_code() {
    let tmp = tempfile::tempdir().unwrap();
    let data = demo_hub_data(tmp.path());
    let dir = data.to_str().unwrap();
    let file = tmp.path().join("appointments.json");
    // Before a queue configuration there are no domains to book.
    std::fs::write(&file, r#"{"appointments": []}"#).unwrap();
    let out = std::process::Command::new(onewindow_tests::hub_binary())
        .args(["import-appointments", "--data", dir, file.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("请先运行 import-queue"));
    let queue = onewindow_tests::demo("queue.json");
    hub_cli(&["import-queue", "--data", dir, queue.to_str().unwrap()]);
    // A file with problems is refused whole, each problem named.
    std::fs::write(
        &file,
        r#"{"appointments": [{"code": "GOOD01", "domain": "ZHSL", "time": "10:00"},
            {"code": "BAD!", "domain": "ZHSL", "time": "10:00"},
            {"code": "BAD02", "domain": "XX", "time": "10:00"}]}"#,
    )
    .unwrap();
    let said = onewindow_tests::hub_cli_refused(&[
        "import-appointments",
        "--data",
        dir,
        file.to_str().unwrap(),
    ]);
    assert!(said.contains("共有 2 处问题"), "{said}");
    assert!(
        said.contains("第 3 条预约（BAD02）：叫号配置中没有业务领域 XX"),
        "{said}"
    );
    // The slot: this very minute in the hall (so the test never straddles midnight).
    let now = chrono::Utc::now().with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).unwrap());
    let slot = now.format("%Y-%m-%d %H:%M").to_string();
    std::fs::write(
        &file,
        format!(
            r#"{{"appointments": [{{"code": "K7Q2MX", "domain": "GAHZ", "time": "{slot}", "name": "王小明"}},
                {{"code": "TMRW01", "domain": "GAHZ", "time": "2099-01-01 09:00", "name": "李红"}}]}}"#
        ),
    )
    .unwrap();
    let said = hub_cli(&["import-appointments", "--data", dir, file.to_str().unwrap()]);
    assert!(said.contains("新增 2 条"), "{said}");

    let hub = HubProcess::start(&data);
    let web = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let check_in = |code: &'static str| {
        let (web, url) = (web.clone(), hub.url());
        async move {
            web.post(format!("{url}/kiosk/appointments"))
                .form(&[("code", code)])
                .send()
                .await
                .unwrap()
        }
    };
    let r = check_in("k7q2mx").await;
    assert_eq!(r.status(), 303);
    let slip_at = r.headers()["location"].to_str().unwrap().to_string();
    let slip = web
        .get(format!("{}{slip_at}", hub.url()))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        slip.contains(r#"<div id="ticket-number">E001</div>"#),
        "{slip}"
    );
    assert!(slip.contains(&format!("预约 {}", now.format("%H:%M"))));
    // A second check-in finds the same ticket; nothing new is issued.
    let again = check_in("K7Q2MX").await;
    assert_eq!(again.headers()["location"].to_str().unwrap(), slip_at);
    for (code, why) in [
        ("NOPE99", "没有预约码 NOPE99"),
        ("TMRW01", "不是今天"),
        ("x", "4–12 位"),
    ] {
        let page = check_in(code).await.text().await.unwrap();
        assert!(page.contains(why), "{code}: {page}");
        assert!(page.contains(r#"<meta charset="utf-8">"#));
    }
    let board: onewindow_proto::HallBoard = web
        .get(format!(
            "{}{}",
            hub.url(),
            onewindow_proto::paths::QUEUE_BOARD
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(board.calls.is_empty());
    let store = HubStore::open_dir(&data).unwrap();
    let today = onewindow_domain::ticket::hall_day(chrono::Utc::now()).to_string();
    assert_eq!(store.figures(&today).unwrap().total.tickets, 1);
    hub.kill();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_desk_hall_display_follows_the_hub_live_and_the_offline_calls_without_it() {
    mock_keyring();
    let tmp = tempfile::tempdir().unwrap();
    let data = demo_hub_data(tmp.path());
    let queue = onewindow_tests::demo("queue.json");
    hub_cli(&[
        "import-queue",
        "--data",
        data.to_str().unwrap(),
        queue.to_str().unwrap(),
    ]);
    let code = enrol_code(&data, "1 号窗口");
    let hub = HubProcess::start(&data);
    let wavs = tmp.path().join("announced");
    std::fs::create_dir_all(&wavs).unwrap();
    let d = Desk::open(DeskConfig {
        sync_interval: Duration::from_secs(3600),
        announce_to_wav: Some(wavs),
        cache_key: onewindow_app::cache_key::CacheKey::Fixed(onewindow_tests::TEST_CACHE_KEY),
        ..DeskConfig::new(tmp.path().join("desk"), hub.url())
    });
    d.enrol(&hub.url(), &code, "").await.unwrap();
    d.sync_once().await.unwrap();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    tokio::spawn(d.clone().run_hall_feed(move |view| {
        let _ = tx.send(view);
    }));
    let mut next_matching =
        async |what: &str, f: &dyn Fn(&onewindow_app::dto::HallBoardView) -> bool| {
            let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
            loop {
                let view = tokio::time::timeout_at(deadline, rx.recv())
                    .await
                    .unwrap_or_else(|_| panic!("the hall display never showed {what}"))
                    .unwrap();
                if f(&view) {
                    return view;
                }
            }
        };
    let first = next_matching("the board", &|v| v.online).await;
    assert!(first.calls.is_empty());
    assert_eq!(first.windows.len(), 7);
    assert_eq!(first.office, "荣成市政务服务中心");
    reqwest::Client::new()
        .post(format!("{}/kiosk/tickets", hub.url()))
        .form(&[("domain", "ZHSL")])
        .send()
        .await
        .unwrap();
    d.queue_call_next().await.unwrap();
    let v = next_matching("A001 called", &|v| {
        v.calls.first().is_some_and(|c| c.number == "A001")
    })
    .await;
    assert_eq!(v.calls[0].window, 1);
    let tile = v.windows.iter().find(|w| w.number == 1).unwrap();
    assert_eq!(tile.current.as_deref(), Some("A001"));
    d.queue_step("recall").await.unwrap();
    next_matching("the recall", &|v| v.calls.first().is_some_and(|c| c.recall)).await;

    // The hub goes: the last board stays, marked offline, and the offline call shows on it.
    hub.kill();
    next_matching("offline", &|v| !v.online).await;
    d.queue_walk_in("ZHSL").await.unwrap();
    d.queue_call_next().await.unwrap();
    let v = next_matching("W01-001 called", &|v| {
        v.calls.first().is_some_and(|c| c.number == "W01-001")
    })
    .await;
    assert!(!v.online);
    assert_eq!(v.calls[1].number, "A001", "the last known calls stay");
    assert_eq!(
        v.windows
            .iter()
            .find(|w| w.number == 1)
            .unwrap()
            .current
            .as_deref(),
        Some("W01-001")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_clerk_signs_in_offline_with_the_cached_verifier_and_five_wrong_passwords_lock() {
    mock_keyring();
    let tmp = tempfile::tempdir().unwrap();
    let data = demo_hub_data(tmp.path());
    let code = enrol_code(&data, "1 号窗口");
    for (name, pass) in [("liu", "window clerk pass"), ("zhao", "another clerk pass")] {
        onewindow_tests::add_user(&data, name, "clerk", pass);
    }
    let hub = HubProcess::start(&data);
    let addr = hub.addr.clone();
    let d = desk(tmp.path(), hub.url());
    d.enrol(&hub.url(), &code, "").await.unwrap();
    d.login("liu", "window clerk pass").await.unwrap();
    d.logout();
    // The desk keeps a verifier, never the password (and the cache itself is encrypted).
    let local = onewindow_tests::desk_store(&tmp.path().join("desk/cache.db"));
    let v = local.sign_in_verifier("liu").unwrap().unwrap();
    assert!(v.verifier.starts_with("$argon2id$"));
    drop(local);
    let mut cache = std::fs::read(tmp.path().join("desk/cache.db")).unwrap();
    cache.extend(std::fs::read(tmp.path().join("desk/cache.db-wal")).unwrap_or_default());
    let text = String::from_utf8_lossy(&cache);
    assert!(!text.contains("$argon2id$") && !text.contains("window clerk pass"));

    // The hub is gone: liu signs in with the verifier; zhao never signed in here.
    hub.kill();
    let st = d.login("liu", "window clerk pass").await.unwrap();
    let user = st.user.unwrap();
    assert_eq!(
        (user.name.as_str(), user.role.as_str(), user.offline),
        ("liu", "clerk", true)
    );
    let err = d.login("zhao", "another clerk pass").await.unwrap_err();
    assert_eq!(err.code, "no_offline_login");
    assert!(err.message.contains("30 天内"), "{}", err.message);
    // Five wrong passwords lock liu, offline too; the right one is then refused unchecked.
    for left in (1..=4).rev() {
        let err = d.login("liu", "wrong").await.unwrap_err();
        assert!(
            err.message.contains(&format!("再错 {left} 次")),
            "{}",
            err.message
        );
    }
    let err = d.login("liu", "wrong").await.unwrap_err();
    assert_eq!(err.code, "login_locked");
    assert!(err.message.contains("已锁定"));
    let err = d.login("liu", "window clerk pass").await.unwrap_err();
    assert_eq!(err.code, "login_locked");

    // The hub locks too: five wrong passwords for zhao through the hub; then the right one
    // is refused by the hub as well, from another desk state.
    let hub = HubProcess::start_at(&data, &addr);
    for _ in 0..4 {
        d.login("zhao", "nope").await.unwrap_err();
    }
    let err = d.login("zhao", "nope").await.unwrap_err();
    assert_eq!(err.code, "login_locked");
    // The hub refuses zhao's right password now as well, without checking it.
    let mut store = HubStore::open_dir(&data).unwrap();
    assert!(matches!(
        store
            .verify_user("zhao", "another clerk pass", chrono::Utc::now())
            .unwrap(),
        onewindow_hub::store_office::SignIn::Locked(_)
    ));
    hub.kill();
}

#[tokio::test(flavor = "multi_thread")]
async fn the_audit_log_reaches_the_hub_as_a_chain_and_an_edited_record_is_flagged() {
    mock_keyring();
    let tmp = tempfile::tempdir().unwrap();
    let data = demo_hub_data(tmp.path());
    let code = enrol_code(&data, "1 号窗口");
    onewindow_tests::add_user(&data, "liu", "clerk", "window clerk pass");
    onewindow_tests::add_user(&data, "zhou", "supervisor", "hall supervisor pass");
    let hub = HubProcess::start(&data);
    let d = desk(tmp.path(), hub.url());
    d.enrol(&hub.url(), &code, "").await.unwrap();
    d.login("liu", "wrong").await.unwrap_err();
    d.login("liu", "window clerk pass").await.unwrap();
    let number = accepted_case(&d, 1).await;
    let case = d
        .recent_cases()
        .unwrap()
        .into_iter()
        .find(|c| c.number == number)
        .unwrap();
    d.open_case(&case.id).unwrap();
    d.sync_once().await.unwrap();

    let cache = tmp.path().join("desk/cache.db");
    let local = onewindow_tests::desk_store(&cache);
    let mine = local.audit_recent(1000).unwrap();
    assert_eq!(local.audit_verify().unwrap(), None);
    let actions: Vec<(&str, &str)> = mine
        .iter()
        .rev()
        .map(|r| (r.action.as_str(), r.result.as_str()))
        .collect();
    assert!(
        actions.contains(&("login", "refused: wrong password")),
        "{actions:?}"
    );
    assert!(actions.contains(&("login", "ok")));
    assert!(actions.iter().any(|(a, _)| *a == "state"));
    assert!(actions.iter().any(|(a, _)| *a == "print"));
    assert!(
        mine.iter()
            .any(|r| r.action == "view" && r.object == number)
    );
    // Who, when, which desk, what, to what, with what result; never the applicant's data.
    let all = serde_json::to_string(&mine).unwrap();
    assert!(!all.contains("371082") && !all.contains("徐志强"), "{all}");
    let heads = HubStore::open_dir(&data).unwrap().audit_heads().unwrap();
    assert_eq!(heads[0].seq, mine[0].seq, "the hub has the whole log");
    assert!(heads[0].breaks.is_empty());

    // Someone edits a record the hub already has, around the database's own refusal: the
    // desk's check finds it.
    drop(local);
    let raw = onewindow_tests::desk_db(&cache);
    assert!(
        raw.execute("UPDATE audit_log SET actor = 'someone' WHERE seq = 2", [])
            .is_err()
    );
    raw.execute_batch(
        "DROP TRIGGER audit_log_no_update;
         UPDATE audit_log SET actor = 'someone' WHERE seq = 2;",
    )
    .unwrap();
    let local = onewindow_tests::desk_store(&cache);
    assert_eq!(local.audit_verify().unwrap().unwrap().seq, 2);
    // And one not sent yet: the hub refuses the batch and flags the break; cases still sync.
    d.logout();
    let head = local.audit_recent(1).unwrap()[0].seq;
    raw.execute(
        "UPDATE audit_log SET result = 'ok, nothing to see' WHERE seq = ?1",
        [head],
    )
    .unwrap();
    d.sync_once().await.unwrap();
    let heads = HubStore::open_dir(&data).unwrap().audit_heads().unwrap();
    assert_eq!(heads[0].breaks.len(), 1);
    assert_eq!(heads[0].breaks[0].0, head);
    assert!(
        heads[0].breaks[0]
            .1
            .contains("changed after it was written")
    );
    assert!(
        d.status()
            .push
            .problem
            .unwrap_or_default()
            .contains("审计日志链不完整")
    );
    // The supervisor's page shows it.
    let web = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    // A wrong password first: the hub's own log keeps it too.
    web.post(format!("{}/office/login", hub.url()))
        .form(&[("name", "zhou"), ("password", "not it")])
        .send()
        .await
        .unwrap();
    web.post(format!("{}/office/login", hub.url()))
        .form(&[("name", "zhou"), ("password", "hall supervisor pass")])
        .send()
        .await
        .unwrap();
    let xlsx = web
        .get(format!("{}/office/figures.xlsx", hub.url()))
        .send()
        .await
        .unwrap();
    assert!(xlsx.status().is_success());
    let page = web
        .get(format!("{}/office/audit", hub.url()))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains(&format!("第 {head} 条")), "{page}");
    assert!(
        page.contains(r#"<tr data-desk="W01" class="overdue">"#),
        "{page}"
    );
    // The back office's own actions: the refused and the good sign-in, the export, this view.
    assert!(
        page.contains(r#"<p id="hub-audit-state">共 4 条，链完整性：<span class="ok">完整</span>"#),
        "{page}"
    );
    for row in [
        "<td>zhou</td><td>登录失败</td><td>zhou</td><td>wrong_password</td>",
        "<td>zhou</td><td>登录</td><td>zhou</td><td>ok</td>",
        "<td>zhou</td><td>导出</td><td>figures-",
        "<td>zhou</td><td>查看</td><td>audit</td><td>ok</td>",
    ] {
        assert!(page.contains(row), "{row} missing:\n{page}");
    }
    let hub_log = HubStore::open_dir(&data).unwrap().hub_audit(10).unwrap();
    assert_eq!((hub_log.seq, hub_log.broken), (4, None));
    hub.kill();
}

#[tokio::test(flavor = "multi_thread")]
async fn every_view_of_a_stored_case_masks_the_applicant_and_a_reveal_needs_a_reason() {
    mock_keyring();
    let tmp = tempfile::tempdir().unwrap();
    let data = demo_hub_data(tmp.path());
    let code = enrol_code(&data, "1 号窗口");
    onewindow_tests::add_user(&data, "liu", "clerk", "window clerk pass");
    let hub = HubProcess::start(&data);
    let d = desk(tmp.path(), hub.url());
    d.enrol(&hub.url(), &code, "").await.unwrap();
    let number = accepted_case(&d, 1).await;
    let case = d
        .recent_cases()
        .unwrap()
        .into_iter()
        .find(|c| c.number == number)
        .unwrap();
    let view = d.open_case(&case.id).unwrap();
    // Every DTO the UI gets for the case, and the screens around it.
    let mut shown = vec![
        serde_json::to_string(&view).unwrap(),
        serde_json::to_string(&d.poll_case(&case.id, 0).unwrap()).unwrap(),
        serde_json::to_string(&d.recent_cases().unwrap()).unwrap(),
        serde_json::to_string(&d.follow_ups(false).unwrap()).unwrap(),
        serde_json::to_string(&d.applicant_screen()).unwrap(),
        serde_json::to_string(&d.status()).unwrap(),
        serde_json::to_string(&d.queue_status()).unwrap(),
        serde_json::to_string(&d.window_info()).unwrap(),
    ];
    for doc in &view.documents {
        shown.push(serde_json::to_string(&d.preview_document(doc.id).unwrap()).unwrap());
    }
    let all = shown.join("\n");
    for whole in ["371082199906080810", "13906310001", "19990608"] {
        assert!(!all.contains(whole), "{whole} shown whole");
    }
    assert!(all.contains("371082********0810"));
    assert!(all.contains("139****0001"));
    assert_eq!(view.applicant.phone, "139****0001");
    let mobile = view.fields.iter().find(|f| f.key == "mobile").unwrap();
    assert_eq!(mobile.value, "139****0001");

    // 查看完整信息: only signed in, only with a reason; audited with the reason.
    let err = d.reveal_applicant(&case.id, "核对").unwrap_err();
    assert_eq!(err.code, "not_signed_in");
    d.login("liu", "window clerk pass").await.unwrap();
    let err = d.reveal_applicant(&case.id, "看").unwrap_err();
    assert_eq!(err.code, "reason_required");
    let whole = d
        .reveal_applicant(&case.id, "申请人电话核对失败，重新确认")
        .unwrap();
    assert_eq!(
        (whole.number.as_str(), whole.phone.as_str()),
        ("371082199906080810", "13906310001")
    );
    let local = onewindow_tests::desk_store(&tmp.path().join("desk/cache.db"));
    let last = &local.audit_recent(1).unwrap()[0];
    assert_eq!(
        (
            last.action.as_str(),
            last.object.as_str(),
            last.actor.as_str()
        ),
        ("reveal", number.as_str(), "liu")
    );
    assert_eq!(last.detail.as_deref(), Some("申请人电话核对失败，重新确认"));
    hub.kill();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_locked_screen_refuses_the_window_work_until_a_clerk_signs_in_and_approvers_never_do_it()
{
    mock_keyring();
    let tmp = tempfile::tempdir().unwrap();
    let data = demo_hub_data(tmp.path());
    let code = enrol_code(&data, "1 号窗口");
    for (name, role, pass) in [
        ("liu", "clerk", "window clerk pass"),
        ("zhao", "clerk", "another clerk pass"),
        ("wang", "approver", "back office pass"),
    ] {
        onewindow_tests::add_user(&data, name, role, pass);
    }
    let hub = HubProcess::start(&data);
    let d = desk(tmp.path(), hub.url());
    d.enrol(&hub.url(), &code, "").await.unwrap();
    // Nobody signed in: locking does nothing (nobody could unlock it).
    assert!(!d.lock_screen().locked);
    d.login("liu", "window clerk pass").await.unwrap();
    assert!(d.guard("new_case").is_ok());
    let draft = d
        .new_case(&NewCaseRequest {
            item_code: Some("00017200100002".into()),
            scenario_code: None,
            bundle_code: None,
        })
        .unwrap();
    let st = d.lock_screen();
    assert!(st.locked);
    assert_eq!(st.idle_lock_minutes, 10);
    let err = d.guard("open_case").unwrap_err();
    assert_eq!(err.code, "screen_locked");
    assert!(d.guard("desk_status").is_ok() && d.guard("login_user").is_ok());
    // A wrong password keeps it locked; zhao takes over the window, and liu's draft is
    // still there for whoever goes on with it.
    d.login("liu", "wrong").await.unwrap_err();
    assert!(d.status().locked);
    let st = d.login("zhao", "another clerk pass").await.unwrap();
    assert!(!st.locked);
    assert_eq!(st.user.unwrap().name, "zhao");
    assert_eq!(d.open_case(&draft.id).unwrap().id, draft.id);
    // An approver signed in at a desk cannot do the window's work.
    d.login("wang", "back office pass").await.unwrap();
    let err = d.guard("accept_case").unwrap_err();
    assert_eq!(err.code, "forbidden");
    assert!(err.message.contains("审批人员"));
    // The lock is audited.
    let local = onewindow_tests::desk_store(&tmp.path().join("desk/cache.db"));
    assert!(
        local
            .audit_recent(50)
            .unwrap()
            .iter()
            .any(|r| r.action == "lock")
    );
    hub.kill();
}

/// The hub's pages and device API, called as every role: who is let in, who is sent to sign
/// in, who is refused.
#[tokio::test(flavor = "multi_thread")]
async fn every_hub_page_and_handler_admits_only_its_roles() {
    let tmp = tempfile::tempdir().unwrap();
    let data = demo_hub_data(tmp.path());
    let queue = onewindow_tests::demo("queue.json");
    hub_cli(&[
        "import-queue",
        "--data",
        data.to_str().unwrap(),
        queue.to_str().unwrap(),
    ]);
    let roles = ["clerk", "supervisor", "approver", "admin"];
    for role in roles {
        let mut args = vec![
            "user",
            "add",
            "--data",
            data.to_str().unwrap(),
            "--name",
            role,
            "--role",
            role,
            "--password-stdin",
        ];
        if role == "approver" {
            args.extend(["--domain", "GAHZ"]);
        }
        onewindow_tests::hub_cli_with_stdin(&args, &format!("{role} password 1\n"));
    }
    let hub = HubProcess::start(&data);
    let session = |role: Option<&'static str>| {
        let url = hub.url();
        async move {
            let web = reqwest::Client::builder()
                .cookie_store(true)
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap();
            if let Some(role) = role {
                let r = web
                    .post(format!("{url}/office/login"))
                    .form(&[("name", role), ("password", &format!("{role} password 1"))])
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status(), 303, "{role} signs in");
            }
            web
        }
    };
    // (path, nobody, clerk, supervisor, approver, admin)
    let table: [(&str, [u16; 5]); 7] = [
        ("/office", [303, 403, 303, 200, 200]),
        ("/office/hall", [303, 403, 200, 403, 200]),
        ("/office/figures", [303, 403, 200, 403, 200]),
        ("/office/figures.xlsx", [303, 403, 200, 403, 200]),
        ("/office/ratings", [303, 403, 200, 403, 200]),
        ("/office/audit", [303, 403, 200, 403, 200]),
        ("/office/cases/W01-20261127-0001", [303, 403, 303, 404, 404]),
    ];
    for (i, role) in std::iter::once(None).chain(roles.map(Some)).enumerate() {
        let web = session(role).await;
        for (path, want) in &table {
            let got = web
                .get(format!("{}{path}", hub.url()))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16();
            assert_eq!(got, want[i], "{path} as {role:?}");
        }
        // The device API wants a device token, whoever is signed in to the office (the
        // catalog, calendar and queue-configuration streams are public, as is the board).
        for path in [onewindow_proto::paths::QUEUE_MINE, "/v1/results?cursor=0"] {
            let got = web
                .get(format!("{}{path}", hub.url()))
                .send()
                .await
                .unwrap()
                .status();
            assert_eq!(got, 401, "{path} as {role:?}");
        }
        for path in [onewindow_proto::paths::AUDIT, onewindow_proto::paths::OPS] {
            let got = web
                .post(format!("{}{path}", hub.url()))
                .json(&serde_json::json!({"records": [], "ops": []}))
                .send()
                .await
                .unwrap()
                .status();
            assert_eq!(got, 401, "{path} as {role:?}");
        }
    }
    hub.kill();
}

/// The hub over HTTPS (rustls, a self-signed certificate it made itself), the desk pinning
/// that certificate's fingerprint at enrolment: it enrols with the first 16 hex digits the
/// administrator read out, keeps the whole fingerprint, and then syncs and pushes. A hub with
/// another certificate (someone posing as the hub) is refused and the clerk is told; an https
/// hub without a fingerprint and plain HTTP to another PC are refused before anything is sent.
/// A hub bound beyond loopback serves HTTPS only.
#[tokio::test(flavor = "multi_thread")]
async fn the_desk_pins_the_hubs_certificate_over_https() {
    mock_keyring();
    let tmp = tempfile::tempdir().unwrap();
    let data = demo_hub_data(tmp.path());
    let hub = HubProcess::start_tls(&data);
    let fp = hub.fingerprint.clone().unwrap();
    assert!(hub.url().starts_with("https://127.0.0.1:"));
    // enrol prints the same fingerprint for the administrator.
    let printed = hub_cli(&[
        "enrol",
        "--data",
        data.to_str().unwrap(),
        "--desk",
        "2 号窗口",
    ]);
    let grouped = onewindow_proto::cert::grouped(&fp);
    assert!(printed.contains(&grouped), "{printed}");
    let tls_cert = hub_cli(&["tls-cert", "--data", data.to_str().unwrap()]);
    assert!(tls_cert.contains(&grouped), "{tls_cert}");

    let d = desk(tmp.path(), "http://127.0.0.1:9".into());
    let code = enrol_code(&data, "1 号窗口");
    // Refused before anything is sent: no fingerprint, a mistyped one, plain HTTP elsewhere.
    let err = d.enrol(&hub.url(), &code, "").await.unwrap_err();
    assert_eq!(err.code, "bad_pin", "{err:?}");
    let err = d.enrol(&hub.url(), &code, "3F2A 9C01").await.unwrap_err();
    assert!(err.message.contains("16"), "{err:?}");
    let err = d
        .enrol("http://10.0.0.5:8470", &code, "")
        .await
        .unwrap_err();
    assert!(err.message.contains("https://"), "{err:?}");
    // Someone else's certificate: another hub with its own self-signed one.
    let other_data = tmp.path().join("other-hub");
    std::fs::create_dir_all(&other_data).unwrap();
    onewindow_tests::import_catalog(&other_data, &onewindow_tests::demo("catalog-sample.json"));
    let other = HubProcess::start_tls(&other_data);
    assert_ne!(other.fingerprint, hub.fingerprint);
    let err = d.enrol(&other.url(), &code, &fp[..16]).await.unwrap_err();
    assert_eq!(err.code, "hub_cert_mismatch", "{err:?}");
    assert!(err.message.contains("证书"), "{err:?}");

    // The right hub, with the fingerprint's first 16 digits as typed (grouped, upper case).
    let st = d.enrol(&hub.url(), &code, &grouped[..19]).await.unwrap();
    assert!(st.push.enrolled);
    let id = onewindow_tests::desk_store(&tmp.path().join("desk/cache.db"))
        .identity()
        .unwrap()
        .unwrap();
    assert_eq!(
        id.hub_pin.as_deref(),
        Some(fp.as_str()),
        "the whole fingerprint is pinned"
    );
    assert_eq!(id.hub_url, hub.url());
    assert!(d.sync_once().await.is_ok());
    let number = accepted_case(&d, 1).await;
    let _ = d.sync_once().await;
    let hub_store = HubStore::open_dir(&data).unwrap();
    assert!(
        hub_store.hub_case(&number).unwrap().is_some(),
        "the case reached the hub over HTTPS"
    );
    drop(hub_store);

    // The hub's address now answers with another certificate: refused, and the clerk is told.
    let port = hub.addr.rsplit(':').next().unwrap().to_string();
    hub.kill();
    let impostor = HubProcess::start_tls_at(&other_data, &format!("127.0.0.1:{port}"));
    let err = d.sync_once().await.unwrap_err();
    assert_eq!(err.code, "hub_cert_mismatch", "{err:?}");
    assert!(d.status().last_error.unwrap().contains("冒充"));
    impostor.kill();
    // A desk restarted keeps its pin (from the cache), and the real hub is accepted again.
    drop(d);
    let hub = HubProcess::start_tls_at(&data, &format!("127.0.0.1:{port}"));
    let d = desk(tmp.path(), "http://127.0.0.1:9".into());
    assert!(d.sync_once().await.is_ok());
    drop(hub);

    // Bound beyond loopback, the hub serves HTTPS only (it makes its certificate if needed).
    let wide = HubProcess::start_at(&tmp.path().join("wide"), "0.0.0.0:0");
    let wide_port = wide.addr.rsplit(':').next().unwrap().to_string();
    let plain = reqwest::Client::new()
        .get(format!("http://127.0.0.1:{wide_port}/v1/health"))
        .send()
        .await;
    assert!(
        plain.is_err() || !plain.unwrap().status().is_success(),
        "no plain HTTP"
    );
    assert!(
        onewindow_hub::tls::existing_fingerprint(&tmp.path().join("wide"))
            .unwrap()
            .is_some()
    );
}

/// The hub's disk fills: a push is refused with 507 `storage_full` and nothing of it is
/// recorded there, the desk keeps its case and says 中心存储已满, `/readyz` answers 503 while
/// `/healthz` stays up; once space returns the same push lands, exactly once.
#[tokio::test(flavor = "multi_thread")]
async fn a_full_hub_disk_answers_507_and_the_push_lands_once_space_returns() {
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
    let hub_store = HubStore::open_dir(&data).unwrap();
    assert_eq!(hub_store.case_count().unwrap(), 1);
    assert!(hub_store.hub_case(&number).unwrap().is_some());
}

/// An enrolled desk restarted on a full disk: the clerk signs in (with the hub, and offline
/// with the verifier), sees the disk warning, and reads what is stored; a wrong password is
/// still refused. Only what needs new space says the disk is full.
#[tokio::test(flavor = "multi_thread")]
async fn an_enrolled_desk_on_a_full_disk_still_signs_in() {
    mock_keyring();
    let Some(disk) = onewindow_tests::SmallDisk::mount(48) else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    let data = demo_hub_data(tmp.path());
    let code = enrol_code(&data, "1 号窗口");
    onewindow_tests::add_user(&data, "liu", "clerk", "window clerk pass");
    let hub = HubProcess::start(&data);
    let d = desk(&disk.path, hub.url());
    d.sync_once().await.unwrap();
    d.enrol(&hub.url(), &code, "").await.unwrap();
    d.login("liu", "window clerk pass").await.unwrap();
    let number = accepted_case(&d, 1).await;
    d.logout();
    d.shutdown();
    drop(d);

    disk.fill("filler", 0);
    let d = desk(&disk.path, hub.url());
    assert!(
        d.status().cache_problem.is_none(),
        "{:?}",
        d.status().cache_problem
    );
    let err = d.login("liu", "wrong").await.unwrap_err();
    assert_eq!(err.code, "bad_login");
    // (The test keyring keeps nothing across desks, so the restarted desk signs in with its
    // verifier; with the hub's token it asks the hub first, as the earlier sign-in did.)
    let st = d.login("liu", "window clerk pass").await.unwrap();
    assert_eq!(st.user.as_ref().unwrap().name, "liu");
    assert!(st.low_disk.is_some(), "the status bar says why");
    assert!(
        d.recent_cases().unwrap().iter().any(|c| c.number == number),
        "what is stored can be read"
    );
    let err = d
        .new_case(&NewCaseRequest {
            item_code: Some("00017200100002".into()),
            scenario_code: None,
            bundle_code: None,
        })
        .unwrap_err();
    assert_eq!(err.code, "disk_full", "{err:?}");
    d.logout();
    // Space again: the same desk writes as before, no restart needed.
    std::fs::remove_file(disk.path.join("filler")).unwrap();
    d.login("liu", "window clerk pass").await.unwrap();
    assert!(
        d.new_case(&NewCaseRequest {
            item_code: Some("00017200100002".into()),
            scenario_code: None,
            bundle_code: None,
        })
        .is_ok()
    );
    d.shutdown();
    drop(d);

    // A cache an earlier version closed (its WAL removed) on a full disk: the desk says the disk
    // is full, not that the cache is damaged, and offers no rebuild; with space it opens.
    let cache = disk.path.join("desk/cache.db");
    for aux in ["cache.db-wal", "cache.db-shm"] {
        let _ = std::fs::remove_file(disk.path.join("desk").join(aux));
    }
    disk.fill("filler", 0);
    let d = desk(&disk.path, hub.url());
    let problem = d
        .status()
        .cache_problem
        .expect("cannot open on a full disk");
    assert_eq!(problem.code, "disk_full");
    assert!(problem.message.contains("磁盘已满") && problem.message.contains("不要重建缓存"));
    assert_eq!(d.rebuild_cache().await.unwrap_err().code, "disk_full");
    d.shutdown();
    drop(d);
    std::fs::remove_file(disk.path.join("filler")).unwrap();
    let d = desk(&disk.path, hub.url());
    assert!(d.status().cache_problem.is_none());
    assert!(cache.exists());
    hub.kill();
    d.shutdown();
}
