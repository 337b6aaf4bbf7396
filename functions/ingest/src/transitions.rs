//! The status machine of scenes and tiles applied over the store, written once for both
//! engines: every step is a conditional update, so concurrent requests, duplicate task
//! deliveries and re-runs after a crash are harmless.
//!
//! - **Finish scene**: the scene becomes DONE; its NEW tiles that are roots or whose previous
//!   tile is DONE are claimed NEW -> PENDING (and returned to run).
//! - **Finish tile**: the tile becomes DONE; its NEW next tiles whose scene is DONE are claimed.
//! - **Fail tile** (refused if its previous tile or that tile's scene is FAILED, or a next tile
//!   is not NEW): the tile becomes FAILED without a previous; its next tiles take its previous;
//!   if it was a root, its first next tile becomes the root and the reference of the others;
//!   next tiles whose scene is DONE (and previous DONE) are claimed.
//! - **Fail scene** (its tiles must all be NEW): the scene becomes FAILED, then each tile is
//!   failed as above.
//! - **Retry**: back to PENDING with the countdown decremented; a tile needs its previous DONE
//!   (and, unless forced, its scene DONE).
//!
//! A PENDING scene or tile is run under a lease; a task reports its outcome under that lease, so
//! the report of a run that lost its lease (or of a scene a user failed meanwhile) is ignored.
//! A finish also returns PENDING unleased tiles whose dependencies are DONE, so a re-run of a
//! finish that crashed before its claimed tiles started picks them up again.

use std::collections::HashMap;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use stratus_core::ports::Clock;

use crate::error::{Error, Result};
use crate::model::{SceneId, SceneRecord, TileId, TileRecord};
use crate::ports::{
    IngestStore, LeaseGuard, LeaseSet, Page, SceneChange, TileChange, TileFilter, Work,
};
use crate::rules::{Action, decide};
use crate::status::Status;

/// Who asks for a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Requester<'a> {
    /// A user (HTTP route): no lease condition.
    User,
    /// A task reporting the outcome of its run under its lease.
    Task(&'a str),
}

/// What a change did and what must run because of it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Applied {
    /// Whether anything changed (false: refused).
    pub changed: bool,
    /// A scene to download (again).
    pub scene: Option<SceneId>,
    /// Tiles to process.
    pub tiles: Vec<TileId>,
}

impl Applied {
    fn refused() -> Self {
        Applied::default()
    }

    /// The work to dispatch.
    pub fn work(&self) -> Vec<Work> {
        let mut work = Vec::new();
        if let Some(s) = self.scene {
            work.push(Work::Scene(s));
        }
        work.extend(self.tiles.iter().map(|t| Work::Tiles(vec![*t])));
        work
    }
}

/// Applies status changes.
#[derive(Clone)]
pub struct Transitions {
    store: Arc<dyn IngestStore>,
    clock: Arc<dyn Clock>,
}

fn refused_on_conflict<T>(r: Result<T>) -> Result<Option<T>> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(e) if e.is_conflict() => Ok(None),
        Err(e) => Err(e),
    }
}

fn lease_free(lease: &Option<crate::model::Lease>, now: DateTime<Utc>) -> bool {
    lease.as_ref().is_none_or(|l| l.until <= now)
}

impl Transitions {
    /// Transitions over a store.
    pub fn new(store: Arc<dyn IngestStore>, clock: Arc<dyn Clock>) -> Self {
        Transitions { store, clock }
    }

    fn guard(requester: Requester<'_>) -> Option<LeaseGuard> {
        match requester {
            Requester::User => None,
            Requester::Task(owner) => Some(LeaseGuard::HeldBy(owner.to_string())),
        }
    }

