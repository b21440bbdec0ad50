//! Tidy: ARCHITECTURE.md's invariants about where things may be written, checked on the
//! source tree. Each rule names what a line must not contain, which files it looks at and
//! which files may hold it; the checker itself is tested on deliberate violations.

use std::path::Path;

use onewindow_proto::OpKind;

mod hub;

struct Rule {
    name: &'static str,
    /// What to do instead, for the failure message.
    fix: &'static str,
    /// A line breaks the rule when it contains any of these.
    needles: Vec<String>,
    /// The files the rule looks at (paths relative to the repository, with `/`).
    applies: fn(&str) -> bool,
    /// Files among those that may contain a needle.
    allowed: fn(&str) -> bool,
    /// Rust: only code before the file's first `#[cfg(test)]` counts.
    production_only: bool,
}

#[derive(Debug, PartialEq, Eq)]
struct Violation {
    rule: &'static str,
    file: String,
    line: usize,
}

fn is_rust_code(path: &str) -> bool {
    path.ends_with(".rs") && (path.starts_with("crates/") || path.starts_with("src-tauri/"))
}

fn rules() -> Vec<Rule> {
    vec![
        Rule {
            name: "sql only in the store",
            fix: "put the query in crates/store (desk) or a crates/hub-store module (hub)",
            needles: vec!["rusqlite::".into(), "use rusqlite".into()],
            applies: is_rust_code,
            allowed: |p| p.starts_with("crates/store/") || p.starts_with("crates/hub-store/"),
            production_only: true,
        },
        Rule {
            // The connection is private to crates/hub-store (the compiler keeps it there); no
            // hub code opens one of its own either.
            name: "the hub's connection only in its store modules",
            fix: "add a method to a crates/hub-store module and call that",
            needles: vec![
                ".conn.".into(),
                ".conn,".into(),
                ".conn)".into(),
                ".conn;".into(),
            ],
            applies: |p| p.starts_with("crates/hub/src/") && p.ends_with(".rs"),
            allowed: |_| false,
            production_only: true,
        },
        Rule {
            // One body of store code runs on SQLite and on PostgreSQL: what one engine lacks
            // is spelled once, in crates/hub-store/src/db/ (Conn::minutes_between, …).
            name: "the hub's SQL in the dialect both engines share",
            fix: "write it so both engines take it (INSERT … ON CONFLICT, RETURNING, CASE, \
                  CAST(?N AS TEXT)), or add an engine-aware helper to crates/hub-store/src/db/",
            needles: vec![
                "INSERT OR ".into(),
                "julianday(".into(),
                "strftime(".into(),
                "last_insert_rowid".into(),
                "group_concat(".into(),
                "ifnull(".into(),
                "datetime(".into(),
                "IS NOT '".into(),
                "unchecked_transaction".into(),
            ],
            applies: |p| p.starts_with("crates/hub-store/src/"),
            allowed: |p| p.starts_with("crates/hub-store/src/db/"),
            production_only: true,
        },
        Rule {
            name: "http only in crates/sync",
            fix: "talk to the hub through onewindow_sync",
            needles: vec!["reqwest::".into(), "use reqwest".into()],
            applies: is_rust_code,
            allowed: |p| p.starts_with("crates/sync/"),
            production_only: true,
        },
        Rule {
            name: "invoke only in ui/src/ipc",
            fix: "call the backend through the wrappers in ui/src/ipc/",
            needles: vec!["invoke(".into(), "@tauri-apps/api/core".into()],
            applies: |p| p.starts_with("ui/src/") && (p.ends_with(".ts") || p.ends_with(".svelte")),
            allowed: |p| p.starts_with("ui/src/ipc/"),
            production_only: false,
        },
        Rule {
            name: "desk and hub read time only from their clock",
            fix: "the hub: the Clock in HubState (state.now(), or state.clock() inside a store \
                  call); the desk: its DeskConfig's clock (config.now(), store.now())",
            needles: vec!["Utc::now()".into(), "Local::now()".into()],
            applies: |p| {
                (p.starts_with("crates/") && p.contains("/src/") || p.starts_with("src-tauri/src/"))
                    && p.ends_with(".rs")
            },
            allowed: |p| p == "crates/domain/src/clock.rs",
            production_only: true,
        },
        Rule {
            name: "no branching on an error's text",
            fix: "branch on the error's code (ApiErrorCode, AppError's code), never its sentence",
            needles: vec![
                "message.contains(".into(),
                "msg.contains(".into(),
                "reason.contains(".into(),
                "to_string().contains(".into(),
            ],
            applies: is_rust_code,
            allowed: |_| false,
            production_only: true,
        },
        Rule {
            name: "the UI branches on an error's code, never its text",
            fix: "branch on the AppError's code (errorCode(e), the ErrorCode type from the bindings)",
            needles: vec![
                "error.includes(".into(),
                "message.includes(".into(),
                "error.startsWith(".into(),
                "message.startsWith(".into(),
            ],
            applies: |p| p.starts_with("ui/src/") && (p.ends_with(".ts") || p.ends_with(".svelte")),
            allowed: |_| false,
            production_only: false,
        },
        Rule {
            name: "the UI reads time only from its clock",
            fix: "take a Clock (ui/src/lib/clock.ts: systemClock, ManualClock in tests) and use \
                  now/after/every/clear",
            needles: vec![
                "setTimeout(".into(),
                "setInterval(".into(),
                "Date.now()".into(),
            ],
            applies: |p| p.starts_with("ui/src/") && (p.ends_with(".ts") || p.ends_with(".svelte")),
            allowed: |p| p == "ui/src/lib/clock.ts",
            production_only: false,
        },
        Rule {
            name: "the command list comes from the command table",
            fix: "read onewindow_commands::command_names!() or onewindow_app::commands::COMMANDS",
            needles: vec!["\"generate_handler![".into(), "\"#[tauri::command]".into()],
            // (The checker's own needles and examples are the one place these strings appear.)
            applies: |p| p.ends_with(".rs") && !p.starts_with("tests/tidy/"),
            allowed: |_| false,
            production_only: false,
        },
        Rule {
            name: "desk locks by the one policy",
            fix: "take the lock with Relock/RelockRw (crates/app/src/locks.rs): a poisoned lock is recovered",
            needles: vec![
                ".expect(\"lock\")".into(),
                ".lock().unwrap()".into(),
                ".read().unwrap()".into(),
                ".write().unwrap()".into(),
            ],
            applies: |p| p.starts_with("crates/app/src/") && p.ends_with(".rs"),
            allowed: |p| p == "crates/app/src/locks.rs",
            production_only: true,
        },
        Rule {
            name: "no service holds the desk",
            fix: "give the service the services it calls when crates/app/src/desk.rs wires it; \
                  the façade only delegates",
            // The type itself, not `DeskConfig` or `DeskMutex`.
            needles: ["Arc<Desk>", "Weak<Desk>", "impl Desk {"]
                .into_iter()
                .map(String::from)
                .chain(
                    [")", ",", ";", ">", " "]
                        .into_iter()
                        .flat_map(|end| [format!("&Desk{end}"), format!("desk::Desk{end}")]),
                )
                .collect(),
            applies: |p| p.starts_with("crates/app/src/") && p.ends_with(".rs"),
            allowed: |p| p == "crates/app/src/desk.rs" || p == "crates/app/src/lib.rs",
            production_only: true,
        },
        Rule {
            name: "hub pages only through templates",
            fix: "write the page as a maud html! template (crates/hub/src/pages.rs has the frames); \
                  spliced values are escaped by it, PreEscaped is for constant CSS and scripts",
            needles: html_by_hand(),
            applies: |p| p.starts_with("crates/hub/src/") && p.ends_with(".rs"),
            allowed: |_| false,
            production_only: true,
        },
        Rule {
            name: "hub pages run no inline script",
            fix: "put the script in a constant served by pages::asset and load it with \
                  script src=\"/assets/NAME.js\" {}; the Content-Security-Policy refuses inline \
                  scripts and handlers",
            needles: [
                "script {",
                "onclick=",
                "onsubmit=",
                "onload=",
                "onchange=",
                "oninput=",
                "onkeydown=",
                "javascript:",
            ]
            .into_iter()
            .map(String::from)
            .collect(),
            applies: |p| p.starts_with("crates/hub/src/") && p.ends_with(".rs"),
            allowed: |_| false,
            production_only: true,
        },
        Rule {
            name: "cryptography only from vetted libraries",
            fix: "use a RustCrypto crate, rustls/aws-lc or SQLCipher through its public API \
                  (aead::stream for segmented AEAD, hkdf for keys, ed25519-dalek for signatures); \
                  never a primitive, a nonce scheme or a library's private struct of our own",
            needles: hand_made_crypto(),
            applies: |p| {
                p.ends_with(".rs")
                    && (p.starts_with("crates/")
                        || p.starts_with("src-tauri/")
                        || p.starts_with("tests/src/"))
            },
            allowed: |_| false,
            production_only: true,
        },
        Rule {
            name: "op kinds only in crates/proto",
            fix: "name the kind as onewindow_proto::OpKind",
            needles: OpKind::ALL
                .iter()
                .map(|k| format!("\"{}\"", k.as_str()))
                .collect(),
            applies: |p| p.ends_with(".rs") || p.ends_with(".ts") || p.ends_with(".svelte"),
            allowed: |p| p.starts_with("crates/proto/"),
            production_only: false,
        },
    ]
}

