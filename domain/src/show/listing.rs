//! What browsing needs of a show: its category (one of a fixed set), up to
//! five tags and its language, and the window a schedule may fall in.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::ShowError;

/// A category a show can be listed under.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Category {
    pub id: &'static str,
    pub name: &'static str,
}

/// Every category, in the order browsing lists them.
pub const CATEGORIES: &[Category] = &[
    Category { id: "fashion", name: "Fashion" },
    Category { id: "beauty", name: "Beauty" },
    Category { id: "electronics", name: "Electronics" },
    Category { id: "home", name: "Home & Garden" },
    Category { id: "food", name: "Food & Drink" },
    Category { id: "collectibles", name: "Collectibles" },
    Category { id: "sneakers", name: "Sneakers" },
    Category { id: "jewelry", name: "Jewelry & Watches" },
    Category { id: "toys", name: "Toys & Games" },
    Category { id: "sports", name: "Sports & Outdoors" },
    Category { id: "art", name: "Art & Crafts" },
    Category { id: "other", name: "Other" },
];

/// How a show is found: category, tags and language.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Listing {
    #[serde(default)]
    pub category: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub language: Option<String>,
}

const MAX_TAGS: usize = 5;
const MAX_TAG: usize = 30;

impl Listing {
    /// The listing with its tags lower-cased, trimmed and each kept once, its
    /// language lower-cased; or the first rule it breaks.
    pub fn validated(self) -> Result<Listing, ShowError> {
        if let Some(category) = &self.category
            && !CATEGORIES.iter().any(|known| known.id == category)
        {
            return Err(ShowError::Invalid { field: "category", reason: "not a known category (GET /categories)" });
        }
        let mut tags: Vec<String> = Vec::new();
        for tag in self.tags {
            let tag = tag.trim().to_lowercase();
            let allowed = |c: char| c.is_alphanumeric() || c == '-' || c == '_';
            if tag.is_empty() || tag.chars().count() > MAX_TAG || !tag.chars().all(allowed) {
                return Err(ShowError::Invalid { field: "tags", reason: "a tag is 1 to 30 letters, digits, - or _" });
            }
            if !tags.contains(&tag) {
                tags.push(tag);
            }
        }
        if tags.len() > MAX_TAGS {
            return Err(ShowError::Invalid { field: "tags", reason: "at most 5 tags" });
        }
        let language = self.language.map(|language| language_tag(&language)).transpose()?;
        Ok(Listing { category: self.category, tags, language })
    }
}

/// A language as a BCP 47 primary tag with an optional region (`en`, `pt-br`), lower-cased.
fn language_tag(raw: &str) -> Result<String, ShowError> {
    let tag = raw.trim().to_lowercase();
    let mut parts = tag.split('-');
    let primary = parts.next().unwrap_or_default();
    let region = parts.next();
    let letters = |s: &str, len: std::ops::RangeInclusive<usize>| {
        len.contains(&s.len()) && s.chars().all(|c| c.is_ascii_alphanumeric())
    };
    let primary_ok = (2..=3).contains(&primary.len()) && primary.chars().all(|c| c.is_ascii_lowercase());
    if !primary_ok || region.is_some_and(|r| !letters(r, 2..=8)) || parts.next().is_some() {
        return Err(ShowError::Invalid { field: "language", reason: "a language tag such as en or pt-BR" });
    }
    Ok(tag)
}

/// A show may be scheduled at most this far ahead.
fn latest_schedule(now: DateTime<Utc>) -> DateTime<Utc> {
    now + Duration::days(366)
}

/// `scheduled_at` if it is after `now` and within a year of it.
pub fn check_schedule(scheduled_at: DateTime<Utc>, now: DateTime<Utc>) -> Result<(), ShowError> {
    if scheduled_at <= now {
        return Err(ShowError::Invalid { field: "scheduled_at", reason: "must be in the future" });
    }
    if scheduled_at > latest_schedule(now) {
        return Err(ShowError::Invalid { field: "scheduled_at", reason: "at most a year ahead" });
    }
    Ok(())
}
