//! Calling at the window: next, recall, serve, no-show, transfer, pause and resume, through the
//! hub's queue for the window this desk sits at. Every call and recall is announced (a chime,
//! then the voice), queued so announcements never overlap; the voice never holds up calling.
//!
//! When the hub cannot be reached the window runs its own walk-in queue (离线取号): tickets
//! numbered with the desk code (`W01-003`), called, recalled, served and rated here, each
//! ended ticket's record going to the hub through the outbox. While offline tickets wait or
//! one is at the window, calling works from them first; then the hub's queue again.

use crate::error::ErrorCode;
use onewindow_announce::{Announcer, SystemVoice, WavVoice};
use onewindow_domain::ticket::{Ticket, TicketState, TransferTo};
use onewindow_proto::ApiErrorCode;
use onewindow_store::offline_queue::OfflineTicket;
use onewindow_store::{Store, StoreError};
use onewindow_sync::SyncError;

use std::sync::Arc;

use crate::cache::Cache;
use crate::desk::DeskConfig;
use crate::dto::{self, AppError, Flash};
use crate::locks::{DeskMutex, Rank, Relock};
use crate::session::Session;

/// What the desk remembers of its window between answers.
#[derive(Debug, Default, Clone)]
pub struct QueueLocal {
    window_state: Option<dto::WindowState>,
    current: Option<Ticket>,
    waiting: u32,
    /// The hub could not be reached at the last try; cleared by its next answer.
    hub_down: bool,
}

fn announcer(config: &DeskConfig) -> Announcer {
    match &config.announce_to_wav {
        Some(dir) => Announcer::start(WavVoice::new(dir, 1.0), config.announce_repeat),
        None => Announcer::start(SystemVoice::new(&config.data_dir), config.announce_repeat),
    }
}

/// The queue service: calling at this window, through the hub or offline, and the announcer.
pub(crate) struct Queue {
    cache: Arc<Cache>,
    session: Arc<Session>,
    /// The window's queue as the hub last answered.
    local: DeskMutex<QueueLocal>,
    /// Call announcements, one at a time.
    announcer: Announcer,
    clock: onewindow_domain::clock::Clock,
}

impl Queue {
    pub(crate) fn new(config: &DeskConfig, cache: Arc<Cache>, session: Arc<Session>) -> Queue {
        Queue {
            cache,
            session,
            local: DeskMutex::new(Rank::Queue, QueueLocal::default()),
            announcer: announcer(config),
            clock: config.clock.clone(),
        }
    }
}

fn queue_error(e: SyncError) -> AppError {
    let message = match &e {
        SyncError::Unreachable { .. } => {
            "无法连接中心，叫号暂不可用（可先接待窗口前的办事人）".to_string()
        }
        SyncError::Hub { code, message, .. } => match code {
            ApiErrorCode::QueueNoCalledTicket => "本窗口当前没有已叫的号".to_string(),
            // The hub's own Chinese sentence (not called yet, or recalled three times).
            ApiErrorCode::QueueRecallRefused => message.clone(),
            ApiErrorCode::QueueWindowNotOpen => "本窗口已暂停，请先恢复服务再叫号".to_string(),
            ApiErrorCode::QueueNotServed => "该窗口不办理此业务，不能转过去".to_string(),
            ApiErrorCode::QueueNoWindow => "叫号配置中没有本窗口，请联系管理员".to_string(),
            ApiErrorCode::QueueAlreadyServed | ApiErrorCode::QueueNoShowWhileServing => {
                "该号已在办理，不能再按过号处理".to_string()
            }
            _ => format!("叫号失败：{}", e.message_zh()),
        },
        other => format!("叫号失败：{}", other.message_zh()),
    };
    tracing::warn!(code = %e.code(), "queue action failed");
    AppError {
        code: ErrorCode::Queue,
        message,
    }
}

impl Queue {
    /// The window's queue as last known, with why calling is not possible, if it is not.
    pub fn queue_status(&self) -> dto::QueueView {
        self.queue_view(None)
    }

