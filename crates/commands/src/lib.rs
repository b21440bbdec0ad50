//! Every command the desk's windows call, declared once: its name, who may call it (the
//! access rule), which windows may call it (their capabilities), its arguments in the order the
//! TypeScript wrapper takes them, and its result. The table is a macro that hands itself to a
//! macro of the caller, so each place that needs the list expands it at compile time:
//!
//! - `onewindow_app::commands::COMMANDS` (the access rules and the TypeScript wrappers,
//!   `ui/src/ipc/commands.ts`, written by `make bindings` and checked for staleness),
//! - the Tauri shell (`src-tauri/src/lib.rs`): its `generate_handler!` list, and a compile-time
//!   check that each handler takes exactly these argument types and returns this result,
//! - the shell's build script: one permission per command, and each window's capability file
//!   checked against the windows named here (the build fails when they differ).
//!
//! This crate has no dependencies: the types are resolved where the table is expanded.
//!
//! Each entry: `/// doc` lines, then `name: Rule [windows] (arg: Type, …) -> Result;` where
//! Rule is `Always` (anyone, locked or not), `Window` (the window's work) or `Manage`
//! (supervisors and administrators).

/// Expands `$then! { …every command… }`.
#[macro_export]
macro_rules! desk_commands {
    ($($then:tt)+) => {
        $($then)+! {
        /// Connectivity, catalog version, sync state and cache health, for the status bar.
        desk_status: Always [main] () -> DeskStatus;
        /// Search the local catalog by name, pinyin, initials or code.
        search_items: Window [main] (request: SearchRequest) -> SearchResponse;
        /// Business domains with their item counts, for the domain filter.
        list_domains: Window [main] () -> Vec<DomainView>;
        /// The full guide (办事指南) of one item.
        item_guide: Window [main] (code: String) -> ItemGuide;
        /// One 一件事 bundle with its member items.
        bundle_view: Window [main] (code: String) -> BundleView;
        /// All 一件事 bundles of the catalog.
        list_bundles: Window [main] () -> Vec<BundleRef>;
        /// Pull from the hub now; resolves with the status after the attempt.
        sync_now: Window [main] () -> DeskStatus;
        /// Move the damaged cache aside and download it again from the hub.
        rebuild_cache: Manage [main] () -> DeskStatus;
        /// Tell the backend the main window is usable (search box mounted and focused).
        ui_ready: Always [main] () -> ();
        /// Desk code, clerk, hot folder, printer, card reader and the day at the window.
        window_info: Always [main] () -> WindowInfo;
        /// Start a case from an item (and scenario) or a 一件事 bundle; it becomes the open case.
        new_case: Window [main] (request: NewCaseRequest) -> CaseView;
        /// Open an existing case; new scans land in it from now on.
        open_case: Window [main] (case_id: String) -> CaseView;
        /// The case again if anything changed since `revision` (scans arriving), else null.
        poll_case: Window [main] (case_id: String, revision: u64) -> Option<CaseView>;
        /// Cases started at this window, newest first.
        recent_cases: Window [main] () -> Vec<CaseSummary>;
        /// Save applicant and form values of a draft (looks up e-licences when the number changed).
        save_intake: Window [main] (request: SaveIntakeRequest) -> CaseView;
        /// A 居民码/企业码 payload typed by the keyboard-wedge scanner.
        apply_applicant_code: Window [main] (case_id: String, text: String) -> CaseView;
        /// Read the ID card on the reader: fills the applicant and attaches the photo.
        read_id_card: Window [main] (case_id: String) -> CaseView;
        /// Ask the hub's e-licence registry again for this applicant.
        lookup_elicences: Window [main] (case_id: String) -> CaseView;
        /// Choose the scenario of the case, or of one member of a 一件事 case.
        set_scenario: Window [main] (case_id: String, scenario_code: String, member_case_id: Option<String>) -> CaseView;
        /// Where the next scans land: a material slot, or null for the unsorted tray.
        select_slot: Window [main] (case_id: String, slot: Option<u32>) -> CaseView;
        /// Move an attached file to a material slot, or null for the tray.
        move_file: Window [main] (case_id: String, sha256: String, slot: Option<u32>) -> CaseView;
        /// Put a waiting scan (待分配扫描件) into this case: a material slot, or null for the tray.
        attach_waiting_scan: Window [main] (case_id: String, scan_id: i64, slot: Option<u32>) -> CaseView;
        /// A waiting scan belongs to no case: it leaves the list (its sealed copy stays).
        dismiss_waiting_scan: Window [main] (case_id: String, scan_id: i64) -> CaseView;
        /// A held scan the clerk will not take: moved into the hot folder's 未接收 folder.
        set_aside_held_scan: Window [main] (case_id: String, name: String) -> CaseView;
        /// Pick files with the system file dialog and take them in like scans.
        import_from_file: Window [main] (case_id: String) -> CaseView;
        /// Mark (prints the pledge for signature) or unmark a material as 告知承诺.
        set_pledge: Window [main] (case_id: String, slot: u32, pledged: bool) -> CaseView;
        /// Override a blocking finding with a written reason; null withdraws the override.
        set_override: Window [main] (case_id: String, finding_key: String, reason: Option<String>) -> CaseView;
        /// Print the one-time notice (一次性告知书) listing everything missing or wrong.
        issue_notice: Window [main] (case_id: String) -> CaseView;
        /// Back to work after a notice or a return: same number, same materials.
        reopen_case: Window [main] (case_id: String) -> CaseView;
        /// Accept (受理): hand-off queued, receipt printed.
        accept_case: Window [main] (case_id: String) -> CaseView;
        /// 不予受理 with reason and legal basis: a request the centre's supervisor confirms
        /// (窗口无否决权); the notice prints once confirmed.
        refuse_case: Window [main] (case_id: String, reason: String, basis: String) -> CaseView;
        /// A supervisor signed in at the desk (or taking over the clerk's session) confirms a
        /// refusal request (the notice prints) or sends it back with a note.
        answer_refusal: Window [main] (case_id: String, confirm: bool, note: String) -> CaseView;
        /// A supervisor signed in at this desk answers a refusal request of any desk of the
        /// centre (through the hub).
        answer_centre_refusal: Window [main] (number: String, confirm: bool, note: String) -> DeskStatus;
        /// 办不成事: the applicant's unresolved matter (who, a contact, what was tried) for the
        /// centre's supervisor to own.
        record_unresolved: Window [main] (case_id: String, who: String, contact: String, tried: String) -> CaseView;
        /// The applicant withdraws the application.
        withdraw_case: Window [main] (case_id: String, reason: String) -> CaseView;
        /// Page images of an archived document.
        preview_document: Window [main] (document_id: i64) -> DocumentPreview;
        /// 查看完整信息: the applicant's (and agent's) ID number, phone and address whole, outside the
        /// draft; the clerk must be signed in and give a reason (at least 4 characters), and the view is
        /// audited. Show the answer only while it is needed; never keep or log it.
        reveal_applicant: Window [main] (case_id: String, reason: String) -> RevealView;
        /// Print an archived document again.
        reprint_document: Window [main] (document_id: i64) -> Flash;
        /// The follow-up work list (pledges to verify, 容缺 materials owed).
        follow_ups: Window [main] (open_only: bool) -> Vec<FollowUpView>;
        /// Close a follow-up with a note; resolves with the open list.
        close_follow_up: Window [main] (id: i64, note: String) -> Vec<FollowUpView>;
        /// First run: enrol this desk with the hub URL and the administrator's one-time code.
        /// `pin`: the https hub's certificate fingerprint as the administrator read it (empty for http).
        enrol_desk: Manage [main] (hub_url: String, code: String, pin: String) -> DeskStatus;
        /// Enrol with a provisioning line (`onewindow-hub provision`): the QR code of the
        /// printed sheet, typed by the scanner into the enrolment panel (F10).
        enrol_with_provision: Manage [main] (text: String) -> DeskStatus;
        /// Ops the hub rejected, with the reason; they never block the others.
        rejected_ops: Window [main] () -> Vec<RejectedOpView>;
        /// Send a rejected op again at the next sync.
        resend_op: Window [main] (op_id: String) -> Vec<RejectedOpView>;
        /// Give up a rejected op; the reason is recorded.
        discard_op: Window [main] (op_id: String, reason: String) -> Vec<RejectedOpView>;
        /// 出件: at the window, or by post with the tracking number.
        deliver_case: Window [main] (case_id: String, by_post: bool, tracking: String) -> CaseView;
        /// A clerk signs in (checked by the hub; the desk must be enrolled); also unlocks a locked screen.
        login_user: Always [main] (name: String, password: String) -> DeskStatus;
        /// The clerks whose offline sign-in on this desk ends within a week, with the last day (the
        /// sign-in and lock screens name it).
        offline_sign_ins_ending: Always [main] () -> Vec<OfflineSignInEnding>;
        /// 锁屏 now (idle, or the clerk asked): every window-work command is refused until someone signs
        /// in again (the same clerk, or another one taking over); the open case stays as it was. Nobody
        /// signed in: nothing happens (the answer says `locked: false`).
        lock_screen: Always [main] () -> DeskStatus;
        /// Sign out; the open case stays.
        logout_user: Always [main] () -> DeskStatus;
        /// Download one stream again (catalog, calendar, queue configuration or results) without touching cases or the outbox.
        reset_stream: Manage [main] (stream: String) -> DeskStatus;
        /// The window's queue: where this desk sits, the ticket it called, how many wait, why calling is not possible.
        queue_status: Window [main] () -> QueueView;
        /// 叫号: the current ticket is done, the next is called and announced.
        queue_call_next: Window [main] () -> QueueView;
        /// 重呼 (at most 3), 到号 (the applicant is at the window) or 过号 (did not come).
        queue_step: Window [main] (action: String) -> QueueView;
        /// 转移 the current ticket to another window or another domain; it keeps its issue time.
        queue_transfer: Window [main] (to_window: Option<u32>, to_domain: Option<String>) -> QueueView;
        /// 暂停 / 恢复 the window.
        queue_set_window: Window [main] (state: String) -> QueueView;
        /// 现场取号: a ticket of `domain` (one this window serves) for someone at the window, served at once.
        queue_walk_in: Window [main] (domain: String) -> QueueView;
        /// The applicant-facing screen: the masked case on the clerk's screen, or the rating when invited.
        applicant_screen: Always [applicant] () -> ApplicantScreenView;
        /// The applicant rates the service (5 非常满意 … 1 非常不满意; 1 and 2 need reasons).
        applicant_rate: Always [applicant] (level: u8, reasons: Vec<String>, comment: String) -> ApplicantScreenView;
        /// The clerk invites the applicant to rate the service on their screen.
        invite_rating: Window [main] () -> Flash;
        /// The hall display's board now: the latest calls and a tile per window.
        hall_board: Always [hall] () -> HallBoardView;
        }
    };
}

