//! Queue tickets (取号) and the calling rules (叫号 / 重呼 / 过号 / 转移), as pure functions: the
//! hub's queue and the desk's offline walk-in queue both call them.
//!
//! - The priority lane (绿色通道: 60 and over, disabled, military) goes first; age comes from the
//!   ID number, never typed. An appointment joins the lane from shortly before its slot.
//! - Then the oldest ticket across all the domains the window serves: a window serving two
//!   domains alternates by issue time, it never drains one domain first.
//! - A transferred ticket keeps its original issue time, so it does not go to the back.
//! - A called ticket may be recalled at most [`MAX_RECALLS`] times; then it is a no-show.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use crate::validate::IdNumber;

/// Recalls allowed after the first call.
pub const MAX_RECALLS: u32 = 3;
/// An appointment joins the priority lane this long before its slot.
pub const APPOINTMENT_EARLY_MINUTES: i64 = 10;
/// The age from which the priority lane is open.
pub const ELDERLY_AGE: u32 = 60;

/// Why a ticket is in the priority lane.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Priority {
    /// 60 and over, from the ID number.
    Elderly,
    Disabled,
    Military,
}

impl Priority {
    pub fn label(self) -> &'static str {
        match self {
            Priority::Elderly => "老年人",
            Priority::Disabled => "残疾人",
            Priority::Military => "军人",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum TicketState {
    Waiting,
    /// Called to a window, not yet there.
    Called,
    Serving,
    Done,
    NoShow,
}

impl TicketState {
    pub fn label(self) -> &'static str {
        match self {
            TicketState::Waiting => "等候中",
            TicketState::Called => "已叫号",
            TicketState::Serving => "办理中",
            TicketState::Done => "已办结",
            TicketState::NoShow => "过号",
        }
    }
}

/// What the calling rules need to know of a ticket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ticket {
    pub id: String,
    /// `A012`: the domain's prefix and the day's sequence.
    pub number: String,
    pub domain: String,
    pub priority: Option<Priority>,
    /// When it was first issued; a transfer keeps it.
    pub issued_at: DateTime<Utc>,
    /// The slot of an appointment checked in at the kiosk.
    pub appointment_at: Option<DateTime<Utc>>,
    pub state: TicketState,
    /// The window it was called to or transferred to.
    pub window: Option<u32>,
    pub recalls: u32,
}

/// The priority lane an ID number opens: 60 and over on `today`.
pub fn priority_from_id(id_number: &str, today: NaiveDate) -> Option<Priority> {
    let id = IdNumber::parse(id_number, today).ok()?;
    (id.age_on(today) >= ELDERLY_AGE).then_some(Priority::Elderly)
}

/// The hall's local date (UTC+8) of a moment: tickets are numbered per day.
pub fn hall_day(at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&chrono::FixedOffset::east_opt(8 * 3600).expect("UTC+8"))
        .date_naive()
}

/// A ticket of a desk's offline walk-in queue: the desk code, a dash and the day's sequence
/// (`W01-003`), so it never collides with the kiosk's numbers or another desk's.
pub fn offline_number(desk_code: &str, seq: u32) -> String {
    format!("{desk_code}-{seq:03}")
}

/// Whether a ticket number is one of `desk_code`'s offline numbers.
pub fn is_offline_number_of(number: &str, desk_code: &str) -> bool {
    number
        .strip_prefix(desk_code)
        .and_then(|rest| rest.strip_prefix('-'))
        .is_some_and(|n| n.len() >= 3 && n.bytes().all(|b| b.is_ascii_digit()))
}

/// The ticket number shown and announced: prefix and a three-digit sequence (`A012`).
pub fn ticket_number(prefix: &str, seq: u32) -> String {
    format!("{prefix}{seq:03}")
}

/// How urgent a waiting ticket is for the window: lane first, then by issue time.
fn rank(t: &Ticket, now: DateTime<Utc>) -> (u8, DateTime<Utc>) {
    let appointment_due = t
        .appointment_at
        .is_some_and(|slot| now >= slot - Duration::minutes(APPOINTMENT_EARLY_MINUTES));
    let lane = if t.priority.is_some() || appointment_due {
        0
    } else {
        1
    };
    (lane, t.issued_at)
}

