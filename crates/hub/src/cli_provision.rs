//! `onewindow-hub provision`: enrols a centre's windows in one go and writes, for each, the
//! file its desk takes with `--provision FILE`, plus one printable A4 sheet of QR codes the
//! enrolment panel (F10) scans. All the codes are made in one transaction, or none.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use onewindow_documents::{CjkFont, ProvisionSheet, SheetCard};
use onewindow_domain::provision::{
    PROVISION_KIND, PROVISION_VERSION, Provision, parse_windows, window_desk_code,
};

use crate::cli::{init_logging, open};
use crate::cli_backup::{Failed, bad, failed, finish};
use crate::clock::Clock;
use crate::config::HubConfig;

/// The packaged hub's settings, read for `public_url` when neither `--hub-url` nor `--config`
/// is given.
const PACKAGED_CONFIG: &str = "/etc/onewindow/hub.toml";
/// The sheet's file name in `--out`.
pub const SHEET_FILE: &str = "provision.pdf";

#[derive(Debug, clap::Args)]
pub struct ProvisionArgs {
    #[arg(long)]
    pub data: PathBuf,
    /// The centre whose windows these are (see `centre list`).
    #[arg(long)]
    pub centre: String,
    /// The window numbers: `1-12`, `3`, `1-4,7`; window N becomes desk code CENTRE-NN.
    #[arg(long)]
    pub windows: String,
    /// The folder the desks' files and provision.pdf are written to (created if missing).
    #[arg(long)]
    pub out: PathBuf,
    /// The hub as the desks reach it (default: `public_url` of `--config FILE`, or of
    /// /etc/onewindow/hub.toml when there is one).
    #[arg(long = "hub-url")]
    pub hub_url: Option<String>,
    /// The hub's settings file, for its `public_url`.
    #[arg(long)]
    pub config: Option<PathBuf>,
}

/// The file a desk's provisioning is written to.
pub fn desk_file(out: &Path, desk_code: &str) -> PathBuf {
    out.join(format!("{desk_code}.onewindow-provision.json"))
}

pub fn provision(args: ProvisionArgs) -> ExitCode {
    let _guard = init_logging(&args.data);
    finish(run(&args), "provision")
}

