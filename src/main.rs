use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;
use tsp_payout::app::{
    self, AppError, CalcArgs, DataArgs, ExplainArgs, Format, MaxRejects, StatementsArgs,
    ValidateArgs, WhatifArgs,
};

/// Computes TikTok Shop Partner Q4 incentive payouts from daily-GMV CSV exports.
#[derive(Parser)]
#[command(name = "tsp-payout", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// The data, evaluation date and book every computing command reads.
#[derive(Args)]
struct Run {
    /// Directory holding gmv_daily.csv and the optional input files.
    data_dir: PathBuf,
    /// Evaluation date (YYYY-MM-DD) inside the program period; defaults to its end.
    #[arg(long, value_parser = parse_date)]
    as_of: Option<chrono::NaiveDate>,
    /// Program book (TOML) to use instead of the embedded Q4 2025 book.
    #[arg(long)]
    book: Option<PathBuf>,
    /// Reject bad rows (into rejects.csv with --out) and go on, instead of stopping.
    #[arg(long)]
    skip_invalid: bool,
    /// With --skip-invalid: the most rows of one file that may be rejected, as a count (50)
    /// or a share of its rows (0.5%); more stops the run (exit 65). Default 1%.
    #[arg(long, requires = "skip_invalid", value_parser = parse_max_rejects)]
    max_rejects: Option<MaxRejects>,
    /// Accept days without gmv_daily.csv rows as days without sales; every line whose
    /// windows hold such a day says so in its basis.
    #[arg(long)]
    allow_gaps: bool,
}

impl Run {
    fn data(&self) -> DataArgs<'_> {
        DataArgs {
            data_dir: &self.data_dir,
            as_of: self.as_of,
            skip_invalid: self.skip_invalid,
            allow_gaps: self.allow_gaps,
            max_rejects: self.max_rejects.unwrap_or_default(),
        }
    }
}

/// Where a command writes its files.
#[derive(Args)]
struct Out {
    /// Write the command's files into this directory.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Replace the previous run in the --out directory (for statements: only the same
    /// month's files), or everything in a directory that holds files but no manifest.json.
    #[arg(long)]
    force: bool,
}

