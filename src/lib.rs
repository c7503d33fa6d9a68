//! tsp-payout: computes the Q4 incentive payouts owed to TikTok Shop Partners from the
//! platform's daily-GMV CSV exports, under a program book of rules kept as data.

pub mod app;
pub mod book;
pub mod engine;
pub mod input;
pub mod leaderboard;
pub mod money;
pub mod payout;
pub mod programs;
pub mod progress;
pub mod report;
pub mod rules;
pub mod scenario;
pub mod window;
