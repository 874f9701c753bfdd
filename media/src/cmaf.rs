//! CMAF fragmented MP4, one track per file: the initialization segment
//! (`ftyp`+`moov`) and media fragments (`moof`+`mdat`). A partial segment is
//! one fragment; a segment is its parts back to back.

use bytes::{BufMut, Bytes, BytesMut};

use crate::track::{Codec, Sample};

/// The only track of every file.
const TRACK_ID: u32 = 1;

/// Writes a box: a 32-bit size, the type, then what `body` writes.
fn mp4_box(out: &mut BytesMut, kind: &[u8; 4], body: impl FnOnce(&mut BytesMut)) {
    let start = out.len();
    out.put_u32(0);
    out.put_slice(kind);
    body(out);
    let size = u32::try_from(out.len() - start).expect("boxes stay under 4 GiB");
    out[start..start + 4].copy_from_slice(&size.to_be_bytes());
}

/// A box with a version and 24 bits of flags.
fn full_box(out: &mut BytesMut, kind: &[u8; 4], version: u8, flags: u32, body: impl FnOnce(&mut BytesMut)) {
    mp4_box(out, kind, |out| {
        out.put_u32((u32::from(version) << 24) | (flags & 0x00ff_ffff));
        body(out);
    });
}

const UNITY_MATRIX: [u32; 9] = [0x0001_0000, 0, 0, 0, 0x0001_0000, 0, 0, 0, 0x4000_0000];

/// The initialization segment for one track.
pub fn init_segment(codec: &Codec) -> Bytes {
    let mut out = BytesMut::with_capacity(1024);
    mp4_box(&mut out, b"ftyp", |out| {
        out.put_slice(b"iso6");
        out.put_u32(0);
        for brand in [b"iso6", b"cmfc", b"mp41", b"dash"] {
            out.put_slice(brand);
        }
    });
    mp4_box(&mut out, b"moov", |out| {
        full_box(out, b"mvhd", 0, 0, |out| {
            out.put_u32(0); // creation time
            out.put_u32(0); // modification time
            out.put_u32(1000);
            out.put_u32(0); // duration: fragmented
            out.put_u32(0x0001_0000); // rate 1.0
            out.put_u16(0x0100); // volume 1.0
            out.put_bytes(0, 10);
            UNITY_MATRIX.iter().for_each(|v| out.put_u32(*v));
            out.put_bytes(0, 24);
            out.put_u32(TRACK_ID + 1);
        });
        mp4_box(out, b"trak", |out| track(out, codec));
        mp4_box(out, b"mvex", |out| {
            full_box(out, b"trex", 0, 0, |out| {
                out.put_u32(TRACK_ID);
                out.put_u32(1); // sample description index
                out.put_u32(0);
                out.put_u32(0);
                out.put_u32(0);
            });
        });
    });
    out.freeze()
}

fn track(out: &mut BytesMut, codec: &Codec) {
    let (width, height, volume) = match codec {
        Codec::H264 { width, height, .. } => (*width, *height, 0),
        Codec::Aac { .. } => (0, 0, 0x0100),
    };
    full_box(out, b"tkhd", 0, 0x3, |out| {
        out.put_u32(0);
        out.put_u32(0);
        out.put_u32(TRACK_ID);
        out.put_u32(0);
        out.put_u32(0); // duration
        out.put_bytes(0, 8);
        out.put_u16(0); // layer
        out.put_u16(0); // alternate group
        out.put_u16(volume);
        out.put_u16(0);
        UNITY_MATRIX.iter().for_each(|v| out.put_u32(*v));
        out.put_u32(u32::from(width) << 16);
        out.put_u32(u32::from(height) << 16);
    });
    mp4_box(out, b"mdia", |out| {
        full_box(out, b"mdhd", 0, 0, |out| {
            out.put_u32(0);
            out.put_u32(0);
            out.put_u32(codec.timescale());
            out.put_u32(0);
            out.put_u16(0x55c4); // "und"
            out.put_u16(0);
        });
        let (handler, name): (&[u8; 4], &[u8]) = match codec {
            Codec::H264 { .. } => (b"vide", b"Cartcast video\0"),
            Codec::Aac { .. } => (b"soun", b"Cartcast audio\0"),
        };
        full_box(out, b"hdlr", 0, 0, |out| {
            out.put_u32(0);
            out.put_slice(handler);
            out.put_bytes(0, 12);
            out.put_slice(name);
        });
        mp4_box(out, b"minf", |out| {
            match codec {
                Codec::H264 { .. } => full_box(out, b"vmhd", 0, 1, |out| out.put_bytes(0, 8)),
                Codec::Aac { .. } => full_box(out, b"smhd", 0, 0, |out| out.put_u32(0)),
            }
            mp4_box(out, b"dinf", |out| {
                full_box(out, b"dref", 0, 0, |out| {
                    out.put_u32(1);
                    full_box(out, b"url ", 0, 1, |_| {});
                });
            });
            mp4_box(out, b"stbl", |out| {
                full_box(out, b"stsd", 0, 0, |out| {
                    out.put_u32(1);
                    sample_entry(out, codec);
                });
                for kind in [b"stts", b"stsc", b"stco"] {
                    full_box(out, kind, 0, 0, |out| out.put_u32(0));
                }
                full_box(out, b"stsz", 0, 0, |out| out.put_bytes(0, 8));
            });
        });
    });
}

