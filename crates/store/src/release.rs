//! The release this desk runs, told to its hub once per release (`device.release_reported`):
//! a county upgrading 200 desks from its hub sees on the hub how far it got.

use chrono::{DateTime, Utc};
use onewindow_proto::OpBody;
use onewindow_proto::ops::ReleaseReported;
use rusqlite::OptionalExtension;

use crate::cases::push_op;
use crate::{Result, Store};

impl Store {
    /// Puts `device.release_reported` in the outbox when this enrolled desk runs another
    /// release than it last told its hub, in one transaction with the note that it did;
    /// whether it did (not enrolled, or told already: nothing).
    pub fn report_release(
        &mut self,
        release: &str,
        protocol: u32,
        at: DateTime<Utc>,
    ) -> Result<bool> {
        let tx = self.conn.transaction()?;
        let told: Option<Option<String>> = tx
            .query_row(
                "SELECT reported_release FROM device_identity WHERE id = 1",
                [],
                |r| r.get(0),
            )
            .optional()?;
        let Some(told) = told else {
            return Ok(false);
        };
        if told.as_deref() == Some(release) {
            return Ok(false);
        }
        let body = OpBody::ReleaseReported(ReleaseReported {
            release: release.to_string(),
            protocol,
            at,
        });
        push_op(&tx, &body, at)?;
        tx.execute(
            "UPDATE device_identity SET reported_release = ?1 WHERE id = 1",
            [release],
        )?;
        tx.commit()?;
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use crate::Store;
    use crate::push::Identity;

    #[test]
    fn a_release_is_reported_once_and_again_after_an_upgrade_or_a_new_enrolment() {
        let mut s = Store::open_in_memory().unwrap();
        let at = "2026-12-07T02:00:00Z".parse().unwrap();
        // Not enrolled: nobody to tell.
        assert!(!s.report_release("0.1.0", 2, at).unwrap());
        let identity = Identity {
            device_id: "d1".into(),
            desk_code: "W01".into(),
            desk_name: "1 号窗口".into(),
            hub_url: "http://127.0.0.1:9".into(),
            enrolled_at: "2026-11-20T00:00:00Z".into(),
            hub_pin: None,
        };
        s.set_identity(&identity).unwrap();
        assert!(s.report_release("0.1.0", 2, at).unwrap());
        assert!(!s.report_release("0.1.0", 2, at).unwrap());
        assert!(s.report_release("0.1.0+next1", 2, at).unwrap());
        s.set_identity(&identity).unwrap();
        assert!(s.report_release("0.1.0+next1", 2, at).unwrap());
        let ops = s.pending_ops_after(0, 10).unwrap();
        assert_eq!(ops.len(), 3);
        assert!(
            ops.iter()
                .all(|o| o.kind == onewindow_proto::OpKind::ReleaseReported.as_str())
        );
        let body = onewindow_proto::OpBody::decode(&ops[2].kind, &ops[2].payload).unwrap();
        assert_eq!(
            body,
            onewindow_proto::OpBody::ReleaseReported(onewindow_proto::ops::ReleaseReported {
                release: "0.1.0+next1".into(),
                protocol: 2,
                at,
            })
        );
    }
}
