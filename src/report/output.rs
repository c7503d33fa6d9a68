//! Writing a run's files: an `--out` directory is one transaction.
//!
//! A run is written into a fresh staging directory beside OUT (`.OUT.tsp-<16 hex>`,
//! created exclusively, files created with `O_EXCL | O_NOFOLLOW`), its manifest last,
//! listing every file with its size and sha256. Only then does it become OUT in one step:
//! on Linux the two directories are exchanged with `renameat2(RENAME_EXCHANGE)` (a plain
//! no-replace rename when OUT does not exist yet); where the file system cannot exchange,
//! OUT is renamed aside and the staging directory renamed in, under a journal
//! (`.OUT.tsp-journal`) that the next run completes or rolls back. The previous run is
//! removed only once the new one is in place. So after any fault or signal OUT is exactly
//! the previous run or exactly the new one; a killed run's staging directory is recognised
//! by its name and removed by the next run.
//!
//! Runs into one OUT are serialised by an advisory lock (`flock`) on `.OUT.lock` beside it:
//! a second run fails at once (exit 74) naming the holder's pid. An interrupt (SIGINT,
//! SIGTERM, SIGHUP) removes what the run staged, and waits while the directories are
//! being swapped, then exits 130.

use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, HashSet};
use std::ffi::OsString;
use std::fs;
use std::io::{Read, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::{RwLock, RwLockReadGuard, RwLockWriteGuard};
use thiserror::Error;

/// What runs in progress have put on disk that an interrupt must take back (a library
/// caller may write several runs at once, from several threads).
struct Staged {
    /// Staging directories while they are not OUT (after an exchange: the previous run).
    stages: Vec<PathBuf>,
    /// Missing ancestors of OUT the runs created, outermost first.
    dirs: Vec<PathBuf>,
    /// Lock files held, removed when their run ends.
    locks: Vec<PathBuf>,
}

static STAGED: RwLock<Staged> = RwLock::new(Staged {
    stages: Vec::new(),
    dirs: Vec::new(),
    locks: Vec::new(),
});

fn staged() -> RwLockWriteGuard<'static, Staged> {
    STAGED.write().unwrap_or_else(|e| e.into_inner())
}

/// The list shared by the threads writing one run's files, which create them side by side;
/// `staged()` (an interrupt's clean-up) waits until no file is being created.
fn staged_shared() -> RwLockReadGuard<'static, Staged> {
    STAGED.read().unwrap_or_else(|e| e.into_inner())
}

impl Staged {
    /// Removes everything listed: the staging directory, then the lock file, then the
    /// created ancestors if they are empty (the lock file sits in the nearest one, so it
    /// goes first).
    fn remove_all(&mut self) {
        for stage in self.stages.drain(..) {
            let _ = fs::remove_dir_all(stage);
        }
        for lock in self.locks.drain(..) {
            let _ = fs::remove_file(lock);
        }
        for d in self.dirs.drain(..).rev() {
            let _ = fs::remove_dir(d);
        }
    }

    /// Removes a staging directory that is still listed (not swapped in).
    fn drop_stage(&mut self, stage: &Path) {
        if let Some(i) = self.stages.iter().position(|p| p == stage) {
            self.stages.remove(i);
            let _ = fs::remove_dir_all(stage);
        }
    }

    fn forget_stage(&mut self, stage: &Path) {
        self.stages.retain(|p| p != stage);
    }
}

/// Makes SIGINT, SIGTERM and SIGHUP remove what a run being written has staged, then exit
/// 130. The handler holds the lock until the process is gone, so nothing is staged or
/// swapped after it ran, and it waits for a swap in progress. SIGXFSZ (a file size limit)
/// is ignored, so such a write fails with an error and is cleaned up like any other.
pub fn clean_up_on_interrupt() {
    // SAFETY: setting a signal's disposition to "ignore" has no preconditions.
    unsafe {
        libc::signal(libc::SIGXFSZ, libc::SIG_IGN);
    }
    let _ = ctrlc::set_handler(|| {
        let mut s = staged();
        s.remove_all();
        // No message: the main thread may hold the stderr lock for good.
        std::process::exit(130);
    });
}

#[derive(Debug, Error)]
pub enum OutputError {
    #[error("{0} already holds a run (manifest.json); pass --force to replace it")]
    AlreadyARun(PathBuf),
    #[error("{0} already holds the statements of {1}; pass --force to replace that month (the other months are kept)")]
    MonthHeld(PathBuf, String),
    #[error("{dir} holds a `{previous}` run; a `{command}` run never replaces it, even with --force: choose another --out")]
    OtherCommand {
        dir: PathBuf,
        previous: String,
        command: &'static str,
    },
    #[error("{0} holds files but no manifest.json (not a run of this tool); pass --force to replace everything in it")]
    NotARun(PathBuf),
    #[error("{0} is {1}; --out must be a directory (or not exist yet)")]
    NotADirectory(PathBuf, &'static str),
    #[error("{0} is {1}, where the lock file that serialises runs into --out goes: remove it")]
    LockInTheWay(PathBuf, &'static str),
    #[error("{0} is a mount point; a run is staged beside --out and swapped in whole, so choose a directory inside it")]
    MountPoint(PathBuf),
    #[error("{dir} is being written by another run (pid {pid}, lock {lock}); try again when it has finished")]
    Locked {
        dir: PathBuf,
        pid: String,
        lock: PathBuf,
    },
    #[error("{path} does not match the previous manifest ({why}); it is not carried into the new run: run `tsp-payout verify` on {dir}")]
    Tampered {
        dir: PathBuf,
        path: String,
        why: String,
    },
    #[error("{0} holds an input of this run ({1}); a run replaces everything in --out, so choose another directory")]
    HoldsInput(PathBuf, PathBuf),
    #[error("cannot write {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Files of one run, by path relative to the output directory. The manifest is written
/// last and marks the directory as holding a run.
#[derive(Default)]
pub struct RunFiles<'a> {
    pub files: Vec<(PathBuf, Content<'a>)>,
    /// Threads that render and write the files (0 or 1: the calling thread alone). The
    /// files, their order in the manifest and every byte are the same whatever the number.
    pub threads: usize,
}

/// Renders a file's bytes into a buffer (cleared before, reused after).
pub type RenderInto<'a> = Box<dyn Fn(&mut Vec<u8>) + Send + Sync + 'a>;

/// A file's content, or how to render it when it is written: a large run then holds one
/// statement per writing thread in memory at a time, not all of them.
pub enum Content<'a> {
    Text(String),
    Later(Box<dyn Fn() -> String + Send + Sync + 'a>),
    /// Rendered into a buffer that the writing thread clears and reuses for its next file.
    Into(RenderInto<'a>),
}

impl Content<'_> {
    /// The content as written.
    pub fn rendered(&self) -> String {
        let mut buf = Vec::new();
        let bytes = self.render(&mut buf).to_vec();
        String::from_utf8(bytes).expect("outputs are UTF-8 text")
    }

    /// The bytes to write: the text itself, or what was rendered into `buf`.
    fn render<'b>(&'b self, buf: &'b mut Vec<u8>) -> std::borrow::Cow<'b, [u8]> {
        match self {
            Content::Text(t) => std::borrow::Cow::Borrowed(t.as_bytes()),
            Content::Later(f) => std::borrow::Cow::Owned(f().into_bytes()),
            Content::Into(f) => {
                buf.clear();
                f(buf);
                std::borrow::Cow::Borrowed(buf.as_slice())
            }
        }
    }
}

impl<'a> RunFiles<'a> {
    pub fn add(&mut self, path: impl Into<PathBuf>, content: String) {
        self.files.push((path.into(), Content::Text(content)));
    }

    /// A file rendered only when it is written.
    pub fn add_later(
        &mut self,
        path: impl Into<PathBuf>,
        render: impl Fn() -> String + Send + Sync + 'a,
    ) {
        self.files
            .push((path.into(), Content::Later(Box::new(render))));
    }

    /// A file rendered only when it is written, into a buffer the writing thread reuses.
    pub fn add_rendered(
        &mut self,
        path: impl Into<PathBuf>,
        render: impl Fn(&mut Vec<u8>) + Send + Sync + 'a,
    ) {
        self.files
            .push((path.into(), Content::Into(Box::new(render))));
    }

    pub fn names(&self) -> Vec<String> {
        self.files.iter().map(|(p, _)| rel_name(p)).collect()
    }
}

fn rel_name(p: &Path) -> String {
    p.to_string_lossy().replace('\\', "/")
}

pub const MANIFEST: &str = "manifest.json";

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> OutputError + '_ {
    move |source| OutputError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Refuses an `--out` directory that is, or holds, one of the run's inputs (the data
/// directory, the book, a scenario): replacing OUT would delete it.
pub fn check_apart(out: &Path, inputs: &[&Path]) -> Result<(), OutputError> {
    let Ok(out_real) = fs::canonicalize(out) else {
        return Ok(());
    };
    for input in inputs {
        if fs::canonicalize(input).is_ok_and(|i| i.starts_with(&out_real)) {
            return Err(OutputError::HoldsInput(
                out.to_path_buf(),
                input.to_path_buf(),
            ));
        }
    }
    Ok(())
}

/// A file a run wrote, as its manifest lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FileEntry {
    pub path: String,
    pub size: u64,
    pub sha256: String,
}

/// What kind of run is written: its command, and for monthly statements the month, whose
/// files replace only that month's in a directory holding other months.
#[derive(Clone, Copy, Debug)]
pub struct RunKind<'a> {
    pub command: &'static str,
    pub month: Option<&'a str>,
}

/// OUT as its parent directory and its name there.
struct Target {
    out: PathBuf,
    parent: PathBuf,
    name: OsString,
}

impl Target {
    fn of(dir: &Path) -> Result<Target, OutputError> {
        // `OUT/` and `OUT/.` name OUT itself: without the trailing part a link is seen as
        // a link (never followed) and a rename moves OUT, not `OUT/.`.
        let normal: PathBuf = dir.components().collect();
        let dir = if normal.as_os_str().is_empty() {
            Path::new(".")
        } else {
            normal.as_path()
        };
        // `.`, `..` and the like have no name of their own: use the directory they name.
        let out = if dir.file_name().is_none() {
            fs::canonicalize(dir).map_err(io(dir))?
        } else {
            dir.to_path_buf()
        };
        let Some(name) = out.file_name().map(OsString::from) else {
            return Err(OutputError::NotADirectory(out, "the root directory"));
        };
        let parent = match out.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        Ok(Target { out, parent, name })
    }

