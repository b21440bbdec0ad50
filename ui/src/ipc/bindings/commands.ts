// Generated from the command table (crates/commands) by `make bindings`. Do not edit.

import { call } from '../call';
import type { ApplicantScreenView } from './ApplicantScreenView';
import type { BundleRef } from './BundleRef';
import type { BundleView } from './BundleView';
import type { CaseSummary } from './CaseSummary';
import type { CaseView } from './CaseView';
import type { DeskStatus } from './DeskStatus';
import type { DocumentPreview } from './DocumentPreview';
import type { DomainView } from './DomainView';
import type { Flash } from './Flash';
import type { FollowUpView } from './FollowUpView';
import type { HallBoardView } from './HallBoardView';
import type { ItemGuide } from './ItemGuide';
import type { NewCaseRequest } from './NewCaseRequest';
import type { OfflineSignInEnding } from './OfflineSignInEnding';
import type { QueueView } from './QueueView';
import type { RejectedOpView } from './RejectedOpView';
import type { RevealView } from './RevealView';
import type { SaveIntakeRequest } from './SaveIntakeRequest';
import type { SearchRequest } from './SearchRequest';
import type { SearchResponse } from './SearchResponse';
import type { WindowInfo } from './WindowInfo';

/**
 * Connectivity, catalog version, sync state and cache health, for the status bar.
 * (`desk_status`)
 */
export function deskStatus(): Promise<DeskStatus> {
  return call<DeskStatus>('desk_status');
}

/**
 * Search the local catalog by name, pinyin, initials or code.
 * (`search_items`)
 */
export function searchItems(request: SearchRequest): Promise<SearchResponse> {
  return call<SearchResponse>('search_items', { request });
}

/**
 * Business domains with their item counts, for the domain filter.
 * (`list_domains`)
 */
export function listDomains(): Promise<Array<DomainView>> {
  return call<Array<DomainView>>('list_domains');
}

/**
 * The full guide (办事指南) of one item.
 * (`item_guide`)
 */
export function itemGuide(code: string): Promise<ItemGuide> {
  return call<ItemGuide>('item_guide', { code });
}

/**
 * One 一件事 bundle with its member items.
 * (`bundle_view`)
 */
export function bundleView(code: string): Promise<BundleView> {
  return call<BundleView>('bundle_view', { code });
}

/**
 * All 一件事 bundles of the catalog.
 * (`list_bundles`)
 */
export function listBundles(): Promise<Array<BundleRef>> {
  return call<Array<BundleRef>>('list_bundles');
}

/**
 * Pull from the hub now; resolves with the status after the attempt.
 * (`sync_now`)
 */
export function syncNow(): Promise<DeskStatus> {
  return call<DeskStatus>('sync_now');
}

/**
 * Move the damaged cache aside and download it again from the hub.
 * (`rebuild_cache`)
 */
export function rebuildCache(): Promise<DeskStatus> {
  return call<DeskStatus>('rebuild_cache');
}

/**
 * Tell the backend the main window is usable (search box mounted and focused).
 * (`ui_ready`)
 */
export function uiReady(): Promise<void> {
  return call<void>('ui_ready');
}

/**
 * Desk code, clerk, hot folder, printer, card reader and the day at the window.
 * (`window_info`)
 */
export function windowInfo(): Promise<WindowInfo> {
  return call<WindowInfo>('window_info');
}

/**
 * Start a case from an item (and scenario) or a 一件事 bundle; it becomes the open case.
 * (`new_case`)
 */
export function newCase(request: NewCaseRequest): Promise<CaseView> {
  return call<CaseView>('new_case', { request });
}

/**
 * Open an existing case; new scans land in it from now on.
 * (`open_case`)
 */
export function openCase(caseId: string): Promise<CaseView> {
  return call<CaseView>('open_case', { caseId });
}

/**
 * The case again if anything changed since `revision` (scans arriving), else null.
 * (`poll_case`)
 */
export function pollCase(caseId: string, revision: number): Promise<CaseView | null> {
  return call<CaseView | null>('poll_case', { caseId, revision });
}

/**
 * Cases started at this window, newest first.
 * (`recent_cases`)
 */
export function recentCases(): Promise<Array<CaseSummary>> {
  return call<Array<CaseSummary>>('recent_cases');
}

