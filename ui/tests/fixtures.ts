// Test data shaped exactly like the Rust DTOs (crates/app/src/dto.rs).

import type {
  ApplicantScreenView,
  BundleRef,
  BundleView,
  CaseSummary,
  CaseView,
  DeskStatus,
  DomainView,
  FileView,
  FollowUpView,
  HallBoardView,
  HallCallView,
  HallWindowView,
  ItemGuide,
  PushStatus,
  QueueView,
  RejectedOpView,
  SearchResponse,
  TicketView,
  UserView,
  WaitingScanView,
  WindowInfo,
} from '../src/ipc';

/** Sync health of a desk that has not been enrolled yet (as the e2e desks run): nothing waiting. */
export function pushStatus(over: Partial<PushStatus> = {}): PushStatus {
  return {
    enrolled: false,
    desk_code: 'A03',
    desk_name: null,
    pending_ops: 0,
    pending_bytes: 0,
    oldest_pending_at: null,
    rejected: 0,
    last_push_at: null,
    problem: null,
    held_for_hub: 0,
    streams: [],
    ...over,
  };
}

/** An enrolled desk. */
export function enrolledPush(over: Partial<PushStatus> = {}): PushStatus {
  return pushStatus({ enrolled: true, desk_code: 'RC01', desk_name: '荣成市政务服务中心 综合受理 1 号窗口', ...over });
}

/** A clerk signed in at the desk. */
export function userView(over: Partial<UserView> = {}): UserView {
  return { name: '王丽', role: 'clerk', role_label: '窗口人员', offline: false, ...over };
}

export function onlineStatus(over: Partial<DeskStatus> = {}): DeskStatus {
  return {
    connectivity: 'online',
    hub_url: 'http://127.0.0.1:8787',
    last_error: null,
    last_pull_at: null,
    catalog_version_id: 3,
    catalog_version_label: '2026.04-fixture.1',
    item_count: 40,
    syncing: false,
    cache_problem: null,
    push: pushStatus(),
    user: null,
    locked: false,
    sign_in_required: false,
    idle_lock_minutes: 10,
    queue_window: null,
    low_disk: null,
    waiting_scans: 0,
    release: '0.1.0',
    update_published: null,
    update_required: null,
    centre_name: null,
    due: null,
    refusals: null,
    ...over,
  };
}

export const domains: DomainView[] = [
  { code: 'market', name: '市场监管', item_count: 12 },
  { code: 'social', name: '社会保障', item_count: 9 },
];

export const bundles: BundleRef[] = [
  { code: 'B-KDYH', name: '开办餐饮店一件事' },
  { code: 'B-CSDJ', name: '新生儿出生一件事' },
];

export const searchGtgsh: SearchResponse = {
  total: 3,
  hits: [
    {
      code: '370100-GT-001',
      name: '个体工商户登记',
      level: 'main',
      level_label: '主项',
      domain_code: 'market',
      domain_name: '市场监管',
      is_leaf: false,
      match_kind: 'initials',
      parent_name: null,
      accepted_here: true,
      accepted_at: [],
    },
    {
      code: '370100-GT-001-01',
      name: '个体工商户设立登记',
      level: 'handling',
      level_label: '办理项',
      domain_code: 'market',
      domain_name: '市场监管',
      is_leaf: true,
      match_kind: 'initials',
      parent_name: '个体工商户登记',
      accepted_here: true,
      accepted_at: [],
    },
    {
      code: '370100-GT-001-02',
      name: '个体工商户变更登记',
      level: 'handling',
      level_label: '办理项',
      domain_code: 'market',
      domain_name: '市场监管',
      is_leaf: true,
      match_kind: 'initials',
      parent_name: '个体工商户登记',
      accepted_here: true,
      accepted_at: [],
    },
  ],
};

