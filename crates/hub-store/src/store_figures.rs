//! The SQL of 数据统计 (the hall's figures, see `figures`): tickets, waits, service times,
//! no-shows, cases, notices and ratings of a day or a month, grouped by domain, window, clerk
//! and hour.

use crate::db::params;
use serde::{Deserialize, Serialize};

use crate::store::{HubStore, Result};

/// One row of a table of figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FigureRow {
    pub key: String,
    pub label: String,
    pub tickets: u32,
    /// Tickets that reached a window (called).
    pub called: u32,
    pub avg_wait_min: Option<f64>,
    pub avg_service_min: Option<f64>,
    pub no_shows: u32,
    /// Cases accepted from these tickets.
    pub cases: u32,
    /// One-time notices (一次性告知书) issued while serving these tickets; the total counts
    /// every notice of the period, with a ticket or not.
    pub notices: u32,
    /// Tickets of extended-hours service (错时延时、周末不打烊).
    #[serde(default)]
    pub extended: u32,
    /// Ratings given, and those 基本满意 or better.
    pub ratings: u32,
    pub satisfied: u32,
}

impl FigureRow {
    /// No-shows over tickets called, 0–1.
    pub fn no_show_rate(&self) -> Option<f64> {
        (self.called > 0).then(|| self.no_shows as f64 / self.called as f64)
    }

