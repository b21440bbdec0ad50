//! Limits kept in the store, so that several hub processes share them: failed sign-ins of a name
//! from an address (five in a row lock the name for that address only), throttles by key (an
//! address signing in, a progress lookup, a kiosk) and disabled users.
//!
//! A password is checked in three steps so that Argon2 never runs under the store's lock:
//! [`HubStore::password_gate`] reads what the check needs, the caller verifies the password
//! outside, and [`HubStore::password_outcome`] records the result.

use crate::db::{OptionalExtension, params};
use chrono::{DateTime, Duration, Utc};
use onewindow_domain::login::Attempts;
use onewindow_domain::time::stamp as ts;

use crate::store::{HubStore, Result};

/// A throttle: `allowance` attempts within `window`; each further one waits twice as long as
/// the last, from `first_wait` up to `max_wait` seconds.
#[derive(Debug, Clone, Copy)]
pub struct Throttle {
    pub scope: &'static str,
    pub allowance: i64,
    pub window_minutes: i64,
    pub first_wait: i64,
    pub max_wait: i64,
}

/// Failed sign-ins from one address, whatever the names.
pub const LOGIN_ADDRESS: Throttle = Throttle {
    scope: "login-address",
    allowance: 5,
    window_minutes: 15,
    first_wait: 1,
    max_wait: 15 * 60,
};

/// Progress lookups from one address (wrong codes and right ones alike).
pub const PROGRESS_ADDRESS: Throttle = Throttle {
    scope: "progress-address",
    allowance: 20,
    window_minutes: 15,
    first_wait: 1,
    max_wait: 15 * 60,
};

/// Wrong progress codes for one case, from anywhere.
pub const PROGRESS_CASE: Throttle = Throttle {
    scope: "progress-case",
    allowance: 10,
    window_minutes: 60,
    first_wait: 2,
    max_wait: 60 * 60,
};

/// How many failures of a name (from any address) within the throttle window make every
/// answer for it slower.
pub const NAME_SLOW_AFTER: i64 = 5;

/// What a password check may go on with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PasswordGate {
    /// The address is throttled until then: the password is not checked.
    Throttled(DateTime<Utc>),
    /// The name is locked for this address until then: the password is not checked.
    Locked(DateTime<Utc>),
    /// Check the password against this hash (`None`: no such user, or disabled; check against
    /// a dummy so the answer takes as long). `slow`: the name failed often lately, from
    /// anywhere, so the answer waits a little.
    Check { hash: Option<String>, slow: bool },
}

/// What a checked password led to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PasswordOutcome {
    Good,
    /// Wrong: the name's failures from this address after it; `throttled` when the address
    /// must now wait.
    Wrong {
        attempts: Attempts,
        throttled: Option<DateTime<Utc>>,
    },
}

