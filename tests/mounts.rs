//! Mounts over the real-world corpus and in the cases that once went wrong: pod volume names
//! are unique (a `network_mode: service:` sidecar's `bind-0` is not its host's), every mount
//! has its volume, and no ConfigMap or Secret is over 1 MiB of data or 256 KiB of JSON.

mod support;

use kubeferry::compose::{LoadOptions, MemoryFs, RealFs};
use kubeferry::lower::{Object, running_containers};
use kubeferry::{Options, convert_with};

#[test]
fn corpus_pods_mount_what_they_name() {
    let Some(shared) = support::shared() else {
        return;
    };
    let cases = support::ok_cases(&shared);
    assert!(!cases.is_empty());
    let mut problems = Vec::new();
    for case in &cases {
        let c = convert_with(&case.load, &RealFs::default(), &Options::default())
            .unwrap_or_else(|f| panic!("{}: {f}", case.id));
        problems.extend(
            support::mount_problems(&c.objects)
                .into_iter()
                .map(|p| format!("{}: {p}", case.id)),
        );
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

fn convert(fs: &MemoryFs) -> Vec<Object> {
    let load = LoadOptions {
        files: vec!["/p/compose.yaml".into()],
        working_dir: "/p".into(),
        ..LoadOptions::default()
    };
    convert_with(&load, fs, &Options::default())
        .unwrap_or_else(|f| panic!("{f}"))
        .objects
}

/// The volume a container of the workload mounts at `path`.
fn volume_at<'a>(
    objects: &'a [Object],
    container: &str,
    path: &str,
) -> &'a k8s_openapi::api::core::v1::Volume {
    // Native sidecars (`network_mode: service:` at the default 1.30) are init containers.
    let spec = objects
        .iter()
        .filter_map(Object::pod_spec)
        .find(|s| running_containers(s).any(|c| c.name == container))
        .expect("a pod with the container");
    let c = running_containers(spec)
        .find(|c| c.name == container)
        .unwrap();
    let m = c
        .volume_mounts
        .iter()
        .flatten()
        .find(|m| m.mount_path == path)
        .expect("a mount at the path");
    spec.volumes
        .iter()
        .flatten()
        .find(|v| v.name == m.name)
        .expect("the mounted volume")
}

#[test]
fn a_sidecar_mounts_its_own_bind_mount_not_its_hosts() {
    let fs = MemoryFs::new()
        .with(
            "/p/compose.yaml",
            "services:\n  minio:\n    image: minio/minio\n    volumes:\n      - ./conf:/etc/minio-conf\n  nginx:\n    image: nginx\n    network_mode: service:minio\n    volumes:\n      - ./nginx.conf:/etc/nginx/nginx.conf:ro\n",
        )
        .with("/p/conf/a.env", "A=1\n")
        .with("/p/nginx.conf", "events {}\n");
    let objects = convert(&fs);
    assert_eq!(support::mount_problems(&objects), Vec::<String>::new());
    let nginx = volume_at(&objects, "nginx", "/etc/nginx/nginx.conf");
    let minio = volume_at(&objects, "minio", "/etc/minio-conf");
    assert_ne!(nginx.name, minio.name);
    assert_eq!(nginx.config_map.as_ref().unwrap().name, "nginx-nginx-conf");
    assert_eq!(minio.config_map.as_ref().unwrap().name, "conf");
}

#[test]
fn an_oversized_file_is_never_a_config_map() {
    let big = "x".repeat(2 * 1024 * 1024);
    let fs = MemoryFs::new()
        .with(
            "/p/compose.yaml",
            "services:\n  app:\n    image: busybox\n    volumes:\n      - ./app.log:/var/log/app.log\n      - ./bundle:/srv/bundle\n    secrets: [big]\nsecrets:\n  big:\n    file: ./app.log\n",
        )
        .with("/p/app.log", big.clone())
        .with("/p/bundle/data.bin", big);
    let objects = convert(&fs);
    assert_eq!(support::mount_problems(&objects), Vec::<String>::new());
    assert!(
        !objects
            .iter()
            .any(|o| matches!(o, Object::ConfigMap(_) | Object::Secret(_))),
        "no file object is made of the 2 MiB file"
    );
    assert!(
        volume_at(&objects, "app", "/srv/bundle")
            .empty_dir
            .is_some()
    );
}

#[test]
fn written_files_of_a_pod_and_its_sidecar_are_seeded_apart() {
    let fs = MemoryFs::new()
        .with(
            "/p/compose.yaml",
            "services:\n  proxy:\n    image: traefik\n    volumes:\n      - ./acme.json:/acme.json\n  app:\n    image: busybox\n    network_mode: service:proxy\n    volumes:\n      - ./app.db:/data/app.db\n",
        )
        .with("/p/acme.json", "{}\n")
        .with("/p/app.db", "SQLite format 3\0");
    let objects = convert(&fs);
    assert_eq!(support::mount_problems(&objects), Vec::<String>::new());
    let spec = objects.iter().find_map(Object::pod_spec).unwrap();
    let init: Vec<&str> = spec
        .init_containers
        .iter()
        .flatten()
        .map(|c| c.name.as_str())
        .collect();
    // Seeding first, then `app` as the native sidecar of `proxy`'s pod.
    assert_eq!(init, ["seed-bind-0", "seed-bind-0-2", "app"]);
    let app = volume_at(&objects, "app", "/data/app.db");
    let proxy = volume_at(&objects, "proxy", "/acme.json");
    assert_ne!(app.name, proxy.name);
    assert_eq!(
        app.persistent_volume_claim.as_ref().unwrap().claim_name,
        "app-file-0"
    );
}
