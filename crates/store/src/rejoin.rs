//! A hub restored from a backup (a new epoch, `onewindow_proto::EPOCH_HEADER`): the desk keeps
//! every op it ever sent, so it can send again, exactly once, what the hub acknowledged after
//! the backup and lost, and follow its streams again from where the hub is, with nothing
//! rebuilt.

use rusqlite::{OptionalExtension, params};

use crate::{Result, Store};

/// What [`Store::rejoin_restored_hub`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rejoined {
    /// Acknowledged ops made pending again (the hub lacks them).
    pub ops_to_resend: usize,
}

impl Store {
    /// The hub's epoch this desk last knew (none before the first answer that named one).
    pub fn hub_epoch(&self) -> Result<Option<String>> {
        Ok(self
            .conn
            .query_row(
                "SELECT hub_epoch FROM device_identity WHERE id = 1",
                [],
                |r| r.get(0),
            )
            .optional()?
            .flatten())
    }

    /// Remembers the hub's epoch (the desk must be enrolled).
    pub fn set_hub_epoch(&mut self, epoch: &str) -> Result<()> {
        self.conn.execute(
            "UPDATE device_identity SET hub_epoch = ?1 WHERE id = 1",
            [epoch],
        )?;
        Ok(())
    }

    /// The hub now in `epoch` holds this desk's ops up to `heads.last_device_seq`, its audit
    /// records up to `heads.audit_seq`, and each pull stream up to `heads.streams`. In one
    /// transaction: the acknowledged ops after that become pending again (rejected and
    /// discarded ones keep their answer: the clerk has seen it); the audit records after the
    /// hub's head go again; a stream the desk had followed past the hub's last change goes
    /// back to it (so the changes the hub numbers from there all arrive), and so does each
    /// case's last applied result; the new epoch is kept.
    pub fn rejoin_restored_hub(
        &mut self,
        heads: &onewindow_proto::DeviceHeads,
    ) -> Result<Rejoined> {
        let tx = self.conn.transaction()?;
        let ops_to_resend = tx.execute(
            "DELETE FROM op_result WHERE status IN ('applied', 'duplicate')
               AND op_id IN (SELECT op_id FROM outbox WHERE device_seq > ?1)",
            [heads.last_device_seq],
        )?;
        tx.execute(
            "UPDATE audit_sent SET seq = min(seq, ?1) WHERE id = 1",
            [heads.audit_seq],
        )?;
        tx.execute("DELETE FROM catalog_staging", [])?;
        for (stream, head) in &heads.streams {
            tx.execute(
                "UPDATE sync_stream SET cursor = min(cursor, ?2), staged_cursor = min(cursor, ?2)
                 WHERE stream = ?1",
                params![stream, head],
            )?;
        }
        if let Some(results) = heads.streams.get(crate::push::RESULTS) {
            tx.execute(
                "UPDATE case_record SET last_result_seq = min(last_result_seq, ?1)",
                [results],
            )?;
        }
        tx.execute(
            "UPDATE device_identity SET hub_epoch = ?1 WHERE id = 1",
            params![heads.epoch],
        )?;
        tx.commit()?;
        Ok(Rejoined { ops_to_resend })
    }
}
