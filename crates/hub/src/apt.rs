//! The desks' APT repository (`onewindow-hub publish-desk`): a town desk that reaches its hub
//! now and then updates from the hub itself.
//!
//! `DATA/apt/` is the repository as the hub serves it under `/apt/`: `pool/main/*.deb`,
//! `dists/onewindow/main/binary-amd64/Packages`, `dists/onewindow/Release` signed as
//! `InRelease` and `Release.gpg`, and the public key `onewindow-archive-keyring.gpg` (what a
//! desk's `Signed-By` names). The signing key is an OpenPGP key gpg made once in
//! `DATA/apt-gpg/` (the hub's alone); signing is gpg's, never ours.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use sha2::{Digest, Sha256};

use crate::cli::init_logging;

/// The repository, under the data folder and under the hub's address.
pub const APT_DIR: &str = "apt";
/// gpg's home for the signing key, under the data folder.
pub const GPG_DIR: &str = "apt-gpg";
/// The suite, key, origin, label and package, as desks' sources name them.
pub use onewindow_proto::apt::{KEYRING, LABEL, ORIGIN, PACKAGE, SUITE};

/// The repository's index of packages, under [`APT_DIR`].
pub const PACKAGES_INDEX: &str = "dists/onewindow/main/binary-amd64/Packages";
const KEY_UID: &str = "OneWindow hub APT signing key <apt@onewindow.invalid>";

#[derive(Debug, clap::Args)]
pub struct PublishDeskArgs {
    #[arg(long)]
    pub data: PathBuf,
    /// An onewindow-desk .deb (`make package`).
    pub package: PathBuf,
}

pub fn publish_desk(args: PublishDeskArgs) -> ExitCode {
    let _guard = init_logging(&args.data);
    match publish(&args.data, &args.package) {
        Ok((version, replaced)) => {
            tracing::info!(version = %version, "desk package published");
            println!(
                "已发布窗口程序 {PACKAGE} {version}{}：各窗口电脑的 apt 源为 …/apt/（{SUITE} main），签名公钥 …/apt/{KEY_UID_FILE}",
                if replaced {
                    "（同一版本的同一文件，未改变）"
                } else {
                    ""
                },
                KEY_UID_FILE = KEYRING
            );
            ExitCode::SUCCESS
        }
        Err((code, message)) => {
            eprintln!("{message}");
            tracing::error!(message = %message, "publish-desk failed");
            ExitCode::from(code)
        }
    }
}

type Failed = (u8, String);

fn run(cmd: &mut Command, what: &str) -> Result<Vec<u8>, Failed> {
    let out = cmd
        .output()
        .map_err(|e| (1, format!("无法运行 {what}：{e}（需要 gnupg 与 dpkg）")))?;
    if !out.status.success() {
        return Err((
            1,
            format!(
                "{what} 失败：{}",
                String::from_utf8_lossy(&out.stderr).trim()
            ),
        ));
    }
    Ok(out.stdout)
}

