//! The hub API's error: an HTTP status and a JSON [`ApiError`] with its stable code
//! ([`ApiErrorCode`]), made from the store's errors and axum's rejections.

use axum::Json;
use axum::extract::rejection::{BytesRejection, JsonRejection, QueryRejection};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use onewindow_proto::{ApiError, ApiErrorCode};

use crate::store::HubStoreError;

pub struct HttpError {
    status: StatusCode,
    pub(crate) body: ApiError,
    /// Seconds to wait before asking again (`Retry-After`, with a 429).
    retry_after: Option<u64>,
}

impl HttpError {
    pub(crate) fn new(status: StatusCode, code: ApiErrorCode, message: impl Into<String>) -> Self {
        HttpError {
            status,
            body: ApiError {
                code,
                message: message.into(),
            },
            retry_after: None,
        }
    }

    /// 429: too many requests of this kind; ask again in `seconds`.
    pub(crate) fn too_many(message: impl Into<String>, seconds: u64) -> Self {
        HttpError {
            retry_after: Some(seconds),
            ..Self::new(
                StatusCode::TOO_MANY_REQUESTS,
                ApiErrorCode::TooManyRequests,
                message,
            )
        }
    }

    /// The same error, telling the caller to wait `seconds` before asking again.
    pub(crate) fn retry_after(mut self, seconds: u64) -> Self {
        self.retry_after = Some(seconds);
        self
    }

    pub(crate) fn internal(detail: String) -> Self {
        tracing::error!(%detail, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            ApiErrorCode::Internal,
            "internal error; see the hub log",
        )
    }
}

impl From<HubStoreError> for HttpError {
    fn from(e: HubStoreError) -> Self {
        match e {
            e if e.is_storage_full() => {
                tracing::error!(error = %e, "hub storage full: request refused, nothing recorded");
                Self::new(
                    StatusCode::INSUFFICIENT_STORAGE,
                    ApiErrorCode::StorageFull,
                    format!("the hub's disk is full; nothing of this request was recorded: {e}"),
                )
            }
            HubStoreError::CursorAhead { .. } => Self::new(
                StatusCode::CONFLICT,
                ApiErrorCode::CursorAhead,
                e.to_string(),
            ),
            HubStoreError::BadEnrolCode => Self::new(
                StatusCode::FORBIDDEN,
                ApiErrorCode::BadEnrolCode,
                e.to_string(),
            ),
            HubStoreError::BadInput(_) => Self::new(
                StatusCode::BAD_REQUEST,
                ApiErrorCode::BadRequest,
                e.to_string(),
            ),
            HubStoreError::Refused(ApiErrorCode::BadAuditKey, _) => Self::new(
                StatusCode::CONFLICT,
                ApiErrorCode::BadAuditKey,
                e.to_string(),
            ),
            HubStoreError::Refused(code, _) => {
                Self::new(StatusCode::BAD_REQUEST, code, e.to_string())
            }
            HubStoreError::BlobOffset { .. } => Self::new(
                StatusCode::CONFLICT,
                ApiErrorCode::BlobOffset,
                e.to_string(),
            ),
            HubStoreError::BlobMismatch(_) => Self::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                ApiErrorCode::BlobHashMismatch,
                e.to_string(),
            ),
            other => Self::internal(other.to_string()),
        }
    }
}

impl From<JsonRejection> for HttpError {
    fn from(e: JsonRejection) -> Self {
        match e {
            JsonRejection::BytesRejection(b) => Self::from(b),
            other => Self::new(
                StatusCode::BAD_REQUEST,
                ApiErrorCode::BadJson,
                other.body_text(),
            ),
        }
    }
}

impl From<BytesRejection> for HttpError {
    fn from(e: BytesRejection) -> Self {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            Self::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                ApiErrorCode::TooLarge,
                e.body_text(),
            )
        } else {
            Self::new(
                StatusCode::BAD_REQUEST,
                ApiErrorCode::BadBody,
                e.body_text(),
            )
        }
    }
}

impl From<QueryRejection> for HttpError {
    fn from(e: QueryRejection) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            ApiErrorCode::BadQuery,
            e.body_text(),
        )
    }
}

impl IntoResponse for HttpError {
    fn into_response(self) -> Response {
        let mut r = (self.status, Json(self.body)).into_response();
        if let Some(s) = self.retry_after {
            r.headers_mut().insert(
                axum::http::header::RETRY_AFTER,
                axum::http::HeaderValue::from(s),
            );
        }
        r
    }
}
