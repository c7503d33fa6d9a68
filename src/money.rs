//! Money and exact ratios. Money is a decimal amount of US dollars; it can be added,
//! subtracted and scaled by a count, but never multiplied by other money.

use rust_decimal::{Decimal, RoundingStrategy};
use serde::{Serialize, Serializer};
use std::cmp::Ordering;
use std::fmt;
use std::iter::Sum;
use std::ops::{Add, AddAssign, Mul, Sub, SubAssign};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Money(Decimal);

impl Money {
    pub const ZERO: Money = Money(Decimal::ZERO);

    pub fn new(amount: Decimal) -> Money {
        Money(amount)
    }

    /// Whole cents, as parsed from an input cell.
    pub fn from_cents(cents: i64) -> Money {
        Money(Decimal::new(cents, 2))
    }

    /// A sum of whole cents.
    pub fn from_cents_sum(cents: i128) -> Money {
        Money(Decimal::from_i128_with_scale(cents, 2))
    }

    pub fn dollars(amount: i64) -> Money {
        Money(Decimal::from(amount))
    }

    pub fn as_decimal(self) -> Decimal {
        self.0
    }

    pub fn is_zero(self) -> bool {
        self.0.is_zero()
    }

    pub fn is_positive(self) -> bool {
        self.0 > Decimal::ZERO
    }

    /// Plain two-decimal form for machine-readable outputs: `1234.50`.
    pub fn plain(self) -> String {
        let mut out = String::with_capacity(16);
        push_cents(&mut out, self.0, false);
        out
    }

    /// Human form with thousands separators: `1,234.50`.
    pub fn human(self) -> String {
        let mut out = String::with_capacity(20);
        push_cents(&mut out, self.0, true);
        out
    }

    /// Appends [`Money::human`] to `out`.
    pub fn push_human(self, out: &mut String) {
        push_cents(out, self.0, true);
    }

    /// Appends [`Money::plain`] to `out`.
    pub fn push_plain(self, out: &mut String) {
        push_cents(out, self.0, false);
    }
}

/// Appends `value` as `format!("{:.2}", value)` writes it (digits past the cent cut off,
/// a negative sign kept even on zero), with `,` every three integer digits when `grouped`.
/// Sentences and statements print hundreds of thousands of amounts; the formatter's
/// general path is most of their cost.
fn push_cents(out: &mut String, value: Decimal, grouped: bool) {
    let mut buf = [0u8; CENTS_MAX];
    out.push_str(cents_text(value, grouped, &mut buf));
}

/// The longest [`cents_text`]: 29 digits, 9 separators, a sign, a point and two decimals.
pub(crate) const CENTS_MAX: usize = 48;

/// [`push_cents`] written into `buf`, without touching the heap: most figures of a
/// figure tree are kept in place ([`crate::payout::Text`]).
pub(crate) fn cents_text(value: Decimal, grouped: bool, buf: &mut [u8; CENTS_MAX]) -> &str {
    let mut at = 0;
    let mut put = |b: u8| {
        buf[at] = b;
        at += 1;
    };
    let mantissa = value.mantissa().unsigned_abs();
    let scale = value.scale();
    let cents = if scale == 2 {
        mantissa
    } else if scale > 2 {
        mantissa / 10u128.pow(scale - 2)
    } else {
        // Below 2^96 · 100: no overflow.
        mantissa * 10u128.pow(2 - scale)
    };
    if value.is_sign_negative() {
        put(b'-');
    }
    // Every real amount fits u64 cents, whose division is far cheaper than u128's.
    let (int, frac) = match u64::try_from(cents) {
        Ok(c) => (u128::from(c / 100), (c % 100) as u8),
        Err(_) => (cents / 100, (cents % 100) as u8),
    };
    let mut digits = [0u8; 40];
    let int = decimal_digits(int, &mut digits);
    for (i, &d) in int.iter().enumerate() {
        if grouped && i > 0 && (int.len() - i).is_multiple_of(3) {
            put(b',');
        }
        put(d);
    }
    put(b'.');
    put(b'0' + frac / 10);
    put(b'0' + frac % 10);
    std::str::from_utf8(&buf[..at]).expect("ASCII digits")
}

/// Appends `n` as `n.to_string()` writes it: counts and ranks in figures of every line.
pub(crate) fn push_count(out: &mut String, n: usize) {
    let mut digits = [0u8; 40];
    for &d in decimal_digits(n as u128, &mut digits) {
        out.push(d as char);
    }
}

