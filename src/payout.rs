//! What programs produce: payout lines with the figures behind them, and what a program
//! sees while it evaluates. Programs, the engine and the reports all depend on this module;
//! it depends on none of them.

use crate::book::Rules;
use crate::input::DataSet;
use crate::money::Money;
use crate::window::{Periods, WindowId};
use serde::Serialize;
use std::borrow::Cow;

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

/// One figure of a computation, with the book value or input it came from, and the
/// figures it was made of. Fixed labels and sources (most of them) are borrowed, not
/// copied: every line of a run holds a tree of them.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Step {
    pub label: Cow<'static, str>,
    pub value: Cow<'static, str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<Cow<'static, str>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub children: Vec<Step>,
}

impl Step {
    pub fn new(label: impl Into<Cow<'static, str>>, value: impl Into<Cow<'static, str>>) -> Step {
        Step {
            label: label.into(),
            value: value.into(),
            source: None,
            children: Vec::new(),
        }
    }

    pub fn source(mut self, source: impl Into<Cow<'static, str>>) -> Step {
        self.source = Some(source.into());
        self
    }

    pub fn child(mut self, step: Step) -> Step {
        // Figure trees of every partner are held at once: no spare room in them.
        self.children.reserve_exact(1);
        self.children.push(step);
        self
    }

    pub fn children(mut self, steps: impl IntoIterator<Item = Step>) -> Step {
        self.children.extend(steps);
        self.children.shrink_to_fit();
        self
    }
}

/// A small table behind a line: the sellers, creators or ranks that decided it.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Detail {
    pub title: String,
    /// Column names are fixed words of the programs (most of them): borrowed, not copied
    /// into every line's table.
    pub columns: Vec<Cow<'static, str>>,
    /// Cells are plain figures (`96540.20`), as JSON carries them; people read them
    /// through [`Detail::human`].
    pub rows: Vec<Vec<String>>,
    /// The columns that hold amounts, printed with thousands separators for people.
    #[serde(skip)]
    pub amount_columns: Vec<usize>,
}

impl Detail {
    pub fn new(
        title: impl Into<String>,
        columns: &[&'static str],
        rows: Vec<Vec<String>>,
    ) -> Detail {
        Detail {
            title: title.into(),
            columns: columns.iter().map(|&c| Cow::Borrowed(c)).collect(),
            rows,
            amount_columns: Vec::new(),
        }
    }

    /// Marks the columns named `names` as amounts.
    pub fn amounts(mut self, names: &[&str]) -> Detail {
        self.amount_columns = names
            .iter()
            .filter_map(|n| self.columns.iter().position(|c| c == n))
            .collect();
        self
    }

    /// The table as people read it: its amounts with thousands separators (`96,540.20`).
    /// A cell that is not a plain figure is left as it is.
    pub fn human(&self) -> Detail {
        let mut d = self.clone();
        for row in &mut d.rows {
            for &i in &self.amount_columns {
                if let Some(cell) = row.get_mut(i) {
                    if cell.parse::<rust_decimal::Decimal>().is_ok() {
                        *cell = crate::money::group_thousands(cell);
                    }
                }
            }
        }
        d
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
    /// The basis as the partner's own statement may show it, when `basis` names other
    /// partners (tied entrants of a leaderboard): they are counted, not named.
    #[serde(skip)]
    pub partner_basis: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub steps: Vec<Step>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<Detail>,
}

#[cfg(test)]
impl Line {
    /// A final line of whole dollars without figures, for report tests.
    pub(crate) fn of_dollars(
        partner_id: &str,
        program: &'static str,
        period: &str,
        kind: Kind,
        dollars: i64,
    ) -> Line {
        Line {
            partner_id: partner_id.into(),
            program,
            period: period.into(),
            kind,
            amount: Money::dollars(dollars),
            provisional: false,
            basis: String::new(),
            partner_basis: None,
            steps: Vec::new(),
            detail: None,
        }
    }
}

/// What a program sees.
pub struct Context<'a> {
    pub rules: &'a Rules,
    pub periods: &'a Periods,
    pub data: &'a DataSet,
    /// Which lines get their figure tree and detail table. Only statements and `explain`
    /// show them; the payout table, CSV and JSON need amounts and bases only, and building
    /// them for every partner is most of a large run's evaluation time.
    pub figures: Figures,
    /// What a ledger records as issued in closed periods (empty without one): the
    /// affiliate true-up is taken against it.
    pub issued: &'a Issued,
}

/// Which lines of a run carry their figure tree and detail table: what its outputs show.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Figures {
    /// Amounts and bases only (the payout table, CSV and JSON).
    None,
    /// Every line (`explain`, the statements and pages of `calc --out`).
    All,
    /// The ad-credit lines of one month: all that month's statement shows.
    AdCreditsOf(WindowId),
}

impl From<bool> for Figures {
    fn from(all: bool) -> Figures {
        if all {
            Figures::All
        } else {
            Figures::None
        }
    }
}

impl Context<'_> {
    /// Whether the line of a payout of `kind` for `period` (the line's period label)
    /// carries its figures.
    pub fn figures_for(&self, kind: Kind, period: &str) -> bool {
        match self.figures {
            Figures::None => false,
            Figures::All => true,
            Figures::AdCreditsOf(month) => {
                kind == Kind::AdCredit && self.periods.full(month).month_label() == period
            }
        }
    }
}

/// What was issued in closed periods, as plain figures read from a ledger. Programs see
/// this, never the ledger itself.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Issued {
    /// Labels (`2025-10`) of the months closed.
    pub closed_months: std::collections::BTreeSet<String>,
    /// Affiliate credit recorded as issued, net of reversals, per (partner_id, month label),
    /// per seller_id.
    pub affiliate:
        std::collections::BTreeMap<(String, String), std::collections::BTreeMap<String, Money>>,
}

impl Issued {
    /// Nothing closed: every period is computed.
    pub const NONE: Issued = Issued {
        closed_months: std::collections::BTreeSet::new(),
        affiliate: std::collections::BTreeMap::new(),
    };

    pub fn month_closed(&self, label: &str) -> bool {
        self.closed_months.contains(label)
    }
}

/// A program's answer for a whole run.
pub enum Evaluation {
    Lines(Vec<Line>),
    /// Nothing to pay yet (e.g. the window starts after --as-of); the reason says why.
    NotEvaluated(String),
    /// The program cannot run; listed under `skipped` with the reason.
    Skipped(String),
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Skip {
    pub program: &'static str,
    pub reason: String,
}
