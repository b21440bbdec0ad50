//! The hot folder with real files: slow writers, temp names and every kind of bad file.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use onewindow_intake::{FileKind, HotFolder, IntakeConfig, Outcome, Seal};

/// The desk seals everything intake keeps; so do these tests.
fn sealed(root: &Path, hot: &Path) -> IntakeConfig {
    IntakeConfig::under(root, hot).sealed(Seal::from_cache_key(&[42; 32]))
}

fn fixture(name: &str) -> Vec<u8> {
    fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(name),
    )
    .unwrap()
}

struct Setup {
    _tmp: tempfile::TempDir,
    hot: PathBuf,
    folder: HotFolder,
    t0: Instant,
}

fn setup() -> Setup {
    let tmp = tempfile::tempdir().unwrap();
    let hot = tmp.path().join("hot");
    let folder = HotFolder::new(sealed(&tmp.path().join("desk"), &hot)).unwrap();
    Setup {
        _tmp: tmp,
        hot,
        folder,
        t0: Instant::now(),
    }
}

impl Setup {
    fn at(&self, ms: u64) -> Instant {
        self.t0 + Duration::from_millis(ms)
    }

    /// Scans twice, the second time past the stability delay.
    fn settle(&mut self, from_ms: u64) -> Vec<Outcome> {
        let mut out = self.folder.scan(self.at(from_ms)).unwrap();
        out.extend(self.folder.scan(self.at(from_ms + 1000)).unwrap());
        out
    }

    fn drop_file(&self, name: &str, bytes: &[u8]) {
        fs::write(self.hot.join(name), bytes).unwrap();
    }
}

fn taken(o: &Outcome) -> &onewindow_intake::Taken {
    match o {
        Outcome::Taken(t) => t,
        Outcome::Quarantined(q) => panic!("quarantined: {q:?}"),
    }
}

