//! `whatif`: the payouts as they are beside the payouts under a scenario.

use super::flags::{DataFlags, Format, OutFlags};
use super::load::{compute_issued, load_scenario, BookText, Shown};
use super::{emit, emit_human, note, AppError};
use crate::engine::Issued;
use crate::input::{self, DataSet};
use crate::report::{self, RunFiles, RunKind};
use std::io::Write;
use std::path::PathBuf;

/// Dry run: compare the payouts as they are with the payouts under a scenario
/// (GMV adjustments, added rows, dropped partners, book overrides); with --out
/// whatif.csv and manifest.json, nothing otherwise.
#[derive(clap::Args)]
pub struct Args {
    #[command(flatten)]
    data: DataFlags,
    /// Scenario file (TOML); see fixtures/scenarios/ for examples.
    #[arg(long)]
    scenario: PathBuf,
    #[command(flatten)]
    to: OutFlags,
    /// What to print on standard output.
    #[arg(long, value_enum, default_value_t = Format::Table)]
    format: Format,
    #[command(flatten)]
    ledger: super::ledger::LedgerFlags,
}

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
    let scenario = load_scenario(&args.scenario)?;
    let book = BookText::read(args.data.book.as_deref())?;
    let (base_book, _) = book.book(None)?;
    let (alt_book, overrides) = book.book(Some(&scenario))?;
    let shown = Shown {
        figures: false,
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
        a.show_issued(&mut alt.outcome, shown.figures);
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
        let kind = RunKind {
            command: "whatif",
            month: None,
        };
        report::write_run(dir, kind, &files, manifest, args.to.force)?;
    }
    match args.format {
        Format::Table => emit_human(out, &report::whatif::whatif_table(&cmp, &info)),
        Format::Csv => emit(out, &report::whatif::whatif_csv(&cmp)),
        Format::Json => emit(out, &report::whatif::whatif_json(&cmp, &info)),
    }
}
