//! The applicant-facing screen (the counter's second monitor): the case on the clerk's screen
//! for the applicant to check, masked; and when the clerk invites it, the rating (好差评) of
//! the service, sent to the hub against the window's ticket. The screen's window can call only
//! these two commands.

use crate::error::ErrorCode;
use std::time::{Duration, Instant};

use onewindow_domain::rating::{BAD_REASONS, LEVELS, is_bad};
use onewindow_proto::ApiErrorCode;

use std::sync::Arc;

use super::{Screens, follow};
use crate::dto::{self, AppError, Flash};

/// How long the thank-you stays on the screen.
const THANKS_FOR: Duration = Duration::from_secs(6);

#[derive(Debug, Default, Clone)]
pub enum ScreenMode {
    #[default]
    Idle,
    /// The clerk asked the applicant to rate the service.
    Rate,
    Thanks(Instant),
}

impl Screens {
    /// What the applicant's screen shows now.
    pub fn applicant_screen(&self) -> dto::ApplicantScreenView {
        let queue = self.queue.queue_status();
        let mode = self.screen.relock().clone();
        // A light view (no thumbnails, no form): this is looked at every second.
        let case = self
            .intake
            .open_case_id()
            .and_then(|id| self.cases.applicant_case(&id).ok());
        let mode = match mode {
            ScreenMode::Rate => dto::ScreenMode::Rate,
            ScreenMode::Thanks(at) if at.elapsed() < THANKS_FOR => dto::ScreenMode::Thanks,
            _ if case.is_some() => dto::ScreenMode::Case,
            _ => dto::ScreenMode::Idle,
        };
        dto::ApplicantScreenView {
            mode,
            window_name: queue.window_name,
            ticket: queue.current.map(|t| t.number),
            case,
            levels: LEVELS
                .iter()
                .map(|(level, label)| dto::RatingLevel {
                    level: *level,
                    label: (*label).into(),
                    needs_reason: is_bad(*level),
                })
                .collect(),
            bad_reasons: BAD_REASONS.iter().map(|r| (*r).into()).collect(),
        }
    }

    /// Follows the applicant's screen for its window, for as long as the desk runs: `show`
    /// gets the view at start and then only when it changed (looked at each second here, not
    /// polled across IPC by the screen).
    pub async fn run_applicant_screen_feed(
        self: Arc<Self>,
        show: impl Fn(dto::ApplicantScreenView) + Send + Sync,
    ) {
        follow(self, Screens::applicant_screen, show).await
    }

    /// The clerk invites the applicant to rate the service just given.
    pub fn invite_rating(&self) -> Result<Flash, AppError> {
        let queue = self.queue.queue_status();
        if let Some(reason) = queue.reason {
            return Err(AppError {
                code: ErrorCode::QueueUnavailable,
                message: reason,
            });
        }
        *self.screen.relock() = ScreenMode::Rate;
        Ok(Flash {
            ok: true,
            text: "已请办事人在评价屏上评价".into(),
        })
    }

    /// The applicant's rating, from their screen.
    pub async fn applicant_rate(
        &self,
        level: u8,
        reasons: &[String],
        comment: &str,
    ) -> Result<dto::ApplicantScreenView, AppError> {
        if !matches!(*self.screen.relock(), ScreenMode::Rate) {
            return Err(AppError {
                code: ErrorCode::NotAsked,
                message: "请等窗口工作人员邀请后再评价".into(),
            });
        }
        if let Err(message) = onewindow_domain::rating::check(level, reasons, comment) {
            return Err(AppError {
                code: ErrorCode::BadRating,
                message,
            });
        }
        if let Some(ticket) = self.queue.offline_ticket_to_rate() {
            // A ticket of the window's offline queue: kept here, told to the hub with it.
            self.queue
                .offline(|s| s.offline_rate(&ticket, level, reasons, comment, self.config.now()))?;
            tracing::info!(level, "rating of an offline ticket recorded");
            *self.screen.relock() = ScreenMode::Thanks(Instant::now());
            return Ok(self.applicant_screen());
        }
        let client = self.session.device_client().ok_or_else(|| AppError {
            code: ErrorCode::NotEnrolled,
            message: "本窗口尚未注册，评价暂不能提交".into(),
        })?;
        client
            .queue_rating(level, reasons, comment)
            .await
            .map_err(|e| {
                tracing::warn!(code = %e.code(), "rating not recorded");
                AppError {
                    code: ErrorCode::RatingFailed,
                    message: match &e {
                        onewindow_sync::SyncError::Hub {
                            code: ApiErrorCode::RatingAlreadyGiven,
                            ..
                        } => "这次服务已经评价过了，谢谢".into(),
                        onewindow_sync::SyncError::Hub {
                            code: ApiErrorCode::RatingNothingServed,
                            ..
                        } => "本窗口今天还没有办理记录，暂不能评价".into(),
                        other => format!("评价提交失败：{}", other.message_zh()),
                    },
                }
            })?;
        tracing::info!(level, "rating recorded");
        *self.screen.relock() = ScreenMode::Thanks(Instant::now());
        Ok(self.applicant_screen())
    }
}
