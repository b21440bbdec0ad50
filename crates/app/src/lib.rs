//! The desk application without its window: services the UI calls, the DTOs that cross IPC,
//! logging, and the background sync loop. `src-tauri` only registers these.

pub mod desk;
pub mod dto;
pub mod launch;
pub mod logs;

pub use desk::{Desk, DeskConfig};
