//! Centres: a county's main hall (county level), its towns' 便民服务中心 and villages'
//! 便民服务站, each under the one above it. Which items a centre accepts follows the catalog's
//! per-item `levels` (absent: county only) and the centre's own adjustments; an item a centre
//! does not accept is pointed to the centres that do, nearest first along the parent chain.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use serde::{Deserialize, Serialize};

/// 市、镇、村三级: the county's hall, a town's centre, a village's station.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CentreLevel {
    County,
    Town,
    Village,
}

impl CentreLevel {
    pub fn as_str(self) -> &'static str {
        match self {
            CentreLevel::County => "county",
            CentreLevel::Town => "town",
            CentreLevel::Village => "village",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "county" => Some(CentreLevel::County),
            "town" => Some(CentreLevel::Town),
            "village" => Some(CentreLevel::Village),
            _ => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            CentreLevel::County => "县级政务服务中心",
            CentreLevel::Town => "镇（街道）便民服务中心",
            CentreLevel::Village => "村（社区）便民服务站",
        }
    }

    /// Whether a centre of this level may sit under one of `parent`'s: a parent is always of
    /// a higher level (county above town above village).
    pub fn may_sit_under(self, parent: CentreLevel) -> bool {
        parent < self
    }
}

/// A centre as desks and pages name it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CentreRef {
    pub code: String,
    pub name: String,
    pub level: CentreLevel,
}

/// A centre with its place in the county.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Centre {
    pub code: String,
    pub name: String,
    pub level: CentreLevel,
    pub parent: Option<String>,
}

impl Centre {
    pub fn as_ref(&self) -> CentreRef {
        CentreRef {
            code: self.code.clone(),
            name: self.name.clone(),
            level: self.level,
        }
    }
}

/// What a desk receives with the catalog: its centre, the items it accepts, and for every
/// other item the centres that accept it, nearest first.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct CentreScope {
    pub centre: Option<CentreRef>,
    pub accepts: BTreeSet<String>,
    pub elsewhere: BTreeMap<String, Vec<CentreRef>>,
    /// 帮办代办: the centre's staff (clerks and supervisors) a helper is picked from.
    #[serde(default)]
    pub helpers: Vec<String>,
}

impl CentreScope {
    /// Whether this desk's centre accepts `item`. A desk that has not yet received its scope
    /// (an older hub, a fresh cache) accepts as before.
    pub fn accepts(&self, item: &str) -> bool {
        self.centre.is_none() || self.accepts.contains(item)
    }

    /// The centres that accept `item`, nearest first (empty when none does).
    pub fn elsewhere(&self, item: &str) -> &[CentreRef] {
        self.elsewhere.get(item).map_or(&[], Vec::as_slice)
    }

    /// The clerk's sentence for an item this centre does not accept.
    pub fn refusal(&self, item_name: &str, item: &str) -> String {
        let here = self.centre.as_ref().map_or("本中心", |c| c.name.as_str());
        let there = self.elsewhere(item);
        if there.is_empty() {
            format!("{here}不受理「{item_name}」，县内暂无中心受理此事项，请咨询县政务服务中心。")
        } else {
            let names: Vec<&str> = there.iter().map(|c| c.name.as_str()).collect();
            format!(
                "{here}不受理「{item_name}」，请引导办事人到{}办理。",
                names.join("、")
            )
        }
    }
}

/// Whether a centre of `level` accepts an item with catalog `levels`, before adjustments:
/// absent levels mean the county hall only.
pub fn level_accepts(levels: Option<&[CentreLevel]>, level: CentreLevel) -> bool {
    match levels {
        Some(ls) => ls.contains(&level),
        None => level == CentreLevel::County,
    }
}

/// `centre`'s chain upwards: itself, its parent, the parent's parent… (stops at a loop).
pub fn chain<'a>(centres: &'a HashMap<String, Centre>, centre: &str) -> Vec<&'a Centre> {
    let mut out: Vec<&Centre> = Vec::new();
    let mut at = centres.get(centre);
    while let Some(c) = at {
        if out.iter().any(|o| o.code == c.code) {
            break;
        }
        out.push(c);
        at = c.parent.as_deref().and_then(|p| centres.get(p));
    }
    out
}

/// Orders the centres that accept an item for a clerk at `from`: up the parent chain first
/// (village → its town → the county hall), then the rest, higher levels first, by code.
pub fn nearest_first(
    centres: &HashMap<String, Centre>,
    from: &str,
    accepting: &[&Centre],
) -> Vec<CentreRef> {
    let up = chain(centres, from);
    let mut out: Vec<CentreRef> = up
        .iter()
        .skip(1)
        .filter(|c| accepting.iter().any(|a| a.code == c.code))
        .map(|c| c.as_ref())
        .collect();
    let mut rest: Vec<&&Centre> = accepting
        .iter()
        .filter(|a| a.code != from && !out.iter().any(|o| o.code == a.code))
        .collect();
    rest.sort_by(|a, b| (a.level, &a.code).cmp(&(b.level, &b.code)));
    out.extend(rest.into_iter().map(|c| c.as_ref()));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(code: &str, level: CentreLevel, parent: Option<&str>) -> (String, Centre) {
        (
            code.into(),
            Centre {
                code: code.into(),
                name: format!("{code}中心"),
                level,
                parent: parent.map(Into::into),
            },
        )
    }

    #[test]
    fn levels_nest_and_absent_levels_mean_the_county_hall() {
        use CentreLevel::*;
        assert!(Town.may_sit_under(County) && Village.may_sit_under(Town));
        assert!(Village.may_sit_under(County));
        assert!(!Town.may_sit_under(Town) && !County.may_sit_under(Village));
        assert!(level_accepts(None, County) && !level_accepts(None, Town));
        assert!(level_accepts(Some(&[Town, Village]), Village));
        assert!(!level_accepts(Some(&[Town]), County));
        assert_eq!(CentreLevel::parse("town"), Some(Town));
        assert_eq!(CentreLevel::parse("city"), None);
    }

    #[test]
    fn the_nearest_accepting_centre_comes_first() {
        use CentreLevel::*;
        let centres: HashMap<String, Centre> = [
            c("MAIN", County, None),
            c("T1", Town, Some("MAIN")),
            c("T2", Town, Some("MAIN")),
            c("V1", Village, Some("T1")),
        ]
        .into_iter()
        .collect();
        let all: Vec<&Centre> = ["T2", "MAIN", "T1"].iter().map(|k| &centres[*k]).collect();
        let order: Vec<String> = nearest_first(&centres, "V1", &all)
            .into_iter()
            .map(|c| c.code)
            .collect();
        assert_eq!(order, ["T1", "MAIN", "T2"]);
        let scope = CentreScope {
            centre: Some(centres["V1"].as_ref()),
            accepts: BTreeSet::new(),
            elsewhere: [("X".to_string(), vec![centres["T1"].as_ref()])].into(),
            helpers: vec![],
        };
        assert!(!scope.accepts("X"));
        assert!(scope.refusal("某事项", "X").contains("T1中心"));
        assert!(
            CentreScope::default().accepts("X"),
            "no scope yet: as before"
        );
    }
}
