//! The analyst's replay on both shapes: `cartcast replay` yields a scripted
//! scenario's events exactly, in global order, filters them, stops and
//! resumes without gap or duplicate, writes Parquet that reads back, and
//! `GET /api/v1/events` pages the same feed for an analyst.

use std::path::Path;

use parquet::file::reader::{FileReader, SerializedFileReader};
use parquet::record::Field;
use serde_json::{Value, json};

use cartcast_domain::Role;
use cartcast_tests::{Client, Deployment, Shape};

/// What the scenario does, in the order it is done: (aggregate type, event type).
const SCENARIO: [(&str, &str); 8] = [
    ("Product", "ProductCreated"),
    ("Product", "UnitsReserved"),
    ("Product", "ReservationReleased"),
    ("Product", "UnitsReserved"),
    ("Order", "OrderPlaced"),
    ("Order", "PaymentCaptured"),
    ("Order", "OrderConfirmed"),
    ("Product", "UnitsSold"),
];

/// `cartcast replay` against the deployment's store; stdout and stderr.
fn replay(deployment: &Deployment, args: &[&str]) -> (String, String) {
    let output = deployment.tool(&[&["replay"], args].concat());
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(output.status.success(), "replay {args:?} failed: {stderr}");
    (String::from_utf8(output.stdout).expect("UTF-8"), stderr)
}

fn lines(ndjson: &str) -> Vec<Value> {
    ndjson.lines().map(|line| serde_json::from_str(line).expect("a JSON line")).collect()
}

fn kinds(events: &[Value]) -> Vec<(String, String)> {
    events
        .iter()
        .map(|e| (e["aggregate_type"].as_str().unwrap().to_owned(), e["type"].as_str().unwrap().to_owned()))
        .collect()
}

fn positions(events: &[Value]) -> Vec<u64> {
    events.iter().map(|e| e["position"].as_u64().unwrap()).collect()
}

/// The scenario on a new product of 3 units: a hold given back, a second hold bought. The order id.
async fn scripted_sale(client: &Client, product_id: &str) -> String {
    let ann = client.token("ann", Role::Viewer);
    let reserve = |client: &Client| {
        let path = format!("/api/v1/products/{product_id}/reservations");
        let ann = ann.clone();
        let client = client.clone();
        async move {
            let held = client.post(&path, &ann, None, json!({"quantity": 1})).await.unwrap();
            assert_eq!(held.status, 201, "{}", held.body);
            held.body["reservation_id"].as_str().unwrap().to_owned()
        }
    };
    let first = reserve(client).await;
    let released = client.delete(&format!("/api/v1/reservations/{first}"), &ann, None).await.unwrap();
    assert!(released.status < 300, "{}", released.body);
    let second = reserve(client).await;
    let paid = client
        .post(&format!("/api/v1/reservations/{second}/checkout"), &ann, None, json!({"card": "4242424242424242"}))
        .await
        .unwrap();
    assert_eq!(paid.status, 201, "{}", paid.body);
    paid.body["order_id"].as_str().unwrap().to_owned()
}

