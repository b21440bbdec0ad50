//! The documents the window prints: rendered to PDF with the CJK font, archived sealed with
//! the case before printing, reprinted and previewed.

use super::*;
use crate::error::ErrorCode;

/// Where the desk archives the documents it printed, by case.
pub(super) fn documents_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("documents")
}

impl Desk {
    pub(super) fn font(&self) -> Result<Arc<CjkFont>, String> {
        let mut f = self.intake().font.relock();
        if let Some(font) = f.as_ref() {
            return Ok(font.clone());
        }
        let font = Arc::new(CjkFont::find().map_err(|e| {
            tracing::error!(error = %e, "no CJK font");
            e.message_zh()
        })?);
        *f = Some(font.clone());
        Ok(font)
    }

    pub(crate) fn documents_dir(&self) -> PathBuf {
        documents_dir(&self.config.data_dir)
    }

    /// Renders a document to PDF bytes (nothing is stored yet).
    pub(super) fn render(
        &self,
        kind: &str,
        render: impl FnOnce(&CjkFont) -> Result<Vec<u8>, onewindow_documents::DocumentError>,
    ) -> Result<Vec<u8>, AppError> {
        let title = doc_title(kind);
        let font = self
            .font()
            .map_err(|e| bad(ErrorCode::Document, format!("{title}无法生成：{e}")))?;
        render(&font).map_err(|e| {
            tracing::error!(error = %e, kind, "document render failed");
            bad(
                ErrorCode::Document,
                format!("{title}无法生成：{}", e.message_zh()),
            )
        })
    }

    /// Writes the PDF into the archive (content-addressed, so writing it twice is harmless)
    /// before anything refers to it. Returns the path relative to the archive and the SHA-256.
    pub(crate) fn write_archive(
        &self,
        case_number: &str,
        kind: &str,
        pdf: &[u8],
    ) -> Result<(String, String), AppError> {
        let sha = format!("{:x}", Sha256::digest(pdf));
        let rel = format!("{case_number}/{kind}-{}.pdf", &sha[..12]);
        let path = self.documents_dir().join(&rel);
        let seal = self.seal()?;
        path.parent()
            .map_or(Ok(()), std::fs::create_dir_all)
            .and_then(|()| seal.write_file(&path, pdf))
            .map_err(|e| {
                tracing::error!(error = %e, kind, "document cannot be archived");
                if e.kind() == std::io::ErrorKind::StorageFull {
                    bad(
                        ErrorCode::DiskFull,
                        format!(
                            "本机磁盘已满，{}无法存档，办件未作变更。请删除不需要的文件或请管理员清理磁盘后重试。",
                            doc_title(kind)
                        ),
                    )
                } else {
                    bad(
                        ErrorCode::Archive,
                        format!(
                            "{}无法存档（没有写入权限或磁盘有误），办件未作变更，请检查后重试",
                            doc_title(kind)
                        ),
                    )
                }
            })?;
        Ok((rel, sha))
    }

    /// What the desk's files are sealed with; none without a keystore, and then no document
    /// is written or read.
    pub(super) fn seal(&self) -> Result<&Seal, AppError> {
        self.intake.config.seal.as_ref().ok_or_else(|| {
            bad(
                ErrorCode::KeystoreUnavailable,
                "本机密钥库不可用，文书无法加密存档或读取，请联系管理员",
            )
        })
    }

    /// The PDF of an archived document, opened.
    pub(super) fn read_archive(&self, rel: &str) -> Result<Vec<u8>, AppError> {
        let path = self.documents_dir().join(rel);
        self.seal()?.read_file(&path).map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                tracing::error!(file = rel, "archived document file is missing");
                bad(
                    ErrorCode::DocumentMissing,
                    "存档的文书文件不见了（可能被移走或删除），无法打开",
                )
            } else {
                tracing::error!(file = rel, error = %e, "archived document cannot be opened");
                bad(
                    ErrorCode::DocumentDamaged,
                    "存档的文书文件已损坏或无法解密，无法打开；办件记录不受影响",
                )
            }
        })
    }

    /// Prints a document archived as `rel`; the flash says where it went or why it did not.
    pub(super) fn print(&self, pdf: &[u8], rel: &str, kind: &str) -> Flash {
        let title = doc_title(kind);
        // Recorded first: a print that cannot be recorded is not made.
        if let Err(e) = self.audit_required("print", rel, "ok", None) {
            return Flash {
                ok: false,
                text: format!("{title}已存档，但没有打印：{}", e.message),
            };
        }
        match self.config.printer.print(pdf, rel, title) {
            Ok(msg) => Flash {
                ok: true,
                text: format!("{title}已打印（{msg}）"),
            },
            Err(e) => {
                // The record says it was sent; this one says the printer refused it.
                self.audit("print", rel, "failed", Some(&e.to_string()));
                Flash {
                    ok: false,
                    text: format!("{title}已存档，但{e}"),
                }
            }
        }
    }

    /// Prints an archived document again.
    pub fn reprint(&self, document_id: i64) -> Result<Flash, AppError> {
        let d = self
            .with_store(|s| s.document(document_id))?
            .ok_or_else(|| bad(ErrorCode::NotFound, "找不到该文书"))?;
        self.audit_required("view", &d.file, "ok", None)?;
        // A missing or damaged file is refused with the reason before any print is tried.
        let pdf = self.read_archive(&d.file)?;
        Ok(self.print(&pdf, &d.file, &d.kind))
    }

    /// The pages of an archived document as images (poppler's `pdftoppm`).
    pub fn preview_document(&self, document_id: i64) -> Result<DocumentPreview, AppError> {
        let d = self
            .with_store(|s| s.document(document_id))?
            .ok_or_else(|| bad(ErrorCode::NotFound, "找不到该文书"))?;
        let pdf = self.read_archive(&d.file)?;
        // Through poppler's standard input and output: the pages never touch the disk in
        // plaintext.
        let unreadable = |e: String| {
            tracing::error!(error = %e, "document preview failed");
            bad(
                ErrorCode::Preview,
                "无法预览该文书：文件已损坏，或本机缺少 poppler-utils（pdftoppm）",
            )
        };
        let count = onewindow_intake::thumbnail::pdf_pages(&pdf).map_err(unreadable)?;
        let mut pages = Vec::new();
        for page in 1..=count.min(PREVIEW_PAGES) {
            let n = page.to_string();
            let png = onewindow_intake::thumbnail::poppler(
                "pdftoppm",
                &["-png", "-r", "72", "-f", &n, "-l", &n, "-singlefile", "-"],
                &pdf,
            )
            .map_err(unreadable)?;
            pages.push(data_url(&png));
        }
        Ok(DocumentPreview {
            id: d.id,
            title: doc_title(&d.kind).into(),
            page_count: pages.len() as u32,
            pages,
        })
    }
}
