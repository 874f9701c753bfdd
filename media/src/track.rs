//! What flows between ingest, ladder and packager: a track's codec setup and
//! its coded samples, in the track's own timescale.

use bytes::Bytes;

/// Video tracks count time in 90 kHz ticks, as MPEG does.
pub const VIDEO_TIMESCALE: u32 = 90_000;

/// How a track's samples are coded, with what a decoder needs to start.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Codec {
    /// H.264 in AVCC form (length-prefixed NAL units); `avcc` is the
    /// AVCDecoderConfigurationRecord (SPS and PPS).
    H264 { avcc: Bytes, width: u16, height: u16 },
    /// AAC raw frames; `asc` is the AudioSpecificConfig.
    Aac { asc: Bytes, sample_rate: u32, channels: u16 },
}

impl Codec {
    /// The RFC 6381 codec string a master playlist advertises.
    pub fn rfc6381(&self) -> String {
        match self {
            Codec::H264 { avcc, .. } if avcc.len() >= 4 => {
                format!("avc1.{:02x}{:02x}{:02x}", avcc[1], avcc[2], avcc[3])
            }
            Codec::H264 { .. } => "avc1.64001f".to_owned(),
            Codec::Aac { asc, .. } => {
                let object_type = asc.first().map_or(2, |b| b >> 3);
                format!("mp4a.40.{object_type}")
            }
        }
    }

    pub fn timescale(&self) -> u32 {
        match self {
            Codec::H264 { .. } => VIDEO_TIMESCALE,
            Codec::Aac { sample_rate, .. } => *sample_rate,
        }
    }
}

/// One coded access unit (a video frame or an AAC frame).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sample {
    /// Decode time in the track's timescale.
    pub dts: u64,
    /// Presentation minus decode time (B-frames), in the track's timescale.
    pub cts_offset: i32,
    /// Time to the next sample; known once the next sample arrives.
    pub duration: u32,
    /// A sync sample: decoding can start here (an IDR frame; every AAC frame).
    pub keyframe: bool,
    pub data: Bytes,
}
