//! Audit chains on the hub: each desk's log as received, and the hub's own (back-office
//! actions). A desk's batch must continue the chain from the head the hub last received (its
//! anchor) — a changed record, a gap, or the newest records deleted after they were sent break
//! it, and the break is recorded for the supervisor. Since issue 15 every chain has a key: a
//! desk signs its records with the Ed25519 key it registered at enrolment (or at its first
//! sign-in after the change; its earlier records are unsigned legacy), the hub signs its own
//! with the key in its data folder, and the hub checks on receipt that a record's actor signed
//! in at that desk (or is the hub, or the approver who decided that case, for a decision the
//! desk received) and that it is not dated before the desk's enrolment. `audit-verify`
//! re-checks every stored chain from its start; `audit-anchor` writes every chain's head signed
//! with the hub's key, so a later rewrite of what came before is found even by someone holding
//! the database and the key.

use std::path::Path;

use crate::db::{OptionalExtension, params};
use chrono::{DateTime, Duration, Utc};
use onewindow_domain::audit::{AuditRecord, AuditSigner, AuditVerifier, GENESIS, verify_chain};
use serde::{Deserialize, Serialize};

use crate::store::{HubStore, HubStoreError, Result};
use crate::store_queue::ts;

/// What a batch of audit records came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AuditReceipt {
    /// Taken; the chain's head now.
    Taken { seq: i64, hash: String },
    /// The chain breaks here; nothing of the batch was taken, the break is recorded.
    Broken { seq: i64, reason: String },
}

/// A device's audit log as the supervisor sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AuditHead {
    pub device_id: String,
    /// The centre the desk belongs to.
    pub centre: String,
    pub desk_code: String,
    pub desk_name: String,
    /// The release the desk last said it runs (`device.release_reported`), if it said.
    pub release: Option<String>,
    pub seq: i64,
    pub at: String,
    pub breaks: Vec<(i64, String, String)>,
}

/// The device id of the hub's own audit chain (back-office actions).
pub const HUB_CHAIN: &str = "hub";

pub use onewindow_domain::audit::NOBODY;

/// The file in the hub's data folder that holds the secret of the hub's audit key.
pub const HUB_KEY_FILE: &str = "audit-key";

/// How far before a desk's enrolment a record may be dated (the desk's clock may be a little
/// behind the hub's).
const CLOCK_SLACK_MINUTES: i64 = 10;

/// What an anchor file's signature covers before its payload.
const ANCHOR_CONTEXT: &[u8] = b"onewindow audit anchor v1\n";

/// The hub's own chain as the audit page shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HubAudit {
    /// How many records, and the newest ones (newest first).
    pub seq: i64,
    pub recent: Vec<AuditRecord>,
    /// Where the chain breaks, if it does (a record changed or removed around the triggers).
    pub broken: Option<(i64, String)>,
}

/// One stored chain, checked whole from its start.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChainCheck {
    /// The device id, or `hub`.
    pub chain: String,
    /// The desk code, or `hub`.
    pub desk_code: String,
    pub records: i64,
    /// Records with a valid signature.
    pub signed: i64,
    /// Records from before the chain had a key.
    pub legacy: i64,
    /// The first broken record and why.
    pub broken: Option<(i64, String)>,
}

