//! 开放时间 of a centre (错时延时、周末不打烊): the regular weekday schedule (a lunch-time split
//! is two intervals), 午间错时 service over the split, 下班延时 on some days, weekend openings,
//! closures beyond the holiday calendar, and when tickets stop before closing. Published with
//! the centre's queue configuration; the kiosk issues tickets only while the centre takes them,
//! and a ticket outside the regular schedule is extended-hours service (延时错时服务).

use std::collections::BTreeMap;

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime, NaiveTime, Weekday};
use serde::{Deserialize, Serialize};

use crate::calendar::HolidayCalendar;

/// `["09:00", "12:00"]`: open from the first time until the second.
pub type Interval = [String; 2];

/// 下班延时: on these weekdays the day's last regular interval runs on until `until`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Late {
    pub days: Vec<String>,
    pub until: String,
}

/// 午间错时: on these weekdays the centre also serves during `interval` (the lunch split).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lunch {
    pub days: Vec<String>,
    pub interval: Interval,
}

/// A centre's opening hours. Weekdays are `mon` … `sun`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct Hours {
    /// The regular schedule of working days (a make-up Saturday works as a Monday when it has
    /// no entry of its own).
    pub weekly: BTreeMap<String, Vec<Interval>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lunch: Option<Lunch>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub late: Option<Late>,
    /// 周末不打烊: openings on weekend days that are not working days.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub weekend: BTreeMap<String, Vec<Interval>>,
    /// Dates the centre is closed beyond the holiday calendar.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub closures: Vec<NaiveDate>,
    /// Tickets stop this many minutes before each closing.
    #[serde(default)]
    pub last_ticket_minutes: u32,
}

/// One open stretch of a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Opening {
    pub from: NaiveTime,
    pub to: NaiveTime,
    /// Outside the regular schedule: 错时, 延时 or a weekend opening.
    pub extended: bool,
}

/// Whether the kiosk takes a ticket now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TicketWindow {
    /// Yes; `extended` when outside the regular schedule.
    Open { extended: bool },
    /// No; when it next does (`None`: not in the next 60 days).
    Closed { next: Option<NaiveDateTime> },
}

const DAYS: [(&str, Weekday, &str); 7] = [
    ("mon", Weekday::Mon, "周一"),
    ("tue", Weekday::Tue, "周二"),
    ("wed", Weekday::Wed, "周三"),
    ("thu", Weekday::Thu, "周四"),
    ("fri", Weekday::Fri, "周五"),
    ("sat", Weekday::Sat, "周六"),
    ("sun", Weekday::Sun, "周日"),
];

fn key(d: Weekday) -> &'static str {
    DAYS.iter().find(|x| x.1 == d).map_or("mon", |x| x.0)
}

/// 周一 … 周日.
pub fn weekday_zh(d: Weekday) -> &'static str {
    DAYS.iter().find(|x| x.1 == d).map_or("", |x| x.2)
}

fn time(s: &str) -> Option<NaiveTime> {
    NaiveTime::parse_from_str(s, "%H:%M").ok()
}

fn span(i: &Interval) -> Option<(NaiveTime, NaiveTime)> {
    let (a, b) = (time(&i[0])?, time(&i[1])?);
    (a < b).then_some((a, b))
}

impl Hours {
    /// Everything the types cannot say, in Chinese with where (`hours.weekly.mon[1]`).
    pub fn check(&self) -> Vec<String> {
        let mut issues = Vec::new();
        let intervals = |at: String, list: &[Interval], issues: &mut Vec<String>| {
            let mut spans: Vec<(NaiveTime, NaiveTime)> = Vec::new();
            for (i, iv) in list.iter().enumerate() {
                match span(iv) {
                    Some(s) => spans.push(s),
                    None => issues.push(format!(
                        "{at}[{i}]：时段应为 [\"HH:MM\", \"HH:MM\"] 且开始早于结束，实为 {iv:?}"
                    )),
                }
            }
            spans.sort();
            if spans.windows(2).any(|w| w[1].0 < w[0].1) {
                issues.push(format!("{at}：时段相互重叠"));
            }
        };
        let known = |d: &str| DAYS.iter().any(|x| x.0 == d);
        for (d, list) in &self.weekly {
            if !known(d) {
                issues.push(format!("hours.weekly.{d}：星期应为 mon … sun"));
            }
            intervals(format!("hours.weekly.{d}"), list, &mut issues);
        }
        for (d, list) in &self.weekend {
            if !matches!(d.as_str(), "sat" | "sun") {
                issues.push(format!("hours.weekend.{d}：周末开放只能是 sat 或 sun"));
            }
            intervals(format!("hours.weekend.{d}"), list, &mut issues);
        }
        if let Some(l) = &self.lunch {
            if span(&l.interval).is_none() {
                issues.push("hours.lunch.interval：午间错时时段无效".into());
            }
            if let Some(d) = l.days.iter().find(|d| !known(d)) {
                issues.push(format!("hours.lunch.days：星期 {d} 无效"));
            }
        }
        if let Some(l) = &self.late {
            if time(&l.until).is_none() {
                issues.push(format!(
                    "hours.late.until：时间应为 HH:MM，实为 {}",
                    l.until
                ));
            }
            if let Some(d) = l.days.iter().find(|d| !known(d)) {
                issues.push(format!("hours.late.days：星期 {d} 无效"));
            }
        }
        if self.last_ticket_minutes > 120 {
            issues.push("hours.last_ticket_minutes：停止取号提前量应在 120 分钟以内".into());
        }
        issues
    }

