//! The back office in SQL: users and their sessions, the approvers' case list (their domains'
//! handed-off cases with waiting time and due date), decisions recorded with the case-results
//! row the window pulls, and the applicant's progress view.

use crate::db::{OptionalExtension, params};
use crate::secret::token_hash as hash_hex;
use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use chrono::{DateTime, Duration, Utc};
use onewindow_proto::{CaseResult, ResultChanges, ResultFile};

use crate::store::{HubStore, HubStoreError, Result};

/// The outcome of a sign-in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignIn<T> {
    Ok(T),
    /// A wrong name or password; the name's failures after it.
    Wrong(onewindow_domain::login::Attempts),
    /// Too many wrong passwords: locked until then.
    Locked(DateTime<Utc>),
}

/// Approver sessions last this long at most.
pub const SESSION_HOURS: i64 = 8;
/// And end after this long without a request.
pub const SESSION_IDLE_MINUTES: i64 = 30;

use onewindow_domain::time::stamp as ts;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub name: String,
    pub role: String,
    pub domains: Vec<String>,
    /// The centre the user belongs to.
    pub centre: String,
    /// A user of the county-level centre (or an administrator) sees every centre; anyone else
    /// sees only their own.
    pub county_wide: bool,
}

impl User {
    /// Whether this user may see `centre`'s queue, hall and figures.
    pub fn sees(&self, centre: &str) -> bool {
        self.county_wide || self.centre == centre
    }

    /// `None`: every centre; else the one centre this user sees.
    pub fn centre_scope(&self) -> Option<&str> {
        (!self.county_wide).then_some(self.centre.as_str())
    }
}

/// One row of the approver's list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OfficeCase {
    pub number: String,
    pub item_code: String,
    pub item_name: String,
    pub domain: String,
    /// The domain's name from the catalog (the code when the catalog lacks it).
    pub domain_name: String,
    pub state: String,
    pub accepted_at: String,
    pub promised_date: Option<String>,
    pub bundle_number: Option<String>,
    pub desk_name: String,
    /// The centre whose desk accepted it: code and name.
    pub centre: String,
    pub centre_name: String,
}

/// A file of a case: sha256, name, kind, size, pages, material.
pub type OfficeFile = (String, String, String, i64, Option<i64>, Option<String>);

/// A case as the progress page reads it: id, stored query code, state, item name, due date,
/// applicant's name.
type ProgressRow = (
    String,
    Option<String>,
    String,
    String,
    Option<String>,
    String,
);

/// What the progress page shows: state, item name, due date, masked applicant.
pub type Progress = (String, String, Option<String>, String);

/// A case with everything the case page shows.
#[derive(Debug, Clone, PartialEq)]
pub struct OfficeCaseDetail {
    pub case: OfficeCase,
    pub payload: serde_json::Value,
    /// sha256, name, kind, size, pages, material.
    pub files: Vec<OfficeFile>,
    pub results: Vec<CaseResult>,
    /// Field key → label, from the item's scenario in the current catalog.
    pub field_labels: std::collections::BTreeMap<String, String>,
}

pub const ROLES: &[&str] = &["clerk", "supervisor", "approver", "admin"];

/// Whether `password` matches the stored Argon2 `hash`. With no hash (no such user, or a
/// disabled one) the same work is done against a throwaway, so a wrong name answers no faster
/// than a wrong password.
pub fn verify_password(hash: Option<&str>, password: &str) -> bool {
    match hash.map(PasswordHash::new) {
        Some(Ok(parsed)) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Some(Err(e)) => {
            tracing::error!(error = %e, "a stored password hash is unreadable");
            false
        }
        None => {
            let _ = Argon2::default().hash_password(
                password.as_bytes(),
                &SaltString::encode_b64(&[0u8; 16]).expect("salt"),
            );
            false
        }
    }
}

