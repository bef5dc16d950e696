//! Unit tests of `plan.rs`: the shipped plans are valid, mistakes are refused.

use super::*;

#[test]
fn the_shipped_plan_is_valid() {
    let plan = Plan::parse(include_str!("../../experiments.toml")).unwrap();
    assert!(plan.configs.len() >= 8);
    assert!(plan.configs.iter().any(|c| c.server == "baseline"));
    // Latency from open loop, and a stand-in as slow as a real cluster.
    assert!(plan.configs.iter().all(|c| plan.rate(c).is_some()));
    assert_eq!(plan.standin.profile.as_deref(), Some("real"));
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
        "name = \"x\"\n[load]\nrate = 0.0\n[[config]]\nname = \"a\"\n",
        "name = \"x\"\n[[config]]\nname = \"a\"\nrate = -5.0\n",
        "name = \"x\"\n[standin]\nprofile = \"slow\"\n[[config]]\nname = \"a\"\n",
        "name = \"x\"\n[[config]]\nname = \"a\"\nstandin_profile = \"x\"\n",
    ] {
        assert!(Plan::parse(bad).is_err(), "{bad}");
    }
}

#[test]
fn a_configuration_overrides_the_plan_rate_and_profile() {
    let text = "name = \"x\"\n[load]\nrate = 200.0\n[standin]\nprofile = \"real\"\n\
                [[config]]\nname = \"a\"\n[[config]]\nname = \"b\"\nrate = 50\n\
                standin_profile = \"fast\"\n";
    let plan = Plan::parse(text).unwrap();
    let (a, b) = (&plan.configs[0], &plan.configs[1]);
    assert_eq!((plan.rate(a), plan.rate(b)), (Some(200.0), Some(50.0)));
    assert_eq!(plan.standin_profile(a), Some("real"));
    assert_eq!(plan.standin_profile(b), Some("fast"));
    let plain = Plan::parse("name = \"x\"\n[[config]]\nname = \"a\"\n").unwrap();
    assert_eq!(plain.rate(&plain.configs[0]), None);
    assert_eq!(plain.standin_profile(&plain.configs[0]), None);
}
