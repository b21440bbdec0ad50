//! Deadlines watched (issue 18): a return for correction stops the promised-date clock and the
//! resubmission restarts it with the days left, on the desk, the receipt and the hub; an item's
//! own deadlines for 容缺 and 告知承诺.

use std::path::Path;

use onewindow_app::{Desk, DeskConfig};
use onewindow_tests::{HubProcess, add_user_at, demo_hub_data, enrol_code, office_browser};

use crate::support::{accepted_case, mock_keyring};

const ID_CARD: &str = "00017200100002";

/// The demo catalog with 居民身份证换领 promised in 5 working days.
fn five_day_catalog(dir: &Path) -> std::path::PathBuf {
    let mut cat: serde_json::Value = serde_json::from_slice(
        &std::fs::read(onewindow_tests::demo("catalog-sample.json")).unwrap(),
    )
    .unwrap();
    let item = cat["items"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|i| i["code"] == ID_CARD)
        .unwrap();
    item["promised_days"] = 5.into();
    let path = dir.join("catalog-5-days.json");
    std::fs::write(&path, serde_json::to_vec(&cat).unwrap()).unwrap();
    path
}

fn desk_on(dir: &Path, hub: &HubProcess, today: &str) -> std::sync::Arc<Desk> {
    Desk::open(DeskConfig {
        clock: onewindow_domain::clock::Clock::starting_on(today.parse().unwrap()),
        ..onewindow_tests::test_desk_config(dir, hub.url())
    })
}

/// The promised date the hub holds for a case (what the approver and the progress page show).
fn hub_promised(data: &Path, number: &str) -> String {
    onewindow_tests::hub_db(data)
        .query_row(
            "SELECT promised_date FROM hub_case WHERE number = ?1",
            [number],
            |r| r.get(0),
        )
        .unwrap()
}

fn hub_at(data: &Path, bind: &str, now: &str) -> HubProcess {
    HubProcess::start_args(data, bind, None, &["--now", now])
}