/**
 * Save applicant and form values of a draft (looks up e-licences when the number changed).
 * (`save_intake`)
 */
export function saveIntake(request: SaveIntakeRequest): Promise<CaseView> {
  return call<CaseView>('save_intake', { request });
}

/**
 * A 居民码/企业码 payload typed by the keyboard-wedge scanner.
 * (`apply_applicant_code`)
 */
export function applyApplicantCode(caseId: string, text: string): Promise<CaseView> {
  return call<CaseView>('apply_applicant_code', { caseId, text });
}

/**
 * Read the ID card on the reader: fills the applicant and attaches the photo.
 * (`read_id_card`)
 */
export function readIdCard(caseId: string): Promise<CaseView> {
  return call<CaseView>('read_id_card', { caseId });
}

/**
 * Ask the hub's e-licence registry again for this applicant.
 * (`lookup_elicences`)
 */
export function lookupElicences(caseId: string): Promise<CaseView> {
  return call<CaseView>('lookup_elicences', { caseId });
}

/**
 * Choose the scenario of the case, or of one member of a 一件事 case.
 * (`set_scenario`)
 */
export function setScenario(caseId: string, scenarioCode: string, memberCaseId: string | null): Promise<CaseView> {
  return call<CaseView>('set_scenario', { caseId, scenarioCode, memberCaseId });
}

/**
 * Where the next scans land: a material slot, or null for the unsorted tray.
 * (`select_slot`)
 */
export function selectSlot(caseId: string, slot: number | null): Promise<CaseView> {
  return call<CaseView>('select_slot', { caseId, slot });
}

/**
 * Move an attached file to a material slot, or null for the tray.
 * (`move_file`)
 */
export function moveFile(caseId: string, sha256: string, slot: number | null): Promise<CaseView> {
  return call<CaseView>('move_file', { caseId, sha256, slot });
}

/**
 * Put a waiting scan (待分配扫描件) into this case: a material slot, or null for the tray.
 * (`attach_waiting_scan`)
 */
export function attachWaitingScan(caseId: string, scanId: number, slot: number | null): Promise<CaseView> {
  return call<CaseView>('attach_waiting_scan', { caseId, scanId, slot });
}

/**
 * A waiting scan belongs to no case: it leaves the list (its sealed copy stays).
 * (`dismiss_waiting_scan`)
 */
export function dismissWaitingScan(caseId: string, scanId: number): Promise<CaseView> {
  return call<CaseView>('dismiss_waiting_scan', { caseId, scanId });
}

/**
 * A held scan the clerk will not take: moved into the hot folder's 未接收 folder.
 * (`set_aside_held_scan`)
 */
export function setAsideHeldScan(caseId: string, name: string): Promise<CaseView> {
  return call<CaseView>('set_aside_held_scan', { caseId, name });
}

/**
 * Pick files with the system file dialog and take them in like scans.
 * (`import_from_file`)
 */
export function importFromFile(caseId: string): Promise<CaseView> {
  return call<CaseView>('import_from_file', { caseId });
}

/**
 * Mark (prints the pledge for signature) or unmark a material as 告知承诺.
 * (`set_pledge`)
 */
export function setPledge(caseId: string, slot: number, pledged: boolean): Promise<CaseView> {
  return call<CaseView>('set_pledge', { caseId, slot, pledged });
}

/**
 * Override a blocking finding with a written reason; null withdraws the override.
 * (`set_override`)
 */
export function setOverride(caseId: string, findingKey: string, reason: string | null): Promise<CaseView> {
  return call<CaseView>('set_override', { caseId, findingKey, reason });
}

/**
 * Print the one-time notice (一次性告知书) listing everything missing or wrong.
 * (`issue_notice`)
 */
export function issueNotice(caseId: string): Promise<CaseView> {
  return call<CaseView>('issue_notice', { caseId });
}

/**
 * Back to work after a notice or a return: same number, same materials.
 * (`reopen_case`)
 */
export function reopenCase(caseId: string): Promise<CaseView> {
  return call<CaseView>('reopen_case', { caseId });
}

/**
 * Accept (受理): hand-off queued, receipt printed.
 * (`accept_case`)
 */
export function acceptCase(caseId: string): Promise<CaseView> {
  return call<CaseView>('accept_case', { caseId });
}

