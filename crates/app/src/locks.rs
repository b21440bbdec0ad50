//! The desk's locks: one policy, written here.
//!
//! **Poisoning.** A lock whose holder panicked (a decoder on a hostile file, a bug in one
//! command) is taken anyway: every lock guards state that is valid between statements, and a
//! desk that stopped working for the rest of the day would be worse than one command failing.
//! So no lock is ever taken with `.expect(..)`: [`DeskMutex::relock`], [`DeskRwLock::read_now`]
//! and `write_now`, and [`Relock`] for the cache's mutex, are the only ways in.
//!
//! **Holding.** A guard lives for the statement or the short block that needs it. Nothing waits
//! on the hub, a file or a printer under a desk lock, with one exception: the store's mutex is
//! held for the whole of one store call (that is what serialises the cache).
//!
//! **Order.** Each lock is a private field of one service (see `desk.rs` for the services);
//! where one is taken while another is held — within a service, or when a service calls the
//! next one under its own lock — it is in this order (outer first); a new nesting must keep
//! to it:
//! 1. `Intake::hot` (the hot folder, held for one scan) →
//! 2. `Intake::state` (the open case, briefly) →
//! 3. `SyncLoops::sync`, then the status's own reads (`Catalog::state`, `Catalog::snapshot`,
//!    `Session::client`, `Cache::problem`, `Session::identity`, `Session::token`,
//!    `Session::user`, `Queue::local`) →
//! 4. `Cache::slot` → the store's mutex → `Cache::status_reads`.
//!
//! Every desk lock is a [`DeskMutex`] or [`DeskRwLock`] with its [`Rank`] in this order (the
//! locks under which nothing else is taken come last). In debug builds, which every test runs
//! (the integration suite and the e2e desk included), taking a lock while one of the same or a
//! later rank is held panics and names both. The same lock twice on one thread counts: a
//! second read of a std `RwLock` can deadlock behind a waiting writer. Guards made inside a
//! struct literal live to the end of the statement, so read into locals first (as
//! `SyncLoops::status` does).

use std::sync::{Mutex, MutexGuard, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use onewindow_store::Store;

/// The cache's mutex is shared with the sync crate (which locks it on its blocking pool), so it
/// stays a std mutex; the desk takes it only through this, at [`Rank::Store`].
pub(crate) trait Relock {
    fn relock(&self) -> Held<MutexGuard<'_, Store>>;
}

impl Relock for Mutex<Store> {
    fn relock(&self) -> Held<MutexGuard<'_, Store>> {
        Held::new(Rank::Store, || {
            self.lock().unwrap_or_else(PoisonError::into_inner)
        })
    }
}

/// Where a desk lock stands in the order (outer first). Taking a lock while one of the same or
/// a later rank is held is out of order: debug builds panic (so every test runs the check),
/// release builds do not look.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Rank {
    /// `Intake::hot`: the hot folder, held for one scan.
    HotFolder,
    /// `Intake::state`: the open case and where its scans land.
    OpenCase,
    /// `SyncLoops::sync`: the connectivity and the last sync's outcome.
    Sync,
    /// The status's own reads, in this order.
    CatalogState,
    Snapshot,
    Client,
    CacheProblem,
    Identity,
    Token,
    User,
    Queue,
    /// `Cache::slot` (`None` while the cache cannot be opened).
    StoreSlot,
    /// The store's mutex, held for one store call.
    Store,
    /// `Cache::status_reads`: what the status read from the store, at which change stamp.
    StatusReads,
    /// `SyncLoops`' push outcome: the problem, then (set under it) when it last succeeded.
    PushProblem,
    LastPush,
    /// Locks under which nothing else is taken.
    CacheKey,
    IntakeThread,
    ElicenceErrors,
    /// `Session::hub_session` and `Session::audit_key`.
    HubSession,
    AuditKey,
    Screen,
    Hall,
    Font,
}

#[cfg(debug_assertions)]
mod order {
    use super::Rank;
    use std::cell::RefCell;

    thread_local! {
        static HELD: RefCell<Vec<Rank>> = const { RefCell::new(Vec::new()) };
    }

    pub(super) fn enter(rank: Rank) {
        HELD.with(|held| {
            let mut held = held.borrow_mut();
            if let Some(last) = held.iter().max().copied()
                && last >= rank
            {
                // Forget what this thread holds: the panic unwinds through their guards.
                held.clear();
                drop(held);
                panic!(
                    "desk lock order broken: {rank:?} taken while {last:?} is held \
                     (the order is in crates/app/src/locks.rs)"
                );
            }
            held.push(rank);
        });
    }

