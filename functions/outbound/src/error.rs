//! Errors of outbound requests.

/// Result alias.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Why an outbound request failed. Messages name the URL (without credentials) and the reason,
/// so they can be shown to the client whose input caused the request.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The URL is malformed or uses an unsupported scheme.
    #[error("'{url}' is not a usable http(s) URL: {reason}")]
    BadUrl {
        /// The URL.
        url: String,
        /// Why.
        reason: String,
    },
    /// The URL resolves to an address the policy refuses.
    #[error("'{url}' resolves to {addr}, which is not allowed ({why}); see NetPolicy")]
    Forbidden {
        /// The URL.
        url: String,
        /// The refused address.
        addr: String,
        /// Which rule refused it.
        why: &'static str,
    },
    /// The server answered with an error status.
    #[error("'{url}' answered HTTP {status}")]
    Status {
        /// The URL.
        url: String,
        /// HTTP status code.
        status: u16,
    },
    /// The response is larger than allowed.
    #[error("'{url}' is larger than the limit of {limit} bytes")]
    TooLarge {
        /// The URL.
        url: String,
        /// The limit.
        limit: u64,
    },
    /// Connecting or reading failed after all retries (timeouts included).
    #[error("'{url}' could not be fetched: {reason}")]
    Unreachable {
        /// The URL.
        url: String,
        /// The last transport error.
        reason: String,
    },
}

impl Error {
    /// Whether retrying the same request may succeed.
    pub fn is_transient(&self) -> bool {
        match self {
            Error::Status { status, .. } => *status == 429 || *status >= 500,
            Error::Unreachable { .. } => true,
            _ => false,
        }
    }
}
