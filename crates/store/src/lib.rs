//! The desk's local cache: one SQLite file in WAL mode with `synchronous=FULL`, migrated from
//! the embedded `migrations/desk` on open. Everything the desk stores goes through [`Store`].

// One FFI call: SQLite's persistent-WAL file control (`persist_wal`), which rusqlite does not
// wrap; it lets the cache open on a full disk.
#![allow(unsafe_code)]

pub mod acceptance;
pub mod audit;
pub mod cases;
pub mod catalog;
pub mod migrate;
pub mod offline_queue;
pub mod push;
pub mod rejoin;
pub mod release;
pub mod scans;
pub mod sign_in;

use std::path::{Path, PathBuf};

use rusqlite::{Connection, ErrorCode, OpenFlags};

pub use catalog::{BundleRef, ItemRef, StreamState};

/// The desk's migrations, in order. Append only: never edit a released file.
pub const DESK_MIGRATIONS: &[migrate::Migration] = &[
    migrate::Migration {
        version: 1,
        name: "0001_catalog",
        sql: include_str!("../../../migrations/desk/0001_catalog.sql"),
    },
    migrate::Migration {
        version: 2,
        name: "0002_cases",
        sql: include_str!("../../../migrations/desk/0002_cases.sql"),
    },
    migrate::Migration {
        version: 3,
        name: "0003_acceptance",
        sql: include_str!("../../../migrations/desk/0003_acceptance.sql"),
    },
    migrate::Migration {
        version: 4,
        name: "0004_sync",
        sql: include_str!("../../../migrations/desk/0004_sync.sql"),
    },
    migrate::Migration {
        version: 5,
        name: "0005_result_files",
        sql: include_str!("../../../migrations/desk/0005_result_files.sql"),
    },
    migrate::Migration {
        version: 6,
        name: "0006_queue_config",
        sql: include_str!("../../../migrations/desk/0006_queue_config.sql"),
    },
    migrate::Migration {
        version: 7,
        name: "0007_offline_queue",
        sql: include_str!("../../../migrations/desk/0007_offline_queue.sql"),
    },
    migrate::Migration {
        version: 8,
        name: "0008_sign_in",
        sql: include_str!("../../../migrations/desk/0008_sign_in.sql"),
    },
    migrate::Migration {
        version: 9,
        name: "0009_audit",
        sql: include_str!("../../../migrations/desk/0009_audit.sql"),
    },
    migrate::Migration {
        version: 10,
        name: "0010_hub_pin",
        sql: include_str!("../../../migrations/desk/0010_hub_pin.sql"),
    },
    migrate::Migration {
        version: 11,
        name: "0011_scan_inbox",
        sql: include_str!("../../../migrations/desk/0011_scan_inbox.sql"),
    },
    migrate::Migration {
        version: 12,
        name: "0012_public_url",
        sql: include_str!("../../../migrations/desk/0012_public_url.sql"),
    },
    migrate::Migration {
        version: 13,
        name: "0013_centre_scope",
        sql: include_str!("../../../migrations/desk/0013_centre_scope.sql"),
    },
    migrate::Migration {
        version: 14,
        name: "0014_case_clock",
        sql: include_str!("../../../migrations/desk/0014_case_clock.sql"),
    },
    migrate::Migration {
        version: 15,
        name: "0015_ticket_cases",
        sql: include_str!("../../../migrations/desk/0015_ticket_cases.sql"),
    },
    migrate::Migration {
        version: 16,
        name: "0016_hub_epoch",
        sql: include_str!("../../../migrations/desk/0016_hub_epoch.sql"),
    },
    migrate::Migration {
        version: 17,
        name: "0017_reported_release",
        sql: include_str!("../../../migrations/desk/0017_reported_release.sql"),
    },
];

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The file is not a database, or SQLite finds it damaged. Never deleted automatically.
    #[error("cache {path} is damaged: {detail}")]
    Corrupt { path: PathBuf, detail: String },
    #[error("cache {path} cannot be opened: {detail}")]
    Unreadable { path: PathBuf, detail: String },
    #[error(transparent)]
    Migrate(#[from] migrate::MigrateError),
    #[error("the hub sent an invalid {what}: {detail}")]
    BadChange { what: String, detail: String },
    #[error("stored {what} is not valid JSON: {source}")]
    BadStoredJson {
        what: String,
        source: serde_json::Error,
    },
    #[error("invalid input: {0}")]
    BadInput(String),
    #[error("no case with id {0}")]
    CaseNotFound(String),
    /// The case's state does not allow the action; `reason_zh` tells the clerk why.
    #[error("case {number}: {reason_zh}")]
    Transition { number: String, reason_zh: String },
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
}

