//! The window's own walk-in queue while the hub cannot be reached (离线取号). Tickets are
//! numbered with the desk code (`W01-003`), so they never collide with the kiosk's or another
//! desk's; calling follows the same rules as the hub's queue (oldest first, at most three
//! recalls). When a ticket ends (done or no-show) its whole record — every step with its time,
//! the case it became, the rating — becomes one outbox op in the same transaction, so the hub
//! gets it exactly once when it can be reached again, and never holds a half-told ticket that
//! another window could call. A rating given after the end follows as its own op.

use chrono::{DateTime, Duration, Utc};
use onewindow_domain::ticket::{self, Ticket, TicketState};
use rusqlite::{OptionalExtension, Transaction, params};

use onewindow_proto::{OpBody, ops};

use crate::cases::{bad_input, push_op, ts, uuid_v7};
use crate::{Result, Store};

/// How long after a ticket ends its applicant can still rate it.
pub const RATE_WITHIN_MINUTES: i64 = 30;

/// A ticket of the offline queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfflineTicket {
    pub id: String,
    /// `W01-003`.
    pub number: String,
    pub domain: String,
    pub window: u32,
    pub issued_at: DateTime<Utc>,
    pub state: TicketState,
    pub recalls: u32,
    pub case_number: Option<String>,
    pub rated: bool,
}

impl OfflineTicket {
    /// The ticket as the calling rules see it.
    pub fn as_ticket(&self) -> Ticket {
        Ticket {
            id: self.id.clone(),
            number: self.number.clone(),
            domain: self.domain.clone(),
            priority: None,
            issued_at: self.issued_at,
            appointment_at: None,
            state: self.state,
            window: Some(self.window),
            recalls: self.recalls,
        }
    }
}

fn parse_state(s: &str) -> TicketState {
    match s {
        "called" => TicketState::Called,
        "serving" => TicketState::Serving,
        "done" => TicketState::Done,
        "no_show" => TicketState::NoShow,
        _ => TicketState::Waiting,
    }
}

const COLUMNS: &str =
    "id, number, domain, window_no, issued_at, state, recalls, case_number, rated_level";

fn read(r: &rusqlite::Row<'_>) -> rusqlite::Result<OfflineTicket> {
    let issued: String = r.get(4)?;
    Ok(OfflineTicket {
        id: r.get(0)?,
        number: r.get(1)?,
        domain: r.get(2)?,
        window: r.get::<_, i64>(3)? as u32,
        issued_at: DateTime::parse_from_rfc3339(&issued)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|e| {
                rusqlite::Error::FromSqlConversionFailure(
                    4,
                    rusqlite::types::Type::Text,
                    Box::new(e),
                )
            })?,
        state: parse_state(&r.get::<_, String>(5)?),
        recalls: r.get::<_, i64>(6)? as u32,
        case_number: r.get(7)?,
        rated: r.get::<_, Option<i64>>(8)?.is_some(),
    })
}

fn current(tx: &Transaction<'_>) -> Result<Option<OfflineTicket>> {
    Ok(tx
        .query_row(
            &format!(
                "SELECT {COLUMNS} FROM offline_ticket WHERE state IN ('called', 'serving')
                 ORDER BY called_at DESC LIMIT 1"
            ),
            [],
            read,
        )
        .optional()?)
}

fn get(tx: &Transaction<'_>, id: &str) -> Result<OfflineTicket> {
    Ok(tx.query_row(
        &format!("SELECT {COLUMNS} FROM offline_ticket WHERE id = ?1"),
        [id],
        read,
    )?)
}

/// One step of a ticket, kept with it for the hub.
fn add_step(
    tx: &Transaction<'_>,
    id: &str,
    action: &str,
    by: &str,
    at: DateTime<Utc>,
) -> Result<()> {
    tx.execute(
        "UPDATE offline_ticket
         SET steps = json_insert(steps, '$[#]', json_object('action', ?2, 'by', ?3, 'at', ?4))
         WHERE id = ?1",
        params![id, action, by, ts(at)],
    )?;
    Ok(())
}

