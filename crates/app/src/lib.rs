//! The desk application without its window: the desk's services (a façade, [`Desk`], over
//! the cache, catalog, session, intake, queue, cases, sync loops and screens), the DTOs that
//! cross IPC, the command table, logging and printing. `src-tauri` only registers these.

mod cache;
pub mod cache_key;
pub mod caret;
mod cases;
mod catalog;
pub mod commands;
pub mod desk;
pub mod dto;
pub mod dto_status;
pub mod dto_supervisor;
pub mod error;
pub mod instance;
mod intake;
pub mod launch;
mod locks;
pub mod logs;
pub mod machine;
pub mod print;
mod queue;
pub mod release;
mod screens;
mod session;
mod sync_loops;
pub mod system_apt;

pub use cache::LOW_DISK_MB;
pub use cases::{DEFERRED_DUE_WORKING_DAYS, PLEDGE_CHECK_WORKING_DAYS, query_code};
pub use desk::{Desk, DeskConfig};
pub use screens::STATUS_LOOK;
pub use session::{KEYRING_SERVICE, access, audit, load_token};
pub use sync_loops::{RESULTS_POLL, RESULTS_WAIT_S};
