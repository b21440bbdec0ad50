//! Wire types of the desk ↔ hub protocol. Both sides use these and nothing else on the wire.
//!
//! Pull streams (catalog, calendar) are change logs read with a cursor: the desk asks for
//! changes after the cursor it has, stores them with the new cursor in one transaction, and
//! asks again while `has_more`. A page may end inside a published version; `checkpoint` says
//! whether it ends on a version boundary, so the desk applies whole versions only.

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

/// Bumped when a wire type changes incompatibly; the hub keeps accepting older versions.
pub const PROTOCOL_VERSION: u32 = 1;

/// Paths of the hub's HTTP API.
pub mod paths {
    pub const HEALTHZ: &str = "/healthz";
    pub const CATALOG_CHANGES: &str = "/v1/catalog/changes";
    pub const CALENDAR_CHANGES: &str = "/v1/calendar/changes";
    /// `/v1/elicences/{holder}`: one holder's e-licences.
    pub const ELICENCES: &str = "/v1/elicences";
}

/// `GET /v1/elicences/{holder}`: the holder's licences from the hub's registry; empty when the
/// registry has none. Looked up per applicant while online; never the whole registry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ELicences {
    pub holder: String,
    pub licences: Vec<onewindow_domain::elicence::LicenceRecord>,
}

/// `GET /healthz`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Health {
    pub status: String,
    pub protocol: u32,
}

/// Query of a change stream: `?cursor=N&limit=M`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangesQuery {
    #[serde(default)]
    pub cursor: i64,
    #[serde(default)]
    pub limit: Option<u32>,
}

/// What a catalog change is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CatalogEntity {
    Domain,
    Item,
    Bundle,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeOp {
    Upsert,
    Remove,
}

/// A published catalog version, as the status bar shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatalogVersion {
    /// Increases by one with each import on the hub.
    pub id: i64,
    /// The `version` field of the imported file.
    pub label: String,
    /// RFC 3339.
    pub published_at: String,
}

/// One row of the catalog change log. `body` is the entity's JSON (a `Domain`, `ServiceItem`
/// or `Bundle` of onewindow-domain) for an upsert, absent for a removal.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CatalogChange {
    pub seq: i64,
    pub version_id: i64,
    pub entity: CatalogEntity,
    pub op: ChangeOp,
    pub key: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<Box<RawValue>>,
}

/// `GET /v1/catalog/changes?cursor=N`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CatalogChanges {
    pub changes: Vec<CatalogChange>,
    /// The cursor to store with these rows and send next time.
    pub next_cursor: i64,
    pub has_more: bool,
    /// The version complete at `next_cursor`, if the page ends on a version boundary.
    pub checkpoint: Option<CatalogVersion>,
}

/// One row of the calendar change log: a year's arrangement (`YearCalendar` JSON) or its removal.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CalendarChange {
    pub seq: i64,
    pub year: i32,
    pub op: ChangeOp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<Box<RawValue>>,
}

/// `GET /v1/calendar/changes?cursor=N`. Every calendar change is its own checkpoint.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CalendarChanges {
    pub changes: Vec<CalendarChange>,
    pub next_cursor: i64,
    pub has_more: bool,
}

/// Every 4xx/5xx body of the hub: a stable code for programs and a sentence for people.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiError {
    pub code: String,
    pub message: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn change_page_round_trips_with_raw_bodies() {
        let json = r#"{"changes":[{"seq":3,"version_id":1,"entity":"item","op":"upsert","key":"000105001001","body":{"code":"000105001001"}},{"seq":4,"version_id":1,"entity":"bundle","op":"remove","key":"YJS371082001"}],"next_cursor":4,"has_more":false,"checkpoint":{"id":1,"label":"v1","published_at":"2026-11-27T00:00:00Z"}}"#;
        let page: CatalogChanges = serde_json::from_str(json).unwrap();
        assert_eq!(page.changes[0].entity, CatalogEntity::Item);
        assert_eq!(
            page.changes[0].body.as_ref().unwrap().get(),
            r#"{"code":"000105001001"}"#
        );
        assert_eq!(page.changes[1].op, ChangeOp::Remove);
        assert!(page.changes[1].body.is_none());
        assert_eq!(serde_json::to_string(&page).unwrap(), json);
    }
}
