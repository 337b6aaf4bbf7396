//! The two tasks of an ingestion, as both engines run them: download a scene
//! ([`IngestRunner::run_scene`]) and process a tile ([`IngestRunner::run_tile`]). Each claims
//! its scene or tile under a lease first (a duplicate delivery finds it claimed and does
//! nothing), runs the graph, reports the outcome under the lease, and returns what became
//! runnable so the caller runs it next (the local executor's queue; on AWS the loop inside the
//! state machine's Map iteration, which keeps a chain in one execution).

use chrono::Duration;

use crate::error::{Error, Result};
use crate::graph::{self, TaskError, TileRun};
use crate::model::{SceneId, TileId};
use crate::service::IngestPorts;
use crate::status::Status;
use crate::transitions::{Requester, Transitions};

/// What a task run leaves to do.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct TaskOutcome {
    /// The same scene or tile must run again (an automatic retry), after a pause.
    pub again: bool,
    /// Tiles that became runnable.
    pub tiles: Vec<TileId>,
}

/// Runs scene and tile tasks.
#[derive(Clone)]
pub struct IngestRunner {
    ports: IngestPorts,
    transitions: Transitions,
    lease: Duration,
}

impl IngestRunner {
    /// A runner whose claims last `lease` (longer than any task).
    pub fn new(ports: IngestPorts, lease: Duration) -> Self {
        let transitions = Transitions::new(ports.store.clone(), ports.core.clock.clone());
        IngestRunner {
            ports,
            transitions,
            lease,
        }
    }

    /// The ports.
    pub fn ports(&self) -> &IngestPorts {
        &self.ports
    }

    /// The requested status for a failed run.
    fn failure_status(e: &TaskError, retriable: bool) -> Status {
        if e.fatal || !retriable {
            Status::Failed
        } else {
            Status::Retry
        }
    }

    /// Downloads a scene (runs its graph) as `owner`. `steal` takes over a lease held by a
    /// dead process (local recovery).
    pub async fn run_scene(&self, id: SceneId, owner: &str, steal: bool) -> Result<TaskOutcome> {
        let store = &self.ports.store;
        let claimed = self
            .transitions
            .claim_scene(id, owner, self.lease, steal)
            .await?;
        let Some(scene) = claimed else {
            return match store.scene(id).await {
                Ok(s) if s.status == Status::Done => Ok(TaskOutcome {
                    again: false,
                    tiles: self.transitions.runnable_tiles_of_scene(id).await?,
                }),
                Ok(_) | Err(Error::NotFound { .. }) => Ok(TaskOutcome::default()),
                Err(e) => Err(e),
            };
        };
        let footprint = store.footprint(id, None).await?;
        let (requested, message) = match graph::run_scene(&self.ports.core, &scene, &footprint)
            .await
        {
            Ok(()) => (Status::Done, String::new()),
            Err(e) => {
                tracing::warn!(scene = id, source = %scene.source_id, error = %e.message, "scene task failed");
                (Self::failure_status(&e, scene.data.is_retriable), e.message)
            }
        };
        let applied = self
            .transitions
            .scene(id, requested, false, Some(message), Requester::Task(owner))
            .await?;
        Ok(TaskOutcome {
            again: applied.scene == Some(id),
            tiles: applied.tiles,
        })
    }

    /// Processes a tile (runs its graph, indexes its outputs) as `owner`.
    pub async fn run_tile(&self, id: TileId, owner: &str, steal: bool) -> Result<TaskOutcome> {
        let store = &self.ports.store;
        let Some(tile) = self
            .transitions
            .claim_tile(id, owner, self.lease, steal)
            .await?
        else {
            return match store.tile(id).await {
                Ok(t) if t.status == Status::Done => Ok(TaskOutcome {
                    again: false,
                    tiles: self.transitions.runnable_next_tiles(id).await?,
                }),
                Ok(_) | Err(Error::NotFound { .. }) => Ok(TaskOutcome::default()),
                Err(e) => Err(e),
            };
        };
        let scene = store.scene(tile.scene_id).await?;
        let prev_done = match tile.prev {
            None => true,
            Some(p) => store.tile(p).await?.status == Status::Done,
        };
        if scene.status != Status::Done || !prev_done {
            // Not runnable yet: it is claimed again when its scene or previous tile finishes.
            self.transitions.release_tile(id, owner).await?;
            return Ok(TaskOutcome::default());
        }
        let mut footprint = store.footprint(scene.id, Some(id)).await?;
        if footprint.is_empty() {
            footprint = store.footprint(scene.id, None).await?;
        }
        let area = store.aoi_area(&scene.aoi).await?;
        let result = async {
            let g = graph::tile_graph(&tile.data.graph_name, &self.ports.core)
                .await
                .map_err(|e| TaskError::fatal(e.to_string()))?;
            let run = TileRun {
                tile: &tile,
                scene: &scene,
                footprint: &footprint,
                area: area.as_deref(),
            };
            let datasets =
                graph::run_tile(&self.ports.core, &run, &g, self.ports.core.clock.now()).await?;
            for d in &datasets {
                store.put_dataset(d).await.map_err(TaskError::from)?;
            }
            Ok::<_, TaskError>(())
        }
        .await;
        let (requested, message) = match result {
            Ok(()) => (Status::Done, String::new()),
            Err(e) => {
                tracing::warn!(tile = id, source = %tile.source_id, error = %e.message, "tile task failed");
                (Self::failure_status(&e, tile.data.is_retriable), e.message)
            }
        };
        let applied = self
            .transitions
            .tile(id, requested, false, Some(message), Requester::Task(owner))
            .await?;
        let again = requested == Status::Retry && applied.tiles == [id];
        Ok(TaskOutcome {
            again,
            tiles: if again { Vec::new() } else { applied.tiles },
        })
    }
}
