//! The PDFs as a reader sees them: text extracted by poppler's `pdftotext`, fonts by `pdffonts`.

use std::process::Command;

use chrono::NaiveDate;
use onewindow_documents::{AcceptanceReceipt, CjkFont, OneTimeNotice, PledgeLetter, RefusalNotice};

fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

/// Writes the PDF to target/documents/NAME (kept there for a look) and returns its text.
fn pdf_text(name: &str, pdf: &[u8]) -> String {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/documents");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, pdf).unwrap();
    let out = Command::new("pdftotext")
        .arg(&path)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let fonts = Command::new("pdffonts").arg(&path).output().unwrap();
    let fonts = String::from_utf8_lossy(&fonts.stdout).into_owned();
    let font_lines: Vec<&str> = fonts.lines().skip(2).collect();
    assert!(!font_lines.is_empty(), "no fonts: {fonts}");
    for l in &font_lines {
        // Columns: name type encoding emb sub uni object ID
        let cols: Vec<&str> = l.split_whitespace().collect();
        let emb = cols[cols.len() - 5];
        assert_eq!(emb, "yes", "font not embedded: {l}");
    }
    String::from_utf8(out.stdout).unwrap()
}

fn font() -> CjkFont {
    CjkFont::find().expect("fonts-noto-cjk is installed by make test")
}

#[test]
fn one_time_notice_lists_everything_with_the_legal_basis() {
    let notice = OneTimeNotice {
        office: "荣成市政务服务中心".into(),
        case_number: "RC01-20261127-0001".into(),
        item_name: "个体工商户设立登记".into(),
        applicant: "周建国（371082********1615）".into(),
        date: day("2026-11-27"),
        items: vec![
            "缺少「经营场所使用证明」（收原件及复印件，1 份）：请补齐".into(),
            "「经营者联系电话」有误：固定电话请带区号".into(),
        ],
        window: "市场准入 3 号窗口".into(),
        phone: "0631-7561001".into(),
    };
    let text = pdf_text("notice.pdf", &notice.render(&font()).unwrap());
    for expected in [
        "一次性告知书",
        "RC01-20261127-0001",
        "371082********1615",
        "1. 缺少「经营场所使用证明」",
        "2. 「经营者联系电话」有误",
        "第三十二条",
        "2026年11月27日",
    ] {
        assert!(text.contains(expected), "{expected:?} not in:\n{text}");
    }
    assert!(
        !text.contains("198410031615"),
        "the full ID number never appears"
    );
}

#[test]
fn receipt_shows_the_promised_date_the_calendar_note_and_a_qr() {
    let receipt = AcceptanceReceipt {
        office: "荣成市政务服务中心".into(),
        case_number: "RC01-20261231-0007".into(),
        item_name: "残疾人证新办".into(),
        applicant: "李秀英（371082********3340）".into(),
        accepted_on: day("2026-12-31"),
        materials: vec![
            "居民身份证（免提交：电子证照）".into(),
            "近期免冠照片（收原件，2 份）".into(),
        ],
        deferred: vec!["户口簿复印件，2027年01月08日前补交".into()],
        promised_days: 7,
        promised_date: day("2027-01-11"),
        calendar_note: Some(
            "注：2027年法定节假日安排尚未发布，办结日期按周一至周五计算，如遇节假日顺延。".into(),
        ),
        qr_payload: "https://hub.example/progress/RC01-20261231-0007".into(),
        query_code: "7K2Q9F".into(),
        window: "综合受理 5 号窗口".into(),
        phone: "0631-7561001".into(),
    };
    let pdf = receipt.render(&font()).unwrap();
    let text = pdf_text("receipt.pdf", &pdf);
    for expected in [
        "受理回执",
        "RC01-20261231-0007",
        "7K2Q9F",
        "承诺办结时限：7 个工作日，预计办结日期：2027年01月11日",
        "按周一至周五计算",
        "容缺受理",
        "1. 居民身份证（免提交：电子证照）",
    ] {
        assert!(text.contains(expected), "{expected:?} not in:\n{text}");
    }
}

#[test]
fn refusal_notice_gives_reason_and_basis() {
    let refusal = RefusalNotice {
        office: "荣成市政务服务中心".into(),
        case_number: "RC01-20261127-0002".into(),
        item_name: "公共场所卫生许可（新办）".into(),
        applicant: "荣成市海之韵水产食品有限公司".into(),
        date: day("2026-11-27"),
        reason: "申请事项不属于本机关职权范围".into(),
        basis: "《中华人民共和国行政许可法》第三十二条第一款第（二）项".into(),
    };
    let text = pdf_text("refusal.pdf", &refusal.render(&font()).unwrap());
    assert!(text.contains("不予受理通知书"), "{text}");
    assert!(text.contains("申请事项不属于本机关职权范围"), "{text}");
    assert!(text.contains("行政复议"), "{text}");
}

#[test]
fn pledge_letter_names_the_materials_and_the_check_date() {
    let pdf = PledgeLetter {
        office: "荣成市政务服务中心".into(),
        case_number: "RC01-20261127-0003".into(),
        item_name: "个体工商户设立登记".into(),
        applicant: "周建国 371082********1615".into(),
        date: day("2026-11-27"),
        materials: vec!["经营场所使用证明".into()],
        check_by: day("2026-12-25"),
    }
    .render(&font())
    .unwrap();
    let text = pdf_text("pledge-letter.pdf", &pdf);
    for want in [
        "告知承诺书",
        "1. 经营场所使用证明",
        "2026年12月25日",
        "申请人（签字）",
    ] {
        assert!(text.contains(want), "missing {want:?} in:\n{text}");
    }
}
