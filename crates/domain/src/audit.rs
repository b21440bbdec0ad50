//! The audit log (审计日志): append-only records of who did what, when, at which desk, to what,
//! with what result — every view, reveal, print, export, state change and sign-in. Each record
//! carries the SHA-256 of the one before it, so editing or deleting one breaks the chain; the
//! hub keeps the head it last received, so deleting the newest records after they were sent
//! is seen too.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The `prev_hash` of a desk's first record.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// One audit record. Never personal data: objects are case numbers, document kinds, user
/// names; a reveal's reason is the clerk's words.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditRecord {
    /// 1, 2, 3 … per desk, without gaps.
    pub seq: i64,
    /// RFC 3339.
    pub at: String,
    pub actor: String,
    pub desk: String,
    /// view | reveal | print | export | state | login | logout | login_failed …
    pub action: String,
    /// What it was done to: a case number, `case:NUMBER/receipt`, a user name.
    pub object: String,
    /// ok, or why it was refused.
    pub result: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    pub prev_hash: String,
    pub hash: String,
}

impl AuditRecord {
    /// The hash this record must carry: SHA-256 over its previous hash and every field, each
    /// length-prefixed so no two records hash alike by shifting text between fields.
    pub fn expected_hash(&self) -> String {
        let mut h = Sha256::new();
        let seq = self.seq.to_string();
        for part in [
            self.prev_hash.as_str(),
            seq.as_str(),
            self.at.as_str(),
            self.actor.as_str(),
            self.desk.as_str(),
            self.action.as_str(),
            self.object.as_str(),
            self.result.as_str(),
            self.detail.as_deref().unwrap_or("\u{0}"),
        ] {
            h.update((part.len() as u64).to_be_bytes());
            h.update(part.as_bytes());
        }
        format!("{:x}", h.finalize())
    }

    /// A new record after `(prev_seq, prev_hash)`, its hash computed.
    #[allow(clippy::too_many_arguments)]
    pub fn next(
        prev_seq: i64,
        prev_hash: &str,
        at: String,
        actor: &str,
        desk: &str,
        action: &str,
        object: &str,
        result: &str,
        detail: Option<&str>,
    ) -> AuditRecord {
        let mut r = AuditRecord {
            seq: prev_seq + 1,
            at,
            actor: actor.into(),
            desk: desk.into(),
            action: action.into(),
            object: object.into(),
            result: result.into(),
            detail: detail.map(String::from),
            prev_hash: prev_hash.into(),
            hash: String::new(),
        };
        r.hash = r.expected_hash();
        r
    }
}

/// Where and why a chain breaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainBreak {
    pub seq: i64,
    pub reason: String,
}

/// Checks that `records` continue the chain whose head is `(head_seq, head_hash)`: numbers
/// without gaps, each linked to the one before, each hash right.
pub fn verify_chain(
    head_seq: i64,
    head_hash: &str,
    records: &[AuditRecord],
) -> Result<(), ChainBreak> {
    let (mut seq, mut hash) = (head_seq, head_hash.to_string());
    for r in records {
        if r.seq != seq + 1 {
            return Err(ChainBreak {
                seq: r.seq,
                reason: format!(
                    "record {} follows record {seq}: records are missing or repeated",
                    r.seq
                ),
            });
        }
        if r.prev_hash != hash {
            return Err(ChainBreak {
                seq: r.seq,
                reason: format!(
                    "record {} does not link to record {seq}: an earlier record was changed or removed",
                    r.seq
                ),
            });
        }
        if r.hash != r.expected_hash() {
            return Err(ChainBreak {
                seq: r.seq,
                reason: format!("record {} was changed after it was written", r.seq),
            });
        }
        seq = r.seq;
        hash = r.hash.clone();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: i64) -> Vec<AuditRecord> {
        let mut out: Vec<AuditRecord> = Vec::new();
        for i in 0..n {
            let (seq, hash) = out
                .last()
                .map_or((0, GENESIS.to_string()), |r| (r.seq, r.hash.clone()));
            out.push(AuditRecord::next(
                seq,
                &hash,
                format!("2026-11-27T02:00:0{i}.000Z"),
                "liu",
                "W01",
                "view",
                &format!("W01-20261127-000{i}"),
                "ok",
                None,
            ));
        }
        out
    }

    #[test]
    fn a_whole_chain_verifies_and_any_edit_or_gap_is_found() {
        let c = chain(5);
        assert_eq!(verify_chain(0, GENESIS, &c), Ok(()));
        assert_eq!(verify_chain(2, &c[1].hash, &c[2..]), Ok(()));
        // An edited field.
        let mut edited = c.clone();
        edited[2].actor = "wang".into();
        assert_eq!(verify_chain(0, GENESIS, &edited).unwrap_err().seq, 3);
        // An edit with its hash recomputed breaks the link of the next one.
        edited[2].hash = edited[2].expected_hash();
        let e = verify_chain(0, GENESIS, &edited).unwrap_err();
        assert_eq!(e.seq, 4);
        assert!(e.reason.contains("does not link"));
        // A record removed from the middle.
        let mut gap = c.clone();
        gap.remove(1);
        assert!(
            verify_chain(0, GENESIS, &gap)
                .unwrap_err()
                .reason
                .contains("missing")
        );
        // Moving text between fields changes the hash.
        let mut shifted = c[0].clone();
        shifted.object = format!("{}ok", shifted.object);
        shifted.result = String::new();
        assert_ne!(shifted.expected_hash(), c[0].hash);
    }
}
