//! `media-bench`: Cartcast's ABR ladder (decode once, cascade scaling,
//! renditions encoded in parallel) against the one-process ffmpeg CLI ladder
//! Owncast runs, on a generated 1080p30 input. The last stdout line is the result:
//!
//! `media-bench fps=… cli_fps=… ratio=… realtime_x=… part_latency_p50_ms=…`
//!
//! where `fps` and `cli_fps` are input frames per wall-clock second through
//! all renditions, `ratio = fps / cli_fps` and `realtime_x = fps / input fps`.
//! The two alternate for `--rounds` rounds and each side's best round counts,
//! so that a neighbour taking the CPU for a while hurts neither side alone.
//! Then the real binary (`CARTCAST_BIN`) takes a live 1080p30 publish:
//! `part_latency_p50_ms` is the worse of the source's and the ladder's median
//! ingest → part latency, and the server's CPU for the source-only show is
//! printed before the summary.

#[path = "../media_bench/cli.rs"]
mod cli;
#[path = "../media_bench/cpu.rs"]
mod cpu;
#[path = "../media_bench/ladder.rs"]
mod ladder;
#[path = "../media_bench/live.rs"]
mod live;
#[path = "../media_bench/source.rs"]
mod source;

use std::path::Path;
use std::time::Instant;

use anyhow::Context;
use cartcast_media::ladder::EncoderKind;
use clap::{Parser, ValueEnum};
use ladder::LadderFigures;

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
    /// Seconds of live publishing measured, source-only then with the ladder.
    #[arg(long, default_value_t = 10)]
    live_seconds: u64,
}

#[derive(Clone, Copy, ValueEnum)]
enum Encoder {
    X264,
    /// NVENC where it works, else x264.
    Detect,
}

/// Everything one run measured; the summary line is built from it.
struct Figures {
    input_fps: u32,
    /// Best round of each side.
    fps: f64,
    cli_fps: f64,
    part_latency_p50_ms: f64,
}

impl Figures {
    fn summary(&self) -> String {
        format!(
            "media-bench fps={:.1} cli_fps={:.1} ratio={:.2} realtime_x={:.2} part_latency_p50_ms={:.0}",
            self.fps,
            self.cli_fps,
            self.fps / self.cli_fps,
            self.fps / f64::from(self.input_fps),
            self.part_latency_p50_ms,
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

/// Generates the input in `dir`, then runs both ladders on it, printing each stage.
fn measure(args: &Args, dir: &Path) -> anyhow::Result<Figures> {
    let started = Instant::now();
    let input = source::generate(dir, args.seconds, args.fps)?;
    println!("input: {}s of 1920x1080@{} + AAC, generated in {:.2?}", args.seconds, args.fps, started.elapsed());
    println!("cli: ffmpeg {}", cli::args(&input, args.fps).join(" "));
    let encoder = match args.encoder {
        Encoder::X264 => EncoderKind::X264,
        Encoder::Detect => EncoderKind::detect(),
    };
    let segment_frames = usize::try_from(args.fps * 2).context("segment length")?;
    let (mut fps, mut cli_fps) = (0.0_f64, 0.0_f64);
    for round in 1..=args.rounds {
        let ladder = ladder::run(&input, f64::from(args.fps), segment_frames, encoder)?;
        print_ladder(round, encoder, &ladder, args.seconds);
        let cli = cli::run(&input, args.fps)?;
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
    let runtime = tokio::runtime::Runtime::new().context("starting tokio")?;
    let live = runtime.block_on(live::run(args.live_seconds))?;
    println!("live: source-only show costs the server {:.1}% of one core", live.source_only_cpu_pct);
    println!(
        "live: ingest -> part p50: source {:.0} ms, ladder {:.0} ms",
        live.source_part_p50_ms, live.ladder_part_p50_ms
    );
    let part_latency_p50_ms = live.source_part_p50_ms.max(live.ladder_part_p50_ms);
    Ok(Figures { input_fps: args.fps, fps, cli_fps, part_latency_p50_ms })
}

fn print_ladder(round: u32, encoder: EncoderKind, ladder: &LadderFigures, seconds: u32) {
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
        println!(
            "  {}: {}x{}, {} frames, {} IDRs, {:.0} kbit/s",
            rung.name,
            rung.width,
            rung.height,
            rung.frames,
            rung.keyframes,
            rung.bytes as f64 * 8.0 / f64::from(seconds) / 1000.0,
        );
    }
}
