//! Scanned materials: the scanner's hot folder, stable-file detection, and the pipeline that
//! takes a file into the desk's content-addressed blob store with a thumbnail, or into
//! quarantine with the reason. Nothing scanned is ever deleted (a second copy of bytes already
//! stored is not kept), and a hot-folder file leaves only once its copy is recorded.
//!
//! The scan is driven from outside with the current time ([`HotFolder::scan`]), so a file
//! watcher, a periodic rescan and a polling mode for network drives all call the same code,
//! and tests control the clock.

pub mod idcard;
mod recover;
pub mod seal;
pub mod thumbnail;
pub mod watch;

use std::collections::{HashMap, HashSet};
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use sha2::{Digest, Sha256};

pub use recover::Recovered;
pub use seal::Seal;

/// Where intake keeps its files. All four folders must be on the desk's own disk except the
/// hot folder, which may be a network share.
#[derive(Debug, Clone)]
pub struct IntakeConfig {
    pub hot: PathBuf,
    pub staging: PathBuf,
    pub blobs: PathBuf,
    pub quarantine: PathBuf,
    /// A file is taken once its size and mtime have not changed for this long.
    pub stability: Duration,
    /// Larger files go to quarantine (default 50 MB).
    pub max_bytes: u64,
    /// What staging, blobs, thumbnails and quarantine are sealed with. The desk always has
    /// one; `None` (plaintext files) is for measuring what sealing costs.
    pub seal: Option<Seal>,
}

impl IntakeConfig {
    pub fn under(root: &Path, hot: &Path) -> Self {
        IntakeConfig {
            hot: hot.to_path_buf(),
            staging: root.join("staging"),
            blobs: root.join("blobs"),
            quarantine: root.join("quarantine"),
            stability: Duration::from_millis(800),
            max_bytes: 50 * 1024 * 1024,
            seal: None,
        }
    }

    /// The same folders, every file in them sealed with `seal`.
    pub fn sealed(mut self, seal: Seal) -> Self {
        self.seal = Some(seal);
        self
    }

    /// Writes one of intake's files whole, sealed when the desk seals.
    pub fn write_file(&self, path: &Path, bytes: &[u8]) -> std::io::Result<()> {
        match &self.seal {
            Some(s) => s.write_file(path, bytes),
            None => fs::write(path, bytes),
        }
    }

    /// Reads one of intake's files whole.
    pub fn read_file(&self, path: &Path) -> std::io::Result<Vec<u8>> {
        match &self.seal {
            Some(s) => s.read_file(path),
            None => fs::read(path),
        }
    }

    /// The bytes of a stored file, as they were scanned.
    pub fn read_blob(&self, sha256: &str) -> std::io::Result<Vec<u8>> {
        self.read_file(&self.blob_path(sha256).ok_or_else(bad_id)?)
    }

    /// How many bytes a stored file has (as scanned, not as sealed on disk).
    pub fn blob_len(&self, sha256: &str) -> std::io::Result<u64> {
        let path = self.blob_path(sha256).ok_or_else(bad_id)?;
        match &self.seal {
            Some(s) => s.file_len(&path),
            None => Ok(fs::metadata(&path)?.len()),
        }
    }

    /// `len` bytes of a stored file from `offset` (the upload lane's chunks).
    pub fn read_blob_range(
        &self,
        sha256: &str,
        offset: u64,
        len: usize,
    ) -> std::io::Result<Vec<u8>> {
        let path = self.blob_path(sha256).ok_or_else(bad_id)?;
        match &self.seal {
            Some(s) => s.read_range(&path, offset, len),
            None => {
                use std::io::{Seek, SeekFrom};
                let mut f = fs::File::open(&path)?;
                f.seek(SeekFrom::Start(offset))?;
                let mut buf = vec![0u8; len];
                f.read_exact(&mut buf)?;
                Ok(buf)
            }
        }
    }