/**
 * 不予受理 with reason and legal basis: a request the centre's supervisor confirms
 * (窗口无否决权); the notice prints once confirmed.
 * (`refuse_case`)
 */
export function refuseCase(caseId: string, reason: string, basis: string): Promise<CaseView> {
  return call<CaseView>('refuse_case', { caseId, reason, basis });
}

/**
 * A supervisor signed in at the desk (or taking over the clerk's session) confirms a
 * refusal request (the notice prints) or sends it back with a note.
 * (`answer_refusal`)
 */
export function answerRefusal(caseId: string, confirm: boolean, note: string): Promise<CaseView> {
  return call<CaseView>('answer_refusal', { caseId, confirm, note });
}

/**
 * A supervisor signed in at this desk answers a refusal request of any desk of the
 * centre (through the hub).
 * (`answer_centre_refusal`)
 */
export function answerCentreRefusal(number: string, confirm: boolean, note: string): Promise<DeskStatus> {
  return call<DeskStatus>('answer_centre_refusal', { number, confirm, note });
}

/**
 * 办不成事: the applicant's unresolved matter (who, a contact, what was tried) for the
 * centre's supervisor to own.
 * (`record_unresolved`)
 */
export function recordUnresolved(caseId: string, who: string, contact: string, tried: string): Promise<CaseView> {
  return call<CaseView>('record_unresolved', { caseId, who, contact, tried });
}

/**
 * The applicant withdraws the application.
 * (`withdraw_case`)
 */
export function withdrawCase(caseId: string, reason: string): Promise<CaseView> {
  return call<CaseView>('withdraw_case', { caseId, reason });
}

/**
 * Page images of an archived document.
 * (`preview_document`)
 */
export function previewDocument(documentId: number): Promise<DocumentPreview> {
  return call<DocumentPreview>('preview_document', { documentId });
}

/**
 * 查看完整信息: the applicant's (and agent's) ID number, phone and address whole, outside the
 * draft; the clerk must be signed in and give a reason (at least 4 characters), and the view is
 * audited. Show the answer only while it is needed; never keep or log it.
 * (`reveal_applicant`)
 */
export function revealApplicant(caseId: string, reason: string): Promise<RevealView> {
  return call<RevealView>('reveal_applicant', { caseId, reason });
}

/**
 * Print an archived document again.
 * (`reprint_document`)
 */
export function reprintDocument(documentId: number): Promise<Flash> {
  return call<Flash>('reprint_document', { documentId });
}

/**
 * The follow-up work list (pledges to verify, 容缺 materials owed).
 * (`follow_ups`)
 */
export function followUps(openOnly: boolean): Promise<Array<FollowUpView>> {
  return call<Array<FollowUpView>>('follow_ups', { openOnly });
}

/**
 * Close a follow-up with a note; resolves with the open list.
 * (`close_follow_up`)
 */
export function closeFollowUp(id: number, note: string): Promise<Array<FollowUpView>> {
  return call<Array<FollowUpView>>('close_follow_up', { id, note });
}

/**
 * First run: enrol this desk with the hub URL and the administrator's one-time code.
 * `pin`: the https hub's certificate fingerprint as the administrator read it (empty for http).
 * (`enrol_desk`)
 */
export function enrolDesk(hubUrl: string, code: string, pin: string): Promise<DeskStatus> {
  return call<DeskStatus>('enrol_desk', { hubUrl, code, pin });
}

/**
 * Enrol with a provisioning line (`onewindow-hub provision`): the QR code of the
 * printed sheet, typed by the scanner into the enrolment panel (F10).
 * (`enrol_with_provision`)
 */
export function enrolWithProvision(text: string): Promise<DeskStatus> {
  return call<DeskStatus>('enrol_with_provision', { text });
}

/**
 * Ops the hub rejected, with the reason; they never block the others.
 * (`rejected_ops`)
 */
export function rejectedOps(): Promise<Array<RejectedOpView>> {
  return call<Array<RejectedOpView>>('rejected_ops');
}

/**
 * Send a rejected op again at the next sync.
 * (`resend_op`)
 */
export function resendOp(opId: string): Promise<Array<RejectedOpView>> {
  return call<Array<RejectedOpView>>('resend_op', { opId });
}

/**
 * Give up a rejected op; the reason is recorded.
 * (`discard_op`)
 */
