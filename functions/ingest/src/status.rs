//! Statuses of scenes and tiles, in geocube-ingester's wire spelling, and the AOI status they
//! derive.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// Status of a scene or a tile.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Status {
    /// Created; a tile waits for its scene and its previous tile.
    #[serde(rename = "NEW")]
    New,
    /// Queued or running.
    #[serde(rename = "PENDING")]
    Pending,
    /// Finished.
    #[serde(rename = "DONE")]
    Done,
    /// Failed for good; its chain was re-linked around it.
    #[serde(rename = "FAILED")]
    Failed,
    /// Failed in a way worth retrying; waits for a user (or `/aoi/{aoi}/retry`).
    #[serde(rename = "RETRY")]
    Retry,
}

impl Status {
    /// Every status, in geocube-ingester's enum order.
    pub const ALL: [Status; 5] = [
        Status::New,
        Status::Pending,
        Status::Done,
        Status::Failed,
        Status::Retry,
    ];

    /// The wire spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::New => "NEW",
            Status::Pending => "PENDING",
            Status::Done => "DONE",
            Status::Failed => "FAILED",
            Status::Retry => "RETRY",
        }
    }

    /// Graphviz colour of the status in `/aoi/{aoi}/dot`.
    pub fn color(self) -> &'static str {
        match self {
            Status::New => "gray",
            Status::Pending => "blue",
            Status::Retry => "orange",
            Status::Done => "green",
            Status::Failed => "red",
        }
    }

    /// Rank in the AOI status priority RETRY > PENDING > NEW > DONE > FAILED (higher wins).
    fn priority(self) -> u8 {
        match self {
            Status::Retry => 4,
            Status::Pending => 3,
            Status::New => 2,
            Status::Done => 1,
            Status::Failed => 0,
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Status {
    type Err = Error;

    /// Parses a status name in any case (`done`, `DONE`).
    fn from_str(s: &str) -> Result<Self> {
        Status::ALL
            .into_iter()
            .find(|st| st.as_str().eq_ignore_ascii_case(s.trim()))
            .ok_or_else(|| {
                Error::invalid(format!(
                    "'{}' is not a status (NEW, PENDING, DONE, FAILED, RETRY)",
                    s.chars().take(32).collect::<String>()
                ))
            })
    }
}

/// How many scenes or tiles are in each status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusCounts {
    /// NEW.
    pub new: u64,
    /// PENDING.
    pub pending: u64,
    /// DONE.
    pub done: u64,
    /// FAILED.
    pub failed: u64,
    /// RETRY.
    pub retry: u64,
}

impl StatusCounts {
    /// The count of one status.
    pub fn get(&self, status: Status) -> u64 {
        match status {
            Status::New => self.new,
            Status::Pending => self.pending,
            Status::Done => self.done,
            Status::Failed => self.failed,
            Status::Retry => self.retry,
        }
    }

    /// Mutable count of one status.
    pub fn get_mut(&mut self, status: Status) -> &mut u64 {
        match status {
            Status::New => &mut self.new,
            Status::Pending => &mut self.pending,
            Status::Done => &mut self.done,
            Status::Failed => &mut self.failed,
            Status::Retry => &mut self.retry,
        }
    }

    /// Sum over every status.
    pub fn total(&self) -> u64 {
        self.new + self.pending + self.done + self.failed + self.retry
    }

    /// The highest-priority status present, if any.
    fn dominant(&self) -> Option<Status> {
        Status::ALL
            .into_iter()
            .filter(|s| self.get(*s) > 0)
            .max_by_key(|s| s.priority())
    }
}

/// Scene and tile counts of one AOI.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counts {
    /// Scenes per status.
    pub scenes: StatusCounts,
    /// Tiles per status.
    pub tiles: StatusCounts,
}

impl Counts {
    /// The AOI status: the priority RETRY > PENDING > NEW > DONE > FAILED over its scenes; when
    /// that gives DONE, the same priority over its tiles. An empty AOI is NEW.
    ///
    /// Tiles of failed scenes are FAILED, the lowest priority, so counting every tile gives the
    /// same answer as counting the tiles of DONE scenes only.
    pub fn aoi_status(&self) -> Status {
        match self.scenes.dominant() {
            None => Status::New,
            Some(Status::Done) => self.tiles.dominant().unwrap_or(Status::Done),
            Some(other) => other,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_spelling_round_trips() {
        for s in Status::ALL {
            let json = serde_json::to_string(&s).unwrap();
            assert_eq!(json, format!("\"{}\"", s.as_str()));
            assert_eq!(serde_json::from_str::<Status>(&json).unwrap(), s);
            assert_eq!(s.as_str().to_lowercase().parse::<Status>().unwrap(), s);
        }
        assert!("DONNE".parse::<Status>().is_err());
    }

    #[test]
    fn aoi_status_follows_the_priority() {
        let mut c = Counts::default();
        assert_eq!(c.aoi_status(), Status::New);
        c.scenes.done = 2;
        c.scenes.failed = 1;
        c.tiles.done = 3;
        assert_eq!(c.aoi_status(), Status::Done);
        c.tiles.new = 1;
        assert_eq!(c.aoi_status(), Status::New);
        c.tiles.pending = 1;
        assert_eq!(c.aoi_status(), Status::Pending);
        c.tiles.retry = 1;
        assert_eq!(c.aoi_status(), Status::Retry);
        c.scenes.pending = 1;
        c.tiles = StatusCounts::default();
        assert_eq!(c.aoi_status(), Status::Pending);
        let failed = Counts {
            scenes: StatusCounts {
                failed: 2,
                ..Default::default()
            },
            ..Default::default()
        };
        assert_eq!(failed.aoi_status(), Status::Failed);
    }
}
