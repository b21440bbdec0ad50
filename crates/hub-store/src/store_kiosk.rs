//! The hall's kiosks: each has a credential, given once through a one-time link that the
//! kiosk's browser opens (it keeps the credential in a cookie); only hashes are stored. Ticket
//! issue and appointment check-in need one, and each kiosk has its own rate limits.

use crate::db::{OptionalExtension, params};
use crate::secret::{random_token as random_hex, token_hash as hash_hex};
use chrono::{DateTime, Utc};
use onewindow_domain::time::stamp as ts;

use crate::store::{HubStore, HubStoreError, Result};
use crate::store_guard::Throttle;

/// Tickets one kiosk may issue: a busy hall's kiosk gives one every few seconds.
pub const KIOSK_TICKETS: Throttle = Throttle {
    scope: "kiosk-tickets",
    allowance: 20,
    window_minutes: 1,
    first_wait: 5,
    max_wait: 60,
};

/// Appointment codes one kiosk may try that match nothing.
pub const KIOSK_CHECK_INS: Throttle = Throttle {
    scope: "kiosk-check-in-misses",
    allowance: 10,
    window_minutes: 15,
    first_wait: 5,
    max_wait: 15 * 60,
};

/// A kiosk as `kiosk list` shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Kiosk {
    pub name: String,
    /// The centre whose queue it issues tickets for.
    pub centre: String,
    /// Its browser holds a credential.
    pub paired: bool,
    pub revoked: bool,
}

impl HubStore {
    /// A kiosk (new, or one whose credential is replaced): returns the one-time pairing code
    /// for the link `/kiosk/pair/CODE`. Any credential it had ends.
    pub fn add_kiosk(&mut self, centre: &str, name: &str, now: DateTime<Utc>) -> Result<String> {
        let centre = self.resolve_centre(Some(centre))?;
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 50 {
            return Err(HubStoreError::BadInput(
                "kiosk name must be 1-50 characters".into(),
            ));
        }
        let elsewhere: Option<String> = self
            .conn
            .query_row(
                "SELECT centre FROM kiosk WHERE name = ?1 AND centre <> ?2",
                params![name, centre],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(other) = elsewhere {
            return Err(HubStoreError::BadInput(format!(
                "kiosk {name} is a kiosk of centre {other}; give this one another name"
            )));
        }
        let code = random_hex();
        self.conn.execute(
            "INSERT INTO kiosk (name, link_hash, token_hash, created_at, revoked_at, centre)
             VALUES (?1, ?2, NULL, ?3, NULL, ?4)
             ON CONFLICT(name) DO UPDATE SET link_hash = excluded.link_hash, token_hash = NULL,
               revoked_at = NULL, centre = excluded.centre",
            params![name, hash_hex(&code), ts(now), centre],
        )?;
        self.audit_hub(
            onewindow_domain::audit::HUB_ACTOR,
            "kiosk_add",
            name,
            "ok",
            None,
            now,
        )?;
        Ok(code)
    }

    /// Trades a pairing code (once) for the kiosk's credential: its name and the cookie value.
    pub fn pair_kiosk(
        &mut self,
        code: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<(String, String)>> {
        // One statement takes the link and sets the token: two browsers opening one link at
        // once, one wins.
        let token = random_hex();
        let name: Option<String> = self
            .conn
            .query_row(
                "UPDATE kiosk SET link_hash = NULL, token_hash = ?2
                 WHERE link_hash = ?1 AND revoked_at IS NULL RETURNING name",
                params![hash_hex(code), hash_hex(&token)],
                |r| r.get(0),
            )
            .optional()?;
        let Some(name) = name else { return Ok(None) };
        self.audit_hub(
            onewindow_domain::audit::HUB_ACTOR,
            "kiosk_pair",
            &name,
            "ok",
            None,
            now,
        )?;
        Ok(Some((name, token)))
    }

    /// The kiosk a credential belongs to (its name and centre), unless revoked.
    pub fn kiosk_for_token(&self, token: &str) -> Result<Option<(String, String)>> {
        Ok(self
            .conn
            .query_row(
                "SELECT name, centre FROM kiosk WHERE token_hash = ?1 AND revoked_at IS NULL",
                [hash_hex(token)],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?)
    }

    /// Ends a kiosk's credential (and any unused link). False when there is no such kiosk.
    pub fn revoke_kiosk(&mut self, name: &str, now: DateTime<Utc>) -> Result<bool> {
        let changed = self.conn.execute(
            "UPDATE kiosk SET link_hash = NULL, token_hash = NULL, revoked_at = ?2 WHERE name = ?1",
            params![name.trim(), ts(now)],
        )?;
        if changed == 1 {
            self.audit_hub(
                onewindow_domain::audit::HUB_ACTOR,
                "kiosk_revoke",
                name.trim(),
                "ok",
                None,
                now,
            )?;
        }
        Ok(changed == 1)
    }

    pub fn kiosks(&self) -> Result<Vec<Kiosk>> {
        let mut q = self.conn.prepare(
            "SELECT name, token_hash IS NOT NULL, revoked_at IS NOT NULL, centre FROM kiosk
             ORDER BY centre, name",
        )?;
        let rows = q.query_map((), |r| {
            Ok(Kiosk {
                name: r.get(0)?,
                paired: r.get(1)?,
                revoked: r.get(2)?,
                centre: r.get(3)?,
            })
        })?;
        Ok(rows.collect::<crate::db::DbResult<_>>()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_pairs_once_and_a_revoked_kiosk_has_no_credential() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = HubStore::open_dir(dir.path()).unwrap();
        let now = Utc::now();
        let code = s.add_kiosk("MAIN", "大厅 1 号取号机", now).unwrap();
        let (name, token) = s.pair_kiosk(&code, now).unwrap().unwrap();
        assert_eq!(name, "大厅 1 号取号机");
        assert_eq!(s.pair_kiosk(&code, now).unwrap(), None, "one time only");
        assert_eq!(
            s.kiosk_for_token(&token).unwrap(),
            Some((name.clone(), "MAIN".to_string()))
        );
        assert!(s.revoke_kiosk(&name, now).unwrap());
        assert_eq!(s.kiosk_for_token(&token).unwrap(), None);
        assert!(!s.revoke_kiosk("没有这台", now).unwrap());
        assert_eq!(
            s.kiosks().unwrap(),
            [Kiosk {
                name,
                centre: "MAIN".into(),
                paired: false,
                revoked: true
            }]
        );
    }
}
