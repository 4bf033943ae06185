//! PostgreSQL column types as Debezium represents them: the Kafka Connect
//! schema of each column and the conversion of PostgreSQL's text output
//! (what pgoutput and COPY send) into the JSON value Debezium writes.
//!
//! The mapping follows Debezium's PostgreSQL connector with its defaults
//! (`time.precision.mode=adaptive`, `decimal.handling.mode=precise`,
//! `binary.handling.mode=bytes`, `interval.handling.mode=numeric`) and the
//! alternatives for time and decimal handling. Types Debezium leaves out by
//! default (`include.unknown.datatypes=false`) are [`Kind::from_catalog`]
//! `None`: the column is left out of events.

use std::io::Write as _;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;

use super::decimal;
use super::temporal;
use super::unknown;

/// How temporal values are represented (`time.precision.mode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimePrecision {
    /// Milliseconds up to precision 3, microseconds above (Debezium's default).
    Adaptive,
    /// As adaptive, but `time` is always microseconds.
    AdaptiveTimeMicroseconds,
    /// Kafka Connect's own Date, Time and Timestamp (milliseconds).
    Connect,
}

/// How NUMERIC, DECIMAL and MONEY values are represented (`decimal.handling.mode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecimalHandling {
    /// Exact: Connect's Decimal (bytes), or Debezium's VariableScaleDecimal.
    Precise,
    /// A double.
    Double,
    /// The decimal's text.
    String,
}

/// How bytea values are written (`binary.handling.mode`, Debezium's
/// `BinaryHandlingMode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinaryHandling {
    /// Connect bytes (base64 in JSON).
    Bytes,
    /// A string: standard base64, padded.
    Base64,
    /// A string: URL-safe base64 (`-` and `_`), padded.
    Base64UrlSafe,
    /// A string: lower-case hexadecimal.
    Hex,
}

/// How hstore values are written (`hstore.handling.mode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HstoreHandling {
    /// A JSON object's text, io.debezium.data.Json (Debezium's default).
    Json,
    /// A Connect map of strings: a JSON object.
    Map,
}

/// How intervals are written (`interval.handling.mode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IntervalHandling {
    /// io.debezium.time.MicroDuration: microseconds, a year 365.25 days.
    Numeric,
    /// io.debezium.time.Interval: ISO 8601 text, `P1Y2M3DT4H5M6.78S`.
    String,
}

/// The handling modes that change how a column is represented.
#[derive(Debug, Clone, Copy)]
pub struct Modes {
    /// `time.precision.mode`.
    pub time: TimePrecision,
    /// `decimal.handling.mode`.
    pub decimal: DecimalHandling,
    /// `binary.handling.mode`.
    pub binary: BinaryHandling,
    /// `interval.handling.mode`.
    pub interval: IntervalHandling,
    /// `hstore.handling.mode`.
    pub hstore: HstoreHandling,
    /// `include.unknown.datatypes`: types Debezium has no representation
    /// for are carried as bytes rather than left out.
    pub include_unknown: bool,
    /// The decimal separator of money's text under the server's
    /// `lc_monetary` (see [`decimal::money_separator`]).
    pub money_separator: char,
}

/// What a column holds, as far as its event representation goes.
#[derive(Debug, Clone, PartialEq)]
pub enum Kind {
    /// boolean, and bit(1).
    Bool,
    /// int2.
    Int16,
    /// int4.
    Int32,
    /// int8 and oid.
    Int64,
    /// real.
    Float32,
    /// double precision, and decimals in `double` mode.
    Float64,
    /// Text kept as is; `name` is the Connect logical type, if any
    /// (io.debezium.data.Json, Uuid, Xml, Enum).
    Text {
        /// The logical type's name.
        name: Option<&'static str>,
        /// The enum's labels, for io.debezium.data.Enum.
        allowed: Option<String>,
    },
    /// A decimal's text (`decimal.handling.mode=string`); NaN and infinities
    /// by the names Debezium gives them (`NAN`, `POSITIVE_INFINITY`,
    /// `NEGATIVE_INFINITY`).
    PlainDecimalText,
    /// bytea, written as `binary.handling.mode` says.
    Bytes(BinaryHandling),
    /// Connect's Decimal: two's complement of the unscaled value at a fixed scale.
    Decimal {
        /// Digits after the point.
        scale: u32,
        /// Total digits, when the column declares them.
        precision: Option<u32>,
    },
    /// Debezium's VariableScaleDecimal: a numeric column without a declared scale.
    VariableDecimal,
    /// date: days since the epoch.
    Date {
        /// Connect's own Date instead of io.debezium.time.Date.
        connect: bool,
    },
    /// time in milliseconds.
    TimeMillis {
        /// Connect's own Time instead of io.debezium.time.Time.
        connect: bool,
    },
    /// time in microseconds.
    TimeMicros,
    /// timetz, as UTC text.
    ZonedTime,
    /// timestamp in milliseconds.
    TimestampMillis {
        /// Connect's own Timestamp instead of io.debezium.time.Timestamp.
        connect: bool,
    },
    /// timestamp in microseconds.
    TimestampMicros,
    /// timestamptz, as UTC text with this many fraction digits.
    ZonedTimestamp {
        /// Digits after the seconds.
        digits: u32,
    },
    /// interval in microseconds (a year is 365.25 days, a month 30.4375).
    MicroDuration,
    /// interval as ISO 8601 text (`interval.handling.mode=string`).
    Interval,
    /// bit(n > 1) and varbit: the bits, little-endian.
    Bits {
        /// The declared length.
        length: i32,
    },
    /// point, as Debezium's geometry Point.
    Point,
    /// hstore: a JSON object's text (io.debezium.data.Json), or a map.
    Hstore(HstoreHandling),
    /// PostGIS geometry, or geography: Debezium's
    /// io.debezium.data.geometry.Geometry (Geography) struct, `wkb` the
    /// value's extended WKB as PostgreSQL outputs it, `srid` the SRID it
    /// holds or null (Debezium's `PostgisGeometry.fromHexEwkb`).
    Geometry {
        /// Geography rather than geometry.
        geography: bool,
    },
    /// A type Debezium has no representation for, under
    /// `include.unknown.datatypes=true`: bytes holding its text (see
    /// [`super::unknown`]).
    Unknown {
        /// A geometric type, whose numbers PgJDBC rewrites.
        geometric: bool,
    },
    /// A one-dimensional array of another kind.
    Array(Box<Kind>),
    /// money: its text, whatever the server's `lc_monetary`, read as a plain
    /// decimal, then written as `inner` (Decimal, double or text, by
    /// `decimal.handling.mode`).
    Money {
        /// The decimal separator of the server's money text.
        separator: char,
        /// How the decimal is written.
        inner: Box<Kind>,
    },
}

