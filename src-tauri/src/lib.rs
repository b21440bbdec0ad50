//! The Tauri shell: windows, plugins and one-line commands into `onewindow_app`.
//! Nothing here decides anything; all behaviour lives in crates/app.
//!
//! Every command is `async` so that it runs on the async runtime, never on the main thread:
//! a command waiting on the store while a large pull is applied must not freeze the window.

use std::sync::Arc;

use onewindow_app::dto::{
    AppError, BundleRef, BundleView, DeskStatus, DomainView, ItemGuide, SearchRequest,
    SearchResponse,
};
use onewindow_app::launch::LaunchOptions;
use onewindow_app::{Desk, logs};
use tauri::{Manager, State};

type DeskState<'a> = State<'a, Arc<Desk>>;

#[tauri::command]
async fn desk_status(desk: DeskState<'_>) -> Result<DeskStatus, AppError> {
    Ok(desk.status())
}

#[tauri::command]
async fn search_items(
    desk: DeskState<'_>,
    request: SearchRequest,
) -> Result<SearchResponse, AppError> {
    desk.search(&request)
}

#[tauri::command]
async fn list_domains(desk: DeskState<'_>) -> Result<Vec<DomainView>, AppError> {
    desk.list_domains()
}

#[tauri::command]
async fn list_bundles(desk: DeskState<'_>) -> Result<Vec<BundleRef>, AppError> {
    desk.list_bundles()
}

#[tauri::command]
async fn item_guide(desk: DeskState<'_>, code: String) -> Result<ItemGuide, AppError> {
    desk.item_guide(&code)
}

#[tauri::command]
async fn bundle_view(desk: DeskState<'_>, code: String) -> Result<BundleView, AppError> {
    desk.bundle_view(&code)
}

#[tauri::command]
async fn sync_now(desk: DeskState<'_>) -> Result<DeskStatus, AppError> {
    Ok(desk.sync_now().await)
}

#[tauri::command]
async fn rebuild_cache(desk: DeskState<'_>) -> Result<DeskStatus, AppError> {
    desk.rebuild_cache().await
}

#[tauri::command]
async fn ui_ready(desk: DeskState<'_>) -> Result<(), AppError> {
    desk.ui_ready();
    Ok(())
}

/// Keeps the log file writer alive for the life of the app.
struct LogGuard(#[allow(dead_code)] Option<logs::Guard>);

pub fn run() {
    let options = match LaunchOptions::parse(std::env::args().skip(1), |k| std::env::var(k).ok()) {
        Ok(o) => o,
        Err(e) => {
            eprintln!("onewindow-desk: {e}");
            std::process::exit(2);
        }
    };
    tauri::Builder::default()
        .setup(move |app| {
            let default_data = app.path().app_data_dir()?;
            let config = options.clone().resolve(&default_data);
            let log_dir = if options.data_dir.is_some() {
                config.data_dir.join("logs")
            } else {
                app.path().app_log_dir()?
            };
            let guard = match logs::init(&log_dir) {
                Ok(g) => Some(g),
                Err(e) => {
                    eprintln!("onewindow-desk: cannot log to {}: {e}", log_dir.display());
                    None
                }
            };
            app.manage(LogGuard(guard));
            tracing::info!(
                version = env!("CARGO_PKG_VERSION"),
                data = %config.data_dir.display(),
                hub = %config.hub_url,
                "desk starting"
            );
            let desk = Desk::open(config);
            tauri::async_runtime::spawn(desk.clone().run_sync_loop());
            app.manage(desk);
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            desk_status,
            search_items,
            list_domains,
            list_bundles,
            item_guide,
            bundle_view,
            sync_now,
            rebuild_cache,
            ui_ready,
        ])
        .run(tauri::generate_context!())
        .unwrap_or_else(|e| {
            tracing::error!(error = %e, "tauri failed");
            eprintln!("onewindow-desk: {e}");
            std::process::exit(1);
        });
}
