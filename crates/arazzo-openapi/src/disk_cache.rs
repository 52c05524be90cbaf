//! An optional on-disk cache of parsed descriptions, so that repeated runs
//! (CI) of a workflow over a large OpenAPI description do not parse it
//! again: reading the 2.8 MB OpenAI description from the cache takes a few
//! milliseconds, parsing it about 80 (docs/performance.md).
//!
//! An entry is keyed by a SHA-256 of everything that decides the parse: the
//! document's bytes, the [`Limits`] it is loaded with, and the encoding's
//! format and crate version ([`arazzo_model::load::cache`]). Its file is
//! named by the key in hex, so two paths with the same content share one
//! entry, and an edited document is a new entry (the old one ages out).
//!
//! The cache never fails a load: a directory that cannot be created, read or
//! written, an entry that is truncated, corrupt, of another version or for
//! other bytes, is a miss, and the document is parsed as without a cache.
//! What happened is kept as notes ([`DiskCache::take_notes`]) for a verbose
//! mode to show.

use std::fs;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use arazzo_model::Diagnostic;
use arazzo_model::load::cache::{self, KEY_LEN};
use arazzo_model::load::{Limits, Loaded};
use sha2::{Digest, Sha256};

/// The extension of an entry's file (`<64 hex digits>.arzc`).
const EXTENSION: &str = "arzc";

/// The most notes kept between two [`DiskCache::take_notes`].
const MAX_NOTES: usize = 256;

/// Temporary files left by a process that died while writing are removed
/// by the next writer once they are this old.
const STALE_TEMP: Duration = Duration::from_secs(10 * 60);

/// A directory of parsed documents, shared by every load that is given it.
///
/// Only documents of at least [`DiskCache::min_bytes`] are cached. An entry
/// reads faster than its document parses at any size (4 KB: 0.06 against
/// 0.2 ms), but below 32 KiB the time saved is under a millisecond, not
/// worth an entry per small file. Entries are written
/// atomically (a temporary file in the same directory, renamed), readable
/// only by their owner on unix (files 0600, the directory created 0700). The
/// directory is bounded ([`DiskCache::max_bytes`], [`DiskCache::max_files`]):
/// each write evicts the least recently used entries (by modification time,
/// which a hit refreshes) until both bounds hold.
///
/// Cheap to clone: the clones share their notes.
#[derive(Debug, Clone)]
pub struct DiskCache {
    dir: PathBuf,
    min_bytes: usize,
    max_bytes: u64,
    max_files: usize,
    notes: Arc<Mutex<Vec<String>>>,
}

impl DiskCache {
    /// Documents smaller than this (32 KiB) are parsed, not cached.
    pub const DEFAULT_MIN_BYTES: usize = 32 * 1024;
    /// The default bound on the directory's entries: 256 MiB in all.
    pub const DEFAULT_MAX_BYTES: u64 = 256 * 1024 * 1024;
    /// The default bound on the number of entries: 1024.
    pub const DEFAULT_MAX_FILES: usize = 1024;

    /// A cache in `dir` (created, 0700, on the first write) with the
    /// default bounds.
    pub fn new(dir: impl Into<PathBuf>) -> DiskCache {
        DiskCache {
            dir: dir.into(),
            min_bytes: Self::DEFAULT_MIN_BYTES,
            max_bytes: Self::DEFAULT_MAX_BYTES,
            max_files: Self::DEFAULT_MAX_FILES,
            notes: Arc::default(),
        }
    }

    /// The same cache, caching documents of at least `bytes` bytes.
    pub fn with_min_bytes(mut self, bytes: usize) -> DiskCache {
        self.min_bytes = bytes;
        self
    }

