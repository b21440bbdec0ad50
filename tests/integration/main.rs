//! Cross-crate tests with real parts: a real `onewindow-hub` process on 127.0.0.1, real SQLite
//! files for the desk cache, the desk's services as the UI calls them.

use onewindow_app::dto::ErrorCode;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use onewindow_app::dto::{Connectivity, SearchRequest};
use onewindow_app::{Desk, DeskConfig};
use onewindow_domain::Catalog;
use onewindow_store::Store;
use onewindow_store::catalog::CATALOG;
use onewindow_sync::{HubClient, SyncError, pull_calendar, pull_catalog};
use onewindow_tests::{HubProcess, dead_port_url, demo, demo_hub_data, import_catalog};

fn desk_store(dir: &std::path::Path) -> Arc<Mutex<Store>> {
    Arc::new(Mutex::new(onewindow_tests::desk_store(
        &dir.join("desk/cache.db"),
    )))
}

/// A desk with its data in `dir` that pulls only when told to.
fn desk_config(dir: std::path::PathBuf, hub_url: String) -> DeskConfig {
    DeskConfig {
        sync_interval: Duration::from_secs(3600),
        cache_key: onewindow_app::cache_key::CacheKey::Fixed(onewindow_tests::TEST_CACHE_KEY),
        ..DeskConfig::new(dir, hub_url)
    }
}

