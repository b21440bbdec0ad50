//! `onewindow-hub backup` and `restore`.
//!
//! A backup is one tar file: `hub.db` copied by SQLite's online backup while the hub serves
//! (still encrypted with the hub's key), the blob folder's sealed files (scans and result
//! files, encrypted with a key derived from the same key), the desks' APT repository
//! (`apt/`, public: what `publish-desk` published, so desks go on updating from a restored hub),
//! and `onewindow-backup.json`, the manifest with every file's SHA-256. The keys are not in it
//! (`keys/`, `audit-key`, `tls/`, `apt-gpg/`), so a stolen backup cannot be read or sign
//! anything: they are copied once, kept apart, and given back to `restore --keys DIR`. On
//! PostgreSQL the database is the database's own tools' to back up (pg_dump); the command
//! backs up the files only, and says so.
//!
//! A restore starts a new epoch (`onewindow_proto::EPOCH_HEADER`): desks see that the hub
//! forgot what they sent after the backup, send it again and follow their streams from where
//! the hub is.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::cli::{database, init_logging};
use crate::clock::Clock;

const MANIFEST: &str = "onewindow-backup.json";
const FORMAT: &str = "onewindow-hub-backup";
/// 2 added `apt/`; a backup of version 1 restores as it did.
const VERSION: u32 = 2;
/// The folder of uploads in progress inside the blob folder: not part of a backup.
const PARTIAL: &str = "partial";

#[derive(Debug, clap::Args)]
pub struct BackupArgs {
    #[arg(long)]
    pub data: PathBuf,
    /// The backup file to write (refused if it exists).
    #[arg(long)]
    pub out: PathBuf,
    /// hub.db's key, if it is not DATA/keys/hub.key (as for `serve`).
    #[arg(long = "key-file")]
    pub key_file: Option<PathBuf>,
    /// The blob folder, if it is not DATA/blobs (as for `serve --blobs`).
    #[arg(long)]
    pub blobs: Option<PathBuf>,
}

#[derive(Debug, clap::Args)]
pub struct RestoreArgs {
    /// A file `backup` wrote.
    #[arg(long)]
    pub from: PathBuf,
    /// The data folder to restore into: new, or holding only the keys.
    #[arg(long)]
    pub data: PathBuf,
    /// A folder laid out as a data folder holding the hub's keys (keys/hub.key, audit-key,
    /// tls/, apt-gpg/): the old data folder, or where its keys were kept; copied into DATA.
    #[arg(long)]
    pub keys: Option<PathBuf>,
    /// hub.db's key, if it is kept outside the data folder (as for `serve`).
    #[arg(long = "key-file")]
    pub key_file: Option<PathBuf>,
    /// The blob folder, if it is not DATA/blobs (as for `serve --blobs`).
    #[arg(long)]
    pub blobs: Option<PathBuf>,
}

#[derive(Debug, Serialize, Deserialize)]
struct Manifest {
    format: String,
    version: u32,
    made_at: String,
    /// `sqlite` (hub.db inside) or `postgres` (blobs only).
    engine: String,
    /// The hub's epoch when the backup was made.
    epoch: String,
    files: Vec<FileEntry>,
}

#[derive(Debug, Serialize, Deserialize)]
struct FileEntry {
    path: String,
    size: u64,
    sha256: String,
}

/// An administrative command's failure: its exit code (2: the caller's to fix; 1: the hub's)
/// and what to say, in Chinese.
pub(crate) type Failed = (ExitCode, String);

pub(crate) fn bad(message: String) -> Failed {
    (ExitCode::from(2), message)
}

pub(crate) fn failed(message: String) -> Failed {
    (ExitCode::from(1), message)
}

/// Says a failure on stderr and in the log; the command's exit code.
pub(crate) fn finish(result: Result<(), Failed>, what: &str) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err((code, message)) => {
            eprintln!("{message}");
            tracing::error!(message = %message, "{what} failed");
            code
        }
    }
}

