//! An `--out` directory is one transaction (README, Rules: "Output directories"): a run is
//! staged beside OUT and swapped in whole, runs into one OUT are serialised by a lock,
//! links are never followed, the manifest lists every file with its size and sha256 and
//! `verify` checks a directory against it, and monthly statements accumulate.
//!
//! Signals at the swap use the test hook `TSP_PAYOUT_TEST_PAUSE_AT=<point>` (the run says
//! `paused at <point>` on stderr and waits there), and `TSP_PAYOUT_TEST_NO_EXCHANGE` takes
//! the journalled rename sequence used where directories cannot be exchanged.

mod common;
use common::*;
use std::collections::BTreeMap;
use std::fs;
use std::io::{BufRead, BufReader};
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

fn binary() -> Command {
    Command::new(assert_cmd::cargo::cargo_bin("tsp-payout"))
}

/// gmv_daily.csv with one seller for each of `partners` partners, amounts shifted by
/// `shift` so that two data sets give different runs.
fn many_partners(partners: usize, shift: usize) -> tempfile::TempDir {
    let mut text = String::from(GMV_HEADER);
    for p in 0..partners {
        text.push_str(&format!("2025-07-01,P{p:05},S1,100.00,0,0,0\n"));
        text.push_str(&format!(
            "2025-10-01,P{p:05},S1,{}.00,0,0,0\n",
            1000 + p + shift
        ));
    }
    data_dir(&[("gmv_daily.csv", &text)])
}

fn calc(data: &Path, out: &Path) -> Command {
    let mut cmd = binary();
    // Two days of rows per partner: coverage is not what these tests check.
    cmd.arg("calc")
        .arg(data)
        .arg("--allow-gaps")
        .arg("--out")
        .arg(out);
    cmd.stdout(Stdio::null()).stderr(Stdio::piped());
    cmd
}

fn run_ok(cmd: &mut Command) {
    let res = cmd.output().unwrap();
    assert!(
        res.status.success(),
        "{}",
        String::from_utf8_lossy(&res.stderr)
    );
}

/// Names in `dir` (not recursive), sorted.
fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

fn manifest(dir: &Path) -> serde_json::Value {
    serde_json::from_slice(&fs::read(dir.join("manifest.json")).unwrap()).unwrap()
}

fn verify(dir: &Path) -> (Option<i32>, String) {
    let res = binary().arg("verify").arg(dir).output().unwrap();
    (
        res.status.code(),
        String::from_utf8_lossy(&res.stdout).into_owned() + &String::from_utf8_lossy(&res.stderr),
    )
}

