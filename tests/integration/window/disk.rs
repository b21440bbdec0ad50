//! A desk whose data folder's disk fills up: named, refused whole, nothing stored lost, no
//! action without its audit record.

use super::*;
use onewindow_app::dto::ErrorCode;

/// A desk whose data folder is on a 48 MB file system of its own (its hot folder and printer
/// tray are elsewhere), with the demo catalog pulled; `None` where mounting is not allowed.
/// Keep the whole value alive for the test: its parts are the disk, the folders and the hub.
struct SmallDiskDesk {
    disk: onewindow_tests::SmallDisk,
    tmp: tempfile::TempDir,
    _hub: HubProcess,
    desk: Arc<Desk>,
    cfg: DeskConfig,
}

async fn desk_on_small_disk(low_disk_mb: u64) -> Option<SmallDiskDesk> {
    let disk = onewindow_tests::SmallDisk::mount(48)?;
    let tmp = tempfile::tempdir().unwrap();
    let hub = HubProcess::start(&demo_hub_data_with_elicences(tmp.path()));
    let cfg = DeskConfig {
        low_disk_mb,
        hot_folder: tmp.path().join("scans"),
        printer: PrintTarget::Folder(tmp.path().join("printed")),
        ..config(&disk.path, hub.url(), "2026-11-27")
    };
    let desk = Desk::open(cfg.clone());
    assert!(desk.sync_once().await.unwrap());
    Some(SmallDiskDesk {
        disk,
        tmp,
        _hub: hub,
        desk,
        cfg,
    })
}

/// A desk whose data folder's disk fills up: the status bar warns before it is full, a save on
/// a full disk is refused with `disk_full` and says so (not "cannot read the cache"), nothing
/// already stored is lost, and once space returns the same work goes on.
#[tokio::test(flavor = "multi_thread")]
async fn a_filling_disk_is_named_and_nothing_stored_is_lost() {
    let Some(small) = desk_on_small_disk(20).await else {
        return;
    };
    let (disk, d) = (&small.disk, &small.desk);
    let first = d.new_case(&item("00017200100002")).unwrap();
    assert!(d.status().low_disk.is_none(), "plenty of room yet");

    disk.fill("filler-1", 12 * 1024 * 1024);
    let low = d.status().low_disk.expect("a warning below 20 MB");
    assert!(low.free_mb <= 12, "{low:?}");
    assert!(low.advice.contains("磁盘") && low.advice.contains(&format!("{} MB", low.free_mb)));

    // Full: keep working until a save needs room the disk no longer has.
    disk.fill("filler-2", 0);
    let mut made = vec![first.number.clone()];
    let err = loop {
        match d.new_case(&item("00017200100002")) {
            Ok(v) => made.push(v.number),
            Err(e) => break e,
        }
        assert!(made.len() < 500, "the disk never filled");
    };
    assert_eq!(err.code, ErrorCode::DiskFull, "{err:?}");
    assert!(err.message.contains("磁盘已满"), "{}", err.message);
    assert!(err.message.contains("已保存的内容不受影响"));

    // Room again: every case made before is there, and the next one is numbered after them.
    std::fs::remove_file(disk.path.join("filler-2")).unwrap();
    std::fs::remove_file(disk.path.join("filler-1")).unwrap();
    let next = d.new_case(&item("00017200100002")).unwrap();
    let recent: Vec<String> = d
        .recent_cases()
        .unwrap()
        .into_iter()
        .map(|c| c.number)
        .collect();
    for n in &made {
        assert!(recent.contains(n), "{n} kept");
    }
    assert_eq!(
        next.number,
        format!("RC01-20261127-{:04}", made.len() + 1),
        "numbering goes on from what was stored"
    );
    assert!(d.status().low_disk.is_none());
    d.stop_intake();
}

