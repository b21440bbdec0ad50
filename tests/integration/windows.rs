//! The desk's windows and IPC are locked down: a strict CSP, no global Tauri object, and one
//! capability per window naming exactly the commands it may call — the applicant's screen and
//! the hall display can call no case command. Read from the files the build uses, so a change
//! that loosens any of this fails `make test`.

use std::collections::{BTreeMap, BTreeSet};

fn src_tauri() -> std::path::PathBuf {
    onewindow_tests::root().join("src-tauri")
}

/// The commands of the command table (what the shell registers and build.rs gives
/// permissions to).
fn registered_commands() -> BTreeSet<String> {
    onewindow_app::commands::COMMANDS
        .iter()
        .map(|c| c.name.to_string())
        .collect()
}

/// Window label → the app commands its capability allows.
fn capabilities() -> BTreeMap<String, BTreeSet<String>> {
    let mut out: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for entry in std::fs::read_dir(src_tauri().join("capabilities")).unwrap() {
        let path = entry.unwrap().path();
        let cap: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        assert!(cap.get("remote").is_none(), "{path:?}: no remote origins");
        let windows: Vec<String> = cap["windows"]
            .as_array()
            .unwrap_or_else(|| panic!("{path:?} names its windows"))
            .iter()
            .map(|w| w.as_str().unwrap().to_string())
            .collect();
        assert_eq!(windows.len(), 1, "{path:?}: one window per capability");
        let allowed: BTreeSet<String> = cap["permissions"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p.as_str().expect("plain permission names").to_string())
            .filter_map(|p| {
                if p.starts_with("core:") {
                    assert!(
                        p == "core:default",
                        "{path:?}: only the core defaults, not {p}"
                    );
                    None
                } else {
                    let cmd = p
                        .strip_prefix("allow-")
                        .unwrap_or_else(|| panic!("{path:?}: unexpected permission {p}"));
                    Some(cmd.replace('-', "_"))
                }
            })
            .collect();
        let label = windows[0].clone();
        assert!(!label.contains('*'), "{path:?}: no window globs");
        assert!(
            out.insert(label.clone(), allowed).is_none(),
            "window {label} has one capability only"
        );
    }
    out
}

#[test]
fn the_csp_is_strict_and_there_is_no_global_tauri_object() {
    let conf: serde_json::Value =
        serde_json::from_slice(&std::fs::read(src_tauri().join("tauri.conf.json")).unwrap())
            .unwrap();
    assert_eq!(conf["app"]["withGlobalTauri"], false);
    let security = &conf["app"]["security"];
    assert!(
        security
            .get("dangerousDisableAssetCspModification")
            .is_none()
    );
    let csp = security["csp"]
        .as_str()
        .expect("a CSP is set (null would allow anything)");
    assert!(csp.contains("default-src 'self'"), "{csp}");
    assert!(csp.contains("script-src 'self'"), "{csp}");
    for banned in [
        "unsafe-eval",
        "https:",
        " *",
        "'unsafe-hashes'",
        "wasm-unsafe-eval",
    ] {
        assert!(!csp.contains(banned), "{banned} in the CSP: {csp}");
    }
    // The only non-self origin is the IPC bridge on Linux/Windows.
    for word in csp.split([' ', ';']) {
        if word.starts_with("http") {
            assert_eq!(
                word, "http://ipc.localhost",
                "a remote origin in the CSP: {csp}"
            );
        }
    }
    let script_src = csp
        .split(';')
        .find(|d| d.trim().starts_with("script-src"))
        .unwrap();
    assert!(!script_src.contains("unsafe-inline"), "{csp}");
}

#[test]
fn each_window_can_call_only_what_it_shows() {
    let commands = registered_commands();
    let caps = capabilities();
    // Every window the desk opens has its capability; nothing else has one.
    let lib = std::fs::read_to_string(src_tauri().join("src/lib.rs")).unwrap();
    let mut labels: BTreeSet<String> = BTreeSet::from(["main".to_string()]);
    for part in lib.split("WebviewWindowBuilder::new(").skip(1) {
        let label = part.split('"').nth(1).unwrap().to_string();
        labels.insert(label);
    }
    assert_eq!(
        caps.keys().cloned().collect::<BTreeSet<_>>(),
        labels,
        "one capability per window"
    );
    // Every command is callable from some window, and only registered ones are named.
    let allowed: BTreeSet<String> = caps.values().flatten().cloned().collect();
    assert_eq!(
        allowed, commands,
        "capabilities and registered commands agree"
    );
    assert_eq!(
        caps["applicant"],
        BTreeSet::from(["applicant_screen".to_string(), "applicant_rate".to_string()])
    );
    assert_eq!(caps["hall"], BTreeSet::from(["hall_board".to_string()]));
    // No case command outside the clerk's window, and the clerk cannot rate for the applicant.
    for cmd in commands.iter().filter(|c| {
        c.contains("case") || c.contains("intake") || c.contains("document") || c.contains("queue")
    }) {
        for (window, allows) in &caps {
            if window != "main" {
                assert!(!allows.contains(cmd), "{window} can call {cmd}");
            }
        }
        assert!(caps["main"].contains(cmd), "main cannot call {cmd}");
    }
    assert!(!caps["main"].contains("applicant_rate"));
}

/// Every command the windows can call is in the backend's access table with the rule it
/// should have for every role, lock and enrolment. (The shell asks `Desk::guard` before every
/// handler, in one place: `guarded` in src-tauri/src/lib.rs.)
#[test]
fn every_command_is_guarded_by_role_and_lock() {
    use onewindow_app::access::{Rule, check, rule};
    let roles = [
        None,
        Some("clerk"),
        Some("supervisor"),
        Some("approver"),
        Some("admin"),
    ];
    for cmd in registered_commands() {
        let r = rule(&cmd).unwrap_or_else(|| panic!("{cmd} is not in the access table"));
        for role in roles {
            for locked in [false, true] {
                for enrolled in [false, true] {
                    let allowed = check(&cmd, role, locked, enrolled).is_ok();
                    let expected = match r {
                        Rule::Always => true,
                        _ if locked => false,
                        // An enrolled desk works only for someone signed in.
                        _ if enrolled && role.is_none() => false,
                        _ if role == Some("approver") => false,
                        Rule::Manage => role != Some("clerk"),
                        Rule::Window => true,
                    };
                    assert_eq!(
                        allowed, expected,
                        "{cmd} for {role:?}, locked {locked}, enrolled {enrolled}: allowed {allowed}"
                    );
                }
            }
        }
    }
}
