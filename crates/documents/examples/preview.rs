//! Writes sample documents to target/documents/ for a look: `cargo run -p onewindow-documents --example preview`.

use chrono::NaiveDate;
use onewindow_documents::{AcceptanceReceipt, CjkFont, OneTimeNotice};

fn main() {
    let out = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/documents");
    std::fs::create_dir_all(&out).unwrap();
    let font = CjkFont::find().unwrap();
    let day = |s: &str| s.parse::<NaiveDate>().unwrap();
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
        qr_payload: "http://127.0.0.1:8470/progress/RC01-20261231-0007".into(),
        query_code: "7K2Q9F".into(),
        window: "综合受理 5 号窗口".into(),
        phone: "0631-7561001".into(),
    };
    std::fs::write(out.join("receipt.pdf"), receipt.render(&font).unwrap()).unwrap();
    let notice = OneTimeNotice {
        office: "荣成市政务服务中心".into(),
        case_number: "RC01-20261127-0001".into(),
        item_name: "个体工商户设立登记".into(),
        applicant: "周建国（371082********1615）".into(),
        date: day("2026-11-27"),
        items: vec![
            "缺少「经营场所使用证明」（收原件及复印件，1 份）：请补齐，或由申请人签署告知承诺书".into(),
            "「经营者联系电话」有误：电话“631-7561001”格式不对：手机为 11 位数字（1 开头），固定电话请带区号，如 0631-7561001".into(),
        ],
        window: "市场准入 3 号窗口".into(),
        phone: "0631-7561001".into(),
    };
    std::fs::write(out.join("notice.pdf"), notice.render(&font).unwrap()).unwrap();
    println!("wrote {}", out.display());
}
