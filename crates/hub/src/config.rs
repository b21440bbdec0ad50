//! `serve`'s settings: its command line, and the file `--config FILE` names (`hub.toml`, e.g.
//! `/etc/onewindow/hub.toml` for the packaged service). What the command line (or a global
//! flag's environment variable, `ONEWINDOW_HUB_DATABASE`) gives wins over the file; what
//! neither gives takes its default.
//!
//! ```toml
//! bind = "0.0.0.0:8470"
//! tls = true
//! database = "postgres://onewindow:PASSWORD@db.example:5432/onewindow"
//! data = "/var/lib/onewindow-hub"
//! blobs = "/srv/onewindow-blobs"
//! key_file = "/etc/onewindow/hub.key"
//! public_url = "https://zwfw.example.gov.cn"
//! trusted_proxies = ["10.0.0.2"]
//! log_format = "json"
//! log_days = 30
//! ```

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::logging::{DEFAULT_LOG_DAYS, LogFormat};

/// The address `serve` listens on unless told otherwise.
pub const DEFAULT_BIND: &str = "127.0.0.1:8470";

/// `serve`'s command line.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// A settings file (TOML: bind, tls, database, data, blobs, key_file, public_url,
    /// trusted_proxies, log_format, log_days, protocol, min_desk_release); the command line
    /// wins over it.
    #[arg(long)]
    pub config: Option<PathBuf>,
    /// Data folder (created if missing): hub.db, keys, TLS files, logs/.
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// Address to listen on (default 127.0.0.1:8470; port 0 picks a free one). Anything but
    /// loopback is served over HTTPS only.
    #[arg(long)]
    pub bind: Option<SocketAddr>,
    /// HTTPS on loopback too (elsewhere it always is).
    #[arg(long)]
    pub tls: bool,
    /// A host name or address desks reach the hub by, for a self-signed certificate made
    /// now (repeatable; `localhost` and 127.0.0.1 are always in it).
    #[arg(long = "tls-name")]
    pub tls_names: Vec<String>,
    /// Start the hub's clock at this instant (RFC 3339, e.g. 2026-11-27T09:00:00+08:00) and
    /// run on from there: tests and training, as the desk's `--today`.
    #[arg(long)]
    pub now: Option<chrono::DateTime<chrono::FixedOffset>>,
    /// The address applicants' phones and browsers use to reach the hub, e.g.
    /// https://zwfw.example.gov.cn (printed in QR codes; also an accepted Origin).
    #[arg(long = "public-url")]
    pub public_url: Option<String>,
    /// A reverse proxy in front of the hub whose X-Forwarded-For is believed (repeatable).
    #[arg(long = "trusted-proxy")]
    pub trusted_proxies: Vec<IpAddr>,
    /// hub.db's key (64 hex digits, mode 0600) kept outside the data folder; default
    /// `DATA/keys/hub.key` (made on first start), or `ONEWINDOW_HUB_KEY_FILE`.
    #[arg(long = "key-file")]
    pub key_file: Option<PathBuf>,
    /// The folder of scans and result files, when not `DATA/blobs`: one folder every hub
    /// process of the county shares (a network mount) when several serve one database.
    #[arg(long)]
    pub blobs: Option<PathBuf>,
    /// `text` (default) or `json` (one object per line, each request's lines with its
    /// `request_id`).
    #[arg(long = "log-format", value_enum)]
    pub log_format: Option<LogFormat>,
    /// Days of daily log files kept under `DATA/logs` (default 30).
    #[arg(long = "log-days", value_parser = clap::value_parser!(u16).range(1..=3660))]
    pub log_days: Option<u16>,
    /// Name this older protocol to desks while the county's other hub processes sharing the
    /// database still run the previous release (see `onewindow_hub::compat`).
    #[arg(long)]
    pub protocol: Option<u32>,
    /// Refuse desks older than this release (dpkg's order; e.g. after a fix every desk must
    /// have): they are told in Chinese to update and keep their outbox.
    #[arg(long = "min-desk-release")]
    pub min_desk_release: Option<String>,
}

/// The settings file.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HubConfig {
    pub bind: Option<SocketAddr>,
    pub tls: Option<bool>,
    pub database: Option<String>,
    pub data: Option<PathBuf>,
    pub blobs: Option<PathBuf>,
    pub key_file: Option<PathBuf>,
    pub public_url: Option<String>,
    pub trusted_proxies: Option<Vec<IpAddr>>,
    pub log_format: Option<LogFormat>,
    pub log_days: Option<u16>,
    pub protocol: Option<u32>,
    pub min_desk_release: Option<String>,
}

/// What `serve` runs with.
#[derive(Debug)]
pub struct Serve {
    pub data: PathBuf,
    pub bind: SocketAddr,
    pub tls: bool,
    pub tls_names: Vec<String>,
    pub now: Option<chrono::DateTime<chrono::FixedOffset>>,
    pub public_url: Option<String>,
    pub trusted_proxies: Vec<IpAddr>,
    pub key_file: Option<PathBuf>,
    pub blobs: Option<PathBuf>,
    pub log_format: LogFormat,
    pub log_days: usize,
    pub database: Option<String>,
    pub compat: crate::compat::Compat,
}

