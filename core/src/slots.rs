//! Concurrency slots: a limit of requests in flight per client key and per account, as RAII
//! permits released on every path (success, error, client disconnect, timeout, panic), with a
//! bounded wait queue. Waiting is cancel-safe: dropping a waiting future leaves no trace.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// A concurrency limit with a bounded queue.
#[derive(Debug)]
pub struct Limiter {
    sem: Arc<Semaphore>,
    max: u32,
    max_waiting: u32,
    waiting: AtomicU32,
}

/// A held slot; dropping it frees the slot.
#[derive(Debug)]
pub struct Permit {
    _permit: OwnedSemaphorePermit,
}

/// Why no slot was obtained.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SlotError {
    /// Already `max_waiting` requests were queued.
    QueueFull,
    /// No slot freed up in time.
    Timeout,
}

/// Occupancy of a limiter.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Occupancy {
    /// Slots held.
    pub in_use: u32,
    /// The limit.
    pub max: u32,
    /// Requests queued for a slot.
    pub waiting: u32,
}

/// Decrements the waiting count when a wait ends, however it ends.
struct Waiting<'a>(&'a AtomicU32);

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

impl Limiter {
    /// `max` slots (at least 1) and a queue of `max_waiting` beyond them.
    pub fn new(max: u32, max_waiting: u32) -> Arc<Self> {
        let max = max.max(1);
        Arc::new(Self {
            sem: Arc::new(Semaphore::new(max as usize)),
            max,
            max_waiting,
            waiting: AtomicU32::new(0),
        })
    }

    /// A slot if one is free right now.
    pub fn try_acquire(&self) -> Option<Permit> {
        Arc::clone(&self.sem)
            .try_acquire_owned()
            .ok()
            .map(|p| Permit { _permit: p })
    }

    /// Waits up to `timeout` for a slot (first come, first served), unless the queue is full.
    pub async fn acquire(&self, timeout: Duration) -> Result<Permit, SlotError> {
        if let Some(p) = self.try_acquire() {
            return Ok(p);
        }
        let queued = self.waiting.fetch_add(1, Ordering::AcqRel);
        let _waiting = Waiting(&self.waiting);
        if queued >= self.max_waiting {
            return Err(SlotError::QueueFull);
        }
        match tokio::time::timeout(timeout, Arc::clone(&self.sem).acquire_owned()).await {
            Ok(Ok(p)) => Ok(Permit { _permit: p }),
            Ok(Err(_)) | Err(_) => Err(SlotError::Timeout),
        }
    }

    /// Current occupancy.
    pub fn occupancy(&self) -> Occupancy {
        let free = u32::try_from(self.sem.available_permits()).unwrap_or(self.max);
        Occupancy {
            in_use: self.max.saturating_sub(free),
            max: self.max,
            waiting: self.waiting.load(Ordering::Acquire),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn permits_are_released_on_drop() {
        let l = Limiter::new(2, 1);
        let a = l.try_acquire().unwrap();
        let b = l.try_acquire().unwrap();
        assert!(l.try_acquire().is_none());
        assert_eq!(
            l.occupancy(),
            Occupancy {
                in_use: 2,
                max: 2,
                waiting: 0
            }
        );
        drop(a);
        assert_eq!(l.occupancy().in_use, 1);
        drop(b);
        assert_eq!(l.occupancy().in_use, 0);
    }

    #[tokio::test]
    async fn queue_is_bounded_and_waits_time_out() {
        let l = Limiter::new(1, 1);
        let held = l.try_acquire().unwrap();
        let l2 = Arc::clone(&l);
        let waiter =
            tokio::spawn(async move { l2.acquire(Duration::from_millis(200)).await.map(|_| ()) });
        tokio::time::sleep(Duration::from_millis(30)).await;
        assert_eq!(l.occupancy().waiting, 1);
        assert_eq!(
            l.acquire(Duration::from_secs(5)).await.err(),
            Some(SlotError::QueueFull)
        );
        assert_eq!(waiter.await.unwrap(), Err(SlotError::Timeout));
        assert_eq!(l.occupancy().waiting, 0);
        drop(held);
        assert!(l.acquire(Duration::from_secs(1)).await.is_ok());
    }

    #[tokio::test]
    async fn a_cancelled_wait_leaves_no_trace() {
        let l = Limiter::new(1, 10);
        let held = l.try_acquire().unwrap();
        let fut = l.acquire(Duration::from_secs(60));
        let _ = tokio::time::timeout(Duration::from_millis(20), fut).await;
        assert_eq!(
            l.occupancy(),
            Occupancy {
                in_use: 1,
                max: 1,
                waiting: 0
            }
        );
        drop(held);
        assert_eq!(l.occupancy().in_use, 0);
    }

    #[tokio::test]
    async fn a_waiter_gets_the_slot_when_it_frees() {
        let l = Limiter::new(1, 10);
        let held = l.try_acquire().unwrap();
        let l2 = Arc::clone(&l);
        let waiter = tokio::spawn(async move { l2.acquire(Duration::from_secs(5)).await.is_ok() });
        tokio::time::sleep(Duration::from_millis(10)).await;
        drop(held);
        assert!(waiter.await.unwrap());
        assert_eq!(l.occupancy().in_use, 0);
    }
}
