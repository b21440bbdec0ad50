//! The hall's queue configuration: the business domains tickets are drawn for (each with its
//! ticket prefix), the windows and the domains they serve, and the tidal rules that suggest
//! reassigning a window when a domain's queue grows. An administrator publishes it on the hub
//! (`onewindow-hub import-queue`); every desk pulls it as the queue-configuration stream.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

/// A business domain of the hall queue (业务领域), e.g. 综合受理 with tickets `A001`….
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueDomain {
    pub code: String,
    pub name: String,
    /// One or two capital letters in front of the ticket number.
    pub prefix: String,
}

/// A service window (窗口) and the domains it calls tickets for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct QueueWindow {
    /// The number the announcement says: "请 A012 号到 3 号窗口办理".
    pub number: u32,
    pub name: String,
    /// The desk (counter PC, by its enrolment desk code) that sits at this window.
    #[serde(default)]
    pub desk_code: Option<String>,
    pub domains: Vec<String>,
    /// A tidal window: a supervisor may reassign its domains when queues grow.
    #[serde(default)]
    pub tidal: bool,
}

/// 潮汐规则: when a domain's queue passes a threshold, suggest giving it `window`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TidalRule {
    pub domain: String,
    /// More than this many waiting tickets.
    #[serde(default)]
    pub max_waiting: Option<u32>,
    /// The longest wait above this many minutes.
    #[serde(default)]
    pub max_wait_minutes: Option<u32>,
    /// The window to reassign to the domain.
    pub window: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct QueueConfig {
    pub domains: Vec<QueueDomain>,
    pub windows: Vec<QueueWindow>,
    #[serde(default)]
    pub rules: Vec<TidalRule>,
    /// The centre's opening hours (absent: tickets at any time, as before).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub hours: Option<crate::hours::Hours>,
    /// 办不成事: a matter open longer than this many days is marked (default 3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unresolved_days: Option<u32>,
}

impl QueueConfig {
    /// Reads and checks a configuration file's text; every problem, in Chinese, with where
    /// it is (`windows[2].domains`).
    pub fn parse(text: &str) -> Result<QueueConfig, Vec<String>> {
        let cfg: QueueConfig = serde_json::from_str(text).map_err(|e| {
            vec![format!(
                "不是有效的叫号配置 JSON（第 {} 行第 {} 列）：{e}",
                e.line(),
                e.column()
            )]
        })?;
        cfg.check()?;
        Ok(cfg)
    }

    /// Everything the types cannot say: unique codes, prefixes, numbers and desks; windows
    /// and rules that name existing domains and windows; at least one threshold per rule.
    pub fn check(&self) -> Result<(), Vec<String>> {
        let mut issues = Vec::new();
        let mut codes = BTreeSet::new();
        let mut prefixes = BTreeSet::new();
        for (i, d) in self.domains.iter().enumerate() {
            let at = format!("domains[{i}]");
            if d.code.is_empty()
                || d.code.len() > 16
                || !d
                    .code
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_')
            {
                issues.push(format!(
                    "{at}.code：业务领域编码应为 1–16 位字母、数字或下划线，实为“{}”",
                    d.code
                ));
            } else if !codes.insert(d.code.as_str()) {
                issues.push(format!("{at}.code：业务领域编码 {} 重复", d.code));
            }
            if d.name.trim().is_empty() || d.name.chars().count() > 30 {
                issues.push(format!("{at}.name：业务领域名称应为 1–30 个字"));
            }
            if d.prefix.is_empty()
                || d.prefix.len() > 2
                || !d.prefix.bytes().all(|b| b.is_ascii_uppercase())
            {
                issues.push(format!(
                    "{at}.prefix：取号前缀应为 1–2 个大写字母，实为“{}”",
                    d.prefix
                ));
            } else if !prefixes.insert(d.prefix.as_str()) {
                issues.push(format!(
                    "{at}.prefix：取号前缀 {} 已被另一业务领域使用",
                    d.prefix
                ));
            }
        }
        if let Some(h) = &self.hours {
            issues.extend(h.check());
        }
        if self.domains.is_empty() {
            issues.push("domains：至少要有一个业务领域".into());
        }
        let mut numbers = BTreeSet::new();
        let mut desks: BTreeMap<&str, u32> = BTreeMap::new();
        for (i, w) in self.windows.iter().enumerate() {
            let at = format!("windows[{i}]");
            if !(1..=999).contains(&w.number) {
                issues.push(format!("{at}.number：窗口号应为 1–999，实为 {}", w.number));
            } else if !numbers.insert(w.number) {
                issues.push(format!("{at}.number：窗口号 {} 重复", w.number));
            }
            if w.name.trim().is_empty() || w.name.chars().count() > 30 {
                issues.push(format!("{at}.name：窗口名称应为 1–30 个字"));
            }
            if let Some(desk) = &w.desk_code
                && let Some(other) = desks.insert(desk.as_str(), w.number)
            {
                issues.push(format!(
                    "{at}.desk_code：终端 {desk} 已在 {other} 号窗口，一台终端只能坐一个窗口"
                ));
            }
            if w.domains.is_empty() {
                issues.push(format!("{at}.domains：窗口至少要办理一个业务领域"));
            }
            for d in &w.domains {
                if !codes.contains(d.as_str()) {
                    issues.push(format!("{at}.domains：业务领域 {d} 不在 domains 中"));
                }
            }
        }
        for (i, r) in self.rules.iter().enumerate() {
            let at = format!("rules[{i}]");
            if !codes.contains(r.domain.as_str()) {
                issues.push(format!(
                    "{at}.domain：业务领域 {} 不在 domains 中",
                    r.domain
                ));
            }
            match self.windows.iter().find(|w| w.number == r.window) {
                None => issues.push(format!("{at}.window：没有 {} 号窗口", r.window)),
                Some(w) if !w.tidal => issues.push(format!(
                    "{at}.window：{} 号窗口不是潮汐窗口（tidal 为 false），不能被规则调配",
                    r.window
                )),
                Some(_) => {}
            }
            match (r.max_waiting, r.max_wait_minutes) {
                (None, None) => issues.push(format!(
                    "{at}：至少要设一个阈值（max_waiting 或 max_wait_minutes）"
                )),
                (Some(0), _) | (_, Some(0)) => {
                    issues.push(format!("{at}：阈值应大于 0"));
                }
                _ => {}
            }
        }
        if issues.is_empty() {
            Ok(())
        } else {
            Err(issues)
        }
    }

