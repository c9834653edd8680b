//! Every diagnostic code with a one-line explanation (`kubeferry explain CODE`). A code keeps
//! one meaning: a new kind of finding takes a new code, and a test checks that every code the
//! sources use is here exactly once and nothing here is unused.
//!
//! `C…` loading the Compose files, `L…` lowering to Kubernetes objects, `H…` hardening,
//! `K…` the lock file of image declarations, `S…` staged migration, `E…` checks on the output, `A…` the command line's arguments.

/// A code and what it means.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Code {
    /// The stable code (`L046`).
    pub code: &'static str,
    /// What the finding means, in one line.
    pub summary: &'static str,
}

const fn c(code: &'static str, summary: &'static str) -> Code {
    Code { code, summary }
}

/// The registry, sorted by code.
// One line per code: a new code is a one-line change.
#[rustfmt::skip]
pub const CODES: &[Code] = &[
    c("A001", "a command-line argument is not valid (a flag's value, a file that cannot be read, a record that does not match)"),
    c("A002", "--strict: warnings count as errors, so nothing is written"),
    c("A003", "a Kompose flag kubeferry refuses, or Kompose flags that ask for different things"),
    c("C001", "the file is not valid YAML (syntax, a non-scalar key, a bad merge key)"),
    c("C002", "the file is larger than the loader's limit (--max-file-size)"),
    c("C003", "a mapping key appears twice"),
    c("C004", "the Compose file is empty"),
    c("C005", "several Compose files were found in the folder; the first one is used"),
    c("C006", "no Compose file was found (compose.yaml, compose.yml, docker-compose.yml, docker-compose.yaml)"),
    c("C007", "the project name has characters Compose does not allow"),
    c("C010", "the file or a service is not a mapping"),
    c("C011", "a key has a value of the wrong type or out of range"),
    c("C012", "a command string cannot be split into words (an unterminated quote)"),
    c("C013", "a port mapping is not valid (syntax, range, protocol, IP address)"),
    c("C014", "a volume mapping is not valid"),
    c("C015", "a service name has characters Compose does not allow"),
    c("C016", "a kubeferry or Kompose setting (x-kubeferry, kompose.* label) has a bad value: an error in convert, a warning in config"),
    c("C017", "a key the Compose schema does not know (did-you-mean given; --lenient makes it warning C100)"),
    c("C018", "a key the Compose schema requires is missing"),
    c("C019", "a mapping key is not a string (a number, a boolean, null)"),
    c("C020", "a file the project names cannot be read"),
    c("C021", "a line of an env file or label file cannot be parsed"),
    c("C022", "an env file or label file the project names does not exist"),
    c("C030", "a `${...}` interpolation is not valid, or a required variable (`${X:?}`) is unset"),
    c("C031", "a variable is not set; it is replaced by an empty string"),
    c("C040", "`extends` names a service that does not exist"),
    c("C041", "`extends` is not valid (no `service`, wrong type)"),
    c("C042", "`extends` is circular"),
    c("C050", "`include` is not valid"),
    c("C051", "`include` nests too deep (probably circular)"),
    c("C060", "a required dependency is in a profile that is not enabled"),
    c("C070", "a service has neither an image nor a build context"),
    c("C071", "a service refers to an undefined network"),
    c("C072", "a service refers to an undefined volume"),
    c("C073", "a service refers to an undefined secret or config"),
    c("C074", "a service depends on an undefined service"),
    c("C075", "a service refers to an undefined service (network_mode, volumes_from, build contexts)"),
    c("C076", "a service sets both `network_mode` and `networks`"),
    c("C077", "two keys that mean the same thing have different values (`scale` and `deploy.replicas`, `mem_limit` and `deploy.resources`)"),
    c("C078", "`container_name` is set on a service with more than one replica"),
    c("C079", "two mounts of a service have the same target"),
    c("C080", "`depends_on` has a cycle"),
    c("C081", "keys that exclude each other are set together, or none of a required set is"),
    c("C082", "an external volume sets keys other than `name`"),
    c("C083", "a `build` or `develop.watch` entry is not valid"),
    c("C084", "`name` and `external.name` of a volume, network, secret or config conflict"),
    c("C085", "a bind mount has no `source`"),
    c("C086", "two services have the same `container_name`"),
    c("C087", "an included file defines a service or resource that the including file defines differently"),
    c("C100", "an unknown key is ignored"),
    c("C101", "a YAML 1.1 boolean (`yes`, `on`) is read as true or false"),
    c("C102", "an unknown kubeferry setting in x-kubeferry is ignored"),
    c("E001", "the manifests cannot be written (the output file or folder)"),
    c("E002", "a file beside the manifests cannot be written (the report, stage 1's override or record)"),
    c("E010", "the output contains a folder of the converting machine (from a host path, ${PWD} or ${HOME})"),
    c("E011", "the output contains a credential in plain text outside a Secret"),
    c("E100", "internal error: the output check rejects an object kubeferry made (a bug to report)"),
    c("H001", "a setting that Pod Security \"restricted\" forbids is kept, so the workload is not restricted"),
    c("H002", "a setting that Pod Security \"baseline\" forbids is kept: the pod needs a privileged namespace"),
    c("H011", "a model server gets a default memory limit it will likely exceed"),
    c("H012", "containers are left without a memory limit: nothing says how much memory they need"),
    c("H020", "an image is not pinned to a version (`latest` or no tag)"),
    c("H021", "an image pull policy is not Always, IfNotPresent or Never; ignored"),
    c("H030", "x-kubeferry.disable_rules names a rule that does not exist"),
    c("H041", "an image is not in the image table, so its user and written paths at restricted are guessed"),
    c("H042", "a data directory variable points at the root of a volume, which fails at restricted"),
    c("H043", "the lock file says an image runs as root, so at restricted it runs as uid 65532, which may not read or write what root owns"),
    c("K001", "the lock file cannot be read or is not a lock file of this version"),
    c("K002", "an image of the project is not in the lock file (run kubeferry lock again)"),
    c("K003", "--pin-digests needs a lock file"),
    c("K010", "kubeferry lock could not read an image from its registry (401, 403, 404, no such platform, unreachable)"),
    c("L001", "a service is renamed to a valid Kubernetes name"),
    c("L002", "two services would have the same Kubernetes name"),
    c("L003", "two objects of one kind would have the same name"),
    c("L010", "a service with `build` runs an image that must be built and pushed first"),
    c("L011", "an environment variable name Kubernetes rejects is dropped"),
    c("L012", "an environment variable without a value is left out"),
    c("L013", "a `mode: host` port is published through the Service, not as a hostPort"),
    c("L014", "a privileged container gets full access to the node"),
    c("L015", "a user given by name runs as the image's default user (Kubernetes needs a numeric uid)"),
    c("L016", "a `security_opt` entry is not converted"),
    c("L017", "an empty entrypoint or command cannot clear the image's default in Kubernetes"),
    c("L018", "`network_mode: service:X`: the container joins the pod of X (ports it shares are listed once)"),
    c("L019", "a host namespace or name setting (network_mode, pid, ipc, domainname, extra_hosts, group_add) is converted in part or dropped"),
    c("L020", "an external secret or config must be created in the cluster before applying"),
    c("L021", "a secret or config comes from a variable that is not set"),
    c("L022", "the file of a secret or config cannot be read"),
    c("L023", "a secret is not inlined (--secrets external): create it before applying"),
    c("L024", "credentials of an environment are not written (--secrets external): create the Secret before applying"),
    c("L030", "a named volume shared by several services needs a ReadWriteMany storage class"),
    c("L031", "`volumes_from` is converted in part"),
    c("L032", "an anonymous volume becomes an emptyDir: its data does not survive the pod"),
    c("L033", "the Docker socket is not mounted"),
    c("L034", "a bind mount becomes an emptyDir"),
    c("L035", "a bind mount becomes a hostPath, which must exist on every node"),
    c("L036", "a bind mount becomes a PersistentVolumeClaim to fill by hand"),
    c("L037", "a volume is not converted (an unknown type, an empty tmpfs path)"),
    c("L038", "the uid/gid of a secret or config file cannot be set per file"),
    c("L039", "a folder of downloaded models (a model cache) becomes a PersistentVolumeClaim"),
    c("L040", "cpu_shares becomes a cpu request of shares/1024 cores"),
    c("L041", "a resource reservation above its limit is lowered to the limit"),
    c("L042", "a pids limit has no per-container equivalent"),
    c("L043", "entries of a bind-mounted folder that cannot be ConfigMap keys are left out"),
    c("L044", "a secret, config or folder is too large for one object and is not converted"),
    c("L045", "two env files would become the same ConfigMap"),
    c("L046", "a claim size or access mode is not valid; the default applies"),
    c("L047", "a bind-mounted file or folder is too large for a ConfigMap: it becomes an emptyDir to seed"),
    c("L048", "a database data folder becomes a claim, and its files are not copied into it"),
    c("L049", "a bind-mounted file the service writes lives on a claim seeded from a ConfigMap"),
    c("L050", "GPU device_ids become a count"),
    c("L051", "GPU driver options have no Kubernetes equivalent"),
    c("L052", "a GPU request of an unknown kind or driver is dropped"),
    c("L053", "a request for all GPUs becomes a fixed count (--gpus-all)"),
    c("L054", "a device request that is not a GPU request is dropped"),
    c("L055", "a /dev/dri device becomes one Intel GPU"),
    c("L056", "NVIDIA_VISIBLE_DEVICES is dropped: the device plugin chooses the GPUs"),
    c("L057", "a healthcheck dialling the service's own name dials 127.0.0.1 instead"),
    c("L058", "a CDI device that is not a known GPU is not passed to the pod"),
    c("L059", "an image volume below Kubernetes 1.35 is a copy of the image made by init containers at every pod start"),
    c("L060", "waiting for a service to complete cannot be expressed; it becomes a Job"),
    c("L061", "a dependency without a port cannot be waited for"),
    c("L062", "a dependency that runs as a Job is not waited for"),
    c("L070", "a service others depend on declares no port, so it gets no Service"),
    c("L071", "a service others wait for to complete is not converted as a Job"),
    c("L072", "a setting that needs a port is ignored on a service without one"),
    c("L073", "a node port setting is ignored or not valid"),
    c("L074", "a Service setting does not apply to its Service type; ignored"),
    c("L075", "a service is dialled on a port it does not declare; the port is added"),
    c("L076", "a service others reach declares no port and none is known"),
    c("L077", "a host name that is not a valid Service name is rewritten where it is dialled"),
    c("L078", "a container name or network alias the project dials gets its own Service"),
    c("L080", "a label that is not a valid annotation key is dropped"),
    c("L090", "a placement constraint is not understood or has no Kubernetes equivalent; dropped"),
    c("L091", "a CronJob without a schedule runs daily"),
    c("L092", "a model's context_size and runtime_flags are not applied"),
    c("L093", "a model reference that is not a plain OCI reference is not pulled by its runner"),
    c("L094", "a CronJob's name is shortened to the 52 characters Kubernetes allows"),
    c("L095", "a port is outside 1-65535"),
    c("L096", "a restart policy a Deployment cannot keep (Kubernetes restarts its pods after every exit)"),
    c("L097", "a model needs a runner, which a cluster does not have (--model-runner-image)"),
    c("L098", "a model runner's name is already a service's"),
    c("L100", "a Compose key is not converted"),
    c("L101", "a host device is not passed to the pod"),
    c("L102", "static IP addresses are not converted"),
    c("L103", "link aliases are not converted"),
    c("L104", "`build` is not run: the cluster pulls the image"),
    c("L105", "a deploy setting (rollback_config, endpoint_mode, update_config) is not converted"),
    c("L106", "a label setting is not applied"),
    c("L107", "networks are not converted (NetworkPolicies isolate them when hardening)"),
    c("L110", "an image pull secret or service account name is not valid; ignored"),
    c("L111", "an init container without an image is not added"),
    c("L112", "a probe setting is not valid; the healthcheck's probe is kept"),
    c("L113", "an ephemeral storage size is not a quantity; ignored"),
    c("L114", "a volume type setting is not persistentVolumeClaim, emptyDir, hostPath or configMap; --volumes applies"),
    c("L120", "an Ingress cannot be made (no port, no host or path)"),
    c("L121", "an Ingress host name is not valid; its rule is dropped"),
    c("L122", "a Gateway API route cannot carry what the Ingress labels ask (TLS certificates, gRPC paths): what the Gateway needs is named"),
    c("L130", "a workload kind that cannot be autoscaled gets no HorizontalPodAutoscaler"),
    c("L131", "autoscaling bounds or targets are adjusted or left out"),
    c("L140", "a `pre_start` hook meant to run once runs in each pod's init containers: each pod has volumes of its own (a StatefulSet's claims, emptyDirs) that a Job could not write for it"),
    c("L141", "a `deploy.labels` entry cannot be a workload label (bad key, or a key kubeferry sets); dropped or made an annotation"),
    c("L142", "a lifecycle hook's user, working_dir, privileged or environment cannot be applied to a Kubernetes exec hook"),
    c("L143", "a run-once `pre_start` hook of a service with several pods runs in a Job the pods wait for, through one init container with API access to read that Job"),
    c("S001", "stage 1 needs the Compose host's address (--compose-host)"),
    c("S002", "a service left on the Compose host declares no port to bridge to"),
    c("S003", "an ExternalName bridge cannot change ports"),
    c("S005", "stage 2 keeps a data folder in a claim: copy its content with the data migration"),
    c("S006", "a service that moves to the cluster declares no port: no reverse bridge"),
    c("S007", "a Compose host given by DNS name cannot be allowed by a NetworkPolicy"),
    c("S008", "services left on the Compose host reach services that move: --cluster-host is needed"),
];

