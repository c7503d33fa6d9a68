//! Runs programs over the aggregated inputs and collects their payout lines. What a program
//! is and what it produces live below it (`programs`, `payout`); this module only runs them.

use crate::book::Rules;
use crate::input::{DataSet, InputFile};
use crate::money::Money;
pub use crate::payout::{Context, Detail, Evaluation, Figures, Issued, Kind, Line, Skip, Step};
use crate::programs::{self, Program, ProgramInfo};
use crate::window::Periods;
use std::collections::BTreeMap;

#[derive(Debug)]
pub struct Outcome {
    pub lines: Vec<Line>,
    pub skipped: Vec<Skip>,
    pub not_evaluated: Vec<Skip>,
    /// Every partner of the run with its display name.
    pub partners: BTreeMap<String, String>,
    /// The payouts of the programs the run was given, in report order, whether they wrote
    /// lines, were skipped or not evaluated: every output lists its programs from here.
    pub programs: Vec<&'static ProgramInfo>,
}

impl Outcome {
    /// A partner's lines: a slice of `lines`, which `run` keeps sorted by partner.
    pub fn lines_of(&self, partner_id: &str) -> std::slice::Iter<'_, Line> {
        let start = self
            .lines
            .partition_point(|l| l.partner_id.as_str() < partner_id);
        let len = self.lines[start..].partition_point(|l| l.partner_id == partner_id);
        self.lines[start..start + len].iter()
    }

    pub fn total(&self, partner_id: Option<&str>, kind: Kind) -> Money {
        let lines = match partner_id {
            Some(p) => self.lines_of(p),
            None => self.lines.iter(),
        };
        lines.filter(|l| l.kind == kind).map(|l| l.amount).sum()
    }

    pub fn program_total(&self, partner_id: &str, program: &str) -> Money {
        self.lines_of(partner_id)
            .filter(|l| l.program == program)
            .map(|l| l.amount)
            .sum()
    }

    /// The payouts that ran (neither skipped nor not evaluated), in report order: the
    /// columns of the payout table and the keys of `by_program`.
    pub fn evaluated(&self) -> impl Iterator<Item = &'static ProgramInfo> + '_ {
        self.programs
            .iter()
            .copied()
            .filter(|p| !self.is_skipped(p.id))
    }

    /// The report position of a payout id (unknown ids last).
    pub fn order(&self, program: &str) -> usize {
        self.programs
            .iter()
            .position(|p| p.id == program)
            .unwrap_or(usize::MAX)
    }

    pub fn is_skipped(&self, program: &str) -> bool {
        self.skipped
            .iter()
            .chain(&self.not_evaluated)
            .any(|s| s.program == program)
    }
}

