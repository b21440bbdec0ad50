//! Which centre a back-office page shows: a supervisor sees their own centre, one of the
//! county level (or an administrator) may pick any; the pick is `?centre=CODE`.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};
use onewindow_domain::centre::Centre;
use serde::Deserialize;

use crate::pages;
use crate::server::HubState;
use crate::store_office::User;

/// `?centre=CODE` on an office page.
#[derive(Debug, Default, Deserialize)]
pub struct CentreQuery {
    #[serde(default)]
    pub centre: Option<String>,
}

/// The centres `user` may look at, and the one this page shows: the asked one (refused with
/// 403 when it is not theirs), else the user's own.
pub async fn pick(
    state: &HubState,
    user: &User,
    asked: Option<&str>,
) -> Result<(Centre, Vec<Centre>), Response> {
    let all = state
        .store_call(|s| s.centres())
        .await
        .map_err(IntoResponse::into_response)?;
    let visible: Vec<Centre> = all.into_iter().filter(|c| user.sees(&c.code)).collect();
    let wanted = asked
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .unwrap_or(&user.centre);
    match visible.iter().find(|c| c.code == wanted) {
        Some(c) => Ok((c.clone(), visible.clone())),
        None => {
            tracing::warn!(user = %user.name, centre = %wanted, "a centre outside the user's was asked for");
            Err((
                StatusCode::FORBIDDEN,
                pages::office(
                    "无权查看",
                    Some(user),
                    html! { p.err #centre-refused { "您只能查看本中心（" (user.centre) "）的数据。" } },
                ),
            )
                .into_response())
        }
    }
}

/// The row of centre links above a page (only for users who see more than one).
pub fn nav(path: &str, visible: &[Centre], current: &str, extra: &str) -> Markup {
    html! {
        @if visible.len() > 1 {
            p #centre-nav {
                "中心："
                @for c in visible {
                    @if c.code == current {
                        b.current data-centre=(c.code) { (c.name) }
                    } @else {
                        a href={ (path) "?centre=" (c.code) (extra) } data-centre=(c.code) { (c.name) }
                    }
                    " "
                }
            }
        }
    }
}

/// A list's 受理中心 filter (for a hub of more than one centre): `?centre=CODE`, or every one.
pub fn filter(path: &str, centres: &[Centre], only: Option<&str>) -> Markup {
    html! {
        @if centres.len() > 1 {
            form method="get" action=(path) #centre-filter {
                label { "受理中心 "
                    select name="centre" #centre-select {
                        option value="" selected[only.is_none()] { "全部中心" }
                        @for c in centres {
                            option value=(c.code) selected[only == Some(c.code.as_str())] { (c.name) }
                        }
                    }
                }
                " " button type="submit" { "筛选" }
            }
        }
    }
}
