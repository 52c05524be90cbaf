//! Hostile and unusual inputs through the real binary: endless devices,
//! FIFOs, oversized standard input, nesting at and past the limit, documents
//! by URL, `dependsOn` cycles across documents, and redirects of source
//! fetches. Whatever the input, `arazzo-run` ends by itself with a clear
//! error; every run here is killed after a generous timeout, so a hang fails
//! the test instead of stalling the suite.
#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::Value;

/// Longer than any of these runs takes; reached only by a hang.
const KILL_AFTER: Duration = Duration::from_secs(60);

struct Out {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

/// Runs the binary with `args` (and `stdin` written to it, if any), killing
/// it after [`KILL_AFTER`].
fn run_with(
    args: &[&str],
    dir: &Path,
    stdin: Option<Box<dyn FnOnce(std::process::ChildStdin) + Send>>,
) -> Out {
    let mut child = Command::new(env!("CARGO_BIN_EXE_arazzo-run"))
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("CLICOLOR_FORCE")
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let writer = match (stdin, child.stdin.take()) {
        (Some(f), Some(pipe)) => Some(std::thread::spawn(move || f(pipe))),
        _ => None,
    };
    let mut so = child.stdout.take().unwrap();
    let mut se = child.stderr.take().unwrap();
    let out_t = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = so.read_to_string(&mut s);
        s
    });
    let err_t = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = se.read_to_string(&mut s);
        s
    });
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if start.elapsed() > KILL_AFTER {
            let _ = child.kill();
            let _ = child.wait();
            panic!("arazzo-run {args:?} did not end within {KILL_AFTER:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    if let Some(w) = writer {
        let _ = w.join();
    }
    Out {
        code: status.code(),
        stdout: out_t.join().unwrap(),
        stderr: err_t.join().unwrap(),
    }
}

fn run(args: &[&str], dir: &Path) -> Out {
    run_with(args, dir, None)
}

/// A fresh folder for one test.
fn temp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("arazzo-hostile-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn mkfifo(path: &Path) {
    let ok = Command::new("mkfifo").arg(path).status().unwrap().success();
    assert!(ok, "mkfifo {}", path.display());
}

const API: &str = "openapi: 3.0.3
info: {title: t, version: '1'}
servers: [{url: 'http://127.0.0.1:9'}]
paths:
  /ping:
    get:
      operationId: ping
      responses:
        '200': {description: ok}
";

/// An Arazzo document whose one source description is at `url`.
fn arazzo_with_source(url: &str) -> String {
    format!(
        "arazzo: 1.0.1
info: {{title: t, version: '1'}}
sourceDescriptions:
  - {{name: api, url: '{url}', type: openapi}}
workflows:
  - workflowId: main
    steps:
      - stepId: ping
        operationId: ping
        successCriteria: [{{condition: $statusCode == 200}}]
"
    )
}

/// The diagnostics of `validate --format json`.
fn diagnostics(out: &Out) -> Vec<Value> {
    let v: Value = serde_json::from_str(&out.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}\n{}", out.stdout, out.stderr));
    v["files"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|f| f["diagnostics"].as_array().cloned().unwrap_or_default())
        .collect()
}

#[test]
fn validate_refuses_an_endless_device() {
    let out = run(&["validate", "/dev/zero"], &temp("dev-zero"));
    assert_eq!(out.code, Some(2), "{}", out.stderr);
    assert!(out.stderr.contains("/dev/zero"), "{}", out.stderr);
    assert!(out.stderr.contains("not a regular file"), "{}", out.stderr);
}

#[test]
fn an_inputs_file_that_never_ends_is_refused() {
    let dir = temp("inputs-zero");
    std::fs::write(dir.join("api.yaml"), API).unwrap();
    std::fs::write(
        dir.join("doc.arazzo.yaml"),
        arazzo_with_source("./api.yaml"),
    )
    .unwrap();
    let out = run(
        &["run", "doc.arazzo.yaml", "--inputs", "/dev/zero", "--mock"],
        &dir,
    );
    assert_eq!(out.code, Some(2), "{}\n{}", out.stdout, out.stderr);
    assert!(out.stderr.contains("/dev/zero"), "{}", out.stderr);
}

#[test]
fn standard_input_is_read_up_to_the_limit() {
    let feed: Box<dyn FnOnce(std::process::ChildStdin) + Send> = Box::new(|mut pipe| {
        // 80 MiB of a valid YAML comment, more than the 64 MiB limit; the
        // reader stops early, so a write may fail with a broken pipe.
        let chunk = vec![b'#'; 1024 * 1024];
        for _ in 0..80 {
            if pipe.write_all(&chunk).is_err() {
                return;
            }
        }
    });
    let out = run_with(&["validate", "-"], &temp("stdin"), Some(feed));
    assert_eq!(out.code, Some(2), "{}", out.stderr);
    assert!(
        out.stderr
            .contains("standard input is larger than the limit of 64 MiB"),
        "{}",
        out.stderr
    );
}

