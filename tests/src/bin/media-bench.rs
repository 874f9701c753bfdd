//! `media-bench`: Cartcast's ABR ladder (decode once, cascade scaling,
//! renditions encoded in parallel) against the one-process ffmpeg CLI ladder
//! Owncast runs, doing the same work (audio copied, the same bilinear scaler,
//! a cascade in one filter graph, Owncast's x264 settings), on a generated
//! 1080p30 input. The last stdout line is the result:
//!
//! `media-bench fps=… cli_fps=… ratio=… realtime_x=… part_latency_p50_ms=… part_latency_p99_ms=… quality=… psnr_gap_db=…`
//!
//! where `fps` and `cli_fps` are input frames per wall-clock second through
//! all renditions and `realtime_x = fps / input fps`. The two alternate for
//! `--rounds` rounds and each side's best round counts, so that a neighbour
//! taking the CPU for a while hurts neither side alone. Each rung of the last
//! round is then compared with the source scaled to its size (PSNR, SSIM) and
//! its bitrate measured, for both sides. `psnr_gap_db` is the most the
//! ladder's PSNR falls below the CLI's on any rung; `quality=ok` when that is
//! at most 0.5 dB, else `quality=worse`, and only then is `ratio = fps /
//! cli_fps` given: otherwise `ratio=n/a`.
//!
//! Then the real binary (`CARTCAST_BIN`) takes a live 1080p30 publish; once
//! the show is live and its input arrives at full rate, the server's CPU for
//! the source-only show is measured, then a viewer starts the ladder.
//! `part_latency_p50_ms` and `part_latency_p99_ms` are the worse of the
//! source's and the ladder's ingest → part latency quantiles.

#[path = "../media_bench/cli.rs"]
mod cli;
#[path = "../media_bench/cpu.rs"]
mod cpu;
#[path = "../media_bench/ladder.rs"]
mod ladder;
#[path = "../media_bench/live.rs"]
mod live;
#[path = "../media_bench/player.rs"]
mod player;
#[path = "../media_bench/quality.rs"]
mod quality;
#[path = "../media_bench/source.rs"]
mod source;

use std::path::Path;
use std::time::Instant;

use anyhow::Context;
use cartcast_media::ladder::{EncoderKind, LADDER};
use clap::{Parser, ValueEnum};
use ladder::LadderFigures;
use live::LiveFigures;
use quality::Quality;

#[derive(Parser)]
#[command(about = "ABR ladder bench: in-process ladder vs the ffmpeg CLI")]
struct Args {
    /// Length of the generated input.
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u32).range(1..))]
    seconds: u32,
    /// Frame rate of the generated input.
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u32).range(1..))]
    fps: u32,
    /// Encoder for Cartcast's ladder (the CLI always uses x264).
    #[arg(long, value_enum, default_value_t = Encoder::X264)]
    encoder: Encoder,
    /// Rounds of ladder then CLI.
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..))]
    rounds: u32,
    /// Seconds of live publishing measured, source-only then with the ladder;
    /// at least the server's latency window, so that warm-up stays out of it.
    #[arg(long, default_value_t = live::LATENCY_WINDOW_S,
          value_parser = clap::value_parser!(u64).range(live::LATENCY_WINDOW_S..))]
    live_seconds: u64,
}

#[derive(Clone, Copy, ValueEnum)]
enum Encoder {
    X264,
    /// NVENC where it works, else x264.
    Detect,
}

/// A speed ratio counts only where the ladder's PSNR is at most this far
/// below the CLI's on every rung.
const PSNR_TOLERANCE_DB: f64 = 0.5;

/// One rung's quality on both sides.
struct RungQuality {
    name: &'static str,
    ladder: Quality,
    cli: Quality,
}

/// Everything one run measured; the summary line is built from it.
struct Figures {
    input_fps: u32,
    /// Best round of each side.
    fps: f64,
    cli_fps: f64,
    rungs: Vec<RungQuality>,
    live: LiveFigures,
}

impl Figures {
    /// The most the ladder's PSNR falls below the CLI's on any rung; negative
    /// when the ladder is better on every rung.
    fn psnr_gap_db(&self) -> f64 {
        self.rungs.iter().map(|rung| rung.cli.psnr_db - rung.ladder.psnr_db).fold(f64::NEG_INFINITY, f64::max)
    }

    fn quality_held(&self) -> bool {
        self.psnr_gap_db() <= PSNR_TOLERANCE_DB
    }

    fn summary(&self) -> String {
        let (held, gap) = (self.quality_held(), self.psnr_gap_db());
        let ratio = if held { format!("{:.2}", self.fps / self.cli_fps) } else { "n/a".to_owned() };
        let live = &self.live;
        format!(
            "media-bench fps={:.1} cli_fps={:.1} ratio={ratio} realtime_x={:.2} part_latency_p50_ms={:.0} \
             part_latency_p99_ms={:.0} quality={} psnr_gap_db={gap:.2}",
            self.fps,
            self.cli_fps,
            self.fps / f64::from(self.input_fps),
            live.source.p50_ms.max(live.ladder.p50_ms),
            live.source.p99_ms.max(live.ladder.p99_ms),
            if held { "ok" } else { "worse" },
        )
    }
}

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    ffmpeg_next::init().context("initialising FFmpeg")?;
    ffmpeg_next::log::set_level(ffmpeg_next::log::Level::Error);
    let dir = cartcast_tests::temp_dir("media-bench");
    let figures = measure(&args, &dir);
    std::fs::remove_dir_all(&dir).context("removing the temp dir")?;
    let figures = figures?;
    println!("{}", figures.summary());
    Ok(())
}

