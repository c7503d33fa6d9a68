//! Header names as teams write them: letter case, spaces and hyphens do not matter, and
//! spreadsheets' empty trailing cells are accepted (SPEC section 6).

mod common;
use common::*;

const ROWS: &str = "2025-10-01,P1,S1,100.00,10.00,5.00,1.00\n\
                    2025-10-02,P1,S1,\"$1,200.50\",0,0,0\n\
                    2025-07-01,P2,S2,7.25,0,0,0\n";

fn payouts(dir: &std::path::Path, threads: &str) -> (String, String) {
    let out = tempfile::tempdir().unwrap();
    let run = out.path().join("run");
    let result = bin()
        .env("TSP_PAYOUT_THREADS", threads)
        .args(["calc", "--allow-gaps", "--out"])
        .arg(&run)
        .arg(dir)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&result.stderr).into_owned();
    assert!(result.status.success(), "{err}");
    (
        std::fs::read_to_string(run.join("payouts.csv")).unwrap(),
        err,
    )
}

#[test]
fn spreadsheet_style_names_and_trailing_empty_cells_read_as_the_contract_names() {
    let plain = data_dir(&[("gmv_daily.csv", &format!("{GMV_HEADER}{ROWS}"))]);
    let styled_header =
        " Date ,Partner ID,Seller-ID,GMV,Short Video GMV,LIVE-GMV,Affiliate\u{a0}GMV,Note,,\n";
    let styled_rows = ROWS.replace('\n', ",,,\n").replacen(",,,\n", ",x,,\n", 1);
    let styled = data_dir(&[("gmv_daily.csv", &format!("{styled_header}{styled_rows}"))]);
    for threads in ["1", "2"] {
        let (expected, _) = payouts(plain.path(), threads);
        let (got, err) = payouts(styled.path(), threads);
        assert_eq!(got, expected, "threads {threads}");
        assert!(err.contains("rows 3 = 3 + 0 + 0 + 0"), "{err}");
    }
}

#[test]
fn a_cell_past_the_header_that_is_not_empty_is_still_a_bad_row() {
    let text = format!("{GMV_HEADER}{}", ROWS.replacen('\n', ",extra\n", 1));
    let dir = data_dir(&[("gmv_daily.csv", &text)]);
    let out = bin()
        .args(["calc", "--allow-gaps"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(65));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("gmv_daily.csv:2: row has 8 cells, the header has 7"),
        "{err}"
    );
}

#[test]
fn every_missing_column_is_listed_with_the_header_and_a_near_name() {
    let text = format!("date,Partner,seller_id,GMV,Live GMV\n{ROWS}");
    let dir = data_dir(&[("gmv_daily.csv", &text)]);
    let out = bin().arg("validate").arg(dir.path()).output().unwrap();
    assert_eq!(out.status.code(), Some(65));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains(
            "gmv_daily.csv:1: required columns are missing from the header: partner_id, \
             short_video_gmv, affiliate_gmv; the header is: \"date\", \"Partner\", \
             \"seller_id\", \"GMV\", \"Live GMV\"; \"Partner\" may be partner_id"
        ),
        "{text}"
    );
}
