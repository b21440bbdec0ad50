//! A county of several hub processes: a second `serve` on the first one's database, blob
//! folder and keys, and a TCP load balancer in front of them.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use crate::{HubProcess, hub_database};

/// The key file every hub process of a test county reads (`--key-file`): the first one's.
pub fn county_key_file(first: &Path) -> PathBuf {
    first.join("keys").join("hub.key")
}

/// Starts the first hub process of a county on `data`, its blobs in `blobs` (shared).
pub fn start_first(data: &Path, blobs: &Path, failpoint: Option<&str>) -> HubProcess {
    HubProcess::start_args(
        data,
        "127.0.0.1:0",
        failpoint,
        &[
            "--blobs",
            blobs.to_str().unwrap(),
            "--key-file",
            county_key_file(data).to_str().unwrap(),
        ],
    )
}

/// Another hub process of the county whose first one serves `first`, as the README's
/// deployment has it: on the same database (PostgreSQL), the same blob folder and key file,
/// and a data folder of its own holding a copy of the hub's audit key.
pub fn start_replica(first: &Path, data: &Path, blobs: &Path) -> HubProcess {
    let database = hub_database(first).expect("replicas share a PostgreSQL database");
    std::fs::create_dir_all(data).unwrap();
    std::fs::copy(
        first.join(onewindow_hub_store::store_audit::HUB_KEY_FILE),
        data.join(onewindow_hub_store::store_audit::HUB_KEY_FILE),
    )
    .expect("the first hub process made the audit key");
    HubProcess::start_args(
        data,
        "127.0.0.1:0",
        None,
        &[
            "--database",
            &database,
            "--blobs",
            blobs.to_str().unwrap(),
            "--key-file",
            county_key_file(first).to_str().unwrap(),
        ],
    )
}

/// A TCP load balancer: each connection goes to the first of its backends (from the
/// preferred one on) that accepts it, so a dead hub process is passed over.
pub struct Balancer {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    preferred: Arc<AtomicUsize>,
    /// Connections each backend took.
    served: Arc<Vec<AtomicUsize>>,
}

impl Balancer {
    pub fn start(backends: &[&str]) -> Balancer {
        let backends: Vec<SocketAddr> = backends.iter().map(|a| a.parse().unwrap()).collect();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        listener.set_nonblocking(true).unwrap();
        let stop = Arc::new(AtomicBool::new(false));
        let preferred = Arc::new(AtomicUsize::new(0));
        let served: Arc<Vec<AtomicUsize>> =
            Arc::new(backends.iter().map(|_| AtomicUsize::new(0)).collect());
        let (stop2, preferred2, served2) = (stop.clone(), preferred.clone(), served.clone());
        std::thread::spawn(move || {
            while !stop2.load(Ordering::SeqCst) {
                let Ok((client, _)) = listener.accept() else {
                    std::thread::sleep(std::time::Duration::from_millis(2));
                    continue;
                };
                let _ = client.set_nonblocking(false);
                let first = preferred2.load(Ordering::SeqCst);
                let upstream = (0..backends.len())
                    .map(|i| (first + i) % backends.len())
                    .find_map(|i| {
                        TcpStream::connect_timeout(
                            &backends[i],
                            std::time::Duration::from_millis(500),
                        )
                        .ok()
                        .map(|s| (i, s))
                    });
                let Some((i, upstream)) = upstream else {
                    continue;
                };
                served2[i].fetch_add(1, Ordering::SeqCst);
                for (from, to) in [
                    (client.try_clone().unwrap(), upstream.try_clone().unwrap()),
                    (upstream, client),
                ] {
                    std::thread::spawn(move || crate::pump(from, to, None, None, 0));
                }
            }
        });
        Balancer {
            addr,
            stop,
            preferred,
            served,
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// New connections try backend `i` first.
    pub fn prefer(&self, i: usize) {
        self.preferred.store(i, Ordering::SeqCst);
    }

    /// How many connections backend `i` took so far.
    pub fn served(&self, i: usize) -> usize {
        self.served[i].load(Ordering::SeqCst)
    }
}

impl Drop for Balancer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}
