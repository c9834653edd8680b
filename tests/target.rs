//! `--kube-version`, `--ingress-api` and `--gateway` on the command line: what is refused,
//! with which message, and what the options become.

include!("support/cli_crate.in");

use clap::Parser;
use cli::{Cli, Command};
use kubeferry::KubeVersion;
use kubeferry::lower::IngressApi;

/// The resolved lowering options of `kubeferry convert ARGS`, or the error text.
fn resolve(args: &[&str]) -> Result<kubeferry::lower::LowerOptions, String> {
    let argv = ["kubeferry", "convert"].iter().chain(args);
    let cli = Cli::try_parse_from(argv).map_err(|e| e.to_string())?;
    let Command::Convert(a) = cli.command else {
        unreachable!("convert was given")
    };
    cli::options(&a).map(|o| {
        let o = o.resolved();
        assert_eq!(
            o.lower.kube_version, o.harden.kube_version,
            "one target for every stage"
        );
        o.lower
    })
}

#[test]
fn the_default_target_is_1_30_and_the_range_1_25_to_1_37() {
    assert_eq!(resolve(&[]).unwrap().kube_version.to_string(), "1.30");
    assert_eq!(KubeVersion::DEFAULT.to_string(), "1.30");
    for ok in ["1.25", "1.29", "1.37", "v1.33.2"] {
        assert!(resolve(&["--kube-version", ok]).is_ok(), "{ok}");
    }
    for (bad, says) in [
        ("1.24", "outside the supported range 1.25 to 1.37"),
        ("1.38", "outside the supported range 1.25 to 1.37"),
        ("2.0", "is not a Kubernetes version"),
        ("latest", "is not a Kubernetes version"),
    ] {
        let e = resolve(&["--kube-version", bad]).unwrap_err();
        assert!(e.contains(says), "{bad}: {e}");
    }
}

#[test]
fn dra_needs_1_34() {
    let e = resolve(&["--gpu-api", "dra"]).unwrap_err();
    assert!(
        e.contains("Kubernetes 1.30 lacks") && e.contains("from 1.34"),
        "{e}"
    );
    assert!(resolve(&["--gpu-api", "dra", "--kube-version", "1.34"]).is_ok());
}

#[test]
fn a_gateway_is_named_with_the_gateway_api_and_only_then() {
    assert_eq!(resolve(&[]).unwrap().ingress_api, IngressApi::Ingress);
    let e = resolve(&["--ingress-api", "gateway"]).unwrap_err();
    assert!(e.contains("--gateway NAME[.NAMESPACE]"), "{e}");
    let e = resolve(&["--gateway", "public"]).unwrap_err();
    assert!(e.contains("applies to --ingress-api gateway"), "{e}");
    let e = resolve(&["--ingress-api", "gateway", "--gateway", "Pub.lic"]).unwrap_err();
    assert!(e.contains("is not NAME or NAME.NAMESPACE"), "{e}");
    assert_eq!(
        resolve(&["--ingress-api", "gateway", "--gateway", "public.gateways"])
            .unwrap()
            .ingress_api,
        IngressApi::Gateway {
            name: "public".into(),
            namespace: Some("gateways".into())
        }
    );
}
