//! Opening hours in the store: whether a centre takes a ticket now (by its published hours and
//! the holiday calendar), whether a ticket is extended-hours service, what the kiosk says, and
//! the hall board with today's hours.

use chrono::{DateTime, Utc};
use onewindow_domain::hours::TicketWindow;
use onewindow_domain::queue::QueueConfig;

use onewindow_proto::HallBoard;

use crate::store::{HubStore, Result};
use crate::store_queue::hall_day;

/// The hall's local time (UTC+8) of `now`, as opening hours read it.
pub fn hall_time(now: DateTime<Utc>) -> chrono::NaiveDateTime {
    now.with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).expect("UTC+8"))
        .naive_local()
}

/// Whether `cfg`'s centre takes a ticket at `now` (always, when it publishes no hours).
pub(crate) fn ticket_window(
    conn: &crate::db::Conn,
    cfg: &QueueConfig,
    now: DateTime<Utc>,
) -> Result<TicketWindow> {
    let Some(hours) = &cfg.hours else {
        return Ok(TicketWindow::Open { extended: false });
    };
    let calendar = crate::store_rating::holiday_calendar(conn)?;
    Ok(hours.ticket_window(hall_time(now), &calendar))
}

/// Whether service at `now` is extended-hours: inside an extended opening (错时, 延时, a weekend),
/// or outside the hours altogether (a clerk serving someone at the window). The kiosk's
/// last-ticket cut-off does not make regular hours extended.
pub(crate) fn service_extended(
    conn: &crate::db::Conn,
    cfg: &QueueConfig,
    now: DateTime<Utc>,
) -> Result<bool> {
    let Some(hours) = &cfg.hours else {
        return Ok(false);
    };
    let calendar = crate::store_rating::holiday_calendar(conn)?;
    let t = hall_time(now);
    Ok(hours
        .openings(t.date(), &calendar)
        .iter()
        .find(|o| o.from <= t.time() && t.time() < o.to)
        .is_none_or(|o| o.extended))
}

impl HubStore {
    /// What the kiosk says of the hours: today's (when the centre publishes them) and whether
    /// it takes tickets now.
    pub fn kiosk_hours(
        &self,
        centre: &str,
        now: DateTime<Utc>,
    ) -> Result<(Option<String>, TicketWindow)> {
        let cfg = self.queue_cfg(centre)?;
        let window = ticket_window(&self.conn, &cfg, now)?;
        let today = match &cfg.hours {
            Some(h) => Some(h.day_text(
                hall_day(now),
                &crate::store_rating::holiday_calendar(&self.conn)?,
            )),
            None => None,
        };
        Ok((today, window))
    }

    /// What the hall display shows.
    pub fn hall_board(&self, centre: &str, now: DateTime<Utc>) -> Result<HallBoard> {
        let cfg = self.queue_cfg(centre)?;
        let hours_today = match &cfg.hours {
            Some(h) => Some(h.day_text(
                hall_day(now),
                &crate::store_rating::holiday_calendar(&self.conn)?,
            )),
            None => None,
        };
        Ok(HallBoard {
            calls: self.recent_calls(centre, 5)?,
            windows: self.windows_live(centre)?,
            hours_today,
        })
    }
}