/// Accepted on `accepted`, returned by the approver on `returned` (the hub's clock), accepted
/// again on `again`: the promised dates before and after.
async fn suspended(accepted: &str, returned: &str, again: &str) -> (String, String) {
    mock_keyring();
    let tmp = tempfile::tempdir().unwrap();
    let data = demo_hub_data(tmp.path());
    onewindow_tests::import_catalog(&data, &five_day_catalog(tmp.path()));
    add_user_at(
        &data,
        "wang",
        "approver",
        "approver pass 123",
        &["--domain", &onewindow_tests::item_domain(ID_CARD)],
    );
    let code = enrol_code(&data, "1 号窗口");
    let hub = hub_at(&data, "127.0.0.1:0", &format!("{accepted}T09:00:00+08:00"));
    let addr = hub.addr.clone();
    let dir = tmp.path().join("window");
    let d = desk_on(&dir, &hub, accepted);
    d.sync_once().await.unwrap();
    d.enrol(&hub.url(), &code, "").await.unwrap();
    d.sync_once().await.unwrap();
    let number = accepted_case(&d, 1).await;
    d.sync_once().await.unwrap();
    let case = d
        .recent_cases()
        .unwrap()
        .into_iter()
        .find(|c| c.number == number)
        .unwrap();
    let first = hub_promised(&data, &number);

    // The approver returns it on `returned`, by the hub's clock.
    hub.kill();
    let hub = hub_at(&data, &addr, &format!("{returned}T10:00:00+08:00"));
    let base = hub.url();
    let (web, t) = office_browser(&base, "wang", "approver pass 123").await;
    assert_eq!(
        onewindow_tests::office_return(&web, &base, &number, &t).await,
        303
    );
    d.sync_once().await.unwrap();
    assert_eq!(d.open_case(&case.id).unwrap().state_label, "退回补正");
    d.shutdown();
    drop(d);

    // Resubmitted on `again`: the days left, counted from the next working day.
    let d = desk_on(&dir, &hub, again);
    // The test keyring lives with its desk: the reopened desk is given its token again (the
    // same device, so its cases stay its own).
    let again_code = onewindow_tests::re_enrol_code(&data, "1 号窗口", "W01");
    d.enrol(&hub.url(), &again_code, "").await.unwrap();
    d.sync_once().await.unwrap();
    let v = d.reopen_case(&case.id).unwrap();
    let planned = v.promised_date.clone().unwrap();
    d.accept_case(&case.id).unwrap();
    d.sync_once().await.unwrap();
    let second = hub_promised(&data, &number);
    assert_eq!(
        planned, second,
        "the date the window showed before accepting again"
    );
    // The hub shows the new date to the approver.
    let list = web
        .get(format!("{base}/office"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(list.contains(&second), "{list}");
    d.shutdown();
    hub.kill();
    (first, second)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_return_stops_the_clock_and_the_resubmission_restarts_it_with_the_days_left() {
    // The example: 5 working days, accepted Monday, returned Thursday (3 days used),
    // resubmitted the next Monday: due Wednesday.
    let (first, second) = suspended("2026-11-02", "2026-11-05", "2026-11-09").await;
    assert_eq!(
        (first.as_str(), second.as_str()),
        ("2026-11-09", "2026-11-11")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_clock_counts_the_demo_calendars_national_day_holiday() {
    // Accepted Monday 09-28, returned Wednesday 09-30 (2 days used); 10-01 to 10-07 are
    // holidays; resubmitted Thursday 10-08: 10-09, Saturday 10-10 (a make-up working day) and
    // Monday 10-12.
    let (first, second) = suspended("2026-09-28", "2026-09-30", "2026-10-08").await;
    assert_eq!(
        (first.as_str(), second.as_str()),
        ("2026-10-10", "2026-10-12")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn cases_due_soon_and_overdue_are_listed_for_the_approver_and_the_supervisor() {
    mock_keyring();
    let tmp = tempfile::tempdir().unwrap();
    let data = demo_hub_data(tmp.path());
    onewindow_tests::import_catalog(&data, &five_day_catalog(tmp.path()));
    add_user_at(
        &data,
        "wang",
        "approver",
        "approver pass 123",
        &["--domain", &onewindow_tests::item_domain(ID_CARD)],
    );
    add_user_at(&data, "zhou", "supervisor", "hall supervisor pass", &[]);
    let code = enrol_code(&data, "1 号窗口");
    let hub = hub_at(&data, "127.0.0.1:0", "2026-11-02T09:00:00+08:00");
    let addr = hub.addr.clone();
    let d = desk_on(&tmp.path().join("window"), &hub, "2026-11-02");
    d.sync_once().await.unwrap();
    d.enrol(&hub.url(), &code, "").await.unwrap();
    let number = accepted_case(&d, 1).await;
    d.sync_once().await.unwrap();
    assert_eq!(hub_promised(&data, &number), "2026-11-09");
    hub.kill();

    // Friday 11-06: due Monday, within two working days.
    let hub = hub_at(&data, &addr, "2026-11-06T10:00:00+08:00");
    let base = hub.url();
    let (approver, _) = office_browser(&base, "wang", "approver pass 123").await;
    let list = approver
        .get(format!("{base}/office"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(list.contains("临近到期"), "{list}");
    let (supervisor, _) = office_browser(&base, "zhou", "hall supervisor pass").await;
    let due = supervisor
        .get(format!("{base}/office/due"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        due.contains(&format!("class=\"due-soon\" data-number=\"{number}\"")),
        "{due}"
    );
    // The supervisor signed in at the desk: counted on its status bar.
    d.login("zhou", "hall supervisor pass").await.unwrap();
    d.sync_once().await.unwrap();
    let v = d.status().due.expect("a supervisor sees the deadlines");
    assert_eq!((v.overdue, v.soon), (0, 1));
    assert_eq!(v.cases[0].number, number);
    hub.kill();

    // Tuesday 11-10: overdue.
    let hub = hub_at(&data, &addr, "2026-11-10T10:00:00+08:00");
    // Four days on, the back-office session has lapsed: sign in again.
    let (supervisor, _) = office_browser(&hub.url(), "zhou", "hall supervisor pass").await;
    let due = supervisor
        .get(format!("{}/office/due", hub.url()))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        due.contains(&format!("class=\"overdue\" data-number=\"{number}\"")),
        "{due}"
    );
    // The supervisor's session at the desk lapsed too (the list needs it): signs in again.
    d.login("zhou", "hall supervisor pass").await.unwrap();
    d.sync_once().await.unwrap();
    assert_eq!(d.status().due.unwrap().overdue, 1);
    // A clerk sees no deadlines on the status bar.
    d.logout();
    d.sync_once().await.unwrap();
    assert!(d.status().due.is_none());
    d.shutdown();
    hub.kill();
}