/// Every chain's head, signed with the hub's key (`audit-anchor`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnchorFile {
    /// The JSON of [`Anchors`], exactly the bytes signed.
    pub payload: String,
    /// The hub's audit public key, hex.
    pub public_key: String,
    /// Ed25519 over the context and the payload, hex.
    pub signature: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Anchors {
    pub made_at: String,
    pub heads: Vec<AnchoredHead>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AnchoredHead {
    pub chain: String,
    pub desk_code: String,
    pub seq: i64,
    pub hash: String,
}

/// A chain's key as registered: the verifier, the first record that must be signed, where the
/// chain starts on the hub and the earliest date its records may carry.
struct ChainKey {
    verifier: Option<AuditVerifier>,
    signed_from: i64,
    start: (i64, String),
    since: Option<DateTime<Utc>>,
}

fn chain_key(conn: &crate::db::Conn, chain: &str) -> Result<ChainKey> {
    let row: Option<(String, i64, i64, String, String)> = conn
        .query_row(
            "SELECT public_key, signed_from, start_seq, start_hash, since FROM audit_key
             WHERE chain = ?1",
            [chain],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )
        .optional()?;
    Ok(match row {
        Some((key, signed_from, start_seq, start_hash, since)) => ChainKey {
            verifier: AuditVerifier::from_hex(&key),
            signed_from,
            start: (start_seq, start_hash),
            since: DateTime::parse_from_rfc3339(&since)
                .ok()
                .map(|d| d.with_timezone(&Utc)),
        },
        None => ChainKey {
            verifier: None,
            signed_from: i64::MAX,
            start: (0, GENESIS.to_string()),
            since: None,
        },
    })
}

/// Whether a record's actor is one its desk may name.
type ActorCheck<'a> = &'a dyn Fn(&AuditRecord) -> Result<bool>;

/// Checks each record's signature (required from `signed_from` on; checked wherever present)
/// and, for `Some(actors)`, that signed records name an actor the desk may name (see
/// [`HubStore::receive_audit`]) and are not dated before its enrolment. The first record that
/// fails, and why.
fn check_signed(
    key: &ChainKey,
    records: &[AuditRecord],
    actors: Option<ActorCheck<'_>>,
) -> Result<Option<(i64, String)>> {
    for r in records {
        let required = r.seq >= key.signed_from;
        match (&key.verifier, &r.sig) {
            (Some(v), Some(_)) if !v.verifies(r) => {
                return Ok(Some((
                    r.seq,
                    format!(
                        "record {} carries a signature that is not the chain's key's",
                        r.seq
                    ),
                )));
            }
            (_, None) if required => {
                return Ok(Some((
                    r.seq,
                    format!(
                        "record {} is not signed although its chain has a key",
                        r.seq
                    ),
                )));
            }
            _ => {}
        }
        if !required {
            continue;
        }
        if let Some(known) = actors {
            if !known(r)? {
                return Ok(Some((
                    r.seq,
                    format!(
                        "record {} names an actor who never signed in at this desk",
                        r.seq
                    ),
                )));
            }
            let at = DateTime::parse_from_rfc3339(&r.at).map(|d| d.with_timezone(&Utc));
            match (at, key.since) {
                (Err(_), _) => {
                    return Ok(Some((r.seq, format!("record {} has no valid date", r.seq))));
                }
                (Ok(at), Some(since)) if at < since - Duration::minutes(CLOCK_SLACK_MINUTES) => {
                    return Ok(Some((
                        r.seq,
                        format!("record {} is dated before the desk was enrolled", r.seq),
                    )));
                }
                _ => {}
            }
        }
    }
    Ok(None)
}

/// The chain head of `device`: the anchor, else where its chain starts on the hub.
fn anchor(tx: &crate::db::Tx<'_>, device: &str) -> Result<(i64, String)> {
    match tx
        .query_row(
            "SELECT seq, hash FROM audit_anchor WHERE device_id = ?1",
            [device],
            |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)),
        )
        .optional()?
    {
        Some(a) => Ok(a),
        None => Ok(chain_key(tx, device)?.start),
    }
}

const RECORD_COLUMNS: &str =
    "seq, at, actor, desk, action, object, result, detail, prev_hash, hash, sig";

fn read_record(r: &crate::db::Row<'_>) -> crate::db::DbResult<AuditRecord> {
    Ok(AuditRecord {
        seq: r.get(0)?,
        at: r.get(1)?,
        actor: r.get(2)?,
        desk: r.get(3)?,
        action: r.get(4)?,
        object: r.get(5)?,
        result: r.get(6)?,
        detail: r.get(7)?,
        prev_hash: r.get(8)?,
        hash: r.get(9)?,
        sig: r.get(10)?,
    })
}

/// Appends one record of `device`'s chain, as received at `received`.
fn insert_record(
    tx: &crate::db::Tx<'_>,
    device: &str,
    r: &AuditRecord,
    received: &str,
) -> Result<()> {
    tx.execute(
        "INSERT INTO audit_record (device_id, seq, at, actor, desk, action, object, result,
           detail, prev_hash, hash, received, sig)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
        params![
            device,
            r.seq,
            r.at,
            r.actor,
            r.desk,
            r.action,
            r.object,
            r.result,
            r.detail,
            r.prev_hash,
            r.hash,
            received,
            r.sig
        ],
    )?;
    Ok(())
}

/// Moves `device`'s chain head.
fn set_anchor(tx: &crate::db::Tx<'_>, device: &str, seq: i64, hash: &str, at: &str) -> Result<()> {
    tx.execute(
        "INSERT INTO audit_anchor (device_id, seq, hash, at) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT(device_id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash,
           at = excluded.at",
        params![device, seq, hash, at],
    )?;
    Ok(())
}

