//! Time: real by default; virtual for tests (`--clock virtual`), where Wait states and
//! retry intervals advance a counter instead of sleeping.

use chrono::{DateTime, Utc};
use std::sync::Mutex;
use std::time::Duration;

pub trait Clock: Send + Sync {
    fn now(&self) -> DateTime<Utc>;
    fn sleep(&self, d: Duration);
    /// True for a clock whose sleeps take no real time.
    fn is_virtual(&self) -> bool {
        false
    }
}

#[derive(Debug, Default)]
pub struct RealClock;

impl Clock for RealClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
    fn sleep(&self, d: Duration) {
        std::thread::sleep(d)
    }
}

/// Starts at the real time of its creation; `sleep` only moves it forward.
#[derive(Debug)]
pub struct VirtualClock {
    now: Mutex<DateTime<Utc>>,
}

impl VirtualClock {
    pub fn new() -> Self {
        Self::starting_at(Utc::now())
    }
    pub fn starting_at(t: DateTime<Utc>) -> Self {
        VirtualClock { now: Mutex::new(t) }
    }
}

impl Default for VirtualClock {
    fn default() -> Self {
        Self::new()
    }
}

impl Clock for VirtualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.now.lock().unwrap_or_else(|e| e.into_inner())
    }
    fn sleep(&self, d: Duration) {
        let mut now = self.now.lock().unwrap_or_else(|e| e.into_inner());
        *now += chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX);
    }
    fn is_virtual(&self) -> bool {
        true
    }
}

/// ISO-8601 with milliseconds and `Z`, as Step Functions prints times.
pub fn format_time(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string()
}