    /// The same cache, bounded to `bytes` bytes and `files` entries.
    pub fn with_bounds(mut self, bytes: u64, files: usize) -> DiskCache {
        self.max_bytes = bytes;
        self.max_files = files;
        self
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The smallest document cached, in bytes.
    pub fn min_bytes(&self) -> usize {
        self.min_bytes
    }

    /// The bound on the entries' total size, in bytes.
    pub fn max_bytes(&self) -> u64 {
        self.max_bytes
    }

    /// The bound on the number of entries.
    pub fn max_files(&self) -> usize {
        self.max_files
    }

    /// What the cache did since the last call, one line each (a hit, a
    /// write, a miss and why; the last 256): for a verbose mode.
    pub fn take_notes(&self) -> Vec<String> {
        self.notes
            .lock()
            .map(|mut n| std::mem::take(&mut *n))
            .unwrap_or_default()
    }

    /// Keeps `text` for [`DiskCache::take_notes`]; only the last
    /// [`MAX_NOTES`] are kept, for an embedder that never takes them.
    fn note(&self, text: String) {
        if let Ok(mut n) = self.notes.lock() {
            if n.len() >= MAX_NOTES {
                n.remove(0);
            }
            n.push(text);
        }
    }

    /// Loads `bytes` read from `name` as [`arazzo_model::load::load_with`]
    /// does, from the cache when it holds them, else by parsing them (and
    /// then writing the entry). The result is the same either way, spans
    /// included; errors are never cached.
    pub fn load(&self, name: &str, bytes: &[u8], limits: Limits) -> Result<Loaded, Diagnostic> {
        if bytes.len() < self.min_bytes {
            return arazzo_model::load::load_with(name, bytes, limits);
        }
        self.load_owned(name, bytes.to_vec(), limits)
    }

    /// [`DiskCache::load`] of bytes the caller is done with (they become
    /// the document's text without a copy).
    pub fn load_owned(
        &self,
        name: &str,
        bytes: Vec<u8>,
        limits: Limits,
    ) -> Result<Loaded, Diagnostic> {
        if bytes.len() < self.min_bytes {
            return arazzo_model::load::load_with(name, &bytes, limits);
        }
        let key = key(&bytes, limits);
        let file = arazzo_model::load::decode_owned(name, bytes, limits)?;
        let path = self.dir.join(format!("{}.{EXTENSION}", hex(&key)));
        let text_len = file.text().len();
        match self.read(&path) {
            Some(data) => match cache::decode(&key, text_len, &data) {
                Some((value, spans)) => {
                    // A hit is a use: the entry is the last to be evicted.
                    touch(&path);
                    self.note(format!("cache: {name} read from {}", path.display()));
                    return Ok(Loaded { file, value, spans });
                }
                None => self.note(format!(
                    "cache: {} is not a valid entry for {name} (parsed instead)",
                    path.display()
                )),
            },
            None => self.note(format!("cache: no entry for {name}")),
        }
        let loaded = arazzo_model::load::load_file(file, limits)?;
        match cache::encode(&key, text_len, &loaded.value, &loaded.spans) {
            Some(data) => match self.write(&path, &data) {
                Ok(()) => self.note(format!("cache: {name} written to {}", path.display())),
                Err(e) => self.note(format!(
                    "cache: could not write {}: {e} (the cache is skipped)",
                    path.display()
                )),
            },
            None => self.note(format!("cache: {name} nests too deeply to be cached")),
        }
        Ok(loaded)
    }

    /// The entry at `path`, if it can be read and is within the size bound.
    fn read(&self, path: &Path) -> Option<Vec<u8>> {
        let f = fs::File::open(path).ok()?;
        let len = f.metadata().ok()?.len();
        if len > self.max_bytes {
            return None;
        }
        let mut data = Vec::with_capacity(usize::try_from(len).ok()?);
        f.take(len).read_to_end(&mut data).ok()?;
        Some(data)
    }

    /// Writes `data` to `path` atomically, then evicts entries beyond the bounds.
    fn write(&self, path: &Path, data: &[u8]) -> std::io::Result<()> {
        if data.len() as u64 > self.max_bytes {
            return Err(std::io::Error::other(
                "the entry is larger than the cache's size bound",
            ));
        }
        create_dir(&self.dir)?;
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let temp = self.dir.join(format!(
            ".tmp-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        let written = (|| {
            let mut f = create_private(&temp)?;
            f.write_all(data)?;
            fs::rename(&temp, path)
        })();
        if written.is_err() {
            let _ = fs::remove_file(&temp);
        }
        written?;
        self.evict(path);
        Ok(())
    }

    /// Removes the least recently used entries (never `keep`, just written)
    /// until the directory holds at most `max_files` entries of at most
    /// `max_bytes` in all, and temporary files a dead writer left.
    fn evict(&self, keep: &Path) {
        let Ok(dir) = fs::read_dir(&self.dir) else {
            return;
        };
        let now = SystemTime::now();
        let mut entries = Vec::new();
        for e in dir.flatten() {
            let path = e.path();
            let Ok(meta) = e.metadata() else { continue };
            let modified = meta.modified().unwrap_or(SystemTime::UNIX_EPOCH);
            let name = e.file_name();
            let name = name.to_string_lossy();
            if name.starts_with(".tmp-") {
                if now.duration_since(modified).unwrap_or_default() > STALE_TEMP {
                    let _ = fs::remove_file(&path);
                }
            } else if meta.is_file() && is_entry_name(&name) {
                entries.push((modified, meta.len(), path));
            }
        }
        let mut total: u64 = entries.iter().map(|e| e.1).sum();
        let mut count = entries.len();
        entries.sort_by_key(|e| e.0);
        for (_, len, path) in entries {
            if total <= self.max_bytes && count <= self.max_files {
                break;
            }
            if path == keep {
                continue;
            }
            if fs::remove_file(&path).is_ok() {
                total = total.saturating_sub(len);
                count -= 1;
            }
        }
    }
}

/// The key of `bytes` loaded with `limits`: a SHA-256 (SHA-NI where the
/// processor has it: about 1.5 ms for 2.8 MB, docs/performance.md).
fn key(bytes: &[u8], limits: Limits) -> [u8; KEY_LEN] {
    let mut h = Sha256::new();
    h.update(b"arazzo-run parsed document\0");
    h.update(cache::MAGIC);
    h.update(cache::FORMAT_VERSION.to_le_bytes());
    h.update(cache::CRATE_VERSION.as_bytes());
    for n in [limits.max_depth, limits.max_alias_nodes, limits.max_bytes] {
        h.update((n as u64).to_le_bytes());
    }
    h.update((bytes.len() as u64).to_le_bytes());
    h.update(bytes);
    h.finalize().into()
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// `<64 hex digits>.arzc`: only such files are the cache's to evict.
fn is_entry_name(name: &str) -> bool {
    name.strip_suffix(&format!(".{EXTENSION}"))
        .is_some_and(|h| h.len() == 2 * KEY_LEN && h.bytes().all(|b| b.is_ascii_hexdigit()))
}

/// Marks the entry at `path` used now (best effort).
fn touch(path: &Path) {
    if let Ok(f) = fs::OpenOptions::new().append(true).open(path) {
        let _ = f.set_modified(SystemTime::now());
    }
}

/// Creates `dir` and its parents, the new ones 0700 on unix.
fn create_dir(dir: &Path) -> std::io::Result<()> {
    let mut b = fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        b.mode(0o700);
    }
    b.create(dir)
}

/// Creates a new file readable and writable only by its owner on unix.
fn create_private(path: &Path) -> std::io::Result<fs::File> {
    let mut o = fs::OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    o.open(path)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn temp_dir(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!(
            "arazzo-disk-cache-{name}-{}-{}",
            std::process::id(),
            SystemTime::now()
                .duration_since(SystemTime::UNIX_EPOCH)
                .unwrap_or_default()
                .as_nanos()
        ));
        let _ = fs::remove_dir_all(&d);
        d
    }

