//! How the desk is started: command-line flags, environment, the user's settings file in the
//! data folder and the machine's `/etc/onewindow/desk.toml` (`crate::machine`, which gives the
//! order). Flags win over the environment, which wins over the saved settings, which win over
//! the machine file where it lets them. A hub URL given at launch is saved, so the next plain
//! start connects to the same hub.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

use chrono::{DateTime, NaiveDate, Utc};

use crate::DeskConfig;
use crate::machine::{MACHINE_FILE, MachineSettings};
use crate::print::PrintTarget;

pub const DEFAULT_HUB_URL: &str = "http://127.0.0.1:8470";
const SETTINGS_FILE: &str = "settings.json";

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LaunchOptions {
    pub hub_url: Option<String>,
    pub data_dir: Option<PathBuf>,
    pub ready_file: Option<PathBuf>,
    pub sync_interval: Option<Duration>,
    pub desk_code: Option<String>,
    pub hot_folder: Option<PathBuf>,
    pub printer: Option<PrintTarget>,
    pub card_reader_dir: Option<PathBuf>,
    /// A training day: the desk's clock starts at 09:00 of it (China time).
    pub today: Option<NaiveDate>,
    /// The desk's clock starts at this instant and runs on (tests, training).
    pub now: Option<DateTime<Utc>>,
    /// Open the hall display window, fullscreen on this monitor (1 = the first).
    pub hall_display: Option<u32>,
    /// Enrol from this file (`onewindow-hub provision`) unless already enrolled as its desk.
    pub provision: Option<PathBuf>,
    /// `--system` (as root): point this machine's apt at the provisioning file's hub and
    /// leave ([`crate::system_apt`]); no window.
    pub system: bool,
    /// The machine's settings (`/etc/onewindow/desk.toml`), when there is a file.
    pub machine: Option<MachineSettings>,
}

/// `settings.json` in the data folder: what an administrator sets once per window.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Settings {
    hub_url: Option<String>,
    /// The SHA-256 fingerprint of an `https://` hub's certificate, before enrolment pins it.
    hub_pin: Option<String>,
    /// The window's code in case numbers, until enrolment assigns one.
    desk_code: Option<String>,
    clerk: Option<String>,
    office_name: Option<String>,
    hot_folder: Option<PathBuf>,
    /// Poll the hot folder every N ms (network drives) instead of OS events.
    hot_folder_poll_ms: Option<u64>,
    /// A scan is taken once unchanged for N ms (default 800; 200–10000).
    scan_stability_ms: Option<u64>,
    /// `cups`, `cups:QUEUE` or `folder:/path`.
    printer: Option<String>,
    card_reader_dir: Option<PathBuf>,
    /// The attachment lane's limit, in kilobytes per second (unset: no limit).
    upload_throttle_kbps: Option<u64>,
    /// How often each call is announced (1–5; default 1).
    announce_repeat: Option<u32>,
    /// The monitor (1 = the first) of a hall screen this desk drives (叫号屏); unset: none.
    hall_display_monitor: Option<u32>,
    /// Days a clerk can sign in offline after the hub last checked their password (30).
    offline_login_days: Option<u32>,
    /// Minutes without a key or a click before the screen locks (10; 0: never).
    idle_lock_minutes: Option<u32>,
    /// The status bar warns below this many MB free under the data folder (500).
    low_disk_mb: Option<u64>,
}

