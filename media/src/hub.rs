//! The shows this media worker serves: who may publish (through the
//! [`ShowDirectory`]), one publisher per show (a reconnect takes over), the
//! grace period before a silent show ends, and the stores HTTP reads.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use cartcast_domain::live_stats::StreamHealth;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::hls::playlist::Pin;
use crate::hls::rendition::Timing;
use crate::hls::show::{Kind, ShowMedia, is_safe_name, store_pin};
use crate::ingest::health::HealthReport;
use crate::ingest::pipeline::{self, AUDIO, Input, Pipelines, Resume, SOURCE};
use crate::thumbnail::{Thumbnailer, Thumbnails};

/// Where the event feed's read position is kept, in the media directory.
const FEED_POSITION: &str = "feed-position";

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
    /// The periodic measure of a live show's incoming stream.
    async fn stream_health(&self, show_id: &str, health: StreamHealth) -> anyhow::Result<()>;
    /// A clip was cut (`Ok(url)`) or could not be (`Err(reason)`).
    async fn clip_finished(&self, show_id: &str, clip_id: &str, outcome: Result<String, String>) -> anyhow::Result<()>;
}

#[derive(Debug, Clone)]
pub struct MediaConfig {
    /// Shows' media live under `<dir>/<show_id>/`.
    pub dir: PathBuf,
    pub timing: Timing,
    /// How long a show whose publisher left waits for it to come back.
    pub end_grace: Duration,
    /// Players watching at which a show's ladder starts.
    pub ladder_watchers: u64,
}

impl MediaConfig {
    /// 2 s segments of 0.334 s parts (ten frames at 30 fps, eight at 24 or
    /// 25, so parts stay above 85% of the target) and a `dvr_window` (2 h by default).
    pub fn new(dir: PathBuf, end_grace: Duration, ladder_watchers: u64, dvr_window: Duration) -> Self {
        let timing =
            Timing { segment_target: Duration::from_secs(2), part_target: Duration::from_millis(334), dvr_window };
        Self { dir, timing, end_grace, ladder_watchers }
    }
}

struct LiveShow {
    media: Arc<ShowMedia>,
    /// Cancels the current publisher when a new one takes over.
    publisher: CancellationToken,
    generation: u64,
    /// Held by the running pipeline, which leaves its timeline's end in it: a
    /// new publisher's pipeline starts only after the old one has flushed, and
    /// the show ends only after its pipeline has.
    pipeline: Arc<tokio::sync::Mutex<Resume>>,
    /// The current publisher's pipeline, for tier changes; weak, so the
    /// pipeline ends when its publisher leaves.
    inputs: mpsc::WeakSender<Input>,
    /// The ladder runs (it stays on until the show ends: no flapping).
    ladder: bool,
}

pub struct MediaHub {
    config: MediaConfig,
    directory: Arc<dyn ShowDirectory>,
    shows: Mutex<HashMap<String, LiveShow>>,
    thumbnailer: Arc<Thumbnailer>,
    pipelines: Pipelines,
}

/// A publisher's hold on its show: media goes in through `inputs`; the
/// session must stop when `taken_over` fires.
pub struct Publishing {
    pub show_id: String,
    pub inputs: mpsc::Sender<Input>,
    pub taken_over: CancellationToken,
    generation: u64,
}

impl MediaHub {
    /// Starts the threads every show's pipeline runs on.
    pub fn new(config: MediaConfig, directory: Arc<dyn ShowDirectory>) -> std::io::Result<Arc<Self>> {
        Ok(Arc::new(Self {
            config,
            directory,
            shows: Mutex::new(HashMap::new()),
            thumbnailer: Arc::default(),
            pipelines: Pipelines::start()?,
        }))
    }

    pub fn config(&self) -> &MediaConfig {
        &self.config
    }