/// Generates the input in `dir`, runs both ladders on it, compares their
/// rungs, then runs the live half, printing each stage.
fn measure(args: &Args, dir: &Path) -> anyhow::Result<Figures> {
    let started = Instant::now();
    let input = source::generate(dir, args.seconds, args.fps)?;
    println!("input: {}s of 1920x1080@{} + AAC, generated in {:.2?}", args.seconds, args.fps, started.elapsed());
    println!("cli: ffmpeg {}", cli::args(&input, dir, args.fps).join(" "));
    let encoder = match args.encoder {
        Encoder::X264 => EncoderKind::X264,
        Encoder::Detect => EncoderKind::detect(),
    };
    let segment_frames = usize::try_from(args.fps * 2).context("segment length")?;
    let (mut fps, mut cli_fps) = (0.0_f64, 0.0_f64);
    for round in 1..=args.rounds {
        let ladder = ladder::run(&input, dir, f64::from(args.fps), segment_frames, encoder)?;
        print_ladder(round, encoder, &ladder);
        let cli = cli::run(&input, dir, args.fps)?;
        let round_cli_fps = ladder.frames as f64 / cli.wall.as_secs_f64();
        println!(
            "round {round} cli: {round_cli_fps:.1} fps, wall {:.2?}, cpu {:.2?} ({:.2} cores busy)",
            cli.wall,
            cli.cpu,
            cli.cpu.as_secs_f64() / cli.wall.as_secs_f64()
        );
        fps = fps.max(ladder.fps());
        cli_fps = cli_fps.max(round_cli_fps);
    }
    let rungs = compare(&input, dir, args.fps)?;

    let runtime = tokio::runtime::Runtime::new().context("starting tokio")?;
    let live = runtime.block_on(live::run(args.live_seconds))?;
    let (source_fps, ladder_fps) = live.input_fps;
    println!(
        "live: source-only show costs the server {:.1}% of one core (input {source_fps:.1} fps)",
        live.source_only_cpu_pct
    );
    println!(
        "live: ingest -> part p50/p99: source {:.0}/{:.0} ms; ladder {:.0}/{:.0} ms (input {ladder_fps:.1} fps)",
        live.source.p50_ms, live.source.p99_ms, live.ladder.p50_ms, live.ladder.p99_ms
    );
    let figures = Figures { input_fps: args.fps, fps, cli_fps, rungs, live };
    print_ratio(&figures);
    Ok(figures)
}

/// Measures every rung the last round left in `dir`, on both sides, and prints them.
fn compare(input: &Path, dir: &Path, fps: u32) -> anyhow::Result<Vec<RungQuality>> {
    println!("quality of the last round, against the source scaled to each rung with lanczos:");
    let mut rungs = Vec::with_capacity(LADDER.len());
    for rung in &LADDER {
        let side = |path: &Path| quality::measure(path, input, fps).with_context(|| format!("measuring {}", rung.name));
        let measured = RungQuality {
            name: rung.name,
            ladder: side(&ladder::rendition(dir, rung))?,
            cli: side(&cli::rendition(dir, rung))?,
        };
        println!("  {}: ladder {} | cli {}", measured.name, describe(&measured.ladder), describe(&measured.cli));
        rungs.push(measured);
    }
    Ok(rungs)
}

fn describe(quality: &Quality) -> String {
    format!(
        "{}x{} PSNR {:.2} dB, SSIM {:.4}, {:.0} kbit/s",
        quality.width, quality.height, quality.psnr_db, quality.ssim, quality.kbit_per_s
    )
}

/// Says whether the speed ratio counts, and why.
fn print_ratio(figures: &Figures) {
    let gap = figures.psnr_gap_db();
    if figures.quality_held() {
        println!(
            "ratio: {:.2}x; it counts: the ladder's PSNR is within {PSNR_TOLERANCE_DB} dB of the CLI's or better \
             on every rung (largest shortfall {gap:.2} dB)",
            figures.fps / figures.cli_fps
        );
    } else {
        let worse: Vec<String> = figures
            .rungs
            .iter()
            .filter(|rung| rung.cli.psnr_db - rung.ladder.psnr_db > PSNR_TOLERANCE_DB)
            .map(|rung| format!("{} by {:.2} dB", rung.name, rung.cli.psnr_db - rung.ladder.psnr_db))
            .collect();
        println!(
            "ratio: none; the ladder's PSNR falls more than {PSNR_TOLERANCE_DB} dB below the CLI's on {}",
            worse.join(", ")
        );
    }
}

fn print_ladder(round: u32, encoder: EncoderKind, ladder: &LadderFigures) {
    let wall = ladder.demux + ladder.ladder;
    println!(
        "round {round} ladder ({encoder:?}): {:.1} fps, {} frames, demux {:.2?}, ladder {:.2?}, cpu {:.2?} ({:.2} cores busy)",
        ladder.fps(),
        ladder.frames,
        ladder.demux,
        ladder.ladder,
        ladder.cpu,
        ladder.cpu.as_secs_f64() / wall.as_secs_f64(),
    );
    for rung in &ladder.rungs {
        println!("  {}: {}x{}, {} frames, {} IDRs", rung.name, rung.width, rung.height, rung.frames, rung.keyframes);
    }
}
