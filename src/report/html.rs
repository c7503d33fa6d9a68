//! Partner statements as self-contained HTML pages (inline CSS, no external assets), for
//! reading on screen and printing to A4 or Letter; and an index page of all partners.
//!
//! The renderer knows nothing about a particular command: it renders any set of payout
//! lines of one partner, with their basis, steps and detail tables, under a title and a
//! period. Every value that can come from input passes through [`escape_html`].

use super::partner_view::{self, Shown};
use crate::book::Book;
use crate::engine::{Kind, Line, Skip, Step};
use crate::input::{DataSet, InputFile};
use crate::money::Money;
use crate::programs;
use chrono::NaiveDate;
use std::fmt::{self, Write};

/// The stylesheet every page carries inline.
pub const STYLE: &str = include_str!("statement.css");

/// Text made safe for HTML element content and quoted attribute values: the markup
/// characters as character references, and control and bidirectional-formatting
/// characters shown as `\u{…}` (see `escape::is_hidden`; line breaks and tabs are plain
/// spaces in HTML and stay), so a name cannot reorder the text around it.
pub struct Esc<'a>(pub &'a str);

impl fmt::Display for Esc<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Most text has nothing to escape: one pass over its bytes says so.
        if !needs_escape(self.0) {
            return f.write_str(self.0);
        }
        let mut out = String::with_capacity(self.0.len() + 16);
        super::escape::push_html(&mut out, self.0);
        f.write_str(&out)
    }
}

/// Whether [`Esc`] changes `s`: it holds a markup character, or a character that
/// `escape::is_hidden` hides other than a line break or tab. Only the lead bytes of the
/// hidden characters past ASCII (U+0080–U+009F, U+061C, U+200E–U+2069) need a look at
/// the whole character.
fn needs_escape(s: &str) -> bool {
    let bytes = s.as_bytes();
    bytes.iter().enumerate().any(|(i, &b)| match b {
        b'&' | b'<' | b'>' | b'"' | b'\'' | 0x7f => true,
        b'\n' | b'\t' => false,
        0..=0x1f => true,
        0xc2 | 0xd8 | 0xe2 => s[i..].chars().next().is_some_and(super::escape::is_hidden),
        _ => false,
    })
}

/// `&`, `<`, `>`, `"` and `'` as character references.
pub fn escape_html(s: &str) -> String {
    Esc(s).to_string()
}

/// The audit facts printed at the foot of every page: the program book and each input
/// file, with their sha256, as manifest.json records them.
pub struct Audit<'a> {
    pub book_name: &'a str,
    pub book_source: &'a str,
    pub book_sha256: &'a str,
    /// Every input file of the contract, with its sha256 or `None` when it was not supplied.
    pub inputs: Vec<(&'static str, Option<&'a str>)>,
    /// Further facts of the run, e.g. rows rejected under --skip-invalid.
    pub notes: Vec<String>,
}

impl<'a> Audit<'a> {
    pub fn of(book: &'a Book, data: &'a DataSet, skip_invalid: bool) -> Audit<'a> {
        let inputs = InputFile::ALL
            .iter()
            .map(|f| {
                let report = data.files.get(f);
                let sha = report.and_then(|r| r.sha256.as_deref());
                (report.map_or(f.name(), |r| r.name), sha)
            })
            .collect();
        let mut notes = Vec::new();
        if skip_invalid {
            notes.push(format!(
                "Run with --skip-invalid: {} input row(s) rejected and listed in rejects.csv.",
                data.rejects.len()
            ));
        }
        Audit {
            book_name: &book.rules.book.name,
            book_source: &book.source_name,
            book_sha256: &book.sha256,
            inputs,
            notes,
        }
    }
}

/// One partner's statement.
pub struct PageInput<'a> {
    /// What the document is, e.g. "Q4 2025 payout statement".
    pub title: &'a str,
    /// What it covers, in words, e.g. "2025-10-01 to 2025-12-31".
    pub period: &'a str,
    pub as_of: NaiveDate,
    pub partner_id: &'a str,
    pub partner_name: &'a str,
    /// The partner's lines, in report order.
    pub lines: &'a [&'a Line],
    /// Summary rows after the cash and ad-credit totals, e.g. ("Quarter to date", amount).
    pub extra_totals: &'a [(&'a str, Money)],
    /// Programs without lines in this run, with the reason.
    pub skipped: &'a [Skip],
    /// Relative link to the index page, when one is written beside this page.
    pub index_href: Option<&'a str>,
    pub audit: &'a Audit<'a>,
}