    /// A stored file's thumbnail (PNG), if it has one.
    pub fn read_thumbnail(&self, sha256: &str) -> Option<Vec<u8>> {
        self.read_file(&self.thumbnail_path(sha256)?).ok()
    }
}

fn bad_id() -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a SHA-256 blob id")
}

impl IntakeConfig {
    /// Where the bytes of a stored file are.
    pub fn blob_path(&self, sha256: &str) -> Option<PathBuf> {
        if sha256.len() != 64 || !sha256.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let (dir, file) = sha256.split_at(2);
        Some(self.blobs.join(dir).join(file))
    }

    /// Where its 256-px thumbnail is, if one was made.
    pub fn thumbnail_path(&self, sha256: &str) -> Option<PathBuf> {
        let blob = self.blob_path(sha256)?;
        Some(blob.with_file_name(format!("{}.thumb.png", blob.file_name()?.to_string_lossy())))
    }
}

/// Names scanners, browsers and office tools use while a file is still being written.
pub fn is_temp_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    lower.ends_with(".tmp")
        || lower.ends_with(".part")
        || lower.ends_with(".crdownload")
        || name.starts_with("~$")
        || lower == "thumbs.db"
        || lower == "desktop.ini"
        || name == ".DS_Store"
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    Jpeg,
    Png,
    Pdf,
}

impl FileKind {
    fn sniff(head: &[u8]) -> Option<FileKind> {
        if head.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(FileKind::Jpeg)
        } else if head.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(FileKind::Png)
        } else if head.starts_with(b"%PDF-") {
            Some(FileKind::Pdf)
        } else {
            None
        }
    }
}

/// A file taken in: stored once under its SHA-256 (of the bytes as received).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Taken {
    pub original_name: String,
    pub sha256: String,
    pub size: u64,
    pub kind: FileKind,
    pub blob: PathBuf,
    /// 256-px PNG thumbnail (a PDF's first page, rendered by poppler).
    pub thumbnail: Option<PathBuf>,
    /// A PDF's page count.
    pub pages: Option<u32>,
    /// The same bytes were already in the blob store.
    pub duplicate: bool,
}

/// A file refused: where it now lies and why, in Chinese for the clerk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quarantined {
    pub original_name: String,
    pub path: PathBuf,
    pub reason_zh: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Taken(Taken),
    Quarantined(Quarantined),
}

#[derive(Debug, thiserror::Error)]
pub enum IntakeError {
    #[error("intake folder {path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> IntakeError + '_ {
    move |source| IntakeError::Io {
        path: path.to_path_buf(),
        source,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Seen {
    size: u64,
    mtime: Option<SystemTime>,
    since: Instant,
    /// When the file was first seen, whatever it changed since.
    first: Instant,
}

/// How a taken file came: what the desk needs to decide whether it belongs to the open case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Arrival {
    /// When the file was first seen in the hot folder.
    pub first_seen: Instant,
    /// It was already there at this folder's first scan (before the desk started, or while
    /// it was down): nobody knows which case it was scanned for.
    pub found_at_start: bool,
    /// This is the first try to take it (`false`: it was held before).
    pub first_try: bool,
}

/// Watches one hot folder for files that have stopped changing.
#[derive(Debug)]
pub struct HotFolder {
    config: IntakeConfig,
    seen: HashMap<PathBuf, Seen>,
    /// Stable files that could not be taken, with when to try again and how they came.
    held: HashMap<PathBuf, (Held, Instant, Arrival)>,
    /// Files present at the first scan (their arrival is unknown).
    at_start: Option<HashSet<PathBuf>>,
    /// Files kept (recorded) that could not be removed from the folder (a read-only share),
    /// with the size and time they had: left alone while unchanged, so the same page is never
    /// taken again into whichever case is open next.
    kept_unremoved: HashMap<PathBuf, (u64, Option<SystemTime>)>,
}

/// Where a held scan the clerk chose not to take is moved, inside the hot folder (folders in
/// it are never scanned).
pub const SET_ASIDE_DIR: &str = "未接收";

/// How long a file that could not be taken waits before the next try.
pub const RETRY_HELD: Duration = Duration::from_secs(5);

/// A scan that is ready but could not be taken (the disk is full, the file cannot be read): it
/// stays in the hot folder, is tried again every [`RETRY_HELD`], and is listed with its reason
/// until it is taken or removed from the folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Held {
    pub name: String,
    /// `disk_full`, `unreadable`, `take_failed`, or what the desk says when it could not
    /// record the scan.
    pub code: &'static str,
    /// For the clerk: what is wrong and what to do.
    pub reason_zh: String,
}

