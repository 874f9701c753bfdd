//! What happened to a show.

use chrono::{DateTime, Utc};
use cqrs_es::DomainEvent;

#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(tag = "type", rename_all = "PascalCase")]
pub enum ShowEvent {
    ShowScheduled {
        show_id: String,
        creator: String,
        title: String,
        scheduled_at: Option<DateTime<Utc>>,
        product_ids: Vec<String>,
    },
    ProductsAttached {
        product_ids: Vec<String>,
    },
    ProductPinned {
        product_id: String,
    },
    ShowWentLive {
        at: DateTime<Utc>,
    },
    ShowEnded {
        at: DateTime<Utc>,
    },
}

impl DomainEvent for ShowEvent {
    fn event_type(&self) -> String {
        match self {
            ShowEvent::ShowScheduled { .. } => "ShowScheduled",
            ShowEvent::ProductsAttached { .. } => "ProductsAttached",
            ShowEvent::ProductPinned { .. } => "ProductPinned",
            ShowEvent::ShowWentLive { .. } => "ShowWentLive",
            ShowEvent::ShowEnded { .. } => "ShowEnded",
        }
        .to_owned()
    }

    fn event_version(&self) -> String {
        "1".to_owned()
    }
}
