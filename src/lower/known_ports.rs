//! The port a well-known server image listens on. On a Compose network every container port
//! is reachable without `ports:` or `expose:`; in Kubernetes a name resolves only through a
//! Service, which needs a port. For datastore and other server images the port is known, so it
//! is implied.

/// (image name as it appears after the last `/`, before the tag; port)
const KNOWN: &[(&str, u32)] = &[
    ("postgres", 5432),
    ("postgis", 5432),
    ("pgvector", 5432),
    ("mysql", 3306),
    ("mariadb", 3306),
    ("redis", 6379),
    ("redis-stack-server", 6379),
    ("valkey", 6379),
    ("mongo", 27017),
    ("mongodb", 27017),
    ("memcached", 11211),
    ("rabbitmq", 5672),
    ("elasticsearch", 9200),
    ("opensearch", 9200),
    ("qdrant", 6333),
    ("weaviate", 8080),
    ("milvus", 19530),
    ("minio", 9000),
    ("etcd", 2379),
    ("zookeeper", 2181),
    ("kafka", 9092),
    ("nats", 4222),
    ("clickhouse-server", 8123),
    ("cassandra", 9042),
    ("neo4j", 7687),
    ("chroma", 8000),
    ("ollama", 11434),
    ("meilisearch", 7700),
    ("typesense", 8108),
    ("squid", 3128),
    ("tika", 9998),
    ("gotenberg", 3000),
    ("postgrest", 3000),
    ("postgres-meta", 8080),
];

/// The implied port of an image, if it is a known server.
pub fn port_of(image: &str) -> Option<u32> {
    let without_digest = image.split('@').next().unwrap_or(image);
    let last = without_digest.rsplit('/').next().unwrap_or(without_digest);
    let name = last.split(':').next().unwrap_or(last);
    KNOWN.iter().find(|(n, _)| *n == name).map(|(_, p)| *p)
}

#[cfg(test)]
mod tests {
    use super::port_of;

    #[test]
    fn images() {
        assert_eq!(port_of("postgres:16"), Some(5432));
        assert_eq!(port_of("docker.io/library/redis:7-alpine"), Some(6379));
        assert_eq!(port_of("bitnami/redis@sha256:abc"), Some(6379));
        assert_eq!(port_of("nginx:1.27"), None);
    }
}
