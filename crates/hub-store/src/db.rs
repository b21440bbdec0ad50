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

use std::fmt;
use std::sync::Arc;

use rusqlite::types::{ToSqlOutput, ValueRef};
use tokio_postgres::types::{IsNull, Type};

/// One SQL value: SQLite's storage classes.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Int(i64),
    Real(f64),
    Text(String),
    Blob(Vec<u8>),
}

impl Value {
    fn kind(&self) -> &'static str {
        match self {
            Value::Null => "NULL",
            Value::Int(_) => "integer",
            Value::Real(_) => "real",
            Value::Text(_) => "text",
            Value::Blob(_) => "blob",
        }
    }
}

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

/// A Rust value the store binds as a parameter.
pub trait ToDb {
    fn to_db(&self) -> Value;
}

macro_rules! to_db_int {
    ($($t:ty),*) => {$(
        impl ToDb for $t {
            fn to_db(&self) -> Value {
                Value::Int(*self as i64)
            }
        }
    )*};
}
to_db_int!(i64, i32, i16, u32, u16, u8, usize, u64);

impl ToDb for bool {
    fn to_db(&self) -> Value {
        Value::Int(*self as i64)
    }
}
impl ToDb for f64 {
    fn to_db(&self) -> Value {
        Value::Real(*self)
    }
}
impl ToDb for str {
    fn to_db(&self) -> Value {
        Value::Text(self.to_owned())
    }
}
impl ToDb for String {
    fn to_db(&self) -> Value {
        Value::Text(self.clone())
    }
}
impl ToDb for [u8] {
    fn to_db(&self) -> Value {
        Value::Blob(self.to_vec())
    }
}
impl ToDb for Vec<u8> {
    fn to_db(&self) -> Value {
        Value::Blob(self.clone())
    }
}
impl ToDb for Value {
    fn to_db(&self) -> Value {
        self.clone()
    }
}
impl<T: ToDb> ToDb for Option<T> {
    fn to_db(&self) -> Value {
        self.as_ref().map_or(Value::Null, ToDb::to_db)
    }
}
impl<T: ToDb + ?Sized> ToDb for &T {
    fn to_db(&self) -> Value {
        (**self).to_db()
    }
}

/// A statement's parameters: `()`, `[a, b]` of one type, or `params![a, b, …]` of any.
pub trait Params {
    fn into_values(self) -> Vec<Value>;
}
impl Params for () {
    fn into_values(self) -> Vec<Value> {
        Vec::new()
    }
}
impl Params for &[&dyn ToDb] {
    fn into_values(self) -> Vec<Value> {
        self.iter().map(|v| v.to_db()).collect()
    }
}
impl<T: ToDb, const N: usize> Params for [T; N] {
    fn into_values(self) -> Vec<Value> {
        self.iter().map(ToDb::to_db).collect()
    }
}
impl Params for Vec<Value> {
    fn into_values(self) -> Vec<Value> {
        self
    }
}

/// `params![a, b, c]`: parameters of mixed types, as rusqlite's macro of the same name.
#[macro_export]
macro_rules! params {
    () => { () };
    ($($p:expr),+ $(,)?) => {
        &[$(&$p as &dyn $crate::db::ToDb),+] as &[&dyn $crate::db::ToDb]
    };
}
pub use crate::params;

/// A Rust value the store reads from a column.
pub trait FromDb: Sized {
    fn from_db(v: Value) -> Result<Self, String>;
}

impl FromDb for Value {
    fn from_db(v: Value) -> Result<Self, String> {
        Ok(v)
    }
}
impl FromDb for i64 {
    fn from_db(v: Value) -> Result<Self, String> {
        match v {
            Value::Int(i) => Ok(i),
            other => Err(format!("expected an integer, found {}", other.kind())),
        }
    }
}
macro_rules! from_db_int {
    ($($t:ty),*) => {$(
        impl FromDb for $t {
            fn from_db(v: Value) -> Result<Self, String> {
                let i = i64::from_db(v)?;
                <$t>::try_from(i).map_err(|_| format!("{i} is out of range for {}", stringify!($t)))
            }
        }
    )*};
}
from_db_int!(i32, i16, u32, u16, u8, u64, usize);

