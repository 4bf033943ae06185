//! Decimal text to Kafka Connect's Decimal: the unscaled value as a big-endian
//! two's complement byte string (Java's `BigInteger.toByteArray`).

/// The decimal separator of money's text output, learned from `sample`,
/// PostgreSQL's text of `-1234567.5::money` under the session's
/// `lc_monetary` (`-$1,234,567.50`, `-1.234.567,50 €`, `-1 234 567,50 €`):
/// the character after its seventh digit, when more digits follow; `.` when
/// the currency has no fraction digits.
pub fn money_separator(sample: &str) -> char {
    let mut digits = 0;
    let mut chars = sample.chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_ascii_digit() {
            digits += 1;
            if digits == 7 {
                return match chars.next() {
                    Some(separator) if chars.peek().is_some_and(char::is_ascii_digit) => separator,
                    _ => '.',
                };
            }
        }
    }
    '.'
}

/// Money's text output as a plain decimal: its digits, `separator` (see
/// [`money_separator`]) as the decimal point, negative when it has a minus
/// sign or parentheses; currency signs, thousands separators and spaces
/// dropped (`-$1,234.56` -> `-1234.56`; `(1.234,56 €)` with `,` -> `-1234.56`).
/// So a value never depends on the server's `lc_monetary`.
pub fn money_decimal(text: &str, separator: char) -> String {
    let mut out = String::with_capacity(text.len());
    if text.contains(['-', '(']) {
        out.push('-');
    }
    for c in text.chars() {
        if c.is_ascii_digit() {
            out.push(c);
        } else if c == separator {
            out.push('.');
        }
    }
    out
}

/// The name Debezium writes in `decimal.handling.mode=string` for a numeric's
/// special value (`NaN`, `Infinity`, `-Infinity`: Java's SpecialValueDecimal
/// names); `None` for a number.
pub fn special_name(text: &str) -> Option<&'static str> {
    match text {
        "NaN" => Some("NAN"),
        "Infinity" => Some("POSITIVE_INFINITY"),
        "-Infinity" => Some("NEGATIVE_INFINITY"),
        _ => None,
    }
}

/// `text` without trailing zeros after its decimal point (`1.500` -> `1.5`,
/// `2.000` -> `2`), as Debezium writes an unconstrained numeric's
/// VariableScaleDecimal; digits before the point stay (`100` keeps scale 0).
pub fn trim_fraction(text: &str) -> &str {
    if !text.contains('.') {
        return text;
    }
    text.trim_end_matches('0').trim_end_matches('.')
}

/// The unscaled value of decimal `text` as two's complement bytes, with the
/// scale used: `scale` when given (the text is padded or must fit), else the
/// text's own number of fraction digits. `None` if `text` is not a plain
/// decimal (NaN, infinity) or has more fraction digits than `scale`.
pub fn unscaled_bytes(text: &str, scale: Option<u32>) -> Option<(Vec<u8>, u32)> {
    let (negative, unsigned) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let (whole, fraction) = unsigned.split_once('.').unwrap_or((unsigned, ""));
    let digits_ok = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() && fraction.is_empty() || !digits_ok(whole) || !digits_ok(fraction) {
        return None;
    }
    let fraction_len = fraction.len() as u32;
    let scale = scale.unwrap_or(fraction_len);
    if fraction_len > scale {
        // Only trailing zeros may go.
        if !fraction[scale as usize..].bytes().all(|b| b == b'0') {
            return None;
        }
    }
    // Magnitude, big-endian base 256.
    let mut magnitude: Vec<u8> = Vec::new();
    let kept = &fraction[..fraction.len().min(scale as usize)];
    let padding = scale.saturating_sub(fraction_len);
    for digit in whole
        .bytes()
        .chain(kept.bytes())
        .chain(std::iter::repeat_n(b'0', padding as usize))
    {
        let mut carry = u32::from(digit - b'0');
        for byte in magnitude.iter_mut().rev() {
            let v = u32::from(*byte) * 10 + carry;
            *byte = (v & 0xff) as u8;
            carry = v >> 8;
        }
        while carry > 0 {
            magnitude.insert(0, (carry & 0xff) as u8);
            carry >>= 8;
        }
    }
    let zero = magnitude.is_empty();
    if negative && !zero {
        // Two's complement: invert and add one.
        for byte in magnitude.iter_mut() {
            *byte = !*byte;
        }
        for byte in magnitude.iter_mut().rev() {
            let (v, overflow) = byte.overflowing_add(1);
            *byte = v;
            if !overflow {
                break;
            }
        }
        if magnitude[0] & 0x80 == 0 {
            magnitude.insert(0, 0xff);
        }
    } else if zero || magnitude[0] & 0x80 != 0 {
        magnitude.insert(0, 0);
    }
    // Shortest form, as BigInteger.toByteArray.
    while magnitude.len() > 1
        && ((magnitude[0] == 0 && magnitude[1] & 0x80 == 0)
            || (magnitude[0] == 0xff && magnitude[1] & 0x80 != 0))
    {
        magnitude.remove(0);
    }
    Some((magnitude, scale))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_java_big_integer_bytes() {
        assert_eq!(
            unscaled_bytes("1234567.891", Some(3)),
            Some((vec![0x49, 0x96, 0x02, 0xd3], 3))
        );
        assert_eq!(unscaled_bytes("0", Some(3)), Some((vec![0], 3)));
        assert_eq!(unscaled_bytes("-0.001", Some(3)), Some((vec![0xff], 3)));
        assert_eq!(unscaled_bytes("1.5", Some(2)), Some((vec![0x00, 0x96], 2)));
        assert_eq!(unscaled_bytes("-128", Some(0)), Some((vec![0x80], 0)));
        assert_eq!(unscaled_bytes("-129", Some(0)), Some((vec![0xff, 0x7f], 0)));
        assert_eq!(
            unscaled_bytes("3.14159265358979", None).map(|(_, s)| s),
            Some(14)
        );
        assert_eq!(unscaled_bytes("NaN", None), None);
    }

    #[test]
    fn unconstrained_numerics_lose_trailing_fraction_zeros() {
        assert_eq!(trim_fraction("1.500"), "1.5");
        assert_eq!(trim_fraction("2.000"), "2");
        assert_eq!(trim_fraction("100"), "100");
        assert_eq!(trim_fraction("-0.010"), "-0.01");
    }

    #[test]
    fn money_reads_the_same_under_every_lc_monetary() {
        // What PostgreSQL prints for -1234567.5::money under C/en_US, de_DE,
        // fr_FR and a currency without fraction digits (ja_JP).
        for (sample, separator) in [
            ("-$1,234,567.50", '.'),
            ("-1.234.567,50 €", ','),
            ("-1 234 567,50 €", ','),
            ("(1.234.567,50 €)", ','),
            ("-￥1,234,568", '.'),
        ] {
            assert_eq!(money_separator(sample), separator, "{sample}");
        }
        assert_eq!(money_decimal("-$1,234.56", '.'), "-1234.56");
        assert_eq!(money_decimal("$0.00", '.'), "0.00");
        assert_eq!(money_decimal("1.234,56 €", ','), "1234.56");
        assert_eq!(money_decimal("(1 234,56 €)", ','), "-1234.56");
        assert_eq!(
            money_decimal("-92233720368547758.08", '.'),
            "-92233720368547758.08"
        );
    }
}
