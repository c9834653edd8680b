//! Where a text dials another service by name: the spans of a value or a config file where a
//! host name stands, with the port it is dialled on when the text says it.
//!
//! Three kinds of text, each with the forms that mark a host without guessing:
//! - every text: a URL authority (`scheme://[user@]host[:port][,host2:port2]`, so Kafka
//!   listeners and multi-host URLs too; a port-less URL takes its scheme's default port) and
//!   `host:port` (`db:5432/app`, `zoo1:2888:3888`; not `org/redis:7`, not `u:1234@db`);
//! - an environment value whose key says host (`DB_HOST=db`, `KAFKA_BROKERS=a,b`): the whole
//!   value, or each item of a list;
//! - a config file: the host of `server`, `reverse_proxy`, `fastcgi_pass`, `address`, `host` …
//!   entries (nginx, Caddy, Envoy, YAML), with the port written after them
//!   (`port_value: 8080`) or, for a proxy entry, 80. nginx `upstream` block names are not
//!   hosts: `proxy_pass http://backend` reaches the upstream, not a service called `backend`.
//!
//! `is_name` says which words are host names worth reporting (the project's service names);
//! everything else is skipped, so a word that happens to be followed by `:` and digits is only
//! reported when it names a service.

/// A host named in a text: its span (bytes) and the port it is dialled on, when known.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Dial<'t> {
    pub start: usize,
    pub host: &'t str,
    pub port: Option<u32>,
}

impl Dial<'_> {
    pub fn end(&self) -> usize {
        self.start + self.host.len()
    }
}

/// What kind of text is read.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Text<'k> {
    /// An environment value, with its key.
    Env(&'k str),
    /// A command or argument word (or a whole `sh -c` script).
    Arg,
    /// A config file.
    File,
}

/// Characters a host name is made of.
fn is_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.')
}

/// The default port of a URL scheme, where clients agree on one.
pub(crate) fn scheme_port(scheme: &str) -> Option<u32> {
    let s = scheme.to_ascii_lowercase();
    // `db+postgresql`, `jdbc:postgresql`: the last scheme is the protocol.
    let s = s.rsplit(['+', ':']).next().unwrap_or(&s);
    Some(match s {
        "http" | "ws" => 80,
        "https" | "wss" => 443,
        "postgres" | "postgresql" => 5432,
        "mysql" | "mariadb" => 3306,
        "redis" | "rediss" => 6379,
        "mongodb" => 27017,
        "amqp" => 5672,
        "amqps" => 5671,
        "nats" => 4222,
        "mqtt" => 1883,
        "memcached" => 11211,
        "ldap" => 389,
        "ldaps" => 636,
        "smtp" => 25,
        _ => return None,
    })
}

/// A port: 1-5 digits within 1-65535.
fn parse_port(digits: &[u8]) -> Option<u32> {
    if digits.is_empty() || digits.len() > 5 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(digits)
        .ok()?
        .parse()
        .ok()
        .filter(|p| (1..=65535).contains(p))
}

/// The port written right after a host (`:5432` then the end or a delimiter), if any.
fn port_after(bytes: &[u8], at: usize) -> Option<u32> {
    let rest = bytes.get(at..)?.strip_prefix(b":")?;
    let n = rest.iter().take_while(|b| b.is_ascii_digit()).count();
    let next = rest.get(n).copied();
    // `redis:7-alpine`, `redis:7.2`, `:1234@host` (a password), `:80abc` are not ports.
    let ends = match next {
        None => true,
        Some(b'.') => !rest.get(n + 1).is_some_and(u8::is_ascii_digit),
        Some(b) => !(b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'@')),
    };
    // Below 20 it is an image tag (`postgres:16`, `redis:7`), not a port anyone serves on.
    parse_port(&rest[..n]).filter(|&p| ends && p >= 20)
}

/// Keys whose whole value is a host (or a list of hosts).
fn is_host_key(key: &str) -> bool {
    let k = key.to_ascii_uppercase();
    let k = k.trim_end_matches('S');
    [
        "HOST", "ADDR", "ADDRESS", "SERVER", "ENDPOINT", "BROKER", "NODE", "SEED",
    ]
    .iter()
    .any(|s| k.ends_with(s))
}