/// Whether `window` (serving `domains`) may call this ticket now.
pub fn callable_by(t: &Ticket, window: u32, domains: &[String]) -> bool {
    t.state == TicketState::Waiting
        && domains.iter().any(|d| d == &t.domain)
        && t.window.is_none_or(|w| w == window)
}

/// The ticket `window` calls next: the priority lane (and due appointments) first, then the
/// oldest across the window's domains. `None` when nobody waits for it.
pub fn pick_next(
    waiting: &[Ticket],
    window: u32,
    domains: &[String],
    now: DateTime<Utc>,
) -> Option<usize> {
    waiting
        .iter()
        .enumerate()
        .filter(|(_, t)| callable_by(t, window, domains))
        .min_by_key(|(_, t)| (rank(t, now), t.number.clone()))
        .map(|(i, _)| i)
}

/// How many are ahead of `ticket` for its domain (what the ticket slip says).
pub fn people_ahead(all: &[Ticket], ticket: &Ticket, now: DateTime<Utc>) -> usize {
    let mine = rank(ticket, now);
    all.iter()
        .filter(|t| {
            t.id != ticket.id
                && t.state == TicketState::Waiting
                && t.domain == ticket.domain
                && rank(t, now) < mine
        })
        .count()
}

/// 重呼: the count after one more recall, or why not.
pub fn recall(t: &Ticket) -> Result<u32, String> {
    if t.state != TicketState::Called {
        return Err(format!(
            "{} 号当前为“{}”，只有已叫号未到的才能重呼",
            t.number,
            t.state.label()
        ));
    }
    if t.recalls >= MAX_RECALLS {
        return Err(format!(
            "{} 号已重呼 {MAX_RECALLS} 次，请按过号处理",
            t.number
        ));
    }
    Ok(t.recalls + 1)
}

/// Where a transfer sends a ticket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "to")]
pub enum TransferTo {
    /// Another window; it keeps its domain.
    Window { window: u32 },
    /// Another domain, any window serving it.
    Domain { domain: String },
}

