//! Applies [`onewindow_app::caret::CaretRest`] to GTK: the caret of the main window rests
//! (drawn solid) after a quiet spell and blinks again at the next key or click. GTK's settings
//! object is this process's own, so nothing of the user's desktop settings changes.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Instant;

use gtk::glib;
use gtk::prelude::*;
use onewindow_app::caret::{CARET_REST_AFTER, CaretRest, Check};

/// The blink time that leaves a resting caret solid: its first toggle would be weeks away.
const RESTING_BLINK_MS: i32 = i32::MAX;

struct Rest {
    state: RefCell<CaretRest>,
    settings: gtk::Settings,
    blink_ms: i32,
}

impl Rest {
    /// Runs the check the timer was set for, and sets the next one.
    fn check(self: &Rc<Self>) {
        let next = self.state.borrow_mut().check(Instant::now());
        match next {
            Check::Rest => {
                tracing::debug!("caret rests");
                self.settings
                    .set_property("gtk-cursor-blink-time", RESTING_BLINK_MS);
            }
            Check::Again(after) => self.check_after(after),
            Check::Idle => {}
        }
    }

    fn check_after(self: &Rc<Self>, after: std::time::Duration) {
        let me = Rc::clone(self);
        glib::timeout_add_local_once(after, move || me.check());
    }

    fn input(self: &Rc<Self>) {
        if self.state.borrow_mut().input(Instant::now()) {
            tracing::debug!("caret blinks again");
            self.settings
                .set_property("gtk-cursor-blink-time", self.blink_ms);
            self.check_after(self.state.borrow().after());
        }
    }
}

/// Watches the main window's keys and clicks (runs on the main thread, where GTK lives).
pub fn install(window: &tauri::WebviewWindow) {
    let installed = window.with_webview(|webview| {
        let Some(settings) = gtk::Settings::default() else {
            return;
        };
        if !settings.property::<bool>("gtk-cursor-blink") {
            return; // The caret does not blink here at all.
        }
        let rest = Rc::new(Rest {
            state: RefCell::new(CaretRest::new(CARET_REST_AFTER, Instant::now())),
            blink_ms: settings.property("gtk-cursor-blink-time"),
            settings,
        });
        let view = webview.inner();
        let on_key = Rc::clone(&rest);
        view.connect_key_press_event(move |_, _| {
            on_key.input();
            glib::Propagation::Proceed
        });
        let on_click = Rc::clone(&rest);
        view.connect_button_press_event(move |_, _| {
            on_click.input();
            glib::Propagation::Proceed
        });
        rest.check_after(CARET_REST_AFTER);
    });
    if let Err(e) = installed {
        tracing::warn!(error = %e, "caret rest not installed; the caret blinks all day");
    }
}