/// What cryptography written by hand looks like in Rust: a C struct laid out to match a
/// library's (SQLCipher's provider was copied field for field once), the tables and constants
/// of AES and SHA-2, nonces assembled byte by byte, randomness pooled by hand.
fn hand_made_crypto() -> Vec<String> {
    [
        "#[repr(C)]",
        "extern \"C\"",
        "sqlcipher_provider",
        "sqlcipher_register_provider",
        // AES's S-box and round constants; SHA-256's initial hash and first round constant.
        "0x63, 0x7c, 0x77, 0x7b",
        "0x01, 0x02, 0x04, 0x08, 0x10, 0x20, 0x40, 0x80, 0x1b, 0x36",
        "0x6a09e667",
        "0x428a2f98",
        // A nonce built by hand instead of by the AEAD's own construction.
        "Nonce::from_slice(",
        "thread_local! {\n    static RNG",
    ]
    .into_iter()
    .map(String::from)
    .collect()
}

/// What HTML written by hand looks like in Rust: a string literal opening with a tag, a hand
/// escaper, or markup made unescaped from something other than a constant.
fn html_by_hand() -> Vec<String> {
    let mut needles: Vec<String> = ('a'..='z')
        .chain('A'..='Z')
        .chain(['!', '/'])
        .map(|c| format!("\"<{c}"))
        .collect();
    needles.extend(
        [
            "fn esc(",
            "PreEscaped(format!",
            "PreEscaped(&",
            "PreEscaped(String",
        ]
        .map(String::from),
    );
    needles
}

