//! Desks' audit logs on the hub: each batch must continue the chain from the head the hub
//! last received (its anchor) — a changed record, a gap, or the newest records deleted after
//! they were sent break it, and the break is recorded for the supervisor.

use chrono::{DateTime, Utc};
use onewindow_domain::audit::{AuditRecord, GENESIS, verify_chain};
use rusqlite::{OptionalExtension, params};
use serde::{Deserialize, Serialize};

use crate::store::{HubStore, Result};
use crate::store_queue::ts;

/// What a batch of audit records came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuditReceipt {
    /// Taken; the chain's head now.
    Taken { seq: i64, hash: String },
    /// The chain breaks here; nothing of the batch was taken, the break is recorded.
    Broken { seq: i64, reason: String },
}

/// A device's audit log as the supervisor sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditHead {
    pub desk_code: String,
    pub desk_name: String,
    pub seq: i64,
    pub at: String,
    pub breaks: Vec<(i64, String, String)>,
}

/// The device id of the hub's own audit chain (back-office actions).
pub const HUB_CHAIN: &str = "hub";

/// The hub's own chain as the audit page shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HubAudit {
    /// How many records, and the newest ones (newest first).
    pub seq: i64,
    pub recent: Vec<AuditRecord>,
    /// Where the chain breaks, if it does (a record changed or removed around the triggers).
    pub broken: Option<(i64, String)>,
}

/// The chain head of `device` (the genesis before its first record).
fn anchor(tx: &rusqlite::Transaction<'_>, device: &str) -> Result<(i64, String)> {
    Ok(tx
        .query_row(
            "SELECT seq, hash FROM audit_anchor WHERE device_id = ?1",
            [device],
            |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)),
        )
        .optional()?
        .unwrap_or((0, GENESIS.to_string())))
}

/// Appends one record of `device`'s chain, as received at `received`.
fn insert_record(
    tx: &rusqlite::Transaction<'_>,
    device: &str,
    r: &AuditRecord,
    received: &str,
) -> Result<()> {
    tx.execute(
        "INSERT INTO audit_record (device_id, seq, at, actor, desk, action, object, result,
           detail, prev_hash, hash, received)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
        params![
            device,
            r.seq,
            r.at,
            r.actor,
            r.desk,
            r.action,
            r.object,
            r.result,
            r.detail,
            r.prev_hash,
            r.hash,
            received
        ],
    )?;
    Ok(())
}

/// Moves `device`'s chain head.
fn set_anchor(
    tx: &rusqlite::Transaction<'_>,
    device: &str,
    seq: i64,
    hash: &str,
    at: &str,
) -> Result<()> {
    tx.execute(
        "INSERT INTO audit_anchor (device_id, seq, hash, at) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT(device_id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash,
           at = excluded.at",
        params![device, seq, hash, at],
    )?;
    Ok(())
}

impl HubStore {
    /// Appends a back-office action to the hub's own chain: who (a user name, or the address
    /// of someone not signed in), the action (login, login_failed, logout, view, decide,
    /// export), what it was done to, and the result.
    pub fn audit_hub(
        &mut self,
        actor: &str,
        action: &str,
        object: &str,
        result: &str,
        detail: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let tx = self.conn.transaction()?;
        let (seq, hash) = anchor(&tx, HUB_CHAIN)?;
        let r = AuditRecord::next(
            seq,
            &hash,
            onewindow_domain::time::stamp(now),
            actor,
            HUB_CHAIN,
            action,
            object,
            result,
            detail,
        );
        insert_record(&tx, HUB_CHAIN, &r, &r.at)?;
        set_anchor(&tx, HUB_CHAIN, r.seq, &r.hash, &r.at)?;
        tx.commit()?;
        Ok(())
    }

