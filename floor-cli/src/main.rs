//! `tower-floor`: generate, render, hash, verify and benchmark Tower floors.
//!
//! Exit codes: 0 success; 1 a check failed (hash mismatch) or output could not be written;
//! 2 bad arguments (including a malformed hash, an unknown format, an out-of-range size).

mod render;

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use clap::{Args, Parser, Subcommand, ValueEnum};
use procgen::{Floor, FloorHash, FloorParams};

#[derive(Parser, Debug)]
#[command(
    name = "tower-floor",
    version,
    about = "Generate, render, hash and verify Tower floors",
    long_about = "Generate, render, hash and verify Tower floors.\n\n\
        A floor is a pure function of (floor seed, floor number, size); every machine that \
        regenerates it gets the same bytes and the same SHA3-256 hash.\n\n\
        Two seeds: a world seed names a whole tower (the game server's `world_seed`, 1 by \
        default); each floor of it has its own floor seed, derived from the world seed and \
        the floor number. `--world-seed W --floor N` is floor N as players of that tower get \
        it; `--floor-seed S --floor N` is the floor generated from seed S directly (what the \
        server sends in each FloorEnter, and what the C ABI's tower_floor_generate takes).\n\n\
        Exit codes: 0 ok, 1 hash mismatch or write failure, 2 bad arguments."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Generate a floor and print it as ASCII (default), JSON or PNG.
    Gen(GenArgs),
    /// Print the floor's hash (64 lower-case hex digits) and nothing else.
    Hash(FloorArgs),
    /// Check a floor against an expected hash: exit 0 and print `ok` on a match, exit 1 on
    /// a mismatch, exit 2 on a malformed hash.
    Verify(VerifyArgs),
    /// Generate many default-size floors and print floors/second and the median time.
    Bench(BenchArgs),
}

#[derive(Args, Debug)]
#[group(id = "which_seed", required = true, multiple = false)]
struct SeedArgs {
    /// World seed of a tower (the game server's `world_seed`): the floor seed is derived
    /// from it and --floor, exactly as the server derives it. Decimal or `0x` hex, any u64.
    #[arg(long, value_name = "W", value_parser = parse_seed)]
    world_seed: Option<u64>,
    /// Floor seed: generate from this seed directly (the seed a FloorEnter carries).
    /// Decimal or `0x` hex, any u64.
    #[arg(long, value_name = "S", visible_alias = "seed", value_parser = parse_seed)]
    floor_seed: Option<u64>,
}

#[derive(Args, Debug)]
struct FloorArgs {
    #[command(flatten)]
    seed: SeedArgs,
    /// Floor number (0 = ground floor, which has no stairs down).
    #[arg(long)]
    floor: u32,
    /// Width in tiles.
    #[arg(long, default_value_t = FloorParams::default().width,
          value_parser = clap::value_parser!(u16).range(i64::from(FloorParams::MIN_SIDE)..=i64::from(FloorParams::MAX_SIDE)))]
    width: u16,
    /// Height in tiles.
    #[arg(long, default_value_t = FloorParams::default().height,
          value_parser = clap::value_parser!(u16).range(i64::from(FloorParams::MIN_SIDE)..=i64::from(FloorParams::MAX_SIDE)))]
    height: u16,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum Format {
    /// Characters, one per tile, with a legend line.
    Ascii,
    /// Width, height, tiles (one digit string per row), spawns, hash, generator version.
    Json,
    /// A picture, 8 pixels per tile, with a legend (needs --out or a redirected stdout).
    Png,
}

#[derive(Args, Debug)]
struct GenArgs {
    #[command(flatten)]
    floor: FloorArgs,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Ascii)]
    format: Format,
    /// Write to this file instead of standard output.
    #[arg(long)]
    out: Option<PathBuf>,
}

#[derive(Args, Debug)]
struct VerifyArgs {
    #[command(flatten)]
    floor: FloorArgs,
    /// Expected hash: 64 hex digits.
    #[arg(long)]
    hash: String,
}

#[derive(Args, Debug)]
struct BenchArgs {
    /// Number of floors to generate, 1..=10000000 (seeds spread over the u64 range,
    /// floors 0..=100).
    #[arg(long, default_value_t = 2000, value_parser = clap::value_parser!(u32).range(1..=10_000_000))]
    count: u32,
}

/// Decimal or `0x`-prefixed hexadecimal u64.
fn parse_seed(s: &str) -> Result<u64, String> {
    let parsed = match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16),
        None => s.parse::<u64>(),
    };
    parsed.map_err(|e| format!("`{s}` is not a u64 seed in decimal or 0x hex: {e}"))
}

/// An error with the exit code it should produce.
struct Failure {
    code: u8,
    error: anyhow::Error,
}

fn usage(error: impl Into<anyhow::Error>) -> Failure {
    Failure {
        code: 2,
        error: error.into(),
    }
}

fn runtime(error: impl Into<anyhow::Error>) -> Failure {
    Failure {
        code: 1,
        error: error.into(),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure { code, error }) => {
            eprintln!("tower-floor: {error:#}");
            ExitCode::from(code)
        }
    }
}

