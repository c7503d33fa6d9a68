//! Why a file's header could not be read, when its first bytes tell: a UTF-16 file, a
//! Windows-1252 file, cells separated by semicolons or tabs. Each is a spreadsheet saved in
//! the wrong format, so the message says how to save it. Only a header that already failed
//! is looked at, and only a text file (`.csv`).

use super::error::DataError;
use std::path::Path;

/// How to save a spreadsheet as the CSV the tool reads.
const RESAVE: &str = "save it as \"CSV UTF-8 (comma delimited)\"";
/// Start of the reason of a cell that is not UTF-8 but reads as Windows-1252.
pub(crate) const NOT_UTF8_CP1252: &str = "is not valid UTF-8 (as Windows-1252 it reads";
/// The hint under a group of such cells.
pub(crate) const RESAVE_CP1252: &str = "the file looks like Windows-1252 text, not UTF-8: \
     save it as \"CSV UTF-8 (comma delimited)\"";

/// How much of the file is looked at: far more than any header.
const HEAD_BYTES: usize = 16 << 10;

/// `error` (a header problem of the file at `path`), or a clearer one when the file's
/// first bytes show it is UTF-16, Windows-1252 or not comma-separated.
pub(crate) fn explain_header(path: &Path, error: DataError) -> DataError {
    if !path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("csv"))
    {
        return error;
    }
    match head(path).as_deref().and_then(diagnose) {
        // The cell that is not UTF-8 is worth naming too.
        Some(Diagnosis::Cp1252(reason)) => {
            let reason = format!("{}; {reason}", error.describe());
            DataError::row(error.file, error.line, reason)
        }
        Some(Diagnosis::Format(reason)) => DataError::row(error.file, error.line, reason),
        None => error,
    }
}

/// What the first bytes tell.
#[derive(Debug, PartialEq, Eq)]
enum Diagnosis {
    /// Not a comma-separated UTF-8 file at all: the header's own problem says nothing more.
    Format(String),
    /// UTF-8 except for some bytes, which read as Windows-1252.
    Cp1252(String),
}

impl Diagnosis {
    #[cfg(test)]
    fn text(self) -> String {
        match self {
            Diagnosis::Format(s) | Diagnosis::Cp1252(s) => s,
        }
    }
}

fn head(path: &Path) -> Option<Vec<u8>> {
    use std::io::Read;
    let file = super::reader::open_regular(path, "head").ok()?;
    let mut buf = Vec::with_capacity(HEAD_BYTES);
    file.take(HEAD_BYTES as u64).read_to_end(&mut buf).ok()?;
    Some(buf)
}

/// What is wrong with a file that starts with `head`, if it is one of the known cases.
fn diagnose(head: &[u8]) -> Option<Diagnosis> {
    if let Some(which) = utf16(head) {
        return Some(Diagnosis::Format(format!(
            "the file is UTF-16 text ({which}), not UTF-8: {RESAVE}"
        )));
    }
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    let start = head
        .iter()
        .position(|b| !b" \t\r\n".contains(b))
        .unwrap_or(head.len());
    let line = &head[start..];
    let line = &line[..memchr::memchr2(b'\n', b'\r', line).unwrap_or(line.len())];
    let text = match std::str::from_utf8(line) {
        Ok(text) => std::borrow::Cow::Borrowed(text),
        // Cut inside a character at the end of what was read: the rest is UTF-8.
        Err(e) if e.error_len().is_none() => String::from_utf8_lossy(&line[..e.valid_up_to()]),
        Err(_) => {
            let decoded = cp1252(line)?;
            return Some(Diagnosis::Cp1252(format!(
                "the file looks like Windows-1252 text, not UTF-8 (its header reads {:?}): \
                 {RESAVE}",
                cut(&decoded, 60)
            )));
        }
    };
    let count = |c: char| text.matches(c).count();
    let commas = count(',');
    let (name, sep, n) = [
        ("semicolons (;)", ';', count(';')),
        ("tabs", '\t', count('\t')),
    ]
    .into_iter()
    .max_by_key(|(_, _, n)| *n)?;
    if n == 0 || n <= commas {
        return None;
    }
    let names: Vec<&str> = text.split(sep).map(str::trim).take(4).collect();
    Some(Diagnosis::Format(format!(
        "the header's cells are separated by {name}, not commas (it reads {}{}): {RESAVE}",
        names.join(", "),
        if n >= 4 { ", …" } else { "" }
    )))
}

/// `Some(which)` when `head` is UTF-16: a byte-order mark, or text where every other byte
/// is zero (ASCII in UTF-16 without a mark).
fn utf16(head: &[u8]) -> Option<&'static str> {
    if head.starts_with(b"\xFF\xFE") {
        return Some("little-endian, with a byte-order mark");
    }
    if head.starts_with(b"\xFE\xFF") {
        return Some("big-endian, with a byte-order mark");
    }
    let pairs = &head[..head.len().min(512) & !1];
    if pairs.len() < 4 {
        return None;
    }
    let zeros_at = |parity: usize| {
        pairs
            .iter()
            .skip(parity)
            .step_by(2)
            .filter(|b| **b == 0)
            .count()
    };
    let half = pairs.len() / 2;
    let (even, odd) = (zeros_at(0), zeros_at(1));
    // Mostly zeros on one side, almost none on the other.
    if odd * 4 >= half * 3 && even * 8 < half {
        Some("little-endian, without a byte-order mark")
    } else if even * 4 >= half * 3 && odd * 8 < half {
        Some("big-endian, without a byte-order mark")
    } else {
        None
    }
}