    /// A name beside OUT: `.OUT<suffix>`.
    fn beside(&self, suffix: &str) -> PathBuf {
        let mut n = OsString::from(".");
        n.push(&self.name);
        n.push(suffix);
        self.parent.join(n)
    }

    /// The prefix of staging directories (`.OUT.tsp-`), followed by 16 hex digits.
    fn stage_prefix(&self) -> Vec<u8> {
        let mut p = b".".to_vec();
        p.extend_from_slice(self.name.as_bytes());
        p.extend_from_slice(b".tsp-");
        p
    }

    fn is_stage_name(&self, name: &[u8]) -> bool {
        let prefix = self.stage_prefix();
        name.len() == prefix.len() + 16
            && name.starts_with(&prefix)
            && name[prefix.len()..].iter().all(u8::is_ascii_hexdigit)
    }

    fn journal(&self) -> PathBuf {
        self.beside(".tsp-journal")
    }
}

/// Sixteen hex digits no other run is likely to pick (the name is created exclusively
/// anyway): the process's random hash keys over the pid, the time and a counter.
fn random_hex() -> String {
    use std::hash::{BuildHasher, Hasher};
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u32(std::process::id());
    h.write_u64(COUNTER.fetch_add(1, Ordering::Relaxed));
    if let Ok(t) = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH) {
        h.write_u128(t.as_nanos());
    }
    format!("{:016x}", h.finish())
}

/// A test hook: with `TSP_PAYOUT_TEST_PAUSE_AT=<point>` the run says so on stderr and
/// waits there for 30 seconds, so that a test can signal or kill it at that point.
fn pause_at(point: &str) {
    if std::env::var("TSP_PAYOUT_TEST_PAUSE_AT").is_ok_and(|p| p == point) {
        eprintln!("tsp-payout: paused at {point}");
        std::thread::sleep(std::time::Duration::from_secs(30));
    }
}

/// The exclusive lock on `.OUT.lock`, held while the run writes; the file is removed
/// (still locked) when the run ends.
struct Lock {
    file: fs::File,
    path: PathBuf,
}

impl Lock {
    fn take(t: &Target) -> Result<Lock, OutputError> {
        let path = t.beside(".lock");
        loop {
            let mut file = fs::OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .mode(0o644)
                .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC | libc::O_NONBLOCK)
                .open(&path)
                .map_err(|e| match e.raw_os_error() {
                    // O_NOFOLLOW met a link: say what is in the way, not "too many levels".
                    Some(libc::ELOOP) => {
                        OutputError::LockInTheWay(path.clone(), "a symbolic link (never followed)")
                    }
                    _ => io(&path)(e),
                })?;
            let meta = file.metadata().map_err(io(&path))?;
            if !meta.is_file() {
                return Err(OutputError::LockInTheWay(path, "not a regular file"));
            }
            {
                use std::os::unix::io::AsRawFd;
                // SAFETY: flock on a file descriptor this function owns.
                let r = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
                if r != 0 {
                    let e = std::io::Error::last_os_error();
                    if e.raw_os_error() == Some(libc::EWOULDBLOCK) {
                        let mut pid = String::new();
                        let _ = file.read_to_string(&mut pid);
                        let pid = pid.trim();
                        return Err(OutputError::Locked {
                            dir: t.out.clone(),
                            pid: if pid.is_empty() { "unknown" } else { pid }.to_string(),
                            lock: path,
                        });
                    }
                    return Err(io(&path)(e));
                }
            }
            // The holder before us may have removed the file after we opened it: the lock
            // counts only on the file the name still gives.
            match fs::symlink_metadata(&path) {
                Ok(m) if m.ino() == meta.ino() && m.dev() == meta.dev() => {}
                _ => continue,
            }
            staged().locks.push(path.clone());
            // Held from here: dropped (and the file removed) if the pid cannot be written.
            let mut lock = Lock { file, path };
            lock.file.set_len(0).map_err(io(&lock.path))?;
            lock.file
                .write_all(format!("{}\n", std::process::id()).as_bytes())
                .map_err(io(&lock.path))?;
            return Ok(lock);
        }
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        let mut s = staged();
        let _ = fs::remove_file(&self.path);
        s.locks.retain(|p| p != &self.path);
    }
}

