//! Start-up after a crash: what an earlier run left in intake's folders is made whole again
//! (see [`HotFolder::recover`]).

use super::*;

impl HotFolder {
    /// At start, before the first scan: what a crash left behind is made whole again.
    /// Temporary files of sealed writes are removed; every staged copy is taken into the blob
    /// store (or quarantine); and every stored copy, staged or in the blob store, that no record
    /// holds (`kept`: the blobs the desk's records name) is returned for the waiting list.
    pub fn recover(&mut self, kept: &HashSet<String>) -> Result<Recovered, IntakeError> {
        let mut found = Recovered::default();
        for dir in [
            &self.config.staging,
            &self.config.blobs,
            &self.config.quarantine,
        ] {
            found.temp_removed += seal::remove_unfinished(dir).map_err(io(dir))?;
        }
        let staging = self.config.staging.clone();
        let mut staged: Vec<PathBuf> = fs::read_dir(&staging)
            .map_err(io(&staging))?
            .filter_map(|e| e.ok())
            .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
            .map(|e| e.path())
            .collect();
        staged.sort();
        for path in staged {
            let file = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            // Earlier versions kept a second copy of stored bytes as `duplicate-{sha}-{stamp}`.
            if let Some(sha) = file.strip_prefix("duplicate-").and_then(|r| r.get(..64))
                && self.blob_path_exists(sha)
            {
                fs::remove_file(&path).map_err(io(&path))?;
                continue;
            }
            let name = original_name(&file);
            let bytes = match self.config.read_file(&path) {
                Ok(b) => b,
                Err(e) => {
                    tracing::warn!(error = %e, "staged file cannot be read; quarantined");
                    found.quarantined.push(self.quarantine_staged(
                        &path,
                        &name,
                        "程序异常退出后找到的暂存文件无法读取，已隔离；请重新扫描",
                    )?);
                    continue;
                }
            };
            match self.process_staged(&path, &name, &bytes)? {
                Outcome::Taken(t) if !kept.contains(&t.sha256) => found.scans.push(t),
                Outcome::Taken(_) => {}
                Outcome::Quarantined(q) => found.quarantined.push(q),
            }
        }
        let blobs = self.config.blobs.clone();
        let mut dirs: Vec<PathBuf> = fs::read_dir(&blobs)
            .map_err(io(&blobs))?
            .filter_map(|e| e.ok())
            .map(|e| e.path())
            .filter(|p| p.is_dir())
            .collect();
        dirs.sort();
        for dir in dirs {
            let prefix = dir
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let mut files: Vec<String> = fs::read_dir(&dir)
                .map_err(io(&dir))?
                .filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect();
            files.sort();
            for file in files {
                let sha = format!("{prefix}{file}");
                if self.config.blob_path(&sha).is_none()
                    || kept.contains(&sha)
                    || found.scans.iter().any(|t| t.sha256 == sha)
                {
                    continue;
                }
                match self.recover_blob(&sha) {
                    Ok(t) => found.scans.push(t),
                    Err(why) => {
                        // Left where it is: nothing is deleted, and the log says why.
                        tracing::error!(blob = %sha, error = %why, "stored scan without a record cannot be read");
                    }
                }
            }
        }
        Ok(found)
    }

    pub(crate) fn blob_path_exists(&self, sha256: &str) -> bool {
        self.config.blob_path(sha256).is_some_and(|p| p.exists())
    }

    /// A stored blob no record names, described again from its bytes.
    fn recover_blob(&self, sha256: &str) -> Result<Taken, String> {
        let blob = self.config.blob_path(sha256).ok_or("not a blob id")?;
        let bytes = self.config.read_file(&blob).map_err(|e| e.to_string())?;
        if format!("{:x}", Sha256::digest(&bytes)) != sha256 {
            return Err("the bytes do not match the blob's name".into());
        }
        let kind = FileKind::sniff(&bytes).ok_or("not a JPEG, PNG or PDF")?;
        let (pages, png) = match kind {
            FileKind::Pdf => {
                let (pages, png) = thumbnail::pdf_first_page(&bytes, 256)?;
                (Some(pages), Some(png))
            }
            _ => (None, thumbnail::render(kind, &bytes, 256).ok()),
        };
        let thumb = self.config.thumbnail_path(sha256).ok_or("not a blob id")?;
        let thumbnail = match png {
            Some(png) if !thumb.exists() => {
                self.config
                    .write_file(&thumb, &png)
                    .map_err(|e| e.to_string())?;
                Some(thumb)
            }
            Some(_) => Some(thumb),
            None => None,
        };
        let ext = match kind {
            FileKind::Jpeg => "jpg",
            FileKind::Png => "png",
            FileKind::Pdf => "pdf",
        };
        Ok(Taken {
            original_name: format!("恢复的扫描件.{ext}"),
            sha256: sha256.to_string(),
            size: bytes.len() as u64,
            kind,
            blob,
            thumbnail,
            pages,
            duplicate: true,
        })
    }
}

/// What start-up found that a crash left behind (see [`HotFolder::recover`]).
#[derive(Debug, Default)]
pub struct Recovered {
    /// Stored copies no record holds: for the waiting list.
    pub scans: Vec<Taken>,
    /// Staged copies that could not be used.
    pub quarantined: Vec<Quarantined>,
    /// Temporary files of sealed writes removed.
    pub temp_removed: usize,
}

/// The scanner's name of a staged file (`{stamp}-{name}`).
fn original_name(staged: &str) -> String {
    match staged.split_once('-') {
        Some((stamp, name)) if !name.is_empty() && stamp.bytes().all(|b| b.is_ascii_digit()) => {
            name.to_string()
        }
        _ => staged.to_string(),
    }
}
