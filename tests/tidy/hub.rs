//! The hub's pages: built only through templates, no inline script (the Content-Security-Policy
//! refuses it), and every form that posts carries the CSRF field `web::guard` checks.

use std::path::Path;

use crate::{check, file, rule, source_files};

/// Hub forms that POST without the CSRF field on one of their next two lines.
fn forms_without_csrf(files: &[(String, String)]) -> Vec<String> {
    let mut out = Vec::new();
    for (path, text) in files {
        if !(path.starts_with("crates/hub/src/") && path.ends_with(".rs")) {
            continue;
        }
        let lines: Vec<&str> = text.lines().collect();
        for (i, line) in lines.iter().enumerate() {
            if line.trim() == "#[cfg(test)]" {
                break;
            }
            if line.contains("form method=\"post\"")
                && !lines[i..(i + 3).min(lines.len())]
                    .iter()
                    .any(|l| l.contains("csrf_field()"))
            {
                out.push(format!("{path}:{}", i + 1));
            }
        }
    }
    out
}

#[test]
fn every_hub_form_that_posts_carries_the_csrf_field() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let missing = forms_without_csrf(&source_files(&root));
    assert!(
        missing.is_empty(),
        "add (crate::pages::csrf_field()) inside these forms (web::guard refuses them): {missing:?}"
    );
}

#[test]
fn a_form_without_the_csrf_field_and_an_inline_handler_are_found() {
    let files = [
        file(
            "crates/hub/src/office.rs",
            "form method=\"post\" action=\"/office/x\" {\n    input name=\"a\";\n}\n",
        ),
        file(
            "crates/hub/src/hall.rs",
            "form method=\"post\" action=\"/kiosk\" {\n    (crate::pages::csrf_field())\n}\n",
        ),
    ];
    assert_eq!(forms_without_csrf(&files), ["crates/hub/src/office.rs:1"]);
    let files = [
        file(
            "crates/hub/src/hall.rs",
            "button onclick=\"window.print()\" {}\n",
        ),
        file("crates/hub/src/tidal.rs", "script { (PreEscaped(S)) }\n"),
        file(
            "crates/hub/src/pages.rs",
            "script src=\"/assets/a.js\" {}\n",
        ),
    ];
    let found = check(&rule("hub pages run no inline script"), &files);
    assert_eq!(
        found.iter().map(|v| v.file.as_str()).collect::<Vec<_>>(),
        ["crates/hub/src/hall.rs", "crates/hub/src/tidal.rs"]
    );
}

#[test]
fn html_built_by_hand_in_the_hub_is_found() {
    let files = [
        file(
            "crates/hub/src/office.rs",
            "let row = format!(r#\"<tr><td>{}</td></tr>\"#, esc(&name));\n",
        ),
        file(
            "crates/hub/src/hall.rs",
            "fn esc(s: &str) -> String { s.into() }\n",
        ),
        file(
            "crates/hub/src/tidal.rs",
            "html! { p { (PreEscaped(format!(\"{x}\"))) } }\n",
        ),
        file(
            "crates/hub/src/ratings.rs",
            "html! { tr { td { (r.at) } } script { (PreEscaped(SCRIPT)) } }\n",
        ),
        file(
            "crates/hub/src/pages.rs",
            "fn f() {}\n#[cfg(test)]\nmod tests { fn t() { assert!(page.contains(\"<p>\")); } }\n",
        ),
        file(
            "crates/app/src/print.rs",
            "let page = format!(\"<html>{body}\");\n",
        ),
    ];
    let found = check(&rule("hub pages only through templates"), &files);
    assert_eq!(
        found.iter().map(|v| v.file.as_str()).collect::<Vec<_>>(),
        [
            "crates/hub/src/office.rs",
            "crates/hub/src/hall.rs",
            "crates/hub/src/tidal.rs"
        ]
    );
}

/// The tables each centre has its own rows in: a statement on them names the centre, or
/// reaches one row by its own key (a ticket's id, an appointment's code, an event's id).
const PER_CENTRE_TABLES: &[&str] = &[
    "queue_ticket",
    "queue_event",
    "queue_window_state",
    "queue_config_change",
    "appointment",
];