    /// Requests `requested` for a scene (see [`crate::rules`]). An unknown scene is refused.
    pub async fn scene(
        &self,
        id: SceneId,
        requested: Status,
        force: bool,
        message: Option<String>,
        requester: Requester<'_>,
    ) -> Result<Applied> {
        let scene = match self.store.scene(id).await {
            Ok(s) => s,
            Err(Error::NotFound { .. }) => return Ok(Applied::refused()),
            Err(e) => return Err(e),
        };
        let expect = if force {
            Vec::new()
        } else {
            vec![scene.status]
        };
        let guard = Self::guard(requester);
        if requester != Requester::User && scene.status != Status::Pending {
            return Ok(Applied::refused());
        }
        let now = self.clock.now();
        match decide(scene.status, requested, scene.retry_countdown, force) {
            Action::Refuse => Ok(Applied::refused()),
            Action::Finish => {
                let change = SceneChange {
                    expect,
                    lease_guard: guard,
                    status: Some(Status::Done),
                    message,
                    lease: LeaseSet::Clear,
                    ..Default::default()
                };
                if refused_on_conflict(self.store.update_scene(id, &change, now).await)?.is_none() {
                    return Ok(Applied::refused());
                }
                Ok(Applied {
                    changed: true,
                    scene: None,
                    tiles: self.runnable_tiles_of_scene(id).await?,
                })
            }
            Action::Retry => {
                let change = SceneChange {
                    expect,
                    lease_guard: guard,
                    status: Some(Status::Pending),
                    message: Some(message.unwrap_or_default()),
                    decrement_countdown: true,
                    lease: LeaseSet::Clear,
                };
                if refused_on_conflict(self.store.update_scene(id, &change, now).await)?.is_none() {
                    return Ok(Applied::refused());
                }
                Ok(Applied {
                    changed: true,
                    scene: Some(id),
                    tiles: Vec::new(),
                })
            }
            Action::Set(status) => {
                let change = SceneChange {
                    expect,
                    lease_guard: guard,
                    status: Some(status),
                    message,
                    lease: LeaseSet::Clear,
                    ..Default::default()
                };
                let changed =
                    refused_on_conflict(self.store.update_scene(id, &change, now).await)?.is_some();
                Ok(Applied {
                    changed,
                    ..Default::default()
                })
            }
            Action::Fail => self.fail_scene(&scene, expect, guard, message).await,
        }
    }

    /// Requests `requested` for a tile (see [`crate::rules`]). An unknown tile is refused.
    pub async fn tile(
        &self,
        id: TileId,
        requested: Status,
        force: bool,
        message: Option<String>,
        requester: Requester<'_>,
    ) -> Result<Applied> {
        let tile = match self.store.tile(id).await {
            Ok(t) => t,
            Err(Error::NotFound { .. }) => return Ok(Applied::refused()),
            Err(e) => return Err(e),
        };
        let expect = if force { Vec::new() } else { vec![tile.status] };
        let guard = Self::guard(requester);
        if requester != Requester::User && tile.status != Status::Pending {
            return Ok(Applied::refused());
        }
        let now = self.clock.now();
        match decide(tile.status, requested, tile.retry_countdown, force) {
            Action::Refuse => Ok(Applied::refused()),
            Action::Finish => {
                let change = TileChange {
                    expect,
                    lease_guard: guard,
                    status: Some(Status::Done),
                    message,
                    lease: LeaseSet::Clear,
                    ..Default::default()
                };
                if refused_on_conflict(self.store.update_tile(id, &change, now).await)?.is_none() {
                    return Ok(Applied::refused());
                }
                Ok(Applied {
                    changed: true,
                    scene: None,
                    tiles: self.runnable_next_tiles(id).await?,
                })
            }
            Action::Retry => {
                if let Some(prev) = tile.prev {
                    let p = self.store.tile(prev).await?;
                    if p.status != Status::Done {
                        return Err(Error::Precondition(format!(
                            "cannot retry tile {id} while its previous tile {prev} is {}",
                            p.status
                        )));
                    }
                }
                if !force && tile.status == Status::Retry {
                    let scene = self.store.scene(tile.scene_id).await?;
                    if scene.status != Status::Done {
                        return Err(Error::Precondition(format!(
                            "cannot retry tile {id} while its scene {} is {}",
                            scene.id, scene.status
                        )));
                    }
                }
                let change = TileChange {
                    expect,
                    lease_guard: guard,
                    status: Some(Status::Pending),
                    message: Some(message.unwrap_or_default()),
                    decrement_countdown: true,
                    lease: LeaseSet::Clear,
                    ..Default::default()
                };
                if refused_on_conflict(self.store.update_tile(id, &change, now).await)?.is_none() {
                    return Ok(Applied::refused());
                }
                Ok(Applied {
                    changed: true,
                    scene: None,
                    tiles: vec![id],
                })
            }
            Action::Set(status) => {
                let change = TileChange {
                    expect,
                    lease_guard: guard,
                    status: Some(status),
                    message,
                    lease: LeaseSet::Clear,
                    ..Default::default()
                };
                let changed =
                    refused_on_conflict(self.store.update_tile(id, &change, now).await)?.is_some();
                Ok(Applied {
                    changed,
                    ..Default::default()
                })
            }
            Action::Fail => {
                let tiles = match self.fail_tile(&tile, expect, guard, message).await? {
                    Some(t) => t,
                    None => return Ok(Applied::refused()),
                };
                Ok(Applied {
                    changed: true,
                    scene: None,
                    tiles,
                })
            }
        }
    }

