//! Which environment variables hold credentials.
//!
//! Takes a service's resolved environment (whatever its source: `environment`, `env_file`, or
//! `.env` interpolation), the project's interpolation variables and the `x-kubeferry` lists;
//! returns, per sensitive variable, why it is sensitive. The lowering moves those values into
//! Secrets. docs/secrets.md gives the reason for each pattern; the false positives it avoids
//! are tested below.

use crate::compose::model::Dict;
use std::collections::BTreeMap;

/// Credential values the output must not show outside Secrets, each with what it is (``key
/// `K` of Secret `S` ``): the values of Secrets the user creates (`--secrets external`), for
/// the leak scan. Its `Debug` shows only what each value is.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Credentials(pub Vec<(String, String)>);

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries(self.0.iter().map(|(what, _)| what))
            .finish()
    }
}

/// Why a variable is sensitive (named in `--report`-free warnings, never with its value).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Why {
    /// Its name matches a pattern (the pattern, e.g. `*PASSWORD*`).
    Name(&'static str),
    /// Its value carries a credential (`scheme://user:password@host`, `password=…`, a key block).
    Value(&'static str),
    /// `x-kubeferry.secret_env` names it.
    Listed,
    /// Its value contains the value of this sensitive variable (of the service or of `.env`).
    Holds(String),
}

/// The sensitivity settings of `x-kubeferry` (project level, then service level).
#[derive(Clone, Copy, Debug, Default)]
pub struct Lists<'a> {
    pub add: &'a [String],
    pub exempt: &'a [String],
}

/// The variables of the project's interpolation (`.env`, the shell) named like credentials,
/// whose values [`classify`] looks for in other values. Computed once per project.
pub fn interpolated(project_vars: &Dict<String>) -> Vec<(String, String)> {
    project_vars
        .iter()
        .filter(|(k, v)| worth_finding(v.as_bytes()) && by_name(k).is_some())
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect()
}

/// Whether a credential's value is looked for inside other values. Letters alone are a word
/// (`postgres`, `clickhouse`): also the names of hosts, users and databases, which would all
/// become sensitive.
pub fn worth_finding(v: &[u8]) -> bool {
    v.len() >= HOLD_MIN && !v.iter().all(u8::is_ascii_alphabetic)
}

/// Values shorter than this are not looked for inside other values (nor by the leak scan of
/// the output): short words would make every variable that names the host sensitive.
pub const HOLD_MIN: usize = 8;

