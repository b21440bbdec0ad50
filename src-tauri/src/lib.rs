//! The Tauri shell: windows, plugins and one-line commands into `onewindow_app`.
//! Nothing here decides anything; all behaviour lives in crates/app.
//!
//! Every command is `async` so that it runs on the async runtime, never on the main thread:
//! a command waiting on the store while a large pull is applied must not freeze the window.

use std::sync::Arc;

#[cfg(target_os = "linux")]
mod caret;
mod fatal;
mod window_place;

use std::path::PathBuf;

use onewindow_app::dto::{
    AppError, BundleRef, BundleView, CaseSummary, CaseView, DeskStatus, DocumentPreview,
    DomainView, ErrorCode, Flash, FollowUpView, ItemGuide, NewCaseRequest, QueueView,
    RejectedOpView, SaveIntakeRequest, SearchRequest, SearchResponse, WindowInfo,
};
use onewindow_app::dto::{ApplicantScreenView, HallBoardView, OfflineSignInEnding, RevealView};
use onewindow_app::instance::{self, Claim};
use onewindow_app::launch::LaunchOptions;
use onewindow_app::{Desk, logs};
use tauri::{Emitter, Manager, State};

type DeskState<'a> = State<'a, Arc<Desk>>;

/// Runs a desk service that does blocking work (SQLite, rendering, `lp`, `pdftoppm`, hashing
/// scans) on the blocking pool, so the async workers that run sync and the other commands
/// never wait behind it.
async fn blocking<T: Send + 'static>(
    desk: &DeskState<'_>,
    f: impl FnOnce(&Desk) -> Result<T, AppError> + Send + 'static,
) -> Result<T, AppError> {
    let desk = Arc::clone(desk.inner());
    tauri::async_runtime::spawn_blocking(move || f(&desk))
        .await
        .unwrap_or_else(|e| {
            tracing::error!(error = %e, "desk task failed");
            Err(AppError {
                code: ErrorCode::Internal,
                message: "内部错误，操作未完成，请重试；如仍失败请查看日志".into(),
            })
        })
}

/// The shell's side of the command table (`onewindow_commands::desk_commands!`): the
/// handler list, and a check, at compile time, that each handler takes the table's argument
/// types in its order and returns its result. A handler the table does not name is dead code
/// (the build refuses warnings); a command without a handler does not compile.
macro_rules! shell_commands {
    ($($(#[doc = $doc:literal])* $name:ident : $rule:ident [$($window:ident),*] ($($arg:ident : $ty:ty),*) -> $result:ty;)*) => {
        fn handlers() -> impl Fn(tauri::ipc::Invoke) -> bool + Send + Sync + 'static {
            tauri::generate_handler![$($name),*]
        }

        /// Type-checked, never called.
        #[allow(dead_code, unreachable_code, clippy::diverging_sub_expression)]
        async fn handlers_match_the_table() {
            $(let _: Result<$result, AppError> = handler_call!($name($($ty),*)).await;)*
        }
    };
}

/// A call of a handler with values of the table's argument types (never evaluated).
macro_rules! handler_call {
    // The file dialog needs the app handle, which Tauri passes first.
    (import_from_file($($ty:ty),*)) => {
        import_from_file(unreachable!(), unreachable!(), $(unreachable!() as $ty),*)
    };
    ($name:ident($($ty:ty),*)) => {
        $name(unreachable!(), $(unreachable!() as $ty),*)
    };
}

onewindow_commands::desk_commands!(shell_commands);

/// Every command passes the desk's access check (`Desk::guard`: who is signed in, whether the
/// screen is locked) before its handler runs; a refusal is the command's `AppError`.
fn guarded(
    handlers: impl Fn(tauri::ipc::Invoke) -> bool + Send + Sync + 'static,
) -> impl Fn(tauri::ipc::Invoke) -> bool + Send + Sync + 'static {
    move |invoke| {
        let webview = invoke.message.webview();
        let refused = webview
            .try_state::<Arc<Desk>>()
            .and_then(|desk| desk.guard(invoke.message.command()).err());
        if let Some(e) = refused {
            invoke.resolver.reject(e);
            return true;
        }
        handlers(invoke)
    }
}

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

#[tauri::command]
async fn window_info(desk: DeskState<'_>) -> Result<WindowInfo, AppError> {
    Ok(desk.window_info())
}

