//! Every op a desk sends through its outbox, typed.
//!
//! On the wire an op stays `{kind, payload}` ([`crate::Op`]): the envelope of a kind this
//! version does not know still travels and is rejected by the hub with its name. Everything
//! that writes or reads a payload goes through [`OpBody`]: the desk builds one and stores
//! [`OpBody::to_payload`]; the hub and the desk's sync read one with [`crate::Op::body`]. The
//! payloads of every protocol version a desk ever wrote (`tests/golden/`) decode into these
//! types and re-encode to the same JSON.
//!
//! Fields the hub never needed were never required: they default when missing (an instant to
//! `None`), so an op from an older desk or a test keeps applying. Desks always write them.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use onewindow_domain::applicant::Applicant;
use onewindow_domain::prereview::Severity;
use onewindow_domain::time::stamped;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::is_sha256;

/// The kinds of op, as named on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum OpKind {
    /// `case.hand_off`: an accepted case goes to back-office approval.
    HandOff,
    /// `case.material_added`: a file put into a case after its hand-off.
    MaterialAdded,
    /// `case.delivered`: the result reached the applicant.
    Delivered,
    /// `case.pledge_checked`: a pledge (告知承诺) was verified.
    PledgeChecked,
    /// `case.material_arrived`: a deferred material (容缺) arrived.
    MaterialArrived,
    /// `case.notice_issued`: a one-time notice (一次性告知) was issued.
    NoticeIssued,
    /// `queue.offline_ticket`: a ticket of the desk's offline queue, as it ended.
    OfflineTicket,
    /// `case.refusal_requested`: the window asks the centre's supervisor to refuse a case
    /// (窗口无否决权).
    RefusalRequested,
    /// `case.refusal_answered`: a supervisor at the desk (take-over) confirmed the refusal or
    /// sent it back.
    RefusalAnswered,
    /// `case.withdrawn`: the applicant withdrew the case at the window.
    Withdrawn,
    /// `unresolved.recorded`: 办不成事, an applicant's unresolved matter recorded at the window.
    UnresolvedRecorded,
    /// `queue.offline_rating`: a rating given after the ticket was reported.
    OfflineRating,
    /// `device.release_reported`: the desk runs another release (the county's upgrade, desk by
    /// desk, as the hub's audit page lists its desks). Protocol 2.
    ReleaseReported,
}

impl OpKind {
    pub const ALL: [OpKind; 13] = [
        OpKind::HandOff,
        OpKind::MaterialAdded,
        OpKind::Delivered,
        OpKind::PledgeChecked,
        OpKind::MaterialArrived,
        OpKind::NoticeIssued,
        OpKind::OfflineTicket,
        OpKind::OfflineRating,
        OpKind::RefusalRequested,
        OpKind::RefusalAnswered,
        OpKind::Withdrawn,
        OpKind::UnresolvedRecorded,
        OpKind::ReleaseReported,
    ];

    /// The protocol ([`crate::PROTOCOL_VERSION`]) that brought this kind: a hub serving an
    /// older one does not know it, and a desk keeps such ops until the hub is upgraded.
    pub const fn since(self) -> u32 {
        match self {
            OpKind::ReleaseReported => 2,
            _ => 1,
        }
    }

