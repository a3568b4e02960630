//! The intake: single records submitted at the same time — votes from many browsers and API
//! clients — are ingested together, as one batch through [`Ledger::ingest_sourced`].
//!
//! # Why
//!
//! Ingesting a record alone costs one signature check, one durable group commit and the
//! storage's locks. Ingested together, the signatures of a group are checked in one batch
//! (`protocol::crypto::verify_batch`, about half the cost per signature), the group is written
//! and synced once, and the threads that submitted it wait instead of contending for the
//! store's locks.
//!
//! # How (leader and followers, no thread of its own)
//!
//! A submitter queues its record with a ticket. If no group is being ingested, it becomes the
//! **leader**: it takes up to [`MAX_GROUP`] of the oldest queued records (its own among them,
//! unless more than that many are ahead of it), ingests them as one batch without holding the
//! queue's lock, files each result under its ticket, and wakes everyone. A submitter that finds
//! a leader at work waits; when woken it takes its result if it is filed, or becomes the next
//! leader. So records are taken in the order they were queued, every submitter is answered, and
//! a record submitted while nothing else is (the common case) is ingested at once, alone.
//!
//! Each result is the one [`Ledger::ingest_sourced`] gives that record in its group, which is
//! the one it would get ingested alone in the group's order: the ledger admits every author's
//! records in chain order and drops duplicates within a batch. Grouping never makes a record
//! wait for another's refusal: only the group's durable write is shared, and if it fails every
//! record the group would have stored is refused with the storage error, as it would be alone.
//!
//! The queue holds at most one record per waiting submitter, so it is bounded by the callers'
//! own bounds (the API's concurrency limit and tokio's blocking threads).

use std::collections::{HashMap, VecDeque};
use std::sync::{Condvar, Mutex, MutexGuard};

use samverka_protocol::{Record, Unverified};

use super::{Error, Ledger, Outcome, Source};

/// Most records ingested as one group: one signature batch
/// ([`samverka_protocol::validate::SIGNATURE_BATCH`]).
pub const MAX_GROUP: usize = samverka_protocol::validate::SIGNATURE_BATCH;

/// Records waiting to be ingested together, and the results of those ingested.
#[derive(Default)]
pub(super) struct Intake {
    queue: Mutex<Queue>,
    done: Condvar,
}

#[derive(Default)]
struct Queue {
    waiting: VecDeque<(u64, Record<Unverified>, Source)>,
    results: HashMap<u64, Result<Outcome, Error>>,
    next_ticket: u64,
    leading: bool,
}

impl Intake {
    fn queue(&self) -> MutexGuard<'_, Queue> {
        self.queue.lock().expect("intake lock poisoned")
    }

    /// Ingests `record` from `source` through `ledger`, together with whatever else is
    /// submitted at the same time; returns its own result.
    pub(super) fn submit(&self, ledger: &Ledger, source: Source, record: Record<Unverified>) -> Result<Outcome, Error> {
        let mut queue = self.queue();
        let ticket = queue.next_ticket;
        queue.next_ticket += 1;
        queue.waiting.push_back((ticket, record, source));
        loop {
            if let Some(result) = queue.results.remove(&ticket) {
                return result;
            }
            if queue.leading {
                queue = self.done.wait(queue).expect("intake lock poisoned");
                continue;
            }
            queue.leading = true;
            let take = queue.waiting.len().min(MAX_GROUP);
            let group: Vec<(u64, Record<Unverified>, Source)> = queue.waiting.drain(..take).collect();
            drop(queue);
            let (tickets, records): (Vec<u64>, Vec<(Record<Unverified>, Source)>) =
                group.into_iter().map(|(t, r, s)| (t, (r, s))).unzip();
            let lead = Lead { intake: self, tickets, filed: false };
            let results = ledger.ingest_sourced(records);
            queue = lead.file(results);
        }
    }
}

/// A leader's group: files its results when ingested, and unblocks the queue even if the
/// ingest unwinds (its records then get [`Error::Storage`], and the next submitter leads).
struct Lead<'a> {
    intake: &'a Intake,
    tickets: Vec<u64>,
    filed: bool,
}

impl<'a> Lead<'a> {
    fn file(mut self, results: Vec<Result<Outcome, Error>>) -> MutexGuard<'a, Queue> {
        debug_assert_eq!(results.len(), self.tickets.len(), "one result per record of the group");
        let mut queue = self.intake.queue();
        queue.results.extend(self.tickets.iter().copied().zip(results));
        queue.leading = false;
        self.filed = true;
        self.intake.done.notify_all();
        queue
    }
}

impl Drop for Lead<'_> {
    fn drop(&mut self) {
        if self.filed {
            return;
        }
        let mut queue = self.intake.queue.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        for ticket in &self.tickets {
            let failed = crate::storage::Error::Corrupt("the ingest of this record's group failed".into());
            queue.results.insert(*ticket, Err(Error::Storage(failed)));
        }
        queue.leading = false;
        self.intake.done.notify_all();
    }
}
