//! Where databases keep their data: a mount at one of these paths gets a
//! PersistentVolumeClaim instead of an emptyDir, even when Compose bind-mounts a host folder
//! or an anonymous volume there, because the data must survive restarts. Takes an image and
//! a mount path; returns the database's name. The table is documented in docs/conversion.md.

/// `(path, image fragments)`: the path is a data folder when the image's repository (the part
/// after the last `/`, without tag) contains one of the fragments; an empty list means any
/// image (the path is specific enough on its own).
const DATA_PATHS: &[(&str, &[&str])] = &[
    ("/var/lib/postgresql/data", &[]),
    ("/var/lib/postgresql", &[]),
    ("/var/lib/mysql", &[]),
    ("/data/db", &["mongo"]),
    ("/data/configdb", &["mongo"]),
    (
        "/data",
        &["redis", "valkey", "keydb", "dragonfly", "neo4j", "minio"],
    ),
    ("/usr/share/elasticsearch/data", &[]),
    ("/usr/share/opensearch/data", &[]),
    ("/qdrant/storage", &[]),
    ("/var/lib/clickhouse", &[]),
    ("/var/lib/rabbitmq", &["rabbitmq"]),
    ("/var/lib/influxdb", &["influx"]),
    ("/var/lib/influxdb2", &["influx"]),
    ("/var/lib/cassandra", &["cassandra"]),
    ("/var/lib/milvus", &["milvus"]),
    ("/var/lib/weaviate", &["weaviate"]),
    ("/var/opt/mssql", &["mssql"]),
    ("/etcd", &["etcd"]),
    ("/chroma/chroma", &["chroma"]),
];

/// The database whose data lives at `target` for this image, if any. Any path under
/// `/bitnami/` counts: Bitnami images keep their state there.
pub fn database(image: &str, target: &str) -> Option<String> {
    let target = target.trim_end_matches('/');
    let repo = repository(image);
    if let Some(rest) = target.strip_prefix("/bitnami/") {
        return Some(format!(
            "bitnami {}",
            rest.split('/').next().unwrap_or(rest)
        ));
    }
    DATA_PATHS.iter().find_map(|(path, images)| {
        let fits =
            *path == target && (images.is_empty() || images.iter().any(|i| repo.contains(i)));
        fits.then(|| {
            images
                .iter()
                .find(|i| repo.contains(*i))
                .map_or_else(|| repo.clone(), |i| (*i).to_string())
        })
    })
}

/// `docker.io/library/redis:7@sha256:..` -> `redis`.
fn repository(image: &str) -> String {
    let no_digest = image.split('@').next().unwrap_or(image);
    let last = no_digest.rsplit('/').next().unwrap_or(no_digest);
    last.split(':').next().unwrap_or(last).to_ascii_lowercase()
}

#[cfg(test)]
mod tests {
    use super::database;

    #[test]
    fn known_paths_by_image() {
        assert_eq!(
            database("postgres:16", "/var/lib/postgresql/data/").as_deref(),
            Some("postgres")
        );
        assert_eq!(
            database("redis:7-alpine", "/data").as_deref(),
            Some("redis")
        );
        assert_eq!(database("mongo", "/data/db").as_deref(), Some("mongo"));
        assert_eq!(
            database("bitnami/redis:7", "/bitnami/redis/data").as_deref(),
            Some("bitnami redis")
        );
        assert_eq!(
            database("ghcr.io/acme/mysql-fork:1", "/var/lib/mysql").as_deref(),
            Some("mysql-fork")
        );
    }

    #[test]
    fn generic_paths_need_the_image() {
        assert_eq!(database("nginx", "/data"), None);
        assert_eq!(database("myapp", "/data/db"), None);
        assert_eq!(database("redis", "/data/extra"), None);
    }
}
