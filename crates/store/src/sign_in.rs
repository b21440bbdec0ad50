//! Sign-in records on the desk: the verifier of each user's last sign-in checked by the hub,
//! and failed passwords (see `onewindow_domain::login`).

use chrono::{DateTime, Utc};
use onewindow_domain::login::Attempts;
use rusqlite::{OptionalExtension, params};

use crate::cases::ts;
use crate::{Result, Store};

/// What the desk keeps of a user's last sign-in checked by the hub.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verifier {
    pub name: String,
    pub role: String,
    pub domains: Vec<String>,
    /// Argon2id PHC string.
    pub verifier: String,
    pub verified_at: DateTime<Utc>,
}

fn parse_ts(s: Option<String>) -> Option<DateTime<Utc>> {
    s.and_then(|s| s.parse().ok())
}

impl Store {
    /// A name's failed sign-ins on this desk.
    pub fn sign_in_attempts(&self, name: &str) -> Result<Attempts> {
        let row: Option<(i64, Option<String>)> = self
            .conn
            .query_row(
                "SELECT failures, locked_until FROM sign_in WHERE name = ?1",
                [name],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        Ok(
            row.map_or_else(Default::default, |(failures, until)| Attempts {
                failures: failures as u32,
                locked_until: parse_ts(until),
            }),
        )
    }

    /// One more wrong password for `name`; the attempts after it.
    pub fn sign_in_failed(&mut self, name: &str, now: DateTime<Utc>) -> Result<Attempts> {
        let after = self.sign_in_attempts(name)?.failed(now);
        self.conn.execute(
            "INSERT INTO sign_in (name, failures, locked_until) VALUES (?1, ?2, ?3)
             ON CONFLICT(name) DO UPDATE SET failures = excluded.failures,
               locked_until = excluded.locked_until",
            params![name, after.failures, after.locked_until.map(ts)],
        )?;
        Ok(after)
    }

    /// A good sign-in: the failures are forgotten; with a verifier (the hub checked the
    /// password), it is kept for offline sign-in.
    pub fn sign_in_succeeded(&mut self, name: &str, verified: Option<&Verifier>) -> Result<()> {
        match verified {
            Some(v) => self.conn.execute(
                "INSERT INTO sign_in (name, role, domains, verifier, verified_at, failures,
                   locked_until) VALUES (?1, ?2, ?3, ?4, ?5, 0, NULL)
                 ON CONFLICT(name) DO UPDATE SET role = excluded.role, domains = excluded.domains,
                   verifier = excluded.verifier, verified_at = excluded.verified_at,
                   failures = 0, locked_until = NULL",
                params![
                    name,
                    v.role,
                    serde_json::to_string(&v.domains).expect("serialises"),
                    v.verifier,
                    ts(v.verified_at)
                ],
            )?,
            None => self.conn.execute(
                "UPDATE sign_in SET failures = 0, locked_until = NULL WHERE name = ?1",
                [name],
            )?,
        };
        Ok(())
    }

    /// Each name with a verifier, and when the hub last checked it.
    pub fn sign_in_verified_at(&self) -> Result<Vec<(String, DateTime<Utc>)>> {
        let mut q = self.conn.prepare(
            "SELECT name, verified_at FROM sign_in
             WHERE verifier IS NOT NULL AND verified_at IS NOT NULL ORDER BY name",
        )?;
        let rows = q
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows
            .into_iter()
            .filter_map(|(name, at)| parse_ts(Some(at)).map(|at| (name, at)))
            .collect())
    }

    /// The verifier of `name`'s last sign-in checked by the hub.
    pub fn sign_in_verifier(&self, name: &str) -> Result<Option<Verifier>> {
        type Row = (Option<String>, String, Option<String>, Option<String>);
        let row: Option<Row> = self
            .conn
            .query_row(
                "SELECT role, domains, verifier, verified_at FROM sign_in WHERE name = ?1",
                [name],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .optional()?;
        Ok(match row {
            Some((Some(role), domains, Some(verifier), Some(at))) => {
                parse_ts(Some(at)).map(|verified_at| Verifier {
                    name: name.to_string(),
                    role,
                    domains: serde_json::from_str(&domains).unwrap_or_default(),
                    verifier,
                    verified_at,
                })
            }
            _ => None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    #[test]
    fn failures_lock_and_a_good_sign_in_keeps_the_verifier() {
        let mut s = Store::open_in_memory().unwrap();
        let t0: DateTime<Utc> = "2026-11-27T02:00:00Z".parse().unwrap();
        assert_eq!(s.sign_in_verifier("liu").unwrap(), None);
        for _ in 0..4 {
            s.sign_in_failed("liu", t0).unwrap();
        }
        assert_eq!(s.sign_in_attempts("liu").unwrap().failures, 4);
        let after = s.sign_in_failed("liu", t0).unwrap();
        assert_eq!(after.locked(t0), Some(t0 + Duration::minutes(15)));
        let v = Verifier {
            name: "liu".into(),
            role: "clerk".into(),
            domains: vec!["GAHZ".into()],
            verifier: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
            verified_at: t0,
        };
        s.sign_in_succeeded("liu", Some(&v)).unwrap();
        assert_eq!(s.sign_in_attempts("liu").unwrap(), Attempts::default());
        assert_eq!(s.sign_in_verifier("liu").unwrap(), Some(v.clone()));
        // An offline success forgets failures, keeps the verifier and its date.
        s.sign_in_failed("liu", t0).unwrap();
        s.sign_in_succeeded("liu", None).unwrap();
        assert_eq!(s.sign_in_attempts("liu").unwrap().failures, 0);
        assert_eq!(s.sign_in_verifier("liu").unwrap(), Some(v));
    }
}