#[test]
fn a_fifo_is_refused_as_a_document_and_as_a_source_description() {
    let dir = temp("fifo");
    mkfifo(&dir.join("doc.fifo"));
    let out = run(&["validate", "doc.fifo"], &dir);
    assert_eq!(out.code, Some(2), "{}", out.stderr);
    assert!(out.stderr.contains("FIFO"), "{}", out.stderr);
    mkfifo(&dir.join("api.fifo"));
    std::fs::write(
        dir.join("doc.arazzo.yaml"),
        arazzo_with_source("./api.fifo"),
    )
    .unwrap();
    let out = run(&["validate", "doc.arazzo.yaml", "--format", "json"], &dir);
    assert_eq!(out.code, Some(2), "{}", out.stderr);
    let d = diagnostics(&out);
    assert!(
        d.iter()
            .any(|d| d["message"].as_str().unwrap_or("").contains("FIFO")
                && d["file"]
                    .as_str()
                    .is_some_and(|f| f.ends_with("doc.arazzo.yaml"))
                && d["line"] == 4),
        "{d:#?}"
    );
}

/// A document nesting collections `depth` deep: block YAML, flow YAML or JSON.
fn nested(kind: &str, depth: usize) -> String {
    match kind {
        "block" => {
            let mut s = String::new();
            for i in 0..depth - 1 {
                s.push_str(&" ".repeat(i));
                s.push_str("a:\n");
            }
            s.push_str(&" ".repeat(depth - 1));
            s.push_str("b: 1\n");
            s
        }
        "flow" => "{a: ".repeat(depth) + "x" + &"}".repeat(depth),
        _ => "[".repeat(depth) + "1" + &"]".repeat(depth),
    }
}

#[test]
fn nesting_at_the_limit_loads_and_one_level_more_is_too_deep() {
    let dir = temp("nesting");
    for kind in ["block", "flow", "json"] {
        for (depth, too_deep) in [(255, false), (256, true)] {
            let file = format!("{kind}-{depth}.yaml");
            std::fs::write(dir.join(&file), nested(kind, depth)).unwrap();
            let out = run(&["validate", &file, "--format", "json"], &dir);
            let d = diagnostics(&out);
            let deep: Vec<&Value> = d.iter().filter(|d| d["code"] == "too-deep").collect();
            if !too_deep {
                // Not an Arazzo document, but loaded.
                assert!(deep.is_empty(), "{kind} {depth}: {d:#?}");
                continue;
            }
            assert_eq!(deep.len(), 1, "{kind} {depth}: {d:#?}");
            let deep = deep[0];
            assert!(
                deep["message"].as_str().unwrap().contains("255 levels"),
                "{deep}"
            );
            assert_eq!(deep["file"], file.as_str());
            // The 256th collection: the last line of the block document, the
            // 256th bracket of the others.
            let (line, column) = match kind {
                "block" => (256, 256),
                "flow" => (1, 4 * 255 + 1),
                _ => (1, 256),
            };
            assert_eq!(
                (deep["line"].clone(), deep["column"].clone()),
                (line.into(), column.into()),
                "{kind}: {deep}"
            );
        }
    }
}

/// A loopback HTTP server answering GETs by `route(path)` with (status,
/// extra headers, body); it records each request's head.
struct Server {
    base: String,
    requests: Arc<Mutex<Vec<String>>>,
}

type Route = dyn Fn(&str) -> (u16, String, String) + Send + Sync;

fn serve(route: Arc<Route>) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let requests = Arc::new(Mutex::new(Vec::new()));
    let seen = requests.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let route = route.clone();
            let seen = seen.clone();
            std::thread::spawn(move || answer(stream, &*route, &seen));
        }
    });
    Server { base, requests }
}

fn answer(stream: TcpStream, route: &Route, seen: &Mutex<Vec<String>>) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let mut reader = BufReader::new(&stream);
    let mut head = String::new();
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
            break;
        }
        head.push_str(&line);
    }
    let path = head.split_whitespace().nth(1).unwrap_or("/").to_string();
    seen.lock().unwrap().push(head);
    let (status, headers, body) = route(&path);
    let mut w = &stream;
    let _ = write!(
        w,
        "HTTP/1.1 {status} X\r\ncontent-length: {}\r\nconnection: close\r\n{headers}\r\n{body}",
        body.len()
    );
}

