//! Catalog and calendar repositories, and the pull checkpoints of their streams.

use std::collections::BTreeMap;

use onewindow_domain::{
    Bundle, Domain, HolidayCalendar, ItemLevel, SearchDoc, ServiceItem, YearCalendar,
};
use onewindow_proto::{
    CalendarChanges, CatalogChanges, CatalogEntity, ChangeOp, QueueConfigChanges,
};
use rusqlite::{OptionalExtension, Transaction, params};

use crate::{Result, Store, StoreError};

pub const CATALOG: &str = "catalog";
pub const CALENDAR: &str = "calendar";
pub const QUEUE_CONFIG: &str = "queue_config";

/// Where a pull stream stands.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StreamState {
    /// Last change applied to the live tables.
    pub cursor: i64,
    /// Last change received; the next pull asks for changes after this one.
    pub staged_cursor: i64,
    pub version_id: Option<i64>,
    pub version_label: Option<String>,
    pub published_at: Option<String>,
    pub last_pull_at: Option<String>,
}

/// An item's code, name and level, for lists and breadcrumbs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ItemRef {
    pub code: String,
    pub name: String,
    pub level: ItemLevel,
    pub is_leaf: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BundleRef {
    pub code: String,
    pub name: String,
}

fn level_str(l: ItemLevel) -> &'static str {
    match l {
        ItemLevel::Main => "main",
        ItemLevel::Sub => "sub",
        ItemLevel::Handling => "handling",
    }
}

fn parse_level(s: &str) -> Result<ItemLevel> {
    match s {
        "main" => Ok(ItemLevel::Main),
        "sub" => Ok(ItemLevel::Sub),
        "handling" => Ok(ItemLevel::Handling),
        other => Err(StoreError::BadStoredJson {
            what: format!("item level {other:?}"),
            source: serde::de::Error::custom("unknown level"),
        }),
    }
}

fn entity_str(e: CatalogEntity) -> &'static str {
    match e {
        CatalogEntity::Domain => "domain",
        CatalogEntity::Item => "item",
        CatalogEntity::Bundle => "bundle",
    }
}

fn op_str(o: ChangeOp) -> &'static str {
    match o {
        ChangeOp::Upsert => "upsert",
        ChangeOp::Remove => "remove",
    }
}

fn bad(what: impl Into<String>, detail: impl Into<String>) -> StoreError {
    StoreError::BadChange {
        what: what.into(),
        detail: detail.into(),
    }
}

/// One change, checked: the body parses as its entity and its key matches.
enum Checked {
    Domain(Domain),
    Item(Box<ServiceItem>),
    Bundle(Bundle),
    Remove(CatalogEntity, String),
}

fn check_change(
    entity: CatalogEntity,
    op: ChangeOp,
    key: &str,
    body: Option<&str>,
) -> Result<Checked> {
    let what = || format!("catalog change {} {key}", entity_str(entity));
    match op {
        ChangeOp::Remove => Ok(Checked::Remove(entity, key.to_string())),
        ChangeOp::Upsert => {
            let body = body.ok_or_else(|| bad(what(), "upsert without a body"))?;
            let (checked, body_key) = match entity {
                CatalogEntity::Domain => {
                    let d: Domain =
                        serde_json::from_str(body).map_err(|e| bad(what(), e.to_string()))?;
                    let k = d.code.clone();
                    (Checked::Domain(d), k)
                }
                CatalogEntity::Item => {
                    let it: ServiceItem =
                        serde_json::from_str(body).map_err(|e| bad(what(), e.to_string()))?;
                    let k = it.code.clone();
                    (Checked::Item(Box::new(it)), k)
                }
                CatalogEntity::Bundle => {
                    let b: Bundle =
                        serde_json::from_str(body).map_err(|e| bad(what(), e.to_string()))?;
                    let k = b.code.clone();
                    (Checked::Bundle(b), k)
                }
            };
            if body_key != key {
                return Err(bad(what(), format!("body is for {body_key}")));
            }
            Ok(checked)
        }
    }
}

