//! Provisioning many desks at once (`onewindow-hub provision`): what one desk needs to enrol
//! with no typing, as a file (`--provision FILE`) and as the QR code a keyboard-wedge scanner
//! types into the enrolment panel (F10). Both carry the same one line of JSON.
//!
//! ```json
//! {"kind":"onewindow-provision","version":1,"hub_url":"https://hub.example:8470",
//!  "hub_pin":"AB:CD:…","enrol_code":"ABCD-EFGH-JKLM","desk_code":"XZ-01","centre":"xz",
//!  "window":1,"desk_name":"新镇便民服务中心 1 号窗口"}
//! ```

use serde::{Deserialize, Serialize};

/// The `kind` every provisioning file carries.
pub const PROVISION_KIND: &str = "onewindow-provision";
/// The format's version; a desk refuses versions it does not know.
pub const PROVISION_VERSION: u32 = 1;
/// Longer than any real provisioning line: a scanner gone wrong, or the wrong file.
const MAX_LEN: usize = 2048;
/// Windows one `provision` run may enrol.
pub const MAX_WINDOWS: u32 = 99;

/// What one desk needs to enrol.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Provision {
    pub kind: String,
    pub version: u32,
    /// The hub as desks reach it.
    pub hub_url: String,
    /// The full SHA-256 fingerprint of an `https://` hub's certificate (pinned at enrolment).
    pub hub_pin: Option<String>,
    /// The one-time enrolment code.
    pub enrol_code: String,
    /// The desk code the hub assigns on enrolment (case numbers begin with it).
    pub desk_code: String,
    pub centre: String,
    pub window: u32,
    pub desk_name: String,
}

impl Provision {
    /// The one line of JSON written to the file and the QR code, in ASCII only: a keyboard-
    /// wedge scanner types key codes, and a Chinese character has none, so every non-ASCII
    /// character (in the desk's name) is written as a JSON `\uXXXX` escape.
    pub fn to_line(&self) -> String {
        let json = serde_json::to_string(self).expect("a provision serialises");
        let mut out = String::with_capacity(json.len() * 2);
        for c in json.chars() {
            if c.is_ascii() {
                out.push(c);
            } else {
                let mut units = [0u16; 2];
                for u in c.encode_utf16(&mut units) {
                    out.push_str(&format!("\\u{u:04x}"));
                }
            }
        }
        out
    }

    /// A provisioning line or file, checked; the error is for the clerk (Chinese).
    pub fn parse(text: &str) -> Result<Provision, String> {
        let text = text.trim().trim_start_matches('\u{feff}');
        if text.is_empty() {
            return Err("配置内容为空".into());
        }
        if text.len() > MAX_LEN {
            return Err(format!(
                "配置内容过长（{} 字节），不是一窗的终端配置",
                text.len()
            ));
        }
        let p: Provision =
            serde_json::from_str(text).map_err(|e| format!("不是一窗的终端配置（{e}）"))?;
        if p.kind != PROVISION_KIND {
            return Err(format!("不是一窗的终端配置（kind 为 {:?}）", p.kind));
        }
        if p.version != PROVISION_VERSION {
            return Err(format!(
                "终端配置的版本 {} 不受支持（本程序支持版本 {PROVISION_VERSION}），请升级本程序或重新生成配置",
                p.version
            ));
        }
        if !(p.hub_url.starts_with("https://") || p.hub_url.starts_with("http://")) {
            return Err(format!("终端配置中的中心地址无效：{}", p.hub_url));
        }
        if p.hub_url.starts_with("https://") && p.hub_pin.as_deref().is_none_or(str::is_empty) {
            return Err("终端配置缺少中心证书指纹（HTTPS 中心必须提供）".into());
        }
        if !is_desk_code(&p.desk_code) {
            return Err(format!("终端配置中的窗口编码无效：{}", p.desk_code));
        }
        if p.enrol_code.trim().is_empty() {
            return Err("终端配置缺少注册码".into());
        }
        Ok(p)
    }
}

/// Whether `code` is a desk code: 1–16 ASCII letters, digits and inner dashes (`W01`,
/// `XZ-01`). Case numbers are the code, a dash and exactly `YYYYMMDD-NNNN`, which
/// [`crate::case::is_case_number_of`] checks whole, so `XZ` never claims `XZ-01`'s cases.
pub fn is_desk_code(code: &str) -> bool {
    !code.is_empty()
        && code.len() <= 16
        && code.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        && !code.starts_with('-')
        && !code.ends_with('-')
        && !code.contains("--")
}

/// The desk code of window `n` of the centre `centre` (`XZ-01`), or why there is none.
pub fn window_desk_code(centre: &str, n: u32) -> Result<String, String> {
    let code = format!("{}-{n:02}", centre.trim().to_ascii_uppercase());
    if is_desk_code(&code) {
        Ok(code)
    } else {
        Err(format!(
            "中心编码 {centre} 不能用作窗口编码的前缀（窗口编码须为 1–16 位字母、数字和连字符，如 XZ-01）"
        ))
    }
}

