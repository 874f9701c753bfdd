//! The show aggregate: decides its lifecycle, product list and pin.

use cqrs_es::Aggregate;

use chrono::{DateTime, Utc};

use super::listing::check_schedule;
use super::{Listing, ShowCommand, ShowEvent};
use crate::refusal::{DomainError, RefusalKind};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ShowStatus {
    #[default]
    New,
    Scheduled,
    Live,
    Ended,
    Cancelled,
}

impl ShowStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ShowStatus::New => "new",
            ShowStatus::Scheduled => "scheduled",
            ShowStatus::Live => "live",
            ShowStatus::Ended => "ended",
            ShowStatus::Cancelled => "cancelled",
        }
    }
}

#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
pub struct Show {
    pub show_id: String,
    pub creator: String,
    pub title: String,
    pub listing: Listing,
    pub scheduled_at: Option<DateTime<Utc>>,
    /// The schedule its followers were last reminded of.
    pub reminded_for: Option<DateTime<Utc>>,
    pub status: ShowStatus,
    pub product_ids: Vec<String>,
    pub pinned: Option<String>,
    /// Clips asked for and not made yet.
    pub pending_clips: Vec<String>,
}

/// How long a clip may be, in seconds.
pub const CLIP_SECONDS: std::ops::RangeInclusive<u32> = 30..=60;

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
    #[error("the raid's target is not live")]
    TargetNotLive,
}

impl DomainError for ShowError {
    fn code(&self) -> &'static str {
        match self {
            ShowError::AlreadyExists => "already_exists",
            ShowError::NotFound => "show_not_found",
            ShowError::NotCreator => "not_creator",
            ShowError::Invalid { .. } => "invalid_input",
            ShowError::WrongStatus(_) => "wrong_show_status",
            ShowError::TargetNotLive => "target_not_live",
        }
    }

    fn kind(&self) -> RefusalKind {
        match self {
            ShowError::AlreadyExists | ShowError::WrongStatus(_) | ShowError::TargetNotLive => RefusalKind::Conflict,
            ShowError::NotFound => RefusalKind::NotFound,
            ShowError::NotCreator => RefusalKind::NotAllowed,
            ShowError::Invalid { .. } => RefusalKind::Invalid,
        }
    }
}