    /// The name on the wire and in the outbox.
    pub const fn as_str(self) -> &'static str {
        match self {
            OpKind::HandOff => "case.hand_off",
            OpKind::MaterialAdded => "case.material_added",
            OpKind::Delivered => "case.delivered",
            OpKind::PledgeChecked => "case.pledge_checked",
            OpKind::MaterialArrived => "case.material_arrived",
            OpKind::NoticeIssued => "case.notice_issued",
            OpKind::OfflineTicket => "queue.offline_ticket",
            OpKind::OfflineRating => "queue.offline_rating",
            OpKind::RefusalRequested => "case.refusal_requested",
            OpKind::RefusalAnswered => "case.refusal_answered",
            OpKind::Withdrawn => "case.withdrawn",
            OpKind::UnresolvedRecorded => "unresolved.recorded",
            OpKind::ReleaseReported => "device.release_reported",
        }
    }

    /// The kind named `name` on the wire, if this version knows it.
    pub fn parse(name: &str) -> Option<OpKind> {
        OpKind::ALL.into_iter().find(|k| k.as_str() == name)
    }

    /// For the clerk (the list of ops the hub refused).
    pub const fn label_zh(self) -> &'static str {
        match self {
            OpKind::HandOff => "办件流转",
            OpKind::MaterialAdded => "补充材料",
            OpKind::Delivered => "出件登记",
            OpKind::PledgeChecked => "承诺核查",
            OpKind::MaterialArrived => "容缺补交",
            OpKind::NoticeIssued => "一次性告知",
            OpKind::OfflineTicket => "离线号记录",
            OpKind::OfflineRating => "离线号评价",
            OpKind::RefusalRequested => "不予受理申请",
            OpKind::RefusalAnswered => "不予受理申请的答复",
            OpKind::Withdrawn => "撤回",
            OpKind::UnresolvedRecorded => "办不成事登记",
            OpKind::ReleaseReported => "终端版本登记",
        }
    }
}

impl std::fmt::Display for OpKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An op's payload, by kind.
#[derive(Debug, Clone, PartialEq)]
pub enum OpBody {
    /// Boxed: a hand-off carries the applicant, the form and the files.
    HandOff(Box<HandOff>),
    MaterialAdded(MaterialAdded),
    Delivered(Delivered),
    PledgeChecked(FollowUpDone),
    MaterialArrived(FollowUpDone),
    NoticeIssued(NoticeIssued),
    OfflineTicket(OfflineTicket),
    OfflineRating(OfflineRating),
    RefusalRequested(RefusalRequested),
    RefusalAnswered(RefusalAnswered),
    Withdrawn(Withdrawn),
    UnresolvedRecorded(UnresolvedRecorded),
    ReleaseReported(ReleaseReported),
}

/// Why an op's payload cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OpDecodeError {
    #[error("unknown op kind {0}")]
    UnknownKind(String),
    #[error("{kind} payload: {error}")]
    BadPayload { kind: OpKind, error: String },
    #[error("{kind} refers to a file that is not a SHA-256: {sha256}")]
    BadBlob { kind: OpKind, sha256: String },
}

impl OpDecodeError {
    /// For the clerk, as the hub's rejection reason.
    pub fn reason_zh(&self) -> String {
        match self {
            OpDecodeError::UnknownKind(k) => format!("中心不认识该操作类型 {k}"),
            OpDecodeError::BadPayload { kind, error } => {
                format!("{}格式不正确：{error}", kind.label_zh())
            }
            OpDecodeError::BadBlob { .. } => "操作引用的文件编号无效（不是 SHA-256）".into(),
        }
    }
}

impl OpBody {
    pub fn kind(&self) -> OpKind {
        match self {
            OpBody::HandOff(_) => OpKind::HandOff,
            OpBody::MaterialAdded(_) => OpKind::MaterialAdded,
            OpBody::Delivered(_) => OpKind::Delivered,
            OpBody::PledgeChecked(_) => OpKind::PledgeChecked,
            OpBody::MaterialArrived(_) => OpKind::MaterialArrived,
            OpBody::NoticeIssued(_) => OpKind::NoticeIssued,
            OpBody::OfflineTicket(_) => OpKind::OfflineTicket,
            OpBody::OfflineRating(_) => OpKind::OfflineRating,
            OpBody::RefusalRequested(_) => OpKind::RefusalRequested,
            OpBody::RefusalAnswered(_) => OpKind::RefusalAnswered,
            OpBody::Withdrawn(_) => OpKind::Withdrawn,
            OpBody::UnresolvedRecorded(_) => OpKind::UnresolvedRecorded,
            OpBody::ReleaseReported(_) => OpKind::ReleaseReported,
        }
    }

