//! `sudo onewindow-desk --provision FILE --system`: the machine-wide part of a desk's set-up.
//! A town desk reaches its hub now and then and no technician visits it, so it updates from
//! the hub itself (`onewindow-hub publish-desk`). This writes, for the hub the provisioning
//! file names:
//!
//! - the hub's APT signing key, fetched over the pinned connection
//!   (`/etc/apt/keyrings/onewindow-hub.gpg`);
//! - the hub's certificate, the one whose fingerprint the file pins
//!   (`/etc/onewindow/hub-certificate.pem`), and apt's `CAInfo` for that host only: apt
//!   trusts no self-signed certificate otherwise;
//! - an APT source for `HUB/apt/` `Signed-By` that key alone;
//! - unattended upgrades, daily, from that origin only (a counter PC on the government
//!   network reaches no other; a county adding its own mirror adds its pattern in a file
//!   read later).
//!
//! `ONEWINDOW_SYSTEM_ROOT` writes everything under another folder instead of `/` (an image
//! being built, a test), the files naming each other there.

use std::io::Write;
use std::path::{Path, PathBuf};

use base64::Engine;
use onewindow_domain::provision::Provision;
use onewindow_proto::apt;

/// The files, under the root.
pub const KEYRING: &str = "etc/apt/keyrings/onewindow-hub.gpg";
pub const CERTIFICATE: &str = "etc/onewindow/hub-certificate.pem";
pub const SOURCE: &str = "etc/apt/sources.list.d/onewindow-hub.sources";
pub const APT_CONF: &str = "etc/apt/apt.conf.d/51onewindow-hub";
pub const UPGRADES_CONF: &str = "etc/apt/apt.conf.d/52onewindow-desk-upgrades";

/// The largest signing key the hub may hand out (an ed25519 key is a few hundred bytes).
const MAX_KEY: usize = 64 * 1024;

/// What the files say, for a hub at `hub_url`, written under `root`.
pub fn files(
    hub_url: &url::Url,
    root: &Path,
    key: &[u8],
    certificate_pem: Option<&str>,
) -> Vec<(PathBuf, Vec<u8>)> {
    let at = |rel: &str| root.join(rel);
    let host = hub_url.host_str().unwrap_or_default();
    let base = hub_url.as_str().trim_end_matches('/');
    let mut out = vec![(at(KEYRING), key.to_vec())];
    let mut apt_conf = format!(
        "// Written by `onewindow-desk --provision FILE --system`: the OneWindow hub at {base}.\n"
    );
    if let Some(pem) = certificate_pem {
        out.push((at(CERTIFICATE), pem.as_bytes().to_vec()));
        apt_conf.push_str(&format!(
            "// Its certificate is its own (self-signed): trusted for this host only.\n\
             Acquire::https::{host}::CaInfo \"{}\";\n",
            at(CERTIFICATE).display()
        ));
    }
    let source = (
        at(SOURCE),
        format!(
            "# Written by `onewindow-desk --provision FILE --system`: desk updates from the\n\
             # OneWindow hub, signed by the hub's own key.\n\
             Types: deb\nURIs: {base}{path}/\nSuites: {suite}\nComponents: {component}\n\
             Signed-By: {key}\n",
            path = apt::PATH,
            suite = apt::SUITE,
            component = apt::COMPONENT,
            key = at(KEYRING).display()
        )
        .into_bytes(),
    );
    out.push((at(APT_CONF), apt_conf.into_bytes()));
    out.push((
        at(UPGRADES_CONF),
        format!(
            "// Written by `onewindow-desk --provision FILE --system`: the desk updates itself\n\
             // from its hub every day, and nothing else is upgraded unattended.\n\
             APT::Periodic::Update-Package-Lists \"1\";\n\
             APT::Periodic::Unattended-Upgrade \"1\";\n\
             // Only the hub: the Debian (Origins-Pattern) and Ubuntu (Allowed-Origins) defaults\n\
             // are cleared, a counter PC on the government network reaching no other source.\n\
             // A county with its own security mirror adds its pattern in a file read later.\n\
             #clear Unattended-Upgrade::Origins-Pattern;\n\
             #clear Unattended-Upgrade::Allowed-Origins;\n\
             Unattended-Upgrade::Origins-Pattern {{ \"origin={origin},label={label}\"; }};\n\
             Unattended-Upgrade::Automatic-Reboot \"false\";\n\
             // A desk.toml an administrator edited is kept, never asked about: unattended\n\
             // upgrades skip a package whose configuration file would need an answer.\n\
             Dpkg::Options {{ \"--force-confdef\"; \"--force-confold\"; }};\n",
            origin = apt::ORIGIN,
            label = apt::LABEL
        )
        .into_bytes(),
    ));
    // The source last: written before its certificate's setting, every `apt update` of the
    // machine would fail on it.
    out.push(source);
    out
}

