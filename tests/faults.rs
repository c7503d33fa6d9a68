//! Output faults: an unwritable or full output directory, a broken standard output, and an
//! interrupted run. Each exits 74 (or 130 for an interrupt) and never leaves a partial,
//! truncated or temporary file behind: a directory holds a whole run or none.
//!
//! Full and read-only file systems are tiny tmpfs mounts, which needs root (as in CI). Where
//! mounting is refused the read-only case falls back to permissions and the full-disk
//! cases say so on stderr and pass without checking.

mod common;
use common::*;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// A tmpfs mounted for the test, unmounted when dropped.
struct Tmpfs {
    dir: tempfile::TempDir,
}

impl Tmpfs {
    fn mount(options: &str) -> Option<Tmpfs> {
        let dir = tempfile::tempdir().expect("mount point");
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", options, "tmpfs"])
            .arg(dir.path())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            eprintln!("cannot mount a tmpfs here (not root?): case not checked");
            return None;
        }
        Some(Tmpfs { dir })
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.dir.path()).status();
    }
}

/// gmv_daily.csv with one seller for each of `partners` partners, in Q3 and Q4.
fn many_partners(partners: usize) -> tempfile::TempDir {
    let mut text = String::from(GMV_HEADER);
    // A row on every day, so that the export covers every window (README: "Coverage of
    // the windows").
    text.push_str(&every_day("2025-07-01", "2025-12-31", |d| {
        format!("{d},PZ,S1,1.00,0,0,0")
    }));
    for p in 0..partners {
        text.push_str(&format!("2025-07-01,P{p:05},S1,100.00,0,0,0\n"));
        text.push_str(&format!("2025-10-01,P{p:05},S1,{}.00,0,0,0\n", 1000 + p));
    }
    data_dir(&[("gmv_daily.csv", &text)])
}

fn calc(data: &Path, out: &Path) -> Command {
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin("tsp-payout"));
    cmd.arg("calc").arg(data).arg("--out").arg(out);
    cmd.stdout(Stdio::null()).stderr(Stdio::piped());
    cmd
}

