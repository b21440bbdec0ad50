//! The desk's locks: one policy, written here.
//!
//! **Poisoning.** A lock whose holder panicked (a decoder on a hostile file, a bug in one
//! command) is taken anyway: every lock guards state that is valid between statements, and a
//! desk that stopped working for the rest of the day would be worse than one command failing.
//! So no lock is ever taken with `.expect(..)`; [`Relock`] is the only way in.
//!
//! **Holding.** A guard lives for the statement or the short block that needs it. Nothing waits
//! on the hub, a file or a printer under a desk lock, with one exception: the store's mutex is
//! held for the whole of one store call (that is what serialises the cache).
//!
//! **Order.** Where one lock is taken while another is held, today, it is in this order
//! (outer first); a new nesting must keep to it:
//! 1. `intake.hot` (the hot folder, held for one scan) →
//! 2. `intake.state` (the open case, briefly) →
//! 3. `sync`, then the status's own reads (`catalog_state`, `snapshot`, `client`,
//!    `cache_problem`, the identity's locks, `user`, `queue`) →
//! 4. `store` (the slot) → the store's mutex → `status_reads`.
//!
//! A debug-build check of this order (a panic on an out-of-order acquisition, with the
//! integration suite running it) is not built yet; it belongs with splitting `Desk` into
//! services that own their locks.

use std::sync::{Mutex, MutexGuard, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

/// Taking a desk lock by the policy above.
pub(crate) trait Relock<T> {
    fn relock(&self) -> MutexGuard<'_, T>;
}

impl<T> Relock<T> for Mutex<T> {
    fn relock(&self) -> MutexGuard<'_, T> {
        self.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// [`Relock`] for the desk's read-write locks.
pub(crate) trait RelockRw<T> {
    fn read_now(&self) -> RwLockReadGuard<'_, T>;
    fn write_now(&self) -> RwLockWriteGuard<'_, T>;
}

impl<T> RelockRw<T> for RwLock<T> {
    fn read_now(&self) -> RwLockReadGuard<'_, T> {
        self.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write_now(&self) -> RwLockWriteGuard<'_, T> {
        self.write().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_poisoned_lock_is_taken_with_the_state_its_holder_left() {
        let m = std::sync::Arc::new(Mutex::new(1));
        let rw = std::sync::Arc::new(RwLock::new(1));
        let (m2, rw2) = (m.clone(), rw.clone());
        let _ = std::thread::spawn(move || {
            let mut a = m2.lock().unwrap();
            let mut b = rw2.write().unwrap();
            *a = 2;
            *b = 2;
            panic!("a holder panics");
        })
        .join();
        assert!(m.is_poisoned() && rw.is_poisoned());
        assert_eq!(*m.relock(), 2);
        assert_eq!(*rw.read_now(), 2);
        *rw.write_now() = 3;
        assert_eq!(*rw.read_now(), 3);
    }
}
