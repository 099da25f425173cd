//! The SDK log collector behind `/log` (WebSocket frames or POST bodies of "\n"-joined JSON
//! lines). Lines are stored per app and user as JSON lines, `<dir>/<appid>/<user>.jsonl`,
//! rotated to `.1.jsonl`, `.2.jsonl`… when a file reaches its size cap.

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
    /// Serializes writes; logs are small and rare next to media.
    lock: Mutex<HashMap<PathBuf, u64>>,
}

/// What one batch did.
#[derive(Debug, Default, PartialEq)]
pub struct Stored {
    pub stored: usize,
    pub rejected: usize,
}

impl LogCollector {
    pub fn new(dir: PathBuf, max_file_bytes: u64, max_files: u32) -> std::io::Result<LogCollector> {
        std::fs::create_dir_all(&dir)?;
        Ok(LogCollector {
            dir,
            max_file_bytes,
            max_files,
            lock: Mutex::new(HashMap::new()),
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
        let c = LogCollector::new(dir.clone(), 300, 2).unwrap();
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
}