    /// The hub's own chain, checked whole from its first record to the anchor.
    pub fn hub_audit(&self, recent: usize) -> Result<HubAudit> {
        let mut q = self.conn.prepare(
            "SELECT seq, at, actor, desk, action, object, result, detail, prev_hash, hash
             FROM audit_record WHERE device_id = ?1 ORDER BY seq",
        )?;
        let records: Vec<AuditRecord> = q
            .query_map([HUB_CHAIN], |r| {
                Ok(AuditRecord {
                    seq: r.get(0)?,
                    at: r.get(1)?,
                    actor: r.get(2)?,
                    desk: r.get(3)?,
                    action: r.get(4)?,
                    object: r.get(5)?,
                    result: r.get(6)?,
                    detail: r.get(7)?,
                    prev_hash: r.get(8)?,
                    hash: r.get(9)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        let anchor: Option<(i64, String)> = self
            .conn
            .query_row(
                "SELECT seq, hash FROM audit_anchor WHERE device_id = ?1",
                [HUB_CHAIN],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let mut broken = verify_chain(0, GENESIS, &records)
            .err()
            .map(|b| (b.seq, b.reason));
        let last = records.last().map(|r| (r.seq, r.hash.clone()));
        if broken.is_none() && anchor.is_some() && last != anchor {
            let seq = anchor.as_ref().map_or(0, |a| a.0);
            broken = Some((
                seq,
                format!("the newest records up to {seq} are missing or were rewritten"),
            ));
        }
        Ok(HubAudit {
            seq: last.map_or(0, |l| l.0),
            recent: records.into_iter().rev().take(recent).collect(),
            broken,
        })
    }

    /// Takes a batch of a device's audit records (oldest first) if it continues the chain.
    /// Records the hub already has are skipped when they are the same, a break when not.
    pub fn receive_audit(
        &mut self,
        device: &str,
        records: &[AuditRecord],
        now: DateTime<Utc>,
    ) -> Result<AuditReceipt> {
        let tx = self.conn.transaction()?;
        let (head_seq, head_hash) = anchor(&tx, device)?;
        let mut fresh: Vec<&AuditRecord> = Vec::new();
        let mut broken = None;
        for r in records {
            if r.seq <= head_seq {
                let had: Option<String> = tx
                    .query_row(
                        "SELECT hash FROM audit_record WHERE device_id = ?1 AND seq = ?2",
                        params![device, r.seq],
                        |row| row.get(0),
                    )
                    .optional()?;
                if had.as_deref() != Some(r.hash.as_str()) {
                    broken = Some((
                        r.seq,
                        format!(
                            "record {} differs from the one received before: the desk's log was changed or its newest records deleted",
                            r.seq
                        ),
                    ));
                    break;
                }
            } else {
                fresh.push(r);
            }
        }
        if broken.is_none() {
            let owned: Vec<AuditRecord> = fresh.iter().map(|r| (*r).clone()).collect();
            if let Err(b) = verify_chain(head_seq, &head_hash, &owned) {
                broken = Some((b.seq, b.reason));
            }
        }
        if let Some((seq, reason)) = broken {
            tx.execute(
                "INSERT OR IGNORE INTO audit_break (device_id, seq, reason, at)
                 VALUES (?1, ?2, ?3, ?4)",
                params![device, seq, reason, ts(now)],
            )?;
            tx.commit()?;
            tracing::warn!(device, seq, reason = %reason, "audit chain broken");
            return Ok(AuditReceipt::Broken { seq, reason });
        }
        for r in &fresh {
            insert_record(&tx, device, r, &ts(now))?;
        }
        let (seq, hash) = fresh
            .last()
            .map_or((head_seq, head_hash), |r| (r.seq, r.hash.clone()));
        set_anchor(&tx, device, seq, &hash, &ts(now))?;
        tx.commit()?;
        Ok(AuditReceipt::Taken { seq, hash })
    }

    /// Every device's audit head and the breaks found in its log.
    pub fn audit_heads(&self) -> Result<Vec<AuditHead>> {
        let mut q = self.conn.prepare(
            "SELECT d.id, d.desk_code, d.desk_name, coalesce(a.seq, 0), coalesce(a.at, '')
             FROM device d LEFT JOIN audit_anchor a ON a.device_id = d.id ORDER BY d.desk_code",
        )?;
        let rows: Vec<(String, String, String, i64, String)> = q
            .query_map([], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?))
            })?
            .collect::<rusqlite::Result<_>>()?;
        let mut b = self
            .conn
            .prepare("SELECT seq, reason, at FROM audit_break WHERE device_id = ?1 ORDER BY id")?;
        rows.into_iter()
            .map(|(id, desk_code, desk_name, seq, at)| {
                let breaks = b
                    .query_map([&id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                    .collect::<rusqlite::Result<_>>()?;
                Ok(AuditHead {
                    desk_code,
                    desk_name,
                    seq,
                    at,
                    breaks,
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hubs_own_chain_is_append_only_and_checked_whole() {
        let mut s = HubStore::open_in_memory().unwrap();
        let now = Utc::now();
        s.audit_hub("wang", "login", "wang", "ok", None, now)
            .unwrap();
        s.audit_hub("wang", "view", "W01-20261127-0001", "ok", None, now)
            .unwrap();
        s.audit_hub(
            "wang",
            "export",
            "figures.xlsx",
            "ok",
            Some("2026-11-01..2026-11-27"),
            now,
        )
        .unwrap();
        let a = s.hub_audit(10).unwrap();
        assert_eq!((a.seq, a.broken.clone()), (3, None));
        assert_eq!(a.recent[0].action, "export");
        // The triggers refuse edits and deletes.
        assert!(
            s.conn
                .execute(
                    "UPDATE audit_record SET actor = 'x' WHERE device_id = 'hub'",
                    []
                )
                .is_err()
        );
        assert!(
            s.conn
                .execute(
                    "DELETE FROM audit_record WHERE device_id = 'hub' AND seq = 3",
                    []
                )
                .is_err()
        );
        // Edited around them: the check finds it.
        s.conn
            .execute_batch(
                "DROP TRIGGER audit_record_no_update;
                 UPDATE audit_record SET object = 'W01-20261127-0002' WHERE device_id = 'hub' AND seq = 2;",
            )
            .unwrap();
        assert_eq!(s.hub_audit(10).unwrap().broken.unwrap().0, 2);
        // The newest removed: the anchor shows it.
        let mut s = HubStore::open_in_memory().unwrap();
        s.audit_hub("wang", "login", "wang", "ok", None, now)
            .unwrap();
        s.audit_hub("wang", "export", "figures.xlsx", "ok", None, now)
            .unwrap();
        s.conn
            .execute_batch(
                "DROP TRIGGER audit_record_no_delete;
                 DELETE FROM audit_record WHERE device_id = 'hub' AND seq = 2;",
            )
            .unwrap();
        assert!(
            s.hub_audit(10)
                .unwrap()
                .broken
                .unwrap()
                .1
                .contains("missing")
        );
    }

    fn chain(n: i64) -> Vec<AuditRecord> {
        let mut out: Vec<AuditRecord> = Vec::new();
        for i in 0..n {
            let (seq, hash) = out
                .last()
                .map_or((0, GENESIS.to_string()), |r| (r.seq, r.hash.clone()));
            out.push(AuditRecord::next(
                seq,
                &hash,
                format!("2026-11-27T02:00:{i:02}.000Z"),
                "liu",
                "W01",
                "view",
                &format!("W01-20261127-{i:04}"),
                "ok",
                None,
            ));
        }
        out
    }

    #[test]
    fn the_hub_takes_a_continuing_chain_and_flags_edits_and_deleted_heads() {
        let mut s = HubStore::open_in_memory().unwrap();
        let (code, _) = s.create_enrol_code("1 号窗口", None, Utc::now()).unwrap();
        let dev = s.enrol(&code, Utc::now()).unwrap().device_id;
        let c = chain(6);
        let now = Utc::now();
        assert!(matches!(
            s.receive_audit(&dev, &c[..3], now).unwrap(),
            AuditReceipt::Taken { seq: 3, .. }
        ));
        // A resend of what the hub has, then more: fine.
        assert!(matches!(
            s.receive_audit(&dev, &c[2..5], now).unwrap(),
            AuditReceipt::Taken { seq: 5, .. }
        ));
        // An edited record is refused and flagged.
        let mut edited = c[5].clone();
        edited.object = "something else".into();
        let AuditReceipt::Broken { seq, reason } = s.receive_audit(&dev, &[edited], now).unwrap()
        else {
            panic!("edited record taken")
        };
        assert_eq!(seq, 6);
        assert!(reason.contains("changed"), "{reason}");
        // The desk deleted its records 4 and 5 after sending them and wrote a new 4.
        let regrown = AuditRecord::next(
            3,
            &c[2].hash,
            "2026-11-27T03:00:00.000Z".into(),
            "liu",
            "W01",
            "view",
            "X",
            "ok",
            None,
        );
        let AuditReceipt::Broken { seq, reason } = s.receive_audit(&dev, &[regrown], now).unwrap()
        else {
            panic!("a regrown head taken")
        };
        assert_eq!(seq, 4);
        assert!(reason.contains("newest records deleted"), "{reason}");
        // The supervisor sees both breaks; the real record 6 is still taken.
        assert!(matches!(
            s.receive_audit(&dev, &c[5..], now).unwrap(),
            AuditReceipt::Taken { seq: 6, .. }
        ));
        let heads = s.audit_heads().unwrap();
        assert_eq!((heads[0].seq, heads[0].breaks.len()), (6, 2));
    }
}