impl HubStore {
    pub fn add_user(
        &mut self,
        name: &str,
        role: &str,
        domains: &[String],
        centre: &str,
        password: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 50 {
            return Err(HubStoreError::BadInput(
                "user name must be 1-50 characters".into(),
            ));
        }
        if !ROLES.contains(&role) {
            return Err(HubStoreError::BadInput(format!(
                "role must be one of {}",
                ROLES.join(", ")
            )));
        }
        if password.chars().count() < 8 {
            return Err(HubStoreError::BadInput(
                "password must be at least 8 characters".into(),
            ));
        }
        let mut salt = [0u8; 16];
        getrandom::fill(&mut salt).expect("the OS random source works");
        let salt = SaltString::encode_b64(&salt).expect("16 bytes make a salt");
        let hash = Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map_err(|e| HubStoreError::BadInput(format!("password hashing failed: {e}")))?
            .to_string();
        let centre = self.resolve_centre(Some(centre))?;
        let tx = self.conn.transaction()?;
        tx.execute(
            "INSERT INTO hub_user (name, role, password_hash, created_at, centre)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT(name) DO UPDATE SET role = excluded.role,
               password_hash = excluded.password_hash, centre = excluded.centre",
            params![name, role, hash, ts(now), centre],
        )?;
        tx.execute("DELETE FROM hub_user_domain WHERE name = ?1", [name])?;
        // A new password or role ends the sessions opened under the old one.
        tx.execute("DELETE FROM office_session WHERE name = ?1", [name])?;
        for d in domains {
            tx.execute(
                "INSERT INTO hub_user_domain (name, domain) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
                params![name, d.trim()],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    /// The user of this name, if there is one.
    pub fn user(&self, name: &str) -> Result<Option<User>> {
        let found: Option<(String, String, Option<String>)> = self
            .conn
            .query_row(
                "SELECT u.role, u.centre, c.level FROM hub_user u
                 LEFT JOIN centre c ON c.code = u.centre WHERE u.name = ?1",
                [name],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        let Some((role, centre, level)) = found else {
            return Ok(None);
        };
        let mut q = self
            .conn
            .prepare("SELECT domain FROM hub_user_domain WHERE name = ?1 ORDER BY domain")?;
        let domains = q
            .query_map([name], |r| r.get(0))?
            .collect::<crate::db::DbResult<Vec<String>>>()?;
        Ok(Some(User {
            name: name.to_string(),
            county_wide: role == "admin" || level.as_deref() == Some("county"),
            role,
            domains,
            centre,
        }))
    }

    /// Names for domain codes, from the current catalog: `市场监管（SCJG）`, or the bare code
    /// when the catalog does not have it.
    pub fn domain_labels(&self, codes: &[String]) -> Result<Vec<String>> {
        let mut q = self.conn.prepare(
            "SELECT json_extract(ch.body, '$.name') FROM catalog_entity e
             JOIN catalog_change ch ON ch.seq = e.seq WHERE e.entity = 'domain' AND e.key = ?1",
        )?;
        codes
            .iter()
            .map(|c| {
                let name: Option<String> = q.query_row([c], |r| r.get(0)).optional()?;
                Ok(name.map_or_else(|| c.clone(), |n| format!("{n}（{c}）")))
            })
            .collect()
    }

    /// A password check done whole, under the store's lock: for tools and tests. The server
    /// checks in three steps (`auth::check_password`) so Argon2 runs outside the lock.
    pub fn verify_user(
        &mut self,
        name: &str,
        password: &str,
        address: &str,
        now: DateTime<Utc>,
    ) -> Result<SignIn<User>> {
        use crate::store_guard::{PasswordGate, PasswordOutcome};
        let hash = match self.password_gate(name, address, now)? {
            PasswordGate::Throttled(until) | PasswordGate::Locked(until) => {
                return Ok(SignIn::Locked(until));
            }
            PasswordGate::Check { hash, .. } => hash,
        };
        let good = verify_password(hash.as_deref(), password);
        Ok(match self.password_outcome(name, address, good, now)? {
            PasswordOutcome::Good => match self.user(name.trim())? {
                Some(u) => SignIn::Ok(u),
                None => SignIn::Wrong(Default::default()),
            },
            PasswordOutcome::Wrong { attempts, .. } => SignIn::Wrong(attempts),
        })
    }

    /// Opens a back-office session for a user whose password was checked; returns its cookie
    /// value (only its hash is stored).
    pub fn open_office_session(&mut self, name: &str, now: DateTime<Utc>) -> Result<String> {
        let token = crate::secret::random_token();
        self.conn.execute(
            "INSERT INTO office_session (token_hash, name, created_at, expires_at, last_seen)
             VALUES (?1, ?2, ?3, ?4, ?3)",
            params![
                hash_hex(&token),
                name.trim(),
                ts(now),
                ts(now + Duration::hours(SESSION_HOURS))
            ],
        )?;
        Ok(token)
    }

    /// The user of a session that has neither expired nor been idle for
    /// [`SESSION_IDLE_MINUTES`]; the request counts as activity.
    pub fn session_user(&mut self, token: &str, now: DateTime<Utc>) -> Result<Option<User>> {
        let hash = hash_hex(token);
        let name: Option<String> = self
            .conn
            .query_row(
                "SELECT s.name FROM office_session s JOIN hub_user u ON u.name = s.name
                 WHERE s.token_hash = ?1 AND s.expires_at > ?2 AND s.last_seen > ?3
                   AND u.disabled = 0",
                params![
                    hash,
                    ts(now),
                    ts(now - Duration::minutes(SESSION_IDLE_MINUTES))
                ],
                |r| r.get(0),
            )
            .optional()?;
        match name {
            Some(n) => {
                self.conn.execute(
                    "UPDATE office_session SET last_seen = ?2 WHERE token_hash = ?1",
                    params![hash, ts(now)],
                )?;
                self.user(&n)
            }
            None => Ok(None),
        }
    }

    pub fn logout(&mut self, token: &str) -> Result<()> {
        self.conn.execute(
            "DELETE FROM office_session WHERE token_hash = ?1",
            [hash_hex(token)],
        )?;
        Ok(())
    }

    /// Handed-off cases in `domains` (all domains for an admin), oldest first.
    pub fn office_cases(&self, user: &User) -> Result<Vec<OfficeCase>> {
        let all = user.role == "admin";
        // Refusal requests and withdrawals are the centres' supervisors', not the approvers'.
        Ok(self
            .every_case()?
            .into_iter()
            .filter(|c| {
                !matches!(
                    c.state.as_str(),
                    "refusal_requested" | "refusal_sent_back" | "refused" | "withdrawn"
                )
            })
            .filter(|c| all || user.domains.iter().any(|d| d == &c.domain))
            .collect())
    }

    /// Cases still with the back office (handed off or in review) of `centre` (every centre's
    /// with `None`), oldest first: what deadline warnings look at.
    pub fn open_cases(&self, centre: Option<&str>) -> Result<Vec<OfficeCase>> {
        Ok(self
            .every_case()?
            .into_iter()
            .filter(|c| matches!(c.state.as_str(), "handed_off" | "in_review"))
            .filter(|c| centre.is_none_or(|only| c.centre == only))
            .collect())
    }

    /// Every handed-off case, oldest first.
    fn every_case(&self) -> Result<Vec<OfficeCase>> {
        let mut q = self.conn.prepare(
            "SELECT c.number, c.item_code,
                    coalesce(json_extract(ch.body, '$.name'), c.item_code),
                    coalesce(json_extract(ch.body, '$.domain'), ''),
                    c.state, c.accepted_at, c.promised_date, c.bundle_number, d.desk_name,
                    coalesce(json_extract(dch.body, '$.name'), json_extract(ch.body, '$.domain'), ''),
                    d.centre, coalesce(ce.name, d.centre)
             FROM hub_case c
             JOIN device d ON d.id = c.device_id
             LEFT JOIN centre ce ON ce.code = d.centre
             LEFT JOIN catalog_entity e ON e.entity = 'item' AND e.key = c.item_code
             LEFT JOIN catalog_change ch ON ch.seq = e.seq
             LEFT JOIN catalog_entity de ON de.entity = 'domain'
                  AND de.key = json_extract(ch.body, '$.domain')
             LEFT JOIN catalog_change dch ON dch.seq = de.seq
             ORDER BY c.accepted_at, c.number",
        )?;
        let rows = q.query_map((), |r| {
            Ok(OfficeCase {
                number: r.get(0)?,
                item_code: r.get(1)?,
                item_name: r.get(2)?,
                domain: r.get(3)?,
                state: r.get(4)?,
                accepted_at: r.get(5)?,
                promised_date: r.get(6)?,
                bundle_number: r.get(7)?,
                desk_name: r.get(8)?,
                domain_name: r.get(9)?,
                centre: r.get(10)?,
                centre_name: r.get(11)?,
            })
        })?;
        Ok(rows.collect::<crate::db::DbResult<Vec<_>>>()?)
    }

    pub fn office_case(&self, user: &User, number: &str) -> Result<Option<OfficeCaseDetail>> {
        let Some(case) = self
            .office_cases(user)?
            .into_iter()
            .find(|c| c.number == number)
        else {
            return Ok(None);
        };
        let (id, payload): (String, String) = self.conn.query_row(
            "SELECT id, payload FROM hub_case WHERE number = ?1",
            [number],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        let mut q = self.conn.prepare(
            "SELECT sha256, name, kind, size, pages, material FROM hub_case_material
             WHERE case_id = ?1 ORDER BY slot IS NULL, slot, added_at",
        )?;
        let files = q
            .query_map([&id], |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                ))
            })?
            .collect::<crate::db::DbResult<Vec<_>>>()?;
        let results = self.results_of_case(&id)?;
        let payload: serde_json::Value = serde_json::from_str(&payload)
            .map_err(|e| HubStoreError::Json("case payload".into(), e))?;
        let item: Option<String> = self
            .conn
            .query_row(
                "SELECT ch.body FROM catalog_entity e JOIN catalog_change ch ON ch.seq = e.seq
                 WHERE e.entity = 'item' AND e.key = ?1",
                [&case.item_code],
                |r| r.get(0),
            )
            .optional()?;
        let mut field_labels = std::collections::BTreeMap::new();
        if let Some(item) = item.and_then(|b| serde_json::from_str::<serde_json::Value>(&b).ok()) {
            let wanted = payload["scenario_code"].as_str();
            for sc in item["scenarios"].as_array().into_iter().flatten() {
                if wanted.is_none() || sc["code"].as_str() == wanted {
                    for f in sc["fields"].as_array().into_iter().flatten() {
                        if let (Some(k), Some(l)) = (f["key"].as_str(), f["label"].as_str()) {
                            field_labels.entry(k.to_string()).or_insert(l.to_string());
                        }
                    }
                }
            }
        }
        Ok(Some(OfficeCaseDetail {
            case,
            payload,
            files,
            results,
            field_labels,
        }))
    }

    /// Whether a device may fetch this result file: it is on a decision of a case the device
    /// handed off.
    pub fn device_may_fetch_result_file(&self, device: &str, sha: &str) -> Result<bool> {
        Ok(self.conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM case_result r JOIN blob b ON b.sha256 = r.file_sha256
                            WHERE r.file_sha256 = ?2 AND r.device_id = ?1 AND b.complete = 1)",
            params![device, sha],
            |r| r.get(0),
        )?)
    }