/// The hub's audit key from `DATA/audit-key`, made once (32 random bytes, readable by the
/// hub's user alone) when the folder has none.
pub fn load_or_make_hub_key(dir: &Path) -> Result<AuditSigner> {
    let path = dir.join(HUB_KEY_FILE);
    match std::fs::read_to_string(&path) {
        Ok(text) => AuditSigner::from_seed_hex(&text).ok_or_else(|| {
            HubStoreError::BadInput(format!(
                "{} is not an audit key (64 hex digits); restore it from the backup",
                path.display()
            ))
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let mut seed = [0u8; 32];
            getrandom::fill(&mut seed).expect("the OS random source works");
            let key = AuditSigner::from_seed(&seed);
            let tmp = dir.join(format!(".{HUB_KEY_FILE}.new"));
            {
                use std::io::Write;
                let mut opts = std::fs::OpenOptions::new();
                opts.write(true).create(true).truncate(true);
                #[cfg(unix)]
                std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
                let mut f = opts.open(&tmp)?;
                f.write_all(format!("{}\n", key.seed_hex()).as_bytes())?;
                f.sync_all()?;
            }
            std::fs::rename(&tmp, &path)?;
            tracing::info!(path = %path.display(), "hub audit key made");
            Ok(key)
        }
        Err(e) => Err(e.into()),
    }
}

impl HubStore {
    /// Registers the hub's own audit key for its chain at first open (records before are
    /// unsigned legacy); a key file that is not the registered key is refused, so the hub never
    /// signs with a key its chain does not verify under.
    pub(crate) fn check_hub_key(&mut self, now: DateTime<Utc>) -> Result<()> {
        let public = self.shared.audit_signer.public_hex();
        let registered = |conn: &crate::db::Conn| -> Result<Option<String>> {
            Ok(conn
                .query_row(
                    "SELECT public_key FROM audit_key WHERE chain = ?1",
                    [HUB_CHAIN],
                    |r| r.get(0),
                )
                .optional()?)
        };
        // Read first: a store opening next to a busy writer (another connection of the pool,
        // another command) takes the writers' lock only to register a new key.
        if registered(&self.conn)?.as_deref() == Some(public.as_str()) {
            return Ok(());
        }
        let tx = self.conn.transaction()?;
        match registered(&tx)? {
            Some(k) if k == public => {}
            Some(_) => {
                return Err(HubStoreError::BadInput(format!(
                    "the hub's audit key file ({HUB_KEY_FILE}) is not the key its audit chain is signed with; restore the data folder's {HUB_KEY_FILE} from the backup"
                )));
            }
            None => {
                let (seq, _) = anchor(&tx, HUB_CHAIN)?;
                tx.execute(
                    "INSERT INTO audit_key (chain, public_key, signed_from, since, registered_at)
                     VALUES (?1, ?2, ?3, ?4, ?4)",
                    params![HUB_CHAIN, public, seq + 1, ts(now)],
                )?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Appends a back-office action to the hub's own chain, signed with the hub's key: who (a
    /// user name, or the address of someone not signed in), the action (login, login_failed,
    /// logout, view, decide, export, elicence_lookup), what it was done to, and the result.
    pub fn audit_hub(
        &mut self,
        actor: &str,
        action: &str,
        object: &str,
        result: &str,
        detail: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let tx = self.conn.transaction()?;
        let (seq, hash) = anchor(&tx, HUB_CHAIN)?;
        let mut r = AuditRecord::next(
            seq,
            &hash,
            onewindow_domain::time::stamp(now),
            actor,
            HUB_CHAIN,
            action,
            object,
            result,
            detail,
        );
        self.shared.audit_signer.sign(&mut r);
        insert_record(&tx, HUB_CHAIN, &r, &r.at)?;
        set_anchor(&tx, HUB_CHAIN, r.seq, &r.hash, &r.at)?;
        tx.commit()?;
        Ok(())
    }

    /// A chain's stored records, oldest first.
    fn chain_records(&self, chain: &str) -> Result<Vec<AuditRecord>> {
        let mut q = self.conn.prepare_cached(&format!(
            "SELECT {RECORD_COLUMNS} FROM audit_record WHERE device_id = ?1 ORDER BY seq"
        ))?;
        let rows = q.query_map([chain], read_record)?;
        Ok(rows.collect::<crate::db::DbResult<_>>()?)
    }

    /// Checks one stored chain whole: from where it starts on the hub, every link, hash and
    /// required signature, and its newest record against the anchor.
    fn check_chain(&self, chain: &str) -> Result<ChainCheck> {
        let records = self.chain_records(chain)?;
        let key = chain_key(&self.conn, chain)?;
        let anchor: Option<(i64, String)> = self
            .conn
            .query_row(
                "SELECT seq, hash FROM audit_anchor WHERE device_id = ?1",
                [chain],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let mut broken = verify_chain(key.start.0, &key.start.1, &records)
            .err()
            .map(|b| (b.seq, b.reason));
        if broken.is_none() {
            broken = check_signed(&key, &records, None)?;
        }
        let last = records
            .last()
            .map(|r| (r.seq, r.hash.clone()))
            .unwrap_or_else(|| key.start.clone());
        if broken.is_none() && anchor.as_ref().is_some_and(|a| *a != last) {
            let seq = anchor.as_ref().map_or(0, |a| a.0);
            broken = Some((
                seq,
                format!("the newest records up to {seq} are missing or were rewritten"),
            ));
        }
        let signed = records
            .iter()
            .filter(|r| key.verifier.is_some_and(|v| v.verifies(r)))
            .count() as i64;
        let legacy = records.iter().filter(|r| r.seq < key.signed_from).count() as i64;
        let desk_code = if chain == HUB_CHAIN {
            HUB_CHAIN.to_string()
        } else {
            self.conn
                .query_row("SELECT desk_code FROM device WHERE id = ?1", [chain], |r| {
                    r.get(0)
                })
                .optional()?
                .unwrap_or_else(|| chain.to_string())
        };
        Ok(ChainCheck {
            chain: chain.to_string(),
            desk_code,
            records: records.len() as i64,
            signed,
            legacy,
            broken,
        })
    }

    /// Every stored chain — the hub's first, then the desks' by desk code — checked afresh.
    pub fn verify_audit_chains(&self) -> Result<Vec<ChainCheck>> {
        // One snapshot: a record appended meanwhile is not taken for a missing one.
        let snapshot = self.conn.read_transaction()?;
        let mut chains: Vec<String> = vec![HUB_CHAIN.to_string()];
        let mut q = self.conn.prepare(
            "SELECT c.id FROM (SELECT DISTINCT device_id AS id FROM audit_record
                               UNION SELECT device_id FROM audit_anchor) c
             LEFT JOIN device d ON d.id = c.id
             WHERE c.id != ?1 ORDER BY d.desk_code IS NOT NULL, d.desk_code, c.id",
        )?;
        chains.extend(
            q.query_map([HUB_CHAIN], |r| r.get::<_, String>(0))?
                .collect::<crate::db::DbResult<Vec<_>>>()?,
        );
        let checks = chains.iter().map(|c| self.check_chain(c)).collect();
        snapshot.commit()?;
        checks
    }

    /// The hub's own chain, checked whole from its first record to the anchor.
    pub fn hub_audit(&self, recent: usize) -> Result<HubAudit> {
        let snapshot = self.conn.read_transaction()?;
        let check = self.check_chain(HUB_CHAIN)?;
        let mut q = self.conn.prepare(&format!(
            "SELECT {RECORD_COLUMNS} FROM audit_record WHERE device_id = ?1
             ORDER BY seq DESC LIMIT ?2"
        ))?;
        let newest: Vec<AuditRecord> = q
            .query_map(params![HUB_CHAIN, recent as i64], read_record)?
            .collect::<crate::db::DbResult<_>>()?;
        snapshot.commit()?;
        Ok(HubAudit {
            seq: newest.first().map_or(0, |r| r.seq),
            recent: newest,
            broken: check.broken,
        })
    }

    /// Every chain's head now, signed with the hub's key.
    pub fn audit_anchors(&self, now: DateTime<Utc>) -> Result<AnchorFile> {
        let mut q = self.conn.prepare(
            "SELECT a.device_id, coalesce(d.desk_code, a.device_id), r.seq, r.hash
             FROM audit_record r
             JOIN (SELECT device_id, max(seq) AS seq FROM audit_record GROUP BY device_id) a
               ON a.device_id = r.device_id AND a.seq = r.seq
             LEFT JOIN device d ON d.id = r.device_id
             ORDER BY a.device_id != 'hub', d.desk_code IS NOT NULL, d.desk_code, a.device_id",
        )?;
        let heads = q
            .query_map((), |r| {
                Ok(AnchoredHead {
                    chain: r.get(0)?,
                    desk_code: r.get(1)?,
                    seq: r.get(2)?,
                    hash: r.get(3)?,
                })
            })?
            .collect::<crate::db::DbResult<Vec<_>>>()?;
        let payload = serde_json::to_string(&Anchors {
            made_at: ts(now),
            heads,
        })
        .map_err(|e| HubStoreError::Json("anchors".into(), e))?;
        Ok(AnchorFile {
            signature: self
                .shared
                .audit_signer
                .sign_bytes(ANCHOR_CONTEXT, payload.as_bytes()),
            public_key: self.shared.audit_signer.public_hex(),
            payload,
        })
    }

    /// Checks the stored chains against an anchor file: its signature must be the hub's key's
    /// (the one registered for the hub's chain), and every head it names must still be stored
    /// as it was. The first difference, or why the file cannot be trusted.
    pub fn check_anchors(&self, file: &AnchorFile) -> Result<Option<String>> {
        let hub = chain_key(&self.conn, HUB_CHAIN)?;
        let Some(verifier) = hub.verifier else {
            return Ok(Some("the hub's chain has no registered key".into()));
        };
        if file.public_key != verifier.to_hex()
            || !verifier.verifies_bytes(ANCHOR_CONTEXT, file.payload.as_bytes(), &file.signature)
        {
            return Ok(Some(
                "the anchor file is not signed with this hub's audit key".into(),
            ));
        }
        let anchors: Anchors = serde_json::from_str(&file.payload)
            .map_err(|e| HubStoreError::Json("anchors".into(), e))?;
        for h in &anchors.heads {
            let stored: Option<String> = self
                .conn
                .query_row(
                    "SELECT hash FROM audit_record WHERE device_id = ?1 AND seq = ?2",
                    params![h.chain, h.seq],
                    |r| r.get(0),
                )
                .optional()?;
            if stored.as_deref() != Some(h.hash.as_str()) {
                return Ok(Some(format!(
                    "chain {} (desk {}): record {} differs from the anchor of {} — records up to it were rewritten or removed",
                    h.chain, h.desk_code, h.seq, anchors.made_at
                )));
            }
        }
        Ok(None)
    }

    /// Takes a batch of a device's audit records (oldest first) if it continues the chain, and
    /// each record from the key's start on is signed with the device's key, names an actor who
    /// signed in at that desk and is not dated before its enrolment. Records the hub already has
    /// are skipped when they are the same, a break when not.
    pub fn receive_audit(
        &mut self,
        device: &str,
        records: &[AuditRecord],
        now: DateTime<Utc>,
    ) -> Result<AuditReceipt> {
        let tx = self.conn.transaction()?;
        let (head_seq, head_hash) = anchor(&tx, device)?;
        let key = chain_key(&tx, device)?;
        let mut fresh: Vec<&AuditRecord> = Vec::new();
        let mut broken = None;
        for r in records {
            if r.seq <= head_seq {
                let had: Option<String> = tx
                    .query_row(
                        "SELECT hash FROM audit_record WHERE device_id = ?1 AND seq = ?2",
                        params![device, r.seq],
                        |row| row.get(0),
                    )
                    .optional()?;
                // Records before the chain's start on the hub (the desk's, from before its
                // enrolment) are not the hub's to compare.
                if r.seq > key.start.0 && had.as_deref() != Some(r.hash.as_str()) {
                    broken = Some((
                        r.seq,
                        format!(
                            "record {} differs from the one received before: the desk's log was changed or its newest records deleted",
                            r.seq
                        ),
                    ));
                    break;
                }
            } else {
                fresh.push(r);
            }
        }
        let owned: Vec<AuditRecord> = fresh.iter().map(|r| (*r).clone()).collect();
        if broken.is_none()
            && let Err(b) = verify_chain(head_seq, &head_hash, &owned)
        {
            broken = Some((b.seq, b.reason));
        }
        if broken.is_none() {
            // Who a desk's record may name: someone who signed in at that desk through the hub
            // (an offline sign-in needs a verifier from such a sign-in); nobody, for a refused
            // sign-in; and, for a state change the hub's answer made on the desk, the hub or the
            // approver who decided that very case of this desk.
            let known = |r: &AuditRecord| -> Result<bool> {
                if r.actor == NOBODY {
                    return Ok(r.action == "login" && r.result != "ok");
                }
                if r.desk == "HUB" && r.action == "state" {
                    return Ok(r.actor == onewindow_domain::audit::HUB_ACTOR
                        || tx.query_row(
                            "SELECT EXISTS (SELECT 1 FROM case_result x
                               JOIN hub_case c ON c.id = x.case_id
                               WHERE c.device_id = ?1 AND c.number = ?2 AND x.by_user = ?3)",
                            params![device, r.object, r.actor],
                            |row| row.get(0),
                        )?);
                }
                Ok(tx.query_row(
                    "SELECT EXISTS (SELECT 1 FROM desk_user WHERE device_id = ?1 AND user_name = ?2)",
                    params![device, r.actor],
                    |row| row.get(0),
                )?)
            };
            broken = check_signed(&key, &owned, Some(&known))?;
        }
        if let Some((seq, reason)) = broken {
            tx.execute(
                "INSERT INTO audit_break (device_id, seq, reason, at)
                 VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING",
                params![device, seq, reason, ts(now)],
            )?;
            tx.commit()?;
            tracing::warn!(device, seq, reason = %reason, "audit chain broken");
            return Ok(AuditReceipt::Broken { seq, reason });
        }
        for r in &fresh {
            insert_record(&tx, device, r, &ts(now))?;
        }
        let (seq, hash) = fresh
            .last()
            .map_or((head_seq, head_hash), |r| (r.seq, r.hash.clone()));
        set_anchor(&tx, device, seq, &hash, &ts(now))?;
        tx.commit()?;
        Ok(AuditReceipt::Taken { seq, hash })
    }

    /// Every device's audit head and the breaks found in its log.
    pub fn audit_heads(&self) -> Result<Vec<AuditHead>> {
        let mut q = self.conn.prepare(
            "SELECT d.id, d.desk_code, d.desk_name, coalesce(a.seq, 0), coalesce(a.at, ''),
                    d.centre, d.release
             FROM device d LEFT JOIN audit_anchor a ON a.device_id = d.id ORDER BY d.desk_code",
        )?;
        type Row = (String, String, String, i64, String, String, Option<String>);
        let rows: Vec<Row> = q
            .query_map((), |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                ))
            })?
            .collect::<crate::db::DbResult<_>>()?;
        let mut b = self
            .conn
            .prepare("SELECT seq, reason, at FROM audit_break WHERE device_id = ?1 ORDER BY id")?;
        rows.into_iter()
            .map(|(id, desk_code, desk_name, seq, at, centre, release)| {
                let breaks = b
                    .query_map([&id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                    .collect::<crate::db::DbResult<_>>()?;
                Ok(AuditHead {
                    device_id: id,
                    centre,
                    desk_code,
                    desk_name,
                    release,
                    seq,
                    at,
                    breaks,
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hubs_own_chain_is_append_only_and_checked_whole() {
        let mut s = HubStore::open_in_memory().unwrap();
        let now = Utc::now();
        s.audit_hub("wang", "login", "wang", "ok", None, now)
            .unwrap();
        s.audit_hub("wang", "view", "W01-20261127-0001", "ok", None, now)
            .unwrap();
        s.audit_hub(
            "wang",
            "export",
            "figures.xlsx",
            "ok",
            Some("2026-11-01..2026-11-27"),
            now,
        )
        .unwrap();
        let a = s.hub_audit(10).unwrap();
        assert_eq!((a.seq, a.broken.clone()), (3, None));
        assert_eq!(a.recent[0].action, "export");
        // The triggers refuse edits and deletes.
        assert!(
            s.conn
                .execute(
                    "UPDATE audit_record SET actor = 'x' WHERE device_id = 'hub'",
                    ()
                )
                .is_err()
        );
        assert!(
            s.conn
                .execute(
                    "DELETE FROM audit_record WHERE device_id = 'hub' AND seq = 3",
                    ()
                )
                .is_err()
        );
        // Edited around them: the check finds it.
        s.conn
            .execute_batch(
                "DROP TRIGGER audit_record_no_update;
                 UPDATE audit_record SET object = 'W01-20261127-0002' WHERE device_id = 'hub' AND seq = 2;",
            )
            .unwrap();
        assert_eq!(s.hub_audit(10).unwrap().broken.unwrap().0, 2);
        // The newest removed: the anchor shows it.
        let mut s = HubStore::open_in_memory().unwrap();
        s.audit_hub("wang", "login", "wang", "ok", None, now)
            .unwrap();
        s.audit_hub("wang", "export", "figures.xlsx", "ok", None, now)
            .unwrap();
        s.conn
            .execute_batch(
                "DROP TRIGGER audit_record_no_delete;
                 DELETE FROM audit_record WHERE device_id = 'hub' AND seq = 2;",
            )
            .unwrap();
        assert!(
            s.hub_audit(10)
                .unwrap()
                .broken
                .unwrap()
                .1
                .contains("missing")
        );
    }

    fn chain(n: i64) -> Vec<AuditRecord> {
        let mut out: Vec<AuditRecord> = Vec::new();
        for i in 0..n {
            let (seq, hash) = out
                .last()
                .map_or((0, GENESIS.to_string()), |r| (r.seq, r.hash.clone()));
            out.push(AuditRecord::next(
                seq,
                &hash,
                format!("2026-11-27T02:00:{i:02}.000Z"),
                "liu",
                "W01",
                "view",
                &format!("W01-20261127-{i:04}"),
                "ok",
                None,
            ));
        }
        out
    }

    #[test]
    fn the_hub_takes_a_continuing_chain_and_flags_edits_and_deleted_heads() {
        let mut s = HubStore::open_in_memory().unwrap();
        let (code, _) = s.create_enrol_code("1 号窗口", None, Utc::now()).unwrap();
        let dev = s.enrol(&code, Utc::now()).unwrap().device_id;
        let c = chain(6);
        let now = Utc::now();
        assert!(matches!(
            s.receive_audit(&dev, &c[..3], now).unwrap(),
            AuditReceipt::Taken { seq: 3, .. }
        ));
        // A resend of what the hub has, then more: fine.
        assert!(matches!(
            s.receive_audit(&dev, &c[2..5], now).unwrap(),
            AuditReceipt::Taken { seq: 5, .. }
        ));
        // An edited record is refused and flagged.
        let mut edited = c[5].clone();
        edited.object = "something else".into();
        let AuditReceipt::Broken { seq, reason } = s.receive_audit(&dev, &[edited], now).unwrap()
        else {
            panic!("edited record taken")
        };
        assert_eq!(seq, 6);
        assert!(reason.contains("changed"), "{reason}");
        // The desk deleted its records 4 and 5 after sending them and wrote a new 4.
        let regrown = AuditRecord::next(
            3,
            &c[2].hash,
            "2026-11-27T03:00:00.000Z".into(),
            "liu",
            "W01",
            "view",
            "X",
            "ok",
            None,
        );
        let AuditReceipt::Broken { seq, reason } = s.receive_audit(&dev, &[regrown], now).unwrap()
        else {
            panic!("a regrown head taken")
        };
        assert_eq!(seq, 4);
        assert!(reason.contains("newest records deleted"), "{reason}");
        // The supervisor sees both breaks; the real record 6 is still taken.
        assert!(matches!(
            s.receive_audit(&dev, &c[5..], now).unwrap(),
            AuditReceipt::Taken { seq: 6, .. }
        ));
        let heads = s.audit_heads().unwrap();
        assert_eq!((heads[0].seq, heads[0].breaks.len()), (6, 2));
    }

    fn signed_chain(
        key: &AuditSigner,
        from: (i64, String),
        n: i64,
        actor: &str,
        at: &str,
    ) -> Vec<AuditRecord> {
        let mut out: Vec<AuditRecord> = Vec::new();
        for i in 0..n {
            let (seq, hash) = out.last().map_or(from.clone(), |r| (r.seq, r.hash.clone()));
            let mut r = AuditRecord::next(
                seq,
                &hash,
                at.into(),
                actor,
                "W01",
                "view",
                &format!("W01-20261127-{i:04}"),
                "ok",
                None,
            );
            key.sign(&mut r);
            out.push(r);
        }
        out
    }

    /// Seen (issue 15): a desk pushed a record as actor 王审批 dated 2020; the back office showed
    /// a chain as whole after a stored record was edited; the hub's own chain was rewritten
    /// with fresh hashes undetected.
    #[test]
    fn signed_chains_name_real_actors_and_stored_edits_and_rewrites_are_found() {
        let mut s = HubStore::open_in_memory().unwrap();
        let now: DateTime<Utc> = "2026-11-27T02:00:00Z".parse().unwrap();
        let key = AuditSigner::from_seed(&[5u8; 32]);
        // The desk had 3 records before it was enrolled: its chain starts there on the hub.
        let before = chain(3);
        let head = (3, before[2].hash.clone());
        let (code, _) = s.create_enrol_code("1 号窗口", None, now).unwrap();
        let reg = onewindow_proto::AuditKeyRegistration {
            public_key: key.public_hex(),
            head_seq: head.0,
            head_hash: head.1.clone(),
        };
        let dev = s.enrol_with_key(&code, Some(&reg), now).unwrap().device_id;
        let at = "2026-11-27T02:05:00.000Z";
        // Nobody signed in at the desk yet: liu is no actor of it.
        let c = signed_chain(&key, head.clone(), 2, "liu", at);
        let AuditReceipt::Broken { reason, .. } = s.receive_audit(&dev, &c, now).unwrap() else {
            panic!("a stranger's record taken")
        };
        assert!(reason.contains("never signed in"), "{reason}");
        s.open_desk_session(&dev, "liu", now).unwrap();
        assert!(matches!(
            s.receive_audit(&dev, &c, now).unwrap(),
            AuditReceipt::Taken { seq: 5, .. }
        ));
        let head5 = (5, c[1].hash.clone());
        // 王审批 never signed in here; a record dated 2020; one unsigned; one by another key.
        let cases: [(Vec<AuditRecord>, &str); 4] = [
            (
                signed_chain(&key, head5.clone(), 1, "王审批", at),
                "never signed in",
            ),
            (
                signed_chain(&key, head5.clone(), 1, "liu", "2020-01-01T00:00:00.000Z"),
                "before the desk was enrolled",
            ),
            (
                {
                    let mut r = signed_chain(&key, head5.clone(), 1, "liu", at);
                    r[0].sig = None;
                    r
                },
                "not signed",
            ),
            (
                signed_chain(
                    &AuditSigner::from_seed(&[6u8; 32]),
                    head5.clone(),
                    1,
                    "liu",
                    at,
                ),
                "not the chain's key",
            ),
        ];
        for (records, why) in cases {
            let AuditReceipt::Broken { seq, reason } =
                s.receive_audit(&dev, &records, now).unwrap()
            else {
                panic!("{why}: taken")
            };
            assert_eq!(seq, 6);
            assert!(reason.contains(why), "{why}: {reason}");
        }
        // A refused sign-in is recorded with nobody as its actor.
        let mut refused = AuditRecord::next(
            5,
            &head5.1,
            at.into(),
            NOBODY,
            "W01",
            "login",
            "王审批",
            "refused: wrong password",
            None,
        );
        key.sign(&mut refused);
        assert!(matches!(
            s.receive_audit(&dev, &[refused], now).unwrap(),
            AuditReceipt::Taken { seq: 6, .. }
        ));

        // The hub's own chain, signed with its key.
        s.audit_hub("wang", "login", "wang", "ok", None, now)
            .unwrap();
        s.audit_hub("wang", "export", "figures.xlsx", "ok", None, now)
            .unwrap();
        let checks = s.verify_audit_chains().unwrap();
        assert_eq!(checks.len(), 2);
        assert!(checks.iter().all(|c| c.broken.is_none()), "{checks:?}");
        assert_eq!((checks[0].chain.as_str(), checks[0].signed), (HUB_CHAIN, 2));
        assert_eq!((checks[1].desk_code.as_str(), checks[1].signed), ("W01", 3));
        let anchors = s.audit_anchors(now).unwrap();
        assert_eq!(s.check_anchors(&anchors).unwrap(), None);

        // A stored desk record edited around the triggers: found on the next check.
        s.conn
            .execute_batch(
                "DROP TRIGGER audit_record_no_update;
                 UPDATE audit_record SET object = 'W01-20261127-9999' WHERE seq = 4 AND device_id != 'hub';",
            )
            .unwrap();
        let checks = s.verify_audit_chains().unwrap();
        assert_eq!(checks[1].broken.as_ref().map(|b| b.0), Some(4));
        // Put back; then the operator rewrites the hub's chain with fresh hashes (and, holding
        // the key, fresh signatures): the chain verifies, the anchor does not.
        s.conn
            .execute(
                "UPDATE audit_record SET object = 'W01-20261127-0000' WHERE seq = 4 AND device_id != 'hub'", (),
            )
            .unwrap();
        let mut rewritten = AuditRecord::next(
            0,
            GENESIS,
            "2026-11-27T02:00:00.000Z".into(),
            "wang",
            HUB_CHAIN,
            "login",
            "wang",
            "ok",
            None,
        );
        s.shared.audit_signer.sign(&mut rewritten);
        let mut second = AuditRecord::next(
            1,
            &rewritten.hash,
            "2026-11-27T02:00:00.000Z".into(),
            "wang",
            HUB_CHAIN,
            "view",
            "nothing",
            "ok",
            None,
        );
        s.shared.audit_signer.sign(&mut second);
        s.conn
            .execute_batch("DROP TRIGGER audit_record_no_delete; DELETE FROM audit_record WHERE device_id = 'hub';")
            .unwrap();
        let tx = s.conn.transaction().unwrap();
        for r in [&rewritten, &second] {
            insert_record(&tx, HUB_CHAIN, r, &r.at).unwrap();
        }
        set_anchor(&tx, HUB_CHAIN, 2, &second.hash, &second.at).unwrap();
        tx.commit().unwrap();
        assert!(
            s.verify_audit_chains()
                .unwrap()
                .iter()
                .all(|c| c.broken.is_none())
        );
        let differs = s.check_anchors(&anchors).unwrap().unwrap();
        assert!(differs.contains("record 2 differs"), "{differs}");
        // Without the key, a rewrite does not even verify.
        let mut forged = second.clone();
        forged.object = "forged".into();
        forged.hash = forged.expected_hash();
        AuditSigner::from_seed(&[9u8; 32]).sign(&mut forged);
        s.conn
            .execute(
                "DELETE FROM audit_record WHERE device_id = 'hub' AND seq = 2",
                (),
            )
            .unwrap();
        let tx = s.conn.transaction().unwrap();
        insert_record(&tx, HUB_CHAIN, &forged, &forged.at).unwrap();
        set_anchor(&tx, HUB_CHAIN, 2, &forged.hash, &forged.at).unwrap();
        tx.commit().unwrap();
        let hub = &s.verify_audit_chains().unwrap()[0];
        assert_eq!(hub.broken.as_ref().map(|b| b.0), Some(2), "{hub:?}");
        // An anchor file signed by another key is not trusted.
        let mut fake = anchors.clone();
        fake.signature =
            AuditSigner::from_seed(&[9u8; 32]).sign_bytes(ANCHOR_CONTEXT, fake.payload.as_bytes());
        assert!(
            s.check_anchors(&fake)
                .unwrap()
                .unwrap()
                .contains("not signed")
        );
    }
}