    /// Reads the payload of an op named `kind`; every file it refers to must be named by a
    /// SHA-256.
    pub fn decode(kind: &str, payload: &serde_json::Value) -> Result<OpBody, OpDecodeError> {
        let k = OpKind::parse(kind).ok_or_else(|| OpDecodeError::UnknownKind(kind.into()))?;
        fn read<T: DeserializeOwned>(k: OpKind, v: &serde_json::Value) -> Result<T, OpDecodeError> {
            serde_json::from_value(v.clone()).map_err(|e| OpDecodeError::BadPayload {
                kind: k,
                error: e.to_string(),
            })
        }
        let body = match k {
            OpKind::HandOff => OpBody::HandOff(Box::new(read(k, payload)?)),
            OpKind::MaterialAdded => OpBody::MaterialAdded(read(k, payload)?),
            OpKind::Delivered => OpBody::Delivered(read(k, payload)?),
            OpKind::PledgeChecked => OpBody::PledgeChecked(read(k, payload)?),
            OpKind::MaterialArrived => OpBody::MaterialArrived(read(k, payload)?),
            OpKind::NoticeIssued => OpBody::NoticeIssued(read(k, payload)?),
            OpKind::OfflineTicket => OpBody::OfflineTicket(read(k, payload)?),
            OpKind::OfflineRating => OpBody::OfflineRating(read(k, payload)?),
            OpKind::RefusalRequested => OpBody::RefusalRequested(read(k, payload)?),
            OpKind::RefusalAnswered => OpBody::RefusalAnswered(read(k, payload)?),
            OpKind::Withdrawn => OpBody::Withdrawn(read(k, payload)?),
            OpKind::UnresolvedRecorded => OpBody::UnresolvedRecorded(read(k, payload)?),
            OpKind::ReleaseReported => OpBody::ReleaseReported(read(k, payload)?),
        };
        if let Some(bad) = body.blobs().into_iter().find(|s| !is_sha256(s)) {
            return Err(OpDecodeError::BadBlob {
                kind: k,
                sha256: bad.chars().take(80).collect(),
            });
        }
        Ok(body)
    }

    /// The payload as the desk stores and sends it.
    pub fn to_payload(&self) -> serde_json::Value {
        let v = match self {
            OpBody::HandOff(b) => serde_json::to_value(b),
            OpBody::MaterialAdded(b) => serde_json::to_value(b),
            OpBody::Delivered(b) => serde_json::to_value(b),
            OpBody::PledgeChecked(b) | OpBody::MaterialArrived(b) => serde_json::to_value(b),
            OpBody::NoticeIssued(b) => serde_json::to_value(b),
            OpBody::OfflineTicket(b) => serde_json::to_value(b),
            OpBody::OfflineRating(b) => serde_json::to_value(b),
            OpBody::RefusalRequested(b) => serde_json::to_value(b),
            OpBody::RefusalAnswered(b) => serde_json::to_value(b),
            OpBody::Withdrawn(b) => serde_json::to_value(b),
            OpBody::UnresolvedRecorded(b) => serde_json::to_value(b),
            OpBody::ReleaseReported(b) => serde_json::to_value(b),
        };
        v.expect("op payloads are plain data")
    }

    /// The case the op is about (ops of one case are applied in order).
    pub fn case_id(&self) -> Option<&str> {
        match self {
            OpBody::HandOff(b) => Some(&b.case_id),
            OpBody::MaterialAdded(b) => Some(&b.case_id),
            OpBody::Delivered(b) => Some(&b.case_id),
            OpBody::PledgeChecked(b) | OpBody::MaterialArrived(b) => Some(&b.case_id),
            OpBody::NoticeIssued(b) => Some(&b.case_id),
            OpBody::RefusalRequested(b) => Some(&b.case_id),
            OpBody::RefusalAnswered(b) => Some(&b.case_id),
            OpBody::Withdrawn(b) => Some(&b.case_id),
            OpBody::OfflineTicket(_)
            | OpBody::OfflineRating(_)
            | OpBody::UnresolvedRecorded(_)
            | OpBody::ReleaseReported(_) => None,
        }
    }

