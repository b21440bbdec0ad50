//! The one clock of a desk or a hub: the only place OneWindow reads the system's time. A
//! service takes a [`Clock`] when it is made and asks it for the time; nothing else calls
//! `Utc::now()` (a tidy test holds every crate to it).
//!
//! `--now 2026-11-27T09:00:00+08:00` (tests, training) starts the clock at that instant, and it
//! runs on from there at the system clock's pace. Clones share one setting, so a test that
//! moves a desk's clock (a day on, say) moves it for every service of that desk at once.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, NaiveTime, TimeZone, Utc};

/// China Standard Time, where a hall's calendar day is read.
const CHINA_SECONDS: i32 = 8 * 3600;

#[derive(Debug, Clone)]
pub struct Clock {
    /// Microseconds added to the system clock; shared by the clones.
    offset_us: Arc<AtomicI64>,
}

impl Clock {
    /// The system clock.
    pub fn system() -> Clock {
        Clock {
            offset_us: Arc::new(AtomicI64::new(0)),
        }
    }

    /// A clock that reads `at` now and runs on from there.
    pub fn starting_at(at: DateTime<Utc>) -> Clock {
        let c = Clock::system();
        c.set(at);
        c
    }

    /// A training day: the clock reads 09:00 China time of `day` now and runs on.
    pub fn starting_on(day: NaiveDate) -> Clock {
        Clock::starting_at(opening_of(day))
    }

    pub fn now(&self) -> DateTime<Utc> {
        Utc::now() + Duration::microseconds(self.offset_us.load(Ordering::Relaxed))
    }

    /// The calendar day in China now (a hall's day).
    pub fn today(&self) -> NaiveDate {
        self.now().with_timezone(&china()).date_naive()
    }

    /// From now on the clock reads `at` (and every clone with it).
    pub fn set(&self, at: DateTime<Utc>) {
        let offset = (at - Utc::now()).num_microseconds().unwrap_or(0);
        self.offset_us.store(offset, Ordering::Relaxed);
    }

    /// Moves the clock (and every clone) on by `by`.
    pub fn advance(&self, by: Duration) {
        self.offset_us
            .fetch_add(by.num_microseconds().unwrap_or(0), Ordering::Relaxed);
    }

    /// Whether this reads the system's time (not one started with `--now` or moved).
    pub fn is_system(&self) -> bool {
        self.offset_us.load(Ordering::Relaxed) == 0
    }
}

fn china() -> FixedOffset {
    FixedOffset::east_opt(CHINA_SECONDS).expect("UTC+8")
}

/// 09:00 China time on `day`.
pub fn opening_of(day: NaiveDate) -> DateTime<Utc> {
    china()
        .from_local_datetime(&day.and_time(NaiveTime::from_hms_opt(9, 0, 0).expect("09:00")))
        .single()
        .expect("China time has no gaps")
        .to_utc()
}

/// The last instant of `day` in China (23:59:59.999999 China time).
pub fn end_of_day(day: NaiveDate) -> DateTime<Utc> {
    let next = day.succ_opt().unwrap_or(day);
    china()
        .from_local_datetime(&next.and_time(NaiveTime::MIN))
        .single()
        .expect("China time has no gaps")
        .to_utc()
        - Duration::microseconds(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_clock_started_at_an_instant_reads_it_and_runs_on() {
        let at: DateTime<Utc> = "2026-11-27T01:00:00Z".parse().unwrap();
        let c = Clock::starting_at(at);
        let first = c.now();
        assert!(first >= at && first - at < Duration::seconds(5), "{first}");
        std::thread::sleep(std::time::Duration::from_millis(20));
        assert!(c.now() > first);
        assert!(!c.is_system());
        let sys = Clock::system();
        assert!(sys.is_system());
        assert!((sys.now() - Utc::now()).num_seconds().abs() < 5);
    }

    #[test]
    fn clones_move_together() {
        let c = Clock::starting_on("2026-11-27".parse().unwrap());
        let other = c.clone();
        assert_eq!(other.today().to_string(), "2026-11-27");
        c.advance(Duration::days(1));
        assert_eq!(other.today().to_string(), "2026-11-28");
        other.set("2026-12-31T16:30:00Z".parse().unwrap());
        assert_eq!(c.today().to_string(), "2027-01-01", "00:30 in China");
    }

    #[test]
    fn a_training_day_opens_at_nine_and_ends_at_midnight_china_time() {
        let day: NaiveDate = "2026-11-27".parse().unwrap();
        assert_eq!(opening_of(day).to_rfc3339(), "2026-11-27T01:00:00+00:00");
        assert_eq!(
            end_of_day(day).to_rfc3339(),
            "2026-11-27T15:59:59.999999+00:00"
        );
    }
}
