//! `cost`: what a deployment costs per day, from a price table and a scenario in one TOML file.
//!
//! Per day: VMs (count × hourly price × 24), public IPv4 addresses (each billed hourly),
//! block storage (GB-month prices prorated to a day: × 12 / 365) and data transfer out to the
//! internet (bytes per request × requests per day, with the monthly free allowance taken off
//! before the per-GB rate applies). Bytes per request can come from measured results.

use crate::args;
use crate::data::csv;
use crate::error::{io_context, Error, Result};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

const HELP: &str = "\
phonebook-tools cost: the daily cost of a deployment

USAGE:
    phonebook-tools cost --prices FILE [OPTIONS]

OPTIONS:
    --prices FILE            price table and scenario (e.g. tools/aws-prices.toml)
    --results FILE           a results.csv (experiment) or loadtest CSV: bytes per request are
                             the median of its bytes_received_per_request column
    --config NAME            with --results: only this configuration's rows
    --requests-per-day N     override the scenario's traffic
";

/// Days in an average month: GB-month prices and monthly allowances are spread over these.
pub const DAYS_PER_MONTH: f64 = 365.0 / 12.0;

/// The TOML file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct File {
    pub prices: Prices,
    pub scenario: Scenario,
    /// What each instance type offers, for `plan` (`cost` does not need it).
    #[serde(default)]
    pub machines: BTreeMap<String, Machine>,
}

/// An instance type's cores and memory.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Machine {
    pub vcpus: f64,
    pub memory_gib: f64,
    /// The share of each vCPU it sustains without spending credits (1 for fixed performance;
    /// e.g. 0.2 for a t3.small).
    pub baseline: f64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Prices {
    pub region: String,
    pub currency: String,
    pub looked_up: String,
    pub sources: Vec<String>,
    pub ipv4_per_hour: f64,
    pub ebs_gp3_per_gb_month: f64,
    pub transfer_out_per_gb: f64,
    pub transfer_free_gb_per_month: f64,
    pub transfer_tier_gb_per_month: f64,
    pub bytes_per_gb: f64,
    /// Hourly price by instance type.
    pub instances: BTreeMap<String, f64>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    pub name: String,
    pub requests_per_day: f64,
    pub bytes_per_request: f64,
    pub vm: Vec<Vm>,
}

/// A group of identical VMs.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Vm {
    pub role: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub count: u32,
    /// Public IPv4 addresses per VM.
    #[serde(default)]
    pub public_ipv4: u32,
    /// gp3 storage per VM.
    #[serde(default)]
    pub ebs_gb: f64,
}

/// One line of the bill.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    pub item: String,
    pub per_day: f64,
}

pub fn run(mut parser: lexopt::Parser) -> Result<()> {
    use lexopt::prelude::*;
    let (mut prices, mut results, mut config, mut requests) =
        (None::<PathBuf>, None::<PathBuf>, None, None);
    while let Some(arg) = parser.next()? {
        match arg {
            Long("prices") => prices = Some(args::path(&mut parser)?),
            Long("results") => results = Some(args::path(&mut parser)?),
            Long("config") => config = Some(args::text(&mut parser)?),
            Long("requests-per-day") => {
                requests = Some(args::number(&mut parser, "requests-per-day")?)
            }
            Short('h') | Long("help") => {
                print!("{HELP}");
                return Ok(());
            }
            other => return Err(other.unexpected().into()),
        }
    }
    let path = args::required(prices, "prices")?;
    let text = std::fs::read_to_string(&path).map_err(io_context(path.display()))?;
    let mut file = parse(&text).map_err(|e| Error::new(format!("{}: {e}", path.display())))?;
    if let Some(n) = requests {
        file.scenario.requests_per_day = n;
    }
    let bytes_from = match &results {
        Some(results) => {
            file.scenario.bytes_per_request = bytes_per_request(results, config.as_deref())?;
            format!("measured in {}", results.display())
        }
        None => "from the scenario".to_string(),
    };
    let lines = bill(&file)?;
    print!("{}", render(&file, &lines, &bytes_from));
    Ok(())
}

/// Parses and checks a prices-and-scenario file.
pub fn parse(text: &str) -> Result<File> {
    let file: File = toml::from_str(text).map_err(|e| Error::new(e.to_string()))?;
    let p = &file.prices;
    let rates = [
        p.ipv4_per_hour,
        p.ebs_gp3_per_gb_month,
        p.transfer_out_per_gb,
    ];
    if rates
        .iter()
        .chain(p.instances.values())
        .any(|r| !(r.is_finite() && *r >= 0.0))
        || p.bytes_per_gb <= 0.0
    {
        return Err(Error::new("prices must be non-negative numbers"));
    }
    Ok(file)
}

