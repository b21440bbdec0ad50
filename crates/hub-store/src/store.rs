//! The hub's SQLite store: the only hub module that knows SQL.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use crate::db::{Conn, DbError, OptionalExtension, params};
use chrono::{DateTime, SecondsFormat, Utc};
use onewindow_domain::elicence::{HolderKind, RegistryHolder};
use onewindow_domain::{Catalog, YearCalendar};
use onewindow_proto::{
    CalendarChange, CalendarChanges, CatalogChange, CatalogChanges, CatalogEntity, CatalogVersion,
    ChangeOp, QueueConfigChange, QueueConfigChanges,
};
use onewindow_store::migrate::{self, Migration};
use serde_json::value::RawValue;

pub const HUB_MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "0001_catalog",
        sql: include_str!("../../../migrations/hub-sqlite/0001_catalog.sql"),
    },
    Migration {
        version: 2,
        name: "0002_elicences",
        sql: include_str!("../../../migrations/hub-sqlite/0002_elicences.sql"),
    },
    Migration {
        version: 3,
        name: "0003_sync",
        sql: include_str!("../../../migrations/hub-sqlite/0003_sync.sql"),
    },
    Migration {
        version: 4,
        name: "0004_office",
        sql: include_str!("../../../migrations/hub-sqlite/0004_office.sql"),
    },
    Migration {
        version: 5,
        name: "0005_result_file",
        sql: include_str!("../../../migrations/hub-sqlite/0005_result_file.sql"),
    },
    Migration {
        version: 6,
        name: "0006_queue_config",
        sql: include_str!("../../../migrations/hub-sqlite/0006_queue_config.sql"),
    },
    Migration {
        version: 7,
        name: "0007_queue",
        sql: include_str!("../../../migrations/hub-sqlite/0007_queue.sql"),
    },
    Migration {
        version: 8,
        name: "0008_ratings",
        sql: include_str!("../../../migrations/hub-sqlite/0008_ratings.sql"),
    },
    Migration {
        version: 9,
        name: "0009_notices_appointments",
        sql: include_str!("../../../migrations/hub-sqlite/0009_notices_appointments.sql"),
    },
    Migration {
        version: 10,
        name: "0010_login_guard",
        sql: include_str!("../../../migrations/hub-sqlite/0010_login_guard.sql"),
    },
    Migration {
        version: 11,
        name: "0011_audit",
        sql: include_str!("../../../migrations/hub-sqlite/0011_audit.sql"),
    },
    Migration {
        version: 12,
        name: "0012_hub_audit",
        sql: include_str!("../../../migrations/hub-sqlite/0012_hub_audit.sql"),
    },
    Migration {
        version: 13,
        name: "0013_security",
        sql: include_str!("../../../migrations/hub-sqlite/0013_security.sql"),
    },
    Migration {
        version: 14,
        name: "0014_web_face",
        sql: include_str!("../../../migrations/hub-sqlite/0014_web_face.sql"),
    },
    Migration {
        version: 15,
        name: "0015_centres",
        sql: include_str!("../../../migrations/hub-sqlite/0015_centres.sql"),
    },
    Migration {
        version: 16,
        name: "0016_hours",
        sql: include_str!("../../../migrations/hub-sqlite/0016_hours.sql"),
    },
    Migration {
        version: 17,
        name: "0017_refusals",
        sql: include_str!("../../../migrations/hub-sqlite/0017_refusals.sql"),
    },
    Migration {
        version: 18,
        name: "0018_unresolved",
        sql: include_str!("../../../migrations/hub-sqlite/0018_unresolved.sql"),
    },
    Migration {
        version: 19,
        name: "0019_ticket_cases",
        sql: include_str!("../../../migrations/hub-sqlite/0019_ticket_cases.sql"),
    },
    Migration {
        version: 20,
        name: "0020_epoch",
        sql: include_str!("../../../migrations/hub-sqlite/0020_epoch.sql"),
    },
    Migration {
        version: 21,
        name: "0021_desk_release",
        sql: include_str!("../../../migrations/hub-sqlite/0021_desk_release.sql"),
    },
];

