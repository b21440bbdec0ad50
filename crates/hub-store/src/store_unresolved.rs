//! 办不成事 in SQL: matters recorded at a desk (op) or the kiosk, owned by the centre's
//! supervisor (首席事务代表), each action recorded, closed with an outcome.

use crate::db::{OptionalExtension, Tx, params};
use chrono::{DateTime, Utc};
use onewindow_proto::ops::UnresolvedRecorded;

use crate::store::{HubStore, Result};
use crate::store_queue::{bad, ts};
use crate::store_sync::Reject;

/// Days a matter may stay open before it is marked, when the centre sets none.
pub const DEFAULT_UNRESOLVED_DAYS: u32 = 3;

/// A new matter, from the kiosk or a desk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMatter<'a> {
    pub id: &'a str,
    pub centre: &'a str,
    pub source: &'a str,
    pub who: &'a str,
    pub contact: &'a str,
    pub item_code: Option<&'a str>,
    pub item_text: &'a str,
    pub tried: &'a str,
    pub recorded_by: &'a str,
    pub at: DateTime<Utc>,
}

/// What is wrong with a new matter, for whoever typed it (Chinese).
fn check(m: &NewMatter<'_>) -> Option<&'static str> {
    let len = |s: &str| s.trim().chars().count();
    if !(1..=30).contains(&len(m.who)) {
        Some("请填写办事人（1–30 字）")
    } else if !(5..=40).contains(&len(m.contact)) {
        Some("请填写联系电话或其他联系方式")
    } else if !(4..=500).contains(&len(m.tried)) {
        Some("请写明想办什么、已尝试过什么（至少 4 个字）")
    } else if len(m.item_text) > 100 || m.item_code.is_some_and(|c| c.len() > 20) {
        Some("事项过长")
    } else {
        None
    }
}

pub(crate) fn insert(tx: &Tx<'_>, m: &NewMatter<'_>) -> Result<std::result::Result<(), String>> {
    if let Some(why) = check(m) {
        return Ok(Err(why.into()));
    }
    let exists: bool = tx.query_row(
        "SELECT EXISTS (SELECT 1 FROM unresolved_matter WHERE id = ?1)",
        [m.id],
        |r| r.get(0),
    )?;
    if exists {
        return Ok(Err("该办不成事记录已登记".into()));
    }
    tx.execute(
        "INSERT INTO unresolved_matter (id, centre, source, who, contact, item_code, item_text,
           tried, recorded_by, recorded_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        params![
            m.id,
            m.centre,
            m.source,
            m.who.trim(),
            m.contact.trim(),
            m.item_code,
            m.item_text.trim(),
            m.tried.trim(),
            m.recorded_by,
            ts(m.at)
        ],
    )?;
    Ok(Ok(()))
}

/// `unresolved.recorded` from a desk: the desk's centre's matter.
pub(crate) fn apply_recorded(
    tx: &Tx<'_>,
    device: &str,
    b: &UnresolvedRecorded,
) -> Result<std::result::Result<(), Reject>> {
    let (centre, desk): (String, String) = tx.query_row(
        "SELECT centre, desk_code FROM device WHERE id = ?1",
        [device],
        |r| Ok((r.get(0)?, r.get(1)?)),
    )?;
    if b.id.is_empty() || b.id.len() > 64 {
        return Ok(Err(Reject("办不成事记录缺少编号".into())));
    }
    let source = format!("desk:{desk}");
    let m = NewMatter {
        id: &b.id,
        centre: &centre,
        source: &source,
        who: &b.who,
        contact: &b.contact,
        item_code: b.item_code.as_deref().filter(|c| !c.is_empty()),
        item_text: &b.item_text,
        tried: &b.tried,
        recorded_by: &b.by,
        at: b.at,
    };
    Ok(insert(tx, &m)?.map_err(Reject))
}

/// A matter as the supervisor's list shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Matter {
    pub id: String,
    pub centre: String,
    pub source: String,
    pub who: String,
    pub contact: String,
    pub item: String,
    pub tried: String,
    pub recorded_by: String,
    pub recorded_at: String,
    pub owner: Option<String>,
    pub closed_at: Option<String>,
    pub outcome: Option<String>,
    /// (by, at, note), oldest first.
    pub actions: Vec<(String, String, String)>,
}

