//! What the load benches share.

use crate::root;

/// `target/bench/summary.tsv`, opened to append: each bench writes one `name\tvalue\tunit`
/// row per figure the issues name (`make bench` starts it empty).
pub fn bench_summary() -> std::fs::File {
    let dir = root().join("target/bench");
    std::fs::create_dir_all(&dir).expect("target/bench");
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(dir.join("summary.tsv"))
        .expect("target/bench/summary.tsv")
}