/// Every place `text` dials a name `is_name` accepts, in order, once per span and port (a span
/// can dial two: `zoo1:2888:3888`).
pub(crate) fn dials<'t>(
    text: &'t str,
    kind: Text<'_>,
    is_name: &dyn Fn(&str) -> bool,
) -> Vec<Dial<'t>> {
    // Without a `:` there is no URL and no `host:port`: only a host key's whole value and a
    // config file's entries are left to read. Most environment values are such texts.
    let host_key = matches!(kind, Text::Env(key) if is_host_key(key));
    if !host_key && !matches!(kind, Text::File) && !text.contains(':') {
        return Vec::new();
    }
    let bytes = text.as_bytes();
    let upstreams = match kind {
        Text::File => nginx_upstreams(text),
        _ => Vec::new(),
    };
    let mut out: Vec<Dial<'t>> = Vec::new();
    let push = |d: Dial<'t>, out: &mut Vec<Dial<'t>>| {
        if is_name(d.host) && !out.iter().any(|o| o.start == d.start && o.port == d.port) {
            out.push(d);
        }
    };
    // URL authorities.
    let mut from = 0;
    while let Some(i) = text[from..].find("://") {
        let sep = from + i;
        from = sep + 3;
        let scheme_start = bytes[..sep]
            .iter()
            .rposition(|b| !(b.is_ascii_alphanumeric() || matches!(b, b'+' | b'.' | b'-')))
            .map_or(0, |p| p + 1);
        let scheme = &text[scheme_start..sep];
        if !scheme.starts_with(|c: char| c.is_ascii_alphabetic()) {
            continue;
        }
        let auth_end = bytes[from..]
            .iter()
            .position(|b| b"/?#\"' \t\r\n;)]}<>".contains(b))
            .map_or(bytes.len(), |p| from + p);
        let mut at = bytes[from..auth_end]
            .iter()
            .rposition(|&b| b == b'@')
            .map_or(from, |p| from + p + 1);
        while at < auth_end {
            let host_end = bytes[at..auth_end]
                .iter()
                .position(|&b| b == b':' || b == b',')
                .map_or(auth_end, |p| at + p);
            let explicit = bytes.get(host_end) == Some(&b':');
            let port = if explicit {
                let n = bytes[host_end + 1..auth_end]
                    .iter()
                    .take_while(|b| b.is_ascii_digit())
                    .count();
                parse_port(&bytes[host_end + 1..host_end + 1 + n])
            } else {
                scheme_port(scheme)
            };
            // `proxy_pass http://backend` names the upstream block `backend` when there is one.
            let upstream = !explicit && upstreams.contains(&&text[at..host_end]);
            if host_end > at && !upstream {
                push(
                    Dial {
                        start: at,
                        host: &text[at..host_end],
                        port,
                    },
                    &mut out,
                );
            }
            at = bytes[host_end..auth_end]
                .iter()
                .position(|&b| b == b',')
                .map_or(auth_end, |p| host_end + p + 1);
        }
        from = auth_end.max(from);
    }
    // `name:port` and, in files, the host of proxy entries.
    let mut i = 0;
    while i < bytes.len() {
        if !is_name_byte(bytes[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < bytes.len() && is_name_byte(bytes[i]) {
            i += 1;
        }
        let word = &text[start..i];
        let before = start.checked_sub(1).map(|p| bytes[p]);
        // `org/redis:7` is an image path; `//host:port` was read as a URL above.
        let path = before == Some(b'/') && (start < 2 || bytes[start - 2] != b'/');
        if !path && before != Some(b'@') {
            // `zoo1:2888:3888`: ZooKeeper's peer and election ports, both dialled.
            let mut at = i;
            while let Some(port) = port_after(bytes, at) {
                push(
                    Dial {
                        start,
                        host: word,
                        port: Some(port),
                    },
                    &mut out,
                );
                at += 1 + bytes[at + 1..]
                    .iter()
                    .take_while(|b| b.is_ascii_digit())
                    .count();
            }
        }
    }
    match kind {
        Text::Env(_) if host_key => {
            let mut at = 0;
            for item in text.split([',', ' ', ';']) {
                if !item.is_empty() && is_name_byte(item.as_bytes()[0]) && !item.contains(':') {
                    push(
                        Dial {
                            start: at,
                            host: item,
                            port: None,
                        },
                        &mut out,
                    );
                }
                at += item.len() + 1;
            }
        }
        Text::File => {
            for d in entries(text) {
                push(d, &mut out);
            }
        }
        _ => {}
    }
    out.sort_by_key(|d| (d.start, d.port));
    out
}

/// Config entries whose value is a host: `server backend;`, `reverse_proxy app`,
/// `address: backend` (+ `port_value: 8080` nearby), `host: db` (+ `port: 5432`).
const ENTRY_WORDS: &[(&str, Option<u32>)] = &[
    ("server", Some(80)),
    ("reverse_proxy", Some(80)),
    ("fastcgi_pass", None),
    ("grpc_pass", None),
    ("uwsgi_pass", None),
    ("address", None),
    ("host", None),
    ("hostname", None),
];

fn entries(text: &str) -> Vec<Dial<'_>> {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    for &(word, default) in ENTRY_WORDS {
        let mut from = 0;
        while let Some(i) = text[from..].find(word) {
            let s = from + i;
            from = s + word.len();
            let before_ok = s == 0 || b" \t\n{;,\"'-".contains(&bytes[s - 1]);
            if !before_ok {
                continue;
            }
            // Separator: spaces, `:` or `=`, optional quotes.
            let mut at = from;
            while at < bytes.len() && b" \t:=\"'".contains(&bytes[at]) {
                at += 1;
            }
            if at == from || (at < bytes.len() && !is_name_byte(bytes[at])) {
                continue;
            }
            let start = at;
            while at < bytes.len() && is_name_byte(bytes[at]) {
                at += 1;
            }
            let ends = at == bytes.len() || b" \t\r\n;,}]\"'".contains(&bytes[at]);
            if !ends || start == at {
                continue;
            }
            let mut end = (at + 100).min(text.len());
            while !text.is_char_boundary(end) {
                end -= 1;
            }
            let port = near_port(&text[at..end]).or(default);
            out.push(Dial {
                start,
                host: &text[start..at],
                port,
            });
        }
    }
    out
}

