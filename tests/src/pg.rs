//! The hub's store in a test run: SQLite (hub.db) by default, PostgreSQL when
//! `ONEWINDOW_TEST_PG` names a cluster (`scripts/with-postgres.sh`; make test runs the
//! integration suite both ways). Every hub command the harness runs goes through
//! [`hub_command`], which points it at its data folder's database.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::hub_binary;

/// The PostgreSQL cluster this run puts the hub's store on (`ONEWINDOW_TEST_PG`: the admin URL
/// `scripts/pg-cluster.sh start` printed), or `None` for SQLite (`DATA/hub.db`).
pub fn test_pg() -> Option<String> {
    std::env::var("ONEWINDOW_TEST_PG")
        .ok()
        .filter(|u| !u.is_empty())
}

/// The database the hub with data folder `data` is on in this run: on PostgreSQL one database
/// of its own per data folder (made on first use), on SQLite `None` (its hub.db).
pub fn hub_database(data: &Path) -> Option<String> {
    use std::hash::{Hash, Hasher};
    static MADE: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());
    let admin = test_pg()?;
    if ON_SQLITE
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .iter()
        .any(|d| d == data)
    {
        return None;
    }
    // SipHash with fixed keys: the same folder names the same database in every process.
    let mut h = std::collections::hash_map::DefaultHasher::new();
    data.hash(&mut h);
    let name = format!("hub_{:016x}", h.finish());
    let mut made = MADE.lock().unwrap_or_else(|p| p.into_inner());
    if !made.contains(&name) {
        let out = Command::new("psql")
            .args([admin.as_str(), "-qtAc", &format!("CREATE DATABASE {name}")])
            .output()
            .expect("run psql (scripts/install-deps.sh test installs PostgreSQL)");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.success() || err.contains("already exists"),
            "CREATE DATABASE {name}: {err}"
        );
        made.push(name.clone());
    }
    let (server, _) = admin.rsplit_once('/').expect("postgres://…/DATABASE");
    Some(format!("{server}/{name}"))
}

static ON_SQLITE: std::sync::Mutex<Vec<PathBuf>> = std::sync::Mutex::new(Vec::new());

/// The hub at `data` stays on SQLite (hub.db) even in a PostgreSQL run: a test of the way from
/// one engine to the other.
pub fn keep_on_sqlite(data: &Path) {
    ON_SQLITE
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .push(data.to_path_buf());
}

/// `onewindow-hub` with the store of the hub at `data` (`--database` through the
/// environment on PostgreSQL).
pub fn hub_command(data: Option<&Path>) -> Command {
    let mut cmd = Command::new(hub_binary());
    cmd.env_remove("ONEWINDOW_HUB_DATABASE");
    if let Some(url) = data.and_then(hub_database) {
        cmd.env("ONEWINDOW_HUB_DATABASE", url);
    }
    cmd
}

/// [`hub_command`] for a subcommand's arguments (their `--data DIR`).
pub fn hub_command_for(args: &[&str]) -> Command {
    let data = args
        .iter()
        .position(|a| *a == "--data")
        .and_then(|i| args.get(i + 1))
        .map(PathBuf::from);
    hub_command(data.as_deref())
}

/// The hub's store at `data`, opened as its commands open it (hub.db, or its PostgreSQL
/// database in a PostgreSQL run).
pub fn hub_store(data: &Path) -> onewindow_hub_store::store::HubStore {
    onewindow_hub_store::store::HubStore::connect(data, None, hub_database(data).as_deref())
        .expect("the hub's store opens")
}

/// The store's database under the store (hub.db with its key, or PostgreSQL), for tests that
/// look inside or tamper around the hub, through the store's own engine-neutral connection.
pub fn hub_db(data: &Path) -> onewindow_hub_store::db::Conn {
    onewindow_hub_store::pool::raw_connection(data, hub_database(data).as_deref())
        .expect("the hub's database opens")
}
