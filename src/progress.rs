//! Progress on stderr for large inputs, only when stderr is a terminal.

use indicatif::{ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::sync::atomic::{AtomicU64, Ordering};

/// Files smaller than this finish before a bar would be worth drawing.
const MIN_BYTES: u64 = 16 << 20;

pub struct Progress(Option<ProgressBar>);

impl Progress {
    pub fn new(wanted: bool, total_bytes: u64, label: &str) -> Progress {
        if !wanted || total_bytes < MIN_BYTES || !std::io::stderr().is_terminal() {
            return Progress(None);
        }
        let bar = ProgressBar::new(total_bytes);
        bar.set_style(
            ProgressStyle::with_template(
                "{msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}",
            )
            .expect("static template")
            .progress_chars("=> "),
        );
        bar.set_message(label.to_string());
        Progress(Some(bar))
    }

    pub fn tick(&self, bytes: &AtomicU64) {
        if let Some(bar) = &self.0 {
            bar.set_position(bytes.load(Ordering::Relaxed));
        }
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}
