//! The decode stage: source access units in, raw frames out to the first
//! rung, each marked with its presentation time and whether it starts a segment.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, SyncSender};

use ffmpeg_next::codec::{self, decoder};
use ffmpeg_next::util::error::{EAGAIN, ENOMEM};
use ffmpeg_next::{Error, Packet, Rational, frame, picture};

use super::LadderError;
use crate::track::{Sample, VIDEO_TIMESCALE};

/// One source access unit on its way to the decoder.
pub(super) struct SourceUnit {
    pub sample: Sample,
    pub segment_start: bool,
}

pub(super) struct DecodeStage {
    decoder: decoder::Video,
    input: Receiver<SourceUnit>,
    output: SyncSender<Arc<frame::Video>>,
    /// Presentation time → `segment_start` of units sent but not yet decoded;
    /// frames leave the decoder in presentation order, so everything at or
    /// before a decoded frame's time is settled when that frame comes out.
    pending: BTreeMap<i64, bool>,
}

impl DecodeStage {
    /// Opens the H.264 decoder on the source's avcC. `threads`: frame threads
    /// (each one adds a frame of delay).
    pub fn new(
        avcc: &[u8],
        threads: usize,
        input: Receiver<SourceUnit>,
        output: SyncSender<Arc<frame::Video>>,
    ) -> Result<Self, LadderError> {
        let decoder = open_decoder(avcc, threads)?;
        Ok(Self { decoder, input, output, pending: BTreeMap::new() })
    }

    /// Decodes until the input closes, then drains the decoder.
    pub fn run(mut self) -> Result<(), LadderError> {
        while let Ok(unit) = self.input.recv() {
            let Sample { dts, cts_offset, data, .. } = unit.sample;
            let dts = i64::try_from(dts).map_err(|_| LadderError::TimestampRange)?;
            let pts = dts + i64::from(cts_offset);
            self.pending.insert(pts, unit.segment_start);
            let mut packet = Packet::copy(&data);
            packet.set_dts(Some(dts));
            packet.set_pts(Some(pts));
            match self.decoder.send_packet(&packet) {
                Ok(()) => {}
                // A damaged unit costs its frame, not the stream.
                Err(Error::InvalidData) => tracing::warn!(pts, "ladder decoder rejected a source unit"),
                Err(source) => return Err(LadderError::Ffmpeg { during: "decoding", source }),
            }
            self.drain()?;
        }
        self.decoder.send_eof().map_err(|source| LadderError::Ffmpeg { during: "flushing the decoder", source })?;
        self.drain()
    }

    fn drain(&mut self) -> Result<(), LadderError> {
        loop {
            let mut frame = frame::Video::empty();
            match self.decoder.receive_frame(&mut frame) {
                Ok(()) => self.forward(frame)?,
                Err(Error::Other { errno: EAGAIN } | Error::Eof) => return Ok(()),
                Err(Error::InvalidData) => tracing::warn!("ladder decoder dropped a damaged frame"),
                Err(source) => return Err(LadderError::Ffmpeg { during: "decoding", source }),
            }
        }
    }

    fn forward(&mut self, mut frame: frame::Video) -> Result<(), LadderError> {
        let Some(pts) = frame.timestamp() else {
            tracing::warn!("ladder decoder produced a frame without a timestamp; dropped");
            return Ok(());
        };
        // A segment start whose own frame was lost moves to the next frame.
        let later = self.pending.split_off(&(pts + 1));
        let segment_start = std::mem::replace(&mut self.pending, later).into_values().any(|start| start);
        frame.set_pts(Some(pts));
        // The source's picture types must not leak into the encoders: only
        // segment starts are forced (to IDR), the rest is the encoder's choice.
        frame.set_kind(if segment_start { picture::Type::I } else { picture::Type::None });
        self.output.send(Arc::new(frame)).map_err(|_| LadderError::Stopped)
    }
}

/// An H.264 decoder for the stream `avcc` describes, with `threads` frame
/// threads (each one adds a frame of delay); packets are timed at 90 kHz.
/// With an empty `avcc` it takes Annex B packets carrying their own
/// parameter sets.
pub(crate) fn open_decoder(avcc: &[u8], threads: usize) -> Result<decoder::Video, LadderError> {
    let h264 = decoder::find(codec::Id::H264).ok_or(LadderError::DecoderMissing)?;
    let mut context = codec::Context::new_with_codec(h264);
    if !avcc.is_empty() {
        set_extradata(&mut context, avcc)?;
    }
    context.set_threading(codec::threading::Config {
        kind: codec::threading::Type::Frame,
        count: threads,
        ..Default::default()
    });
    let mut decoder = context.decoder();
    decoder.set_packet_time_base(Rational::new(1, VIDEO_TIMESCALE as i32));
    decoder.video().map_err(|source| LadderError::Ffmpeg { during: "opening the decoder", source })
}

/// Hands the avcC record to the decoder context, which then owns the copy.
fn set_extradata(context: &mut codec::Context, avcc: &[u8]) -> Result<(), LadderError> {
    use ffmpeg_next::ffi::{AV_INPUT_BUFFER_PADDING_SIZE, av_mallocz};

    let size = i32::try_from(avcc.len()).map_err(|_| LadderError::InvalidSource)?;
    // Safety: av_mallocz returns null or a zeroed buffer of the asked size;
    // the padding FFmpeg's bitstream readers expect is part of it.
    let buffer = unsafe { av_mallocz(avcc.len() + AV_INPUT_BUFFER_PADDING_SIZE as usize) }.cast::<u8>();
    if buffer.is_null() {
        return Err(LadderError::Ffmpeg { during: "allocating extradata", source: Error::Other { errno: ENOMEM } });
    }
    // Safety: `buffer` holds at least `avcc.len()` bytes and does not overlap
    // `avcc`. The context is unopened and has no extradata yet; it frees the
    // buffer with av_free when it is dropped (avcodec_free_context).
    unsafe {
        std::ptr::copy_nonoverlapping(avcc.as_ptr(), buffer, avcc.len());
        let raw = context.as_mut_ptr();
        (*raw).extradata = buffer;
        (*raw).extradata_size = size;
    }
    Ok(())
}
