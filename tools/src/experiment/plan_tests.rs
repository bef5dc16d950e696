//! Unit tests of `plan.rs`: the shipped plans are valid, mistakes are refused.

use super::*;

#[test]
fn the_shipped_plan_is_valid() {
    let plan = Plan::parse(include_str!("../../experiments.toml")).unwrap();
    assert!(plan.configs.len() >= 8);
    assert!(plan.configs.iter().any(|c| c.server == "baseline"));
    let small = Plan::parse(include_str!("../../experiments-embedded.toml")).unwrap();
    assert!(small.configs.iter().all(|c| c.store == "embedded"));
}

#[test]
fn mistakes_are_refused() {
    let ok = "name = \"x\"\n[[config]]\nname = \"a\"\n";
    assert!(Plan::parse(ok).is_ok());
    for bad in [
        "name = \"x\"\n",
        "name = \"x\"\n[[config]]\nmode = \"debug\"\n",
        "name = \"x y\"\n[[config]]\nname = \"a\"\n",
        "name = \"x\"\n[[config]]\nname = \"a\"\n[[config]]\nname = \"a\"\n",
        "name = \"x\"\n[[config]]\nname = \"a\"\nslow = [\"store\"]\n",
        "name = \"x\"\n[[config]]\nname = \"a\"\ncache = \"redis\"\n",
        "name = \"x\"\n[[config]]\nname = \"a\"\nmod = \"debug\"\n",
        "name = \"x\"\n[load]\nduration = \"soon\"\n[[config]]\nname = \"a\"\n",
    ] {
        assert!(Plan::parse(bad).is_err(), "{bad}");
    }
}
