//! Column chunks read page by page for the fast path, without the parquet crate's value
//! readers: a dictionary's entries are turned into dates, cents or trimmed ids once per
//! row group, and each row then costs an index lookup. Handles the encodings warehouse
//! exports use (plain and dictionary, levels in RLE); anything else (`None`) leaves the
//! file to the value readers.

use super::super::reader::{parse_cents_bytes, parse_date_bytes, trim_bytes};
use super::{be_int, Meaning};
use bytes::Bytes;
use chrono::{Datelike, NaiveDate};
use parquet::basic::{Encoding, Type as Physical};
use parquet::column::page::{Page, PageReader};

/// Amounts at or above this many cents are refused by the cell parser.
pub(super) const MAX_CENTS: i64 = 100_000_000_000_000;

/// Encodings this reader decodes; a column chunk using any other is not read here.
pub(super) fn readable(encoding: Encoding) -> bool {
    matches!(
        encoding,
        Encoding::PLAIN | Encoding::PLAIN_DICTIONARY | Encoding::RLE_DICTIONARY | Encoding::RLE
    )
}

/// What the fast path makes of a column's values.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Role {
    Date,
    Id,
    Amount,
}

/// Reads an unsigned LEB128 varint.
fn uleb128(data: &mut &[u8]) -> Option<u64> {
    let mut value = 0u64;
    for shift in (0..64).step_by(7) {
        let (&byte, rest) = data.split_first()?;
        *data = rest;
        value |= u64::from(byte & 0x7F) << shift;
        if byte & 0x80 == 0 {
            return Some(value);
        }
    }
    None
}

/// Decodes `n` values of the RLE / bit-packed hybrid encoding (`width` bits each) into
/// `out`, returning the bytes left over.
pub(super) fn hybrid<'a>(
    mut data: &'a [u8],
    width: u32,
    n: usize,
    out: &mut Vec<u32>,
) -> Option<&'a [u8]> {
    if width > 32 {
        return None;
    }
    out.clear();
    out.reserve(n);
    let mask = if width == 32 {
        u64::from(u32::MAX)
    } else {
        (1u64 << width) - 1
    };
    while out.len() < n {
        let header = uleb128(&mut data)?;
        let left = n - out.len();
        if header & 1 == 0 {
            let count = usize::try_from(header >> 1).ok()?;
            if count == 0 {
                return None;
            }
            let bytes = width.div_ceil(8) as usize;
            let (value, rest) = data.split_at_checked(bytes)?;
            data = rest;
            let mut le = [0u8; 4];
            le[..bytes].copy_from_slice(value);
            let value = u32::from_le_bytes(le);
            out.extend(std::iter::repeat_n(value, count.min(left)));
        } else {
            let groups = usize::try_from(header >> 1).ok()?;
            let count = groups.checked_mul(8)?;
            let bytes = groups.checked_mul(width as usize)?;
            // A last run may be cut short after the values that are used.
            let take = count.min(left);
            let need = (take * width as usize).div_ceil(8);
            let packed = data.get(..bytes.min(data.len()))?;
            if packed.len() < need {
                return None;
            }
            for k in 0..take {
                let bit = k * width as usize;
                let at = bit / 8;
                let mut word = [0u8; 8];
                let end = (at + 8).min(packed.len());
                word[..end - at].copy_from_slice(&packed[at..end]);
                out.push(((u64::from_le_bytes(word) >> (bit % 8)) & mask) as u32);
            }
            data = &data[bytes.min(data.len())..];
        }
    }
    Some(data)
}

/// A column's values turned into what a row needs, for a dictionary's entries or one
/// page's values: `None` where a value would be refused or shown otherwise by the careful
/// path.
pub(super) enum Converted {
    Dates(Vec<Option<NaiveDate>>),
    Cents(Vec<Option<i64>>),
    /// Trimmed, non-empty ids as spans of `Chunk::id_bytes`; `None` when empty.
    Ids(Vec<Option<(u32, u32)>>),
}

