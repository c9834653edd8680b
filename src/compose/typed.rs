//! Long-form nodes to the typed model. Values are typed here, after interpolation, so
//! `"${PORT}"` in an integer field works; a value of the wrong type is an error naming the key
//! path and position; an unknown key is a warning.

use super::model::*;
use super::node::{Map, Node, Value};
use super::units;
use super::{Ctx, LoadError};
use crate::diag::Diagnostic;
use crate::diag::{dotted, indexed};

pub(super) struct Typer<'a, 'c> {
    ctx: &'a Ctx<'c>,
    warnings: &'a mut Vec<Diagnostic>,
}

type R<T> = Result<T, LoadError>;

pub fn project(root: &Node, ctx: &Ctx<'_>, warnings: &mut Vec<Diagnostic>) -> R<Project> {
    let mut t = Typer { ctx, warnings };
    let mut p = Project::default();
    let Some(m) = root.as_map() else {
        return Err(ctx.error("C010", root.at, "", "a Compose file must be a mapping"));
    };
    for (k, v) in m {
        match k.as_str() {
            "name" | "version" => {}
            "services" => {
                let services = t.map(v, "services")?;
                // Reserved once: a Service is large, and growing by doubling holds both lists.
                p.services.reserve_exact(services.len());
                for (name, svc) in services {
                    let path = dotted("services", name);
                    if svc.is_null() || svc.as_map().is_none() {
                        return Err(ctx.error(
                            "C010",
                            svc.at,
                            &path,
                            format!("services.{name} must be a mapping"),
                        ));
                    }
                    check_name(name, svc, ctx, &path)?;
                    let mut s = t.service(svc, &path)?;
                    let deploy_labels = s
                        .deploy
                        .as_ref()
                        .map(|d| d.labels.clone())
                        .unwrap_or_default();
                    // Docker Compose accepts any label and extension, so a kubeferry setting
                    // it cannot use is a warning, and only that setting is dropped.
                    let mut labels = s.labels.clone();
                    let mut ext = s.extensions.get("x-kubeferry").cloned();
                    s.settings = loop {
                        match super::settings::service(&labels, &deploy_labels, ext.as_ref()) {
                            Ok(st) => break st,
                            Err((key, msg)) => {
                                let d = t.setting_error(svc, &path, &key, msg);
                                t.warnings.push(crate::diag::Diagnostic {
                                    severity: crate::diag::Severity::Warning,
                                    message: format!("{}{}", d.message, super::SETTING_IGNORED),
                                    ..*d
                                });
                                let removed = match key.strip_prefix("x-kubeferry.") {
                                    Some(k) => ext
                                        .as_mut()
                                        .and_then(|e| e.as_object_mut())
                                        .and_then(|o| o.remove(k))
                                        .is_some(),
                                    None if key == "x-kubeferry" => ext.take().is_some(),
                                    None => labels.remove(&key).is_some(),
                                };
                                if !removed {
                                    break Default::default();
                                }
                            }
                        }
                    };
                    for k in s.settings.unknown.clone() {
                        t.setting_warning(svc, &path, &k);
                    }
                    p.services.insert(name.clone(), s);
                }
            }
            "networks" => {
                for (name, n) in t.map(v, "networks")? {
                    p.networks
                        .insert(name.clone(), t.network(n, &dotted("networks", name))?);
                }
            }
            "volumes" => {
                for (name, n) in t.map(v, "volumes")? {
                    let path = dotted("volumes", name);
                    let mut vol = t.volume(n, &path)?;
                    vol.settings =
                        super::settings::volume(&vol.labels, vol.extensions.get("x-kubeferry"))
                            .map_err(|(key, msg)| t.setting_error(n, &path, &key, msg))?;
                    for k in vol.settings.unknown.clone() {
                        t.setting_warning(n, &path, &k);
                    }
                    p.volumes.insert(name.clone(), vol);
                }
            }
            "secrets" => {
                for (name, n) in t.map(v, "secrets")? {
                    p.secrets
                        .insert(name.clone(), t.file_object(n, &dotted("secrets", name))?);
                }
            }
            "configs" => {
                for (name, n) in t.map(v, "configs")? {
                    p.configs
                        .insert(name.clone(), t.file_object(n, &dotted("configs", name))?);
                }
            }
            "models" => {
                for (name, n) in t.map(v, "models")? {
                    p.models
                        .insert(name.clone(), t.model(n, &dotted("models", name))?);
                }
            }
            _ if k.starts_with("x-") => {
                p.extensions.insert(k.clone(), to_json(v));
            }
            _ => t.unknown(v, k, ""),
        }
    }
    p.settings = super::settings::project(p.extensions.get("x-kubeferry"))
        .map_err(|(key, msg)| t.setting_error(root, "", &key, msg))?;
    for k in p.settings.unknown.clone() {
        t.setting_warning(root, "", &k);
    }
    Ok(p)
}

fn check_name(name: &str, svc: &Node, ctx: &Ctx<'_>, path: &str) -> R<()> {
    let ok = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '_' || c == '-');
    if ok {
        Ok(())
    } else {
        Err(ctx.error(
            "C015",
            svc.key_at,
            path,
            format!("service name `{name}` may only contain letters, digits, `.`, `_` and `-`"),
        ))
    }
}

/// A node to JSON, for attributes kept as written.
pub fn to_json(n: &Node) -> serde_json::Value {
    use serde_json::Value as J;
    match &n.value {
        Value::Null => J::Null,
        Value::Bool(b) => J::Bool(*b),
        Value::Int(i) => J::from(*i),
        Value::Float(f) => serde_json::Number::from_f64(*f)
            .map(J::Number)
            .unwrap_or(J::Null),
        Value::Str(s) => J::String(s.clone()),
        Value::Seq(s) => J::Array(s.iter().map(to_json).collect()),
        Value::Map(m) => J::Object(m.iter().map(|(k, v)| (k.clone(), to_json(v))).collect()),
    }
}

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        dotted(path, key)
    }
}