/// The decimal digits of `value`, written at the end of `digits`.
pub(crate) fn decimal_digits(value: u128, digits: &mut [u8; 40]) -> &[u8] {
    let mut at = digits.len();
    // Every real amount and id fits u64, whose division is far cheaper than u128's.
    match u64::try_from(value) {
        Ok(mut rest) => loop {
            at -= 1;
            digits[at] = b'0' + (rest % 10) as u8;
            rest /= 10;
            if rest == 0 {
                break;
            }
        },
        Err(_) => {
            let mut rest = value;
            loop {
                at -= 1;
                digits[at] = b'0' + (rest % 10) as u8;
                rest /= 10;
                if rest == 0 {
                    break;
                }
            }
        }
    }
    &digits[at..]
}

/// Inserts `,` every three digits of the integer part of a plain decimal string.
pub fn group_thousands(plain: &str) -> String {
    let (sign, rest) = match plain.strip_prefix('-') {
        Some(r) => ("-", r),
        None => ("", plain),
    };
    let (int, frac) = match rest.find('.') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    let mut out = String::with_capacity(plain.len() + int.len() / 3);
    out.push_str(sign);
    if int.is_ascii() {
        // Digits in groups of three after a first group of one to three: every amount
        // cell of every page comes here.
        let first = match int.len() % 3 {
            0 => int.len().min(3),
            r => r,
        };
        out.push_str(&int[..first]);
        for group in int.as_bytes()[first..].chunks(3) {
            out.push(',');
            out.extend(group.iter().map(|&b| b as char));
        }
    } else {
        for (i, ch) in int.chars().enumerate() {
            if i > 0 && (int.len() - i).is_multiple_of(3) {
                out.push(',');
            }
            out.push(ch);
        }
    }
    out.push_str(frac);
    out
}

/// Human form of a plain decimal (a book threshold, a count of dollars) with separators.
pub fn human_decimal(value: Decimal) -> String {
    let v = value.normalize();
    group_thousands(&v.to_string())
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.plain())
    }
}

impl Serialize for Money {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.plain())
    }
}

impl Add for Money {
    type Output = Money;
    fn add(self, rhs: Money) -> Money {
        Money(self.0 + rhs.0)
    }
}

impl AddAssign for Money {
    fn add_assign(&mut self, rhs: Money) {
        self.0 += rhs.0;
    }
}

impl Sub for Money {
    type Output = Money;
    fn sub(self, rhs: Money) -> Money {
        Money(self.0 - rhs.0)
    }
}

impl SubAssign for Money {
    fn sub_assign(&mut self, rhs: Money) {
        self.0 -= rhs.0;
    }
}

/// Money times a count (days, sellers): still money.
impl Mul<i64> for Money {
    type Output = Money;
    fn mul(self, rhs: i64) -> Money {
        Money(self.0 * Decimal::from(rhs))
    }
}

impl Sum for Money {
    fn sum<I: Iterator<Item = Money>>(iter: I) -> Money {
        iter.fold(Money::ZERO, Add::add)
    }
}

impl<'a> Sum<&'a Money> for Money {
    fn sum<I: Iterator<Item = &'a Money>>(iter: I) -> Money {
        iter.copied().sum()
    }
}

/// An exact fraction `num / den` with `den > 0`: averages, increments and ratios are kept
/// in this form so that every comparison is a cross-multiplication, never a rounded quotient.
#[derive(Clone, Copy, Debug)]
pub struct Exact {
    num: Decimal,
    den: Decimal,
}

impl Exact {
    /// `sum / days`. `days` must be positive.
    pub fn average(sum: Money, days: i64) -> Exact {
        assert!(days > 0, "average over an empty window");
        Exact {
            num: sum.0,
            den: Decimal::from(days),
        }
    }

    pub fn ratio(num: Decimal, den: Decimal) -> Exact {
        assert!(den > Decimal::ZERO, "ratio with a non-positive denominator");
        Exact { num, den }
    }

    pub fn minus(self, rhs: Exact) -> Exact {
        Exact {
            num: self.num * rhs.den - rhs.num * self.den,
            den: self.den * rhs.den,
        }
    }

    /// `self >= threshold`, exactly. A product past Decimal's range is larger in
    /// magnitude than any numerator, so its sign decides (`den` is positive).
    pub fn meets(self, threshold: Decimal) -> bool {
        match threshold.checked_mul(self.den) {
            Some(product) => self.num >= product,
            None => threshold.is_sign_negative(),
        }
    }

