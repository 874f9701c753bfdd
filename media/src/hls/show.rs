//! One show's renditions as the HTTP layer sees them: parts and playlists in
//! memory near the live edge, segments, init segments and (once the show
//! ends) the VOD playlists on disk under the show's directory. Each
//! rendition keeps a journal beside its segments (`rendition.json`: kind and
//! codecs; `segments.jsonl`: one line per closed segment) from which a
//! restarted worker lists them again.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use bytes::Bytes;
use chrono::Utc;
use tokio::io::{AsyncReadExt, AsyncSeekExt};
use tokio::sync::watch;

use super::master::{Variant, master_playlist};
use super::packager::Part;
use super::playlist::{Pin, Report};
use super::rendition::{ClosedSegment, PartBytes, Rendition, SegmentRecord, Timing};
use crate::clip::TrackFiles;
use crate::cmaf;
use crate::track::Codec;

/// What a rendition carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    /// The publisher's own video, not re-encoded.
    Source,
    /// A transcoded ladder rung.
    Rung,
    /// The audio track, also offered alone.
    Audio,
}

struct Slot {
    name: String,
    kind: Kind,
    rendition: Rendition,
}

struct State {
    slots: Vec<Slot>,
    pins: Vec<Pin>,
    ended: bool,
}

impl State {
    /// The rendition called `name`, if the show has one.
    fn slot(&self, name: &str) -> Option<&Slot> {
        self.slots.iter().find(|s| s.name == name)
    }

    fn slot_mut(&mut self, name: &str) -> Option<&mut Slot> {
        self.slots.iter_mut().find(|s| s.name == name)
    }
}

pub struct ShowMedia {
    show_id: String,
    dir: PathBuf,
    timing: Timing,
    /// The first segment number no stored file has: a worker that restarts
    /// mid-show numbers on from there instead of overwriting what it stored.
    first_free_msn: u64,
    state: Mutex<State>,
    /// Bumped on every change; blocking requests wait on it.
    changed: watch::Sender<u64>,
}

/// `rendition.json`: what a restarted worker needs besides the segment lines.
#[derive(serde::Serialize, serde::Deserialize)]
struct RenditionMeta {
    kind: Kind,
    /// By init segment version.
    codecs: Vec<Codec>,
}

const META: &str = "rendition.json";
const JOURNAL: &str = "segments.jsonl";
/// A show's product pins, one per line, kept from before it goes live.
const PINS: &str = "pins.jsonl";

/// Keeps a pin of the show stored under `show_dir` (whether or not it streams yet).
pub fn store_pin(show_dir: &Path, pin: &Pin) -> io::Result<()> {
    use std::io::Write as _;
    std::fs::create_dir_all(show_dir)?;
    let mut line = serde_json::to_vec(pin)?;
    line.push(b'\n');
    std::fs::OpenOptions::new().create(true).append(true).open(show_dir.join(PINS))?.write_all(&line)
}

/// The pins stored under `show_dir`, each once.
fn stored_pins(show_dir: &Path) -> Vec<Pin> {
    let lines = std::fs::read_to_string(show_dir.join(PINS)).unwrap_or_default();
    let mut pins: Vec<Pin> = Vec::new();
    for pin in lines.lines().filter_map(|line| serde_json::from_str::<Pin>(line).ok()) {
        if !pins.iter().any(|p| p.id == pin.id) {
            pins.push(pin);
        }
    }
    pins
}

/// A rendition file name, parsed: nothing else is ever read from disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MediaFile {
    Init(u32),
    Segment(u64),
    Part(u64),
}

impl MediaFile {
    pub fn parse(name: &str) -> Option<Self> {
        let number = |prefix: &str, suffix: &str| name.strip_prefix(prefix)?.strip_suffix(suffix)?.parse().ok();
        if let Some(v) = number("init-", ".mp4") {
            return u32::try_from(v).ok().map(MediaFile::Init);
        }
        number("seg-", ".m4s").map(MediaFile::Segment).or_else(|| number("part-", ".m4s").map(MediaFile::Part))
    }

    fn file_name(self) -> String {
        match self {
            MediaFile::Init(v) => format!("init-{v}.mp4"),
            MediaFile::Segment(msn) => format!("seg-{msn}.m4s"),
            MediaFile::Part(n) => format!("part-{n}.m4s"),
        }
    }
}

/// What a media file request gets.
pub enum Fetched {
    Ready(Bytes),
    /// The next part, not out yet: wait for a change and ask again.
    Soon,
    Missing,
}

/// Is a path segment safe as a directory or file name (ids, rendition names)?
pub fn is_safe_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 128
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'.')
        && !name.starts_with('.')
}

