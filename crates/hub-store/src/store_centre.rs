//! Centres in SQL: the county's hall, towns' centres and villages' stations (`centre add`,
//! `centre list`), which items each accepts (`centre items`), and the scope a desk receives
//! with the catalog.

use std::collections::{BTreeSet, HashMap};

use crate::db::{OptionalExtension, params};
use chrono::{DateTime, Utc};
use onewindow_domain::centre::{self, Centre, CentreLevel, CentreScope};

use crate::store::{HubStore, HubStoreError, Result};
use crate::store_queue::{bad, refused, ts};
use onewindow_proto::ApiErrorCode;

/// The centre a hub from before centres became, and a new hub's first.
pub const MAIN_CENTRE: &str = "MAIN";

fn read_centre(r: &crate::db::Row<'_>) -> crate::db::DbResult<Centre> {
    let level: String = r.get(2)?;
    Ok(Centre {
        code: r.get(0)?,
        name: r.get(1)?,
        level: CentreLevel::parse(&level)
            .ok_or_else(|| crate::db::DbError::conversion(2, format!("centre level {level}")))?,
        parent: r.get(3)?,
    })
}

/// A centre code: 1–16 capital letters, digits, `-` or `_` (it names the display's URL).
pub fn is_centre_code(code: &str) -> bool {
    (1..=16).contains(&code.len())
        && code
            .bytes()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'-' || b == b'_')
}

/// The window a desk sits at: its centre and the window's number there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeskWindow {
    pub centre: String,
    pub number: u32,
}

/// What `centre items` changed and where the centre now stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CentreItems {
    pub centre: String,
    pub accepts: usize,
    pub added: Vec<String>,
    pub removed: Vec<String>,
}