/// What went wrong in the store, as a stable code: the app turns it into the code the UI
/// switches on; the log carries `as_str`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StoreCode {
    CacheCorrupt,
    CacheUnreadable,
    CacheNewer,
    CacheMigrationFailed,
    HubBadChange,
    BadInput,
    CaseNotFound,
    CaseTransition,
    DiskFull,
    CacheError,
}

impl StoreCode {
    pub fn as_str(self) -> &'static str {
        match self {
            StoreCode::CacheCorrupt => "cache_corrupt",
            StoreCode::CacheUnreadable => "cache_unreadable",
            StoreCode::CacheNewer => "cache_newer",
            StoreCode::CacheMigrationFailed => "cache_migration_failed",
            StoreCode::HubBadChange => "hub_bad_change",
            StoreCode::BadInput => "bad_input",
            StoreCode::CaseNotFound => "case_not_found",
            StoreCode::CaseTransition => "case_transition",
            StoreCode::DiskFull => "disk_full",
            StoreCode::CacheError => "cache_error",
        }
    }
}

impl std::fmt::Display for StoreCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl StoreError {
    /// What went wrong, as a stable code.
    pub fn code(&self) -> StoreCode {
        match self {
            StoreError::Corrupt { .. } | StoreError::BadStoredJson { .. } => {
                StoreCode::CacheCorrupt
            }
            StoreError::Unreadable { .. } => StoreCode::CacheUnreadable,
            StoreError::Migrate(migrate::MigrateError::Newer { .. }) => StoreCode::CacheNewer,
            StoreError::Migrate(_) => StoreCode::CacheMigrationFailed,
            StoreError::BadChange { .. } => StoreCode::HubBadChange,
            StoreError::BadInput(_) => StoreCode::BadInput,
            StoreError::CaseNotFound(_) => StoreCode::CaseNotFound,
            StoreError::Transition { .. } => StoreCode::CaseTransition,
            StoreError::Sqlite(e) if is_corruption(e) => StoreCode::CacheCorrupt,
            StoreError::Sqlite(_) if self.is_disk_full() => StoreCode::DiskFull,
            StoreError::Sqlite(_) => StoreCode::CacheError,
        }
    }

    /// The disk under the cache has no room left (SQLite's `SQLITE_FULL`, which its file layer
    /// answers for a write that failed with `ENOSPC`): the statement wrote nothing, and freeing
    /// space is the cure.
    pub fn is_disk_full(&self) -> bool {
        matches!(self, StoreError::Sqlite(e) if e.sqlite_error_code() == Some(ErrorCode::DiskFull))
    }
}

/// Sets SQLite's persistent-WAL file control on the main database of `conn`.
fn persist_wal(conn: &Connection) {
    let mut on: std::ffi::c_int = 1;
    // SAFETY: `conn.handle()` is a live connection for the duration of the call, the schema
    // name is a NUL-terminated literal, and SQLITE_FCNTL_PERSIST_WAL reads and writes one
    // `int` through the pointer, which points at `on` on this stack frame.
    let rc = unsafe {
        rusqlite::ffi::sqlite3_file_control(
            conn.handle(),
            c"main".as_ptr(),
            rusqlite::ffi::SQLITE_FCNTL_PERSIST_WAL,
            (&raw mut on).cast(),
        )
    };
    if rc != rusqlite::ffi::SQLITE_OK {
        tracing::warn!(
            rc,
            "persistent WAL not set; a restart on a full disk may not open the cache"
        );
    }
}

fn is_corruption(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(ErrorCode::NotADatabase | ErrorCode::DatabaseCorrupt)
    )
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// The SQLCipher key statement for `schema` with a raw 256-bit key (no passphrase derivation).
fn key_pragma(schema: &str, key: &[u8; 32]) -> String {
    format!("PRAGMA {schema}.key = {};", key_literal(key))
}