pub fn backup(args: BackupArgs) -> ExitCode {
    let _guard = init_logging(&args.data);
    finish(run_backup(&args), "backup")
}

pub fn restore(args: RestoreArgs) -> ExitCode {
    let _guard = init_logging(&args.data);
    finish(run_restore(&args), "restore")
}

fn hex(digest: &[u8]) -> String {
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// A reader that hashes what passes through it.
struct Hashing<R> {
    inner: R,
    hash: Sha256,
}

impl<R: Read> Read for Hashing<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hash.update(&buf[..n]);
        Ok(n)
    }
}

/// Whether `name` (an archive entry's path, `/`-separated) is one a backup holds: the
/// manifest, `hub.db`, a file under `blobs/` whose every part is plain (letters, digits,
/// `.`, `-`, `_`; no `..`, no backslash, nothing hidden), or one under `apt/` named as
/// publish-desk names its files.
fn expected_entry(name: &str) -> bool {
    let plain = |part: &str| {
        !part.is_empty()
            && !part.starts_with('.')
            && part
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-' || b == b'_')
    };
    name == MANIFEST
        || name == "hub.db"
        || name
            .strip_prefix("blobs/")
            .is_some_and(|rest| rest.split('/').all(plain))
        || name
            .strip_prefix("apt/")
            .is_some_and(|rest| rest.split('/').all(crate::apt::plain_part))
}

/// Every file under `root` (but the blobs' uploads in progress and hidden files: a file
/// being sealed or written), as paths relative to it, sorted.
fn files_under(root: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    if !root.exists() {
        return Ok(out);
    }
    let mut dirs = vec![root.to_path_buf()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir)? {
            let entry = entry?;
            let path = entry.path();
            let rel = path.strip_prefix(root).expect("under root").to_path_buf();
            // Uploads in progress, and files being sealed (`.NAME.sealing`, renamed when whole).
            if rel == Path::new(PARTIAL) || entry.file_name().to_string_lossy().starts_with('.') {
                continue;
            }
            if entry.file_type()?.is_dir() {
                dirs.push(path);
            } else if entry.file_type()?.is_file() {
                out.push(rel);
            }
        }
    }
    out.sort();
    Ok(out)
}

type Archive = tar::Builder<std::io::BufWriter<std::fs::File>>;

fn append(tar: &mut Archive, name: &str, bytes: &[u8]) -> std::io::Result<()> {
    let mut header = tar::Header::new_gnu();
    header.set_size(bytes.len() as u64);
    header.set_mode(0o600);
    header.set_cksum();
    tar.append_data(&mut header, name, bytes)
}

/// Streams the file at `path` into the archive as `name`; its entry for the manifest, or
/// none when the file went away meanwhile (a blob replaced by its sealed copy).
fn append_file(tar: &mut Archive, name: &str, path: &Path) -> std::io::Result<Option<FileEntry>> {
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    let size = file.metadata()?.len();
    let mut header = tar::Header::new_gnu();
    header.set_size(size);
    header.set_mode(0o600);
    header.set_cksum();
    let mut reader = Hashing {
        inner: file.take(size),
        hash: Sha256::new(),
    };
    tar.append_data(&mut header, name, &mut reader)?;
    Ok(Some(FileEntry {
        path: name.into(),
        size,
        sha256: hex(&reader.hash.finalize()),
    }))
}

