//! Property test: generated Compose documents, valid and mutated (random keys, types, nesting,
//! anchors and aliases, interpolation), and the fuzzers' findings never panic in
//! `convert_with` (load → lower → harden → check → render), whatever converts passes the
//! project's own output check, and its YAML output reads back as its JSON output.

use kubeferry::compose::{LoadOptions, MemoryFs};
use kubeferry::{Options, convert_with, harden, lower};
use proptest::prelude::*;

/// A YAML value written in flow style, so any nesting is one line of text.
#[derive(Clone, Debug)]
enum Y {
    Null,
    Bool(bool),
    Int(i64),
    Str(String),
    Seq(Vec<Y>),
    Map(Vec<(String, Y)>),
    /// `&name value`
    Anchor(String, Box<Y>),
    /// `*name`
    Alias(String),
}

impl Y {
    fn write(&self, out: &mut String) {
        match self {
            Y::Null => out.push_str("null"),
            Y::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
            Y::Int(i) => out.push_str(&i.to_string()),
            Y::Str(s) => out.push_str(&serde_json::to_string(s).unwrap()),
            Y::Seq(v) => {
                out.push('[');
                for (i, x) in v.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    x.write(out);
                }
                out.push(']');
            }
            Y::Map(m) => {
                out.push('{');
                for (i, (k, v)) in m.iter().enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    out.push_str(&serde_json::to_string(k).unwrap());
                    out.push_str(": ");
                    v.write(out);
                }
                out.push('}');
            }
            Y::Anchor(a, v) => {
                out.push_str(&format!("&{a} "));
                v.write(out);
            }
            Y::Alias(a) => out.push_str(&format!("*{a}")),
        }
    }
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        "[a-z][a-z0-9_.-]{0,12}",
        Just("${A}".to_string()),
        Just("${A:-fallback}".to_string()),
        Just("${UNSET:-}".to_string()),
        Just("$$literal".to_string()),
        Just("${A:+set}".to_string()),
        Just("nginx:1.27".to_string()),
        Just("./conf.txt:/etc/app.conf".to_string()),
        Just("/abs/host/path:/data".to_string()),
        Just("data:/var/lib/data".to_string()),
        Just("8080:80".to_string()),
        Just("127.0.0.1:5432:5432/tcp".to_string()),
        Just("3000-3005".to_string()),
        Just("512m".to_string()),
        Just("0.5".to_string()),
        Just("10s".to_string()),
        Just("CMD-SHELL curl -f http://localhost/".to_string()),
        "[ -~]{0,16}",
        ".{0,8}",
    ]
}

/// Any value, nested up to a few levels.
fn junk() -> impl Strategy<Value = Y> {
    let leaf = prop_oneof![
        Just(Y::Null),
        any::<bool>().prop_map(Y::Bool),
        (-70000i64..70000).prop_map(Y::Int),
        text().prop_map(Y::Str),
        Just(Y::Alias("a".into())),
    ];
    leaf.prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Y::Seq),
            prop::collection::btree_map(key(), inner, 0..4)
                .prop_map(|m| Y::Map(m.into_iter().collect())),
        ]
    })
}

const SERVICE_KEYS: &[&str] = &[
    "image",
    "build",
    "ports",
    "expose",
    "environment",
    "env_file",
    "volumes",
    "secrets",
    "configs",
    "depends_on",
    "deploy",
    "healthcheck",
    "command",
    "entrypoint",
    "labels",
    "x-kubeferry",
    "networks",
    "user",
    "restart",
    "cap_add",
    "privileged",
    "tmpfs",
    "shm_size",
    "mem_limit",
    "cpus",
    "extends",
    "profiles",
    "network_mode",
    "read_only",
    "working_dir",
    "hostname",
    "ulimits",
    "sysctls",
    "devices",
    "scale",
    "stop_grace_period",
    "init",
];

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(SERVICE_KEYS).prop_map(str::to_string),
        "[a-z_]{1,8}",
    ]
}