/// One column chunk, read a page at a time.
pub(super) struct Chunk {
    pages: Box<dyn PageReader>,
    role: Role,
    meaning: Meaning,
    physical: Physical,
    /// Bytes of a FIXED_LEN_BYTE_ARRAY value.
    fixed: usize,
    max_def: i16,
    days_from_ce: i32,
    /// The dictionary's entries, converted.
    dict: Option<Converted>,
    dict_buf: Bytes,
    /// Integer ids written as text (the careful path's): the dictionary's, and those of
    /// the rows last taken from a plain page.
    dict_text: Vec<u8>,
    page_text: Vec<u8>,
    /// The current data page: its values (levels skipped), whether they are dictionary
    /// indices, and the rows it still holds.
    page: Bytes,
    pos: usize,
    indices: Vec<u32>,
    next_index: usize,
    dict_page: bool,
    left: usize,
    levels: Vec<u32>,
}

impl Chunk {
    pub(super) fn new(
        pages: Box<dyn PageReader>,
        role: Role,
        meaning: Meaning,
        physical: Physical,
        fixed: usize,
        max_def: i16,
    ) -> Chunk {
        Chunk {
            pages,
            role,
            meaning,
            physical,
            fixed,
            max_def,
            days_from_ce: super::epoch().num_days_from_ce(),
            dict: None,
            dict_buf: Bytes::new(),
            dict_text: Vec::new(),
            page_text: Vec::new(),
            page: Bytes::new(),
            pos: 0,
            indices: Vec::new(),
            next_index: 0,
            dict_page: false,
            left: 0,
            levels: Vec::new(),
        }
    }

    /// Rows left in the current page (0 before the first).
    pub(super) fn left(&self) -> usize {
        self.left
    }

    /// Moves past `rows` rows from the chunk's start, skipping whole pages unread.
    pub(super) fn skip_to(&mut self, rows: usize) -> Option<()> {
        let mut skipped = 0;
        loop {
            let meta = self.pages.peek_next_page().ok()??;
            if meta.is_dict {
                if self.read_page()? {
                    return None;
                }
                continue;
            }
            // Top-level columns: one level per row.
            let page_rows = meta.num_rows.or(meta.num_levels)?;
            if skipped + page_rows > rows {
                break;
            }
            self.pages.skip_next_page().ok()?;
            skipped += page_rows;
        }
        if skipped < rows {
            self.next_page()?;
            self.advance(rows - skipped)?;
        }
        Some(())
    }

    /// Skips `n` rows of the current page.
    fn advance(&mut self, n: usize) -> Option<()> {
        if n > self.left {
            return None;
        }
        self.left -= n;
        if self.dict_page {
            self.next_index += n;
            return Some(());
        }
        match self.physical {
            Physical::INT32 => self.pos += 4 * n,
            Physical::INT64 => self.pos += 8 * n,
            Physical::FIXED_LEN_BYTE_ARRAY => self.pos += self.fixed * n,
            Physical::BYTE_ARRAY => {
                for _ in 0..n {
                    let len = self.page.get(self.pos..self.pos + 4)?;
                    let len = u32::from_le_bytes(len.try_into().ok()?) as usize;
                    self.pos += 4 + len;
                }
            }
            _ => return None,
        }
        (self.pos <= self.page.len()).then_some(())
    }

    /// Reads pages until a data page, converting a dictionary met on the way.
    pub(super) fn next_page(&mut self) -> Option<()> {
        while !self.read_page()? {}
        Some(())
    }