/// A certificate (DER) as PEM, as apt's `CAInfo` reads it.
pub fn pem(der: &[u8]) -> String {
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = String::from("-----BEGIN CERTIFICATE-----\n");
    for line in b64.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(line).expect("base64 is ASCII"));
        out.push('\n');
    }
    out.push_str("-----END CERTIFICATE-----\n");
    out
}

/// Writes `bytes` to `path` whole or not at all, 0644 in folders 0755 whatever root's umask
/// (apt's sandbox user `_apt` reads the key and the certificate).
fn write_file(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    let dir = path.parent().expect("a file under the root");
    let missing: Vec<&Path> = dir.ancestors().take_while(|d| !d.exists()).collect();
    for d in missing.into_iter().rev() {
        std::fs::create_dir(d)?;
        std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o755))?;
    }
    let tmp = dir.join(format!(
        ".{}.tmp",
        path.file_name().expect("a file name").to_string_lossy()
    ));
    let _ = std::fs::remove_file(&tmp);
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o644)
        .open(&tmp)?;
    f.write_all(bytes)?;
    f.set_permissions(std::fs::Permissions::from_mode(0o644))?;
    f.sync_all()?;
    std::fs::rename(&tmp, path)
}

/// The hub's address and certificate pin as enrolment checks them: root will trust what
/// comes over this connection (plain HTTP only to this PC; a whole fingerprint or its first
/// 32 hex digits, however typed).
fn checked_hub(p: &Provision) -> Result<(String, Option<String>), String> {
    let (checked, https) = crate::session::check_hub_url(&p.hub_url)
        .map_err(|why| format!("终端配置文件中的中心地址 {}：{why}", p.hub_url))?;
    let pin = if https {
        Some(
            onewindow_sync::tls::normalise_pin(p.hub_pin.as_deref().unwrap_or_default())
                .map_err(|why| format!("终端配置文件中的证书指纹：{why}"))?,
        )
    } else {
        None
    };
    Ok((checked, pin))
}

