//! Data-migration steps of stage 2: for a known engine, its own dump and restore (pg_dump,
//! mysqldump, mongodump, a Redis save, an Elasticsearch or Qdrant snapshot, `mc mirror`); for
//! anything else, a cold copy of each data volume into the new pod.

use super::classify::{Class, DataVolume};
use super::engine::Engine;
use crate::compose::model::{Project, Service};
use crate::lower::names;
use serde::Serialize;

/// One step: what it does, then the shell commands.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Step {
    pub description: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub commands: Vec<String>,
}

fn step(description: impl Into<String>, commands: Vec<String>) -> Step {
    Step {
        description: description.into(),
        commands,
    }
}

/// What the steps need to know about the service.
pub struct Target<'a> {
    pub project: &'a Project,
    pub service: &'a str,
    pub svc: &'a Service,
    pub class: &'a Class,
    pub namespace: Option<&'a str>,
    /// The host port the Compose host serves a container port on (bridged or published).
    pub host_port: &'a dyn Fn(u32) -> u32,
    /// The service runs once to completion (it becomes a Job): there is no pod to restore into.
    pub job: bool,
    /// Data this service shares with one planned before it: (its mount, that service).
    pub shared: Vec<(DataVolume, String)>,
}

impl Target<'_> {
    fn k8s(&self) -> String {
        names::service_name(self.service)
    }

    fn kubectl(&self) -> String {
        match self.namespace {
            Some(ns) => format!("kubectl -n {ns}"),
            None => "kubectl".into(),
        }
    }

    fn selector(&self) -> String {
        format!(
            "{}={},{}={}",
            names::NAME,
            names::label_value(&self.k8s()),
            names::PART_OF,
            names::label_value(&self.project.name)
        )
    }

    /// The command that waits until the new pod is ready.
    fn wait_pod(&self) -> String {
        format!(
            "{} wait --for=condition=Ready pod -l {} --timeout=5m",
            self.kubectl(),
            self.selector()
        )
    }

    /// The command that finds the new pod, run once before the restore commands.
    fn find_pod(&self) -> String {
        format!(
            "pod=$({} get pod -l {} -o jsonpath='{{.items[0].metadata.name}}')",
            self.kubectl(),
            self.selector()
        )
    }

    fn env(&self, key: &str) -> Option<&str> {
        self.svc
            .environment
            .get(key)
            .and_then(|v| v.as_deref())
            .filter(|v| !v.is_empty())
    }

    fn data_dir(&self, default: &str) -> String {
        self.class
            .data
            .first()
            .map(|d| d.target.clone())
            .unwrap_or_else(|| default.to_string())
    }

    fn compose_volume(&self, d: &DataVolume) -> String {
        self.project
            .volumes
            .get(&d.source)
            .and_then(|v| v.name.clone())
            .unwrap_or_else(|| format!("{}_{}", self.project.name, d.source))
    }
}

