//! Moving a phone book from the embedded file to Riak with `phonebook export | phonebook
//! import`, through each API: 10,000 contacts, every one read back, and a second import that
//! changes nothing; bad lines; and an import that updates the cache a running service reads.

use crate::support::memcached::Memcached;
use crate::support::riak::{addr_of, call, client, cluster, riak_service_with, APIS};
use crate::support::{embedded_arg, metric, temp_dir};
use riak_standin::StandinOptions;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Instant;

const CONTACTS: usize = 10_000;

/// `phonebook ARGS` in `dir` (no configuration file there) with `input` on standard input.
fn phonebook(dir: &Path, args: &[&str], input: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_phonebook"))
        .args(args)
        .current_dir(dir)
        .env_remove("RUST_LOG")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start phonebook");
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_vec();
    let feeder = std::thread::spawn(move || stdin.write_all(&input));
    let output = child.wait_with_output().unwrap();
    feeder.join().unwrap().expect("phonebook read its input");
    output
}

/// The two commands of the README, piped: export from one store, import into another.
fn pipe(dir: &Path, from: &str, to: &str) -> (Output, Output) {
    let mut export = Command::new(env!("CARGO_BIN_EXE_phonebook"))
        .args(["export", "--store", from])
        .current_dir(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start export");
    let import = Command::new(env!("CARGO_BIN_EXE_phonebook"))
        .args(["import", "--store", to])
        .current_dir(dir)
        .stdin(export.stdout.take().unwrap())
        .output()
        .expect("run import");
    (export.wait_with_output().unwrap(), import)
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn ten_thousand_contacts_move_from_the_embedded_file_to_riak_and_read_back() {
    let dir = temp_dir("transfer");
    let embedded = embedded_arg(&dir);
    let lines: String = (0..CONTACTS)
        .map(|i| format!("{{\"name\":\"Person {i:05} Åberg\",\"number\":\"+358 40 {i:07}\"}}\n"))
        .collect();
    let filled = phonebook(&dir, &["import", "--store", &embedded], lines.as_bytes());
    assert!(filled.status.success(), "{}", stderr(&filled));
    assert!(stderr(&filled).contains(&format!("imported {CONTACTS} contacts, skipped 0 lines")));
    let original = phonebook(&dir, &["export", "--store", &embedded], b"");
    assert!(original.status.success(), "{}", stderr(&original));
    assert_eq!(
        original.stdout.iter().filter(|&&b| b == b'\n').count(),
        CONTACTS
    );
    assert!(stderr(&original).contains(&format!("exported {CONTACTS} contacts")));

    for api in APIS {
        let node = cluster(1, StandinOptions::default()).remove(0);
        let riak = format!("{api}://{}", addr_of(&node, api));
        let start = Instant::now();
        let (export, import) = pipe(&dir, &embedded, &riak);
        let took = start.elapsed();
        assert!(export.status.success(), "{api}: {}", stderr(&export));
        assert!(import.status.success(), "{api}: {}", stderr(&import));
        assert!(
            stderr(&import).contains(&format!("imported {CONTACTS} contacts")),
            "{api}: {}",
            stderr(&import)
        );
        println!("{api}: moved {CONTACTS} contacts in {took:.2?}");

        // Every contact read back: Riak's export, page by page, is the file's, byte for byte.
        let back = phonebook(&dir, &["export", "--store", &riak], b"");
        assert!(back.status.success(), "{api}: {}", stderr(&back));
        assert!(
            back.stdout == original.stdout,
            "{api}: what Riak holds differs"
        );

        // A second move changes nothing.
        let (_, again) = pipe(&dir, &embedded, &riak);
        assert!(again.status.success(), "{api}: {}", stderr(&again));
        let twice = phonebook(&dir, &["export", "--store", &riak], b"");
        assert!(
            twice.stdout == original.stdout,
            "{api}: a second import changed the data"
        );
    }
}

#[test]
fn an_import_reports_bad_lines_by_number_and_fails_after_storing_the_rest() {
    let dir = temp_dir("transfer-bad");
    let embedded = embedded_arg(&dir);
    let input = "{\"name\":\"Anna\",\"number\":\"111\"}\n{\"name\":\"\",\"number\":\"222\"}\n\
                 {\"name\":\"Bob\",\"number\":\"333\"}\n";
    let out = phonebook(&dir, &["import", "--store", &embedded], input.as_bytes());
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let text = stderr(&out);
    assert!(
        text.contains("skipped line 2: name: must not be empty"),
        "{text}"
    );
    assert!(
        text.contains("imported 2 contacts, skipped 1 lines"),
        "{text}"
    );
    let back = phonebook(&dir, &["export", "--store", &embedded], b"");
    assert_eq!(
        String::from_utf8_lossy(&back.stdout),
        "{\"name\":\"Anna\",\"number\":\"111\"}\n{\"name\":\"Bob\",\"number\":\"333\"}\n"
    );
}

#[test]
fn an_import_with_the_cache_replaces_the_entries_a_running_service_reads() {
    let dir = temp_dir("transfer-cache");
    let mc = Memcached::start();
    let node = cluster(1, StandinOptions::default()).remove(0);
    let riak = format!("pbc://{}", addr_of(&node, "pbc"));
    let cache = format!("\n[cache]\nurl = \"{}\"\n", mc.url());
    let svc = riak_service_with("transfer-cache", "pbc", &[&node], "production", &cache);
    let agent = client();
    let saved = call(&agent, "POST", &svc.url("/contacts"), Some(("Anna", "111")));
    assert_eq!(saved.0, 200, "{}", saved.1);
    let anna = svc.url("/contacts/Anna");
    assert!(call(&agent, "GET", &anna, None).1.contains("111"));
    assert_eq!(metric(&svc, "phonebook_cache_hits_total"), 1, "cached");

    let line = b"{\"name\":\"Anna\",\"number\":\"222\"}\n";
    let args = ["import", "--store", &riak, "--cache", &mc.url()];
    let out = phonebook(&dir, &args, line);
    assert!(out.status.success(), "{}", stderr(&out));
    // Within the entry's 10 s, from the cache: the imported number, not the old one.
    assert!(call(&agent, "GET", &anna, None).1.contains("222"));
    assert_eq!(
        metric(&svc, "phonebook_cache_hits_total"),
        2,
        "from the cache"
    );
}
