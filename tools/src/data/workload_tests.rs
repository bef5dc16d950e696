//! Unit tests of `workload.rs`: proportions, skew, and the file format.

use super::*;

fn users(count: usize) -> Vec<Contact> {
    crate::data::users::generate(3, count)
        .unwrap()
        .into_iter()
        .map(|p| Contact::parse(&p.name, &p.number).unwrap())
        .collect()
}

fn spec(adds: usize, new_users: usize, gets: usize, zipf: f64) -> Spec {
    let seed = 8;
    Spec {
        seed,
        adds,
        new_users,
        gets,
        zipf,
    }
}

#[test]
fn proportions_are_exact_and_rows_make_sense() {
    let users = users(2_000);
    let by_name: HashMap<&str, &str> = users
        .iter()
        .map(|u| (u.name.as_str(), u.number.as_str()))
        .collect();
    let rows = generate(&users, &spec(100, 10, 400, 1.0)).unwrap();
    let gets: Vec<_> = rows.iter().filter(|r| r.op == Op::Get).collect();
    let adds: Vec<_> = rows.iter().filter(|r| r.op == Op::Add).collect();
    assert_eq!((gets.len(), adds.len()), (400, 100));
    assert!(gets
        .iter()
        .all(|r| by_name.contains_key(r.name.as_str()) && r.number.is_empty()));
    let new: Vec<_> = adds
        .iter()
        .filter(|r| !by_name.contains_key(r.name.as_str()))
        .collect();
    assert_eq!(new.len(), 10);
    for add in &adds {
        assert!(Contact::parse(&add.name, &add.number).is_ok());
        assert_ne!(by_name.get(add.name.as_str()), Some(&add.number.as_str()));
    }
    // Shuffled: the first 100 rows are not all of one kind.
    assert!(rows[..100].iter().any(|r| r.op == Op::Add));
    assert!(rows[..100].iter().any(|r| r.op == Op::Get));
    assert_eq!(rows, generate(&users, &spec(100, 10, 400, 1.0)).unwrap());
}

#[test]
fn gets_are_as_skewed_as_zipf_says() {
    let users = users(10_000);
    let zipf = spec(0, 0, 50_000, 1.0);
    let s = skew(&generate(&users, &zipf).unwrap(), &users, &zipf);
    // For s = 1: H(100)/H(10000) = 0.530 and H(1000)/H(10000) = 0.765.
    assert!((s.expected_top1 - 0.530).abs() < 0.001, "{s:?}");
    assert!((s.expected_top10 - 0.765).abs() < 0.001, "{s:?}");
    assert!((s.top1 - s.expected_top1).abs() < 0.02, "{s:?}");
    assert!((s.top10 - s.expected_top10).abs() < 0.02, "{s:?}");
    let flat = spec(0, 0, 50_000, 0.0);
    let s = skew(&generate(&users, &flat).unwrap(), &users, &flat);
    assert!(
        (s.top1 - 0.01).abs() < 0.003 && (s.top10 - 0.1).abs() < 0.01,
        "{s:?}"
    );
}

#[test]
fn written_rows_read_back_and_bad_rows_are_refused() {
    let rows = generate(&users(100), &spec(20, 5, 30, 1.2)).unwrap();
    let dir = std::env::temp_dir().join(format!("tools-unit-workload-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("w.csv");
    let mut out = Vec::new();
    write(&mut out, &rows).unwrap();
    std::fs::write(&path, &out).unwrap();
    assert_eq!(read(&path).unwrap(), rows);
    for bad in [
        "op,name,number\nput,A,123\n",
        "op,name,number\nadd,A,12\n",
        "op,name,number\nget,,\n",
    ] {
        std::fs::write(&path, bad).unwrap();
        assert!(read(&path).is_err(), "{bad}");
    }
    assert!(generate(&users(10), &spec(5, 6, 1, 1.0)).is_err());
    std::fs::remove_dir_all(dir).unwrap();
}