export const guideSetup: ItemGuide = {
  accepted_here: true,
  accepted_at: [],
  code: '370100-GT-001-01',
  name: '个体工商户设立登记',
  level: 'handling',
  level_label: '办理项',
  is_leaf: true,
  domain_code: 'market',
  domain_name: '市场监管',
  item_type: '行政许可',
  agency: '荣成市市场监督管理局',
  legal_basis: '《促进个体工商户发展条例》第八条',
  promised_days: 0,
  promised_label: '即办',
  statutory_days: 15,
  statutory_label: '15 个工作日',
  time_note: '材料齐全、符合法定形式的当场办结',
  fee_charged: false,
  fee_standard: '不收费',
  fee_basis: null,
  place: '市政务服务中心二楼市场监管窗口',
  phone: '0631-7561234',
  guide_plain: '开个体店，带上身份证和经营场所证明，到窗口当场领执照。',
  provenance: '测试数据，依据公开办事指南整理。',
  ancestors: [
    { code: '370100-GT-001', name: '个体工商户登记', level: 'main', level_label: '主项', is_leaf: false },
  ],
  children: [],
  scenarios: [
    {
      code: 'S1',
      name: '本人办理',
      materials: [
        {
          name: '经营者身份证明',
          form: '验原件收复印件',
          copies: 1,
          necessity: '必要',
          e_licence: '居民身份证',
          pledge_allowed: false,
          note: null,
        },
        {
          name: '经营场所使用证明',
          form: '收原件',
          copies: 1,
          necessity: '容缺',
          e_licence: null,
          pledge_allowed: true,
          note: '租赁合同或产权证明',
        },
      ],
      fields: [
        {
          key: 'operator_id',
          label: '经营者身份证号',
          field_type: 'id_number',
          type_label: '身份证号',
          required: true,
          choices: [],
        },
        {
          key: 'form',
          label: '组成形式',
          field_type: 'choice',
          type_label: '选项',
          required: true,
          choices: ['个人经营', '家庭经营'],
        },
      ],
    },
    {
      code: 'S2',
      name: '委托代理人办理',
      materials: [
        {
          name: '委托书',
          form: '收原件',
          copies: 1,
          necessity: '必要',
          e_licence: null,
          pledge_allowed: false,
          note: null,
        },
        {
          name: '代理人身份证明',
          form: '验原件收复印件',
          copies: 1,
          necessity: '必要',
          e_licence: '居民身份证',
          pledge_allowed: false,
          note: null,
        },
        {
          name: '经营者身份证明复印件',
          form: '收原件及复印件',
          copies: 2,
          necessity: '非必要',
          e_licence: null,
          pledge_allowed: false,
          note: null,
        },
      ],
      fields: [],
    },
  ],
  bundles: [{ code: 'B-KDYH', name: '开办餐饮店一件事' }],
};

export const guideMain: ItemGuide = {
  ...guideSetup,
  code: '370100-GT-001',
  name: '个体工商户登记',
  level: 'main',
  level_label: '主项',
  is_leaf: false,
  ancestors: [],
  children: [
    { code: '370100-GT-001-01', name: '个体工商户设立登记', level: 'handling', level_label: '办理项', is_leaf: true },
    { code: '370100-GT-001-02', name: '个体工商户变更登记', level: 'handling', level_label: '办理项', is_leaf: true },
  ],
  scenarios: [],
  bundles: [],
};

export const bundleKdyh: BundleView = {
  code: 'B-KDYH',
  name: '开办餐饮店一件事',
  lead_agency: '荣成市行政审批服务局',
  promised_days: 5,
  promised_label: '5 个工作日',
  note: '一次告知、一表申请、一窗受理。',
  members: [
    {
      code: '370100-GT-001-01',
      name: '个体工商户设立登记',
      present: true,
      domain_name: '市场监管',
      agency: '荣成市市场监督管理局',
      promised_days: 0,
    },
    {
      code: '370100-SP-009',
      name: '食品经营许可（本地目录暂无此事项）',
      present: false,
      domain_name: null,
      agency: null,
      promised_days: null,
    },
  ],
};

// ---- cases at the window

export const windowInfoFixture: WindowInfo = {
  desk_code: 'A03',
  clerk: '王丽',
  hot_folder: '/home/clerk/扫描',
  printer: '打印到文件夹 /home/clerk/打印',
  card_reader: '/home/clerk/读卡器',
  today: '2026-04-02',
  waiting_scans: 0,
};

export function fileView(n: number, over: Partial<FileView> = {}): FileView {
  return {
    sha256: String(n).repeat(64).slice(0, 64),
    name: `扫描${n}.jpg`,
    kind: 'jpeg',
    size_label: '120 KB',
    pages: null,
    thumbnail: 'data:image/png;base64,iVBORw0KGgo=',
    ...over,
  };
}

/** A scan that belongs to no case yet (待分配扫描件), taken while no case was open. */
export function waitingScan(n: number, over: Partial<WaitingScanView> = {}): WaitingScanView {
  return {
    id: n,
    name: `scan-${n}.jpg`,
    arrived: '2026-04-02 09:1' + (n % 10),
    why: 'no_case',
    why_label: '到达时没有打开的办件',
    size_label: '98 KB',
    pages: null,
    thumbnail: 'data:image/png;base64,iVBORw0KGgo=',
    ...over,
  };
}