/// The lines of `files` (path, text) that break `rule`. Comment lines do not count.
fn check(rule: &Rule, files: &[(String, String)]) -> Vec<Violation> {
    let mut out = Vec::new();
    for (path, text) in files {
        if !(rule.applies)(path) || (rule.allowed)(path) {
            continue;
        }
        for (i, line) in text.lines().enumerate() {
            if rule.production_only && path.ends_with(".rs") && line.trim() == "#[cfg(test)]" {
                break;
            }
            let code = line.trim_start();
            if code.starts_with("//") || code.starts_with("* ") || code.starts_with("/*") {
                continue;
            }
            if rule.needles.iter().any(|n| line.contains(n.as_str())) {
                out.push(Violation {
                    rule: rule.name,
                    file: path.clone(),
                    line: i + 1,
                });
            }
        }
    }
    out
}

/// Every source file of the repository (not build output, dependencies or generated
/// bindings), as (path, text).
fn source_files(root: &Path) -> Vec<(String, String)> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<(String, String)>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let path = e.path();
            let rel = path
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            let name = e.file_name().to_string_lossy().into_owned();
            if path.is_dir() {
                if !(name.starts_with('.')
                    || matches!(name.as_str(), "target" | "node_modules" | "dist" | "gen")
                    || rel == "ui/src/ipc/bindings")
                {
                    walk(root, &path, out);
                }
            } else if [".rs", ".ts", ".svelte"].iter().any(|x| name.ends_with(x))
                && let Ok(text) = std::fs::read_to_string(&path)
            {
                out.push((rel, text));
            }
        }
    }
    let mut out = Vec::new();
    for top in ["crates", "src-tauri", "tests", "ui/src"] {
        walk(root, &root.join(top), &mut out);
    }
    out
}

/// Files still over [`MAX_LINES`] before their tests, with the length they may not pass: this
/// list only shrinks (split a file, then lower or drop its line).
const OVER_LENGTH: &[(&str, usize)] = &[];

