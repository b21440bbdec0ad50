//! 审计 for the supervisor: each desk's audit log as received and every break in its chain,
//! and the hub's own chain, checked afresh on each view.

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use maud::html;

use crate::auth::Supervisor;
use crate::pages;
use crate::server::HubState;

/// What an audit action is called on the page.
fn audit_action_label(action: &str) -> &str {
    match action {
        "login" => "登录",
        "login_failed" => "登录失败",
        "logout" => "退出",
        "view" => "查看",
        "decide" => "审批决定",
        "export" => "导出",
        "elicence_lookup" => "电子证照查询",
        other => other,
    }
}

/// 审计: each desk's audit log as received — how far, when — and every break in its chain,
/// for the supervisor (and the administrator): a centre's supervisor sees its own desks; the
/// hub's own chain (the whole county's back office) only the county level.
pub async fn audit_page(State(state): State<HubState>, Supervisor(user): Supervisor) -> Response {
    let clock = state.clock();
    let name = user.name.clone();
    let (heads, hub, checks) = match state
        .store_call(move |s| {
            s.audit_hub(&name, "view", "audit", "ok", None, clock.now())?;
            // Every stored chain is checked afresh on each view, not taken from what was found
            // on receipt: a record edited in the database since shows here.
            Ok((s.audit_heads()?, s.hub_audit(50)?, s.verify_audit_chains()?))
        })
        .await
    {
        Ok(h) => h,
        Err(e) => return e.into_response(),
    };
    let heads: Vec<_> = heads.into_iter().filter(|h| user.sees(&h.centre)).collect();
    let check_of = |chain: &str| checks.iter().find(|c| c.chain == chain);
    let body = html! {
        h2 { "审计日志" }
        p { "各窗口的审计记录逐条链接（SHA-256）并由窗口的密钥签名，中心保存收到的最新一条；每次打开本页都重新核对全部已存记录。记录被改动、删除或最新记录被删后重写，都会在此标出。" }
        table #audit-heads {
            thead { tr { th { "窗口编码" } th { "窗口" } th { "程序版本" } th { "已收到" } th { "已签名" } th { "最近接收" } th { "链完整性" } } }
            tbody {
                @for h in &heads {
                    @let check = check_of(&h.device_id);
                    @let broken_now = check.and_then(|c| c.broken.as_ref());
                    tr data-desk=(h.desk_code) class=(if h.breaks.is_empty() && broken_now.is_none() { "" } else { "overdue" }) {
                        td { (h.desk_code) }
                        td { (h.desk_name) }
                        td.desk-release { (h.release.as_deref().unwrap_or("未报告")) }
                        td.audit-seq { (h.seq) }
                        td.audit-signed { (check.map_or(0, |c| c.signed)) }
                        td { (h.at) }
                        td.audit-state {
                            @match broken_now {
                                None => span.ok { "完整" },
                                Some((seq, reason)) => div class="err audit-break" data-now="1" { "现存记录第 " (seq) " 条起不完整：" (reason) },
                            }
                            @for (seq, reason, at) in &h.breaks {
                                div class="err audit-break" { "接收时发现第 " (seq) " 条：" (reason) "（" (at) "）" }
                            }
                        }
                    }
                }
            }
        }
        @if user.county_wide {
        h3 { "中心后台操作" }
        p #hub-audit-state {
            "共 " (hub.seq) " 条，链完整性："
            @match &hub.broken {
                None => span.ok { "完整" },
                Some((seq, reason)) => div class="err audit-break" { "第 " (seq) " 条：" (reason) },
            }
        }
        table #hub-audit {
            thead { tr { th { "序号" } th { "时间" } th { "用户" } th { "操作" } th { "对象" } th { "结果" } } }
            tbody {
                @for r in &hub.recent {
                    tr {
                        td { (r.seq) }
                        td { (r.at) }
                        td { (r.actor) }
                        td { (audit_action_label(&r.action)) }
                        td { (r.object) }
                        td {
                            (r.result)
                            @if let Some(d) = &r.detail { "（" (d) "）" }
                        }
                    }
                }
            }
        }
        }
    };
    pages::office("审计日志", Some(&user), body).into_response()
}
