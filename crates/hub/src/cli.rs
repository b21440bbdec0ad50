//! Command line of `onewindow-hub`.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::clock::Clock;
pub(crate) use crate::logging::{init_logging, init_logging_as};
use crate::store::HubStore;

#[derive(Debug, Parser)]
#[command(
    name = "onewindow-hub",
    version,
    about = "OneWindow hub: catalog publishing and sync for desks"
)]
struct Cli {
    /// The hub's database when it is PostgreSQL: postgres://USER:PASSWORD@HOST:PORT/DATABASE
    /// (default: DATA/hub.db, SQLite). The data folder still holds the keys, TLS files and
    /// blobs.
    #[arg(
        long,
        global = true,
        env = "ONEWINDOW_HUB_DATABASE",
        hide_env_values = true
    )]
    database: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Serve the HTTP API (settings from the command line and `--config FILE`).
    Serve(crate::config::ServeArgs),
    /// The hub's TLS certificate (made, self-signed, when there is none): prints the SHA-256
    /// fingerprint desks pin.
    TlsCert {
        #[arg(long)]
        data: PathBuf,
        /// A host name or address desks reach the hub by (repeatable).
        #[arg(long = "name")]
        names: Vec<String>,
    },
    /// Publish a new catalog version from a .json or .xlsx file (all or nothing).
    ImportCatalog {
        #[arg(long)]
        data: PathBuf,
        file: PathBuf,
    },
    /// Publish holiday calendar years from a holidays.json file (all or nothing).
    ImportCalendar {
        #[arg(long)]
        data: PathBuf,
        file: PathBuf,
    },
    /// Publish the hall's queue configuration (domains with ticket prefixes, windows and the
    /// desks at them, tidal rules) from a queue.json file (all or nothing).
    ImportQueue {
        #[arg(long)]
        data: PathBuf,
        /// The centre (see `centre list`); may be left out while the hub has one.
        #[arg(long)]
        centre: Option<String>,
        file: PathBuf,
    },
    /// Load appointments booked online (预约) from an appointments.json file, checked whole
    /// (all or nothing); the kiosk checks them in by code. Entries that give a time only are
    /// on `--day`, else the file's `day`, else today.
    ImportAppointments {
        #[arg(long)]
        data: PathBuf,
        /// The day of entries that give a time only (YYYY-MM-DD).
        #[arg(long)]
        day: Option<chrono::NaiveDate>,
        /// The centre (see `centre list`); may be left out while the hub has one.
        #[arg(long)]
        centre: Option<String>,
        file: PathBuf,
    },
    /// Replace the e-licence registry from an elicences.json file (all or nothing).
    ImportElicences {
        #[arg(long)]
        data: PathBuf,
        file: PathBuf,
    },
    /// Print a one-time enrolment code for a desk (a window's PC); the desk's first-run screen
    /// takes it with the hub URL and receives its device token and desk code.
    Enrol {
        #[arg(long)]
        data: PathBuf,
        /// The window's name, e.g. "综合受理 3 号窗口".
        #[arg(long)]
        desk: String,
        /// The desk code in case numbers (default: the next free W01, W02, …).
        #[arg(long)]
        desk_code: Option<String>,
        /// Re-enrol the desk that has `--desk-code` (a replaced PC, a lost keyring): it keeps
        /// its device, so decisions on the cases it handed off still reach it; its old token
        /// stops working once the new code is used.
        #[arg(long, requires = "desk_code")]
        replace: bool,
        /// The centre (see `centre list`); may be left out while the hub has one.
        #[arg(long)]
        centre: Option<String>,
    },
    /// Back up the hub while it serves: hub.db (SQLite's online backup), the blob folder's
    /// files and the desks' APT repository in one file, without the keys; on PostgreSQL the
    /// files only.
    Backup(crate::cli_backup::BackupArgs),
    /// Restore a backup into a new data folder (keys from `--keys DIR`); a new epoch starts,
    /// and desks send again what the hub lost.
    Restore(crate::cli_backup::RestoreArgs),
    /// Add an onewindow-desk .deb to the APT repository desks update from (served under
    /// /apt/, its index signed with an OpenPGP key gpg made once in DATA/apt-gpg).
    PublishDesk(crate::apt::PublishDeskArgs),
    /// Enrol a centre's windows at once (desk codes CENTRE-01…): one file per desk for its
    /// `--provision FILE`, and provision.pdf, a printable sheet of QR codes for F10.
    Provision(crate::cli_provision::ProvisionArgs),
    /// The county's centres: the main hall (county), towns' 便民服务中心 and villages'
    /// 便民服务站, and which items each accepts.
    Centre {
        #[command(subcommand)]
        command: crate::cli_centre::CentreCommand,
    },
    /// Manage back-office users.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// The hall's kiosks (取号机): `add` prints a one-time link for the kiosk's browser.
    Kiosk {
        #[command(subcommand)]
        command: crate::cli_kiosk::KioskCommand,
    },
    /// Revoke a desk's device token: the hub refuses it from now on and tells the desk so.
    RevokeDevice {
        #[arg(long)]
        data: PathBuf,
        #[arg(long)]
        desk_code: String,
    },
    /// Copy the SQLite hub in DATA (hub.db) into the empty PostgreSQL database given by
    /// `--database`, in one transaction, every row verified; then serve with `--database`.
    /// Sequence numbers, tokens and audit hashes are kept: desks carry on. hub.db is left as
    /// it was.
    MigrateTo {
        #[arg(long)]
        data: PathBuf,
        /// hub.db's key file, if it is not DATA/keys/hub.key (as for `serve`).
        #[arg(long = "key-file")]
        key_file: Option<PathBuf>,
    },
    /// Re-check every stored audit chain (the hub's own and each desk's) from its start: links,
    /// hashes and signatures; exits non-zero naming the first broken record. With `--anchors`,
    /// also checks the chains still hold the heads an `audit-anchor` file recorded.
    AuditVerify {
        #[arg(long)]
        data: PathBuf,
        /// A file written by `audit-anchor` (kept away from the hub: on paper, another host).
        #[arg(long)]
        anchors: Option<PathBuf>,
    },
    /// Write every audit chain's current head, signed with the hub's audit key, to FILE: a
    /// later rewrite of any record made before it is found by `audit-verify --anchors FILE`.
    AuditAnchor {
        #[arg(long)]
        data: PathBuf,
        #[arg(long)]
        out: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
enum UserCommand {
    /// Add (or reset) a user; the password is read from standard input.
    Add {
        #[arg(long)]
        data: PathBuf,
        #[arg(long)]
        name: String,
        /// clerk | supervisor | approver | admin
        #[arg(long)]
        role: String,
        /// A domain code whose cases an approver sees (repeatable).
        #[arg(long = "domain")]
        domains: Vec<String>,
        /// Read the password from standard input (one line).
        #[arg(long)]
        password_stdin: bool,
        /// The centre (see `centre list`); may be left out while the hub has one.
        #[arg(long)]
        centre: Option<String>,
    },
    /// Refuse a user's sign-ins from now on and end their sessions (back office and desks);
    /// their records stay.
    Disable {
        #[arg(long)]
        data: PathBuf,
        #[arg(long)]
        name: String,
    },
    /// Let a disabled user sign in again.
    Enable {
        #[arg(long)]
        data: PathBuf,
        #[arg(long)]
        name: String,
    },
}

/// `--database` (or `ONEWINDOW_HUB_DATABASE`), read once in `main` for every subcommand.
static DATABASE: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();

/// The PostgreSQL URL the hub's store is on; `None` for `DATA/hub.db`.
pub(crate) fn database() -> Option<&'static str> {
    DATABASE.get().and_then(|d| d.as_deref())
}