/// A plausible value for a service key, or any value at all.
fn service_value(k: &'static str) -> BoxedStrategy<Y> {
    let s = |v: &'static str| Just(Y::Str(v.into()));
    let plausible: BoxedStrategy<Y> = match k {
        "image" => {
            prop_oneof![s("nginx:1.27"), s("postgres:16"), s("redis"), s("${A}/app")].boxed()
        }
        "ports" => prop::collection::vec(
            prop_oneof![
                s("80"),
                s("8080:80"),
                s("9000-9002:9000-9002"),
                s("53:53/udp"),
                (1i64..70000).prop_map(Y::Int),
                Just(Y::Map(vec![
                    ("target".into(), Y::Int(443)),
                    ("published".into(), Y::Str("8443".into())),
                ])),
            ],
            0..3,
        )
        .prop_map(Y::Seq)
        .boxed(),
        "expose" => prop::collection::vec(prop_oneof![s("3000"), s("5000-5001"), s("9/udp")], 0..3)
            .prop_map(Y::Seq)
            .boxed(),
        "environment" => prop_oneof![
            Just(Y::Map(vec![
                ("DB_PASSWORD".into(), Y::Str("${PASSWORD}".into())),
                ("URL".into(), Y::Str("postgres://db:5432/x".into())),
            ])),
            Just(Y::Seq(vec![Y::Str("A=1".into()), Y::Str("B".into())])),
        ]
        .boxed(),
        "env_file" => prop_oneof![s(".env"), s("missing.env")].boxed(),
        "volumes" => prop::collection::vec(
            prop_oneof![
                s("data:/data"),
                s("./conf.txt:/etc/conf.txt:ro"),
                s("/var/run/docker.sock:/var/run/docker.sock"),
                s("/tmp"),
                s("./dir:/srv"),
            ],
            0..3,
        )
        .prop_map(Y::Seq)
        .boxed(),
        "secrets" => Just(Y::Seq(vec![Y::Str("token".into())])).boxed(),
        "configs" => Just(Y::Seq(vec![Y::Str("conf".into())])).boxed(),
        "depends_on" => prop_oneof![
            Just(Y::Seq(vec![Y::Str("db".into())])),
            Just(Y::Map(vec![(
                "web".into(),
                Y::Map(vec![(
                    "condition".into(),
                    Y::Str("service_completed_successfully".into())
                )])
            )])),
        ]
        .boxed(),
        "deploy" => Just(Y::Map(vec![
            ("replicas".into(), Y::Int(2)),
            (
                "resources".into(),
                Y::Map(vec![(
                    "limits".into(),
                    Y::Map(vec![
                        ("cpus".into(), Y::Str("0.5".into())),
                        ("memory".into(), Y::Str("256M".into())),
                    ]),
                )]),
            ),
        ]))
        .boxed(),
        "healthcheck" => Just(Y::Map(vec![
            (
                "test".into(),
                Y::Seq(vec![Y::Str("CMD".into()), Y::Str("true".into())]),
            ),
            ("interval".into(), Y::Str("5s".into())),
        ]))
        .boxed(),
        "extends" => prop_oneof![s("db"), s("web")].boxed(),
        "network_mode" => prop_oneof![s("host"), s("service:db"), s("none")].boxed(),
        "x-kubeferry" => Just(Y::Map(vec![(
            "controller".into(),
            Y::Str("statefulset".into()),
        )]))
        .boxed(),
        "cap_add" => Just(Y::Seq(vec![Y::Str("NET_ADMIN".into())])).boxed(),
        "profiles" => prop_oneof![
            Just(Y::Seq(vec![])),
            Just(Y::Seq(vec![Y::Str("debug".into())]))
        ]
        .boxed(),
        "tmpfs" => prop_oneof![
            s("/tmp"),
            Just(Y::Seq(vec![Y::Str("/run:size=64m".into())]))
        ]
        .boxed(),
        "devices" => Just(Y::Seq(vec![Y::Str("/dev/fuse".into())])).boxed(),
        "entrypoint" => Just(Y::Seq(vec![Y::Str("sh".into()), Y::Str("-c".into())])).boxed(),
        "command" => prop_oneof![
            s("echo $$HOME ${A}"),
            Just(Y::Seq(vec![Y::Str("run".into())]))
        ]
        .boxed(),
        "labels" => Just(Y::Map(vec![(
            "kompose.service.type".into(),
            Y::Str("nodeport".into()),
        )]))
        .boxed(),
        "sysctls" => Just(Y::Map(vec![("net.core.somaxconn".into(), Y::Int(1024))])).boxed(),
        "ulimits" => Just(Y::Map(vec![("nofile".into(), Y::Int(65535))])).boxed(),
        "privileged" | "read_only" | "init" => any::<bool>().prop_map(Y::Bool).boxed(),
        "stop_grace_period" => s("10s").boxed(),
        "shm_size" | "mem_limit" => prop_oneof![s("64m"), Just(Y::Int(1_000_000))].boxed(),
        "cpus" => prop_oneof![s("0.5"), Just(Y::Int(2))].boxed(),
        "scale" => (0i64..3).prop_map(Y::Int).boxed(),
        "restart" => prop_oneof![s("always"), s("on-failure"), s("no")].boxed(),
        "user" => prop_oneof![s("1000:1000"), s("root"), s("0")].boxed(),
        "networks" => Just(Y::Seq(vec![Y::Str("default".into())])).boxed(),
        "build" => s("./app").boxed(),
        _ => text().prop_map(Y::Str).boxed(),
    };
    prop_oneof![8 => plausible, 1 => junk()].boxed()
}

