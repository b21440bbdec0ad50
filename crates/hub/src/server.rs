//! The hub's HTTP API (axum). Every error body is a JSON [`ApiError`] with a stable code.

use std::sync::{Arc, Mutex};

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use onewindow_domain::validate::{CreditCode, IdNumber};
use onewindow_proto::{ApiError, ChangesQuery, ELicences, Health, PROTOCOL_VERSION, paths};

use crate::store::{HubStore, HubStoreError};

/// The default and largest page of a change stream.
pub const DEFAULT_PAGE: u32 = 1000;
pub const MAX_PAGE: u32 = 5000;

#[derive(Clone)]
pub struct HubState {
    store: Arc<Mutex<HubStore>>,
}

impl HubState {
    pub fn new(store: HubStore) -> Self {
        HubState {
            store: Arc::new(Mutex::new(store)),
        }
    }

    /// Runs `f` on the store off the async workers.
    async fn with_store<T, F>(&self, f: F) -> Result<T, HttpError>
    where
        T: Send + 'static,
        F: FnOnce(&HubStore) -> Result<T, HubStoreError> + Send + 'static,
    {
        let store = self.store.clone();
        tokio::task::spawn_blocking(move || {
            let guard = store.lock().unwrap_or_else(|p| p.into_inner());
            f(&guard)
        })
        .await
        .map_err(|e| HttpError::internal(format!("store task failed: {e}")))?
        .map_err(HttpError::from)
    }
}

pub struct HttpError {
    status: StatusCode,
    body: ApiError,
}

impl HttpError {
    fn new(status: StatusCode, code: &str, message: impl Into<String>) -> Self {
        HttpError {
            status,
            body: ApiError {
                code: code.to_string(),
                message: message.into(),
            },
        }
    }

    fn internal(detail: String) -> Self {
        tracing::error!(%detail, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "internal error; see the hub log",
        )
    }
}

impl From<HubStoreError> for HttpError {
    fn from(e: HubStoreError) -> Self {
        match e {
            HubStoreError::CursorAhead { .. } => {
                Self::new(StatusCode::CONFLICT, "cursor_ahead", e.to_string())
            }
            other => Self::internal(other.to_string()),
        }
    }
}

impl From<QueryRejection> for HttpError {
    fn from(e: QueryRejection) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_query", e.body_text())
    }
}

impl IntoResponse for HttpError {
    fn into_response(self) -> Response {
        (self.status, Json(self.body)).into_response()
    }
}

fn page_query(q: Result<Query<ChangesQuery>, QueryRejection>) -> Result<(i64, u32), HttpError> {
    let Query(q) = q?;
    if q.cursor < 0 {
        return Err(HttpError::new(
            StatusCode::BAD_REQUEST,
            "bad_query",
            format!("cursor must be >= 0, got {}", q.cursor),
        ));
    }
    let limit = q.limit.unwrap_or(DEFAULT_PAGE);
    if limit == 0 || limit > MAX_PAGE {
        return Err(HttpError::new(
            StatusCode::BAD_REQUEST,
            "bad_query",
            format!("limit must be 1..={MAX_PAGE}, got {limit}"),
        ));
    }
    Ok((q.cursor, limit))
}

async fn healthz() -> Json<Health> {
    Json(Health {
        status: "ok".into(),
        protocol: PROTOCOL_VERSION,
    })
}

async fn catalog_changes(
    State(state): State<HubState>,
    q: Result<Query<ChangesQuery>, QueryRejection>,
) -> Result<Response, HttpError> {
    let (cursor, limit) = page_query(q)?;
    let page = state
        .with_store(move |s| s.catalog_changes(cursor, limit))
        .await?;
    Ok(Json(page).into_response())
}

async fn calendar_changes(
    State(state): State<HubState>,
    q: Result<Query<ChangesQuery>, QueryRejection>,
) -> Result<Response, HttpError> {
    let (cursor, limit) = page_query(q)?;
    let page = state
        .with_store(move |s| s.calendar_changes(cursor, limit))
        .await?;
    Ok(Json(page).into_response())
}

async fn elicences(
    State(state): State<HubState>,
    Path(holder): Path<String>,
) -> Result<Json<ELicences>, HttpError> {
    let today = chrono::Local::now().date_naive();
    let holder = match (IdNumber::parse(&holder, today), CreditCode::parse(&holder)) {
        (Ok(id), _) => id.as_str().to_string(),
        (_, Ok(code)) => code.as_str().to_string(),
        _ => {
            return Err(HttpError::new(
                StatusCode::BAD_REQUEST,
                "bad_holder",
                "holder must be a valid ID number or unified social credit code",
            ));
        }
    };
    let key = holder.clone();
    let found = state.with_store(move |s| s.elicence_holder(&key)).await?;
    Ok(Json(ELicences {
        holder,
        licences: found.map(|h| h.licences).unwrap_or_default(),
    }))
}

async fn not_found() -> HttpError {
    HttpError::new(StatusCode::NOT_FOUND, "not_found", "no such endpoint")
}

pub fn router(state: HubState) -> Router {
    Router::new()
        .route(paths::HEALTHZ, get(healthz))
        .route(paths::CATALOG_CHANGES, get(catalog_changes))
        .route(paths::CALENDAR_CHANGES, get(calendar_changes))
        .route(&format!("{}/{{holder}}", paths::ELICENCES), get(elicences))
        .fallback(not_found)
        .with_state(state)
}