/// The file of `kind` taken in.
fn of_kind(out: &[Outcome], kind: FileKind) -> &onewindow_intake::Taken {
    out.iter()
        .find_map(|o| match o {
            Outcome::Taken(t) if t.kind == kind => Some(t),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no {kind:?} taken: {out:?}"))
}

fn quarantined(o: &Outcome) -> &onewindow_intake::Quarantined {
    match o {
        Outcome::Quarantined(q) => q,
        Outcome::Taken(t) => panic!("taken: {t:?}"),
    }
}

#[test]
fn slow_writer_is_taken_only_once_stable() {
    let mut s = setup();
    let page = fixture("page.jpg");
    let path = s.hot.join("scan-001.jpg");
    let mut ms = 0;
    let mut last = 0;
    for chunk in page.chunks(4 * 1024) {
        // Reopen between chunks, as scanner software writing page by page does.
        let mut f = fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)
            .unwrap();
        f.write_all(chunk).unwrap();
        drop(f);
        assert!(
            s.folder.scan(s.at(ms)).unwrap().is_empty(),
            "taken while being written"
        );
        last = ms;
        ms += 900; // longer than the stability delay, yet the file keeps changing
    }
    assert!(
        s.folder.scan(s.at(last + 500)).unwrap().is_empty(),
        "stable for too short"
    );
    let out = s.folder.scan(s.at(last + 1000)).unwrap();
    assert_eq!(out.len(), 1);
    let t = taken(&out[0]);
    assert_eq!(t.original_name, "scan-001.jpg");
    assert_eq!(t.kind, FileKind::Jpeg);
    assert_eq!(t.size, page.len() as u64);
    assert_eq!(
        s.folder.config().read_blob(&t.sha256).unwrap(),
        page,
        "stored as received"
    );
    assert!(!path.exists(), "moved out of the hot folder");
    let thumb = s.folder.config().read_thumbnail(&t.sha256).unwrap();
    assert!(thumb.starts_with(b"\x89PNG"));
    // 620×877 decoded at 1/2 DCT scale, then boxed into 256 px: 181×256.
    let d = png::Decoder::new(std::io::Cursor::new(thumb))
        .read_info()
        .unwrap();
    assert_eq!((d.info().width, d.info().height), (181, 256));
}

#[test]
fn temp_names_and_folders_are_left_alone() {
    let mut s = setup();
    for name in [
        "a.tmp",
        "b.part",
        "c.crdownload",
        "~$d.docx",
        "Thumbs.db",
        "desktop.ini",
        ".DS_Store",
    ] {
        s.drop_file(name, b"x");
    }
    fs::create_dir(s.hot.join("sub")).unwrap();
    assert!(s.settle(0).is_empty());
    assert!(s.hot.join("b.part").exists());
}

#[test]
fn bad_files_go_to_quarantine_with_their_reason() {
    let mut s = setup();
    let page = fixture("page.jpg");
    s.drop_file("empty.jpg", b"");
    s.drop_file("truncated.jpg", &page[..page.len() / 3]);
    s.drop_file("fake.pdf", "这不是 PDF 文件".as_bytes());
    s.drop_file("cut.pdf", b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n");
    let mut out = s.settle(0);
    out.sort_by(|a, b| {
        quarantined(a)
            .original_name
            .cmp(&quarantined(b).original_name)
    });
    let got: Vec<(&str, &str)> = out
        .iter()
        .map(|o| {
            let q = quarantined(o);
            (
                q.original_name.as_str(),
                q.reason_zh.split('（').next().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            ("cut.pdf", "PDF 文件无法打开"),
            ("empty.jpg", "文件是空的"),
            (
                "fake.pdf",
                "不支持的文件类型：只接收 JPEG、PNG 图片和 PDF 文件"
            ),
            (
                "truncated.jpg",
                "图片无法读取，文件可能不完整或已损坏，请重新扫描"
            ),
        ]
    );
    for o in &out {
        let q = quarantined(o);
        assert!(q.path.exists(), "kept, never deleted");
        let note = s
            .folder
            .config()
            .read_file(Path::new(&format!("{}.reason.txt", q.path.display())))
            .unwrap();
        assert!(String::from_utf8(note).unwrap().contains(&q.reason_zh));
    }
    assert_eq!(fs::read_dir(&s.hot).unwrap().count(), 0);
}

#[test]
fn oversize_files_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let hot = tmp.path().join("hot");
    let mut config = sealed(tmp.path(), &hot);
    config.max_bytes = 10_000;
    let mut folder = HotFolder::new(config).unwrap();
    fs::write(hot.join("big.jpg"), fixture("page.jpg")).unwrap();
    let t0 = Instant::now();
    folder.scan(t0).unwrap();
    let out = folder.scan(t0 + Duration::from_secs(1)).unwrap();
    let q = quarantined(&out[0]);
    assert!(q.reason_zh.contains("超过上限"));
    // Sealed as it was copied, and gone from the hot folder.
    assert_eq!(
        folder.config().read_file(&q.path).unwrap(),
        fixture("page.jpg")
    );
    assert_eq!(fs::read_dir(&hot).unwrap().count(), 0);
}

#[test]
fn links_odd_names_and_duplicates() {
    let mut s = setup();
    let page = fixture("page.jpg");
    let outside = s.hot.parent().unwrap().join("outside.jpg");
    fs::write(&outside, &page).unwrap();
    std::os::unix::fs::symlink(&outside, s.hot.join("link.jpg")).unwrap();
    s.drop_file("营业执照 副本 (1).jpg", &page);
    s.drop_file("..2.jpg", &page);
    s.drop_file("photo.png", &fixture("page.png"));
    let out = s.settle(0);
    assert_eq!(out.len(), 4, "{out:?}");

    let link = out
        .iter()
        .find_map(|o| match o {
            Outcome::Quarantined(q) if q.original_name == "link.jpg" => Some(q),
            _ => None,
        })
        .expect("the link is quarantined");
    assert!(link.reason_zh.contains("链接"));
    assert_eq!(
        fs::read(&outside).unwrap(),
        page,
        "the link's target is untouched"
    );

    let mut jpegs: Vec<_> = out
        .iter()
        .filter_map(|o| match o {
            Outcome::Taken(t) if t.kind == FileKind::Jpeg => Some(t),
            _ => None,
        })
        .collect();
    jpegs.sort_by_key(|t| t.duplicate);
    assert_eq!(jpegs.len(), 2);
    assert_eq!(jpegs[0].sha256, jpegs[1].sha256, "the same bytes");
    assert!(!jpegs[0].duplicate && jpegs[1].duplicate);
    let names: Vec<&str> = jpegs.iter().map(|t| t.original_name.as_str()).collect();
    assert!(
        names.contains(&"营业执照 副本 (1).jpg") && names.contains(&"..2.jpg"),
        "{names:?}"
    );
    for t in &jpegs {
        assert!(t.blob.starts_with(s.folder.config().blobs.as_path()));
    }
    assert!(of_kind(&out, FileKind::Png).thumbnail.is_some());
}

#[test]
fn import_from_file_copies_and_keeps_the_original() {
    let mut s = setup();
    let src = s.hot.parent().unwrap().join("picked.jpg");
    fs::write(&src, fixture("page.jpg")).unwrap();
    let out = s.folder.import(&src).unwrap();
    assert_eq!(taken(&out).original_name, "picked.jpg");
    assert!(src.exists());
}

#[test]
fn pdf_pages_are_counted_and_the_first_page_thumbnailed() {
    let mut s = setup();
    s.drop_file("申请书.pdf", &fixture("two-pages.pdf"));
    let out = s.settle(0);
    let t = taken(&out[0]);
    assert_eq!((t.kind, t.pages), (FileKind::Pdf, Some(2)));
    let thumb = s.folder.config().read_thumbnail(&t.sha256).unwrap();
    let d = png::Decoder::new(std::io::Cursor::new(thumb))
        .read_info()
        .unwrap();
    assert_eq!(d.info().height, 256, "A4 portrait scaled to 256 px high");
}

#[test]
fn the_watcher_wakes_the_scan_for_a_dropped_file() {
    use onewindow_intake::watch::{Watch, WatchMode, run};
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    for mode in [
        WatchMode::Events,
        WatchMode::Poll(Duration::from_millis(100)),
    ] {
        let tmp = tempfile::tempdir().unwrap();
        let hot = tmp.path().join("hot");
        let mut config = IntakeConfig::under(tmp.path(), &hot);
        config.stability = Duration::from_millis(200);
        let mut folder = HotFolder::new(config).unwrap();
        let watch = Watch::start(&hot, mode).unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let writer = {
            let hot = hot.clone();
            let stop = stop.clone();
            std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(150));
                fs::write(hot.join("late.jpg"), fixture("page.jpg")).unwrap();
                // Bound the test: give up after 10 s.
                std::thread::sleep(Duration::from_secs(10));
                stop.store(true, Ordering::SeqCst);
            })
        };
        let mut got = Vec::new();
        let start = Instant::now();
        run(&mut folder, &watch, Duration::from_secs(5), &stop, |o| {
            got.push(o);
            stop.store(true, Ordering::SeqCst);
        })
        .unwrap();
        assert_eq!(got.len(), 1, "{mode:?}");
        assert_eq!(taken(&got[0]).original_name, "late.jpg");
        assert!(
            start.elapsed() < Duration::from_secs(5),
            "{mode:?} took {:?}",
            start.elapsed()
        );
        drop(writer);
    }
}