    /// Whether the user may see this blob (a scan or a result file of a case of their domains).
    pub fn office_may_see_blob(&self, user: &User, sha: &str) -> Result<bool> {
        let numbers: Vec<String> = self
            .conn
            .prepare(
                "SELECT c.number FROM hub_case_material m JOIN hub_case c ON c.id = m.case_id
                 WHERE m.sha256 = ?1
                 UNION
                 SELECT c.number FROM case_result r JOIN hub_case c ON c.id = r.case_id
                 WHERE r.file_sha256 = ?1",
            )?
            .query_map([sha], |r| r.get(0))?
            .collect::<crate::db::DbResult<_>>()?;
        let visible = self.office_cases(user)?;
        Ok(numbers
            .iter()
            .any(|n| visible.iter().any(|c| &c.number == n)))
    }

    /// Records a decision (or the opening of a case) and the results row the window pulls, in
    /// one transaction. Only the states DESIGN.md allows: handed_off/in_review → decided.
    pub fn decide(
        &mut self,
        user: &User,
        number: &str,
        action: &str,
        note: Option<&str>,
        file: Option<&ResultFile>,
        now: DateTime<Utc>,
    ) -> Result<String> {
        if file.is_some() && action != "approve" {
            return Err(HubStoreError::BadInput(
                "only an approval carries a result file".into(),
            ));
        }
        if self.office_case(user, number)?.is_none() {
            return Err(HubStoreError::BadInput(format!(
                "no case {number} in your domains"
            )));
        }
        let next = match action {
            "open_for_review" => "in_review",
            "approve" => "approved",
            "refuse_by_office" => "refused_by_office",
            "return_for_correction" => "returned",
            other => return Err(HubStoreError::BadInput(format!("unknown action {other}"))),
        };
        let note = note.map(str::trim).filter(|n| !n.is_empty());
        if matches!(action, "refuse_by_office" | "return_for_correction") && note.is_none() {
            return Err(HubStoreError::BadInput(
                "a refusal or a return needs the reason the applicant will read".into(),
            ));
        }
        let tx = self.conn.transaction()?;
        let (id, device, state): (String, String, String) = tx.query_row(
            "SELECT id, device_id, state FROM hub_case WHERE number = ?1",
            [number],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )?;
        let allowed = match action {
            "open_for_review" => state == "handed_off",
            _ => state == "handed_off" || state == "in_review",
        };
        if !allowed {
            return Err(HubStoreError::BadInput(format!(
                "case {number} is {state}; {action} is not possible now"
            )));
        }
        tx.execute(
            "UPDATE hub_case SET state = ?2, updated_at = ?3 WHERE id = ?1",
            params![id, next, ts(now)],
        )?;
        if let Some(f) = file {
            // The file is already in its place (written and hash-checked by the caller).
            tx.execute(
                "INSERT INTO blob (sha256, size, received, complete, updated_at) VALUES (?1, ?2, ?2, 1, ?3)
                 ON CONFLICT(sha256) DO UPDATE SET size = excluded.size, received = excluded.size,
                   complete = 1, updated_at = excluded.updated_at",
                params![f.sha256, f.size as i64, ts(now)],
            )?;
        }
        tx.execute(
            "INSERT INTO case_result (case_id, device_id, action, note, by_user, at, file_sha256, file_name, file_size)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
            params![
                id,
                device,
                action,
                note,
                user.name,
                ts(now),
                file.map(|f| &f.sha256),
                file.map(|f| &f.name),
                file.map(|f| f.size as i64)
            ],
        )?;
        tx.commit()?;
        self.new_results.push(device.clone());
        Ok(next.to_string())
    }