    /// Claims NEW tiles of a DONE scene whose previous tile is DONE (or that are roots), and
    /// lists PENDING unleased ones in the same situation.
    pub async fn runnable_tiles_of_scene(&self, scene: SceneId) -> Result<Vec<TileId>> {
        let tiles = self
            .store
            .tiles(&TileFilter::Scene(scene), Page::ALL)
            .await?;
        let mut out = Vec::new();
        let now = self.clock.now();
        for t in tiles {
            if !matches!(t.status, Status::New | Status::Pending) {
                continue;
            }
            let ready = match t.prev {
                None => true,
                Some(p) => self.store.tile(p).await?.status == Status::Done,
            };
            if !ready {
                continue;
            }
            if let Some(id) = self.claim_or_requeue(&t, now).await? {
                out.push(id);
            }
        }
        Ok(out)
    }

    /// Claims NEW next tiles of a DONE tile whose scene is DONE, and lists PENDING unleased ones.
    pub async fn runnable_next_tiles(&self, tile: TileId) -> Result<Vec<TileId>> {
        let next = self.store.tiles(&TileFilter::Prev(tile), Page::ALL).await?;
        let mut scenes: HashMap<SceneId, Status> = HashMap::new();
        let mut out = Vec::new();
        let now = self.clock.now();
        for t in next {
            if !matches!(t.status, Status::New | Status::Pending) {
                continue;
            }
            let scene_status = match scenes.get(&t.scene_id) {
                Some(s) => *s,
                None => {
                    let s = self.store.scene(t.scene_id).await?.status;
                    scenes.insert(t.scene_id, s);
                    s
                }
            };
            if scene_status != Status::Done {
                continue;
            }
            if let Some(id) = self.claim_or_requeue(&t, now).await? {
                out.push(id);
            }
        }
        Ok(out)
    }

    /// NEW -> PENDING (conditional on status and previous tile), or a PENDING tile nobody holds.
    async fn claim_or_requeue(&self, t: &TileRecord, now: DateTime<Utc>) -> Result<Option<TileId>> {
        match t.status {
            Status::New => {
                let change = TileChange {
                    expect: vec![Status::New],
                    expect_prev: Some(t.prev),
                    status: Some(Status::Pending),
                    ..Default::default()
                };
                Ok(
                    refused_on_conflict(self.store.update_tile(t.id, &change, now).await)?
                        .map(|t| t.id),
                )
            }
            Status::Pending if lease_free(&t.lease, now) => Ok(Some(t.id)),
            _ => Ok(None),
        }
    }

    /// Fails a tile and re-links its chain; returns the next tiles it made runnable, or `None`
    /// when the conditional update lost.
    async fn fail_tile(
        &self,
        tile: &TileRecord,
        expect: Vec<Status>,
        guard: Option<LeaseGuard>,
        message: Option<String>,
    ) -> Result<Option<Vec<TileId>>> {
        if let Some(p) = tile.prev {
            let prev = self.store.tile(p).await?;
            if prev.status == Status::Failed {
                return Err(Error::Precondition(format!(
                    "cannot fail tile {}: its previous tile {p} is FAILED",
                    tile.id
                )));
            }
            let scene = self.store.scene(prev.scene_id).await?;
            if scene.status == Status::Failed {
                return Err(Error::Precondition(format!(
                    "cannot fail tile {}: the scene {} of its previous tile is FAILED",
                    tile.id, scene.id
                )));
            }
        }
        let next = self
            .store
            .tiles(&TileFilter::Prev(tile.id), Page::ALL)
            .await?;
        if let Some(c) = next.iter().find(|c| c.status != Status::New) {
            return Err(Error::Precondition(format!(
                "cannot fail tile {}: its next tile {} is {}",
                tile.id, c.id, c.status
            )));
        }
        let now = self.clock.now();
        let change = TileChange {
            expect,
            lease_guard: guard,
            status: Some(Status::Failed),
            message,
            lease: LeaseSet::Clear,
            prev: Some(None),
            ..Default::default()
        };
        if refused_on_conflict(self.store.update_tile(tile.id, &change, now).await)?.is_none() {
            return Ok(None);
        }
        for c in &next {
            let relink = TileChange {
                expect_prev: Some(Some(tile.id)),
                prev: Some(tile.prev),
                ..Default::default()
            };
            if let Err(e) = self.store.update_tile(c.id, &relink, now).await {
                if !e.is_conflict() {
                    return Err(e);
                }
                tracing::warn!(tile = c.id, "next tile re-linked by someone else meanwhile");
            }
        }
        if tile.reference.is_none()
            && let Some(first) = next.first()
        {
            self.store.replace_reference(tile.id, first.id, now).await?;
        }
        let mut out = Vec::new();
        for c in &next {
            let c = self.store.tile(c.id).await?;
            if c.status != Status::New {
                continue;
            }
            if self.store.scene(c.scene_id).await?.status != Status::Done {
                continue;
            }
            let ready = match c.prev {
                None => true,
                Some(p) => self.store.tile(p).await?.status == Status::Done,
            };
            if ready && let Some(id) = self.claim_or_requeue(&c, now).await? {
                out.push(id);
            }
        }
        Ok(Some(out))
    }

