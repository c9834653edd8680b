//! Well-known datastore images: which engine an image runs, and whether that engine keeps data
//! by nature or only when persistence is switched on (Redis, Valkey, NATS).

use serde::Serialize;

/// A datastore engine recognised by its image name.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Engine {
    Postgres,
    Mysql,
    Mariadb,
    Mongo,
    Redis,
    Valkey,
    Elasticsearch,
    Opensearch,
    Qdrant,
    Weaviate,
    Milvus,
    Chroma,
    Minio,
    Kafka,
    Zookeeper,
    Rabbitmq,
    Nats,
    Clickhouse,
    Cassandra,
    Etcd,
    Neo4j,
    Meilisearch,
    Typesense,
    Influxdb,
    Couchdb,
    Cockroachdb,
    Seaweedfs,
}

/// (image name after the last `/`, before the tag; engine). Exact names, so that `redis-exporter`
/// or `postgres-backup` are not taken for the datastore itself.
const IMAGES: &[(&str, Engine)] = &[
    ("postgres", Engine::Postgres),
    ("postgresql", Engine::Postgres),
    ("postgis", Engine::Postgres),
    ("pgvector", Engine::Postgres),
    ("timescaledb", Engine::Postgres),
    ("timescaledb-ha", Engine::Postgres),
    ("mysql", Engine::Mysql),
    ("mysql-server", Engine::Mysql),
    ("percona-server", Engine::Mysql),
    ("mariadb", Engine::Mariadb),
    ("mongo", Engine::Mongo),
    ("mongodb", Engine::Mongo),
    ("mongodb-community-server", Engine::Mongo),
    ("redis", Engine::Redis),
    ("redis-stack", Engine::Redis),
    ("redis-stack-server", Engine::Redis),
    ("valkey", Engine::Valkey),
    ("valkey-bundle", Engine::Valkey),
    ("elasticsearch", Engine::Elasticsearch),
    ("opensearch", Engine::Opensearch),
    ("qdrant", Engine::Qdrant),
    ("weaviate", Engine::Weaviate),
    ("milvus", Engine::Milvus),
    ("chroma", Engine::Chroma),
    ("minio", Engine::Minio),
    ("kafka", Engine::Kafka),
    ("cp-kafka", Engine::Kafka),
    ("cp-server", Engine::Kafka),
    ("zookeeper", Engine::Zookeeper),
    ("cp-zookeeper", Engine::Zookeeper),
    ("rabbitmq", Engine::Rabbitmq),
    ("nats", Engine::Nats),
    ("clickhouse-server", Engine::Clickhouse),
    ("clickhouse", Engine::Clickhouse),
    ("cassandra", Engine::Cassandra),
    ("etcd", Engine::Etcd),
    ("neo4j", Engine::Neo4j),
    ("meilisearch", Engine::Meilisearch),
    ("typesense", Engine::Typesense),
    ("influxdb", Engine::Influxdb),
    ("couchdb", Engine::Couchdb),
    ("cockroach", Engine::Cockroachdb),
    ("seaweedfs", Engine::Seaweedfs),
];

impl Engine {
    /// The engine an image runs, if it is a known datastore.
    pub fn of_image(image: &str) -> Option<Engine> {
        let without_digest = image.split('@').next().unwrap_or(image);
        let last = without_digest.rsplit('/').next().unwrap_or(without_digest);
        let name = last.split(':').next().unwrap_or(last).to_ascii_lowercase();
        // `rabbitmq:3-management` and `bitnami/redis` carry the name; variants with a suffix
        // such as `-alpine` live in the tag, so an exact match is enough.
        IMAGES.iter().find(|(n, _)| *n == name).map(|(_, e)| *e)
    }

    /// Whether the engine keeps data only when persistence is configured.
    pub fn persistence_optional(self) -> bool {
        matches!(self, Engine::Redis | Engine::Valkey | Engine::Nats)
    }

    /// A human name for the plan.
    pub fn title(self) -> &'static str {
        match self {
            Engine::Postgres => "PostgreSQL",
            Engine::Mysql => "MySQL",
            Engine::Mariadb => "MariaDB",
            Engine::Mongo => "MongoDB",
            Engine::Redis => "Redis",
            Engine::Valkey => "Valkey",
            Engine::Elasticsearch => "Elasticsearch",
            Engine::Opensearch => "OpenSearch",
            Engine::Qdrant => "Qdrant",
            Engine::Weaviate => "Weaviate",
            Engine::Milvus => "Milvus",
            Engine::Chroma => "Chroma",
            Engine::Minio => "MinIO",
            Engine::Kafka => "Kafka",
            Engine::Zookeeper => "ZooKeeper",
            Engine::Rabbitmq => "RabbitMQ",
            Engine::Nats => "NATS",
            Engine::Clickhouse => "ClickHouse",
            Engine::Cassandra => "Cassandra",
            Engine::Etcd => "etcd",
            Engine::Neo4j => "Neo4j",
            Engine::Meilisearch => "Meilisearch",
            Engine::Typesense => "Typesense",
            Engine::Influxdb => "InfluxDB",
            Engine::Couchdb => "CouchDB",
            Engine::Cockroachdb => "CockroachDB",
            Engine::Seaweedfs => "SeaweedFS",
        }
    }

    /// A suggested volume size for a first migration, before measuring the real data.
    pub fn suggested_size(self) -> &'static str {
        match self {
            Engine::Redis | Engine::Valkey | Engine::Etcd | Engine::Zookeeper | Engine::Nats => {
                "2Gi"
            }
            Engine::Elasticsearch
            | Engine::Opensearch
            | Engine::Kafka
            | Engine::Clickhouse
            | Engine::Cassandra
            | Engine::Milvus => "20Gi",
            Engine::Minio | Engine::Seaweedfs => "50Gi",
            _ => "10Gi",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Engine;

    #[test]
    fn images() {
        assert_eq!(
            Engine::of_image("postgres:16-alpine"),
            Some(Engine::Postgres)
        );
        assert_eq!(
            Engine::of_image("docker.io/bitnami/postgresql:15"),
            Some(Engine::Postgres)
        );
        assert_eq!(
            Engine::of_image("qdrant/qdrant:v1.12.0"),
            Some(Engine::Qdrant)
        );
        assert_eq!(Engine::of_image("redis@sha256:0123"), Some(Engine::Redis));
        assert_eq!(Engine::of_image("oliver006/redis_exporter"), None);
        assert_eq!(Engine::of_image("nginx"), None);
    }
}