fn gpg(home: &Path) -> Command {
    let mut c = Command::new("gpg");
    c.arg("--homedir").arg(home).args([
        "--batch",
        "--no-tty",
        "--quiet",
        "--pinentry-mode",
        "loopback",
    ]);
    c
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The signing key's fingerprint, the key made (ed25519, no passphrase: the folder is the
/// hub's alone) the first time; its public half is written where desks fetch it.
fn signing_key(data: &Path) -> Result<String, Failed> {
    let home = data.join(GPG_DIR);
    let keyring = data.join(APT_DIR).join(KEYRING);
    onewindow_hub_store::store_keys::private_dir(&home).map_err(|e| (1, e.to_string()))?;
    let list = |home: &Path| -> Result<Option<String>, Failed> {
        let out = run(
            gpg(home).args(["--with-colons", "--list-secret-keys"]),
            "gpg --list-secret-keys",
        )
        .or_else(|(_, m)| {
            // No keyring yet lists nothing.
            if m.contains("No secret key") || m.is_empty() {
                Ok(Vec::new())
            } else {
                Err((1, m))
            }
        })?;
        Ok(String::from_utf8_lossy(&out)
            .lines()
            .skip_while(|l| !l.starts_with("sec:"))
            .find_map(|l| l.strip_prefix("fpr:"))
            .map(|f| f.trim_matches(':').to_string()))
    };
    let fingerprint = match list(&home)? {
        Some(f) => f,
        None if keyring.exists() => {
            // Desks trust the key this repository was signed with, and nothing else: a new
            // one made silently (a restore without the old key) would stop every update.
            return Err((
                2,
                format!(
                    "此中心的窗口程序软件源已有签名公钥 {keyring}，但签名密钥 {home} 不在：各窗口电脑只信任原密钥，换新密钥会使它们全部无法更新。\
                     恢复中心时请用 restore --keys 交还原数据目录（含 apt-gpg/）。\
                     若原密钥确已丢失：删除 {keyring} 后再发布，并在每台窗口电脑重新执行 sudo onewindow-desk --provision 文件 --system。",
                    keyring = keyring.display(),
                    home = home.display()
                ),
            ));
        }
        None => {
            run(
                gpg(&home).args([
                    "--passphrase",
                    "",
                    "--quick-generate-key",
                    KEY_UID,
                    "ed25519",
                    "sign",
                    "never",
                ]),
                "gpg --quick-generate-key",
            )?;
            list(&home)?.ok_or((1, "gpg made no key".to_string()))?
        }
    };
    let public = run(gpg(&home).args(["--export", &fingerprint]), "gpg --export")?;
    write_atomic(&keyring, &public)?;
    Ok(fingerprint)
}

fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), Failed> {
    let dir = path.parent().expect("a folder");
    std::fs::create_dir_all(dir).map_err(|e| (1, format!("{}：{e}", dir.display())))?;
    let tmp = dir.join(format!(
        ".{}.tmp",
        path.file_name().expect("a name").to_string_lossy()
    ));
    std::fs::write(&tmp, bytes)
        .and_then(|()| std::fs::rename(&tmp, path))
        .map_err(|e| (1, format!("无法写入 {}：{e}", path.display())))
}

/// One control field of a package (`dpkg-deb --field`).
fn field(deb: &Path, name: &str) -> Result<String, Failed> {
    let out = run(
        Command::new("dpkg-deb").arg("--field").arg(deb).arg(name),
        "dpkg-deb --field",
    )?;
    Ok(String::from_utf8_lossy(&out).trim().to_string())
}

/// Adds `deb` to the repository and signs the new index; whether the same version was there
/// already (byte for byte: then nothing changes). Another file under a published version is
/// refused: apt would take one or the other.
pub fn publish(data: &Path, deb: &Path) -> Result<(String, bool), Failed> {
    let bad = |m: String| (2u8, m);
    let bytes = std::fs::read(deb).map_err(|e| bad(format!("无法读取 {}：{e}", deb.display())))?;
    let package = field(deb, "Package")
        .map_err(|(_, m)| bad(format!("{} 不是 Debian 软件包：{m}", deb.display())))?;
    if package != PACKAGE {
        return Err(bad(format!(
            "{} 是 {package} 的软件包：只能发布 {PACKAGE}",
            deb.display()
        )));
    }
    let version = field(deb, "Version")?;
    let arch = field(deb, "Architecture")?;
    let safe = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b".+~-_:".contains(&b))
    };
    if !safe(&version) || !safe(&arch) || arch != "amd64" {
        return Err(bad(format!(
            "{PACKAGE} {version} ({arch})：只发布 amd64 的版本"
        )));
    }
    let repo = data.join(APT_DIR);
    let name = format!("{PACKAGE}_{}_{arch}.deb", version.replace(':', "%3a"));
    let target = repo.join("pool/main").join(&name);
    let same = match std::fs::read(&target) {
        Ok(old) if old == bytes => true,
        Ok(_) => {
            return Err(bad(format!(
                "{PACKAGE} {version} 已发布过另一个文件：请提高版本号后再发布"
            )));
        }
        Err(_) => false,
    };
    let fingerprint = signing_key(data)?;
    if !same {
        write_atomic(&target, &bytes)?;
    }
    write_index(&repo, &fingerprint, &data.join(GPG_DIR))?;
    Ok((version, same))
}

