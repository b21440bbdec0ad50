//! Push: the outbox's ops to the hub in batches cut by the size of their files, each op's
//! files first on the resumable blob lane (`upload_blob`), and the audit chain (`push_audit`).

use super::*;

/// Where a push batch ends by the size of the files its ops carry.
pub const BATCH_BLOB_BYTES: u64 = 16 * 1024 * 1024;

/// What one push did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PushReport {
    pub applied: u32,
    pub duplicate: u32,
    pub rejected: u32,
    pub waiting: u32,
    pub blobs_uploaded: u32,
    pub bytes_uploaded: u64,
    /// Ops of kinds the hub does not serve yet (an older hub), kept for after its upgrade.
    pub held_for_hub: u32,
}

/// What an op refers to, read from its payload once: the blobs it needs on the hub first
/// ([`onewindow_proto::OpBody::blobs`]) and its case. Nothing when the payload cannot be read
/// (the hub rejects it, with the reason).
struct Refs {
    blobs: Vec<String>,
    case: Option<String>,
}

fn refs(op: &Op) -> Refs {
    match op.body() {
        Ok(b) => Refs {
            blobs: b.blobs().into_iter().map(str::to_string).collect(),
            case: b.case_id().map(str::to_string),
        },
        Err(_) => Refs {
            blobs: vec![],
            case: None,
        },
    }
}

/// The attachment lane: sends one blob from the offset the hub reports, in chunks of at most
/// 8 MiB, at most `throttle` bytes per second when set. A resumed upload re-sends at most the
/// chunk that was in flight.
pub async fn upload_blob(
    client: &HubClient,
    sha: &str,
    blobs: &IntakeConfig,
    throttle: Option<u64>,
) -> Result<u64, SyncError> {
    let io = |e: std::io::Error| SyncError::Store(StoreError::BadInput(format!("blob {sha}: {e}")));
    let size = blobs.blob_len(sha).map_err(io)?;
    // A blob of one chunk is simply sent (the hub answers 409 with nothing written when it
    // holds part of it, and "complete" when it has it all); a larger one asks for the offset
    // first, so a resumed upload re-sends at most the chunk that was in flight.
    let mut state = if size <= MAX_CHUNK as u64 {
        BlobState {
            offset: 0,
            complete: false,
        }
    } else {
        client.blob_state(sha).await?
    };
    if state.complete {
        return Ok(0);
    }
    let mut sent = 0;
    while !state.complete {
        let len = (size.saturating_sub(state.offset)).min(MAX_CHUNK as u64) as usize;
        let (b, s, offset) = (blobs.clone(), sha.to_string(), state.offset);
        // Only the segments of this chunk are read and opened.
        let buf = tokio::task::spawn_blocking(move || b.read_blob_range(&s, offset, len))
            .await
            .map_err(|e| SyncError::Task(e.to_string()))?
            .map_err(io)?;
        let started = std::time::Instant::now();
        state = match client.put_chunk(sha, state.offset, size, buf).await {
            Ok(s) => {
                sent += len as u64;
                failpoint("upload.after_chunk");
                s
            }
            // Someone (an earlier attempt) got further: carry on from where the hub is.
            Err(SyncError::Hub {
                code: ApiErrorCode::BlobOffset,
                ..
            }) => client.blob_state(sha).await?,
            // An earlier attempt's request is still being written on the hub: let it finish.
            Err(SyncError::Hub {
                code: ApiErrorCode::BlobBusy,
                ..
            }) => {
                tokio::time::sleep(Duration::from_millis(200)).await;
                client.blob_state(sha).await?
            }
            Err(e) => return Err(e),
        };
        if let Some(rate) = throttle.filter(|r| *r > 0) {
            let due = Duration::from_secs_f64(len as f64 / rate as f64);
            if let Some(wait) = due.checked_sub(started.elapsed()) {
                tokio::time::sleep(wait).await;
            }
        }
    }
    Ok(sent)
}

