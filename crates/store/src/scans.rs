//! Scans that belong to no case yet (待分配扫描件) and the ledger of blobs a record holds.
//!
//! A scan belongs to the case that was open when it was taken. One that arrives while no case
//! is open, one that could not be taken at first, and one recovered after a crash wait here
//! with their arrival time until the clerk attaches them to a case or dismisses them; nothing
//! attaches them by itself. A closed row stays as the record of what became of the scan.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use rusqlite::{OptionalExtension, params};

use crate::cases::{Attachment, attach_in, keep_blob, ts};
use crate::{Result, Store, StoreError};

/// Why a scan waits for the clerk instead of being in a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WaitReason {
    /// It arrived while no case was open.
    NoCase,
    /// It arrived before the case open when it was taken was opened.
    Earlier,
    /// It was already in the hot folder when the desk started.
    AtStart,
    /// It could not be taken when it arrived (the disk was full, the file unreadable); by the
    /// time it was, the case open then may have been another applicant's.
    WasHeld,
    /// The open case did not take it (it had just been accepted or closed).
    NotAttached,
    /// Found at start in staging or in the blob store with no record: a crash cut it off.
    Recovered,
}

impl WaitReason {
    pub fn as_str(self) -> &'static str {
        match self {
            WaitReason::NoCase => "no_case",
            WaitReason::Earlier => "earlier",
            WaitReason::AtStart => "at_start",
            WaitReason::WasHeld => "was_held",
            WaitReason::NotAttached => "not_attached",
            WaitReason::Recovered => "recovered",
        }
    }

    fn parse(s: &str) -> Option<WaitReason> {
        Some(match s {
            "no_case" => WaitReason::NoCase,
            "earlier" => WaitReason::Earlier,
            "at_start" => WaitReason::AtStart,
            "was_held" => WaitReason::WasHeld,
            "not_attached" => WaitReason::NotAttached,
            "recovered" => WaitReason::Recovered,
            _ => return None,
        })
    }

    /// For the clerk.
    pub fn label_zh(self) -> &'static str {
        match self {
            WaitReason::NoCase => "到达时没有打开的办件",
            WaitReason::Earlier => "在当前办件打开之前到达",
            WaitReason::AtStart => "本机启动时已在扫描文件夹中",
            WaitReason::WasHeld => "到达时暂时无法接收，后来才接收",
            WaitReason::NotAttached => "到达时办件已不能添加材料",
            WaitReason::Recovered => "程序异常退出后恢复",
        }
    }
}

/// A scan waiting for the clerk's choice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WaitingScan {
    pub id: i64,
    pub sha256: String,
    pub original_name: String,
    pub size: u64,
    pub kind: String,
    pub pages: Option<u32>,
    pub arrived_at: String,
    pub why: WaitReason,
}

