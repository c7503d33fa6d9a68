//! The long help (`--help`) every command ends with: examples, the input files it reads
//! with their columns, and the exit codes. Built from the input registry, so the columns
//! listed are the columns read.

use crate::input::InputFile;

const EXIT_CODES: &str = "Exit codes:
  0   ok
  2   usage: a bad flag, date, month, program book or scenario
  65  bad data: an input row, a file or a run directory that does not check out
  66  missing input: a data directory, required file, book or scenario that cannot be read
  74  output error: --out cannot be written (a file, a held run, a lock), or stdout";

/// The data directory's files, each with its columns and whether it is required.
pub(crate) fn input_files() -> String {
    let mut out = String::from(
        "Input files in DATA_DIR (CSV, UTF-8, a header row; columns in any order, extra \
         columns ignored; dates YYYY-MM-DD; amounts like 1234.56 or \"$1,234.56\"):\n",
    );
    for file in InputFile::ALL {
        out.push_str(&format!(
            "  {:<22} {:<9} {}\n",
            file.name(),
            if file.required() {
                "required"
            } else {
                "optional"
            },
            file.columns().join(", ")
        ));
    }
    out.push_str("  A missing optional file skips the programs that need it (listed as skipped).");
    out
}

/// The long help's end: `examples` (one command a line, each with a comment), the input
/// files when the command reads a data directory (`inputs`), and the exit codes.
pub(crate) fn after(examples: &[(&str, &str)], inputs: Option<String>) -> String {
    let mut out = String::from("Examples:\n");
    for (command, what) in examples {
        out.push_str(&format!("  # {what}\n  {command}\n"));
    }
    out.push('\n');
    if let Some(inputs) = inputs {
        out.push_str(&inputs);
        out.push_str("\n\n");
    }
    out.push_str(EXIT_CODES);
    out
}

/// [`after`] for a command that reads a data directory.
pub(crate) fn after_data(examples: &[(&str, &str)]) -> String {
    after(examples, Some(input_files()))
}