/** A draft case of 个体工商户设立登记 (本人办理): one material missing, one 容缺, one scan in the tray. */
export function caseView(over: Partial<CaseView> = {}): CaseView {
  return {
    helper_choices: [],
    id: 'case-1',
    number: 'RC-20260402-0001',
    state: 'draft',
    state_label: '受理中',
    editable: true,
    is_bundle: false,
    code: '370100-GT-001-01',
    title: '个体工商户设立登记',
    agency: '荣成市市场监督管理局',
    promised_label: '即办',
    scenario_code: 'S1',
    scenarios: [
      { code: 'S1', name: '本人办理' },
      { code: 'S2', name: '委托代理人办理' },
    ],
    members: [],
    applicant: {
      kind: 'person',
      name: '',
      number: '',
      phone: '',
      address: '',
      legal_rep: '',
      agent_name: '',
      agent_id_number: '',
      agent_phone: '',
      assist_helper: '',
      assist_note: '',
    },
    applicant_masked: '',
    card: null,
    fields: [
      {
        key: 'operator_id',
        label: '经营者身份证号',
        field_type: 'id_number',
        required: true,
        choices: [],
        value: '',
        produced_by: null,
      },
      {
        key: 'form',
        label: '组成形式',
        field_type: 'choice',
        required: true,
        choices: ['个人经营', '家庭经营'],
        value: '',
        produced_by: null,
      },
    ],
    materials: [
      {
        slot: 0,
        name: '经营者身份证明',
        form_label: '验原件收复印件',
        copies: 1,
        necessity_label: '必要',
        e_licence: '居民身份证',
        pledge_allowed: false,
        pledged: false,
        status: 'missing',
        status_label: '缺',
        produced_by: null,
        files: [],
      },
      {
        slot: 1,
        name: '经营场所使用证明',
        form_label: '收原件',
        copies: 1,
        necessity_label: '容缺',
        e_licence: null,
        pledge_allowed: true,
        pledged: false,
        status: 'deferred',
        status_label: '容缺',
        produced_by: null,
        files: [],
      },
    ],
    tray: [fileView(1)],
    scan_target: true,
    selected_slot: null,
    review: {
      findings: [
        {
          key: 'material_missing:0',
          code: 'material_missing',
          severity: 'blocking',
          target: '经营者身份证明',
          message: '缺少材料「经营者身份证明」',
          overridden: null,
        },
        {
          key: 'material_deferred:1',
          code: 'material_deferred',
          severity: 'deferrable',
          target: '经营场所使用证明',
          message: '「经营场所使用证明」容缺，受理后补交',
          overridden: null,
        },
      ],
      can_accept: false,
      blocking: 1,
      deferred: 1,
    },
    elicence: { state: 'not_looked_up', message: '登记申请人证件号码后自动查询电子证照', licences: [] },
    follow_ups: [],
    documents: [],
    events: [
      {
        at: '2026-04-02T01:00:00Z',
        action_label: '创建办件',
        state_label: '受理中',
        actor: '王丽',
        desk: 'A03',
        reason: null,
      },
    ],
    quarantined: [],
    held_scans: [],
    waiting_scans: [],
    promised_date: '2026-04-02',
    calendar_note: null,
    revision: 5,
    flash: null,
    ...over,
  };
}

export const recentCaseRows: CaseSummary[] = [
  {
    id: 'case-2',
    number: 'RC-20260402-0002',
    title: '开办餐饮店一件事',
    state_label: '已受理',
    applicant_name: '李四',
    created_at: '2026-04-02T02:00:00Z',
  },
  {
    id: 'case-1',
    number: 'RC-20260402-0001',
    title: '个体工商户设立登记',
    state_label: '受理中',
    applicant_name: '张三',
    created_at: '2026-04-02T01:00:00Z',
  },
];

export function followUp(over: Partial<FollowUpView> = {}): FollowUpView {
  return {
    id: 7,
    case_id: 'case-2',
    case_number: 'RC-20260402-0002',
    item_name: '开办餐饮店一件事',
    kind: 'deferred_material',
    kind_label: '容缺补交',
    material: '经营场所使用证明',
    due: '2026-04-09',
    overdue: false,
    done_at: null,
    done_by: null,
    done_note: null,
    ...over,
  };
}

export function rejectedOp(over: Partial<RejectedOpView> = {}): RejectedOpView {
  return {
    op_id: 'op-1',
    kind_label: '办件流转',
    case_number: 'RC01-20261127-0001',
    reason: '事项编码在中心目录中不存在',
    at: '2026-04-02T02:30:00Z',
    ...over,
  };
}

// ---- calling at the window (demo/queue.json: this desk sits at window 3, 市场监管)

