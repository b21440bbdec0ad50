//! Issue 15, tried as an attacker would, against a real hub process: the e-licence registry
//! answers only a clerk signed in at an enrolled desk, for that desk's case, 60 times an hour;
//! a desk cannot claim another desk's cases or scans, nor probe for blobs; audit records are
//! signed, name real actors, and `audit-verify` finds a record edited in the database.

use onewindow_domain::audit::{AuditRecord, AuditSigner, GENESIS};
use onewindow_proto::{ApiErrorCode, Op, OpKind, OpStatus};
use onewindow_sync::{HubClient, SyncError};
use onewindow_tests::{HubProcess, TEST_NOW, TestHub, demo_hub_data_with_elicences};

use crate::support::{accepted_case, desk, mock_keyring, office_client, sha256_hex};

fn hub_code(e: SyncError) -> (u16, ApiErrorCode) {
    match e {
        SyncError::Hub { status, code, .. } => (status, code),
        other => panic!("not a hub answer: {other:?}"),
    }
}

/// Seen: `GET /v1/elicences/{holder}` answered anyone, without a token, with four licences for
/// a guessed ID number.
#[tokio::test(flavor = "multi_thread")]
async fn the_elicence_registry_answers_only_a_signed_in_clerk_for_the_desks_own_case() {
    let tmp = tempfile::tempdir().unwrap();
    let data = demo_hub_data_with_elicences(tmp.path());
    onewindow_tests::add_user(&data, "liu", "clerk", "window clerk pass");
    let (code_a, code_b) = (
        onewindow_tests::enrol_code(&data, "1 号窗口"),
        onewindow_tests::enrol_code(&data, "2 号窗口"),
    );
    let hub = HubProcess::start(&data);
    let anon = HubClient::new(&hub.url());
    let token_a = anon.enrol(&code_a).await.unwrap().token;
    let a = anon.with_token(&token_a);
    let b = anon.with_token(&anon.enrol(&code_b).await.unwrap().token);
    let holder = "371082198410031615";
    let case = "W01-20261127-0001";

    // The old route is gone.
    let http = reqwest::Client::new();
    let old = http
        .get(format!("{}/v1/elicences/{holder}", hub.url()))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16();
    assert!(matches!(old, 404 | 405), "{old}");
    // No device token; a device but no clerk; a made-up session.
    assert_eq!(
        hub_code(anon.elicences(holder, case, "x").await.unwrap_err()),
        (401, ApiErrorCode::NoToken)
    );
    let raw = http
        .post(format!("{}/v1/elicences/lookup", hub.url()))
        .json(&serde_json::json!({"holder": holder, "case_number": case}))
        .send()
        .await
        .unwrap();
    assert_eq!(raw.status().as_u16(), 401);
    assert_eq!(
        hub_code(a.elicences(holder, case, "made-up").await.unwrap_err()),
        (401, ApiErrorCode::NoClerkSession)
    );
    // Signed in at W01: its session is W01's alone.
    let session = a
        .login("liu", "window clerk pass")
        .await
        .unwrap()
        .session
        .unwrap();
    assert_eq!(
        hub_code(
            b.elicences(holder, "W02-20261127-0001", &session)
                .await
                .unwrap_err()
        ),
        (401, ApiErrorCode::NoClerkSession)
    );
    // For another desk's case: refused.
    assert_eq!(
        hub_code(
            a.elicences(holder, "W02-20261127-0001", &session)
                .await
                .unwrap_err()
        ),
        (403, ApiErrorCode::NotYourCase)
    );
    // 60 lookups an hour, then 429 with Retry-After.
    for i in 0..onewindow_proto::MAX_ELICENCE_LOOKUPS_PER_HOUR {
        let found = a.elicences(holder, case, &session).await;
        assert_eq!(found.unwrap().licences.len(), 4, "lookup {i}");
    }
    let over = http
        .post(format!("{}/v1/elicences/lookup", hub.url()))
        .bearer_auth(&token_a)
        .header(onewindow_proto::CLERK_SESSION_HEADER, &session)
        .json(&serde_json::json!({"holder": holder, "case_number": case}))
        .send()
        .await
        .unwrap();
    assert_eq!(over.status().as_u16(), 429);
    let wait: u64 = over.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=3600).contains(&wait), "{wait}");
    let body: onewindow_proto::ApiError = over.json().await.unwrap();
    assert_eq!(body.code, ApiErrorCode::TooManyRequests);
    // Signed out, the session is gone.
    a.logout(&session).await.unwrap();
    assert_eq!(
        hub_code(a.elicences(holder, case, &session).await.unwrap_err()),
        (401, ApiErrorCode::NoClerkSession)
    );
    drop(hub);

    // Each lookup is in the hub's audit chain: which desk and clerk, which case, the holder
    // masked; never the whole number.
    let store = onewindow_tests::hub_store(&data);
    let log = store.hub_audit(200).unwrap();
    let lookups: Vec<&AuditRecord> = log
        .recent
        .iter()
        .filter(|r| r.action == "elicence_lookup")
        .collect();
    assert_eq!(lookups.len(), 61, "60 answered and one refused");
    assert!(lookups.iter().all(|r| r.actor == "liu" && r.object == case));
    assert_eq!(lookups[0].result, "refused: hourly limit");
    let detail = lookups[1].detail.as_deref().unwrap();
    assert!(
        detail.contains("desk W01") && detail.contains("371082********1615"),
        "{detail}"
    );
    let all = serde_json::to_string(&log.recent).unwrap();
    assert!(
        !all.contains(holder),
        "the whole number is in the hub's log"
    );
    assert_eq!(log.broken, None);
}

