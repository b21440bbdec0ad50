//! `onewindow-hub migrate-to`: a SQLite hub copied into PostgreSQL.

use std::path::Path;
use std::process::ExitCode;

pub(crate) fn migrate_to(data: &Path, key_file: Option<&Path>) -> ExitCode {
    let _guard = crate::cli::init_logging(data);
    let Some(url) = crate::cli::database() else {
        eprintln!(
            "migrate-to 需要目标数据库：--database postgres://用户:密码@主机:端口/库名（或环境变量 ONEWINDOW_HUB_DATABASE）"
        );
        return ExitCode::from(2);
    };
    let started = std::time::Instant::now();
    match onewindow_hub_store::migrate_to::migrate_to_postgres(data, key_file, url) {
        Ok(report) => {
            for (table, rows) in &report.tables {
                println!("  {table}: {rows}");
            }
            println!(
                "已迁移到 PostgreSQL：{} 张表，共 {} 条记录，逐条核对一致（{:.1} 秒）。今后启动请加 --database；hub.db 保持原样，可作备份。",
                report.tables.len(),
                report.rows(),
                started.elapsed().as_secs_f64()
            );
            tracing::info!(
                tables = report.tables.len(),
                rows = report.rows(),
                database = %onewindow_hub_store::pool::redact(url),
                "hub copied to PostgreSQL"
            );
            ExitCode::SUCCESS
        }
        Err(
            e @ (crate::store::HubStoreError::BadInput(_)
            | crate::store::HubStoreError::BadDatabaseUrl(_)),
        ) => {
            eprintln!("迁移未进行，目标数据库未做任何更改：{e}");
            tracing::warn!(error = %e, "migrate-to refused");
            ExitCode::from(2)
        }
        Err(e) => {
            eprintln!("迁移失败，目标数据库未做任何更改：{e}");
            tracing::error!(error = %e, "migrate-to failed");
            ExitCode::from(1)
        }
    }
}
