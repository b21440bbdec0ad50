//! The window's acceptance flow through the desk's services, as the UI calls them: a real hub
//! (catalog, calendar, e-licence registry), a real cache file, the real hot-folder thread,
//! PDFs read back with poppler, printing to a folder.

use onewindow_app::dto::ErrorCode;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use onewindow_app::dto::{
    ApplicantInput, CaseView, ELicenceState, NewCaseRequest, SaveIntakeRequest,
};
use onewindow_app::print::PrintTarget;
use onewindow_app::{Desk, DeskConfig};
use onewindow_proto::OpKind;
use onewindow_tests::{
    HubProcess, dead_port_url, demo_hub_data_with_elicences, jpeg_variant, pdf_text, scan_fixture,
    write_slowly,
};

struct Window {
    desk: Arc<Desk>,
    hot: PathBuf,
    printed: PathBuf,
    data: PathBuf,
}

impl Drop for Window {
    fn drop(&mut self) {
        self.desk.stop_intake();
    }
}

fn config(dir: &Path, hub_url: String, today: &str) -> DeskConfig {
    DeskConfig {
        sync_interval: Duration::from_secs(3600),
        desk_code: "RC01".into(),
        clerk: "李窗口".into(),
        hot_folder: dir.join("scans"),
        printer: PrintTarget::Folder(dir.join("printed")),
        card_reader_dir: Some(dir.join("card")),
        clock: onewindow_domain::clock::Clock::starting_on(today.parse().unwrap()),
        cache_key: onewindow_app::cache_key::CacheKey::Fixed(onewindow_tests::TEST_CACHE_KEY),
        ..DeskConfig::new(dir.join("desk"), hub_url)
    }
}

/// A desk that has pulled the demo catalog and calendar, watching its hot folder.
async fn window(dir: &Path, hub: &HubProcess, today: &str) -> Window {
    let cfg = config(dir, hub.url(), today);
    let desk = Desk::open(cfg.clone());
    assert!(desk.sync_once().await.unwrap());
    desk.start_intake();
    Window {
        desk,
        hot: cfg.hot_folder,
        printed: dir.join("printed"),
        data: cfg.data_dir,
    }
}

/// Like [`window`], enrolled with the hub as RC01 and its clerk 李窗口 signed in through the
/// hub: what an e-licence lookup needs.
async fn signed_in_window(dir: &Path, hub: &HubProcess, today: &str) -> Window {
    crate::support::mock_keyring();
    let w = window(dir, hub, today).await;
    onewindow_tests::add_user(&hub.data, "李窗口", "clerk", "window clerk pass");
    let code = onewindow_tests::code_in(&onewindow_tests::hub_cli(&[
        "enrol",
        "--data",
        hub.data.to_str().unwrap(),
        "--desk",
        "受理窗口",
        "--desk-code",
        "RC01",
    ]));
    w.desk.enrol(&hub.url(), &code, "").await.unwrap();
    w.desk.login("李窗口", "window clerk pass").await.unwrap();
    w
}

fn person(name: &str, number: &str, phone: &str) -> ApplicantInput {
    ApplicantInput {
        kind: onewindow_domain::applicant::ApplicantKind::Person,
        name: name.into(),
        number: number.into(),
        phone: phone.into(),
        ..Default::default()
    }
}

fn item(code: &str) -> NewCaseRequest {
    NewCaseRequest {
        item_code: Some(code.into()),
        scenario_code: None,
        bundle_code: None,
    }
}

