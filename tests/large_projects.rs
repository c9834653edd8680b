//! Large projects take the two-thread paths of the loader, the hardening and the emitter (from
//! 64 services, 64 KiB of YAML, 64 workloads and 256 objects; see src/parallel.rs). Their
//! results must not differ from what one thread gives: the same warnings in file order, the
//! first error in file order, the objects in their order.

use kubeferry::{Input, Options, convert};

/// `n` services; `edit(i, &mut text)` may add lines to service `i`.
fn project(n: usize, edit: impl Fn(usize, &mut String)) -> String {
    let mut y = String::from("services:\n");
    for i in 0..n {
        y.push_str(&format!(
            "  svc{i:03}:\n    image: example/app:1.{i}\n    ports: [\"{}:80\"]\n    environment:\n      PEER: http://svc{:03}:80\n",
            10000 + i,
            (i + 1) % n
        ));
        edit(i, &mut y);
    }
    y
}

fn codes_and_services(text: &str) -> Vec<(String, String)> {
    let input = Input::new().compose_file("compose.yaml", text.as_bytes().to_vec());
    let c = convert(&input, &Options::default()).expect("converts");
    c.diagnostics
        .iter()
        .map(|d| (d.code.to_string(), d.location.path.clone()))
        .collect()
}

/// The diagnostics of a conversion that must fail.
fn errors_of(text: String, options: &Options) -> Vec<kubeferry::diag::Diagnostic> {
    let input = Input::new().compose_file("compose.yaml", text.into_bytes());
    match convert(&input, options) {
        Ok(_) => panic!("the conversion must fail"),
        Err(f) => f.0,
    }
}

#[test]
fn warnings_keep_file_order_across_the_halves() {
    // Unknown kubeferry settings (C102) in the first and the second half of the services.
    let text = project(200, |i, y| {
        if i == 10 || i == 150 || i == 199 {
            y.push_str("    x-kubeferry:\n      no_such_setting: 1\n");
        }
    });
    let found: Vec<String> = codes_and_services(&text)
        .into_iter()
        .filter(|(code, _)| code == "C102")
        .map(|(_, path)| path)
        .collect();
    assert_eq!(
        found,
        [
            "services.svc010.x-kubeferry.no_such_setting",
            "services.svc150.x-kubeferry.no_such_setting",
            "services.svc199.x-kubeferry.no_such_setting",
        ]
    );
}

#[test]
fn the_first_error_in_file_order_is_reported() {
    // A bad key in both halves: the earlier one is the error, as with one thread.
    let text = project(200, |i, y| {
        if i == 50 || i == 150 {
            y.push_str("    mem_limit: lots\n");
        }
    });
    let errors = errors_of(text, &Options::default());
    let first = errors
        .iter()
        .find(|d| d.severity == kubeferry::diag::Severity::Error)
        .expect("an error");
    assert!(
        first.location.path.starts_with("services.svc050"),
        "{first}"
    );
}

#[test]
fn large_and_small_projects_convert_alike() {
    // The output of a large project is the output of its parts: every service's Deployment
    // appears once, in name order, whatever thread rendered it.
    let text = project(300, |_, _| {});
    let input = Input::new().compose_file("compose.yaml", text.into_bytes());
    let c = convert(&input, &Options::default()).expect("converts");
    let yaml = c.to_yaml();
    let mut last = 0;
    for i in 0..300 {
        let at = yaml
            .find(&format!("kind: Deployment\nmetadata:\n  labels:\n    app.kubernetes.io/managed-by: kubeferry\n    app.kubernetes.io/name: svc{i:03}\n"))
            .unwrap_or_else(|| panic!("svc{i:03} missing"));
        assert!(at > last, "svc{i:03} out of order");
        last = at;
    }
}

/// `project(n)` with the image of the listed services untagged.
fn untagged(n: usize, services: &[usize]) -> String {
    let mut text = project(n, |_, _| {});
    for i in services {
        text = text.replace(
            &format!("image: example/app:1.{i}\n"),
            "image: example/app\n",
        );
    }
    text
}

#[test]
fn hardening_findings_keep_object_order_across_the_halves() {
    // From 64 workloads the workload rules run in two halves: untagged images (H020) in both
    // are warned in object order, and the report lists every workload once, in order.
    let text = untagged(200, &[5, 120, 190]);
    let input = Input::new().compose_file("compose.yaml", text.into_bytes());
    let c = convert(&input, &Options::default()).expect("converts");
    let h020: Vec<&str> = c
        .diagnostics
        .iter()
        .filter(|d| d.code == "H020")
        .map(|d| d.location.path.as_str())
        .collect();
    assert_eq!(
        h020,
        [
            "services.svc005.image",
            "services.svc120.image",
            "services.svc190.image"
        ]
    );
    let names: Vec<&str> = c.report.workloads.iter().map(|w| w.name.as_str()).collect();
    let expected: Vec<String> = (0..200).map(|i| format!("svc{i:03}")).collect();
    assert_eq!(names, expected);
}

#[test]
fn hardening_errors_keep_object_order_across_the_halves() {
    // Privileged containers refused at restricted (H001), one in each half: both errors, in
    // object order.
    let text = project(200, |i, y| {
        if i == 30 || i == 170 {
            y.push_str("    privileged: true\n");
        }
    });
    let mut options = Options::default();
    options.harden.level = kubeferry::harden::Level::Restricted;
    let errors = errors_of(text, &options);
    let h001: Vec<&str> = errors
        .iter()
        .filter(|d| d.code == "H001")
        .map(|d| d.location.path.as_str())
        .collect();
    assert_eq!(
        h001,
        ["services.svc030.privileged", "services.svc170.privileged"]
    );
}
