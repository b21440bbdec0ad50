//! Blobs (scans and result files) received in chunks: each device uploads into a partial file
//! of its own, the whole is checked against its SHA-256 before it counts, and the bytes are kept
//! once however many devices sent them.

use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use crate::db::{OptionalExtension, params};
use chrono::{DateTime, Utc};
use onewindow_domain::time::stamp as ts;
use onewindow_intake::Seal;
use onewindow_proto::{BlobState, is_sha256};
use sha2::{Digest, Sha256};

use crate::store::{HubStore, HubStoreError, Result};

/// The largest blob the hub accepts (a scanned material; the desk refuses more than 50 MB).
pub const MAX_BLOB: u64 = 200 * 1024 * 1024;

/// Where blob files live under the hub's data folder, and the key they are sealed with: a
/// complete blob is stored sealed (`onewindow_intake::seal`, a key of its own per file derived
/// from the hub's key, as on the desk); uploads in progress stay in the hub's private
/// `partial/` until their hash is checked.
#[derive(Debug, Clone)]
pub struct BlobDir {
    root: PathBuf,
    seal: Seal,
}

impl BlobDir {
    /// Blobs under `root`, sealed under a key derived from the hub's 32-byte database key.
    pub fn new(root: PathBuf, hub_key: &[u8; 32]) -> BlobDir {
        BlobDir {
            root,
            seal: Seal::from_cache_key(hub_key),
        }
    }

    /// The blobs of the hub data folder `data`, under the key `key_file` (or the default one)
    /// holds.
    pub fn open(data: &Path, key_file: Option<&Path>) -> Result<BlobDir> {
        Self::open_in(data, key_file, None)
    }

    /// [`BlobDir::open`], the blobs in `blobs` when given (`serve --blobs DIR`: one folder the
    /// county's hub processes share, e.g. a network mount) instead of `DATA/blobs`.
    pub fn open_in(data: &Path, key_file: Option<&Path>, blobs: Option<&Path>) -> Result<BlobDir> {
        use crate::store_keys::{key_file as resolve, load_or_make_db_key, private_dir};
        let key = load_or_make_db_key(data, &resolve(data, key_file))?;
        let root = blobs.map_or_else(|| data.join("blobs"), Path::to_path_buf);
        private_dir(&root)?;
        Ok(BlobDir::new(root, &key))
    }

    /// Takes `device`'s upload of `sha` for one request, or `None` while another request has
    /// it — in this process or any other hub process sharing the folder: the lease is an
    /// exclusive lock (`flock`; on a network mount the client maps it to the server's locks)
    /// on a lock file beside the partial file, released when the lease drops, also when the
    /// process dies.
    pub fn take_upload(&self, device: &str, sha: &str) -> Result<Option<UploadLease>> {
        let path = self.partial(device, sha).with_extension("lock");
        std::fs::create_dir_all(path.parent().expect("has a parent"))?;
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)?;
        match file.try_lock() {
            Ok(()) => Ok(Some(UploadLease { file, path })),
            Err(std::fs::TryLockError::WouldBlock) => Ok(None),
            Err(std::fs::TryLockError::Error(e)) => Err(e.into()),
        }
    }

    /// The folder itself.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// A complete blob's bytes, unsealed (a blob stored before sealing reads as it is).
    pub fn read(&self, sha: &str) -> std::io::Result<Vec<u8>> {
        let bytes = std::fs::read(self.path(sha))?;
        if onewindow_intake::seal::is_sealed(&bytes) {
            self.seal.open(&bytes)
        } else {
            Ok(bytes)
        }
    }

    /// Seals the complete blobs an earlier version stored in plaintext, each whole or not at
    /// all; uploads in progress (`partial/`) are left as they are. How many were sealed.
    pub fn seal_legacy(&self) -> std::io::Result<usize> {
        let mut sealed = 0;
        let Ok(entries) = std::fs::read_dir(&self.root) else {
            return Ok(0);
        };
        for e in entries {
            let e = e?;
            if e.file_type()?.is_dir() && e.file_name() != "partial" {
                sealed += onewindow_intake::seal::seal_legacy_files(&self.seal, &e.path())?.sealed;
            }
        }
        Ok(sealed)
    }

    /// Where `device`'s upload of `sha` grows: each device uploads the bytes it references
    /// itself, so two devices' uploads of one blob never share a file.
    pub(crate) fn partial(&self, device: &str, sha: &str) -> PathBuf {
        self.root
            .join("partial")
            .join(device)
            .join(format!("{sha}.part"))
    }

    pub fn path(&self, sha: &str) -> PathBuf {
        self.root.join(&sha[..2]).join(&sha[2..])
    }
}