pub(crate) fn open(data: &Path) -> Result<HubStore, ExitCode> {
    HubStore::connect(data, None, database()).map_err(|e| {
        eprintln!("无法打开中心数据库（数据目录 {}）：{e}", data.display());
        tracing::error!(error = %e, data = %data.display(), "cannot open hub store");
        // A malformed --database is the caller's to fix (2); a store that fails, 1.
        ExitCode::from(
            if matches!(e, crate::store::HubStoreError::BadDatabaseUrl(_)) {
                2
            } else {
                1
            },
        )
    })
}

fn print_issues(file: &Path, issues: &[onewindow_domain::ImportIssue]) -> ExitCode {
    eprintln!(
        "导入失败，未做任何更改：{} 中共有 {} 处问题",
        file.display(),
        issues.len()
    );
    for issue in issues {
        eprintln!("  {issue}");
    }
    tracing::warn!(file = %file.display(), problems = issues.len(), "import refused");
    ExitCode::from(2)
}

pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let _ = DATABASE.set(cli.database.clone());
    match cli.command {
        Command::TlsCert { data, names } => {
            let _guard = init_logging(&data);
            match crate::tls::ensure_certificate(&data, &names) {
                Ok((fp, made)) => {
                    if made {
                        println!("已生成自签名证书：{}", crate::tls::tls_dir(&data).display());
                    }
                    println!("证书指纹（SHA-256）：{}", crate::tls::grouped(&fp));
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("{e}");
                    ExitCode::from(1)
                }
            }
        }
        Command::Serve(args) => {
            let crate::config::Serve {
                data,
                bind,
                tls,
                tls_names,
                now,
                public_url,
                trusted_proxies,
                key_file,
                blobs,
                log_format,
                log_days,
                database,
                compat,
            } = match args.resolve(database()) {
                Ok(s) => s,
                Err(e) => {
                    eprintln!("{e}");
                    return ExitCode::from(2);
                }
            };
            let _guard = init_logging_as(&data, log_format, log_days);
            let public_url = match public_url.as_deref().map(parse_public_url).transpose() {
                Ok(u) => u,
                Err(e) => {
                    eprintln!("{e}");
                    return ExitCode::from(2);
                }
            };
            let store = match crate::pool::StorePool::open(
                &data,
                key_file.as_deref(),
                database.as_deref(),
            ) {
                Ok(s) => s,
                Err(e) => {
                    eprintln!("无法打开中心数据库（数据目录 {}）：{e}", data.display());
                    tracing::error!(error = %e, data = %data.display(), "cannot open hub store");
                    return ExitCode::from(1);
                }
            };
            let blobs = match crate::store_blob::BlobDir::open_in(
                &data,
                key_file.as_deref(),
                blobs.as_deref(),
            ) {
                Ok(b) => b,
                Err(e) => {
                    eprintln!("无法打开材料文件目录：{e}");
                    return ExitCode::from(1);
                }
            };
            // Scans an earlier version stored in plaintext are sealed once, before serving.
            match blobs.seal_legacy() {
                Ok(0) => {}
                Ok(n) => tracing::info!(sealed = n, "plaintext blobs sealed at rest"),
                Err(e) => {
                    eprintln!("无法加密已有的材料文件：{e}");
                    tracing::error!(error = %e, "cannot seal plaintext blobs");
                    return ExitCode::from(1);
                }
            }
            let rt = match tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
            {
                Ok(rt) => rt,
                Err(e) => {
                    eprintln!("cannot start the async runtime: {e}");
                    return ExitCode::from(1);
                }
            };
            // Plain HTTP only on loopback: anywhere else the hub speaks HTTPS.
            let tls = if tls || !bind.ip().is_loopback() {
                let mut names = tls_names;
                if !bind.ip().is_unspecified() && !bind.ip().is_loopback() {
                    names.push(bind.ip().to_string());
                }
                match crate::tls::ensure_certificate(&data, &names)
                    .and_then(|_| crate::tls::acceptor(&data))
                {
                    Ok(a) => Some(a),
                    Err(e) => {
                        eprintln!("无法启用 HTTPS，中心未启动：{e}");
                        tracing::error!(error = %e, "TLS cannot be set up");
                        return ExitCode::from(2);
                    }
                }
            } else {
                None
            };
            let clock = now.map_or_else(Clock::system, |at| Clock::starting_at(at.to_utc()));
            if !clock.is_system() {
                tracing::warn!(now = %clock.now(), "the hub's clock was started at a chosen instant (--now)");
            }
            let web = crate::web::WebSettings {
                tls: tls.is_some(),
                public_url,
                trusted_proxies,
            };
            rt.block_on(serve(
                store,
                blobs,
                bind,
                tls,
                clock,
                Served { web, data, compat },
            ))
        }
        Command::ImportCatalog { data, file } => run_import(
            &data,
            &file,
            crate::import::read_catalog_file,
            |store, catalog, source, now| {
                let r = store.import_catalog(catalog, source, now)?;
                tracing::info!(
                    version = r.version.id,
                    upserts = r.upserts,
                    removals = r.removals,
                    "catalog published"
                );
                Ok(format!(
                    "已发布事项目录版本 v{}（{}）：{} 项新增或更新，{} 项删除；共 {} 个事项、{} 个一件事",
                    r.version.id,
                    r.version.label,
                    r.upserts,
                    r.removals,
                    catalog.items.len(),
                    catalog.bundles.len()
                ))
            },
        ),
        Command::ImportCalendar { data, file } => run_import(
            &data,
            &file,
            crate::import::read_calendar_file,
            |store, years, _source, now| {
                let r = store.import_calendar(years, now)?;
                Ok(format!(
                    "节假日日历已导入：更新 {:?} 年，未变 {:?} 年",
                    r.years_changed, r.years_unchanged
                ))
            },
        ),
        Command::ImportQueue { data, file, centre } => run_import(
            &data,
            &file,
            crate::import::read_queue_file,
            |store, cfg, _source, now| {
                let centre = store.resolve_centre(centre.as_deref())?;
                let changed = store.import_queue(&centre, cfg, now)?;
                Ok(if changed {
                    format!(
                        "{centre} 的叫号配置已发布：{} 个业务领域，{} 个窗口，{} 条潮汐规则",
                        cfg.domains.len(),
                        cfg.windows.len(),
                        cfg.rules.len()
                    )
                } else {
                    "叫号配置与当前相同，未发布新版本".to_string()
                })
            },
        ),
        Command::Enrol {
            data,
            desk,
            desk_code,
            replace,
            centre,
        } => enrol(
            &data,
            &desk,
            desk_code.as_deref(),
            replace,
            centre.as_deref(),
        ),
        Command::Provision(args) => crate::cli_provision::provision(args),
        Command::PublishDesk(args) => crate::apt::publish_desk(args),
        Command::Backup(args) => crate::cli_backup::backup(args),
        Command::Restore(args) => crate::cli_backup::restore(args),
        Command::Centre { command } => crate::cli_centre::centre_command(command),
        Command::User {
            command:
                UserCommand::Add {
                    data,
                    name,
                    role,
                    domains,
                    password_stdin,
                    centre,
                },
        } => {
            let _guard = init_logging(&data);
            if !password_stdin {
                eprintln!("请用 --password-stdin 从标准输入提供密码（不要写在命令行上）");
                return ExitCode::from(2);
            }
            let mut password = String::new();
            if std::io::stdin().read_line(&mut password).is_err() {
                eprintln!("无法读取标准输入中的密码");
                return ExitCode::from(2);
            }
            let password = password.trim_end_matches(['\r', '\n']);
            let mut store = match open(&data) {
                Ok(s) => s,
                Err(code) => return code,
            };
            let saved = store.resolve_centre(centre.as_deref()).and_then(|c| {
                store
                    .add_user(&name, &role, &domains, &c, password, Clock::system().now())
                    .map(|()| c)
            });
            match saved {
                Ok(centre) => {
                    tracing::info!(user = %name, role = %role, %centre, "user saved");
                    println!("用户 {name}（{role}，{centre}）已保存");
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("无法保存用户：{e}");
                    ExitCode::from(2)
                }
            }
        }
        Command::User {
            command: UserCommand::Disable { data, name },
        } => set_disabled(&data, &name, true),
        Command::User {
            command: UserCommand::Enable { data, name },
        } => set_disabled(&data, &name, false),
        Command::Kiosk { command } => crate::cli_kiosk::kiosk_command(command),
        Command::RevokeDevice { data, desk_code } => {
            let _guard = init_logging(&data);
            let mut store = match open(&data) {
                Ok(s) => s,
                Err(code) => return code,
            };
            match store.revoke_device(
                &desk_code.trim().to_ascii_uppercase(),
                Clock::system().now(),
            ) {
                Ok(true) => {
                    tracing::warn!(desk_code = %desk_code, "device revoked");
                    println!("窗口 {desk_code} 的设备令牌已吊销");
                    ExitCode::SUCCESS
                }
                Ok(false) => {
                    eprintln!("没有使用中的窗口 {desk_code}");
                    ExitCode::from(2)
                }
                Err(e) => {
                    eprintln!("吊销失败：{e}");
                    ExitCode::from(1)
                }
            }
        }
        Command::ImportAppointments {
            data,
            day,
            file,
            centre,
        } => import_appointments(&data, day, &file, centre.as_deref()),
        Command::MigrateTo { data, key_file } => {
            crate::cli_migrate::migrate_to(&data, key_file.as_deref())
        }
        Command::AuditVerify { data, anchors } => {
            crate::cli_audit::audit_verify(&data, anchors.as_deref())
        }
        Command::AuditAnchor { data, out } => crate::cli_audit::audit_anchor(&data, &out),
        Command::ImportElicences { data, file } => run_import(
            &data,
            &file,
            crate::import::read_elicences_file,
            |store, holders, source, now| {
                let n = store.import_elicences(holders, source, now)?;
                Ok(format!("电子证照库已导入：{n} 个持证主体"))
            },
        ),
    }
}

