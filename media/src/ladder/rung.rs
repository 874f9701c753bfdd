//! One rung's stage: scale the frame from the rung above, pass it on to the
//! rung below, encode it, and emit AVCC samples.

use std::sync::Arc;
use std::sync::mpsc::{Receiver, SyncSender};

use ffmpeg_next::format::Pixel;
use ffmpeg_next::software::scaling;
use ffmpeg_next::util::error::EAGAIN;
use ffmpeg_next::{Error, Packet, codec::encoder, frame};

use super::{LadderError, LadderOutput, Rung, SCALE_FLAGS, avcc};
use crate::track::{Codec, Sample};

pub(super) struct RungStage {
    pub index: usize,
    pub rung: Rung,
    pub width: u16,
    pub encoder: encoder::Video,
    /// Frames of the rung above (the decoder's, for the first rung).
    pub input: Receiver<Arc<frame::Video>>,
    /// This rung's scaled frames go on to the rung below, which scales from
    /// them rather than from the larger source.
    pub next: Option<SyncSender<Arc<frame::Video>>>,
    pub output: SyncSender<LadderOutput>,
}

impl RungStage {
    /// Runs until the input closes, then flushes the encoder.
    pub fn run(mut self) -> Result<(), LadderError> {
        // Built on the first frame (the scaler is not `Send`), rebuilt when the
        // input's size or format changes.
        let mut scaler: Option<scaling::Context> = None;
        let mut announced = false;
        while let Ok(frame) = self.input.recv() {
            let scaled = self.scale(&mut scaler, frame)?;
            if let Some(next) = &self.next {
                next.send(Arc::clone(&scaled)).map_err(|_| LadderError::Stopped)?;
            }
            // The encoder takes a reference to the buffers; they stay read-only.
            self.encoder.send_frame(&scaled).map_err(|source| LadderError::Ffmpeg { during: "encoding", source })?;
            drop(scaled);
            self.drain(&mut announced)?;
        }
        // Let the rung below flush while this one does.
        self.next = None;
        self.encoder.send_eof().map_err(|source| LadderError::Ffmpeg { during: "flushing an encoder", source })?;
        self.drain(&mut announced)
    }

    fn scale(
        &self,
        scaler: &mut Option<scaling::Context>,
        frame: Arc<frame::Video>,
    ) -> Result<Arc<frame::Video>, LadderError> {
        let (width, height) = (u32::from(self.width), self.rung.height);
        if frame.width() == width && frame.height() == height && frame.format() == Pixel::YUV420P {
            return Ok(frame);
        }
        let input =
            scaling::context::Definition { format: frame.format(), width: frame.width(), height: frame.height() };
        let scaler = match scaler {
            Some(current) if *current.input() == input => current,
            _ => scaler.insert(
                scaling::Context::get(
                    input.format,
                    input.width,
                    input.height,
                    Pixel::YUV420P,
                    width,
                    height,
                    SCALE_FLAGS,
                )
                .map_err(|source| LadderError::Ffmpeg { during: "setting up a scaler", source })?,
            ),
        };
        let mut scaled = frame::Video::empty();
        scaler.run(&frame, &mut scaled).map_err(|source| LadderError::Ffmpeg { during: "scaling", source })?;
        scaled.set_pts(frame.pts());
        scaled.set_kind(frame.kind());
        Ok(Arc::new(scaled))
    }

    fn drain(&mut self, announced: &mut bool) -> Result<(), LadderError> {
        loop {
            let mut packet = Packet::empty();
            match self.encoder.receive_packet(&mut packet) {
                Ok(()) => {
                    let codec = if *announced { None } else { Some(self.codec(&packet)?) };
                    *announced = true;
                    let sample = sample(&packet)?;
                    let output = LadderOutput { rung: self.index, codec, sample };
                    self.output.send(output).map_err(|_| LadderError::OutputClosed)?;
                }
                Err(Error::Other { errno: EAGAIN } | Error::Eof) => return Ok(()),
                Err(source) => return Err(LadderError::Ffmpeg { during: "encoding", source }),
            }
        }
    }

    /// The rendition's codec setup: SPS/PPS from the encoder's global header,
    /// else from its first packet.
    fn codec(&self, first: &Packet) -> Result<Codec, LadderError> {
        let avcc = avcc::decoder_config(self.extradata())
            .or_else(|| first.data().and_then(avcc::decoder_config))
            .ok_or(LadderError::MissingParameterSets(self.rung.name))?;
        // Rung heights are validated to be no taller than the (u16) source.
        let height = u16::try_from(self.rung.height).map_err(|_| LadderError::InvalidRung(self.rung.name))?;
        Ok(Codec::H264 { avcc, width: self.width, height })
    }

    fn extradata(&self) -> &[u8] {
        // Safety: the encoder is open, so `extradata` is null or points at
        // `extradata_size` bytes it owns and leaves unchanged while encoding;
        // the slice borrows `self`, which keeps the encoder alive.
        unsafe {
            let raw = self.encoder.as_ptr();
            match usize::try_from((*raw).extradata_size) {
                Ok(size) if size > 0 && !(*raw).extradata.is_null() => {
                    std::slice::from_raw_parts((*raw).extradata, size)
                }
                _ => &[],
            }
        }
    }
}

/// An encoded packet (Annex B, 90 kHz) as an AVCC sample; the packager fills
/// in durations.
fn sample(packet: &Packet) -> Result<Sample, LadderError> {
    let dts = packet.dts().or(packet.pts()).ok_or(LadderError::TimestampRange)?;
    let pts = packet.pts().unwrap_or(dts);
    Ok(Sample {
        dts: u64::try_from(dts).map_err(|_| LadderError::TimestampRange)?,
        cts_offset: i32::try_from(pts - dts).map_err(|_| LadderError::TimestampRange)?,
        duration: 0,
        keyframe: packet.is_key(),
        data: avcc::annexb_to_avcc(packet.data().unwrap_or_default()),
    })
}
