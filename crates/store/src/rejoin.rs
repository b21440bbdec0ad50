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
        // Acknowledged since the backup (a day's margin for clocks that differ): an op that
        // waited for its scan was applied after later ones, so the hub's last sequence alone
        // would miss it. Sending one the hub has is harmless: it answers `duplicate`.
        let since = heads
            .restored_from
            .as_deref()
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
            .map(|t| crate::cases::ts(t.to_utc() - chrono::Duration::days(1)));
        let tx = self.conn.transaction()?;
        let ops_to_resend = tx.execute(
            "DELETE FROM op_result WHERE status IN ('applied', 'duplicate')
               AND (op_id IN (SELECT op_id FROM outbox WHERE device_seq > ?1)
                    OR (?2 IS NOT NULL AND at >= ?2))",
            params![heads.last_device_seq, since],
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

#[cfg(test)]
mod tests {
    use chrono::{DateTime, Utc};

    use crate::push::{Answer, Identity};
    use crate::{Store, cases::ts};

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    /// Ops are not applied in sequence (one waits for its scan while later ones go on): an op
    /// acknowledged after the backup goes again even when a later one was in the backup, and
    /// the hub's cursor heads and the desk's epoch follow the restore.
    #[test]
    fn what_the_restored_hub_lacks_goes_again_in_whatever_order_it_was_applied() {
        let mut s = Store::open_in_memory().unwrap();
        s.set_identity(&Identity {
            device_id: "d1".into(),
            desk_code: "W01".into(),
            desk_name: "1 号窗口".into(),
            hub_url: "http://127.0.0.1:9".into(),
            enrolled_at: "2026-11-20T00:00:00Z".into(),
            hub_pin: None,
        })
        .unwrap();
        s.set_hub_epoch("old").unwrap();
        s.create_case(
            &crate::cases::NewCase {
                item_code: "000105001001".into(),
                scenario_code: None,
                local_date: "2026-11-27".parse().unwrap(),
            },
            &crate::cases::Actor {
                user: "liu".into(),
                desk: "W01".into(),
            },
            at("2026-11-27T01:00:00Z"),
        )
        .unwrap();
        {
            let tx = s.conn.transaction().unwrap();
            for _ in 0..3 {
                crate::cases::push_op_raw(&tx, 1, "queue.note", "{}", at("2026-11-27T01:00:00Z"))
                    .unwrap();
            }
            tx.commit().unwrap();
        }
        let ops = s.pending_ops(10).unwrap();
        assert_eq!(ops.len(), 3);
        // The first and the last were applied before the backup (made on the 27th); the middle
        // one waited for its scan and was applied two days later.
        let before = at("2026-11-25T01:00:00Z");
        s.record_answers(
            &[
                (ops[0].op_id.clone(), Answer::Applied, None),
                (ops[2].op_id.clone(), Answer::Applied, None),
            ],
            before,
        )
        .unwrap();
        s.record_answers(
            &[(ops[1].op_id.clone(), Answer::Applied, None)],
            at("2026-11-29T01:00:00Z"),
        )
        .unwrap();
        assert!(s.pending_ops(10).unwrap().is_empty());
        s.conn
            .execute_batch(
                "INSERT INTO sync_stream (stream, cursor, staged_cursor) VALUES ('results', 40, 40), ('catalog', 7, 7);
                 UPDATE case_record SET last_result_seq = 38;",
            )
            .unwrap();

        let heads = onewindow_proto::DeviceHeads {
            epoch: "new".into(),
            last_device_seq: ops[2].device_seq,
            audit_seq: 0,
            streams: [("results".to_string(), 30), ("catalog".to_string(), 9)]
                .into_iter()
                .collect(),
            restored_from: Some(ts(at("2026-11-27T02:00:00Z"))),
        };
        let r = s.rejoin_restored_hub(&heads).unwrap();
        assert_eq!(r.ops_to_resend, 1);
        let pending = s.pending_ops(10).unwrap();
        assert_eq!(pending.len(), 1);
        assert_eq!(pending[0].op_id, ops[1].op_id);
        assert_eq!(s.hub_epoch().unwrap().as_deref(), Some("new"));
        let cursor = |stream: &str| -> i64 {
            s.conn
                .query_row(
                    "SELECT cursor FROM sync_stream WHERE stream = ?1",
                    [stream],
                    |r| r.get(0),
                )
                .unwrap()
        };
        assert_eq!(cursor("results"), 30, "back to the restored head");
        assert_eq!(cursor("catalog"), 7, "a stream behind the hub stays");
        let last: i64 = s
            .conn
            .query_row("SELECT max(last_result_seq) FROM case_record", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(last, 30);
    }
}
