//! The SDK log collector behind `/log` (WebSocket frames or POST bodies of "\n"-joined JSON
//! lines). Lines are stored per app and user as JSON lines, `<dir>/<appid>/<user>.jsonl`,
//! rotated to `.1.jsonl`, `.2.jsonl`… when a file reaches its size cap. The files are counted
//! (those on disk at start too): past `max_users` (app, user) files a new user's lines are
//! refused, so lines without a login cannot grow the folder or this table without bound. The
//! most disk it uses is `max_users × (max_files + 1) × max_file_bytes`.

use std::collections::HashMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Longest line kept; longer ones are cut (the SDK caps content at 4500 characters).
pub const MAX_LINE_BYTES: usize = 8 * 1024;
/// Largest POST body or WebSocket frame taken by `/log`.
pub const MAX_BATCH_BYTES: usize = 1024 * 1024;
/// Longest user part of a file name.
const MAX_NAME: usize = 64;

pub struct LogCollector {
    dir: PathBuf,
    max_file_bytes: u64,
    max_files: u32,
    max_users: usize,
    /// Serializes writes; logs are small and rare next to media. The size of every current
    /// (app, user) file.
    lock: Mutex<HashMap<PathBuf, u64>>,
    /// Lines refused because `max_users` files exist (logged at powers of two).
    refused_users: std::sync::atomic::AtomicU64,
}

/// What one batch did.
#[derive(Debug, Default, PartialEq)]
pub struct Stored {
    pub stored: usize,
    pub rejected: usize,
}

impl LogCollector {
    pub fn new(
        dir: PathBuf,
        max_file_bytes: u64,
        max_files: u32,
        max_users: usize,
    ) -> std::io::Result<LogCollector> {
        std::fs::create_dir_all(&dir)?;
        let sizes = current_files(&dir);
        Ok(LogCollector {
            dir,
            max_file_bytes,
            max_files,
            max_users,
            lock: Mutex::new(sizes),
            refused_users: std::sync::atomic::AtomicU64::new(0),
        })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Stores every line that is a JSON object; others are counted as rejected.
    pub fn store_batch(&self, batch: &str) -> Stored {
        let mut out = Stored::default();
        let mut sizes = crate::sync::lock(&self.lock);
        for line in batch.split('\n').map(str::trim).filter(|l| !l.is_empty()) {
            let line = if line.len() > MAX_LINE_BYTES {
                cut(line)
            } else {
                line.to_string()
            };
            let Ok(serde_json::Value::Object(obj)) =
                serde_json::from_str::<serde_json::Value>(&line)
            else {
                out.rejected += 1;
                continue;
            };
            let appid = field(&obj, "appid");
            let user = ["userid", "id_name", "userName"]
                .iter()
                .map(|k| field(&obj, k))
                .find(|v| !v.is_empty())
                .unwrap_or_default();
            let path = self
                .dir
                .join(safe(&appid, "unknown-app"))
                .join(format!("{}.jsonl", safe(&user, "unknown-user")));
            if !sizes.contains_key(&path) && sizes.len() >= self.max_users {
                let n = self
                    .refused_users
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
                    + 1;
                if n.is_power_of_two() {
                    tracing::warn!(path = %path.display(), refused = n, max_users = self.max_users, "SDK log line refused: the collector holds log_collector.max_users files");
                }
                out.rejected += 1;
                continue;
            }
            match self.append(&mut sizes, &path, &line) {
                Ok(()) => out.stored += 1,
                Err(e) => {
                    tracing::warn!(path = %path.display(), error = %e, "cannot store SDK log line");
                    out.rejected += 1;
                }
            }
        }
        out
    }

    fn append(
        &self,
        sizes: &mut HashMap<PathBuf, u64>,
        path: &Path,
        line: &str,
    ) -> std::io::Result<()> {
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let size = match sizes.get(path) {
            Some(s) => *s,
            None => std::fs::metadata(path).map(|m| m.len()).unwrap_or(0),
        };
        let size = if size + line.len() as u64 + 1 > self.max_file_bytes && size > 0 {
            self.rotate(path)?;
            0
        } else {
            size
        };
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)?;
        f.write_all(line.as_bytes())?;
        f.write_all(b"\n")?;
        sizes.insert(path.to_path_buf(), size + line.len() as u64 + 1);
        Ok(())
    }