/// A raw 256-bit key as SQLCipher takes it (`"x'…'"`).
fn key_literal(key: &[u8; 32]) -> String {
    let hex: String = key.iter().map(|b| format!("{b:02x}")).collect();
    format!("\"x'{hex}'\"")
}

/// The cipher settings of the desk cache, on top of SQLCipher 4's defaults (AES-256-CBC, 4 KiB
/// pages): each page's HMAC is SHA-256, which the CPU's SHA extensions compute several times
/// faster than the default SHA-512. Made the process default too, so a database attached for
/// an export gets them.
const CIPHER_SETTINGS: &str = "PRAGMA cipher_default_hmac_algorithm = HMAC_SHA256; PRAGMA cipher_hmac_algorithm = HMAC_SHA256;";

/// The settings caches of the first encrypted release were written with (SQLCipher 4's
/// defaults): read only to upgrade them.
const LEGACY_CIPHER_SETTINGS: &str = "PRAGMA cipher_hmac_algorithm = HMAC_SHA512;";

/// Whether `path` is an unencrypted SQLite file (its header is readable).
pub fn is_plaintext_sqlite(path: &Path) -> bool {
    use std::io::Read;
    let mut head = [0u8; 16];
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut head))
        .is_ok()
        && &head == b"SQLite format 3\0"
}

/// Encrypts a plaintext cache (`legacy_key` none), or re-encrypts a cache of the first
/// encrypted release under the current cipher settings (`legacy_key` its key): the WAL folded
/// in, everything exported into a copy beside it, then the copy renamed over it. A crash before
/// the rename leaves the original whole (the half copy is removed at the next try).
fn export_in_place(path: &Path, key: &[u8; 32], legacy_key: Option<&[u8; 32]>) -> Result<()> {
    let unreadable = |e: &dyn std::fmt::Display| StoreError::Unreadable {
        path: path.to_path_buf(),
        detail: e.to_string(),
    };
    let copy = path.with_extension("db.exporting");
    let _ = std::fs::remove_file(&copy);
    {
        let source = Connection::open(path).map_err(|e| unreadable(&e))?;
        if let Some(old) = legacy_key {
            source
                .execute_batch(&key_pragma("main", old))
                .and_then(|()| source.execute_batch(LEGACY_CIPHER_SETTINGS))
                .map_err(|e| unreadable(&e))?;
        }
        source
            .execute_batch(
                "PRAGMA wal_checkpoint(TRUNCATE);
                 PRAGMA cipher_default_hmac_algorithm = HMAC_SHA256;",
            )
            .map_err(|e| unreadable(&e))?;
        source
            .execute(
                &format!("ATTACH DATABASE ?1 AS encrypted KEY {}", key_literal(key)),
                [copy.to_string_lossy()],
            )
            .map_err(|e| unreadable(&e))?;
        source
            .query_row("SELECT sqlcipher_export('encrypted')", [], |_| Ok(()))
            .map_err(|e| unreadable(&e))?;
        source
            .execute_batch("DETACH DATABASE encrypted;")
            .map_err(|e| unreadable(&e))?;
    }
    std::fs::File::open(&copy)
        .and_then(|f| f.sync_all())
        .map_err(|e| unreadable(&e))?;
    std::fs::rename(&copy, path).map_err(|e| unreadable(&e))?;
    for side in ["db-wal", "db-shm"] {
        let _ = std::fs::remove_file(path.with_extension(side));
    }
    #[cfg(unix)]
    if let Some(dir) = path.parent() {
        let _ = std::fs::File::open(dir).and_then(|d| d.sync_all());
    }
    match legacy_key {
        None => tracing::info!(path = %path.display(), "plaintext cache encrypted in place"),
        Some(_) => {
            tracing::info!(path = %path.display(), "cache re-encrypted under the current cipher settings")
        }
    }
    Ok(())
}

/// Whether the cache at `path` opens with `key` under the first encrypted release's settings.
fn opens_with_legacy_settings(path: &Path, key: &[u8; 32]) -> bool {
    let Ok(conn) = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY) else {
        return false;
    };
    conn.execute_batch(&key_pragma("main", key)).is_ok()
        && conn.execute_batch(LEGACY_CIPHER_SETTINGS).is_ok()
        && conn
            .query_row("SELECT count(*) FROM sqlite_master", [], |r| {
                r.get::<_, i64>(0)
            })
            .is_ok()
}

