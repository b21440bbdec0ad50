//! The documents a window hands over, rendered by the backend to A4 PDFs with an embedded
//! (subsetted) CJK font: the one-time notice (一次性告知书), the acceptance receipt (受理回执)
//! and the refusal notice (不予受理通知书). Callers pass everything in, the date included;
//! applicant numbers arrive already masked.

use std::path::{Path, PathBuf};

mod sheet;
pub use sheet::{ProvisionSheet, SheetCard};

use chrono::NaiveDate;
use krilla::Document;
use krilla::geom::{PathBuilder, Point, Rect};
use krilla::page::PageSettings;
use krilla::surface::Surface;
use krilla::text::{Font, TextDirection};

#[derive(Debug, thiserror::Error)]
pub enum DocumentError {
    #[error("no CJK font found (looked in: {looked})")]
    NoFont { looked: String },
    #[error("font {path} cannot be used: {detail}")]
    BadFont { path: PathBuf, detail: String },
    #[error("PDF could not be written: {0}")]
    Pdf(String),
    #[error("QR code: {0}")]
    Qr(String),
}

impl DocumentError {
    /// For the clerk.
    pub fn message_zh(&self) -> String {
        match self {
            DocumentError::NoFont { .. } | DocumentError::BadFont { .. } => {
                "找不到可用的中文字体，无法生成文书；请安装 fonts-noto-cjk（Linux）或确认系统字体完好".into()
            }
            DocumentError::Pdf(_) | DocumentError::Qr(_) => "文书生成失败，请重试；如仍失败请查看日志".into(),
        }
    }
}

/// Where CJK fonts usually are, with the collection index of the Simplified Chinese face.
pub const FONT_CANDIDATES: &[(&str, u32)] = &[
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2),
    ("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc", 2),
    (
        "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
        0,
    ),
    ("C:\\Windows\\Fonts\\simhei.ttf", 0),
    ("C:\\Windows\\Fonts\\simsun.ttc", 0),
];

/// A loaded CJK font.
#[derive(Clone)]
pub struct CjkFont(Font);

impl CjkFont {
    pub fn load(path: &Path, index: u32) -> Result<CjkFont, DocumentError> {
        let data = std::fs::read(path).map_err(|e| DocumentError::BadFont {
            path: path.to_path_buf(),
            detail: e.to_string(),
        })?;
        let font = Font::new(data.into(), index).ok_or_else(|| DocumentError::BadFont {
            path: path.to_path_buf(),
            detail: format!("not a font (index {index})"),
        })?;
        Ok(CjkFont(font))
    }

    /// The first of [`FONT_CANDIDATES`] that loads.
    pub fn find() -> Result<CjkFont, DocumentError> {
        FONT_CANDIDATES
            .iter()
            .find_map(|(p, i)| CjkFont::load(Path::new(p), *i).ok())
            .ok_or_else(|| DocumentError::NoFont {
                looked: FONT_CANDIDATES
                    .iter()
                    .map(|(p, _)| *p)
                    .collect::<Vec<_>>()
                    .join(", "),
            })
    }
}

/// 一次性告知书: every missing or invalid item at once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OneTimeNotice {
    pub office: String,
    pub case_number: String,
    pub item_name: String,
    pub applicant: String,
    pub date: NaiveDate,
    /// Each: what is missing or wrong, and how to put it right.
    pub items: Vec<String>,
    pub window: String,
    pub phone: String,
}

/// 受理回执.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AcceptanceReceipt {
    pub office: String,
    pub case_number: String,
    pub item_name: String,
    pub applicant: String,
    pub accepted_on: NaiveDate,
    /// Each: name, form, copies (as the clerk received them, or 免提交/告知承诺).
    pub materials: Vec<String>,
    /// Open 容缺 items and the date they are due.
    pub deferred: Vec<String>,
    pub promised_days: u32,
    pub promised_date: NaiveDate,
    /// Said when the count crossed a year without a published holiday calendar.
    pub calendar_note: Option<String>,
    /// What the QR code holds (the progress page with the case number).
    pub qr_payload: String,
    /// Printed beside the QR: with the case number it opens the progress page.
    pub query_code: String,
    pub window: String,
    pub phone: String,
}

