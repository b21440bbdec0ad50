//! Append-only SQL migrations, embedded in the binary. Used by the desk cache and the hub store.
//!
//! Each migration runs in its own transaction together with its row in `schema_migrations`, so
//! a crash leaves the database at a whole migration. A database that has a migration this
//! program does not know was written by a newer version and is refused, never "downgraded".

use rusqlite::{Connection, OptionalExtension, params};

#[derive(Debug, Clone, Copy)]
pub struct Migration {
    pub version: u32,
    pub name: &'static str,
    pub sql: &'static str,
}

#[derive(Debug, thiserror::Error)]
pub enum MigrateError {
    #[error(
        "database schema version {found} is newer than this program knows ({known}); use a newer program"
    )]
    Newer { found: u32, known: u32 },
    #[error(
        "migration {version} is recorded as {recorded:?} but this program calls it {expected:?}"
    )]
    Mismatch {
        version: u32,
        recorded: String,
        expected: String,
    },
    #[error("migration {version} ({name}) failed: {source}")]
    Failed {
        version: u32,
        name: &'static str,
        source: rusqlite::Error,
    },
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
}

/// The `.sql` files of a migrations folder, sorted, and the names a list embeds as files:
/// each store's tests compare the two so no migration file is forgotten.
pub fn folder_and_embedded(
    dir: &std::path::Path,
    migrations: &[Migration],
) -> (Vec<String>, Vec<String>) {
    let mut files: Vec<String> = std::fs::read_dir(dir)
        .map(|d| {
            d.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.ends_with(".sql"))
                .collect()
        })
        .unwrap_or_default();
    files.sort();
    let embedded = migrations
        .iter()
        .map(|m| format!("{}.sql", m.name))
        .collect();
    (files, embedded)
}

/// Applies the migrations the database lacks; returns how many ran.
pub fn run(conn: &mut Connection, migrations: &[Migration]) -> Result<usize, MigrateError> {
    debug_assert!(
        migrations
            .windows(2)
            .all(|w| w[1].version == w[0].version + 1),
        "migrations must be numbered 1, 2, 3, …"
    );
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
             version    INTEGER PRIMARY KEY,
             name       TEXT NOT NULL,
             applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now'))
         ) STRICT;",
    )?;
    let known = migrations.last().map_or(0, |m| m.version);
    let newest: Option<u32> = conn
        .query_row("SELECT max(version) FROM schema_migrations", [], |r| {
            r.get(0)
        })
        .optional()?
        .flatten();
    if let Some(found) = newest.filter(|&v| v > known) {
        return Err(MigrateError::Newer { found, known });
    }
    let mut ran = 0;
    for m in migrations {
        let recorded: Option<String> = conn
            .query_row(
                "SELECT name FROM schema_migrations WHERE version = ?1",
                [m.version],
                |r| r.get(0),
            )
            .optional()?;
        match recorded {
            Some(name) if name == m.name => continue,
            Some(name) => {
                return Err(MigrateError::Mismatch {
                    version: m.version,
                    recorded: name,
                    expected: m.name.to_string(),
                });
            }
            None => {}
        }
        let tx = conn.transaction()?;
        tx.execute_batch(m.sql)
            .map_err(|source| MigrateError::Failed {
                version: m.version,
                name: m.name,
                source,
            })?;
        tx.execute(
            "INSERT INTO schema_migrations (version, name) VALUES (?1, ?2)",
            params![m.version, m.name],
        )?;
        tx.commit()?;
        tracing::info!(version = m.version, name = m.name, "applied migration");
        ran += 1;
    }
    Ok(ran)
}

#[cfg(test)]
mod tests {
    use super::*;

    const V1: Migration = Migration {
        version: 1,
        name: "0001_t",
        sql: "CREATE TABLE t (a INTEGER);",
    };
    const V2: Migration = Migration {
        version: 2,
        name: "0002_u",
        sql: "ALTER TABLE t ADD COLUMN b TEXT;",
    };

    #[test]
    fn migrates_empty_then_old_database_keeping_rows() {
        let mut c = Connection::open_in_memory().unwrap();
        assert_eq!(run(&mut c, &[V1]).unwrap(), 1);
        c.execute("INSERT INTO t (a) VALUES (7)", []).unwrap();
        assert_eq!(run(&mut c, &[V1, V2]).unwrap(), 1);
        assert_eq!(run(&mut c, &[V1, V2]).unwrap(), 0);
        let row: (i64, Option<String>) = c
            .query_row("SELECT a, b FROM t", [], |r| Ok((r.get(0)?, r.get(1)?)))
            .unwrap();
        assert_eq!(row, (7, None));
    }

    #[test]
    fn refuses_newer_and_renamed_migrations() {
        let mut c = Connection::open_in_memory().unwrap();
        run(&mut c, &[V1, V2]).unwrap();
        assert!(matches!(
            run(&mut c, &[V1]),
            Err(MigrateError::Newer { found: 2, known: 1 })
        ));
        let renamed = Migration {
            name: "0002_other",
            ..V2
        };
        assert!(matches!(
            run(&mut c, &[V1, renamed]),
            Err(MigrateError::Mismatch { version: 2, .. })
        ));
    }

    #[test]
    fn failed_migration_leaves_nothing_half_applied() {
        let mut c = Connection::open_in_memory().unwrap();
        let bad = Migration {
            version: 2,
            name: "0002_bad",
            sql: "CREATE TABLE v (x); CREATE TABLE t (dup);",
        };
        assert!(matches!(
            run(&mut c, &[V1, bad]),
            Err(MigrateError::Failed { version: 2, .. })
        ));
        let tables: i64 = c
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE name = 'v'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(tables, 0);
    }
}
