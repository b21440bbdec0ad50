//! `onewindow-hub backup` and `restore`.
//!
//! A backup is one tar file: `hub.db` copied by SQLite's online backup while the hub serves
//! (still encrypted with the hub's key), the blob folder's sealed files (scans and result
//! files, encrypted with a key derived from the same key), and `onewindow-backup.json`, the
//! manifest with every file's SHA-256. The keys are not in it (`keys/`, `audit-key`, `tls/`),
//! so a stolen backup cannot be read: they are copied once, kept apart, and given back to
//! `restore --keys DIR`. On PostgreSQL the database is the database's own tools' to back up
//! (pg_dump); the command backs up the blobs only, and says so.
//!
//! A restore starts a new epoch (`onewindow_proto::EPOCH_HEADER`): desks see that the hub
//! forgot what they sent after the backup, send it again and follow their streams from where
//! the hub is.

use std::io::{Read, Write};
use std::path::{Component, Path, PathBuf};
use std::process::ExitCode;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::cli::{database, init_logging, open};
use crate::clock::Clock;

const MANIFEST: &str = "onewindow-backup.json";
const FORMAT: &str = "onewindow-hub-backup";
const VERSION: u32 = 1;
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
    /// tls/): the old data folder, or where its keys were kept; copied into DATA.
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

type Failed = (ExitCode, String);

fn bad(message: String) -> Failed {
    (ExitCode::from(2), message)
}

fn failed(message: String) -> Failed {
    (ExitCode::from(1), message)
}

