//! The transition table of scenes and tiles (geocube-ingester's `UpdateSceneStatus` and
//! `UpdateTileStatus`), as a pure function: what a requested status means from the current one.
//!
//! | Current -> requested | Action |
//! |---|---|
//! | PENDING -> DONE, RETRY -> DONE | Finish |
//! | PENDING -> RETRY | countdown > 0: Retry (stays PENDING, countdown - 1, runs again); else set RETRY |
//! | PENDING -> FAILED, RETRY -> FAILED | Fail |
//! | RETRY -> PENDING | Retry |
//! | same status; from NEW, DONE, FAILED; anything else | Refuse |
//!
//! Forced (`/force/{status}`), from any status: DONE -> Finish, NEW/RETRY -> set, PENDING ->
//! Retry, FAILED -> Fail.

use crate::status::Status;

/// What a status request does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Mark DONE and dispatch what waited for it.
    Finish,
    /// Back to PENDING (countdown - 1) and run again.
    Retry,
    /// Set this status and nothing else.
    Set(Status),
    /// Mark FAILED and re-link the chain around it.
    Fail,
    /// Refused: nothing changes (HTTP 403, a worker event is ignored).
    Refuse,
}

/// The action for a request to move from `current` to `requested`.
pub fn decide(current: Status, requested: Status, countdown: i64, force: bool) -> Action {
    use Status::*;
    if force {
        return match requested {
            Done => Action::Finish,
            New | Retry => Action::Set(requested),
            Pending => Action::Retry,
            Failed => Action::Fail,
        };
    }
    match (current, requested) {
        (Pending, Done) | (Retry, Done) => Action::Finish,
        (Pending, Retry) if countdown > 0 => Action::Retry,
        (Pending, Retry) => Action::Set(Retry),
        (Pending, Failed) | (Retry, Failed) => Action::Fail,
        (Retry, Pending) => Action::Retry,
        _ => Action::Refuse,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Status::*;

    #[test]
    fn the_reference_table() {
        assert_eq!(decide(Pending, Done, 0, false), Action::Finish);
        assert_eq!(decide(Retry, Done, 0, false), Action::Finish);
        assert_eq!(decide(Pending, Retry, 1, false), Action::Retry);
        assert_eq!(decide(Pending, Retry, 0, false), Action::Set(Retry));
        assert_eq!(decide(Pending, Failed, 0, false), Action::Fail);
        assert_eq!(decide(Retry, Failed, 0, false), Action::Fail);
        assert_eq!(decide(Retry, Pending, 0, false), Action::Retry);
        for s in Status::ALL {
            assert_eq!(decide(s, s, 3, false), Action::Refuse, "same status {s}");
            for from in [New, Done, Failed] {
                assert_eq!(decide(from, s, 3, false), Action::Refuse, "{from} -> {s}");
            }
        }
        assert_eq!(decide(Pending, New, 0, false), Action::Refuse);
    }

    #[test]
    fn forced_requests() {
        for from in Status::ALL {
            assert_eq!(decide(from, Done, 0, true), Action::Finish);
            assert_eq!(decide(from, New, 0, true), Action::Set(New));
            assert_eq!(decide(from, Retry, 0, true), Action::Set(Retry));
            assert_eq!(decide(from, Pending, 0, true), Action::Retry);
            assert_eq!(decide(from, Failed, 0, true), Action::Fail);
        }
    }
}