type Evaluated = Option<(Evaluation, Vec<(&'static str, String)>)>;

/// Evaluates the programs on two threads (they are independent and read the same data);
/// each result lands in its program's slot, so the outcome does not depend on timing.
/// `None` for a program whose optional input file is missing. Each program's lines come
/// back with their gap notes and in the outcome's order (partner, payout, period).
fn evaluate_all(programs: &[Box<dyn Program>], ctx: &Context) -> Vec<Evaluated> {
    let gaps = GapNotes::of(ctx.periods, ctx.data);
    let next = std::sync::atomic::AtomicUsize::new(0);
    let work = || {
        let mut done = Vec::new();
        loop {
            let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let Some(program) = programs.get(i) else {
                return done;
            };
            let runs = programs::needs(program.as_ref()).all(|f| ctx.data.present(f));
            let result = runs.then(|| {
                let mut evaluation = program.evaluate(ctx);
                let not_evaluated = match &mut evaluation {
                    Evaluation::Lines(lines) => {
                        if let Some(gaps) = &gaps {
                            gaps.note(lines, program.payouts());
                        }
                        sort_lines(lines, program.payouts());
                        program.not_evaluated(ctx)
                    }
                    _ => Vec::new(),
                };
                (evaluation, not_evaluated)
            });
            done.push((i, result));
        }
    };
    let mut slots: Vec<Evaluated> = programs.iter().map(|_| None).collect();
    std::thread::scope(|scope| {
        let helper = scope.spawn(work);
        let mine = work();
        let theirs = helper.join().expect("a program panicked");
        for (i, result) in mine.into_iter().chain(theirs) {
            slots[i] = result;
        }
    });
    slots
}

/// Puts one program's lines in the outcome's order: partner, then the report order of its
/// payouts, then period. Programs write them nearly so (partner by partner): a check
/// usually finds them in order, and only otherwise are they sorted.
fn sort_lines(lines: &mut [Line], payouts: &[&'static ProgramInfo]) {
    let order = |id: &str| payouts.iter().position(|p| p.id == id);
    let cmp = |a: &Line, b: &Line| {
        a.partner_id
            .cmp(&b.partner_id)
            .then_with(|| order(a.program).cmp(&order(b.program)))
            .then_with(|| a.period.cmp(&b.period))
    };
    if !lines.is_sorted_by(|a, b| cmp(a, b).is_le()) {
        lines.sort_by(cmp);
    }
}

/// Merges the programs' lines, each program's in the outcome's order, into one list in
/// that order: partner by partner, each program's lines in report order. A program's
/// payouts come after those of the programs before it, so concatenating each partner's
/// runs program by program keeps the payouts in report order.
fn merge_lines(runs: Vec<Vec<Line>>) -> Vec<Line> {
    let total = runs.iter().map(Vec::len).sum();
    let mut out = Vec::with_capacity(total);
    let mut rest: Vec<std::vec::IntoIter<Line>> = runs.into_iter().map(Vec::into_iter).collect();
    let mut counts = vec![0; rest.len()];
    loop {
        // The least partner_id among the programs' next lines, and how many lines of that
        // partner each program has next: each line is moved once, straight into `out`.
        let Some(partner) = rest
            .iter()
            .filter_map(|r| r.as_slice().first())
            .map(|l| l.partner_id.as_str())
            .min()
        else {
            return out;
        };
        for (count, r) in counts.iter_mut().zip(&rest) {
            *count = r
                .as_slice()
                .iter()
                .take_while(|l| l.partner_id == partner)
                .count();
        }
        for (&count, r) in counts.iter().zip(&mut rest) {
            out.extend(r.by_ref().take(count));
        }
    }
}
/// Runs every registered program (`programs::all`).
pub fn run(rules: &Rules, periods: &Periods, data: &DataSet, figures: bool) -> Outcome {
    run_programs(&programs::all(), rules, periods, data, figures)
}

/// Runs every registered program with what a ledger records as issued in closed periods
/// (the affiliate true-up is taken against it).
pub fn run_issued(
    rules: &Rules,
    periods: &Periods,
    data: &DataSet,
    figures: Figures,
    issued: &Issued,
) -> Outcome {
    run_with(&programs::all(), rules, periods, data, figures, issued)
}

/// Runs `programs`, in report order. The outcome lists their payouts, so a program given
/// here appears in every output.
pub fn run_programs(
    programs: &[Box<dyn Program>],
    rules: &Rules,
    periods: &Periods,
    data: &DataSet,
    figures: bool,
) -> Outcome {
    run_with(
        programs,
        rules,
        periods,
        data,
        figures.into(),
        &Issued::NONE,
    )
}

fn run_with(
    programs: &[Box<dyn Program>],
    rules: &Rules,
    periods: &Periods,
    data: &DataSet,
    figures: Figures,
    issued: &Issued,
) -> Outcome {
    let ctx = Context {
        rules,
        periods,
        data,
        figures,
        issued,
    };
    let mut outcome = Outcome {
        lines: Vec::new(),
        skipped: Vec::new(),
        not_evaluated: Vec::new(),
        partners: data
            .partners
            .iter()
            .map(|(id, p)| (id.clone(), p.name.clone().unwrap_or_default()))
            .collect(),
        programs: programs
            .iter()
            .flat_map(|p| p.payouts().iter().copied())
            .collect(),
    };
    // Partners the ledger issued to are partners of the run, in the data or not.
    for (partner_id, _) in issued.affiliate.keys() {
        outcome.partners.entry(partner_id.clone()).or_default();
    }
    let results = evaluate_all(programs, &ctx);
    let mut runs = Vec::with_capacity(results.len());
    for (program, result) in programs.iter().zip(results) {
        let Some((evaluation, not_evaluated)) = result else {
            let file = programs::needs(program.as_ref())
                .find(|f| !data.present(*f))
                .expect("a program is only left out for a missing file");
            for info in program.payouts() {
                outcome.skipped.push(Skip {
                    program: info.id,
                    reason: format!("no {}", file.name()),
                });
            }
            continue;
        };
        match evaluation {
            Evaluation::Lines(lines) => {
                runs.push(lines);
                for (program, reason) in not_evaluated {
                    outcome.not_evaluated.push(Skip { program, reason });
                }
            }
            Evaluation::NotEvaluated(reason) => {
                for info in program.payouts() {
                    outcome.not_evaluated.push(Skip {
                        program: info.id,
                        reason: reason.clone(),
                    });
                }
            }
            Evaluation::Skipped(reason) => {
                for info in program.payouts() {
                    outcome.skipped.push(Skip {
                        program: info.id,
                        reason: reason.clone(),
                    });
                }
            }
        }
    }
    outcome.lines = merge_lines(runs);
    outcome
}

/// The step a line carries when days of its windows had no gmv_daily.csv rows
/// (`--allow-gaps`).
pub const GAP_STEP: &str = "days without rows";

/// With gaps accepted (--allow-gaps), every line whose gmv_daily windows hold a day
/// without rows says how many such days its figures counted as days without sales.
struct GapNotes<'a> {
    periods: &'a Periods,
    coverage: &'a crate::input::Coverage,
}

impl<'a> GapNotes<'a> {
    /// `None` when gmv_daily.csv has no gap in an evaluated window.
    fn of(periods: &'a Periods, data: &'a DataSet) -> Option<GapNotes<'a>> {
        data.files
            .get(&InputFile::GmvDaily)
            .and_then(|r| r.coverage.as_ref())
            .filter(|c| !c.gaps.is_empty())
            .map(|coverage| GapNotes { periods, coverage })
    }

    /// Notes the gaps on one program's lines (`payouts` are the program's).
    fn note(&self, lines: &mut [Line], payouts: &[&'static ProgramInfo]) {
        // The note of each (payout, period) the lines hold: a handful.
        let mut notes: Vec<(&'static str, String, Option<String>)> = Vec::new();
        for line in lines {
            let known = notes
                .iter()
                .position(|(p, period, _)| *p == line.program && *period == line.period);
            let at = known.unwrap_or_else(|| {
                let windows = payouts
                    .iter()
                    .find(|p| p.id == line.program)
                    .map_or(Vec::new(), |p| (p.gmv_windows)(&line.period, self.periods))
                    .into_iter()
                    .filter_map(|w| self.periods.cut(w));
                let note = match self.coverage.missing_days_in(windows) {
                    0 => None,
                    n => Some(format!(
                        "{} without rows in gmv_daily.csv (counted as no sales)",
                        programs::plural(n, "day")
                    )),
                };
                notes.push((line.program, line.period.clone(), note));
                notes.len() - 1
            });
            let Some(note) = &notes[at].2 else {
                continue;
            };
            append_note(&mut line.basis, note);
            if let Some(b) = &mut line.partner_basis {
                append_note(b, note);
            }
            // Statements show steps, not the basis: the gap is a figure of its own there.
            if !line.steps.is_empty() {
                // Room for exactly one more: a doubled figure list per line was a large
                // run's biggest waste of memory.
                line.steps.reserve_exact(1);
                line.steps.push(Step::new(GAP_STEP, note.clone()));
            }
        }
    }
}

/// `basis; note`, without spare room: every line's basis is held until the run is written.
fn append_note(basis: &mut String, note: &str) {
    basis.reserve_exact(2 + note.len());
    basis.push_str("; ");
    basis.push_str(note);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::programs::testkit::{gmv, Fixture};
    use crate::programs::{Cadence, LineHead};
    use crate::report::{self, explain_text, payouts_table, RunInfo};

    /// A program that exists only in this test: a flat 123.45 ad credit per partner.
    struct Dummy;

    const DUMMY: ProgramInfo = ProgramInfo {
        id: "dummy_bonus",
        title: "Dummy bonus",
        kind: Kind::AdCredit,
        cadence: Cadence::Quarter,
        needs: &[],
        book_section: "dummy_bonus",
        gmv_windows: ProgramInfo::no_gmv_windows,
        rule: |_, _| programs::RuleText {
            issued: "ad credit, q4".into(),
            text: "a flat 123.45".into(),
        },
    };

    impl Program for Dummy {
        fn payouts(&self) -> &'static [&'static ProgramInfo] {
            &[&DUMMY]
        }

        fn evaluate(&self, ctx: &Context) -> Evaluation {
            let lines = ctx
                .data
                .partners
                .keys()
                .map(|partner_id| {
                    let head = LineHead {
                        partner_id,
                        program: &DUMMY,
                        period: "q4",
                        provisional: false,
                        figures: ctx.figures_for(DUMMY.kind, "q4"),
                    };
                    head.line(Money::from_cents(12_345), "a flat bonus".into(), || {
                        vec![Step::new("amount", "123.45")]
                    })
                })
                .collect();
            Evaluation::Lines(lines)
        }
    }

    /// Registering a program is all it takes for every output to show it: the outputs
    /// list the payouts of the programs the engine ran, not a list of their own.
    #[test]
    fn a_program_given_to_the_engine_appears_in_every_output() {
        let mut f = Fixture::new("2025-12-31");
        f.daily("2025-10-01", "2025-10-01", |d| gmv(d, "P1", "S1", "100.00"));
        let mut list = programs::all();
        list.push(Box::new(Dummy));
        let outcome = run_programs(&list, &f.book.rules, &f.periods, &f.data, true);
        assert_eq!(outcome.programs.last().map(|p| p.id), Some("dummy_bonus"));
        assert_eq!(
            outcome.total(Some("P1"), Kind::AdCredit),
            Money::from_cents(12_345)
        );

        let table = payouts_table(&outcome, f.periods.as_of, report::TableRows::default());
        let ad_credits = table
            .split("ad credits by program\n")
            .nth(1)
            .expect("the ad-credit table");
        let last_cell = |row: &str| {
            row.trim_end()
                .trim_end_matches('|')
                .rsplit('|')
                .next()
                .map(|c| c.trim().to_string())
        };
        // The last column, headed by the payout id one word a line.
        let mut header = ad_credits.lines();
        assert_eq!(
            header.next().and_then(last_cell).as_deref(),
            Some("dummy"),
            "{table}"
        );
        assert_eq!(
            header.next().and_then(last_cell).as_deref(),
            Some("bonus"),
            "{table}"
        );
        let p1 = ad_credits
            .lines()
            .find(|l| l.starts_with("| P1 "))
            .expect("P1 row");
        assert_eq!(last_cell(p1).as_deref(), Some("123.45"), "{table}");

        let info = RunInfo {
            as_of: f.periods.as_of,
            book: &f.book,
        };
        let json: serde_json::Value =
            serde_json::from_str(&report::payouts_json(&outcome, &info)).expect("json");
        assert_eq!(
            json["partners"][0]["by_program"]["dummy_bonus"],
            serde_json::json!("123.45"),
            "{json}"
        );

        let explained = explain_text(&outcome, &info, "P1");
        assert!(
            explained.contains("└─ dummy_bonus q4: 123.45 ad credit"),
            "{explained}"
        );

        let csv = report::payouts_csv(&outcome);
        assert!(
            csv.lines()
                .any(|l| l.starts_with("P1,,dummy_bonus,q4,ad_credit,123.45,false,")),
            "{csv}"
        );
    }

    /// A program that writes its lines out of order: the last partner first, its later
    /// period before its earlier one, and a second payout before its first.
    struct Shuffled;

    const FIRST: ProgramInfo = ProgramInfo {
        id: "shuffled_first",
        ..DUMMY
    };
    const SECOND: ProgramInfo = ProgramInfo {
        id: "shuffled_second",
        ..DUMMY
    };

    impl Program for Shuffled {
        fn payouts(&self) -> &'static [&'static ProgramInfo] {
            &[&FIRST, &SECOND]
        }

        fn evaluate(&self, ctx: &Context) -> Evaluation {
            let mut lines = Vec::new();
            for partner_id in ctx.data.partners.keys().rev() {
                for (program, period) in [(&SECOND, "q4"), (&FIRST, "2025-11"), (&FIRST, "2025-10")]
                {
                    let head = LineHead {
                        partner_id,
                        program,
                        period,
                        provisional: false,
                        figures: ctx.figures_for(program.kind, period),
                    };
                    lines.push(head.line(Money::from_cents(1), String::new(), Vec::new));
                }
            }
            Evaluation::Lines(lines)
        }
    }

    /// The outcome is in partner, report and period order whatever order each program
    /// writes its lines in, and every line is kept.
    #[test]
    fn lines_are_ordered_by_partner_payout_and_period_whatever_a_program_writes() {
        let mut f = Fixture::new("2025-12-31");
        for p in ["P3", "P1", "P2"] {
            f.daily("2025-10-01", "2025-10-01", |d| gmv(d, p, "S1", "100.00"));
        }
        let mut list = programs::all();
        list.insert(0, Box::new(Shuffled));
        list.push(Box::new(Dummy));
        let outcome = run_programs(&list, &f.book.rules, &f.periods, &f.data, false);
        let order = |id: &str| outcome.order(id);
        let mut expected: Vec<(String, usize, String)> = outcome
            .lines
            .iter()
            .map(|l| (l.partner_id.clone(), order(l.program), l.period.clone()))
            .collect();
        expected.sort();
        let got: Vec<(String, usize, String)> = outcome
            .lines
            .iter()
            .map(|l| (l.partner_id.clone(), order(l.program), l.period.clone()))
            .collect();
        assert_eq!(got, expected);
        let p1: Vec<(&str, &str)> = outcome
            .lines_of("P1")
            .filter(|l| l.program.starts_with("shuffled") || l.program == "dummy_bonus")
            .map(|l| (l.program, l.period.as_str()))
            .collect();
        assert_eq!(
            p1,
            [
                ("shuffled_first", "2025-10"),
                ("shuffled_first", "2025-11"),
                ("shuffled_second", "q4"),
                ("dummy_bonus", "q4"),
            ]
        );
        assert_eq!(
            outcome
                .lines
                .iter()
                .filter(|l| l.program.starts_with("shuffled"))
                .count(),
            9
        );
        assert!(outcome.lines.iter().any(|l| l.program == "gmv_growth"));
    }
}