/// `create_dir_all` of OUT's parent, recording each directory it may create (outermost
/// first) so that a failed or interrupted run removes them again.
fn create_parents(dir: &Path) -> (Vec<PathBuf>, Result<(), OutputError>) {
    let mut s = staged();
    let mut missing: Vec<PathBuf> = dir
        .ancestors()
        .take_while(|d| !d.as_os_str().is_empty() && fs::symlink_metadata(d).is_err())
        .map(Path::to_path_buf)
        .collect();
    missing.reverse();
    s.dirs.extend(missing.iter().cloned());
    let made = fs::create_dir_all(dir).map_err(io(dir));
    (missing, made)
}

/// Writes `files` into `dir` as one transaction (see the module). Refuses a directory that
/// holds a run unless `force` (for monthly statements: a run holding the same month), a
/// run of another command always, and a directory holding files but no manifest unless
/// `force`. The statements of other months in a statements directory are carried over,
/// each checked against the previous manifest.
pub fn write_run(
    dir: &Path,
    kind: RunKind,
    files: &RunFiles,
    manifest: String,
    force: bool,
) -> Result<(), OutputError> {
    let t = Target::of(dir)?;
    let (created, made) = create_parents(&t.parent);
    let result = made.and_then(|()| {
        let lock = Lock::take(&t)?;
        let r = transact(&t, kind, files, manifest, force);
        drop(lock);
        r
    });
    let mut s = staged();
    if result.is_err() {
        for d in created.iter().rev() {
            let _ = fs::remove_dir(d);
        }
    }
    s.dirs.retain(|d| !created.contains(d));
    result
}

/// Finds, before any data is read, what would refuse writing a run of `kind` into `dir`:
/// a file, link or mount point where OUT goes, or a file where one of its parents goes; a
/// lock held by another run (or a link or other file where the lock goes); a run OUT
/// holds that may not be replaced (without `force`, or another command's); a directory of
/// other files without `force`; or a nearest existing parent this process may not write
/// in. The run is checked again, under the lock, when it is written.
pub fn preflight(dir: &Path, kind: RunKind, force: bool) -> Result<(), OutputError> {
    let t = Target::of(dir)?;
    for ancestor in t.parent.ancestors().filter(|a| !a.as_os_str().is_empty()) {
        match fs::metadata(ancestor) {
            Ok(m) if m.is_dir() => {
                writable(ancestor)?;
                break;
            }
            Ok(m) => {
                return Err(OutputError::NotADirectory(
                    ancestor.to_path_buf(),
                    if m.is_file() {
                        "a file, where a parent directory of --out goes"
                    } else {
                        "not a directory, where a parent directory of --out goes"
                    },
                ))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => return Err(io(ancestor)(e)),
        }
    }
    lock_free(&t)?;
    refusal(&t, kind, &inspect(&t)?, force)
}

/// An error unless this process may create entries in `dir`.
fn writable(dir: &Path) -> Result<(), OutputError> {
    use std::os::unix::ffi::OsStrExt;
    let Ok(c) = std::ffi::CString::new(dir.as_os_str().as_bytes()) else {
        return Ok(());
    };
    // SAFETY: access(2) on a NUL-terminated path this function owns.
    if unsafe { libc::access(c.as_ptr(), libc::W_OK | libc::X_OK) } != 0 {
        return Err(io(dir)(std::io::Error::last_os_error()));
    }
    Ok(())
}

/// An error when the lock beside OUT is held by a running run, or something other than a
/// regular file is in its place. Only tried (shared, non-blocking), never kept.
fn lock_free(t: &Target) -> Result<(), OutputError> {
    let path = t.beside(".lock");
    match fs::symlink_metadata(&path) {
        Err(_) => return Ok(()),
        Ok(m) if m.file_type().is_symlink() => {
            return Err(OutputError::LockInTheWay(
                path,
                "a symbolic link (never followed)",
            ))
        }
        Ok(m) if !m.is_file() => return Err(OutputError::LockInTheWay(path, "not a regular file")),
        Ok(_) => {}
    }
    let Ok(mut file) = fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC | libc::O_NONBLOCK)
        .open(&path)
    else {
        // Gone since (its run ended), or unreadable: the write finds out under the lock.
        return Ok(());
    };
    use std::os::unix::io::AsRawFd;
    // SAFETY: flock on a file descriptor this function owns; closing it releases the lock.
    let r = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_SH | libc::LOCK_NB) };
    if r != 0 && std::io::Error::last_os_error().raw_os_error() == Some(libc::EWOULDBLOCK) {
        let mut pid = String::new();
        let _ = file.read_to_string(&mut pid);
        let pid = pid.trim();
        return Err(OutputError::Locked {
            dir: t.out.clone(),
            pid: if pid.is_empty() { "unknown" } else { pid }.to_string(),
            lock: path,
        });
    }
    Ok(())
}

/// Why a run of `kind` may not replace what OUT holds, if it may not.
fn refusal(t: &Target, kind: RunKind, before: &Before, force: bool) -> Result<(), OutputError> {
    match before {
        Before::Nothing | Before::Empty => Ok(()),
        Before::Foreign if force => Ok(()),
        Before::Foreign => Err(OutputError::NotARun(t.out.clone())),
        Before::Run(previous) => {
            // Replacing another command's run would delete its files (a calc run's payouts
            // by a monthly statement run): only a run of the same command is replaced.
            let previous_command = previous["command"].as_str().unwrap_or("calc");
            if previous_command != kind.command {
                return Err(OutputError::OtherCommand {
                    dir: t.out.clone(),
                    previous: previous_command.to_string(),
                    command: kind.command,
                });
            }
            match kind.month {
                None if !force => Err(OutputError::AlreadyARun(t.out.clone())),
                Some(month) if !force && months_of(previous).contains_key(month) => {
                    Err(OutputError::MonthHeld(t.out.clone(), month.to_string()))
                }
                _ => Ok(()),
            }
        }
    }
}

/// What OUT holds before the run.
enum Before {
    Nothing,
    Empty,
    Run(serde_json::Value),
    Foreign,
}

fn transact(
    t: &Target,
    kind: RunKind,
    files: &RunFiles,
    manifest: String,
    force: bool,
) -> Result<(), OutputError> {
    recover(t)?;
    let before = inspect(t)?;
    refusal(t, kind, &before, force)?;
    let mut carried: Vec<FileEntry> = Vec::new();
    let mut months = serde_json::Map::new();
    // A monthly run keeps the other months of the run it replaces.
    if let (Before::Run(previous), Some(month)) = (&before, kind.month) {
        for (m, entry) in months_of(previous) {
            if m != month {
                months.insert(m, entry);
            }
        }
        let keep: HashSet<&str> = months.keys().map(String::as_str).collect();
        carried = listed_files(previous)
            .into_iter()
            .filter(|f| month_of(&f.0).is_some_and(|m| keep.contains(m.as_str())))
            .map(|(path, entry)| {
                let (size, sha256) = entry.unwrap_or_default();
                FileEntry { path, size, sha256 }
            })
            .collect();
    }
    let stage = create_stage(t)?;
    let written = (|| {
        // Opened before any file is written, so that its sync reports every write-back
        // error of the files (see `sync_staged`).
        let stage_dir = fs::File::open(&stage).map_err(io(&stage))?;
        let mut entries = Vec::new();
        let mut made = Vec::new();
        for old in &carried {
            entries.push(carry(t, &stage, old, &mut made)?);
        }
        entries.extend(write_files(&stage, &files.files, files.threads)?);
        // Every file and directory on disk before the manifest names them; the manifest's
        // text is made meanwhile.
        let (synced, manifest) = std::thread::scope(|scope| {
            let entries = &entries;
            let text = scope.spawn(move || final_manifest(manifest, kind, months, entries));
            let synced = sync_staged(&stage_dir, &stage);
            let text = text.join().unwrap_or_else(|p| std::panic::resume_unwind(p));
            (synced, text)
        });
        synced?;
        write_file(&stage, MANIFEST, manifest.as_bytes())?;
        stage_dir.sync_all().map_err(io(&stage))?;
        final_permissions(t, &stage, &before)
    })();
    let result = written.and_then(|()| {
        pause_at("before-swap");
        swap(t, &stage, matches!(before, Before::Nothing))
    });
    if result.is_err() {
        staged().drop_stage(&stage);
    }
    result
}