/// A title is 1 to 200 characters, not all blank.
fn check_title(title: &str) -> Result<(), ShowError> {
    if title.trim().is_empty() || title.chars().count() > 200 {
        return Err(ShowError::Invalid { field: "title", reason: "must be 1 to 200 characters" });
    }
    Ok(())
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

    /// The products of `product_ids` the show does not list yet, each once and in
    /// order; refused when listing them would pass [`MAX_PRODUCTS`].
    fn unlisted(&self, product_ids: Vec<String>) -> Result<Vec<String>, ShowError> {
        let mut new: Vec<String> = Vec::new();
        for product_id in product_ids {
            if self.product_ids.contains(&product_id) || new.contains(&product_id) {
                continue;
            }
            if self.product_ids.len() + new.len() >= MAX_PRODUCTS {
                return Err(ShowError::Invalid { field: "product_ids", reason: "at most 100 products" });
            }
            new.push(product_id);
        }
        Ok(new)
    }

    /// The details after an edit, if they differ from today's.
    fn details_changed(
        &self,
        title: Option<String>,
        category: Option<String>,
        tags: Option<Vec<String>>,
        language: Option<String>,
    ) -> Result<Option<ShowEvent>, ShowError> {
        let title = title.unwrap_or_else(|| self.title.clone());
        check_title(&title)?;
        let listing = Listing {
            category: category.or_else(|| self.listing.category.clone()),
            tags: tags.unwrap_or_else(|| self.listing.tags.clone()),
            language: language.or_else(|| self.listing.language.clone()),
        }
        .validated()?;
        let unchanged = title == self.title && listing == self.listing;
        Ok((!unchanged).then_some(ShowEvent::ShowDetailsChanged { title, listing }))
    }

    /// The show moved to `scheduled_at`, if it is scheduled and that is a new time.
    fn rescheduled(&self, scheduled_at: DateTime<Utc>, now: DateTime<Utc>) -> Result<Option<ShowEvent>, ShowError> {
        if self.status != ShowStatus::Scheduled {
            return Err(ShowError::WrongStatus(self.status.as_str()));
        }
        check_schedule(scheduled_at, now)?;
        Ok((self.scheduled_at != Some(scheduled_at)).then_some(ShowEvent::ShowRescheduled { scheduled_at }))
    }

    /// Pins `product_id` (listing it first if the show does not yet).
    fn pin(&self, actor: &str, product_id: String, drop: bool) -> Result<Vec<ShowEvent>, ShowError> {
        self.owned_by(actor)?;
        if matches!(self.status, ShowStatus::Ended | ShowStatus::Cancelled) {
            return Err(ShowError::WrongStatus(self.status.as_str()));
        }
        let mut events = Vec::new();
        let new = self.unlisted(vec![product_id.clone()])?;
        if !new.is_empty() {
            events.push(ShowEvent::ProductsAttached { product_ids: new });
        }
        events.push(ShowEvent::ProductPinned { product_id, drop });
        Ok(events)
    }

    /// The creator sends the live show's audience to another show.
    fn raid(
        &self,
        actor: &str,
        target_show_id: String,
        target_channel: String,
        viewers: u64,
    ) -> Result<Vec<ShowEvent>, ShowError> {
        self.owned_by(actor)?;
        if self.status != ShowStatus::Live {
            return Err(ShowError::WrongStatus(self.status.as_str()));
        }
        if target_show_id == self.show_id {
            return Err(ShowError::Invalid { field: "target", reason: "a show cannot raid itself" });
        }
        Ok(vec![ShowEvent::ShowRaided { target_show_id, target_channel, viewers }])
    }

    fn request_clip(&self, clip_id: String, actor: String, seconds: u32) -> Result<Vec<ShowEvent>, ShowError> {
        if !CLIP_SECONDS.contains(&seconds) {
            return Err(ShowError::Invalid { field: "seconds", reason: "a clip lasts 30 to 60 seconds" });
        }
        match self.status {
            ShowStatus::Live => Ok(vec![ShowEvent::ClipRequested { clip_id, requested_by: actor, seconds }]),
            ShowStatus::New => Err(ShowError::NotFound),
            other => Err(ShowError::WrongStatus(other.as_str())),
        }
    }

    fn decide(&self, command: ShowCommand) -> Result<Vec<ShowEvent>, ShowError> {
        match command {
            ShowCommand::Schedule { show_id, creator, title, scheduled_at, product_ids, listing, now } => {
                if self.status != ShowStatus::New {
                    return Err(ShowError::AlreadyExists);
                }
                check_title(&title)?;
                scheduled_at.map(|at| check_schedule(at, now)).transpose()?;
                let (listing, product_ids) = (listing.validated()?, self.unlisted(product_ids)?);
                Ok(vec![ShowEvent::ShowScheduled { show_id, creator, title, scheduled_at, product_ids, listing }])
            }
            ShowCommand::Edit { actor, title, category, tags, language, scheduled_at, now } => {
                self.owned_by(&actor)?;
                if self.status == ShowStatus::Cancelled {
                    return Err(ShowError::WrongStatus("cancelled"));
                }
                let details = self.details_changed(title, category, tags, language)?;
                let rescheduled = scheduled_at.map(|at| self.rescheduled(at, now)).transpose()?.flatten();
                Ok(details.into_iter().chain(rescheduled).collect())
            }
            ShowCommand::Cancel { actor } => {
                self.owned_by(&actor)?;
                match self.status {
                    ShowStatus::Scheduled => Ok(vec![ShowEvent::ShowCancelled]),
                    ShowStatus::Cancelled => Ok(vec![]),
                    other => Err(ShowError::WrongStatus(other.as_str())),
                }
            }
            ShowCommand::AttachProducts { actor, product_ids } => {
                self.owned_by(&actor)?;
                let new = self.unlisted(product_ids)?;
                Ok(if new.is_empty() { vec![] } else { vec![ShowEvent::ProductsAttached { product_ids: new }] })
            }
            ShowCommand::Pin { actor, product_id, drop } => self.pin(&actor, product_id, drop),
            ShowCommand::Unpin { actor } => {
                self.owned_by(&actor)?;
                Ok(self
                    .pinned
                    .clone()
                    .map(|product_id| ShowEvent::ProductUnpinned { product_id })
                    .into_iter()
                    .collect())
            }
            ShowCommand::GoLive { at } => match self.status {
                ShowStatus::New => Err(ShowError::NotFound),
                ShowStatus::Scheduled => Ok(vec![ShowEvent::ShowWentLive { at }]),
                ShowStatus::Live => Ok(vec![]),
                ShowStatus::Ended | ShowStatus::Cancelled => Err(ShowError::WrongStatus(self.status.as_str())),
            },
            ShowCommand::End { at } => match self.status {
                ShowStatus::New => Err(ShowError::NotFound),
                ShowStatus::Scheduled | ShowStatus::Cancelled => Err(ShowError::WrongStatus(self.status.as_str())),
                ShowStatus::Live => Ok(vec![ShowEvent::ShowEnded { at }]),
                ShowStatus::Ended => Ok(vec![]),
            },
            ShowCommand::Raid { actor, target_show_id, target_channel, viewers } => {
                self.raid(&actor, target_show_id, target_channel, viewers)
            }
            ShowCommand::ReceiveRaid { from_show_id, from_channel, viewers } => match self.status {
                ShowStatus::Live => Ok(vec![ShowEvent::RaidArrived { from_show_id, from_channel, viewers }]),
                _ => Err(ShowError::TargetNotLive),
            },
            ShowCommand::Remind { scheduled_at } => {
                // Only the show's current schedule, once, while it is still to come.
                let due = self.status == ShowStatus::Scheduled
                    && self.scheduled_at == Some(scheduled_at)
                    && self.reminded_for != Some(scheduled_at);
                Ok(if due { vec![ShowEvent::ShowReminderDue { scheduled_at }] } else { vec![] })
            }
            ShowCommand::RequestClip { clip_id, actor, seconds } => self.request_clip(clip_id, actor, seconds),
            ShowCommand::FinishClip { clip_id, outcome } => {
                if !self.pending_clips.contains(&clip_id) {
                    // Already finished (a repeat), or never asked for: nothing to record.
                    return Ok(vec![]);
                }
                Ok(vec![match outcome {
                    Ok(url) => ShowEvent::ClipReady { clip_id, url },
                    Err(reason) => ShowEvent::ClipFailed { clip_id, reason },
                }])
            }
        }
    }
}