/// An idle desk must cost next to nothing: listing the folder and opening a file to check it
/// (what a scan does) never wakes the next scan, with the folder empty or holding only files
/// the scan leaves alone; a file dropped in is still taken at once, long before the rescan.
/// The loop is `watch::drive`, the one the desk runs, with the desk's pace but a rescan of 30 s
/// so that only an event can explain a prompt take.
#[test]
fn an_idle_folder_does_not_wake_its_own_scan() {
    use onewindow_intake::watch::{Pace, Watch, WatchMode, drive};
    use std::ops::ControlFlow;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

    let ignored = ["~$x.docx", "x.tmp", "x.part", "Thumbs.db"];
    for mode in [
        WatchMode::Events,
        WatchMode::Poll(Duration::from_millis(100)),
    ] {
        for leftovers in [&[][..], &ignored[..]] {
            let case = format!("{mode:?} with {leftovers:?}");
            let tmp = tempfile::tempdir().unwrap();
            let hot = tmp.path().join("hot");
            let mut config = sealed(&tmp.path().join("desk"), &hot);
            config.stability = Duration::from_millis(200);
            let mut folder = HotFolder::new(config).unwrap();
            for name in leftovers {
                fs::write(hot.join(name), b"left behind by an office program").unwrap();
            }
            let watch = Watch::start(&hot, mode).unwrap();
            let nudger = watch.nudger();
            let pace = Pace {
                rescan: Duration::from_secs(30),
                ..Pace::for_stability(Duration::from_millis(200))
            };
            let (scans, stop) = (AtomicUsize::new(0), AtomicBool::new(false));
            let got = std::sync::Mutex::new(Vec::new());
            let (mut idle, mut took) = (0, Duration::ZERO);
            std::thread::scope(|sc| {
                sc.spawn(|| {
                    let watch = watch;
                    drive(Some(&watch), pace, &stop, || {
                        scans.fetch_add(1, Ordering::SeqCst);
                        got.lock()
                            .unwrap()
                            .extend(folder.scan(Instant::now()).unwrap());
                        ControlFlow::Continue(folder.has_pending())
                    })
                });
                std::thread::sleep(Duration::from_secs(2));
                idle = scans.load(Ordering::SeqCst);

                let dropped = Instant::now();
                fs::write(hot.join("late.jpg"), fixture("page.jpg")).unwrap();
                while got.lock().unwrap().is_empty() && dropped.elapsed() < Duration::from_secs(10)
                {
                    std::thread::sleep(Duration::from_millis(20));
                }
                took = dropped.elapsed();
                // Stop before asserting: a failed assertion must not leave the loop running.
                stop.store(true, Ordering::SeqCst);
                nudger.nudge();
            });
            assert!(
                (1..=3).contains(&idle),
                "{case}: {idle} scans in 2 s of nothing"
            );
            assert!(
                took < Duration::from_secs(5),
                "{case}: taken after {took:?}"
            );
            let got = got.into_inner().unwrap();
            assert_eq!(got.len(), 1, "{case}: {got:?}");
            assert_eq!(taken(&got[0]).original_name, "late.jpg", "{case}");
            let mut left: Vec<String> = fs::read_dir(&hot)
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect();
            left.sort();
            let mut expected: Vec<String> = leftovers.iter().map(|n| n.to_string()).collect();
            expected.sort();
            assert_eq!(left, expected, "{case}: ignored files stay where they are");
        }
    }
}

