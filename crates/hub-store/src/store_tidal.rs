//! Tidal windows (潮汐窗口) in SQL: each domain's queue now, the suggestions the tidal rules
//! make, and the supervisor's reassignments with their reasons.

use crate::db::params;
use chrono::{DateTime, Utc};
use onewindow_proto::WindowLive;
use serde::{Deserialize, Serialize};

use crate::store::{HubStore, HubStoreError, Result};
use crate::store_queue::{bad, event, hall_day, ts, window_state};

/// A domain's queue right now, for the hall supervisor.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DomainLoad {
    pub code: String,
    pub name: String,
    pub prefix: String,
    pub waiting: u32,
    /// Minutes the longest-waiting ticket has waited.
    pub longest_wait_min: u32,
    /// Mean wait (issue → call) of the tickets called in the last hour, minutes.
    pub avg_wait_last_hour_min: Option<f64>,
    /// Windows open for it now.
    pub windows_open: u32,
}

/// A tidal rule that fires: give `window` to `domain`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TidalSuggestion {
    pub window: u32,
    pub window_name: String,
    pub domain: String,
    pub domain_name: String,
    /// Why, in Chinese: which threshold and the figure now.
    pub why: String,
}

/// One recorded reassignment of a window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reassignment {
    pub at: String,
    pub by: String,
    pub window: u32,
    pub from: Vec<String>,
    pub to: Vec<String>,
    pub why: String,
}

impl HubStore {
    /// Per domain: waiting, longest wait, the last hour's mean wait, open windows.
    pub fn domain_loads(&self, centre: &str, now: DateTime<Utc>) -> Result<Vec<DomainLoad>> {
        let cfg = self.queue_cfg(centre)?;
        let day = hall_day(now).to_string();
        let hour_ago = ts(now - chrono::Duration::hours(1));
        let windows = self.windows_live(centre)?;
        cfg.domains
            .iter()
            .map(|d| {
                let (waiting, oldest): (i64, Option<String>) = self.conn.query_row(
                    "SELECT count(*), min(issued_at) FROM queue_ticket
                     WHERE centre = ?3 AND state = 'waiting' AND day = ?1 AND domain = ?2",
                    params![day, d.code, centre],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )?;
                let longest = oldest
                    .and_then(|o| o.parse::<DateTime<Utc>>().ok())
                    .map_or(0, |o| (now - o).num_minutes().max(0) as u32);
                let waits: Vec<(String, String)> = self
                    .conn
                    .prepare_cached(
                        "SELECT issued_at, called_at FROM queue_ticket
                         WHERE centre = ?3 AND domain = ?1 AND called_at IS NOT NULL
                           AND called_at >= ?2",
                    )?
                    .query_map(params![d.code, hour_ago, centre], |r| {
                        Ok((r.get(0)?, r.get(1)?))
                    })?
                    .collect::<crate::db::DbResult<_>>()?;
                let mins: Vec<f64> = waits
                    .iter()
                    .filter_map(|(i, c)| {
                        let (i, c) = (
                            i.parse::<DateTime<Utc>>().ok()?,
                            c.parse::<DateTime<Utc>>().ok()?,
                        );
                        Some((c - i).num_seconds().max(0) as f64 / 60.0)
                    })
                    .collect();
                Ok(DomainLoad {
                    code: d.code.clone(),
                    name: d.name.clone(),
                    prefix: d.prefix.clone(),
                    waiting: waiting as u32,
                    longest_wait_min: longest,
                    avg_wait_last_hour_min: (!mins.is_empty())
                        .then(|| mins.iter().sum::<f64>() / mins.len() as f64),
                    windows_open: windows
                        .iter()
                        .filter(|w| w.state == "open" && w.domains.contains(&d.code))
                        .count() as u32,
                })
            })
            .collect()
    }

