//! `audit-verify` and `audit-anchor`: every stored audit chain checked afresh, and the heads of
//! all chains written signed with the hub's key.

use std::path::Path;
use std::process::ExitCode;

use crate::cli::{init_logging, open};
use crate::clock::Clock;

/// `audit-verify`: every chain checked afresh, one line each; the first broken record named.
pub(crate) fn audit_verify(data: &Path, anchors: Option<&Path>) -> ExitCode {
    let _guard = init_logging(data);
    let store = match open(data) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let checks = match store.verify_audit_chains() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("无法读取审计记录：{e}");
            return ExitCode::from(1);
        }
    };
    let mut first_broken = None;
    for c in &checks {
        let name = if c.chain == crate::store_audit::HUB_CHAIN {
            "中心（后台操作）".to_string()
        } else {
            format!("窗口 {}", c.desk_code)
        };
        match &c.broken {
            None => println!(
                "{name}：完整，{} 条记录（{} 条已签名，{} 条为启用签名前的记录）",
                c.records, c.signed, c.legacy
            ),
            Some((seq, reason)) => {
                println!("{name}：第 {seq} 条记录起不完整：{reason}");
                first_broken.get_or_insert((name, *seq, reason.clone()));
            }
        }
    }
    if let Some(file) = anchors {
        let read = std::fs::read_to_string(file)
            .map_err(|e| e.to_string())
            .and_then(|t| {
                serde_json::from_str::<crate::store_audit::AnchorFile>(&t)
                    .map_err(|e| e.to_string())
            });
        match read {
            Err(e) => {
                eprintln!("无法读取锚点文件 {}：{e}", file.display());
                return ExitCode::from(2);
            }
            Ok(a) => match store.check_anchors(&a) {
                Ok(None) => println!("锚点文件 {}：各审计链与锚点一致", file.display()),
                Ok(Some(why)) => {
                    println!("锚点文件 {}：不一致：{why}", file.display());
                    tracing::error!(why = %why, "audit chains differ from an anchor");
                    first_broken.get_or_insert(("锚点".into(), 0, why));
                }
                Err(e) => {
                    eprintln!("无法核对锚点：{e}");
                    return ExitCode::from(1);
                }
            },
        }
    }
    match first_broken {
        None => ExitCode::SUCCESS,
        Some((name, seq, reason)) => {
            eprintln!("审计链校验失败：{name} 第 {seq} 条记录：{reason}");
            tracing::error!(chain = %name, seq, reason = %reason, "audit chain broken");
            ExitCode::from(3)
        }
    }
}

/// `audit-anchor`: the heads of every chain, signed, written whole or not at all.
pub(crate) fn audit_anchor(data: &Path, out: &Path) -> ExitCode {
    let _guard = init_logging(data);
    let store = match open(data) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let file = match store.audit_anchors(Clock::system().now()) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("无法生成锚点：{e}");
            return ExitCode::from(1);
        }
    };
    let text = serde_json::to_string_pretty(&file).expect("an anchor file serialises");
    let tmp = out.with_extension("tmp");
    if let Err(e) = std::fs::write(&tmp, text + "\n").and_then(|()| std::fs::rename(&tmp, out)) {
        eprintln!("无法写入锚点文件 {}：{e}", out.display());
        return ExitCode::from(1);
    }
    let heads = serde_json::from_str::<crate::store_audit::Anchors>(&file.payload)
        .map_or(0, |a| a.heads.len());
    tracing::info!(file = %out.display(), heads, "audit anchor written");
    println!(
        "已写入审计锚点：{}（{heads} 条审计链的当前记录，已用中心审计密钥签名；请另行妥善保存）",
        out.display()
    );
    ExitCode::SUCCESS
}