/// Completes or rolls back a rename sequence a killed run left (its journal), then removes
/// the staging directories of killed runs. Runs under the lock, so none of them is live.
fn recover(t: &Target) -> Result<(), OutputError> {
    let journal = t.journal();
    if let Ok(text) = fs::read_to_string(&journal) {
        let old = text
            .lines()
            .find_map(|l| l.strip_prefix("old "))
            // Only a staging name of this OUT, beside it: nothing else is ever renamed.
            .filter(|n| t.is_stage_name(n.as_bytes()))
            .map(|n| t.parent.join(n));
        if let Some(old) = old {
            // Only a directory (never a link planted under a staging name) is put back.
            let is_dir = fs::symlink_metadata(&old).is_ok_and(|m| m.is_dir());
            if fs::symlink_metadata(&t.out).is_err() && is_dir {
                // OUT was renamed aside but the new run never arrived: put it back.
                fs::rename(&old, &t.out).map_err(io(&t.out))?;
            }
        }
        fs::remove_file(&journal).map_err(io(&journal))?;
    }
    let read = fs::read_dir(&t.parent).map_err(io(&t.parent))?;
    for entry in read.flatten() {
        let name = entry.file_name();
        if t.is_stage_name(name.as_bytes()) {
            let path = entry.path();
            // Neither follows a link: a link by that name is removed itself.
            match entry.file_type() {
                // Said on stderr when it cannot be removed, on every run until it is.
                Ok(ft) if ft.is_dir() => remove_previous(&path),
                _ => {
                    let _ = fs::remove_file(&path);
                }
            }
        }
    }
    Ok(())
}

fn inspect(t: &Target) -> Result<Before, OutputError> {
    let meta = match fs::symlink_metadata(&t.out) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Before::Nothing),
        Err(e) => return Err(io(&t.out)(e)),
        Ok(m) => m,
    };
    if meta.file_type().is_symlink() {
        return Err(OutputError::NotADirectory(
            t.out.clone(),
            "a symbolic link (never followed)",
        ));
    }
    if !meta.is_dir() {
        let what = if meta.is_file() {
            "a file"
        } else {
            "not a directory"
        };
        return Err(OutputError::NotADirectory(t.out.clone(), what));
    }
    let parent = fs::metadata(&t.parent).map_err(io(&t.parent))?;
    if parent.dev() != meta.dev() {
        return Err(OutputError::MountPoint(t.out.clone()));
    }
    match read_nofollow(&t.out, MANIFEST) {
        Ok(bytes) => {
            let doc = serde_json::from_slice(&bytes).unwrap_or(serde_json::Value::Null);
            return Ok(Before::Run(doc));
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(io(&t.out.join(MANIFEST))(e)),
    }
    let mut entries = fs::read_dir(&t.out).map_err(io(&t.out))?;
    Ok(if entries.next().is_some() {
        Before::Foreign
    } else {
        Before::Empty
    })
}

/// The months a statements manifest holds, each with what the manifest says of it.
fn months_of(doc: &serde_json::Value) -> BTreeMap<String, serde_json::Value> {
    if let Some(m) = doc["months"].as_object() {
        return m
            .iter()
            .filter(|(k, _)| is_month(k))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
    }
    // A manifest from before months accumulated: its one statement.
    doc["statement"]["month"]
        .as_str()
        .filter(|m| is_month(m))
        .map(|m| (m.to_string(), month_entry(doc)))
        .into_iter()
        .collect()
}

fn is_month(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 7
        && b[4] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || c.is_ascii_digit())
}

/// The month a statements file belongs to: `credit_statement_YYYY-MM.csv`,
/// `rejects_YYYY-MM.csv`, or anything below a `YYYY-MM` directory.
pub fn month_of(path: &str) -> Option<String> {
    let mut parts = path.split('/');
    let first = parts.next()?;
    if let Some(dir) = parts.next() {
        return is_month(dir).then(|| dir.to_string());
    }
    let stem = first.rsplit_once('.').map_or(first, |(s, _)| s);
    let (_, m) = stem.rsplit_once('_')?;
    is_month(m).then(|| m.to_string())
}

/// What a statements manifest records of its month.
fn month_entry(doc: &serde_json::Value) -> serde_json::Value {
    let mut e = serde_json::Map::new();
    for key in ["as_of", "book", "inputs", "mode", "statement"] {
        if !doc[key].is_null() {
            e.insert(key.into(), doc[key].clone());
        }
    }
    serde_json::Value::Object(e)
}

/// Relative paths a manifest lists (anything that could leave the directory is dropped),
/// with size and sha256 where it records them.
fn listed_files(doc: &serde_json::Value) -> Vec<(String, Option<(u64, String)>)> {
    let safe = |p: &str| {
        !p.is_empty()
            && !p.starts_with('/')
            && !p.split('/').any(|c| c == ".." || c == "." || c.is_empty())
    };
    if let Some(files) = doc["files"].as_array() {
        return files
            .iter()
            .filter_map(|f| {
                let path = f["path"].as_str().filter(|p| safe(p))?;
                let size = f["size"].as_u64()?;
                let sha = f["sha256"].as_str()?;
                Some((path.to_string(), Some((size, sha.to_string()))))
            })
            .collect();
    }
    doc["outputs"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str())
                .filter(|p| safe(p))
                .map(|p| (p.to_string(), None))
                .collect()
        })
        .unwrap_or_default()
}

/// Reads `rel` below `dir` without following a symbolic link anywhere below `dir`.
pub fn read_nofollow(dir: &Path, rel: &str) -> std::io::Result<Vec<u8>> {
    let mut path = dir.to_path_buf();
    let parts: Vec<&str> = rel.split('/').collect();
    for (i, part) in parts.iter().enumerate() {
        path.push(part);
        if i + 1 < parts.len() {
            let m = fs::symlink_metadata(&path)?;
            if !m.is_dir() {
                return Err(std::io::Error::other(format!(
                    "{} is not a directory (a link is never followed)",
                    path.display()
                )));
            }
        }
    }
    let mut f = fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC | libc::O_NONBLOCK)
        .open(&path)?;
    if !f.metadata()?.is_file() {
        return Err(std::io::Error::other("not a regular file"));
    }
    let mut bytes = Vec::new();
    f.read_to_end(&mut bytes)?;
    Ok(bytes)
}

fn sha256_hex(bytes: &[u8]) -> String {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut hex = String::with_capacity(64);
    for b in Sha256::digest(bytes) {
        hex.push(HEX[usize::from(b >> 4)] as char);
        hex.push(HEX[usize::from(b & 0xf)] as char);
    }
    hex
}