#[derive(Subcommand)]
enum Command {
    /// Compute every program's payouts: a per-partner table, and with --out payouts.csv,
    /// statements/<partner_id>.json and manifest.json.
    Calc {
        #[command(flatten)]
        run: Run,
        #[command(flatten)]
        out: Out,
        /// What to print on standard output.
        #[arg(long, value_enum, default_value_t = FormatArg::Table)]
        format: FormatArg,
        /// Also write one HTML statement per partner and an index to DIR/html (needs --out).
        #[arg(long)]
        html: bool,
    },
    /// The monthly ad-credit statement: short-video, affiliate and consistency credits per
    /// partner for one ended month, with the quarter to date; with --out
    /// credit_statement_YYYY-MM.csv and statements/YYYY-MM/<partner_id>.md.
    Statements {
        #[command(flatten)]
        run: Run,
        /// The month (YYYY-MM), one of the program's months, ended by --as-of.
        #[arg(long)]
        month: String,
        #[command(flatten)]
        out: Out,
        /// Also write one HTML statement per partner and an index to DIR/html/YYYY-MM
        /// (needs --out).
        #[arg(long)]
        html: bool,
    },
    /// Dry run: compare the payouts as they are with the payouts under a scenario
    /// (GMV adjustments, added rows, dropped partners, book overrides); with --out
    /// whatif.csv and manifest.json, nothing otherwise.
    Whatif {
        #[command(flatten)]
        run: Run,
        /// Scenario file (TOML); see fixtures/scenarios/ for examples.
        #[arg(long)]
        scenario: PathBuf,
        #[command(flatten)]
        out: Out,
        /// What to print on standard output.
        #[arg(long, value_enum, default_value_t = FormatArg::Table)]
        format: FormatArg,
    },
    /// Show every program's figures for one partner, step by step, with the book values.
    Explain {
        #[command(flatten)]
        run: Run,
        /// The partner_id to explain.
        #[arg(long)]
        partner: String,
    },
    /// Check every input file and print every problem found.
    Validate {
        /// Directory holding gmv_daily.csv and the optional input files.
        data_dir: PathBuf,
        /// Program book (TOML) whose windows decide which rows are outside.
        #[arg(long)]
        book: Option<PathBuf>,
        /// Evaluation date (YYYY-MM-DD) inside the program period; defaults to its end.
        #[arg(long, value_parser = parse_date)]
        as_of: Option<chrono::NaiveDate>,
        /// Report days without gmv_daily.csv rows as accepted, not as problems.
        #[arg(long)]
        allow_gaps: bool,
    },
    /// Check a run directory against its manifest.json: every listed file present with
    /// its size and sha256, and no other file (exit 65 naming each one that is not).
    Verify {
        /// The run directory (an --out directory).
        dir: PathBuf,
    },
    /// Print the embedded program book (or check and print another with --book), as TOML
    /// or as the Rules page (Markdown) rendered from it.
    Book {
        /// Program book (TOML) to check and print instead of the embedded Q4 2025 book.
        #[arg(long)]
        book: Option<PathBuf>,
        /// `toml`: the book as written; `md`: the Rules page, every number marked (P)
        /// published or (A) assumed, with its sources.
        #[arg(long, value_enum, default_value_t = BookFormatArg::Toml)]
        format: BookFormatArg,
    },
    /// Print a shell completion script, e.g. `tsp-payout completions bash >
    /// ~/.local/share/bash-completion/completions/tsp-payout`.
    Completions {
        /// The shell to complete for.
        shell: clap_complete::Shell,
    },
    /// Print the manual page (roff), e.g. `tsp-payout man > tsp-payout.1 && man ./tsp-payout.1`;
    /// with --dir, write it and one page per command (tsp-payout-calc.1, …) into DIR.
    Man {
        /// Directory to write every page into (created if missing).
        #[arg(long)]
        dir: Option<PathBuf>,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum BookFormatArg {
    Toml,
    Md,
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

fn parse_max_rejects(s: &str) -> Result<MaxRejects, String> {
    s.parse()
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
            run,
            out: to,
            format,
            html,
        } => app::calc(
            &CalcArgs {
                data: run.data(),
                book: run.book.as_deref(),
                out: to.out.as_deref(),
                format: (*format).into(),
                force: to.force,
                html: *html,
            },
            &mut out,
            &mut err,
        ),
        Command::Statements {
            run,
            month,
            out: to,
            html,
        } => app::statements(
            &StatementsArgs {
                data: run.data(),
                book: run.book.as_deref(),
                month,
                out: to.out.as_deref(),
                force: to.force,
                html: *html,
            },
            &mut out,
            &mut err,
        ),
        Command::Whatif {
            run,
            scenario,
            out: to,
            format,
        } => app::whatif(
            &WhatifArgs {
                data: run.data(),
                book: run.book.as_deref(),
                scenario,
                out: to.out.as_deref(),
                format: (*format).into(),
                force: to.force,
            },
            &mut out,
            &mut err,
        ),
        Command::Explain { run, partner } => app::explain(
            &ExplainArgs {
                data: run.data(),
                book: run.book.as_deref(),
                partner,
            },
            &mut out,
            &mut err,
        ),
        Command::Validate {
            data_dir,
            book,
            as_of,
            allow_gaps,
        } => app::validate(
            &ValidateArgs {
                data_dir,
                book: book.as_deref(),
                as_of: *as_of,
                allow_gaps: *allow_gaps,
            },
            &mut out,
            &mut err,
        ),
        Command::Verify { dir } => app::verify(dir, &mut out),
        Command::Book { book, format } => app::book(
            book.as_deref(),
            match format {
                BookFormatArg::Toml => app::BookFormat::Toml,
                BookFormatArg::Md => app::BookFormat::Md,
            },
            &mut out,
        ),
        Command::Completions { shell } => {
            let mut text = Vec::new();
            clap_complete::generate(*shell, &mut Cli::command(), "tsp-payout", &mut text);
            app::emit(&mut out, &String::from_utf8_lossy(&text))
        }
        Command::Man { dir: Some(dir) } => std::fs::create_dir_all(dir)
            .and_then(|()| clap_mangen::generate_to(Cli::command(), dir))
            .map_err(|source| AppError::ManPages {
                dir: dir.clone(),
                source,
            }),
        Command::Man { dir: None } => {
            let mut text = Vec::new();
            clap_mangen::Man::new(Cli::command())
                .render(&mut text)
                .expect("rendering into memory cannot fail");
            app::emit(&mut out, &String::from_utf8_lossy(&text))
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // A message may quote input (a partner id, a value): shown without controls.
            let message = tsp_payout::report::escape::shown_lines(&e.to_string()).into_owned();
            let _ = writeln!(err, "tsp-payout: {message}");
            ExitCode::from(e.exit_code())
        }
    }
}