    /// The day's openings in time order: the regular schedule on working days (with 午间错时
    /// and 下班延时 where set), weekend openings on weekend days off, nothing on holidays and
    /// closures.
    pub fn openings(&self, date: NaiveDate, calendar: &HolidayCalendar) -> Vec<Opening> {
        if self.closures.contains(&date) {
            return vec![];
        }
        let wd = date.weekday();
        let mut out: Vec<Opening> = Vec::new();
        let spans = |list: Option<&Vec<Interval>>| -> Vec<(NaiveTime, NaiveTime)> {
            let mut v: Vec<_> = list.into_iter().flatten().filter_map(span).collect();
            v.sort();
            v
        };
        if calendar.is_working_day(date) {
            let regular = spans(self.weekly.get(key(wd)).or_else(|| {
                self.weekly
                    .get("mon")
                    .filter(|_| wd.number_from_monday() > 5)
            }));
            out.extend(regular.iter().map(|&(from, to)| Opening {
                from,
                to,
                extended: false,
            }));
            if let Some(l) = &self.lunch
                && l.days.iter().any(|d| d == key(wd))
                && let Some((from, to)) = span(&l.interval)
            {
                out.push(Opening {
                    from,
                    to,
                    extended: true,
                });
            }
            if let Some(l) = &self.late
                && l.days.iter().any(|d| d == key(wd))
                && let (Some(until), Some(last)) = (time(&l.until), regular.last())
                && until > last.1
            {
                out.push(Opening {
                    from: last.1,
                    to: until,
                    extended: true,
                });
            }
        } else if matches!(wd, Weekday::Sat | Weekday::Sun) {
            out.extend(
                spans(self.weekend.get(key(wd)))
                    .into_iter()
                    .map(|(from, to)| Opening {
                        from,
                        to,
                        extended: true,
                    }),
            );
        }
        out.sort_by_key(|o| (o.from, o.to));
        out
    }

    /// Whether a ticket may be taken at `at` (the hall's local time): inside an opening and not
    /// within `last_ticket_minutes` of its end (openings that run into each other count as one).
    pub fn ticket_window(&self, at: NaiveDateTime, calendar: &HolidayCalendar) -> TicketWindow {
        let stop = Duration::minutes(self.last_ticket_minutes as i64);
        let takes = |o: &[Opening], t: NaiveTime| -> Option<bool> {
            let i = o.iter().position(|x| x.from <= t && t < x.to)?;
            // The end of this stretch, following openings that continue it.
            let mut end = o[i].to;
            for x in &o[i + 1..] {
                if x.from <= end {
                    end = end.max(x.to);
                }
            }
            (t + stop < end || (stop.is_zero() && t < end)).then_some(o[i].extended)
        };
        let today = self.openings(at.date(), calendar);
        if let Some(extended) = takes(&today, at.time()) {
            return TicketWindow::Open { extended };
        }
        TicketWindow::Closed {
            next: self.next_opening(at, calendar),
        }
    }

    /// When tickets are next taken after `at`.
    pub fn next_opening(
        &self,
        at: NaiveDateTime,
        calendar: &HolidayCalendar,
    ) -> Option<NaiveDateTime> {
        (0..60).find_map(|n| {
            let date = at.date() + Duration::days(n);
            self.openings(date, calendar)
                .into_iter()
                .map(|o| date.and_time(o.from))
                .find(|t| *t > at)
        })
    }

    /// Whether `at` falls in an opening (appointments are booked only into open hours).
    pub fn is_open(&self, at: NaiveDateTime, calendar: &HolidayCalendar) -> bool {
        self.openings(at.date(), calendar)
            .iter()
            .any(|o| o.from <= at.time() && at.time() < o.to)
    }

    /// `09:00–12:00、13:30–17:00（延时 17:00–19:00）` for the display, or 今日不开放.
    pub fn day_text(&self, date: NaiveDate, calendar: &HolidayCalendar) -> String {
        let o = self.openings(date, calendar);
        if o.is_empty() {
            return "今日不开放".into();
        }
        o.iter()
            .map(|o| {
                let t = format!("{}–{}", o.from.format("%H:%M"), o.to.format("%H:%M"));
                if o.extended {
                    format!("{t}（延时错时）")
                } else {
                    t
                }
            })
            .collect::<Vec<_>>()
            .join("、")
    }
}

