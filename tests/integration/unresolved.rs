//! 办不成事 (issue 18): an applicant's unresolved matter recorded at the window (through the
//! outbox) and at the kiosk's button, owned by the centre's supervisor, acted on, closed with an
//! outcome; one open longer than the centre's days is marked.

use onewindow_app::dto::NewCaseRequest;
use onewindow_tests::{HubProcess, add_user_at, demo_hub_data, enrol_code, office_browser};

use crate::support::{desk, mock_keyring};

async fn page(web: &reqwest::Client, url: String) -> String {
    onewindow_tests::get_page(web, url).await.1
}

#[tokio::test(flavor = "multi_thread")]
async fn an_unresolved_matter_goes_from_the_window_and_the_kiosk_to_its_closure() {
    mock_keyring();
    let tmp = tempfile::tempdir().unwrap();
    let data = demo_hub_data(tmp.path());
    add_user_at(&data, "zhou", "supervisor", "hall supervisor pass", &[]);
    onewindow_tests::hub_cli(&[
        "import-queue",
        "--data",
        data.to_str().unwrap(),
        onewindow_tests::demo("queue.json").to_str().unwrap(),
    ]);
    let code = enrol_code(&data, "1 号窗口");
    let hub = HubProcess::start_args(
        &data,
        "127.0.0.1:0",
        None,
        &["--now", "2026-11-02T09:00:00+08:00"],
    );
    let addr = hub.addr.clone();
    let base = hub.url();

    // At the window, on the case the applicant came for.
    let d = desk(&tmp.path().join("window"), base.clone());
    d.sync_once().await.unwrap();
    d.enrol(&base, &code, "").await.unwrap();
    let v = d
        .new_case(&NewCaseRequest {
            item_code: Some("00017200100002".into()),
            scenario_code: None,
            bundle_code: None,
        })
        .unwrap();
    assert!(
        d.record_unresolved(&v.id, "徐志强", "", "想换领身份证")
            .is_err(),
        "a contact"
    );
    let v = d
        .record_unresolved(
            &v.id,
            "徐志强",
            "13906310001",
            "户籍在外省，想在本县换领身份证，窗口无法办理",
        )
        .unwrap();
    assert!(v.flash.unwrap().text.contains("办不成事"));
    d.sync_once().await.unwrap();
    assert_eq!(d.status().push.pending_ops, 0, "{:?}", d.status().push);

    // At the kiosk.
    let (kiosk, t) = onewindow_tests::kiosk_browser(&data, &base).await;
    let r = kiosk
        .post(format!("{base}/kiosk/unresolved"))
        .form(&[
            ("who", "李四"),
            ("contact", "13800000000"),
            ("item", "不动产登记"),
            ("tried", "跑了三次窗口仍说材料不全"),
            ("csrf", &t),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.text().await.unwrap().contains("已登记"));
    let r = kiosk
        .post(format!("{base}/kiosk/unresolved"))
        .form(&[("who", ""), ("contact", ""), ("tried", ""), ("csrf", &t)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);

    // The supervisor takes one on and acts; the name is masked on the list.
    let (web, t) = office_browser(&base, "zhou", "hall supervisor pass").await;
    let list = page(&web, format!("{base}/office/unresolved")).await;
    assert!(
        list.contains("居民身份证换领 · 徐**") && list.contains("不动产登记 · 李*"),
        "{list}"
    );
    assert!(!list.contains("超过 3 天未办结"), "nothing overdue yet");
    let id = list
        .split("data-id=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap()
        .to_string();
    let act = |close: &'static str, note: &'static str| {
        let (web, t, base, id) = (web.clone(), t.clone(), base.clone(), id.clone());
        async move {
            web.post(format!("{base}/office/unresolved/{id}"))
                .form(&[("note", note), ("close", close), ("csrf", &t)])
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(act("0", "").await, 400);
    assert_eq!(act("0", "已电话联系办事人，协调户籍地公安").await, 303);
    hub.kill();

    // Four days on (the centre allows 3): the kiosk's matter, still open, is marked. (The
    // window's was recorded by the desk's own clock, today's real date, so it is not late.)
    let hub = HubProcess::start_args(&data, &addr, None, &["--now", "2026-11-06T09:00:00+08:00"]);
    let (web, t) = office_browser(&base, "zhou", "hall supervisor pass").await;
    let list = page(&web, format!("{base}/office/unresolved")).await;
    assert_eq!(list.matches("超过 3 天未办结").count(), 1, "{list}");
    let r = web
        .post(format!("{base}/office/unresolved/{id}"))
        .form(&[
            ("note", "已异地受理，办事人满意"),
            ("close", "1"),
            ("csrf", &t),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let list = page(&web, format!("{base}/office/unresolved")).await;
    assert_eq!(list.matches("超过 3 天未办结").count(), 0, "{list}");
    assert!(
        list.contains("办结结果：") && list.contains("负责人：zhou"),
        "{list}"
    );
    d.shutdown();
    hub.kill();
}
