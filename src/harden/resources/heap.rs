//! The JVM heap a container is given: `-Xmx` / `-XX:MaxHeapSize=` in any environment value
//! (`JAVA_OPTS`, `ES_JAVA_OPTS`, `KAFKA_HEAP_OPTS`, `JAVA_TOOL_OPTIONS`…) or argument, and the
//! heap variables of images that take a bare size (Cassandra, Solr, Neo4j, old Elasticsearch).
//! It is what the process will use, so it is where a memory limit can come from.

use k8s_openapi::api::core::v1::Container;

/// Variables whose whole value is a JVM size.
const HEAP_VARS: &[&str] = &["MAX_HEAP_SIZE", "SOLR_HEAP", "ES_HEAP_SIZE", "LS_HEAP_SIZE"];
/// Suffixes of Neo4j's heap and page cache settings (both must fit under the limit).
const NEO4J_SUFFIXES: &[&str] = &["heap_max__size", "pagecache_size"];

/// The largest heap the container's JVMs are told to use, in bytes, and where it was read
/// (`ES_JAVA_OPTS=-Xmx2g`); Neo4j's page cache is added to its heap.
pub fn heap(c: &Container) -> Option<(u64, String)> {
    let mut best: Option<(u64, String)> = None;
    let mut keep = |bytes: u64, from: String| {
        if best.as_ref().is_none_or(|(b, _)| bytes > *b) {
            best = Some((bytes, from));
        }
    };
    let mut neo4j = 0u64;
    let mut neo4j_from = Vec::new();
    for e in c.env.iter().flatten() {
        let Some(v) = e.value.as_deref() else {
            continue;
        };
        if let Some(b) = in_options(v) {
            keep(b, format!("{}={}", e.name, flag_text(v)));
        } else if HEAP_VARS.contains(&e.name.as_str()) {
            if let Some(b) = size(v.trim()) {
                keep(b, format!("{}={v}", e.name));
            }
        } else if e.name.starts_with("NEO4J_")
            && NEO4J_SUFFIXES.iter().any(|s| e.name.ends_with(s))
            && let Some(b) = size(v.trim())
        {
            neo4j += b;
            neo4j_from.push(format!("{}={v}", e.name));
        }
    }
    if neo4j > 0 {
        keep(neo4j, neo4j_from.join(" + "));
    }
    for a in c.command.iter().chain(c.args.iter()).flatten() {
        if let Some(b) = in_options(a) {
            keep(b, flag_text(a));
        }
    }
    best
}

/// The largest `-Xmx` / `-XX:MaxHeapSize=` among the words of `s`.
fn in_options(s: &str) -> Option<u64> {
    s.split_whitespace()
        .map(|w| w.trim_matches(['"', '\'']))
        .filter_map(|w| {
            w.strip_prefix("-Xmx")
                .or_else(|| w.strip_prefix("-XX:MaxHeapSize="))
                .and_then(size)
        })
        .max()
}

/// The heap flag of `s` as written, for the report.
fn flag_text(s: &str) -> String {
    s.split_whitespace()
        .map(|w| w.trim_matches(['"', '\'']))
        .find(|w| w.starts_with("-Xmx") || w.starts_with("-XX:MaxHeapSize="))
        .unwrap_or(s)
        .to_string()
}

/// A JVM size: digits, then `k`, `m`, `g` or `t` (either case, optionally `b`), else bytes.
fn size(s: &str) -> Option<u64> {
    let digits = s.len() - s.trim_start_matches(|c: char| c.is_ascii_digit()).len();
    let n: u64 = s[..digits].parse().ok()?;
    let unit = s[digits..].to_ascii_lowercase();
    let shift = match unit.strip_suffix('b').unwrap_or(&unit) {
        "" => 0,
        "k" => 10,
        "m" => 20,
        "g" => 30,
        "t" => 40,
        _ => return None,
    };
    n.checked_mul(1 << shift).filter(|b| *b > 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use k8s_openapi::api::core::v1::EnvVar;

    fn container(env: &[(&str, &str)], args: &[&str]) -> Container {
        Container {
            env: Some(
                env.iter()
                    .map(|(n, v)| EnvVar {
                        name: n.to_string(),
                        value: Some(v.to_string()),
                        ..Default::default()
                    })
                    .collect(),
            ),
            args: Some(args.iter().map(|a| a.to_string()).collect()),
            ..Default::default()
        }
    }

    #[test]
    fn heaps_from_options_variables_and_arguments() {
        let gi = 1u64 << 30;
        let c = container(&[("ES_JAVA_OPTS", "-Xms2g -Xmx2g")], &[]);
        assert_eq!(heap(&c), Some((2 * gi, "ES_JAVA_OPTS=-Xmx2g".into())));
        let c = container(&[("KAFKA_HEAP_OPTS", "-Xmx1G -Xms1G")], &[]);
        assert_eq!(heap(&c).unwrap().0, gi);
        let c = container(&[("MAX_HEAP_SIZE", "512M")], &[]);
        assert_eq!(heap(&c).unwrap().0, 512 << 20);
        let c = container(
            &[
                ("NEO4J_server_memory_heap_max__size", "1G"),
                ("NEO4J_server_memory_pagecache_size", "512m"),
            ],
            &[],
        );
        assert_eq!(heap(&c).unwrap().0, gi + (512 << 20));
        let c = container(
            &[("JAVA_OPTS", "-Xmx256m")],
            &["java", "-Xmx3g", "-jar", "a"],
        );
        assert_eq!(heap(&c), Some((3 * gi, "-Xmx3g".into())));
        let c = container(&[("JAVA_OPTS", "-XX:MaxHeapSize=1073741824")], &[]);
        assert_eq!(heap(&c).unwrap().0, gi);
    }

    #[test]
    fn no_heap_without_a_size() {
        for v in [
            "-Xms2g",
            "-XX:MaxRAMPercentage=75",
            "-Xmx",
            "-Xmx2x",
            "-Xmx0",
        ] {
            assert_eq!(heap(&container(&[("JAVA_OPTS", v)], &[])), None, "{v}");
        }
        assert_eq!(heap(&container(&[("HEAP", "2g")], &[])), None);
    }
}
