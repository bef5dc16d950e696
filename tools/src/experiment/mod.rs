//! `experiment`: runs a plan's configurations against real processes and writes the results.
//!
//! For each configuration: start its store, cache and slow links (`setup.rs`); start the
//! service once to load the users; then, for each of the repeats, empty the cache, start a fresh
//! service, replay the workload (`loadtest::run_load`, in this process), and stop the service:
//! once in closed loop for the peak throughput and, when the plan gives a rate, once more (from
//! an emptied cache and a fresh service again) in open loop at that rate for the latencies.
//! A configuration that cannot start (say, no Riak backend or no memcached here) is reported as
//! not measured, and the others still run.

pub mod chart;
pub mod compare;
pub mod config;
pub mod markdown;
pub mod plan;
pub mod probe;
pub mod procs;
pub mod record;
pub mod results;
pub mod setup;
pub mod summary;

use crate::args;
use crate::data::users;
use crate::data::workload::{self, Spec};
use crate::error::{io_context, Error, Result};
use crate::load::client::Target;
use crate::load::load_users;
use crate::load::loadtest::{self, Options};
use crate::load::pace::Pace;
use crate::load::report::Report;
use config::{Link, Mode, Server};
use phonebook::contact::Contact;
use plan::{Config, Plan};
use probe::Costs;
use procs::Proc;
use record::Record;
use setup::Setup;
use std::path::{Path, PathBuf};
use std::time::Duration;

const HELP: &str = "\
phonebook-tools experiment: run an experiment plan and write its results

USAGE:
    phonebook-tools experiment --plan FILE [OPTIONS]

OPTIONS:
    --plan FILE          the plan, e.g. tools/experiments.toml
    --results DIR        where <name>/ goes [default: results/ next to the plan, e.g.
                         tools/results/ for tools/experiments.toml]
    --phonebook PATH     the service binary [default: `phonebook` next to this program]
    --only NAME          run only this configuration (repeatable)
    --repeats N          override the plan's repeats

Writes results.csv (one row per run and loop), results.md (median and spread per
configuration, and what each optimisation is worth), throughput.svg, latency-p99.svg and
worth.svg, plus the data set, the workload, and every process's log under logs/.
";

/// Everything the runs of a plan share.
struct Runner {
    plan: Plan,
    dir: PathBuf,
    tools: PathBuf,
    phonebook: PathBuf,
    users: Vec<Contact>,
    rows: Vec<workload::Row>,
}

pub fn run(mut parser: lexopt::Parser) -> Result<()> {
    use lexopt::prelude::*;
    let (mut plan_file, mut results, mut phonebook) = (None::<PathBuf>, None, None);
    let (mut only, mut repeats) = (Vec::new(), None);
    while let Some(arg) = parser.next()? {
        match arg {
            Long("plan") => plan_file = Some(args::path(&mut parser)?),
            Long("results") => results = Some(args::path(&mut parser)?),
            Long("phonebook") => phonebook = Some(args::path(&mut parser)?),
            Long("only") => only.push(args::text(&mut parser)?),
            Long("repeats") => repeats = Some(args::number(&mut parser, "repeats")?),
            Short('h') | Long("help") => {
                print!("{HELP}");
                return Ok(());
            }
            other => return Err(other.unexpected().into()),
        }
    }
    let plan_file = args::required(plan_file, "plan")?;
    let mut plan = Plan::read(&plan_file)?;
    // Beside the plan by default, so results land in the same tracked folder from anywhere.
    let results = results.unwrap_or_else(|| {
        let folder = plan_file.parent().unwrap_or(Path::new(""));
        folder.join("results")
    });
    if let Some(n) = repeats {
        plan.repeats = n;
    }
    if let Some(missing) = only
        .iter()
        .find(|n| !plan.configs.iter().any(|c| &c.name == *n))
    {
        return Err(Error::new(format!(
            "--only {missing}: no such configuration"
        )));
    }
    if !only.is_empty() {
        plan.configs.retain(|c| only.contains(&c.name));
    }
    let tools = std::env::current_exe()?;
    let phonebook = phonebook.unwrap_or_else(|| tools.with_file_name("phonebook"));
    if !phonebook.is_file() {
        return Err(Error::new(format!(
            "no service binary at {} (build it, or give --phonebook)",
            phonebook.display()
        )));
    }
    let dir = prepare_dir(&results.join(&plan.name))?;
    let mut runner = Runner::new(plan, dir, tools, phonebook)?;
    runner.run_all()
}

/// Creates the results folder (and its `logs/` and `data/`), emptying old logs and data.
fn prepare_dir(dir: &Path) -> Result<PathBuf> {
    for sub in ["logs", "data"] {
        let _ = std::fs::remove_dir_all(dir.join(sub));
        std::fs::create_dir_all(dir.join(sub)).map_err(io_context(dir.display()))?;
    }
    Ok(dir.canonicalize()?)
}

impl Runner {
    /// Generates the users and the workload, and saves them next to the results.
    fn new(plan: Plan, dir: PathBuf, tools: PathBuf, phonebook: PathBuf) -> Result<Runner> {
        let d = &plan.data;
        let people = users::generate(d.seed, d.users)?;
        users::write(
            &mut *crate::data::csv::create(Some(&dir.join("users.csv")))?,
            &people,
        )?;
        let users: Vec<Contact> = people
            .into_iter()
            .map(|p| Contact {
                name: p.name,
                number: p.number,
            })
            .collect();
        let spec = Spec {
            seed: d.seed,
            adds: d.adds,
            new_users: d.new_users.unwrap_or(d.adds / 10),
            gets: d.gets,
            zipf: d.zipf,
        };
        let rows = workload::generate(&users, &spec)?;
        workload::write(
            &mut *crate::data::csv::create(Some(&dir.join("workload.csv")))?,
            &rows,
        )?;
        Ok(Runner {
            plan,
            dir,
            tools,
            phonebook,
            users,
            rows,
        })
    }

