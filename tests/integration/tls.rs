//! HTTPS: the desk pins the hub's certificate.

use onewindow_app::dto::ErrorCode;
use onewindow_tests::{HubProcess, demo_hub_data, enrol_code, hub_cli};

use crate::support::{accepted_case, desk, mock_keyring};

/// The hub over HTTPS (rustls, a self-signed certificate it made itself), the desk pinning
/// that certificate's fingerprint at enrolment: it enrols with the first 16 hex digits the
/// administrator read out, keeps the whole fingerprint, and then syncs and pushes. A hub with
/// another certificate (someone posing as the hub) is refused and the clerk is told; an https
/// hub without a fingerprint and plain HTTP to another PC are refused before anything is sent.
/// A hub bound beyond loopback serves HTTPS only.
#[tokio::test(flavor = "multi_thread")]
async fn the_desk_pins_the_hubs_certificate_over_https() {
    mock_keyring();
    let tmp = tempfile::tempdir().unwrap();
    let data = demo_hub_data(tmp.path());
    let hub = HubProcess::start_tls(&data);
    let fp = hub.fingerprint.clone().unwrap();
    assert!(hub.url().starts_with("https://127.0.0.1:"));
    // enrol prints the same fingerprint for the administrator.
    let printed = hub_cli(&[
        "enrol",
        "--data",
        data.to_str().unwrap(),
        "--desk",
        "2 号窗口",
    ]);
    let grouped = onewindow_proto::cert::grouped(&fp);
    assert!(printed.contains(&grouped), "{printed}");
    let tls_cert = hub_cli(&["tls-cert", "--data", data.to_str().unwrap()]);
    assert!(tls_cert.contains(&grouped), "{tls_cert}");

    let d = desk(tmp.path(), "http://127.0.0.1:9".into());
    let code = enrol_code(&data, "1 号窗口");
    // Refused before anything is sent: no fingerprint, a mistyped one, plain HTTP elsewhere.
    let err = d.enrol(&hub.url(), &code, "").await.unwrap_err();
    assert_eq!(err.code, ErrorCode::BadPin, "{err:?}");
    let err = d.enrol(&hub.url(), &code, "3F2A 9C01").await.unwrap_err();
    assert!(err.message.contains("32"), "{err:?}");
    let err = d
        .enrol("http://10.0.0.5:8470", &code, "")
        .await
        .unwrap_err();
    assert!(err.message.contains("https://"), "{err:?}");
    // Not loopback in disguise: user info before the host is refused outright.
    let err = d
        .enrol("http://[::1]@10.0.0.5:8470", &code, "")
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::BadUrl, "{err:?}");
    assert!(err.message.contains("用户名"), "{err:?}");
    // Someone else's certificate: another hub with its own self-signed one.
    let other_data = tmp.path().join("other-hub");
    std::fs::create_dir_all(&other_data).unwrap();
    onewindow_tests::import_catalog(&other_data, &onewindow_tests::demo("catalog-sample.json"));
    let other = HubProcess::start_tls(&other_data);
    assert_ne!(other.fingerprint, hub.fingerprint);
    let err = d.enrol(&other.url(), &code, &fp[..32]).await.unwrap_err();
    assert_eq!(err.code, ErrorCode::HubCertMismatch, "{err:?}");
    assert!(err.message.contains("证书"), "{err:?}");

    // 16 digits (64 bits) are too few to pin a certificate.
    let err = d
        .enrol(&hub.url(), &code, &grouped[..19])
        .await
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::BadPin, "{err:?}");
    assert!(err.message.contains("32"), "{err:?}");
    // The right hub, with the fingerprint's first 32 digits as typed (grouped, upper case).
    let st = d.enrol(&hub.url(), &code, &grouped[..39]).await.unwrap();
    assert!(st.push.enrolled);
    let id = onewindow_tests::desk_store(&tmp.path().join("desk/cache.db"))
        .identity()
        .unwrap()
        .unwrap();
    assert_eq!(
        id.hub_pin.as_deref(),
        Some(fp.as_str()),
        "the whole fingerprint is pinned"
    );
    assert_eq!(id.hub_url, hub.url());
    assert!(d.sync_once().await.is_ok());
    let number = accepted_case(&d, 1).await;
    let _ = d.sync_once().await;
    let hub_store = onewindow_tests::hub_store(&data);
    assert!(
        hub_store.hub_case(&number).unwrap().is_some(),
        "the case reached the hub over HTTPS"
    );
    drop(hub_store);

    // The hub's address now answers with another certificate: refused, and the clerk is told.
    let port = hub.addr.rsplit(':').next().unwrap().to_string();
    hub.kill();
    let impostor = HubProcess::start_tls_at(&other_data, &format!("127.0.0.1:{port}"));
    let err = d.sync_once().await.unwrap_err();
    assert_eq!(err.code, ErrorCode::HubCertMismatch, "{err:?}");
    assert!(d.status().last_error.unwrap().contains("冒充"));
    impostor.kill();
    // A desk restarted keeps its pin (from the cache), and the real hub is accepted again.
    drop(d);
    let hub = HubProcess::start_tls_at(&data, &format!("127.0.0.1:{port}"));
    let d = desk(tmp.path(), "http://127.0.0.1:9".into());
    assert!(d.sync_once().await.is_ok());
    drop(hub);

    // Bound beyond loopback, the hub serves HTTPS only (it makes its certificate if needed).
    let wide = HubProcess::start_at(&tmp.path().join("wide"), "0.0.0.0:0");
    let wide_port = wide.addr.rsplit(':').next().unwrap().to_string();
    let plain = reqwest::Client::new()
        .get(format!("http://127.0.0.1:{wide_port}/v1/health"))
        .send()
        .await;
    assert!(
        plain.is_err() || !plain.unwrap().status().is_success(),
        "no plain HTTP"
    );
    assert!(
        onewindow_hub::tls::existing_fingerprint(&tmp.path().join("wide"))
            .unwrap()
            .is_some()
    );
}
