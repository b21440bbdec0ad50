//! `onewindow-desk-work DATA_DIR HUB_URL LOG [--settle]`: a desk at work, for the kill-loop
//! test. It takes cases in one after another as a clerk does: a new case, the applicant, a scan
//! for each material (written into its hot folder, named after the case's number, and waited
//! for), acceptance with the receipt printed; every third case a stray page arrives while no
//! case is open. Each scan's name and SHA-256 go to `LOG` (appended, synced) once the file is
//! in the hot folder. The test SIGKILLs it at random moments. With `--settle` it only takes
//! what waits in the hot folder and exits in order.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use onewindow_app::dto::{ApplicantInput, NewCaseRequest, SaveIntakeRequest};
use onewindow_app::print::PrintTarget;
use onewindow_app::{Desk, DeskConfig};
use sha2::Digest;

const ITEM: &str = "00017200100002";
const SCENARIO: &str = "00017200100002-01";

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let [_, data, hub, log, rest @ ..] = &args[..] else {
        panic!("usage: onewindow-desk-work DATA_DIR HUB_URL LOG [--settle]");
    };
    let data = PathBuf::from(data);
    let config = DeskConfig {
        sync_interval: Duration::from_secs(3600),
        desk_code: "RC01".into(),
        clerk: "李窗口".into(),
        hot_folder: data.join("scans"),
        scan_stability: Duration::from_millis(150),
        printer: PrintTarget::Folder(data.join("printed")),
        clock: onewindow_domain::clock::Clock::starting_on("2026-11-27".parse().unwrap()),
        cache_key: onewindow_app::cache_key::CacheKey::Fixed(onewindow_tests::TEST_CACHE_KEY),
        ..DeskConfig::new(data.join("desk"), hub.clone())
    };
    let hot = config.hot_folder.clone();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let desk = Desk::open(config);
    if desk.status().item_count == 0 {
        assert!(rt.block_on(desk.sync_once()).unwrap(), "catalog pulled");
    }
    desk.start_intake();
    if rest.iter().any(|a| a == "--settle") {
        let until = Instant::now() + Duration::from_secs(60);
        while scans_in(&hot) > 0 {
            assert!(Instant::now() < until, "the hot folder never emptied");
            std::thread::sleep(Duration::from_millis(20));
        }
        desk.shutdown();
        return;
    }
    let mut log = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
        .unwrap();
    let mut n = std::process::id() * 1000;
    loop {
        let v = desk
            .new_case(&NewCaseRequest {
                item_code: Some(ITEM.into()),
                scenario_code: None,
                bundle_code: None,
            })
            .unwrap();
        desk.set_scenario(&v.id, None, SCENARIO).unwrap();
        let mut form = BTreeMap::new();
        for (k, val) in [
            ("name", "徐志强"),
            ("id_number", "371082199906080810"),
            ("mobile", "13906310001"),
            ("delivery", "窗口领取"),
        ] {
            form.insert(k.to_string(), val.to_string());
        }
        rt.block_on(desk.save_intake(&SaveIntakeRequest {
            case_id: v.id.clone(),
            applicant: ApplicantInput {
                kind: onewindow_app::dto::ApplicantKind::Person,
                name: "徐志强".into(),
                number: "371082199906080810".into(),
                phone: "13906310001".into(),
                ..ApplicantInput::default()
            },
            form,
        }))
        .unwrap();
        for slot in 0..2u32 {
            desk.select_slot(&v.id, Some(slot)).unwrap();
            n += 1;
            arrive(&hot, &mut log, &format!("{}-{slot}.jpg", v.number), n);
            let until = Instant::now() + Duration::from_secs(20);
            while desk.poll_case(&v.id, 0).unwrap().unwrap().materials[slot as usize]
                .files
                .is_empty()
            {
                assert!(Instant::now() < until, "scan never taken");
                std::thread::sleep(Duration::from_millis(10));
            }
        }
        let before = desk.poll_case(&v.id, 0).unwrap().unwrap();
        if let Err(e) = desk.accept_case(&v.id) {
            let after = desk.poll_case(&v.id, 0).unwrap().unwrap();
            panic!(
                "accept refused: {e:?}\nbefore: {:?} {:?} {:?}\nafter: {:?} {:?} {:?}",
                before
                    .materials
                    .iter()
                    .map(|m| m.files.iter().map(|f| f.name.clone()).collect::<Vec<_>>())
                    .collect::<Vec<_>>(),
                before
                    .tray
                    .iter()
                    .map(|f| f.name.clone())
                    .collect::<Vec<_>>(),
                before.review,
                after
                    .materials
                    .iter()
                    .map(|m| m.files.iter().map(|f| f.name.clone()).collect::<Vec<_>>())
                    .collect::<Vec<_>>(),
                after
                    .tray
                    .iter()
                    .map(|f| f.name.clone())
                    .collect::<Vec<_>>(),
                after.review,
            );
        }
        if n.is_multiple_of(3) {
            n += 1;
            arrive(&hot, &mut log, &format!("stray-{n}.jpg"), n);
        }
    }
}

/// A scanner's file arrives whole (written under a temp name, then renamed), then is logged.
fn arrive(hot: &Path, log: &mut std::fs::File, name: &str, n: u32) {
    let bytes = onewindow_tests::jpeg_variant(n);
    let tmp = hot.join(format!("{name}.part"));
    std::fs::write(&tmp, &bytes).unwrap();
    std::fs::rename(&tmp, hot.join(name)).unwrap();
    writeln!(log, "{name} {:x}", sha2::Sha256::digest(&bytes)).unwrap();
    log.sync_all().unwrap();
}

/// Files in the hot folder the desk will take (not temp names, not folders).
fn scans_in(hot: &Path) -> usize {
    std::fs::read_dir(hot)
        .map(|d| {
            d.filter_map(|e| e.ok())
                .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
                .filter(|e| !onewindow_intake::is_temp_name(&e.file_name().to_string_lossy()))
                .count()
        })
        .unwrap_or(0)
}