/// A column's type as the catalog describes it.
#[derive(Debug, Clone)]
pub struct CatalogType<'a> {
    /// The type's OID (a domain's base type).
    pub oid: u32,
    /// The type modifier (-1: none).
    pub typmod: i32,
    /// For an array type, its element's OID.
    pub element: Option<u32>,
    /// For an enum type (or an array of one), the enum's labels in order,
    /// comma-separated.
    pub enum_labels: Option<&'a str>,
    /// The type's name (an array's element's): how extension types, whose
    /// OIDs differ from database to database, are known.
    pub name: Option<&'a str>,
}

impl Kind {
    /// The representation of a column of this type, or `None` for a type
    /// Debezium leaves out by default.
    pub fn from_catalog(ty: &CatalogType<'_>, modes: Modes) -> Option<Kind> {
        if let Some(element) = ty.element {
            // Arrays Debezium 3.6 leaves out ("Unexpected JDBC type"): of
            // varbit, money, name, interval, xml and point.
            if [1562, 790, 19, 1186, 142, 600].contains(&element) {
                return None;
            }
            let inner = Kind::from_catalog(
                &CatalogType {
                    oid: element,
                    typmod: ty.typmod,
                    element: None,
                    enum_labels: ty.enum_labels,
                    name: ty.name,
                },
                modes,
            )?;
            return match inner {
                // Debezium has no converter for arrays of unknown types.
                Kind::Array(_) | Kind::Unknown { .. } => None,
                inner => Some(Kind::Array(Box::new(inner))),
            };
        }
        if let Some(labels) = ty.enum_labels {
            return Some(Kind::Text {
                name: Some("io.debezium.data.Enum"),
                allowed: Some(labels.to_owned()),
            });
        }
        let text = |name| Kind::Text {
            name: Some(name),
            allowed: None,
        };
        let plain = Kind::Text {
            name: None,
            allowed: None,
        };
        let connect = modes.time == TimePrecision::Connect;
        // time and timestamp: the declared precision (-1: 6).
        let precision = if ty.typmod < 0 { 6 } else { ty.typmod };
        Some(match ty.oid {
            16 => Kind::Bool,
            17 => Kind::Bytes(modes.binary),
            20 | 26 => Kind::Int64,
            21 => Kind::Int16,
            23 => Kind::Int32,
            700 => Kind::Float32,
            701 => Kind::Float64,
            18 | 19 | 25 | 1042 | 1043 | 650 | 869 | 829 | 774 | 3904 | 3906 | 3908 | 3910
            | 3912 | 3926 => plain,
            114 | 3802 => text("io.debezium.data.Json"),
            142 => text("io.debezium.data.Xml"),
            3614 => text("io.debezium.data.Tsvector"),
            2950 => text("io.debezium.data.Uuid"),
            1700 => match modes.decimal {
                DecimalHandling::Double => Kind::Float64,
                DecimalHandling::String => Kind::PlainDecimalText,
                DecimalHandling::Precise if ty.typmod < 4 => Kind::VariableDecimal,
                DecimalHandling::Precise => {
                    let t = (ty.typmod - 4) as u32;
                    Kind::Decimal {
                        scale: t & 0xffff,
                        precision: Some(t >> 16),
                    }
                }
            },
            790 => Kind::Money {
                separator: modes.money_separator,
                inner: Box::new(match modes.decimal {
                    DecimalHandling::Double => Kind::Float64,
                    DecimalHandling::String => Kind::PlainDecimalText,
                    DecimalHandling::Precise => Kind::Decimal {
                        scale: 2,
                        precision: None,
                    },
                }),
            },
            1082 => Kind::Date { connect },
            1083 => match modes.time {
                TimePrecision::Connect => Kind::TimeMillis { connect: true },
                TimePrecision::Adaptive if precision <= 3 => Kind::TimeMillis { connect: false },
                _ => Kind::TimeMicros,
            },
            1266 => Kind::ZonedTime,
            1114 if connect || precision <= 3 => Kind::TimestampMillis { connect },
            1114 => Kind::TimestampMicros,
            1184 => Kind::ZonedTimestamp {
                digits: precision.clamp(0, 6) as u32,
            },
            1186 => match modes.interval {
                IntervalHandling::Numeric => Kind::MicroDuration,
                IntervalHandling::String => Kind::Interval,
            },
            // bit(1), and bit of no declared length (a column typed
            // `pg_catalog.bit`), are booleans to Debezium.
            1560 if ty.typmod <= 1 => Kind::Bool,
            // Debezium states an unbounded varbit's length as Java's Integer.MAX_VALUE.
            1560 | 1562 => Kind::Bits {
                length: if ty.typmod < 0 { i32::MAX } else { ty.typmod },
            },
            600 => Kind::Point,
            // Extension types, by name, as Debezium's PostgresType resolves
            // them (the isn types and lquery it leaves out).
            _ => match ty.name.unwrap_or_default() {
                "citext" => plain,
                "ltree" => text("io.debezium.data.Ltree"),
                "hstore" => Kind::Hstore(modes.hstore),
                "geometry" => Kind::Geometry { geography: false },
                "geography" => Kind::Geometry { geography: true },
                _ if modes.include_unknown => Kind::Unknown {
                    geometric: unknown::GEOMETRIC.contains(&ty.oid),
                },
                _ => return None,
            },
        })
    }

