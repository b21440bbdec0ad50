//! Debian packages for the tests: `publish-desk` reads an onewindow-desk .deb's control.

/// An onewindow-desk package of `version` (control file only: what publish-desk reads).
pub fn desk_deb(dir: &std::path::Path, version: &str) -> std::path::PathBuf {
    let root = dir.join(format!("deb-{version}"));
    std::fs::create_dir_all(root.join("DEBIAN")).unwrap();
    std::fs::write(
        root.join("DEBIAN/control"),
        format!(
            "Package: onewindow-desk\nVersion: {version}\nArchitecture: amd64\n\
             Maintainer: OneWindow developers <onewindow@users.noreply.github.com>\n\
             Description: test package\n test package\n"
        ),
    )
    .unwrap();
    let deb = dir.join(format!("onewindow-desk_{version}_amd64.deb"));
    let out = std::process::Command::new("dpkg-deb")
        .args(["--root-owner-group", "--build"])
        .arg(&root)
        .arg(&deb)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    deb
}
