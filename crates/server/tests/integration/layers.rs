//! The server's folders import one way (see `src/lib.rs`): a module may use the ones listed
//! before it, never one after it, and no two files import each other in a circle. This test
//! reads the sources, so a new import that breaks the layering fails here with its file and line.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The crate's top-level modules in import order (lib.rs declares them in this order).
const LAYERS: &[&str] = &[
    "sync",
    "error",
    "crypto",
    "metrics",
    "config",
    "edge",
    "integrations",
    "rooms",
    "cluster",
    "live",
    "biz",
    "signalling",
    "media",
    "ops",
    "routes",
];

/// Names the crate root exports that any module may use (the composition root's shared state
/// and start-up error); they are not imports of a layer.
const ROOT_ITEMS: &[&str] = &["AppState", "StartError", "start", "Server"];

fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            sources(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// `src/rooms/actor.rs` → `rooms::actor`; `src/rooms/mod.rs` → `rooms`.
fn module_of(src: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(src).unwrap().with_extension("");
    let mut parts: Vec<String> = rel
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    if parts.last().is_some_and(|l| l == "mod") {
        parts.pop();
    }
    parts.join("::")
}

/// Every `crate::a::b` path in the file (outside comments), with its line, resolved to the
/// longest module prefix that exists.
fn imports(text: &str, modules: &BTreeSet<String>) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let code = line.split("//").next().unwrap_or("");
        let mut rest = code;
        while let Some(i) = rest.find("crate::") {
            let tail = &rest[i + "crate::".len()..];
            let path: String = tail
                .chars()
                .take_while(|c| c.is_alphanumeric() || *c == '_' || *c == ':')
                .collect();
            let segs: Vec<&str> = path.split("::").filter(|s| !s.is_empty()).collect();
            let mut best = None;
            for k in (1..=segs.len()).rev() {
                let m = segs[..k].join("::");
                if modules.contains(&m) {
                    best = Some(m);
                    break;
                }
            }
            if let Some(m) = best {
                out.push((n + 1, m));
            } else if let Some(first) = segs.first() {
                // A brace group (`crate::{a, b}`) or a root item.
                if !ROOT_ITEMS.contains(first) && !first.is_empty() {
                    out.push((n + 1, format!("?{first}")));
                }
            } else if tail.starts_with('{') {
                out.push((n + 1, "?{".into()));
            }
            rest = &tail[path.len().max(1).min(tail.len())..];
        }
    }
    out
}

#[test]
fn server_modules_import_one_way_without_circles() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    files.retain(|f| !f.ends_with("main.rs") && !f.ends_with("lib.rs"));
    let modules: BTreeSet<String> = files.iter().map(|f| module_of(&src, f)).collect();
    let mut problems = Vec::new();
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for f in &files {
        let me = module_of(&src, f);
        let top = me.split("::").next().unwrap().to_string();
        let Some(my_layer) = LAYERS.iter().position(|l| *l == top) else {
            problems.push(format!("{me}: top-level module {top} is not in LAYERS"));
            continue;
        };
        let text = std::fs::read_to_string(f).unwrap();
        for (line, m) in imports(&text, &modules) {
            if let Some(odd) = m.strip_prefix('?') {
                problems.push(format!(
                    "{me}:{line}: import crate::{odd}… names no module: write the module path"
                ));
                continue;
            }
            if m == me {
                continue;
            }
            graph.entry(me.clone()).or_default().insert(m.clone());
            let their_top = m.split("::").next().unwrap();
            let their_layer = LAYERS.iter().position(|l| *l == their_top).unwrap();
            if their_layer > my_layer {
                problems.push(format!(
                    "{me}:{line}: imports {m}, a layer above ({top} may use only: {})",
                    LAYERS[..my_layer].join(", ")
                ));
            }
        }
    }
    // File-level circles (within a folder too).
    fn visit(
        n: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        stack: &mut Vec<String>,
        done: &mut BTreeSet<String>,
        found: &mut Vec<String>,
    ) {
        if let Some(i) = stack.iter().position(|s| s == n) {
            found.push(format!("circle: {} -> {n}", stack[i..].join(" -> ")));
            return;
        }
        if !done.insert(n.to_string()) {
            return;
        }
        stack.push(n.to_string());
        for m in graph.get(n).into_iter().flatten() {
            visit(m, graph, stack, done, found);
        }
        stack.pop();
    }
    let mut done = BTreeSet::new();
    for n in graph.keys() {
        visit(n, &graph, &mut Vec::new(), &mut done, &mut problems);
    }
    assert!(
        problems.is_empty(),
        "layering problems:\n{}",
        problems.join("\n")
    );
}
