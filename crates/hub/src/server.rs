//! The hub's HTTP API (axum). Every error body is a JSON [`ApiError`] with a stable code.

use crate::auth::SignInCheck;
use axum::body::Bytes;
use axum::extract::DefaultBodyLimit;
use axum::extract::rejection::{BytesRejection, JsonRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::routing::post;
use axum::{Json, Router};
use onewindow_domain::validate::{CreditCode, IdNumber};
use onewindow_proto::{
    ApiErrorCode, BlobChunkQuery, BlobState, ChangesQuery, ELicences, EnrolRequest, Enrolment,
    Health, MAX_CHUNK, MAX_OPS_PER_BATCH, PROTOCOL_VERSION, PushRequest, PushResponse, is_sha256,
    paths,
};

pub use crate::error::HttpError;
pub use crate::state::HubState;

/// The default and largest page of a change stream.
pub const DEFAULT_PAGE: u32 = 1000;
pub const MAX_PAGE: u32 = 5000;

pub(crate) fn page_query(
    q: Result<Query<ChangesQuery>, QueryRejection>,
) -> Result<(i64, u32), HttpError> {
    let Query(q) = q?;
    if q.cursor < 0 {
        return Err(HttpError::new(
            StatusCode::BAD_REQUEST,
            ApiErrorCode::BadQuery,
            format!("cursor must be >= 0, got {}", q.cursor),
        ));
    }
    let limit = q.limit.unwrap_or(DEFAULT_PAGE);
    if limit == 0 || limit > MAX_PAGE {
        return Err(HttpError::new(
            StatusCode::BAD_REQUEST,
            ApiErrorCode::BadQuery,
            format!("limit must be 1..={MAX_PAGE}, got {limit}"),
        ));
    }
    Ok((q.cursor, limit))
}

async fn healthz(State(state): State<HubState>) -> Json<Health> {
    Json(Health {
        status: "ok".into(),
        protocol: PROTOCOL_VERSION,
        public_url: state
            .web()
            .public_url
            .as_ref()
            .map(|u| u.as_str().trim_end_matches('/').to_string()),
    })
}

/// The least free space under the data folder at which the hub takes work (`/readyz`).
pub const READY_MIN_FREE_MB: u64 = 64;

/// How long `/readyz` waits for the store to answer.
pub const READY_STORE_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

/// Ready for work: 503 while the data folder's disk has less than [`READY_MIN_FREE_MB`] free
/// or the store does not answer, so a load balancer stops sending writes before they fail.
/// `/healthz` says only that the process answers.
async fn readyz(State(state): State<HubState>) -> Response {
    let free_mb = free_bytes(&state).await.map(|b| b / (1024 * 1024));
    // A load balancer's check gives up after a few seconds: a store that does not answer in
    // READY_STORE_WAIT (no free connection, the database gone) is not ready.
    let answers = tokio::time::timeout(READY_STORE_WAIT, state.with_store(|s| s.ping()))
        .await
        .is_ok_and(|r| r.is_ok());
    let status = if free_mb.is_some_and(|mb| mb < READY_MIN_FREE_MB) {
        "storage_full"
    } else if !answers {
        "store_unavailable"
    } else {
        "ok"
    };
    let body = Json(onewindow_proto::Ready {
        status: status.into(),
        free_mb,
    });
    if status == "ok" {
        body.into_response()
    } else {
        (StatusCode::SERVICE_UNAVAILABLE, body).into_response()
    }
}

/// Free bytes on the disk of the data folder (its blobs), if the system says.
async fn free_bytes(state: &HubState) -> Option<u64> {
    let dir = state.blobs.root().to_path_buf();
    // A hung network mount must not hang the checks: unknown after READY_STORE_WAIT.
    tokio::time::timeout(
        READY_STORE_WAIT,
        tokio::task::spawn_blocking(move || fs4::available_space(&dir).ok()),
    )
    .await
    .ok()
    .and_then(Result::ok)
    .flatten()
}

/// Prometheus text format (`crate::metrics`): this process's requests, ops, blob bytes,
/// display streams and waiting desks, the store's connections, today's tickets waiting per
/// centre and the blob folder's free space.
async fn metrics(State(state): State<HubState>) -> Response {
    let clock = state.clock();
    let waiting = tokio::time::timeout(
        READY_STORE_WAIT,
        state.with_store(move |s| s.tickets_waiting_by_centre(clock.now())),
    )
    .await
    .ok()
    .and_then(Result::ok);
    let free = free_bytes(&state).await;
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        crate::metrics::render(&state, waiting, free),
    )
        .into_response()
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

/// The clerk signed in at the requesting device through the hub (its session header), or 401.
pub(crate) async fn desk_clerk(
    state: &HubState,
    device: &str,
    headers: &HeaderMap,
) -> Result<crate::store_desk::DeskClerk, HttpError> {
    let none = || {
        HttpError::new(
            StatusCode::UNAUTHORIZED,
            ApiErrorCode::NoClerkSession,
            "a clerk signed in at this desk through the hub is required (x-onewindow-session)",
        )
    };
    let token = headers
        .get(onewindow_proto::CLERK_SESSION_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|t| !t.is_empty() && t.len() <= 128)
        .ok_or_else(none)?
        .to_string();
    let (clock, device) = (state.clock(), device.to_string());
    state
        .with_store(move |s| s.desk_session(&device, &token, clock.now()))
        .await?
        .ok_or_else(none)
}

/// `POST /v1/elicences/lookup`: one holder's e-licences, for a case of the asking desk, asked
/// by a clerk signed in there; at most 60 a device an hour, each in the hub's audit chain with
/// the holder masked.
async fn elicences_lookup(
    State(state): State<HubState>,
    headers: HeaderMap,
    body: Result<Json<onewindow_proto::ELicenceLookup>, JsonRejection>,
) -> Result<Json<ELicences>, HttpError> {
    let clock = state.clock();
    let device = device(&state, &headers).await?;
    let clerk = desk_clerk(&state, &device, &headers).await?;
    let Json(req) = body?;
    if !onewindow_domain::case::is_case_number_of(&req.case_number, &clerk.desk_code)
        || req.case_number.len() > 40
    {
        tracing::warn!(desk = %clerk.desk_code, "e-licence lookup for another desk's case refused");
        return Err(HttpError::new(
            StatusCode::FORBIDDEN,
            ApiErrorCode::NotYourCase,
            "case_number must be a case number of this desk",
        ));
    }
    let today = clock.now().with_timezone(&chrono_tz_offset()).date_naive();
    let holder = match (
        IdNumber::parse(&req.holder, today),
        CreditCode::parse(&req.holder),
    ) {
        (Ok(id), _) => id.as_str().to_string(),
        (_, Ok(code)) => code.as_str().to_string(),
        _ => {
            return Err(HttpError::new(
                StatusCode::BAD_REQUEST,
                ApiErrorCode::BadHolder,
                "holder must be a valid ID number or unified social credit code",
            ));
        }
    };
    let key = holder.clone();
    let masked = onewindow_domain::mask::number(&holder);
    let (dev, user, desk, case) = (
        device.clone(),
        clerk.user.clone(),
        clerk.desk_code.clone(),
        req.case_number.clone(),
    );
    let found = state
        .with_store(move |s| {
            match s.count_elicence_lookup(
                &dev,
                onewindow_proto::MAX_ELICENCE_LOOKUPS_PER_HOUR,
                clock.now(),
            )? {
                crate::store_desk::LookupAllowance::Wait(secs) => {
                    s.audit_hub(
                        &user,
                        "elicence_lookup",
                        &case,
                        "refused: hourly limit",
                        Some(&format!("desk {desk}; holder {masked}")),
                        clock.now(),
                    )?;
                    Ok(Err(secs))
                }
                crate::store_desk::LookupAllowance::Go => {
                    let found = s.elicence_holder(&key)?;
                    s.audit_hub(
                        &user,
                        "elicence_lookup",
                        &case,
                        "ok",
                        Some(&format!(
                            "desk {desk}; holder {masked}; {} licences",
                            found.as_ref().map_or(0, |h| h.licences.len())
                        )),
                        clock.now(),
                    )?;
                    Ok(Ok(found))
                }
            }
        })
        .await?;
    match found {
        Ok(found) => Ok(Json(ELicences {
            holder,
            licences: found.map(|h| h.licences).unwrap_or_default(),
        })),
        Err(secs) => {
            tracing::warn!(desk = %clerk.desk_code, "e-licence lookups over the hourly limit");
            Err(HttpError::too_many(
                format!(
                    "at most {} e-licence lookups per device per hour; retry in {secs} s",
                    onewindow_proto::MAX_ELICENCE_LOOKUPS_PER_HOUR
                ),
                secs,
            ))
        }
    }
}

/// The hall's offset from UTC (China Standard Time), for the date an ID number is checked on.
fn chrono_tz_offset() -> chrono::FixedOffset {
    chrono::FixedOffset::east_opt(8 * 3600).expect("UTC+8 is a valid offset")
}

/// `POST /v1/logout`: the clerk of the session header signs out at this desk.
async fn desk_logout(
    State(state): State<HubState>,
    headers: HeaderMap,
) -> Result<StatusCode, HttpError> {
    let device = device(&state, &headers).await?;
    let Some(token) = headers
        .get(onewindow_proto::CLERK_SESSION_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(|t| t.trim().to_string())
    else {
        return Ok(StatusCode::NO_CONTENT);
    };
    state
        .with_store(move |s| s.close_desk_session(&device, &token))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `POST /v1/audit/key`: a desk enrolled before audit signing registers its key.
async fn register_audit_key(
    State(state): State<HubState>,
    headers: HeaderMap,
    body: Result<Json<onewindow_proto::AuditKeyRegistration>, JsonRejection>,
) -> Result<StatusCode, HttpError> {
    let clock = state.clock();
    let device = device(&state, &headers).await?;
    let Json(key) = body?;
    state
        .with_store(move |s| s.register_device_audit_key(&device, &key, clock.now()))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The largest op batch body.
const MAX_OPS_BODY: usize = 4 * 1024 * 1024;

/// The device behind the bearer token, or a precise 401/403.
pub(crate) async fn device(state: &HubState, headers: &HeaderMap) -> Result<String, HttpError> {
    let token = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty() && t.len() <= 128)
        .ok_or_else(|| {
            HttpError::new(
                StatusCode::UNAUTHORIZED,
                ApiErrorCode::NoToken,
                "an enrolled device token is required (Authorization: Bearer …)",
            )
        })?
        .to_string();
    match state
        .with_store(move |s| s.device_for_token(&token))
        .await?
    {
        Some((id, false)) => Ok(id),
        Some((_, true)) => Err(HttpError::new(
            StatusCode::FORBIDDEN,
            ApiErrorCode::DeviceRevoked,
            "this device was revoked by an administrator; enrol again",
        )),
        None => Err(HttpError::new(
            StatusCode::UNAUTHORIZED,
            ApiErrorCode::BadToken,
            "unknown device token",
        )),
    }
}

async fn enrol(
    State(state): State<HubState>,
    body: Result<Json<EnrolRequest>, JsonRejection>,
) -> Result<Json<Enrolment>, HttpError> {
    let clock = state.clock();
    let Json(req) = body?;
    if req.code.len() > 64 {
        return Err(HttpError::new(
            StatusCode::BAD_REQUEST,
            ApiErrorCode::BadRequest,
            "code too long",
        ));
    }
    let enrolment = state
        .with_store(move |s| s.enrol_with_key(&req.code, req.audit_key.as_ref(), clock.now()))
        .await?;
    tracing::info!(device = %enrolment.device_id, desk_code = %enrolment.desk_code, "device enrolled");
    Ok(Json(enrolment))
}

async fn push_ops(
    State(state): State<HubState>,
    headers: HeaderMap,
    body: Result<Json<PushRequest>, JsonRejection>,
) -> Result<Json<PushResponse>, HttpError> {
    let clock = state.clock();
    let device = device(&state, &headers).await?;
    // A desk that knows another epoch pushes to a hub restored from a backup: what it sends
    // now may build on what the hub lost, so it first asks for the heads and sends that again.
    if let Some(known) = headers
        .get(onewindow_proto::EPOCH_HEADER)
        .and_then(|v| v.to_str().ok())
        && !state.epoch.is_empty()
        && known != &*state.epoch
    {
        tracing::warn!(device = %device, "push from a desk of another epoch refused: the hub was restored");
        return Err(HttpError::new(
            StatusCode::CONFLICT,
            ApiErrorCode::EpochChanged,
            "中心已从备份恢复：本窗口将先补发中心缺少的记录，再继续上传",
        ));
    }
    let Json(req) = body?;
    if req.ops.len() > MAX_OPS_PER_BATCH {
        return Err(HttpError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            ApiErrorCode::TooManyOps,
            format!("at most {MAX_OPS_PER_BATCH} ops per batch"),
        ));
    }
    if let Some(bad) = req
        .ops
        .iter()
        .find(|o| o.op_id.is_empty() || o.op_id.len() > 64 || o.kind.len() > 64)
    {
        return Err(HttpError::new(
            StatusCode::BAD_REQUEST,
            ApiErrorCode::BadOp,
            format!(
                "op id or kind is empty or too long (seq {})",
                bad.device_seq
            ),
        ));
    }
    let results = state
        .with_store(move |s| s.apply_ops(&device, &req.ops, clock.now()))
        .await?;
    state.metrics.ops(&results);
    Ok(Json(PushResponse { results }))
}

/// `GET /v1/heads`: the epoch and what this database holds of the device's ops and audit
/// records.
async fn heads(
    State(state): State<HubState>,
    headers: HeaderMap,
) -> Result<Json<onewindow_proto::DeviceHeads>, HttpError> {
    let device = device(&state, &headers).await?;
    // The streams as the restore left them (not as far as the hub has numbered since), so a
    // desk that had followed one further gets every change made after the restore.
    let (heads, restored, now) = state
        .with_store(move |s| Ok((s.device_heads(&device)?, s.restored()?, s.stream_heads()?)))
        .await?;
    let (restored_from, streams) = match restored {
        Some((from, heads)) if !heads.is_empty() => (Some(from), heads),
        Some((from, _)) => (Some(from), now.into_iter().collect()),
        None => (None, now.into_iter().collect()),
    };
    Ok(Json(onewindow_proto::DeviceHeads {
        epoch: state.epoch.to_string(),
        last_device_seq: heads.last_device_seq,
        audit_seq: heads.audit_seq,
        streams,
        restored_from,
    }))
}

/// `GET /apt/{path}`: a file of the desks' APT repository (`publish-desk`), to anyone: it
/// holds the desk's package and the signed index, nothing private. Streamed from the file, so
/// a county's desks fetching a package at once cost the hub a buffer each, not the package.
async fn apt_file(
    State(state): State<HubState>,
    Path(path): Path<String>,
) -> Result<axum::response::Response, HttpError> {
    let missing = || {
        HttpError::new(
            StatusCode::NOT_FOUND,
            ApiErrorCode::NotFound,
            "no such file",
        )
    };
    let data = state.data_dir.clone().ok_or_else(missing)?;
    let file = crate::apt::repository_file(&data, &path).ok_or_else(missing)?;
    let file = tokio::fs::File::open(&file).await.map_err(|_| missing())?;
    let size = file.metadata().await.map_err(|_| missing())?.len();
    let kind = if path.ends_with(".deb") {
        "application/vnd.debian.binary-package"
    } else if path.ends_with(".gpg") {
        "application/octet-stream"
    } else {
        "text/plain; charset=utf-8"
    };
    // 64 KiB a read: a package goes out in a few hundred chunks, not thousands of 4 KiB ones.
    let body =
        axum::body::Body::from_stream(tokio_util::io::ReaderStream::with_capacity(file, 64 * 1024));
    Ok((
        [
            (axum::http::header::CONTENT_TYPE, kind.to_string()),
            (axum::http::header::CONTENT_LENGTH, size.to_string()),
        ],
        body,
    )
        .into_response())
}

/// Every answer says the hub's epoch ([`onewindow_proto::EPOCH_HEADER`]).
async fn epoch_header(
    State(state): State<HubState>,
    mut response: axum::response::Response,
) -> axum::response::Response {
    if let Ok(v) = axum::http::HeaderValue::from_str(&state.epoch) {
        response
            .headers_mut()
            .insert(onewindow_proto::EPOCH_HEADER, v);
    }
    response
}

fn blob_id(sha: &str) -> Result<(), HttpError> {
    if is_sha256(sha) {
        Ok(())
    } else {
        Err(HttpError::new(
            StatusCode::BAD_REQUEST,
            ApiErrorCode::BadBlobId,
            "blob id must be a lowercase hex SHA-256",
        ))
    }
}

async fn blob_state(
    State(state): State<HubState>,
    headers: HeaderMap,
    Path(sha): Path<String>,
) -> Result<Json<BlobState>, HttpError> {
    let device = device(&state, &headers).await?;
    blob_id(&sha)?;
    Ok(Json(
        state
            .with_store(move |s| s.blob_state(&device, &sha))
            .await?,
    ))
}

async fn put_blob(
    State(state): State<HubState>,
    headers: HeaderMap,
    Path(sha): Path<String>,
    q: Result<Query<BlobChunkQuery>, QueryRejection>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<BlobState>, HttpError> {
    let clock = state.clock();
    let device = device(&state, &headers).await?;
    blob_id(&sha)?;
    let Query(q) = q?;
    let bytes = body?;
    let (offset, size, len) = (q.offset, q.size, bytes.len() as u64);
    let (store, dir, id) = (state.store.clone(), state.blobs.clone(), sha.clone());
    // One request at a time works on a device's upload of a blob, in this process or any
    // other sharing the blob folder (a lock on a file beside the partial one). The file work
    // and the final hash run outside the store, so a 200 MB blob being checked does not stall
    // the other desks. The whole chunk runs in one task that finishes even if the request
    // goes away, and the blob stays taken until it does.
    let span = tracing::Span::current();
    let done = tokio::task::spawn_blocking(move || {
        let _request = span.enter();
        let Some(lease) = dir.take_upload(&device, &sha)? else {
            return Ok(None);
        };
        let lock = || store.get();
        if let Some(done) = lock()?.blob_chunk_check(&device, &sha, offset, size, len)? {
            lease.finish();
            return Ok(Some(done));
        }
        let written =
            crate::store_blob::write_blob_chunk(&dir, &device, &sha, offset, size, &bytes);
        let done =
            lock()?.blob_chunk_record(&device, &sha, offset, size, len, written, clock.now());
        // The upload is over (complete, or its bytes dropped on a mismatch): its lock file goes.
        if matches!(&done, Ok(d) if d.complete)
            || matches!(&done, Err(crate::store::HubStoreError::BlobMismatch(_)))
        {
            lease.finish();
        }
        Ok::<_, crate::store::HubStoreError>(Some(done?))
    })
    .await
    .map_err(|e| HttpError::internal(format!("blob task failed: {e}")))?
    .map_err(HttpError::from)?;
    match done {
        Some(done) => {
            state.metrics.blob_bytes(len);
            Ok(Json(done))
        }
        None => Err(HttpError::new(
            StatusCode::CONFLICT,
            ApiErrorCode::BlobBusy,
            format!("blob {id} is being written by another request; ask for its offset and retry"),
        )),
    }
}

async fn desk_login(
    State(state): State<HubState>,
    headers: HeaderMap,
    body: Result<Json<onewindow_proto::LoginRequest>, JsonRejection>,
) -> Result<Json<onewindow_proto::LoginAnswer>, HttpError> {
    let clock = state.clock();
    let device = device(&state, &headers).await?;
    let Json(req) = body?;
    if req.name.len() > 100 || req.password.len() > 200 {
        return Err(HttpError::new(
            StatusCode::BAD_REQUEST,
            ApiErrorCode::BadRequest,
            "name or password too long",
        ));
    }
    let name = req.name.trim().to_string();
    let now = clock.now();
    let from = crate::auth::SignInFrom::Desk(device.clone());
    match crate::auth::check_password(&state, &name, req.password, from).await? {
        SignInCheck::Good(u) => {
            tracing::info!(user = %u.name, "desk login");
            let who = u.name.clone();
            let session = state
                .with_store(move |s| s.open_desk_session(&device, &who, clock.now()))
                .await?;
            Ok(Json(onewindow_proto::LoginAnswer {
                name: u.name,
                role: u.role,
                domains: u.domains,
                session: Some(session),
            }))
        }
        SignInCheck::Wrong(after) => {
            tracing::warn!(user = %name, failures = after.failures, "desk login refused");
            Err(HttpError::new(
                StatusCode::UNAUTHORIZED,
                ApiErrorCode::BadLogin,
                onewindow_domain::login::wrong_password_message(&after),
            ))
        }
        SignInCheck::Locked(until) => {
            tracing::warn!(user = %name, "desk login refused: name locked for this address");
            Err(HttpError::new(
                StatusCode::TOO_MANY_REQUESTS,
                ApiErrorCode::LoginLocked,
                onewindow_domain::login::locked_message(until),
            )
            .retry_after(crate::auth::retry_after(until, now)))
        }
        SignInCheck::Throttled(until) => {
            tracing::warn!(%device, "desk login refused: desk throttled");
            Err(HttpError::new(
                StatusCode::TOO_MANY_REQUESTS,
                ApiErrorCode::LoginLocked,
                onewindow_domain::login::throttled_message(until),
            )
            .retry_after(crate::auth::retry_after(until, now)))
        }
    }
}

/// The results stream of the asking device. With `?wait=S` and nothing past the cursor, the
/// request waits up to `S` seconds for a result of the device, recorded through this process
/// or any other on the database, and answers the moment one is (push by long poll).
async fn results(
    State(state): State<HubState>,
    headers: HeaderMap,
    q: Result<Query<ChangesQuery>, QueryRejection>,
    w: Result<Query<onewindow_proto::WaitQuery>, QueryRejection>,
) -> Result<Json<onewindow_proto::ResultChanges>, HttpError> {
    let device = device(&state, &headers).await?;
    let (cursor, limit) = page_query(q)?;
    let Query(w) = w?;
    let wait = w.wait.unwrap_or(0);
    if wait > onewindow_proto::MAX_RESULTS_WAIT_S {
        return Err(HttpError::new(
            StatusCode::BAD_REQUEST,
            ApiErrorCode::BadQuery,
            format!(
                "wait must be 0..={} seconds, got {wait}",
                onewindow_proto::MAX_RESULTS_WAIT_S
            ),
        ));
    }
    let read =
        |device: String| state.with_store(move |s| s.results_for_device(&device, cursor, limit));
    if wait == 0 {
        return Ok(Json(read(device).await?));
    }
    // Registered before the read: a result recorded between the read and the wait wakes it.
    let waiter = state.notices.wait_for_results(&device);
    let woken = waiter.notify().notified();
    tokio::pin!(woken);
    woken.as_mut().enable();
    let page = read(device.clone()).await?;
    if !page.results.is_empty() {
        return Ok(Json(page));
    }
    tokio::select! {
        () = woken => {}
        () = tokio::time::sleep(std::time::Duration::from_secs(wait.into())) => return Ok(Json(page)),
        () = state.stopping() => return Ok(Json(page)),
    }
    Ok(Json(read(device).await?))
}

/// A result file of one of this device's cases (the desk prints it at 出件).
async fn result_file(
    State(state): State<HubState>,
    headers: HeaderMap,
    Path(sha): Path<String>,
) -> Result<Response, HttpError> {
    let device = device(&state, &headers).await?;
    blob_id(&sha)?;
    let s2 = sha.clone();
    if !state
        .with_store(move |s| s.device_may_fetch_result_file(&device, &s2))
        .await?
    {
        return Err(HttpError::new(
            StatusCode::NOT_FOUND,
            ApiErrorCode::NotFound,
            "no result file with that id on this desk's cases",
        ));
    }
    let blobs = state.blob_dir().clone();
    let bytes = tokio::task::spawn_blocking(move || blobs.read(&sha))
        .await
        .map_err(|e| HttpError::internal(format!("read task failed: {e}")))?
        .map_err(|e| HttpError::internal(format!("result file unreadable: {e}")))?;
    Ok((
        [(axum::http::header::CONTENT_TYPE, "application/pdf")],
        bytes,
    )
        .into_response())
}

async fn receive_audit(
    State(state): State<HubState>,
    headers: HeaderMap,
    body: Result<Json<onewindow_proto::AuditPush>, JsonRejection>,
) -> Result<Json<onewindow_proto::AuditHead>, HttpError> {
    let clock = state.clock();
    let device = device(&state, &headers).await?;
    let Json(push) = body?;
    if push.records.len() > onewindow_proto::MAX_AUDIT_BATCH {
        return Err(HttpError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            ApiErrorCode::TooManyRecords,
            format!(
                "at most {} audit records per push",
                onewindow_proto::MAX_AUDIT_BATCH
            ),
        ));
    }
    match state
        .with_store(move |s| s.receive_audit(&device, &push.records, clock.now()))
        .await?
    {
        crate::store_audit::AuditReceipt::Taken { seq, hash } => {
            Ok(Json(onewindow_proto::AuditHead { seq, hash }))
        }
        crate::store_audit::AuditReceipt::Broken { seq, reason } => Err(HttpError::new(
            StatusCode::CONFLICT,
            ApiErrorCode::AuditChainBroken,
            format!("audit record {seq}: {reason}"),
        )),
    }
}

async fn not_found() -> HttpError {
    HttpError::new(
        StatusCode::NOT_FOUND,
        ApiErrorCode::NotFound,
        "no such endpoint",
    )
}

pub fn router(state: HubState) -> Router {
    Router::new()
        .route(paths::HEALTHZ, get(healthz))
        .route(paths::READYZ, get(readyz))
        .route(paths::METRICS, get(metrics))
        .route(paths::CATALOG_CHANGES, get(catalog_changes))
        .route(paths::CALENDAR_CHANGES, get(calendar_changes))
        .route(
            paths::QUEUE_CONFIG_CHANGES,
            get(crate::server_queue::queue_config_changes),
        )
        .route(paths::CENTRE_SCOPE, get(crate::server_queue::centre_scope))
        .route(paths::DUE_CASES, get(crate::due::for_desk))
        .route("/office/due", get(crate::due::page))
        .route("/office/refusals", get(crate::refusals::list))
        .route(paths::REFUSALS, get(crate::refusals::for_desk))
        .route(
            paths::REFUSAL_ANSWER,
            post(crate::refusals::answer_from_desk),
        )
        .route("/office/unresolved", get(crate::unresolved::list))
        .route("/office/unresolved/{id}", post(crate::unresolved::act))
        .route(
            "/kiosk/unresolved",
            get(crate::unresolved::kiosk_form).post(crate::unresolved::kiosk_submit),
        )
        .route("/office/refusals/{number}", post(crate::refusals::answer))
        .route(
            paths::QUEUE_CALL_NEXT,
            post(crate::server_queue::queue_call_next),
        )
        .route(paths::QUEUE_STEP, post(crate::server_queue::queue_step))
        .route(paths::QUEUE_WINDOW, post(crate::server_queue::queue_window))
        .route(paths::QUEUE_BOARD, get(crate::server_queue::queue_board))
        .route(
            paths::QUEUE_WALK_IN,
            post(crate::server_queue::queue_walk_in),
        )
        .route(paths::QUEUE_LINK, post(crate::server_queue::queue_link))
        .route(paths::QUEUE_RATING, post(crate::server_queue::queue_rating))
        .route(paths::QUEUE_MINE, get(crate::server_queue::queue_mine))
        .route("/office/ratings", get(crate::ratings::list))
        .route(
            "/office/ratings/{id}/advance",
            post(crate::ratings::advance),
        )
        .route("/kiosk", get(crate::hall::kiosk))
        .route("/kiosk/tickets", post(crate::hall::take_ticket))
        .route("/kiosk/appointments", post(crate::hall::check_in))
        .route("/kiosk/tickets/{id}", get(crate::hall::slip))
        .route("/kiosk/pair/{code}", get(crate::hall::pair))
        .route("/display", get(crate::hall::display))
        .route("/display/{centre}", get(crate::hall::centre_display))
        .route(
            "/display/{centre}/events",
            get(crate::hall::centre_display_events),
        )
        .route("/office/hall", get(crate::tidal::hall))
        .route("/office/figures", get(crate::figures::figures_page))
        .route("/office/figures.xlsx", get(crate::figures::figures_export))
        .route("/office/hall/reassign", post(crate::tidal::reassign))
        .route("/display/events", get(crate::hall::display_events))
        .route(paths::ELICENCES_LOOKUP, post(elicences_lookup))
        .route(paths::LOGOUT, post(desk_logout))
        .route(paths::AUDIT_KEY, post(register_audit_key))
        .route(paths::ENROL, post(enrol))
        .route(paths::RESULTS, get(results))
        .route(paths::LOGIN, post(desk_login))
        .route(paths::AUDIT, post(receive_audit))
        .route("/office/audit", get(crate::office_audit::audit_page))
        .route(paths::PROGRESS, get(crate::office::progress))
        .route("/office", get(crate::office::list))
        .route(
            "/office/login",
            get(crate::office::login_page).post(crate::office::login),
        )
        .route("/office/logout", post(crate::office::logout))
        .route("/office/cases/{number}", get(crate::office::detail))
        .route(
            "/office/cases/{number}/decide",
            post(crate::office::decide).layer(DefaultBodyLimit::max(
                onewindow_proto::MAX_RESULT_FILE + 64 * 1024,
            )),
        )
        .route(
            &format!("{}/{{sha}}", paths::RESULT_FILES),
            get(result_file),
        )
        .route("/office/blobs/{sha}", get(crate::office::blob))
        .route(
            paths::OPS,
            post(push_ops).layer(DefaultBodyLimit::max(MAX_OPS_BODY)),
        )
        .route(paths::HEADS, get(heads))
        .route("/apt/{*path}", get(apt_file))
        .route(
            &format!("{}/{{sha}}", paths::BLOBS),
            get(blob_state)
                .put(put_blob)
                .layer(DefaultBodyLimit::max(MAX_CHUNK)),
        )
        .route("/assets/{name}", get(crate::pages::asset))
        // Every route above is timed and counted by its pattern (`/metrics`).
        .route_layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::metrics::track,
        ))
        .fallback(not_found)
        .layer(axum::middleware::map_response_with_state(
            state.clone(),
            epoch_header,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::compat::desk_gate,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::web::guard,
        ))
        // Outermost: every request, refused ones too, has its id and its access line.
        .layer(axum::middleware::from_fn(crate::metrics::request_log))
        .with_state(state)
}
