//! The media worker driven like production: the ffmpeg CLI publishes over
//! RTMP to the real binary, and reads the LL-HLS it serves as a player would.

use std::time::{Duration, Instant};

use serde_json::json;
use sha2::{Digest, Sha256};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use cartcast_domain::Role;
use cartcast_domain::live_stats::LiveStats;
use cartcast_tests::media::{MediaPlaylist, Publisher, attribute, decode};
use cartcast_tests::{Client, Deployment, Shape};
use cqrs_es::Aggregate;

/// A scheduled show of `creator`: its id and stream key.
async fn schedule(client: &Client, creator: &str) -> (String, String) {
    let token = client.token(creator, Role::Creator);
    let created = client.post("/api/v1/shows", &token, None, json!({"title": "Drop"})).await.unwrap();
    assert_eq!(created.status, 201, "{}", created.body);
    let body = created.body;
    (body["show_id"].as_str().unwrap().to_owned(), body["stream_key"].as_str().unwrap().to_owned())
}

struct Fetched {
    status: u16,
    content_type: String,
    cache_control: String,
    body: bytes::Bytes,
}

impl Fetched {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

async fn fetch(url: &str) -> Fetched {
    let answer = reqwest::get(url).await.unwrap_or_else(|e| panic!("GET {url}: {e}"));
    let header = |name| answer.headers().get(name).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    let (content_type, cache_control) = (header("content-type"), header("cache-control"));
    Fetched { status: answer.status().as_u16(), content_type, cache_control, body: answer.bytes().await.unwrap() }
}

/// Polls `url` until it answers 200 and `ready` holds, for up to `within`.
async fn until(url: &str, within: Duration, ready: impl Fn(&str) -> bool) -> String {
    let deadline = Instant::now() + within;
    loop {
        let answer = fetch(url).await;
        if answer.status == 200 && ready(&answer.text()) {
            return answer.text();
        }
        assert!(Instant::now() < deadline, "{url} not ready within {within:?}: {} {}", answer.status, answer.text());
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Polls the show until its status is `status` (20 s at most).
async fn until_status(client: &Client, show_id: &str, status: &str) {
    client.until_show_status(show_id, status, Duration::from_secs(20)).await.unwrap();
}

fn complete_segments(at_least: usize) -> impl Fn(&str) -> bool {
    move |text| MediaPlaylist::parse(text).is_ok_and(|p| p.segments.len() >= at_least)
}

/// `(uri, sha256)` of every complete segment `playlist` lists, fetched from
/// `dir` (the rendition's URL, without `index.m3u8`) as a player would.
async fn segment_hashes(dir: &str, playlist: &MediaPlaylist) -> Vec<(String, Vec<u8>)> {
    let mut hashes = Vec::new();
    for (_, _, uri) in &playlist.segments {
        let segment = fetch(&format!("{dir}/{uri}")).await;
        assert_eq!(segment.status, 200, "{uri}: {}", segment.text());
        hashes.push((uri.clone(), Sha256::digest(&segment.body).to_vec()));
    }
    hashes
}

/// Segments served before `what` are still listed and served byte for byte
/// the same: nothing stored was renumbered or overwritten.
async fn assert_unchanged(dir: &str, before: &[(String, Vec<u8>)], now: &MediaPlaylist, what: &str) {
    for (uri, hash) in before {
        assert!(now.segments.iter().any(|(.., u)| u == uri), "{uri} is no longer listed after {what}:\n{}", now.text);
        let segment = fetch(&format!("{dir}/{uri}")).await;
        assert_eq!(segment.status, 200, "{uri} after {what}");
        assert_eq!(&Sha256::digest(&segment.body).to_vec(), hash, "{uri} was overwritten after {what}");
    }
}

/// The numbers the server gave its segments (read from their URIs) run on
/// from `first` with no repeat and no gap, and are where a player counting
/// from `EXT-X-MEDIA-SEQUENCE` looks for them (blocking reloads ask by number).
fn assert_numbered_on(playlist: &MediaPlaylist, first: u64, what: &str) {
    let numbers = playlist.uri_numbers().unwrap();
    let expected: Vec<u64> = (first..first + numbers.len() as u64).collect();
    assert_eq!(numbers, expected, "segment numbers do not run on across {what}:\n{}", playlist.text);
    let counted: Vec<u64> = playlist.segments.iter().map(|(msn, ..)| *msn).collect();
    assert_eq!(numbers, counted, "segment URIs disagree with EXT-X-MEDIA-SEQUENCE after {what}");
}

/// `(uri, line)` of each `EXT-X-STREAM-INF` variant in a master playlist.
fn variants(master: &str) -> Vec<(String, String)> {
    let lines: Vec<&str> = master.lines().collect();
    lines
        .windows(2)
        .filter(|w| w[0].starts_with("#EXT-X-STREAM-INF:"))
        .map(|w| (w[1].to_owned(), w[0].to_owned()))
        .collect()
}

/// Every LL-HLS rule a player relies on, checked on one live media playlist.
fn assert_ll_hls(name: &str, playlist: &MediaPlaylist, others: &[&str]) {
    let part_target = playlist.part_target.unwrap_or_else(|| panic!("{name}: no EXT-X-PART-INF"));
    let control = playlist.server_control.as_deref().unwrap_or_else(|| panic!("{name}: no EXT-X-SERVER-CONTROL"));
    assert_eq!(attribute(control, "CAN-BLOCK-RELOAD").as_deref(), Some("YES"), "{name}: {control}");
    let hold_back: f64 = attribute(control, "PART-HOLD-BACK").expect("PART-HOLD-BACK").parse().unwrap();
    assert!(hold_back >= 3.0 * part_target - 1e-6, "{name}: PART-HOLD-BACK {hold_back} < 3 × {part_target}");
    let target = playlist.target_duration.expect("EXT-X-TARGETDURATION") as f64;
    for (msn, duration, _) in &playlist.segments {
        assert!(duration.round() <= target, "{name}: segment {msn} lasts {duration} > target {target}");
    }
    assert!(!playlist.parts.is_empty(), "{name}: no parts listed");
    for (i, part) in playlist.parts.iter().enumerate() {
        assert!(part.duration <= part_target + 1e-3, "{name}: {part:?} longer than PART-TARGET {part_target}");
        let last_of_segment = playlist.parts.get(i + 1).is_none_or(|next| next.msn != part.msn);
        assert!(
            last_of_segment || part.duration >= 0.85 * part_target,
            "{name}: {part:?} shorter than 85% of PART-TARGET and not its segment's last"
        );
        if part.index == 0 {
            assert!(part.independent, "{name}: segment {} does not start on an independent part", part.msn);
        }
    }
    let hint = playlist.preload_hint.as_deref().unwrap_or_else(|| panic!("{name}: no EXT-X-PRELOAD-HINT"));
    assert!(playlist.parts.iter().all(|p| p.uri != hint), "{name}: the hint {hint} names a listed part");
    assert!(!playlist.maps.is_empty(), "{name}: no EXT-X-MAP");
    for other in others {
        assert!(
            playlist.rendition_reports.iter().any(|r| r.contains(&format!("URI=\"../{other}/index.m3u8\""))),
            "{name}: no rendition report for {other}: {:?}",
            playlist.rendition_reports
        );
    }
    assert!(!playlist.ended, "{name}: a live playlist has no ENDLIST");
}

#[tokio::test]
async fn a_published_stream_becomes_ll_hls_that_players_decode() {
    let mut deployment = Deployment::start(Shape::Embedded, &[]).await.expect("start");
    let client = deployment.client();
    let (show_id, key) = schedule(&client, "creator-1").await;
    let publisher = Publisher::start(deployment.rtmp_url.as_deref().unwrap(), &key, "640x360").unwrap();
    let hls = format!("{}/hls/{show_id}", deployment.media_url.as_deref().unwrap());

    let master = until(&format!("{hls}/master.m3u8"), Duration::from_secs(20), |_| true).await;
    let master_answer = fetch(&format!("{hls}/master.m3u8")).await;
    assert_eq!(master_answer.content_type, "application/vnd.apple.mpegurl");
    let variants = variants(&master);
    let uris: Vec<&str> = variants.iter().map(|(uri, _)| uri.as_str()).collect();
    assert_eq!(uris, ["source/index.m3u8", "audio/index.m3u8"], "{master}");
    for (uri, line) in &variants {
        let bandwidth: u64 = attribute(line, "BANDWIDTH").expect("BANDWIDTH").parse().unwrap();
        assert!(bandwidth > 10_000, "{uri}: BANDWIDTH {bandwidth}");
        let codecs = attribute(line, "CODECS").expect("CODECS");
        assert!(codecs.contains("mp4a.40.2"), "{uri}: {codecs}");
        if uri.starts_with("source") {
            assert_eq!(attribute(line, "RESOLUTION").as_deref(), Some("640x360"));
            let avc = codecs.split(',').next().unwrap();
            assert!(avc.starts_with("avc1.") && avc.len() == 11, "{uri}: {codecs}");
        }
    }
    until_status(&client, &show_id, "live").await;

    let renditions = ["source", "audio"];
    for name in renditions {
        let url = format!("{hls}/{name}/index.m3u8");
        let text = until(&url, Duration::from_secs(20), complete_segments(2)).await;
        let playlist = MediaPlaylist::parse(&text).unwrap();
        let others: Vec<&str> = renditions.iter().copied().filter(|r| *r != name).collect();
        assert_ll_hls(name, &playlist, &others);
        let answer = fetch(&url).await;
        assert_eq!(answer.content_type, "application/vnd.apple.mpegurl");
        assert_eq!(answer.cache_control, "public, max-age=1");

        // Blocking reload: ask for the part after the live edge; the answer
        // comes when it exists and lists it.
        let (msn, part) = playlist.next_part();
        let started = Instant::now();
        let blocked = fetch(&format!("{url}?_HLS_msn={msn}&_HLS_part={part}")).await;
        assert_eq!(blocked.status, 200, "{}", blocked.text());
        let reloaded = MediaPlaylist::parse(&blocked.text()).unwrap();
        assert!(
            reloaded.parts.iter().any(|p| p.msn == msn && p.index == part)
                || reloaded.segments.iter().any(|(m, ..)| *m == msn),
            "{name}: blocking reload for {msn}.{part} answered without it after {:?}:\n{}",
            started.elapsed(),
            blocked.text()
        );

        // The preload hint names the very next part: fetching it waits for it.
        let hint = reloaded.preload_hint.clone().expect("hint");
        let hinted = fetch(&format!("{hls}/{name}/{hint}")).await;
        assert_eq!(hinted.status, 200);
        assert_eq!(&hinted.body[4..8], b"moof", "{name}: a part is a CMAF fragment");
        assert_eq!(hinted.cache_control, "public, max-age=31536000, immutable");
        let after_hint = MediaPlaylist::parse(&fetch(&url).await.text()).unwrap();
        assert!(after_hint.parts.iter().any(|p| p.uri == hint), "{name}: {hint} was not the next part");

        let init = fetch(&format!("{hls}/{name}/{}", playlist.maps[0])).await;
        assert_eq!((init.status, &init.body[4..8]), (200, &b"ftyp"[..]));

        // Every listed part of a complete segment is served, and the segment is
        // its parts end to end: parts are read back from their segment's file
        // once it is written.
        let listed = MediaPlaylist::parse(&until(&url, Duration::from_secs(20), complete_segments(3)).await).unwrap();
        let mut compared = 0;
        for (msn, _, uri) in &listed.segments {
            let mut joined = Vec::new();
            for part in listed.parts.iter().filter(|p| p.msn == *msn) {
                let answer = fetch(&format!("{hls}/{name}/{}", part.uri)).await;
                assert_eq!(answer.status, 200, "{name}: listed part {} of segment {msn}", part.uri);
                joined.extend_from_slice(&answer.body);
            }
            if joined.is_empty() {
                continue;
            }
            let segment = fetch(&format!("{hls}/{name}/{uri}")).await;
            assert_eq!(segment.status, 200, "{name}: {uri}");
            assert!(joined == segment.body, "{name}: {uri} is not its listed parts end to end");
            compared += 1;
        }
        assert!(compared >= 2, "{name}: parts of {compared} complete segments listed:\n{}", listed.text);
    }

    // The ffmpeg CLI, as an HLS client, decodes each rendition and the master.
    let (video, _) = decode(&format!("{hls}/source/index.m3u8"), 2).await.unwrap();
    assert!(video >= 30, "decoded {video} source frames");
    let (_, audio) = decode(&format!("{hls}/audio/index.m3u8"), 2).await.unwrap();
    assert!(audio >= 40, "decoded {audio} audio frames");
    let (video, audio) = decode(&format!("{hls}/master.m3u8"), 2).await.unwrap();
    assert!(video >= 30 && audio >= 40, "master: {video} video, {audio} audio frames");

    // Thumbnails every few seconds: the latest, and one per moment for scrubbing.
    let latest = fetch(&format!("{hls}/thumbs/latest.jpg")).await;
    assert_eq!((latest.status, latest.content_type.as_str()), (200, "image/jpeg"));
    assert_eq!(&latest.body[..2], &[0xff, 0xd8], "a JPEG");
    let probe = tokio::process::Command::new("ffprobe")
        .args(["-v", "error", "-show_entries", "stream=width,height", "-of", "csv=p=0"])
        .arg(format!("{hls}/thumbs/latest.jpg"))
        .output()
        .await
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&probe.stdout).trim(), "320,180");
    assert_eq!(fetch(&format!("{hls}/thumbs/0.jpg")).await.status, 200, "the show's first thumbnail");

    // Delivery directives a player gets wrong are refused with a code.
    let wrong = fetch(&format!("{hls}/source/index.m3u8?_HLS_part=1")).await;
    assert_eq!(wrong.status, 400);
    let too_far = fetch(&format!("{hls}/source/index.m3u8?_HLS_msn=100000")).await;
    assert_eq!((too_far.status, too_far.text().contains("msn_too_far")), (400, true));
    assert_eq!(fetch(&format!("{hls}/source/seg-..%2Fx.m4s")).await.status, 404);

    publisher.stop().await.unwrap();
    deployment.stop().await.expect("clean stop");
}

#[tokio::test]
async fn a_key_that_opens_no_channel_is_refused_before_any_media() {
    let mut deployment = Deployment::start(Shape::Embedded, &[]).await.expect("start");
    let client = deployment.client();
    let rtmp = deployment.rtmp_url.clone().unwrap();
    let (show_id, old_key) = schedule(&client, "creator-1").await;

    let wrong = Publisher::start(&rtmp, "sk_not-a-key-of-anyone-at-all-0000", "320x180").unwrap();
    let (code, stderr) = wrong.exited_within(Duration::from_secs(15)).await.unwrap();
    assert_ne!(code, 0, "ffmpeg was let in with a wrong key: {stderr}");

    let creator = client.token("creator-1", Role::Creator);
    let rotated = client.post("/api/v1/channels/me/stream-key", &creator, None, json!({})).await.unwrap();
    assert_eq!(rotated.status, 200, "{}", rotated.body);
    let new_key = rotated.body["stream_key"].as_str().unwrap().to_owned();
    let after = rotated.body["position"].as_u64().unwrap();
    client.get(&format!("/api/v1/shows/{show_id}?after={after}"), None).await.unwrap();
    let revoked = Publisher::start(&rtmp, &old_key, "320x180").unwrap();
    let (code, _) = revoked.exited_within(Duration::from_secs(15)).await.unwrap();
    assert_ne!(code, 0, "a revoked key still publishes");

    let hls = format!("{}/hls/{show_id}", deployment.media_url.as_deref().unwrap());
    assert_eq!(fetch(&format!("{hls}/master.m3u8")).await.status, 404, "refused publishers made media");
    let show = client.get(&format!("/api/v1/shows/{show_id}"), None).await.unwrap();
    assert_eq!(show.body["status"], "scheduled");

    let publisher = Publisher::start(&rtmp, &new_key, "320x180").unwrap();
    until(&format!("{hls}/master.m3u8"), Duration::from_secs(20), |_| true).await;
    publisher.stop().await.unwrap();
    deployment.stop().await.expect("clean stop");
}

#[tokio::test]
async fn a_publisher_that_reconnects_continues_the_show_behind_a_discontinuity() {
    let mut deployment = Deployment::start(Shape::Embedded, &[]).await.expect("start");
    let client = deployment.client();
    let rtmp = deployment.rtmp_url.clone().unwrap();
    let (show_id, key) = schedule(&client, "creator-1").await;
    let dir = format!("{}/hls/{show_id}/source", deployment.media_url.as_deref().unwrap());
    let url = format!("{dir}/index.m3u8");

    let first = Publisher::start(&rtmp, &key, "320x180").unwrap();
    let before = MediaPlaylist::parse(&until(&url, Duration::from_secs(20), complete_segments(2)).await).unwrap();
    let served_before = segment_hashes(&dir, &before).await;
    let first_number = before.uri_numbers().unwrap()[0];
    first.stop().await.unwrap();
    let second = Publisher::start(&rtmp, &key, "320x180").unwrap();
    let text = until(&url, Duration::from_secs(20), |text| {
        let Ok(playlist) = MediaPlaylist::parse(text) else { return false };
        let Some(at) = text.find("#EXT-X-DISCONTINUITY\n") else { return false };
        playlist.discontinuities == 1 && text[at..].matches("#EXTINF").count() >= 2
    })
    .await;
    let playlist = MediaPlaylist::parse(&text).unwrap();
    assert_numbered_on(&playlist, first_number, "the reconnect");
    assert_unchanged(&dir, &served_before, &playlist, "the reconnect").await;
    let served_before = segment_hashes(&dir, &playlist).await;
    assert_ll_hls("source", &playlist, &["audio"]);
    let (video, _) = decode(&url, 2).await.unwrap();
    assert!(video >= 30, "decoded {video} frames after the reconnect");
    until_status(&client, &show_id, "live").await;

    // OBS reconnecting before the server noticed the old connection died: the
    // newcomer takes the show over, the old connection is closed.
    let third = Publisher::start(&rtmp, &key, "320x180").unwrap();
    let (code, _) = second.exited_within(Duration::from_secs(15)).await.unwrap();
    assert_ne!(code, 0, "the publisher taken over was not dropped");
    let text = until(&url, Duration::from_secs(20), |text| {
        MediaPlaylist::parse(text).is_ok_and(|p| p.discontinuities == 2)
            && text.rfind("#EXT-X-DISCONTINUITY\n").is_some_and(|at| text[at..].matches("#EXTINF").count() >= 2)
    })
    .await;
    let playlist = MediaPlaylist::parse(&text).unwrap();
    assert_numbered_on(&playlist, first_number, "the takeover");
    assert_unchanged(&dir, &served_before, &playlist, "the takeover").await;
    assert_ll_hls("source", &playlist, &["audio"]);

    third.stop().await.unwrap();
    deployment.stop().await.expect("clean stop");
}

#[tokio::test]
async fn an_ended_show_is_a_vod_that_outlives_a_restart() {
    let mut deployment = Deployment::start(Shape::Embedded, &[("CARTCAST_MEDIA_END_GRACE", "1s")]).await.unwrap();
    let client = deployment.client();
    let (show_id, key) = schedule(&client, "creator-1").await;
    let publisher = Publisher::start(deployment.rtmp_url.as_deref().unwrap(), &key, "320x180").unwrap();
    let hls = format!("{}/hls/{show_id}", deployment.media_url.as_deref().unwrap());
    until(&format!("{hls}/source/index.m3u8"), Duration::from_secs(20), complete_segments(3)).await;
    publisher.stop().await.unwrap();
    until_status(&client, &show_id, "ended").await;

    let check_vod = |text: String| {
        let vod = MediaPlaylist::parse(&text).unwrap();
        assert!(vod.ended, "no ENDLIST:\n{text}");
        assert!(text.contains("#EXT-X-PLAYLIST-TYPE:VOD"));
        assert!(vod.parts.is_empty() && vod.preload_hint.is_none(), "a VOD lists no parts");
        assert_eq!(vod.media_sequence, 0, "the VOD starts at the show's start");
        vod.segments.iter().map(|(_, d, _)| d).sum::<f64>()
    };
    let answer = fetch(&format!("{hls}/source/index.m3u8")).await;
    assert!(answer.cache_control.contains("immutable"), "{}", answer.cache_control);
    let duration = check_vod(answer.text());
    assert!(duration >= 6.0, "the VOD lasts {duration} s");
    let (video, audio) = decode(&format!("{hls}/master.m3u8"), 600).await.unwrap();
    let expected = duration * 30.0;
    assert!((video as f64 - expected).abs() <= 31.0, "decoded {video} frames of a {duration} s VOD");
    assert!(audio > 0);

    deployment.restart().await.expect("restart");
    let hls = format!("{}/hls/{show_id}", deployment.media_url.as_deref().unwrap());
    assert_eq!(check_vod(fetch(&format!("{hls}/source/index.m3u8")).await.text()), duration);
    let (after_restart, _) = decode(&format!("{hls}/master.m3u8"), 600).await.unwrap();
    assert_eq!(after_restart, video, "the VOD decodes the same after a restart");
    deployment.stop().await.expect("clean stop");
}

/// Opens a TCP connection to the RTMP listener and sends `bytes` (the server
/// may hang up before it has read them all).
async fn connect_and_send(rtmp: &str, bytes: &[u8]) -> tokio::net::TcpStream {
    let mut stream = tokio::net::TcpStream::connect(rtmp.trim_start_matches("rtmp://")).await.unwrap();
    let _ = stream.write_all(bytes).await;
    stream
}

/// Whether the server closes `stream` (EOF or a reset) within `within`; what
/// it sends before that is read and dropped.
async fn closed_within(stream: &mut tokio::net::TcpStream, within: Duration) -> bool {
    let mut sink = vec![0u8; 8192];
    let closed = async {
        loop {
            match stream.read(&mut sink).await {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
        }
    };
    tokio::time::timeout(within, closed).await.is_ok()
}

/// Opens a TCP connection, sends `bytes`, and tells whether the server closed
/// it within 10 s.
async fn closed_by_server(rtmp: &str, bytes: &[u8]) -> bool {
    closed_within(&mut connect_and_send(rtmp, bytes).await, Duration::from_secs(10)).await
}

/// A valid client handshake (C0, C1, C2 echoing nothing in particular).
fn handshake() -> Vec<u8> {
    let mut bytes = vec![3u8];
    bytes.extend(std::iter::repeat_n(7u8, 1536 * 2));
    bytes
}

#[tokio::test]
async fn malformed_rtmp_closes_only_its_own_connection() {
    let mut deployment = Deployment::start(Shape::Embedded, &[]).await.expect("start");
    let client = deployment.client();
    let rtmp = deployment.rtmp_url.clone().unwrap();
    let (show_id, key) = schedule(&client, "creator-1").await;
    let url = format!("{}/hls/{show_id}/source/index.m3u8", deployment.media_url.as_deref().unwrap());
    let publisher = Publisher::start(&rtmp, &key, "320x180").unwrap();
    let before = MediaPlaylist::parse(&until(&url, Duration::from_secs(20), complete_segments(1)).await).unwrap();

    // A truncated handshake, then silence: the server hangs up once the
    // connection has been silent for 30 s (checked last, the other cases run meanwhile).
    let mut truncated = connect_and_send(&rtmp, &[3, 0, 0, 0]).await;
    let truncated_by = Instant::now() + Duration::from_secs(40);
    // Garbage instead of a handshake.
    assert!(closed_by_server(&rtmp, &[0xde; 4096]).await, "garbage handshake left open");
    // A chunk stream that does not parse: chunk stream id 2 with a bogus message type.
    let mut bad_chunks = handshake();
    bad_chunks.extend([0x02, 0, 0, 0, 0, 0, 4, 0xff, 0, 0, 0, 0, 1, 2, 3, 4]);
    bad_chunks.extend([0xff; 2048]);
    assert!(closed_by_server(&rtmp, &bad_chunks).await, "unparseable chunks left open");
    // An absurd size: the largest chunk size, then a 16 MiB message before publishing.
    let mut absurd = handshake();
    absurd.extend([0x02, 0, 0, 0, 0, 0, 4, 0x01, 0, 0, 0, 0, 0x7f, 0xff, 0xff, 0xff]);
    absurd.extend([0x03, 0, 0, 0, 0xff, 0xff, 0xff, 0x09, 1, 0, 0, 0]);
    absurd.extend(vec![0u8; 96 * 1024]);
    assert!(closed_by_server(&rtmp, &absurd).await, "an absurd message size left open");

    // The live show kept going, and another show can still start.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let now = MediaPlaylist::parse(&fetch(&url).await.text()).unwrap();
        if now.next_part() > before.next_part() && now.segments.len() > before.segments.len() {
            break;
        }
        assert!(Instant::now() < deadline, "the live show stalled");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let (other_show, other_key) = schedule(&client, "creator-2").await;
    let other = Publisher::start(&rtmp, &other_key, "320x180").unwrap();
    let other_master = format!("{}/hls/{other_show}/master.m3u8", deployment.media_url.as_deref().unwrap());
    until(&other_master, Duration::from_secs(20), |_| true).await;
    let left = truncated_by.saturating_duration_since(Instant::now());
    assert!(closed_within(&mut truncated, left).await, "a truncated handshake was left open after 40 s of silence");

    other.stop().await.unwrap();
    publisher.stop().await.unwrap();
    deployment.stop().await.expect("clean stop");
}

#[tokio::test]
async fn the_media_role_serves_shows_in_the_distributed_shape() {
    let mut deployment = Deployment::start(Shape::Distributed, &[]).await.expect("start");
    deployment.add_media().await.expect("media role");
    let client = deployment.client();
    let (show_id, key) = schedule(&client, "creator-1").await;
    let publisher = Publisher::start(deployment.rtmp_url.as_deref().unwrap(), &key, "320x180").unwrap();
    let hls = format!("{}/hls/{show_id}", deployment.media_url.as_deref().unwrap());
    until(&format!("{hls}/source/index.m3u8"), Duration::from_secs(30), complete_segments(2)).await;
    until_status(&client, &show_id, "live").await;
    let (video, audio) = decode(&format!("{hls}/master.m3u8"), 2).await.unwrap();
    assert!(video >= 30 && audio > 0, "decoded {video} video and {audio} audio frames");
    publisher.stop().await.unwrap();
    deployment.stop().await.expect("clean stop");
}

#[tokio::test]
async fn enough_watchers_start_the_ladder_and_pins_become_dateranges() {
    let mut deployment = Deployment::start(Shape::Embedded, &[("CARTCAST_LADDER_WATCHERS", "2")]).await.unwrap();
    let client = deployment.client();
    let product_id = client.create_product("creator-1", 10).await.unwrap();
    let (show_id, key) = schedule(&client, "creator-1").await;
    let publisher = Publisher::start(deployment.rtmp_url.as_deref().unwrap(), &key, "854x480").unwrap();
    let hls = format!("{}/hls/{show_id}", deployment.media_url.as_deref().unwrap());
    let source = format!("{hls}/source/index.m3u8");
    until(&source, Duration::from_secs(20), complete_segments(1)).await;
    let master = fetch(&format!("{hls}/master.m3u8")).await.text();
    assert_eq!(variants(&master).len(), 2, "few watchers: source and audio only\n{master}");

    // A product pinned while live is a DATERANGE at the moment it was pinned.
    let creator = client.token("creator-1", Role::Creator);
    let pinned = client
        .post(&format!("/api/v1/shows/{show_id}/pin"), &creator, None, json!({"product_id": product_id}))
        .await
        .unwrap();
    assert_eq!(pinned.status, 200, "{}", pinned.body);
    let with_pin = until(&source, Duration::from_secs(10), |text| text.contains("#EXT-X-DATERANGE")).await;
    let daterange = with_pin.lines().find(|l| l.starts_with("#EXT-X-DATERANGE")).unwrap().to_owned();
    assert_eq!(attribute(&daterange, "X-PRODUCT-ID").as_deref(), Some(product_id.as_str()), "{daterange}");
    let start = chrono::DateTime::parse_from_rfc3339(&attribute(&daterange, "START-DATE").unwrap()).unwrap();
    assert!((chrono::Utc::now() - start.to_utc()).num_seconds().abs() < 10, "pinned at {start}");

    // Two players watching cross the threshold: the ladder joins the master.
    let viewer = |n: u32| client.token(&format!("viewer-{n}"), Role::Viewer);
    let mut first = cartcast_tests::media::Watcher::join(&client.base, &show_id, &viewer(1)).await.unwrap();
    let _second = cartcast_tests::media::Watcher::join(&client.base, &show_id, &viewer(2)).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while first.viewers().await.unwrap() != (2, 2) {
        assert!(Instant::now() < deadline, "the socket never counted two watchers");
    }
    let master = until(&format!("{hls}/master.m3u8"), Duration::from_secs(30), |m| variants(m).len() == 3).await;
    let uris: Vec<String> = variants(&master).into_iter().map(|(uri, _)| uri).collect();
    assert_eq!(uris, ["source/index.m3u8", "360p/index.m3u8", "audio/index.m3u8"], "{master}");
    let rung = variants(&master).into_iter().find(|(uri, _)| uri.starts_with("360p")).unwrap().1;
    assert_eq!(attribute(&rung, "RESOLUTION").as_deref(), Some("640x360"), "{rung}");
    let show = client.get(&format!("/api/v1/shows/{show_id}"), None).await.unwrap();
    let viewers = (&show.body["viewers"]["connected"], &show.body["viewers"]["watching"]);
    assert_eq!(viewers, (&json!(2), &json!(2)), "{}", show.body);

    let rung_url = format!("{hls}/360p/index.m3u8");
    let text = until(&rung_url, Duration::from_secs(20), complete_segments(2)).await;
    assert_ll_hls("360p", &MediaPlaylist::parse(&text).unwrap(), &["source", "audio"]);
    let (video, _) = decode(&rung_url, 2).await.unwrap();
    assert!(video >= 30, "decoded {video} frames of the 360p rung");
    // Those already watching the source keep a continuous playlist.
    let source_now = MediaPlaylist::parse(&fetch(&source).await.text()).unwrap();
    assert_eq!(source_now.discontinuities, 0, "the ladder broke the source playlist");
    assert_ll_hls("source", &source_now, &["audio", "360p"]);

    // Stream health: recorded in the show's live stats every 10 s, and exported for Prometheus.
    let store = deployment.event_store().await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(25);
    let health = loop {
        let events = store.load(LiveStats::TYPE, &show_id).await.unwrap();
        let reported: Vec<serde_json::Value> = events
            .into_iter()
            .filter(|e| e.event_type == "StreamHealthReported")
            .map(|e| e.payload["health"].clone())
            .collect();
        if let Some(last) = reported.iter().rev().find(|h| h["encoder_lag_ms"].as_u64() > Some(0)) {
            break last.clone();
        }
        assert!(Instant::now() < deadline, "no health report with the ladder running: {reported:?}");
        tokio::time::sleep(Duration::from_millis(500)).await;
    };
    let fps = health["frames_per_second"].as_f64().unwrap();
    assert!((25.0..=35.0).contains(&fps), "{health}");
    // The publisher sends a keyframe every 60 frames: 2 s.
    assert!((1900..=2100).contains(&health["keyframe_interval_ms"].as_u64().unwrap()), "{health}");
    assert!(health["input_bits_per_second"].as_u64().unwrap() > 50_000, "{health}");
    let metrics = fetch(&format!("{}/metrics", deployment.media_url.as_deref().unwrap())).await.text();
    let gauges = [
        "cartcast_media_input_bitrate_bps",
        "cartcast_media_input_fps",
        "cartcast_media_encoder_lag_seconds",
        "cartcast_media_keyframe_interval_seconds",
    ];
    for name in gauges {
        assert!(metrics.contains(&format!("{name}{{show_id=\"{show_id}\"}}")), "{name} missing");
    }
    assert!(metrics.contains("cartcast_media_part_latency_seconds"), "part latency missing");

    publisher.stop().await.unwrap();
    deployment.stop().await.expect("clean stop");
}

#[tokio::test]
async fn a_clip_is_the_last_seconds_as_an_mp4_and_the_dvr_window_slides() {
    let env = [("CARTCAST_DVR_WINDOW", "20s")];
    let mut deployment = Deployment::start(Shape::Embedded, &env).await.unwrap();
    let client = deployment.client();
    let (show_id, key) = schedule(&client, "creator-1").await;
    let viewer = client.token("ann", Role::Viewer);
    let too_early =
        client.post("/api/v1/clips", &viewer, None, json!({"show_id": show_id, "seconds": 30})).await.unwrap();
    assert_eq!((too_early.status, too_early.code()), (409, Some("wrong_show_status")), "{}", too_early.body);

    let publisher = Publisher::start(deployment.rtmp_url.as_deref().unwrap(), &key, "320x180").unwrap();
    let hls = format!("{}/hls/{show_id}", deployment.media_url.as_deref().unwrap());
    let url = format!("{hls}/source/index.m3u8");
    // 34 s of stream: 17 segments, of which a 20 s window lists the newest.
    let text = until(&url, Duration::from_secs(60), |text| {
        MediaPlaylist::parse(text).is_ok_and(|p| p.media_sequence + p.segments.len() as u64 >= 17)
    })
    .await;
    let live = MediaPlaylist::parse(&text).unwrap();
    let listed: f64 = live.segments.iter().map(|(_, d, _)| d).sum();
    assert!(live.media_sequence >= 5, "the window did not slide: starts at {}", live.media_sequence);
    assert!((18.0..=22.5).contains(&listed), "a 20 s window lists {listed} s");
    assert!(text.contains("#EXT-X-PROGRAM-DATE-TIME:"), "seeking needs dates");
    // The oldest listed segment is still served: a player can seek back to it.
    let (_, _, oldest) = &live.segments[0];
    assert_eq!(fetch(&format!("{hls}/source/{oldest}")).await.status, 200);

    // A delta update counts what lies beyond the skip boundary instead of listing it.
    let control = live.server_control.clone().unwrap();
    let boundary: f64 = attribute(&control, "CAN-SKIP-UNTIL").expect("CAN-SKIP-UNTIL").parse().unwrap();
    assert!(boundary >= 6.0 * live.target_duration.unwrap() as f64, "{control}");
    let delta = MediaPlaylist::parse(&fetch(&format!("{url}?_HLS_skip=YES")).await.text()).unwrap();
    let full = MediaPlaylist::parse(&fetch(&url).await.text()).unwrap();
    assert!(delta.skipped > 0, "nothing skipped:\n{}", delta.text);
    assert_eq!(delta.media_sequence, full.media_sequence);
    let last = |p: &MediaPlaylist| p.segments.last().map(|(msn, ..)| *msn);
    assert!(last(&delta) >= last(&full), "the delta update lost the edge");
    let delta_listed: f64 = delta.segments.iter().map(|(_, d, _)| d).sum();
    assert!(delta_listed >= boundary - 2.0, "a delta update keeps the last {boundary} s: {delta_listed}");
    assert_eq!(fetch(&format!("{url}?_HLS_skip=maybe")).await.status, 400);

    let short = client.post("/api/v1/clips", &viewer, None, json!({"show_id": show_id, "seconds": 20})).await.unwrap();
    assert_eq!((short.status, short.code()), (422, Some("invalid_input")), "{}", short.body);
    let asked = client.post("/api/v1/clips", &viewer, None, json!({"show_id": show_id, "seconds": 30})).await.unwrap();
    assert_eq!(asked.status, 202, "{}", asked.body);
    let clip_id = asked.body["clip_id"].as_str().unwrap().to_owned();
    let deadline = Instant::now() + Duration::from_secs(20);
    let clip = loop {
        let clip = client.get(&format!("/api/v1/clips/{clip_id}"), None).await.unwrap();
        if clip.body["status"] == "ready" {
            break clip.body;
        }
        assert_ne!(clip.body["status"], "failed", "{}", clip.body);
        assert!(Instant::now() < deadline, "the clip is not ready: {}", clip.body);
        tokio::time::sleep(Duration::from_millis(300)).await;
    };
    let url = format!("{}{}", deployment.media_url.as_deref().unwrap(), clip["url"].as_str().unwrap());
    let mp4 = fetch(&url).await;
    assert_eq!((mp4.status, mp4.content_type.as_str()), (200, "video/mp4"));
    let probe = tokio::process::Command::new("ffprobe")
        .args(["-v", "error", "-show_entries", "format=duration", "-of", "csv=p=0", &url])
        .output()
        .await
        .unwrap();
    let duration: f64 = String::from_utf8_lossy(&probe.stdout).trim().parse().unwrap();
    assert!((duration - 30.0).abs() <= 1.0, "a 30 s clip lasts {duration} s");
    let (video, audio) = decode(&url, 120).await.unwrap();
    assert!((video as f64 - 900.0).abs() <= 30.0, "decoded {video} frames of a 30 s clip");
    assert!(audio > 1000, "decoded {audio} audio frames");
    // The channel's replays list its ready clips.
    let videos = client.get("/api/v1/channels/creator-1/videos", None).await.unwrap();
    let listed = videos.body["clips"].as_array().unwrap_or_else(|| panic!("{}", videos.body));
    assert!(listed.iter().any(|c| c["clip_id"] == clip_id.as_str() && c["url"] == clip["url"]), "{}", videos.body);

    publisher.stop().await.unwrap();
    deployment.stop().await.expect("clean stop");
}

#[tokio::test]
async fn a_live_show_outlives_a_media_worker_crash() {
    let mut deployment = Deployment::start(Shape::Embedded, &[("CARTCAST_MEDIA_END_GRACE", "8s")]).await.unwrap();
    let client = deployment.client();
    let (show_id, key) = schedule(&client, "creator-1").await;
    let first = Publisher::start(deployment.rtmp_url.as_deref().unwrap(), &key, "320x180").unwrap();
    let dir = |d: &Deployment| format!("{}/hls/{show_id}/source", d.media_url.as_deref().unwrap());
    let url = |d: &Deployment| format!("{}/index.m3u8", dir(d));
    let before =
        MediaPlaylist::parse(&until(&url(&deployment), Duration::from_secs(20), complete_segments(3)).await).unwrap();
    let served_before = segment_hashes(&dir(&deployment), &before).await;
    let product_id = client.create_product("creator-1", 5).await.unwrap();
    let creator = client.token("creator-1", Role::Creator);
    let path = format!("/api/v1/shows/{show_id}/pin");
    let pinned = client.post(&path, &creator, None, json!({"product_id": product_id})).await.unwrap();
    assert_eq!(pinned.status, 200, "{}", pinned.body);
    until(&url(&deployment), Duration::from_secs(10), |text| text.contains("#EXT-X-DATERANGE")).await;

    deployment.crash_and_restart().await.expect("kill -9 and start again");
    let _ = first.exited_within(Duration::from_secs(10)).await;
    let second = Publisher::start(deployment.rtmp_url.as_deref().unwrap(), &key, "320x180").unwrap();
    let text = until(&url(&deployment), Duration::from_secs(20), |text| {
        text.find("#EXT-X-DISCONTINUITY\n").is_some_and(|at| text[at..].matches("#EXTINF").count() >= 2)
    })
    .await;
    let after = MediaPlaylist::parse(&text).unwrap();
    assert!(after.dateranges.iter().any(|d| d.contains(&product_id)), "the pin was lost in the crash");
    assert_numbered_on(&after, 0, "the crash");
    assert_unchanged(&dir(&deployment), &served_before, &after, "the crash").await;
    assert!(decode(&url(&deployment), 2).await.unwrap().0 >= 30, "the show plays after the crash");

    second.stop().await.unwrap();
    until_status(&deployment.client(), &show_id, "ended").await;
    let vod = MediaPlaylist::parse(&fetch(&url(&deployment)).await.text()).unwrap();
    assert!(vod.ended && vod.media_sequence == 0 && vod.discontinuities == 1, "{}", vod.text);
    assert_numbered_on(&vod, 0, "the crash, in the VOD");
    assert_unchanged(&dir(&deployment), &served_before, &vod, "the show ended").await;
    deployment.stop().await.expect("clean stop");
}

#[tokio::test]
async fn every_rung_of_the_ladder_is_aligned_and_decodes() {
    let mut deployment = Deployment::start(Shape::Embedded, &[("CARTCAST_LADDER_WATCHERS", "0")]).await.unwrap();
    let client = deployment.client();
    let (show_id, key) = schedule(&client, "creator-1").await;
    let publisher = Publisher::start(deployment.rtmp_url.as_deref().unwrap(), &key, "1280x720").unwrap();
    let hls = format!("{}/hls/{show_id}", deployment.media_url.as_deref().unwrap());
    let master = until(&format!("{hls}/master.m3u8"), Duration::from_secs(30), |m| variants(m).len() == 4).await;
    let listed: Vec<(String, Option<String>)> =
        variants(&master).into_iter().map(|(uri, line)| (uri, attribute(&line, "RESOLUTION"))).collect();
    let expected = [
        ("source/index.m3u8", Some("1280x720")),
        ("480p/index.m3u8", Some("854x480")),
        ("360p/index.m3u8", Some("640x360")),
        ("audio/index.m3u8", None),
    ];
    let expected: Vec<(String, Option<String>)> =
        expected.iter().map(|(uri, res)| ((*uri).to_owned(), res.map(str::to_owned))).collect();
    assert_eq!(listed, expected, "{master}");

    let names = ["source", "480p", "360p", "audio"];
    let mut timelines = Vec::new();
    for name in names {
        let url = format!("{hls}/{name}/index.m3u8");
        let playlist = MediaPlaylist::parse(&until(&url, Duration::from_secs(30), complete_segments(3)).await).unwrap();
        let others: Vec<&str> = names.iter().copied().filter(|n| *n != name).collect();
        assert_ll_hls(name, &playlist, &others);
        timelines.push((name, playlist.segments));
        let (video, audio) = decode(&url, 2).await.unwrap();
        assert!(video >= 30 || (name == "audio" && audio >= 40), "{name}: decoded {video} video, {audio} audio");
    }
    // Closed GOPs on the same source frames: every video rendition cuts its
    // segments at the same numbers and lengths.
    let (_, source) = &timelines[0];
    for (name, segments) in &timelines[1..3] {
        for (msn, duration, _) in segments {
            let Some((_, expected, _)) = source.iter().find(|(m, ..)| m == msn) else { continue };
            assert!((duration - expected).abs() < 0.04, "{name} segment {msn}: {duration} s vs source {expected} s");
        }
        assert!(segments.iter().filter(|(m, ..)| source.iter().any(|(s, ..)| s == m)).count() >= 2, "{name}");
    }

    publisher.stop().await.unwrap();
    deployment.stop().await.expect("clean stop");
}
