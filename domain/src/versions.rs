//! Event versions. Every stored event carries its type and version; when an
//! event's shape changes, its version goes up and an upcaster here turns a
//! payload of the version before into the new one. Stored events are never
//! rewritten: every reader — the aggregates, the projections, replay — gets
//! events through the store's read path, which upcasts them (see
//! `StoredEvent::upcast` in the infra crate), so each reads only the
//! current shape.

use serde_json::{Map, Value};

/// Turns a payload of `event_type` at version `from` into version `from + 1`.
struct Upcaster {
    event_type: &'static str,
    from: u32,
    apply: fn(&mut Map<String, Value>),
}

/// Every change of an event's shape, oldest first.
const UPCASTERS: &[Upcaster] = &[
    // v2: the field holds the payment gateway's decline code, and is named so.
    Upcaster { event_type: "PaymentDeclined", from: 1, apply: |payload| rename(payload, "reason", "decline_code") },
];

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UpcastError {
    #[error("{event_type} has version {version:?}, not a number")]
    NotANumber { event_type: String, version: String },
    #[error("{event_type} version {version} is newer than this build reads (up to {current})")]
    Newer { event_type: String, version: u32, current: u32 },
    #[error("{event_type} version {version} has no upcaster to version {}", .version + 1)]
    Gap { event_type: String, version: u32 },
    #[error("a {event_type} payload is not a JSON object")]
    NotAnObject { event_type: String },
}

/// The version events of `event_type` are written at now (1 until its shape first changes).
pub fn current(event_type: &str) -> u32 {
    UPCASTERS.iter().filter(|u| u.event_type == event_type).map(|u| u.from + 1).max().unwrap_or(1)
}

/// Bring `payload`, an `event_type` stored at `version`, to the current
/// version, one upcaster at a time; returns that version.
pub fn upcast(event_type: &str, version: &str, payload: &mut Value) -> Result<u32, UpcastError> {
    let mut at: u32 = version
        .parse()
        .map_err(|_| UpcastError::NotANumber { event_type: event_type.to_owned(), version: version.to_owned() })?;
    let current = current(event_type);
    if at > current {
        return Err(UpcastError::Newer { event_type: event_type.to_owned(), version: at, current });
    }
    while at < current {
        let upcaster = UPCASTERS
            .iter()
            .find(|u| u.event_type == event_type && u.from == at)
            .ok_or_else(|| UpcastError::Gap { event_type: event_type.to_owned(), version: at })?;
        let Value::Object(fields) = payload else {
            return Err(UpcastError::NotAnObject { event_type: event_type.to_owned() });
        };
        (upcaster.apply)(fields);
        at += 1;
    }
    Ok(at)
}

/// Move the field `from` to `to`, if there.
fn rename(fields: &mut Map<String, Value>, from: &str, to: &str) {
    if let Some(value) = fields.remove(from) {
        fields.insert(to.to_owned(), value);
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_declined_payment_of_version_1_reads_as_version_2() {
        let mut payload = json!({"type": "PaymentDeclined", "reason": "card_declined"});
        assert_eq!(upcast("PaymentDeclined", "1", &mut payload), Ok(2));
        assert_eq!(payload, json!({"type": "PaymentDeclined", "decline_code": "card_declined"}));
    }

    #[test]
    fn a_current_event_is_left_as_it_is() {
        let mut payload = json!({"type": "PaymentDeclined", "decline_code": "card_declined"});
        assert_eq!(upcast("PaymentDeclined", "2", &mut payload), Ok(2));
        assert_eq!(payload["decline_code"], "card_declined");
        let mut created = json!({"type": "ProductCreated", "sku": "MUG-1"});
        assert_eq!(upcast("ProductCreated", "1", &mut created), Ok(1));
        assert_eq!(created, json!({"type": "ProductCreated", "sku": "MUG-1"}));
    }

    #[test]
    fn a_version_this_build_cannot_read_is_refused_by_name() {
        let mut payload = json!({});
        assert!(matches!(upcast("PaymentDeclined", "3", &mut payload), Err(UpcastError::Newer { current: 2, .. })));
        assert!(matches!(upcast("PaymentDeclined", "two", &mut payload), Err(UpcastError::NotANumber { .. })));
        assert!(matches!(upcast("PaymentDeclined", "1", &mut json!([])), Err(UpcastError::NotAnObject { .. })));
    }

    #[test]
    fn every_upcaster_chain_starts_at_1_without_gaps() {
        for upcaster in UPCASTERS {
            let mut payload = json!({});
            assert_eq!(upcast(upcaster.event_type, "1", &mut payload), Ok(current(upcaster.event_type)));
        }
    }
}