fn service() -> impl Strategy<Value = Y> {
    (prop::sample::subsequence(SERVICE_KEYS, 1..8), any::<bool>())
        .prop_flat_map(|(keys, merge)| {
            let fields: Vec<_> = keys
                .into_iter()
                .map(|k| service_value(k).prop_map(move |v| (k.to_string(), v)))
                .collect();
            (fields, Just(merge))
        })
        .prop_map(|(mut fields, merge)| {
            if merge {
                fields.push(("<<".into(), Y::Alias("a".into())));
            }
            // Most services have an image, so conversions get past the loader.
            if !fields.iter().any(|(k, _)| k == "image") {
                fields.push(("image".into(), Y::Str("busybox".into())));
            }
            Y::Map(fields)
        })
}

fn service_name() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("web".to_string()),
        Just("db".to_string()),
        Just("My_App".to_string()),
        Just("9lives".to_string()),
        "[a-z][a-z0-9_.-]{0,70}",
    ]
}

fn document() -> impl Strategy<Value = Y> {
    (
        service(),
        service(),
        prop::collection::vec((service_name(), service()), 0..3),
        junk(),
        prop::bool::weighted(0.8),
    )
        .prop_map(|(web, db, more, extra, with_top)| {
            // `web` and `db` always exist, so references between services often resolve.
            let mut services = vec![("web".to_string(), web), ("db".to_string(), db)];
            for (n, svc) in more {
                if !services.iter().any(|(m, _)| *m == n) {
                    services.push((n, svc));
                }
            }
            let mut top = vec![
                (
                    "x-base".to_string(),
                    Y::Anchor(
                        "a".into(),
                        Box::new(Y::Map(vec![("restart".into(), Y::Str("always".into()))])),
                    ),
                ),
                ("services".to_string(), Y::Map(services)),
            ];
            if with_top {
                top.push(("volumes".into(), Y::Map(vec![("data".into(), Y::Null)])));
                top.push((
                    "secrets".into(),
                    Y::Map(vec![(
                        "token".into(),
                        Y::Map(vec![("file".into(), Y::Str("./secret.txt".into()))]),
                    )]),
                ));
                top.push((
                    "configs".into(),
                    Y::Map(vec![(
                        "conf".into(),
                        Y::Map(vec![("content".into(), Y::Str("k=v".into()))]),
                    )]),
                ));
            }
            top.push(("x-extra".into(), extra));
            Y::Map(top)
        })
}

/// A mutation of the text: insert, delete or replace a few bytes.
fn mutations() -> impl Strategy<Value = Vec<(prop::sample::Index, u8, u8)>> {
    prop::collection::vec(
        (
            any::<prop::sample::Index>(),
            0u8..3,
            prop::sample::select(&b"{}[],:&*!-#'\"\n\t $0a\\"[..]),
        ),
        0..3,
    )
}

fn mutate(text: &str, muts: &[(prop::sample::Index, u8, u8)]) -> Vec<u8> {
    let mut b = text.as_bytes().to_vec();
    for (at, op, byte) in muts {
        let i = at.index(b.len() + 1);
        match op {
            0 => b.insert(i, *byte),
            1 if i < b.len() => {
                b.remove(i);
            }
            _ if i < b.len() => b[i] = *byte,
            _ => b.push(*byte),
        }
    }
    b
}

/// Conversion options worth varying: they pick different lowering paths.
#[derive(Clone, Copy, Debug)]
struct Choice {
    binds: u8,
    controller: u8,
    external_secrets: bool,
    harden: u8,
}

fn choice() -> impl Strategy<Value = Choice> {
    (0u8..3, 0u8..4, any::<bool>(), 0u8..3).prop_map(
        |(binds, controller, external_secrets, harden)| Choice {
            binds,
            controller,
            external_secrets,
            harden,
        },
    )
}

