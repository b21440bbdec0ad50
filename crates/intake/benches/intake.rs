//! Intake figures:
//! - `intake_pages_per_s`: 200 generated A4 300-dpi JPEG pages through the whole pipeline
//!   (take from the hot folder, hash, decode at a reduced DCT scale, thumbnail, store);
//! - `intake_vs_vips_ratio`: our time over one `vipsthumbnail --size 256` call plus one
//!   `sha256sum` call on the same files, page cache warm for both;
//! - `intake_encrypted_ratio`: the pipeline with every file sealed (as the desk runs it, and
//!   as the two figures above are measured) over the same pipeline writing plaintext;
//! - `intake_take_p95_ms`: file closed → taken by the pipeline, beyond the stability delay, with
//!   the OS watcher (`intake_detect_p95_ms`, to the clerk's screen, is measured in
//!   tests/benches/window_intake.rs).

use std::fs;
use std::io::Write;
use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

use onewindow_intake::watch::{Watch, WatchMode, run};
use onewindow_intake::{HotFolder, IntakeConfig, Outcome, Seal};

const PAGES: usize = 200;
const A4_300DPI: (u16, u16) = (2480, 3508);

/// A page that compresses like a scan: white paper, grey noise, dark "text" bars.
fn page(seed: u64) -> Vec<u8> {
    let (w, h) = (A4_300DPI.0 as usize, A4_300DPI.1 as usize);
    let mut rgb = vec![0u8; w * h * 3];
    let mut x = seed.max(1);
    for (i, px) in rgb.chunks_exact_mut(3).enumerate() {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let (row, col) = (i / w, i % w);
        let text = (row / 40) % 3 == 1
            && !(col / 25 + row / 120 + seed as usize).is_multiple_of(7)
            && col > 200
            && col < w - 200;
        let v = if text { 40 } else { 235 } + (x % 16) as u8;
        px.copy_from_slice(&[v, v, v.saturating_sub(4)]);
    }
    let mut out = Vec::new();
    jpeg_encoder::Encoder::new(&mut out, 85)
        .encode(&rgb, A4_300DPI.0, A4_300DPI.1, jpeg_encoder::ColorType::Rgb)
        .unwrap();
    out
}

fn warm(dir: &Path) {
    for e in fs::read_dir(dir).unwrap() {
        let _ = fs::read(e.unwrap().path()).unwrap();
    }
}

/// Takes every file of `source` in through a fresh hot folder under `root/tag`; the seconds.
fn pipeline(root: &Path, source: &Path, seal: Option<Seal>, tag: &str) -> f64 {
    warm(source);
    let hot = root.join(format!("hot-{tag}"));
    let mut config = IntakeConfig::under(&root.join(format!("desk-{tag}")), &hot);
    config.stability = Duration::ZERO;
    config.seal = seal;
    let mut folder = HotFolder::new(config).unwrap();
    for e in fs::read_dir(source).unwrap() {
        let e = e.unwrap();
        fs::hard_link(e.path(), hot.join(e.file_name())).unwrap();
    }
    let t = Instant::now();
    let now = Instant::now();
    folder.scan(now).unwrap();
    let out = folder.scan(now + Duration::from_millis(1)).unwrap();
    let secs = t.elapsed().as_secs_f64();
    assert_eq!(out.len(), PAGES);
    assert!(
        out.iter()
            .all(|o| matches!(o, Outcome::Taken(t) if t.thumbnail.is_some()))
    );
    secs
}

