//! The desk's hall display (叫号屏): a window for a hall screen, fullscreen on a chosen
//! monitor, showing the hub's board live — the hub's server-sent events, followed here and
//! handed to the window as they come. While the hub cannot be reached it keeps the last board
//! and shows this window's offline calls on it, so a town centre's screen goes on calling.

use std::sync::Arc;
use std::time::Duration;

use onewindow_proto::HallBoard;

use super::Screens;
use crate::dto;

/// The most calls the screen shows.
const CALLS_SHOWN: usize = 5;

/// What the desk knows of the hall board.
#[derive(Debug, Default)]
pub struct HallFeed {
    board: Option<HallBoard>,
    online: bool,
}

impl Screens {
    /// The hall board as the display window shows it now.
    pub fn hall_board(&self) -> dto::HallBoardView {
        let (board, online) = {
            let feed = self.hall.relock();
            (
                feed.board.clone().unwrap_or(HallBoard {
                    calls: vec![],
                    windows: vec![],
                    hours_today: None,
                }),
                feed.online,
            )
        };
        let mut calls: Vec<dto::HallCallView> = board
            .calls
            .iter()
            .map(|c| dto::HallCallView {
                key: c.event_id.to_string(),
                number: c.number.clone(),
                window: c.window,
                window_name: c.window_name.clone(),
                recall: c.kind == "recall",
            })
            .collect();
        let mut windows: Vec<dto::HallWindowView> = board
            .windows
            .iter()
            .map(|w| dto::HallWindowView {
                number: w.number,
                name: w.name.clone(),
                // The hub keeps to its three words; anything else shows as closed.
                state: dto::WindowState::parse(&w.state).unwrap_or(dto::WindowState::Closed),
                current: w.current.as_ref().map(|t| t.number.clone()),
            })
            .collect();
        if !online {
            // This window's offline queue goes on: its calls are the newest on the screen.
            let now = self.config.now();
            let window = self
                .cache
                .with_store(|s| s.queue_config())
                .ok()
                .flatten()
                .and_then(|c| {
                    c.window_of_desk(&self.session.desk_code())
                        .map(|w| w.number)
                });
            let offline_calls = self
                .cache
                .with_store(|s| s.offline_recent_calls(CALLS_SHOWN as u32, now))
                .unwrap_or_default();
            let current = self
                .cache
                .with_store(|s| s.offline_current())
                .ok()
                .flatten();
            if let Some(window) = window {
                let name = windows
                    .iter()
                    .find(|w| w.number == window)
                    .map_or_else(|| format!("{window} 号窗口"), |w| w.name.clone());
                let mine: Vec<dto::HallCallView> = offline_calls
                    .into_iter()
                    .map(|t| dto::HallCallView {
                        key: format!("{}-{}", t.id, t.recalls),
                        number: t.number,
                        window,
                        window_name: name.clone(),
                        recall: t.recalls > 0,
                    })
                    .collect();
                calls.splice(0..0, mine);
                if let (Some(t), Some(tile)) =
                    (current, windows.iter_mut().find(|w| w.number == window))
                {
                    tile.current = Some(t.number);
                }
            }
        }
        calls.truncate(CALLS_SHOWN);
        dto::HallBoardView {
            calls,
            windows,
            online,
            office: self.config.office_name.clone(),
        }
    }

    /// Follows the hub's board for the display window, for as long as the desk runs: `show`
    /// gets every new board. When the hub goes away the last board stays, marked offline,
    /// with this window's offline calls (looked at each second); it reconnects by itself.
    pub async fn run_hall_feed(self: Arc<Self>, show: impl Fn(dto::HallBoardView) + Send + Sync) {
        let mut wait = Duration::from_secs(1);
        loop {
            // Enrolled, the desk follows its own centre's board.
            let client = self
                .session
                .device_client()
                .unwrap_or_else(|| self.session.client());
            let screens = self.clone();
            let show_ref = &show;
            let followed = client
                .follow_hall_board(move |board| {
                    {
                        let mut feed = screens.hall.relock();
                        feed.board = Some(board);
                        feed.online = true;
                    }
                    show_ref(screens.hall_board());
                })
                .await;
            let was_online = std::mem::replace(&mut self.hall.relock().online, false);
            match followed {
                Ok(()) => tracing::info!("hall board stream ended; reconnecting"),
                Err(e) => tracing::debug!(code = %e.code(), "hall board not reachable"),
            }
            if was_online {
                wait = Duration::from_secs(1);
            }
            // Offline: the screen shows this window's own calls as they happen. The board is
            // built again only when the cache changed (a call) or the hall day turned.
            let mut last = None;
            let mut built_for = None;
            let until = tokio::time::Instant::now() + wait;
            while tokio::time::Instant::now() < until {
                let key = (
                    self.cache.stamp(),
                    onewindow_domain::ticket::hall_day(self.config.now()),
                );
                if key.0.is_none() || built_for.as_ref() != Some(&key) {
                    let view = self.hall_board();
                    if last.as_ref() != Some(&view) {
                        show(view.clone());
                        last = Some(view);
                    }
                    built_for = Some(key);
                }
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
            wait = (wait * 2).min(Duration::from_secs(8));
        }
    }
}
