//! What programs produce: payout lines with the figures behind them, and what a program
//! sees while it evaluates. Programs, the engine and the reports all depend on this module;
//! it depends on none of them.

use crate::book::Rules;
use crate::input::DataSet;
use crate::money::Money;
use crate::window::{Periods, WindowId};
use serde::{Serialize, Serializer};
use std::borrow::Cow;
use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

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

/// A text of a figure tree or a detail table. Every line of a run holds dozens of them,
/// so none costs a heap block it can avoid: fixed words of the programs are borrowed,
/// short figures (amounts, ids, counts: most of them) are kept in place, and a text that
/// many lines show (a window, a book citation, a leaderboard's rows) is written once and
/// shared ([`Text::shared`]).
#[derive(Clone)]
pub struct Text(Repr);

/// The longest text kept in place: the whole `Text` stays the size of a `String`.
const INLINE: usize = 22;

#[derive(Clone)]
enum Repr {
    Static(&'static str),
    Inline { len: u8, bytes: [u8; INLINE] },
    Owned(Box<str>),
    Shared(Arc<str>),
}

impl Text {
    pub const EMPTY: Text = Text(Repr::Static(""));

    /// A fixed word of the programs, borrowed.
    pub const fn from_static(s: &'static str) -> Text {
        Text(Repr::Static(s))
    }

    /// A copy of `s`: in place when short.
    pub fn copy(s: &str) -> Text {
        match Text::inline(s) {
            Some(t) => t,
            None => Text(Repr::Owned(s.into())),
        }
    }

    /// `s` written once for many lines: its clones share it.
    pub fn shared(s: impl AsRef<str>) -> Text {
        let s = s.as_ref();
        match Text::inline(s) {
            Some(t) => t,
            None => Text(Repr::Shared(Arc::from(s))),
        }
    }

    fn inline(s: &str) -> Option<Text> {
        (s.len() <= INLINE).then(|| {
            let mut bytes = [0u8; INLINE];
            bytes[..s.len()].copy_from_slice(s.as_bytes());
            Text(Repr::Inline {
                len: s.len() as u8,
                bytes,
            })
        })
    }

    /// [`Money::plain`] (`1234.50`).
    pub fn plain(amount: Money) -> Text {
        TextBuf::new().plain(amount).finish()
    }

    /// [`Money::human`] (`1,234.50`).
    pub fn human(amount: Money) -> Text {
        TextBuf::new().human(amount).finish()
    }

    /// `n.to_string()`.
    pub fn count(n: usize) -> Text {
        TextBuf::new().count(n).finish()
    }

    pub fn as_str(&self) -> &str {
        match &self.0 {
            Repr::Static(s) => s,
            // SAFETY: inline bytes are only ever written as whole `str`s, one after the
            // other (`Text::inline`, `TextBuf::push_str`), so they are UTF-8. Every output
            // reads every cell, several times: checking them again was a tenth of the
            // writers' time.
            Repr::Inline { len, bytes } => unsafe {
                std::str::from_utf8_unchecked(&bytes[..*len as usize])
            },
            Repr::Owned(s) => s,
            Repr::Shared(s) => s,
        }
    }
}

/// Writes a [`Text`] piece by piece, in place while it fits: figures and short phrases
/// of every line are written without the heap.
#[derive(Default)]
pub struct TextBuf {
    bytes: [u8; INLINE],
    len: usize,
    spilled: Option<String>,
}

impl TextBuf {
    pub fn new() -> TextBuf {
        TextBuf::default()
    }

    pub fn push_str(&mut self, s: &str) -> &mut TextBuf {
        match &mut self.spilled {
            Some(out) => out.push_str(s),
            None if self.len + s.len() <= INLINE => {
                self.bytes[self.len..self.len + s.len()].copy_from_slice(s.as_bytes());
                self.len += s.len();
            }
            None => {
                let mut out = String::with_capacity(self.len + s.len() + 16);
                out.push_str(std::str::from_utf8(&self.bytes[..self.len]).expect("str pieces"));
                out.push_str(s);
                self.spilled = Some(out);
            }
        }
        self
    }

    /// [`Money::human`] appended.
    pub fn human(&mut self, amount: Money) -> &mut TextBuf {
        self.cents(amount.as_decimal(), true)
    }

