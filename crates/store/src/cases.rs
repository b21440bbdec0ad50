//! Cases, their append-only events and the outbox. A case number is
//! `{desk code}-{yyyymmdd}-{NNNN}`, counted per desk and day in the same transaction that makes
//! the case, so numbers never collide offline and are never reused. Every state change commits
//! with its event and, when the hub must learn of it, its outbox op.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use onewindow_domain::applicant::Applicant;
use onewindow_domain::case::{CaseAction, CaseState};
use onewindow_proto::{OpBody, ops};
use rusqlite::{OptionalExtension, Transaction, params};
use serde::{Serialize, de::DeserializeOwned};
use uuid::Uuid;

use crate::{Result, Store, StoreError};

/// The outbox schema of the ops written here.
pub const OP_SCHEMA_VERSION: i64 = 1;

/// Who does something, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub user: String,
    pub desk: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCase {
    pub item_code: String,
    pub scenario_code: Option<String>,
    /// The calendar day at the window, for the number (the desk's local date).
    pub local_date: NaiveDate,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseRow {
    pub id: String,
    pub number: String,
    pub item_code: String,
    pub scenario_code: Option<String>,
    /// The 一件事 case this case is a member of.
    pub bundle_case: Option<String>,
    pub state: CaseState,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseEventRow {
    /// `None` for the event that created the case.
    pub action: Option<CaseAction>,
    pub from_state: Option<CaseState>,
    pub to_state: CaseState,
    pub actor: String,
    pub desk: String,
    pub at: String,
    pub reason: Option<String>,
}

/// A file attached to a case (its bytes are in the intake blob store under `sha256`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    pub sha256: String,
    /// Material position in the scenario; `None` = the unsorted tray.
    pub slot: Option<usize>,
    pub original_name: String,
    pub size: u64,
    /// jpeg | png | pdf.
    pub kind: String,
    pub pages: Option<u32>,
}

impl Attachment {
    /// The file as an op names it.
    pub fn to_ref(&self) -> ops::FileRef {
        ops::FileRef {
            sha256: self.sha256.clone(),
            slot: self.slot,
            name: self.original_name.clone(),
            kind: self.kind.clone(),
            size: self.size,
            pages: self.pages,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxOp {
    pub op_id: String,
    pub device_seq: i64,
    pub schema_version: i64,
    pub kind: String,
    pub payload: serde_json::Value,
}

/// Stores a serde enum as its snake_case name.
pub(crate) fn enc<T: Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(serde_json::Value::String(s)) => s,
        other => unreachable!("unit enum serialises to a string, got {other:?}"),
    }
}

pub(crate) fn dec<T: DeserializeOwned>(s: &str) -> rusqlite::Result<T> {
    serde_json::from_value(serde_json::Value::String(s.to_string())).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, Box::new(e))
    })
}

pub(crate) use onewindow_domain::time::stamp as ts;

pub fn uuid_v7(at: DateTime<Utc>) -> String {
    let t = uuid::Timestamp::from_unix(
        uuid::NoContext,
        at.timestamp() as u64,
        at.timestamp_subsec_nanos(),
    );
    Uuid::new_v7(t).to_string()
}

pub(crate) fn bad_input(detail: String) -> StoreError {
    StoreError::BadInput(detail)
}

fn check_desk(desk: &str) -> Result<()> {
    if !onewindow_domain::provision::is_desk_code(desk) {
        return Err(bad_input(format!(
            "desk code {desk:?} must be 1–16 ASCII letters, digits or inner dashes"
        )));
    }
    Ok(())
}

