//! Appointments in SQL: imported from the online booking system's file, checked in at the
//! kiosk with their code for a ticket that joins the priority lane near its slot.

use crate::db::{OptionalExtension, params};
use chrono::{DateTime, Utc};
use onewindow_domain::appointment::{self, Appointment};
use onewindow_domain::ticket;

use crate::store::{HubStore, Result};
use crate::store_queue::ts;
use crate::store_queue::{TicketSlip, hall_day, insert_ticket, waiting_today};

/// What an import did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AppointmentImport {
    pub added: usize,
    pub updated: usize,
    /// Already checked in: left as they are.
    pub kept: usize,
}

/// What a check-in gave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CheckIn {
    /// A new ticket.
    Issued(TicketSlip),
    /// Checked in before: its ticket.
    Already(String),
    /// Why not, for the applicant.
    Refused(String),
}

impl HubStore {
    /// Adds or updates appointments, all in one transaction; one already checked in keeps its
    /// ticket and is not changed.
    pub fn import_appointments(
        &mut self,
        centre: &str,
        list: &[Appointment],
        now: DateTime<Utc>,
    ) -> Result<AppointmentImport> {
        let tx = self.conn.transaction()?;
        let mut done = AppointmentImport {
            added: 0,
            updated: 0,
            kept: 0,
        };
        for a in list {
            let found: Option<(Option<String>, String)> = tx
                .query_row(
                    "SELECT ticket_id, centre FROM appointment WHERE code = ?1",
                    [&a.code],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            // Codes are the county's: another centre's appointment is not taken over.
            if let Some((_, other)) = found.as_ref().filter(|(_, c)| c != centre) {
                return Err(crate::store::HubStoreError::BadInput(format!(
                    "appointment code {} belongs to centre {other}",
                    a.code
                )));
            }
            let checked_in = found.map(|(t, _)| t);
            match checked_in {
                Some(Some(_)) => done.kept += 1,
                Some(None) => {
                    tx.execute(
                        "UPDATE appointment SET domain = ?2, slot_at = ?3, day = ?4,
                           name_masked = ?5, imported_at = ?6, centre = ?7 WHERE code = ?1",
                        params![
                            a.code,
                            a.domain,
                            ts(a.slot_at),
                            hall_day(a.slot_at).to_string(),
                            a.name_masked,
                            ts(now),
                            centre
                        ],
                    )?;
                    done.updated += 1;
                }
                None => {
                    tx.execute(
                        "INSERT INTO appointment (code, domain, slot_at, day, name_masked,
                           imported_at, centre) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                        params![
                            a.code,
                            a.domain,
                            ts(a.slot_at),
                            hall_day(a.slot_at).to_string(),
                            a.name_masked,
                            ts(now),
                            centre
                        ],
                    )?;
                    done.added += 1;
                }
            }
        }
        tx.commit()?;
        Ok(done)
    }

