//! 窗口无否决权 in SQL: a window's refusal request makes the hub's case (state
//! `refusal_requested`); the centre's supervisor confirms it or sends it back, and the answer
//! goes to the requesting desk on the results stream; an answer given at the desk itself (a
//! supervisor's take-over, offline) and withdrawals arrive as ops.

use crate::db::{OptionalExtension, Tx, params};
use chrono::{DateTime, Utc};
use onewindow_proto::Op;
use onewindow_proto::ops::{RefusalAnswered, RefusalRequested, Withdrawn};

use crate::store::{HubStore, Result};
use crate::store_queue::{bad, ts};
use crate::store_sync::Reject;

type Applied = std::result::Result<(), Reject>;

fn plain(s: &str) -> bool {
    !s.is_empty() && s.len() <= 64
}

fn state_of(tx: &Tx<'_>, id: &str, device: &str) -> Result<Option<String>> {
    Ok(tx
        .query_row(
            "SELECT state FROM hub_case WHERE id = ?1 AND device_id = ?2",
            params![id, device],
            |r| r.get(0),
        )
        .optional()?)
}

fn event(tx: &Tx<'_>, id: &str, op: &Op, now: DateTime<Utc>) -> Result<()> {
    tx.execute(
        "INSERT INTO hub_case_event (case_id, kind, payload, at) VALUES (?1, ?2, ?3, ?4)",
        params![id, op.kind, op.payload.to_string(), ts(now)],
    )?;
    Ok(())
}

/// `case.refusal_requested`: the hub's case begins here (or a request sent back is made again).
pub(crate) fn apply_requested(
    tx: &Tx<'_>,
    device: &str,
    op: &Op,
    b: &RefusalRequested,
    now: DateTime<Utc>,
) -> Result<Applied> {
    if !plain(&b.case_id) || !plain(&b.number) || !plain(&b.item_code) {
        return Ok(Err(Reject("不予受理申请缺少办件编号或事项".into())));
    }
    if b.reason.trim().chars().count() < 4 || b.basis.trim().chars().count() < 4 {
        return Ok(Err(Reject("不予受理申请须写明理由和法律依据".into())));
    }
    let taken: Option<String> = tx
        .query_row(
            "SELECT id FROM hub_case WHERE number = ?1",
            [&b.number],
            |r| r.get(0),
        )
        .optional()?;
    match (taken, state_of(tx, &b.case_id, device)?) {
        (None, _) => {
            tx.execute(
                "INSERT INTO hub_case (id, number, device_id, item_code, state, payload,
                   accepted_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, 'refusal_requested', ?5, ?6, ?7)",
                params![
                    b.case_id,
                    b.number,
                    device,
                    b.item_code,
                    op.payload.to_string(),
                    ts(b.at),
                    ts(now)
                ],
            )?;
        }
        // Sent back before, or returned for correction and reopened at the window.
        (Some(id), Some(state))
            if id == b.case_id && matches!(state.as_str(), "refusal_sent_back" | "returned") =>
        {
            tx.execute(
                "UPDATE hub_case SET state = 'refusal_requested', payload = ?2, updated_at = ?3
                 WHERE id = ?1",
                params![b.case_id, op.payload.to_string(), ts(now)],
            )?;
        }
        (Some(_), Some(state)) => {
            return Ok(Err(Reject(format!(
                "办件在中心为“{state}”，不能申请不予受理"
            ))));
        }
        (Some(_), None) => {
            return Ok(Err(Reject(format!(
                "办件编号 {} 已被另一办件使用",
                b.number
            ))));
        }
    }
    event(tx, &b.case_id, op, now)?;
    Ok(Ok(()))
}