    /// Reads one page: true for a data page (then current), false for a dictionary.
    fn read_page(&mut self) -> Option<bool> {
        match self.pages.get_next_page().ok()?? {
            Page::DictionaryPage {
                buf,
                num_values,
                encoding,
                ..
            } => {
                if !matches!(encoding, Encoding::PLAIN | Encoding::PLAIN_DICTIONARY) {
                    return None;
                }
                let n = num_values as usize;
                let mut converted = self.empty(n);
                let mut text = std::mem::take(&mut self.dict_text);
                text.clear();
                self.convert(&buf, 0, n, &mut converted, &mut text)?;
                self.dict_text = text;
                self.dict = Some(converted);
                self.dict_buf = buf;
                Some(false)
            }
            Page::DataPage {
                buf,
                num_values,
                encoding,
                def_level_encoding,
                ..
            } => {
                let n = num_values as usize;
                let mut pos = 0;
                if self.max_def > 0 {
                    if def_level_encoding != Encoding::RLE {
                        return None;
                    }
                    let len = buf.get(..4)?;
                    let len = u32::from_le_bytes(len.try_into().ok()?) as usize;
                    let levels = buf.get(4..4 + len)?;
                    self.check_levels(levels, n)?;
                    pos = 4 + len;
                }
                self.start_page(buf, pos, n, encoding)?;
                Some(true)
            }
            Page::DataPageV2 {
                buf,
                num_values,
                encoding,
                num_nulls,
                num_rows,
                def_levels_byte_len,
                rep_levels_byte_len,
                ..
            } => {
                // A null is an empty cell: the careful path names its row.
                if num_nulls != 0 || num_rows != num_values {
                    return None;
                }
                let pos =
                    (def_levels_byte_len as usize).checked_add(rep_levels_byte_len as usize)?;
                self.start_page(buf, pos, num_values as usize, encoding)?;
                Some(true)
            }
        }
    }

    /// Every definition level must say the value is there (no nulls).
    fn check_levels(&mut self, levels: &[u8], n: usize) -> Option<()> {
        let width = 16 - (self.max_def as u16).leading_zeros();
        let mut out = std::mem::take(&mut self.levels);
        let ok = hybrid(levels, width, n, &mut out).is_some()
            && out.iter().all(|l| *l == self.max_def as u32);
        self.levels = out;
        ok.then_some(())
    }

    fn start_page(&mut self, buf: Bytes, pos: usize, n: usize, encoding: Encoding) -> Option<()> {
        self.left = n;
        self.next_index = 0;
        match encoding {
            Encoding::PLAIN => {
                self.dict_page = false;
                self.pos = pos;
            }
            Encoding::PLAIN_DICTIONARY | Encoding::RLE_DICTIONARY => {
                let entries = self.dict_len();
                if entries == 0 {
                    return None;
                }
                let (&width, data) = buf.get(pos..)?.split_first()?;
                let mut indices = std::mem::take(&mut self.indices);
                hybrid(data, u32::from(width), n, &mut indices)?;
                if indices.iter().any(|i| *i as usize >= entries) {
                    return None;
                }
                self.indices = indices;
                self.dict_page = true;
            }
            _ => return None,
        }
        self.page = buf;
        Some(())
    }

    fn empty(&self, n: usize) -> Converted {
        match self.role {
            Role::Date => Converted::Dates(Vec::with_capacity(n)),
            Role::Amount => Converted::Cents(Vec::with_capacity(n)),
            Role::Id => Converted::Ids(Vec::with_capacity(n)),
        }
    }

