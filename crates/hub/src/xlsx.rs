//! Reads a catalog kept as an office's workbook (sheets 事项, 材料, 字段, 一件事; the layout of
//! `demo/catalog-sample.xlsx`). Columns are found by their header text, so their order may
//! change. Every bad cell is reported with its sheet, row and column; nothing is half-read.

use std::collections::{BTreeMap, HashMap};
use std::io::Cursor;

use calamine::{Data, Range, Reader, Xlsx};
use onewindow_domain::catalog::IssueLocator;
use onewindow_domain::{
    Bundle, Catalog, Domain, FieldDef, FieldType, ImportIssue, ItemLevel, MaterialForm,
    MaterialRequirement, Necessity, Scenario, ServiceItem,
};

const ITEMS: &str = "事项";
const MATERIALS: &str = "材料";
const FIELDS: &str = "字段";
const BUNDLES: &str = "一件事";

fn column_letter(mut idx: usize) -> String {
    let mut s = Vec::new();
    loop {
        s.push(b'A' + (idx % 26) as u8);
        if idx < 26 {
            break;
        }
        idx = idx / 26 - 1;
    }
    s.reverse();
    String::from_utf8(s).expect("ASCII")
}

/// One sheet with its header map; rows are numbered as Excel shows them.
struct Sheet {
    name: &'static str,
    columns: HashMap<&'static str, usize>,
    rows: Vec<(u32, Vec<Data>)>,
}

struct Row<'a> {
    sheet: &'a Sheet,
    number: u32,
    cells: &'a [Data],
}

impl Row<'_> {
    fn cell(&self, header: &str) -> &Data {
        self.sheet
            .columns
            .get(header)
            .and_then(|&i| self.cells.get(i))
            .unwrap_or(&Data::Empty)
    }

    fn issue(&self, header: &str, reason: String) -> ImportIssue {
        let col = self.sheet.columns.get(header).copied().unwrap_or(0);
        ImportIssue {
            sheet: self.sheet.name.to_string(),
            row: Some(self.number),
            column: Some(format!("{}（{header}）", column_letter(col))),
            reason,
        }
    }

    /// Text of a cell; numbers are written without a trailing `.0` (codes typed as numbers).
    fn text(&self, header: &str) -> Option<String> {
        match self.cell(header) {
            Data::Empty => None,
            Data::String(s) => {
                let t = s.trim();
                (!t.is_empty()).then(|| t.to_string())
            }
            Data::Int(i) => Some(i.to_string()),
            Data::Float(f) if f.fract() == 0.0 => Some(format!("{f:.0}")),
            other => Some(other.to_string()),
        }
    }

    /// The columns that place a 材料 or 字段 row: item, scenario code and name, position.
    fn scenario_key(&self, issues: &mut Vec<ImportIssue>) -> (String, String, String, u32) {
        (
            self.required("事项编码", issues),
            self.required("情形编码", issues),
            self.required("情形名称", issues),
            self.uint("序号", issues).unwrap_or(0),
        )
    }

    fn required(&self, header: &str, issues: &mut Vec<ImportIssue>) -> String {
        self.text(header).unwrap_or_else(|| {
            issues.push(self.issue(header, "不能为空".into()));
            String::new()
        })
    }

    fn uint(&self, header: &str, issues: &mut Vec<ImportIssue>) -> Option<u32> {
        let v = match self.cell(header) {
            Data::Empty => return None,
            Data::Int(i) => u32::try_from(*i).ok(),
            Data::Float(f) if f.fract() == 0.0 && *f >= 0.0 && *f <= u32::MAX as f64 => {
                Some(*f as u32)
            }
            Data::String(s) => s.trim().parse::<u32>().ok(),
            _ => None,
        };
        if v.is_none() {
            issues.push(self.issue(
                header,
                format!("应为非负整数，实际为 {:?}", self.cell(header).to_string()),
            ));
        }
        v
    }

    /// A cell that must be one of a fixed set of words (`expected` names them for the clerk).
    fn one_of<T>(
        &self,
        header: &str,
        parse: impl Fn(&str) -> Option<T>,
        expected: &str,
        issues: &mut Vec<ImportIssue>,
    ) -> Option<T> {
        let text = self.text(header);
        let v = text.as_deref().and_then(parse);
        if v.is_none() {
            issues.push(self.issue(
                header,
                format!("应为 {expected}，实际为 {:?}", text.unwrap_or_default()),
            ));
        }
        v
    }

    fn yes_no(&self, header: &str, issues: &mut Vec<ImportIssue>) -> bool {
        match self.text(header).as_deref() {
            Some("是") => true,
            Some("否") => false,
            Some(other) => {
                issues.push(self.issue(header, format!("应为 是 或 否，实际为 {other:?}")));
                false
            }
            None => {
                issues.push(self.issue(header, "应为 是 或 否，不能为空".into()));
                false
            }
        }
    }
}

