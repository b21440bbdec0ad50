//! The store's one door to its database: the same statements run on SQLite (rusqlite, the
//! embedded default) and on PostgreSQL (tokio-postgres through a deadpool pool).
//!
//! The store's modules are written once, in the SQL both engines share (`?N` placeholders,
//! `INSERT … ON CONFLICT`, `RETURNING`, `CAST(… AS BIGINT)`), against the small API here, which
//! mirrors rusqlite's (`execute`, `query_row`, `prepare(…).query_map`, `transaction`). On
//! PostgreSQL a statement is rewritten once on its way: placeholders become `$N`, SQLite's JSON
//! functions become their jsonb twins. Values travel as [`Value`], SQLite's five storage
//! classes, which PostgreSQL's schema mirrors (BIGINT, DOUBLE PRECISION, TEXT, BYTEA).
//!
//! The store stays synchronous: the hub calls it on blocking threads. A PostgreSQL connection is
//! driven by a small runtime the pool owns, and a statement waits for its answer on whichever
//! thread runs the request.

mod dialect;
mod value;

use std::fmt;
use std::sync::Arc;

pub use crate::params;
pub use dialect::to_postgres;
pub use value::{FromDb, Params, Row, RowIndex, ToDb, Value};

#[derive(Debug)]
pub enum DbError {
    Sqlite(rusqlite::Error),
    Postgres(tokio_postgres::Error),
    Pool(String),
    /// `query_row` found no row (`.optional()` turns it into `None`).
    NoRows,
    /// A column's value does not convert to the Rust type asked for.
    Conversion {
        column: String,
        message: String,
    },
}

impl fmt::Display for DbError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DbError::Sqlite(e) => write!(f, "{e}"),
            DbError::Postgres(e) => match e.as_db_error() {
                Some(d) => write!(f, "PostgreSQL {}: {}", d.code().code(), d.message()),
                None => write!(f, "PostgreSQL: {e}"),
            },
            DbError::Pool(e) => write!(f, "PostgreSQL connection pool: {e}"),
            DbError::NoRows => write!(f, "query returned no rows"),
            DbError::Conversion { column, message } => write!(f, "column {column}: {message}"),
        }
    }
}

impl std::error::Error for DbError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            DbError::Sqlite(e) => Some(e),
            DbError::Postgres(e) => Some(e),
            _ => None,
        }
    }
}

impl From<rusqlite::Error> for DbError {
    fn from(e: rusqlite::Error) -> Self {
        match e {
            rusqlite::Error::QueryReturnedNoRows => DbError::NoRows,
            e => DbError::Sqlite(e),
        }
    }
}

impl From<tokio_postgres::Error> for DbError {
    fn from(e: tokio_postgres::Error) -> Self {
        DbError::Postgres(e)
    }
}

impl DbError {
    /// A value for a column of a row: the store's own conversions (an enum's text, a JSON body).
    pub fn conversion(column: impl fmt::Display, message: impl fmt::Display) -> Self {
        DbError::Conversion {
            column: column.to_string(),
            message: message.to_string(),
        }
    }

    fn sqlstate(&self) -> Option<&str> {
        match self {
            DbError::Postgres(e) => e.code().map(|c| c.code()),
            _ => None,
        }
    }

    /// The disk under the database is full (SQLite's `SQLITE_FULL`, PostgreSQL's 53100).
    pub fn is_disk_full(&self) -> bool {
        match self {
            DbError::Sqlite(e) => e.sqlite_error_code() == Some(rusqlite::ErrorCode::DiskFull),
            _ => self.sqlstate() == Some("53100"),
        }
    }

    /// A value the database cannot hold (PostgreSQL's class 22: a NUL in text, a number out of
    /// range, malformed JSON), as the statement's data and not the database's fault.
    pub fn is_data_exception(&self) -> bool {
        self.sqlstate().is_some_and(|s| s.starts_with("22"))
    }

