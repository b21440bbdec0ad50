//! A desk that cannot start says why where the clerk looks: on the terminal it was started
//! from, or, started from its icon (no terminal), in a dialog; and in the log when there is
//! one. Then it exits with `code`.

use std::io::IsTerminal;

pub fn exit(message: &str, code: i32) -> ! {
    eprintln!("onewindow-desk: {message}");
    tracing::error!(problem = %message, code, "the desk cannot start");
    let quiet = std::env::var_os("ONEWINDOW_NO_DIALOG").is_some();
    if !quiet && !std::io::stderr().is_terminal() {
        show(message);
    }
    std::process::exit(code);
}

#[cfg(target_os = "linux")]
fn show(message: &str) {
    use gtk::prelude::*;
    let shown =
        std::env::var_os("DISPLAY").is_some() || std::env::var_os("WAYLAND_DISPLAY").is_some();
    if !shown || gtk::init().is_err() {
        return;
    }
    let dialog = gtk::MessageDialog::new(
        None::<&gtk::Window>,
        gtk::DialogFlags::MODAL,
        gtk::MessageType::Error,
        gtk::ButtonsType::Close,
        &format!("一窗无法启动\n\n{message}\n\n请联系管理员。"),
    );
    dialog.set_title("一窗 · 综合受理");
    dialog.run();
    dialog.close();
}

#[cfg(not(target_os = "linux"))]
fn show(_message: &str) {}
