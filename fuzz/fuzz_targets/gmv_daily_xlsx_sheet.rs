#![no_main]
//! gmv_daily.xlsx whose sheet rows are the input: the fast path and the careful path must
//! read it alike.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| tsp_payout_fuzz::xlsx_sheet_both_paths(data));
