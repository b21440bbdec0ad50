//! The hall queue in SQL: tickets issued at the kiosk or a desk, the windows' live state, and
//! calling (next, recall, serve, no-show, transfer) by the rules in `onewindow_domain::ticket`.
//! Every step is a `queue_event` row in the same transaction, for the hall display and the
//! figures.

use crate::db::{OptionalExtension, Tx, params};
use chrono::{DateTime, Utc};
use onewindow_domain::hours::TicketWindow;
use onewindow_domain::queue::QueueConfig;
use onewindow_domain::ticket::{self, Priority, Ticket, TicketState, TransferTo};
use onewindow_proto::{ApiErrorCode, CallShown, QueueAnswer, WindowLive};
use serde::{Deserialize, Serialize};

use crate::store::{HubStore, HubStoreError, Result};
pub use crate::store_centre::DeskWindow;
pub use crate::store_hours::hall_time;
pub(crate) use crate::store_hours::{service_extended, ticket_window};

/// The hall's clock: tickets are numbered per local day.
pub use onewindow_domain::ticket::hall_day;

/// A moment as the hub stores it (RFC 3339, milliseconds, UTC).
pub(crate) use onewindow_domain::time::stamp as ts;

pub(crate) fn bad(msg: impl Into<String>) -> HubStoreError {
    HubStoreError::BadInput(msg.into())
}

pub(crate) fn refused(code: ApiErrorCode, msg: impl Into<String>) -> HubStoreError {
    HubStoreError::Refused(code, msg.into())
}

fn priority_str(p: Priority) -> &'static str {
    match p {
        Priority::Elderly => "elderly",
        Priority::Disabled => "disabled",
        Priority::Military => "military",
    }
}

fn parse_priority(s: &str) -> Option<Priority> {
    match s {
        "elderly" => Some(Priority::Elderly),
        "disabled" => Some(Priority::Disabled),
        "military" => Some(Priority::Military),
        _ => None,
    }
}

fn parse_state(s: &str) -> crate::db::DbResult<TicketState> {
    Ok(match s {
        "waiting" => TicketState::Waiting,
        "called" => TicketState::Called,
        "serving" => TicketState::Serving,
        "done" => TicketState::Done,
        "no_show" => TicketState::NoShow,
        other => {
            return Err(crate::db::DbError::conversion(
                "state",
                format!("ticket state {other}"),
            ));
        }
    })
}

fn parse_ts(s: &str) -> crate::db::DbResult<DateTime<Utc>> {
    s.parse()
        .map_err(|e: chrono::ParseError| crate::db::DbError::conversion("time", e))
}

const TICKET_COLUMNS: &str =
    "id, number, domain, priority, issued_at, appointment_at, state, window_no, recalls";

fn read_ticket(r: &crate::db::Row<'_>) -> crate::db::DbResult<Ticket> {
    Ok(Ticket {
        id: r.get(0)?,
        number: r.get(1)?,
        domain: r.get(2)?,
        priority: r
            .get::<_, Option<String>>(3)?
            .as_deref()
            .and_then(parse_priority),
        issued_at: parse_ts(&r.get::<_, String>(4)?)?,
        appointment_at: r
            .get::<_, Option<String>>(5)?
            .map(|s| parse_ts(&s))
            .transpose()?,
        state: parse_state(&r.get::<_, String>(6)?)?,
        window: r.get::<_, Option<i64>>(7)?.map(|w| w as u32),
        recalls: r.get::<_, i64>(8)? as u32,
    })
}

/// What the kiosk prints.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketSlip {
    pub ticket: Ticket,
    pub domain_name: String,
    pub people_ahead: usize,
}

impl HubStore {
    /// A centre's current queue configuration, parsed once per published version.
    pub(crate) fn queue_cfg(&self, centre: &str) -> Result<std::sync::Arc<QueueConfig>> {
        let seq: i64 = self.conn.query_row(
            "SELECT coalesce(max(seq), 0) FROM queue_config_change WHERE centre = ?1",
            [centre],
            |r| r.get(0),
        )?;
        if let Some((cached, cfg)) = self.shared.queue_cache().get(centre)
            && *cached == seq
        {
            return Ok(cfg.clone());
        }
        let cfg = std::sync::Arc::new(self.queue_config(centre)?.ok_or_else(|| {
            bad(format!(
                "no queue configuration published for centre {centre} (onewindow-hub import-queue --centre {centre})"
            ))
        })?);
        self.shared
            .queue_cache()
            .insert(centre.to_string(), (seq, cfg.clone()));
        Ok(cfg)
    }

