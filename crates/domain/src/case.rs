//! The states of a case (办件) and the only ways between them (DESIGN.md, "Case states").
//! A transition is a method that returns the new state or says, in Chinese, why not.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum CaseState {
    /// Being taken in at the window.
    Draft,
    /// A one-time notice (一次性告知书) was printed; reopens as a draft with the same number.
    NeedsCorrection,
    /// Accepted at the window (receipt printed); the hand-off op is in the outbox.
    Accepted,
    /// The hub acknowledged the hand-off.
    HandedOff,
    /// An approver opened it.
    InReview,
    Approved,
    /// 不予许可 by the back office.
    RefusedByOffice,
    /// The back office asks for correction; reopens at the window with the same number.
    Returned,
    /// The result waits at the window (待出件).
    Ready,
    Delivered,
    /// 不予受理 at the window.
    Refused,
    Withdrawn,
    /// 窗口无否决权: the clerk asked to refuse (with the reason and the legal basis); the
    /// centre's supervisor confirms it (→ `Refused`, the notice printed) or sends it back
    /// (→ `Draft`).
    RefusalRequested,
}

/// What happens to a case; each is recorded as an event with who, when, desk and why.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CaseAction {
    /// Accept at the window (also 容缺受理 with open items).
    Accept,
    /// Print the one-time notice listing what is missing or wrong.
    NotifyCorrection,
    /// Take a case back into work at the window (after a notice or a return).
    Reopen,
    /// 不予受理 decided at the window alone: before 窗口无否决权, kept to read old events.
    Refuse,
    Withdraw,
    /// The clerk asks the centre's supervisor to refuse the case (不予受理申请).
    RequestRefusal,
    /// The supervisor confirms the refusal.
    ConfirmRefusal,
    /// The supervisor sends the request back to the clerk, with a note.
    SendBackRefusal,
    /// The hub acknowledged the hand-off op.
    HandOffAcknowledged,
    OpenForReview,
    Approve,
    RefuseByOffice,
    ReturnForCorrection,
    /// The result (or the refusal letter) has arrived at the window.
    ResultArrived,
    Deliver,
}

impl CaseState {
    pub fn label(self) -> &'static str {
        match self {
            CaseState::Draft => "受理中",
            CaseState::NeedsCorrection => "已一次性告知",
            CaseState::Accepted => "已受理",
            CaseState::HandedOff => "已流转",
            CaseState::InReview => "审批中",
            CaseState::Approved => "已批准",
            CaseState::RefusedByOffice => "不予许可",
            CaseState::Returned => "退回补正",
            CaseState::Ready => "待出件",
            CaseState::Delivered => "已出件",
            CaseState::Refused => "不予受理",
            CaseState::Withdrawn => "已撤回",
            CaseState::RefusalRequested => "不予受理待确认",
        }
    }

    /// The state after `action`, or why it cannot happen now.
    pub fn apply(self, action: CaseAction) -> Result<CaseState, String> {
        use CaseAction as A;
        use CaseState as S;
        let next = match (self, action) {
            (S::Draft, A::Accept) => S::Accepted,
            (S::Draft, A::NotifyCorrection) => S::NeedsCorrection,
            (S::Draft, A::RequestRefusal) => S::RefusalRequested,
            (S::RefusalRequested, A::ConfirmRefusal) => S::Refused,
            (S::RefusalRequested, A::SendBackRefusal) => S::Draft,
            (S::RefusalRequested, A::Withdraw) => S::Withdrawn,
            (S::NeedsCorrection | S::Returned, A::Reopen) => S::Draft,
            (S::Draft | S::NeedsCorrection | S::Accepted, A::Withdraw) => S::Withdrawn,
            (S::Accepted, A::HandOffAcknowledged) => S::HandedOff,
            (S::HandedOff, A::OpenForReview) => S::InReview,
            // A decision can reach an offline desk without the review-opened event.
            (S::HandedOff | S::InReview, A::Approve) => S::Approved,
            (S::HandedOff | S::InReview, A::RefuseByOffice) => S::RefusedByOffice,
            (S::HandedOff | S::InReview, A::ReturnForCorrection) => S::Returned,
            (S::Approved | S::RefusedByOffice, A::ResultArrived) => S::Ready,
            (S::Ready, A::Deliver) => S::Delivered,
            (state, action) => {
                return Err(format!(
                    "办件当前为“{}”，不能{}",
                    state.label(),
                    action.label()
                ));
            }
        };
        Ok(next)
    }

    /// No further action is possible.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            CaseState::Delivered | CaseState::Refused | CaseState::Withdrawn
        )
    }
}

/// How far along the road after acceptance a state is; `None` before acceptance or off it.
fn progress(s: CaseState) -> Option<u8> {
    Some(match s {
        CaseState::Accepted => 1,
        CaseState::HandedOff => 2,
        CaseState::InReview => 3,
        CaseState::Approved | CaseState::RefusedByOffice => 4,
        CaseState::Ready => 5,
        CaseState::Delivered => 6,
        _ => return None,
    })
}