export function discardOp(opId: string, reason: string): Promise<Array<RejectedOpView>> {
  return call<Array<RejectedOpView>>('discard_op', { opId, reason });
}

/**
 * 出件: at the window, or by post with the tracking number.
 * (`deliver_case`)
 */
export function deliverCase(caseId: string, byPost: boolean, tracking: string): Promise<CaseView> {
  return call<CaseView>('deliver_case', { caseId, byPost, tracking });
}

/**
 * A clerk signs in (checked by the hub; the desk must be enrolled); also unlocks a locked screen.
 * (`login_user`)
 */
export function loginUser(name: string, password: string): Promise<DeskStatus> {
  return call<DeskStatus>('login_user', { name, password });
}

/**
 * The clerks whose offline sign-in on this desk ends within a week, with the last day (the
 * sign-in and lock screens name it).
 * (`offline_sign_ins_ending`)
 */
export function offlineSignInsEnding(): Promise<Array<OfflineSignInEnding>> {
  return call<Array<OfflineSignInEnding>>('offline_sign_ins_ending');
}

/**
 * 锁屏 now (idle, or the clerk asked): every window-work command is refused until someone signs
 * in again (the same clerk, or another one taking over); the open case stays as it was. Nobody
 * signed in: nothing happens (the answer says `locked: false`).
 * (`lock_screen`)
 */
export function lockScreen(): Promise<DeskStatus> {
  return call<DeskStatus>('lock_screen');
}

/**
 * Sign out; the open case stays.
 * (`logout_user`)
 */
export function logoutUser(): Promise<DeskStatus> {
  return call<DeskStatus>('logout_user');
}

/**
 * Download one stream again (catalog, calendar, queue configuration or results) without touching cases or the outbox.
 * (`reset_stream`)
 */
export function resetStream(stream: string): Promise<DeskStatus> {
  return call<DeskStatus>('reset_stream', { stream });
}

/**
 * The window's queue: where this desk sits, the ticket it called, how many wait, why calling is not possible.
 * (`queue_status`)
 */
export function queueStatus(): Promise<QueueView> {
  return call<QueueView>('queue_status');
}

/**
 * 叫号: the current ticket is done, the next is called and announced.
 * (`queue_call_next`)
 */
export function queueCallNext(): Promise<QueueView> {
  return call<QueueView>('queue_call_next');
}

/**
 * 重呼 (at most 3), 到号 (the applicant is at the window) or 过号 (did not come).
 * (`queue_step`)
 */
export function queueStep(action: string): Promise<QueueView> {
  return call<QueueView>('queue_step', { action });
}

/**
 * 转移 the current ticket to another window or another domain; it keeps its issue time.
 * (`queue_transfer`)
 */
export function queueTransfer(toWindow: number | null, toDomain: string | null): Promise<QueueView> {
  return call<QueueView>('queue_transfer', { toWindow, toDomain });
}

/**
 * 暂停 / 恢复 the window.
 * (`queue_set_window`)
 */
export function queueSetWindow(state: string): Promise<QueueView> {
  return call<QueueView>('queue_set_window', { state });
}

/**
 * 现场取号: a ticket of `domain` (one this window serves) for someone at the window, served at once.
 * (`queue_walk_in`)
 */
export function queueWalkIn(domain: string): Promise<QueueView> {
  return call<QueueView>('queue_walk_in', { domain });
}

/**
 * The applicant-facing screen: the masked case on the clerk's screen, or the rating when invited.
 * (`applicant_screen`)
 */
export function applicantScreen(): Promise<ApplicantScreenView> {
  return call<ApplicantScreenView>('applicant_screen');
}

/**
 * The applicant rates the service (5 非常满意 … 1 非常不满意; 1 and 2 need reasons).
 * (`applicant_rate`)
 */
export function applicantRate(level: number, reasons: Array<string>, comment: string): Promise<ApplicantScreenView> {
  return call<ApplicantScreenView>('applicant_rate', { level, reasons, comment });
}

/**
 * The clerk invites the applicant to rate the service on their screen.
 * (`invite_rating`)
 */
export function inviteRating(): Promise<Flash> {
  return call<Flash>('invite_rating');
}

/**
 * The hall display's board now: the latest calls and a tile per window.
 * (`hall_board`)
 */
export function hallBoard(): Promise<HallBoardView> {
  return call<HallBoardView>('hall_board');
}
