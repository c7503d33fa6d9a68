use clap::Parser;
use std::io::Write;
use std::process::ExitCode;
use tsp_payout::cmd::{self, Cli, Command};

fn main() -> ExitCode {
    let cli = Cli::parse();
    tsp_payout::report::clean_up_on_interrupt();
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    // Not locked for the whole run: the progress bar draws on stderr from the ingest thread.
    let mut err = std::io::stderr();
    let result = match &cli.command {
        Command::Calc(args) => cmd::calc::run(args, &mut out, &mut err),
        Command::Statements(args) => cmd::statements::run(args, &mut out, &mut err),
        Command::Whatif(args) => cmd::whatif::run(args, &mut out, &mut err),
        Command::Close(args) => cmd::close::run(args, &mut out, &mut err),
        Command::Ledger(args) => cmd::ledger::run(args, &mut out, &mut err),
        Command::Explain(args) => cmd::explain::run(args, &mut out, &mut err),
        Command::Validate(args) => cmd::validate::run(args, &mut out, &mut err),
        Command::Verify(args) => cmd::verify::run(args, &mut out),
        Command::Book(args) => cmd::book::run(args, &mut out),
        Command::Completions(args) => cmd::completions::run(args, &mut out),
        Command::Man(args) => cmd::man::run(args, &mut out),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            let _ = writeln!(err, "tsp-payout: {}", e.shown());
            ExitCode::from(e.exit_code())
        }
    }
}