    /// Ratings 基本满意 or better over ratings given, 0–1.
    pub fn satisfaction(&self) -> Option<f64> {
        (self.ratings > 0).then(|| self.satisfied as f64 / self.ratings as f64)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Figures {
    /// `2026-11-27` or `2026-11`.
    pub period: String,
    /// The centre these figures are of; `None`: the county roll-up of every centre.
    pub centre: Option<String>,
    pub total: FigureRow,
    /// One row per centre (the roll-up's breakdown; a centre's own figures have its one row).
    pub by_centre: Vec<FigureRow>,
    pub by_domain: Vec<FigureRow>,
    pub by_window: Vec<FigureRow>,
    pub by_clerk: Vec<FigureRow>,
    pub by_hour: Vec<FigureRow>,
}

/// `day=YYYY-MM-DD` or `month=YYYY-MM` → the `LIKE` pattern on `queue_ticket.day`.
fn period_pattern(period: &str) -> Option<String> {
    let ok_day = chrono::NaiveDate::parse_from_str(period, "%Y-%m-%d").is_ok();
    let ok_month = chrono::NaiveDate::parse_from_str(&format!("{period}-01"), "%Y-%m-%d").is_ok()
        && period.len() == 7;
    if ok_day {
        Some(period.to_string())
    } else if ok_month {
        Some(format!("{period}-%"))
    } else {
        None
    }
}

impl HubStore {
    /// The figures of a day (`2026-11-27`) or a month (`2026-11`), of one centre or (`None`)
    /// of the whole county.
    pub fn figures(&self, centre: Option<&str>, period: &str) -> Result<Figures> {
        let pattern = period_pattern(period).ok_or_else(|| {
            crate::store::HubStoreError::BadInput(format!(
                "period must be YYYY-MM-DD or YYYY-MM, got {period:?}"
            ))
        })?;
        let centres = self.centres()?;
        // Each centre's queue configuration names its domains and windows.
        let mut configs = std::collections::HashMap::new();
        for c in &centres {
            if centre.is_none_or(|only| only == c.code) {
                configs.insert(
                    c.code.clone(),
                    self.queue_config(&c.code)?.unwrap_or_default(),
                );
            }
        }
        let wait = self.conn.minutes_between("issued_at", "called_at");
        let service = self.conn.minutes_between("served_at", "done_at");
        let group = |key_sql: &str| -> Result<Vec<FigureRow>> {
            let sql = format!(
                "SELECT {key_sql} AS k, count(*),
                        count(called_at),
                        avg(CASE WHEN called_at IS NOT NULL THEN {wait} END),
                        avg(CASE WHEN served_at IS NOT NULL AND done_at IS NOT NULL
                            THEN {service} END),
                        sum(CASE WHEN state = 'no_show' THEN 1 ELSE 0 END),
                        coalesce(sum((SELECT count(*) FROM ticket_case tc
                                      WHERE tc.ticket_id = t.id)), 0),
                        count(rt.id),
                        coalesce(sum(CASE WHEN rt.level >= 3 THEN 1 ELSE 0 END), 0),
                        coalesce(sum((SELECT count(*) FROM notice_issued n
                                      WHERE n.ticket_id = t.id)), 0),
                        coalesce(sum(t.extended), 0)
                 FROM queue_ticket t LEFT JOIN rating rt ON rt.ticket_id = t.id
                 WHERE t.day LIKE ?1 AND (CAST(?2 AS TEXT) IS NULL OR t.centre = ?2) GROUP BY k ORDER BY k"
            );
            let mut q = self.conn.prepare(&sql)?;
            let rows = q.query_map(params![pattern, centre], |r| {
                Ok(FigureRow {
                    key: r
                        .get::<_, Option<crate::db::Value>>(0)?
                        .map(|v| match v {
                            crate::db::Value::Int(i) => i.to_string(),
                            crate::db::Value::Text(t) => t,
                            _ => String::new(),
                        })
                        .unwrap_or_default(),
                    label: String::new(),
                    tickets: r.get::<_, i64>(1)? as u32,
                    called: r.get::<_, i64>(2)? as u32,
                    avg_wait_min: r.get(3)?,
                    avg_service_min: r.get(4)?,
                    no_shows: r.get::<_, Option<i64>>(5)?.unwrap_or(0) as u32,
                    cases: r.get::<_, i64>(6)? as u32,
                    ratings: r.get::<_, i64>(7)? as u32,
                    satisfied: r.get::<_, i64>(8)? as u32,
                    notices: r.get::<_, i64>(9)? as u32,
                    extended: r.get::<_, i64>(10)? as u32,
                })
            })?;
            Ok(rows.collect::<crate::db::DbResult<_>>()?)
        };
        let mut total = group("'all'")?.pop().unwrap_or(FigureRow {
            key: "all".into(),
            label: String::new(),
            tickets: 0,
            called: 0,
            avg_wait_min: None,
            avg_service_min: None,
            no_shows: 0,
            cases: 0,
            ratings: 0,
            satisfied: 0,
            notices: 0,
            extended: 0,
        });
        total.label = "合计".into();
        total.notices = self.conn.query_row(
            "SELECT count(*) FROM notice_issued WHERE day LIKE ?1 AND (CAST(?2 AS TEXT) IS NULL OR centre = ?2)",
            params![pattern, centre],
            |r| r.get::<_, i64>(0),
        )? as u32;
        let mut by_centre = group("t.centre")?;
        for r in &mut by_centre {
            r.label = centres
                .iter()
                .find(|c| c.code == r.key)
                .map_or_else(|| r.key.clone(), |c| c.name.clone());
        }
        let mut by_domain = group("t.domain")?;
        for r in &mut by_domain {
            r.label = configs
                .values()
                .flat_map(|cfg| &cfg.domains)
                .find(|d| d.code == r.key)
                .map_or_else(|| r.key.clone(), |d| format!("{}（{}）", d.name, d.prefix));
        }
        // Window numbers are each centre's own: the roll-up keys them by centre too.
        let mut by_window = if centre.is_some() {
            group("t.window_no")?
        } else {
            group(
                "CASE WHEN t.window_no IS NULL THEN NULL ELSE t.centre || ':' || t.window_no END",
            )?
        };
        by_window.retain(|r| !r.key.is_empty());
        for r in &mut by_window {
            let (at, number) = match (centre, r.key.split_once(':')) {
                (Some(c), _) => (c.to_string(), r.key.clone()),
                (None, Some((c, n))) => (c.to_string(), n.to_string()),
                (None, None) => (String::new(), r.key.clone()),
            };
            let name = number
                .parse::<u32>()
                .ok()
                .and_then(|n| configs.get(&at)?.windows.iter().find(|w| w.number == n))
                .map_or_else(|| format!("{number} 号窗口"), |w| w.name.clone());
            r.label = match centre {
                Some(_) => name,
                None => {
                    let cname = centres
                        .iter()
                        .find(|c| c.code == at)
                        .map_or(at.as_str(), |c| c.name.as_str());
                    format!("{cname} · {name}")
                }
            };
        }
        let mut by_clerk = group("t.clerk")?;
        by_clerk.retain(|r| !r.key.is_empty());
        for r in &mut by_clerk {
            r.label = r.key.clone();
        }
        let mut by_hour = group(&self.conn.hall_hour("t.issued_at"))?;
        for r in &mut by_hour {
            r.label = format!("{}:00–{}:59", r.key, r.key);
        }
        Ok(Figures {
            period: period.to_string(),
            centre: centre.map(String::from),
            total,
            by_centre,
            by_domain,
            by_window,
            by_clerk,
            by_hour,
        })
    }
}

impl HubStore {
    /// Today's waiting tickets per centre (`/metrics`), centres with none left out.
    pub fn tickets_waiting_by_centre(
        &self,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Vec<(String, i64)>> {
        let mut q = self.conn.prepare(
            "SELECT centre, count(*) FROM queue_ticket WHERE state = 'waiting' AND day = ?1
             GROUP BY centre ORDER BY centre",
        )?;
        let rows = q.query_map([onewindow_domain::ticket::hall_day(now).to_string()], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?;
        Ok(rows.collect::<crate::db::DbResult<_>>()?)
    }
}
