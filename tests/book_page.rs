//! The README's "default book" section is the Rules page rendered from the embedded book
//! (`tsp-payout book --format md`), so the rules a reader sees are the rules the program
//! runs. After a change to book/q4-2025.toml, `BLESS=1 cargo test --test book_page`
//! rewrites the section.

mod common;

use common::bin;
use std::fs;
use std::path::Path;
use tsp_payout::book::Book;
use tsp_payout::report::rules_page;

const BEGIN: &str = "<!-- book:begin (rendered by `tsp-payout book --format md`; edit book/q4-2025.toml, then run `BLESS=1 cargo test --test book_page`) -->\n";
const END: &str = "<!-- book:end -->\n";

#[test]
fn readme_rules_section_is_the_rendered_book() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md");
    let readme = fs::read_to_string(&path).expect("read README.md");
    let start = readme
        .find(BEGIN)
        .expect("README has the book:begin marker")
        + BEGIN.len();
    let end = start
        + readme[start..]
            .find(END)
            .expect("README has the book:end marker");
    let page = rules_page::render(&Book::embedded());
    let wanted = format!("\n{page}\n");
    if std::env::var_os("BLESS").is_some() {
        let blessed = format!("{}{wanted}{}", &readme[..start], &readme[end..]);
        fs::write(&path, blessed).expect("write README.md");
        return;
    }
    assert!(
        readme[start..end] == wanted,
        "README.md's default-book section differs from `tsp-payout book --format md`; \
         run `BLESS=1 cargo test --test book_page` and review the diff.\n--- README ---\n{}\n--- book ---\n{}",
        &readme[start..end],
        wanted
    );
}

#[test]
fn book_format_md_prints_the_rules_page() {
    let out = bin()
        .args(["book", "--format", "md"])
        .output()
        .expect("run");
    assert!(out.status.success());
    let page = String::from_utf8(out.stdout).unwrap();
    assert_eq!(page, rules_page::render(&Book::embedded()));
    assert!(page.contains("| Q3 baseline (`q3`) | 2025-07-01..2025-09-30 | 92 | (A; "));
    assert!(page.contains("| BFCM (`bfcm`) | 2025-11-12..2025-12-01 | 20 | (P) |"));
    assert!(page.contains("Digiday, 2025-11-17"));
    // The default is the TOML as written.
    let toml = bin().arg("book").output().expect("run");
    assert_eq!(
        String::from_utf8(toml.stdout).unwrap(),
        tsp_payout::book::EMBEDDED
    );
}

#[test]
fn a_book_without_provenance_for_a_value_is_refused_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("book.toml");
    let line = "\"bfcm_matchmaking.min_gmv\" = { status = \"A\", source = \"this-book\" }\n";
    assert!(tsp_payout::book::EMBEDDED.contains(line));
    fs::write(&path, tsp_payout::book::EMBEDDED.replace(line, "")).unwrap();
    for format in ["toml", "md"] {
        let out = bin()
            .args(["book", "--format", format, "--book"])
            .arg(&path)
            .output()
            .expect("run");
        assert_eq!(out.status.code(), Some(2));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains("bfcm_matchmaking.min_gmv: has no [provenance] entry"),
            "{err}"
        );
    }
}
