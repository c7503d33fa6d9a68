//! `whatif`: the payouts as they are beside the payouts under a scenario.

use super::flags::{written_text, DataFlags, Format, OutFlags};
use super::load::{compute_issued, load_scenario, BookText, Shown};
use super::{emit, emit_human, note, AppError};
use crate::engine::Issued;
use crate::input::{self, DataSet};
use crate::payout::Figures;
use crate::report::{self, RunFiles, RunKind};
use std::io::Write;
use std::path::PathBuf;

/// Dry run: compare the payouts as they are with the payouts under a scenario
/// (GMV adjustments, added rows, dropped partners, book overrides); with --out
/// whatif.csv and manifest.json, nothing otherwise.
#[derive(clap::Args)]
#[command(after_long_help = super::help::after(
    &[
        ("tsp-payout whatif exports/ --scenario bfcm-plus-20.toml", "the payouts that change if BFCM sells 20% more"),
        ("tsp-payout whatif exports/ --scenario s.toml --all --format csv", "every partner and program, as CSV"),
    ],
    Some(format!("{}\n\n{}", super::help::input_files(), SCENARIO_FORMAT)),
))]
pub struct Args {
    #[command(flatten)]
    data: DataFlags,
    /// Scenario file (TOML): `name`, `description`, `drop_partners = [ids]`; `[[adjust]]`
    /// tables scale gmv_daily.csv rows (partner, seller, from, to, channels, factor);
    /// `[[add]]` tables add rows (partner, seller, date or from/to, gmv and channels);
    /// `[book.SECTION]` tables override program-book keys. The format is in --help.
    #[arg(long)]
    scenario: PathBuf,
    #[command(flatten)]
    to: OutFlags,
    /// What to print on standard output.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
    /// In the table, list every partner × program, not only those whose amount changes
    /// (the CSV and JSON always hold every row).
    #[arg(long)]
    all: bool,
    #[command(flatten)]
    ledger: super::ledger::LedgerFlags,
}

/// The scenario format, for `whatif --help`.
const SCENARIO_FORMAT: &str = r#"Scenario file (TOML); every key optional:
  name = "short title"             # defaults to the file name
  description = "free text"
  drop_partners = ["P09"]          # removed from every file
  [[adjust]]                       # scales the gmv_daily.csv rows it matches
  partner = "P01"                  # omit for every partner
  seller = "S0101"                 # needs partner
  from = 2025-11-12                # inclusive, TOML date or "YYYY-MM-DD"
  to = 2025-12-01                  # inclusive
  channels = ["short_video_gmv"]   # short_video_gmv, live_gmv, affiliate_gmv
  factor = "1.2"                   # 0..1000, at most 8 decimals
  [[add]]                          # rows added to gmv_daily.csv, one per day
  partner = "P05"
  seller = "S0599"
  date = 2025-11-01                # or from = ... and to = ...
  gmv = "12000.00"                 # short_video_gmv, live_gmv, affiliate_gmv optional
  new_partner = false              # true: a partner the data does not have
  replace = false                  # true: stands in place of the file's row of that day
  add_to = false                   # true: added to the file's row of that day
  [book.affiliate_credits]         # any key of the program book (tsp-payout book)
  max_sellers = 100"#;

const KIND: RunKind = RunKind {
    command: "whatif",
    month: None,
};

/// Q4 sums (cut at the evaluation date) of every partner and channel.
fn q4_inputs(data: &DataSet) -> input::Channels {
    data.partners
        .values()
        .fold(input::Channels::default(), |acc, p| {
            acc.plus(&p.total(crate::window::WindowId::Q4))
        })
}

/// Runs the data as given and under the scenario, and compares the two per partner and
/// program. Writes whatif.csv and manifest.json only with --out.
pub fn run(args: &Args, out: &mut dyn Write, err: &mut dyn Write) -> Result<(), AppError> {
    args.to
        .check_apart(&args.data, &[args.scenario.as_path()])?;
    args.to.preflight(KIND)?;
    let scenario = load_scenario(&args.scenario)?;
    let book = BookText::read(args.data.book.as_deref())?;
    let (base_book, _) = book.book(None)?;
    let (alt_book, overrides) = book.book(Some(&scenario))?;
    let shown = Shown {
        figures: Figures::None,
        hashes: args.to.out.is_some(),
    };
    // With a ledger, closed periods are issued on both sides: the scenario moves the open
    // ones, whose affiliate true-up is taken against what the ledger issued.
    let (baseline, provenance, applied) =
        super::ledger::compute_with_ledger(base_book, &args.data, &args.ledger, shown, err)?;
    if let Some(p) = &provenance {
        note(err, p);
    }
    scenario.check_partners(&baseline.data)?;
    // Same files, so the same reconciliation and errors: shown only if this run fails.
    let mut diagnostics = Vec::new();
    let nothing_closed = Issued::default();
    let issued = applied.as_ref().map_or(&nothing_closed, |a| &a.issued);
    let mut alt = compute_issued(
        alt_book,
        &args.data,
        Some(&scenario),
        shown,
        issued,
        &mut diagnostics,
    )
    .inspect_err(|_| {
        note(err, &String::from_utf8_lossy(&diagnostics));
    })?;
    if let Some(a) = &applied {
        a.show_issued(&mut alt.outcome, shown.figures != Figures::None);
    }
    let cmp = report::whatif::compare(&baseline.outcome, &alt.outcome);
    let changes = scenario.describe();
    let info = report::whatif::WhatifInfo {
        name: &scenario.name,
        source: &scenario.source_name,
        sha256: &scenario.sha256,
        description: scenario.description.as_deref(),
        changes: &changes,
        overrides: &overrides,
        baseline: baseline.info(),
        scenario: alt.info(),
        inputs: (q4_inputs(&baseline.data), q4_inputs(&alt.data)),
        baseline_skips: (&baseline.outcome.skipped, &baseline.outcome.not_evaluated),
        scenario_skips: (&alt.outcome.skipped, &alt.outcome.not_evaluated),
    };
    if let Some(dir) = &args.to.out {
        let mut files = RunFiles::default();
        files.add("whatif.csv", report::whatif::whatif_csv(&cmp));
        let base_manifest = baseline.finish_files(&mut files, "rejects.csv");
        let manifest = report::whatif::whatif_manifest(&base_manifest, &cmp, &info);
        report::write_run(dir, KIND, &files, manifest, args.to.force)?;
        if !args.data.quiet {
            let mut names = files.names();
            names.push(report::MANIFEST.to_string());
            note(err, &written_text(dir, &names));
        }
    }
    match args.format {
        Format::Table => emit_human(
            out,
            &report::whatif::whatif_table(
                &cmp,
                &info,
                report::whatif::WhatifRows { all: args.all },
            ),
        ),
        Format::Csv => emit(out, &report::whatif::whatif_csv(&cmp)),
        Format::Json => emit(out, &report::whatif::whatif_json(&cmp, &info)),
    }
}
