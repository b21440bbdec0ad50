//! `onewindow-hub kiosk add|revoke|list`: the centres' kiosks (取号机) and their credentials.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Subcommand;

use crate::cli::{init_logging, open};
use crate::clock::Clock;

#[derive(Debug, Subcommand)]
pub enum KioskCommand {
    /// A kiosk (or a new credential for one): prints the one-time link to open in its browser.
    Add {
        #[arg(long)]
        data: PathBuf,
        #[arg(long)]
        name: String,
        /// The hub's address as the kiosk reaches it, to print the whole link.
        #[arg(long = "hub-url")]
        hub_url: Option<String>,
        /// The centre (see `centre list`); may be left out while the hub has one.
        #[arg(long)]
        centre: Option<String>,
    },
    /// End a kiosk's credential: it issues no more tickets.
    Revoke {
        #[arg(long)]
        data: PathBuf,
        #[arg(long)]
        name: String,
    },
    /// The kiosks and whether each holds a credential.
    List {
        #[arg(long)]
        data: PathBuf,
    },
}

/// `kiosk add|revoke|list`.
pub fn kiosk_command(command: KioskCommand) -> ExitCode {
    let data = match &command {
        KioskCommand::Add { data, .. }
        | KioskCommand::Revoke { data, .. }
        | KioskCommand::List { data } => data.clone(),
    };
    let _guard = init_logging(&data);
    let mut store = match open(&data) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let now = Clock::system().now();
    match command {
        KioskCommand::Add {
            name,
            hub_url,
            centre,
            ..
        } => match store
            .resolve_centre(centre.as_deref())
            .and_then(|c| store.add_kiosk(&c, &name, now))
        {
            Ok(code) => {
                let path = format!("/kiosk/pair/{code}");
                let link = hub_url.map_or_else(
                    || format!("http(s)://中心地址{path}"),
                    |u| format!("{}{path}", u.trim_end_matches('/')),
                );
                tracing::info!(kiosk = %name, "kiosk added");
                println!(
                    "取号机 {name} 的一次性登记链接（请在取号机的浏览器中打开，仅可使用一次）："
                );
                println!("{link}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("无法登记取号机：{e}");
                ExitCode::from(2)
            }
        },
        KioskCommand::Revoke { name, .. } => match store.revoke_kiosk(&name, now) {
            Ok(true) => {
                tracing::warn!(kiosk = %name, "kiosk revoked");
                println!("取号机 {name} 的凭据已吊销");
                ExitCode::SUCCESS
            }
            Ok(false) => {
                eprintln!("没有取号机 {name}");
                ExitCode::from(2)
            }
            Err(e) => {
                eprintln!("吊销失败：{e}");
                ExitCode::from(1)
            }
        },
        KioskCommand::List { .. } => match store.kiosks() {
            Ok(list) => {
                for k in list {
                    let state = if k.revoked {
                        "已吊销"
                    } else if k.paired {
                        "使用中"
                    } else {
                        "待登记"
                    };
                    println!("{}\t{}\t{state}", k.name, k.centre);
                }
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("无法读取取号机：{e}");
                ExitCode::from(1)
            }
        },
    }
}
