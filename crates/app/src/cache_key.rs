//! The cache's SQLCipher key: 32 random bytes made on first start and kept in the OS keyring
//! (Secret Service, Keychain, Credential Manager), one per data folder — never in a file.
//! Without a keyring the desk refuses to open its cache and says why.

use crate::error::ErrorCode;
use std::path::Path;

use crate::dto::CacheProblem;

/// Where the key comes from.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum CacheKey {
    /// The OS keyring (made on first start).
    #[default]
    Keyring,
    /// Given (tests and benchmarks that must read the cache themselves).
    Fixed([u8; 32]),
}

/// The keyring service the cache keys are filed under.
const SERVICE: &str = "cn.onewindow.desk.cache-key";

fn problem(path: &Path, detail: &str) -> CacheProblem {
    tracing::error!(detail, "cache key unavailable");
    CacheProblem {
        code: ErrorCode::KeystoreUnavailable,
        message: "系统密钥库不可用，无法打开加密的本地缓存。请确认已登录操作系统桌面（密钥库已解锁）后重新启动；本程序不会把密钥写入文件。".into(),
        path: path.display().to_string(),
    }
}

fn hex(key: &[u8; 32]) -> String {
    key.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Option<[u8; 32]> {
    let s = s.trim();
    if s.len() != 64 {
        return None;
    }
    let mut out = [0u8; 32];
    for (i, b) in out.iter_mut().enumerate() {
        *b = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).ok()?;
    }
    Some(out)
}

impl CacheKey {
    /// The key of the cache at `cache` (made and filed when there is none yet).
    pub fn get(&self, cache: &Path) -> Result<[u8; 32], CacheProblem> {
        match self {
            CacheKey::Fixed(k) => Ok(*k),
            CacheKey::Keyring => {
                let entry = keyring::Entry::new(SERVICE, &account(cache))
                    .map_err(|e| problem(cache, &e.to_string()))?;
                match entry.get_password() {
                    Ok(stored) => unhex(&stored)
                        .ok_or_else(|| problem(cache, "the stored key is not 32 bytes of hex")),
                    Err(keyring::Error::NoEntry) => {
                        if cache.exists() && !onewindow_store::is_plaintext_sqlite(cache) {
                            // An encrypted cache whose key is gone: opening it would fail.
                            return Err(CacheProblem {
                                code: ErrorCode::CacheKeyLost,
                                message: "本地缓存的密钥已不在系统密钥库中，缓存无法解密。可以从中心服务重建缓存（未上传的办件将无法恢复）。".into(),
                                path: cache.display().to_string(),
                            });
                        }
                        let mut key = [0u8; 32];
                        getrandom::fill(&mut key).expect("the OS random source works");
                        entry
                            .set_password(&hex(&key))
                            .map_err(|e| problem(cache, &e.to_string()))?;
                        tracing::info!("cache key made and filed in the keyring");
                        Ok(key)
                    }
                    Err(e) => Err(problem(cache, &e.to_string())),
                }
            }
        }
    }
}

/// The keyring account of a cache: its absolute path, the same however the data folder was
/// named (relative, through a symlink) and whether the file exists yet or not.
fn account(cache: &Path) -> String {
    let dir = cache.parent().filter(|d| !d.as_os_str().is_empty());
    let dir = match dir {
        Some(d) => {
            let _ = std::fs::create_dir_all(d);
            d.canonicalize().unwrap_or_else(|_| d.to_path_buf())
        }
        None => std::env::current_dir().unwrap_or_default(),
    };
    dir.join(cache.file_name().unwrap_or_default())
        .display()
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cache_has_one_account_however_its_folder_is_named() {
        let tmp = tempfile::tempdir().unwrap();
        let abs = tmp.path().join("desk/cache.db");
        let before = account(&abs);
        std::fs::write(&abs, b"x").unwrap();
        assert_eq!(account(&abs), before, "before and after the file exists");
        let dotted = tmp.path().join("desk/../desk/cache.db");
        assert_eq!(account(&dotted), before);
        #[cfg(unix)]
        {
            let link = tmp.path().join("link");
            std::os::unix::fs::symlink(tmp.path().join("desk"), &link).unwrap();
            assert_eq!(account(&link.join("cache.db")), before);
        }
    }

    #[test]
    fn keys_round_trip_as_hex() {
        let k = [0xabu8; 32];
        assert_eq!(unhex(&hex(&k)), Some(k));
        assert_eq!(unhex("abc"), None);
    }
}