impl FromDb for bool {
    fn from_db(v: Value) -> Result<Self, String> {
        Ok(i64::from_db(v)? != 0)
    }
}
impl FromDb for f64 {
    fn from_db(v: Value) -> Result<Self, String> {
        match v {
            Value::Real(f) => Ok(f),
            Value::Int(i) => Ok(i as f64),
            other => Err(format!("expected a real, found {}", other.kind())),
        }
    }
}
impl FromDb for String {
    fn from_db(v: Value) -> Result<Self, String> {
        match v {
            Value::Text(s) => Ok(s),
            other => Err(format!("expected text, found {}", other.kind())),
        }
    }
}
impl FromDb for Vec<u8> {
    fn from_db(v: Value) -> Result<Self, String> {
        match v {
            Value::Blob(b) => Ok(b),
            other => Err(format!("expected a blob, found {}", other.kind())),
        }
    }
}
impl<T: FromDb> FromDb for Option<T> {
    fn from_db(v: Value) -> Result<Self, String> {
        match v {
            Value::Null => Ok(None),
            v => T::from_db(v).map(Some),
        }
    }
}

/// A column by position or by name.
pub trait RowIndex: Copy + fmt::Display {
    fn sqlite_index(self, row: &rusqlite::Row<'_>) -> DbResult<usize>;
    fn pg_index(self, row: &tokio_postgres::Row) -> DbResult<usize>;
}
impl RowIndex for usize {
    fn sqlite_index(self, _: &rusqlite::Row<'_>) -> DbResult<usize> {
        Ok(self)
    }
    fn pg_index(self, _: &tokio_postgres::Row) -> DbResult<usize> {
        Ok(self)
    }
}
impl RowIndex for &str {
    fn sqlite_index(self, row: &rusqlite::Row<'_>) -> DbResult<usize> {
        Ok(row.as_ref().column_index(self)?)
    }
    fn pg_index(self, row: &tokio_postgres::Row) -> DbResult<usize> {
        row.columns()
            .iter()
            .position(|c| c.name() == self)
            .ok_or_else(|| DbError::conversion(self, "no such column"))
    }
}

/// One row of a result, on either engine.
pub enum Row<'a> {
    Sqlite(&'a rusqlite::Row<'a>),
    Postgres(&'a tokio_postgres::Row),
}

impl Row<'_> {
    pub fn get<I: RowIndex, T: FromDb>(&self, idx: I) -> DbResult<T> {
        let v = match self {
            Row::Sqlite(r) => from_sqlite(r.get_ref(idx.sqlite_index(r)?)?),
            Row::Postgres(r) => {
                let i = idx.pg_index(r)?;
                r.try_get::<_, PgAny>(i)?.0
            }
        };
        T::from_db(v).map_err(|m| DbError::conversion(idx, m))
    }
}

fn from_sqlite(v: ValueRef<'_>) -> Value {
    match v {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(i) => Value::Int(i),
        ValueRef::Real(f) => Value::Real(f),
        ValueRef::Text(t) => Value::Text(String::from_utf8_lossy(t).into_owned()),
        ValueRef::Blob(b) => Value::Blob(b.to_vec()),
    }
}

impl rusqlite::ToSql for Value {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(match self {
            Value::Null => ValueRef::Null,
            Value::Int(i) => ValueRef::Integer(*i),
            Value::Real(f) => ValueRef::Real(*f),
            Value::Text(s) => ValueRef::Text(s.as_bytes()),
            Value::Blob(b) => ValueRef::Blob(b),
        }))
    }
}

/// A value read from PostgreSQL, whatever the column's type, as SQLite would hold it.
struct PgAny(Value);

impl<'a> tokio_postgres::types::FromSql<'a> for PgAny {
    fn from_sql(
        ty: &Type,
        raw: &'a [u8],
    ) -> Result<Self, Box<dyn std::error::Error + Sync + Send>> {
        let v = match *ty {
            Type::INT8 => Value::Int(i64::from_sql(ty, raw)?),
            Type::INT4 => Value::Int(i32::from_sql(ty, raw)?.into()),
            Type::INT2 => Value::Int(i16::from_sql(ty, raw)?.into()),
            Type::BOOL => Value::Int(bool::from_sql(ty, raw)?.into()),
            Type::FLOAT8 => Value::Real(f64::from_sql(ty, raw)?),
            Type::FLOAT4 => Value::Real(f32::from_sql(ty, raw)?.into()),
            Type::BYTEA => Value::Blob(raw.to_vec()),
            // sum() and avg() of BIGINT are NUMERIC on PostgreSQL, INTEGER and REAL on SQLite.
            Type::NUMERIC => numeric(raw)?,
            Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME | Type::UNKNOWN | Type::JSON => {
                Value::Text(std::str::from_utf8(raw)?.to_owned())
            }
            // jsonb's binary form is a version byte, then the text.
            Type::JSONB => {
                Value::Text(std::str::from_utf8(raw.get(1..).unwrap_or_default())?.to_owned())
            }
            ref other => {
                return Err(format!(
                    "PostgreSQL type {other} has no SQLite twin; CAST it in the statement (e.g. CAST(sum(x) AS BIGINT))"
                )
                .into());
            }
        };
        Ok(PgAny(v))
    }

