//! Writes a synthetic, seeded data directory for benchmarks:
//! `cargo run --release --example gen_bench_data -- DIR ROWS [PARTNERS] [SELLERS] [SEED] [quoted]`.
//! With `quoted`, every cell (header included) is in quotes and lines end in CR LF, as
//! spreadsheet exports write them; the figures are the same as without.
//! Rows are spread over Q3 and Q4 2025, one row per (date, seller) at most, so the
//! population of partners and sellers stays fixed as the row count grows.

use std::fs::{self, File};
use std::io::{BufWriter, Write};

/// splitmix64: small, seeded, and stable across versions.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 3 {
        eprintln!(
            "usage: gen_bench_data DIR ROWS [PARTNERS=2000] [SELLERS=16000] [SEED=1] [quoted]"
        );
        std::process::exit(2);
    }
    let dir = std::path::Path::new(&args[1]);
    let rows: u64 = args[2].parse().expect("ROWS");
    let partners: u64 = args.get(3).map_or(2000, |s| s.parse().expect("PARTNERS"));
    let sellers: u64 = args.get(4).map_or(16_000, |s| s.parse().expect("SELLERS"));
    let seed: u64 = args.get(5).map_or(1, |s| s.parse().expect("SEED"));
    let quoted = args.get(6).is_some_and(|s| s == "quoted");
    fs::create_dir_all(dir)?;
    let mut rng = Rng(seed);
    let start = chrono::NaiveDate::from_ymd_opt(2025, 7, 1).expect("date");
    let days: u64 = 184;
    let slots = days * sellers;
    // Walk (day, seller) slots with a stride coprime to their count: distinct keys, spread out.
    let stride = {
        let mut s = slots / 2 + 1;
        while gcd(s, slots) != 1 {
            s += 1;
        }
        s
    };
    let mut out = BufWriter::with_capacity(1 << 20, File::create(dir.join("gmv_daily.csv"))?);
    let mut line = String::new();
    let emit = |out: &mut BufWriter<File>, line: &str| -> std::io::Result<()> {
        if quoted {
            let cells: Vec<String> = line.split(',').map(|c| format!("\"{c}\"")).collect();
            write!(out, "{}\r\n", cells.join(","))
        } else {
            writeln!(out, "{line}")
        }
    };
    emit(
        &mut out,
        "date,partner_id,seller_id,gmv,short_video_gmv,live_gmv,affiliate_gmv",
    )?;
    let mut slot = rng.below(slots);
    for i in 0..rows {
        // Past 184 × sellers rows, keys would repeat; later laps go to earlier history
        // (before Q3), as in an export with a longer past: same population, unique keys.
        let lap = i / slots;
        let day = (slot / sellers) as i64 - (lap * days) as i64;
        let seller = slot % sellers;
        let partner = seller % partners;
        let date = start + chrono::Duration::days(day);
        let gmv = rng.below(5_000_000);
        let sv = rng.below(gmv + 1);
        let live = rng.below(gmv + 1);
        let aff = rng.below(gmv / 2 + 1);
        line.clear();
        use std::fmt::Write as _;
        write!(
            line,
            "{date},P{partner:05},S{seller:06},{}.{:02},{}.{:02},{}.{:02},{}.{:02}",
            gmv / 100,
            gmv % 100,
            sv / 100,
            sv % 100,
            live / 100,
            live % 100,
            aff / 100,
            aff % 100
        )
        .expect("write to a String");
        emit(&mut out, &line)?;
        slot = (slot + stride) % slots;
    }
    out.flush()?;
    let mut names = BufWriter::new(File::create(dir.join("partners.csv"))?);
    writeln!(names, "partner_id,partner_name")?;
    for p in 0..partners {
        writeln!(names, "P{p:05},Partner {p}")?;
    }
    names.flush()
}

fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}