    pub fn is_positive(self) -> bool {
        self.num > Decimal::ZERO
    }

    /// Value rounded down to `dp` decimals, for display only: a displayed figure never
    /// appears to meet a cent-grid threshold that the exact value misses.
    pub fn floor_dp(self, dp: u32) -> Decimal {
        let q = self.num.checked_div(self.den).unwrap_or(Decimal::MAX);
        let r = q.round_dp_with_strategy(dp, RoundingStrategy::ToNegativeInfinity);
        // The quotient itself is rounded to 28 digits; correct by one step if that pushed
        // it across a grid line.
        let step = Decimal::new(1, dp);
        if r * self.den > self.num {
            r - step
        } else {
            r
        }
    }

    /// The value rounded down to the cent, as [`Exact::human`] and [`Exact::plain`] show
    /// it: for a figure shown many times, rounded once.
    pub fn shown(self) -> Money {
        Money(self.floor_dp(2))
    }

    /// Display as money-like figure with separators, rounded down to the cent.
    pub fn human(self) -> String {
        let mut out = String::with_capacity(20);
        self.push_human(&mut out);
        out
    }

    /// Appends [`Exact::human`] to `out`.
    pub fn push_human(self, out: &mut String) {
        push_cents(out, self.floor_dp(2), true);
    }

    /// Plain two-decimal form for machine-readable outputs, rounded down to the cent.
    pub fn plain(self) -> String {
        let mut out = String::with_capacity(16);
        push_cents(&mut out, self.floor_dp(2), false);
        out
    }

    /// Display as a percentage rounded down to 0.01 %.
    pub fn percent(self) -> String {
        let mut out = String::with_capacity(12);
        self.push_percent(&mut out);
        out
    }

    /// Appends [`Exact::percent`] to `out`.
    pub fn push_percent(self, out: &mut String) {
        push_cents(out, self.percent_shown(), false);
        out.push('%');
    }

    /// The percentage [`Exact::percent`] shows, without its sign: rounded down to 0.01.
    pub fn percent_shown(self) -> Decimal {
        let pct = Exact {
            num: self.num * Decimal::ONE_HUNDRED,
            den: self.den,
        };
        pct.floor_dp(2)
    }
}