#[tauri::command]
async fn new_case(desk: DeskState<'_>, request: NewCaseRequest) -> Result<CaseView, AppError> {
    blocking(&desk, move |d| d.new_case(&request)).await
}

#[tauri::command]
async fn open_case(desk: DeskState<'_>, case_id: String) -> Result<CaseView, AppError> {
    blocking(&desk, move |d| d.open_case(&case_id)).await
}

#[tauri::command]
async fn poll_case(
    desk: DeskState<'_>,
    case_id: String,
    revision: u64,
) -> Result<Option<CaseView>, AppError> {
    blocking(&desk, move |d| d.poll_case(&case_id, revision)).await
}

#[tauri::command]
async fn recent_cases(desk: DeskState<'_>) -> Result<Vec<CaseSummary>, AppError> {
    blocking(&desk, |d| d.recent_cases()).await
}

#[tauri::command]
async fn save_intake(
    desk: DeskState<'_>,
    request: SaveIntakeRequest,
) -> Result<CaseView, AppError> {
    desk.save_intake(&request).await
}

#[tauri::command]
async fn apply_applicant_code(
    desk: DeskState<'_>,
    case_id: String,
    text: String,
) -> Result<CaseView, AppError> {
    desk.apply_applicant_code(&case_id, &text).await
}

#[tauri::command]
async fn read_id_card(desk: DeskState<'_>, case_id: String) -> Result<CaseView, AppError> {
    desk.read_id_card(&case_id).await
}

#[tauri::command]
async fn lookup_elicences(desk: DeskState<'_>, case_id: String) -> Result<CaseView, AppError> {
    desk.lookup_elicences(&case_id).await
}

#[tauri::command]
async fn set_scenario(
    desk: DeskState<'_>,
    case_id: String,
    scenario_code: String,
    member_case_id: Option<String>,
) -> Result<CaseView, AppError> {
    blocking(&desk, move |d| {
        d.set_scenario(&case_id, member_case_id.as_deref(), &scenario_code)
    })
    .await
}

#[tauri::command]
async fn select_slot(
    desk: DeskState<'_>,
    case_id: String,
    slot: Option<u32>,
) -> Result<CaseView, AppError> {
    blocking(&desk, move |d| d.select_slot(&case_id, slot)).await
}

#[tauri::command]
async fn move_file(
    desk: DeskState<'_>,
    case_id: String,
    sha256: String,
    slot: Option<u32>,
) -> Result<CaseView, AppError> {
    blocking(&desk, move |d| d.move_file(&case_id, &sha256, slot)).await
}

/// A waiting scan (待分配扫描件) into this case: only the clerk attaches one.
#[tauri::command]
async fn attach_waiting_scan(
    desk: DeskState<'_>,
    case_id: String,
    scan_id: i64,
    slot: Option<u32>,
) -> Result<CaseView, AppError> {
    blocking(&desk, move |d| {
        d.attach_waiting_scan(&case_id, scan_id, slot)
    })
    .await
}

#[tauri::command]
async fn dismiss_waiting_scan(
    desk: DeskState<'_>,
    case_id: String,
    scan_id: i64,
) -> Result<CaseView, AppError> {
    blocking(&desk, move |d| d.dismiss_waiting_scan(&case_id, scan_id)).await
}

/// A held scan the clerk will not take: moved aside within the hot folder.
#[tauri::command]
async fn set_aside_held_scan(
    desk: DeskState<'_>,
    case_id: String,
    name: String,
) -> Result<CaseView, AppError> {
    blocking(&desk, move |d| d.set_aside_held_scan(&case_id, &name)).await
}

/// "Import from file": the native file picker, then the intake pipeline.
#[tauri::command]
async fn import_from_file(
    app: tauri::AppHandle,
    desk: DeskState<'_>,
    case_id: String,
) -> Result<CaseView, AppError> {
    use tauri_plugin_dialog::DialogExt;
    blocking(&desk, move |d| {
        let picked = app
            .dialog()
            .file()
            .set_title("选择要导入的材料文件")
            .add_filter("扫描件（JPEG、PNG、PDF）", &["jpg", "jpeg", "png", "pdf"])
            .blocking_pick_files();
        let paths: Vec<PathBuf> = picked
            .unwrap_or_default()
            .into_iter()
            .filter_map(|p| p.into_path().ok())
            .collect();
        if paths.is_empty() {
            return d.open_case(&case_id);
        }
        d.import_files(&case_id, &paths)
    })
    .await
}