    async fn fail_scene(
        &self,
        scene: &SceneRecord,
        expect: Vec<Status>,
        guard: Option<LeaseGuard>,
        message: Option<String>,
    ) -> Result<Applied> {
        let tiles = self
            .store
            .tiles(&TileFilter::Scene(scene.id), Page::ALL)
            .await?;
        if let Some(t) = tiles.iter().find(|t| t.status != Status::New) {
            return Err(Error::Precondition(format!(
                "cannot fail scene {}: its tile {} is {}",
                scene.id, t.id, t.status
            )));
        }
        let change = SceneChange {
            expect,
            lease_guard: guard,
            status: Some(Status::Failed),
            message,
            lease: LeaseSet::Clear,
            ..Default::default()
        };
        let now = self.clock.now();
        if refused_on_conflict(self.store.update_scene(scene.id, &change, now).await)?.is_none() {
            return Ok(Applied::refused());
        }
        let mut out = Vec::new();
        for t in tiles {
            let t = self.store.tile(t.id).await?;
            if let Some(more) = self.fail_tile(&t, vec![Status::New], None, None).await? {
                out.extend(more);
            }
        }
        Ok(Applied {
            changed: true,
            scene: None,
            tiles: out,
        })
    }

    /// Claims a PENDING scene for a run by `owner` until `now + ttl`; `None` if it is not
    /// PENDING or someone else holds it. `steal` takes over any lease (the local engine's
    /// recovery: whoever held it died with the previous process).
    pub async fn claim_scene(
        &self,
        id: SceneId,
        owner: &str,
        ttl: Duration,
        steal: bool,
    ) -> Result<Option<SceneRecord>> {
        let now = self.clock.now();
        let change = SceneChange {
            expect: vec![Status::Pending],
            lease_guard: Some(LeaseGuard::Claimable {
                owner: owner.to_string(),
                now: if steal { DateTime::<Utc>::MAX_UTC } else { now },
            }),
            lease: LeaseSet::Take {
                owner: owner.to_string(),
                until: now + ttl,
            },
            ..Default::default()
        };
        refused_on_conflict(self.store.update_scene(id, &change, now).await)
    }

    /// Claims a PENDING tile for a run (see [`Self::claim_scene`]).
    pub async fn claim_tile(
        &self,
        id: TileId,
        owner: &str,
        ttl: Duration,
        steal: bool,
    ) -> Result<Option<TileRecord>> {
        let now = self.clock.now();
        let change = TileChange {
            expect: vec![Status::Pending],
            lease_guard: Some(LeaseGuard::Claimable {
                owner: owner.to_string(),
                now: if steal { DateTime::<Utc>::MAX_UTC } else { now },
            }),
            lease: LeaseSet::Take {
                owner: owner.to_string(),
                until: now + ttl,
            },
            ..Default::default()
        };
        refused_on_conflict(self.store.update_tile(id, &change, now).await)
    }

    /// Gives a tile's lease back without an outcome.
    pub async fn release_tile(&self, id: TileId, owner: &str) -> Result<()> {
        let change = TileChange {
            expect: vec![Status::Pending],
            lease_guard: Some(LeaseGuard::HeldBy(owner.to_string())),
            lease: LeaseSet::Clear,
            ..Default::default()
        };
        refused_on_conflict(self.store.update_tile(id, &change, self.clock.now()).await)?;
        Ok(())
    }
}
