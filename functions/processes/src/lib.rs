//! Built-in Stratus processes and the registry that offers them on both engines.

#![warn(missing_docs)]

mod echo;
mod registry;
mod water_bodies;

pub use echo::Echo;
pub use registry::BuiltinRegistry;
pub use water_bodies::WaterBodies;

use std::sync::Arc;

/// Every built-in process, as both engines register them.
pub fn builtins() -> BuiltinRegistry {
    BuiltinRegistry::new()
        .with(Arc::new(Echo::new()))
        .with(Arc::new(WaterBodies::new()))
}