    /// The tidal rules that fire now, for windows not already serving the domain.
    pub fn tidal_suggestions(
        &self,
        centre: &str,
        now: DateTime<Utc>,
    ) -> Result<Vec<TidalSuggestion>> {
        let cfg = self.queue_cfg(centre)?;
        let loads = self.domain_loads(centre, now)?;
        let windows = self.windows_live(centre)?;
        let mut out = Vec::new();
        for r in &cfg.rules {
            let Some(load) = loads.iter().find(|l| l.code == r.domain) else {
                continue;
            };
            let Some(w) = windows.iter().find(|w| w.number == r.window) else {
                continue;
            };
            if w.domains.contains(&r.domain) {
                continue;
            }
            let mut why = Vec::new();
            if let Some(n) = r.max_waiting
                && load.waiting > n
            {
                why.push(format!("等候 {} 人，超过 {n} 人", load.waiting));
            }
            if let Some(m) = r.max_wait_minutes
                && load.longest_wait_min > m
            {
                why.push(format!(
                    "最长已等 {} 分钟，超过 {m} 分钟",
                    load.longest_wait_min
                ));
            }
            if !why.is_empty() {
                out.push(TidalSuggestion {
                    window: w.number,
                    window_name: w.name.clone(),
                    domain: load.code.clone(),
                    domain_name: load.name.clone(),
                    why: why.join("；"),
                });
            }
        }
        Ok(out)
    }

    /// 潮汐调配: a tidal window now serves `domains`; who and why are recorded.
    pub fn reassign_window(
        &mut self,
        centre: &str,
        window: u32,
        domains: &[String],
        by: &str,
        why: &str,
        now: DateTime<Utc>,
    ) -> Result<WindowLive> {
        let cfg = self.queue_cfg(centre)?;
        let w = cfg
            .windows
            .iter()
            .find(|w| w.number == window)
            .ok_or_else(|| bad(format!("no window {window}")))?;
        if !w.tidal {
            return Err(bad(format!("window {window} is not a tidal window")));
        }
        if domains.is_empty()
            || domains
                .iter()
                .any(|d| !cfg.domains.iter().any(|x| &x.code == d))
        {
            return Err(bad("choose one or more domains of the queue configuration"));
        }
        let why = why.trim();
        if why.chars().count() < 2 {
            return Err(bad("a reassignment needs its reason"));
        }
        let tx = self.conn.transaction()?;
        let (state, from) = window_state(&tx, &cfg, centre, window)?;
        tx.execute(
            "INSERT INTO queue_window_state (centre, number, state, domains, clerk, updated_at)
             VALUES (?5, ?1, ?2, ?3, NULL, ?4)
             ON CONFLICT(centre, number) DO UPDATE SET domains = excluded.domains,
               updated_at = excluded.updated_at",
            params![
                window,
                state,
                serde_json::to_string(domains).expect("serialises"),
                ts(now),
                centre
            ],
        )?;
        event(
            &tx,
            centre,
            None,
            Some(window),
            "reassign",
            Some(by),
            now,
            Some(&serde_json::json!({"from": from, "to": domains, "why": why}).to_string()),
        )?;
        tx.commit()?;
        self.windows_live(centre)?
            .into_iter()
            .find(|w| w.number == window)
            .ok_or_else(|| bad(format!("no window {window}")))
    }

    /// Every reassignment, newest first.
    pub fn reassignments(&self, centre: &str, limit: u32) -> Result<Vec<Reassignment>> {
        let mut q = self.conn.prepare_cached(
            "SELECT at, coalesce(by_user, ''), window_no, detail FROM queue_event
             WHERE centre = ?2 AND kind = 'reassign' ORDER BY id DESC LIMIT ?1",
        )?;
        let rows = q.query_map(params![limit, centre], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, i64>(2)? as u32,
                r.get::<_, String>(3)?,
            ))
        })?;
        rows.map(|row| {
            let (at, by, window, detail) = row?;
            let d: serde_json::Value = serde_json::from_str(&detail)
                .map_err(|e| HubStoreError::Json("reassignment".into(), e))?;
            let list = |k: &str| -> Vec<String> {
                d[k].as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|v| v.as_str().map(String::from))
                    .collect()
            };
            Ok(Reassignment {
                at,
                by,
                window,
                from: list("from"),
                to: list("to"),
                why: d["why"].as_str().unwrap_or("").to_string(),
            })
        })
        .collect()
    }
}
