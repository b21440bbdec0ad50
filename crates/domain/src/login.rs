//! Sign-in rules shared by the desk and the hub: five failed passwords in a row lock the name
//! for 15 minutes (the password is not even checked while locked); a desk keeps an Argon2id
//! verifier of each clerk's last good sign-in so they can sign in offline for 30 days (an
//! administrator's setting); the password is still asked every time.

use chrono::{DateTime, Datelike, Duration, FixedOffset, NaiveDate, Utc};

/// Failed passwords in a row that lock a name.
pub const MAX_FAILURES: u32 = 5;
/// How long a locked name stays locked.
pub const LOCK_MINUTES: i64 = 15;
/// How long after the last sign-in checked by the hub a desk still signs the clerk in offline.
pub const OFFLINE_LOGIN_DAYS: u32 = 30;
/// The screen locks after this long without a key or a click (configurable).
pub const IDLE_LOCK_MINUTES: u32 = 10;

/// A name's failed sign-ins.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Attempts {
    /// Failures in a row since the last success or lock.
    pub failures: u32,
    pub locked_until: Option<DateTime<Utc>>,
}

impl Attempts {
    /// Until when the name is locked, if it is at `now`.
    pub fn locked(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.locked_until.filter(|until| *until > now)
    }

    /// One more wrong password at `now`: the fifth in a row locks the name.
    pub fn failed(self, now: DateTime<Utc>) -> Attempts {
        let failures = if self.locked_until.is_some_and(|u| u <= now) {
            1
        } else {
            self.failures + 1
        };
        if failures >= MAX_FAILURES {
            Attempts {
                failures: 0,
                locked_until: Some(now + Duration::minutes(LOCK_MINUTES)),
            }
        } else {
            Attempts {
                failures,
                locked_until: None,
            }
        }
    }

    /// Tries left before the lock.
    pub fn left(&self) -> u32 {
        MAX_FAILURES.saturating_sub(self.failures)
    }
}

/// What the user reads when their address tried too often: the time to try again.
pub fn throttled_message(until: DateTime<Utc>) -> String {
    format!(
        "尝试次数过多，请于 {} 后再试",
        until
            .with_timezone(&FixedOffset::east_opt(8 * 3600).expect("UTC+8"))
            .format("%H:%M:%S")
    )
}

/// What the clerk reads when a name is locked.
pub fn locked_message(until: DateTime<Utc>) -> String {
    format!(
        "密码连续输错 {MAX_FAILURES} 次，该用户已锁定，请于 {} 后再试",
        until
            .with_timezone(&FixedOffset::east_opt(8 * 3600).expect("UTC+8"))
            .format("%H:%M")
    )
}

/// What the clerk reads after a wrong password.
pub fn wrong_password_message(after: &Attempts) -> String {
    match after.locked_until {
        Some(until) => locked_message(until),
        None => format!(
            "用户名或密码不正确（再错 {} 次将锁定 {LOCK_MINUTES} 分钟）",
            after.left()
        ),
    }
}

/// The sign-in screen names the last day of a clerk's offline sign-in from this many days
/// before it.
pub const OFFLINE_LOGIN_WARN_DAYS: u32 = 7;

/// The last day a verifier checked by the hub at `verified_at` signs in offline: the whole
/// `days`-th calendar day (China time) after that day, as a clerk reads "30 days". `None`
/// when offline sign-in is switched off (`days` = 0).
pub fn offline_login_last_day(verified_at: DateTime<Utc>, days: u32) -> Option<NaiveDate> {
    (days > 0).then(|| crate::ticket::hall_day(verified_at) + Duration::days(days as i64))
}

/// Whether a verifier checked by the hub at `verified_at` still signs in offline at `now`.
pub fn offline_login_valid(verified_at: DateTime<Utc>, days: u32, now: DateTime<Utc>) -> bool {
    offline_login_last_day(verified_at, days)
        .is_some_and(|last| now <= crate::clock::end_of_day(last))
}

/// Whether the sign-in screen names the last day at `now`: from a week before it, until it
/// has passed.
pub fn offline_login_ending(last_day: NaiveDate, now: DateTime<Utc>) -> Option<u32> {
    let today = crate::ticket::hall_day(now);
    let left = (last_day - today).num_days();
    (0..=OFFLINE_LOGIN_WARN_DAYS as i64)
        .contains(&left)
        .then_some(left as u32)
}

/// `12月26日`.
pub fn day_label(day: NaiveDate) -> String {
    format!("{}月{}日", day.month(), day.day())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn five_wrong_passwords_lock_for_fifteen_minutes() {
        let t0: DateTime<Utc> = "2026-11-27T02:00:00Z".parse().unwrap();
        let mut a = Attempts::default();
        for n in 1..=4 {
            a = a.failed(t0);
            assert_eq!((a.failures, a.locked(t0)), (n, None));
        }
        assert!(wrong_password_message(&a).contains("再错 1 次"));
        a = a.failed(t0);
        let until = t0 + Duration::minutes(15);
        assert_eq!(a.locked(t0), Some(until));
        assert_eq!(a.locked(until), None, "open again after 15 minutes");
        assert!(wrong_password_message(&a).contains("已锁定，请于 10:15 后再试"));
        // After the lock a wrong password counts from one again.
        assert_eq!(a.failed(until).failures, 1);
    }

    #[test]
    fn offline_sign_in_lasts_to_the_end_of_the_thirtieth_calendar_day() {
        // Checked at 10:30 on 1 December (China): good through the whole of 31 December.
        let t0: DateTime<Utc> = "2026-12-01T02:30:00Z".parse().unwrap();
        let last = offline_login_last_day(t0, 30).unwrap();
        assert_eq!(last.to_string(), "2026-12-31");
        assert_eq!(day_label(last), "12月31日");
        let late_on_day_30: DateTime<Utc> = "2026-12-31T15:59:00Z".parse().unwrap();
        assert!(
            offline_login_valid(t0, 30, late_on_day_30),
            "23:59 on day 30"
        );
        let next_morning: DateTime<Utc> = "2026-12-31T16:00:00Z".parse().unwrap();
        assert!(
            !offline_login_valid(t0, 30, next_morning),
            "00:00 on day 31"
        );
        assert_eq!(offline_login_last_day(t0, 0), None);
        assert!(!offline_login_valid(t0, 0, t0));
        // Named from a week before the last day, until the day has passed.
        let at = |s: &str| s.parse::<DateTime<Utc>>().unwrap();
        assert_eq!(offline_login_ending(last, at("2026-12-23T15:00:00Z")), None);
        assert_eq!(
            offline_login_ending(last, at("2026-12-24T01:00:00Z")),
            Some(7)
        );
        assert_eq!(
            offline_login_ending(last, at("2026-12-31T01:00:00Z")),
            Some(0)
        );
        assert_eq!(offline_login_ending(last, next_morning), None);
    }
}
