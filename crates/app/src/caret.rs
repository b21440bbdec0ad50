//! The text caret rests after a quiet spell, as GTK's own text fields do: GTK stops blinking
//! after `gtk-cursor-blink-timeout` seconds without input, but WebKitGTK does not follow that
//! setting. The search box has the focus all day, and each blink repaints the page and runs
//! WebKit's frame clock for a few frames: about 1% of a core on an idle desk, more than
//! everything else it does together. The shell (src-tauri) applies what this decides to the
//! toolkit: a resting caret is drawn solid, and the next key or click makes it blink again.

use std::time::{Duration, Instant};

/// Quiet time before the caret rests (GTK's default `gtk-cursor-blink-timeout`).
pub const CARET_REST_AFTER: Duration = Duration::from_secs(10);

/// When the caret blinks and when it rests, from the clerk's keys and clicks.
#[derive(Debug)]
pub struct CaretRest {
    after: Duration,
    last_input: Instant,
    resting: bool,
}

/// What the shell should do after [`CaretRest::check`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Check {
    /// Stop the blinking now.
    Rest,
    /// Look again after this long.
    Again(Duration),
    /// Already resting: nothing to look at until the next input.
    Idle,
}

impl CaretRest {
    /// Starts blinking at `now` (the window just opened with the search box focused).
    pub fn new(after: Duration, now: Instant) -> Self {
        CaretRest {
            after,
            last_input: now,
            resting: false,
        }
    }

    /// A key or a click at `now`. True when the caret was resting: the shell makes it blink
    /// again and schedules a [`check`](Self::check) after [`after`](Self::after).
    pub fn input(&mut self, now: Instant) -> bool {
        self.last_input = now;
        std::mem::replace(&mut self.resting, false)
    }

    /// The timer the shell scheduled has fired at `now`.
    pub fn check(&mut self, now: Instant) -> Check {
        if self.resting {
            return Check::Idle;
        }
        let quiet = now.saturating_duration_since(self.last_input);
        if quiet >= self.after {
            self.resting = true;
            Check::Rest
        } else {
            Check::Again(self.after - quiet)
        }
    }

    pub fn after(&self) -> Duration {
        self.after
    }

    pub fn resting(&self) -> bool {
        self.resting
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const S: Duration = Duration::from_secs(1);

    #[test]
    fn rests_after_a_quiet_spell_and_blinks_again_on_input() {
        let t0 = Instant::now();
        let mut c = CaretRest::new(10 * S, t0);
        assert_eq!(c.check(t0 + 10 * S), Check::Rest);
        assert!(c.resting());
        assert_eq!(
            c.check(t0 + 20 * S),
            Check::Idle,
            "one rest, no timer while resting"
        );
        assert!(
            c.input(t0 + 30 * S),
            "the first key after a rest wakes the caret"
        );
        assert!(!c.input(t0 + 31 * S), "later keys change nothing");
        assert_eq!(
            c.check(t0 + 40 * S),
            Check::Again(S),
            "counted from the last key"
        );
        assert_eq!(c.check(t0 + 41 * S), Check::Rest);
    }

    #[test]
    fn input_before_the_check_pushes_the_rest_back() {
        let t0 = Instant::now();
        let mut c = CaretRest::new(10 * S, t0);
        assert!(!c.input(t0 + 7 * S));
        assert_eq!(c.check(t0 + 10 * S), Check::Again(7 * S));
        assert!(!c.resting());
        assert_eq!(c.check(t0 + 17 * S), Check::Rest);
    }
}
