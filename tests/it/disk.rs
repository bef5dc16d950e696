//! A full disk under the embedded store: writes answer 507 and store nothing, `/healthz` says
//! the store cannot write, the failure is logged once and counted, and once space is freed the
//! service writes again by itself with every acknowledged contact intact. Runs on a 1 MiB tmpfs
//! (root only; elsewhere it says once that it did not run, and the unit test of the store's
//! injected write error still does).

use crate::support::*;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// A tmpfs mounted for one test, unmounted on drop.
struct Mount(PathBuf);

impl Mount {
    /// Mounts a tmpfs of `size` at `dir`, or says why it cannot.
    fn tmpfs(dir: &Path, size: &str) -> Result<Mount, String> {
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir)
            .output()
            .map_err(|e| e.to_string())?;
        if !out.status.success() {
            return Err(String::from_utf8_lossy(&out.stderr).trim().to_string());
        }
        Ok(Mount(dir.to_path_buf()))
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

/// Fills the file system of `path` until it is full.
fn fill(path: &Path) {
    let mut file = std::fs::File::create(path).unwrap();
    let chunk = vec![0u8; 4096];
    while file
        .write_all(&chunk)
        .and_then(|()| file.sync_all())
        .is_ok()
    {}
}

fn name(i: usize) -> String {
    format!("{i:04} {}", "x".repeat(90))
}

#[test]
fn a_full_disk_answers_507_and_the_service_recovers_by_itself() {
    let dir = temp_dir("disk-full");
    let mount = match Mount::tmpfs(&dir, "1m") {
        Ok(mount) => mount,
        Err(why) => {
            eprintln!("disk test not run: cannot mount a tmpfs here ({why})");
            return;
        }
    };
    let svc = Service::start(&["--store", &embedded_arg(&mount.0)]);
    let (mut saved, mut refused) = (Vec::new(), Vec::new());
    for i in 0..20 {
        let reply = post_form(&svc.url("/contacts"), &name(i), &format!("+1555{i:07}"));
        assert_eq!(reply.status, 200, "{}", reply.body);
        saved.push(i);
    }
    fill(&mount.0.join("filler"));
    for i in 20..5_000 {
        let reply = post_form(&svc.url("/contacts"), &name(i), &format!("+1555{i:07}"));
        match reply.status {
            200 => saved.push(i),
            507 => refused.push(i),
            other => panic!("write {i}: {other} {}", reply.body),
        }
        if refused.len() == 5 {
            break;
        }
    }
    assert_eq!(refused.len(), 5, "the disk never filled");
    let full = post_form(&svc.url("/contacts"), "Someone", "12345");
    assert_eq!(full.status, 507);
    assert!(
        full.json()["error"]
            .as_str()
            .unwrap()
            .contains("no space left"),
        "{}",
        full.body
    );
    assert!(!full.body.contains("redb") && !full.body.contains("Previous I/O"));
    let health = get(&svc.url("/healthz"));
    assert_eq!(health.status, 503, "{}", health.body);
    assert_eq!(health.json()["store"]["writable"], false);
    assert_eq!(
        get(&svc.url(&format!("/contacts/{}", name(saved[0]).replace(' ', "%20")))).status,
        200
    );
    assert!(metric(&svc, "phonebook_store_full_total") >= 6);
    let log = svc.wait_for_log("no space left on its device");
    assert_eq!(
        log.matches("no space left on its device").count(),
        1,
        "once an interval: {log}"
    );

    std::fs::remove_file(mount.0.join("filler")).unwrap();
    wait_until(
        Duration::from_secs(10),
        "a write after space was freed",
        || post_form(&svc.url("/contacts"), "Someone", "12345").status == 200,
    );
    assert_eq!(get(&svc.url("/healthz")).status, 200);
    for i in saved {
        let reply = get(&svc.url(&format!("/contacts/{}", name(i).replace(' ', "%20"))));
        assert_eq!(
            reply.json()["number"],
            format!("+1555{i:07}"),
            "acknowledged {i}"
        );
    }
    for i in refused {
        let reply = get(&svc.url(&format!("/contacts/{}", name(i).replace(' ', "%20"))));
        assert_eq!(reply.status, 404, "refused {i} was not stored");
    }
    drop(svc);
}