#[test]
fn validate_list_and_graph_read_a_document_by_url() {
    let doc = Arc::new(Mutex::new(String::new()));
    let d2 = doc.clone();
    let server = serve(Arc::new(move |path: &str| match path {
        "/doc.arazzo.yaml" => (200, String::new(), d2.lock().unwrap().clone()),
        "/api.yaml" => (200, String::new(), API.to_string()),
        _ => (404, String::new(), String::new()),
    }));
    *doc.lock().unwrap() = arazzo_with_source("./api.yaml");
    let url = format!("{}/doc.arazzo.yaml", server.base);
    let dir = temp("url");
    let out = run(&["validate", &url], &dir);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(
        out.stderr.contains(&format!("{url}: valid")),
        "{}",
        out.stderr
    );
    let out = run(&["list", &url], &dir);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(out.stdout.starts_with("main("), "{}", out.stdout);
    let out = run(&["graph", &url], &dir);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    assert!(out.stdout.contains("flowchart"), "{}", out.stdout);

    // A broken document run by URL points at `validate URL`, which works.
    *doc.lock().unwrap() =
        arazzo_with_source("./api.yaml").replace("operationId: ping", "operationId: pong");
    let out = run(&["run", &url], &dir);
    assert_eq!(out.code, Some(2), "{}", out.stderr);
    let out = run(&["validate", &url, "--format", "json"], &dir);
    assert_eq!(out.code, Some(2), "{}", out.stderr);
    let d = diagnostics(&out);
    assert!(
        d.iter()
            .any(|d| d["file"] == url.as_str()
                && d["message"].as_str().unwrap_or("").contains("pong")),
        "{d:#?}"
    );
}

#[test]
fn a_depends_on_cycle_across_two_documents_is_an_error() {
    let dir = temp("cycle");
    std::fs::write(dir.join("api.yaml"), API).unwrap();
    let doc = |name: &str, other: &str, dep: &str| {
        format!(
            "arazzo: 1.0.1
info: {{title: t, version: '1'}}
sourceDescriptions:
  - {{name: api, url: ./api.yaml, type: openapi}}
  - {{name: other, url: ./{other}, type: arazzo}}
workflows:
  - workflowId: {name}
    dependsOn:
      - $sourceDescriptions.other.{dep}
    steps:
      - stepId: ping
        operationId: ping
"
        )
    };
    std::fs::write(
        dir.join("one.arazzo.yaml"),
        doc("A", "two.arazzo.yaml", "B"),
    )
    .unwrap();
    std::fs::write(
        dir.join("two.arazzo.yaml"),
        doc("B", "one.arazzo.yaml", "A"),
    )
    .unwrap();
    let out = run(&["validate", "one.arazzo.yaml"], &dir);
    assert_eq!(out.code, Some(2), "{}", out.stderr);
    assert!(out.stderr.contains("dependency-cycle"), "{}", out.stderr);
    assert!(out.stderr.contains("one.arazzo.yaml:9:9"), "{}", out.stderr);
    assert!(
        out.stderr.contains("A (one.arazzo.yaml) → B"),
        "{}",
        out.stderr
    );
}

#[test]
fn source_fetches_follow_redirects_only_within_the_origin_and_send_no_referer() {
    let other = serve(Arc::new(|_: &str| (200, String::new(), API.to_string())));
    let target = format!("{}/api.yaml", other.base);
    let origin = serve(Arc::new(move |path: &str| match path {
        "/moved.yaml" => (302, "location: /api.yaml\r\n".to_string(), String::new()),
        "/api.yaml" => (200, String::new(), API.to_string()),
        "/elsewhere.yaml" => (302, format!("location: {target}\r\n"), String::new()),
        _ => (404, String::new(), String::new()),
    }));
    let dir = temp("redirects");

    // Within the origin: followed, and no Referer sent.
    let url = format!("{}/moved.yaml", origin.base);
    std::fs::write(dir.join("same.arazzo.yaml"), arazzo_with_source(&url)).unwrap();
    let out = run(&["validate", "same.arazzo.yaml"], &dir);
    assert_eq!(out.code, Some(0), "{}", out.stderr);
    let heads = origin.requests.lock().unwrap().clone();
    assert_eq!(heads.len(), 2, "{heads:?}");
    assert!(
        heads
            .iter()
            .all(|h| !h.to_ascii_lowercase().contains("referer:")),
        "{heads:?}"
    );

    // To another origin (another port): refused, and never asked.
    let url = format!("{}/elsewhere.yaml", origin.base);
    std::fs::write(dir.join("cross.arazzo.yaml"), arazzo_with_source(&url)).unwrap();
    let out = run(&["validate", "cross.arazzo.yaml"], &dir);
    assert_eq!(out.code, Some(2), "{}", out.stderr);
    assert!(out.stderr.contains("another origin"), "{}", out.stderr);
    assert!(out.stderr.contains(&other.base), "{}", out.stderr);
    assert!(other.requests.lock().unwrap().is_empty());
}
