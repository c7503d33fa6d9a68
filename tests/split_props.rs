//! A dated file read in parts on several threads gives exactly what one thread gives: the
//! same sums, tallies, errors, rejects and line numbers, whatever the file holds (quotes,
//! CRLF, blank lines, bad rows, duplicates, a missing final line break).

use proptest::prelude::*;
use std::fs;
use tsp_payout::book::Book;
use tsp_payout::input::{self, Mode, Options};
use tsp_payout::window::Periods;

/// One line of a generated gmv_daily.csv (without its line break), and whether it is a
/// plain valid row.
fn gmv_line() -> impl Strategy<Value = (String, bool)> {
    let good = (0u32..220, 0u8..3, 0u8..40, 0u32..2_000_000, 0u32..3, 0u8..3).prop_map(
        |(day, partner, seller, cents, channel_share, pad)| {
            let date = chrono::NaiveDate::from_ymd_opt(2025, 6, 20).unwrap()
                + chrono::Duration::days(day.into());
            let pad = " ".repeat(usize::from(pad));
            let channel = cents / (channel_share + 1);
            format!(
                "{date},{pad}P{partner}{pad},S{seller},{}.{:02},{}.{:02},0,1",
                cents / 100,
                cents % 100,
                channel / 100,
                channel % 100
            )
        },
    );
    let tricky = prop_oneof![
        1 => Just(String::new()),
        1 => Just(" \t ".to_string()),
        1 => Just("2025-10-01,\"P1\",S1,1.00,0,0,0".to_string()),
        1 => Just("2025-10-02,P1,S1,\"1,234.00\",0,0,0".to_string()),
        1 => Just("2025-10-03,P1,S1,12.3.4,0,0,0".to_string()),
        1 => Just("2025-10-04,P1,S1,1.00,0,0".to_string()),
        1 => Just("2025-10-05,P1,S\r1,1.00,0,0,0".to_string()),
        1 => Just("2025-10-06,P1,S1,1.00,5.00,0,0".to_string()),
        1 => Just("2025-10-07,,S1,1.00,0,0,0".to_string()),
        1 => Just("2025-10-08,P\u{e9},S1,$1.00,0,0,0".to_string()),
        1 => Just("2025-13-01,P1,S1,1.00,0,0,0".to_string()),
        // A duplicate of itself when drawn twice.
        1 => Just("2025-10-09,P1,S1,1.00,0,0,0".to_string()),
    ];
    prop_oneof![
        12 => good.prop_map(|l| (l, true)),
        1 => tricky.prop_map(|l| (l, false)),
    ]
}

fn file_text(header: &str, lines: &[String], crlf: bool, final_break: bool) -> Vec<u8> {
    let end = if crlf { "\r\n" } else { "\n" };
    let mut text = format!("{header}{end}");
    for (i, line) in lines.iter().enumerate() {
        text.push_str(line);
        if i + 1 < lines.len() || final_break {
            text.push_str(end);
        }
    }
    text.into_bytes()
}

fn load(dir: &std::path::Path, threads: usize, mode: Mode) -> String {
    let book = Book::embedded();
    let periods = Periods::new(&book.rules.windows, book.rules.windows.program.end);
    let opts = Options {
        mode,
        progress: false,
        adjust: None,
        threads,
        hashes: true,
        every_error: false,
    };
    match input::load(dir, &periods, &opts) {
        Ok(data) => format!("{data:?}"),
        Err(e) => format!("error: {e}"),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn parts_and_one_thread_agree(
        lines in prop::collection::vec(gmv_line(), 0..80),
        // Half the files are plain, so that the parts path also finishes.
        plain in any::<bool>(),
        crlf in any::<bool>(),
        final_break in any::<bool>(),
        extra_column in any::<bool>(),
        bom in any::<bool>(),
    ) {
        let header = if extra_column {
            "date,partner_id,seller_id,gmv,short_video_gmv,live_gmv,affiliate_gmv,note"
        } else {
            "date,partner_id,seller_id,gmv,short_video_gmv,live_gmv,affiliate_gmv"
        };
        let lines: Vec<String> = lines
            .into_iter()
            .filter(|(_, good)| *good || !plain)
            .map(|(line, _)| line)
            .collect();
        let lines: Vec<String> = if extra_column {
            lines.into_iter().map(|l| if l.trim().is_empty() { l } else { format!("{l},x") }).collect()
        } else {
            lines
        };
        let dir = tempfile::tempdir().unwrap();
        fs::write(dir.path().join("partners.csv"), "partner_id,partner_name\nP0,Zero\n").unwrap();
        fs::write(
            dir.path().join("gmv_daily.csv"),
            [&b"\xEF\xBB\xBF"[..usize::from(bom) * 3], &file_text(header, &lines, crlf, final_break)].concat(),
        )
        .unwrap();
        for mode in [Mode::Strict, Mode::SkipInvalid] {
            let one = load(dir.path(), 1, mode);
            for threads in [2, 3, 4] {
                prop_assert_eq!(&one, &load(dir.path(), threads, mode), "{} threads", threads);
            }
        }
    }
}
