//! Runs every program of the book over the aggregated inputs and collects payout lines.

use crate::book::Rules;
use crate::input::{DataSet, InputFile};
use crate::money::Money;
use crate::programs;
use crate::window::{Periods, WindowId};
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Cash,
    AdCredit,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Cash => "cash",
            Kind::AdCredit => "ad_credit",
        }
    }
}

/// Program ids of payout lines, in report order.
pub const PROGRAM_IDS: [&str; 9] = [
    "gmv_growth",
    "tier_upgrade",
    "short_video_top15",
    "short_video_consistency",
    "affiliate_credits",
    "creator_incubation",
    "bfcm_matchmaking",
    "bfcm_seller_challenge",
    "bfcm_live_championship",
];

pub fn program_order(id: &str) -> usize {
    PROGRAM_IDS
        .iter()
        .position(|p| *p == id)
        .unwrap_or(usize::MAX)
}

/// One figure of a computation, with the book value or input it came from, and the
/// figures it was made of.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Step {
    pub label: String,
    pub value: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub children: Vec<Step>,
}

impl Step {
    pub fn new(label: impl Into<String>, value: impl Into<String>) -> Step {
        Step {
            label: label.into(),
            value: value.into(),
            source: None,
            children: Vec::new(),
        }
    }

    pub fn source(mut self, source: impl Into<String>) -> Step {
        self.source = Some(source.into());
        self
    }

    pub fn child(mut self, step: Step) -> Step {
        self.children.push(step);
        self
    }

    pub fn children(mut self, steps: impl IntoIterator<Item = Step>) -> Step {
        self.children.extend(steps);
        self
    }
}

/// A small table behind a line: the sellers, creators or ranks that decided it.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Detail {
    pub title: String,
    pub columns: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

impl Detail {
    pub fn new(title: impl Into<String>, columns: &[&str], rows: Vec<Vec<String>>) -> Detail {
        Detail {
            title: title.into(),
            columns: columns.iter().map(|c| c.to_string()).collect(),
            rows,
        }
    }
}

/// One payout line: (partner, program, period).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Line {
    pub partner_id: String,
    pub program: &'static str,
    pub period: String,
    pub kind: Kind,
    pub amount: Money,
    pub provisional: bool,
    pub basis: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub steps: Vec<Step>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<Detail>,
}

/// What a program sees.
pub struct Context<'a> {
    pub rules: &'a Rules,
    pub periods: &'a Periods,
    pub data: &'a DataSet,
    /// Build each line's figure tree and detail table. Only statements and `explain` show
    /// them; the payout table, CSV and JSON need amounts and bases only, and building
    /// them for every partner is most of a large run's evaluation time.
    pub figures: bool,
}

/// A program's answer for a whole run.
pub enum Evaluation {
    Lines(Vec<Line>),
    /// Nothing to pay yet (e.g. the window starts after --as-of); the reason says why.
    NotEvaluated(String),
    /// The program cannot run; listed under `skipped` with the reason.
    Skipped(String),
}

