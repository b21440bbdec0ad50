//! Appointments (预约) booked online and checked in at the kiosk with their code: the file an
//! office imports, and the rules of check-in. A checked-in ticket joins the priority lane
//! shortly before its slot (`ticket::APPOINTMENT_EARLY_MINUTES`).

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use serde::Deserialize;

/// After its slot by this much an appointment has lapsed: take an ordinary ticket.
pub const LATE_MINUTES: i64 = 30;

/// An appointment as the hub keeps it: only the masked name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Appointment {
    /// What the applicant types at the kiosk (upper case).
    pub code: String,
    pub domain: String,
    /// The slot's start.
    pub slot_at: DateTime<Utc>,
    /// `王**`.
    pub name_masked: String,
}

fn hall_tz() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).expect("UTC+8")
}

/// The hall's local time of a moment (`10:00`).
pub fn local_hm(at: DateTime<Utc>) -> String {
    at.with_timezone(&hall_tz()).format("%H:%M").to_string()
}

pub use crate::mask::name as mask_name;

/// A code as typed at the kiosk: spaces dropped, upper case; 4 to 12 letters and digits.
pub fn normalise_code(code: &str) -> Option<String> {
    let c: String = code
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_ascii_uppercase();
    ((4..=12).contains(&c.len()) && c.bytes().all(|b| b.is_ascii_alphanumeric())).then_some(c)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FileEntry {
    code: String,
    domain: String,
    /// `10:00` (on the file's day) or `2026-11-27 10:00`.
    time: String,
    #[serde(default)]
    name: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    /// The day of entries that give a time only.
    #[serde(default)]
    day: Option<NaiveDate>,
    /// Free text for people reading the file.
    #[serde(default)]
    #[allow(dead_code)]
    note: Option<String>,
    appointments: Vec<FileEntry>,
}

/// Reads an appointments file (`{"day": "2026-11-27", "appointments": [{"code", "domain",
/// "time", "name"}]}`); `day` (when given) wins over the file's, which wins over `today`.
/// Every problem is reported with the entry it is in; `domains` are the hall's queue domains.
pub fn parse_file(
    text: &str,
    day: Option<NaiveDate>,
    today: NaiveDate,
    domains: &[String],
) -> Result<Vec<Appointment>, Vec<String>> {
    let file: File =
        serde_json::from_str(text).map_err(|e| vec![format!("文件格式不正确：{e}")])?;
    let day = day.or(file.day).unwrap_or(today);
    let mut issues = Vec::new();
    let mut out: Vec<Appointment> = Vec::new();
    for (i, e) in file.appointments.iter().enumerate() {
        let at = format!("第 {} 条预约", i + 1);
        let Some(code) = normalise_code(&e.code) else {
            issues.push(format!("{at}：预约码 {:?} 应为 4–12 位字母或数字", e.code));
            continue;
        };
        if out.iter().any(|a| a.code == code) {
            issues.push(format!("{at}：预约码 {code} 重复"));
            continue;
        }
        if !domains.iter().any(|d| d == &e.domain) {
            issues.push(format!(
                "{at}（{code}）：叫号配置中没有业务领域 {}",
                e.domain
            ));
            continue;
        }
        let local = NaiveTime::parse_from_str(e.time.trim(), "%H:%M")
            .map(|t| day.and_time(t))
            .or_else(|_| NaiveDateTime::parse_from_str(e.time.trim(), "%Y-%m-%d %H:%M"));
        let Ok(local) = local else {
            issues.push(format!(
                "{at}（{code}）：时间 {:?} 应为 10:00 或 2026-11-27 10:00",
                e.time
            ));
            continue;
        };
        let slot_at = hall_tz()
            .from_local_datetime(&local)
            .single()
            .expect("a fixed offset maps every local time")
            .with_timezone(&Utc);
        out.push(Appointment {
            code,
            domain: e.domain.clone(),
            slot_at,
            name_masked: mask_name(&e.name),
        });
    }
    if issues.is_empty() {
        Ok(out)
    } else {
        Err(issues)
    }
}

/// Whether an appointment can be checked in at `now`, or why not (for the applicant).
pub fn check_in_refusal(slot_at: DateTime<Utc>, now: DateTime<Utc>) -> Option<String> {
    let local = |t: DateTime<Utc>| t.with_timezone(&hall_tz());
    let (slot, today) = (local(slot_at), local(now));
    if slot.date_naive() != today.date_naive() {
        return Some(format!(
            "您的预约是 {}，不是今天，请在预约当天来签到",
            slot.format("%Y-%m-%d %H:%M")
        ));
    }
    if now > slot_at + Duration::minutes(LATE_MINUTES) {
        return Some(format!(
            "已超过预约时段（{}）{LATE_MINUTES} 分钟，预约已失效，请取普通号",
            slot.format("%H:%M")
        ));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn domains() -> Vec<String> {
        vec!["ZHSL".into(), "GAHZ".into()]
    }

    fn today() -> NaiveDate {
        "2026-11-27".parse().unwrap()
    }

    #[test]
    fn a_file_reads_whole_with_masked_names_and_local_slots() {
        let text = r#"{"appointments": [
            {"code": "k7q 2mx", "domain": "ZHSL", "time": "10:00", "name": "王小明"},
            {"code": "P3T9AA", "domain": "GAHZ", "time": "2026-11-28 14:30", "name": "欧阳娜娜"}
        ]}"#;
        let a = parse_file(text, None, today(), &domains()).unwrap();
        assert_eq!(a[0].code, "K7Q2MX");
        assert_eq!(a[0].name_masked, "王**");
        assert_eq!(a[0].slot_at.to_rfc3339(), "2026-11-27T02:00:00+00:00");
        assert_eq!(a[1].slot_at.to_rfc3339(), "2026-11-28T06:30:00+00:00");
        assert_eq!(a[1].name_masked, "欧***");
        // The day given at import wins over the file's.
        let b = parse_file(
            r#"{"day": "2026-12-01", "appointments": [{"code": "AAAA", "domain": "ZHSL", "time": "09:00"}]}"#,
            Some("2026-12-02".parse().unwrap()),
            today(),
            &domains(),
        )
        .unwrap();
        assert_eq!(local_hm(b[0].slot_at), "09:00");
        assert_eq!(b[0].slot_at.date_naive().to_string(), "2026-12-02");
    }

    #[test]
    fn every_problem_is_named_with_its_entry() {
        let text = r#"{"appointments": [
            {"code": "!!", "domain": "ZHSL", "time": "10:00"},
            {"code": "AAAA", "domain": "NOPE", "time": "10:00"},
            {"code": "BBBB", "domain": "ZHSL", "time": "25:00"},
            {"code": "CCCC", "domain": "ZHSL", "time": "10:00"},
            {"code": "cccc", "domain": "ZHSL", "time": "11:00"}
        ]}"#;
        let issues = parse_file(text, None, today(), &domains()).unwrap_err();
        assert_eq!(issues.len(), 4, "{issues:?}");
        assert!(issues[0].starts_with("第 1 条预约：预约码"));
        assert!(issues[1].contains("没有业务领域 NOPE"));
        assert!(issues[2].contains("时间 \"25:00\""));
        assert!(issues[3].contains("CCCC 重复"));
        assert!(parse_file("{", None, today(), &domains()).unwrap_err()[0].contains("格式"));
    }

    #[test]
    fn check_in_is_on_the_day_until_half_an_hour_after_the_slot() {
        let slot: DateTime<Utc> = "2026-11-27T02:00:00Z".parse().unwrap();
        assert_eq!(check_in_refusal(slot, slot - Duration::hours(2)), None);
        assert_eq!(check_in_refusal(slot, slot + Duration::minutes(30)), None);
        assert!(
            check_in_refusal(slot, slot + Duration::minutes(31))
                .unwrap()
                .contains("已超过预约时段（10:00）30 分钟")
        );
        assert!(
            check_in_refusal(slot, slot - Duration::days(1))
                .unwrap()
                .contains("2026-11-27 10:00，不是今天")
        );
        assert_eq!(normalise_code(" ab12 "), Some("AB12".into()));
        assert_eq!(normalise_code("ab"), None);
        assert_eq!(mask_name(""), "");
    }
}
