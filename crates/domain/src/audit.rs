//! The audit log (审计日志): append-only records of who did what, when, at which desk, to what,
//! with what result — every view, reveal, print, export, state change and sign-in. Each record
//! carries the SHA-256 of the one before it, so editing or deleting one breaks the chain; the
//! hub keeps the head it last received, so deleting the newest records after they were sent
//! is seen too.
//!
//! Since issue 15 each desk also signs its records with its own Ed25519 key (made at enrolment,
//! kept in the OS keyring, registered with the hub), and the hub signs its own chain with its
//! key: a record rewritten with fresh hashes no longer verifies without the key. The signature
//! is `ed25519-dalek`'s over the record's hash, prefixed by [`SIGNING_CONTEXT`].

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
    /// The Ed25519 signature of the hash by the chain's key, lowercase hex; absent on records
    /// written before their chain had a key (unsigned legacy).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sig: Option<String>,
}

/// The actor of a record made with nobody signed in: a refused sign-in (the name typed is its
/// object), so a name nobody proved is never recorded as someone who acted.
pub const NOBODY: &str = "-";

/// The actor of a change the hub's answer made on the desk (a hand-off taken, a decision
/// received): the desk records it, but nobody at the desk did it.
pub const HUB_ACTOR: &str = "中心";

/// What a record's signature covers before its hash: the purpose, so a signature made for
/// something else never passes as an audit record's.
pub const SIGNING_CONTEXT: &[u8] = b"onewindow audit record v1\n";

/// A chain's signing key: made once from 32 random bytes, kept by its owner.
#[derive(Clone)]
pub struct AuditSigner(ed25519_dalek::SigningKey);

impl std::fmt::Debug for AuditSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "AuditSigner({})", self.public_hex())
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex<const N: usize>(s: &str) -> Option<[u8; N]> {
    if s.len() != 2 * N || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    let mut out = [0u8; N];
    for (i, o) in out.iter_mut().enumerate() {
        *o = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(out)
}

impl AuditSigner {
    /// The key whose secret is `seed` (32 random bytes from the OS).
    pub fn from_seed(seed: &[u8; 32]) -> AuditSigner {
        AuditSigner(ed25519_dalek::SigningKey::from_bytes(seed))
    }

    /// The key whose secret is `hex` (as [`AuditSigner::seed_hex`] wrote it).
    pub fn from_seed_hex(hex: &str) -> Option<AuditSigner> {
        unhex::<32>(hex.trim()).map(|s| AuditSigner::from_seed(&s))
    }

    /// The secret, lowercase hex, to keep in the OS keyring or the hub's key file.
    pub fn seed_hex(&self) -> String {
        hex(self.0.as_bytes())
    }

    /// The public key, lowercase hex, as registered.
    pub fn public_hex(&self) -> String {
        hex(self.0.verifying_key().as_bytes())
    }

    /// The key that checks this signer's records.
    pub fn verifier(&self) -> AuditVerifier {
        AuditVerifier(self.0.verifying_key())
    }

    /// Signs `r` (its hash already set).
    pub fn sign(&self, r: &mut AuditRecord) {
        use ed25519_dalek::Signer;
        let sig = self.0.sign(&signed_bytes(&r.hash));
        r.sig = Some(hex(&sig.to_bytes()));
    }

    /// Signs any statement of the chain's owner (an anchor file): the signature, hex.
    pub fn sign_bytes(&self, context: &[u8], message: &[u8]) -> String {
        use ed25519_dalek::Signer;
        let mut m = context.to_vec();
        m.extend_from_slice(message);
        hex(&self.0.sign(&m).to_bytes())
    }
}

/// A chain's public key, to check its records' signatures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuditVerifier(ed25519_dalek::VerifyingKey);

impl AuditVerifier {
    /// The key written as lowercase hex, if it is a valid Ed25519 public key.
    pub fn from_hex(hex: &str) -> Option<AuditVerifier> {
        let bytes = unhex::<32>(hex)?;
        ed25519_dalek::VerifyingKey::from_bytes(&bytes)
            .ok()
            .map(AuditVerifier)
    }

    pub fn to_hex(&self) -> String {
        hex(self.0.as_bytes())
    }

    /// Whether `r` carries a valid signature of its hash by this key (a record whose hash does
    /// not match its fields is caught by [`verify_chain`]).
    pub fn verifies(&self, r: &AuditRecord) -> bool {
        r.sig
            .as_deref()
            .is_some_and(|s| self.verifies_bytes(b"", &signed_bytes(&r.hash), s))
    }

    /// Whether `sig` (hex) signs `context` followed by `message`.
    pub fn verifies_bytes(&self, context: &[u8], message: &[u8], sig: &str) -> bool {
        let Some(bytes) = unhex::<64>(sig) else {
            return false;
        };
        let mut m = context.to_vec();
        m.extend_from_slice(message);
        self.0
            .verify_strict(&m, &ed25519_dalek::Signature::from_bytes(&bytes))
            .is_ok()
    }
}

/// The bytes a record's signature covers.
fn signed_bytes(hash: &str) -> Vec<u8> {
    let mut m = SIGNING_CONTEXT.to_vec();
    m.extend_from_slice(hash.as_bytes());
    m
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
            sig: None,
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

    #[test]
    fn a_signature_holds_only_for_its_key_and_its_record() {
        let key = AuditSigner::from_seed(&[3u8; 32]);
        let other = AuditSigner::from_seed(&[4u8; 32]);
        let mut c = chain(2);
        key.sign(&mut c[0]);
        assert!(key.verifier().verifies(&c[0]));
        assert!(!other.verifier().verifies(&c[0]));
        assert!(!key.verifier().verifies(&c[1]), "unsigned");
        // The signature of one record does not pass for another.
        c[1].sig = c[0].sig.clone();
        assert!(!key.verifier().verifies(&c[1]));
        // Keys round-trip as hex; junk is refused.
        let back = AuditSigner::from_seed_hex(&key.seed_hex()).unwrap();
        assert_eq!(back.public_hex(), key.public_hex());
        assert_eq!(
            AuditVerifier::from_hex(&key.public_hex()),
            Some(key.verifier())
        );
        assert!(AuditVerifier::from_hex("zz").is_none());
        assert!(AuditSigner::from_seed_hex("12").is_none());
        // Statements other than records carry their own context.
        let s = key.sign_bytes(b"anchor\n", b"heads");
        assert!(key.verifier().verifies_bytes(b"anchor\n", b"heads", &s));
        assert!(!key.verifier().verifies_bytes(b"", b"heads", &s));
    }
}