    /// The window a desk sits at, if the configuration names one.
    pub fn window_of_desk(&self, desk_code: &str) -> Option<&QueueWindow> {
        self.windows
            .iter()
            .find(|w| w.desk_code.as_deref() == Some(desk_code))
    }

    /// A window's domains as people read them: `综合受理（A）、社会保障（B）`.
    pub fn domains_label(&self, window: &QueueWindow) -> String {
        window
            .domains
            .iter()
            .map(|code| match self.domains.iter().find(|d| &d.code == code) {
                Some(d) => format!("{}（{}）", d.name, d.prefix),
                None => code.clone(),
            })
            .collect::<Vec<_>>()
            .join("、")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> QueueConfig {
        QueueConfig::parse(include_str!("../../../demo/queue.json")).unwrap()
    }

    #[test]
    fn the_demo_configuration_is_consistent() {
        let cfg = sample();
        assert!(cfg.domains.len() >= 3);
        let w = cfg
            .window_of_desk("W01")
            .expect("the first desk has a window");
        assert_eq!(w.number, 1);
        assert!(cfg.domains_label(w).contains("（A）"));
        assert!(
            cfg.rules
                .iter()
                .all(|r| cfg.windows.iter().any(|w| w.number == r.window && w.tidal))
        );
    }

    #[test]
    fn every_problem_is_reported_with_where_it_is() {
        let mut cfg = sample();
        cfg.domains[1].prefix = cfg.domains[0].prefix.clone();
        cfg.domains[2].code = "含中文".into();
        cfg.windows[1].number = cfg.windows[0].number;
        cfg.windows[2].domains = vec!["NOPE".into()];
        cfg.windows[2].desk_code = cfg.windows[0].desk_code.clone();
        cfg.rules.push(TidalRule {
            domain: cfg.domains[0].code.clone(),
            max_waiting: None,
            max_wait_minutes: None,
            window: 998,
        });
        let issues = cfg.check().unwrap_err();
        let all = issues.join("\n");
        for want in [
            "domains[1].prefix",
            "domains[2].code",
            "windows[1].number",
            "windows[2].domains：业务领域 NOPE",
            "windows[2].desk_code",
            "没有 998 号窗口",
            "至少要设一个阈值",
        ] {
            assert!(all.contains(want), "{want} missing from:\n{all}");
        }
    }

    #[test]
    fn broken_json_says_where() {
        let e = QueueConfig::parse("{\"domains\": [").unwrap_err();
        assert!(e[0].contains("第 1 行"), "{e:?}");
    }
}
