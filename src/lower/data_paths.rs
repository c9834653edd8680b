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

/// The "Mounts" section of docs/conversion.md: what a bind mount becomes, and this table.
pub fn doc_section() -> String {
    let mut out = format!(
        "## Mounts

What a bind mount (`- ./host:/container`) becomes with the default `--volumes emptyDir`, first rule that applies:

1. The Docker socket: not mounted (warning L033).
2. A file: a ConfigMap key mounted with `subPath`, read-only. A file the service writes (`*.db`, `*.sqlite`, `*.sqlite3`, `*.db3`, `acme.json`, mounted without `:ro`) lives on a PersistentVolumeClaim instead, copied there from the ConfigMap by the init container `seed-bind-<n>` (image: `--wait-image`) when it is not there yet (`acme.json` with mode 600) (L049). Other files mounted without `:ro` are read-only now, said once per service (L049). A file over the budget (below) is not mounted (L047).
3. A model cache folder of a model server: a PersistentVolumeClaim (L039).
4. A database's data folder (table below): a PersistentVolumeClaim, so the data survives restarts; what the host folder holds is not copied (L048).
5. A folder of the project with content: one ConfigMap, named after the folder and shared by the services that mount it, read-only. Each file is a key (`/` becomes `_`; text in `data`, the rest in `binaryData`, empty files kept, hidden files included) and `items` put each key back at its path, nested folders included. Links to files are read; links to folders, sockets and pipes are left out (L043).
6. Content over the budget ({budget} KiB as JSON: `kubectl apply` records the object in an annotation capped at 256 KiB; the API server takes 1 MiB) or over {files} files: a writable emptyDir, and a warning naming the folder, its size and the `kubectl cp` step that seeds it (L047).
7. An empty or missing folder (or one holding only `.gitkeep`-style placeholders), or a host folder outside the project: an emptyDir, as under Compose (L034).

`--volumes persistentVolumeClaim|hostPath`, or `x-kubeferry: volume_type` / `kompose.volume.type` set to `persistentVolumeClaim`, `hostPath` or `emptyDir`, is the user's choice: rules 4 to 7 give way to it (files stay ConfigMaps). Volume names are unique per pod: a `network_mode: service:` container whose volume's name its pod already uses for another volume gets `<name>-2`.

Database data folders (an anonymous volume there becomes a claim too; a Bitnami image's `/bitnami/...` always counts):

| Path | Images |
| --- | --- |
",
        budget = super::folders::OBJECT_BUDGET / 1024,
        files = super::folders::MAX_FILES,
    );
    for (path, images) in DATA_PATHS {
        let images = if images.is_empty() {
            "any".to_string()
        } else {
            images
                .iter()
                .map(|i| format!("`{i}`"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        out.push_str(&format!("| `{path}` | {images} |\n"));
    }
    out.push('\n');
    out
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