impl Held {
    fn of(name: &str, e: &IntakeError, free_mb: Option<u64>) -> Held {
        let IntakeError::Io { source, .. } = e;
        let (code, reason_zh) = match source.kind() {
            std::io::ErrorKind::StorageFull => (
                "disk_full",
                match free_mb {
                    Some(mb) => format!(
                        "本机磁盘已满（剩余 {mb} MB），无法接收；文件仍在扫描文件夹中，清理磁盘后将自动接收"
                    ),
                    None => {
                        "本机磁盘已满，无法接收；文件仍在扫描文件夹中，清理磁盘后将自动接收".into()
                    }
                },
            ),
            std::io::ErrorKind::PermissionDenied => (
                "unreadable",
                "没有读取该文件的权限，无法接收；请检查扫描软件的保存设置，文件仍在扫描文件夹中"
                    .into(),
            ),
            _ => (
                "take_failed",
                "接收时出错，文件仍在扫描文件夹中，稍后自动重试；如一直不能接收请查看日志".into(),
            ),
        };
        Held {
            name: name.to_string(),
            code,
            reason_zh,
        }
    }
}

/// Moves a file, falling back to copy-then-remove across file systems (a network hot folder).
fn move_file(from: &Path, to: &Path) -> std::io::Result<()> {
    match fs::rename(from, to) {
        Ok(()) => Ok(()),
        Err(_) => {
            fs::copy(from, to)?;
            fs::remove_file(from)
        }
    }
}

/// A file name safe to use inside our folders: no separators, no `..`.
fn safe_name(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| {
            if c == '/' || c == '\\' || c.is_control() {
                '_'
            } else {
                c
            }
        })
        .collect();
    match cleaned.trim_matches('.') {
        "" => "file".to_string(),
        _ => cleaned,
    }
}

impl HotFolder {
    pub fn new(config: IntakeConfig) -> Result<HotFolder, IntakeError> {
        for dir in [
            &config.hot,
            &config.staging,
            &config.blobs,
            &config.quarantine,
        ] {
            fs::create_dir_all(dir).map_err(io(dir))?;
        }
        Ok(HotFolder {
            config,
            seen: HashMap::new(),
            held: HashMap::new(),
            at_start: None,
            kept_unremoved: HashMap::new(),
        })
    }

    pub fn config(&self) -> &IntakeConfig {
        &self.config
    }

    /// Whether a file is waiting to become stable (scan again soon).
    pub fn has_pending(&self) -> bool {
        !self.seen.is_empty()
    }

    /// Looks at the hot folder at `now` and takes every file that has been stable for the
    /// stability delay. Temp names and folders are left alone; links are quarantined. Taken
    /// files need no record (tools and benches); the desk uses [`HotFolder::scan_keeping`].
    pub fn scan(&mut self, now: Instant) -> Result<Vec<Outcome>, IntakeError> {
        self.scan_keeping(now, &mut |_, _| Ok(()))
    }