#[tauri::command]
async fn set_pledge(
    desk: DeskState<'_>,
    case_id: String,
    slot: u32,
    pledged: bool,
) -> Result<CaseView, AppError> {
    blocking(&desk, move |d| d.set_pledge(&case_id, slot, pledged)).await
}

#[tauri::command]
async fn set_override(
    desk: DeskState<'_>,
    case_id: String,
    finding_key: String,
    reason: Option<String>,
) -> Result<CaseView, AppError> {
    blocking(&desk, move |d| {
        d.set_override(&case_id, &finding_key, reason.as_deref())
    })
    .await
}

#[tauri::command]
async fn issue_notice(desk: DeskState<'_>, case_id: String) -> Result<CaseView, AppError> {
    blocking(&desk, move |d| d.issue_notice(&case_id)).await
}

#[tauri::command]
async fn reopen_case(desk: DeskState<'_>, case_id: String) -> Result<CaseView, AppError> {
    blocking(&desk, move |d| d.reopen_case(&case_id)).await
}

#[tauri::command]
async fn accept_case(desk: DeskState<'_>, case_id: String) -> Result<CaseView, AppError> {
    blocking(&desk, move |d| d.accept_case(&case_id)).await
}

#[tauri::command]
async fn refuse_case(
    desk: DeskState<'_>,
    case_id: String,
    reason: String,
    basis: String,
) -> Result<CaseView, AppError> {
    blocking(&desk, move |d| d.refuse_case(&case_id, &reason, &basis)).await
}

#[tauri::command]
async fn answer_refusal(
    desk: DeskState<'_>,
    case_id: String,
    confirm: bool,
    note: String,
) -> Result<CaseView, AppError> {
    blocking(&desk, move |d| d.answer_refusal(&case_id, confirm, &note)).await
}

#[tauri::command]
async fn answer_centre_refusal(
    desk: DeskState<'_>,
    number: String,
    confirm: bool,
    note: String,
) -> Result<DeskStatus, AppError> {
    desk.answer_centre_refusal(&number, confirm, &note).await
}

#[tauri::command]
async fn record_unresolved(
    desk: DeskState<'_>,
    case_id: String,
    who: String,
    contact: String,
    tried: String,
) -> Result<CaseView, AppError> {
    blocking(&desk, move |d| {
        d.record_unresolved(&case_id, &who, &contact, &tried)
    })
    .await
}

#[tauri::command]
async fn withdraw_case(
    desk: DeskState<'_>,
    case_id: String,
    reason: String,
) -> Result<CaseView, AppError> {
    blocking(&desk, move |d| d.withdraw_case(&case_id, &reason)).await
}

#[tauri::command]
async fn preview_document(
    desk: DeskState<'_>,
    document_id: i64,
) -> Result<DocumentPreview, AppError> {
    blocking(&desk, move |d| d.preview_document(document_id)).await
}

#[tauri::command]
async fn reprint_document(desk: DeskState<'_>, document_id: i64) -> Result<Flash, AppError> {
    blocking(&desk, move |d| d.reprint(document_id)).await
}

#[tauri::command]
async fn follow_ups(desk: DeskState<'_>, open_only: bool) -> Result<Vec<FollowUpView>, AppError> {
    blocking(&desk, move |d| d.follow_ups(open_only)).await
}

#[tauri::command]
async fn close_follow_up(
    desk: DeskState<'_>,
    id: i64,
    note: String,
) -> Result<Vec<FollowUpView>, AppError> {
    blocking(&desk, move |d| d.close_follow_up(id, &note)).await
}

#[tauri::command]
async fn deliver_case(
    desk: DeskState<'_>,
    case_id: String,
    by_post: bool,
    tracking: String,
) -> Result<CaseView, AppError> {
    blocking(&desk, move |d| d.deliver_case(&case_id, by_post, &tracking)).await
}

/// First run: the hub URL, the administrator's one-time code and an https hub's certificate
/// fingerprint; the token goes to the keyring and the fingerprint is pinned.
#[tauri::command]
async fn enrol_desk(
    desk: DeskState<'_>,
    hub_url: String,
    code: String,
    pin: String,
) -> Result<DeskStatus, AppError> {
    desk.enrol(&hub_url, &code, &pin).await
}