/// A Rust source file's most lines before its `#[cfg(test)]` module.
const MAX_LINES: usize = 900;

/// Rust files longer than they may be: over [`MAX_LINES`] before their tests and not listed,
/// or listed and longer than their line in `over`.
fn too_long(files: &[(String, String)], over: &[(&str, usize)]) -> Vec<String> {
    files
        .iter()
        .filter(|(p, _)| p.ends_with(".rs"))
        .filter_map(|(p, text)| {
            let n = text
                .lines()
                .take_while(|l| l.trim() != "#[cfg(test)]")
                .count();
            let limit = over
                .iter()
                .find(|(f, _)| f == p)
                .map_or(MAX_LINES, |(_, n)| *n);
            (n > limit).then(|| format!("{p}: {n} lines before its tests (at most {limit})"))
        })
        .collect()
}

/// A desk UI component's most lines (script, markup and style).
const MAX_COMPONENT_LINES: usize = 400;

/// Svelte components over [`MAX_COMPONENT_LINES`].
fn large_components(files: &[(String, String)]) -> Vec<String> {
    files
        .iter()
        .filter(|(p, _)| p.starts_with("ui/src/") && p.ends_with(".svelte"))
        .filter_map(|(p, text)| {
            let n = text.lines().count();
            (n > MAX_COMPONENT_LINES)
                .then(|| format!("{p}: {n} lines (at most {MAX_COMPONENT_LINES})"))
        })
        .collect()
}

#[test]
fn no_component_outgrows_its_length() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let large = large_components(&source_files(&root));
    assert!(
        large.is_empty(),
        "split these components (state into ui/src/lib/services):\n{}",
        large.join("\n")
    );
}

#[test]
fn a_large_component_is_found() {
    let line = "<p>x</p>\n";
    let files = [
        file("ui/src/components/Big.svelte", &line.repeat(401)),
        file("ui/src/components/Ok.svelte", &line.repeat(400)),
        file("ui/src/lib/services/long.svelte.ts", &line.repeat(700)),
        file("ui/src/ipc/bindings/commands.ts", &line.repeat(900)),
    ];
    assert_eq!(
        large_components(&files),
        ["ui/src/components/Big.svelte: 401 lines (at most 400)"]
    );
}

#[test]
fn the_ui_setting_its_own_timers_is_found() {
    let files = [
        file(
            "ui/src/components/QueueBar.svelte",
            "  const t = setInterval(() => void poll(), 5000);\n",
        ),
        file(
            "ui/src/lib/services/status.svelte.ts",
            "this.clock.every(30_000, poll);\n",
        ),
        file(
            "ui/src/lib/clock.ts",
            "  after: (ms, fn) => window.setTimeout(fn, ms),\n",
        ),
        file(
            "ui/tests/queue.test.ts",
            "await new Promise((r) => setTimeout(r, 10));\n",
        ),
    ];
    let found = check(&rule("the UI reads time only from its clock"), &files);
    assert_eq!(
        found.iter().map(|v| v.file.as_str()).collect::<Vec<_>>(),
        ["ui/src/components/QueueBar.svelte"]
    );
}

#[test]
fn no_file_outgrows_its_length() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let long = too_long(&source_files(&root), OVER_LENGTH);
    assert!(long.is_empty(), "split these files:\n{}", long.join("\n"));
}

#[test]
fn a_long_file_is_found_and_a_listed_one_may_not_grow() {
    let line = "let x = 1;\n";
    let files = [
        file("crates/app/src/big.rs", &line.repeat(901)),
        file(
            "crates/app/src/ok.rs",
            &format!("{}#[cfg(test)]\n{}", line.repeat(900), line.repeat(500)),
        ),
        file("crates/sync/src/lib.rs", &line.repeat(1000)),
        file("crates/hub-store/src/store_queue.rs", &line.repeat(1100)),
    ];
    let over = [
        ("crates/sync/src/lib.rs", 1094),
        ("crates/hub-store/src/store_queue.rs", 1037),
    ];
    assert_eq!(
        too_long(&files, &over),
        [
            "crates/app/src/big.rs: 901 lines before its tests (at most 900)",
            "crates/hub-store/src/store_queue.rs: 1100 lines before its tests (at most 1037)"
        ]
    );
}