    fn from_sql_null(_: &Type) -> Result<Self, Box<dyn std::error::Error + Sync + Send>> {
        Ok(PgAny(Value::Null))
    }

    fn accepts(_: &Type) -> bool {
        true
    }
}

impl tokio_postgres::types::ToSql for Value {
    fn to_sql(
        &self,
        ty: &Type,
        out: &mut tokio_postgres::types::private::BytesMut,
    ) -> Result<IsNull, Box<dyn std::error::Error + Sync + Send>> {
        let mismatch = || -> Box<dyn std::error::Error + Sync + Send> {
            format!(
                "a {} value cannot be bound to a {ty} parameter",
                self.kind()
            )
            .into()
        };
        match (self, ty) {
            (Value::Null, _) => Ok(IsNull::Yes),
            (Value::Int(i), &Type::INT8) => i.to_sql(ty, out),
            (Value::Int(i), &Type::INT4) => i32::try_from(*i)?.to_sql(ty, out),
            (Value::Int(i), &Type::INT2) => i16::try_from(*i)?.to_sql(ty, out),
            (Value::Int(i), &Type::BOOL) => (*i != 0).to_sql(ty, out),
            (Value::Int(i), &Type::FLOAT8) => (*i as f64).to_sql(ty, out),
            (Value::Real(f), &Type::FLOAT8) => f.to_sql(ty, out),
            (Value::Real(f), &Type::FLOAT4) => (*f as f32).to_sql(ty, out),
            (Value::Text(s), &Type::TEXT | &Type::VARCHAR | &Type::BPCHAR | &Type::NAME)
            | (Value::Text(s), &Type::UNKNOWN | &Type::JSON) => {
                out.extend_from_slice(s.as_bytes());
                Ok(IsNull::No)
            }
            (Value::Text(s), &Type::JSONB) => {
                out.extend_from_slice(&[1]);
                out.extend_from_slice(s.as_bytes());
                Ok(IsNull::No)
            }
            (Value::Blob(b), &Type::BYTEA) => {
                out.extend_from_slice(b);
                Ok(IsNull::No)
            }
            _ => Err(mismatch()),
        }
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    tokio_postgres::types::to_sql_checked!();
}

/// PostgreSQL's NUMERIC in its binary form (a count of base-10000 digits, the first digit's
/// weight, a sign and the display scale, then the digits) as SQLite would hold the same sum or
/// average: an integer when it has no fraction, else a real.
fn numeric(raw: &[u8]) -> Result<Value, Box<dyn std::error::Error + Sync + Send>> {
    let word = |i: usize| -> Result<u16, Box<dyn std::error::Error + Sync + Send>> {
        raw.get(i..i + 2)
            .map(|b| u16::from_be_bytes([b[0], b[1]]))
            .ok_or_else(|| "truncated NUMERIC".into())
    };
    let (ndigits, weight, sign, scale) = (word(0)?, word(2)? as i16, word(4)?, word(6)?);
    if sign == 0xC000 {
        return Err("NUMERIC NaN has no SQLite twin".into());
    }
    let mut int: i128 = 0;
    let mut real = 0f64;
    let mut fraction = false;
    for i in 0..ndigits as usize {
        let digit = word(8 + 2 * i)?;
        let power = i32::from(weight) - i as i32;
        real += f64::from(digit) * 10000f64.powi(power);
        if power >= 0 {
            int = int.saturating_add(i128::from(digit) * 10000i128.saturating_pow(power as u32));
        } else if digit != 0 {
            fraction = true;
        }
    }
    let negative = sign == 0x4000;
    if scale == 0 && !fraction {
        let int = if negative { -int } else { int };
        return i64::try_from(int)
            .map(Value::Int)
            .map_err(|_| "NUMERIC out of the range of a 64-bit integer".into());
    }
    Ok(Value::Real(if negative { -real } else { real }))
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
                self.execute_batch("BEGIN")?;
                let tx = Tx {
                    conn: self,
                    done: false,
                };
                self.query_row(
                    "SELECT pg_advisory_xact_lock(?1)",
                    [WRITER_LOCK],
                    |_| Ok(()),
                )?;
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
    pub fn commit(mut self) -> DbResult<()> {
        self.done = true;
        self.conn.execute_batch("COMMIT")
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

/// Rewrites a statement in the SQL both engines share for PostgreSQL: `?N` and `?` become `$N`;
/// `json_extract(x, '$.a.b')` becomes `(x)::jsonb #>> '{a,b}'`; `json_each(x)` (its `value`
/// column) becomes `json_array_elements_text(x)`. Quoted text and identifiers pass untouched.
pub fn to_postgres(sql: &str) -> String {
    let sql = rewrite_calls(sql);
    let mut out = String::with_capacity(sql.len() + 8);
    let mut chars = sql.chars().peekable();
    let mut next_bare = 1u32;
    let mut highest = 0u32;
    while let Some(c) = chars.next() {
        match c {
            '\'' | '"' => {
                out.push(c);
                for d in chars.by_ref() {
                    out.push(d);
                    if d == c {
                        break;
                    }
                }
            }
            '-' if chars.peek() == Some(&'-') => {
                out.push(c);
                for d in chars.by_ref() {
                    out.push(d);
                    if d == '\n' {
                        break;
                    }
                }
            }
            '?' => {
                let mut digits = String::new();
                while let Some(d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                    digits.push(*d);
                    chars.next();
                }
                let n = if digits.is_empty() {
                    // SQLite: a bare `?` is one more than the largest number so far.
                    highest.max(next_bare - 1) + 1
                } else {
                    digits.parse().unwrap_or(0)
                };
                next_bare = n + 1;
                highest = highest.max(n);
                out.push('$');
                out.push_str(&n.to_string());
            }
            c => out.push(c),
        }
    }
    out
}

/// The calls to SQLite's JSON functions, rewritten for PostgreSQL.
fn rewrite_calls(sql: &str) -> String {
    if !sql.contains("json_") {
        return sql.to_owned();
    }
    let mut out = String::with_capacity(sql.len() + 16);
    let mut rest = sql;
    loop {
        let extract = rest.find("json_extract(");
        let each = rest.find("json_each(");
        let (at, name) = match (extract, each) {
            (Some(a), Some(b)) if b < a => (b, "json_each("),
            (Some(a), _) => (a, "json_extract("),
            (None, Some(b)) => (b, "json_each("),
            (None, None) => break,
        };
        out.push_str(&rest[..at]);
        let args_start = at + name.len();
        let Some(len) = matching_paren(&rest[args_start..]) else {
            out.push_str(&rest[at..]);
            return out;
        };
        let args = rewrite_calls(&rest[args_start..args_start + len]);
        let parts = split_top_level(&args);
        if name == "json_each(" {
            out.push_str(&format!(
                "json_array_elements_text(CAST({} AS TEXT)::json)",
                args.trim()
            ));
        } else if let [value, path] = parts.as_slice() {
            let path = path.trim().trim_matches('\'');
            let keys: Vec<&str> = path
                .trim_start_matches('$')
                .split('.')
                .filter(|k| !k.is_empty())
                .collect();
            out.push_str(&format!(
                "(CAST({} AS jsonb) #>> '{{{}}}')",
                value.trim(),
                keys.join(",")
            ));
        } else {
            out.push_str(name);
            out.push_str(&args);
            out.push(')');
        }
        rest = &rest[args_start + len + 1..];
    }
    out.push_str(rest);
    out
}

/// The length of the text up to the `)` closing an already opened parenthesis.
fn matching_paren(s: &str) -> Option<usize> {
    let mut depth = 0i32;
    let mut quote: Option<char> = None;
    for (i, c) in s.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(c),
            (None, '(') => depth += 1,
            (None, ')') if depth == 0 => return Some(i),
            (None, ')') => depth -= 1,
            _ => {}
        }
    }
    None
}

fn split_top_level(s: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut depth = 0i32;
    let mut quote: Option<char> = None;
    let mut start = 0;
    for (i, c) in s.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '\'' | '"') => quote = Some(c),
            (None, '(') => depth += 1,
            (None, ')') => depth -= 1,
            (None, ',') if depth == 0 => {
                parts.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&s[start..]);
    parts
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
