//! Writing a run's files: every file goes to a temporary name first and is renamed into
//! place only once all of them were written, manifest.json last, so a failed run leaves
//! no partial or truncated output behind. An interrupt (SIGINT, SIGTERM, SIGHUP) removes
//! what was staged, and waits while files are being renamed into place, so an interrupted
//! run leaves either nothing or a whole run.

use std::collections::HashSet;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};
use thiserror::Error;

/// What runs in progress have staged: temporary files, and the directories they created.
#[derive(Default)]
struct Staged {
    files: Vec<PathBuf>,
    dirs: Vec<PathBuf>,
}

static STAGED: Mutex<Staged> = Mutex::new(Staged {
    files: Vec::new(),
    dirs: Vec::new(),
});

fn staged() -> MutexGuard<'static, Staged> {
    STAGED.lock().unwrap_or_else(|e| e.into_inner())
}

impl Staged {
    /// Removes the listed files, then the listed directories if they are left empty.
    fn remove(&mut self, files: &[PathBuf], dirs: &[PathBuf]) {
        for f in files {
            let _ = fs::remove_file(f);
        }
        for d in dirs.iter().rev() {
            let _ = fs::remove_dir(d);
        }
        self.forget(files, dirs);
    }

    /// Drops the listed entries (files renamed into place, or removed).
    fn forget(&mut self, files: &[PathBuf], dirs: &[PathBuf]) {
        let files: HashSet<&PathBuf> = files.iter().collect();
        self.files.retain(|f| !files.contains(f));
        self.dirs.retain(|d| !dirs.contains(d));
    }
}

/// Makes SIGINT, SIGTERM and SIGHUP remove the files of a run being written, then exit
/// 130. The handler holds the lock until the process is gone, so no file is staged after
/// it ran.
pub fn clean_up_on_interrupt() {
    let _ = ctrlc::set_handler(|| {
        let mut s = staged();
        let (files, dirs) = (s.files.clone(), s.dirs.clone());
        s.remove(&files, &dirs);
        // No message: the main thread may hold the stderr lock for good.
        std::process::exit(130);
    });
}

#[derive(Debug, Error)]
pub enum OutputError {
    #[error("{0} already holds a run (manifest.json); pass --force to replace it")]
    AlreadyARun(PathBuf),
    #[error("{dir} holds a `{previous}` run; a `{command}` run never replaces it, even with --force: choose another --out")]
    OtherCommand {
        dir: PathBuf,
        previous: String,
        command: &'static str,
    },
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
}

/// A file's content, or how to render it when it is written: a large run then holds one
/// statement in memory at a time, not all of them.
pub enum Content<'a> {
    Text(String),
    Later(Box<dyn Fn() -> String + 'a>),
}

impl Content<'_> {
    fn render(&self) -> std::borrow::Cow<'_, str> {
        match self {
            Content::Text(t) => std::borrow::Cow::Borrowed(t),
            Content::Later(f) => std::borrow::Cow::Owned(f()),
        }
    }
}

impl<'a> RunFiles<'a> {
    pub fn add(&mut self, path: impl Into<PathBuf>, content: String) {
        self.files.push((path.into(), Content::Text(content)));
    }

    /// A file rendered only when it is written.
    pub fn add_later(&mut self, path: impl Into<PathBuf>, render: impl Fn() -> String + 'a) {
        self.files
            .push((path.into(), Content::Later(Box::new(render))));
    }

    pub fn names(&self) -> Vec<String> {
        self.files
            .iter()
            .map(|(p, _)| p.to_string_lossy().replace('\\', "/"))
            .collect()
    }
}

pub const MANIFEST: &str = "manifest.json";

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> OutputError + '_ {
    move |source| OutputError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Writes `files` into `dir` (created if missing). Refuses a directory that already holds
