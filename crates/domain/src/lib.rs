//! Pure types and rules of OneWindow. No IO: callers pass in what the rules need.

pub mod applicant;
pub mod appointment;
pub mod audit;
pub mod bundle;
pub mod calendar;
pub mod case;
pub mod catalog;
pub mod centre;
pub mod clock;
pub mod elicence;
pub mod hours;
pub mod login;
pub mod mask;
pub mod prereview;
pub mod provision;
pub mod qrcode;
pub mod queue;
pub mod rating;
pub mod release;
pub mod search;
pub mod synthetic;
pub mod ticket;
pub mod time;
pub mod validate;

pub use calendar::{CalendarBasis, HolidayCalendar, YearCalendar};
pub use catalog::{
    Bundle, Catalog, Domain, FieldDef, FieldType, ImportIssue, ItemLevel, MaterialForm,
    MaterialRequirement, Necessity, Scenario, ServiceItem,
};
pub use search::{CatalogIndex, MatchKind, SearchDoc, SearchHit, SearchQuery, SearchResults};