fn sample_entry(out: &mut BytesMut, codec: &Codec) {
    match codec {
        Codec::H264 { avcc, width, height } => mp4_box(out, b"avc1", |out| {
            out.put_bytes(0, 6);
            out.put_u16(1); // data reference index
            out.put_bytes(0, 16);
            out.put_u16(*width);
            out.put_u16(*height);
            out.put_u32(0x0048_0000); // 72 dpi
            out.put_u32(0x0048_0000);
            out.put_u32(0);
            out.put_u16(1); // frame count
            out.put_bytes(0, 32); // compressor name
            out.put_u16(0x0018); // depth
            out.put_i16(-1);
            mp4_box(out, b"avcC", |out| out.put_slice(avcc));
        }),
        Codec::Aac { asc, sample_rate, channels } => mp4_box(out, b"mp4a", |out| {
            out.put_bytes(0, 6);
            out.put_u16(1);
            out.put_bytes(0, 8);
            out.put_u16(*channels);
            out.put_u16(16); // sample size
            out.put_u32(0);
            out.put_u32(sample_rate.checked_shl(16).filter(|_| *sample_rate <= 0xffff).unwrap_or(0));
            full_box(out, b"esds", 0, 0, |out| es_descriptor(out, asc));
        }),
    }
}

/// ISO 14496-1 descriptors for AAC: ES, decoder config, decoder-specific info (the ASC), SL config.
fn es_descriptor(out: &mut BytesMut, asc: &[u8]) {
    let descriptor = |out: &mut BytesMut, tag: u8, body: &[u8]| {
        out.put_u8(tag);
        // Four-byte size form, as most muxers write it.
        let len = u32::try_from(body.len()).expect("descriptors are small");
        out.put_slice(&[
            0x80 | (len >> 21) as u8 & 0x7f,
            0x80 | (len >> 14) as u8 & 0x7f,
            0x80 | (len >> 7) as u8 & 0x7f,
        ]);
        out.put_u8((len & 0x7f) as u8);
        out.put_slice(body);
    };
    let mut specific = BytesMut::new();
    descriptor(&mut specific, 0x05, asc);
    let mut config = BytesMut::new();
    config.put_u8(0x40); // MPEG-4 audio
    config.put_u8(0x15); // audio stream
    config.put_slice(&[0, 0, 0]); // buffer size
    config.put_u32(0); // max bitrate
    config.put_u32(0); // average bitrate
    config.put_slice(&specific);
    let mut es = BytesMut::new();
    es.put_u16(0); // ES id
    es.put_u8(0); // flags
    descriptor(&mut es, 0x04, &config);
    descriptor(&mut es, 0x06, &[0x02]);
    descriptor(out, 0x03, &es);
}

/// Sample flags: a sync sample depends on nothing; others are non-sync and
/// depend on earlier samples.
const SYNC: u32 = 0x0200_0000;
const NON_SYNC: u32 = 0x0101_0000;

/// A fragment's boxes before its samples: moof, mfhd, traf, tfhd, tfdt
/// (version 1), trun with its count and data offset, and mdat's header.
const FRAGMENT_HEADER: usize = 8 + 16 + 8 + 16 + 20 + 20 + 8;
/// Per sample in trun: duration, size, flags, composition offset.
const TRUN_ENTRY: usize = 16;

