//! Validators for what applicants hand over: 公民身份号码 (GB 11643), 统一社会信用代码
//! (GB 32100, with its inner GB 11714 organisation code) and phone numbers. A value of these
//! types can only be made by validating; a failure says in Chinese what is wrong.

use chrono::{Datelike, NaiveDate};

/// Why a value was refused. `code` is stable for programs; `message_zh` is for the clerk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invalid {
    pub code: &'static str,
    pub message_zh: String,
}

impl Invalid {
    fn new(code: &'static str, message_zh: impl Into<String>) -> Self {
        Invalid {
            code,
            message_zh: message_zh.into(),
        }
    }
}

impl std::fmt::Display for Invalid {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message_zh)
    }
}

/// Province-level codes of GB/T 2260 (first two digits of an ID number), with 71/81/82/83 for
/// Taiwan, Hong Kong and Macao residents' numbers.
const PROVINCES: [u8; 35] = [
    11, 12, 13, 14, 15, 21, 22, 23, 31, 32, 33, 34, 35, 36, 37, 41, 42, 43, 44, 45, 46, 50, 51, 52,
    53, 54, 61, 62, 63, 64, 65, 71, 81, 82, 83,
];

const ID_WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const ID_CHECK: &[u8; 11] = b"10X98765432";

/// The ISO 7064 MOD 11-2 check character of the first 17 digits.
fn id_check_char(first17: &[u8]) -> u8 {
    let sum: u32 = first17
        .iter()
        .zip(ID_WEIGHTS)
        .map(|(d, w)| u32::from(d - b'0') * w)
        .sum();
    ID_CHECK[(sum % 11) as usize]
}

/// A valid 18-character 公民身份号码 (upper-case X). Its birth date and sex are derived.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct IdNumber(String);

