//! The desk's side of push: which outbox ops are still pending, what the hub answered for each,
//! rejected ops kept for the clerk (resend or discard with a reason), the enrolment identity,
//! and the figures the sync-health panel shows.

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};

use onewindow_domain::case::{CaseAction, CaseState};

use crate::cases::{Actor, OutboxOp, bad_input, follow_members, push_op_raw, read_case, step, ts};
use crate::{Result, Store};

/// A result file to fetch from the hub.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingResultFile {
    pub case_id: String,
    pub case_number: String,
    pub sha256: String,
    pub name: String,
    pub size: u64,
}

/// What the hub said about an op.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Answer {
    Applied,
    Duplicate,
    Rejected,
}

impl Answer {
    fn as_str(self) -> &'static str {
        match self {
            Answer::Applied => "applied",
            Answer::Duplicate => "duplicate",
            Answer::Rejected => "rejected",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RejectedOp {
    pub op_id: String,
    pub device_seq: i64,
    pub kind: String,
    pub case_number: Option<String>,
    pub reason: String,
    pub at: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct PushHealth {
    pub pending_ops: i64,
    pub pending_op_bytes: i64,
    /// RFC 3339 time the oldest pending op was written.
    pub oldest_pending_at: Option<String>,
    pub rejected: i64,
    /// Bytes of the distinct files pending ops carry (as their payloads state them).
    pub pending_blob_bytes: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Identity {
    pub device_id: String,
    pub desk_code: String,
    pub desk_name: String,
    pub hub_url: String,
    pub enrolled_at: String,
    /// The fingerprint of the hub's certificate (an `https://` hub), pinned at enrolment.
    pub hub_pin: Option<String>,
}

fn read_op(r: &rusqlite::Row<'_>) -> rusqlite::Result<OutboxOp> {
    let payload: String = r.get(4)?;
    Ok(OutboxOp {
        op_id: r.get(0)?,
        device_seq: r.get(1)?,
        schema_version: r.get(2)?,
        kind: r.get(3)?,
        payload: serde_json::from_str(&payload).map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(4, rusqlite::types::Type::Text, Box::new(e))
        })?,
    })
}

/// The stream of back-office results for this desk's cases.
pub const RESULTS: &str = "results";
/// How often [`Store::touch_stream`] writes the time of a pull that brought nothing.
pub const TOUCH_EVERY: chrono::TimeDelta = chrono::TimeDelta::seconds(60);

/// 暂停计时: a return stops the case's clock; the working days it ran, up to and including
/// the day of the return, are added to what it used before.
fn stop_clock(
    tx: &rusqlite::Transaction<'_>,
    case_id: &str,
    returned: chrono::NaiveDate,
    calendar: &onewindow_domain::HolidayCalendar,
) -> Result<()> {
    let from: Option<String> = tx
        .query_row(
            "SELECT clock_from FROM case_record WHERE id = ?1",
            [case_id],
            |r| r.get(0),
        )
        .optional()?
        .flatten();
    // A case accepted before the clock was kept: from its last acceptance.
    let from = match from.and_then(|f| f.parse::<chrono::NaiveDate>().ok()) {
        Some(f) => Some(f),
        None => tx
            .query_row(
                "SELECT at FROM case_event WHERE case_id = ?1 AND action = 'accept'
                 ORDER BY id DESC LIMIT 1",
                [case_id],
                |r| r.get::<_, String>(0),
            )
            .optional()?
            .and_then(|at| at.parse::<DateTime<Utc>>().ok())
            .map(onewindow_domain::ticket::hall_day),
    };
    let Some(from) = from else {
        return Ok(());
    };
    tx.execute(
        "UPDATE case_record SET clock_used = clock_used + ?2, clock_from = NULL WHERE id = ?1",
        params![case_id, calendar.working_days_used(from, returned)],
    )?;
    Ok(())
}

impl Store {
    /// Applies a page of back-office results and its cursor in one transaction: each result
    /// moves its case on (a decision also brings the result to the window: 待出件; a return
    /// reopens work at the window with the approver's note). A result the case has already
    /// passed is skipped, so a page applied twice changes nothing.
    pub fn apply_results_page(
        &mut self,
        page: &onewindow_proto::ResultChanges,
        at: DateTime<Utc>,
    ) -> Result<usize> {
        // A return stops the promised-date clock: its working days count by this calendar.
        let calendar = self.calendar()?;
        let tx = self.conn.transaction()?;
        tx.execute(
            "INSERT INTO sync_stream (stream) VALUES (?1) ON CONFLICT(stream) DO NOTHING",
            [RESULTS],
        )?;
        let cursor: i64 = tx.query_row(
            "SELECT cursor FROM sync_stream WHERE stream = ?1",
            [RESULTS],
            |r| r.get(0),
        )?;
        let mut moved = 0;
        for r in page.results.iter().filter(|r| r.seq > cursor) {
            let Some(case) = read_case(&tx, &r.case_id)? else {
                tracing::warn!(case = %r.case_id, "result for a case this desk does not have");
                continue;
            };
            let applied: i64 = tx.query_row(
                "SELECT last_result_seq FROM case_record WHERE id = ?1",
                [&case.id],
                |row| row.get(0),
            )?;
            if r.seq <= applied {
                continue;
            }
            tx.execute(
                "UPDATE case_record SET last_result_seq = ?2 WHERE id = ?1",
                params![case.id, r.seq],
            )?;
            if let Some(f) = &r.file {
                if onewindow_proto::is_sha256(&f.sha256) {
                    tx.execute(
                        "INSERT INTO result_file (case_id, sha256, name, size, result_seq)
                         VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT DO NOTHING",
                        params![case.id, f.sha256, f.name, f.size as i64, r.seq],
                    )?;
                } else {
                    tracing::warn!(case = %case.id, "result file with a malformed id skipped");
                }
            }
            let who = Actor {
                user: r.by.clone(),
                desk: "HUB".into(),
            };
            let steps: &[CaseAction] = match r.action.as_str() {
                "open_for_review" => &[CaseAction::OpenForReview],
                "approve" => &[CaseAction::Approve, CaseAction::ResultArrived],
                "refuse_by_office" => &[CaseAction::RefuseByOffice, CaseAction::ResultArrived],
                "return_for_correction" => &[CaseAction::ReturnForCorrection],
                // 窗口无否决权: the centre's supervisor answered the window's refusal request.
                "refusal_confirmed" => &[CaseAction::ConfirmRefusal],
                "refusal_sent_back" => &[CaseAction::SendBackRefusal],
                other => {
                    tracing::warn!(action = other, "unknown result action skipped");
                    &[]
                }
            };
            let mut state = case.state;
            if state == CaseState::Accepted && !steps.is_empty() {
                // The hand-off answer was lost: the result proves the hub has the case.
                state = step(
                    &tx,
                    &case.id,
                    CaseAction::HandOffAcknowledged,
                    &who,
                    at,
                    None,
                )?
                .1
                .state;
            }
            for a in steps {
                if state.apply(*a).is_ok() {
                    state = step(&tx, &case.id, *a, &who, at, r.note.as_deref())?
                        .1
                        .state;
                    moved += 1;
                    if *a == CaseAction::ReturnForCorrection {
                        // The day of the return is the approver's (the hub's clock), not the
                        // day this desk heard of it.
                        let returned = r.at.parse::<DateTime<Utc>>().map_or_else(
                            |_| onewindow_domain::ticket::hall_day(at),
                            onewindow_domain::ticket::hall_day,
                        );
                        stop_clock(&tx, &case.id, returned, &calendar)?;
                    }
                }
            }
            // A refusal answered for a 一件事 answers its members too.
            if steps
                .iter()
                .any(|a| matches!(a, CaseAction::ConfirmRefusal | CaseAction::SendBackRefusal))
            {
                let members: Vec<String> = tx
                    .prepare_cached("SELECT id FROM case_record WHERE bundle_case = ?1")?
                    .query_map([&case.id], |r| r.get(0))?
                    .collect::<rusqlite::Result<_>>()?;
                for m in members {
                    for a in steps {
                        if read_case(&tx, &m)?.is_some_and(|c| c.state.apply(*a).is_ok()) {
                            step(&tx, &m, *a, &who, at, r.note.as_deref())?;
                        }
                    }
                }
            }
            follow_members(&tx, &case.id, &who, at)?;
        }
        tx.execute(
            "UPDATE sync_stream SET cursor = max(cursor, ?2), staged_cursor = max(cursor, ?2), last_pull_at = ?3 WHERE stream = ?1",
            params![RESULTS, page.next_cursor, ts(at)],
        )?;
        tx.commit()?;
        Ok(moved)
    }

    /// Result files named by the results stream and not fetched yet, oldest first.
    pub fn pending_result_files(&self) -> Result<Vec<PendingResultFile>> {
        let mut q = self.conn.prepare(
            "SELECT f.case_id, c.number, f.sha256, f.name, f.size FROM result_file f
             JOIN case_record c ON c.id = f.case_id
             WHERE f.document_id IS NULL ORDER BY f.result_seq",
        )?;
        let rows = q.query_map([], |r| {
            Ok(PendingResultFile {
                case_id: r.get(0)?,
                case_number: r.get(1)?,
                sha256: r.get(2)?,
                name: r.get(3)?,
                size: r.get::<_, i64>(4)? as u64,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// A fetched result file, archived at `file` (relative to the documents folder): recorded
    /// as a document of its case (kind `result_file`) and linked, in one transaction.
    pub fn record_result_file(
        &mut self,
        case_id: &str,
        sha256: &str,
        file: &str,
        at: DateTime<Utc>,
    ) -> Result<()> {
        let tx = self.conn.transaction()?;
        let n = tx.execute(
            "INSERT INTO case_document (case_id, kind, file, sha256, actor, created_at)
             SELECT ?1, 'result_file', ?2, ?3, 'HUB', ?4 FROM result_file
             WHERE case_id = ?1 AND sha256 = ?3 AND document_id IS NULL",
            params![case_id, file, sha256, ts(at)],
        )?;
        if n == 1 {
            let id = tx.last_insert_rowid();
            tx.execute(
                "UPDATE result_file SET document_id = ?3 WHERE case_id = ?1 AND sha256 = ?2",
                params![case_id, sha256, id],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Records a pull that brought nothing new. The time is written at most once a
    /// [`TOUCH_EVERY`] (or when the clock went back): the results stream is polled every
    /// second, and an idle desk should not write to its disk each time.
    pub fn touch_stream(&mut self, stream: &str, at: DateTime<Utc>) -> Result<()> {
        self.conn.execute(
            "INSERT INTO sync_stream (stream, last_pull_at) VALUES (?1, ?2)
             ON CONFLICT(stream) DO UPDATE SET last_pull_at = excluded.last_pull_at
             WHERE sync_stream.last_pull_at IS NULL
                OR sync_stream.last_pull_at < ?3 OR sync_stream.last_pull_at > ?2",
            params![stream, ts(at), ts(at - TOUCH_EVERY)],
        )?;
        Ok(())
    }

    /// Forgets one pull stream so the next pull downloads it again from the start. Only that
    /// stream's rows and cursor change: cases, the outbox and the other streams stay.
    pub fn reset_stream(&mut self, stream: &str) -> Result<()> {
        let tx = self.conn.transaction()?;
        match stream {
            "catalog" => tx.execute_batch(
                "DELETE FROM catalog_bundle_member; DELETE FROM catalog_bundle;
                 DELETE FROM catalog_item; DELETE FROM catalog_domain; DELETE FROM catalog_staging;",
            )?,
            "calendar" => tx.execute_batch("DELETE FROM calendar_year;")?,
            crate::catalog::QUEUE_CONFIG => tx.execute_batch("DELETE FROM queue_config;")?,
            RESULTS => {}
            other => return Err(bad_input(format!("no stream {other}"))),
        }
        tx.execute(
            "UPDATE sync_stream SET cursor = 0, staged_cursor = 0, version_id = NULL,
               version_label = NULL, published_at = NULL WHERE stream = ?1",
            [stream],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Ops the hub has not answered yet, oldest first.
    pub fn pending_ops(&self, limit: u32) -> Result<Vec<OutboxOp>> {
        self.pending_ops_after(0, limit)
    }

    /// Pending ops after `device_seq`, oldest first.
    pub fn pending_ops_after(&self, after_seq: i64, limit: u32) -> Result<Vec<OutboxOp>> {
        let mut q = self.conn.prepare_cached(
            "SELECT o.op_id, o.device_seq, o.schema_version, o.kind, o.payload FROM outbox o
             LEFT JOIN op_result r ON r.op_id = o.op_id
             WHERE r.op_id IS NULL AND o.device_seq > ?1 ORDER BY o.device_seq LIMIT ?2",
        )?;
        let rows = q.query_map(params![after_seq, limit], read_op)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Records the hub's answers, all in one transaction.
    pub fn record_answers(
        &mut self,
        answers: &[(String, Answer, Option<String>)],
        at: DateTime<Utc>,
    ) -> Result<()> {
        let tx = self.conn.transaction()?;
        let hub = Actor {
            user: onewindow_domain::audit::HUB_ACTOR.into(),
            desk: "HUB".into(),
        };
        for (op_id, answer, reason) in answers {
            tx.execute(
                "INSERT INTO op_result (op_id, status, reason, at) VALUES (?1, ?2, ?3, ?4)
                 ON CONFLICT(op_id) DO NOTHING",
                params![op_id, answer.as_str(), reason, ts(at)],
            )?;
            // The hub has the hand-off: the case is handed_off (with its event), in the same
            // transaction as the answer.
            if matches!(answer, Answer::Applied | Answer::Duplicate) {
                let hand_off: Option<String> = tx
                    .query_row(
                        "SELECT json_extract(payload, '$.case_id') FROM outbox WHERE op_id = ?1 AND kind = 'case.hand_off'",
                        [op_id],
                        |r| r.get(0),
                    )
                    .optional()?
                    .flatten();
                if let Some(case_id) = hand_off
                    && read_case(&tx, &case_id)?.is_some_and(|c| c.state == CaseState::Accepted)
                {
                    step(
                        &tx,
                        &case_id,
                        CaseAction::HandOffAcknowledged,
                        &hub,
                        at,
                        None,
                    )?;
                    follow_members(&tx, &case_id, &hub, at)?;
                }
            }
        }
        tx.commit()?;
        Ok(())
    }

    pub fn rejected_ops(&self) -> Result<Vec<RejectedOp>> {
        let mut q = self.conn.prepare_cached(
            "SELECT o.op_id, o.device_seq, o.kind, o.payload, r.reason, r.at FROM outbox o
             JOIN op_result r ON r.op_id = o.op_id WHERE r.status = 'rejected' ORDER BY o.device_seq",
        )?;
        let rows = q.query_map([], |r| {
            let payload: String = r.get(3)?;
            let number = serde_json::from_str::<serde_json::Value>(&payload)
                .ok()
                .and_then(|v| v["number"].as_str().map(str::to_string));
            Ok(RejectedOp {
                op_id: r.get(0)?,
                device_seq: r.get(1)?,
                kind: r.get(2)?,
                case_number: number,
                reason: r.get::<_, Option<String>>(4)?.unwrap_or_default(),
                at: r.get(5)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Sends a rejected op again (after the cause was fixed, e.g. the hub's catalog updated or
    /// an earlier op of the case resent). The hub answers a replayed op id with its first
    /// result, so the resend is a new op (new id, next device sequence) with the same kind and
    /// payload, and the rejected one is closed as discarded with a pointer to it. Returns the
    /// new op id. A rejected op had no effect on the hub, so nothing can apply twice.
    pub fn resend_op(&mut self, op_id: &str, who: &str, at: DateTime<Utc>) -> Result<String> {
        let tx = self.conn.transaction()?;
        let op: Option<(i64, String, String)> = tx
            .query_row(
                "SELECT o.schema_version, o.kind, o.payload FROM outbox o
                 JOIN op_result r ON r.op_id = o.op_id
                 WHERE o.op_id = ?1 AND r.status = 'rejected'",
                [op_id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        let Some((version, kind, payload)) = op else {
            return Err(bad_input(format!("op {op_id} is not rejected")));
        };
        let new_id = push_op_raw(&tx, version, &kind, &payload, at)?;
        tx.execute(
            "UPDATE op_result SET status = 'discarded', discard_reason = ?2, discarded_by = ?3, at = ?4
             WHERE op_id = ?1",
            params![op_id, format!("已重发为 {new_id}"), who, ts(at)],
        )?;
        tx.commit()?;
        Ok(new_id)
    }

    /// Gives up a rejected op, with the clerk's reason recorded.
    pub fn discard_op(
        &mut self,
        op_id: &str,
        reason: &str,
        who: &str,
        at: DateTime<Utc>,
    ) -> Result<()> {
        if reason.trim().is_empty() {
            return Err(bad_input("discarding an op needs a reason".into()));
        }
        let n = self.conn.execute(
            "UPDATE op_result SET status = 'discarded', discard_reason = ?2, discarded_by = ?3, at = ?4
             WHERE op_id = ?1 AND status = 'rejected'",
            params![op_id, reason.trim(), who, ts(at)],
        )?;
        if n == 0 {
            return Err(bad_input(format!("op {op_id} is not rejected")));
        }
        Ok(())
    }

    pub fn push_health(&self) -> Result<PushHealth> {
        Ok(self.conn.query_row(
            "SELECT
               (SELECT count(*) FROM outbox o WHERE NOT EXISTS (SELECT 1 FROM op_result r WHERE r.op_id = o.op_id)),
               (SELECT coalesce(sum(length(o.payload)), 0) FROM outbox o WHERE NOT EXISTS (SELECT 1 FROM op_result r WHERE r.op_id = o.op_id)),
               (SELECT min(o.created_at) FROM outbox o WHERE NOT EXISTS (SELECT 1 FROM op_result r WHERE r.op_id = o.op_id)),
               (SELECT count(*) FROM op_result WHERE status = 'rejected'),
               (SELECT coalesce(sum(size), 0) FROM (
                  SELECT json_extract(a.value, '$.sha256') AS sha, json_extract(a.value, '$.size') AS size
                  FROM outbox o, json_each(o.payload, '$.attachments') a
                  WHERE o.kind = 'case.hand_off'
                    AND NOT EXISTS (SELECT 1 FROM op_result r WHERE r.op_id = o.op_id)
                  UNION
                  SELECT json_extract(o.payload, '$.sha256'), json_extract(o.payload, '$.size')
                  FROM outbox o
                  WHERE o.kind = 'case.material_added'
                    AND NOT EXISTS (SELECT 1 FROM op_result r WHERE r.op_id = o.op_id)))",
            [],
            |r| {
                Ok(PushHealth {
                    pending_ops: r.get(0)?,
                    pending_op_bytes: r.get(1)?,
                    oldest_pending_at: r.get(2)?,
                    rejected: r.get(3)?,
                    pending_blob_bytes: r.get(4)?,
                })
            },
        )?)
    }

    pub fn set_identity(&mut self, id: &Identity) -> Result<()> {
        self.conn.execute(
            "INSERT INTO device_identity (id, device_id, desk_code, desk_name, hub_url, enrolled_at, hub_pin)
             VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT(id) DO UPDATE SET device_id = excluded.device_id, desk_code = excluded.desk_code,
               desk_name = excluded.desk_name, hub_url = excluded.hub_url, enrolled_at = excluded.enrolled_at,
               hub_pin = excluded.hub_pin, hub_epoch = NULL,
               reported_release = NULL",
            params![id.device_id, id.desk_code, id.desk_name, id.hub_url, id.enrolled_at, id.hub_pin],
        )?;
        Ok(())
    }

    /// The hub's public address as it last announced it (`None`: it announces none, or the
    /// desk is not enrolled).
    pub fn hub_public_url(&self) -> Result<Option<String>> {
        Ok(self
            .conn
            .query_row(
                "SELECT public_url FROM device_identity WHERE id = 1",
                [],
                |r| r.get(0),
            )
            .optional()?
            .flatten())
    }

    /// Records the hub's public address as it announces it now.
    pub fn set_hub_public_url(&mut self, url: Option<&str>) -> Result<()> {
        self.conn.execute(
            "UPDATE device_identity SET public_url = ?1 WHERE id = 1",
            [url],
        )?;
        Ok(())
    }

    pub fn identity(&self) -> Result<Option<Identity>> {
        Ok(self
            .conn
            .query_row(
                "SELECT device_id, desk_code, desk_name, hub_url, enrolled_at, hub_pin FROM device_identity WHERE id = 1",
                [],
                |r| {
                    Ok(Identity {
                        device_id: r.get(0)?,
                        desk_code: r.get(1)?,
                        desk_name: r.get(2)?,
                        hub_url: r.get(3)?,
                        enrolled_at: r.get(4)?,
                        hub_pin: r.get(5)?,
                    })
                },
            )
            .optional()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cases::NewCase;

    /// The results stream is polled every second: a pull that brings nothing writes its time
    /// once a minute, not every time (an idle desk does not write its disk each second).
    #[test]
    fn an_empty_pull_writes_its_time_at_most_once_a_minute() {
        let mut s = Store::open_in_memory().unwrap();
        let t0: DateTime<Utc> = "2026-11-27T02:00:00Z".parse().unwrap();
        let last = |s: &Store| s.stream_state(RESULTS).unwrap().last_pull_at.unwrap();
        s.touch_stream(RESULTS, t0).unwrap();
        assert_eq!(last(&s), ts(t0));
        let writes = s.conn.total_changes();
        for secs in 1..60 {
            s.touch_stream(RESULTS, t0 + chrono::TimeDelta::seconds(secs))
                .unwrap();
        }
        assert_eq!(
            s.conn.total_changes(),
            writes,
            "no row written for a minute"
        );
        assert_eq!(last(&s), ts(t0));
        let later = t0 + chrono::TimeDelta::seconds(61);
        s.touch_stream(RESULTS, later).unwrap();
        assert_eq!(last(&s), ts(later));
        // A clock set back is believed at once.
        s.touch_stream(RESULTS, t0).unwrap();
        assert_eq!(last(&s), ts(t0));
    }

    #[test]
    fn answers_end_pending_and_rejects_wait_for_the_clerk() {
        let mut s = Store::open_in_memory().unwrap();
        let t: DateTime<Utc> = "2026-11-27T02:00:00Z".parse().unwrap();
        let who = Actor {
            user: "li".into(),
            desk: "W01".into(),
        };
        for _ in 0..3 {
            let c = s
                .create_case(
                    &NewCase {
                        item_code: "000105001001".into(),
                        scenario_code: None,
                        local_date: "2026-11-27".parse().unwrap(),
                    },
                    &who,
                    t,
                )
                .unwrap();
            s.transition(&c.id, CaseAction::Accept, &who, t, None)
                .unwrap();
        }
        let pending = s.pending_ops(10).unwrap();
        assert_eq!(pending.len(), 3);
        let h = s.push_health().unwrap();
        assert_eq!((h.pending_ops, h.rejected), (3, 0));
        assert!(h.pending_op_bytes > 100 && h.oldest_pending_at.is_some());

        s.record_answers(
            &[
                (pending[0].op_id.clone(), Answer::Applied, None),
                (
                    pending[1].op_id.clone(),
                    Answer::Rejected,
                    Some("编号冲突".into()),
                ),
            ],
            t,
        )
        .unwrap();
        assert_eq!(
            s.pending_ops(10).unwrap().len(),
            1,
            "the reject does not block the third"
        );
        let rejected = s.rejected_ops().unwrap();
        assert_eq!(rejected[0].reason, "编号冲突");
        assert!(rejected[0].case_number.is_some());
        assert!(s.discard_op(&rejected[0].op_id, " ", "li", t).is_err());
        // A resend is a new op behind the others, with the same kind and payload; the
        // rejected one is closed so it is neither pending nor listed.
        let again = s.resend_op(&rejected[0].op_id, "li", t).unwrap();
        assert_ne!(again, pending[1].op_id);
        let now_pending = s.pending_ops(10).unwrap();
        assert_eq!(now_pending.len(), 2);
        assert_eq!(now_pending[1].op_id, again);
        assert!(now_pending[1].device_seq > now_pending[0].device_seq);
        assert_eq!(now_pending[1].kind, pending[1].kind);
        assert_eq!(now_pending[1].payload, pending[1].payload);
        assert_eq!(s.push_health().unwrap().rejected, 0);
        assert!(
            s.resend_op(&rejected[0].op_id, "li", t).is_err(),
            "resent once"
        );
        s.record_answers(&[(again.clone(), Answer::Rejected, Some("x".into()))], t)
            .unwrap();
        s.discard_op(&again, "重复录入，已另行办理", "li", t)
            .unwrap();
        assert_eq!(s.push_health().unwrap().rejected, 0);
        assert!(s.resend_op(&again, "li", t).is_err());
    }
}
