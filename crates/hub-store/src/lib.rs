//! `onewindow-hub-store`: the hub's store, the only hub code that knows SQL. One module per
//! aggregate (`store_queue` for tickets and calls, `store_office` for users, sessions and
//! decisions, …) around one [`store::HubStore`] whose connection is private to this crate: the
//! hub's routes and pages call its methods and never see a statement.

pub mod db;
pub mod migrate_to;
pub mod pool;
pub mod secret;
pub mod store;
pub mod store_appointment;
pub mod store_audit;
pub mod store_backup;
pub mod store_blob;
pub mod store_centre;
pub mod store_desk;
pub mod store_figures;
pub mod store_guard;
pub mod store_hours;
pub mod store_keys;
pub mod store_kiosk;
pub mod store_office;
pub mod store_offline;
pub mod store_queue;
pub mod store_rating;
pub mod store_refusal;
pub mod store_sync;
pub mod store_tidal;
pub mod store_unresolved;
