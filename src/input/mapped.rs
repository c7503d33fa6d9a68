//! Input files mapped into memory instead of copied, and what happens when one is cut
//! short while it is mapped: reading past the new end raises SIGBUS, which would end the
//! run as a crash. A handler turns that into the refusal a file changed while it was read
//! gets (exit 66 with its name), before anything is written.

use super::error::InputError;
use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicUsize, Ordering::SeqCst};
use std::sync::OnceLock;

/// A private read-only mapping of a file's first `len` bytes. A file changed while it is
/// read is refused by its stamp afterwards, as a read one is; one cut short under the
/// mapping is refused by the SIGBUS handler when a byte past its new end is read.
pub(super) struct Mapping {
    at: *mut libc::c_void,
    len: usize,
    slot: &'static Slot,
}

// SAFETY: the mapping is read-only and lives until the value is dropped; nothing is
// written through it.
unsafe impl Send for Mapping {}
unsafe impl Sync for Mapping {}

impl Mapping {
    /// `None` for an empty file, one the system will not map, or more mappings at once
    /// than the handler watches (such a file is read instead). `name` is the file's name
    /// in messages.
    pub(super) fn of(file: &std::fs::File, size: u64, name: &'static str) -> Option<Mapping> {
        use std::os::fd::AsRawFd;
        let len = usize::try_from(size).ok().filter(|len| *len > 0)?;
        install_handler()?;
        let slot = SLOTS.iter().find(|s| {
            s.claimed
                .compare_exchange(false, true, SeqCst, SeqCst)
                .is_ok()
        })?;
        // SAFETY: a new mapping of an open file descriptor; the result is checked.
        let at = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_READ,
                libc::MAP_PRIVATE,
                file.as_raw_fd(),
                0,
            )
        };
        if at == libc::MAP_FAILED {
            slot.claimed.store(false, SeqCst);
            return None;
        }
        slot.watch(at as usize, len, message_of(name));
        let mapped = Mapping { at, len, slot };
        // Shorter already than its size said: read it instead (as far as it goes).
        match file.metadata() {
            Ok(meta) if meta.len() >= size => Some(mapped),
            _ => None,
        }
    }

    pub(super) fn bytes(&self) -> &[u8] {
        // SAFETY: `at` maps `len` readable bytes until `self` is dropped.
        unsafe { std::slice::from_raw_parts(self.at.cast::<u8>(), self.len) }
    }

    /// Lets go of the whole pages within `start..end` that were read: they stay in the
    /// system's file cache but stop counting in this process's memory, so a large file
    /// read once costs no more resident memory than a buffer. A page read again later is
    /// mapped again from the file, unchanged. Returns where the released pages end (or
    /// `start`), for the next call to start from.
    pub(super) fn release(&self, start: usize, end: usize) -> usize {
        let page = page_size();
        let (first, last) = (start.div_ceil(page) * page, end.min(self.len) / page * page);
        if first >= last {
            return start;
        }
        {
            // SAFETY: a range of whole pages inside the mapping; dropping the pages of a
            // private read-only file mapping loses nothing (they are read from the file).
            unsafe {
                libc::madvise(
                    self.at.cast::<u8>().add(first).cast(),
                    last - first,
                    libc::MADV_DONTNEED,
                );
            }
        }
        last
    }
}

impl Drop for Mapping {
    fn drop(&mut self) {
        self.slot.release();
        // SAFETY: `at` and `len` are the mapping made in `of`, unmapped once.
        unsafe {
            libc::munmap(self.at, self.len);
        }
    }
}

/// Whether mapping `len` bytes leaves room under the process's address-space limit
/// (`ulimit -v`): the threads and buffers of the run need it too. A file that may be read
/// instead is mapped only when it takes at most a quarter of the limit.
pub(super) fn leaves_room(len: u64) -> bool {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit fills the struct it is given.
    if unsafe { libc::getrlimit(libc::RLIMIT_AS, &mut limit) } != 0 {
        return false;
    }
    limit.rlim_cur == libc::RLIM_INFINITY || len <= limit.rlim_cur / 4
}

fn page_size() -> usize {
    static PAGE: OnceLock<usize> = OnceLock::new();
    // SAFETY: sysconf has no preconditions.
    *PAGE.get_or_init(|| {
        usize::try_from(unsafe { libc::sysconf(libc::_SC_PAGESIZE) }).unwrap_or(4096)
    })
}