fn apply_checked(tx: &Transaction<'_>, c: &Checked, body: Option<&str>) -> Result<()> {
    match c {
        Checked::Domain(d) => {
            tx.prepare_cached(
                "INSERT INTO catalog_domain (code, name) VALUES (?1, ?2)
                 ON CONFLICT(code) DO UPDATE SET name = excluded.name",
            )?
            .execute(params![d.code, d.name])?;
        }
        Checked::Item(it) => {
            tx.prepare_cached(
                "INSERT INTO catalog_item (code, name, level, parent, domain, body)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT(code) DO UPDATE SET name = excluded.name, level = excluded.level,
                   parent = excluded.parent, domain = excluded.domain, body = excluded.body",
            )?
            .execute(params![
                it.code,
                it.name,
                level_str(it.level),
                it.parent,
                it.domain,
                body
            ])?;
        }
        Checked::Bundle(b) => {
            tx.prepare_cached(
                "INSERT INTO catalog_bundle (code, name, body) VALUES (?1, ?2, ?3)
                 ON CONFLICT(code) DO UPDATE SET name = excluded.name, body = excluded.body",
            )?
            .execute(params![b.code, b.name, body])?;
            tx.prepare_cached("DELETE FROM catalog_bundle_member WHERE bundle = ?1")?
                .execute([&b.code])?;
            let mut ins = tx.prepare_cached(
                "INSERT OR IGNORE INTO catalog_bundle_member (bundle, item, position)
                 VALUES (?1, ?2, ?3)",
            )?;
            for (i, item) in b.items.iter().enumerate() {
                ins.execute(params![b.code, item, i as i64])?;
            }
        }
        Checked::Remove(entity, key) => {
            let sql = match entity {
                CatalogEntity::Domain => "DELETE FROM catalog_domain WHERE code = ?1",
                CatalogEntity::Item => "DELETE FROM catalog_item WHERE code = ?1",
                CatalogEntity::Bundle => "DELETE FROM catalog_bundle WHERE code = ?1",
            };
            tx.prepare_cached(sql)?.execute([key])?;
        }
    }
    Ok(())
}

fn parse_entity(s: &str) -> Result<CatalogEntity> {
    match s {
        "domain" => Ok(CatalogEntity::Domain),
        "item" => Ok(CatalogEntity::Item),
        "bundle" => Ok(CatalogEntity::Bundle),
        other => Err(bad("staged change", format!("unknown entity {other:?}"))),
    }
}

fn parse_op(s: &str) -> Result<ChangeOp> {
    match s {
        "upsert" => Ok(ChangeOp::Upsert),
        "remove" => Ok(ChangeOp::Remove),
        other => Err(bad("staged change", format!("unknown op {other:?}"))),
    }
}

impl Store {
    fn now_rfc3339(&self) -> String {
        self.now()
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    }
}

impl Store {
    pub fn stream_state(&self, stream: &str) -> Result<StreamState> {
        Ok(self
            .conn
            .query_row(
                "SELECT cursor, staged_cursor, version_id, version_label, published_at, last_pull_at
                 FROM sync_stream WHERE stream = ?1",
                [stream],
                |r| {
                    Ok(StreamState {
                        cursor: r.get(0)?,
                        staged_cursor: r.get(1)?,
                        version_id: r.get(2)?,
                        version_label: r.get(3)?,
                        published_at: r.get(4)?,
                        last_pull_at: r.get(5)?,
                    })
                },
            )
            .optional()?
            .unwrap_or_default())
    }