impl PartialEq for Exact {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Exact {}

impl PartialOrd for Exact {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Exact {
    fn cmp(&self, other: &Self) -> Ordering {
        // Ingest bounds every window sum (`input::MAX_WINDOW_GMV`) so that these products
        // stay in range; should one not, a product past the range is larger in magnitude
        // than the other, and its sign decides.
        let sign = |x: Decimal| {
            if x.is_sign_negative() {
                Ordering::Less
            } else {
                Ordering::Greater
            }
        };
        match (
            self.num.checked_mul(other.den),
            other.num.checked_mul(self.den),
        ) {
            (Some(a), Some(b)) => a.cmp(&b),
            (None, Some(_)) => sign(self.num),
            (Some(_), None) => sign(other.num).reverse(),
            (None, None) => {
                let q = |e: &Exact| e.num.checked_div(e.den).unwrap_or(e.num);
                q(self).cmp(&q(other))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::str::FromStr;

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    #[test]
    fn human_groups_thousands() {
        assert_eq!(Money::new(d("1234567.5")).human(), "1,234,567.50");
        assert_eq!(Money::new(d("999.99")).human(), "999.99");
        assert_eq!(Money::new(d("-1000")).human(), "-1,000.00");
        assert_eq!(Money::ZERO.plain(), "0.00");
    }

    /// Grouping by whole slices gives what grouping digit by digit gives, at every length.
    #[test]
    fn group_thousands_groups_every_length_as_digit_by_digit() {
        fn digit_by_digit(int: &str) -> String {
            let mut out = String::new();
            for (i, ch) in int.chars().enumerate() {
                if i > 0 && (int.len() - i).is_multiple_of(3) {
                    out.push(',');
                }
                out.push(ch);
            }
            out
        }
        let digits = "1234567890123456789012345678";
        for len in 0..=digits.len() {
            let int = &digits[..len];
            for (sign, frac) in [("", ""), ("-", ".05"), ("", ".123456"), ("-", "")] {
                let plain = format!("{sign}{int}{frac}");
                let want = format!("{sign}{}{frac}", digit_by_digit(int));
                assert_eq!(group_thousands(&plain), want, "{plain:?}");
            }
        }
        assert_eq!(group_thousands("1234567.89"), "1,234,567.89");
        assert_eq!(group_thousands("-100"), "-100");
        // Not digits a program writes: left to the digit-by-digit path.
        assert_eq!(group_thousands("１２３４"), digit_by_digit("１２３４"));
    }

    #[test]
    fn exact_average_compares_without_rounding() {
        // 1,839,999.99 / 92 is just under 20,000.
        let avg = Exact::average(Money::new(d("1839999.99")), 92);
        assert!(!avg.meets(d("20000")));
        assert!(avg.meets(d("19999.99")));
        assert_eq!(avg.human(), "19,999.99");
        let exact = Exact::average(Money::new(d("1840000.00")), 92);
        assert!(exact.meets(d("20000")));
    }

    #[test]
    fn floor_never_rounds_up_across_a_threshold() {
        let x = Exact::ratio(d("29999.99999"), d("3"));
        assert_eq!(x.floor_dp(2), d("9999.99"));
        let neg = Exact::ratio(d("-1"), d("3"));
        assert_eq!(neg.floor_dp(2), d("-0.34"));
    }

    #[test]
    fn comparisons_past_the_decimal_range_never_panic() {
        let huge = Exact::ratio(d("70000000000000000000000000000"), d("1"));
        let tiny = Exact::ratio(d("1"), d("70000000000000000000000000000"));
        assert!(!tiny.meets(d("1000000000000")));
        assert!(huge.meets(d("1000000000000")));
        let big_den = Exact::ratio(d("5"), d("70000000000000000000000000000"));
        assert!(!big_den.meets(d("2")));
        assert!(big_den.meets(d("-2")));
        // 5/7e28 vs 7e28/2: the first product overflows, the second does not.
        let large = Exact::ratio(d("70000000000000000000000000000"), d("2"));
        assert_eq!(large.cmp(&big_den), Ordering::Greater);
        assert_eq!(big_den.cmp(&large), Ordering::Less);
        assert_eq!(huge.cmp(&huge), Ordering::Equal);
    }

    #[test]
    fn sub_and_order_are_exact() {
        let a = Exact::average(Money::new(d("10")), 3);
        let b = Exact::average(Money::new(d("20")), 6);
        assert_eq!(a, b);
        assert!(!a.minus(b).is_positive());
        assert_eq!(a.minus(b).floor_dp(2), Decimal::ZERO);
    }

    proptest::proptest! {
        /// The written forms are the formatter's, digit for digit, for any decimal.
        #[test]
        fn written_amounts_match_the_formatter(
            lo in proptest::prelude::any::<u32>(),
            mid in proptest::prelude::any::<u32>(),
            hi in proptest::prelude::any::<u32>(),
            small in 0u32..3,
            negative in proptest::prelude::any::<bool>(),
            scale in 0u32..=28,
        ) {
            // Small mantissas (the real ones) as often as full 96-bit ones.
            let (mid, hi) = if small == 0 { (mid, hi) } else if small == 1 { (0, 0) } else { (mid % 4, 0) };
            let value = Decimal::from_parts(lo, mid, hi, negative, scale);
            let m = Money::new(value);
            let expected = format!("{value:.2}");
            proptest::prop_assert_eq!(m.plain(), expected.clone());
            proptest::prop_assert_eq!(m.human(), group_thousands(&expected));
            let mut pushed = String::from("x");
            m.push_human(&mut pushed);
            proptest::prop_assert_eq!(pushed, format!("x{}", group_thousands(&expected)));
            let days = i64::from(lo % 400 + 1);
            let avg = Exact::average(m, days);
            let floor = format!("{:.2}", avg.floor_dp(2));
            proptest::prop_assert_eq!(avg.plain(), floor.clone());
            proptest::prop_assert_eq!(avg.human(), group_thousands(&floor));
        }
    }

    #[test]
    fn negative_zero_and_cut_digits_are_written_as_the_formatter_writes_them() {
        for s in [
            "-0.00", "-0.001", "0.009", "-12.345", "1000000", "0", "12.3",
        ] {
            let v = d(s);
            assert_eq!(Money::new(v).plain(), format!("{v:.2}"), "{s}");
        }
        assert_eq!(Money::new(d("-0.001")).plain(), "-0.00");
        assert_eq!(Money::new(d("1234567.891")).human(), "1,234,567.89");
    }
}
