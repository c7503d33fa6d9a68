//! Ingest reads a plain file in parts on every core, and any other file on two threads; the
//! single-threaded path (`TSP_PAYOUT_THREADS=1`) must give byte-identical outputs, bad rows
//! and duplicates included.

mod common;
use common::*;

/// Every output file of `calc --out` (statements, manifest with hashes, rejects) with
/// `threads` ingest threads.
fn calc_outputs(
    dir: &std::path::Path,
    threads: &str,
) -> std::collections::BTreeMap<String, Vec<u8>> {
    let out = tempfile::tempdir().unwrap();
    bin()
        .env("TSP_PAYOUT_THREADS", threads)
        .arg("calc")
        .arg(dir)
        .arg("--skip-invalid")
        .arg("--out")
        .arg(out.path())
        .assert()
        .success();
    snapshot(out.path())
}

/// 40,000 rows over 37 partners; with `flaws`, bad cells and duplicate keys among them.
fn gmv_rows(flaws: bool) -> String {
    let mut gmv = String::from(GMV_HEADER);
    let start = chrono::NaiveDate::from_ymd_opt(2025, 7, 1).unwrap();
    for i in 0..40_000u32 {
        let date = start + chrono::Duration::days(i64::from(i % 184));
        let (partner, seller) = (i % 37, i / 184);
        let cents = (i * 7919) % 5_000_000;
        if flaws && i % 5_000 == 17 {
            gmv.push_str(&format!("{date},P{partner:02},S{seller:04},12.3.4,0,0,0\n"));
        } else {
            gmv.push_str(&format!(
                "{date},P{partner:02},S{seller:04},{}.{:02},{}.00,0,{}.00\n",
                cents / 100,
                cents % 100,
                cents / 300,
                cents / 500
            ));
        }
        if flaws && i % 7_000 == 3 {
            gmv.push_str(&format!("{date},P{partner:02},S{seller:04},1.00,0,0,0\n"));
        }
    }
    gmv
}

#[test]
fn threaded_and_single_threaded_outputs_are_identical() {
    // A file with flaws goes to the careful path (parsing beside aggregating); a plain one
    // is read in parts, one per thread.
    for flaws in [true, false] {
        let dir = data_dir(&[("gmv_daily.csv", &gmv_rows(flaws))]);
        let single = calc_outputs(dir.path(), "1");
        let rejects = String::from_utf8(single["rejects.csv"].clone()).unwrap();
        let expected = if flaws { 1 + 8 + 12 } else { 1 };
        assert_eq!(rejects.lines().count(), expected, "{rejects}");
        for threads in ["2", "3"] {
            assert!(
                single == calc_outputs(dir.path(), threads),
                "outputs differ between 1 and {threads} ingest threads (flaws: {flaws})"
            );
        }
    }
}

/// The bundled sample, read with the embedded book as of the program's end.
fn sample() -> (
    tsp_payout::book::Book,
    tsp_payout::window::Periods,
    tsp_payout::input::DataSet,
) {
    use tsp_payout::{book::Book, input, window::Periods};
    let book = Book::embedded();
    let periods = Periods::new(&book.rules.windows, book.rules.windows.program.end);
    let opts = input::Options {
        mode: input::Mode::Strict,
        progress: false,
        adjust: None,
        threads: 2,
        hashes: true,
        every_error: false,
    };
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/q4-sample");
    let data = input::load(&dir, &periods, &opts).unwrap();
    (book, periods, data)
}

/// Figure trees and detail tables are only built when an output shows them; leaving them
/// out changes no amount and no basis.
#[test]
fn lines_without_figures_have_the_same_amounts_and_bases() {
    use tsp_payout::engine;
    let (book, periods, data) = sample();
    let full = engine::run(&book.rules, &periods, &data, true);
    let bare = engine::run(&book.rules, &periods, &data, false);
    assert_eq!(full.lines.len(), 156);
    assert!(full.lines.iter().all(|l| !l.steps.is_empty()));
    assert!(bare
        .lines
        .iter()
        .all(|l| l.steps.is_empty() && l.detail.is_none()));
    let strip = |l: &engine::Line| engine::Line {
        steps: Vec::new(),
        detail: None,
        ..l.clone()
    };
    let full: Vec<_> = full.lines.iter().map(strip).collect();
    assert_eq!(full, bare.lines);
}

