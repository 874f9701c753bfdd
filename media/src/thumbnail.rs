//! Thumbnails: a 320-pixel-wide JPEG of the source every few seconds, cut
//! from a segment's first frame (an IDR, so one frame decodes alone), for
//! show listings and a player's scrub bar: `<show>/thumbs/<second>.jpg`,
//! `<second>` counted from the show's start, and `<show>/thumbs/latest.jpg`.
//!
//! One [`Thumbnailer`] serves every show of the process: a few threads, each
//! with one decoder that takes whichever show's frame comes next, its
//! parameter sets in-band (Annex B). A show holds no decoder, thread or frame
//! buffer between thumbnails, which is most of what a small show would
//! otherwise cost in memory; and no thumbnail pays for opening a decoder and
//! faulting in its frame pool, which was half of what one cost.

use std::path::PathBuf;
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, Mutex, OnceLock};

use bytes::Bytes;
use ffmpeg_next::codec::{self, decoder};
use ffmpeg_next::format::Pixel;
use ffmpeg_next::software::scaling;
use ffmpeg_next::{Packet, Rational, encoder, frame};

use crate::ladder::{LadderError, avcc, open_decoder};
use crate::track::{Codec, Sample, VIDEO_TIMESCALE};

/// A thumbnail at most this often, seconds.
pub const EVERY_SECONDS: u64 = 4;
const WIDTH: u32 = 320;
/// Frames waiting for a maker; past this a show's offer is skipped and it
/// offers again at its next segment.
const QUEUE: usize = 32;

struct Request {
    dir: Arc<PathBuf>,
    avcc: Bytes,
    sample: Sample,
}

/// The thumbnail makers every show shares, started with the first offer.
#[derive(Default)]
pub struct Thumbnailer {
    requests: OnceLock<Option<SyncSender<Request>>>,
}

impl Thumbnailer {
    /// The queue to the makers; `None` when they could not start.
    fn requests(&self) -> Option<&SyncSender<Request>> {
        self.requests
            .get_or_init(|| match start() {
                Ok(requests) => Some(requests),
                Err(error) => {
                    tracing::warn!(%error, "thumbnails are not made");
                    None
                }
            })
            .as_ref()
    }
}

/// Half the cores (at least one) make thumbnails; they take turns at the queue.
fn start() -> std::io::Result<SyncSender<Request>> {
    crate::init_ffmpeg().map_err(std::io::Error::other)?;
    let (requests, incoming) = sync_channel(QUEUE);
    let incoming = Arc::new(Mutex::new(incoming));
    let makers = std::thread::available_parallelism().map_or(1, |n| (n.get() / 2).max(1));
    for _ in 0..makers {
        let incoming = incoming.clone();
        std::thread::Builder::new().name("thumbnails".to_owned()).spawn(move || run(&incoming))?;
    }
    Ok(requests)
}

/// One show's thumbnails: when the last was taken, and where they go.
pub struct Thumbnails {
    maker: Arc<Thumbnailer>,
    dir: Arc<PathBuf>,
    last_second: Option<u64>,
}

impl Thumbnails {
    pub fn new(maker: Arc<Thumbnailer>, dir: PathBuf) -> Self {
        Self { maker, dir: Arc::new(dir), last_second: None }
    }

    /// Offers a segment's first frame; taken when the last thumbnail is old
    /// enough. Never blocks the media path: when the makers are busy, this
    /// one is skipped.
    pub fn offer(&mut self, codec: &Codec, sample: &Sample) {
        let Codec::H264 { avcc, .. } = codec else { return };
        let second = sample.dts / u64::from(VIDEO_TIMESCALE);
        if self.last_second.is_some_and(|last| second < last + EVERY_SECONDS) {
            return;
        }
        let Some(requests) = self.maker.requests() else { return };
        let request = Request { dir: self.dir.clone(), avcc: avcc.clone(), sample: sample.clone() };
        match requests.try_send(request) {
            Ok(()) => self.last_second = Some(second),
            Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => {
                metrics::counter!("cartcast_media_thumbnails_skipped_total").increment(1);
            }
        }
    }
}

