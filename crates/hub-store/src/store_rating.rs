//! Ratings (好差评) in SQL: recorded against the window's ticket, and the rectification of bad
//! ones (待整改 → 已整改 → 已回访) due in 15 working days by the hub's calendar.

use crate::db::{OptionalExtension, params};
use chrono::{DateTime, NaiveDate, Utc};
use onewindow_domain::HolidayCalendar;
use onewindow_domain::rating::{self, RECTIFY_WORKING_DAYS, RectifyState};
use onewindow_proto::ApiErrorCode;
use serde::{Deserialize, Serialize};

use crate::store::{HubStore, HubStoreError, Result};
use crate::store_queue::hall_day;

use onewindow_domain::time::stamp as ts;

fn bad(msg: impl Into<String>) -> HubStoreError {
    HubStoreError::BadInput(msg.into())
}

/// A bad rating and its rectification, for the supervisor's list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BadRating {
    pub id: i64,
    pub at: String,
    pub level: u8,
    pub reasons: Vec<String>,
    pub comment: String,
    pub ticket: Option<String>,
    pub case_number: Option<String>,
    pub window: Option<u32>,
    pub clerk: Option<String>,
    pub state: RectifyState,
    pub due: NaiveDate,
    pub rectified_note: Option<String>,
    pub revisited_note: Option<String>,
}

/// The published holiday calendar.
pub(crate) fn holiday_calendar(conn: &crate::db::Conn) -> Result<HolidayCalendar> {
    let mut q = conn.prepare("SELECT year, body FROM calendar_year")?;
    let rows = q.query_map((), |r| Ok((r.get::<_, i32>(0)?, r.get::<_, String>(1)?)))?;
    let mut years = std::collections::BTreeMap::new();
    for row in rows {
        let (year, body) = row?;
        years.insert(
            year,
            serde_json::from_str(&body)
                .map_err(|e| HubStoreError::Json(format!("calendar {year}"), e))?,
        );
    }
    Ok(HolidayCalendar::new(years))
}

/// Who and what a rating is of.
pub(crate) struct Rated<'a> {
    pub ticket: &'a str,
    pub case_number: Option<&'a str>,
    pub window: Option<u32>,
    pub clerk: Option<&'a str>,
}

/// Records a rating of a ticket (checked against the rules); a bad one starts its
/// rectification, due in 15 working days. Refused when the ticket was rated before.
pub(crate) fn insert_rating(
    conn: &crate::db::Conn,
    of: &Rated<'_>,
    level: u8,
    reasons: &[String],
    comment: &str,
    at: DateTime<Utc>,
) -> Result<i64> {
    rating::check(level, reasons, comment).map_err(bad)?;
    let already: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM rating WHERE ticket_id = ?1)",
        [of.ticket],
        |r| r.get(0),
    )?;
    if already {
        return Err(HubStoreError::Refused(
            ApiErrorCode::RatingAlreadyGiven,
            "this service was already rated".into(),
        ));
    }
    let day = hall_day(at);
    let (rectify, due) = if rating::is_bad(level) {
        let (due, _) = holiday_calendar(conn)?.add_working_days(day, RECTIFY_WORKING_DAYS);
        (Some("pending"), Some(due.to_string()))
    } else {
        (None, None)
    };
    Ok(conn.query_row(
        "INSERT INTO rating (ticket_id, case_number, window_no, clerk, level, reasons, comment,
           at, day, rectify, due, centre)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11,
           coalesce((SELECT centre FROM queue_ticket WHERE id = ?1), 'MAIN'))
         RETURNING id",
        params![
            of.ticket,
            of.case_number,
            of.window,
            of.clerk,
            level,
            serde_json::to_string(reasons).expect("serialises"),
            comment.trim(),
            ts(at),
            day.to_string(),
            rectify,
            due
        ],
        |r| r.get(0),
    )?)
}

impl HubStore {
    /// The published holiday calendar.
    pub fn holiday_calendar(&self) -> Result<HolidayCalendar> {
        holiday_calendar(&self.conn)
    }

