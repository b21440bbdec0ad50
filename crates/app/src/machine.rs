//! `/etc/onewindow/desk.toml`: the machine's settings, written by the administrator (or the
//! package's configuration) for every user of a counter PC. A user's `settings.json` may
//! change a key the machine file sets only when the file lists it in `user_may_change`.
//!
//! Where each setting comes from, first match wins:
//! 1. the command line (`--hub-url`, `--hot-folder`, `--printer`, `--hall-display`,
//!    `--provision`);
//! 2. the environment (`ONEWINDOW_HUB_URL`, `ONEWINDOW_HOT_FOLDER`, …);
//! 3. the user's `settings.json` in the data folder, for a key the machine file does not set
//!    or lists in `user_may_change`;
//! 4. the machine file;
//! 5. the built-in default.
//!
//! ```toml
//! hub_url = "https://hub.county.example:8470"
//! hub_pin = "9BC36D73…"                     # the hub certificate's SHA-256 fingerprint
//! hot_folder = "/srv/scans"
//! printer = "cups:counter"
//! hall_display = 2
//! provision = "/etc/onewindow/provision.json"
//! user_may_change = ["printer"]
//! ```

use std::path::{Path, PathBuf};

use serde::Deserialize;

/// Where the machine file is, unless `ONEWINDOW_DESK_TOML` names another.
#[cfg(not(windows))]
pub const MACHINE_FILE: &str = "/etc/onewindow/desk.toml";
#[cfg(windows)]
pub const MACHINE_FILE: &str = "C:\\ProgramData\\OneWindow\\desk.toml";

/// The keys the machine file may set, which are also those `user_may_change` may name.
pub const MACHINE_KEYS: &[&str] = &[
    "hub_url",
    "hub_pin",
    "hot_folder",
    "printer",
    "hall_display",
    "provision",
];

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MachineSettings {
    pub hub_url: Option<String>,
    pub hub_pin: Option<String>,
    pub hot_folder: Option<PathBuf>,
    pub printer: Option<String>,
    pub hall_display: Option<u32>,
    /// A provisioning file (`onewindow-hub provision`) the desk enrols from at its first start.
    pub provision: Option<PathBuf>,
    /// Which of the keys set here a user's settings.json may change.
    #[serde(default)]
    pub user_may_change: Vec<String>,
}

impl MachineSettings {
    /// The machine file at `path`; none when there is no file. A file that is there but wrong
    /// stops the start with what is wrong (a lock the administrator set must not silently
    /// fall away).
    pub fn read(path: &Path) -> Result<Option<MachineSettings>, String> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(format!("无法读取本机配置文件 {}：{e}", path.display())),
        };
        let m: MachineSettings = toml::from_str(&text).map_err(|e| {
            format!(
                "本机配置文件 {} 有误（可用的项：{}、user_may_change），请联系管理员：{e}",
                path.display(),
                MACHINE_KEYS.join("、")
            )
        })?;
        if let Some(bad) = m
            .user_may_change
            .iter()
            .find(|k| !MACHINE_KEYS.contains(&k.as_str()))
        {
            return Err(format!(
                "本机配置文件 {}：user_may_change 中的 {bad:?} 不是可设置的项（{}）",
                path.display(),
                MACHINE_KEYS.join("、")
            ));
        }
        if let Some(n) = m.hall_display
            && !(1..=16).contains(&n)
        {
            return Err(format!(
                "本机配置文件 {}：hall_display 须为显示器编号 1–16，现为 {n}",
                path.display()
            ));
        }
        Ok(Some(m))
    }

    /// Whether the user's settings.json may give `key`: the machine file leaves it open, or
    /// lets users change it.
    pub fn user_may_set(&self, key: &str) -> bool {
        let set_here = match key {
            "hub_url" => self.hub_url.is_some(),
            "hub_pin" => self.hub_pin.is_some(),
            "hot_folder" => self.hot_folder.is_some(),
            "printer" => self.printer.is_some(),
            "hall_display" => self.hall_display.is_some(),
            "provision" => self.provision.is_some(),
            _ => false,
        };
        !set_here || self.user_may_change.iter().any(|k| k == key)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_machine_file_reads_and_a_wrong_one_says_what_is_wrong() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("desk.toml");
        assert_eq!(MachineSettings::read(&path).unwrap(), None);
        std::fs::write(
            &path,
            "hub_url = \"https://hub.example:8470\"\nprinter = \"cups:counter\"\nuser_may_change = [\"printer\"]\n",
        )
        .unwrap();
        let m = MachineSettings::read(&path).unwrap().unwrap();
        assert_eq!(m.hub_url.as_deref(), Some("https://hub.example:8470"));
        assert!(m.user_may_set("printer"), "listed");
        assert!(!m.user_may_set("hub_url"), "set and not listed");
        assert!(m.user_may_set("hot_folder"), "not set here");

        std::fs::write(&path, "hub = \"x\"\n").unwrap();
        let err = MachineSettings::read(&path).unwrap_err();
        assert!(err.contains("desk.toml") && err.contains("hub"), "{err}");
        std::fs::write(&path, "user_may_change = [\"clerk\"]\n").unwrap();
        assert!(
            MachineSettings::read(&path)
                .unwrap_err()
                .contains("\"clerk\"")
        );
        std::fs::write(&path, "hall_display = 0\n").unwrap();
        assert!(MachineSettings::read(&path).unwrap_err().contains("1–16"));
    }
}