    /// A UNIQUE, PRIMARY KEY, CHECK or foreign key constraint refused the statement.
    pub fn is_constraint_violation(&self) -> bool {
        match self {
            DbError::Sqlite(e) => {
                e.sqlite_error_code() == Some(rusqlite::ErrorCode::ConstraintViolation)
            }
            _ => self.sqlstate().is_some_and(|s| s.starts_with("23")),
        }
    }
}

pub type DbResult<T> = std::result::Result<T, DbError>;

/// `query_row(…).optional()`: no row is `None`, as with rusqlite.
pub trait OptionalExtension<T> {
    fn optional(self) -> DbResult<Option<T>>;
}

impl<T> OptionalExtension<T> for DbResult<T> {
    fn optional(self) -> DbResult<Option<T>> {
        match self {
            Ok(v) => Ok(Some(v)),
            Err(DbError::NoRows) => Ok(None),
            Err(e) => Err(e),
        }
    }
}

/// Which engine a connection talks to, for the few statements that differ (date arithmetic).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    Sqlite,
    Postgres,
}

/// The runtime that drives the pool's PostgreSQL connections. Shut down in the background when
/// the last store handle goes, so dropping it is allowed on any thread.
pub(crate) struct PgRuntime(Option<tokio::runtime::Runtime>);

impl PgRuntime {
    pub(crate) fn new() -> std::io::Result<Self> {
        Ok(PgRuntime(Some(
            tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .thread_name("hub-store-pg")
                .enable_all()
                .build()?,
        )))
    }

    /// Runs `f` on this runtime's workers, in the background.
    pub(crate) fn spawn<F>(&self, f: F)
    where
        F: std::future::Future<Output = ()> + Send + 'static,
    {
        self.0
            .as_ref()
            .expect("the runtime lives as long as its store")
            .spawn(f);
    }

    /// Waits for `f` on this thread. The runtime's context is entered (the pool's timeouts and
    /// new connections belong to it, and its workers drive the connections), but the waiting
    /// is futures' plain executor: tokio's own `block_on` refuses to run inside another
    /// runtime's task, and a test (or a desk's process) may well call the store from one.
    pub(crate) fn block_on<F: std::future::Future>(&self, f: F) -> F::Output {
        let rt = self
            .0
            .as_ref()
            .expect("the runtime lives as long as its store");
        let _inside = rt.enter();
        futures_executor::block_on(f)
    }
}

impl Drop for PgRuntime {
    fn drop(&mut self) {
        if let Some(rt) = self.0.take() {
            rt.shutdown_background();
        }
    }
}

/// A connection on PostgreSQL: one taken from the pool, handed back when dropped.
pub(crate) struct PgConn {
    pub(crate) client: deadpool_postgres::Object,
    pub(crate) rt: Arc<PgRuntime>,
}

/// One connection to the store's database.
pub enum Conn {
    Sqlite(rusqlite::Connection),
    #[allow(private_interfaces)]
    Postgres(PgConn),
}

/// The advisory lock every writing transaction takes on PostgreSQL, so writers run one at a
/// time as on SQLite: change-log sequence numbers are then taken in commit order (a cursor
/// never passes a row that commits late), and the store's read-then-write steps (the next
/// ticket, the audit chain's last hash) see what the previous writer committed. Readers never
/// wait for it.
pub const WRITER_LOCK: i64 = 0x4f6e_6557_696e_0001; // "OneWin" 1

impl Conn {
    pub fn engine(&self) -> Engine {
        match self {
            Conn::Sqlite(_) => Engine::Sqlite,
            Conn::Postgres(_) => Engine::Postgres,
        }
    }

    /// The minutes from one RFC 3339 timestamp column to another, as a real.
    pub fn minutes_between(&self, from: &str, to: &str) -> String {
        match self.engine() {
            Engine::Sqlite => format!("((julianday({to}) - julianday({from})) * 1440)"),
            Engine::Postgres => format!(
                "(EXTRACT(EPOCH FROM (CAST({to} AS timestamptz) - CAST({from} AS timestamptz))) / 60)"
            ),
        }
    }

