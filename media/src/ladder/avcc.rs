//! Annex B ↔ AVCC: start-code NAL streams from the encoders turned into the
//! length-prefixed samples and the AVCDecoderConfigurationRecord that MP4
//! wants, and back for a decoder that takes its parameter sets in-band.
//! Pure bytes, no FFmpeg.

use bytes::{BufMut, Bytes, BytesMut};

use crate::h264::Sps;

const NAL_SPS: u8 = 7;
const NAL_PPS: u8 = 8;

/// The NAL units of an Annex B stream, without their start codes.
pub(super) fn annexb_nals(data: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut rest = skip_start_code(data);
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let end = find_start_code(rest).unwrap_or(rest.len());
        let nal = trim_trailing_zeros(&rest[..end]);
        rest = skip_start_code(&rest[end..]);
        Some(nal)
    })
    .filter(|nal| !nal.is_empty())
}

/// Rewrites an Annex B access unit as AVCC: each NAL unit behind a 4-byte big-endian length.
pub(super) fn annexb_to_avcc(data: &[u8]) -> Bytes {
    let mut out = BytesMut::with_capacity(data.len() + 16);
    for nal in annexb_nals(data) {
        // An H.264 NAL unit in one access unit is far below 4 GiB.
        out.put_u32(nal.len() as u32);
        out.put_slice(nal);
    }
    out.freeze()
}

/// Builds an AVCDecoderConfigurationRecord (ISO/IEC 14496-15 §5.3.3.1) from the
/// SPS and PPS found in Annex B `data`; `None` when either is missing.
pub(super) fn decoder_config(data: &[u8]) -> Option<Bytes> {
    let sps: Vec<&[u8]> = annexb_nals(data).filter(|nal| nal_type(nal) == NAL_SPS && nal.len() >= 4).collect();
    let pps: Vec<&[u8]> = annexb_nals(data).filter(|nal| nal_type(nal) == NAL_PPS).collect();
    let first = *sps.first()?;
    if pps.is_empty() {
        return None;
    }
    let mut out = BytesMut::new();
    out.put_u8(1); // configurationVersion
    out.put_slice(&first[1..4]); // profile, constraint flags, level
    out.put_u8(0xFC | 3); // lengthSizeMinusOne = 3: 4-byte NAL lengths
    out.put_u8(0xE0 | sps.len() as u8);
    for nal in &sps {
        out.put_u16(nal.len() as u16);
        out.put_slice(nal);
    }
    out.put_u8(pps.len() as u8);
    for nal in &pps {
        out.put_u16(nal.len() as u16);
        out.put_slice(nal);
    }
    // High profiles carry the chroma format and bit depths as well.
    if matches!(first[1], 100 | 110 | 122 | 144) {
        let format = Sps::parse(first)?;
        out.put_u8(0xFC | format.chroma_format_idc);
        out.put_u8(0xF8 | format.bit_depth_luma_minus8);
        out.put_u8(0xF8 | format.bit_depth_chroma_minus8);
        out.put_u8(0); // numOfSequenceParameterSetExt
    }
    Some(out.freeze())
}

/// A sample (4-byte NAL lengths, as ingest accepts) as Annex B, led by the
/// SPS and PPS of its decoder configuration `record`: one decoder opened
/// without a record decodes it alone, whichever stream it came from.
/// `None` when the record or the sample is cut short.
pub(crate) fn to_annexb(record: &[u8], sample: &[u8]) -> Option<Vec<u8>> {
    const START: [u8; 4] = [0, 0, 0, 1];
    let mut out = Vec::with_capacity(record.len() + sample.len() + 16);
    let mut rest = record.get(5..)?;
    for count_mask in [0x1F, 0xFF] {
        let (&count, sets) = rest.split_first()?;
        rest = sets;
        for _ in 0..count & count_mask {
            let len = usize::from(u16::from_be_bytes([*rest.first()?, *rest.get(1)?]));
            out.extend_from_slice(&START);
            out.extend_from_slice(rest.get(2..2 + len)?);
            rest = &rest[2 + len..];
        }
    }
    let mut rest = sample;
    while !rest.is_empty() {
        let len = usize::try_from(u32::from_be_bytes(rest.get(..4)?.try_into().ok()?)).ok()?;
        out.extend_from_slice(&START);
        out.extend_from_slice(rest.get(4..4 + len)?);
        rest = &rest[4 + len..];
    }
    Some(out)
}

