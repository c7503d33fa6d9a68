#![no_main]
//! gmv_daily.xlsx through the real ingest, then the engine and every writer.

use libfuzzer_sys::fuzz_target;
use tsp_payout::input::source::Format;
use tsp_payout::input::InputFile;

fuzz_target!(|data: &[u8]| tsp_payout_fuzz::ingest_as(InputFile::GmvDaily, Format::Xlsx, data));