#[test]
fn the_tree_keeps_its_invariants() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let files = source_files(&root);
    assert!(
        files.iter().any(|(p, _)| p == "crates/store/src/lib.rs")
            && files.iter().any(|(p, _)| p.starts_with("ui/src/")),
        "the walk found the sources"
    );
    let mut report = Vec::new();
    for rule in rules() {
        for v in check(&rule, &files) {
            report.push(format!("{}:{}: {} ({})", v.file, v.line, v.rule, rule.fix));
        }
    }
    assert!(report.is_empty(), "\n{}", report.join("\n"));
}

/// Desk locks another module can reach: a `DeskMutex` or `DeskRwLock` field that is not
/// private to its service's module.
fn shared_locks(files: &[(String, String)]) -> Vec<String> {
    let mut found = Vec::new();
    for (path, text) in files {
        if !(path.starts_with("crates/app/src/") && path.ends_with(".rs")) {
            continue;
        }
        for (i, line) in text.lines().enumerate() {
            let line = line.trim_start();
            let Some(rest) = line.strip_prefix("pub") else {
                continue;
            };
            let field_type = rest
                .split_once(':')
                .map(|(_, ty)| ty.trim_start())
                .filter(|_| !rest.contains("fn ") && !rest.contains("struct "));
            if field_type
                .is_some_and(|ty| ty.starts_with("DeskMutex") || ty.starts_with("DeskRwLock"))
            {
                found.push(format!("{path}:{}: {line}", i + 1));
            }
        }
    }
    found
}

#[test]
fn each_desk_lock_is_private_to_its_service() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let shared = shared_locks(&source_files(&root));
    assert!(
        shared.is_empty(),
        "make these fields private and give the service a method instead:\n{}",
        shared.join("\n")
    );
}

#[test]
fn a_lock_reachable_from_another_service_is_found() {
    let files = [
        file(
            "crates/app/src/queue.rs",
            "pub(crate) struct Queue {\n    pub(crate) local: DeskMutex<QueueLocal>,\n    announcer: Announcer,\n}\n",
        ),
        file(
            "crates/app/src/intake.rs",
            "pub(crate) struct Intake {\n    hot: DeskMutex<Option<HotFolder>>,\n    pub(crate) config: IntakeConfig,\n}\n\
             pub(crate) fn f(x: DeskMutex<u8>) {}\n",
        ),
        file("crates/hub/src/state.rs", "pub lock: DeskMutex<u8>,\n"),
    ];
    assert_eq!(
        shared_locks(&files),
        ["crates/app/src/queue.rs:2: pub(crate) local: DeskMutex<QueueLocal>,"]
    );
}

#[test]
fn a_service_holding_the_desk_is_found() {
    let files = [
        file(
            "crates/app/src/queue.rs",
            "pub(crate) struct Queue {\n    desk: std::sync::Weak<crate::desk::Desk>,\n}\n",
        ),
        file("crates/app/src/cases/view.rs", "impl Desk {\n"),
        file(
            "crates/app/src/intake.rs",
            "use crate::desk::DeskConfig;\nfn f(c: &DeskConfig, m: &DeskMutex<u8>) {}\n",
        ),
        file(
            "crates/app/src/desk.rs",
            "pub fn open(config: DeskConfig) -> Arc<Desk> {\n",
        ),
        file(
            "src-tauri/src/lib.rs",
            "type DeskState<'a> = tauri::State<'a, Arc<Desk>>;\n",
        ),
    ];
    let found = check(&rule("no service holds the desk"), &files);
    assert_eq!(
        found.iter().map(|v| v.file.as_str()).collect::<Vec<_>>(),
        ["crates/app/src/queue.rs", "crates/app/src/cases/view.rs"]
    );
}

fn rule(name: &str) -> Rule {
    rules().into_iter().find(|r| r.name == name).unwrap()
}

fn file(path: &str, text: &str) -> (String, String) {
    (path.to_string(), text.to_string())
}

