//! Values on their way in and out: SQLite's five storage classes ([`Value`]), the Rust types
//! the store binds ([`ToDb`]) and reads ([`FromDb`]), and their PostgreSQL twins.

use std::fmt;

use rusqlite::types::{ToSqlOutput, ValueRef};
use tokio_postgres::types::{IsNull, Type};

use super::{DbError, DbResult};

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
