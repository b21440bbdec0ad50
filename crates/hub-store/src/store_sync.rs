//! The hub's side of sync, in SQL: enrolment codes and devices, pushed ops applied exactly once
//! (`(device_id, op_id)` recorded in the same transaction as the op's effect), the cases the
//! windows handed off, and blobs received in chunks and checked before they count.

use std::collections::BTreeSet;

use crate::db::{OptionalExtension, Tx, params};
use crate::secret::token_hash as hash_hex;
use chrono::{DateTime, Utc};
use onewindow_proto::ops::{FileRef, OpDecodeError};
use onewindow_proto::{Enrolment, Op, OpBody, OpResult, OpStatus};

use crate::store::{HubStore, HubStoreError, Result};

/// The op schema versions this hub applies. Older desks keep working after an upgrade.
pub const OP_SCHEMA_VERSIONS: &[i64] = &[1];

use onewindow_domain::time::stamp as ts;

fn random_bytes<const N: usize>() -> [u8; N] {
    let mut b = [0u8; N];
    getrandom::fill(&mut b).expect("the OS random source works");
    b
}

/// `XXXX-XXXX-XXXX` from an alphabet without look-alikes.
fn enrol_code() -> String {
    const ALPHABET: &[u8] = b"23456789ABCDEFGHJKLMNPQRSTUVWXYZ";
    let raw = random_bytes::<12>();
    let chars: Vec<char> = raw
        .iter()
        .map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char)
        .collect();
    chars
        .chunks(4)
        .map(|c| c.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-")
}

fn normalise_code(code: &str) -> String {
    code.trim().to_ascii_uppercase().replace(' ', "")
}

/// Why an op cannot be applied, for the desk to show the clerk (Chinese).
pub(crate) struct Reject(pub(crate) String);

/// A key field of an op (a case's id or number): present and of a sane length.
fn plain<'a>(key: &str, value: &'a str) -> std::result::Result<&'a str, Reject> {
    Some(value)
        .filter(|s| !s.is_empty() && s.len() <= 200)
        .ok_or_else(|| Reject(format!("操作缺少或含有无效的字段 {key}")))
}

/// Ops applied in one transaction: fewer commits (and, on PostgreSQL, round trips) per op,
/// while the writers' lock is held a few milliseconds at most, so a window's call waits little
/// behind a desk's push.
pub const OPS_PER_TRANSACTION: usize = 20;

impl HubStore {
    /// A one-time enrolment code for a desk; only its hash is stored. The desk code is the
    /// one given, or the next free `W01`, `W02`, ….
    pub fn create_enrol_code(
        &mut self,
        desk_name: &str,
        desk_code: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<(String, String)> {
        let centre = self.resolve_centre(None)?;
        self.create_enrol_code_at(&centre, desk_name, desk_code, now)
    }

    /// [`Self::create_enrol_code`] for a desk of `centre`. Desk codes are unique across the
    /// county (case numbers begin with them): a code another centre's desk holds is refused.
    pub fn create_enrol_code_at(
        &mut self,
        centre: &str,
        desk_name: &str,
        desk_code: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<(String, String)> {
        let mut made = self.create_enrol_codes_at(centre, &[(desk_name, desk_code)], now)?;
        Ok(made.remove(0))
    }

    /// One-time enrolment codes for several desks of `centre` (`provision`), all or none:
    /// `(name, desk code or the next free W01, W02, …)` each; returns `(secret, desk code)`
    /// in the same order.
    pub fn create_enrol_codes_at(
        &mut self,
        centre: &str,
        desks: &[(&str, Option<&str>)],
        now: DateTime<Utc>,
    ) -> Result<Vec<(String, String)>> {
        let centre = self.resolve_centre(Some(centre))?;
        for (desk_name, _) in desks {
            let name = desk_name.trim();
            if name.is_empty() || name.chars().count() > 50 {
                return Err(HubStoreError::BadInput(
                    "desk name must be 1-50 characters".into(),
                ));
            }
        }
        let tx = self.conn.transaction()?;
        let taken = |tx: &Tx<'_>, c: &str| -> Result<bool> {
            Ok(tx.query_row(
                "SELECT EXISTS (SELECT 1 FROM device WHERE desk_code = ?1)
                     OR EXISTS (SELECT 1 FROM enrol_code WHERE desk_code = ?1 AND used_at IS NULL)",
                [c],
                |r| r.get(0),
            )?)
        };
        let mut made = Vec::with_capacity(desks.len());
        for (desk_name, desk_code) in desks {
            let code = match desk_code {
                Some(c) => {
                    let c = c.trim().to_ascii_uppercase();
                    if !onewindow_domain::provision::is_desk_code(&c) {
                        return Err(HubStoreError::BadInput(format!(
                            "desk code {c:?} must be 1-16 ASCII letters, digits or inner dashes"
                        )));
                    }
                    if taken(&tx, &c)? {
                        let holder: Option<String> = tx
                            .query_row(
                                "SELECT centre FROM device WHERE desk_code = ?1
                                 UNION ALL SELECT centre FROM enrol_code
                                   WHERE desk_code = ?1 AND used_at IS NULL LIMIT 1",
                                [&c],
                                |r| r.get(0),
                            )
                            .optional()?;
                        return Err(HubStoreError::BadInput(match holder {
                            Some(h) if h != centre => format!(
                                "desk code {c} is held by a desk of centre {h}: desk codes are unique across the county, because case numbers begin with them"
                            ),
                            _ => format!("desk code {c} is already in use"),
                        }));
                    }
                    c
                }
                None => {
                    let mut n = 1;
                    loop {
                        let c = format!("W{n:02}");
                        if !taken(&tx, &c)? {
                            break c;
                        }
                        n += 1;
                    }
                }
            };
            let secret = enrol_code();
            tx.execute(
                "INSERT INTO enrol_code (code_hash, desk_name, desk_code, created_at, centre)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![
                    hash_hex(&normalise_code(&secret)),
                    desk_name.trim(),
                    code,
                    ts(now),
                    centre
                ],
            )?;
            made.push((secret, code));
        }
        tx.commit()?;
        Ok(made)
    }

