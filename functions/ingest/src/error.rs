//! The one error type of the ingestion domain and its ports.

/// Result alias of the ingestion domain.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// What can go wrong in the ingestion domain or behind its ports. The API layer maps each
/// variant to the status code geocube-ingester uses for it; `Backend` never reaches a client
/// verbatim.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A payload, field or parameter is invalid (400); the message names it.
    #[error("{0}")]
    Invalid(String),
    /// A scene, tile, AOI, record or variable does not exist (404).
    #[error("{what} {id} not found")]
    NotFound {
        /// Kind of thing (`scene`, `tile`, ...).
        what: &'static str,
        /// Its identifier.
        id: String,
    },
    /// A create found an existing entity with the same key (409).
    #[error("{what} {id} already exists")]
    AlreadyExists {
        /// Kind of thing.
        what: &'static str,
        /// Its identifier.
        id: String,
    },
    /// A conditional update found the entity in another state (the transition is refused: 403).
    #[error("{what} {id} is {current}: the change is refused")]
    Conflict {
        /// Kind of thing.
        what: &'static str,
        /// Its identifier.
        id: i64,
        /// What the store holds now (a status, or a description of the failed condition).
        current: String,
    },
    /// A transition is allowed by the status table but its preconditions do not hold
    /// (geocube-ingester answers these with 500 and the reason).
    #[error("{0}")]
    Precondition(String),
    /// The catalogue could not be searched (500); the message names the provider and cause.
    #[error("catalogue: {0}")]
    Catalogue(String),
    /// A request is larger than an explicit limit (413 or 400).
    #[error("{what} exceeds the limit of {limit}")]
    TooLarge {
        /// What was too large.
        what: String,
        /// The limit, human readable.
        limit: String,
    },
    /// A storage, orchestration or network backend failed. Logged, never shown to clients.
    #[error("{context}: {source}")]
    Backend {
        /// What was being done.
        context: String,
        /// The adapter's error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
}

impl Error {
    /// An invalid-input error.
    pub fn invalid(message: impl Into<String>) -> Self {
        Error::Invalid(message.into())
    }

    /// A missing entity.
    pub fn not_found(what: &'static str, id: impl ToString) -> Self {
        Error::NotFound {
            what,
            id: id.to_string(),
        }
    }

    /// Wraps an adapter error with what was being done.
    pub fn backend(
        context: impl Into<String>,
        source: impl Into<Box<dyn std::error::Error + Send + Sync>>,
    ) -> Self {
        Error::Backend {
            context: context.into(),
            source: source.into(),
        }
    }

    /// Whether a conditional update lost (the entity is not in the expected state).
    pub fn is_conflict(&self) -> bool {
        matches!(self, Error::Conflict { .. })
    }
}

impl From<stratus_core::Error> for Error {
    fn from(e: stratus_core::Error) -> Self {
        match e {
            stratus_core::Error::InvalidInput(m) => Error::Invalid(m),
            stratus_core::Error::NoSuchObject(key) => Error::NotFound {
                what: "object",
                id: key,
            },
            stratus_core::Error::TooLarge { what, limit } => Error::TooLarge { what, limit },
            other => Error::backend("core", other),
        }
    }
}
