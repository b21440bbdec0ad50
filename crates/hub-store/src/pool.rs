//! Where the hub's requests get a store: SQLite's one connection behind a lock (the embedded
//! default), or PostgreSQL's pool, whose connections serve requests at the same time.

use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};

use onewindow_store::migrate::{self, Migration};

use crate::db::{Conn, DbError, Engine, OptionalExtension, PgConn, PgRuntime, params};
use crate::store::{HUB_PG_MIGRATIONS, HubStore, HubStoreError, Result, Shared};

/// How many PostgreSQL connections one hub process keeps at most.
pub const PG_POOL_SIZE: usize = 16;

/// What a listener ([`StorePool::listen`]) hears.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Heard<'a> {
    /// A notice someone sent on a channel.
    Notice { channel: &'a str, payload: &'a str },
    /// Listening (again): notices sent before may be lost.
    Resync,
}

/// The hub's store for its requests.
// One per process: the size of its variants does not matter.
#[allow(clippy::large_enum_variant)]
pub enum StorePool {
    Sqlite(Mutex<HubStore>),
    Postgres(PgPool),
}

/// PostgreSQL's side: the pool, the runtime driving its connections, and what they share.
pub struct PgPool {
    pool: deadpool_postgres::Pool,
    rt: Arc<PgRuntime>,
    shared: Arc<Shared>,
    /// How the pool connects, for a listener's connection of its own.
    config: tokio_postgres::Config,
}

/// A store lent to one request: SQLite's under its lock, or one pooled PostgreSQL connection
/// (back in the pool when dropped).
// Lives on one request's stack for its length: the size of its variants does not matter.
#[allow(clippy::large_enum_variant)]
pub enum StoreGuard<'a> {
    Sqlite(MutexGuard<'a, HubStore>),
    Postgres(HubStore),
}

impl std::ops::Deref for StoreGuard<'_> {
    type Target = HubStore;
    fn deref(&self) -> &HubStore {
        match self {
            StoreGuard::Sqlite(g) => g,
            StoreGuard::Postgres(s) => s,
        }
    }
}

impl std::ops::DerefMut for StoreGuard<'_> {
    fn deref_mut(&mut self) -> &mut HubStore {
        match self {
            StoreGuard::Sqlite(g) => g,
            StoreGuard::Postgres(s) => s,
        }
    }
}

impl StorePool {
    /// One SQLite store (tests, and `open` without a database URL).
    pub fn sqlite(store: HubStore) -> Self {
        StorePool::Sqlite(Mutex::new(store))
    }

    /// The hub's store: PostgreSQL at `database` when given (the folder `data` then holds only
    /// keys, TLS files and blobs), else `DATA/hub.db`.
    pub fn open(data: &Path, key_file: Option<&Path>, database: Option<&str>) -> Result<Self> {
        match database {
            None => Ok(Self::sqlite(HubStore::open_dir_keyed(data, key_file)?)),
            Some(url) => Ok(StorePool::Postgres(PgPool::open(data, url, PG_POOL_SIZE)?)),
        }
    }

    pub fn engine(&self) -> Engine {
        match self {
            StorePool::Sqlite(_) => Engine::Sqlite,
            StorePool::Postgres(_) => Engine::Postgres,
        }
    }

    /// Hears `channels` (see [`crate::db::Conn::notify`]) on a connection of its own for as
    /// long as the store lives, and hands each notice to `on`. After every (re)connection `on`
    /// hears [`Heard::Resync`] first: notices sent while it was away are lost, so whatever
    /// they wake must look again. On SQLite there is nobody to hear: `false`, nothing starts.
    pub fn listen(
        &self,
        channels: &[&str],
        on: impl Fn(Heard<'_>) + Send + Sync + 'static,
    ) -> bool {
        match self {
            StorePool::Sqlite(_) => false,
            StorePool::Postgres(p) => {
                p.listen(channels, on);
                true
            }
        }
    }

    /// The store's connections: (open, in use). SQLite has its one, in use while locked.
    pub fn connections(&self) -> (usize, usize) {
        match self {
            StorePool::Sqlite(m) => (1, usize::from(m.try_lock().is_err())),
            StorePool::Postgres(p) => p.status(),
        }
    }

    /// A store for one request; on PostgreSQL it waits for a free connection.
    pub fn get(&self) -> Result<StoreGuard<'_>> {
        match self {
            StorePool::Sqlite(m) => Ok(StoreGuard::Sqlite(
                m.lock().unwrap_or_else(|p| p.into_inner()),
            )),
            StorePool::Postgres(p) => Ok(StoreGuard::Postgres(p.take()?)),
        }
    }
}

