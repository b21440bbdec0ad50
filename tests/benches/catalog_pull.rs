//! `catalog_pull_20k_ms`: a desk store pulls a synthetic 20,000-item catalog from a real hub
//! process on loopback into a fresh SQLite file, median of 3 runs.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use onewindow_domain::{Catalog, synthetic};
use onewindow_store::Store;
use onewindow_sync::{HubClient, pull_catalog};
use onewindow_tests::{HubProcess, demo, import_catalog};

fn main() {
    let text = std::fs::read_to_string(demo("catalog-sample.json")).unwrap();
    let sample = Catalog::from_json_str(&text).unwrap();
    let catalog = synthetic::generate(&sample, 20_000, 42);
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("catalog-20k.json");
    std::fs::write(&file, serde_json::to_vec(&catalog).unwrap()).unwrap();
    let data = tmp.path().join("hub");
    import_catalog(&data, &file);
    let hub = HubProcess::start(&data);
    let rt = tokio::runtime::Runtime::new().unwrap();

    let mut runs = Vec::new();
    for run in 0..3 {
        let store = Arc::new(Mutex::new(
            Store::open(&tmp.path().join(format!("desk-{run}/cache.db"))).unwrap(),
        ));
        let client = HubClient::new(&hub.url());
        let t = Instant::now();
        let report = rt.block_on(pull_catalog(&client, &store)).unwrap();
        runs.push(t.elapsed().as_secs_f64() * 1e3);
        assert_eq!(store.lock().unwrap().item_count().unwrap(), 20_000);
        assert!(report.pages >= 10);
    }
    runs.sort_by(f64::total_cmp);
    let median = runs[1];
    println!(
        "catalog pull of 20,000 items over loopback: runs {runs:.0?} ms, median {median:.0} ms"
    );
    let mut tsv = onewindow_tests::bench_summary();
    writeln!(tsv, "catalog_pull_20k_ms\t{median:.0}\tms").unwrap();
}
