//! The object store on the local filesystem.
//!
//! `key` maps to `{root}/{key}`; its media type is kept in a sidecar `{dir}/.{name}.type`.
//! Writes go to a temporary file in the same directory and are renamed into place, so readers
//! never see a partial object. Keys are validated: no absolute paths, `.`/`..`/empty segments,
//! or segments starting with `.` (reserved for sidecars and temporary files).

use std::io::{Read, Seek, SeekFrom};
use std::ops::Range;
use std::path::{Path, PathBuf};

use async_trait::async_trait;
use bytes::Bytes;
use stratus_core::ports::{ObjectMeta, ObjectStore};
use stratus_core::{Error, Result};

/// Object store on a directory.
#[derive(Debug, Clone)]
pub struct FsObjectStore {
    root: PathBuf,
    public_url: String,
}

impl FsObjectStore {
    /// A store rooted at `root` (created if missing) whose objects are served at
    /// `{public_url}/objects/{key}`.
    pub fn new(root: impl Into<PathBuf>, public_url: impl Into<String>) -> Result<Self> {
        let root = root.into();
        std::fs::create_dir_all(&root)
            .map_err(|e| Error::backend(format!("create {}", root.display()), e))?;
        Ok(FsObjectStore {
            root,
            public_url: public_url.into().trim_end_matches('/').to_string(),
        })
    }

    /// The directory holding the objects.
    pub fn root(&self) -> &Path {
        &self.root
    }

    fn path(&self, key: &str) -> Result<PathBuf> {
        validate_key(key)?;
        Ok(self.root.join(key))
    }
}

/// Refuses keys that could escape the root or clash with sidecars.
pub fn validate_key(key: &str) -> Result<()> {
    let ok = !key.is_empty()
        && key.len() <= 1024
        && !key.contains('\\')
        && !key.contains('\0')
        && key
            .split('/')
            .all(|seg| !seg.is_empty() && !seg.starts_with('.'));
    if ok {
        Ok(())
    } else {
        Err(Error::parameter(
            "key",
            format!(
                "'{}' is not a valid object key",
                key.chars().take(200).collect::<String>()
            ),
        ))
    }
}

fn type_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.type"))
}

fn io_err(what: &str, key: &str) -> impl FnOnce(std::io::Error) -> Error {
    let what = format!("{what} {key}");
    let key = key.to_string();
    move |e| {
        if e.kind() == std::io::ErrorKind::NotFound {
            Error::NoSuchObject(key)
        } else {
            Error::backend(what, e)
        }
    }
}

fn guess_type(key: &str) -> &'static str {
    match key.rsplit('.').next() {
        Some("json") => "application/json",
        Some("geojson") => "application/geo+json",
        Some("tif" | "tiff") => "image/tiff; application=geotiff",
        Some("png") => "image/png",
        Some("txt") => "text/plain",
        Some("html") => "text/html",
        _ => "application/octet-stream",
    }
}

fn meta_of(path: &Path, key: &str) -> Result<ObjectMeta> {
    let md = std::fs::metadata(path).map_err(io_err("stat", key))?;
    if !md.is_file() {
        return Err(Error::NoSuchObject(key.to_string()));
    }
    let content_type =
        std::fs::read_to_string(type_path(path)).unwrap_or_else(|_| guess_type(key).to_string());
    Ok(ObjectMeta {
        key: key.to_string(),
        size: md.len(),
        content_type,
    })
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T> + Send + 'static) -> Result<T> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| Error::backend("object store task", e))?
}

fn write_atomically(path: &Path, body: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir)?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{name}.{}.tmp", uuid::Uuid::new_v4().simple()));
    std::fs::write(&tmp, body)?;
    std::fs::rename(&tmp, path).inspect_err(|_| {
        let _ = std::fs::remove_file(&tmp);
    })
}

/// Every file (objects, sidecars, temporaries) under `dir`, recursively.
fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    let entries = match std::fs::read_dir(dir) {
        Ok(e) => e,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e),
    };
    for entry in entries {
        let entry = entry?;
        let ft = entry.file_type()?;
        if ft.is_dir() {
            walk(&entry.path(), out)?;
        } else {
            out.push(entry.path());
        }
    }
    Ok(())
}

