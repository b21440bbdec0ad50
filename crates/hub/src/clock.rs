//! The hub's one clock: handlers, background tasks and the commands read the time here, never
//! from the system directly. `onewindow-hub serve --now 2026-11-27T09:00:00+08:00` (tests,
//! training) starts it at that instant. The desk uses the same clock.

pub use onewindow_domain::clock::Clock;