/// `case.refusal_answered`: a supervisor answered at the desk (offline, by take-over).
pub(crate) fn apply_answered(
    tx: &Tx<'_>,
    device: &str,
    op: &Op,
    b: &RefusalAnswered,
    now: DateTime<Utc>,
) -> Result<Applied> {
    match state_of(tx, &b.case_id, device)?.as_deref() {
        Some("refusal_requested") => {}
        Some(other) => {
            return Ok(Err(Reject(format!(
                "办件在中心为“{other}”，该不予受理申请已有答复"
            ))));
        }
        None => return Ok(Err(Reject("中心没有该不予受理申请".into()))),
    }
    // Only a supervisor of the desk's centre answers, and never the one who asked.
    let (centre, asked_by): (String, String) = tx.query_row(
        "SELECT d.centre, coalesce(json_extract(c.payload, '$.by'), '') FROM hub_case c
         JOIN device d ON d.id = c.device_id WHERE c.id = ?1",
        [&b.case_id],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    let answerer: Option<(String, String, Option<String>, bool)> = tx
        .query_row(
            "SELECT u.role, u.centre, ce.level, u.disabled = 0 FROM hub_user u
             LEFT JOIN centre ce ON ce.code = u.centre WHERE u.name = ?1",
            [&b.by],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .optional()?;
    let allowed = answerer.is_some_and(|(role, at, level, enabled)| {
        enabled && role == "supervisor" && (at == centre || level.as_deref() == Some("county"))
    });
    if !allowed || b.by == asked_by {
        return Ok(Err(Reject(format!(
            "{} 不是本中心的主管，或是申请人本人，不能答复该不予受理申请",
            b.by
        ))));
    }
    let state = if b.confirmed {
        "refused"
    } else {
        "refusal_sent_back"
    };
    tx.execute(
        "UPDATE hub_case SET state = ?2, updated_at = ?3 WHERE id = ?1",
        params![b.case_id, state, ts(now)],
    )?;
    event(tx, &b.case_id, op, now)?;
    Ok(Ok(()))
}

/// `case.withdrawn`: known to the hub or not, the case ends there as withdrawn.
pub(crate) fn apply_withdrawn(
    tx: &Tx<'_>,
    device: &str,
    op: &Op,
    b: &Withdrawn,
    now: DateTime<Utc>,
) -> Result<Applied> {
    if !plain(&b.case_id) || !plain(&b.number) {
        return Ok(Err(Reject("撤回记录缺少办件编号".into())));
    }
    match state_of(tx, &b.case_id, device)?.as_deref() {
        Some("refusal_requested" | "refusal_sent_back" | "handed_off" | "returned") => {
            tx.execute(
                "UPDATE hub_case SET state = 'withdrawn', updated_at = ?2 WHERE id = ?1",
                params![b.case_id, ts(now)],
            )?;
        }
        Some("withdrawn") => {}
        Some(other) => {
            return Ok(Err(Reject(format!("办件在中心为“{other}”，不能撤回"))));
        }
        None => {
            let taken: bool = tx.query_row(
                "SELECT EXISTS (SELECT 1 FROM hub_case WHERE number = ?1)",
                [&b.number],
                |r| r.get(0),
            )?;
            if taken {
                return Ok(Err(Reject(format!(
                    "办件编号 {} 已被另一办件使用",
                    b.number
                ))));
            }
            tx.execute(
                "INSERT INTO hub_case (id, number, device_id, item_code, state, payload,
                   accepted_at, updated_at)
                 VALUES (?1, ?2, ?3, ?4, 'withdrawn', ?5, ?6, ?7)",
                params![
                    b.case_id,
                    b.number,
                    device,
                    b.item_code,
                    op.payload.to_string(),
                    ts(b.at),
                    ts(now)
                ],
            )?;
        }
    }
    event(tx, &b.case_id, op, now)?;
    Ok(Ok(()))
}

/// A refusal request waiting for a supervisor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingRefusal {
    pub number: String,
    pub item_name: String,
    pub applicant_masked: String,
    pub reason: String,
    pub basis: String,
    pub by: String,
    pub at: String,
    pub desk_name: String,
    pub centre: String,
    pub centre_name: String,
}

impl HubStore {
    /// Refusal requests waiting for an answer, of `centre` (every centre's with `None`),
    /// oldest first.
    pub fn pending_refusals(&self, centre: Option<&str>) -> Result<Vec<PendingRefusal>> {
        let mut q = self.conn.prepare(
            "SELECT c.number, coalesce(json_extract(ch.body, '$.name'), c.item_code), c.payload,
                    d.desk_name, d.centre, coalesce(ce.name, d.centre)
             FROM hub_case c JOIN device d ON d.id = c.device_id
             LEFT JOIN centre ce ON ce.code = d.centre
             LEFT JOIN catalog_entity e ON e.entity = 'item' AND e.key = c.item_code
             LEFT JOIN catalog_change ch ON ch.seq = e.seq
             WHERE c.state = 'refusal_requested' AND (CAST(?1 AS TEXT) IS NULL OR d.centre = ?1)
             ORDER BY c.updated_at, c.number",
        )?;
        let rows = q.query_map([centre], |r| {
            let payload: String = r.get(2)?;
            let p: serde_json::Value = serde_json::from_str(&payload).unwrap_or_default();
            let text = |k: &str| p[k].as_str().unwrap_or("").to_string();
            Ok(PendingRefusal {
                number: r.get(0)?,
                item_name: r.get(1)?,
                applicant_masked: text("applicant_masked"),
                reason: text("reason"),
                basis: text("basis"),
                by: text("by"),
                at: text("at"),
                desk_name: r.get(3)?,
                centre: r.get(4)?,
                centre_name: r.get(5)?,
            })
        })?;
        Ok(rows.collect::<crate::db::DbResult<_>>()?)
    }

