use clap::{Parser, Subcommand, ValueEnum};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use tsp_payout::app::{
    self, AppError, CalcArgs, DataArgs, ExplainArgs, Format, StatementsArgs, ValidateArgs,
    WhatifArgs,
};

/// Computes TikTok Shop Partner Q4 incentive payouts from daily-GMV CSV exports.
#[derive(Parser)]
#[command(name = "tsp-payout", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Compute every program's payouts: a per-partner table, and with --out the payout files.
    Calc {
        /// Directory holding gmv_daily.csv and the optional input files.
        data_dir: PathBuf,
        /// Write payouts.csv, statements/<partner_id>.json and manifest.json here.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Evaluation date (YYYY-MM-DD) inside the program period; defaults to its end.
        #[arg(long, value_parser = parse_date)]
        as_of: Option<chrono::NaiveDate>,
        /// Program book (TOML) to use instead of the embedded Q4 2025 book.
        #[arg(long)]
        book: Option<PathBuf>,
        /// What to print on standard output.
        #[arg(long, value_enum, default_value_t = FormatArg::Table)]
        format: FormatArg,
        /// Reject bad rows into rejects.csv and go on, instead of stopping.
        #[arg(long)]
        skip_invalid: bool,
        /// Replace a previous run in the --out directory.
        #[arg(long)]
        force: bool,
        /// Also write one HTML statement per partner and an index to DIR/html (needs --out).
        #[arg(long)]
        html: bool,
    },
    /// The monthly ad-credit statement: short-video, affiliate and consistency credits per
    /// partner for one ended month, with the quarter to date.
    Statements {
        /// Directory holding gmv_daily.csv and the optional input files.
        data_dir: PathBuf,
        /// The month (YYYY-MM), one of the program's months, ended by --as-of.
        #[arg(long)]
        month: String,
        /// Write credit_statement_YYYY-MM.csv and statements/YYYY-MM/<partner_id>.md here.
        #[arg(long)]
        out: Option<PathBuf>,
        /// Evaluation date (YYYY-MM-DD) inside the program period; defaults to its end.
        #[arg(long, value_parser = parse_date)]
        as_of: Option<chrono::NaiveDate>,
        /// Program book (TOML) to use instead of the embedded Q4 2025 book.
        #[arg(long)]
        book: Option<PathBuf>,
        /// Reject bad rows into rejects.csv and go on, instead of stopping.
        #[arg(long)]
        skip_invalid: bool,
        /// Replace a previous run in the --out directory.
        #[arg(long)]
        force: bool,
        /// Also write one HTML statement per partner and an index to DIR/html/YYYY-MM
        /// (needs --out).
        #[arg(long)]
        html: bool,
    },
    /// Dry run: compare the payouts as they are with the payouts under a scenario
    /// (GMV adjustments, added rows, dropped partners, book overrides).
    Whatif {
        /// Directory holding gmv_daily.csv and the optional input files.
        data_dir: PathBuf,
        /// Scenario file (TOML); see fixtures/scenarios/ for examples.
        #[arg(long)]
        scenario: PathBuf,
        /// Write whatif.csv and manifest.json here (nothing is written without it).
        #[arg(long)]
        out: Option<PathBuf>,
        /// Evaluation date (YYYY-MM-DD) inside the program period; defaults to its end.
        #[arg(long, value_parser = parse_date)]
        as_of: Option<chrono::NaiveDate>,
        /// Program book (TOML) to use as the baseline instead of the embedded one.
        #[arg(long)]
        book: Option<PathBuf>,
        /// What to print on standard output.
        #[arg(long, value_enum, default_value_t = FormatArg::Table)]
        format: FormatArg,
        /// Reject bad rows (into rejects.csv with --out) and go on, instead of stopping.
        #[arg(long)]
        skip_invalid: bool,
        /// Replace a previous run in the --out directory.
        #[arg(long)]
        force: bool,
    },
    /// Show every program's figures for one partner, step by step, with the book values.
    Explain {
        /// Directory holding gmv_daily.csv and the optional input files.
        data_dir: PathBuf,
        /// The partner_id to explain.
        #[arg(long)]
        partner: String,
        /// Evaluation date (YYYY-MM-DD) inside the program period; defaults to its end.
        #[arg(long, value_parser = parse_date)]
        as_of: Option<chrono::NaiveDate>,
        /// Program book (TOML) to use instead of the embedded Q4 2025 book.
        #[arg(long)]
        book: Option<PathBuf>,
        /// Leave bad rows out and go on, instead of stopping.
        #[arg(long)]
        skip_invalid: bool,
    },
    /// Check every input file and print every problem found.
    Validate {
        data_dir: PathBuf,
        #[arg(long)]
        book: Option<PathBuf>,
        #[arg(long, value_parser = parse_date)]
        as_of: Option<chrono::NaiveDate>,
    },
    /// Print the embedded program book (or check and print another with --book).
    Book {
        #[arg(long)]
        book: Option<PathBuf>,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum FormatArg {
    Table,
    Csv,
    Json,
}

impl From<FormatArg> for Format {
    fn from(f: FormatArg) -> Format {
        match f {
            FormatArg::Table => Format::Table,
            FormatArg::Csv => Format::Csv,
            FormatArg::Json => Format::Json,
        }
    }
}

fn parse_date(s: &str) -> Result<chrono::NaiveDate, String> {
    tsp_payout::input::reader::parse_date(s)
        .ok_or_else(|| format!("{s:?} is not a date (YYYY-MM-DD)"))
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    tsp_payout::report::clean_up_on_interrupt();
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    // Not locked for the whole run: the progress bar draws on stderr from the ingest thread.
    let mut err = std::io::stderr();
    let result: Result<(), AppError> = match &cli.command {
        Command::Calc {
            data_dir,
            out: out_dir,
            as_of,
            book,
            format,
            skip_invalid,
            force,
            html,
        } => app::calc(
            &CalcArgs {
                data: DataArgs {
                    data_dir,
                    as_of: *as_of,
                    skip_invalid: *skip_invalid,
                },
                book: book.as_deref(),
                out: out_dir.as_deref(),
                format: (*format).into(),
                force: *force,
                html: *html,
            },
            &mut out,
            &mut err,
        ),
        Command::Statements {
            data_dir,
            month,
            out: out_dir,
            as_of,
            book,
            skip_invalid,
            force,
            html,
        } => app::statements(
            &StatementsArgs {
                data: DataArgs {
                    data_dir,
                    as_of: *as_of,
                    skip_invalid: *skip_invalid,
                },
                book: book.as_deref(),
                month,
                out: out_dir.as_deref(),
                force: *force,
                html: *html,
            },
            &mut out,
            &mut err,
        ),
        Command::Whatif {
            data_dir,
            scenario,
            out: out_dir,
            as_of,
            book,
            format,
            skip_invalid,
            force,
        } => app::whatif(
            &WhatifArgs {
                data: DataArgs {
                    data_dir,
                    as_of: *as_of,
                    skip_invalid: *skip_invalid,
                },
                book: book.as_deref(),
                scenario,
                out: out_dir.as_deref(),
                format: (*format).into(),
                force: *force,
            },
            &mut out,
            &mut err,
        ),
        Command::Explain {
            data_dir,
            partner,
            as_of,
            book,
            skip_invalid,
        } => app::explain(
            &ExplainArgs {
                data: DataArgs {
                    data_dir,
                    as_of: *as_of,
                    skip_invalid: *skip_invalid,
                },
                book: book.as_deref(),
                partner,
            },
            &mut out,
            &mut err,
        ),
        Command::Validate {
            data_dir,
            book,
            as_of,
        } => app::validate(
            &ValidateArgs {
                data_dir,
                book: book.as_deref(),
                as_of: *as_of,
            },
            &mut out,
            &mut err,
        ),
        Command::Book { book } => app::book(book.as_deref(), &mut out),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let _ = writeln!(err, "tsp-payout: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}
