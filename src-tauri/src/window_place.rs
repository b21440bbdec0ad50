//! The main window's place between runs (`onewindow_app::instance::WindowPlace`): put back at
//! start, saved half a second after the clerk stops moving or resizing it, and when it closes.

use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::mpsc::{self, Sender};
use std::time::Duration;

use onewindow_app::instance::{Screen, WindowPlace};
use tauri::{PhysicalPosition, PhysicalSize, Runtime, WebviewWindow, Window, WindowEvent};

/// The window's minimum size in tauri.conf.json (logical pixels).
const MIN_SIZE: (f64, f64) = (1024.0, 640.0);
/// Quiet time after the last move or resize before the place is written.
const SETTLE: Duration = Duration::from_millis(500);

/// Puts the saved place back, when a monitor still shows it.
pub fn restore<R: Runtime>(window: &WebviewWindow<R>, data_dir: &std::path::Path) {
    let Some(place) = WindowPlace::load(data_dir) else {
        return;
    };
    let screens: Vec<Screen> = window
        .available_monitors()
        .unwrap_or_default()
        .iter()
        .map(|m| Screen {
            x: m.position().x,
            y: m.position().y,
            width: m.size().width,
            height: m.size().height,
        })
        .collect();
    let scale = window.scale_factor().unwrap_or(1.0);
    let min = (
        (MIN_SIZE.0 * scale).round() as u32,
        (MIN_SIZE.1 * scale).round() as u32,
    );
    if !place.fits(&screens, min) {
        tracing::info!(
            ?place,
            "saved window place is off every monitor; default place used"
        );
        return;
    }
    let _ = window.set_size(PhysicalSize::new(place.width, place.height));
    let _ = window.set_position(PhysicalPosition::new(place.x, place.y));
    if place.maximized {
        let _ = window.maximize();
    }
}

/// Writes the main window's place from a thread that sleeps until the window moves.
pub struct PlaceKeeper {
    data_dir: PathBuf,
    places: Mutex<Sender<WindowPlace>>,
    /// The last place while neither maximised nor minimised: where a maximised window goes
    /// back to.
    normal: Mutex<Option<WindowPlace>>,
}

impl PlaceKeeper {
    pub fn new(data_dir: PathBuf) -> PlaceKeeper {
        let (tx, rx) = mpsc::channel::<WindowPlace>();
        let dir = data_dir.clone();
        let spawned = std::thread::Builder::new()
            .name("window-place".into())
            .spawn(move || {
                while let Ok(mut latest) = rx.recv() {
                    // Take every place sent until the window has been still for SETTLE.
                    while let Ok(p) = rx.recv_timeout(SETTLE) {
                        latest = p;
                    }
                    if let Err(e) = latest.save(&dir) {
                        tracing::warn!(error = %e, "window place not saved");
                    }
                }
            });
        if let Err(e) = spawned {
            tracing::warn!(error = %e, "the window's place will not be kept");
        }
        PlaceKeeper {
            normal: Mutex::new(WindowPlace::load(&data_dir).map(|p| WindowPlace {
                maximized: false,
                ..p
            })),
            data_dir,
            places: Mutex::new(tx),
        }
    }

    /// Follows the main window's moves and resizes (not while minimised; while maximised the
    /// last normal place is kept, with the flag). On close the place is written at once.
    pub fn on_event<R: Runtime>(&self, window: &Window<R>, event: &WindowEvent) {
        if window.label() != "main" {
            return;
        }
        let closing = matches!(event, WindowEvent::CloseRequested { .. });
        if !closing && !matches!(event, WindowEvent::Moved(_) | WindowEvent::Resized(_)) {
            return;
        }
        if window.is_minimized().unwrap_or(false) {
            return;
        }
        let mut normal = self.normal.lock().unwrap_or_else(|e| e.into_inner());
        let place = if window.is_maximized().unwrap_or(false) {
            match *normal {
                Some(p) => WindowPlace {
                    maximized: true,
                    ..p
                },
                None => return,
            }
        } else {
            let (Ok(pos), Ok(size)) = (window.outer_position(), window.inner_size()) else {
                return;
            };
            let p = WindowPlace {
                x: pos.x,
                y: pos.y,
                width: size.width,
                height: size.height,
                maximized: false,
            };
            *normal = Some(p);
            p
        };
        drop(normal);
        if closing {
            if let Err(e) = place.save(&self.data_dir) {
                tracing::warn!(error = %e, "window place not saved");
            }
        } else {
            let places = self.places.lock().unwrap_or_else(|e| e.into_inner());
            let _ = places.send(place);
        }
    }
}
