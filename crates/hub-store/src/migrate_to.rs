//! `onewindow-hub migrate-to`: a SQLite hub (`DATA/hub.db`) copied into an empty PostgreSQL
//! database, table by table in one transaction, every row verified on the far side. Ids,
//! change-log sequence numbers and audit hashes are copied as they are, so desks' cursors and
//! tokens hold and `audit-verify` passes on the copy; identity counters continue after the
//! highest number SQLite ever gave out.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use sha2::{Digest, Sha256};

use crate::db::{Conn, DbError, Value};
use crate::store::{HUB_PG_MIGRATIONS, HubStore, HubStoreError, Result};

/// What a copy moved: each table's rows, in the order they were copied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MigrateReport {
    pub tables: Vec<(String, u64)>,
}

impl MigrateReport {
    pub fn rows(&self) -> u64 {
        self.tables.iter().map(|(_, n)| n).sum()
    }
}

/// Rows per INSERT statement (PostgreSQL takes at most 65,535 parameters in one).
const BATCH_PARAMS: usize = 4000;

/// Copies the SQLite hub at `data` into the empty PostgreSQL database at `url`.
pub fn migrate_to_postgres(
    data: &Path,
    key_file: Option<&Path>,
    url: &str,
) -> Result<MigrateReport> {
    if !data.join("hub.db").exists() {
        return Err(HubStoreError::BadInput(format!(
            "{} has no hub.db to copy",
            data.display()
        )));
    }
    // The source, brought to this version's schema first (as serving it would).
    let source = HubStore::open_dir_keyed(data, key_file)?;
    let src = &source.conn;
    // Held to the end (BEGIN IMMEDIATE): no write reaches hub.db while it is copied, should a
    // hub still be serving it.
    let _frozen = src.transaction()?;
    let target = crate::pool::raw_connection(data, Some(url))?;
    // Checked inside the copy's transaction, after the writers' lock: a hub starting on the
    // same database at the same moment cannot slip in between.
    let tx = target.transaction()?;
    let existing: i64 = tx.query_row(
        "SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema()",
        (),
        |r| r.get(0),
    )?;
    if existing > 0 {
        return Err(HubStoreError::BadInput(format!(
            "the database at {} is not empty ({existing} tables); migrate-to copies into an empty database only",
            crate::pool::redact(url)
        )));
    }
    crate::pool::run_pg_migrations_in(&tx, HUB_PG_MIGRATIONS)?;

    let tables = copy_order(src)?;
    let pg_tables: BTreeSet<String> = tx
        .query_map(
            "SELECT table_name FROM information_schema.tables
             WHERE table_schema = current_schema() AND table_name <> 'schema_migrations'",
            (),
            |r| r.get(0),
        )?
        .into_iter()
        .collect();
    let sqlite_tables: BTreeSet<String> = tables.iter().cloned().collect();
    if pg_tables != sqlite_tables {
        return Err(HubStoreError::BadInput(format!(
            "the two schemas differ: only on SQLite {:?}, only on PostgreSQL {:?}",
            sqlite_tables.difference(&pg_tables).collect::<Vec<_>>(),
            pg_tables.difference(&sqlite_tables).collect::<Vec<_>>()
        )));
    }

    // The rows the migrations themselves put in (the first centre) come from the source too.
    for table in tables.iter().rev() {
        tx.execute(&format!("DELETE FROM {table}"), ())?;
    }
    let mut report = MigrateReport { tables: Vec::new() };
    for table in &tables {
        let columns = columns_of(src, table)?;
        let list = columns.join(", ");
        let rows = src.query_map(
            &format!("SELECT {list} FROM {table} ORDER BY rowid"),
            (),
            |r| {
                (0..columns.len())
                    .map(|i| r.get::<_, Value>(i))
                    .collect::<Result<Vec<_>, _>>()
            },
        )?;
        let per_batch = (BATCH_PARAMS / columns.len()).max(1);
        for batch in rows.chunks(per_batch) {
            let mut sql = format!("INSERT INTO {table} ({list}) VALUES ");
            let mut params = Vec::with_capacity(batch.len() * columns.len());
            for (i, row) in batch.iter().enumerate() {
                if i > 0 {
                    sql.push_str(", ");
                }
                sql.push('(');
                for (j, value) in row.iter().enumerate() {
                    if j > 0 {
                        sql.push_str(", ");
                    }
                    sql.push_str(&format!("?{}", params.len() + 1));
                    params.push(value.clone());
                }
                sql.push(')');
            }
            tx.execute(&sql, params)?;
        }
        tracing::info!(table, rows = rows.len(), "copied");
        report.tables.push((table.clone(), rows.len() as u64));
    }

    // Identity counters go on after the highest number SQLite gave out, deleted rows included.
    let counters: BTreeMap<String, i64> = src
        .query_map("SELECT name, seq FROM sqlite_sequence", (), |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap_or_default()
        .into_iter()
        .collect();
    let identities: Vec<(String, String)> = tx.query_map(
        "SELECT table_name, column_name FROM information_schema.columns
         WHERE table_schema = current_schema() AND is_identity = 'YES'",
        (),
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    for (table, column) in identities {
        let highest: i64 = tx.query_row(
            &format!("SELECT coalesce(max({column}), 0) FROM {table}"),
            (),
            |r| r.get(0),
        )?;
        let next = highest.max(counters.get(&table).copied().unwrap_or(0)) + 1;
        tx.query_row(
            "SELECT setval(pg_get_serial_sequence(?1, ?2), ?3, false)",
            crate::params![table, column, next],
            |_| Ok(()),
        )?;
    }

    // Every row, compared: the same multiset of rows on both sides, value for value.
    for (table, count) in &report.tables {
        let columns = columns_of(src, table)?;
        let a = row_digests(src, table, &columns)?;
        let b = row_digests(&tx, table, &columns)?;
        if a != b {
            let missing = a.iter().filter(|d| b.binary_search(d).is_err()).count();
            return Err(HubStoreError::BadInput(format!(
                "verification failed: table {table} has {count} rows on SQLite, {} on PostgreSQL, {missing} not copied exactly; nothing was kept",
                b.len()
            )));
        }
    }
    tx.commit()?;
    // The copy opens as a hub: its audit key is the one its chain is signed with.
    crate::pool::PgPool::open(data, url, 1)?;
    Ok(report)
}

/// The tables to copy, parents before the tables that reference them.
fn copy_order(src: &Conn) -> Result<Vec<String>> {
    let names: Vec<String> = src.query_map(
        "SELECT name FROM sqlite_master WHERE type = 'table'
         AND name NOT LIKE 'sqlite_%' AND name <> 'schema_migrations' ORDER BY name",
        (),
        |r| r.get(0),
    )?;
    let mut parents: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for name in &names {
        let refs: Vec<String> = src.query_map(
            "SELECT DISTINCT \"table\" FROM pragma_foreign_key_list(?1)",
            [name],
            |r| r.get(0),
        )?;
        parents.insert(
            name.clone(),
            refs.into_iter().filter(|p| p != name).collect(),
        );
    }
    let mut order = Vec::with_capacity(names.len());
    let mut placed = BTreeSet::new();
    while order.len() < names.len() {
        let ready: Vec<String> = names
            .iter()
            .filter(|n| !placed.contains(*n) && parents[*n].iter().all(|p| placed.contains(p)))
            .cloned()
            .collect();
        if ready.is_empty() {
            return Err(HubStoreError::BadInput(
                "the tables' references form a cycle; cannot order the copy".into(),
            ));
        }
        for n in ready {
            placed.insert(n.clone());
            order.push(n);
        }
    }
    Ok(order)
}

fn columns_of(src: &Conn, table: &str) -> Result<Vec<String>> {
    Ok(src.query_map(
        "SELECT name FROM pragma_table_info(?1) ORDER BY cid",
        [table],
        |r| r.get(0),
    )?)
}

/// Each row's SHA-256 over its values (type and bytes), sorted.
fn row_digests(conn: &Conn, table: &str, columns: &[String]) -> Result<Vec<[u8; 32]>> {
    let list = columns.join(", ");
    let mut digests = conn.query_map(&format!("SELECT {list} FROM {table}"), (), |r| {
        let mut h = Sha256::new();
        for i in 0..columns.len() {
            match r.get::<_, Value>(i)? {
                Value::Null => h.update([0]),
                Value::Int(n) => {
                    h.update([1]);
                    h.update(n.to_be_bytes());
                }
                Value::Real(f) => {
                    h.update([2]);
                    h.update(f.to_bits().to_be_bytes());
                }
                Value::Text(s) => {
                    h.update([3]);
                    h.update((s.len() as u64).to_be_bytes());
                    h.update(s.as_bytes());
                }
                Value::Blob(b) => {
                    h.update([4]);
                    h.update((b.len() as u64).to_be_bytes());
                    h.update(&b);
                }
            }
        }
        Ok::<_, DbError>(h.finalize().into())
    })?;
    digests.sort_unstable();
    Ok(digests)
}