/// The same migrations in PostgreSQL's dialect (`migrations/hub-postgres/`): one schema, table
/// for table and column for column (a test compares them).
pub const HUB_PG_MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "0001_catalog",
        sql: include_str!("../../../migrations/hub-postgres/0001_catalog.sql"),
    },
    Migration {
        version: 2,
        name: "0002_elicences",
        sql: include_str!("../../../migrations/hub-postgres/0002_elicences.sql"),
    },
    Migration {
        version: 3,
        name: "0003_sync",
        sql: include_str!("../../../migrations/hub-postgres/0003_sync.sql"),
    },
    Migration {
        version: 4,
        name: "0004_office",
        sql: include_str!("../../../migrations/hub-postgres/0004_office.sql"),
    },
    Migration {
        version: 5,
        name: "0005_result_file",
        sql: include_str!("../../../migrations/hub-postgres/0005_result_file.sql"),
    },
    Migration {
        version: 6,
        name: "0006_queue_config",
        sql: include_str!("../../../migrations/hub-postgres/0006_queue_config.sql"),
    },
    Migration {
        version: 7,
        name: "0007_queue",
        sql: include_str!("../../../migrations/hub-postgres/0007_queue.sql"),
    },
    Migration {
        version: 8,
        name: "0008_ratings",
        sql: include_str!("../../../migrations/hub-postgres/0008_ratings.sql"),
    },
    Migration {
        version: 9,
        name: "0009_notices_appointments",
        sql: include_str!("../../../migrations/hub-postgres/0009_notices_appointments.sql"),
    },
    Migration {
        version: 10,
        name: "0010_login_guard",
        sql: include_str!("../../../migrations/hub-postgres/0010_login_guard.sql"),
    },
    Migration {
        version: 11,
        name: "0011_audit",
        sql: include_str!("../../../migrations/hub-postgres/0011_audit.sql"),
    },
    Migration {
        version: 12,
        name: "0012_hub_audit",
        sql: include_str!("../../../migrations/hub-postgres/0012_hub_audit.sql"),
    },
    Migration {
        version: 13,
        name: "0013_security",
        sql: include_str!("../../../migrations/hub-postgres/0013_security.sql"),
    },
    Migration {
        version: 14,
        name: "0014_web_face",
        sql: include_str!("../../../migrations/hub-postgres/0014_web_face.sql"),
    },
    Migration {
        version: 15,
        name: "0015_centres",
        sql: include_str!("../../../migrations/hub-postgres/0015_centres.sql"),
    },
    Migration {
        version: 16,
        name: "0016_hours",
        sql: include_str!("../../../migrations/hub-postgres/0016_hours.sql"),
    },
    Migration {
        version: 17,
        name: "0017_refusals",
        sql: include_str!("../../../migrations/hub-postgres/0017_refusals.sql"),
    },
    Migration {
        version: 18,
        name: "0018_unresolved",
        sql: include_str!("../../../migrations/hub-postgres/0018_unresolved.sql"),
    },
    Migration {
        version: 19,
        name: "0019_ticket_cases",
        sql: include_str!("../../../migrations/hub-postgres/0019_ticket_cases.sql"),
    },
    Migration {
        version: 20,
        name: "0020_epoch",
        sql: include_str!("../../../migrations/hub-postgres/0020_epoch.sql"),
    },
    Migration {
        version: 21,
        name: "0021_desk_release",
        sql: include_str!("../../../migrations/hub-postgres/0021_desk_release.sql"),
    },
];

