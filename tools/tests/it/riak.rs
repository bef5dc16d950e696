//! The Riak subcommands as a user runs them: `riak-standin --profile real` starts nodes that
//! go through a start-up phase, `riak-bench` prints blind and read-first writes side by side,
//! and both refuse bad options the way the other subcommands do (one line, exit code 2).

use crate::support::{announced, run_tools, tools};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// One PBC get of "John Doe" in bucket "phonebook": the answer's message code.
fn get_code(addr: &str) -> u8 {
    let mut conn = TcpStream::connect(addr).unwrap();
    conn.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let get = b"\x00\x00\x00\x16\x09\x0a\x09phonebook\x12\x08John Doe";
    conn.write_all(get).unwrap();
    let mut head = [0u8; 5];
    conn.read_exact(&mut head).unwrap();
    head[4]
}

#[test]
fn the_real_profile_starts_nodes_with_a_start_up_phase() {
    let mut child = Command::new(tools())
        .args(["riak-standin", "--profile", "real", "--startup", "3s"])
        .args(["--pbc", "127.0.0.1:0", "--http", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let pbc = announced(&mut child, "riak-standin pbc ");
    // A start-up of 3 s: the first get comes within it, however loaded the machine.
    assert_eq!(get_code(&pbc), 0, "RpbErrorResp while starting");
    let deadline = Instant::now() + Duration::from_secs(15);
    let mut code = get_code(&pbc);
    while code == 0 && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
        code = get_code(&pbc);
    }
    assert_eq!(code, 10, "RpbGetResp once started");
    child.kill().unwrap();
    child.wait().unwrap();
}

#[test]
fn the_bench_shows_blind_and_read_first_writes_side_by_side() {
    let out = run_tools(&[
        "riak-bench",
        "--clients",
        "1,2",
        "--ops",
        "60",
        "--keys",
        "20",
        "--max-secs",
        "20",
        "--absent",
    ]);
    let text = String::from_utf8_lossy(&out.stdout);
    for row in ["PUT read-first", "PUT blind", "GET absent strict"] {
        assert_eq!(
            text.matches(row).count(),
            4,
            "2 clients counts x 2 APIs: {text}"
        );
    }
    assert_eq!(
        text.matches("blind/read-first writes per second").count(),
        4
    );
    for row in text
        .lines()
        .filter(|l| l.contains(" PUT ") || l.contains(" GET"))
    {
        let columns: Vec<&str> = row.split_whitespace().collect();
        assert_eq!(
            columns[columns.len() - 4],
            "0",
            "no failed operation: {row}"
        );
    }
}

#[test]
fn bad_options_are_refused_in_one_line() {
    for args in [
        &["riak-bench", "--write", "sometimes"][..],
        &["riak-bench", "--clients", "0"],
        &["riak-standin", "--profile", "slow"],
        &["riak-standin", "--startup", "soon"],
        &["riak-bench", "--frobnicate"],
    ] {
        let out = Command::new(tools()).args(args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.starts_with("phonebook-tools: "), "{args:?}: {err}");
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
    }
}
