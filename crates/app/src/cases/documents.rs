//! The documents the window prints: rendered to PDF with the CJK font, archived sealed with
//! the case before printing, reprinted and previewed.

use super::*;
use crate::error::ErrorCode;

impl Cases {
    pub(super) fn font(&self) -> Result<Arc<CjkFont>, String> {
        let mut f = self.font.relock();
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

    /// Prints a document archived as `rel`; the flash says where it went or why it did not.
    pub(super) fn print(&self, pdf: &[u8], rel: &str, kind: &str) -> Flash {
        let title = doc_title(kind);
        // Recorded first: a print that cannot be recorded is not made.
        if let Err(e) = self.session.audit_required("print", rel, "ok", None) {
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
                self.session
                    .audit("print", rel, "failed", Some(&e.to_string()));
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
            .cache
            .with_store(|s| s.document(document_id))?
            .ok_or_else(|| bad(ErrorCode::NotFound, "找不到该文书"))?;
        self.session.audit_required("view", &d.file, "ok", None)?;
        // A missing or damaged file is refused with the reason before any print is tried.
        let pdf = self.intake.read_archive(&d.file)?;
        Ok(self.print(&pdf, &d.file, &d.kind))
    }

    /// The pages of an archived document as images (poppler's `pdftoppm`).
    pub fn preview_document(&self, document_id: i64) -> Result<DocumentPreview, AppError> {
        let d = self
            .cache
            .with_store(|s| s.document(document_id))?
            .ok_or_else(|| bad(ErrorCode::NotFound, "找不到该文书"))?;
        let pdf = self.intake.read_archive(&d.file)?;
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
