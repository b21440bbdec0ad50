//! The hub's data at rest: the data folder is the hub's alone (0700, its files 0600), and
//! hub.db is encrypted with SQLCipher under a 256-bit key kept in `DATA/keys/hub.key`, or in
//! the file `ONEWINDOW_HUB_KEY_FILE` names (`serve --key-file`; replicas share one later). A key
//! file others can read is refused. A plaintext hub.db from before is encrypted in place on
//! first open, whole or not at all (the desk cache's own export, `onewindow_store`).

use std::path::{Path, PathBuf};

use crate::store::{HubStoreError, Result};

/// The environment variable naming the database key file (what `serve --key-file` sets for
/// the process; other subcommands read it too).
pub const KEY_FILE_ENV: &str = "ONEWINDOW_HUB_KEY_FILE";

/// Where the key lives when no file is named.
pub fn default_key_file(data: &Path) -> PathBuf {
    data.join("keys").join("hub.key")
}

/// The key file to use for `data`: the one named, else the environment's, else the default.
pub fn key_file(data: &Path, named: Option<&Path>) -> PathBuf {
    named
        .map(Path::to_path_buf)
        .or_else(|| std::env::var_os(KEY_FILE_ENV).map(PathBuf::from))
        .unwrap_or_else(|| default_key_file(data))
}

/// Makes `dir` the hub's alone (0700), creating it if missing.
pub fn private_dir(dir: &Path) -> Result<()> {
    let made = |source| HubStoreError::DataDir {
        path: dir.display().to_string(),
        source,
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
        if !dir.exists() {
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(dir)
                .map_err(made)?;
        }
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)).map_err(made)?;
    }
    #[cfg(not(unix))]
    std::fs::create_dir_all(dir).map_err(made)?;
    Ok(())
}

/// Makes an existing file the hub's alone (0600).
pub fn private_file(path: &Path) -> Result<()> {
    #[cfg(unix)]
    if path.exists() {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

/// The database key: read from `file` (64 hex digits), or made there (0600) when `file` is
/// the default and missing. A named file that is missing, unreadable, malformed or readable by
/// others is an error naming it.
pub fn load_or_make_db_key(data: &Path, file: &Path) -> Result<[u8; 32]> {
    let bad =
        |why: String| HubStoreError::BadInput(format!("database key {}: {why}", file.display()));
    match std::fs::read_to_string(file) {
        Ok(text) => {
            #[cfg(unix)]
            {
                use std::os::unix::fs::PermissionsExt;
                let mode = std::fs::metadata(file)?.permissions().mode();
                if mode & 0o077 != 0 {
                    return Err(bad(format!(
                        "readable by other users (mode {:o}); run chmod 600 on it",
                        mode & 0o777
                    )));
                }
            }
            let hex = text.trim();
            if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(bad(
                    "not a key (64 hex digits); restore it from the backup".into()
                ));
            }
            let mut key = [0u8; 32];
            for (i, k) in key.iter_mut().enumerate() {
                *k = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).expect("hex checked");
            }
            Ok(key)
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && file == default_key_file(data) => {
            if data.join("hub.db").exists()
                && !onewindow_store::is_plaintext_sqlite(&data.join("hub.db"))
            {
                return Err(bad(
                    "missing while hub.db is encrypted; restore the key from the backup".into(),
                ));
            }
            let dir = file.parent().expect("keys/ has a parent");
            private_dir(dir)?;
            let mut key = [0u8; 32];
            getrandom::fill(&mut key).expect("the OS random source works");
            let hex: String = key.iter().map(|b| format!("{b:02x}")).collect();
            let tmp = dir.join(".hub.key.new");
            {
                use std::io::Write;
                let mut opts = std::fs::OpenOptions::new();
                opts.write(true).create(true).truncate(true);
                #[cfg(unix)]
                std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
                let mut f = opts.open(&tmp)?;
                f.write_all(format!("{hex}\n").as_bytes())?;
                f.sync_all()?;
            }
            std::fs::rename(&tmp, file)?;
            tracing::info!(path = %file.display(), "hub database key made");
            Ok(key)
        }
        Err(e) => Err(bad(e.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_made_once_privately_and_a_readable_or_broken_one_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("hub");
        private_dir(&data).unwrap();
        let file = default_key_file(&data);
        let key = load_or_make_db_key(&data, &file).unwrap();
        assert_eq!(load_or_make_db_key(&data, &file).unwrap(), key);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(&file), 0o600);
            assert_eq!(mode(&data), 0o700);
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
            let e = load_or_make_db_key(&data, &file).unwrap_err().to_string();
            assert!(e.contains("readable by other users"), "{e}");
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
        }
        std::fs::write(&file, "not a key").unwrap();
        assert!(
            load_or_make_db_key(&data, &file)
                .unwrap_err()
                .to_string()
                .contains("64 hex")
        );
        let named = dir.path().join("elsewhere.key");
        assert!(
            load_or_make_db_key(&data, &named).is_err(),
            "a named file is never made"
        );
    }
}
