//! One show's viewer: an LL-HLS player at the live edge of one rendition,
//! as hls.js plays it — a blocking playlist reload for the next part
//! (`_HLS_msn`/`_HLS_part`), then that part, again and again.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use anyhow::Context;
use tokio_util::sync::CancellationToken;

use cartcast_tests::media::MediaPlaylist;

/// How long a player waits before asking again for a playlist that is not there yet.
const NOT_YET: Duration = Duration::from_millis(500);

/// What one player has fetched so far; read while it plays.
#[derive(Default)]
pub struct Played {
    pub parts: AtomicU64,
    pub bytes: AtomicU64,
}

/// Plays `rendition` of `show_id` on `base` (`http://…`) until `stop`,
/// counting into `played`; fails on an answer a player could not go on from.
pub async fn play(
    http: reqwest::Client,
    base: &str,
    show_id: &str,
    rendition: &str,
    played: Arc<Played>,
    stop: CancellationToken,
) -> anyhow::Result<()> {
    let dir = format!("{base}/hls/{show_id}/{rendition}");
    let playing = async {
        let mut playlist = first_playlist(&http, &dir).await?;
        // The player joins at the edge: it plays what comes after the parts listed now.
        let mut played_up_to = playlist.parts.iter().map(|p| (p.msn, p.index)).max();
        loop {
            // Every part listed after the last one played, in order: the one
            // asked for, and the first of a segment that closed meanwhile.
            let newer: Vec<_> = playlist.parts.iter().filter(|p| Some((p.msn, p.index)) > played_up_to).collect();
            for part in newer {
                let body = get(&http, &format!("{dir}/{}", part.uri)).await?;
                played.parts.fetch_add(1, Ordering::Relaxed);
                played.bytes.fetch_add(body.len() as u64, Ordering::Relaxed);
                played_up_to = Some((part.msn, part.index));
            }
            let (msn, part) = playlist.next_part();
            let text = get(&http, &format!("{dir}/index.m3u8?_HLS_msn={msn}&_HLS_part={part}")).await?;
            playlist = MediaPlaylist::parse(&String::from_utf8(text)?)?;
        }
    };
    tokio::select! {
        () = stop.cancelled() => Ok(()),
        failed = playing => failed,
    }
}

/// The rendition's playlist, once the show has one.
async fn first_playlist(http: &reqwest::Client, dir: &str) -> anyhow::Result<MediaPlaylist> {
    loop {
        let answer = http.get(format!("{dir}/index.m3u8")).send().await?;
        if answer.status() == reqwest::StatusCode::NOT_FOUND {
            tokio::time::sleep(NOT_YET).await;
            continue;
        }
        let playlist = MediaPlaylist::parse(&answer.error_for_status()?.text().await?)?;
        if !playlist.parts.is_empty() {
            return Ok(playlist);
        }
        tokio::time::sleep(NOT_YET).await;
    }
}

async fn get(http: &reqwest::Client, url: &str) -> anyhow::Result<Vec<u8>> {
    let answer = http.get(url).send().await.with_context(|| format!("GET {url}"))?;
    let answer = answer.error_for_status().with_context(|| format!("GET {url}"))?;
    Ok(answer.bytes().await?.to_vec())
}
