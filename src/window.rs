//! Inclusive calendar-date windows and the arithmetic every program shares.

use crate::rules::BookKey;
use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Window {
    pub start: NaiveDate,
    pub end: NaiveDate,
}

impl Window {
    pub fn new(start: NaiveDate, end: NaiveDate) -> Window {
        Window { start, end }
    }

    /// Calendar days, both ends included.
    pub fn days(&self) -> i64 {
        (self.end - self.start).num_days() + 1
    }

    pub fn contains(&self, date: NaiveDate) -> bool {
        self.start <= date && date <= self.end
    }

    /// The part of the window on or before `as_of`; `None` when it starts after `as_of`.
    pub fn cut(&self, as_of: NaiveDate) -> Option<Window> {
        if self.start > as_of {
            None
        } else {
            Some(Window {
                start: self.start,
                end: self.end.min(as_of),
            })
        }
    }

    pub fn complete_at(&self, as_of: NaiveDate) -> bool {
        self.end <= as_of
    }

    /// `YYYY-MM` of the start date: the period label of a monthly window.
    pub fn month_label(&self) -> String {
        let (year, month) = (self.start.year(), self.start.month());
        match u32::try_from(year) {
            // Every line of a monthly program asks for it: no formatter.
            Ok(y) if y <= 9999 => {
                let digit = |n: u32| char::from(b'0' + (n % 10) as u8);
                let mut out = String::with_capacity(7);
                out.extend([y / 1000, y / 100, y / 10, y].map(digit));
                out.push('-');
                out.extend([month / 10, month].map(digit));
                out
            }
            _ => format!("{year:04}-{month:02}"),
        }
    }

    /// The window of `days` days ending on `end`.
    pub fn ending_on(end: NaiveDate, days: i64) -> Window {
        Window {
            start: end - chrono::Duration::days(days - 1),
            end,
        }
    }

    pub fn dates(&self) -> impl Iterator<Item = NaiveDate> {
        let end = self.end;
        self.start.iter_days().take_while(move |d| *d <= end)
    }
}

impl fmt::Display for Window {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}..{} ({} days)", self.start, self.end, self.days())
    }
}

/// A refusal of the book's windows: the key and why.
fn invalid(key: impl Into<String>, message: impl Into<String>) -> (String, String) {
    (key.into(), message.into())
}

/// The book's `[windows]`: inclusive date ranges by name.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Windows {
    pub program: Window,
    pub q3: Window,
    pub q4: Window,
    pub oct: Window,
    pub nov: Window,
    pub dec: Window,
    pub bfcm: Window,
}