fn run(cli: Cli) -> Result<(), Failure> {
    match cli.command {
        Command::Gen(args) => gen_cmd(&args),
        Command::Hash(args) => {
            let floor = make_floor(&args)?;
            println!("{}", floor.hash());
            Ok(())
        }
        Command::Verify(args) => verify_cmd(&args),
        Command::Bench(args) => bench_cmd(&args),
    }
}

impl FloorArgs {
    /// The seed `procgen::generate` takes: given, or derived from the world seed as the
    /// server derives it.
    fn floor_seed(&self) -> Result<u64, Failure> {
        match (self.seed.world_seed, self.seed.floor_seed) {
            (Some(world), _) => Ok(procgen::derive_floor_seed(world, self.floor)),
            (None, Some(floor_seed)) => Ok(floor_seed),
            // clap's `which_seed` group already requires one of the two.
            (None, None) => Err(usage(anyhow::anyhow!(
                "pass --world-seed W or --floor-seed S"
            ))),
        }
    }

    /// How the seed was given, for messages.
    fn describe(&self, floor_seed: u64) -> String {
        match self.seed.world_seed {
            Some(world) => format!(
                "world seed {world} floor {} (floor seed {floor_seed})",
                self.floor
            ),
            None => format!("floor seed {floor_seed} floor {}", self.floor),
        }
    }
}

fn make_floor(args: &FloorArgs) -> Result<Floor, Failure> {
    let params = FloorParams {
        width: args.width,
        height: args.height,
    };
    procgen::generate_with(args.floor_seed()?, args.floor, &params).map_err(|e| match e {
        procgen::GenError::Size { .. } => usage(e),
        procgen::GenError::Exhausted { .. } => runtime(e),
    })
}

fn gen_cmd(args: &GenArgs) -> Result<(), Failure> {
    let floor = make_floor(&args.floor)?;
    let bytes = match args.format {
        Format::Ascii => render::ascii(&floor).into_bytes(),
        Format::Json => {
            let mut text = render::json(&floor).map_err(runtime)?;
            text.push('\n');
            text.into_bytes()
        }
        Format::Png => {
            if args.out.is_none() && std::io::stdout().is_terminal() {
                return Err(usage(anyhow::anyhow!(
                    "refusing to write a PNG to a terminal: pass --out FILE or redirect stdout"
                )));
            }
            render::png(&floor).map_err(runtime)?
        }
    };
    match &args.out {
        Some(path) => std::fs::write(path, &bytes)
            .with_context(|| format!("cannot write {}", path.display()))
            .map_err(runtime),
        None => std::io::stdout()
            .write_all(&bytes)
            .context("cannot write to standard output")
            .map_err(runtime),
    }
}

fn verify_cmd(args: &VerifyArgs) -> Result<(), Failure> {
    let expected: FloorHash = args
        .hash
        .parse()
        .with_context(|| format!("malformed --hash `{}`", args.hash))
        .map_err(usage)?;
    let floor = make_floor(&args.floor)?;
    let actual = floor.hash();
    if actual == expected {
        println!("ok");
        Ok(())
    } else {
        Err(runtime(anyhow::anyhow!(
            "mismatch: {} hashes to {actual}, expected {expected} (generator version {})",
            args.floor.describe(args.floor.floor_seed()?),
            procgen::GENERATOR_VERSION
        )))
    }
}

/// A seed per index, spread over the u64 range (SplitMix64 finaliser).
fn bench_seed(i: u64) -> u64 {
    let mut z = i.wrapping_add(1).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn bench_cmd(args: &BenchArgs) -> Result<(), Failure> {
    let count = args.count;
    let mut times_ns: Vec<u64> = Vec::with_capacity(count as usize);
    let mut sink = 0u8;
    let started = Instant::now();
    let step = (count / 10).max(1);
    for i in 0..count {
        let t = Instant::now();
        let hash = procgen::floor_hash(bench_seed(u64::from(i)), i % 101);
        times_ns.push(u64::try_from(t.elapsed().as_nanos()).unwrap_or(u64::MAX));
        sink ^= hash.0[0];
        if count >= 1000 && (i + 1) % step == 0 {
            eprint!(
                "\r{:>3}% ({}/{count})",
                u64::from(i + 1) * 100 / u64::from(count),
                i + 1
            );
        }
    }
    let total = started.elapsed();
    if count >= 1000 {
        eprintln!();
    }
    times_ns.sort_unstable();
    let pct = |p: usize| times_ns[(times_ns.len() - 1) * p / 100];
    let median = pct(50);
    let floors_per_sec = u128::from(count) * 1_000_000_000 / total.as_nanos().max(1);
    println!("floors:         {count} (64x64, generate + SHA3-256 hash)");
    println!("floors/second:  {floors_per_sec}");
    println!(
        "median:         {}.{:01} µs",
        median / 1000,
        (median % 1000) / 100
    );
    println!(
        "p99:            {}.{:01} µs",
        pct(99) / 1000,
        (pct(99) % 1000) / 100
    );
    println!("total:          {} ms", total.as_millis());
    std::hint::black_box(sink);
    Ok(())
}