/// One request's hold on a device's upload of a blob ([`BlobDir::take_upload`]).
#[derive(Debug)]
pub struct UploadLease {
    file: std::fs::File,
    path: PathBuf,
}

impl UploadLease {
    /// The upload is complete and recorded: its lock file goes too (still held, so a request
    /// that opened it before sees the upload complete in the store and writes nothing).
    pub fn finish(self) {
        let _ = std::fs::remove_file(&self.path);
        drop(self.file);
    }
}

/// What step two of a chunk did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChunkWritten {
    Partial,
    /// The whole blob is there, its SHA-256 checked and the file in its final place.
    Complete,
}

/// Step two of a chunk, outside the store's lock (the server lets one request at a time work
/// on a device's upload of a blob): writes and fsyncs the bytes at `offset` of the device's
/// partial file; after the last chunk checks the SHA-256 of the whole and moves the file into
/// place — or, when another device's upload of the same bytes is there already, drops it (the
/// bytes are kept once) — or removes it on a mismatch. Bytes past `offset` (a crash after
/// writing, before recording) are cut first.
pub fn write_blob_chunk(
    dir: &BlobDir,
    device: &str,
    sha: &str,
    offset: u64,
    size: u64,
    bytes: &[u8],
) -> Result<ChunkWritten> {
    let partial = dir.partial(device, sha);
    std::fs::create_dir_all(partial.parent().expect("has a parent"))?;
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .read(true)
        .open(&partial)?;
    f.set_len(offset)?;
    f.seek(SeekFrom::Start(offset))?;
    if offset > 0 && std::env::var("ONEWINDOW_FAILPOINT").is_ok_and(|v| v == "blob.mid_write") {
        // Crash-test hook: half the chunk reaches the disk, then the power goes.
        f.write_all(&bytes[..bytes.len() / 2])?;
        f.sync_all()?;
        eprintln!("failpoint blob.mid_write: aborting");
        std::process::abort();
    }
    f.write_all(bytes)?;
    f.sync_all()?;
    if offset + (bytes.len() as u64) < size {
        return Ok(ChunkWritten::Partial);
    }
    f.seek(SeekFrom::Start(0))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = f.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    drop(f);
    if format!("{:x}", hasher.finalize()) != sha {
        std::fs::remove_file(&partial)?;
        return Err(HubStoreError::BlobMismatch(sha.into()));
    }
    let final_path = dir.path(sha);
    if final_path.exists() {
        // Another device uploaded the same bytes: this device proved it has them too.
        std::fs::remove_file(&partial)?;
        return Ok(ChunkWritten::Complete);
    }
    std::fs::create_dir_all(final_path.parent().expect("has a parent"))?;
    // Sealed into its place (a sealed copy beside it, synced, renamed), then the plaintext goes.
    dir.seal
        .write_file_from(&final_path, &mut std::fs::File::open(&partial)?)?;
    std::fs::remove_file(&partial)?;
    // The rename must survive a power cut before the blob is recorded as complete.
    #[cfg(unix)]
    std::fs::File::open(final_path.parent().expect("has a parent"))?.sync_all()?;
    Ok(ChunkWritten::Complete)
}

/// The blob folder of a hub data folder, under its default key (tools and tests; `serve` opens
/// it with its key file).
pub fn blob_dir(data: &Path) -> BlobDir {
    BlobDir::open(data, None).expect("the hub's data folder and key")
}

impl HubStore {
    /// How much of blob `sha` the hub has from `device` (another device's upload of the same
    /// bytes does not count: a device learns nothing of blobs it did not send).
    pub fn blob_state(&self, device: &str, sha: &str) -> Result<BlobState> {
        Ok(self
            .conn
            .query_row(
                "SELECT received, complete FROM blob_upload WHERE device_id = ?1 AND sha256 = ?2",
                params![device, sha],
                |r| {
                    Ok(BlobState {
                        offset: r.get::<_, i64>(0)? as u64,
                        complete: r.get(1)?,
                    })
                },
            )
            .optional()?
            .unwrap_or(BlobState {
                offset: 0,
                complete: false,
            }))
    }

    /// Takes `bytes` at `offset` of blob `sha` (whole size `size`). The offset must be the one
    /// the hub reports; the last chunk is checked against the SHA-256 before the blob counts,
    /// and a mismatch discards the received bytes (nothing half-stored stays). The server does
    /// the same in three steps so the file work runs outside the store's lock.
    #[allow(clippy::too_many_arguments)]
    pub fn write_chunk(
        &mut self,
        dir: &BlobDir,
        device: &str,
        sha: &str,
        offset: u64,
        size: u64,
        bytes: &[u8],
        now: DateTime<Utc>,
    ) -> Result<BlobState> {
        if let Some(done) = self.blob_chunk_check(device, sha, offset, size, bytes.len() as u64)? {
            return Ok(done);
        }
        let written = write_blob_chunk(dir, device, sha, offset, size, bytes);
        self.blob_chunk_record(device, sha, offset, size, bytes.len() as u64, written, now)
    }

