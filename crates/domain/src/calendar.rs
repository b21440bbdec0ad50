//! The working-day calendar: official holidays and make-up working days (调休) per year.
//! For a year nobody has published, working days are Monday–Friday and callers are told so.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{Datelike, NaiveDate, Weekday};
use serde::{Deserialize, Serialize};

use crate::catalog::ImportIssue;

/// One year's published arrangement.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct YearCalendar {
    pub holidays: BTreeSet<NaiveDate>,
    pub makeup_workdays: BTreeSet<NaiveDate>,
    #[serde(default)]
    pub source: String,
    #[serde(default)]
    pub periods: Vec<HolidayPeriod>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HolidayPeriod {
    pub name: String,
    pub start: NaiveDate,
    pub end: NaiveDate,
    pub days: u32,
    #[serde(default)]
    pub makeup_workdays: Vec<NaiveDate>,
}

/// Whether a working-day count used only published years.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CalendarBasis {
    /// Every year touched has an official arrangement.
    Published,
    /// At least one year touched was counted Monday–Friday (say so on the receipt).
    WeekdaysOnly,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HolidayCalendar {
    years: BTreeMap<i32, YearCalendar>,
}

impl HolidayCalendar {
    pub fn new(years: BTreeMap<i32, YearCalendar>) -> Self {
        Self { years }
    }

    pub fn years(&self) -> &BTreeMap<i32, YearCalendar> {
        &self.years
    }

    pub fn is_published(&self, year: i32) -> bool {
        self.years.contains_key(&year)
    }

    pub fn is_working_day(&self, date: NaiveDate) -> bool {
        let weekend = matches!(date.weekday(), Weekday::Sat | Weekday::Sun);
        match self.years.get(&date.year()) {
            Some(y) if y.holidays.contains(&date) => false,
            Some(y) if y.makeup_workdays.contains(&date) => true,
            _ => !weekend,
        }
    }

    /// The date `n` working days after `start` (the day itself not counted); `n = 0` is `start`.
    pub fn add_working_days(&self, start: NaiveDate, n: u32) -> (NaiveDate, CalendarBasis) {
        let mut basis = if self.is_published(start.year()) {
            CalendarBasis::Published
        } else {
            CalendarBasis::WeekdaysOnly
        };
        let mut date = start;
        let mut left = n;
        while left > 0 {
            date = date.succ_opt().expect("date within chrono's range");
            if !self.is_published(date.year()) {
                basis = CalendarBasis::WeekdaysOnly;
            }
            if self.is_working_day(date) {
                left -= 1;
            }
        }
        (date, basis)
    }

    /// Working days after `from` up to and including `to` (0 when `to` is not after `from`):
    /// the days a promised-date clock started on `from` has used by the end of `to`.
    pub fn working_days_used(&self, from: NaiveDate, to: NaiveDate) -> u32 {
        from.iter_days()
            .skip(1)
            .take_while(|d| *d <= to)
            .filter(|d| self.is_working_day(*d))
            .count() as u32
    }

    /// Parses the `holidays.json` shape: `{"2026": {holidays, makeup_workdays, source, periods}}`.
    pub fn from_json_str(text: &str) -> Result<BTreeMap<i32, YearCalendar>, Vec<ImportIssue>> {
        let top: BTreeMap<String, serde_json::Value> = serde_json::from_str(text).map_err(|e| {
            vec![ImportIssue {
                sheet: "json".into(),
                row: Some(e.line() as u32),
                column: Some(format!("第{}列", e.column())),
                reason: format!("节假日文件不是有效的 JSON 对象: {e}"),
            }]
        })?;
        let mut issues = Vec::new();
        let mut years = BTreeMap::new();
        for (key, value) in top {
            let issue = |column: Option<String>, reason: String| ImportIssue {
                sheet: key.clone(),
                row: None,
                column,
                reason,
            };
            let Ok(year) = key.parse::<i32>() else {
                issues.push(issue(None, format!("年份 {key:?} 不是四位数字")));
                continue;
            };
            if !(2000..=2100).contains(&year) {
                issues.push(issue(None, format!("年份 {year} 超出 2000–2100")));
                continue;
            }
            match serde_path_to_error::deserialize::<_, YearCalendar>(value) {
                Err(e) => issues.push(issue(Some(e.path().to_string()), e.inner().to_string())),
                Ok(cal) => {
                    for d in cal.holidays.iter().chain(&cal.makeup_workdays) {
                        if d.year() != year {
                            issues.push(issue(None, format!("日期 {d} 不属于 {year} 年")));
                        }
                    }
                    for d in cal.holidays.intersection(&cal.makeup_workdays) {
                        issues.push(issue(None, format!("日期 {d} 同时是假日和调休工作日")));
                    }
                    years.insert(year, cal);
                }
            }
        }
        if years.is_empty() && issues.is_empty() {
            issues.push(ImportIssue {
                sheet: "json".into(),
                row: None,
                column: None,
                reason: "节假日文件中没有任何年份".into(),
            });
        }
        if issues.is_empty() {
            Ok(years)
        } else {
            Err(issues)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn cal() -> HolidayCalendar {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../demo/holidays.json"
        ))
        .unwrap();
        HolidayCalendar::new(HolidayCalendar::from_json_str(&text).unwrap())
    }