    /// 取号: a ticket for `domain`, numbered by the domain's prefix and the day's sequence.
    pub fn issue_ticket(
        &mut self,
        centre: &str,
        domain: &str,
        priority: Option<Priority>,
        appointment_at: Option<DateTime<Utc>>,
        source: &str,
        now: DateTime<Utc>,
    ) -> Result<TicketSlip> {
        let cfg = self.queue_cfg(centre)?;
        let d = cfg
            .domains
            .iter()
            .find(|d| d.code == domain)
            .ok_or_else(|| bad(format!("no queue domain {domain}")))?;
        // 开放时间: the kiosk takes tickets only while the centre does.
        let window = ticket_window(&self.conn, &cfg, now)?;
        if let TicketWindow::Closed { next } = &window {
            return Err(refused(
                ApiErrorCode::QueueClosed,
                match next {
                    Some(t) => format!(
                        "现在不是取号时间，下次开放：{}",
                        onewindow_domain::hours::when_zh(*t)
                    ),
                    None => "本中心近期不开放，请留意公告".to_string(),
                },
            ));
        }
        let tx = self.conn.transaction()?;
        let t = insert_ticket(
            &tx,
            centre,
            matches!(window, TicketWindow::Open { extended: true }),
            &d.prefix,
            domain,
            priority,
            appointment_at,
            source,
            now,
        )?;
        let waiting = waiting_today(&tx, centre, now)?;
        tx.commit()?;
        Ok(TicketSlip {
            people_ahead: ticket::people_ahead(&waiting, &t, now),
            ticket: t,
            domain_name: d.name.clone(),
        })
    }

    /// A ticket by id, with how many are ahead of it now.
    pub fn ticket_slip(&self, id: &str, now: DateTime<Utc>) -> Result<Option<TicketSlip>> {
        let tx = self.conn.read_transaction()?;
        let t: Option<(Ticket, String)> = tx
            .query_row(
                &format!("SELECT {TICKET_COLUMNS}, centre FROM queue_ticket WHERE id = ?1"),
                [id],
                |r| Ok((read_ticket(r)?, r.get(9)?)),
            )
            .optional()?;
        let Some((t, centre)) = t else {
            return Ok(None);
        };
        let cfg = self.queue_cfg(&centre)?;
        let waiting = waiting_today(&tx, &centre, now)?;
        Ok(Some(TicketSlip {
            people_ahead: ticket::people_ahead(&waiting, &t, now),
            domain_name: cfg
                .domains
                .iter()
                .find(|d| d.code == t.domain)
                .map_or_else(|| t.domain.clone(), |d| d.name.clone()),
            ticket: t,
        }))
    }

    /// Every window with its live state (configured ones start open with their domains).
    pub fn windows_live(&self, centre: &str) -> Result<Vec<WindowLive>> {
        let cfg = self.queue_cfg(centre)?;
        // Two queries for the whole hall, not two per window.
        let mut states: std::collections::HashMap<u32, (String, Vec<String>)> = self
            .conn
            .prepare_cached(
                "SELECT number, state, domains FROM queue_window_state WHERE centre = ?1",
            )?
            .query_map([centre], |r| {
                Ok((
                    r.get::<_, i64>(0)? as u32,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                ))
            })?
            .map(|row| {
                let (n, state, domains) = row?;
                let domains = serde_json::from_str(&domains)
                    .map_err(|e| HubStoreError::Json("window domains".into(), e))?;
                Ok((n, (state, domains)))
            })
            .collect::<Result<_>>()?;
        let mut current: std::collections::HashMap<u32, Ticket> = std::collections::HashMap::new();
        // `+window_no`: the few called and serving tickets by the state index, not every ticket
        // ever served at a window.
        let mut q = self.conn.prepare_cached(&format!(
            "SELECT {TICKET_COLUMNS}, called_at FROM queue_ticket
             WHERE centre = ?1 AND state IN ('called', 'serving') AND +window_no IS NOT NULL
             ORDER BY called_at"
        ))?;
        for t in q.query_map([centre], read_ticket)? {
            let t = t?;
            if let Some(w) = t.window {
                current.insert(w, t);
            }
        }
        Ok(cfg
            .windows
            .iter()
            .map(|w| {
                let (state, domains) = states
                    .remove(&w.number)
                    .unwrap_or_else(|| ("open".into(), w.domains.clone()));
                WindowLive {
                    number: w.number,
                    name: w.name.clone(),
                    state,
                    domains,
                    current: current.remove(&w.number),
                }
            })
            .collect())
    }

