//! The ledger's tables, its schema version (`PRAGMA user_version`) and the migrations that
//! bring an older ledger up to it. Amounts are decimal TEXT, never REAL: a ledger holds
//! exactly the figures that were issued.

/// The schema this version writes and reads.
pub const VERSION: i64 = 1;

/// `PRAGMA application_id` of a ledger ("TSPP"): tells a ledger from any other SQLite file.
pub const APPLICATION_ID: i64 = 0x5453_5050;

/// `MIGRATIONS[i]` takes a ledger from version `i` to `i + 1` (version 0 is an empty file).
pub const MIGRATIONS: &[&str] = &[V1];

/// The tables every row of a close lands in, in the order a close's hash covers them.
pub const CLOSE_TABLES: [&str; 5] = [
    "close_inputs",
    "issued_lines",
    "affiliate_sellers",
    "affiliate_balances",
    "statement_files",
];

const V1: &str = r#"
CREATE TABLE closes (
    id            INTEGER PRIMARY KEY,
    period        TEXT NOT NULL,
    action        TEXT NOT NULL CHECK (action IN ('close', 'reopen')),
    closed_at     TEXT NOT NULL,
    as_of         TEXT NOT NULL,
    tool_version  TEXT NOT NULL,
    book_name     TEXT NOT NULL,
    book_sha256   TEXT NOT NULL,
    note          TEXT,
    reason        TEXT,
    replaces      INTEGER REFERENCES closes (id),
    lines_sha256  TEXT NOT NULL,
    prev_sha256   TEXT NOT NULL,
    close_sha256  TEXT NOT NULL
);
CREATE TABLE close_inputs (
    id              INTEGER PRIMARY KEY,
    close_id        INTEGER NOT NULL REFERENCES closes (id),
    file            TEXT NOT NULL,
    present         INTEGER NOT NULL,
    sha256          TEXT,
    rows_read       INTEGER NOT NULL,
    rows_used       INTEGER NOT NULL,
    rows_outside    INTEGER NOT NULL,
    rows_unmatched  INTEGER NOT NULL,
    rows_rejected   INTEGER NOT NULL,
    gmv_read        TEXT NOT NULL CHECK (typeof(gmv_read) = 'text'),
    gmv_used        TEXT NOT NULL CHECK (typeof(gmv_used) = 'text'),
    gmv_outside     TEXT NOT NULL CHECK (typeof(gmv_outside) = 'text'),
    gmv_unmatched   TEXT NOT NULL CHECK (typeof(gmv_unmatched) = 'text'),
    gmv_rejected    TEXT NOT NULL CHECK (typeof(gmv_rejected) = 'text'),
    row_sha256      TEXT NOT NULL
);
CREATE TABLE issued_lines (
    id            INTEGER PRIMARY KEY,
    close_id      INTEGER NOT NULL REFERENCES closes (id),
    reversal      INTEGER NOT NULL CHECK (reversal IN (0, 1)),
    partner_id    TEXT NOT NULL,
    partner_name  TEXT NOT NULL,
    program       TEXT NOT NULL,
    period        TEXT NOT NULL,
    kind          TEXT NOT NULL CHECK (kind IN ('cash', 'ad_credit')),
    amount        TEXT NOT NULL CHECK (typeof(amount) = 'text'),
    basis         TEXT NOT NULL,
    row_sha256    TEXT NOT NULL
);
CREATE TABLE affiliate_sellers (
    id          INTEGER PRIMARY KEY,
    close_id    INTEGER NOT NULL REFERENCES closes (id),
    reversal    INTEGER NOT NULL CHECK (reversal IN (0, 1)),
    partner_id  TEXT NOT NULL,
    seller_id   TEXT NOT NULL,
    month       TEXT NOT NULL,
    amount      TEXT NOT NULL CHECK (typeof(amount) = 'text'),
    row_sha256  TEXT NOT NULL
);
CREATE TABLE affiliate_balances (
    id             INTEGER PRIMARY KEY,
    close_id       INTEGER NOT NULL REFERENCES closes (id),
    partner_id     TEXT NOT NULL,
    month          TEXT NOT NULL,
    entitlement    TEXT NOT NULL CHECK (typeof(entitlement) = 'text'),
    issued_before  TEXT NOT NULL CHECK (typeof(issued_before) = 'text'),
    issued         TEXT NOT NULL CHECK (typeof(issued) = 'text'),
    over_issued    TEXT NOT NULL CHECK (typeof(over_issued) = 'text'),
    row_sha256     TEXT NOT NULL
);
CREATE TABLE statement_files (
    id          INTEGER PRIMARY KEY,
    close_id    INTEGER NOT NULL REFERENCES closes (id),
    path        TEXT NOT NULL,
    content     BLOB NOT NULL,
    row_sha256  TEXT NOT NULL
);
CREATE INDEX closes_period ON closes (period, id);
CREATE INDEX issued_lines_close ON issued_lines (close_id);
CREATE INDEX affiliate_sellers_close ON affiliate_sellers (close_id);
CREATE INDEX affiliate_balances_close ON affiliate_balances (close_id);
CREATE INDEX statement_files_close ON statement_files (close_id);
CREATE INDEX close_inputs_close ON close_inputs (close_id);
"#;