/// Inserts a draft case with the next number for its desk and day, and its creating event.
fn insert_case(
    tx: &Transaction<'_>,
    new: &NewCase,
    bundle_case: Option<&str>,
    who: &Actor,
    at: DateTime<Utc>,
) -> Result<String> {
    let prefix = format!("{}-{}", who.desk, new.local_date.format("%Y%m%d"));
    let seq: i64 = tx.query_row(
        "INSERT INTO case_counter (prefix, last) VALUES (?1, 1)
         ON CONFLICT(prefix) DO UPDATE SET last = last + 1 RETURNING last",
        [&prefix],
        |r| r.get(0),
    )?;
    if seq > 9999 {
        return Err(bad_input(format!(
            "case numbers for {prefix} are used up (9999)"
        )));
    }
    let id = uuid_v7(at);
    let number = format!("{prefix}-{seq:04}");
    let now = ts(at);
    tx.execute(
        "INSERT INTO case_record (id, number, item_code, scenario_code, bundle_case, state, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?7)",
        params![id, number, new.item_code, new.scenario_code, bundle_case, enc(&CaseState::Draft), now],
    )?;
    tx.execute(
        "INSERT INTO case_event (case_id, action, from_state, to_state, actor, desk, at, reason)
         VALUES (?1, 'create', NULL, ?2, ?3, ?4, ?5, NULL)",
        params![id, enc(&CaseState::Draft), who.user, who.desk, now],
    )?;
    Ok(id)
}

/// [`Store::attach`] inside a transaction the caller commits.
pub(crate) fn attach_in(
    tx: &Transaction<'_>,
    case_id: &str,
    file: &Attachment,
    at: DateTime<Utc>,
) -> Result<bool> {
    let case =
        read_case(tx, case_id)?.ok_or_else(|| StoreError::CaseNotFound(case_id.to_string()))?;
    if !matches!(case.state, CaseState::Draft | CaseState::Accepted) {
        return Err(StoreError::Transition {
            number: case.number,
            reason_zh: format!("办件当前为“{}”，不能再添加材料", case.state.label()),
        });
    }
    keep_blob(tx, &file.sha256, at)?;
    let added = tx.execute(
        "INSERT INTO case_material (case_id, sha256, slot, original_name, size, kind, pages, added_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
         ON CONFLICT(case_id, sha256) DO NOTHING",
        params![
            case_id,
            file.sha256,
            file.slot.map(|s| s as i64),
            file.original_name,
            file.size as i64,
            file.kind,
            file.pages.map(i64::from),
            ts(at)
        ],
    )?;
    if added == 1 && case.state == CaseState::Accepted {
        let body = OpBody::MaterialAdded(ops::MaterialAdded {
            case_id: case.id,
            number: case.number,
            file: file.to_ref(),
            at: Some(at),
        });
        push_op(tx, &body, at)?;
    }
    Ok(added == 1)
}

/// Notes that a record holds the blob `sha256`, so recovery at start leaves it alone.
pub(crate) fn keep_blob(tx: &Transaction<'_>, sha256: &str, at: DateTime<Utc>) -> Result<()> {
    tx.execute(
        "INSERT INTO kept_blob (sha256, kept_at) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
        params![sha256, ts(at)],
    )?;
    Ok(())
}

pub(crate) fn read_case(tx: &Transaction<'_>, id: &str) -> Result<Option<CaseRow>> {
    Ok(tx
        .prepare_cached(
            "SELECT id, number, item_code, scenario_code, bundle_case, state, created_at, updated_at
             FROM case_record WHERE id = ?1",
        )?
        .query_row([id], |r| {
            Ok(CaseRow {
                id: r.get(0)?,
                number: r.get(1)?,
                item_code: r.get(2)?,
                scenario_code: r.get(3)?,
                bundle_case: r.get(4)?,
                state: dec(&r.get::<_, String>(5)?)?,
                created_at: r.get(6)?,
                updated_at: r.get(7)?,
            })
        })
        .optional()?)
}

pub(crate) fn push_op(tx: &Transaction<'_>, body: &OpBody, at: DateTime<Utc>) -> Result<()> {
    let payload = body.to_payload().to_string();
    push_op_raw(tx, OP_SCHEMA_VERSION, body.kind().as_str(), &payload, at).map(drop)
}

/// Appends one op to the outbox; returns its new op id.
pub(crate) fn push_op_raw(
    tx: &Transaction<'_>,
    schema_version: i64,
    kind: &str,
    payload: &str,
    at: DateTime<Utc>,
) -> Result<String> {
    let op_id = uuid_v7(at);
    let seq: i64 = tx.query_row(
        "SELECT coalesce(max(device_seq), 0) + 1 FROM outbox",
        [],
        |r| r.get(0),
    )?;
    tx.execute(
        "INSERT INTO outbox (op_id, device_seq, schema_version, kind, payload, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![op_id, seq, schema_version, kind, payload, ts(at)],
    )?;
    Ok(op_id)
}

