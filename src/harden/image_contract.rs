//! The runtime contracts of well-known images: the user they run as, the paths they write and
//! the ports below 1024 they bind. The `security-context` rule reads them at `restricted`
//! (a non-root uid, a read-only root filesystem, no capabilities) to give each container the
//! uid, the writable volumes and the sysctl its image needs; `docs/images.md` is generated
//! from [`TABLE`] (a test keeps it current).
//!
//! An image is matched by its repository alone: the registry (`docker.io/`, `library/`,
//! `ghcr.io/`, ...), the tag and the digest are ignored, except where a tag changes the
//! contract (postgres 18 moved its data folder; [`lookup`] says so).

/// What an image needs to run as a non-root user on a read-only root filesystem.
#[derive(Debug, PartialEq, Eq)]
pub struct Contract {
    /// Repository names, without registry, tag or digest (`postgres`, `pgvector/pgvector`).
    pub repos: &'static [&'static str],
    /// The uid and gid the image's own user has (`USER`, or the user its entrypoint switches
    /// to from root).
    pub uid: i64,
    pub gid: i64,
    /// The image sets `USER` itself (it never runs as root).
    pub sets_user: bool,
    /// Where it keeps its data (its `VOLUME`s): a disk emptyDir unless a volume is mounted.
    pub data: &'static [&'static str],
    /// Where it writes at run time besides its data (sockets, pid files, caches, generated
    /// configuration): a memory emptyDir each.
    pub runtime: &'static [&'static str],
    /// Ports below 1024 it binds in its default configuration.
    pub low_ports: &'static [i32],
    /// A variable naming its data folder, which the server must own and `chmod` (postgres'
    /// `PGDATA`): on a mounted volume it points to a sub-folder, since a volume's root
    /// belongs to root. (variable, its default)
    pub data_env: Option<(&'static str, &'static str)>,
    /// `false`: it writes into folders of the image whose shipped files it also needs
    /// (generated configuration beside the defaults), which an emptyDir would hide; the root
    /// filesystem stays writable (Pod Security "restricted" does not require it read-only).
    pub read_only_root: bool,
    /// Where the facts come from.
    pub source: &'static str,
}

/// What an entry does not say: no data, nothing written, no low port, a read-only root.
const NOTHING: Contract = Contract {
    repos: &[],
    uid: 0,
    gid: 0,
    sets_user: false,
    data: &[],
    runtime: &[],
    low_ports: &[],
    data_env: None,
    read_only_root: true,
    source: "",
};

const POSTGRES: Contract = Contract {
    repos: &["postgres", "pgvector/pgvector", "ankane/pgvector"],
    uid: 999,
    gid: 999,
    data: &["/var/lib/postgresql/data"],
    runtime: &["/var/run/postgresql"],
    data_env: Some(("PGDATA", "/var/lib/postgresql/data")),
    source: "docker-library/postgres 16/bookworm/Dockerfile, docker-entrypoint.sh (pgvector images build FROM postgres)",
    ..NOTHING
};

/// postgres 18 and later: the data folder is `/var/lib/postgresql/<major>/docker`, below the
/// `VOLUME /var/lib/postgresql`, so a volume there already holds it in a sub-folder.
const POSTGRES_18: Contract = Contract {
    repos: &["postgres (18 and later)"],
    data: &["/var/lib/postgresql"],
    data_env: None,
    source: "docker-library/postgres 18/bookworm/Dockerfile",
    ..POSTGRES
};