/// The steps that carry the service's data from the Compose host into the cluster.
pub fn steps(t: &Target<'_>) -> Vec<Step> {
    let s = t.service;
    let kc = t.kubectl();
    let after_apply = |restore: Vec<String>| {
        let mut c = vec![t.wait_pod(), t.find_pod()];
        c.extend(restore);
        c
    };
    match t.class.engine {
        Some(Engine::Postgres) => {
            let user = t.env("POSTGRES_USER").unwrap_or("postgres");
            let db = t.env("POSTGRES_DB").unwrap_or(user);
            vec![
                step(
                    format!("Dump database `{db}` on the Compose host (custom format)."),
                    vec![format!(
                        "docker compose exec -T {s} pg_dump -U {user} -d {db} -Fc > {s}.dump"
                    )],
                ),
                step(
                    "Restore it into the new pod.",
                    after_apply(vec![format!(
                        "{kc} exec -i \"$pod\" -- pg_restore -U {user} -d {db} --clean --if-exists --no-owner < {s}.dump"
                    )]),
                ),
            ]
        }
        Some(e @ (Engine::Mysql | Engine::Mariadb)) => {
            let (dump, client) = if e == Engine::Mariadb {
                ("mariadb-dump", "mariadb")
            } else {
                ("mysqldump", "mysql")
            };
            let pw = if t.env("MARIADB_ROOT_PASSWORD").is_some() {
                "MARIADB_ROOT_PASSWORD"
            } else {
                "MYSQL_ROOT_PASSWORD"
            };
            vec![
                step(
                    "Dump every database on the Compose host (the root password is read inside the container).",
                    vec![format!(
                        "docker compose exec -T {s} sh -c 'exec {dump} --all-databases --single-transaction --routines --events -uroot -p\"${pw}\"' > {s}.sql"
                    )],
                ),
                step(
                    "Load it into the new pod.",
                    after_apply(vec![format!(
                        "{kc} exec -i \"$pod\" -- sh -c 'exec {client} -uroot -p\"${pw}\"' < {s}.sql"
                    )]),
                ),
            ]
        }
        Some(Engine::Mongo) => {
            let auth = "${MONGO_INITDB_ROOT_USERNAME:+-u \"$MONGO_INITDB_ROOT_USERNAME\" -p \"$MONGO_INITDB_ROOT_PASSWORD\" --authenticationDatabase admin}";
            vec![
                step(
                    "Dump every database on the Compose host as one archive.",
                    vec![format!(
                        "docker compose exec -T {s} sh -c 'exec mongodump --archive {auth}' > {s}.archive"
                    )],
                ),
                step(
                    "Restore it into the new pod.",
                    after_apply(vec![format!(
                        "{kc} exec -i \"$pod\" -- sh -c 'exec mongorestore --archive --drop {auth}' < {s}.archive"
                    )]),
                ),
            ]
        }
        Some(e @ (Engine::Redis | Engine::Valkey)) => {
            let cli = if e == Engine::Valkey {
                "valkey-cli"
            } else {
                "redis-cli"
            };
            let dir = t.data_dir("/data");
            vec![
                step(
                    format!(
                        "Save a snapshot on the Compose host (add `-a PASSWORD` to {cli} if `requirepass` is set), wait until LASTSAVE changes, then copy the data directory."
                    ),
                    vec![
                        format!("docker compose exec -T {s} {cli} BGSAVE"),
                        format!("docker compose exec -T {s} {cli} LASTSAVE"),
                        format!("docker compose cp {s}:{dir} ./{s}-data"),
                    ],
                ),
                step(
                    "Copy the files into the new pod and restart the server without saving, so it loads them (an append-only directory, if present, takes precedence over dump.rdb).",
                    after_apply(vec![
                        format!("{kc} cp ./{s}-data/. \"$pod\":{dir}"),
                        format!("{kc} exec \"$pod\" -- {cli} SHUTDOWN NOSAVE"),
                    ]),
                ),
            ]
        }
        Some(e @ (Engine::Elasticsearch | Engine::Opensearch)) => {
            let home = if e == Engine::Opensearch {
                "/usr/share/opensearch"
            } else {
                "/usr/share/elasticsearch"
            };
            let repo = format!("{home}/snapshots");
            let register = format!(
                "curl -s -X PUT localhost:9200/_snapshot/kubeferry -H 'Content-Type: application/json' -d '{{\"type\":\"fs\",\"settings\":{{\"location\":\"{repo}\"}}}}'"
            );
            vec![
                step(
                    format!(
                        "Set `path.repo={repo}` in the environment of `{s}` on both sides (the Compose file and the stage-2 manifest) and restart it; with security on, add `-u elastic:PASSWORD` (and https) to the curl commands."
                    ),
                    vec![],
                ),
                step(
                    "Take a snapshot of every index on the Compose host and copy the repository out.",
                    vec![
                        format!("docker compose exec -T {s} {register}"),
                        format!(
                            "docker compose exec -T {s} curl -s -X PUT 'localhost:9200/_snapshot/kubeferry/migration?wait_for_completion=true'"
                        ),
                        format!("docker compose cp {s}:{repo} ./{s}-snapshots"),
                    ],
                ),
                step(
                    "Copy the repository into the new pod, register it and restore.",
                    after_apply(vec![
                        format!("{kc} cp ./{s}-snapshots/. \"$pod\":{repo}"),
                        format!("{kc} exec \"$pod\" -- {register}"),
                        format!(
                            "{kc} exec \"$pod\" -- curl -s -X POST 'localhost:9200/_snapshot/kubeferry/migration/_restore?wait_for_completion=true'"
                        ),
                    ]),
                ),
            ]
        }
        Some(Engine::Qdrant) => {
            let hp = (t.host_port)(6333);
            let k = t.k8s();
            vec![
                step(
                    "Snapshot every collection through the port the Compose host publishes, and download the snapshots (needs curl and jq).",
                    vec![format!(
                        "for c in $(curl -s http://localhost:{hp}/collections | jq -r '.result.collections[].name'); do n=$(curl -s -X POST \"http://localhost:{hp}/collections/$c/snapshots\" | jq -r .result.name); curl -s -o \"$c.snapshot\" \"http://localhost:{hp}/collections/$c/snapshots/$n\"; done"
                    )],
                ),
                step(
                    "Upload each snapshot into the new server.",
                    vec![
                        format!("{kc} port-forward svc/{k} 16333:6333 &"),
                        "for f in *.snapshot; do c=${f%.snapshot}; curl -s -X POST \"http://localhost:16333/collections/$c/snapshots/upload?priority=snapshot\" -F \"snapshot=@$f\"; done".to_string(),
                    ],
                ),
            ]
        }
        Some(Engine::Minio) => {
            let hp = (t.host_port)(9000);
            let k = t.k8s();
            vec![step(
                "Mirror every bucket with the MinIO client (set MINIO_ROOT_USER and MINIO_ROOT_PASSWORD in your shell first).",
                vec![
                    format!("{kc} port-forward svc/{k} 19000:9000 &"),
                    format!("mc alias set compose http://localhost:{hp} \"$MINIO_ROOT_USER\" \"$MINIO_ROOT_PASSWORD\""),
                    "mc alias set cluster http://localhost:19000 \"$MINIO_ROOT_USER\" \"$MINIO_ROOT_PASSWORD\"".to_string(),
                    "mc mirror --preserve compose cluster".to_string(),
                ],
            )]
        }
        other => cold_copy(t, other),
    }
}