    /// Converts `n` plain values of `buf` from byte `pos` on, appending to `out` (integer
    /// ids as text appended to `text`); returns the position after them.
    fn convert(
        &self,
        buf: &[u8],
        mut pos: usize,
        n: usize,
        out: &mut Converted,
        text: &mut Vec<u8>,
    ) -> Option<usize> {
        let m = self.meaning;
        match (self.physical, out) {
            (Physical::INT32 | Physical::INT64, out) => {
                let width = if self.physical == Physical::INT32 {
                    4
                } else {
                    8
                };
                let values = buf.get(pos..pos.checked_add(width * n)?)?;
                pos += width * n;
                let ints = values.chunks_exact(width).map(|b| {
                    if width == 4 && m == Meaning::Unsigned {
                        i64::from(u32::from_le_bytes(b.try_into().expect("4 bytes")))
                    } else if width == 4 {
                        i64::from(i32::from_le_bytes(b.try_into().expect("4 bytes")))
                    } else {
                        i64::from_le_bytes(b.try_into().expect("8 bytes"))
                    }
                });
                match out {
                    Converted::Dates(v) if m == Meaning::Date => {
                        // Dates repeat row after row: convert each run once.
                        let mut last: Option<(i64, Option<NaiveDate>)> = None;
                        for days in ints {
                            let date = match last {
                                Some((d, date)) if d == days => date,
                                _ => {
                                    let date = self.date_of_days(days);
                                    last = Some((days, date));
                                    date
                                }
                            };
                            v.push(date);
                        }
                    }
                    // An integer id reads as the careful path shows it: its digits (an
                    // unsigned INT64 past i64 as the unsigned number).
                    Converted::Ids(v) if matches!(m, Meaning::Integer | Meaning::Unsigned) => {
                        let unsigned64 = width == 8 && m == Meaning::Unsigned;
                        for int in ints {
                            let from = u32::try_from(text.len()).ok()?;
                            if unsigned64 {
                                push_digits(text, false, int as u64);
                            } else {
                                push_digits(text, int < 0, int.unsigned_abs());
                            }
                            v.push(Some((from, u32::try_from(text.len()).ok()?)));
                        }
                    }
                    Converted::Cents(v) => match m {
                        Meaning::Integer | Meaning::Unsigned | Meaning::Decimal(2) => {
                            v.extend(ints.map(|c| (0..MAX_CENTS).contains(&c).then_some(c)))
                        }
                        Meaning::Decimal(scale) => {
                            v.extend(ints.map(|u| scaled_cents(i128::from(u), scale)))
                        }
                        _ => return None,
                    },
                    _ => return None,
                }
            }
            (Physical::BYTE_ARRAY, out) => {
                for _ in 0..n {
                    let len = buf.get(pos..pos + 4)?;
                    let len = u32::from_le_bytes(len.try_into().ok()?) as usize;
                    let start = pos + 4;
                    let end = start.checked_add(len)?;
                    let value = buf.get(start..end)?;
                    pos = end;
                    self.push_bytes(value, start, out)?;
                }
            }
            (Physical::FIXED_LEN_BYTE_ARRAY, out) => {
                for _ in 0..n {
                    let end = pos.checked_add(self.fixed)?;
                    let value = buf.get(pos..end)?;
                    self.push_bytes(value, pos, out)?;
                    pos = end;
                }
            }
            _ => return None,
        }
        Some(pos)
    }

    fn push_bytes(&self, value: &[u8], start: usize, out: &mut Converted) -> Option<()> {
        match (self.meaning, out) {
            (Meaning::Text, Converted::Ids(v)) => {
                let id = trim_bytes(value);
                // Where the trimmed id starts within the value.
                let from = start + (id.as_ptr() as usize - value.as_ptr() as usize);
                let to = u32::try_from(from + id.len()).ok()?;
                v.push((!id.is_empty()).then_some((from as u32, to)));
            }
            (Meaning::Text, Converted::Dates(v)) => v.push(parse_date_bytes(trim_bytes(value))),
            (Meaning::Text, Converted::Cents(v)) => {
                v.push(parse_cents_bytes(trim_bytes(value)).ok())
            }
            (Meaning::Decimal(scale), Converted::Cents(v)) => {
                v.push(be_int(value).and_then(|u| scaled_cents(u, scale)))
            }
            _ => return None,
        }
        Some(())
    }

    /// A date32 as the careful path reads it: its text must be `YYYY-MM-DD`.
    fn date_of_days(&self, days: i64) -> Option<NaiveDate> {
        let days = i32::try_from(days).ok()?.checked_add(self.days_from_ce)?;
        NaiveDate::from_num_days_from_ce_opt(days).filter(|d| (0..=9999).contains(&d.year()))
    }

    /// Takes the next `n` rows (at most `left()`), converted into `out` (cleared first);
    /// true when they came as dictionary indices (then `indices` holds them and ids point
    /// into the dictionary).
    pub(super) fn take(&mut self, n: usize, out: &mut Converted) -> Option<bool> {
        if n > self.left {
            return None;
        }
        self.left -= n;
        match out {
            Converted::Dates(v) => v.clear(),
            Converted::Cents(v) => v.clear(),
            Converted::Ids(v) => v.clear(),
        }
        if self.dict_page {
            let from = self.next_index;
            self.next_index += n;
            let indices = self
                .indices
                .get(from..from + n)?
                .iter()
                .map(|i| *i as usize);
            match (self.dict.as_ref()?, out) {
                (Converted::Dates(d), Converted::Dates(v)) => v.extend(indices.map(|i| d[i])),
                (Converted::Cents(d), Converted::Cents(v)) => v.extend(indices.map(|i| d[i])),
                (Converted::Ids(d), Converted::Ids(v)) => v.extend(indices.map(|i| d[i])),
                _ => return None,
            }
            return Some(true);
        }
        let mut text = std::mem::take(&mut self.page_text);
        text.clear();
        let pos = self.convert(&self.page, self.pos, n, out, &mut text);
        self.page_text = text;
        self.pos = pos?;
        Some(false)
    }

