//! The desks' queue API: the queue configuration of a desk's centre, its centre scope, and
//! calling at the window it sits at (next, recall, serve, no-show, transfer, pause, walk-in,
//! rating), each telling that centre's displays.

use axum::Json;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use onewindow_proto::{ApiErrorCode, ChangesQuery};

use crate::server::{HttpError, HubState, device, page_query};

/// The centre a request is about: an enrolled desk's own; without a device token, the hub's
/// only centre (a hub with several needs a desk to say which).
pub(crate) async fn request_centre(
    state: &HubState,
    headers: &HeaderMap,
) -> Result<String, HttpError> {
    if headers.contains_key(axum::http::header::AUTHORIZATION) {
        let device = device(state, headers).await?;
        return state.with_store(move |s| s.centre_of_device(&device)).await;
    }
    state.with_store(|s| s.resolve_centre(None)).await
}

pub(crate) async fn queue_config_changes(
    State(state): State<HubState>,
    headers: HeaderMap,
    q: Result<Query<ChangesQuery>, QueryRejection>,
) -> Result<Response, HttpError> {
    let (cursor, limit) = page_query(q)?;
    let device = if headers.contains_key(axum::http::header::AUTHORIZATION) {
        Some(device(&state, &headers).await?)
    } else {
        None
    };
    let page = state
        .with_store(move |s| {
            let centre = match device {
                Some(d) => s.centre_of_device(&d)?,
                // A desk not yet enrolled has no centre: on a hub of several it gets nothing
                // (its cursor stays) until it enrols.
                None => match s.resolve_centre(None) {
                    Ok(c) => c,
                    Err(_) => {
                        return Ok(onewindow_proto::QueueConfigChanges {
                            changes: vec![],
                            next_cursor: cursor,
                            has_more: false,
                        });
                    }
                },
            };
            s.queue_config_changes(&centre, cursor, limit)
        })
        .await?;
    Ok(Json(page).into_response())
}

/// What a desk receives with the catalog: its centre, the items it accepts and where the
/// others are accepted.
pub(crate) async fn centre_scope(
    State(state): State<HubState>,
    headers: HeaderMap,
) -> Result<Json<onewindow_domain::centre::CentreScope>, HttpError> {
    let device = device(&state, &headers).await?;
    Ok(Json(
        state
            .with_store(move |s| {
                let centre = s.centre_of_device(&device)?;
                s.centre_scope(&centre)
            })
            .await?,
    ))
}

/// The desk's window: the one its desk code sits at in its centre's queue configuration.
async fn desk_window(
    state: &HubState,
    headers: &HeaderMap,
) -> Result<crate::store_queue::DeskWindow, HttpError> {
    let device = device(state, headers).await?;
    state.with_store(move |s| s.window_of_device(&device)).await
}

fn clerk_of(req: &onewindow_proto::QueueRequest) -> Result<String, HttpError> {
    let c = req.clerk.trim();
    if c.is_empty() || c.chars().count() > 50 {
        return Err(HttpError::new(
            StatusCode::BAD_REQUEST,
            ApiErrorCode::BadRequest,
            "clerk must be 1-50 characters",
        ));
    }
    Ok(c.to_string())
}

/// A calling action at the desk's window: its window, the clerk, the step in the store, then
/// the centre's displays are told.
async fn at_window<T: Send + 'static>(
    state: &HubState,
    headers: &HeaderMap,
    body: Result<Json<onewindow_proto::QueueRequest>, JsonRejection>,
    act: impl FnOnce(
        &mut crate::store::HubStore,
        &crate::store_queue::DeskWindow,
        &str,
        &onewindow_proto::QueueRequest,
        chrono::DateTime<chrono::Utc>,
    ) -> Result<T, crate::store::HubStoreError>
    + Send
    + 'static,
) -> Result<Json<T>, HttpError> {
    let clock = state.clock();
    let window = desk_window(state, headers).await?;
    let Json(req) = body?;
    let clerk = clerk_of(&req)?;
    let centre = window.centre.clone();
    let out = state
        .with_store(move |s| act(s, &window, &clerk, &req, clock.now()))
        .await?;
    state.board_changed(&centre);
    Ok(Json(out))
}