#[derive(Debug, thiserror::Error)]
pub enum HubStoreError {
    #[error(transparent)]
    Db(#[from] crate::db::DbError),
    #[error(transparent)]
    Migrate(#[from] migrate::MigrateError),
    #[error("migration {version} ({name}) failed: {source}")]
    Migration {
        version: u32,
        name: &'static str,
        source: crate::db::DbError,
    },
    #[error("cannot create data folder {path}: {source}")]
    DataDir {
        path: String,
        source: std::io::Error,
    },
    #[error("cursor {cursor} is ahead of the change log (last change {last})")]
    CursorAhead { cursor: i64, last: i64 },
    #[error("serialising {0}: {1}")]
    Json(String, serde_json::Error),
    #[error("enrolment code unknown or already used")]
    BadEnrolCode,
    #[error("{0}")]
    BadInput(String),
    /// `--database` is not a PostgreSQL URL.
    #[error("{0}")]
    BadDatabaseUrl(String),
    /// A request the hub refuses for a reason the desk words itself (a queue or rating
    /// refusal): the code travels, the message is for the log.
    #[error("{1}")]
    Refused(onewindow_proto::ApiErrorCode, String),
    #[error("blob {sha256}: expected offset {expected}, got {got}")]
    BlobOffset {
        sha256: String,
        expected: u64,
        got: u64,
    },
    #[error("blob {0}: SHA-256 of the received bytes does not match")]
    BlobMismatch(String),
    #[error("blob storage: {0}")]
    BlobIo(#[from] std::io::Error),
    /// hub.db's encryption: the key, or the encryption of a plaintext database.
    #[error("data at rest: {0}")]
    AtRest(String),
}

impl HubStoreError {
    /// The hub's disk has no room left: SQLite's `SQLITE_FULL`, or a blob write that failed
    /// with `ENOSPC`. Nothing of the request was recorded; freeing space is the cure.
    pub fn is_storage_full(&self) -> bool {
        match self {
            HubStoreError::Db(e) => e.is_disk_full(),
            HubStoreError::BlobIo(e) => e.kind() == std::io::ErrorKind::StorageFull,
            _ => false,
        }
    }
}

pub type Result<T, E = HubStoreError> = std::result::Result<T, E>;

/// What an import did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportReport {
    pub version: CatalogVersion,
    pub upserts: usize,
    pub removals: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarImportReport {
    pub years_changed: Vec<i32>,
    pub years_unchanged: Vec<i32>,
}

/// The store on one connection: SQLite's only one, or one a [`StorePool`](crate::pool::StorePool)
/// lent from PostgreSQL's pool.
pub struct HubStore {
    pub(crate) conn: Conn,
    pub(crate) shared: std::sync::Arc<Shared>,
    /// Devices whose results stream grew in this store's committed writes, not yet told
    /// ([`HubStore::take_new_results`]).
    pub(crate) new_results: Vec<String>,
}

/// What every connection of one store shares.
pub(crate) struct Shared {
    /// Each centre's current queue configuration, parsed once per published version (seq).
    queue_cache: std::sync::Mutex<QueueCache>,
    /// The key the hub signs its own audit chain and its anchor files with (`DATA/audit-key`).
    pub(crate) audit_signer: onewindow_domain::audit::AuditSigner,
}

type QueueCache = HashMap<String, (i64, std::sync::Arc<onewindow_domain::queue::QueueConfig>)>;

impl Shared {
    pub(crate) fn new(audit_signer: onewindow_domain::audit::AuditSigner) -> Self {
        Shared {
            queue_cache: Default::default(),
            audit_signer,
        }
    }

    pub(crate) fn queue_cache(&self) -> std::sync::MutexGuard<'_, QueueCache> {
        self.queue_cache.lock().unwrap_or_else(|p| p.into_inner())
    }
}

fn entity_str(e: CatalogEntity) -> &'static str {
    match e {
        CatalogEntity::Domain => "domain",
        CatalogEntity::Item => "item",
        CatalogEntity::Bundle => "bundle",
    }
}

fn parse_entity(s: &str) -> crate::db::DbResult<CatalogEntity> {
    match s {
        "domain" => Ok(CatalogEntity::Domain),
        "item" => Ok(CatalogEntity::Item),
        "bundle" => Ok(CatalogEntity::Bundle),
        other => Err(DbError::conversion("entity", format!("entity {other}"))),
    }
}

fn parse_op(s: &str) -> crate::db::DbResult<ChangeOp> {
    match s {
        "upsert" => Ok(ChangeOp::Upsert),
        "remove" => Ok(ChangeOp::Remove),
        other => Err(DbError::conversion("op", format!("op {other}"))),
    }
}

fn raw(body: Option<String>) -> crate::db::DbResult<Option<Box<RawValue>>> {
    body.map(|b| RawValue::from_string(b).map_err(|e| DbError::conversion("body", e)))
        .transpose()
}

fn to_json<T: serde::Serialize>(what: &str, v: &T) -> Result<String> {
    serde_json::to_string(v).map_err(|e| HubStoreError::Json(what.to_string(), e))
}

impl HubStore {
    /// Opens `DIR/hub.db`, creating the folder and the database if needed.
    pub fn open_dir(dir: &Path) -> Result<HubStore> {
        Self::open_dir_keyed(dir, None)
    }

    /// [`open_dir`](Self::open_dir) with hub.db's key in `key_file` (else the environment's
    /// `ONEWINDOW_HUB_KEY_FILE`, else `DATA/keys/hub.key`). The folder is made the hub's alone
    /// (0700) and hub.db 0600; a plaintext hub.db is encrypted in place first.
    pub fn open_dir_keyed(dir: &Path, key_file: Option<&Path>) -> Result<HubStore> {
        use crate::store_keys::{
            key_file as resolve, load_or_make_db_key, private_dir, private_file,
        };
        private_dir(dir)?;
        let db_key = load_or_make_db_key(dir, &resolve(dir, key_file))?;
        let path = dir.join("hub.db");
        if !path.exists() {
            // Created 0600 before SQLite opens it: its WAL and shared memory take its mode.
            let mut opts = std::fs::OpenOptions::new();
            opts.write(true).create_new(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
            opts.open(&path)?;
        }
        for side in ["hub.db", "hub.db-wal", "hub.db-shm"] {
            private_file(&dir.join(side))?;
        }
        if onewindow_store::encrypt_if_plaintext(&path, &db_key)
            .map_err(|e| HubStoreError::AtRest(e.to_string()))?
        {
            tracing::info!(path = %path.display(), "hub.db encrypted in place");
            private_file(&path)?;
        }
        let conn = onewindow_store::keyed_connection(&path, &db_key)
            .map_err(|e| HubStoreError::AtRest(e.to_string()))?;
        // A wrong key reads as garbage: say so before anything else runs.
        conn.query_row("SELECT count(*) FROM sqlite_master", (), |r| {
            r.get::<_, i64>(0)
        })
        .map_err(|e| {
            HubStoreError::AtRest(format!(
                "hub.db does not open with its key ({e}); is the key file the one it was made with?"
            ))
        })?;
        let key = crate::store_audit::load_or_make_hub_key(dir)?;
        Self::open(conn, key)
    }

    /// A store in memory (tests), with an audit key of its own.
    pub fn open_in_memory() -> Result<HubStore> {
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed).expect("the OS random source works");
        Self::open(
            rusqlite::Connection::open_in_memory().map_err(crate::db::DbError::from)?,
            onewindow_domain::audit::AuditSigner::from_seed(&seed),
        )
    }

