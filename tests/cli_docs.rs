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

fn long_help(command: &str) -> String {
    let out = bin().args([command, "--help"]).output().expect("run");
    assert!(out.status.success(), "{command} --help");
    String::from_utf8(out.stdout).expect("UTF-8")
}

#[test]
fn every_command_help_has_an_example_and_the_exit_codes() {
    for command in [
        "calc",
        "statements",
        "whatif",
        "explain",
        "validate",
        "verify",
        "book",
        "completions",
        "man",
    ] {
        let help = long_help(command);
        assert!(
            help.contains("Examples:\n  # ")
                && help.contains(&format!("\n  tsp-payout {command} ")),
            "{command}: {help}"
        );
        for code in [
            "  0   ok\n",
            "  2   usage",
            "  65  bad data",
            "  66  missing input",
            "  74  output error",
        ] {
            assert!(help.contains(code), "{command} lacks {code:?}: {help}");
        }
    }
}

#[test]
fn data_commands_list_the_input_files_with_their_columns() {
    for command in ["calc", "statements", "whatif", "explain", "validate"] {
        let help = long_help(command);
        for line in [
            "  gmv_daily.csv          required  date, partner_id, seller_id, gmv, short_video_gmv, live_gmv, affiliate_gmv\n",
            "  partner_tiers.csv      optional  partner_id, effective_date, tier\n",
            "  creators.csv           optional  creator_id, partner_id, target_list\n",
            "  creator_gmv_daily.csv  optional  date, creator_id, gmv\n",
            "  matchmaking.csv        optional  date, partner_id, seller_id, creator_id, gmv\n",
            "  partners.csv           optional  partner_id, partner_name\n",
        ] {
            assert!(help.contains(line), "{command} lacks {line:?}: {help}");
        }
    }
}

#[test]
fn flag_help_describes_rather_than_points_elsewhere() {
    let whatif = long_help("whatif");
    assert!(!whatif.contains("fixtures/"), "{whatif}");
    for key in [
        "[[adjust]]",
        "[[add]]",
        "drop_partners",
        "[book.",
        "factor",
        "new_partner",
    ] {
        assert!(whatif.contains(key), "whatif --help lacks {key}: {whatif}");
    }
    let book = long_help("book");
    assert!(
        book.contains("--book <BOOK>\n          Program book (TOML) to check and print"),
        "{book}"
    );
    let explain = long_help("explain");
    assert!(!explain.contains("rejects.csv"), "{explain}");
    assert!(
        explain.contains("--skip-invalid\n          Leave out bad rows"),
        "{explain}"
    );
    for command in ["calc", "statements", "whatif"] {
        let help = long_help(command);
        assert!(
            help.contains("(created if missing; a file there is refused)"),
            "{command}: {help}"
        );
    }
}

#[test]
fn an_out_that_is_a_file_says_so() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("payouts.txt");
    std::fs::write(&file, "mine").expect("file");
    let out = bin()
        .args(["calc", "fixtures/q4-sample", "--out"])
        .arg(&file)
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(74));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        format!(
            "tsp-payout: {} is a file; --out must be a directory (or not exist yet)\n",
            file.display()
        )
    );
    assert_eq!(std::fs::read_to_string(&file).expect("file"), "mine");
}