fn nal_type(nal: &[u8]) -> u8 {
    nal.first().map_or(0, |header| header & 0x1F)
}

fn find_start_code(data: &[u8]) -> Option<usize> {
    data.windows(3).position(|w| w == [0, 0, 1])
}

fn skip_start_code(data: &[u8]) -> &[u8] {
    match find_start_code(data) {
        Some(at) => &data[at + 3..],
        None => &[],
    }
}

/// A 4-byte start code leaves its leading zero on the NAL before it.
fn trim_trailing_zeros(nal: &[u8]) -> &[u8] {
    let end = nal.iter().rposition(|&b| b != 0).map_or(0, |at| at + 1);
    &nal[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    // x264's SPS for 640x360 High@3.0 4:2:0 8-bit, and its PPS.
    const SPS: &[u8] = &[
        0x67, 0x64, 0x00, 0x1E, 0xAC, 0xD9, 0x40, 0xA0, 0x2F, 0xF9, 0x70, 0x11, 0x00, 0x00, 0x03, 0x00, 0x01, 0x00,
        0x00, 0x03, 0x00, 0x3C, 0x0F, 0x16, 0x2D, 0x96,
    ];
    const PPS: &[u8] = &[0x68, 0xEF, 0x8F, 0xCB];

    fn annexb(nals: &[&[u8]]) -> Vec<u8> {
        let mut out = Vec::new();
        for (i, nal) in nals.iter().enumerate() {
            // Mix 4- and 3-byte start codes, as encoders do.
            out.extend_from_slice(if i == 0 { &[0, 0, 0, 1][..] } else { &[0, 0, 1][..] });
            out.extend_from_slice(nal);
        }
        out
    }

    #[test]
    fn test_annexb_to_avcc_length_prefixes_every_nal() {
        let idr: &[u8] = &[0x65, 0x88, 0x84, 0x00, 0x21];
        let avcc = annexb_to_avcc(&annexb(&[SPS, PPS, idr]));
        let mut expected = Vec::new();
        for nal in [SPS, PPS, idr] {
            expected.extend_from_slice(&(nal.len() as u32).to_be_bytes());
            expected.extend_from_slice(nal);
        }
        assert_eq!(&avcc[..], &expected[..]);
    }

    #[test]
    fn test_decoder_config_has_high_profile_extension() {
        let record = decoder_config(&annexb(&[SPS, PPS])).expect("record");
        let mut expected = vec![1, 0x64, 0x00, 0x1E, 0xFF, 0xE1];
        expected.extend_from_slice(&(SPS.len() as u16).to_be_bytes());
        expected.extend_from_slice(SPS);
        expected.push(1);
        expected.extend_from_slice(&(PPS.len() as u16).to_be_bytes());
        expected.extend_from_slice(PPS);
        expected.extend_from_slice(&[0xFD, 0xF8, 0xF8, 0x00]);
        assert_eq!(&record[..], &expected[..]);
    }

    #[test]
    fn test_to_annexb_leads_a_sample_with_its_parameter_sets() {
        let idr: &[u8] = &[0x65, 0x88, 0x84, 0x00, 0x21];
        let sei: &[u8] = &[0x06, 0x05, 0x01];
        let record = decoder_config(&annexb(&[SPS, PPS])).expect("record");
        let sample = annexb_to_avcc(&annexb(&[sei, idr]));
        let expected: Vec<u8> = [SPS, PPS, sei, idr].iter().flat_map(|nal| [&[0, 0, 0, 1][..], nal].concat()).collect();
        assert_eq!(to_annexb(&record, &sample), Some(expected));

        assert_eq!(to_annexb(&record, &sample[..sample.len() - 1]), None, "a cut sample");
        assert_eq!(to_annexb(&record[..10], &sample), None, "a cut record");
    }

    #[test]
    fn test_decoder_config_without_pps_is_none() {
        assert_eq!(decoder_config(&annexb(&[SPS])), None);
    }
}