/// F10 with the provisioning sheet's QR code: everything the enrolment needs, scanned.
#[tauri::command]
async fn enrol_with_provision(desk: DeskState<'_>, text: String) -> Result<DeskStatus, AppError> {
    desk.enrol_with_provision(&text).await
}

#[tauri::command]
async fn login_user(
    desk: DeskState<'_>,
    name: String,
    password: String,
) -> Result<DeskStatus, AppError> {
    desk.login(&name, &password).await
}

#[tauri::command]
async fn offline_sign_ins_ending(
    desk: DeskState<'_>,
) -> Result<Vec<OfflineSignInEnding>, AppError> {
    desk.offline_sign_ins_ending()
}

#[tauri::command]
async fn logout_user(desk: DeskState<'_>) -> Result<DeskStatus, AppError> {
    Ok(desk.logout())
}

#[tauri::command]
async fn reset_stream(desk: DeskState<'_>, stream: String) -> Result<DeskStatus, AppError> {
    desk.reset_stream(&stream).await
}

/// The window's queue: where this desk sits, what it called, how many wait.
#[tauri::command]
async fn queue_status(desk: DeskState<'_>) -> Result<QueueView, AppError> {
    Ok(desk.queue_refresh().await)
}

/// 叫号 (F8): the next ticket, announced.
#[tauri::command]
async fn queue_call_next(desk: DeskState<'_>) -> Result<QueueView, AppError> {
    desk.queue_call_next().await
}

/// 重呼 / 到号 / 过号 on the current ticket.
#[tauri::command]
async fn queue_step(desk: DeskState<'_>, action: String) -> Result<QueueView, AppError> {
    desk.queue_step(&action).await
}

#[tauri::command]
async fn queue_transfer(
    desk: DeskState<'_>,
    to_window: Option<u32>,
    to_domain: Option<String>,
) -> Result<QueueView, AppError> {
    desk.queue_transfer(to_window, to_domain).await
}

/// The applicant-facing screen: the masked case, or the rating when invited.
#[tauri::command]
async fn applicant_screen(
    desk: DeskState<'_>,
) -> Result<onewindow_app::dto::ApplicantScreenView, AppError> {
    blocking(&desk, |d| Ok(d.applicant_screen())).await
}

/// The applicant rates the service (from their screen).
#[tauri::command]
async fn applicant_rate(
    desk: DeskState<'_>,
    level: u8,
    reasons: Vec<String>,
    comment: String,
) -> Result<onewindow_app::dto::ApplicantScreenView, AppError> {
    desk.applicant_rate(level, &reasons, &comment).await
}

/// 锁屏: the clerk steps away, or the window was idle for `idle_lock_minutes`.
#[tauri::command]
async fn lock_screen(desk: DeskState<'_>) -> Result<DeskStatus, AppError> {
    blocking(&desk, |d| Ok(d.lock_screen())).await
}

/// 查看完整信息: the applicant's numbers whole, with the clerk's reason (audited).
#[tauri::command]
async fn reveal_applicant(
    desk: DeskState<'_>,
    case_id: String,
    reason: String,
) -> Result<onewindow_app::dto::RevealView, AppError> {
    blocking(&desk, move |d| d.reveal_applicant(&case_id, &reason)).await
}

/// The hall display's board now (then it follows the `hall-board` events).
#[tauri::command]
async fn hall_board(desk: DeskState<'_>) -> Result<onewindow_app::dto::HallBoardView, AppError> {
    blocking(&desk, |d| Ok(d.hall_board())).await
}

/// The clerk invites the applicant to rate the service (F12).
#[tauri::command]
async fn invite_rating(desk: DeskState<'_>) -> Result<Flash, AppError> {
    blocking(&desk, |d| d.invite_rating()).await
}

/// 现场取号: a ticket of `domain` for someone already at the window, served at once.
#[tauri::command]
async fn queue_walk_in(desk: DeskState<'_>, domain: String) -> Result<QueueView, AppError> {
    desk.queue_walk_in(&domain).await
}

/// 暂停 / 恢复 the window.
#[tauri::command]
async fn queue_set_window(desk: DeskState<'_>, state: String) -> Result<QueueView, AppError> {
    desk.queue_set_window(&state).await
}

