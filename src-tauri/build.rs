//! Every app command gets its own permission (`allow-<command>`), so each window's capability
//! (src-tauri/capabilities/) names exactly the commands it may call; a window without one
//! cannot call it. The command list is read from the `generate_handler!` in src/lib.rs, so a
//! new command cannot be forgotten here (tests/integration/windows.rs checks the capabilities).

fn commands() -> &'static [&'static str] {
    let lib = std::fs::read_to_string("src/lib.rs").expect("src/lib.rs");
    let start = lib
        .find("generate_handler![")
        .expect("src/lib.rs registers its commands with generate_handler!");
    let rest = &lib[start + "generate_handler![".len()..];
    let block = &rest[..rest.find(']').expect("generate_handler! closes")];
    let names: Vec<&'static str> = block
        .split(',')
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(|n| &*Box::leak(n.to_string().into_boxed_str()))
        .collect();
    Box::leak(names.into_boxed_slice())
}

fn main() {
    println!("cargo:rerun-if-changed=src/lib.rs");
    println!("cargo:rerun-if-changed=capabilities");
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(commands())),
    )
    .expect("tauri-build");
}