    /// The window's queue fresh from the hub (its current ticket, how many wait); the last
    /// known one when the hub cannot be asked.
    pub async fn queue_refresh(&self) -> dto::QueueView {
        if let Ok((client, _)) = self.queue_client() {
            match client.queue_mine().await {
                Ok(answer) => {
                    let mut local = self.local.relock();
                    local.waiting = answer.waiting_for_window as u32;
                    local.current = answer.ticket;
                    local.hub_down = false;
                }
                Err(e) => {
                    if matches!(e, SyncError::Unreachable { .. }) {
                        self.local.relock().hub_down = true;
                    }
                    tracing::debug!(code = %e.code(), "queue not refreshed");
                }
            }
        }
        self.queue_view(None)
    }

    fn queue_view(&self, flash: Option<Flash>) -> dto::QueueView {
        let local = self.local.relock().clone();
        let cfg = self.cache.with_store(|s| s.queue_config()).ok().flatten();
        let enrolled = self.session.token().is_some();
        let window = cfg
            .as_ref()
            .and_then(|c| c.window_of_desk(&self.session.desk_code()).cloned());
        let reason = if !enrolled {
            Some("本窗口尚未在中心注册（F10），不能叫号".to_string())
        } else if cfg.is_none() {
            Some("尚未收到大厅叫号配置，请稍候或联系管理员".to_string())
        } else if window.is_none() {
            Some(format!(
                "叫号配置中没有窗口编码 {} 的窗口，请联系管理员",
                self.session.desk_code()
            ))
        } else {
            None
        };
        let domain_name = |code: &str| {
            cfg.as_ref()
                .and_then(|c| c.domains.iter().find(|d| d.code == code))
                .map_or_else(|| code.to_string(), |d| d.name.clone())
        };
        let offline_current = self
            .cache
            .with_store(|s| s.offline_current())
            .ok()
            .flatten()
            .map(|t| t.as_ticket());
        let offline_waiting = self
            .cache
            .with_store(|s| s.offline_waiting(self.clock.now()))
            .unwrap_or(0);
        let offline = local.hub_down || offline_current.is_some() || offline_waiting > 0;
        let current = offline_current.or(local.current.clone());
        dto::QueueView {
            offline,
            window: window.as_ref().map(|w| w.number),
            window_name: window.as_ref().map(|w| w.name.clone()),
            window_state: local.window_state,
            current: current.as_ref().map(|t| dto::TicketView {
                number: t.number.clone(),
                domain: t.domain.clone(),
                domain_name: domain_name(&t.domain),
                state: t.state,
                state_label: t.state.label().into(),
                recalls: t.recalls,
                priority_label: t.priority.map(|p| format!("绿色通道（{}）", p.label())),
            }),
            waiting: if offline_waiting > 0 || local.hub_down {
                offline_waiting
            } else {
                local.waiting
            },
            reason,
            announce_error: self.announcer.status().last_error,
            window_domains: window
                .as_ref()
                .map(|w| {
                    w.domains
                        .iter()
                        .map(|code| dto::QueueTarget {
                            code: code.clone(),
                            label: domain_name(code),
                        })
                        .collect()
                })
                .unwrap_or_default(),
            transfer_windows: cfg
                .as_ref()
                .map(|c| {
                    c.windows
                        .iter()
                        .filter(|w| Some(w.number) != window.as_ref().map(|x| x.number))
                        .map(|w| dto::QueueTarget {
                            code: w.number.to_string(),
                            label: w.name.clone(),
                        })
                        .collect()
                })
                .unwrap_or_default(),
            transfer_domains: cfg
                .as_ref()
                .map(|c| {
                    c.domains
                        .iter()
                        .map(|d| dto::QueueTarget {
                            code: d.code.clone(),
                            label: format!("{}（{}）", d.name, d.prefix),
                        })
                        .collect()
                })
                .unwrap_or_default(),
            flash,
        }
    }

    fn queue_client(&self) -> Result<(onewindow_sync::HubClient, u32), AppError> {
        let view = self.queue_view(None);
        if let Some(reason) = view.reason {
            return Err(AppError {
                code: ErrorCode::QueueUnavailable,
                message: reason,
            });
        }
        let token = self.session.token().expect("checked by the view");
        Ok((
            self.session.client().with_token(&token),
            view.window.expect("checked by the view"),
        ))
    }