fn signal(pid: u32, sig: &str) {
    let ok = Command::new("kill")
        .args([&format!("-{sig}"), &pid.to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok, "kill -{sig} {pid}");
}

/// Spawns `cmd` paused at `point` and waits until it says so on stderr.
fn spawn_paused(mut cmd: Command, point: &str) -> Child {
    cmd.env("TSP_PAYOUT_TEST_PAUSE_AT", point)
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let mut err = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    loop {
        line.clear();
        assert!(
            err.read_line(&mut line).unwrap() > 0,
            "the run ended before pausing at {point}"
        );
        if line.contains(&format!("paused at {point}")) {
            break;
        }
    }
    // Keep draining stderr so the child never blocks on it.
    std::thread::spawn(move || std::io::copy(&mut err, &mut std::io::sink()));
    child
}

/// An old run in `parent/run` and the data of a different new one.
struct Scene {
    parent: tempfile::TempDir,
    old_data: tempfile::TempDir,
    new_data: tempfile::TempDir,
    old: BTreeMap<String, Vec<u8>>,
    new: BTreeMap<String, Vec<u8>>,
}

impl Scene {
    fn new(partners: usize) -> Scene {
        let parent = tempfile::tempdir().unwrap();
        let old_data = many_partners(partners, 0);
        let new_data = many_partners(partners + 3, 7);
        let reference = tempfile::tempdir().unwrap();
        run_ok(&mut calc(new_data.path(), &reference.path().join("run")));
        let new = snapshot(&reference.path().join("run"));
        let out = parent.path().join("run");
        run_ok(&mut calc(old_data.path(), &out));
        let old = snapshot(&out);
        assert_ne!(old, new);
        Scene {
            parent,
            old_data,
            new_data,
            old,
            new,
        }
    }

    fn out(&self) -> PathBuf {
        self.parent.path().join("run")
    }

    fn replace(&self) -> Command {
        let mut cmd = calc(self.new_data.path(), &self.out());
        cmd.arg("--force");
        cmd
    }
}

#[test]
fn the_manifest_lists_every_file_with_its_size_and_sha256() {
    use sha2::{Digest, Sha256};
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().join("run");
    run_ok(calc(&fixture(), &dir).arg("--html"));
    let doc = manifest(&dir);
    let files = doc["files"].as_array().unwrap();
    let on_disk = snapshot(&dir);
    assert_eq!(
        files.len() + 1,
        on_disk.len(),
        "every file but the manifest"
    );
    for f in files {
        let path = f["path"].as_str().unwrap();
        let bytes = &on_disk[path];
        assert_eq!(f["size"], bytes.len() as u64, "{path}");
        let sha: String = Sha256::digest(bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(f["sha256"], sha.as_str(), "{path}");
    }
    assert_eq!(verify(&dir).0, Some(0));
}

#[test]
fn verify_names_each_missing_extra_or_changed_file() {
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().join("run");
    run_ok(&mut calc(&fixture(), &dir));
    let (code, text) = verify(&dir);
    assert_eq!(code, Some(0), "{text}");
    assert!(text.contains("ok: "), "{text}");
    // Two statements swapped, a file removed, one added, a link planted.
    let a = dir.join("statements/P01.json");
    let b = dir.join("statements/P02.json");
    let (ta, tb) = (fs::read(&a).unwrap(), fs::read(&b).unwrap());
    fs::write(&a, &tb).unwrap();
    fs::write(&b, &ta).unwrap();
    fs::remove_file(dir.join("payouts.csv")).unwrap();
    fs::write(dir.join("statements/P99.json"), "{}").unwrap();
    symlink("/etc/passwd", dir.join("extra-link")).unwrap();
    let (code, text) = verify(&dir);
    assert_eq!(code, Some(65), "{text}");
    for expected in [
        "changed: statements/P01.json",
        "changed: statements/P02.json",
        "missing: payouts.csv",
        "extra: statements/P99.json",
        "extra: extra-link (a symbolic link)",
    ] {
        assert!(text.contains(expected), "{expected} in {text}");
    }
    // A listed file replaced by a link to identical bytes is still reported.
    let copy = out.path().join("copy.json");
    fs::write(&copy, &ta).unwrap();
    fs::write(&b, &tb).unwrap();
    fs::remove_file(&a).unwrap();
    symlink(&copy, &a).unwrap();
    let (code, text) = verify(&dir);
    assert_eq!(code, Some(65));
    assert!(
        text.contains("changed: statements/P01.json (a symbolic link)"),
        "{text}"
    );
    // No run there at all.
    assert_eq!(verify(&out.path().join("nothing")).0, Some(66));
    assert_eq!(verify(out.path()).0, Some(65));
}

#[test]
fn a_directory_with_files_but_no_manifest_is_refused_unless_force() {
    let out = tempfile::tempdir().unwrap();
    fs::write(out.path().join("notes.txt"), "mine").unwrap();
    let res = calc(&fixture(), out.path()).output().unwrap();
    let err = String::from_utf8_lossy(&res.stderr);
    assert_eq!(res.status.code(), Some(74), "{err}");
    assert!(err.contains("no manifest.json"), "{err}");
    assert_eq!(names(out.path()), ["notes.txt"]);
    run_ok(calc(&fixture(), out.path()).arg("--force"));
    assert!(!out.path().join("notes.txt").exists());
    assert_eq!(verify(out.path()).0, Some(0));
    // An empty directory is simply used.
    let empty = tempfile::tempdir().unwrap();
    run_ok(&mut calc(&fixture(), empty.path()));
}

#[test]
fn an_out_holding_the_runs_own_inputs_is_refused() {
    let out = tempfile::tempdir().unwrap();
    let data = out.path().join("data");
    fs::create_dir(&data).unwrap();
    for e in fs::read_dir(fixture()).unwrap() {
        let e = e.unwrap();
        fs::copy(e.path(), data.join(e.file_name())).unwrap();
    }
    let before = snapshot(out.path());
    let res = calc(&data, out.path()).arg("--force").output().unwrap();
    assert_eq!(res.status.code(), Some(74));
    assert!(String::from_utf8_lossy(&res.stderr).contains("holds an input"));
    assert!(snapshot(out.path()) == before);
}

#[test]
fn planted_links_are_never_followed() {
    let outside = tempfile::tempdir().unwrap();
    let victim = outside.path().join("victim.txt");
    fs::write(&victim, "keep me").unwrap();
    let parent = tempfile::tempdir().unwrap();
    let out = parent.path().join("run");

    // OUT itself a link to another directory: refused, the other directory untouched.
    symlink(outside.path(), &out).unwrap();
    let res = calc(&fixture(), &out).arg("--force").output().unwrap();
    assert_eq!(res.status.code(), Some(74));
    assert!(String::from_utf8_lossy(&res.stderr).contains("symbolic link"));
    assert_eq!(names(outside.path()), ["victim.txt"]);
    fs::remove_file(&out).unwrap();

    // The lock file a link: refused, the target untouched.
    symlink(&victim, parent.path().join(".run.lock")).unwrap();
    let res = calc(&fixture(), &out).output().unwrap();
    assert_eq!(res.status.code(), Some(74));
    let err = String::from_utf8_lossy(&res.stderr);
    assert!(
        err.contains(".run.lock is a symbolic link (never followed), where the lock file"),
        "{err}"
    );
    assert_eq!(fs::read_to_string(&victim).unwrap(), "keep me");
    assert!(!out.exists());
    fs::remove_file(parent.path().join(".run.lock")).unwrap();

    // A link by a staging name (as a killed run leaves them): removed itself, never
    // followed into the directory it names.
    symlink(
        outside.path(),
        parent.path().join(".run.tsp-0123456789abcdef"),
    )
    .unwrap();
    run_ok(&mut calc(&fixture(), &out));
    assert_eq!(names(outside.path()), ["victim.txt"]);
    assert_eq!(names(parent.path()), ["run"]);

    // statements/ of the previous run a link to another directory: --force neither
    // writes into it nor deletes from it; the new run has a real statements/.
    let statements = out.join("statements");
    fs::remove_dir_all(&statements).unwrap();
    symlink(outside.path(), &statements).unwrap();
    run_ok(calc(&fixture(), &out).arg("--force"));
    assert_eq!(names(outside.path()), ["victim.txt"]);
    assert!(fs::symlink_metadata(&statements).unwrap().is_dir());
    assert_eq!(verify(&out).0, Some(0));

    // The old temporary names inside OUT are not used at all any more: a link planted
    // there stays a link to an untouched file.
    let planted = out.join(format!(".payouts.csv.tmp-{}", std::process::id()));
    symlink(&victim, &planted).unwrap();
    run_ok(calc(&fixture(), &out).arg("--force"));
    assert_eq!(fs::read_to_string(&victim).unwrap(), "keep me");
    assert!(!planted.exists(), "the old run went with its contents");
}

#[test]
fn monthly_statements_accumulate_in_one_directory() {
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().join("credits");
    let statements = |month: &str| {
        let mut cmd = binary();
        cmd.arg("statements")
            .arg(fixture())
            .args(["--month", month, "--out"])
            .arg(&dir)
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        cmd
    };
    run_ok(&mut statements("2025-10"));
    let october = snapshot(&dir);
    run_ok(&mut statements("2025-11"));
    let both = snapshot(&dir);
    for (path, bytes) in &october {
        if path != "manifest.json" {
            assert_eq!(both.get(path), Some(bytes), "{path} kept");
        }
    }
    assert!(both.contains_key("credit_statement_2025-11.csv"));
    let doc = manifest(&dir);
    let months: Vec<&String> = doc["months"].as_object().unwrap().keys().collect();
    assert_eq!(months, ["2025-10", "2025-11"]);
    assert_eq!(doc["statement"]["month"], "2025-11");
    assert_eq!(verify(&dir).0, Some(0));

    // The same month again: refused without --force; with it only that month is replaced.
    let res = statements("2025-11").output().unwrap();
    assert_eq!(res.status.code(), Some(74));
    assert!(String::from_utf8_lossy(&res.stderr).contains("2025-11"));
    assert!(snapshot(&dir) == both);
    run_ok(statements("2025-11").arg("--force"));
    assert!(snapshot(&dir) == both, "same inputs, same files");

    // A calc run never lands in a statements directory.
    let res = calc(&fixture(), &dir).arg("--force").output().unwrap();
    assert_eq!(res.status.code(), Some(74));

    // An October file changed since its run is not carried into a new manifest.
    let csv = dir.join("credit_statement_2025-10.csv");
    let mut bytes = fs::read(&csv).unwrap();
    bytes.extend_from_slice(b"P99,x,0.00,0.00,0.00,0.00,9999.00\n");
    fs::write(&csv, &bytes).unwrap();
    let tampered = snapshot(&dir);
    let res = statements("2025-12").output().unwrap();
    let err = String::from_utf8_lossy(&res.stderr);
    assert_eq!(res.status.code(), Some(74), "{err}");
    assert!(
        err.contains("credit_statement_2025-10.csv") && err.contains("verify"),
        "{err}"
    );
    assert!(snapshot(&dir) == tampered);
    assert_eq!(names(out.path()), ["credits"]);
}

#[test]
fn a_second_run_into_a_locked_out_fails_naming_the_holder() {
    let scene = Scene::new(5);
    let first = spawn_paused(scene.replace(), "before-swap");
    let res = calc(scene.old_data.path(), &scene.out())
        .arg("--force")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&res.stderr);
    assert_eq!(res.status.code(), Some(74), "{err}");
    assert!(
        err.contains(&format!("pid {}", first.id())),
        "names the holder: {err}"
    );
    signal(first.id(), "TERM");
    let res = first.wait_with_output().unwrap();
    assert_eq!(res.status.code(), Some(130));
    assert!(snapshot(&scene.out()) == scene.old);
    assert_eq!(names(scene.parent.path()), ["run"]);
}

#[test]
fn concurrent_runs_never_both_succeed_and_never_mix() {
    for trial in 0..8 {
        let parent = tempfile::tempdir().unwrap();
        let out = parent.path().join("run");
        let a = many_partners(40, 0);
        let b = many_partners(40, 5);
        let ca = calc(a.path(), &out).spawn().unwrap();
        let cb = calc(b.path(), &out).spawn().unwrap();
        let ra = ca.wait_with_output().unwrap();
        let rb = cb.wait_with_output().unwrap();
        let ok = [&ra, &rb].iter().filter(|r| r.status.success()).count();
        assert_eq!(ok, 1, "trial {trial}: exactly one wins");
        for r in [&ra, &rb] {
            assert!(matches!(r.status.code(), Some(0) | Some(74)));
        }
        assert_eq!(verify(&out).0, Some(0), "trial {trial}");
        let winner = if ra.status.success() { &a } else { &b };
        let reference = tempfile::tempdir().unwrap();
        run_ok(&mut calc(winner.path(), &reference.path().join("run")));
        assert!(snapshot(&out) == snapshot(&reference.path().join("run")));
        assert_eq!(names(parent.path()), ["run"]);
    }
}

#[test]
fn signals_before_the_swap_keep_the_previous_run_byte_for_byte() {
    for sig in ["INT", "TERM", "HUP"] {
        let scene = Scene::new(5);
        let child = spawn_paused(scene.replace(), "before-swap");
        signal(child.id(), sig);
        let res = child.wait_with_output().unwrap();
        assert_eq!(res.status.code(), Some(130), "SIG{sig}");
        assert!(snapshot(&scene.out()) == scene.old, "SIG{sig}");
        assert_eq!(
            names(scene.parent.path()),
            ["run"],
            "SIG{sig}: nothing left"
        );
    }
    // SIGKILL leaves the staging directory; the next run removes it and replaces OUT.
    let scene = Scene::new(5);
    let mut child = spawn_paused(scene.replace(), "before-swap");
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(snapshot(&scene.out()) == scene.old);
    assert!(names(scene.parent.path()).len() > 1, "a staging directory");
    run_ok(&mut scene.replace());
    assert!(snapshot(&scene.out()) == scene.new);
    assert_eq!(names(scene.parent.path()), ["run"]);
}

#[test]
fn signals_after_the_swap_leave_the_new_run_whole() {
    let scene = Scene::new(5);
    let child = spawn_paused(scene.replace(), "after-swap");
    signal(child.id(), "INT");
    let res = child.wait_with_output().unwrap();
    assert_eq!(res.status.code(), Some(130));
    assert!(snapshot(&scene.out()) == scene.new);
    assert_eq!(
        names(scene.parent.path()),
        ["run"],
        "the previous run removed"
    );

    let scene = Scene::new(5);
    let mut child = spawn_paused(scene.replace(), "after-swap");
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(snapshot(&scene.out()) == scene.new);
    // The previous run is left under a staging name, which the next run removes.
    assert_eq!(names(scene.parent.path()).len(), 3, "run, lock, previous");
    run_ok(calc(scene.old_data.path(), &scene.out()).arg("--force"));
    assert!(snapshot(&scene.out()) == scene.old);
    assert_eq!(names(scene.parent.path()), ["run"]);
}

#[test]
fn a_killed_rename_sequence_is_rolled_back_by_the_next_run() {
    // Where directories cannot be exchanged: OUT renamed aside, then the staged run in.
    let scene = Scene::new(5);
    let mut cmd = scene.replace();
    cmd.env("TSP_PAYOUT_TEST_NO_EXCHANGE", "1");
    run_ok(&mut cmd);
    assert!(snapshot(&scene.out()) == scene.new);
    assert_eq!(names(scene.parent.path()), ["run"]);

    let scene = Scene::new(5);
    let mut cmd = scene.replace();
    cmd.env("TSP_PAYOUT_TEST_NO_EXCHANGE", "1");
    let mut child = spawn_paused(cmd, "moved-aside");
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(!scene.out().exists(), "killed between the two renames");
    // Any next run first completes or rolls back: here OUT comes back, and a run without
    // --force is then refused, leaving it as it was.
    let res = calc(scene.new_data.path(), &scene.out()).output().unwrap();
    assert_eq!(res.status.code(), Some(74));
    assert!(snapshot(&scene.out()) == scene.old);
    assert_eq!(names(scene.parent.path()), ["run"]);
}

/// `chattr +i`, or None where the file system or user cannot.
fn immutable(path: &Path, on: bool) -> Option<()> {
    let flag = if on { "+i" } else { "-i" };
    Command::new("chattr")
        .arg(flag)
        .arg(path)
        .stderr(Stdio::null())
        .status()
        .ok()
        .filter(|s| s.success())
        .map(|_| ())
}

#[test]
fn an_immutable_out_keeps_the_previous_run_whole() {
    let scene = Scene::new(5);
    if immutable(&scene.out(), true).is_none() {
        eprintln!("chattr +i not available here: case not checked");
        return;
    }
    let res = scene.replace().output().unwrap();
    immutable(&scene.out(), false);
    assert_eq!(res.status.code(), Some(74));
    assert!(snapshot(&scene.out()) == scene.old);
    assert_eq!(names(scene.parent.path()), ["run"]);
}

#[test]
fn an_immutable_statement_does_not_stop_the_new_run() {
    let scene = Scene::new(5);
    let stuck = scene.out().join("statements/P00001.json");
    if immutable(&stuck, true).is_none() {
        eprintln!("chattr +i not available here: case not checked");
        return;
    }
    let res = scene.replace().output().unwrap();
    let err = String::from_utf8_lossy(&res.stderr);
    assert_eq!(res.status.code(), Some(0), "{err}");
    assert!(err.contains("could not be removed"), "{err}");
    assert!(snapshot(&scene.out()) == scene.new);
    // What is left of the previous run waits under its staging name until it can be
    // removed.
    let left: Vec<String> = names(scene.parent.path())
        .into_iter()
        .filter(|n| n != "run")
        .collect();
    assert_eq!(left.len(), 1, "{left:?}");
    let stuck = scene
        .parent
        .path()
        .join(&left[0])
        .join("statements/P00001.json");
    // A later run that still cannot remove it says so again.
    let res = scene.replace().output().unwrap();
    let err = String::from_utf8_lossy(&res.stderr);
    assert_eq!(res.status.code(), Some(0), "{err}");
    assert!(err.contains("could not be removed"), "{err}");
    immutable(&stuck, false);
    run_ok(calc(scene.old_data.path(), &scene.out()).arg("--force"));
    assert_eq!(names(scene.parent.path()), ["run"]);
}

#[test]
fn verify_names_manifest_entries_it_cannot_check() {
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().join("run");
    run_ok(&mut calc(&fixture(), &dir));
    let path = dir.join("manifest.json");
    let mut doc = manifest(&dir);
    let files = doc["files"].as_array_mut().unwrap();
    files.push(serde_json::json!({"path": "/etc/passwd", "size": 1, "sha256": "00"}));
    files.push(serde_json::json!({"path": "../../etc/hostname", "size": 1, "sha256": "00"}));
    fs::write(&path, serde_json::to_string_pretty(&doc).unwrap()).unwrap();
    let res = binary().arg("verify").arg(&dir).output().unwrap();
    let text = String::from_utf8_lossy(&res.stdout);
    assert_eq!(res.status.code(), Some(65), "{text}");
    assert!(
        text.contains("unusable entry") && text.contains("/etc/passwd"),
        "{text}"
    );
    assert!(text.contains("../../etc/hostname"), "{text}");
}

#[test]
fn verify_names_an_added_empty_directory() {
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().join("run");
    run_ok(&mut calc(&fixture(), &dir));
    fs::create_dir(dir.join("statements/extra")).unwrap();
    let res = binary().arg("verify").arg(&dir).output().unwrap();
    let text = String::from_utf8_lossy(&res.stdout);
    assert_eq!(res.status.code(), Some(65), "{text}");
    assert!(
        text.contains("extra: statements/extra (an empty directory)"),
        "{text}"
    );
}

#[test]
fn a_journal_naming_a_planted_link_never_makes_out_a_link() {
    // A journal left by a killed rename sequence names the previous run by a staging name;
    // a link planted under that name must not be renamed into OUT's place.
    let parent = tempfile::tempdir().unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    fs::write(elsewhere.path().join("keep.txt"), "mine").unwrap();
    let stage = parent.path().join(".run.tsp-1111111111111111");
    symlink(elsewhere.path(), &stage).unwrap();
    fs::write(
        parent.path().join(".run.tsp-journal"),
        "tsp-payout journal\nold .run.tsp-1111111111111111\n",
    )
    .unwrap();
    let out = parent.path().join("run");
    run_ok(&mut calc(&fixture(), &out));
    let meta = fs::symlink_metadata(&out).unwrap();
    assert!(meta.is_dir() && !meta.file_type().is_symlink());
    assert_eq!(names(parent.path()), ["run"]);
    assert_eq!(names(elsewhere.path()), ["keep.txt"]);
    let res = binary().arg("verify").arg(&out).output().unwrap();
    assert_eq!(res.status.code(), Some(0));
}

#[test]
fn a_file_size_limit_exits_74_and_leaves_nothing() {
    let scene = Scene::new(400);
    let bin = assert_cmd::cargo::cargo_bin("tsp-payout");
    let res = Command::new("sh")
        .arg("-c")
        .arg("ulimit -f 8 && exec \"$0\" \"$@\"")
        .arg(&bin)
        .arg("calc")
        .arg(scene.new_data.path())
        .arg("--allow-gaps")
        .arg("--out")
        .arg(scene.out())
        .arg("--force")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&res.stderr);
    assert_eq!(res.status.code(), Some(74), "{err}");
    assert!(err.contains("File too large"), "{err}");
    assert!(snapshot(&scene.out()) == scene.old);
    assert_eq!(names(scene.parent.path()), ["run"]);
}

