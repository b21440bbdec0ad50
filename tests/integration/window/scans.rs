//! Scans that are not the open case's: waiting for the clerk, recovered after a crash, and
//! files an earlier version left in plaintext sealed on open.

use super::*;
use onewindow_app::dto::ErrorCode;

/// A page written before the case opened is not the case's, however late the watch sees it
/// (a network folder polled every few seconds, a busy intake thread): it waits, as `earlier`.
/// A file copied in after the case opened goes into it, whatever time the copy kept (a copy
/// from a USB stick keeps the original's).
#[tokio::test(flavor = "multi_thread")]
async fn a_page_written_before_the_case_opened_waits_however_late_it_is_seen() {
    let tmp = tempfile::tempdir().unwrap();
    let hub = HubProcess::start(&demo_hub_data_with_elicences(tmp.path()));
    let cfg = DeskConfig {
        hot_folder_poll: Some(Duration::from_secs(3)),
        ..config(&tmp.path().join("desk"), hub.url(), "2026-11-27")
    };
    let hot = cfg.hot_folder.clone();
    let d = Desk::open(cfg);
    assert!(d.sync_once().await.unwrap());
    d.start_intake();
    // The last page for the applicant before, then at once the next applicant's case: the
    // polled folder sees the page only after the case is open.
    std::fs::write(hot.join("previous-applicant.jpg"), jpeg_variant(41)).unwrap();
    let v = d.new_case(&item("00017200100002")).unwrap();
    let copy = hot.join("usb-copy.jpg");
    std::fs::write(&copy, jpeg_variant(42)).unwrap();
    std::fs::File::options()
        .write(true)
        .open(&copy)
        .unwrap()
        .set_modified(std::time::SystemTime::now() - Duration::from_secs(86_400))
        .unwrap();
    let until = Instant::now() + Duration::from_secs(20);
    let v = loop {
        let v = d.poll_case(&v.id, 0).unwrap().unwrap();
        if !v.waiting_scans.is_empty() && !v.tray.is_empty() {
            break v;
        }
        assert!(Instant::now() < until, "scans never taken: {v:?}");
        std::thread::sleep(Duration::from_millis(100));
    };
    assert_eq!(
        v.waiting_scans
            .iter()
            .map(|w| (w.name.as_str(), w.why.as_str()))
            .collect::<Vec<_>>(),
        vec![("previous-applicant.jpg", "earlier")]
    );
    assert_eq!(
        v.tray.iter().map(|f| f.name.as_str()).collect::<Vec<_>>(),
        vec!["usb-copy.jpg"]
    );
    d.stop_intake();
}

/// Scans that arrive while no case is open wait in a list that outlives the process; a new
/// case does not take them by itself; the clerk puts one into the case (into the selected
/// material) and dismisses the other, and both choices are audited.
#[tokio::test(flavor = "multi_thread")]
async fn scans_with_no_case_open_wait_for_the_clerks_choice() {
    let tmp = tempfile::tempdir().unwrap();
    let hub = HubProcess::start(&demo_hub_data_with_elicences(tmp.path()));
    let cfg = config(&tmp.path().join("desk"), hub.url(), "2026-11-27");
    let hot = cfg.hot_folder.clone();
    {
        let d = Desk::open(cfg.clone());
        assert!(d.sync_once().await.unwrap());
        d.start_intake();
        std::fs::write(hot.join("earlier-applicant.jpg"), jpeg_variant(1)).unwrap();
        std::fs::write(hot.join("test-sheet.jpg"), jpeg_variant(2)).unwrap();
        let until = std::time::Instant::now() + Duration::from_secs(20);
        while d.status().waiting_scans < 2 {
            assert!(std::time::Instant::now() < until, "scans never taken");
            std::thread::sleep(Duration::from_millis(50));
        }
        d.shutdown();
    }
    // Another run of the desk: the list is still there.
    let d = Desk::open(cfg.clone());
    let v = d.new_case(&item("00017200100002")).unwrap();
    let v = d.set_scenario(&v.id, None, "00017200100002-01").unwrap();
    assert!(v.tray.is_empty() && v.materials.iter().all(|m| m.files.is_empty()));
    let mut waiting = v.waiting_scans.clone();
    waiting.sort_by(|a, b| a.name.cmp(&b.name));
    assert_eq!(
        waiting
            .iter()
            .map(|w| (w.name.as_str(), w.why.as_str()))
            .collect::<Vec<_>>(),
        vec![
            ("earlier-applicant.jpg", "no_case"),
            ("test-sheet.jpg", "no_case")
        ]
    );
    assert!(
        waiting
            .iter()
            .all(|w| w.thumbnail.is_some() && !w.arrived.is_empty())
    );

    let v = d
        .attach_waiting_scan(&v.id, waiting[0].id, Some(0))
        .unwrap();
    assert_eq!(v.materials[0].files.len(), 1);
    assert!(
        v.flash
            .as_ref()
            .is_some_and(|f| f.text.contains("earlier-applicant.jpg"))
    );
    let bad = d
        .attach_waiting_scan(&v.id, waiting[1].id, Some(99))
        .unwrap_err();
    assert_eq!(bad.code, ErrorCode::BadSlot);
    let v = d.dismiss_waiting_scan(&v.id, waiting[1].id).unwrap();
    assert!(v.waiting_scans.is_empty());
    assert_eq!(
        v.materials[0].files.len(),
        1,
        "the dismissed scan went nowhere"
    );

    let db = onewindow_tests::desk_db(&cfg.data_dir.join("cache.db"));
    let actions: Vec<String> = db
        .prepare("SELECT action FROM audit_log WHERE action LIKE 'scan_%' ORDER BY seq")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(actions, vec!["scan_attach", "scan_dismiss"]);
    d.shutdown();
}