/// Nothing intake keeps is readable without the key: a scan with the applicant's ID number in
/// it, its thumbnail, a refused file and its reason (the file name often carries the
/// applicant's name) are all sealed, the hot folder is empty once they are taken, and what is
/// read back is what was scanned.
#[test]
fn nothing_is_kept_in_plaintext() {
    let mut s = setup();
    let secret = b"370102199001011234";
    let mut pdf = fixture("two-pages.pdf");
    pdf.extend_from_slice(b"\n% ");
    pdf.extend_from_slice(secret);
    pdf.extend_from_slice(b"\n");
    s.drop_file("ZHANGSAN-id.pdf", &pdf);
    let mut bad = b"not a scan ".to_vec();
    bad.extend_from_slice(secret);
    s.drop_file("ZHANGSAN-bad.txt", &bad);
    let page = fixture("page.png");
    s.drop_file("ZHANGSAN-page.png", &page);
    let out = s.settle(0);
    assert_eq!(out.len(), 3, "{out:?}");
    assert_eq!(
        fs::read_dir(&s.hot).unwrap().count(),
        0,
        "hot folder emptied"
    );
    let config = s.folder.config().clone();
    let t = of_kind(&out, FileKind::Pdf);
    assert_eq!(config.read_blob(&t.sha256).unwrap(), pdf);
    assert_eq!(config.blob_len(&t.sha256).unwrap(), pdf.len() as u64);
    assert_eq!(
        config.read_blob_range(&t.sha256, 10, 100).unwrap(),
        &pdf[10..110]
    );
    let png = of_kind(&out, FileKind::Png);
    assert_eq!(config.read_blob(&png.sha256).unwrap(), page);
    // A second copy of the same scan is kept aside in staging, sealed too.
    s.drop_file("again.png", &page);
    assert!(taken(&s.settle(5000)[0]).duplicate);

    let mut files = 0;
    let mut stack = vec![s.hot.parent().unwrap().join("desk")];
    while let Some(dir) = stack.pop() {
        for e in fs::read_dir(dir).unwrap() {
            let path = e.unwrap().path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            files += 1;
            let bytes = fs::read(&path).unwrap();
            assert!(
                onewindow_intake::seal::is_sealed(&bytes),
                "{} is not sealed",
                path.display()
            );
            for needle in [&secret[..], b"ZHANGSAN", b"%PDF", b"\x89PNG", b"not a scan"] {
                assert!(
                    !bytes.windows(needle.len()).any(|w| w == needle),
                    "{} holds {:?} in plaintext",
                    path.display(),
                    String::from_utf8_lossy(needle)
                );
            }
        }
    }
    // Two blobs, two thumbnails, the refused file and its reason (a second copy of stored
    // bytes is not kept).
    assert_eq!(files, 6);
}