/// `1-12`, `3`, `1-4,7,9-10`: the window numbers, ascending, each once; the error is in
/// Chinese.
pub fn parse_windows(text: &str) -> Result<Vec<u32>, String> {
    let bad = || format!("窗口范围 {text:?} 无效：应写成 1-12、3 或 1-4,7 这样的形式");
    let mut out = std::collections::BTreeSet::new();
    for part in text.split(',') {
        let part = part.trim();
        let (from, to) = match part.split_once('-') {
            Some((a, b)) => (a.trim(), b.trim()),
            None => (part, part),
        };
        let from: u32 = from.parse().map_err(|_| bad())?;
        let to: u32 = to.parse().map_err(|_| bad())?;
        if from == 0 || from > to {
            return Err(bad());
        }
        if to > MAX_WINDOWS {
            return Err(format!(
                "窗口号 {to} 超出范围：一次最多配置 1–{MAX_WINDOWS} 号窗口"
            ));
        }
        out.extend(from..=to);
    }
    Ok(out.into_iter().collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Provision {
        Provision {
            kind: PROVISION_KIND.into(),
            version: PROVISION_VERSION,
            hub_url: "https://hub.example:8470".into(),
            hub_pin: Some("AB:CD".into()),
            enrol_code: "ABCD-EFGH-JKLM".into(),
            desk_code: "XZ-01".into(),
            centre: "xz".into(),
            window: 1,
            desk_name: "新镇便民服务中心 1 号窗口".into(),
        }
    }

    #[test]
    fn a_provision_reads_back_from_its_line_and_bad_ones_say_why() {
        let p = Provision {
            desk_name: "新镇 1 号窗口 𠀀".into(),
            ..sample()
        };
        assert!(p.to_line().is_ascii(), "{}", p.to_line());
        assert_eq!(Provision::parse(&p.to_line()).unwrap(), p);
        let p = sample();
        assert_eq!(
            Provision::parse(&format!("\u{feff}{}\n", p.to_line())).unwrap(),
            p
        );
        let err = |p: &Provision| Provision::parse(&p.to_line()).unwrap_err();
        assert!(
            err(&Provision {
                kind: "x".into(),
                ..sample()
            })
            .contains("不是一窗的终端配置")
        );
        assert!(
            err(&Provision {
                version: 2,
                ..sample()
            })
            .contains("版本 2 不受支持")
        );
        assert!(
            err(&Provision {
                hub_pin: None,
                ..sample()
            })
            .contains("指纹")
        );
        assert!(
            err(&Provision {
                desk_code: "X--1".into(),
                ..sample()
            })
            .contains("窗口编码")
        );
        assert!(Provision::parse("").unwrap_err().contains("为空"));
        assert!(
            Provision::parse("ABCD-EFGH")
                .unwrap_err()
                .contains("不是一窗的终端配置")
        );
        assert!(
            Provision::parse(&p.to_line().replace("\"window\"", "\"extra\":1,\"window\""))
                .unwrap_err()
                .contains("不是一窗的终端配置")
        );
        assert!(
            Provision::parse(&"x".repeat(5000))
                .unwrap_err()
                .contains("过长")
        );
        // Plain HTTP (a hub on loopback) needs no pin.
        let local = Provision {
            hub_url: "http://127.0.0.1:8470".into(),
            hub_pin: None,
            ..sample()
        };
        assert_eq!(Provision::parse(&local.to_line()).unwrap(), local);
    }

    #[test]
    fn desk_codes_allow_inner_dashes_only() {
        for ok in ["W01", "XZ-01", "A", "ABCDEFGHIJKLMN-1"] {
            assert!(is_desk_code(ok), "{ok}");
        }
        for bad in [
            "",
            "-W1",
            "W1-",
            "W--1",
            "W 1",
            "W_1",
            "ABCDEFGHIJKLMNOPQ",
            "窗口",
        ] {
            assert!(!is_desk_code(bad), "{bad}");
        }
        assert_eq!(window_desk_code("xz", 1).unwrap(), "XZ-01");
        assert_eq!(window_desk_code("xz", 12).unwrap(), "XZ-12");
        assert!(window_desk_code("town_a", 1).is_err());
        assert!(window_desk_code("abcdefghijklmn", 1).is_err());
    }

    #[test]
    fn window_ranges() {
        assert_eq!(parse_windows("1-12").unwrap(), (1..=12).collect::<Vec<_>>());
        assert_eq!(parse_windows("3").unwrap(), [3]);
        assert_eq!(parse_windows("1-3, 7,2,9-10").unwrap(), [1, 2, 3, 7, 9, 10]);
        for bad in ["", "0-3", "5-2", "a", "1-", "1-100", "1,,2"] {
            assert!(parse_windows(bad).is_err(), "{bad}");
        }
    }
}
