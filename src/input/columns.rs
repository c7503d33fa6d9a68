//! columns.toml: the names a team's files give this tool's columns, per file:
//!
//! ```toml
//! [gmv_daily]
//! gmv = ["GMV", "Total GMV"]
//! affiliate_gmv = ["Affiliate GMV", "Creator-attributed GMV"]
//! ```
//!
//! A file or column the contract does not have, or a name that would stand for two
//! columns of one file, is refused: a mapping that cannot be read one way only is no
//! mapping.

use super::header::normalise;
use super::InputFile;
use std::collections::BTreeMap;
use std::path::Path;

pub const FILE_NAME: &str = "columns.toml";

/// Longest columns.toml read: far past any real one.
const MAX_BYTES: u64 = 1 << 20;

/// A checked columns.toml.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ColumnMap {
    /// Further names of each column, by file: `names[file][column]`, in the order written.
    pub names: BTreeMap<InputFile, BTreeMap<&'static str, Vec<String>>>,
    pub sha256: String,
}

impl ColumnMap {
    /// The further names of each of `file`'s columns, in the order of `file.columns()`.
    pub fn aliases(&self, file: InputFile) -> Vec<Vec<String>> {
        let names = self.names.get(&file);
        file.columns()
            .iter()
            .map(|c| names.and_then(|n| n.get(c)).cloned().unwrap_or_default())
            .collect()
    }

    /// One line per mapped column: `gmv_daily: gmv <- "GMV", "Total GMV"`.
    pub fn lines(&self) -> Vec<String> {
        let mut out = Vec::new();
        for (file, columns) in &self.names {
            for column in file.columns() {
                if let Some(names) = columns.get(column) {
                    let shown: Vec<String> = names.iter().map(|n| format!("{n:?}")).collect();
                    out.push(format!("{}: {column} <- {}", file.stem(), shown.join(", ")));
                }
            }
        }
        out
    }

    /// Reads `dir/columns.toml`; `None` when there is none.
    pub fn read(dir: &Path) -> Result<Option<ColumnMap>, String> {
        use sha2::{Digest, Sha256};
        use std::io::Read;
        let path = dir.join(FILE_NAME);
        if !super::exists(&path) {
            return Ok(None);
        }
        let file = super::reader::open_regular(&path, FILE_NAME).map_err(|e| e.to_string())?;
        let mut bytes = Vec::new();
        file.take(MAX_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| format!("{FILE_NAME}: cannot read: {e}"))?;
        if bytes.len() as u64 > MAX_BYTES {
            return Err(format!("{FILE_NAME}: longer than 1 MiB"));
        }
        let text = String::from_utf8(bytes).map_err(|_| format!("{FILE_NAME}: not valid UTF-8"))?;
        let mut map = parse(&text).map_err(|e| format!("{FILE_NAME}: {e}"))?;
        let digest = Sha256::digest(text.as_bytes());
        map.sha256 = digest.iter().map(|b| format!("{b:02x}")).collect();
        Ok(Some(map))
    }
}

/// Parses and checks the mapping (the sha256 is left empty).
pub fn parse(text: &str) -> Result<ColumnMap, String> {
    let value: toml::Table = toml::from_str(text).map_err(|e| e.to_string().trim().to_string())?;
    let mut map = ColumnMap::default();
    for (stem, columns) in &value {
        let Some(file) = InputFile::ALL.iter().find(|f| f.stem() == stem).copied() else {
            return Err(format!(
                "[{stem}] is not an input file; the files are {}",
                InputFile::ALL.map(|f| f.stem()).join(", ")
            ));
        };
        let toml::Value::Table(columns) = columns else {
            return Err(format!("{stem} must be a table ([{stem}])"));
        };
        // Every name of the file, normalised, and the column it stands for: the contract's
        // own names first.
        let mut taken: BTreeMap<String, &'static str> =
            file.columns().iter().map(|c| (normalise(c), *c)).collect();
        let mut file_names = BTreeMap::new();
        for (column, names) in columns {
            let Some(column) = file.columns().iter().find(|c| *c == column).copied() else {
                return Err(format!(
                    "{stem}.{column} is not a column of {stem}; its columns are {}",
                    file.columns().join(", ")
                ));
            };
            let names: Vec<String> = match names {
                toml::Value::String(s) => vec![s.clone()],
                toml::Value::Array(a) => a
                    .iter()
                    .map(|v| match v {
                        toml::Value::String(s) => Ok(s.clone()),
                        _ => Err(format!("{stem}.{column}: every name must be a string")),
                    })
                    .collect::<Result<_, _>>()?,
                _ => return Err(format!("{stem}.{column} must be a name or a list of names")),
            };
            for name in &names {
                let key = normalise(name);
                if key.is_empty() {
                    return Err(format!("{stem}.{column}: a name is empty"));
                }
                match taken.get(&key) {
                    Some(other) if *other != column => {
                        return Err(format!(
                            "{stem}: {name:?} is mapped to both {other} and {column}; a name \
                             stands for one column"
                        ))
                    }
                    _ => {
                        taken.insert(key, column);
                    }
                }
            }
            file_names.insert(column, names);
        }
        map.names.insert(file, file_names);
    }
    Ok(map)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_read_per_file_and_column() {
        let map = parse(
            "[gmv_daily]\ngmv = [\"GMV\", \"Total GMV\"]\naffiliate_gmv = \"Creator-attributed GMV\"\n\
             [partners]\npartner_name = [\"Name\"]\n",
        )
        .unwrap();
        let aliases = map.aliases(InputFile::GmvDaily);
        assert_eq!(aliases[3], vec!["GMV", "Total GMV"]);
        assert_eq!(aliases[6], vec!["Creator-attributed GMV"]);
        assert!(aliases[0].is_empty());
        assert_eq!(
            map.lines(),
            vec![
                "partners: partner_name <- \"Name\"",
                "gmv_daily: gmv <- \"GMV\", \"Total GMV\"",
                "gmv_daily: affiliate_gmv <- \"Creator-attributed GMV\"",
            ]
        );
    }

    #[test]
    fn unknown_files_and_columns_and_names_mapped_twice_are_refused() {
        for (text, expected) in [
            ("[gmv]\ngmv = \"GMV\"\n", "[gmv] is not an input file"),
            (
                "[gmv_daily]\ntotal = \"GMV\"\n",
                "gmv_daily.total is not a column of gmv_daily",
            ),
            (
                "[gmv_daily]\ngmv = \"Sales\"\nlive_gmv = \"sales\"\n",
                "gmv_daily: \"sales\" is mapped to both gmv and live_gmv",
            ),
            (
                "[gmv_daily]\ngmv = \"Live GMV\"\n",
                "gmv_daily: \"Live GMV\" is mapped to both live_gmv and gmv",
            ),
            (
                "[gmv_daily]\ngmv = 5\n",
                "must be a name or a list of names",
            ),
            ("[gmv_daily]\ngmv = [\"\"]\n", "a name is empty"),
            ("gmv_daily = 1\n", "must be a table"),
            ("[gmv_daily\n", "TOML parse error"),
        ] {
            let err = parse(text).unwrap_err();
            assert!(err.contains(expected), "{text:?}: {err}");
        }
        // The same name twice for one column says nothing new: accepted.
        assert!(parse("[gmv_daily]\ngmv = [\"GMV\", \"gmv\", \"Total GMV\"]\n").is_ok());
    }
}
