//! The desk as an installed program: one process per data folder (a second launch raises the
//! first and leaves), and the window's place kept between runs.

use super::*;

#[test]
fn a_second_launch_raises_the_first_and_the_window_keeps_its_place() {
    let app = desk_app();
    let tmp = tempfile::tempdir().unwrap();
    let desk_data = tmp.path().join("desk");
    std::fs::create_dir_all(&desk_data).unwrap();
    // A place saved by an earlier run.
    std::fs::write(
        desk_data.join("window.json"),
        r#"{"x":40,"y":30,"width":1100,"height":700,"maximized":false}"#,
    )
    .unwrap();
    let (_xvfb, display) = start_xvfb();
    let (_driver, base) = start_driver(&display);
    let args = [
        "--hub-url",
        "http://127.0.0.1:9",
        "--data-dir",
        desk_data.to_str().unwrap(),
    ];
    let session = Session::new(&base, &app, &args);
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        wait_until("the desk's window", Duration::from_secs(30), || {
            count(&session, "#connectivity") == 1
        });
        assert_eq!(session.window_rect(), (40, 30, 1100, 700));

        // The clerk moves and resizes it; the place is written once the window is still.
        session.set_window_rect(60, 20, 1200, 760);
        wait_until("the new place saved", Duration::from_secs(10), || {
            std::fs::read_to_string(desk_data.join("window.json"))
                .ok()
                .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
                .is_some_and(|v| {
                    (
                        v["x"].as_i64(),
                        v["y"].as_i64(),
                        v["width"].as_i64(),
                        v["height"].as_i64(),
                    ) == (Some(60), Some(20), Some(1200), Some(760))
                })
        });

        // A second launch on the same folder leaves at once, having raised the first; the
        // first goes on with its cache.
        let started = Instant::now();
        let second = Command::new(&app)
            .args(args)
            .env("DISPLAY", &display)
            .env("WEBKIT_DISABLE_COMPOSITING_MODE", "1")
            .output()
            .unwrap();
        let said = String::from_utf8_lossy(&second.stderr).to_string();
        assert!(
            second.status.success(),
            "second launch: {:?} {said}",
            second.status
        );
        assert!(said.contains("一窗已在运行"), "{said}");
        assert!(started.elapsed() < Duration::from_secs(20));
        wait_until("the first raised", Duration::from_secs(5), || {
            desk_log(&desk_data).contains("a second launch raised the window")
        });
        assert_eq!(count(&session, "#connectivity"), 1);
        session.screenshot(&shots_dir().join("70-window-place.png"));
    }));
    session.close();
    if let Err(panic) = outcome {
        eprintln!("desk log:\n{}", desk_log(&desk_data));
        std::panic::resume_unwind(panic);
    }

    // The next run opens where the clerk left it.
    let session = Session::new(&base, &app, &args);
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        wait_until("the desk's window again", Duration::from_secs(30), || {
            count(&session, "#connectivity") == 1
        });
        assert_eq!(session.window_rect(), (60, 20, 1200, 760));
    }));
    session.close();
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}