/// 告知承诺书: the applicant's signed commitment that replaces a proof.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PledgeLetter {
    pub office: String,
    pub case_number: String,
    pub item_name: String,
    pub applicant: String,
    pub date: NaiveDate,
    /// The materials the pledge replaces.
    pub materials: Vec<String>,
    /// When the office will verify the pledge.
    pub check_by: NaiveDate,
}

/// 不予受理通知书.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefusalNotice {
    pub office: String,
    pub case_number: String,
    pub item_name: String,
    pub applicant: String,
    pub date: NaiveDate,
    pub reason: String,
    pub basis: String,
}

const A4: (f32, f32) = (595.0, 842.0);
const QR_SIZE: f32 = 110.0;
const MARGIN: f32 = 64.0;

/// Writes lines top-down, wrapping long ones, starting new pages as needed.
struct Writer<'a> {
    font: &'a CjkFont,
    pages: Vec<Vec<(f32, f32, f32, String)>>,
    y: f32,
    /// Keep this much of the right side free while above this height (the QR code).
    aside: Option<(f32, f32)>,
}

/// Approximate advance of a character in em: CJK and full-width forms are square.
fn advance(c: char) -> f32 {
    if c as u32 >= 0x2E80 { 1.0 } else { 0.55 }
}

fn wrap(text: &str, size: f32, width: f32) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    let mut w = 0.0;
    for c in text.chars() {
        let a = advance(c) * size;
        if w + a > width && !line.is_empty() {
            lines.push(std::mem::take(&mut line));
            w = 0.0;
        }
        line.push(c);
        w += a;
    }
    if !line.is_empty() || lines.is_empty() {
        lines.push(line);
    }
    lines
}

impl<'a> Writer<'a> {
    fn new(font: &'a CjkFont) -> Self {
        Writer {
            font,
            pages: vec![Vec::new()],
            y: MARGIN,
            aside: None,
        }
    }

    fn line(&mut self, x: f32, size: f32, text: &str) {
        let reserve = match self.aside {
            Some((until, width)) if self.y < until => width,
            _ => 0.0,
        };
        let width = A4.0 - MARGIN - x - reserve;
        for l in wrap(text, size, width) {
            if self.y + size > A4.1 - MARGIN {
                self.pages.push(Vec::new());
                self.y = MARGIN;
            }
            self.y += size * 1.5;
            let y = self.y;
            self.pages.last_mut().expect("a page").push((x, y, size, l));
        }
    }

    fn centered(&mut self, size: f32, text: &str) {
        let w: f32 = text.chars().map(advance).sum::<f32>() * size;
        self.line(((A4.0 - w) / 2.0).max(MARGIN), size, text);
    }

    fn gap(&mut self, h: f32) {
        self.y += h;
    }

    /// The office and the document's title, centred.
    fn title(&mut self, office: &str, title: &str) {
        self.centered(20.0, office);
        self.centered(22.0, title);
        self.gap(8.0);
    }

    /// Who applied for what.
    fn applicant_and_item(&mut self, applicant: &str, item: &str) {
        self.line(MARGIN, 12.0, &format!("申请人：{applicant}"));
        self.line(MARGIN, 12.0, &format!("申请事项：{item}"));
    }