    /// Stores one page of catalog changes and its cursor in one transaction. Changes are
    /// staged until the page that completes their version, then applied together, so the
    /// live catalog is always a whole published version. A page that is out of order or
    /// carries an invalid body is refused whole.
    #[tracing::instrument(skip_all, fields(rows = page.changes.len(), next = page.next_cursor), err)]
    pub fn apply_catalog_page(&mut self, page: &CatalogChanges) -> Result<StreamState> {
        let before = self.stream_state(CATALOG)?;
        let mut prev = before.staged_cursor;
        let mut checked = Vec::with_capacity(page.changes.len());
        for ch in &page.changes {
            if ch.seq <= prev {
                return Err(bad(
                    "catalog page",
                    format!("change {} is not after {prev}", ch.seq),
                ));
            }
            prev = ch.seq;
            let body = ch.body.as_ref().map(|b| b.get());
            checked.push(check_change(ch.entity, ch.op, &ch.key, body)?);
        }
        if page.next_cursor < prev {
            return Err(bad(
                "catalog page",
                format!("next cursor {} is before change {prev}", page.next_cursor),
            ));
        }

        let now = self.now_rfc3339();
        let tx = self.conn.transaction()?;
        tx.execute(
            "INSERT INTO sync_stream (stream) VALUES (?1) ON CONFLICT(stream) DO NOTHING",
            [CATALOG],
        )?;
        let staged: i64 = tx.query_row("SELECT count(*) FROM catalog_staging", [], |r| r.get(0))?;
        if let (Some(_), 0) = (&page.checkpoint, staged) {
            // Common case: a whole version in one page (or the tail of one): apply directly.
            for (ch, c) in page.changes.iter().zip(&checked) {
                apply_checked(&tx, c, ch.body.as_ref().map(|b| b.get()))?;
            }
        } else {
            let mut ins = tx.prepare_cached(
                "INSERT INTO catalog_staging (seq, entity, op, key, body) VALUES (?1, ?2, ?3, ?4, ?5)",
            )?;
            for ch in &page.changes {
                ins.execute(params![
                    ch.seq,
                    entity_str(ch.entity),
                    op_str(ch.op),
                    ch.key,
                    ch.body.as_ref().map(|b| b.get())
                ])?;
            }
            drop(ins);
            if page.checkpoint.is_some() {
                let rows: Vec<(String, String, String, Option<String>)> = {
                    let mut q = tx.prepare(
                        "SELECT entity, op, key, body FROM catalog_staging ORDER BY seq",
                    )?;
                    q.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
                        .collect::<rusqlite::Result<_>>()?
                };
                for (entity, op, key, body) in &rows {
                    let c =
                        check_change(parse_entity(entity)?, parse_op(op)?, key, body.as_deref())?;
                    apply_checked(&tx, &c, body.as_deref())?;
                }
                tx.execute("DELETE FROM catalog_staging", [])?;
            }
        }
        match &page.checkpoint {
            Some(v) => tx.execute(
                "UPDATE sync_stream SET cursor = ?2, staged_cursor = ?2, version_id = ?3,
                   version_label = ?4, published_at = ?5, last_pull_at = ?6 WHERE stream = ?1",
                params![
                    CATALOG,
                    page.next_cursor,
                    v.id,
                    v.label,
                    v.published_at,
                    now
                ],
            )?,
            None => tx.execute(
                "UPDATE sync_stream SET staged_cursor = ?2, last_pull_at = ?3 WHERE stream = ?1",
                params![CATALOG, page.next_cursor, now],
            )?,
        };
        tx.commit()?;
        self.stream_state(CATALOG)
    }