    /// Writes this kind's Connect schema fields (everything but `optional`,
    /// `default` and `field`, which depend on the column), in the order
    /// Kafka's JsonConverter writes them. `optional` is written by the caller
    /// between the type's own parts, so this returns two halves: before and
    /// after `optional`.
    pub fn schema_parts(&self) -> (String, String) {
        let logical = |ty: &str, name: &str| {
            (
                format!(r#""type":"{ty}""#),
                format!(r#","name":"{name}","version":1"#),
            )
        };
        match self {
            Kind::Bool => (r#""type":"boolean""#.into(), String::new()),
            Kind::Int16 => (r#""type":"int16""#.into(), String::new()),
            Kind::Int32 => (r#""type":"int32""#.into(), String::new()),
            Kind::Int64 => (r#""type":"int64""#.into(), String::new()),
            Kind::Float32 => (r#""type":"float""#.into(), String::new()),
            Kind::Float64 => (r#""type":"double""#.into(), String::new()),
            Kind::Bytes(BinaryHandling::Bytes) => (r#""type":"bytes""#.into(), String::new()),
            Kind::Bytes(_) => (r#""type":"string""#.into(), String::new()),
            Kind::PlainDecimalText
            | Kind::Text {
                name: None,
                allowed: None,
            } => (r#""type":"string""#.into(), String::new()),
            Kind::Text { name, allowed } => {
                let mut after = String::new();
                if let Some(name) = name {
                    after.push_str(&format!(r#","name":"{name}","version":1"#));
                }
                if let Some(allowed) = allowed {
                    after.push_str(&format!(
                        r#","parameters":{{"allowed":{}}}"#,
                        serde_json::Value::from(allowed.as_str())
                    ));
                }
                (r#""type":"string""#.into(), after)
            }
            Kind::Decimal { scale, precision } => {
                let mut params = format!(r#""scale":"{scale}""#);
                if let Some(p) = precision {
                    params.push_str(&format!(r#","connect.decimal.precision":"{p}""#));
                }
                (
                    r#""type":"bytes""#.into(),
                    format!(
                        r#","name":"org.apache.kafka.connect.data.Decimal","version":1,"parameters":{{{params}}}"#
                    ),
                )
            }
            Kind::VariableDecimal => (
                r#""type":"struct","fields":[{"type":"int32","optional":false,"field":"scale"},{"type":"bytes","optional":false,"field":"value"}]"#.into(),
                r#","name":"io.debezium.data.VariableScaleDecimal","version":1,"doc":"Variable scaled decimal""#.into(),
            ),
            Kind::Date { connect: false } => logical("int32", "io.debezium.time.Date"),
            Kind::Date { connect: true } => logical("int32", "org.apache.kafka.connect.data.Date"),
            Kind::TimeMillis { connect: false } => logical("int32", "io.debezium.time.Time"),
            Kind::TimeMillis { connect: true } => {
                logical("int32", "org.apache.kafka.connect.data.Time")
            }
            Kind::TimeMicros => logical("int64", "io.debezium.time.MicroTime"),
            Kind::ZonedTime => logical("string", "io.debezium.time.ZonedTime"),
            Kind::TimestampMillis { connect: false } => {
                logical("int64", "io.debezium.time.Timestamp")
            }
            Kind::TimestampMillis { connect: true } => {
                logical("int64", "org.apache.kafka.connect.data.Timestamp")
            }
            Kind::TimestampMicros => logical("int64", "io.debezium.time.MicroTimestamp"),
            Kind::ZonedTimestamp { .. } => logical("string", "io.debezium.time.ZonedTimestamp"),
            Kind::MicroDuration => logical("int64", "io.debezium.time.MicroDuration"),
            Kind::Interval => logical("string", "io.debezium.time.Interval"),
            Kind::Hstore(HstoreHandling::Json) => logical("string", "io.debezium.data.Json"),
            Kind::Hstore(HstoreHandling::Map) => (
                r#""type":"map","keys":{"type":"string","optional":false},"values":{"type":"string","optional":true}"#.into(),
                String::new(),
            ),
            Kind::Bits { length } => (
                r#""type":"bytes""#.into(),
                format!(
                    r#","name":"io.debezium.data.Bits","version":1,"parameters":{{"length":"{length}"}}"#
                ),
            ),
            Kind::Point => (
                r#""type":"struct","fields":[{"type":"double","optional":false,"field":"x"},{"type":"double","optional":false,"field":"y"},{"type":"bytes","optional":true,"field":"wkb"},{"type":"int32","optional":true,"field":"srid"}]"#.into(),
                r#","name":"io.debezium.data.geometry.Point","version":1,"doc":"Geometry (POINT)""#.into(),
            ),
            Kind::Geometry { geography } => {
                let name = if *geography { "Geography" } else { "Geometry" };
                (
                    r#""type":"struct","fields":[{"type":"bytes","optional":false,"field":"wkb"},{"type":"int32","optional":true,"field":"srid"}]"#.into(),
                    format!(r#","name":"io.debezium.data.geometry.{name}","version":1,"doc":"{name}""#),
                )
            }
            Kind::Unknown { .. } => (r#""type":"bytes""#.into(), String::new()),
            Kind::Money { inner, .. } => inner.schema_parts(),
            Kind::Array(inner) => {
                let (head, tail) = inner.schema_parts();
                // Debezium declares enum and tsvector elements required,
                // others optional.
                let optional = !matches!(
                    **inner,
                    Kind::Text {
                        allowed: Some(_),
                        ..
                    } | Kind::Text {
                        name: Some("io.debezium.data.Tsvector"),
                        ..
                    }
                );
                (
                    format!(
                        r#""type":"array","items":{{{head},"optional":{optional}{tail}}}"#
                    ),
                    String::new(),
                )
            }
        }
    }

    /// Writes the JSON value of PostgreSQL's text output `text` for this kind.
    pub fn write_value(&self, text: &str, out: &mut Vec<u8>) -> Result<(), String> {
        let bad = || format!("cannot read {text:?} as {self:?}");
        match self {
            Kind::Bool => out.extend_from_slice(match text {
                "t" | "true" | "1" => b"true",
                "f" | "false" | "0" => b"false",
                _ => return Err(bad()),
            }),
            Kind::Int16 | Kind::Int32 | Kind::Int64 => {
                let digits = text.strip_prefix('-').unwrap_or(text);
                if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(bad());
                }
                out.extend_from_slice(text.as_bytes());
            }
            Kind::Float32 => match special_float(text) {
                Some(s) => write_str(s, out),
                None => {
                    let v: f32 = text.parse().map_err(|_| bad())?;
                    write_json(&v, out);
                }
            },
            Kind::Float64 => match special_float(text) {
                Some(s) => write_str(s, out),
                None => {
                    let v: f64 = text.parse().map_err(|_| bad())?;
                    write_json(&v, out);
                }
            },
            Kind::Text { .. } => write_str(text, out),
            Kind::PlainDecimalText => match decimal::special_name(text) {
                Some(name) => write_str(name, out),
                None => write_str(text, out),
            },
            Kind::Bytes(binary) => {
                let hex = text.strip_prefix("\\x").ok_or_else(bad)?;
                write_binary(*binary, &decode_hex(hex).ok_or_else(bad)?, out);
            }
            Kind::Decimal { scale, .. } => {
                match decimal::unscaled_bytes(text, Some(*scale)) {
                    Some((bytes, _)) => write_base64(&bytes, out),
                    // Debezium cannot write NaN or infinities as a Decimal:
                    // it leaves the field null (event.converting.failure.handling.mode=warn).
                    None if decimal::special_name(text).is_some() => out.extend_from_slice(b"null"),
                    None => return Err(bad()),
                }
            }
            Kind::VariableDecimal => {
                match decimal::unscaled_bytes(decimal::trim_fraction(text), None) {
                    Some((bytes, scale)) => {
                        write!(out, r#"{{"scale":{scale},"value":""#).map_err(|_| bad())?;
                        append_base64(&bytes, out);
                        out.extend_from_slice(b"\"}");
                    }
                    None if decimal::special_name(text).is_some() => out.extend_from_slice(b"null"),
                    None => return Err(bad()),
                }
            }
            Kind::Date { .. } => {
                let days = temporal::date_days(text).ok_or_else(bad)?;
                write_json(&days, out);
            }
            Kind::TimeMillis { .. } => {
                let micros = temporal::time_micros(text).ok_or_else(bad)?;
                write_json(&(micros / 1000), out);
            }
            Kind::TimeMicros => {
                let micros = temporal::time_micros(text).ok_or_else(bad)?;
                write_json(&micros, out);
            }
            Kind::ZonedTime => write_str(&temporal::zoned_time(text).ok_or_else(bad)?, out),
            // PgJDBC's markers for infinity are microseconds; a millisecond
            // timestamp carries them in milliseconds, as Debezium's does.
            Kind::TimestampMillis { .. }
                if let Some(marker) = temporal::infinite_timestamp(text) =>
            {
                write_json(&(marker / 1000), out);
            }
            Kind::TimestampMicros if let Some(marker) = temporal::infinite_timestamp(text) => {
                write_json(&marker, out);
            }
            Kind::TimestampMillis { .. } => {
                let micros = temporal::timestamp_micros(text).ok_or_else(bad)?;
                write_json(&temporal::saturate(micros.div_euclid(1000)), out);
            }
            Kind::TimestampMicros => {
                let micros = temporal::timestamp_micros(text).ok_or_else(bad)?;
                write_json(&temporal::saturate(micros), out);
            }
            Kind::ZonedTimestamp { digits } => write_str(
                &temporal::zoned_timestamp(text, *digits).ok_or_else(bad)?,
                out,
            ),
            Kind::MicroDuration => {
                let micros = temporal::interval_micros(text).ok_or_else(bad)?;
                write_json(&micros, out);
            }
            Kind::Interval => write_str(&temporal::interval_iso(text).ok_or_else(bad)?, out),
            Kind::Hstore(HstoreHandling::Json) => {
                write_str(&hstore_json(text).ok_or_else(bad)?, out);
            }
            Kind::Hstore(HstoreHandling::Map) => {
                out.extend_from_slice(hstore_json(text).ok_or_else(bad)?.as_bytes());
            }
            Kind::Bits { .. } => write_base64(&bits_le(text).ok_or_else(bad)?, out),
            Kind::Point => {
                let (x, y) = parse_point(text).ok_or_else(bad)?;
                let mut wkb = Vec::with_capacity(21);
                wkb.push(1);
                wkb.extend_from_slice(&1u32.to_le_bytes());
                wkb.extend_from_slice(&x.to_le_bytes());
                wkb.extend_from_slice(&y.to_le_bytes());
                out.extend_from_slice(b"{\"x\":");
                write_double(x, out);
                out.extend_from_slice(b",\"y\":");
                write_double(y, out);
                out.extend_from_slice(b",\"wkb\":");
                write_base64(&wkb, out);
                out.extend_from_slice(b",\"srid\":null}");
            }
            Kind::Geometry { .. } => {
                let ewkb = decode_hex(text).ok_or_else(bad)?;
                out.extend_from_slice(b"{\"wkb\":");
                write_base64(&ewkb, out);
                out.extend_from_slice(b",\"srid\":");
                match ewkb_srid(&ewkb) {
                    Some(srid) => write_json(&srid, out),
                    None => out.extend_from_slice(b"null"),
                }
                out.push(b'}');
            }
            Kind::Unknown { geometric } => write_base64(
                unknown::text(text, *geometric).ok_or_else(bad)?.as_bytes(),
                out,
            ),
            Kind::Money { separator, inner } => {
                inner.write_value(&decimal::money_decimal(text, *separator), out)?
            }
            Kind::Array(_) if text.starts_with("{{") => {
                // A multi-dimensional array: Debezium writes one null per
                // element of the outer dimension, and so does Spillway.
                let outer = outer_length(text).ok_or_else(bad)?;
                out.push(b'[');
                for i in 0..outer {
                    if i > 0 {
                        out.push(b',');
                    }
                    out.extend_from_slice(b"null");
                }
                out.push(b']');
            }
            Kind::Array(inner) => {
                let elements = parse_array(text, inner.delimiter()).ok_or_else(bad)?;
                out.push(b'[');
                for (i, element) in elements.iter().enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    match element {
                        Some(e) => inner.write_value(e, out)?,
                        None => out.extend_from_slice(b"null"),
                    }
                }
                out.push(b']');
            }
        }
        Ok(())
    }

    /// The delimiter between elements of an array of this kind in
    /// PostgreSQL's text output (`pg_type.typdelim`): `:` for PostGIS
    /// types, `,` for the others captured.
    fn delimiter(&self) -> char {
        match self {
            Kind::Geometry { .. } => ':',
            _ => ',',
        }
    }

    /// The value Debezium puts in a required column that has no value and no
    /// default (a non-key column of an old row under REPLICA IDENTITY DEFAULT).
    pub fn zero(&self) -> &'static str {
        match self {
            Kind::Bool => "false",
            Kind::Int16
            | Kind::Int32
            | Kind::Int64
            | Kind::Date { .. }
            | Kind::TimeMillis { .. }
            | Kind::TimeMicros
            | Kind::TimestampMillis { .. }
            | Kind::TimestampMicros
            | Kind::MicroDuration => "0",
            Kind::Float32 | Kind::Float64 => "0.0",
            Kind::Array(_) => "[]",
            // Zero as Java's BigInteger writes it (one zero byte).
            Kind::Decimal { .. } => "\"AA==\"",
            Kind::Bytes(_) | Kind::Bits { .. } | Kind::Unknown { .. } => "\"\"",
            Kind::Interval => "\"P0Y0M0DT0H0M0S\"",
            Kind::VariableDecimal => r#"{"scale":0,"value":"AA=="}"#,
            // POINT(0 0), its WKB too.
            Kind::Point => r#"{"x":0.0,"y":0.0,"wkb":"AQEAAAAAAAAAAAAAAAAAAAAAAAAA","srid":null}"#,
            Kind::ZonedTime => "\"00:00:00Z\"",
            Kind::ZonedTimestamp { .. } => "\"1970-01-01T00:00:00Z\"",
            // An empty GEOMETRYCOLLECTION.
            Kind::Geometry { .. } => r#"{"wkb":"AQcAAAAAAAAA","srid":null}"#,
            Kind::Money { inner, .. } => inner.zero(),
            _ => "\"\"",
        }
    }

    /// What Debezium writes for a TOASTed value PostgreSQL did not send:
    /// `placeholder` (`unavailable.value.placeholder`) as the column's schema
    /// type holds it, as JSON: the text in a string (a bytea column's too,
    /// under a `binary.handling.mode` that makes it a string), its bytes in
    /// bytes. `None` for kinds that have no placeholder (they are written as
    /// their default or null).
    pub fn unavailable(&self, placeholder: &str) -> Option<String> {
        let mut out = Vec::new();
        match self {
            Kind::Bytes(BinaryHandling::Bytes) => write_base64(placeholder.as_bytes(), &mut out),
            Kind::Text { .. }
            | Kind::PlainDecimalText
            | Kind::Hstore(HstoreHandling::Json)
            | Kind::Bytes(_) => {
                write_str(placeholder, &mut out);
            }
            Kind::Money { inner, .. } => return inner.unavailable(placeholder),
            // Debezium writes an integer array's placeholder as the
            // placeholder's bytes, one number each.
            Kind::Array(inner) if matches!(**inner, Kind::Int16 | Kind::Int32 | Kind::Int64) => {
                let bytes: Vec<u8> = placeholder.bytes().collect();
                write_json(&bytes, &mut out);
            }
            Kind::Array(inner) if matches!(**inner, Kind::Text { .. }) => {
                out.push(b'[');
                write_str(placeholder, &mut out);
                out.push(b']');
            }
            _ => return None,
        }
        String::from_utf8(out).ok()
    }
}

/// The SRID an extended WKB value holds: after its byte order (1: little
/// endian) and its type, whose flag 0x20000000 says an SRID follows.
fn ewkb_srid(ewkb: &[u8]) -> Option<i32> {
    let word = |at: usize| -> Option<[u8; 4]> { ewkb.get(at..at + 4)?.try_into().ok() };
    let little = *ewkb.first()? == 1;
    let read = |bytes: [u8; 4]| {
        if little {
            u32::from_le_bytes(bytes)
        } else {
            u32::from_be_bytes(bytes)
        }
    };
    if read(word(1)?) & 0x2000_0000 == 0 {
        return None;
    }
    Some(read(word(5)?) as i32)
}

fn append_base64(bytes: &[u8], out: &mut Vec<u8>) {
    let start = out.len();
    out.resize(
        start + base64::encoded_len(bytes.len(), true).unwrap_or(0),
        0,
    );
    let written = BASE64
        .encode_slice(bytes, &mut out[start..])
        .unwrap_or_default();
    out.truncate(start + written);
}

fn write_base64(bytes: &[u8], out: &mut Vec<u8>) {
    out.push(b'"');
    append_base64(bytes, out);
    out.push(b'"');
}

/// Bytes as a JSON string in `binary`'s encoding (Java's `Base64.getEncoder`,
/// `getUrlEncoder` or Debezium's `HexConverter`).
pub fn write_binary(binary: BinaryHandling, bytes: &[u8], out: &mut Vec<u8>) {
    match binary {
        BinaryHandling::Bytes | BinaryHandling::Base64 => write_base64(bytes, out),
        BinaryHandling::Base64UrlSafe => {
            let text = base64::engine::general_purpose::URL_SAFE.encode(bytes);
            write_str(&text, out);
        }
        BinaryHandling::Hex => {
            const DIGITS: &[u8; 16] = b"0123456789abcdef";
            out.push(b'"');
            for byte in bytes {
                out.push(DIGITS[usize::from(byte >> 4)]);
                out.push(DIGITS[usize::from(byte & 0x0f)]);
            }
            out.push(b'"');
        }
    }
}

/// An hstore's text (`"k"=>"v", "n"=>NULL`) as the text of a JSON object
/// (`{"k":"v","n":null}`), in the hstore's order, as Debezium writes it.
fn hstore_json(text: &str) -> Option<String> {
    /// A double-quoted hstore string from the start of `rest`, and what follows.
    fn quoted(rest: &str) -> Option<(String, &str)> {
        let mut chars = rest.strip_prefix('"')?.char_indices();
        let mut value = String::new();
        while let Some((i, c)) = chars.next() {
            match c {
                '\\' => value.push(chars.next()?.1),
                '"' => return Some((value, &rest[i + 2..])),
                c => value.push(c),
            }
        }
        None
    }
    let mut entries = serde_json::Map::new();
    let mut rest = text.trim_start();
    while !rest.is_empty() {
        let (key, after) = quoted(rest)?;
        let after = after.trim_start().strip_prefix("=>")?.trim_start();
        let (value, after) = match after.strip_prefix("NULL") {
            Some(after) => (serde_json::Value::Null, after),
            None => {
                let (value, after) = quoted(after)?;
                (serde_json::Value::String(value), after)
            }
        };
        entries.insert(key, value);
        let after = after.trim_start();
        rest = match after.strip_prefix(',') {
            Some(next) => next.trim_start(),
            None if after.is_empty() => after,
            None => return None,
        };
    }
    serde_json::to_string(&entries).ok()
}

/// Writes `s` as a JSON string.
pub fn write_str(s: &str, out: &mut Vec<u8>) {
    write_json(s, out);
}

fn write_json<T: serde::Serialize + ?Sized>(value: &T, out: &mut Vec<u8>) {
    // Writing numbers and strings to a Vec cannot fail.
    let _ = serde_json::to_writer(out, value);
}

/// A double as Kafka's JsonConverter writes it: NaN and the infinities as
/// strings (JSON has no number for them).
fn write_double(value: f64, out: &mut Vec<u8>) {
    match value {
        v if v.is_nan() => write_str("NaN", out),
        f64::INFINITY => write_str("Infinity", out),
        f64::NEG_INFINITY => write_str("-Infinity", out),
        v => write_json(&v, out),
    }
}

fn special_float(text: &str) -> Option<&'static str> {
    match text {
        "NaN" => Some("NaN"),
        "Infinity" => Some("Infinity"),
        "-Infinity" => Some("-Infinity"),
        _ => None,
    }
}

fn decode_hex(hex: &str) -> Option<Vec<u8>> {
    let digit = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    let (pairs, rest) = hex.as_bytes().as_chunks::<2>();
    if !rest.is_empty() {
        return None;
    }
    pairs
        .iter()
        .map(|&[high, low]| Some(digit(high)? << 4 | digit(low)?))
        .collect()
}

/// A bit string's value as little-endian bytes without trailing zero bytes
/// (Java's `BitSet.toByteArray`, which Debezium uses).
fn bits_le(text: &str) -> Option<Vec<u8>> {
    let mut bytes = vec![0u8; text.len().div_ceil(8)];
    for (i, c) in text.bytes().rev().enumerate() {
        match c {
            b'1' => bytes[i / 8] |= 1 << (i % 8),
            b'0' => {}
            _ => return None,
        }
    }
    while bytes.last() == Some(&0) {
        bytes.pop();
    }
    Some(bytes)
}

fn parse_point(text: &str) -> Option<(f64, f64)> {
    let inner = text.strip_prefix('(')?.strip_suffix(')')?;
    let (x, y) = inner.split_once(',')?;
    Some((x.trim().parse().ok()?, y.trim().parse().ok()?))
}

/// The number of elements of the outer dimension of an array literal.
fn outer_length(text: &str) -> Option<usize> {
    let inner = text.strip_prefix('{')?.strip_suffix('}')?;
    if inner.is_empty() {
        return Some(0);
    }
    let (mut depth, mut quoted, mut escaped, mut count) = (0usize, false, false, 1);
    for c in inner.chars() {
        match c {
            _ if escaped => escaped = false,
            '\\' if quoted => escaped = true,
            '"' => quoted = !quoted,
            '{' if !quoted => depth += 1,
            '}' if !quoted => depth = depth.checked_sub(1)?,
            ',' if !quoted && depth == 0 => count += 1,
            _ => {}
        }
    }
    Some(count)
}

/// The elements of a one-dimensional array in PostgreSQL's text output
/// (`{1,2,NULL}`, `{"a b","c\"d"}`), separated by `delimiter`; `None`
/// elements are NULLs.
fn parse_array(text: &str, delimiter: char) -> Option<Vec<Option<String>>> {
    let inner = text.strip_prefix('{')?.strip_suffix('}')?;
    let mut elements = Vec::new();
    if inner.is_empty() {
        return Some(elements);
    }
    let mut chars = inner.chars().peekable();
    loop {
        if chars.peek() == Some(&'"') {
            chars.next();
            let mut element = String::new();
            loop {
                match chars.next()? {
                    '\\' => element.push(chars.next()?),
                    '"' => break,
                    c => element.push(c),
                }
            }
            elements.push(Some(element));
        } else {
            let mut element = String::new();
            while let Some(&c) = chars.peek() {
                if c == delimiter {
                    break;
                }
                if c == '{' {
                    return None; // more than one dimension
                }
                element.push(c);
                chars.next();
            }
            elements.push((element != "NULL").then_some(element));
        }
        match chars.next() {
            Some(c) if c == delimiter => continue,
            None => return Some(elements),
            Some(_) => return None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(kind: &Kind, text: &str) -> String {
        let mut out = Vec::new();
        kind.write_value(text, &mut out).expect("value converts");
        String::from_utf8(out).expect("utf-8")
    }

    #[test]
    fn geometry_carries_its_ewkb_and_the_srid_it_holds() {
        let geometry = Kind::Geometry { geography: false };
        // SRID=4326;POINT(1 2), little and big endian; POINT(1 2) without SRID.
        assert_eq!(
            json(
                &geometry,
                "0101000020E6100000000000000000F03F0000000000000040"
            ),
            r#"{"wkb":"AQEAACDmEAAAAAAAAAAA8D8AAAAAAAAAQA==","srid":4326}"#
        );
        assert_eq!(
            ewkb_srid(&decode_hex("0020000001000010E63FF00000000000004000000000000000").unwrap()),
            Some(4326)
        );
        assert_eq!(
            json(&geometry, "0101000000000000000000F03F0000000000000040"),
            r#"{"wkb":"AQEAAAAAAAAAAADwPwAAAAAAAABA","srid":null}"#
        );
        assert!(geometry.write_value("not hex", &mut Vec::new()).is_err());
    }

    #[test]
    fn hstore_becomes_a_json_object_in_its_order() {
        assert_eq!(
            hstore_json(r#""a"=>"1", "b c"=>"d e", "nul"=>NULL"#).as_deref(),
            Some(r#"{"a":"1","b c":"d e","nul":null}"#)
        );
        assert_eq!(
            hstore_json(r#""k"=>"quote\"d", "empty"=>"""#).as_deref(),
            Some(r#"{"k":"quote\"d","empty":""}"#)
        );
        assert_eq!(hstore_json("").as_deref(), Some("{}"));
        assert_eq!(hstore_json(r#""a"=>"#), None);
    }

    #[test]
    fn bytea_is_written_in_each_binary_handling_mode() {
        // 0xfb 0xff 0xbf: base64 "+/+/", URL-safe "-_-_" (Java's encoders, padded).
        let value = "\\xfbffbf";
        let mode = |binary| Kind::Bytes(binary);
        assert_eq!(json(&mode(BinaryHandling::Bytes), value), r#""+/+/""#);
        assert_eq!(json(&mode(BinaryHandling::Base64), value), r#""+/+/""#);
        assert_eq!(
            json(&mode(BinaryHandling::Base64UrlSafe), value),
            r#""-_-_""#
        );
        assert_eq!(json(&mode(BinaryHandling::Hex), value), r#""fbffbf""#);
        assert_eq!(
            json(&mode(BinaryHandling::Base64UrlSafe), "\\xfb"),
            r#""-w==""#
        );
        // The placeholder of an unchanged TOASTed value: bytes in bytes, text in a string.
        assert_eq!(
            mode(BinaryHandling::Bytes).unavailable("__gone").as_deref(),
            Some(r#""X19nb25l""#)
        );
        assert_eq!(
            mode(BinaryHandling::Hex).unavailable("__gone").as_deref(),
            Some(r#""__gone""#)
        );
    }

    #[test]
    fn bits_are_little_endian_without_trailing_zero_bytes() {
        let bits = Kind::Bits { length: 12 };
        assert_eq!(json(&bits, "101000000001"), r#""AQo=""#);
        assert_eq!(json(&bits, "000000000000"), r#""""#);
        assert_eq!(json(&bits, "1111111111111111"), r#""//8=""#);
    }

    #[test]
    fn arrays_handle_quotes_and_nulls() {
        let text = Kind::Array(Box::new(Kind::Text {
            name: None,
            allowed: None,
        }));
        assert_eq!(
            json(&text, r#"{"with,comma","with\"quote",NULL,plain}"#),
            r#"["with,comma","with\"quote",null,"plain"]"#
        );
        assert_eq!(json(&Kind::Array(Box::new(Kind::Int32)), "{}"), "[]");
    }

    #[test]
    fn multi_dimensional_arrays_are_nulls_as_in_debezium() {
        let ints = Kind::Array(Box::new(Kind::Int32));
        assert_eq!(json(&ints, "{{1,2},{3,4}}"), "[null,null]");
        assert_eq!(json(&ints, r#"{{"a,}",2}}"#), "[null]");
        assert_eq!(outer_length("{{1},{2},{3}}"), Some(3));
    }

    #[test]
    fn enum_array_elements_are_required() {
        let moods = Kind::Array(Box::new(Kind::Text {
            name: Some("io.debezium.data.Enum"),
            allowed: Some("sad,ok".to_owned()),
        }));
        assert!(moods.schema_parts().0.contains(r#""optional":false"#));
        let ints = Kind::Array(Box::new(Kind::Int32));
        assert!(ints.schema_parts().0.contains(r#""optional":true"#));
    }

    #[test]
    fn point_carries_its_well_known_binary() {
        assert_eq!(
            json(&Kind::Point, "(1.5,-2.25)"),
            r#"{"x":1.5,"y":-2.25,"wkb":"AQEAAAAAAAAAAAD4PwAAAAAAAALA","srid":null}"#
        );
    }

    #[test]
    fn floats_keep_their_single_precision_text() {
        assert_eq!(json(&Kind::Float32, "0.1"), "0.1");
        assert_eq!(json(&Kind::Float32, "NaN"), r#""NaN""#);
        assert_eq!(json(&Kind::Float64, "-1.5e+300"), "-1.5e+300");
    }
}
