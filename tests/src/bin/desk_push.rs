//! `onewindow-desk-push --cache FILE --blobs DIR --hub URL [--throttle BYTES_PER_S]` (token in `ONEWINDOW_TOKEN`): the
//! desk's push loop (`onewindow_sync::push_outbox`, blobs then ops) as a separate process, so
//! crash tests can SIGKILL it anywhere and start it again. Exits 0 once nothing is pending.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

fn main() {
    let mut args = std::env::args().skip(1);
    let (mut cache, mut blobs, mut hub, mut throttle) = (None, None, None, None);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--cache" => cache = args.next().map(PathBuf::from),
            "--blobs" => blobs = args.next().map(PathBuf::from),
            "--hub" => hub = args.next(),
            "--throttle" => throttle = args.next().and_then(|t| t.parse::<u64>().ok()),
            other => {
                eprintln!("unknown argument {other}");
                std::process::exit(2);
            }
        }
    }
    let (Some(cache), Some(blobs), Some(hub)) = (cache, blobs, hub) else {
        eprintln!("usage: onewindow-desk-push --cache FILE --blobs DIR --hub URL");
        std::process::exit(2);
    };
    let token = std::env::var("ONEWINDOW_TOKEN").expect("ONEWINDOW_TOKEN");
    let store = Arc::new(Mutex::new(
        onewindow_store::Store::open(&cache).expect("cache opens"),
    ));
    let client = onewindow_sync::HubClient::new(&hub).with_token(&token);
    let rt = tokio::runtime::Runtime::new().expect("runtime");
    let blobs = onewindow_tests::sealed_blobs(&blobs);
    loop {
        match rt.block_on(onewindow_sync::push_outbox(
            &client, &store, &blobs, throttle,
        )) {
            Ok(_) => {
                let pending = store.lock().unwrap().push_health().unwrap().pending_ops;
                if pending == 0 {
                    return;
                }
            }
            Err(e) => {
                eprintln!("push failed: {e}");
                std::thread::sleep(std::time::Duration::from_millis(100));
            }
        }
    }
}