/// Creates the staging directory beside OUT, exclusively, open to its owner only while
/// it is written (nobody else can plant a name in it).
fn create_stage(t: &Target) -> Result<PathBuf, OutputError> {
    use std::os::unix::fs::DirBuilderExt;
    loop {
        let stage = t.beside(&format!(".tsp-{}", random_hex()));
        let mut s = staged();
        match fs::DirBuilder::new().mode(0o700).create(&stage) {
            Ok(()) => {
                s.stages.push(stage.clone());
                return Ok(stage);
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(io(&stage)(e)),
        }
    }
}

/// The permissions the run directory gets once written: the previous OUT's, or what a new
/// directory gets under the process's umask.
fn final_permissions(t: &Target, stage: &Path, before: &Before) -> Result<(), OutputError> {
    use std::os::unix::fs::PermissionsExt;
    let mode = match before {
        Before::Nothing => {
            // The umask can only be read by setting it: probe with a directory of our own.
            let probe = stage.join(".mode");
            fs::create_dir(&probe).map_err(io(&probe))?;
            let m = fs::symlink_metadata(&probe).map_err(io(&probe))?;
            fs::remove_dir(&probe).map_err(io(&probe))?;
            m.permissions().mode() & 0o7777
        }
        _ => {
            fs::symlink_metadata(&t.out)
                .map_err(io(&t.out))?
                .permissions()
                .mode()
                & 0o7777
        }
    };
    fs::set_permissions(stage, fs::Permissions::from_mode(mode)).map_err(io(stage))
}

/// Writes one file into the staging directory (creating its directories there), never
/// through an existing name or link; returns its manifest entry and the written file.
/// `made` lists the directories this thread has already created in the stage (so each is
/// created once).
fn write_unsynced(
    stage: &Path,
    rel: &str,
    bytes: &[u8],
    made: &mut Vec<PathBuf>,
) -> Result<(FileEntry, fs::File), OutputError> {
    let parts: Vec<&str> = rel.split('/').collect();
    assert!(
        parts
            .iter()
            .all(|p| !p.is_empty() && *p != ".." && *p != "."),
        "output paths are plain relative paths: {rel}"
    );
    // Created under the lock: once an interrupt has cleaned up, nothing new appears.
    let s = staged_shared();
    if !s.stages.iter().any(|p| p == stage) {
        return Err(io(stage)(std::io::Error::other("the run was interrupted")));
    }
    let mut path = stage.to_path_buf();
    for part in &parts[..parts.len() - 1] {
        path.push(part);
        if made.contains(&path) {
            continue;
        }
        match fs::create_dir(&path) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                if !fs::symlink_metadata(&path).is_ok_and(|m| m.is_dir()) {
                    return Err(io(&path)(e));
                }
            }
            Err(e) => return Err(io(&path)(e)),
        }
        made.push(path.clone());
    }
    path.push(parts[parts.len() - 1]);
    let mut f = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o644)
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
        .open(&path)
        .map_err(io(&path))?;
    drop(s);
    f.write_all(bytes).map_err(io(&path))?;
    let entry = FileEntry {
        path: rel.to_string(),
        size: bytes.len() as u64,
        sha256: sha256_hex(bytes),
    };
    settle(&f).map_err(io(&path))?;
    Ok((entry, f))
}

/// Leaves a written file for `sync_staged`, which on Linux puts every file of the run on
/// disk at once (after `early_sync` has written most of them): a sync per file made the
/// disk commit its journal thousands of times, and starting each file's write-back as it
/// was written (`sync_file_range`) made every write wait on a busy disk. Elsewhere the
/// file is synced here.
fn settle(file: &fs::File) -> std::io::Result<()> {
    #[cfg(target_os = "linux")]
    {
        let _ = file;
        Ok(())
    }
    #[cfg(not(target_os = "linux"))]
    {
        file.sync_all()
    }
}

/// Waits until every file and directory written into the staging directory is on disk.
/// On Linux one `syncfs(2)` on the stage's file system: it writes back and waits for all
/// of it, commits the journal once, and (since Linux 5.8) fails with any write-back error
/// on that file system since `stage_dir` was opened, so a file that did not reach the disk
/// fails the run. It also writes back what other programs left unwritten on that file
/// system; on a busy disk that is still far less waiting than a sync per file. Elsewhere
/// the files were synced as written; their directories are synced here.
fn sync_staged(stage_dir: &fs::File, stage: &Path) -> Result<(), OutputError> {
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::io::AsRawFd;
        let _ = stage;
        // SAFETY: syncfs on a directory descriptor the caller holds open.
        if unsafe { libc::syncfs(stage_dir.as_raw_fd()) } != 0 {
            return Err(io(stage)(std::io::Error::last_os_error()));
        }
        Ok(())
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = stage_dir;
        sync_tree(stage)
    }
}

/// Writes one file into the staging directory and syncs it; returns its manifest entry.
fn write_file(stage: &Path, rel: &str, bytes: &[u8]) -> Result<FileEntry, OutputError> {
    let (entry, file) = write_unsynced(stage, rel, bytes, &mut Vec::new())?;
    file.sync_all().map_err(io(&stage.join(rel)))?;
    Ok(entry)
}

/// Renders and writes `files` into the staging directory on `threads` threads (partners'
/// files are independent) and returns their manifest entries in the order of `files`.
/// Each entry's sha256 is taken from the bytes as they are written; `sync_staged` puts
/// them on disk. On failure the error of the first failing file in that order is
/// returned: the files after it are skipped, those before it still tried.
fn write_files(
    stage: &Path,
    files: &[(PathBuf, Content)],
    threads: usize,
) -> Result<Vec<FileEntry>, OutputError> {
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    let writers = threads.clamp(1, files.len().max(1));
    let next = AtomicUsize::new(0);
    // The first file in the order of `files` that failed (the length while none has).
    let failed_at = AtomicUsize::new(files.len());
    let mut results: Vec<(usize, Result<FileEntry, OutputError>)> = Vec::new();
    let written = std::sync::atomic::AtomicU64::new(0);
    let finished = AtomicBool::new(false);
    let order = writing_order(files);
    std::thread::scope(|scope| {
        let early = scope.spawn(|| early_sync(stage, &written, &finished));
        // Ends the early syncs however the writers end: had one panicked, the scope would
        // otherwise wait on them for good instead of passing the panic on.
        let end_early = EndEarlySync(&finished, early.thread().clone());
        let write = || {
            let mut done = Vec::new();
            let mut buf = Vec::new();
            let mut made = Vec::new();
            while let Some(&i) = order.get(next.fetch_add(1, Ordering::Relaxed)) {
                // Written in another order than listed: a file listed before the failed one
                // is still tried, so the error reported does not depend on that order.
                if i > failed_at.load(Ordering::Relaxed) {
                    continue;
                }
                let (rel, content) = &files[i];
                let bytes = content.render(&mut buf);
                match write_unsynced(stage, &rel_name(rel), &bytes, &mut made) {
                    Ok((entry, _written)) => {
                        written.fetch_add(bytes.len() as u64, Ordering::Relaxed);
                        done.push((i, Ok(entry)))
                    }
                    Err(e) => {
                        failed_at.fetch_min(i, Ordering::Relaxed);
                        done.push((i, Err(e)));
                    }
                }
            }
            done
        };
        let helpers: Vec<_> = (1..writers).map(|_| scope.spawn(write)).collect();
        results.extend(write());
        for h in helpers {
            results.extend(h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)));
        }
        drop(end_early);
        let _ = early.join();
    });
    results.sort_by_key(|(i, _)| *i);
    let mut entries = Vec::with_capacity(files.len());
    for (i, r) in results {
        match r {
            Ok(entry) if entries.len() == i => entries.push(entry),
            Ok(_) => {}
            Err(e) => return Err(e),
        }
    }
    assert_eq!(entries.len(), files.len(), "every file written");
    Ok(entries)
}