    fn open(
        mut conn: rusqlite::Connection,
        audit_signer: onewindow_domain::audit::AuditSigner,
    ) -> Result<HubStore> {
        let sqlite = |e: rusqlite::Error| HubStoreError::Db(e.into());
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(sqlite)?;
        conn.execute_batch(
            "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000;",
        )
        .map_err(sqlite)?;
        conn.set_prepared_statement_cache_capacity(256);
        migrate::run(&mut conn, HUB_MIGRATIONS)?;
        let mut store = HubStore {
            conn: Conn::Sqlite(conn),
            shared: std::sync::Arc::new(Shared::new(audit_signer)),
            new_results: Vec::new(),
        };
        store.check_hub_key(onewindow_domain::clock::Clock::system().now())?;
        Ok(store)
    }

    /// Publishes `catalog` as a new version: diffs it against the current catalog and appends
    /// one change per added, changed or removed entity, all in one transaction.
    #[tracing::instrument(skip(self, catalog), fields(items = catalog.items.len()), err)]
    pub fn import_catalog(
        &mut self,
        catalog: &Catalog,
        source: &str,
        now: DateTime<Utc>,
    ) -> Result<ImportReport> {
        let mut wanted: Vec<(CatalogEntity, &str, String)> =
            Vec::with_capacity(catalog.domains.len() + catalog.items.len() + catalog.bundles.len());
        for d in &catalog.domains {
            wanted.push((CatalogEntity::Domain, &d.code, to_json("domain", d)?));
        }
        for it in &catalog.items {
            wanted.push((CatalogEntity::Item, &it.code, to_json("item", it)?));
        }
        for b in &catalog.bundles {
            wanted.push((CatalogEntity::Bundle, &b.code, to_json("bundle", b)?));
        }

        let tx = self.conn.transaction()?;
        let mut current: HashMap<(String, String), String> = HashMap::new();
        {
            let mut q = tx.prepare(
                "SELECT e.entity, e.key, c.body FROM catalog_entity e
                 JOIN catalog_change c ON c.seq = e.seq",
            )?;
            let rows = q.query_map((), |r| Ok(((r.get(0)?, r.get(1)?), r.get(2)?)))?;
            for row in rows {
                let (k, v) = row?;
                current.insert(k, v);
            }
        }
        let published_at = now.to_rfc3339_opts(SecondsFormat::Secs, true);
        let last_seq: i64 = tx.query_row(
            "SELECT coalesce(max(seq), 0) FROM catalog_change",
            (),
            |r| r.get(0),
        )?;
        let version_id: i64 = tx.query_row(
            "INSERT INTO catalog_version (label, source, published_at, upserts, removals, last_seq)
             VALUES (?1, ?2, ?3, 0, 0, ?4) RETURNING id",
            params![catalog.version, source, published_at, last_seq],
            |r| r.get(0),
        )?;
        let (mut upserts, mut removals) = (0usize, 0usize);
        {
            let mut put = tx.prepare(
                "INSERT INTO catalog_entity (entity, key, seq) VALUES (?1, ?2, ?3)
                 ON CONFLICT(entity, key) DO UPDATE SET seq = excluded.seq",
            )?;
            let mut log = tx.prepare(
                "INSERT INTO catalog_change (version_id, entity, op, key, body) VALUES (?1, ?2, ?3, ?4, ?5)
                 RETURNING seq",
            )?;
            for (entity, key, body) in &wanted {
                let k = (entity_str(*entity).to_string(), key.to_string());
                if current.remove(&k).as_deref() == Some(body.as_str()) {
                    continue;
                }
                let seq: i64 =
                    log.query_row(params![version_id, k.0, "upsert", k.1, body], |r| r.get(0))?;
                put.execute(params![k.0, k.1, seq])?;
                upserts += 1;
            }
            // Whatever is left was not in the file: removed. Bundles first, domains last.
            let mut gone: Vec<(String, String)> = current.into_keys().collect();
            let order = |e: &str| match e {
                "bundle" => 0,
                "item" => 1,
                _ => 2,
            };
            gone.sort_by(|a, b| order(&a.0).cmp(&order(&b.0)).then(a.1.cmp(&b.1)));
            let mut del =
                tx.prepare("DELETE FROM catalog_entity WHERE entity = ?1 AND key = ?2")?;
            for (entity, key) in gone {
                del.execute(params![entity, key])?;
                log.query_row(
                    params![version_id, entity, "remove", key, None::<String>],
                    |_| Ok(()),
                )?;
                removals += 1;
            }
        }
        let last_seq: i64 = tx.query_row(
            "SELECT coalesce(max(seq), 0) FROM catalog_change",
            (),
            |r| r.get(0),
        )?;
        tx.execute(
            "UPDATE catalog_version SET upserts = ?2, removals = ?3, last_seq = ?4 WHERE id = ?1",
            params![version_id, upserts as i64, removals as i64, last_seq],
        )?;
        tx.commit()?;
        Ok(ImportReport {
            version: CatalogVersion {
                id: version_id,
                label: catalog.version.clone(),
                published_at,
            },
            upserts,
            removals,
        })
    }

