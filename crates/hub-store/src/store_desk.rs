//! Who works at a desk, as the hub knows it: the sessions of clerks signed in through the hub
//! (what an e-licence lookup needs), everyone who ever signed in at a desk (the actors its audit
//! records may name), the desk's hourly e-licence lookups, and the key its audit records are
//! signed with.

use crate::db::{OptionalExtension, Tx, params};
use crate::secret::token_hash;
use chrono::{DateTime, Duration, Utc};
use onewindow_domain::audit::{AuditVerifier, GENESIS};
use onewindow_domain::time::stamp as ts;
use onewindow_proto::AuditKeyRegistration;

use crate::store::{HubStore, HubStoreError, Result};

/// How long a clerk's session at a desk lasts (a working day and then some); signing out or
/// signing in again ends it sooner.
pub const DESK_SESSION_HOURS: i64 = 14;

/// A clerk signed in at a desk through the hub.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeskClerk {
    pub user: String,
    pub desk_code: String,
}

/// Why an e-licence lookup may not go ahead now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LookupAllowance {
    Go,
    /// The device made its hourly lookups; it may ask again in this many seconds.
    Wait(u64),
}

/// Whether `hex` is 64 lowercase hex digits (a SHA-256 or chain hash).
fn is_hash(hex: &str) -> bool {
    hex.len() == 64
        && hex
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// Registers `key` as the audit key of `device` inside `tx`. At enrolment the hub's copy of the
/// desk's chain starts at the key's head (what the desk recorded before stays there); later (a
/// desk enrolled before audit signing) the chain keeps its start and only records after the
/// head, and after what the hub already has, must be signed. The same key again is accepted;
/// another key only at a (re-)enrolment, which the administrator's one-time code authorises.
pub(crate) fn register_audit_key(
    tx: &Tx<'_>,
    device: &str,
    key: &AuditKeyRegistration,
    at_enrolment: bool,
    now: DateTime<Utc>,
) -> Result<()> {
    let bad =
        |why: &str| HubStoreError::Refused(onewindow_proto::ApiErrorCode::BadAuditKey, why.into());
    if AuditVerifier::from_hex(&key.public_key).is_none() {
        return Err(bad(
            "audit key must be a 32-byte Ed25519 public key in lowercase hex",
        ));
    }
    if key.head_seq < 0 || !(is_hash(&key.head_hash) || key.head_hash == GENESIS) {
        return Err(bad("audit key head must be a record number and its hash"));
    }
    let existing: Option<String> = tx
        .query_row(
            "SELECT public_key FROM audit_key WHERE chain = ?1",
            [device],
            |r| r.get(0),
        )
        .optional()?;
    let (anchor_seq, records): (i64, i64) = tx.query_row(
        "SELECT coalesce((SELECT seq FROM audit_anchor WHERE device_id = ?1), 0),
                (SELECT count(*) FROM audit_record WHERE device_id = ?1)",
        [device],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    match existing {
        Some(k) if k == key.public_key => return Ok(()),
        Some(_) if !at_enrolment => {
            return Err(bad(
                "another audit key is registered for this device; enrol the desk again to replace it",
            ));
        }
        _ => {}
    }
    let enrolled_at: String = tx.query_row(
        "SELECT enrolled_at FROM device WHERE id = ?1",
        [device],
        |r| r.get(0),
    )?;
    let signed_from = key.head_seq.max(anchor_seq) + 1;
    if at_enrolment && records == 0 {
        // A new chain on the hub: it continues the desk's from the key's head.
        tx.execute(
            "INSERT INTO audit_key (chain, public_key, signed_from, start_seq, start_hash, since,
               registered_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)
             ON CONFLICT(chain) DO UPDATE SET public_key = excluded.public_key,
               signed_from = excluded.signed_from, start_seq = excluded.start_seq,
               start_hash = excluded.start_hash, since = excluded.since,
               registered_at = excluded.registered_at",
            params![
                device,
                key.public_key,
                signed_from,
                key.head_seq,
                key.head_hash,
                ts(now)
            ],
        )?;
        tx.execute(
            "INSERT INTO audit_anchor (device_id, seq, hash, at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT(device_id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash,
               at = excluded.at",
            params![device, key.head_seq, key.head_hash, ts(now)],
        )?;
    } else {
        tx.execute(
            "INSERT INTO audit_key (chain, public_key, signed_from, since, registered_at)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT(chain) DO UPDATE SET public_key = excluded.public_key,
               signed_from = excluded.signed_from, registered_at = excluded.registered_at",
            params![device, key.public_key, signed_from, enrolled_at, ts(now)],
        )?;
    }
    tracing::info!(device, signed_from, "audit key registered");
    Ok(())
}

impl HubStore {
    /// A clerk signed in at `device` through the hub: a new session (its token returned once,
    /// kept hashed), and the clerk joins the desk's known users.
    pub fn open_desk_session(
        &mut self,
        device: &str,
        user: &str,
        now: DateTime<Utc>,
    ) -> Result<String> {
        let token = crate::secret::random_token();
        let tx = self.conn.transaction()?;
        tx.execute("DELETE FROM desk_session WHERE expires_at <= ?1", [ts(now)])?;
        tx.execute(
            "INSERT INTO desk_session (token_hash, device_id, user_name, created_at, expires_at)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![
                token_hash(&token),
                device,
                user,
                ts(now),
                ts(now + Duration::hours(DESK_SESSION_HOURS))
            ],
        )?;
        tx.execute(
            "INSERT INTO desk_user (device_id, user_name, first_at) VALUES (?1, ?2, ?3)
             ON CONFLICT DO NOTHING",
            params![device, user, ts(now)],
        )?;
        tx.commit()?;
        Ok(token)
    }

    /// The clerk whose live session at `device` is `token`, if any (a session of another
    /// device, or an ended one, is none).
    pub fn desk_session(
        &self,
        device: &str,
        token: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<DeskClerk>> {
        Ok(self
            .conn
            .query_row(
                "SELECT s.user_name, d.desk_code FROM desk_session s JOIN device d ON d.id = s.device_id
                 WHERE s.token_hash = ?1 AND s.device_id = ?2 AND s.expires_at > ?3
                   AND d.revoked_at IS NULL",
                params![token_hash(token), device, ts(now)],
                |r| {
                    Ok(DeskClerk {
                        user: r.get(0)?,
                        desk_code: r.get(1)?,
                    })
                },
            )
            .optional()?)
    }

    /// Ends a session at `device`; whether there was one.
    pub fn close_desk_session(&mut self, device: &str, token: &str) -> Result<bool> {
        Ok(self.conn.execute(
            "DELETE FROM desk_session WHERE token_hash = ?1 AND device_id = ?2",
            params![token_hash(token), device],
        )? == 1)
    }

    /// Counts an e-licence lookup of `device` against its hourly limit, or says how long to
    /// wait (nothing counted then).
    pub fn count_elicence_lookup(
        &mut self,
        device: &str,
        per_hour: u32,
        now: DateTime<Utc>,
    ) -> Result<LookupAllowance> {
        let tx = self.conn.transaction()?;
        let hour_ago = ts(now - Duration::hours(1));
        tx.execute(
            "DELETE FROM elicence_lookup WHERE device_id = ?1 AND at <= ?2",
            params![device, hour_ago],
        )?;
        let (count, oldest): (i64, Option<String>) = tx.query_row(
            "SELECT count(*), min(at) FROM elicence_lookup WHERE device_id = ?1",
            [device],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        if count >= i64::from(per_hour) {
            let oldest = oldest
                .and_then(|o| DateTime::parse_from_rfc3339(&o).ok())
                .map_or(now, |o| o.with_timezone(&Utc));
            let wait = (oldest + Duration::hours(1) - now).num_seconds().max(1) as u64;
            return Ok(LookupAllowance::Wait(wait));
        }
        tx.execute(
            "INSERT INTO elicence_lookup (device_id, at) VALUES (?1, ?2)",
            params![device, ts(now)],
        )?;
        tx.commit()?;
        Ok(LookupAllowance::Go)
    }

    /// Registers the audit key of a desk enrolled before audit signing (see
    /// [`register_audit_key`]).
    pub fn register_device_audit_key(
        &mut self,
        device: &str,
        key: &AuditKeyRegistration,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let tx = self.conn.transaction()?;
        register_audit_key(&tx, device, key, false, now)?;
        tx.commit()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use onewindow_domain::audit::AuditSigner;

    fn now() -> DateTime<Utc> {
        "2026-11-27T02:00:00Z".parse().unwrap()
    }

    fn device(s: &mut HubStore, name: &str) -> String {
        let (code, _) = s.create_enrol_code(name, None, now()).unwrap();
        s.enrol(&code, now()).unwrap().device_id
    }

    #[test]
    fn a_session_is_its_desks_alone_and_ends() {
        let mut s = HubStore::open_in_memory().unwrap();
        let (a, b) = (device(&mut s, "1 号窗口"), device(&mut s, "2 号窗口"));
        let t = s.open_desk_session(&a, "liu", now()).unwrap();
        assert_eq!(
            s.desk_session(&a, &t, now()).unwrap().map(|c| c.user),
            Some("liu".into())
        );
        assert_eq!(
            s.desk_session(&b, &t, now()).unwrap(),
            None,
            "another desk's"
        );
        let later = now() + Duration::hours(DESK_SESSION_HOURS);
        assert_eq!(s.desk_session(&a, &t, later).unwrap(), None, "expired");
        assert!(s.close_desk_session(&a, &t).unwrap());
        assert_eq!(s.desk_session(&a, &t, now()).unwrap(), None, "signed out");
    }

    #[test]
    fn lookups_are_limited_per_device_and_hour() {
        let mut s = HubStore::open_in_memory().unwrap();
        let (a, b) = (device(&mut s, "1 号窗口"), device(&mut s, "2 号窗口"));
        for i in 0..3 {
            let at = now() + Duration::minutes(i);
            assert_eq!(
                s.count_elicence_lookup(&a, 3, at).unwrap(),
                LookupAllowance::Go
            );
        }
        let at = now() + Duration::minutes(10);
        // The first of the three was 50 minutes before: 50 minutes to wait.
        assert_eq!(
            s.count_elicence_lookup(&a, 3, at).unwrap(),
            LookupAllowance::Wait(50 * 60)
        );
        assert_eq!(
            s.count_elicence_lookup(&b, 3, at).unwrap(),
            LookupAllowance::Go
        );
        let hour_on = now() + Duration::minutes(61);
        assert_eq!(
            s.count_elicence_lookup(&a, 3, hour_on).unwrap(),
            LookupAllowance::Go
        );
    }

    #[test]
    fn a_registered_key_is_replaced_only_by_an_enrolment() {
        let mut s = HubStore::open_in_memory().unwrap();
        let a = device(&mut s, "1 号窗口");
        let key = |seed: u8| AuditKeyRegistration {
            public_key: AuditSigner::from_seed(&[seed; 32]).public_hex(),
            head_seq: 4,
            head_hash: GENESIS.into(),
        };
        s.register_device_audit_key(&a, &key(1), now()).unwrap();
        s.register_device_audit_key(&a, &key(1), now()).unwrap();
        assert!(matches!(
            s.register_device_audit_key(&a, &key(2), now()),
            Err(HubStoreError::Refused(
                onewindow_proto::ApiErrorCode::BadAuditKey,
                _
            ))
        ));
        let junk = AuditKeyRegistration {
            public_key: "00".into(),
            ..key(1)
        };
        assert!(s.register_device_audit_key(&a, &junk, now()).is_err());
    }
}
