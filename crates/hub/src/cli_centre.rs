//! `onewindow-hub centre add|list|items`: the county's centres and which items each accepts.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Subcommand;
use onewindow_domain::centre::CentreLevel;

use crate::cli::{init_logging, open};
use crate::clock::Clock;

#[derive(Debug, Subcommand)]
pub enum CentreCommand {
    /// Add a centre: the county hall, a town's 便民服务中心 or a village's 便民服务站. Its
    /// parent must exist and be of a higher level.
    Add {
        #[arg(long)]
        data: PathBuf,
        /// The centre's code (capital letters, digits, '-' or '_'), e.g. QX.
        #[arg(long)]
        code: String,
        /// Its name, e.g. 青溪镇便民服务中心.
        #[arg(long)]
        name: String,
        /// county | town | village
        #[arg(long)]
        level: String,
        /// The centre above it (a town's county hall, a village's town).
        #[arg(long)]
        parent: Option<String>,
    },
    /// Every centre with its level, parent, desks and the items it accepts.
    List {
        #[arg(long)]
        data: PathBuf,
    },
    /// Adjust which catalog items one centre accepts, over what the catalog's `levels` say.
    Items {
        #[arg(long)]
        data: PathBuf,
        #[arg(long)]
        centre: String,
        /// Item codes this centre accepts from now on.
        #[arg(long, num_args = 1.., required_unless_present = "remove")]
        add: Vec<String>,
        /// Item codes this centre no longer accepts.
        #[arg(long, num_args = 1..)]
        remove: Vec<String>,
    },
}

pub fn centre_command(command: CentreCommand) -> ExitCode {
    let data = match &command {
        CentreCommand::Add { data, .. }
        | CentreCommand::List { data }
        | CentreCommand::Items { data, .. } => data.clone(),
    };
    let _guard = init_logging(&data);
    let mut store = match open(&data) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let now = Clock::system().now();
    match command {
        CentreCommand::Add {
            code,
            name,
            level,
            parent,
            ..
        } => {
            let Some(level) = CentreLevel::parse(level.trim()) else {
                eprintln!("无法添加中心：--level 应为 county、town 或 village，而不是 {level:?}");
                return ExitCode::from(2);
            };
            match store.add_centre(&code, &name, level, parent.as_deref(), now) {
                Ok(c) => {
                    tracing::info!(centre = %c.code, level = c.level.as_str(), "centre added");
                    println!(
                        "已添加{}：{}（{}）{}",
                        c.level.label(),
                        c.name,
                        c.code,
                        c.parent.map(|p| format!("，上级 {p}")).unwrap_or_default()
                    );
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("无法添加中心：{e}");
                    ExitCode::from(2)
                }
            }
        }
        CentreCommand::List { .. } => {
            let listed = store.centres().and_then(|all| {
                all.into_iter()
                    .map(|c| {
                        let accepts = store.centre_accepts(&c.code)?.len();
                        let desks = store.centre_desk_count(&c.code)?;
                        Ok((c, accepts, desks))
                    })
                    .collect::<Result<Vec<_>, _>>()
            });
            match listed {
                Ok(rows) => {
                    println!("编码\t名称\t层级\t上级\t窗口\t可受理事项");
                    for (c, accepts, desks) in rows {
                        println!(
                            "{}\t{}\t{}\t{}\t{desks}\t{accepts}",
                            c.code,
                            c.name,
                            c.level.as_str(),
                            c.parent.as_deref().unwrap_or("-")
                        );
                    }
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("无法读取中心：{e}");
                    ExitCode::from(1)
                }
            }
        }
        CentreCommand::Items {
            centre,
            add,
            remove,
            ..
        } => match store.set_centre_items(centre.trim(), &add, &remove, now) {
            Ok(r) => {
                tracing::info!(centre = %r.centre, added = r.added.len(), removed = r.removed.len(), "centre items adjusted");
                println!(
                    "{}：新增受理 {} 项，取消受理 {} 项；现可受理 {} 项（窗口下次同步目录时生效）",
                    r.centre,
                    r.added.len(),
                    r.removed.len(),
                    r.accepts
                );
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("无法调整中心的受理事项，未做任何更改：{e}");
                ExitCode::from(2)
            }
        },
    }
}
