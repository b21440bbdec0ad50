//! The desk's audit trail: what the clerk views, prints and does, and every sign-in, appended
//! to the hash-chained log (state changes are appended by the store with the change itself),
//! then sent to the hub, which checks the chain.

use chrono::Utc;
use onewindow_store::audit::Audit;

use crate::desk::Desk;

impl Desk {
    /// Appends one record under the signed-in clerk; a failure is logged, never shown.
    pub(crate) fn audit(&self, action: &str, object: &str, result: &str, detail: Option<&str>) {
        let (actor, desk) = (self.user_name(), self.desk_code());
        self.audit_as(&actor, &desk, action, object, result, detail);
    }

    pub(crate) fn audit_as(
        &self,
        actor: &str,
        desk: &str,
        action: &str,
        object: &str,
        result: &str,
        detail: Option<&str>,
    ) {
        let a = Audit {
            actor,
            desk,
            action,
            object,
            result,
            detail,
        };
        if self.with_store_mut(|s| s.audit(&a, Utc::now())).is_err() {
            tracing::error!(action, "audit record not written");
        }
    }
}
