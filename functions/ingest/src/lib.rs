//! Stratus EO ingestion, written once for both engines: the area payload ([`area`]), scenes and
//! tiles in geocube-ingester's JSON shapes ([`model`]), their status machine ([`rules`],
//! [`transitions`]) and chains, Sentinel-1 bursts from annotation files ([`s1`]), catalogue
//! inventories ([`catalog`]), the work of scenes and tiles ([`graph`], [`runner`]), the
//! operations behind the routes ([`service`]) and the ports the engines implement ([`ports`]).
//! Nothing here knows about HTTP, SQL or AWS.

#![warn(missing_docs)]

pub mod area;
pub mod catalog;
pub mod error;
pub mod geom;
pub mod graph;
pub mod keys;
pub mod model;
pub mod ports;
pub mod rules;
pub mod runner;
pub mod s1;
pub mod service;
pub mod status;
pub mod transitions;

#[cfg(feature = "contract-tests")]
pub mod contract;

pub use error::{Error, Result};