/// Drains the outbox: first the blobs pending ops refer to (the attachment lane), then the ops
/// in batches, recording each answer. Rejected ops stay for the clerk and never block the ones
/// behind them. Interrupted anywhere, the next push picks up where the hub is.
#[tracing::instrument(skip_all, fields(hub = client.base_url()))]
pub async fn push_outbox(
    client: &HubClient,
    store: &Arc<Mutex<Store>>,
    blobs: &IntakeConfig,
    throttle: Option<u64>,
) -> Result<PushReport, SyncError> {
    use onewindow_store::push::Answer;
    let mut report = PushReport::default();
    let mut after_seq = 0;
    // Pushes name the hub's epoch this desk knows; a hub restored from a backup refuses them
    // until the desk has given back what it lost (once per push).
    let mut client = follow_epoch(client, store).await?;
    let mut rejoined = false;
    // Ops of kinds the hub does not know yet (a newer desk, an older hub) wait until it
    // names a protocol that has them; asked once when nothing has answered yet.
    if client.hub_release().protocol.is_none() {
        client.health().await?;
    }
    let hub_protocol = client.hub_release().protocol.unwrap_or(1);
    // Cases with an op still waiting for its files: their later ops wait too, so none of them
    // reaches the hub before the case does.
    let mut held_cases: std::collections::BTreeSet<String> = Default::default();
    loop {
        let batch: Vec<Op> = blocking(store, move |s| s.pending_ops_after(after_seq, 200))
            .await?
            .into_iter()
            .map(|o| Op {
                op_id: o.op_id,
                device_seq: o.device_seq,
                schema_version: o.schema_version,
                kind: o.kind,
                payload: o.payload,
            })
            .collect();
        // Heavy ops go in smaller batches, so answers flow back while scans upload: a batch
        // ends once its files pass BATCH_BLOB_BYTES (small ops still go 200 at a time).
        let read: Vec<Refs> = batch.iter().map(refs).collect();
        let mut batch_bytes = 0u64;
        let mut cut = batch.len();
        for (i, r) in read.iter().enumerate() {
            batch_bytes += r
                .blobs
                .iter()
                .filter_map(|sha| blobs.blob_len(sha).ok())
                .sum::<u64>();
            if batch_bytes > BATCH_BLOB_BYTES {
                cut = i + 1;
                break;
            }
        }
        let Some(last) = batch[..cut].last().map(|o| o.device_seq) else {
            return Ok(report);
        };
        let (batch, read): (Vec<Op>, Vec<Refs>) = batch
            .into_iter()
            .zip(read)
            .take(cut)
            .filter(|(op, r)| {
                if r.case.as_ref().is_some_and(|c| held_cases.contains(c)) {
                    return false;
                }
                let known = onewindow_proto::OpKind::parse(&op.kind)
                    .is_none_or(|k| k.since() <= hub_protocol);
                if !known {
                    report.held_for_hub += 1;
                    // The case's later ops wait behind it.
                    if let Some(case) = &r.case {
                        held_cases.insert(case.clone());
                    }
                }
                known
            })
            .unzip();
        if batch.is_empty() {
            after_seq = last;
            continue;
        }
        let mut needed: Vec<String> = read.iter().flat_map(|r| r.blobs.clone()).collect();
        needed.sort();
        needed.dedup();
        for sha in &needed {
            match blobs.blob_path(sha) {
                Some(path) if path.exists() => {
                    match upload_blob(&client, sha, blobs, throttle).await {
                        Ok(sent) => {
                            if sent > 0 {
                                report.blobs_uploaded += 1;
                                report.bytes_uploaded += sent;
                            }
                        }
                        // The hub refused this blob (e.g. the local copy is damaged): its ops wait,
                        // the others go on.
                        Err(SyncError::Hub { code, .. })
                            if code != ApiErrorCode::BadToken
                                && code != ApiErrorCode::DeviceRevoked =>
                        {
                            tracing::error!(blob = %sha, code = %code, "blob refused by the hub");
                        }
                        // This desk's copy cannot be read (damaged, or sealed with a key
                        // the desk no longer has): its ops wait and say so; the others go on.
                        Err(SyncError::Store(StoreError::BadInput(why))) => {
                            tracing::error!(blob = %sha, error = %why, "blob unreadable on this desk");
                        }
                        Err(e) => return Err(e),
                    }
                }
                // The hub will answer waiting_for_blob; the clerk sees the op stay pending.
                _ => {
                    tracing::error!(blob = %sha, "a pending op refers to a blob missing on this desk")
                }
            }
        }
        let answer = match client.push_ops(&batch).await {
            Err(SyncError::Hub {
                code: ApiErrorCode::EpochChanged,
                ..
            }) if !rejoined => {
                rejoin(&client, store).await?;
                rejoined = true;
                client = follow_epoch(&client, store).await?;
                after_seq = 0;
                held_cases.clear();
                report.held_for_hub = 0;
                continue;
            }
            answer => answer?,
        };
        // The hub has committed; the desk has not yet recorded the answers.
        failpoint("push.after_hub_commit");
        let mut answers = Vec::new();
        for r in answer.results {
            match r.status {
                OpStatus::Applied => {
                    report.applied += 1;
                    answers.push((r.op_id, Answer::Applied, None));
                }
                OpStatus::Duplicate => {
                    report.duplicate += 1;
                    answers.push((r.op_id, Answer::Duplicate, None));
                }
                OpStatus::Rejected => {
                    report.rejected += 1;
                    answers.push((r.op_id, Answer::Rejected, r.reason));
                }
                OpStatus::WaitingForBlob => {
                    report.waiting += 1;
                    if let Some(case) = batch
                        .iter()
                        .position(|o| o.op_id == r.op_id)
                        .and_then(|i| read[i].case.clone())
                    {
                        held_cases.insert(case);
                    }
                }
            }
        }
        blocking(store, move |s| s.record_answers(&answers, s.now())).await?;
        // Ops still waiting stay pending for the next round; go on past them.
        after_seq = last;
    }
}