/// The line printed when `name` is cut short under its mapping: the error a file changed
/// while it was read gives, as `main` prints errors. Kept for the life of the process: the
/// handler may print it at any moment, and a run maps at most a few files.
fn message_of(name: &'static str) -> &'static [u8] {
    let error = InputError::Changed {
        file: name,
        what: "cut short while it was mapped".into(),
    };
    Box::leak(format!("tsp-payout: {error}\n").into_boxed_str()).as_bytes()
}

/// One watched mapping: its address range and the line to print for it.
struct Slot {
    claimed: AtomicBool,
    start: AtomicUsize,
    end: AtomicUsize,
    message: AtomicPtr<u8>,
    message_len: AtomicUsize,
}

impl Slot {
    const fn free() -> Slot {
        Slot {
            claimed: AtomicBool::new(false),
            start: AtomicUsize::new(0),
            end: AtomicUsize::new(0),
            message: AtomicPtr::new(std::ptr::null_mut()),
            message_len: AtomicUsize::new(0),
        }
    }

    fn watch(&self, start: usize, len: usize, message: &'static [u8]) {
        self.message.store(message.as_ptr().cast_mut(), SeqCst);
        self.message_len.store(message.len(), SeqCst);
        self.end.store(start + len, SeqCst);
        self.start.store(start, SeqCst);
    }

    fn release(&self) {
        self.start.store(0, SeqCst);
        self.end.store(0, SeqCst);
        self.claimed.store(false, SeqCst);
    }

    /// The line to print when `addr` is in this mapping.
    fn message_for(&self, addr: usize) -> Option<(*const u8, usize)> {
        let start = self.start.load(SeqCst);
        let end = self.end.load(SeqCst);
        (start != 0 && start <= addr && addr < end).then(|| {
            (
                self.message.load(SeqCst).cast_const(),
                self.message_len.load(SeqCst),
            )
        })
    }
}

/// Mappings watched at once: a run maps at most its six input files.
static SLOTS: [Slot; 8] = [const { Slot::free() }; 8];

/// The SIGBUS action before ours, given back a fault that is not in a watched mapping.
static PREVIOUS: OnceLock<Option<libc::sigaction>> = OnceLock::new();

/// Installs the SIGBUS handler once; `None` when it could not be (nothing is mapped then).
fn install_handler() -> Option<()> {
    let previous = PREVIOUS.get_or_init(|| {
        // SAFETY: a zeroed sigaction is a valid value to fill in; `sigaction` is given
        // valid pointers and its result is checked.
        unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = on_bus_error as *const () as usize;
            action.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK;
            libc::sigemptyset(&mut action.sa_mask);
            let mut previous: libc::sigaction = std::mem::zeroed();
            (libc::sigaction(libc::SIGBUS, &action, &mut previous) == 0).then_some(previous)
        }
    });
    previous.map(|_| ())
}

/// A fault in a watched mapping prints its line and ends the process with the exit code
/// of an input that cannot be used; any other fault goes to the action before ours
/// (restored, it runs when the faulting instruction runs again).
extern "C" fn on_bus_error(_: libc::c_int, info: *mut libc::siginfo_t, _: *mut libc::c_void) {
    // SAFETY: the kernel passes a valid siginfo to an SA_SIGINFO handler.
    let addr = unsafe { (*info).si_addr() } as usize;
    if let Some((message, len)) = SLOTS.iter().find_map(|s| s.message_for(addr)) {
        // SAFETY: `write` and `_exit` are async-signal-safe; `message` is `len` bytes that
        // live as long as the process.
        unsafe {
            libc::write(2, message.cast(), len);
            libc::_exit(66);
        }
    }
    let previous = PREVIOUS.get().copied().flatten();
    // SAFETY: `sigaction` is async-signal-safe; without a previous action the default one
    // (a core dump) is set.
    unsafe {
        match previous {
            Some(previous) => libc::sigaction(libc::SIGBUS, &previous, std::ptr::null_mut()),
            None => {
                libc::signal(libc::SIGBUS, libc::SIG_DFL);
                0
            }
        };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const CHILD: &str = "TSP_PAYOUT_MAPPED_CHILD";

    /// A file cut short while mapped ends the run as a refused input (66, with its name),
    /// not with a crash. The fault kills the process it happens in, so it happens in a
    /// child run of this test.
    #[test]
    fn a_file_cut_short_under_its_mapping_is_refused_not_a_crash() {
        if std::env::var_os(CHILD).is_some() {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("gmv_daily.xlsx");
            std::fs::write(&path, vec![b'x'; 1 << 20]).unwrap();
            let file = std::fs::File::open(&path).unwrap();
            let mapped = Mapping::of(&file, 1 << 20, "gmv_daily.xlsx").expect("mapped");
            assert_eq!(mapped.bytes()[0], b'x');
            std::fs::OpenOptions::new()
                .write(true)
                .open(&path)
                .unwrap()
                .set_len(0)
                .unwrap();
            let past_the_end = std::hint::black_box(mapped.bytes())[1 << 19];
            panic!("read {past_the_end} past the end of a cut file");
        }
        let run = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "--exact",
                "input::mapped::tests::a_file_cut_short_under_its_mapping_is_refused_not_a_crash",
                "--nocapture",
            ])
            .env(CHILD, "1")
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert_eq!(run.status.code(), Some(66), "{stderr}");
        assert!(
            stderr.contains("tsp-payout: gmv_daily.xlsx changed while it was read (cut short while it was mapped); nothing was computed from it"),
            "{stderr}"
        );
    }

    /// Mappings given back free their slots: a long run of files never runs out of them.
    #[test]
    fn slots_are_given_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.xlsx");
        std::fs::write(&path, b"workbook").unwrap();
        let file = std::fs::File::open(&path).unwrap();
        for _ in 0..3 * SLOTS.len() {
            let mapped = Mapping::of(&file, 8, "a.xlsx").expect("a free slot");
            assert_eq!(mapped.bytes(), b"workbook");
        }
    }

    /// Released pages read again hold the file's bytes; release goes page by page and
    /// says where it got to, so calls in steps release every whole page once.
    #[test]
    fn released_pages_read_back_the_same_bytes() {
        let page = page_size();
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("gmv_daily.csv");
        let content: Vec<u8> = (0..5 * page + 100).map(|i| (i % 251) as u8).collect();
        std::fs::write(&path, &content).unwrap();
        let file = std::fs::File::open(&path).unwrap();
        let mapped = Mapping::of(&file, content.len() as u64, "gmv_daily.csv").unwrap();
        assert_eq!(mapped.bytes(), &content[..]);
        assert_eq!(mapped.release(0, page / 2), 0, "no whole page yet");
        assert_eq!(mapped.release(0, 2 * page + 7), 2 * page);
        assert_eq!(mapped.release(2 * page, content.len()), 5 * page);
        assert_eq!(mapped.bytes(), &content[..]);
    }
}
