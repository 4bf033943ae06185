//! PostgreSQL's temporal text output (DateStyle ISO, IntervalStyle postgres)
//! to Debezium's numbers and UTC strings.

use chrono::{Datelike, NaiveDate};

const MICROS_PER_DAY: i64 = 86_400_000_000;

/// What Debezium 3.6 writes for a streamed `date` of `infinity` and
/// `-infinity` (recorded: the golden test checks them). They are not days a
/// calendar reaches; consumers should treat them as markers.
const DATE_INFINITY: i64 = -2_147_472_692;
const DATE_MINUS_INFINITY: i64 = -2_147_472_691;

/// What Debezium 3.6 writes for a `timestamp` of `infinity` and `-infinity`
/// (PgJDBC's infinity markers), whatever the precision mode.
const TIMESTAMP_INFINITY: i64 = 9_223_372_036_825_200_000;
const TIMESTAMP_MINUS_INFINITY: i64 = -9_223_372_036_832_400_000;

/// `2024-02-29` (or `... BC`, proleptic Gregorian) -> days since 1970-01-01.
pub fn date_days(text: &str) -> Option<i64> {
    match text {
        "infinity" => Some(DATE_INFINITY),
        "-infinity" => Some(DATE_MINUS_INFINITY),
        _ => Some(i64::from(parse_date(text)?.num_days_from_ce()) - 719_163),
    }
}

/// Debezium's number for a `timestamp` of `infinity` or `-infinity`.
pub fn infinite_timestamp(text: &str) -> Option<i64> {
    match text {
        "infinity" => Some(TIMESTAMP_INFINITY),
        "-infinity" => Some(TIMESTAMP_MINUS_INFINITY),
        _ => None,
    }
}

fn parse_date(text: &str) -> Option<NaiveDate> {
    let (text, bc) = match text.strip_suffix(" BC") {
        Some(t) => (t, true),
        None => (text, false),
    };
    let mut parts = text.splitn(3, '-');
    let year: i32 = parts.next()?.parse().ok()?;
    let month: u32 = parts.next()?.parse().ok()?;
    let day: u32 = parts.next()?.parse().ok()?;
    // 1 BC is year 0 in the proleptic Gregorian calendar.
    NaiveDate::from_ymd_opt(if bc { 1 - year } else { year }, month, day)
}

/// `13:45:30.123456` -> microseconds since midnight.
pub fn time_micros(text: &str) -> Option<i64> {
    let mut parts = text.splitn(3, ':');
    let hours: i64 = parts.next()?.parse().ok()?;
    let minutes: i64 = parts.next()?.parse().ok()?;
    let seconds = parts.next()?;
    let (whole, fraction) = seconds.split_once('.').unwrap_or((seconds, ""));
    let seconds: i64 = whole.parse().ok()?;
    Some(((hours * 60 + minutes) * 60 + seconds) * 1_000_000 + fraction_micros(fraction)?)
}

fn fraction_micros(fraction: &str) -> Option<i64> {
    if fraction.len() > 6 || !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let mut micros = 0;
    for (i, b) in fraction.bytes().enumerate() {
        micros += i64::from(b - b'0') * 10_i64.pow(5 - i as u32);
    }
    Some(micros)
}

/// Splits `<local part><+|-hh[:mm[:ss]]>` into the local part and the offset in seconds.
fn split_offset(text: &str, from: usize) -> Option<(&str, i64)> {
    let at = text.get(from..)?.find(['+', '-'])? + from;
    let (local, offset) = text.split_at(at);
    let sign = if offset.starts_with('-') { -1 } else { 1 };
    let mut seconds = 0;
    let mut unit = 3600;
    for part in offset[1..].split(':') {
        seconds += part.parse::<i64>().ok()? * unit;
        unit /= 60;
    }
    Some((local, sign * seconds))
}

/// `13:45:30+02` -> `11:45:30Z` (UTC, fraction without trailing zeros).
pub fn zoned_time(text: &str) -> Option<String> {
    let (local, offset) = split_offset(text, 8)?;
    let micros = (time_micros(local)? - offset * 1_000_000).rem_euclid(MICROS_PER_DAY);
    let seconds = micros / 1_000_000;
    let mut out = format!(
        "{:02}:{:02}:{:02}",
        seconds / 3600,
        seconds / 60 % 60,
        seconds % 60
    );
    let fraction = micros % 1_000_000;
    if fraction != 0 {
        out.push_str(format!(".{fraction:06}").trim_end_matches('0'));
    }
    out.push('Z');
    Some(out)
}

