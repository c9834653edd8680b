//! `ports:` short syntax (`[[IP:](HOST|RANGE):](CONTAINER|RANGE)[/PROTO]`) to the long form.

use super::node::{Map, Node, Pos, Value};
use super::{Ctx, LoadError};
use crate::diag::{dotted, indexed};

pub fn canonicalize(n: &mut Node, ctx: &Ctx<'_>, path: &str) -> Result<(), LoadError> {
    let Value::Seq(items) = &n.value else {
        if n.is_null() {
            n.value = Value::Seq(Vec::new());
            return Ok(());
        }
        return Err(ctx.error(
            "C011",
            n.at,
            path,
            format!("must be a list, not {}", n.kind_name()),
        ));
    };
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let p = indexed(path, i);
        match &item.value {
            Value::Map(m) => out.push(long(m, item, ctx, &p)?),
            Value::Int(_) | Value::Str(_) | Value::Float(_) => {
                let s = item.scalar_string().unwrap_or_default();
                for port in parse_short(&s).map_err(|e| ctx.error("C013", item.at, &p, e))? {
                    out.push(port.into_node(item.at));
                }
            }
            _ => {
                return Err(ctx.error(
                    "C011",
                    item.at,
                    &p,
                    format!(
                        "must be a port string, number or mapping, not {}",
                        item.kind_name()
                    ),
                ));
            }
        }
    }
    // Identical mappings collapse to the first, as Docker Compose's unicity rule does.
    let mut seen = std::collections::HashSet::new();
    out.retain(|p| {
        let key = ["host_ip", "target", "published", "protocol"]
            .map(|k| p.get(k).and_then(Node::scalar_string).unwrap_or_default());
        seen.insert(key)
    });
    n.value = Value::Seq(out);
    Ok(())
}

/// Long syntax: fill `mode` and `protocol`, type `target` and `published`.
fn long(m: &Map, item: &Node, ctx: &Ctx<'_>, path: &str) -> Result<Node, LoadError> {
    let mut out = m.clone();
    if !m.contains_key("target") {
        return Err(ctx.error("C013", item.at, path, "a port mapping needs `target`"));
    }
    if let Some(t) = m.get("target") {
        let v = t
            .scalar_string()
            .and_then(|s| s.trim().parse::<u32>().ok())
            .filter(|v| *v <= 65535)
            .ok_or_else(|| {
                ctx.error(
                    "C013",
                    t.at,
                    &dotted(path, "target"),
                    "must be a port number from 0 to 65535",
                )
            })?;
        out.insert("target".into(), Node::new(Value::Int(v.into()), t.at));
    }
    if let Some(p) = m.get("published") {
        match p.scalar_string() {
            // Any string, as Docker Compose takes it (`example.com:8080` too); the
            // conversion serves the container port and uses only a numeric published port.
            Some(s) if !s.is_empty() => {
                out.insert("published".into(), Node::str(s, p.at));
            }
            None if !p.is_null() => {
                return Err(ctx.error(
                    "C013",
                    p.at,
                    &dotted(path, "published"),
                    format!("must be an integer or a string, not {}", p.kind_name()),
                ));
            }
            _ => {
                out.shift_remove("published");
            }
        }
    }
    if !out.contains_key("mode") {
        out.insert("mode".into(), Node::str("ingress", item.at));
    }
    if !out.contains_key("protocol") {
        out.insert("protocol".into(), Node::str("tcp", item.at));
    }
    Ok(Node::map(out, item.at))
}

#[derive(Debug, PartialEq)]
struct ShortPort {
    host_ip: Option<String>,
    published: Option<String>,
    target: u32,
    protocol: String,
}

impl ShortPort {
    fn into_node(self, at: Pos) -> Node {
        let mut m = Map::default();
        m.insert("mode".into(), Node::str("ingress", at));
        if let Some(ip) = self.host_ip {
            m.insert("host_ip".into(), Node::str(ip, at));
        }
        m.insert(
            "target".into(),
            Node::new(Value::Int(self.target.into()), at),
        );
        if let Some(p) = self.published {
            m.insert("published".into(), Node::str(p, at));
        }
        m.insert("protocol".into(), Node::str(self.protocol, at));
        Node::map(m, at)
    }
}