impl IdNumber {
    /// Checks structure, a GB/T 2260 province code, a real birth date not after `today`, and the
    /// MOD 11-2 check character. Lower-case x is stored as X; a 15-digit number (19YY births) is
    /// upgraded to 18 digits.
    pub fn parse(input: &str, today: NaiveDate) -> Result<IdNumber, Invalid> {
        let s: String = input.trim().to_ascii_uppercase();
        let upgraded;
        let s = match s.len() {
            18 => s,
            15 => {
                if !s.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(Invalid::new("id_chars", "15 位身份证号码只能由数字组成"));
                }
                let mut v = format!("{}19{}", &s[..6], &s[6..]).into_bytes();
                let check = id_check_char(&v);
                v.push(check);
                upgraded = String::from_utf8(v).expect("ASCII");
                upgraded
            }
            n => {
                return Err(Invalid::new(
                    "id_length",
                    format!("身份证号码应为 18 位（或旧式 15 位），现为 {n} 位"),
                ));
            }
        };
        let b = s.as_bytes();
        if let Some(pos) = b[..17].iter().position(|c| !c.is_ascii_digit()) {
            return Err(Invalid::new(
                "id_chars",
                format!(
                    "身份证号码第 {} 位应为数字，现为“{}”",
                    pos + 1,
                    b[pos] as char
                ),
            ));
        }
        if !(b[17].is_ascii_digit() || b[17] == b'X') {
            return Err(Invalid::new(
                "id_chars",
                format!("身份证号码最后一位应为数字或 X，现为“{}”", b[17] as char),
            ));
        }
        let province = (b[0] - b'0') * 10 + (b[1] - b'0');
        if !PROVINCES.contains(&province) {
            return Err(Invalid::new(
                "id_region",
                format!("身份证号码前两位 {province:02} 不是有效的省级行政区划代码"),
            ));
        }
        let birth = NaiveDate::parse_from_str(&s[6..14], "%Y%m%d")
            .ok()
            .filter(|d| d.year() >= 1880)
            .ok_or_else(|| {
                Invalid::new(
                    "id_birth_date",
                    format!("身份证号码第 7–14 位 {} 不是有效的出生日期", &s[6..14]),
                )
            })?;
        if birth > today {
            return Err(Invalid::new(
                "id_birth_future",
                format!("身份证号码中的出生日期 {birth} 晚于今天"),
            ));
        }
        let expected = id_check_char(&b[..17]);
        if expected != b[17] {
            return Err(Invalid::new(
                "id_checksum",
                "身份证号码校验位不符，请逐位核对号码（可能有数字输错或顺序颠倒）",
            ));
        }
        Ok(IdNumber(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn birth_date(&self) -> NaiveDate {
        NaiveDate::parse_from_str(&self.0[6..14], "%Y%m%d").expect("checked at parse")
    }

    /// 性别: the 17th digit, odd for men.
    pub fn is_male(&self) -> bool {
        (self.0.as_bytes()[16] - b'0') % 2 == 1
    }

    /// Completed years of age on `on`.
    pub fn age_on(&self, on: NaiveDate) -> u32 {
        on.years_since(self.birth_date()).unwrap_or(0)
    }

    /// `371082********1234`: region and the last four shown, the birth date hidden.
    pub fn masked(&self) -> String {
        crate::mask::number(&self.0)
    }
}

/// The 31 characters of GB 32100, in value order (no I, O, S, V, Z).
const USCC_ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
const USCC_WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];
const ORG_WEIGHTS: [u32; 8] = [3, 7, 9, 10, 5, 8, 4, 2];

fn uscc_value(c: u8) -> Option<u32> {
    USCC_ALPHABET.iter().position(|&a| a == c).map(|p| p as u32)
}

fn uscc_check_char(first17: &[u8]) -> u8 {
    let sum: u32 = first17
        .iter()
        .zip(USCC_WEIGHTS)
        .map(|(&c, w)| uscc_value(c).expect("checked alphabet") * w)
        .sum();
    USCC_ALPHABET[((31 - sum % 31) % 31) as usize]
}

/// GB 11714 organisation-code check character of the 8-character body.
fn org_check_char(body: &[u8]) -> u8 {
    let value = |c: u8| -> u32 {
        if c.is_ascii_digit() {
            u32::from(c - b'0')
        } else {
            u32::from(c - b'A') + 10
        }
    };
    let sum: u32 = body
        .iter()
        .zip(ORG_WEIGHTS)
        .map(|(&c, w)| value(c) * w)
        .sum();
    match 11 - sum % 11 {
        10 => b'X',
        11 => b'0',
        n => b'0' + n as u8,
    }
}

/// A valid 18-character 统一社会信用代码.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CreditCode(String);

impl CreditCode {
    /// Checks the GB 32100 alphabet, the registration-authority and region parts, the inner
    /// GB 11714 organisation code check, and the MOD 31 check character.
    pub fn parse(input: &str) -> Result<CreditCode, Invalid> {
        let s = input.trim().to_ascii_uppercase();
        let n = s.chars().count();
        if n != 18 {
            return Err(Invalid::new(
                "credit_length",
                format!("统一社会信用代码应为 18 位，现为 {n} 位"),
            ));
        }
        let b = s.as_bytes();
        if let Some(pos) = b.iter().position(|&c| uscc_value(c).is_none()) {
            return Err(Invalid::new(
                "credit_chars",
                format!(
                    "统一社会信用代码第 {} 位“{}”不是允许的字符（不使用 I、O、S、V、Z）",
                    pos + 1,
                    b[pos] as char
                ),
            ));
        }
        if b[0] == b'0' {
            return Err(Invalid::new(
                "credit_authority",
                "统一社会信用代码第 1 位（登记管理部门代码）不能为 0",
            ));
        }
        if let Some(pos) = b[2..8].iter().position(|c| !c.is_ascii_digit()) {
            return Err(Invalid::new(
                "credit_region",
                format!("统一社会信用代码第 {} 位应为数字（行政区划码）", pos + 3),
            ));
        }
        if org_check_char(&b[8..16]) != b[16] {
            return Err(Invalid::new(
                "credit_org_checksum",
                "统一社会信用代码第 9–17 位（组织机构代码）校验不符，请逐位核对",
            ));
        }
        if uscc_check_char(&b[..17]) != b[17] {
            return Err(Invalid::new(
                "credit_checksum",
                "统一社会信用代码校验位不符，请逐位核对（可能有字符输错或顺序颠倒）",
            ));
        }
        Ok(CreditCode(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A mobile (`1[3-9]` + 9 digits) or a landline with its area code (`0631-7561001`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Phone(String);

impl Phone {
    pub fn parse(input: &str) -> Result<Phone, Invalid> {
        let s = input.trim();
        let b = s.as_bytes();
        let mobile = b.len() == 11
            && b[0] == b'1'
            && (b'3'..=b'9').contains(&b[1])
            && b.iter().all(u8::is_ascii_digit);
        let landline = match s.split_once('-') {
            Some((area, local)) => {
                (3..=4).contains(&area.len())
                    && area.starts_with('0')
                    && area.bytes().all(|c| c.is_ascii_digit())
                    && (7..=8).contains(&local.len())
                    && !local.starts_with('0')
                    && local.bytes().all(|c| c.is_ascii_digit())
            }
            None => false,
        };
        if mobile || landline {
            Ok(Phone(s.to_string()))
        } else {
            Err(Invalid::new(
                "phone_format",
                format!(
                    "电话“{s}”格式不对：手机为 11 位数字（1 开头），固定电话请带区号，如 0631-7561001"
                ),
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// `138****5678` / `0631-****001`.
    pub fn masked(&self) -> String {
        crate::mask::phone(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 27).unwrap()
    }

    fn with_check(first17: &str) -> String {
        format!("{first17}{}", id_check_char(first17.as_bytes()) as char)
    }

    #[test]
    fn every_demo_registry_holder_is_valid() {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../demo/elicences-sample.json"
        ))
        .unwrap();
        let v: serde_json::Value = serde_json::from_str(&text).unwrap();
        let holders = v["holders"].as_array().unwrap();
        assert_eq!(holders.len(), 40);
        for h in holders {
            let number = h["holder"].as_str().unwrap();
            match h["holder_kind"].as_str().unwrap() {
                "person" => assert_eq!(IdNumber::parse(number, today()).unwrap().as_str(), number),
                _ => assert_eq!(CreditCode::parse(number).unwrap().as_str(), number),
            }
        }
    }

    #[test]
    fn id_number_details() {
        let id = IdNumber::parse("37108220101203687x", today()).unwrap();
        assert_eq!(
            id.as_str(),
            "37108220101203687X",
            "lower-case x stored as X"
        );
        assert_eq!(
            id.birth_date(),
            NaiveDate::from_ymd_opt(2010, 12, 3).unwrap()
        );
        assert!(id.is_male());
        assert_eq!(id.age_on(today()), 15);
        assert_eq!(id.masked(), "371082********687X");

        // 15-digit numbers are upgraded: 19 inserted, check computed.
        let old = IdNumber::parse("371082841003161", today()).unwrap();
        assert_eq!(old.as_str(), with_check("37108219841003161"));

        let err = |s: &str| IdNumber::parse(s, today()).unwrap_err().code;
        assert_eq!(err("37108219841003161"), "id_length");
        assert_eq!(err("3710821984100316A5"), "id_chars");
        assert_eq!(err(&with_check("99108219841003161")), "id_region");
        assert_eq!(err(&with_check("37108219840230161")), "id_birth_date");
        assert_eq!(err(&with_check("37108220261128161")), "id_birth_future");
        assert_eq!(
            IdNumber::parse("371082198410031616", today()).unwrap_err(),
            Invalid::new(
                "id_checksum",
                "身份证号码校验位不符，请逐位核对号码（可能有数字输错或顺序颠倒）"
            )
        );
        // Born today is fine.
        assert!(IdNumber::parse(&with_check("37108220261127161"), today()).is_ok());
    }

    #[test]
    fn credit_code_details() {
        // A well-known published example: 91350100M000100Y43.
        let c = CreditCode::parse("91350100m000100y43").unwrap();
        assert_eq!(c.as_str(), "91350100M000100Y43");
        let err = |s: &str| CreditCode::parse(s).unwrap_err().code;
        assert_eq!(err("91350100M000100Y4"), "credit_length");
        assert_eq!(err("91350100M000100I43"), "credit_chars");
        assert_eq!(err("9135O100M000100Y43"), "credit_chars");
        assert_eq!(err("91350100M000100Y44"), "credit_checksum");
        assert_eq!(err("91350100M000101Y43"), "credit_org_checksum");
        assert_eq!(err("913A0100M000100Y43"), "credit_region");
    }

    #[test]
    fn phones() {
        assert_eq!(Phone::parse("13812345678").unwrap().masked(), "138****5678");
        assert_eq!(
            Phone::parse(" 0631-7561001 ").unwrap().masked(),
            "0631-****001"
        );
        assert!(Phone::parse("010-12345678").is_ok());
        for bad in [
            "12812345678",
            "1381234567",
            "0631 7561001",
            "631-7561001",
            "0631-0561001",
            "12333",
            "138-1234-5678",
        ] {
            assert_eq!(Phone::parse(bad).unwrap_err().code, "phone_format", "{bad}");
        }
    }

    fn valid_id() -> impl Strategy<Value = String> {
        (
            prop::sample::select(PROVINCES.to_vec()),
            0u32..10000,
            NaiveDate::from_ymd_opt(1900, 1, 1)
                .unwrap()
                .num_days_from_ce()..today().num_days_from_ce(),
            0u32..1000,
        )
            .prop_map(|(p, rest, days, seq)| {
                let birth = NaiveDate::from_num_days_from_ce_opt(days).unwrap();
                with_check(&format!(
                    "{p:02}{rest:04}{}{seq:03}",
                    birth.format("%Y%m%d")
                ))
            })
    }

    fn valid_credit() -> impl Strategy<Value = String> {
        let ch = prop::sample::select(USCC_ALPHABET.to_vec());
        let org_ch = prop::sample::select(b"0123456789ABCDEFGHJKLMNPQRTUWXY".to_vec());
        (
            prop::sample::select(b"123456789ABCDEFGY".to_vec()),
            ch,
            100000u32..1000000,
            prop::collection::vec(org_ch, 8),
        )
            .prop_map(|(a, t, region, org)| {
                let mut v = vec![a, t];
                v.extend(format!("{region:06}").bytes());
                v.extend(&org);
                v.push(org_check_char(&org));
                v.push(uscc_check_char(&v));
                String::from_utf8(v).unwrap()
            })
    }

    /// Every number that differs from `s` by one substituted character or one swap of two
    /// different adjacent characters.
    fn neighbours(s: &str, alphabet: &[u8]) -> Vec<String> {
        let b = s.as_bytes();
        let mut out = Vec::new();
        for i in 0..b.len() {
            for &c in alphabet {
                if c != b[i] {
                    let mut v = b.to_vec();
                    v[i] = c;
                    out.push(String::from_utf8(v).unwrap());
                }
            }
            if i + 1 < b.len() && b[i] != b[i + 1] {
                let mut v = b.to_vec();
                v.swap(i, i + 1);
                out.push(String::from_utf8(v).unwrap());
            }
        }
        out
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]

        #[test]
        fn every_id_typo_is_caught(id in valid_id()) {
            prop_assert!(IdNumber::parse(&id, today()).is_ok(), "{}", id);
            for wrong in neighbours(&id, b"0123456789X") {
                prop_assert!(IdNumber::parse(&wrong, today()).is_err(), "{} accepted as a typo of {}", wrong, id);
            }
        }

        #[test]
        fn every_credit_code_typo_is_caught(code in valid_credit()) {
            prop_assert!(CreditCode::parse(&code).is_ok(), "{}", code);
            for wrong in neighbours(&code, USCC_ALPHABET) {
                prop_assert!(CreditCode::parse(&wrong).is_err(), "{} accepted as a typo of {}", wrong, code);
            }
        }
    }
}