/// `2024-02-29 13:45:30.654321` -> microseconds since the epoch (finite
/// timestamps only: see [`infinite_timestamp`]).
pub fn timestamp_micros(text: &str) -> Option<i64> {
    let (text, bc) = match text.strip_suffix(" BC") {
        Some(t) => (t, " BC"),
        None => (text, ""),
    };
    let (date, time) = text.split_once(' ')?;
    let days = date_days(&format!("{date}{bc}"))?;
    Some(days * MICROS_PER_DAY + time_micros(time)?)
}

/// `2024-02-29 13:45:30.5+05:30` -> `2024-02-29T08:15:30.500000Z`, with
/// `digits` digits after the seconds; `infinity` and `-infinity` as they are.
pub fn zoned_timestamp(text: &str, digits: u32) -> Option<String> {
    if text == "infinity" || text == "-infinity" {
        return Some(text.to_owned());
    }
    let (local, offset) = split_offset(text, 19)?;
    let micros = timestamp_micros(local)? - offset * 1_000_000;
    let days = micros.div_euclid(MICROS_PER_DAY);
    let of_day = micros.rem_euclid(MICROS_PER_DAY);
    let date = NaiveDate::from_num_days_from_ce_opt(i32::try_from(days + 719_163).ok()?)?;
    let seconds = of_day / 1_000_000;
    let mut out = format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        date.year(),
        date.month(),
        date.day(),
        seconds / 3600,
        seconds / 60 % 60,
        seconds % 60
    );
    if digits > 0 {
        let fraction = format!("{:06}", of_day % 1_000_000);
        out.push('.');
        out.push_str(&fraction[..digits as usize]);
    }
    out.push('Z');
    Some(out)
}

/// `1 year 2 mons 3 days 04:05:06.789` -> microseconds, counting a year as
/// 365.25 days and a month as 30.4375 days, as Debezium's MicroDuration.
pub fn interval_micros(text: &str) -> Option<i64> {
    const YEAR: i128 = 31_557_600_000_000;
    const MONTH: i128 = 2_629_800_000_000;
    let mut total: i128 = 0;
    let mut tokens = text.split_whitespace();
    while let Some(token) = tokens.next() {
        if token.contains(':') {
            let (sign, clock) = match token.strip_prefix('-') {
                Some(rest) => (-1, rest),
                None => (1, token.strip_prefix('+').unwrap_or(token)),
            };
            total += sign * i128::from(time_micros(clock)?);
            continue;
        }
        let amount: i128 = token.parse().ok()?;
        let unit = match tokens.next()?.trim_end_matches('s') {
            "year" => YEAR,
            "mon" => MONTH,
            "day" => MICROS_PER_DAY as i128,
            _ => return None,
        };
        total += amount * unit;
    }
    i64::try_from(total).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_timestamps_count_from_the_epoch() {
        assert_eq!(date_days("2024-02-29"), Some(19782));
        assert_eq!(date_days("1900-01-01"), Some(-25567));
        assert_eq!(
            timestamp_micros("2024-02-29 13:45:30.654321"),
            Some(1_709_214_330_654_321)
        );
        assert_eq!(
            timestamp_micros("1900-01-01 00:00:00.000001"),
            Some(-2_208_988_799_999_999)
        );
    }

    #[test]
    fn infinities_are_debeziums_markers() {
        assert_eq!(date_days("infinity"), Some(DATE_INFINITY));
        assert_eq!(date_days("-infinity"), Some(DATE_MINUS_INFINITY));
        assert_eq!(infinite_timestamp("infinity"), Some(TIMESTAMP_INFINITY));
        assert_eq!(infinite_timestamp("2024-02-29 00:00:00"), None);
        assert_eq!(
            zoned_timestamp("-infinity", 6).as_deref(),
            Some("-infinity")
        );
        // BC, proleptic Gregorian: 1 BC is year 0.
        assert_eq!(date_days("0001-01-01 BC"), Some(-719_528));
    }

    #[test]
    fn zoned_values_are_utc() {
        assert_eq!(zoned_time("13:45:30+02").as_deref(), Some("11:45:30Z"));
        assert_eq!(
            zoned_time("23:59:59.999999-11:30").as_deref(),
            Some("11:29:59.999999Z")
        );
        assert_eq!(
            zoned_timestamp("2024-02-29 13:45:30.5+05:30", 6).as_deref(),
            Some("2024-02-29T08:15:30.500000Z")
        );
    }

    #[test]
    fn intervals_use_average_months_and_years() {
        assert_eq!(
            interval_micros("1 year 2 mons 3 days 04:05:06.789"),
            Some(37_091_106_789_000)
        );
        assert_eq!(interval_micros("-1 days -00:00:01"), Some(-86_401_000_000));
        assert_eq!(interval_micros("00:00:00"), Some(0));
    }
}