    pub(super) fn leave(rank: Rank) {
        HELD.with(|held| {
            let mut held = held.borrow_mut();
            if let Some(i) = held.iter().rposition(|r| *r == rank) {
                held.remove(i);
            }
        });
    }
}

#[cfg(not(debug_assertions))]
mod order {
    use super::Rank;

    #[inline(always)]
    pub(super) fn enter(_: Rank) {}

    #[inline(always)]
    pub(super) fn leave(_: Rank) {}
}

/// A desk lock's guard: the std guard, and its place in the order until it is dropped.
pub(crate) struct Held<G> {
    guard: G,
    rank: Rank,
}

impl<G> Held<G> {
    fn new(rank: Rank, take: impl FnOnce() -> G) -> Held<G> {
        order::enter(rank);
        Held {
            guard: take(),
            rank,
        }
    }
}

impl<G: std::ops::Deref> std::ops::Deref for Held<G> {
    type Target = G::Target;
    fn deref(&self) -> &G::Target {
        &self.guard
    }
}

impl<G: std::ops::DerefMut> std::ops::DerefMut for Held<G> {
    fn deref_mut(&mut self) -> &mut G::Target {
        &mut self.guard
    }
}

impl<G> Drop for Held<G> {
    fn drop(&mut self) {
        order::leave(self.rank);
    }
}

/// A desk mutex with its rank; taken only with [`DeskMutex::relock`].
pub(crate) struct DeskMutex<T> {
    rank: Rank,
    lock: Mutex<T>,
}

impl<T> DeskMutex<T> {
    pub(crate) fn new(rank: Rank, value: T) -> DeskMutex<T> {
        DeskMutex {
            rank,
            lock: Mutex::new(value),
        }
    }

    /// The lock, by the policy above (a poisoned one is taken with what its holder left).
    pub(crate) fn relock(&self) -> Held<MutexGuard<'_, T>> {
        Held::new(self.rank, || {
            self.lock.lock().unwrap_or_else(PoisonError::into_inner)
        })
    }
}

/// A desk read-write lock with its rank.
pub(crate) struct DeskRwLock<T> {
    rank: Rank,
    lock: RwLock<T>,
}

impl<T> DeskRwLock<T> {
    pub(crate) fn new(rank: Rank, value: T) -> DeskRwLock<T> {
        DeskRwLock {
            rank,
            lock: RwLock::new(value),
        }
    }

    pub(crate) fn read_now(&self) -> Held<RwLockReadGuard<'_, T>> {
        Held::new(self.rank, || {
            self.lock.read().unwrap_or_else(PoisonError::into_inner)
        })
    }

    pub(crate) fn write_now(&self) -> Held<RwLockWriteGuard<'_, T>> {
        Held::new(self.rank, || {
            self.lock.write().unwrap_or_else(PoisonError::into_inner)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_poisoned_lock_is_taken_with_the_state_its_holder_left() {
        let m = std::sync::Arc::new(DeskMutex::new(Rank::Sync, 1));
        let rw = std::sync::Arc::new(DeskRwLock::new(Rank::Store, 1));
        let (m2, rw2) = (m.clone(), rw.clone());
        let _ = std::thread::spawn(move || {
            let mut a = m2.relock();
            let mut b = rw2.write_now();
            *a = 2;
            *b = 2;
            panic!("a holder panics");
        })
        .join();
        assert!(m.lock.is_poisoned() && rw.lock.is_poisoned());
        assert_eq!(*m.relock(), 2);
        assert_eq!(*rw.read_now(), 2);
        *rw.write_now() = 3;
        assert_eq!(*rw.read_now(), 3);
    }

    #[test]
    #[cfg(debug_assertions)]
    fn a_lock_taken_out_of_order_panics_in_debug_builds() {
        let outer = DeskMutex::new(Rank::Sync, 1);
        let inner = DeskRwLock::new(Rank::Store, 2);
        {
            // In order, and released in any order.
            let a = outer.relock();
            let b = inner.read_now();
            drop(a);
            drop(b);
        }
        let backwards = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let _b = inner.write_now();
            let _a = outer.relock();
        }));
        let message = backwards.unwrap_err();
        let message = message.downcast_ref::<String>().unwrap();
        assert!(
            message.contains("Sync taken while Store is held"),
            "{message}"
        );
        let twice = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            let _a = outer.relock();
            let _again = outer.relock();
        }));
        assert!(
            twice.is_err(),
            "one lock taken twice on a thread is out of order too"
        );
        // The thread's record is clean again afterwards.
        let _a = outer.relock();
        let _b = inner.read_now();
        assert_eq!((*_a, *_b), (1, 2));
    }
}