    fn queue_answered(&self, answer: onewindow_proto::QueueAnswer, flash: Flash) -> dto::QueueView {
        {
            let mut local = self.local.relock();
            local.waiting = answer.waiting_for_window as u32;
            local.current = answer
                .ticket
                .clone()
                .filter(|t| matches!(t.state, TicketState::Called | TicketState::Serving));
            local.window_state.get_or_insert(dto::WindowState::Open);
            local.hub_down = false;
        }
        if let Some(call) = &answer.call {
            self.announcer.announce(&call.number, call.window);
        }
        self.queue_view(Some(flash))
    }

    /// 叫号: the window's current ticket is done and the next one is called and announced —
    /// from the offline queue while tickets wait in it, else from the hub's; when the hub
    /// cannot be reached, from the offline queue.
    pub async fn queue_call_next(&self) -> Result<dto::QueueView, AppError> {
        let (client, window) = self.queue_client()?;
        let offline_waiting = self
            .cache
            .with_store(|s| s.offline_waiting(self.clock.now()))?;
        if offline_waiting == 0 {
            match client.queue_call_next(&self.session.user_name()).await {
                Ok(answer) => {
                    // The window moved on: an offline ticket it had is done.
                    let who = self.session.user_name();
                    self.cache
                        .with_store_mut(|s| s.offline_finish_current(&who, self.clock.now()))?;
                    return Ok(self.hub_called(answer));
                }
                Err(e @ SyncError::Unreachable { .. }) => {
                    tracing::warn!(
                        code = %e.code(),
                        "hub unreachable; calling the offline queue"
                    );
                    self.local.relock().hub_down = true;
                }
                Err(e) => return Err(queue_error(e)),
            }
        }
        let who = self.session.user_name();
        let called = self.offline(|s| s.offline_call_next(&who, self.clock.now()))?;
        let flash = match &called {
            Some(t) => {
                tracing::info!(ticket = %t.number, "offline ticket called");
                self.local.relock().current = None;
                self.announcer.announce(&t.number, window);
                Flash {
                    ok: true,
                    text: format!("已叫 {} 号（离线）", t.number),
                }
            }
            None => Flash {
                ok: false,
                text:
                    "无法连接中心：已转为本窗口离线取号，窗口前的办事人可按 Ctrl+Shift+F8 现场取号"
                        .into(),
            },
        };
        Ok(self.queue_view(Some(flash)))
    }

    fn hub_called(&self, answer: onewindow_proto::QueueAnswer) -> dto::QueueView {
        let flash = match &answer.ticket {
            Some(t) => {
                tracing::info!(ticket = %t.number, "ticket called");
                Flash {
                    ok: true,
                    text: format!("已叫 {} 号", t.number),
                }
            }
            None => Flash {
                ok: true,
                text: "当前没有等候的号".into(),
            },
        };
        if answer.ticket.is_none() {
            self.local.relock().current = None;
        }
        self.queue_answered(answer, flash)
    }

    /// The offline ticket the applicant at the window rates, if the service was one: the one
    /// being served, or (when the window serves no hub ticket) the last one done lately.
    pub(crate) fn offline_ticket_to_rate(&self) -> Option<String> {
        let serving_hub = self.local.relock().current.is_some();
        let current = self.offline_current().ok().flatten();
        match current {
            Some(t) if t.state == TicketState::Serving => Some(t.id),
            _ if serving_hub => None,
            _ => self
                .cache
                .with_store(|s| s.offline_ticket_to_rate(self.clock.now()))
                .ok()
                .flatten()
                .map(|t| t.id),
        }
    }

    /// A step of the offline queue; a step its rules refuse tells the clerk why.
    pub(crate) fn offline<T>(
        &self,
        f: impl FnOnce(&mut Store) -> Result<T, StoreError>,
    ) -> Result<T, AppError> {
        let store = self.cache.store()?;
        let mut guard = store.relock();
        match f(&mut guard) {
            Ok(v) => Ok(v),
            Err(StoreError::BadInput(message)) => {
                tracing::info!("offline queue step refused");
                Err(AppError {
                    code: ErrorCode::Queue,
                    message,
                })
            }
            Err(e) => Err(crate::cache::store_error(e)),
        }
    }

