//! Stratus domain: processes, jobs, execution requests, the job state machine, and the ports
//! both engines (local and AWS) implement. Nothing here knows about HTTP, SQL or AWS.

#![warn(missing_docs)]

pub mod cwl;
pub mod deploy;
pub mod documents;
pub mod error;
pub mod execute;
pub mod job;
pub mod keys;
pub mod package;
pub mod ports;
pub mod process;
pub mod query;
pub mod results;
pub mod runner;
pub mod service;

#[cfg(feature = "contract-tests")]
pub mod contract;

pub use error::{Error, Result};