fn hand_off(op_id: &str, number: &str, files: &[&str]) -> Op {
    Op {
        op_id: op_id.into(),
        device_seq: 1,
        schema_version: 1,
        kind: OpKind::HandOff.as_str().into(),
        payload: serde_json::json!({
            "case_id": format!("case-{number}"), "number": number, "item_code": "00017200100002",
            "accepted_at": "2026-11-27T02:00:00Z",
            "attachments": files.iter().map(|s| serde_json::json!({"sha256": s, "slot": 0,
                "name": "p.jpg", "kind": "jpeg", "size": 9})).collect::<Vec<_>>(),
        }),
    }
}

/// Seen: an enrolled desk W02 handed off a case numbered with W01's code, attached W01's scan to
/// it without uploading it, and learnt whether a blob exists by asking for its offset.
#[tokio::test(flavor = "multi_thread")]
async fn a_desk_claims_only_its_own_cases_and_the_scans_it_uploaded() {
    let tmp = tempfile::tempdir().unwrap();
    let data = onewindow_tests::demo_hub_data(tmp.path());
    let (code_a, code_b) = (
        onewindow_tests::enrol_code(&data, "1 号窗口"),
        onewindow_tests::enrol_code(&data, "2 号窗口"),
    );
    let hub = HubProcess::start(&data);
    let anon = HubClient::new(&hub.url());
    let a = anon.with_token(&anon.enrol(&code_a).await.unwrap().token);
    let b = anon.with_token(&anon.enrol(&code_b).await.unwrap().token);
    let scan = b"\xFF\xD8\xFF W01 scan".to_vec();
    let sha = sha256_hex(&scan);
    assert!(
        a.put_chunk(&sha, 0, scan.len() as u64, scan.clone())
            .await
            .unwrap()
            .complete
    );
    let r = a
        .push_ops(&[hand_off("op-a1", "W01-20261127-0001", &[&sha])])
        .await
        .unwrap();
    assert_eq!(r.results[0].status, OpStatus::Applied);

    // W02 learns nothing of W01's scan by asking for its offset.
    let st = b.blob_state(&sha).await.unwrap();
    assert_eq!((st.offset, st.complete), (0, false));
    // A case numbered with W01's code: refused, whatever it carries.
    let r = b
        .push_ops(&[
            hand_off("op-b1", "W01-20261127-0002", &[]),
            hand_off("op-b2", "W01-20261127-0001", &[&sha]),
        ])
        .await
        .unwrap();
    for res in &r.results {
        assert_eq!(res.status, OpStatus::Rejected, "{res:?}");
        assert!(
            res.reason
                .as_deref()
                .unwrap()
                .contains("不是本窗口（W02）的编号")
        );
    }
    // Its own case with W01's scan: waits until W02 uploads those bytes itself.
    let mine = hand_off("op-b3", "W02-20261127-0001", &[&sha]);
    let r = b.push_ops(std::slice::from_ref(&mine)).await.unwrap();
    assert_eq!(r.results[0].status, OpStatus::WaitingForBlob);
    assert_eq!(r.results[0].missing_blobs, std::slice::from_ref(&sha));
    assert!(
        b.put_chunk(&sha, 0, scan.len() as u64, scan.clone())
            .await
            .unwrap()
            .complete
    );
    let r = b.push_ops(&[mine]).await.unwrap();
    assert_eq!(r.results[0].status, OpStatus::Applied);
    drop(hub);
    // The bytes are on disk once.
    let blobs = onewindow_hub::store_blob::blob_dir(&data);
    assert_eq!(blobs.read(&sha).unwrap(), scan);
    let partial = blobs.root().join("partial");
    let leftovers: Vec<_> = walk(&partial);
    assert!(leftovers.is_empty(), "{leftovers:?}");
    let hub = onewindow_tests::hub_store(&data);
    assert_eq!(
        hub.hub_case("W02-20261127-0001").unwrap().map(|c| c.3),
        Some(1)
    );
    assert_eq!(hub.hub_case("W01-20261127-0002").unwrap(), None);
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries.flatten() {
            if e.path().is_dir() {
                out.extend(walk(&e.path()));
            } else {
                out.push(e.path());
            }
        }
    }
    out
}

