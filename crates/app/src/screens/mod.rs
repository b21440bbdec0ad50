//! The screens service: what the desk's other windows show — the applicant's screen at the
//! counter (`applicant.rs`), the hall display (`hall.rs`) — and the main window's readiness.
//! Each window is handed its view by a feed that looks every [`STATUS_LOOK`] and sends only
//! what changed ([`follow`]), so an idle desk does not wake its WebKit processes for nothing.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::cache::Cache;
use crate::cases::Cases;
use crate::desk::DeskConfig;
use crate::intake::Intake;
use crate::locks::{DeskMutex, Rank};
use crate::queue::Queue;
use crate::session::Session;

mod applicant;
mod hall;

pub use applicant::ScreenMode;
pub use hall::HallFeed;

/// How often the feeds look at what they follow.
pub const STATUS_LOOK: Duration = Duration::from_secs(1);

pub(crate) struct Screens {
    config: Arc<DeskConfig>,
    cache: Arc<Cache>,
    session: Arc<Session>,
    intake: Arc<Intake>,
    queue: Arc<Queue>,
    cases: Arc<Cases>,
    /// What the applicant's screen is doing (their case, the rating, thanks).
    screen: DeskMutex<ScreenMode>,
    /// The hall board the display window shows.
    hall: DeskMutex<HallFeed>,
    ready_written: AtomicBool,
}

impl Screens {
    pub(crate) fn new(
        config: Arc<DeskConfig>,
        cache: Arc<Cache>,
        session: Arc<Session>,
        intake: Arc<Intake>,
        queue: Arc<Queue>,
        cases: Arc<Cases>,
    ) -> Screens {
        Screens {
            config,
            cache,
            session,
            intake,
            queue,
            cases,
            screen: DeskMutex::new(Rank::Screen, ScreenMode::default()),
            hall: DeskMutex::new(Rank::Hall, HallFeed::default()),
            ready_written: AtomicBool::new(false),
        }
    }

    /// Marks the UI usable; writes the ready file once (for start-up measurements).
    pub(crate) fn ui_ready(&self) {
        if self.ready_written.swap(true, Ordering::SeqCst) {
            return;
        }
        tracing::info!("ui ready");
        if let Some(path) = &self.config.ready_file {
            // A measurement of the start-up against the process's own start: the system's
            // time, whatever the desk's clock was set to.
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_micros());
            if let Err(e) = std::fs::write(path, now.to_string()) {
                tracing::warn!(path = %path.display(), error = %e, "cannot write ready file");
            }
        }
    }
}

/// Looks at `look` of `service` every [`STATUS_LOOK`], off the async workers (it may wait for
/// the cache's lock while a long pull holds it), and passes each value that differs from the
/// last one passed on to `show`, the first one included. Runs until the process ends.
pub(crate) async fn follow<S, T>(service: Arc<S>, look: fn(&S) -> T, show: impl Fn(T) + Send + Sync)
where
    S: Send + Sync + 'static,
    T: PartialEq + Clone + Send + 'static,
{
    let mut last: Option<T> = None;
    let mut tick = tokio::time::interval(STATUS_LOOK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tick.tick().await;
        let service = service.clone();
        let Ok(now) = tokio::task::spawn_blocking(move || look(&service)).await else {
            continue;
        };
        if last.as_ref() != Some(&now) {
            last = Some(now.clone());
            show(now);
        }
    }
}