/// The steps that bring a 一件事's own case level with its members (each member is handed off,
/// decided and delivered on its own): to 退回补正 when any member was returned, else as far as
/// the least advanced member. Empty when nothing is to do: before acceptance, when a member
/// is back in the window's hands, or when the case is already there. Never backwards.
pub fn bundle_steps(head: CaseState, members: &[CaseState]) -> Vec<CaseAction> {
    use CaseAction as A;
    use CaseState as S;
    if members.is_empty() || progress(head).is_none() && head != S::Returned {
        return vec![];
    }
    let returned = members.contains(&S::Returned);
    let target = if returned {
        S::Returned
    } else {
        let Some(least) = members
            .iter()
            .map(|m| progress(*m).map(|p| (p, *m)))
            .collect::<Option<Vec<_>>>()
            .and_then(|v| v.into_iter().min_by_key(|(p, _)| *p))
        else {
            return vec![];
        };
        least.1
    };
    // Refused by the office only when every decided member was.
    let decision = if members
        .iter()
        .all(|m| matches!(m, S::RefusedByOffice) || progress(*m).is_some_and(|p| p < 4))
    {
        A::RefuseByOffice
    } else {
        A::Approve
    };
    let mut steps = vec![];
    let mut at = head;
    while at != target {
        let forward = match (at, target) {
            (S::Accepted, _) => A::HandOffAcknowledged,
            (S::HandedOff, S::InReview) => A::OpenForReview,
            (S::HandedOff | S::InReview, S::Returned) => A::ReturnForCorrection,
            (S::HandedOff | S::InReview, _) => decision,
            (S::Approved | S::RefusedByOffice, _) => A::ResultArrived,
            (S::Ready, _) => A::Deliver,
            _ => break,
        };
        let Ok(next) = at.apply(forward) else { break };
        // Never past the target, never backwards.
        if target != S::Returned && progress(next).unwrap_or(0) > progress(target).unwrap_or(0) {
            break;
        }
        steps.push(forward);
        at = next;
    }
    steps
}

impl CaseAction {
    pub fn label(self) -> &'static str {
        match self {
            CaseAction::Accept => "受理",
            CaseAction::NotifyCorrection => "出具一次性告知书",
            CaseAction::Reopen => "重新办理",
            CaseAction::Refuse => "不予受理",
            CaseAction::RequestRefusal => "申请不予受理",
            CaseAction::ConfirmRefusal => "确认不予受理",
            CaseAction::SendBackRefusal => "退回不予受理申请",
            CaseAction::Withdraw => "撤回",
            CaseAction::HandOffAcknowledged => "确认流转",
            CaseAction::OpenForReview => "开始审批",
            CaseAction::Approve => "批准",
            CaseAction::RefuseByOffice => "作出不予许可决定",
            CaseAction::ReturnForCorrection => "退回补正",
            CaseAction::ResultArrived => "登记结果到达窗口",
            CaseAction::Deliver => "出件",
        }
    }

    pub const ALL: [CaseAction; 15] = [
        CaseAction::Accept,
        CaseAction::NotifyCorrection,
        CaseAction::Reopen,
        CaseAction::Refuse,
        CaseAction::Withdraw,
        CaseAction::RequestRefusal,
        CaseAction::ConfirmRefusal,
        CaseAction::SendBackRefusal,
        CaseAction::HandOffAcknowledged,
        CaseAction::OpenForReview,
        CaseAction::Approve,
        CaseAction::RefuseByOffice,
        CaseAction::ReturnForCorrection,
        CaseAction::ResultArrived,
        CaseAction::Deliver,
    ];
}

#[cfg(test)]
mod tests {
    use super::CaseAction as A;
    use super::CaseState as S;
    use super::*;

    fn run(actions: &[CaseAction]) -> Result<CaseState, String> {
        actions.iter().try_fold(S::Draft, |s, &a| s.apply(a))
    }

    #[test]
    fn whole_journeys() {
        assert_eq!(
            run(&[
                A::Accept,
                A::HandOffAcknowledged,
                A::OpenForReview,
                A::Approve,
                A::ResultArrived,
                A::Deliver
            ]),
            Ok(S::Delivered)
        );
        // Notice, then the applicant comes back: same case, accepted.
        assert_eq!(
            run(&[A::NotifyCorrection, A::Reopen, A::Accept]),
            Ok(S::Accepted)
        );
        // Returned by the back office, reopened at the window, accepted again.
        assert_eq!(
            run(&[
                A::Accept,
                A::HandOffAcknowledged,
                A::ReturnForCorrection,
                A::Reopen,
                A::Accept
            ]),
            Ok(S::Accepted)
        );
        assert_eq!(
            run(&[
                A::Accept,
                A::HandOffAcknowledged,
                A::RefuseByOffice,
                A::ResultArrived,
                A::Deliver
            ]),
            Ok(S::Delivered)
        );
        // 窗口无否决权: the window asks, the supervisor confirms or sends it back.
        assert_eq!(run(&[A::RequestRefusal, A::ConfirmRefusal]), Ok(S::Refused));
        assert_eq!(
            run(&[A::RequestRefusal, A::SendBackRefusal, A::Accept]),
            Ok(S::Accepted)
        );
        assert_eq!(run(&[A::RequestRefusal, A::Withdraw]), Ok(S::Withdrawn));
        assert!(
            run(&[A::Refuse]).is_err(),
            "the window no longer refuses alone"
        );
        assert!(run(&[A::RequestRefusal, A::Accept]).is_err());
    }

