//! The provisioning sheet (`onewindow-hub provision`): one A4 page per six windows, each with
//! the QR code its desk's enrolment panel (F10) scans, and the same facts in text.

use krilla::Document;
use krilla::geom::{PathBuilder, Point, Rect};
use krilla::page::PageSettings;
use krilla::surface::Surface;
use krilla::text::TextDirection;

use crate::{A4, CjkFont, DocumentError, draw_qr, wrap};

/// One desk's card.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SheetCard {
    pub window: u32,
    pub desk_code: String,
    pub desk_name: String,
    /// The one-time enrolment code, for typing when no scanner works.
    pub enrol_code: String,
    /// What the QR code carries (the provisioning line).
    pub payload: String,
}

/// 终端配置单: the cards of one `provision` run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProvisionSheet {
    /// The centre's name.
    pub centre: String,
    pub hub_url: String,
    /// The certificate's fingerprint, grouped for reading aloud (or empty for plain HTTP).
    pub hub_pin: String,
    pub cards: Vec<SheetCard>,
}

const SIDE: f32 = 36.0;
const HEADER: f32 = 92.0;
const INSTRUCTIONS: &str = "在窗口电脑上按 F10，用扫码枪扫描本窗口的二维码即可完成注册；也可在安装时用 onewindow-desk --provision 文件 注册。每个码只能注册一台电脑，用后作废。本页含注册码，请妥善保管，用完销毁。";
const COLUMNS: usize = 2;
const ROWS: usize = 3;
const CARD_QR: f32 = 150.0;

impl ProvisionSheet {
    pub fn render(&self, font: &CjkFont) -> Result<Vec<u8>, DocumentError> {
        let mut doc = Document::new();
        let per_page = COLUMNS * ROWS;
        let card_w = (A4.0 - 2.0 * SIDE) / COLUMNS as f32;
        let card_h = (A4.1 - 2.0 * SIDE - HEADER) / ROWS as f32;
        let pages = self.cards.chunks(per_page).collect::<Vec<_>>();
        for (p, cards) in pages.iter().enumerate() {
            let settings = PageSettings::from_wh(A4.0, A4.1).expect("A4 is a valid size");
            let mut page = doc.start_page_with(settings);
            let mut surface = page.surface();
            let text = |s: &mut Surface<'_>, x: f32, y: f32, size: f32, t: &str| {
                s.draw_text(
                    Point::from_xy(x, y),
                    font.0.clone(),
                    size,
                    t,
                    false,
                    TextDirection::Auto,
                );
            };
            text(
                &mut surface,
                SIDE,
                SIDE + 18.0,
                16.0,
                &format!(
                    "{} · 窗口终端配置单（第 {}/{} 页）",
                    self.centre,
                    p + 1,
                    pages.len()
                ),
            );
            text(
                &mut surface,
                SIDE,
                SIDE + 38.0,
                9.5,
                &format!("中心地址：{}", self.hub_url),
            );
            if !self.hub_pin.is_empty() {
                text(
                    &mut surface,
                    SIDE,
                    SIDE + 52.0,
                    7.5,
                    &format!("证书指纹（SHA-256）：{}", self.hub_pin),
                );
            }
            let mut hy = SIDE + 66.0;
            for l in wrap(INSTRUCTIONS, 9.0, A4.0 - 2.0 * SIDE) {
                text(&mut surface, SIDE, hy, 9.0, &l);
                hy += 12.0;
            }
            let mut lines = PathBuilder::new();
            for (i, card) in cards.iter().enumerate() {
                let x = SIDE + (i % COLUMNS) as f32 * card_w;
                let y = SIDE + HEADER + (i / COLUMNS) as f32 * card_h;
                // Cutting lines around the card.
                for r in [
                    Rect::from_xywh(x, y, card_w, 0.5),
                    Rect::from_xywh(x, y + card_h, card_w, 0.5),
                    Rect::from_xywh(x, y, 0.5, card_h),
                    Rect::from_xywh(x + card_w, y, 0.5, card_h + 0.5),
                ]
                .into_iter()
                .flatten()
                {
                    lines.push_rect(r);
                }
                let left = x + 14.0;
                text(
                    &mut surface,
                    left,
                    y + 24.0,
                    15.0,
                    &format!("{} 号窗口    {}", card.window, card.desk_code),
                );
                draw_qr(&mut surface, &card.payload, left, y + 34.0, CARD_QR)?;
                let mut ty = y + 34.0 + CARD_QR + 14.0;
                for l in wrap(&card.desk_name, 9.5, card_w - 28.0) {
                    text(&mut surface, left, ty, 9.5, &l);
                    ty += 13.0;
                }
                text(
                    &mut surface,
                    left,
                    ty,
                    9.5,
                    &format!("注册码：{}", card.enrol_code),
                );
            }
            if let Some(path) = lines.finish() {
                surface.draw_path(&path);
            }
            surface.finish();
            page.finish();
        }
        doc.finish()
            .map_err(|e| DocumentError::Pdf(format!("{e:?}")))
    }
}