    fn doc(i: usize) -> String {
        let mut s = format!("openapi: 3.1.0\ninfo: {{title: t{i}, version: '1'}}\npaths:\n");
        for p in 0..40 {
            s.push_str(&format!("  /p{p}:\n    get: {{operationId: op{p}}}\n"));
        }
        s
    }

    fn entries(dir: &Path) -> Vec<PathBuf> {
        let mut v: Vec<_> = fs::read_dir(dir)
            .map(|d| d.flatten().map(|e| e.path()).collect())
            .unwrap_or_default();
        v.sort();
        v
    }

    #[test]
    fn a_second_load_hits_and_gives_the_same_document() {
        let dir = temp_dir("hit");
        let cache = DiskCache::new(&dir).with_min_bytes(0);
        let text = doc(0);
        let first = cache
            .load("a.yaml", text.as_bytes(), Limits::default())
            .unwrap();
        assert_eq!(entries(&dir).len(), 1);
        let notes = cache.take_notes();
        assert!(notes.iter().any(|n| n.contains("written")), "{notes:?}");
        let second = cache
            .load("b.yaml", text.as_bytes(), Limits::default())
            .unwrap();
        let notes = cache.take_notes();
        assert!(notes.iter().any(|n| n.contains("read from")), "{notes:?}");
        assert_eq!(first.value, second.value);
        assert_eq!(second.file.name(), "b.yaml");
        let p = "/paths/~1p7/get/operationId";
        assert_eq!(
            first.locate(p, arazzo_model::Part::Value).span,
            second.locate(p, arazzo_model::Part::Value).span
        );
        // Other limits are another entry.
        let limits = Limits {
            max_alias_nodes: 5,
            ..Limits::default()
        };
        cache.load("a.yaml", text.as_bytes(), limits).unwrap();
        assert_eq!(entries(&dir).len(), 2);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode(&dir), 0o700);
            for e in entries(&dir) {
                assert_eq!(mode(&e), 0o600);
            }
        }
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn small_documents_and_errors_are_not_cached() {
        let dir = temp_dir("small");
        let cache = DiskCache::new(&dir);
        cache
            .load("a.yaml", doc(0).as_bytes(), Limits::default())
            .unwrap();
        let cache = cache.with_min_bytes(0);
        assert!(cache.load("bad.yaml", b"a: [", Limits::default()).is_err());
        assert!(entries(&dir).is_empty());
    }

    #[test]
    fn a_corrupt_entry_is_a_miss_and_is_replaced() {
        let dir = temp_dir("corrupt");
        let cache = DiskCache::new(&dir).with_min_bytes(0);
        let text = doc(1);
        let parsed = cache
            .load("a.yaml", text.as_bytes(), Limits::default())
            .unwrap();
        let entry = entries(&dir).pop().unwrap();
        let good = fs::read(&entry).unwrap();
        for bad in [
            Vec::new(),
            good[..good.len() / 2].to_vec(),
            good.iter().map(|b| b ^ 0x55).collect(),
        ] {
            fs::write(&entry, &bad).unwrap();
            cache.take_notes();
            let loaded = cache
                .load("a.yaml", text.as_bytes(), Limits::default())
                .unwrap();
            assert_eq!(loaded.value, parsed.value);
            let notes = cache.take_notes();
            assert!(
                notes.iter().any(|n| n.contains("not a valid entry")),
                "{notes:?}"
            );
            assert_eq!(fs::read(&entry).unwrap(), good);
        }
        let _ = fs::remove_dir_all(&dir);
    }

    #[test]
    fn an_unwritable_directory_is_a_miss() {
        let dir = temp_dir("unwritable");
        // A file where the directory should be: nothing can be created in it.
        fs::write(&dir, b"not a directory").unwrap();
        let cache = DiskCache::new(dir.join("sub")).with_min_bytes(0);
        let loaded = cache.load("a.yaml", doc(2).as_bytes(), Limits::default());
        assert!(loaded.is_ok());
        let notes = cache.take_notes();
        assert!(
            notes.iter().any(|n| n.contains("could not write")),
            "{notes:?}"
        );
        let _ = fs::remove_file(&dir);
    }

    #[test]
    fn writes_evict_the_least_recently_used_entries() {
        let dir = temp_dir("evict");
        let cache = DiskCache::new(&dir)
            .with_min_bytes(0)
            .with_bounds(u64::MAX, 3);
        let t0 = SystemTime::now() - Duration::from_secs(1000);
        let mut paths = Vec::new();
        for i in 0..3 {
            cache
                .load("a.yaml", doc(i).as_bytes(), Limits::default())
                .unwrap();
            let new: Vec<_> = entries(&dir)
                .into_iter()
                .filter(|p| !paths.contains(p))
                .collect();
            let p = new.into_iter().next().unwrap();
            // Entries of distinct ages, the first the oldest.
            fs::File::options()
                .append(true)
                .open(&p)
                .unwrap()
                .set_modified(t0 + Duration::from_secs(i as u64 * 10))
                .unwrap();
            paths.push(p);
        }
        // A hit on the oldest makes it the most recent.
        cache
            .load("a.yaml", doc(0).as_bytes(), Limits::default())
            .unwrap();
        // Someone else's file in the directory is left alone.
        fs::write(dir.join("README"), b"mine").unwrap();
        cache
            .load("a.yaml", doc(3).as_bytes(), Limits::default())
            .unwrap();
        let left = entries(&dir);
        assert_eq!(left.len(), 4, "{left:?}");
        assert!(left.contains(&paths[0]));
        assert!(!left.contains(&paths[1]));
        assert!(left.contains(&paths[2]));
        // A size bound below two entries keeps only the one just written.
        let size = fs::metadata(&paths[0]).unwrap().len();
        let cache = cache.with_bounds(size + size / 2, 100);
        cache
            .load("a.yaml", doc(4).as_bytes(), Limits::default())
            .unwrap();
        let left = entries(&dir);
        assert_eq!(left.len(), 2, "{left:?}");
        assert!(left.contains(&dir.join("README")));
        let _ = fs::remove_dir_all(&dir);
    }
}
