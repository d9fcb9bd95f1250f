//! Helpers shared by the bench binaries.
#![allow(dead_code)]

use std::time::Instant;

/// (on-CPU seconds of the whole machine, of this process), from `/proc` (USER_HZ = 100).
pub fn cpu_seconds() -> (f64, f64) {
    let stat = std::fs::read_to_string("/proc/stat").unwrap_or_default();
    // cpu user nice system idle iowait irq softirq steal
    let busy: u64 = stat
        .lines()
        .next()
        .map(|l| {
            l.split_whitespace()
                .skip(1)
                .take(8)
                .enumerate()
                .filter(|(i, _)| *i != 3 && *i != 4)
                .filter_map(|(_, v)| v.parse::<u64>().ok())
                .sum()
        })
        .unwrap_or(0);
    let own_stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let own: u64 = own_stat
        .rsplit_once(')')
        .map(|(_, rest)| {
            rest.split_whitespace()
                .skip(11)
                .take(2)
                .filter_map(|v| v.parse::<u64>().ok())
                .sum()
        })
        .unwrap_or(0);
    (busy as f64 / 100.0, own as f64 / 100.0)
}

/// Measures how many cores other processes on the machine used while it lives.
pub struct OtherLoad {
    busy: f64,
    own: f64,
    wall: Instant,
}

impl OtherLoad {
    pub fn start() -> Self {
        let (busy, own) = cpu_seconds();
        Self {
            busy,
            own,
            wall: Instant::now(),
        }
    }

    pub fn cores(&self) -> f64 {
        let (busy, own) = cpu_seconds();
        ((busy - self.busy) - (own - self.own)).max(0.0) / self.wall.elapsed().as_secs_f64()
    }
}
