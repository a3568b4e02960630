//! The intake: single records submitted at the same time — votes from many browsers and API
//! clients — are ingested together, as one batch through [`Ledger::ingest_sourced`].
//!
//! # Why
//!
//! Ingesting a record alone costs one signature check, one durable group commit and the
//! storage's locks. Ingested together, the signatures of a group are checked in one batch
//! (`protocol::crypto::verify_batch`, about half the cost per signature), the group is written
//! and synced once, and the submitters wait instead of contending for the store's locks.
//!
//! There are two queues, one for each kind of submitter; each leads its own groups, and the
//! ledger ingests their groups side by side as it does the network's batches.
//!
//! # Threads: leader and followers, no thread of its own (`Intake`)
//!
//! A submitting thread ([`Ledger::ingest_one`]) queues its record with a slot of its own. If no
//! group is being ingested, it becomes the **leader**: it takes up to [`MAX_GROUP`] of the
//! oldest queued records (its own first among them), ingests them as one batch without holding
//! the queue's lock, puts each result in its submitter's slot and wakes that submitter alone. It
//! then hands the lead to the oldest submitter still queued, if any, and returns its own result.
//! A submitter that finds a leader at work sleeps on its slot until it holds a result or the
//! lead. So records are taken in the order they were queued, every submitter is answered, each
//! is woken once, and a record submitted while nothing else is (the common case) is ingested at
//! once, alone.
//!
//! # Tasks: one drain on the blocking pool (`Tasks`)
//!
//! An async task ([`Ledger::submit`]: the HTTP API's record upload) waits for its result on no
//! thread. It queues its record with a one-shot channel for the result; if nothing drains the
//! queue, it starts the **drain** on tokio's blocking pool, which takes groups of up to
//! [`MAX_GROUP`] of the oldest records, ingests each and sends every submitter its result,
//! until the queue is empty. So under load one blocking thread ingests group after group, and
//! a vote costs its task two wake-ups rather than a hand-off to a thread of its own and back.
//! The queue is bounded in bytes ([`MAX_QUEUED_BYTES`], each record counted with
//! [`ENTRY_BYTES`] for its entry): a submitter finding it full waits for room before it queues.
//!
//! # Results
//!
//! Each result is the one [`Ledger::ingest_sourced`] gives that record in its group, which is
//! the one it would get ingested alone in the group's order: the ledger admits every author's
//! records in chain order and drops duplicates within a batch. Grouping never makes a record
//! wait for another's refusal: only the group's durable write is shared, and if it fails every
//! record the group would have stored is refused with the storage error, as it would be alone.
//! If the ingest of a group unwinds, its records, and on the task queue every record still
//! queued, are refused with [`Error::Storage`] instead of waiting for ever.
//!
//! The thread queue holds at most one record per waiting submitter, so it is bounded by the
//! callers' own bounds (tokio's blocking threads, the browser offers' lock).

use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

use samverka_protocol::{Record, Unverified};
use tokio::sync::{oneshot, Semaphore};

use super::{Error, Ledger, Outcome, Source};

/// Most records ingested as one group: one signature batch
/// ([`samverka_protocol::validate::SIGNATURE_BATCH`]).
pub const MAX_GROUP: usize = samverka_protocol::validate::SIGNATURE_BATCH;

/// Most bytes of records the task queue holds, each record counted with [`ENTRY_BYTES`].
pub const MAX_QUEUED_BYTES: usize = 32 * 1024 * 1024;
/// What a queued record counts for beyond its bytes: its entry, decoded header and channel.
pub const ENTRY_BYTES: usize = 1024;

/// Records submitted by threads, waiting to be ingested together.
#[derive(Default)]
pub(super) struct Intake {
    queue: Mutex<Queue>,
}

#[derive(Default)]
struct Queue {
    waiting: VecDeque<(Record<Unverified>, Source, Arc<Slot>)>,
    /// Whether a submitter leads (ingests a group, or has been handed the lead and not yet
    /// taken it).
    leading: bool,
}

/// Where a submitter waits for its record's result.
#[derive(Default)]
struct Slot {
    state: Mutex<State>,
    woken: Condvar,
}

#[derive(Default)]
enum State {
    #[default]
    Queued,
    /// The submitter leads next: its record is still queued.
    Lead,
    Done(Result<Outcome, Error>),
}

