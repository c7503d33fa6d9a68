//! Coverage of the dated files: the first and last date with an accepted row, the calendar
//! days of the book's span that have at least one, and the days each evaluated window
//! lacks. A day is counted per file (or per part of it) as rows are accepted, never per
//! key, so the hot loop only bumps one counter.

use super::InputFile;
use crate::window::{Periods, Window, WindowId};
use chrono::NaiveDate;

/// Accepted rows per day of the book's span while a file streams; dates outside the span
/// only move the first and last date.
#[derive(Clone, Debug, Default)]
pub(super) struct DayCounts {
    counts: Vec<u64>,
    outside: Option<(NaiveDate, NaiveDate)>,
}

impl DayCounts {
    /// Counts an accepted row of `date`.
    #[inline]
    pub(super) fn mark(&mut self, date: NaiveDate, periods: &Periods) {
        self.mark_day(date, periods.span_offset(date), periods);
    }

    /// `mark` for a date whose day in the span (`Periods::span_offset`) is known.
    #[inline]
    pub(super) fn mark_day(&mut self, date: NaiveDate, day: Option<usize>, periods: &Periods) {
        match day {
            Some(day) => {
                if self.counts.is_empty() {
                    self.counts = vec![0; periods.span.days() as usize];
                }
                self.counts[day] += 1;
            }
            None => {
                self.outside = Some(match self.outside {
                    None => (date, date),
                    Some((a, b)) => (a.min(date), b.max(date)),
                });
            }
        }
    }

    /// Takes back a row counted by `mark` (a duplicate found later). Duplicates are only
    /// tracked inside the span, so the row's day is always counted there.
    pub(super) fn unmark(&mut self, date: NaiveDate, periods: &Periods) {
        if let Some(day) = periods.span_offset(date) {
            if let Some(count) = self.counts.get_mut(day) {
                *count = count.saturating_sub(1);
            }
        }
    }

    /// Adds the counts of another part of the same file.
    pub(super) fn absorb(&mut self, part: &DayCounts) {
        if self.counts.is_empty() {
            self.counts.clone_from(&part.counts);
        } else {
            for (mine, theirs) in self.counts.iter_mut().zip(&part.counts) {
                *mine += theirs;
            }
        }
        if let Some((a, b)) = part.outside {
            self.outside = Some(match self.outside {
                None => (a, b),
                Some((x, y)) => (x.min(a), y.max(b)),
            });
        }
    }
}

/// The days of one evaluated window without any accepted row.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WindowGap {
    pub window: WindowId,
    /// The window cut at the evaluation date.
    pub evaluated: Window,
    /// Whether the cut shortened the window (--as-of inside it).
    pub cut: bool,
    /// Maximal ranges of missing days, in date order.
    pub missing: Vec<Window>,
}

impl WindowGap {
    pub fn missing_days(&self) -> i64 {
        self.missing.iter().map(Window::days).sum()
    }
}

/// What a dated file covers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Coverage {
    /// First and last date of an accepted row (any date, also outside every window).
    pub first: Option<NaiveDate>,
    pub last: Option<NaiveDate>,
    /// The days tracked: the book's span (Q3 start to the last window's end).
    pub span: Window,
    /// Per day of `span`: at least one accepted row.
    days: Vec<bool>,
    /// The windows the file's programs evaluate, each cut at the evaluation date, with
    /// the days they lack; only windows with missing days are listed.
    pub gaps: Vec<WindowGap>,
}

/// The windows whose days a file must cover: gmv_daily feeds every window; creator GMV is
/// read over Q4, matched GMV over BFCM.
pub fn windows_of(file: InputFile) -> &'static [WindowId] {
    match file {
        InputFile::GmvDaily => &WindowId::ALL,
        InputFile::CreatorGmvDaily => &[WindowId::Q4],
        InputFile::Matchmaking => &[WindowId::Bfcm],
        _ => &[],
    }
}

impl Coverage {
    pub(super) fn new(counts: DayCounts, file: InputFile, periods: &Periods) -> Coverage {
        let span = periods.span;
        let mut days: Vec<bool> = counts.counts.iter().map(|c| *c > 0).collect();
        days.resize(span.days() as usize, false);
        let date_of = |i: usize| span.start + chrono::Duration::days(i as i64);
        let first_in = days.iter().position(|d| *d).map(date_of);
        let last_in = days.iter().rposition(|d| *d).map(date_of);
        let pick = |a: Option<NaiveDate>, b: Option<NaiveDate>, f: fn(_, _) -> _| match (a, b) {
            (Some(a), Some(b)) => Some(f(a, b)),
            (a, b) => a.or(b),
        };
        let first = pick(first_in, counts.outside.map(|o| o.0), std::cmp::min);
        let last = pick(last_in, counts.outside.map(|o| o.1), std::cmp::max);
        let mut coverage = Coverage {
            first,
            last,
            span,
            days,
            gaps: Vec::new(),
        };
        coverage.gaps = windows_of(file)
            .iter()
            .filter_map(|&id| {
                let evaluated = periods.cut(id)?;
                let missing = coverage.missing_in(evaluated);
                (!missing.is_empty()).then(|| WindowGap {
                    window: id,
                    evaluated,
                    cut: evaluated != periods.full(id),
                    missing,
                })
            })
            .collect();
        coverage
    }