fn import_appointments(
    data: &Path,
    day: Option<chrono::NaiveDate>,
    file: &Path,
    centre: Option<&str>,
) -> ExitCode {
    let _guard = init_logging(data);
    let mut store = match open(data) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let now = Clock::system().now();
    let centre = match store.resolve_centre(centre) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("导入失败，未做任何更改：{e}");
            return ExitCode::from(2);
        }
    };
    let (domains, hours): (Vec<String>, _) = match store.queue_config(&centre) {
        Ok(Some(cfg)) => (cfg.domains.into_iter().map(|d| d.code).collect(), cfg.hours),
        Ok(None) => {
            eprintln!(
                "导入失败，未做任何更改：{centre} 尚未发布叫号配置，请先运行 import-queue --centre {centre}"
            );
            return ExitCode::from(1);
        }
        Err(e) => {
            eprintln!("导入失败，未做任何更改：{e}");
            return ExitCode::from(1);
        }
    };
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let issue = |reason: String| onewindow_domain::ImportIssue {
        sheet: name.clone(),
        row: None,
        column: None,
        reason,
    };
    let text = match std::fs::read_to_string(file) {
        Ok(t) => t,
        Err(e) => return print_issues(file, &[issue(format!("无法读取：{e}"))]),
    };
    let today = crate::store_queue::hall_day(now);
    let list = match onewindow_domain::appointment::parse_file(&text, day, today, &domains) {
        Ok(l) => l,
        Err(issues) => {
            let issues: Vec<_> = issues.into_iter().map(issue).collect();
            return print_issues(file, &issues);
        }
    };
    // Booked only into the centre's opening hours.
    if let Some(h) = &hours {
        let calendar = match store.holiday_calendar() {
            Ok(c) => c,
            Err(e) => {
                eprintln!("导入失败，未做任何更改：{e}");
                return ExitCode::from(1);
            }
        };
        let closed: Vec<_> = list
            .iter()
            .filter(|a| !h.is_open(crate::store_queue::hall_time(a.slot_at), &calendar))
            .map(|a| {
                issue(format!(
                    "预约 {} 的时段 {} 不在本中心开放时间内",
                    a.code,
                    onewindow_domain::hours::when_zh(crate::store_queue::hall_time(a.slot_at))
                ))
            })
            .collect();
        if !closed.is_empty() {
            return print_issues(file, &closed);
        }
    }
    match store.import_appointments(&centre, &list, now) {
        Ok(r) => {
            tracing::info!(
                added = r.added,
                updated = r.updated,
                kept = r.kept,
                "appointments imported"
            );
            println!(
                "预约已导入：新增 {} 条，更新 {} 条，已签到未改 {} 条",
                r.added, r.updated, r.kept
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("导入失败，未做任何更改：{e}");
            ExitCode::from(1)
        }
    }
}