impl ShowMedia {
    pub fn new(show_id: &str, dir: PathBuf, timing: Timing) -> Self {
        let first_free_msn = first_free_msn(&dir);
        let pins = stored_pins(&dir);
        Self {
            show_id: show_id.to_owned(),
            first_free_msn,
            dir,
            timing,
            state: Mutex::new(State { slots: Vec::new(), pins, ended: false }),
            changed: watch::channel(0).0,
        }
    }

    pub fn show_id(&self) -> &str {
        &self.show_id
    }

    /// Where the show's files live.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn notify(&self) {
        self.changed.send_modify(|v| *v += 1);
    }

    /// A receiver that wakes on the next change.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.changed.subscribe()
    }

    /// Adds a rendition whose first segment number is the show's next one.
    pub fn add_rendition(&self, name: &str, kind: Kind) {
        let mut state = self.lock();
        if state.slot(name).is_some() {
            return;
        }
        let first_msn = state.slots.iter().map(|s| s.rendition.next_msn()).max().unwrap_or(0).max(self.first_free_msn);
        state.slots.push(Slot { name: name.to_owned(), kind, rendition: Rendition::new(self.timing, first_msn) });
    }

    /// A publisher came back: every rendition continues after a discontinuity.
    pub fn reconnected(&self) {
        let mut state = self.lock();
        state.ended = false;
        state.slots.iter_mut().for_each(|s| s.rendition.mark_discontinuity());
    }

    /// Sets a rendition's codec, storing its init segment when it is new.
    pub fn set_codec(&self, name: &str, codec: Codec) -> io::Result<()> {
        let changed = {
            let mut state = self.lock();
            let Some(slot) = state.slot_mut(name) else { return Ok(()) };
            let version = slot.rendition.set_codec(codec.clone());
            version.map(|v| (v, RenditionMeta { kind: slot.kind, codecs: slot.rendition.codecs().to_vec() }))
        };
        if let Some((version, meta)) = changed {
            let dir = self.dir.join(name);
            std::fs::create_dir_all(&dir)?;
            std::fs::write(dir.join(MediaFile::Init(version).file_name()), cmaf::init_segment(&codec))?;
            std::fs::write(dir.join(META), serde_json::to_vec(&meta)?)?;
        }
        Ok(())
    }

    /// Adds a finished part to a rendition; a segment it closes is written to disk.
    pub fn push(&self, name: &str, part: Part) -> io::Result<()> {
        let closed = {
            let mut state = self.lock();
            let Some(slot) = state.slot_mut(name) else { return Ok(()) };
            slot.rendition.push(part, Utc::now())
        };
        self.notify();
        if let Some(segment) = closed {
            self.store_segment(name, &segment)?;
        }
        Ok(())
    }

    /// Writes the segment, from then on the home of its parts' bytes, then
    /// its journal line (a line names only stored media).
    fn store_segment(&self, name: &str, segment: &ClosedSegment) -> io::Result<()> {
        use std::io::Write as _;
        let dir = self.dir.join(name);
        std::fs::create_dir_all(&dir)?;
        std::fs::write(dir.join(MediaFile::Segment(segment.record.msn).file_name()), &segment.data)?;
        if let Some(slot) = self.lock().slot_mut(name) {
            slot.rendition.stored(segment.record.msn);
        }
        let mut line = serde_json::to_vec(&segment.record)?;
        line.push(b'\n');
        std::fs::OpenOptions::new().create(true).append(true).open(dir.join(JOURNAL))?.write_all(&line)
    }

    /// A show this worker was publishing when it stopped, rebuilt from the
    /// renditions' journals; `None` when there is nothing to rebuild.
    pub fn recover(show_id: &str, dir: PathBuf, timing: Timing) -> Option<Self> {
        let media = Self::new(show_id, dir, timing);
        let mut slots = Vec::new();
        for entry in std::fs::read_dir(&media.dir).ok()?.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let Ok(meta) = std::fs::read(entry.path().join(META)) else { continue };
            let Ok(meta) = serde_json::from_slice::<RenditionMeta>(&meta) else { continue };
            let journal = std::fs::read_to_string(entry.path().join(JOURNAL)).unwrap_or_default();
            // A line cut short by a crash is the last one: what came before stands.
            let records: Vec<SegmentRecord> = journal.lines().map_while(|l| serde_json::from_str(l).ok()).collect();
            if let Some(rendition) = Rendition::recovered(timing, meta.codecs, records) {
                slots.push(Slot { name, kind: meta.kind, rendition });
            }
        }
        if slots.iter().all(|s| s.kind != Kind::Source) {
            return None;
        }
        slots.sort_by_key(|s| (s.kind != Kind::Source, s.name.clone()));
        media.lock().slots = slots;
        Some(media)
    }

    /// Where the source's timeline stands, in 90 kHz ticks.
    pub fn source_end(&self) -> Option<u64> {
        self.lock().slots.iter().find(|s| s.kind == Kind::Source).and_then(|s| s.rendition.end_time())
    }

    /// Adds a (stored) product pin to the DATERANGEs of every playlist.
    pub fn pin(&self, pin: Pin) {
        let mut state = self.lock();
        if !state.pins.iter().any(|p| p.id == pin.id) {
            state.pins.push(pin);
        }
        drop(state);
        self.notify();
    }

    /// The show ended: open segments close and the VOD playlists are written.
    pub fn end(&self) -> io::Result<()> {
        let closed: Vec<(String, ClosedSegment)> = {
            let mut state = self.lock();
            state.ended = true;
            state.slots.iter_mut().filter_map(|s| s.rendition.end().map(|c| (s.name.clone(), c))).collect()
        };
        for (name, segment) in closed {
            self.store_segment(&name, &segment)?;
        }
        let (playlists, master) = {
            let state = self.lock();
            let playlists: Vec<(String, String)> =
                state.slots.iter().map(|s| (s.name.clone(), s.rendition.playlist(&state.pins, &[], false))).collect();
            (playlists, Self::master_of(&state))
        };
        for (name, playlist) in playlists {
            std::fs::write(self.dir.join(name).join("index.m3u8"), playlist)?;
        }
        if let Some(master) = master {
            std::fs::write(self.dir.join("master.m3u8"), master)?;
        }
        self.notify();
        Ok(())
    }

    pub fn ended(&self) -> bool {
        self.lock().ended
    }

    fn master_of(state: &State) -> Option<String> {
        let ready = |s: &&Slot| s.rendition.has_complete_segment() && s.rendition.codec().is_some();
        fn variant(s: &Slot) -> Variant<'_> {
            Variant {
                name: &s.name,
                codec: s.rendition.codec().expect("ready renditions have a codec"),
                bandwidth: s.rendition.peak_bandwidth().unwrap_or(0),
            }
        }
        let mut videos: Vec<Variant<'_>> =
            state.slots.iter().filter(|s| s.kind != Kind::Audio).filter(ready).map(variant).collect();
        if videos.is_empty() {
            return None;
        }
        videos.sort_by_key(|v| std::cmp::Reverse(v.bandwidth));
        let audio = state.slots.iter().filter(|s| s.kind == Kind::Audio).find(ready).map(variant);
        Some(master_playlist(&videos, audio.as_ref()))
    }

    /// The master playlist, once a video rendition has a complete segment.
    pub fn master(&self) -> Option<String> {
        Self::master_of(&self.lock())
    }

    /// The stored files holding at least the last `seconds` of `video`, and the
    /// same segments of `audio` when it has them all.
    pub fn clip_sources(&self, video: &str, audio: &str, seconds: f64) -> Option<(TrackFiles, Option<TrackFiles>)> {
        let state = self.lock();
        let (init, numbers, _) = state.slot(video)?.rendition.last_seconds(seconds)?;
        let files = |name: &str, init: u32, numbers: &[u64]| TrackFiles {
            init: self.dir.join(name).join(MediaFile::Init(init).file_name()),
            segments: numbers.iter().map(|n| self.dir.join(name).join(MediaFile::Segment(*n).file_name())).collect(),
        };
        let video_files = files(video, init, &numbers);
        let audio_files = state.slot(audio).and_then(|slot| {
            let (init, audio_numbers, _) = slot.rendition.last_seconds(seconds + 4.0)?;
            numbers.iter().all(|n| audio_numbers.contains(n)).then(|| files(audio, init, &numbers))
        });
        Some((video_files, audio_files))
    }

    /// Where a clip's MP4 is kept.
    pub fn clip_path(&self, clip_id: &str) -> PathBuf {
        self.dir.join("clips").join(format!("{clip_id}.mp4"))
    }

    /// Whether `name`'s playlist can answer for segment `msn` (part `part`):
    /// `None` when there is no such rendition.
    pub fn has(&self, name: &str, msn: u64, part: Option<u64>) -> Option<bool> {
        let state = self.lock();
        state.slot(name).map(|s| s.rendition.has(msn, part))
    }

    /// The next segment number of `name`.
    pub fn next_msn(&self, name: &str) -> Option<u64> {
        self.lock().slot(name).map(|s| s.rendition.next_msn())
    }

    /// `name`'s media playlist with reports on every other rendition; a delta
    /// update when `skip`.
    pub fn playlist(&self, name: &str, skip: bool) -> Option<String> {
        let state = self.lock();
        let slot = state.slot(name)?;
        let reports: Vec<Report> = state
            .slots
            .iter()
            .filter(|s| s.name != name)
            .filter_map(|s| {
                let (last_msn, last_part) = s.rendition.edge()?;
                Some(Report { uri: format!("../{}/index.m3u8", s.name), last_msn, last_part })
            })
            .collect();
        Some(slot.rendition.playlist(&state.pins, &reports, skip))
    }

    /// A media file of `name`: the parts of segments not yet written from
    /// memory, the rest from disk (older parts as a byte range of their
    /// segment's file).
    pub async fn file(&self, name: &str, file: MediaFile) -> Fetched {
        let found = {
            let state = self.lock();
            let Some(slot) = state.slot(name) else { return Fetched::Missing };
            match file {
                MediaFile::Part(number) => match slot.rendition.part(number) {
                    Ok(part) => Some(part),
                    Err(true) => return Fetched::Soon,
                    Err(false) => return Fetched::Missing,
                },
                MediaFile::Segment(msn) => slot.rendition.segment(msn).map(PartBytes::Memory),
                MediaFile::Init(_) => None,
            }
        };
        match found {
            Some(PartBytes::Memory(data)) => Fetched::Ready(data),
            Some(PartBytes::InSegment { msn, offset, len }) => {
                let path = self.dir.join(name).join(MediaFile::Segment(msn).file_name());
                match read_range(&path, offset, len).await {
                    Ok(data) => Fetched::Ready(data),
                    Err(_) => Fetched::Missing,
                }
            }
            None => read_file(&self.dir, name, file).await,
        }
    }
}