/// Encrypts the SQLite file at `path` under `key` if it is plaintext, whole or not at all (as
/// the cache's own upgrade does); true when it did. The hub's database uses it too.
pub fn encrypt_if_plaintext(path: &Path, key: &[u8; 32]) -> Result<bool> {
    if is_plaintext_sqlite(path) {
        export_in_place(path, key, None)?;
        return Ok(true);
    }
    Ok(false)
}

/// A raw connection to an encrypted cache, keyed with the cache's settings (for tools and
/// tests that must look inside or tamper with it; the desk itself goes through [`Store`]).
pub fn keyed_connection(path: &Path, key: &[u8; 32]) -> Result<Connection> {
    let conn = Connection::open(path)?;
    conn.execute_batch(&key_pragma("main", key))?;
    conn.execute_batch(CIPHER_SETTINGS)?;
    Ok(conn)
}

pub struct Store {
    conn: Connection,
    path: Option<PathBuf>,
    /// The desk's clock: stamps what the store writes on its own (a stream's last pull).
    clock: onewindow_domain::clock::Clock,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish()
    }
}

impl Store {
    /// Opens (creating if absent) and migrates the cache at `path`. A damaged file is reported
    /// as [`StoreError::Corrupt`] and left untouched.
    #[tracing::instrument(err)]
    pub fn open(path: &Path) -> Result<Store> {
        Self::open_with(path, None)
    }

    /// Opens the cache at `path` encrypted with SQLCipher under `key` (creating it if absent).
    /// A plaintext cache from an earlier version is first encrypted in place, whole or not at
    /// all: the plaintext file is replaced only once the encrypted copy is complete. A wrong
    /// key reads as a damaged file ([`StoreError::Corrupt`]); nothing is changed then.
    #[tracing::instrument(skip(key), err)]
    pub fn open_encrypted(path: &Path, key: &[u8; 32]) -> Result<Store> {
        if is_plaintext_sqlite(path) {
            export_in_place(path, key, None)?;
        }
        match Self::open_with(path, Some(key)) {
            Err(StoreError::Corrupt { .. }) if opens_with_legacy_settings(path, key) => {
                export_in_place(path, key, Some(key))?;
                Self::open_with(path, Some(key))
            }
            other => other,
        }
    }

    fn open_with(path: &Path, key: Option<&[u8; 32]>) -> Result<Store> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| StoreError::Unreadable {
                path: path.to_path_buf(),
                detail: e.to_string(),
            })?;
        }
        let classify = |e: rusqlite::Error| {
            if is_corruption(&e) {
                StoreError::Corrupt {
                    path: path.to_path_buf(),
                    detail: e.to_string(),
                }
            } else {
                StoreError::Unreadable {
                    path: path.to_path_buf(),
                    detail: e.to_string(),
                }
            }
        };
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(classify)?;
        if let Some(key) = key {
            // Must come before anything reads the file.
            conn.execute_batch(&key_pragma("main", key))
                .map_err(classify)?;
            conn.execute_batch(CIPHER_SETTINGS).map_err(classify)?;
            // Wiping every freed buffer costs more than the encryption itself; pages on disk
            // and in the WAL stay encrypted and authenticated (HMAC) either way.
            // Every page read from disk is decrypted and checked: keep more of them decrypted
            // in SQLite's own cache (32 MiB) rather than re-reading them from the OS cache.
            conn.execute_batch("PRAGMA cipher_memory_security = OFF; PRAGMA cache_size = -32768;")
                .map_err(classify)?;
        }
        // The WAL and its index stay on disk when the cache closes (SQLite removes them by
        // default), so a desk restarted on a full disk can open its cache, sign in and read:
        // opening needs no new space then, only writes do.
        persist_wal(&conn);
        // The first read of the header tells whether this is a database at all.
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(classify)?;
        let check: String = conn
            .query_row("PRAGMA quick_check", [], |r| r.get(0))
            .map_err(classify)?;
        if check != "ok" {
            return Err(StoreError::Corrupt {
                path: path.to_path_buf(),
                detail: check,
            });
        }
        let mut store = Store {
            conn,
            path: Some(path.to_path_buf()),
            clock: onewindow_domain::clock::Clock::system(),
        };
        store.configure()?;
        Ok(store)
    }

    /// The store reads the time from `clock` (the desk's) from now on.
    pub fn with_clock(mut self, clock: onewindow_domain::clock::Clock) -> Store {
        self.clock = clock;
        self
    }

    /// Now, by the desk's clock.
    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.now()
    }

    pub fn open_in_memory() -> Result<Store> {
        let mut store = Store {
            conn: Connection::open_in_memory()?,
            path: None,
            clock: onewindow_domain::clock::Clock::system(),
        };
        store.configure()?;
        Ok(store)
    }

    fn configure(&mut self) -> Result<()> {
        self.conn.execute_batch(
            "PRAGMA synchronous = FULL;
             PRAGMA foreign_keys = ON;
             PRAGMA busy_timeout = 5000;",
        )?;
        migrate::run(&mut self.conn, DESK_MIGRATIONS)?;
        Ok(())
    }

    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    /// Changes when anything in the cache may have changed: rows written through this store
    /// (`total_changes`) or a commit by another connection (`data_version`). Equal stamps of
    /// the same store mean what was read from it still holds, so a caller can keep a view
    /// instead of reading it again every second.
    pub fn change_stamp(&self) -> Result<ChangeStamp> {
        let data_version: i64 = self
            .conn
            .query_row("PRAGMA data_version", [], |r| r.get(0))?;
        Ok(ChangeStamp {
            written: self.conn.total_changes(),
            data_version,
        })
    }
}