    #[test]
    fn a_bundle_follows_its_least_advanced_member() {
        let walk = |head: S, members: &[S]| {
            bundle_steps(head, members)
                .into_iter()
                .try_fold(head, |s, a| s.apply(a))
                .unwrap()
        };
        assert_eq!(walk(S::Accepted, &[S::HandedOff, S::Accepted]), S::Accepted);
        assert_eq!(
            walk(S::Accepted, &[S::HandedOff, S::InReview]),
            S::HandedOff
        );
        assert_eq!(walk(S::Accepted, &[S::Ready, S::InReview]), S::InReview);
        assert_eq!(walk(S::HandedOff, &[S::Ready, S::Ready]), S::Ready);
        assert_eq!(walk(S::Ready, &[S::Delivered, S::Delivered]), S::Delivered);
        // One member returned: the bundle goes back to the window.
        assert_eq!(walk(S::InReview, &[S::Returned, S::Ready]), S::Returned);
        // Decided, and refused only when every decided member was.
        assert_eq!(
            bundle_steps(S::InReview, &[S::RefusedByOffice, S::RefusedByOffice]),
            [A::RefuseByOffice]
        );
        assert_eq!(
            bundle_steps(S::InReview, &[S::RefusedByOffice, S::Approved]),
            [A::Approve]
        );
        // Nothing before acceptance, nothing backwards, nothing while a member is a draft again.
        assert!(bundle_steps(S::Draft, &[S::Accepted]).is_empty());
        assert!(bundle_steps(S::Ready, &[S::InReview, S::Ready]).is_empty());
        assert!(bundle_steps(S::Accepted, &[S::Draft, S::Ready]).is_empty());
        assert!(bundle_steps(S::Accepted, &[]).is_empty());
    }

    #[test]
    fn withdrawal_only_before_hand_off() {
        assert_eq!(run(&[A::Withdraw]), Ok(S::Withdrawn));
        assert_eq!(run(&[A::NotifyCorrection, A::Withdraw]), Ok(S::Withdrawn));
        assert_eq!(run(&[A::Accept, A::Withdraw]), Ok(S::Withdrawn));
        assert_eq!(
            run(&[A::Accept, A::HandOffAcknowledged, A::Withdraw]),
            Err("办件当前为“已流转”，不能撤回".to_string())
        );
    }

    #[test]
    fn final_states_allow_nothing() {
        for s in [S::Delivered, S::Refused, S::Withdrawn] {
            assert!(s.is_final());
            for a in CaseAction::ALL {
                assert!(s.apply(a).is_err(), "{s:?} {a:?}");
            }
        }
        assert_eq!(
            S::Draft.apply(A::Deliver),
            Err("办件当前为“受理中”，不能出件".to_string())
        );
    }
}

/// Whether `number` is a case number of the desk `desk_code`: the desk code, a dash and
/// exactly `YYYYMMDD-NNNN` (`W01-20261127-0001`), so `W1` never claims `W10`'s cases and,
/// desk codes holding dashes (`XZ-01`), `XZ` never claims `XZ-01`'s.
pub fn is_case_number_of(number: &str, desk_code: &str) -> bool {
    let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    !desk_code.is_empty()
        && number
            .strip_prefix(desk_code)
            .and_then(|rest| rest.strip_prefix('-'))
            .and_then(|rest| rest.split_once('-'))
            .is_some_and(|(day, seq)| digits(day, 8) && digits(seq, 4))
}

#[cfg(test)]
mod number_tests {
    use super::is_case_number_of;

    #[test]
    fn a_case_number_belongs_to_the_desk_it_begins_with() {
        assert!(is_case_number_of("W01-20261127-0001", "W01"));
        assert!(!is_case_number_of("W01-20261127-0001", "W02"));
        assert!(!is_case_number_of("W010-20261127-0001", "W01"));
        assert!(!is_case_number_of("W01", "W01"));
        assert!(!is_case_number_of("W01-", "W01"));
        assert!(!is_case_number_of("-20261127-0001", ""));
        // Desk codes with dashes: the rest must be exactly a day and a sequence.
        assert!(is_case_number_of("XZ-01-20261127-0001", "XZ-01"));
        assert!(!is_case_number_of("XZ-01-20261127-0001", "XZ"));
        assert!(!is_case_number_of("XZ-01-01-20261127-0001", "XZ-01"));
        assert!(!is_case_number_of("W01-2026112-0001", "W01"));
        assert!(!is_case_number_of("W01-20261127-001", "W01"));
    }
}
