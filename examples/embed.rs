// src/main.rs of a crate that embeds kubeferry
use kubeferry::harden::{HardenOptions, Level};
use kubeferry::{Input, Options};

const COMPOSE: &str = r#"
services:
  web:
    image: nginx:${TAG}
    environment:
      GREETING: hello
"#;

/// Our Compose file as Kubernetes manifests, without hardening.
fn manifests() -> Result<String, kubeferry::Failure> {
    let input = Input::new()
        .compose_file("compose.yaml", COMPOSE)
        .variable("TAG", "1.27");
    let options = Options {
        harden: HardenOptions {
            level: Level::None,
            ..HardenOptions::default()
        },
        ..Options::default()
    };
    let conversion = kubeferry::convert(&input, &options)?;
    for d in &conversion.diagnostics {
        eprintln!("{d}");
    }
    Ok(conversion.to_yaml())
}

fn main() {
    match manifests() {
        Ok(yaml) => print!("{yaml}"),
        Err(failure) => eprintln!("{failure}"),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn compose_file_becomes_these_manifests() {
        insta::assert_snapshot!(super::manifests().unwrap(), @r"
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          labels:
            app.kubernetes.io/managed-by: kubeferry
            app.kubernetes.io/name: web
            app.kubernetes.io/part-of: project
          name: web
        spec:
          selector:
            matchLabels:
              app.kubernetes.io/name: web
              app.kubernetes.io/part-of: project
          template:
            metadata:
              labels:
                app.kubernetes.io/managed-by: kubeferry
                app.kubernetes.io/name: web
                app.kubernetes.io/part-of: project
            spec:
              containers:
                - env:
                    - name: GREETING
                      value: hello
                  image: nginx:1.27
                  name: web
        ");
    }
}