#[test]
fn sql_outside_the_store_is_found_and_tests_may_open_a_database() {
    let files = [
        file(
            "crates/app/src/window.rs",
            "fn f() {}\nuse rusqlite::params;\n",
        ),
        file(
            "crates/hub/src/figures.rs",
            "let r = rusqlite::Connection::open(p);\n",
        ),
        file("crates/store/src/cases.rs", "use rusqlite::params;\n"),
        file(
            "crates/hub-store/src/store_queue.rs",
            "use rusqlite::params;\n",
        ),
        file(
            "crates/sync/src/lib.rs",
            "fn f() {}\n#[cfg(test)]\nmod tests { use rusqlite::Error; }\n",
        ),
        file("crates/app/src/logs.rs", "// rusqlite:: is not used here\n"),
    ];
    let found = check(&rule("sql only in the store"), &files);
    assert_eq!(
        found
            .iter()
            .map(|v| (v.file.as_str(), v.line))
            .collect::<Vec<_>>(),
        [
            ("crates/app/src/window.rs", 2),
            ("crates/hub/src/figures.rs", 1)
        ]
    );
}

#[test]
fn the_hubs_connection_used_outside_its_store_is_found() {
    let files = [
        file(
            "crates/hub/src/figures.rs",
            "let q = store.conn.prepare(sql)?;\n",
        ),
        file(
            "crates/hub-store/src/store_queue.rs",
            "let q = self.conn.prepare(sql)?;\n",
        ),
        file("crates/hub/src/server.rs", "let c = client.connect(url);\n"),
    ];
    let found = check(
        &rule("the hub's connection only in its store modules"),
        &files,
    );
    assert_eq!(
        found.iter().map(|v| v.file.as_str()).collect::<Vec<_>>(),
        ["crates/hub/src/figures.rs"]
    );
}

#[test]
fn http_outside_sync_and_invoke_outside_ipc_are_found() {
    let files = [
        file(
            "crates/app/src/desk.rs",
            "let c = reqwest::Client::new();\n",
        ),
        file(
            "crates/app/src/logs.rs",
            "const F: &str = \"reqwest=warn\";\n",
        ),
        file("crates/sync/src/lib.rs", "use reqwest::StatusCode;\n"),
    ];
    let found = check(&rule("http only in crates/sync"), &files);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].file, "crates/app/src/desk.rs");

    let ui = [
        file(
            "ui/src/components/CaseScreen.svelte",
            "import { invoke } from '@tauri-apps/api/core';\n",
        ),
        file(
            "ui/src/ipc/index.ts",
            "return invoke('open_case', { id });\n",
        ),
    ];
    let found = check(&rule("invoke only in ui/src/ipc"), &ui);
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].file, "ui/src/components/CaseScreen.svelte");
}

#[test]
fn hand_made_cryptography_is_found() {
    let files = [
        // What page_crypto.rs did: SQLCipher's provider struct mirrored, AES by hand.
        file(
            "crates/store/src/page_crypto.rs",
            "#[repr(C)]\nstruct Provider { init: extern \"C\" fn() -> i32 }\n",
        ),
        file(
            "crates/store/src/page_crypto/fused.rs",
            "const SBOX: [u8; 256] = [0x63, 0x7c, 0x77, 0x7b, 0xf2];\n",
        ),
        file(
            "crates/intake/src/seal.rs",
            "let nonce = Nonce::from_slice(&n);\n",
        ),
        // The library's own construction, and a test's use, are fine.
        file(
            "crates/intake/src/seal.rs",
            "use aes_gcm::aead::stream::{NewStream, StreamBE32};\n#[cfg(test)]\nmod t { const H: u32 = 0x6a09e667; }\n",
        ),
    ];
    let found = check(&rule("cryptography only from vetted libraries"), &files);
    assert_eq!(
        found
            .iter()
            .map(|v| (v.file.as_str(), v.line))
            .collect::<Vec<_>>(),
        [
            ("crates/store/src/page_crypto.rs", 1),
            ("crates/store/src/page_crypto.rs", 2),
            ("crates/store/src/page_crypto/fused.rs", 1),
            ("crates/intake/src/seal.rs", 1),
        ]
    );
}