    /// Stores each year of the file that differs from what is stored; other years are kept.
    #[tracing::instrument(skip(self, years), err)]
    pub fn import_calendar(
        &mut self,
        years: &BTreeMap<i32, YearCalendar>,
        now: DateTime<Utc>,
    ) -> Result<CalendarImportReport> {
        let at = now.to_rfc3339_opts(SecondsFormat::Secs, true);
        let tx = self.conn.transaction()?;
        let mut report = CalendarImportReport {
            years_changed: vec![],
            years_unchanged: vec![],
        };
        for (year, cal) in years {
            let body = to_json("calendar", cal)?;
            let stored: Option<String> = tx
                .query_row(
                    "SELECT body FROM calendar_year WHERE year = ?1",
                    [year],
                    |r| r.get(0),
                )
                .optional()?;
            if stored.as_deref() == Some(body.as_str()) {
                report.years_unchanged.push(*year);
                continue;
            }
            tx.execute(
                "INSERT INTO calendar_year (year, body) VALUES (?1, ?2)
                 ON CONFLICT(year) DO UPDATE SET body = excluded.body",
                params![year, body],
            )?;
            tx.execute(
                "INSERT INTO calendar_change (year, op, body, imported_at) VALUES (?1, 'upsert', ?2, ?3)",
                params![year, body, at],
            )?;
            report.years_changed.push(*year);
        }
        tx.commit()?;
        Ok(report)
    }

    fn version_where(&self, sql_where: &str, seq: i64) -> Result<Option<CatalogVersion>> {
        Ok(self
            .conn
            .prepare_cached(&format!(
                "SELECT id, label, published_at FROM catalog_version WHERE {sql_where}
                 ORDER BY id DESC LIMIT 1"
            ))?
            .query_row([seq], |r| {
                Ok(CatalogVersion {
                    id: r.get(0)?,
                    label: r.get(1)?,
                    published_at: r.get(2)?,
                })
            })
            .optional()?)
    }

    pub fn latest_version(&self) -> Result<Option<CatalogVersion>> {
        self.version_where("CAST(?1 AS BIGINT) = 0", 0)
    }

    /// Up to `limit` catalog changes after `cursor`.
    pub fn catalog_changes(&self, cursor: i64, limit: u32) -> Result<CatalogChanges> {
        let last: i64 = self.conn.query_row(
            "SELECT coalesce(max(seq), 0) FROM catalog_change",
            (),
            |r| r.get(0),
        )?;
        if cursor > last {
            return Err(HubStoreError::CursorAhead { cursor, last });
        }
        let mut q = self.conn.prepare_cached(
            "SELECT seq, version_id, entity, op, key, body FROM catalog_change
             WHERE seq > ?1 ORDER BY seq LIMIT ?2",
        )?;
        let mut changes = q
            .query_map(params![cursor, limit as i64 + 1], |r| {
                Ok(CatalogChange {
                    seq: r.get(0)?,
                    version_id: r.get(1)?,
                    entity: parse_entity(&r.get::<_, String>(2)?)?,
                    op: parse_op(&r.get::<_, String>(3)?)?,
                    key: r.get(4)?,
                    body: raw(r.get(5)?)?,
                })
            })?
            .collect::<crate::db::DbResult<Vec<_>>>()?;
        let has_more = changes.len() > limit as usize;
        changes.truncate(limit as usize);
        let next_cursor = changes.last().map_or(cursor, |c| c.seq);
        let checkpoint = if changes.is_empty() {
            self.version_where("last_seq <= ?1", next_cursor)?
        } else {
            self.version_where("last_seq = ?1", next_cursor)?
        };
        Ok(CatalogChanges {
            changes,
            next_cursor,
            has_more,
            checkpoint,
        })
    }