impl Slot {
    fn set(&self, state: State) {
        *self.state.lock().unwrap_or_else(|poisoned| poisoned.into_inner()) = state;
        self.woken.notify_one();
    }

    /// Sleeps until the slot holds a result or the lead; answers the result, or `None` for the
    /// lead.
    fn wait(&self) -> Option<Result<Outcome, Error>> {
        let mut state = self.state.lock().expect("intake slot lock poisoned");
        loop {
            match std::mem::take(&mut *state) {
                State::Queued => state = self.woken.wait(state).expect("intake slot lock poisoned"),
                State::Lead => return None,
                State::Done(result) => return Some(result),
            }
        }
    }
}

impl Intake {
    fn queue(&self) -> MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Ingests `record` from `source` through `ledger`, together with whatever else is
    /// submitted at the same time; returns its own result.
    pub(super) fn submit(&self, ledger: &Ledger, source: Source, record: Record<Unverified>) -> Result<Outcome, Error> {
        let slot = Arc::new(Slot::default());
        {
            let mut queue = self.queue();
            queue.waiting.push_back((record, source, slot.clone()));
            if queue.leading {
                drop(queue);
                if let Some(result) = slot.wait() {
                    return result;
                }
                // Handed the lead: `leading` stayed set for us and our record is first in line.
            } else {
                queue.leading = true;
            }
        }
        loop {
            let group: Vec<(Record<Unverified>, Source, Arc<Slot>)> = {
                let mut queue = self.queue();
                let take = queue.waiting.len().min(MAX_GROUP);
                queue.waiting.drain(..take).collect()
            };
            let mut lead = Lead { intake: self, slots: Vec::with_capacity(group.len()) };
            let records: Vec<(Record<Unverified>, Source)> = group
                .into_iter()
                .map(|(record, source, slot)| {
                    lead.slots.push(slot);
                    (record, source)
                })
                .collect();
            let results = ledger.ingest_sourced(records);
            debug_assert_eq!(results.len(), lead.slots.len(), "one result per record of the group");
            if let Some(result) = lead.file(results, &slot) {
                return result;
            }
            // Not reached while a leader's own record is first in line (the queue is empty when
            // no one leads, and the lead is handed to the oldest submitter); were it not in the
            // group, the lead has been handed on and the record waits its turn like any other.
            if let Some(result) = slot.wait() {
                return result;
            }
        }
    }
}

/// A leader's group: gives each submitter its result, then hands the lead on. If the ingest
/// unwinds instead, its records get [`Error::Storage`] and the lead is still handed on.
struct Lead<'a> {
    intake: &'a Intake,
    slots: Vec<Arc<Slot>>,
}

impl Lead<'_> {
    /// Files `results` in their slots and hands the lead on; returns the result for `own` if
    /// its record was in the group.
    fn file(mut self, results: Vec<Result<Outcome, Error>>, own: &Arc<Slot>) -> Option<Result<Outcome, Error>> {
        let mut mine = None;
        let mut results = results.into_iter();
        for slot in std::mem::take(&mut self.slots) {
            let result = results.next().unwrap_or_else(|| Err(group_failed()));
            if Arc::ptr_eq(&slot, own) {
                mine = Some(result);
            } else {
                slot.set(State::Done(result));
            }
        }
        mine
    }
}

impl Drop for Lead<'_> {
    fn drop(&mut self) {
        for slot in self.slots.drain(..) {
            slot.set(State::Done(Err(group_failed())));
        }
        let mut queue = self.intake.queue();
        match queue.waiting.front() {
            Some((_, _, next)) => next.set(State::Lead),
            None => queue.leading = false,
        }
    }
}

/// The error a record gets when the ingest of its group did not finish.
fn group_failed() -> Error {
    Error::Storage(crate::storage::Error::Corrupt("the ingest of this record's group did not finish".into()))
}

/// A task's result, sent by the drain.
type Reply = oneshot::Sender<Result<Outcome, Error>>;

/// Records submitted by async tasks, waiting to be ingested together by the drain.
pub(super) struct Tasks {
    queue: Mutex<TaskQueue>,
    /// Room left in the queue, in bytes counted as [`MAX_QUEUED_BYTES`] says. A submitter takes
    /// its record's share before it queues; the drain gives it back once the record's result is
    /// sent.
    room: Semaphore,
}

