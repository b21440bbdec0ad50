//! What encrypting the desk cache costs (run inside a headless Secret Service, as `make bench`
//! does, so the key comes from a real keyring):
//! - `cache_open_ms`: the key fetched from the keyring, the SQLCipher cache opened and its
//!   migrations checked — what a desk start pays; median of 15.
//! - `case_save_encrypted_ratio`: 300 cases made, their applicant and form saved and accepted,
//!   into an encrypted cache over a plaintext one; median of 11 rounds, interleaved.
//! - `catalog_pull_encrypted_ratio`: the 20,000-item catalog pulled from a hub on loopback into
//!   an encrypted cache over a plaintext one; median of 11 rounds, interleaved, after one pull
//!   that warms the hub (otherwise the first plaintext round pays for it).

use std::collections::BTreeMap;
use std::io::Write;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use chrono::Utc;
use onewindow_app::cache_key::CacheKey;
use onewindow_domain::applicant::{Applicant, ApplicantKind};
use onewindow_domain::case::CaseAction;
use onewindow_domain::{Catalog, synthetic};
use onewindow_store::Store;
use onewindow_store::cases::{Actor, NewCase};
use onewindow_sync::{HubClient, pull_catalog};
use onewindow_tests::{HubProcess, TEST_CACHE_KEY, demo, import_catalog};

fn open(path: &Path, encrypted: bool) -> Store {
    if encrypted {
        Store::open_encrypted(path, &TEST_CACHE_KEY).unwrap()
    } else {
        Store::open(path).unwrap()
    }
}

fn save_cases(path: &Path, encrypted: bool) -> f64 {
    let mut s = open(path, encrypted);
    let who = Actor {
        user: "李窗口".into(),
        desk: "W01".into(),
    };
    let applicant = Applicant {
        kind: ApplicantKind::Person,
        name: "徐志强".into(),
        number: "371082199906080810".into(),
        phone: Some("13906310001".into()),
        address: Some("山东省荣成市成山大道 1 号".into()),
        legal_rep: None,
        agent: None,
        assist: None,
        card: None,
    };
    let form: BTreeMap<String, String> = [
        ("name", "徐志强"),
        ("id_number", "371082199906080810"),
        ("mobile", "13906310001"),
        ("delivery", "窗口领取"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    let t = Instant::now();
    for _ in 0..300 {
        let now = Utc::now();
        let case = s
            .create_case(
                &NewCase {
                    item_code: "00017200100002".into(),
                    scenario_code: Some("00017200100002-01".into()),
                    local_date: "2026-11-27".parse().unwrap(),
                },
                &who,
                now,
            )
            .unwrap();
        s.save_intake(&case.id, &applicant, &form, now).unwrap();
        s.transition(&case.id, CaseAction::Accept, &who, now, None)
            .unwrap();
    }
    t.elapsed().as_secs_f64() * 1e3
}

/// Rounds of each encrypted/plaintext comparison (the machine is noisy: the median of many).
const ROUNDS: usize = 11;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let tmp = tempfile::tempdir().unwrap();

    // cache_open_ms: keyring fetch + SQLCipher open + migrations, on an existing cache.
    let cache = tmp.path().join("open/cache.db");
    std::fs::create_dir_all(cache.parent().unwrap()).unwrap();
    let key = CacheKey::Keyring
        .get(&cache)
        .expect("a Secret Service (make bench runs this in dbus-run-session with gnome-keyring)");
    drop(Store::open_encrypted(&cache, &key).unwrap());
    let mut opens = Vec::new();
    for _ in 0..15 {
        let t = Instant::now();
        let key = CacheKey::Keyring.get(&cache).unwrap();
        let s = Store::open_encrypted(&cache, &key).unwrap();
        opens.push(t.elapsed().as_secs_f64() * 1e3);
        drop(s);
    }
    let open_ms = median(opens.clone());
    println!(
        "cache open (keyring + SQLCipher + migrations): {opens:.1?} ms, median {open_ms:.1} ms"
    );

    // case_save_encrypted_ratio.
    let (mut plain, mut enc) = (Vec::new(), Vec::new());
    for round in 0..ROUNDS {
        plain.push(save_cases(
            &tmp.path().join(format!("plain-{round}/cache.db")),
            false,
        ));
        enc.push(save_cases(
            &tmp.path().join(format!("enc-{round}/cache.db")),
            true,
        ));
    }
    let save_ratio = median(enc.clone()) / median(plain.clone());
    println!(
        "300 cases saved and accepted: plaintext {plain:.0?} ms, encrypted {enc:.0?} ms, ratio {save_ratio:.2}"
    );

    // catalog_pull_encrypted_ratio.
    let text = std::fs::read_to_string(demo("catalog-sample.json")).unwrap();
    let sample = Catalog::from_json_str(&text).unwrap();
    let catalog = synthetic::generate(&sample, 20_000, 42);
    let file = tmp.path().join("catalog-20k.json");
    std::fs::write(&file, serde_json::to_vec(&catalog).unwrap()).unwrap();
    let data = tmp.path().join("hub");
    import_catalog(&data, &file);
    let hub = HubProcess::start(&data);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let pull = |path: &Path, encrypted: bool| {
        let store = Arc::new(Mutex::new(open(path, encrypted)));
        let client = HubClient::new(&hub.url());
        let t = Instant::now();
        rt.block_on(pull_catalog(&client, &store)).unwrap();
        let ms = t.elapsed().as_secs_f64() * 1e3;
        assert_eq!(store.lock().unwrap().item_count().unwrap(), 20_000);
        ms
    };
    pull(&tmp.path().join("pull-warm/cache.db"), false);
    let (mut plain, mut enc) = (Vec::new(), Vec::new());
    for round in 0..ROUNDS {
        plain.push(pull(
            &tmp.path().join(format!("pull-plain-{round}/cache.db")),
            false,
        ));
        enc.push(pull(
            &tmp.path().join(format!("pull-enc-{round}/cache.db")),
            true,
        ));
    }
    let pull_ratio = median(enc.clone()) / median(plain.clone());
    println!(
        "20,000-item catalog pull: plaintext {plain:.0?} ms, encrypted {enc:.0?} ms, ratio {pull_ratio:.2}"
    );
    hub.kill();

    let mut tsv = onewindow_tests::bench_summary();
    writeln!(tsv, "cache_open_ms\t{open_ms:.1}\tms").unwrap();
    writeln!(tsv, "case_save_encrypted_ratio\t{save_ratio:.2}\tratio").unwrap();
    writeln!(tsv, "catalog_pull_encrypted_ratio\t{pull_ratio:.2}\tratio").unwrap();
}
