//! `explain`: one partner's figures, program by program, step by step.

use super::flags::DataFlags;
use super::load::{load_book, Shown};
use super::{emit_human, AppError};
use crate::payout::Figures;
use crate::report;
use std::io::Write;

/// Show every program's figures for one partner, step by step, with the book values.
#[derive(clap::Args)]
#[command(
    after_long_help = super::help::after_data(&[
        ("tsp-payout explain exports/ --partner P01", "every figure behind P01's payouts"),
        ("tsp-payout explain exports/ --partner P01 --as-of 2025-11-30", "the same, evaluated on 30 November"),
    ]),
    mut_arg("skip_invalid", |a| a.help("Leave out bad rows (listed on standard error) and go on, instead of stopping"))
)]
pub struct Args {
    #[command(flatten)]
    data: DataFlags,
    /// The partner_id to explain.
    #[arg(long)]
    partner: String,
    #[command(flatten)]
    ledger: super::ledger::LedgerFlags,
}

/// Every program's figures for one partner, as a tree.
pub fn run(args: &Args, out: &mut dyn Write, err: &mut dyn Write) -> Result<(), AppError> {
    let book = load_book(args.data.book.as_deref())?;
    let shown = Shown {
        figures: Figures::All,
        hashes: false,
    };
    let (run, provenance, _) =
        super::ledger::compute_with_ledger(book, &args.data, &args.ledger, shown, err)?;
    let partners = &run.outcome.partners;
    if !partners.contains_key(&args.partner) {
        let known: Vec<&str> = partners.keys().map(String::as_str).take(20).collect();
        let more = if partners.len() > known.len() {
            ", …"
        } else {
            ""
        };
        return Err(AppError::Usage(format!(
            "--partner {:?} is not a partner of this run (partners: {}{more})",
            args.partner,
            known.join(", ")
        )));
    }
    let mut text = report::explain_text(&run.outcome, &run.info(), &args.partner);
    text.push_str(provenance.as_deref().unwrap_or(""));
    emit_human(out, &text)
}