/// The bytes as Windows-1252 text; `None` when a byte is undefined there, or is a control
/// character other than tab (then the bytes are not text in that encoding either).
pub(crate) fn cp1252(bytes: &[u8]) -> Option<String> {
    // 0x80..=0x9F; 0 marks the five undefined bytes.
    const HIGH: [u16; 32] = [
        0x20AC, 0, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039,
        0x0152, 0, 0x017D, 0, 0, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC,
        0x2122, 0x0161, 0x203A, 0x0153, 0, 0x017E, 0x0178,
    ];
    bytes
        .iter()
        .map(|&b| match b {
            b'\t' => Some('\t'),
            0x00..=0x1F | 0x7F => None,
            0x80..=0x9F => {
                char::from_u32(u32::from(HIGH[usize::from(b - 0x80)])).filter(|c| *c != '\0')
            }
            _ => Some(char::from(b)),
        })
        .collect()
}

/// The reason for a cell whose bytes are not UTF-8.
pub(crate) fn not_utf8_reason(bytes: &[u8]) -> String {
    match cp1252(bytes) {
        Some(text) => format!(
            "{NOT_UTF8_CP1252} {:?}: save the file as CSV UTF-8)",
            cut(&text, 40)
        ),
        None => "is not valid UTF-8".to_string(),
    }
}

fn cut(text: &str, max: usize) -> String {
    if text.chars().count() > max {
        let mut head: String = text.chars().take(max).collect();
        head.push('…');
        head
    } else {
        text.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn utf16le(text: &str, bom: bool) -> Vec<u8> {
        let mut out = if bom { vec![0xFF, 0xFE] } else { Vec::new() };
        for unit in text.encode_utf16() {
            out.extend_from_slice(&unit.to_le_bytes());
        }
        out
    }

    #[test]
    fn utf16_is_named_with_or_without_a_mark() {
        let header = "date,partner_id,seller_id,gmv\r\n2025-10-01,P1,S1,5\r\n";
        let with = diagnose(&utf16le(header, true)).unwrap().text();
        assert_eq!(
            with,
            "the file is UTF-16 text (little-endian, with a byte-order mark), not UTF-8: \
             save it as \"CSV UTF-8 (comma delimited)\""
        );
        let without = diagnose(&utf16le(header, false)).unwrap().text();
        assert!(
            without.contains("little-endian, without a byte-order mark"),
            "{without}"
        );
        let mut be = vec![0xFE, 0xFF];
        for unit in header.encode_utf16() {
            be.extend_from_slice(&unit.to_be_bytes());
        }
        assert!(diagnose(&be).unwrap().text().contains("big-endian"));
        // Some zero bytes in a binary file are not UTF-16.
        assert_eq!(utf16(b"date\0,partner_id,seller_id\0"), None);
    }

    #[test]
    fn another_delimiter_is_named() {
        let semi = diagnose(b"date;partner_id;seller_id;gmv;live_gmv\n2025-10-01;P1\n")
            .unwrap()
            .text();
        assert_eq!(
            semi,
            "the header's cells are separated by semicolons (;), not commas (it reads date, \
             partner_id, seller_id, gmv, …): save it as \"CSV UTF-8 (comma delimited)\""
        );
        let tabs = diagnose(b"\xEF\xBB\xBFpartner_id\tpartner_name\r\nP1\tOne\r\n")
            .unwrap()
            .text();
        assert!(
            tabs.starts_with(
                "the header's cells are separated by tabs, not commas (it reads partner_id, \
                 partner_name)"
            ),
            "{tabs}"
        );
        // A comma header with a stray semicolon in a name is not another delimiter.
        assert_eq!(diagnose(b"date,partner_id,seller;id\n"), None);
        assert_eq!(diagnose(b"date,partner_id\n"), None);
        assert_eq!(diagnose(b""), None);
    }

    #[test]
    fn windows_1252_is_named() {
        let header = b"date,partner_id,seller_id,gmv,Umsatz \x80,caf\xe9\n";
        assert_eq!(
            diagnose(header),
            Some(Diagnosis::Cp1252(
                "the file looks like Windows-1252 text, not UTF-8 (its header reads \
                 \"date,partner_id,seller_id,gmv,Umsatz €,café\"): save it as \"CSV UTF-8 \
                 (comma delimited)\""
                    .into()
            ))
        );
        assert_eq!(
            cp1252(b"Caf\xe9 \x93quoted\x94").as_deref(),
            Some("Café “quoted”")
        );
        assert_eq!(cp1252(b"bad \x81 byte"), None);
        assert_eq!(cp1252(b"nul \x00"), None);
        assert_eq!(
            not_utf8_reason(b"Caf\xe9"),
            "is not valid UTF-8 (as Windows-1252 it reads \"Café\": save the file as CSV UTF-8)"
        );
        assert_eq!(not_utf8_reason(b"\x81"), "is not valid UTF-8");
        // A header cut inside a UTF-8 character at the end of the head is still UTF-8.
        assert_eq!(diagnose(b"date,partner_id,caf\xc3"), None);
    }
}
