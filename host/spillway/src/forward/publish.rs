//! Publishing a batch's events with PutEvents, within EventBridge's limits:
//! at most 10 entries and 256 KB per call, in order.

use aws_sdk_eventbridge::Client;
use aws_sdk_eventbridge::primitives::DateTime;
use aws_sdk_eventbridge::types::PutEventsRequestEntry;
use spillway_plugin::transformer::BusEvent;

/// Most entries per PutEvents call.
const MAX_ENTRIES: usize = 10;
/// Most bytes per PutEvents call, counted as EventBridge counts them.
const MAX_BYTES: usize = 256 * 1024;

/// Why a batch was not (entirely) published.
#[derive(Debug, thiserror::Error)]
pub enum PublishError {
    /// One event is over EventBridge's size limit by itself; retrying cannot help.
    #[error("event {index} of the batch is {size} bytes, over EventBridge's limit of {MAX_BYTES}")]
    TooLarge {
        /// Its position in the batch.
        index: usize,
        /// Its size as EventBridge counts it.
        size: usize,
    },
    /// A `time` the plugin returned is not an RFC 3339 timestamp.
    #[error("event {index} of the batch has time '{time}', which is not an RFC 3339 timestamp")]
    BadTime {
        /// Its position in the batch.
        index: usize,
        /// The time given.
        time: String,
    },
    /// EventBridge answered the call with an error (permissions, a missing
    /// bus, a bad request); fixing that outside may help.
    #[error("{0}")]
    Failed(String),
    /// EventBridge could not be reached, or failed on its side (no answer, a
    /// network error, throttling, a 5xx): nothing is known of the entries.
    #[error("{0}")]
    Unreachable(String),
    /// EventBridge refused some entries. `permanent` when every refusal is
    /// about the entry itself ([`PERMANENT_CODES`]), which no retry fixes.
    #[error("{message}")]
    Refused {
        /// The refusals, with EventBridge's codes and messages.
        message: String,
        /// Whether every refusal is about the entry itself.
        permanent: bool,
    },
}

/// PutEvents entry error codes that are about the entry itself: sending it
/// again gets the same answer. Other codes (throttling, internal errors,
/// permissions, a missing bus) may clear up.
pub const PERMANENT_CODES: &[&str] = &["MalformedDetail", "InvalidArgument"];

impl PublishError {
    /// Whether trying again cannot help: an event itself is at fault.
    pub fn is_permanent(&self) -> bool {
        match self {
            PublishError::TooLarge { .. } | PublishError::BadTime { .. } => true,
            PublishError::Refused { permanent, .. } => *permanent,
            PublishError::Failed(_) | PublishError::Unreachable(_) => false,
        }
    }
}

/// An entry's size as EventBridge counts it.
fn size(event: &BusEvent) -> usize {
    let time = if event.time.is_some() { 14 } else { 0 };
    time + event.source.len()
        + event.detail_type.len()
        + event.detail.len()
        + event.resources.iter().map(String::len).sum::<usize>()
}

/// Publishes `events` in order, in as few calls as the limits allow. Stops at the
/// first call with a failed entry: the caller retries the batch (at least once).
pub async fn publish(eventbridge: &Client, events: &[BusEvent]) -> Result<usize, PublishError> {
    let mut calls = 0;
    let mut start = 0;
    while start < events.len() {
        let mut end = start;
        let mut bytes = 0;
        while end < events.len() && end - start < MAX_ENTRIES {
            let entry = size(&events[end]);
            if entry > MAX_BYTES {
                return Err(PublishError::TooLarge {
                    index: end,
                    size: entry,
                });
            }
            if bytes + entry > MAX_BYTES {
                break;
            }
            bytes += entry;
            end += 1;
        }
        let entries = events[start..end]
            .iter()
            .enumerate()
            .map(|(i, event)| entry(start + i, event))
            .collect::<Result<Vec<_>, _>>()?;
        let out = eventbridge
            .put_events()
            .set_entries(Some(entries))
            .send()
            .await
            .map_err(|e| {
                let answered = e.raw_response().is_some_and(|r| {
                    let status = r.status().as_u16();
                    (400..500).contains(&status) && status != 429
                });
                let throttled = e
                    .as_service_error()
                    .and_then(aws_sdk_eventbridge::error::ProvideErrorMetadata::code)
                    .is_some_and(|code| code.contains("Throttl"));
                let text = format!(
                    "PutEvents failed: {}",
                    aws_sdk_eventbridge::error::DisplayErrorContext(e)
                );
                if answered && !throttled {
                    PublishError::Failed(text)
                } else {
                    PublishError::Unreachable(text)
                }
            })?;
        calls += 1;
        if out.failed_entry_count() > 0 {
            let codes: Vec<&str> = out
                .entries()
                .iter()
                .filter_map(|e| e.error_code())
                .collect();
            let reasons: Vec<String> = out
                .entries()
                .iter()
                .filter_map(|e| {
                    e.error_code()
                        .map(|code| format!("{code}: {}", e.error_message().unwrap_or_default()))
                })
                .collect();
            return Err(PublishError::Refused {
                message: format!(
                    "EventBridge refused {} of {} entries ({})",
                    out.failed_entry_count(),
                    end - start,
                    reasons.join("; ")
                ),
                permanent: !codes.is_empty() && codes.iter().all(|c| PERMANENT_CODES.contains(c)),
            });
        }
        start = end;
    }
    Ok(calls)
}

fn entry(index: usize, event: &BusEvent) -> Result<PutEventsRequestEntry, PublishError> {
    let time = match &event.time {
        Some(time) => Some(
            DateTime::from_str(
                time,
                aws_sdk_eventbridge::primitives::DateTimeFormat::DateTime,
            )
            .map_err(|_| PublishError::BadTime {
                index,
                time: time.clone(),
            })?,
        ),
        None => None,
    };
    Ok(PutEventsRequestEntry::builder()
        .source(&event.source)
        .detail_type(&event.detail_type)
        .detail(&event.detail)
        .event_bus_name(&event.bus_name)
        .set_resources(Some(event.resources.clone()).filter(|r| !r.is_empty()))
        .set_time(time)
        .build())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(detail_bytes: usize) -> BusEvent {
        BusEvent {
            source: "s".into(),
            detail_type: "d".into(),
            detail: "x".repeat(detail_bytes),
            bus_name: "b".into(),
            time: None,
            resources: Vec::new(),
        }
    }

    #[test]
    fn sizes_are_counted_as_eventbridge_counts_them() {
        assert_eq!(size(&event(10)), 12);
        let mut timed = event(10);
        timed.time = Some("2026-01-01T00:00:00Z".into());
        timed.resources = vec!["arn".into()];
        assert_eq!(size(&timed), 12 + 14 + 3);
    }

    #[test]
    fn only_failures_of_the_events_themselves_are_permanent() {
        assert!(
            PublishError::TooLarge {
                index: 0,
                size: 300_000
            }
            .is_permanent()
        );
        let malformed = PublishError::Refused {
            message: String::new(),
            permanent: true,
        };
        assert!(malformed.is_permanent());
        assert!(!PublishError::Failed("AccessDenied".into()).is_permanent());
        assert!(!PublishError::Unreachable("503".into()).is_permanent());
    }

    #[test]
    fn a_bad_time_is_named() {
        let mut bad = event(1);
        bad.time = Some("yesterday".into());
        assert!(matches!(
            entry(3, &bad),
            Err(PublishError::BadTime { index: 3, .. })
        ));
        let mut good = event(1);
        good.time = Some("2026-11-24T06:00:00Z".into());
        assert!(entry(0, &good).is_ok());
    }
}