    /// Stores one page of the queue-configuration stream: the last configuration of the page
    /// (each is whole) and the cursor together. A page with nothing new records the pull.
    #[tracing::instrument(skip_all, fields(rows = page.changes.len(), next = page.next_cursor), err)]
    pub fn apply_queue_config_page(&mut self, page: &QueueConfigChanges) -> Result<StreamState> {
        let before = self.stream_state(QUEUE_CONFIG)?;
        let mut prev = before.cursor;
        for ch in &page.changes {
            if ch.seq <= prev {
                return Err(bad(
                    "queue configuration page",
                    format!("change {} is not after {prev}", ch.seq),
                ));
            }
            prev = ch.seq;
        }
        let latest = match page.changes.last() {
            Some(ch) => {
                let cfg: onewindow_domain::queue::QueueConfig = serde_json::from_str(ch.body.get())
                    .map_err(|e| bad(format!("queue configuration {}", ch.seq), e.to_string()))?;
                if let Err(issues) = cfg.check() {
                    return Err(bad(
                        format!("queue configuration {}", ch.seq),
                        issues.join("; "),
                    ));
                }
                Some(ch.body.get())
            }
            None => None,
        };
        let now = self.now_rfc3339();
        let tx = self.conn.transaction()?;
        tx.execute(
            "INSERT INTO sync_stream (stream) VALUES (?1) ON CONFLICT(stream) DO NOTHING",
            [QUEUE_CONFIG],
        )?;
        if let Some(body) = latest {
            tx.execute(
                "INSERT INTO queue_config (id, body) VALUES (1, ?1)
                 ON CONFLICT(id) DO UPDATE SET body = excluded.body",
                [body],
            )?;
        }
        tx.execute(
            "UPDATE sync_stream SET cursor = max(cursor, ?2), staged_cursor = max(cursor, ?2),
               last_pull_at = ?3 WHERE stream = ?1",
            params![QUEUE_CONFIG, page.next_cursor, now],
        )?;
        tx.commit()?;
        self.stream_state(QUEUE_CONFIG)
    }

    /// The queue configuration last pulled, if any.
    pub fn queue_config(&self) -> Result<Option<onewindow_domain::queue::QueueConfig>> {
        let body: Option<String> = self
            .conn
            .query_row("SELECT body FROM queue_config WHERE id = 1", [], |r| {
                r.get(0)
            })
            .optional()?;
        body.map(|b| {
            serde_json::from_str(&b).map_err(|source| StoreError::BadStoredJson {
                what: "queue configuration".into(),
                source,
            })
        })
        .transpose()
    }

    /// Stores one page of calendar changes (each a whole year) and its cursor together.
    #[tracing::instrument(skip_all, fields(rows = page.changes.len(), next = page.next_cursor), err)]
    pub fn apply_calendar_page(&mut self, page: &CalendarChanges) -> Result<StreamState> {
        let before = self.stream_state(CALENDAR)?;
        let mut prev = before.cursor;
        let mut years = Vec::with_capacity(page.changes.len());
        for ch in &page.changes {
            if ch.seq <= prev {
                return Err(bad(
                    "calendar page",
                    format!("change {} is not after {prev}", ch.seq),
                ));
            }
            prev = ch.seq;
            let cal = match (ch.op, &ch.body) {
                (ChangeOp::Remove, _) => None,
                (ChangeOp::Upsert, None) => {
                    return Err(bad(
                        format!("calendar {}", ch.year),
                        "upsert without a body",
                    ));
                }
                (ChangeOp::Upsert, Some(b)) => {
                    serde_json::from_str::<YearCalendar>(b.get())
                        .map_err(|e| bad(format!("calendar {}", ch.year), e.to_string()))?;
                    Some(b.get())
                }
            };
            years.push((ch.year, cal));
        }
        let now = self.now_rfc3339();
        let tx = self.conn.transaction()?;
        tx.execute(
            "INSERT INTO sync_stream (stream) VALUES (?1) ON CONFLICT(stream) DO NOTHING",
            [CALENDAR],
        )?;
        for (year, body) in years {
            match body {
                Some(body) => tx.execute(
                    "INSERT INTO calendar_year (year, body) VALUES (?1, ?2)
                     ON CONFLICT(year) DO UPDATE SET body = excluded.body",
                    params![year, body],
                )?,
                None => tx.execute("DELETE FROM calendar_year WHERE year = ?1", [year])?,
            };
        }
        tx.execute(
            "UPDATE sync_stream SET cursor = ?2, staged_cursor = ?2, last_pull_at = ?3 WHERE stream = ?1",
            params![CALENDAR, page.next_cursor, now],
        )?;
        tx.commit()?;
        self.stream_state(CALENDAR)
    }

