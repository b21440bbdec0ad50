//! The payloads desks of every protocol version wrote (`tests/golden/`) read into the typed
//! ops and write back the same JSON: a hub that reads them typed loses nothing of them.

use std::path::Path;

use onewindow_proto::{Op, OpBody, OpKind};

fn golden_ops() -> Vec<(String, Op)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/golden");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no golden files in {}", dir.display());
    files
        .iter()
        .flat_map(|f| {
            let golden: serde_json::Value =
                serde_json::from_slice(&std::fs::read(f).unwrap()).unwrap();
            let ops: Vec<Op> = serde_json::from_value(golden["ops"].clone()).unwrap();
            let name = f.file_name().unwrap().to_string_lossy().into_owned();
            ops.into_iter().map(move |o| (name.clone(), o))
        })
        .collect()
}

#[test]
fn golden_payloads_decode_and_encode_to_the_same_json() {
    let ops = golden_ops();
    for (file, op) in &ops {
        let body = op
            .body()
            .unwrap_or_else(|e| panic!("{file}: {} does not decode: {e}", op.kind));
        assert_eq!(body.kind().as_str(), op.kind, "{file}");
        assert_eq!(body.to_payload(), op.payload, "{file}: {}", op.kind);
    }
    assert!(ops.len() >= 7);
}

/// The two kinds no golden file holds yet, as a version-1 desk wrote them (`json!` in
/// crates/store before the ops were typed).
#[test]
fn version_one_material_added_and_delivered_read_back_the_same() {
    let sha = "ab".repeat(32);
    let payloads = [
        (
            OpKind::MaterialAdded,
            serde_json::json!({
                "case_id": "0192f0a0-0000-7000-8000-0000000000c1", "number": "W01-20261127-0001",
                "sha256": sha, "slot": 5, "name": "章程.pdf", "kind": "pdf", "size": 20480,
                "pages": 3, "at": "2026-11-28T02:00:00.000Z",
            }),
        ),
        (
            OpKind::MaterialAdded,
            serde_json::json!({
                "case_id": "c", "number": "n", "sha256": sha, "slot": null, "name": "p.jpg",
                "kind": "jpeg", "size": 10, "pages": null, "at": "2026-11-28T02:00:00.000Z",
            }),
        ),
        (
            OpKind::Delivered,
            serde_json::json!({
                "case_id": "c", "number": "n", "method": "邮寄送达", "tracking": "SF1234567890",
                "by": "李窗口", "desk": "W01", "at": "2026-12-01T02:00:00.000Z",
            }),
        ),
        (
            OpKind::Delivered,
            serde_json::json!({
                "case_id": "c", "number": "n", "method": "窗口领取", "tracking": null,
                "by": "李窗口", "desk": "W01", "at": "2026-12-01T02:00:00.000Z",
            }),
        ),
    ];
    for (kind, payload) in payloads {
        let body = OpBody::decode(kind.as_str(), &payload).unwrap();
        assert_eq!(body.kind(), kind);
        assert_eq!(body.to_payload(), payload);
    }
}

/// Every protocol has its golden file, and every kind a protocol added is in that file: a
/// kind cannot be added without the payload a hub of every later release must apply.
#[test]
fn every_protocol_has_its_golden_file_with_the_kinds_it_added() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/golden");
    for protocol in 1..=onewindow_proto::PROTOCOL_VERSION {
        let file = dir.join(format!("ops-v{protocol}.json"));
        let golden: serde_json::Value = serde_json::from_slice(
            &std::fs::read(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display())),
        )
        .unwrap();
        assert_eq!(golden["protocol"].as_u64(), Some(u64::from(protocol)));
        let ops: Vec<Op> = serde_json::from_value(golden["ops"].clone()).unwrap();
        for kind in OpKind::ALL
            .into_iter()
            .filter(|k| k.since() == protocol && protocol > 1)
        {
            assert!(
                ops.iter().any(|o| o.kind == kind.as_str()),
                "{}: protocol {protocol} added {kind}, which has no golden payload",
                file.display()
            );
        }
    }
    assert!(
        OpKind::ALL
            .iter()
            .all(|k| k.since() <= onewindow_proto::PROTOCOL_VERSION)
    );
}