    /// [`HotFolder::scan`], each taken file recorded by `keep` before it leaves the hot folder.
    ///
    /// A taken file's sealed copy is in the blob store before `keep` is called with it and
    /// how it came ([`Arrival`]). `keep` makes its record
    /// durable (the case it goes to, or the waiting list); only then is the file removed from
    /// the hot folder. When `keep` fails the file stays, held with the reason `keep` gives, and
    /// is tried again after [`RETRY_HELD`]: a crash at any point loses nothing.
    pub fn scan_keeping(
        &mut self,
        now: Instant,
        keep: &mut dyn FnMut(&Taken, &Arrival) -> Result<(), Held>,
    ) -> Result<Vec<Outcome>, IntakeError> {
        let hot = self.config.hot.clone();
        let first_scan = self.at_start.is_none();
        self.at_start.get_or_insert_with(HashSet::new);
        let mut present = Vec::new();
        let mut out = Vec::new();
        for entry in fs::read_dir(&hot).map_err(io(&hot))? {
            let Ok(entry) = entry else { continue };
            let name = entry.file_name().to_string_lossy().into_owned();
            let path = entry.path();
            let Ok(meta) = fs::symlink_metadata(&path) else {
                continue;
            };
            if is_temp_name(&name) || meta.is_dir() {
                continue;
            }
            present.push(path.clone());
            if let Some(&(size, mtime)) = self.kept_unremoved.get(&path) {
                if size == meta.len() && mtime == meta.modified().ok() {
                    continue;
                }
                // Written again since: a new scan under the same name.
                self.kept_unremoved.remove(&path);
            }
            if meta.file_type().is_symlink() {
                match self.quarantine_file(
                    &path,
                    &name,
                    "这是一个链接（快捷方式），不是扫描文件；请直接放入文件本身",
                    true,
                ) {
                    Ok(q) => out.push(Outcome::Quarantined(q)),
                    Err(e) => {
                        // A link the folder will not let go of: not tried at every scan.
                        tracing::warn!(error = %e, "link in the hot folder cannot be moved out; left alone while unchanged");
                        self.kept_unremoved
                            .insert(path, (meta.len(), meta.modified().ok()));
                    }
                }
                continue;
            }
            if first_scan && let Some(s) = self.at_start.as_mut() {
                s.insert(path.clone());
            }
            if let Some((_, retry_at, arrival)) = self.held.get(&path) {
                if now >= *retry_at {
                    let arrival = Arrival {
                        first_try: false,
                        ..*arrival
                    };
                    self.try_take(&path, &name, now, arrival, &mut out, keep);
                }
                continue;
            }
            let mut seen = Seen {
                size: meta.len(),
                mtime: meta.modified().ok(),
                since: now,
                first: now,
            };
            match self.seen.get(&path) {
                Some(prev) if prev.size == seen.size && prev.mtime == seen.mtime => {
                    if now.duration_since(prev.since) >= self.config.stability
                        && fs::File::open(&path).is_ok()
                    {
                        let arrival = Arrival {
                            first_seen: prev.first,
                            found_at_start: self
                                .at_start
                                .as_ref()
                                .is_some_and(|s| s.contains(&path)),
                            first_try: true,
                        };
                        self.seen.remove(&path);
                        self.try_take(&path, &name, now, arrival, &mut out, keep);
                    }
                }
                prev => {
                    if let Some(prev) = prev {
                        seen.first = prev.first;
                    }
                    self.seen.insert(path, seen);
                }
            }
        }
        self.seen.retain(|p, _| present.contains(p));
        self.held.retain(|p, _| present.contains(p));
        self.kept_unremoved.retain(|p, _| present.contains(p));
        if let Some(s) = self.at_start.as_mut() {
            s.retain(|p| present.contains(p));
        }
        Ok(out)
    }

