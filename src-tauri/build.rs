//! Every app command gets its own permission (`allow-<command>`), so each window's capability
//! (src-tauri/capabilities/) names exactly the commands it may call; a window without one
//! cannot call it. The commands come from the command table (`onewindow_commands`), and each
//! capability file must allow exactly the commands the table gives its window: the build fails
//! and says what differs when they do not.

use std::collections::{BTreeMap, BTreeSet};

/// Window label → the commands its capability file allows.
fn capabilities() -> BTreeMap<String, BTreeSet<String>> {
    let mut out = BTreeMap::new();
    for entry in std::fs::read_dir("capabilities").expect("src-tauri/capabilities") {
        let path = entry.expect("capability file").path();
        let text = std::fs::read_to_string(&path).expect("capability file");
        let cap: serde_json::Value = serde_json::from_str(&text)
            .unwrap_or_else(|e| panic!("{}: not JSON: {e}", path.display()));
        let window = cap["windows"][0]
            .as_str()
            .unwrap_or_else(|| panic!("{}: names its window", path.display()))
            .to_string();
        let allowed: BTreeSet<String> = cap["permissions"]
            .as_array()
            .unwrap_or_else(|| panic!("{}: lists its permissions", path.display()))
            .iter()
            .filter_map(|p| p.as_str()?.strip_prefix("allow-"))
            .map(|c| c.replace('-', "_"))
            .collect();
        out.insert(window, allowed);
    }
    out
}

fn main() {
    println!("cargo:rerun-if-changed=capabilities");
    let commands: &[&str] = onewindow_commands::command_names!();
    let table: &[(&str, &[&str])] = onewindow_commands::command_windows!();
    let mut wanted: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (command, windows) in table {
        for w in *windows {
            wanted
                .entry(w.to_string())
                .or_default()
                .insert(command.to_string());
        }
    }
    let found = capabilities();
    for (window, commands) in &wanted {
        let allowed = found.get(window).cloned().unwrap_or_default();
        let missing: Vec<_> = commands.difference(&allowed).collect();
        let extra: Vec<_> = allowed.difference(commands).collect();
        assert!(
            missing.is_empty() && extra.is_empty(),
            "capabilities/{window}.json differs from the command table (crates/commands): \
             missing allow- for {missing:?}, allows {extra:?} the table does not give it"
        );
    }
    for window in found.keys() {
        assert!(
            wanted.contains_key(window) || found[window].is_empty(),
            "capabilities for window {window}, which no command names"
        );
    }
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(commands)),
    )
    .expect("tauri-build");
}
