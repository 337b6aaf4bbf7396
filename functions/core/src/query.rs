//! Job list queries (`GET /jobs`): filters, limits and keyset page tokens that both job stores
//! implement the same way (newest first; `(created, id)` as the sort key).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, NaiveDate, Utc};

use crate::error::{Error, Result};
use crate::job::{Job, JobId, JobKind, JobStatus};

/// Default page size.
pub const DEFAULT_LIMIT: u32 = 10;
/// Largest page size a client may ask for.
pub const MAX_LIMIT: u32 = 10_000;

/// A time interval, open on either side (`..`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct TimeRange {
    /// Inclusive start.
    pub start: Option<DateTime<Utc>>,
    /// Inclusive end.
    pub end: Option<DateTime<Utc>>,
}

impl TimeRange {
    /// Parses an RFC 3339 instant or interval (`a/b`, `../b`, `a/..`); dates without a time mean
    /// the whole day.
    pub fn parse(s: &str) -> Result<Self> {
        let bad = |why: &str| Error::parameter("datetime", format!("'{s}': {why}"));
        match s.split_once('/') {
            None => {
                let (start, end) =
                    parse_instant(s).ok_or_else(|| bad("not an RFC 3339 date-time"))?;
                Ok(TimeRange {
                    start: Some(start),
                    end: Some(end),
                })
            }
            Some((a, b)) => {
                let side = |x: &str, first: bool| -> Result<Option<DateTime<Utc>>> {
                    if x.is_empty() || x == ".." {
                        return Ok(None);
                    }
                    let (lo, hi) =
                        parse_instant(x).ok_or_else(|| bad("not an RFC 3339 date-time"))?;
                    Ok(Some(if first { lo } else { hi }))
                };
                let range = TimeRange {
                    start: side(a, true)?,
                    end: side(b, false)?,
                };
                if let (Some(st), Some(en)) = (range.start, range.end)
                    && st > en
                {
                    return Err(bad("the interval ends before it starts"));
                }
                Ok(range)
            }
        }
    }

    /// Whether `t` lies in the range.
    pub fn contains(&self, t: DateTime<Utc>) -> bool {
        self.start.is_none_or(|s| t >= s) && self.end.is_none_or(|e| t <= e)
    }
}

fn parse_instant(s: &str) -> Option<(DateTime<Utc>, DateTime<Utc>)> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        let t = t.with_timezone(&Utc);
        return Some((t, t));
    }
    let d = NaiveDate::parse_from_str(s, "%Y-%m-%d").ok()?;
    let start = d.and_hms_opt(0, 0, 0)?.and_utc();
    let end = d.and_hms_milli_opt(23, 59, 59, 999)?.and_utc();
    Some((start, end))
}

/// Which way a page token moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Older jobs than the token's key.
    After,
    /// Newer jobs than the token's key.
    Before,
}

/// An opaque keyset position in the newest-first job order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PageToken {
    /// Direction from the key.
    pub direction: Direction,
    /// `created` of the key job.
    pub created: DateTime<Utc>,
    /// Id of the key job (tie breaker).
    pub id: JobId,
}

impl PageToken {
    /// The token continuing after `job` (older jobs).
    pub fn after(job: &Job) -> Self {
        PageToken {
            direction: Direction::After,
            created: job.created,
            id: job.id.clone(),
        }
    }

    /// The token going back before `job` (newer jobs).
    pub fn before(job: &Job) -> Self {
        PageToken {
            direction: Direction::Before,
            created: job.created,
            id: job.id.clone(),
        }
    }

    /// Encodes the token for a URL.
    pub fn encode(&self) -> String {
        let d = match self.direction {
            Direction::After => 'a',
            Direction::Before => 'b',
        };
        URL_SAFE_NO_PAD.encode(format!(
            "{d}:{}:{}",
            self.created.timestamp_micros(),
            self.id
        ))
    }

    /// Decodes a token from a URL.
    pub fn decode(s: &str) -> Result<Self> {
        let bad = || Error::parameter("page", "not a page token from a job list link");
        let raw = URL_SAFE_NO_PAD.decode(s).map_err(|_| bad())?;
        let raw = String::from_utf8(raw).map_err(|_| bad())?;
        let mut parts = raw.splitn(3, ':');
        let direction = match parts.next() {
            Some("a") => Direction::After,
            Some("b") => Direction::Before,
            _ => return Err(bad()),
        };
        let micros: i64 = parts.next().and_then(|m| m.parse().ok()).ok_or_else(bad)?;
        let created = DateTime::from_timestamp_micros(micros).ok_or_else(bad)?;
        let id = JobId::parse(parts.next().ok_or_else(bad)?).map_err(|_| bad())?;
        Ok(PageToken {
            direction,
            created,
            id,
        })
    }
}

/// A job list query, as both stores execute it.
#[derive(Debug, Clone, PartialEq)]
pub struct JobQuery {
    /// Job types to include; `None` = all.
    pub kinds: Option<Vec<JobKind>>,
    /// Process ids to include; empty = all.
    pub process_ids: Vec<String>,
    /// Statuses to include (never empty: the default set applies when the client gives none).
    pub statuses: Vec<JobStatus>,
    /// Range `created` must fall in.
    pub created: TimeRange,
    /// Minimum duration in seconds.
    pub min_duration: Option<i64>,
    /// Maximum duration in seconds.
    pub max_duration: Option<i64>,
    /// Page size, 1..=MAX_LIMIT.
    pub limit: u32,
    /// Where the page starts.
    pub page: Option<PageToken>,
}

