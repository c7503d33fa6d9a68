//! The payout ledger: an SQLite file of closed periods and the lines issued in them.
//!
//! A close is recorded in one transaction and never changed afterwards: a reopen adds a
//! reversal of the earlier lines and the new lines. Each row carries the sha256 of its
//! fields, each close the sha256 of its rows and of the close before it, so `verify` finds
//! a row edited after the fact and names it. The rest of the program sees plain data
//! ([`CloseRecord`], [`IssuedLine`], [`crate::payout::Issued`]), never SQLite.

pub mod schema;

use crate::money::Money;
use crate::payout::Issued;
use rusqlite::types::Value;
use rusqlite::{params_from_iter, Connection, OpenFlags, TransactionBehavior};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;
use thiserror::Error;

/// The ledger file used when none is named: in the current directory.
pub const DEFAULT_FILE: &str = "tsp-payout.ledger";

/// The environment variable naming the ledger file.
pub const ENV: &str = "TSP_PAYOUT_LEDGER";

/// Hex digits of a close's sha256 shown and accepted as its head: enough that no two
/// closes share them by chance.
pub const HEAD_SHOWN: usize = 16;

/// What a second process waits for a close in progress before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(60);

#[derive(Debug, Error)]
pub enum LedgerError {
    #[error("no ledger at {0}: only `close` creates one")]
    Missing(PathBuf),
    #[error("ledger {path}: {source}")]
    Sqlite {
        path: PathBuf,
        #[source]
        source: rusqlite::Error,
    },
    #[error(
        "ledger {path} has schema version {found}, written by a newer tsp-payout (this one \
         reads versions up to {supported}); use that version, the file is left as it is"
    )]
    Newer {
        path: PathBuf,
        found: i64,
        supported: i64,
    },
    #[error("ledger {path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} is not a tsp-payout ledger: {why}")]
    Foreign { path: PathBuf, why: String },
    #[error(
        "ledger {path} has schema version {found}; `close` brings it to version {supported} \
         (a read-only command leaves it as it is)"
    )]
    Older {
        path: PathBuf,
        found: i64,
        supported: i64,
    },
    #[error(
        "{period} is already closed: close #{id} at {closed_at} (as of {as_of}); \
         `close --reopen --reason TEXT` records a reversal and new lines"
    )]
    AlreadyClosed {
        period: String,
        id: i64,
        closed_at: String,
        as_of: String,
    },
    #[error("{period} is not closed in {path}: there is nothing to reopen")]
    NotClosed { period: String, path: PathBuf },
    #[error("ledger {path} holds {what} that is not an amount: {value:?}")]
    BadAmount {
        path: PathBuf,
        what: String,
        value: String,
    },
}

impl LedgerError {
    /// sysexits-style: a refused close is a usage error (2), a ledger that cannot be used
    /// is bad data (65), a missing one missing input (66), a failing write 74.
    pub fn exit_code(&self) -> u8 {
        match self {
            LedgerError::AlreadyClosed { .. } | LedgerError::NotClosed { .. } => 2,
            LedgerError::Missing(_) => 66,
            LedgerError::Io { .. } => 74,
            LedgerError::Newer { .. }
            | LedgerError::Older { .. }
            | LedgerError::Foreign { .. }
            | LedgerError::BadAmount { .. } => 65,
            LedgerError::Sqlite { source, .. } => match source.sqlite_error_code() {
                Some(rusqlite::ErrorCode::NotADatabase)
                | Some(rusqlite::ErrorCode::DatabaseCorrupt) => 65,
                _ => 74,
            },
        }
    }
}

/// One close (or reopen) of a period, with the run's facts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CloseRecord {
    pub id: i64,
    pub period: String,
    /// `close` or `reopen`.
    pub action: String,
    /// UTC, RFC 3339.
    pub closed_at: String,
    pub as_of: String,
    pub tool_version: String,
    pub book_name: String,
    pub book_sha256: String,
    pub note: Option<String>,
    pub reason: Option<String>,
    /// The close a reopen replaced.
    pub replaces: Option<i64>,
    pub lines_sha256: String,
    pub prev_sha256: String,
    pub close_sha256: String,
}

/// One issued payout line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IssuedLine {
    pub partner_id: String,
    pub partner_name: String,
    pub program: String,
    pub period: String,
    /// `cash` or `ad_credit`.
    pub kind: String,
    pub amount: Money,
    pub basis: String,
}

/// An input file as the close read it: its sha256 and reconciliation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InputFact {
    pub file: String,
    pub present: bool,
    pub sha256: Option<String>,
    /// read, used, outside, unmatched, rejected.
    pub rows: [u64; 5],
    pub gmv: [Money; 5],
}

/// The change of one seller's issued affiliate credit in a month (see
/// `programs::affiliate::TrueUp`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SellerIssue {
    pub partner_id: String,
    pub seller_id: String,
    pub month: String,
    pub amount: Money,
}

/// A partner's affiliate true-up at a month's close.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Balance {
    pub partner_id: String,
    pub month: String,
    pub entitlement: Money,
    pub issued_before: Money,
    pub issued: Money,
    /// Carried against later issues; at the last month's close, recoverable.
    pub over_issued: Money,
}

