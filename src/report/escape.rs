//! Text from the input (partner and seller ids, names, raw rows, and the sentences that
//! quote them) made inert for the output it goes to. Each kind of output has one function
//! here, and every writer of that kind passes its text cells through it:
//!
//! - [`csv_text`]: a CSV text cell that a spreadsheet would read as a formula gets a
//!   leading `'`. Figures are never passed through it.
//! - [`shown`] / [`shown_lines`]: terminal text (tables, `explain`, messages) with every
//!   control and bidirectional-formatting character written as `\u{…}`.
//! - [`md_text`]: Markdown text that renders as exactly its characters: no link, image,
//!   HTML, emphasis or other markup.
//! - [`push_html`] (and `html::Esc`, which writes through it): HTML text, with the same
//!   characters shown as [`shown`] shows them.

use std::borrow::Cow;
use std::fmt::{self, Write};

/// Characters a spreadsheet takes as the start of a formula (the OWASP list), and the
/// quote itself.
const QUOTED_START: [char; 7] = ['=', '+', '-', '@', '\t', '\r', '\''];

/// A CSV text cell as written: one that starts with `=`, `+`, `-`, `@`, a tab or a carriage
/// return gets a leading `'`, so a spreadsheet shows it as text instead of running it. One
/// that starts with `'` gets one more, so that two ids never read the same (`=1` is written
/// `'=1`, `'=1` is written `''=1`): a reader gets the text back by dropping one leading `'`.
pub fn csv_text(cell: &str) -> Cow<'_, str> {
    if cell.starts_with(QUOTED_START) {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}

/// Characters that are not shown as themselves: C0 controls (line breaks and tabs
/// included), DEL, C1 controls, the bidirectional marks, embeddings, overrides and
/// isolates, and the Unicode line and paragraph separators. A terminal acts on them (ESC
/// starts a command, CR returns to the line start), and the bidirectional ones reorder
/// the text around them.
pub fn is_hidden(c: char) -> bool {
    matches!(c,
        '\u{0}'..='\u{1f}'
        | '\u{7f}'..='\u{9f}'
        | '\u{61c}'
        | '\u{200e}' | '\u{200f}'
        | '\u{2028}'..='\u{202e}'
        | '\u{2066}'..='\u{2069}')
}

/// Writes `s` with every [`is_hidden`] character that `kept` does not keep as `\u{…}`
/// (lower-case hex, as Rust writes it).
fn write_escaped(out: &mut impl Write, s: &str, kept: impl Fn(char) -> bool) -> fmt::Result {
    let mut rest = s;
    while let Some(i) = rest.find(|c: char| is_hidden(c) && !kept(c)) {
        out.write_str(&rest[..i])?;
        let c = rest[i..].chars().next().expect("a character at i");
        write!(out, "\\u{{{:x}}}", c as u32)?;
        rest = &rest[i + c.len_utf8()..];
    }
    out.write_str(rest)
}

/// Writes `s` with every [`is_hidden`] character as `\u{…}`, keeping line breaks when
/// `keep_newlines`.
fn write_shown(out: &mut impl Write, s: &str, keep_newlines: bool) -> fmt::Result {
    write_escaped(out, s, |c| keep_newlines && c == '\n')
}

fn shown_with(s: &str, keep_newlines: bool) -> Cow<'_, str> {
    if !s
        .chars()
        .any(|c| is_hidden(c) && !(keep_newlines && c == '\n'))
    {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    write_shown(&mut out, s, keep_newlines).expect("writing to a String");
    Cow::Owned(out)
}

/// One value for the terminal (a table cell, a name in a sentence): every [`is_hidden`]
/// character, line breaks too, as `\u{…}`, so a value stays on its line and cannot move
/// the cursor, clear the screen, ring the bell or reorder what follows.
pub fn shown(s: &str) -> Cow<'_, str> {
    shown_with(s, false)
}

/// A whole text for the terminal (a report, a message): as [`shown`], but its line breaks
/// stay. Applying it to text already made of [`shown`] values changes nothing.
pub fn shown_lines(s: &str) -> Cow<'_, str> {
    shown_with(s, true)
}