fn parse_range(s: &str) -> Option<(u32, u32)> {
    let (a, b) = match s.split_once('-') {
        Some((a, b)) => (a, b),
        None => (s, s),
    };
    let a: u32 = a.trim().parse().ok()?;
    let b: u32 = b.trim().parse().ok()?;
    (a <= b && b <= 65535).then_some((a, b))
}

fn parse_short(spec: &str) -> Result<Vec<ShortPort>, String> {
    let (rest, protocol) = match spec.rsplit_once('/') {
        Some((r, p)) => (r, p.to_string()),
        None => (spec, "tcp".to_string()),
    };
    if !matches!(protocol.as_str(), "tcp" | "udp" | "sctp") {
        return Err(format!("invalid protocol `{protocol}` in port `{spec}`"));
    }
    // Split off an IP (IPv6 in brackets) from the left.
    let (ip, rest) = if let Some(r) = rest.strip_prefix('[') {
        let (ip, after) = r
            .split_once(']')
            .ok_or_else(|| format!("unterminated IPv6 address in port `{spec}`"))?;
        let after = after
            .strip_prefix(':')
            .ok_or_else(|| format!("invalid port `{spec}`"))?;
        (Some(ip.to_string()), after)
    } else {
        let parts: Vec<&str> = rest.split(':').collect();
        match parts.len() {
            1 | 2 => (None, rest),
            // More colons: an unbracketed IPv6 address, all but the last two parts
            // (docker/go-connections' `splitParts`).
            n => {
                let ip = parts[..n - 2].join(":");
                let after = &rest[ip.len() + 1..];
                (Some(ip), after)
            }
        }
    };
    let (host, container) = match rest.rsplit_once(':') {
        Some((h, c)) => (Some(h), c),
        None => (None, rest),
    };
    let bad =
        || format!("invalid port `{spec}`: expected [[IP:](HOST|RANGE):](CONTAINER|RANGE)[/PROTO]");
    let (c1, c2) = parse_range(container).ok_or_else(bad)?;
    let host = host.filter(|h| !h.is_empty());
    let ip = ip.filter(|i| !i.is_empty());
    let mut out = Vec::new();
    match host {
        None => {
            for t in c1..=c2 {
                out.push(ShortPort {
                    host_ip: ip.clone(),
                    published: None,
                    target: t,
                    protocol: protocol.clone(),
                });
            }
        }
        Some(h) => {
            let (h1, h2) = parse_range(h).ok_or_else(bad)?;
            let n_c = c2 - c1;
            let n_h = h2 - h1;
            if n_c == 0 {
                let published = if n_h == 0 {
                    h1.to_string()
                } else {
                    format!("{h1}-{h2}")
                };
                out.push(ShortPort {
                    host_ip: ip,
                    published: Some(published),
                    target: c1,
                    protocol,
                });
            } else if n_c == n_h {
                for i in 0..=n_c {
                    out.push(ShortPort {
                        host_ip: ip.clone(),
                        published: Some((h1 + i).to_string()),
                        target: c1 + i,
                        protocol: protocol.clone(),
                    });
                }
            } else {
                return Err(format!(
                    "invalid port `{spec}`: the host range and the container range differ in size"
                ));
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(s: &str) -> (Option<&'static str>, Option<String>, u32, String) {
        let mut v = parse_short(s).unwrap();
        assert_eq!(v.len(), 1);
        let p = v.remove(0);
        (
            p.host_ip
                .map(|s| -> &'static str { Box::leak(s.into_boxed_str()) }),
            p.published,
            p.target,
            p.protocol,
        )
    }

    #[test]
    fn short_forms() {
        assert_eq!(one("80"), (None, None, 80, "tcp".into()));
        assert_eq!(
            one("8080:80"),
            (None, Some("8080".into()), 80, "tcp".into())
        );
        assert_eq!(
            one("127.0.0.1:8080:80/udp"),
            (Some("127.0.0.1"), Some("8080".into()), 80, "udp".into())
        );
        assert_eq!(
            one("[::1]:8080:80"),
            (Some("::1"), Some("8080".into()), 80, "tcp".into())
        );
        assert_eq!(
            one("9000-9010:80"),
            (None, Some("9000-9010".into()), 80, "tcp".into())
        );
        assert_eq!(parse_short("3000-3002:4000-4002").unwrap().len(), 3);
        assert_eq!(parse_short("3000-3002").unwrap().len(), 3);
        assert!(parse_short("70000").is_err());
        assert!(parse_short("1-3:5-9").is_err());
        assert!(parse_short(":80/xyz").is_err());
    }
}
