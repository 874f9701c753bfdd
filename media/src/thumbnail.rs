//! Thumbnails: a 320-pixel-wide JPEG of the source every few seconds, cut
//! from a segment's first frame (an IDR, so one frame decodes alone), for
//! show listings and a player's scrub bar: `<show>/thumbs/<second>.jpg`,
//! `<second>` counted from the show's start, and `<show>/thumbs/latest.jpg`.

use std::path::PathBuf;
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::thread::JoinHandle;

use bytes::Bytes;
use ffmpeg_next::codec::{self, decoder};
use ffmpeg_next::format::Pixel;
use ffmpeg_next::software::scaling;
use ffmpeg_next::{Packet, Rational, encoder, frame};

use crate::ladder::{LadderError, open_decoder};
use crate::track::{Codec, Sample, VIDEO_TIMESCALE};

/// A thumbnail at most this often, seconds.
pub const EVERY_SECONDS: u64 = 4;
const WIDTH: u32 = 320;

struct Request {
    avcc: Bytes,
    sample: Sample,
}

/// A show's thumbnail maker: a thread that decodes the frames it is handed.
pub struct Thumbnails {
    requests: SyncSender<Request>,
    worker: JoinHandle<()>,
    last_second: Option<u64>,
}

impl Thumbnails {
    pub fn start(dir: PathBuf) -> std::io::Result<Self> {
        crate::init_ffmpeg().map_err(std::io::Error::other)?;
        let (requests, incoming) = sync_channel(2);
        let worker = std::thread::Builder::new().name("thumbnails".to_owned()).spawn(move || run(&dir, incoming))?;
        Ok(Self { requests, worker, last_second: None })
    }

    /// Offers a segment's first frame; taken when the last thumbnail is old
    /// enough. Never blocks the media path: a busy maker skips this one.
    pub fn offer(&mut self, codec: &Codec, sample: &Sample) {
        let Codec::H264 { avcc, .. } = codec else { return };
        let second = sample.dts / u64::from(VIDEO_TIMESCALE);
        if self.last_second.is_some_and(|last| second < last + EVERY_SECONDS) {
            return;
        }
        match self.requests.try_send(Request { avcc: avcc.clone(), sample: sample.clone() }) {
            Ok(()) => self.last_second = Some(second),
            Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => {}
        }
    }

    pub fn finish(self) {
        drop(self.requests);
        let _ = self.worker.join();
    }
}

#[derive(Debug, thiserror::Error)]
enum ThumbnailError {
    #[error(transparent)]
    Decoder(#[from] LadderError),
    #[error("{during}: {source}")]
    Ffmpeg { during: &'static str, source: ffmpeg_next::Error },
    #[error("writing: {0}")]
    Io(#[from] std::io::Error),
}

fn ffmpeg(during: &'static str) -> impl FnOnce(ffmpeg_next::Error) -> ThumbnailError {
    move |source| ThumbnailError::Ffmpeg { during, source }
}

fn run(dir: &std::path::Path, requests: Receiver<Request>) {
    let mut decoder: Option<(Bytes, decoder::Video)> = None;
    for request in requests {
        if let Err(error) = thumbnail(dir, &mut decoder, &request) {
            tracing::warn!(%error, "thumbnail not made");
            decoder = None;
        }
    }
}

fn thumbnail(
    dir: &std::path::Path,
    decoder: &mut Option<(Bytes, decoder::Video)>,
    request: &Request,
) -> Result<(), ThumbnailError> {
    if decoder.as_ref().is_none_or(|(avcc, _)| *avcc != request.avcc) {
        *decoder = Some((request.avcc.clone(), open_decoder(&request.avcc, 1)?));
    }
    let (_, decoder) = decoder.as_mut().expect("opened above");
    let mut packet = Packet::copy(&request.sample.data);
    let dts = i64::try_from(request.sample.dts).unwrap_or(0);
    packet.set_dts(Some(dts));
    packet.set_pts(Some(dts + i64::from(request.sample.cts_offset)));
    decoder.send_packet(&packet).map_err(ffmpeg("decoding"))?;
    decoder.send_eof().map_err(ffmpeg("decoding"))?;
    let mut picture = frame::Video::empty();
    let decoded = decoder.receive_frame(&mut picture);
    // Ready for the next one, whatever happened.
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

    std::fs::create_dir_all(dir)?;
    let second = request.sample.dts / u64::from(VIDEO_TIMESCALE);
    let partial = dir.join("latest.jpg.partial");
    std::fs::write(dir.join(format!("{second}.jpg")), data)?;
    std::fs::write(&partial, data)?;
    std::fs::rename(partial, dir.join("latest.jpg"))?;
    Ok(())
}
