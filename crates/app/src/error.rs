//! The error every command returns: a code the UI switches on and a Chinese sentence for the
//! clerk. The code is an enum exported to TypeScript, so the UI's `switch` is checked by the
//! compiler and there is no free-text code; the English detail goes to the log only.

use onewindow_domain::qrcode::QrProblem;
use onewindow_intake::idcard::CardProblem;
use onewindow_store::StoreCode;
use onewindow_sync::SyncCode;
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// Every command's error: a stable code for programs and a Chinese sentence for the clerk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct AppError {
    pub code: ErrorCode,
    pub message: String,
}

impl AppError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> AppError {
        AppError {
            code,
            message: message.into(),
        }
    }
}

/// Declares `ErrorCode` with each variant's wire name, once: serde, TypeScript and the log
/// all use that name.
macro_rules! error_codes {
    ($($(#[$doc:meta])* $variant:ident => $name:literal,)*) => {
        /// What went wrong, for the UI to branch on.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, TS)]
        pub enum ErrorCode {
            $($(#[$doc])* #[serde(rename = $name)] $variant,)*
        }

        impl ErrorCode {
            /// Every code, in declaration order.
            pub const ALL: &[ErrorCode] = &[$(ErrorCode::$variant,)*];

            /// The wire name, as the UI and the log see it.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(ErrorCode::$variant => $name,)*
                }
            }
        }
    };
}

error_codes! {
    // The cache (from `onewindow_store::StoreCode`).
    /// The cache file is damaged or cannot be decrypted.
    CacheCorrupt => "cache_corrupt",
    CacheUnreadable => "cache_unreadable",
    CacheNewer => "cache_newer",
    CacheMigrationFailed => "cache_migration_failed",
    HubBadChange => "hub_bad_change",
    BadInput => "bad_input",
    CaseNotFound => "case_not_found",
    CaseTransition => "case_transition",
    /// The disk is full; nothing was written.
    DiskFull => "disk_full",
    CacheError => "cache_error",
    // The hub (from `onewindow_sync::SyncCode`).
    HubCertMismatch => "hub_cert_mismatch",
    HubCertUnpinned => "hub_cert_unpinned",
    HubUnreachable => "hub_unreachable",
    HubCursorAhead => "hub_cursor_ahead",
    BadEnrolCode => "bad_enrol_code",
    BadLogin => "bad_login",
    LoginLocked => "login_locked",
    DeviceRevoked => "device_revoked",
    BadToken => "bad_token",
    /// The hub serves no desk this old: update the desk (its outbox waits).
    DeskTooOld => "desk_too_old",
    HubError => "hub_error",
    HubBadResponse => "hub_bad_response",
    /// A task failed inside the desk; the log has the detail.
    Internal => "internal",
    // A scanned 居民码/企业码 (from `onewindow_domain::qrcode::QrProblem`).
    QrEmpty => "qr_empty",
    QrTooLong => "qr_too_long",
    QrUnknown => "qr_unknown",
    QrDamaged => "qr_damaged",
    QrBadNumber => "qr_bad_number",
    // An ID card's reading (from `onewindow_intake::idcard::CardProblem`).
    CardField => "card_field",
    CardIncomplete => "card_incomplete",
    CardIdNumber => "card_id_number",
    CardMismatch => "card_mismatch",
    CardExpired => "card_expired",
    CardUnreadable => "card_unreadable",
    // The desk's own refusals.
    /// The signed-in role may not do this.
    Forbidden => "forbidden",
    /// The screen is locked.
    ScreenLocked => "screen_locked",
    /// An enrolled desk waits for a sign-in.
    SignInRequired => "sign_in_required",
    NotSignedIn => "not_signed_in",
    AuditNotWritten => "audit_not_written",
    ReasonRequired => "reason_required",
    NoteRequired => "note_required",
    BasisRequired => "basis_required",
    NotEnrolled => "not_enrolled",
    BadUrl => "bad_url",
    BadPin => "bad_pin",
    BadStream => "bad_stream",
    OfflineLoginExpired => "offline_login_expired",
    NoOfflineLogin => "no_offline_login",
    KeyringUnavailable => "keyring_unavailable",
    KeystoreUnavailable => "keystore_unavailable",
    CacheKeyLost => "cache_key_lost",
    CacheMoveFailed => "cache_move_failed",
    CacheUnavailable => "cache_unavailable",
    ItemNotFound => "item_not_found",
    BundleNotFound => "bundle_not_found",
    NotFound => "not_found",
    /// The hub refused or could not run a queue action; the message says which.
    Queue => "queue",
    QueueUnavailable => "queue_unavailable",
    BadAction => "bad_action",
    BadTransfer => "bad_transfer",
    NotAsked => "not_asked",
    BadRating => "bad_rating",
    RatingFailed => "rating_failed",
    BadRequest => "bad_request",
    BadApplicant => "bad_applicant",
    NoApplicant => "no_applicant",
    CardPhoto => "card_photo",
    BadField => "bad_field",
    BadFinding => "bad_finding",
    BadMember => "bad_member",
    BadSlot => "bad_slot",
    Document => "document",
    IntakeIo => "intake_io",
    IntakeUnavailable => "intake_unavailable",
    NoCardReader => "no_card_reader",
    NoCard => "no_card",
    Archive => "archive",
    DocumentMissing => "document_missing",
    DocumentDamaged => "document_damaged",
    Preview => "preview",
    NotALeaf => "not_a_leaf",
    BadScenario => "bad_scenario",
    NothingToCorrect => "nothing_to_correct",
    CannotAccept => "cannot_accept",
    NotAcceptedHere => "not_accepted_here",
    SupervisorRequired => "supervisor_required",
    TrackingRequired => "tracking_required",
    BundleNotReady => "bundle_not_ready",
    ScanNotWaiting => "scan_not_waiting",
    HeldScanNotMoved => "held_scan_not_moved",
    PledgeNotAllowed => "pledge_not_allowed",
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<StoreCode> for ErrorCode {
    fn from(c: StoreCode) -> ErrorCode {
        match c {
            StoreCode::CacheCorrupt => ErrorCode::CacheCorrupt,
            StoreCode::CacheUnreadable => ErrorCode::CacheUnreadable,
            StoreCode::CacheNewer => ErrorCode::CacheNewer,
            StoreCode::CacheMigrationFailed => ErrorCode::CacheMigrationFailed,
            StoreCode::HubBadChange => ErrorCode::HubBadChange,
            StoreCode::BadInput => ErrorCode::BadInput,
            StoreCode::CaseNotFound => ErrorCode::CaseNotFound,
            StoreCode::CaseTransition => ErrorCode::CaseTransition,
            StoreCode::DiskFull => ErrorCode::DiskFull,
            StoreCode::CacheError => ErrorCode::CacheError,
        }
    }
}

impl From<QrProblem> for ErrorCode {
    fn from(c: QrProblem) -> ErrorCode {
        match c {
            QrProblem::Empty => ErrorCode::QrEmpty,
            QrProblem::TooLong => ErrorCode::QrTooLong,
            QrProblem::Unknown => ErrorCode::QrUnknown,
            QrProblem::Damaged => ErrorCode::QrDamaged,
            QrProblem::BadNumber => ErrorCode::QrBadNumber,
        }
    }
}

impl From<CardProblem> for ErrorCode {
    fn from(c: CardProblem) -> ErrorCode {
        match c {
            CardProblem::Field => ErrorCode::CardField,
            CardProblem::Incomplete => ErrorCode::CardIncomplete,
            CardProblem::IdNumber => ErrorCode::CardIdNumber,
            CardProblem::Mismatch => ErrorCode::CardMismatch,
            CardProblem::Expired => ErrorCode::CardExpired,
            CardProblem::Unreadable => ErrorCode::CardUnreadable,
        }
    }
}

impl From<SyncCode> for ErrorCode {
    fn from(c: SyncCode) -> ErrorCode {
        match c {
            SyncCode::HubCertMismatch => ErrorCode::HubCertMismatch,
            SyncCode::HubCertUnpinned => ErrorCode::HubCertUnpinned,
            SyncCode::HubUnreachable => ErrorCode::HubUnreachable,
            SyncCode::HubCursorAhead => ErrorCode::HubCursorAhead,
            SyncCode::BadEnrolCode => ErrorCode::BadEnrolCode,
            SyncCode::BadLogin => ErrorCode::BadLogin,
            SyncCode::LoginLocked => ErrorCode::LoginLocked,
            SyncCode::DeviceRevoked => ErrorCode::DeviceRevoked,
            SyncCode::BadToken => ErrorCode::BadToken,
            SyncCode::DeskTooOld => ErrorCode::DeskTooOld,
            SyncCode::HubError => ErrorCode::HubError,
            SyncCode::HubBadResponse => ErrorCode::HubBadResponse,
            SyncCode::Internal => ErrorCode::Internal,
            SyncCode::Store(c) => c.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_cross_as_the_snake_case_names_the_log_uses() {
        for c in [
            StoreCode::DiskFull,
            StoreCode::CacheCorrupt,
            StoreCode::CaseTransition,
        ] {
            let code: ErrorCode = c.into();
            assert_eq!(serde_json::to_value(code).unwrap(), c.as_str());
        }
        for c in [
            SyncCode::HubUnreachable,
            SyncCode::BadLogin,
            SyncCode::Store(StoreCode::DiskFull),
        ] {
            let code: ErrorCode = c.into();
            assert_eq!(serde_json::to_value(code).unwrap(), c.as_str());
        }
        assert_eq!(
            serde_json::to_value(ErrorCode::from(QrProblem::BadNumber)).unwrap(),
            QrProblem::BadNumber.as_str()
        );
        for c in ErrorCode::ALL {
            assert_eq!(serde_json::to_value(c).unwrap(), c.as_str());
        }
        let e = AppError::new(ErrorCode::SignInRequired, "请先登录");
        assert_eq!(
            serde_json::to_value(&e).unwrap(),
            serde_json::json!({"code": "sign_in_required", "message": "请先登录"})
        );
    }
}
