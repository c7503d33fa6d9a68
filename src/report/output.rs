//! Writing a run's files: every file goes to a temporary name first and is renamed into
//! place only once all of them were written, manifest.json last, so a failed run leaves
//! no partial or truncated output behind.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use thiserror::Error;

#[derive(Debug, Error)]
pub enum OutputError {
    #[error("{0} already holds a run (manifest.json); pass --force to replace it")]
    AlreadyARun(PathBuf),
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
    files: &RunFiles,
    manifest: String,
    force: bool,
) -> Result<(), OutputError> {
    let manifest_path = dir.join(MANIFEST);
    let previous = if manifest_path.exists() {
        if !force {
            return Err(OutputError::AlreadyARun(dir.to_path_buf()));
        }
        previous_outputs(&manifest_path)
    } else {
        Vec::new()
    };
    fs::create_dir_all(dir).map_err(io(dir))?;
    let mut staged: Vec<(PathBuf, PathBuf)> = Vec::new();
    let manifest = Content::Text(manifest);
    let all = files
        .files
        .iter()
        .map(|(p, c)| (p.as_path(), c))
        .chain(std::iter::once((Path::new(MANIFEST), &manifest)));
    let result = (|| {
        for (rel, content) in all {
            let target = dir.join(rel);
            if let Some(parent) = target.parent() {
                fs::create_dir_all(parent).map_err(io(parent))?;
            }
            let tmp = temp_name(&target);
            // Recorded before writing so that a failed write is cleaned up too.
            staged.push((tmp.clone(), target));
            write_synced(&tmp, content.render().as_bytes()).map_err(io(&tmp))?;
        }
        Ok(())
    })();
    if let Err(e) = result {
        for (tmp, _) in &staged {
            let _ = fs::remove_file(tmp);
        }
        return Err(e);
    }
    // The old manifest goes first: a run is only ever marked complete by its own manifest.
    if manifest_path.exists() {
        fs::remove_file(&manifest_path).map_err(io(&manifest_path))?;
    }
    for (tmp, target) in &staged {
        if let Err(e) = fs::rename(tmp, target) {
            for (tmp, _) in &staged {
                let _ = fs::remove_file(tmp);
            }
            return Err(io(target)(e));
        }
    }
    let written = files.names();
    for old in previous {
        if !written.contains(&old) {
            let _ = fs::remove_file(dir.join(&old));
        }
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

/// Relative output paths listed by a previous manifest; anything that could leave the
/// directory is ignored.
fn previous_outputs(manifest: &Path) -> Vec<String> {
    let Ok(text) = fs::read_to_string(manifest) else {
        return Vec::new();
    };
    let Ok(doc) = serde_json::from_str::<serde_json::Value>(&text) else {
        return Vec::new();
    };
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