/// The sensitive variables of one environment. An empty value is never sensitive (there is
/// nothing to hide, and Kubernetes shows `""` either way). `lists` are applied in order, the
/// later (the service's) winning over the earlier (the project's).
pub fn classify(
    env: &Dict<Option<String>>,
    interpolated: &[(String, String)],
    lists: &[Lists<'_>],
) -> BTreeMap<String, Why> {
    let listed = |k: &str| -> Option<bool> {
        let mut verdict = None;
        for l in lists {
            if l.add.iter().any(|n| n == k) {
                verdict = Some(true);
            }
            if l.exempt.iter().any(|n| n == k) {
                verdict = Some(false);
            }
        }
        verdict
    };
    let mut out = BTreeMap::new();
    for (k, v) in env {
        let Some(v) = v.as_deref().filter(|v| !v.is_empty()) else {
            continue;
        };
        let why = match listed(k) {
            Some(false) => continue,
            Some(true) => Some(Why::Listed),
            None => by_name(k)
                .filter(|_| !is_path(v))
                .map(Why::Name)
                .or_else(|| by_value(v).map(Why::Value)),
        };
        if let Some(why) = why {
            out.insert(k.clone(), why);
        }
    }
    // Values that repeat a credential: the service's own sensitive values, and those of
    // sensitively named interpolation variables (`OPTS: --key ${API_KEY}`).
    let mut known: Vec<(&str, &str)> = env
        .iter()
        .filter(|(k, _)| out.contains_key(*k))
        .filter_map(|(k, v)| Some((k.as_str(), v.as_deref()?)))
        .filter(|(_, v)| worth_finding(v.as_bytes()))
        .chain(interpolated.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .collect();
    known.sort_unstable();
    let mut holds = Vec::new();
    for (k, v) in env {
        let Some(v) = v.as_deref() else { continue };
        if out.contains_key(k) || listed(k) == Some(false) {
            continue;
        }
        if let Some((from, _)) = known.iter().find(|(_, s)| v.contains(s)) {
            holds.push((k.clone(), Why::Holds(from.to_string())));
        }
    }
    out.extend(holds);
    out
}

/// Name parts that make a variable a credential wherever they stand in the name (`PGPASSWORD`,
/// `MYSQL_ROOT_PASSWORD`, `HTPASSWD`), with the pattern reported.
const ANYWHERE: &[(&str, &str)] = &[
    ("PASSWORD", "*PASSWORD*"),
    ("PASSWD", "*PASSWD*"),
    ("PASSPHRASE", "*PASSPHRASE*"),
    ("SECRET", "*SECRET*"),
    ("CREDENTIAL", "*CREDENTIAL*"),
    ("APIKEY", "*APIKEY*"),
    ("API_KEY", "*API_KEY*"),
];

/// Whole words of a name (split at `_`, `-`, `.`) that mark a credential.
const WORDS: &[(&str, &str)] = &[
    ("TOKEN", "*TOKEN*"),
    ("PASS", "*_PASS*"),
    ("PWD", "*_PWD*"),
    ("CREDS", "*CREDS*"),
    ("PRIVATE", "*PRIVATE*"),
    ("DSN", "*DSN*"),
    ("SALT", "*SALT*"),
];

/// A last word that says the variable describes a credential rather than holding it: a path
/// (`POSTGRES_PASSWORD_FILE`, Docker's secret-file convention), a duration, a size, a switch,
/// an address or a name. `TOKEN_EXPIRY`, `PASSWORD_MIN_LENGTH`, `SECRET_NAME` stay inline.
const DESCRIBES: &[&str] = &[
    "FILE",
    "PATH",
    "DIR",
    "FOLDER",
    "LOCATION",
    "EXPIRY",
    "EXPIRE",
    "EXPIRES",
    "EXPIRATION",
    "TTL",
    "LIFETIME",
    "TIMEOUT",
    "AGE",
    "SECONDS",
    "MINUTES",
    "HOURS",
    "DAYS",
    "LENGTH",
    "LEN",
    "SIZE",
    "LIMIT",
    "MAX",
    "MIN",
    "COUNT",
    "ENABLED",
    "ENABLE",
    "DISABLED",
    "DISABLE",
    "REQUIRED",
    "MODE",
    "TYPE",
    "NAME",
    "ID",
    "URL",
    "URI",
    "ENDPOINT",
    "HOST",
    "PORT",
    "HEADER",
    "ALGORITHM",
    "ALG",
    "ISSUER",
    "AUDIENCE",
    "POLICY",
    "PREFIX",
    "SUFFIX",
    "FORMAT",
    "IP",
    "NETWORK",
    "SUBNET",
    "REGISTRY",
    "INTERVAL",
    "ROTATION",
    "ROUNDS",
    "STRENGTH",
    "COMPLEXITY",
    "USER",
    "USERS",
    "USERNAME",
    "BUDGET",
    "FILENAME",
];

/// Words that make the variable a switch about a credential (`DISABLE_PASSWORD_LOGIN`,
/// `MYSQL_ALLOW_EMPTY_PASSWORD`), wherever they stand.
const SWITCHES: &[&str] = &["DISABLE", "ENABLE", "ALLOW", "SKIP"];

/// Last words ending in `KEY` that are not keys.
const NOT_KEYS: &[&str] = &["HOTKEY", "VALKEY", "MONKEY", "TURKEY", "WHISKEY", "JOCKEY"];

/// Words before a final `KEY` that make it something other than a credential.
const NOT_SECRET_KEYS: &[&str] = &[
    "PUBLIC",
    "PUB",
    "PRIMARY",
    "FOREIGN",
    "PARTITION",
    "SORT",
    "SHARD",
    "ROUTING",
    "CACHE",
    "GPG",
    "IDEMPOTENCY",
    "OBJECT",
    "LOOKUP",
    "HOTKEY",
    "KEYBOARD",
];

/// The pattern a name matches, if it names a credential.
pub fn by_name(name: &str) -> Option<&'static str> {
    if !may_name_credential(name.as_bytes()) {
        return None;
    }
    let upper = name.to_ascii_uppercase();
    let words: Vec<&str> = upper
        .split(['_', '-', '.'])
        .filter(|w| !w.is_empty())
        .collect();
    let last = *words.last()?;
    if words.len() > 1 && DESCRIBES.contains(&last) || words.iter().any(|w| SWITCHES.contains(w)) {
        return None;
    }
    // A public key is public; `NEXT_PUBLIC_*`-style build variables still count (they are
    // often API keys shipped to browsers, but the Compose file treats them as settings).
    if words.contains(&"PUBLIC") && matches!(last, "KEY" | "KEYS" | "CERT" | "CERTIFICATE") {
        return None;
    }
    if let Some((_, p)) = ANYWHERE.iter().find(|(w, _)| upper.contains(w)) {
        return Some(p);
    }
    for w in &words {
        if let Some((_, p)) = WORDS.iter().find(|(s, _)| s == w) {
            // `PWD` alone is the shell's working folder.
            if *w == "PWD" && words.len() == 1 {
                continue;
            }
            return Some(p);
        }
        // `AUTHTOKEN`, `BOTTOKEN`, `GITHUBTOKEN`; not `TOKENIZER` or `MAX_TOKENS`.
        if w.len() > 5 && w.ends_with("TOKEN") {
            return Some("*TOKEN*");
        }
    }
    if words.len() > 1 && matches!(last, "KEY" | "KEYS") {
        let before = words[words.len() - 2];
        if !NOT_SECRET_KEYS.contains(&before) {
            return Some(if before == "API" {
                "*API_KEY*"
            } else {
                "*_KEY"
            });
        }
    }
    // `ENCRYPTIONKEY`, `MASTERKEY`: a key written as one word.
    if last.len() > 3 && last.ends_with("KEY") && !NOT_KEYS.contains(&last) {
        return Some("*KEY");
    }
    // `NEO4J_AUTH=neo4j/password`, `REDISCLI_AUTH`, `BASIC_AUTH=user:password`.
    if words.len() > 1 && last == "AUTH" {
        return Some("*_AUTH");
    }
    None
}

/// Whether a value is a file's path (`/run/secrets/db`, `certs/es01.key`): a variable named
/// like a credential that holds a path says where the credential is, not what it is.
fn is_path(value: &str) -> bool {
    const FILES: &[&str] = &[
        ".key",
        ".pem",
        ".crt",
        ".cert",
        ".p12",
        ".pfx",
        ".jks",
        ".json",
        ".txt",
        ".keystore",
    ];
    !value.contains(char::is_whitespace)
        && (value.starts_with(['/', '~'])
            || value.starts_with("./")
            || value.starts_with("../")
            || value.contains('/') && FILES.iter().any(|e| value.ends_with(e)))
}

/// Whether a name holds any part the rules below look for (`PASS`, `SECRET`, `CRED`, `KEY`,
/// `TOKEN`, `PWD`, `PRIVATE`, `DSN`, `SALT`, `AUTH`): most names hold none, and are passed in
/// one scan without allocating.
fn may_name_credential(name: &[u8]) -> bool {
    const PARTS: &[&[u8]] = &[
        b"PASS", b"SECRET", b"CRED", b"KEY", b"TOKEN", b"PWD", b"PRIVATE", b"DSN", b"SALT", b"AUTH",
    ];
    (0..name.len()).any(|i| {
        matches!(
            name[i].to_ascii_uppercase(),
            b'P' | b'S' | b'C' | b'K' | b'T' | b'D' | b'A'
        ) && PARTS
            .iter()
            .any(|p| name.len() - i >= p.len() && name[i..i + p.len()].eq_ignore_ascii_case(p))
    })
}

/// The kind of credential a value carries, if any: a URL with a password in its user part,
/// a `password=`/`pwd=` field of a connection string, or a private key block.
pub fn by_value(value: &str) -> Option<&'static str> {
    if value.contains("://") && url_with_password(value) {
        return Some("scheme://user:password@host");
    }
    if value.contains('=') && field_with_password(value) {
        return Some("password=… in a connection string");
    }
    if value.contains("-----BEGIN") && value.contains("PRIVATE KEY") {
        return Some("a private key block");
    }
    None
}