/// 12月7日（周一）09:00.
pub fn when_zh(t: NaiveDateTime) -> String {
    format!(
        "{}月{}日（{}）{}",
        t.month(),
        t.day(),
        weekday_zh(t.weekday()),
        t.format("%H:%M")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    pub(crate) fn hall() -> Hours {
        serde_json::from_str(
            r#"{
              "weekly": {
                "mon": [["09:00", "12:00"], ["13:30", "17:00"]],
                "tue": [["09:00", "12:00"], ["13:30", "17:00"]],
                "wed": [["09:00", "12:00"], ["13:30", "17:00"]],
                "thu": [["09:00", "12:00"], ["13:30", "17:00"]],
                "fri": [["09:00", "12:00"], ["13:30", "17:00"]]
              },
              "lunch": {"days": ["tue", "thu"], "interval": ["12:00", "13:30"]},
              "late": {"days": ["wed"], "until": "19:00"},
              "weekend": {"sat": [["09:00", "12:00"]]},
              "closures": ["2026-11-13"],
              "last_ticket_minutes": 30
            }"#,
        )
        .unwrap()
    }

    fn at(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
    }

    #[test]
    fn tickets_follow_the_schedule_the_split_the_late_days_and_weekends() {
        let h = hall();
        assert!(h.check().is_empty(), "{:?}", h.check());
        let cal = HolidayCalendar::default();
        let open = |s: &str| h.ticket_window(at(s), &cal);
        let regular = TicketWindow::Open { extended: false };
        let extended = TicketWindow::Open { extended: true };
        // Monday 2026-11-02: morning, the lunch split, the last half hour, the evening.
        assert_eq!(open("2026-11-02 09:00"), regular);
        assert_eq!(
            open("2026-11-02 12:30"),
            TicketWindow::Closed {
                next: Some(at("2026-11-02 13:30"))
            }
        );
        assert!(matches!(
            open("2026-11-02 16:45"),
            TicketWindow::Closed { .. }
        ));
        assert_eq!(
            open("2026-11-02 19:30"),
            TicketWindow::Closed {
                next: Some(at("2026-11-03 09:00"))
            }
        );
        // Tuesday's 错时 lunch: the morning runs into it, so 11:45 still takes tickets.
        assert_eq!(open("2026-11-03 11:45"), regular);
        assert_eq!(open("2026-11-03 12:30"), extended);
        // Wednesday's 延时 until 19:00.
        assert_eq!(open("2026-11-04 18:00"), extended);
        assert!(matches!(
            open("2026-11-04 18:45"),
            TicketWindow::Closed { .. }
        ));
        // Saturday opens, Sunday does not; a closure is closed.
        assert_eq!(open("2026-11-07 10:00"), extended);
        assert_eq!(
            open("2026-11-08 10:00"),
            TicketWindow::Closed {
                next: Some(at("2026-11-09 09:00"))
            }
        );
        assert!(matches!(
            open("2026-11-13 10:00"),
            TicketWindow::Closed { .. }
        ));
        assert!(h.is_open(at("2026-11-03 12:30"), &cal));
        assert!(!h.is_open(at("2026-11-02 12:30"), &cal));
        assert_eq!(
            h.day_text(at("2026-11-04 08:00").date(), &cal),
            "09:00–12:00、13:30–17:00、17:00–19:00（延时错时）"
        );
        assert_eq!(when_zh(at("2026-11-09 09:00")), "11月9日（周一）09:00");
    }

    #[test]
    fn holidays_close_and_make_up_days_open_and_bad_hours_are_named() {
        let year: crate::calendar::YearCalendar = serde_json::from_value(serde_json::json!({
            "holidays": ["2026-10-01"], "makeup_workdays": ["2026-10-10"], "source": "test",
            "periods": []
        }))
        .unwrap();
        let cal = HolidayCalendar::new([(2026, year)].into());
        let h = hall();
        assert!(h.openings("2026-10-01".parse().unwrap(), &cal).is_empty());
        // A make-up Saturday works the regular (Monday's) schedule, not the weekend opening.
        let sat = h.openings("2026-10-10".parse().unwrap(), &cal);
        assert_eq!(sat.len(), 2);
        assert!(sat.iter().all(|o| !o.extended));
        let bad: Hours = serde_json::from_str(
            r#"{"weekly": {"mon": [["12:00", "09:00"]], "fri": [["09:00","12:00"],["11:00","13:00"]], "xyz": []},
                "weekend": {"tue": [["09:00","10:00"]]}, "late": {"days": ["wed"], "until": "7pm"},
                "last_ticket_minutes": 500}"#,
        )
        .unwrap();
        let issues = bad.check().join("\n");
        for want in [
            "weekly.mon[0]",
            "weekly.fri：时段相互重叠",
            "weekly.xyz",
            "weekend.tue",
            "late.until",
            "last_ticket_minutes",
        ] {
            assert!(issues.contains(want), "{want}: {issues}");
        }
    }
}