/// The ticket ended: its whole record goes to the outbox.
fn push_ended(tx: &Transaction<'_>, id: &str, at: DateTime<Utc>) -> Result<()> {
    let payload = tx.query_row(
        "SELECT json_object(
           'ticket_id', id, 'number', number, 'domain', domain, 'window', window_no,
           'issued_at', issued_at, 'state', state, 'recalls', recalls, 'called_at', called_at,
           'served_at', served_at, 'done_at', done_at, 'clerk', clerk,
           'case_number', case_number, 'case_numbers', json(case_numbers),
           'steps', json(steps),
           'rating', CASE WHEN rated_level IS NULL THEN NULL ELSE json_object(
             'level', rated_level, 'reasons', json(rated_reasons), 'comment', rated_comment,
             'at', rated_at) END)
         FROM offline_ticket WHERE id = ?1",
        [id],
        |r| r.get::<_, String>(0),
    )?;
    let ticket: ops::OfflineTicket =
        serde_json::from_str(&payload).map_err(|e| crate::StoreError::BadStoredJson {
            what: "offline ticket".into(),
            source: e,
        })?;
    push_op(tx, &OpBody::OfflineTicket(ticket), at)
}

/// What the window called or served is done.
fn finish(tx: &Transaction<'_>, by: &str, at: DateTime<Utc>) -> Result<()> {
    if let Some(t) = current(tx)? {
        tx.execute(
            "UPDATE offline_ticket SET state = 'done', done_at = ?2 WHERE id = ?1",
            params![t.id, ts(at)],
        )?;
        add_step(tx, &t.id, "done", by, at)?;
        push_ended(tx, &t.id, at)?;
    }
    Ok(())
}

impl Store {
    /// 离线取号: a ticket of `domain` numbered with the desk code. With `serve_now` (nobody is
    /// at the window) it is served at once and what the window had is done; otherwise it
    /// waits for 叫号.
    pub fn offline_issue(
        &mut self,
        desk_code: &str,
        window: u32,
        domain: &str,
        by: &str,
        serve_now: bool,
        at: DateTime<Utc>,
    ) -> Result<OfflineTicket> {
        if domain.trim().is_empty() {
            return Err(bad_input("an offline ticket needs a domain".into()));
        }
        let tx = self.conn.transaction()?;
        let day = ticket::hall_day(at).to_string();
        let seq: i64 = tx.query_row(
            "SELECT coalesce(max(seq), 0) + 1 FROM offline_ticket WHERE day = ?1",
            [&day],
            |r| r.get(0),
        )?;
        let id = uuid_v7(at);
        let number = ticket::offline_number(desk_code, seq as u32);
        tx.execute(
            "INSERT INTO offline_ticket (id, day, seq, number, domain, window_no, issued_at, state)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'waiting')",
            params![id, day, seq, number, domain, window, ts(at)],
        )?;
        add_step(&tx, &id, "issue", by, at)?;
        if serve_now {
            finish(&tx, by, at)?;
            tx.execute(
                "UPDATE offline_ticket SET state = 'serving', called_at = ?2, served_at = ?2,
                   clerk = ?3 WHERE id = ?1",
                params![id, ts(at), by],
            )?;
            add_step(&tx, &id, "serve", by, at)?;
        }
        let t = get(&tx, &id)?;
        tx.commit()?;
        Ok(t)
    }

    /// 叫号 in the offline queue: the current ticket is done and today's oldest waiting one is
    /// called. `None` when nobody waits (the current ticket is still done).
    pub fn offline_call_next(
        &mut self,
        by: &str,
        at: DateTime<Utc>,
    ) -> Result<Option<OfflineTicket>> {
        let tx = self.conn.transaction()?;
        finish(&tx, by, at)?;
        let next: Option<String> = tx
            .query_row(
                "SELECT id FROM offline_ticket WHERE state = 'waiting' AND day = ?1
                 ORDER BY issued_at, seq LIMIT 1",
                [ticket::hall_day(at).to_string()],
                |r| r.get(0),
            )
            .optional()?;
        let Some(id) = next else {
            tx.commit()?;
            return Ok(None);
        };
        tx.execute(
            "UPDATE offline_ticket SET state = 'called', called_at = ?2, clerk = ?3, recalls = 0
             WHERE id = ?1",
            params![id, ts(at), by],
        )?;
        add_step(&tx, &id, "call", by, at)?;
        let t = get(&tx, &id)?;
        tx.commit()?;
        Ok(Some(t))
    }

