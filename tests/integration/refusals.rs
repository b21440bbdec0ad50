//! 窗口无否决权 (issue 18): 不予受理 at the window is a request the centre's supervisor confirms
//! (the notice prints then) or sends back; online from the back office, offline by taking over
//! the clerk's session at the desk. The hub knows the requests, the answers and withdrawals.

use onewindow_app::dto::{CaseState, ErrorCode, NewCaseRequest};
use onewindow_tests::{HubProcess, add_user_at, demo_hub_data, enrol_code, office_browser};

use crate::support::{desk, mock_keyring};

fn item() -> NewCaseRequest {
    NewCaseRequest {
        item_code: Some("00017200100002".into()),
        scenario_code: Some("00017200100002-01".into()),
        bundle_code: None,
    }
}

fn hub_state(data: &std::path::Path, number: &str) -> Option<String> {
    use onewindow_hub_store::db::OptionalExtension;
    onewindow_tests::hub_db(data)
        .query_row(
            "SELECT state FROM hub_case WHERE number = ?1",
            [number],
            |r| r.get(0),
        )
        .optional()
        .unwrap()
}

fn printed(dir: &std::path::Path, kind: &str) -> usize {
    std::fs::read_dir(dir)
        .map(|d| {
            d.filter(|e| {
                e.as_ref()
                    .is_ok_and(|e| e.file_name().to_string_lossy().starts_with(kind))
            })
            .count()
        })
        .unwrap_or(0)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refusal_is_requested_at_the_window_and_answered_by_the_centres_supervisor() {
    mock_keyring();
    let tmp = tempfile::tempdir().unwrap();
    let data = demo_hub_data(tmp.path());
    add_user_at(&data, "李窗口", "clerk", "window clerk pass", &[]);
    add_user_at(&data, "zhou", "supervisor", "hall supervisor pass", &[]);
    add_user_at(
        &data,
        "wang",
        "approver",
        "approver pass 123",
        &["--domain", &onewindow_tests::item_domain("00017200100002")],
    );
    let code = enrol_code(&data, "1 号窗口");
    let hub = HubProcess::start(&data);
    let addr = hub.addr.clone();
    let base = hub.url();
    let dir = tmp.path().join("window");
    let d = desk(&dir, base.clone());
    d.sync_once().await.unwrap();
    d.enrol(&base, &code, "").await.unwrap();
    // The supervisor has signed in at this desk before (so can take it over offline later).
    d.login("zhou", "hall supervisor pass").await.unwrap();
    d.logout();
    d.login("李窗口", "window clerk pass").await.unwrap();
    let printed_dir = dir.join("printed");

    // The clerk asks; nothing is printed, the clerk cannot answer it.
    let a = d.new_case(&item()).unwrap();
    assert!(d.refuse_case(&a.id, "不符合", "依据").is_err(), "too short");
    let v = d
        .refuse_case(
            &a.id,
            "申请人户籍不在本县，不属本中心受理范围",
            "《居民身份证法》第八条",
        )
        .unwrap();
    assert_eq!(v.state, CaseState::RefusalRequested);
    assert_eq!(printed(&printed_dir, "refusal_notice"), 0);
    let err = d.answer_refusal(&a.id, true, "").unwrap_err();
    assert_eq!(err.code, ErrorCode::SupervisorRequired);
    let b = d.new_case(&item()).unwrap();
    d.refuse_case(
        &b.id,
        "材料疑似伪造需进一步核实",
        "《行政许可法》第三十二条",
    )
    .unwrap();
    d.sync_once().await.unwrap();
    assert_eq!(
        hub_state(&data, &a.number).as_deref(),
        Some("refusal_requested")
    );

    // In the back office: one confirmed, one sent back with a note.
    let (web, t) = office_browser(&base, "zhou", "hall supervisor pass").await;
    let page = web
        .get(format!("{base}/office/refusals"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains(&a.number) && page.contains("《居民身份证法》第八条"),
        "{page}"
    );
    let answer = |number: String, answer: &'static str, note: &'static str| {
        let (web, t, base) = (web.clone(), t.clone(), base.clone());
        async move {
            web.post(format!("{base}/office/refusals/{number}"))
                .form(&[("answer", answer), ("note", note), ("csrf", &t)])
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(
        answer(b.number.clone(), "send_back", "").await,
        400,
        "a note is needed"
    );
    assert_eq!(answer(a.number.clone(), "confirm", "").await, 303);
    assert_eq!(
        answer(b.number.clone(), "send_back", "请先核实材料原件再决定").await,
        303
    );
    assert_eq!(
        answer(a.number.clone(), "confirm", "").await,
        400,
        "answered once"
    );
    d.pull_results_once().await.unwrap();
    assert_eq!(d.open_case(&a.id).unwrap().state, CaseState::Refused);
    assert_eq!(
        printed(&printed_dir, "refusal_notice"),
        1,
        "printed once confirmed"
    );
    let back = d.open_case(&b.id).unwrap();
    assert_eq!(back.state, CaseState::Draft);
    assert!(
        back.events
            .iter()
            .any(|e| e.reason.as_deref() == Some("请先核实材料原件再决定"))
    );
    assert_eq!(hub_state(&data, &a.number).as_deref(), Some("refused"));
    assert_eq!(
        hub_state(&data, &b.number).as_deref(),
        Some("refusal_sent_back")
    );

    // Offline: the supervisor takes over the clerk's session at the desk and confirms there.
    hub.kill();
    let c = d.new_case(&item()).unwrap();
    d.refuse_case(&c.id, "申请事项不属于行政许可范围", "《行政许可法》第三条")
        .unwrap();
    d.lock_screen();
    d.login("zhou", "hall supervisor pass").await.unwrap();
    assert!(d.status().user.unwrap().offline);
    let v = d.answer_refusal(&c.id, true, "").unwrap();
    assert_eq!(v.state, CaseState::Refused);
    assert_eq!(printed(&printed_dir, "refusal_notice"), 2);
    // And a withdrawal, which the hub learns of too.
    let w = d.new_case(&item()).unwrap();
    d.withdraw_case(&w.id, "申请人主动撤回").unwrap();
    let hub = HubProcess::start_at(&data, &addr);
    d.sync_once().await.unwrap();
    assert_eq!(d.status().push.pending_ops, 0, "{:?}", d.status().push);
    assert_eq!(hub_state(&data, &c.number).as_deref(), Some("refused"));
    assert_eq!(hub_state(&data, &w.number).as_deref(), Some("withdrawn"));
    // None of it is on the approver's list.
    let (approver, _) = office_browser(&hub.url(), "wang", "approver pass 123").await;
    let list = approver
        .get(format!("{}/office", hub.url()))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for n in [&a.number, &b.number, &c.number, &w.number] {
        assert!(!list.contains(n.as_str()), "{n} on the approver's list");
    }
    d.shutdown();
    hub.kill();
}

/// Online, a supervisor signed in at another desk of the centre sees its requests and answers
/// one; the requesting desk prints the confirmed refusal.
#[tokio::test(flavor = "multi_thread")]
async fn a_supervisor_at_another_desk_of_the_centre_answers_online() {
    mock_keyring();
    let tmp = tempfile::tempdir().unwrap();
    let data = demo_hub_data(tmp.path());
    add_user_at(&data, "李窗口", "clerk", "window clerk pass", &[]);
    add_user_at(&data, "zhou", "supervisor", "hall supervisor pass", &[]);
    let (code_a, code_b) = (enrol_code(&data, "1 号窗口"), enrol_code(&data, "2 号窗口"));
    let hub = HubProcess::start(&data);
    let base = hub.url();
    let a = desk(&tmp.path().join("a"), base.clone());
    a.sync_once().await.unwrap();
    a.enrol(&base, &code_a, "").await.unwrap();
    a.login("李窗口", "window clerk pass").await.unwrap();
    let c = a.new_case(&item()).unwrap();
    a.refuse_case(
        &c.id,
        "申请人户籍不在本县，不属本中心受理范围",
        "《居民身份证法》第八条",
    )
    .unwrap();
    a.sync_once().await.unwrap();

    let b = desk(&tmp.path().join("b"), base.clone());
    b.sync_once().await.unwrap();
    b.enrol(&base, &code_b, "").await.unwrap();
    // A clerk at the other desk sees no requests and cannot answer.
    b.login("李窗口", "window clerk pass").await.unwrap();
    b.sync_once().await.unwrap();
    assert!(b.status().refusals.is_none());
    assert!(b.answer_centre_refusal(&c.number, true, "").await.is_err());
    b.logout();
    b.login("zhou", "hall supervisor pass").await.unwrap();
    b.sync_once().await.unwrap();
    let list = b
        .status()
        .refusals
        .expect("a supervisor sees the centre's requests");
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].number, c.number);
    assert_eq!(list[0].basis, "《居民身份证法》第八条");
    let st = b.answer_centre_refusal(&c.number, true, "").await.unwrap();
    assert_eq!(st.refusals.map(|r| r.len()), Some(0));
    a.pull_results_once().await.unwrap();
    assert_eq!(a.open_case(&c.id).unwrap().state, CaseState::Refused);
    assert_eq!(
        printed(&tmp.path().join("a").join("printed"), "refusal_notice"),
        1
    );
    a.shutdown();
    b.shutdown();
    hub.kill();
}

/// 帮办代办: the helper is picked from the centre's staff; a helper typed before the desk knew
/// them keeps its text.
#[tokio::test(flavor = "multi_thread")]
async fn the_helper_is_one_of_the_centres_staff() {
    use onewindow_app::dto::{ApplicantInput, SaveIntakeRequest};
    mock_keyring();
    let tmp = tempfile::tempdir().unwrap();
    let data = demo_hub_data(tmp.path());
    add_user_at(&data, "李窗口", "clerk", "window clerk pass", &[]);
    add_user_at(&data, "zhou", "supervisor", "hall supervisor pass", &[]);
    add_user_at(&data, "wang", "approver", "approver pass 123", &[]);
    let code = enrol_code(&data, "1 号窗口");
    let hub = HubProcess::start(&data);
    let base = hub.url();
    let d = desk(&tmp.path().join("w"), base.clone());
    d.sync_once().await.unwrap();
    let save = |case: String, helper: &'static str| {
        let d = d.clone();
        async move {
            d.save_intake(&SaveIntakeRequest {
                case_id: case,
                applicant: ApplicantInput {
                    kind: onewindow_domain::applicant::ApplicantKind::Person,
                    name: "徐志强".into(),
                    assist_helper: helper.into(),
                    ..Default::default()
                },
                form: Default::default(),
            })
            .await
        }
    };
    // Before the hub sent the centre's staff: typed, as before.
    let old = d.new_case(&item()).unwrap();
    assert!(old.helper_choices.is_empty());
    save(old.id.clone(), "老王").await.unwrap();
    d.enrol(&base, &code, "").await.unwrap();
    d.sync_once().await.unwrap();
    let v = d.new_case(&item()).unwrap();
    assert_eq!(
        v.helper_choices,
        ["zhou", "李窗口"],
        "clerks and supervisors, no approver"
    );
    let err = save(v.id.clone(), "张三").await.unwrap_err();
    assert!(
        err.message.contains("不是本中心的工作人员"),
        "{}",
        err.message
    );
    save(v.id.clone(), "李窗口").await.unwrap();
    // The old case keeps its helper's text, but cannot take a new stranger.
    save(old.id.clone(), "老王").await.unwrap();
    assert!(save(old.id.clone(), "张三").await.is_err());
    d.shutdown();
    hub.kill();
}
