//! Snapshots of the case screen's view (`CaseView`, the window's view mapping) at the states a
//! clerk sees most: a draft with its applicant and a scan in a material, and the same case
//! accepted. What changes from run to run (ids, times, the test's folders, thumbnails) is
//! replaced by a placeholder; everything else is compared whole. `UPDATE_EXPECT=1` rewrites
//! the snapshots after an intended change.

use expect_test::{ExpectFile, expect_file};
use regex_lite::Regex;

use super::*;

/// Ids, instants and clock times, the test's temporary folders, and the names of archived
/// documents (a PDF's bytes, so its hash, carry the moment it was made).
static VARYING: std::sync::LazyLock<[(Regex, &str); 4]> = std::sync::LazyLock::new(|| {
    [
        (Regex::new(r"-[0-9a-f]{12}\.pdf").unwrap(), "-<sha>.pdf"),
        (
            Regex::new(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}").unwrap(),
            "<id>",
        ),
        (Regex::new(r"/tmp/\.tmp\w+").unwrap(), "<tmp>"),
        (
            Regex::new(
                r"\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2})?(\.\d+)?Z?|\b\d{2}:\d{2}(:\d{2})?\b",
            )
            .unwrap(),
            "<time>",
        ),
    ]
});

/// The view as JSON with what varies between runs replaced.
fn normalised(v: &CaseView, hot: &Path) -> String {
    fn walk(v: &mut serde_json::Value, hot: &str, tmp: &str) {
        match v {
            serde_json::Value::String(s) => {
                let mut t = s.replace(hot, "<hot folder>").replace(tmp, "<tmp>");
                if t.starts_with("data:image/png;base64,") {
                    t = "<png>".into();
                }
                for (re, with) in VARYING.iter() {
                    t = re.replace_all(&t, *with).into_owned();
                }
                *s = t;
            }
            serde_json::Value::Array(a) => a.iter_mut().for_each(|x| walk(x, hot, tmp)),
            serde_json::Value::Object(o) => o.values_mut().for_each(|x| walk(x, hot, tmp)),
            _ => {}
        }
    }
    let mut j = serde_json::to_value(v).unwrap();
    // The test's folder, wherever the system keeps temporary folders.
    let tmp = hot
        .parent()
        .expect("the hot folder is in the test's folder");
    walk(
        &mut j,
        &hot.display().to_string(),
        &tmp.display().to_string(),
    );
    // Revisions and counters that depend on how fast the desk was.
    if let Some(o) = j.as_object_mut() {
        o.remove("revision");
    }
    serde_json::to_string_pretty(&j).unwrap() + "\n"
}

fn check(v: &CaseView, hot: &Path, snapshot: ExpectFile) {
    snapshot.assert_eq(&normalised(v, hot));
}

#[tokio::test(flavor = "multi_thread")]
async fn the_case_view_of_a_draft_and_of_the_accepted_case() {
    let tmp = tempfile::tempdir().unwrap();
    let hub = HubProcess::start(&demo_hub_data_with_elicences(tmp.path()));
    let w = signed_in_window(tmp.path(), &hub, "2026-11-27").await;
    let d = &w.desk;
    let v = d.new_case(&item("00017200100002")).unwrap();
    let case = v.id.clone();
    d.set_scenario(&case, None, "00017200100002-01").unwrap();
    d.save_intake(&SaveIntakeRequest {
        case_id: case.clone(),
        applicant: person("徐志强", "371082199906080810", "13906310001"),
        form: form(&[
            ("name", "徐志强"),
            ("id_number", "371082199906080810"),
            ("mobile", "13906310001"),
            ("delivery", "窗口领取"),
        ]),
    })
    .await
    .unwrap();
    d.select_slot(&case, Some(0)).unwrap();
    std::fs::write(w.hot.join("原身份证.jpg"), jpeg_variant(71)).unwrap();
    let v = wait_for(d, &case, |v| !v.materials[0].files.is_empty());
    check(&v, &w.hot, expect_file!["snapshots/case_view_draft.json"]);

    d.select_slot(&case, Some(1)).unwrap();
    std::fs::write(w.hot.join("申领登记表.jpg"), jpeg_variant(72)).unwrap();
    wait_for(d, &case, |v| !v.materials[1].files.is_empty());
    let v = d.accept_case(&case).unwrap();
    assert_eq!(
        v.state,
        onewindow_app::dto::CaseState::Accepted,
        "{:?}",
        v.review.findings
    );
    check(
        &v,
        &w.hot,
        expect_file!["snapshots/case_view_accepted.json"],
    );
}