impl Store {
    /// Records a stored scan as waiting for the clerk; returns its id. The same bytes already
    /// waiting are one entry (a scan taken again after a crash cut off its first record).
    pub fn add_waiting_scan(
        &mut self,
        file: &Attachment,
        why: WaitReason,
        at: DateTime<Utc>,
    ) -> Result<i64> {
        let tx = self.conn.transaction()?;
        let waiting: Option<i64> = tx
            .query_row(
                "SELECT id FROM waiting_scan WHERE sha256 = ?1 AND state = 'waiting'",
                [&file.sha256],
                |r| r.get(0),
            )
            .optional()?;
        if let Some(id) = waiting {
            return Ok(id);
        }
        keep_blob(&tx, &file.sha256, at)?;
        tx.execute(
            "INSERT INTO waiting_scan (sha256, original_name, size, kind, pages, arrived_at, why)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                file.sha256,
                file.original_name,
                file.size as i64,
                file.kind,
                file.pages.map(i64::from),
                ts(at),
                why.as_str()
            ],
        )?;
        let id = tx.last_insert_rowid();
        tx.commit()?;
        Ok(id)
    }

    /// The scans waiting for the clerk, oldest first.
    pub fn waiting_scans(&self) -> Result<Vec<WaitingScan>> {
        let mut q = self.conn.prepare_cached(
            "SELECT id, sha256, original_name, size, kind, pages, arrived_at, why
             FROM waiting_scan WHERE state = 'waiting' ORDER BY arrived_at, id",
        )?;
        let rows = q.query_map([], |r| {
            Ok((
                WaitingScan {
                    id: r.get(0)?,
                    sha256: r.get(1)?,
                    original_name: r.get(2)?,
                    size: r.get::<_, i64>(3)? as u64,
                    kind: r.get(4)?,
                    pages: r.get::<_, Option<i64>>(5)?.map(|p| p as u32),
                    arrived_at: r.get(6)?,
                    why: WaitReason::NoCase,
                },
                r.get::<_, String>(7)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (mut scan, why) = row?;
            scan.why = WaitReason::parse(&why).ok_or_else(|| {
                StoreError::BadInput(format!("waiting scan {} has reason {why:?}", scan.id))
            })?;
            out.push(scan);
        }
        Ok(out)
    }

    /// How many scans wait for the clerk.
    pub fn waiting_scan_count(&self) -> Result<u32> {
        Ok(self.conn.query_row(
            "SELECT count(*) FROM waiting_scan WHERE state = 'waiting'",
            [],
            |r| r.get(0),
        )?)
    }

    /// The clerk's choice: the waiting scan `id` goes into `case_id` (a material slot or the
    /// tray), in one transaction with the case's own rules for adding a file.
    pub fn attach_waiting_scan(
        &mut self,
        id: i64,
        case_id: &str,
        slot: Option<usize>,
        by: &str,
        at: DateTime<Utc>,
    ) -> Result<()> {
        let tx = self.conn.transaction()?;
        let scan = open_scan(&tx, id)?;
        let file = Attachment {
            sha256: scan.0,
            slot,
            original_name: scan.1,
            size: scan.2,
            kind: scan.3,
            pages: scan.4,
        };
        attach_in(&tx, case_id, &file, at)?;
        tx.execute(
            "UPDATE waiting_scan SET state = 'attached', case_id = ?2, closed_by = ?3, closed_at = ?4
             WHERE id = ?1",
            params![id, case_id, by, ts(at)],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// The clerk's choice: the waiting scan `id` belongs to no case (a wrong page, a test
    /// sheet). Its stored copy stays sealed in the blob store; it leaves the list.
    pub fn dismiss_waiting_scan(&mut self, id: i64, by: &str, at: DateTime<Utc>) -> Result<()> {
        let tx = self.conn.transaction()?;
        open_scan(&tx, id)?;
        tx.execute(
            "UPDATE waiting_scan SET state = 'dismissed', closed_by = ?2, closed_at = ?3
             WHERE id = ?1",
            params![id, by, ts(at)],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Every blob a record holds (for recovery at start).
    pub fn kept_blobs(&self) -> Result<HashSet<String>> {
        let mut q = self.conn.prepare("SELECT sha256 FROM kept_blob")?;
        let rows = q.query_map([], |r| r.get::<_, String>(0))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }
}

type ScanFile = (String, String, u64, String, Option<u32>);

/// A waiting scan's file, or a clear refusal when it is not waiting (any more).
fn open_scan(tx: &rusqlite::Transaction<'_>, id: i64) -> Result<ScanFile> {
    let row = tx
        .query_row(
            "SELECT sha256, original_name, size, kind, pages, state FROM waiting_scan WHERE id = ?1",
            [id],
            |r| {
                Ok((
                    (
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, i64>(2)? as u64,
                        r.get::<_, String>(3)?,
                        r.get::<_, Option<i64>>(4)?.map(|p| p as u32),
                    ),
                    r.get::<_, String>(5)?,
                ))
            },
        )
        .optional()?;
    match row {
        None => Err(StoreError::BadInput(format!("no waiting scan {id}"))),
        Some((_, state)) if state != "waiting" => Err(StoreError::BadInput(format!(
            "waiting scan {id} is already {state}"
        ))),
        Some((file, _)) => Ok(file),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cases::{Actor, NewCase};

    fn file(sha: char) -> Attachment {
        Attachment {
            sha256: sha.to_string().repeat(64),
            slot: None,
            original_name: "page.jpg".into(),
            size: 10,
            kind: "jpeg".into(),
            pages: None,
        }
    }

    fn case(s: &mut Store) -> String {
        let actor = Actor {
            user: "clerk".into(),
            desk: "W01".into(),
        };
        let new = NewCase {
            item_code: "X".into(),
            scenario_code: None,
            local_date: chrono::NaiveDate::from_ymd_opt(2026, 12, 4).unwrap(),
        };
        s.create_case(&new, &actor, Utc::now()).unwrap().id
    }

    #[test]
    fn a_waiting_scan_goes_only_where_the_clerk_puts_it_once() {
        let mut s = Store::open_in_memory().unwrap();
        let c = case(&mut s);
        let a = s
            .add_waiting_scan(&file('a'), WaitReason::NoCase, Utc::now())
            .unwrap();
        let b = s
            .add_waiting_scan(&file('b'), WaitReason::Recovered, Utc::now())
            .unwrap();
        assert_eq!(s.waiting_scan_count().unwrap(), 2);
        let same = s
            .add_waiting_scan(&file('a'), WaitReason::AtStart, Utc::now())
            .unwrap();
        assert_eq!((same, s.waiting_scan_count().unwrap()), (a, 2), "one entry");
        assert!(s.attachments(&c).unwrap().is_empty(), "nothing by itself");
        let kept = s.kept_blobs().unwrap();
        assert!(kept.contains(&"a".repeat(64)) && kept.contains(&"b".repeat(64)));

        s.attach_waiting_scan(a, &c, Some(1), "clerk", Utc::now())
            .unwrap();
        let files = s.attachments(&c).unwrap();
        assert_eq!(files.len(), 1);
        assert_eq!(
            (files[0].sha256.as_str(), files[0].slot),
            (&*"a".repeat(64), Some(1))
        );
        let again = s
            .attach_waiting_scan(a, &c, None, "clerk", Utc::now())
            .unwrap_err();
        assert!(matches!(again, StoreError::BadInput(ref m) if m.contains("already attached")));

        s.dismiss_waiting_scan(b, "clerk", Utc::now()).unwrap();
        assert!(s.waiting_scans().unwrap().is_empty());
        assert!(s.dismiss_waiting_scan(99, "clerk", Utc::now()).is_err());
    }

    #[test]
    fn a_case_that_takes_no_files_leaves_the_scan_waiting() {
        let mut s = Store::open_in_memory().unwrap();
        let c = case(&mut s);
        let actor = Actor {
            user: "clerk".into(),
            desk: "W01".into(),
        };
        s.transition(
            &c,
            onewindow_domain::case::CaseAction::Withdraw,
            &actor,
            Utc::now(),
            Some("不办了"),
        )
        .unwrap();
        let a = s
            .add_waiting_scan(&file('a'), WaitReason::WasHeld, Utc::now())
            .unwrap();
        let err = s
            .attach_waiting_scan(a, &c, None, "clerk", Utc::now())
            .unwrap_err();
        assert!(matches!(err, StoreError::Transition { .. }), "{err:?}");
        let waiting = s.waiting_scans().unwrap();
        assert_eq!(waiting.len(), 1);
        assert_eq!(waiting[0].why, WaitReason::WasHeld);
    }
}