    /// 预约签到: the code typed at the kiosk. On its day, until half an hour after the slot,
    /// it gives a ticket of the appointment's domain that joins the priority lane ten minutes
    /// before the slot; a second check-in finds the same ticket.
    pub fn check_in(&mut self, centre: &str, code: &str, now: DateTime<Utc>) -> Result<CheckIn> {
        let Some(code) = appointment::normalise_code(code) else {
            return Ok(CheckIn::Refused(
                "预约码应为 4–12 位字母或数字，请核对后重输".into(),
            ));
        };
        let cfg = self.queue_cfg(centre)?;
        let tx = self.conn.transaction()?;
        let found: Option<(String, String, Option<String>, String, String)> = tx
            .query_row(
                "SELECT a.domain, a.slot_at, a.ticket_id, a.centre, coalesce(c.name, a.centre)
                 FROM appointment a LEFT JOIN centre c ON c.code = a.centre WHERE a.code = ?1",
                [&code],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
            )
            .optional()?;
        let Some((domain, slot, ticket_id, booked_at, booked_name)) = found else {
            return Ok(CheckIn::Refused(format!(
                "没有预约码 {code}，请核对后重输，或取普通号"
            )));
        };
        if booked_at != centre {
            return Ok(CheckIn::Refused(format!(
                "预约码 {code} 预约的是{booked_name}，请到该中心签到，或在本中心取普通号"
            )));
        }
        if let Some(id) = ticket_id {
            return Ok(CheckIn::Already(id));
        }
        let slot_at: DateTime<Utc> = slot
            .parse()
            .map_err(|_| crate::store::HubStoreError::BadInput(format!("stored slot {slot}")))?;
        if let Some(why) = appointment::check_in_refusal(slot_at, now) {
            return Ok(CheckIn::Refused(why));
        }
        let Some(d) = cfg.domains.iter().find(|d| d.code == domain) else {
            return Ok(CheckIn::Refused(
                "该预约的业务今天不在大厅叫号，请到咨询台".into(),
            ));
        };
        let extended = crate::store_queue::service_extended(&tx, &cfg, now)?;
        let t = insert_ticket(
            &tx,
            centre,
            extended,
            &d.prefix,
            &domain,
            None,
            Some(slot_at),
            &format!("appointment:{code}"),
            now,
        )?;
        tx.execute(
            "UPDATE appointment SET ticket_id = ?2, checked_in_at = ?3 WHERE code = ?1",
            params![code, t.id, ts(now)],
        )?;
        let waiting = waiting_today(&tx, centre, now)?;
        tx.commit()?;
        Ok(CheckIn::Issued(TicketSlip {
            people_ahead: ticket::people_ahead(&waiting, &t, now),
            ticket: t,
            domain_name: d.name.clone(),
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Duration;

    fn t0() -> DateTime<Utc> {
        // 09:00 in the hall.
        "2026-11-27T01:00:00Z".parse().unwrap()
    }

    fn store() -> HubStore {
        let mut s = HubStore::open_in_memory().unwrap();
        let cfg = onewindow_domain::queue::QueueConfig::parse(
            &std::fs::read_to_string(
                std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../demo/queue.json"),
            )
            .unwrap(),
        )
        .unwrap();
        s.import_queue("MAIN", &cfg, t0()).unwrap();
        s
    }

    fn appt(code: &str, domain: &str, minutes_after_t0: i64) -> Appointment {
        Appointment {
            code: code.into(),
            domain: domain.into(),
            slot_at: t0() + Duration::minutes(minutes_after_t0),
            name_masked: "王**".into(),
        }
    }

    #[test]
    fn an_appointment_checks_in_once_on_its_day_and_joins_the_lane_near_its_slot() {
        let mut s = store();
        let r = s
            .import_appointments(
                "MAIN",
                &[
                    appt("K7Q2MX", "ZHSL", 60),
                    appt("LATE01", "ZHSL", -31),
                    appt("TMRW01", "ZHSL", 24 * 60),
                ],
                t0(),
            )
            .unwrap();
        assert_eq!((r.added, r.updated, r.kept), (3, 0, 0));
        // Someone took an ordinary ticket first.
        let walk = s
            .issue_ticket("MAIN", "ZHSL", None, None, "kiosk", t0())
            .unwrap();
        assert_eq!(walk.ticket.number, "A001");
        let CheckIn::Issued(slip) = s.check_in("MAIN", " k7q2mx ", t0()).unwrap() else {
            panic!("checked in")
        };
        assert_eq!(slip.ticket.number, "A002");
        assert_eq!(
            slip.ticket.appointment_at,
            Some(t0() + Duration::minutes(60))
        );
        // Once more: the same ticket.
        assert_eq!(
            s.check_in("MAIN", "K7Q2MX", t0()).unwrap(),
            CheckIn::Already(slip.ticket.id.clone())
        );
        // At 09:30 the ordinary ticket goes first; from 09:50 the appointment does.
        let now = t0() + Duration::minutes(30);
        assert_eq!(
            s.call_next("MAIN", 1, "张三", now)
                .unwrap()
                .ticket
                .unwrap()
                .number,
            "A001"
        );
        s.issue_ticket("MAIN", "ZHSL", None, None, "kiosk", now)
            .unwrap();
        let now = t0() + Duration::minutes(50);
        assert_eq!(
            s.call_next("MAIN", 1, "张三", now)
                .unwrap()
                .ticket
                .unwrap()
                .number,
            "A002"
        );
        // Refusals say why.
        let refused = |s: &mut HubStore, code: &str| match s.check_in("MAIN", code, t0()).unwrap() {
            CheckIn::Refused(why) => why,
            other => panic!("{other:?}"),
        };
        assert!(refused(&mut s, "NOPE99").contains("没有预约码 NOPE99"));
        assert!(refused(&mut s, "LATE01").contains("已超过预约时段"));
        assert!(refused(&mut s, "TMRW01").contains("不是今天"));
        assert!(refused(&mut s, "x").contains("4–12 位"));
        // Importing again changes what waits, keeps what is checked in.
        let r = s
            .import_appointments(
                "MAIN",
                &[appt("K7Q2MX", "GAHZ", 0), appt("TMRW01", "GAHZ", 0)],
                t0(),
            )
            .unwrap();
        assert_eq!((r.added, r.updated, r.kept), (0, 1, 1));
        let CheckIn::Issued(slip) = s.check_in("MAIN", "TMRW01", t0()).unwrap() else {
            panic!("now today")
        };
        assert_eq!(slip.ticket.domain, "GAHZ");
    }
}
