//! What a channel shows the world: its handle, name, description, avatar and
//! links, and the rules each must meet. The handle is the channel's address
//! (`/channels/{handle}`), unique across channels (see [`crate::handle`]).

use serde::{Deserialize, Serialize};

use super::ChannelError;

/// A channel's public profile, as its creator set it (handle lower-cased).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Profile {
    pub handle: String,
    pub display_name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub avatar_url: Option<String>,
    #[serde(default)]
    pub links: Vec<Link>,
}

/// A link a channel shows: its shop, its other socials.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Link {
    pub label: String,
    pub url: String,
}

/// Handles are 3 to 25 of `[a-z0-9_]`, once lower-cased.
const HANDLE_LEN: std::ops::RangeInclusive<usize> = 3..=25;
const MAX_NAME: usize = 50;
const MAX_DESCRIPTION: usize = 1000;
const MAX_LINKS: usize = 5;
const MAX_LABEL: usize = 40;
const MAX_URL: usize = 500;

/// `raw` as a handle: lower-cased, then checked against `[a-z0-9_]{3,25}`.
pub fn normalize_handle(raw: &str) -> Result<String, ChannelError> {
    let handle = raw.to_lowercase();
    let allowed = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_';
    if !HANDLE_LEN.contains(&handle.len()) || !handle.chars().all(allowed) {
        return Err(ChannelError::InvalidHandle);
    }
    Ok(handle)
}

impl Profile {
    /// The profile with its handle normalized and its text trimmed, or the
    /// first rule it breaks.
    pub fn validated(self) -> Result<Profile, ChannelError> {
        let handle = normalize_handle(&self.handle)?;
        let display_name = self.display_name.trim().to_owned();
        if display_name.is_empty() || display_name.chars().count() > MAX_NAME {
            return Err(invalid("display_name", "must be 1 to 50 characters"));
        }
        let description = self.description.trim().to_owned();
        if description.chars().count() > MAX_DESCRIPTION {
            return Err(invalid("description", "at most 1000 characters"));
        }
        let avatar_url = self.avatar_url.map(|url| web_url(url, "avatar_url")).transpose()?;
        if self.links.len() > MAX_LINKS {
            return Err(invalid("links", "at most 5 links"));
        }
        let links = self
            .links
            .into_iter()
            .map(|link| {
                let label = link.label.trim().to_owned();
                if label.is_empty() || label.chars().count() > MAX_LABEL {
                    return Err(invalid("links", "a link's label is 1 to 40 characters"));
                }
                Ok(Link { label, url: web_url(link.url, "links")? })
            })
            .collect::<Result<_, _>>()?;
        Ok(Profile { handle, display_name, description, avatar_url, links })
    }
}

/// `url` if it is an absolute `http(s)` URL without spaces, at most 500 characters.
fn web_url(url: String, field: &'static str) -> Result<String, ChannelError> {
    let url = url.trim().to_owned();
    let scheme = url.starts_with("https://") || url.starts_with("http://");
    if !scheme || url.len() > MAX_URL || url.chars().any(char::is_whitespace) || url.ends_with("//") {
        return Err(invalid(field, "must be an http(s) URL of at most 500 characters"));
    }
    Ok(url)
}

fn invalid(field: &'static str, reason: &'static str) -> ChannelError {
    ChannelError::Invalid { field, reason }
}