/// A monthly statement shows that month's ad-credit lines only, so its run builds their
/// figures alone: those lines are exactly what a run with every figure has, and every other
/// line keeps its amount and basis without figures.
#[test]
fn a_statement_month_run_has_that_months_ad_credit_figures_and_no_others() {
    use tsp_payout::engine::{self, Figures, Issued, Kind};
    use tsp_payout::window::WindowId;
    let (book, periods, data) = sample();
    let full = engine::run(&book.rules, &periods, &data, true);
    for month in WindowId::MONTHS {
        let label = periods.full(month).month_label();
        let only = engine::run_issued(
            &book.rules,
            &periods,
            &data,
            Figures::AdCreditsOf(month),
            &Issued::NONE,
        );
        assert_eq!(only.lines.len(), full.lines.len());
        let mut shown = 0;
        for (a, b) in full.lines.iter().zip(&only.lines) {
            if a.kind == Kind::AdCredit && a.period == label {
                assert!(
                    !b.steps.is_empty(),
                    "{} {} {}",
                    b.partner_id,
                    b.program,
                    b.period
                );
                assert_eq!(a, b);
                shown += 1;
            } else {
                assert!(
                    b.steps.is_empty() && b.detail.is_none(),
                    "{} {}",
                    b.program,
                    b.period
                );
                assert_eq!(
                    (&a.amount, &a.basis, &a.program),
                    (&b.amount, &b.basis, &b.program)
                );
            }
        }
        // Short-video and affiliate lines of the month for every partner; the consistency
        // line with December's.
        assert!(shown >= 2 * only.partners.len(), "{label}: {shown}");
    }
}

/// Every output file of a run with `threads` threads (reading and writing), with what it
/// printed.
fn run_outputs(
    dir: &std::path::Path,
    threads: &str,
    args: &[&str],
) -> (std::collections::BTreeMap<String, Vec<u8>>, Vec<u8>) {
    let out = tempfile::tempdir().unwrap();
    let run = bin()
        .env("TSP_PAYOUT_THREADS", threads)
        .args(args)
        .arg(dir)
        .arg("--out")
        .arg(out.path().join("run"))
        .assert()
        .success();
    (
        snapshot(&out.path().join("run")),
        run.get_output().stdout.clone(),
    )
}

/// The files of a run are rendered and written by several threads: every file, its bytes
/// and the manifest (which lists each file with its sha256, in one order) are the same as
/// one thread writes them.
#[test]
fn outputs_written_by_several_threads_are_identical() {
    let dir = data_dir(&[
        ("gmv_daily.csv", &gmv_rows(true)),
        (
            "partners.csv",
            "partner_id,partner_name\nP01,First\nP02,Second\n",
        ),
    ]);
    let commands: [&[&str]; 3] = [
        &["calc", "--skip-invalid", "--html"],
        &[
            "statements",
            "--skip-invalid",
            "--month",
            "2025-10",
            "--html",
        ],
        &["statements", "--skip-invalid", "--month", "2025-12"],
    ];
    for args in commands {
        let (single, printed) = run_outputs(dir.path(), "1", args);
        // 37 partners: a file per partner (and an HTML page with --html), so the threads
        // have many files to share.
        let per_partner = single
            .keys()
            .filter(|k| k.starts_with("statements/") || k.starts_with("html/"))
            .count();
        assert!(per_partner >= 37, "{args:?}: {:?}", single.keys());
        let manifest = String::from_utf8(single["manifest.json"].clone()).unwrap();
        let first = single
            .keys()
            .find(|k| k.starts_with("statements/"))
            .unwrap();
        assert!(manifest.contains(first.as_str()), "{manifest}");
        for threads in ["2", "3"] {
            let (several, printed_several) = run_outputs(dir.path(), threads, args);
            assert_eq!(
                single.keys().collect::<Vec<_>>(),
                several.keys().collect::<Vec<_>>(),
                "{args:?} at {threads} threads"
            );
            for (name, bytes) in &single {
                assert!(
                    bytes == &several[name],
                    "{name} differs between 1 and {threads} threads ({args:?})"
                );
            }
            assert_eq!(printed, printed_several, "{args:?} at {threads} threads");
        }
    }
}
