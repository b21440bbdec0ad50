//! The back office: decisions flowing back to the window and delivery flowing up, and who
//! may open each page and handler.

use onewindow_tests::{HubProcess, demo_hub_data, enrol_code, hub_cli};

use crate::support::{accepted_case, desk, mock_keyring, office_client, sha256_hex};

#[tokio::test(flavor = "multi_thread")]
async fn decisions_flow_back_to_the_window_and_delivery_flows_up() {
    mock_keyring();
    let tmp = tempfile::tempdir().unwrap();
    let data = demo_hub_data(tmp.path());
    let code = enrol_code(&data, "综合受理 1 号窗口");
    let d_arg = data.to_str().unwrap();
    // 居民身份证换领 is in the public-security domain (GA in the sample).
    let item_domain = onewindow_tests::item_domain("00017200100002");
    onewindow_tests::hub_cli_with_stdin(
        &[
            "user",
            "add",
            "--data",
            d_arg,
            "--name",
            "wang",
            "--role",
            "approver",
            "--domain",
            &item_domain,
            "--password-stdin",
        ],
        "correct horse battery\n",
    );
    onewindow_tests::hub_cli_with_stdin(
        &[
            "user",
            "add",
            "--data",
            d_arg,
            "--name",
            "zhao",
            "--role",
            "approver",
            "--domain",
            "XX",
            "--password-stdin",
        ],
        "another long secret\n",
    );
    let hub = HubProcess::start(&data);
    let d = desk(tmp.path(), hub.url());
    d.sync_once().await.unwrap();
    d.enrol(&hub.url(), &code, "").await.unwrap();
    let approve_me = accepted_case(&d, 1).await;
    let return_me = accepted_case(&d, 2).await;
    d.sync_once().await.unwrap();
    let cases = d.recent_cases().unwrap();
    assert!(cases.iter().all(|c| c.state_label == "已流转"), "{cases:?}");
    // The desk is re-enrolled (say its PC was replaced): it keeps its device on the hub, so
    // the decisions on the cases it already handed off still reach it.
    let before = d.status();
    let again = onewindow_tests::re_enrol_code(&data, "综合受理 1 号窗口", &before.push.desk_code);
    d.enrol(&hub.url(), &again, "").await.unwrap();
    assert_eq!(d.status().push.desk_code, before.push.desk_code);

    // The approver signs in; a wrong password is refused.
    let web = office_client();
    let base = hub.url();
    let r = web.get(format!("{base}/office")).send().await.unwrap();
    assert_eq!(r.status(), 303, "to the login page");
    let t = onewindow_tests::csrf(&web, &base).await;
    let r = web
        .post(format!("{base}/office/login"))
        .form(&[
            ("name", "wang"),
            ("password", "wrong password"),
            ("csrf", &t),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    assert!(r.text().await.unwrap().contains("用户名或密码不正确"));
    let r = web
        .post(format!("{base}/office/login"))
        .form(&[
            ("name", "wang"),
            ("password", "correct horse battery"),
            ("csrf", &t),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303);
    let list = web
        .get(format!("{base}/office"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(list.contains("<meta charset=\"utf-8\">"));
    assert!(
        list.contains(&approve_me) && list.contains(&return_me),
        "{list}"
    );
    assert!(list.contains("居民身份证换领"));
    let page = web
        .get(format!("{base}/office/cases/{approve_me}"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("371082********0810"), "masked applicant");
    assert!(
        !page.contains("371082199906080810"),
        "never the whole number"
    );
    let img = page
        .split("src=\"/office/blobs/")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .expect("materials shown inline");
    let r = web
        .get(format!("{base}/office/blobs/{img}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "image/jpeg");

    // Another domain's approver sees none of it.
    let other = office_client();
    let t2 = onewindow_tests::csrf(&other, &base).await;
    other
        .post(format!("{base}/office/login"))
        .form(&[
            ("name", "zhao"),
            ("password", "another long secret"),
            ("csrf", &t2),
        ])
        .send()
        .await
        .unwrap();
    let list = other
        .get(format!("{base}/office"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!list.contains(&approve_me));
    assert_eq!(
        other
            .get(format!("{base}/office/cases/{approve_me}"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
    assert_eq!(
        other
            .get(format!("{base}/office/blobs/{img}"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );

    // Decisions: a return needs its reason; approve and return go back to the window.
    let r = web
        .post(format!("{base}/office/cases/{return_me}/decide"))
        .form(&[
            ("action", "return_for_correction"),
            ("note", ""),
            ("csrf", &t),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    // A result file goes with an approval only, and only as a PDF.
    let licence = onewindow_tests::tiny_pdf("LICENCE 371082-2026-0001");
    let multipart = |action: &str, note: &str, file: Option<(&str, Vec<u8>)>| {
        let mut form = reqwest::multipart::Form::new()
            .text("csrf", t.clone())
            .text("action", action.to_string())
            .text("note", note.to_string());
        if let Some((name, bytes)) = file {
            form = form.part(
                "result_file",
                reqwest::multipart::Part::bytes(bytes).file_name(name.to_string()),
            );
        }
        form
    };
    for (action, file, says) in [
        (
            "return_for_correction",
            Some(("决定书.pdf", licence.clone())),
            "只有批准可以附结果文件",
        ),
        (
            "approve",
            Some(("照片.jpg", b"\xff\xd8\xff".to_vec())),
            "须为 PDF",
        ),
        ("approve", Some(("空.pdf", Vec::new())), "是空的"),
    ] {
        let r = web
            .post(format!("{base}/office/cases/{approve_me}/decide"))
            .multipart(multipart(action, "附件", file))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 400, "{action} {says}");
        assert!(r.text().await.unwrap().contains(says), "{says}");
    }
    let r = web
        .post(format!("{base}/office/cases/{approve_me}/decide"))
        .multipart(multipart(
            "approve",
            "符合换领条件",
            Some(("../准予换领决定书.pdf", licence.clone())),
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 303, "approve with its result file");
    assert_eq!(
        onewindow_tests::office_return(&web, &base, &return_me, &t).await,
        303,
        "return"
    );
    let page = web
        .get(format!("{base}/office/cases/{approve_me}"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("准予换领决定书.pdf") && !page.contains("../"),
        "{page}"
    );
    let licence_sha = sha256_hex(&licence);
    let r = web
        .get(format!("{base}/office/blobs/{licence_sha}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.headers()["content-type"], "application/pdf");
    // Only the desk that took the case in may fetch it.
    let r = reqwest::Client::new()
        .get(format!("{base}/v1/result-files/{licence_sha}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    d.sync_once().await.unwrap();
    let by_number = |n: &str| {
        d.recent_cases()
            .unwrap()
            .into_iter()
            .find(|c| c.number == n)
            .unwrap()
    };
    assert_eq!(by_number(&approve_me).state_label, "待出件");
    // The result file arrived with the decision: archived with the case's documents, whole.
    let approved = d.open_case(&by_number(&approve_me).id).unwrap();
    let doc = approved
        .documents
        .iter()
        .find(|doc| doc.title == "审批结果文件")
        .unwrap_or_else(|| panic!("{:?}", approved.documents));
    let archived = std::fs::read_dir(tmp.path().join("desk/documents").join(&approve_me))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            p.file_name()
                .unwrap()
                .to_str()
                .unwrap()
                .starts_with("result_file-")
        })
        .expect("archived");
    // Sealed at rest like every document the desk archives.
    let on_disk = std::fs::read(&archived).unwrap();
    assert!(onewindow_intake::seal::is_sealed(&on_disk));
    let opened = onewindow_intake::Seal::from_cache_key(&onewindow_tests::TEST_CACHE_KEY)
        .open(&on_disk)
        .unwrap();
    assert_eq!(opened, licence);
    let plain = tmp.path().join("licence.pdf");
    std::fs::write(&plain, &opened).unwrap();
    assert!(onewindow_tests::pdf_text(&plain).contains("LICENCE 371082-2026-0001"));
    // Printed at 出件 like any document.
    let printed = d.reprint(doc.id).unwrap();
    assert!(printed.ok, "{printed:?}");
    let returned = by_number(&return_me);
    assert_eq!(returned.state_label, "退回补正");
    // The returned case reopens at the window with its number and materials.
    let v = d.reopen_case(&returned.id).unwrap();
    assert_eq!(
        (v.state, v.number.as_str()),
        (onewindow_app::dto::CaseState::Draft, return_me.as_str())
    );
    assert_eq!(v.materials.iter().map(|m| m.files.len()).sum::<usize>(), 2);
    assert!(
        v.events
            .iter()
            .any(|e| e.reason.as_deref() == Some("申领登记表照片不清晰，请重新扫描"))
    );

    // Downloading the results stream again moves nothing back.
    d.reset_stream("results").await.unwrap();
    assert_eq!(
        d.open_case(&returned.id).unwrap().state,
        onewindow_app::dto::CaseState::Draft
    );
    assert_eq!(by_number(&approve_me).state_label, "待出件");

    // Delivery by post needs a tracking number; then the hub learns of it.
    let ready = by_number(&approve_me);
    assert!(d.deliver_case(&ready.id, true, "").is_err());
    let v = d.deliver_case(&ready.id, true, "SF1234567890").unwrap();
    assert_eq!(v.state, onewindow_app::dto::CaseState::Delivered);
    d.sync_once().await.unwrap();
    let hub_store = onewindow_tests::hub_store(&data);
    assert_eq!(
        hub_store.hub_case(&approve_me).unwrap().unwrap().1,
        "delivered"
    );

    // The applicant's progress page: the number and the receipt's query code, random and
    // 13 letters (65 bits), printed on the receipt and kept by the hub from the hand-off.
    let code = hub_store
        .case_query_code(&approve_me)
        .unwrap()
        .expect("a stored code");
    assert_eq!(code.len(), onewindow_proto::QUERY_CODE_LEN);
    let receipt = std::fs::read_dir(tmp.path().join("desk/documents").join(&approve_me))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().contains("acceptance_receipt-"))
        .expect("the receipt is archived");
    let opened = onewindow_intake::Seal::from_cache_key(&onewindow_tests::TEST_CACHE_KEY)
        .open(&std::fs::read(&receipt).unwrap())
        .unwrap();
    let plain = tmp.path().join("receipt.pdf");
    std::fs::write(&plain, &opened).unwrap();
    let text = onewindow_tests::pdf_text(&plain);
    assert!(
        text.contains(&code),
        "the receipt prints the code the hub keeps: {text}"
    );
    // The short code derived from the case id opens only cases handed off before codes were
    // random.
    let legacy = onewindow_proto::query_code(&ready.id);
    let r = reqwest::get(format!("{base}/progress?case={approve_me}&code={legacy}"))
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let r = reqwest::get(format!("{base}/progress?case={approve_me}&code={code}"))
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let text = r.text().await.unwrap();
    assert!(text.contains("徐**") && !text.contains("徐志强"), "{text}");
    let r = reqwest::get(format!("{base}/progress?case={approve_me}&code=WRONG1"))
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    hub.kill();
}

/// The hub's pages and device API, called as every role: who is let in, who is sent to sign
/// in, who is refused.
#[tokio::test(flavor = "multi_thread")]
async fn every_hub_page_and_handler_admits_only_its_roles() {
    let tmp = tempfile::tempdir().unwrap();
    let data = demo_hub_data(tmp.path());
    let queue = onewindow_tests::demo("queue.json");
    hub_cli(&[
        "import-queue",
        "--data",
        data.to_str().unwrap(),
        queue.to_str().unwrap(),
    ]);
    let roles = ["clerk", "supervisor", "approver", "admin"];
    for role in roles {
        let mut args = vec![
            "user",
            "add",
            "--data",
            data.to_str().unwrap(),
            "--name",
            role,
            "--role",
            role,
            "--password-stdin",
        ];
        if role == "approver" {
            args.extend(["--domain", "GAHZ"]);
        }
        onewindow_tests::hub_cli_with_stdin(&args, &format!("{role} password 1\n"));
    }
    let hub = HubProcess::start(&data);
    let session = |role: Option<&'static str>| {
        let url = hub.url();
        async move {
            let web = reqwest::Client::builder()
                .cookie_store(true)
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap();
            if let Some(role) = role {
                let t = onewindow_tests::csrf(&web, &url).await;
                let r = web
                    .post(format!("{url}/office/login"))
                    .form(&[
                        ("name", role),
                        ("password", &format!("{role} password 1")),
                        ("csrf", &t),
                    ])
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status(), 303, "{role} signs in");
            }
            web
        }
    };
    // (path, nobody, clerk, supervisor, approver, admin)
    let table: [(&str, [u16; 5]); 7] = [
        ("/office", [303, 403, 303, 200, 200]),
        ("/office/hall", [303, 403, 200, 403, 200]),
        ("/office/figures", [303, 403, 200, 403, 200]),
        ("/office/figures.xlsx", [303, 403, 200, 403, 200]),
        ("/office/ratings", [303, 403, 200, 403, 200]),
        ("/office/audit", [303, 403, 200, 403, 200]),
        ("/office/cases/W01-20261127-0001", [303, 403, 303, 404, 404]),
    ];
    for (i, role) in std::iter::once(None).chain(roles.map(Some)).enumerate() {
        let web = session(role).await;
        for (path, want) in &table {
            let got = web
                .get(format!("{}{path}", hub.url()))
                .send()
                .await
                .unwrap()
                .status()
                .as_u16();
            assert_eq!(got, want[i], "{path} as {role:?}");
        }
        // The device API wants a device token, whoever is signed in to the office (the
        // catalog, calendar and queue-configuration streams are public, as is the board).
        for path in [onewindow_proto::paths::QUEUE_MINE, "/v1/results?cursor=0"] {
            let got = web
                .get(format!("{}{path}", hub.url()))
                .send()
                .await
                .unwrap()
                .status();
            assert_eq!(got, 401, "{path} as {role:?}");
        }
        for path in [onewindow_proto::paths::AUDIT, onewindow_proto::paths::OPS] {
            let got = web
                .post(format!("{}{path}", hub.url()))
                .json(&serde_json::json!({"records": [], "ops": []}))
                .send()
                .await
                .unwrap()
                .status();
            assert_eq!(got, 401, "{path} as {role:?}");
        }
    }
    hub.kill();
}
