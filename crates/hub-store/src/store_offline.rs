//! What desks tell the hub after the fact, through their outbox: a ticket of a desk's offline
//! walk-in queue, whole as it ended (`queue.offline_ticket`), a rating of one given later
//! (`queue.offline_rating`), and each one-time notice a window issued (`case.notice_issued`).
//! Each runs inside the op's transaction; `Err(reason)` rejects the op with a Chinese reason
//! and leaves nothing of it.

use crate::db::{OptionalExtension, Tx, params};
use chrono::{DateTime, Utc};
use onewindow_domain::ticket;
use onewindow_proto::ops::{NoticeIssued, OfflineRating, OfflineTicket};

use crate::store::Result;
use crate::store_queue::hall_day;
use crate::store_queue::ts;
use crate::store_rating::{Rated, insert_rating};

type Applied = std::result::Result<(), String>;

const STEP_KINDS: [&str; 7] = [
    "issue", "call", "recall", "serve", "no_show", "done", "link",
];

fn desk_code(tx: &Tx<'_>, device: &str) -> Result<String> {
    Ok(tx.query_row(
        "SELECT desk_code FROM device WHERE id = ?1",
        [device],
        |r| r.get(0),
    )?)
}

fn desk_centre(tx: &Tx<'_>, device: &str) -> Result<String> {
    Ok(
        tx.query_row("SELECT centre FROM device WHERE id = ?1", [device], |r| {
            r.get(0)
        })?,
    )
}

fn plain_id(s: &str) -> bool {
    !s.is_empty() && s.len() <= 64 && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// A ticket of the desk's offline queue, as it ended: stored with its own times (never
/// waiting, so no window calls it), every step a queue event marked `offline` (the hall
/// display shows only live calls), and its rating if one was given.
pub(crate) fn apply_offline_ticket(
    tx: &Tx<'_>,
    device: &str,
    t: &OfflineTicket,
) -> Result<Applied> {
    let desk = desk_code(tx, device)?;
    if !plain_id(&t.ticket_id) {
        return Ok(Err("离线号记录的编号无效".into()));
    }
    if !ticket::is_offline_number_of(&t.number, &desk) {
        return Ok(Err(format!(
            "离线号 {} 不是本窗口（{desk}）发出的号",
            t.number
        )));
    }
    if t.domain.is_empty() || t.domain.len() > 40 {
        return Ok(Err("离线号记录缺少业务领域".into()));
    }
    if !matches!(t.state.as_str(), "done" | "no_show") {
        return Ok(Err(format!(
            "离线号 {} 尚未办结（{}），不能上报",
            t.number, t.state
        )));
    }
    let times = [Some(t.issued_at), t.called_at, t.served_at, t.done_at];
    let known: Vec<DateTime<Utc>> = times.iter().flatten().copied().collect();
    if known.windows(2).any(|w| w[1] < w[0]) {
        return Ok(Err(format!("离线号 {} 的时间先后不对", t.number)));
    }
    if let Some(bad) = t
        .steps
        .iter()
        .find(|s| !STEP_KINDS.contains(&s.action.as_str()))
    {
        return Ok(Err(format!("离线号记录含未知的步骤 {}", bad.action)));
    }
    let exists: bool = tx.query_row(
        "SELECT EXISTS (SELECT 1 FROM queue_ticket WHERE id = ?1)",
        [&t.ticket_id],
        |r| r.get(0),
    )?;
    if exists {
        return Ok(Err(format!("离线号 {} 已在中心登记过", t.number)));
    }
    let day = hall_day(t.issued_at).to_string();
    let centre = desk_centre(tx, device)?;
    // Offline tickets take negative sequence numbers: the kiosk's numbering (max + 1) goes on
    // undisturbed, and the (centre, day, domain, seq) key still holds.
    let seq: i64 = tx.query_row(
        "SELECT CASE WHEN min(seq) < 0 THEN min(seq) ELSE 0 END - 1 FROM queue_ticket
         WHERE centre = ?3 AND day = ?1 AND domain = ?2",
        params![day, t.domain, centre],
        |r| r.get(0),
    )?;
    let source = format!("offline:{desk}");
    // Extended-hours service by the centre's hours when the ticket was issued.
    let cfg: Option<String> = tx
        .query_row(
            "SELECT body FROM queue_config_change WHERE centre = ?1 ORDER BY seq DESC LIMIT 1",
            [&centre],
            |r| r.get(0),
        )
        .optional()?;
    let extended = match cfg
        .and_then(|b| serde_json::from_str::<onewindow_domain::queue::QueueConfig>(&b).ok())
    {
        Some(cfg) => crate::store_queue::service_extended(tx, &cfg, t.issued_at)?,
        None => false,
    };
    tx.execute(
        "INSERT INTO queue_ticket (id, day, seq, number, domain, priority, issued_at, state,
           window_no, recalls, called_at, served_at, done_at, clerk, case_number, source, centre,
           extended)
         VALUES (?1, ?2, ?3, ?4, ?5, NULL, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16,
           ?17)",
        params![
            t.ticket_id,
            day,
            seq,
            t.number,
            t.domain,
            ts(t.issued_at),
            t.state,
            t.window,
            t.recalls,
            t.called_at.map(ts),
            t.served_at.map(ts),
            t.done_at.map(ts),
            t.clerk,
            t.case_number,
            source,
            centre,
            extended
        ],
    )?;
    for number in t.served_cases() {
        crate::store_queue::link_case(tx, &t.ticket_id, number)?;
    }
    for s in t.steps.iter().filter(|s| s.action != "link") {
        tx.execute(
            "INSERT INTO queue_event (ticket_id, window_no, kind, by_user, at, detail, centre)
             VALUES (?1, ?2, ?3, ?4, ?5, 'offline', ?6)",
            params![
                t.ticket_id,
                (s.action != "issue").then_some(t.window),
                s.action,
                (!s.by.is_empty()).then_some(s.by.as_str()),
                ts(s.at),
                centre
            ],
        )?;
    }
    if let Some(r) = &t.rating {
        let rated = insert_rating(
            tx,
            &Rated {
                ticket: &t.ticket_id,
                case_number: t.case_number.as_deref(),
                window: Some(t.window),
                clerk: t.clerk.as_deref(),
            },
            r.level,
            &r.reasons,
            &r.comment,
            r.at,
        );
        if let Err(e) = rated {
            return Ok(Err(format!("离线号 {} 的评价无效：{e}", t.number)));
        }
    }
    Ok(Ok(()))
}