/// SQL string literals in hub store code that touch a per-centre table without naming the
/// centre or a row's own key.
fn queue_sql_without_centre(files: &[(String, String)]) -> Vec<String> {
    let mut out = Vec::new();
    for (path, text) in files {
        if !(path.starts_with("crates/hub-store/src/") && path.ends_with(".rs")) {
            continue;
        }
        let text = text.split("#[cfg(test)]").next().unwrap_or("");
        // Each string literal: from a quote to the next unescaped quote.
        let mut rest = text;
        let mut line = 1;
        while let Some(start) = rest.find('"') {
            line += rest[..start].matches('\n').count();
            let body = &rest[start + 1..];
            let Some(end) = body.find('"') else { break };
            let sql = &body[..end];
            let touches = PER_CENTRE_TABLES.iter().any(|t| {
                ["FROM ", "JOIN ", "UPDATE ", "INSERT INTO "]
                    .iter()
                    .any(|verb| sql.contains(&format!("{verb}{t}")))
            });
            let keyed = [
                "WHERE id = ",
                "WHERE code = ",
                "WHERE e.id",
                "t.id = e.ticket_id",
            ]
            .iter()
            .any(|k| sql.contains(k))
                && !sql.contains("max(")
                && !sql.contains("count(");
            if touches && !sql.contains("centre") && !keyed {
                out.push(format!("{path}:{line}"));
            }
            line += sql.matches('\n').count();
            rest = &body[end + 1..];
        }
    }
    out
}

#[test]
fn queue_sql_in_the_hub_names_the_centre() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let found = queue_sql_without_centre(&source_files(&root));
    assert!(
        found.is_empty(),
        "each centre has its own queue: these statements must name the centre (or reach one row by its id): {found:?}"
    );
}

#[test]
fn queue_sql_that_forgets_the_centre_is_found() {
    let files = [
        file(
            "crates/hub-store/src/store_queue.rs",
            "let a = \"SELECT count(*) FROM queue_ticket WHERE day = ?1\";\n\
             let b = \"SELECT id FROM queue_ticket WHERE centre = ?2 AND day = ?1\";\n\
             let c = \"UPDATE queue_ticket SET state = 'done' WHERE id = ?1\";\n\
             let d = \"SELECT count(*) FROM queue_ticket WHERE id = ?1 OR day = ?2\";\n",
        ),
        file(
            "crates/hub-store/src/store_figures.rs",
            "#[cfg(test)]\nlet t = \"SELECT 1 FROM queue_event\";\n",
        ),
    ];
    assert_eq!(
        queue_sql_without_centre(&files),
        [
            "crates/hub-store/src/store_queue.rs:1",
            "crates/hub-store/src/store_queue.rs:4"
        ]
    );
}

/// The dependencies a crate's Cargo.toml declares among `names`.
fn declared<'a>(manifest: &str, names: &[&'a str]) -> Vec<&'a str> {
    let deps = manifest
        .split("\n[")
        .filter(|section| section.starts_with("dependencies]"))
        .collect::<String>();
    names
        .iter()
        .copied()
        .filter(|n| {
            deps.lines()
                .any(|l| l.split(['=', '.', ' ']).next() == Some(*n))
        })
        .collect()
}

/// The hub's store is its own crate: the hub reaches SQL only through it, and the store knows
/// nothing of HTTP (so a second engine or a replica changes one crate).
#[test]
fn the_hub_has_no_database_driver_and_its_store_no_web_framework() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let hub = std::fs::read_to_string(root.join("crates/hub/Cargo.toml")).unwrap();
    let store = std::fs::read_to_string(root.join("crates/hub-store/Cargo.toml")).unwrap();
    assert_eq!(
        declared(
            &hub,
            &[
                "rusqlite",
                "sqlx",
                "tokio-postgres",
                "postgres",
                "deadpool-postgres"
            ]
        ),
        Vec::<&str>::new()
    );
    assert_eq!(
        declared(&store, &["axum", "tauri", "maud"]),
        Vec::<&str>::new()
    );
}

#[test]
fn a_declared_dependency_is_found() {
    let manifest = "[package]\nname = \"x\"\n\n[dependencies]\nrusqlite.workspace = true\n\
                    axum = { workspace = true }\n\n[dev-dependencies]\nsqlx = \"0.8\"\n";
    assert_eq!(
        declared(manifest, &["rusqlite", "axum", "sqlx", "maud"]),
        ["rusqlite", "axum"]
    );
}