/// The table, in the order of `docs/images.md`.
pub const TABLE: &[Contract] = &[
    POSTGRES,
    POSTGRES_18,
    Contract {
        repos: &["redis", "valkey/valkey"],
        uid: 999,
        gid: 999,
        data: &["/data"],
        source: "docker-library/redis 7.2/debian/Dockerfile (alpine: gid 1000); valkey-io/valkey-container Dockerfile",
        ..NOTHING
    },
    Contract {
        repos: &["nginx"],
        uid: 101,
        gid: 101,
        runtime: &["/var/cache/nginx", "/var/run"],
        low_ports: &[80],
        source: "nginxinc/docker-nginx stable/debian/Dockerfile (pid /var/run/nginx.pid, temp paths /var/cache/nginx, listen 80)",
        ..NOTHING
    },
    Contract {
        repos: &["nginxinc/nginx-unprivileged"],
        uid: 101,
        gid: 101,
        sets_user: true,
        source: "nginxinc/docker-nginx-unprivileged stable/debian/Dockerfile (USER 101, pid and temp paths in /tmp, listen 8080)",
        ..NOTHING
    },
    Contract {
        repos: &["mariadb"],
        uid: 999,
        gid: 999,
        data: &["/var/lib/mysql"],
        runtime: &["/run/mysqld"],
        source: "MariaDB/mariadb-docker 10.11/Dockerfile, docker-entrypoint.sh",
        ..NOTHING
    },
    Contract {
        repos: &["mysql"],
        uid: 999,
        gid: 999,
        data: &["/var/lib/mysql"],
        runtime: &["/var/run/mysqld"],
        source: "docker-library/mysql 8.4/Dockerfile.oracle, docker-entrypoint.sh",
        ..NOTHING
    },
    Contract {
        repos: &["memcached"],
        uid: 11211,
        gid: 11211,
        sets_user: true,
        source: "docker-library/memcached 1/debian/Dockerfile (USER memcache)",
        ..NOTHING
    },
    Contract {
        repos: &["httpd"],
        uid: 33,
        gid: 33,
        runtime: &["/usr/local/apache2/logs"],
        low_ports: &[80],
        source: "docker-library/httpd 2.4/Dockerfile (children as www-data 33; pid file, mutexes and runtime dir in logs/; Listen 80)",
        ..NOTHING
    },
    Contract {
        repos: &["rabbitmq"],
        uid: 999,
        gid: 999,
        data: &["/var/lib/rabbitmq"],
        runtime: &["/var/log/rabbitmq"],
        source: "docker-library/rabbitmq 4.1/ubuntu/Dockerfile (HOME and the Erlang cookie in /var/lib/rabbitmq; the upgrade log goes to /var/log/rabbitmq even when logging to the console)",
        ..NOTHING
    },
    Contract {
        repos: &["busybox"],
        uid: 65534,
        gid: 65534,
        source: "docker-library/busybox (user nobody 65534; kubeferry's wait init containers write nothing)",
        ..NOTHING
    },
    Contract {
        repos: &["mongo"],
        uid: 999,
        gid: 999,
        data: &["/data/db", "/data/configdb"],
        source: "docker-library/mongo 8.0/Dockerfile (user mongodb 999; socket in /tmp)",
        ..NOTHING
    },
    Contract {
        repos: &["elasticsearch", "elasticsearch/elasticsearch"],
        uid: 1000,
        gid: 0,
        sets_user: true,
        data: &["/usr/share/elasticsearch/data"],
        runtime: &["/usr/share/elasticsearch/logs"],
        read_only_root: false,
        source: "elastic/dockerfiles elasticsearch/Dockerfile (USER 1000:0; the entrypoint writes the keystore into config/)",
        ..NOTHING
    },
    Contract {
        repos: &["opensearchproject/opensearch"],
        uid: 1000,
        gid: 1000,
        sets_user: true,
        data: &["/usr/share/opensearch/data"],
        runtime: &["/usr/share/opensearch/logs"],
        read_only_root: false,
        source: "opensearch-project/opensearch-build docker/release/dockerfiles (USER 1000; the entrypoint writes into config/)",
        ..NOTHING
    },
];

/// The repository of an image reference: no registry, `library/`, tag or digest.
pub fn repository(image: &str) -> &str {
    let no_digest = image.split('@').next().unwrap_or(image);
    // A `:` after the last `/` starts the tag; one before it is a registry port.
    let slash = no_digest.rfind('/').map_or(0, |i| i + 1);
    let no_tag = match no_digest[slash..].find(':') {
        Some(i) => &no_digest[..slash + i],
        None => no_digest,
    };
    // The first component is a registry when it has a `.` or `:`, or is `localhost`.
    let repo = match no_tag.split_once('/') {
        Some((first, rest)) if first.contains(['.', ':']) || first == "localhost" => rest,
        _ => no_tag,
    };
    repo.strip_prefix("library/").unwrap_or(repo)
}

