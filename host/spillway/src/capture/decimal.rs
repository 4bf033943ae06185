//! Decimal text to Kafka Connect's Decimal: the unscaled value as a big-endian
//! two's complement byte string (Java's `BigInteger.toByteArray`).

/// Removes what money's text output adds to a decimal: a currency sign and
/// thousands separators (`-$1,234.56` -> `-1234.56`).
pub fn strip_money(text: &str) -> std::borrow::Cow<'_, str> {
    if text.bytes().all(|b| {
        b.is_ascii_digit() || b == b'-' || b == b'.' || b == b'e' || b == b'E' || b == b'+'
    }) {
        return text.into();
    }
    text.chars()
        .filter(|c| c.is_ascii_digit() || *c == '-' || *c == '.')
        .collect::<String>()
        .into()
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
    fn money_text_loses_its_sign_and_separators() {
        assert_eq!(strip_money("-$1,234.56"), "-1234.56");
        assert_eq!(strip_money("12.5"), "12.5");
    }
}
