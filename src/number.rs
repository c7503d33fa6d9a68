//! The one reader of numbers written in TOML: the program book's (`--book`) and a
//! scenario's (its factors, amounts and `[book]` overrides) are read alike.

use rust_decimal::Decimal;
use std::str::FromStr;

/// A number as written: a TOML integer, a float read by its shortest decimal form, or a
/// string holding a plain decimal: an optional sign, digits, at most one decimal point
/// (`"5000.00"`, `"0.5"`, `"-1"`). Digit separators, exponents and inner spaces are
/// refused in a string (`"2_000"`, `"1e3"`); TOML's own `2_000` is written unquoted.
/// The error says why, without the key.
pub(crate) fn decimal(v: &toml::Value) -> Result<Decimal, String> {
    let text = match v {
        toml::Value::Integer(i) => return Ok(Decimal::from(*i)),
        toml::Value::Float(f) if f.is_finite() => f.to_string(),
        toml::Value::Float(f) => return Err(format!("{f} is not a number")),
        toml::Value::String(s) => s.trim().to_string(),
        other => return Err(format!("{other} is not a number")),
    };
    let unsigned = text.strip_prefix(['-', '+']).unwrap_or(&text);
    let plain = unsigned.bytes().any(|b| b.is_ascii_digit())
        && unsigned.bytes().all(|b| b.is_ascii_digit() || b == b'.')
        && unsigned.bytes().filter(|b| *b == b'.').count() <= 1;
    match Decimal::from_str(&text) {
        Ok(d) if plain => Ok(d),
        _ => Err(format!("{text:?} is not a decimal number")),
    }
}

#[cfg(test)]
mod tests {
    use super::decimal;
    use rust_decimal::Decimal;
    use std::str::FromStr;

    fn read(toml_value: &str) -> Result<Decimal, String> {
        let table: toml::Table = toml::from_str(&format!("v = {toml_value}")).unwrap();
        decimal(&table["v"])
    }

    #[test]
    fn integers_floats_and_plain_decimal_strings_are_numbers() {
        for (written, value) in [
            ("2_000", "2000"),
            ("-3", "-3"),
            ("0.5", "0.5"),
            ("1e3", "1000"),
            ("\"5000.00\"", "5000.00"),
            ("\" 0.5 \"", "0.5"),
            ("\"+1\"", "1"),
            ("\"-0.25\"", "-0.25"),
            ("\".5\"", "0.5"),
        ] {
            assert_eq!(
                read(written),
                Ok(Decimal::from_str(value).unwrap()),
                "{written}"
            );
        }
    }

    #[test]
    fn strings_hold_plain_decimals_only() {
        for written in [
            "\"2_000\"",
            "\"1_0\"",
            "\"1e3\"",
            "\"1,000\"",
            "\"1 000\"",
            "\"\"",
            "\"-\"",
            "\".\"",
            "\"1.2.3\"",
            "\"--1\"",
            "\"1-\"",
            "\"abc\"",
        ] {
            let err = read(written).unwrap_err();
            assert!(err.ends_with("is not a decimal number"), "{written}: {err}");
        }
        assert_eq!(read("nan").unwrap_err(), "NaN is not a number");
        assert_eq!(read("true").unwrap_err(), "true is not a number");
    }
}
