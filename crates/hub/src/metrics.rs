//! What a hub process has done, for Prometheus (`GET /metrics`, text format 0.0.4): requests by
//! route, method and status with their durations, ops applied, duplicate and rejected, blob
//! bytes received, display streams open, desks waiting for results, the store's connections,
//! tickets waiting per centre and the blob folder's free space. Counters are this process's
//! since it started (Prometheus sums a county's processes).

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::Duration;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;

use crate::state::HubState;

/// Upper bounds (seconds) of the request duration histogram's buckets.
const BUCKETS: [f64; 12] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];

#[derive(Default, Clone)]
struct Timings {
    /// Requests at or under each bucket's bound (not cumulative; summed when written).
    buckets: [u64; BUCKETS.len()],
    count: u64,
    seconds: f64,
}

/// This process's counters.
#[derive(Default)]
pub struct Metrics {
    requests: Mutex<BTreeMap<(String, String, u16), Timings>>,
    ops: [AtomicU64; 4],
    blob_bytes: AtomicU64,
    display_streams: AtomicI64,
}

/// What became of an op, as counted.
pub const OP_OUTCOMES: [&str; 4] = ["applied", "duplicate", "rejected", "waiting_for_blob"];

impl Metrics {
    fn request(&self, route: &str, method: &str, status: u16, took: Duration) {
        let secs = took.as_secs_f64();
        let mut requests = self.requests.lock().unwrap_or_else(|p| p.into_inner());
        let key = (route.to_string(), method.to_string(), status);
        let t = requests.entry(key).or_default();
        t.count += 1;
        t.seconds += secs;
        if let Some(i) = BUCKETS.iter().position(|b| secs <= *b) {
            t.buckets[i] += 1;
        }
    }

    /// Counts the outcomes of a pushed batch.
    pub(crate) fn ops(&self, results: &[onewindow_proto::OpResult]) {
        use onewindow_proto::OpStatus;
        for r in results {
            let i = match r.status {
                OpStatus::Applied => 0,
                OpStatus::Duplicate => 1,
                OpStatus::Rejected => 2,
                _ => 3,
            };
            self.ops[i].fetch_add(1, Ordering::Relaxed);
        }
    }

    pub(crate) fn blob_bytes(&self, n: u64) {
        self.blob_bytes.fetch_add(n, Ordering::Relaxed);
    }

    /// A display stream opened; closed when the guard drops.
    pub(crate) fn display_stream(self: &std::sync::Arc<Self>) -> DisplayStream {
        self.display_streams.fetch_add(1, Ordering::Relaxed);
        DisplayStream(self.clone())
    }
}

/// An open display stream, counted while it lives.
pub(crate) struct DisplayStream(std::sync::Arc<Metrics>);

impl Drop for DisplayStream {
    fn drop(&mut self) {
        self.0.display_streams.fetch_sub(1, Ordering::Relaxed);
    }
}

/// The route pattern a request matched, handed out on its response for the access log.
#[derive(Clone)]
struct Route(String);

/// Times every routed request (by its route's pattern, never its path: ids stay out).
pub async fn track(State(state): State<HubState>, req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_string(), |p| p.as_str().to_string());
    // A client may send any method: only the ones HTTP defines get a series of their own.
    let method = match req.method().as_str() {
        m @ ("GET" | "HEAD" | "POST" | "PUT" | "DELETE" | "PATCH" | "OPTIONS") => m,
        _ => "other",
    }
    .to_string();
    let started = std::time::Instant::now();
    let mut response = next.run(req).await;
    state.metrics.request(
        &route,
        &method,
        response.status().as_u16(),
        started.elapsed(),
    );
    response.extensions_mut().insert(Route(route));
    response
}

/// Gives every request an id (`x-request-id` on its answer) and runs it inside a span that
/// carries it, so every line logged for it — on the store's threads too — has it; then writes
/// the request's one access line (method, route pattern, status, milliseconds to its answer's
/// head; never a path or a query, which may hold ids).
pub async fn request_log(req: Request, next: Next) -> Response {
    use tracing::Instrument;
    let mut id = [0u8; 8];
    getrandom::fill(&mut id).expect("the OS random source works");
    let id: String = id.iter().map(|b| format!("{b:02x}")).collect();
    // At ERROR level so the span is on under any filter: a warning must name its request.
    let span = tracing::span!(tracing::Level::ERROR, "request", request_id = %id);
    let method = req.method().clone();
    let started = std::time::Instant::now();
    let mut response = next.run(req).instrument(span.clone()).await;
    let route = response
        .extensions()
        .get::<Route>()
        .map_or("unmatched", |r| r.0.as_str());
    span.in_scope(|| {
        tracing::info!(
            target: "onewindow_hub::access",
            method = %method,
            route,
            status = response.status().as_u16(),
            ms = started.elapsed().as_millis() as u64,
            "request"
        );
    });
    if let Ok(v) = axum::http::HeaderValue::from_str(&id) {
        response.headers_mut().insert("x-request-id", v);
    }
    response
}