impl PgPool {
    /// Connects to PostgreSQL at `url`, brings its schema up to date and checks the hub's audit
    /// key (kept in `data`) against the one the database knows.
    pub fn open(data: &Path, url: &str, size: usize) -> Result<Self> {
        let (pool, rt, config) = connect(url, size)?;
        // Reach the database before the data folder is touched: an unreachable one makes no
        // audit key in a folder that may be the wrong one.
        drop(take(&pool, &rt).map_err(|e| unreachable_db(e, url))?);
        crate::store_keys::private_dir(data)?;
        let signer = crate::store_audit::load_or_make_hub_key(data)?;
        let me = PgPool {
            pool,
            rt,
            shared: Arc::new(Shared::new(signer)),
            config,
        };
        let mut first = me.take()?;
        let ran = run_pg_migrations(&first.conn, HUB_PG_MIGRATIONS)?;
        if ran > 0 {
            tracing::info!(ran, "PostgreSQL schema brought up to date");
        }
        // Codes, names and hashes sort by code point, as on SQLite, only under C collation.
        let collation: String = first.conn.query_row(
            "SELECT datcollate FROM pg_database WHERE datname = current_database()",
            (),
            |r| r.get(0),
        )?;
        if !matches!(collation.as_str(), "C" | "POSIX" | "C.UTF-8" | "C.utf8") {
            tracing::warn!(
                %collation,
                "the database's collation is not C: lists sort differently than on SQLite; create it with LC_COLLATE 'C' (README)"
            );
        }
        first.check_hub_key(onewindow_domain::clock::Clock::system().now())?;
        Ok(me)
    }

    /// One connection of the pool as a store of its own.
    pub fn take(&self) -> Result<HubStore> {
        Ok(HubStore {
            conn: Conn::Postgres(take(&self.pool, &self.rt)?),
            shared: self.shared.clone(),
            new_results: Vec::new(),
        })
    }