/// Stop the service, archive each data volume, unpack it in the new pod, restart the pod.
fn cold_copy(t: &Target<'_>, engine: Option<Engine>) -> Vec<Step> {
    let s = t.service;
    let kc = t.kubectl();
    let mut out = Vec::new();
    for (d, owner) in &t.shared {
        out.push(step(
            format!(
                "The {} `{}` at {} is also mounted by `{owner}` and is copied with it (in the cluster both need the same claim, ReadWriteMany if their pods can land on different nodes).",
                if d.kind == "volume" { "named volume" } else { "host directory" },
                d.source,
                d.target
            ),
            vec![],
        ));
    }
    if t.job {
        out.push(step(
            format!("`{s}` runs once to completion (a Job): there is nothing to restore into it."),
            vec![],
        ));
        return out;
    }
    let own: Vec<&DataVolume> = t
        .class
        .data
        .iter()
        .filter(|d| !t.shared.iter().any(|(x, _)| x == *d))
        .collect();
    if own.is_empty() && !t.shared.is_empty() {
        return out;
    }
    if let Some(hint) = engine.and_then(native_tool) {
        out.push(step(
            format!("Prefer the engine's own tool where the data must stay consistent while it runs: {hint}. Otherwise copy the files cold, as below."),
            vec![],
        ));
    }
    if t.class.data.is_empty() {
        out.push(step(
            format!("`{s}` mounts no data volume: its data lives in the container's writable layer. Copy what it needs with `docker compose cp` and `kubectl cp`, or start it empty."),
            vec![],
        ));
        return out;
    }
    let mut archive = vec![format!("docker compose stop {s}")];
    let mut restore = vec![t.wait_pod(), t.find_pod()];
    for d in own {
        let file = format!("{s}-{}.tgz", names::dns_label(&d.target.replace('/', "-")));
        archive.push(match d.kind {
            "volume" => format!(
                "docker run --rm -v {}:/from:ro -v \"$PWD\":/to alpine tar -C /from -czf /to/{file} .",
                t.compose_volume(d)
            ),
            _ => format!("tar -C {} -czf {file} .", d.source),
        });
        restore.push(format!(
            "{kc} exec -i \"$pod\" -- tar -C {} -xzf - < {file}",
            d.target
        ));
    }
    restore.push(format!("{kc} delete pod \"$pod\""));
    out.push(step(
        "Stop the service on the Compose host and archive its data.",
        archive,
    ));
    out.push(step(
        "Unpack the archives in the new pod (its image needs tar), then restart the pod on the copied files.",
        restore,
    ));
    out
}

fn native_tool(e: Engine) -> Option<&'static str> {
    Some(match e {
        Engine::Kafka => "MirrorMaker 2 replicates topics while both run",
        Engine::Zookeeper => "let the new ensemble join and sync, or copy the data directory cold",
        Engine::Rabbitmq => {
            "`rabbitmqctl export_definitions` / `import_definitions` for users, vhosts and queues; drain the queues first, messages are not carried"
        }
        Engine::Nats => "`nats stream backup` / `nats stream restore` for each JetStream stream",
        Engine::Clickhouse => "`BACKUP DATABASE … TO Disk(…)` and `RESTORE`",
        Engine::Cassandra => "`nodetool snapshot` and `sstableloader`",
        Engine::Etcd => "`etcdctl snapshot save` and `etcdutl snapshot restore`",
        Engine::Neo4j => "`neo4j-admin database dump` and `neo4j-admin database load`",
        Engine::Weaviate => "the backup module (`POST /v1/backups/filesystem`)",
        Engine::Milvus => "milvus-backup (`create`, then `restore` on the new instance)",
        Engine::Meilisearch => "a dump (`POST /dumps`) imported with `--import-dump`",
        Engine::Typesense => "a snapshot (`POST /operations/snapshot`)",
        Engine::Influxdb => "`influx backup` and `influx restore`",
        Engine::Couchdb => "replication (`POST /_replicate`) from the old server to the new one",
        Engine::Cockroachdb => "`BACKUP` to and `RESTORE` from shared storage",
        _ => return None,
    })
}
