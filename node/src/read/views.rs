//! Views: the reports a node computes from the records it holds (the needs backlog, the support
//! cases' histories, the SLA tables in force, the outage notices' states, the agreements and
//! plans with their signatures, receipts and adoptions), kept between requests.
//!
//! A view is computed by a pure function of the records of some kinds and of a few numbers
//! (the roster version, the day) — its *stamp* is how many records of each of those kinds the
//! read model had been given when it was computed, followed by those numbers. A request whose
//! stamp equals the kept one reads the kept view; any other stamp computes it again and keeps the
//! new one. Records are only ever added, so a count that has moved means the view may be stale,
//! and a count that has not means nothing it reads has changed: no request is served a view
//! older than the records stored before the request began.
//!
//! Two requests may compute the same view at once; the one that finishes last is kept, and a
//! view computed from more records than its stamp says is only computed again next time. The
//! rules stay in `samverka_protocol`; this module only decides when to run them.

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// A view's stamp: the counts of the kinds it reads, then its key.
pub type Stamp = Vec<u64>;

/// The key part that stands for the roster a view reads names and roles from: how many
/// versions the chain holds (a store's chain only grows, and revocations come with versions).
pub fn roster(chain: &samverka_protocol::RosterChain) -> u64 {
    chain.versions().len() as u64
}

/// A view kept, its type erased, with the stamp it was computed under.
type Kept = (Stamp, Arc<dyn Any + Send + Sync>);

/// The views kept, one per type.
#[derive(Debug, Default)]
pub struct Views {
    kept: Mutex<HashMap<TypeId, Kept>>,
}

impl Views {
    /// The view of type `T` with `stamp`: the kept one if its stamp is `stamp`, else `compute`'s,
    /// kept for the next request (an error is returned and nothing kept).
    pub fn get_or<T, E>(&self, stamp: Stamp, compute: impl FnOnce() -> Result<T, E>) -> Result<Arc<T>, E>
    where
        T: Any + Send + Sync,
    {
        let kept = self.kept.lock().expect("views lock poisoned").get(&TypeId::of::<T>()).and_then(|(s, view)| {
            // A view kept under T's TypeId is a T: the downcast cannot fail.
            (*s == stamp).then(|| Arc::clone(view).downcast::<T>().ok()).flatten()
        });
        if let Some(view) = kept {
            return Ok(view);
        }
        let view = Arc::new(compute()?);
        let erased: Arc<dyn Any + Send + Sync> = view.clone();
        self.kept.lock().expect("views lock poisoned").insert(TypeId::of::<T>(), (stamp, erased));
        Ok(view)
    }

    /// How many views are kept (for tests and the metrics).
    pub fn len(&self) -> usize {
        self.kept.lock().expect("views lock poisoned").len()
    }

    /// Whether no view is kept.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;
    use std::convert::Infallible;

    use super::*;

    #[derive(Debug, PartialEq)]
    struct Count(u32);

    #[test]
    fn a_view_is_computed_again_only_when_its_stamp_moves() {
        let views = Views::default();
        let runs = Cell::new(0);
        let compute = || -> Result<Count, Infallible> {
            runs.set(runs.get() + 1);
            Ok(Count(runs.get()))
        };
        assert_eq!(*views.get_or(vec![1, 7], compute).expect("a view"), Count(1));
        assert_eq!(*views.get_or(vec![1, 7], compute).expect("a view"), Count(1), "same stamp: kept");
        assert_eq!(*views.get_or(vec![2, 7], compute).expect("a view"), Count(2), "a count moved");
        assert_eq!(*views.get_or(vec![2, 8], compute).expect("a view"), Count(3), "the key moved");
        assert_eq!(runs.get(), 3);
        assert_eq!(views.len(), 1, "one view per type");
    }

    #[test]
    fn an_error_keeps_nothing() {
        let views = Views::default();
        assert_eq!(views.get_or::<Count, &str>(vec![1], || Err("no")).expect_err("an error"), "no");
        assert!(views.is_empty());
        assert_eq!(*views.get_or::<Count, &str>(vec![1], || Ok(Count(5))).expect("a view"), Count(5));
    }
}
