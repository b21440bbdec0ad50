//! Service-item search: Chinese substring, full pinyin, pinyin initials anywhere, and item-code
//! prefix, ranked exact > prefix > initials/pinyin-anywhere > substring, leaves before containers.
//!
//! Every reading of a polyphonic character is indexed (行 is both `xing` and `hang`). A query of
//! letters matches a run of characters where each character is given either by a full reading,
//! by its initial, or — at the end of the query — by the start of a reading, so `gtgsh`, `sldj`,
//! `getigongshanghu` and `getigsh` all find 个体工商户设立登记.

use std::cmp::Ordering;
use std::collections::HashMap;

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

/// The index keeps everything in a few contiguous arrays (struct of arrays): a search touches
/// every item, and chasing one heap pointer per item costs more than the matching itself.
#[derive(Debug, Clone)]
pub struct CatalogIndex {
    /// All names, each followed by '\n', so one substring scan covers every item.
    names: String,
    /// Byte offset of each item's name in `names`; one extra entry marks the end.
    name_start: Vec<u32>,
    /// All codes back to back; `code_start` as for names.
    codes: String,
    code_start: Vec<u32>,
    domain: Vec<u16>,
    domains: Vec<String>,
    is_leaf: Vec<bool>,
    /// Every letter in any reading of the item: a query with another letter cannot match.
    letters: Vec<u32>,
    /// Item → its first character in `initials` / `reading_start` (one extra entry at the end).
    char_start: Vec<u32>,
    /// Per character: bit per letter a–z, the initials it can have.
    initials: Vec<u32>,
    /// Per character: its first reading in `reading_ids` (one extra entry at the end).
    reading_start: Vec<u32>,
    /// Readings as indices into `syllables`.
    reading_ids: Vec<u16>,
    /// Every distinct typed syllable (lower-case ASCII, ü typed as v or u).
    syllables: Vec<&'static str>,
    /// Per item: every letter pair that can occur in a typed form of its name (inside a
    /// reading, or across a character boundary), as a 26×26 bit set.
    pairs: Vec<PairSet>,
    /// Letter pair → the items whose `pairs` contain it, ascending.
    pair_docs: Vec<Vec<u32>>,
}

impl Default for CatalogIndex {
    /// An index of no items (with its end markers, like any built index).
    fn default() -> Self {
        CatalogIndex::build([])
    }
}

/// A set of letter pairs (a, b), a and b in a–z.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct PairSet([u64; 11]);