/// A rating of an offline ticket given after its record reached the hub.
pub(crate) fn apply_offline_rating(
    tx: &Tx<'_>,
    device: &str,
    b: &OfflineRating,
) -> Result<Applied> {
    let desk = desk_code(tx, device)?;
    type Row = (String, Option<String>, Option<i64>, Option<String>);
    let ticket: Option<Row> = tx
        .query_row(
            "SELECT number, case_number, window_no, clerk FROM queue_ticket
             WHERE id = ?1 AND source = ?2",
            params![b.ticket_id, format!("offline:{desk}")],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .optional()?;
    let Some((number, case_number, window, clerk)) = ticket else {
        return Ok(Err("评价的离线号不在中心，或不是本窗口的号".into()));
    };
    let rated = insert_rating(
        tx,
        &Rated {
            ticket: &b.ticket_id,
            case_number: case_number.as_deref(),
            window: window.map(|w| w as u32),
            clerk: clerk.as_deref(),
        },
        b.rating.level,
        &b.rating.reasons,
        &b.rating.comment,
        b.rating.at,
    );
    Ok(rated
        .map(drop)
        .map_err(|e| format!("离线号 {number} 的评价无效：{e}")))
}

/// 一次性告知: counted for the figures against the ticket the window was serving, when the
/// desk knew one (an offline ticket's own record reaches the hub only when it ends, so the id
/// is kept as given).
pub(crate) fn apply_notice(
    tx: &Tx<'_>,
    device: &str,
    op_id: &str,
    b: &NoticeIssued,
) -> Result<Applied> {
    if b.number.is_empty() || b.number.len() > 60 || b.item_code.len() > 60 {
        return Ok(Err("一次性告知记录缺少办件编号".into()));
    }
    let ticket = b.ticket_id.as_deref().filter(|id| plain_id(id));
    tx.execute(
        "INSERT INTO notice_issued (op_id, device_id, case_number, item_code, ticket_id, clerk,
           at, day, centre)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8,
           coalesce((SELECT centre FROM device WHERE id = ?2), 'MAIN'))",
        params![
            op_id,
            device,
            b.number,
            b.item_code,
            ticket,
            b.by,
            ts(b.at),
            hall_day(b.at).to_string()
        ],
    )?;
    Ok(Ok(()))
}

#[cfg(test)]
mod tests {
    use onewindow_proto::{Op, OpKind, OpStatus};

    use crate::store::HubStore;

    fn now() -> chrono::DateTime<chrono::Utc> {
        "2026-11-27T03:00:00Z".parse().unwrap()
    }

    fn op(id: u32, kind: &str, payload: serde_json::Value) -> Op {
        Op {
            op_id: format!("0190f0f0-0000-7000-8000-{id:012}"),
            device_seq: id as i64,
            schema_version: 1,
            kind: kind.into(),
            payload,
        }
    }

    fn ticket(id: &str, number: &str, state: &str) -> serde_json::Value {
        serde_json::json!({
            "ticket_id": id, "number": number, "domain": "ZHSL", "window": 1,
            "issued_at": "2026-11-27T02:00:00Z", "state": state, "recalls": 0,
            "called_at": "2026-11-27T02:05:00Z", "served_at": "2026-11-27T02:06:00Z",
            "done_at": "2026-11-27T02:20:00Z", "clerk": "张三", "case_number": null,
            "steps": [
                {"action": "issue", "by": "张三", "at": "2026-11-27T02:00:00Z"},
                {"action": "call", "by": "张三", "at": "2026-11-27T02:05:00Z"},
                {"action": "serve", "by": "张三", "at": "2026-11-27T02:06:00Z"},
                {"action": "done", "by": "张三", "at": "2026-11-27T02:20:00Z"}
            ],
            "rating": null
        })
    }