    fn results_of_case(&self, case_id: &str) -> Result<Vec<CaseResult>> {
        let mut q = self.conn.prepare(
            "SELECT r.seq, r.case_id, c.number, r.action, r.note, r.by_user, r.at,
                    r.file_sha256, r.file_name, r.file_size
             FROM case_result r JOIN hub_case c ON c.id = r.case_id WHERE r.case_id = ?1 ORDER BY r.seq",
        )?;
        let rows = q.query_map([case_id], read_result)?;
        Ok(rows.collect::<crate::db::DbResult<_>>()?)
    }

    /// The case-results stream of one device after `cursor`.
    pub fn results_for_device(
        &self,
        device: &str,
        cursor: i64,
        limit: u32,
    ) -> Result<ResultChanges> {
        let mut q = self.conn.prepare(
            "SELECT r.seq, r.case_id, c.number, r.action, r.note, r.by_user, r.at,
                    r.file_sha256, r.file_name, r.file_size
             FROM case_result r JOIN hub_case c ON c.id = r.case_id
             WHERE r.device_id = ?1 AND r.seq > ?2 ORDER BY r.seq LIMIT ?3",
        )?;
        let results = q
            .query_map(params![device, cursor, limit + 1], read_result)?
            .collect::<crate::db::DbResult<Vec<_>>>()?;
        let has_more = results.len() > limit as usize;
        let results: Vec<CaseResult> = results.into_iter().take(limit as usize).collect();
        let next_cursor = results.last().map_or(cursor, |r| r.seq);
        Ok(ResultChanges {
            results,
            next_cursor,
            has_more,
        })
    }