    /// [`Money::plain`] appended.
    pub fn plain(&mut self, amount: Money) -> &mut TextBuf {
        self.cents(amount.as_decimal(), false)
    }

    /// [`crate::money::Exact::percent`] appended.
    pub fn percent(&mut self, ratio: crate::money::Exact) -> &mut TextBuf {
        self.cents(ratio.percent_shown(), false).push_str("%")
    }

    /// `value` to the cent, its thousands grouped when `grouped`.
    fn cents(&mut self, value: rust_decimal::Decimal, grouped: bool) -> &mut TextBuf {
        let mut buf = [0u8; crate::money::CENTS_MAX];
        self.push_str(crate::money::cents_text(value, grouped, &mut buf))
    }

    /// `n.to_string()` appended.
    pub fn count(&mut self, n: usize) -> &mut TextBuf {
        let mut digits = [0u8; 40];
        let digits = crate::money::decimal_digits(n as u128, &mut digits);
        self.push_str(std::str::from_utf8(digits).expect("ASCII digits"))
    }

    pub fn finish(&mut self) -> Text {
        match self.spilled.take() {
            Some(out) => out.into(),
            None => Text(Repr::Inline {
                len: self.len as u8,
                bytes: self.bytes,
            }),
        }
    }
}

impl fmt::Write for TextBuf {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.push_str(s);
        Ok(())
    }
}

/// `format!` into a [`Text`]: in place when short.
#[macro_export]
macro_rules! text {
    ($($arg:tt)*) => {{
        let mut buf = $crate::payout::TextBuf::new();
        std::fmt::Write::write_fmt(&mut buf, format_args!($($arg)*)).expect("a text");
        buf.finish()
    }};
}

impl Default for Text {
    fn default() -> Text {
        Text::EMPTY
    }
}

impl Deref for Text {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for Text {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl From<&'static str> for Text {
    fn from(s: &'static str) -> Text {
        Text(Repr::Static(s))
    }
}

impl From<String> for Text {
    fn from(s: String) -> Text {
        match Text::inline(&s) {
            Some(t) => t,
            None => Text(Repr::Owned(s.into_boxed_str())),
        }
    }
}

impl From<&String> for Text {
    fn from(s: &String) -> Text {
        Text::copy(s)
    }
}

impl From<Cow<'static, str>> for Text {
    fn from(s: Cow<'static, str>) -> Text {
        match s {
            Cow::Borrowed(s) => s.into(),
            Cow::Owned(s) => s.into(),
        }
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self)
    }
}

impl fmt::Debug for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl PartialEq for Text {
    fn eq(&self, other: &Text) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for Text {}

impl PartialEq<str> for Text {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Text {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<String> for Text {
    fn eq(&self, other: &String) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<Text> for &str {
    fn eq(&self, other: &Text) -> bool {
        *self == other.as_str()
    }
}

impl PartialEq<Text> for str {
    fn eq(&self, other: &Text) -> bool {
        self == other.as_str()
    }
}

impl PartialEq<Text> for String {
    fn eq(&self, other: &Text) -> bool {
        self == other.as_str()
    }
}

impl Serialize for Text {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self)
    }
}

/// One figure of a computation, with the book value or input it came from, and the
/// figures it was made of. Fixed labels and sources (most of them) are borrowed, not
/// copied: every line of a run holds a tree of them.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Step {
    pub label: Text,
    pub value: Text,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source: Option<Text>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub children: Vec<Step>,
}

impl Step {
    pub fn new(label: impl Into<Text>, value: impl Into<Text>) -> Step {
        Step {
            label: label.into(),
            value: value.into(),
            source: None,
            children: Vec::new(),
        }
    }

    pub fn source(mut self, source: impl Into<Text>) -> Step {
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
    pub rows: Vec<Vec<Text>>,
    /// The columns that hold amounts, printed with thousands separators for people.
    #[serde(skip)]
    pub amount_columns: Vec<usize>,
}

impl Detail {
    pub fn new(title: impl Into<String>, columns: &[&'static str], rows: Vec<Vec<Text>>) -> Detail {
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
                        *cell = crate::money::group_thousands(cell).into();
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