    /// The hour (`09`) of an RFC 3339 timestamp column on the hall's clock (UTC+8).
    pub fn hall_hour(&self, at: &str) -> String {
        match self.engine() {
            Engine::Sqlite => format!("strftime('%H', {at}, '+8 hours')"),
            Engine::Postgres => format!(
                "to_char((CAST({at} AS timestamptz) AT TIME ZONE 'UTC') + interval '8 hours', 'HH24')"
            ),
        }
    }

    /// Runs statements separated by `;` with no parameters, as written (no translation).
    pub fn execute_batch(&self, sql: &str) -> DbResult<()> {
        match self {
            Conn::Sqlite(c) => Ok(c.execute_batch(sql)?),
            Conn::Postgres(p) => Ok(p.rt.block_on(p.client.batch_execute(sql))?),
        }
    }

    /// Tells every session listening on `channel` (other hub processes on this database)
    /// `payload`: PostgreSQL's NOTIFY, delivered when the surrounding transaction commits (at
    /// once outside one). On SQLite nobody else serves the store: nothing is sent, `false`.
    pub fn notify(&self, channel: &str, payload: &str) -> DbResult<bool> {
        match self {
            Conn::Sqlite(_) => Ok(false),
            Conn::Postgres(_) => {
                self.execute("SELECT pg_notify(?1, ?2)", params![channel, payload])?;
                Ok(true)
            }
        }
    }

    /// Runs one statement; returns how many rows it changed.
    pub fn execute<P: Params>(&self, sql: &str, params: P) -> DbResult<usize> {
        let values = params.into_values();
        match self {
            Conn::Sqlite(c) => {
                let mut st = c.prepare_cached(sql)?;
                Ok(st.execute(rusqlite::params_from_iter(values.iter()))?)
            }
            Conn::Postgres(p) => {
                let sql = to_postgres(sql);
                let n = p.rt.block_on(async {
                    let st = p.client.prepare_cached(&sql).await?;
                    p.client.execute(&st, &pg_params(&values)).await
                })?;
                Ok(n as usize)
            }
        }
    }

    /// The first row of a query, mapped; [`DbError::NoRows`] when there is none.
    pub fn query_row<T, P: Params, F>(&self, sql: &str, params: P, f: F) -> DbResult<T>
    where
        F: FnOnce(&Row<'_>) -> DbResult<T>,
    {
        let values = params.into_values();
        match self {
            Conn::Sqlite(c) => {
                let mut st = c.prepare_cached(sql)?;
                let mut rows = st.query(rusqlite::params_from_iter(values.iter()))?;
                match rows.next()? {
                    Some(r) => f(&Row::Sqlite(r)),
                    None => Err(DbError::NoRows),
                }
            }
            Conn::Postgres(p) => {
                let sql = to_postgres(sql);
                // All rows, as SQLite's query_row reads the first of however many there are.
                let rows = p.rt.block_on(async {
                    let st = p.client.prepare_cached(&sql).await?;
                    p.client.query(&st, &pg_params(&values)).await
                })?;
                match rows.first() {
                    Some(r) => f(&Row::Postgres(r)),
                    None => Err(DbError::NoRows),
                }
            }
        }
    }

    /// Every row of a query, mapped.
    pub fn query_map<T, P: Params, F>(&self, sql: &str, params: P, mut f: F) -> DbResult<Vec<T>>
    where
        F: FnMut(&Row<'_>) -> DbResult<T>,
    {
        let values = params.into_values();
        match self {
            Conn::Sqlite(c) => {
                let mut st = c.prepare_cached(sql)?;
                let mut rows = st.query(rusqlite::params_from_iter(values.iter()))?;
                let mut out = Vec::new();
                while let Some(r) = rows.next()? {
                    out.push(f(&Row::Sqlite(r))?);
                }
                Ok(out)
            }
            Conn::Postgres(p) => {
                let sql = to_postgres(sql);
                let rows = p.rt.block_on(async {
                    let st = p.client.prepare_cached(&sql).await?;
                    p.client.query(&st, &pg_params(&values)).await
                })?;
                rows.iter().map(|r| f(&Row::Postgres(r))).collect()
            }
        }
    }

    /// A statement to run several times (rusqlite's `prepare`; statements are cached on both
    /// engines, so this only keeps the text).
    pub fn prepare<'c>(&'c self, sql: &str) -> DbResult<Stmt<'c>> {
        Ok(Stmt {
            conn: self,
            sql: sql.to_owned(),
        })
    }

