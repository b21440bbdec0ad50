//! `onewindow-hub`: the upstream server. For now it publishes the service catalog and the
//! holiday calendar as change streams that desks pull.

pub mod auth;
pub mod cli;
pub mod cli_audit;
pub mod clock;
pub mod error;
pub mod figures;
pub mod hall;
pub mod import;
pub mod office;
pub mod pages;
pub mod ratings;
pub mod secret;
pub mod server;
pub mod state;
pub mod store;
pub mod store_appointment;
pub mod store_audit;
pub mod store_blob;
pub mod store_desk;
pub mod store_figures;
pub mod store_guard;
pub mod store_keys;
pub mod store_kiosk;
pub mod store_office;
pub mod store_offline;
pub mod store_queue;
pub mod store_rating;
pub mod store_sync;
pub mod store_tidal;
pub mod tidal;
pub mod tls;
pub mod web;
pub mod xlsx;