mod kill_at_a_random_point {
    use super::*;
    use proptest::prelude::*;
    use std::sync::OnceLock;
    use std::time::{Duration, Instant};

    /// The two data sets, a finished old run to copy, both runs' bytes, and how long a
    /// replace takes here.
    struct Template {
        scene: Scene,
        replace: Duration,
    }

    fn template() -> &'static Template {
        static T: OnceLock<Template> = OnceLock::new();
        T.get_or_init(|| {
            let scene = Scene::new(60);
            let probe = tempfile::tempdir().unwrap();
            copy_dir(&scene.out(), &probe.path().join("run"));
            let started = Instant::now();
            run_ok(calc(scene.new_data.path(), &probe.path().join("run")).arg("--force"));
            Template {
                scene,
                replace: started.elapsed(),
            }
        })
    }

    fn copy_dir(from: &Path, to: &Path) {
        fs::create_dir(to).unwrap();
        for e in fs::read_dir(from).unwrap() {
            let e = e.unwrap();
            if e.file_type().unwrap().is_dir() {
                copy_dir(&e.path(), &to.join(e.file_name()));
            } else {
                fs::copy(e.path(), to.join(e.file_name())).unwrap();
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 32, failure_persistence: None, ..ProptestConfig::default() })]
        /// After a signal at any moment of a replace (from its start to past its end), OUT
        /// is the previous run or the new one, byte for byte, and the next run leaves
        /// nothing else beside it.
        #[test]
        fn out_is_the_old_or_the_new_run(permille in 0u32..1100, sig in 0usize..4) {
            let t = template();
            let parent = tempfile::tempdir().unwrap();
            let out = parent.path().join("run");
            copy_dir(&t.scene.out(), &out);
            let mut child = calc(t.scene.new_data.path(), &out).arg("--force").spawn().unwrap();
            std::thread::sleep(t.replace * permille / 1000);
            let name = ["KILL", "INT", "TERM", "HUP"][sig];
            let _ = Command::new("kill").args([&format!("-{name}"), &child.id().to_string()]).status();
            let status = child.wait().unwrap();
            let now = snapshot(&out);
            prop_assert!(now == t.scene.old || now == t.scene.new, "SIG{} at {} permille: a mix ({:?})", name, permille, status);
            if status.success() {
                prop_assert!(now == t.scene.new);
            }
            run_ok(calc(t.scene.old_data.path(), &out).arg("--force"));
            prop_assert!(snapshot(&out) == t.scene.old);
            prop_assert_eq!(names(parent.path()), vec!["run".to_string()]);
        }
    }
}

