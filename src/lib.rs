//! tsp-payout: computes the Q4 incentive payouts owed to TikTok Shop Partners from the
//! platform's daily-GMV CSV exports, under a program book of rules kept as data.
//!
//! The library API is the pipeline the commands are made of, as the property tests and
//! the fuzz targets drive it: read a [`book::Book`], cut its [`window::Periods`] at an
//! evaluation date, [`input::load`] a data directory, [`engine::run`] the programs into an
//! [`engine::Outcome`], and render it with [`report`]; [`money`] is the amount type they
//! share; [`ledger`] keeps the periods closed as issued. [`cmd`] is the command line, for
//! `main.rs`. Everything else is internal to the crate, so the compiler reports what
//! nothing uses.

pub mod book;
pub mod cmd;
pub mod engine;
pub mod input;
pub(crate) mod leaderboard;
pub mod ledger;
pub mod money;
pub(crate) mod number;
pub mod payout;
pub mod programs;
pub(crate) mod progress;
pub mod report;
pub(crate) mod rules;
pub(crate) mod scenario;
pub mod window;
