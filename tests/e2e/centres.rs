//! A town centre's desk (issue 17): its own calling bar and queue, and a search that shows
//! every item but marks those the town does not accept, with where to send the applicant.

use super::*;

/// 居民身份证换领: the county hall's by the catalog, taken on by the town.
const ID_CARD: &str = "00017200100002";

#[test]
fn a_town_desk_calls_its_own_queue_and_marks_items_accepted_elsewhere() {
    let app = desk_app();
    let tmp = tempfile::tempdir().unwrap();
    let data = demo_hub_data(tmp.path());
    let d = data.to_str().unwrap();
    let demo = |f: &str| onewindow_tests::demo(f).to_str().unwrap().to_string();
    let cli = onewindow_tests::hub_cli;
    cli(&["import-queue", "--data", d, &demo("queue.json")]);
    cli(&[
        "centre",
        "add",
        "--data",
        d,
        "--code",
        "QX",
        "--name",
        "青溪镇便民服务中心",
        "--level",
        "town",
        "--parent",
        "MAIN",
    ]);
    cli(&[
        "import-queue",
        "--data",
        d,
        "--centre",
        "QX",
        &demo("queue-qingxi.json"),
    ]);
    cli(&[
        "centre", "items", "--data", d, "--centre", "QX", "--add", ID_CARD,
    ]);
    onewindow_tests::add_user_at(
        &data,
        "李窗口",
        "clerk",
        "window clerk pass",
        &["--centre", "QX"],
    );
    let code = onewindow_tests::code_in(&cli(&[
        "enrol",
        "--data",
        d,
        "--desk",
        "青溪 1 号窗口",
        "--desk-code",
        "QX01",
        "--centre",
        "QX",
    ]));
    let hub = HubProcess::start(&data);
    let hub_url = hub.url();
    let (_xvfb, display) = start_xvfb();
    let (_driver, base) = start_driver(&display);
    let desk_data = tmp.path().join("desk");
    let s = Session::new(
        &base,
        &app,
        &[
            "--hub-url",
            &hub_url,
            "--data-dir",
            desk_data.to_str().unwrap(),
            "--sync-interval-ms",
            "500",
            "--desk-code",
            "QX01",
        ],
    );
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let shots = shots_dir();
        enrol_and_sign_in(&s, &code, "李窗口", "window clerk pass");
        wait_until(
            "the town's name in the status bar",
            Duration::from_secs(20),
            || text_of(&s, "#centre-name") == "青溪镇便民服务中心",
        );
        // The county hall's kiosk and the town's both issue A001: the town desk calls its own.
        for centre in ["MAIN", "QX"] {
            let r = onewindow_tests::kiosk_post_blocking_at(
                &data,
                &hub_url,
                Some(centre),
                "/kiosk/tickets",
                &[("domain", "ZHSL")],
            );
            assert_eq!(r.status(), 303);
        }
        wait_until("the calling bar ready", Duration::from_secs(15), || {
            count(&s, "#queue-bar") == 1 && count(&s, "#queue-reason") == 0
        });
        assert!(
            text_of(&s, "#queue-window").starts_with("1 号窗口"),
            "{}",
            text_of(&s, "#queue-window")
        );
        s.send_keys(&s.find("body"), "\u{E038}");
        wait_until("A001 called", Duration::from_secs(10), || {
            text_of(&s, "#queue-number") == "A001"
        });
        s.screenshot(&shots.join("40-town-calling-bar.png"));
        let tv = reqwest::blocking::get(format!("{hub_url}/display/QX"))
            .unwrap()
            .text()
            .unwrap();
        assert!(tv.contains("A001") && tv.contains("青溪镇便民服务中心"));

        // The search shows every item; those the town does not accept are marked.
        search(&s, "身份证");
        wait_for_hits(&s, "身份证 hits", |h| h.len() == 4);
        let marks: Vec<(String, bool)> = s
            .execute(
                "return [...document.querySelectorAll('.result-item')].map(e => \
                 [e.querySelector('.name').textContent.trim(), !!e.querySelector('.not-here')])",
            )
            .as_array()
            .unwrap()
            .iter()
            .map(|v| (v[0].as_str().unwrap().to_string(), v[1].as_bool().unwrap()))
            .collect();
        assert!(
            marks.contains(&("居民身份证换领".to_string(), false))
                && marks.contains(&("居民身份证补领".to_string(), true)),
            "{marks:?}"
        );
        s.screenshot(&shots.join("41-town-search-marked.png"));
        let elsewhere = marks
            .iter()
            .position(|(n, _)| n == "居民身份证补领")
            .unwrap();
        click(&s, &format!("#result-option-{elsewhere}"));
        wait_until(
            "the guide says where to go",
            Duration::from_secs(10),
            || text_of(&s, "#guide-not-here").contains("政务服务中心"),
        );
        s.screenshot(&shots.join("42-town-guide-not-here.png"));
    }));
    if let Err(panic) = outcome {
        s.screenshot(&shots_dir().join("failure-town.png"));
        eprintln!("desk log:\n{}", desk_log(&desk_data));
        s.close();
        std::panic::resume_unwind(panic);
    }
    s.close();
    hub.kill();
}
