//! Large inputs show a progress bar on stderr when it is a terminal, and none otherwise.
//! The terminal case runs the binary under `script` (util-linux) for a pseudo-terminal.

mod common;
use common::*;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A gmv_daily.csv just over the size that earns a progress bar (16 MiB).
fn large_input() -> tempfile::TempDir {
    let mut gmv = String::with_capacity(18 << 20);
    gmv.push_str(GMV_HEADER);
    let start = chrono::NaiveDate::from_ymd_opt(2025, 7, 1).unwrap();
    let mut i = 0u32;
    while gmv.len() < 17 << 20 {
        let date = start + chrono::Duration::days(i64::from(i % 184));
        gmv.push_str(&format!(
            "{date},P{:03},S{:05},12345.67,1000.00,200.00,300.00\n",
            i % 50,
            i / 184
        ));
        i += 1;
    }
    data_dir(&[("gmv_daily.csv", &gmv)])
}

#[test]
fn progress_bar_only_on_a_terminal_and_never_blocks() {
    let dir = large_input();
    let bin = assert_cmd::cargo::cargo_bin("tsp-payout");
    let plain = common::bin()
        .arg("validate")
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(plain.status.success());
    assert!(!String::from_utf8_lossy(&plain.stderr).contains("MiB"));

    let has_script = Command::new("script").arg("--version").output().is_ok();
    if !has_script {
        eprintln!("skipped: no `script` command for a pseudo-terminal");
        return;
    }
    let log = dir.path().join("tty.log");
    let command = format!(
        "{} validate {} > /dev/null",
        bin.display(),
        dir.path().display()
    );
    let started = Instant::now();
    let mut child = Command::new("script")
        .args(["-qefc", &command])
        .arg(&log)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // The bar is drawn from the ingest thread; it must never wait on a locked stderr.
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            assert!(status.success());
            break;
        }
        if started.elapsed() > Duration::from_secs(120) {
            let _ = child.kill();
            panic!("validate on a terminal did not finish");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let screen = String::from_utf8_lossy(&std::fs::read(&log).unwrap()).into_owned();
    assert!(screen.contains("gmv_daily.csv ["), "{screen}");
    assert!(screen.contains("MiB"), "{screen}");
}
