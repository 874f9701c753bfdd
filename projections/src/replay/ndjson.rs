//! One JSON object per event per line: the export's plain-text format, and
//! the body of `GET /api/v1/events`. Each line is
//! `{"position","aggregate_type","aggregate_id","sequence","type","version","metadata","payload"}`,
//! the metadata and payload as the store holds them.

use std::borrow::Cow;
use std::io::Write;

use cartcast_infra::store::RawEvent;

use super::{ReplayError, Sink};

/// Writes each event as one line.
pub struct Ndjson<W: Write> {
    out: W,
}

impl<W: Write> Ndjson<W> {
    pub fn new(out: W) -> Self {
        Self { out }
    }

    /// The writer, to add what follows the events (a page's last line).
    pub fn into_inner(self) -> W {
        self.out
    }
}

impl<W: Write> Sink for Ndjson<W> {
    fn write(&mut self, event: &RawEvent) -> Result<(), ReplayError> {
        let out = &mut self.out;
        write!(out, "{{\"position\":{},\"aggregate_type\":", event.position)?;
        serde_json::to_writer(&mut *out, &event.aggregate_type)?;
        out.write_all(b",\"aggregate_id\":")?;
        serde_json::to_writer(&mut *out, &event.aggregate_id)?;
        write!(out, ",\"sequence\":{},\"type\":", event.sequence)?;
        serde_json::to_writer(&mut *out, &event.event_type)?;
        out.write_all(b",\"version\":")?;
        serde_json::to_writer(&mut *out, &event.event_version)?;
        out.write_all(b",\"metadata\":")?;
        out.write_all(one_line(&event.metadata)?.as_bytes())?;
        out.write_all(b",\"payload\":")?;
        out.write_all(one_line(&event.payload)?.as_bytes())?;
        out.write_all(b"}\n")?;
        Ok(())
    }

    fn finish(&mut self) -> Result<(), ReplayError> {
        Ok(self.out.flush()?)
    }
}

/// `json` on one line: as it is (the stores write compact JSON), or written
/// again compactly if it spans lines.
fn one_line(json: &str) -> Result<Cow<'_, str>, serde_json::Error> {
    let bytes = json.as_bytes();
    if !bytes.contains(&b'\n') && !bytes.contains(&b'\r') {
        return Ok(Cow::Borrowed(json));
    }
    Ok(Cow::Owned(serde_json::to_string(&serde_json::from_str::<serde_json::Value>(json)?)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_is_the_event_with_its_json_as_stored() {
        let event = RawEvent {
            position: 7,
            aggregate_type: "Product".into(),
            aggregate_id: "p\"1".into(),
            sequence: 2,
            event_type: "StockAdded".into(),
            event_version: "1".into(),
            payload: r#"{"type":"StockAdded","added":3}"#.into(),
            metadata: "{\n  \"actor\": \"ann\"\n}".into(),
        };
        let mut sink = Ndjson::new(Vec::new());
        sink.write(&event).unwrap();
        let text = String::from_utf8(sink.into_inner()).unwrap();
        assert_eq!(text.lines().count(), 1, "{text}");
        let line: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            line,
            serde_json::json!({
                "position": 7, "aggregate_type": "Product", "aggregate_id": "p\"1", "sequence": 2,
                "type": "StockAdded", "version": "1", "metadata": {"actor": "ann"},
                "payload": {"type": "StockAdded", "added": 3},
            })
        );
    }
}