    /// A supervisor's answer (of `centre`, or any with `None`): confirmed, or sent back with
    /// a note. The requesting desk gets it on its results stream.
    pub fn answer_refusal(
        &mut self,
        centre: Option<&str>,
        number: &str,
        confirm: bool,
        note: &str,
        by: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let note = note.trim();
        if !confirm && note.chars().count() < 2 {
            return Err(bad(
                "sending a refusal request back needs a note for the clerk",
            ));
        }
        let tx = self.conn.transaction()?;
        let found: Option<(String, String, String)> = tx
            .query_row(
                "SELECT c.id, c.device_id, coalesce(json_extract(c.payload, '$.by'), '')
                 FROM hub_case c JOIN device d ON d.id = c.device_id
                 WHERE c.number = ?1 AND c.state = 'refusal_requested'
                   AND (CAST(?2 AS TEXT) IS NULL OR d.centre = ?2)",
                params![number, centre],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        let Some((id, device, asked_by)) = found else {
            return Err(bad(format!("no refusal request {number} waiting here")));
        };
        if asked_by == by {
            return Err(bad(
                "the one who asked to refuse does not answer the request",
            ));
        }
        let (state, action) = if confirm {
            ("refused", "refusal_confirmed")
        } else {
            ("refusal_sent_back", "refusal_sent_back")
        };
        tx.execute(
            "UPDATE hub_case SET state = ?2, updated_at = ?3 WHERE id = ?1",
            params![id, state, ts(now)],
        )?;
        tx.execute(
            "INSERT INTO case_result (case_id, device_id, action, note, by_user, at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                id,
                device,
                action,
                (!note.is_empty()).then_some(note),
                by,
                ts(now)
            ],
        )?;
        tx.commit()?;
        self.new_results.push(device.clone());
        self.audit_hub(by, "refusal_answer", number, action, Some(note), now)?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use onewindow_proto::{Op, OpKind, OpStatus};

    use crate::store::HubStore;

    fn now() -> chrono::DateTime<chrono::Utc> {
        "2026-11-27T03:00:00Z".parse().unwrap()
    }

    fn op(id: u32, kind: OpKind, payload: serde_json::Value) -> Op {
        Op {
            op_id: format!("0190f0f0-0000-7000-8000-{id:012}"),
            device_seq: id as i64,
            schema_version: 1,
            kind: kind.as_str().into(),
            payload,
        }
    }

    #[test]
    fn only_another_supervisor_of_the_centre_answers_a_refusal_request() {
        let mut s = HubStore::open_in_memory().unwrap();
        for (name, role) in [
            ("li", "clerk"),
            ("zhou", "supervisor"),
            ("qian", "supervisor"),
        ] {
            s.add_user(name, role, &[], "MAIN", "a long password", now())
                .unwrap();
        }
        let (code, _) = s.create_enrol_code("1 号窗口", Some("W01"), now()).unwrap();
        let dev = s.enrol(&code, now()).unwrap().device_id;
        let at = "2026-11-27T03:00:00Z";
        let asked = serde_json::json!({"case_id": "c1", "number": "W01-20261127-0001",
            "item_code": "00017200100002", "reason": "不属本中心受理范围", "basis": "某法第八条",
            "by": "zhou", "at": at});
        let answer = |by: &str| {
            serde_json::json!({"case_id": "c1", "number": "W01-20261127-0001",
                "confirmed": true, "by": by, "at": at})
        };
        let r = s
            .apply_ops(
                &dev,
                &[
                    op(1, OpKind::RefusalRequested, asked),
                    op(2, OpKind::RefusalAnswered, answer("li")),
                    op(3, OpKind::RefusalAnswered, answer("zhou")),
                    op(4, OpKind::RefusalAnswered, answer("qian")),
                ],
                now(),
            )
            .unwrap();
        let status: Vec<OpStatus> = r.iter().map(|r| r.status).collect();
        assert_eq!(
            status,
            [
                OpStatus::Applied,
                OpStatus::Rejected,
                OpStatus::Rejected,
                OpStatus::Applied
            ],
            "a clerk, then the requester, are refused; another supervisor answers"
        );
        assert!(
            s.answer_refusal(None, "W01-20261127-0001", true, "", "qian", now())
                .is_err(),
            "answered once"
        );
    }
}
