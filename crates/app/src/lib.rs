//! The desk application without its window: services the UI calls, the DTOs that cross IPC,
//! logging, printing, the hot folder, and the background sync loop. `src-tauri` only registers
//! these.

pub mod access;
pub mod applicant_screen;
pub mod audit;
pub mod cache_key;
pub mod caret;
pub mod commands;
pub mod desk;
pub mod dto;
pub mod error;
mod guide;
pub mod hall;
pub mod identity;
pub mod launch;
mod locks;
pub mod logs;
pub mod print;
pub mod queue;
pub mod window;

pub use desk::{Desk, DeskConfig};
