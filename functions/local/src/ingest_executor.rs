//! The local ingestion executor: scene downloads and tile processing as tokio tasks in this
//! process, at most `downloads` and `tiles` at a time. The ingestion database is the durable
//! queue: every task claims its scene or tile under a lease before running, what a task makes
//! runnable is queued at once, and at start-up (and whenever the queue falls idle) PENDING work
//! is read back from the store, so nothing is lost when the process stops. One executor runs
//! per data directory (a file lock), so work left leased by a previous process is taken over.

use std::fs::File;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use stratus_ingest::Result;
use stratus_ingest::ports::{Dispatcher, IngestStore, Work};
use stratus_ingest::runner::IngestRunner;
use tokio::sync::{Notify, Semaphore, mpsc};

/// How often an idle executor looks for PENDING work nobody queued.
const SWEEP_EVERY: Duration = Duration::from_secs(30);
/// Longest pause before an automatic retry.
const MAX_BACKOFF: Duration = Duration::from_secs(30);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Scene,
    Tile,
}

#[derive(Debug, Clone, Copy)]
struct Task {
    kind: Kind,
    id: i64,
    steal: bool,
    attempt: u32,
}

/// Hands ingestion work to the executor (the [`Dispatcher`] of the local engine). Cheap to
/// clone; work sent before [`LocalIngestExecutor::start`] waits in the queue.
#[derive(Clone)]
pub struct IngestQueue {
    tx: mpsc::UnboundedSender<Task>,
    in_flight: Arc<AtomicUsize>,
    idle: Arc<Notify>,
}

#[async_trait]
impl Dispatcher for IngestQueue {
    async fn dispatch(&self, _aoi: &str, work: Vec<Work>) -> Result<()> {
        for w in work {
            match w {
                Work::Scene(id) => self.push(Kind::Scene, id, false, 0),
                Work::Tiles(ids) => {
                    for id in ids {
                        self.push(Kind::Tile, id, false, 0);
                    }
                }
            }
        }
        Ok(())
    }
}

impl IngestQueue {
    fn push(&self, kind: Kind, id: i64, steal: bool, attempt: u32) {
        self.in_flight.fetch_add(1, Ordering::SeqCst);
        if self
            .tx
            .send(Task {
                kind,
                id,
                steal,
                attempt,
            })
            .is_err()
        {
            self.done();
        }
    }

    fn done(&self) {
        if self.in_flight.fetch_sub(1, Ordering::SeqCst) == 1 {
            self.idle.notify_waiters();
        }
    }

    /// Tasks queued or running.
    pub fn in_flight(&self) -> usize {
        self.in_flight.load(Ordering::SeqCst)
    }

    /// Waits until no task is queued or running.
    pub async fn wait_idle(&self) {
        loop {
            let notified = self.idle.notified();
            if self.in_flight() == 0 {
                return;
            }
            notified.await;
        }
    }
}

/// A queue and the receiving end its executor takes.
pub fn queue() -> (IngestQueue, LocalIngestExecutor) {
    let (tx, rx) = mpsc::unbounded_channel();
    let q = IngestQueue {
        tx,
        in_flight: Arc::new(AtomicUsize::new(0)),
        idle: Arc::new(Notify::new()),
    };
    (
        q.clone(),
        LocalIngestExecutor {
            queue: q,
            rx: Some(rx),
            lock: None,
        },
    )
}

/// Runs the tasks of an [`IngestQueue`].
pub struct LocalIngestExecutor {
    queue: IngestQueue,
    rx: Option<mpsc::UnboundedReceiver<Task>>,
    lock: Option<File>,
}

