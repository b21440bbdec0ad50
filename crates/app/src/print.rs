//! Sending a document to paper: CUPS `lp` on Linux (the default queue or a named one), or a
//! folder (training rooms, tests, a "print to PDF" share). A print that fails never undoes
//! what it documents: the PDF is archived with the case first and can be printed again.
//!
//! On Windows (behind `cfg(windows)`, untested: no Windows machine here) the system printer is
//! the Windows one, through the SumatraPDF that ships beside the desk's executable; the command
//! line is made by `windows_print_command`, which is tested everywhere.
//!
//! Why SumatraPDF: Windows has no command that prints a PDF. `Start-Process -Verb Print` hands
//! the file to whatever program is registered for PDFs (often none on a fresh counter PC, or
//! one that opens a window and stays), and printing the PDF ourselves would mean rendering it
//! to GDI. SumatraPDF is one portable executable (GPLv3, shipped unmodified as a separate
//! program with its licence) that prints a file on a named or the default printer without a
//! window (`-print-to PRINTER` / `-print-to-default`, `-silent`), takes the number of copies in
//! `-print-settings Nx`, and exits when it has printed, with a non-zero exit code when it
//! failed (its documentation says to check the exit code).

use std::ffi::OsStr;
#[cfg(any(windows, test))]
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PrintTarget {
    /// `lp`, to the default queue or the named one. On Windows: the default Windows printer or
    /// the one of that name, through SumatraPDF.
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
    /// standard input: the archive is sealed, and no plaintext copy is left on the disk. On
    /// Windows SumatraPDF needs a file: a copy in a folder of its own under the user's
    /// temporary folder, removed as soon as SumatraPDF has exited.
    pub fn print(&self, pdf: &[u8], file_name: &str, title: &str) -> Result<String, String> {
        match self {
            PrintTarget::Folder(dir) => {
                let name = base_name(file_name)?;
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
            #[cfg(not(windows))]
            PrintTarget::Cups { destination } => print_cups(destination.as_deref(), pdf, title),
            #[cfg(windows)]
            PrintTarget::Cups { destination } => {
                // SumatraPDF has no job name: the spooler shows the spooled file's name.
                let _ = title;
                print_windows(destination.as_deref(), pdf, file_name)
            }
        }
    }
}

/// The last part of an archived document's path, the name it is printed under.
fn base_name(file_name: &str) -> Result<&OsStr, String> {
    Path::new(file_name)
        .file_name()
        .ok_or_else(|| "文档文件名无效".to_string())
}

/// What the clerk reads when the document went to the system printer.
fn sent_to(destination: Option<&str>) -> String {
    format!(
        "已发送到{}",
        destination.map_or("默认打印机".to_string(), |q| format!("打印机 {q}"))
    )
}

/// What the clerk reads when the system printer refused the document.
fn refused_by(destination: Option<&str>) -> String {
    match destination {
        Some(q) => {
            format!("打印失败：打印机 {q} 不可用或不存在，文档已存档，可检查打印机后重新打印")
        }
        None => {
            "打印失败：本机没有可用的默认打印机，文档已存档，可设置打印机后重新打印".to_string()
        }
    }
}

/// `lp [-d QUEUE] -t TITLE` with the PDF on its standard input.
#[cfg(not(windows))]
fn print_cups(destination: Option<&str>, pdf: &[u8], title: &str) -> Result<String, String> {
    let mut cmd = Command::new("lp");
    if let Some(q) = destination {
        cmd.arg("-d").arg(q);
    }
    cmd.arg("-t").arg(title);
    let out = run_with_stdin(cmd, pdf).map_err(|e| {
        tracing::error!(error = %e, "lp cannot be run");
        if e.kind() == std::io::ErrorKind::NotFound {
            "本机未安装打印服务（CUPS 的 lp 命令），文档已存档，可安装打印机后重新打印".to_string()
        } else {
            "无法启动打印命令 lp，文档已存档，可稍后重新打印".to_string()
        }
    })?;
    if out.status.success() {
        Ok(sent_to(destination))
    } else {
        let err = String::from_utf8_lossy(&out.stderr).trim().to_string();
        tracing::error!(status = %out.status, stderr = %err, "lp failed");
        Err(refused_by(destination))
    }
}

/// The bundled PDF printer's file name, looked for beside the desk's executable (where the
/// installer puts it).
#[cfg(any(windows, test))]
const SUMATRA: &str = "SumatraPDF.exe";

/// The command line that prints the file `pdf` on Windows, `copies` times (at least once), on
/// the printer named `printer` or on the default one: SumatraPDF beside `exe` (the desk's
/// executable). The program and its arguments, each one whole: spaces in the printer's name or
/// the path are quoted by `Command`, and a printer name never starts with `-`
/// ([`PrintTarget::parse`] refuses it).
#[cfg(any(windows, test))]
fn windows_print_command(
    exe: &Path,
    pdf: &Path,
    printer: Option<&str>,
    copies: u32,
) -> (PathBuf, Vec<OsString>) {
    let program = exe.parent().unwrap_or(Path::new("")).join(SUMATRA);
    let mut args: Vec<OsString> = match printer {
        Some(p) => vec!["-print-to".into(), p.into()],
        None => vec!["-print-to-default".into()],
    };
    args.extend([
        "-print-settings".into(),
        format!("{}x", copies.max(1)).into(),
        "-silent".into(),
        pdf.as_os_str().to_owned(),
    ]);
    (program, args)
}

/// A PDF written where a printing program can read it (SumatraPDF takes a file, not standard
/// input): a folder of its own under the temporary folder, removed with what is in it when
/// the value is dropped, so no plaintext copy outlives the print.
#[cfg(any(windows, test))]
struct Spooled {
    dir: PathBuf,
    file: PathBuf,
}

#[cfg(any(windows, test))]
impl Spooled {
    fn write(temp: &Path, name: &OsStr, pdf: &[u8]) -> std::io::Result<Spooled> {
        use std::sync::atomic::{AtomicU32, Ordering};
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let dir = temp.join(format!(
            "onewindow-print-{}-{nanos}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        // `create_dir`, not `create_dir_all`: a folder that is already there is not ours.
        std::fs::create_dir(&dir)?;
        let spooled = Spooled {
            file: dir.join(name),
            dir,
        };
        std::fs::write(&spooled.file, pdf)?;
        Ok(spooled)
    }
}

#[cfg(any(windows, test))]
impl Drop for Spooled {
    fn drop(&mut self) {
        if let Err(e) = std::fs::remove_dir_all(&self.dir) {
            tracing::warn!(dir = %self.dir.display(), error = %e, "spooled PDF not removed");
        }
    }
}

/// Prints through the SumatraPDF beside the desk's executable.
#[cfg(windows)]
fn print_windows(destination: Option<&str>, pdf: &[u8], file_name: &str) -> Result<String, String> {
    use std::os::windows::process::CommandExt;
    /// SumatraPDF is a windowed program; this keeps any console from showing.
    const CREATE_NO_WINDOW: u32 = 0x0800_0000;
    let exe = std::env::current_exe().map_err(|e| {
        tracing::error!(error = %e, "the desk's own path is unknown");
        "无法找到打印程序 SumatraPDF，文档已存档，可稍后重新打印".to_string()
    })?;
    let spooled =
        Spooled::write(&std::env::temp_dir(), base_name(file_name)?, pdf).map_err(|e| {
            tracing::error!(error = %e, "PDF cannot be spooled");
            "无法写入临时文件夹，文档已存档，可稍后重新打印".to_string()
        })?;
    let (program, args) = windows_print_command(&exe, &spooled.file, destination, 1);
    let out = Command::new(&program)
        .args(&args)
        .creation_flags(CREATE_NO_WINDOW)
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|e| {
            tracing::error!(program = %program.display(), error = %e, "SumatraPDF cannot be run");
            if e.kind() == std::io::ErrorKind::NotFound {
                "本机未找到打印程序 SumatraPDF.exe（应与一窗安装在同一文件夹），文档已存档，可重新安装后重新打印"
                    .to_string()
            } else {
                "无法启动打印程序 SumatraPDF，文档已存档，可稍后重新打印".to_string()
            }
        })?;
    drop(spooled);
    if out.status.success() {
        Ok(sent_to(destination))
    } else {
        let err = String::from_utf8_lossy(&out.stderr).trim().to_string();
        tracing::error!(status = %out.status, stderr = %err, "SumatraPDF failed");
        Err(refused_by(destination))
    }
}

/// Runs `cmd` with `input` on its standard input and collects its output.
#[cfg(not(windows))]
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

    /// The Windows command line: the SumatraPDF beside the desk, the printer by name or the
    /// default one, the copies, no window, and the file last, each argument whole.
    #[test]
    fn the_windows_command_prints_with_the_bundled_sumatra() {
        // Built with `join`, so the test reads the same on Linux and on Windows.
        let install = Path::new("Program Files").join("OneWindow");
        let exe = &install.join("onewindow-desk.exe");
        let pdf = Path::new(r"C:\Users\张 三\AppData\Local\Temp\onewindow-print-1\notice.pdf");
        let args = |a: &[&str]| a.iter().map(OsString::from).collect::<Vec<_>>();

        let (program, named) = windows_print_command(exe, pdf, Some("HP LaserJet Pro (2楼)"), 2);
        assert_eq!(program, install.join("SumatraPDF.exe"));
        let file = pdf.to_str().unwrap();
        assert_eq!(
            named,
            args(&[
                "-print-to",
                "HP LaserJet Pro (2楼)",
                "-print-settings",
                "2x",
                "-silent",
                file
            ])
        );

        let (_, default) = windows_print_command(exe, pdf, None, 0);
        assert_eq!(
            default,
            args(&[
                "-print-to-default",
                "-print-settings",
                "1x",
                "-silent",
                file
            ]),
            "the default printer, and never zero copies"
        );

        // A desk run from a bare name still looks beside itself.
        let (program, _) = windows_print_command(Path::new("onewindow-desk.exe"), pdf, None, 1);
        assert_eq!(program, PathBuf::from("SumatraPDF.exe"));
    }

    /// What SumatraPDF reads is a copy of its own, gone once the print is over.
    #[test]
    fn a_spooled_pdf_is_removed_after_the_print() {
        let temp = tempfile::tempdir().unwrap();
        let name = base_name("W01/受理回执.pdf").unwrap();
        let a = Spooled::write(temp.path(), name, b"%PDF-1.7 a").unwrap();
        let b = Spooled::write(temp.path(), name, b"%PDF-1.7 b").unwrap();
        assert_ne!(a.dir, b.dir, "two prints at once do not share a file");
        assert_eq!(a.file.file_name().unwrap(), "受理回执.pdf");
        assert_eq!(std::fs::read(&a.file).unwrap(), b"%PDF-1.7 a");
        assert_eq!(std::fs::read(&b.file).unwrap(), b"%PDF-1.7 b");
        drop(a);
        drop(b);
        assert_eq!(std::fs::read_dir(temp.path()).unwrap().count(), 0);
        assert!(base_name("").is_err());
    }

    #[test]
    fn a_queue_that_does_not_exist_is_a_clear_error() {
        // With CUPS absent this is "not installed"; with CUPS present, an unknown queue.
        let err = PrintTarget::Cups {
            destination: Some("onewindow-no-such-queue".into()),
        }
        .print(b"%PDF-1.7 test", "notice.pdf", "x")
        .unwrap_err();
        // On Windows: SumatraPDF missing beside the test binary, or the unknown printer.
        assert!(
            err.contains("lp") || err.contains("打印失败") || err.contains("SumatraPDF"),
            "{err}"
        );
    }
}