    /// The dictionary indices of the rows last taken (when they came so).
    pub(super) fn indices(&self, n: usize) -> &[u32] {
        &self.indices[self.next_index - n..self.next_index]
    }

    /// The bytes the ids last taken point into.
    pub(super) fn id_bytes(&self, from_dict: bool) -> &[u8] {
        let integers = matches!(self.physical, Physical::INT32 | Physical::INT64);
        match (from_dict, integers) {
            (true, false) => &self.dict_buf,
            (false, false) => &self.page,
            (true, true) => &self.dict_text,
            (false, true) => &self.page_text,
        }
    }

    pub(super) fn empty_out(&self) -> Converted {
        self.empty(0)
    }

    /// Entries of the dictionary (0 before one is read).
    pub(super) fn dict_len(&self) -> usize {
        match &self.dict {
            Some(Converted::Dates(v)) => v.len(),
            Some(Converted::Cents(v)) => v.len(),
            Some(Converted::Ids(v)) => v.len(),
            None => 0,
        }
    }
}

/// Appends an integer's digits (after a minus sign when `negative`).
pub(super) fn push_digits(out: &mut Vec<u8>, negative: bool, magnitude: u64) {
    if negative {
        out.push(b'-');
    }
    let mut digits = [0u8; 40];
    out.extend_from_slice(crate::money::decimal_digits(
        u128::from(magnitude),
        &mut digits,
    ));
}

/// An exact decimal's cents; `None` when it has cents' fractions or is out of range.
pub(super) fn scaled_cents(unscaled: i128, scale: u32) -> Option<i64> {
    let cents = if scale <= 2 {
        unscaled.checked_mul(10i128.checked_pow(2 - scale)?)?
    } else {
        let unit = 10i128.checked_pow(scale - 2)?;
        if unscaled % unit != 0 {
            return None;
        }
        unscaled / unit
    };
    let cents = i64::try_from(cents).ok()?;
    (0..MAX_CENTS).contains(&cents).then_some(cents)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    // The bytes are grouped by the 3-bit values packed into them.
    #[allow(clippy::unusual_byte_groupings)]
    fn hybrid_reads_runs_and_bit_packed_groups() {
        let mut out = Vec::new();
        // An RLE run of 5 × 3 (width 2), then one bit-packed group of 0..8 (width 3).
        let data = [
            5 << 1,
            3,
            (1 << 1) | 1,
            0b10_001_000,
            0b1_100_011_0,
            0b111_110_10,
        ];
        assert!(hybrid(&data[..2], 2, 5, &mut out).is_some());
        assert_eq!(out, [3; 5]);
        let rest = hybrid(&data[2..], 3, 8, &mut out).unwrap();
        assert_eq!(out, [0, 1, 2, 3, 4, 5, 6, 7]);
        assert!(rest.is_empty());
        // Fewer values wanted than the group holds; a cut-short group still reads.
        assert!(hybrid(&data[2..5], 3, 5, &mut out).is_some());
        assert_eq!(out, [0, 1, 2, 3, 4]);
        assert!(hybrid(&data[2..4], 3, 5, &mut out).is_none());
        // A run of zero values would never end.
        assert!(hybrid(&[0, 1], 1, 1, &mut out).is_none());
    }

    #[test]
    fn decimals_of_any_scale_become_cents_only_when_exact() {
        assert_eq!(scaled_cents(123456, 2), Some(123456));
        assert_eq!(scaled_cents(12345600, 4), Some(123456));
        assert_eq!(scaled_cents(12345678, 4), None);
        assert_eq!(scaled_cents(7, 0), Some(700));
        assert_eq!(scaled_cents(-100, 2), None);
        assert_eq!(scaled_cents(MAX_CENTS.into(), 2), None);
        assert_eq!(scaled_cents(i128::MAX, 0), None);
    }
}