/// One fragment (`moof`+`mdat`) holding `samples`, which must not be empty;
/// the fragment's decode time is the first sample's.
pub fn fragment(sequence: u32, samples: &[Sample]) -> Bytes {
    let payload: usize = samples.iter().map(|s| s.data.len()).sum();
    // Sized exactly: a part is held as long as it is listed, so no spare capacity.
    let size = FRAGMENT_HEADER + samples.len() * TRUN_ENTRY + payload;
    let mut out = BytesMut::with_capacity(size);
    let mut data_offset_at = 0;
    mp4_box(&mut out, b"moof", |out| {
        full_box(out, b"mfhd", 0, 0, |out| out.put_u32(sequence));
        mp4_box(out, b"traf", |out| {
            // default-base-is-moof: data offsets count from this fragment's moof.
            full_box(out, b"tfhd", 0, 0x02_0000, |out| out.put_u32(TRACK_ID));
            full_box(out, b"tfdt", 1, 0, |out| out.put_u64(samples.first().map_or(0, |s| s.dts)));
            // data offset, then per sample: duration, size, flags, composition offset.
            full_box(out, b"trun", 1, 0x0001 | 0x0100 | 0x0200 | 0x0400 | 0x0800, |out| {
                out.put_u32(u32::try_from(samples.len()).expect("a fragment holds few samples"));
                data_offset_at = out.len();
                out.put_u32(0);
                for sample in samples {
                    out.put_u32(sample.duration);
                    out.put_u32(u32::try_from(sample.data.len()).expect("a sample is under 4 GiB"));
                    out.put_u32(if sample.keyframe { SYNC } else { NON_SYNC });
                    out.put_i32(sample.cts_offset);
                }
            });
        });
    });
    let data_offset = u32::try_from(out.len() + 8).expect("moof is small");
    out[data_offset_at..data_offset_at + 4].copy_from_slice(&data_offset.to_be_bytes());
    mp4_box(&mut out, b"mdat", |out| samples.iter().for_each(|s| out.put_slice(&s.data)));
    debug_assert_eq!(out.len(), size, "a fragment's size is counted exactly");
    out.freeze()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The top-level boxes of `data` as (type, size), checking that sizes tile the data.
    fn top_level(data: &[u8]) -> Vec<(String, usize)> {
        let mut boxes = Vec::new();
        let mut at = 0;
        while at < data.len() {
            let size = u32::from_be_bytes(data[at..at + 4].try_into().unwrap()) as usize;
            assert!(size >= 8 && at + size <= data.len(), "box size {size} at {at} overruns {}", data.len());
            boxes.push((String::from_utf8_lossy(&data[at + 4..at + 8]).into_owned(), size));
            at += size;
        }
        boxes
    }

    fn sample(dts: u64, keyframe: bool, data: &'static [u8]) -> Sample {
        Sample { dts, cts_offset: 0, duration: 3000, keyframe, data: Bytes::from_static(data) }
    }

    #[test]
    fn init_segment_is_ftyp_then_moov() {
        let audio = Codec::Aac { asc: Bytes::from_static(&[0x11, 0x90]), sample_rate: 48000, channels: 2 };
        let init = init_segment(&audio);
        let names: Vec<String> = top_level(&init).into_iter().map(|(name, _)| name).collect();
        assert_eq!(names, ["ftyp", "moov"]);
        assert!(init.windows(4).any(|w| w == b"esds"));
        assert!(init.windows(4).any(|w| w == b"trex"));
    }

    #[test]
    fn fragment_offsets_point_at_the_first_sample() {
        let frag = fragment(7, &[sample(90_000, true, b"\0\0\0\x01\x65"), sample(93_000, false, b"\0\0\0\x01\x41")]);
        let boxes = top_level(&frag);
        assert_eq!(boxes.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(), ["moof", "mdat"]);
        let trun = frag.windows(4).position(|w| w == b"trun").unwrap();
        let data_offset = u32::from_be_bytes(frag[trun + 12..trun + 16].try_into().unwrap()) as usize;
        assert_eq!(&frag[data_offset..data_offset + 5], b"\0\0\0\x01\x65");
        let tfdt = frag.windows(4).position(|w| w == b"tfdt").unwrap();
        assert_eq!(u64::from_be_bytes(frag[tfdt + 8..tfdt + 16].try_into().unwrap()), 90_000);
    }
}