/// A view or a print whose audit record cannot be written (the disk is full) does not happen:
/// the case is not opened, the document not printed, and the clerk is told why; once space
/// returns both work, and every print on paper has its record.
#[tokio::test(flavor = "multi_thread")]
async fn no_view_or_print_without_its_audit_record() {
    let Some(small) = desk_on_small_disk(0).await else {
        return;
    };
    let (disk, tmp, d, cfg) = (&small.disk, &small.tmp, &small.desk, &small.cfg);
    let printed_dir = tmp.path().join("printed");
    let v = d.new_case(&item("00017200100002")).unwrap();
    let v = d.set_scenario(&v.id, None, "00017200100002-01").unwrap();
    let v = d.issue_notice(&v.id).unwrap();
    assert_eq!(printed(&printed_dir).len(), 1);
    let doc = v.documents[0].id;
    // The folder printer writes a reprint under the same name: start from an empty tray.
    std::fs::remove_file(&printed(&printed_dir)[0]).unwrap();

    disk.fill("filler", 0);
    let refused = d.open_case(&v.id).unwrap_err();
    assert_eq!(refused.code, ErrorCode::AuditNotWritten, "{refused:?}");
    assert!(refused.message.contains("磁盘已满") && refused.message.contains("没有进行"));
    let refused = d.reprint(doc).unwrap_err();
    assert_eq!(refused.code, ErrorCode::AuditNotWritten);
    assert!(
        printed(&printed_dir).is_empty(),
        "nothing printed unrecorded"
    );

    std::fs::remove_file(disk.path.join("filler")).unwrap();
    assert_eq!(d.open_case(&v.id).unwrap().number, v.number);
    assert!(d.reprint(doc).unwrap().ok);
    assert_eq!(printed(&printed_dir).len(), 1);
    let db = onewindow_tests::desk_db(&cfg.data_dir.join("cache.db"));
    let prints: i64 = db
        .query_row(
            "SELECT count(*) FROM audit_log WHERE action = 'print' AND result = 'ok'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(prints, 2, "one record for each page printed");
}

/// A scan that cannot be taken because the desk's disk is full is shown with that reason and
/// stays in the hot folder (not forgotten, not lost). Once space returns it is taken, but not
/// into the case that happens to be open (it may be the next applicant's): it waits for the
/// clerk, who puts it into this case.
#[tokio::test(flavor = "multi_thread")]
async fn a_scan_held_by_a_full_disk_is_shown_and_then_waits_for_the_clerk() {
    let Some(small) = desk_on_small_disk(0).await else {
        return;
    };
    let (disk, d, cfg) = (&small.disk, &small.desk, &small.cfg);
    let hot = cfg.hot_folder.clone();
    d.start_intake();
    let v = d.new_case(&item("00017200100002")).unwrap();
    let v = d.set_scenario(&v.id, None, "00017200100002-01").unwrap();

    disk.fill("filler", 0);
    std::fs::write(hot.join("page-1.jpg"), jpeg_variant(3)).unwrap();
    let held = wait_for(d, &v.id, |v| !v.held_scans.is_empty());
    let h = &held.held_scans[0];
    assert_eq!(
        (h.name.as_str(), h.code.as_str()),
        ("page-1.jpg", "disk_full")
    );
    assert!(
        h.reason.contains("磁盘已满") && h.reason.contains("仍在扫描文件夹中"),
        "{}",
        h.reason
    );
    assert!(
        hot.join("page-1.jpg").exists(),
        "the scan stays in the hot folder"
    );
    assert!(held.tray.is_empty());

    std::fs::remove_file(disk.path.join("filler")).unwrap();
    let taken = wait_for(d, &v.id, |v| {
        v.held_scans.is_empty() && !v.waiting_scans.is_empty()
    });
    assert!(
        taken.tray.is_empty(),
        "not put into the open case by itself"
    );
    let w = &taken.waiting_scans[0];
    assert_eq!(
        (w.name.as_str(), w.why.as_str()),
        ("page-1.jpg", "was_held")
    );
    assert!(!hot.join("page-1.jpg").exists());
    assert_eq!(d.status().waiting_scans, 1);

    let v = d.attach_waiting_scan(&v.id, w.id, None).unwrap();
    assert_eq!(v.tray.len(), 1);
    assert!(v.waiting_scans.is_empty());
    assert_eq!(d.status().waiting_scans, 0);
    let again = d.attach_waiting_scan(&v.id, w.id, None).unwrap_err();
    assert_eq!(again.code, ErrorCode::ScanNotWaiting);
    d.stop_intake();
}

/// A document that cannot be archived because the disk is full says so: the notice is not
/// issued, the case stays a draft, and once space returns the same notice goes out.
#[tokio::test(flavor = "multi_thread")]
async fn a_notice_on_a_full_disk_is_refused_and_named() {
    let Some(small) = desk_on_small_disk(0).await else {
        return;
    };
    let (disk, d) = (&small.disk, &small.desk);
    let v = d.new_case(&item("00017200100002")).unwrap();
    let v = d.set_scenario(&v.id, None, "00017200100002-01").unwrap();
    disk.fill("filler", 0);
    let err = d.issue_notice(&v.id).unwrap_err();
    assert_eq!(err.code, ErrorCode::DiskFull, "{err:?}");
    assert!(
        err.message.contains("磁盘已满") && err.message.contains("办件未作变更"),
        "{}",
        err.message
    );
    std::fs::remove_file(disk.path.join("filler")).unwrap();
    assert_eq!(
        d.open_case(&v.id).unwrap().state,
        onewindow_app::dto::CaseState::Draft
    );
    assert_eq!(
        d.issue_notice(&v.id).unwrap().state,
        onewindow_app::dto::CaseState::NeedsCorrection
    );
    d.stop_intake();
}