#[tauri::command]
async fn rejected_ops(desk: DeskState<'_>) -> Result<Vec<RejectedOpView>, AppError> {
    blocking(&desk, |d| d.rejected_ops()).await
}

#[tauri::command]
async fn resend_op(desk: DeskState<'_>, op_id: String) -> Result<Vec<RejectedOpView>, AppError> {
    blocking(&desk, move |d| d.resend_op(&op_id)).await
}

#[tauri::command]
async fn discard_op(
    desk: DeskState<'_>,
    op_id: String,
    reason: String,
) -> Result<Vec<RejectedOpView>, AppError> {
    blocking(&desk, move |d| d.discard_op(&op_id, &reason)).await
}

/// Keeps the log file writer alive for the life of the app.
struct LogGuard(#[allow(dead_code)] Option<logs::Guard>);

/// `--provision FILE --system`: this machine's apt follows the file's hub; then exit (0, or 1
/// with the reason on the terminal). No window, no data folder.
fn system(options: &LaunchOptions) -> ! {
    let provision = options
        .provision
        .clone()
        .expect("--system is checked to have one");
    let root = std::env::var_os("ONEWINDOW_SYSTEM_ROOT")
        .map_or_else(|| "/".into(), std::path::PathBuf::from);
    match tauri::async_runtime::block_on(onewindow_app::system_apt::configure(&provision, &root)) {
        Ok(said) => {
            print!("{said}");
            std::process::exit(0)
        }
        Err(e) => {
            eprintln!("onewindow-desk: {e}");
            std::process::exit(1)
        }
    }
}

pub fn run() {
    let options = match LaunchOptions::parse(std::env::args().skip(1), |k| std::env::var(k).ok()) {
        Ok(o) => o,
        Err(e) => fatal::exit(&e, 2),
    };
    let release = onewindow_app::release::init();
    if options.system {
        system(&options);
    }
    tauri::Builder::default()
        .plugin(tauri_plugin_dialog::init())
        .setup(move |app| {
            let default_data = app.path().app_data_dir()?;
            // One desk process per data folder: a second launch raises the first and leaves,
            // before it reads or writes anything of the folder (settings.json included).
            let data_dir = options
                .data_dir
                .clone()
                .unwrap_or_else(|| default_data.clone());
            let instance = match instance::claim(&data_dir) {
                Ok(Claim::First(i)) => i,
                Ok(Claim::Running { raised: true }) => {
                    eprintln!(
                        "onewindow-desk: 一窗已在运行（{}），已切换到其窗口",
                        data_dir.display()
                    );
                    std::process::exit(0);
                }
                Ok(Claim::Running { raised: false }) => fatal::exit(
                    &format!(
                        "一窗已在运行（{}），但其窗口没有应答；请稍候再试，或重新登录电脑",
                        data_dir.display()
                    ),
                    3,
                ),
                Err(e) => fatal::exit(&format!("无法使用数据目录 {}：{e}", data_dir.display()), 1),
            };
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
                release = %release,
                data = %config.data_dir.display(),
                hub = %config.hub_url,
                "desk starting"
            );
            if let Some(main) = app.get_webview_window("main") {
                #[cfg(target_os = "linux")]
                caret::install(&main);
                window_place::restore(&main, &config.data_dir);
                instance.listen(move || {
                    let _ = main.unminimize();
                    let _ = main.show();
                    let _ = main.set_focus();
                });
            }
            app.manage(instance);
            app.manage(window_place::PlaceKeeper::new(config.data_dir.clone()));
            let hall_monitor = config.hall_display;
            let desk = Desk::open(config);
            tauri::async_runtime::spawn(desk.clone().run_sync_loop());
            tauri::async_runtime::spawn(desk.clone().run_results_loop());
            if let Some(file) = options.provision.clone() {
                tauri::async_runtime::spawn(desk.clone().provision_from_file(file));
            }
            // The status bar follows `desk-status` events, sent only when the status changed.
            let handle = app.handle().clone();
            tauri::async_runtime::spawn(desk.clone().run_status_feed(move |status| {
                if let Err(e) = handle.emit_to("main", "desk-status", status) {
                    tracing::warn!(error = %e, "desk status not sent to the main window");
                }
            }));
            // The case screen refetches on `case-revision` events, sent when the window changed.
            let handle = app.handle().clone();
            tauri::async_runtime::spawn(desk.clone().run_revision_feed(move |revision| {
                if let Err(e) = handle.emit_to("main", "case-revision", revision) {
                    tracing::warn!(error = %e, "case revision not sent to the main window");
                }
            }));
            desk.start_intake();
            let desk_for_windows = desk.clone();
            app.manage(desk);
            if applicant_screen_wanted() {
                open_applicant_screen(app, desk_for_windows.clone());
            }
            if let Some(monitor) = hall_monitor {
                open_hall_display(app, monitor, desk_for_windows);
            }
            Ok(())
        })
        .invoke_handler(guarded(handlers()))
        .on_window_event(|window, event| {
            if let Some(keeper) = window.try_state::<window_place::PlaceKeeper>() {
                keeper.on_event(window, event);
            }
        })
        .build(tauri::generate_context!())
        .unwrap_or_else(|e| {
            tracing::error!(error = %e, "tauri failed");
            eprintln!("onewindow-desk: {e}");
            std::process::exit(1);
        })
        .run(|app, event| {
            // The windows are gone: stop the hot-folder thread and close the cache in order
            // before the process exits.
            if let tauri::RunEvent::Exit = event
                && let Some(desk) = app.try_state::<Arc<Desk>>()
            {
                desk.shutdown();
                tracing::info!("desk stopped");
            }
        });
}