    fn offline_current(&self) -> Result<Option<OfflineTicket>, AppError> {
        self.cache.with_store(|s| s.offline_current())
    }

    /// 重呼 (announced again), 到号 (the applicant is at the window) or 过号 (did not come).
    pub async fn queue_step(&self, action: &str) -> Result<dto::QueueView, AppError> {
        if !matches!(action, "recall" | "serve" | "no_show") {
            return Err(AppError {
                code: ErrorCode::BadAction,
                message: format!("未知的叫号操作 {action}"),
            });
        }
        let (client, window) = self.queue_client()?;
        if self.offline_current()?.is_some() {
            let who = self.session.user_name();
            let t = self.offline(|s| s.offline_step(action, &who, self.clock.now()))?;
            let n = &t.number;
            let text = match action {
                "recall" => {
                    self.announcer.announce(n, window);
                    format!("已重呼 {n} 号（第 {} 次）", t.recalls)
                }
                "serve" => format!("{n} 号已到窗口，开始办理"),
                _ => format!("{n} 号已按过号处理"),
            };
            return Ok(self.queue_view(Some(Flash { ok: true, text })));
        }
        let answer = client
            .queue_step(&self.session.user_name(), action, None)
            .await
            .map_err(|e| self.hub_failed(e))?;
        let n = answer
            .ticket
            .as_ref()
            .map(|t| t.number.clone())
            .unwrap_or_default();
        let text = match action {
            "recall" => format!(
                "已重呼 {n} 号（第 {} 次）",
                answer.ticket.as_ref().map_or(0, |t| t.recalls)
            ),
            "serve" => format!("{n} 号已到窗口，开始办理"),
            _ => format!("{n} 号已按过号处理"),
        };
        Ok(self.queue_answered(answer, Flash { ok: true, text }))
    }

    /// 转移: the current ticket waits again for another window (`to_window`) or domain,
    /// keeping its original issue time.
    pub async fn queue_transfer(
        &self,
        to_window: Option<u32>,
        to_domain: Option<String>,
    ) -> Result<dto::QueueView, AppError> {
        let to = match (to_window, to_domain.filter(|d| !d.trim().is_empty())) {
            (Some(window), None) => TransferTo::Window { window },
            (None, Some(domain)) => TransferTo::Domain { domain },
            _ => {
                return Err(AppError {
                    code: ErrorCode::BadTransfer,
                    message: "请选择转到哪个窗口，或哪个业务".into(),
                });
            }
        };
        let (client, _) = self.queue_client()?;
        if let Some(t) = self.offline_current()? {
            return Err(AppError {
                code: ErrorCode::Queue,
                message: format!("{} 是本窗口的离线号，只能在本窗口办理，不能转移", t.number),
            });
        }
        let answer = client
            .queue_step(&self.session.user_name(), "transfer", Some(to))
            .await
            .map_err(|e| self.hub_failed(e))?;
        let n = answer
            .ticket
            .as_ref()
            .map(|t| t.number.clone())
            .unwrap_or_default();
        let view = self.queue_answered(
            answer,
            Flash {
                ok: true,
                text: format!("{n} 号已转移，按原取号时间排队"),
            },
        );
        self.local.relock().current = None;
        Ok(dto::QueueView {
            current: None,
            ..view
        })
    }

