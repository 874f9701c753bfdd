//! Builds the web UI (`npm run build`: types generated from the two contracts,
//! `tsc`, then Vite) into `OUT_DIR/dist`, gzips what compresses, and writes
//! `OUT_DIR/assets.rs`: one [`Asset`] per file, embedded with `include_bytes!`.
//! `npm ci` runs first when `package-lock.json` changed since the last install.

use std::env;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use flate2::Compression;
use flate2::write::GzEncoder;

/// What the build reads: a change to any of these rebuilds the UI.
const INPUTS: &[&str] = &[
    "app",
    "scripts",
    "package.json",
    "package-lock.json",
    "tsconfig.json",
    "vite.config.ts",
    "../command-api/openapi.json",
    "../realtime/frames.schema.json",
];

fn main() {
    let web = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"));
    let out = PathBuf::from(env::var("OUT_DIR").expect("cargo sets OUT_DIR"));
    for input in INPUTS {
        println!("cargo::rerun-if-changed={}", web.join(input).display());
    }
    install(&web);
    let dist = out.join("dist");
    // Last build's gzipped files would linger under their old hashes.
    let _ = fs::remove_dir_all(out.join("gz"));
    npm(&web, &["run", "build", "--", "--outDir", path_str(&dist), "--emptyOutDir"]);
    let mut files = Vec::new();
    walk(&dist, &mut files);
    files.sort();
    let table = files.iter().map(|file| entry(&dist, &out, file)).collect::<Vec<_>>().join("");
    fs::write(out.join("assets.rs"), format!("&[\n{table}]\n")).expect("writing assets.rs");
}

/// `npm ci` unless `node_modules` was installed from this very lockfile.
fn install(web: &Path) {
    let lock = fs::read(web.join("package-lock.json")).expect("web/package-lock.json is checked in");
    let stamp = web.join("node_modules").join(".cartcast-installed-lock");
    if fs::read(&stamp).ok().as_deref() == Some(lock.as_slice()) {
        return;
    }
    npm(web, &["ci", "--no-audit", "--no-fund"]);
    fs::write(&stamp, lock).expect("writing node_modules/.cartcast-installed-lock");
}

fn npm(web: &Path, args: &[&str]) {
    let status = Command::new("npm").args(args).current_dir(web).status().unwrap_or_else(|error| {
        panic!("the web UI needs Node.js 20 and npm on PATH (scripts/deps installs them): {error}")
    });
    assert!(status.success(), "web build: `npm {}` failed ({status}); its output is above", args.join(" "));
}

fn walk(dir: &Path, files: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap_or_else(|error| panic!("reading {}: {error}", dir.display())) {
        let path = entry.expect("a readable directory entry").path();
        if path.is_dir() { walk(&path, files) } else { files.push(path) }
    }
}

/// One `Asset { … }` line: the URL path, its type, whether its name is
/// content-hashed (so it may be cached for ever), the bytes and their gzip.
fn entry(dist: &Path, out: &Path, file: &Path) -> String {
    let relative = file.strip_prefix(dist).expect("under dist").to_string_lossy().replace('\\', "/");
    let url = format!("/{relative}");
    let kind = content_type(&relative);
    let hashed = relative.starts_with("assets/");
    let body = fs::read(file).expect("reading a built file");
    let gzip = compressible(kind).then(|| gzip(&body)).filter(|packed| packed.len() < body.len());
    let gzip = match gzip {
        Some(packed) => {
            let path = out.join("gz").join(format!("{relative}.gz"));
            fs::create_dir_all(path.parent().expect("a parent")).expect("creating gz/");
            fs::write(&path, packed).expect("writing a gzipped asset");
            format!("Some(include_bytes!({:?}))", path_str(&path))
        }
        None => "None".to_owned(),
    };
    format!(
        "    Asset {{ path: {url:?}, content_type: {kind:?}, hashed: {hashed}, body: include_bytes!({:?}), gzip: {gzip} }},\n",
        path_str(file)
    )
}

fn content_type(path: &str) -> &'static str {
    match path.rsplit('.').next().unwrap_or_default() {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "json" | "map" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "woff2" => "font/woff2",
        "txt" => "text/plain; charset=utf-8",
        other => panic!("web build: no content type known for .{other} ({path})"),
    }
}

fn compressible(content_type: &str) -> bool {
    content_type.starts_with("text/") || content_type == "application/json" || content_type == "image/svg+xml"
}

fn gzip(body: &[u8]) -> Vec<u8> {
    let mut encoder = GzEncoder::new(Vec::new(), Compression::best());
    encoder.write_all(body).expect("gzip into memory");
    encoder.finish().expect("gzip into memory")
}

fn path_str(path: &Path) -> &str {
    path.to_str().expect("build paths are UTF-8")
}
