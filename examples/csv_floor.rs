//! The floor for ingest speed: read a CSV with the csv crate's `ByteRecord` loop and do
//! nothing else. `cargo run --release --example csv_floor -- FILE`.

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args().nth(1).ok_or("usage: csv_floor FILE")?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_path(path)?;
    let mut record = csv::ByteRecord::new();
    let mut rows = 0u64;
    while reader.read_byte_record(&mut record)? {
        rows += 1;
    }
    println!("{rows}");
    Ok(())
}