    /// The window moved on to a ticket of the hub's queue: the offline one it had is done.
    pub fn offline_finish_current(&mut self, by: &str, at: DateTime<Utc>) -> Result<()> {
        let tx = self.conn.transaction()?;
        finish(&tx, by, at)?;
        tx.commit()?;
        Ok(())
    }

    /// 重呼 (at most three times), 到号 or 过号 on the offline ticket the window called. The
    /// message of a refused step is the clerk's (Chinese).
    pub fn offline_step(
        &mut self,
        action: &str,
        by: &str,
        at: DateTime<Utc>,
    ) -> Result<OfflineTicket> {
        let tx = self.conn.transaction()?;
        let t = current(&tx)?.ok_or_else(|| bad_input("本窗口当前没有已叫的离线号".into()))?;
        match action {
            "recall" => {
                let n = ticket::recall(&t.as_ticket()).map_err(bad_input)?;
                tx.execute(
                    "UPDATE offline_ticket SET recalls = ?2 WHERE id = ?1",
                    params![t.id, n],
                )?;
            }
            "serve" | "no_show" => {
                if t.state != TicketState::Called {
                    return Err(bad_input(format!(
                        "{} 号已在办理，{}",
                        t.number,
                        if action == "serve" {
                            "不用再按到号"
                        } else {
                            "不能再按过号处理"
                        }
                    )));
                }
                let (state, column) = if action == "serve" {
                    ("serving", "served_at")
                } else {
                    ("no_show", "done_at")
                };
                tx.execute(
                    &format!("UPDATE offline_ticket SET state = ?2, {column} = ?3 WHERE id = ?1"),
                    params![t.id, state, ts(at)],
                )?;
            }
            other => return Err(bad_input(format!("未知的叫号操作 {other}"))),
        }
        add_step(&tx, &t.id, action, by, at)?;
        if action == "no_show" {
            push_ended(&tx, &t.id, at)?;
        }
        let t = get(&tx, &t.id)?;
        tx.commit()?;
        Ok(t)
    }

    /// The offline ticket called or served at the window.
    pub fn offline_current(&self) -> Result<Option<OfflineTicket>> {
        let tx = self.conn.unchecked_transaction()?;
        current(&tx)
    }

