//! The command line: `phonebook [OPTIONS]` serves; `--help` explains every option. The
//! defaults it shows are `config/raw.rs`'s (a test checks that they agree).

use crate::config::Overrides;
use crate::error::Error;
use std::path::PathBuf;

pub const HELP: &str = "\
phonebook: a phone book over HTTP

USAGE:
    phonebook [OPTIONS]              serve (the default)
    phonebook flush-cache [OPTIONS]  empty every memcached server of --cache (or the file's)
    phonebook export [OPTIONS]       write every contact of --store to standard output, one
                                     JSON object a line, in name order
    phonebook import [OPTIONS]       store each line of standard input (as export writes them)
                                     in --store, updating --cache; a bad line is reported with
                                     its number and skipped (exit code 2 at the end); running
                                     it twice is safe

OPTIONS (each overrides phonebook.toml):
    --config FILE      configuration file [default: phonebook.toml if present]
    --mode MODE        debug (one worker, every request logged) or production
                       [default: debug]
    --threads N        worker threads in production mode [default: 16]
    --listen ADDR      address to listen on [default: 127.0.0.1:8080]
    --store URL        embedded:PATH, pbc://host:port[,host:port...] or
                       http://host:port[,host:port...] [default: embedded:data/phonebook.redb]
    --cache URL        off, memcache://host:port[,host:port...] or
                       memcache+unix:///path/to/memcached.sock [default: off]
    -h, --help         print this help
    -V, --version      print the version

RUST_LOG (e.g. RUST_LOG=warn) overrides the log level the mode sets.
";

/// What the command line asks for.
#[derive(Debug)]
pub enum Command {
    Serve(Overrides),
    /// `flush-cache`: empty the configured memcached servers.
    FlushCache(Overrides),
    /// `export`: every contact of the store to standard output.
    Export(Overrides),
    /// `import`: contacts from standard input into the store.
    Import(Overrides),
    Help,
    Version,
}

/// Parses the arguments (without the program name).
pub fn parse(args: impl IntoIterator<Item = std::ffi::OsString>) -> Result<Command, Error> {
    use lexopt::prelude::*;
    let mut parser = lexopt::Parser::from_args(args);
    let mut over = Overrides::default();
    let bad = |e: lexopt::Error| Error::Config(format!("{e} (see --help)"));
    let mut command: Option<Make> = None;
    while let Some(arg) = parser.next().map_err(bad)? {
        match arg {
            Value(cmd) if command.is_none() && COMMANDS.iter().any(|(c, _)| cmd == *c) => {
                command = COMMANDS.iter().find(|(c, _)| cmd == *c).map(|(_, f)| *f);
            }
            Long("config") => over.config = Some(PathBuf::from(parser.value().map_err(bad)?)),
            Long("mode") => over.mode = Some(text(&mut parser)?),
            Long("threads") => {
                let n = text(&mut parser)?;
                let n = n
                    .parse()
                    .map_err(|_| Error::Config(format!("--threads: {n:?} is not a number")))?;
                over.threads = Some(n);
            }
            Long("listen") => over.listen = Some(text(&mut parser)?),
            Long("store") => over.store = Some(text(&mut parser)?),
            Long("cache") => over.cache = Some(text(&mut parser)?),
            Short('h') | Long("help") => return Ok(Command::Help),
            Short('V') | Long("version") => return Ok(Command::Version),
            other => return Err(bad(other.unexpected())),
        }
    }
    Ok(command.unwrap_or(Command::Serve)(over))
}

/// Makes a command from its options.
type Make = fn(Overrides) -> Command;

/// The commands other than serving, by name.
const COMMANDS: [(&str, Make); 3] = [
    ("flush-cache", Command::FlushCache),
    ("export", Command::Export),
    ("import", Command::Import),
];

fn text(parser: &mut lexopt::Parser) -> Result<String, Error> {
    let value = parser
        .value()
        .map_err(|e| Error::Config(format!("{e} (see --help)")))?;
    value
        .into_string()
        .map_err(|v| Error::Config(format!("{v:?} is not valid UTF-8")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_strs(args: &[&str]) -> Result<Command, Error> {
        parse(args.iter().map(std::ffi::OsString::from))
    }

    #[test]
    fn version_and_help_win_over_serving() {
        for flag in ["--version", "-V"] {
            assert!(matches!(parse_strs(&[flag]), Ok(Command::Version)));
        }
        assert!(matches!(
            parse_strs(&["--mode", "debug", "-h"]),
            Ok(Command::Help)
        ));
        assert!(HELP.contains("-V, --version"));
    }

    /// Each option's `[default: X]` in `HELP`, by option name.
    fn help_defaults() -> Vec<(String, String)> {
        let mut option = String::new();
        let mut out = Vec::new();
        for line in HELP.lines().map(str::trim) {
            if line.starts_with("--") {
                option = line.split_whitespace().next().unwrap().to_string();
            }
            if let Some((_, rest)) = line.split_once("[default: ") {
                out.push((option.clone(), rest.trim_end_matches(']').to_string()));
            }
        }
        out
    }

    #[test]
    fn the_defaults_in_help_are_the_configs() {
        let defaults = help_defaults();
        let options: Vec<&str> = defaults.iter().map(|(o, _)| o.as_str()).collect();
        let want = [
            "--config",
            "--mode",
            "--threads",
            "--listen",
            "--store",
            "--cache",
        ];
        assert_eq!(options, want);
        let file = format!("{} if present", crate::config::DEFAULT_FILE);
        assert_eq!(defaults[0].1, file);
        // Giving every other default on the command line changes nothing.
        let args: Vec<&str> = defaults[1..]
            .iter()
            .flat_map(|(o, v)| [o.as_str(), v.as_str()])
            .collect();
        let Ok(Command::Serve(over)) = parse_strs(&args) else {
            panic!("{args:?}");
        };
        let given = crate::config::from_toml("", &over).unwrap();
        let none = crate::config::from_toml("", &Overrides::default()).unwrap();
        assert_eq!(given, none, "{args:?}");
    }

    #[test]
    fn cache_urls_of_both_forms_reach_the_overrides() {
        let unix = "memcache+unix:///run/memcached/memcached.sock";
        let Ok(Command::FlushCache(over)) = parse_strs(&["flush-cache", "--cache", unix]) else {
            panic!("flush-cache");
        };
        assert_eq!(over.cache.as_deref(), Some(unix));
        assert!(HELP.contains("memcache+unix:///path/to/memcached.sock"));
    }

    #[test]
    fn export_and_import_take_the_store_and_cache_options() {
        let Ok(Command::Export(over)) = parse_strs(&["export", "--store", "embedded:x.redb"])
        else {
            panic!("export");
        };
        assert_eq!(over.store.as_deref(), Some("embedded:x.redb"));
        let args = ["import", "--store", "pbc://a", "--cache", "memcache://b"];
        let Ok(Command::Import(over)) = parse_strs(&args) else {
            panic!("import");
        };
        assert_eq!(
            (over.store.as_deref(), over.cache.as_deref()),
            (Some("pbc://a"), Some("memcache://b"))
        );
        assert!(parse_strs(&["export", "import"]).is_err(), "one command");
        assert!(HELP.contains("phonebook export") && HELP.contains("phonebook import"));
    }
}