fn options(c: Choice) -> Options {
    let l = lower::LowerOptions {
        binds: [
            lower::BindStrategy::EmptyDir,
            lower::BindStrategy::PersistentVolumeClaim,
            lower::BindStrategy::HostPath,
        ][c.binds as usize],
        controller: [
            None,
            Some(lower::Controller::Deployment),
            Some(lower::Controller::StatefulSet),
            Some(lower::Controller::DaemonSet),
        ][c.controller as usize],
        secrets: if c.external_secrets {
            lower::SecretValues::External
        } else {
            lower::SecretValues::Inline
        },
        ..lower::LowerOptions::default()
    };
    let h = harden::HardenOptions {
        level: [
            harden::Level::None,
            harden::Level::Baseline,
            harden::Level::Restricted,
        ][c.harden as usize],
        ..harden::HardenOptions::default()
    };
    Options {
        lower: l,
        harden: h,
        ..Options::default()
    }
}

/// The whole pipeline (`convert_with`); `Some((yaml, json))` when the document converts.
/// Output the project's own check rejects (E100, a bug) fails the test.
fn convert(bytes: Vec<u8>, c: Choice) -> Option<(String, String)> {
    let fs = MemoryFs::new()
        .with("/p/compose.yaml", bytes)
        .with("/p/secret.txt", b"s3cr3t".to_vec())
        .with("/p/conf.txt", b"a=b".to_vec())
        .with("/p/.env", b"FROM_DOTENV=1\n".to_vec());
    let opts = LoadOptions {
        files: vec!["compose.yaml".into()],
        working_dir: "/p".into(),
        home: Some("/home/u".into()),
        environment: [("A", "x"), ("PASSWORD", "pw")]
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        ..LoadOptions::default()
    };
    match convert_with(&opts, &fs, &options(c)) {
        Ok(conversion) => Some((conversion.to_yaml(), conversion.to_json())),
        Err(f) if f.0.iter().any(|d| d.code == "E100") => {
            panic!("the output check rejects a lowered object:\n{f}")
        }
        Err(_) => None,
    }
}

proptest! {
    // Modest by default so `cargo test` stays quick; PROPTEST_CASES raises it.
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn generated_documents_convert_or_fail_cleanly(
        doc in document(),
        muts in mutations(),
        c in choice(),
    ) {
        let mut text = String::new();
        doc.write(&mut text);
        text.push('\n');
        let bytes = mutate(&text, &muts);
        // No panic (proptest reports one as a failure with the shrunk input), and any output
        // passed the check inside `convert`.
        let _ = convert(bytes, c);
    }

    #[test]
    fn valid_documents_convert_the_same_way_twice(doc in document(), c in choice()) {
        let mut text = String::new();
        doc.write(&mut text);
        let a = convert(text.clone().into_bytes(), c);
        let b = convert(text.into_bytes(), c);
        prop_assert_eq!(a, b);
    }

    /// The YAML stream, read back by a YAML 1.2 reader, holds exactly the objects of the JSON
    /// List: no string turns into a number or a boolean, no value is lost to quoting.
    #[test]
    fn yaml_output_reads_back_as_the_json_output(doc in document(), c in choice()) {
        let mut text = String::new();
        doc.write(&mut text);
        if let Some((yaml, json)) = convert(text.into_bytes(), c) {
            // No object is an empty stream (which a YAML reader takes for one null document).
            let from_yaml: Vec<serde_json::Value> = if yaml.is_empty() {
                Vec::new()
            } else {
                serde_norway::Deserializer::from_str(&yaml)
                    .map(|d| serde::Deserialize::deserialize(d).expect("the YAML reads back"))
                    .collect()
            };
            let list: serde_json::Value = serde_json::from_str(&json).expect("the JSON reads back");
            prop_assert_eq!(&from_yaml, list["items"].as_array().expect("a List"));
        }
    }
}

/// Inputs the fuzzers found (`fixtures/fuzz/*.yaml`) convert or fail cleanly, under every
/// option choice, and what converts passes the output check.
#[test]
fn fuzzer_findings_stay_fixed() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/fuzz");
    let mut n = 0;
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let bytes = std::fs::read(e.path()).unwrap();
        for c in [0u8, 1, 2] {
            let choice = Choice {
                binds: c,
                controller: c,
                external_secrets: c == 1,
                harden: c,
            };
            convert(bytes.clone(), choice);
        }
        n += 1;
    }
    assert!(n > 0);
}