/// `len` bytes at `offset` of the file at `path`.
async fn read_range(path: &Path, offset: u64, len: u64) -> io::Result<Bytes> {
    let mut file = tokio::fs::File::open(path).await?;
    file.seek(io::SeekFrom::Start(offset)).await?;
    let mut data = vec![0; usize::try_from(len).map_err(io::Error::other)?];
    file.read_exact(&mut data).await?;
    Ok(Bytes::from(data))
}

/// One past the highest segment number stored under `show_dir` (0 for none).
fn first_free_msn(show_dir: &Path) -> u64 {
    let Ok(renditions) = std::fs::read_dir(show_dir) else { return 0 };
    renditions
        .flatten()
        .filter_map(|rendition| std::fs::read_dir(rendition.path()).ok())
        .flat_map(|files| files.flatten())
        .filter_map(|file| match MediaFile::parse(file.file_name().to_str()?) {
            Some(MediaFile::Segment(msn)) => Some(msn + 1),
            _ => None,
        })
        .max()
        .unwrap_or(0)
}

/// A media file of an ended show, from disk.
pub async fn read_file(show_dir: &Path, name: &str, file: MediaFile) -> Fetched {
    match tokio::fs::read(show_dir.join(name).join(file.file_name())).await {
        Ok(data) => Fetched::Ready(Bytes::from(data)),
        Err(_) => Fetched::Missing,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_restarted_worker_numbers_on_after_the_stored_segments() {
        let dir = std::env::temp_dir().join(format!("cartcast-show-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("source")).unwrap();
        std::fs::write(dir.join("source").join("seg-41.m4s"), b"").unwrap();
        std::fs::write(dir.join("source").join("init-0.mp4"), b"").unwrap();
        let timing = Timing {
            segment_target: std::time::Duration::from_secs(2),
            part_target: std::time::Duration::from_millis(334),
            dvr_window: std::time::Duration::from_secs(60),
        };
        let media = ShowMedia::new("s-1", dir.clone(), timing);
        media.add_rendition("source", Kind::Source);
        assert_eq!(media.next_msn("source"), Some(42));
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn pins_stored_before_a_show_streams_are_in_its_playlists() {
        let dir = std::env::temp_dir().join(format!("cartcast-pins-{}", std::process::id()));
        let pin = Pin { id: "pin-3".into(), product_id: "p-1".into(), at: Utc::now() };
        store_pin(&dir, &pin).unwrap();
        store_pin(&dir, &pin).unwrap(); // the feed read again after a restart
        let timing = Timing {
            segment_target: std::time::Duration::from_secs(2),
            part_target: std::time::Duration::from_millis(334),
            dvr_window: std::time::Duration::from_secs(60),
        };
        let media = ShowMedia::new("s-1", dir.clone(), timing);
        assert_eq!(media.lock().pins, vec![pin]);
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn only_well_formed_names_reach_the_disk() {
        assert_eq!(MediaFile::parse("seg-12.m4s"), Some(MediaFile::Segment(12)));
        assert_eq!(MediaFile::parse("part-3.m4s"), Some(MediaFile::Part(3)));
        assert_eq!(MediaFile::parse("init-0.mp4"), Some(MediaFile::Init(0)));
        assert_eq!(MediaFile::parse("seg-../x.m4s"), None);
        assert_eq!(MediaFile::parse("index.m3u8"), None);
        assert!(is_safe_name("0190b2c4-0000-7000-8000-000000000000"));
        assert!(!is_safe_name(".."));
        assert!(!is_safe_name("a/b"));
    }
}