/// The index of all partners: one row per partner with a link to its page.
pub struct IndexInput<'a> {
    pub title: &'a str,
    pub period: &'a str,
    pub as_of: NaiveDate,
    /// Headings of the amount columns; each row has one amount per heading.
    pub columns: &'a [&'a str],
    pub rows: &'a [IndexRow<'a>],
    pub skipped: &'a [Skip],
    pub audit: &'a Audit<'a>,
}

pub struct IndexRow<'a> {
    pub partner_id: &'a str,
    pub partner_name: &'a str,
    /// Link to the partner's page, as [`page_href`] gives it.
    pub href: String,
    pub amounts: Vec<Money>,
    /// For each amount, whether it includes a provisional line (shown with `*`).
    pub provisional: Vec<bool>,
}

/// An amount for a page: with the provisional mark `*` when it includes a provisional line.
fn amount_text(amount: Money, provisional: bool) -> String {
    if provisional {
        format!("{}{}", amount.human(), super::tables::PROVISIONAL_MARK)
    } else {
        amount.human()
    }
}

/// The legend of the provisional mark, for a page that shows it.
fn provisional_notice(doc: &mut Doc, as_of: &str) {
    doc.put(format_args!(
        "<p class=\"notice\">Amounts marked * (provisional) include lines computed over windows \
         not yet complete on {as_of}; they can still change.</p>\n"
    ));
}

/// The file name of a partner's page: `report::file_stem` plus `.html`; a stem that would
/// be taken for the index page (`index`, in any case) gets its first letter
/// percent-encoded, which no other partner id can produce.
pub fn page_file(partner_id: &str) -> String {
    page_file_of(&super::file_stem(partner_id))
}

/// [`page_file`] of a stem from [`super::file_stems`].
pub fn page_file_of(stem: &str) -> String {
    if stem.eq_ignore_ascii_case("index") {
        format!("%{:02X}{}.html", stem.as_bytes()[0], &stem[1..])
    } else {
        format!("{stem}.html")
    }
}

/// A relative link to [`page_file`]: its `%` must itself be encoded in a URL.
pub fn page_href(partner_id: &str) -> String {
    page_href_of(&super::file_stem(partner_id))
}

/// [`page_href`] of a stem from [`super::file_stems`].
pub fn page_href_of(stem: &str) -> String {
    page_file_of(stem).replace('%', "%25")
}

/// `q4` → `Q4`, `bfcm` → `BFCM`, `2025-11` → `November 2025`; anything else as it is.
pub fn period_label(period: &str) -> String {
    let mut out = String::with_capacity(16);
    push_period_label(&mut out, period);
    out
}

const MONTHS: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];

/// Appends [`period_label`] of `period`. A month label (`2025-11`, every page prints
/// several) is spelled out without going through the date parser and formatter.
fn push_period_label(out: &mut String, period: &str) {
    match period {
        "q4" => out.push_str("Q4"),
        "bfcm" => out.push_str("BFCM"),
        p => {
            let b = p.as_bytes();
            let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
            if b.len() == 7 && b[4] == b'-' && digits(0..4) && digits(5..7) && b[0] != b'0' {
                let month = usize::from((b[5] - b'0') * 10 + (b[6] - b'0'));
                if (1..=12).contains(&month) {
                    out.push_str(MONTHS[month - 1]);
                    out.push(' ');
                    out.push_str(&p[..4]);
                    return;
                }
            }
            match NaiveDate::parse_from_str(&format!("{p}-01"), "%Y-%m-%d") {
                Ok(d) => {
                    let _ = write!(out, "{}", d.format("%B %Y"));
                }
                Err(_) => out.push_str(p),
            }
        }
    }
}

fn kind_label(kind: Kind) -> &'static str {
    match kind {
        Kind::Cash => "Cash",
        Kind::AdCredit => "Ad credit",
    }
}

/// A cell that reads as a number (`1,234.50`, `$250`, `-3`, `12.5%`, `7`) is right-aligned.
pub fn looks_numeric(cell: &str) -> bool {
    // Over bytes: a character past ASCII is never a digit, `,` or `.`. A cell that starts
    // and ends with a visible ASCII character (nearly every one) has nothing to trim.
    let b = cell.as_bytes();
    let s = match (b.first(), b.last()) {
        (Some(first), Some(last)) if first.is_ascii_graphic() && last.is_ascii_graphic() => b,
        _ => cell.trim().as_bytes(),
    };
    numeric_bytes(s)
}