/// What a crash left in intake's folders is found at the next start: a stored scan no record
/// holds and a staged copy join the waiting list as recovered (never a case), half-written
/// sealed files are removed, and nothing is found twice.
#[tokio::test(flavor = "multi_thread")]
async fn a_crash_s_leftovers_are_recovered_into_the_waiting_list() {
    let tmp = tempfile::tempdir().unwrap();
    let hub = HubProcess::start(&demo_hub_data_with_elicences(tmp.path()));
    let cfg = config(&tmp.path().join("desk"), hub.url(), "2026-11-27");
    let d = Desk::open(cfg.clone());
    assert!(d.sync_once().await.unwrap());
    let v = d.new_case(&item("00017200100002")).unwrap();
    let v = d.set_scenario(&v.id, None, "00017200100002-01").unwrap();
    d.start_intake();
    std::fs::write(cfg.hot_folder.join("kept.jpg"), jpeg_variant(5)).unwrap();
    wait_for(&d, &v.id, |v| v.tray.len() == 1);
    d.shutdown();
    drop(d);

    // As a kill would leave them: an orphan blob, a staged copy, unfinished sealed writes.
    let intake = cfg.data_dir.join("intake");
    let seal = onewindow_intake::Seal::from_cache_key(&onewindow_tests::TEST_CACHE_KEY);
    let orphan = jpeg_variant(6);
    let sha = format!("{:x}", <sha2::Sha256 as sha2::Digest>::digest(&orphan));
    std::fs::create_dir_all(intake.join("blobs").join(&sha[..2])).unwrap();
    seal.write_file(
        &intake.join("blobs").join(&sha[..2]).join(&sha[2..]),
        &orphan,
    )
    .unwrap();
    seal.write_file(
        &intake
            .join("staging")
            .join("1764000000000000000-staged.jpg"),
        &jpeg_variant(7),
    )
    .unwrap();
    std::fs::write(intake.join("staging").join(".x.jpg.sealing"), b"half").unwrap();
    std::fs::create_dir_all(cfg.data_dir.join("documents")).unwrap();
    std::fs::write(
        cfg.data_dir.join("documents").join(".y.pdf.sealing"),
        b"half",
    )
    .unwrap();

    let d = Desk::open(cfg.clone());
    d.start_intake();
    let v = wait_for(&d, &v.id, |v| v.waiting_scans.len() == 2);
    assert_eq!(v.tray.len(), 1, "the case has only what it took");
    let mut found: Vec<(String, String)> = v
        .waiting_scans
        .iter()
        .map(|w| (w.name.clone(), w.why.clone()))
        .collect();
    found.sort();
    assert_eq!(
        found,
        vec![
            ("staged.jpg".to_string(), "recovered".to_string()),
            ("恢复的扫描件.jpg".to_string(), "recovered".to_string())
        ]
    );
    let left: Vec<PathBuf> = files_under(&cfg.data_dir)
        .into_iter()
        .filter(|p| p.to_string_lossy().ends_with(".sealing"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
    assert_eq!(
        std::fs::read_dir(intake.join("staging")).unwrap().count(),
        0
    );
    d.shutdown();
    drop(d);

    // The next start finds nothing new.
    let d = Desk::open(cfg.clone());
    d.start_intake();
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(d.open_case(&v.id).unwrap().waiting_scans.len(), 2);
    d.shutdown();
}

/// Every file below `dir`, recursively.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push(p);
            }
        }
    }
    out.sort();
    out
}