    /// 现场取号: someone at the window without a ticket gets one of `domain` (one the window
    /// serves), served at once; nothing is announced. When the hub cannot be reached the
    /// ticket is an offline one (`W01-003`): served at once when nobody is at the window,
    /// else it waits in the offline queue for 叫号.
    pub async fn queue_walk_in(&self, domain: &str) -> Result<dto::QueueView, AppError> {
        let (client, window) = self.queue_client()?;
        let serves = self
            .queue_view(None)
            .window_domains
            .iter()
            .any(|d| d.code == domain);
        if !serves {
            return Err(AppError {
                code: ErrorCode::Queue,
                message: "本窗口不办理该业务，请选择本窗口的业务".into(),
            });
        }
        match client
            .queue_walk_in(&self.session.user_name(), domain)
            .await
        {
            Ok(answer) => {
                let who = self.session.user_name();
                self.cache
                    .with_store_mut(|s| s.offline_finish_current(&who, self.clock.now()))?;
                let n = answer
                    .ticket
                    .as_ref()
                    .map(|t| t.number.clone())
                    .unwrap_or_default();
                Ok(self.queue_answered(
                    answer,
                    Flash {
                        ok: true,
                        text: format!("现场取号 {n}，已开始办理"),
                    },
                ))
            }
            Err(e @ SyncError::Unreachable { .. }) => {
                tracing::warn!(code = %e.code(), "hub unreachable; offline walk-in ticket");
                let busy = {
                    let mut local = self.local.relock();
                    local.hub_down = true;
                    local.current.is_some()
                } || self.offline_current()?.is_some();
                let (who, desk) = (self.session.user_name(), self.session.desk_code());
                let t = self.offline(|s| {
                    s.offline_issue(&desk, window, domain, &who, !busy, self.clock.now())
                })?;
                tracing::info!(ticket = %t.number, "offline walk-in ticket issued");
                let text = if busy {
                    format!(
                        "中心暂不可连接：离线取号 {}，在本窗口排队，按 F8 叫号",
                        t.number
                    )
                } else {
                    format!("中心暂不可连接：离线取号 {}，已开始办理", t.number)
                };
                Ok(self.queue_view(Some(Flash { ok: true, text })))
            }
            Err(e) => Err(queue_error(e)),
        }
    }

    /// A hub call failed: remembered when it could not be reached, then told the clerk.
    fn hub_failed(&self, e: SyncError) -> AppError {
        if matches!(e, SyncError::Unreachable { .. }) {
            self.local.relock().hub_down = true;
        }
        queue_error(e)
    }

    /// The queue ticket the window is serving now (an offline one or the hub's), for a
    /// one-time notice to be counted against.
    pub(crate) fn serving_ticket_id(&self) -> Option<String> {
        if let Ok(Some(t)) = self.offline_current() {
            return Some(t.id);
        }
        self.local.relock().current.as_ref().map(|t| t.id.clone())
    }

    /// After acceptance: the ticket being served at this window becomes linked to the case
    /// (for the figures). Best effort, in the background; offline it is simply not linked.
    pub(crate) fn link_ticket_to_case(&self, case_number: &str) {
        if let Ok(true) = self
            .cache
            .with_store_mut(|s| s.offline_link_case(case_number, self.clock.now()))
        {
            return;
        }
        if self.local.relock().current.is_none() {
            return;
        }
        let Ok((client, _)) = self.queue_client() else {
            return;
        };
        let (clerk, number) = (self.session.user_name(), case_number.to_string());
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            rt.spawn(async move {
                if let Err(e) = client.queue_link(&clerk, &number).await {
                    tracing::warn!(code = %e.code(), "ticket not linked to its case");
                }
            });
        }
    }

    /// 暂停 / 恢复 / 关闭 the window.
    pub async fn queue_set_window(&self, state: &str) -> Result<dto::QueueView, AppError> {
        let (client, _) = self.queue_client()?;
        let live = client
            .queue_window(&self.session.user_name(), state)
            .await
            .map_err(|e| self.hub_failed(e))?;
        let state = dto::WindowState::parse(&live.state);
        let text = match state {
            Some(dto::WindowState::Paused) => "本窗口已暂停叫号",
            Some(dto::WindowState::Closed) => "本窗口已关闭",
            Some(dto::WindowState::Open) | None => "本窗口恢复服务",
        };
        tracing::info!(state = %live.state, at = %self.clock.now(), "window state set");
        self.local.relock().window_state = state;
        Ok(self.queue_view(Some(Flash {
            ok: true,
            text: text.into(),
        })))
    }
}