/// A label value, escaped as the text format wants.
fn label(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

fn head(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
}

/// A family of one sample with no labels.
fn scalar(out: &mut String, name: &str, kind: &str, help: &str, value: impl std::fmt::Display) {
    head(out, name, kind, help);
    let _ = writeln!(out, "{name} {value}");
}

/// The whole exposition. `waiting` is the store's tickets waiting per centre (none when the
/// store did not answer), `free` the blob folder's free bytes.
pub(crate) fn render(
    state: &HubState,
    waiting: Option<Vec<(String, i64)>>,
    free: Option<u64>,
) -> String {
    let m = &state.metrics;
    let mut out = String::new();
    head(
        &mut out,
        "onewindow_hub_http_requests_total",
        "counter",
        "Requests answered, by route, method and status.",
    );
    // Copied under the lock, written after: a scrape never holds up the requests it counts.
    let requests: Vec<((String, String, u16), Timings)> = m
        .requests
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .iter()
        .map(|(k, t)| (k.clone(), t.clone()))
        .collect();
    for ((route, method, status), t) in requests.iter() {
        let _ = writeln!(
            out,
            "onewindow_hub_http_requests_total{{route=\"{}\",method=\"{method}\",status=\"{status}\"}} {}",
            label(route),
            t.count
        );
    }
    head(
        &mut out,
        "onewindow_hub_http_request_duration_seconds",
        "histogram",
        "How long requests took to answer, by route, method and status.",
    );
    for ((route, method, status), t) in requests.iter() {
        let labels = format!(
            "route=\"{}\",method=\"{method}\",status=\"{status}\"",
            label(route)
        );
        let mut cumulative = 0;
        for (b, n) in BUCKETS.iter().zip(t.buckets) {
            cumulative += n;
            let _ = writeln!(
                out,
                "onewindow_hub_http_request_duration_seconds_bucket{{{labels},le=\"{b}\"}} {cumulative}"
            );
        }
        let _ = writeln!(
            out,
            "onewindow_hub_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}\n\
             onewindow_hub_http_request_duration_seconds_sum{{{labels}}} {}\n\
             onewindow_hub_http_request_duration_seconds_count{{{labels}}} {}",
            t.count, t.seconds, t.count
        );
    }
    head(
        &mut out,
        "onewindow_hub_ops_total",
        "counter",
        "Ops desks pushed, by what became of them.",
    );
    for (outcome, n) in OP_OUTCOMES.iter().zip(&m.ops) {
        let _ = writeln!(
            out,
            "onewindow_hub_ops_total{{outcome=\"{outcome}\"}} {}",
            n.load(Ordering::Relaxed)
        );
    }
    scalar(
        &mut out,
        "onewindow_hub_blob_bytes_received_total",
        "counter",
        "Bytes of scans and result files received in chunks.",
        m.blob_bytes.load(Ordering::Relaxed),
    );
    scalar(
        &mut out,
        "onewindow_hub_display_streams",
        "gauge",
        "Hall display event streams open on this process.",
        m.display_streams.load(Ordering::Relaxed),
    );
    scalar(
        &mut out,
        "onewindow_hub_results_waiting",
        "gauge",
        "Desks waiting on this process for results (long poll).",
        state.notices.waiting_devices(),
    );
    let (open, busy) = state.store.connections();
    head(
        &mut out,
        "onewindow_hub_store_connections",
        "gauge",
        "The store's connections, open and in use.",
    );
    let _ = writeln!(
        out,
        "onewindow_hub_store_connections{{state=\"open\"}} {open}\n\
         onewindow_hub_store_connections{{state=\"in_use\"}} {busy}"
    );
    if let Some(waiting) = waiting {
        head(
            &mut out,
            "onewindow_hub_tickets_waiting",
            "gauge",
            "Today's tickets waiting to be called, per centre.",
        );
        for (centre, n) in waiting {
            let _ = writeln!(
                out,
                "onewindow_hub_tickets_waiting{{centre=\"{}\"}} {n}",
                label(&centre)
            );
        }
    }
    if let Some(free) = free {
        scalar(
            &mut out,
            "onewindow_hub_storage_free_bytes",
            "gauge",
            "Free bytes on the disk of the hub's blob folder.",
            free,
        );
    }
    out
}