fn read_sheet(
    book: &mut Xlsx<Cursor<Vec<u8>>>,
    name: &'static str,
    headers: &[&'static str],
    issues: &mut Vec<ImportIssue>,
) -> Option<Sheet> {
    let range: Range<Data> = match book.worksheet_range(name) {
        Ok(r) => r,
        Err(e) => {
            issues.push(ImportIssue {
                sheet: name.to_string(),
                row: None,
                column: None,
                reason: format!("缺少工作表 {name}，或无法读取: {e}"),
            });
            return None;
        }
    };
    let first_row = range.start().map_or(0, |(r, _)| r);
    let first_col = range.start().map_or(0, |(_, c)| c) as usize;
    let mut rows = range.rows();
    let header_row: Vec<String> = rows
        .next()
        .map(|r| r.iter().map(|c| c.to_string().trim().to_string()).collect())
        .unwrap_or_default();
    let mut columns = HashMap::new();
    let mut missing = false;
    for h in headers {
        match header_row.iter().position(|x| x == h) {
            Some(i) => {
                columns.insert(*h, first_col + i);
            }
            None => {
                missing = true;
                issues.push(ImportIssue {
                    sheet: name.to_string(),
                    row: Some(first_row + 1),
                    column: None,
                    reason: format!("缺少表头为 {h} 的列"),
                });
            }
        }
    }
    if missing {
        return None;
    }
    let body = rows
        .enumerate()
        .map(|(i, cells)| {
            // Pad so that `columns` (absolute) index into the row.
            let mut v = vec![Data::Empty; first_col];
            v.extend_from_slice(cells);
            (first_row + 2 + i as u32, v)
        })
        .filter(|(_, cells)| cells.iter().any(|c| !matches!(c, Data::Empty)))
        .collect();
    Some(Sheet {
        name,
        columns,
        rows: body,
    })
}

/// Points semantic issues at the workbook rows the entities came from.
struct XlsxLocator {
    item_rows: Vec<u32>,
    bundle_rows: Vec<u32>,
    domain_rows: Vec<u32>,
}

impl IssueLocator for XlsxLocator {
    fn item(&self, index: usize) -> (String, Option<u32>) {
        (ITEMS.into(), self.item_rows.get(index).copied())
    }
    fn bundle(&self, index: usize) -> (String, Option<u32>) {
        (BUNDLES.into(), self.bundle_rows.get(index).copied())
    }
    fn domain(&self, index: usize) -> (String, Option<u32>) {
        (ITEMS.into(), self.domain_rows.get(index).copied())
    }
}

/// Parses the workbook bytes; `version` labels the published catalog version.
pub fn read_catalog(bytes: Vec<u8>, version: &str) -> Result<Catalog, Vec<ImportIssue>> {
    let mut issues = Vec::new();
    let mut book = Xlsx::new(Cursor::new(bytes)).map_err(|e| {
        vec![ImportIssue {
            sheet: "xlsx".into(),
            row: None,
            column: None,
            reason: format!("不是有效的 xlsx 工作簿: {e}"),
        }]
    })?;
    let items_sheet = read_sheet(
        &mut book,
        ITEMS,
        &[
            "事项编码",
            "事项名称",
            "层级",
            "上级事项编码",
            "业务领域编码",
            "业务领域",
            "事项类型",
            "实施主体",
            "设定依据",
            "承诺办结时限（工作日）",
            "法定办结时限（工作日）",
            "时限说明",
            "是否收费",
            "收费标准",
            "收费依据",
            "办理地点",
            "咨询电话",
            "白话版指南",
            "情形数",
            "来源说明",
        ],
        &mut issues,
    );
    let materials_sheet = read_sheet(
        &mut book,
        MATERIALS,
        &[
            "事项编码",
            "情形编码",
            "情形名称",
            "序号",
            "材料名称",
            "材料形式",
            "份数",
            "必要性",
            "可用电子证照",
            "可告知承诺",
            "备注",
        ],
        &mut issues,
    );
    let fields_sheet = read_sheet(
        &mut book,
        FIELDS,
        &[
            "事项编码",
            "情形编码",
            "情形名称",
            "序号",
            "字段键",
            "字段名称",
            "类型",
            "是否必填",
            "可选值（以|分隔）",
        ],
        &mut issues,
    );
    let bundles_sheet = read_sheet(
        &mut book,
        BUNDLES,
        &[
            "一件事编码",
            "一件事名称",
            "牵头部门",
            "承诺办结时限（工作日）",
            "包含事项编码（以；分隔）",
            "说明",
        ],
        &mut issues,
    );
    let (Some(items_sheet), Some(materials_sheet), Some(fields_sheet), Some(bundles_sheet)) =
        (items_sheet, materials_sheet, fields_sheet, bundles_sheet)
    else {
        return Err(issues);
    };

    // Scenarios, keyed by item code, in first-seen order, from both the 材料 and 字段 sheets.
    struct ScenarioRows {
        name: String,
        /// Where the scenario first appears, to point at orphan rows.
        first_at: (&'static str, u32),
        materials: Vec<(u32, MaterialRequirement)>,
        fields: Vec<(u32, FieldDef)>,
    }
    let mut scenarios: HashMap<String, Vec<(String, ScenarioRows)>> = HashMap::new();
    fn scenario_of<'a>(
        all: &'a mut HashMap<String, Vec<(String, ScenarioRows)>>,
        item: String,
        code: String,
        name: String,
        first_at: (&'static str, u32),
    ) -> &'a mut ScenarioRows {
        let list = all.entry(item).or_default();
        let pos = match list.iter().position(|(c, _)| *c == code) {
            Some(p) => p,
            None => {
                list.push((
                    code,
                    ScenarioRows {
                        name,
                        first_at,
                        materials: Vec::new(),
                        fields: Vec::new(),
                    },
                ));
                list.len() - 1
            }
        };
        &mut list[pos].1
    }

    for (number, cells) in &materials_sheet.rows {
        let row = Row {
            sheet: &materials_sheet,
            number: *number,
            cells,
        };
        let (item, sc_code, sc_name, seq) = row.scenario_key(&mut issues);
        let name = row.required("材料名称", &mut issues);
        let form = row
            .one_of(
                "材料形式",
                MaterialForm::from_label,
                "收原件、验原件收复印件 或 收原件及复印件",
                &mut issues,
            )
            .unwrap_or(MaterialForm::Original);
        let copies = row.uint("份数", &mut issues).unwrap_or(0);
        let necessity = row
            .one_of(
                "必要性",
                Necessity::from_label,
                "必要、非必要 或 容缺",
                &mut issues,
            )
            .unwrap_or(Necessity::Required);
        let m = MaterialRequirement {
            name,
            form,
            copies,
            necessity,
            e_licence: row.text("可用电子证照"),
            pledge_allowed: row.yes_no("可告知承诺", &mut issues),
            note: row.text("备注"),
        };
        scenario_of(&mut scenarios, item, sc_code, sc_name, (MATERIALS, *number))
            .materials
            .push((seq, m));
    }

    for (number, cells) in &fields_sheet.rows {
        let row = Row {
            sheet: &fields_sheet,
            number: *number,
            cells,
        };
        let (item, sc_code, sc_name, seq) = row.scenario_key(&mut issues);
        let key = row.required("字段键", &mut issues);
        let label = row.required("字段名称", &mut issues);
        let field_type = row
            .one_of(
                "类型",
                FieldType::parse,
                "id_number、credit_code、phone、text、date、number 或 choice",
                &mut issues,
            )
            .unwrap_or(FieldType::Text);
        let choices = row
            .text("可选值（以|分隔）")
            .map(|s| {
                s.split('|')
                    .map(|c| c.trim().to_string())
                    .filter(|c| !c.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        let f = FieldDef {
            key,
            label,
            field_type,
            required: row.yes_no("是否必填", &mut issues),
            choices,
        };
        scenario_of(&mut scenarios, item, sc_code, sc_name, (FIELDS, *number))
            .fields
            .push((seq, f));
    }

    let mut domains: BTreeMap<String, (String, u32)> = BTreeMap::new();
    let mut items = Vec::new();
    let mut item_rows = Vec::new();
    for (number, cells) in &items_sheet.rows {
        let row = Row {
            sheet: &items_sheet,
            number: *number,
            cells,
        };
        let code = row.required("事项编码", &mut issues);
        let level = row
            .one_of(
                "层级",
                ItemLevel::from_label,
                "主项、子项 或 办理项",
                &mut issues,
            )
            .unwrap_or(ItemLevel::Main);
        let domain = row.required("业务领域编码", &mut issues);
        let domain_name = row.required("业务领域", &mut issues);
        match domains.get(&domain) {
            Some((known, _)) if *known != domain_name => issues.push(row.issue(
                "业务领域",
                format!("业务领域 {domain} 在前面的行中名为 {known}，此处为 {domain_name}"),
            )),
            Some(_) => {}
            None => {
                domains.insert(domain.clone(), (domain_name, *number));
            }
        }
        let scenario_count = row.uint("情形数", &mut issues).unwrap_or(0);
        let mut item_scenarios = Vec::new();
        for (sc_code, mut rows) in scenarios.remove(&code).unwrap_or_default() {
            rows.materials.sort_by_key(|(seq, _)| *seq);
            rows.fields.sort_by_key(|(seq, _)| *seq);
            item_scenarios.push(Scenario {
                code: sc_code,
                name: rows.name,
                materials: rows.materials.into_iter().map(|(_, m)| m).collect(),
                fields: rows.fields.into_iter().map(|(_, f)| f).collect(),
            });
        }
        if item_scenarios.len() != scenario_count as usize {
            issues.push(row.issue(
                "情形数",
                format!(
                    "情形数为 {scenario_count}，但材料和字段表中有 {} 个情形",
                    item_scenarios.len()
                ),
            ));
        }
        items.push(ServiceItem {
            name: row.required("事项名称", &mut issues),
            level,
            parent: row.text("上级事项编码"),
            domain,
            item_type: row.required("事项类型", &mut issues),
            agency: row.required("实施主体", &mut issues),
            legal_basis: row.required("设定依据", &mut issues),
            promised_days: row.uint("承诺办结时限（工作日）", &mut issues).unwrap_or(0),
            statutory_days: match row.cell("法定办结时限（工作日）") {
                Data::Empty => None,
                _ => row.uint("法定办结时限（工作日）", &mut issues),
            },
            time_note: row.text("时限说明"),
            fee: onewindow_domain::catalog::Fee {
                charged: row.yes_no("是否收费", &mut issues),
                standard: row.required("收费标准", &mut issues),
                basis: row.text("收费依据"),
            },
            place: row.required("办理地点", &mut issues),
            phone: row.required("咨询电话", &mut issues),
            guide_plain: row.required("白话版指南", &mut issues),
            provenance: row.text("来源说明").unwrap_or_default(),
            levels: row.text("可受理层级").and_then(|t| {
                let parsed = parse_levels(&t);
                if parsed.is_none() {
                    issues.push(row.issue(
                        "可受理层级",
                        format!("可受理层级「{t}」无法识别：填 县级、镇级、村级 中的一个或几个，用顿号分隔"),
                    ));
                }
                parsed
            }),
            deferred_due_working_days: match row.cell("容缺补交期限（工作日）") {
                Data::Empty => None,
                _ => row.uint("容缺补交期限（工作日）", &mut issues),
            },
            pledge_check_working_days: match row.cell("告知承诺核查期限（工作日）") {
                Data::Empty => None,
                _ => row.uint("告知承诺核查期限（工作日）", &mut issues),
            },
            scenarios: item_scenarios,
            code,
        });
        item_rows.push(*number);
    }
    // Scenario rows whose item is not on the 事项 sheet.
    let mut orphans: Vec<(&'static str, u32, String)> = scenarios
        .into_iter()
        .flat_map(|(item, list)| {
            list.into_iter()
                .map(move |(_, rows)| (rows.first_at.0, rows.first_at.1, item.clone()))
        })
        .collect();
    orphans.sort();
    for (sheet, row, item) in orphans {
        issues.push(ImportIssue {
            sheet: sheet.into(),
            row: Some(row),
            column: Some("事项编码".into()),
            reason: format!("事项编码 {item} 不在 事项 表中"),
        });
    }

    let mut bundles = Vec::new();
    let mut bundle_rows = Vec::new();
    for (number, cells) in &bundles_sheet.rows {
        let row = Row {
            sheet: &bundles_sheet,
            number: *number,
            cells,
        };
        let members = row
            .required("包含事项编码（以；分隔）", &mut issues)
            .split(['；', ';'])
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect();
        bundles.push(Bundle {
            code: row.required("一件事编码", &mut issues),
            name: row.required("一件事名称", &mut issues),
            lead_agency: row.required("牵头部门", &mut issues),
            items: members,
            promised_days: row.uint("承诺办结时限（工作日）", &mut issues).unwrap_or(0),
            note: row.text("说明").unwrap_or_default(),
        });
        bundle_rows.push(*number);
    }

    if !issues.is_empty() {
        // In the workbook's own order: sheet by sheet, row by row.
        let sheet_order = |s: &str| {
            [ITEMS, MATERIALS, FIELDS, BUNDLES]
                .iter()
                .position(|x| *x == s)
        };
        issues.sort_by_key(|i| (sheet_order(&i.sheet), i.row));
        return Err(issues);
    }
    let (domain_list, domain_rows): (Vec<Domain>, Vec<u32>) = domains
        .into_iter()
        .map(|(code, (name, row))| (Domain { code, name }, row))
        .unzip();
    let mut catalog = Catalog {
        version: version.to_string(),
        region: onewindow_domain::catalog::Region {
            code: String::new(),
            name: String::new(),
        },
        source_note: String::new(),
        domains: domain_list,
        items,
        bundles,
    };
    catalog.normalize();
    let issues = catalog.validate(&XlsxLocator {
        item_rows,
        bundle_rows,
        domain_rows,
    });
    if issues.is_empty() {
        Ok(catalog)
    } else {
        Err(issues)
    }
}

/// 可受理层级: 县级、镇级、村级 (or county, town, village), separated by 、 or commas.
fn parse_levels(text: &str) -> Option<Vec<onewindow_domain::centre::CentreLevel>> {
    use onewindow_domain::centre::CentreLevel;
    let mut out = Vec::new();
    for part in text
        .split(['、', ',', '，', ' ', '/'])
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        let level = match part {
            "县级" | "县" | "county" => CentreLevel::County,
            "镇级" | "镇" | "乡镇" | "town" => CentreLevel::Town,
            "村级" | "村" | "village" => CentreLevel::Village,
            _ => return None,
        };
        if !out.contains(&level) {
            out.push(level);
        }
    }
    (!out.is_empty()).then_some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_letters() {
        assert_eq!(column_letter(0), "A");
        assert_eq!(column_letter(25), "Z");
        assert_eq!(column_letter(26), "AA");
        assert_eq!(column_letter(27), "AB");
    }
}