/// The command names, as `&[&str]`, in table order.
#[macro_export]
macro_rules! command_names {
    () => {
        $crate::desk_commands!($crate::__command_names)
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __command_names {
    ($($(#[doc = $doc:literal])* $name:ident : $rule:ident [$($window:ident),*] ($($arg:ident : $ty:ty),*) -> $result:ty;)*) => {
        &[$(stringify!($name)),*]
    };
}

/// `(command, &[window labels])` for every command, in table order.
#[macro_export]
macro_rules! command_windows {
    () => {
        $crate::desk_commands!($crate::__command_windows)
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __command_windows {
    ($($(#[doc = $doc:literal])* $name:ident : $rule:ident [$($window:ident),*] ($($arg:ident : $ty:ty),*) -> $result:ty;)*) => {
        &[$((stringify!($name), &[$(stringify!($window)),*] as &[&str])),*]
    };
}

#[cfg(test)]
mod tests {
    #[test]
    fn names_are_unique_and_every_command_has_a_window() {
        let names: &[&str] = crate::command_names!();
        let mut seen = std::collections::BTreeSet::new();
        for n in names {
            assert!(seen.insert(*n), "{n} twice");
        }
        let windows: &[(&str, &[&str])] = crate::command_windows!();
        assert_eq!(windows.len(), names.len());
        for (name, w) in windows {
            assert!(!w.is_empty(), "{name} has no window");
            for label in *w {
                assert!(
                    ["main", "applicant", "hall"].contains(label),
                    "{name}: {label}"
                );
            }
        }
    }
}
