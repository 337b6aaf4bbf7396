//! Built-in Stratus processes and the registry that offers them on both engines.

#![warn(missing_docs)]

mod echo;
mod registry;

pub use echo::Echo;
pub use registry::BuiltinRegistry;
