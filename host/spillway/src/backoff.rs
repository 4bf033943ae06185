//! Waiting between retries: exponential backoff with jitter, 200 ms doubling to
//! 30 s, each wait between half and all of its step (so retries of many tasks
//! spread out), cut short by a stop signal.

use std::time::Duration;

use tokio::sync::watch;

const FIRST: Duration = Duration::from_millis(200);
const LONGEST: Duration = Duration::from_secs(30);

/// The retry delays of one operation; start a new one (`default`) after a success.
#[derive(Debug, Default)]
pub struct Backoff {
    attempt: u32,
}

impl Backoff {
    /// The next delay.
    pub fn next_delay(&mut self) -> Duration {
        let step = (FIRST * 2u32.saturating_pow(self.attempt.min(8))).min(LONGEST);
        self.attempt += 1;
        step / 2 + step.mul_f64(fastrand::f64() / 2.0)
    }

    /// Sleeps the next delay, or until `stop` turns true.
    pub async fn wait(&mut self, stop: &watch::Receiver<bool>) {
        let delay = self.next_delay();
        let mut stop = stop.clone();
        tokio::select! {
            _ = tokio::time::sleep(delay) => {}
            _ = stop.wait_for(|stopped| *stopped) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_within_their_bounds() {
        let mut backoff = Backoff::default();
        let delays: Vec<Duration> = (0..12).map(|_| backoff.next_delay()).collect();
        assert!(delays[0] >= FIRST / 2 && delays[0] <= FIRST);
        assert!(delays[3] >= FIRST * 4 && delays[3] <= FIRST * 8);
        assert!(delays.iter().all(|d| *d <= LONGEST));
        assert!(delays[11] >= LONGEST / 2);
    }
}