    pub fn calendar(&self) -> Result<HolidayCalendar> {
        let mut q = self.conn.prepare("SELECT year, body FROM calendar_year")?;
        let rows = q.query_map([], |r| Ok((r.get::<_, i32>(0)?, r.get::<_, String>(1)?)))?;
        let mut years = BTreeMap::new();
        for row in rows {
            let (year, body) = row?;
            let cal = serde_json::from_str(&body).map_err(|source| StoreError::BadStoredJson {
                what: format!("calendar {year}"),
                source,
            })?;
            years.insert(year, cal);
        }
        Ok(HolidayCalendar::new(years))
    }

    /// What the search index needs, for every item in the live catalog.
    pub fn search_docs(&self) -> Result<Vec<SearchDoc>> {
        let mut q = self
            .conn
            .prepare("SELECT code, name, level, domain, parent FROM catalog_item ORDER BY code")?;
        let rows = q.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, Option<String>>(4)?,
            ))
        })?;
        rows.map(|row| {
            let (code, name, level, domain, parent) = row?;
            Ok(SearchDoc {
                code,
                name,
                level: parse_level(&level)?,
                domain,
                parent,
            })
        })
        .collect()
    }

    pub fn item_count(&self) -> Result<i64> {
        Ok(self
            .conn
            .query_row("SELECT count(*) FROM catalog_item", [], |r| r.get(0))?)
    }

    /// One stored JSON body, parsed; `None` when no row has that key.
    fn stored<T: serde::de::DeserializeOwned>(
        &self,
        sql: &str,
        key: &str,
        what: &str,
    ) -> Result<Option<T>> {
        let body: Option<String> = self
            .conn
            .prepare_cached(sql)?
            .query_row([key], |r| r.get(0))
            .optional()?;
        body.map(|b| {
            serde_json::from_str(&b).map_err(|source| StoreError::BadStoredJson {
                what: format!("{what} {key}"),
                source,
            })
        })
        .transpose()
    }

    pub fn item(&self, code: &str) -> Result<Option<ServiceItem>> {
        self.stored(
            "SELECT body FROM catalog_item WHERE code = ?1",
            code,
            "item",
        )
    }

    fn item_refs(&self, sql: &str, arg: &str) -> Result<Vec<ItemRef>> {
        let mut q = self.conn.prepare_cached(sql)?;
        let rows = q.query_map([arg], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, bool>(3)?,
            ))
        })?;
        rows.map(|row| {
            let (code, name, level, has_children) = row?;
            Ok(ItemRef {
                code,
                name,
                level: parse_level(&level)?,
                is_leaf: !has_children,
            })
        })
        .collect()
    }

    pub fn item_ref(&self, code: &str) -> Result<Option<ItemRef>> {
        Ok(self
            .item_refs(
                "SELECT i.code, i.name, i.level,
                   EXISTS (SELECT 1 FROM catalog_item c WHERE c.parent = i.code)
                 FROM catalog_item i WHERE i.code = ?1",
                code,
            )?
            .pop())
    }

    pub fn children(&self, code: &str) -> Result<Vec<ItemRef>> {
        self.item_refs(
            "SELECT i.code, i.name, i.level,
               EXISTS (SELECT 1 FROM catalog_item c WHERE c.parent = i.code)
             FROM catalog_item i WHERE i.parent = ?1 ORDER BY i.code",
            code,
        )
    }

    /// The item's parents, from the main item down to its direct parent.
    pub fn ancestors(&self, item: &ServiceItem) -> Result<Vec<ItemRef>> {
        let mut out = Vec::new();
        let mut next = item.parent.clone();
        while let Some(code) = next {
            // A cycle in bad data must not hang the window.
            if out.len() > 8 || out.iter().any(|r: &ItemRef| r.code == code) {
                break;
            }
            match self.item_ref(&code)? {
                Some(r) => {
                    next = self
                        .conn
                        .query_row(
                            "SELECT parent FROM catalog_item WHERE code = ?1",
                            [&code],
                            |row| row.get(0),
                        )
                        .optional()?
                        .flatten();
                    out.push(r);
                }
                None => break,
            }
        }
        out.reverse();
        Ok(out)
    }

    pub fn bundles_containing(&self, item_code: &str) -> Result<Vec<BundleRef>> {
        let mut q = self.conn.prepare_cached(
            "SELECT b.code, b.name FROM catalog_bundle b
             JOIN catalog_bundle_member m ON m.bundle = b.code
             WHERE m.item = ?1 ORDER BY b.code",
        )?;
        let rows = q.query_map([item_code], |r| {
            Ok(BundleRef {
                code: r.get(0)?,
                name: r.get(1)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub fn bundle(&self, code: &str) -> Result<Option<Bundle>> {
        self.stored(
            "SELECT body FROM catalog_bundle WHERE code = ?1",
            code,
            "bundle",
        )
    }

    pub fn bundles(&self) -> Result<Vec<BundleRef>> {
        let mut q = self
            .conn
            .prepare_cached("SELECT code, name FROM catalog_bundle ORDER BY code")?;
        let rows = q.query_map([], |r| {
            Ok(BundleRef {
                code: r.get(0)?,
                name: r.get(1)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub fn domains(&self) -> Result<Vec<Domain>> {
        let mut q = self
            .conn
            .prepare_cached("SELECT code, name FROM catalog_domain ORDER BY code")?;
        let rows = q.query_map([], |r| {
            Ok(Domain {
                code: r.get(0)?,
                name: r.get(1)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}

impl Store {
    /// The desk's centre and what it accepts, as the hub last sent it (`None` before the hub
    /// first answered).
    pub fn centre_scope(&self) -> Result<Option<onewindow_domain::centre::CentreScope>> {
        let body: Option<String> = self
            .conn
            .query_row("SELECT body FROM centre_scope WHERE id = 1", [], |r| {
                r.get(0)
            })
            .optional()?;
        body.map(|b| {
            serde_json::from_str(&b).map_err(|source| StoreError::BadStoredJson {
                what: "centre scope".into(),
                source,
            })
        })
        .transpose()
    }

    /// Keeps the scope the hub sent; written only when it differs. Returns whether it did.
    pub fn save_centre_scope(
        &mut self,
        scope: &onewindow_domain::centre::CentreScope,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<bool> {
        if self.centre_scope()?.as_ref() == Some(scope) {
            return Ok(false);
        }
        let body = serde_json::to_string(scope).map_err(|source| StoreError::BadStoredJson {
            what: "centre scope".into(),
            source,
        })?;
        self.conn.execute(
            "INSERT INTO centre_scope (id, body, fetched_at) VALUES (1, ?1, ?2)
             ON CONFLICT (id) DO UPDATE SET body = excluded.body, fetched_at = excluded.fetched_at",
            rusqlite::params![body, onewindow_domain::time::stamp(now)],
        )?;
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use onewindow_proto::{CalendarChange, CatalogChange, CatalogVersion};
    use serde_json::value::RawValue;

    fn sample() -> onewindow_domain::Catalog {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../demo/catalog-sample.json"
        ))
        .unwrap();
        onewindow_domain::Catalog::from_json_str(&text).unwrap()
    }

    fn raw<T: serde::Serialize>(v: &T) -> Option<Box<RawValue>> {
        Some(RawValue::from_string(serde_json::to_string(v).unwrap()).unwrap())
    }

    /// The whole sample as a change log of one version, seq 1..=n.
    fn log(cat: &onewindow_domain::Catalog) -> Vec<CatalogChange> {
        let mut out = Vec::new();
        let mut push = |entity, key: &str, body| {
            out.push(CatalogChange {
                seq: out.len() as i64 + 1,
                version_id: 1,
                entity,
                op: ChangeOp::Upsert,
                key: key.to_string(),
                body,
            })
        };
        for d in &cat.domains {
            push(CatalogEntity::Domain, &d.code, raw(d));
        }
        for it in &cat.items {
            push(CatalogEntity::Item, &it.code, raw(it));
        }
        for b in &cat.bundles {
            push(CatalogEntity::Bundle, &b.code, raw(b));
        }
        out
    }

    fn v1() -> CatalogVersion {
        CatalogVersion {
            id: 1,
            label: "2026.04-fixture.1".into(),
            published_at: "2026-11-27T08:00:00Z".into(),
        }
    }

    #[test]
    fn version_split_over_pages_is_applied_only_at_its_checkpoint() {
        let cat = sample();
        let mut changes = log(&cat);
        let n = changes.len() as i64;
        let tail = changes.split_off(30);
        let mut s = Store::open_in_memory().unwrap();

        let st = s
            .apply_catalog_page(&CatalogChanges {
                changes,
                next_cursor: 30,
                has_more: true,
                checkpoint: None,
            })
            .unwrap();
        assert_eq!((st.cursor, st.staged_cursor), (0, 30));
        assert_eq!(
            s.item_count().unwrap(),
            0,
            "nothing live before the checkpoint"
        );

        let st = s
            .apply_catalog_page(&CatalogChanges {
                changes: tail,
                next_cursor: n,
                has_more: false,
                checkpoint: Some(v1()),
            })
            .unwrap();
        assert_eq!((st.cursor, st.staged_cursor), (n, n));
        assert_eq!(st.version_label.as_deref(), Some("2026.04-fixture.1"));
        assert_eq!(s.item_count().unwrap(), 40);
        assert_eq!(s.domains().unwrap().len(), 14);

        let setup = s.item("000105001001").unwrap().unwrap();
        assert_eq!(setup.name, "个体工商户设立登记");
        let anc = s.ancestors(&setup).unwrap();
        assert_eq!(anc.len(), 1);
        assert_eq!(anc[0].name, "个体工商户登记");
        assert!(!anc[0].is_leaf);
        let kids = s.children("000105001000").unwrap();
        assert_eq!(kids.len(), 3);
        assert!(kids.iter().all(|k| k.is_leaf));
        assert_eq!(s.bundles().unwrap().len(), 3);
        let in_bundles = s.bundles_containing("000172002000").unwrap();
        assert_eq!(in_bundles[0].name, "新生儿出生一件事");
        assert_eq!(s.search_docs().unwrap().len(), 40);
    }

    #[test]
    fn bad_page_changes_nothing() {
        let cat = sample();
        let mut s = Store::open_in_memory().unwrap();
        let mut changes = log(&cat);
        changes[20].body = Some(RawValue::from_string(r#"{"code":"x"}"#.into()).unwrap());
        let err = s
            .apply_catalog_page(&CatalogChanges {
                changes,
                next_cursor: 57,
                has_more: false,
                checkpoint: Some(v1()),
            })
            .unwrap_err();
        assert_eq!(err.code().as_str(), "hub_bad_change");
        assert_eq!(s.item_count().unwrap(), 0);
        assert_eq!(s.stream_state(CATALOG).unwrap(), StreamState::default());

        // Out of order: a change at or before the cursor.
        let mut changes = log(&cat);
        changes.swap(1, 2);
        let err = s
            .apply_catalog_page(&CatalogChanges {
                changes,
                next_cursor: 57,
                has_more: false,
                checkpoint: Some(v1()),
            })
            .unwrap_err();
        assert!(err.to_string().contains("is not after"), "{err}");
        assert_eq!(s.item_count().unwrap(), 0);
    }

    #[test]
    fn removals_and_bundle_members_follow_the_log() {
        let cat = sample();
        let mut s = Store::open_in_memory().unwrap();
        let changes = log(&cat);
        let n = changes.len() as i64;
        s.apply_catalog_page(&CatalogChanges {
            changes,
            next_cursor: n,
            has_more: false,
            checkpoint: Some(v1()),
        })
        .unwrap();
        let removal = CatalogChange {
            seq: n + 1,
            version_id: 2,
            entity: CatalogEntity::Bundle,
            op: ChangeOp::Remove,
            key: "YJS371082002".into(),
            body: None,
        };
        s.apply_catalog_page(&CatalogChanges {
            changes: vec![removal],
            next_cursor: n + 1,
            has_more: false,
            checkpoint: Some(CatalogVersion { id: 2, ..v1() }),
        })
        .unwrap();
        assert!(s.bundles_containing("000172002000").unwrap().is_empty());
        assert_eq!(s.bundles().unwrap().len(), 2);
        assert_eq!(s.stream_state(CATALOG).unwrap().version_id, Some(2));
    }

    #[test]
    fn queue_configuration_keeps_the_latest_and_resets_alone() {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../demo/queue.json"
        ))
        .unwrap();
        let mut cfg = onewindow_domain::queue::QueueConfig::parse(&text).unwrap();
        let first = raw(&cfg).unwrap();
        cfg.windows[0].name = "1 号窗口（综合·户政）".into();
        let second = raw(&cfg).unwrap();
        let mut s = Store::open_in_memory().unwrap();
        assert_eq!(s.queue_config().unwrap(), None);
        let page = |changes: Vec<(i64, Box<RawValue>)>, next| QueueConfigChanges {
            changes: changes
                .into_iter()
                .map(|(seq, body)| onewindow_proto::QueueConfigChange { seq, body })
                .collect(),
            next_cursor: next,
            has_more: false,
        };
        let st = s
            .apply_queue_config_page(&page(vec![(1, first.clone()), (2, second.clone())], 2))
            .unwrap();
        assert_eq!(st.cursor, 2);
        assert!(st.last_pull_at.is_some());
        assert_eq!(s.queue_config().unwrap().as_ref(), Some(&cfg));
        // Out of order, or a configuration that does not hold together: nothing changes.
        assert!(
            s.apply_queue_config_page(&page(vec![(2, first.clone())], 2))
                .is_err()
        );
        let mut broken = cfg.clone();
        broken.windows[0].domains = vec!["NOPE".into()];
        assert!(
            s.apply_queue_config_page(&page(vec![(3, raw(&broken).unwrap())], 3))
                .is_err()
        );
        assert_eq!(s.queue_config().unwrap().as_ref(), Some(&cfg));
        assert_eq!(s.stream_state(QUEUE_CONFIG).unwrap().cursor, 2);
        s.reset_stream(QUEUE_CONFIG).unwrap();
        assert_eq!(s.queue_config().unwrap(), None);
        assert_eq!(s.stream_state(QUEUE_CONFIG).unwrap().cursor, 0);
    }

    #[test]
    fn calendar_page_round_trip() {
        let text = std::fs::read_to_string(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../demo/holidays.json"
        ))
        .unwrap();
        let years = HolidayCalendar::from_json_str(&text).unwrap();
        let mut s = Store::open_in_memory().unwrap();
        let st = s
            .apply_calendar_page(&CalendarChanges {
                changes: vec![CalendarChange {
                    seq: 1,
                    year: 2026,
                    op: ChangeOp::Upsert,
                    body: raw(&years[&2026]),
                }],
                next_cursor: 1,
                has_more: false,
            })
            .unwrap();
        assert_eq!(st.cursor, 1);
        let cal = s.calendar().unwrap();
        assert!(!cal.is_working_day("2026-10-01".parse().unwrap()));
        assert!(cal.is_working_day("2026-10-10".parse().unwrap()));
    }
}
