//! The catalog service, 查找事项: the in-memory snapshot of the cached catalog (its search
//! index and what hits need to be shown, rebuilt after each catalog change), the catalog
//! stream's state for the status bar, and what the window reads from them: search, the
//! domains and 一件事 lists, and the guide of one item or bundle.

use crate::error::ErrorCode;
use std::collections::HashMap;
use std::sync::Arc;

use onewindow_domain::{CatalogIndex, ItemLevel, SearchDoc, SearchQuery, ServiceItem};
use onewindow_store::catalog::CATALOG;
use onewindow_store::{Store, StoreError, StreamState};

use crate::cache::Cache;
use crate::dto::{self, AppError};
use crate::locks::{DeskMutex, DeskRwLock, Rank, Relock};

/// The search index and what hits need to be shown, rebuilt after each catalog change.
#[derive(Default)]
pub(crate) struct Snapshot {
    pub(crate) version_id: Option<i64>,
    pub(crate) index: CatalogIndex,
    pub(crate) docs: Vec<SearchDoc>,
    pub(crate) by_code: HashMap<String, usize>,
    pub(crate) domain_names: HashMap<String, String>,
    /// The desk's centre and what it accepts (everything until the hub first sent it).
    pub(crate) scope: onewindow_domain::centre::CentreScope,
}

impl Snapshot {
    /// Whether this desk's centre accepts `item`, and if not, the names of the centres that
    /// do, nearest first.
    pub(crate) fn where_accepted(&self, item: &str) -> (bool, Vec<String>) {
        if self.scope.accepts(item) {
            (true, Vec::new())
        } else {
            (
                false,
                self.scope
                    .elsewhere(item)
                    .iter()
                    .map(|c| c.name.clone())
                    .collect(),
            )
        }
    }

    fn load(store: &Store) -> Result<Snapshot, StoreError> {
        let docs = store.search_docs()?;
        let index = CatalogIndex::build(docs.iter().cloned());
        let by_code = docs
            .iter()
            .enumerate()
            .map(|(i, d)| (d.code.clone(), i))
            .collect();
        let domain_names = store
            .domains()?
            .into_iter()
            .map(|d| (d.code, d.name))
            .collect();
        Ok(Snapshot {
            scope: store.centre_scope()?.unwrap_or_default(),
            version_id: store.stream_state(CATALOG)?.version_id,
            index,
            docs,
            by_code,
            domain_names,
        })
    }
}

pub(crate) struct Catalog {
    cache: Arc<Cache>,
    snapshot: DeskRwLock<Arc<Snapshot>>,
    /// The catalog stream as last stored, so the status bar never waits on the store.
    state: DeskMutex<StreamState>,
}

impl Catalog {
    /// The catalog of the open cache; an empty one without a cache. A cache whose catalog
    /// cannot be read is refused as if it could not be opened.
    pub(crate) fn load(cache: Arc<Cache>) -> Catalog {
        let catalog = Catalog {
            cache,
            snapshot: DeskRwLock::new(Rank::Snapshot, Arc::new(Snapshot::default())),
            state: DeskMutex::new(Rank::CatalogState, StreamState::default()),
        };
        if let Ok(store) = catalog.cache.store() {
            let read = {
                let s = store.relock();
                Snapshot::load(&s).and_then(|snap| Ok((snap, s.stream_state(CATALOG)?)))
            };
            match read {
                Ok((snap, state)) => {
                    tracing::info!(path = %catalog.cache.path().display(), items = snap.docs.len(), "cache opened");
                    *catalog.state.relock() = state;
                    *catalog.snapshot.write_now() = Arc::new(snap);
                }
                // Refused with the store's lock let go (the slot ranks before it).
                Err(e) => catalog.cache.refuse(&e),
            }
        }
        catalog
    }

    pub(crate) fn snapshot(&self) -> Arc<Snapshot> {
        self.snapshot.read_now().clone()
    }

    /// The catalog stream as last stored.
    pub(crate) fn state(&self) -> StreamState {
        self.state.relock().clone()
    }

    /// A pull stored `state` (and maybe a new centre scope): the snapshot is rebuilt when
    /// either changed. Returns whether it was.
    pub(crate) fn pulled(&self, state: StreamState, scope_changed: bool) -> Result<bool, AppError> {
        let changed = state.version_id != self.snapshot().version_id || scope_changed;
        *self.state.relock() = state;
        if changed {
            self.reload_snapshot()?;
        }
        Ok(changed)
    }