    /// The progress page: state, item, due date and the masked applicant, when the query code
    /// printed on the receipt matches: the stored random code, or for a case handed off before
    /// codes were random, the code derived from its id.
    pub fn progress(&self, number: &str, code: &str) -> Result<Option<Progress>> {
        let row: Option<ProgressRow> = self
            .conn
            .query_row(
                "SELECT c.id, c.query_code, c.state,
                        coalesce(json_extract(ch.body, '$.name'), c.item_code),
                        c.promised_date, coalesce(json_extract(c.payload, '$.applicant.name'), '')
                 FROM hub_case c
                 LEFT JOIN catalog_entity e ON e.entity = 'item' AND e.key = c.item_code
                 LEFT JOIN catalog_change ch ON ch.seq = e.seq
                 WHERE c.number = ?1",
                [number],
                |r| {
                    Ok((
                        r.get(0)?,
                        r.get(1)?,
                        r.get(2)?,
                        r.get(3)?,
                        r.get(4)?,
                        r.get(5)?,
                    ))
                },
            )
            .optional()?;
        let typed = code.trim().to_ascii_uppercase();
        Ok(row.and_then(|(id, stored, state, item, due, name)| {
            let expected = stored.unwrap_or_else(|| onewindow_proto::query_code(&id));
            (expected == typed).then(|| {
                let masked: String = name
                    .chars()
                    .enumerate()
                    .map(|(i, c)| if i == 0 { c } else { '*' })
                    .collect();
                (state, item, due, masked)
            })
        }))
    }

    /// The stored query code of a case (what its latest receipt printed), if it has one.
    pub fn case_query_code(&self, number: &str) -> Result<Option<String>> {
        Ok(self
            .conn
            .query_row(
                "SELECT query_code FROM hub_case WHERE number = ?1",
                [number],
                |r| r.get(0),
            )
            .optional()?
            .flatten())
    }
}

fn read_result(r: &crate::db::Row<'_>) -> crate::db::DbResult<CaseResult> {
    Ok(CaseResult {
        seq: r.get(0)?,
        case_id: r.get(1)?,
        number: r.get(2)?,
        action: r.get(3)?,
        note: r.get(4)?,
        by: r.get(5)?,
        at: r.get(6)?,
        file: match (
            r.get::<_, Option<String>>(7)?,
            r.get::<_, Option<String>>(8)?,
        ) {
            (Some(sha256), Some(name)) => Some(ResultFile {
                sha256,
                name,
                size: r.get::<_, Option<i64>>(9)?.unwrap_or(0) as u64,
            }),
            _ => None,
        },
    })
}