/// After a member of a 一件事 moved: the 一件事's own case follows (handed off, decided, ready
/// and delivered with its members; back to the window when one is returned), each step an
/// event of its own, inside the caller's transaction. Nothing for a case outside a 一件事.
pub(crate) fn follow_members(
    tx: &Transaction<'_>,
    member_id: &str,
    who: &Actor,
    at: DateTime<Utc>,
) -> Result<()> {
    let Some(head_id) = read_case(tx, member_id)?.and_then(|c| c.bundle_case) else {
        return Ok(());
    };
    let Some(head) = read_case(tx, &head_id)? else {
        return Ok(());
    };
    let members: Vec<CaseState> = tx
        .prepare_cached("SELECT state FROM case_record WHERE bundle_case = ?1")?
        .query_map([&head_id], |r| r.get::<_, String>(0))?
        .map(|s| dec(&s?))
        .collect::<rusqlite::Result<_>>()?;
    for action in onewindow_domain::case::bundle_steps(head.state, &members) {
        step(
            tx,
            &head_id,
            action,
            who,
            at,
            Some("随一件事各事项办理进展"),
        )?;
    }
    Ok(())
}

/// One state change with its event, inside the caller's transaction. Returns the case before
/// and after.
pub(crate) fn step(
    tx: &Transaction<'_>,
    case_id: &str,
    action: CaseAction,
    who: &Actor,
    at: DateTime<Utc>,
    reason: Option<&str>,
) -> Result<(CaseRow, CaseRow)> {
    let case =
        read_case(tx, case_id)?.ok_or_else(|| StoreError::CaseNotFound(case_id.to_string()))?;
    let next = case
        .state
        .apply(action)
        .map_err(|reason_zh| StoreError::Transition {
            number: case.number.clone(),
            reason_zh,
        })?;
    let now = ts(at);
    tx.execute(
        "UPDATE case_record SET state = ?2, updated_at = ?3 WHERE id = ?1",
        params![case_id, enc(&next), now],
    )?;
    tx.execute(
        "INSERT INTO case_event (case_id, action, from_state, to_state, actor, desk, at, reason)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            case_id,
            enc(&action),
            enc(&case.state),
            enc(&next),
            who.user,
            who.desk,
            now,
            reason
        ],
    )?;
    // Every state change is audited with it, in the same transaction.
    crate::audit::append(
        tx,
        &crate::audit::Audit {
            actor: &who.user,
            desk: &who.desk,
            action: "state",
            object: &case.number,
            result: "ok",
            detail: Some(&format!(
                "{}: {} → {}",
                enc(&action),
                enc(&case.state),
                enc(&next)
            )),
        },
        at,
    )?;
    let after = read_case(tx, case_id)?.expect("exists");
    Ok((case, after))
}

impl Store {
    /// Makes a draft case with the desk's next number for that day.
    pub fn create_case(
        &mut self,
        new: &NewCase,
        who: &Actor,
        at: DateTime<Utc>,
    ) -> Result<CaseRow> {
        check_desk(&who.desk)?;
        let tx = self.conn.transaction()?;
        let id = insert_case(&tx, new, None, who, at)?;
        let row = read_case(&tx, &id)?.expect("just inserted");
        tx.commit()?;
        Ok(row)
    }

    /// 一件事: one bundle case and one member case per item, linked, in one transaction.
    pub fn create_bundle_case(
        &mut self,
        bundle_code: &str,
        members: &[NewCase],
        who: &Actor,
        at: DateTime<Utc>,
    ) -> Result<(CaseRow, Vec<CaseRow>)> {
        check_desk(&who.desk)?;
        let Some(first) = members.first() else {
            return Err(bad_input(format!(
                "bundle {bundle_code} has no member items"
            )));
        };
        let tx = self.conn.transaction()?;
        let bundle = NewCase {
            item_code: bundle_code.to_string(),
            scenario_code: None,
            local_date: first.local_date,
        };
        let bundle_id = insert_case(&tx, &bundle, None, who, at)?;
        let mut rows = Vec::with_capacity(members.len());
        for m in members {
            let id = insert_case(&tx, m, Some(&bundle_id), who, at)?;
            rows.push(read_case(&tx, &id)?.expect("just inserted"));
        }
        let head = read_case(&tx, &bundle_id)?.expect("just inserted");
        tx.commit()?;
        Ok((head, rows))
    }

