//! What the window decides before and at acceptance: overrides with reasons, pledges,
//! acceptance itself (state, events, hand-off ops and follow-ups in one transaction), the
//! follow-up work list, printed documents and the e-licence lookups of open cases.

use chrono::{DateTime, NaiveDate, Utc};
use onewindow_domain::case::{CaseAction, CaseState};
use onewindow_domain::elicence::LicenceRecord;
use onewindow_proto::OpBody;
use onewindow_proto::ops::{self, HandOffDetail};
use rusqlite::{OptionalExtension, params};
use serde::{Deserialize, Serialize};

use crate::cases::{Actor, CaseRow, bad_input, dec, follow_members, push_op, read_case, step, ts};
use crate::{Result, Store, StoreError};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum FollowUpKind {
    /// A pledge (告知承诺) whose truth a supervisor must verify.
    PledgeCheck,
    /// A 容缺 material the applicant still has to bring.
    DeferredMaterial,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewFollowUp {
    pub kind: FollowUpKind,
    pub slot: usize,
    pub material: String,
    pub due: NaiveDate,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FollowUp {
    pub id: i64,
    pub case_id: String,
    pub case_number: String,
    pub item_code: String,
    pub kind: FollowUpKind,
    pub slot: usize,
    pub material: String,
    pub due: NaiveDate,
    pub created_at: String,
    pub done_at: Option<String>,
    pub done_by: Option<String>,
    pub done_note: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DocumentRow {
    pub id: i64,
    pub case_id: String,
    pub kind: String,
    pub file: String,
    pub sha256: String,
    pub actor: String,
    pub created_at: String,
}

fn must_be_draft(case: &CaseRow, what: &str) -> Result<()> {
    if case.state != CaseState::Draft {
        return Err(StoreError::Transition {
            number: case.number.clone(),
            reason_zh: format!("办件当前为“{}”，不能再{what}", case.state.label()),
        });
    }
    Ok(())
}

impl Store {
    fn draft_case(&self, case_id: &str, what: &str) -> Result<CaseRow> {
        let tx = self.conn.unchecked_transaction()?;
        let case = read_case(&tx, case_id)?
            .ok_or_else(|| StoreError::CaseNotFound(case_id.to_string()))?;
        must_be_draft(&case, what)?;
        Ok(case)
    }

    /// Chooses (or changes) the scenario of a draft case. Files, pledges and overrides are kept
    /// by material position, which a new scenario gives other meanings: on a change, files go
    /// back to the tray and the pledges and material overrides are dropped, all in one
    /// transaction.
    pub fn set_scenario(
        &mut self,
        case_id: &str,
        scenario_code: &str,
        at: DateTime<Utc>,
    ) -> Result<()> {
        let tx = self.conn.transaction()?;
        let case = read_case(&tx, case_id)?
            .ok_or_else(|| StoreError::CaseNotFound(case_id.to_string()))?;
        must_be_draft(&case, "更改办理情形")?;
        if case.scenario_code.as_deref() == Some(scenario_code) {
            return Ok(());
        }
        tx.execute(
            "UPDATE case_record SET scenario_code = ?2, updated_at = ?3 WHERE id = ?1",
            params![case_id, scenario_code, ts(at)],
        )?;
        // A 一件事 member's files and pledges live on the bundle case.
        let owner = case.bundle_case.clone().unwrap_or_else(|| case.id.clone());
        tx.execute(
            "UPDATE case_material SET slot = NULL WHERE case_id = ?1",
            [&owner],
        )?;
        tx.execute("DELETE FROM case_pledge WHERE case_id = ?1", [&owner])?;
        tx.execute(
            "DELETE FROM case_override WHERE case_id = ?1 AND finding_key LIKE '%@material:%'",
            [&owner],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Drops the overrides whose finding is about `target` (its value changed, so the written
    /// reason no longer speaks for it).
    pub fn drop_overrides_for(&mut self, case_id: &str, target: &str) -> Result<usize> {
        Ok(self.conn.execute(
            "DELETE FROM case_override WHERE case_id = ?1 AND substr(finding_key, instr(finding_key, '@') + 1) = ?2",
            params![case_id, target],
        )?)
    }

    /// Overrides a blocking finding with the clerk's written reason; `None` withdraws it.
    pub fn set_override(
        &mut self,
        case_id: &str,
        finding_key: &str,
        reason: Option<&str>,
        who: &Actor,
        at: DateTime<Utc>,
    ) -> Result<()> {
        self.draft_case(case_id, "修改预审意见")?;
        match reason.map(str::trim) {
            Some(r) if r.chars().count() >= 2 => {
                self.conn.execute(
                    "INSERT INTO case_override (case_id, finding_key, reason, actor, desk, at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                     ON CONFLICT(case_id, finding_key) DO UPDATE SET
                       reason = excluded.reason, actor = excluded.actor, desk = excluded.desk, at = excluded.at",
                    params![case_id, finding_key, r, who.user, who.desk, ts(at)],
                )?;
            }
            Some(_) => {
                return Err(bad_input(
                    "an override needs a written reason of at least 2 characters".into(),
                ));
            }
            None => {
                self.conn.execute(
                    "DELETE FROM case_override WHERE case_id = ?1 AND finding_key = ?2",
                    params![case_id, finding_key],
                )?;
            }
        }
        Ok(())
    }

    /// Finding key → reason.
    pub fn overrides(&self, case_id: &str) -> Result<Vec<(String, String)>> {
        let mut q = self.conn.prepare_cached(
            "SELECT finding_key, reason FROM case_override WHERE case_id = ?1 ORDER BY finding_key",
        )?;
        let rows = q.query_map([case_id], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Marks (or unmarks) a material as replaced by the applicant's pledge.
    pub fn set_pledge(
        &mut self,
        case_id: &str,
        slot: usize,
        material: &str,
        pledged: bool,
        who: &Actor,
        at: DateTime<Utc>,
    ) -> Result<()> {
        self.draft_case(case_id, "修改告知承诺")?;
        if pledged {
            self.conn.execute(
                "INSERT INTO case_pledge (case_id, slot, material, actor, desk, at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT(case_id, slot) DO NOTHING",
                params![case_id, slot as i64, material, who.user, who.desk, ts(at)],
            )?;
        } else {
            self.conn.execute(
                "DELETE FROM case_pledge WHERE case_id = ?1 AND slot = ?2",
                params![case_id, slot as i64],
            )?;
        }
        Ok(())
    }

    /// Pledged material positions and names.
    pub fn pledges(&self, case_id: &str) -> Result<Vec<(usize, String)>> {
        let mut q = self.conn.prepare_cached(
            "SELECT slot, material FROM case_pledge WHERE case_id = ?1 ORDER BY slot",
        )?;
        let rows = q.query_map([case_id], |r| Ok((r.get::<_, i64>(0)? as usize, r.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Cases whose refusal was confirmed (by the centre's supervisor) without a printed
    /// notice yet.
    pub fn refused_without_notice(&self) -> Result<Vec<String>> {
        let mut q = self.conn.prepare_cached(
            "SELECT c.id FROM case_record c
             WHERE c.state = 'refused'
               AND EXISTS (SELECT 1 FROM case_event e
                           WHERE e.case_id = c.id AND e.action = 'confirm_refusal')
               AND NOT EXISTS (SELECT 1 FROM case_document d
                               WHERE d.case_id = c.id AND d.kind = 'refusal_notice')
             ORDER BY c.updated_at",
        )?;
        let rows = q.query_map([], |r| r.get(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The working days a case's promised-date clock has used before now (暂停计时): the
    /// most any of it (the case, or a member of its 一件事) ran before a return.
    pub fn clock_used(&self, case_id: &str) -> Result<u32> {
        Ok(self.conn.query_row(
            "SELECT coalesce(max(clock_used), 0) FROM case_record
             WHERE id = ?1 OR bundle_case = ?1",
            [case_id],
            |r| r.get::<_, i64>(0),
        )? as u32)
    }

    /// Starts (or restarts) the promised-date clock of the case and its members on `day`.
    pub fn start_clock(&mut self, case_id: &str, day: chrono::NaiveDate) -> Result<()> {
        self.conn.execute(
            "UPDATE case_record SET clock_from = ?2
             WHERE (id = ?1 OR bundle_case = ?1) AND clock_from IS NULL",
            params![case_id, day.to_string()],
        )?;
        Ok(())
    }

    /// Accepts a case at the window. In one transaction: the case (and each member of a 一件事
    /// case) moves to accepted with its event, one `case.hand_off` op is queued per entry of
    /// `hand_offs` (case id, what the window adds from the case), and the follow-ups are made.
    pub fn accept(
        &mut self,
        case_id: &str,
        who: &Actor,
        at: DateTime<Utc>,
        follow_ups: &[NewFollowUp],
        hand_offs: &[(String, HandOffDetail)],
    ) -> Result<CaseRow> {
        let tx = self.conn.transaction()?;
        let (_, head) = step(&tx, case_id, CaseAction::Accept, who, at, None)?;
        let now = ts(at);
        for (id, detail) in hand_offs {
            let case = if id == case_id {
                head.clone()
            } else {
                let member =
                    read_case(&tx, id)?.ok_or_else(|| StoreError::CaseNotFound(id.clone()))?;
                if member.bundle_case.as_deref() != Some(case_id) {
                    return Err(bad_input(format!("case {id} is not a member of {case_id}")));
                }
                step(&tx, id, CaseAction::Accept, who, at, None)?.1
            };
            let bundle_case = case.bundle_case.is_some().then(|| ops::BundleRef {
                case_id: head.id.clone(),
                number: head.number.clone(),
                code: head.item_code.clone(),
            });
            let body = OpBody::HandOff(Box::new(ops::HandOff {
                case_id: case.id,
                number: case.number,
                item_code: case.item_code,
                scenario_code: case.scenario_code,
                accepted_at: at,
                accepted_by: who.user.clone(),
                desk: who.desk.clone(),
                bundle_case,
                detail: detail.clone(),
            }));
            push_op(&tx, &body, at)?;
        }
        for f in follow_ups {
            tx.execute(
                "INSERT INTO follow_up (case_id, kind, slot, material, due, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT(case_id, kind, slot) DO UPDATE SET material = excluded.material,
                   due = excluded.due, created_at = excluded.created_at,
                   done_at = NULL, done_by = NULL, done_note = NULL",
                params![
                    case_id,
                    crate::cases::enc(&f.kind),
                    f.slot as i64,
                    f.material,
                    f.due.to_string(),
                    now
                ],
            )?;
        }
        tx.execute("DELETE FROM case_elicence WHERE case_id = ?1", [case_id])?;
        tx.commit()?;
        Ok(head)
    }

    /// 出件: the result is handed to the applicant at the window or sent by post; the hub is
    /// told in the same transaction. Several cases (the members of a 一件事) go together or
    /// not at all.
    pub fn deliver(
        &mut self,
        case_ids: &[String],
        who: &Actor,
        at: DateTime<Utc>,
        method: &str,
        tracking: Option<&str>,
    ) -> Result<Vec<CaseRow>> {
        let tx = self.conn.transaction()?;
        let note = match tracking {
            Some(t) => format!("{method}（运单号 {t}）"),
            None => method.to_string(),
        };
        let mut rows = Vec::new();
        for case_id in case_ids {
            let (_, row) = step(&tx, case_id, CaseAction::Deliver, who, at, Some(&note))?;
            let body = OpBody::Delivered(ops::Delivered {
                case_id: row.id.clone(),
                number: row.number.clone(),
                method: method.to_string(),
                tracking: tracking.map(str::to_string),
                by: who.user.clone(),
                desk: who.desk.clone(),
                at: Some(at),
            });
            push_op(&tx, &body, at)?;
            rows.push(row);
        }
        if let Some(first) = case_ids.first() {
            follow_members(&tx, first, who, at)?;
        }
        tx.commit()?;
        Ok(rows)
    }

    /// The follow-up work list: open ones (oldest due first), or all of them.
    pub fn follow_ups(&self, open_only: bool) -> Result<Vec<FollowUp>> {
        let mut q = self.conn.prepare_cached(
            "SELECT f.id, f.case_id, c.number, c.item_code, f.kind, f.slot, f.material, f.due,
                    f.created_at, f.done_at, f.done_by, f.done_note
             FROM follow_up f JOIN case_record c ON c.id = f.case_id
             WHERE (?1 = 0 OR f.done_at IS NULL)
             ORDER BY f.done_at IS NOT NULL, f.due, f.id",
        )?;
        let rows = q.query_map([open_only as i64], |r| {
            let due: String = r.get(7)?;
            Ok(FollowUp {
                id: r.get(0)?,
                case_id: r.get(1)?,
                case_number: r.get(2)?,
                item_code: r.get(3)?,
                kind: dec(&r.get::<_, String>(4)?)?,
                slot: r.get::<_, i64>(5)? as usize,
                material: r.get(6)?,
                due: due.parse().map_err(|e| {
                    rusqlite::Error::FromSqlConversionFailure(
                        7,
                        rusqlite::types::Type::Text,
                        Box::new(e),
                    )
                })?,
                created_at: r.get(8)?,
                done_at: r.get(9)?,
                done_by: r.get(10)?,
                done_note: r.get(11)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Follow-ups of one case.
    pub fn case_follow_ups(&self, case_id: &str) -> Result<Vec<FollowUp>> {
        Ok(self
            .follow_ups(false)?
            .into_iter()
            .filter(|f| f.case_id == case_id)
            .collect())
    }

    /// Closes a follow-up (pledge verified, or the owed material arrived) and tells the hub.
    pub fn close_follow_up(
        &mut self,
        id: i64,
        note: &str,
        who: &Actor,
        at: DateTime<Utc>,
    ) -> Result<FollowUp> {
        let note = note.trim();
        if note.is_empty() {
            return Err(bad_input("closing a follow-up needs a note".into()));
        }
        let tx = self.conn.transaction()?;
        let row: Option<(String, String, i64, Option<String>)> = tx
            .query_row(
                "SELECT case_id, kind, slot, done_at FROM follow_up WHERE id = ?1",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .optional()?;
        let Some((case_id, kind, slot, done_at)) = row else {
            return Err(bad_input(format!("no follow-up {id}")));
        };
        if done_at.is_some() {
            return Err(bad_input(format!("follow-up {id} is already closed")));
        }
        tx.execute(
            "UPDATE follow_up SET done_at = ?2, done_by = ?3, done_note = ?4 WHERE id = ?1",
            params![id, ts(at), who.user, note],
        )?;
        let case = read_case(&tx, &case_id)?.expect("follow-ups belong to cases");
        let done = ops::FollowUpDone {
            case_id: case.id,
            number: case.number,
            slot: Some(slot as usize),
            note: note.to_string(),
            by: who.user.clone(),
            desk: who.desk.clone(),
            at: Some(at),
        };
        let body = if kind == "pledge_check" {
            OpBody::PledgeChecked(done)
        } else {
            OpBody::MaterialArrived(done)
        };
        push_op(&tx, &body, at)?;
        tx.commit()?;
        Ok(self
            .follow_ups(false)?
            .into_iter()
            .find(|f| f.id == id)
            .expect("just closed"))
    }

    /// Records a printed document archived with the case.
    pub fn record_document(
        &mut self,
        case_id: &str,
        kind: &str,
        file: &str,
        sha256: &str,
        who: &Actor,
        at: DateTime<Utc>,
    ) -> Result<DocumentRow> {
        self.conn.execute(
            "INSERT INTO case_document (case_id, kind, file, sha256, actor, created_at)
             SELECT ?1, ?2, ?3, ?4, ?5, ?6 WHERE EXISTS (SELECT 1 FROM case_record WHERE id = ?1)",
            params![case_id, kind, file, sha256, who.user, ts(at)],
        )?;
        if self.conn.changes() == 0 {
            return Err(StoreError::CaseNotFound(case_id.to_string()));
        }
        let id = self.conn.last_insert_rowid();
        Ok(self
            .documents(case_id)?
            .into_iter()
            .find(|d| d.id == id)
            .expect("just inserted"))
    }

    pub fn documents(&self, case_id: &str) -> Result<Vec<DocumentRow>> {
        let mut q = self.conn.prepare_cached(
            "SELECT id, case_id, kind, file, sha256, actor, created_at FROM case_document
             WHERE case_id = ?1 ORDER BY id",
        )?;
        let rows = q.query_map([case_id], |r| {
            Ok(DocumentRow {
                id: r.get(0)?,
                case_id: r.get(1)?,
                kind: r.get(2)?,
                file: r.get(3)?,
                sha256: r.get(4)?,
                actor: r.get(5)?,
                created_at: r.get(6)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub fn document(&self, id: i64) -> Result<Option<DocumentRow>> {
        let case_id: Option<String> = self
            .conn
            .query_row(
                "SELECT case_id FROM case_document WHERE id = ?1",
                [id],
                |r| r.get(0),
            )
            .optional()?;
        Ok(match case_id {
            Some(c) => self.documents(&c)?.into_iter().find(|d| d.id == id),
            None => None,
        })
    }

    /// Keeps the e-licences looked up for the applicant of a draft case (a lookup that comes
    /// back after the case left the window is not kept).
    pub fn save_elicences(
        &mut self,
        case_id: &str,
        holder: &str,
        licences: &[LicenceRecord],
        at: DateTime<Utc>,
    ) -> Result<()> {
        self.draft_case(case_id, "保存电子证照查询结果")?;
        self.conn.execute(
            "INSERT INTO case_elicence (case_id, holder, licences, fetched_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT(case_id) DO UPDATE SET holder = excluded.holder,
               licences = excluded.licences, fetched_at = excluded.fetched_at",
            params![
                case_id,
                holder,
                serde_json::to_string(licences).expect("licences serialise"),
                ts(at)
            ],
        )?;
        Ok(())
    }

    /// Forgets the lookup (the applicant's number changed).
    pub fn clear_elicences(&mut self, case_id: &str) -> Result<()> {
        self.conn
            .execute("DELETE FROM case_elicence WHERE case_id = ?1", [case_id])?;
        Ok(())
    }

    /// The kept lookup: holder, licences and when they were fetched.
    pub fn elicences(&self, case_id: &str) -> Result<Option<(String, Vec<LicenceRecord>, String)>> {
        let row: Option<(String, String, String)> = self
            .conn
            .query_row(
                "SELECT holder, licences, fetched_at FROM case_elicence WHERE case_id = ?1",
                [case_id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        row.map(|(h, l, at)| {
            serde_json::from_str(&l)
                .map(|l| (h, l, at))
                .map_err(|source| StoreError::BadStoredJson {
                    what: format!("e-licences of case {case_id}"),
                    source,
                })
        })
        .transpose()
    }

    /// Cases started at the window (not the members of a 一件事), newest first.
    pub fn recent_cases(&self, limit: u32) -> Result<Vec<CaseRow>> {
        let ids: Vec<String> = self
            .conn
            .prepare_cached(
                "SELECT id FROM case_record WHERE bundle_case IS NULL ORDER BY created_at DESC, number DESC LIMIT ?1",
            )?
            .query_map([limit], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?;
        ids.iter()
            .map(|id| self.case(id).map(|c| c.expect("listed")))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cases::{Attachment, NewCase};
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

    fn draft(s: &mut Store) -> CaseRow {
        s.create_case(
            &NewCase {
                item_code: "000105001001".into(),
                scenario_code: Some("000105001001-01".into()),
                local_date: "2026-11-27".parse().unwrap(),
            },
            &clerk(),
            at("2026-11-27T01:00:00Z"),
        )
        .unwrap()
    }

    #[test]
    fn acceptance_commits_state_ops_and_follow_ups_together() {
        let mut s = Store::open_in_memory().unwrap();
        let c = draft(&mut s);
        let t = at("2026-11-27T02:00:00Z");
        s.set_pledge(&c.id, 3, "住所使用证明", true, &clerk(), t)
            .unwrap();
        s.set_override(
            &c.id,
            "field_invalid@field:id",
            Some("旧证号码，已核实"),
            &clerk(),
            t,
        )
        .unwrap();
        assert!(
            s.set_override(&c.id, "x@y", Some(" "), &clerk(), t)
                .is_err(),
            "a blank reason is refused"
        );
        let follow = [
            NewFollowUp {
                kind: FollowUpKind::PledgeCheck,
                slot: 3,
                material: "住所使用证明".into(),
                due: "2026-12-25".parse().unwrap(),
            },
            NewFollowUp {
                kind: FollowUpKind::DeferredMaterial,
                slot: 4,
                material: "章程".into(),
                due: "2026-12-04".parse().unwrap(),
            },
        ];
        let row = s
            .accept(
                &c.id,
                &clerk(),
                t,
                &follow,
                &[(
                    c.id.clone(),
                    HandOffDetail {
                        findings: s
                            .overrides(&c.id)
                            .unwrap()
                            .into_iter()
                            .map(|(key, reason)| ops::Finding {
                                code: "licence_number".into(),
                                key,
                                severity: onewindow_domain::prereview::Severity::Blocking,
                                message: "证照号码与电子证照不一致".into(),
                                overridden: Some(reason),
                            })
                            .collect(),
                        ..HandOffDetail::default()
                    },
                )],
            )
            .unwrap();
        assert_eq!(row.state, CaseState::Accepted);
        let ops = s.outbox().unwrap();
        assert_eq!(ops.len(), 1);
        assert_eq!(ops[0].kind, OpKind::HandOff.as_str());
        assert_eq!(
            ops[0].payload["findings"][0]["overridden"],
            "旧证号码，已核实"
        );
        let open = s.follow_ups(true).unwrap();
        assert_eq!(open.len(), 2);
        assert_eq!(open[0].material, "章程", "earliest due first");
        // After acceptance the draft decisions are frozen.
        assert!(s.set_pledge(&c.id, 5, "x", true, &clerk(), t).is_err());

        let closed = s
            .close_follow_up(open[0].id, "已收到章程原件", &clerk(), t)
            .unwrap();
        assert!(closed.done_at.is_some());
        assert_eq!(s.follow_ups(true).unwrap().len(), 1);
        assert_eq!(
            s.outbox().unwrap()[1].kind,
            OpKind::MaterialArrived.as_str()
        );
        assert!(s.close_follow_up(open[0].id, "again", &clerk(), t).is_err());
    }

    fn file(sha: char, slot: Option<usize>) -> Attachment {
        Attachment {
            sha256: sha.to_string().repeat(64),
            slot,
            original_name: "page.jpg".into(),
            size: 10,
            kind: "jpeg".into(),
            pages: None,
        }
    }

    #[test]
    fn files_reach_a_draft_freely_an_accepted_case_with_an_op_and_nothing_else() {
        let mut s = Store::open_in_memory().unwrap();
        let t = at("2026-11-27T02:00:00Z");
        let c = draft(&mut s);
        assert!(s.attach(&c.id, &file('a', Some(0)), t).unwrap());
        assert!(
            s.outbox().unwrap().is_empty(),
            "a draft's files travel with the hand-off"
        );
        s.accept(
            &c.id,
            &clerk(),
            t,
            &[],
            &[(c.id.clone(), HandOffDetail::default())],
        )
        .unwrap();
        // A 容缺 material arriving after acceptance: attached, and the hub is told.
        assert!(s.attach(&c.id, &file('b', Some(5)), t).unwrap());
        let ops = s.outbox().unwrap();
        assert_eq!(ops.last().unwrap().kind, OpKind::MaterialAdded.as_str());
        assert_eq!(ops.last().unwrap().payload["slot"], 5);
        assert!(
            !s.attach(&c.id, &file('b', Some(5)), t).unwrap(),
            "same file: no second op"
        );
        assert_eq!(s.outbox().unwrap().len(), 2);
        assert!(
            s.detach(&c.id, &"a".repeat(64)).is_err(),
            "accepted files stay"
        );

        let refused = draft(&mut s);
        for action in [CaseAction::RequestRefusal, CaseAction::ConfirmRefusal] {
            s.transition(
                &refused.id,
                action,
                &clerk(),
                t,
                Some("不属于本机关职权范围"),
            )
            .unwrap();
        }
        assert!(matches!(
            s.attach(&refused.id, &file('c', None), t),
            Err(StoreError::Transition { .. })
        ));
        assert!(s.attachments(&refused.id).unwrap().is_empty());
    }

    #[test]
    fn a_new_scenario_sends_files_to_the_tray_and_drops_pledges_and_material_overrides() {
        let mut s = Store::open_in_memory().unwrap();
        let t = at("2026-11-27T02:00:00Z");
        let c = draft(&mut s);
        s.attach(&c.id, &file('a', Some(2)), t).unwrap();
        s.set_pledge(&c.id, 3, "住所使用证明", true, &clerk(), t)
            .unwrap();
        s.set_override(
            &c.id,
            "material_missing@material:1",
            Some("原件在档案馆调取中"),
            &clerk(),
            t,
        )
        .unwrap();
        s.set_override(
            &c.id,
            "field_invalid@field:mobile",
            Some("境外手机号码"),
            &clerk(),
            t,
        )
        .unwrap();
        // Choosing the same scenario again changes nothing.
        s.set_scenario(&c.id, "000105001001-01", t).unwrap();
        assert_eq!(s.attachments(&c.id).unwrap()[0].slot, Some(2));
        s.set_scenario(&c.id, "000105001001-02", t).unwrap();
        assert_eq!(s.attachments(&c.id).unwrap()[0].slot, None);
        assert!(s.pledges(&c.id).unwrap().is_empty());
        assert_eq!(
            s.overrides(&c.id).unwrap(),
            [(
                "field_invalid@field:mobile".to_string(),
                "境外手机号码".to_string()
            )]
        );
        assert_eq!(s.drop_overrides_for(&c.id, "field:mobile").unwrap(), 1);
        assert!(s.overrides(&c.id).unwrap().is_empty());
    }

    #[test]
    fn a_returned_case_is_accepted_again_with_its_follow_ups_reopened() {
        let mut s = Store::open_in_memory().unwrap();
        let t = at("2026-11-27T02:00:00Z");
        let c = draft(&mut s);
        let owed = |due: &str| NewFollowUp {
            kind: FollowUpKind::DeferredMaterial,
            slot: 4,
            material: "章程".into(),
            due: due.parse().unwrap(),
        };
        let hand = [(c.id.clone(), HandOffDetail::default())];
        s.accept(&c.id, &clerk(), t, &[owed("2026-12-04")], &hand)
            .unwrap();
        let f = s.follow_ups(true).unwrap()[0].clone();
        s.close_follow_up(f.id, "已补交", &clerk(), t).unwrap();
        for a in [A::HandOffAcknowledged, A::ReturnForCorrection, A::Reopen] {
            s.transition(&c.id, a, &clerk(), t, None).unwrap();
        }
        let again = s
            .accept(&c.id, &clerk(), t, &[owed("2027-01-08")], &hand)
            .unwrap();
        assert_eq!(
            (again.state, again.number.as_str()),
            (CaseState::Accepted, c.number.as_str())
        );
        let open = s.follow_ups(true).unwrap();
        assert_eq!(open.len(), 1);
        assert_eq!(open[0].due.to_string(), "2027-01-08");
    }

    #[test]
    fn a_failed_acceptance_leaves_nothing_behind() {
        let mut s = Store::open_in_memory().unwrap();
        let c = draft(&mut s);
        let t = at("2026-11-27T02:00:00Z");
        let follow = [NewFollowUp {
            kind: FollowUpKind::PledgeCheck,
            slot: 0,
            material: "x".into(),
            due: "2026-12-25".parse().unwrap(),
        }];
        // A hand-off naming a case that is not a member fails the whole acceptance.
        let other = draft(&mut s);
        let err = s
            .accept(
                &c.id,
                &clerk(),
                t,
                &follow,
                &[(other.id.clone(), HandOffDetail::default())],
            )
            .unwrap_err();
        assert!(matches!(err, StoreError::BadInput(_)));
        assert_eq!(s.case(&c.id).unwrap().unwrap().state, CaseState::Draft);
        assert!(s.outbox().unwrap().is_empty());
        assert!(s.follow_ups(false).unwrap().is_empty());
        assert_eq!(s.case_events(&c.id).unwrap().len(), 1);
    }

    #[test]
    fn bundle_acceptance_hands_off_each_member_and_keeps_materials_on_the_bundle() {
        let mut s = Store::open_in_memory().unwrap();
        let t = at("2026-11-27T02:00:00Z");
        let members: Vec<NewCase> = ["000117001000", "000172002000"]
            .iter()
            .map(|code| NewCase {
                item_code: code.to_string(),
                scenario_code: Some(format!("{code}-01")),
                local_date: "2026-11-27".parse().unwrap(),
            })
            .collect();
        let (head, rows) = s
            .create_bundle_case("YJS371082002", &members, &clerk(), t)
            .unwrap();
        s.attach(
            &head.id,
            &Attachment {
                sha256: "ab".repeat(32),
                slot: Some(0),
                original_name: "身份证.jpg".into(),
                size: 10,
                kind: "jpeg".into(),
                pages: None,
            },
            t,
        )
        .unwrap();
        let hand_offs: Vec<_> = rows
            .iter()
            .map(|r| (r.id.clone(), HandOffDetail::default()))
            .collect();
        s.accept(&head.id, &clerk(), t, &[], &hand_offs).unwrap();
        let ops = s.outbox().unwrap();
        assert_eq!(ops.len(), 2);
        assert_eq!(
            ops[1].payload["bundle_case"]["number"],
            head.number.as_str()
        );
        for m in s.bundle_members(&head.id).unwrap() {
            assert_eq!(m.state, CaseState::Accepted);
        }
    }

    #[test]
    fn a_bundle_follows_its_members_and_a_return_reopens_only_that_member() {
        use crate::push::Answer;
        use onewindow_proto::{CaseResult, ResultChanges};
        let mut s = Store::open_in_memory().unwrap();
        let t = at("2026-11-27T02:00:00Z");
        let members: Vec<NewCase> = ["000117001000", "000172002000"]
            .iter()
            .map(|code| NewCase {
                item_code: code.to_string(),
                scenario_code: Some(format!("{code}-01")),
                local_date: "2026-11-27".parse().unwrap(),
            })
            .collect();
        let (head, rows) = s
            .create_bundle_case("YJS371082002", &members, &clerk(), t)
            .unwrap();
        s.transition(&head.id, A::Accept, &clerk(), t, None)
            .unwrap();
        let state = |s: &Store, id: &str| s.case(id).unwrap().unwrap().state;
        let ack = |s: &mut Store| {
            let answers: Vec<_> = s
                .pending_ops(10)
                .unwrap()
                .into_iter()
                .map(|o| (o.op_id, Answer::Applied, None))
                .collect();
            s.record_answers(&answers, t).unwrap();
        };
        ack(&mut s);
        assert_eq!(state(&s, &head.id), CaseState::HandedOff);
        let result = |seq: i64, case: &CaseRow, action: &str| ResultChanges {
            results: vec![CaseResult {
                seq,
                case_id: case.id.clone(),
                number: case.number.clone(),
                action: action.into(),
                note: Some("意见".into()),
                by: "wang".into(),
                at: "2026-11-28T02:00:00Z".into(),
                file: None,
            }],
            next_cursor: seq,
            has_more: false,
        };
        s.apply_results_page(&result(1, &rows[0], "approve"), t)
            .unwrap();
        assert_eq!(
            state(&s, &head.id),
            CaseState::HandedOff,
            "the other member is still with the back office"
        );
        s.apply_results_page(&result(2, &rows[1], "return_for_correction"), t)
            .unwrap();
        assert_eq!(state(&s, &head.id), CaseState::Returned);

        // Reopened: only the returned member comes back; accepted again, only it goes again.
        s.transition(&head.id, A::Reopen, &clerk(), t, None)
            .unwrap();
        assert_eq!(state(&s, &head.id), CaseState::Draft);
        assert_eq!(state(&s, &rows[0].id), CaseState::Ready);
        assert_eq!(state(&s, &rows[1].id), CaseState::Draft);
        s.transition(&head.id, A::Accept, &clerk(), t, None)
            .unwrap();
        let again = s.pending_ops(10).unwrap();
        assert_eq!(again.len(), 1);
        assert_eq!(again[0].payload["case_id"], rows[1].id.as_str());
        ack(&mut s);
        assert_eq!(state(&s, &head.id), CaseState::HandedOff);
        s.apply_results_page(&result(3, &rows[1], "approve"), t)
            .unwrap();
        assert_eq!(state(&s, &head.id), CaseState::Ready);
        let ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
        s.deliver(&ids, &clerk(), t, "窗口领取", None).unwrap();
        assert_eq!(state(&s, &head.id), CaseState::Delivered);
        let events = s.case_events(&head.id).unwrap();
        assert!(
            events
                .iter()
                .any(|e| e.reason.as_deref() == Some("随一件事各事项办理进展"))
        );
    }

    #[test]
    fn elicences_are_kept_only_while_the_case_is_open() {
        let mut s = Store::open_in_memory().unwrap();
        let c = draft(&mut s);
        let t = at("2026-11-27T02:00:00Z");
        let l = LicenceRecord {
            licence_type: "居民身份证".into(),
            number: "n".into(),
            issuer: "i".into(),
            issued: "2016-01-01".parse().unwrap(),
            valid_until: None,
            trust: "A".into(),
        };
        s.save_elicences(&c.id, "371082198410031615", &[l], t)
            .unwrap();
        assert_eq!(s.elicences(&c.id).unwrap().unwrap().1.len(), 1);
        s.transition(&c.id, CaseAction::Withdraw, &clerk(), t, Some("申请人撤回"))
            .unwrap();
        assert!(s.elicences(&c.id).unwrap().is_none());
    }

    #[test]
    fn documents_are_archived_with_their_case() {
        let mut s = Store::open_in_memory().unwrap();
        let c = draft(&mut s);
        let t = at("2026-11-27T02:00:00Z");
        let d = s
            .record_document(&c.id, "one_time_notice", "x/1.pdf", "ab", &clerk(), t)
            .unwrap();
        assert_eq!(s.documents(&c.id).unwrap(), vec![d.clone()]);
        assert_eq!(s.document(d.id).unwrap(), Some(d));
        assert!(matches!(
            s.record_document("nope", "x", "y", "z", &clerk(), t),
            Err(StoreError::CaseNotFound(_))
        ));
        assert_eq!(s.recent_cases(10).unwrap().len(), 1);
    }
}
