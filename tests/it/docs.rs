//! The documentation's links: every relative link and image in `README.md` and `docs/*.md`
//! points to a file (or folder) of the repository, and every `#anchor` into a Markdown file to
//! one of its headings (GitHub's slugs). A fresh clone must show what the README promises, so
//! results and charts it links to have to be committed, and a renamed heading is caught here.
//!
//! Links are read from Markdown text (`[text](target)`, `![alt](target)`, `[label]: target`)
//! and from HTML `src="…"`/`href="…"`, outside code blocks and code spans; absolute URLs are
//! left to the reader.

use std::collections::HashSet;
use std::path::{Path, PathBuf};

/// The repository's documentation: the README and every Markdown file under `docs/`.
fn documents(root: &Path) -> Vec<PathBuf> {
    let mut docs = vec![root.join("README.md")];
    if let Ok(entries) = std::fs::read_dir(root.join("docs")) {
        let mut found: Vec<PathBuf> = entries
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "md"))
            .collect();
        found.sort();
        docs.extend(found);
    }
    docs
}

/// Every broken link of `doc`, as `file:line: target (why)`.
fn broken_links(root: &Path, doc: &Path) -> Vec<String> {
    let text = std::fs::read_to_string(doc).unwrap();
    let name = doc.strip_prefix(root).unwrap_or(doc).display().to_string();
    let mut broken = Vec::new();
    for (line, target) in links(&text) {
        if let Err(why) = check(doc, &target) {
            broken.push(format!("{name}:{line}: {target} ({why})"));
        }
    }
    broken
}

/// Whether one link target resolves, from the document `doc`.
fn check(doc: &Path, target: &str) -> Result<(), String> {
    let (path, anchor) = match target.split_once('#') {
        Some((path, anchor)) => (path, Some(anchor)),
        None => (target, None),
    };
    let file = if path.is_empty() {
        doc.to_path_buf()
    } else {
        doc.parent().unwrap().join(percent_decode(path))
    };
    if !file.exists() {
        return Err("no such file".into());
    }
    match anchor {
        Some(anchor) if file.extension().is_some_and(|e| e == "md") => {
            let text = std::fs::read_to_string(&file).unwrap();
            if heading_slugs(&text).contains(&percent_decode(anchor).to_lowercase()) {
                Ok(())
            } else {
                Err("no such heading".into())
            }
        }
        _ => Ok(()),
    }
}

/// The relative link targets of a Markdown text, with their line numbers.
fn links(text: &str) -> Vec<(usize, String)> {
    let mut found = Vec::new();
    let mut fenced = false;
    for (i, line) in text.lines().enumerate() {
        if is_fence(line) {
            fenced = !fenced;
            continue;
        }
        if fenced {
            continue;
        }
        let line_text = without_code_spans(line);
        for target in targets_in(&line_text) {
            let target = target.trim_start_matches('<').trim_end_matches('>');
            let absolute = target.contains("://") || target.starts_with("mailto:");
            if !target.is_empty() && !absolute {
                found.push((i + 1, target.to_string()));
            }
        }
    }
    found
}

/// The raw targets on one line: `](target "title")`, `[label]: target`, `src="…"`, `href="…"`.
fn targets_in(line: &str) -> Vec<String> {
    let mut targets = Vec::new();
    let mut rest = line;
    while let Some(at) = rest.find("](") {
        rest = &rest[at + 2..];
        let end = rest.find(')').unwrap_or(rest.len());
        let inside = rest[..end].split_whitespace().next().unwrap_or("");
        targets.push(inside.to_string());
        rest = &rest[end..];
    }
    let trimmed = line.trim_start();
    if trimmed.starts_with('[') {
        if let Some((_, target)) = trimmed.split_once("]: ") {
            targets.push(target.split_whitespace().next().unwrap_or("").to_string());
        }
    }
    for attr in ["src=\"", "href=\""] {
        let mut rest = line;
        while let Some(at) = rest.find(attr) {
            rest = &rest[at + attr.len()..];
            let end = rest.find('"').unwrap_or(rest.len());
            targets.push(rest[..end].to_string());
        }
    }
    targets
}