/// The order to write `files` in (indices into it): the files made from the whole run
/// (`Content::Later`: payouts.csv, an index) first, so that none of them is left for one
/// thread at the end; then one file of each directory in turn, so that the writing
/// threads mostly create files in different directories, which the kernel lets them do at
/// once (creations in one directory take turns).
fn writing_order(files: &[(PathBuf, Content)]) -> Vec<usize> {
    let whole_run = |c: &Content| matches!(c, Content::Later(_));
    let mut order: Vec<usize> = (0..files.len())
        .filter(|&i| whole_run(&files[i].1))
        .collect();
    let mut by_dir: Vec<(&Path, Vec<usize>)> = Vec::new();
    for (i, (rel, content)) in files.iter().enumerate() {
        if whole_run(content) {
            continue;
        }
        let dir = rel.parent().unwrap_or(Path::new(""));
        match by_dir.iter_mut().find(|(d, _)| *d == dir) {
            Some((_, list)) => list.push(i),
            None => by_dir.push((dir, vec![i])),
        }
    }
    let longest = by_dir.iter().map(|(_, list)| list.len()).max().unwrap_or(0);
    for k in 0..longest {
        order.extend(by_dir.iter().filter_map(|(_, list)| list.get(k)));
    }
    order
}

/// Tells the `early_sync` thread to end when dropped.
struct EndEarlySync<'a>(&'a std::sync::atomic::AtomicBool, std::thread::Thread);

impl Drop for EndEarlySync<'_> {
    fn drop(&mut self) {
        self.0.store(true, std::sync::atomic::Ordering::Relaxed);
        self.1.unpark();
    }
}

/// Bytes written between two early syncs (8 to 64 MB measured alike).
const EARLY_SYNC_BATCH: u64 = 16 << 20;

/// Puts written files on disk in batches while the next ones render, so that the sync
/// after the last file (`sync_staged`, the one that decides) finds most of them there
/// (152 MB of statements and pages: 0.15–0.2 s less writing and waiting). One `syncfs`
/// per batch lets the disk write many files at once; starting each file's write-back by
/// itself did not help. It syncs through a descriptor of its own: a write-back error it
/// meets is still reported to `sync_staged`, which counts errors since its own
/// descriptor was opened. Ends once `finished` is set (and the thread unparked).
fn early_sync(
    stage: &Path,
    written: &std::sync::atomic::AtomicU64,
    finished: &std::sync::atomic::AtomicBool,
) {
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::io::AsRawFd;
        use std::sync::atomic::Ordering;
        let Ok(dir) = fs::File::open(stage) else {
            return;
        };
        let mut synced = 0;
        while !finished.load(Ordering::Relaxed) {
            let now = written.load(Ordering::Relaxed);
            if now - synced >= EARLY_SYNC_BATCH {
                // SAFETY: syncfs on a directory descriptor held open.
                unsafe {
                    libc::syncfs(dir.as_raw_fd());
                }
                synced = now;
            } else {
                std::thread::park_timeout(std::time::Duration::from_millis(5));
            }
        }
    }
    #[cfg(not(target_os = "linux"))]
    {
        let _ = (stage, written, finished);
    }
}

/// Copies a file of another month from OUT into the staging directory, checked against
/// the previous manifest (when it recorded a size and sha256).
fn carry(
    t: &Target,
    stage: &Path,
    old: &FileEntry,
    made: &mut Vec<PathBuf>,
) -> Result<FileEntry, OutputError> {
    let tampered = |why: String| OutputError::Tampered {
        dir: t.out.clone(),
        path: old.path.clone(),
        why,
    };
    let bytes = read_nofollow(&t.out, &old.path).map_err(|e| tampered(e.to_string()))?;
    let (entry, _written) = write_unsynced(stage, &old.path, &bytes, made)?;
    if !old.sha256.is_empty() && (entry.size != old.size || entry.sha256 != old.sha256) {
        return Err(tampered(format!(
            "{} bytes with sha256 {}, listed as {} bytes with sha256 {}",
            entry.size, entry.sha256, old.size, old.sha256
        )));
    }
    Ok(entry)
}

fn sync_dir(dir: &Path) -> std::io::Result<()> {
    fs::File::open(dir)?.sync_all()
}

/// Syncs every directory of the staged run, so that after a power loss the swapped-in run
/// has all its names, not only its top level.
#[cfg(not(target_os = "linux"))]
fn sync_tree(dir: &Path) -> Result<(), OutputError> {
    for e in fs::read_dir(dir).map_err(io(dir))?.flatten() {
        if e.file_type().is_ok_and(|t| t.is_dir()) {
            sync_tree(&e.path())?;
        }
    }
    sync_dir(dir).map_err(io(dir))
}

/// The manifest with the command that wrote the run (first after the tool's name), for
/// statements the months the directory holds, and every file with its size and sha256.
fn final_manifest(
    manifest: String,
    kind: RunKind,
    mut months: serde_json::Map<String, serde_json::Value>,
    entries: &[FileEntry],
) -> String {
    let Ok(serde_json::Value::Object(doc)) = serde_json::from_str::<serde_json::Value>(&manifest)
    else {
        return manifest;
    };
    let mut out = serde_json::Map::new();
    for (key, value) in &doc {
        out.insert(key.clone(), value.clone());
        if key == "tool" {
            out.insert("command".into(), serde_json::Value::from(kind.command));
        }
    }
    out.entry("command")
        .or_insert_with(|| serde_json::Value::from(kind.command));
    out.insert(
        "outputs".into(),
        entries
            .iter()
            .map(|e| serde_json::Value::from(e.path.clone()))
            .collect(),
    );
    if let Some(month) = kind.month {
        months.insert(
            month.to_string(),
            month_entry(&serde_json::Value::Object(doc)),
        );
        out.insert("months".into(), serde_json::Value::Object(months));
    }
    out.insert(
        "files".into(),
        entries
            .iter()
            .map(|e| serde_json::json!({"path": e.path, "size": e.size, "sha256": e.sha256}))
            .collect(),
    );
    let mut text =
        serde_json::to_string_pretty(&serde_json::Value::Object(out)).expect("JSON of plain data");
    text.push('\n');
    text
}

