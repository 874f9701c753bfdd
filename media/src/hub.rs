//! The shows this media worker serves: who may publish (through the
//! [`ShowDirectory`]), one publisher per show (a reconnect takes over), the
//! grace period before a silent show ends, and the stores HTTP reads.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::hls::rendition::Timing;
use crate::hls::show::{Kind, ShowMedia, is_safe_name};
use crate::ingest::pipeline::{self, AUDIO, Input, Resume, SOURCE};

/// Why a stream key may not publish.
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    #[error("unknown or revoked stream key")]
    UnknownKey,
    #[error("the channel has no show to go live with")]
    NoShow,
    #[error("show directory unavailable: {0}")]
    Unavailable(String),
}

/// The rest of the system as the media worker needs it: stream keys, and the
/// show lifecycle commands. Adapters live with the roles that run media.
#[async_trait]
pub trait ShowDirectory: Send + Sync + 'static {
    /// The show that `stream_key` publishes now.
    async fn authorize(&self, stream_key: &str) -> Result<String, Refusal>;
    /// The first media of a show arrived.
    async fn went_live(&self, show_id: &str) -> anyhow::Result<()>;
    /// The publisher left and did not come back within the grace period.
    async fn ended(&self, show_id: &str) -> anyhow::Result<()>;
}

#[derive(Debug, Clone)]
pub struct MediaConfig {
    /// Shows' media live under `<dir>/<show_id>/`.
    pub dir: PathBuf,
    pub timing: Timing,
    /// How long a show whose publisher left waits for it to come back.
    pub end_grace: Duration,
}

impl MediaConfig {
    /// 2 s segments of 0.334 s parts (ten frames at 30 fps, eight at 24 or
    /// 25, so parts stay above 85% of the target) and a 2 h DVR window.
    pub fn new(dir: PathBuf, end_grace: Duration) -> Self {
        let timing = Timing {
            segment_target: Duration::from_secs(2),
            part_target: Duration::from_millis(334),
            dvr_window: Duration::from_secs(2 * 3600),
        };
        Self { dir, timing, end_grace }
    }
}

struct LiveShow {
    media: Arc<ShowMedia>,
    /// Cancels the current publisher when a new one takes over.
    publisher: CancellationToken,
    generation: u64,
    resume: Resume,
}

pub struct MediaHub {
    config: MediaConfig,
    directory: Arc<dyn ShowDirectory>,
    shows: Mutex<HashMap<String, LiveShow>>,
}

/// A publisher's hold on its show: media goes in through `inputs`; the
/// session must stop when `taken_over` fires.
pub struct Publishing {
    pub show_id: String,
    pub inputs: mpsc::Sender<Input>,
    pub taken_over: CancellationToken,
    done: std::thread::JoinHandle<Resume>,
    generation: u64,
}

impl MediaHub {
    pub fn new(config: MediaConfig, directory: Arc<dyn ShowDirectory>) -> Arc<Self> {
        Arc::new(Self { config, directory, shows: Mutex::new(HashMap::new()) })
    }

    pub fn config(&self) -> &MediaConfig {
        &self.config
    }

    fn shows(&self) -> std::sync::MutexGuard<'_, HashMap<String, LiveShow>> {
        self.shows.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The store of a show this worker has published, live or ended.
    pub fn show(&self, show_id: &str) -> Option<Arc<ShowMedia>> {
        self.shows().get(show_id).map(|s| s.media.clone())
    }

    /// Where an ended show's files are, for shows published before a restart.
    pub fn show_dir(&self, show_id: &str) -> Option<PathBuf> {
        is_safe_name(show_id).then(|| self.config.dir.join(show_id))
    }

    /// Checks the key, then starts (or resumes) the show's media path.
    pub async fn begin_publish(&self, stream_key: &str) -> Result<Publishing, Refusal> {
        let show_id = self.directory.authorize(stream_key).await?;
        let dir = self.show_dir(&show_id).ok_or(Refusal::NoShow)?;
        let (inputs, receiver) = mpsc::channel(1024);
        let taken_over = CancellationToken::new();
        let (media, resume, generation) = {
            let mut shows = self.shows();
            match shows.get_mut(&show_id) {
                Some(live) if live.media.ended() => return Err(Refusal::NoShow),
                Some(live) => {
                    live.publisher.cancel();
                    live.publisher = taken_over.clone();
                    live.generation += 1;
                    live.media.reconnected();
                    (live.media.clone(), live.resume, live.generation)
                }
                _ => {
                    let media = Arc::new(ShowMedia::new(&show_id, dir, self.config.timing));
                    media.add_rendition(SOURCE, Kind::Source);
                    media.add_rendition(AUDIO, Kind::Audio);
                    let live = LiveShow {
                        media: media.clone(),
                        publisher: taken_over.clone(),
                        generation: 1,
                        resume: Resume::default(),
                    };
                    shows.insert(show_id.clone(), live);
                    (media, Resume::default(), 1)
                }
            }
        };
        if let Err(error) = self.directory.went_live(&show_id).await {
            tracing::warn!(%show_id, error = format!("{error:#}"), "recording the show as live");
        }
        let timing = self.config.timing;
        let done = std::thread::Builder::new()
            .name(format!("media-{}", &show_id[..show_id.len().min(8)]))
            .spawn(move || pipeline::run(receiver, media, timing, resume))
            .map_err(|e| Refusal::Unavailable(e.to_string()))?;
        tracing::info!(%show_id, generation, "publishing");
        Ok(Publishing { show_id, inputs, taken_over, done, generation })
    }

    /// The publisher of `publishing` left: flush its pipeline, and end the show
    /// unless a publisher comes back within the grace period.
    pub async fn end_publish(self: &Arc<Self>, publishing: Publishing) {
        let Publishing { show_id, inputs, done, generation, .. } = publishing;
        // Closing the sender lets the pipeline flush its last parts and stop.
        drop(inputs);
        let resume = match tokio::task::spawn_blocking(move || done.join()).await {
            Ok(Ok(resume)) => Some(resume),
            _ => None,
        };
        if let (Some(resume), Some(live)) = (resume, self.shows().get_mut(&show_id))
            && live.generation == generation
        {
            live.resume = resume;
        }
        tracing::info!(%show_id, generation, "publisher left");
        let hub = self.clone();
        tokio::spawn(async move {
            tokio::time::sleep(hub.config.end_grace).await;
            hub.end_if_still_gone(&show_id, generation).await;
        });
    }

    async fn end_if_still_gone(&self, show_id: &str, generation: u64) {
        let media = match self.shows().get(show_id) {
            Some(live) if live.generation == generation && !live.media.ended() => live.media.clone(),
            _ => return,
        };
        let ended = tokio::task::spawn_blocking(move || media.end()).await;
        match ended {
            Ok(Ok(())) => tracing::info!(%show_id, "show ended; VOD written"),
            Ok(Err(error)) => tracing::error!(%show_id, %error, "writing the VOD"),
            Err(error) => tracing::error!(%show_id, %error, "writing the VOD"),
        }
        if let Err(error) = self.directory.ended(show_id).await {
            tracing::warn!(%show_id, error = format!("{error:#}"), "recording the show as ended");
        }
    }
}