/// See [`Store::change_stamp`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChangeStamp {
    written: u64,
    data_version: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_change_stamp_moves_with_every_write_here_or_elsewhere() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cache.db");
        let mut s = Store::open(&path).unwrap();
        let t: chrono::DateTime<chrono::Utc> = "2026-11-27T02:00:00Z".parse().unwrap();
        let first = s.change_stamp().unwrap();
        s.stream_state(crate::push::RESULTS).unwrap();
        assert_eq!(s.change_stamp().unwrap(), first, "reading changes nothing");
        s.touch_stream(crate::push::RESULTS, t).unwrap();
        let written = s.change_stamp().unwrap();
        assert_ne!(written, first, "a write here");
        // Another connection (the push process in the crash tests, a tool) commits a row.
        let other = Store::open(&path).unwrap();
        other
            .conn
            .execute(
                "UPDATE sync_stream SET last_pull_at = 'x' WHERE stream = 'results'",
                [],
            )
            .unwrap();
        assert_ne!(s.change_stamp().unwrap(), written, "a commit elsewhere");
    }

    #[test]
    fn every_migration_file_is_embedded() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../migrations/desk");
        let (files, embedded) = migrate::folder_and_embedded(&dir, DESK_MIGRATIONS);
        assert!(!files.is_empty());
        assert_eq!(files, embedded);
        for (i, m) in DESK_MIGRATIONS.iter().enumerate() {
            assert_eq!(m.version as usize, i + 1);
            assert!(m.name.starts_with(&format!("{:04}_", i + 1)));
        }
    }

    #[test]
    fn garbage_file_is_reported_corrupt_and_kept() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cache.db");
        std::fs::write(&path, b"this is not a database, just some bytes ........").unwrap();
        let err = Store::open(&path).unwrap_err();
        assert_eq!(err.code().as_str(), "cache_corrupt", "{err}");
        assert_eq!(
            std::fs::read(&path).unwrap(),
            b"this is not a database, just some bytes ........"
        );
    }

    #[test]
    fn a_cache_from_the_first_release_migrates_with_its_catalog() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cache.db");
        {
            let mut c = Connection::open(&path).unwrap();
            migrate::run(&mut c, &DESK_MIGRATIONS[..1]).unwrap();
            c.execute(
                "INSERT INTO catalog_domain (code, name) VALUES ('SCJG', '市场监管')",
                [],
            )
            .unwrap();
        }
        let s = Store::open(&path).unwrap();
        assert_eq!(s.domains().unwrap()[0].name, "市场监管");
        let version: u32 = s
            .conn
            .query_row("SELECT max(version) FROM schema_migrations", [], |r| {
                r.get(0)
            })
            .unwrap();
        assert_eq!(version as usize, DESK_MIGRATIONS.len());
    }

    #[test]
    fn an_encrypted_cache_reads_only_with_its_key_and_a_plaintext_one_is_encrypted_in_place() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cache.db");
        {
            let s = Store::open(&path).unwrap();
            s.conn
                .execute(
                    "INSERT INTO catalog_domain (code, name) VALUES ('GAHZ', '公安户政徐志强')",
                    [],
                )
                .unwrap();
        }
        assert!(is_plaintext_sqlite(&path));
        let key = [7u8; 32];
        {
            let s = Store::open_encrypted(&path, &key).unwrap();
            assert_eq!(s.domains().unwrap()[0].name, "公安户政徐志强");
            s.conn
                .execute(
                    "INSERT INTO catalog_domain (code, name) VALUES ('SCJG', '市场监管王小明')",
                    [],
                )
                .unwrap();
        }
        assert!(!is_plaintext_sqlite(&path));
        let mut bytes = std::fs::read(&path).unwrap();
        bytes.extend(std::fs::read(path.with_extension("db-wal")).unwrap_or_default());
        for secret in ["徐志强", "王小明", "catalog_domain", "SQLite format"] {
            assert!(
                !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
                "{secret} readable in the file"
            );
        }
        assert_eq!(
            Store::open_encrypted(&path, &key)
                .unwrap()
                .domains()
                .unwrap()
                .len(),
            2
        );
        assert_eq!(
            Store::open_encrypted(&path, &[8u8; 32])
                .unwrap_err()
                .code()
                .as_str(),
            "cache_corrupt"
        );
        assert_eq!(
            Store::open(&path).unwrap_err().code().as_str(),
            "cache_corrupt"
        );
        assert!(!path.with_extension("db.exporting").exists());
    }

    /// A cache the first encrypted release wrote (SQLCipher 4's default SHA-512 page HMAC)
    /// opens, is re-encrypted in place under the current settings, and keeps everything.
    #[test]
    fn a_cache_of_the_first_encrypted_release_is_upgraded_in_place() {
        let dir = tempfile::tempdir().unwrap();
        let plain = dir.path().join("plain.db");
        let path = dir.path().join("cache.db");
        let key = [9u8; 32];
        {
            let s = Store::open(&plain).unwrap();
            s.conn
                .execute(
                    "INSERT INTO catalog_domain (code, name) VALUES ('GAHZ', '公安户政')",
                    [],
                )
                .unwrap();
            // The process default is the current setting: only the schema's own pragma below
            // can make this copy an old one.
            s.conn
                .execute_batch("PRAGMA cipher_default_hmac_algorithm = HMAC_SHA256;")
                .unwrap();
            s.conn
                .execute(
                    &format!("ATTACH DATABASE ?1 AS legacy KEY {}", key_literal(&key)),
                    [path.to_string_lossy()],
                )
                .unwrap();
            s.conn
                .execute_batch("PRAGMA legacy.cipher_hmac_algorithm = HMAC_SHA512;")
                .unwrap();
            s.conn
                .query_row("SELECT sqlcipher_export('legacy')", [], |_| Ok(()))
                .unwrap();
            s.conn.execute_batch("DETACH DATABASE legacy;").unwrap();
        }
        assert!(
            opens_with_legacy_settings(&path, &key),
            "written as the old release did"
        );
        let s = Store::open_encrypted(&path, &key).unwrap();
        assert_eq!(s.domains().unwrap()[0].name, "公安户政");
        drop(s);
        assert!(!opens_with_legacy_settings(&path, &key), "re-encrypted");
        assert!(!path.with_extension("db.exporting").exists());
        // A wrong key is still a wrong key, not an old cache.
        assert_eq!(
            Store::open_encrypted(&path, &[8u8; 32])
                .unwrap_err()
                .code()
                .as_str(),
            "cache_corrupt"
        );
        let c = keyed_connection(&path, &key).unwrap();
        let n: i64 = c
            .query_row("SELECT count(*) FROM catalog_domain", [], |r| r.get(0))
            .unwrap();
        assert_eq!(n, 1);
    }

    #[test]
    fn reopening_keeps_data() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("cache.db");
        {
            let s = Store::open(&path).unwrap();
            s.conn
                .execute(
                    "INSERT INTO catalog_domain (code, name) VALUES ('SCJG', '市场监管')",
                    [],
                )
                .unwrap();
        }
        let s = Store::open(&path).unwrap();
        assert_eq!(s.domains().unwrap()[0].name, "市场监管");
    }
}