impl Aggregate for Show {
    const TYPE: &'static str = "Show";
    type Command = ShowCommand;
    type Event = ShowEvent;
    type Error = ShowError;
    type Services = ();

    crate::handle_by_deciding!();

    fn apply(&mut self, event: Self::Event) {
        match event {
            ShowEvent::ShowScheduled { show_id, creator, title, scheduled_at, product_ids, listing } => {
                self.show_id = show_id;
                self.creator = creator;
                self.title = title;
                self.scheduled_at = scheduled_at;
                self.listing = listing;
                self.product_ids = product_ids;
                self.status = ShowStatus::Scheduled;
            }
            ShowEvent::ShowDetailsChanged { title, listing } => {
                self.title = title;
                self.listing = listing;
            }
            ShowEvent::ShowRescheduled { scheduled_at } => self.scheduled_at = Some(scheduled_at),
            ShowEvent::ShowCancelled => self.status = ShowStatus::Cancelled,
            ShowEvent::ProductsAttached { product_ids } => self.product_ids.extend(product_ids),
            ShowEvent::ProductPinned { product_id, .. } => self.pinned = Some(product_id),
            ShowEvent::ProductUnpinned { .. } => self.pinned = None,
            ShowEvent::ShowReminderDue { scheduled_at } => self.reminded_for = Some(scheduled_at),
            // Raids move audiences, not the show's state.
            ShowEvent::ShowRaided { .. } | ShowEvent::RaidArrived { .. } => {}
            ShowEvent::ShowWentLive { .. } => self.status = ShowStatus::Live,
            ShowEvent::ShowEnded { .. } => self.status = ShowStatus::Ended,
            ShowEvent::ClipRequested { clip_id, .. } => self.pending_clips.push(clip_id),
            ShowEvent::ClipReady { clip_id, .. } | ShowEvent::ClipFailed { clip_id, .. } => {
                self.pending_clips.retain(|pending| *pending != clip_id);
            }
        }
    }
}
