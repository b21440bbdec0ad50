//! Service-item search: Chinese substring, full pinyin, pinyin initials anywhere, and item-code
//! prefix, ranked exact > prefix > initials/pinyin-anywhere > substring, leaves before containers.
//!
//! Every reading of a polyphonic character is indexed (行 is both `xing` and `hang`). A query of
//! letters matches a run of characters where each character is given either by a full reading,
//! by its initial, or — at the end of the query — by the start of a reading, so `gtgsh`, `sldj`,
//! `getigongshanghu` and `getigsh` all find 个体工商户设立登记.

use std::cmp::Ordering;

use pinyin::ToPinyinMulti;
use serde::{Deserialize, Serialize};

use crate::catalog::{ItemLevel, ServiceItem};

/// What the index needs to know of an item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchDoc {
    pub code: String,
    pub name: String,
    pub level: ItemLevel,
    pub domain: String,
    pub parent: Option<String>,
}

impl From<&ServiceItem> for SearchDoc {
    fn from(it: &ServiceItem) -> Self {
        SearchDoc {
            code: it.code.clone(),
            name: it.name.clone(),
            level: it.level,
            domain: it.domain.clone(),
            parent: it.parent.clone(),
        }
    }
}

/// How well a hit matched; the order is the ranking.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchKind {
    /// The whole name, the whole code, or the whole name's pinyin/initials.
    Exact,
    /// Starts at the beginning of the name (text or pinyin) or of the code.
    Prefix,
    /// Pinyin or initials matched from a later character.
    Initials,
    /// Chinese text found inside the name.
    Substring,
}

