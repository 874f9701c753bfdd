//! The web UI as both shapes' API serves it: pages answer the app's HTML
//! with a Content-Security-Policy that allows no inline script, hashed
//! assets are cached for ever (and gzipped for clients that take it), and
//! paths that are neither stay the API's JSON 404.

use cartcast_tests::{Deployment, Shape};

#[tokio::test]
async fn embedded_serves_the_web_ui() {
    serves_the_web_ui(Shape::Embedded).await;
}

#[tokio::test]
async fn distributed_serves_the_web_ui() {
    serves_the_web_ui(Shape::Distributed).await;
}

async fn serves_the_web_ui(shape: Shape) {
    let deployment = Deployment::start(shape, &[]).await.expect("start");
    // reqwest is built without decompression here: bodies arrive as sent.
    let http = reqwest::Client::new();
    let get = |path: &str, gzip: bool| {
        let request = http.get(format!("{}{path}", deployment.url));
        let request = if gzip { request.header("Accept-Encoding", "gzip") } else { request };
        async move { request.send().await.unwrap() }
    };

    let mut scripts = Vec::new();
    for page in ["/", "/shows/some-show", "/studio", "/studio/shows/some-show", "/channels/cleo", "/signin", "/audit"] {
        let answer = get(page, false).await;
        assert_eq!(answer.status(), 200, "{shape:?} {page}");
        let header = |name: &str| answer.headers().get(name).map(|v| v.to_str().unwrap().to_owned());
        assert_eq!(header("content-type").as_deref(), Some("text/html; charset=utf-8"), "{page}");
        assert_eq!(header("cache-control").as_deref(), Some("no-cache"), "{page}");
        let csp = header("content-security-policy").unwrap_or_default();
        assert!(csp.contains("script-src 'self';") && !csp.contains("unsafe-inline"), "{page}: {csp}");
        let html = answer.text().await.unwrap();
        assert!(html.contains("<div id=\"app\"></div>"), "{page}");
        assert!(!html.contains("<script>") && !html.contains("<script type=\"module\">"), "no inline script: {html}");
        scripts.extend(html.split("src=\"").skip(1).filter_map(|s| s.split('"').next()).map(str::to_owned));
    }
    let script = scripts.iter().find(|src| src.starts_with("/assets/") && src.ends_with(".js")).expect("a script");

    let plain = get(script, false).await;
    assert_eq!(plain.headers()["content-type"], "text/javascript; charset=utf-8");
    assert_eq!(plain.headers()["cache-control"], "public, max-age=31536000, immutable");
    assert!(plain.headers().get("content-encoding").is_none());
    let plain_len = plain.bytes().await.unwrap().len();
    let packed = get(script, true).await;
    assert_eq!(packed.headers()["content-encoding"], "gzip");
    assert!(packed.bytes().await.unwrap().len() * 2 < plain_len, "gzip halves the script at least");

    for missing in ["/assets/nope.js", "/nope"] {
        assert_eq!(get(missing, false).await.status(), 404, "{missing}");
    }
    let api_missing = get("/api/v1/nope", false).await;
    assert_eq!(api_missing.headers()["content-type"], "application/json");
}
