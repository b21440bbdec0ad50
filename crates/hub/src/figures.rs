//! 数据统计: the hall's figures for a day or a month, per domain, window, clerk and hour —
//! tickets, mean wait (issue → call), mean service time (at the window → done), no-show rate
//! the cases the tickets became, the one-time notices issued, and their ratings (count, share 基本满意 or better) — as a page for the supervisor and an xlsx export
//! (`/office/figures.xlsx`), the month's being the 月通报.

use axum::extract::{Query, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use maud::{Markup, html};
use serde::Deserialize;

use crate::auth::Supervisor;
use crate::pages;
use crate::server::HubState;

use crate::store_queue::hall_day;

pub use crate::store_figures::{FigureRow, Figures};

fn minutes(m: Option<f64>) -> String {
    m.map_or("—".into(), |m| format!("{m:.1}"))
}

fn rate(r: &FigureRow) -> String {
    r.no_show_rate()
        .map_or("—".into(), |x| format!("{:.1}%", x * 100.0))
}

fn table(id: &str, title: &str, first: &str, rows: &[FigureRow], total: &FigureRow) -> Markup {
    html! {
        section {
            h3 { (title) }
            table id=(id) {
                thead { tr {
                    th { (first) } th { "取号数" } th { "平均等候（分钟）" } th { "平均办理（分钟）" }
                    th { "过号率" } th { "受理办件" } th { "一次性告知" } th { "延时错时服务" } th { "评价数" } th { "满意率" }
                } }
                tbody {
                    @for r in rows.iter().chain(std::iter::once(total)) {
                        tr data-key=(r.key) {
                            td { (r.label) }
                            td.tickets { (r.tickets) }
                            td { (minutes(r.avg_wait_min)) }
                            td { (minutes(r.avg_service_min)) }
                            td.no-show { (rate(r)) }
                            td.cases { (r.cases) }
                            td.notices { (r.notices) }
                            td.extended { (r.extended) }
                            td.ratings { (r.ratings) }
                            td { (r.satisfaction().map_or("—".into(), |x| format!("{:.1}%", x * 100.0))) }
                        }
                    }
                }
            }
        }
    }
}

#[derive(Deserialize)]
pub struct PeriodQuery {
    #[serde(default)]
    day: Option<String>,
    #[serde(default)]
    month: Option<String>,
    /// One centre's figures (default: the user's own).
    #[serde(default)]
    centre: Option<String>,
    /// `rollup=1`: the county roll-up of every centre (county-level users only).
    #[serde(default)]
    rollup: Option<String>,
}

/// Whose figures a request is for: `None` is the county roll-up. A town's supervisor gets
/// only their centre; asking for another, or for the roll-up, is refused.
async fn figures_scope(
    state: &HubState,
    user: &crate::store_office::User,
    q: &PeriodQuery,
) -> Result<
    (
        Option<onewindow_domain::centre::Centre>,
        Vec<onewindow_domain::centre::Centre>,
    ),
    Response,
> {
    let rollup = q.rollup.as_deref().is_some_and(|r| r == "1");
    if rollup && !user.county_wide {
        tracing::warn!(user = %user.name, "the county roll-up was asked for by a centre's user");
        return Err((
            StatusCode::FORBIDDEN,
            pages::office(
                "无权查看",
                Some(user),
                html! { p.err #centre-refused { "全县汇总仅县级中心可看；您只能查看本中心（" (user.centre) "）的数据。" } },
            ),
        )
            .into_response());
    }
    let (centre, visible) = crate::office_centre::pick(state, user, q.centre.as_deref()).await?;
    Ok(((!rollup).then_some(centre), visible))
}

impl PeriodQuery {
    /// The period asked for, else the hall's day at `now`.
    fn period(&self, now: DateTime<Utc>) -> String {
        self.month
            .clone()
            .or_else(|| self.day.clone())
            .filter(|p| !p.trim().is_empty())
            .unwrap_or_else(|| hall_day(now).to_string())
    }
}

pub async fn figures_page(
    State(state): State<HubState>,
    Supervisor(user): Supervisor,
    Query(q): Query<PeriodQuery>,
) -> Response {
    let period = q.period(state.now());
    let (centre, visible) = match figures_scope(&state, &user, &q).await {
        Ok(s) => s,
        Err(refused) => return refused,
    };
    let p2 = period.clone();
    let code = centre.as_ref().map(|c| c.code.clone());
    let f = match state
        .store_call(move |s| s.figures(code.as_deref(), &p2))
        .await
    {
        Ok(f) => f,
        Err(_) => {
            return (
                StatusCode::BAD_REQUEST,
                pages::office(
                    "数据统计",
                    Some(&user),
                    html! { p.err #figures-error { "日期应为 2026-11-27（日报）或 2026-11（月通报）。" } },
                ),
            )
                .into_response();
        }
    };
    let kind = if period.len() == 7 {
        "月通报"
    } else {
        "日报"
    };
    let (day, query_key) = if period.len() == 7 {
        ("", "month")
    } else {
        (period.as_str(), "day")
    };
    let (scope_name, scope_query) = match &centre {
        Some(c) => (c.name.clone(), format!("centre={}", c.code)),
        None => ("全县汇总".to_string(), "rollup=1".to_string()),
    };
    let extra = format!("&{query_key}={period}");
    let body = html! {
        h2 { "数据统计 · " span #figures-centre { (scope_name) } " · " (kind) " " (period) }
        p #centre-nav {
            @if visible.len() > 1 {
                "中心："
                @for c in &visible {
                    @if centre.as_ref().is_some_and(|x| x.code == c.code) {
                        b.current data-centre=(c.code) { (c.name) }
                    } @else {
                        a href={ "/office/figures?centre=" (c.code) (extra) } data-centre=(c.code) { (c.name) }
                    }
                    " "
                }
            }
            @if user.county_wide {
                @if centre.is_none() { b #rollup { "全县汇总" } }
                @else { a #rollup href={ "/office/figures?rollup=1" (extra) } { "全县汇总" } }
            }
        }
        form method="get" action="/office/figures" {
            @match &centre {
                Some(c) => { input type="hidden" name="centre" value=(c.code); }
                None => { input type="hidden" name="rollup" value="1"; }
            }
            label { "日期 " input name="day" value=(day) placeholder="2026-11-27"; }
            " " button { "看日报" } " "
            label { "月份 " input name="month" placeholder="2026-11"; }
            " " button { "看月通报" } " "
            a #figures-xlsx href={ "/office/figures.xlsx?" (scope_query) "&" (query_key) "=" (period) } { "导出 Excel" }
        }
        @if centre.is_none() {
            (table("by-centre", "按中心", "中心", &f.by_centre, &f.total))
        }
        (table("by-domain", "按业务", "业务", &f.by_domain, &f.total))
        (table("by-window", "按窗口", "窗口", &f.by_window, &f.total))
        (table("by-clerk", "按人员", "经办人", &f.by_clerk, &f.total))
        (table("by-hour", "按时段", "时段", &f.by_hour, &f.total))
    };
    pages::office("数据统计", Some(&user), body).into_response()
}

/// The same figures as a workbook: one sheet per table.
pub fn figures_xlsx(f: &Figures) -> std::result::Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let bold = rust_xlsxwriter::Format::new().set_bold();
    let rollup = f.centre.is_none();
    for (name, first, rows) in [
        ("按中心", "中心", &f.by_centre),
        ("按业务", "业务", &f.by_domain),
        ("按窗口", "窗口", &f.by_window),
        ("按人员", "经办人", &f.by_clerk),
        ("按时段", "时段", &f.by_hour),
    ] {
        if name == "按中心" && !rollup {
            continue;
        }
        let ws = wb.add_worksheet();
        ws.set_name(name)?;
        ws.write_string_with_format(
            0,
            0,
            format!(
                "{} {} {}",
                f.centre.as_deref().unwrap_or("全县汇总"),
                f.period,
                name
            ),
            &bold,
        )?;
        for (c, h) in [
            first,
            "取号数",
            "平均等候（分钟）",
            "平均办理（分钟）",
            "过号率",
            "受理办件",
            "一次性告知",
            "延时错时服务",
            "评价数",
            "满意率",
        ]
        .iter()
        .enumerate()
        {
            ws.write_string_with_format(1, c as u16, *h, &bold)?;
        }
        for (i, r) in rows.iter().chain(std::iter::once(&f.total)).enumerate() {
            let row = i as u32 + 2;
            ws.write_string(row, 0, &r.label)?;
            ws.write_number(row, 1, r.tickets as f64)?;
            if let Some(w) = r.avg_wait_min {
                ws.write_number(row, 2, (w * 10.0).round() / 10.0)?;
            }
            if let Some(s) = r.avg_service_min {
                ws.write_number(row, 3, (s * 10.0).round() / 10.0)?;
            }
            if let Some(x) = r.no_show_rate() {
                ws.write_number(row, 4, (x * 1000.0).round() / 1000.0)?;
            }
            ws.write_number(row, 5, r.cases as f64)?;
            ws.write_number(row, 6, r.notices as f64)?;
            ws.write_number(row, 7, r.extended as f64)?;
            ws.write_number(row, 8, r.ratings as f64)?;
            if let Some(x) = r.satisfaction() {
                ws.write_number(row, 9, (x * 1000.0).round() / 1000.0)?;
            }
        }
        ws.set_column_width(0, 24)?;
        ws.set_column_width(2, 16)?;
        ws.set_column_width(3, 16)?;
    }
    wb.save_to_buffer()
}

pub async fn figures_export(
    State(state): State<HubState>,
    Supervisor(user): Supervisor,
    Query(q): Query<PeriodQuery>,
) -> Response {
    let clock = state.clock();
    let period = q.period(state.now());
    let (centre, _) = match figures_scope(&state, &user, &q).await {
        Ok(s) => s,
        Err(refused) => return refused,
    };
    let code = centre.map(|c| c.code);
    let file = format!(
        "figures-{}-{period}.xlsx",
        code.as_deref().unwrap_or("county")
    );
    let (p2, name, f2) = (period.clone(), user.name.clone(), file.clone());
    // The workbook goes out only once its export is in the audit log.
    let f = match state
        .store_call(move |s| {
            let f = s.figures(code.as_deref(), &p2)?;
            s.audit_hub(&name, "export", &f2, "ok", None, clock.now())?;
            Ok(f)
        })
        .await
    {
        Ok(f) => f,
        Err(e) => return e.into_response(),
    };
    match figures_xlsx(&f) {
        Ok(bytes) => {
            tracing::info!(user = %user.name, period = %period, "figures exported");
            (
                [
                    (
                        header::CONTENT_TYPE,
                        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
                            .to_string(),
                    ),
                    (
                        header::CONTENT_DISPOSITION,
                        format!("attachment; filename=\"{file}\""),
                    ),
                ],
                bytes,
            )
                .into_response()
        }
        Err(e) => {
            tracing::error!(error = %e, "figures workbook failed");
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::HubStore;
    use chrono::{DateTime, Duration};
    use onewindow_domain::queue::QueueConfig;

    #[test]
    fn a_day_and_its_month_count_tickets_waits_services_no_shows_and_cases() {
        let t0: DateTime<Utc> = "2026-11-27T01:00:00Z".parse().unwrap();
        let mut s = HubStore::open_in_memory().unwrap();
        let cfg = QueueConfig::parse(include_str!("../../../demo/queue.json")).unwrap();
        s.import_queue("MAIN", &cfg, t0).unwrap();
        for _ in 0..3 {
            s.issue_ticket("MAIN", "ZHSL", None, None, "kiosk", t0)
                .unwrap();
        }
        s.issue_ticket("MAIN", "GAHZ", None, None, "kiosk", t0)
            .unwrap();
        // A001: called after 10 minutes, served 5 minutes, linked to a case.
        s.call_next("MAIN", 1, "li", t0 + Duration::minutes(10))
            .unwrap();
        s.queue_step("MAIN", 1, "serve", None, "li", t0 + Duration::minutes(11))
            .unwrap();
        s.link_ticket_case("MAIN", 1, "W01-20261127-0001").unwrap();
        // A002: called after 20 minutes, no-show.
        s.call_next("MAIN", 1, "li", t0 + Duration::minutes(16))
            .unwrap();
        s.queue_step("MAIN", 1, "no_show", None, "li", t0 + Duration::minutes(20))
            .unwrap();
        // A001's applicant rated it 满意.
        s.rate("MAIN", 1, 4, &[], "", t0 + Duration::minutes(21))
            .unwrap();
        let f = s.figures(Some("MAIN"), "2026-11-27").unwrap();
        assert_eq!((f.total.tickets, f.total.called, f.total.cases), (4, 2, 1));
        let zhsl = f.by_domain.iter().find(|r| r.key == "ZHSL").unwrap();
        assert_eq!((zhsl.tickets, zhsl.no_shows), (3, 1));
        assert_eq!(zhsl.label, "综合受理（A）");
        assert!((zhsl.avg_wait_min.unwrap() - 13.0).abs() < 0.01, "{zhsl:?}");
        assert!(
            (zhsl.avg_service_min.unwrap() - 5.0).abs() < 0.01,
            "{zhsl:?}"
        );
        assert_eq!(zhsl.no_show_rate(), Some(0.5));
        assert_eq!(f.by_window[0].label, "1 号窗口（综合受理）");
        assert_eq!(f.by_clerk[0].key, "li");
        assert_eq!(f.by_hour[0].key, "09", "local time");
        assert_eq!((f.total.ratings, f.total.satisfaction()), (1, Some(1.0)));
        let month = s.figures(Some("MAIN"), "2026-11").unwrap();
        assert_eq!(month.total.tickets, 4);
        assert_eq!(s.figures(Some("MAIN"), "2026-10").unwrap().total.tickets, 0);
        assert!(s.figures(Some("MAIN"), "yesterday").is_err());
        let xlsx = figures_xlsx(&f).unwrap();
        assert!(xlsx.starts_with(b"PK"), "a zip workbook");
    }
}
