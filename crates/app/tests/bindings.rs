//! The UI's TypeScript bindings are generated from `dto.rs` and the command table (the typed
//! wrappers, `commands.ts`); this fails when the committed
//! files are stale. `UPDATE_BINDINGS=1 cargo test -p onewindow-app --test bindings` (or
//! `make bindings`) rewrites them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

fn files(dir: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    if let Ok(entries) = std::fs::read_dir(dir) {
        for e in entries {
            let e = e.unwrap();
            let name = e.file_name().to_string_lossy().into_owned();
            if name.ends_with(".ts") {
                out.insert(name, std::fs::read_to_string(e.path()).unwrap());
            }
        }
    }
    out
}

#[test]
fn committed_bindings_match_the_dtos() {
    let committed_dir: PathBuf =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../ui/src/ipc/bindings");
    let fresh = tempfile::tempdir().unwrap();
    let cfg = ts_rs::Config::new()
        .with_out_dir(fresh.path())
        .with_large_int("number");
    onewindow_app::dto::export_all(&cfg).unwrap();
    std::fs::write(
        fresh.path().join("commands.ts"),
        onewindow_app::commands::typescript(&cfg),
    )
    .unwrap();
    let generated = files(fresh.path());
    assert!(
        generated.contains_key("DeskStatus.ts"),
        "{:?}",
        generated.keys()
    );
    if std::env::var_os("UPDATE_BINDINGS").is_some() {
        std::fs::create_dir_all(&committed_dir).unwrap();
        for (name, text) in &generated {
            std::fs::write(committed_dir.join(name), text).unwrap();
        }
        for name in files(&committed_dir).keys() {
            if !generated.contains_key(name) {
                std::fs::remove_file(committed_dir.join(name)).unwrap();
            }
        }
    }
    let committed = files(&committed_dir);
    assert_eq!(
        committed.keys().collect::<Vec<_>>(),
        generated.keys().collect::<Vec<_>>(),
        "binding files differ; run `make bindings`"
    );
    for (name, text) in &generated {
        assert_eq!(
            &committed[name], text,
            "{name} is stale; run `make bindings`"
        );
    }
}
