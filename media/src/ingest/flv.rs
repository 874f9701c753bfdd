//! FLV tag bodies as RTMP carries them: H.264 and AAC and their codec setup.

use bytes::Bytes;
use thiserror::Error;

use crate::h264::Sps;
use crate::track::Codec;

#[derive(Debug, Error, PartialEq, Eq)]
pub enum FlvError {
    #[error("the tag is shorter than its header")]
    Truncated,
    #[error("unsupported codec id {0} (only H.264 video and AAC audio are taken)")]
    UnsupportedCodec(u8),
    #[error("malformed codec configuration: {0}")]
    BadConfig(&'static str),
}

/// What one RTMP video or audio message holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tag {
    /// Codec setup: the decoder needs it before any frame.
    Config(Codec),
    /// One coded frame; `cts_ms` is presentation minus decode time.
    Frame { keyframe: bool, cts_ms: i32, data: Bytes },
    /// Nothing to package (end of sequence, video info frames).
    Skip,
}

/// Parses an RTMP video message body (an FLV VIDEODATA tag body).
pub fn video(body: &Bytes) -> Result<Tag, FlvError> {
    let (&first, rest) = body.split_first().ok_or(FlvError::Truncated)?;
    if first & 0x80 != 0 {
        // Enhanced RTMP (HEVC, AV1): not taken.
        return Err(FlvError::UnsupportedCodec(first & 0x0f));
    }
    let (frame_type, codec) = (first >> 4, first & 0x0f);
    if codec != 7 {
        return Err(FlvError::UnsupportedCodec(codec));
    }
    if frame_type == 5 {
        return Ok(Tag::Skip);
    }
    if rest.len() < 4 {
        return Err(FlvError::Truncated);
    }
    let cts = i32::from_be_bytes([0, rest[1], rest[2], rest[3]]);
    let cts_ms = (cts << 8) >> 8; // sign-extend the 24-bit value
    let payload = body.slice(5..);
    match rest[0] {
        0 => Ok(Tag::Config(avc_config(payload)?)),
        1 if payload.is_empty() => Ok(Tag::Skip),
        1 => Ok(Tag::Frame { keyframe: frame_type == 1, cts_ms, data: payload }),
        _ => Ok(Tag::Skip),
    }
}

/// Parses an RTMP audio message body (an FLV AUDIODATA tag body).
pub fn audio(body: &Bytes) -> Result<Tag, FlvError> {
    let (&first, rest) = body.split_first().ok_or(FlvError::Truncated)?;
    let format = first >> 4;
    if format != 10 {
        return Err(FlvError::UnsupportedCodec(format));
    }
    let (&packet_type, _) = rest.split_first().ok_or(FlvError::Truncated)?;
    let payload = body.slice(2..);
    match packet_type {
        0 => Ok(Tag::Config(aac_config(payload)?)),
        _ if payload.is_empty() => Ok(Tag::Skip),
        _ => Ok(Tag::Frame { keyframe: true, cts_ms: 0, data: payload }),
    }
}

fn avc_config(avcc: Bytes) -> Result<Codec, FlvError> {
    // configurationVersion, profile, compatibility, level, lengthSizeMinusOne,
    // numOfSequenceParameterSets, then the first SPS with its 16-bit length.
    if avcc.len() < 8 || avcc[0] != 1 {
        return Err(FlvError::BadConfig("AVCDecoderConfigurationRecord"));
    }
    if avcc[4] & 0x03 != 3 {
        return Err(FlvError::BadConfig("NAL length size other than 4"));
    }
    if avcc[5] & 0x1f == 0 {
        return Err(FlvError::BadConfig("no SPS"));
    }
    let sps_len = usize::from(u16::from_be_bytes([avcc[6], avcc[7]]));
    let sps = avcc.get(8..8 + sps_len).ok_or(FlvError::BadConfig("SPS past the record's end"))?;
    let Sps { width, height, .. } = Sps::parse(sps).ok_or(FlvError::BadConfig("unreadable SPS"))?;
    Ok(Codec::H264 { avcc, width, height })
}

