//! docs/kompose-users.md's tables of Kompose flags and labels, checked against kubeferry: each
//! flag row is run through the command-line parser (a supported or equivalent flag parses to
//! exactly what kubeferry's flag in the row gives; a refused one stops with a reason), and the
//! label table agrees with kubeferry's own list of Kompose labels. Also what the docs promise of
//! labels: a value outside the accepted set is an error, `kompose.volume.size` sizes bind-mount
//! claims.

include!("support/cli_crate.in");

use clap::Parser;
use cli::{Cli, Command, kompose_flags};
use kubeferry::lower::support::{KOMPOSE_LABELS, Support};

fn doc() -> String {
    std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/docs/kompose-users.md"
    ))
    .unwrap()
}

/// The rows of the table under `heading`, as cells.
fn table(doc: &str, heading: &str) -> Vec<Vec<String>> {
    let start = doc.find(heading).unwrap_or_else(|| panic!("{heading}"));
    doc[start..]
        .lines()
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'))
        .skip(2)
        .map(|l| {
            l.trim_matches('|')
                .split(" | ")
                .map(|c| c.trim().to_string())
                .collect()
        })
        .collect()
}

/// The backticked pieces of a cell.
fn code(cell: &str) -> Vec<String> {
    cell.split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect()
}

/// `kubeferry convert ARGS`, with the Kompose spellings applied: the arguments as kubeferry
/// sees them (Debug), or the error.
fn parse(args: &str) -> Result<String, String> {
    let mut argv = vec!["kubeferry", "convert"];
    argv.extend(args.split_whitespace());
    let cli = Cli::try_parse_from(&argv).map_err(|e| e.to_string())?;
    let Command::Convert(mut a) = cli.command else {
        unreachable!()
    };
    kompose_flags::apply(&mut a).map_err(|f| f.to_string())?;
    Ok(format!("{a:?}"))
}

#[test]
fn every_kompose_flag_in_the_table_does_what_the_table_says() {
    let rows = table(&doc(), "## Flags");
    assert!(rows.len() >= 30, "{} rows", rows.len());
    let mut seen = Vec::new();
    for row in &rows {
        let [kompose, status, kubeferry, notes] = &row[..] else {
            panic!("{row:?}")
        };
        let ours = code(kubeferry).join(" ");
        for flag in code(kompose) {
            seen.push(flag.split([' ', '=']).next().unwrap().to_string());
            let got = parse(&flag);
            match status.as_str() {
                "supported" | "equivalent" => {
                    let got = got.unwrap_or_else(|e| panic!("{flag}: {e}"));
                    assert_eq!(got, parse(&ours).unwrap(), "{flag} is not `{ours}`");
                }
                "refused" => {
                    let e = got.expect_err(&flag);
                    assert!(!notes.is_empty(), "{flag}: no reason in the table");
                    // The refusal says why (clap's own refusal is an invalid value it lists).
                    assert!(
                        e.contains("is not supported: ") || e.contains("invalid value"),
                        "{flag}: {e}"
                    );
                    assert!(!e.contains("similar argument"), "{flag}: {e}");
                }
                other => panic!("{flag}: status `{other}`"),
            }
        }
    }
    // Every flag of `kompose convert` 1.38 and of Kompose's root command is in the table.
    for flag in [
        "-f",
        "-o",
        "--stdout",
        "-j",
        "--json",
        "-y",
        "--yaml",
        "-c",
        "--chart",
        "--controller",
        "-d",
        "--deployment",
        "--daemon-set",
        "--replication-controller",
        "--replicas",
        "--volumes",
        "--emptyvols",
        "--pvc-request-size",
        "-n",
        "--namespace",
        "--profile",
        "--error-on-warning",
        "--suppress-warnings",
        "-v",
        "--verbose",
        "--provider",
        "--deployment-config",
        "--insecure-repository",
        "--build-repo",
        "--build-branch",
        "--build",
        "--push-image",
        "--build-command",
        "--push-command",
        "--push-image-registry",
        "--multiple-container-mode",
        "--service-group-mode",
        "--service-group-name",
        "--secrets-as-files",
        "--generate-network-policies",
        "--with-kompose-annotation",
        "--no-interpolate",
        "--indent",
    ] {
        assert!(seen.iter().any(|s| s == flag), "{flag} is not in the table");
    }
}