    /// Every case number the op names (a hand-off's own and its 一件事's, a report's, a
    /// ticket's case), empty ones left out: each must be a number of the sending desk.
    pub fn case_numbers(&self) -> Vec<&str> {
        let numbers: Vec<&str> = match self {
            OpBody::HandOff(b) => {
                let mut v = vec![b.number.as_str()];
                v.extend(b.bundle_case.as_ref().map(|c| c.number.as_str()));
                v
            }
            OpBody::MaterialAdded(b) => vec![b.number.as_str()],
            OpBody::Delivered(b) => vec![b.number.as_str()],
            OpBody::PledgeChecked(b) | OpBody::MaterialArrived(b) => vec![b.number.as_str()],
            OpBody::NoticeIssued(b) => vec![b.number.as_str()],
            OpBody::RefusalRequested(b) => vec![b.number.as_str()],
            OpBody::RefusalAnswered(b) => vec![b.number.as_str()],
            OpBody::Withdrawn(b) => vec![b.number.as_str()],
            OpBody::OfflineTicket(t) => t.served_cases(),
            OpBody::OfflineRating(_)
            | OpBody::UnresolvedRecorded(_)
            | OpBody::ReleaseReported(_) => vec![],
        };
        numbers.into_iter().filter(|n| !n.is_empty()).collect()
    }

    /// The files (blobs, by SHA-256) the hub must hold before it applies the op.
    pub fn blobs(&self) -> Vec<&str> {
        match self {
            OpBody::HandOff(b) => b
                .detail
                .attachments
                .iter()
                .map(|a| a.file.sha256.as_str())
                .collect(),
            OpBody::MaterialAdded(b) => vec![b.file.sha256.as_str()],
            _ => vec![],
        }
    }
}

impl crate::Op {
    /// This op's payload, typed.
    pub fn body(&self) -> Result<OpBody, OpDecodeError> {
        OpBody::decode(&self.kind, &self.payload)
    }
}

/// A file in a case, as an op names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileRef {
    pub sha256: String,
    /// The material (by position in the scenario's list) it was filed under; none: unsorted.
    #[serde(default)]
    pub slot: Option<usize>,
    #[serde(default)]
    pub name: String,
    /// `jpeg`, `png` or `pdf`.
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub size: u64,
    #[serde(default)]
    pub pages: Option<u32>,
}

/// A file handed off with its case.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Attachment {
    #[serde(flatten)]
    pub file: FileRef,
    /// The material's name, for the approver (none when unsorted).
    #[serde(default)]
    pub material: Option<String>,
}

/// A pre-review finding as it stood at acceptance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Finding {
    pub key: String,
    pub code: String,
    pub severity: Severity,
    pub message: String,
    /// The clerk's reason for going ahead anyway.
    #[serde(default)]
    pub overridden: Option<String>,
}

/// The 一件事 a member case belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BundleRef {
    pub case_id: String,
    pub number: String,
    /// The 一件事's code.
    pub code: String,
}

/// `case.hand_off`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HandOff {
    pub case_id: String,
    pub number: String,
    pub item_code: String,
    #[serde(default)]
    pub scenario_code: Option<String>,
    #[serde(with = "stamped")]
    pub accepted_at: DateTime<Utc>,
    #[serde(default)]
    pub accepted_by: String,
    #[serde(default)]
    pub desk: String,
    /// Present only for a member of a 一件事.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bundle_case: Option<BundleRef>,
    #[serde(flatten)]
    pub detail: HandOffDetail,
}

/// What the window adds to a hand-off from the case it accepted.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct HandOffDetail {
    #[serde(default)]
    pub applicant: Option<Applicant>,
    /// The service item's form, field key → value.
    #[serde(default)]
    pub form: BTreeMap<String, String>,
    #[serde(default)]
    pub findings: Vec<Finding>,
    /// Names of the materials replaced by the applicant's pledge.
    #[serde(default)]
    pub pledges: Vec<String>,
    /// Deferred materials (容缺), as the receipt words them.
    #[serde(default)]
    pub open_items: Vec<String>,
    #[serde(default)]
    pub promised_date: Option<NaiveDate>,
    #[serde(default)]
    pub attachments: Vec<Attachment>,
    /// The receipt's query code (random, `QUERY_CODE_LEN` letters) for the progress page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query_code: Option<String>,
}

/// `case.material_added`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MaterialAdded {
    pub case_id: String,
    #[serde(default)]
    pub number: String,
    #[serde(flatten)]
    pub file: FileRef,
    #[serde(default, with = "stamped::option")]
    pub at: Option<DateTime<Utc>>,
}