/// `port: N` or `port_value: N` in the text that follows a host entry (the next 100 bytes:
/// Envoy writes it on the next line).
fn near_port(window: &str) -> Option<u32> {
    let mut from = 0;
    while let Some(i) = window[from..].find("port") {
        let s = from + i;
        from = s + 4;
        let rest = window[from..]
            .strip_prefix("_value")
            .unwrap_or(&window[from..]);
        let rest = rest.trim_start_matches([' ', '\t', ':', '=', '"', '\'']);
        let n = rest.bytes().take_while(u8::is_ascii_digit).count();
        if let Some(p) = parse_port(&rest.as_bytes()[..n]) {
            return Some(p);
        }
    }
    None
}

/// The names of nginx `upstream NAME {` blocks.
fn nginx_upstreams(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(i) = text[from..].find("upstream") {
        let s = from + i;
        from = s + "upstream".len();
        let rest = &text[from..];
        let trimmed = rest.trim_start();
        if trimmed.len() == rest.len() {
            continue;
        }
        let name_len = trimmed.bytes().take_while(|&b| is_name_byte(b)).count();
        if name_len > 0 && trimmed[name_len..].trim_start().starts_with('{') {
            out.push(&trimmed[..name_len]);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found<'a>(text: &'a str, kind: Text<'_>) -> Vec<(&'a str, Option<u32>)> {
        let names = [
            "db", "cache", "kafka", "zoo1", "backend", "web", "redis", "db_main",
        ];
        dials(text, kind, &|h| names.contains(&h))
            .into_iter()
            .map(|d| (d.host, d.port))
            .collect()
    }

    #[test]
    fn urls_and_host_ports() {
        assert_eq!(
            found("postgres://app:pw@db/x", Text::Arg),
            vec![("db", Some(5432))]
        );
        assert_eq!(
            found("postgres://db:pw@db:6000/x", Text::Arg),
            vec![("db", Some(6000))]
        );
        assert_eq!(
            found(
                "PLAINTEXT://kafka:29092,PLAINTEXT_HOST://localhost:9092",
                Text::Arg
            ),
            vec![("kafka", Some(29092))]
        );
        assert_eq!(
            found("mongodb://db:1,cache:2/x", Text::Arg),
            vec![("db", Some(1)), ("cache", Some(2))]
        );
        assert_eq!(
            found("zoo1:2888:3888;kafka:9092", Text::Arg),
            vec![
                ("zoo1", Some(2888)),
                ("zoo1", Some(3888)),
                ("kafka", Some(9092))
            ]
        );
        assert_eq!(found("grpc://db", Text::Arg), vec![("db", None)]);
        // Images, passwords and versions are not dials.
        assert!(found("library/redis:7", Text::Arg).is_empty());
        assert!(found("redis:7-alpine redis:7.2 u:1234@x db:80abc", Text::Arg).is_empty());
        assert_eq!(found("redis:6379.", Text::Arg), vec![("redis", Some(6379))]);
    }

    #[test]
    fn host_keys() {
        assert_eq!(found("db", Text::Env("DB_HOST")), vec![("db", None)]);
        assert_eq!(
            found("kafka,zoo1", Text::Env("KAFKA_BROKERS")),
            vec![("kafka", None), ("zoo1", None)]
        );
        // A database named like the service is not a host.
        assert!(found("db", Text::Env("POSTGRES_DB")).is_empty());
        let text = "db_main";
        let d = dials(text, Text::Env("DB_HOST"), &|h| h == "db_main");
        assert_eq!((d[0].start, d[0].end()), (0, 7));
    }

    #[test]
    fn config_files() {
        let nginx = "upstream backend { server backend:8000; }\nupstream app { server web; }\nserver { listen 80;\n location / { proxy_pass http://backend; }\n location /w { proxy_pass http://web; }\n}\n";
        assert_eq!(
            found(nginx, Text::File),
            vec![
                ("backend", Some(8000)),
                ("web", Some(80)),
                ("web", Some(80))
            ]
        );
        let caddy = "example.com {\n\treverse_proxy web:3000\n\treverse_proxy cache\n}\n";
        assert_eq!(
            found(caddy, Text::File),
            vec![("web", Some(3000)), ("cache", Some(80))]
        );
        let envoy = "socket_address:\n  address: backend\n  port_value: 9000\n";
        assert_eq!(found(envoy, Text::File), vec![("backend", Some(9000))]);
        let prom = "static_configs:\n  - targets: ['web:9100', \"cache:9121\"]\n";
        assert_eq!(
            found(prom, Text::File),
            vec![("web", Some(9100)), ("cache", Some(9121))]
        );
        assert_eq!(found("host: db\n", Text::File), vec![("db", None)]);
    }
}
