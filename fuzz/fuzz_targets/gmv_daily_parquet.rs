#![no_main]
//! gmv_daily.parquet through the real ingest, then the engine and every writer. An even
//! second byte: the input is the file (seeds are real exports); odd: the file is built
//! from the input together with the CSV of the same rows, and both must pay the same.

use libfuzzer_sys::fuzz_target;
use tsp_payout::input::source::Format;
use tsp_payout::input::InputFile;

fuzz_target!(|data: &[u8]| {
    match data {
        [control, kind, rest @ ..] if kind & 1 == 1 => {
            let mut built = vec![*control];
            built.extend_from_slice(rest);
            tsp_payout_fuzz::parquet_against_csv(&built)
        }
        [control, _, rest @ ..] => {
            let mut file = vec![*control];
            file.extend_from_slice(rest);
            tsp_payout_fuzz::ingest_as(InputFile::GmvDaily, Format::Parquet, &file)
        }
        _ => {}
    }
});