pub const USAGE: &str = "onewindow-desk [--hub-url URL] [--data-dir DIR] [--ready-file FILE] [--sync-interval-ms N]
               [--desk-code CODE] [--hot-folder DIR] [--printer cups|cups:QUEUE|folder:DIR]
               [--card-reader-dir DIR] [--today YYYY-MM-DD] [--now RFC3339] [--hall-display MONITOR]
               [--provision FILE (from onewindow-hub provision: enrol with no typing)]
               [--provision FILE --system (as root: updates from the hub through apt, then exit)]
  environment: ONEWINDOW_HUB_URL, ONEWINDOW_DATA_DIR, ONEWINDOW_READY_FILE, ONEWINDOW_SYNC_INTERVAL_MS,
               ONEWINDOW_DESK_CODE, ONEWINDOW_HOT_FOLDER, ONEWINDOW_PRINTER, ONEWINDOW_CARD_READER_DIR,
               ONEWINDOW_TODAY, ONEWINDOW_HALL_DISPLAY, ONEWINDOW_ANNOUNCE_WAV (announce into WAV
               files there), ONEWINDOW_APPLICANT_SCREEN=1 (the applicant's screen), ONEWINDOW_LOG";

fn check_monitor(s: &str) -> Result<u32, String> {
    s.trim()
        .parse::<u32>()
        .ok()
        .filter(|n| (1..=16).contains(n))
        .ok_or_else(|| format!("--hall-display must be a monitor number 1-16, got {s:?}"))
}

fn check_desk_code(code: &str) -> Result<String, String> {
    let c = code.trim();
    if onewindow_domain::provision::is_desk_code(c) {
        Ok(c.to_ascii_uppercase())
    } else {
        Err(format!(
            "desk code must be 1-16 ASCII letters, digits or inner dashes, got {code:?}"
        ))
    }
}

fn check_now(s: &str) -> Result<DateTime<Utc>, String> {
    DateTime::parse_from_rfc3339(s.trim())
        .map(|t| t.to_utc())
        .map_err(|_| {
            format!("--now must be an RFC 3339 instant like 2026-11-27T09:00:00+08:00, got {s:?}")
        })
}

fn check_day(s: &str) -> Result<NaiveDate, String> {
    s.trim()
        .parse()
        .map_err(|_| format!("--today must be a date like 2026-11-27, got {s:?}"))
}

fn check_url(url: &str) -> Result<String, String> {
    let u = url.trim().trim_end_matches('/');
    if (u.starts_with("http://") || u.starts_with("https://")) && u.len() > "https://".len() {
        Ok(u.to_string())
    } else {
        Err(format!(
            "hub URL must start with http:// or https://, got {url:?}"
        ))
    }
}

fn interval(ms: &str) -> Result<Duration, String> {
    ms.parse::<u64>()
        .ok()
        .filter(|&n| n >= 100)
        .map(Duration::from_millis)
        .ok_or_else(|| format!("sync interval must be a number of milliseconds >= 100, got {ms:?}"))
}

impl Settings {
    /// The user's settings without the keys the machine file sets and keeps to itself.
    fn within(mut self, machine: &MachineSettings) -> Settings {
        let mut locked = Vec::new();
        let mut drop_if = |key: &'static str, present: bool| {
            let keep = !present || machine.user_may_set(key);
            if !keep {
                locked.push(key);
            }
            keep
        };
        if !drop_if("hub_url", self.hub_url.is_some()) {
            self.hub_url = None;
        }
        if !drop_if("hub_pin", self.hub_pin.is_some()) {
            self.hub_pin = None;
        }
        if !drop_if("hot_folder", self.hot_folder.is_some()) {
            self.hot_folder = None;
        }
        if !drop_if("printer", self.printer.is_some()) {
            self.printer = None;
        }
        if !drop_if("hall_display", self.hall_display_monitor.is_some()) {
            self.hall_display_monitor = None;
        }
        if !locked.is_empty() {
            tracing::info!(keys = ?locked, "settings.json values not used: the machine's desk.toml sets them");
        }
        self
    }
}