/// A file leaves the hot folder only once the desk has recorded its copy: while `keep` fails
/// the file stays, held with the reason `keep` gives, and the next try says it is not the
/// first (the desk then lets the clerk choose where it goes).
#[test]
fn a_file_leaves_the_hot_folder_only_once_its_copy_is_recorded() {
    let mut s = setup();
    s.drop_file("page.jpg", &fixture("page.jpg"));
    let refuse = |_: &onewindow_intake::Taken, _: &onewindow_intake::Arrival| {
        Err(onewindow_intake::Held {
            name: "page.jpg".into(),
            code: "not_recorded",
            reason_zh: "无法登记".into(),
        })
    };
    s.folder.scan_keeping(s.at(0), &mut refuse.clone()).unwrap();
    let out = s
        .folder
        .scan_keeping(s.at(1000), &mut refuse.clone())
        .unwrap();
    assert!(out.is_empty());
    assert!(s.hot.join("page.jpg").exists(), "kept in the hot folder");
    let held = s.folder.held();
    assert_eq!((held.len(), held[0].code), (1, "not_recorded"));

    // Not retried before its time; then recorded, as a second try, and removed.
    let mut tries = Vec::new();
    let mut record = |t: &onewindow_intake::Taken, a: &onewindow_intake::Arrival| {
        tries.push((t.sha256.clone(), a.first_try));
        Ok(())
    };
    assert!(
        s.folder
            .scan_keeping(s.at(2000), &mut record)
            .unwrap()
            .is_empty()
    );
    let retry_at = 1000 + onewindow_intake::RETRY_HELD.as_millis() as u64;
    let out = s.folder.scan_keeping(s.at(retry_at), &mut record).unwrap();
    assert_eq!(out.len(), 1);
    assert_eq!(tries.len(), 1);
    assert!(!tries[0].1, "not its first try");
    assert!(!s.hot.join("page.jpg").exists());
    assert!(s.folder.held().is_empty());
    // The stored copy is whole; staging holds nothing (the retry's second copy was dropped).
    assert_eq!(
        s.folder.config().read_blob(&tries[0].0).unwrap(),
        fixture("page.jpg")
    );
    assert_eq!(fs::read_dir(&s.folder.config().staging).unwrap().count(), 0);
}

