//! Unit tests of `cost.rs`: the arithmetic on a fixed price table.

use super::*;

const TABLE: &str = r#"
[prices]
region = "test"
currency = "USD"
looked_up = "2000-01-01"
sources = ["none"]
ipv4_per_hour = 0.005
ebs_gp3_per_gb_month = 0.08
transfer_out_per_gb = 0.09
transfer_free_gb_per_month = 100.0
transfer_tier_gb_per_month = 10240.0
bytes_per_gb = 1000000000
[prices.instances]
"a.small" = 0.02
"b.large" = 0.1
[scenario]
name = "test"
requests_per_day = 10000000
bytes_per_request = 500.0
[[scenario.vm]]
role = "web"
type = "a.small"
count = 2
public_ipv4 = 1
ebs_gb = 10
[[scenario.vm]]
role = "db"
type = "b.large"
count = 3
ebs_gb = 100
"#;

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

#[test]
fn every_line_is_computed_by_hand() {
    let file = parse(TABLE).unwrap();
    let lines = bill(&file).unwrap();
    let per_day: Vec<f64> = lines.iter().map(|l| l.per_day).collect();
    // 2 × 0.02 × 24 and 3 × 0.1 × 24.
    assert!(
        close(per_day[0], 0.96) && close(per_day[1], 7.2),
        "{per_day:?}"
    );
    // Two addresses × 0.005 × 24.
    assert!(close(per_day[2], 0.24));
    // 320 GB × 0.08 per month = 25.6 per month, over 365/12 days.
    assert!(close(per_day[3], 25.6 * 12.0 / 365.0));
    // 500 B × 1e7 = 5 GB/day = 152.083 GB/month; 52.083 GB billed at 0.09, spread over a month.
    let month = 5.0 * 365.0 / 12.0;
    assert!(close(per_day[4], (month - 100.0) * 0.09 * 12.0 / 365.0));
}

#[test]
fn the_free_tier_covers_small_traffic_and_unknown_types_fail() {
    let mut file = parse(TABLE).unwrap();
    file.scenario.requests_per_day = 1000.0;
    assert_eq!(bill(&file).unwrap()[4].per_day, 0.0);
    file.scenario.requests_per_day = 1e12;
    assert!(bill(&file).is_err(), "beyond the first tier");
    file.scenario.requests_per_day = 1.0;
    file.scenario.vm[0].kind = "z.huge".into();
    assert!(bill(&file).is_err());
    assert!(parse(&TABLE.replace("0.005", "-1")).is_err());
}

#[test]
fn the_shipped_table_parses_and_prices_every_type() {
    let file = parse(include_str!("../aws-prices.toml")).unwrap();
    assert!(file.prices.looked_up.len() == 10 && !file.prices.sources.is_empty());
    assert!(bill(&file).is_ok());
}

#[test]
fn bytes_per_request_is_the_median_of_the_matching_rows() {
    let dir = std::env::temp_dir().join(format!("tools-unit-cost-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("results.csv");
    let text = "config,run,bytes_received_per_request\na,1,100\na,2,300\na,3,200\nb,1,50\n";
    std::fs::write(&path, text).unwrap();
    assert_eq!(bytes_per_request(&path, Some("a")).unwrap(), 200.0);
    assert_eq!(bytes_per_request(&path, None).unwrap(), 150.0);
    assert!(bytes_per_request(&path, Some("c")).is_err());
    std::fs::remove_dir_all(dir).unwrap();
}
