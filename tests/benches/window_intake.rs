//! `intake_detect_p95_ms`: a page closed in the hot folder → shown in the selected slot of the
//! open case, beyond the stability delay. The desk runs its real hot-folder thread; this bench
//! follows the case as the UI does (`poll_case` on each revision the revision feed sends, the
//! `case-revision` event), so the figure includes that delay. 30 A4 scans of ~0.5 MB, one at a
//! time.

use std::io::Write;
use std::time::{Duration, Instant};

use onewindow_app::dto::NewCaseRequest;
use onewindow_app::{Desk, DeskConfig};
use onewindow_tests::{HubProcess, demo_hub_data, jpeg_variant};

fn main() {
    let tmp = tempfile::tempdir().unwrap();
    let hub = HubProcess::start(&demo_hub_data(tmp.path()));
    let rt = tokio::runtime::Runtime::new().unwrap();
    let config = DeskConfig {
        sync_interval: Duration::from_secs(3600),
        hot_folder: tmp.path().join("scans"),
        cache_key: onewindow_app::cache_key::CacheKey::Fixed(onewindow_tests::TEST_CACHE_KEY),
        ..DeskConfig::new(tmp.path().join("desk"), hub.url())
    };
    let hot = config.hot_folder.clone();
    let desk = Desk::open(config);
    rt.block_on(desk.sync_once()).unwrap();
    desk.start_intake();
    let case = desk
        .new_case(&NewCaseRequest {
            item_code: Some("00017200100002".into()),
            scenario_code: Some("00017200100002-01".into()),
            bundle_code: None,
        })
        .unwrap();
    desk.select_slot(&case.id, Some(0)).unwrap();
    let stability = onewindow_intake::IntakeConfig::under(tmp.path(), &hot).stability;

    let (tx, revisions) = std::sync::mpsc::channel();
    rt.spawn(desk.clone().run_revision_feed(move |r| {
        let _ = tx.send(r);
    }));
    let mut revision = 0;
    let mut lat = Vec::new();
    for i in 0..30u32 {
        let bytes = jpeg_variant(1000 + i);
        let mut f = std::fs::File::create(hot.join(format!("page-{i}.jpg"))).unwrap();
        f.write_all(&bytes).unwrap();
        drop(f);
        let closed = Instant::now();
        let shown = loop {
            let left = Duration::from_secs(10).saturating_sub(closed.elapsed());
            revisions
                .recv_timeout(left)
                .unwrap_or_else(|_| panic!("page {i} never shown"));
            if let Some(v) = desk.poll_case(&case.id, revision).unwrap() {
                revision = v.revision;
                if v.materials[0].files.len() == i as usize + 1 {
                    break Instant::now();
                }
            }
        };
        lat.push((shown - closed).saturating_sub(stability).as_secs_f64() * 1e3);
    }
    desk.stop_intake();
    lat.sort_by(f64::total_cmp);
    let p95 = lat[(lat.len() * 95).div_ceil(100) - 1];
    let p50 = lat[lat.len() / 2];
    println!(
        "scan closed → shown in its slot, beyond the {stability:?} stability delay (on the revision feed): p50 {p50:.0} ms, p95 {p95:.0} ms"
    );
    let mut tsv = onewindow_tests::bench_summary();
    writeln!(tsv, "intake_detect_p95_ms\t{p95:.0}\tms").unwrap();
    hub.kill();
}
