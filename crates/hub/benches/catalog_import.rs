//! `catalog_import_20k_ms`: `onewindow-hub import-catalog` of a synthetic 20,000-item JSON file
//! into a fresh data folder (read, validate, diff, publish), median of 3 runs.

use std::io::Write;
use std::time::Instant;

use onewindow_domain::{Catalog, synthetic};
use onewindow_hub::{import, store::HubStore};

fn main() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
    let text = std::fs::read_to_string(format!("{root}/demo/catalog-sample.json")).unwrap();
    let sample = Catalog::from_json_str(&text).unwrap();
    let catalog = synthetic::generate(&sample, 20_000, 42);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("catalog-20k.json");
    std::fs::write(&file, serde_json::to_vec(&catalog).unwrap()).unwrap();
    let size_mb = std::fs::metadata(&file).unwrap().len() as f64 / 1e6;

    let mut runs = Vec::new();
    for run in 0..3 {
        let data = dir.path().join(format!("hub-{run}"));
        let t = Instant::now();
        let cat = import::read_catalog_file(&file).unwrap();
        let read_ms = t.elapsed().as_secs_f64() * 1e3;
        let mut store = HubStore::open_dir(&data).unwrap();
        let report = store
            .import_catalog(&cat, "catalog-20k.json", chrono::Utc::now())
            .unwrap();
        runs.push(t.elapsed().as_secs_f64() * 1e3);
        println!(
            "run {run}: read and check {read_ms:.0} ms, publish {:.0} ms",
            runs[run] - read_ms
        );
        assert_eq!(
            report.upserts,
            20_000 + sample.domains.len() + cat.bundles.len()
        );
    }
    runs.sort_by(f64::total_cmp);
    let median = runs[1];
    println!(
        "catalog import of 20,000 items ({size_mb:.1} MB JSON): runs {runs:.0?} ms, median {median:.0} ms"
    );
    let out = format!("{root}/target/bench");
    std::fs::create_dir_all(&out).unwrap();
    let mut tsv = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(format!("{out}/summary.tsv"))
        .unwrap();
    writeln!(tsv, "catalog_import_20k_ms\t{median:.0}\tms").unwrap();
    writeln!(tsv, "catalog_20k_json_mb\t{size_mb:.1}\tMB").unwrap();
}