    /// Same as [`prepare`](Self::prepare): every statement is cached.
    pub fn prepare_cached<'c>(&'c self, sql: &str) -> DbResult<Stmt<'c>> {
        self.prepare(sql)
    }

    /// A writing transaction: rolled back when dropped uncommitted. On PostgreSQL it first
    /// takes [`WRITER_LOCK`].
    pub fn transaction(&self) -> DbResult<Tx<'_>> {
        match self {
            Conn::Sqlite(c) => c.execute_batch("BEGIN IMMEDIATE")?,
            Conn::Postgres(_) => {
                let tx = Tx {
                    conn: self,
                    done: false,
                };
                // One round trip: begin, bound the wait (a writer stuck for half a minute, a
                // hung session, fails the next one clearly rather than holding every pooled
                // connection waiting), take the writers' lock. A failure rolls back on drop.
                self.execute_batch(&format!(
                    "BEGIN; SET LOCAL lock_timeout = '30s'; SELECT pg_advisory_xact_lock({WRITER_LOCK})"
                ))?;
                return Ok(tx);
            }
        }
        Ok(Tx {
            conn: self,
            done: false,
        })
    }

    /// A transaction that only reads, all its statements seeing one snapshot; it takes no
    /// lock, so on PostgreSQL it never waits for a writer.
    pub fn read_transaction(&self) -> DbResult<Tx<'_>> {
        self.execute_batch(match self {
            Conn::Sqlite(_) => "BEGIN",
            Conn::Postgres(_) => "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY",
        })?;
        Ok(Tx {
            conn: self,
            done: false,
        })
    }
}

/// A statement kept for running several times.
pub struct Stmt<'c> {
    conn: &'c Conn,
    sql: String,
}

impl Stmt<'_> {
    pub fn execute<P: Params>(&mut self, params: P) -> DbResult<usize> {
        self.conn.execute(&self.sql, params)
    }

    pub fn query_row<T, P: Params, F>(&mut self, params: P, f: F) -> DbResult<T>
    where
        F: FnOnce(&Row<'_>) -> DbResult<T>,
    {
        self.conn.query_row(&self.sql, params, f)
    }

    /// Every row, mapped; an iterator of results as rusqlite's, read in full first.
    pub fn query_map<T, P: Params, F>(
        &mut self,
        params: P,
        mut f: F,
    ) -> DbResult<std::vec::IntoIter<DbResult<T>>>
    where
        F: FnMut(&Row<'_>) -> DbResult<T>,
    {
        let rows = self.conn.query_map(&self.sql, params, |r| Ok(f(r)))?;
        Ok(rows.into_iter())
    }
}

/// An open transaction: statements run through it (it derefs to its [`Conn`]); `commit` ends
/// it, dropping it rolls back.
pub struct Tx<'c> {
    conn: &'c Conn,
    done: bool,
}

impl Tx<'_> {
    /// Commits; if COMMIT itself fails (a full disk, a lost connection), the transaction is
    /// rolled back when this drops, so the connection never stays inside it.
    pub fn commit(mut self) -> DbResult<()> {
        self.conn.execute_batch("COMMIT")?;
        self.done = true;
        Ok(())
    }
}