impl HubStore {
    /// 办不成事 from the kiosk's button.
    pub fn record_unresolved(
        &mut self,
        m: &NewMatter<'_>,
    ) -> Result<std::result::Result<(), String>> {
        let tx = self.conn.transaction()?;
        let done = insert(&tx, m)?;
        if done.is_ok() {
            tx.commit()?;
        }
        Ok(done)
    }

    /// The matters of `centre` (every centre's with `None`): open first (oldest first), then
    /// the closed ones, last closed first.
    pub fn unresolved(&self, centre: Option<&str>) -> Result<Vec<Matter>> {
        let mut q = self.conn.prepare(
            "SELECT m.id, m.centre, m.source, m.who, m.contact,
                    coalesce(json_extract(ch.body, '$.name'), nullif(m.item_text, ''), m.item_code, '（无具体事项）'),
                    m.tried, m.recorded_by, m.recorded_at, m.owner, m.closed_at, m.outcome
             FROM unresolved_matter m
             LEFT JOIN catalog_entity e ON e.entity = 'item' AND e.key = m.item_code
             LEFT JOIN catalog_change ch ON ch.seq = e.seq
             WHERE (CAST(?1 AS TEXT) IS NULL OR m.centre = ?1)
             ORDER BY m.closed_at IS NOT NULL,
                      CASE WHEN m.closed_at IS NULL THEN m.recorded_at END,
                      m.closed_at DESC
             LIMIT 500",
        )?;
        let mut rows: Vec<Matter> = q
            .query_map([centre], |r| {
                Ok(Matter {
                    id: r.get(0)?,
                    centre: r.get(1)?,
                    source: r.get(2)?,
                    who: r.get(3)?,
                    contact: r.get(4)?,
                    item: r.get(5)?,
                    tried: r.get(6)?,
                    recorded_by: r.get(7)?,
                    recorded_at: r.get(8)?,
                    owner: r.get(9)?,
                    closed_at: r.get(10)?,
                    outcome: r.get(11)?,
                    actions: vec![],
                })
            })?
            .collect::<crate::db::DbResult<_>>()?;
        let mut a = self.conn.prepare(
            "SELECT by_user, at, note FROM unresolved_action WHERE matter_id = ?1 ORDER BY id",
        )?;
        for m in &mut rows {
            m.actions = a
                .query_map([&m.id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
                .collect::<crate::db::DbResult<_>>()?;
        }
        Ok(rows)
    }

    /// A supervisor records an action on an open matter (taking it on as its owner), or
    /// closes it with the outcome.
    pub fn act_on_unresolved(
        &mut self,
        centre: Option<&str>,
        id: &str,
        by: &str,
        note: &str,
        close: bool,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let note = note.trim();
        if note.chars().count() < 2 || note.chars().count() > 500 {
            return Err(bad("write what was done (2-500 characters)"));
        }
        let tx = self.conn.transaction()?;
        let open: Option<bool> = tx
            .query_row(
                "SELECT closed_at IS NULL FROM unresolved_matter
                 WHERE id = ?1 AND (CAST(?2 AS TEXT) IS NULL OR centre = ?2)",
                params![id, centre],
                |r| r.get(0),
            )
            .optional()?;
        match open {
            Some(true) => {}
            Some(false) => return Err(bad("this matter is closed")),
            None => return Err(bad(format!("no matter {id} here"))),
        }
        tx.execute(
            "UPDATE unresolved_matter SET owner = coalesce(owner, ?2) WHERE id = ?1",
            params![id, by],
        )?;
        tx.execute(
            "INSERT INTO unresolved_action (matter_id, by_user, at, note) VALUES (?1, ?2, ?3, ?4)",
            params![id, by, ts(now), note],
        )?;
        if close {
            tx.execute(
                "UPDATE unresolved_matter SET closed_at = ?2, outcome = ?3 WHERE id = ?1",
                params![id, ts(now), note],
            )?;
        }
        tx.commit()?;
        self.audit_hub(
            by,
            if close {
                "unresolved_close"
            } else {
                "unresolved_act"
            },
            id,
            "ok",
            None,
            now,
        )?;
        Ok(())
    }

    /// Days a matter of `centre` may stay open before it is marked.
    pub fn unresolved_days(&self, centre: &str) -> Result<u32> {
        Ok(self
            .queue_config(centre)?
            .and_then(|c| c.unresolved_days)
            .unwrap_or(DEFAULT_UNRESOLVED_DAYS))
    }
}
