//! Desk releases: the package version a desk runs and the hub publishes, ordered as dpkg
//! orders versions (Debian Policy 5.6.12: epoch, upstream version, Debian revision; `~` sorts
//! before everything, even the end of the string). The desk compares what its hub publishes
//! with what it runs (the status bar's update notice); the hub compares a desk's release with
//! the least its operator requires (`min_desk_release`).

use std::cmp::Ordering;

/// Whether `v` is a version dpkg would take: `[epoch:]upstream[-revision]`, the upstream part
/// starting with a digit, at most 64 characters of `0-9A-Za-z.+~-:`.
pub fn is_version(v: &str) -> bool {
    if v.is_empty() || v.len() > 64 {
        return false;
    }
    let (epoch, rest) = match v.split_once(':') {
        Some((e, r)) => (Some(e), r),
        None => (None, v),
    };
    if epoch.is_some_and(|e| e.is_empty() || !e.bytes().all(|b| b.is_ascii_digit())) {
        return false;
    }
    let (upstream, revision) = match rest.rsplit_once('-') {
        Some((u, r)) => (u, Some(r)),
        None => (rest, None),
    };
    let fine = |s: &str, extra: &[u8]| {
        s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"+.~".contains(&b) || extra.contains(&b))
    };
    upstream.bytes().next().is_some_and(|b| b.is_ascii_digit())
        && fine(upstream, b"-")
        && revision.is_none_or(|r| !r.is_empty() && fine(r, b""))
}

/// dpkg's order of two versions (`dpkg --compare-versions a lt b` is `compare(a, b) == Less`).
/// A version that is no version sorts by its text, before every real one.
pub fn compare(a: &str, b: &str) -> Ordering {
    match (is_version(a), is_version(b)) {
        (true, true) => {
            let (ea, ua, ra) = parts(a);
            let (eb, ub, rb) = parts(b);
            ea.cmp(&eb)
                .then_with(|| compare_part(ua, ub))
                .then_with(|| compare_part(ra, rb))
        }
        (true, false) => Ordering::Greater,
        (false, true) => Ordering::Less,
        (false, false) => a.cmp(b),
    }
}

/// Whether `published` is newer than `running`.
pub fn is_newer(published: &str, running: &str) -> bool {
    is_version(published) && compare(published, running) == Ordering::Greater
}

fn parts(v: &str) -> (u64, &str, &str) {
    let (epoch, rest) = match v.split_once(':') {
        Some((e, r)) => (e.parse().unwrap_or(u64::MAX), r),
        None => (0, v),
    };
    match rest.rsplit_once('-') {
        Some((u, r)) => (epoch, u, r),
        None => (epoch, rest, ""),
    }
}

/// The weight of a character in the non-digit runs: `~` first, then the end, then letters,
/// then everything else.
fn weight(c: Option<u8>) -> i32 {
    match c {
        Some(b'~') => -1,
        None => 0,
        Some(c) if c.is_ascii_alphabetic() => i32::from(c),
        Some(c) => i32::from(c) + 256,
    }
}

fn compare_part(a: &str, b: &str) -> Ordering {
    let (mut a, mut b) = (a.as_bytes(), b.as_bytes());
    while !a.is_empty() || !b.is_empty() {
        // The non-digit prefixes, character by character.
        loop {
            let (ca, cb) = (
                a.first().copied().filter(|c| !c.is_ascii_digit()),
                b.first().copied().filter(|c| !c.is_ascii_digit()),
            );
            if ca.is_none() && cb.is_none() {
                break;
            }
            match weight(ca).cmp(&weight(cb)) {
                Ordering::Equal => {
                    a = &a[1..];
                    b = &b[1..];
                }
                other => return other,
            }
        }
        // The digit runs, as numbers (leading zeros ignored).
        let digits = |s: &[u8]| s.iter().take_while(|c| c.is_ascii_digit()).count();
        let (na, nb) = (digits(a), digits(b));
        let trim = |s: &[u8]| {
            let z = s.iter().take_while(|c| **c == b'0').count();
            s[z..].to_vec()
        };
        let (da, db) = (trim(&a[..na]), trim(&b[..nb]));
        match da.len().cmp(&db.len()).then_with(|| da.cmp(&db)) {
            Ordering::Equal => {
                a = &a[na..];
                b = &b[nb..];
            }
            other => return other,
        }
    }
    Ordering::Equal
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Pairs from Debian Policy and dpkg's own test suite, each `a < b`.
    const ASCENDING: &[(&str, &str)] = &[
        ("0.1.0", "0.1.0+next1"),
        ("0.1.0~rc1", "0.1.0"),
        ("0.1.0", "0.1.1"),
        ("0.9", "0.10"),
        ("1.0", "1.0-1"),
        ("1.0-1", "1.0-2"),
        ("1.0-9", "1.0-10"),
        ("1.0~", "1.0"),
        ("1.0~~", "1.0~"),
        ("1.0~~a", "1.0~"),
        ("1.0", "1.0a"),
        ("1.0a", "1.0+"),
        ("1.0+next1", "1.0+next2"),
        ("9.9", "1:0.1"),
        ("1:1.0", "2:0.1"),
        ("0.1.0+next1", "0.1.0+next1+next2"),
        ("2.7.4", "2.7.10"),
        ("1.001", "1.2"),
    ];

    #[test]
    fn versions_sort_as_dpkg_sorts_them() {
        for (a, b) in ASCENDING {
            assert_eq!(compare(a, b), Ordering::Less, "{a} < {b}");
            assert_eq!(compare(b, a), Ordering::Greater, "{b} > {a}");
            assert!(is_newer(b, a) && !is_newer(a, b), "{b} newer than {a}");
        }
        assert_eq!(compare("1.01", "1.1"), Ordering::Equal);
        assert_eq!(compare("0:1.0", "1.0"), Ordering::Equal);
        assert!(!is_newer("0.1.0", "0.1.0"));
    }

    /// The same pairs through dpkg itself, where this machine has it.
    #[test]
    fn dpkg_agrees() {
        let Ok(out) = std::process::Command::new("dpkg").arg("--version").output() else {
            eprintln!("skipped: no dpkg");
            return;
        };
        assert!(out.status.success());
        for (a, b) in ASCENDING {
            let lt = std::process::Command::new("dpkg")
                .args(["--compare-versions", a, "lt", b])
                .status()
                .unwrap();
            assert!(lt.success(), "dpkg says {a} is not below {b}");
        }
    }

    #[test]
    fn what_is_no_version_is_refused() {
        for good in [
            "0.1.0",
            "1:2.3-4",
            "0.1.0+next1",
            "1.0~rc1",
            "2.0-1+deb12u1",
        ] {
            assert!(is_version(good), "{good}");
        }
        for bad in [
            "",
            "v1.0",
            "1.0 ",
            "1.0-",
            ":1.0",
            "a:1.0",
            "1.0/2",
            "版本1",
            &"1".repeat(65),
        ] {
            assert!(!is_version(bad), "{bad:?}");
        }
        assert!(is_newer("0.2", "garbage"));
        assert!(!is_newer("garbage", "0.2"));
    }
}
