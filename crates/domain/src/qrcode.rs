//! 居民码 / 企业码 as a keyboard-wedge scanner types them. The scanner "types" the payload and an
//! Enter into whatever has focus, so the payload arrives as one line of text.
//!
//! The demo centre's codes carry a JSON object behind a scheme prefix:
//! `RESIDENT:{"name":"张三","id":"371082…","phone":"139…","address":"…"}` for a 居民码 and
//! `ENTERPRISE:{"name":"…","code":"91…","legal_rep":"…","phone":"…","address":"…"}` for a
//! 企业码. The number is checked (GB 11643 / GB 32100) before anything is filled.

use chrono::NaiveDate;
use serde::Deserialize;

use crate::applicant::{Applicant, ApplicantKind};
use crate::validate::{CreditCode, IdNumber};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QrError {
    pub code: QrProblem,
    pub message_zh: String,
}

/// Why a scanned line is not a usable 居民码/企业码.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum QrProblem {
    Empty,
    TooLong,
    Unknown,
    Damaged,
    BadNumber,
}

impl QrProblem {
    pub fn as_str(self) -> &'static str {
        match self {
            QrProblem::Empty => "qr_empty",
            QrProblem::TooLong => "qr_too_long",
            QrProblem::Unknown => "qr_unknown",
            QrProblem::Damaged => "qr_damaged",
            QrProblem::BadNumber => "qr_bad_number",
        }
    }
}

fn err(code: QrProblem, message_zh: impl Into<String>) -> QrError {
    QrError {
        code,
        message_zh: message_zh.into(),
    }
}

#[derive(Deserialize)]
struct Body {
    name: String,
    id: Option<String>,
    code: Option<String>,
    phone: Option<String>,
    address: Option<String>,
    legal_rep: Option<String>,
}

const MAX_LEN: usize = 2048;

/// Parses one scanned line into an applicant, or says why it cannot be used.
pub fn parse_applicant_code(text: &str, today: NaiveDate) -> Result<Applicant, QrError> {
    let text = text.trim().trim_start_matches('\u{feff}');
    if text.is_empty() {
        return Err(err(QrProblem::Empty, "没有读到码的内容，请重新扫码"));
    }
    if text.len() > MAX_LEN {
        return Err(err(QrProblem::TooLong, "码的内容过长，不是居民码或企业码"));
    }
    let (scheme, json) = text.split_once(':').ok_or_else(|| {
        err(
            QrProblem::Unknown,
            "不是居民码或企业码（无法识别的码），请改用身份证或手工录入",
        )
    })?;
    let kind = match scheme.trim().to_ascii_uppercase().as_str() {
        "RESIDENT" => ApplicantKind::Person,
        "ENTERPRISE" => ApplicantKind::Organisation,
        _ => {
            return Err(err(
                QrProblem::Unknown,
                "不是居民码或企业码（无法识别的码），请改用身份证或手工录入",
            ));
        }
    };
    let body: Body = serde_json::from_str(json).map_err(|_| {
        err(
            QrProblem::Damaged,
            "码的内容不完整或已损坏，请让申请人刷新后重新扫码",
        )
    })?;
    let clean = |s: Option<String>| s.map(|v| v.trim().to_string()).filter(|v| !v.is_empty());
    let name = body.name.trim().to_string();
    if name.is_empty() {
        return Err(err(
            QrProblem::Damaged,
            "码中没有姓名（名称），请让申请人刷新后重新扫码",
        ));
    }
    let number = match kind {
        ApplicantKind::Person => {
            let raw = clean(body.id)
                .ok_or_else(|| err(QrProblem::Damaged, "居民码中没有公民身份号码"))?;
            IdNumber::parse(&raw, today)
                .map_err(|e| {
                    err(
                        QrProblem::BadNumber,
                        format!("居民码中的公民身份号码有误：{}", e.message_zh),
                    )
                })?
                .as_str()
                .to_string()
        }
        ApplicantKind::Organisation => {
            let raw = clean(body.code)
                .ok_or_else(|| err(QrProblem::Damaged, "企业码中没有统一社会信用代码"))?;
            CreditCode::parse(&raw)
                .map_err(|e| {
                    err(
                        QrProblem::BadNumber,
                        format!("企业码中的统一社会信用代码有误：{}", e.message_zh),
                    )
                })?
                .as_str()
                .to_string()
        }
    };
    Ok(Applicant {
        kind,
        name,
        number,
        phone: clean(body.phone),
        address: clean(body.address),
        legal_rep: clean(body.legal_rep),
        agent: None,
        assist: None,
        card: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn today() -> NaiveDate {
        "2026-11-27".parse().unwrap()
    }

    #[test]
    fn resident_and_enterprise_codes_fill_the_applicant() {
        let a = parse_applicant_code(
            r#"RESIDENT:{"name":"张三","id":"371082198410031615","phone":"13906310001"}"#,
            today(),
        )
        .unwrap();
        assert_eq!(a.kind, ApplicantKind::Person);
        assert_eq!(a.number, "371082198410031615");
        assert_eq!(a.phone.as_deref(), Some("13906310001"));
        let e = parse_applicant_code(
            r#"enterprise:{"name":"荣成市某某商贸有限公司","code":"91350100m000100y43","legal_rep":"李四"}"#,
            today(),
        )
        .unwrap();
        assert_eq!(e.kind, ApplicantKind::Organisation);
        assert_eq!(e.number, "91350100M000100Y43");
        assert_eq!(e.legal_rep.as_deref(), Some("李四"));
    }

    #[test]
    fn bad_payloads_say_what_is_wrong() {
        let code = |t: &str| parse_applicant_code(t, today()).unwrap_err().code;
        assert_eq!(code(""), QrProblem::Empty);
        assert_eq!(code("https://example.com/pay?x=1"), QrProblem::Unknown);
        assert_eq!(code("RESIDENT:{\"name\":\"张三\""), QrProblem::Damaged);
        assert_eq!(
            code(r#"RESIDENT:{"name":"张三","id":"371082198410031616"}"#),
            QrProblem::BadNumber
        );
        assert_eq!(code(&"x".repeat(5000)), QrProblem::TooLong);
    }
}