    /// The last `n` calls and recalls, newest first (an offline queue's calls, told after
    /// the fact, are not shown).
    pub fn recent_calls(&self, centre: &str, n: u32) -> Result<Vec<CallShown>> {
        let cfg = self.queue_cfg(centre)?;
        let mut q = self.conn.prepare_cached(
            "SELECT e.id, t.number, e.window_no, e.kind, e.at FROM queue_event e
             JOIN queue_ticket t ON t.id = e.ticket_id
             WHERE e.centre = ?2 AND e.kind IN ('call', 'recall') AND (e.detail IS NULL OR e.detail <> 'offline')
             ORDER BY e.id DESC LIMIT ?1",
        )?;
        let rows = q.query_map(params![n, centre], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, i64>(2)? as u32,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
            ))
        })?;
        rows.map(|row| {
            let (event_id, number, window, kind, at) = row?;
            Ok(CallShown {
                event_id,
                number,
                window_name: window_name(&cfg, window),
                window,
                kind,
                at,
            })
        })
        .collect()
    }

    /// 叫号: the window's current ticket is done, and the next one by the rules is called.
    pub fn call_next(
        &mut self,
        centre: &str,
        window: u32,
        by: &str,
        now: DateTime<Utc>,
    ) -> Result<QueueAnswer> {
        let cfg = self.queue_cfg(centre)?;
        let tx = self.conn.transaction()?;
        let (state, domains) = window_state(&tx, &cfg, centre, window)?;
        if state != "open" {
            return Err(refused(
                ApiErrorCode::QueueWindowNotOpen,
                format!("window {window} is {state}; resume it before calling"),
            ));
        }
        finish_current(&tx, centre, window, by, now)?;
        let waiting = candidates(&tx, centre, window, &domains, now)?;
        let Some(i) = ticket::pick_next(&waiting, window, &domains, now) else {
            tx.commit()?;
            return Ok(QueueAnswer {
                ticket: None,
                call: None,
                waiting_for_window: 0,
            });
        };
        let mut t = waiting[i].clone();
        t.state = TicketState::Called;
        t.window = Some(window);
        tx.execute(
            "UPDATE queue_ticket SET state = 'called', window_no = ?2, called_at = ?3, clerk = ?4,
               recalls = 0 WHERE id = ?1",
            params![t.id, window, ts(now), by],
        )?;
        let event_id = event(
            &tx,
            centre,
            Some(&t.id),
            Some(window),
            "call",
            Some(by),
            now,
            None,
        )?;
        let left = waiting.len() - 1;
        tx.commit()?;
        Ok(QueueAnswer {
            call: Some(CallShown {
                event_id,
                number: t.number.clone(),
                window,
                window_name: window_name(&cfg, window),
                kind: "call".into(),
                at: ts(now),
            }),
            ticket: Some(t),
            waiting_for_window: left,
        })
    }

    /// 重呼 (at most three times), 到号 (serve), 过号 (no-show) or 转移 on the window's current
    /// ticket.
    pub fn queue_step(
        &mut self,
        centre: &str,
        window: u32,
        action: &str,
        transfer_to: Option<&TransferTo>,
        by: &str,
        now: DateTime<Utc>,
    ) -> Result<QueueAnswer> {
        let cfg = self.queue_cfg(centre)?;
        let tx = self.conn.transaction()?;
        let (_, domains) = window_state(&tx, &cfg, centre, window)?;
        let current = current_ticket(&tx, centre, window)?.ok_or_else(|| {
            refused(
                ApiErrorCode::QueueNoCalledTicket,
                format!("window {window} has no called ticket"),
            )
        })?;
        let mut call = None;
        let t = match action {
            "recall" => {
                let n = ticket::recall(&current)
                    .map_err(|m| refused(ApiErrorCode::QueueRecallRefused, m))?;
                tx.execute(
                    "UPDATE queue_ticket SET recalls = ?2 WHERE id = ?1",
                    params![current.id, n],
                )?;
                let event_id = event(
                    &tx,
                    centre,
                    Some(&current.id),
                    Some(window),
                    "recall",
                    Some(by),
                    now,
                    None,
                )?;
                call = Some(CallShown {
                    event_id,
                    number: current.number.clone(),
                    window,
                    window_name: window_name(&cfg, window),
                    kind: "recall".into(),
                    at: ts(now),
                });
                Ticket {
                    recalls: n,
                    ..current
                }
            }
            "serve" => {
                if current.state != TicketState::Called {
                    return Err(refused(
                        ApiErrorCode::QueueAlreadyServed,
                        format!("{} is already being served", current.number),
                    ));
                }
                tx.execute(
                    "UPDATE queue_ticket SET state = 'serving', served_at = ?2 WHERE id = ?1",
                    params![current.id, ts(now)],
                )?;
                event(
                    &tx,
                    centre,
                    Some(&current.id),
                    Some(window),
                    "serve",
                    Some(by),
                    now,
                    None,
                )?;
                Ticket {
                    state: TicketState::Serving,
                    ..current
                }
            }
            "no_show" => {
                if current.state != TicketState::Called {
                    return Err(refused(
                        ApiErrorCode::QueueNoShowWhileServing,
                        format!(
                            "{} is being served; a no-show is only for one who did not come",
                            current.number
                        ),
                    ));
                }
                tx.execute(
                    "UPDATE queue_ticket SET state = 'no_show', done_at = ?2 WHERE id = ?1",
                    params![current.id, ts(now)],
                )?;
                event(
                    &tx,
                    centre,
                    Some(&current.id),
                    Some(window),
                    "no_show",
                    Some(by),
                    now,
                    None,
                )?;
                Ticket {
                    state: TicketState::NoShow,
                    ..current
                }
            }
            "transfer" => {
                let to = transfer_to.ok_or_else(|| bad("a transfer needs where to"))?;
                match to {
                    TransferTo::Window { window: w } => {
                        if *w == window {
                            return Err(bad("a transfer needs another window"));
                        }
                        let (_, their) = window_state(&tx, &cfg, centre, *w)?;
                        if !their.contains(&current.domain) {
                            return Err(refused(
                                ApiErrorCode::QueueNotServed,
                                format!("window {w} does not serve {}", current.domain),
                            ));
                        }
                    }
                    TransferTo::Domain { domain } => {
                        if !cfg.domains.iter().any(|d| &d.code == domain) {
                            return Err(bad(format!("no queue domain {domain}")));
                        }
                    }
                }
                let moved = ticket::transfer(&current, to).map_err(bad)?;
                tx.execute(
                    "UPDATE queue_ticket SET state = 'waiting', domain = ?2, window_no = ?3,
                       recalls = 0, called_at = NULL, served_at = NULL WHERE id = ?1",
                    params![moved.id, moved.domain, moved.window],
                )?;
                event(
                    &tx,
                    centre,
                    Some(&current.id),
                    Some(window),
                    "transfer",
                    Some(by),
                    now,
                    Some(&serde_json::to_string(to).expect("serialises")),
                )?;
                moved
            }
            other => return Err(bad(format!("unknown queue action {other}"))),
        };
        let left = count_for_window(&tx, centre, window, &domains, now)?;
        tx.commit()?;
        Ok(QueueAnswer {
            ticket: Some(t),
            call,
            waiting_for_window: left,
        })
    }

    /// Pauses, resumes or closes a window (a closed or paused window calls nobody).
    pub fn set_window_state(
        &mut self,
        centre: &str,
        window: u32,
        state: &str,
        by: &str,
        now: DateTime<Utc>,
    ) -> Result<WindowLive> {
        if !matches!(state, "open" | "paused" | "closed") {
            return Err(bad(format!(
                "window state must be open, paused or closed, not {state}"
            )));
        }
        let cfg = self.queue_cfg(centre)?;
        let tx = self.conn.transaction()?;
        let (_, domains) = window_state(&tx, &cfg, centre, window)?;
        tx.execute(
            "INSERT INTO queue_window_state (centre, number, state, domains, clerk, updated_at)
             VALUES (?6, ?1, ?2, ?3, ?4, ?5)
             ON CONFLICT(centre, number) DO UPDATE SET state = excluded.state,
               clerk = excluded.clerk, updated_at = excluded.updated_at",
            params![
                window,
                state,
                serde_json::to_string(&domains).expect("serialises"),
                by,
                ts(now),
                centre
            ],
        )?;
        event(
            &tx,
            centre,
            None,
            Some(window),
            "window",
            Some(by),
            now,
            Some(state),
        )?;
        tx.commit()?;
        self.windows_live(centre)?
            .into_iter()
            .find(|w| w.number == window)
            .ok_or_else(|| bad(format!("no window {window}")))
    }

    /// 现场取号 at the desk: someone already at the window without a ticket gets one of the
    /// window's domains, served at once (the window's previous ticket is done).
    pub fn walk_in(
        &mut self,
        centre: &str,
        window: u32,
        domain: &str,
        desk_code: &str,
        by: &str,
        now: DateTime<Utc>,
    ) -> Result<QueueAnswer> {
        let cfg = self.queue_cfg(centre)?;
        let prefix = cfg
            .domains
            .iter()
            .find(|d| d.code == domain)
            .map(|d| d.prefix.clone())
            .ok_or_else(|| bad(format!("no queue domain {domain}")))?;
        // One transaction: the ticket never waits where another window could call it.
        let tx = self.conn.transaction()?;
        let (_, domains) = window_state(&tx, &cfg, centre, window)?;
        if !domains.iter().any(|d| d == domain) {
            return Err(refused(
                ApiErrorCode::QueueNotServed,
                format!("window {window} does not serve {domain}"),
            ));
        }
        let source = format!("desk:{desk_code}");
        let extended = service_extended(&tx, &cfg, now)?;
        let t = insert_ticket(
            &tx, centre, extended, &prefix, domain, None, None, &source, now,
        )?;
        finish_current(&tx, centre, window, by, now)?;
        tx.execute(
            "UPDATE queue_ticket SET state = 'serving', window_no = ?2, called_at = ?3,
               served_at = ?3, clerk = ?4 WHERE id = ?1",
            params![t.id, window, ts(now), by],
        )?;
        event(
            &tx,
            centre,
            Some(&t.id),
            Some(window),
            "serve",
            Some(by),
            now,
            Some("walk_in"),
        )?;
        let left = count_for_window(&tx, centre, window, &domains, now)?;
        tx.commit()?;
        Ok(QueueAnswer {
            ticket: Some(Ticket {
                state: TicketState::Serving,
                window: Some(window),
                ..t
            }),
            call: None,
            waiting_for_window: left,
        })
    }

    /// The window now: its called or served ticket and how many it could call next.
    pub fn window_now(&self, centre: &str, window: u32, now: DateTime<Utc>) -> Result<QueueAnswer> {
        let cfg = self.queue_cfg(centre)?;
        let tx = self.conn.read_transaction()?;
        let (_, domains) = window_state(&tx, &cfg, centre, window)?;
        let current = current_ticket(&tx, centre, window)?;
        Ok(QueueAnswer {
            ticket: current,
            call: None,
            waiting_for_window: count_for_window(&tx, centre, window, &domains, now)?,
        })
    }

    /// Links the window's current ticket to a case it served: a ticket may serve several,
    /// and each is kept (the ticket's `case_number` names the last, for ratings).
    pub fn link_ticket_case(
        &mut self,
        centre: &str,
        window: u32,
        case_number: &str,
    ) -> Result<bool> {
        let tx = self.conn.transaction()?;
        let Some(current) = current_ticket(&tx, centre, window)? else {
            return Ok(false);
        };
        tx.execute(
            "UPDATE queue_ticket SET case_number = ?2 WHERE id = ?1",
            params![current.id, case_number],
        )?;
        link_case(&tx, &current.id, case_number)?;
        tx.commit()?;
        Ok(true)
    }
}

