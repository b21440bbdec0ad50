//! Deadlines watched (到期预警): cases still with the back office that are overdue or due within
//! two working days — on the approver's list, on the supervisor's 到期预警 page (their centre's;
//! every centre's at the county level), and for a supervisor signed in at a desk
//! (`GET /v1/due-cases`, the desk's centre), counted on its status bar.

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use maud::html;
use onewindow_domain::HolidayCalendar;

use crate::auth::Supervisor;
use crate::pages;
use crate::server::{HttpError, HubState};
use crate::store_office::OfficeCase;

/// How close a case is to its promised date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Due {
    Overdue,
    /// Due within two working days.
    Soon,
}

/// The last date that counts as due soon: two working days after `today`.
pub fn soon(today: NaiveDate, calendar: &HolidayCalendar) -> NaiveDate {
    calendar.add_working_days(today, 2).0
}

/// Whether an open case is overdue or due soon (`None` for decided cases and those not due).
pub fn due(c: &OfficeCase, today: NaiveDate, soon: NaiveDate) -> Option<Due> {
    if !matches!(c.state.as_str(), "handed_off" | "in_review") {
        return None;
    }
    let promised = c.promised_date.as_deref()?.parse::<NaiveDate>().ok()?;
    if promised < today {
        Some(Due::Overdue)
    } else if promised <= soon {
        Some(Due::Soon)
    } else {
        None
    }
}

/// `centre`'s (every centre's with `None`) open cases that are overdue or due soon, overdue
/// first, each with how close it is.
async fn due_of(
    state: &HubState,
    centre: Option<String>,
) -> Result<Vec<(OfficeCase, Due)>, HttpError> {
    let today = crate::store_queue::hall_day(state.now());
    let (cases, calendar) = state
        .store_call(move |s| Ok((s.open_cases(centre.as_deref())?, s.holiday_calendar()?)))
        .await?;
    let soon = soon(today, &calendar);
    let mut out: Vec<(OfficeCase, Due)> = cases
        .into_iter()
        .filter_map(|c| due(&c, today, soon).map(|d| (c, d)))
        .collect();
    out.sort_by_key(|(c, d)| (*d != Due::Overdue, c.promised_date.clone()));
    Ok(out)
}

/// 到期预警 for the supervisor: their centre's cases overdue or due within two working days.
pub async fn page(State(state): State<HubState>, Supervisor(user): Supervisor) -> Response {
    let list = match due_of(&state, user.centre_scope().map(String::from)).await {
        Ok(l) => l,
        Err(e) => return e.into_response(),
    };
    let overdue = list.iter().filter(|(_, d)| *d == Due::Overdue).count();
    let body = html! {
        h2 { "到期预警" }
        p #due-summary {
            "已超期 " b #due-overdue { (overdue) } " 件，两个工作日内到期 "
            b #due-soon { (list.len() - overdue) } " 件（审批中心尚未作出决定的办件）。"
        }
        table #due-cases {
            thead { tr { th { "办件编号" } th { "事项" } th { "受理中心" } th { "受理窗口" } th { "承诺办结日期" } th { "状态" } } }
            tbody {
                @for (c, d) in &list {
                    tr class=(if *d == Due::Overdue { "overdue" } else { "due-soon" }) data-number=(c.number) {
                        td { (c.number) }
                        td { (c.item_name) }
                        td { (c.centre_name) }
                        td { (c.desk_name) }
                        td { (c.promised_date.as_deref().unwrap_or("—")) }
                        td { span.tag { (if *d == Due::Overdue { "已超期" } else { "临近到期" }) } }
                    }
                }
            }
        }
    };
    pages::office("到期预警", Some(&user), body).into_response()
}

/// `GET /v1/due-cases`: the desk's centre's cases overdue or due soon, for a supervisor signed
/// in there.
pub async fn for_desk(
    State(state): State<HubState>,
    headers: HeaderMap,
) -> Result<Json<onewindow_proto::DueCases>, HttpError> {
    let (centre, _) = crate::refusals::supervisor_at_desk(&state, &headers).await?;
    let cases = due_of(&state, Some(centre))
        .await?
        .into_iter()
        .map(|(c, d)| onewindow_proto::DueCase {
            number: c.number,
            item_name: c.item_name,
            desk_name: c.desk_name,
            promised_date: c.promised_date.unwrap_or_default(),
            overdue: d == Due::Overdue,
        })
        .collect();
    Ok(Json(onewindow_proto::DueCases { cases }))
}