fn main() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
    let tmp = tempfile::tempdir().unwrap();
    let source = tmp.path().join("source");
    fs::create_dir_all(&source).unwrap();
    let first = page(1);
    for i in 0..PAGES {
        // A few distinct pages, each file unique by a trailing comment so no two hash alike.
        let mut bytes = if i % 4 == 0 {
            page(i as u64 + 2)
        } else {
            first.clone()
        };
        bytes.extend_from_slice(format!("page {i}").as_bytes());
        fs::write(source.join(format!("page-{i:03}.jpg")), bytes).unwrap();
    }
    let mb: u64 = fs::read_dir(&source)
        .unwrap()
        .map(|e| e.unwrap().metadata().unwrap().len())
        .sum();
    println!("{PAGES} A4 300-dpi JPEG pages, {:.0} MB", mb as f64 / 1e6);

    // Our pipeline, over hard links of the source files (same inodes: same warm page cache),
    // as the desk runs it (every file sealed) and with plaintext files, alternating, the best
    // of two runs each.
    let seal = Seal::from_cache_key(&[0x42; 32]);
    let (mut ours, mut plain) = (f64::MAX, f64::MAX);
    for round in 0..2 {
        plain = plain.min(pipeline(
            tmp.path(),
            &source,
            None,
            &format!("plain{round}"),
        ));
        ours = ours.min(pipeline(
            tmp.path(),
            &source,
            Some(seal.clone()),
            &format!("sealed{round}"),
        ));
    }
    let pages_per_s = PAGES as f64 / ours;
    let sealed_ratio = ours / plain;

    // libvips and coreutils on the same files.
    warm(&source);
    let files: Vec<_> = fs::read_dir(&source)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    let thumbs = tmp.path().join("vips");
    fs::create_dir_all(&thumbs).unwrap();
    let t = Instant::now();
    let vips = Command::new("vipsthumbnail")
        .args(["--size", "256", "-o"])
        .arg(format!("{}/%s.png", thumbs.display()))
        .args(&files)
        .status()
        .expect("vipsthumbnail (Debian libvips-tools)");
    let sha = Command::new("sha256sum")
        .args(&files)
        .stdout(std::process::Stdio::null())
        .status()
        .unwrap();
    let theirs = t.elapsed().as_secs_f64();
    assert!(vips.success() && sha.success());
    let ratio = ours / theirs;

    // Detection latency with the OS watcher and the default stability delay.
    let hot2 = tmp.path().join("hot2");
    let config = IntakeConfig::under(&tmp.path().join("desk2"), &hot2).sealed(seal);
    let stability = config.stability;
    let mut folder = HotFolder::new(config).unwrap();
    let watch = Watch::start(&hot2, WatchMode::Events).unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let (tx, rx) = mpsc::channel();
    let stop2 = stop.clone();
    let looper = std::thread::spawn(move || {
        run(&mut folder, &watch, Duration::from_secs(2), &stop2, |o| {
            let _ = tx.send((Instant::now(), o));
        })
        .unwrap();
    });
    let small = fs::read(source.join("page-001.jpg")).unwrap();
    let mut lat = Vec::new();
    for i in 0..20 {
        let mut f = fs::File::create(hot2.join(format!("d-{i}.jpg"))).unwrap();
        f.write_all(&small).unwrap();
        f.write_all(format!("{i}").as_bytes()).unwrap();
        drop(f);
        let closed = Instant::now();
        let (at, _) = rx
            .recv_timeout(Duration::from_secs(10))
            .expect("taken within 10 s");
        lat.push((at - closed).saturating_sub(stability).as_secs_f64() * 1e3);
    }
    stop.store(true, Ordering::SeqCst);
    looper.join().unwrap();
    lat.sort_by(f64::total_cmp);
    let p95 = lat[(lat.len() * 95).div_ceil(100) - 1];

    println!(
        "ours: {ours:.2} s ({pages_per_s:.1} pages/s); vipsthumbnail + sha256sum: {theirs:.2} s; ratio {ratio:.2}"
    );
    println!("sealed over plaintext: {sealed_ratio:.2} ({plain:.2} s plaintext)");
    println!("detection beyond the {stability:?} stability delay: p95 {p95:.0} ms");
    fs::create_dir_all(format!("{root}/target/bench")).unwrap();
    let mut tsv = fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(format!("{root}/target/bench/summary.tsv"))
        .unwrap();
    writeln!(tsv, "intake_pages_per_s\t{pages_per_s:.1}\tpages/s").unwrap();
    writeln!(tsv, "intake_vs_vips_ratio\t{ratio:.2}\tratio").unwrap();
    writeln!(tsv, "intake_encrypted_ratio\t{sealed_ratio:.2}\tratio").unwrap();
    writeln!(tsv, "intake_take_p95_ms\t{p95:.0}\tms").unwrap();
}
