//! The master (multivariant) playlist: one variant per video rendition that
//! is ready, an audio group, and an audio-only variant.

use std::fmt::Write as _;

use crate::track::Codec;

/// A rendition as the master playlist advertises it.
pub struct Variant<'a> {
    pub name: &'a str,
    pub codec: &'a Codec,
    /// Peak bits per second of the rendition's own track.
    pub bandwidth: u64,
}

/// The master playlist for `videos` (best first) sharing the `audio` rendition.
pub fn master_playlist(videos: &[Variant<'_>], audio: Option<&Variant<'_>>) -> String {
    let mut out = String::from("#EXTM3U\n#EXT-X-VERSION:9\n#EXT-X-INDEPENDENT-SEGMENTS\n");
    let audio_attr = if let Some(audio) = audio {
        let channels = match audio.codec {
            Codec::Aac { channels, .. } => *channels,
            Codec::H264 { .. } => 2,
        };
        let _ = writeln!(
            out,
            "#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"audio\",NAME=\"Audio\",DEFAULT=YES,AUTOSELECT=YES,CHANNELS=\"{channels}\",URI=\"{}/index.m3u8\"",
            audio.name
        );
        ",AUDIO=\"audio\""
    } else {
        ""
    };
    let audio_bandwidth = audio.map_or(0, |a| a.bandwidth);
    let audio_codec = audio.map(|a| a.codec.rfc6381());
    for video in videos {
        let Codec::H264 { width, height, .. } = video.codec else { continue };
        let codecs = match &audio_codec {
            Some(audio) => format!("{},{audio}", video.codec.rfc6381()),
            None => video.codec.rfc6381(),
        };
        let _ = writeln!(
            out,
            "#EXT-X-STREAM-INF:BANDWIDTH={},RESOLUTION={width}x{height},CODECS=\"{codecs}\"{audio_attr}\n{}/index.m3u8",
            video.bandwidth + audio_bandwidth,
            video.name
        );
    }
    if let (Some(audio), Some(codec)) = (audio, &audio_codec) {
        let _ = writeln!(
            out,
            "#EXT-X-STREAM-INF:BANDWIDTH={},CODECS=\"{codec}\"{audio_attr}\n{}/index.m3u8",
            audio.bandwidth, audio.name
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use bytes::Bytes;

    use super::*;

    #[test]
    fn lists_each_video_with_audio_then_audio_only() {
        let source = Codec::H264 { avcc: Bytes::from_static(&[1, 0x64, 0, 0x28]), width: 1920, height: 1080 };
        let aac = Codec::Aac { asc: Bytes::from_static(&[0x11, 0x90]), sample_rate: 48000, channels: 2 };
        let audio = Variant { name: "audio", codec: &aac, bandwidth: 130_000 };
        let master = master_playlist(&[Variant { name: "source", codec: &source, bandwidth: 4_000_000 }], Some(&audio));
        assert!(master.contains("#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"audio\""));
        assert!(master.contains(
            "#EXT-X-STREAM-INF:BANDWIDTH=4130000,RESOLUTION=1920x1080,CODECS=\"avc1.640028,mp4a.40.2\",AUDIO=\"audio\"\nsource/index.m3u8"
        ));
        assert!(
            master
                .contains("#EXT-X-STREAM-INF:BANDWIDTH=130000,CODECS=\"mp4a.40.2\",AUDIO=\"audio\"\naudio/index.m3u8")
        );
    }
}