    /// The member cases of a bundle case, in the order they were made.
    pub fn bundle_members(&self, bundle_case: &str) -> Result<Vec<CaseRow>> {
        let ids: Vec<String> = self
            .conn
            .prepare_cached("SELECT id FROM case_record WHERE bundle_case = ?1 ORDER BY number")?
            .query_map([bundle_case], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        ids.iter()
            .map(|id| self.case(id).map(|c| c.expect("listed")))
            .collect()
    }

    /// Saves what the window took in (applicant, form values) while the case is a draft.
    pub fn save_intake(
        &mut self,
        case_id: &str,
        applicant: &Applicant,
        form: &BTreeMap<String, String>,
        at: DateTime<Utc>,
    ) -> Result<()> {
        let tx = self.conn.transaction()?;
        let case = read_case(&tx, case_id)?
            .ok_or_else(|| StoreError::CaseNotFound(case_id.to_string()))?;
        if case.state != CaseState::Draft {
            return Err(StoreError::Transition {
                number: case.number,
                reason_zh: format!("办件当前为“{}”，申请信息不能再修改", case.state.label()),
            });
        }
        tx.execute(
            "UPDATE case_record SET applicant = ?2, form = ?3, updated_at = ?4 WHERE id = ?1",
            params![
                case_id,
                serde_json::to_string(applicant).expect("applicant serialises"),
                serde_json::to_string(form).expect("form serialises"),
                ts(at)
            ],
        )?;
        tx.commit()?;
        Ok(())
    }

    pub fn intake(&self, case_id: &str) -> Result<(Option<Applicant>, BTreeMap<String, String>)> {
        let (applicant, form): (Option<String>, String) = self
            .conn
            .query_row(
                "SELECT applicant, form FROM case_record WHERE id = ?1",
                [case_id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?
            .ok_or_else(|| StoreError::CaseNotFound(case_id.to_string()))?;
        let bad = |source| StoreError::BadStoredJson {
            what: format!("intake of case {case_id}"),
            source,
        };
        Ok((
            applicant
                .map(|a| serde_json::from_str(&a))
                .transpose()
                .map_err(bad)?,
            serde_json::from_str(&form).map_err(bad)?,
        ))
    }

    /// Attaches a stored file to a case, in a material slot or (`None`) the unsorted tray.
    /// The same file again is not a second attachment: returns `false` and changes nothing.
    /// A draft takes files freely; an accepted case only for its open 容缺 items, and then the
    /// hub is told in the same transaction (`case.material_added`). Other states refuse.
    pub fn attach(&mut self, case_id: &str, file: &Attachment, at: DateTime<Utc>) -> Result<bool> {
        let tx = self.conn.transaction()?;
        let added = attach_in(&tx, case_id, file, at)?;
        tx.commit()?;
        Ok(added)
    }

    /// Takes a file off a draft case (a replaced card photo). The blob stays in the store.
    pub fn detach(&mut self, case_id: &str, sha256: &str) -> Result<()> {
        let tx = self.conn.transaction()?;
        let case = read_case(&tx, case_id)?
            .ok_or_else(|| StoreError::CaseNotFound(case_id.to_string()))?;
        if case.state != CaseState::Draft {
            return Err(StoreError::Transition {
                number: case.number,
                reason_zh: format!("办件当前为“{}”，材料不能再移除", case.state.label()),
            });
        }
        tx.execute(
            "DELETE FROM case_material WHERE case_id = ?1 AND sha256 = ?2",
            params![case_id, sha256],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Moves an attached file to another slot (or the tray).
    pub fn move_attachment(
        &mut self,
        case_id: &str,
        sha256: &str,
        slot: Option<usize>,
    ) -> Result<()> {
        let n = self.conn.execute(
            "UPDATE case_material SET slot = ?3 WHERE case_id = ?1 AND sha256 = ?2",
            params![case_id, sha256, slot.map(|s| s as i64)],
        )?;
        if n == 0 {
            return Err(bad_input(format!("case {case_id} has no file {sha256}")));
        }
        Ok(())
    }

    pub fn attachments(&self, case_id: &str) -> Result<Vec<Attachment>> {
        let mut q = self.conn.prepare_cached(
            "SELECT sha256, slot, original_name, size, kind, pages FROM case_material
             WHERE case_id = ?1 ORDER BY slot IS NULL, slot, added_at, sha256",
        )?;
        let rows = q.query_map([case_id], |r| {
            Ok(Attachment {
                sha256: r.get(0)?,
                slot: r.get::<_, Option<i64>>(1)?.map(|s| s as usize),
                original_name: r.get(2)?,
                size: r.get::<_, i64>(3)? as u64,
                kind: r.get(4)?,
                pages: r.get::<_, Option<i64>>(5)?.map(|p| p as u32),
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Applies `action` to the case (and, for a 一件事 case, to its members): the new states,
    /// their events and (for an acceptance) the hand-off ops commit together; a refused
    /// transition changes nothing. Acceptance with pledges and open items is [`Store::accept`].
    pub fn transition(
        &mut self,
        case_id: &str,
        action: CaseAction,
        who: &Actor,
        at: DateTime<Utc>,
        reason: Option<&str>,
    ) -> Result<CaseRow> {
        if action == CaseAction::Accept {
            let members = self.bundle_members(case_id)?;
            let hand_offs: Vec<(String, ops::HandOffDetail)> = if members.is_empty() {
                vec![(case_id.to_string(), ops::HandOffDetail::default())]
            } else {
                // After a return only the members back at the window go again.
                members
                    .into_iter()
                    .filter(|m| m.state == CaseState::Draft)
                    .map(|m| (m.id, ops::HandOffDetail::default()))
                    .collect()
            };
            return self.accept(case_id, who, at, &[], &hand_offs);
        }
        self.transition_inner(case_id, action, who, at, reason, None, &[])
    }

    /// An op that is about no case's state (a 办不成事 record): queued for the hub.
    pub fn queue_report(&mut self, report: &OpBody, at: DateTime<Utc>) -> Result<()> {
        let tx = self.conn.transaction()?;
        push_op(&tx, report, at)?;
        tx.commit()?;
        Ok(())
    }

    /// [`Store::transition`] with an op that tells the hub of it (a refusal request, its
    /// answer, a withdrawal), queued in the same transaction.
    pub fn transition_reported(
        &mut self,
        case_id: &str,
        action: CaseAction,
        who: &Actor,
        at: DateTime<Utc>,
        reason: Option<&str>,
        reports: &[OpBody],
    ) -> Result<CaseRow> {
        self.transition_inner(case_id, action, who, at, reason, None, reports)
    }

    /// 一次性告知书: the case waits for correction, and the hub is told of the notice (for the
    /// hall's figures, with the queue ticket being served, if any), in one transaction.
    pub fn notify_correction(
        &mut self,
        case_id: &str,
        who: &Actor,
        at: DateTime<Utc>,
        items: &str,
        ticket_id: Option<&str>,
    ) -> Result<CaseRow> {
        self.transition_inner(
            case_id,
            CaseAction::NotifyCorrection,
            who,
            at,
            Some(items),
            ticket_id,
            &[],
        )
    }

    #[allow(clippy::too_many_arguments)]
    fn transition_inner(
        &mut self,
        case_id: &str,
        action: CaseAction,
        who: &Actor,
        at: DateTime<Utc>,
        reason: Option<&str>,
        ticket_id: Option<&str>,
        reports: &[OpBody],
    ) -> Result<CaseRow> {
        let tx = self.conn.transaction()?;
        let (_, row) = step(&tx, case_id, action, who, at, reason)?;
        for body in reports {
            push_op(&tx, body, at)?;
        }
        if action == CaseAction::NotifyCorrection {
            let body = OpBody::NoticeIssued(ops::NoticeIssued {
                case_id: row.id.clone(),
                number: row.number.clone(),
                item_code: row.item_code.clone(),
                ticket_id: ticket_id.map(str::to_string),
                by: who.user.clone(),
                desk: who.desk.clone(),
                at,
            });
            push_op(&tx, &body, at)?;
        }
        let members: Vec<String> = tx
            .prepare_cached("SELECT id FROM case_record WHERE bundle_case = ?1 ORDER BY number")?
            .query_map([case_id], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        for m in members {
            // A 一件事 reopened after a return: only its returned members come back; the
            // others stay where the back office has them.
            if action == CaseAction::Reopen
                && read_case(&tx, &m)?.is_some_and(|c| c.state.apply(action).is_err())
            {
                continue;
            }
            step(&tx, &m, action, who, at, reason)?;
        }
        if matches!(
            action,
            CaseAction::Refuse | CaseAction::ConfirmRefusal | CaseAction::Withdraw
        ) {
            tx.execute("DELETE FROM case_elicence WHERE case_id = ?1", [case_id])?;
        }
        tx.commit()?;
        Ok(row)
    }

    pub fn case(&self, id: &str) -> Result<Option<CaseRow>> {
        let tx = self.conn.unchecked_transaction()?;
        read_case(&tx, id)
    }

    pub fn case_events(&self, case_id: &str) -> Result<Vec<CaseEventRow>> {
        let mut q = self.conn.prepare_cached(
            "SELECT action, from_state, to_state, actor, desk, at, reason
             FROM case_event WHERE case_id = ?1 ORDER BY id",
        )?;
        let rows = q.query_map([case_id], |r| {
            let action: String = r.get(0)?;
            Ok(CaseEventRow {
                action: if action == "create" {
                    None
                } else {
                    Some(dec(&action)?)
                },
                from_state: r
                    .get::<_, Option<String>>(1)?
                    .map(|s| dec(&s))
                    .transpose()?,
                to_state: dec(&r.get::<_, String>(2)?)?,
                actor: r.get(3)?,
                desk: r.get(4)?,
                at: r.get(5)?,
                reason: r.get(6)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Ops waiting for the hub, oldest first.
    pub fn outbox(&self) -> Result<Vec<OutboxOp>> {
        let mut q = self.conn.prepare_cached(
            "SELECT op_id, device_seq, schema_version, kind, payload FROM outbox ORDER BY device_seq",
        )?;
        let rows = q.query_map([], |r| {
            let payload: String = r.get(4)?;
            Ok(OutboxOp {
                op_id: r.get(0)?,
                device_seq: r.get(1)?,
                schema_version: r.get(2)?,
                kind: r.get(3)?,
                payload: serde_json::from_str(&payload).map_err(|e| {
                    rusqlite::Error::FromSqlConversionFailure(
                        4,
                        rusqlite::types::Type::Text,
                        Box::new(e),
                    )
                })?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use CaseAction as A;
    use onewindow_proto::OpKind;

    fn clerk() -> Actor {
        Actor {
            user: "zhangsan".into(),
            desk: "RC01".into(),
        }
    }

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn new(day: &str) -> NewCase {
        NewCase {
            item_code: "000105001001".into(),
            scenario_code: Some("000105001001-01".into()),
            local_date: day.parse().unwrap(),
        }
    }

    #[test]
    fn numbers_count_per_desk_and_day() {
        let mut s = Store::open_in_memory().unwrap();
        let t = at("2026-11-27T01:00:00Z");
        let a = s.create_case(&new("2026-11-27"), &clerk(), t).unwrap();
        let b = s.create_case(&new("2026-11-27"), &clerk(), t).unwrap();
        let c = s.create_case(&new("2026-11-28"), &clerk(), t).unwrap();
        let other = Actor {
            desk: "RC02".into(),
            ..clerk()
        };
        let d = s.create_case(&new("2026-11-27"), &other, t).unwrap();
        assert_eq!(
            [a.number, b.number, c.number, d.number],
            [
                "RC01-20261127-0001",
                "RC01-20261127-0002",
                "RC01-20261128-0001",
                "RC02-20261127-0001"
            ]
        );
        assert_eq!(a.state, CaseState::Draft);
        assert_ne!(a.id, b.id);
        let err = s
            .create_case(
                &new("2026-11-27"),
                &Actor {
                    desk: "RC_01".into(),
                    ..clerk()
                },
                t,
            )
            .unwrap_err();
        assert_eq!(err.code().as_str(), "bad_input");
        // Provisioned windows (`XZ-01`): an inner dash is part of the code.
        let c = s
            .create_case(
                &new("2026-11-27"),
                &Actor {
                    desk: "XZ-01".into(),
                    ..clerk()
                },
                t,
            )
            .unwrap();
        assert_eq!(c.number, "XZ-01-20261127-0001");
    }

    #[test]
    fn acceptance_commits_state_event_and_hand_off_together() {
        let mut s = Store::open_in_memory().unwrap();
        let case = s
            .create_case(&new("2026-11-27"), &clerk(), at("2026-11-27T01:00:00Z"))
            .unwrap();
        let accepted = s
            .transition(
                &case.id,
                A::Accept,
                &clerk(),
                at("2026-11-27T01:05:00Z"),
                None,
            )
            .unwrap();
        assert_eq!(accepted.state, CaseState::Accepted);
        let ops = s.outbox().unwrap();
        assert_eq!(ops.len(), 1);
        assert_eq!(ops[0].kind, onewindow_proto::OpKind::HandOff.as_str());
        assert_eq!(ops[0].device_seq, 1);
        assert_eq!(ops[0].payload["number"], "RC01-20261127-0001");
        let events = s.case_events(&case.id).unwrap();
        assert_eq!(events.len(), 2);
        assert_eq!(events[1].action, Some(A::Accept));
        assert_eq!(events[1].from_state, Some(CaseState::Draft));
        assert_eq!(events[1].at, "2026-11-27T01:05:00.000Z");
    }

    #[test]
    fn refused_transition_changes_nothing_and_events_are_append_only() {
        let mut s = Store::open_in_memory().unwrap();
        let case = s
            .create_case(&new("2026-11-27"), &clerk(), at("2026-11-27T01:00:00Z"))
            .unwrap();
        let err = s
            .transition(
                &case.id,
                A::Deliver,
                &clerk(),
                at("2026-11-27T01:01:00Z"),
                None,
            )
            .unwrap_err();
        assert_eq!(err.code().as_str(), "case_transition");
        assert_eq!(
            err.to_string(),
            "case RC01-20261127-0001: 办件当前为“受理中”，不能出件"
        );
        assert_eq!(s.case_events(&case.id).unwrap().len(), 1);
        assert!(s.outbox().unwrap().is_empty());
        assert_eq!(s.case(&case.id).unwrap().unwrap().state, CaseState::Draft);

        let tamper = s.conn.execute("UPDATE case_event SET actor = 'x'", []);
        assert!(tamper.unwrap_err().to_string().contains("append-only"));
        let delete = s.conn.execute("DELETE FROM case_event", []);
        assert!(delete.unwrap_err().to_string().contains("append-only"));
    }

    #[test]
    fn bundle_case_links_one_case_per_member() {
        let mut s = Store::open_in_memory().unwrap();
        let t = at("2026-11-27T01:00:00Z");
        let members: Vec<NewCase> = ["000117001000", "000172002000", "000124001000"]
            .iter()
            .map(|code| NewCase {
                item_code: code.to_string(),
                scenario_code: Some(format!("{code}-01")),
                local_date: "2026-11-27".parse().unwrap(),
            })
            .collect();
        let (head, cases) = s
            .create_bundle_case("YJS371082002", &members, &clerk(), t)
            .unwrap();
        assert_eq!(head.number, "RC01-20261127-0001");
        assert_eq!(head.item_code, "YJS371082002");
        assert_eq!(cases.len(), 3);
        assert!(
            cases
                .iter()
                .all(|c| c.bundle_case.as_deref() == Some(head.id.as_str()))
        );
        assert_eq!(cases[2].number, "RC01-20261127-0004");
        assert_eq!(s.bundle_members(&head.id).unwrap(), cases);
        assert_eq!(
            s.create_bundle_case("YJS371082002", &[], &clerk(), t)
                .unwrap_err()
                .code()
                .as_str(),
            "bad_input"
        );
    }

    #[test]
    fn intake_and_attachments() {
        use onewindow_domain::applicant::{ApplicantKind, Assist};
        let mut s = Store::open_in_memory().unwrap();
        let t = at("2026-11-27T01:00:00Z");
        let case = s.create_case(&new("2026-11-27"), &clerk(), t).unwrap();
        let applicant = Applicant {
            kind: ApplicantKind::Person,
            name: "周建国".into(),
            number: "371082198410031615".into(),
            phone: Some("13812345678".into()),
            address: None,
            legal_rep: None,
            agent: None,
            assist: Some(Assist {
                helper: "帮办员 李四".into(),
                note: "协助填写申请表".into(),
            }),
            card: None,
        };
        let form: BTreeMap<String, String> =
            [("operator_name".to_string(), "周建国".to_string())].into();
        s.save_intake(&case.id, &applicant, &form, t).unwrap();
        assert_eq!(
            s.intake(&case.id).unwrap(),
            (Some(applicant.clone()), form.clone())
        );

        let file = |sha: &str, slot| Attachment {
            sha256: sha.into(),
            slot,
            original_name: "营业执照 副本.jpg".into(),
            size: 1024,
            kind: "jpeg".into(),
            pages: None,
        };
        assert!(s.attach(&case.id, &file("aa", Some(1)), t).unwrap());
        assert!(
            !s.attach(&case.id, &file("aa", None), t).unwrap(),
            "same file twice is one"
        );
        assert!(s.attach(&case.id, &file("bb", None), t).unwrap());
        s.move_attachment(&case.id, "bb", Some(0)).unwrap();
        let slots: Vec<_> = s
            .attachments(&case.id)
            .unwrap()
            .iter()
            .map(|a| (a.sha256.clone(), a.slot))
            .collect();
        assert_eq!(
            slots,
            vec![("bb".to_string(), Some(0)), ("aa".to_string(), Some(1))]
        );
        assert_eq!(
            s.attach("nope", &file("cc", None), t)
                .unwrap_err()
                .code()
                .as_str(),
            "case_not_found"
        );

        // Once accepted, the applicant's data is fixed.
        s.transition(&case.id, A::Accept, &clerk(), t, None)
            .unwrap();
        let err = s.save_intake(&case.id, &applicant, &form, t).unwrap_err();
        assert_eq!(err.code().as_str(), "case_transition");
    }

    #[test]
    fn notice_then_return_keeps_the_number() {
        let mut s = Store::open_in_memory().unwrap();
        let t = at("2026-11-27T01:00:00Z");
        let case = s.create_case(&new("2026-11-27"), &clerk(), t).unwrap();
        for (action, reason) in [
            (A::NotifyCorrection, Some("缺少租赁合同")),
            (A::Reopen, None),
            (A::Accept, None),
            (A::HandOffAcknowledged, None),
            (A::ReturnForCorrection, Some("经营场所地址与租赁合同不一致")),
            (A::Reopen, None),
        ] {
            s.transition(&case.id, action, &clerk(), t, reason).unwrap();
        }
        let now = s.case(&case.id).unwrap().unwrap();
        assert_eq!(now.number, case.number);
        assert_eq!(now.state, CaseState::Draft);
        let events = s.case_events(&case.id).unwrap();
        assert_eq!(events.len(), 7);
        assert_eq!(
            events[5].reason.as_deref(),
            Some("经营场所地址与租赁合同不一致")
        );
        let kinds: Vec<String> = s.outbox().unwrap().into_iter().map(|o| o.kind).collect();
        assert_eq!(
            kinds,
            [OpKind::NoticeIssued, OpKind::HandOff].map(OpKind::as_str),
            "the notice is told to the hub (for the figures), then one hand-off"
        );
    }
}
