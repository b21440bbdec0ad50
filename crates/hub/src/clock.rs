//! The hub's one clock. Handlers, background tasks and the commands read the time here, never
//! from the system directly: `onewindow-hub serve --now 2026-11-27T09:00:00+08:00` (tests,
//! training) starts the hub's time at that instant, as the desk's `--today` does, and it runs
//! on from there at the system clock's pace.

use chrono::{DateTime, Duration, Utc};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Clock {
    /// Added to the system clock.
    offset: Duration,
}

impl Clock {
    /// The system clock.
    pub fn system() -> Clock {
        Clock {
            offset: Duration::zero(),
        }
    }

    /// A clock that reads `at` now and runs on from there.
    pub fn starting_at(at: DateTime<Utc>) -> Clock {
        Clock {
            offset: at - Utc::now(),
        }
    }

    pub fn now(&self) -> DateTime<Utc> {
        Utc::now() + self.offset
    }

    /// Whether this is the system clock (not one started with `--now`).
    pub fn is_system(&self) -> bool {
        self.offset.is_zero()
    }
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
}