impl Windows {
    /// The program's months in order, with their book keys.
    pub fn months(&self) -> [(&'static str, Window); 3] {
        [("oct", self.oct), ("nov", self.nov), ("dec", self.dec)]
    }

    /// The windows must describe one program (an error names the book key): the months follow each other and together
    /// are exactly q4, the baseline ends before q4 starts, and every window but the
    /// baseline lies inside the program period (the --as-of range).
    pub(crate) fn check_layout(&self) -> Result<(), (String, String)> {
        let months = self.months();
        let (first, last) = (months[0], months[months.len() - 1]);
        if first.1.start != self.q4.start {
            return Err(invalid(
                format!("windows.{}.start", first.0),
                format!(
                    "the first month starts {}, q4 starts {}: the months must together be q4",
                    first.1.start, self.q4.start
                ),
            ));
        }
        for pair in months.windows(2) {
            let ((before, a), (after, b)) = (pair[0], pair[1]);
            if a.end.succ_opt() != Some(b.start) {
                let relation = if b.start <= a.end {
                    "overlaps"
                } else {
                    "leaves a gap after"
                };
                return Err(invalid(
                    format!("windows.{after}.start"),
                    format!(
                        "{after} starts {} and {relation} {before} (ending {}): months must be consecutive",
                        b.start, a.end
                    ),
                ));
            }
        }
        if last.1.end != self.q4.end {
            return Err(invalid(
                format!("windows.{}.end", last.0),
                format!(
                    "the last month ends {}, q4 ends {}: the months must together be q4",
                    last.1.end, self.q4.end
                ),
            ));
        }
        if self.q3.end >= self.q4.start {
            return Err(invalid(
                "windows.q3.end",
                format!(
                    "the baseline ends {}, not before q4 starts ({})",
                    self.q3.end, self.q4.start
                ),
            ));
        }
        for (name, w) in self.named() {
            if name == "program" || name == "q3" {
                continue;
            }
            if w.start < self.program.start || w.end > self.program.end {
                return Err(invalid(
                    format!("windows.{name}"),
                    format!(
                        "{}..{} is not inside the program period {}..{}",
                        w.start, w.end, self.program.start, self.program.end
                    ),
                ));
            }
        }
        Ok(())
    }

    /// Every window with its book key, the program period first.
    pub fn named(&self) -> [(&'static str, Window); 7] {
        [
            ("program", self.program),
            ("q3", self.q3),
            ("q4", self.q4),
            ("oct", self.oct),
            ("nov", self.nov),
            ("dec", self.dec),
            ("bfcm", self.bfcm),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn month_labels_are_zero_padded_as_the_formatter_pads_them() {
        for (start, label) in [
            (date("2025-11-01"), "2025-11"),
            (date("2025-01-31"), "2025-01"),
            (NaiveDate::from_ymd_opt(7, 3, 1).unwrap(), "0007-03"),
            (NaiveDate::from_ymd_opt(12345, 12, 1).unwrap(), "12345-12"),
            (NaiveDate::from_ymd_opt(-5, 10, 1).unwrap(), "-005-10"),
        ] {
            assert_eq!(Window::new(start, start).month_label(), label);
        }
    }

    #[test]
    fn q3_and_q4_have_92_days() {
        assert_eq!(
            Window::new(date("2025-07-01"), date("2025-09-30")).days(),
            92
        );
        assert_eq!(
            Window::new(date("2025-10-01"), date("2025-12-31")).days(),
            92
        );
        assert_eq!(
            Window::new(date("2025-11-12"), date("2025-12-01")).days(),
            20
        );
    }

    #[test]
    fn cut_shrinks_or_drops() {
        let q4 = Window::new(date("2025-10-01"), date("2025-12-31"));
        assert_eq!(q4.cut(date("2025-10-10")).unwrap().days(), 10);
        assert!(!q4.complete_at(date("2025-12-30")));
        assert!(q4.complete_at(date("2025-12-31")));
        let bfcm = Window::new(date("2025-11-12"), date("2025-12-01"));
        assert!(bfcm.cut(date("2025-11-11")).is_none());
    }

    #[test]
    fn months_ended_and_through() {
        let book = crate::book::Book::embedded();
        let periods = Periods::new(&book.rules.windows, date("2025-11-29"));
        assert_eq!(periods.ended_months(), [WindowId::Oct]);
        let (through, span) = periods.months_through(WindowId::Nov);
        assert_eq!(through, [WindowId::Oct, WindowId::Nov]);
        assert_eq!(span, Window::new(date("2025-10-01"), date("2025-11-30")));
        assert_eq!(periods.labels_through(WindowId::Oct), ["2025-10"]);
        assert_eq!(
            periods.labels_through(WindowId::Dec),
            ["2025-10", "2025-11", "2025-12"]
        );
    }

    #[test]
    fn hold_window_reaches_back() {
        let w = Window::ending_on(date("2025-12-31"), 30);
        assert_eq!(w.start, date("2025-12-02"));
        assert_eq!(w.dates().count(), 30);
    }
}

/// The windows a run aggregates over, by index into per-seller sums.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum WindowId {
    Q3 = 0,
    Q4 = 1,
    Oct = 2,
    Nov = 3,
    Dec = 4,
    Bfcm = 5,
}

pub const WINDOW_COUNT: usize = 6;

impl WindowId {
    pub const ALL: [WindowId; WINDOW_COUNT] = [
        WindowId::Q3,
        WindowId::Q4,
        WindowId::Oct,
        WindowId::Nov,
        WindowId::Dec,
        WindowId::Bfcm,
    ];
    pub const MONTHS: [WindowId; 3] = [WindowId::Oct, WindowId::Nov, WindowId::Dec];

    /// The window's field of `[windows]` (`q3`, `oct`).
    pub fn key(self) -> &'static str {
        self.book_key().field
    }

    /// The book key of the window (`windows.q3`), checked against [`Windows`]' fields.
    pub fn book_key(self) -> BookKey {
        match self {
            WindowId::Q3 => crate::window_key!(q3),
            WindowId::Q4 => crate::window_key!(q4),
            WindowId::Oct => crate::window_key!(oct),
            WindowId::Nov => crate::window_key!(nov),
            WindowId::Dec => crate::window_key!(dec),
            WindowId::Bfcm => crate::window_key!(bfcm),
        }
    }
}

/// The book's windows as evaluated at `as_of`: each cut at the evaluation date.
#[derive(Clone, Debug)]
pub struct Periods {
    pub as_of: NaiveDate,
    pub program: Window,
    full: [Window; WINDOW_COUNT],
    cut: [Option<Window>; WINDOW_COUNT],
    /// Every date any window covers, for day-indexed bookkeeping.
    pub span: Window,
    /// Bit `i` set on day `d` of `span` when the cut window `i` contains it.
    day_masks: Vec<u8>,
}

impl Periods {
    pub fn new(windows: &Windows, as_of: NaiveDate) -> Periods {
        let full = [
            windows.q3,
            windows.q4,
            windows.oct,
            windows.nov,
            windows.dec,
            windows.bfcm,
        ];
        let cut = full.map(|w| w.cut(as_of));
        let start = full.iter().map(|w| w.start).min().expect("windows");
        let end = full.iter().map(|w| w.end).max().expect("windows");
        let span = Window::new(start, end);
        let day_masks = span
            .dates()
            .map(|d| {
                cut.iter().enumerate().fold(0u8, |mask, (i, w)| match w {
                    Some(w) if w.contains(d) => mask | (1 << i),
                    _ => mask,
                })
            })
            .collect();
        Periods {
            as_of,
            program: windows.program,
            full,
            cut,
            span,
            day_masks,
        }
    }

    /// The window as published in the book.
    pub fn full(&self, id: WindowId) -> Window {
        self.full[id as usize]
    }

    /// The window cut at the evaluation date; `None` when it starts after it.
    pub fn cut(&self, id: WindowId) -> Option<Window> {
        self.cut[id as usize]
    }

    /// Whether the whole window lies on or before the evaluation date.
    pub fn complete(&self, id: WindowId) -> bool {
        self.full(id).complete_at(self.as_of)
    }

    /// Bit mask of the cut windows that contain `date` (bit `WindowId as usize`).
    pub fn mask(&self, date: NaiveDate) -> u8 {
        self.day_mask(self.span_offset(date))
    }

    /// `mask` of the date on day `day` of `span` (`None`: outside it).
    #[inline]
    pub fn day_mask(&self, day: Option<usize>) -> u8 {
        day.and_then(|day| self.day_masks.get(day).copied())
            .unwrap_or(0)
    }

    /// Day offset of `date` inside `span`, if it lies there. (Day numbers, not date
    /// subtraction: this runs for every row read.)
    pub fn span_offset(&self, date: NaiveDate) -> Option<usize> {
        let offset = date.num_days_from_ce() - self.span.start.num_days_from_ce();
        usize::try_from(offset)
            .ok()
            .filter(|day| *day < self.day_masks.len())
    }

    /// The evaluation end: the program end, or the as-of date when earlier.
    pub fn evaluation_end(&self) -> NaiveDate {
        self.program.end.min(self.as_of)
    }

    /// The book's months that ended on or before the evaluation date: the months whose
    /// monthly credits are issued (a month still running has no line at all).
    pub fn ended_months(&self) -> Vec<WindowId> {
        WindowId::MONTHS
            .into_iter()
            .filter(|m| self.complete(*m))
            .collect()
    }

    /// The months from the first up to and including `month`, and the dates they span.
    pub fn months_through(&self, month: WindowId) -> (Vec<WindowId>, Window) {
        let through: Vec<WindowId> = WindowId::MONTHS
            .iter()
            .copied()
            .take_while(|m| *m != month)
            .chain(std::iter::once(month))
            .collect();
        let window = Window::new(self.full(through[0]).start, self.full(month).end);
        (through, window)
    }

    /// The period labels (`YYYY-MM`) of the months up to and including `month`.
    pub fn labels_through(&self, month: WindowId) -> Vec<String> {
        let (through, _) = self.months_through(month);
        through
            .iter()
            .map(|m| self.full(*m).month_label())
            .collect()
    }
}
