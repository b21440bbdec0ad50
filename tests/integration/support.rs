//! What the integration tests of desk and hub share: a desk on a test folder, an accepted
//! case, the mock keyring, an office client.

use std::path::Path;

use onewindow_app::Desk;
use onewindow_app::dto::{NewCaseRequest, SaveIntakeRequest};
use onewindow_tests::jpeg_variant;

pub(crate) fn mock_keyring() {
    keyring::set_default_credential_builder(keyring::mock::default_credential_builder());
}

pub(crate) fn desk(dir: &Path, hub_url: String) -> std::sync::Arc<Desk> {
    Desk::open(onewindow_tests::test_desk_config(dir, hub_url))
}

/// An accepted 居民身份证换领 with two scanned pages; returns its number.
pub(crate) async fn accepted_case(d: &Desk, n: u32) -> String {
    let v = d
        .new_case(&NewCaseRequest {
            item_code: Some("00017200100002".into()),
            scenario_code: Some("00017200100002-01".into()),
            bundle_code: None,
        })
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    for slot in 0..2u32 {
        let p = dir.path().join(format!("page-{n}-{slot}.jpg"));
        std::fs::write(&p, jpeg_variant(n * 10 + slot)).unwrap();
        d.select_slot(&v.id, Some(slot)).unwrap();
        d.import_files(&v.id, &[p]).unwrap();
    }
    let applicant = onewindow_app::dto::ApplicantInput {
        kind: onewindow_domain::applicant::ApplicantKind::Person,
        name: "徐志强".into(),
        number: "371082199906080810".into(),
        phone: "13906310001".into(),
        ..Default::default()
    };
    let form = [
        ("name", "徐志强"),
        ("id_number", "371082199906080810"),
        ("mobile", "13906310001"),
        ("delivery", "窗口领取"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    d.save_intake(&SaveIntakeRequest {
        case_id: v.id.clone(),
        applicant,
        form,
    })
    .await
    .unwrap();
    let v = d.accept_case(&v.id).unwrap();
    assert_eq!(
        v.state,
        onewindow_app::dto::CaseState::Accepted,
        "{:?}",
        v.review.findings
    );
    v.number
}

pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    format!("{:x}", sha2::Sha256::digest(bytes))
}

/// An approver's browser session: a cookie jar, no redirects followed.
pub(crate) fn office_client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}