/// What a close records.
#[derive(Clone, Debug, Default)]
pub struct NewClose {
    pub period: String,
    pub as_of: String,
    pub tool_version: String,
    pub book_name: String,
    pub book_sha256: String,
    pub note: Option<String>,
    /// Set for a reopen: why the period is issued again.
    pub reason: Option<String>,
    pub inputs: Vec<InputFact>,
    pub lines: Vec<IssuedLine>,
    pub sellers: Vec<SellerIssue>,
    pub balances: Vec<Balance>,
    /// Statement files as written at the close: relative path and bytes.
    pub files: Vec<(String, Vec<u8>)>,
}

/// A period as the ledger has it now: its latest close and that close's lines.
#[derive(Clone, Debug)]
pub struct Closed {
    pub close: CloseRecord,
    pub lines: Vec<IssuedLine>,
}

/// An open ledger file.
pub struct Ledger {
    conn: Connection,
    path: PathBuf,
    /// Schema version found; 0 for an empty file (nothing closed).
    version: i64,
}

/// The table's columns as a row is hashed and inserted: every column but `id` and
/// `row_sha256`.
fn columns(table: &str) -> &'static [&'static str] {
    match table {
        "close_inputs" => &[
            "close_id",
            "file",
            "present",
            "sha256",
            "rows_read",
            "rows_used",
            "rows_outside",
            "rows_unmatched",
            "rows_rejected",
            "gmv_read",
            "gmv_used",
            "gmv_outside",
            "gmv_unmatched",
            "gmv_rejected",
        ],
        "issued_lines" => &[
            "close_id",
            "reversal",
            "partner_id",
            "partner_name",
            "program",
            "period",
            "kind",
            "amount",
            "basis",
        ],
        "affiliate_sellers" => &[
            "close_id",
            "reversal",
            "partner_id",
            "seller_id",
            "month",
            "amount",
        ],
        "affiliate_balances" => &[
            "close_id",
            "partner_id",
            "month",
            "entitlement",
            "issued_before",
            "issued",
            "over_issued",
        ],
        "statement_files" => &["close_id", "path", "content"],
        _ => unreachable!("not a close table: {table}"),
    }
}

/// The columns of `closes` its hash covers: all but `close_sha256`.
const CLOSE_COLUMNS: [&str; 13] = [
    "id",
    "period",
    "action",
    "closed_at",
    "as_of",
    "tool_version",
    "book_name",
    "book_sha256",
    "note",
    "reason",
    "replaces",
    "lines_sha256",
    "prev_sha256",
];

/// The sha256 a chain starts from.
const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// sha256 over the parts, each length-prefixed so that no two lists hash alike.
fn digest<'a>(parts: impl IntoIterator<Item = &'a Value>) -> String {
    let mut h = Sha256::new();
    for v in parts {
        let bytes: Vec<u8> = match v {
            Value::Null => b"N".to_vec(),
            Value::Integer(i) => format!("I{i}").into_bytes(),
            Value::Real(r) => format!("R{r}").into_bytes(),
            Value::Text(t) => [b"T".as_slice(), t.as_bytes()].concat(),
            Value::Blob(b) => [b"B".as_slice(), b].concat(),
        };
        h.update((bytes.len() as u64).to_le_bytes());
        h.update(&bytes);
    }
    format!("{:x}", h.finalize())
}

fn text(s: &str) -> Value {
    Value::Text(s.to_string())
}

fn opt_text(s: &Option<String>) -> Value {
    s.as_ref().map_or(Value::Null, |s| Value::Text(s.clone()))
}

fn amount(m: Money) -> Value {
    Value::Text(m.plain())
}

/// Sleeps between the rows of a close when `TSP_PAYOUT_CLOSE_PAUSE_MS` is set, so that a
/// fault test can kill the process while the transaction is open.
fn pause() {
    if let Some(ms) = std::env::var("TSP_PAYOUT_CLOSE_PAUSE_MS")
        .ok()
        .and_then(|v| v.parse::<u64>().ok())
    {
        std::thread::sleep(Duration::from_millis(ms));
    }
}

/// A ledger path that is not a regular file, or is an empty one, is refused: this tool
/// never leaves an empty ledger (a new one appears with its tables, [`create_new`]), so an
/// empty file is one emptied by a failed copy or a truncating editor, and reading it as a
/// ledger without closes would issue every closed month again.
fn refuse_unusable(path: &Path, meta: &std::fs::Metadata) -> Result<(), LedgerError> {
    let why = if !meta.is_file() {
        "not a regular file"
    } else if meta.len() == 0 {
        "an empty file (0 bytes); if it held closes, restore it from a copy (closing into it \
         would issue every closed month again); to start a new ledger, remove it first"
    } else {
        return Ok(());
    };
    Err(LedgerError::Foreign {
        path: path.to_path_buf(),
        why: why.into(),
    })
}

/// Brings a ledger of schema version `found` (0: no tables) to [`schema::VERSION`]
/// inside the caller's transaction.
fn migrate(tx: &rusqlite::Transaction, found: i64) -> rusqlite::Result<()> {
    for (i, step) in schema::MIGRATIONS.iter().enumerate() {
        if (i as i64) >= found {
            tx.execute_batch(step)?;
        }
    }
    if found < schema::VERSION {
        tx.pragma_update(None, "application_id", schema::APPLICATION_ID)?;
        tx.pragma_update(None, "user_version", schema::VERSION)?;
    }
    Ok(())
}