impl HubStore {
    /// Until when `key` must wait under `t`, if it must.
    pub fn throttled(
        &self,
        t: &Throttle,
        key: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<DateTime<Utc>>> {
        let until: Option<Option<String>> = self
            .conn
            .query_row(
                "SELECT blocked_until FROM throttle WHERE scope = ?1 AND key = ?2",
                params![t.scope, key],
                |r| r.get(0),
            )
            .optional()?;
        Ok(until
            .flatten()
            .and_then(|u| u.parse::<DateTime<Utc>>().ok())
            .filter(|u| *u > now))
    }

    /// Counts one attempt of `key` under `t`; past the allowance it must wait (twice as long as
    /// the last time), and until when is returned.
    pub fn throttle_count(
        &mut self,
        t: &Throttle,
        key: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<DateTime<Utc>>> {
        // One writer at a time: attempts counted at once on two connections both count.
        let tx = self.conn.transaction()?;
        let until = count_attempt(&tx, t, key, now)?;
        tx.commit()?;
        Ok(until)
    }

    /// A name's failed sign-ins from one address.
    pub fn login_failures(&self, name: &str, address: &str) -> Result<Attempts> {
        let row: Option<(i64, Option<String>)> = self
            .conn
            .query_row(
                "SELECT failures, locked_until FROM login_failure WHERE name = ?1 AND address = ?2",
                params![name.trim(), address],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        Ok(
            row.map_or_else(Default::default, |(failures, until)| Attempts {
                failures: failures as u32,
                locked_until: until.and_then(|u| u.parse().ok()),
            }),
        )
    }

    /// Step one of a password check, reading only: whether it may go on, and the hash.
    pub fn password_gate(
        &self,
        name: &str,
        address: &str,
        now: DateTime<Utc>,
    ) -> Result<PasswordGate> {
        let name = name.trim();
        if let Some(until) = self.throttled(&LOGIN_ADDRESS, address, now)? {
            return Ok(PasswordGate::Throttled(until));
        }
        if let Some(until) = self.login_failures(name, address)?.locked(now) {
            return Ok(PasswordGate::Locked(until));
        }
        let hash: Option<String> = self
            .conn
            .query_row(
                "SELECT password_hash FROM hub_user WHERE name = ?1 AND disabled = 0",
                [name],
                |r| r.get(0),
            )
            .optional()?;
        // The name's recent failures from anywhere, and whether another address locked it.
        let (recent, failures, locked_elsewhere): (i64, i64, bool) = self.conn.query_row(
            "SELECT count(*), coalesce(sum(failures), 0), coalesce(max(CASE WHEN locked_until > ?3 THEN 1 ELSE 0 END), 0)
             FROM login_failure WHERE name = ?1 AND last_at > ?2",
            params![
                name,
                ts(now - Duration::minutes(LOGIN_ADDRESS.window_minutes)),
                ts(now)
            ],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )?;
        let slow = recent > 0 && (failures >= NAME_SLOW_AFTER || locked_elsewhere);
        Ok(PasswordGate::Check { hash, slow })
    }

    /// Step three: records what the check found. A good password clears the name's failures
    /// from this address; a wrong one counts for the name at this address and for the address.
    pub fn password_outcome(
        &mut self,
        name: &str,
        address: &str,
        good: bool,
        now: DateTime<Utc>,
    ) -> Result<PasswordOutcome> {
        let name = name.trim();
        if good {
            self.conn.execute(
                "DELETE FROM login_failure WHERE name = ?1 AND address = ?2",
                params![name, address],
            )?;
            return Ok(PasswordOutcome::Good);
        }
        // The name's failures read and written by one writer at a time, with the address's
        // count: wrong passwords tried at once all count.
        let tx = self.conn.transaction()?;
        let attempts = self.login_failures(name, address)?.failed(now);
        tx.execute(
            "INSERT INTO login_failure (name, address, failures, locked_until, last_at)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT(name, address) DO UPDATE SET failures = excluded.failures,
               locked_until = excluded.locked_until, last_at = excluded.last_at",
            params![
                name,
                address,
                attempts.failures,
                attempts.locked_until.map(ts),
                ts(now)
            ],
        )?;
        let throttled = count_attempt(&tx, &LOGIN_ADDRESS, address, now)?;
        tx.commit()?;
        Ok(PasswordOutcome::Wrong {
            attempts,
            throttled,
        })
    }

    /// Disables or enables a user; disabling ends their sessions, in the back office and at
    /// desks. False when there is no such user.
    pub fn set_user_disabled(
        &mut self,
        name: &str,
        disabled: bool,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let name = name.trim();
        let tx = self.conn.transaction()?;
        let changed = tx.execute(
            "UPDATE hub_user SET disabled = ?2 WHERE name = ?1",
            params![name, disabled],
        )?;
        if changed == 1 && disabled {
            tx.execute("DELETE FROM office_session WHERE name = ?1", [name])?;
            tx.execute("DELETE FROM desk_session WHERE user_name = ?1", [name])?;
        }
        tx.commit()?;
        if changed == 1 {
            let action = if disabled {
                "user_disable"
            } else {
                "user_enable"
            };
            self.audit_hub(
                onewindow_domain::audit::HUB_ACTOR,
                action,
                name,
                "ok",
                None,
                now,
            )?;
        }
        Ok(changed == 1)
    }
}

/// Counts one attempt of `key` under `t` inside the caller's transaction (see
/// [`HubStore::throttle_count`]).
fn count_attempt(
    conn: &crate::db::Conn,
    t: &Throttle,
    key: &str,
    now: DateTime<Utc>,
) -> Result<Option<DateTime<Utc>>> {
    let row: Option<(String, i64, i64)> = conn
        .query_row(
            "SELECT window_start, count, wait_secs FROM throttle WHERE scope = ?1 AND key = ?2",
            params![t.scope, key],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    let window = Duration::minutes(t.window_minutes);
    let (start, count, wait) = match row {
        Some((start, count, wait)) => match start.parse::<DateTime<Utc>>() {
            Ok(s) if s + window > now => (s, count, wait),
            _ => (now, 0, 0),
        },
        None => (now, 0, 0),
    };
    let count = count + 1;
    let (wait, until) = if count >= t.allowance {
        let w = if wait == 0 {
            t.first_wait
        } else {
            (wait * 2).min(t.max_wait)
        };
        (w, Some(now + Duration::seconds(w)))
    } else {
        (0, None)
    };
    conn.execute(
        "INSERT INTO throttle (scope, key, window_start, count, wait_secs, blocked_until)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)
         ON CONFLICT(scope, key) DO UPDATE SET window_start = excluded.window_start,
           count = excluded.count, wait_secs = excluded.wait_secs,
           blocked_until = excluded.blocked_until",
        params![t.scope, key, ts(start), count, wait, until.map(ts)],
    )?;
    Ok(until)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: u32) -> DateTime<Utc> {
        "2026-12-01T01:00:00Z".parse::<DateTime<Utc>>().unwrap() + Duration::seconds(s as i64)
    }

    #[test]
    fn past_the_allowance_each_wait_doubles_up_to_the_cap_and_the_window_forgets() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = HubStore::open_dir(dir.path()).unwrap();
        let t = Throttle {
            scope: "t",
            allowance: 3,
            window_minutes: 60,
            first_wait: 2,
            max_wait: 10,
        };
        assert_eq!(s.throttle_count(&t, "k", at(0)).unwrap(), None);
        assert_eq!(s.throttle_count(&t, "k", at(1)).unwrap(), None);
        let waits: Vec<i64> = (2..7)
            .map(|i| (s.throttle_count(&t, "k", at(i)).unwrap().unwrap() - at(i)).num_seconds())
            .collect();
        assert_eq!(waits, [2, 4, 8, 10, 10]);
        assert!(s.throttled(&t, "k", at(7)).unwrap().is_some());
        assert_eq!(s.throttled(&t, "other", at(7)).unwrap(), None);
        // A new window starts afresh.
        assert_eq!(s.throttle_count(&t, "k", at(3700)).unwrap(), None);
    }

    #[test]
    fn sessions_end_after_thirty_idle_minutes_and_when_the_user_is_disabled() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = HubStore::open_dir(dir.path()).unwrap();
        s.add_user("wang", "approver", &[], "MAIN", "approver pass 1", at(0))
            .unwrap();
        let token = s.open_office_session("wang", at(0)).unwrap();
        // Each request within 30 minutes keeps it alive, past the first 30 minutes.
        assert!(s.session_user(&token, at(29 * 60)).unwrap().is_some());
        assert!(s.session_user(&token, at(58 * 60)).unwrap().is_some());
        assert!(
            s.session_user(&token, at(89 * 60)).unwrap().is_none(),
            "idle 31 minutes"
        );
        let token = s.open_office_session("wang", at(90 * 60)).unwrap();
        assert!(s.set_user_disabled("wang", true, at(91 * 60)).unwrap());
        assert!(s.session_user(&token, at(92 * 60)).unwrap().is_none());
        assert!(!s.set_user_disabled("nobody", true, at(92 * 60)).unwrap());
    }
}
