//! What a live room starts from, read from the read models: the show's
//! reaction totals recorded before the room opened on this gateway.

use std::collections::BTreeMap;

use async_trait::async_trait;

use cartcast_projections::ReadModels;
use cartcast_realtime::gateway::RoomSeed;

pub struct ReadModelSeed(pub ReadModels);

#[async_trait]
impl RoomSeed for ReadModelSeed {
    async fn reaction_totals(&self, show_id: &str) -> anyhow::Result<BTreeMap<String, u64>> {
        Ok(self.0.reaction_totals(show_id).await?)
    }
}