fn items(store: &Arc<Mutex<Store>>) -> i64 {
    store.lock().unwrap().item_count().unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn desk_pulls_catalog_and_calendar_then_only_what_changed() {
    let tmp = tempfile::tempdir().unwrap();
    let data = demo_hub_data(tmp.path());
    let hub = HubProcess::start(&data);
    let client = HubClient::new(&hub.url());
    let store = desk_store(tmp.path());

    assert_eq!(client.health().await.unwrap().status, "ok");
    let cal = pull_calendar(&client, &store).await.unwrap();
    assert_eq!(cal.rows, 1);
    let first = pull_catalog(&client, &store).await.unwrap();
    assert_eq!(first.rows, 57, "14 domains, 40 items, 3 bundles");
    assert_eq!(first.state.version_id, Some(1));
    assert_eq!(
        first.state.version_label.as_deref(),
        Some("2026.04-fixture.1")
    );
    assert_eq!(items(&store), 40);
    {
        let s = store.lock().unwrap();
        let calendar = s.calendar().unwrap();
        assert!(!calendar.is_working_day("2026-10-05".parse().unwrap()));
        assert!(
            calendar.is_working_day("2026-09-20".parse().unwrap()),
            "make-up Sunday"
        );
    }

    let second = pull_catalog(&client, &store).await.unwrap();
    assert_eq!(second.rows, 0);
    assert_eq!(second.state, first.state);

    // Re-import with one item changed: exactly that item comes down.
    let text = std::fs::read_to_string(demo("catalog-sample.json")).unwrap();
    let mut cat = Catalog::from_json_str(&text).unwrap();
    cat.version = "2026.04-fixture.2".into();
    let changed_code = cat.items[7].code.clone();
    cat.items[7].phone = "0631-7560000".into();
    let file = tmp.path().join("catalog-v2.json");
    std::fs::write(&file, serde_json::to_vec(&cat).unwrap()).unwrap();
    let out = import_catalog(&data, &file);
    assert!(out.contains("1 项新增或更新，0 项删除"), "{out}");

    let third = pull_catalog(&client, &store).await.unwrap();
    assert_eq!(third.rows, 1);
    assert_eq!(third.state.version_id, Some(2));
    let item = store.lock().unwrap().item(&changed_code).unwrap().unwrap();
    assert_eq!(item.phone, "0631-7560000");
}

/// A hub data folder in `dir` publishing a synthetic catalog of `items` made from the demo
/// sample; the folder, the sample and the catalog.
fn big_catalog_hub(
    dir: &std::path::Path,
    items: usize,
    seed: u64,
) -> (std::path::PathBuf, Catalog, Catalog) {
    let text = std::fs::read_to_string(demo("catalog-sample.json")).unwrap();
    let sample = Catalog::from_json_str(&text).unwrap();
    let big = onewindow_domain::synthetic::generate(&sample, items, seed);
    let file = dir.join(format!("catalog-{items}.json"));
    std::fs::write(&file, serde_json::to_vec(&big).unwrap()).unwrap();
    let data = dir.join("hub");
    import_catalog(&data, &file);
    (data, sample, big)
}

#[tokio::test(flavor = "multi_thread")]
async fn hub_restarted_mid_pull_resumes_and_applies_whole_versions_only() {
    let tmp = tempfile::tempdir().unwrap();
    let (data, sample, big) = big_catalog_hub(tmp.path(), 5000, 3);

    let hub = HubProcess::start(&data);
    let client = HubClient::new(&hub.url());
    let store = desk_store(tmp.path());

    // First page only, as if the hub died right after it.
    let page = client.catalog_changes(0, 2000).await.unwrap();
    assert!(page.has_more);
    assert!(page.checkpoint.is_none());
    let st = store.lock().unwrap().apply_catalog_page(&page).unwrap();
    assert_eq!((st.cursor, st.staged_cursor), (0, 2000));
    assert_eq!(items(&store), 0, "a partial version is never live");

    let addr = hub.addr.clone();
    hub.kill();
    let err = pull_catalog(&client, &store).await.unwrap_err();
    assert!(matches!(err, SyncError::Unreachable { .. }), "{err:?}");
    assert_eq!(err.code(), onewindow_sync::SyncCode::HubUnreachable);
    assert_eq!(
        store
            .lock()
            .unwrap()
            .stream_state(CATALOG)
            .unwrap()
            .staged_cursor,
        2000
    );

    let hub = HubProcess::start_at(&data, &addr);
    let report = pull_catalog(&client, &store).await.unwrap();
    let expected_rows = 5000 + sample.domains.len() + big.bundles.len();
    assert_eq!(
        report.rows as usize,
        expected_rows - 2000,
        "resumed after the stored page"
    );
    assert_eq!(report.state.cursor as usize, expected_rows);
    assert_eq!(items(&store), 5000);
    drop(hub);
}

/// A version of several pages is held in memory and applied whole in one transaction; with no
/// room to hold it, it goes through the staging table a page at a time. Both end the same, and
/// a pull cut off while a version is held stores nothing and starts over cleanly.
#[tokio::test(flavor = "multi_thread")]
async fn a_version_is_applied_whole_from_memory_or_through_staging_alike() {
    let tmp = tempfile::tempdir().unwrap();
    let (data, _, _) = big_catalog_hub(tmp.path(), 5000, 7);
    let hub = HubProcess::start(&data);
    let client = HubClient::new(&hub.url());

    let held = Arc::new(Mutex::new(onewindow_tests::desk_store(
        &tmp.path().join("a/cache.db"),
    )));
    let report = onewindow_sync::pull_catalog(&client, &held).await.unwrap();
    assert!(report.pages >= 3, "several pages: {}", report.pages);
    let staged = Arc::new(Mutex::new(onewindow_tests::desk_store(
        &tmp.path().join("b/cache.db"),
    )));
    let report_b = onewindow_sync::pull_catalog_buffered(&client, &staged, 1)
        .await
        .unwrap();
    assert_eq!(report.state.cursor, report_b.state.cursor);
    assert_eq!(report.state.version_id, report_b.state.version_id);
    for s in [&held, &staged] {
        let s = s.lock().unwrap();
        assert_eq!(s.item_count().unwrap(), 5000);
        let st = s.stream_state(CATALOG).unwrap();
        assert_eq!(st.staged_cursor, st.cursor, "nothing left staged");
    }

    // The hub dies while the first pages of a new pull are held: nothing was stored, the
    // next pull takes the version from the start.
    let fresh = Arc::new(Mutex::new(onewindow_tests::desk_store(
        &tmp.path().join("c/cache.db"),
    )));
    let proxy = onewindow_tests::ChaosProxy::start(hub.addr.parse().unwrap(), 11);
    let cut = HubClient::new(&proxy.url());
    let mut attempts = 0;
    while onewindow_sync::pull_catalog(&cut, &fresh).await.is_err() {
        attempts += 1;
        let st = fresh.lock().unwrap().stream_state(CATALOG).unwrap();
        assert!(
            st.cursor == 0 || st.cursor == report.state.cursor,
            "only a whole version is ever stored: {st:?}"
        );
        assert_eq!(st.staged_cursor, st.cursor, "nothing staged from memory");
        assert!(attempts < 200, "the pull never got through");
    }
    assert!(attempts >= 1, "the link was never cut");
    assert!(proxy.cuts() >= 1);
    assert_eq!(fresh.lock().unwrap().item_count().unwrap(), 5000);
    drop(hub);
}

#[tokio::test(flavor = "multi_thread")]
async fn desk_works_from_cache_while_the_hub_is_down() {
    let tmp = tempfile::tempdir().unwrap();
    let data = demo_hub_data(tmp.path());
    let hub = HubProcess::start(&data);
    let config = desk_config(tmp.path().join("desk"), hub.url());
    let desk = Desk::open(config.clone());
    assert_eq!(desk.status().connectivity, Connectivity::Unknown);
    assert!(
        desk.sync_once().await.unwrap(),
        "first pull changes the catalog"
    );
    let st = desk.status();
    assert_eq!(st.connectivity, Connectivity::Online);
    assert_eq!(st.item_count, 40);
    assert_eq!(
        st.catalog_version_label.as_deref(),
        Some("2026.04-fixture.1")
    );

    let search = |text: &str| SearchRequest {
        text: text.into(),
        domain: None,
        limit: None,
    };
    let hits = desk.search(&search("gtgsh")).unwrap();
    assert_eq!(hits.hits[0].name, "个体工商户设立登记");
    assert_eq!(hits.hits[0].parent_name.as_deref(), Some("个体工商户登记"));

    hub.kill();
    let err = desk.sync_once().await.unwrap_err();
    assert_eq!(err.code, ErrorCode::HubUnreachable);
    assert!(
        err.message.starts_with("无法连接中心服务"),
        "{}",
        err.message
    );
    let st = desk.status();
    assert_eq!(st.connectivity, Connectivity::Offline);
    assert_eq!(st.item_count, 40);
    let hits = desk.search(&search("sldj")).unwrap();
    assert_eq!(hits.hits[0].name, "个体工商户设立登记");
    let guide = desk.item_guide("000105001001").unwrap();
    assert_eq!(guide.scenarios[0].materials[1].name, "经营者居民身份证");

    // A fresh start with the hub still down opens the same cache.
    drop(desk);
    let desk = Desk::open(DeskConfig {
        hub_url: dead_port_url(),
        ..config
    });
    assert!(desk.sync_once().await.is_err());
    assert_eq!(desk.status().item_count, 40);
    assert_eq!(desk.search(&search("登记")).unwrap().total, 16);
}

#[tokio::test(flavor = "multi_thread")]
async fn guide_and_bundle_views_carry_the_whole_catalog_entry() {
    let tmp = tempfile::tempdir().unwrap();
    let data = demo_hub_data(tmp.path());
    let hub = HubProcess::start(&data);
    let desk = Desk::open(desk_config(tmp.path().join("desk"), hub.url()));
    desk.sync_once().await.unwrap();

    let g = desk.item_guide("000105001001").unwrap();
    assert_eq!(g.name, "个体工商户设立登记");
    assert_eq!(g.level_label, "子项");
    assert_eq!(g.domain_name, "市场监管");
    assert_eq!(g.promised_label, "即办");
    assert_eq!(g.statutory_label, "3 个工作日");
    assert_eq!(g.ancestors.len(), 1);
    assert_eq!(g.ancestors[0].code, "000105001000");
    assert_eq!(g.scenarios.len(), 2);
    let m = &g.scenarios[0].materials[1];
    assert_eq!(
        (
            m.form.as_str(),
            m.copies,
            m.necessity.as_str(),
            m.e_licence.as_deref()
        ),
        ("验原件收复印件", 1, "必要", Some("居民身份证"))
    );
    assert!(g.bundles.iter().all(|b| b.code.starts_with("YJS")));

    let main = desk.item_guide("000105001000").unwrap();
    assert!(!main.is_leaf);
    assert_eq!(main.children.len(), 3);
    assert!(main.scenarios.is_empty());

    let b = desk.bundle_view("YJS371082002").unwrap();
    assert_eq!(b.name, "新生儿出生一件事");
    assert_eq!(b.members.len(), 5);
    assert!(b.members.iter().all(|m| m.present));
    assert_eq!(b.promised_label, "5 个工作日");

    let err = desk.item_guide("000000000000").unwrap_err();
    assert_eq!(err.code, ErrorCode::ItemNotFound);
    let domains = desk.list_domains().unwrap();
    assert_eq!(domains.iter().map(|d| d.item_count).sum::<u32>(), 40);
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_import_while_serving_changes_nothing_the_desk_sees() {
    let tmp = tempfile::tempdir().unwrap();
    let data = demo_hub_data(tmp.path());
    let hub = HubProcess::start(&data);
    let client = HubClient::new(&hub.url());
    let store = desk_store(tmp.path());
    pull_catalog(&client, &store).await.unwrap();

    let bad = tmp.path().join("bad.json");
    let mut v: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(demo("catalog-sample.json")).unwrap())
            .unwrap();
    v["items"][0]["parent"] = "123456789012".into();
    v["items"][2]["necessity"] = "maybe".into();
    std::fs::write(&bad, v.to_string()).unwrap();
    let err = onewindow_tests::hub_cli_refused(&[
        "import-catalog",
        "--data",
        data.to_str().unwrap(),
        bad.to_str().unwrap(),
    ]);
    assert!(
        err.contains("items 第1行 [parent]: 主项不能有上级事项"),
        "{err}"
    );

    let again = pull_catalog(&client, &store).await.unwrap();
    assert_eq!(again.rows, 0);
    assert_eq!(again.state.version_id, Some(1));
}

#[tokio::test(flavor = "multi_thread")]
async fn hub_refuses_bad_queries_with_codes() {
    let tmp = tempfile::tempdir().unwrap();
    let data = demo_hub_data(tmp.path());
    let hub = HubProcess::start(&data);
    let http = reqwest::Client::new();
    let get = |q: &'static str| {
        let url = format!("{}/v1/catalog/changes{q}", hub.url());
        let http = http.clone();
        async move {
            let r = http.get(url).send().await.unwrap();
            let status = r.status().as_u16();
            let body: onewindow_proto::ApiError = r.json().await.unwrap();
            (status, body.code.as_str().to_string())
        }
    };
    assert_eq!(get("?cursor=abc").await, (400, "bad_query".into()));
    assert_eq!(get("?cursor=-1").await, (400, "bad_query".into()));
    assert_eq!(get("?cursor=0&limit=0").await, (400, "bad_query".into()));
    assert_eq!(
        get("?cursor=0&limit=999999").await,
        (400, "bad_query".into())
    );
    assert_eq!(get("?cursor=9999").await, (409, "cursor_ahead".into()));
    let r = http
        .get(format!("{}/v1/nothing", hub.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 404);

    // A desk whose cursor is past the hub's log (the hub's data was reset) is told so,
    // and keeps its catalog.
    let store = desk_store(tmp.path());
    pull_catalog(&HubClient::new(&hub.url()), &store)
        .await
        .unwrap();
    drop(hub);
    let empty = tmp.path().join("hub-empty");
    let hub = HubProcess::start(&empty);
    let err = pull_catalog(&HubClient::new(&hub.url()), &store)
        .await
        .unwrap_err();
    assert_eq!(err.code(), onewindow_sync::SyncCode::HubCursorAhead);
    assert!(err.message_zh().contains("请重建缓存"));
    assert_eq!(items(&store), 40, "nothing lost");
}

#[tokio::test(flavor = "multi_thread")]
async fn damaged_cache_is_reported_kept_and_rebuilt_from_the_hub() {
    let tmp = tempfile::tempdir().unwrap();
    let data = demo_hub_data(tmp.path());
    let hub = HubProcess::start(&data);
    let desk_dir = tmp.path().join("desk");
    std::fs::create_dir_all(&desk_dir).unwrap();
    let garbage = b"SQLite format 2\0 -- this is not a database any more".repeat(200);
    std::fs::write(desk_dir.join("cache.db"), &garbage).unwrap();

    let desk = Desk::open(desk_config(desk_dir.clone(), hub.url()));
    let problem = desk.status().cache_problem.expect("reported");
    assert_eq!(problem.code, ErrorCode::CacheCorrupt);
    // With no cache to pull into, the status bar still learns whether the hub answers.
    assert_eq!(desk.status().connectivity, Connectivity::Unknown);
    desk.check_hub().await;
    assert_eq!(desk.status().connectivity, Connectivity::Online);
    assert!(
        problem.message.starts_with("本地缓存文件已损坏"),
        "{}",
        problem.message
    );
    let err = desk
        .search(&SearchRequest {
            text: "gtgsh".into(),
            domain: None,
            limit: None,
        })
        .unwrap_err();
    assert_eq!(err.code, ErrorCode::CacheUnavailable);
    let err = desk.sync_once().await.unwrap_err();
    assert_eq!(err.code, ErrorCode::CacheUnavailable);
    assert_eq!(
        std::fs::read(desk_dir.join("cache.db")).unwrap(),
        garbage,
        "untouched"
    );

    let st = desk.rebuild_cache().await.unwrap();
    assert_eq!(st.cache_problem, None);
    assert_eq!(st.connectivity, Connectivity::Online);
    assert_eq!(st.item_count, 40);
    let kept: Vec<_> = std::fs::read_dir(&desk_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("cache.db.damaged-"))
        .collect();
    assert_eq!(kept.len(), 1, "{kept:?}");
    assert_eq!(std::fs::read(desk_dir.join(&kept[0])).unwrap(), garbage);
}

#[tokio::test(flavor = "multi_thread")]
async fn elicences_are_looked_up_one_holder_at_a_time() {
    let tmp = tempfile::tempdir().unwrap();
    let data = demo_hub_data(tmp.path());
    let out = onewindow_tests::hub_cli(&[
        "import-elicences",
        "--data",
        data.to_str().unwrap(),
        demo("elicences-sample.json").to_str().unwrap(),
    ]);
    assert_eq!(out.trim(), "电子证照库已导入：40 个持证主体");
    onewindow_tests::add_user(&data, "liu", "clerk", "window clerk pass");
    let code = onewindow_tests::enrol_code(&data, "1 号窗口");
    let hub = HubProcess::start(&data);
    let token = HubClient::new(&hub.url()).enrol(&code).await.unwrap().token;
    let client = HubClient::new(&hub.url()).with_token(&token);
    let session = client
        .login("liu", "window clerk pass")
        .await
        .unwrap()
        .session
        .expect("the hub opens a clerk session");
    let case = "W01-20261127-0001";

    let zhou = client
        .elicences("371082198410031615", case, &session)
        .await
        .unwrap();
    assert_eq!(zhou.licences.len(), 4);
    assert_eq!(zhou.licences[0].licence_type, "居民身份证");
    assert_eq!(zhou.licences[0].valid_until, "2020-06-30".parse().ok());
    let company = client
        .elicences("91371082maqan80l2a", case, &session)
        .await
        .unwrap();
    assert_eq!(company.holder, "91371082MAQAN80L2A", "normalised");
    assert_eq!(company.licences[0].valid_until, None, "长期");
    // A valid number with no registry entry has no licences.
    let nobody = client
        .elicences("91350100M000100Y43", case, &session)
        .await
        .unwrap();
    assert!(nobody.licences.is_empty());
    // A number that is not one is refused, precisely.
    match client
        .elicences("371082198410031616", case, &session)
        .await
        .unwrap_err()
    {
        SyncError::Hub { status, code, .. } => {
            assert_eq!((status, code.as_str()), (400, "bad_holder"));
            assert_eq!(code, onewindow_proto::ApiErrorCode::BadHolder);
        }
        other => panic!("{other:?}"),
    }

    // A bad registry file replaces nothing.
    let bad = tmp.path().join("bad-elicences.json");
    std::fs::write(
        &bad,
        r#"{"holders": [{"holder": "123", "holder_kind": "person", "name": "x", "licences": []}]}"#,
    )
    .unwrap();
    let err = onewindow_tests::hub_cli_refused(&[
        "import-elicences",
        "--data",
        data.to_str().unwrap(),
        bad.to_str().unwrap(),
    ]);
    assert!(
        err.contains("holders 第1行 [holder]: 身份证号码应为 18 位"),
        "{err}"
    );
    assert_eq!(
        client
            .elicences("371082198410031615", case, &session)
            .await
            .unwrap()
            .licences
            .len(),
        4
    );
}

mod audit;
mod backup;
mod centres;
mod crash;
mod deadlines;
mod desk_clock;
mod hours;
mod metrics;
mod office;
mod postgres;
mod provision;
mod queue;
mod refusals;
mod replicas;
mod security;
mod sign_in;
mod skew;
mod support;
mod sync;
mod tls;
mod unresolved;
mod web_face;
mod window;
mod windows;
