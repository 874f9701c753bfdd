//! A live show: scheduled → live → ended, the products it sells and the one
//! currently pinned on screen.

use chrono::{DateTime, Utc};
use cqrs_es::event_sink::EventSink;
use cqrs_es::{Aggregate, DomainEvent};

#[derive(Debug, Clone, PartialEq)]
pub enum ShowCommand {
    Schedule {
        show_id: String,
        creator: String,
        title: String,
        scheduled_at: Option<DateTime<Utc>>,
        product_ids: Vec<String>,
    },
    AttachProducts { actor: String, product_ids: Vec<String> },
    Pin { actor: String, product_id: String },
    GoLive { at: DateTime<Utc> },
    End { at: DateTime<Utc> },
}

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
    ProductsAttached { product_ids: Vec<String> },
    ProductPinned { product_id: String },
    ShowWentLive { at: DateTime<Utc> },
    ShowEnded { at: DateTime<Utc> },
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

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ShowStatus {
    #[default]
    New,
    Scheduled,
    Live,
    Ended,
}

impl ShowStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ShowStatus::New => "new",
            ShowStatus::Scheduled => "scheduled",
            ShowStatus::Live => "live",
            ShowStatus::Ended => "ended",
        }
    }
}

#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct Show {
    pub show_id: String,
    pub creator: String,
    pub status: ShowStatus,
    pub product_ids: Vec<String>,
    pub pinned: Option<String>,
}

/// A show may list at most this many products.
const MAX_PRODUCTS: usize = 100;

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ShowError {
    #[error("show already exists")]
    AlreadyExists,
    #[error("show not found")]
    NotFound,
    #[error("only the show's creator may do this")]
    NotCreator,
    #[error("{field}: {reason}")]
    Invalid { field: &'static str, reason: &'static str },
    #[error("the show is {0}")]
    WrongStatus(&'static str),
}

impl ShowError {
    pub fn code(&self) -> &'static str {
        match self {
            ShowError::AlreadyExists => "already_exists",
            ShowError::NotFound => "show_not_found",
            ShowError::NotCreator => "not_creator",
            ShowError::Invalid { .. } => "invalid_input",
            ShowError::WrongStatus(_) => "wrong_show_status",
        }
    }
}

impl Show {
    fn owned_by(&self, actor: &str) -> Result<(), ShowError> {
        if self.status == ShowStatus::New {
            return Err(ShowError::NotFound);
        }
        if self.creator != actor {
            return Err(ShowError::NotCreator);
        }
        Ok(())
    }

    fn decide(&self, command: ShowCommand) -> Result<Vec<ShowEvent>, ShowError> {
        match command {
            ShowCommand::Schedule { show_id, creator, title, scheduled_at, product_ids } => {
                if self.status != ShowStatus::New {
                    return Err(ShowError::AlreadyExists);
                }
                if title.trim().is_empty() || title.chars().count() > 200 {
                    return Err(ShowError::Invalid { field: "title", reason: "must be 1 to 200 characters" });
                }
                if product_ids.len() > MAX_PRODUCTS {
                    return Err(ShowError::Invalid { field: "product_ids", reason: "at most 100 products" });
                }
                Ok(vec![ShowEvent::ShowScheduled { show_id, creator, title, scheduled_at, product_ids }])
            }
            ShowCommand::AttachProducts { actor, product_ids } => {
                self.owned_by(&actor)?;
                let new: Vec<String> =
                    product_ids.into_iter().filter(|p| !self.product_ids.contains(p)).collect();
                if self.product_ids.len() + new.len() > MAX_PRODUCTS {
                    return Err(ShowError::Invalid { field: "product_ids", reason: "at most 100 products" });
                }
                Ok(if new.is_empty() { vec![] } else { vec![ShowEvent::ProductsAttached { product_ids: new }] })
            }
            ShowCommand::Pin { actor, product_id } => {
                self.owned_by(&actor)?;
                if self.status == ShowStatus::Ended {
                    return Err(ShowError::WrongStatus("ended"));
                }
                let mut events = Vec::new();
                if !self.product_ids.contains(&product_id) {
                    events.push(ShowEvent::ProductsAttached { product_ids: vec![product_id.clone()] });
                }
                events.push(ShowEvent::ProductPinned { product_id });
                Ok(events)
            }
            ShowCommand::GoLive { at } => match self.status {
                ShowStatus::New => Err(ShowError::NotFound),
                ShowStatus::Scheduled => Ok(vec![ShowEvent::ShowWentLive { at }]),
                ShowStatus::Live => Ok(vec![]),
                ShowStatus::Ended => Err(ShowError::WrongStatus("ended")),
            },
            ShowCommand::End { at } => match self.status {
                ShowStatus::New => Err(ShowError::NotFound),
                ShowStatus::Scheduled => Err(ShowError::WrongStatus("scheduled")),
                ShowStatus::Live => Ok(vec![ShowEvent::ShowEnded { at }]),
                ShowStatus::Ended => Ok(vec![]),
            },
        }
    }
}

impl Aggregate for Show {
    const TYPE: &'static str = "Show";
    type Command = ShowCommand;
    type Event = ShowEvent;
    type Error = ShowError;
    type Services = ();

    async fn handle(
        &mut self,
        command: Self::Command,
        _services: &Self::Services,
        sink: &EventSink<Self>,
    ) -> Result<(), Self::Error> {
        for event in self.decide(command)? {
            sink.write(event, self).await;
        }
        Ok(())
    }

    fn apply(&mut self, event: Self::Event) {
        match event {
            ShowEvent::ShowScheduled { show_id, creator, product_ids, .. } => {
                self.show_id = show_id;
                self.creator = creator;
                self.product_ids = product_ids;
                self.status = ShowStatus::Scheduled;
            }
            ShowEvent::ProductsAttached { product_ids } => self.product_ids.extend(product_ids),
            ShowEvent::ProductPinned { product_id } => self.pinned = Some(product_id),
            ShowEvent::ShowWentLive { .. } => self.status = ShowStatus::Live,
            ShowEvent::ShowEnded { .. } => self.status = ShowStatus::Ended,
        }
    }
}
