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
    /// The call failed, or EventBridge refused some entries; a retry may help.
    #[error("{0}")]
    Failed(String),
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
                PublishError::Failed(format!(
                    "PutEvents failed: {}",
                    aws_sdk_eventbridge::error::DisplayErrorContext(e)
                ))
            })?;
        calls += 1;
        if out.failed_entry_count() > 0 {
            let reasons: Vec<String> = out
                .entries()
                .iter()
                .filter_map(|e| {
                    e.error_code()
                        .map(|code| format!("{code}: {}", e.error_message().unwrap_or_default()))
                })
                .collect();
            return Err(PublishError::Failed(format!(
                "EventBridge refused {} of {} entries ({})",
                out.failed_entry_count(),
                end - start,
                reasons.join("; ")
            )));
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