impl PairSet {
    fn index(a: u8, b: u8) -> usize {
        (a - b'a') as usize * 26 + (b - b'a') as usize
    }
    fn insert(&mut self, a: u8, b: u8) {
        if a.is_ascii_lowercase() && b.is_ascii_lowercase() {
            let i = Self::index(a, b);
            self.0[i / 64] |= 1 << (i % 64);
        }
    }
    fn contains(&self, i: usize) -> bool {
        self.0[i / 64] & (1 << (i % 64)) != 0
    }
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

/// The typed readings of one character; empty for punctuation, which pinyin matching skips.
fn readings_of(ch: char) -> Vec<&'static str> {
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
    readings
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
        let mut ix = CatalogIndex {
            names: String::new(),
            name_start: Vec::new(),
            codes: String::new(),
            code_start: Vec::new(),
            domain: Vec::new(),
            domains: Vec::new(),
            is_leaf: Vec::new(),
            letters: Vec::new(),
            char_start: Vec::new(),
            initials: Vec::new(),
            reading_start: Vec::new(),
            reading_ids: Vec::new(),
            syllables: Vec::new(),
            pairs: Vec::new(),
            pair_docs: Vec::new(),
        };
        let mut syllable_ids: HashMap<&'static str, u16> = HashMap::new();
        let mut domain_ids: HashMap<&str, u16> = HashMap::new();
        let mut char_cache: HashMap<char, (u32, Vec<u16>)> = HashMap::new();
        for d in &docs {
            ix.name_start.push(ix.names.len() as u32);
            // A newline cannot be part of a query's text match (queries are trimmed lines).
            ix.names.extend(d.name.chars().filter(|&c| c != '\n'));
            ix.names.push('\n');
            ix.code_start.push(ix.codes.len() as u32);
            ix.codes.push_str(&d.code);
            let next_domain = domain_ids.len() as u16;
            let dom = *domain_ids.entry(d.domain.as_str()).or_insert_with(|| {
                ix.domains.push(d.domain.clone());
                next_domain
            });
            ix.domain.push(dom);
            ix.is_leaf.push(!parents.contains(d.code.as_str()));
            ix.char_start.push(ix.initials.len() as u32);
            let mut letters = 0;
            let mut pairs = PairSet::default();
            // The previous character's readings, as a range of `reading_ids`.
            let mut prev = 0..0;
            for ch in d.name.chars() {
                let (mask, ids) = char_cache.entry(ch).or_insert_with(|| {
                    let readings = readings_of(ch);
                    let mask = readings
                        .iter()
                        .filter_map(|r| r.bytes().next().filter(u8::is_ascii_lowercase))
                        .fold(0, |m, b| m | bit(b));
                    let ids = readings
                        .iter()
                        .map(|r| {
                            let next = ix.syllables.len() as u16;
                            *syllable_ids.entry(r).or_insert_with(|| {
                                ix.syllables.push(r);
                                next
                            })
                        })
                        .collect();
                    (mask, ids)
                });
                if ids.is_empty() {
                    continue;
                }
                for &id in ids.iter() {
                    let r = ix.syllables[id as usize].as_bytes();
                    letters |= letters_of(ix.syllables[id as usize]);
                    for w in r.windows(2) {
                        pairs.insert(w[0], w[1]);
                    }
                    // The previous character typed in full or by its initial, then this one.
                    for &p in &ix.reading_ids[prev.clone()] {
                        let p = ix.syllables[p as usize].as_bytes();
                        pairs.insert(p[0], r[0]);
                        pairs.insert(p[p.len() - 1], r[0]);
                    }
                }
                ix.initials.push(*mask);
                ix.reading_start.push(ix.reading_ids.len() as u32);
                let at = ix.reading_ids.len();
                ix.reading_ids.extend_from_slice(ids);
                prev = at..ix.reading_ids.len();
            }
            ix.letters.push(letters);
            ix.pairs.push(pairs);
        }
        ix.pair_docs = vec![Vec::new(); 26 * 26];
        for (doc, set) in ix.pairs.iter().enumerate() {
            for (i, docs) in ix.pair_docs.iter_mut().enumerate() {
                if set.contains(i) {
                    docs.push(doc as u32);
                }
            }
        }
        ix.name_start.push(ix.names.len() as u32);
        ix.code_start.push(ix.codes.len() as u32);
        ix.char_start.push(ix.initials.len() as u32);
        ix.reading_start.push(ix.reading_ids.len() as u32);
        ix
    }

    pub fn len(&self) -> usize {
        self.is_leaf.len()
    }

    pub fn is_empty(&self) -> bool {
        self.is_leaf.is_empty()
    }

    /// The name of document `doc`, as given to [`CatalogIndex::build`].
    pub fn name(&self, doc: usize) -> &str {
        let (a, b) = (
            self.name_start[doc] as usize,
            self.name_start[doc + 1] as usize,
        );
        &self.names[a..b - 1]
    }

    pub fn code(&self, doc: usize) -> &str {
        &self.codes[self.code_start[doc] as usize..self.code_start[doc + 1] as usize]
    }

    /// Matches `q` against the characters `c..end` (global character indices). Each
    /// character is typed as a full reading, as its initial, or — where the query ends — as
    /// the start of a reading. Returns whether all of `q` was consumed, and whether that
    /// happened exactly at `end` (the whole name).
    fn match_from(&self, c: usize, end: usize, q: &[u8]) -> Option<bool> {
        if q.is_empty() {
            return Some(c == end);
        }
        if c == end || self.initials[c] & bit(q[0]) == 0 {
            return None;
        }
        let mut found = None;
        let ids =
            &self.reading_ids[self.reading_start[c] as usize..self.reading_start[c + 1] as usize];
        for &id in ids {
            let r = self.syllables[id as usize].as_bytes();
            if q.len() >= r.len() && &q[..r.len()] == r {
                if let Some(whole) = self.match_from(c + 1, end, &q[r.len()..]) {
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
        if let Some(whole) = self.match_from(c + 1, end, &q[1..]) {
            if whole {
                return Some(true);
            }
            found = found.or(Some(false));
        }
        found
    }

    fn match_letters(&self, doc: usize, q: &[u8], need: u32) -> Option<MatchKind> {
        if need & self.letters[doc] != need {
            return None;
        }
        let (start, end) = (
            self.char_start[doc] as usize,
            self.char_start[doc + 1] as usize,
        );
        let first = bit(q[0]);
        for c in start..end {
            if self.initials[c] & first == 0 {
                continue;
            }
            if let Some(whole) = self.match_from(c, end, q) {
                return Some(match (c == start, whole) {
                    (true, true) => MatchKind::Exact,
                    (true, false) => MatchKind::Prefix,
                    _ => MatchKind::Initials,
                });
            }
        }
        None
    }

    /// Every item whose name contains `q`, with the best kind per item, in one scan.
    fn text_matches(&self, q: &str, out: &mut HashMap<usize, MatchKind>) {
        for at in memchr::memmem::find_iter(self.names.as_bytes(), q.as_bytes()) {
            let doc = self.name_start.partition_point(|&s| s as usize <= at) - 1;
            let start = self.name_start[doc] as usize;
            let kind = if at == start {
                if self.name_start[doc + 1] as usize - 1 - start == q.len() {
                    MatchKind::Exact
                } else {
                    MatchKind::Prefix
                }
            } else {
                MatchKind::Substring
            };
            out.entry(doc)
                .and_modify(|k| *k = (*k).min(kind))
                .or_insert(kind);
        }
    }

    /// Best `limit` hits, ranked exact > prefix > initials > substring, leaves before containers,
    /// then shorter names, then by code. An empty query lists nothing.
    pub fn search(&self, query: &SearchQuery<'_>) -> SearchResults {
        let domain = match query.domain {
            None => None,
            Some(d) => match self.domains.iter().position(|x| x == d) {
                Some(i) => Some(i as u16),
                None => return SearchResults::default(),
            },
        };
        let in_domain = |doc: usize| domain.is_none_or(|d| self.domain[doc] == d);
        let mut hits: Vec<SearchHit> = Vec::new();
        let mut push = |doc: usize, kind: MatchKind| {
            hits.push(SearchHit {
                doc,
                kind,
                is_leaf: self.is_leaf[doc],
            })
        };
        match shape(query.text) {
            QueryShape::Letters(q) => {
                let need = q.iter().fold(0, |m, &b| m | bit(b));
                if q.len() == 1 {
                    for doc in (0..self.len()).filter(|&d| in_domain(d)) {
                        if let Some(kind) = self.match_letters(doc, &q, need) {
                            push(doc, kind);
                        }
                    }
                } else {
                    // Every letter pair of the query must be a pair of the name: start from
                    // the items of the rarest pair and check the others in their sets.
                    let mut wanted: Vec<usize> =
                        q.windows(2).map(|w| PairSet::index(w[0], w[1])).collect();
                    wanted.sort_unstable();
                    wanted.dedup();
                    let rarest = *wanted
                        .iter()
                        .min_by_key(|&&i| self.pair_docs[i].len())
                        .expect("two letters make a pair");
                    for &doc in &self.pair_docs[rarest] {
                        let doc = doc as usize;
                        if !in_domain(doc) || !wanted.iter().all(|&i| self.pairs[doc].contains(i)) {
                            continue;
                        }
                        if let Some(kind) = self.match_letters(doc, &q, need) {
                            push(doc, kind);
                        }
                    }
                }
            }
            QueryShape::Digits => {
                let q = query.text.trim();
                let mut found = HashMap::new();
                self.text_matches(q, &mut found);
                for doc in (0..self.len()).filter(|&d| in_domain(d)) {
                    let code = self.code(doc);
                    let kind = if code == q {
                        Some(MatchKind::Exact)
                    } else if code.starts_with(q) {
                        Some(MatchKind::Prefix)
                    } else {
                        found.get(&doc).map(|_| MatchKind::Substring)
                    };
                    if let Some(kind) = kind {
                        push(doc, kind);
                    }
                }
            }
            QueryShape::Text => {
                let q = query.text.trim();
                if q.is_empty() || q.contains('\n') {
                    return SearchResults::default();
                }
                let mut found = HashMap::new();
                self.text_matches(q, &mut found);
                for (doc, kind) in found {
                    if in_domain(doc) {
                        push(doc, kind);
                    }
                }
            }
        }
        let total = hits.len();
        let name_len = |doc: usize| self.name_start[doc + 1] - self.name_start[doc];
        let rank = |a: &SearchHit, b: &SearchHit| -> Ordering {
            a.kind
                .cmp(&b.kind)
                .then(b.is_leaf.cmp(&a.is_leaf))
                .then(name_len(a.doc).cmp(&name_len(b.doc)))
                .then(self.code(a.doc).cmp(self.code(b.doc)))
        };
        if query.limit == 0 {
            hits.clear();
        } else if hits.len() > query.limit {
            hits.select_nth_unstable_by(query.limit - 1, rank);
            hits.truncate(query.limit);
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
        .map(|h| (idx.name(h.doc).to_string(), h.kind))
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
    fn pair_filter_never_drops_a_match() {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../demo/catalog-sample.json"
        ))
        .unwrap();
        let sample = crate::Catalog::from_json_str(&text).unwrap();
        let cat = crate::synthetic::generate(&sample, 3000, 5);
        let idx = CatalogIndex::build(cat.items.iter().map(SearchDoc::from));
        let mut rng = crate::synthetic::Rng::new(11);
        for _ in 0..300 {
            let doc = rng.below(idx.len());
            let name: Vec<char> = idx.name(doc).chars().collect();
            let start = rng.below(name.len());
            let take = 1 + rng.below(4);
            // Type each character in full or by its initial, at random.
            let mut q = String::new();
            for ch in name.iter().skip(start).take(take) {
                if let Some(r) = readings_of(*ch).first() {
                    q.push_str(if rng.below(2) == 0 { r } else { &r[..1] });
                }
            }
            if q.len() < 2 || !q.bytes().all(|b| b.is_ascii_lowercase()) {
                continue;
            }
            let bytes = q.as_bytes();
            let need = bytes.iter().fold(0, |m, &b| m | bit(b));
            let brute: Vec<(usize, MatchKind)> = (0..idx.len())
                .filter_map(|d| idx.match_letters(d, bytes, need).map(|k| (d, k)))
                .collect();
            let mut fast: Vec<(usize, MatchKind)> = idx
                .search(&SearchQuery {
                    text: &q,
                    domain: None,
                    limit: usize::MAX,
                })
                .hits
                .iter()
                .map(|h| (h.doc, h.kind))
                .collect();
            fast.sort();
            assert_eq!(fast, brute, "query {q:?}");
            assert!(
                brute.iter().any(|(d, _)| *d == doc),
                "{q:?} must find its own item"
            );
        }
    }

    #[test]
    fn empty_index_finds_nothing() {
        let idx = CatalogIndex::default();
        for q in ["gtgsh", "g", "登记", "0001", ""] {
            assert_eq!(names(&idx, q), vec![], "{q}");
        }
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
        assert_eq!(idx.name(r.hits[0].doc), "登记");
        let r = idx.search(&SearchQuery {
            text: "dj",
            domain: None,
            limit: 2,
        });
        assert_eq!(r.total, 4);
        assert_eq!(
            r.hits.iter().map(|h| idx.name(h.doc)).collect::<Vec<_>>(),
            vec!["登记", "个体工商户设立登记"]
        );
    }
}