#[test]
fn reading_the_system_clock_outside_the_clock_is_found() {
    let files = [
        file(
            "crates/hub/src/office.rs",
            "let now = chrono::Utc::now();\n",
        ),
        file("crates/domain/src/clock.rs", "Utc::now() + self.offset\n"),
        file(
            "crates/hub-store/src/store_audit.rs",
            "fn f() {}\n#[cfg(test)]\nmod tests { fn t() { let now = Utc::now(); } }\n",
        ),
        file(
            "crates/app/src/queue.rs",
            "let day = Local::now().date_naive();\n",
        ),
        file("src-tauri/src/lib.rs", "let now = chrono::Utc::now();\n"),
        file(
            "crates/sync/src/pull.rs",
            "// not Utc::now(): the store's clock\n",
        ),
        file("tests/integration/queue.rs", "let now = Utc::now();\n"),
    ];
    let found = check(
        &rule("desk and hub read time only from their clock"),
        &files,
    );
    assert_eq!(
        found.iter().map(|v| v.file.as_str()).collect::<Vec<_>>(),
        [
            "crates/hub/src/office.rs",
            "crates/app/src/queue.rs",
            "src-tauri/src/lib.rs"
        ]
    );
}

#[test]
fn matching_an_error_by_its_text_is_found() {
    let files = [
        file(
            "crates/app/src/queue.rs",
            "SyncError::Hub { message, .. } if message.contains(\"no called ticket\") => 1,\n",
        ),
        file(
            "crates/hub-store/src/store_queue.rs",
            "fn f() {}\n#[cfg(test)]\nmod tests { fn t() { assert!(e.to_string().contains(\"x\")); } }\n",
        ),
    ];
    let found = check(&rule("no branching on an error's text"), &files);
    assert_eq!(
        found.iter().map(|v| v.file.as_str()).collect::<Vec<_>>(),
        ["crates/app/src/queue.rs"]
    );
}

#[test]
fn a_desk_lock_taken_outside_the_policy_is_found() {
    let files = [
        file(
            "crates/app/src/queue.rs",
            "let q = self.queue.lock().expect(\"lock\");\n",
        ),
        file("crates/app/src/desk.rs", "let q = self.sync.relock();\n"),
        file(
            "crates/app/src/hall.rs",
            "fn f() {}\n#[cfg(test)]\nmod tests { fn t() { m.lock().unwrap(); } }\n",
        ),
    ];
    let found = check(&rule("desk locks by the one policy"), &files);
    assert_eq!(
        found.iter().map(|v| v.file.as_str()).collect::<Vec<_>>(),
        ["crates/app/src/queue.rs"]
    );
}

#[test]
fn an_op_kind_spelled_outside_proto_is_found() {
    let kind = format!("\"{}\"", OpKind::HandOff.as_str());
    let files = [
        file(
            "crates/hub-store/src/store_sync.rs",
            &format!("match k {{ {kind} => 1 }}\n"),
        ),
        file(
            "tests/integration/sync.rs",
            &format!("assert_eq!(k, {kind});\n"),
        ),
        file("crates/proto/src/ops.rs", &format!("HandOff => {kind},\n")),
        file(
            "crates/hub-store/src/store_sync.rs",
            "kind: OpKind::HandOff.as_str()\n",
        ),
    ];
    let found = check(&rule("op kinds only in crates/proto"), &files);
    assert_eq!(
        found.iter().map(|v| v.file.as_str()).collect::<Vec<_>>(),
        [
            "crates/hub-store/src/store_sync.rs",
            "tests/integration/sync.rs"
        ]
    );
}

#[test]
fn the_ui_matching_an_error_by_its_text_is_found() {
    let files = [
        file(
            "ui/src/App.svelte",
            "    if (error !== null && error.includes('屏幕已锁定')) error = null;\n",
        ),
        file(
            "ui/src/App.svelte",
            "    if (isLockRefusal(errorLineCode)) setError(null);\n",
        ),
        file(
            "ui/tests/lock.test.ts",
            "expect(message.includes('x')).toBe(true);\n",
        ),
    ];
    let found = check(
        &rule("the UI branches on an error's code, never its text"),
        &files,
    );
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].line, 1);
}

#[test]
fn recovering_the_command_list_from_source_text_is_found() {
    let files = [
        file(
            "src-tauri/build.rs",
            "let start = lib.find(\"generate_handler![\").unwrap();\n",
        ),
        file(
            "tests/integration/windows.rs",
            "let n = lib.matches(\"#[tauri::command]\").count();\n",
        ),
        file(
            "src-tauri/src/lib.rs",
            "tauri::generate_handler![$($name),*]\n",
        ),
    ];
    let found = check(
        &rule("the command list comes from the command table"),
        &files,
    );
    assert_eq!(
        found.iter().map(|v| v.file.as_str()).collect::<Vec<_>>(),
        ["src-tauri/build.rs", "tests/integration/windows.rs"]
    );
}