/// [`looks_numeric`] of a cell already trimmed: an optional `-` and `$`, digits and
/// commas starting with a digit and not ending with a comma, then optionally a point
/// and digits, and an optional `%`. One pass over the bytes: every step value and
/// detail cell of every page comes here.
fn numeric_bytes(s: &[u8]) -> bool {
    let s = s.strip_prefix(b"-").unwrap_or(s);
    let s = s.strip_prefix(b"$").unwrap_or(s);
    let s = s.strip_suffix(b"%").unwrap_or(s);
    if !s.first().is_some_and(u8::is_ascii_digit) {
        return false;
    }
    let int = s
        .iter()
        .position(|&b| !(b.is_ascii_digit() || b == b','))
        .unwrap_or(s.len());
    if s[int - 1] == b',' {
        return false;
    }
    match s[int..].split_first() {
        None => true,
        Some((b'.', frac)) => !frac.is_empty() && frac.iter().all(u8::is_ascii_digit),
        Some(_) => false,
    }
}

/// Whether a cell is empty or only white space, as `cell.trim().is_empty()`.
fn is_blank(cell: &str) -> bool {
    match cell.as_bytes().first() {
        None => true,
        Some(b) if b.is_ascii_graphic() => false,
        Some(_) => cell.trim().is_empty(),
    }
}

/// An HTML document under construction. Writing to a `String` cannot fail, so the
/// `fmt::Result`s are dropped in one place.
struct Doc(String);

impl Doc {
    fn put(&mut self, args: fmt::Arguments) {
        let _ = self.0.write_fmt(args);
    }

    fn s(&mut self, s: &str) {
        self.0.push_str(s);
    }

    /// `s` escaped, as [`Esc`] writes it.
    fn esc(&mut self, s: &str) {
        super::escape::push_html(&mut self.0, s);
    }

    /// [`period_label`], escaped.
    fn period(&mut self, period: &str) {
        let at = self.0.len();
        push_period_label(&mut self.0, period);
        if needs_escape(&self.0[at..]) {
            let label = self.0.split_off(at);
            self.esc(&label);
        }
    }

    /// [`amount_text`], written in place.
    fn amount(&mut self, amount: Money, provisional: bool) {
        amount.push_human(&mut self.0);
        if provisional {
            self.esc(super::tables::PROVISIONAL_MARK);
        }
    }

    fn head(&mut self, title: &str) {
        self.head_parts(&[title]);
    }

    /// The head of a page whose title is `parts` one after the other (escaping text piece
    /// by piece writes what escaping it whole does).
    fn head_parts(&mut self, parts: &[&str]) {
        self.s(
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
             <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
             <title>",
        );
        for part in parts {
            self.esc(part);
        }
        self.s("</title>\n<style>\n");
        self.s(STYLE);
        self.s("</style>\n</head>\n<body>\n");
    }

    fn facts(&mut self, facts: &[(&str, &str)]) {
        self.0.push_str("<dl class=\"facts\">\n");
        for (k, v) in facts {
            self.s("<dt>");
            self.esc(k);
            self.s("</dt><dd>");
            self.esc(v);
            self.s("</dd>\n");
        }
        self.0.push_str("</dl>\n");
    }

    fn skipped(&mut self, skipped: &[Skip]) {
        if skipped.is_empty() {
            return;
        }
        self.0
            .push_str("<h2>Not priced in this run</h2>\n<ul class=\"skipped\">\n");
        for s in skipped {
            self.s("<li>");
            self.esc(programs::title(s.program));
            self.s(" <span class=\"muted\">(");
            self.esc(s.program);
            self.s(")</span>: ");
            self.esc(&s.reason);
            self.s("</li>\n");
        }
        self.0.push_str("</ul>\n");
    }

    fn audit(&mut self, audit: &Audit) {
        self.0
            .push_str("<footer class=\"audit\">\n<h2>Audit</h2>\n<table>\n<tbody>\n");
        self.s("<tr><th>Program book</th><td>");
        self.esc(audit.book_name);
        self.s(" <span class=\"muted\">(");
        self.esc(audit.book_source);
        self.s(")</span><br><span class=\"hash\">sha256 ");
        self.esc(audit.book_sha256);
        self.s("</span></td></tr>\n");
        for (file, sha) in &audit.inputs {
            self.s("<tr><th>");
            self.esc(file);
            match sha {
                Some(sha) => {
                    self.s("</th><td><span class=\"hash\">sha256 ");
                    self.esc(sha);
                    self.s("</span></td></tr>\n");
                }
                None => self.s("</th><td class=\"muted\">not supplied</td></tr>\n"),
            }
        }
        self.0.push_str("</tbody>\n</table>\n");
        for note in &audit.notes {
            self.s("<p>");
            self.esc(note);
            self.s("</p>\n");
        }
        self.s(concat!(
            "<p>Computed by tsp-payout ",
            env!("CARGO_PKG_VERSION"),
            ". The same inputs and program book produce this \
             document byte for byte; compare the sha256 values above with manifest.json.</p>\n\
             </footer>\n</body>\n</html>\n"
        ));
    }