    fn listen(&self, channels: &[&str], on: impl Fn(Heard<'_>) + Send + Sync + 'static) {
        let listen: String = channels
            .iter()
            .inspect(|c| {
                assert!(
                    !c.is_empty() && c.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
                    "a channel is a plain lowercase identifier: {c}"
                )
            })
            .map(|c| format!("LISTEN {c};"))
            .collect();
        let mut config = self.config.clone();
        // A listener that only listens sends nothing: keepalives (30 s idle, then 3 probes
        // 10 s apart) find a dead link in about a minute rather than the system's hours.
        config.keepalives_idle(std::time::Duration::from_secs(30));
        config.keepalives_interval(std::time::Duration::from_secs(10));
        config.keepalives_retries(3);
        self.rt.spawn(async move {
            let mut outage = false;
            loop {
                match config.connect(tokio_postgres::NoTls).await {
                    Ok((client, mut connection)) => {
                        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
                        // The connection is driven here; its notices go to the channel.
                        let driver = tokio::spawn(async move {
                            while let Some(m) =
                                std::future::poll_fn(|cx| connection.poll_message(cx)).await
                            {
                                match m {
                                    Ok(tokio_postgres::AsyncMessage::Notification(n)) => {
                                        if tx.send(n).is_err() {
                                            return;
                                        }
                                    }
                                    Ok(_) => {}
                                    Err(e) => {
                                        tracing::warn!(error = %e, "the database listener's connection failed");
                                        return;
                                    }
                                }
                            }
                        });
                        match client.batch_execute(&listen).await {
                            Ok(()) => {
                                if outage {
                                    tracing::info!("listening to the database again");
                                }
                                outage = false;
                                on(Heard::Resync);
                                while let Some(n) = rx.recv().await {
                                    on(Heard::Notice {
                                        channel: n.channel(),
                                        payload: n.payload(),
                                    });
                                }
                                // The driver ended: the link is gone; what was missed is
                                // found by the resync after the next connection.
                            }
                            Err(e) => tracing::warn!(error = %e, "cannot LISTEN on the database"),
                        }
                        driver.abort();
                    }
                    Err(e) => {
                        if !outage {
                            tracing::warn!(error = %e, "the database listener cannot connect; retrying every second");
                        }
                        outage = true;
                    }
                }
                tokio::time::sleep(std::time::Duration::from_secs(1)).await;
            }
        });
    }

    /// Connections open and in use (for the hub's metrics and tests).
    pub fn status(&self) -> (usize, usize) {
        let s = self.pool.status();
        (s.size, s.size.saturating_sub(s.available))
    }
}

fn take(pool: &deadpool_postgres::Pool, rt: &Arc<PgRuntime>) -> Result<PgConn> {
    let client = rt
        .block_on(pool.get())
        .map_err(|e| DbError::Pool(e.to_string()))?;
    Ok(PgConn {
        client,
        rt: rt.clone(),
    })
}

fn unreachable_db(e: HubStoreError, url: &str) -> HubStoreError {
    match e {
        HubStoreError::Db(DbError::Pool(m)) => HubStoreError::Db(DbError::Pool(format!(
            "cannot reach PostgreSQL at {}: {m}",
            redact(url)
        ))),
        e => e,
    }
}

/// A pool of at most `size` connections to PostgreSQL at `url`, and the runtime driving them.
type Connected = (
    deadpool_postgres::Pool,
    Arc<PgRuntime>,
    tokio_postgres::Config,
);

fn connect(url: &str, size: usize) -> Result<Connected> {
    let mut config: tokio_postgres::Config = url.parse().map_err(|e| {
        HubStoreError::BadDatabaseUrl(format!(
            "--database {}: not a PostgreSQL URL (postgres://USER:PASSWORD@HOST:PORT/DATABASE): {e}",
            redact(url)
        ))
    })?;
    // The server's notices ("relation already exists, skipping") are not the hub's news; a
    // session left idle inside a transaction (a crashed request) is ended by the server. The
    // URL's own options (a search_path …) are kept.
    let ours = "-c client_min_messages=warning -c idle_in_transaction_session_timeout=60000";
    let options = match config.get_options() {
        Some(theirs) if !theirs.is_empty() => format!("{theirs} {ours}"),
        _ => ours.to_string(),
    };
    config.options(&options);
    if config.get_application_name().is_none() {
        config.application_name("onewindow-hub");
    }
    let rt = Arc::new(PgRuntime::new()?);
    let manager = deadpool_postgres::Manager::from_config(
        config.clone(),
        tokio_postgres::NoTls,
        deadpool_postgres::ManagerConfig {
            // A connection the server closed (a restart, an idle timeout) is replaced when it
            // comes back from the pool rather than lent again.
            recycling_method: deadpool_postgres::RecyclingMethod::Fast,
        },
    );
    let pool = deadpool_postgres::Pool::builder(manager)
        .max_size(size)
        .runtime(deadpool_postgres::Runtime::Tokio1)
        .create_timeout(Some(std::time::Duration::from_secs(10)))
        .wait_timeout(Some(std::time::Duration::from_secs(30)))
        .build()
        .map_err(|e| DbError::Pool(e.to_string()))?;
    Ok((pool, rt, config))
}

/// A bare connection to the hub's database (`DATA/hub.db` with its key, or PostgreSQL at
/// `database`), for tests that look inside or tamper around the store: no migration runs.
pub fn raw_connection(data: &Path, database: Option<&str>) -> Result<Conn> {
    match database {
        None => {
            use crate::store_keys::{key_file, load_or_make_db_key};
            let key = load_or_make_db_key(data, &key_file(data, None))?;
            let conn = onewindow_store::keyed_connection(&data.join("hub.db"), &key)
                .map_err(|e| HubStoreError::AtRest(e.to_string()))?;
            Ok(Conn::Sqlite(conn))
        }
        Some(url) => {
            let (pool, rt, _) = connect(url, 1)?;
            Ok(Conn::Postgres(
                take(&pool, &rt).map_err(|e| unreachable_db(e, url))?,
            ))
        }
    }
}

impl HubStore {
    /// The store for one command (`onewindow-hub audit-verify`, `enrol`, …): `DATA/hub.db`, or
    /// one connection to PostgreSQL at `database`.
    pub fn connect(data: &Path, key_file: Option<&Path>, database: Option<&str>) -> Result<Self> {
        match database {
            None => HubStore::open_dir_keyed(data, key_file),
            Some(url) => PgPool::open(data, url, 2)?.take(),
        }
    }
}

/// A database URL fit for a log: its password replaced.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let auth = &url[scheme + 3..at];
            match auth.find(':') {
                Some(colon) => {
                    format!("{}{}:***{}", &url[..scheme + 3], &auth[..colon], &url[at..])
                }
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

/// Applies the PostgreSQL migrations the database lacks, all in one transaction under the
/// writers' lock (two hubs starting at once migrate once); returns how many ran. Refuses a
/// database written by a newer hub, as on SQLite.
pub(crate) fn run_pg_migrations(conn: &Conn, migrations: &[Migration]) -> Result<usize> {
    // Up to date (the common case): known without the writers' lock, so a command or a
    // second hub opening its store never waits for a busy writer.
    let recorded: Option<Vec<(i64, String)>> = conn
        .query_map(
            "SELECT version, name FROM schema_migrations ORDER BY version",
            (),
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .ok();
    let wanted: Vec<(i64, String)> = migrations
        .iter()
        .map(|m| (i64::from(m.version), m.name.to_string()))
        .collect();
    if recorded.as_ref() == Some(&wanted) {
        return Ok(0);
    }
    let tx = conn.transaction()?;
    let ran = run_pg_migrations_in(&tx, migrations)?;
    tx.commit()?;
    Ok(ran)
}

/// [`run_pg_migrations`] inside a transaction the caller holds (`migrate-to` copies in the same
/// one, so a failed copy leaves the database as empty as it found it).
pub(crate) fn run_pg_migrations_in(tx: &Conn, migrations: &[Migration]) -> Result<usize> {
    tx.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
             version    BIGINT PRIMARY KEY,
             name       TEXT NOT NULL,
             applied_at TEXT NOT NULL
                 DEFAULT (to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'))
         );",
    )?;
    let known = migrations.last().map_or(0, |m| m.version);
    let newest: Option<i64> = tx
        .query_row("SELECT max(version) FROM schema_migrations", (), |r| {
            r.get(0)
        })
        .optional()?
        .flatten();
    if let Some(found) = newest.filter(|&v| v > i64::from(known)) {
        return Err(migrate::MigrateError::Newer {
            found: found as u32,
            known,
        }
        .into());
    }
    let mut ran = 0;
    for m in migrations {
        let recorded: Option<String> = tx
            .query_row(
                "SELECT name FROM schema_migrations WHERE version = ?1",
                [i64::from(m.version)],
                |r| r.get(0),
            )
            .optional()?;
        match recorded {
            Some(name) if name == m.name => continue,
            Some(name) => {
                return Err(migrate::MigrateError::Mismatch {
                    version: m.version,
                    recorded: name,
                    expected: m.name.to_string(),
                }
                .into());
            }
            None => {}
        }
        tx.execute_batch(m.sql)
            .map_err(|source| HubStoreError::Migration {
                version: m.version,
                name: m.name,
                source,
            })?;
        tx.execute(
            "INSERT INTO schema_migrations (version, name) VALUES (?1, ?2)",
            params![i64::from(m.version), m.name],
        )?;
        tracing::info!(version = m.version, name = m.name, "applied migration");
        ran += 1;
    }
    Ok(ran)
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_url_in_a_log_has_no_password() {
        assert_eq!(
            super::redact("postgres://hub:s3cret@db.example:5432/onewindow"),
            "postgres://hub:***@db.example:5432/onewindow"
        );
        assert_eq!(
            super::redact("postgres://hub@db/onewindow"),
            "postgres://hub@db/onewindow"
        );
    }
}