    fn finish(self, qr: Option<(&str, f32)>) -> Result<Vec<u8>, DocumentError> {
        let mut doc = Document::new();
        let last = self.pages.len() - 1;
        for (i, lines) in self.pages.into_iter().enumerate() {
            let settings = PageSettings::from_wh(A4.0, A4.1).expect("A4 is a valid size");
            let mut page = doc.start_page_with(settings);
            let mut surface = page.surface();
            for (x, y, size, text) in &lines {
                surface.draw_text(
                    Point::from_xy(*x, *y),
                    self.font.0.clone(),
                    *size,
                    text,
                    false,
                    TextDirection::Auto,
                );
            }
            if let (Some((payload, top)), true) = (qr, i == last) {
                draw_qr(&mut surface, payload, A4.0 - MARGIN - QR_SIZE, top, QR_SIZE)?;
            }
            surface.finish();
            page.finish();
        }
        doc.finish()
            .map_err(|e| DocumentError::Pdf(format!("{e:?}")))
    }
}

fn draw_qr(
    surface: &mut Surface<'_>,
    payload: &str,
    x: f32,
    y: f32,
    size: f32,
) -> Result<(), DocumentError> {
    let code = qrcode::QrCode::with_error_correction_level(payload.as_bytes(), qrcode::EcLevel::M)
        .map_err(|e| DocumentError::Qr(e.to_string()))?;
    let n = code.width();
    let module = size / n as f32;
    let mut pb = PathBuilder::new();
    for (i, c) in code.to_colors().iter().enumerate() {
        if *c == qrcode::Color::Dark {
            let (cx, cy) = ((i % n) as f32, (i / n) as f32);
            if let Some(r) = Rect::from_xywh(x + cx * module, y + cy * module, module, module) {
                pb.push_rect(r);
            }
        }
    }
    if let Some(path) = pb.finish() {
        surface.draw_path(&path);
    }
    Ok(())
}

fn ymd(d: NaiveDate) -> String {
    d.format("%Y年%m月%d日").to_string()
}

/// 《行政许可法》第三十二条: the notice must list everything at once.
pub const NOTICE_BASIS: &str = "依据《中华人民共和国行政许可法》第三十二条第一款第（四）项，申请材料不齐全或者不符合法定形式的，行政机关应当当场或者在五日内一次告知申请人需要补正的全部内容。";

impl OneTimeNotice {
    pub fn render(&self, font: &CjkFont) -> Result<Vec<u8>, DocumentError> {
        let mut w = Writer::new(font);
        w.title(&self.office, "一次性告知书");
        w.line(MARGIN, 11.0, &format!("编号：{}", self.case_number));
        w.applicant_and_item(&self.applicant, &self.item_name);
        w.gap(6.0);
        w.line(
            MARGIN,
            12.0,
            "您申请的上述事项，经审查，申请材料不齐全或不符合法定形式。请按以下全部内容补正后再来办理：",
        );
        for (i, item) in self.items.iter().enumerate() {
            w.line(MARGIN + 12.0, 12.0, &format!("{}. {item}", i + 1));
        }
        w.gap(6.0);
        w.line(MARGIN, 10.5, NOTICE_BASIS);
        w.line(
            MARGIN,
            10.5,
            "补齐材料后请到原窗口办理并出示本告知书，无需重新取号排队。",
        );
        w.gap(10.0);
        w.line(
            MARGIN,
            12.0,
            &format!("办理窗口：{}    咨询电话：{}", self.window, self.phone),
        );
        w.line(MARGIN, 12.0, &format!("告知日期：{}", ymd(self.date)));
        w.gap(24.0);
        w.line(
            MARGIN,
            12.0,
            "窗口工作人员（签字）：                申请人（签收）：",
        );
        w.finish(None)
    }
}

