//! ID-card readers (二代证读卡器). A [`CardReader`] yields the card on the reader, if any.
//!
//! [`FolderDropReader`] serves the common readers whose own software writes each card it reads
//! into a folder: `wz.txt` with the card's text fields and `zp.bmp` (or `zp.jpg`) with the
//! photo. `wz.txt` holds one field a line, in this order: 姓名, 性别, 民族, 出生 (YYYYMMDD),
//! 住址, 公民身份号码, 签发机关, 有效期限起 (YYYYMMDD), 有效期限止 (YYYYMMDD or 长期). Reader
//! software writes it in GBK, UTF-8 or UTF-16 (with BOM); all three are read.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use chrono::NaiveDate;
use onewindow_domain::validate::IdNumber;

/// What a card says, checked: the ID number passes GB 11643 and agrees with the card's birth
/// date and sex, and the card has not expired.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdCard {
    pub name: String,
    pub sex: String,
    pub ethnicity: String,
    pub birth_date: NaiveDate,
    pub address: String,
    pub id_number: IdNumber,
    pub authority: String,
    pub valid_from: NaiveDate,
    /// `None`: 长期.
    pub valid_until: Option<NaiveDate>,
    /// The photo as the reader wrote it (BMP or JPEG bytes).
    pub photo: Option<Vec<u8>>,
}

/// Why a card's reading cannot be used, as a stable code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CardProblem {
    Field,
    Incomplete,
    IdNumber,
    Mismatch,
    Expired,
    Unreadable,
}

impl CardProblem {
    pub fn as_str(self) -> &'static str {
        match self {
            CardProblem::Field => "card_field",
            CardProblem::Incomplete => "card_incomplete",
            CardProblem::IdNumber => "card_id_number",
            CardProblem::Mismatch => "card_mismatch",
            CardProblem::Expired => "card_expired",
            CardProblem::Unreadable => "card_unreadable",
        }
    }
}

/// Why a card cannot be used; `message_zh` is for the clerk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CardError {
    pub code: CardProblem,
    pub message_zh: String,
}

impl CardError {
    fn new(code: CardProblem, message_zh: impl Into<String>) -> Self {
        CardError {
            code,
            message_zh: message_zh.into(),
        }
    }
}

/// A reader driver. `read` returns a card once per placement on the reader.
pub trait CardReader {
    fn read(&mut self, today: NaiveDate) -> Result<Option<IdCard>, CardError>;
}

pub struct FolderDropReader {
    dir: PathBuf,
    last: Option<(SystemTime, u64)>,
}

fn decode_text(bytes: &[u8]) -> String {
    if let Some((enc, bom)) = encoding_rs::Encoding::for_bom(bytes) {
        return enc
            .decode_without_bom_handling(&bytes[bom..])
            .0
            .into_owned();
    }
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_string(),
        Err(_) => encoding_rs::GBK.decode(bytes).0.into_owned(),
    }
}

fn date(field: &str, s: &str) -> Result<NaiveDate, CardError> {
    NaiveDate::parse_from_str(s.trim().replace(['.', '-'], "").as_str(), "%Y%m%d").map_err(|_| {
        CardError::new(
            CardProblem::Field,
            format!("读卡数据中的{field}“{s}”不是有效日期，请重新放置证件读卡"),
        )
    })
}

/// Parses `wz.txt` text and checks the card against `today`.
pub fn parse_card(
    text: &str,
    photo: Option<Vec<u8>>,
    today: NaiveDate,
) -> Result<IdCard, CardError> {
    let lines: Vec<&str> = text
        .lines()
        .map(|l| l.trim_matches(|c: char| c.is_whitespace() || c == '\u{feff}'))
        .collect();
    if lines.len() < 9 || lines[..9].iter().any(|l| l.is_empty()) {
        return Err(CardError::new(
            CardProblem::Incomplete,
            "读卡数据不完整（应有姓名、性别、民族、出生、住址、号码、签发机关和有效期限），请重新读卡",
        ));
    }
    let id_number = IdNumber::parse(lines[5], today).map_err(|e| {
        CardError::new(
            CardProblem::IdNumber,
            format!("证件号码有误：{}", e.message_zh),
        )
    })?;
    let birth_date = date("出生日期", lines[3])?;
    if birth_date != id_number.birth_date() {
        return Err(CardError::new(
            CardProblem::Mismatch,
            "证件上的出生日期与公民身份号码不一致，请核对证件真伪",
        ));
    }
    let sex = lines[1].to_string();
    let male = match sex.as_str() {
        "男" => true,
        "女" => false,
        other => {
            return Err(CardError::new(
                CardProblem::Field,
                format!("读卡数据中的性别“{other}”无法识别"),
            ));
        }
    };
    if male != id_number.is_male() {
        return Err(CardError::new(
            CardProblem::Mismatch,
            "证件上的性别与公民身份号码不一致，请核对证件真伪",
        ));
    }
    let valid_from = date("有效期限起始日", lines[7])?;
    let valid_until = match lines[8] {
        "长期" => None,
        s => Some(date("有效期限截止日", s)?),
    };
    if let Some(end) = valid_until
        && end < today
    {
        return Err(CardError::new(
            CardProblem::Expired,
            format!("该居民身份证已于 {end} 过期，请申请人提供有效证件或临时身份证"),
        ));
    }
    Ok(IdCard {
        name: lines[0].to_string(),
        sex,
        ethnicity: lines[2].to_string(),
        birth_date,
        address: lines[4].to_string(),
        id_number,
        authority: lines[6].to_string(),
        valid_from,
        valid_until,
        photo,
    })
}