#[test]
fn refusals_are_sentences_and_suggest_nothing_unrelated() {
    let e = parse("--provider openshift").unwrap_err();
    assert!(e.contains("OpenShift") && e.contains("drop"), "{e}");
    let e = parse("--build local --push-image").unwrap_err();
    assert!(
        e.contains("--build (a Kompose flag)") && e.contains("--push-image (a Kompose flag)"),
        "{e}"
    );
    assert!(e.contains("docker compose build"), "{e}");
    // Kompose's default values of refused flags are no request at all.
    assert!(parse("--build none --push-image=false --provider Kubernetes --indent 2").is_ok());
    assert!(parse("-j -y").is_err());
}

#[test]
fn the_label_table_is_kubeferrys_list_of_kompose_labels() {
    let rows = table(&doc(), "## Labels");
    let mut in_table = Vec::new();
    for row in &rows {
        let [label, status, _] = &row[..] else {
            panic!("{row:?}")
        };
        let label = code(label).remove(0);
        let (_, support, _) = KOMPOSE_LABELS
            .iter()
            .find(|(k, _, _)| *k == label)
            .unwrap_or_else(|| panic!("{label} is not in KOMPOSE_LABELS"));
        let expected = match support {
            Support::Handled => "supported",
            Support::Unsupported => "refused",
            _ => "partial",
        };
        assert_eq!(status, expected, "{label}");
        in_table.push(label);
    }
    for (k, _, _) in KOMPOSE_LABELS {
        assert!(in_table.iter().any(|l| l == k), "{k} is not in the table");
    }
}

/// `kubeferry convert` of `compose` in a temporary folder: (exit code, stdout, stderr).
fn convert(compose: &str, args: &[&str]) -> (i32, String, String) {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("compose.yaml"), compose).unwrap();
    std::fs::create_dir(dir.path().join("data")).unwrap();
    std::fs::write(dir.path().join("data/seed.txt"), "seed").unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_kubeferry"))
        .arg("convert")
        .args(args)
        .current_dir(dir.path())
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn a_label_value_outside_the_accepted_set_is_an_error_naming_the_label() {
    let compose = "services:\n  web:\n    image: nginx:1.27\n    ports: [\"80:80\"]\n    labels:\n      kompose.service.type: bogus\n";
    let (code, out, err) = convert(compose, &[]);
    assert_eq!(code, 1, "{err}");
    assert!(out.is_empty());
    assert!(
        err.contains("error[C016]: `bogus` is not a service type"),
        "{err}"
    );
    assert!(
        err.contains("services.web.labels.kompose.service.type"),
        "{err}"
    );
}

#[test]
fn kompose_volume_size_sizes_the_claims_made_from_bind_mounts() {
    let compose = "services:\n  web:\n    image: nginx:1.27\n    volumes: [./data:/data]\n    labels:\n      kompose.volume.size: 3Gi\n";
    let (code, out, err) = convert(compose, &["--volumes", "persistentVolumeClaim"]);
    assert_eq!(code, 0, "{err}");
    let claims: Vec<serde_json::Value> = serde_norway::Deserializer::from_str(&out)
        .map(|d| serde::Deserialize::deserialize(d).unwrap())
        .filter(|d: &serde_json::Value| d["kind"] == "PersistentVolumeClaim")
        .collect();
    assert_eq!(claims.len(), 1, "{out}");
    assert_eq!(claims[0]["spec"]["resources"]["requests"]["storage"], "3Gi");
}