impl FsObjectStore {
    /// Files under the deepest directory named by `prefix`, with their keys (`None` for
    /// sidecars and temporary files), restricted to keys or paths starting with `prefix`.
    fn files_under(&self, prefix: &str) -> Result<Vec<(PathBuf, Option<String>)>> {
        if prefix.contains("..") || prefix.starts_with('/') {
            return Err(Error::parameter("prefix", "not a valid key prefix"));
        }
        let dir_part = match prefix.rfind('/') {
            Some(i) => &prefix[..i],
            None => "",
        };
        let mut files = Vec::new();
        walk(&self.root.join(dir_part), &mut files)
            .map_err(|e| Error::backend(format!("list {prefix}"), e))?;
        let mut out = Vec::new();
        for path in files {
            let Ok(rel) = path.strip_prefix(&self.root) else {
                continue;
            };
            let rel = rel.to_string_lossy().replace('\\', "/");
            let name = rel.rsplit('/').next().unwrap_or("");
            if name.starts_with('.') {
                // A sidecar or temporary file belongs to the object named inside it.
                let dir = rel
                    .rsplit_once('/')
                    .map(|(d, _)| format!("{d}/"))
                    .unwrap_or_default();
                let owner = format!("{dir}{}", name.trim_start_matches('.'));
                if owner.starts_with(prefix) {
                    out.push((path, None));
                }
            } else if rel.starts_with(prefix) {
                out.push((path, Some(rel)));
            }
        }
        Ok(out)
    }
}

fn prune_empty_dirs(root: &Path, mut dir: Option<&Path>) {
    while let Some(d) = dir {
        if d == root || !d.starts_with(root) || std::fs::remove_dir(d).is_err() {
            break;
        }
        dir = d.parent();
    }
}

#[async_trait]
impl ObjectStore for FsObjectStore {
    async fn put(&self, key: &str, body: Bytes, content_type: &str) -> Result<()> {
        let path = self.path(key)?;
        let key = key.to_string();
        let content_type = content_type.to_string();
        blocking(move || {
            write_atomically(&type_path(&path), content_type.as_bytes())
                .and_then(|()| write_atomically(&path, &body))
                .map_err(|e| Error::backend(format!("write {key}"), e))
        })
        .await
    }

    async fn get(&self, key: &str) -> Result<(Bytes, ObjectMeta)> {
        let path = self.path(key)?;
        let key = key.to_string();
        blocking(move || {
            let meta = meta_of(&path, &key)?;
            let body = std::fs::read(&path).map_err(io_err("read", &key))?;
            Ok((Bytes::from(body), meta))
        })
        .await
    }

    async fn get_range(&self, key: &str, range: Range<u64>) -> Result<Bytes> {
        let path = self.path(key)?;
        let key = key.to_string();
        blocking(move || {
            let mut file = std::fs::File::open(&path).map_err(io_err("open", &key))?;
            let size = file.metadata().map_err(io_err("stat", &key))?.len();
            let start = range.start.min(size);
            let end = range.end.min(size).max(start);
            file.seek(SeekFrom::Start(start))
                .map_err(io_err("seek", &key))?;
            let mut buf = vec![0u8; (end - start) as usize];
            file.read_exact(&mut buf).map_err(io_err("read", &key))?;
            Ok(Bytes::from(buf))
        })
        .await
    }

    async fn head(&self, key: &str) -> Result<ObjectMeta> {
        let path = self.path(key)?;
        let key = key.to_string();
        blocking(move || meta_of(&path, &key)).await
    }

    async fn list(&self, prefix: &str) -> Result<Vec<ObjectMeta>> {
        let this = self.clone();
        let prefix = prefix.to_string();
        blocking(move || {
            let mut metas = Vec::new();
            for (path, key) in this.files_under(&prefix)? {
                if let Some(key) = key {
                    match meta_of(&path, &key) {
                        Ok(m) => metas.push(m),
                        Err(Error::NoSuchObject(_)) => {}
                        Err(e) => return Err(e),
                    }
                }
            }
            metas.sort_by(|a, b| a.key.cmp(&b.key));
            Ok(metas)
        })
        .await
    }

    async fn delete_prefix(&self, prefix: &str) -> Result<u64> {
        let this = self.clone();
        let prefix = prefix.to_string();
        blocking(move || {
            let mut removed = 0;
            for (path, key) in this.files_under(&prefix)? {
                match std::fs::remove_file(&path) {
                    Ok(()) => removed += u64::from(key.is_some()),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => return Err(Error::backend(format!("delete {}", path.display()), e)),
                }
                prune_empty_dirs(&this.root, path.parent());
            }
            Ok(removed)
        })
        .await
    }

    fn href(&self, key: &str) -> String {
        format!("{}/objects/{key}", self.public_url)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn contract() {
        let dir = tempfile::tempdir().unwrap();
        let store = FsObjectStore::new(dir.path(), "http://127.0.0.1:8080").unwrap();
        stratus_core::contract::object_store(&store).await;
    }

    #[tokio::test]
    async fn hrefs_point_at_the_server() {
        let dir = tempfile::tempdir().unwrap();
        let store = FsObjectStore::new(dir.path(), "http://h:1/").unwrap();
        assert_eq!(
            store.href("results/a/b.tif"),
            "http://h:1/objects/results/a/b.tif"
        );
    }
}
