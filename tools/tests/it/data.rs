//! The data tools from the outside: a seed fixes the users file byte for byte; the workload
//! file has the asked-for mix and the command reports its skew.

use crate::support::*;

#[test]
fn gen_users_writes_the_same_bytes_for_a_seed_to_a_file_or_stdout() {
    let dir = temp_dir("gen");
    let file = dir.join("users.csv");
    run_tools(&[
        "gen-users",
        "--seed",
        "42",
        "--count",
        "10000",
        "--out",
        file.to_str().unwrap(),
    ]);
    let bytes = std::fs::read(&file).unwrap();
    // The digest the unit test pins too: the binary writes exactly the generator's bytes.
    assert_eq!(fnv1a(&bytes), "e47a12b3b8ad343d");
    let stdout = run_tools(&["gen-users", "--seed", "42", "--count", "10000"]).stdout;
    assert_eq!(stdout, bytes);
    let other = run_tools(&["gen-users", "--seed", "43", "--count", "10000"]).stdout;
    assert_ne!(other, bytes);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn gen_workload_writes_the_mix_and_reports_the_skew() {
    let dir = temp_dir("workload");
    let (users, work) = (dir.join("users.csv"), dir.join("workload.csv"));
    run_tools(&[
        "gen-users",
        "--seed",
        "1",
        "--count",
        "2000",
        "--out",
        users.to_str().unwrap(),
    ]);
    let out = run_tools(&[
        "gen-workload",
        "--seed",
        "5",
        "--users",
        users.to_str().unwrap(),
        "--adds",
        "60",
        "--new-users",
        "6",
        "--gets",
        "240",
        "--zipf",
        "1.0",
        "--out",
        work.to_str().unwrap(),
    ]);
    let text = std::fs::read_to_string(&work).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "op,name,number");
    assert_eq!(lines.iter().filter(|l| l.starts_with("add,")).count(), 60);
    assert_eq!(lines.iter().filter(|l| l.starts_with("get,")).count(), 240);
    let report = String::from_utf8(out.stderr).unwrap();
    assert!(
        report.contains("top 1 % of names get") && report.contains("top 10 %"),
        "{report}"
    );
    // Bad input is refused with a message, not a panic.
    let bad = std::process::Command::new(tools())
        .args(["gen-workload", "--users", work.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&bad.stderr).contains("header"));
    std::fs::remove_dir_all(dir).unwrap();
}