async fn replay_yields_the_scenario_and_resumes_without_gap(shape: Shape) {
    let mut deployment = Deployment::start(shape, &[]).await.expect("start");
    let client = deployment.client();
    let order_id = scripted_sale(&client, &client.create_product("seller-1", 3).await.expect("product")).await;

    let (all, stderr) = replay(&deployment, &[]);
    let all = lines(&all);
    let expected: Vec<(String, String)> = SCENARIO.iter().map(|(a, t)| ((*a).to_owned(), (*t).to_owned())).collect();
    assert_eq!(kinds(&all), expected, "exactly the scenario's events, in the order they happened");
    let positions = positions(&all);
    assert!(positions.windows(2).all(|pair| pair[0] < pair[1]), "global order: {positions:?}");
    let last = positions[7];
    assert!(stderr.contains(&format!("8 events written; stopped at position {last}")), "{stderr}");

    let (head, stderr) = replay(&deployment, &["--to", &positions[2].to_string()]);
    assert!(stderr.contains(&format!("stopped at position {}", positions[2])), "{stderr}");
    let (rest, _) = replay(&deployment, &["--after", &positions[2].to_string()]);
    let mut resumed = lines(&head);
    resumed.extend(lines(&rest));
    assert_eq!(resumed, all, "stopping and resuming loses nothing and repeats nothing");

    let count = |args: &[&str]| lines(&replay(&deployment, args).0).len();
    assert_eq!(count(&["--type", "UnitsReserved"]), 2);
    assert_eq!(count(&["--type", "UnitsReserved", "--type", "UnitsSold"]), 3);
    assert_eq!(count(&["--aggregate-type", "Order"]), 3);
    assert_eq!(count(&["--aggregate-id", &order_id]), 3);
    assert_eq!(count(&["--since", "2100-01-01T00:00:00Z"]), 0);
    assert_eq!(count(&["--until", "2100-01-01T00:00:00Z"]), 8);

    let file = cartcast_tests::temp_dir("replay").join("events.parquet");
    let (stdout, _) = replay(&deployment, &["--format", "parquet", "--out", &file.display().to_string()]);
    assert!(stdout.is_empty(), "Parquet went to the file");
    assert_eq!(parquet_rows(&file), all.iter().map(row_of).collect::<Vec<_>>());

    events_endpoint_pages_the_same_feed(&deployment, &all).await;
    deployment.stop().await.expect("clean stop");
}

/// What a Parquet row and a JSON line share: position, aggregate, type, version, actor and payload.
fn row_of(line: &Value) -> (u64, String, String, String, u32, String, Value) {
    (
        line["position"].as_u64().unwrap(),
        line["aggregate_type"].as_str().unwrap().to_owned(),
        line["aggregate_id"].as_str().unwrap().to_owned(),
        line["type"].as_str().unwrap().to_owned(),
        line["version"].as_str().unwrap().parse().unwrap(),
        line["metadata"]["actor"].as_str().unwrap().to_owned(),
        line["payload"].clone(),
    )
}

/// Reads the file back with the `parquet` crate, row by row.
fn parquet_rows(path: &Path) -> Vec<(u64, String, String, String, u32, String, Value)> {
    let reader = SerializedFileReader::new(std::fs::File::open(path).expect("the file")).expect("a Parquet file");
    let text = |field: &Field| match field {
        Field::Str(text) => text.clone(),
        other => panic!("not text: {other:?}"),
    };
    reader
        .get_row_iter(None)
        .expect("rows")
        .map(|row| {
            let row = row.expect("a row");
            let column = |name: &str| row.get_column_iter().find(|(n, _)| *n == name).map(|(_, f)| f.clone()).unwrap();
            let Field::ULong(position) = column("position") else { panic!("position is not u64") };
            let Field::UInt(version) = column("event_version") else { panic!("event_version is not u32") };
            assert!(matches!(column("occurred_at"), Field::TimestampMicros(_)), "occurred_at is a timestamp");
            (
                position,
                text(&column("aggregate_type")),
                text(&column("aggregate_id")),
                text(&column("event_type")),
                version,
                text(&column("actor")),
                serde_json::from_str(&text(&column("payload"))).expect("the payload is JSON"),
            )
        })
        .collect()
}