    /// Today's offline tickets called to the window (not the walk-ins served at once), the
    /// latest call first, for the hall display while the hub is away.
    pub fn offline_recent_calls(&self, n: u32, at: DateTime<Utc>) -> Result<Vec<OfflineTicket>> {
        let mut q = self.conn.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM offline_ticket
             WHERE day = ?1 AND called_at IS NOT NULL
               AND EXISTS (SELECT 1 FROM json_each(steps) WHERE json_extract(value, '$.action') = 'call')
             ORDER BY called_at DESC LIMIT ?2"
        ))?;
        let rows = q.query_map(params![ticket::hall_day(at).to_string(), n], read)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// How many of today's offline tickets wait.
    pub fn offline_waiting(&self, at: DateTime<Utc>) -> Result<u32> {
        Ok(self.conn.query_row(
            "SELECT count(*) FROM offline_ticket WHERE state = 'waiting' AND day = ?1",
            [ticket::hall_day(at).to_string()],
            |r| r.get::<_, i64>(0),
        )? as u32)
    }

    /// Links the offline ticket being served to the case it became. `false` when the window
    /// serves no offline ticket.
    pub fn offline_link_case(&mut self, case_number: &str, at: DateTime<Utc>) -> Result<bool> {
        let tx = self.conn.transaction()?;
        let Some(t) = current(&tx)? else {
            return Ok(false);
        };
        // Each case the ticket served is kept; `case_number` names the last (the rating's).
        tx.execute(
            "UPDATE offline_ticket SET case_number = ?2,
               case_numbers = CASE WHEN EXISTS (SELECT 1 FROM json_each(case_numbers)
                                                WHERE value = ?2)
                 THEN case_numbers ELSE json_insert(case_numbers, '$[#]', ?2) END
             WHERE id = ?1",
            params![t.id, case_number],
        )?;
        add_step(&tx, &t.id, "link", "", at)?;
        tx.commit()?;
        Ok(true)
    }

    /// The offline ticket the applicant at the window would rate: the one being served, or
    /// the last one done in the past half hour, if not rated yet.
    pub fn offline_ticket_to_rate(&self, at: DateTime<Utc>) -> Result<Option<OfflineTicket>> {
        let since = ts(at - Duration::minutes(RATE_WITHIN_MINUTES));
        Ok(self
            .conn
            .query_row(
                &format!(
                    "SELECT {COLUMNS} FROM offline_ticket
                     WHERE rated_level IS NULL AND served_at IS NOT NULL
                       AND (state = 'serving' OR (state = 'done' AND done_at >= ?1))
                     ORDER BY state = 'serving' DESC, done_at DESC LIMIT 1"
                ),
                [since],
                read,
            )
            .optional()?)
    }

    /// Records the applicant's rating of an offline ticket, for the hub: with the ticket's
    /// record when it ends, or as an op of its own when it already has.
    pub fn offline_rate(
        &mut self,
        ticket_id: &str,
        level: u8,
        reasons: &[String],
        comment: &str,
        at: DateTime<Utc>,
    ) -> Result<()> {
        onewindow_domain::rating::check(level, reasons, comment).map_err(bad_input)?;
        let tx = self.conn.transaction()?;
        let changed = tx.execute(
            "UPDATE offline_ticket SET rated_level = ?2, rated_reasons = ?3, rated_comment = ?4,
               rated_at = ?5
             WHERE id = ?1 AND rated_level IS NULL",
            params![
                ticket_id,
                level,
                serde_json::to_string(reasons).expect("serialises"),
                comment.trim(),
                ts(at)
            ],
        )?;
        if changed == 0 {
            return Err(bad_input("这次服务已经评价过了，谢谢".into()));
        }
        let ended = matches!(
            get(&tx, ticket_id)?.state,
            TicketState::Done | TicketState::NoShow
        );
        if !ended {
            tx.commit()?;
            return Ok(());
        }
        let body = OpBody::OfflineRating(ops::OfflineRating {
            ticket_id: ticket_id.to_string(),
            rating: ops::Rating {
                level,
                reasons: reasons.to_vec(),
                comment: comment.trim().to_string(),
                at,
            },
        });
        push_op(&tx, &body, at)?;
        tx.commit()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use onewindow_proto::OpKind;

    fn t0() -> DateTime<Utc> {
        "2026-11-27T01:00:00Z".parse().unwrap()
    }

    fn min(n: i64) -> DateTime<Utc> {
        t0() + Duration::minutes(n)
    }

    fn kinds(s: &Store) -> Vec<(String, serde_json::Value)> {
        s.outbox()
            .unwrap()
            .into_iter()
            .map(|o| (o.kind, o.payload))
            .collect()
    }

    #[test]
    fn walk_ins_are_numbered_by_desk_and_called_oldest_first() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Store::open(&dir.path().join("c.db")).unwrap();
        let a = s
            .offline_issue("W01", 1, "ZHSL", "张三", true, min(0))
            .unwrap();
        assert_eq!(a.number, "W01-001");
        assert_eq!(a.state, TicketState::Serving);
        let b = s
            .offline_issue("W01", 1, "ZHSL", "张三", false, min(1))
            .unwrap();
        let c = s
            .offline_issue("W01", 1, "GAHZ", "张三", false, min(2))
            .unwrap();
        assert_eq!(
            (b.number.as_str(), c.number.as_str()),
            ("W01-002", "W01-003")
        );
        assert_eq!(s.offline_waiting(min(2)).unwrap(), 2);

        // 叫号 ends the one served and calls the oldest waiting.
        let called = s.offline_call_next("张三", min(5)).unwrap().unwrap();
        assert_eq!(called.number, "W01-002");
        assert_eq!(called.state, TicketState::Called);
        assert_eq!(s.offline_current().unwrap().unwrap().id, b.id);
        assert_eq!(s.offline_waiting(min(5)).unwrap(), 1);

        // Recalls stop at three; a served ticket cannot be a no-show.
        for n in 1..=3 {
            assert_eq!(s.offline_step("recall", "张三", min(6)).unwrap().recalls, n);
        }
        let err = s.offline_step("recall", "张三", min(7)).unwrap_err();
        assert!(err.to_string().contains("过号"), "{err}");
        assert_eq!(
            s.offline_step("serve", "张三", min(8)).unwrap().state,
            TicketState::Serving
        );
        assert!(s.offline_step("no_show", "张三", min(9)).is_err());
        assert!(s.offline_link_case("W01-20261127-0007", min(10)).unwrap());

        let calls: Vec<String> = s
            .offline_recent_calls(5, min(10))
            .unwrap()
            .into_iter()
            .map(|t| t.number)
            .collect();
        assert_eq!(
            calls,
            ["W01-002"],
            "the walk-in served at once was never called"
        );

        // The next call: c is called, does not come.
        assert_eq!(
            s.offline_call_next("张三", min(20)).unwrap().unwrap().id,
            c.id
        );
        assert_eq!(
            s.offline_step("no_show", "张三", min(22)).unwrap().state,
            TicketState::NoShow
        );
        assert_eq!(s.offline_call_next("张三", min(23)).unwrap(), None);

        // The numbers start again on the hall's next day (UTC+8).
        let next_day = s
            .offline_issue("W01", 1, "ZHSL", "张三", false, min(24 * 60))
            .unwrap();
        assert_eq!(next_day.number, "W01-001");

        // Each ended ticket waits in the outbox as one op with every step; the waiting one
        // of the next day is not there yet.
        let ops = kinds(&s);
        let numbers: Vec<&str> = ops
            .iter()
            .map(|(_, p)| p["number"].as_str().unwrap())
            .collect();
        assert_eq!(numbers, ["W01-001", "W01-002", "W01-003"]);
        assert!(ops.iter().all(|(k, _)| k == OpKind::OfflineTicket.as_str()));
        let steps = |i: usize| -> Vec<&str> {
            ops[i].1["steps"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s["action"].as_str().unwrap())
                .collect()
        };
        assert_eq!(steps(0), ["issue", "serve", "done"]);
        assert_eq!(
            steps(1),
            [
                "issue", "call", "recall", "recall", "recall", "serve", "link", "done"
            ]
        );
        assert_eq!(steps(2), ["issue", "call", "no_show"]);
        assert_eq!(ops[1].1["case_number"], "W01-20261127-0007");
        assert_eq!(ops[1].1["state"], "done");
        assert_eq!(ops[1].1["recalls"], 3);
        assert_eq!(ops[2].1["state"], "no_show");
        assert_eq!(ops[0].1["window"], 1);
        assert_eq!(ops[0].1["rating"], serde_json::Value::Null);
    }

    #[test]
    fn the_applicant_rates_the_ticket_served_once() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Store::open(&dir.path().join("c.db")).unwrap();
        assert_eq!(s.offline_ticket_to_rate(min(0)).unwrap(), None);
        let a = s
            .offline_issue("W02", 2, "ZHSL", "李四", true, min(0))
            .unwrap();
        assert_eq!(s.offline_ticket_to_rate(min(1)).unwrap().unwrap().id, a.id);
        // A bad rating without reasons is refused and nothing is written.
        assert!(s.offline_rate(&a.id, 1, &[], "", min(2)).is_err());
        s.offline_rate(&a.id, 5, &[], "", min(2)).unwrap();
        assert!(s.offline_rate(&a.id, 4, &[], "", min(3)).is_err());
        assert_eq!(s.offline_ticket_to_rate(min(3)).unwrap(), None);

        // A ticket done 31 minutes ago is no longer offered.
        let b = s
            .offline_issue("W02", 2, "ZHSL", "李四", true, min(10))
            .unwrap();
        s.offline_call_next("李四", min(20)).unwrap();
        assert_eq!(s.offline_ticket_to_rate(min(40)).unwrap().unwrap().id, b.id);
        assert_eq!(s.offline_ticket_to_rate(min(51)).unwrap(), None);
        // a was rated while served: the rating travels with its record. b ended before a
        // rating, so one given now is an op of its own.
        let ops = kinds(&s);
        assert_eq!(ops[0].0, OpKind::OfflineTicket.as_str());
        assert_eq!(ops[0].1["rating"]["level"], 5);
        assert_eq!(ops.len(), 2);
        s.offline_rate(
            &b.id,
            2,
            &["办事效率低、等候时间长".to_string()],
            "等太久",
            min(45),
        )
        .unwrap();
        let ops = kinds(&s);
        assert_eq!(ops[2].0, OpKind::OfflineRating.as_str());
        assert_eq!(ops[2].1["ticket_id"], b.id.as_str());
        assert_eq!(ops[2].1["reasons"][0], "办事效率低、等候时间长");
    }
}