#[derive(Debug, thiserror::Error)]
enum ThumbnailError {
    #[error(transparent)]
    Decoder(#[from] LadderError),
    #[error("{during}: {source}")]
    Ffmpeg { during: &'static str, source: ffmpeg_next::Error },
    #[error("a frame or its decoder configuration is cut short")]
    CutShort,
    #[error("writing: {0}")]
    Io(#[from] std::io::Error),
}

fn ffmpeg(during: &'static str) -> impl FnOnce(ffmpeg_next::Error) -> ThumbnailError {
    move |source| ThumbnailError::Ffmpeg { during, source }
}

fn run(incoming: &Mutex<Receiver<Request>>) {
    let mut decoder = None;
    loop {
        let request = match incoming.lock().unwrap_or_else(|poisoned| poisoned.into_inner()).recv() {
            Ok(request) => request,
            Err(_) => return,
        };
        if let Err(error) = thumbnail(&mut decoder, &request) {
            tracing::warn!(%error, dir = %request.dir.display(), "thumbnail not made");
            // Whatever state the failure left, the next frame gets a fresh decoder.
            decoder = None;
        }
    }
}

/// Decodes the request's frame with the maker's decoder (flushed after, for
/// the next show's frame), then scales and encodes it.
fn thumbnail(decoder: &mut Option<decoder::Video>, request: &Request) -> Result<(), ThumbnailError> {
    let decoder = match decoder {
        Some(decoder) => decoder,
        None => decoder.insert(open_decoder(&[], 1)?),
    };
    let annexb = avcc::to_annexb(&request.avcc, &request.sample.data).ok_or(ThumbnailError::CutShort)?;
    let mut packet = Packet::copy(&annexb);
    let dts = i64::try_from(request.sample.dts).unwrap_or(0);
    packet.set_dts(Some(dts));
    packet.set_pts(Some(dts + i64::from(request.sample.cts_offset)));
    decoder.send_packet(&packet).map_err(ffmpeg("decoding"))?;
    decoder.send_eof().map_err(ffmpeg("decoding"))?;
    let mut picture = frame::Video::empty();
    let decoded = decoder.receive_frame(&mut picture);
    // Ready for the next frame, whatever happened.
    decoder.flush();
    decoded.map_err(ffmpeg("decoding"))?;

    let height = (picture.height() * WIDTH / picture.width().max(1)).max(2) & !1;
    let mut scaler = scaling::Context::get(
        picture.format(),
        picture.width(),
        picture.height(),
        Pixel::YUVJ420P,
        WIDTH,
        height,
        scaling::Flags::BILINEAR,
    )
    .map_err(ffmpeg("scaling"))?;
    let mut small = frame::Video::empty();
    scaler.run(&picture, &mut small).map_err(ffmpeg("scaling"))?;

    let mjpeg = encoder::find(codec::Id::MJPEG).ok_or(ThumbnailError::Ffmpeg {
        during: "finding the JPEG encoder",
        source: ffmpeg_next::Error::EncoderNotFound,
    })?;
    let mut jpeg = codec::Context::new_with_codec(mjpeg).encoder().video().map_err(ffmpeg("creating the encoder"))?;
    jpeg.set_width(WIDTH);
    jpeg.set_height(height);
    jpeg.set_format(Pixel::YUVJ420P);
    jpeg.set_time_base(Rational::new(1, 25));
    let mut jpeg = jpeg.open().map_err(ffmpeg("opening the encoder"))?;
    small.set_pts(Some(0));
    jpeg.send_frame(&small).map_err(ffmpeg("encoding"))?;
    jpeg.send_eof().map_err(ffmpeg("encoding"))?;
    let mut encoded = Packet::empty();
    jpeg.receive_packet(&mut encoded).map_err(ffmpeg("encoding"))?;
    let data = encoded.data().unwrap_or_default();

    let dir = request.dir.as_path();
    std::fs::create_dir_all(dir)?;
    let second = request.sample.dts / u64::from(VIDEO_TIMESCALE);
    let partial = dir.join("latest.jpg.partial");
    std::fs::write(dir.join(format!("{second}.jpg")), data)?;
    std::fs::write(&partial, data)?;
    std::fs::rename(partial, dir.join("latest.jpg"))?;
    Ok(())
}