fn run_backup(args: &BackupArgs) -> Result<(), Failed> {
    if args.out.exists() {
        return Err(bad(format!(
            "备份文件 {} 已存在：不覆盖，请换一个文件名",
            args.out.display()
        )));
    }
    let postgres = database().is_some();
    if !postgres && !args.data.join("hub.db").exists() {
        return Err(bad(format!(
            "{} 中没有 hub.db：请给出中心的数据目录（--data）",
            args.data.display()
        )));
    }
    let mut store = onewindow_hub_store::store::HubStore::connect(
        &args.data,
        args.key_file.as_deref(),
        database(),
    )
    .map_err(|e| failed(format!("无法打开中心数据库：{e}")))?;
    let epoch = store
        .epoch(Clock::system().now())
        .map_err(|e| failed(format!("无法读取中心数据库：{e}")))?;
    drop(store);
    let made_at = Clock::system().now().to_rfc3339();
    let partial = args.out.with_extension("partial");
    let result = (|| -> Result<Manifest, Failed> {
        // Only its owner reads it: it is encrypted, but nobody else needs it.
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let file = options
            .open(&partial)
            .map_err(|e| bad(format!("无法写入 {}：{e}", partial.display())))?;
        let io = |e: std::io::Error| failed(format!("写入备份 {} 失败：{e}", partial.display()));
        let mut tar = tar::Builder::new(std::io::BufWriter::new(file));
        let mut files = Vec::new();
        if !postgres {
            // One moment of hub.db, while the hub goes on serving.
            let dir = tempfile::Builder::new()
                .prefix(".backup-")
                .tempdir_in(
                    args.out
                        .parent()
                        .filter(|p| !p.as_os_str().is_empty())
                        .unwrap_or(Path::new(".")),
                )
                .map_err(io)?;
            let copy = dir.path().join("hub.db");
            onewindow_hub_store::store_backup::backup_sqlite(
                &args.data,
                args.key_file.as_deref(),
                &copy,
            )
            .map_err(|e| failed(format!("无法复制 hub.db：{e}")))?;
            let entry = append_file(&mut tar, "hub.db", &copy)
                .map_err(io)?
                .ok_or_else(|| failed("the copy of hub.db went away".into()))?;
            files.push(entry);
        }
        // The blobs the copy names were sealed before their rows were written, and are never
        // changed: taken after the copy, every one it names is here (and maybe a few newer).
        let root = args
            .blobs
            .clone()
            .unwrap_or_else(|| args.data.join("blobs"));
        let apt = args.data.join(crate::apt::APT_DIR);
        for (prefix, root) in [("blobs", &root), ("apt", &apt)] {
            for rel in files_under(root).map_err(io)? {
                let name = format!(
                    "{prefix}/{}",
                    rel.components()
                        .map(|c| c.as_os_str().to_string_lossy())
                        .collect::<Vec<_>>()
                        .join("/")
                );
                if let Some(entry) = append_file(&mut tar, &name, &root.join(&rel)).map_err(io)? {
                    files.push(entry);
                }
            }
        }
        let manifest = Manifest {
            format: FORMAT.into(),
            version: VERSION,
            made_at: made_at.clone(),
            engine: if postgres { "postgres" } else { "sqlite" }.into(),
            epoch,
            files,
        };
        let json = serde_json::to_vec_pretty(&manifest).expect("a manifest serialises");
        append(&mut tar, MANIFEST, &json).map_err(io)?;
        let mut w = tar.into_inner().map_err(io)?;
        w.flush().map_err(io)?;
        w.get_ref().sync_all().map_err(io)?;
        Ok(manifest)
    })();
    let manifest = match result {
        Ok(m) => m,
        Err(e) => {
            let _ = std::fs::remove_file(&partial);
            return Err(e);
        }
    };
    std::fs::rename(&partial, &args.out)
        .map_err(|e| failed(format!("无法写入 {}：{e}", args.out.display())))?;
    let blobs = manifest
        .files
        .iter()
        .filter(|f| f.path.starts_with("blobs/"))
        .count();
    tracing::info!(file = %args.out.display(), blobs, engine = %manifest.engine, "backup made");
    if postgres {
        println!(
            "中心数据库在 PostgreSQL 上：本命令只备份了文件（{blobs} 个），数据库请用 PostgreSQL 自己的工具（pg_dump）备份。"
        );
    } else {
        println!("已备份 hub.db 和 {blobs} 个文件：{}", args.out.display());
    }
    let apt = manifest
        .files
        .iter()
        .filter(|f| f.path.starts_with("apt/"))
        .count();
    if apt > 0 {
        println!("另含窗口程序软件源（apt/，{apt} 个文件）。");
    }
    println!(
        "备份内不含密钥（keys/hub.key、audit-key、tls/、apt-gpg/）：它们只需保存一次，与备份分开存放；恢复时用 restore --keys 目录 交还。"
    );
    Ok(())
}