    /// Replaces the e-licence registry with `holders`, in one transaction.
    #[tracing::instrument(skip(self, holders), fields(holders = holders.len()), err)]
    pub fn import_elicences(
        &mut self,
        holders: &[RegistryHolder],
        source: &str,
        now: DateTime<Utc>,
    ) -> Result<usize> {
        let tx = self.conn.transaction()?;
        tx.execute("DELETE FROM elicence_holder", ())?;
        {
            let mut put = tx.prepare(
                "INSERT INTO elicence_holder (holder, holder_kind, body) VALUES (?1, ?2, ?3)",
            )?;
            for h in holders {
                let kind = match h.holder_kind {
                    HolderKind::Person => "person",
                    HolderKind::Organisation => "organisation",
                };
                put.execute(params![h.holder, kind, to_json("e-licence holder", h)?])?;
            }
        }
        tx.execute(
            "INSERT INTO elicence_import (source, imported_at, holders) VALUES (?1, ?2, ?3)",
            params![
                source,
                now.to_rfc3339_opts(SecondsFormat::Secs, true),
                holders.len() as i64
            ],
        )?;
        tx.commit()?;
        Ok(holders.len())
    }

    /// One holder's registry entry, if any.
    pub fn elicence_holder(&self, holder: &str) -> Result<Option<RegistryHolder>> {
        let body: Option<String> = self
            .conn
            .prepare_cached("SELECT body FROM elicence_holder WHERE holder = ?1")?
            .query_row([holder], |r| r.get(0))
            .optional()?;
        body.map(|b| {
            serde_json::from_str(&b)
                .map_err(|e| HubStoreError::Json("stored e-licence holder".into(), e))
        })
        .transpose()
    }

    /// Publishes a queue configuration when it differs from the current one. Returns whether
    /// it changed.
    pub fn import_queue(
        &mut self,
        centre: &str,
        cfg: &onewindow_domain::queue::QueueConfig,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        if let Err(issues) = cfg.check() {
            return Err(HubStoreError::BadInput(issues.join("; ")));
        }
        let centre = self.resolve_centre(Some(centre))?;
        let centre = centre.as_str();
        // A window's desk is a desk of this centre (desk codes are the county's).
        for w in &cfg.windows {
            let Some(desk) = &w.desk_code else { continue };
            let elsewhere: Option<String> = self
                .conn
                .query_row(
                    "SELECT centre FROM device WHERE desk_code = ?1 AND centre <> ?2",
                    params![desk, centre],
                    |r| r.get(0),
                )
                .optional()?;
            if let Some(other) = elsewhere {
                return Err(HubStoreError::BadInput(format!(
                    "window {} names desk {desk}, which is a desk of centre {other}, not {centre}",
                    w.number
                )));
            }
        }
        let body = to_json("queue configuration", cfg)?;
        let tx = self.conn.transaction()?;
        let current: Option<String> = tx
            .query_row(
                "SELECT body FROM queue_config_change WHERE centre = ?1 ORDER BY seq DESC LIMIT 1",
                [centre],
                |r| r.get(0),
            )
            .optional()?;
        if current.as_deref() == Some(body.as_str()) {
            return Ok(false);
        }
        tx.execute(
            "INSERT INTO queue_config_change (centre, body, imported_at) VALUES (?1, ?2, ?3)",
            params![centre, body, now.to_rfc3339_opts(SecondsFormat::Secs, true)],
        )?;
        tx.commit()?;
        Ok(true)
    }

    /// A centre's current queue configuration, if one was published.
    pub fn queue_config(
        &self,
        centre: &str,
    ) -> Result<Option<onewindow_domain::queue::QueueConfig>> {
        let body: Option<String> = self
            .conn
            .query_row(
                "SELECT body FROM queue_config_change WHERE centre = ?1 ORDER BY seq DESC LIMIT 1",
                [centre],
                |r| r.get(0),
            )
            .optional()?;
        body.map(|b| {
            serde_json::from_str(&b)
                .map_err(|e| HubStoreError::Json("queue configuration".into(), e))
        })
        .transpose()
    }