/// `Packages` from every package in the pool, `Release` naming it, both signatures.
fn write_index(repo: &Path, fingerprint: &str, home: &Path) -> Result<(), Failed> {
    let pool = repo.join("pool/main");
    let mut debs: Vec<PathBuf> = std::fs::read_dir(&pool)
        .map_err(|e| (1, format!("{}：{e}", pool.display())))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "deb"))
        .collect();
    debs.sort();
    let mut packages = String::new();
    for deb in &debs {
        let control = run(
            Command::new("dpkg-deb").arg("--field").arg(deb),
            "dpkg-deb --field",
        )?;
        let bytes = std::fs::read(deb).map_err(|e| (1, format!("{}：{e}", deb.display())))?;
        packages.push_str(String::from_utf8_lossy(&control).trim_end());
        packages.push_str(&format!(
            "\nFilename: pool/main/{}\nSize: {}\nSHA256: {}\n\n",
            deb.file_name().expect("a name").to_string_lossy(),
            bytes.len(),
            sha256_hex(&bytes)
        ));
    }
    let dist = repo.join("dists").join(SUITE);
    write_atomic(&repo.join(PACKAGES_INDEX), packages.as_bytes())?;
    let release = format!(
        "Origin: {ORIGIN}\nLabel: {LABEL}\nSuite: {SUITE}\nCodename: {SUITE}\nDate: {}\n\
         Architectures: amd64\nComponents: main\n\
         Description: OneWindow desk updates from this hub\nSHA256:\n {} {} main/binary-amd64/Packages\n",
        crate::clock::Clock::system()
            .now()
            .format("%a, %d %b %Y %H:%M:%S UTC"),
        sha256_hex(packages.as_bytes()),
        packages.len()
    );
    write_atomic(&dist.join("Release"), release.as_bytes())?;
    let sign = |args: &[&str], out: &str| -> Result<(), Failed> {
        let tmp = dist.join(format!(".{out}.tmp"));
        let _ = std::fs::remove_file(&tmp);
        run(
            gpg(home)
                .args(["--local-user", fingerprint, "--digest-algo", "SHA512"])
                .args(args)
                .arg("--output")
                .arg(&tmp)
                .arg(dist.join("Release")),
            "gpg --sign",
        )?;
        std::fs::rename(&tmp, dist.join(out)).map_err(|e| (1, e.to_string()))
    };
    sign(&["--clearsign"], "InRelease")?;
    sign(&["--armor", "--detach-sign"], "Release.gpg")?;
    // gpg left its agent running for this home: nothing else will use it.
    let _ = Command::new("gpgconf")
        .arg("--homedir")
        .arg(home)
        .args(["--kill", "gpg-agent"])
        .output();
    Ok(())
}

/// The newest desk version in a `Packages` index (dpkg's order).
pub fn newest_version(packages: &str) -> Option<String> {
    packages
        .split("\n\n")
        .filter(|stanza| stanza.lines().any(|l| l == format!("Package: {PACKAGE}")))
        .filter_map(|stanza| stanza.lines().find_map(|l| l.strip_prefix("Version: ")))
        .map(str::trim)
        .filter(|v| onewindow_domain::release::is_version(v))
        .max_by(|a, b| onewindow_domain::release::compare(a, b))
        .map(str::to_string)
}

/// Whether `part` is one part of a path in the repository as publish-desk writes it: not
/// empty, nothing hidden, only the characters Debian's file names use (`+`, `~`, `%3a`).
pub fn plain_part(part: &str) -> bool {
    !part.is_empty()
        && !part.starts_with('.')
        && part
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"._+~-%".contains(&b))
}

/// The file a request under `/apt/` names, if it is one of the repository's (plain parts,
/// nothing hidden, nothing outside).
pub fn repository_file(data: &Path, path: &str) -> Option<PathBuf> {
    if path.is_empty() || !path.split('/').all(plain_part) {
        return None;
    }
    let file = path
        .split('/')
        .fold(data.join(APT_DIR), |p, part| p.join(part));
    file.is_file().then_some(file)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_repositorys_files_are_served() {
        let dir = tempfile::tempdir().unwrap();
        let repo = dir.path().join(APT_DIR);
        std::fs::create_dir_all(repo.join("dists/onewindow")).unwrap();
        std::fs::write(repo.join("dists/onewindow/InRelease"), b"x").unwrap();
        std::fs::write(dir.path().join("hub.db"), b"secret").unwrap();
        assert!(repository_file(dir.path(), "dists/onewindow/InRelease").is_some());
        for bad in [
            "../hub.db",
            "dists/../../hub.db",
            "dists//onewindow",
            ".hidden",
            "dists/onewindow",
            "",
            "dists/onewindow/InRelease\\..",
        ] {
            assert!(repository_file(dir.path(), bad).is_none(), "{bad}");
        }
    }
}