    fn shows(&self) -> std::sync::MutexGuard<'_, HashMap<String, LiveShow>> {
        self.shows.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The store of a show this worker publishes, or waits for its publisher
    /// to come back to (an ended show is its files on disk).
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
        let (media, pipeline_slot, generation, ladder) = {
            let mut shows = self.shows();
            match shows.get_mut(&show_id) {
                Some(live) if live.media.ended() => return Err(Refusal::NoShow),
                Some(live) => {
                    live.publisher.cancel();
                    live.publisher = taken_over.clone();
                    live.generation += 1;
                    live.inputs = inputs.downgrade();
                    live.media.reconnected();
                    (live.media.clone(), live.pipeline.clone(), live.generation, live.ladder)
                }
                // An ended show's VOD is final.
                None if dir.join("master.m3u8").exists() => return Err(Refusal::NoShow),
                None => {
                    let media = Arc::new(ShowMedia::new(&show_id, dir, self.config.timing));
                    media.add_rendition(SOURCE, Kind::Source);
                    media.add_rendition(AUDIO, Kind::Audio);
                    let ladder = self.ladder_from_start();
                    let pipeline = Arc::new(tokio::sync::Mutex::new(Resume::default()));
                    let live = LiveShow {
                        media: media.clone(),
                        publisher: taken_over.clone(),
                        generation: 1,
                        pipeline: pipeline.clone(),
                        inputs: inputs.downgrade(),
                        ladder,
                    };
                    shows.insert(show_id.clone(), live);
                    (media, pipeline, 1, ladder)
                }
            }
        };
        if ladder {
            // Ahead of any media, so the first segment already has every rung.
            let _ = inputs.try_send(Input::StartLadder);
        }
        if let Err(error) = self.directory.went_live(&show_id).await {
            tracing::warn!(%show_id, error = format!("{error:#}"), "recording the show as live");
        }
        let timing = self.config.timing;
        let report = self.health_reporter(&show_id);
        // A publisher taking over waits here for the one before to flush.
        let mut slot = pipeline_slot.lock_owned().await;
        if media.ended() {
            // The grace period ran out while this publisher waited.
            return Err(Refusal::NoShow);
        }
        let resume = *slot;
        let thumbnails = Thumbnails::new(self.thumbnailer.clone(), media.dir().join("thumbs"));
        self.pipelines.spawn(async move {
            *slot = pipeline::run(receiver, media, timing, resume, report, thumbnails).await;
        });
        tracing::info!(%show_id, generation, "publishing");
        Ok(Publishing { show_id, inputs, taken_over, generation })
    }

    /// The publisher of `publishing` left: its pipeline flushes, and the show
    /// ends unless a publisher comes back within the grace period.
    pub fn end_publish(self: &Arc<Self>, publishing: Publishing) {
        let Publishing { show_id, inputs, generation, .. } = publishing;
        // Closing the sender lets the pipeline flush its last parts and stop.
        drop(inputs);
        tracing::info!(%show_id, generation, "publisher left");
        self.end_after_grace(show_id, generation);
    }

    /// Records a show's stream health through the directory, from the pipeline's thread.
    fn health_reporter(&self, show_id: &str) -> HealthReport {
        let runtime = tokio::runtime::Handle::current();
        let directory = self.directory.clone();
        let show_id = show_id.to_owned();
        Box::new(move |health| {
            let (directory, show_id) = (directory.clone(), show_id.clone());
            runtime.spawn(async move {
                if let Err(error) = directory.stream_health(&show_id, health).await {
                    tracing::warn!(%show_id, error = format!("{error:#}"), "recording stream health");
                }
            });
        })
    }

    /// Takes back the shows this worker was publishing when it stopped (those
    /// whose media are stored but whose VOD was never written): their
    /// playlists are listed again from the journals, their publishers may
    /// reconnect within the grace period, and those that do not end as usual.
    pub fn recover(self: &Arc<Self>) {
        let Ok(entries) = std::fs::read_dir(&self.config.dir) else { return };
        for entry in entries.flatten() {
            let show_id = entry.file_name().to_string_lossy().into_owned();
            if !is_safe_name(&show_id) || entry.path().join("master.m3u8").exists() {
                continue;
            }
            let Some(media) = ShowMedia::recover(&show_id, entry.path(), self.config.timing) else { continue };
            let resume = Resume { at: media.source_end().unwrap_or(0) };
            let (gone, _) = mpsc::channel(1);
            let live = LiveShow {
                media: Arc::new(media),
                publisher: CancellationToken::new(),
                generation: 0,
                pipeline: Arc::new(tokio::sync::Mutex::new(resume)),
                inputs: gone.downgrade(),
                ladder: self.ladder_from_start(),
            };
            self.shows().insert(show_id.clone(), live);
            tracing::info!(%show_id, "recovered a show that was live; waiting for its publisher");
            self.end_after_grace(show_id, 0);
        }
    }

    /// A threshold of zero gives every show its ladder from the start.
    fn ladder_from_start(&self) -> bool {
        self.config.ladder_watchers == 0
    }

    /// Ends `show_id` after the grace period unless a publisher took it since
    /// (its generation moved on).
    fn end_after_grace(self: &Arc<Self>, show_id: String, generation: u64) {
        let hub = self.clone();
        tokio::spawn(async move {
            tokio::time::sleep(hub.config.end_grace).await;
            hub.end_if_still_gone(&show_id, generation).await;
        });
    }

    /// A product was pinned on `show_id` (from the event feed): stored with
    /// the show, so it is there when the show goes live here or comes back
    /// after a restart, and added to its playlists if it streams now.
    pub fn pin(&self, show_id: &str, pin: Pin) {
        let Some(dir) = self.show_dir(show_id) else { return };
        if let Err(error) = store_pin(&dir, &pin) {
            tracing::warn!(%show_id, %error, "storing a pin");
        }
        if let Some(media) = self.show(show_id) {
            media.pin(pin);
        }
    }

    /// Cuts the last `seconds` of `show_id` into `<show>/clips/<clip_id>.mp4`
    /// in the background and reports the outcome through the directory. Shows
    /// this worker does not hold are someone else's to cut.
    pub fn clip(self: &Arc<Self>, show_id: &str, clip_id: &str, seconds: u32) {
        let Some(media) = self.show(show_id) else { return };
        let (hub, show_id, clip_id) = (self.clone(), show_id.to_owned(), clip_id.to_owned());
        tokio::spawn(async move {
            let path = media.clip_path(&clip_id);
            let cut = tokio::task::spawn_blocking(move || {
                let (video, audio) = media
                    .clip_sources(SOURCE, AUDIO, f64::from(seconds))
                    .ok_or_else(|| format!("the stream holds less than {seconds} s yet"))?;
                std::fs::create_dir_all(path.parent().expect("clips live in a directory"))
                    .map_err(|e| e.to_string())?;
                crate::clip::write_clip(&video, audio.as_ref(), f64::from(seconds), &path).map_err(|e| e.to_string())
            })
            .await;
            let outcome = match cut {
                Ok(Ok(())) => Ok(format!("/hls/{show_id}/clips/{clip_id}.mp4")),
                Ok(Err(reason)) => Err(reason),
                Err(error) => Err(format!("the clip's cutter failed: {error}")),
            };
            if let Err(reason) = &outcome {
                tracing::warn!(%show_id, %clip_id, %reason, "clip not made");
            }
            if let Err(error) = hub.directory.clip_finished(&show_id, &clip_id, outcome).await {
                tracing::warn!(%show_id, %clip_id, error = format!("{error:#}"), "recording the clip");
            }
        });
    }

    /// How far this worker has read the event feed (`<media dir>/feed-position`).
    pub fn feed_position(&self) -> u64 {
        std::fs::read_to_string(self.config.dir.join(FEED_POSITION))
            .ok()
            .and_then(|text| text.trim().parse().ok())
            .unwrap_or(0)
    }

    /// Records how far the event feed has been read; what follows it is read
    /// again after a restart (every reaction to it is idempotent).
    pub fn save_feed_position(&self, position: u64) -> std::io::Result<()> {
        let partial = self.config.dir.join(format!("{FEED_POSITION}.partial"));
        std::fs::write(&partial, position.to_string())?;
        std::fs::rename(partial, self.config.dir.join(FEED_POSITION))
    }

    /// `show_id`'s audience was counted (from the event feed): enough players
    /// watching start its ladder, from the next segment on.
    pub fn watchers(&self, show_id: &str, watching: u64) {
        let mut shows = self.shows();
        let Some(live) = shows.get_mut(show_id) else { return };
        if live.ladder || live.media.ended() || watching < self.config.ladder_watchers {
            return;
        }
        live.ladder = true;
        tracing::info!(%show_id, watching, "audience crossed the threshold: starting the ladder");
        if live.inputs.upgrade().is_none_or(|inputs| inputs.try_send(Input::StartLadder).is_err()) {
            tracing::warn!(%show_id, "the pipeline is busy or gone; the ladder starts with the next publisher");
        }
    }

    async fn end_if_still_gone(&self, show_id: &str, generation: u64) {
        let (media, pipeline) = match self.shows().get(show_id) {
            Some(live) if live.generation == generation && !live.media.ended() => {
                (live.media.clone(), live.pipeline.clone())
            }
            _ => return,
        };
        // The last parts are in once the pipeline has let go.
        let _flushed = pipeline.lock().await;
        if self.shows().get(show_id).is_none_or(|live| live.generation != generation) {
            return;
        }
        let ended = tokio::task::spawn_blocking(move || media.end()).await;
        match ended {
            Ok(Ok(())) => {
                // From now on the show is its files: memory goes, HTTP reads the VOD from disk.
                self.shows().remove(show_id);
                tracing::info!(%show_id, "show ended; VOD written");
            }
            Ok(Err(error)) => tracing::error!(%show_id, %error, "writing the VOD"),
            Err(error) => tracing::error!(%show_id, %error, "writing the VOD"),
        }
        if let Err(error) = self.directory.ended(show_id).await {
            tracing::warn!(%show_id, error = format!("{error:#}"), "recording the show as ended");
        }
    }
}
