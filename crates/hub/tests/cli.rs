//! The `onewindow-hub` binary's import commands, run as a user would.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use calamine::{Data, Reader, Xlsx, open_workbook};

fn hub() -> Command {
    Command::new(env!("CARGO_BIN_EXE_onewindow-hub"))
}

fn demo(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../demo")
        .join(name)
}

fn run(args: &[&str]) -> Output {
    hub().args(args).output().unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Copies the demo workbook, letting `edit` change cells (sheet, 0-based row, 0-based col).
fn edited_workbook(dest: &Path, edit: &dyn Fn(&str, u32, u16) -> Option<&'static str>) {
    let mut src: Xlsx<_> = open_workbook(demo("catalog-sample.xlsx")).unwrap();
    let mut book = rust_xlsxwriter::Workbook::new();
    for name in src.sheet_names() {
        let range = src.worksheet_range(&name).unwrap();
        let sheet = book.add_worksheet();
        sheet.set_name(&name).unwrap();
        for (r, row) in range.rows().enumerate() {
            for (c, cell) in row.iter().enumerate() {
                let (r, c) = (r as u32, c as u16);
                if let Some(v) = edit(&name, r, c) {
                    sheet.write_string(r, c, v).unwrap();
                    continue;
                }
                match cell {
                    Data::Empty => {}
                    Data::Int(i) => {
                        sheet.write_number(r, c, *i as f64).unwrap();
                    }
                    Data::Float(f) => {
                        sheet.write_number(r, c, *f).unwrap();
                    }
                    other => {
                        sheet.write_string(r, c, other.to_string()).unwrap();
                    }
                }
            }
        }
    }
    book.save(dest).unwrap();
}

#[test]
fn json_and_xlsx_of_the_sample_publish_the_same_catalog() {
    let data = tempfile::tempdir().unwrap();
    let d = data.path().to_str().unwrap();
    let out = run(&[
        "import-catalog",
        "--data",
        d,
        demo("catalog-sample.json").to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout).trim(),
        "已发布事项目录版本 v1（2026.04-fixture.1）：57 项新增或更新，0 项删除；共 40 个事项、3 个一件事"
    );
    // The workbook names its domains through its items; 人社就业 (RS) has none, so it goes.
    let out = run(&[
        "import-catalog",
        "--data",
        d,
        demo("catalog-sample.xlsx").to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout).trim(),
        "已发布事项目录版本 v2（catalog-sample）：0 项新增或更新，1 项删除；共 40 个事项、3 个一件事"
    );
}

#[test]
fn bad_workbook_reports_every_bad_cell_and_changes_nothing() {
    let data = tempfile::tempdir().unwrap();
    let d = data.path().to_str().unwrap();
    assert!(
        run(&[
            "import-catalog",
            "--data",
            d,
            demo("catalog-sample.json").to_str().unwrap()
        ])
        .status
        .success()
    );

    let bad = data.path().join("bad.xlsx");
    edited_workbook(&bad, &|sheet, r, c| match (sheet, r, c) {
        ("事项", 4, 2) => Some("顶层"),   // 层级, Excel row 5, column C
        ("材料", 9, 6) => Some("复印件"), // 材料形式, row 10, column G
        ("字段", 2, 6) => Some("string"), // 类型, row 3, column G
        ("字段", 3, 7) => Some("也许"),   // 是否必填, row 4, column H
        ("一件事", 1, 4) => Some("000105002000；999999999999"), // a member that does not exist
        _ => None,
    });
    let out = run(&["import-catalog", "--data", d, bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out.stdout));
    let err = text(&out.stderr);
    let lines: Vec<&str> = err
        .lines()
        .filter(|l| l.starts_with("  "))
        .map(str::trim)
        .collect();
    assert_eq!(
        lines,
        vec![
            "事项 第5行 [C（层级）]: 应为 主项、子项 或 办理项，实际为 \"顶层\"",
            "材料 第10行 [G（材料形式）]: 应为 收原件、验原件收复印件 或 收原件及复印件，实际为 \"复印件\"",
            "字段 第3行 [G（类型）]: 应为 id_number、credit_code、phone、text、date、number 或 choice，实际为 \"string\"",
            "字段 第4行 [H（是否必填）]: 应为 是 或 否，实际为 \"也许\"",
        ],
        "{err}"
    );
    assert!(err.contains("共有 4 处问题"), "{err}");

    // Shape fine, references bad: the semantic pass names the 一件事 row.
    edited_workbook(&bad, &|sheet, r, c| match (sheet, r, c) {
        ("一件事", 1, 4) => Some("000105002000；999999999999"),
        _ => None,
    });
    let out = run(&["import-catalog", "--data", d, bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("一件事 第2行 [items]: 包含的事项 999999999999 不存在"),
        "{}",
        text(&out.stderr)
    );

    // Nothing was published by the refused imports: the same JSON again is v2 with no changes.
    let out = run(&[
        "import-catalog",
        "--data",
        d,
        demo("catalog-sample.json").to_str().unwrap(),
    ]);
    assert!(
        text(&out.stdout)
            .starts_with("已发布事项目录版本 v2（2026.04-fixture.1）：0 项新增或更新，0 项删除"),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn unreadable_and_unsupported_files_are_refused() {
    let data = tempfile::tempdir().unwrap();
    let d = data.path().to_str().unwrap();
    let csv = data.path().join("catalog.csv");
    std::fs::write(&csv, "a,b").unwrap();
    let out = run(&["import-catalog", "--data", d, csv.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("catalog.csv: 不支持的文件类型"),
        "{}",
        text(&out.stderr)
    );

    let fake = data.path().join("fake.xlsx");
    std::fs::write(&fake, "not a zip").unwrap();
    let out = run(&["import-catalog", "--data", d, fake.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("xlsx: 不是有效的 xlsx 工作簿"),
        "{}",
        text(&out.stderr)
    );

    let out = run(&[
        "import-calendar",
        "--data",
        d,
        demo("catalog-sample.json").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("年份 \"bundles\" 不是四位数字"),
        "{}",
        text(&out.stderr)
    );
}