    /// Takes a stable file; one that cannot be taken (or kept) stays in the hot folder, held
    /// with its reason and tried again after [`RETRY_HELD`]. One that vanished meanwhile is
    /// forgotten.
    fn try_take(
        &mut self,
        path: &Path,
        name: &str,
        now: Instant,
        arrival: Arrival,
        out: &mut Vec<Outcome>,
        keep: &mut dyn FnMut(&Taken, &Arrival) -> Result<(), Held>,
    ) {
        let held = match self.take(path, name) {
            Ok(Outcome::Taken(t)) => match keep(&t, &arrival) {
                Ok(()) => {
                    self.held.remove(path);
                    self.remove_taken(path);
                    out.push(Outcome::Taken(t));
                    return;
                }
                Err(held) => held,
            },
            Ok(o) => {
                self.held.remove(path);
                out.push(o);
                return;
            }
            Err(IntakeError::Io { source, .. })
                if source.kind() == std::io::ErrorKind::NotFound =>
            {
                self.held.remove(path);
                return;
            }
            Err(e) => {
                let free_mb = fs4::available_space(&self.config.staging)
                    .ok()
                    .map(|b| b / (1024 * 1024));
                let IntakeError::Io { source, .. } = &e;
                let held = Held::of(name, &e, free_mb);
                if self
                    .held
                    .get(path)
                    .is_none_or(|(h, _, _)| h.code != held.code)
                {
                    // The English detail without the file's name (it often carries the
                    // applicant's); once, not at every retry.
                    tracing::warn!(code = held.code, kind = ?source.kind(), error = %source, "scan held in the hot folder");
                }
                held
            }
        };
        self.held
            .insert(path.to_path_buf(), (held, now + RETRY_HELD, arrival));
    }

    /// Removes a file that was taken (kept or quarantined) from the hot folder. One the folder
    /// will not let go of (a read-only share) is left alone while it stays unchanged, or it
    /// would be taken again, into whichever case is open next.
    fn remove_taken(&mut self, path: &Path) {
        if let Err(e) = fs::remove_file(path)
            && e.kind() != std::io::ErrorKind::NotFound
        {
            tracing::error!(error = %e, "taken scan cannot be removed from the hot folder; left alone while unchanged");
            if let Ok(meta) = fs::metadata(path) {
                self.kept_unremoved
                    .insert(path.to_path_buf(), (meta.len(), meta.modified().ok()));
            }
        }
    }

    /// The clerk's choice for a held scan (by its name in the list): it will not be taken.
    /// The file is moved, not deleted, into the hot folder's [`SET_ASIDE_DIR`], where the
    /// clerk can still find it; a rename within the folder needs no free space.
    pub fn set_aside(&mut self, name: &str) -> Result<PathBuf, IntakeError> {
        let path = self.config.hot.join(name);
        if safe_name(name) != name || !self.held.contains_key(&path) {
            return Err(IntakeError::Io {
                path,
                source: std::io::Error::new(
                    std::io::ErrorKind::NotFound,
                    "no held scan of that name",
                ),
            });
        }
        let dir = self.config.hot.join(SET_ASIDE_DIR);
        fs::create_dir_all(&dir).map_err(io(&dir))?;
        let mut dest = dir.join(name);
        if dest.exists() {
            dest = dir.join(format!("{}-{name}", unique_stamp()));
        }
        fs::rename(&path, &dest).map_err(io(&path))?;
        self.held.remove(&path);
        Ok(dest)
    }

    /// The files waiting in the hot folder because they could not be taken, by name.
    pub fn held(&self) -> Vec<Held> {
        let mut v: Vec<Held> = self.held.values().map(|(h, _, _)| h.clone()).collect();
        v.sort_by(|a, b| a.name.cmp(&b.name));
        v
    }