#[test]
fn sqlite_only_sql_in_the_hubs_store_is_found_outside_its_db_module() {
    let files = [
        file(
            "crates/hub-store/src/store_queue.rs",
            "fn f() {\n    \"INSERT OR IGNORE INTO t VALUES (?1)\";\n}\n",
        ),
        file(
            "crates/hub-store/src/store_figures.rs",
            "let sql = \"SELECT avg(julianday(done_at))\";\n",
        ),
        file(
            "crates/hub-store/src/db/mod.rs",
            "format!(\"((julianday({to}) - julianday({from})) * 1440)\")\n",
        ),
        file(
            "crates/hub-store/src/store_desk.rs",
            "\"INSERT INTO t VALUES (?1) ON CONFLICT DO NOTHING\"\n",
        ),
    ];
    let found = check(
        &rule("the hub's SQL in the dialect both engines share"),
        &files,
    );
    assert_eq!(
        found.iter().map(|v| v.file.as_str()).collect::<Vec<_>>(),
        [
            "crates/hub-store/src/store_queue.rs",
            "crates/hub-store/src/store_figures.rs"
        ]
    );
}

/// What a hub process may keep between requests: each entry is per process by nature (a
/// connection pool, a cache keyed by what the database says, who waits on this process, its
/// clock and settings). Everything else the county shares lives in the database or the blob
/// folder, so a desk may reach any of several hub processes from one request to the next.
const PER_PROCESS: &[&str] = &[
    "store",           // the pool (or SQLite's one connection)
    "blobs",           // the blob folder (shared: `serve --blobs`)
    "notices",         // requests waiting on this process; news from the others via the database
    "metrics",         // this process's counters; Prometheus sums the processes
    "stopping",        // this process is shutting down
    "board",           // change ticks for this process's display streams
    "boards",          // boards built once per change for this process's display streams
    "clock",           // the hub's clock (`serve --now`)
    "web",             // how browsers reach this process
    "password_checks", // Argon2 checks running at once on this machine's cores
    "epoch",           // the database's epoch, read at start: a restore stops every process
    "data_dir",        // this process's data folder (the APT repository it serves)
    "compat", // hub.toml's protocol and min_desk_release: each process its own while upgraded
];

/// Fields of `HubState` not known to be per process, and process-wide mutable statics in the
/// hub and its store (`file:line`).
fn process_state(files: &[(String, String)]) -> Vec<String> {
    let statics = regex_lite::Regex::new(
        r"^\s*(pub(\([a-z]+\))?\s+)?static\s+[A-Z_0-9]+\s*:[^=]*(Mutex|RwLock|Atomic|RefCell|Cell<)",
    )
    .unwrap();
    let mut out = Vec::new();
    for (path, text) in files {
        let hub = path.starts_with("crates/hub/src/") || path.starts_with("crates/hub-store/src/");
        if !hub || !path.ends_with(".rs") {
            continue;
        }
        let mut in_state = false;
        for (i, line) in text.lines().enumerate() {
            if line.trim() == "#[cfg(test)]" {
                break;
            }
            if statics.is_match(line) {
                out.push(format!("{path}:{} static", i + 1));
            }
            if line.starts_with("pub struct HubState {") {
                in_state = true;
                continue;
            }
            if in_state {
                if line.starts_with('}') {
                    in_state = false;
                    continue;
                }
                let field = line
                    .trim()
                    .trim_start_matches("pub(crate) ")
                    .trim_start_matches("pub ");
                if let Some((name, _)) = field.split_once(':')
                    && !name.starts_with("//")
                    && !PER_PROCESS.contains(&name.trim())
                {
                    out.push(format!("{path}:{} HubState.{}", i + 1, name.trim()));
                }
            }
        }
    }
    out
}

#[test]
fn the_hub_keeps_only_per_process_state_between_requests() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let found = process_state(&source_files(&root));
    assert!(
        found.is_empty(),
        "state shared by the county's hub processes belongs in the database or the blob folder; \
         a field that is per process by nature joins PER_PROCESS with its reason: {found:?}"
    );
}

#[test]
fn state_kept_in_a_hub_process_is_found() {
    let files = [
        file(
            "crates/hub/src/state.rs",
            "pub struct HubState {\n    pub(crate) store: Arc<StorePool>,\n    /// Blobs being written.\n    pub(crate) uploading: Arc<Mutex<HashSet<String>>>,\n}\n",
        ),
        file(
            "crates/hub-store/src/store_guard.rs",
            "static ATTEMPTS: Mutex<Vec<u32>> = Mutex::new(Vec::new());\nstatic NAME: &str = \"x\";\n",
        ),
        file(
            "crates/hub/src/cli.rs",
            "static DATABASE: std::sync::OnceLock<Option<String>> = std::sync::OnceLock::new();\n",
        ),
    ];
    assert_eq!(
        process_state(&files),
        [
            "crates/hub/src/state.rs:4 HubState.uploading",
            "crates/hub-store/src/store_guard.rs:1 static"
        ]
    );
}
