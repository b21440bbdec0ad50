//! The hub's backups in SQL: hub.db copied whole while the hub serves (SQLite's online backup),
//! and the epoch, the name of this database's history that a restore replaces, so desks learn
//! that the hub forgot what they sent after the backup.

use std::path::Path;

use chrono::{DateTime, Utc};
use onewindow_domain::time::stamp as ts;

use crate::db::OptionalExtension;
use crate::store::{HubStore, HubStoreError, Result};
use crate::store_keys::{default_key_file, key_file};

/// 32 hex digits from the OS's random source.
fn new_epoch() -> String {
    let mut b = [0u8; 16];
    getrandom::fill(&mut b).expect("the OS random source works");
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// What the hub holds of one device's history: the last op (by the desk's sequence) and the
/// last audit record it recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeviceHeads {
    pub last_device_seq: i64,
    pub audit_seq: i64,
}

impl HubStore {
    /// This database's epoch, made (at random) the first time it is asked for.
    pub fn epoch(&mut self, now: DateTime<Utc>) -> Result<String> {
        let tx = self.conn.transaction()?;
        tx.execute(
            "INSERT INTO hub_epoch (id, epoch, started_at) VALUES (1, ?1, ?2)
             ON CONFLICT (id) DO NOTHING",
            crate::db::params![new_epoch(), ts(now)],
        )?;
        let epoch: String =
            tx.query_row("SELECT epoch FROM hub_epoch WHERE id = 1", (), |r| r.get(0))?;
        tx.commit()?;
        Ok(epoch)
    }

    /// Starts a new epoch: the database was restored from the backup made at `backup_made`.
    /// Each stream's head now (the backup's) is kept with it: what desks are told to go back
    /// to, however far the hub has numbered on by the time they ask.
    pub fn begin_epoch(&mut self, backup_made: &str, now: DateTime<Utc>) -> Result<String> {
        let epoch = new_epoch();
        let heads: std::collections::BTreeMap<String, i64> =
            self.stream_heads()?.into_iter().collect();
        let heads = serde_json::to_string(&heads).expect("heads serialise");
        let tx = self.conn.transaction()?;
        tx.execute(
            "INSERT INTO hub_epoch (id, epoch, started_at, restored_from, restored_heads)
             VALUES (1, ?1, ?2, ?3, ?4)
             ON CONFLICT (id) DO UPDATE SET epoch = excluded.epoch,
               started_at = excluded.started_at, restored_from = excluded.restored_from,
               restored_heads = excluded.restored_heads",
            crate::db::params![epoch, ts(now), backup_made, heads],
        )?;
        tx.commit()?;
        Ok(epoch)
    }

    /// When this database was restored, the backup's time and its streams' heads then (none
    /// for a database never restored).
    pub fn restored(&self) -> Result<Option<(String, std::collections::BTreeMap<String, i64>)>> {
        let row: Option<(Option<String>, Option<String>)> = self
            .conn
            .query_row(
                "SELECT restored_from, restored_heads FROM hub_epoch WHERE id = 1",
                (),
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        Ok(match row {
            Some((Some(from), heads)) => Some((
                from,
                heads
                    .and_then(|h| serde_json::from_str(&h).ok())
                    .unwrap_or_default(),
            )),
            _ => None,
        })
    }

    /// The last change of each pull stream (the names the desks keep their cursors under).
    pub fn stream_heads(&self) -> Result<Vec<(String, i64)>> {
        let mut out = Vec::new();
        for (stream, table) in [
            ("catalog", "catalog_change"),
            ("calendar", "calendar_change"),
            ("queue_config", "queue_config_change"),
            ("results", "case_result"),
        ] {
            let head: i64 = self.conn.query_row(
                &format!("SELECT coalesce(max(seq), 0) FROM {table}"),
                (),
                |r| r.get(0),
            )?;
            out.push((stream.to_string(), head));
        }
        Ok(out)
    }

    /// The device's heads as this database has them (0 for none).
    pub fn device_heads(&self, device: &str) -> Result<DeviceHeads> {
        let last_device_seq: Option<i64> = self.conn.query_row(
            "SELECT max(device_seq) FROM applied_op WHERE device_id = ?1",
            [device],
            |r| r.get(0),
        )?;
        let audit_seq: Option<i64> = self
            .conn
            .query_row(
                "SELECT seq FROM audit_anchor WHERE device_id = ?1",
                [device],
                |r| r.get(0),
            )
            .optional()?;
        Ok(DeviceHeads {
            last_device_seq: last_device_seq.unwrap_or(0),
            audit_seq: audit_seq.unwrap_or(0),
        })
    }
}

/// Copies `DATA/hub.db` to `to` (a new file, encrypted with the same key) in one step of
/// SQLite's online backup: a consistent copy of one moment, taken under a read lock that the
/// hub's writers (WAL) do not wait behind. The key is read, never made.
pub fn backup_sqlite(data: &Path, key: Option<&Path>, to: &Path) -> Result<()> {
    let key = read_db_key(data, key)?;
    let at_rest = |e: rusqlite::Error| HubStoreError::AtRest(e.to_string());
    let source = onewindow_store::keyed_connection(&data.join("hub.db"), &key)
        .map_err(|e| HubStoreError::AtRest(e.to_string()))?;
    // Fails here, not half-way, when the key does not open the database.
    source
        .query_row("SELECT count(*) FROM sqlite_master", (), |r| {
            r.get::<_, i64>(0)
        })
        .map_err(at_rest)?;
    let mut copy = onewindow_store::keyed_connection(to, &key)
        .map_err(|e| HubStoreError::AtRest(e.to_string()))?;
    {
        use rusqlite::backup::{Backup, StepResult};
        let backup = Backup::new(&source, &mut copy).map_err(at_rest)?;
        // Every page in one step (a copy of one moment); a lock held for a moment is waited
        // out, for at most half a minute.
        let mut waited = 0;
        loop {
            match backup.step(-1).map_err(at_rest)? {
                StepResult::Done => break,
                StepResult::More | StepResult::Busy | StepResult::Locked if waited < 300 => {
                    waited += 1;
                    std::thread::sleep(std::time::Duration::from_millis(100));
                }
                other => {
                    return Err(HubStoreError::BadInput(format!(
                        "hub.db could not be copied: the database stayed busy ({other:?})"
                    )));
                }
            }
        }
    }
    let ok: String = copy
        .query_row("PRAGMA integrity_check", (), |r| r.get(0))
        .map_err(at_rest)?;
    if ok != "ok" {
        return Err(HubStoreError::BadInput(format!(
            "the copy of hub.db fails its integrity check: {ok}"
        )));
    }
    Ok(())
}

/// The database key `backup` and `restore` use: `--key-file`, `ONEWINDOW_HUB_KEY_FILE`, or
/// `DATA/keys/hub.key`. Never made here: a missing key is an error that names where it looked.
pub fn read_db_key(data: &Path, named: Option<&Path>) -> Result<[u8; 32]> {
    let file = key_file(data, named);
    if !file.exists() {
        return Err(HubStoreError::BadInput(format!(
            "no database key at {} (the default is {})",
            file.display(),
            default_key_file(data).display()
        )));
    }
    crate::store_keys::load_or_make_db_key(data, &file)
}