pub trait Program: Send + Sync {
    /// The program ids its lines carry (most programs have one).
    fn ids(&self) -> &'static [&'static str];
    /// Optional input files without which the program cannot run.
    fn needs(&self) -> &'static [InputFile] {
        &[]
    }
    fn evaluate(&self, ctx: &Context) -> Evaluation;
    /// Ids of a program that ran but that have no lines in this run (e.g. a bonus issued
    /// with a month that has not ended), with the reason; listed under `not_evaluated`.
    fn not_evaluated(&self, _ctx: &Context) -> Vec<(&'static str, String)> {
        Vec::new()
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Skip {
    pub program: &'static str,
    pub reason: String,
}

#[derive(Debug)]
pub struct Outcome {
    pub lines: Vec<Line>,
    pub skipped: Vec<Skip>,
    pub not_evaluated: Vec<Skip>,
    /// Every partner of the run with its display name.
    pub partners: BTreeMap<String, String>,
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
/// `None` for a program whose optional input file is missing.
fn evaluate_all(programs: &[Box<dyn Program>], ctx: &Context) -> Vec<Evaluated> {
    let next = std::sync::atomic::AtomicUsize::new(0);
    let work = || {
        let mut done = Vec::new();
        loop {
            let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let Some(program) = programs.get(i) else {
                return done;
            };
            let runs = program.needs().iter().all(|f| ctx.data.present(*f));
            let result = runs.then(|| {
                let evaluation = program.evaluate(ctx);
                let not_evaluated = match evaluation {
                    Evaluation::Lines(_) => program.not_evaluated(ctx),
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

pub fn run(rules: &Rules, periods: &Periods, data: &DataSet, figures: bool) -> Outcome {
    let ctx = Context {
        rules,
        periods,
        data,
        figures,
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
    };
    let programs = programs::all();
    let results = evaluate_all(&programs, &ctx);
    for (program, result) in programs.iter().zip(results) {
        let Some((evaluation, not_evaluated)) = result else {
            let file = program
                .needs()
                .iter()
                .find(|f| !data.present(**f))
                .expect("a program is only left out for a missing file");
            for id in program.ids() {
                outcome.skipped.push(Skip {
                    program: id,
                    reason: format!("no {}", file.name()),
                });
            }
            continue;
        };
        match evaluation {
            Evaluation::Lines(lines) => {
                outcome.lines.extend(lines);
                for (program, reason) in not_evaluated {
                    outcome.not_evaluated.push(Skip { program, reason });
                }
            }
            Evaluation::NotEvaluated(reason) => {
                for id in program.ids() {
                    outcome.not_evaluated.push(Skip {
                        program: id,
                        reason: reason.clone(),
                    });
                }
            }
            Evaluation::Skipped(reason) => {
                for id in program.ids() {
                    outcome.skipped.push(Skip {
                        program: id,
                        reason: reason.clone(),
                    });
                }
            }
        }
    }
    note_gaps(&mut outcome.lines, periods, data);
    // Partner, then report order of the program, then period (the program's place is only
    // looked up between lines of one partner).
    outcome.lines.sort_by(|a, b| {
        a.partner_id
            .cmp(&b.partner_id)
            .then_with(|| program_order(a.program).cmp(&program_order(b.program)))
            .then_with(|| a.period.cmp(&b.period))
    });
    outcome
}

/// The windows of gmv_daily.csv a line's figures are summed over (cut at the evaluation
/// date): growth compares Q4 with Q3; a short-video month is ranked against Q3; affiliate
/// credits are cumulative from October; the seller challenge compares BFCM with October;
/// the live championship sums BFCM. Tiers, creators and matchmaking read other files.
pub fn gmv_windows(program: &str, period: &str, periods: &Periods) -> Vec<WindowId> {
    let month_of = |label: &str| {
        WindowId::MONTHS
            .into_iter()
            .position(|m| periods.full(m).month_label() == label)
    };
    match program {
        "gmv_growth" => vec![WindowId::Q3, WindowId::Q4],
        "short_video_top15" => {
            let mut w = vec![WindowId::Q3];
            w.extend(month_of(period).map(|i| WindowId::MONTHS[i]));
            w
        }
        "short_video_consistency" => {
            let mut w = vec![WindowId::Q3];
            w.extend(WindowId::MONTHS);
            w
        }
        "affiliate_credits" => {
            let upto = month_of(period).unwrap_or(WindowId::MONTHS.len() - 1);
            WindowId::MONTHS[..=upto].to_vec()
        }
        "bfcm_seller_challenge" => vec![WindowId::Oct, WindowId::Bfcm],
        "bfcm_live_championship" => vec![WindowId::Bfcm],
        _ => Vec::new(),
    }
}

/// With gaps accepted (--allow-gaps), every line whose gmv_daily windows hold a day
/// without rows says how many such days its figures counted as days without sales.
/// The step a line carries when days of its windows had no gmv_daily.csv rows
/// (`--allow-gaps`).
pub const GAP_STEP: &str = "days without rows";

fn note_gaps(lines: &mut [Line], periods: &Periods, data: &DataSet) {
    let Some(coverage) = data
        .files
        .get(&InputFile::GmvDaily)
        .and_then(|r| r.coverage.as_ref())
        .filter(|c| !c.gaps.is_empty())
    else {
        return;
    };
    let mut notes: BTreeMap<(&'static str, String), Option<String>> = BTreeMap::new();
    for line in lines {
        let note = notes
            .entry((line.program, line.period.clone()))
            .or_insert_with(|| {
                let windows = gmv_windows(line.program, &line.period, periods)
                    .into_iter()
                    .filter_map(|w| periods.cut(w));
                match coverage.missing_days_in(windows) {
                    0 => None,
                    n => Some(format!(
                        "{} without rows in gmv_daily.csv (counted as no sales)",
                        programs::plural(n, "day")
                    )),
                }
            });
        if let Some(note) = note {
            line.basis = format!("{}; {note}", line.basis);
            // Statements show steps, not the basis: the gap is a figure of its own there.
            if !line.steps.is_empty() {
                line.steps.push(Step::new(GAP_STEP, note.clone()));
            }
        }
    }
}