/// Every file and directory below `dir` (relative), or nothing when it does not exist.
fn entries(dir: &Path) -> Vec<String> {
    fn walk(base: &Path, dir: &Path, out: &mut Vec<String>) {
        let Ok(read) = fs::read_dir(dir) else { return };
        for e in read {
            let path = e.expect("entry").path();
            out.push(
                path.strip_prefix(base)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned(),
            );
            if path.is_dir() {
                walk(base, &path, out);
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

#[test]
fn a_full_disk_exits_74_and_leaves_nothing() {
    let Some(fs64) = Tmpfs::mount("size=64k") else {
        return;
    };
    let data = many_partners(400);
    // payouts.csv alone outgrows the disk; then a size where it fits but the statements do not.
    let res = calc(data.path(), &fs64.path().join("run"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&res.stderr);
    assert_eq!(res.status.code(), Some(74), "{err}");
    assert!(err.contains("No space left on device"), "{err}");
    assert_eq!(entries(fs64.path()), Vec::<String>::new());
    // The mount point itself cannot be swapped for a staged run (README, Rules: "Output
    // directories"): refused before anything is written.
    let res = calc(data.path(), fs64.path()).output().unwrap();
    let err = String::from_utf8_lossy(&res.stderr);
    assert_eq!(res.status.code(), Some(74), "{err}");
    assert!(err.contains("mount point"), "{err}");
    assert_eq!(entries(fs64.path()), Vec::<String>::new());
    let Some(fs128) = Tmpfs::mount("size=128k") else {
        return;
    };
    let data = many_partners(60);
    // One writing thread: payouts.csv is written first. With two, the other thread may
    // fill the disk with statements while payouts.csv renders, and payouts.csv (first in
    // order) is the file named.
    let res = calc(data.path(), &fs128.path().join("run"))
        .env("TSP_PAYOUT_THREADS", "1")
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&res.stderr);
    assert_eq!(res.status.code(), Some(74), "{err}");
    assert!(
        err.contains("No space left on device") && err.contains("/statements/P"),
        "a statement did not fit: {err}"
    );
    assert_eq!(entries(fs128.path()), Vec::<String>::new());
}

#[test]
fn a_full_disk_keeps_the_previous_run_whole() {
    let Some(tmp) = Tmpfs::mount("size=128k") else {
        return;
    };
    let out = tmp.path().join("run");
    let small = many_partners(3);
    assert!(calc(small.path(), &out).status().unwrap().success());
    let before = snapshot(&out);
    assert!(before.contains_key("payouts.csv") && before.contains_key("manifest.json"));
    let big = many_partners(400);
    let res = calc(big.path(), &out).arg("--force").output().unwrap();
    assert_eq!(
        res.status.code(),
        Some(74),
        "{}",
        String::from_utf8_lossy(&res.stderr)
    );
    assert_eq!(snapshot(&out), before, "the previous run is untouched");
}

#[test]
fn a_read_only_output_directory_exits_74_and_leaves_nothing() {
    let data = many_partners(2);
    let (mount, ro) = match Tmpfs::mount("ro,size=64k") {
        Some(m) => {
            let p = m.path().to_path_buf();
            (Some(m), p)
        }
        None => {
            // Without root, permissions do the same job.
            use std::os::unix::fs::PermissionsExt;
            let d = tempfile::tempdir().unwrap().keep();
            fs::set_permissions(&d, fs::Permissions::from_mode(0o555)).unwrap();
            (None, d)
        }
    };
    for out in [ro.clone(), ro.join("run"), ro.join("a/b")] {
        let res = calc(data.path(), &out).output().unwrap();
        let err = String::from_utf8_lossy(&res.stderr);
        assert_eq!(res.status.code(), Some(74), "{err}");
        // The read-only mount point itself is refused as a mount point.
        assert!(
            err.contains("cannot write") || (out == ro && err.contains("mount point")),
            "{err}"
        );
        assert_eq!(entries(&ro), Vec::<String>::new());
    }
    drop(mount);
}

#[test]
fn an_output_path_through_a_file_exits_74() {
    let data = many_partners(2);
    let blocker = tempfile::NamedTempFile::new().unwrap();
    let res = calc(data.path(), &blocker.path().join("run"))
        .output()
        .unwrap();
    assert_eq!(res.status.code(), Some(74));
}

#[test]
fn a_failed_run_removes_the_directories_it_created() {
    // statements/ exists as a file: the first statement cannot be staged.
    let data = many_partners(2);
    let out = tempfile::tempdir().unwrap();
    fs::write(out.path().join("statements"), "in the way").unwrap();
    let res = calc(data.path(), out.path()).output().unwrap();
    assert_eq!(res.status.code(), Some(74));
    assert_eq!(entries(out.path()), ["statements"]);
    let fresh = out.path().join("new/run");
    fs::create_dir_all(fresh.join("statements/P00000.json")).unwrap(); // a directory in the way
    let res = calc(data.path(), &fresh).output().unwrap();
    assert_eq!(res.status.code(), Some(74));
    assert_eq!(
        entries(&fresh),
        ["statements", "statements/P00000.json"],
        "only what was there before"
    );
}

#[test]
fn a_standard_output_that_cannot_be_written_exits_74() {
    let Ok(full) = fs::File::create("/dev/full") else {
        return;
    };
    let res = Command::new(assert_cmd::cargo::cargo_bin("tsp-payout"))
        .arg("calc")
        .arg(fixture())
        .stdout(full)
        .output()
        .unwrap();
    assert_eq!(res.status.code(), Some(74));
    assert!(String::from_utf8_lossy(&res.stderr).contains("cannot write to standard output"));
}

/// Sends SIGINT to `pid`.
fn interrupt(pid: u32) {
    let ok = Command::new("kill")
        .args(["-INT", &pid.to_string()])
        .status()
        .unwrap()
        .success();
    assert!(ok, "kill -INT {pid}");
}

/// Polls (without a deadline: the child's own progress ends the wait) until `ready` holds
/// or the child exits; true when `ready` held while the child still ran.
fn wait_for(child: &mut std::process::Child, ready: impl Fn() -> bool) -> bool {
    loop {
        if ready() {
            return true;
        }
        if child.try_wait().unwrap().is_some() {
            return false;
        }
        std::thread::sleep(std::time::Duration::from_millis(1));
    }
}

/// The files in staging directories beside `target` (`.run.tsp-<hex>/...`).
fn temp_files(target: &Path) -> Vec<String> {
    let prefix = format!(".{}.tsp-", target.file_name().unwrap().to_string_lossy());
    entries(target.parent().unwrap())
        .into_iter()
        .filter(|e| e.starts_with(&prefix) && e.contains('/'))
        .collect()
}

#[test]
fn an_interrupt_while_reading_leaves_no_output() {
    // A large input: 300,000 rows take the binary far longer to read than a signal takes.
    let dir = tempfile::tempdir().unwrap();
    let mut f =
        std::io::BufWriter::new(fs::File::create(dir.path().join("gmv_daily.csv")).unwrap());
    f.write_all(GMV_HEADER.as_bytes()).unwrap();
    for i in 0..300_000u32 {
        let day = 1 + i % 28;
        writeln!(
            f,
            "2025-10-{day:02},P{},S{},{}.00,0,0,0",
            i % 50,
            i / 28,
            i % 997
        )
        .unwrap();
    }
    drop(f);
    let out = tempfile::tempdir().unwrap();
    let target = out.path().join("run");
    let mut child = calc(dir.path(), &target).spawn().unwrap();
    let fd_dir = PathBuf::from(format!("/proc/{}/fd", child.id()));
    let reading = || {
        fs::read_dir(&fd_dir).is_ok_and(|fds| {
            fds.flatten()
                .any(|fd| fs::read_link(fd.path()).is_ok_and(|p| p.ends_with("gmv_daily.csv")))
        })
    };
    assert!(
        wait_for(&mut child, reading),
        "the run ended before it was seen reading"
    );
    interrupt(child.id());
    let res = child.wait_with_output().unwrap();
    assert_eq!(
        res.status.code(),
        Some(130),
        "{}",
        String::from_utf8_lossy(&res.stderr)
    );
    assert!(!target.exists(), "{:?}", entries(&target));
}

/// Runs `run` into `target`, interrupts it once it is seen staging files, and returns how
/// it ended.
fn interrupted_while_staging(mut run: Command, target: &Path) -> std::process::Output {
    let mut child = run.spawn().unwrap();
    let staging = || !temp_files(target).is_empty();
    assert!(
        wait_for(&mut child, staging),
        "the run ended before it was seen staging"
    );
    interrupt(child.id());
    child.wait_with_output().unwrap()
}

/// The parents of OUT a run created are taken back with it: the lock file beside OUT is
/// removed before them, so they are empty when they are removed.
#[test]
fn an_interrupt_while_writing_removes_the_parents_it_created() {
    let data = many_partners(1500);
    let out = tempfile::tempdir().unwrap();
    let target = out.path().join("new").join("run");
    let res = interrupted_while_staging(calc(data.path(), &target), &target);
    assert_eq!(res.status.code(), Some(130));
    assert_eq!(entries(out.path()), Vec::<String>::new(), "no `new` left");
}

#[test]
fn an_interrupt_while_writing_leaves_no_output() {
    // Many partners: a statement file each, every one synced, so staging takes a while.
    let data = many_partners(1500);
    let out = tempfile::tempdir().unwrap();
    let target = out.path().join("run");
    let res = interrupted_while_staging(calc(data.path(), &target), &target);
    assert_eq!(
        res.status.code(),
        Some(130),
        "{}",
        String::from_utf8_lossy(&res.stderr)
    );
    assert!(!target.exists(), "{:?}", entries(&target));
    assert_eq!(
        entries(out.path()),
        Vec::<String>::new(),
        "nothing beside it"
    );

    // Into a directory that holds a run: the previous run stays whole.
    let small = many_partners(3);
    assert!(calc(small.path(), &target).status().unwrap().success());
    let before = snapshot(&target);
    let mut run = calc(data.path(), &target);
    run.arg("--force");
    let res = interrupted_while_staging(run, &target);
    assert_eq!(res.status.code(), Some(130));
    assert_eq!(snapshot(&target), before);
    assert_eq!(
        entries(out.path()).len(),
        entries(&target).len() + 1,
        "only the run"
    );
}
