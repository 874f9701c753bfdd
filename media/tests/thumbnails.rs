//! The shared thumbnailer: frames of shows with different streams, taken in
//! turns by one maker's decoder, each become a JPEG of its own show's picture.

mod source;

use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::{Duration, Instant};

use cartcast_media::thumbnail::{EVERY_SECONDS, Thumbnailer, Thumbnails};
use cartcast_media::track::{Sample, VIDEO_TIMESCALE};

/// A show's first IDR, moved to `second` of its timeline.
fn idr_at(source: &source::Source, second: u64) -> Sample {
    let idr = source.samples.iter().find(|s| s.keyframe).expect("an IDR");
    Sample { dts: second * u64::from(VIDEO_TIMESCALE), ..idr.clone() }
}

/// `(width, height)` of the JPEG at `path`, once it is there.
fn jpeg_size(path: &Path) -> (u32, u32) {
    let deadline = Instant::now() + Duration::from_secs(20);
    while !path.exists() {
        assert!(Instant::now() < deadline, "no thumbnail at {}", path.display());
        std::thread::sleep(Duration::from_millis(20));
    }
    // Written whole: `<second>.jpg` is written before `latest.jpg` is renamed into place.
    let latest = path.with_file_name("latest.jpg");
    while !latest.exists() {
        assert!(Instant::now() < deadline, "no latest thumbnail beside {}", path.display());
        std::thread::sleep(Duration::from_millis(20));
    }
    let probe = Command::new("ffprobe")
        .args(["-v", "error", "-show_entries", "stream=width,height", "-of", "csv=p=0"])
        .arg(path)
        .output()
        .expect("run ffprobe");
    let text = String::from_utf8_lossy(&probe.stdout);
    let (width, height) = text.trim().split_once(',').unwrap_or_else(|| panic!("ffprobe said {text:?}"));
    (width.parse().unwrap(), height.parse().unwrap())
}

#[test]
fn test_one_thumbnailer_makes_each_shows_thumbnails_from_its_own_stream() {
    let dir = source::temp_dir("thumbnails");
    let wide = source::make(&dir, "1280x720", 1);
    let square = source::make(&dir, "640x480", 1);
    let maker = Arc::new(Thumbnailer::default());
    let mut shows = [(&wide, dir.join("wide"), (320, 180)), (&square, dir.join("square"), (320, 240))]
        .map(|(source, show_dir, size)| (source, Thumbnails::new(maker.clone(), show_dir.join("thumbs")), show_dir, size));

    // Turns: wide, square, wide again, each decoded after the other stream's parameter sets.
    for second in [0, EVERY_SECONDS] {
        for (source, thumbnails, show_dir, size) in &mut shows {
            thumbnails.offer(&source.codec, &idr_at(source, second));
            assert_eq!(jpeg_size(&show_dir.join(format!("thumbs/{second}.jpg"))), *size, "{}", show_dir.display());
        }
    }
    // Too soon after the last one: not taken.
    let (source, thumbnails, show_dir, _) = &mut shows[0];
    thumbnails.offer(&source.codec, &idr_at(source, EVERY_SECONDS + 1));
    std::thread::sleep(Duration::from_millis(500));
    assert!(!show_dir.join(format!("thumbs/{}.jpg", EVERY_SECONDS + 1)).exists());
    let _ = std::fs::remove_dir_all(&dir);
}