pub(crate) async fn queue_call_next(
    State(state): State<HubState>,
    headers: HeaderMap,
    body: Result<Json<onewindow_proto::QueueRequest>, JsonRejection>,
) -> Result<Json<onewindow_proto::QueueAnswer>, HttpError> {
    at_window(&state, &headers, body, |s, w, clerk, _, now| {
        s.call_next(&w.centre, w.number, clerk, now)
    })
    .await
}

pub(crate) async fn queue_step(
    State(state): State<HubState>,
    headers: HeaderMap,
    body: Result<Json<onewindow_proto::QueueRequest>, JsonRejection>,
) -> Result<Json<onewindow_proto::QueueAnswer>, HttpError> {
    at_window(&state, &headers, body, |s, w, clerk, req, now| {
        let action = req.action.as_deref().unwrap_or_default();
        s.queue_step(
            &w.centre,
            w.number,
            action,
            req.transfer_to.as_ref(),
            clerk,
            now,
        )
    })
    .await
}

pub(crate) async fn queue_window(
    State(state): State<HubState>,
    headers: HeaderMap,
    body: Result<Json<onewindow_proto::QueueRequest>, JsonRejection>,
) -> Result<Json<onewindow_proto::WindowLive>, HttpError> {
    at_window(&state, &headers, body, |s, w, clerk, req, now| {
        let to = req.action.as_deref().unwrap_or_default();
        s.set_window_state(&w.centre, w.number, to, clerk, now)
    })
    .await
}

pub(crate) async fn queue_walk_in(
    State(state): State<HubState>,
    headers: HeaderMap,
    body: Result<Json<onewindow_proto::QueueRequest>, JsonRejection>,
) -> Result<Json<onewindow_proto::QueueAnswer>, HttpError> {
    let clock = state.clock();
    let device = device(&state, &headers).await?;
    let Json(req) = body?;
    let clerk = clerk_of(&req)?;
    let domain = req.action.clone().unwrap_or_default();
    let (centre, answer) = state
        .with_store(move |s| {
            let window = s.window_of_device(&device)?;
            let desk_code = s.desk_code_of(&device)?;
            let answer = s.walk_in(
                &window.centre,
                window.number,
                &domain,
                &desk_code,
                &clerk,
                clock.now(),
            )?;
            Ok((window.centre, answer))
        })
        .await?;
    state.board_changed(&centre);
    Ok(Json(answer))
}

pub(crate) async fn queue_link(
    State(state): State<HubState>,
    headers: HeaderMap,
    body: Result<Json<onewindow_proto::QueueRequest>, JsonRejection>,
) -> Result<Json<bool>, HttpError> {
    let window = desk_window(&state, &headers).await?;
    let Json(req) = body?;
    let number = req.action.clone().unwrap_or_default();
    if number.is_empty() || number.len() > 40 {
        return Err(HttpError::new(
            StatusCode::BAD_REQUEST,
            ApiErrorCode::BadRequest,
            "a case number is needed",
        ));
    }
    Ok(Json(
        state
            .with_store(move |s| s.link_ticket_case(&window.centre, window.number, &number))
            .await?,
    ))
}

pub(crate) async fn queue_rating(
    State(state): State<HubState>,
    headers: HeaderMap,
    body: Result<Json<onewindow_proto::RatingRequest>, JsonRejection>,
) -> Result<Json<i64>, HttpError> {
    let clock = state.clock();
    let window = desk_window(&state, &headers).await?;
    let Json(req) = body?;
    let level = req.level;
    let number = window.number;
    let id = state
        .with_store(move |s| {
            s.rate(
                &window.centre,
                window.number,
                req.level,
                &req.reasons,
                &req.comment,
                clock.now(),
            )
        })
        .await?;
    tracing::info!(window = number, level, "rating recorded");
    Ok(Json(id))
}

pub(crate) async fn queue_mine(
    State(state): State<HubState>,
    headers: HeaderMap,
) -> Result<Json<onewindow_proto::QueueAnswer>, HttpError> {
    let clock = state.clock();
    let window = desk_window(&state, &headers).await?;
    Ok(Json(
        state
            .with_store(move |s| s.window_now(&window.centre, window.number, clock.now()))
            .await?,
    ))
}

pub(crate) async fn queue_board(
    State(state): State<HubState>,
    headers: HeaderMap,
) -> Result<Json<onewindow_proto::HallBoard>, HttpError> {
    let clock = state.clock();
    let centre = request_centre(&state, &headers).await?;
    Ok(Json(
        state
            .with_store(move |s| s.hall_board(&centre, clock.now()))
            .await?,
    ))
}