/// A held scan the clerk will not take is moved aside inside the hot folder (never deleted)
/// and leaves the list; names that are not a held scan are refused.
#[test]
fn a_held_scan_can_be_set_aside() {
    let mut s = setup();
    s.drop_file("wrong.jpg", &fixture("page.jpg"));
    let mut refuse = |_: &onewindow_intake::Taken, _: &onewindow_intake::Arrival| {
        Err(onewindow_intake::Held {
            name: "wrong.jpg".into(),
            code: "not_recorded",
            reason_zh: "无法登记".into(),
        })
    };
    s.folder.scan_keeping(s.at(0), &mut refuse).unwrap();
    s.folder.scan_keeping(s.at(1000), &mut refuse).unwrap();
    assert!(s.folder.set_aside("../wrong.jpg").is_err());
    assert!(s.folder.set_aside("other.jpg").is_err());
    let moved = s.folder.set_aside("wrong.jpg").unwrap();
    assert_eq!(
        moved,
        s.hot
            .join(onewindow_intake::SET_ASIDE_DIR)
            .join("wrong.jpg")
    );
    assert_eq!(fs::read(&moved).unwrap(), fixture("page.jpg"));
    assert!(s.folder.held().is_empty());
    assert!(s.folder.scan(s.at(20_000)).unwrap().is_empty(), "not taken");
}

/// What a crash leaves behind is made whole at start: half-written sealed files are removed, a
/// staged copy is taken into the blob store, an older version's duplicate copy is dropped, and
/// every stored copy no record holds is returned (the desk lists them for the clerk), while
/// those a record holds are left alone.
#[test]
fn recovery_at_start_finds_every_copy_no_record_holds() {
    let mut s = setup();
    let config = s.folder.config().clone();
    // Two files taken, one of them recorded.
    s.drop_file("a.jpg", &fixture("page.jpg"));
    s.drop_file("b.pdf", &fixture("two-pages.pdf"));
    let out = s.settle(0);
    let recorded = of_kind(&out, FileKind::Jpeg).sha256.clone();
    let orphan = of_kind(&out, FileKind::Pdf).sha256.clone();
    // A staged copy whose blob was never made (killed between the two), a stale duplicate, and
    // half-written sealed files in staging and the blob store.
    let png = fixture("page.png");
    config
        .write_file(&config.staging.join("1733300000000000000-c.png"), &png)
        .unwrap();
    fs::write(
        config.staging.join(format!("duplicate-{recorded}-17333")),
        b"x",
    )
    .unwrap();
    fs::write(config.staging.join(".1733-d.jpg.sealing"), b"half").unwrap();
    let blob_dir = config.blob_path(&recorded).unwrap();
    fs::write(blob_dir.with_file_name(".x.sealing"), b"half").unwrap();

    let kept = std::collections::HashSet::from([recorded.clone()]);
    let found = s.folder.recover(&kept).unwrap();
    assert_eq!(found.temp_removed, 2);
    assert!(found.quarantined.is_empty());
    let mut names: Vec<(&str, bool)> = found
        .scans
        .iter()
        .map(|t| (t.original_name.as_str(), t.sha256 == orphan))
        .collect();
    names.sort();
    assert_eq!(names, vec![("c.png", false), ("恢复的扫描件.pdf", true)]);
    let pdf = found.scans.iter().find(|t| t.sha256 == orphan).unwrap();
    assert_eq!((pdf.kind, pdf.pages), (FileKind::Pdf, Some(2)));
    let c = found
        .scans
        .iter()
        .find(|t| t.original_name == "c.png")
        .unwrap();
    assert_eq!(config.read_blob(&c.sha256).unwrap(), png);
    assert_eq!(
        fs::read_dir(&config.staging).unwrap().count(),
        0,
        "staging is empty"
    );

    // Once recorded, nothing is found again.
    let kept: std::collections::HashSet<String> = found
        .scans
        .iter()
        .map(|t| t.sha256.clone())
        .chain([recorded])
        .collect();
    assert!(s.folder.recover(&kept).unwrap().scans.is_empty());
}