    /// A centre's queue-configuration stream after `cursor` (sequence numbers are the hub's,
    /// shared by all centres).
    pub fn queue_config_changes(
        &self,
        centre: &str,
        cursor: i64,
        limit: u32,
    ) -> Result<QueueConfigChanges> {
        let last: i64 = self.conn.query_row(
            // Across every centre: sequence numbers (and so cursors) are the hub's.
            "SELECT coalesce(max(seq), 0) FROM queue_config_change /* every centre */",
            (),
            |r| r.get(0),
        )?;
        if cursor > last {
            return Err(HubStoreError::CursorAhead { cursor, last });
        }
        let mut q = self.conn.prepare_cached(
            "SELECT seq, body FROM queue_config_change WHERE centre = ?3 AND seq > ?1
             ORDER BY seq LIMIT ?2",
        )?;
        let mut changes = q
            .query_map(params![cursor, limit as i64 + 1, centre], |r| {
                Ok(QueueConfigChange {
                    seq: r.get(0)?,
                    body: raw(Some(r.get(1)?))?.expect("some"),
                })
            })?
            .collect::<crate::db::DbResult<Vec<_>>>()?;
        let has_more = changes.len() > limit as usize;
        changes.truncate(limit as usize);
        let next_cursor = changes.last().map_or(cursor, |c| c.seq);
        Ok(QueueConfigChanges {
            changes,
            next_cursor,
            has_more,
        })
    }

