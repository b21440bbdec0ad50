//! One clock for the whole desk (issue 24): the desk's clock is handed in at start
//! (`DeskConfig::clock`, `--now`) and moved here day by day, no libfaketime. Case numbers,
//! offline tickets and their numbering, events, ops and the offline sign-in horizon follow it;
//! a ticket that served several cases counts each of them in the hub's figures.

use std::time::Duration;

use chrono::{DateTime, Utc};
use onewindow_app::dto::ErrorCode;
use onewindow_app::{Desk, DeskConfig};
use onewindow_domain::clock::Clock;
use onewindow_tests::{HubProcess, TestHub};

use crate::support::{accepted_case, mock_keyring};

fn at(s: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(s).unwrap().to_utc()
}

/// Waits (up to 10 s) until `count` on the hub's database answers `want`.
async fn hub_count(data: &std::path::Path, sql: &str, want: i64) {
    let mut got = -1;
    for _ in 0..100 {
        got = onewindow_tests::hub_db(data)
            .query_row(sql, (), |r| r.get(0))
            .unwrap();
        if got == want {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{sql}: {got}, wanted {want}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_desks_one_clock_moves_day_by_day_and_every_case_a_ticket_served_counts() {
    mock_keyring();
    let h = TestHub::new()
        .queue()
        .desk("1 号窗口")
        .user("liu", "clerk", "window clerk pass")
        .now("2026-11-27T09:00:00+08:00")
        .start();
    let code = h.code("1 号窗口");
    let TestHub { tmp, data, hub, .. } = h;
    let addr = hub.addr.clone();
    let clock = Clock::starting_at(at("2026-11-27T09:00:00+08:00"));
    let d = Desk::open(DeskConfig {
        clock: clock.clone(),
        ..onewindow_tests::test_desk_config(tmp.path(), hub.url())
    });
    d.enrol(&hub.url(), &code, "").await.unwrap();
    d.sync_once().await.unwrap();
    d.login("liu", "window clerk pass").await.unwrap();

    // 27 November, online: A001 from the kiosk serves two cases.
    let (web, csrf) = onewindow_tests::kiosk_browser(&data, &hub.url()).await;
    let r = web
        .post(format!("{}/kiosk/tickets", hub.url()))
        .form(&[("domain", "ZHSL"), ("csrf", &csrf)])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let v = d.queue_call_next().await.unwrap();
    assert_eq!(v.current.unwrap().number, "A001");
    d.queue_step("serve").await.unwrap();
    assert_eq!(accepted_case(&d, 1).await, "W01-20261127-0001");
    assert_eq!(accepted_case(&d, 2).await, "W01-20261127-0002");
    // The desk links each case to the ticket in the background.
    hub_count(
        &data,
        "SELECT count(*) FROM ticket_case tc JOIN queue_ticket t ON t.id = tc.ticket_id
         WHERE t.number = 'A001'",
        2,
    )
    .await;

    // The hub goes: the offline walk-in W01-001 serves three more.
    hub.kill();
    let v = d.queue_walk_in("ZHSL").await.unwrap();
    assert!(v.flash.unwrap().text.contains("W01-001"));
    assert_eq!(
        d.queue_call_next().await.unwrap().current.unwrap().number,
        "W01-001"
    );
    d.queue_step("serve").await.unwrap();
    for n in 3..=5 {
        accepted_case(&d, n).await;
    }

    // The clock moves to the next day: the day's numbering starts again, for cases and for
    // offline tickets, and the events carry the new day.
    clock.advance(chrono::Duration::days(1));
    let v = d.queue_walk_in("ZHSL").await.unwrap();
    assert!(v.flash.unwrap().text.contains("W01-001"), "a new hall day");
    d.queue_call_next().await.unwrap();
    d.queue_step("serve").await.unwrap();
    let n = accepted_case(&d, 6).await;
    assert_eq!(n, "W01-20261128-0001");
    let case = d
        .recent_cases()
        .unwrap()
        .into_iter()
        .find(|c| c.number == n)
        .unwrap();
    let events = d.open_case(&case.id).unwrap().events;
    assert!(
        events.iter().all(|e| e.at.starts_with("2026-11-28")),
        "{events:?}"
    );
    // Nobody else waits: the call ends the day's ticket.
    d.queue_call_next().await.unwrap();

    // The offline sign-in horizon: liu was checked by the hub on 27 November, so the desk
    // signs liu in offline through the whole of 27 December, and says so from 20 December.
    d.logout();
    clock.set(at("2026-12-19T12:00:00+08:00"));
    assert!(d.offline_sign_ins_ending().unwrap().is_empty());
    clock.set(at("2026-12-20T08:00:00+08:00"));
    let ending = d.offline_sign_ins_ending().unwrap();
    assert_eq!(ending.len(), 1);
    assert_eq!(
        (
            ending[0].name.as_str(),
            ending[0].last_day.as_str(),
            ending[0].last_day_label.as_str(),
            ending[0].days_left
        ),
        ("liu", "2026-12-27", "12月27日", 7)
    );
    clock.set(at("2026-12-27T23:50:00+08:00"));
    let st = d.login("liu", "window clerk pass").await.unwrap();
    assert!(st.user.unwrap().offline, "late on the 30th day, offline");
    assert_eq!(d.offline_sign_ins_ending().unwrap()[0].days_left, 0);
    d.logout();
    clock.set(at("2026-12-28T00:10:00+08:00"));
    let err = d.login("liu", "window clerk pass").await.unwrap_err();
    assert_eq!(err.code, ErrorCode::OfflineLoginExpired);
    assert!(
        err.message.contains("已于 12月27日 结束"),
        "{}",
        err.message
    );
    assert!(d.offline_sign_ins_ending().unwrap().is_empty());

    // The hub is back: everything arrives under the desk's days.
    let hub = HubProcess::start_args(&data, &addr, None, &["--now", "2026-12-28T00:15:00+08:00"]);
    d.sync_once().await.unwrap();
    let health = d.status().push;
    assert_eq!((health.pending_ops, health.rejected), (0, 0), "{health:?}");
    let offline: Vec<(String, String, String)> = {
        let db = onewindow_tests::hub_db(&data);
        let mut q = db
            .prepare(
                "SELECT number, day, issued_at FROM queue_ticket
                 WHERE source LIKE 'offline:%' ORDER BY issued_at",
            )
            .unwrap();
        q.query_map((), |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    };
    assert_eq!(offline.len(), 2, "{offline:?}");
    assert_eq!(
        (offline[0].0.as_str(), offline[0].1.as_str()),
        ("W01-001", "2026-11-27")
    );
    assert!(offline[0].2.starts_with("2026-11-27T01:"), "{offline:?}");
    assert_eq!(
        (offline[1].0.as_str(), offline[1].1.as_str()),
        ("W01-001", "2026-11-28")
    );
    assert!(offline[1].2.starts_with("2026-11-28T01:"), "{offline:?}");
    // The refused sign-in, at the desk's time, is in the hub's copy of the log.
    hub_count(
        &data,
        "SELECT count(*) FROM audit_record WHERE action = 'login' AND object = 'liu'
           AND result = 'refused: offline sign-in expired' AND at LIKE '2026-12-27T16:%'",
        1,
    )
    .await;

    // The day's figures count cases, not tickets: 2 tickets served 5 cases on the 27th.
    let store = onewindow_tests::hub_store(&data);
    let f = store.figures(Some("MAIN"), "2026-11-27").unwrap();
    assert_eq!((f.total.tickets, f.total.cases), (2, 5), "{:?}", f.total);
    let w1 = f.by_window.iter().find(|r| r.key == "1").unwrap();
    assert_eq!((w1.tickets, w1.cases), (2, 5));
    let zhsl = f.by_domain.iter().find(|r| r.key == "ZHSL").unwrap();
    assert_eq!((zhsl.tickets, zhsl.cases), (2, 5));
    let f = store.figures(Some("MAIN"), "2026-11-28").unwrap();
    assert_eq!((f.total.tickets, f.total.cases), (1, 1));
    let month = store.figures(None, "2026-11").unwrap();
    assert_eq!((month.total.tickets, month.total.cases), (3, 6));
    hub.kill();
}