fn enrol(
    data: &Path,
    desk: &str,
    desk_code: Option<&str>,
    replace: bool,
    centre: Option<&str>,
) -> ExitCode {
    let _guard = init_logging(data);
    let mut store = match open(data) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let now = Clock::system().now();
    let made = match desk_code {
        Some(c) if replace => store.create_re_enrol_code(c, Some(desk), now),
        _ => store
            .resolve_centre(centre)
            .and_then(|at| store.create_enrol_code_at(&at, desk, desk_code, now)),
    };
    match made {
        Ok((code, desk_code)) => {
            tracing::info!(desk_code = %desk_code, "enrolment code made");
            println!("窗口「{}」的注册码（一次有效）：{code}", desk.trim());
            println!("窗口编码：{desk_code}");
            match crate::tls::existing_fingerprint(data) {
                Ok(Some(fp)) => println!(
                    "中心证书指纹（SHA-256，填入窗口注册界面）：{}",
                    crate::tls::grouped(&fp)
                ),
                Ok(None) => {
                    println!("中心尚无 HTTPS 证书（仅本机回环地址可用 HTTP）；可用 tls-cert 生成")
                }
                Err(e) => println!("中心证书无法读取：{e}"),
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("无法生成注册码：{e}");
            ExitCode::from(2)
        }
    }
}

/// Every import: read and check the whole file first (reporting every problem), then store it
/// in one transaction. Exit 2 for a bad file, 1 for a store failure; nothing is half-written.
fn run_import<T>(
    data: &Path,
    file: &Path,
    read: fn(&Path) -> Result<T, Vec<onewindow_domain::ImportIssue>>,
    store_it: impl FnOnce(
        &mut HubStore,
        &T,
        &str,
        chrono::DateTime<chrono::Utc>,
    ) -> Result<String, crate::store::HubStoreError>,
) -> ExitCode {
    let _guard = init_logging(data);
    let parsed = match read(file) {
        Ok(p) => p,
        Err(issues) => return print_issues(file, &issues),
    };
    let mut store = match open(data) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let source = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    match store_it(&mut store, &parsed, &source, Clock::system().now()) {
        Ok(message) => {
            println!("{message}");
            ExitCode::SUCCESS
        }
        // Input the store refused (a bad configuration, a missing --centre) is the caller's
        // to fix, as a bad file is: 2. A store that failed: 1.
        Err(e @ crate::store::HubStoreError::BadInput(_)) => {
            eprintln!("导入失败，未做任何更改：{e}");
            tracing::warn!(file = %file.display(), error = %e, "import refused");
            ExitCode::from(2)
        }
        Err(e) => {
            eprintln!("导入失败，未做任何更改：{e}");
            tracing::error!(file = %file.display(), error = %e, "import failed");
            ExitCode::from(1)
        }
    }
}

/// What the hub serves besides its store: how browsers reach it, its data folder's files,
/// and which desks it serves.
struct Served {
    web: crate::web::WebSettings,
    data: PathBuf,
    compat: crate::compat::Compat,
}

async fn serve(
    store: crate::pool::StorePool,
    blobs: crate::store_blob::BlobDir,
    bind: SocketAddr,
    tls: Option<(tokio_rustls::TlsAcceptor, String)>,
    clock: Clock,
    served: Served,
) -> ExitCode {
    let Served { web, data, compat } = served;
    let listener = match tokio::net::TcpListener::bind(bind).await {
        Ok(l) => l,
        Err(e) => {
            eprintln!("无法监听 {bind}：{e}");
            return ExitCode::from(1);
        }
    };
    let addr = listener.local_addr().map_or(bind, |a| a);
    // Harnesses read this line to learn the port.
    println!("listening on {addr}");
    tracing::info!(%addr, tls = tls.is_some(), "hub listening");
    if let Some((_, fp)) = &tls {
        println!("HTTPS；证书指纹（SHA-256）：{}", crate::tls::grouped(fp));
    }
    let (stop, stopping) = tokio::sync::watch::channel(false);
    let app = crate::server::router(
        crate::server::HubState::new(store, blobs, clock)
            .with_web(web)
            .with_data_dir(data)
            .with_compat(compat)
            .stopping_on(stopping),
    );
    let shutdown = async move {
        let ctrl_c = tokio::signal::ctrl_c();
        #[cfg(unix)]
        {
            let mut term =
                tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                    .expect("SIGTERM handler");
            tokio::select! {
                _ = ctrl_c => {},
                _ = term.recv() => {},
            }
        }
        #[cfg(not(unix))]
        {
            let _ = ctrl_c.await;
        }
        tracing::info!("shutting down");
        // Waiting requests (results, display streams) answer now, so the shutdown does not
        // wait for them.
        let _ = stop.send(true);
    };
    let served = match tls {
        Some((acceptor, _)) => match crate::tls::TlsListener::new(listener, acceptor) {
            Ok(l) => {
                axum::serve(
                    l,
                    app.into_make_service_with_connect_info::<crate::web::Peer>(),
                )
                .with_graceful_shutdown(shutdown)
                .await
            }
            Err(e) => Err(e),
        },
        None => {
            axum::serve(
                listener,
                app.into_make_service_with_connect_info::<crate::web::Peer>(),
            )
            .with_graceful_shutdown(shutdown)
            .await
        }
    };
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("server error: {e}");
            ExitCode::from(1)
        }
    }
}

