//! The layout's rules, checked on the sources (outside `#[cfg(test)]` code): no module uses a
//! module that uses it back, and the invariants of docs/architecture.md that the text can show.
//!
//! A module may use its ancestors (a backend uses its folder's contract) and its parent picks
//! its children, but between any other two modules the uses go one way only, so each folder can
//! be read (and changed) knowing only what lies below it. Uses are every `crate::` and `super::`
//! path, resolved to the longest module it names.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

type Graph = BTreeMap<String, BTreeSet<String>>;

#[test]
fn no_module_uses_a_module_that_uses_it_back() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for dir in ["src", "tools/src", "tools/riak-standin/src"] {
        let graph = graph(&modules(&root.join(dir)));
        let cycles = cycles(&graph);
        assert!(cycles.is_empty(), "import cycles in {dir}: {cycles:?}");
    }
}

#[test]
fn the_check_sees_a_cycle_between_siblings_but_not_a_use_of_the_parent() {
    let sources = BTreeMap::from([
        ("page".to_string(), "use crate::routes::encode;".to_string()),
        (
            "routes".to_string(),
            "fn f() { crate::page::render() }".to_string(),
        ),
        (
            "store".to_string(),
            "mod embedded; use embedded::Embedded;".to_string(),
        ),
        (
            "store::embedded".to_string(),
            "use super::Store;".to_string(),
        ),
    ]);
    let found = cycles(&graph(&sources));
    assert_eq!(
        found,
        vec![vec!["page".to_string(), "routes".into(), "page".into()]]
    );
}

/// The service's modules (`src/`), by path, tests cut off.
fn service() -> BTreeMap<String, String> {
    modules(&Path::new(env!("CARGO_MANIFEST_DIR")).join("src"))
}

/// The modules outside `folder` (a module path) whose text contains `needle`.
fn naming(needle: &str, folder: &str) -> Vec<String> {
    let inside = |m: &str| m == folder || m.starts_with(&format!("{folder}::"));
    service()
        .into_iter()
        .filter(|(m, text)| !inside(m) && text.contains(needle))
        .map(|(m, _)| m)
        .collect()
}

#[test]
fn only_the_crate_root_uses_the_http_front() {
    // The root declares `http` and so names it without `crate::`; any other module would not.
    for path in ["crate::http::", "crate::http;", "super::http::"] {
        assert_eq!(naming(path, "http"), Vec::<String>::new(), "{path}");
    }
}

#[test]
fn only_the_riak_backend_speaks_to_riak_and_only_the_cache_to_memcached() {
    for wire in ["quick_protobuf", "ureq"] {
        assert_eq!(naming(wire, "store::riak"), Vec::<String>::new(), "{wire}");
    }
    for client in ["memcached::", "McSocket"] {
        assert_eq!(naming(client, "cache"), Vec::<String>::new(), "{client}");
    }
}

#[test]
fn every_error_status_is_picked_in_reject_rs() {
    let sources = service();
    assert!(
        !sources["error"]
            .split(|c: char| !c.is_ascii_digit())
            .any(|n| n.len() == 3),
        "the domain error names no status code"
    );
    // Every other answer is a 200: a literal status elsewhere would be a second place.
    for (module, text) in &sources {
        for call in ["Response::json(", "Response::html(", "Response::new("] {
            for (i, _) in text.match_indices(call) {
                let rest = &text[i + call.len()..];
                let status = &rest[..rest.find(',').unwrap_or(rest.len())];
                let mut numbers = status.split(|c: char| !c.is_ascii_digit());
                assert!(
                    module == "http::reject" || numbers.all(|n| n.is_empty() || n == "200"),
                    "{module}: {call}{status}"
                );
            }
        }
    }
}

#[test]
fn every_request_passes_the_guard_and_only_the_guard_reads_credentials() {
    let routes = &service()["http::routes"];
    let handle = &routes[routes
        .find("pub(crate) fn handle(")
        .expect("routes::handle")..];
    let check = handle
        .find("guard.check(req)")
        .expect("handle calls the guard");
    assert!(
        check < handle.find("dispatch(").unwrap(),
        "before any route's handler"
    );
    assert_eq!(
        naming("\"authorization\"", "http::guard"),
        Vec::<String>::new()
    );
}

#[test]
fn values_are_validated_only_in_contact_rs() {
    for limit in [
        "MAX_NAME_GRAPHEMES",
        "MAX_NAME_BYTES",
        "MAX_MARKS",
        "MIN_DIGITS",
        "MAX_DIGITS",
        "MAX_PAGE",
    ] {
        assert_eq!(naming(limit, "contact"), Vec::<String>::new(), "{limit}");
    }
}