    /// After a catalog reset or a new cache: what the window searches is what the cache holds.
    pub(crate) fn reload(&self) -> Result<(), AppError> {
        *self.state.relock() = self.cache.with_store(|s| s.stream_state(CATALOG))?;
        self.reload_snapshot()
    }

    fn reload_snapshot(&self) -> Result<(), AppError> {
        let snap = self.cache.with_store(Snapshot::load)?;
        tracing::info!(items = snap.docs.len(), version = ?snap.version_id, "catalog index rebuilt");
        *self.snapshot.write_now() = Arc::new(snap);
        Ok(())
    }
}

/// Search results when the UI asks for no particular number, and the most it may ask for.
const DEFAULT_LIMIT: u32 = 50;
const MAX_LIMIT: u32 = 500;

fn level_dto(l: ItemLevel) -> dto::ItemLevel {
    match l {
        ItemLevel::Main => dto::ItemLevel::Main,
        ItemLevel::Sub => dto::ItemLevel::Sub,
        ItemLevel::Handling => dto::ItemLevel::Handling,
    }
}

fn days_label(days: u32) -> String {
    if days == 0 {
        "即办".into()
    } else {
        format!("{days} 个工作日")
    }
}

impl Catalog {
    pub fn search(&self, req: &dto::SearchRequest) -> Result<dto::SearchResponse, AppError> {
        // The index is built from the cache: without one there is nothing true to show.
        self.cache.store()?;
        let snap = self.snapshot();
        let limit = req.limit.unwrap_or(DEFAULT_LIMIT).clamp(1, MAX_LIMIT);
        let domain = req.domain.as_deref().filter(|d| !d.is_empty());
        let results = snap.index.search(&SearchQuery {
            text: &req.text,
            domain,
            limit: limit as usize,
        });
        let hits = results
            .hits
            .iter()
            .map(|h| {
                let d = &snap.docs[h.doc];
                // A container is applied for through its leaves: only those are marked.
                let (accepted_here, accepted_at) = if h.is_leaf {
                    snap.where_accepted(&d.code)
                } else {
                    (true, Vec::new())
                };
                dto::SearchHit {
                    accepted_here,
                    accepted_at,
                    code: d.code.clone(),
                    name: d.name.clone(),
                    level: level_dto(d.level),
                    level_label: d.level.label().to_string(),
                    domain_code: d.domain.clone(),
                    domain_name: snap
                        .domain_names
                        .get(&d.domain)
                        .cloned()
                        .unwrap_or_else(|| d.domain.clone()),
                    is_leaf: h.is_leaf,
                    match_kind: match h.kind {
                        onewindow_domain::MatchKind::Exact => dto::MatchKind::Exact,
                        onewindow_domain::MatchKind::Prefix => dto::MatchKind::Prefix,
                        onewindow_domain::MatchKind::Initials => dto::MatchKind::Initials,
                        onewindow_domain::MatchKind::Substring => dto::MatchKind::Substring,
                    },
                    parent_name: d
                        .parent
                        .as_ref()
                        .and_then(|p| snap.by_code.get(p))
                        .map(|&i| snap.docs[i].name.clone()),
                }
            })
            .collect();
        Ok(dto::SearchResponse {
            hits,
            total: results.total as u32,
        })
    }

    pub fn list_domains(&self) -> Result<Vec<dto::DomainView>, AppError> {
        let snap = self.snapshot();
        let mut counts: HashMap<&str, u32> = HashMap::new();
        for d in &snap.docs {
            *counts.entry(d.domain.as_str()).or_default() += 1;
        }
        let domains = self.cache.with_store(|s| s.domains())?;
        Ok(domains
            .into_iter()
            .map(|d| dto::DomainView {
                item_count: counts.get(d.code.as_str()).copied().unwrap_or(0),
                code: d.code,
                name: d.name,
            })
            .collect())
    }

    pub fn list_bundles(&self) -> Result<Vec<dto::BundleRef>, AppError> {
        Ok(self
            .cache
            .with_store(|s| s.bundles())?
            .into_iter()
            .map(|b| dto::BundleRef {
                code: b.code,
                name: b.name,
            })
            .collect())
    }

    fn item_ref(r: onewindow_store::ItemRef) -> dto::ItemRef {
        dto::ItemRef {
            level: level_dto(r.level),
            level_label: r.level.label().to_string(),
            is_leaf: r.is_leaf,
            code: r.code,
            name: r.name,
        }
    }

