//! `verify`: a run directory against its manifest.

use super::{emit_human, AppError};
use crate::report;
use std::io::Write;
use std::path::PathBuf;

/// Check a run directory against its manifest.json: every listed file present with
/// its size and sha256, and no other file (exit 65 naming each one that is not).
#[derive(clap::Args)]
#[command(after_long_help = super::help::after(
    &[("tsp-payout verify run-q4", "check run-q4/ against its manifest.json")],
    Some("Input: DIR, the --out directory of a run, with the manifest.json the run wrote.".into()),
))]
pub struct Args {
    /// The run directory (an --out directory).
    dir: PathBuf,
}

/// Checks a run directory against its manifest: prints each missing, extra or changed
/// file (exit 65), or that every listed file matches.
pub fn run(args: &Args, out: &mut dyn Write) -> Result<(), AppError> {
    let dir = &args.dir;
    let found = report::verify(dir)?;
    let mut text = String::new();
    for p in &found.problems {
        text.push_str(p);
        text.push('\n');
    }
    if found.problems.is_empty() {
        text.push_str(&format!(
            "ok: {} file(s) match {}\n",
            found.checked,
            dir.join("manifest.json").display()
        ));
    }
    emit_human(out, &text)?;
    if !found.problems.is_empty() {
        return Err(AppError::ProblemsFound {
            count: found.problems.len(),
        });
    }
    Ok(())
}