#[derive(Debug, Clone)]
pub struct SearchQuery<'a> {
    pub text: &'a str,
    pub domain: Option<&'a str>,
    pub limit: usize,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchHit {
    /// Position of the document in the order it was given to [`CatalogIndex::build`].
    pub doc: usize,
    pub kind: MatchKind,
    pub is_leaf: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SearchResults {
    pub hits: Vec<SearchHit>,
    /// All matches, of which `hits` are the best `limit`.
    pub total: usize,
}

/// One character's readings: plain syllables, lower-case ASCII (ü written as `v`).
#[derive(Debug, Clone)]
struct Syllables {
    readings: Vec<&'static str>,
    /// Bit per letter a–z: which initials this character can have.
    initials: u32,
}

#[derive(Debug, Clone)]
struct Entry {
    code: String,
    name: String,
    domain: String,
    is_leaf: bool,
    syllables: Vec<Syllables>,
    /// Every letter that occurs in any reading: a query with another letter cannot match.
    letters: u32,
}

/// An in-memory index over the catalog's items, rebuilt when the catalog changes.
#[derive(Debug, Clone, Default)]
pub struct CatalogIndex {
    entries: Vec<Entry>,
}

fn bit(b: u8) -> u32 {
    debug_assert!(b.is_ascii_lowercase());
    1 << (b - b'a')
}

fn letters_of(s: &str) -> u32 {
    s.bytes()
        .filter(u8::is_ascii_lowercase)
        .fold(0, |m, b| m | bit(b))
}

/// Readings as typed on a keyboard: `ü` is typed `v`, and many people type `u`.
fn keyboard_forms(plain: &'static str, out: &mut Vec<&'static str>) {
    let forms: &[&'static str] = match plain {
        "lü" => &["lv", "lu"],
        "nü" => &["nv", "nu"],
        "lüe" => &["lve", "lue"],
        "nüe" => &["nve", "nue"],
        other if other.is_ascii() => {
            if !out.contains(&other) {
                out.push(other);
            }
            return;
        }
        // Anything else non-ASCII in the data is not typeable; skip it.
        _ => &[],
    };
    for f in forms {
        if !out.contains(f) {
            out.push(f);
        }
    }
}

const ASCII_SINGLE: [&str; 36] = [
    "0", "1", "2", "3", "4", "5", "6", "7", "8", "9", "a", "b", "c", "d", "e", "f", "g", "h", "i",
    "j", "k", "l", "m", "n", "o", "p", "q", "r", "s", "t", "u", "v", "w", "x", "y", "z",
];

fn syllables_of(name: &str) -> Vec<Syllables> {
    let mut out = Vec::with_capacity(name.chars().count());
    for ch in name.chars() {
        let mut readings = Vec::new();
        if let Some(multi) = ch.to_pinyin_multi() {
            for p in multi {
                keyboard_forms(p.plain(), &mut readings);
            }
        } else if ch.is_ascii_alphanumeric() {
            let lc = ch.to_ascii_lowercase();
            let idx = if lc.is_ascii_digit() {
                lc as usize - '0' as usize
            } else {
                10 + lc as usize - 'a' as usize
            };
            readings.push(ASCII_SINGLE[idx]);
        }
        // Punctuation such as （） has no reading and is skipped for pinyin matching.
        if readings.is_empty() {
            continue;
        }
        let initials = readings
            .iter()
            .filter_map(|r| r.bytes().next().filter(u8::is_ascii_lowercase))
            .fold(0, |m, b| m | bit(b));
        out.push(Syllables { readings, initials });
    }
    out
}

/// Matches `q` against syllables from `i` on. Returns whether all of `q` was consumed, and
/// whether that happened exactly at the last syllable (the whole name).
fn match_from(syl: &[Syllables], i: usize, q: &[u8]) -> Option<bool> {
    if q.is_empty() {
        return Some(i == syl.len());
    }
    let s = syl.get(i)?;
    if s.initials & bit(q[0]) == 0 {
        return None;
    }
    let mut found = None;
    for r in &s.readings {
        let r = r.as_bytes();
        if q.len() >= r.len() && &q[..r.len()] == r {
            if let Some(whole) = match_from(syl, i + 1, &q[r.len()..]) {
                if whole {
                    return Some(true);
                }
                found = Some(false);
            }
        } else if r.starts_with(q) {
            // The query ends inside this syllable: a prefix, never the whole name.
            found = found.or(Some(false));
        }
    }
    // The character given by its initial alone.
    if let Some(whole) = match_from(syl, i + 1, &q[1..]) {
        if whole {
            return Some(true);
        }
        found = found.or(Some(false));
    }
    found
}

enum QueryShape {
    /// Only letters: pinyin or initials.
    Letters(Vec<u8>),
    /// Only digits: item code prefix.
    Digits,
    /// Anything else: text inside the name.
    Text,
}

fn shape(q: &str) -> QueryShape {
    let compact: Vec<u8> = q
        .bytes()
        .filter(|b| !matches!(b, b' ' | b'\''))
        .map(|b| b.to_ascii_lowercase())
        .collect();
    if compact.is_empty() {
        QueryShape::Text
    } else if compact.iter().all(u8::is_ascii_lowercase) {
        QueryShape::Letters(compact)
    } else if compact.iter().all(u8::is_ascii_digit) {
        QueryShape::Digits
    } else {
        QueryShape::Text
    }
}

impl CatalogIndex {
    pub fn build<I: IntoIterator<Item = SearchDoc>>(docs: I) -> Self {
        let docs: Vec<SearchDoc> = docs.into_iter().collect();
        let parents: std::collections::HashSet<&str> =
            docs.iter().filter_map(|d| d.parent.as_deref()).collect();
        let entries = docs
            .iter()
            .map(|d| {
                let syllables = syllables_of(&d.name);
                let letters = syllables
                    .iter()
                    .flat_map(|s| s.readings.iter())
                    .fold(0, |m, r| m | letters_of(r));
                Entry {
                    code: d.code.clone(),
                    name: d.name.clone(),
                    domain: d.domain.clone(),
                    is_leaf: !parents.contains(d.code.as_str()),
                    syllables,
                    letters,
                }
            })
            .collect();
        CatalogIndex { entries }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    fn match_entry(e: &Entry, q: &str, shape: &QueryShape) -> Option<MatchKind> {
        match shape {
            QueryShape::Letters(letters) => {
                let need = letters
                    .iter()
                    .filter(|b| b.is_ascii_lowercase())
                    .fold(0, |m, &b| m | bit(b));
                if need & e.letters != need {
                    return None;
                }
                let mut best = None;
                for start in 0..e.syllables.len() {
                    if let Some(whole) = match_from(&e.syllables, start, letters) {
                        let kind = match (start, whole) {
                            (0, true) => MatchKind::Exact,
                            (0, false) => MatchKind::Prefix,
                            _ => MatchKind::Initials,
                        };
                        if start == 0 {
                            return Some(kind);
                        }
                        best = Some(kind);
                        break;
                    }
                }
                best
            }
            QueryShape::Digits => {
                let q = q.trim();
                if e.code == q {
                    Some(MatchKind::Exact)
                } else if e.code.starts_with(q) {
                    Some(MatchKind::Prefix)
                } else if e.name.contains(q) {
                    Some(MatchKind::Substring)
                } else {
                    None
                }
            }
            QueryShape::Text => {
                let q = q.trim();
                if q.is_empty() {
                    return None;
                }
                if e.name == q {
                    Some(MatchKind::Exact)
                } else if e.name.starts_with(q) {
                    Some(MatchKind::Prefix)
                } else if e.name.contains(q) {
                    Some(MatchKind::Substring)
                } else {
                    None
                }
            }
        }
    }

    /// Best `limit` hits, ranked exact > prefix > initials > substring, leaves before containers,
    /// then shorter names, then by code. An empty query lists nothing.
    pub fn search(&self, query: &SearchQuery<'_>) -> SearchResults {
        let shape = shape(query.text);
        let mut hits: Vec<SearchHit> = self
            .entries
            .iter()
            .enumerate()
            .filter(|(_, e)| query.domain.is_none_or(|d| d == e.domain))
            .filter_map(|(i, e)| {
                Self::match_entry(e, query.text, &shape).map(|kind| SearchHit {
                    doc: i,
                    kind,
                    is_leaf: e.is_leaf,
                })
            })
            .collect();
        let total = hits.len();
        let rank = |a: &SearchHit, b: &SearchHit| -> Ordering {
            let (ea, eb) = (&self.entries[a.doc], &self.entries[b.doc]);
            a.kind
                .cmp(&b.kind)
                .then(b.is_leaf.cmp(&a.is_leaf))
                .then(ea.name.len().cmp(&eb.name.len()))
                .then(ea.code.cmp(&eb.code))
        };
        if hits.len() > query.limit && query.limit > 0 {
            hits.select_nth_unstable_by(query.limit - 1, rank);
            hits.truncate(query.limit);
        } else if query.limit == 0 {
            hits.clear();
        }
        hits.sort_unstable_by(rank);
        SearchResults { hits, total }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn doc(code: &str, name: &str, parent: Option<&str>, domain: &str) -> SearchDoc {
        SearchDoc {
            code: code.into(),
            name: name.into(),
            level: if parent.is_some() {
                ItemLevel::Sub
            } else {
                ItemLevel::Main
            },
            domain: domain.into(),
            parent: parent.map(Into::into),
        }
    }

    fn index() -> CatalogIndex {
        CatalogIndex::build([
            doc("000105001000", "个体工商户登记", None, "SCJG"),
            doc(
                "000105001001",
                "个体工商户设立登记",
                Some("000105001000"),
                "SCJG",
            ),
            doc(
                "000105001003",
                "个体工商户注销登记",
                Some("000105001000"),
                "SCJG",
            ),
            doc("000172001001", "居民身份证换领（重新申领）", None, "GA"),
            doc("000172002001", "银行账户开户核验", None, "JR"),
            doc("000155001001", "律师执业许可", None, "SF"),
            doc("000155001002", "登记", None, "SF"),
        ])
    }

    fn names(idx: &CatalogIndex, q: &str) -> Vec<(String, MatchKind)> {
        idx.search(&SearchQuery {
            text: q,
            domain: None,
            limit: 10,
        })
        .hits
        .iter()
        .map(|h| (idx.entries[h.doc].name.clone(), h.kind))
        .collect()
    }

    #[test]
    fn initials_match_anywhere() {
        let idx = index();
        assert_eq!(
            names(&idx, "gtgsh"),
            vec![
                ("个体工商户设立登记".to_string(), MatchKind::Prefix),
                ("个体工商户注销登记".to_string(), MatchKind::Prefix),
                ("个体工商户登记".to_string(), MatchKind::Prefix),
            ],
            "leaves before their container, then shorter names"
        );
        assert_eq!(
            names(&idx, "sldj"),
            vec![("个体工商户设立登记".to_string(), MatchKind::Initials)]
        );
    }

    #[test]
    fn full_and_mixed_pinyin() {
        let idx = index();
        let expect = vec![("个体工商户设立登记".to_string(), MatchKind::Prefix)];
        assert_eq!(names(&idx, "getigongshanghushe"), expect);
        assert_eq!(names(&idx, "getigshsl"), expect);
        assert_eq!(names(&idx, "Ge Ti Gong Shang Hu She"), expect);
        assert_eq!(
            names(&idx, "gtgshsldj"),
            vec![("个体工商户设立登记".to_string(), MatchKind::Exact)]
        );
    }

    #[test]
    fn every_reading_of_polyphonic_characters() {
        let idx = index();
        // 重 is chong (重新) and zhong; 行 is hang (银行) and xing.
        for q in ["cxsl", "zxsl", "chongxinshenling"] {
            assert_eq!(
                names(&idx, q),
                vec![(
                    "居民身份证换领（重新申领）".to_string(),
                    MatchKind::Initials
                )],
                "{q}"
            );
        }
        for q in ["yhzh", "yxzh", "yinhang"] {
            assert_eq!(names(&idx, q)[0].0, "银行账户开户核验", "{q}");
        }
        // 律 is lü: typed lv or lu.
        assert_eq!(names(&idx, "lvshi")[0].0, "律师执业许可");
        assert_eq!(names(&idx, "lushi")[0].0, "律师执业许可");
    }

    #[test]
    fn chinese_text_and_code_prefix() {
        let idx = index();
        assert_eq!(
            names(&idx, "登记"),
            vec![
                ("登记".to_string(), MatchKind::Exact),
                ("个体工商户设立登记".to_string(), MatchKind::Substring),
                ("个体工商户注销登记".to_string(), MatchKind::Substring),
                ("个体工商户登记".to_string(), MatchKind::Substring),
            ]
        );
        assert_eq!(
            names(&idx, "个体工商户"),
            vec![
                ("个体工商户设立登记".to_string(), MatchKind::Prefix),
                ("个体工商户注销登记".to_string(), MatchKind::Prefix),
                ("个体工商户登记".to_string(), MatchKind::Prefix),
            ]
        );
        assert_eq!(
            names(&idx, "000105001001"),
            vec![("个体工商户设立登记".to_string(), MatchKind::Exact)]
        );
        assert_eq!(names(&idx, "0001050").len(), 3);
        assert!(names(&idx, "").is_empty());
        assert!(names(&idx, "qqqq").is_empty());
    }

    #[test]
    fn domain_filter_and_limit() {
        let idx = index();
        let r = idx.search(&SearchQuery {
            text: "dj",
            domain: Some("SF"),
            limit: 10,
        });
        assert_eq!(r.total, 1);
        assert_eq!(idx.entries[r.hits[0].doc].name, "登记");
        let r = idx.search(&SearchQuery {
            text: "dj",
            domain: None,
            limit: 2,
        });
        assert_eq!(r.total, 4);
        assert_eq!(
            r.hits
                .iter()
                .map(|h| idx.entries[h.doc].name.as_str())
                .collect::<Vec<_>>(),
            vec!["登记", "个体工商户设立登记"]
        );
    }
}