#[test]
fn no_request_reads_the_file_system_and_no_crate_has_unsafe_code() {
    for (module, text) in service().iter().filter(|(m, _)| m.starts_with("http")) {
        assert!(
            !text.contains("fs::") && !text.contains("File::"),
            "{module}"
        );
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for crate_root in [
        "src/lib.rs",
        "src/main.rs",
        "tools/src/main.rs",
        "tools/riak-standin/src/lib.rs",
    ] {
        let text = std::fs::read_to_string(root.join(crate_root)).unwrap();
        assert!(text.contains("#![forbid(unsafe_code)]"), "{crate_root}");
    }
}

/// Module path (`http::routes`; the crate root is "") → its source, tests cut off.
fn modules(dir: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                todo.push(path);
                continue;
            }
            let rel = path.strip_prefix(dir).unwrap().with_extension("");
            let mut parts: Vec<String> = rel.iter().map(|p| p.to_string_lossy().into()).collect();
            let last = parts.last().cloned().unwrap_or_default();
            if last.ends_with("_tests") || path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            if ["mod", "lib", "main"].contains(&last.as_str()) {
                parts.pop();
            }
            let text = std::fs::read_to_string(&path).unwrap();
            let text = text.split("#[cfg(test)]\nmod ").next().unwrap().to_string();
            out.insert(parts.join("::"), text);
        }
    }
    out
}

/// Who uses whom, leaving out uses between a module and its ancestors.
fn graph(sources: &BTreeMap<String, String>) -> Graph {
    let mut graph = Graph::new();
    for (module, text) in sources {
        let uses = graph.entry(module.clone()).or_default();
        for path in paths(text) {
            if let Some(target) = resolve(sources, module, &path) {
                if !related(module, &target) {
                    uses.insert(target);
                }
            }
        }
    }
    graph
}

/// Every `crate::a::b` / `super::a` path, with `use x::{a, b}` groups expanded one level.
fn paths(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (i, _) in text
        .match_indices("crate::")
        .chain(text.match_indices("super::"))
    {
        let rest = &text[i..];
        let end = rest
            .find(|c: char| !(c.is_alphanumeric() || c == '_' || c == ':'))
            .unwrap_or(rest.len());
        let head = rest[..end].trim_end_matches(':').to_string();
        if rest[end..].starts_with('{') && rest[..end].ends_with("::") {
            let group = &rest[end + 1..rest.find('}').unwrap_or(rest.len())];
            for item in group
                .split(',')
                .map(|s| s.split_whitespace().next().unwrap_or(""))
            {
                out.push(format!("{head}::{item}"));
            }
        }
        out.push(head);
    }
    out
}

/// The longest module `path` names, seen from `module`.
fn resolve(sources: &BTreeMap<String, String>, module: &str, path: &str) -> Option<String> {
    let mut parts: Vec<&str> = path.split("::").collect();
    let mut base: Vec<&str> = Vec::new();
    if parts[0] == "crate" {
        parts.remove(0);
    } else {
        base = module.split("::").filter(|s| !s.is_empty()).collect();
        while parts.first() == Some(&"super") {
            parts.remove(0);
            base.pop();
        }
    }
    (0..=parts.len())
        .rev()
        .map(|i| [&base[..], &parts[..i]].concat().join("::"))
        .find(|m| sources.contains_key(m) && m != module)
}

/// One module is the other's ancestor: a child uses its parent's contract by design.
fn related(a: &str, b: &str) -> bool {
    let under = |x: &str, y: &str| x.is_empty() || y.starts_with(&format!("{x}::"));
    under(a, b) || under(b, a)
}

/// Every cycle a depth-first walk meets, each as the path that closes it.
fn cycles(graph: &Graph) -> Vec<Vec<String>> {
    fn walk(
        g: &Graph,
        at: &str,
        stack: &mut Vec<String>,
        done: &mut BTreeSet<String>,
        found: &mut Vec<Vec<String>>,
    ) {
        stack.push(at.to_string());
        for next in g.get(at).into_iter().flatten() {
            if let Some(i) = stack.iter().position(|m| m == next) {
                found.push([&stack[i..], std::slice::from_ref(next)].concat());
            } else if !done.contains(next) {
                walk(g, next, stack, done, found);
            }
        }
        stack.pop();
        done.insert(at.to_string());
    }
    let (mut done, mut found) = (BTreeSet::new(), Vec::new());
    for module in graph.keys() {
        if !done.contains(module) {
            walk(graph, module, &mut Vec::new(), &mut done, &mut found);
        }
    }
    found
}