/// The kubelet's expansion of env values, command and args (Kubernetes'
/// `third_party/forked/golang/expansion`): `$$` is `$`, `$(NAME)` is NAME's value when it is
/// defined and stays as written when not, and any other `$x` is copied, `x` being one byte
/// turned into a character as Go's `string(byte)` does (Latin-1).
fn kubelet_expand(input: &str, defined: &dyn Fn(&str) -> Option<String>) -> Vec<u8> {
    let b = input.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] != b'$' || i + 1 == b.len() {
            out.push(b[i]);
            i += 1;
            continue;
        }
        let next = b[i + 1];
        match next {
            b'$' => {
                out.push(b'$');
                i += 2;
            }
            b'(' => match b[i + 2..].iter().position(|&c| c == b')') {
                Some(len) => {
                    let name = &input[i + 2..i + 2 + len];
                    match defined(name) {
                        Some(v) => out.extend_from_slice(v.as_bytes()),
                        None => out.extend_from_slice(format!("$({name})").as_bytes()),
                    }
                    i += 2 + len + 1;
                }
                None => {
                    out.extend_from_slice(b"$(");
                    i += 2;
                }
            },
            _ => {
                out.push(b'$');
                let mut buf = [0; 4];
                out.extend_from_slice(char::from(next).encode_utf8(&mut buf).as_bytes());
                i += 2;
            }
        }
    }
    out
}

/// Strings made of what the kubelet's expansion reacts to: `$`, `(`, `)`, `{`, the names of
/// a defined (`A`) and an undefined (`B`) variable, other letters, and a non-ASCII letter.
fn dollar_text() -> impl Strategy<Value = String> {
    prop::collection::vec(
        prop::sample::select(vec!["$", "$", "(", ")", "{", "}", "A", "B", "x", " ", "é"]),
        0..24,
    )
    .prop_map(|parts| parts.concat())
}

/// The env value, command and args the kubelet is given for `s` (Compose's own value: the
/// Compose file writes it with `$$` for each `$`).
fn kubelet_inputs(s: &str) -> (String, String, String) {
    let compose_text = s.replace('$', "$$");
    let doc = serde_json::json!({
        "services": {"app": {
            "image": "example/app:1",
            "entrypoint": [compose_text],
            "command": [compose_text],
            "environment": {"A": "defined", "V": compose_text},
        }}
    });
    let fs = MemoryFs::new().with("/p/compose.yaml", doc.to_string().into_bytes());
    let opts = LoadOptions {
        files: vec!["compose.yaml".into()],
        working_dir: "/p".into(),
        ..LoadOptions::default()
    };
    let mut options = Options::default();
    options.harden.level = harden::Level::None;
    let conversion = convert_with(&opts, &fs, &options).expect("the document converts");
    let json: serde_json::Value = serde_json::from_str(&conversion.to_json()).unwrap();
    let list = json
        .get("items")
        .unwrap_or(&json)
        .as_array()
        .unwrap()
        .clone();
    let dep = list
        .iter()
        .find(|o| o["kind"] == "Deployment")
        .expect("a Deployment");
    let c = &dep["spec"]["template"]["spec"]["containers"][0];
    let env = c["env"].as_array().unwrap();
    let v = env.iter().find(|e| e["name"] == "V").unwrap();
    let text = |x: &serde_json::Value| x.as_str().unwrap().to_string();
    (
        text(&v["value"]),
        text(&c["command"][0]),
        text(&c["args"][0]),
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// What the kubelet makes of the converted env value, command and args is what Compose
    /// gives the container, whether the `$(NAME)` they contain names a defined variable or not.
    #[test]
    fn the_kubelet_delivers_composes_text(s in dollar_text()) {
        let (value, command, args) = kubelet_inputs(&s);
        let defined = |n: &str| (n == "A").then(|| "defined".to_string());
        let undefined = |_: &str| None;
        for given in [&value, &command, &args] {
            prop_assert_eq!(kubelet_expand(given, &defined), s.as_bytes());
            prop_assert_eq!(kubelet_expand(given, &undefined), s.as_bytes());
        }
    }
}

#[test]
fn the_kubelet_model_reads_dollars_as_kubernetes_does() {
    let env = |n: &str| (n == "A").then(|| "x".to_string());
    let cases: [(&str, &[u8]); 8] = [
        ("pa$$word", b"pa$word"),
        ("$(A)-$(B)", b"x-$(B)"),
        ("$$(A)", b"$(A)"),
        ("$A ${A} $", b"$A ${A} $"),
        ("$(A", b"$(A"),
        ("$$$", b"$$"),
        ("$()", b"$()"),
        // `é` is two bytes: the first becomes `Ã`, the second is copied alone (not UTF-8).
        ("$é", b"$\xc3\x83\xa9"),
    ];
    for (given, want) in cases {
        let got = kubelet_expand(given, &env);
        assert_eq!(got, want, "{given}");
    }
}
