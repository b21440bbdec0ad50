//! What a supervisor signed in at a desk sees on the status bar (crosses IPC inside
//! `DeskStatus`): the centre's deadlines and its refusal requests.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// A refusal request of the centre, for a supervisor at any of its desks.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct RefusalRequestView {
    pub number: String,
    pub item_name: String,
    pub applicant_masked: String,
    pub reason: String,
    pub basis: String,
    pub by: String,
    pub desk_name: String,
}

/// 到期预警 on a supervisor's status bar.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct DueView {
    pub overdue: u32,
    pub soon: u32,
    pub cases: Vec<DueCaseView>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct DueCaseView {
    pub number: String,
    pub item_name: String,
    pub desk_name: String,
    pub promised_date: String,
    pub overdue: bool,
}