    fn rotate(&self, path: &Path) -> std::io::Result<()> {
        let numbered = |n: u32| path.with_extension(format!("{n}.jsonl"));
        if self.max_files == 0 {
            return std::fs::remove_file(path);
        }
        let _ = std::fs::remove_file(numbered(self.max_files));
        for n in (1..self.max_files).rev() {
            let _ = std::fs::rename(numbered(n), numbered(n + 1));
        }
        std::fs::rename(path, numbered(1))
    }
}

/// The current (not rotated) files under `dir/<app>/`, with their sizes.
fn current_files(dir: &Path) -> HashMap<PathBuf, u64> {
    let mut out = HashMap::new();
    let Ok(apps) = std::fs::read_dir(dir) else {
        return out;
    };
    for app in apps.flatten().filter(|e| e.path().is_dir()) {
        let Ok(files) = std::fs::read_dir(app.path()) else {
            continue;
        };
        for f in files.flatten() {
            let path = f.path();
            let name = f.file_name().to_string_lossy().to_string();
            let Some(stem) = name.strip_suffix(".jsonl") else {
                continue;
            };
            // `user.2.jsonl` is a rotated file of `user.jsonl`.
            let rotated = stem
                .rsplit_once('.')
                .is_some_and(|(_, n)| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()));
            if !rotated {
                let len = f.metadata().map(|m| m.len()).unwrap_or(0);
                out.insert(path, len);
            }
        }
    }
    out
}

fn field(obj: &serde_json::Map<String, serde_json::Value>, key: &str) -> String {
    match obj.get(key) {
        Some(serde_json::Value::String(s)) => s.clone(),
        Some(serde_json::Value::Number(n)) => n.to_string(),
        _ => String::new(),
    }
}

/// A file-name-safe form of an id: letters, digits, `-`, `_`, `.` (not leading), capped.
fn safe(s: &str, empty: &str) -> String {
    let cleaned: String = s
        .chars()
        .take(MAX_NAME)
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if cleaned.is_empty() {
        empty.to_string()
    } else {
        cleaned
    }
}

/// Cuts an over-long line, keeping it a JSON object that says so.
fn cut(line: &str) -> String {
    let mut end = MAX_LINE_BYTES / 2;
    while !line.is_char_boundary(end) {
        end -= 1;
    }
    serde_json::json!({"truncated": true, "head": &line[..end]}).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stores_per_app_and_user_and_rotates() {
        let dir = std::env::temp_dir().join(format!("liveroom-logs-{}", rand::random::<u64>()));
        let c = LogCollector::new(dir.clone(), 300, 2, 100).unwrap();
        let line = |i: usize| {
            format!(
                r#"{{"time":"t","level":1,"action":"zb.a","content":"{i:0>100}","appid":42,"userid":"al/ice"}}"#
            )
        };
        let batch: Vec<String> = (0..5).map(line).collect();
        let r = c.store_batch(&format!("{}\nnot json\n", batch.join("\n")));
        assert_eq!(
            r,
            Stored {
                stored: 5,
                rejected: 1
            }
        );
        let base = dir.join("42");
        assert!(base.join("al_ice.jsonl").exists());
        assert!(base.join("al_ice.1.jsonl").exists());
        assert!(base.join("al_ice.2.jsonl").exists());
        assert!(!base.join("al_ice.3.jsonl").exists());
        let last = std::fs::read_to_string(base.join("al_ice.jsonl")).unwrap();
        assert!(
            last.ends_with("4\",\"appid\":42,\"userid\":\"al/ice\"}\n"),
            "{last}"
        );
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn new_users_are_refused_past_max_users_also_after_a_restart() {
        let dir = std::env::temp_dir().join(format!("liveroom-logs-{}", rand::random::<u64>()));
        let line = |u: &str| format!(r#"{{"level":1,"content":"x","appid":7,"userid":"{u}"}}"#);
        let c = LogCollector::new(dir.clone(), 1 << 20, 2, 2).unwrap();
        let r = c.store_batch(&[line("a"), line("b"), line("c"), line("a")].join("\n"));
        assert_eq!(
            r,
            Stored {
                stored: 3,
                rejected: 1
            }
        );
        assert!(!dir.join("7").join("c.jsonl").exists());
        // A restarted collector counts the files on disk (rotated ones are not users).
        std::fs::write(dir.join("7").join("a.1.jsonl"), "{}\n").unwrap();
        let c = LogCollector::new(dir.clone(), 1 << 20, 2, 2).unwrap();
        assert_eq!(c.store_batch(&line("d")).rejected, 1);
        assert_eq!(c.store_batch(&line("b")).stored, 1);
        std::fs::remove_dir_all(dir).unwrap();
    }
}