/// `case.refusal_requested`: the reason and the legal basis, and who asked where. The hub
/// knows the case from here on (its supervisors answer it).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RefusalRequested {
    pub case_id: String,
    pub number: String,
    pub item_code: String,
    pub reason: String,
    pub basis: String,
    /// The applicant, masked (who the refusal is about, for the supervisor).
    #[serde(default)]
    pub applicant_masked: String,
    pub by: String,
    #[serde(default)]
    pub desk: String,
    #[serde(with = "stamped")]
    pub at: DateTime<Utc>,
}

/// `case.refusal_answered`: `confirmed`, or sent back with `note`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RefusalAnswered {
    pub case_id: String,
    pub number: String,
    pub confirmed: bool,
    #[serde(default)]
    pub note: String,
    pub by: String,
    #[serde(with = "stamped")]
    pub at: DateTime<Utc>,
}

/// `case.withdrawn`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Withdrawn {
    pub case_id: String,
    pub number: String,
    #[serde(default)]
    pub item_code: String,
    #[serde(default)]
    pub reason: String,
    pub by: String,
    #[serde(with = "stamped")]
    pub at: DateTime<Utc>,
}

/// `unresolved.recorded`: who, which item (or none), what was tried, a contact.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UnresolvedRecorded {
    pub id: String,
    pub who: String,
    pub contact: String,
    #[serde(default)]
    pub item_code: Option<String>,
    #[serde(default)]
    pub item_text: String,
    pub tried: String,
    pub by: String,
    #[serde(default)]
    pub desk: String,
    #[serde(with = "stamped")]
    pub at: DateTime<Utc>,
}

/// `case.delivered`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Delivered {
    pub case_id: String,
    #[serde(default)]
    pub number: String,
    /// How the result went out (窗口领取, 邮寄, …).
    #[serde(default)]
    pub method: String,
    /// A post's tracking number.
    #[serde(default)]
    pub tracking: Option<String>,
    #[serde(default)]
    pub by: String,
    #[serde(default)]
    pub desk: String,
    #[serde(default, with = "stamped::option")]
    pub at: Option<DateTime<Utc>>,
}

/// `case.pledge_checked` and `case.material_arrived`: a follow-up closed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FollowUpDone {
    pub case_id: String,
    #[serde(default)]
    pub number: String,
    /// The material, by position.
    #[serde(default)]
    pub slot: Option<usize>,
    #[serde(default)]
    pub note: String,
    #[serde(default)]
    pub by: String,
    #[serde(default)]
    pub desk: String,
    #[serde(default, with = "stamped::option")]
    pub at: Option<DateTime<Utc>>,
}

/// `case.notice_issued`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NoticeIssued {
    pub case_id: String,
    pub number: String,
    pub item_code: String,
    /// The ticket the window was serving, when it knew one.
    #[serde(default)]
    pub ticket_id: Option<String>,
    pub by: String,
    #[serde(default)]
    pub desk: String,
    #[serde(with = "stamped")]
    pub at: DateTime<Utc>,
}

/// One step of an offline ticket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TicketStep {
    /// `issue`, `call`, `recall`, `serve`, `no_show`, `done` or `link`.
    pub action: String,
    #[serde(default)]
    pub by: String,
    #[serde(with = "stamped")]
    pub at: DateTime<Utc>,
}

/// An applicant's rating of a service.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rating {
    pub level: u8,
    #[serde(default)]
    pub reasons: Vec<String>,
    #[serde(default)]
    pub comment: String,
    #[serde(with = "stamped")]
    pub at: DateTime<Utc>,
}