/// How a file came is told to whoever records it: when it was first seen (through changes in
/// size), and whether it was already there at the folder's first scan, when nobody knows which
/// case it was scanned for.
#[test]
fn a_taken_file_says_when_it_arrived() {
    let mut s = setup();
    s.drop_file("before-start.jpg", &fixture("page.jpg"));
    let mut arrivals = Vec::new();
    let mut record = |t: &onewindow_intake::Taken, a: &onewindow_intake::Arrival| {
        arrivals.push((t.original_name.clone(), *a));
        Ok(())
    };
    s.folder.scan_keeping(s.at(0), &mut record).unwrap();
    s.drop_file("later.jpg", &fixture("page.png")[..100]);
    s.folder.scan_keeping(s.at(500), &mut record).unwrap();
    // It grows; first seen stays at 500.
    s.drop_file("later.jpg", &fixture("page.png"));
    s.folder.scan_keeping(s.at(1000), &mut record).unwrap();
    s.folder.scan_keeping(s.at(2000), &mut record).unwrap();
    arrivals.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(arrivals.len(), 2);
    let (ref name, a) = arrivals[0];
    assert_eq!(name, "before-start.jpg");
    assert!(a.found_at_start && a.first_try);
    assert_eq!(a.first_seen, s.at(0));
    let (ref name, a) = arrivals[1];
    assert_eq!(name, "later.jpg");
    assert!(!a.found_at_start && a.first_try);
    assert_eq!(a.first_seen, s.at(500));
}

/// A kept file the hot folder will not let go of (a read-only share) is left alone while it
/// stays the same: it is never taken again, into whichever case is open next. Written again,
/// it is a new scan. Needs a read-only file system: root mounts a tmpfs (as CI does).
#[test]
fn a_kept_file_that_cannot_be_removed_is_not_taken_again() {
    let tmp = tempfile::tempdir().unwrap();
    let hot = tmp.path().join("hot");
    fs::create_dir(&hot).unwrap();
    let mount = |opts: &str| {
        std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", opts, "tmpfs"])
            .arg(&hot)
            .status()
            .is_ok_and(|s| s.success())
    };
    if !mount("size=4m") {
        eprintln!("skipped: cannot mount a tmpfs here (run as root, as CI does)");
        return;
    }
    let remount = |opts: &str| {
        assert!(
            std::process::Command::new("mount")
                .args(["-o", &format!("remount,{opts}")])
                .arg(&hot)
                .status()
                .unwrap()
                .success()
        )
    };
    let unmount = scopeguard(&hot);
    fs::write(hot.join("page.jpg"), fixture("page.jpg")).unwrap();
    remount("ro");
    let mut folder = HotFolder::new(sealed(&tmp.path().join("desk"), &hot)).unwrap();
    let t0 = Instant::now();
    let kept = std::cell::Cell::new(0);
    let mut keep = |_: &onewindow_intake::Taken, _: &onewindow_intake::Arrival| {
        kept.set(kept.get() + 1);
        Ok(())
    };
    for ms in [0, 1000, 2000, 3000, 10_000, 20_000] {
        folder
            .scan_keeping(t0 + Duration::from_millis(ms), &mut keep)
            .unwrap();
    }
    assert_eq!(kept.get(), 1, "taken once, then left alone");
    assert!(hot.join("page.jpg").exists(), "the share kept it");

    // The scanner writes the same name again: a new page.
    remount("rw");
    fs::write(hot.join("page.jpg"), fixture("page.png")).unwrap();
    for ms in [30_000, 31_000] {
        folder
            .scan_keeping(t0 + Duration::from_millis(ms), &mut keep)
            .unwrap();
    }
    assert_eq!(kept.get(), 2);
    assert!(!hot.join("page.jpg").exists());
    drop(unmount);
}

/// Unmounts the folder when dropped (also when an assertion fails).
fn scopeguard(path: &Path) -> impl Drop + '_ {
    struct Unmount<'a>(&'a Path);
    impl Drop for Unmount<'_> {
        fn drop(&mut self) {
            let _ = std::process::Command::new("umount")
                .arg("-l")
                .arg(self.0)
                .status();
        }
    }
    Unmount(path)
}
