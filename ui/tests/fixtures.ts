// Test data shaped exactly like the Rust DTOs (crates/app/src/dto.rs).

import type {
  BundleRef,
  BundleView,
  DeskStatus,
  DomainView,
  ItemGuide,
  SearchResponse,
} from '../src/ipc';

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
    },
  ],
};

export const guideSetup: ItemGuide = {
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
