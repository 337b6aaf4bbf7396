//! Outbound HTTP for both engines: [`HttpClient`] fetches remote inputs (STAC items, COG byte
//! ranges) and posts callbacks under a [`NetPolicy`] that refuses loopback, private and
//! link-local addresses (the cloud metadata endpoint above all) unless configured; with
//! timeouts, retries with backoff, and response size limits. [`HttpNotifier`] implements the
//! domain's callback port on top of it. [`stac::StacCatalogue`] is the ingestion catalogue on
//! STAC APIs.

#![warn(missing_docs)]

mod client;
mod error;
mod fetcher;
mod notifier;
mod policy;
pub mod stac;

pub use client::{HttpClient, Limits};
pub use error::{Error, Result};
pub use fetcher::{UrlFetcher, process_error};
pub use notifier::HttpNotifier;
pub use policy::NetPolicy;