/// Fetches the hub's key (and certificate) and writes the files under `root`; what to tell
/// the administrator, or why not (in Chinese).
pub async fn configure(provision: &Path, root: &Path) -> Result<String, String> {
    let text = std::fs::read_to_string(provision)
        .map_err(|e| format!("无法读取终端配置文件 {}：{e}", provision.display()))?;
    let p = Provision::parse(&text)
        .map_err(|e| format!("终端配置文件 {}：{e}", provision.display()))?;
    let (checked, pin) = checked_hub(&p)?;
    let hub_url = url::Url::parse(&checked).map_err(|e| format!("{checked}：{e}"))?;
    let client = onewindow_sync::HubClient::pinned(&checked, pin.as_deref());
    let key = client.apt_file(apt::KEYRING).await.map_err(|e| match &e {
        onewindow_sync::SyncError::Hub { status: 404, .. } => format!(
            "中心 {} 还没有发布过窗口程序（onewindow-hub publish-desk），没有软件源签名公钥",
            p.hub_url
        ),
        _ if e.code() == onewindow_sync::SyncCode::HubUnreachable => {
            format!("无法连接中心 {checked}，未做任何更改（{e}）")
        }
        _ => format!(
            "无法从中心取得软件源签名公钥，未做任何更改：{}",
            e.message_zh()
        ),
    })?;
    // An OpenPGP public key packet (old or new format), of a sane size.
    if key.is_empty() || key.len() > MAX_KEY || !matches!(key[0], 0x98 | 0x99 | 0xc6) {
        return Err("中心提供的软件源签名公钥格式不正确，未做任何更改".into());
    }
    let certificate = match hub_url.scheme() {
        "https" => Some(pem(&client
            .seen_certificate()
            .ok_or("未能取得中心的证书，未做任何更改")?
            .der)),
        _ => None,
    };
    let files = files(&hub_url, root, &key, certificate.as_deref());
    for (path, bytes) in &files {
        write_file(path, bytes).map_err(|e| {
            let hint = if e.kind() == std::io::ErrorKind::PermissionDenied {
                "（需要管理员权限：sudo onewindow-desk --provision FILE --system）"
            } else {
                ""
            };
            format!("无法写入 {}：{e}{hint}", path.display())
        })?;
    }
    tracing::info!(hub = %p.hub_url, files = files.len(), "apt source for the hub written");
    let mut said = format!(
        "已为本机配置从中心 {} 自动更新窗口程序：\n",
        p.hub_url.trim_end_matches('/')
    );
    for (path, _) in &files {
        said.push_str(&format!("  {}\n", path.display()));
    }
    if !Path::new("/usr/bin/unattended-upgrade").exists() {
        said.push_str(
            "注意：本机没有安装 unattended-upgrades，不会自动更新；请安装：sudo apt-get install unattended-upgrades\n",
        );
    }
    Ok(said)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_source_names_the_hubs_key_and_the_certificate_is_for_its_host_only() {
        let url = url::Url::parse("https://hub.county.example:8443/").unwrap();
        let root = Path::new("/tmp/r");
        let files = files(&url, root, b"\x99key", Some("PEM"));
        let text = |rel: &str| {
            let (_, b) = files.iter().find(|(p, _)| p == &root.join(rel)).unwrap();
            String::from_utf8(b.clone()).unwrap()
        };
        let source = text(SOURCE);
        assert!(
            source.contains("URIs: https://hub.county.example:8443/apt/\n"),
            "{source}"
        );
        assert!(
            source.contains("Suites: onewindow\nComponents: main\n"),
            "{source}"
        );
        assert!(
            source.contains("Signed-By: /tmp/r/etc/apt/keyrings/onewindow-hub.gpg\n"),
            "{source}"
        );
        let conf = text(APT_CONF);
        assert!(
            conf.contains("Acquire::https::hub.county.example::CaInfo \"/tmp/r/etc/onewindow/hub-certificate.pem\";"),
            "{conf}"
        );
        let upgrades = text(UPGRADES_CONF);
        assert!(
            upgrades.contains("#clear Unattended-Upgrade::Origins-Pattern;"),
            "{upgrades}"
        );
        assert!(
            upgrades.contains("\"origin=OneWindow,label=OneWindow desk\""),
            "{upgrades}"
        );
        assert!(files.contains(&(root.join(KEYRING), b"\x99key".to_vec())));
        // A plain-HTTP hub (loopback) has no certificate to trust.
        let plain = super::files(
            &url::Url::parse("http://127.0.0.1:8470").unwrap(),
            root,
            b"k",
            None,
        );
        assert!(
            plain
                .iter()
                .all(|(p, _)| !p.ends_with("hub-certificate.pem"))
        );
    }

    #[test]
    fn the_hub_is_checked_as_enrolment_checks_it() {
        let p = |url: &str, pin: Option<&str>| Provision {
            kind: "onewindow-provision".into(),
            version: 1,
            hub_url: url.into(),
            hub_pin: pin.map(str::to_string),
            enrol_code: "ABCD-EFGH".into(),
            desk_code: "XZ-01".into(),
            centre: "XZ".into(),
            window: 1,
            desk_name: "1 号窗口".into(),
        };
        let full = "AB:".repeat(31) + "AB";
        let (url, pin) = checked_hub(&p("https://10.0.0.5:8470/", Some(&full))).unwrap();
        assert_eq!(url, "https://10.0.0.5:8470");
        assert_eq!(pin.unwrap(), "ab".repeat(32));
        assert!(
            checked_hub(&p("https://10.0.0.5:8470", Some("ab")))
                .unwrap_err()
                .contains("证书指纹")
        );
        assert!(
            checked_hub(&p("https://10.0.0.5:8470", None))
                .unwrap_err()
                .contains("证书指纹")
        );
        assert!(
            checked_hub(&p("http://10.0.0.5:8470", None))
                .unwrap_err()
                .contains("https://")
        );
        assert_eq!(
            checked_hub(&p("http://127.0.0.1:8470", None)).unwrap().1,
            None
        );
    }

    #[test]
    fn the_source_is_written_last() {
        let url = url::Url::parse("https://hub.example:8443").unwrap();
        let files = files(&url, Path::new("/r"), b"k", Some("PEM"));
        assert_eq!(files.last().unwrap().0, Path::new("/r").join(SOURCE));
        assert_eq!(files.len(), 5);
    }

    #[test]
    fn a_certificate_is_written_as_pem_lines_of_64() {
        let pem = pem(&[0u8; 100]);
        let lines: Vec<&str> = pem.lines().collect();
        assert_eq!(lines[0], "-----BEGIN CERTIFICATE-----");
        assert_eq!(lines.last().unwrap(), &"-----END CERTIFICATE-----");
        assert_eq!(lines[1].len(), 64);
        assert!(lines[1..lines.len() - 1].iter().all(|l| l.len() <= 64));
    }
}