/// `docs/diagnostics.md`: every code and its line, generated from [`CODES`] (a test keeps
/// the file current).
pub fn markdown() -> String {
    let mut out = String::from(
        "# Diagnostics\n\nEvery warning and error kubeferry prints has a code; `kubeferry explain CODE` prints its\nline below. `A` the command line, `C` loading the Compose files, `E` the output, `H`\nhardening, `L` lowering to Kubernetes objects, `S` the staged migration. A code keeps one\nmeaning. Generated from `src/diag/codes.rs`: regenerate with\n`KUBEFERRY_BLESS=1 cargo test --test docs`.\n\n| code | meaning |\n|---|---|\n",
    );
    for c in CODES {
        out.push_str(&format!(
            "| `{}` | {} |\n",
            c.code,
            c.summary.replace('|', "\\|")
        ));
    }
    out
}

/// The explanation of a code (case-insensitive), if it is one.
pub fn explain(code: &str) -> Option<&'static Code> {
    CODES.iter().find(|c| c.code.eq_ignore_ascii_case(code))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    /// The codes the sources use (a `"X123"` literal outside test modules).
    fn used() -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        let mut dirs = vec![std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src")];
        while let Some(d) = dirs.pop() {
            for e in std::fs::read_dir(&d).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    dirs.push(p);
                    continue;
                }
                if p.extension().is_none_or(|x| x != "rs") || p.ends_with("diag/codes.rs") {
                    continue;
                }
                let text = std::fs::read_to_string(&p).unwrap();
                let text = text.split("#[cfg(test)]").next().unwrap_or_default();
                let b = text.as_bytes();
                for i in 0..b.len().saturating_sub(5) {
                    if b[i] == b'"'
                        && b[i + 5] == b'"'
                        && b"ACEHKLS".contains(&b[i + 1])
                        && b[i + 2..i + 5].iter().all(u8::is_ascii_digit)
                    {
                        out.insert(text[i + 1..i + 5].to_string());
                    }
                }
            }
        }
        out
    }

    #[test]
    fn every_code_used_is_registered_once_and_every_registered_code_is_used() {
        let registered: Vec<&str> = CODES.iter().map(|c| c.code).collect();
        let mut sorted = registered.clone();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(registered, sorted, "the registry is sorted, each code once");
        let used = used();
        let missing: Vec<_> = used
            .iter()
            .filter(|c| !registered.contains(&c.as_str()))
            .collect();
        assert!(
            missing.is_empty(),
            "codes used but not registered: {missing:?}"
        );
        let unused: Vec<_> = registered.iter().filter(|c| !used.contains(**c)).collect();
        assert!(
            unused.is_empty(),
            "codes registered but never used: {unused:?}"
        );
        assert!(
            CODES
                .iter()
                .all(|c| !c.summary.is_empty() && !c.summary.contains('\n'))
        );
    }

    #[test]
    fn explain_finds_a_code_in_any_case() {
        assert_eq!(explain("h012").map(|c| c.code), Some("H012"));
        assert!(explain("X999").is_none());
    }
}