impl PledgeLetter {
    pub fn render(&self, font: &CjkFont) -> Result<Vec<u8>, DocumentError> {
        let mut w = Writer::new(font);
        w.title(&self.office, "告知承诺书");
        w.line(MARGIN, 11.0, &format!("编号：{}", self.case_number));
        w.applicant_and_item(&self.applicant, &self.item_name);
        w.gap(6.0);
        w.line(
            MARGIN,
            12.0,
            "行政机关已一次性告知本人办理上述事项的条件和应当提交的材料。本人承诺已经符合以下证明事项所要证明的条件，以承诺代替提交下列材料：",
        );
        for (i, m) in self.materials.iter().enumerate() {
            w.line(MARGIN + 12.0, 12.0, &format!("{}. {m}", i + 1));
        }
        w.gap(6.0);
        w.line(
            MARGIN,
            11.0,
            &format!(
                "本人知晓行政机关将于 {} 前对承诺内容进行核查；承诺不实的，愿意承担不实承诺的法律责任，行政机关可依法撤销相关决定，并记入信用记录。",
                ymd(self.check_by)
            ),
        );
        w.gap(24.0);
        w.line(MARGIN, 12.0, "申请人（签字）：");
        w.line(MARGIN, 12.0, &format!("日期：{}", ymd(self.date)));
        w.finish(None)
    }
}

impl AcceptanceReceipt {
    pub fn render(&self, font: &CjkFont) -> Result<Vec<u8>, DocumentError> {
        let mut w = Writer::new(font);
        w.title(&self.office, "受理回执");
        let qr_top = w.y + 10.0;
        w.aside = Some((qr_top + QR_SIZE, QR_SIZE + 12.0));
        w.line(MARGIN, 12.0, &format!("办件编号：{}", self.case_number));
        w.line(MARGIN, 12.0, &format!("查询码：{}", self.query_code));
        w.line(MARGIN, 12.0, &format!("申请人：{}", self.applicant));
        w.line(MARGIN, 12.0, &format!("申请事项：{}", self.item_name));
        w.line(
            MARGIN,
            12.0,
            &format!("受理日期：{}", ymd(self.accepted_on)),
        );
        w.line(
            MARGIN,
            12.0,
            &format!(
                "承诺办结时限：{} 个工作日，预计办结日期：{}",
                self.promised_days,
                ymd(self.promised_date)
            ),
        );
        if let Some(note) = &self.calendar_note {
            w.line(MARGIN, 10.5, note);
        }
        w.gap(8.0);
        w.line(MARGIN, 12.0, "已收取材料：");
        for (i, m) in self.materials.iter().enumerate() {
            w.line(MARGIN + 12.0, 11.0, &format!("{}. {m}", i + 1));
        }
        if !self.deferred.is_empty() {
            w.gap(4.0);
            w.line(MARGIN, 12.0, "容缺受理，须在期限内补交：");
            for (i, m) in self.deferred.iter().enumerate() {
                w.line(MARGIN + 12.0, 11.0, &format!("{}. {m}", i + 1));
            }
        }
        w.gap(8.0);
        w.line(
            MARGIN,
            10.5,
            "扫描右上角二维码，或凭办件编号和查询码查询办理进度。办结后请凭本回执到窗口领取结果，或按约定邮寄。",
        );
        w.line(
            MARGIN,
            12.0,
            &format!("办理窗口：{}    咨询电话：{}", self.window, self.phone),
        );
        w.gap(24.0);
        w.line(
            MARGIN,
            12.0,
            "窗口工作人员（签字）：                申请人（签收）：",
        );
        w.finish(Some((&self.qr_payload, qr_top)))
    }
}

impl RefusalNotice {
    pub fn render(&self, font: &CjkFont) -> Result<Vec<u8>, DocumentError> {
        let mut w = Writer::new(font);
        w.title(&self.office, "不予受理通知书");
        w.line(MARGIN, 11.0, &format!("编号：{}", self.case_number));
        w.applicant_and_item(&self.applicant, &self.item_name);
        w.gap(6.0);
        w.line(
            MARGIN,
            12.0,
            &format!("经审查，您的申请不予受理。理由：{}", self.reason),
        );
        w.line(MARGIN, 12.0, &format!("依据：{}", self.basis));
        w.line(
            MARGIN,
            10.5,
            "如不服本决定，可以依法申请行政复议或者提起行政诉讼。",
        );
        w.gap(10.0);
        w.line(MARGIN, 12.0, &format!("日期：{}", ymd(self.date)));
        w.finish(None)
    }
}