/// `queue.offline_ticket`: a ticket of the desk's offline walk-in queue, whole as it ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfflineTicket {
    pub ticket_id: String,
    pub number: String,
    pub domain: String,
    pub window: u32,
    #[serde(with = "stamped")]
    pub issued_at: DateTime<Utc>,
    /// `done` or `no_show`.
    pub state: String,
    #[serde(default)]
    pub recalls: u32,
    #[serde(default, with = "stamped::option")]
    pub called_at: Option<DateTime<Utc>>,
    #[serde(default, with = "stamped::option")]
    pub served_at: Option<DateTime<Utc>>,
    #[serde(default, with = "stamped::option")]
    pub done_at: Option<DateTime<Utc>>,
    #[serde(default)]
    pub clerk: Option<String>,
    /// The last case the ticket served (what a hub of the previous release reads).
    #[serde(default)]
    pub case_number: Option<String>,
    /// Every case the ticket served, in the order they were linked.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub case_numbers: Vec<String>,
    #[serde(default)]
    pub steps: Vec<TicketStep>,
    #[serde(default)]
    pub rating: Option<Rating>,
}

impl OfflineTicket {
    /// Every case the ticket served, each once: `case_numbers`, or the one `case_number` a
    /// desk of the previous release sends.
    pub fn served_cases(&self) -> Vec<&str> {
        let mut all: Vec<&str> = self.case_numbers.iter().map(String::as_str).collect();
        if let Some(last) = self.case_number.as_deref()
            && !all.contains(&last)
        {
            all.push(last);
        }
        all
    }
}

/// `device.release_reported`: the release (package version) the desk now runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReleaseReported {
    pub release: String,
    /// The protocol that release speaks.
    pub protocol: u32,
    #[serde(with = "stamped")]
    pub at: DateTime<Utc>,
}

/// `queue.offline_rating`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OfflineRating {
    pub ticket_id: String,
    #[serde(flatten)]
    pub rating: Rating,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_is_named_once_and_read_back() {
        let names: std::collections::BTreeSet<&str> =
            OpKind::ALL.iter().map(|k| k.as_str()).collect();
        assert_eq!(names.len(), OpKind::ALL.len());
        for k in OpKind::ALL {
            assert_eq!(OpKind::parse(k.as_str()), Some(k));
        }
        assert_eq!(OpKind::parse("case.teleport"), None);
    }

    #[test]
    fn an_unknown_kind_a_bad_payload_and_a_bad_file_say_so() {
        let e = OpBody::decode("case.teleport", &serde_json::json!({})).unwrap_err();
        assert_eq!(e.reason_zh(), "中心不认识该操作类型 case.teleport");
        let e =
            OpBody::decode("case.notice_issued", &serde_json::json!({"case_id": "c"})).unwrap_err();
        assert!(
            matches!(&e, OpDecodeError::BadPayload { kind: OpKind::NoticeIssued, error } if error.contains("number")),
            "{e:?}"
        );
        assert!(
            e.reason_zh().starts_with("一次性告知格式不正确"),
            "{}",
            e.reason_zh()
        );
        // What the hub never needed may be missing (an older desk, a test).
        let d = OpBody::decode("case.delivered", &serde_json::json!({"case_id": "c"})).unwrap();
        assert_eq!(d.case_id(), Some("c"));
        let e = OpBody::decode(
            "case.material_added",
            &serde_json::json!({"case_id": "c", "number": "n", "sha256": "../../etc/passwd",
                "at": "2026-11-27T02:00:00Z"}),
        )
        .unwrap_err();
        assert_eq!(e.reason_zh(), "操作引用的文件编号无效（不是 SHA-256）");
    }

    #[test]
    fn the_files_an_op_needs_are_its_attachments() {
        let sha = "a".repeat(64);
        let body = OpBody::decode(
            "case.hand_off",
            &serde_json::json!({"case_id": "c", "number": "n", "item_code": "i",
                "accepted_at": "2026-11-27T02:00:00Z",
                "attachments": [{"sha256": sha, "slot": 0, "name": "p.jpg", "kind": "jpeg",
                    "size": 3}]}),
        )
        .unwrap();
        assert_eq!(body.blobs(), vec![sha.as_str()]);
        assert_eq!(body.case_id(), Some("c"));
        let rating = OpBody::decode(
            "queue.offline_rating",
            &serde_json::json!({"ticket_id": "t", "level": 5, "at": "2026-11-27T02:00:00Z"}),
        )
        .unwrap();
        assert!(rating.blobs().is_empty() && rating.case_id().is_none());
    }
}