/// Copies the keys found in `from` (laid out as a data folder) into `data`, each the hub's
/// alone; a key already in `data` must be the same.
fn copy_keys(from: &Path, data: &Path) -> Result<usize, Failed> {
    use onewindow_hub_store::store_keys::{private_dir, private_file};
    let mut copied = 0;
    let names =
        key_files(from).map_err(|e| bad(format!("无法读取密钥目录 {}：{e}", from.display())))?;
    for rel in &names {
        let src = from.join(rel);
        if !src.is_file() {
            continue;
        }
        let dst = data.join(rel);
        let bytes =
            std::fs::read(&src).map_err(|e| bad(format!("无法读取密钥 {}：{e}", src.display())))?;
        if dst.exists() {
            if std::fs::read(&dst).ok().as_deref() != Some(bytes.as_slice()) {
                return Err(bad(format!("数据目录已有不同的 {}：不覆盖", dst.display())));
            }
            continue;
        }
        let parent = dst.parent().expect("a key's folder");
        private_dir(parent).map_err(|e| failed(e.to_string()))?;
        std::fs::write(&dst, &bytes).map_err(|e| failed(format!("{}：{e}", dst.display())))?;
        private_file(&dst).map_err(|e| failed(e.to_string()))?;
        copied += 1;
    }
    Ok(copied)
}

/// The key files under `from` (laid out as a data folder): the fixed ones, then gpg's home
/// of the desks' repository signing key, every regular file in it (not gpg's locks, sockets
/// or its agent's leftovers).
fn key_files(from: &Path) -> std::io::Result<Vec<String>> {
    let mut out: Vec<String> = ["keys/hub.key", "audit-key", "tls/key.pem", "tls/cert.pem"]
        .into_iter()
        .map(String::from)
        .collect();
    for rel in files_under(&from.join(crate::apt::GPG_DIR))? {
        let name = rel.to_string_lossy().into_owned();
        if !name.ends_with(".lock") {
            out.push(format!("{}/{name}", crate::apt::GPG_DIR));
        }
    }
    Ok(out)
}