    /// "Import from file": the same pipeline for a file the clerk picks. The file is copied,
    /// never moved, so the clerk's original stays where it was.
    pub fn import(&mut self, path: &Path) -> Result<Outcome, IntakeError> {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "file".into());
        let size = fs::metadata(path).map_err(io(path))?.len();
        if size > self.config.max_bytes {
            return Ok(Outcome::Quarantined(self.quarantine_file(
                path,
                &name,
                &too_large(size, self.config.max_bytes),
                false,
            )?));
        }
        let bytes = fs::read(path).map_err(io(path))?;
        self.import_bytes(&name, &bytes)
    }

    /// Bytes that did not come from a file the clerk can see (the ID card reader's photo) go
    /// through the same pipeline under `name`.
    pub fn import_bytes(&mut self, name: &str, bytes: &[u8]) -> Result<Outcome, IntakeError> {
        let staged = self.staging_path(name);
        self.config
            .write_file(&staged, bytes)
            .map_err(io(&staged))?;
        self.process_staged(&staged, name, bytes)
    }

    fn staging_path(&self, name: &str) -> PathBuf {
        self.config
            .staging
            .join(format!("{}-{}", unique_stamp(), safe_name(name)))
    }

    /// Takes a copy of a hot-folder file: staged (sealed), then into the blob store. The file
    /// itself stays until the caller has recorded the copy (see [`HotFolder::scan`]); a file
    /// quarantined is removed once its sealed copy and reason are written.
    fn take(&mut self, path: &Path, name: &str) -> Result<Outcome, IntakeError> {
        let size = fs::metadata(path).map_err(io(path))?.len();
        if size > self.config.max_bytes {
            return Ok(Outcome::Quarantined(self.quarantine_file(
                path,
                name,
                &too_large(size, self.config.max_bytes),
                true,
            )?));
        }
        let bytes = fs::read(path).map_err(io(path))?;
        let staged = self.staging_path(name);
        self.config
            .write_file(&staged, &bytes)
            .map_err(io(&staged))?;
        let outcome = self.process_staged(&staged, name, &bytes)?;
        if let Outcome::Quarantined(_) = outcome {
            self.remove_taken(path);
        }
        Ok(outcome)
    }

    /// `staged` holds `bytes` (sealed when the desk seals): checked, then renamed into the
    /// blob store or into quarantine.
    fn process_staged(
        &mut self,
        staged: &Path,
        name: &str,
        bytes: &[u8],
    ) -> Result<Outcome, IntakeError> {
        let size = bytes.len() as u64;
        if size == 0 {
            return Ok(Outcome::Quarantined(self.quarantine_staged(
                staged,
                name,
                "文件是空的（0 字节），请重新扫描",
            )?));
        }
        if size > self.config.max_bytes {
            return Ok(Outcome::Quarantined(self.quarantine_staged(
                staged,
                name,
                &too_large(size, self.config.max_bytes),
            )?));
        }
        let Some(kind) = FileKind::sniff(bytes) else {
            return Ok(Outcome::Quarantined(self.quarantine_staged(
                staged,
                name,
                "不支持的文件类型：只接收 JPEG、PNG 图片和 PDF 文件",
            )?));
        };
        // Hash the bytes as received, once.
        let sha256 = format!("{:x}", Sha256::digest(bytes));
        let mut pdf_pages = None;
        let thumbnail = match kind {
            FileKind::Jpeg | FileKind::Png => match thumbnail::render(kind, bytes, 256) {
                Ok(png) => Some(png),
                Err(why) => {
                    tracing::warn!(sha256 = %sha256, error = %why, "image cannot be decoded");
                    return Ok(Outcome::Quarantined(self.quarantine_staged(
                        staged,
                        name,
                        "图片无法读取，文件可能不完整或已损坏，请重新扫描",
                    )?));
                }
            },
            FileKind::Pdf => match thumbnail::pdf_first_page(bytes, 256) {
                Ok((pages, png)) => {
                    pdf_pages = Some(pages);
                    Some(png)
                }
                Err(why) => {
                    tracing::warn!(sha256 = %sha256, error = %why, "PDF cannot be opened");
                    return Ok(Outcome::Quarantined(self.quarantine_staged(
                        staged,
                        name,
                        "PDF 文件无法打开（文件不完整、已损坏或已加密），请重新保存或扫描",
                    )?));
                }
            },
        };
        let (dir, file) = sha256.split_at(2);
        let blob_dir = self.config.blobs.join(dir);
        fs::create_dir_all(&blob_dir).map_err(io(&blob_dir))?;
        let blob = blob_dir.join(file);
        let duplicate = blob.exists();
        if duplicate {
            // The same bytes are stored whole already (a blob only ever appears by rename):
            // the staged copy adds nothing.
            fs::remove_file(staged).map_err(io(staged))?;
        } else {
            fs::rename(staged, &blob).map_err(io(staged))?;
            // The rename itself durable before anything records the blob.
            sync_dir(&blob_dir).map_err(io(&blob_dir))?;
        }
        let thumbnail = match thumbnail {
            Some(png) => {
                let t = blob_dir.join(format!("{file}.thumb.png"));
                if !t.exists() {
                    self.config.write_file(&t, &png).map_err(io(&t))?;
                }
                Some(t)
            }
            None => None,
        };
        Ok(Outcome::Taken(Taken {
            original_name: name.to_string(),
            sha256,
            size,
            kind,
            blob,
            thumbnail,
            pages: pdf_pages,
            duplicate,
        }))
    }

    fn quarantine_dest(&self, name: &str) -> PathBuf {
        self.config
            .quarantine
            .join(format!("{}-{}", unique_stamp(), safe_name(name)))
    }

    /// Puts a staged file (already in intake's own form) into quarantine with its reason.
    fn quarantine_staged(
        &self,
        staged: &Path,
        name: &str,
        reason_zh: &str,
    ) -> Result<Quarantined, IntakeError> {
        let dest = self.quarantine_dest(name);
        fs::rename(staged, &dest).map_err(io(staged))?;
        self.quarantined(dest, name, reason_zh)
    }

    /// Puts a file from outside (the hot folder, or one the clerk picked) into quarantine
    /// without reading it whole: a link is moved as a link; a file is sealed as it is copied,
    /// and taken out of the hot folder when `remove` is set.
    fn quarantine_file(
        &mut self,
        from: &Path,
        name: &str,
        reason_zh: &str,
        remove: bool,
    ) -> Result<Quarantined, IntakeError> {
        let dest = self.quarantine_dest(name);
        let is_link = fs::symlink_metadata(from).is_ok_and(|m| m.file_type().is_symlink());
        if is_link {
            move_file(from, &dest).map_err(io(from))?;
        } else {
            match &self.config.seal {
                Some(seal) => {
                    let mut f = fs::File::open(from).map_err(io(from))?;
                    seal.write_file_from(&dest, &mut f).map_err(io(&dest))?;
                }
                None => {
                    fs::copy(from, &dest).map_err(io(from))?;
                }
            }
        }
        let q = self.quarantined(dest, name, reason_zh)?;
        if remove && !is_link {
            self.remove_taken(from);
        }
        Ok(q)
    }

    fn quarantined(
        &self,
        dest: PathBuf,
        name: &str,
        reason_zh: &str,
    ) -> Result<Quarantined, IntakeError> {
        let note = PathBuf::from(format!("{}.reason.txt", dest.display()));
        self.config
            .write_file(&note, format!("{name}\n{reason_zh}\n").as_bytes())
            .map_err(io(&note))?;
        // File names often carry the applicant's name: the log gets the reason only.
        tracing::warn!(reason = reason_zh, "file quarantined");
        Ok(Quarantined {
            original_name: name.to_string(),
            path: dest,
            reason_zh: reason_zh.to_string(),
        })
    }
}

fn too_large(size: u64, max: u64) -> String {
    format!(
        "文件 {:.1} MB，超过上限 {} MB；请降低扫描分辨率或分页扫描",
        size as f64 / 1e6,
        max / 1_000_000
    )
}

/// Makes the entries of `dir` (a rename into it) durable.
fn sync_dir(dir: &Path) -> std::io::Result<()> {
    fs::File::open(dir)?.sync_all()
}

/// Nanoseconds since the epoch: unique enough to keep quarantined files apart.
fn unique_stamp() -> u128 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos())
}
