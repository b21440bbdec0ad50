//! What the status bar shows of the machine: a cache that cannot be opened, a disk nearly
//! full (part of [`crate::dto::DeskStatus`]).

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::error::ErrorCode;

/// The cache could not be opened; the clerk can rebuild it from the hub.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct CacheProblem {
    pub code: ErrorCode,
    /// Chinese, for the clerk.
    pub message: String,
    /// The damaged file, kept where it is until a rebuild moves it aside.
    pub path: String,
}

/// Free space under the data folder, below the warning threshold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct LowDisk {
    /// Whole MB (MiB) still free.
    pub free_mb: u64,
    /// What it means and what to do, for the clerk.
    pub advice: String,
}
