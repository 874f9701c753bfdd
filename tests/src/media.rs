//! What a media test drives and reads: the ffmpeg CLI as an RTMP publisher
//! (OBS's role) and as an HLS player, and a small LL-HLS playlist reader.

use std::process::Stdio;
use std::time::Duration;

use anyhow::{Context, bail};
use tokio::process::{Child, Command};

/// An `ffmpeg` publishing a lavfi test picture and tone over RTMP.
pub struct Publisher {
    child: Child,
}

impl Publisher {
    /// Publishes `size` (like `640x360`) at 30 fps with a 2 s GOP and AAC audio
    /// to `rtmp_url/live/key`, in real time, until stopped.
    pub fn start(rtmp_url: &str, key: &str, size: &str) -> anyhow::Result<Self> {
        let child = Command::new("ffmpeg")
            .args(["-hide_banner", "-loglevel", "error", "-re", "-f", "lavfi", "-i"])
            .arg(format!("testsrc2=size={size}:rate=30"))
            .args(["-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000"])
            .args([
                "-c:v",
                "libx264",
                "-preset",
                "ultrafast",
                "-tune",
                "zerolatency",
                "-g",
                "60",
                "-pix_fmt",
                "yuv420p",
            ])
            .args(["-c:a", "aac", "-b:a", "96k", "-f", "flv"])
            .arg(format!("{rtmp_url}/live/{key}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .context("starting ffmpeg (installed by scripts/deps)")?;
        Ok(Self { child })
    }

    /// Waits up to `within` for ffmpeg to exit by itself; its exit code and stderr.
    pub async fn exited_within(mut self, within: Duration) -> anyhow::Result<(i32, String)> {
        let waited = tokio::time::timeout(within, self.child.wait()).await;
        let status = match waited {
            Ok(status) => status?,
            Err(_) => bail!("the publisher still runs after {within:?}"),
        };
        let mut stderr = String::new();
        if let Some(mut pipe) = self.child.stderr.take() {
            use tokio::io::AsyncReadExt;
            pipe.read_to_string(&mut stderr).await?;
        }
        Ok((status.code().unwrap_or(-1), stderr))
    }

    /// Stops publishing the way OBS's "Stop streaming" does: the connection closes.
    pub async fn stop(mut self) -> anyhow::Result<()> {
        if let Some(pid) = self.child.id() {
            // SIGINT lets ffmpeg close the RTMP session itself.
            unsafe { libc::kill(pid as i32, libc::SIGINT) };
        }
        if tokio::time::timeout(Duration::from_secs(5), self.child.wait()).await.is_err() {
            self.child.kill().await?;
        }
        Ok(())
    }
}

/// A viewer's live socket whose player reports playing, as the web player does.
pub struct Watcher {
    socket: tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>,
}

impl Watcher {
    /// Opens `GET /api/v1/shows/{show_id}/live?token=…` on `base` (`http://…`)
    /// and sends a `playing` heartbeat.
    pub async fn join(base: &str, show_id: &str, token: &str) -> anyhow::Result<Self> {
        use futures::SinkExt;
        let url = format!("{}/api/v1/shows/{show_id}/live?token={token}", base.replacen("http", "ws", 1));
        let (mut socket, _) = tokio_tungstenite::connect_async(url).await.context("opening the live socket")?;
        let heartbeat = serde_json::json!({"type": "heartbeat", "state": "playing"}).to_string();
        socket.send(tokio_tungstenite::tungstenite::Message::text(heartbeat)).await?;
        Ok(Self { socket })
    }

    /// The next `viewers` frame: (connected, watching); an error when no
    /// frame comes within [`FRAME_WITHIN`] (the server sends one whenever the
    /// counts change).
    pub async fn viewers(&mut self) -> anyhow::Result<(u64, u64)> {
        use futures::StreamExt;
        loop {
            let next = tokio::time::timeout(FRAME_WITHIN, self.socket.next())
                .await
                .with_context(|| format!("no frame on the live socket within {FRAME_WITHIN:?}"))?;
            let Some(message) = next else { bail!("the live socket closed") };
            let text = message?.into_text()?;
            let frame: serde_json::Value = serde_json::from_str(&text)?;
            if frame["type"] == "viewers" {
                let count = |name: &str| frame[name].as_u64().context("a count");
                return Ok((count("connected")?, count("watching")?));
            }
        }
    }
}

/// How long a live socket test waits for the server's next frame.
pub const FRAME_WITHIN: Duration = Duration::from_secs(10);

/// `ffmpeg -i url` decoding up to `seconds` of the stream; the frames it decoded
/// per stream type (`video`, `audio`).
pub async fn decode(url: &str, seconds: u32) -> anyhow::Result<(u64, u64)> {
    let output = Command::new("ffprobe")
        .args(["-v", "error", "-count_frames", "-show_entries", "stream=codec_type,nb_read_frames", "-of", "compact"])
        .args(["-read_intervals", &format!("%+{seconds}")])
        .arg(url)
        .output()
        .await
        .context("running ffprobe")?;
    anyhow::ensure!(output.status.success(), "ffprobe {url}: {}", String::from_utf8_lossy(&output.stderr));
    let (mut video, mut audio) = (0, 0);
    // A master playlist's streams are listed under each program, then once
    // more on their own in the last block: count that block.
    let stdout = String::from_utf8_lossy(&output.stdout);
    let streams = stdout.split("\n\n").filter(|block| !block.trim().is_empty()).last().unwrap_or_default();
    for line in streams.lines() {
        let field = |name: &str| line.split('|').find_map(|f| f.strip_prefix(name)).unwrap_or_default();
        let frames: u64 = field("nb_read_frames=").parse().unwrap_or(0);
        match field("codec_type=") {
            "video" => video += frames,
            "audio" => audio += frames,
            _ => {}
        }
    }
    Ok((video, audio))
}

/// A `#EXT-…:A=B,C="D"` tag's attributes.
pub fn attributes(line: &str) -> Vec<(String, String)> {
    let Some((_, list)) = line.split_once(':') else { return Vec::new() };
    let mut out = Vec::new();
    let mut rest = list;
    while !rest.is_empty() {
        let Some((name, after)) = rest.split_once('=') else { break };
        let (value, next) = if let Some(quoted) = after.strip_prefix('"') {
            let end = quoted.find('"').unwrap_or(quoted.len());
            (&quoted[..end], quoted.get(end + 1..).unwrap_or(""))
        } else {
            let end = after.find(',').unwrap_or(after.len());
            (&after[..end], &after[end..])
        };
        out.push((name.trim().to_owned(), value.to_owned()));
        rest = next.strip_prefix(',').unwrap_or(next);
    }
    out
}

/// The value of attribute `name` in a tag line.
pub fn attribute(line: &str, name: &str) -> Option<String> {
    attributes(line).into_iter().find(|(n, _)| n == name).map(|(_, v)| v)
}

/// One `EXT-X-PART` of a media playlist.
#[derive(Debug, Clone, PartialEq)]
pub struct PartLine {
    pub msn: u64,
    pub index: usize,
    pub duration: f64,
    pub uri: String,
    pub independent: bool,
}

/// A media playlist as a player reads it.
#[derive(Debug, Clone, Default)]
pub struct MediaPlaylist {
    pub text: String,
    pub target_duration: Option<u64>,
    pub part_target: Option<f64>,
    pub server_control: Option<String>,
    pub media_sequence: u64,
    /// `(msn, duration, uri)` of complete segments.
    pub segments: Vec<(u64, f64, String)>,
    pub parts: Vec<PartLine>,
    pub preload_hint: Option<String>,
    pub rendition_reports: Vec<String>,
    pub dateranges: Vec<String>,
    pub discontinuities: usize,
    pub maps: Vec<String>,
    pub ended: bool,
    /// `EXT-X-SKIP:SKIPPED-SEGMENTS` of a delta update.
    pub skipped: u64,
}

impl MediaPlaylist {
    pub fn parse(text: &str) -> anyhow::Result<Self> {
        anyhow::ensure!(text.starts_with("#EXTM3U"), "not a playlist: {text:.80}");
        let mut playlist = MediaPlaylist { text: text.to_owned(), ..Default::default() };
        let mut msn = None;
        let mut pending_duration = None;
        let mut part_index = 0;
        for line in text.lines() {
            let value = |prefix: &str| line.strip_prefix(prefix).map(str::to_owned);
            if let Some(v) = value("#EXT-X-TARGETDURATION:") {
                playlist.target_duration = Some(v.parse()?);
            } else if let Some(v) = value("#EXT-X-MEDIA-SEQUENCE:") {
                playlist.media_sequence = v.parse()?;
                msn = Some(playlist.media_sequence);
            } else if line.starts_with("#EXT-X-PART-INF:") {
                playlist.part_target = attribute(line, "PART-TARGET").map(|v| v.parse()).transpose()?;
            } else if line.starts_with("#EXT-X-SERVER-CONTROL:") {
                playlist.server_control = Some(line.to_owned());
            } else if line.starts_with("#EXT-X-PART:") {
                playlist.parts.push(PartLine {
                    msn: msn.context("EXT-X-PART before EXT-X-MEDIA-SEQUENCE")?,
                    index: part_index,
                    duration: attribute(line, "DURATION").context("part DURATION")?.parse()?,
                    uri: attribute(line, "URI").context("part URI")?,
                    independent: attribute(line, "INDEPENDENT").as_deref() == Some("YES"),
                });
                part_index += 1;
            } else if let Some(v) = value("#EXTINF:") {
                pending_duration = Some(v.trim_end_matches(',').split(',').next().unwrap_or("0").parse::<f64>()?);
            } else if line.starts_with("#EXT-X-PRELOAD-HINT:") {
                playlist.preload_hint = attribute(line, "URI");
            } else if line.starts_with("#EXT-X-RENDITION-REPORT:") {
                playlist.rendition_reports.push(line.to_owned());
            } else if line.starts_with("#EXT-X-DATERANGE:") {
                playlist.dateranges.push(line.to_owned());
            } else if line == "#EXT-X-DISCONTINUITY" {
                playlist.discontinuities += 1;
            } else if line.starts_with("#EXT-X-MAP:") {
                playlist.maps.push(attribute(line, "URI").context("map URI")?);
            } else if line.starts_with("#EXT-X-SKIP:") {
                playlist.skipped = attribute(line, "SKIPPED-SEGMENTS").context("SKIPPED-SEGMENTS")?.parse()?;
                msn = Some(msn.context("EXT-X-SKIP before EXT-X-MEDIA-SEQUENCE")? + playlist.skipped);
            } else if line == "#EXT-X-ENDLIST" {
                playlist.ended = true;
            } else if !line.starts_with('#') && !line.trim().is_empty() {
                let number = msn.context("segment before EXT-X-MEDIA-SEQUENCE")?;
                playlist.segments.push((
                    number,
                    pending_duration.take().context("segment without EXTINF")?,
                    line.to_owned(),
                ));
                msn = Some(number + 1);
                part_index = 0;
            }
        }
        Ok(playlist)
    }

    /// The numbers the server gave the listed segments, read from their URIs
    /// (`seg-N.m4s`), in listed order: what it stored them under, where
    /// [`Self::segments`] only counts on from `EXT-X-MEDIA-SEQUENCE`.
    pub fn uri_numbers(&self) -> anyhow::Result<Vec<u64>> {
        self.segments.iter().map(|(_, _, uri)| segment_number(uri)).collect()
    }

    /// The segment number and part index the next blocking reload asks for.
    pub fn next_part(&self) -> (u64, usize) {
        let open_msn = self.segments.last().map_or(self.media_sequence, |(msn, ..)| msn + 1);
        match self.parts.last() {
            Some(part) if part.msn == open_msn => (open_msn, part.index + 1),
            _ => (open_msn, 0),
        }
    }
}

/// The number in a segment URI (`seg-N.m4s`, as the media worker names them).
pub fn segment_number(uri: &str) -> anyhow::Result<u64> {
    let number = uri.strip_prefix("seg-").and_then(|rest| rest.strip_suffix(".m4s"));
    let number = number.with_context(|| format!("not a segment URI: {uri}"))?;
    number.parse().with_context(|| format!("not a segment number: {uri}"))
}