#[test]
fn two_months_written_at_once_never_lose_either() {
    for trial in 0..4 {
        let parent = tempfile::tempdir().unwrap();
        let dir = parent.path().join("credits");
        let month = |m: &str| {
            let mut cmd = binary();
            cmd.arg("statements")
                .arg(fixture())
                .args(["--month", m, "--out"])
                .arg(&dir)
                .stdout(Stdio::null())
                .stderr(Stdio::piped());
            cmd
        };
        let a = month("2025-10").spawn().unwrap();
        let b = month("2025-11").spawn().unwrap();
        let ra = a.wait_with_output().unwrap();
        let rb = b.wait_with_output().unwrap();
        // The loser (if they overlapped) was refused by the lock and simply runs again.
        for (r, m) in [(&ra, "2025-10"), (&rb, "2025-11")] {
            match r.status.code() {
                Some(0) => {}
                Some(74) => {
                    let err = String::from_utf8_lossy(&r.stderr);
                    assert!(err.contains("being written by another run"), "{err}");
                    run_ok(&mut month(m));
                }
                other => panic!("trial {trial}: {other:?}"),
            }
        }
        let doc = manifest(&dir);
        let months: Vec<&String> = doc["months"].as_object().unwrap().keys().collect();
        assert_eq!(months, ["2025-10", "2025-11"], "trial {trial}");
        assert_eq!(verify(&dir).0, Some(0));
        assert_eq!(names(parent.path()), ["credits"]);
    }
}

