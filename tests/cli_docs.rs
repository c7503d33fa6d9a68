//! Shell completions and manual pages come from the command-line definitions themselves.

mod common;

use common::bin;

#[test]
fn completions_cover_every_command_and_flag() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let out = bin().args(["completions", shell]).output().expect("run");
        assert!(out.status.success(), "{shell}");
        let text = String::from_utf8(out.stdout).expect("UTF-8");
        for word in [
            "calc",
            "statements",
            "whatif",
            "explain",
            "validate",
            "as-of",
            "skip-invalid",
        ] {
            assert!(text.contains(word), "{shell} completion lacks {word}");
        }
    }
    let out = bin().args(["completions", "tcsh"]).output().expect("run");
    assert_eq!(
        out.status.code(),
        Some(2),
        "an unknown shell is a usage error"
    );
}

#[test]
fn the_manual_page_is_roff_with_every_command() {
    let out = bin().arg("man").output().expect("run");
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).expect("UTF-8");
    assert!(text.contains(".TH tsp-payout 1"), "{text}");
    assert!(text.contains("tsp\\-payout\\-calc(1)"), "{text}");
}

#[test]
fn man_dir_writes_one_page_per_command() {
    let dir = tempfile::tempdir().expect("temp dir");
    let pages = dir.path().join("man1");
    let out = bin()
        .arg("man")
        .arg("--dir")
        .arg(&pages)
        .output()
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for page in [
        "tsp-payout.1",
        "tsp-payout-calc.1",
        "tsp-payout-statements.1",
        "tsp-payout-validate.1",
    ] {
        let text = std::fs::read_to_string(pages.join(page)).expect(page);
        assert!(text.starts_with(".ie"), "{page}: {text}");
    }
    let calc = std::fs::read_to_string(pages.join("tsp-payout-calc.1")).expect("calc page");
    assert!(calc.contains("\\-\\-as\\-of"), "{calc}");
}

#[test]
fn a_mistyped_flag_is_never_turned_into_force() {
    // A suggestion of --force (with a usage line spelling it) invites replacing a run.
    for typo in ["--forc", "--fore", "--foo"] {
        let out = bin()
            .args(["calc", "fixtures/q4-sample", typo])
            .output()
            .expect("run");
        assert_eq!(out.status.code(), Some(2));
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(typo), "{err}");
        assert!(!err.contains("--force"), "{typo}: {err}");
    }
}