/// `onewindow-hub audit-verify`: its exit status and what it printed.
fn audit_verify(args: &[&str]) -> (i32, String) {
    let out = onewindow_tests::hub_command_for(args)
        .arg("audit-verify")
        .args(args)
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

/// Seen: a desk pushed a record as actor 王审批 dated 2020; the back office showed a chain as
/// 完整 after a stored record was edited in hub.db. Now each desk signs its records with the key
/// it made at enrolment, the hub checks who and when on receipt, and `audit-verify` and the
/// audit page check every stored chain afresh.
#[tokio::test(flavor = "multi_thread")]
async fn audit_records_are_signed_checked_on_receipt_and_stored_edits_are_found() {
    mock_keyring();
    let h = TestHub::new()
        .desk("1 号窗口")
        .user("liu", "clerk", "window clerk pass")
        .user("zhou", "supervisor", "hall supervisor pass")
        .now(TEST_NOW)
        .start();
    let code = h.code("1 号窗口");
    let TestHub { tmp, data, hub, .. } = h;
    // Work done before the enrolment stays on the desk: the hub's chain starts at enrolment.
    let d = desk(tmp.path(), hub.url());
    d.enrol(&hub.url(), &code, "").await.unwrap();
    d.login("王审批", "guess").await.unwrap_err();
    d.login("liu", "window clerk pass").await.unwrap();
    accepted_case(&d, 1).await;
    d.sync_once().await.unwrap();
    assert_eq!(d.status().push.problem, None);

    let store = onewindow_tests::hub_store(&data);
    let checks = store.verify_audit_chains().unwrap();
    let w01 = checks.iter().find(|c| c.desk_code == "W01").unwrap();
    assert_eq!(w01.broken, None, "{checks:?}");
    assert!(w01.records >= 5 && w01.signed == w01.records, "{w01:?}");
    drop(store);
    // The refused sign-in names nobody as its actor, the name typed as its object.
    let (actor, object): (String, String) = onewindow_tests::hub_db(&data)
        .query_row(
            "SELECT actor, object FROM audit_record
             WHERE action = 'login' AND result LIKE 'refused%' AND device_id != 'hub'",
            (),
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(
        (actor.as_str(), object.as_str()),
        (onewindow_domain::audit::NOBODY, "王审批")
    );
    let (status, out) = audit_verify(&["--data", data.to_str().unwrap()]);
    assert_eq!(status, 0, "{out}");
    assert!(out.contains("窗口 W01：完整"), "{out}");

    // A forged record: 王审批 (never signed in at W01), dated 2020, signed with a key of the
    // attacker's. Each is refused on receipt as a break.
    let (device, head_seq) = {
        let s = onewindow_tests::hub_store(&data);
        let heads = s.audit_heads().unwrap();
        (heads[0].device_id.clone(), heads[0].seq)
    };
    let head_hash: String = onewindow_tests::hub_db(&data)
        .query_row(
            "SELECT hash FROM audit_record WHERE device_id = ?1 AND seq = ?2",
            onewindow_hub_store::params![device, head_seq],
            |r| r.get(0),
        )
        .unwrap();
    let code2 = onewindow_tests::re_enrol_code(&data, "1 号窗口", "W01");
    // The attacker has W01's token (a new one, from a stolen enrolment code) but not its key.
    let thief = HubClient::new(&hub.url());
    let thief = thief.with_token(&thief.enrol(&code2).await.unwrap().token);
    let forged_key = AuditSigner::from_seed(&[66u8; 32]);
    for (actor, at, key) in [
        ("王审批", "2026-11-27T03:00:00.000Z", &forged_key),
        ("liu", "2020-01-01T00:00:00.000Z", &forged_key),
    ] {
        let mut r = AuditRecord::next(
            head_seq,
            &head_hash,
            at.into(),
            actor,
            "W01",
            "decide",
            "W01-20261127-0001",
            "ok",
            None,
        );
        key.sign(&mut r);
        let e = thief.push_audit_batch(&[r]).await.unwrap_err();
        assert_eq!(hub_code(e), (409, ApiErrorCode::AuditChainBroken));
    }
    let breaks = onewindow_tests::hub_store(&data).audit_heads().unwrap()[0]
        .breaks
        .clone();
    assert!(
        breaks.iter().any(|b| b.1.contains("not the chain's key")),
        "{breaks:?}"
    );

    // An anchor of every chain now, then a stored record edited in hub.db around the hub.
    let anchors = tmp.path().join("anchors.json");
    let out = onewindow_tests::hub_cli(&[
        "audit-anchor",
        "--data",
        data.to_str().unwrap(),
        "--out",
        anchors.to_str().unwrap(),
    ]);
    assert!(out.contains("已写入审计锚点"), "{out}");
    let (status, out) = audit_verify(&[
        "--data",
        data.to_str().unwrap(),
        "--anchors",
        anchors.to_str().unwrap(),
    ]);
    assert_eq!(status, 0, "{out}");
    // hub.db is encrypted (Debian's SQLCipher shell is 3.x and cannot read it): an intruder
    // with the key edits it through SQLCipher directly, around the hub (on PostgreSQL, one
    // with the database's owner's password, through psql).
    let db = onewindow_tests::hub_db(&data);
    let drop_trigger = match db.engine() {
        onewindow_hub_store::db::Engine::Sqlite => "DROP TRIGGER audit_record_no_update",
        onewindow_hub_store::db::Engine::Postgres => {
            "DROP TRIGGER audit_record_no_update ON audit_record"
        }
    };
    db.execute_batch(&format!(
        "{drop_trigger}; \
         UPDATE audit_record SET actor = '王审批' WHERE device_id = '{device}' AND seq = 3;"
    ))
    .unwrap();
    drop(db);
    let (status, out) = audit_verify(&["--data", data.to_str().unwrap()]);
    assert_ne!(status, 0, "{out}");
    assert!(
        out.contains("审计链校验失败：窗口 W01 第 3 条记录"),
        "{out}"
    );
    let (status, out) = audit_verify(&[
        "--data",
        data.to_str().unwrap(),
        "--anchors",
        anchors.to_str().unwrap(),
    ]);
    assert_ne!(status, 0, "{out}");
    // The supervisor's page computes the same afresh.
    let web = office_client();
    let t = onewindow_tests::csrf(&web, &hub.url()).await;
    web.post(format!("{}/office/login", hub.url()))
        .form(&[
            ("name", "zhou"),
            ("password", "hall supervisor pass"),
            ("csrf", &t),
        ])
        .send()
        .await
        .unwrap();
    let page = web
        .get(format!("{}/office/audit", hub.url()))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("现存记录第 3 条起不完整"), "{page}");
    assert!(
        page.contains(r#"<tr data-desk="W01" class="overdue">"#),
        "{page}"
    );
}

/// A desk enrolled before audit signing: its records so far verify as unsigned legacy; once it
/// registers a key (at its next sign-in), what follows must be signed.
#[tokio::test(flavor = "multi_thread")]
async fn a_desk_enrolled_before_signing_keeps_its_legacy_records_and_signs_from_its_key() {
    let tmp = tempfile::tempdir().unwrap();
    let data = onewindow_tests::demo_hub_data(tmp.path());
    onewindow_tests::add_user(&data, "liu", "clerk", "window clerk pass");
    let code = onewindow_tests::enrol_code(&data, "1 号窗口");
    let hub = HubProcess::start(&data);
    let anon = HubClient::new(&hub.url());
    // An earlier release's enrolment: no key.
    let c = anon.with_token(&anon.enrol(&code).await.unwrap().token);
    c.login("liu", "window clerk pass").await.unwrap();
    let at = chrono::Utc::now()
        .format("%Y-%m-%dT%H:%M:%S%.3fZ")
        .to_string();
    let mut chain: Vec<AuditRecord> = Vec::new();
    let next = |chain: &Vec<AuditRecord>, object: &str| {
        let (seq, hash) = chain
            .last()
            .map_or((0, GENESIS.to_string()), |r| (r.seq, r.hash.clone()));
        AuditRecord::next(
            seq,
            &hash,
            at.clone(),
            "liu",
            "W01",
            "view",
            object,
            "ok",
            None,
        )
    };
    for i in 0..3 {
        let r = next(&chain, &format!("W01-20261127-000{i}"));
        chain.push(r);
    }
    c.push_audit_batch(&chain).await.unwrap();
    // The next sign-in registers a key at the head; an unsigned record after it is refused.
    let key = AuditSigner::from_seed(&[12u8; 32]);
    c.register_audit_key(&onewindow_proto::AuditKeyRegistration {
        public_key: key.public_hex(),
        head_seq: 3,
        head_hash: chain[2].hash.clone(),
    })
    .await
    .unwrap();
    // Another key later is refused (only an enrolment replaces it).
    let e = c
        .register_audit_key(&onewindow_proto::AuditKeyRegistration {
            public_key: AuditSigner::from_seed(&[13u8; 32]).public_hex(),
            head_seq: 3,
            head_hash: chain[2].hash.clone(),
        })
        .await
        .unwrap_err();
    assert_eq!(hub_code(e), (409, ApiErrorCode::BadAuditKey));
    let unsigned = next(&chain, "W01-20261127-0009");
    assert_eq!(
        hub_code(c.push_audit_batch(&[unsigned]).await.unwrap_err()),
        (409, ApiErrorCode::AuditChainBroken)
    );
    let mut signed = next(&chain, "W01-20261127-0009");
    key.sign(&mut signed);
    assert_eq!(c.push_audit_batch(&[signed]).await.unwrap().seq, 4);
    drop(hub);
    let checks = onewindow_tests::hub_store(&data)
        .verify_audit_chains()
        .unwrap();
    let w01 = checks.iter().find(|c| c.desk_code == "W01").unwrap();
    assert_eq!(
        (w01.records, w01.signed, w01.legacy, w01.broken.clone()),
        (4, 1, 3, None)
    );
}