fn finish(result: Result<(), Failed>, what: &str) -> ExitCode {
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

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Every file under `root` (but the uploads in progress), as paths relative to it, sorted.
fn blob_files(root: &Path) -> std::io::Result<Vec<PathBuf>> {
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
            if rel == Path::new(PARTIAL) {
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

fn append(
    tar: &mut tar::Builder<std::io::BufWriter<std::fs::File>>,
    name: &str,
    bytes: &[u8],
) -> std::io::Result<()> {
    let mut header = tar::Header::new_gnu();
    header.set_size(bytes.len() as u64);
    header.set_mode(0o600);
    header.set_cksum();
    tar.append_data(&mut header, name, bytes)
}

fn run_backup(args: &BackupArgs) -> Result<(), Failed> {
    if args.out.exists() {
        return Err(bad(format!(
            "备份文件 {} 已存在：不覆盖，请换一个文件名",
            args.out.display()
        )));
    }
    let postgres = database().is_some();
    let mut store = open(&args.data).map_err(|code| (code, String::new()))?;
    let epoch = store
        .epoch(Clock::system().now())
        .map_err(|e| failed(format!("无法读取中心数据库：{e}")))?;
    drop(store);
    let made_at = Clock::system().now().to_rfc3339();
    let partial = args.out.with_extension("partial");
    let result = (|| -> Result<Manifest, Failed> {
        let file = std::fs::File::create(&partial)
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
            let bytes = std::fs::read(&copy).map_err(io)?;
            append(&mut tar, "hub.db", &bytes).map_err(io)?;
            files.push(FileEntry {
                path: "hub.db".into(),
                size: bytes.len() as u64,
                sha256: sha256_hex(&bytes),
            });
        }
        // The blobs the copy names were sealed before their rows were written, and are never
        // changed: taken after the copy, every one it names is here (and maybe a few newer).
        let root = args
            .blobs
            .clone()
            .unwrap_or_else(|| args.data.join("blobs"));
        for rel in blob_files(&root).map_err(io)? {
            let bytes = std::fs::read(root.join(&rel)).map_err(io)?;
            let name = format!("blobs/{}", rel.to_string_lossy().replace('\\', "/"));
            append(&mut tar, &name, &bytes).map_err(io)?;
            files.push(FileEntry {
                path: name,
                size: bytes.len() as u64,
                sha256: sha256_hex(&bytes),
            });
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
    println!(
        "备份内不含密钥（keys/hub.key、audit-key、tls/）：它们只需保存一次，与备份分开存放；恢复时用 restore --keys 目录 交还。"
    );
    Ok(())
}

/// Whether `path` (from the archive) is a plain relative path that stays inside the folder.
fn safe(path: &Path) -> bool {
    !path.as_os_str().is_empty() && path.components().all(|c| matches!(c, Component::Normal(_)))
}

/// Copies the keys found in `from` (laid out as a data folder) into `data`, each the hub's
/// alone; a key already in `data` must be the same.
fn copy_keys(from: &Path, data: &Path) -> Result<usize, Failed> {
    use onewindow_hub_store::store_keys::{private_dir, private_file};
    let mut copied = 0;
    for rel in ["keys/hub.key", "audit-key", "tls/key.pem", "tls/cert.pem"] {
        let src = from.join(rel);
        if !src.exists() {
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
    if blob_files(&blob_root)
        .map(|f| !f.is_empty())
        .unwrap_or(false)
    {
        return Err(bad(format!(
            "文件目录 {} 不是空的：恢复只写入新的目录，不覆盖已有文件",
            blob_root.display()
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
        let path = entry
            .path()
            .map_err(|e| not_a_backup(e.to_string()))?
            .to_path_buf();
        if !entry.header().entry_type().is_file() || !safe(&path) {
            return Err(not_a_backup(format!("unexpected entry {}", path.display())));
        }
        let mut bytes = Vec::with_capacity(entry.size() as usize);
        entry
            .read_to_end(&mut bytes)
            .map_err(|e| not_a_backup(e.to_string()))?;
        let dst = staging.path().join(&path);
        if let Some(parent) = dst.parent() {
            std::fs::create_dir_all(parent).map_err(|e| failed(e.to_string()))?;
        }
        std::fs::write(&dst, &bytes).map_err(|e| failed(e.to_string()))?;
        sums.insert(
            path.to_string_lossy().replace('\\', "/"),
            (bytes.len() as u64, sha256_hex(&bytes)),
        );
    }
    let manifest: Manifest = std::fs::read(staging.path().join(MANIFEST))
        .map_err(|_| not_a_backup(format!("no {MANIFEST}")))
        .and_then(|b| serde_json::from_slice(&b).map_err(|e| not_a_backup(e.to_string())))?;
    if manifest.format != FORMAT || manifest.version != VERSION {
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
    if !postgres {
        std::fs::rename(staging.path().join("hub.db"), data.join("hub.db"))
            .map_err(|e| failed(format!("{}：{e}", data.join("hub.db").display())))?;
    }
    // The key must open the copy (and migrations bring an older backup up to date); a wrong
    // key leaves nothing behind.
    let key_check = onewindow_hub_store::store_backup::read_db_key(data, args.key_file.as_deref())
        .and_then(|_| {
            onewindow_hub_store::store::HubStore::connect(
                data,
                args.key_file.as_deref(),
                database(),
            )
        });
    let mut store = match key_check {
        Ok(s) => s,
        Err(e) => {
            if !postgres {
                let _ = std::fs::remove_file(data.join("hub.db"));
            }
            return Err(bad(format!(
                "恢复中止：密钥打不开备份的数据库（{e}）；请用 --keys 给出原数据目录的密钥，或 --key-file 给出 hub.key"
            )));
        }
    };
    let blobs_staged = staging.path().join("blobs");
    let mut placed = 0;
    for f in manifest
        .files
        .iter()
        .filter(|f| f.path.starts_with("blobs/"))
    {
        let rel = Path::new(&f.path)
            .strip_prefix("blobs")
            .expect("a blob path");
        let dst = blob_root.join(rel);
        if let Some(parent) = dst.parent() {
            onewindow_hub_store::store_keys::private_dir(parent)
                .map_err(|e| failed(e.to_string()))?;
        }
        std::fs::rename(blobs_staged.join(rel), &dst)
            .or_else(|_| std::fs::copy(blobs_staged.join(rel), &dst).map(|_| ()))
            .map_err(|e| failed(format!("{}：{e}", dst.display())))?;
        placed += 1;
    }
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
    tracing::info!(from = %args.from.display(), made_at = %manifest.made_at, blobs = placed, keys = copied, epoch = %epoch, "restored");
    println!(
        "已从 {}（备份于 {}）恢复{}和 {placed} 个文件；新纪元 {epoch}：各窗口下次同步时会补发中心缺少的记录。",
        args.from.display(),
        manifest.made_at,
        if postgres { "" } else { " hub.db" }
    );
    Ok(())
}