/// The line with its `code spans` blanked out.
fn without_code_spans(line: &str) -> String {
    let mut out = String::new();
    for (i, part) in line.split('`').enumerate() {
        if i % 2 == 0 {
            out.push_str(part);
        }
        out.push(' ');
    }
    out
}

fn is_fence(line: &str) -> bool {
    let line = line.trim_start();
    line.starts_with("```") || line.starts_with("~~~")
}

/// GitHub's anchors for the headings of a Markdown text: the heading's text lowercased, with
/// everything but letters, digits, `_`, `-` and spaces dropped and spaces made `-`; a repeated
/// one gets `-1`, `-2`, ….
fn heading_slugs(text: &str) -> HashSet<String> {
    let mut slugs = HashSet::new();
    let mut fenced = false;
    for line in text.lines() {
        if is_fence(line) {
            fenced = !fenced;
        }
        let hashes = line.len() - line.trim_start_matches('#').len();
        let heading = &line[hashes..];
        if fenced || !(1..=6).contains(&hashes) || !heading.starts_with(' ') {
            continue;
        }
        let base = slug(heading);
        let mut candidate = base.clone();
        let mut n = 0;
        while !slugs.insert(candidate.clone()) {
            n += 1;
            candidate = format!("{base}-{n}");
        }
    }
    slugs
}

fn slug(heading: &str) -> String {
    // What GitHub renders: a link's text, not its target.
    let mut text = String::new();
    let mut rest = heading.trim();
    while let Some(at) = rest.find("](") {
        text.push_str(&rest[..at]);
        rest = rest[at..].split_once(')').map_or("", |(_, after)| after);
    }
    text.push_str(rest);
    text.to_lowercase()
        .chars()
        .filter(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | ' '))
        .map(|c| if c == ' ' { '-' } else { c })
        .collect()
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok());
        match hex
            .filter(|_| bytes[i] == b'%')
            .map(|h| u8::from_str_radix(h, 16))
        {
            Some(Ok(byte)) => {
                out.push(byte);
                i += 3;
            }
            _ => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[test]
fn every_relative_link_and_image_of_the_docs_exists() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let broken: Vec<String> = documents(root)
        .iter()
        .flat_map(|doc| broken_links(root, doc))
        .collect();
    assert!(
        broken.is_empty(),
        "broken links in the documentation:\n{}",
        broken.join("\n")
    );
}

#[test]
fn the_link_check_finds_missing_files_and_headings() {
    let dir = std::env::temp_dir().join(format!("phonebook-docs-it-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("img")).unwrap();
    std::fs::write(dir.join("img/a chart.svg"), "<svg/>").unwrap();
    let doc = dir.join("doc.md");
    let text = "# Doc\n\n## What paid off (`GET /x`)\n\n## Set up\n## Set up\n\n\
        ![chart](img/a%20chart.svg) and [gone](img/gone.png \"title\")\n\
        [ok](#what-paid-off-get-x), [twice](doc.md#set-up-1), [bad](#nowhere)\n\
        [web](https://example.com/x.png) `[code](nowhere.md)`\n\
        ```\n[fenced](nowhere.md)\n```\n\
        [ref]: img/missing.svg\n<img src=\"img/a%20chart.svg\"> <a href=\"doc.md#doc\">x</a>\n";
    std::fs::write(&doc, text).unwrap();
    let broken = broken_links(&dir, &doc);
    assert_eq!(
        broken,
        [
            "doc.md:8: img/gone.png (no such file)",
            "doc.md:9: #nowhere (no such heading)",
            "doc.md:14: img/missing.svg (no such file)",
        ]
    );
    std::fs::remove_dir_all(dir).unwrap();
}
