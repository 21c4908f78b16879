//! Roster import and export (XLSX and CSV): preview, row-level errors, all-or-nothing,
//! re-import without duplicates.

mod common;

use serde_json::Value;

const HEADER: &str = "姓名,性别,民族,党派,界别,专委会,工作单位及职务,手机,是否常委";

async fn import(t: &common::TestApp, token: &str, body: Vec<u8>, dry_run: bool) -> (u16, Value) {
    let path = if dry_run {
        "/api/v1/members/import?dry_run=true"
    } else {
        "/api/v1/members/import"
    };
    let r = t
        .api
        .post(t.url(path))
        .bearer_auth(token)
        .header("content-type", "text/csv")
        .body(body)
        .send()
        .await
        .unwrap();
    let s = r.status().as_u16();
    (s, r.json().await.unwrap())
}

async fn total(t: &common::TestApp, token: &str) -> i64 {
    t.get(token, "/api/v1/members?per_page=1").await.1["total"]
        .as_i64()
        .unwrap()
}

both_demo!(bad_rows_are_all_reported_and_nothing_is_written, |t| {
    let office = t.token("office").await;
    let csv = format!(
        "{HEADER}\n王一,男,汉族,民盟,教育界,提案委员会,江川一中 教师,13800000001,否\n,女,汉族,,教育界,,,,否\n李二,未知,汉族,,不存在界,提案委员会、无此委员会,,123,也许\n"
    );
    let (s, v) = import(&t, &office, csv.into_bytes(), false).await;
    assert_eq!(s, 422);
    assert_eq!(v["written"], false);
    let errs: Vec<(i64, String)> = v["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["line"].as_i64().unwrap(),
                e["column"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        errs,
        vec![
            (3, "姓名".into()),
            (4, "性别".into()),
            (4, "手机".into()),
            (4, "是否常委".into())
        ]
    );
    assert!(
        v["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("姓名不能为空")
    );
    assert_eq!(total(&t, &office).await, 300);
    // Names that do not resolve are reported too, once the cells themselves are fine.
    let csv = format!("{HEADER}\n李二,男,汉族,,不存在界,无此委员会,,,否\n");
    let (_, v) = import(&t, &office, csv.into_bytes(), false).await;
    let cols: Vec<&str> = v["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["column"].as_str().unwrap())
        .collect();
    assert_eq!(cols, vec!["界别", "专委会"]);
    assert_eq!(total(&t, &office).await, 300);
});

both_demo!(preview_then_import_then_reimport_without_duplicates, |t| {
    let office = t.token("office").await;
    let csv = format!(
        "\u{feff}{HEADER}\n王一,男,汉族,民盟,教育界,提案委员会、经济委员会,江川一中 教师,138-0000-0001,否\n赵二,女,回族,,医药卫生界,,市医院 医生,,是\n"
    );
    let (s, v) = import(&t, &office, csv.clone().into_bytes(), true).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(
        (v["create"].as_i64(), v["written"].as_bool()),
        (Some(2), Some(false))
    );
    assert_eq!(total(&t, &office).await, 300, "preview writes nothing");
    let (s, v) = import(&t, &office, csv.clone().into_bytes(), false).await;
    assert_eq!(s, 200);
    assert_eq!(v["written"], true);
    assert_eq!(total(&t, &office).await, 302);
    let (s, v) = import(&t, &office, csv.into_bytes(), false).await;
    assert_eq!(s, 200);
    assert_eq!(
        (v["create"].as_i64(), v["update"].as_i64()),
        (Some(0), Some(2))
    );
    assert_eq!(total(&t, &office).await, 302);
    let (_, found) = t
        .get(
            &office,
            &format!("/api/v1/members?q={}", common::urlenc("王一")),
        )
        .await;
    let m = &found["items"][0];
    assert_eq!(
        m["special_committees"],
        serde_json::json!(["提案委员会", "经济委员会"])
    );
    assert_eq!(m["phone"], "138****0001");
});

both_demo!(xlsx_round_trip, |t| {
    let office = t.token("office").await;
    let mut wb = rust_xlsxwriter::Workbook::new();
    let sheet = wb.add_worksheet();
    for (c, h) in HEADER.split(',').enumerate() {
        sheet.write_string(0, c as u16, h).unwrap();
    }
    for (c, v) in [
        "孙三",
        "男",
        "汉族",
        "九三学社",
        "科学技术界",
        "",
        "江川大学 教授",
    ]
    .iter()
    .enumerate()
    {
        sheet.write_string(1, c as u16, *v).unwrap();
    }
    sheet.write_number(1, 7, 13900000003.0).unwrap(); // phones often arrive as numbers
    sheet.write_string(1, 8, "是").unwrap();
    let bytes = wb.save_to_buffer().unwrap();
    let (s, v) = import(&t, &office, bytes, false).await;
    assert_eq!(s, 200, "{v}");
    assert_eq!(total(&t, &office).await, 301);
    // Export gives the same columns back, with the full phone for the office's own file.
    let r = t
        .api
        .get(t.url("/api/v1/members/export?format=csv"))
        .bearer_auth(&office)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let text = r.text().await.unwrap();
    let mut lines = text.trim_start_matches('\u{feff}').lines();
    assert_eq!(lines.next(), Some(HEADER));
    assert!(
        text.contains("孙三,男,汉族,九三学社,科学技术界,,江川大学 教授,13900000003,是"),
        "{}",
        &text[..200]
    );
    assert_eq!(text.trim_start_matches('\u{feff}').lines().count(), 302);
    let r = t
        .api
        .get(t.url("/api/v1/members/export?format=xlsx"))
        .bearer_auth(&office)
        .send()
        .await
        .unwrap();
    let xlsx = r.bytes().await.unwrap();
    assert!(xlsx.starts_with(b"PK\x03\x04"));
    // Re-importing the export changes nothing in number.
    let (s, v) = import(&t, &office, xlsx.to_vec(), false).await;
    assert_eq!(s, 200, "{}", v["errors"]);
    assert_eq!(v["create"], 0);
    assert_eq!(total(&t, &office).await, 301);
});

both_demo!(files_that_are_not_spreadsheets_are_refused, |t| {
    let office = t.token("office").await;
    let (s, v) = import(
        &t,
        &office,
        b"MZ\x90\x00\x03\x00\x00\x00\x04\x00binary".to_vec(),
        false,
    )
    .await;
    assert_eq!(s, 422);
    assert_eq!(v["error"]["code"], "validation.roster.unsupported_file");
    let (s, v) = import(&t, &office, b"PK\x03\x04 not really a zip".to_vec(), false).await;
    assert_eq!(s, 422);
    assert!(v["error"]["message"].as_str().unwrap().contains("xlsx"));
    let (s, v) = import(
        &t,
        &office,
        "名字,年龄\n张三,3\n".as_bytes().to_vec(),
        false,
    )
    .await;
    assert_eq!(s, 422);
    assert_eq!(v["errors"][0]["column"], "姓名");
    assert_eq!(total(&t, &office).await, 300);
    let member = t.token("member").await;
    assert_eq!(
        import(&t, &member, HEADER.as_bytes().to_vec(), false)
            .await
            .0,
        403
    );
});

// A cell that a spreadsheet would run as a formula (CSV injection) is exported as text:
// a leading ' in CSV, the quote-prefix style in XLSX; re-importing our own CSV gives the text
// back unchanged.
both_demo!(exports_never_carry_a_formula, |t| {
    let office = t.token("office").await;
    let (_, list) = t.get(&office, "/api/v1/members?per_page=1").await;
    let id = list["items"][0]["id"].as_i64().unwrap();
    let formula = "=HYPERLINK(\"http://evil.example\",\"点我\")";
    let (s, v) = t
        .patch(
            &office,
            &format!("/api/v1/members/{id}"),
            &serde_json::json!({"employer": formula}),
        )
        .await;
    assert_eq!(s, 200, "{v}");
    let csv = t
        .api
        .get(t.url("/api/v1/members/export?format=csv"))
        .bearer_auth(&office)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        csv.contains("\"'=HYPERLINK(\"\"http://evil.example\"\",\"\"点我\"\")"),
        "{}",
        csv.lines()
            .find(|l| l.contains("HYPERLINK"))
            .unwrap_or("no line")
    );
    assert!(
        !csv.lines()
            .any(|l| l.split(',').any(|c| c.trim_matches('"').starts_with('='))),
        "no cell starts with ="
    );
    let xlsx = t
        .api
        .get(t.url("/api/v1/members/export?format=xlsx"))
        .bearer_auth(&office)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let styles = {
        use std::io::Read;
        let mut zip = zip_entry(&xlsx, "xl/styles.xml");
        let mut s = String::new();
        zip.read_to_string(&mut s).unwrap();
        s
    };
    assert!(styles.contains("quotePrefix=\"1\""), "a quote-prefix style");
    // Our own CSV back in: nothing new, and the text is what was typed.
    let (s, v) = import(&t, &office, csv.into_bytes(), false).await;
    assert_eq!(s, 200, "{}", v["errors"]);
    assert_eq!(v["create"], 0);
    let (_, m) = t.get(&office, &format!("/api/v1/members/{id}")).await;
    let employer = m["employer"].as_str().unwrap();
    assert!(employer.starts_with(formula), "{employer}");
});

/// One file of a ZIP archive (an XLSX workbook is one).
fn zip_entry(bytes: &[u8], name: &str) -> std::io::Cursor<Vec<u8>> {
    let mut archive = zip::ZipArchive::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let mut f = archive.by_name(name).unwrap();
    let mut out = Vec::new();
    std::io::copy(&mut f, &mut out).unwrap();
    std::io::Cursor::new(out)
}