impl Typer<'_, '_> {
    /// An invalid kubeferry setting: located at the label or `x-kubeferry` key.
    fn setting_error(&self, n: &Node, path: &str, key: &str, msg: String) -> LoadError {
        let (node, full) = if let Some(rest) = key.strip_prefix("x-kubeferry") {
            let ext = n.get("x-kubeferry");
            let sub = rest.trim_start_matches('.');
            let at = ext.and_then(|e| e.get(sub)).or(ext).unwrap_or(n);
            (at, join(path, key))
        } else {
            let at = n
                .get("labels")
                .and_then(|l| l.get(key))
                .or_else(|| n.get("labels"))
                .unwrap_or(n);
            (at, join(path, &dotted("labels", key)))
        };
        self.ctx.error("C016", node.key_at, &full, msg)
    }

    fn setting_warning(&mut self, n: &Node, path: &str, key: &str) {
        let at = n.get("x-kubeferry").and_then(|e| e.get(key)).unwrap_or(n);
        let w = self.ctx.warning(
            "C102",
            at.key_at,
            &join(path, &format!("x-kubeferry.{key}")),
            format!("unknown kubeferry setting `{key}` is ignored"),
        );
        self.warnings.push(w);
    }

    fn err(&self, n: &Node, path: &str, msg: impl Into<String>) -> LoadError {
        self.ctx.error("C011", n.at, path, msg)
    }

    fn unknown(&mut self, n: &Node, key: &str, path: &str) {
        let p = join(path, key);
        let w = self.ctx.warning(
            "C100",
            n.key_at,
            &p,
            format!("unknown key `{key}` is ignored"),
        );
        self.warnings.push(w);
    }