    #[test]
    fn an_offline_ticket_is_taken_once_from_its_own_desk_and_checked() {
        let mut s = HubStore::open_in_memory().unwrap();
        let (code, _) = s.create_enrol_code("1 号窗口", None, now()).unwrap();
        let dev = s.enrol(&code, now()).unwrap().device_id;
        let kind = OpKind::OfflineTicket.as_str();
        let mut late = ticket("t-late", "W01-003", "done");
        late["done_at"] = "2026-11-27T01:00:00Z".into();
        let mut waiting = ticket("t-wait", "W01-004", "waiting");
        waiting["done_at"] = serde_json::Value::Null;
        let results = s
            .apply_ops(
                &dev,
                &[
                    op(1, kind, ticket("t-1", "W01-001", "done")),
                    op(2, kind, ticket("t-1", "W01-001", "done")),
                    op(3, kind, ticket("t-x", "W02-001", "done")),
                    op(4, kind, late),
                    op(5, kind, waiting),
                    op(6, kind, serde_json::json!({"number": "W01-009"})),
                    op(
                        7,
                        OpKind::OfflineRating.as_str(),
                        serde_json::json!({"ticket_id": "t-1", "level": 1, "reasons": [],
                            "at": "2026-11-27T02:21:00Z"}),
                    ),
                    op(
                        8,
                        OpKind::OfflineRating.as_str(),
                        serde_json::json!({"ticket_id": "t-1", "level": 1,
                            "reasons": ["服务态度不好"], "at": "2026-11-27T02:21:00Z"}),
                    ),
                ],
                now(),
            )
            .unwrap();
        let status: Vec<(OpStatus, String)> = results
            .into_iter()
            .map(|r| (r.status, r.reason.unwrap_or_default()))
            .collect();
        assert_eq!(status[0].0, OpStatus::Applied);
        let refused = |i: usize, why: &str| {
            assert_eq!(status[i].0, OpStatus::Rejected, "{i}");
            assert!(status[i].1.contains(why), "{i}: {}", status[i].1);
        };
        refused(1, "已在中心登记过");
        refused(2, "不是本窗口（W01）发出的号");
        refused(3, "时间先后不对");
        refused(4, "尚未办结");
        refused(5, "格式不正确");
        refused(6, "评价无效");
        assert_eq!(status[7].0, OpStatus::Applied);
        // One ticket, counted by the figures with its times; its bad rating is to rectify.
        let f = s.figures(Some("MAIN"), "2026-11-27").unwrap();
        assert_eq!(f.total.tickets, 1);
        let near = |x: Option<f64>, want: f64| (x.unwrap() - want).abs() < 0.01;
        assert!(near(f.total.avg_wait_min, 5.0), "{:?}", f.total);
        assert!(near(f.total.avg_service_min, 14.0), "{:?}", f.total);
        assert_eq!(
            s.bad_ratings(None).unwrap()[0].ticket.as_deref(),
            Some("W01-001")
        );
    }

    #[test]
    fn a_town_desks_offline_walk_ins_are_the_towns() {
        let mut s = HubStore::open_in_memory().unwrap();
        s.add_centre(
            "QX",
            "青溪镇便民服务中心",
            onewindow_domain::centre::CentreLevel::Town,
            Some("MAIN"),
            now(),
        )
        .unwrap();
        let (code, _) = s
            .create_enrol_code_at("QX", "青溪 1 号窗口", Some("W01"), now())
            .unwrap();
        let dev = s.enrol(&code, now()).unwrap().device_id;
        let r = s
            .apply_ops(
                &dev,
                &[
                    op(1, OpKind::OfflineTicket.as_str(), ticket("t-1", "W01-001", "done")),
                    op(
                        2,
                        OpKind::NoticeIssued.as_str(),
                        serde_json::json!({"case_id": "c-1", "number": "W01-20261127-0001", "item_code": "x",
                            "ticket_id": "t-1", "by": "张三", "at": "2026-11-27T02:10:00Z"}),
                    ),
                ],
                now(),
            )
            .unwrap();
        assert!(r.iter().all(|r| r.status == OpStatus::Applied), "{r:?}");
        let town = s.figures(Some("QX"), "2026-11-27").unwrap();
        assert_eq!((town.total.tickets, town.total.notices), (1, 1));
        let county = s.figures(Some("MAIN"), "2026-11-27").unwrap();
        assert_eq!((county.total.tickets, county.total.notices), (0, 0));
        let all = s.figures(None, "2026-11-27").unwrap();
        assert_eq!(all.by_centre.len(), 1);
        assert_eq!(all.by_centre[0].label, "青溪镇便民服务中心");
    }
}
