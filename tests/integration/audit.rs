//! The audit chain from desk to hub, and the applicant's numbers masked in every view.

use onewindow_app::dto::ErrorCode;
use onewindow_tests::{TEST_NOW, TestHub};

use crate::support::{accepted_case, desk, mock_keyring};

#[tokio::test(flavor = "multi_thread")]
async fn the_audit_log_reaches_the_hub_as_a_chain_and_an_edited_record_is_flagged() {
    mock_keyring();
    let h = TestHub::new()
        .desk("1 号窗口")
        .user("liu", "clerk", "window clerk pass")
        .user("zhou", "supervisor", "hall supervisor pass")
        .now(TEST_NOW)
        .start();
    let code = h.code("1 号窗口");
    let TestHub { tmp, data, hub, .. } = h;
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
    let heads = onewindow_tests::hub_store(&data).audit_heads().unwrap();
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
    let heads = onewindow_tests::hub_store(&data).audit_heads().unwrap();
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
    let t = onewindow_tests::csrf(&web, &hub.url()).await;
    web.post(format!("{}/office/login", hub.url()))
        .form(&[("name", "zhou"), ("password", "not it"), ("csrf", &t)])
        .send()
        .await
        .unwrap();
    web.post(format!("{}/office/login", hub.url()))
        .form(&[
            ("name", "zhou"),
            ("password", "hall supervisor pass"),
            ("csrf", &t),
        ])
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
    // The hub's own chain: the desk's e-licence lookup, the refused and the good sign-in, the
    // export, this view.
    assert!(
        page.contains(r#"<p id="hub-audit-state">共 5 条，链完整性：<span class="ok">完整</span>"#),
        "{page}"
    );
    for row in [
        "<td>liu</td><td>电子证照查询</td><td>W01-20261127-0001</td><td>ok（desk W01; holder 371082********0810;",
        "<td>zhou</td><td>登录失败</td><td>zhou</td><td>wrong_password（来自 127.0.0.1）</td>",
        "<td>zhou</td><td>登录</td><td>zhou</td><td>ok（来自 127.0.0.1）</td>",
        "<td>zhou</td><td>导出</td><td>figures-",
        "<td>zhou</td><td>查看</td><td>audit</td><td>ok</td>",
    ] {
        assert!(page.contains(row), "{row} missing:\n{page}");
    }
    let hub_log = onewindow_tests::hub_store(&data).hub_audit(10).unwrap();
    assert_eq!((hub_log.seq, hub_log.broken), (5, None));
    hub.kill();
}

#[tokio::test(flavor = "multi_thread")]
async fn every_view_of_a_stored_case_masks_the_applicant_and_a_reveal_needs_a_reason() {
    mock_keyring();
    let h = TestHub::new()
        .desk("1 号窗口")
        .user("liu", "clerk", "window clerk pass")
        .start();
    let code = h.code("1 号窗口");
    let TestHub {
        tmp,
        data: _data,
        hub,
        ..
    } = h;
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
    assert_eq!(err.code, ErrorCode::NotSignedIn);
    d.login("liu", "window clerk pass").await.unwrap();
    let err = d.reveal_applicant(&case.id, "看").unwrap_err();
    assert_eq!(err.code, ErrorCode::ReasonRequired);
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