/// The major version a tag starts with (`16.4-bookworm` → 16; pgvector's `pg17` → 17).
fn major(tag: &str) -> Option<u32> {
    let t = tag.rsplit_once("-pg").map_or(tag, |(_, v)| v);
    let t = t.strip_prefix("pg").unwrap_or(t);
    let digits: String = t.chars().take_while(char::is_ascii_digit).collect();
    digits.parse().ok()
}

/// The contract of an image, if kubeferry knows it.
pub fn lookup(image: &str) -> Option<&'static Contract> {
    let repo = repository(image);
    let c = TABLE.iter().find(|c| c.repos.contains(&repo))?;
    if c.repos == POSTGRES.repos {
        let (tag, _) = super::images::tag(image);
        if tag.and_then(major).is_some_and(|m| m >= 18) {
            return Some(&POSTGRES_18);
        }
    }
    Some(c)
}

/// The table as markdown (the generated part of `docs/images.md`).
pub fn markdown() -> String {
    let list = |v: &[&str]| {
        if v.is_empty() {
            "-".to_string()
        } else {
            v.iter()
                .map(|p| format!("`{p}`"))
                .collect::<Vec<_>>()
                .join(", ")
        }
    };
    let mut s = String::from(
        "| image | uid:gid | data (disk emptyDir unless mounted) | written at run time (memory emptyDir) | ports < 1024 | read-only root | source |\n| --- | --- | --- | --- | --- | --- | --- |\n",
    );
    for c in TABLE {
        let ports: Vec<String> = c.low_ports.iter().map(i32::to_string).collect();
        let mut data = list(c.data);
        if let Some((var, _)) = c.data_env {
            data.push_str(&format!(" (`{var}` in a sub-folder of a volume)"));
        }
        s.push_str(&format!(
            "| {} | {}:{}{} | {} | {} | {} | {} | {} |\n",
            c.repos
                .iter()
                .map(|r| format!("`{r}`"))
                .collect::<Vec<_>>()
                .join(", "),
            c.uid,
            c.gid,
            if c.sets_user { " (USER)" } else { "" },
            data,
            list(c.runtime),
            if ports.is_empty() {
                "-".into()
            } else {
                ports.join(", ")
            },
            if c.read_only_root { "yes" } else { "no" },
            c.source
        ));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repositories_ignore_registry_tag_and_digest() {
        assert_eq!(repository("postgres:16.4"), "postgres");
        assert_eq!(repository("docker.io/library/postgres:16"), "postgres");
        assert_eq!(repository("pgvector/pgvector:pg17"), "pgvector/pgvector");
        assert_eq!(repository("localhost:5000/nginx:1.27"), "nginx");
        assert_eq!(repository("nginx@sha256:abc"), "nginx");
        assert_eq!(
            repository("docker.elastic.co/elasticsearch/elasticsearch:8.15.0"),
            "elasticsearch/elasticsearch"
        );
    }

    #[test]
    fn lookups() {
        assert_eq!(lookup("redis:7-alpine").map(|c| c.uid), Some(999));
        assert_eq!(lookup("quay.io/nginx/nginx-unprivileged:1.27"), None);
        assert_eq!(
            lookup("docker.io/nginxinc/nginx-unprivileged:1.27").map(|c| c.uid),
            Some(101)
        );
        assert_eq!(lookup("example/api:1"), None);
        // postgres 18 keeps its data below the volume; 17 and older at the volume's root.
        assert!(lookup("postgres:16.4").unwrap().data_env.is_some());
        assert!(lookup("postgres").unwrap().data_env.is_some());
        assert!(lookup("postgres:18-alpine").unwrap().data_env.is_none());
        assert!(
            lookup("pgvector/pgvector:0.8.0-pg18")
                .unwrap()
                .data_env
                .is_none()
        );
        assert!(lookup("pgvector/pgvector:pg17").unwrap().data_env.is_some());
    }

    #[test]
    fn every_written_path_is_absolute() {
        for c in TABLE {
            for p in c.data.iter().chain(c.runtime) {
                assert!(p.starts_with('/') && !p.ends_with('/'), "{p}");
            }
            assert!(c.low_ports.iter().all(|p| (1..1024).contains(p)));
        }
    }
}