impl HubConfig {
    /// Reads and checks a settings file; the error names the file and, for a bad line, where
    /// and why (in Chinese first, the parser's own words after).
    pub fn read(path: &Path) -> Result<HubConfig, String> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| format!("无法读取配置文件 {}：{e}", path.display()))?;
        let config: HubConfig = toml::from_str(&text)
            .map_err(|e| format!("配置文件 {} 有误（可用的项：bind、tls、database、data、blobs、key_file、public_url、trusted_proxies、log_format、log_days、protocol、min_desk_release）：{e}", path.display()))?;
        if let Some(days) = config.log_days
            && !(1..=3660).contains(&days)
        {
            return Err(format!(
                "配置文件 {}：log_days 须为 1–3660 天，现为 {days}",
                path.display()
            ));
        }
        Ok(config)
    }
}

impl ServeArgs {
    /// The command line over the file (when `--config` names one) over the defaults.
    /// `database` is the global `--database` (or its environment variable), if given.
    pub fn resolve(self, database: Option<&str>) -> Result<Serve, String> {
        let file = match &self.config {
            Some(path) => HubConfig::read(path)?,
            None => HubConfig::default(),
        };
        let compat = crate::compat::Compat::new(
            self.protocol.or(file.protocol),
            self.min_desk_release.or(file.min_desk_release),
        )?;
        let data = self.data.or(file.data).ok_or_else(|| {
            "未指定数据目录：请用 --data DIR，或在配置文件中写 data = \"/var/lib/onewindow-hub\""
                .to_string()
        })?;
        Ok(Serve {
            data,
            bind: self
                .bind
                .or(file.bind)
                .unwrap_or_else(|| DEFAULT_BIND.parse().expect("a socket address")),
            tls: self.tls || file.tls.unwrap_or(false),
            tls_names: self.tls_names,
            now: self.now,
            public_url: self.public_url.or(file.public_url),
            trusted_proxies: if self.trusted_proxies.is_empty() {
                file.trusted_proxies.unwrap_or_default()
            } else {
                self.trusted_proxies
            },
            // ONEWINDOW_HUB_KEY_FILE, as the flag, wins over the file.
            key_file: self.key_file.or_else(|| {
                std::env::var_os(crate::store_keys::KEY_FILE_ENV)
                    .is_none()
                    .then_some(file.key_file)
                    .flatten()
            }),
            blobs: self.blobs.or(file.blobs),
            log_format: self
                .log_format
                .or(file.log_format)
                .unwrap_or(LogFormat::Text),
            log_days: usize::from(
                self.log_days
                    .or(file.log_days)
                    .unwrap_or(DEFAULT_LOG_DAYS as u16),
            ),
            database: database.map(str::to_string).or(file.database),
            compat,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        serve: ServeArgs,
    }

    fn args(a: &[&str]) -> ServeArgs {
        Cli::parse_from(std::iter::once("serve").chain(a.iter().copied())).serve
    }

    #[test]
    fn the_command_line_wins_over_the_file_and_the_file_over_the_defaults() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("hub.toml");
        std::fs::write(
            &file,
            "bind = \"0.0.0.0:9000\"\ntls = true\ndata = \"/var/lib/onewindow-hub\"\n\
             database = \"postgres://h/db\"\ntrusted_proxies = [\"10.0.0.2\"]\n\
             log_format = \"json\"\nlog_days = 7\n",
        )
        .unwrap();
        let f = file.to_str().unwrap();
        let s = args(&["--config", f]).resolve(None).unwrap();
        assert_eq!(s.bind.to_string(), "0.0.0.0:9000");
        assert!(s.tls);
        assert_eq!(s.data, PathBuf::from("/var/lib/onewindow-hub"));
        assert_eq!(s.database.as_deref(), Some("postgres://h/db"));
        assert_eq!(s.log_format, LogFormat::Json);
        assert_eq!(s.log_days, 7);
        assert_eq!(s.trusted_proxies, ["10.0.0.2".parse::<IpAddr>().unwrap()]);
        let s = args(&[
            "--config",
            f,
            "--bind",
            "127.0.0.1:0",
            "--data",
            "/tmp/x",
            "--log-format",
            "text",
            "--trusted-proxy",
            "10.0.0.9",
        ])
        .resolve(Some("postgres://other/db"))
        .unwrap();
        assert_eq!(s.bind.to_string(), "127.0.0.1:0");
        assert_eq!(s.data, PathBuf::from("/tmp/x"));
        assert_eq!(s.database.as_deref(), Some("postgres://other/db"));
        assert_eq!(s.log_format, LogFormat::Text);
        assert_eq!(s.trusted_proxies, ["10.0.0.9".parse::<IpAddr>().unwrap()]);
        let s = args(&["--data", "/tmp/y"]).resolve(None).unwrap();
        assert_eq!(s.bind.to_string(), DEFAULT_BIND);
        assert_eq!(
            (s.tls, s.log_days, s.database),
            (false, DEFAULT_LOG_DAYS, None)
        );
    }

    #[test]
    fn a_bad_file_is_refused_with_what_and_where() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("hub.toml");
        for (text, says) in [
            ("bnd = \"0.0.0.0:1\"\n", "bnd"),
            ("bind = \"nowhere\"\n", "bind"),
            ("log_format = \"xml\"\n", "log_format"),
            ("log_days = 0\n", "log_days"),
            ("data = [\n", "有误"),
        ] {
            std::fs::write(&file, text).unwrap();
            let e = args(&["--config", file.to_str().unwrap()])
                .resolve(None)
                .unwrap_err();
            assert!(e.contains(says) && e.contains("hub.toml"), "{text}: {e}");
        }
        let e = args(&["--config", "/nonexistent/hub.toml"])
            .resolve(None)
            .unwrap_err();
        assert!(e.contains("无法读取配置文件"), "{e}");
        let e = args(&[]).resolve(None).unwrap_err();
        assert!(e.contains("未指定数据目录"), "{e}");
    }
}
