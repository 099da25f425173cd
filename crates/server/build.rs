//! Embeds the web assets into the binary: the SDK bundle (when `sdk/dist` was built) and the
//! demo console (every file at the top of `web/`), so `liveroom` runs as a single file. The
//! console's FLV player, mpegts.js, comes from the SDK's pinned npm devDependency (installed
//! by `npm --prefix sdk ci`, which both scripts run) rather than a committed copy.
//! scripts/test-second-clone.sh checks that a second checkout sharing the target dir embeds its own files.
use std::path::Path;

fn main() {
    // The folder cargo runs this script for, read now: `env!` would fix the folder this script was compiled in,
    // and cargo reuses one compiled build script for every checkout built into the same target dir.
    let manifest_dir = std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR");
    let root = Path::new(&manifest_dir).join("../..");
    let sdk = root.join("sdk/dist/zego-client.js");
    let web = root.join("web");
    println!("cargo:rerun-if-changed={}", sdk.display());
    println!("cargo:rerun-if-changed={}", web.display());
    let sdk_line = if sdk.exists() {
        format!("Some(include_str!({:?}))", sdk.canonicalize().unwrap())
    } else {
        println!("cargo:warning=sdk/dist/zego-client.js not built: /sdk/zego-client.js will answer 503 (run npm --prefix sdk run build)");
        "None".to_string()
    };
    let mut files = Vec::new();
    if let Ok(dir) = std::fs::read_dir(&web) {
        for entry in dir.flatten() {
            let path = entry.path();
            let name = entry.file_name().to_string_lossy().to_string();
            let servable = ["html", "js", "css", "svg", "png", "ico", "json"]
                .iter()
                .any(|ext| name.ends_with(&format!(".{ext}")));
            if path.is_file()
                && servable
                && !name.starts_with('.')
                && name != "package.json"
                && name != "package-lock.json"
            {
                println!("cargo:rerun-if-changed={}", path.display());
                files.push(format!(
                    "({name:?}, include_bytes!({:?}) as &[u8])",
                    path.canonicalize().unwrap()
                ));
            }
        }
    }
    // Served as /console/mpegts.min.js (the name the console loads).
    let mpegts = root.join("sdk/node_modules/mpegts.js/dist/mpegts.js");
    println!("cargo:rerun-if-changed={}", mpegts.display());
    if mpegts.is_file() {
        files.push(format!(
            "(\"mpegts.min.js\", include_bytes!({:?}) as &[u8])",
            mpegts.canonicalize().unwrap()
        ));
    } else {
        println!("cargo:warning=sdk/node_modules/mpegts.js missing: the console's FLV view is off (run npm --prefix sdk ci)");
    }
    files.sort();
    let out = Path::new(&std::env::var("OUT_DIR").unwrap()).join("assets.rs");
    std::fs::write(
        out,
        format!(
            "pub const SDK_BUNDLE: Option<&str> = {sdk_line};\n/// (file name, contents) of the demo console in `web/`.\npub const WEB_FILES: &[(&str, &[u8])] = &[{}];\n",
            files.join(", ")
        ),
    )
    .unwrap();
}