#[derive(Default)]
struct TaskQueue {
    waiting: VecDeque<Queued>,
    /// Whether a drain is running (it empties the queue before it stops).
    draining: bool,
}

struct Queued {
    record: Record<Unverified>,
    source: Source,
    reply: Reply,
    /// The room it took ([`Tasks::room`]).
    weight: u32,
}

impl Default for Tasks {
    fn default() -> Tasks {
        Tasks { queue: Mutex::default(), room: Semaphore::new(MAX_QUEUED_BYTES) }
    }
}

impl Tasks {
    fn queue(&self) -> MutexGuard<'_, TaskQueue> {
        self.queue.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Ingests `record` from `source` through `ledger`, together with whatever else is
    /// submitted at the same time; answers its own result. Must be called within a tokio
    /// runtime (the drain runs on its blocking pool).
    pub(super) async fn submit(
        ledger: &Arc<Ledger>,
        source: Source,
        record: Record<Unverified>,
    ) -> Result<Outcome, Error> {
        let tasks = &ledger.tasks;
        let weight = u32::try_from(record.bytes().len() + ENTRY_BYTES)
            .expect("a decoded record is at most MAX_RECORD_BYTES, far below u32::MAX");
        // Given back by the drain once the record is answered, not when this task ends: a
        // request dropped while its record waits still holds its room until then.
        tasks.room.acquire_many(weight).await.expect("the intake's semaphore is never closed").forget();
        let (reply, answer) = oneshot::channel();
        let start = {
            let mut queue = tasks.queue();
            queue.waiting.push_back(Queued { record, source, reply, weight });
            !std::mem::replace(&mut queue.draining, true)
        };
        if start {
            let ledger = ledger.clone();
            tokio::task::spawn_blocking(move || ledger.tasks.drain(&ledger));
        }
        answer.await.unwrap_or_else(|_| Err(group_failed()))
    }

    /// Ingests the queued records group after group until the queue is empty.
    fn drain(&self, ledger: &Ledger) {
        let mut drain = Drain { tasks: self, replies: Vec::new(), stopped: false };
        loop {
            let records: Vec<(Record<Unverified>, Source)> = {
                let mut queue = self.queue();
                if queue.waiting.is_empty() {
                    queue.draining = false;
                    drain.stopped = true;
                    return;
                }
                let take = queue.waiting.len().min(MAX_GROUP);
                queue
                    .waiting
                    .drain(..take)
                    .map(|q| {
                        drain.replies.push((q.reply, q.weight));
                        (q.record, q.source)
                    })
                    .collect()
            };
            let results = ledger.ingest_sourced(records);
            debug_assert_eq!(results.len(), drain.replies.len(), "one result per record of the group");
            let mut results = results.into_iter();
            for (reply, weight) in drain.replies.drain(..) {
                self.answer(reply, weight, results.next().unwrap_or_else(|| Err(group_failed())));
            }
        }
    }

    /// Sends a queued record's result and gives back the room it took.
    fn answer(&self, reply: Reply, weight: u32, result: Result<Outcome, Error>) {
        let _ = reply.send(result); // its submitter may have gone: the record was still ingested
        self.room.add_permits(weight as usize);
    }
}

/// A running drain. If an ingest unwinds, its group and every record still queued get
/// [`Error::Storage`], and the next submitter starts a drain again.
struct Drain<'a> {
    tasks: &'a Tasks,
    /// The group being ingested: where to send each result, and the room each took.
    replies: Vec<(Reply, u32)>,
    /// Whether the drain stopped because the queue was empty (it does not otherwise).
    stopped: bool,
}

impl Drop for Drain<'_> {
    fn drop(&mut self) {
        if self.stopped {
            return;
        }
        for (reply, weight) in self.replies.drain(..) {
            self.tasks.answer(reply, weight, Err(group_failed()));
        }
        let waiting = {
            let mut queue = self.tasks.queue();
            queue.draining = false;
            std::mem::take(&mut queue.waiting)
        };
        for q in waiting {
            self.tasks.answer(q.reply, q.weight, Err(group_failed()));
        }
    }
}