impl LaunchOptions {
    /// Reads flags (after the program name) and then fills gaps from `env`.
    pub fn parse(
        args: impl IntoIterator<Item = String>,
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<LaunchOptions, String> {
        let mut o = LaunchOptions::default();
        let mut args = args.into_iter();
        while let Some(flag) = args.next() {
            let (name, inline) = match flag.split_once('=') {
                Some((n, v)) => (n.to_string(), Some(v.to_string())),
                None => (flag.clone(), None),
            };
            let mut value = || {
                inline
                    .clone()
                    .or_else(|| args.next())
                    .ok_or_else(|| format!("{name} needs a value"))
            };
            match name.as_str() {
                "--hub-url" => o.hub_url = Some(check_url(&value()?)?),
                "--data-dir" => o.data_dir = Some(PathBuf::from(value()?)),
                "--ready-file" => o.ready_file = Some(PathBuf::from(value()?)),
                "--sync-interval-ms" => o.sync_interval = Some(interval(&value()?)?),
                "--desk-code" => o.desk_code = Some(check_desk_code(&value()?)?),
                "--hot-folder" => o.hot_folder = Some(PathBuf::from(value()?)),
                "--printer" => o.printer = Some(PrintTarget::parse(&value()?)?),
                "--card-reader-dir" => o.card_reader_dir = Some(PathBuf::from(value()?)),
                "--today" => o.today = Some(check_day(&value()?)?),
                "--now" => o.now = Some(check_now(&value()?)?),
                "--hall-display" => o.hall_display = Some(check_monitor(&value()?)?),
                "--provision" => o.provision = Some(PathBuf::from(value()?)),
                "--system" if inline.is_none() => o.system = true,
                other => return Err(format!("unknown argument {other:?}\n{USAGE}")),
            }
        }
        // A provisioning file is checked now, so a wrong one stops the start with a reason; its
        // hub is the desk's unless --hub-url says otherwise.
        if let Some(path) = &o.provision {
            let text = std::fs::read_to_string(path)
                .map_err(|e| format!("无法读取终端配置文件 {}：{e}", path.display()))?;
            let p = onewindow_domain::provision::Provision::parse(&text)
                .map_err(|e| format!("终端配置文件 {}：{e}", path.display()))?;
            if o.hub_url.is_none() {
                o.hub_url = Some(check_url(&p.hub_url)?);
            }
        }
        let machine_file = env("ONEWINDOW_DESK_TOML").unwrap_or_else(|| MACHINE_FILE.into());
        o.machine = MachineSettings::read(Path::new(&machine_file))?;
        if o.provision.is_none() {
            // Checked when used: a machine's file must not stop every start once spent.
            o.provision = o.machine.as_ref().and_then(|m| m.provision.clone());
        }
        if o.system && o.provision.is_none() {
            return Err(
                "--system 需要终端配置文件：sudo onewindow-desk --provision FILE --system（或在 /etc/onewindow/desk.toml 中写 provision）".into(),
            );
        }
        if o.hub_url.is_none() {
            o.hub_url = env("ONEWINDOW_HUB_URL")
                .map(|u| check_url(&u))
                .transpose()?;
        }
        if o.data_dir.is_none() {
            o.data_dir = env("ONEWINDOW_DATA_DIR").map(PathBuf::from);
        }
        if o.ready_file.is_none() {
            o.ready_file = env("ONEWINDOW_READY_FILE").map(PathBuf::from);
        }
        if o.sync_interval.is_none() {
            o.sync_interval = env("ONEWINDOW_SYNC_INTERVAL_MS")
                .map(|ms| interval(&ms))
                .transpose()?;
        }
        if o.desk_code.is_none() {
            o.desk_code = env("ONEWINDOW_DESK_CODE")
                .map(|c| check_desk_code(&c))
                .transpose()?;
        }
        if o.hot_folder.is_none() {
            o.hot_folder = env("ONEWINDOW_HOT_FOLDER").map(PathBuf::from);
        }
        if o.printer.is_none() {
            o.printer = env("ONEWINDOW_PRINTER")
                .map(|p| PrintTarget::parse(&p))
                .transpose()?;
        }
        if o.card_reader_dir.is_none() {
            o.card_reader_dir = env("ONEWINDOW_CARD_READER_DIR").map(PathBuf::from);
        }
        if o.today.is_none() {
            o.today = env("ONEWINDOW_TODAY").map(|d| check_day(&d)).transpose()?;
        }
        if o.now.is_none() {
            o.now = env("ONEWINDOW_NOW").map(|t| check_now(&t)).transpose()?;
        }
        // `--today` derives from `--now` when both are given: they must agree.
        if let (Some(day), Some(now)) = (o.today, o.now) {
            let at = onewindow_domain::clock::Clock::starting_at(now).today();
            if at != day {
                return Err(format!(
                    "--today {day} disagrees with --now {} (that is {at} in China)",
                    now.to_rfc3339()
                ));
            }
        }
        if o.hall_display.is_none() {
            o.hall_display = env("ONEWINDOW_HALL_DISPLAY")
                .map(|m| check_monitor(&m))
                .transpose()?;
        }
        Ok(o)
    }

    /// The desk's configuration; saves a hub URL given at launch into the data folder.
    pub fn resolve(self, default_data_dir: &Path) -> DeskConfig {
        let data_dir = self
            .data_dir
            .unwrap_or_else(|| default_data_dir.to_path_buf());
        let settings_path = data_dir.join(SETTINGS_FILE);
        let saved: Settings = std::fs::read(&settings_path)
            .ok()
            .and_then(|b| match serde_json::from_slice(&b) {
                Ok(s) => Some(s),
                Err(e) => {
                    tracing::warn!(path = %settings_path.display(), error = %e, "settings file unreadable; using defaults");
                    None
                }
            })
            .unwrap_or_default();
        let machine = self.machine.clone().unwrap_or_default();
        let saved = saved.within(&machine);
        let hub_url = match self.hub_url {
            Some(url) => {
                if saved.hub_url.as_deref() != Some(url.as_str()) {
                    let s = Settings {
                        hub_url: Some(url.clone()),
                        ..saved.clone()
                    };
                    let written = std::fs::create_dir_all(&data_dir).and_then(|()| {
                        std::fs::write(
                            &settings_path,
                            serde_json::to_vec_pretty(&s).expect("settings serialise"),
                        )
                    });
                    if let Err(e) = written {
                        tracing::warn!(path = %settings_path.display(), error = %e, "cannot save settings");
                    }
                }
                url
            }
            None => saved
                .hub_url
                .clone()
                .or(machine.hub_url.clone())
                .and_then(|u| match check_url(&u) {
                    Ok(u) => Some(u),
                    Err(e) => {
                        tracing::warn!(error = %e, "hub URL setting ignored");
                        None
                    }
                })
                .unwrap_or_else(|| DEFAULT_HUB_URL.to_string()),
        };
        let defaults = DeskConfig::new(data_dir.clone(), hub_url.clone());
        let saved_printer = saved
            .printer
            .as_deref()
            .or(machine.printer.as_deref())
            .and_then(|p| match PrintTarget::parse(p) {
                Ok(t) => Some(t),
                Err(e) => {
                    tracing::warn!(error = %e, "printer setting ignored");
                    None
                }
            });
        let saved_desk = saved
            .desk_code
            .as_deref()
            .and_then(|c| match check_desk_code(c) {
                Ok(c) => Some(c),
                Err(e) => {
                    tracing::warn!(error = %e, "desk code setting ignored");
                    None
                }
            });
        DeskConfig {
            sync_interval: self.sync_interval.unwrap_or(Duration::from_secs(30)),
            ready_file: self.ready_file,
            upload_throttle: saved
                .upload_throttle_kbps
                .filter(|k| *k > 0)
                .map(|k| k * 1024),
            desk_code: self.desk_code.or(saved_desk).unwrap_or(defaults.desk_code),
            clerk: saved.clerk.unwrap_or(defaults.clerk),
            office_name: saved.office_name.unwrap_or(defaults.office_name),
            hot_folder: self
                .hot_folder
                .or(saved.hot_folder)
                .or(machine.hot_folder.clone())
                .unwrap_or(defaults.hot_folder),
            hot_folder_poll: saved
                .hot_folder_poll_ms
                .map(|ms| Duration::from_millis(ms.max(100))),
            scan_stability: saved
                .scan_stability_ms
                .map_or(defaults.scan_stability, |ms| {
                    Duration::from_millis(ms.clamp(200, 10_000))
                }),
            printer: self.printer.or(saved_printer).unwrap_or(defaults.printer),
            card_reader_dir: self.card_reader_dir.or(saved.card_reader_dir),
            clock: match (self.now, self.today) {
                (Some(at), _) => onewindow_domain::clock::Clock::starting_at(at),
                (None, Some(day)) => onewindow_domain::clock::Clock::starting_on(day),
                (None, None) => onewindow_domain::clock::Clock::system(),
            },
            announce_repeat: saved.announce_repeat.unwrap_or(1).clamp(1, 5),
            cache_key: crate::cache_key::CacheKey::Keyring,
            low_disk_mb: saved.low_disk_mb.unwrap_or(crate::cache::LOW_DISK_MB),
            idle_lock_minutes: saved
                .idle_lock_minutes
                .map(|m| m.min(240))
                .unwrap_or(onewindow_domain::login::IDLE_LOCK_MINUTES),
            offline_login_days: saved
                .offline_login_days
                .map(|d| d.min(365))
                .unwrap_or(onewindow_domain::login::OFFLINE_LOGIN_DAYS),
            hall_display: self
                .hall_display
                .or(saved.hall_display_monitor.filter(|n| (1..=16).contains(n)))
                .or(machine.hall_display),
            // Machines without a sound card (and tests) can hear the calls as WAV files.
            announce_to_wav: std::env::var_os("ONEWINDOW_ANNOUNCE_WAV")
                .filter(|v| !v.is_empty())
                .map(PathBuf::from),
            hub_pin: saved
                .hub_pin
                .as_deref()
                .or(machine.hub_pin.as_deref())
                .and_then(|p| match onewindow_sync::tls::normalise_pin(p) {
                    Ok(p) => Some(p),
                    Err(e) => {
                        tracing::warn!(error = %e, "hub_pin setting ignored");
                        None
                    }
                }),
            data_dir,
            hub_url,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn flags_then_environment_then_saved_settings() {
        let env = |k: &str| match k {
            "ONEWINDOW_HUB_URL" => Some("http://10.0.0.1:1/".to_string()),
            "ONEWINDOW_SYNC_INTERVAL_MS" => Some("500".to_string()),
            _ => None,
        };
        let o = LaunchOptions::parse(
            args(&["--hub-url=http://127.0.0.1:9/", "--data-dir", "/x"]),
            env,
        )
        .unwrap();
        assert_eq!(o.hub_url.as_deref(), Some("http://127.0.0.1:9"));
        assert_eq!(o.data_dir, Some(PathBuf::from("/x")));
        assert_eq!(o.sync_interval, Some(Duration::from_millis(500)));

        let dir = tempfile::tempdir().unwrap();
        let first = LaunchOptions {
            hub_url: Some("http://127.0.0.1:9".into()),
            ..Default::default()
        }
        .resolve(dir.path());
        assert_eq!(first.hub_url, "http://127.0.0.1:9");
        let second = LaunchOptions::default().resolve(dir.path());
        assert_eq!(second.hub_url, "http://127.0.0.1:9", "remembered");
        assert_eq!(second.sync_interval, Duration::from_secs(30));
        let other = tempfile::tempdir().unwrap();
        assert_eq!(
            LaunchOptions::default().resolve(other.path()).hub_url,
            DEFAULT_HUB_URL
        );
    }

    #[test]
    fn the_machine_file_under_the_users_settings_where_it_allows_them() {
        let dir = tempfile::tempdir().unwrap();
        let machine = dir.path().join("desk.toml");
        std::fs::write(
            &machine,
            "hub_url = \"http://127.0.0.1:8471\"\nprinter = \"folder:/srv/machine-prints\"\n\
             hot_folder = \"/srv/machine-scans\"\nhall_display = 2\n\
             user_may_change = [\"printer\"]\n",
        )
        .unwrap();
        let machine_s = machine.to_str().unwrap().to_string();
        let env = move |k: &str| (k == "ONEWINDOW_DESK_TOML").then(|| machine_s.clone());
        let data = dir.path().join("desk");
        std::fs::create_dir_all(&data).unwrap();
        // The user's own file tries the hub, the hot folder and the printer.
        std::fs::write(
            data.join(SETTINGS_FILE),
            r#"{"hub_url":"http://127.0.0.1:9","hot_folder":"/home/clerk/scans","printer":"folder:/home/clerk/prints"}"#,
        )
        .unwrap();
        let o = LaunchOptions::parse(args(&[]), &env).unwrap();
        let c = o.clone().resolve(&data);
        assert_eq!(
            c.hub_url, "http://127.0.0.1:8471",
            "the machine keeps the hub"
        );
        assert_eq!(
            c.hot_folder,
            PathBuf::from("/srv/machine-scans"),
            "and the hot folder"
        );
        assert_eq!(
            c.printer,
            PrintTarget::parse("folder:/home/clerk/prints").unwrap(),
            "the printer is the user's to change"
        );
        assert_eq!(c.hall_display, Some(2), "set by the machine only");
        // The command line wins over both.
        let o = LaunchOptions::parse(args(&["--hot-folder", "/tmp/scans"]), &env).unwrap();
        assert_eq!(o.resolve(&data).hot_folder, PathBuf::from("/tmp/scans"));
        // A wrong machine file stops the start, naming itself.
        std::fs::write(&machine, "printer = 3\n").unwrap();
        let err = LaunchOptions::parse(args(&[]), &env).unwrap_err();
        assert!(err.contains("desk.toml"), "{err}");
    }

    #[test]
    fn bad_flags_are_named() {
        let none = |_: &str| None;
        assert_eq!(
            LaunchOptions::parse(args(&["--hub-url", "ftp://x"]), none).unwrap_err(),
            "hub URL must start with http:// or https://, got \"ftp://x\""
        );
        assert_eq!(
            LaunchOptions::parse(args(&["--data-dir"]), none).unwrap_err(),
            "--data-dir needs a value"
        );
        assert!(
            LaunchOptions::parse(args(&["--frobnicate"]), none)
                .unwrap_err()
                .starts_with("unknown argument \"--frobnicate\"")
        );
        assert_eq!(
            LaunchOptions::parse(args(&["--sync-interval-ms", "5"]), none).unwrap_err(),
            "sync interval must be a number of milliseconds >= 100, got \"5\""
        );
        assert_eq!(
            LaunchOptions::parse(args(&["--hall-display", "0"]), none).unwrap_err(),
            "--hall-display must be a monitor number 1-16, got \"0\""
        );
        let env = |k: &str| (k == "ONEWINDOW_HALL_DISPLAY").then(|| "2".to_string());
        assert_eq!(
            LaunchOptions::parse(args(&[]), env).unwrap().hall_display,
            Some(2)
        );
    }
}