/// What [`push_html`] does with a byte: copies it (0), escapes it (1: a markup character
/// or a hidden ASCII control), or looks at the whole character it starts (2: the lead
/// bytes of the hidden characters past ASCII, U+0080–U+009F, U+061C, U+200E–U+2069).
const HTML_CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut b = 0;
    while b < 0x20 {
        t[b] = 1;
        b += 1;
    }
    t[b'\n' as usize] = 0;
    t[b'\t' as usize] = 0;
    t[0x7f] = 1;
    t[b'&' as usize] = 1;
    t[b'<' as usize] = 1;
    t[b'>' as usize] = 1;
    t[b'"' as usize] = 1;
    t[b'\'' as usize] = 1;
    t[0xc2] = 2;
    t[0xd8] = 2;
    t[0xe2] = 2;
    t
};

const ONES: u64 = 0x0101_0101_0101_0101;
const HIGHS: u64 = 0x8080_8080_8080_8080;

/// The high bit of each byte of `x` below `n` (at most 0x80). A borrow can mark a byte
/// above a marked one too, never one below: the lowest mark is always a byte below `n`.
#[inline]
fn below(x: u64, n: u8) -> u64 {
    x.wrapping_sub(ONES * u64::from(n)) & !x & HIGHS
}

/// The high bit of each byte of `x` equal to `b`, as [`below`] marks them.
#[inline]
fn equal(x: u64, b: u8) -> u64 {
    below(x ^ (ONES * u64::from(b)), 1)
}

/// The offset in its eight bytes of the byte a mark of [`below`] or [`equal`] stands for.
#[inline]
fn first_marked(mask: u64) -> usize {
    (mask.trailing_zeros() / 8) as usize
}

/// The eight bytes of `s` from `i`, when there are eight.
#[inline]
fn chunk(bytes: &[u8], i: usize) -> Option<u64> {
    let b: [u8; 8] = bytes.get(i..i + 8)?.try_into().ok()?;
    Some(u64::from_le_bytes(b))
}

/// The sixteen bytes of `bytes` from `i`, when there are sixteen.
#[inline]
fn chunk16(bytes: &[u8], i: usize) -> Option<&[u8; 16]> {
    bytes.get(i..i + 16)?.try_into().ok()
}

/// Whether none of sixteen bytes is one `push_html` may change: no byte below a space, no
/// markup character, DEL or byte past ASCII. Most text is skipped sixteen bytes at a time.
#[cfg(target_arch = "x86_64")]
#[inline]
fn html_plain16(c: &[u8; 16]) -> bool {
    use std::arch::x86_64::*;
    // SAFETY: SSE2 is part of every x86-64 target, and the load reads the sixteen bytes of `c`.
    unsafe {
        let x = _mm_loadu_si128(c.as_ptr().cast());
        let eq = |b: u8| _mm_cmpeq_epi8(x, _mm_set1_epi8(b as i8));
        // As signed bytes, those below a space and those past ASCII are both below 0x20.
        let marks = _mm_or_si128(
            _mm_or_si128(
                _mm_or_si128(_mm_cmplt_epi8(x, _mm_set1_epi8(0x20)), eq(0x7f)),
                _mm_or_si128(eq(b'&'), eq(b'<')),
            ),
            _mm_or_si128(_mm_or_si128(eq(b'>'), eq(b'"')), eq(b'\'')),
        );
        _mm_movemask_epi8(marks) == 0
    }
}

#[cfg(not(target_arch = "x86_64"))]
#[inline]
fn html_plain16(c: &[u8; 16]) -> bool {
    let (a, b) = c.split_at(8);
    let word = |h: &[u8]| u64::from_le_bytes(h.try_into().expect("eight bytes"));
    html_marks(word(a)) | html_marks(word(b)) == 0
}