/// The applicant-facing screen opens when `ONEWINDOW_APPLICANT_SCREEN=1` (a counter with a
/// second monitor turned to the applicant).
fn applicant_screen_wanted() -> bool {
    std::env::var("ONEWINDOW_APPLICANT_SCREEN").is_ok_and(|v| v == "1")
}

/// Opens the applicant's window: fullscreen on the second monitor when there is one.
fn open_applicant_screen(app: &mut tauri::App, desk: Arc<Desk>) {
    let built = tauri::WebviewWindowBuilder::new(
        app,
        "applicant",
        tauri::WebviewUrl::App("index.html#applicant".into()),
    )
    .title("一窗 · 办事人确认与评价")
    .inner_size(1024.0, 768.0)
    .build();
    match built {
        Ok(w) => {
            let monitors = w.available_monitors().unwrap_or_default();
            if let Some(second) = monitors.get(1) {
                let _ = w.set_position(*second.position());
                let _ = w.set_fullscreen(true);
            }
            tracing::info!(monitors = monitors.len(), "applicant screen opened");
            // The screen follows `applicant-screen` events, sent only when its view changed.
            let handle = app.handle().clone();
            tauri::async_runtime::spawn(desk.run_applicant_screen_feed(move |view| {
                if let Err(e) = handle.emit_to("applicant", "applicant-screen", view) {
                    tracing::warn!(error = %e, "applicant screen view not sent to its window");
                }
            }));
        }
        Err(e) => tracing::error!(error = %e, "applicant screen cannot be opened"),
    }
}

/// Opens the hall display (叫号屏) fullscreen on `monitor` (1 = the first; the last one when
/// there are fewer), and follows the hub's board for it.
fn open_hall_display(app: &mut tauri::App, monitor: u32, desk: Arc<Desk>) {
    let built = tauri::WebviewWindowBuilder::new(
        app,
        "hall",
        tauri::WebviewUrl::App("index.html#hall".into()),
    )
    .title("一窗 · 叫号屏")
    .inner_size(1280.0, 720.0)
    .build();
    let window = match built {
        Ok(w) => w,
        Err(e) => {
            tracing::error!(error = %e, "hall display cannot be opened");
            return;
        }
    };
    let monitors = window.available_monitors().unwrap_or_default();
    let chosen = monitors
        .get(monitor as usize - 1)
        .or(monitors.last())
        .cloned();
    if let Some(m) = chosen {
        let _ = window.set_position(*m.position());
        let _ = window.set_fullscreen(true);
    }
    tracing::info!(monitor, monitors = monitors.len(), "hall display opened");
    let handle = app.handle().clone();
    tauri::async_runtime::spawn(desk.run_hall_feed(move |view| {
        if let Err(e) = handle.emit_to("hall", "hall-board", view) {
            tracing::warn!(error = %e, "hall board not sent to its window");
        }
    }));
}
