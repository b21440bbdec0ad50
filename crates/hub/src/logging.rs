//! The hub's log: to stderr and to daily files under `DATA/logs`, as text or as JSON lines,
//! kept for a number of days.

use std::path::Path;

use tracing_subscriber::EnvFilter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// How the hub writes its log lines (`serve --log-format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// One plain line per event.
    Text,
    /// One JSON object per line; the fields of the request it belongs to (`request_id`) in it.
    Json,
}

/// Days of log files kept under `DATA/logs` unless `serve --log-days` says otherwise.
pub const DEFAULT_LOG_DAYS: usize = 30;

/// An administrative command's log: to stderr and, as text, to `DATA/logs/admin.log.DATE`
/// (a file of its own: `serve` may write JSON to its own, and prunes only its own; a day's
/// commands are few). The guard flushes the file on drop.
pub(crate) fn init_logging(data: &Path) -> Option<tracing_appender::non_blocking::WorkerGuard> {
    init_logging_to(data, "admin.log", LogFormat::Text, None)
}

/// `serve`'s log: `DATA/logs/hub.log.DATE` in `format`, keeping `days` daily files (older ones
/// are removed at start and at each day's new file).
pub(crate) fn init_logging_as(
    data: &Path,
    format: LogFormat,
    days: usize,
) -> Option<tracing_appender::non_blocking::WorkerGuard> {
    init_logging_to(data, "hub.log", format, Some(days))
}

fn init_logging_to(
    data: &Path,
    prefix: &str,
    format: LogFormat,
    days: Option<usize>,
) -> Option<tracing_appender::non_blocking::WorkerGuard> {
    let filter = EnvFilter::try_from_env("ONEWINDOW_LOG")
        .unwrap_or_else(|_| EnvFilter::new("info,hyper=warn,tower=warn"));
    let json = format == LogFormat::Json;
    let file = std::fs::create_dir_all(data.join("logs"))
        .ok()
        .and_then(|()| {
            let builder = tracing_appender::rolling::Builder::new()
                .rotation(tracing_appender::rolling::Rotation::DAILY)
                .filename_prefix(prefix);
            match days {
                Some(days) => builder.max_log_files(days.max(1)),
                None => builder,
            }
            .build(data.join("logs"))
            .map_err(|e| eprintln!("无法写入日志目录：{e}"))
            .ok()
        })
        .map(tracing_appender::non_blocking);
    let (writer, guard) = match file {
        Some((w, g)) => (Some(w), Some(g)),
        None => (None, None),
    };
    // No colours anywhere: fmt layers share formatted span fields, and escapes would reach the
    // file. JSON lines carry the current span's fields (the request's id) flattened in `span`.
    let text_stderr = (!json).then(|| {
        tracing_subscriber::fmt::layer()
            .with_ansi(false)
            .with_writer(std::io::stderr)
    });
    let json_stderr = json.then(|| {
        tracing_subscriber::fmt::layer()
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .with_writer(std::io::stderr)
    });
    let text_file = writer.clone().filter(|_| !json).map(|w| {
        tracing_subscriber::fmt::layer()
            .with_ansi(false)
            .with_writer(w)
    });
    let json_file = writer.filter(|_| json).map(|w| {
        tracing_subscriber::fmt::layer()
            .json()
            .with_current_span(true)
            .with_span_list(false)
            .with_writer(w)
    });
    let _ = tracing_subscriber::registry()
        .with(filter)
        .with(text_stderr)
        .with(json_stderr)
        .with(text_file)
        .with(json_file)
        .try_init();
    guard
}