/// Creates a ledger with its tables and no close at `path`, which does not exist: built
/// beside it under a temporary name and linked into place, so a close killed at any point
/// never leaves an empty file there. Losing a race to another close is not an error: its
/// ledger is used.
fn create_new(path: &Path) -> Result<(), LedgerError> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
    let temp = dir.join(format!(
        ".{}.tsp-new-{}",
        name.as_deref().unwrap_or("ledger"),
        std::process::id()
    ));
    let sql = |source| LedgerError::Sqlite {
        path: path.to_path_buf(),
        source,
    };
    let io = |source| LedgerError::Io {
        path: path.to_path_buf(),
        source,
    };
    let _ = std::fs::remove_file(&temp);
    let built = (|| {
        let conn = Connection::open(&temp).map_err(sql)?;
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(sql)?;
        let tx = conn.unchecked_transaction().map_err(sql)?;
        migrate(&tx, 0).map_err(sql)?;
        tx.commit().map_err(sql)?;
        drop(conn);
        std::fs::File::open(&temp)
            .and_then(|f| f.sync_all())
            .map_err(io)
    })();
    let linked = built.and_then(|()| match std::fs::hard_link(&temp, path) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(io(e)),
    });
    let _ = std::fs::remove_file(&temp);
    linked?;
    std::fs::File::open(&dir)
        .and_then(|d| d.sync_all())
        .map_err(io)
}