#[test]
fn hostile_partner_ids_stay_inside_out() {
    let ids = [
        "../../escape",
        "..",
        ".",
        "/etc/passwd",
        "manifest.json",
        "statements",
        ".run.tsp-0123456789abcdef",
        "a\\b",
        "\u{202e}exe.json",
    ];
    let mut text = String::from(GMV_HEADER);
    for id in ids {
        let cell = format!("\"{}\"", id.replace('"', "\"\""));
        text.push_str(&format!("2025-07-01,{cell},S1,100.00,0,0,0\n"));
        text.push_str(&format!("2025-10-01,{cell},S1,900.00,0,0,0\n"));
    }
    let data = data_dir(&[("gmv_daily.csv", &text)]);
    let parent = tempfile::tempdir().unwrap();
    let out = parent.path().join("run");
    run_ok(&mut calc(data.path(), &out));
    run_ok(calc(data.path(), &out).arg("--force").arg("--html"));
    assert_eq!(names(parent.path()), ["run"], "nothing written beside OUT");
    let files = snapshot(&out);
    assert_eq!(
        files
            .keys()
            .filter(|k| k.starts_with("statements/"))
            .count(),
        ids.len(),
        "{:?}",
        files.keys().collect::<Vec<_>>()
    );
    assert_eq!(verify(&out).0, Some(0));
}