    /// Whether `date` has an accepted row (days outside the span are not tracked: false).
    pub fn has_rows(&self, date: NaiveDate) -> bool {
        let offset = (date - self.span.start).num_days();
        usize::try_from(offset)
            .ok()
            .and_then(|i| self.days.get(i))
            .copied()
            .unwrap_or(false)
    }

    /// Days of the span with at least one accepted row.
    pub fn days_with_rows(&self) -> usize {
        self.days.iter().filter(|d| **d).count()
    }

    /// Maximal ranges of days of the span with rows.
    pub fn ranges_with_rows(&self) -> Vec<Window> {
        ranges(self.span.dates().filter(|d| self.has_rows(*d)))
    }

    /// Maximal ranges of days of `w` without rows.
    pub fn missing_in(&self, w: Window) -> Vec<Window> {
        ranges(w.dates().filter(|d| !self.has_rows(*d)))
    }

    /// Days of the union of `windows` without rows, counted once each.
    pub fn missing_days_in(&self, windows: impl IntoIterator<Item = Window>) -> usize {
        let mut missing: Vec<NaiveDate> = windows
            .into_iter()
            .flat_map(|w| self.missing_in(w))
            .flat_map(|r| r.dates().collect::<Vec<_>>())
            .collect();
        missing.sort_unstable();
        missing.dedup();
        missing.len()
    }
}

/// Consecutive dates (ascending) grouped into maximal ranges.
fn ranges(dates: impl Iterator<Item = NaiveDate>) -> Vec<Window> {
    let mut out: Vec<Window> = Vec::new();
    for d in dates {
        match out.last_mut() {
            Some(r) if r.end.succ_opt() == Some(d) => r.end = d,
            _ => out.push(Window::new(d, d)),
        }
    }
    out
}

/// `2025-10-07` or `2025-10-07..2025-10-09`.
pub fn range_text(r: &Window) -> String {
    if r.start == r.end {
        r.start.to_string()
    } else {
        format!("{}..{}", r.start, r.end)
    }
}

/// Ranges as a list, the first few named and the rest counted.
pub fn ranges_text(ranges: &[Window]) -> String {
    const SHOWN: usize = 8;
    let mut text = ranges
        .iter()
        .take(SHOWN)
        .map(range_text)
        .collect::<Vec<_>>()
        .join(", ");
    if ranges.len() > SHOWN {
        text.push_str(&format!(" and {} more ranges", ranges.len() - SHOWN));
    }
    text
}

fn days_text(n: i64) -> String {
    format!("{n} day{}", if n == 1 { "" } else { "s" })
}