impl HubStore {
    /// `centre add`: a parent must exist and be of a higher level; codes are unique.
    pub fn add_centre(
        &mut self,
        code: &str,
        name: &str,
        level: CentreLevel,
        parent: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Centre> {
        let code = code.trim();
        let name = name.trim();
        if !is_centre_code(code) {
            return Err(bad(format!(
                "centre code {code:?} must be 1-16 capital letters, digits, '-' or '_'"
            )));
        }
        if name.is_empty() || name.chars().count() > 40 {
            return Err(bad("a centre's name must be 1-40 characters"));
        }
        if self.centre(code)?.is_some() {
            return Err(bad(format!("centre {code} already exists")));
        }
        // One county hall sees every centre; towns and villages sit under a centre.
        if level == CentreLevel::County {
            return Err(bad(
                "the county already has its county-level centre (MAIN); add towns and villages under it",
            ));
        }
        if parent.is_none() {
            return Err(bad(format!(
                "a {} centre needs --parent (the centre above it)",
                level.as_str()
            )));
        }
        if let Some(p) = parent {
            let Some(pc) = self.centre(p)? else {
                return Err(bad(format!(
                    "parent centre {p} does not exist (see onewindow-hub centre list)"
                )));
            };
            if !level.may_sit_under(pc.level) {
                return Err(bad(format!(
                    "a {} centre cannot sit under {p}, which is {}: a parent is of a higher level (county > town > village)",
                    level.as_str(),
                    pc.level.as_str()
                )));
            }
        }
        self.conn.execute(
            "INSERT INTO centre (code, name, level, parent, created_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![code, name, level.as_str(), parent, ts(now)],
        )?;
        Ok(Centre {
            code: code.into(),
            name: name.into(),
            level,
            parent: parent.map(Into::into),
        })
    }

    /// Every centre, the county first, then towns, then villages, each by code.
    pub fn centres(&self) -> Result<Vec<Centre>> {
        let mut q = self.conn.prepare_cached(
            "SELECT code, name, level, parent FROM centre
             ORDER BY CASE level WHEN 'county' THEN 0 WHEN 'town' THEN 1 ELSE 2 END, code",
        )?;
        Ok(q.query_map((), read_centre)?
            .collect::<crate::db::DbResult<_>>()?)
    }

    pub fn centre(&self, code: &str) -> Result<Option<Centre>> {
        Ok(self
            .conn
            .query_row(
                "SELECT code, name, level, parent FROM centre WHERE code = ?1",
                [code],
                read_centre,
            )
            .optional()?)
    }

    /// The centre a command acts on: the one given (which must exist), or the hub's only one.
    /// Once a hub has two centres, leaving it out is an error that says so.
    pub fn resolve_centre(&self, given: Option<&str>) -> Result<String> {
        match given.map(str::trim) {
            Some(code) => match self.centre(code)? {
                Some(c) => Ok(c.code),
                None => Err(bad(format!(
                    "no centre {code} (see onewindow-hub centre list)"
                ))),
            },
            None => {
                let codes: Vec<String> = self
                    .conn
                    .prepare_cached("SELECT code FROM centre ORDER BY code LIMIT 2")?
                    .query_map((), |r| r.get(0))?
                    .collect::<crate::db::DbResult<_>>()?;
                match codes.as_slice() {
                    [one] => Ok(one.clone()),
                    _ => Err(bad(
                        "this hub has several centres: say which with --centre CODE (see onewindow-hub centre list)",
                    )),
                }
            }
        }
    }

    /// How many desks are enrolled at `centre` (revoked ones not counted).
    pub fn centre_desk_count(&self, centre: &str) -> Result<u32> {
        Ok(self.conn.query_row(
            "SELECT count(*) FROM device WHERE centre = ?1 AND revoked_at IS NULL",
            [centre],
            |r| r.get(0),
        )?)
    }

    /// The window a desk sits at, by its device's desk code.
    pub fn window_of_device(&self, device: &str) -> Result<DeskWindow> {
        let (desk_code, centre): (String, String) = self.conn.query_row(
            "SELECT desk_code, centre FROM device WHERE id = ?1",
            [device],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        let cfg = self.queue_cfg(&centre)?;
        let number = cfg
            .window_of_desk(&desk_code)
            .map(|w| w.number)
            .ok_or_else(|| {
                refused(
                    ApiErrorCode::QueueNoWindow,
                    format!(
                        "desk {desk_code} sits at no window in centre {centre}'s queue configuration"
                    ),
                )
            })?;
        Ok(DeskWindow { centre, number })
    }

    pub fn desk_code_of(&self, device: &str) -> Result<String> {
        Ok(self.conn.query_row(
            "SELECT desk_code FROM device WHERE id = ?1",
            [device],
            |r| r.get(0),
        )?)
    }

    /// The centre a desk belongs to.
    pub fn centre_of_device(&self, device: &str) -> Result<String> {
        Ok(self
            .conn
            .query_row("SELECT centre FROM device WHERE id = ?1", [device], |r| {
                r.get(0)
            })?)
    }

    /// `centre items --add/--remove`: the centre's own answer for these items, over what the
    /// catalog's levels say. Every code must be an item of the published catalog.
    pub fn set_centre_items(
        &mut self,
        centre: &str,
        add: &[String],
        remove: &[String],
        now: DateTime<Utc>,
    ) -> Result<CentreItems> {
        let centre = self.resolve_centre(Some(centre))?;
        let known = self.catalog_item_levels()?;
        if let Some(unknown) = add
            .iter()
            .chain(remove)
            .find(|c| !known.contains_key(c.as_str()))
        {
            return Err(bad(format!(
                "item {unknown} is not in the published catalog"
            )));
        }
        if let Some(both) = add.iter().find(|c| remove.contains(c)) {
            return Err(bad(format!("item {both} is both added and removed")));
        }
        let tx = self.conn.transaction()?;
        for (codes, accepts) in [(add, 1), (remove, 0)] {
            for code in codes {
                tx.execute(
                    "INSERT INTO centre_item (centre, item_code, accepts, changed_at)
                     VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT (centre, item_code) DO UPDATE
                       SET accepts = excluded.accepts, changed_at = excluded.changed_at",
                    params![centre, code, accepts, ts(now)],
                )?;
            }
        }
        tx.commit()?;
        Ok(CentreItems {
            accepts: self.centre_accepts(&centre)?.len(),
            centre,
            added: add.to_vec(),
            removed: remove.to_vec(),
        })
    }

    /// Every catalog item's code and `levels`.
    fn catalog_item_levels(&self) -> Result<HashMap<String, Option<Vec<CentreLevel>>>> {
        let mut q = self.conn.prepare_cached(
            "SELECT e.key, json_extract(ch.body, '$.levels') FROM catalog_entity e
             JOIN catalog_change ch ON ch.seq = e.seq WHERE e.entity = 'item'",
        )?;
        let rows = q.query_map((), |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, Option<String>>(1)?))
        })?;
        rows.map(|row| {
            let (code, levels) = row?;
            let levels = levels
                .map(|l| serde_json::from_str(&l))
                .transpose()
                .map_err(|e| HubStoreError::Json(format!("levels of item {code}"), e))?;
            Ok((code, levels))
        })
        .collect()
    }

    /// Every centre's adjustments: (centre, item) → accepts.
    fn centre_adjustments(&self) -> Result<HashMap<(String, String), bool>> {
        let mut q = self
            .conn
            .prepare_cached("SELECT centre, item_code, accepts FROM centre_item")?;
        let rows = q.query_map((), |r| {
            Ok(((r.get(0)?, r.get(1)?), r.get::<_, i64>(2)? == 1))
        })?;
        Ok(rows.collect::<crate::db::DbResult<_>>()?)
    }

    /// The items `centre` accepts.
    pub fn centre_accepts(&self, centre: &str) -> Result<BTreeSet<String>> {
        let c = self
            .centre(centre)?
            .ok_or_else(|| bad(format!("no centre {centre}")))?;
        let adjust = self.centre_adjustments()?;
        Ok(self
            .catalog_item_levels()?
            .into_iter()
            .filter(|(code, levels)| {
                adjust
                    .get(&(c.code.clone(), code.clone()))
                    .copied()
                    .unwrap_or_else(|| centre::level_accepts(levels.as_deref(), c.level))
            })
            .map(|(code, _)| code)
            .collect())
    }

    /// What a desk of `centre` receives with the catalog: the items its centre accepts and,
    /// for each other item, the centres that do, nearest first.
    pub fn centre_scope(&self, centre: &str) -> Result<CentreScope> {
        let all = self.centres()?;
        let by_code: HashMap<String, Centre> =
            all.iter().map(|c| (c.code.clone(), c.clone())).collect();
        let here = by_code
            .get(centre)
            .ok_or_else(|| bad(format!("no centre {centre}")))?;
        let levels = self.catalog_item_levels()?;
        let adjust = self.centre_adjustments()?;
        let accepts_item = |c: &Centre, code: &str, l: &Option<Vec<CentreLevel>>| {
            adjust
                .get(&(c.code.clone(), code.to_string()))
                .copied()
                .unwrap_or_else(|| centre::level_accepts(l.as_deref(), c.level))
        };
        let helpers: Vec<String> = self
            .conn
            .prepare_cached(
                "SELECT name FROM hub_user WHERE centre = ?1 AND disabled = 0
                   AND role IN ('clerk', 'supervisor') ORDER BY name",
            )?
            .query_map([centre], |r| r.get(0))?
            .collect::<crate::db::DbResult<_>>()?;
        let mut scope = CentreScope {
            centre: Some(here.as_ref()),
            helpers,
            ..CentreScope::default()
        };
        for (code, l) in &levels {
            if accepts_item(here, code, l) {
                scope.accepts.insert(code.clone());
            } else {
                let accepting: Vec<&Centre> =
                    all.iter().filter(|c| accepts_item(c, code, l)).collect();
                scope.elsewhere.insert(
                    code.clone(),
                    centre::nearest_first(&by_code, centre, &accepting),
                );
            }
        }
        Ok(scope)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> DateTime<Utc> {
        "2026-12-06T02:00:00Z".parse().unwrap()
    }

    #[test]
    fn centres_nest_by_level_and_commands_name_one_once_there_are_two() {
        let mut s = HubStore::open_in_memory().unwrap();
        assert_eq!(s.resolve_centre(None).unwrap(), MAIN_CENTRE);
        assert!(s.resolve_centre(Some("NOPE")).is_err());
        let t = s
            .add_centre(
                "QX",
                "青溪镇便民服务中心",
                CentreLevel::Town,
                Some("MAIN"),
                now(),
            )
            .unwrap();
        assert_eq!(t.parent.as_deref(), Some("MAIN"));
        let err = s.resolve_centre(None).unwrap_err().to_string();
        assert!(err.contains("--centre"), "{err}");
        assert_eq!(s.resolve_centre(Some("QX")).unwrap(), "QX");
        // Parents exist and are of a higher level; codes are unique and plain.
        for (code, level, parent) in [
            ("V1", CentreLevel::Village, Some("NOPE")),
            ("T2", CentreLevel::Town, Some("QX")),
            ("C2", CentreLevel::County, Some("QX")),
            ("QX", CentreLevel::Town, Some("MAIN")),
            ("bad code", CentreLevel::Town, None),
        ] {
            assert!(
                s.add_centre(code, "某中心", level, parent, now()).is_err(),
                "{code}"
            );
        }
        s.add_centre(
            "QX-SQ",
            "石桥村便民服务站",
            CentreLevel::Village,
            Some("QX"),
            now(),
        )
        .unwrap();
        let codes: Vec<String> = s.centres().unwrap().into_iter().map(|c| c.code).collect();
        assert_eq!(codes, ["MAIN", "QX", "QX-SQ"]);
    }

    #[test]
    fn levels_and_adjustments_decide_what_a_centre_accepts_and_where_else_to_go() {
        let mut s = HubStore::open_in_memory().unwrap();
        let mut cat = onewindow_domain::Catalog::from_json_str(include_str!(
            "../../../demo/catalog-sample.json"
        ))
        .unwrap();
        let leaves: Vec<String> = cat
            .items
            .iter()
            .filter(|i| !i.scenarios.is_empty())
            .map(|i| i.code.clone())
            .collect();
        let (town_too, county_only) = (leaves[0].clone(), leaves[1].clone());
        cat.items
            .iter_mut()
            .find(|i| i.code == town_too)
            .unwrap()
            .levels = Some(vec![CentreLevel::County, CentreLevel::Town]);
        s.import_catalog(&cat, "sample", now()).unwrap();
        s.add_centre(
            "QX",
            "青溪镇便民服务中心",
            CentreLevel::Town,
            Some("MAIN"),
            now(),
        )
        .unwrap();
        s.add_centre(
            "SQ",
            "石桥村便民服务站",
            CentreLevel::Village,
            Some("QX"),
            now(),
        )
        .unwrap();
        s.add_centre(
            "HD",
            "河东镇便民服务中心",
            CentreLevel::Town,
            Some("MAIN"),
            now(),
        )
        .unwrap();
        // Absent levels: the county hall only; the town's level lets the towns in.
        let main = s.centre_accepts("MAIN").unwrap();
        assert!(main.contains(&town_too) && main.contains(&county_only));
        let qx = s.centre_scope("QX").unwrap();
        assert!(qx.accepts(&town_too) && !qx.accepts(&county_only));
        let names = |v: &[onewindow_domain::centre::CentreRef]| -> Vec<String> {
            v.iter().map(|c| c.code.clone()).collect()
        };
        // The village accepts neither: its town first, then the county hall, then the rest.
        let sq = s.centre_scope("SQ").unwrap();
        assert!(!sq.accepts(&town_too));
        assert_eq!(names(sq.elsewhere(&town_too)), ["QX", "MAIN", "HD"]);
        assert_eq!(names(sq.elsewhere(&county_only)), ["MAIN"]);
        // `centre items`: the village takes one on, the town gives one up.
        let r = s
            .set_centre_items("SQ", std::slice::from_ref(&county_only), &[], now())
            .unwrap();
        assert_eq!((r.centre.as_str(), r.accepts), ("SQ", 1));
        s.set_centre_items("QX", &[], std::slice::from_ref(&town_too), now())
            .unwrap();
        let sq = s.centre_scope("SQ").unwrap();
        assert!(sq.accepts(&county_only));
        assert_eq!(names(sq.elsewhere(&town_too)), ["MAIN", "HD"]);
        // Unknown items and centres, and one code both ways, change nothing.
        assert!(
            s.set_centre_items("SQ", &["000000000000".into()], &[], now())
                .is_err()
        );
        assert!(
            s.set_centre_items("NOPE", std::slice::from_ref(&county_only), &[], now())
                .is_err()
        );
        assert!(
            s.set_centre_items(
                "SQ",
                std::slice::from_ref(&town_too),
                std::slice::from_ref(&town_too),
                now()
            )
            .is_err()
        );
        assert_eq!(s.centre_accepts("SQ").unwrap().len(), 1);
    }
}