pub use crate::store_tidal::{DomainLoad, Reassignment, TidalSuggestion};

/// Records that ticket `id` served case `case_number` (once, however often it is said).
pub(crate) fn link_case(tx: &Tx<'_>, id: &str, case_number: &str) -> Result<()> {
    tx.execute(
        "INSERT INTO ticket_case (ticket_id, case_number) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
        params![id, case_number],
    )?;
    Ok(())
}

/// The ticket called or being served at `window`.
fn current_ticket(tx: &Tx<'_>, centre: &str, window: u32) -> Result<Option<Ticket>> {
    Ok(tx
        .query_row(
            &format!(
                "SELECT {TICKET_COLUMNS} FROM queue_ticket
                 WHERE centre = ?2 AND window_no = ?1 AND state IN ('called', 'serving')
                 ORDER BY called_at DESC LIMIT 1"
            ),
            params![window, centre],
            read_ticket,
        )
        .optional()?)
}

/// A new waiting ticket of `domain`, numbered by the day's sequence, with its issue event.
#[allow(clippy::too_many_arguments)]
pub(crate) fn insert_ticket(
    tx: &Tx<'_>,
    centre: &str,
    extended: bool,
    prefix: &str,
    domain: &str,
    priority: Option<Priority>,
    appointment_at: Option<DateTime<Utc>>,
    source: &str,
    now: DateTime<Utc>,
) -> Result<Ticket> {
    let day = hall_day(now).to_string();
    let seq: i64 = tx.query_row(
        "SELECT coalesce(max(seq), 0) + 1 FROM queue_ticket
         WHERE centre = ?3 AND day = ?1 AND domain = ?2",
        params![day, domain, centre],
        |r| r.get(0),
    )?;
    let mut raw = [0u8; 16];
    getrandom::fill(&mut raw).expect("the OS random source works");
    let id: String = raw.iter().map(|b| format!("{b:02x}")).collect();
    let t = Ticket {
        id,
        number: ticket::ticket_number(prefix, seq as u32),
        domain: domain.to_string(),
        priority,
        issued_at: now,
        appointment_at,
        state: TicketState::Waiting,
        window: None,
        recalls: 0,
    };
    tx.execute(
        "INSERT INTO queue_ticket (id, day, seq, number, domain, priority, issued_at,
           appointment_at, state, source, centre, extended)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 'waiting', ?9, ?10, ?11)",
        params![
            t.id,
            day,
            seq,
            t.number,
            t.domain,
            priority.map(priority_str),
            ts(now),
            appointment_at.map(ts),
            source,
            centre,
            extended
        ],
    )?;
    event(
        tx,
        centre,
        Some(&t.id),
        None,
        "issue",
        None,
        now,
        Some(source),
    )?;
    Ok(t)
}