    #[test]
    fn spring_festival_and_makeup_days() {
        let c = cal();
        assert!(!c.is_working_day(d("2026-02-16")), "春节 holiday");
        assert!(
            c.is_working_day(d("2026-02-14")),
            "Saturday make-up workday"
        );
        assert!(
            !c.is_working_day(d("2026-02-15")),
            "Sunday inside the break"
        );
        assert!(c.is_working_day(d("2026-02-24")));
        // Friday 2026-02-13 + 1 working day = Saturday 02-14 (调休), + 2 = Tuesday 02-24.
        assert_eq!(
            c.add_working_days(d("2026-02-13"), 1),
            (d("2026-02-14"), CalendarBasis::Published)
        );
        assert_eq!(
            c.add_working_days(d("2026-02-13"), 2),
            (d("2026-02-24"), CalendarBasis::Published)
        );
    }

    #[test]
    fn unpublished_year_counts_weekdays_and_says_so() {
        let c = cal();
        // 2026-12-31 is a Thursday; 2027 is not published.
        assert_eq!(
            c.add_working_days(d("2026-12-31"), 2),
            (d("2027-01-04"), CalendarBasis::WeekdaysOnly)
        );
        assert_eq!(
            c.add_working_days(d("2026-12-28"), 0),
            (d("2026-12-28"), CalendarBasis::Published)
        );
    }

    #[test]
    fn bad_calendar_reports_each_year() {
        let issues = HolidayCalendar::from_json_str(
            r#"{"2026": {"holidays": ["2025-01-01"], "makeup_workdays": []},
                "20x7": {"holidays": [], "makeup_workdays": []},
                "2028": {"holidays": ["2028-13-01"], "makeup_workdays": []}}"#,
        )
        .unwrap_err();
        let text: Vec<String> = issues.iter().map(|i| i.to_string()).collect();
        assert_eq!(
            text,
            vec![
                "2026: 日期 2025-01-01 不属于 2026 年".to_string(),
                format!("2028 [holidays[0]]: {}", issues[1].reason),
                "20x7: 年份 \"20x7\" 不是四位数字".to_string(),
            ]
        );
        assert!(
            issues[1].reason.contains("input is out of range"),
            "{:?}",
            issues[1]
        );
    }

    #[test]
    fn a_return_stops_the_clock_and_a_resubmission_restarts_it_with_the_days_left() {
        // 暂停计时, the issue's example: 5 working days, no holidays.
        let cal = HolidayCalendar::default();
        let d = |s: &str| s.parse::<NaiveDate>().unwrap();
        let accepted = d("2026-11-02");
        assert_eq!(cal.add_working_days(accepted, 5).0, d("2026-11-09"));
        let used = cal.working_days_used(accepted, d("2026-11-05"));
        assert_eq!(used, 3, "Tuesday to Thursday");
        assert_eq!(
            cal.add_working_days(d("2026-11-09"), 5 - used).0,
            d("2026-11-11")
        );
        assert_eq!(
            cal.working_days_used(accepted, accepted),
            0,
            "returned the same day"
        );
        assert_eq!(
            cal.working_days_used(d("2026-11-06"), d("2026-11-09")),
            1,
            "a weekend between"
        );
    }
}