#[test]
fn the_new_run_keeps_the_permissions_of_out() {
    use std::os::unix::fs::PermissionsExt;
    let scene = Scene::new(3);
    fs::set_permissions(scene.out(), fs::Permissions::from_mode(0o750)).unwrap();
    run_ok(&mut scene.replace());
    let mode = fs::metadata(scene.out()).unwrap().permissions().mode() & 0o7777;
    assert_eq!(mode, 0o750);
}

#[test]
fn out_with_a_trailing_slash_or_dot_names_out_itself() {
    let parent = tempfile::tempdir().unwrap();
    let real = parent.path().join("real");
    fs::create_dir(&real).unwrap();
    let link = parent.path().join("LINK");
    symlink(&real, &link).unwrap();
    // `LINK/` is the link, never followed, as `LINK` is.
    let res = calc(&fixture(), &parent.path().join("LINK/"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&res.stderr);
    assert_eq!(res.status.code(), Some(74), "{err}");
    assert!(err.contains("is a symbolic link (never followed)"), "{err}");
    assert!(names(&real).is_empty());
    // `OUT/.` with --force replaces OUT as `OUT` would.
    let out = parent.path().join("run");
    run_ok(&mut calc(&fixture(), &out));
    run_ok(calc(&fixture(), &out.join(".")).arg("--force"));
    assert_eq!(verify(&out).0, Some(0));
    assert_eq!(names(parent.path()), ["LINK", "real", "run"]);
}