fn aac_config(asc: Bytes) -> Result<Codec, FlvError> {
    if asc.len() < 2 {
        return Err(FlvError::BadConfig("AudioSpecificConfig"));
    }
    const RATES: [u32; 13] = [96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000, 11025, 8000, 7350];
    let index = usize::from(((asc[0] & 0x07) << 1) | (asc[1] >> 7));
    let sample_rate = *RATES.get(index).ok_or(FlvError::BadConfig("AAC sampling frequency index"))?;
    let channels = u16::from((asc[1] >> 3) & 0x0f);
    if channels == 0 {
        return Err(FlvError::BadConfig("AAC channel configuration"));
    }
    Ok(Codec::Aac { asc, sample_rate, channels })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::h264::tests::SPS_720;

    fn avc_record(sps: &[u8]) -> Vec<u8> {
        let mut record = vec![1, sps[1], sps[2], sps[3], 0xff, 0xe1];
        record.extend_from_slice(&u16::try_from(sps.len()).unwrap().to_be_bytes());
        record.extend_from_slice(sps);
        record.extend_from_slice(&[1, 0, 4, 0x68, 0xeb, 0xe3, 0xcb]);
        record
    }

    #[test]
    fn video_sequence_header_becomes_codec_setup() {
        let mut body = vec![0x17, 0, 0, 0, 0];
        body.extend(avc_record(&SPS_720));
        let Tag::Config(codec) = video(&Bytes::from(body)).unwrap() else { panic!("not a config") };
        assert!(matches!(codec, Codec::H264 { width: 1280, height: 720, .. }));
        assert_eq!(codec.rfc6381(), "avc1.64001f");
    }

    #[test]
    fn video_frames_carry_keyframe_flag_and_signed_composition_offset() {
        let body = Bytes::from_static(&[0x27, 1, 0xff, 0xff, 0xdf, 0, 0, 0, 1, 0x41]);
        assert_eq!(
            video(&body).unwrap(),
            Tag::Frame { keyframe: false, cts_ms: -33, data: Bytes::from_static(&[0, 0, 0, 1, 0x41]) }
        );
        let key = Bytes::from_static(&[0x17, 1, 0, 0, 0x21, 0, 0, 0, 1, 0x65]);
        assert!(matches!(video(&key).unwrap(), Tag::Frame { keyframe: true, cts_ms: 33, .. }));
    }

    #[test]
    fn refuses_what_it_cannot_package() {
        assert_eq!(video(&Bytes::new()), Err(FlvError::Truncated));
        assert_eq!(video(&Bytes::from_static(&[0x17, 1])), Err(FlvError::Truncated));
        assert_eq!(video(&Bytes::from_static(&[0x12, 0, 0, 0, 0])), Err(FlvError::UnsupportedCodec(2)));
        assert!(matches!(video(&Bytes::from_static(&[0x17, 0, 0, 0, 0, 1, 2])), Err(FlvError::BadConfig(_))));
        assert_eq!(audio(&Bytes::from_static(&[0x2f, 0, 0])), Err(FlvError::UnsupportedCodec(2)));
    }

    #[test]
    fn aac_setup_gives_rate_and_channels() {
        // AAC-LC, 48 kHz (index 3), stereo.
        let Tag::Config(codec) = audio(&Bytes::from_static(&[0xaf, 0, 0x11, 0x90])).unwrap() else { panic!() };
        assert_eq!(codec, Codec::Aac { asc: Bytes::from_static(&[0x11, 0x90]), sample_rate: 48000, channels: 2 });
        assert_eq!(codec.rfc6381(), "mp4a.40.2");
        assert!(matches!(audio(&Bytes::from_static(&[0xaf, 1, 0x21, 0x10])).unwrap(), Tag::Frame { .. }));
    }
}