export function ticketView(over: Partial<TicketView> = {}): TicketView {
  return {
    number: 'B007',
    domain: 'SCJG',
    domain_name: '市场监管',
    state: 'called',
    state_label: '已叫号',
    recalls: 0,
    priority_label: null,
    ...over,
  };
}

export function queueView(over: Partial<QueueView> = {}): QueueView {
  return {
    window: 3,
    window_name: '3 号窗口（市场监管）',
    window_state: 'open',
    current: null,
    waiting: 4,
    offline: false,
    reason: null,
    announce_error: null,
    window_domains: [{ code: 'SCJG', label: '市场监管' }],
    transfer_windows: [
      { code: '1', label: '1 号窗口（综合受理）' },
      { code: '4', label: '4 号窗口（社保医保）' },
    ],
    transfer_domains: [
      { code: 'SCJG', label: '市场监管（B）' },
      { code: 'SBYB', label: '社保医保（C）' },
    ],
    flash: null,
    ...over,
  };
}

/** Window 1 (综合受理) serves two businesses: 现场取号 asks which. */
export function queueViewWindow1(over: Partial<QueueView> = {}): QueueView {
  return queueView({
    window: 1,
    window_name: '1 号窗口（综合受理）',
    window_domains: [
      { code: 'ZHSL', label: '综合受理' },
      { code: 'GAHZ', label: '公安户政' },
    ],
    transfer_windows: [
      { code: '3', label: '3 号窗口（市场监管）' },
      { code: '4', label: '4 号窗口（社保医保）' },
    ],
    ...over,
  });
}

/** What the desk answers before enrolment (the e2e desks and most tests). */
export const queueNotEnrolled: QueueView = queueView({
  window: null,
  window_name: null,
  window_state: null,
  waiting: 0,
  reason: '本窗口尚未在中心注册（F10），不能叫号',
  window_domains: [],
  transfer_windows: [],
  transfer_domains: [],
});

/** The applicant's screen at window 3 while B007 is served: the open case, masked (mode `case`). */
export function applicantScreenView(over: Partial<ApplicantScreenView> = {}): ApplicantScreenView {
  return {
    mode: 'case',
    window_name: '3 号窗口（市场监管）',
    ticket: 'B007',
    case: {
      number: 'RC-20260402-0001',
      title: '个体工商户设立登记',
      applicant: '张三 3701**********1234',
      promised_label: '即办',
      materials: [
        { name: '经营者身份证明', status: 'provided', status_label: '已收' },
        { name: '经营场所使用证明', status: 'missing', status_label: '缺' },
        { name: '营业执照正本', status: 'deferred', status_label: '容缺' },
        { name: '名称预先核准通知书', status: 'e_licence', status_label: '免提交（电子证照）' },
      ],
    },
    levels: [
      { level: 5, label: '非常满意', needs_reason: false },
      { level: 4, label: '满意', needs_reason: false },
      { level: 3, label: '基本满意', needs_reason: false },
      { level: 2, label: '不满意', needs_reason: true },
      { level: 1, label: '非常不满意', needs_reason: true },
    ],
    bad_reasons: [
      '服务态度不好',
      '办事效率低、等候时间长',
      '一次性告知不清楚',
      '要求提交不必要的材料',
      '多次跑腿仍未办成',
      '窗口人员业务不熟练',
      '环境设施不便',
    ],
    ...over,
  };
}

// ---- the hall display (叫号屏; demo/queue.json's windows)

export function hallCall(over: Partial<HallCallView> = {}): HallCallView {
  return {
    key: '101',
    number: 'B007',
    window: 3,
    window_name: '3 号窗口（市场监管）',
    recall: false,
    ...over,
  };
}

export function hallWindow(over: Partial<HallWindowView> = {}): HallWindowView {
  return { number: 3, name: '3 号窗口（市场监管）', state: 'open', current: 'B007', ...over };
}

/** The hub's board: B007 just called at window 3, A012 before it at window 1; window 2 paused, 4 closed. */
export function hallBoardView(over: Partial<HallBoardView> = {}): HallBoardView {
  return {
    calls: [
      hallCall(),
      hallCall({ key: '100', number: 'A012', window: 1, window_name: '1 号窗口（综合受理）' }),
      hallCall({ key: '99', number: 'C003', window: 4, window_name: '4 号窗口（社保医保）', recall: true }),
    ],
    windows: [
      hallWindow({ number: 1, name: '1 号窗口（综合受理）', current: 'A012' }),
      hallWindow({ number: 2, name: '2 号窗口（综合受理）', state: 'paused', current: null }),
      hallWindow(),
      hallWindow({ number: 4, name: '4 号窗口（社保医保）', state: 'closed', current: null }),
    ],
    online: true,
    office: '历下区政务服务中心',
    ...over,
  };
}
