//! FLV tag bodies as RTMP carries them: H.264 and AAC, their codec setup, and
//! the few SPS fields a playlist needs (picture size).

use bytes::Bytes;
use thiserror::Error;

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
    let (width, height) = sps_picture_size(sps).ok_or(FlvError::BadConfig("unreadable SPS"))?;
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

/// Reads an SPS bit by bit (emulation-prevention bytes removed).
struct Bits {
    data: Vec<u8>,
    at: usize,
}

impl Bits {
    fn new(nal: &[u8]) -> Self {
        let mut data = Vec::with_capacity(nal.len());
        let mut zeros = 0;
        for &b in nal {
            if zeros >= 2 && b == 3 {
                zeros = 0;
                continue;
            }
            zeros = if b == 0 { zeros + 1 } else { 0 };
            data.push(b);
        }
        Self { data, at: 0 }
    }

    fn bit(&mut self) -> Option<u32> {
        let byte = self.data.get(self.at / 8)?;
        let bit = (byte >> (7 - self.at % 8)) & 1;
        self.at += 1;
        Some(u32::from(bit))
    }

    fn bits(&mut self, n: u32) -> Option<u32> {
        (0..n).try_fold(0, |acc, _| Some((acc << 1) | self.bit()?))
    }

    fn ue(&mut self) -> Option<u32> {
        let mut zeros = 0;
        while self.bit()? == 0 {
            zeros += 1;
            if zeros > 31 {
                return None;
            }
        }
        Some((1u32 << zeros) - 1 + self.bits(zeros)?)
    }

    fn se(&mut self) -> Option<i32> {
        let v = self.ue()?;
        let magnitude = i32::try_from(v.div_ceil(2)).ok()?;
        Some(if v % 2 == 1 { magnitude } else { -magnitude })
    }
}

/// The cropped picture size an H.264 SPS NAL unit (with its header byte) declares.
pub fn sps_picture_size(sps: &[u8]) -> Option<(u16, u16)> {
    let mut r = Bits::new(sps.get(1..)?);
    let profile = r.bits(8)?;
    r.bits(16)?; // constraint flags, level
    r.ue()?; // seq_parameter_set_id
    let mut chroma_format = 1;
    if matches!(profile, 100 | 110 | 122 | 244 | 44 | 83 | 86 | 118 | 128 | 138 | 139 | 134 | 135) {
        chroma_format = r.ue()?;
        if chroma_format == 3 {
            r.bit()?; // separate_colour_plane_flag
        }
        r.ue()?; // bit_depth_luma_minus8
        r.ue()?; // bit_depth_chroma_minus8
        r.bit()?; // qpprime_y_zero_transform_bypass_flag
        if r.bit()? == 1 {
            let lists = if chroma_format == 3 { 12 } else { 8 };
            for i in 0..lists {
                if r.bit()? == 1 {
                    skip_scaling_list(&mut r, if i < 6 { 16 } else { 64 })?;
                }
            }
        }
    }
    r.ue()?; // log2_max_frame_num_minus4
    match r.ue()? {
        0 => {
            r.ue()?; // log2_max_pic_order_cnt_lsb_minus4
        }
        1 => {
            r.bit()?;
            r.se()?;
            r.se()?;
            for _ in 0..r.ue()? {
                r.se()?;
            }
        }
        _ => {}
    }
    r.ue()?; // max_num_ref_frames
    r.bit()?; // gaps_in_frame_num_value_allowed_flag
    let width_mbs = r.ue()? + 1;
    let height_units = r.ue()? + 1;
    let frame_mbs_only = r.bit()?;
    if frame_mbs_only == 0 {
        r.bit()?; // mb_adaptive_frame_field_flag
    }
    r.bit()?; // direct_8x8_inference_flag
    let (mut crop_x, mut crop_y) = (0, 0);
    if r.bit()? == 1 {
        let (left, right, top, bottom) = (r.ue()?, r.ue()?, r.ue()?, r.ue()?);
        let (unit_x, unit_y) = match chroma_format {
            0 => (1, 2 - frame_mbs_only),
            1 => (2, 2 * (2 - frame_mbs_only)),
            2 => (2, 2 - frame_mbs_only),
            _ => (1, 2 - frame_mbs_only),
        };
        crop_x = unit_x * (left + right);
        crop_y = unit_y * (top + bottom);
    }
    let width = (width_mbs * 16).checked_sub(crop_x)?;
    let height = (height_units * 16 * (2 - frame_mbs_only)).checked_sub(crop_y)?;
    Some((u16::try_from(width).ok()?, u16::try_from(height).ok()?))
}

fn skip_scaling_list(r: &mut Bits, size: usize) -> Option<()> {
    let (mut last, mut next) = (8i32, 8i32);
    for _ in 0..size {
        if next != 0 {
            next = (last + r.se()? + 256) % 256;
        }
        if next != 0 {
            last = next;
        }
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    // x264's SPS for 1280x720 (no cropping) and for 1920x1080 (1088 coded rows
    // cropped by 8), made with `ffmpeg -f lavfi -i testsrc2=size=WxH -c:v libx264`.
    const SPS_720: [u8; 26] = [
        0x67, 0x64, 0x00, 0x1f, 0xac, 0xd9, 0x40, 0x50, 0x05, 0xbb, 0x01, 0x10, 0x00, 0x00, 0x03, 0x00, 0x10, 0x00,
        0x00, 0x03, 0x03, 0xc0, 0xf1, 0x83, 0x19, 0x60,
    ];
    const SPS_1080: [u8; 27] = [
        0x67, 0x64, 0x00, 0x28, 0xac, 0xd9, 0x40, 0x78, 0x02, 0x27, 0xe5, 0xc0, 0x44, 0x00, 0x00, 0x03, 0x00, 0x04,
        0x00, 0x00, 0x03, 0x00, 0xf0, 0x3c, 0x60, 0xc6, 0x58,
    ];

    #[test]
    fn reads_the_cropped_picture_size() {
        assert_eq!(sps_picture_size(&SPS_720), Some((1280, 720)));
        assert_eq!(sps_picture_size(&SPS_1080), Some((1920, 1080)));
    }

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