/// Whether none of sixteen bytes needs an escape in a JSON string (see `JSON_ESCAPED`).
#[cfg(target_arch = "x86_64")]
#[inline]
fn json_plain16(c: &[u8; 16]) -> bool {
    use std::arch::x86_64::*;
    // SAFETY: SSE2 is part of every x86-64 target, and the load reads the sixteen bytes of `c`.
    unsafe {
        let x = _mm_loadu_si128(c.as_ptr().cast());
        // A byte is below a space when the smaller of it and 0x1f is itself.
        let control = _mm_cmpeq_epi8(_mm_min_epu8(x, _mm_set1_epi8(0x1f)), x);
        let quote = _mm_cmpeq_epi8(x, _mm_set1_epi8(b'"' as i8));
        let backslash = _mm_cmpeq_epi8(x, _mm_set1_epi8(b'\\' as i8));
        _mm_movemask_epi8(_mm_or_si128(control, _mm_or_si128(quote, backslash))) == 0
    }
}

#[cfg(not(target_arch = "x86_64"))]
#[inline]
fn json_plain16(c: &[u8; 16]) -> bool {
    let (a, b) = c.split_at(8);
    let word = |h: &[u8]| u64::from_le_bytes(h.try_into().expect("eight bytes"));
    json_marks(word(a)) | json_marks(word(b)) == 0
}

/// The marks of [`below`] and [`equal`] for the bytes `push_html` may change, eight at a
/// time: bytes below a space (line breaks and tabs included), markup characters, DEL and
/// bytes past ASCII.
#[inline]
fn html_marks(x: u64) -> u64 {
    (x & HIGHS)
        | below(x, 0x20)
        | equal(x, b'&')
        | equal(x, b'<')
        | equal(x, b'>')
        | equal(x, b'"')
        | equal(x, b'\'')
        | equal(x, 0x7f)
}

/// The marks of [`below`] and [`equal`] for the bytes a JSON string escapes, eight at a time.
#[inline]
fn json_marks(x: u64) -> u64 {
    below(x, 0x20) | equal(x, b'"') | equal(x, b'\\')
}

/// The first position from `i` whose byte `plain16` or `marks8` does not pass as plain, or
/// the end of `bytes`. Sixteen bytes at a time, then eight; a tail shorter than that is
/// checked by reading the last eight (or sixteen) bytes again, overlapping what was read,
/// and a text of four to seven bytes as its first and last four. Where such an
/// overlapping read finds something, it answers `i` and the caller goes byte by byte.
#[inline(always)]
fn next_candidate(
    bytes: &[u8],
    mut i: usize,
    plain16: impl Fn(&[u8; 16]) -> bool,
    marks8: impl Fn(u64) -> u64,
) -> usize {
    let len = bytes.len();
    while let Some(c) = chunk16(bytes, i) {
        if !plain16(c) {
            break;
        }
        i += 16;
    }
    if i + 16 > len && len >= 16 && plain16(chunk16(bytes, len - 16).expect("sixteen bytes")) {
        return len;
    }
    while let Some(x) = chunk(bytes, i) {
        let marks = marks8(x);
        if marks != 0 {
            return i + first_marked(marks);
        }
        i += 8;
    }
    if i >= len {
        return len;
    }
    let tail = if len >= 8 {
        chunk(bytes, len - 8).expect("eight bytes")
    } else if len >= 4 {
        let four = |at: usize| -> u64 {
            let b: [u8; 4] = bytes[at..at + 4].try_into().expect("four bytes");
            u64::from(u32::from_le_bytes(b))
        };
        four(0) | four(len - 4) << 32
    } else {
        return i;
    };
    if marks8(tail) == 0 {
        len
    } else {
        i
    }
}

/// Appends `c` as `\u{…}` (lower-case hex, as Rust writes it).
fn push_code_point(out: &mut String, c: char) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let v = c as u32;
    out.push_str("\\u{");
    let digits = (32 - (v | 1).leading_zeros()).div_ceil(4);
    for i in (0..digits).rev() {
        out.push(HEX[((v >> (4 * i)) & 0xf) as usize] as char);
    }
    out.push('}');
}