fn window_name(cfg: &QueueConfig, window: u32) -> String {
    cfg.windows
        .iter()
        .find(|w| w.number == window)
        .map_or_else(|| format!("{window} 号窗口"), |w| w.name.clone())
}

/// A window's state and current domains: its row, or the configuration's (open).
pub(crate) fn window_state(
    tx: &Tx<'_>,
    cfg: &QueueConfig,
    centre: &str,
    window: u32,
) -> Result<(String, Vec<String>)> {
    let row: Option<(String, String)> = tx
        .query_row(
            "SELECT state, domains FROM queue_window_state WHERE centre = ?2 AND number = ?1",
            params![window, centre],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    match row {
        Some((state, domains)) => Ok((
            state,
            serde_json::from_str(&domains)
                .map_err(|e| HubStoreError::Json("window domains".into(), e))?,
        )),
        None => cfg
            .windows
            .iter()
            .find(|w| w.number == window)
            .map(|w| ("open".to_string(), w.domains.clone()))
            .ok_or_else(|| bad(format!("no window {window} in the queue configuration"))),
    }
}

/// Today's waiting tickets a window may call: its domains, not sent to another window.
fn candidates(
    tx: &Tx<'_>,
    centre: &str,
    window: u32,
    domains: &[String],
    now: DateTime<Utc>,
) -> Result<Vec<Ticket>> {
    let mut q = tx.prepare_cached(&format!(
        "SELECT {TICKET_COLUMNS} FROM queue_ticket
         WHERE centre = ?4 AND state = 'waiting' AND day = ?1
           AND domain IN (SELECT value FROM json_each(?2))
           AND (window_no IS NULL OR window_no = ?3)"
    ))?;
    let rows = q.query_map(
        params![
            hall_day(now).to_string(),
            serde_json::to_string(domains).expect("serialises"),
            window,
            centre
        ],
        read_ticket,
    )?;
    Ok(rows
        .collect::<crate::db::DbResult<Vec<_>>>()?
        .into_iter()
        .filter(|t| ticket::callable_by(t, window, domains))
        .collect())
}

/// Today's waiting tickets.
pub(crate) fn waiting_today(tx: &Tx<'_>, centre: &str, now: DateTime<Utc>) -> Result<Vec<Ticket>> {
    let mut q = tx.prepare_cached(&format!(
        "SELECT {TICKET_COLUMNS} FROM queue_ticket
         WHERE centre = ?2 AND state = 'waiting' AND day = ?1"
    ))?;
    let rows = q.query_map(params![hall_day(now).to_string(), centre], read_ticket)?;
    Ok(rows.collect::<crate::db::DbResult<_>>()?)
}

fn count_for_window(
    tx: &Tx<'_>,
    centre: &str,
    window: u32,
    domains: &[String],
    now: DateTime<Utc>,
) -> Result<usize> {
    Ok(tx.query_row(
        "SELECT count(*) FROM queue_ticket
         WHERE centre = ?4 AND state = 'waiting' AND day = ?1
           AND domain IN (SELECT value FROM json_each(?2))
           AND (window_no IS NULL OR window_no = ?3)",
        params![
            hall_day(now).to_string(),
            serde_json::to_string(domains).expect("serialises"),
            window,
            centre
        ],
        |r| r.get::<_, i64>(0),
    )? as usize)
}

/// The window moves on: what it called or served is done.
fn finish_current(
    tx: &Tx<'_>,
    centre: &str,
    window: u32,
    by: &str,
    now: DateTime<Utc>,
) -> Result<()> {
    let ids: Vec<String> = tx
        .prepare_cached(
            "SELECT id FROM queue_ticket
             WHERE centre = ?2 AND window_no = ?1 AND state IN ('called', 'serving')",
        )?
        .query_map(params![window, centre], |r| r.get(0))?
        .collect::<crate::db::DbResult<_>>()?;
    for id in ids {
        tx.execute(
            "UPDATE queue_ticket SET state = 'done', done_at = ?2 WHERE id = ?1",
            params![id, ts(now)],
        )?;
        event(
            tx,
            centre,
            Some(&id),
            Some(window),
            "done",
            Some(by),
            now,
            None,
        )?;
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn event(
    tx: &Tx<'_>,
    centre: &str,
    ticket: Option<&str>,
    window: Option<u32>,
    kind: &str,
    by: Option<&str>,
    at: DateTime<Utc>,
    detail: Option<&str>,
) -> Result<i64> {
    Ok(tx.query_row(
        "INSERT INTO queue_event (ticket_id, window_no, kind, by_user, at, detail, centre)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) RETURNING id",
        params![ticket, window, kind, by, ts(at), detail, centre],
        |r| r.get(0),
    )?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    fn t0() -> DateTime<Utc> {
        "2026-11-27T01:00:00Z".parse().unwrap()
    }

    fn hub() -> HubStore {
        let mut s = HubStore::open_in_memory().unwrap();
        let cfg = QueueConfig::parse(include_str!("../../../demo/queue.json")).unwrap();
        s.import_queue("MAIN", &cfg, t0()).unwrap();
        s
    }

    #[test]
    fn tickets_are_numbered_per_domain_and_day_and_called_by_the_rules() {
        let mut s = hub();
        let a1 = s
            .issue_ticket("MAIN", "ZHSL", None, None, "kiosk", t0())
            .unwrap();
        let a2 = s
            .issue_ticket(
                "MAIN",
                "ZHSL",
                None,
                None,
                "kiosk",
                t0() + Duration::minutes(1),
            )
            .unwrap();
        let e1 = s
            .issue_ticket(
                "MAIN",
                "GAHZ",
                None,
                None,
                "kiosk",
                t0() + Duration::minutes(2),
            )
            .unwrap();
        let elder = s
            .issue_ticket(
                "MAIN",
                "ZHSL",
                Some(Priority::Elderly),
                None,
                "kiosk",
                t0() + Duration::minutes(3),
            )
            .unwrap();
        assert_eq!(
            [&a1, &a2, &e1, &elder].map(|t| t.ticket.number.as_str()),
            ["A001", "A002", "E001", "A003"]
        );
        assert_eq!((a2.people_ahead, elder.people_ahead), (1, 0));
        // The next day starts at 001 again.
        let tomorrow = s
            .issue_ticket(
                "MAIN",
                "ZHSL",
                None,
                None,
                "kiosk",
                t0() + Duration::days(1),
            )
            .unwrap();
        assert_eq!(tomorrow.ticket.number, "A001");

        let now = t0() + Duration::minutes(5);
        // Window 1 serves ZHSL and GAHZ: the lane, then the oldest of both.
        let order: Vec<String> = (0..4)
            .map(|_| {
                s.call_next("MAIN", 1, "li", now)
                    .unwrap()
                    .ticket
                    .unwrap()
                    .number
            })
            .collect();
        assert_eq!(order, ["A003", "A001", "A002", "E001"]);
        assert!(
            s.call_next("MAIN", 1, "li", now).unwrap().ticket.is_none(),
            "nobody left today"
        );
        // Calling next finished the one before.
        let slip = s.ticket_slip(&a1.ticket.id, now).unwrap().unwrap();
        assert_eq!(slip.ticket.state, TicketState::Done);
        let calls = s.recent_calls("MAIN", 5).unwrap();
        assert_eq!(calls[0].number, "E001");
        assert_eq!(calls[0].window_name, "1 号窗口（综合受理）");
    }

    #[test]
    fn recall_no_show_transfer_and_pause() {
        let mut s = hub();
        let a = s
            .issue_ticket("MAIN", "ZHSL", None, None, "kiosk", t0())
            .unwrap();
        s.issue_ticket("MAIN", "ZHSL", None, None, "kiosk", t0())
            .unwrap();
        let now = t0() + Duration::minutes(1);
        s.call_next("MAIN", 2, "zhao", now).unwrap();
        for n in 1..=3 {
            let r = s
                .queue_step("MAIN", 2, "recall", None, "zhao", now)
                .unwrap();
            assert_eq!(r.ticket.unwrap().recalls, n);
            assert_eq!(r.call.unwrap().kind, "recall");
        }
        let err = s
            .queue_step("MAIN", 2, "recall", None, "zhao", now)
            .unwrap_err();
        assert!(err.to_string().contains("过号"), "{err}");
        let r = s
            .queue_step("MAIN", 2, "no_show", None, "zhao", now)
            .unwrap();
        assert_eq!(r.ticket.unwrap().state, TicketState::NoShow);
        assert!(
            s.queue_step("MAIN", 2, "no_show", None, "zhao", now)
                .is_err(),
            "nothing called now"
        );

        // A002 is called, then sent to window 4's domain (社保医保) keeping its time.
        let b = s.call_next("MAIN", 2, "zhao", now).unwrap().ticket.unwrap();
        assert_ne!(b.id, a.ticket.id);
        let to = TransferTo::Domain {
            domain: "SBYB".into(),
        };
        let moved = s
            .queue_step("MAIN", 2, "transfer", Some(&to), "zhao", now)
            .unwrap();
        let moved = moved.ticket.unwrap();
        assert_eq!(
            (moved.domain.as_str(), moved.state),
            ("SBYB", TicketState::Waiting)
        );
        assert_eq!(moved.issued_at, b.issued_at);
        assert_eq!(
            s.call_next("MAIN", 4, "sun", now)
                .unwrap()
                .ticket
                .unwrap()
                .id,
            b.id
        );

        // A paused window calls nobody; resumed, it calls again.
        s.issue_ticket("MAIN", "ZHSL", None, None, "kiosk", now)
            .unwrap();
        s.set_window_state("MAIN", 2, "paused", "zhao", now)
            .unwrap();
        assert!(s.call_next("MAIN", 2, "zhao", now).is_err());
        assert!(
            s.set_window_state("MAIN", 2, "asleep", "zhao", now)
                .is_err()
        );
        let w = s.set_window_state("MAIN", 2, "open", "zhao", now).unwrap();
        assert_eq!(w.state, "open");
        assert!(
            s.call_next("MAIN", 2, "zhao", now)
                .unwrap()
                .ticket
                .is_some()
        );
        // A window that does not serve a domain is no transfer target.
        let to = TransferTo::Window { window: 3 };
        assert!(
            s.queue_step("MAIN", 2, "transfer", Some(&to), "zhao", now)
                .is_err()
        );
    }

    #[test]
    fn tidal_rules_suggest_a_window_and_a_reassignment_is_recorded() {
        let mut s = hub();
        // 16 waiting for 综合受理 (rule: more than 15 → window 7).
        for _ in 0..16 {
            s.issue_ticket("MAIN", "ZHSL", None, None, "kiosk", t0())
                .unwrap();
        }
        let now = t0() + Duration::minutes(20);
        let loads = s.domain_loads("MAIN", now).unwrap();
        let zhsl = loads.iter().find(|l| l.code == "ZHSL").unwrap();
        assert_eq!(
            (zhsl.waiting, zhsl.longest_wait_min, zhsl.windows_open),
            (16, 20, 3)
        );
        let sug = s.tidal_suggestions("MAIN", now).unwrap();
        assert_eq!(sug.len(), 1, "{sug:?}");
        assert_eq!((sug[0].window, sug[0].domain.as_str()), (7, "ZHSL"));
        assert!(sug[0].why.contains("等候 16 人"));
        // Not a tidal window, no reason, an unknown domain: refused.
        assert!(
            s.reassign_window("MAIN", 1, &["ZHSL".into()], "zhou", "排队过长", now)
                .is_err()
        );
        assert!(
            s.reassign_window("MAIN", 7, &["ZHSL".into()], "zhou", " ", now)
                .is_err()
        );
        assert!(
            s.reassign_window("MAIN", 7, &["NOPE".into()], "zhou", "排队过长", now)
                .is_err()
        );
        let w = s
            .reassign_window("MAIN", 7, &["ZHSL".into()], "zhou", "综合受理排队过长", now)
            .unwrap();
        assert_eq!(w.domains, ["ZHSL"]);
        assert!(s.tidal_suggestions("MAIN", now).unwrap().is_empty(), "done");
        // Window 7 now calls 综合受理 tickets.
        assert_eq!(
            s.call_next("MAIN", 7, "qian", now)
                .unwrap()
                .ticket
                .unwrap()
                .domain,
            "ZHSL"
        );
        let log = s.reassignments("MAIN", 10).unwrap();
        assert_eq!(log.len(), 1);
        assert_eq!((log[0].by.as_str(), log[0].window), ("zhou", 7));
        assert_eq!(
            (log[0].from.clone(), log[0].to.clone()),
            (vec!["SBYB".to_string()], vec!["ZHSL".to_string()])
        );
        assert_eq!(log[0].why, "综合受理排队过长");
        // The last hour's mean wait counts the call just made.
        let zhsl = s
            .domain_loads("MAIN", now)
            .unwrap()
            .into_iter()
            .find(|l| l.code == "ZHSL")
            .unwrap();
        assert_eq!(zhsl.avg_wait_last_hour_min, Some(20.0));
    }

    #[test]
    fn a_walk_in_is_served_at_once_and_linked_to_its_case() {
        let mut s = hub();
        s.issue_ticket("MAIN", "ZHSL", None, None, "kiosk", t0())
            .unwrap();
        let now = t0() + Duration::minutes(1);
        assert!(
            s.walk_in("MAIN", 1, "SCJG", "W01", "li", now).is_err(),
            "not window 1's domain"
        );
        let r = s.walk_in("MAIN", 1, "GAHZ", "W01", "li", now).unwrap();
        let t = r.ticket.unwrap();
        assert_eq!((t.number.as_str(), t.state), ("E001", TicketState::Serving));
        assert_eq!(r.waiting_for_window, 1);
        assert!(
            r.call.is_none(),
            "they are at the window: nothing to announce"
        );
        assert!(s.link_ticket_case("MAIN", 1, "W01-20261127-0001").unwrap());
        let case: String = s
            .conn
            .query_row(
                "SELECT case_number FROM queue_ticket WHERE number = 'E001'",
                (),
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(case, "W01-20261127-0001");
    }

    #[test]
    fn no_configuration_no_tickets() {
        let mut s = HubStore::open_in_memory().unwrap();
        assert!(
            s.issue_ticket("MAIN", "ZHSL", None, None, "kiosk", t0())
                .is_err()
        );
        let mut s = hub();
        assert!(
            s.issue_ticket("MAIN", "NOPE", None, None, "kiosk", t0())
                .is_err()
        );
    }
}