impl Default for JobQuery {
    fn default() -> Self {
        JobQuery {
            kinds: None,
            process_ids: Vec::new(),
            statuses: JobStatus::LISTED_BY_DEFAULT.to_vec(),
            created: TimeRange::default(),
            min_duration: None,
            max_duration: None,
            limit: DEFAULT_LIMIT,
            page: None,
        }
    }
}

impl JobQuery {
    /// Whether `job` passes every filter (not the page position). Stores may filter natively;
    /// this is the reference semantics their contract tests check.
    pub fn matches(&self, job: &Job, now: DateTime<Utc>) -> bool {
        if let Some(kinds) = &self.kinds
            && !kinds.contains(&job.kind)
        {
            return false;
        }
        if !self.process_ids.is_empty() && !self.process_ids.contains(&job.process_id) {
            return false;
        }
        if !self.statuses.contains(&job.status) || !self.created.contains(job.created) {
            return false;
        }
        if self.min_duration.is_some() || self.max_duration.is_some() {
            let Some(d) = job.duration_secs(now) else {
                return false;
            };
            if self.min_duration.is_some_and(|m| d < m) || self.max_duration.is_some_and(|m| d > m)
            {
                return false;
            }
        }
        true
    }

    /// Whether the query can match nothing at all (e.g. an unknown `type`).
    pub fn is_empty(&self) -> bool {
        self.kinds.as_ref().is_some_and(Vec::is_empty) || self.statuses.is_empty()
    }
}

/// Parses a `limit` value: an integer in 1..=10000.
pub fn parse_limit(raw: Option<&str>) -> Result<u32> {
    match raw {
        None => Ok(DEFAULT_LIMIT),
        Some(s) => match s.trim().parse::<u32>() {
            Ok(n) if (1..=MAX_LIMIT).contains(&n) => Ok(n),
            _ => Err(Error::parameter(
                "limit",
                format!("'{s}' is not an integer from 1 to {MAX_LIMIT}"),
            )),
        },
    }
}

/// One page of a job list.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct JobPage {
    /// Jobs, newest first.
    pub jobs: Vec<Job>,
    /// Token of the next (older) page, if there is one.
    pub next: Option<PageToken>,
    /// Token of the previous (newer) page, if there is one.
    pub prev: Option<PageToken>,
}

impl JobPage {
    /// Builds a page from up to `limit + 1` jobs fetched in the token's direction (newest first
    /// for `After`, oldest first for `Before`); the extra job only tells that more exist.
    pub fn from_fetched(mut fetched: Vec<Job>, query: &JobQuery) -> Self {
        let limit = query.limit as usize;
        let more = fetched.len() > limit;
        fetched.truncate(limit);
        let backwards = query
            .page
            .as_ref()
            .is_some_and(|p| p.direction == Direction::Before);
        if backwards {
            fetched.reverse();
        }
        let (has_next, has_prev) = match (&query.page, backwards) {
            (None, _) => (more, false),
            (Some(_), false) => (more, true),
            (Some(_), true) => (true, more),
        };
        JobPage {
            next: fetched.last().filter(|_| has_next).map(PageToken::after),
            prev: fetched.first().filter(|_| has_prev).map(PageToken::before),
            jobs: fetched,
        }
    }
}

/// Sort key order used by every store: newest first, id as tie breaker.
pub fn newest_first(a: &Job, b: &Job) -> std::cmp::Ordering {
    b.created.cmp(&a.created).then_with(|| b.id.cmp(&a.id))
}

/// Whether `job` lies beyond `token` in its direction.
pub fn beyond(token: &PageToken, job: &Job) -> bool {
    let key = (job.created, &job.id);
    let at = (token.created, &token.id);
    match token.direction {
        Direction::After => key < at,
        Direction::Before => key > at,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn datetime_forms() {
        let r = TimeRange::parse("2024-01-01T00:00:00Z/..").unwrap();
        assert!(r.start.is_some() && r.end.is_none());
        let r = TimeRange::parse("../2024-01-01T00:00:00+02:00").unwrap();
        assert_eq!(r.end.unwrap().to_rfc3339(), "2023-12-31T22:00:00+00:00");
        let day = TimeRange::parse("2024-05-06").unwrap();
        assert!(day.contains("2024-05-06T12:00:00Z".parse().unwrap()));
        assert!(TimeRange::parse("yesterday").is_err());
        assert!(TimeRange::parse("2024-02-01T00:00:00Z/2024-01-01T00:00:00Z").is_err());
    }

    #[test]
    fn tokens_round_trip_and_reject_garbage() {
        let t = PageToken {
            direction: Direction::Before,
            created: DateTime::from_timestamp_micros(1_700_000_000_123_456).unwrap(),
            id: JobId::new_v7(),
        };
        assert_eq!(PageToken::decode(&t.encode()).unwrap(), t);
        assert!(PageToken::decode("nope").is_err());
    }

    #[test]
    fn limits() {
        assert_eq!(parse_limit(None).unwrap(), 10);
        assert_eq!(parse_limit(Some("10000")).unwrap(), 10000);
        assert!(parse_limit(Some("0")).is_err());
        assert!(parse_limit(Some("10001")).is_err());
        assert!(parse_limit(Some("x")).is_err());
    }
}
