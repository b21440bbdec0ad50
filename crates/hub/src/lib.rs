//! `onewindow-hub`: the upstream server. For now it publishes the service catalog and the
//! holiday calendar as change streams that desks pull.

pub mod apt;
pub mod auth;
pub mod cli;
pub mod cli_audit;
pub mod cli_backup;
pub mod cli_centre;
pub mod cli_kiosk;
pub mod cli_migrate;
pub mod cli_provision;
pub mod clock;
pub mod compat;
pub mod config;
pub mod due;
pub mod error;
pub mod figures;
pub mod hall;
pub mod import;
pub mod logging;
pub mod metrics;
pub mod notices;
pub mod office;
pub mod office_audit;
pub mod office_centre;
pub mod pages;
pub mod ratings;
pub mod refusals;
pub mod server;
pub mod server_queue;
pub mod state;
pub mod tidal;
pub mod tls;
pub mod unresolved;
pub mod web;
pub mod xlsx;

// The store is its own crate (crates/hub-store); its modules keep their paths here.
pub use onewindow_hub_store::{
    pool, secret, store, store_appointment, store_audit, store_blob, store_centre, store_desk,
    store_figures, store_guard, store_hours, store_keys, store_kiosk, store_office, store_offline,
    store_queue, store_rating, store_refusal, store_sync, store_tidal, store_unresolved,
};