#[cfg(target_os = "linux")]
fn renameat2(from: &Path, to: &Path, flags: libc::c_uint) -> std::io::Result<()> {
    use std::ffi::CString;
    let c = |p: &Path| {
        CString::new(p.as_os_str().as_bytes())
            .map_err(|_| std::io::Error::other("a path with a NUL byte"))
    };
    let (from, to) = (c(from)?, c(to)?);
    // SAFETY: two NUL-terminated paths relative to the working directory.
    let r = unsafe {
        libc::syscall(
            libc::SYS_renameat2,
            libc::AT_FDCWD,
            from.as_ptr(),
            libc::AT_FDCWD,
            to.as_ptr(),
            flags,
        )
    };
    if r == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

/// Whether an error of renameat2 means the file system (or kernel) cannot do it.
#[cfg(target_os = "linux")]
fn unsupported(e: &std::io::Error) -> bool {
    matches!(
        e.raw_os_error(),
        Some(libc::EINVAL) | Some(libc::ENOSYS) | Some(libc::EOPNOTSUPP)
    )
}

/// Makes the staging directory OUT, then removes the previous run. Runs under the lock: an
/// interrupt waits until OUT is the new run.
fn swap(t: &Target, stage: &Path, fresh: bool) -> Result<(), OutputError> {
    let mut s = staged();
    let exchange_off = std::env::var_os("TSP_PAYOUT_TEST_NO_EXCHANGE").is_some();
    #[cfg(target_os = "linux")]
    if !exchange_off {
        const RENAME_NOREPLACE: libc::c_uint = 1;
        const RENAME_EXCHANGE: libc::c_uint = 2;
        let flags = if fresh {
            RENAME_NOREPLACE
        } else {
            RENAME_EXCHANGE
        };
        match renameat2(stage, &t.out, flags) {
            Ok(()) => {
                let _ = sync_dir(&t.parent);
                if fresh {
                    s.forget_stage(stage);
                } else {
                    // The staging name now holds the previous run.
                    drop(s);
                    pause_at("after-swap");
                    s = staged();
                    remove_previous(stage);
                    s.forget_stage(stage);
                }
                return Ok(());
            }
            Err(e) if unsupported(&e) => {}
            Err(e) => return Err(io(&t.out)(e)),
        }
    }
    let _ = fresh;
    // A rename sequence under a journal the next run completes or rolls back.
    let journal = t.journal();
    let old = t.beside(&format!(".tsp-{}", random_hex()));
    let had_out = fs::symlink_metadata(&t.out).is_ok();
    if had_out {
        let text = format!(
            "tsp-payout journal\nold {}\nnew {}\n",
            old.file_name().unwrap_or_default().to_string_lossy(),
            stage.file_name().unwrap_or_default().to_string_lossy(),
        );
        write_journal(&journal, text.as_bytes()).map_err(io(&journal))?;
        if let Err(e) = fs::rename(&t.out, &old) {
            let _ = fs::remove_file(&journal);
            return Err(io(&t.out)(e));
        }
        pause_at("moved-aside");
    }
    if let Err(e) = fs::rename(stage, &t.out) {
        // Put the previous run back. Should that fail too, the journal stays: the next run
        // rolls back, and never takes the previous run for a leftover.
        if had_out && fs::rename(&old, &t.out).is_ok() {
            let _ = fs::remove_file(&journal);
        }
        return Err(io(&t.out)(e));
    }
    s.forget_stage(stage);
    let _ = sync_dir(&t.parent);
    if had_out {
        let _ = fs::remove_file(&journal);
        remove_previous(&old);
    }
    Ok(())
}

fn write_journal(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut f = fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_CLOEXEC)
        .open(path)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    if let Some(parent) = path.parent() {
        let _ = sync_dir(parent);
    }
    Ok(())
}

/// Removes the previous run once the new one is in place, or a killed run's leftover. What
/// cannot be removed (an immutable file) stays under its staging name, said on stderr, for
/// the next run to retry.
fn remove_previous(old: &Path) {
    if let Err(e) = fs::remove_dir_all(old) {
        eprintln!(
            "tsp-payout: warning: the previous run, now at {}, could not be removed completely: {e}",
            old.display()
        );
    }
}

/// What `verify` found: every listed file missing or changed, and every extra file.
#[derive(Debug, Default)]
pub struct Verified {
    pub checked: usize,
    pub problems: Vec<String>,
}

#[derive(Debug, Error)]
pub enum VerifyError {
    #[error("{0}: no such directory")]
    Missing(PathBuf),
    #[error("{0}: {1}")]
    Unusable(PathBuf, String),
}

/// Checks a run directory against its manifest: every listed file present with its size
/// and sha256, and nothing else (the manifest itself aside). Links are never followed: a
/// link is reported, not read.
pub fn verify(dir: &Path) -> Result<Verified, VerifyError> {
    match fs::symlink_metadata(dir) {
        Err(_) => {
            let pending = Target::of(dir)
                .map(|t| t.journal())
                .ok()
                .filter(|j| j.exists());
            return Err(match pending {
                Some(journal) => VerifyError::Unusable(
                    dir.to_path_buf(),
                    format!(
                        "no such directory: a run was stopped while it was being swapped in ({} is left); the next run into it puts the previous run back",
                        journal.display()
                    ),
                ),
                None => VerifyError::Missing(dir.to_path_buf()),
            });
        }
        Ok(m) if !m.is_dir() => {
            return Err(VerifyError::Unusable(
                dir.to_path_buf(),
                "not a directory (a link is never followed)".into(),
            ))
        }
        Ok(_) => {}
    }
    let manifest_path = dir.join(MANIFEST);
    let bytes = read_nofollow(dir, MANIFEST)
        .map_err(|e| VerifyError::Unusable(manifest_path.clone(), e.to_string()))?;
    let doc: serde_json::Value = serde_json::from_slice(&bytes)
        .map_err(|e| VerifyError::Unusable(manifest_path.clone(), e.to_string()))?;
    if doc["files"].as_array().is_none() {
        return Err(VerifyError::Unusable(
            manifest_path,
            "lists no sizes or sha256 of its files (written by an earlier version): nothing to check against".into(),
        ));
    }
    let listed = listed_files(&doc);
    let mut found = BTreeMap::new();
    walk(dir, "", &mut found);
    let mut out = Verified::default();
    // An entry naming a path outside the directory, or without size and sha256, is never
    // checked: it is a problem of its own, so "ok" always covers every entry.
    let entries = doc["files"].as_array().map_or(0, Vec::len);
    if listed.len() < entries {
        let usable: HashSet<&str> = listed.iter().map(|(p, _)| p.as_str()).collect();
        for entry in doc["files"].as_array().into_iter().flatten() {
            let path = entry["path"].as_str().unwrap_or("");
            if !usable.contains(path) {
                out.problems.push(format!(
                    "unusable entry: {} (a path outside the directory, or no size and sha256)",
                    crate::report::escape::shown(&entry.to_string())
                ));
            }
        }
    }
    let mut seen = HashSet::new();
    for (path, entry) in &listed {
        let Some((size, sha)) = entry else { continue };
        seen.insert(path.clone());
        out.checked += 1;
        match found.get(path) {
            None => out.problems.push(format!("missing: {path}")),
            Some(Found::Other(what)) => out.problems.push(format!("changed: {path} ({what})")),
            Some(Found::File) => match read_nofollow(dir, path) {
                Err(e) => out.problems.push(format!("changed: {path} ({e})")),
                Ok(b) => {
                    let got = sha256_hex(&b);
                    if b.len() as u64 != *size || got != *sha {
                        out.problems.push(format!(
                            "changed: {path} ({} bytes, sha256 {got}; the manifest lists {size} bytes, sha256 {sha})",
                            b.len()
                        ));
                    }
                }
            },
        }
    }
    for (path, what) in &found {
        if path != MANIFEST && !seen.contains(path) {
            match what {
                Found::File => out.problems.push(format!("extra: {path}")),
                Found::Other(what) => out.problems.push(format!("extra: {path} ({what})")),
            }
        }
    }
    Ok(out)
}

