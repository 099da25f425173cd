//! Embeds the web assets into the binary: the SDK bundle (when `sdk/dist` was built) and the
//! landing page, so `liveroom` runs as a single file.
use std::path::Path;

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let sdk = root.join("sdk/dist/zego-client.js");
    let index = root.join("web/index.html");
    println!("cargo:rerun-if-changed={}", sdk.display());
    println!("cargo:rerun-if-changed={}", index.display());
    let sdk_line = if sdk.exists() {
        format!("Some(include_str!({:?}))", sdk.canonicalize().unwrap())
    } else {
        println!("cargo:warning=sdk/dist/zego-client.js not built: /sdk/zego-client.js will answer 503 (run npm --prefix sdk run build)");
        "None".to_string()
    };
    let index_line = if index.exists() {
        format!("include_str!({:?})", index.canonicalize().unwrap())
    } else {
        "\"<!doctype html><title>Liveroom</title><p>Liveroom server is running.</p>\"".to_string()
    };
    let out = Path::new(&std::env::var("OUT_DIR").unwrap()).join("assets.rs");
    std::fs::write(
        out,
        format!("pub const SDK_BUNDLE: Option<&str> = {sdk_line};\npub const INDEX_HTML: &str = {index_line};\n"),
    )
    .unwrap();
}