impl Ledger {
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn sql(&self) -> impl Fn(rusqlite::Error) -> LedgerError + '_ {
        |source| LedgerError::Sqlite {
            path: self.path.clone(),
            source,
        }
    }

    /// Opens an existing ledger for reading; never creates the file. A ledger left by a
    /// killed close is rolled back to before it on opening.
    pub fn open_existing(path: &Path) -> Result<Ledger, LedgerError> {
        match std::fs::metadata(path) {
            Err(_) => return Err(LedgerError::Missing(path.to_path_buf())),
            Ok(m) => refuse_unusable(path, &m)?,
        }
        let sql = |source| LedgerError::Sqlite {
            path: path.to_path_buf(),
            source,
        };
        // Read-write without create: a hot journal can only be rolled back by a writer.
        let rw = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let ro = OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, rw)
            .or_else(|_| Connection::open_with_flags(path, ro))
            .map_err(sql)?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(sql)?;
        let mut ledger = Ledger {
            conn,
            path: path.to_path_buf(),
            version: 0,
        };
        ledger.version = ledger.check_header()?;
        if ledger.version != 0 && ledger.version < schema::VERSION {
            return Err(LedgerError::Older {
                path: path.to_path_buf(),
                found: ledger.version,
                supported: schema::VERSION,
            });
        }
        Ok(ledger)
    }

    /// Opens the ledger for a close, creating the file and its tables when there is none
    /// and migrating an older schema.
    pub fn open_for_close(path: &Path) -> Result<Ledger, LedgerError> {
        match std::fs::metadata(path) {
            Ok(m) => refuse_unusable(path, &m)?,
            Err(_) => create_new(path)?,
        }
        let sql = |source| LedgerError::Sqlite {
            path: path.to_path_buf(),
            source,
        };
        // Never creates the file: an empty one at this path is refused above, and a new
        // ledger appears whole (create_new).
        let rw = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, rw).map_err(sql)?;
        conn.busy_timeout(BUSY_TIMEOUT).map_err(sql)?;
        let mut ledger = Ledger {
            conn,
            path: path.to_path_buf(),
            version: 0,
        };
        ledger.check_header()?;
        // Every commit is on disk before the close reports success.
        ledger
            .conn
            .pragma_update(None, "synchronous", "FULL")
            .map_err(sql)?;
        let tx = ledger
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(sql)?;
        // Read again under the write lock: another close may have created the tables.
        let found: i64 = tx
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(sql)?;
        if found > schema::VERSION {
            return Err(LedgerError::Newer {
                path: path.to_path_buf(),
                found,
                supported: schema::VERSION,
            });
        }
        migrate(&tx, found).map_err(sql)?;
        tx.commit().map_err(sql)?;
        ledger.version = schema::VERSION;
        Ok(ledger)
    }

    /// The schema version, after checking the file is a ledger this version can read.
    fn check_header(&self) -> Result<i64, LedgerError> {
        // One read transaction: a close creating the tables meanwhile is seen whole or not
        // at all.
        let snapshot = self.conn.unchecked_transaction().map_err(self.sql())?;
        let version = self.read_header()?;
        snapshot.commit().map_err(self.sql())?;
        Ok(version)
    }

    fn read_header(&self) -> Result<i64, LedgerError> {
        let path = || self.path.clone();
        let header = |pragma: &str| -> Result<i64, LedgerError> {
            self.conn
                .pragma_query_value(None, pragma, |r| r.get(0))
                .map_err(|source| match source.sqlite_error_code() {
                    Some(rusqlite::ErrorCode::NotADatabase) => LedgerError::Foreign {
                        path: path(),
                        why: "not an SQLite database".into(),
                    },
                    _ => LedgerError::Sqlite {
                        path: path(),
                        source,
                    },
                })
        };
        let version = header("user_version")?;
        let app = header("application_id")?;
        if app != schema::APPLICATION_ID && !(app == 0 && version == 0) {
            return Err(LedgerError::Foreign {
                path: path(),
                why: format!("an SQLite database of another application (application_id {app})"),
            });
        }
        if version > schema::VERSION {
            return Err(LedgerError::Newer {
                path: path(),
                found: version,
                supported: schema::VERSION,
            });
        }
        if version == 0 {
            let tables: i64 = self
                .conn
                .query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))
                .map_err(self.sql())?;
            if tables > 0 {
                return Err(LedgerError::Foreign {
                    path: path(),
                    why: "an SQLite database with other tables".into(),
                });
            }
        }
        Ok(version)
    }

    fn parse_money(&self, what: &str, value: String) -> Result<Money, LedgerError> {
        rust_decimal::Decimal::from_str(&value)
            .ok()
            .filter(|d| d.scale() <= 2)
            .map(Money::new)
            .ok_or_else(|| LedgerError::BadAmount {
                path: self.path.clone(),
                what: what.to_string(),
                value,
            })
    }

    /// Every close and reopen, oldest first.
    pub fn closes(&self) -> Result<Vec<CloseRecord>, LedgerError> {
        if self.version == 0 {
            return Ok(Vec::new());
        }
        let mut stmt = self
            .conn
            .prepare(
                "SELECT id, period, action, closed_at, as_of, tool_version, book_name,
                        book_sha256, note, reason, replaces, lines_sha256, prev_sha256,
                        close_sha256
                 FROM closes ORDER BY id",
            )
            .map_err(self.sql())?;
        let rows = stmt
            .query_map([], |r| {
                Ok(CloseRecord {
                    id: r.get(0)?,
                    period: r.get(1)?,
                    action: r.get(2)?,
                    closed_at: r.get(3)?,
                    as_of: r.get(4)?,
                    tool_version: r.get(5)?,
                    book_name: r.get(6)?,
                    book_sha256: r.get(7)?,
                    note: r.get(8)?,
                    reason: r.get(9)?,
                    replaces: r.get(10)?,
                    lines_sha256: r.get(11)?,
                    prev_sha256: r.get(12)?,
                    close_sha256: r.get(13)?,
                })
            })
            .map_err(self.sql())?;
        rows.collect::<Result<_, _>>().map_err(self.sql())
    }

    /// The issued lines a close recorded (`reversals`: its reversal of the close it
    /// replaced, instead of its own lines).
    pub fn lines(&self, close_id: i64, reversals: bool) -> Result<Vec<IssuedLine>, LedgerError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT partner_id, partner_name, program, period, kind, amount, basis
                 FROM issued_lines WHERE close_id = ?1 AND reversal = ?2 ORDER BY id",
            )
            .map_err(self.sql())?;
        let rows: Vec<(IssuedLine, String)> = stmt
            .query_map((close_id, reversals as i64), |r| {
                Ok((
                    IssuedLine {
                        partner_id: r.get(0)?,
                        partner_name: r.get(1)?,
                        program: r.get(2)?,
                        period: r.get(3)?,
                        kind: r.get(4)?,
                        amount: Money::ZERO,
                        basis: r.get(6)?,
                    },
                    r.get::<_, String>(5)?,
                ))
            })
            .map_err(self.sql())?
            .collect::<Result<_, _>>()
            .map_err(self.sql())?;
        rows.into_iter()
            .map(|(mut line, a)| {
                line.amount = self.parse_money("an issued amount", a)?;
                Ok(line)
            })
            .collect()
    }

    /// Every closed period as it stands: its latest close and that close's lines.
    pub fn closed(&self) -> Result<BTreeMap<String, Closed>, LedgerError> {
        let mut latest: BTreeMap<String, CloseRecord> = BTreeMap::new();
        for c in self.closes()? {
            latest.insert(c.period.clone(), c);
        }
        latest
            .into_iter()
            .map(|(period, close)| {
                let lines = self.lines(close.id, false)?;
                Ok((period, Closed { close, lines }))
            })
            .collect()
    }

    /// What the closed months issued, as the programs read it: every recorded change of a
    /// seller's affiliate credit, net of reversals. `months` are the program's month labels.
    pub fn issued(&self, months: &[String]) -> Result<Issued, LedgerError> {
        let mut issued = Issued::default();
        if self.version == 0 {
            return Ok(issued);
        }
        for c in self.closes()? {
            if months.contains(&c.period) {
                issued.closed_months.insert(c.period);
            }
        }
        let mut stmt = self
            .conn
            .prepare(
                "SELECT partner_id, month, seller_id, amount FROM affiliate_sellers ORDER BY id",
            )
            .map_err(self.sql())?;
        let rows: Vec<(String, String, String, String)> = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .map_err(self.sql())?
            .collect::<Result<_, _>>()
            .map_err(self.sql())?;
        for (partner, month, seller, a) in rows {
            let a = self.parse_money("an affiliate seller amount", a)?;
            *issued
                .affiliate
                .entry((partner, month))
                .or_default()
                .entry(seller)
                .or_default() += a;
        }
        // A seller whose changes net to zero was issued nothing.
        for sellers in issued.affiliate.values_mut() {
            sellers.retain(|_, a| !a.is_zero());
        }
        Ok(issued)
    }

    /// The partners' affiliate true-ups a close recorded.
    pub fn balances(&self, close_id: i64) -> Result<Vec<Balance>, LedgerError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT partner_id, month, entitlement, issued_before, issued, over_issued
                 FROM affiliate_balances WHERE close_id = ?1 ORDER BY id",
            )
            .map_err(self.sql())?;
        let rows: Vec<[String; 6]> = stmt
            .query_map([close_id], |r| {
                Ok([
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                ])
            })
            .map_err(self.sql())?
            .collect::<Result<_, _>>()
            .map_err(self.sql())?;
        rows.into_iter()
            .map(|[partner_id, month, e, b, i, o]| {
                Ok(Balance {
                    partner_id,
                    month,
                    entitlement: self.parse_money("an entitlement", e)?,
                    issued_before: self.parse_money("an issued-before amount", b)?,
                    issued: self.parse_money("an issued amount", i)?,
                    over_issued: self.parse_money("an over-issued amount", o)?,
                })
            })
            .collect()
    }

    /// The inputs a close read.
    pub fn inputs(&self, close_id: i64) -> Result<Vec<InputFact>, LedgerError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT file, present, sha256, rows_read, rows_used, rows_outside,
                        rows_unmatched, rows_rejected, gmv_read, gmv_used, gmv_outside,
                        gmv_unmatched, gmv_rejected
                 FROM close_inputs WHERE close_id = ?1 ORDER BY id",
            )
            .map_err(self.sql())?;
        type Raw = (String, bool, Option<String>, [i64; 5], [String; 5]);
        let rows: Vec<Raw> = stmt
            .query_map([close_id], |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    [r.get(3)?, r.get(4)?, r.get(5)?, r.get(6)?, r.get(7)?],
                    [r.get(8)?, r.get(9)?, r.get(10)?, r.get(11)?, r.get(12)?],
                ))
            })
            .map_err(self.sql())?
            .collect::<Result<_, _>>()
            .map_err(self.sql())?;
        rows.into_iter()
            .map(|(file, present, sha256, rows, gmv)| {
                let mut g = [Money::ZERO; 5];
                for (slot, v) in g.iter_mut().zip(gmv) {
                    *slot = self.parse_money("a reconciled GMV", v)?;
                }
                Ok(InputFact {
                    file,
                    present,
                    sha256,
                    rows: rows.map(|n| n.max(0) as u64),
                    gmv: g,
                })
            })
            .collect()
    }

    /// The statement files a close wrote, by relative path.
    pub fn files(&self, close_id: i64) -> Result<Vec<(String, Vec<u8>)>, LedgerError> {
        let mut stmt = self
            .conn
            .prepare("SELECT path, content FROM statement_files WHERE close_id = ?1 ORDER BY id")
            .map_err(self.sql())?;
        let rows = stmt
            .query_map([close_id], |r| Ok((r.get(0)?, r.get(1)?)))
            .map_err(self.sql())?;
        rows.collect::<Result<_, _>>().map_err(self.sql())
    }

    /// Records a close, or with `new.reason` a reopen of the period's latest close, in one
    /// transaction. The period is checked under the write lock, so of two closes of one
    /// period at once exactly one is recorded.
    pub fn record(&mut self, new: &NewClose, closed_at: &str) -> Result<CloseRecord, LedgerError> {
        let path = self.path.clone();
        let sql = |source| LedgerError::Sqlite {
            path: path.clone(),
            source,
        };
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(sql)?;
        let latest: Option<(i64, String, String)> = tx
            .query_row(
                "SELECT id, closed_at, as_of FROM closes WHERE period = ?1 ORDER BY id DESC LIMIT 1",
                [&new.period],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .map(Some)
            .or_else(|e| match e {
                rusqlite::Error::QueryReturnedNoRows => Ok(None),
                e => Err(e),
            })
            .map_err(sql)?;
        let replaces = match (&latest, &new.reason) {
            (Some((id, closed_at, as_of)), None) => {
                return Err(LedgerError::AlreadyClosed {
                    period: new.period.clone(),
                    id: *id,
                    closed_at: closed_at.clone(),
                    as_of: as_of.clone(),
                })
            }
            (None, Some(_)) => {
                return Err(LedgerError::NotClosed {
                    period: new.period.clone(),
                    path: self.path.clone(),
                })
            }
            (Some((id, ..)), Some(_)) => Some(*id),
            (None, None) => None,
        };
        let (id, prev): (i64, String) = tx
            .query_row(
                "SELECT coalesce(max(id), 0) + 1,
                        coalesce((SELECT close_sha256 FROM closes ORDER BY id DESC LIMIT 1), ?1)
                 FROM closes",
                [GENESIS],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .map_err(sql)?;
        // The rows first (each with its hash), then the close that covers them.
        let mut rows: BTreeMap<&str, Vec<Vec<Value>>> = BTreeMap::new();
        let push = |rows: &mut BTreeMap<&str, Vec<Vec<Value>>>, table, values| {
            rows.entry(table).or_default().push(values);
        };
        for f in &new.inputs {
            let mut v = vec![
                Value::Integer(id),
                text(&f.file),
                Value::Integer(f.present as i64),
                opt_text(&f.sha256),
            ];
            v.extend(f.rows.iter().map(|n| Value::Integer(*n as i64)));
            v.extend(f.gmv.iter().map(|m| amount(*m)));
            push(&mut rows, "close_inputs", v);
        }
        if let Some(old) = replaces {
            // A reopen first takes back what the replaced close issued.
            for l in self_lines(&tx, old).map_err(sql)? {
                push(&mut rows, "issued_lines", l.reversed(id));
            }
            for s in self_sellers(&tx, old).map_err(sql)? {
                push(&mut rows, "affiliate_sellers", s.reversed(id));
            }
        }
        for l in &new.lines {
            push(
                &mut rows,
                "issued_lines",
                vec![
                    Value::Integer(id),
                    Value::Integer(0),
                    text(&l.partner_id),
                    text(&l.partner_name),
                    text(&l.program),
                    text(&l.period),
                    text(&l.kind),
                    amount(l.amount),
                    text(&l.basis),
                ],
            );
        }
        for s in &new.sellers {
            push(
                &mut rows,
                "affiliate_sellers",
                vec![
                    Value::Integer(id),
                    Value::Integer(0),
                    text(&s.partner_id),
                    text(&s.seller_id),
                    text(&s.month),
                    amount(s.amount),
                ],
            );
        }
        for b in &new.balances {
            push(
                &mut rows,
                "affiliate_balances",
                vec![
                    Value::Integer(id),
                    text(&b.partner_id),
                    text(&b.month),
                    amount(b.entitlement),
                    amount(b.issued_before),
                    amount(b.issued),
                    amount(b.over_issued),
                ],
            );
        }
        for (p, content) in &new.files {
            push(
                &mut rows,
                "statement_files",
                vec![Value::Integer(id), text(p), Value::Blob(content.clone())],
            );
        }
        // Every row's hash first: the close covers them, and its row goes in before
        // theirs (they refer to it).
        let mut row_hashes = Vec::new();
        let mut hashed: Vec<(&str, Vec<Value>)> = Vec::new();
        for table in schema::CLOSE_TABLES {
            for mut values in rows.remove(table).unwrap_or_default() {
                let hash = digest(std::iter::once(&text(table)).chain(values.iter()));
                row_hashes.push(text(&hash));
                values.push(text(&hash));
                hashed.push((table, values));
            }
        }
        let record = CloseRecord {
            id,
            period: new.period.clone(),
            action: if replaces.is_some() {
                "reopen"
            } else {
                "close"
            }
            .to_string(),
            closed_at: closed_at.to_string(),
            as_of: new.as_of.clone(),
            tool_version: new.tool_version.clone(),
            book_name: new.book_name.clone(),
            book_sha256: new.book_sha256.clone(),
            note: new.note.clone(),
            reason: new.reason.clone(),
            replaces,
            lines_sha256: digest(&row_hashes),
            prev_sha256: prev,
            close_sha256: String::new(),
        };
        let values = record.values();
        let close_sha256 = digest(&values);
        tx.execute(
            &format!(
                "INSERT INTO closes ({}, close_sha256) VALUES ({})",
                CLOSE_COLUMNS.join(", "),
                vec!["?"; CLOSE_COLUMNS.len() + 1].join(", ")
            ),
            params_from_iter(values.iter().chain(std::iter::once(&text(&close_sha256)))),
        )
        .map_err(sql)?;
        pause();
        for (table, values) in hashed {
            let cols = columns(table);
            let mut stmt = tx
                .prepare_cached(&format!(
                    "INSERT INTO {table} ({}, row_sha256) VALUES ({})",
                    cols.join(", "),
                    vec!["?"; cols.len() + 1].join(", ")
                ))
                .map_err(sql)?;
            stmt.execute(params_from_iter(values.iter())).map_err(sql)?;
            pause();
        }
        tx.commit().map_err(sql)?;
        Ok(CloseRecord {
            close_sha256,
            ..record
        })
    }

    /// Checks the file (SQLite's integrity check) and every close against its hashes: a
    /// row changed, added or removed after its close, a close record changed, or a broken
    /// chain is named. No problem: an empty list.
    pub fn verify(&self) -> Result<Vec<String>, LedgerError> {
        let mut problems = Vec::new();
        let mut stmt = self
            .conn
            .prepare("PRAGMA integrity_check")
            .map_err(self.sql())?;
        let checks: Vec<String> = stmt
            .query_map([], |r| r.get(0))
            .map_err(self.sql())?
            .collect::<Result<_, _>>()
            .map_err(self.sql())?;
        if checks != ["ok"] {
            problems.extend(checks.into_iter().map(|c| format!("integrity check: {c}")));
            return Ok(problems);
        }
        if self.version == 0 {
            problems
                .push("holds no ledger tables: an SQLite file no close has written to".to_string());
            return Ok(problems);
        }
        let closes = self.closes()?;
        let mut hashes: BTreeMap<i64, Vec<Value>> = BTreeMap::new();
        for table in schema::CLOSE_TABLES {
            let cols = columns(table);
            let mut stmt = self
                .conn
                .prepare(&format!(
                    "SELECT id, row_sha256, {} FROM {table} ORDER BY id",
                    cols.join(", ")
                ))
                .map_err(self.sql())?;
            let mut rows = stmt.query([]).map_err(self.sql())?;
            while let Some(r) = rows.next().map_err(self.sql())? {
                let id: i64 = r.get(0).map_err(self.sql())?;
                let stored: String = r.get(1).map_err(self.sql())?;
                let values: Vec<Value> = (0..cols.len())
                    .map(|i| r.get::<_, Value>(i + 2))
                    .collect::<Result<_, _>>()
                    .map_err(self.sql())?;
                let close_id = match values[0] {
                    Value::Integer(c) => c,
                    _ => -1,
                };
                if digest(std::iter::once(&text(table)).chain(values.iter())) != stored {
                    problems.push(format!(
                        "{table} row {id} (close #{close_id}{}) was changed after its close",
                        describe_row(table, cols, &values)
                    ));
                }
                hashes.entry(close_id).or_default().push(text(&stored));
            }
        }
        let mut prev = GENESIS.to_string();
        for c in &closes {
            let rows = hashes.remove(&c.id).unwrap_or_default();
            if digest(&rows) != c.lines_sha256 {
                problems.push(format!(
                    "close #{} ({}): its rows do not match the close's sha256 (a row was added, removed or moved)",
                    c.id, c.period
                ));
            }
            if digest(&c.values()) != c.close_sha256 {
                problems.push(format!(
                    "close #{} ({}): the close record was changed after it was made",
                    c.id, c.period
                ));
            }
            if c.prev_sha256 != prev {
                problems.push(format!(
                    "close #{} ({}): the chain is broken (the close before it was changed or removed)",
                    c.id, c.period
                ));
            }
            prev = c.close_sha256.clone();
        }
        for (close_id, rows) in hashes {
            problems.push(format!(
                "{} row(s) belong to close #{close_id}, which the ledger does not hold",
                rows.len()
            ));
        }
        Ok(problems)
    }

    /// Every table with its rows, for export: BLOBs as UTF-8 text, NULL as empty.
    pub fn export(&self) -> Result<Vec<ExportTable>, LedgerError> {
        let mut out = Vec::new();
        if self.version == 0 {
            return Ok(out);
        }
        for table in std::iter::once("closes").chain(schema::CLOSE_TABLES) {
            let mut stmt = self
                .conn
                .prepare(&format!("SELECT * FROM {table} ORDER BY id"))
                .map_err(self.sql())?;
            let columns: Vec<String> = stmt.column_names().iter().map(|c| c.to_string()).collect();
            let figures: Vec<bool> = columns.iter().map(|c| is_figure(c)).collect();
            let mut rows_out = Vec::new();
            let mut rows = stmt.query([]).map_err(self.sql())?;
            while let Some(r) = rows.next().map_err(self.sql())? {
                let cells: Vec<(String, bool)> = (0..columns.len())
                    .map(|i| {
                        r.get::<_, Value>(i).map(|v| {
                            let (text, number) = match v {
                                Value::Null => (String::new(), false),
                                Value::Integer(i) => (i.to_string(), true),
                                Value::Real(f) => (f.to_string(), true),
                                Value::Text(t) => (t, false),
                                Value::Blob(b) => (String::from_utf8_lossy(&b).into_owned(), false),
                            };
                            (text, number || figures[i])
                        })
                    })
                    .collect::<Result<_, _>>()
                    .map_err(self.sql())?;
                rows_out.push(cells);
            }
            out.push(ExportTable {
                name: table.to_string(),
                columns,
                rows: rows_out,
            });
        }
        Ok(out)
    }
}

/// A table as exported: each cell with whether it is a figure (a number or an amount).
pub struct ExportTable {
    pub name: String,
    pub columns: Vec<String>,
    pub rows: Vec<Vec<(String, bool)>>,
}

/// Columns holding amounts as decimal text.
fn is_figure(column: &str) -> bool {
    matches!(
        column,
        "amount" | "entitlement" | "issued_before" | "issued" | "over_issued"
    ) || column.starts_with("gmv_")
}

impl CloseRecord {
    /// The fields its hash covers, as stored.
    fn values(&self) -> Vec<Value> {
        vec![
            Value::Integer(self.id),
            text(&self.period),
            text(&self.action),
            text(&self.closed_at),
            text(&self.as_of),
            text(&self.tool_version),
            text(&self.book_name),
            text(&self.book_sha256),
            opt_text(&self.note),
            opt_text(&self.reason),
            self.replaces.map_or(Value::Null, Value::Integer),
            text(&self.lines_sha256),
            text(&self.prev_sha256),
        ]
    }
}

/// A row of a close as stored, for its reversal.
struct StoredRow(Vec<Value>);

impl StoredRow {
    /// The same row negated, as a reversal recorded by close `close_id`. `amount_at` is
    /// the index of the amount among the values.
    fn reversed_at(&self, close_id: i64, amount_at: usize) -> Vec<Value> {
        let mut v = self.0.clone();
        v[0] = Value::Integer(close_id);
        v[1] = Value::Integer(1);
        if let Value::Text(a) = &v[amount_at] {
            let negated = rust_decimal::Decimal::from_str(a)
                .map(|d| Money::new(-d).plain())
                .unwrap_or_else(|_| a.clone());
            v[amount_at] = Value::Text(negated);
        }
        v
    }
}

struct LineRow(StoredRow);
struct SellerRow(StoredRow);

impl LineRow {
    fn reversed(&self, close_id: i64) -> Vec<Value> {
        self.0.reversed_at(close_id, 7)
    }
}

impl SellerRow {
    fn reversed(&self, close_id: i64) -> Vec<Value> {
        self.0.reversed_at(close_id, 5)
    }
}

fn stored_rows(
    tx: &rusqlite::Transaction,
    table: &str,
    close_id: i64,
) -> rusqlite::Result<Vec<StoredRow>> {
    let cols = columns(table);
    let mut stmt = tx.prepare(&format!(
        "SELECT {} FROM {table} WHERE close_id = ?1 AND reversal = 0 ORDER BY id",
        cols.join(", ")
    ))?;
    let rows = stmt.query_map([close_id], |r| {
        (0..cols.len())
            .map(|i| r.get::<_, Value>(i))
            .collect::<Result<Vec<_>, _>>()
            .map(StoredRow)
    })?;
    rows.collect()
}

fn self_lines(tx: &rusqlite::Transaction, close_id: i64) -> rusqlite::Result<Vec<LineRow>> {
    Ok(stored_rows(tx, "issued_lines", close_id)?
        .into_iter()
        .map(LineRow)
        .collect())
}

fn self_sellers(tx: &rusqlite::Transaction, close_id: i64) -> rusqlite::Result<Vec<SellerRow>> {
    Ok(stored_rows(tx, "affiliate_sellers", close_id)?
        .into_iter()
        .map(SellerRow)
        .collect())
}

/// `: P1 affiliate_credits 2025-11` — the identifying fields of a row, for `verify`.
fn describe_row(table: &str, cols: &[&str], values: &[Value]) -> String {
    let wanted: &[&str] = match table {
        "issued_lines" => &["partner_id", "program", "period", "amount"],
        "affiliate_sellers" => &["partner_id", "seller_id", "month", "amount"],
        "affiliate_balances" => &["partner_id", "month"],
        "statement_files" => &["path"],
        "close_inputs" => &["file"],
        _ => &[],
    };
    let parts: Vec<String> = wanted
        .iter()
        .filter_map(|w| cols.iter().position(|c| c == w))
        .filter_map(|i| match &values[i] {
            Value::Text(t) => Some(crate::report::escape::shown(t).into_owned()),
            _ => None,
        })
        .collect();
    if parts.is_empty() {
        String::new()
    } else {
        format!(": {}", parts.join(" "))
    }
}

/// The ledger a command uses: `--ledger FILE`, else `TSP_PAYOUT_LEDGER`, else
/// `tsp-payout.ledger` in the current directory, with where the choice came from.
pub fn resolve(flag: Option<&Path>) -> (PathBuf, Source) {
    if let Some(p) = flag {
        return (p.to_path_buf(), Source::Flag);
    }
    match std::env::var_os(ENV).filter(|v| !v.is_empty()) {
        Some(v) => (PathBuf::from(v), Source::Env),
        None => (PathBuf::from(DEFAULT_FILE), Source::Default),
    }
}

/// Where the ledger's path came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source {
    Flag,
    Env,
    Default,
}