    /// The detail table of a line as the partner sees it, each cell written straight from
    /// the line.
    fn detail_table(&mut self, table: &partner_view::Visible) {
        // A column is right-aligned when every non-empty cell of it reads as a number, so
        // that a column of amounts lines up and a column of ids does not.
        const NONE_YET: u8 = 0;
        const NUMERIC: u8 = 1;
        const TEXT: u8 = 2;
        let mut state = vec![NONE_YET; table.column_count()];
        for (row, mine) in table.rows() {
            for (i, (cell, seen)) in row.iter().zip(state.iter_mut()).enumerate() {
                if *seen == TEXT {
                    continue;
                }
                match table.cell(i, cell, mine) {
                    Shown::Figure { .. } => *seen = NUMERIC,
                    Shown::Text(shown) if !is_blank(&shown) => {
                        *seen = if looks_numeric(&shown) { NUMERIC } else { TEXT };
                    }
                    Shown::Text(_) => {}
                }
            }
        }
        let numeric = |i: usize| state.get(i) == Some(&NUMERIC);
        self.0.push_str("<table class=\"detail\">\n<thead><tr>");
        for (i, c) in table.columns().enumerate() {
            self.s(if numeric(i) {
                "<th class=\"num\">"
            } else {
                "<th>"
            });
            self.esc(c);
            self.s("</th>");
        }
        self.0.push_str("</tr></thead>\n<tbody>\n");
        for (row, mine) in table.rows() {
            self.0.push_str("<tr>");
            for (i, cell) in row.iter().enumerate() {
                self.s(if numeric(i) {
                    "<td class=\"num\">"
                } else {
                    "<td>"
                });
                match table.cell(i, cell, mine) {
                    Shown::Figure { cell, int } => {
                        partner_view::push_grouped(&mut self.0, cell, int)
                    }
                    Shown::Text(shown) => self.esc(&shown),
                }
                self.s("</td>");
            }
            self.0.push_str("</tr>\n");
        }
        self.0.push_str("</tbody>\n</table>\n");
    }

    fn steps(&mut self, steps: &[Step], depth: usize) {
        if steps.is_empty() {
            return;
        }
        // The indent of this depth, as `{}` writes the number.
        let mut digits = [0u8; 40];
        let indent = crate::money::decimal_digits((1 + 3 * depth) as u128, &mut digits);
        let indent = std::str::from_utf8(indent).expect("ASCII digits");
        for s in steps {
            self.s("<tr><td style=\"padding-left:");
            self.s(indent);
            self.s("ch\">");
            self.esc(&s.label);
            self.s(if looks_numeric(&s.value) {
                "</td><td class=\"num\">"
            } else {
                "</td><td>"
            });
            self.esc(&s.value);
            match s.source.as_deref() {
                Some(source) => {
                    self.s("</td><td class=\"src\">");
                    self.esc(source);
                    self.s("</td></tr>\n");
                }
                None => self.s("</td><td class=\"src\"></td></tr>\n"),
            }
            self.steps(&s.children, depth + 1);
        }
    }

    fn line(&mut self, l: &Line) {
        self.s("<section class=\"line\">\n<div class=\"line-head\"><h3>");
        self.esc(programs::title(l.program));
        self.s(" · ");
        self.period(&l.period);
        if l.provisional {
            self.0.push_str("<span class=\"badge\">provisional</span>");
        }
        self.s("</h3><div class=\"line-amount\"><span class=\"kind\">");
        self.s(kind_label(l.kind));
        self.s("</span>");
        self.amount(l.amount, false);
        self.s("</div></div>\n<p class=\"basis\">");
        self.esc(partner_view::basis(l));
        self.s("</p>\n");
        if let Some(d) = partner_view::Visible::of(l).filter(|d| !d.is_empty()) {
            self.s("<p class=\"caption\">");
            self.esc(&d.title);
            self.s("</p>\n");
            self.detail_table(&d);
        }
        if !l.steps.is_empty() {
            self.0.push_str(
                "<p class=\"caption\">How it was computed</p>\n<table class=\"steps\">\n\
                 <thead><tr><th>Figure</th><th>Value</th><th>From</th></tr></thead>\n<tbody>\n",
            );
            self.steps(&l.steps, 0);
            self.0.push_str("</tbody>\n</table>\n");
        }
        self.0.push_str("</section>\n");
    }
}