/// Appends `s` as HTML text: `&<>"'` as character references, [`is_hidden`] characters but line breaks and tabs as `\u{…}`. One pass
/// over the bytes with a table; runs of plain text are copied whole.
pub(crate) fn push_html(out: &mut String, s: &str) {
    let bytes = s.as_bytes();
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        i = next_candidate(bytes, i, html_plain16, html_marks);
        if i == bytes.len() {
            break;
        }
        let b = bytes[i];
        match HTML_CLASS[b as usize] {
            0 => i += 1,
            1 => {
                out.push_str(&s[start..i]);
                match b {
                    b'&' => out.push_str("&amp;"),
                    b'<' => out.push_str("&lt;"),
                    b'>' => out.push_str("&gt;"),
                    b'"' => out.push_str("&quot;"),
                    b'\'' => out.push_str("&#39;"),
                    _ => push_code_point(out, b as char),
                }
                i += 1;
                start = i;
            }
            _ => {
                let c = s[i..].chars().next().expect("a character at a lead byte");
                if is_hidden(c) {
                    out.push_str(&s[start..i]);
                    push_code_point(out, c);
                    i += c.len_utf8();
                    start = i;
                } else {
                    i += c.len_utf8();
                }
            }
        }
    }
    out.push_str(&s[start..]);
}

/// Whether a byte needs an escape in a JSON string: `"`, `\` and the C0 controls.
const JSON_ESCAPED: [bool; 256] = {
    let mut t = [false; 256];
    let mut b = 0;
    while b < 0x20 {
        t[b] = true;
        b += 1;
    }
    t[b'"' as usize] = true;
    t[b'\\' as usize] = true;
    t
};

/// Appends `s` as a quoted JSON string, byte for byte as serde_json writes it: `"` and `\`
/// backslashed, `\b \t \n \f \r` by name, other C0 controls as `\u00xx`; everything else
/// (DEL, non-ASCII, U+2028) as it is.
pub(crate) fn push_json_str(out: &mut String, s: &str) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    out.push('"');
    let bytes = s.as_bytes();
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        i = next_candidate(bytes, i, json_plain16, json_marks);
        if i == bytes.len() {
            break;
        }
        let b = bytes[i];
        i += 1;
        if !JSON_ESCAPED[b as usize] {
            continue;
        }
        let at = i - 1;
        out.push_str(&s[start..at]);
        match b {
            b'"' => out.push_str("\\\""),
            b'\\' => out.push_str("\\\\"),
            0x08 => out.push_str("\\b"),
            b'\t' => out.push_str("\\t"),
            b'\n' => out.push_str("\\n"),
            0x0c => out.push_str("\\f"),
            b'\r' => out.push_str("\\r"),
            _ => {
                out.push_str("\\u00");
                out.push(HEX[(b >> 4) as usize] as char);
                out.push(HEX[(b & 0xf) as usize] as char);
            }
        }
        start = i;
    }
    out.push_str(&s[start..]);
    out.push('"');
}

/// ASCII punctuation always written with a backslash in Markdown text: the characters
/// that open or close markup in CommonMark or a common extension (GitHub's tables,
/// strikethrough and math; footnotes, attributes, superscript, highlight). With `[` and `]`
/// escaped no link, image or footnote can form, so `(`, `)` and `!` stay as they are;
/// `,` `'` `"` `/` `;` `?` `%` are never markup.
const MD_ESCAPED: &str = "\\`*_{}[]#+|~$@^=";

