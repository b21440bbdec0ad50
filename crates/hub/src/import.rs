//! Reading import files: a catalog (.json or .xlsx) or a holiday calendar (.json).
//! Nothing is stored here; a file either reads whole or yields every problem found.

use std::collections::BTreeMap;
use std::path::Path;

use onewindow_domain::elicence::RegistryHolder;
use onewindow_domain::{Catalog, HolidayCalendar, ImportIssue, YearCalendar};

fn file_issue(path: &Path, reason: String) -> Vec<ImportIssue> {
    vec![ImportIssue {
        sheet: path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
        row: None,
        column: None,
        reason,
    }]
}

fn read(path: &Path) -> Result<Vec<u8>, Vec<ImportIssue>> {
    std::fs::read(path).map_err(|e| file_issue(path, format!("无法读取文件: {e}")))
}

fn utf8(path: &Path, bytes: Vec<u8>) -> Result<String, Vec<ImportIssue>> {
    String::from_utf8(bytes).map_err(|e| {
        file_issue(
            path,
            format!(
                "文件不是 UTF-8 编码（第 {} 字节）",
                e.utf8_error().valid_up_to()
            ),
        )
    })
}

/// Reads a catalog file by its extension.
pub fn read_catalog_file(path: &Path) -> Result<Catalog, Vec<ImportIssue>> {
    let ext = path
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "json" => Catalog::from_json_str(&utf8(path, read(path)?)?),
        "xlsx" => {
            let label = path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_else(|| "xlsx".into());
            crate::xlsx::read_catalog(read(path)?, &label)
        }
        _ => Err(file_issue(
            path,
            "不支持的文件类型：事项目录应为 .json 或 .xlsx".into(),
        )),
    }
}

pub fn read_calendar_file(path: &Path) -> Result<BTreeMap<i32, YearCalendar>, Vec<ImportIssue>> {
    HolidayCalendar::from_json_str(&utf8(path, read(path)?)?)
}

/// Reads an e-licence registry file; holder numbers are checked against today's date.
pub fn read_elicences_file(path: &Path) -> Result<Vec<RegistryHolder>, Vec<ImportIssue>> {
    onewindow_domain::elicence::parse_registry(
        &utf8(path, read(path)?)?,
        onewindow_domain::clock::Clock::system().today(),
    )
}

/// Reads a queue configuration file (domains, windows, tidal rules), checked whole.
pub fn read_queue_file(
    path: &Path,
) -> Result<onewindow_domain::queue::QueueConfig, Vec<ImportIssue>> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    onewindow_domain::queue::QueueConfig::parse(&utf8(path, read(path)?)?).map_err(|issues| {
        issues
            .into_iter()
            .map(|reason| ImportIssue {
                sheet: name.clone(),
                row: None,
                column: None,
                reason,
            })
            .collect()
    })
}