    /// Records the applicant's rating of the service at `window`: the ticket served there (or
    /// the last one it finished today). A bad rating starts its rectification.
    pub fn rate(
        &mut self,
        centre: &str,
        window: u32,
        level: u8,
        reasons: &[String],
        comment: &str,
        now: DateTime<Utc>,
    ) -> Result<i64> {
        let day = hall_day(now);
        // One writer at a time: a rating sent twice at once is recorded once.
        let tx = self.conn.transaction()?;
        let ticket: Option<(String, Option<String>, Option<String>)> = tx
            .query_row(
                "SELECT id, case_number, clerk FROM queue_ticket
                 WHERE centre = ?3 AND window_no = ?1 AND day = ?2
                   AND state IN ('serving', 'called', 'done') AND source NOT LIKE 'offline:%'
                 ORDER BY (state = 'serving') DESC, coalesce(done_at, called_at) DESC LIMIT 1",
                params![window, day.to_string(), centre],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        let Some((ticket, case_number, clerk)) = ticket else {
            rating::check(level, reasons, comment).map_err(bad)?;
            return Err(HubStoreError::Refused(
                ApiErrorCode::RatingNothingServed,
                format!("window {window} served nobody today to rate"),
            ));
        };
        let id = insert_rating(
            &tx,
            &Rated {
                ticket: &ticket,
                case_number: case_number.as_deref(),
                window: Some(window),
                clerk: clerk.as_deref(),
            },
            level,
            reasons,
            comment,
            now,
        )?;
        tx.commit()?;
        Ok(id)
    }

    /// Bad ratings, open ones first, oldest due first.
    pub fn bad_ratings(&self, centre: Option<&str>) -> Result<Vec<BadRating>> {
        let mut q = self.conn.prepare(
            "SELECT r.id, r.at, r.level, r.reasons, r.comment, t.number, r.case_number,
                    r.window_no, r.clerk, r.rectify, r.due, r.rectified_note, r.revisited_note
             FROM rating r LEFT JOIN queue_ticket t ON t.id = r.ticket_id
             WHERE r.rectify IS NOT NULL AND (CAST(?1 AS TEXT) IS NULL OR r.centre = ?1)
             ORDER BY r.rectify = 'revisited', r.rectify = 'rectified', r.due, r.id",
        )?;
        let rows = q.query_map([centre], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, i64>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, Option<String>>(5)?,
                r.get::<_, Option<String>>(6)?,
                r.get::<_, Option<i64>>(7)?,
                r.get::<_, Option<String>>(8)?,
                r.get::<_, String>(9)?,
                r.get::<_, String>(10)?,
                r.get::<_, Option<String>>(11)?,
                r.get::<_, Option<String>>(12)?,
            ))
        })?;
        rows.map(|row| {
            let (
                id,
                at,
                level,
                reasons,
                comment,
                ticket,
                case_number,
                window,
                clerk,
                state,
                due,
                rn,
                vn,
            ) = row?;
            Ok(BadRating {
                id,
                at,
                level: level as u8,
                reasons: serde_json::from_str(&reasons)
                    .map_err(|e| HubStoreError::Json("rating reasons".into(), e))?,
                comment,
                ticket,
                case_number,
                window: window.map(|w| w as u32),
                clerk,
                state: match state.as_str() {
                    "rectified" => RectifyState::Rectified,
                    "revisited" => RectifyState::Revisited,
                    _ => RectifyState::Pending,
                },
                due: due
                    .parse()
                    .map_err(|_| bad(format!("rating {id} has a bad due date")))?,
                rectified_note: rn,
                revisited_note: vn,
            })
        })
        .collect()
    }

    /// Moves a bad rating's rectification one step (整改 or 回访), with what was done.
    pub fn advance_rectification(
        &mut self,
        centre: Option<&str>,
        id: i64,
        by: &str,
        note: &str,
        now: DateTime<Utc>,
    ) -> Result<RectifyState> {
        let note = note.trim();
        if note.chars().count() < 4 || note.chars().count() > 500 {
            return Err(bad("write what was done (4-500 characters)"));
        }
        let tx = self.conn.transaction()?;
        let state: Option<Option<String>> = tx
            .query_row(
                "SELECT rectify FROM rating WHERE id = ?1 AND (CAST(?2 AS TEXT) IS NULL OR centre = ?2)",
                params![id, centre],
                |r| r.get(0),
            )
            .optional()?;
        let next = match state.flatten().as_deref() {
            Some("pending") => RectifyState::Rectified,
            Some("rectified") => RectifyState::Revisited,
            Some(_) => return Err(bad("this rating was already revisited")),
            None => return Err(bad(format!("no bad rating {id}"))),
        };
        match next {
            RectifyState::Rectified => tx.execute(
                "UPDATE rating SET rectify = 'rectified', rectified_at = ?2, rectified_by = ?3,
                   rectified_note = ?4 WHERE id = ?1",
                params![id, ts(now), by, note],
            )?,
            _ => tx.execute(
                "UPDATE rating SET rectify = 'revisited', revisited_at = ?2, revisited_by = ?3,
                   revisited_note = ?4 WHERE id = ?1",
                params![id, ts(now), by, note],
            )?,
        };
        tx.commit()?;
        Ok(next)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;
    use onewindow_domain::queue::QueueConfig;

    #[test]
    fn ratings_attach_to_the_service_and_bad_ones_are_rectified_in_order() {
        let t0: DateTime<Utc> = "2026-11-27T01:00:00Z".parse().unwrap();
        let mut s = HubStore::open_in_memory().unwrap();
        let cfg = QueueConfig::parse(include_str!("../../../demo/queue.json")).unwrap();
        s.import_queue("MAIN", &cfg, t0).unwrap();
        let years =
            HolidayCalendar::from_json_str(include_str!("../../../demo/holidays.json")).unwrap();
        s.import_calendar(&years, t0).unwrap();
        assert!(
            s.rate("MAIN", 1, 5, &[], "", t0).is_err(),
            "nobody served yet"
        );
        s.issue_ticket("MAIN", "ZHSL", None, None, "kiosk", t0)
            .unwrap();
        s.issue_ticket("MAIN", "ZHSL", None, None, "kiosk", t0)
            .unwrap();
        s.call_next("MAIN", 1, "li", t0).unwrap();
        s.queue_step("MAIN", 1, "serve", None, "li", t0).unwrap();
        s.link_ticket_case("MAIN", 1, "W01-20261127-0001").unwrap();
        assert!(
            s.rate("MAIN", 1, 2, &[], "", t0).is_err(),
            "a bad rating needs a reason"
        );
        let id = s
            .rate(
                "MAIN",
                1,
                1,
                &["服务态度不好".into()],
                "说话很冲",
                t0 + Duration::minutes(5),
            )
            .unwrap();
        assert!(s.rate("MAIN", 1, 5, &[], "", t0).is_err(), "rated once");
        // The next one, rated well, starts nothing.
        s.call_next("MAIN", 1, "li", t0 + Duration::minutes(6))
            .unwrap();
        s.rate("MAIN", 1, 5, &[], "", t0 + Duration::minutes(9))
            .unwrap();
        let bad = s.bad_ratings(None).unwrap();
        assert_eq!(bad.len(), 1);
        let b = &bad[0];
        assert_eq!((b.id, b.level, b.state), (id, 1, RectifyState::Pending));
        assert_eq!(b.ticket.as_deref(), Some("A001"));
        assert_eq!(b.case_number.as_deref(), Some("W01-20261127-0001"));
        assert_eq!(b.clerk.as_deref(), Some("li"));
        // 15 working days from Friday 2026-11-27: 2026-12-18.
        assert_eq!(b.due.to_string(), "2026-12-18");
        assert!(
            s.advance_rectification(None, id, "zhou", "改", t0).is_err(),
            "say what was done"
        );
        assert_eq!(
            s.advance_rectification(None, id, "zhou", "已约谈窗口人员并培训", t0)
                .unwrap(),
            RectifyState::Rectified
        );
        assert_eq!(
            s.advance_rectification(None, id, "zhou", "电话回访，申请人表示认可", t0)
                .unwrap(),
            RectifyState::Revisited
        );
        assert!(
            s.advance_rectification(None, id, "zhou", "再来一次不行", t0)
                .is_err()
        );
        assert_eq!(
            s.bad_ratings(None).unwrap()[0].state,
            RectifyState::Revisited
        );
    }
}
