//! `catalog_search_p99_us` / `catalog_search_p50_us` per query kind over a synthetic catalog of
//! 20,000 items. Rows go to target/bench/summary.tsv (appended; `make bench` starts it afresh).

use std::io::Write;
use std::time::Instant;

use onewindow_domain::search::{CatalogIndex, SearchDoc, SearchQuery};
use onewindow_domain::{Catalog, synthetic};
use pinyin::ToPinyin;

const ITEMS: usize = 20_000;
const QUERIES: usize = 2_000;

fn percentile(sorted: &[f64], p: f64) -> f64 {
    let idx = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[idx]
}

fn main() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/../..");
    let text = std::fs::read_to_string(format!("{root}/demo/catalog-sample.json")).unwrap();
    let sample = Catalog::from_json_str(&text).unwrap();
    let catalog = synthetic::generate(&sample, ITEMS, 42);
    let t = Instant::now();
    let index = CatalogIndex::build(catalog.items.iter().map(SearchDoc::from));
    let build_ms = t.elapsed().as_secs_f64() * 1e3;

    let mut rng = synthetic::Rng::new(9);
    let names: Vec<Vec<char>> = catalog
        .items
        .iter()
        .map(|i| i.name.chars().collect())
        .collect();
    let mut queries: Vec<(&str, Vec<String>)> = vec![
        ("substring", vec![]),
        ("pinyin", vec![]),
        ("initials", vec![]),
        ("code", vec![]),
    ];
    while queries[0].1.len() < QUERIES {
        let i = rng.below(names.len());
        let name = &names[i];
        // Three Chinese characters in a row, so every kind of query has something to type.
        let han = |c: &char| ('\u{4e00}'..='\u{9fff}').contains(c);
        if name.len() < 3 || !name[..3].iter().all(han) {
            continue;
        }
        let start = rng.below(name.len() - 2);
        if !name[start..start + 3].iter().all(han) {
            continue;
        }
        let chunk: String = name[start..(start + 3).min(name.len())].iter().collect();
        queries[0].1.push(chunk.clone());
        let lead: String = name[..3.min(name.len())].iter().collect();
        queries[1].1.push(
            lead.as_str()
                .to_pinyin()
                .flatten()
                .map(|p| p.plain())
                .collect(),
        );
        queries[2].1.push(
            chunk
                .as_str()
                .to_pinyin()
                .flatten()
                .map(|p| p.first_letter())
                .collect(),
        );
        queries[3].1.push(catalog.items[i].code[..8].to_string());
    }

    let out_dir = format!("{root}/target/bench");
    std::fs::create_dir_all(&out_dir).unwrap();
    let mut tsv = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(format!("{out_dir}/summary.tsv"))
        .unwrap();
    println!("catalog search over {ITEMS} items (index built in {build_ms:.0} ms)");
    println!(
        "{:<10} {:>9} {:>9} {:>9} {:>10}",
        "kind", "p50 µs", "p99 µs", "max µs", "avg hits"
    );
    let mut worst_p99 = 0f64;
    for (kind, qs) in &queries {
        let mut times = Vec::with_capacity(qs.len());
        let mut hits = 0usize;
        for q in qs {
            let t = Instant::now();
            let r = index.search(&SearchQuery {
                text: q,
                domain: None,
                limit: 50,
            });
            times.push(t.elapsed().as_secs_f64() * 1e6);
            hits += r.total;
            assert!(r.total > 0, "query {q:?} ({kind}) found nothing");
        }
        times.sort_by(f64::total_cmp);
        let (p50, p99) = (percentile(&times, 0.5), percentile(&times, 0.99));
        worst_p99 = worst_p99.max(p99);
        println!(
            "{kind:<10} {p50:>9.1} {p99:>9.1} {:>9.1} {:>10.1}",
            times[times.len() - 1],
            hits as f64 / qs.len() as f64
        );
        writeln!(tsv, "catalog_search_p50_us/{kind}\t{p50:.1}\tus").unwrap();
        writeln!(tsv, "catalog_search_p99_us/{kind}\t{p99:.1}\tus").unwrap();
    }
    writeln!(tsv, "catalog_search_p99_us\t{worst_p99:.1}\tus").unwrap();
    writeln!(tsv, "catalog_index_build_20k_ms\t{build_ms:.0}\tms").unwrap();
}
