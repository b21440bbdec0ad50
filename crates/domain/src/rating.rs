//! 好差评: the applicant's rating of a service at the window, five levels; the two lowest need
//! at least one reason and start a rectification (整改) due in 15 working days.

use serde::{Deserialize, Serialize};

/// Working days a bad rating's rectification is due in.
pub const RECTIFY_WORKING_DAYS: u32 = 15;

/// The five levels, best first: 5 非常满意 … 1 非常不满意.
pub const LEVELS: [(u8, &str); 5] = [
    (5, "非常满意"),
    (4, "满意"),
    (3, "基本满意"),
    (2, "不满意"),
    (1, "非常不满意"),
];

/// The reasons an applicant can choose for a bad rating.
pub const BAD_REASONS: [&str; 7] = [
    "服务态度不好",
    "办事效率低、等候时间长",
    "一次性告知不清楚",
    "要求提交不必要的材料",
    "多次跑腿仍未办成",
    "窗口人员业务不熟练",
    "环境设施不便",
];

pub fn level_label(level: u8) -> Option<&'static str> {
    LEVELS.iter().find(|(l, _)| *l == level).map(|(_, s)| *s)
}

/// A bad rating (不满意, 非常不满意) starts a rectification.
pub fn is_bad(level: u8) -> bool {
    level <= 2
}

/// Checks a rating: a known level; for the two lowest, one or more of [`BAD_REASONS`];
/// a comment of at most 200 characters.
pub fn check(level: u8, reasons: &[String], comment: &str) -> Result<(), String> {
    if level_label(level).is_none() {
        return Err(format!("评价等级应为 1–5，实为 {level}"));
    }
    if is_bad(level) && reasons.is_empty() {
        return Err("“不满意”和“非常不满意”请至少选择一项原因".into());
    }
    if let Some(r) = reasons.iter().find(|r| !BAD_REASONS.contains(&r.as_str())) {
        return Err(format!("未知的评价原因：{r}"));
    }
    if comment.chars().count() > 200 {
        return Err("补充意见最多 200 字".into());
    }
    Ok(())
}

/// Where a bad rating's rectification stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RectifyState {
    /// 待整改
    Pending,
    /// 已整改
    Rectified,
    /// 已回访
    Revisited,
}

impl RectifyState {
    pub fn label(self) -> &'static str {
        match self {
            RectifyState::Pending => "待整改",
            RectifyState::Rectified => "已整改",
            RectifyState::Revisited => "已回访",
        }
    }

    /// 待整改 → 已整改 → 已回访, one step at a time.
    pub fn next(self) -> Option<RectifyState> {
        match self {
            RectifyState::Pending => Some(RectifyState::Rectified),
            RectifyState::Rectified => Some(RectifyState::Revisited),
            RectifyState::Revisited => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_two_lowest_need_reasons() {
        assert!(check(5, &[], "").is_ok());
        assert!(check(3, &[], "").is_ok());
        assert!(check(2, &[], "").unwrap_err().contains("至少选择一项原因"));
        assert!(check(1, &["服务态度不好".into()], "").is_ok());
        assert!(check(1, &["随便写的".into()], "").is_err());
        assert!(check(0, &[], "").is_err());
        assert!(check(6, &[], "").is_err());
        assert!(check(4, &[], &"长".repeat(201)).is_err());
        assert_eq!(level_label(1), Some("非常不满意"));
    }

    #[test]
    fn rectification_goes_one_way() {
        let s = RectifyState::Pending;
        assert_eq!(s.next(), Some(RectifyState::Rectified));
        assert_eq!(
            s.next().and_then(RectifyState::next),
            Some(RectifyState::Revisited)
        );
        assert_eq!(RectifyState::Revisited.next(), None);
        assert_eq!(RectifyState::Rectified.label(), "已整改");
    }
}