    fn run_all(&mut self) -> Result<()> {
        let (mut records, mut skipped) = (Vec::new(), Vec::new());
        let configs = self.plan.configs.clone();
        for (i, config) in configs.iter().enumerate() {
            eprintln!(
                "experiment: [{}/{}] {}: {}",
                i + 1,
                configs.len(),
                config.name,
                config.describe()
            );
            match self.run_config(config) {
                Ok(mut runs) => records.append(&mut runs),
                Err(e) => {
                    eprintln!("experiment: {} not measured: {e}", config.name);
                    skipped.push((config.name.clone(), e.to_string()));
                }
            }
            // Write as we go, so an interrupted experiment keeps what it measured.
            results::write(&self.dir, &self.plan, &records, &skipped)?;
        }
        eprintln!(
            "experiment: results in {}",
            self.dir.join("results.md").display()
        );
        if records.is_empty() {
            return Err(Error::new("no configuration could be measured"));
        }
        Ok(())
    }

    /// All runs of one configuration.
    fn run_config(&mut self, config: &Config) -> Result<Vec<Record>> {
        let mut setup = Setup::start(&self.plan, config, &self.tools, &self.dir)?;
        if config.server == Server::Phonebook {
            let (service, addr) = self.start_server(config, &setup, "load")?;
            load_users::via_api(
                &Target::parse(&format!("http://{addr}"))?,
                &self.users,
                8,
                false,
            )?;
            service.stop();
        }
        let mut records = Vec::new();
        for run in 1..=self.plan.repeats {
            let mut paces = vec![Pace::Closed];
            paces.extend(self.plan.rate(config).map(|rate| Pace::Open { rate }));
            for pace in paces {
                let (report, costs) = self.measure(config, &mut setup, run, pace)?;
                eprintln!(
                    "experiment:   run {run}/{}: {}",
                    self.plan.repeats,
                    report.summary()
                );
                records.push(Record {
                    config: config.name.clone(),
                    description: config.describe(),
                    run,
                    report,
                    costs,
                });
            }
        }
        Ok(records)
    }

    /// One run: an emptied cache, a fresh service, the workload replayed at `pace`; with what it
    /// cost the service and memcached per request.
    fn measure(
        &mut self,
        config: &Config,
        setup: &mut Setup,
        run: usize,
        pace: Pace,
    ) -> Result<(Report, Option<Costs>)> {
        setup.check_alive()?;
        setup.empty_cache(&self.phonebook)?;
        let tag = match pace {
            Pace::Closed => format!("run{run}"),
            Pace::Open { .. } => format!("run{run}-open"),
        };
        let (service, direct) = self.start_server(config, setup, &tag)?;
        let addr = if config.is_slow(Link::Front) {
            setup.slow_link(&direct, &format!("front-{}-{tag}", config.name))?
        } else {
            direct.clone()
        };
        let phonebook = config.server == Server::Phonebook;
        let read = || probe::read(&direct, service.pid(), &setup.memcached_pids);
        let before = if phonebook { Some(read()?) } else { None };
        let report = self.load(config, &addr, pace)?;
        let costs = match before {
            Some(before) => {
                let after = read()?;
                let memory = (!setup.memcached.is_empty())
                    .then(|| probe::cache_memory(&setup.memcached))
                    .transpose()?;
                Some(Costs::between(&before, &after, report.requests(), memory))
            }
            None => None,
        };
        service.stop();
        Ok((report, costs))
    }

    /// Replays the workload against `addr` with the plan's load settings.
    fn load(&self, config: &Config, addr: &str, pace: Pace) -> Result<Report> {
        let target = Target::parse(&format!("http://{addr}"))?;
        let requests: Vec<Vec<u8>> = self.rows.iter().map(|r| target.request(r)).collect();
        let opts = Options {
            concurrency: config.concurrency.unwrap_or(self.plan.load.concurrency),
            pace,
            loops: self.plan.load.loops,
            duration: self.plan.duration(),
            timeout: Duration::from_secs(10),
            progress: false,
        };
        loadtest::run_load(&target, &requests, &opts)
    }

    /// Starts the service (or the baseline server) for a configuration; returns its address.
    fn start_server(&self, config: &Config, setup: &Setup, tag: &str) -> Result<(Proc, String)> {
        let log = self
            .dir
            .join("logs")
            .join(format!("{}-{tag}.log", config.name));
        if config.server == Server::Baseline {
            let args = ["baseline-server", "--listen", "127.0.0.1:0", "--threads"]
                .map(String::from)
                .into_iter()
                .chain([config.threads.to_string()])
                .collect::<Vec<_>>();
            return procs::spawn_announcing(
                &self.tools,
                &args,
                &log,
                "baseline listening on http://",
            );
        }
        let args: Vec<String> = [
            "--listen",
            "127.0.0.1:0",
            "--mode",
            match config.mode {
                Mode::Debug => "debug",
                Mode::Production => "production",
            },
            "--threads",
            &config.threads.to_string(),
            "--store",
            &setup.store_url,
            "--cache",
            &setup.cache_url,
        ]
        .map(String::from)
        .to_vec();
        let (service, addr) =
            procs::spawn_announcing(&self.phonebook, &args, &log, "listening on http://")?;
        // Listening is not ready: a Riak node may still be starting (it answers a ping, not a
        // get). The service's health check makes a real read of its store.
        procs::wait_healthy(&addr)?;
        Ok((service, addr))
    }
}
