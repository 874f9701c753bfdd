//! HTTP handlers, one module per resource.

mod categories;
mod channels;
mod chat;
mod clips;
mod health;
mod live;
mod metrics;
mod moderation;
mod openapi;
mod orders;
mod polls;
mod products;
mod reservations;
mod sessions;
mod show_products;
mod shows;

pub use categories::*;
pub use channels::*;
pub use chat::*;
pub use clips::*;
pub use health::*;
pub use live::*;
pub use metrics::*;
pub use moderation::*;
pub use openapi::*;
pub use orders::*;
pub use polls::*;
pub use products::*;
pub use reservations::*;
pub use sessions::*;
pub use show_products::*;
pub use shows::*;