/// The messages for a file's missing days: for gmv_daily the reasons to refuse the run
/// (or, with --allow-gaps, what it accepts), for the optional files warnings. Each missing
/// day is named once: an export that stops before the evaluation date is said so, then
/// every other missing day under the first window (in book order) that holds it.
/// `name` is the file as read (`gmv_daily.xlsx`).
pub fn gap_messages(
    file: InputFile,
    name: &str,
    coverage: &Coverage,
    periods: &Periods,
) -> Vec<String> {
    let mut told: Vec<NaiveDate> = Vec::new();
    let mut out = Vec::new();
    let end = coverage.gaps.iter().map(|g| g.evaluated.end).max();
    if let (true, Some(end), Some(last)) = (file.required(), end, coverage.last) {
        // An export that stops early: every day after its last one is missing.
        if last < end && last >= periods.program.start {
            let behind = (periods.as_of - last).num_days();
            out.push(format!(
                "{name} ends {last}, {} before --as-of {}: pass --as-of {last}, or complete the export",
                days_text(behind),
                periods.as_of
            ));
            told.extend(Window::new(last.succ_opt().unwrap_or(last), end).dates());
        }
    }
    for gap in &coverage.gaps {
        let missing: Vec<NaiveDate> = gap
            .missing
            .iter()
            .flat_map(|r| r.dates())
            .filter(|d| !told.contains(d))
            .collect();
        if missing.is_empty() {
            continue;
        }
        told.extend(&missing);
        let shown = ranges(missing.iter().copied());
        let n = gap.evaluated.days();
        let k = missing.len() as i64;
        let upto = if gap.cut {
            format!(" up to --as-of {}", periods.as_of)
        } else {
            String::new()
        };
        let share = if k == n {
            format!("all {n} days of window {}{upto}", gap.window.key())
        } else {
            format!("{k} of {n} days of window {}{upto}", gap.window.key())
        };
        let what = match (gap.window, k == n) {
            (WindowId::Q3, true) => "the Q3 baseline would be zero".to_string(),
            (WindowId::Q3, false) => "the Q3 baseline would be understated".to_string(),
            _ => format!("its sums would count {} as no sales", days_text(k)),
        };
        let mut message = format!("{name} has no rows for {} ({share})", ranges_text(&shown));
        if file.required() {
            message.push_str(&format!(": {what}"));
        }
        out.push(message);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn periods(as_of: &str) -> Periods {
        let book = crate::book::Book::embedded();
        Periods::new(&book.rules.windows, date(as_of))
    }

    fn coverage(from: &str, to: &str, skip: &[&str], as_of: &str) -> (Coverage, Periods) {
        let p = periods(as_of);
        let mut counts = DayCounts::default();
        for d in Window::new(date(from), date(to)).dates() {
            if !skip.contains(&d.to_string().as_str()) {
                counts.mark(d, &p);
            }
        }
        (Coverage::new(counts, InputFile::GmvDaily, &p), p)
    }

    #[test]
    fn a_complete_export_has_no_gaps() {
        let (c, _) = coverage("2025-07-01", "2025-12-31", &[], "2025-12-31");
        assert!(c.gaps.is_empty());
        assert_eq!(c.days_with_rows(), 184);
        assert_eq!(c.ranges_with_rows().len(), 1);
    }

    #[test]
    fn an_export_without_q3_names_the_baseline() {
        let (c, p) = coverage("2025-10-01", "2025-12-31", &[], "2025-12-31");
        let m = gap_messages(InputFile::GmvDaily, "gmv_daily.csv", &c, &p);
        assert_eq!(
            m,
            ["gmv_daily.csv has no rows for 2025-07-01..2025-09-30 (all 92 days of window q3): the Q3 baseline would be zero"]
        );
    }

    #[test]
    fn an_export_cut_short_suggests_the_as_of() {
        let (c, p) = coverage("2025-07-01", "2025-11-15", &[], "2025-12-31");
        let m = gap_messages(InputFile::GmvDaily, "gmv_daily.csv", &c, &p);
        assert_eq!(
            m,
            ["gmv_daily.csv ends 2025-11-15, 46 days before --as-of 2025-12-31: pass --as-of 2025-11-15, or complete the export"]
        );
        // At that as-of the same export is complete.
        let (c, _) = coverage("2025-07-01", "2025-11-15", &[], "2025-11-15");
        assert!(c.gaps.is_empty());
    }

    #[test]
    fn single_days_are_named_once_under_the_first_window() {
        let (c, p) = coverage(
            "2025-07-01",
            "2025-12-31",
            &["2025-08-01", "2025-11-20", "2025-11-21"],
            "2025-12-31",
        );
        let m = gap_messages(InputFile::GmvDaily, "gmv_daily.csv", &c, &p);
        assert_eq!(m.len(), 2, "{m:?}");
        assert!(
            m[0].contains("2025-08-01 (1 of 92 days of window q3)"),
            "{m:?}"
        );
        assert!(
            m[1].contains("2025-11-20..2025-11-21 (2 of 92 days of window q4)"),
            "{m:?}"
        );
        // Every window holding a missing day lists it.
        let windows: Vec<&str> = c.gaps.iter().map(|g| g.window.key()).collect();
        assert_eq!(windows, ["q3", "q4", "nov", "bfcm"]);
        assert_eq!(
            c.missing_days_in([p.cut(WindowId::Q3).unwrap(), p.cut(WindowId::Q4).unwrap()]),
            3
        );
    }

    #[test]
    fn parts_merge_to_the_whole() {
        let p = periods("2025-12-31");
        let (mut a, mut b, mut whole) = Default::default();
        for (i, d) in Window::new(date("2025-06-01"), date("2026-01-31"))
            .dates()
            .enumerate()
        {
            let part: &mut DayCounts = if i % 3 == 0 { &mut a } else { &mut b };
            part.mark(d, &p);
            DayCounts::mark(&mut whole, d, &p);
        }
        let mut merged = DayCounts::default();
        merged.absorb(&b);
        merged.absorb(&a);
        let c = |d: DayCounts| Coverage::new(d, InputFile::GmvDaily, &p);
        assert_eq!(c(merged), c(whole.clone()));
        assert_eq!(c(whole).first, Some(date("2025-06-01")));
    }
}