impl std::ops::Deref for Tx<'_> {
    type Target = Conn;
    fn deref(&self) -> &Conn {
        self.conn
    }
}

impl Drop for Tx<'_> {
    fn drop(&mut self) {
        if !self.done
            && let Err(e) = self.conn.execute_batch("ROLLBACK")
        {
            tracing::warn!(error = %e, "rolling back a transaction failed");
        }
    }
}

fn pg_params(values: &[Value]) -> Vec<&(dyn tokio_postgres::types::ToSql + Sync)> {
    values
        .iter()
        .map(|v| v as &(dyn tokio_postgres::types::ToSql + Sync))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_become_numbered_and_text_is_left_alone() {
        assert_eq!(
            to_postgres("SELECT a FROM t WHERE b = ?2 AND c = '?1' AND d = ?1"),
            "SELECT a FROM t WHERE b = $2 AND c = '?1' AND d = $1"
        );
        assert_eq!(
            to_postgres("INSERT INTO t VALUES (?, ?, ?)"),
            "INSERT INTO t VALUES ($1, $2, $3)"
        );
        assert_eq!(to_postgres("-- what?\nSELECT ?"), "-- what?\nSELECT $1");
    }

    #[test]
    fn json_functions_become_their_jsonb_twins() {
        assert_eq!(
            to_postgres("SELECT coalesce(json_extract(ch.body, '$.name'), c.code) FROM x"),
            "SELECT coalesce((CAST(ch.body AS jsonb) #>> '{name}'), c.code) FROM x"
        );
        assert_eq!(
            to_postgres("SELECT json_extract(c.payload, '$.applicant.name')"),
            "SELECT (CAST(c.payload AS jsonb) #>> '{applicant,name}')"
        );
        assert_eq!(
            to_postgres("WHERE domain IN (SELECT value FROM json_each(?2))"),
            "WHERE domain IN (SELECT value FROM json_array_elements_text(CAST($2 AS TEXT)::json))"
        );
    }

    #[test]
    fn sqlite_round_trips_each_storage_class() {
        let conn = Conn::Sqlite(rusqlite::Connection::open_in_memory().unwrap());
        conn.execute_batch("CREATE TABLE t (i INTEGER, r REAL, s TEXT, b BLOB) STRICT")
            .unwrap();
        conn.execute(
            "INSERT INTO t VALUES (?1, ?2, ?3, ?4)",
            params![7i64, 1.5f64, "七", vec![1u8, 2]],
        )
        .unwrap();
        let (i, r, s, b): (i64, f64, String, Vec<u8>) = conn
            .query_row("SELECT i, r, s, b FROM t", (), |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
            })
            .unwrap();
        assert_eq!((i, r, s.as_str(), b), (7, 1.5, "七", vec![1, 2]));
        assert!(matches!(
            conn.query_row("SELECT i FROM t WHERE i = 8", (), |r| r.get::<_, i64>(0)),
            Err(DbError::NoRows)
        ));
        let err = conn
            .query_row("SELECT s FROM t", (), |r| r.get::<_, i64>(0))
            .unwrap_err();
        assert!(
            err.to_string().contains("expected an integer, found text"),
            "{err}"
        );
    }

    #[test]
    fn a_dropped_transaction_rolls_back() {
        let conn = Conn::Sqlite(rusqlite::Connection::open_in_memory().unwrap());
        conn.execute_batch("CREATE TABLE t (i INTEGER)").unwrap();
        {
            let tx = conn.transaction().unwrap();
            tx.execute("INSERT INTO t VALUES (1)", ()).unwrap();
        }
        let tx = conn.transaction().unwrap();
        tx.execute("INSERT INTO t VALUES (2)", ()).unwrap();
        tx.commit().unwrap();
        let n: i64 = conn
            .query_row("SELECT sum(i) FROM t", (), |r| r.get(0))
            .unwrap();
        assert_eq!(n, 2);
    }
}
