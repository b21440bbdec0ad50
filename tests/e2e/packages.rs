//! The Debian packages as installed on the test machine (`scripts/test-packages.sh` builds,
//! checks and installs them, then runs this with `ONEWINDOW_INSTALLED_PACKAGES=1`): the hub
//! runs as the package's user from `/etc/onewindow/hub.toml` (CI has no systemd as PID 1, so
//! the unit's command is run by hand), and the installed desk shows the hub's catalog.

use std::os::unix::fs::{MetadataExt, PermissionsExt};

use super::*;

const HUB: &str = "/usr/bin/onewindow-hub";
const DESK: &str = "/usr/bin/onewindow-desk";
const CONFIG: &str = "/etc/onewindow/hub.toml";
const STATE: &str = "/var/lib/onewindow-hub";
/// `bind` in the packaged hub.toml.
const PACKAGED_URL: &str = "http://127.0.0.1:8470";

fn as_hub_user(args: &[&str]) -> Command {
    let mut c = Command::new("runuser");
    c.args(["-u", "onewindow-hub", "--", HUB]).args(args);
    // The service's working directory; the test's own may be closed to the hub's user.
    c.current_dir("/");
    c
}

fn uid_of(user: &str) -> u32 {
    let out = Command::new("id").args(["-u", user]).output().unwrap();
    assert!(out.status.success(), "no user {user}: the package makes it");
    String::from_utf8_lossy(&out.stdout).trim().parse().unwrap()
}

/// How many `onewindow-hub` processes run as `uid` (read from /proc: no procps needed).
fn hub_processes_of(uid: u32) -> usize {
    std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| {
            let dir = e.path();
            std::fs::read_to_string(dir.join("comm")).is_ok_and(|c| c.trim() == "onewindow-hub")
                && std::fs::read_to_string(dir.join("status")).is_ok_and(|s| {
                    s.lines()
                        .find_map(|l| l.strip_prefix("Uid:"))
                        .and_then(|l| l.split_whitespace().next())
                        .and_then(|u| u.parse::<u32>().ok())
                        == Some(uid)
                })
        })
        .count()
}

#[test]
fn the_installed_hub_serves_from_its_config_and_the_installed_desk_shows_the_catalog() {
    if std::env::var_os("ONEWINDOW_INSTALLED_PACKAGES").is_none() {
        eprintln!(
            "skipped: scripts/test-packages.sh (make test) runs this after installing the packages"
        );
        return;
    }
    let uid = uid_of("onewindow-hub");
    let state = std::fs::metadata(STATE).expect("the package made the state directory");
    assert_eq!(state.uid(), uid);
    assert_eq!(state.permissions().mode() & 0o777, 0o700);

    // The demo catalog, where the hub's user can read it.
    let tmp = tempfile::tempdir().unwrap();
    std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let catalog = tmp.path().join("catalog.json");
    std::fs::copy(onewindow_tests::demo("catalog-sample.json"), &catalog).unwrap();
    std::fs::set_permissions(&catalog, std::fs::Permissions::from_mode(0o644)).unwrap();
    let imported = as_hub_user(&["import-catalog", "--data", STATE, catalog.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        imported.status.success(),
        "import-catalog as onewindow-hub: {}",
        String::from_utf8_lossy(&imported.stderr)
    );

    // The unit's command, as its user.
    let mut hub = Guard(
        as_hub_user(&["serve", "--config", CONFIG])
            .stdout(Stdio::null())
            .stderr(Stdio::inherit())
            .process_group(0)
            .spawn()
            .unwrap(),
    );
    let http = reqwest::blocking::Client::new();
    wait_until("the installed hub ready", Duration::from_secs(30), || {
        http.get(format!("{PACKAGED_URL}/readyz"))
            .send()
            .is_ok_and(|r| r.status().is_success())
    });
    // This process answers (not a service systemd started from the package on a machine
    // where it runs as PID 1): it is still running.
    assert!(
        matches!(hub.0.try_wait(), Ok(None)),
        "the installed hub exited: is 127.0.0.1:8470 taken (by the onewindow-hub service)?"
    );
    // It runs as the package's user, on the data folder its config names.
    assert!(
        hub_processes_of(uid) > 0,
        "no onewindow-hub process of user onewindow-hub"
    );
    let db =
        std::fs::metadata(Path::new(STATE).join("hub.db")).expect("hub.db in the state directory");
    assert_eq!(db.uid(), uid);
    assert!(Path::new(STATE).join("logs").is_dir());

    let (_xvfb, display) = start_xvfb();
    let (_driver, base) = start_driver(&display);
    let desk_data = tmp.path().join("desk");
    let session = Session::new(
        &base,
        Path::new(DESK),
        &[
            "--hub-url",
            PACKAGED_URL,
            "--data-dir",
            desk_data.to_str().unwrap(),
            "--sync-interval-ms",
            "500",
        ],
    );
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        wait_until("在线 with the catalog", Duration::from_secs(30), || {
            text_of(&session, "#connectivity") == "在线"
                && text_of(&session, "#item-count") == "事项 40 项"
        });
        search(&session, "身份证");
        wait_for_hits(&session, "身份证 hits", |h| {
            h.contains(&"居民身份证换领".to_string())
        });
        session.screenshot(&shots_dir().join("80-installed-desk.png"));
    }));
    if let Err(panic) = outcome {
        session.screenshot(&shots_dir().join("failure-installed-desk.png"));
        eprintln!("desk log:\n{}", desk_log(&desk_data));
        session.close();
        std::panic::resume_unwind(panic);
    }
    session.close();
    drop(hub);
}