/// Now, UTC, to the second: when a close was made.
pub fn now_utc() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64);
    chrono::DateTime::from_timestamp(secs, 0).map_or_else(
        || "unknown".to_string(),
        |t| t.format("%Y-%m-%dT%H:%M:%SZ").to_string(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new_close(period: &str, amount: i64) -> NewClose {
        NewClose {
            period: period.into(),
            as_of: "2025-12-31".into(),
            tool_version: "test".into(),
            book_name: "book".into(),
            book_sha256: "abc".into(),
            lines: vec![IssuedLine {
                partner_id: "P1".into(),
                partner_name: String::new(),
                program: "affiliate_credits".into(),
                period: period.into(),
                kind: "ad_credit".into(),
                amount: Money::dollars(amount),
                basis: "b".into(),
            }],
            sellers: vec![SellerIssue {
                partner_id: "P1".into(),
                seller_id: "S1".into(),
                month: period.into(),
                amount: Money::dollars(amount),
            }],
            ..NewClose::default()
        }
    }

    #[test]
    fn a_reopen_reverses_the_earlier_lines_and_the_chain_verifies() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("l.ledger");
        let mut l = Ledger::open_for_close(&path).unwrap();
        l.record(&new_close("2025-10", 1000), "t1").unwrap();
        let again = l.record(&new_close("2025-10", 5), "t2").unwrap_err();
        assert!(
            matches!(again, LedgerError::AlreadyClosed { id: 1, .. }),
            "{again}"
        );
        let mut reopen = new_close("2025-10", 250);
        reopen.reason = Some("restated".into());
        let r = l.record(&reopen, "t3").unwrap();
        assert_eq!((r.id, r.replaces), (2, Some(1)));
        assert_eq!(l.lines(2, true).unwrap()[0].amount, Money::dollars(-1000));
        let closed = l.closed().unwrap();
        assert_eq!(closed["2025-10"].lines[0].amount, Money::dollars(250));
        let issued = l.issued(&["2025-10".into()]).unwrap();
        assert_eq!(
            issued.affiliate[&("P1".to_string(), "2025-10".to_string())]["S1"],
            Money::dollars(250)
        );
        assert_eq!(l.verify().unwrap(), Vec::<String>::new());
    }
}