impl LocalIngestExecutor {
    /// Takes the data directory's executor lock; fails if another process holds it.
    pub fn lock(&mut self, data_dir: &Path) -> std::io::Result<()> {
        let path = data_dir.join("ingest.lock");
        let file = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)?;
        match file.try_lock() {
            Ok(()) => {
                self.lock = Some(file);
                Ok(())
            }
            Err(std::fs::TryLockError::WouldBlock) => Err(std::io::Error::other(format!(
                "another stratus process runs the ingestions of {}",
                data_dir.display()
            ))),
            Err(std::fs::TryLockError::Error(e)) => Err(e),
        }
    }

    /// Starts the executor: recovers PENDING work left by a previous process, then runs what
    /// is queued with at most `downloads` scene tasks and `tiles` tile tasks at once. Returns
    /// how many tasks were recovered.
    pub async fn start(
        &mut self,
        runner: IngestRunner,
        downloads: usize,
        tiles: usize,
    ) -> Result<usize> {
        let Some(mut rx) = self.rx.take() else {
            return Ok(0);
        };
        let store = runner.ports().store.clone();
        let recovered = enqueue_pending(&*store, &self.queue, true).await?;
        let queue = self.queue.clone();
        let scene_permits = Arc::new(Semaphore::new(downloads.max(1)));
        let tile_permits = Arc::new(Semaphore::new(tiles.max(1)));
        let owner_base = format!("local/{}", uuid::Uuid::new_v4().simple());
        let seq = Arc::new(AtomicU64::new(0));
        let runner = Arc::new(runner);
        tokio::spawn(async move {
            loop {
                let task = tokio::select! {
                    t = rx.recv() => match t { Some(t) => t, None => return },
                    () = tokio::time::sleep(SWEEP_EVERY) => {
                        if queue.in_flight() == 0
                            && let Err(e) = enqueue_pending(&*store, &queue, false).await
                        {
                            tracing::warn!(error = %e, "could not read pending ingestion work");
                        }
                        continue;
                    }
                };
                let permits = match task.kind {
                    Kind::Scene => scene_permits.clone(),
                    Kind::Tile => tile_permits.clone(),
                };
                let (runner, queue) = (runner.clone(), queue.clone());
                let owner = format!("{owner_base}/{}", seq.fetch_add(1, Ordering::Relaxed));
                tokio::spawn(async move {
                    let Ok(permit) = permits.acquire_owned().await else {
                        queue.done();
                        return;
                    };
                    let outcome = match task.kind {
                        Kind::Scene => runner.run_scene(task.id, &owner, task.steal).await,
                        Kind::Tile => runner.run_tile(task.id, &owner, task.steal).await,
                    };
                    drop(permit);
                    match outcome {
                        Ok(o) => {
                            for t in o.tiles {
                                queue.push(Kind::Tile, t, false, 0);
                            }
                            if o.again {
                                let pause =
                                    Duration::from_secs(1 << task.attempt.min(5)).min(MAX_BACKOFF);
                                let q = queue.clone();
                                q.in_flight.fetch_add(1, Ordering::SeqCst);
                                tokio::spawn(async move {
                                    tokio::time::sleep(pause).await;
                                    q.push(task.kind, task.id, false, task.attempt + 1);
                                    q.done();
                                });
                            }
                        }
                        Err(e) => {
                            tracing::error!(kind = ?task.kind, id = task.id, error = %e, "ingestion task failed");
                        }
                    }
                    queue.done();
                });
            }
        });
        Ok(recovered)
    }

    /// The queue.
    pub fn queue(&self) -> &IngestQueue {
        &self.queue
    }
}

async fn enqueue_pending(
    store: &dyn IngestStore,
    queue: &IngestQueue,
    steal: bool,
) -> Result<usize> {
    let pending = store.pending(u64::MAX / 2).await?;
    let mut n = 0;
    for w in pending {
        match w {
            Work::Scene(id) => {
                queue.push(Kind::Scene, id, steal, 0);
                n += 1;
            }
            Work::Tiles(ids) => {
                for id in ids {
                    queue.push(Kind::Tile, id, steal, 0);
                    n += 1;
                }
            }
        }
    }
    Ok(n)
}