    fn map<'n>(&self, n: &'n Node, path: &str) -> R<&'n Map> {
        static EMPTY: std::sync::OnceLock<Map> = std::sync::OnceLock::new();
        match &n.value {
            Value::Map(m) => Ok(m),
            Value::Null => Ok(EMPTY.get_or_init(Map::default)),
            _ => Err(self.err(n, path, format!("must be a mapping, not {}", n.kind_name()))),
        }
    }

    fn string(&self, n: &Node, path: &str) -> R<String> {
        n.scalar_string()
            .ok_or_else(|| self.err(n, path, format!("must be a string, not {}", n.kind_name())))
    }

    fn opt_string(&self, n: &Node, path: &str) -> R<Option<String>> {
        if n.is_null() {
            return Ok(None);
        }
        self.string(n, path).map(Some)
    }

    fn int(&self, n: &Node, path: &str) -> R<i64> {
        match &n.value {
            Value::Int(i) => Ok(*i),
            Value::Float(f) if f.fract() == 0.0 => Ok(*f as i64),
            Value::Str(s) => s
                .trim()
                .parse()
                .map_err(|_| self.err(n, path, format!("must be an integer, not `{s}`"))),
            _ => Err(self.err(
                n,
                path,
                format!("must be an integer, not {}", n.kind_name()),
            )),
        }
    }

    fn float(&self, n: &Node, path: &str) -> R<f64> {
        match &n.value {
            Value::Int(i) => Ok(*i as f64),
            Value::Float(f) => Ok(*f),
            Value::Str(s) => s
                .trim()
                .parse()
                .map_err(|_| self.err(n, path, format!("must be a number, not `{s}`"))),
            _ => Err(self.err(n, path, format!("must be a number, not {}", n.kind_name()))),
        }
    }

    fn boolean(&mut self, n: &Node, path: &str) -> R<bool> {
        match &n.value {
            Value::Bool(b) => Ok(*b),
            Value::Str(s) => match s.to_ascii_lowercase().as_str() {
                "true" => Ok(true),
                "false" => Ok(false),
                "y" | "yes" | "on" | "n" | "no" | "off" => {
                    let v = matches!(s.to_ascii_lowercase().as_str(), "y" | "yes" | "on");
                    let w = self.ctx.warning(
                        "C101",
                        n.at,
                        path,
                        format!("`{s}` is read as the boolean {v}; YAML 1.2 and Compose prefer true/false"),
                    );
                    self.warnings.push(w);
                    Ok(v)
                }
                _ => Err(self.err(n, path, format!("must be a boolean, not `{s}`"))),
            },
            _ => Err(self.err(n, path, format!("must be a boolean, not {}", n.kind_name()))),
        }
    }

    fn duration(&self, n: &Node, path: &str) -> R<Duration> {
        match &n.value {
            Value::Int(i) if *i >= 0 => Ok(Duration(*i as u64 * 1_000_000_000)),
            Value::Str(s) => units::parse_duration(s).map(Duration).ok_or_else(|| {
                self.err(
                    n,
                    path,
                    format!("`{s}` is not a duration (e.g. `30s`, `1m30s`)"),
                )
            }),
            _ => Err(self.err(
                n,
                path,
                format!("must be a duration, not {}", n.kind_name()),
            )),
        }
    }

    /// A CPU count: Docker Compose takes any number, but no cluster takes a negative one.
    fn cpus(&self, n: &Node, path: &str) -> R<f64> {
        let f = self.float(n, path)?;
        if f < 0.0 || !f.is_finite() {
            return Err(self.err(
                n,
                path,
                format!("must be a CPU count of 0 or more, not `{f}`"),
            ));
        }
        Ok(f)
    }

    fn bytes(&self, n: &Node, path: &str) -> R<Bytes> {
        match &n.value {
            Value::Int(i) => Ok(Bytes(*i)),
            Value::Float(f) => Ok(Bytes(*f as i64)),
            Value::Str(s) => units::parse_bytes(s).map(Bytes).ok_or_else(|| {
                self.err(
                    n,
                    path,
                    format!("`{s}` is not a byte size (e.g. `512m`, `1g`)"),
                )
            }),
            _ => Err(self.err(
                n,
                path,
                format!("must be a byte size, not {}", n.kind_name()),
            )),
        }
    }

    fn strings(&self, n: &Node, path: &str) -> R<Vec<String>> {
        match &n.value {
            Value::Seq(items) => items
                .iter()
                .enumerate()
                .map(|(i, it)| self.string(it, &indexed(path, i)))
                .collect(),
            Value::Null => Ok(Vec::new()),
            Value::Str(s) => Ok(vec![s.clone()]),
            _ => Err(self.err(
                n,
                path,
                format!("must be a list of strings, not {}", n.kind_name()),
            )),
        }
    }

    fn dict(&self, n: &Node, path: &str) -> R<Dict<String>> {
        let mut out = Dict::new();
        for (k, v) in self.map(n, path)? {
            out.insert(k.clone(), v.scalar_string().unwrap_or_default());
        }
        Ok(out)
    }

    fn dict_opt(&self, n: &Node, path: &str) -> R<Dict<Option<String>>> {
        let mut out = Dict::new();
        for (k, v) in self.map(n, path)? {
            out.insert(k.clone(), v.scalar_string());
        }
        Ok(out)
    }

    fn service(&mut self, n: &Node, path: &str) -> R<Service> {
        let mut s = Service::default();
        for (k, v) in self.map(n, path)? {
            let p = join(path, k);
            let p = p.as_str();
            match k.as_str() {
                "annotations" => s.annotations = self.dict(v, p)?,
                "attach" => s.attach = Some(self.boolean(v, p)?),
                "blkio_config" => s.blkio_config = Some(to_json(v)),
                "build" => s.build = Some(self.build(v, p)?),
                "cap_add" => s.cap_add = self.strings(v, p)?,
                "cap_drop" => s.cap_drop = self.strings(v, p)?,
                "cgroup" => s.cgroup = self.opt_string(v, p)?,
                "cgroup_parent" => s.cgroup_parent = self.opt_string(v, p)?,
                "command" => {
                    s.command = if v.is_null() {
                        None
                    } else {
                        Some(self.strings(v, p)?)
                    }
                }
                "configs" => s.configs = self.file_refs(v, p, None)?,
                "container_name" => s.container_name = self.opt_string(v, p)?,
                "cpu_count" => s.cpu_count = Some(self.int(v, p)?),
                "cpu_percent" => s.cpu_percent = Some(self.float(v, p)?),
                "cpu_period" => s.cpu_period = Some(self.int(v, p)?),
                "cpu_quota" => s.cpu_quota = Some(self.int(v, p)?),
                "cpu_rt_period" => s.cpu_rt_period = Some(self.micros(v, p)?),
                "cpu_rt_runtime" => s.cpu_rt_runtime = Some(self.micros(v, p)?),
                "cpu_shares" => s.cpu_shares = Some(self.int(v, p)?),
                "cpus" => s.cpus = Some(self.cpus(v, p)?),
                "cpuset" => s.cpuset = self.opt_string(v, p)?,
                "credential_spec" => s.credential_spec = Some(to_json(v)),
                "depends_on" => {
                    for (dep, spec) in self.map(v, p)? {
                        let dp = dotted(p, dep);
                        let mut d = Dependency {
                            condition: "service_started".into(),
                            restart: false,
                            required: true,
                        };
                        for (dk, dv) in self.map(spec, &dp)? {
                            match dk.as_str() {
                                "condition" => {
                                    let c = self.string(dv, &dotted(&dp, "condition"))?;
                                    if !matches!(
                                        c.as_str(),
                                        "service_started"
                                            | "service_healthy"
                                            | "service_completed_successfully"
                                    ) {
                                        return Err(self.err(dv, &dotted(&dp, "condition"), format!("`{c}` is not a condition: use service_started, service_healthy or service_completed_successfully")));
                                    }
                                    d.condition = c;
                                }
                                "restart" => {
                                    d.restart = self.boolean(dv, &dotted(&dp, "restart"))?
                                }
                                "required" => {
                                    d.required = self.boolean(dv, &dotted(&dp, "required"))?
                                }
                                _ => self.unknown(dv, dk, &dp),
                            }
                        }
                        s.depends_on.insert(dep.clone(), d);
                    }
                }
                "deploy" => {
                    s.deploy = if v.is_null() {
                        None
                    } else {
                        Some(self.deploy(v, p)?)
                    }
                }
                // `x-develop` is the older spelling Docker Compose still reads.
                "develop" | "x-develop" => {
                    s.develop = Some(to_json(v));
                    if k == "develop" {
                        s.develop_config = Some(develop_config(to_json(v)));
                    }
                }
                "device_cgroup_rules" => s.device_cgroup_rules = self.strings(v, p)?,
                "devices" => {
                    for (i, d) in v.as_seq().unwrap_or_default().iter().enumerate() {
                        let dp = indexed(p, i);
                        let m = self.map(d, &dp)?;
                        let get = |key: &str| m.get(key).and_then(Node::scalar_string);
                        let source = get("source")
                            .ok_or_else(|| self.err(d, &dp, "a device needs a `source`"))?;
                        s.devices.push(Device {
                            target: get("target").unwrap_or_default(),
                            permissions: get("permissions").unwrap_or_default(),
                            source,
                        });
                    }
                }
                "dns" => s.dns = self.strings(v, p)?,
                "dns_opt" => s.dns_opt = self.strings(v, p)?,
                "dns_search" => s.dns_search = self.strings(v, p)?,
                "domainname" => s.domainname = self.opt_string(v, p)?,
                "entrypoint" => {
                    s.entrypoint = if v.is_null() {
                        None
                    } else {
                        Some(self.strings(v, p)?)
                    }
                }
                "environment" => s.environment = self.dict_opt(v, p)?,
                "expose" => s.expose = self.strings(v, p)?,
                "external_links" => s.external_links = self.strings(v, p)?,
                "extra_hosts" => {
                    // compose-go keeps hosts in a map and prints them sorted.
                    s.extra_hosts = self.strings(v, p)?;
                    s.extra_hosts.sort();
                }
                "gpus" => {
                    for (i, d) in v.as_seq().unwrap_or_default().iter().enumerate() {
                        let mut req = self.device_request(d, &indexed(p, i))?;
                        // No count and no ids is every GPU (-1), as for `deploy` devices.
                        if req.count.is_none() && req.device_ids.is_empty() {
                            req.count = Some(-1);
                        }
                        s.gpus.push(req);
                    }
                }
                "group_add" => s.group_add = self.strings(v, p)?,
                "healthcheck" => s.healthcheck = Some(self.healthcheck(v, p)?),
                "hostname" => s.hostname = self.opt_string(v, p)?,
                "image" => s.image = self.opt_string(v, p)?,
                "init" => s.init = Some(self.boolean(v, p)?),
                "ipc" => s.ipc = self.opt_string(v, p)?,
                "isolation" => s.isolation = self.opt_string(v, p)?,
                "labels" => s.labels = self.dict(v, p)?,
                "links" => s.links = self.strings(v, p)?,
                "logging" => {
                    let mut l = Logging::default();
                    for (lk, lv) in self.map(v, p)? {
                        match lk.as_str() {
                            "driver" => l.driver = self.opt_string(lv, &dotted(p, "driver"))?,
                            "options" => l.options = self.dict_opt(lv, &dotted(p, "options"))?,
                            _ => self.unknown(lv, lk, p),
                        }
                    }
                    s.logging = Some(l);
                }
                "mac_address" => s.mac_address = self.opt_string(v, p)?,
                "mem_limit" => s.mem_limit = Some(self.bytes(v, p)?),
                "mem_reservation" => s.mem_reservation = Some(self.bytes(v, p)?),
                "mem_swappiness" => s.mem_swappiness = Some(self.int(v, p)?),
                "memswap_limit" => s.memswap_limit = Some(self.bytes(v, p)?),
                "models" => {
                    for (mk, mv) in self.map(v, p)? {
                        let mp = dotted(p, mk);
                        if mv.is_null() {
                            s.models.insert(mk.clone(), None);
                            continue;
                        }
                        let mut sm = ServiceModel::default();
                        for (k2, v2) in self.map(mv, &mp)? {
                            match k2.as_str() {
                                "endpoint_var" => sm.endpoint_var = self.opt_string(v2, &mp)?,
                                "model_var" => sm.model_var = self.opt_string(v2, &mp)?,
                                _ => self.unknown(v2, k2, &mp),
                            }
                        }
                        s.models.insert(mk.clone(), Some(sm));
                    }
                }
                "network_mode" => s.network_mode = self.opt_string(v, p)?,
                "networks" => {
                    for (nk, nv) in self.map(v, p)? {
                        let np = dotted(p, nk);
                        let sn = if nv.is_null() {
                            None
                        } else {
                            Some(self.service_network(nv, &np)?)
                        };
                        s.networks.insert(nk.clone(), sn);
                    }
                }
                "oom_kill_disable" => s.oom_kill_disable = self.boolean(v, p)?,
                "oom_score_adj" => {
                    let x = self.int(v, p)?;
                    if !(-1000..=1000).contains(&x) {
                        return Err(self.err(
                            v,
                            p,
                            format!("{x} is out of range: oom_score_adj takes -1000 to 1000"),
                        ));
                    }
                    s.oom_score_adj = Some(x);
                }
                "pid" => s.pid = self.opt_string(v, p)?,
                "pids_limit" => s.pids_limit = Some(self.int(v, p)?),
                "platform" => s.platform = self.opt_string(v, p)?,
                "ports" => {
                    for (i, pn) in v.as_seq().unwrap_or_default().iter().enumerate() {
                        s.ports.push(self.port(pn, &indexed(p, i))?);
                    }
                }
                "post_start" => s.post_start = self.hooks(v, p)?,
                "pre_stop" => s.pre_stop = self.hooks(v, p)?,
                "pre_start" => s.pre_start = self.hooks(v, p)?,
                "privileged" => s.privileged = self.boolean(v, p)?,
                "profiles" => s.profiles = self.strings(v, p)?,
                "provider" => s.provider = Some(to_json(v)),
                "pull_policy" => s.pull_policy = self.opt_string(v, p)?,
                "pull_refresh_after" => {}
                "read_only" => s.read_only = self.boolean(v, p)?,
                "restart" => s.restart = self.opt_string(v, p)?,
                "runtime" => s.runtime = self.opt_string(v, p)?,
                "scale" => s.scale = Some(self.int(v, p)?),
                "secrets" => s.secrets = self.file_refs(v, p, Some("/run/secrets/"))?,
                "security_opt" => s.security_opt = self.strings(v, p)?,
                "shm_size" => s.shm_size = Some(self.bytes(v, p)?),
                "stdin_open" => s.stdin_open = self.boolean(v, p)?,
                "stop_grace_period" => s.stop_grace_period = Some(self.duration(v, p)?),
                "stop_signal" => s.stop_signal = self.opt_string(v, p)?,
                "storage_opt" => s.storage_opt = self.dict(v, p)?,
                "sysctls" => s.sysctls = self.dict(v, p)?,
                "tmpfs" => s.tmpfs = self.strings(v, p)?,
                "tty" => s.tty = self.boolean(v, p)?,
                "ulimits" => {
                    for (uk, uv) in self.map(v, p)? {
                        let up = dotted(p, uk);
                        let u = match &uv.value {
                            Value::Map(m) => {
                                let soft = m.get("soft").map(|x| self.int(x, &up)).transpose()?;
                                let hard = m.get("hard").map(|x| self.int(x, &up)).transpose()?;
                                match (soft, hard) {
                                    (Some(soft), Some(hard)) => Ulimit {
                                        single: None,
                                        soft,
                                        hard,
                                    },
                                    _ => {
                                        return Err(self.err(
                                            uv,
                                            &up,
                                            "a ulimit mapping needs both `soft` and `hard`",
                                        ));
                                    }
                                }
                            }
                            _ => {
                                let x = self.int(uv, &up)?;
                                Ulimit {
                                    single: Some(x),
                                    soft: x,
                                    hard: x,
                                }
                            }
                        };
                        s.ulimits.insert(uk.clone(), u);
                    }
                }
                "use_api_socket" => s.use_api_socket = self.boolean(v, p)?,
                "user" => s.user = self.opt_string(v, p)?,
                "userns_mode" => s.userns_mode = self.opt_string(v, p)?,
                "uts" => s.uts = self.opt_string(v, p)?,
                "volumes" => {
                    for (i, vn) in v.as_seq().unwrap_or_default().iter().enumerate() {
                        s.volumes.push(self.service_volume(vn, &indexed(p, i))?);
                    }
                }
                "volumes_from" => s.volumes_from = self.strings(v, p)?,
                "working_dir" => s.working_dir = self.opt_string(v, p)?,
                "env_file" => {
                    for f in v.as_seq().unwrap_or_default() {
                        let path = f
                            .get("path")
                            .and_then(Node::scalar_string)
                            .unwrap_or_default();
                        let values = match f.get("values") {
                            Some(n) => self.dict_opt(n, p)?,
                            None => Default::default(),
                        };
                        s.env_files.push(super::model::EnvFile { path, values });
                    }
                }
                "extends" | "label_file" => {}
                _ if k.starts_with("x-") => {
                    s.extensions.insert(k.clone(), to_json(v));
                }
                _ => self.unknown(v, k, path),
            }
        }
        Ok(s)
    }

    /// `cpu_rt_*`: microseconds as an integer or a duration string.
    fn micros(&self, n: &Node, path: &str) -> R<i64> {
        match &n.value {
            Value::Str(s) if s.parse::<i64>().is_err() => {
                Ok((self.duration(n, path)?.0 / 1000) as i64)
            }
            _ => self.int(n, path),
        }
    }

    fn build(&mut self, n: &Node, path: &str) -> R<Build> {
        let mut b = Build::default();
        let mut empty_dockerfile = false;
        for (k, v) in self.map(n, path)? {
            let p = join(path, k);
            match k.as_str() {
                "context" => b.context = self.string(v, &p)?,
                // An empty `dockerfile` (`${UNSET}`) is left out, with no default either.
                "dockerfile" => match self.opt_string(v, &p)? {
                    Some(d) if d.is_empty() => empty_dockerfile = true,
                    d => b.dockerfile = d,
                },
                "dockerfile_inline" => b.dockerfile_inline = self.opt_string(v, &p)?,
                // A bare build arg with no value in the environment is left out.
                "args" => {
                    b.args = self
                        .dict_opt(v, &p)?
                        .into_iter()
                        .filter(|(_, v)| v.is_some())
                        .collect()
                }
                "labels" => b.labels = self.dict(v, &p)?,
                "cache_from" => b.cache_from = self.strings(v, &p)?,
                "cache_to" => b.cache_to = self.strings(v, &p)?,
                "target" => b.target = self.opt_string(v, &p)?,
                "network" => b.network = self.opt_string(v, &p)?,
                "tags" => b.tags = self.strings(v, &p)?,
                "platforms" => b.platforms = self.strings(v, &p)?,
                // The forms compose-go prints: bytes as a decimal string, `ssh` as a list,
                // `sbom` as a string, a secret's `mode` in octal.
                "shm_size" => {
                    let bytes = self.bytes(v, &p)?;
                    b.other.insert(k.clone(), bytes.0.to_string().into());
                }
                "ssh" => {
                    let list: Vec<serde_json::Value> = self
                        .dict(v, &p)?
                        .into_iter()
                        .map(|(id, path)| match path.is_empty() {
                            true => id.into(),
                            false => format!("{id}={path}").into(),
                        })
                        .collect();
                    b.other.insert(k.clone(), list.into());
                }
                "sbom" => {
                    let sbom = match to_json(v) {
                        serde_json::Value::Bool(on) => on.to_string().into(),
                        other => other,
                    };
                    b.other.insert(k.clone(), sbom);
                }
                "secrets" => {
                    let mut list = to_json(v);
                    for s in list.as_array_mut().into_iter().flatten() {
                        if let Some(mode) = s.get_mut("mode")
                            && let Some(m) = mode.as_i64()
                        {
                            *mode = format!("0{m:o}").into();
                        }
                    }
                    b.other.insert(k.clone(), list);
                }
                "extra_hosts"
                | "isolation"
                | "privileged"
                | "pull"
                | "no_cache"
                | "no_cache_filter"
                | "ulimits"
                | "additional_contexts"
                | "entitlements"
                | "provenance" => {
                    b.other.insert(k.clone(), to_json(v));
                }
                _ if k.starts_with("x-") => {}
                _ => self.unknown(v, k, path),
            }
        }
        if b.context.is_empty() {
            b.context = ".".into();
        }
        if b.dockerfile.is_none() && b.dockerfile_inline.is_none() && !empty_dockerfile {
            b.dockerfile = Some("Dockerfile".into());
        }
        Ok(b)
    }

    fn deploy(&mut self, n: &Node, path: &str) -> R<Deploy> {
        let mut d = Deploy::default();
        for (k, v) in self.map(n, path)? {
            let p = join(path, k);
            let p = p.as_str();
            match k.as_str() {
                "mode" => d.mode = self.opt_string(v, p)?,
                "replicas" => {
                    d.replicas = if v.is_null() {
                        None
                    } else {
                        Some(self.int(v, p)?)
                    }
                }
                "labels" => d.labels = self.dict(v, p)?,
                "endpoint_mode" => d.endpoint_mode = self.opt_string(v, p)?,
                "update_config" => d.update_config = Some(self.update_config(v, p)?),
                "rollback_config" => d.rollback_config = Some(self.update_config(v, p)?),
                "resources" => {
                    let mut r = Resources::default();
                    for (rk, rv) in self.map(v, p)? {
                        let rp = dotted(p, rk);
                        match rk.as_str() {
                            "limits" => r.limits = Some(self.resource(rv, &rp)?),
                            "reservations" => r.reservations = Some(self.resource(rv, &rp)?),
                            _ => self.unknown(rv, rk, p),
                        }
                    }
                    d.resources = Some(r);
                }
                "restart_policy" => {
                    let mut rp = RestartPolicy::default();
                    for (rk, rv) in self.map(v, p)? {
                        let q = dotted(p, rk);
                        match rk.as_str() {
                            "condition" => rp.condition = self.opt_string(rv, &q)?,
                            "delay" => rp.delay = Some(self.duration(rv, &q)?),
                            "max_attempts" => rp.max_attempts = Some(self.int(rv, &q)?),
                            "window" => rp.window = Some(self.duration(rv, &q)?),
                            _ => self.unknown(rv, rk, p),
                        }
                    }
                    d.restart_policy = Some(rp);
                }
                "placement" => {
                    for (pk, pv) in self.map(v, p)? {
                        let q = dotted(p, pk);
                        match pk.as_str() {
                            "constraints" => d.placement.constraints = self.strings(pv, &q)?,
                            "preferences" => {
                                for (i, pref) in pv.as_seq().unwrap_or_default().iter().enumerate()
                                {
                                    let spread = pref
                                        .get("spread")
                                        .and_then(Node::scalar_string)
                                        .ok_or_else(|| {
                                        self.err(
                                            pref,
                                            &indexed(&q, i),
                                            "a placement preference needs `spread`",
                                        )
                                    })?;
                                    d.placement.preferences.push(PlacementPreference { spread });
                                }
                            }
                            "max_replicas_per_node" => {
                                d.placement.max_replicas_per_node = Some(self.int(pv, &q)?)
                            }
                            _ => self.unknown(pv, pk, p),
                        }
                    }
                }
                _ if k.starts_with("x-") => {}
                _ => self.unknown(v, k, path),
            }
        }
        Ok(d)
    }

    fn update_config(&mut self, n: &Node, path: &str) -> R<UpdateConfig> {
        let mut u = UpdateConfig::default();
        for (k, v) in self.map(n, path)? {
            let p = join(path, k);
            match k.as_str() {
                "parallelism" => u.parallelism = Some(self.int(v, &p)?),
                "delay" => u.delay = Some(self.duration(v, &p)?),
                "failure_action" => u.failure_action = self.opt_string(v, &p)?,
                "monitor" => u.monitor = Some(self.duration(v, &p)?),
                "max_failure_ratio" => u.max_failure_ratio = Some(self.float(v, &p)?),
                "order" => u.order = self.opt_string(v, &p)?,
                _ => self.unknown(v, k, path),
            }
        }
        Ok(u)
    }

    fn resource(&mut self, n: &Node, path: &str) -> R<Resource> {
        let mut r = Resource::default();
        for (k, v) in self.map(n, path)? {
            let p = join(path, k);
            match k.as_str() {
                "cpus" => r.cpus = Some(self.cpus(v, &p)?),
                "memory" => r.memory = Some(self.bytes(v, &p)?),
                "pids" => r.pids = Some(self.int(v, &p)?),
                "devices" => {
                    for (i, d) in v.as_seq().unwrap_or_default().iter().enumerate() {
                        let mut req = self.device_request(d, &indexed(&p, i))?;
                        if req.count.is_none() && req.device_ids.is_empty() {
                            req.count = Some(-1);
                        }
                        r.devices.push(req);
                    }
                }
                "generic_resources" => {
                    for (i, g) in v.as_seq().unwrap_or_default().iter().enumerate() {
                        let gp = indexed(&p, i);
                        let spec = g.get("discrete_resource_spec").ok_or_else(|| {
                            self.err(g, &gp, "a generic resource needs `discrete_resource_spec`")
                        })?;
                        let kind = spec
                            .get("kind")
                            .and_then(Node::scalar_string)
                            .unwrap_or_default();
                        let value = spec
                            .get("value")
                            .map(|x| self.int(x, &gp))
                            .transpose()?
                            .unwrap_or(0);
                        r.generic_resources.push(GenericResource {
                            discrete_resource_spec: DiscreteResource { kind, value },
                        });
                    }
                }
                _ => self.unknown(v, k, path),
            }
        }
        Ok(r)
    }

    fn device_request(&mut self, n: &Node, path: &str) -> R<DeviceRequest> {
        let mut d = DeviceRequest::default();
        for (k, v) in self.map(n, path)? {
            let p = join(path, k);
            match k.as_str() {
                "capabilities" => d.capabilities = self.strings(v, &p)?,
                "driver" => d.driver = self.opt_string(v, &p)?,
                "count" => {
                    d.count = Some(match &v.value {
                        Value::Str(s) if s.eq_ignore_ascii_case("all") => -1,
                        _ => self.int(v, &p)?,
                    })
                }
                "device_ids" => d.device_ids = self.strings(v, &p)?,
                "options" => d.options = self.dict(v, &p)?,
                _ => self.unknown(v, k, path),
            }
        }
        if d.count.is_some() && !d.device_ids.is_empty() {
            return Err(self.err(n, path, "`count` and `device_ids` cannot both be set"));
        }
        Ok(d)
    }

    fn healthcheck(&mut self, n: &Node, path: &str) -> R<Healthcheck> {
        let mut h = Healthcheck::default();
        for (k, v) in self.map(n, path)? {
            let p = join(path, k);
            match k.as_str() {
                "test" => h.test = self.strings(v, &p)?,
                "timeout" => h.timeout = Some(self.duration(v, &p)?),
                "interval" => h.interval = Some(self.duration(v, &p)?),
                "retries" => h.retries = Some(self.int(v, &p)?),
                "start_period" => h.start_period = Some(self.duration(v, &p)?),
                "start_interval" => h.start_interval = Some(self.duration(v, &p)?),
                "disable" => h.disable = self.boolean(v, &p)?,
                _ => self.unknown(v, k, path),
            }
        }
        if let Some(first) = h.test.first()
            && !matches!(first.as_str(), "NONE" | "CMD" | "CMD-SHELL")
        {
            return Err(self.err(
                n,
                &dotted(path, "test"),
                format!(
                    "a healthcheck test list must start with NONE, CMD or CMD-SHELL, not `{first}`"
                ),
            ));
        }
        Ok(h)
    }

    fn service_network(&mut self, n: &Node, path: &str) -> R<ServiceNetwork> {
        let mut s = ServiceNetwork::default();
        for (k, v) in self.map(n, path)? {
            let p = join(path, k);
            match k.as_str() {
                "aliases" => s.aliases = self.strings(v, &p)?,
                "ipv4_address" => s.ipv4_address = self.opt_string(v, &p)?,
                "ipv6_address" => s.ipv6_address = self.opt_string(v, &p)?,
                "link_local_ips" => s.link_local_ips = self.strings(v, &p)?,
                "mac_address" => s.mac_address = self.opt_string(v, &p)?,
                "priority" => s.priority = Some(self.int(v, &p)?),
                "gw_priority" => s.gw_priority = Some(self.int(v, &p)?),
                "interface_name" => s.interface_name = self.opt_string(v, &p)?,
                "driver_opts" => s.driver_opts = self.dict(v, &p)?,
                _ => self.unknown(v, k, path),
            }
        }
        Ok(s)
    }

    fn port(&mut self, n: &Node, path: &str) -> R<Port> {
        let mut port = Port::default();
        for (k, v) in self.map(n, path)? {
            let p = join(path, k);
            match k.as_str() {
                "name" => port.name = self.opt_string(v, &p)?,
                "mode" => port.mode = self.string(v, &p)?,
                "host_ip" => port.host_ip = self.opt_string(v, &p)?,
                "target" => {
                    let t = self.int(v, &p)?;
                    port.target =
                        u32::try_from(t)
                            .ok()
                            .filter(|t| *t <= 65535)
                            .ok_or_else(|| {
                                self.ctx.error(
                                    "C013",
                                    v.at,
                                    &p,
                                    format!("port {t} is out of range 0-65535"),
                                )
                            })?;
                }
                "published" => port.published = self.opt_string(v, &p)?,
                "protocol" => port.protocol = self.string(v, &p)?,
                "app_protocol" => port.app_protocol = self.opt_string(v, &p)?,
                "x-kubeferry" => {}
                _ => self.unknown(v, k, path),
            }
        }
        if let Some(ip) = &port.host_ip
            && ip.parse::<std::net::IpAddr>().is_err()
        {
            return Err(self.ctx.error(
                "C013",
                n.at,
                &dotted(path, "host_ip"),
                format!("`{ip}` is not an IP address"),
            ));
        }
        Ok(port)
    }

    fn hooks(&mut self, n: &Node, path: &str) -> R<Vec<Hook>> {
        let mut out = Vec::new();
        for (i, h) in n.as_seq().unwrap_or_default().iter().enumerate() {
            let hp = indexed(path, i);
            let mut hook = Hook::default();
            for (k, v) in self.map(h, &hp)? {
                let p = join(&hp, k);
                match k.as_str() {
                    "command" => hook.command = self.strings(v, &p)?,
                    "user" => hook.user = self.opt_string(v, &p)?,
                    "privileged" => hook.privileged = self.boolean(v, &p)?,
                    "working_dir" => hook.working_dir = self.opt_string(v, &p)?,
                    "environment" => hook.environment = self.dict_opt(v, &p)?,
                    // The schema allows these two in `pre_start` hooks only.
                    "image" => hook.image = self.opt_string(v, &p)?,
                    "per_replica" => hook.per_replica = self.boolean(v, &p)?,
                    _ => self.unknown(v, k, &hp),
                }
            }
            out.push(hook);
        }
        Ok(out)
    }

    /// Service `secrets`/`configs`; `default_dir` gives a missing target its default.
    fn file_refs(
        &mut self,
        n: &Node,
        path: &str,
        default_dir: Option<&str>,
    ) -> R<Vec<FileReference>> {
        let mut out = Vec::new();
        for (i, item) in n.as_seq().unwrap_or_default().iter().enumerate() {
            let ip = indexed(path, i);
            let mut r = FileReference::default();
            for (k, v) in self.map(item, &ip)? {
                let p = join(&ip, k);
                match k.as_str() {
                    "source" => r.source = self.string(v, &p)?,
                    "target" => r.target = self.opt_string(v, &p)?.filter(|t| !t.is_empty()),
                    "uid" => r.uid = self.opt_string(v, &p)?,
                    "gid" => r.gid = self.opt_string(v, &p)?,
                    "mode" => r.mode = Some(self.mode(v, &p)?),
                    _ => self.unknown(v, k, &ip),
                }
            }
            if r.source.is_empty() {
                return Err(self.err(item, &ip, "needs a `source`"));
            }
            if r.target.is_none()
                && let Some(dir) = default_dir
            {
                r.target = Some(format!("{dir}{}", r.source));
            }
            out.push(r);
        }
        Ok(out)
    }

    /// File modes: a YAML integer, or an octal string (`"0440"`, `"0o440"`).
    fn mode(&self, n: &Node, path: &str) -> R<u32> {
        let v = match &n.value {
            Value::Int(i) => u32::try_from(*i).ok(),
            Value::Str(s) => {
                let d = s.trim_start_matches("0o");
                u32::from_str_radix(d, 8).ok()
            }
            _ => None,
        };
        v.filter(|m| *m <= 0o7777)
            .ok_or_else(|| self.err(n, path, "must be a file mode such as 0440"))
    }

    fn service_volume(&mut self, n: &Node, path: &str) -> R<ServiceVolume> {
        let mut sv = ServiceVolume::default();
        for (k, v) in self.map(n, path)? {
            let p = join(path, k);
            match k.as_str() {
                "type" => {
                    sv.kind = match self.string(v, &p)?.as_str() {
                        "volume" => VolumeType::Volume,
                        "bind" => VolumeType::Bind,
                        "tmpfs" => VolumeType::Tmpfs,
                        "image" => VolumeType::Image,
                        "npipe" => VolumeType::Npipe,
                        "cluster" => VolumeType::Cluster,
                        other => {
                            return Err(self.err(v, &p, format!("`{other}` is not a volume type")));
                        }
                    }
                }
                "source" => sv.source = self.opt_string(v, &p)?,
                "target" => sv.target = self.string(v, &p)?,
                "read_only" => sv.read_only = self.boolean(v, &p)?,
                "consistency" => sv.consistency = self.opt_string(v, &p)?,
                "bind" => {
                    let mut b = BindOptions::default();
                    for (bk, bv) in self.map(v, &p)? {
                        let q = dotted(&p, bk);
                        match bk.as_str() {
                            "propagation" => b.propagation = self.opt_string(bv, &q)?,
                            "create_host_path" => b.create_host_path = self.boolean(bv, &q)?,
                            "selinux" => b.selinux = self.opt_string(bv, &q)?,
                            "recursive" => b.recursive = self.opt_string(bv, &q)?,
                            _ => self.unknown(bv, bk, &p),
                        }
                    }
                    sv.bind = Some(b);
                }
                "volume" => {
                    let mut o = VolumeOptions::default();
                    for (vk, vv) in self.map(v, &p)? {
                        let q = dotted(&p, vk);
                        match vk.as_str() {
                            "nocopy" => o.nocopy = self.boolean(vv, &q)?,
                            "subpath" => o.subpath = self.opt_string(vv, &q)?,
                            "labels" => o.labels = self.dict(vv, &q)?,
                            _ => self.unknown(vv, vk, &p),
                        }
                    }
                    sv.volume = Some(o);
                }
                "tmpfs" => {
                    let mut o = TmpfsOptions::default();
                    for (tk, tv) in self.map(v, &p)? {
                        let q = dotted(&p, tk);
                        match tk.as_str() {
                            "size" => o.size = Some(self.bytes(tv, &q)?),
                            "mode" => o.mode = Some(self.mode(tv, &q)?),
                            _ => self.unknown(tv, tk, &p),
                        }
                    }
                    sv.tmpfs = Some(o);
                }
                "image" => {
                    let mut o = ImageOptions::default();
                    for (ik, iv) in self.map(v, &p)? {
                        match ik.as_str() {
                            "subpath" => o.subpath = self.opt_string(iv, &dotted(&p, ik))?,
                            _ => self.unknown(iv, ik, &p),
                        }
                    }
                    sv.image = Some(o);
                }
                _ if k.starts_with("x-") => {}
                _ => self.unknown(v, k, path),
            }
        }
        if sv.target.is_empty() {
            return Err(self.err(n, path, "a volume needs a `target`"));
        }
        Ok(sv)
    }

    fn network(&mut self, n: &Node, path: &str) -> R<Network> {
        let mut net = Network {
            ipam: serde_json::json!({}),
            ..Network::default()
        };
        for (k, v) in self.map(n, path)? {
            let p = join(path, k);
            match k.as_str() {
                "name" => net.name = self.opt_string(v, &p)?,
                "driver" => net.driver = self.opt_string(v, &p)?,
                "driver_opts" => net.driver_opts = self.dict(v, &p)?,
                "ipam" => net.ipam = to_json(v),
                "external" => net.external = self.boolean(v, &p)?,
                "internal" => net.internal = self.boolean(v, &p)?,
                "attachable" => net.attachable = self.boolean(v, &p)?,
                "enable_ipv4" => net.enable_ipv4 = Some(self.boolean(v, &p)?),
                "enable_ipv6" => net.enable_ipv6 = Some(self.boolean(v, &p)?),
                "labels" => net.labels = self.dict(v, &p)?,
                _ if k.starts_with("x-") => {}
                _ => self.unknown(v, k, path),
            }
        }
        Ok(net)
    }

    fn volume(&mut self, n: &Node, path: &str) -> R<Volume> {
        let mut vol = Volume::default();
        for (k, v) in self.map(n, path)? {
            let p = join(path, k);
            match k.as_str() {
                "name" => vol.name = self.opt_string(v, &p)?,
                "driver" => vol.driver = self.opt_string(v, &p)?,
                "driver_opts" => vol.driver_opts = self.dict(v, &p)?,
                "external" => vol.external = self.boolean(v, &p)?,
                "labels" => vol.labels = self.dict(v, &p)?,
                _ if k.starts_with("x-") => {
                    vol.extensions.insert(k.clone(), to_json(v));
                }
                _ => self.unknown(v, k, path),
            }
        }
        Ok(vol)
    }

    fn file_object(&mut self, n: &Node, path: &str) -> R<FileObject> {
        let mut f = FileObject::default();
        for (k, v) in self.map(n, path)? {
            let p = join(path, k);
            match k.as_str() {
                "name" => f.name = self.opt_string(v, &p)?,
                "file" => f.file = self.opt_string(v, &p)?,
                "environment" => f.environment = self.opt_string(v, &p)?,
                "content" => f.content = self.opt_string(v, &p)?,
                "external" => f.external = self.boolean(v, &p)?,
                "labels" => f.labels = self.dict(v, &p)?,
                "driver" => f.driver = self.opt_string(v, &p)?,
                "driver_opts" => f.driver_opts = self.dict(v, &p)?,
                "template_driver" => f.template_driver = self.opt_string(v, &p)?,
                _ if k.starts_with("x-") => {}
                _ => self.unknown(v, k, path),
            }
        }
        let sources = [
            f.file.is_some(),
            f.environment.is_some(),
            f.content.is_some(),
        ]
        .iter()
        .filter(|b| **b)
        .count();
        if sources > 1 {
            return Err(self.err(
                n,
                path,
                "only one of `file`, `environment` and `content` may be set",
            ));
        }
        if f.external && sources > 0 {
            return Err(self.err(
                n,
                path,
                "an `external` object cannot also set `file`, `environment` or `content`",
            ));
        }
        Ok(f)
    }

    fn model(&mut self, n: &Node, path: &str) -> R<Model> {
        let mut m = Model::default();
        for (k, v) in self.map(n, path)? {
            let p = join(path, k);
            match k.as_str() {
                "name" => m.name = self.opt_string(v, &p)?,
                "model" => m.model = self.string(v, &p)?,
                "context_size" => m.context_size = Some(self.int(v, &p)?),
                "runtime_flags" => m.runtime_flags = self.strings(v, &p)?,
                _ if k.starts_with("x-") => {}
                _ => self.unknown(v, k, path),
            }
        }
        Ok(m)
    }
}

/// `develop` in the form compose-go prints: no `x-` keys, a watch rule's `include`/`ignore`
/// as lists and its `exec.command` split like a shell command.
fn develop_config(mut d: serde_json::Value) -> serde_json::Value {
    use serde_json::Value as J;
    if let J::Object(m) = &mut d {
        m.retain(|k, _| !k.starts_with("x-"));
        for rule in m
            .get_mut("watch")
            .and_then(J::as_array_mut)
            .into_iter()
            .flatten()
        {
            let J::Object(r) = rule else { continue };
            r.retain(|k, _| !k.starts_with("x-"));
            for key in ["include", "ignore"] {
                if let Some(v) = r.get_mut(key)
                    && v.is_string()
                {
                    *v = J::Array(vec![v.take()]);
                }
            }
            if let Some(cmd) = r.get_mut("exec").and_then(|e| e.get_mut("command"))
                && let Some(words) = cmd.as_str().and_then(|c| super::shell::split(c).ok())
            {
                *cmd = words.into_iter().map(J::String).collect();
            }
        }
    }
    d
}