/// The bill, line by line, per day.
pub fn bill(file: &File) -> Result<Vec<Line>> {
    let (p, s) = (&file.prices, &file.scenario);
    let mut lines = Vec::new();
    let (mut ips, mut gb) = (0u32, 0.0);
    for vm in &s.vm {
        let hourly = p.instances.get(&vm.kind).ok_or_else(|| {
            Error::new(format!(
                "no price for instance type {:?} ({})",
                vm.kind, vm.role
            ))
        })?;
        lines.push(Line {
            item: format!("VMs: {} × {} ({}), {hourly}/h", vm.count, vm.kind, vm.role),
            per_day: f64::from(vm.count) * hourly * 24.0,
        });
        ips += vm.count * vm.public_ipv4;
        gb += f64::from(vm.count) * vm.ebs_gb;
    }
    lines.push(Line {
        item: format!("public IPv4: {ips} addresses, {}/h each", p.ipv4_per_hour),
        per_day: f64::from(ips) * p.ipv4_per_hour * 24.0,
    });
    lines.push(Line {
        item: format!("EBS gp3: {gb} GB, {}/GB-month", p.ebs_gp3_per_gb_month),
        per_day: gb * p.ebs_gp3_per_gb_month / DAYS_PER_MONTH,
    });
    let gb_per_day = s.bytes_per_request * s.requests_per_day / p.bytes_per_gb;
    let per_month = gb_per_day * DAYS_PER_MONTH;
    let billed = (per_month - p.transfer_free_gb_per_month).max(0.0);
    lines.push(Line {
        item: format!(
            "data out: {} req/day × {:.0} B = {gb_per_day:.3} GB/day, {per_month:.1} GB/month, \
             {} GB/month free",
            s.requests_per_day, s.bytes_per_request, p.transfer_free_gb_per_month
        ),
        per_day: billed * p.transfer_out_per_gb / DAYS_PER_MONTH,
    });
    if per_month > p.transfer_tier_gb_per_month {
        return Err(Error::new(format!(
            "{per_month:.0} GB/month is beyond the first transfer tier ({} GB): add the next tiers",
            p.transfer_tier_gb_per_month
        )));
    }
    Ok(lines)
}

/// The median `bytes_received_per_request` of a results or loadtest CSV (optionally of one
/// configuration's rows).
pub fn bytes_per_request(path: &Path, config: Option<&str>) -> Result<f64> {
    let text = std::fs::read_to_string(path).map_err(io_context(path.display()))?;
    let header: Vec<String> = text
        .lines()
        .next()
        .unwrap_or("")
        .split(',')
        .map(String::from)
        .collect();
    let columns: Vec<&str> = header.iter().map(String::as_str).collect();
    let rows = csv::parse(&text, &columns)?;
    let column = |name: &str| columns.iter().position(|c| *c == name);
    let bytes = column("bytes_received_per_request").ok_or_else(|| {
        Error::new(format!(
            "{}: no bytes_received_per_request column",
            path.display()
        ))
    })?;
    let wanted = |row: &Vec<String>| match (config, column("config")) {
        (Some(name), Some(i)) => row[i] == name,
        (Some(_), None) => false,
        (None, _) => true,
    };
    let values: Vec<f64> = rows
        .iter()
        .filter(|r| wanted(r))
        .filter_map(|r| r[bytes].parse().ok())
        .collect();
    if values.is_empty() {
        return Err(Error::new(format!("{}: no matching rows", path.display())));
    }
    Ok(crate::experiment::record::Spread::of(&values).median)
}

fn render(file: &File, lines: &[Line], bytes_from: &str) -> String {
    let p = &file.prices;
    let mut out = format!(
        "Daily cost of \"{}\" in {}, {} list prices looked up {} (bytes per request {bytes_from})\n\n",
        file.scenario.name, p.region, p.currency, p.looked_up
    );
    let width = lines
        .iter()
        .map(|l| l.item.chars().count())
        .max()
        .unwrap_or(0);
    for line in lines {
        let _ = writeln!(out, "  {:<width$}  {:>9.4}", line.item, line.per_day);
    }
    let total: f64 = lines.iter().map(|l| l.per_day).sum();
    let label = format!("total per day ({})", p.currency);
    let _ = writeln!(out, "  {label:<width$}  {total:>9.4}");
    let _ = writeln!(out, "\nSources: {}", p.sources.join("; "));
    out
}

#[cfg(test)]
mod tests {
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
        // `plan` knows the size of every type the scenario uses.
        assert!(file
            .scenario
            .vm
            .iter()
            .all(|v| file.machines.contains_key(&v.kind)));
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
}
