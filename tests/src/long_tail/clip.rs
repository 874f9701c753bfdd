//! The bench's input: one 720p30 clip at a constant 2.5 Mbit/s with AAC,
//! made once by the ffmpeg CLI as FLV, and read into its tags, which the
//! publishers replay as RTMP messages (an FLV tag's body is an RTMP media
//! message's payload).

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, bail, ensure};
use bytes::Bytes;

/// Frames per second of the clip; its GOP is two seconds.
const FPS: u32 = 30;

/// What an FLV tag carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Audio,
    Video,
}

/// One audio or video tag of the clip.
pub struct Tag {
    pub kind: Kind,
    /// Decode time from the clip's start, ms.
    pub at_ms: u32,
    pub data: Bytes,
    /// An AVC or AAC sequence header: sent once, not again on each loop.
    pub header: bool,
}

/// The clip's media tags in file order, and how long one pass lasts.
pub struct Clip {
    pub tags: Vec<Tag>,
    /// Added to every time on each loop, so time only moves forward.
    pub loop_ms: u32,
    pub bytes: usize,
}

/// Writes `seconds` (a whole number of GOPs) of 1280x720 `testsrc2` at
/// 30 fps, x264 CBR 2.5 Mbit/s with a 2 s GOP, and a tone in AAC, to `dir/clip.flv`.
pub fn make(dir: &Path, seconds: u32) -> anyhow::Result<PathBuf> {
    ensure!(seconds >= 2 && seconds.is_multiple_of(2), "the clip lasts a whole number of 2 s GOPs");
    let path = dir.join("clip.flv");
    let status = Command::new("ffmpeg")
        .args(["-hide_banner", "-v", "error", "-y"])
        .args(["-f", "lavfi", "-i", &format!("testsrc2=size=1280x720:rate={FPS}")])
        .args(["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000", "-t", &seconds.to_string()])
        .args(["-c:v", "libx264", "-preset", "veryfast", "-pix_fmt", "yuv420p", "-g", &(FPS * 2).to_string()])
        .args(["-b:v", "2500k", "-minrate", "2500k", "-maxrate", "2500k", "-bufsize", "2500k"])
        .args(["-x264-params", "nal-hrd=cbr:force-cfr=1"])
        .args(["-c:a", "aac", "-b:a", "128k", "-f", "flv"])
        .arg(&path)
        .status()
        .context("running the ffmpeg CLI (installed by scripts/deps)")?;
    if !status.success() {
        bail!("ffmpeg could not make the clip ({status})");
    }
    Ok(path)
}

/// The audio and video tags of the FLV file at `path` (script tags skipped).
pub fn read(path: &Path) -> anyhow::Result<Clip> {
    let file = std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    ensure!(file.len() >= 13 && file.starts_with(b"FLV"), "{} is not an FLV file", path.display());
    let header_len = u32::from_be_bytes(file[5..9].try_into()?) as usize;
    // The header, then the size of the (absent) tag before the first.
    let mut at = header_len + 4;
    let mut tags = Vec::new();
    while at + 11 <= file.len() {
        let kind = file[at] & 0x1f;
        let size = u32::from_be_bytes([0, file[at + 1], file[at + 2], file[at + 3]]) as usize;
        let at_ms = u32::from_be_bytes([file[at + 7], file[at + 4], file[at + 5], file[at + 6]]);
        let body = at + 11;
        ensure!(body + size + 4 <= file.len(), "the FLV file ends inside a tag");
        let data = Bytes::copy_from_slice(&file[body..body + size]);
        at = body + size + 4;
        let (kind, header) = match kind {
            // AAC (sound format 10) whose packet type 0 is its AudioSpecificConfig.
            8 => (Kind::Audio, data.len() > 1 && data[0] >> 4 == 10 && data[1] == 0),
            // AVC (codec 7) whose packet type 0 is its decoder configuration.
            9 => (Kind::Video, data.len() > 1 && data[0] & 0x0f == 7 && data[1] == 0),
            _ => continue,
        };
        tags.push(Tag { kind, at_ms, data, header });
    }
    let last = tags.iter().map(|t| t.at_ms).max().context("the clip has no media")?;
    let bytes = tags.iter().map(|t| t.data.len()).sum();
    Ok(Clip { tags, loop_ms: last + 1000 / FPS + 1, bytes })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An FLV tag of `kind` at `at_ms` carrying `data`, with its trailing size.
    fn tag(kind: u8, at_ms: u32, data: &[u8]) -> Vec<u8> {
        let size = (data.len() as u32).to_be_bytes();
        let at = at_ms.to_be_bytes();
        let mut tag = vec![kind, size[1], size[2], size[3], at[1], at[2], at[3], at[0], 0, 0, 0];
        tag.extend_from_slice(data);
        tag.extend_from_slice(&(11 + data.len() as u32).to_be_bytes());
        tag
    }

    #[test]
    fn reads_media_tags_with_their_times_and_tells_sequence_headers() {
        let mut file = b"FLV\x01\x05\x00\x00\x00\x09\x00\x00\x00\x00".to_vec();
        file.extend(tag(18, 0, b"\x02\x00\x0aonMetaData"));
        file.extend(tag(9, 0, &[0x17, 0, 0, 0, 0, 1, 0x64]));
        file.extend(tag(8, 0, &[0xaf, 0, 0x11, 0x90]));
        file.extend(tag(9, 33, &[0x27, 1, 0, 0, 0, 9, 9]));
        file.extend(tag(8, 21, &[0xaf, 1, 0x21]));
        // Past 2^24 ms the timestamp's top byte is the extension.
        file.extend(tag(9, 0x0100_0005, &[0x17, 1, 0, 0, 0, 7]));
        let path = std::env::temp_dir().join(format!("long-tail-clip-{}.flv", std::process::id()));
        std::fs::write(&path, &file).unwrap();
        let clip = read(&path).unwrap();
        std::fs::remove_file(&path).unwrap();

        let tags: Vec<(Kind, u32, bool, usize)> =
            clip.tags.iter().map(|t| (t.kind, t.at_ms, t.header, t.data.len())).collect();
        assert_eq!(
            tags,
            [
                (Kind::Video, 0, true, 7),
                (Kind::Audio, 0, true, 4),
                (Kind::Video, 33, false, 7),
                (Kind::Audio, 21, false, 3),
                (Kind::Video, 0x0100_0005, false, 6),
            ]
        );
        assert_eq!(clip.bytes, 27);
        assert!(clip.loop_ms > 0x0100_0005, "a loop starts after the last tag");
    }

    #[test]
    fn refuses_a_file_that_is_not_flv_or_ends_inside_a_tag() {
        let path = std::env::temp_dir().join(format!("long-tail-bad-{}.flv", std::process::id()));
        std::fs::write(&path, b"not an flv file at all").unwrap();
        assert!(read(&path).is_err());
        let mut cut = b"FLV\x01\x05\x00\x00\x00\x09\x00\x00\x00\x00".to_vec();
        cut.extend(&tag(9, 0, &[0x17, 0, 0, 0, 0, 1, 0x64])[..14]);
        std::fs::write(&path, &cut).unwrap();
        assert!(read(&path).is_err());
        std::fs::remove_file(&path).unwrap();
    }
}
