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

/// apt (or unattended-upgrade, through `APT_CONFIG`) with only what `onewindow-desk
/// --system` wrote under `root` as its sources and settings, its lists and downloads in
/// `dir`; run as root, fetching as `_apt`.
fn apt_config(root: &Path, dir: &Path) -> PathBuf {
    // apt fetches and checks as its sandbox user `_apt`, as on a desk: it must reach the files.
    for d in [dir.parent().unwrap(), dir] {
        std::fs::create_dir_all(d).unwrap();
        std::fs::set_permissions(d, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    for d in ["lists/partial", "archives/partial"] {
        std::fs::create_dir_all(dir.join(d)).unwrap();
    }
    let conf = dir.join("apt.conf");
    std::fs::write(
        &conf,
        format!(
            "Dir::Etc::SourceList \"/dev/null\";\n\
             Dir::Etc::SourceParts \"{}\";\n\
             Dir::Etc::Parts \"{}\";\n\
             Dir::Etc::Main \"/dev/null\";\n\
             Dir::State::Lists \"{}\";\n\
             Dir::Cache::Archives \"{}\";\n",
            root.join("etc/apt/sources.list.d").display(),
            root.join("etc/apt/apt.conf.d").display(),
            dir.join("lists").display(),
            dir.join("archives").display(),
        ),
    )
    .unwrap();
    conf
}

fn apt(conf: &Path, program: &str, args: &[&str]) -> std::process::Output {
    Command::new(program)
        .args(args)
        .env("APT_CONFIG", conf)
        .env("DEBIAN_FRONTEND", "noninteractive")
        .output()
        .unwrap()
}

fn said(o: &std::process::Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn installed_version(package: &str) -> String {
    let out = Command::new("dpkg-query")
        .args(["-W", "-f=${Version}", package])
        .output()
        .unwrap();
    String::from_utf8_lossy(&out.stdout).trim().to_string()
}

/// The installed desk (version N) points the machine's apt at its hub (`--provision FILE
/// --system`) and upgrades to N+1 published on it (`publish-desk`, served under /apt/ over
/// HTTPS with the hub's own certificate), with the hub as apt's only source; N+2 comes by
/// unattended-upgrade; an index whose signature does not match is refused.
#[test]
fn the_installed_desk_upgrades_from_its_hub_and_a_bad_signature_is_refused() {
    let Some(next) = std::env::var_os("ONEWINDOW_NEXT_DESK_DEB").map(PathBuf::from) else {
        eprintln!(
            "skipped: scripts/test-packages.sh (make test) runs this with the next version built"
        );
        return;
    };
    let before = installed_version("onewindow-desk");
    assert!(!before.is_empty(), "the desk package is installed");
    let tmp = tempfile::tempdir().unwrap();
    let data = demo_hub_data(tmp.path());
    let hub = HubProcess::start_tls(&data);
    let published = onewindow_tests::hub_cli(&[
        "publish-desk",
        "--data",
        data.to_str().unwrap(),
        next.to_str().unwrap(),
    ]);
    assert!(published.contains("已发布"), "{published}");
    // Publishing another package is refused.
    let hub_deb = std::fs::read_dir(next.parent().unwrap())
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .find(|p| p.to_string_lossy().contains("onewindow-hub_"))
        .unwrap();
    let refused = onewindow_tests::hub_command_for(&["--data", data.to_str().unwrap()])
        .args(["publish-desk", "--data", data.to_str().unwrap()])
        .arg(&hub_deb)
        .output()
        .unwrap();
    assert_eq!(refused.status.code(), Some(2));

    // The installed desk points this machine's apt at its hub, from the hub's provisioning
    // file (under a folder standing for /: the test machine's own apt stays as it is).
    let sheets = tmp.path().join("sheets");
    onewindow_tests::hub_cli(&[
        "provision",
        "--data",
        data.to_str().unwrap(),
        "--centre",
        "MAIN",
        "--windows",
        "1",
        "--out",
        sheets.to_str().unwrap(),
        "--hub-url",
        &hub.url(),
    ]);
    let root = tmp.path().join("root");
    // Under a hardened umask (等保 baselines set 027): apt's sandbox user still reads them.
    let system = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "umask 027 && exec {DESK} --provision \"$1\" --system"
        ))
        .arg("sh")
        .arg(sheets.join("MAIN-01.onewindow-provision.json"))
        .env("ONEWINDOW_SYSTEM_ROOT", &root)
        .output()
        .unwrap();
    assert!(system.status.success(), "{}", said(&system));
    assert!(
        said(&system).contains("已为本机配置从中心"),
        "{}",
        said(&system)
    );
    let pem = std::fs::read_to_string(root.join("etc/onewindow/hub-certificate.pem")).unwrap();
    let plain = |t: &str| t.split_whitespace().collect::<String>();
    assert_eq!(
        plain(&pem),
        plain(&std::fs::read_to_string(data.join("tls/cert.pem")).unwrap()),
        "the certificate the provisioning file pins"
    );
    let apt_dir = tmp.path().join("apt");
    let conf = apt_config(&root, &apt_dir);

    let update = apt(&conf, "apt-get", &["-q", "update"]);
    assert!(update.status.success(), "{}", said(&update));
    let upgrade = apt(
        &conf,
        "apt-get",
        &["-q", "install", "--only-upgrade", "-y", "onewindow-desk"],
    );
    assert!(upgrade.status.success(), "{}", said(&upgrade));
    let after = installed_version("onewindow-desk");
    assert_ne!(after, before, "{}", said(&upgrade));
    assert!(
        next.to_string_lossy().contains(&after),
        "{after} from {}",
        next.display()
    );

    // N+2 reaches the machine with nobody there: unattended-upgrade, as its daily timer runs
    // it, with the settings --system wrote (that origin only).
    {
        let next2 = std::env::var_os("ONEWINDOW_NEXT2_DESK_DEB")
            .map(PathBuf::from)
            .expect("scripts/test-packages.sh builds N+2 with N+1");
        onewindow_tests::hub_cli(&[
            "publish-desk",
            "--data",
            data.to_str().unwrap(),
            next2.to_str().unwrap(),
        ]);
        let update = apt(&conf, "apt-get", &["-q", "update"]);
        assert!(update.status.success(), "{}", said(&update));
        let unattended = apt(&conf, "unattended-upgrade", &["-v"]);
        assert!(unattended.status.success(), "{}", said(&unattended));
        let now = installed_version("onewindow-desk");
        assert!(
            next2.to_string_lossy().contains(&format!("_{now}_")),
            "{now} from {}: {}",
            next2.display(),
            said(&unattended)
        );
    }

    // A tampered index: the signature no longer matches, apt refuses it.
    let in_release = data.join("apt/dists/onewindow/InRelease");
    let text = std::fs::read_to_string(&in_release).unwrap();
    std::fs::write(
        &in_release,
        text.replacen("Label: OneWindow desk", "Label: OneWindow dusk", 1),
    )
    .unwrap();
    let _ = std::fs::remove_file(data.join("apt/dists/onewindow/Release.gpg"));
    std::fs::remove_dir_all(apt_dir.join("lists")).unwrap();
    std::fs::create_dir_all(apt_dir.join("lists/partial")).unwrap();
    let update = apt(&conf, "apt-get", &["-q", "update"]);
    let out = said(&update);
    assert!(
        !update.status.success() || out.contains("W: GPG error") || out.contains("not signed"),
        "{out}"
    );
    assert!(
        out.contains("BADSIG") || out.contains("signature") || out.contains("not signed"),
        "{out}"
    );
    drop(hub);
}
