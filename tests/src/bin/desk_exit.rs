//! `onewindow-desk-exit DATA_DIR`: a desk that opens its cache, takes the scans waiting in its
//! hot folder (`DATA_DIR/scans`) on its hot-folder thread, then shuts down in order and
//! returns from `main`, as the app does when its window closes. The exit test runs it many
//! times: every run must end with status 0 (it once died in SQLCipher's clean-up now and then).

use std::path::PathBuf;
use std::time::{Duration, Instant};

fn main() {
    let data = PathBuf::from(
        std::env::args()
            .nth(1)
            .expect("usage: onewindow-desk-exit DATA_DIR"),
    );
    let config = onewindow_app::DeskConfig {
        sync_interval: Duration::from_secs(3600),
        cache_key: onewindow_app::cache_key::CacheKey::Fixed(onewindow_tests::TEST_CACHE_KEY),
        ..onewindow_app::DeskConfig::new(data.clone(), onewindow_tests::dead_port_url())
    };
    let hot = config.hot_folder.clone();
    let desk = onewindow_app::Desk::open(config);
    desk.start_intake();
    // Exit while the thread is busy with the last file, or right after.
    let until = Instant::now() + Duration::from_secs(10);
    while std::fs::read_dir(&hot).map(|d| d.count()).unwrap_or(0) > 1 && Instant::now() < until {
        std::thread::sleep(Duration::from_millis(5));
    }
    desk.shutdown();
    drop(desk);
}
