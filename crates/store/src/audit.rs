//! The desk's audit log: appended in the transaction of what it records (a state change, a
//! sign-in) or on its own (a view, a print), verified as a chain, and sent to the hub.

use chrono::{DateTime, Utc};
use onewindow_domain::audit::{AuditRecord, ChainBreak, GENESIS, verify_chain};
use rusqlite::{Connection, OptionalExtension, params};

use crate::cases::ts;
use crate::{Result, Store};

/// What one audit record says (the chain fields are added when it is appended).
#[derive(Debug, Clone, Copy)]
pub struct Audit<'a> {
    pub actor: &'a str,
    pub desk: &'a str,
    pub action: &'a str,
    pub object: &'a str,
    pub result: &'a str,
    pub detail: Option<&'a str>,
}

const COLUMNS: &str = "seq, at, actor, desk, action, object, result, detail, prev_hash, hash";

fn read(r: &rusqlite::Row<'_>) -> rusqlite::Result<AuditRecord> {
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
        // Signed as it leaves for the hub (`onewindow_sync::push_audit`).
        sig: None,
    })
}

/// Appends one record after the chain's head, inside the caller's transaction.
pub(crate) fn append(conn: &Connection, a: &Audit<'_>, at: DateTime<Utc>) -> Result<AuditRecord> {
    let head: Option<(i64, String)> = conn
        .query_row(
            "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let (seq, hash) = head.unwrap_or((0, GENESIS.to_string()));
    let r = AuditRecord::next(
        seq,
        &hash,
        ts(at),
        a.actor,
        a.desk,
        a.action,
        a.object,
        a.result,
        a.detail,
    );
    conn.execute(
        &format!(
            "INSERT INTO audit_log ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
        ),
        params![
            r.seq,
            r.at,
            r.actor,
            r.desk,
            r.action,
            r.object,
            r.result,
            r.detail,
            r.prev_hash,
            r.hash
        ],
    )?;
    Ok(r)
}

impl Store {
    /// Appends one record on its own (a view, a print, a sign-in).
    pub fn audit(&mut self, a: &Audit<'_>, at: DateTime<Utc>) -> Result<AuditRecord> {
        let tx = self.conn.transaction()?;
        let r = append(&tx, a, at)?;
        tx.commit()?;
        Ok(r)
    }

    /// The chain's head: the newest record's number and hash (the genesis before the first).
    pub fn audit_head(&self) -> Result<(i64, String)> {
        Ok(self
            .conn
            .query_row(
                "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?
            .unwrap_or((0, GENESIS.to_string())))
    }

    /// The newest records, newest first.
    pub fn audit_recent(&self, n: u32) -> Result<Vec<AuditRecord>> {
        let mut q = self.conn.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM audit_log ORDER BY seq DESC LIMIT ?1"
        ))?;
        let rows = q.query_map([n], read)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Checks the whole local chain; where it breaks, if it does.
    pub fn audit_verify(&self) -> Result<Option<ChainBreak>> {
        let mut q = self
            .conn
            .prepare(&format!("SELECT {COLUMNS} FROM audit_log ORDER BY seq"))?;
        let all: Vec<AuditRecord> = q.query_map([], read)?.collect::<rusqlite::Result<_>>()?;
        Ok(verify_chain(0, GENESIS, &all).err())
    }

    /// Records the hub does not have yet, oldest first, at most `limit`.
    pub fn audit_unsent(&self, limit: u32) -> Result<Vec<AuditRecord>> {
        let mut q = self.conn.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM audit_log
             WHERE seq > coalesce((SELECT seq FROM audit_sent WHERE id = 1), 0)
             ORDER BY seq LIMIT ?1"
        ))?;
        let rows = q.query_map([limit], read)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// The hub has the log up to `seq`.
    pub fn audit_sent(&mut self, seq: i64) -> Result<()> {
        self.conn.execute(
            "INSERT INTO audit_sent (id, seq) VALUES (1, ?1)
             ON CONFLICT(id) DO UPDATE SET seq = max(seq, excluded.seq)",
            [seq],
        )?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view<'a>(object: &'a str) -> Audit<'a> {
        Audit {
            actor: "liu",
            desk: "W01",
            action: "view",
            object,
            result: "ok",
            detail: None,
        }
    }

    #[test]
    fn the_log_is_a_chain_that_refuses_edits_and_shows_them_when_forced() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.db");
        let mut s = Store::open(&path).unwrap();
        let t: DateTime<Utc> = "2026-11-27T02:00:00Z".parse().unwrap();
        for n in ["A", "B", "C", "D"] {
            s.audit(&view(n), t).unwrap();
        }
        assert_eq!(s.audit_verify().unwrap(), None);
        assert_eq!(s.audit_unsent(10).unwrap().len(), 4);
        s.audit_sent(2).unwrap();
        let unsent = s.audit_unsent(10).unwrap();
        assert_eq!(unsent.iter().map(|r| r.seq).collect::<Vec<_>>(), [3, 4]);
        // Edits and deletes are refused by the database itself.
        assert!(
            s.conn
                .execute("UPDATE audit_log SET actor = 'x' WHERE seq = 2", [])
                .is_err()
        );
        assert!(
            s.conn
                .execute("DELETE FROM audit_log WHERE seq = 4", [])
                .is_err()
        );
        // Around the triggers, the chain tells.
        drop(s);
        {
            let c = Connection::open(&path).unwrap();
            c.execute_batch(
                "DROP TRIGGER audit_log_no_update; UPDATE audit_log SET object = 'Z' WHERE seq = 2;",
            )
            .unwrap();
        }
        let s = Store::open(&path).unwrap();
        let broken = s.audit_verify().unwrap().unwrap();
        assert_eq!(broken.seq, 2);
    }
}