    /// Step one of a chunk, under the lock: checks the id, the size and the offset. `Some` when
    /// the blob is already complete (nothing to write).
    pub fn blob_chunk_check(
        &self,
        device: &str,
        sha: &str,
        offset: u64,
        size: u64,
        len: u64,
    ) -> Result<Option<BlobState>> {
        if !is_sha256(sha) {
            return Err(HubStoreError::BadInput(
                "blob id must be a lowercase hex SHA-256".into(),
            ));
        }
        if size == 0 || size > MAX_BLOB {
            return Err(HubStoreError::BadInput(format!(
                "blob size must be 1..={MAX_BLOB} bytes"
            )));
        }
        let state = self.blob_state(device, sha)?;
        if state.complete {
            return Ok(Some(state));
        }
        if offset != state.offset {
            return Err(HubStoreError::BlobOffset {
                sha256: sha.into(),
                expected: state.offset,
                got: offset,
            });
        }
        if offset + len > size {
            return Err(HubStoreError::BadInput(
                "chunk goes past the blob's size".into(),
            ));
        }
        Ok(None)
    }

    /// Step three, under the lock: records what [`write_blob_chunk`] did. A mismatching blob's
    /// row goes with its bytes.
    #[allow(clippy::too_many_arguments)]
    pub fn blob_chunk_record(
        &mut self,
        device: &str,
        sha: &str,
        offset: u64,
        size: u64,
        len: u64,
        written: Result<ChunkWritten>,
        now: DateTime<Utc>,
    ) -> Result<BlobState> {
        let received = offset + len;
        let upload = |conn: &crate::db::Conn, received: u64, complete: bool| {
            conn.execute(
                "INSERT INTO blob_upload (device_id, sha256, size, received, complete, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT(device_id, sha256) DO UPDATE SET size = excluded.size,
                   received = excluded.received, complete = excluded.complete,
                   updated_at = excluded.updated_at",
                params![device, sha, size as i64, received as i64, complete, ts(now)],
            )
        };
        match written {
            Err(HubStoreError::BlobMismatch(s)) => {
                self.conn.execute(
                    "DELETE FROM blob_upload WHERE device_id = ?1 AND sha256 = ?2",
                    params![device, sha],
                )?;
                Err(HubStoreError::BlobMismatch(s))
            }
            Err(e) => Err(e),
            Ok(ChunkWritten::Partial) => {
                upload(&self.conn, received, false)?;
                Ok(BlobState {
                    offset: received,
                    complete: false,
                })
            }
            Ok(ChunkWritten::Complete) => {
                let tx = self.conn.transaction()?;
                upload(&tx, size, true)?;
                tx.execute(
                    "INSERT INTO blob (sha256, size, received, complete, updated_at) VALUES (?1, ?2, ?2, 1, ?3)
                     ON CONFLICT(sha256) DO UPDATE SET size = excluded.size, received = excluded.received,
                       complete = 1, updated_at = excluded.updated_at",
                    params![sha, size as i64, ts(now)],
                )?;
                tx.commit()?;
                Ok(BlobState {
                    offset: size,
                    complete: true,
                })
            }
        }
    }

    /// Every complete blob with its size, for checks.
    pub fn complete_blobs(&self) -> Result<Vec<(String, u64)>> {
        let mut q = self
            .conn
            .prepare("SELECT sha256, size FROM blob WHERE complete = 1 ORDER BY sha256")?;
        let rows = q.query_map((), |r| Ok((r.get(0)?, r.get::<_, i64>(1)? as u64)))?;
        Ok(rows.collect::<crate::db::DbResult<_>>()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_upload_is_taken_by_one_request_at_a_time_and_free_again_after() {
        let dir = tempfile::tempdir().unwrap();
        let blobs = BlobDir::new(dir.path().join("blobs"), &[7u8; 32]);
        let sha = "ab".repeat(32);
        let first = blobs.take_upload("dev-1", &sha).unwrap().expect("free");
        // Another open of the lock file (as another process's would be) cannot take it.
        assert!(blobs.take_upload("dev-1", &sha).unwrap().is_none());
        // Another device's upload of the same bytes is its own.
        let other = blobs.take_upload("dev-2", &sha).unwrap().expect("free");
        drop(first);
        let again = blobs.take_upload("dev-1", &sha).unwrap().expect("released");
        again.finish();
        assert!(!blobs.partial("dev-1", &sha).with_extension("lock").exists());
        drop(other);
    }
}
