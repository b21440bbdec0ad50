//! Sending a document to paper: CUPS `lp` on Linux (the default queue or a named one), or a
//! folder (training rooms, tests, a "print to PDF" share). A print that fails never undoes
//! what it documents: the PDF is archived with the case first and can be printed again.

use std::path::{Path, PathBuf};
use std::process::Command;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrintTarget {
    /// `lp`, to the default queue or the named one.
    Cups { destination: Option<String> },
    /// Copy the PDF into this folder.
    Folder(PathBuf),
}

impl PrintTarget {
    /// `cups`, `cups:QUEUE` or `folder:/path`.
    pub fn parse(s: &str) -> Result<PrintTarget, String> {
        let s = s.trim();
        match s.split_once(':') {
            None if s == "cups" => Ok(PrintTarget::Cups { destination: None }),
            Some(("cups", q)) if !q.is_empty() && !q.starts_with('-') => Ok(PrintTarget::Cups {
                destination: Some(q.to_string()),
            }),
            Some(("folder", dir)) if !dir.is_empty() => Ok(PrintTarget::Folder(PathBuf::from(dir))),
            _ => Err(format!(
                "printer must be cups, cups:QUEUE or folder:/path, got {s:?}"
            )),
        }
    }

    pub fn describe(&self) -> String {
        match self {
            PrintTarget::Cups { destination: None } => "系统默认打印机".into(),
            PrintTarget::Cups {
                destination: Some(q),
            } => format!("打印机 {q}"),
            PrintTarget::Folder(d) => format!("打印到文件夹 {}", d.display()),
        }
    }

    /// Prints the PDF `pdf` (archived as `file_name`) with `title` as the job name. `Ok` says
    /// where it went, `Err` why not (Chinese, for the clerk). The bytes go to `lp` on its
    /// standard input: the archive is sealed, and no plaintext copy is left on the disk.
    pub fn print(&self, pdf: &[u8], file_name: &str, title: &str) -> Result<String, String> {
        match self {
            PrintTarget::Folder(dir) => {
                let name = Path::new(file_name)
                    .file_name()
                    .ok_or_else(|| "文档文件名无效".to_string())?;
                std::fs::create_dir_all(dir)
                    .and_then(|()| std::fs::write(dir.join(name), pdf))
                    .map_err(|e| {
                        tracing::error!(dir = %dir.display(), error = %e, "print to folder failed");
                        format!(
                            "无法写入打印文件夹 {}（不存在、已满或没有写入权限）",
                            dir.display()
                        )
                    })?;
                Ok(format!("已输出到 {}", dir.join(name).display()))
            }
            PrintTarget::Cups { destination } => {
                let mut cmd = Command::new("lp");
                if let Some(q) = destination {
                    cmd.arg("-d").arg(q);
                }
                cmd.arg("-t").arg(title);
                let out = run_with_stdin(cmd, pdf).map_err(|e| {
                    tracing::error!(error = %e, "lp cannot be run");
                    if e.kind() == std::io::ErrorKind::NotFound {
                        "本机未安装打印服务（CUPS 的 lp 命令），文档已存档，可安装打印机后重新打印"
                            .to_string()
                    } else {
                        "无法启动打印命令 lp，文档已存档，可稍后重新打印".to_string()
                    }
                })?;
                if out.status.success() {
                    Ok(format!(
                        "已发送到{}",
                        destination
                            .as_deref()
                            .map_or("默认打印机".to_string(), |q| format!("打印机 {q}"))
                    ))
                } else {
                    let err = String::from_utf8_lossy(&out.stderr).trim().to_string();
                    tracing::error!(status = %out.status, stderr = %err, "lp failed");
                    Err(match destination {
                        Some(q) => format!(
                            "打印失败：打印机 {q} 不可用或不存在，文档已存档，可检查打印机后重新打印"
                        ),
                        None => {
                            "打印失败：本机没有可用的默认打印机，文档已存档，可设置打印机后重新打印"
                                .to_string()
                        }
                    })
                }
            }
        }
    }
}

/// Runs `cmd` with `input` on its standard input and collects its output.
fn run_with_stdin(mut cmd: Command, input: &[u8]) -> std::io::Result<std::process::Output> {
    use std::io::Write;
    use std::process::Stdio;
    let mut child = cmd
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?;
    let mut stdin = child.stdin.take().expect("piped stdin");
    std::thread::scope(|scope| {
        // From its own thread: the command may answer before it has read everything.
        scope.spawn(move || {
            let _ = stdin.write_all(input);
        });
        child.wait_with_output()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_parse_and_bad_ones_are_refused() {
        assert_eq!(
            PrintTarget::parse("cups").unwrap(),
            PrintTarget::Cups { destination: None }
        );
        assert_eq!(
            PrintTarget::parse("cups:HP_LaserJet").unwrap(),
            PrintTarget::Cups {
                destination: Some("HP_LaserJet".into())
            }
        );
        assert_eq!(
            PrintTarget::parse("folder:/tmp/x").unwrap(),
            PrintTarget::Folder("/tmp/x".into())
        );
        for bad in ["", "lpr", "cups:", "cups:-o", "folder:"] {
            assert!(PrintTarget::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn printing_to_a_folder_copies_the_pdf() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("printed");
        let msg = PrintTarget::Folder(out.clone())
            .print(b"%PDF-1.7 test", "W01/notice.pdf", "一次性告知书")
            .unwrap();
        assert!(msg.contains("printed"));
        assert_eq!(
            std::fs::read(out.join("notice.pdf")).unwrap(),
            b"%PDF-1.7 test"
        );
    }

    #[test]
    fn a_queue_that_does_not_exist_is_a_clear_error() {
        // With CUPS absent this is "not installed"; with CUPS present, an unknown queue.
        let err = PrintTarget::Cups {
            destination: Some("onewindow-no-such-queue".into()),
        }
        .print(b"%PDF-1.7 test", "notice.pdf", "x")
        .unwrap_err();
        assert!(err.contains("lp") || err.contains("打印失败"), "{err}");
    }
}