fn run(args: &ProvisionArgs) -> Result<(), Failed> {
    let windows = parse_windows(&args.windows).map_err(bad)?;
    let hub_url = hub_url(args)?;
    let pin = if hub_url.scheme() == "https" {
        match crate::tls::existing_fingerprint(&args.data) {
            Ok(Some(fp)) => Some(fp),
            Ok(None) => {
                return Err(bad(format!(
                    "中心尚无 HTTPS 证书（数据目录 {}）：先运行 onewindow-hub tls-cert --data {} --name 主机名",
                    args.data.display(),
                    args.data.display()
                )));
            }
            Err(e) => return Err(failed(format!("中心证书无法读取：{e}"))),
        }
    } else {
        None
    };
    let font = CjkFont::find().map_err(|e| failed(e.message_zh()))?;

    if crate::cli::database().is_none() && !args.data.join("hub.db").exists() {
        return Err(bad(format!(
            "{} 中没有 hub.db：请给出中心的数据目录（--data）",
            args.data.display()
        )));
    }
    let mut store = open(&args.data).map_err(|code| (code, String::new()))?;
    let centre = store
        .resolve_centre(Some(&args.centre))
        .map_err(|e| bad(format!("中心 {} 无法使用：{e}", args.centre)))?;
    let centre_name = store
        .centre(&centre)
        .ok()
        .flatten()
        .map(|c| c.name)
        .unwrap_or_else(|| centre.clone());
    let desks = windows
        .iter()
        .map(|&n| {
            Ok((
                n,
                window_desk_code(&centre, n)?,
                format!("{centre_name} {n} 号窗口"),
            ))
        })
        .collect::<Result<Vec<_>, String>>()
        .map_err(bad)?;

    // The folder must take the files before any code is made: a code whose file was never
    // written would hold its desk code until replaced by hand. A new folder is the caller's
    // alone; files already there are never overwritten (nor followed, if links).
    if !args.out.exists() {
        onewindow_hub_store::store_keys::private_dir(&args.out)
            .map_err(|e| bad(format!("无法创建输出目录 {}：{e}", args.out.display())))?;
    }
    let mut outputs: Vec<PathBuf> = desks
        .iter()
        .map(|(_, code, _)| desk_file(&args.out, code))
        .collect();
    outputs.push(args.out.join(SHEET_FILE));
    if let Some(there) = outputs.iter().find(|p| p.symlink_metadata().is_ok()) {
        return Err(bad(format!(
            "{} 已存在：不覆盖，请换一个输出目录",
            there.display()
        )));
    }
    let probe = args.out.join(".provision-probe");
    write_private(&probe, b"")
        .and_then(|()| {
            std::fs::remove_file(&probe)
                .map_err(|e| bad(format!("无法写入输出目录 {}：{e}", args.out.display())))
        })
        .map_err(|(_, m)| bad(m))?;

    let asked: Vec<(&str, Option<&str>)> = desks
        .iter()
        .map(|(_, code, name)| (name.as_str(), Some(code.as_str())))
        .collect();
    let made = store
        .create_enrol_codes_at(&centre, &asked, Clock::system().now())
        .map_err(|e| bad(format!("无法为这些窗口生成注册码（一个也未生成）：{e}")))?;

    let mut cards = Vec::with_capacity(made.len());
    for ((window, _, desk_name), (secret, desk_code)) in desks.iter().zip(made) {
        let p = Provision {
            kind: PROVISION_KIND.into(),
            version: PROVISION_VERSION,
            hub_url: hub_url.as_str().trim_end_matches('/').to_string(),
            hub_pin: pin.clone(),
            enrol_code: secret.clone(),
            desk_code: desk_code.clone(),
            centre: centre.clone(),
            window: *window,
            desk_name: desk_name.clone(),
        };
        let line = p.to_line();
        write_private(
            &desk_file(&args.out, &desk_code),
            format!("{line}\n").as_bytes(),
        )?;
        tracing::info!(desk_code = %desk_code, window, "desk provisioned");
        cards.push(SheetCard {
            window: *window,
            desk_code,
            desk_name: desk_name.clone(),
            enrol_code: secret,
            payload: line,
        });
    }
    let sheet = ProvisionSheet {
        centre: centre_name.clone(),
        hub_url: hub_url.as_str().trim_end_matches('/').to_string(),
        hub_pin: pin.as_deref().map(crate::tls::grouped).unwrap_or_default(),
        cards,
    }
    .render(&font)
    .map_err(|e| failed(e.message_zh()))?;
    write_private(&args.out.join(SHEET_FILE), &sheet)?;
    println!(
        "已为「{centre_name}」的 {} 个窗口生成注册码（一次有效）：{}",
        desks.len(),
        desks
            .iter()
            .map(|(_, c, _)| c.as_str())
            .collect::<Vec<_>>()
            .join("、")
    );
    println!(
        "每台窗口电脑的配置文件：{}",
        args.out.join("*.onewindow-provision.json").display()
    );
    println!(
        "打印用的二维码配置单：{}",
        args.out.join(SHEET_FILE).display()
    );
    Ok(())
}

/// The hub URL desks use: `--hub-url`, else the settings file's `public_url`.
fn hub_url(args: &ProvisionArgs) -> Result<url::Url, Failed> {
    let given = match &args.hub_url {
        Some(u) => u.clone(),
        None => {
            let file = args.config.clone().or_else(|| {
                Path::new(PACKAGED_CONFIG)
                    .exists()
                    .then(|| PACKAGED_CONFIG.into())
            });
            let from_file = match &file {
                Some(f) => HubConfig::read(f).map_err(bad)?.public_url,
                None => None,
            };
            let url = from_file.ok_or_else(|| {
                bad("请用 --hub-url 给出窗口电脑访问中心的地址（如 https://hub.example:8470），或在配置文件中写 public_url".into())
            })?;
            println!(
                "中心地址取自配置文件的 public_url：{url}（窗口电脑须能直接访问中心本身；若它是另有证书的反向代理，请用 --hub-url 给出中心的地址）"
            );
            url
        }
    };
    let u = url::Url::parse(given.trim())
        .map_err(|e| bad(format!("中心地址 {given} 无法解析：{e}")))?;
    let loopback = matches!(u.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"));
    match u.scheme() {
        "https" => {}
        "http" if loopback => {}
        _ => {
            return Err(bad(format!(
                "中心地址 {given} 须以 https:// 开头（只有本机回环地址可用 http://）"
            )));
        }
    }
    if u.host().is_none() || u.query().is_some() || !u.username().is_empty() {
        return Err(bad(format!("中心地址 {given} 须只含协议、主机和端口")));
    }
    Ok(u)
}

/// Writes a file only its owner can read (it holds one-time codes).
fn write_private(path: &Path, bytes: &[u8]) -> Result<(), Failed> {
    use std::io::Write;
    #[cfg(unix)]
    use std::os::unix::fs::OpenOptionsExt;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    options.mode(0o600);
    options
        .open(path)
        .and_then(|mut f| f.write_all(bytes).and_then(|()| f.sync_all()))
        .map_err(|e| failed(format!("无法写入 {}：{e}", path.display())))
}