    /// A one-time code that re-enrols an existing desk (a replaced PC, a lost keyring): when
    /// used, the desk's device keeps its id, so the decisions on the cases it handed off still
    /// reach it, and gets a new token; the old token stops working and a revocation is lifted.
    pub fn create_re_enrol_code(
        &mut self,
        desk_code: &str,
        desk_name: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<(String, String)> {
        let code = desk_code.trim().to_ascii_uppercase();
        let tx = self.conn.transaction()?;
        let existing: Option<(String, String)> = tx
            .query_row(
                "SELECT desk_name, centre FROM device WHERE desk_code = ?1",
                [&code],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let Some((existing, centre)) = existing else {
            return Err(HubStoreError::BadInput(format!(
                "no enrolled desk has the code {code}; enrol it without --replace"
            )));
        };
        let name = desk_name.map(str::trim).unwrap_or(&existing).to_string();
        if name.is_empty() || name.chars().count() > 50 {
            return Err(HubStoreError::BadInput(
                "desk name must be 1-50 characters".into(),
            ));
        }
        // Earlier unused codes for this desk stop working: only the newest one counts.
        tx.execute(
            "UPDATE enrol_code SET used_at = ?2 WHERE desk_code = ?1 AND used_at IS NULL",
            params![code, ts(now)],
        )?;
        let secret = enrol_code();
        tx.execute(
            "INSERT INTO enrol_code (code_hash, desk_name, desk_code, created_at, centre)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                hash_hex(&normalise_code(&secret)),
                name,
                code,
                ts(now),
                centre
            ],
        )?;
        tx.commit()?;
        Ok((secret, code))
    }

    /// Trades a one-time code for a device and its token (returned once, stored hashed). A code
    /// for a desk code that already has a device (made by [`Self::create_re_enrol_code`])
    /// gives that device a new token.
    pub fn enrol(&mut self, code: &str, now: DateTime<Utc>) -> Result<Enrolment> {
        self.enrol_with_key(code, None, now)
    }

    /// Like [`Self::enrol`], registering the desk's audit signing key (see
    /// [`crate::store_desk::register_audit_key`]) in the same transaction.
    pub fn enrol_with_key(
        &mut self,
        code: &str,
        audit_key: Option<&onewindow_proto::AuditKeyRegistration>,
        now: DateTime<Utc>,
    ) -> Result<Enrolment> {
        let tx = self.conn.transaction()?;
        let hash = hash_hex(&normalise_code(code));
        let row: Option<(String, String, String)> = tx
            .query_row(
                "SELECT desk_name, desk_code, centre FROM enrol_code
                 WHERE code_hash = ?1 AND used_at IS NULL",
                [&hash],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        let Some((desk_name, desk_code, centre)) = row else {
            return Err(HubStoreError::BadEnrolCode);
        };
        let token: String = random_bytes::<32>()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        let existing: Option<String> = tx
            .query_row(
                "SELECT id FROM device WHERE desk_code = ?1",
                [&desk_code],
                |r| r.get(0),
            )
            .optional()?;
        let device_id = match existing {
            Some(id) => {
                tx.execute(
                    "UPDATE device SET desk_name = ?2, token_hash = ?3, enrolled_at = ?4, revoked_at = NULL
                     WHERE id = ?1",
                    params![id, desk_name, hash_hex(&token), ts(now)],
                )?;
                id
            }
            None => {
                let id = uuid_like(&random_bytes::<16>());
                tx.execute(
                    "INSERT INTO device (id, desk_name, desk_code, token_hash, enrolled_at, centre)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    params![id, desk_name, desk_code, hash_hex(&token), ts(now), centre],
                )?;
                id
            }
        };
        tx.execute(
            "UPDATE enrol_code SET used_at = ?2, device_id = ?3 WHERE code_hash = ?1",
            params![hash, ts(now), device_id],
        )?;
        if let Some(key) = audit_key {
            crate::store_desk::register_audit_key(&tx, &device_id, key, true, now)?;
        }
        let audit_seq: i64 = tx.query_row(
            "SELECT coalesce((SELECT seq FROM audit_anchor WHERE device_id = ?1), 0)",
            [&device_id],
            |r| r.get(0),
        )?;
        tx.commit()?;
        Ok(Enrolment {
            device_id,
            desk_code,
            desk_name,
            token,
            audit_seq: Some(audit_seq),
        })
    }

    /// The device a bearer token belongs to, and whether it was revoked.
    pub fn device_for_token(&self, token: &str) -> Result<Option<(String, bool)>> {
        Ok(self
            .conn
            .query_row(
                "SELECT id, revoked_at IS NOT NULL FROM device WHERE token_hash = ?1",
                [hash_hex(token)],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?)
    }

    pub fn revoke_device(&mut self, desk_code: &str, now: DateTime<Utc>) -> Result<bool> {
        Ok(self.conn.execute(
            "UPDATE device SET revoked_at = ?2 WHERE desk_code = ?1 AND revoked_at IS NULL",
            params![desk_code, ts(now)],
        )? == 1)
    }

    /// Applies a batch of one device's ops in order. Each op that reaches an end is recorded
    /// with its effect in the same transaction; a replay gets the first result. A rejected op
    /// never stops the ones behind it; an op waiting for a blob holds back later ops of its
    /// case. Ops commit [`OPS_PER_TRANSACTION`] at a time: nothing is answered before its
    /// commit, and a failure rolls back only ops not yet answered, which the desk sends again.
    pub fn apply_ops(
        &mut self,
        device: &str,
        ops: &[Op],
        now: DateTime<Utc>,
    ) -> Result<Vec<OpResult>> {
        let mut results = Vec::with_capacity(ops.len());
        let mut held: BTreeSet<String> = BTreeSet::new();
        let mut desk: Option<String> = None;
        let crash_after_commit =
            std::env::var("ONEWINDOW_FAILPOINT").is_ok_and(|v| v == "ops.after_commit");
        for chunk in ops.chunks(OPS_PER_TRANSACTION) {
            let tx = self.conn.transaction()?;
            for op in chunk {
                results.push(Self::apply_one(&tx, device, op, &mut held, &mut desk, now)?);
            }
            tx.commit()?;
            if crash_after_commit {
                // Crash-test hook: the ops are committed, the desk never hears so.
                eprintln!("failpoint ops.after_commit: aborting");
                std::process::abort();
            }
        }
        Ok(results)
    }

    /// One op, inside the batch's transaction (see [`apply_ops`](Self::apply_ops)).
    fn apply_one(
        tx: &Tx<'_>,
        device: &str,
        op: &Op,
        held: &mut BTreeSet<String>,
        desk: &mut Option<String>,
        now: DateTime<Utc>,
    ) -> Result<OpResult> {
        let result = |status, reason: Option<String>, missing: Vec<String>| OpResult {
            op_id: op.op_id.clone(),
            status,
            reason,
            missing_blobs: missing,
        };
        let earlier: Option<(String, Option<String>)> = tx
            .query_row(
                // A replay is found by the device and the op's id: a desk enrolled again keeps
                // its device; one enrolled as a new desk cannot replay its old ops, as their case
                // numbers carry the old desk code.
                "SELECT status, reason FROM applied_op WHERE device_id = ?1 AND op_id = ?2",
                params![device, op.op_id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        if let Some((status, reason)) = earlier {
            return Ok(if status == "applied" {
                result(OpStatus::Duplicate, None, vec![])
            } else {
                result(OpStatus::Rejected, reason, vec![])
            });
        }
        // A payload that cannot be read is rejected with the reason when its effect runs.
        let body = op.body();
        let case = body.as_ref().ok().and_then(|b| b.case_id());
        if let Some(case) = case
            && held.contains(case)
        {
            return Ok(result(
                OpStatus::WaitingForBlob,
                Some("an earlier op of this case waits for its files".into()),
                vec![],
            ));
        }
        if let Err(e @ OpDecodeError::BadBlob { .. }) = &body {
            let reason = e.reason_zh();
            tx.execute(
                "INSERT INTO applied_op (device_id, op_id, device_seq, kind, status, reason, at)
                 VALUES (?1, ?2, ?3, ?4, 'rejected', ?5, ?6)",
                params![device, op.op_id, op.device_seq, op.kind, reason, ts(now)],
            )?;
            return Ok(result(OpStatus::Rejected, Some(reason), vec![]));
        }
        // Every case number the op names must be one of this desk's (case numbers begin
        // with the desk code): no desk reports on, or hands off, another desk's cases.
        if let Ok(b) = &body {
            // Read once per batch.
            let desk: &str = match desk {
                Some(d) => d,
                None => desk.insert(tx.query_row(
                    "SELECT desk_code FROM device WHERE id = ?1",
                    [device],
                    |r| r.get(0),
                )?),
            };
            if let Some(foreign) = b
                .case_numbers()
                .into_iter()
                .find(|n| !onewindow_domain::case::is_case_number_of(n, desk))
            {
                let reason = format!("办件编号 {foreign} 不是本窗口（{desk}）的编号，中心不予接收");
                tracing::warn!(op = %op.op_id, device, "op names another desk's case number");
                tx.execute(
                    "INSERT INTO applied_op (device_id, op_id, device_seq, kind, status, reason, at)
                     VALUES (?1, ?2, ?3, ?4, 'rejected', ?5, ?6)",
                    params![device, op.op_id, op.device_seq, op.kind, reason, ts(now)],
                )?;
                return Ok(result(OpStatus::Rejected, Some(reason), vec![]));
            }
        }
        // Files count only once this device uploaded them itself.
        let needs = body.as_ref().map(OpBody::blobs).unwrap_or_default();
        let missing: Vec<String> = needs
            .into_iter()
            .map(str::to_string)
            .filter(|sha| {
                !tx.query_row(
                    "SELECT EXISTS (SELECT 1 FROM blob_upload
                                    WHERE device_id = ?1 AND sha256 = ?2 AND complete = 1)",
                    params![device, sha],
                    |r| r.get::<_, bool>(0),
                )
                .unwrap_or(false)
            })
            .collect();
        if !missing.is_empty() {
            if let Some(case) = case {
                held.insert(case.to_string());
            }
            return Ok(result(OpStatus::WaitingForBlob, None, missing));
        }
        let outcome = if OP_SCHEMA_VERSIONS.contains(&op.schema_version) {
            // The effect runs in a savepoint: a constraint it breaks rejects this op alone
            // instead of failing the batch (and every later push) with a 500.
            tx.execute_batch("SAVEPOINT effect")?;
            match apply_effect(tx, device, op, &body, now) {
                Ok(Ok(())) => {
                    tx.execute_batch("RELEASE effect")?;
                    Ok(())
                }
                Ok(Err(reject)) => {
                    tx.execute_batch("ROLLBACK TO effect; RELEASE effect")?;
                    Err(reject)
                }
                Err(HubStoreError::Db(e)) if e.is_constraint_violation() => {
                    tracing::warn!(op = %op.op_id, error = %e, "op breaks a constraint");
                    tx.execute_batch("ROLLBACK TO effect; RELEASE effect")?;
                    Err(Reject(
                        "操作与中心已有的数据冲突（编号或文件重复），未执行".into(),
                    ))
                }
                // A value the database cannot hold: rejected like a bad payload, so one op
                // never blocks the desk's outbox for good.
                Err(HubStoreError::Db(e)) if e.is_data_exception() => {
                    tracing::warn!(op = %op.op_id, error = %e, "op holds a value the database refuses");
                    tx.execute_batch("ROLLBACK TO effect; RELEASE effect")?;
                    Err(Reject(
                        "操作中含有中心数据库无法保存的内容（如不可见的控制字符），未执行".into(),
                    ))
                }
                Err(e) => return Err(e),
            }
        } else {
            Err(Reject(format!(
                "中心不支持该操作的格式版本 {}，请升级窗口程序",
                op.schema_version
            )))
        };
        let (status, reason) = match &outcome {
            Ok(()) => ("applied", None),
            Err(Reject(r)) => ("rejected", Some(r.clone())),
        };
        tx.execute(
            "INSERT INTO applied_op (device_id, op_id, device_seq, kind, status, reason, at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                device,
                op.op_id,
                op.device_seq,
                op.kind,
                status,
                reason,
                ts(now)
            ],
        )?;
        Ok(match outcome {
            Ok(()) => result(OpStatus::Applied, None, vec![]),
            Err(Reject(r)) => {
                tracing::warn!(op = %op.op_id, kind = %op.kind, reason = %r, "op rejected");
                result(OpStatus::Rejected, Some(r), vec![])
            }
        })
    }

    /// The devices whose results stream grew through this store since the last call (each
    /// once): the server wakes their desks' waiting requests.
    pub fn take_new_results(&mut self) -> Vec<String> {
        let mut devices = std::mem::take(&mut self.new_results);
        devices.sort();
        devices.dedup();
        devices
    }

    /// Tells the other hub processes on this database `payload` on `channel` (see
    /// [`crate::db::Conn::notify`]); `false` on SQLite, where there are none.
    pub fn notify(&self, channel: &str, payload: &str) -> Result<bool> {
        Ok(self.conn.notify(channel, payload)?)
    }

    /// Whether the store answers a read (for `/readyz`).
    pub fn ping(&self) -> Result<()> {
        self.conn.query_row("SELECT 1", (), |_| Ok(()))?;
        Ok(())
    }

    pub fn case_count(&self) -> Result<i64> {
        Ok(self
            .conn
            .query_row("SELECT count(*) FROM hub_case", (), |r| r.get(0))?)
    }

    /// A handed-off case: (number, state, item code, number of files).
    pub fn hub_case(&self, number: &str) -> Result<Option<(String, String, String, i64)>> {
        Ok(self
            .conn
            .query_row(
                "SELECT c.number, c.state, c.item_code,
                        (SELECT count(*) FROM hub_case_material m WHERE m.case_id = c.id)
                 FROM hub_case c WHERE c.number = ?1",
                [number],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .optional()?)
    }
}

fn uuid_like(b: &[u8; 16]) -> String {
    let h: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    )
}

/// The effect of one op inside its transaction; `Err(Reject)` leaves nothing of it.
fn apply_effect(
    tx: &Tx<'_>,
    device: &str,
    op: &Op,
    body: &std::result::Result<OpBody, OpDecodeError>,
    now: DateTime<Utc>,
) -> Result<std::result::Result<(), Reject>> {
    let body = match body {
        Ok(b) => b,
        Err(e) => return Ok(Err(Reject(e.reason_zh()))),
    };
    let checked = (|| -> std::result::Result<std::result::Result<(), Reject>, HubStoreError> {
        match body {
            OpBody::HandOff(h) => {
                let (id, number, item) = match (
                    plain("case_id", &h.case_id),
                    plain("number", &h.number),
                    plain("item_code", &h.item_code),
                ) {
                    (Ok(a), Ok(b), Ok(c)) => (a, b, c),
                    (Err(e), ..) | (_, Err(e), _) | (.., Err(e)) => return Ok(Err(e)),
                };
                let existing: Option<String> = tx
                    .query_row("SELECT id FROM hub_case WHERE number = ?1", [number], |r| {
                        r.get(0)
                    })
                    .optional()?;
                let promised = h.detail.promised_date.map(|d| d.to_string());
                // The receipt's query code; a case accepted again gets its new receipt's code.
                let query_code = h.detail.query_code.as_deref().filter(|c| {
                    c.len() == onewindow_proto::QUERY_CODE_LEN
                        && c.bytes()
                            .all(|b| onewindow_proto::QUERY_CODE_ALPHABET.contains(&b))
                });
                if let Some(other) = existing {
                    if other != id {
                        return Ok(Err(Reject(format!("办件编号 {number} 已被另一办件使用"))));
                    }
                    let (owner, state): (String, String) = tx.query_row(
                        "SELECT device_id, state FROM hub_case WHERE id = ?1",
                        [id],
                        |r| Ok((r.get(0)?, r.get(1)?)),
                    )?;
                    if owner != device {
                        return Ok(Err(Reject("该办件由其他窗口受理，本窗口不能更改".into())));
                    }
                    // Returned for correction, or a refusal request sent back to the clerk.
                    if state != "returned" && state != "refusal_sent_back" {
                        return Ok(Err(Reject(format!(
                            "办件在中心为“{state}”，只有退回补正的办件才能再次流转"
                        ))));
                    }
                    // A case returned and accepted again: its new hand-off replaces the old.
                    tx.execute(
                        "UPDATE hub_case SET state = 'handed_off', payload = ?2, updated_at = ?3,
                           promised_date = ?4, query_code = coalesce(?5, query_code),
                           accepted_at = CASE WHEN state = 'refusal_sent_back' THEN ?6
                                              ELSE accepted_at END
                         WHERE id = ?1",
                        params![
                            id,
                            op.payload.to_string(),
                            ts(now),
                            promised,
                            query_code,
                            ts(h.accepted_at)
                        ],
                    )?;
                } else {
                    tx.execute(
                        "INSERT INTO hub_case (id, number, device_id, item_code, scenario_code,
                           bundle_number, state, payload, accepted_at, promised_date, updated_at,
                           query_code)
                         VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'handed_off', ?7, ?8, ?9, ?10, ?11)",
                        params![
                            id,
                            number,
                            device,
                            item,
                            h.scenario_code,
                            h.bundle_case.as_ref().map(|b| b.number.as_str()),
                            op.payload.to_string(),
                            ts(h.accepted_at),
                            promised,
                            ts(now),
                            query_code
                        ],
                    )?;
                }
                for a in &h.detail.attachments {
                    insert_material(tx, id, &a.file, a.material.as_deref(), now)?;
                }
                Ok(Ok(()))
            }
            OpBody::MaterialAdded(m) => {
                let id = match plain("case_id", &m.case_id) {
                    Ok(i) => i,
                    Err(e) => return Ok(Err(e)),
                };
                if !case_exists(tx, id, device)? {
                    return Ok(Err(Reject("该办件尚未流转到中心，无法补充材料".into())));
                }
                insert_material(tx, id, &m.file, None, now)?;
                Ok(Ok(()))
            }
            OpBody::Delivered(d) => {
                let id = match plain("case_id", &d.case_id) {
                    Ok(i) => i,
                    Err(e) => return Ok(Err(e)),
                };
                let state: Option<String> = tx
                    .query_row(
                        "SELECT state FROM hub_case WHERE id = ?1 AND device_id = ?2",
                        params![id, device],
                        |r| r.get(0),
                    )
                    .optional()?;
                match state.as_deref() {
                    Some("approved" | "refused_by_office" | "delivered") => {}
                    Some(other) => {
                        return Ok(Err(Reject(format!(
                            "办件在中心为“{other}”，尚未作出决定，不能登记出件"
                        ))));
                    }
                    None => return Ok(Err(Reject("该办件尚未流转到中心".into()))),
                }
                tx.execute(
                    "UPDATE hub_case SET state = 'delivered', updated_at = ?2 WHERE id = ?1",
                    params![id, ts(now)],
                )?;
                case_event(tx, id, op, now)?;
                Ok(Ok(()))
            }
            OpBody::PledgeChecked(f) | OpBody::MaterialArrived(f) => {
                let id = match plain("case_id", &f.case_id) {
                    Ok(i) => i,
                    Err(e) => return Ok(Err(e)),
                };
                if !case_exists(tx, id, device)? {
                    return Ok(Err(Reject("该办件尚未流转到中心".into())));
                }
                case_event(tx, id, op, now)?;
                Ok(Ok(()))
            }
            OpBody::OfflineTicket(t) => {
                Ok(crate::store_offline::apply_offline_ticket(tx, device, t)?.map_err(Reject))
            }
            OpBody::OfflineRating(r) => {
                Ok(crate::store_offline::apply_offline_rating(tx, device, r)?.map_err(Reject))
            }
            OpBody::NoticeIssued(n) => {
                Ok(crate::store_offline::apply_notice(tx, device, &op.op_id, n)?.map_err(Reject))
            }
            OpBody::RefusalRequested(b) => {
                crate::store_refusal::apply_requested(tx, device, op, b, now)
            }
            OpBody::RefusalAnswered(b) => {
                crate::store_refusal::apply_answered(tx, device, op, b, now)
            }
            OpBody::Withdrawn(b) => crate::store_refusal::apply_withdrawn(tx, device, op, b, now),
            OpBody::UnresolvedRecorded(b) => crate::store_unresolved::apply_recorded(tx, device, b),
            OpBody::ReleaseReported(b) => {
                if !onewindow_domain::release::is_version(&b.release) {
                    return Ok(Err(Reject(format!(
                        "终端版本号格式不正确：{}",
                        b.release.chars().take(40).collect::<String>()
                    ))));
                }
                tx.execute(
                    "UPDATE device SET release = ?1, release_at = ?2 WHERE id = ?3",
                    params![b.release, ts(b.at), device],
                )?;
                Ok(Ok(()))
            }
        }
    })()?;
    Ok(checked)
}

/// An event of a case on the hub, with the op's payload as the desk sent it.
fn case_event(tx: &Tx<'_>, case_id: &str, op: &Op, now: DateTime<Utc>) -> Result<()> {
    tx.execute(
        "INSERT INTO hub_case_event (case_id, kind, payload, at) VALUES (?1, ?2, ?3, ?4)",
        params![case_id, op.kind, op.payload.to_string(), ts(now)],
    )?;
    Ok(())
}

/// Whether the case is on the hub and was handed off by this device (only the window that
/// took a case in reports on it).
fn case_exists(tx: &Tx<'_>, id: &str, device: &str) -> Result<bool> {
    Ok(tx.query_row(
        "SELECT EXISTS (SELECT 1 FROM hub_case WHERE id = ?1 AND device_id = ?2)",
        params![id, device],
        |r| r.get(0),
    )?)
}

fn insert_material(
    tx: &Tx<'_>,
    case_id: &str,
    f: &FileRef,
    material: Option<&str>,
    now: DateTime<Utc>,
) -> Result<()> {
    tx.execute(
        "INSERT INTO hub_case_material (case_id, sha256, slot, name, kind, size, pages, material, added_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
         ON CONFLICT(case_id, sha256) DO UPDATE SET slot = excluded.slot",
        params![
            case_id,
            f.sha256,
            f.slot.map(|s| s as i64),
            f.name,
            f.kind,
            f.size as i64,
            f.pages,
            material,
            ts(now)
        ],
    )?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store_blob::BlobDir;
    use onewindow_proto::BlobState;
    use onewindow_proto::OpKind;

    fn now() -> DateTime<Utc> {
        "2026-11-27T02:00:00Z".parse().unwrap()
    }

    fn sha(bytes: &[u8]) -> String {
        format!("{:x}", <sha2::Sha256 as sha2::Digest>::digest(bytes))
    }

    fn hand_off(op_id: &str, seq: i64, number: &str, files: &[&str]) -> Op {
        Op {
            op_id: op_id.into(),
            device_seq: seq,
            schema_version: 1,
            kind: OpKind::HandOff.as_str().into(),
            payload: serde_json::json!({
                "case_id": format!("case-{number}"), "number": number, "item_code": "000105001001",
                "accepted_at": "2026-11-27T02:00:00Z",
                "attachments": files.iter().map(|s| serde_json::json!({"sha256": s, "slot": 0,
                    "name": "p.jpg", "kind": "jpeg", "size": 3})).collect::<Vec<_>>(),
            }),
        }
    }

    #[test]
    fn enrolment_codes_are_one_time_and_tokens_identify_devices() {
        let mut s = HubStore::open_in_memory().unwrap();
        let (code, desk) = s
            .create_enrol_code("综合受理 1 号窗口", None, now())
            .unwrap();
        assert_eq!(desk, "W01");
        let (_, desk2) = s.create_enrol_code("2 号窗口", None, now()).unwrap();
        assert_eq!(desk2, "W02", "a pending code holds its desk code");
        assert!(s.create_enrol_code("x", Some("w01"), now()).is_err());
        let e = s.enrol(&code.to_lowercase(), now()).unwrap();
        assert_eq!(e.desk_code, "W01");
        assert!(matches!(
            s.enrol(&code, now()),
            Err(HubStoreError::BadEnrolCode)
        ));
        assert_eq!(
            s.device_for_token(&e.token).unwrap(),
            Some((e.device_id.clone(), false))
        );
        assert_eq!(s.device_for_token("nope").unwrap(), None);
        assert!(s.revoke_device("W01", now()).unwrap());
        assert_eq!(
            s.device_for_token(&e.token).unwrap(),
            Some((e.device_id, true))
        );
    }

    #[test]
    fn ops_apply_once_rejects_stay_rejected_and_wait_for_their_blobs() {
        let dir = tempfile::tempdir().unwrap();
        let blobs = BlobDir::new(dir.path().to_path_buf(), &[7u8; 32]);
        let mut s = HubStore::open_in_memory().unwrap();
        let (code, _) = s.create_enrol_code("1 号窗口", None, now()).unwrap();
        let dev = s.enrol(&code, now()).unwrap().device_id;
        let page = b"jpg".to_vec();
        let page_sha = sha(&page);

        let ops = vec![
            hand_off("op-1", 1, "W01-20261127-0001", &[&page_sha]),
            // A later op of the same case waits with it.
            Op {
                op_id: "op-2".into(),
                device_seq: 2,
                schema_version: 1,
                kind: OpKind::PledgeChecked.as_str().into(),
                payload: serde_json::json!({"case_id": "case-W01-20261127-0001"}),
            },
            // An op the hub cannot use is rejected and does not stop the next one.
            Op {
                op_id: "op-3".into(),
                device_seq: 3,
                schema_version: 1,
                kind: "case.teleport".into(),
                payload: serde_json::json!({}),
            },
            hand_off("op-4", 4, "W01-20261127-0002", &[]),
        ];
        let r = s.apply_ops(&dev, &ops, now()).unwrap();
        let status: Vec<OpStatus> = r.iter().map(|r| r.status).collect();
        assert_eq!(
            status,
            [
                OpStatus::WaitingForBlob,
                OpStatus::WaitingForBlob,
                OpStatus::Rejected,
                OpStatus::Applied
            ]
        );
        assert_eq!(r[0].missing_blobs, std::slice::from_ref(&page_sha));
        assert_eq!(s.case_count().unwrap(), 1);

        // The blob arrives in two chunks; a wrong offset is refused with the one to use.
        s.write_chunk(&blobs, &dev, &page_sha, 0, 3, b"jp", now())
            .unwrap();
        assert!(matches!(
            s.write_chunk(&blobs, &dev, &page_sha, 0, 3, b"jp", now()),
            Err(HubStoreError::BlobOffset { expected: 2, .. })
        ));
        let done = s
            .write_chunk(&blobs, &dev, &page_sha, 2, 3, b"g", now())
            .unwrap();
        assert!(done.complete);
        assert_eq!(blobs.read(&page_sha).unwrap(), page);

        let r = s.apply_ops(&dev, &ops, now()).unwrap();
        let status: Vec<OpStatus> = r.iter().map(|r| r.status).collect();
        assert_eq!(
            status,
            [
                OpStatus::Applied,
                OpStatus::Applied,
                OpStatus::Rejected,
                OpStatus::Duplicate
            ]
        );
        assert!(r[2].reason.as_deref().unwrap().contains("case.teleport"));
        assert_eq!(s.case_count().unwrap(), 2);
        assert_eq!(
            s.hub_case("W01-20261127-0001").unwrap().unwrap().3,
            1,
            "its file is linked"
        );
        // Replays of everything: the first results stand, nothing is applied twice.
        let r = s.apply_ops(&dev, &ops, now()).unwrap();
        assert!(
            r.iter()
                .all(|r| matches!(r.status, OpStatus::Duplicate | OpStatus::Rejected))
        );
        assert_eq!(s.case_count().unwrap(), 2);
    }

    #[test]
    fn a_desk_reports_only_on_its_own_cases_and_never_replays_under_a_new_identity() {
        let mut s = HubStore::open_in_memory().unwrap();
        let enrol = |s: &mut HubStore, name: &str| {
            let (code, _) = s.create_enrol_code(name, None, now()).unwrap();
            s.enrol(&code, now()).unwrap()
        };
        let device = |s: &mut HubStore, name: &str| enrol(s, name).device_id;
        let first_a = enrol(&mut s, "1 号窗口");
        let a = first_a.device_id.clone();
        let b = device(&mut s, "2 号窗口");
        let hand = hand_off("op-a1", 1, "W01-20261127-0001", &[]);
        assert_eq!(
            s.apply_ops(&a, std::slice::from_ref(&hand), now()).unwrap()[0].status,
            OpStatus::Applied
        );
        // Another desk cannot report on it, nor hand it off again.
        let foreign = Op {
            op_id: "op-b1".into(),
            device_seq: 1,
            schema_version: 1,
            kind: OpKind::Delivered.as_str().into(),
            payload: serde_json::json!({"case_id": "case-W01-20261127-0001"}),
        };
        let r = s.apply_ops(&b, &[foreign], now()).unwrap();
        assert_eq!(r[0].status, OpStatus::Rejected);
        let again = Op {
            op_id: "op-b2".into(),
            ..hand.clone()
        };
        let r = s.apply_ops(&b, &[again], now()).unwrap();
        assert_eq!(r[0].status, OpStatus::Rejected);
        assert!(
            r[0].reason
                .as_deref()
                .unwrap()
                .contains("不是本窗口（W02）的编号"),
            "{:?}",
            r[0].reason
        );
        // The same desk re-enrolled (a replaced PC) keeps its device: the old token stops
        // working, the new one reports on the desk's cases and sees their decisions.
        let other = enrol(&mut s, "3 号窗口");
        assert!(
            s.create_re_enrol_code("W09", None, now()).is_err(),
            "no such desk"
        );
        let (first, code) = s.create_re_enrol_code("w01", None, now()).unwrap();
        assert_eq!(code, "W01");
        let (second, _) = s
            .create_re_enrol_code("W01", Some("1 号窗口（新电脑）"), now())
            .unwrap();
        assert!(
            s.enrol(&first, now()).is_err(),
            "only the newest code counts"
        );
        let re = s.enrol(&second, now()).unwrap();
        assert_eq!(re.device_id, a);
        assert_eq!(re.desk_name, "1 号窗口（新电脑）");
        assert_eq!(
            s.device_for_token(&re.token).unwrap(),
            Some((a.clone(), false))
        );
        assert_eq!(
            s.device_for_token(&first_a.token).unwrap(),
            None,
            "the old token goes"
        );
        assert!(
            s.device_for_token(&other.token).unwrap().is_some(),
            "other desks keep theirs"
        );
        let delivered = Op {
            op_id: "op-a9".into(),
            device_seq: 9,
            schema_version: 1,
            kind: OpKind::PledgeChecked.as_str().into(),
            payload: serde_json::json!({"case_id": "case-W01-20261127-0001"}),
        };
        assert_eq!(
            s.apply_ops(&re.device_id, &[delivered], now()).unwrap()[0].status,
            OpStatus::Applied
        );
        // The same desk enrolled again as a new desk replays its op: refused, not applied
        // twice (the number is the old desk's).
        let a2 = device(&mut s, "1 号窗口（重新注册）");
        assert_eq!(
            s.apply_ops(&a2, &[hand], now()).unwrap()[0].status,
            OpStatus::Rejected
        );
        // A path-like blob id is refused, not waited for.
        let bad = Op {
            op_id: "op-a2".into(),
            ..hand_off("op-a2", 2, "W01-20261127-0002", &["../../hub.db"])
        };
        assert_eq!(
            s.apply_ops(&a, &[bad], now()).unwrap()[0].status,
            OpStatus::Rejected
        );
    }

    #[test]
    fn a_blob_whose_bytes_do_not_match_its_name_is_discarded() {
        let dir = tempfile::tempdir().unwrap();
        let blobs = BlobDir::new(dir.path().to_path_buf(), &[7u8; 32]);
        let mut s = HubStore::open_in_memory().unwrap();
        let (code, _) = s.create_enrol_code("1 号窗口", None, now()).unwrap();
        let dev = s.enrol(&code, now()).unwrap().device_id;
        let claimed = sha(b"abc");
        assert!(matches!(
            s.write_chunk(&blobs, &dev, &claimed, 0, 3, b"abd", now()),
            Err(HubStoreError::BlobMismatch(_))
        ));
        assert_eq!(s.blob_state(&dev, &claimed).unwrap().offset, 0);
        assert!(!blobs.partial(&dev, &claimed).exists());
        assert!(!blobs.path(&claimed).exists());
        assert!(matches!(
            s.write_chunk(&blobs, &dev, "../../etc/passwd", 0, 3, b"abc", now()),
            Err(HubStoreError::BadInput(_))
        ));
        // The right bytes are then taken.
        assert!(
            s.write_chunk(&blobs, &dev, &claimed, 0, 3, b"abc", now())
                .unwrap()
                .complete
        );
    }

    /// Seen (issue 15): desk W02 referenced W01's scan without uploading it, and learnt whether
    /// a blob exists by asking for its offset. Each device's upload is its own.
    #[test]
    fn a_device_references_and_probes_only_the_blobs_it_uploaded() {
        let dir = tempfile::tempdir().unwrap();
        let blobs = BlobDir::new(dir.path().to_path_buf(), &[7u8; 32]);
        let mut s = HubStore::open_in_memory().unwrap();
        let enrol = |s: &mut HubStore, name: &str| {
            let (code, _) = s.create_enrol_code(name, None, now()).unwrap();
            s.enrol(&code, now()).unwrap().device_id
        };
        let (a, b) = (enrol(&mut s, "1 号窗口"), enrol(&mut s, "2 号窗口"));
        let scan = b"jpg".to_vec();
        let sha = sha(&scan);
        assert!(
            s.write_chunk(&blobs, &a, &sha, 0, 3, &scan, now())
                .unwrap()
                .complete
        );
        // W02 learns nothing of it, and cannot attach it.
        assert_eq!(
            s.blob_state(&b, &sha).unwrap(),
            BlobState {
                offset: 0,
                complete: false
            }
        );
        let mine = hand_off("op-b1", 1, "W02-20261127-0001", &[&sha]);
        let r = s.apply_ops(&b, std::slice::from_ref(&mine), now()).unwrap();
        assert_eq!(r[0].status, OpStatus::WaitingForBlob);
        assert_eq!(r[0].missing_blobs, std::slice::from_ref(&sha));
        // Once it sends the bytes itself (kept once on disk), its hand-off applies.
        assert!(
            s.write_chunk(&blobs, &b, &sha, 0, 3, &scan, now())
                .unwrap()
                .complete
        );
        assert!(!blobs.partial(&b, &sha).exists());
        assert_eq!(blobs.read(&sha).unwrap(), scan);
        assert_eq!(
            s.apply_ops(&b, &[mine], now()).unwrap()[0].status,
            OpStatus::Applied
        );
        // W02 hands off a case numbered with W01's code: refused, whatever the op.
        let foreign = hand_off("op-b2", 2, "W01-20261127-0009", &[]);
        let r = s.apply_ops(&b, &[foreign], now()).unwrap();
        assert_eq!(r[0].status, OpStatus::Rejected);
        let notice = |op: &str, number: &str| Op {
            op_id: op.into(),
            device_seq: 3,
            schema_version: 1,
            kind: OpKind::NoticeIssued.as_str().into(),
            payload: serde_json::json!({"case_id": "c", "number": number, "item_code": "i",
                "by": "liu", "at": "2026-11-27T02:00:00Z"}),
        };
        let r = s
            .apply_ops(&b, &[notice("op-n", "W01-20261127-0003")], now())
            .unwrap();
        assert_eq!(r[0].status, OpStatus::Rejected);
        // The notices table keys by (device, op id): two desks' ops of one id both count.
        for (dev, number) in [(&a, "W01-20261127-0003"), (&b, "W02-20261127-0003")] {
            let r = s
                .apply_ops(dev, &[notice("op-same", number)], now())
                .unwrap();
            assert_eq!(r[0].status, OpStatus::Applied, "{number}");
        }
        let n: i64 = s
            .conn
            .query_row(
                "SELECT count(*) FROM notice_issued WHERE op_id = 'op-same'",
                (),
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(n, 2);
    }
}
