#![no_main]
//! A program book (TOML text, or the embedded book with fuzzed numbers and dates), then
//! the engine and every writer on a fixed sample data set.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| tsp_payout_fuzz::book_input(data));
