//! The Rules page: the book's windows and each program's rule in a sentence, every number
//! marked (P) published or (A) assumed, and the sources cited. `tsp-payout book --format md`
//! prints it; the README's "default book" section is this page for the embedded book.

use crate::book::{Book, Rules};
use crate::report::escape::md_text;
use crate::rules::BookKey;
use std::fmt::Write as _;

/// The Markdown Rules page of `book`.
pub fn render(book: &Book) -> String {
    let r = &book.rules;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "**{}** (amounts in {}). Every number is marked (P), published by the platform, or (A), \
         this book's documented assumption; the sources are listed below.",
        md_text(&r.book.name),
        md_text(&r.book.currency)
    );
    out.push('\n');
    out.push_str("| window | dates | days | |\n|---|---|---|---|\n");
    for (key, w) in r.windows.named() {
        let _ = writeln!(
            out,
            "| {} (`{key}`) | {}..{} | {} | {} |",
            window_title(key),
            w.start,
            w.end,
            w.days(),
            mark(r, &format!("windows.{key}"))
        );
    }
    out.push('\n');
    out.push_str("| program | rule |\n|---|---|\n");
    for (program, kind, rule) in programs(r) {
        let _ = writeln!(out, "| `{program}` ({kind}) | {rule} |");
    }
    out.push_str("\nSources:\n\n");
    for (id, s) in &r.sources {
        let cited: Vec<String> = r
            .provenance
            .iter()
            .filter(|(_, p)| &p.source == id)
            .map(|(key, _)| format!("`{}`", key.replace('`', "'")))
            .collect();
        let mut line = format!("- `{}`: {}", id.replace('`', "'"), md_text(&s.publisher));
        if let Some(date) = s.date {
            let _ = write!(line, ", {date}");
        }
        let _ = write!(line, ", “{}”", md_text(&s.title));
        if let Some(url) = &s.url {
            let _ = write!(line, ", {}", link(url));
        }
        if cited.is_empty() {
            line.push_str(". Cited by no value.");
        } else {
            let _ = write!(line, ". Cited by {}.", cited.join(", "));
        }
        let _ = writeln!(out, "{line}");
    }
    out
}

/// `(P)`, `(A)`, or with the entry's note `(A; published: up to $10,000)`.
fn mark(r: &Rules, key: &str) -> String {
    let p = r.provenance_of(key);
    match &p.note {
        Some(note) => format!("({}; {})", p.status.letter(), md_text(note)),
        None => format!("({})", p.status.letter()),
    }
}

/// A URL as an autolink when it is a plain http(s) address, otherwise as escaped text.
fn link(url: &str) -> String {
    let plain = (url.starts_with("https://") || url.starts_with("http://"))
        && url
            .chars()
            .all(|c| c.is_ascii_graphic() && !matches!(c, '<' | '>' | '`' | '\\'));
    if plain {
        format!("<{url}>")
    } else {
        md_text(url)
    }
}

fn window_title(key: &str) -> &'static str {
    match key {
        "program" => "program period, the --as-of range",
        "q3" => "Q3 baseline",
        "q4" => "Q4",
        "oct" | "nov" | "dec" => "month",
        "bfcm" => "BFCM",
        _ => "window",
    }
}

/// Each payout's id, kind and cadence, and its rule in a sentence with the book's numbers,
/// in report order, as its program states it.
fn programs(r: &Rules) -> Vec<(&'static str, String, String)> {
    let mark = |key: BookKey| mark(r, &key.to_string());
    crate::programs::registry()
        .iter()
        .map(|p| {
            let rule = (p.rule)(r, &mark);
            (p.id, rule.issued, rule.text)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_number_is_marked() {
        let page = render(&Book::embedded());
        assert!(page.contains("| Q3 baseline (`q3`) | 2025-07-01..2025-09-30 | 92 | (A; "));
        assert!(
            page.contains("at most 70 sellers per partner (P)"),
            "{page}"
        );
        assert!(page.contains("ranked in the top 15 (P)"), "{page}");
        assert!(page.contains("<https://digiday.com/marketing/"), "{page}");
    }
}