/// Text for a Markdown document (a table cell, a sentence) that renders as exactly its
/// characters: markup punctuation is backslash-escaped, `&`, `<` and `>` are character
/// references (so no raw HTML, entity or `<…>` autolink can form), and [`is_hidden`]
/// characters are shown as `\u{…}` (their backslash and braces escaped too). A `.` or `:`
/// followed by more text is escaped (`www\.x`, `http\://x`: no bare link or e-mail address
/// can be recognised), one before a space or at the end is not (`Co.`, `Note:`); a leading
/// `-` is escaped so a value cannot start a list.
pub fn md_text(s: &str) -> String {
    let shown = shown(s);
    let mut out = String::with_capacity(shown.len() + 8);
    let mut chars = shown.chars().peekable();
    let mut first = true;
    while let Some(c) = chars.next() {
        let followed = chars.peek().is_some_and(|n| !n.is_whitespace());
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '-' if first => out.push_str("\\-"),
            '.' | ':' if followed => {
                out.push('\\');
                out.push(c);
            }
            c if MD_ESCAPED.contains(c) => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
        first = false;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Text that every escaper must get right: markup and quote characters, controls, DEL,
    /// C1 controls, bidirectional marks, U+2028/9, non-ASCII letters and emoji, each alone
    /// and at every offset of a longer text (so both the eight-byte skip and the byte-wise
    /// tail meet it).
    fn hostile() -> Vec<String> {
        let specials: Vec<String> = [
            "\"", "'", "<", ">", "&", "\\", "/", "\0", "\u{1}", "\u{8}", "\t", "\n", "\u{b}",
            "\u{c}", "\r", "\u{1b}", "\u{1f}", " ", "\u{7f}", "\u{80}", "\u{85}", "\u{9f}",
            "\u{a0}", "é", "\u{61c}", "\u{200e}", "\u{200f}", "\u{2028}", "\u{2029}", "\u{202e}",
            "\u{2066}", "\u{2069}", "\u{206a}", "\u{2070}", "名", "😀", "\u{feff}",
        ]
        .map(String::from)
        .to_vec();
        let mut out = vec![
            String::new(),
            "plain ASCII text longer than eight bytes".into(),
            "<script>alert(\"x\")</script> & Co's \\ \u{1b}[2J \u{202e}gnp.exe".into(),
            specials.concat(),
        ];
        for c in &specials {
            // Every length to past two sixteen-byte reads, the character at every offset:
            // the sixteen- and eight-byte reads, the overlapping tail reads and the
            // four-byte halves of a short text each meet it.
            for len in 1..=40 {
                for at in 0..len {
                    out.push(format!("{}{c}{}", "x".repeat(at), "y".repeat(len - 1 - at)));
                }
            }
            out.push(c.repeat(9));
            out.push(c.repeat(17));
        }
        out.extend(
            (0u32..0x3000)
                .chain(0xfff0..0x10000)
                .chain([0x1f600, 0x10ffff])
                .filter_map(char::from_u32)
                .map(|c| format!("abcdefgh{c}ijklmnop")),
        );
        out
    }

    /// HTML text written the plain way, character by character, as pages were written
    /// before [`push_html`]: the reference it is checked against.
    fn reference_html(s: &str) -> String {
        let mut out = String::new();
        for c in s.chars() {
            match c {
                '&' => out.push_str("&amp;"),
                '<' => out.push_str("&lt;"),
                '>' => out.push_str("&gt;"),
                '"' => out.push_str("&quot;"),
                '\'' => out.push_str("&#39;"),
                c if is_hidden(c) && c != '\n' && c != '\t' => {
                    out.push_str(&format!("\\u{{{:x}}}", c as u32))
                }
                c => out.push(c),
            }
        }
        out
    }

    #[test]
    fn html_text_is_escaped_as_the_display_escaper_does() {
        for s in hostile() {
            let mut out = "kept ".to_string();
            push_html(&mut out, &s);
            assert_eq!(out, format!("kept {}", reference_html(&s)), "{s:?}");
            assert_eq!(
                crate::report::html::Esc(&s).to_string(),
                reference_html(&s),
                "{s:?}"
            );
        }
    }

    #[test]
    fn json_strings_are_written_as_serde_json_writes_them() {
        for s in hostile() {
            let mut out = "kept ".to_string();
            push_json_str(&mut out, &s);
            assert_eq!(
                out,
                format!("kept {}", serde_json::to_string(&s).unwrap()),
                "{s:?}"
            );
        }
        let mut out = String::new();
        push_json_str(&mut out, "a\"b\\c\u{1}\u{8}\u{c}\n\r\t\u{7f}\u{2028}é");
        assert_eq!(out, "\"a\\\"b\\\\c\\u0001\\b\\f\\n\\r\\t\u{7f}\u{2028}é\"");
    }

    proptest::proptest! {
        #[test]
        fn escapers_agree_with_the_reference_on_any_text(s in "(\\PC|[\"'<>&\\\\\\x00-\\x1f\\x7f\\x{80}-\\x{9f}\\x{61c}\\x{200e}\\x{2028}-\\x{202e}\\x{2066}-\\x{2069}]){0,40}") {
            let mut html = String::new();
            push_html(&mut html, &s);
            proptest::prop_assert_eq!(html, reference_html(&s));
            let mut json = String::new();
            push_json_str(&mut json, &s);
            proptest::prop_assert_eq!(json, serde_json::to_string(&s).unwrap());
        }
    }

    #[test]
    fn formula_starts_get_a_quote() {
        for (cell, written) in [
            ("=1+2", "'=1+2"),
            (
                "=HYPERLINK(\"http://x\"&A1,\"y\")",
                "'=HYPERLINK(\"http://x\"&A1,\"y\")",
            ),
            ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
            ("-2+3", "'-2+3"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\t=1+1", "'\t=1+1"),
            ("\r=1+1", "'\r=1+1"),
            ("'=1", "''=1"),
            ("'quoted'", "''quoted'"),
        ] {
            assert_eq!(csv_text(cell), written, "{cell:?}");
        }
        for plain in ["P01", "Acme = best", "a-b", "", " =1", "1.00"] {
            assert!(matches!(csv_text(plain), Cow::Borrowed(_)), "{plain:?}");
        }
    }

    #[test]
    fn controls_and_bidi_characters_are_shown_escaped() {
        assert_eq!(shown("plain é 名"), "plain é 名");
        assert_eq!(shown("a\u{1b}[2Jb"), "a\\u{1b}[2Jb");
        assert_eq!(
            shown("bell\u{7}cr\rlf\ntab\t"),
            "bell\\u{7}cr\\u{d}lf\\u{a}tab\\u{9}"
        );
        assert_eq!(shown("\u{7f}\u{85}\u{9b}"), "\\u{7f}\\u{85}\\u{9b}");
        for c in [
            '\u{202a}', '\u{202b}', '\u{202c}', '\u{202d}', '\u{202e}', '\u{2066}', '\u{2067}',
            '\u{2068}', '\u{2069}', '\u{200e}', '\u{200f}', '\u{61c}', '\u{2028}', '\u{2029}',
        ] {
            assert_eq!(shown(&format!("x{c}y")), format!("x\\u{{{:x}}}y", c as u32));
        }
        // Letters of right-to-left scripts are text, not controls.
        assert_eq!(shown("שלום مرحبا"), "שלום مرحبا");
        assert_eq!(shown_lines("a\u{1b}\nb\r\n"), "a\\u{1b}\nb\\u{d}\n");
        // Idempotent over its own output.
        let once = shown("x\u{202e}\u{1b}y").into_owned();
        assert_eq!(shown(&once), once);
        assert_eq!(shown_lines(&once), once);
    }

    #[test]
    fn markdown_text_is_inert() {
        assert_eq!(md_text("Acme Co"), "Acme Co");
        assert_eq!(md_text("a|b"), "a\\|b");
        assert_eq!(
            md_text("[x](http://evil.test)"),
            "\\[x\\](http\\://evil\\.test)"
        );
        assert_eq!(md_text("![i](x.png)"), "!\\[i\\](x\\.png)");
        assert_eq!(
            md_text("<img src=x onerror=alert(1)>"),
            "&lt;img src\\=x onerror\\=alert(1)&gt;"
        );
        assert_eq!(
            md_text("&amp; *b* _i_ `c`"),
            "&amp;amp; \\*b\\* \\_i\\_ \\`c\\`"
        );
        assert_eq!(md_text("www.evil.test"), "www\\.evil\\.test");
        assert_eq!(md_text("a@b.test"), "a\\@b\\.test");
        assert_eq!(md_text("- item"), "\\- item");
        assert_eq!(md_text("P-01"), "P-01");
        assert_eq!(md_text("Summit, Reed and Co."), "Summit, Reed and Co.");
        assert_eq!(
            md_text("Harbor & Finch (US): Note: 1. x"),
            "Harbor &amp; Finch (US): Note: 1. x"
        );
        assert_eq!(md_text("https://x.test/p"), "https\\://x\\.test/p");
        assert_eq!(md_text("line\nbreak"), "line\\\\u\\{a\\}break");
        assert_eq!(md_text("back\\slash"), "back\\\\slash");
    }
}
