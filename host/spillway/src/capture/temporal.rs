//! PostgreSQL's temporal text output (DateStyle ISO, IntervalStyle postgres)
//! to Debezium's numbers and UTC strings.

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

/// `2024-02-29` (or `... BC`, proleptic Gregorian) -> days since 1970-01-01,
/// for every date PostgreSQL has (4713 BC to 5874897 AD).
pub fn date_days(text: &str) -> Option<i64> {
    match text {
        "infinity" => Some(DATE_INFINITY),
        "-infinity" => Some(DATE_MINUS_INFINITY),
        _ => parse_date(text),
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

/// Splits a trailing ` BC` off a date or timestamp's text.
fn era(text: &str) -> (&str, bool) {
    match text.strip_suffix(" BC") {
        Some(t) => (t, true),
        None => (text, false),
    }
}

fn parse_date(text: &str) -> Option<i64> {
    let (text, bc) = era(text);
    let mut parts = text.splitn(3, '-');
    let year: i64 = parts.next()?.parse().ok()?;
    let month: u32 = parts.next()?.parse().ok()?;
    let day: u32 = parts.next()?.parse().ok()?;
    // 1 BC is year 0 in the proleptic Gregorian calendar.
    days_from_civil(if bc { 1 - year } else { year }, month, day)
}

fn is_leap(year: i64) -> bool {
    year.rem_euclid(4) == 0 && (year.rem_euclid(100) != 0 || year.rem_euclid(400) == 0)
}

/// Days since 1970-01-01 of a proleptic Gregorian date (year 0 is 1 BC), for
/// any year: PostgreSQL's dates reach past what calendar crates support.
/// The algorithm is the well-known "days from civil" one (H. Hinnant).
fn days_from_civil(year: i64, month: u32, day: u32) -> Option<i64> {
    let days_in_month = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(year) => 29,
        2 => 28,
        _ => return None,
    };
    if day == 0 || day > days_in_month {
        return None;
    }
    let (month, day) = (i64::from(month), i64::from(day));
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let year_of_era = y.rem_euclid(400);
    let day_of_year = (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    Some(era * 146_097 + day_of_era - 719_468)
}

/// The proleptic Gregorian date (year, month, day; year 0 is 1 BC) of a day
/// counted from 1970-01-01: the inverse of [`days_from_civil`].
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let mp = (5 * day_of_year + 2) / 153;
    let day = (day_of_year - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
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

/// `2024-02-29 13:45:30.654321` (or `... BC`) -> microseconds since the
/// epoch, exactly (finite timestamps only: see [`infinite_timestamp`]). The
/// latest timestamps PostgreSQL has (up to 294276 AD) are past what 64 bits
/// of microseconds since 1970 hold: see [`saturate`].
pub fn timestamp_micros(text: &str) -> Option<i128> {
    let (text, bc) = era(text);
    let (date, time) = text.split_once(' ')?;
    let days = parse_date(&format!("{date}{}", if bc { " BC" } else { "" }))?;
    Some(i128::from(days) * i128::from(MICROS_PER_DAY) + i128::from(time_micros(time)?))
}

/// A count beyond 64 bits clamped to the nearest 64-bit value. Debezium's
/// MicroTimestamp wraps around past 294247-01-10 (a timestamp after it comes
/// out negative); Spillway clamps instead, so the order of values holds.
pub fn saturate(value: i128) -> i64 {
    i64::try_from(value).unwrap_or(if value < 0 { i64::MIN } else { i64::MAX })
}

/// `2024-02-29 13:45:30.5+05:30` -> `2024-02-29T08:15:30.500000Z`, with
/// `digits` digits after the seconds; `infinity` and `-infinity` as they are.
/// Years are written as Java's ISO_LOCAL_DATE writes them (Debezium's
/// ZonedTimestamp): four digits at least, `+` before a year past 9999, `-`
/// before a year before 1 AD (1 BC is `0000`).
pub fn zoned_timestamp(text: &str, digits: u32) -> Option<String> {
    if text == "infinity" || text == "-infinity" {
        return Some(text.to_owned());
    }
    let (text, bc) = era(text);
    let date_end = text.find(' ')?;
    let (local, offset) = split_offset(text, date_end + 9)?;
    let local = if bc {
        format!("{local} BC")
    } else {
        local.to_owned()
    };
    let micros = timestamp_micros(&local)? - i128::from(offset) * 1_000_000;
    let day_micros = i128::from(MICROS_PER_DAY);
    let days = i64::try_from(micros.div_euclid(day_micros)).ok()?;
    let of_day = micros.rem_euclid(day_micros) as i64;
    let (year, month, day) = civil_from_days(days);
    let seconds = of_day / 1_000_000;
    let year = match year {
        10_000.. => format!("+{year}"),
        0.. => format!("{year:04}"),
        _ => format!("-{:04}", -year),
    };
    let mut out = format!(
        "{year}-{month:02}-{day:02}T{:02}:{:02}:{:02}",
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
/// An interval past 64 bits of microseconds (PostgreSQL's reach to
/// 178,000,000 years) is clamped, as Debezium's conversion to a Java long
/// clamps it.
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
    Some(saturate(total))
}

/// An interval as Debezium's `io.debezium.time.Interval` writes it (its
/// `toIsoString` of pgjdbc's `PGInterval` fields): `P<y>Y<m>M<d>DT<h>H<m>M<s>S`,
/// each field as PostgreSQL's text gives it (days and the clock are not
/// folded into months or days), the seconds without trailing zeros. `None`
/// for text that is not PostgreSQL's default (`postgres`) interval style.
pub fn interval_iso(text: &str) -> Option<String> {
    let (mut years, mut months, mut days) = (0_i64, 0_i64, 0_i64);
    let (mut hours, mut minutes, mut seconds) = (0_i64, 0_i64, String::from("0"));
    let mut tokens = text.split_whitespace();
    while let Some(token) = tokens.next() {
        if token.contains(':') {
            let (negative, clock) = match token.strip_prefix('-') {
                Some(rest) => (true, rest),
                None => (false, token.strip_prefix('+').unwrap_or(token)),
            };
            let mut parts = clock.splitn(3, ':');
            let sign = if negative { -1 } else { 1 };
            hours = sign * parts.next()?.parse::<i64>().ok()?;
            minutes = sign * parts.next()?.parse::<i64>().ok()?;
            let clock_seconds = parts.next()?;
            let (whole, fraction) = clock_seconds.split_once('.').unwrap_or((clock_seconds, ""));
            let fraction = fraction.trim_end_matches('0');
            let whole: i64 = if whole.is_empty() {
                0
            } else {
                whole.parse().ok()?
            };
            let magnitude = if fraction.is_empty() {
                whole.to_string()
            } else {
                format!("{whole}.{fraction}")
            };
            let zero = whole == 0 && fraction.is_empty();
            seconds = if negative && !zero {
                format!("-{magnitude}")
            } else {
                magnitude
            };
            continue;
        }
        let amount: i64 = token.parse().ok()?;
        match tokens.next()?.trim_end_matches('s') {
            "year" => years = amount,
            "mon" => months = amount,
            "day" => days = amount,
            _ => return None,
        }
    }
    Some(format!(
        "P{years}Y{months}M{days}DT{hours}H{minutes}M{seconds}S"
    ))
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
    fn every_date_postgresql_has_converts() {
        // The calendar's ends: 4713 BC and PostgreSQL's last date and timestamp.
        assert_eq!(date_days("4714-11-24 BC"), Some(-2_440_588));
        assert_eq!(date_days("5874897-12-31"), Some(2_145_042_905));
        assert_eq!(date_days("10000-01-01"), Some(2_932_897));
        assert_eq!(date_days("0044-03-15 BC"), Some(-735_160));
        assert_eq!(date_days("2023-02-29"), None);
        assert_eq!(
            timestamp_micros("10000-01-01 00:00:00"),
            Some(253_402_300_800_000_000)
        );
        // Past 64 bits of microseconds: clamped, not wrapped.
        let last = timestamp_micros("294276-12-31 23:59:59.999999").expect("converts");
        assert_eq!(saturate(last), i64::MAX);
        assert_eq!(saturate(last.div_euclid(1000)), 9_224_318_015_999_999);
        // Every day of 1,000 years on both sides of the epoch round-trips.
        for days in -200_000..200_000 {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), Some(days));
        }
    }

    #[test]
    fn zoned_timestamps_write_years_as_java_does() {
        assert_eq!(
            zoned_timestamp("21016-11-04 06:51:30+00", 6).as_deref(),
            Some("+21016-11-04T06:51:30.000000Z")
        );
        assert_eq!(
            zoned_timestamp("4714-12-31 23:59:59.999999+00 BC", 6).as_deref(),
            Some("-4713-12-31T23:59:59.999999Z")
        );
        assert_eq!(
            zoned_timestamp("0001-06-01 00:00:00+00 BC", 0).as_deref(),
            Some("0000-06-01T00:00:00Z")
        );
        assert_eq!(
            zoned_timestamp("0001-01-01 00:30:00+01 BC", 0).as_deref(),
            Some("-0001-12-31T23:30:00Z")
        );
        assert_eq!(
            zoned_timestamp("294276-12-31 23:59:59.999999+00", 6).as_deref(),
            Some("+294276-12-31T23:59:59.999999Z")
        );
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
    fn intervals_as_text_keep_each_field_as_postgresql_gives_it() {
        assert_eq!(
            interval_iso("1 year 2 mons 3 days 04:05:06.789").as_deref(),
            Some("P1Y2M3DT4H5M6.789S")
        );
        assert_eq!(
            interval_iso("-1 days +02:03:00").as_deref(),
            Some("P0Y0M-1DT2H3M0S")
        );
        assert_eq!(
            interval_iso("00:00:00.000001").as_deref(),
            Some("P0Y0M0DT0H0M0.000001S")
        );
        assert_eq!(
            interval_iso("-00:00:01.5").as_deref(),
            Some("P0Y0M0DT0H0M-1.5S")
        );
        assert_eq!(
            interval_iso("100 years 11 mons 30 days 25:59:59.999999").as_deref(),
            Some("P100Y11M30DT25H59M59.999999S")
        );
        assert_eq!(interval_iso("00:00:00").as_deref(), Some("P0Y0M0DT0H0M0S"));
        assert_eq!(interval_iso("3 fortnights"), None);
    }

    #[test]
    fn intervals_use_average_months_and_years() {
        assert_eq!(
            interval_micros("1 year 2 mons 3 days 04:05:06.789"),
            Some(37_091_106_789_000)
        );
        assert_eq!(interval_micros("-1 days -00:00:01"), Some(-86_401_000_000));
        assert_eq!(interval_micros("00:00:00"), Some(0));
        assert_eq!(interval_micros("300000 years"), Some(i64::MAX));
        assert_eq!(interval_micros("-178000000 years"), Some(i64::MIN));
    }
}