/// One partner's statement: header, summary by program with the cash and ad-credit totals,
/// each line with its basis, detail table and steps, and the audit footer.
pub fn partner_page(input: &PageInput) -> String {
    let mut buf = Vec::with_capacity(16 * 1024);
    partner_page_into(input, &mut buf);
    String::from_utf8(buf).expect("HTML is UTF-8")
}

/// [`partner_page`] appended to `buf` (a buffer reused from page to page).
pub fn partner_page_into(input: &PageInput, buf: &mut Vec<u8>) {
    let mut doc = Doc(String::from_utf8(std::mem::take(buf)).expect("a buffer of UTF-8 text"));
    let shown_name = if input.partner_name.is_empty() {
        input.partner_id
    } else {
        input.partner_name
    };
    doc.head_parts(&[input.title, " · ", shown_name]);
    doc.0.push_str("<header>\n");
    if let Some(href) = input.index_href {
        doc.s("<p class=\"muted\"><a href=\"");
        doc.esc(href);
        doc.s("\">All partners</a></p>\n");
    }
    doc.s("<div class=\"doc-title\">");
    doc.esc(input.title);
    doc.s("</div>\n<h1>");
    doc.esc(shown_name);
    doc.s("</h1>\n");
    let as_of = input.as_of.to_string();
    let mut facts = vec![("Partner ID", input.partner_id)];
    if !input.partner_name.is_empty() {
        facts.push(("Partner name", input.partner_name));
    }
    facts.extend([("Period", input.period), ("As of", &as_of)]);
    doc.facts(&facts);
    if input.lines.iter().any(|l| l.provisional) {
        provisional_notice(&mut doc, &as_of);
    }
    doc.0.push_str("</header>\n");

    // Summary: one row per program, in report order, then the totals by kind.
    let mut programs: Vec<&str> = input.lines.iter().map(|l| l.program).collect();
    programs.sort_by_key(|p| crate::programs::position(p));
    programs.dedup();
    doc.0.push_str(
        "<h2>Summary</h2>\n<table class=\"summary\">\n<thead><tr><th>Program</th><th>Kind</th>\
         <th>Period</th><th class=\"num\">Amount (USD)</th></tr></thead>\n<tbody>\n",
    );
    for p in &programs {
        let lines = || input.lines.iter().filter(|l| l.program == *p);
        let amount: Money = lines().map(|l| l.amount).sum();
        doc.s("<tr><td>");
        doc.esc(programs::title(p));
        doc.s("</td><td>");
        // The kinds of the program's lines, a run of equal ones named once.
        let mut last_kind = None;
        for l in lines() {
            let kind = kind_label(l.kind);
            if last_kind == Some(kind) {
                continue;
            }
            if last_kind.is_some() {
                doc.s(", ");
            }
            doc.s(kind);
            last_kind = Some(kind);
        }
        doc.s("</td><td>");
        for (i, l) in lines().enumerate() {
            if i > 0 {
                doc.s(", ");
            }
            doc.period(&l.period);
        }
        doc.s("</td><td class=\"num\">");
        doc.amount(amount, lines().any(|l| l.provisional));
        doc.s("</td></tr>\n");
    }
    if programs.is_empty() {
        doc.0.push_str(
            "<tr><td colspan=\"4\" class=\"muted\">No payout lines in this period.</td></tr>\n",
        );
    }
    doc.0.push_str("</tbody>\n<tfoot>\n");
    let total = |kind: Kind| -> Money {
        input
            .lines
            .iter()
            .filter(|l| l.kind == kind)
            .map(|l| l.amount)
            .sum()
    };
    // A kind the page has no line of (cash on a monthly ad-credit statement) gets no total.
    let has = |kind: Kind| input.lines.iter().any(|l| l.kind == kind);
    let provisional = |kind: Kind| input.lines.iter().any(|l| l.kind == kind && l.provisional);
    let total_row = |doc: &mut Doc, label: &str, amount: Money, provisional: bool| {
        doc.s("<tr><th colspan=\"3\">");
        doc.esc(label);
        doc.s("</th><td class=\"num\">");
        doc.amount(amount, provisional);
        doc.s("</td></tr>\n");
    };
    for (kind, label) in [
        (Kind::Cash, "Cash total"),
        (Kind::AdCredit, "Ad-credit total"),
    ] {
        if has(kind) {
            total_row(&mut doc, label, total(kind), provisional(kind));
        }
    }
    for (label, amount) in input.extra_totals {
        total_row(&mut doc, label, *amount, false);
    }
    doc.0.push_str("</tfoot>\n</table>\n");

    if !input.lines.is_empty() {
        doc.0.push_str("<h2>Programs in detail</h2>\n");
        for l in input.lines {
            doc.line(l);
        }
    }
    doc.skipped(input.skipped);
    doc.audit(input.audit);
    *buf = doc.0.into_bytes();
}

