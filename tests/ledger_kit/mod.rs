//! What the ledger tests share: small data directories of affiliate GMV, and the binary
//! run in a scratch directory with no ledger from the environment.
#![allow(dead_code)]

use assert_cmd::Command;
use std::path::Path;

pub const GMV_HEADER: &str =
    "date,partner_id,seller_id,gmv,short_video_gmv,live_gmv,affiliate_gmv\n";

/// The binary, run in `cwd`, without `TSP_PAYOUT_LEDGER`.
pub fn tsp(cwd: &Path) -> Command {
    let mut c = Command::cargo_bin("tsp-payout").expect("binary built");
    c.current_dir(cwd).env_remove("TSP_PAYOUT_LEDGER");
    c
}

/// gmv_daily.csv of (date, partner, seller, affiliate GMV) rows; gmv equals the affiliate
/// GMV, the other channels are zero.
pub fn write_gmv(dir: &Path, rows: &[(&str, &str, &str, &str)]) {
    let mut text = GMV_HEADER.to_string();
    for (date, partner, seller, aff) in rows {
        text.push_str(&format!("{date},{partner},{seller},{aff},0,0,{aff}\n"));
    }
    std::fs::create_dir_all(dir).expect("data dir");
    std::fs::write(dir.join("gmv_daily.csv"), text).expect("write gmv_daily.csv");
}

/// Runs `close` of `period` into `ledger` on `data` (gaps allowed), and returns stdout;
/// panics with stderr when it fails.
pub fn close(cwd: &Path, data: &Path, ledger: &Path, period: &str) -> String {
    let out = tsp(cwd)
        .args(["close", "--allow-gaps", "--period", period, "--ledger"])
        .arg(ledger)
        .arg(data)
        .output()
        .expect("run close");
    assert!(
        out.status.success(),
        "close {period}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8")
}

/// One column of a query, as text.
pub fn query(ledger: &Path, sql: &str) -> Vec<Vec<String>> {
    let conn =
        rusqlite::Connection::open_with_flags(ledger, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
            .expect("open ledger");
    let mut stmt = conn.prepare(sql).expect("prepare");
    let n = stmt.column_count();
    let rows = stmt
        .query_map([], |r| {
            (0..n)
                .map(|i| {
                    r.get::<_, rusqlite::types::Value>(i).map(|v| match v {
                        rusqlite::types::Value::Null => "NULL".to_string(),
                        rusqlite::types::Value::Integer(i) => i.to_string(),
                        rusqlite::types::Value::Real(f) => format!("REAL {f}"),
                        rusqlite::types::Value::Text(t) => t,
                        rusqlite::types::Value::Blob(b) => format!("BLOB {}", b.len()),
                    })
                })
                .collect::<Result<Vec<_>, _>>()
        })
        .expect("query");
    rows.collect::<Result<_, _>>().expect("rows")
}