    pub fn item_guide(&self, code: &str) -> Result<dto::ItemGuide, AppError> {
        let snap = self.snapshot();
        let (item, ancestors, children, bundles) = self
            .cache
            .with_store(|s| {
                let Some(item) = s.item(code)? else {
                    return Ok(None);
                };
                let ancestors = s.ancestors(&item)?;
                let children = s.children(code)?;
                let bundles = s.bundles_containing(code)?;
                Ok(Some((item, ancestors, children, bundles)))
            })?
            .ok_or_else(|| AppError {
                code: ErrorCode::ItemNotFound,
                message: format!(
                    "本地目录中没有编码为 {code} 的事项，可能已被中心撤销；请刷新后重新查找"
                ),
            })?;
        let ServiceItem {
            code,
            name,
            level,
            domain,
            item_type,
            agency,
            legal_basis,
            promised_days,
            statutory_days,
            time_note,
            fee,
            place,
            phone,
            guide_plain,
            provenance,
            scenarios,
            parent: _,
            levels: _,
            deferred_due_working_days: _,
            pledge_check_working_days: _,
        } = item;
        let (accepted_here, accepted_at) = if children.is_empty() {
            snap.where_accepted(&code)
        } else {
            (true, Vec::new())
        };
        Ok(dto::ItemGuide {
            accepted_here,
            accepted_at,
            level: level_dto(level),
            level_label: level.label().to_string(),
            is_leaf: children.is_empty(),
            domain_name: snap
                .domain_names
                .get(&domain)
                .cloned()
                .unwrap_or_else(|| domain.clone()),
            domain_code: domain,
            item_type,
            agency,
            legal_basis,
            promised_days,
            promised_label: days_label(promised_days),
            statutory_days,
            statutory_label: statutory_days.map_or("无法定时限".into(), |d| {
                if d == 0 {
                    "当场办结".into()
                } else {
                    format!("{d} 个工作日")
                }
            }),
            time_note,
            fee_charged: fee.charged,
            fee_standard: fee.standard,
            fee_basis: fee.basis,
            place,
            phone,
            guide_plain,
            provenance,
            ancestors: ancestors.into_iter().map(Self::item_ref).collect(),
            children: children.into_iter().map(Self::item_ref).collect(),
            scenarios: scenarios
                .into_iter()
                .map(|sc| dto::ScenarioView {
                    code: sc.code,
                    name: sc.name,
                    materials: sc
                        .materials
                        .into_iter()
                        .map(|m| dto::MaterialView {
                            name: m.name,
                            form: m.form.label().to_string(),
                            copies: m.copies,
                            necessity: m.necessity.label().to_string(),
                            e_licence: m.e_licence,
                            pledge_allowed: m.pledge_allowed,
                            note: m.note,
                        })
                        .collect(),
                    fields: sc
                        .fields
                        .into_iter()
                        .map(|f| dto::FieldView {
                            key: f.key,
                            label: f.label,
                            field_type: f.field_type,
                            type_label: f.field_type.label().to_string(),
                            required: f.required,
                            choices: f.choices,
                        })
                        .collect(),
                })
                .collect(),
            bundles: bundles
                .into_iter()
                .map(|b| dto::BundleRef {
                    code: b.code,
                    name: b.name,
                })
                .collect(),
            code,
            name,
        })
    }

    pub fn bundle_view(&self, code: &str) -> Result<dto::BundleView, AppError> {
        let snap = self.snapshot();
        let (bundle, members) = self
            .cache
            .with_store(|s| {
                let Some(b) = s.bundle(code)? else {
                    return Ok(None);
                };
                let members = b
                    .items
                    .iter()
                    .map(|c| s.item(c).map(|it| (c.clone(), it)))
                    .collect::<Result<Vec<_>, _>>()?;
                Ok(Some((b, members)))
            })?
            .ok_or_else(|| AppError {
                code: ErrorCode::BundleNotFound,
                message: format!("本地目录中没有编码为 {code} 的一件事"),
            })?;
        Ok(dto::BundleView {
            promised_label: days_label(bundle.promised_days),
            code: bundle.code,
            name: bundle.name,
            lead_agency: bundle.lead_agency,
            promised_days: bundle.promised_days,
            note: bundle.note,
            members: members
                .into_iter()
                .map(|(code, item)| match item {
                    Some(it) => dto::BundleMember {
                        code,
                        name: it.name,
                        present: true,
                        domain_name: snap.domain_names.get(&it.domain).cloned(),
                        agency: Some(it.agency),
                        promised_days: Some(it.promised_days),
                    },
                    None => dto::BundleMember {
                        code,
                        name: "（本地目录中暂无此事项）".into(),
                        present: false,
                        domain_name: None,
                        agency: None,
                        promised_days: None,
                    },
                })
                .collect(),
        })
    }
}