    pub fn calendar_changes(&self, cursor: i64, limit: u32) -> Result<CalendarChanges> {
        let last: i64 = self.conn.query_row(
            "SELECT coalesce(max(seq), 0) FROM calendar_change",
            (),
            |r| r.get(0),
        )?;
        if cursor > last {
            return Err(HubStoreError::CursorAhead { cursor, last });
        }
        let mut q = self.conn.prepare_cached(
            "SELECT seq, year, op, body FROM calendar_change WHERE seq > ?1 ORDER BY seq LIMIT ?2",
        )?;
        let mut changes = q
            .query_map(params![cursor, limit as i64 + 1], |r| {
                Ok(CalendarChange {
                    seq: r.get(0)?,
                    year: r.get(1)?,
                    op: parse_op(&r.get::<_, String>(2)?)?,
                    body: raw(r.get(3)?)?,
                })
            })?
            .collect::<crate::db::DbResult<Vec<_>>>()?;
        let has_more = changes.len() > limit as usize;
        changes.truncate(limit as usize);
        let next_cursor = changes.last().map_or(cursor, |c| c.seq);
        Ok(CalendarChanges {
            changes,
            next_cursor,
            has_more,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Catalog {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../demo/catalog-sample.json"
        ))
        .unwrap();
        Catalog::from_json_str(&text).unwrap()
    }

    fn t0() -> DateTime<Utc> {
        "2026-11-27T08:00:00Z".parse().unwrap()
    }

    #[test]
    fn every_hub_migration_file_is_embedded() {
        let dir =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../migrations/hub-sqlite");
        let (files, embedded) = migrate::folder_and_embedded(&dir, HUB_MIGRATIONS);
        assert!(!files.is_empty());
        assert_eq!(files, embedded);
    }

    #[test]
    fn reimport_with_one_item_changed_logs_exactly_that_item() {
        let mut hub = HubStore::open_in_memory().unwrap();
        let cat = sample();
        let r1 = hub
            .import_catalog(&cat, "catalog-sample.json", t0())
            .unwrap();
        assert_eq!((r1.version.id, r1.upserts, r1.removals), (1, 57, 0));

        let first = hub.catalog_changes(0, 1000).unwrap();
        assert_eq!(first.changes.len(), 57);
        assert!(!first.has_more);
        assert_eq!(first.checkpoint.as_ref().unwrap().id, 1);
        let empty = hub.catalog_changes(first.next_cursor, 1000).unwrap();
        assert!(empty.changes.is_empty());
        assert_eq!(empty.next_cursor, 57);

        let mut changed = cat.clone();
        changed.items[5].phone = "0631-7569999".into();
        changed.version = "2026.04-fixture.2".into();
        let r2 = hub
            .import_catalog(&changed, "catalog-sample.json", t0())
            .unwrap();
        assert_eq!((r2.version.id, r2.upserts, r2.removals), (2, 1, 0));
        let page = hub.catalog_changes(57, 1000).unwrap();
        assert_eq!(page.changes.len(), 1);
        assert_eq!(page.changes[0].key, cat.items[5].code);
        assert_eq!(page.checkpoint.unwrap().label, "2026.04-fixture.2");

        // Nothing changed: a new version with no rows; an up-to-date desk learns its label.
        let r3 = hub.import_catalog(&changed, "again.json", t0()).unwrap();
        assert_eq!((r3.version.id, r3.upserts, r3.removals), (3, 0, 0));
        let page = hub.catalog_changes(58, 1000).unwrap();
        assert!(page.changes.is_empty());
        assert_eq!(page.checkpoint.unwrap().id, 3);
    }

    #[test]
    fn removal_and_page_boundaries() {
        let mut hub = HubStore::open_in_memory().unwrap();
        let cat = sample();
        hub.import_catalog(&cat, "a.json", t0()).unwrap();
        let mut smaller = cat.clone();
        smaller.bundles.pop();
        hub.import_catalog(&smaller, "b.json", t0()).unwrap();

        let p1 = hub.catalog_changes(0, 50).unwrap();
        assert!(p1.has_more);
        assert_eq!(p1.next_cursor, 50);
        assert_eq!(p1.checkpoint, None, "page ends inside version 1");
        let p2 = hub.catalog_changes(50, 7).unwrap();
        assert_eq!(p2.next_cursor, 57);
        assert!(p2.has_more);
        assert_eq!(p2.checkpoint.unwrap().id, 1);
        let p3 = hub.catalog_changes(57, 50).unwrap();
        assert_eq!(p3.changes.len(), 1);
        assert_eq!(p3.changes[0].op, ChangeOp::Remove);
        assert_eq!(p3.changes[0].key, cat.bundles[2].code);
        assert!(p3.changes[0].body.is_none());
        assert!(matches!(
            hub.catalog_changes(99, 10),
            Err(HubStoreError::CursorAhead {
                cursor: 99,
                last: 58
            })
        ));
    }

    #[test]
    fn a_queue_configuration_is_published_only_when_it_changes() {
        let mut hub = HubStore::open_in_memory().unwrap();
        assert_eq!(hub.queue_config("MAIN").unwrap(), None);
        let mut cfg =
            onewindow_domain::queue::QueueConfig::parse(include_str!("../../../demo/queue.json"))
                .unwrap();
        let cfg0 = cfg.clone();
        assert!(hub.import_queue("MAIN", &cfg, t0()).unwrap());
        assert!(!hub.import_queue("MAIN", &cfg, t0()).unwrap(), "same again");
        cfg.windows[0].domains.push("SW".into());
        assert!(hub.import_queue("MAIN", &cfg, t0()).unwrap());
        assert_eq!(hub.queue_config("MAIN").unwrap().as_ref(), Some(&cfg));
        let page = hub.queue_config_changes("MAIN", 0, 1).unwrap();
        assert_eq!(
            (page.changes.len(), page.has_more, page.next_cursor),
            (1, true, 1)
        );
        let page = hub.queue_config_changes("MAIN", 1, 10).unwrap();
        assert_eq!(
            (page.changes.len(), page.has_more, page.next_cursor),
            (1, false, 2)
        );
        assert!(page.changes[0].body.get().contains("\"SW\""));
        assert!(matches!(
            hub.queue_config_changes("MAIN", 9, 10),
            Err(HubStoreError::CursorAhead { .. })
        ));
        // A broken one is refused whole.
        cfg.windows[0].domains.push("NOPE".into());
        assert!(hub.import_queue("MAIN", &cfg, t0()).is_err());
        assert_eq!(
            hub.queue_config_changes("MAIN", 0, 10)
                .unwrap()
                .changes
                .len(),
            2
        );
        // Another centre's configuration is its own stream.
        hub.add_centre(
            "QX",
            "青溪镇便民服务中心",
            onewindow_domain::centre::CentreLevel::Town,
            Some("MAIN"),
            t0(),
        )
        .unwrap();
        assert_eq!(hub.queue_config("QX").unwrap(), None);
        assert!(hub.import_queue("QX", &cfg0, t0()).unwrap());
        assert_eq!(
            hub.queue_config_changes("MAIN", 0, 10)
                .unwrap()
                .changes
                .len(),
            2
        );
        let qx = hub.queue_config_changes("QX", 0, 10).unwrap();
        assert_eq!((qx.changes.len(), qx.next_cursor), (1, 3));
    }

    #[test]
    fn calendar_years_change_only_when_different() {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../demo/holidays.json"
        ))
        .unwrap();
        let years = onewindow_domain::HolidayCalendar::from_json_str(&text).unwrap();
        let mut hub = HubStore::open_in_memory().unwrap();
        let r = hub.import_calendar(&years, t0()).unwrap();
        assert_eq!(r.years_changed, vec![2026]);
        let r = hub.import_calendar(&years, t0()).unwrap();
        assert_eq!(r.years_unchanged, vec![2026]);
        let page = hub.calendar_changes(0, 10).unwrap();
        assert_eq!(page.changes.len(), 1);
        assert_eq!(page.next_cursor, 1);
    }
}