fn form(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// Polls the case as the UI does until `done` holds (10 s at most).
fn wait_for(desk: &Desk, case_id: &str, done: impl Fn(&CaseView) -> bool) -> CaseView {
    let start = Instant::now();
    loop {
        let v = desk.poll_case(case_id, 0).unwrap().unwrap();
        if done(&v) {
            return v;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "timed out; last view: materials {:?} tray {:?} quarantined {:?}",
            v.materials
                .iter()
                .map(|m| m.files.len())
                .collect::<Vec<_>>(),
            v.tray.len(),
            v.quarantined
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn codes(v: &CaseView) -> Vec<(String, String)> {
    v.review
        .findings
        .iter()
        .map(|f| (f.code.clone(), f.target.clone()))
        .collect()
}

fn printed(dir: &Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|d| d.map(|e| e.unwrap().path()).collect())
        .unwrap_or_default();
    v.sort();
    v
}

fn printed_kind(dir: &Path, kind: &str) -> PathBuf {
    printed(dir)
        .into_iter()
        .find(|p| p.file_name().unwrap().to_string_lossy().starts_with(kind))
        .unwrap_or_else(|| panic!("no {kind} printed in {}", dir.display()))
}

#[tokio::test(flavor = "multi_thread")]
async fn scans_notice_correction_and_acceptance_with_receipt() {
    let tmp = tempfile::tempdir().unwrap();
    let hub = HubProcess::start(&demo_hub_data_with_elicences(tmp.path()));
    let w = signed_in_window(tmp.path(), &hub, "2026-11-27").await;
    let d = &w.desk;

    // 居民身份证换领 has two scenarios: the clerk must choose one first.
    let v = d.new_case(&item("00017200100002")).unwrap();
    assert_eq!(v.number, "RC01-20261127-0001");
    assert_eq!(v.state, onewindow_app::dto::CaseState::Draft);
    assert!(v.scenario_code.is_none());
    assert!(codes(&v).contains(&("no_scenario".into(), "case".into())));
    let v = d.set_scenario(&v.id, None, "00017200100002-01").unwrap();
    assert_eq!(v.materials.len(), 2);
    assert_eq!(
        v.promised_date.as_deref(),
        Some("2026-12-25"),
        "20 working days"
    );
    let case = v.id.clone();

    // Applicant with a valid number; the e-licence registry is asked while online.
    let v = d
        .save_intake(&SaveIntakeRequest {
            case_id: case.clone(),
            applicant: person("徐志强", "371082199906080810", "13906310001"),
            form: form(&[("name", "徐志强"), ("id_number", "371082199906080810")]),
        })
        .await
        .unwrap();
    assert_eq!(v.elicence.state, ELicenceState::Found, "{:?}", v.elicence);
    assert!(v.elicence.licences.iter().any(|l| l.contains("居民身份证")));
    // A mistyped number: the first person's licences no longer speak for the case.
    let v = d
        .save_intake(&SaveIntakeRequest {
            case_id: case.clone(),
            applicant: person("徐志强", "371082199906080811", "13906310001"),
            form: BTreeMap::new(),
        })
        .await
        .unwrap();
    assert_eq!(v.elicence.state, ELicenceState::NotLookedUp);
    assert!(codes(&v).contains(&("applicant_number_invalid".into(), "applicant:number".into())));
    let v = d
        .save_intake(&SaveIntakeRequest {
            case_id: case.clone(),
            applicant: person("徐志强", "371082199906080810", "13906310001"),
            form: form(&[("name", "徐志强"), ("id_number", "371082199906080810")]),
        })
        .await
        .unwrap();
    assert_eq!(v.elicence.state, ELicenceState::Found);

    // A page written slowly into the hot folder lands in the selected slot with a thumbnail.
    d.select_slot(&case, Some(0)).unwrap();
    write_slowly(
        &w.hot.join("原身份证 正面.jpg"),
        &std::fs::read(scan_fixture("page.jpg")).unwrap(),
        Duration::from_millis(30),
    );
    let v = wait_for(d, &case, |v| !v.materials[0].files.is_empty());
    let f = &v.materials[0].files[0];
    assert_eq!(f.name, "原身份证 正面.jpg");
    assert!(
        f.thumbnail
            .as_deref()
            .unwrap()
            .starts_with("data:image/png;base64,")
    );
    // The file is taken out of the hot folder once sealed (the view may show it a moment
    // before the original is removed).
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while w.hot.join("原身份证 正面.jpg").exists() && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(
        !w.hot.join("原身份证 正面.jpg").exists(),
        "taken out of the hot folder"
    );
    assert_eq!(
        v.materials[0].status,
        onewindow_app::dto::MaterialStatus::Provided
    );

    // Pre-review lists everything missing at once.
    let missing = codes(&v);
    assert!(
        missing.contains(&("material_missing".into(), "material:1".into())),
        "{missing:?}"
    );
    assert!(missing.contains(&("field_required".into(), "field:mobile".into())));
    assert!(missing.contains(&("field_required".into(), "field:delivery".into())));
    assert!(!v.review.can_accept);
    assert!(
        d.accept_case(&case).is_err(),
        "cannot accept with blocking findings"
    );

    // The one-time notice: printed, archived, every item in it, the legal basis.
    let v = d.issue_notice(&case).unwrap();
    assert_eq!(v.state, onewindow_app::dto::CaseState::NeedsCorrection);
    assert!(v.flash.as_ref().unwrap().ok, "{:?}", v.flash);
    let notice = pdf_text(&printed_kind(&w.printed, "one_time_notice"));
    for want in [
        "一次性告知书",
        "RC01-20261127-0001",
        "居民身份证换领",
        "居民身份证申领登记表",
        "联系电话",
        "领证方式",
        "第三十二条",
        "371082********0810",
    ] {
        assert!(notice.contains(want), "notice lacks {want:?}:\n{notice}");
    }
    assert!(
        !notice.contains("371082199906080810"),
        "the number is masked on paper"
    );
    assert_eq!(v.documents.len(), 1);
    assert!(d.issue_notice(&case).is_err(), "not twice");
    let preview = d.preview_document(v.documents[0].id).unwrap();
    assert_eq!(preview.page_count, 1);
    assert!(preview.pages[0].starts_with("data:image/png;base64,"));

    // The applicant comes back: same number, same materials.
    let v = d.reopen_case(&case).unwrap();
    assert_eq!(
        (v.state, v.number.as_str()),
        (onewindow_app::dto::CaseState::Draft, "RC01-20261127-0001")
    );
    assert_eq!(v.materials[0].files.len(), 1);

    // Import from file into slot 1; the same page again is not a second file.
    d.select_slot(&case, Some(1)).unwrap();
    let v = d.import_files(&case, &[scan_fixture("page.png")]).unwrap();
    assert_eq!(v.materials[1].files.len(), 1);
    assert!(scan_fixture("page.png").exists(), "the original stays");
    d.select_slot(&case, Some(0)).unwrap();
    let v = d.import_files(&case, &[scan_fixture("page.jpg")]).unwrap();
    assert_eq!(
        v.materials[0].files.len(),
        1,
        "de-duplicated within the case"
    );

    let v = d
        .save_intake(&SaveIntakeRequest {
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
    assert!(v.review.can_accept, "{:?}", codes(&v));

    let v = d.accept_case(&case).unwrap();
    assert_eq!(v.state, onewindow_app::dto::CaseState::Accepted);
    assert!(!v.editable);
    assert_eq!(
        v.applicant.number, "371082********0810",
        "masked outside the draft"
    );
    let id_field = v.fields.iter().find(|f| f.key == "id_number").unwrap();
    assert_eq!(id_field.value, "371082********0810");
    assert_eq!(v.elicence.state, ELicenceState::NotKept);
    let dto = serde_json::to_string(&v).unwrap();
    assert!(
        !dto.contains("371082199906080810"),
        "no whole ID number reaches the UI"
    );
    let receipt = pdf_text(&printed_kind(&w.printed, "acceptance_receipt"));
    for want in [
        "受理回执",
        "RC01-20261127-0001",
        "2026年12月25日",
        "原居民身份证",
        "居民身份证申领登记表",
        "371082********0810",
    ] {
        assert!(receipt.contains(want), "receipt lacks {want:?}:\n{receipt}");
    }
    assert!(!receipt.contains("周一至周五"), "2026 is published");
    assert!(
        d.save_intake(&SaveIntakeRequest {
            case_id: case.clone(),
            applicant: person("x", "y", "z"),
            form: BTreeMap::new(),
        })
        .await
        .is_err()
    );

    // Accepting twice says why, in the clerk's words.
    let err = d.accept_case(&case).unwrap_err();
    assert!(err.message.contains("已受理"), "{err:?}");
    // The case left the window: the next applicant's scan, arriving before their case is
    // open, lands in no case by itself; the clerk puts it into the new one.
    std::fs::write(w.hot.join("下一位.jpg"), jpeg_variant(77)).unwrap();
    let next = d.new_case(&item("00017200100002")).unwrap();
    let next = wait_for(d, &next.id, |v| v.waiting_scans.len() == 1);
    assert!(next.tray.is_empty());
    assert_eq!(next.waiting_scans[0].name, "下一位.jpg");
    let next = d
        .attach_waiting_scan(&next.id, next.waiting_scans[0].id, None)
        .unwrap();
    assert_eq!(next.tray[0].name, "下一位.jpg");
    assert_eq!(d.open_case(&case).unwrap().materials[0].files.len(), 1);

    // The hand-off op committed with the state; the events tell the story.
    let store = onewindow_tests::desk_store(&w.data.join("cache.db"));
    let ops = store.outbox().unwrap();
    let kinds: Vec<&str> = ops.iter().map(|o| o.kind.as_str()).collect();
    // First the desk told its hub which release it runs (at its first push).
    assert_eq!(
        kinds,
        [
            OpKind::ReleaseReported.as_str(),
            OpKind::NoticeIssued.as_str(),
            OpKind::HandOff.as_str()
        ]
    );
    let ops = &ops[1..];
    assert_eq!(ops[0].payload["number"], "RC01-20261127-0001");
    assert_eq!(
        ops[0].payload["ticket_id"],
        serde_json::Value::Null,
        "no queue here"
    );
    let ops = &ops[1..];
    assert_eq!(ops[0].payload["number"], "RC01-20261127-0001");
    assert_eq!(ops[0].payload["attachments"].as_array().unwrap().len(), 2);
    assert_eq!(ops[0].payload["promised_date"], "2026-12-25");
    let actions: Vec<String> = v.events.iter().map(|e| e.action_label.clone()).collect();
    assert_eq!(
        actions,
        ["创建办件", "出具一次性告知书", "重新办理", "受理"]
    );
    assert!(
        v.events
            .iter()
            .all(|e| e.desk == "RC01" && e.actor == "李窗口")
    );
    // The e-licence lookup is not kept once the case has left the window.
    assert!(store.elicences(&case).unwrap().is_none());
    hub.kill();
}

#[tokio::test(flavor = "multi_thread")]
async fn pledges_open_items_overrides_and_the_follow_up_list() {
    let tmp = tempfile::tempdir().unwrap();
    let hub = HubProcess::start(&demo_hub_data_with_elicences(tmp.path()));
    // Late in the year: 3 working days reach into 2027, which the hub has not published.
    let w = window(tmp.path(), &hub, "2026-12-30").await;
    let d = &w.desk;

    // 建筑工程施工许可证核发: a pledgeable proof and a 容缺 material.
    let v = d.new_case(&item("000116001000")).unwrap();
    let case = v.id.clone();
    assert_eq!(v.scenario_code.as_deref(), Some("000116001000-01"));
    assert!(v.calendar_note.as_deref().unwrap().contains("周一至周五"));
    let builder = ApplicantInput {
        kind: onewindow_domain::applicant::ApplicantKind::Organisation,
        name: "荣成市好运角旅游发展有限公司".into(),
        number: "91371082MA26TH8R2A".into(),
        phone: "0631-7561001".into(),
        legal_rep: "王海".into(),
        ..Default::default()
    };
    let fields = form(&[
        ("project_code", "2026-371082-48-01-000123"),
        ("project_name", "好运角游客中心"),
        ("builder_credit_code", "91371082MA26TH8R2A"),
        ("contractor_credit_code", "91371082MAWHU25H0K"),
        ("contract_price", "约一千万"),
        ("floor_area", "5200"),
        ("planned_start", "2027-03-01"),
        ("mobile", "13906310001"),
    ]);
    d.save_intake(&SaveIntakeRequest {
        case_id: case.clone(),
        applicant: builder,
        form: fields,
    })
    .await
    .unwrap();
    // Scans for every material except the pledgeable proof (2) and the 容缺 one (5).
    for (slot, n) in [(0u32, 1u32), (1, 2), (3, 3), (4, 4), (6, 6)] {
        d.select_slot(&case, Some(slot)).unwrap();
        std::fs::write(w.hot.join(format!("scan-{n}.jpg")), jpeg_variant(n)).unwrap();
        wait_for(d, &case, |v| !v.materials[slot as usize].files.is_empty());
    }
    // A file that is no scan goes to quarantine with the reason, nothing lost.
    std::fs::write(w.hot.join("合同.pdf"), b"this is not a PDF").unwrap();
    std::fs::write(w.hot.join("empty.jpg"), b"").unwrap();
    let v = wait_for(d, &case, |v| v.quarantined.len() >= 2);
    assert!(
        v.quarantined
            .iter()
            .any(|q| q.name == "合同.pdf" && q.reason.contains("不支持"))
    );
    assert!(
        v.quarantined
            .iter()
            .any(|q| q.name == "empty.jpg" && q.reason.contains("0 字节"))
    );
    assert!(Path::new(&v.quarantined[0].path).exists());

    let c = codes(&v);
    assert!(
        c.contains(&("material_missing".into(), "material:2".into())),
        "{c:?}"
    );
    assert!(c.contains(&("material_deferred".into(), "material:5".into())));
    assert!(c.contains(&("field_invalid".into(), "field:contract_price".into())));
    assert_eq!(
        v.materials[5].status,
        onewindow_app::dto::MaterialStatus::Deferred
    );

    // Pledge the proof: a pledge letter is printed for signature.
    assert!(d.set_pledge(&case, 0, true).is_err(), "not pledgeable");
    let v = d.set_pledge(&case, 2, true).unwrap();
    assert_eq!(
        v.materials[2].status,
        onewindow_app::dto::MaterialStatus::Pledged
    );
    let letter = pdf_text(&printed_kind(&w.printed, "pledge"));
    assert!(letter.contains("告知承诺书") && letter.contains("施工场地已经基本具备施工条件的证明"));

    // A blocking finding is overridden only with a written reason, which is kept.
    let key = "field_invalid@field:contract_price";
    assert!(d.set_override(&case, key, Some("  ")).is_err());
    let v = d
        .set_override(&case, key, Some("申请人书面说明合同价格待定，以合同为准"))
        .unwrap();
    assert!(v.review.can_accept, "{:?}", codes(&v));
    assert_eq!(v.review.deferred, 1);

    let v = d.accept_case(&case).unwrap();
    assert_eq!(v.state, onewindow_app::dto::CaseState::Accepted);
    let receipt = pdf_text(&printed_kind(&w.printed, "acceptance_receipt"));
    assert!(receipt.contains("周一至周五"), "{receipt}");
    assert!(
        receipt.contains("工程质量安全监督手续"),
        "open item on the receipt"
    );
    assert!(
        receipt.contains("91371082MA26TH8R2A"),
        "a credit code is public"
    );

    // Follow-ups: the open 容缺 item and the pledge check, on the case and on the work list.
    assert_eq!(v.follow_ups.len(), 2);
    let list = d.follow_ups(true).unwrap();
    assert_eq!(list.len(), 2);
    let owed = list
        .iter()
        .find(|f| f.kind == onewindow_app::dto::FollowUpKind::DeferredMaterial)
        .unwrap();
    assert_eq!(owed.material, "工程质量安全监督手续");
    assert_eq!(owed.due, "2027-01-06", "5 weekdays after 2026-12-30");
    assert!(
        list.iter()
            .any(|f| f.kind == onewindow_app::dto::FollowUpKind::PledgeCheck
                && f.item_name == "建筑工程施工许可证核发")
    );

    // The owed material arrives: attached to its slot, the item closed.
    d.select_slot(&case, Some(5)).unwrap();
    let v = d
        .import_files(&case, &[scan_fixture("two-pages.pdf")])
        .unwrap();
    assert_eq!(v.materials[5].files[0].pages, Some(2));
    assert!(d.close_follow_up(owed.id, " ").is_err());
    let open = d.close_follow_up(owed.id, "已收到原件并扫描").unwrap();
    assert_eq!(open.len(), 1);

    let store = onewindow_tests::desk_store(&w.data.join("cache.db"));
    let ops = store.outbox().unwrap();
    assert_eq!(
        ops.iter().map(|o| o.kind.as_str()).collect::<Vec<_>>(),
        // The owed file itself, then the clerk's note closing the open item.
        [
            OpKind::HandOff.as_str(),
            OpKind::MaterialAdded.as_str(),
            OpKind::MaterialArrived.as_str()
        ]
    );
    assert_eq!(
        ops[0].payload["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["key"] == key)
            .unwrap()["overridden"],
        "申请人书面说明合同价格待定，以合同为准"
    );
    hub.kill();
}

#[tokio::test(flavor = "multi_thread")]
async fn bundle_case_has_one_form_and_does_not_ask_what_its_members_issue() {
    let tmp = tempfile::tempdir().unwrap();
    let hub = HubProcess::start(&demo_hub_data_with_elicences(tmp.path()));
    let w = window(tmp.path(), &hub, "2026-11-27").await;
    let d = &w.desk;
    let v = d
        .new_case(&NewCaseRequest {
            item_code: None,
            scenario_code: None,
            bundle_code: Some("YJS371082002".into()),
        })
        .unwrap();
    assert!(v.is_bundle);
    assert_eq!(v.title, "新生儿出生一件事");
    assert_eq!(v.members.len(), 5);
    assert!(
        v.members
            .iter()
            .all(|m| m.number.starts_with("RC01-20261127-")),
        "each member has its own number"
    );
    // The social-security card member defaults to its newborn scenario.
    let card = v
        .members
        .iter()
        .find(|m| m.item_code == "000119003000")
        .unwrap();
    assert_eq!(card.scenario_code.as_deref(), Some("000119003000-02"));
    let keys: Vec<&str> = v.fields.iter().map(|f| f.key.as_str()).collect();
    let mut unique = keys.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(keys.len(), unique.len(), "one form");
    let baby_id = v.fields.iter().find(|f| f.key == "baby_id").unwrap();
    assert_eq!(baby_id.produced_by.as_deref(), Some("出生登记"));
    assert!(!codes(&v).iter().any(|(_, t)| t == "field:baby_id"));
    let certs: Vec<_> = v
        .materials
        .iter()
        .filter(|m| m.name == "出生医学证明")
        .collect();
    assert_eq!(certs.len(), 1, "one material set");
    assert_eq!(
        certs[0].status,
        onewindow_app::dto::MaterialStatus::Produced
    );
    // Delivered once, when every member is decided: not before.
    let err = d.deliver_case(&v.id, false, "").unwrap_err();
    assert_eq!(err.code, ErrorCode::BundleNotReady);
    assert!(err.message.contains("出生登记"), "{}", err.message);
    hub.kill();
}

/// A 2×2 24-bit BMP, as card readers write the photo (bigger in life).
fn bmp() -> Vec<u8> {
    let mut b = Vec::new();
    b.extend_from_slice(b"BM");
    b.extend_from_slice(&(54u32 + 16).to_le_bytes());
    b.extend_from_slice(&[0; 4]);
    b.extend_from_slice(&54u32.to_le_bytes());
    b.extend_from_slice(&40u32.to_le_bytes());
    b.extend_from_slice(&2i32.to_le_bytes());
    b.extend_from_slice(&2i32.to_le_bytes());
    b.extend_from_slice(&1u16.to_le_bytes());
    b.extend_from_slice(&24u16.to_le_bytes());
    b.extend_from_slice(&[0; 24]);
    b.extend_from_slice(&[200, 180, 160, 90, 80, 70, 0, 0]);
    b.extend_from_slice(&[20, 40, 60, 250, 250, 250, 0, 0]);
    b
}

#[tokio::test(flavor = "multi_thread")]
async fn id_card_reader_and_applicant_codes_fill_the_applicant() {
    let tmp = tempfile::tempdir().unwrap();
    let hub = HubProcess::start(&demo_hub_data_with_elicences(tmp.path()));
    let w = signed_in_window(tmp.path(), &hub, "2026-11-27").await;
    let d = &w.desk;
    let v = d.new_case(&item("00017200100002")).unwrap();
    let case = v.id.clone();

    let err = d.read_id_card(&case).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::NoCard, "{err:?}");
    let card_dir = tmp.path().join("card");
    std::fs::create_dir_all(&card_dir).unwrap();
    std::fs::write(
        card_dir.join("wz.txt"),
        "高海燕\n男\n汉\n19710709\n山东省荣成市崖头街道成山大道1号\n371082197107090837\n荣成市公安局\n20200701\n长期\n",
    )
    .unwrap();
    std::fs::write(card_dir.join("zp.bmp"), bmp()).unwrap();
    let v = d.read_id_card(&case).await.unwrap();
    assert_eq!(v.applicant.name, "高海燕");
    assert_eq!(
        v.applicant.number, "371082197107090837",
        "typed fields are not masked in a draft"
    );
    assert_eq!(v.applicant.address, "山东省荣成市崖头街道成山大道1号");
    let c = v.card.as_ref().unwrap();
    assert_eq!((c.sex.as_str(), c.ethnicity.as_str()), ("男", "汉"));
    assert_eq!(c.authority, "荣成市公安局");
    assert_eq!(c.validity, "2020.07.01-长期");
    assert!(c.photo.as_deref().unwrap().starts_with("data:image/png"));
    assert!(
        v.tray.is_empty(),
        "the photo is the applicant's, not an unsorted scan"
    );
    assert_eq!(v.elicence.state, ELicenceState::Found);

    // An expired card is refused with the reason.
    std::fs::write(
        card_dir.join("wz.txt"),
        "郭磊\n男\n汉\n19850824\n山东省荣成市\n371082198508247318\n荣成市公安局\n20110630\n20210630\n",
    )
    .unwrap();
    let err = d.read_id_card(&case).await.unwrap_err();
    assert!(err.message.contains("过期"), "{err:?}");
    assert_eq!(
        d.open_case(&case).unwrap().applicant.name,
        "高海燕",
        "nothing changed"
    );

    // 居民码 / 企业码 from the keyboard-wedge scanner.
    let err = d
        .apply_applicant_code(
            &case,
            r#"RESIDENT:{"name":"张三","id":"371082198410031616"}"#,
        )
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::QrBadNumber);
    let v = d
        .apply_applicant_code(
            &case,
            r#"RESIDENT:{"name":"张丽","id":"371082199507273340","phone":"13906310002"}"#,
        )
        .await
        .unwrap();
    assert_eq!(v.applicant.name, "张丽");
    assert_eq!(v.applicant.phone, "13906310002");
    assert!(v.flash.unwrap().text.contains("居民码"));
    hub.kill();
}

#[tokio::test(flavor = "multi_thread")]
async fn offline_the_window_still_works_and_says_the_registry_is_unreachable() {
    let tmp = tempfile::tempdir().unwrap();
    let hub = HubProcess::start(&demo_hub_data_with_elicences(tmp.path()));
    let w = window(tmp.path(), &hub, "2026-11-27").await;
    w.desk.stop_intake();
    hub.kill();
    drop(w);
    let d = Desk::open(config(tmp.path(), dead_port_url(), "2026-11-27"));
    let v = d.new_case(&item("00017200100002")).unwrap();
    assert_eq!(v.number, "RC01-20261127-0001");
    let v = d
        .save_intake(&SaveIntakeRequest {
            case_id: v.id.clone(),
            applicant: person("徐志强", "371082199906080810", "13906310001"),
            form: BTreeMap::new(),
        })
        .await
        .unwrap();
    assert_eq!(v.elicence.state, ELicenceState::Offline);
    assert!(
        v.elicence.message.contains("纸质"),
        "{}",
        v.elicence.message
    );
    // A second case the same day gets the next number, offline too.
    assert_eq!(
        d.new_case(&item("00017200100002")).unwrap().number,
        "RC01-20261127-0002"
    );
}

/// The status bar follows the desk without the window asking each second: the feed sends the
/// status at start, nothing while nothing changes, and a change (the hub gone) once.
#[tokio::test(flavor = "multi_thread")]
async fn the_status_feed_sends_only_what_changed() {
    use onewindow_app::dto::Connectivity;
    let tmp = tempfile::tempdir().unwrap();
    let hub = HubProcess::start(&demo_hub_data_with_elicences(tmp.path()));
    let w = window(tmp.path(), &hub, "2026-11-27").await;
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let feed = tokio::spawn(w.desk.clone().run_status_feed(move |s| {
        let _ = tx.send(s);
    }));
    async fn next(
        rx: &mut tokio::sync::mpsc::UnboundedReceiver<onewindow_app::dto::DeskStatus>,
    ) -> onewindow_app::dto::DeskStatus {
        tokio::time::timeout(Duration::from_secs(5), rx.recv())
            .await
            .expect("a status within 5 s")
            .unwrap()
    }
    let first = next(&mut rx).await;
    assert_eq!(first.connectivity, Connectivity::Online);
    assert_eq!(first, w.desk.status());

    tokio::time::sleep(Duration::from_millis(3500)).await;
    assert!(rx.try_recv().is_err(), "nothing changed, nothing sent");

    hub.kill();
    let _ = w.desk.sync_once().await;
    let offline = next(&mut rx).await;
    assert_eq!(offline.connectivity, Connectivity::Offline);
    tokio::time::sleep(Duration::from_millis(2500)).await;
    assert!(rx.try_recv().is_err(), "one change, one status");
    feed.abort();
}

/// The case screen refetches when told: a scan taken into the open case sends a new revision
/// on the feed (the `case-revision` event), and nothing is sent while nothing happens.
#[tokio::test(flavor = "multi_thread")]
async fn the_revision_feed_tells_of_a_scan_taken() {
    let tmp = tempfile::tempdir().unwrap();
    let hub = HubProcess::start(&demo_hub_data_with_elicences(tmp.path()));
    let w = window(tmp.path(), &hub, "2026-11-27").await;
    let v = w.desk.new_case(&item("00017200100002")).unwrap();
    let v = w
        .desk
        .set_scenario(&v.id, None, "00017200100002-01")
        .unwrap();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let feed = tokio::spawn(w.desk.clone().run_revision_feed(move |r| {
        let _ = tx.send(r);
    }));
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert!(rx.try_recv().is_err(), "nothing happened, nothing sent");

    std::fs::write(w.hot.join("page.jpg"), jpeg_variant(7)).unwrap();
    let revision = tokio::time::timeout(Duration::from_secs(10), rx.recv())
        .await
        .expect("a revision within 10 s of the scan")
        .unwrap();
    assert!(revision > v.revision);
    let shown = w
        .desk
        .poll_case(&v.id, v.revision)
        .unwrap()
        .expect("changed");
    assert_eq!(
        shown.tray.len() + shown.materials.iter().map(|m| m.files.len()).sum::<usize>(),
        1
    );
    feed.abort();
}

mod disk;
mod scans;
mod view;

/// An item's own deadlines (issue 18): 容缺 materials due in 3 working days and pledges checked
/// within 10, instead of the defaults 5 and 20.
#[tokio::test(flavor = "multi_thread")]
async fn an_items_own_deadlines_for_deferred_materials_and_pledge_checks() {
    let tmp = tempfile::tempdir().unwrap();
    let data = demo_hub_data_with_elicences(tmp.path());
    let mut cat: serde_json::Value = serde_json::from_slice(
        &std::fs::read(onewindow_tests::demo("catalog-sample.json")).unwrap(),
    )
    .unwrap();
    let item_json = cat["items"]
        .as_array_mut()
        .unwrap()
        .iter_mut()
        .find(|i| i["code"] == "000116001000")
        .unwrap();
    item_json["deferred_due_working_days"] = 3.into();
    item_json["pledge_check_working_days"] = 10.into();
    let file = tmp.path().join("catalog-deadlines.json");
    std::fs::write(&file, serde_json::to_vec(&cat).unwrap()).unwrap();
    onewindow_tests::import_catalog(&data, &file);
    let hub = HubProcess::start(&data);
    let w = window(tmp.path(), &hub, "2026-12-30").await;
    let d = &w.desk;
    let case = d.new_case(&item("000116001000")).unwrap().id;
    d.save_intake(&SaveIntakeRequest {
        case_id: case.clone(),
        applicant: ApplicantInput {
            kind: onewindow_domain::applicant::ApplicantKind::Organisation,
            name: "荣成市好运角旅游发展有限公司".into(),
            number: "91371082MA26TH8R2A".into(),
            phone: "0631-7561001".into(),
            legal_rep: "王海".into(),
            ..Default::default()
        },
        form: form(&[
            ("project_code", "2026-371082-48-01-000123"),
            ("project_name", "好运角游客中心"),
            ("builder_credit_code", "91371082MA26TH8R2A"),
            ("contractor_credit_code", "91371082MAWHU25H0K"),
            ("contract_price", "10000000"),
            ("floor_area", "5200"),
            ("planned_start", "2027-03-01"),
            ("mobile", "13906310001"),
        ]),
    })
    .await
    .unwrap();
    for (slot, n) in [(0u32, 1u32), (1, 2), (3, 3), (4, 4), (6, 6)] {
        d.select_slot(&case, Some(slot)).unwrap();
        std::fs::write(w.hot.join(format!("scan-{n}.jpg")), jpeg_variant(n)).unwrap();
        wait_for(d, &case, |v| !v.materials[slot as usize].files.is_empty());
    }
    d.set_pledge(&case, 2, true).unwrap();
    let v = d.accept_case(&case).unwrap();
    assert_eq!(
        v.state,
        onewindow_app::dto::CaseState::Accepted,
        "{:?}",
        codes(&v)
    );
    let list = d.follow_ups(true).unwrap();
    let due = |kind: onewindow_app::dto::FollowUpKind| {
        list.iter().find(|f| f.kind == kind).unwrap().due.clone()
    };
    // Weekdays only: 2027 is not published.
    assert_eq!(
        due(onewindow_app::dto::FollowUpKind::DeferredMaterial),
        "2027-01-04"
    );
    assert_eq!(
        due(onewindow_app::dto::FollowUpKind::PledgeCheck),
        "2027-01-13"
    );
}