fn run_restore(args: &RestoreArgs) -> Result<(), Failed> {
    let postgres = database().is_some();
    let data = &args.data;
    let blob_root = args.blobs.clone().unwrap_or_else(|| data.join("blobs"));
    if data.join("hub.db").exists() {
        return Err(bad(format!(
            "{} 已有 hub.db：恢复只写入新的数据目录，不覆盖已有数据",
            data.display()
        )));
    }
    if files_under(&blob_root)
        .map(|f| !f.is_empty())
        .unwrap_or(false)
    {
        return Err(bad(format!(
            "文件目录 {} 不是空的：恢复只写入新的目录，不覆盖已有文件",
            blob_root.display()
        )));
    }
    let apt_root = data.join(crate::apt::APT_DIR);
    if apt_root.exists() {
        return Err(bad(format!(
            "{} 已存在：恢复只写入新的数据目录，不覆盖已发布的窗口程序软件源",
            apt_root.display()
        )));
    }
    onewindow_hub_store::store_keys::private_dir(data).map_err(|e| failed(e.to_string()))?;

    // Everything is unpacked aside and checked before anything is put in place.
    let staging = tempfile::Builder::new()
        .prefix(".restore-")
        .tempdir_in(data)
        .map_err(|e| failed(format!("{}：{e}", data.display())))?;
    let archive = std::fs::File::open(&args.from)
        .map_err(|e| bad(format!("无法读取备份 {}：{e}", args.from.display())))?;
    let not_a_backup = |why: String| {
        bad(format!(
            "{} 不是完好的一窗中心备份：{why}",
            args.from.display()
        ))
    };
    let mut tar = tar::Archive::new(std::io::BufReader::new(archive));
    let mut sums = std::collections::BTreeMap::new();
    for entry in tar.entries().map_err(|e| not_a_backup(e.to_string()))? {
        let mut entry = entry.map_err(|e| not_a_backup(e.to_string()))?;
        // Only the names a backup holds, taken as they are written (`/`-separated, plain
        // parts): nothing can land outside the staging folder.
        let name = String::from_utf8(entry.path_bytes().into_owned())
            .map_err(|_| not_a_backup("an entry name that is not UTF-8".into()))?;
        if !entry.header().entry_type().is_file()
            || !expected_entry(&name)
            || sums.contains_key(&name)
        {
            return Err(not_a_backup(format!("unexpected entry {name:?}")));
        }
        let dst = name
            .split('/')
            .fold(staging.path().to_path_buf(), |p, part| p.join(part));
        if let Some(parent) = dst.parent() {
            std::fs::create_dir_all(parent).map_err(|e| failed(e.to_string()))?;
        }
        let mut out = std::fs::File::create(&dst).map_err(|e| failed(e.to_string()))?;
        let mut reader = Hashing {
            inner: &mut entry,
            hash: Sha256::new(),
        };
        let size = std::io::copy(&mut reader, &mut out).map_err(|e| not_a_backup(e.to_string()))?;
        out.sync_all().map_err(|e| failed(e.to_string()))?;
        sums.insert(name, (size, hex(&reader.hash.finalize())));
    }
    let manifest: Manifest = std::fs::read(staging.path().join(MANIFEST))
        .map_err(|_| not_a_backup(format!("no {MANIFEST}")))
        .and_then(|b| serde_json::from_slice(&b).map_err(|e| not_a_backup(e.to_string())))?;
    if manifest.format != FORMAT || !(1..=VERSION).contains(&manifest.version) {
        return Err(not_a_backup(format!(
            "format {} version {}",
            manifest.format, manifest.version
        )));
    }
    for f in &manifest.files {
        match sums.get(&f.path) {
            Some((size, sha)) if *size == f.size && *sha == f.sha256 => {}
            _ => return Err(not_a_backup(format!("{} is missing or damaged", f.path))),
        }
    }
    if sums.len() != manifest.files.len() + 1 {
        return Err(not_a_backup("files the manifest does not name".into()));
    }
    match (manifest.engine.as_str(), postgres) {
        ("sqlite", false) | ("postgres", true) => {}
        ("sqlite", true) => {
            return Err(bad("这是 SQLite 中心的备份：恢复时不要给 --database".into()));
        }
        _ => {
            return Err(bad(
                "这是 PostgreSQL 中心的备份（只含文件）：先用 pg_restore 恢复数据库，再带 --database 运行本命令".into(),
            ));
        }
    }

    let copied = match &args.keys {
        Some(from) => copy_keys(from, data)?,
        None => 0,
    };
    // The key must open the copy (migrations bring an older backup up to date), and the new
    // epoch is written into it while it is still aside: a hub.db in place always has it.
    let key_file = onewindow_hub_store::store_keys::key_file(data, args.key_file.as_deref());
    if !key_file.exists() {
        return Err(bad(format!(
            "恢复中止：没有数据库密钥 {}；请用 --keys 给出原数据目录（或保存密钥的目录），或 --key-file 给出 hub.key",
            key_file.display()
        )));
    }
    let db_dir = if postgres {
        data.as_path()
    } else {
        staging.path()
    };
    // The store aside signs its audit record with the hub's audit key, as it will in place.
    if !postgres && data.join("audit-key").exists() {
        std::fs::copy(data.join("audit-key"), staging.path().join("audit-key"))
            .map_err(|e| failed(format!("audit-key：{e}")))?;
    }
    let mut store = onewindow_hub_store::store::HubStore::connect(db_dir, Some(&key_file), database())
        .map_err(|e| {
            bad(format!(
                "恢复中止：密钥打不开备份的数据库（{e}）；请用 --keys 给出原数据目录的密钥，或 --key-file 给出 hub.key"
            ))
        })?;
    let now = Clock::system().now();
    let epoch = store
        .begin_epoch(&manifest.made_at, now)
        .map_err(|e| failed(format!("无法开始新的纪元：{e}")))?;
    if let Err(e) = store.audit_hub(
        "admin",
        "restore",
        &manifest.made_at,
        "ok",
        Some(&format!("from epoch {} to {epoch}", manifest.epoch)),
        now,
    ) {
        tracing::warn!(error = %e, "the restore is not in the hub's audit chain");
    }
    drop(store);

    // The files, then hub.db last: a restore cut short leaves no hub.db, and takes back the
    // files it had placed, so it can simply run again.
    let mut placed: Vec<PathBuf> = Vec::new();
    let placing = (|| -> Result<(), Failed> {
        for f in &manifest.files {
            let (top, rest) = f.path.split_once('/').unwrap_or((&f.path, ""));
            let to = match top {
                "blobs" => &blob_root,
                "apt" => &apt_root,
                _ => continue,
            };
            let (from, dst) = rest
                .split('/')
                .fold((staging.path().join(top), to.clone()), |(a, b), part| {
                    (a.join(part), b.join(part))
                });
            if let Some(parent) = dst.parent() {
                onewindow_hub_store::store_keys::private_dir(parent)
                    .map_err(|e| failed(e.to_string()))?;
            }
            std::fs::rename(&from, &dst)
                .or_else(|_| std::fs::copy(&from, &dst).map(|_| ()))
                .map_err(|e| failed(format!("{}：{e}", dst.display())))?;
            placed.push(dst);
        }
        if !postgres {
            // A write-ahead log left by the epoch's write goes with it (none after a clean
            // close), before the database itself.
            let wal = staging.path().join("hub.db-wal");
            if wal.exists() {
                std::fs::rename(&wal, data.join("hub.db-wal"))
                    .map_err(|e| failed(format!("{}：{e}", wal.display())))?;
            }
            std::fs::rename(staging.path().join("hub.db"), data.join("hub.db"))
                .map_err(|e| failed(format!("{}：{e}", data.join("hub.db").display())))?;
        }
        Ok(())
    })();
    if let Err(e) = placing {
        for p in &placed {
            let _ = std::fs::remove_file(p);
        }
        // The repository's folder was new: it goes too, so the restore can run again.
        let _ = std::fs::remove_dir_all(&apt_root);
        return Err(e);
    }
    let placed = placed.len();
    tracing::info!(from = %args.from.display(), made_at = %manifest.made_at, blobs = placed, keys = copied, epoch = %epoch, "restored");
    println!(
        "已从 {}（备份于 {}）恢复{}和 {placed} 个文件；新纪元 {epoch}：各窗口下次同步时会补发中心缺少的记录。",
        args.from.display(),
        manifest.made_at,
        if postgres { "" } else { " hub.db" }
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::expected_entry;

    #[test]
    fn a_restore_takes_only_the_names_a_backup_holds() {
        for ok in [
            "hub.db",
            "onewindow-backup.json",
            "blobs/ab/abcdef0123",
            "blobs/x.sealed",
            "apt/pool/main/onewindow-desk_0.1.0+next1_amd64.deb",
            "apt/dists/onewindow/InRelease",
        ] {
            assert!(expected_entry(ok), "{ok}");
        }
        for bad in [
            "blobs/../keys/hub.key",
            "blobs\\..\\..\\etc\\ssl\\x",
            "blobs/ab/.x.sealing",
            "/etc/passwd",
            "blobs/",
            "blobs//x",
            "keys/hub.key",
            "audit-key",
            "hub.db/x",
            "apt/../apt-gpg/private-keys-v1.d/x.key",
            "apt/dists/onewindow/.InRelease.tmp",
            "apt-gpg/pubring.kbx",
        ] {
            assert!(!expected_entry(bad), "{bad}");
        }
    }
}