impl FolderDropReader {
    pub fn new(dir: &Path) -> Self {
        FolderDropReader {
            dir: dir.to_path_buf(),
            last: None,
        }
    }
}

impl CardReader for FolderDropReader {
    fn read(&mut self, today: NaiveDate) -> Result<Option<IdCard>, CardError> {
        let wz = self.dir.join("wz.txt");
        let Ok(meta) = std::fs::metadata(&wz) else {
            return Ok(None);
        };
        let stamp = (
            meta.modified().unwrap_or(SystemTime::UNIX_EPOCH),
            meta.len(),
        );
        if self.last == Some(stamp) {
            return Ok(None);
        }
        let bytes = std::fs::read(&wz).map_err(|e| {
            CardError::new(
                CardProblem::Unreadable,
                format!("无法读取读卡器输出文件：{e}"),
            )
        })?;
        self.last = Some(stamp);
        let photo = ["zp.bmp", "zp.jpg", "zp.jpeg"]
            .iter()
            .find_map(|n| std::fs::read(self.dir.join(n)).ok());
        // The reader's files hold the card in plaintext: once read, they go (the reader writes
        // them afresh for the next card). A file that cannot be removed is read only once.
        for n in ["wz.txt", "zp.bmp", "zp.jpg", "zp.jpeg"] {
            let p = self.dir.join(n);
            if let Err(e) = std::fs::remove_file(&p)
                && e.kind() != std::io::ErrorKind::NotFound
            {
                tracing::warn!(file = n, error = %e, "card reader file cannot be removed");
            }
        }
        if !wz.exists() {
            // Gone: the next card is new whatever its time stamp.
            self.last = None;
        }
        parse_card(&decode_text(&bytes), photo, today).map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 27).unwrap()
    }

    const CARD: &str = "周建国\n男\n汉\n19841003\n山东省荣成市成山大道1号\n371082198410031615\n荣成市公安局\n20200701\n20400701\n";

    #[test]
    fn folder_drop_reads_each_card_once_in_any_encoding() {
        let dir = tempfile::tempdir().unwrap();
        let mut reader = FolderDropReader::new(dir.path());
        assert_eq!(reader.read(today()).unwrap(), None, "no card yet");

        let (gbk, _, _) = encoding_rs::GBK.encode(CARD);
        std::fs::write(dir.path().join("wz.txt"), &gbk).unwrap();
        std::fs::write(dir.path().join("zp.bmp"), b"BM fake photo").unwrap();
        let card = reader.read(today()).unwrap().expect("a card");
        assert_eq!(card.name, "周建国");
        assert_eq!(card.address, "山东省荣成市成山大道1号");
        assert_eq!(card.id_number.masked(), "371082********1615");
        assert_eq!(card.valid_until, NaiveDate::from_ymd_opt(2040, 7, 1));
        assert_eq!(card.photo.as_deref(), Some(&b"BM fake photo"[..]));
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            0,
            "the reader's plaintext files are removed once read"
        );
        assert_eq!(
            reader.read(today()).unwrap(),
            None,
            "the same card is read once"
        );

        // UTF-16 with BOM, as some reader software writes it.
        let mut utf16 = vec![0xFF, 0xFE];
        for u in CARD.replace("周建国", "周建民").encode_utf16() {
            utf16.extend(u.to_le_bytes());
        }
        std::fs::write(dir.path().join("wz.txt"), &utf16).unwrap();
        assert_eq!(reader.read(today()).unwrap().unwrap().name, "周建民");
    }

    #[test]
    fn bad_cards_are_refused_with_reasons() {
        let err = |text: &str| parse_card(text, None, today()).unwrap_err();
        assert_eq!(
            err(&CARD.replace("20400701", "20260701")).message_zh,
            "该居民身份证已于 2026-07-01 过期，请申请人提供有效证件或临时身份证"
        );
        assert_eq!(err(&CARD.replace("男", "女")).code, CardProblem::Mismatch);
        assert_eq!(
            err(&CARD.replace("\n19841003\n", "\n19841004\n")).code,
            CardProblem::Mismatch
        );
        assert_eq!(
            err(&CARD.replace("1615", "1616")).code,
            CardProblem::IdNumber
        );
        assert_eq!(err("周建国\n男\n").code, CardProblem::Incomplete);
        let long = parse_card(&CARD.replace("20400701", "长期"), None, today()).unwrap();
        assert_eq!(long.valid_until, None);
    }
}