/// `scheme://user:password@host`, anywhere in the value (several URLs may be listed).
fn url_with_password(value: &str) -> bool {
    value.match_indices("://").any(|(i, _)| {
        let rest = &value[i + 3..];
        let end = rest
            .find(['/', '?', '#', ' ', ',', ';'])
            .unwrap_or(rest.len());
        let authority = &rest[..end];
        let Some(at) = authority.rfind('@') else {
            return false;
        };
        authority[..at]
            .split_once(':')
            .is_some_and(|(_, pw)| !pw.is_empty())
    })
}

/// `password=x` or `pwd=x` as a field of a connection string (`;`, `&`, `?` or space before).
fn field_with_password(value: &str) -> bool {
    let lower = value.to_ascii_lowercase();
    ["password=", "pwd=", "passwd="].iter().any(|f| {
        lower.match_indices(f).any(|(i, _)| {
            let starts = i == 0 || matches!(lower.as_bytes()[i - 1], b';' | b'&' | b'?' | b' ');
            let rest = &lower[i + f.len()..];
            starts && !rest.is_empty() && !rest.starts_with([';', '&', ' '])
        })
    })
}

/// `line` of a Compose or env file with the value of a credential masked, for the source
/// excerpts of diagnostics: whatever follows the first `:` or `=` after a word named like a
/// credential (`KEY: v`, `- KEY=v`, `"KEY": "v"`, `{A: 1, KEY: v}`), or after the first one of
/// a line whose text carries a credential (`URL: redis://:pw@cache`). Masking too much only
/// shortens an excerpt.
pub fn redact_line(line: &str) -> std::borrow::Cow<'_, str> {
    let masked_after = |at: usize| -> Option<String> {
        let sep = at + line[at..].find([':', '='])?;
        let rest = line[sep + 1..].trim();
        (!rest.is_empty() && rest != "|" && rest != ">").then(|| format!("{} …", &line[..=sep]))
    };
    let mut start = None;
    for (i, c) in line.char_indices().chain([(line.len(), ' ')]) {
        let word = c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.');
        match (word, start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                start = None;
                if by_name(&line[s..i]).is_some()
                    && let Some(m) = masked_after(i)
                {
                    return m.into();
                }
            }
            _ => {}
        }
    }
    if by_value(line).is_some()
        && let Some(m) = masked_after(0)
    {
        return m.into();
    }
    line.into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credential_names_match() {
        for n in [
            "POSTGRES_PASSWORD",
            "PGPASSWORD",
            "MYSQL_ROOT_PASSWORD",
            "HTPASSWD",
            "JWT_SECRET",
            "AWS_SECRET_ACCESS_KEY",
            "OPENAI_API_KEY",
            "ANTHROPIC_APIKEY",
            "HF_TOKEN",
            "NGROK_AUTHTOKEN",
            "GITHUB_TOKEN",
            "APP_KEY",
            "MINIO_ACCESS_KEY",
            "GOOGLE_APPLICATION_CREDENTIALS_JSON",
            "DB_PASS",
            "SMTP_PWD",
            "SENTRY_DSN",
            "DSN",
            "PRIVATE_KEY",
            "HASH_SALT",
            "COOKIE_SECRET",
            "jwt_secret",
            "NEO4J_AUTH",
            "REDISCLI_AUTH",
            "XPACK_ENCRYPTEDSAVEDOBJECTS_ENCRYPTIONKEY",
        ] {
            assert!(by_name(n).is_some(), "{n}");
        }
    }

    #[test]
    fn names_that_describe_a_credential_or_only_look_like_one_do_not() {
        for n in [
            "PWD",
            "POSTGRES_PASSWORD_FILE",
            "TOKEN_EXPIRY",
            "ACCESS_TOKEN_EXPIRE_MINUTES",
            "PASSWORD_MIN_LENGTH",
            "SECRET_NAME",
            "MAX_TOKENS",
            "TOKENIZER",
            "PRIMARY_KEY",
            "PARTITION_KEY",
            "GPG_KEY",
            "JWT_PUBLIC_KEY",
            "PUBLIC_KEY",
            "KEY",
            "AWS_ACCESS_KEY_ID",
            "PASSWORD_AUTH_ENABLED",
            "TOKEN_URL",
            "PRIVATE_IP",
            "POSTGRES_USER",
            "PASSENGER_APP_ENV",
            "DISABLE_PASSWORD_LOGIN",
            "MYSQL_ALLOW_EMPTY_PASSWORD",
            "WEAVIATE_AUTHENTICATION_APIKEY_USERS",
            "APP_VLM_THINKING_TOKEN_BUDGET",
            "VALKEY",
            "GF_AUTH_ANONYMOUS_ENABLED",
        ] {
            assert_eq!(by_name(n), None, "{n}");
        }
    }

    #[test]
    fn source_lines_lose_credential_values() {
        assert_eq!(
            redact_line("      OPENAI_API_KEY: sk-123"),
            "      OPENAI_API_KEY: …"
        );
        assert_eq!(redact_line("  - JWT_SECRET=abc"), "  - JWT_SECRET= …");
        assert_eq!(redact_line("DB_PASSWORD=x"), "DB_PASSWORD= …");
        assert_eq!(redact_line("  URL: redis://:pw@cache"), "  URL: …");
        assert_eq!(redact_line("  LOG_LEVEL: info"), "  LOG_LEVEL: info");
        assert_eq!(redact_line("  - \"DB_PASSWORD=x\""), "  - \"DB_PASSWORD= …");
        assert_eq!(redact_line("  \"API_TOKEN\": \"t\","), "  \"API_TOKEN\": …");
        assert_eq!(
            redact_line("    environment: {A: 1, JWT_SECRET: s}"),
            "    environment: {A: 1, JWT_SECRET: …"
        );
        assert_eq!(
            redact_line("      DATABASE_URL: postgres://u:p@db/x"),
            "      DATABASE_URL: …"
        );
        assert_eq!(redact_line("    environment:"), "    environment:");
    }

    #[test]
    fn credential_names_holding_paths_are_not_credentials() {
        let e = env(&[
            ("xpack.security.http.ssl.key", "certs/es01/es01.key"),
            ("REDIS_TLS_KEY", "/tls/redis.key"),
            ("JWT_SECRET", "not/a/path but a secret"),
        ]);
        assert_eq!(
            classify(&e, &[], &[]).keys().collect::<Vec<_>>(),
            ["JWT_SECRET"]
        );
    }

    #[test]
    fn credential_values_match() {
        assert!(by_value("postgres://app:s3cret@db:5432/app").is_some());
        assert!(by_value("redis://:s3cret@cache:6379/0").is_some());
        assert!(by_value("amqp://u:p@a:5672,amqp://u:p@b:5672").is_some());
        assert!(by_value("Server=db;User Id=sa;Password=Xy1;").is_some());
        assert!(by_value("jdbc:postgresql://db/app?user=a&password=b").is_some());
        assert!(by_value("-----BEGIN RSA PRIVATE KEY-----\nMII…").is_some());
        for v in [
            "postgres://db:5432/app",
            "http://user@host/",
            "https://example.com/a:b@c",
            "password=",
            "mypassword=x",
            "http://host:8080",
        ] {
            assert_eq!(by_value(v), None, "{v}");
        }
    }

    fn env(pairs: &[(&str, &str)]) -> Dict<Option<String>> {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), Some(v.to_string())))
            .collect()
    }

    #[test]
    fn lists_add_and_exempt_the_service_list_winning() {
        let e = env(&[("A", "x"), ("DB_PASSWORD", "y"), ("B", "z")]);
        let add = vec!["A".to_string(), "B".to_string()];
        let exempt = vec!["DB_PASSWORD".to_string()];
        let project = Lists {
            add: &add,
            exempt: &[],
        };
        let service = Lists {
            add: &[],
            exempt: &exempt,
        };
        let got = classify(&e, &[], &[project, service]);
        assert_eq!(
            got,
            BTreeMap::from([("A".into(), Why::Listed), ("B".into(), Why::Listed)])
        );
        let only_b = vec!["B".to_string()];
        let service = Lists {
            add: &[],
            exempt: &only_b,
        };
        assert_eq!(
            classify(&e, &[], &[project, service])
                .keys()
                .collect::<Vec<_>>(),
            ["A", "DB_PASSWORD"]
        );
    }

    #[test]
    fn empty_values_stay_and_repeated_credentials_follow() {
        let e = env(&[
            ("DB_PASSWORD", "longpassword1"),
            ("POSTGRES_PASSWORD", "clickhouse"),
            ("CLICKHOUSE_URL", "http://clickhouse:8123"),
            ("API_TOKEN", ""),
            ("ARGS", "--pw longpassword1 --v"),
            ("OPTS", "--key sk-interpolated-123"),
            ("HOST", "db"),
        ]);
        let vars = Dict::from([
            (
                "OPENAI_API_KEY".to_string(),
                "sk-interpolated-123".to_string(),
            ),
            ("SHORT_TOKEN".to_string(), "db".to_string()),
        ]);
        let got = classify(&e, &interpolated(&vars), &[]);
        assert_eq!(got["DB_PASSWORD"], Why::Name("*PASSWORD*"));
        assert_eq!(got["ARGS"], Why::Holds("DB_PASSWORD".into()));
        assert_eq!(got["OPTS"], Why::Holds("OPENAI_API_KEY".into()));
        assert!(!got.contains_key("API_TOKEN") && !got.contains_key("HOST"));
        assert!(!got.contains_key("CLICKHOUSE_URL"));
    }
}