/// `user disable` / `user enable`.
fn set_disabled(data: &Path, name: &str, disabled: bool) -> ExitCode {
    let _guard = init_logging(data);
    let mut store = match open(data) {
        Ok(s) => s,
        Err(code) => return code,
    };
    match store.set_user_disabled(name, disabled, Clock::system().now()) {
        Ok(true) if disabled => {
            tracing::warn!(user = %name, "user disabled; sessions ended");
            println!("用户 {name} 已停用，其登录会话已全部结束");
            ExitCode::SUCCESS
        }
        Ok(true) => {
            tracing::info!(user = %name, "user enabled");
            println!("用户 {name} 已恢复启用");
            ExitCode::SUCCESS
        }
        Ok(false) => {
            eprintln!("没有用户 {name}");
            ExitCode::from(2)
        }
        Err(e) => {
            eprintln!("无法更改用户 {name}：{e}");
            ExitCode::from(1)
        }
    }
}

/// `--public-url`: an http(s) URL with a host and nothing else (no user, query or fragment).
fn parse_public_url(text: &str) -> Result<url::Url, String> {
    let u = url::Url::parse(text.trim()).map_err(|e| format!("--public-url 无法解析：{e}"))?;
    if !matches!(u.scheme(), "http" | "https") || u.host().is_none() {
        return Err("--public-url 须为 http(s):// 开头、带主机名的地址".into());
    }
    if !u.username().is_empty()
        || u.password().is_some()
        || u.query().is_some()
        || u.fragment().is_some()
    {
        return Err("--public-url 不得含用户名、密码、查询参数或锚点".into());
    }
    Ok(u)
}