/// A desk an earlier version left with its scans, thumbnails and documents in plaintext or
/// sealed in the first format (one key for every file): on the next start every one is sealed
/// in place under its own key, and the case reads, previews and prints as
/// before. A document damaged on disk is refused with a reason, and nothing else is touched.
#[tokio::test(flavor = "multi_thread")]
async fn an_earlier_versions_plaintext_files_are_sealed_on_open() {
    let tmp = tempfile::tempdir().unwrap();
    let hub = HubProcess::start(&demo_hub_data_with_elicences(tmp.path()));
    let w = window(tmp.path(), &hub, "2026-11-27").await;
    let d = &w.desk;
    let v = d.new_case(&item("00017200100002")).unwrap();
    let case = d.set_scenario(&v.id, None, "00017200100002-01").unwrap().id;
    d.save_intake(&SaveIntakeRequest {
        case_id: case.clone(),
        applicant: person("徐志强", "371082199906080810", "13906310001"),
        form: form(&[("name", "徐志强"), ("id_number", "371082199906080810")]),
    })
    .await
    .unwrap();
    d.select_slot(&case, Some(0)).unwrap();
    d.import_files(&case, &[scan_fixture("page.jpg")]).unwrap();
    let v = d.issue_notice(&case).unwrap();
    let notice = std::fs::read(printed_kind(&w.printed, "one_time_notice")).unwrap();
    let doc = v.documents[0].id;
    let data = w.data.clone();
    drop(w);

    // What an earlier version kept: the same files, in plaintext.
    let seal = onewindow_intake::Seal::from_cache_key(&onewindow_tests::TEST_CACHE_KEY);
    let kept: Vec<PathBuf> = [data.join("intake"), data.join("documents")]
        .iter()
        .flat_map(|d| files_under(d))
        .collect();
    assert!(
        kept.len() >= 3,
        "a scan, its thumbnail and the notice: {kept:?}"
    );
    // Every other file as the first sealed format left it (one key for every file).
    for (i, f) in kept.iter().enumerate() {
        let plain = seal.read_file(f).unwrap();
        if i % 2 == 0 {
            std::fs::write(f, plain).unwrap();
        } else {
            std::fs::write(f, seal.seal_first_format(&plain)).unwrap();
        }
    }

    // The earlier versions' marker: the first format's, or none at all.
    std::fs::remove_file(data.join("files-sealed-v2")).unwrap();
    std::fs::write(data.join("files-sealed"), b"files sealed\n").unwrap();
    let cfg = config(tmp.path(), hub.url(), "2026-11-27");
    let d = Desk::open(cfg);
    assert!(data.join("files-sealed-v2").exists());
    for f in &kept {
        let bytes = std::fs::read(f).unwrap();
        assert_eq!(
            onewindow_intake::seal::format_of(&bytes),
            Some(onewindow_intake::seal::Format::PerFileKey),
            "{} sealed under its own key on open",
            f.display()
        );
    }
    let v = d.open_case(&case).unwrap();
    assert!(
        v.materials[0].files[0]
            .thumbnail
            .as_deref()
            .is_some_and(|t| t.starts_with("data:image/png;base64,")),
        "the thumbnail reads"
    );
    assert_eq!(d.preview_document(doc).unwrap().page_count, 1);
    std::fs::remove_dir_all(tmp.path().join("printed")).unwrap();
    assert!(d.reprint(doc).unwrap().ok);
    assert_eq!(
        std::fs::read(printed_kind(&tmp.path().join("printed"), "one_time_notice")).unwrap(),
        notice,
        "the same PDF prints"
    );

    // One byte of the archived notice changed on disk: refused, with the reason.
    let archived = kept
        .iter()
        .find(|p| p.to_string_lossy().contains("one_time_notice"))
        .unwrap();
    let mut bytes = std::fs::read(archived).unwrap();
    let at = bytes.len() / 2;
    bytes[at] ^= 0x40;
    std::fs::write(archived, &bytes).unwrap();
    let err = d.preview_document(doc).unwrap_err();
    assert_eq!(err.code, ErrorCode::DocumentDamaged, "{err:?}");
    let err = d.reprint(doc).unwrap_err();
    assert_eq!(err.code, ErrorCode::DocumentDamaged, "{err:?}");
    assert_eq!(
        d.open_case(&case).unwrap().documents.len(),
        1,
        "the case is intact"
    );
    d.stop_intake();
}
