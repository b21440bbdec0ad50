//! 窗口无否决权 at the real window (issue 18): the clerk asks to refuse, nothing prints; the
//! centre's supervisor takes over the locked desk and confirms; the notice prints.

use super::*;

#[test]
fn a_refusal_request_and_the_supervisors_answer_at_the_window() {
    let app = desk_app();
    let tmp = tempfile::tempdir().unwrap();
    let data = demo_hub_data(tmp.path());
    onewindow_tests::add_user(&data, "李窗口", "clerk", "window clerk pass");
    onewindow_tests::add_user(&data, "zhou", "supervisor", "hall supervisor pass");
    let code = onewindow_tests::enrol_code(&data, "综合受理 1 号窗口");
    let hub = HubProcess::start(&data);
    let (_xvfb, display) = start_xvfb();
    let (_driver, base) = start_driver(&display);
    let desk_data = tmp.path().join("desk");
    let printed_dir = tmp.path().join("printed");
    let printer = format!("folder:{}", printed_dir.display());
    let s = Session::new(
        &base,
        &app,
        &[
            "--hub-url",
            &hub.url(),
            "--data-dir",
            desk_data.to_str().unwrap(),
            "--sync-interval-ms",
            "500",
            "--printer",
            &printer,
        ],
    );
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let shots = shots_dir();
        enrol_and_sign_in(&s, &code, "李窗口", "window clerk pass");
        search(&s, "身份证换领");
        wait_for_hits(&s, "身份证换领", |h| {
            h.first().is_some_and(|n| n == "居民身份证换领")
        });
        s.send_keys(&s.find("#search-input"), Key::ENTER);
        wait_until("the guide", Duration::from_secs(10), || {
            text_of(&s, "#guide-title").contains("居民身份证换领")
        });
        click(&s, "#start-case");
        wait_until("the new case", Duration::from_secs(10), || {
            count(&s, "#case-screen") == 1
        });
        type_into(&s, "#applicant-name", "徐志强");
        click(&s, "#refuse-case");
        wait_until("the request dialog", Duration::from_secs(5), || {
            count(&s, "#refuse-reason") == 1
        });
        type_into(
            &s,
            "#refuse-reason",
            "申请人户籍不在本县，不属本中心受理范围",
        );
        type_into(&s, "#refuse-basis", "《居民身份证法》第八条");
        s.screenshot(&shots.join("50-refusal-request-dialog.png"));
        click(&s, "#refuse-confirm");
        wait_until("the request made", Duration::from_secs(10), || {
            attr(&s, "#case-state", "data-state") == "refusal_requested"
                && count(&s, "#refusal-waiting") == 1
        });
        s.screenshot(&shots.join("51-refusal-requested.png"));
        assert!(
            printed(&printed_dir, "refusal_notice").is_none(),
            "nothing printed yet"
        );

        // The clerk locks the desk; the supervisor takes it over at the lock screen (another
        // name: 切换用户并解锁) and answers.
        click(&s, "#user-status");
        wait_until("the user menu", Duration::from_secs(5), || {
            count(&s, "#lock-now") == 1
        });
        click(&s, "#lock-now");
        wait_until("the lock screen", Duration::from_secs(5), || {
            count(&s, "#lock-screen") == 1
        });
        type_into(&s, "#lock-name", "zhou");
        type_into(&s, "#lock-password", "hall supervisor pass");
        s.send_keys(&s.find("#lock-password"), Key::ENTER);
        wait_until(
            "the supervisor at the desk",
            Duration::from_secs(15),
            || count(&s, "#lock-screen") == 0 && count(&s, "#answer-refusal") == 1,
        );
        click(&s, "#answer-refusal");
        wait_until("the answer dialog", Duration::from_secs(5), || {
            count(&s, "#answer-submit") == 1
        });
        s.screenshot(&shots.join("52-supervisor-answer.png"));
        click(&s, "#answer-submit");
        wait_until("refused and printed", Duration::from_secs(15), || {
            attr(&s, "#case-state", "data-state") == "refused"
                && printed(&printed_dir, "refusal_notice").is_some()
        });
        s.screenshot(&shots.join("53-refusal-confirmed.png"));
    }));
    if let Err(panic) = outcome {
        s.screenshot(&shots_dir().join("failure-refusal.png"));
        eprintln!("desk log:\n{}", desk_log(&desk_data));
        s.close();
        std::panic::resume_unwind(panic);
    }
    s.close();
    hub.kill();
}