/// The index of all partners with their amounts and a totals row.
pub fn index_page(input: &IndexInput) -> String {
    let mut doc = Doc(String::with_capacity(8 * 1024));
    doc.head(input.title);
    doc.put(format_args!(
        "<header>\n<div class=\"doc-title\">Partner statements</div>\n<h1>{}</h1>\n",
        Esc(input.title)
    ));
    let as_of = input.as_of.to_string();
    let count = input.rows.len().to_string();
    doc.facts(&[
        ("Period", input.period),
        ("As of", &as_of),
        ("Partners", &count),
    ]);
    let any_provisional = input.rows.iter().any(|r| r.provisional.contains(&true));
    if any_provisional {
        provisional_notice(&mut doc, &as_of);
    }
    doc.0.push_str(
        "</header>\n<h2>Partners</h2>\n<table class=\"index\">\n<thead><tr>\
         <th>Partner ID</th><th>Partner name</th>",
    );
    for c in input.columns {
        doc.put(format_args!("<th class=\"num\">{}</th>", Esc(c)));
    }
    doc.0.push_str("</tr></thead>\n<tbody>\n");
    let mut sums = vec![Money::ZERO; input.columns.len()];
    let mut sums_provisional = vec![false; input.columns.len()];
    for r in input.rows {
        doc.put(format_args!(
            "<tr><td><a href=\"{}\">{}</a></td><td>{}</td>",
            Esc(&r.href),
            Esc(r.partner_id),
            Esc(r.partner_name)
        ));
        for (i, a) in r.amounts.iter().enumerate() {
            let provisional = r.provisional.get(i).copied().unwrap_or(false);
            if let Some(s) = sums.get_mut(i) {
                *s += *a;
                sums_provisional[i] |= provisional;
            }
            doc.put(format_args!(
                "<td class=\"num\">{}</td>",
                Esc(&amount_text(*a, provisional))
            ));
        }
        doc.0.push_str("</tr>\n");
    }
    doc.put(format_args!(
        "</tbody>\n<tfoot>\n<tr><th>Total</th><th>{} partners</th>",
        input.rows.len()
    ));
    for (s, provisional) in sums.iter().zip(&sums_provisional) {
        doc.put(format_args!(
            "<td class=\"num\">{}</td>",
            Esc(&amount_text(*s, *provisional))
        ));
    }
    doc.0.push_str("</tr>\n</tfoot>\n</table>\n");
    doc.skipped(input.skipped);
    doc.audit(input.audit);
    doc.0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_every_markup_character() {
        assert_eq!(
            escape_html(r#"<script>alert("x")</script> & Co's"#),
            "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Co&#39;s"
        );
        assert_eq!(escape_html("plain é"), "plain é");
        assert_eq!(
            escape_html("a\u{202e}b\u{1b}<\u{2066}\nc"),
            "a\\u{202e}b\\u{1b}&lt;\\u{2066}\nc"
        );
        assert_eq!(escape_html(""), "");
    }

    /// The quick check agrees with the escaping itself, character by character.
    #[test]
    fn text_is_left_alone_exactly_when_nothing_in_it_is_escaped() {
        let mut samples: Vec<String> = (0u32..0x3000)
            .filter_map(char::from_u32)
            .map(|c| format!("a{c}b"))
            .collect();
        samples
            .extend(["", "plain", "é名\n\t", "\u{85}", "\u{2069}x", "\u{206a}"].map(String::from));
        for s in &samples {
            let escaped = escape_html(s);
            assert_eq!(needs_escape(s), escaped != *s, "{s:?}");
        }
    }

    #[test]
    fn numeric_cells() {
        for s in [
            "1,234.50",
            "0.00",
            "$250",
            "-3",
            "12.5%",
            "7",
            " 42 ",
            "\u{a0}12\u{3000}",
        ] {
            assert!(looks_numeric(s), "{s}");
        }
        for s in [
            "S0101",
            "",
            "1.2.3",
            "1,2é",
            "١٢",
            "1.",
            ".5",
            "1,",
            "2025-10-01",
            "rank 3",
            "-",
            "$",
        ] {
            assert!(!looks_numeric(s), "{s}");
        }
    }

    /// Skipping the trim for a cell with visible ASCII at both ends decides every cell as
    /// trimming it first does.
    #[test]
    fn numeric_cells_as_when_every_cell_was_trimmed() {
        let cores = [
            "",
            "0",
            "-0",
            "7",
            "1,234.50",
            "-96,540.20",
            "$250",
            "-$3",
            "12.5%",
            "1.",
            ".5",
            "1,",
            ",1",
            "1.2.3",
            "S0101",
            "-",
            "$",
            "%",
            "12 345",
            "99999999999999999999.99",
        ];
        let ends = [
            "", " ", "\t", "\n", "\u{a0}", "\u{3000}", "x", "é", "\u{1b}",
        ];
        for core in cores {
            for a in ends {
                for b in ends {
                    let cell = format!("{a}{core}{b}");
                    let trimmed_first = numeric_bytes(cell.trim().as_bytes());
                    assert_eq!(looks_numeric(&cell), trimmed_first, "{cell:?}");
                }
            }
        }
    }

    /// The trimmed-cell test as it was written before the one-pass version: by parts.
    fn numeric_bytes_by_parts(s: &[u8]) -> bool {
        let s = s.strip_prefix(b"-").unwrap_or(s);
        let s = s.strip_prefix(b"$").unwrap_or(s);
        let s = s.strip_suffix(b"%").unwrap_or(s);
        let (int, frac) = match s.iter().position(|&b| b == b'.') {
            Some(dot) => (&s[..dot], &s[dot + 1..]),
            None => (s, &[][..]),
        };
        let int_ok = int.first().is_some_and(u8::is_ascii_digit)
            && int.iter().all(|&b| b.is_ascii_digit() || b == b',')
            && int.last() != Some(&b',');
        int_ok && frac.iter().all(u8::is_ascii_digit) && s.last() != Some(&b'.')
    }

    /// Every string of up to five characters from the ones that matter decides as before.
    #[test]
    fn numeric_cells_in_one_pass_as_by_parts() {
        let alphabet = b"-$%.,07 a";
        let mut cells: Vec<Vec<u8>> = vec![Vec::new()];
        let mut last = cells.clone();
        for _ in 0..5 {
            last = last
                .iter()
                .flat_map(|c| {
                    alphabet.iter().map(move |&b| {
                        let mut c = c.clone();
                        c.push(b);
                        c
                    })
                })
                .collect();
            cells.extend(last.iter().cloned());
        }
        cells.extend(
            [
                "-$1,234.50%",
                "99999999999999999999.99",
                "1..2",
                "1,.5",
                "é1",
                "1é",
            ]
            .map(|c| c.as_bytes().to_vec()),
        );
        for c in &cells {
            assert_eq!(
                numeric_bytes(c),
                numeric_bytes_by_parts(c),
                "{:?}",
                String::from_utf8_lossy(c)
            );
            let text = String::from_utf8_lossy(c);
            assert_eq!(is_blank(&text), text.trim().is_empty(), "{text:?}");
        }
    }

    /// The table as it was written from the view of the line (cells copied out first).
    fn table_from_view(d: &partner_view::DetailView) -> String {
        let mut doc = Doc(String::new());
        let numeric: Vec<bool> = (0..d.columns.len())
            .map(|i| {
                let mut cells = d
                    .rows
                    .iter()
                    .filter_map(|r| r.get(i).map(AsRef::as_ref))
                    .filter(|c: &&str| !c.trim().is_empty())
                    .peekable();
                cells.peek().is_some() && cells.all(looks_numeric)
            })
            .collect();
        doc.s("<table class=\"detail\">\n<thead><tr>");
        for (i, c) in d.columns.iter().enumerate() {
            doc.s(if numeric[i] {
                "<th class=\"num\">"
            } else {
                "<th>"
            });
            doc.esc(c);
            doc.s("</th>");
        }
        doc.s("</tr></thead>\n<tbody>\n");
        for row in &d.rows {
            doc.s("<tr>");
            for (i, cell) in row.iter().enumerate() {
                doc.s(if numeric.get(i).copied().unwrap_or(false) {
                    "<td class=\"num\">"
                } else {
                    "<td>"
                });
                doc.esc(cell);
                doc.s("</td>");
            }
            doc.s("</tr>\n");
        }
        doc.s("</tbody>\n</table>\n");
        doc.0
    }

    /// Tables written cell by cell from the line read as the view of it did: leaderboards
    /// seen from on and off the board, ragged rows, blank, hostile and awkward amounts.
    #[test]
    fn detail_tables_are_written_as_from_the_view() {
        use crate::engine::Detail;
        use crate::payout::Text;
        let awkward = [
            "0",
            "-0",
            "7",
            "-96540.20",
            "12345678901234567890.123456",
            "1000",
            "1.",
            ".5",
            "+5",
            "1e5",
            "",
            " ",
            "\u{a0}",
            "n/a",
            "<b>&'\"",
            "\u{202e}x",
            "1,000.00",
            "-",
            "00012",
            "999",
            "-1000.5",
        ];
        let mut tables = Vec::new();
        // A plain table: every awkward cell in an amount column and a text column.
        let rows: Vec<Vec<Text>> = awkward
            .iter()
            .map(|c| vec![Text::copy(c), Text::copy(c), Text::copy("5")])
            .collect();
        tables.push(Detail::new("t <x>", &["id", "gmv", "n"], rows).amounts(&["gmv", "n"]));
        // Columns wholly numeric, wholly blank, and ragged rows.
        tables.push(
            Detail::new(
                "ragged",
                &["a", "b", "c"],
                vec![
                    vec!["1".into(), " ".into()],
                    vec!["2000".into(), "".into(), "x".into(), "extra".into()],
                    vec![],
                ],
            )
            .amounts(&["a"]),
        );
        // A leaderboard with ranks, seen by a partner on it, at its ends, and off it.
        let board: Vec<Vec<Text>> = (1..=6)
            .map(|r| {
                vec![
                    Text::from(r.to_string()),
                    Text::from(format!("P{r}")),
                    Text::from(format!("{}.50", 100_000 * r)),
                    Text::from(if r == 3 { "n/a" } else { "8000.00" }),
                ]
            })
            .collect();
        let title = format!("board{}", crate::programs::bfcm::BOARD_ROWS);
        tables.push(
            Detail::new(title, &["rank", "partner_id", "gmv", "amount"], board)
                .amounts(&["gmv", "amount"]),
        );
        for d in &tables {
            for partner in ["P1", "P3", "P6", "P9"] {
                let mut line = Line::of_dollars(partner, "bfcm_matchmaking", "bfcm", Kind::Cash, 1);
                line.detail = Some(d.clone());
                let view = partner_view::view(&line).expect("a view");
                let visible = partner_view::Visible::of(&line).expect("a table");
                assert_eq!(visible.title, view.title);
                assert_eq!(visible.is_empty(), view.rows.is_empty());
                let mut doc = Doc(String::new());
                doc.detail_table(&visible);
                assert_eq!(doc.0, table_from_view(&view), "{} {partner}", d.title);
            }
        }
    }

    #[test]
    fn page_files_and_links() {
        assert_eq!(page_file("P01"), "P01.html");
        assert_eq!(page_file("index"), "%69ndex.html");
        assert_eq!(page_file("INDEX"), "%49NDEX.html");
        assert_eq!(page_file("a b"), "a%20b.html");
        assert_eq!(page_href("a b"), "a%2520b.html");
        assert_eq!(page_href("index"), "%2569ndex.html");
    }

    /// The month labels spelled out directly read as the date formatter writes them.
    #[test]
    fn month_labels_match_the_date_formatter() {
        let by_formatter = |p: &str| {
            NaiveDate::parse_from_str(&format!("{p}-01"), "%Y-%m-%d")
                .map_or_else(|_| p.to_string(), |d| d.format("%B %Y").to_string())
        };
        let mut periods: Vec<String> = (0..=13)
            .flat_map(|m| ["0999", "1000", "2025", "9999"].map(|y| format!("{y}-{m:02}")))
            .collect();
        periods.extend(
            [
                "2025-1", "2025-001", "+2025-01", "2025-1a", "2025/01", "20251-01", "2025-01 ", "",
            ]
            .map(String::from),
        );
        for p in &periods {
            assert_eq!(period_label(p), by_formatter(p), "{p:?}");
        }
        assert_eq!(period_label("2025-11"), "November 2025");
    }

    #[test]
    fn period_labels() {
        assert_eq!(period_label("q4"), "Q4");
        assert_eq!(period_label("bfcm"), "BFCM");
        assert_eq!(period_label("2025-11"), "November 2025");
        assert_eq!(period_label("x<y"), "x<y");
    }
}