/// a run unless `force`; with `force`, the previous run's files are replaced and those it
/// listed that this run does not write are removed.
pub fn write_run(
    dir: &Path,
    command: &'static str,
    files: &RunFiles,
    manifest: String,
    force: bool,
) -> Result<(), OutputError> {
    let manifest_path = dir.join(MANIFEST);
    let previous = if manifest_path.exists() {
        if !force {
            return Err(OutputError::AlreadyARun(dir.to_path_buf()));
        }
        let previous = previous_manifest(&manifest_path);
        // Replacing another command's run would delete its files (a calc run's payouts
        // by a monthly statement run): only a run of the same command is replaced.
        let previous_command = previous["command"].as_str().unwrap_or("calc");
        if previous_command != command {
            return Err(OutputError::OtherCommand {
                dir: dir.to_path_buf(),
                previous: previous_command.to_string(),
                command,
            });
        }
        previous_outputs(&previous)
    } else {
        Vec::new()
    };
    let manifest = with_command(manifest, command);
    // Directories this run creates, removed again if it fails.
    let mut dirs: Vec<PathBuf> = Vec::new();
    let mut temps: Vec<PathBuf> = Vec::new();
    let mut targets: Vec<PathBuf> = Vec::new();
    let manifest = Content::Text(manifest);
    let all = files
        .files
        .iter()
        .map(|(p, c)| (p.as_path(), c))
        .chain(std::iter::once((Path::new(MANIFEST), &manifest)));
    let result = (|| {
        create_dirs(dir, &mut dirs)?;
        for (rel, content) in all {
            let target = dir.join(rel);
            if let Some(parent) = target.parent() {
                create_dirs(parent, &mut dirs)?;
            }
            let tmp = temp_name(&target);
            let text = content.render();
            // Listed before it exists and written under the lock, so that an interrupt
            // either comes before the file or finds it listed.
            let mut s = staged();
            s.files.push(tmp.clone());
            temps.push(tmp.clone());
            targets.push(target);
            write_synced(&tmp, text.as_bytes()).map_err(io(&tmp))?;
        }
        Ok(())
    })();
    let mut s = staged();
    if let Err(e) = result {
        s.remove(&temps, &dirs);
        return Err(e);
    }
    // Renaming into place runs under the lock: an interrupt waits until the run is whole.
    // The old manifest goes first: a run is only ever marked complete by its own manifest.
    if manifest_path.exists() {
        if let Err(e) = fs::remove_file(&manifest_path) {
            s.remove(&temps, &dirs);
            return Err(io(&manifest_path)(e));
        }
    }
    for (i, (tmp, target)) in temps.iter().zip(&targets).enumerate() {
        if let Err(e) = fs::rename(tmp, target) {
            // Something is in the way (a directory by that name): take back what this run
            // put in place, so that no part of it is left without its manifest.
            s.remove(&targets[..i], &[]);
            s.remove(&temps, &dirs);
            return Err(io(target)(e));
        }
    }
    s.forget(&temps, &dirs);
    drop(s);
    let written = files.names();
    for old in previous {
        if !written.contains(&old) {
            let _ = fs::remove_file(dir.join(&old));
        }
    }
    Ok(())
}

/// `create_dir_all`, recording each directory it creates (and listing it as staged).
fn create_dirs(dir: &Path, created: &mut Vec<PathBuf>) -> Result<(), OutputError> {
    // Created under the lock too: once an interrupt has cleaned up, nothing new appears.
    let mut s = staged();
    let missing: Vec<&Path> = dir.ancestors().take_while(|d| !d.exists()).collect();
    fs::create_dir_all(dir).map_err(io(dir))?;
    for d in missing.into_iter().rev() {
        created.push(d.to_path_buf());
        s.dirs.push(d.to_path_buf());
    }
    Ok(())
}

fn write_synced(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut f = fs::File::create(path)?;
    f.write_all(bytes)?;
    f.sync_all()
}

fn temp_name(target: &Path) -> PathBuf {
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    target.with_file_name(format!(".{name}.tmp-{}", std::process::id()))
}

/// A previous run's manifest; `Null` when it cannot be read.
fn previous_manifest(manifest: &Path) -> serde_json::Value {
    fs::read_to_string(manifest)
        .ok()
        .and_then(|text| serde_json::from_str(&text).ok())
        .unwrap_or(serde_json::Value::Null)
}

/// The manifest with the command that wrote the run, first after the tool's name.
fn with_command(manifest: String, command: &str) -> String {
    let Ok(serde_json::Value::Object(doc)) = serde_json::from_str::<serde_json::Value>(&manifest)
    else {
        return manifest;
    };
    let mut out = serde_json::Map::new();
    for (key, value) in doc {
        let after_tool = key == "tool";
        out.insert(key, value);
        if after_tool {
            out.insert("command".into(), serde_json::Value::from(command));
        }
    }
    out.entry("command")
        .or_insert_with(|| serde_json::Value::from(command));
    let mut text =
        serde_json::to_string_pretty(&serde_json::Value::Object(out)).expect("JSON of plain data");
    text.push('\n');
    text
}

/// Relative output paths listed by a previous manifest; anything that could leave the
/// directory is ignored.
fn previous_outputs(doc: &serde_json::Value) -> Vec<String> {
    doc["outputs"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str())
                .filter(|p| !p.starts_with('/') && !p.split('/').any(|c| c == ".." || c.is_empty()))
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}