enum Found {
    File,
    Other(&'static str),
}

/// Every entry below `dir` that is not a directory, by relative path.
fn walk(dir: &Path, prefix: &str, out: &mut BTreeMap<String, Found>) {
    let Ok(read) = fs::read_dir(dir) else { return };
    for e in read.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        let rel = if prefix.is_empty() {
            name
        } else {
            format!("{prefix}/{name}")
        };
        match e.file_type() {
            Ok(ft) if ft.is_dir() => {
                let before = out.len();
                walk(&e.path(), &rel, out);
                if out.len() == before {
                    out.insert(rel, Found::Other("an empty directory"));
                }
            }
            Ok(ft) if ft.is_file() => {
                out.insert(rel, Found::File);
            }
            Ok(ft) if ft.is_symlink() => {
                out.insert(rel, Found::Other("a symbolic link"));
            }
            _ => {
                out.insert(rel, Found::Other("not a regular file"));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A staging directory registered as a live run's, as `create_stage` leaves it.
    fn live_stage(dir: &Path) -> PathBuf {
        let stage = dir.join("stage");
        fs::create_dir(&stage).unwrap();
        staged().stages.push(stage.clone());
        stage
    }

    #[test]
    fn files_written_on_several_threads_are_listed_in_their_order() {
        let files: Vec<(PathBuf, Content)> = (0..50)
            .map(|i| {
                let path = PathBuf::from(format!("d{}/f{i:02}.txt", i % 3));
                // Rendered into a reused buffer, shorter and longer files in turn.
                let content = match i % 3 {
                    0 => Content::Text(format!("file {i}\n")),
                    1 => Content::Later(Box::new(move || "x".repeat(i))),
                    _ => Content::Into(Box::new(move |buf: &mut Vec<u8>| {
                        buf.extend("y".repeat((i * 7) % 23).bytes())
                    })),
                };
                (path, content)
            })
            .collect();
        let mut listed = Vec::new();
        for threads in [1, 2, 3, 8] {
            let dir = tempfile::tempdir().unwrap();
            let stage = live_stage(dir.path());
            let entries = write_files(&stage, &files, threads).unwrap();
            staged().forget_stage(&stage);
            for ((rel, content), entry) in files.iter().zip(&entries) {
                let bytes = fs::read(stage.join(rel)).unwrap();
                assert_eq!(bytes, content.rendered().as_bytes());
                assert_eq!(entry.path, rel_name(rel));
                assert_eq!(entry.size, bytes.len() as u64);
                assert_eq!(entry.sha256, sha256_hex(&bytes));
            }
            listed.push(entries);
        }
        assert!(listed.windows(2).all(|w| w[0] == w[1]));
    }

    #[test]
    fn files_of_the_whole_run_are_written_first_then_directories_in_turn() {
        let later = |name: &str| (PathBuf::from(name), Content::Later(Box::new(String::new)));
        let text = |name: &str| (PathBuf::from(name), Content::Text(String::new()));
        let files = vec![
            later("payouts.csv"),
            text("statements/a.json"),
            text("statements/b.json"),
            text("statements/c.json"),
            text("html/a.html"),
            text("html/b.html"),
            later("html/index.html"),
            text("README.txt"),
        ];
        assert_eq!(writing_order(&files), [0, 6, 1, 4, 7, 2, 5, 3]);
    }

    #[test]
    fn a_file_that_fails_to_render_ends_the_writing_instead_of_hanging_it() {
        for threads in [1, 2] {
            let (sent, received) = std::sync::mpsc::channel();
            std::thread::spawn(move || {
                let files: Vec<(PathBuf, Content)> = vec![
                    (PathBuf::from("a.txt"), Content::Text("a\n".into())),
                    (
                        PathBuf::from("b.txt"),
                        Content::Later(Box::new(|| panic!("a renderer's bug"))),
                    ),
                ];
                let dir = tempfile::tempdir().unwrap();
                let stage = live_stage(dir.path());
                let run = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                    write_files(&stage, &files, threads)
                }));
                staged().forget_stage(&stage);
                sent.send(run.is_err()).unwrap();
            });
            let panicked = received
                .recv_timeout(std::time::Duration::from_secs(60))
                .expect("the writing ends");
            assert!(panicked, "the panic is passed on ({threads} threads)");
        }
    }

    #[test]
    fn the_first_failing_file_in_order_is_the_error() {
        // `a` is a file, so neither `a/x` nor `a/y` can be written.
        let files: Vec<(PathBuf, Content)> = ["a", "b", "a/x", "c", "a/y", "d"]
            .iter()
            .map(|p| (PathBuf::from(p), Content::Text(p.to_string())))
            .collect();
        for threads in [1, 2, 3] {
            let dir = tempfile::tempdir().unwrap();
            let stage = live_stage(dir.path());
            let e = write_files(&stage, &files, threads).unwrap_err();
            staged().forget_stage(&stage);
            let OutputError::Io { path, .. } = e else {
                panic!("{e}")
            };
            assert_eq!(path, stage.join("a"), "{threads} threads");
        }
    }

    #[test]
    fn the_first_failing_file_listed_is_the_error_whatever_the_writing_order() {
        // Written as s/1, h/1, s/2, h/2: h/1 fails first, but s/2 is listed before it.
        let files: Vec<(PathBuf, Content)> = ["s/1", "s/2", "h/1", "h/2"]
            .iter()
            .map(|p| (PathBuf::from(p), Content::Text(p.to_string())))
            .collect();
        for threads in [1, 2, 3, 8] {
            let dir = tempfile::tempdir().unwrap();
            let stage = live_stage(dir.path());
            // A directory where each of these files goes: neither can be created.
            for taken in ["s/2", "h/1"] {
                fs::create_dir_all(stage.join(taken)).unwrap();
            }
            let e = write_files(&stage, &files, threads).unwrap_err();
            staged().forget_stage(&stage);
            let OutputError::Io { path, .. } = e else {
                panic!("{e}")
            };
            assert_eq!(path, stage.join("s/2"), "{threads} threads");
        }
    }

    #[test]
    fn files_belong_to_the_month_they_name() {
        assert_eq!(
            month_of("credit_statement_2025-10.csv").as_deref(),
            Some("2025-10")
        );
        assert_eq!(month_of("rejects_2025-11.csv").as_deref(), Some("2025-11"));
        assert_eq!(
            month_of("statements/2025-12/P01.md").as_deref(),
            Some("2025-12")
        );
        assert_eq!(
            month_of("html/2025-10/index.html").as_deref(),
            Some("2025-10")
        );
        for other in [
            "manifest.json",
            "rejects.csv",
            "statements/P01.json",
            "html/x/2025-10",
        ] {
            assert_eq!(month_of(other), None, "{other}");
        }
    }

    #[test]
    fn only_this_outs_staging_names_are_recognised() {
        let t = Target::of(Path::new("/x/run")).unwrap();
        assert!(t.is_stage_name(b".run.tsp-0123456789abcdef"));
        for other in [
            &b".run.tsp-0123456789abcde"[..],
            b".run.tsp-0123456789abcdefa",
            b".run.tsp-0123456789abcdeg",
            b".run2.tsp-0123456789abcdef",
            b".run.tsp-0123456789abcdef.tsp-0123456789abcdef",
            b"run",
            b".run.lock",
        ] {
            assert!(
                !t.is_stage_name(other),
                "{}",
                String::from_utf8_lossy(other)
            );
        }
    }
}
