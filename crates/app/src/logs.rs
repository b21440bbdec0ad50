//! Logging: a daily rolling file in the app's log folder plus stderr. Keep the returned guard
//! alive for the life of the process (it flushes the file writer on drop).

use std::path::Path;

pub use tracing_appender::non_blocking::WorkerGuard as Guard;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// Noisy dependencies turned down; `ONEWINDOW_LOG` overrides (EnvFilter syntax).
const DEFAULT_FILTER: &str =
    "info,hyper=warn,hyper_util=warn,reqwest=warn,tao=warn,wry=warn,tauri=warn";

pub fn init(log_dir: &Path) -> std::io::Result<Guard> {
    std::fs::create_dir_all(log_dir)?;
    let appender = tracing_appender::rolling::Builder::new()
        .rotation(tracing_appender::rolling::Rotation::DAILY)
        .filename_prefix("onewindow")
        .filename_suffix("log")
        .max_log_files(30)
        .build(log_dir)
        .map_err(std::io::Error::other)?;
    let (writer, guard) = tracing_appender::non_blocking(appender);
    let filter =
        EnvFilter::try_from_env("ONEWINDOW_LOG").unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
    let _ = tracing_subscriber::registry()
        .with(filter)
        .with(
            tracing_subscriber::fmt::layer()
                .with_ansi(false)
                .with_writer(std::io::stderr),
        )
        .with(
            tracing_subscriber::fmt::layer()
                .with_ansi(false)
                .with_writer(writer),
        )
        .try_init();
    Ok(guard)
}