/// The client to push with, naming the hub's epoch this desk knows. The epoch the hub's last
/// answer named is kept the first time; when it differs from the one kept, the hub was
/// restored from a backup and [`rejoin`] runs first.
pub async fn follow_epoch(
    client: &HubClient,
    store: &Arc<Mutex<Store>>,
) -> Result<HubClient, SyncError> {
    let known = blocking(store, |s| s.hub_epoch()).await?;
    let known = match (known, client.seen_epoch()) {
        (Some(known), Some(seen)) if known != seen => {
            rejoin(client, store).await?;
            blocking(store, |s| s.hub_epoch()).await?
        }
        (None, Some(seen)) => {
            let kept = seen.clone();
            blocking(store, move |s| s.set_hub_epoch(&kept)).await?;
            Some(seen)
        }
        (known, _) => known,
    };
    Ok(client.with_epoch(known))
}

/// The hub was restored from a backup: asks what it holds of this desk's history, and makes
/// what it lacks go again (`Store::rejoin_restored_hub`).
pub async fn rejoin(
    client: &HubClient,
    store: &Arc<Mutex<Store>>,
) -> Result<onewindow_store::rejoin::Rejoined, SyncError> {
    let heads = client.heads().await?;
    let (epoch, last_seq) = (heads.epoch.clone(), heads.last_device_seq);
    let rejoined = blocking(store, move |s| s.rejoin_restored_hub(&heads)).await?;
    tracing::warn!(
        epoch = %epoch,
        hub_last_seq = last_seq,
        ops_to_resend = rejoined.ops_to_resend,
        "the hub was restored from a backup: the acknowledged ops it lacks go again"
    );
    Ok(rejoined)
}

/// Sends the audit records the hub does not have yet, in batches, each acknowledged before
/// the next; how many were sent. A broken chain is the hub's `audit_chain_broken` error.
/// Each record leaves signed with the desk's key, once it has one (the key and the cache's key
/// live in the same OS keyring, so signing as a record leaves guards it as well as signing as
/// it is written, and keeps the signature out of every state change's transaction).
pub async fn push_audit(
    client: &HubClient,
    store: &std::sync::Arc<std::sync::Mutex<Store>>,
    signer: Option<&onewindow_domain::audit::AuditSigner>,
) -> Result<usize, SyncError> {
    let mut sent = 0;
    loop {
        let mut batch = {
            let s = store.lock().unwrap_or_else(|p| p.into_inner());
            s.audit_unsent(500)?
        };
        if let Some(key) = signer {
            batch.iter_mut().for_each(|r| key.sign(r));
        }
        let Some(last) = batch.last().map(|r| r.seq) else {
            return Ok(sent);
        };
        let head = client.push_audit_batch(&batch).await?;
        if head.seq < last {
            return Err(SyncError::BadResponse(format!(
                "the hub acknowledged audit record {} of {last}",
                head.seq
            )));
        }
        store
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .audit_sent(head.seq)?;
        sent += batch.len();
    }
}