/// 转移: the ticket waits again, for another window or domain, with its original issue time
/// (so it is not sent to the back) and no recalls.
pub fn transfer(t: &Ticket, to: &TransferTo) -> Result<Ticket, String> {
    if !matches!(t.state, TicketState::Called | TicketState::Serving) {
        return Err(format!(
            "{} 号当前为“{}”，只有已叫号或办理中的才能转移",
            t.number,
            t.state.label()
        ));
    }
    let mut next = t.clone();
    next.state = TicketState::Waiting;
    next.recalls = 0;
    match to {
        TransferTo::Window { window } => next.window = Some(*window),
        TransferTo::Domain { domain } => {
            if domain == &t.domain {
                return Err("转移到的业务领域与原来相同".into());
            }
            next.domain = domain.clone();
            next.window = None;
        }
    }
    Ok(next)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t0() -> DateTime<Utc> {
        "2026-11-27T01:00:00Z".parse().unwrap()
    }

    fn ticket(number: &str, domain: &str, minutes: i64) -> Ticket {
        Ticket {
            id: format!("id-{number}"),
            number: number.into(),
            domain: domain.into(),
            priority: None,
            issued_at: t0() + Duration::minutes(minutes),
            appointment_at: None,
            state: TicketState::Waiting,
            window: None,
            recalls: 0,
        }
    }

    fn domains(d: &[&str]) -> Vec<String> {
        d.iter().map(|s| s.to_string()).collect()
    }

    fn next(q: &[Ticket], window: u32, d: &[&str], minutes: i64) -> Option<String> {
        pick_next(q, window, &domains(d), t0() + Duration::minutes(minutes))
            .map(|i| q[i].number.clone())
    }

    #[test]
    fn the_priority_lane_goes_first_then_the_oldest() {
        let mut q = vec![ticket("A001", "ZHSL", 0), ticket("A002", "ZHSL", 1)];
        let mut elder = ticket("A003", "ZHSL", 2);
        elder.priority = Some(Priority::Elderly);
        q.push(elder);
        assert_eq!(next(&q, 1, &["ZHSL"], 3).as_deref(), Some("A003"));
        q[2].state = TicketState::Called;
        assert_eq!(next(&q, 1, &["ZHSL"], 3).as_deref(), Some("A001"));
    }

    #[test]
    fn a_window_serving_two_domains_takes_the_oldest_of_both() {
        let q = vec![
            ticket("A001", "ZHSL", 0),
            ticket("A002", "ZHSL", 5),
            ticket("E001", "GAHZ", 2),
        ];
        let mut q2 = q.clone();
        let order: Vec<String> = (0..3)
            .map(|_| {
                let i = pick_next(
                    &q2,
                    1,
                    &domains(&["ZHSL", "GAHZ"]),
                    t0() + Duration::hours(1),
                )
                .unwrap();
                q2[i].state = TicketState::Called;
                q2[i].number.clone()
            })
            .collect();
        assert_eq!(order, ["A001", "E001", "A002"]);
        // A window that does not serve a domain never calls it.
        assert_eq!(next(&q, 3, &["SCJG"], 60), None);
    }

    #[test]
    fn appointments_join_the_lane_near_their_slot() {
        let mut appt = ticket("A010", "ZHSL", 30);
        appt.appointment_at = Some(t0() + Duration::minutes(60));
        let q = vec![ticket("A001", "ZHSL", 0), appt];
        assert_eq!(
            next(&q, 1, &["ZHSL"], 40).as_deref(),
            Some("A001"),
            "too early"
        );
        assert_eq!(
            next(&q, 1, &["ZHSL"], 50).as_deref(),
            Some("A010"),
            "10 minutes before"
        );
    }

    #[test]
    fn a_transfer_keeps_the_issue_time_and_goes_where_it_is_sent() {
        let mut called = ticket("A001", "ZHSL", 0);
        called.state = TicketState::Called;
        called.recalls = 2;
        let moved = transfer(
            &called,
            &TransferTo::Domain {
                domain: "GAHZ".into(),
            },
        )
        .unwrap();
        assert_eq!((moved.state, moved.recalls), (TicketState::Waiting, 0));
        assert_eq!(moved.issued_at, called.issued_at);
        let q = vec![ticket("E001", "GAHZ", 1), moved];
        assert_eq!(
            next(&q, 1, &["GAHZ"], 5).as_deref(),
            Some("A001"),
            "not to the back"
        );

        let to_window = transfer(&called, &TransferTo::Window { window: 4 }).unwrap();
        let q = vec![to_window];
        assert_eq!(next(&q, 1, &["ZHSL"], 5), None, "only window 4 calls it");
        assert_eq!(next(&q, 4, &["ZHSL"], 5).as_deref(), Some("A001"));
        assert!(
            transfer(
                &ticket("A002", "ZHSL", 0),
                &TransferTo::Window { window: 2 }
            )
            .is_err()
        );
        assert!(
            transfer(
                &called,
                &TransferTo::Domain {
                    domain: "ZHSL".into()
                }
            )
            .is_err()
        );
    }

    #[test]
    fn at_most_three_recalls() {
        let mut t = ticket("A001", "ZHSL", 0);
        assert!(recall(&t).is_err(), "not called yet");
        t.state = TicketState::Called;
        for n in 1..=MAX_RECALLS {
            assert_eq!(recall(&t), Ok(n));
            t.recalls = n;
        }
        assert!(recall(&t).unwrap_err().contains("过号"));
    }

    #[test]
    fn people_ahead_counts_the_domain_and_the_lane() {
        let mut elder = ticket("A003", "ZHSL", 2);
        elder.priority = Some(Priority::Military);
        let q = vec![
            ticket("A001", "ZHSL", 0),
            ticket("A002", "ZHSL", 1),
            elder.clone(),
            ticket("B001", "SCJG", 0),
        ];
        assert_eq!(people_ahead(&q, &q[1], t0()), 2, "A001 and the lane");
        assert_eq!(people_ahead(&q, &elder, t0()), 0);
    }

    #[test]
    fn age_opens_the_lane_and_numbers_read_aloud() {
        let today: NaiveDate = "2026-11-27".parse().unwrap();
        // 60 today opens the lane; 60 tomorrow does not yet.
        assert_eq!(
            priority_from_id("371082196611270015", today),
            Some(Priority::Elderly)
        );
        assert_eq!(priority_from_id("371082196611280010", today), None);
        assert_eq!(priority_from_id("371082199906080810", today), None);
        assert_eq!(ticket_number("A", 12), "A012");
        assert_eq!(ticket_number("B", 1234), "B1234");
        assert_eq!(priority_from_id("not a number", today), None);
    }
}