/// `GET /api/v1/events` in pages of three gives what the replay gave, for
/// an analyst only.
async fn events_endpoint_pages_the_same_feed(deployment: &Deployment, all: &[Value]) {
    let client = deployment.client();
    let analyst = client.token("nora", Role::Analyst);
    let mut paged = Vec::new();
    let mut after = 0;
    loop {
        let page = client.get(&format!("/api/v1/events?after={after}&limit=3"), Some(&analyst)).await.unwrap();
        assert_eq!(page.status, 200, "{:?}", page.body);
        let mut page = lines(page.body.as_str().expect("NDJSON text"));
        let end = page.pop().expect("the page's last line");
        assert_eq!(end["count"].as_u64(), Some(page.len() as u64), "{end}");
        paged.extend(page);
        after = end["resume_after"].as_u64().expect("where to resume");
        if end["more"] == false {
            break;
        }
    }
    assert_eq!(paged, all, "the pages add up to the replay");

    let head = client.get(&format!("/api/v1/events?to={}", all[2]["position"]), Some(&analyst)).await.unwrap();
    let mut head = lines(head.body.as_str().unwrap());
    let end = head.pop().expect("the page's last line");
    assert_eq!((head.as_slice(), &end["resume_after"]), (&all[..3], &all[2]["position"]), "`to` stops the page");
    let orders = client.get("/api/v1/events?type=OrderPlaced,OrderConfirmed", Some(&analyst)).await.unwrap();
    assert_eq!(lines(orders.body.as_str().unwrap()).len(), 3, "two events and the last line");
    let viewer = client.get("/api/v1/events", Some(&client.token("ann", Role::Viewer))).await.unwrap();
    assert_eq!((viewer.status, viewer.code()), (403, Some("forbidden")));
    let too_many = client.get("/api/v1/events?limit=0", Some(&analyst)).await.unwrap();
    assert_eq!((too_many.status, too_many.code()), (422, Some("invalid_input")));
}

#[tokio::test]
async fn embedded_replay_yields_the_scenario_and_resumes_without_gap() {
    replay_yields_the_scenario_and_resumes_without_gap(Shape::Embedded).await;
}

#[tokio::test]
async fn distributed_replay_yields_the_scenario_and_resumes_without_gap() {
    replay_yields_the_scenario_and_resumes_without_gap(Shape::Distributed).await;
}

/// `--show` keeps the show's own events, its product's (from when the show
/// lists it) and that product's orders, and nothing of a product sold elsewhere.
#[tokio::test]
async fn replay_of_a_show_keeps_what_belongs_to_it() {
    let mut deployment = Deployment::start(Shape::Embedded, &[]).await.expect("start");
    let client = deployment.client();
    let product_id = client.create_product("seller-1", 3).await.expect("product");
    let elsewhere = client.create_product("seller-2", 1).await.expect("product");
    let creator = client.token("seller-1", Role::Creator);
    let created = client
        .post("/api/v1/shows", &creator, None, json!({"title": "Friday drop", "product_ids": [product_id]}))
        .await
        .unwrap();
    assert_eq!(created.status, 201, "{}", created.body);
    let show_id = created.body["show_id"].as_str().unwrap().to_owned();
    let order_id = scripted_sale(&client, &product_id).await;
    scripted_sale(&client, &elsewhere).await;

    let (shown, _) = replay(&deployment, &["--show", &show_id]);
    let shown = lines(&shown);
    let ids: Vec<&str> = shown.iter().map(|e| e["aggregate_id"].as_str().unwrap()).collect();
    assert!(ids.contains(&show_id.as_str()), "the show's own events: {ids:?}");
    assert!(!ids.contains(&elsewhere.as_str()), "nothing of a product sold elsewhere: {ids:?}");
    assert_eq!(ids.iter().filter(|id| **id == product_id).count(), 4, "the product's events once listed");
    assert_eq!(ids.iter().filter(|id| **id == order_id).count(), 3, "its order's three");
    let (after_show, _) = replay(&deployment, &["--show", &show_id, "--after", &shown[4]["position"].to_string()]);
    assert_eq!(lines(&after_show), shown[5..].to_vec(), "a show's replay resumes too");

    let analyst = client.token("nora", Role::Analyst);
    let opened = client.get("/api/v1/events?type=ChannelOpened", Some(&analyst)).await.unwrap();
    let opened = lines(opened.body.as_str().expect("NDJSON text"));
    assert_eq!(opened[0]["payload"]["stream_key"], "[redacted]", "no stream key over HTTP: {}", opened[0]);
    deployment.stop().await.expect("clean stop");
}
